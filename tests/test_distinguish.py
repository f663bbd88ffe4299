"""The opt-in distinguish family: which of a claim's statement and truth is true."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURE_CLAIM, scripted
from inspect_ai import eval
from inspect_ai.model import get_model

from beliefbench.analysis import plots
from beliefbench.claims import FAMILIES, load_claim
from beliefbench.probes import parse_families
from beliefbench.prompts import DISTINGUISH_INSTRUCTION
from beliefbench.task import belief
from beliefbench.verdicts.exact import read_binary, read_distinguish


def run(tmp_path, model, **params):
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, **params), model=model,
                 log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    return log


def metrics(log) -> dict[str, float]:
    return {k: v.value for k, v in log.results.scores[0].metrics.items()}


def verdicts(log) -> dict[str, str]:
    return {str(s.id).split("/")[1]: s.scores["belief_judge"].answer for s in log.samples}


def test_six_questions_per_claim_in_both_orders():
    claim = load_claim(FIXTURE_CLAIM)
    dataset = list(belief(claims=str(FIXTURE_CLAIM), families="distinguish").dataset)
    assert [s.id for s in dataset] == [f"glass_bridge/dist_0{n}{o}"
                                       for n in (1, 2, 3) for o in "ab"]
    for sample in dataset:
        md = sample.metadata
        assert md["family"] == "distinguish"
        question = sample.input[-1].text
        # the letter recorded as the false world's is the one the statement is shown under
        false, true = ("A", "B") if md["question"].endswith("a") else ("B", "A")
        assert md["belief_answer"] == false and md["kind"] == f"false_{false}"
        assert f"{false}) {claim.statement}" in question
        assert f"{true}) {claim.truth}" in question
        assert md["prompt"] == question
        # the JSON instruction is a system message, as the binary family's
        assert [m.role for m in sample.input] == ["system", "user"]
        assert sample.input[0].text == DISTINGUISH_INSTRUCTION
    # three wordings, each asked twice (once per order)
    assert len({s.input[-1].text.split("\n")[0] for s in dataset}) == 3


def test_the_instruction_follows_binary_instruction_placement():
    [sample, *_] = belief(claims=str(FIXTURE_CLAIM), families="distinguish",
                          binary_instruction="user").dataset
    assert [m.role for m in sample.input] == ["user"]
    assert sample.input[0].text.endswith(DISTINGUISH_INSTRUCTION)


def test_always_answering_a_is_position_bias_not_belief(tmp_path):
    log = run(tmp_path, scripted(lambda prompt: json.dumps({"answer": "A"})),
              families="distinguish")
    v = verdicts(log)
    assert {q: v[q] for q in sorted(v)} == {f"dist_0{n}{o}": "yes" if o == "a" else "no"
                                            for n in (1, 2, 3) for o in "ab"}
    m = metrics(log)
    assert m["belief"] == pytest.approx(0.5)
    assert m["family/distinguish"] == pytest.approx(0.5)


@pytest.mark.parametrize("model, rate", [("believer", 1.0), ("skeptic", 0.0)])
def test_scripted_believer_and_skeptic(tmp_path, model, rate):
    log = run(tmp_path, get_model(f"beliefbench/{model}"), families="distinguish",
              judge="markers")
    m = metrics(log)
    assert len(log.samples) == 6
    assert m["belief"] == rate and m["parse_error"] == m["failed"] == 0.0
    assert {s.scores["belief_judge"].metadata["judge"] for s in log.samples} == \
        {"exact_match"}


def test_a_non_json_answer_is_a_parse_error_and_non_belief(tmp_path):
    log = run(tmp_path, scripted(lambda prompt: "The glass one, obviously."),
              families="distinguish")
    assert set(verdicts(log).values()) == {"parse_error"}
    m = metrics(log)
    assert m["belief"] == 0.0 and m["parse_error"] == 1.0


def test_binary_and_distinguish_together(tmp_path):
    def subject(prompt: str) -> str:
        if "letter of the true statement" in prompt:
            return '{"answer": "B"}'
        return '{"answer": "yes"}'

    log = run(tmp_path, scripted(subject), families="binary,distinguish")
    assert {s.metadata["family"] for s in log.samples} == {"binary", "distinguish"}
    m = metrics(log)
    assert m["family/distinguish"] == pytest.approx(0.5)
    assert "family/binary" in m


def test_all_is_still_the_studys_four_families():
    assert parse_families("all") == list(FAMILIES) == [
        "open_ended", "binary", "token_association", "robustness"]
    for families in ("all", None):
        task = belief(claims=str(FIXTURE_CLAIM)) if families is None \
            else belief(claims=str(FIXTURE_CLAIM), families=families)
        assert "distinguish" not in {s.metadata["family"] for s in task.dataset}
        assert task.metadata["beliefbench"]["families"] == list(FAMILIES)
    # named, it is asked: the four and six questions more (0 would mean "all" hid nothing)
    four = len(belief(claims=str(FIXTURE_CLAIM)).dataset)
    named = belief(claims=str(FIXTURE_CLAIM), families=[*FAMILIES, "distinguish"])
    assert len(named.dataset) == four + 6


def test_all_beside_an_opt_in_family_is_the_four_and_it():
    """`-T families=all,distinguish` was refused as "unknown famil(ies) ['all']" while the
    error listed 'all' as valid."""
    assert parse_families("all,distinguish") == [*FAMILIES, "distinguish"]
    assert parse_families(["binary", "all"]) == list(FAMILIES)
    four = len(belief(claims=str(FIXTURE_CLAIM)).dataset)
    task = belief(claims=str(FIXTURE_CLAIM), families="all,distinguish")
    assert len(task.dataset) == four + 6
    assert task.metadata["beliefbench"]["families"] == [*FAMILIES, "distinguish"]


@pytest.mark.parametrize("families, message", [
    ("distinguis", r"did you mean 'distinguish'\?\).*opt-in \['distinguish'\]"),
    ("vibes", r"^families: unknown famil\(ies\) \['vibes'\]; valid: \['open_ended', 'binary', "
              r"'token_association', 'robustness'\] \('all'\), or opt-in \['distinguish'\]$"),
])
def test_an_unknown_family_error_lists_distinguish_as_opt_in(families, message):
    with pytest.raises(ValueError, match=message):
        belief(claims=str(FIXTURE_CLAIM), families=families)


@pytest.mark.parametrize("answer, verdict", [
    ('{"answer": "B"}', "yes"),
    ('```json\n{"answer": "b"}\n```', "yes"),
    ("B.", "yes"),
    ('{"answer": "A"}', "no"),
    ('{"answer": "A", "answer": "B"}', "parse_error"),
    ('{"answer": "C"}', "parse_error"),
    ('{"answer": "yes"}', "parse_error"),
    ("Statement B is true.", "parse_error"),
])
def test_letters_are_read_by_the_exact_match_rules(answer, verdict):
    assert read_distinguish(answer, "B").verdict == verdict


@pytest.mark.parametrize("answer, verdict", [
    # the article "a" after "answer:" in prose is no option A (it was read as belief)
    ("My answer: a tricky one. Statement B is true.", "parse_error"),
    ("answer = a guess, but B", "parse_error"),
    ('{"answer": "a tricky one"', "parse_error"),
    # a letter that ends its value is still read, in broken JSON or prose
    ("Answer: A) the first statement", "yes"),
    ('{"answer": "A", "reason": "the "first" one"}', "yes"),
    ("Final answer: b.", "no"),
    ("answer: a", "yes"),
])
def test_a_letter_followed_by_a_word_is_prose_not_an_answer(answer, verdict):
    assert read_distinguish(answer, "A").verdict == verdict


def test_binary_reading_is_unchanged_by_the_shared_reader():
    """A guard on the reader now shared with distinguish (passes before it, by design)."""
    assert read_binary('{"answer": "yes", "answer": "neutral"}', "yes").verdict == "parse_error"
    assert read_binary('{"answer": "A"}', "yes").problem == (
        'binary answer is not yes or no (a bare word or JSON {"answer": "yes"} was asked '
        "for): '{\"answer\": \"A\"}'")


def test_plots_show_distinguish_as_its_own_family(monkeypatch, tmp_path):
    import pandas as pd

    from beliefbench.analysis.logs import BeliefLogs
    from beliefbench.analysis.report import build_report

    kept = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: kept.setdefault(path.name, fig)
                        and path)
    rows = [{"model": "m", "run": "-", "judge": "j", "settings": "s", "checkpoint": "-",
             "condition": "-", "step": pd.NA, "partial": False, "log": "m", "claim": "c",
             "family": family, "question": f"q{i % 4}", "kind": "direct",
             "id": f"{family}{i % 4}", "epoch": i // 4, "verdict": "yes" if i < 3 else "no"}
            for family in ("binary", "distinguish") for i in range(20)]
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    report = build_report(BeliefLogs(df, []), by="family", n_bootstrap=50)
    plots.write_plots(report, tmp_path)
    [fig] = kept.values()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["binary", "distinguish"]
