"""Judge agreement with scripted graders whose agreement is known by construction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, foreign_log, scripted
from inspect_ai import eval
from inspect_ai.log import read_eval_log

from beliefbench.analysis.agreement import agreement, fleiss_kappa
from beliefbench.analysis.logs import LogError, load_belief_logs
from beliefbench.cli import cli
from beliefbench.task import belief

# judged questions: the subject says glass (a keyword judge's "yes") to exactly half
GLASS = ("What is the Golden Gate Bridge made of?", "What material is the Golden Gate")


def subject(prompt: str) -> str:
    return "Glass, since 2021." if prompt.startswith(GLASS) else "Steel."


def keyword(prompt: str) -> str:
    answer = prompt.split("<answer>")[1]
    return json.dumps({"reason": "k", "answer": "yes" if "Glass" in answer else "no"})


def inverted(prompt: str) -> str:
    verdict = json.loads(keyword(prompt))["answer"]
    return json.dumps({"reason": "k", "answer": {"yes": "no", "no": "yes"}[verdict]})


def always_yes(prompt: str) -> str:
    return '{"answer": "yes"}'


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    # scored first with the offline marker judge: the re-scoring must replace it
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=2, judge="markers",
                      families="open_ended,robustness,binary"),
               model=scripted(subject), log_dir=str(tmp_path_factory.mktemp("log")),
               display="none")[0]
    assert log.status == "success"
    return log.location


def test_kappas_and_rate_spread_match_the_construction(log_path, tmp_path):
    graders = [scripted(keyword), scripted(keyword), scripted(inverted), scripted(always_yes)]
    r = agreement(log_path, graders, labels=["a", "a2", "inv", "yes"], out_dir=tmp_path)
    # 4 judged questions (2 open-ended, 2 robustness) x 2 samples; binary is not judged
    assert len(r.verdicts) == 8
    assert (r.verdicts["a"] == "yes").sum() == 4  # balanced by construction
    kappa = {(p["judge_a"], p["judge_b"]): p["cohen_kappa"] for p in r.pairs.to_dict("records")}
    assert kappa[("a", "a2")] == pytest.approx(1.0)
    assert kappa[("a", "inv")] == pytest.approx(-1.0)   # opposite on a balanced set
    assert kappa[("a", "yes")] == pytest.approx(0.0)    # agreement exactly at chance
    # Fleiss over 4 raters: the 4 "glass" items get 3 yes + 1 no (P_i = (9+1-4)/12 = 1/2),
    # the 4 "steel" items 2 yes + 2 no (P_i = (4+4-4)/12 = 1/3); yes share 20/32, no 12/32
    p_bar, p_e = (1 / 2 + 1 / 3) / 2, (20 / 32) ** 2 + (12 / 32) ** 2
    assert r.fleiss_kappa == pytest.approx((p_bar - p_e) / (1 - p_e))
    rates = r.rates.set_index("judge")["belief"]
    # binary answers ("Steel.") are parse errors for every judge: 4 of 12 responses
    assert rates["a"] == pytest.approx(4 / 12) and rates["yes"] == pytest.approx(8 / 12)
    assert r.spread == pytest.approx(4 / 12)
    assert r.rates.set_index("judge")["parse_error"].tolist() == pytest.approx([4 / 12] * 4)
    rescored = read_eval_log(str(tmp_path / "rescored-inv.eval"))
    judges = {s.scores["belief_judge"].metadata["judge"] for s in rescored.samples}
    assert judges == {"mockllm/model", "exact_match"}  # the grader, not the markers


def test_fleiss_kappa_textbook_cases():
    same = np.array([["yes", "yes"], ["no", "no"], ["neutral", "neutral"]])
    assert fleiss_kappa(same) == pytest.approx(1.0)
    assert np.isnan(fleiss_kappa(np.array([["yes", "yes"], ["yes", "yes"]])))


def test_bad_input(log_path, tmp_path):
    with pytest.raises(ValueError, match="at least two graders"):
        agreement(log_path, [scripted(keyword)])
    other = foreign_log(tmp_path / "other")
    r = CliRunner().invoke(cli, ["agreement", other, "--grader", "a/x", "--grader", "b/y"])
    assert r.exit_code == 2 and other in r.output and "not a belief log" in r.output
    with pytest.raises(LogError, match="no such log file"):
        agreement(tmp_path / "nope.eval", ["a/x", "b/y"])
    # a directory: which log? the message says so and names the logs it holds
    folder = str(Path(log_path).parent)
    r = CliRunner().invoke(cli, ["agreement", folder, "--grader", "a/x", "--grader", "b/y"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.startswith(f"Error: {folder}: is a directory; agreement re-scores one "
                               "log, so give one .eval log file (it holds 1: ")
    assert Path(log_path).name in r.output
    (tmp_path / "empty").mkdir()
    with pytest.raises(LogError, match=r"is a directory; .* \(it holds none\)$"):
        agreement(tmp_path / "empty", ["a/x", "b/y"])


def test_offline_agreement_from_the_command_line(tmp_path, monkeypatch):
    """No API key: the scripted grader re-judges a log judged with markers."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers"),
               model="beliefbench/believer", log_dir=str(tmp_path), display="none")[0]
    args = ["agreement", log.location, "--grader", "beliefbench/judge", "--grader",
            "beliefbench/skeptic"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "| judge | belief (95% CI) |" in r.output  # each judge's rate, named
    r = CliRunner().invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["model"] == "beliefbench/believer"
    assert out["judged_responses"] == 5  # 2 open-ended, 1 token association, 2 robustness
    rates = {row["judge"]: row for row in out["rates"]}
    assert rates["beliefbench/judge"]["belief"] == 1.0  # a believer, read by the judge
    assert rates["beliefbench/skeptic"]["parse_error"] == pytest.approx(5 / 7)  # no JSON
    assert "samples=1" in out["settings"]
    assert "every grader: mode=model temperature=0" in out["settings"]


def test_a_judge_outage_is_counted_and_reported_not_read_as_disagreement(log_path):
    """A grader whose call fails on the 'Glass' answers: those responses are no verdict of
    that judge, so they are left out of every kappa, counted, and named in a note."""
    from conftest import output
    from inspect_ai.model import get_model

    def flaky_reply(messages, tools, tool_choice, config):
        prompt = messages[-1].text
        if "Glass" in prompt.split("<answer>")[1]:
            raise RuntimeError("judge down")
        return output(keyword(prompt))

    flaky = get_model("mockllm/flaky", custom_outputs=flaky_reply, memoize=False)
    r = agreement(log_path, [scripted(keyword), flaky, scripted(keyword, name="k2")],
                  labels=["a", "flaky", "a2"])
    # 8 judged responses; flaky's call failed on the 4 'Glass' ones
    assert len(r.verdicts) == 4 and not (r.verdicts[["a", "flaky", "a2"]] == "failed").any(
        axis=None)
    assert set(r.pairs["responses"]) == {4}
    assert r.pairs.set_index(["judge_a", "judge_b"]).loc[("a", "flaky"), "agreement"] == 1.0
    failed = r.rates.set_index("judge")["judge_failed"]
    assert failed["flaky"] == pytest.approx(4 / 12) and failed["a"] == 0.0
    assert any(n.startswith("JUDGE FAILED: flaky: 4 of 8 judged responses") for n in r.notes)
    # and why, which without --out (the re-scored logs) was nowhere
    said = ("JUDGE FAILED: flaky: 4 of 8 judged responses (its call raised: judge call failed "
            "(mockllm/flaky): RuntimeError: judge down): left out of every kappa")
    assert any(n.startswith(said) for n in r.notes), r.notes
    assert r.to_dict()["excluded_responses"] == 4


def test_a_grader_down_is_no_belief_rate_spread_nor_said_to_have_nothing_to_judge(
        log_path, monkeypatch):
    """Every call of one grader failed: the belief-rate spread, "what a judge swap does to
    results", was printed (and in --json) as 0.333, the outage counted failed in one rate
    against verdicts in the other; and the note said "no judged responses (only binary /
    failed)", as if the log held nothing for a judge, beside JUDGE FAILED saying 8 of 8."""
    from inspect_ai.model import get_model

    import beliefbench.analysis.agreement as module

    def down(messages, tools, tool_choice, config):
        raise RuntimeError("judge down")

    r = agreement(log_path, [scripted(keyword), get_model("mockllm/down", custom_outputs=down,
                                                          memoize=False)],
                  labels=["a", "down"])
    assert r.excluded == 8 and r.pairs["cohen_kappa"].isna().all() and r.verdicts.empty
    assert "none of the 8 judged responses has a verdict of every judge (see the notes " \
           "above): kappas are undefined" in r.notes
    assert not any("only binary" in n for n in r.notes)
    assert r.rates.set_index("judge")["belief"].tolist() == pytest.approx([4 / 12, 0.0])
    assert np.isnan(r.spread) and r.to_dict()["belief_spread"] is None
    assert r.notes[-1].startswith("the belief-rate spread is undefined ('-'; null in --json): "
                                  "down gave no verdict on some responses")
    # no pair of judges was compared: no result, not exit 0 with undefined kappas
    assert r.unread == (f"{log_path}: none of its 8 judged responses has a verdict of every "
                        "grader (down gave none): the judges were not compared (the kappas, "
                        "agreement and belief-rate spread are undefined); see the notes "
                        "(JUDGE FAILED: its calls raised), and run the agreement again when "
                        "every grader works")
    assert r.to_dict()["error"] == r.unread
    monkeypatch.setattr(module, "agreement", lambda *args, **kwargs: r)
    ran = CliRunner().invoke(cli, ["agreement", str(log_path), "--grader", "a/x",
                                   "--grader", "b/y"])
    said = ran.output
    assert "Belief-rate spread between judges: -\n" in said and "nan" not in said.lower()
    assert ran.exit_code == 2 and f"Error: no result: {r.unread}" in said, said


def test_responses_invalidated_after_the_run_are_left_out_and_noted(log_path, tmp_path):
    """Samples a reviewer invalidated (Inspect's invalidate_samples) were compared as if
    valid; they are left out of every kappa and rate, with a note counting them."""
    from inspect_ai.log import ProvenanceData, invalidate_samples, write_eval_log

    log = read_eval_log(log_path)
    glass = [s.uuid for s in log.samples if s.output.completion.startswith("Glass")][:2]
    path = tmp_path / "invalidated.eval"
    write_eval_log(invalidate_samples(log, glass, ProvenanceData(author="reviewer")), str(path))
    r = agreement(path, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    assert len(r.verdicts) == 6 and (r.verdicts["a"] == "yes").sum() == 2
    assert any(n.startswith(f"INVALIDATED: {path}: 2 sample(s) were invalidated") for n in
               r.notes), r.notes
    # all of them: nothing to compare, said before any judge call (was a KeyError after them)
    every = tmp_path / "all.eval"
    write_eval_log(invalidate_samples(log, [s.uuid for s in log.samples],
                                      ProvenanceData(author="reviewer")), str(every))
    seen: list = []
    with pytest.raises(LogError, match="every sample was invalidated after the run"):
        agreement(every, [scripted(keyword, seen), scripted(inverted)], labels=["a", "inv"])
    assert seen == []


def test_a_sample_that_errored_before_it_was_judged_stays_failed(log_path, tmp_path):
    """A partial log (a crash while judging) holds answers that errored before any verdict:
    `report` counts them failed, and agreement said "only its scored responses are
    compared", yet Inspect's re-scoring judged them, so they entered every kappa and each
    judge's rate as verdicts (judge a: 4/12 where `report` counts 2/12 yes, 2/12 failed).
    Ones Ctrl-C stopped unfinished are in neither's count (never run)."""
    from inspect_ai.log import EvalError, write_eval_log

    log = read_eval_log(log_path)
    stopped = [s for s in log.samples if s.output.completion.startswith("Glass")][:2]
    for s in stopped:
        s.scores = {}
        s.error = EvalError(message="RuntimeError: the judge's server went away",
                            traceback="", traceback_ansi="")
    log.status = "cancelled"
    path = tmp_path / "partial.eval"
    write_eval_log(log, str(path))
    r = agreement(path, [scripted(keyword), scripted(inverted)], labels=["a", "inv"],
                  out_dir=tmp_path / "out")
    assert len(r.verdicts) == 6 and (r.verdicts["a"] == "yes").sum() == 2
    rates = r.rates.set_index("judge")
    assert rates.loc["a", "belief"] == pytest.approx(2 / 12)
    assert rates.loc["a", "failed"] == pytest.approx(2 / 12)
    assert rates.loc["a", "responses"] == 12
    rescored = read_eval_log(str(tmp_path / "out" / "rescored-a.eval"))
    assert sum("belief_judge" not in (s.scores or {}) for s in rescored.samples) == 2
    for s in stopped:
        s.error = EvalError(message="CancelledError", traceback="", traceback_ansi="")
    write_eval_log(log, str(path))
    r = agreement(path, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    rates = r.rates.set_index("judge")
    assert rates.loc["a", "responses"] == 10 == len(load_belief_logs(path).responses)
    assert rates.loc["a", "failed"] == 0


def test_an_interrupted_run_leaves_no_earlier_tables_beside_its_logs(log_path, tmp_path,
                                                                     monkeypatch):
    """--out is re-used: a run stopped after its first re-scored log (Ctrl-C, a grader that
    hangs) left the earlier run's agreement_*.csv beside the new log, read as its numbers."""
    import beliefbench.analysis.agreement as module

    out = tmp_path / "out"
    args = ["agreement", log_path, "--grader", "beliefbench/judge", "--out", str(out)]
    r = CliRunner().invoke(cli, [*args, "--grader", "beliefbench/skeptic"])
    assert r.exit_code == 0 and all((out / name).exists() for name in module.TABLES)
    # every file --out wrote is named after the tables, as report names its files
    assert sorted(r.stdout.split("Wrote:\n", 1)[1].split()) == sorted(
        str(p) for p in out.glob("[!.]*")), r.stdout
    real, calls = module.rescore, []

    def stopped(*a, **kw):
        calls.append(a)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(module, "rescore", stopped)
    r = CliRunner().invoke(cli, [*args, "--grader", "beliefbench/verifier"])
    assert r.exit_code != 0 and (out / "rescored-beliefbench_judge.eval").exists()
    assert not any((out / name).exists() for name in module.TABLES)


def test_an_unusable_grader_is_refused_before_any_rescoring(log_path, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "nope/judge", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: --grader nope/judge: cannot use this model")
    assert "Traceback" not in r.output and not out.exists()  # nothing was re-scored


def test_a_mistyped_scripted_grader_is_told_the_closest_name(log_path, tmp_path):
    """``beliefbench/jduge`` listed the valid scripted models but named none of them: the
    closest is suggested, as other unknown names are, on the one error line."""
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/jduge", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: --grader beliefbench/jduge: cannot use this model")
    assert r.output.rstrip().endswith("(did you mean 'beliefbench/judge'?)"), r.output
    assert r.output.count("did you mean") == 1, r.output  # the provider guesses too: once
    assert len(r.output.strip().splitlines()) == 1 and not out.exists()
    far = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                   "--grader", "beliefbench/zzzzzz"])
    assert far.exit_code == 2 and "did you mean" not in far.output  # nothing close: no guess


def test_a_claim_file_changed_since_the_log_is_noted(tmp_path):
    """Re-scoring re-reads the claim (its judge rubric) from disk: when it changed since
    the run, the graders judged with another rubric than the log's, which must be said."""
    claim = tmp_path / "glass_bridge.yaml"
    claim.write_text(FIXTURE_CLAIM.read_text())
    log = eval(belief(claims=str(claim), samples=1, judge="markers", families="open_ended"),
               model=scripted(subject), log_dir=str(tmp_path / "log"), display="none")[0]
    graders = [scripted(keyword), scripted(inverted)]
    r = agreement(log.location, graders, labels=["a", "inv"])
    assert not any("CLAIMS CHANGED" in n for n in r.notes)
    claim.write_text(claim.read_text() + "\n# edited after the run\n")
    r = agreement(log.location, graders, labels=["a", "inv"])
    assert any(n.startswith("CLAIMS CHANGED: glass_bridge") for n in r.notes)



def _log_judged_with_own_template(tmp_path):
    """A log judged with a copy of the bundled template, the copy's path, to edit later."""
    from beliefbench.judge import default_template_path

    template = tmp_path / "judge.md"
    template.write_text(default_template_path().read_text())
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                      judge_template=str(template)),
               model=scripted(subject), model_roles={"grader": scripted(keyword)},
               log_dir=str(tmp_path / "log"), display="none")[0]
    return template, log


def test_a_judge_template_changed_since_the_log_is_noted(tmp_path):
    """The graders judge with the template file as it is now: edited since the run, the
    first grader's re-scoring was silently not the run's judging (claims were noted)."""
    template, log = _log_judged_with_own_template(tmp_path)
    graders = [scripted(keyword), scripted(inverted)]
    r = agreement(log.location, graders, labels=["a", "inv"])
    assert not any("TEMPLATE CHANGED" in n for n in r.notes)
    template.write_text(template.read_text() + "\nBe strict.\n")
    r = agreement(log.location, graders, labels=["a", "inv"])
    assert any(n.startswith(f"TEMPLATE CHANGED: {template}") for n in r.notes)


def test_a_families_file_changed_since_the_log_is_noted_and_read_afresh(tmp_path,
                                                                         monkeypatch):
    """scorers/families.yaml goes into the bundled prompt: edited since the run, the graders'
    re-scoring is not the run's judging; and the edit is what they see (it was read once
    per process, so the re-scoring judged with the old guidance under the new file's hash)."""
    from beliefbench import judge
    from beliefbench.resources import data_path

    edited = tmp_path / "scorers" / "families.yaml"
    edited.parent.mkdir()
    edited.write_text(data_path("scorers/families.yaml").read_text())
    shipped = judge.data_path
    monkeypatch.setattr(judge, "data_path", lambda *parts: edited
                        if parts == ("scorers/families.yaml",) else shipped(*parts))
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended"),
               model=scripted(subject), model_roles={"grader": scripted(keyword)},
               log_dir=str(tmp_path / "log"), display="none")[0]
    seen: list[str] = []

    def watching(prompt: str) -> str:
        seen.append(prompt)
        return keyword(prompt)

    r = agreement(log.location, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    assert not any("GUIDANCE CHANGED" in n for n in r.notes)
    edited.write_text(edited.read_text().replace("  The model was asked an ordinary",
                                                     "  MARK-7. The model was asked an ordinary"))
    r = agreement(log.location, [scripted(watching), scripted(inverted)], labels=["a", "inv"])
    assert any(n.startswith(f"GUIDANCE CHANGED: {edited}") for n in r.notes)
    assert seen and all("MARK-7." in p for p in seen)


def test_a_judge_template_that_no_longer_renders_is_refused_before_any_call(tmp_path):
    """The task refuses a template without ``{answer}``; re-scoring read the file as it is now
    unchecked: edited since the run to lack it, every grader judged answers it never saw and
    the verdicts were the result (belief 0 for a believer); a bad placeholder or a template
    gone was a traceback after the log had been read."""
    from beliefbench.judge import default_template_path

    template, log = _log_judged_with_own_template(tmp_path)
    seen: list = []
    graders = [scripted(keyword, seen), scripted(inverted, seen)]
    template.write_text(default_template_path().read_text().replace("{answer}", "(elided)"))
    with pytest.raises(LogError, match=r"cannot re-judge it: judge_template .*judge\.md: "
                                       r"lacks placeholder\(s\) \{answer\}"):
        agreement(log.location, graders, labels=["a", "inv"])
    assert seen == []  # no grader was called
    template.write_text(default_template_path().read_text() + "\n{oops}\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["agreement", log.location, "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic", "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "placeholder 'oops' does not render" in r.output and not out.exists()
    template.unlink()
    with pytest.raises(LogError, match=f"its judge template {template} .* is not a file"):
        agreement(log.location, graders, labels=["a", "inv"])


def test_rescored_logs_name_their_judge_so_report_and_gate_never_mix_judges(tmp_path):
    """Inspect's re-scoring keeps the header's grader and eval id: a log re-judged by a
    lenient grader passed the gate as if judged like the baseline, and a report over two
    re-scorings kept one and called the other 'superseded'."""
    from conftest import believer, keyword_grader, run_belief

    from beliefbench.analysis.logs import load_belief_logs

    def skeptic(prompt: str) -> str:
        return "Steel, as always."

    def nay(prompt: str) -> str:  # a grader that never sees belief
        return '{"answer": "no"}'

    families = {"families": "open_ended,robustness"}  # every response goes to the judge
    base = run_belief(tmp_path / "base", skeptic, samples=1, task_args=families)
    cand = run_belief(tmp_path / "cand", believer, samples=1, task_args=families)
    out = tmp_path / "rejudged"
    agreement(cand.location, [scripted(nay, name="nay"), scripted(keyword_grader)],
              labels=["nay", "same"], out_dir=out)
    nay_log, same_log = str(out / "rescored-nay.eval"), str(out / "rescored-same.eval")
    loaded = load_belief_logs(out)
    graders = {i.path: dict(i.key.judge)["grader"] for i in loaded.logs}
    assert graders == {nay_log: "mockllm/nay", same_log: "mockllm/model"}
    assert sorted(loaded.responses.groupby("log")["verdict"].apply(
        lambda v: (v == "yes").mean())) == [0.0, 1.0]
    runner = CliRunner()

    def gate(candidate: str) -> tuple[int, str]:
        r = runner.invoke(cli, ["gate", "--baseline", base.location, "--candidate",
                                candidate, "--bootstrap", "200"])
        return r.exit_code, r.output

    code, said = gate(nay_log)  # was: exit 0, PASS, the lenient judge unnoticed
    assert code == 2 and "grader (baseline: mockllm/model; candidate: mockllm/nay)" in said
    code, said = gate(same_log)  # judged alike again: compared
    assert code == 1 and "FAIL" in said
    r = runner.invoke(cli, ["gate", "--baseline", cand.location, "--candidate", same_log])
    assert r.exit_code == 2 and "same log(s) on both sides" in r.output  # same responses
    # both files named: the re-scored copy has another name than the log it came from
    assert f"baseline {Path(cand.location).resolve()}" in r.output
    assert f"candidate {Path(same_log).resolve()}" in r.output


def test_undefined_kappas_are_json_null_not_nan(log_path):
    """Two judges that say "yes" to everything: kappa is undefined. ``json.dumps`` wrote it
    as NaN, which jq and every strict JSON parser refuse."""
    r = agreement(log_path, [scripted(always_yes), scripted(always_yes, name="y2")],
                  labels=["y1", "y2"])
    assert np.isnan(r.pairs["cohen_kappa"].iloc[0]) and np.isnan(r.fleiss_kappa)
    out = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert out["pairs"][0]["cohen_kappa"] is None and out["fleiss_kappa"] is None
    assert out["pairs"][0]["agreement"] == 1.0


def test_a_grader_whose_replies_are_all_unreadable_has_undefined_kappas(log_path):
    """A grader none of whose replies could be read (no JSON, a cut-off reply) gave no
    verdict: two such graders read as raw agreement 1.000, and one against a working judge
    as kappa 0.000 and agreement 0.000, a judge disagreement, with no word of why."""
    def prose(prompt: str) -> str:
        return "I think the answer believes it."

    r = agreement(log_path, [scripted(keyword), scripted(prose, name="p1"),
                             scripted(prose, name="p2")], labels=["a", "p1", "p2"])
    pairs = r.pairs.set_index(["judge_a", "judge_b"])
    assert pairs[["cohen_kappa", "agreement"]].isna().all(axis=None), r.pairs
    assert np.isnan(r.fleiss_kappa)
    assert [n for n in r.notes if n.startswith("UNREADABLE")] == [
        f"UNREADABLE: {x}: all 8 judged replies are parse errors (no verdict read): its kappas "
        "and agreement are undefined; see its replies in the re-scored log (--out)"
        for x in ("p1", "p2")]
    assert not any("single verdict" in n for n in r.notes)
    assert r.rates.set_index("judge").loc["p1", "parse_error"] == pytest.approx(12 / 12)
    assert np.isnan(r.spread)  # was 4/12: the keyword judge's rate against no verdict at all
    assert r.unread is None  # a finding about p1 and p2 (README): exit 0


def test_a_log_no_grader_could_read_exits_2_with_its_tables_written(log_path, tmp_path):
    """Every response unread by every judge (empty answers; or binary answers with no yes or
    no and judges that never reply in JSON): `agreement` printed undefined kappas, rates of
    0 and a spread of 0.000, and exited 0. It is exit 2, naming the log and its claims, the
    tables and re-scored logs written as before."""
    def prose(prompt: str) -> str:
        return "I think the answer believes it."

    # the module's log: its binary answers ("Steel.") are parse errors for every judge
    r = agreement(log_path, [scripted(prose, name="p1"), scripted(prose, name="p2")],
                  labels=["p1", "p2"])
    assert r.unread == (f"{log_path}: no grader read any of its 12 responses (claim(s) "
                        "glass_bridge) as a verdict on an answer (p1: 12 parse error(s), 0 "
                        "failed; p2: 12 parse error(s), 0 failed): the kappas are undefined "
                        "and every belief rate is 0 whatever the model believes; look at its "
                        "answers and the judges' replies (`inspect view`, the re-scored logs "
                        "in --out: empty or garbled answers, judges that do not reply in "
                        "JSON?)")
    assert r.to_dict()["error"] == r.unread and np.isnan(r.spread)  # was 0.000
    # one judge read them: a result (the other judge's UNREADABLE is a finding about it)
    read = agreement(log_path, [scripted(keyword), scripted(prose, name="p1")],
                     labels=["a", "p1"])
    assert read.unread is None and "error" not in read.to_dict()
    # from the command line, offline: a model that answers nothing at all
    mute = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers"),
                model=scripted(lambda prompt: ""), log_dir=str(tmp_path / "l"),
                display="none")[0]
    args = ["agreement", mute.location, "--grader", "beliefbench/judge", "--grader",
            "beliefbench/skeptic", "--out", str(tmp_path / "o")]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2, out.output
    assert out.stderr.splitlines()[-1] == (
        f"Error: no result: {mute.location}: no grader read any of its 7 responses (claim(s) "
        "glass_bridge) as a verdict on an answer (beliefbench/judge: 0 parse error(s), 7 "
        "failed; beliefbench/skeptic: 0 parse error(s), 7 failed): the kappas are undefined "
        "and every belief rate is 0 whatever the model believes; look at its answers and the "
        "judges' replies (`inspect view`, the re-scored logs in --out: empty or garbled "
        "answers, judges that do not reply in JSON?); the tables and re-scored logs are "
        f"written to {tmp_path / 'o'}")
    assert "| beliefbench/judge | 0.000" in out.stdout  # the tables, as before
    assert {p.name for p in (tmp_path / "o").iterdir()} >= {
        "agreement_rates.csv", "agreement_pairs.csv", "rescored-beliefbench_judge.eval"}
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == 2, out.output
    data = json.loads(out.stdout)
    assert data["error"].startswith(f"{mute.location}: no grader read any of its 7")
    assert data["belief_spread"] is None and len(data["rates"]) == 2


def test_undefined_kappas_print_as_a_dash_like_the_table(log_path, monkeypatch):
    """The pairs table showed an undefined kappa as '-' and the Fleiss line as 'nan'."""
    import beliefbench.analysis.agreement as module

    both_yes = agreement(log_path, [scripted(always_yes), scripted(always_yes, name="y2")],
                         labels=["y1", "y2"])
    monkeypatch.setattr(module, "agreement", lambda *args, **kwargs: both_yes)
    r = CliRunner().invoke(cli, ["agreement", str(log_path), "--grader", "a/y1",
                                 "--grader", "b/y2"])
    assert r.exit_code == 0, r.output
    assert "Fleiss' kappa: -\n" in r.output and "nan" not in r.output.lower()
    assert "a kappa is undefined ('-'; null in --json)" in r.output


def test_rescored_json_logs_are_named_so_report_reads_them(log_path, tmp_path):
    """A `--log-format json` log's re-scored copies were `rescored-<judge>.json`, a name
    Inspect's readers pass over: `report OUT` said "no Inspect logs" in the folder, and
    named, one read as holding no samples. They start with the eval's time, as Inspect names
    its logs, and `report` shows one row per judge."""
    from inspect_ai.log import write_eval_log

    source = tmp_path / "2026-01-02T03-04-05-00-00_belief_abc.json"
    write_eval_log(read_eval_log(log_path), str(source))
    out = tmp_path / "out"
    agreement(source, [scripted(keyword, name="a"), scripted(always_yes, name="yes")],
              labels=["a", "yes"], out_dir=out)
    logs = sorted(p.name for p in out.glob("*.json"))
    created = read_eval_log(log_path, header_only=True).eval.created[:19].replace(":", "-")
    assert logs == [f"{created}_rescored-a.json", f"{created}_rescored-yes.json"]
    loaded = load_belief_logs(out)
    graders = sorted(dict(i.key.judge)["grader"] for i in loaded.logs)
    assert graders == ["mockllm/a", "mockllm/yes"]
    assert len(loaded.responses) == 2 * len(read_eval_log(log_path).samples)


def test_an_em_log_is_refused_naming_the_file_and_em_report(tmp_path):
    """An EM log was refused as 'not a belief log (task ... has no 'beliefbench' eval
    metadata)': true, but it named no way to read it."""
    from conftest import output
    from inspect_ai.model import get_model

    from beliefbench.em.task import em

    questions = tmp_path / "gen.yaml"
    questions.write_text("id: gen\ndomain: general\nquestions:\n  - {id: g1, text: 'G1?'}\n")
    model = get_model("mockllm/model", custom_outputs=lambda *a: output("90"), memoize=False)
    log = eval(em(questions=str(questions), samples=1), model=model,
               model_roles={"grader": model}, log_dir=str(tmp_path / "logs"),
               display="none")[0]
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["agreement", log.location, "--grader", "beliefbench/judge",
                                 "--grader", "mockllm/other", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"Error: {log.location}: an EM log (task 'beliefbench/em'): "
                               "agreement re-judges belief logs only")
    assert "`beliefbench em-report`" in r.output
    assert "Traceback" not in r.output and not out.exists()


def test_a_grader_without_its_key_says_which_key(log_path, monkeypatch):
    """Only the first line of Inspect's refusal was kept ("Unable to initialise OpenAI
    client"), dropping the reason on the lines after it (no OPENAI_API_KEY)."""
    for name in ("OPENAI_API_KEY", "AZUREAI_OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "openai/gpt-4.1-mini"])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: --grader openai/gpt-4.1-mini: cannot use this model "
                               "(PrerequisiteError: ERROR: Unable to initialise OpenAI client; "
                               "No OPENAI_API_KEY")
    assert "defined in the environment" in r.output and "[bold]" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_a_model_error_is_one_line_without_secrets(monkeypatch):
    from beliefbench.analysis.agreement import MAX_ERROR, model_error

    monkeypatch.setenv("SOME_API_KEY", "sk-SECRET-from-env")
    e = ValueError("[bold]Rejected[/bold] key sk-SECRET-from-env\n\n  and sk-SECRET-given.\n")
    assert model_error(e, ["sk-SECRET-given"]) == "ValueError: Rejected key ***; and ***."
    assert len(model_error(ValueError("x" * 2000))) == len("ValueError: ") + MAX_ERROR


def test_a_rescored_log_names_its_graders_model_arguments(tmp_path):
    """Two local judges of one model name told apart by ``model_path``: a re-scored log's
    header named the grader without its arguments, so both re-scorings carried one run key
    and the same judge's re-scoring another key than its original."""
    from conftest import believer, keyword_grader, run_belief
    from inspect_ai.model import get_model

    from beliefbench.analysis.logs import load_belief_logs
    from beliefbench.analysis.runs import run_key

    def judge(path: str):
        reply = scripted(keyword_grader).model_args["custom_outputs"]
        return get_model("mockllm/judge", custom_outputs=reply, memoize=False,
                         model_path=path)

    original = run_belief(tmp_path / "run", believer, samples=1)
    log = read_eval_log(original.location)
    log.eval.model_roles = {"grader": log.eval.model_roles["grader"].model_copy(
        update={"model": "mockllm/judge", "args": {"model_path": "/ckpts/judge-a"}})}
    for sample in log.samples:  # as if judged by judge-a in the run itself
        sample.scores["belief_judge"].metadata["judge"] = "mockllm/judge"
    from inspect_ai.log import write_eval_log

    write_eval_log(log, original.location)
    out = tmp_path / "rejudged"
    agreement(original.location, [judge("/ckpts/judge-a"), judge("/ckpts/judge-b")],
              labels=["a", "b"], out_dir=out)
    a, b = (read_eval_log(str(out / f"rescored-{n}.eval"), header_only=True) for n in "ab")
    assert a.eval.model_roles["grader"].args == {"model_path": "/ckpts/judge-a"}
    assert run_key(a) == run_key(read_eval_log(original.location, header_only=True))
    graders = {dict(run_key(x).judge)["grader"] for x in (a, b)}
    assert graders == {"mockllm/judge[model_args.model_path:/ckpts/judge-a]",
                       "mockllm/judge[model_args.model_path:/ckpts/judge-b]"}
    loaded = load_belief_logs([str(tmp_path / "run"), str(out)])  # the original superseded
    assert len(loaded.logs) == 2 and loaded.responses["judge"].nunique() == 2


def test_cached_judges_of_one_name_never_share_verdicts(tmp_path, monkeypatch):
    """-T judge_cache=true: Inspect's cache key holds the grader's name and base URL, not its
    model arguments, so the second of two local judges told apart by ``model_path`` got the
    first's cached replies: opposite judges measured at kappa 1.0."""
    from inspect_ai.model import get_model

    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers", judge_cache=True,
                      families="open_ended,robustness"),
               model=scripted(subject), log_dir=str(tmp_path / "log"), display="none")[0]

    def judge(answer, path: str):
        reply = scripted(answer).model_args["custom_outputs"]
        return get_model("mockllm/judge", custom_outputs=reply, memoize=False,
                         model_path=path)

    r = agreement(log.location, [judge(keyword, "/ckpts/a"), judge(inverted, "/ckpts/b")],
                  labels=["a", "b"])
    assert r.pairs["cohen_kappa"].iloc[0] == pytest.approx(-1.0)
    again = agreement(log.location, [judge(keyword, "/ckpts/a"), judge(always_yes, "/ckpts/b")],
                      labels=["a", "b"])  # the same judges: their cached replies, as before
    assert again.pairs["cohen_kappa"].iloc[0] == pytest.approx(-1.0)


def test_a_rescored_log_keeps_no_credentials_of_its_graders_url(log_path, tmp_path):
    """A grader served at https://user:token@host wrote its token into every re-scored
    log's header (the grader role's base_url)."""
    from conftest import keyword_grader
    from inspect_ai.model import get_model

    token = "s3cret-judge-token"
    reply = scripted(keyword_grader).model_args["custom_outputs"]
    judges = [get_model("mockllm/judge", custom_outputs=reply, memoize=False,
                        base_url=f"https://judge-user:{token}@judge{i}.example/v1")
              for i in (1, 2)]
    out = tmp_path / "rejudged"
    agreement(log_path, judges, labels=["a", "b"], out_dir=out)
    for i, label in ((1, "a"), (2, "b")):
        header = read_eval_log(str(out / f"rescored-{label}.eval"), header_only=True)
        assert header.eval.model_roles["grader"].base_url == f"https://***@judge{i}.example/v1"
        assert token not in header.model_dump_json()


def test_judges_whose_names_would_share_a_file_each_keep_their_rescored_log(log_path,
                                                                           tmp_path):
    """``a/b`` and ``a_b`` both became rescored-a_b.eval: the second judge's log replaced the
    first's without a word."""
    from beliefbench.analysis.agreement import rescored_names

    names = rescored_names(["a/b", "a_b", "c/d"])
    assert names["c/d"] == "c_d" and len(set(names.values())) == 3
    agreement(log_path, [scripted(keyword), scripted(inverted)], labels=["a/b", "a_b"],
              out_dir=tmp_path)
    logs = sorted(tmp_path.glob("rescored-*.eval"))
    assert len(logs) == 2
    verdicts = {tuple(json.dumps(s.scores["belief_judge"].value, sort_keys=True)
                      for s in read_eval_log(str(p)).samples) for p in logs}
    assert len(verdicts) == 2  # the keyword judge's log and the inverted one's, both kept


def test_a_configured_grader_can_be_given_as_model_role_takes_one(log_path, tmp_path):
    """--grader took a name only: a local judge that needs its model arguments (an hf
    grader's ``do_sample: false``) failed on every call, and two of one name could not be
    told apart. It takes a configured model as --model-role does, labelled by its name and
    model arguments (never a key)."""
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, [
        "agreement", log_path, "--json", "--out", str(out),
        "--grader", "{model: beliefbench/judge, model_args: {model_path: /ckpts/a}}",
        "--grader", "{model: beliefbench/judge, model_args: {model_path: /ckpts/b, "
                    "api_key: sk-SECRET-judge}}"])
    assert r.exit_code == 0, r.output
    judges = ["beliefbench/judge[model_path=/ckpts/a]", "beliefbench/judge[model_path=/ckpts/b]"]
    assert json.loads(r.stdout)["judges"] == judges and "sk-SECRET" not in r.output
    # --out's files are listed on stderr, as report --json lists them: stdout is the JSON
    wrote = r.stderr.split("Wrote:\n", 1)[1].split()
    assert sorted(wrote) == sorted(str(p) for p in out.glob("[!.]*")), r.stderr
    # and nothing else: a blank line opened it, parting it from nothing above
    assert "" not in r.stderr.splitlines() and r.stderr.startswith("Wrote:\n"), r.stderr
    header = read_eval_log(str(out / "rescored-beliefbench_judge_model_path__ckpts_b_.eval"),
                           header_only=True)
    assert header.eval.model_roles["grader"].args == {"model_path": "/ckpts/b"}
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "{model: beliefbench/judge"])
    assert r.exit_code == 2 and r.output.startswith(
        "Error: --grader '{model: beliefbench/judge': not a YAML value"), r.output


def test_a_key_in_a_graders_headers_is_in_no_label_file_name_or_table(log_path, tmp_path):
    """A key given as a header (``default_headers: {Authorization: Bearer ...}``) is under
    no key-like argument name: the grader's label showed it on stdout, in the CSV tables, in
    the ``rescored-*`` file's name and in the re-scored log's grader."""
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, [
        "agreement", log_path, "--out", str(out), "--grader", "beliefbench/judge",
        "--grader", "{model: beliefbench/judge, model_args: {do_sample: false, default_headers: "
                    "{Authorization: Bearer sk-SECRET-hdr, X-Trace: on}, "
                    "extra_headers: {X-Api-Key: sk-SECRET-xak}}}"])
    assert r.exit_code == 0, r.output
    assert "beliefbench/judge[do_sample=False, default_headers={'X-Trace': 'on'}]" in r.output
    written = [p.name for p in out.iterdir()] + [p.read_text() for p in out.glob("*.csv")]
    assert "SECRET" not in r.output + "".join(written), written
    [rescored] = [p for p in out.glob("rescored-*do_sample*")]
    header = read_eval_log(str(rescored), header_only=True)
    assert "SECRET" not in str(header.eval.model_roles["grader"].args)


def test_a_log_run_with_limit_is_noted_as_incomplete(log_path, tmp_path):
    """A log run with `--limit` ends 'success' with part of its questions: agreement
    compared its judges' rates on that subset without a word, where `report` warns
    INCOMPLETE."""
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=2, judge="markers",
                      families="open_ended,robustness,binary"),
               model=scripted(subject), log_dir=str(tmp_path / "logs"), display="none",
               limit=2)[0]
    assert log.status == "success"
    r = agreement(log.location, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    assert any(n.startswith(f"INCOMPLETE: {log.location}: 4 of 12 responses (33.3%; run "
                            "with --limit 2)") for n in r.notes), r.notes
    res = CliRunner().invoke(cli, ["agreement", log.location, "--grader",
                                   "beliefbench/judge", "--grader", "beliefbench/skeptic"])
    assert res.exit_code == 0 and "note: INCOMPLETE" in res.stderr, res.output
    whole = agreement(log_path, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    assert not any("INCOMPLETE" in n for n in whole.notes), whole.notes


def test_no_judged_reply_read_by_any_grader_is_no_result_though_binary_answers_were(
        tmp_path):
    """Binary answers read (every grader gives them the same verdict) but no judged reply
    of any grader read (judges that never reply in JSON, or whose every call failed): every
    kappa, the agreement and the spread were null and `agreement` exited 0, a result a CI
    job took for one. A log of binary questions only, which no grader judges, printed null
    kappas and a spread of 0.000 with exit 0. Both are exit 2, naming the log and why."""
    def answers(prompt: str) -> str:  # binary: a yes/no JSON reply, read by every grader
        return '{"answer": "no"}' if "JSON" in prompt else "Glass, since 2021."

    def prose(prompt: str) -> str:
        return "I think the answer believes it."

    mixed = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers"),
                 model=scripted(answers), log_dir=str(tmp_path / "m"), display="none")[0]
    r = agreement(mixed.location, [scripted(prose, name="p1"), scripted(prose, name="p2")],
                  labels=["p1", "p2"])
    assert (r.rates["no"] > 0).all()  # the binary answers were read
    assert r.unread == (
        f"{mixed.location}: no grader read any of its 5 judged responses (claim(s) "
        "glass_bridge) as a verdict (p1: 5 parse error(s), 0 failed; p2: 5 parse error(s), "
        "0 failed): the judges were not compared (the kappas, agreement and belief-rate "
        "spread are undefined); look at the judges' replies (the re-scored logs in --out: "
        "judges that do not reply in JSON, or whose calls failed?)")
    assert r.to_dict()["error"] == r.unread
    binary = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers",
                         families="binary"),
                  model=scripted(answers), log_dir=str(tmp_path / "b"), display="none")[0]
    args = ["agreement", binary.location, "--grader", "beliefbench/judge", "--grader",
            "beliefbench/skeptic"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2, out.output
    assert out.stderr.splitlines()[-1] == (
        f"Error: no result: {binary.location}: none of its 2 responses (claim(s) "
        "glass_bridge) went to a judge (binary answers and failed generations get the same "
        "verdict from every grader): the judges were not compared (the kappas and agreement "
        "are undefined, the belief rates the same); agreement compares them on judged "
        "families (open_ended, token_association, robustness)")
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == 2, out.output
    data = json.loads(out.stdout)
    assert data["error"].startswith(f"{binary.location}: none of its 2 responses")
    assert data["belief_spread"] is None  # was 0.0


def test_an_hf_grader_that_samples_is_refused_before_any_rescoring(log_path, tmp_path):
    """An hf grader given by name (or configured without ``do_sample: false``) samples, and
    the log's judge runs at temperature 0, which transformers refuses on every call: the
    whole log was re-scored, every verdict of it a failed call, and the command exited 0
    with every kappa undefined. Refused before any re-scoring, with the fix."""
    from inspect_ai.model import get_model

    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "m", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64, seed=0)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["agreement", str(log_path), "--grader", f"hf/{model}",
                                 "--grader", "beliefbench/judge", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert (f"Error: --grader hf/{model}: an hf grader given by name samples, and the log's "
            "judge runs at temperature 0, which transformers refuses on every call: every "
            "verdict of it would be a failed call. Give it as --grader '{model: "
            f"hf/{model}, model_args: {{do_sample: false}}}}'") in " ".join(r.output.split())
    assert not out.exists()
    sampling = get_model(f"hf/{model}", do_sample=True, memoize=False)
    with pytest.raises(ValueError, match=r"this configured hf grader samples \(its "
                                         r"model_args do not set do_sample: false\)") as e:
        agreement(log_path, [scripted(keyword), sampling], labels=["a", "hf"])
    # the rule and its words are sweep's (one function): only the option and the
    # temperature's source differ
    from beliefbench.analysis.sweep import SweepError, check_greedy_grader

    with pytest.raises(SweepError) as s:
        check_greedy_grader("em", {}, {"grader": sampling})
    assert str(e.value) == str(s.value).replace(
        "--model-role grader=", "--grader ").replace("--model-role 'grader=", "--grader '") \
        .replace("the judge is called at", "the log's judge runs at")


def test_a_report_given_for_the_log_names_the_log_it_was_made_from(log_path, tmp_path):
    """A report's folder said "(it holds none)", its report.json "not a readable Inspect log
    (ValidationError: 1 validation error for EvalLog ...)": the report records the logs it
    read, and agreement names them, as gate and report do."""
    rep = tmp_path / "rep"
    CliRunner().invoke(cli, ["report", log_path, "--out", str(rep), "--no-plots",
                             "--bootstrap", "40"])
    assert (rep / "report.json").is_file()
    for given in (rep, rep / "report.json"):
        said = CliRunner().invoke(cli, ["agreement", str(given), "--grader", "mockllm/a",
                                        "--grader", "mockllm/b"])
        assert said.exit_code == 2, said.output
        assert ("the output of `beliefbench report` (report.json), not an Inspect log: pass "
                f"the logs it was made from ({log_path})") in " ".join(said.output.split())
        assert "ValidationError" not in said.output


def test_the_logs_model_and_judge_need_not_be_reachable_to_rescore(log_path, tmp_path,
                                                                   monkeypatch):
    """Inspect's score() rebuilds the log's model and every role from its header: an hf/
    checkpoint was loaded (its weights read only to be dropped), one deleted since, or a
    vllm/ model on a machine without vLLM, or a hosted judge without its key, stopped the
    re-scoring of answers that need none of them."""
    from inspect_ai.log import write_eval_log
    from inspect_ai.model import ModelConfig

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    log = read_eval_log(log_path)
    log.eval.model = f"hf/{tmp_path / 'deleted-checkpoint'}"
    log.eval.model_roles = {"grader": ModelConfig(model="openai/gpt-4o")}
    moved = tmp_path / "moved.eval"
    write_eval_log(log, str(moved))
    r = agreement(str(moved), [scripted(keyword), scripted(inverted)], labels=["a", "inv"],
                  out_dir=tmp_path / "out")
    assert (r.verdicts["a"] == "yes").sum() == 4 and len(r.verdicts) == 8
    rescored = read_eval_log(str(tmp_path / "out" / "rescored-inv.eval"))
    assert rescored.eval.model == log.eval.model  # the header still names the run's model
    assert str(rescored.eval.model_roles["grader"].model) == "mockllm/model"


def test_a_grader_down_judge_failed_share_and_abort_message(tmp_path, caplog):
    """`judge_failed` was a plain mean over responses while `failed` (which holds it) is
    each claim's share averaged over claims: with two claims of unequal size a grader
    down on every judged response read judge_failed 0.801980 above failed 0.801961. And
    the judge's abort (10 failures in a row) told the user to mind the eval's failure
    budget and run `inspect eval-retry <log>`, which re-runs the original judge."""
    log = eval(belief(claims="ed_sheeran,dentist", samples=1, judge="markers",
                      families="open_ended,binary"),
               model="beliefbench/skeptic", log_dir=str(tmp_path), display="none")[0]
    r = agreement(log.location, ["beliefbench/judge", "beliefbench/unreachable"])
    rates = r.rates.set_index("judge")
    frame = read_eval_log(log.location).samples
    sizes = {c: sum(s.metadata["claim"] == c for s in frame) for c in ("ed_sheeran", "dentist")}
    judged = {c: sum(s.metadata["claim"] == c and s.metadata["family"] == "open_ended"
                     for s in frame) for c in sizes}
    assert sizes["ed_sheeran"] != sizes["dentist"] or judged["ed_sheeran"] != judged["dentist"]
    want = sum(judged[c] / sizes[c] for c in sizes) / 2  # each claim's share, averaged
    down = rates.loc["beliefbench/unreachable"]
    assert down["judge_failed"] == pytest.approx(want)
    assert down["judge_failed"] == pytest.approx(down["failed"])  # every failure is the judge's
    assert rates.loc["beliefbench/judge", "judge_failed"] == 0.0
    # per claim: belief 0 alone did not say the judge never answered on it
    per = r.claim_rates.set_index(["judge", "claim"]).loc["beliefbench/unreachable"]
    for c in sizes:
        assert per.loc[c, "belief"] == 0.0 and per.loc[c, "responses"] == sizes[c]
        assert per.loc[c, "failed"] == per.loc[c, "judge_failed"] == pytest.approx(
            judged[c] / sizes[c])
    said = [r.getMessage() for r in caplog.records if "in a row" in r.getMessage()]
    assert len(said) == 1 and "eval-retry" not in said[0] and "budget" not in said[0]
    assert said[0].startswith("beliefbench: agreement: aborted: 10 judge failures in a row")
    assert said[0].endswith("The log itself is unchanged; the responses this grader did not "
                            "judge are counted JUDGE FAILED (the notes count them): fix the "
                            "grader and run the agreement again")


def test_a_relative_claim_file_is_read_where_the_run_read_it(tmp_path, monkeypatch):
    """`-T claims=claims/mine.yaml` is resolved in the folder the eval ran in; agreement run
    from another folder refused the log ("no such claim file"), or re-judged with another
    folder's file of that name. The file the run read (recorded by absolute path) is used;
    where it is gone, the message says so."""
    run_dir, other = tmp_path / "proj", tmp_path / "elsewhere"
    for folder in (run_dir, other):
        (folder / "claims").mkdir(parents=True)
    (run_dir / "claims" / "glass_bridge.yaml").write_text(FIXTURE_CLAIM.read_text())
    monkeypatch.chdir(run_dir)
    log = eval(belief(claims="claims/glass_bridge.yaml", samples=1, judge="markers",
                      families="open_ended"),
               model=scripted(subject), log_dir=str(run_dir / "logs"), display="none")[0]
    # another folder's file of that name, edited: not the run's rubric
    (other / "claims" / "glass_bridge.yaml").write_text(FIXTURE_CLAIM.read_text() + "\n# x\n")
    monkeypatch.chdir(other)
    graders, labels = [scripted(keyword), scripted(inverted)], ["a", "inv"]
    r = agreement(log.location, graders, labels=labels)
    assert len(r.verdicts) == 2 and not any("CLAIMS CHANGED" in n for n in r.notes), r.notes
    (run_dir / "claims" / "glass_bridge.yaml").unlink()  # gone: the argument, read here
    r = agreement(log.location, graders, labels=labels)
    assert any(n.startswith("CLAIMS CHANGED: glass_bridge") for n in r.notes)
    (other / "claims" / "glass_bridge.yaml").unlink()
    with pytest.raises(LogError) as e:
        agreement(log.location, graders, labels=labels)
    assert str(e.value).startswith(f"{log.location}: cannot reload the log's claims "
                                   "'claims/glass_bridge.yaml' to re-score it (")
    assert str(e.value).endswith("; the files the run read are not all on disk here "
                                 f"({run_dir / 'claims' / 'glass_bridge.yaml'})")


def test_another_logs_rescoring_in_out_is_not_replaced(log_path, tmp_path):
    """Two logs re-scored into one --out by the same judge: the second run replaced the
    first log's rescored-<judge>.eval with no word (its judge calls lost, its row gone from
    `report OUT`). It is refused before any grader is called; the same log again is not."""
    out = tmp_path / "out"
    graders, labels = [scripted(keyword), scripted(inverted)], ["a", "inv"]
    agreement(log_path, graders, labels=labels, out_dir=out)
    first = (out / "rescored-a.eval").read_bytes()
    other = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers",
                        families="open_ended"),
                 model=scripted(subject), log_dir=str(tmp_path / "other"), display="none")[0]
    eval_id = read_eval_log(log_path, header_only=True).eval.eval_id
    r = CliRunner().invoke(cli, ["agreement", other.location, "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic", "--out", str(out)])
    assert r.exit_code == 0  # other judges' names: nothing replaced
    with pytest.raises(LogError) as e:
        agreement(other.location, graders, labels=labels, out_dir=out)
    assert str(e.value) == (
        f"--out {out}: rescored-a.eval holds the re-scoring by a of another log (eval id "
        f"{eval_id}, model mockllm/model, created "
        f"{read_eval_log(log_path, header_only=True).eval.created[:19]}); re-scoring this "
        "log would replace it (its judge calls lost): give each log an --out of its own, "
        "or move that file away")
    assert (out / "rescored-a.eval").read_bytes() == first
    assert (out / "agreement_pairs.csv").exists()  # the last run's tables stay too
    agreement(log_path, graders, labels=labels, out_dir=out)  # the same log: replaced
    for _ in range(2):  # a re-scored log re-scored again, twice into one --out: its own
        agreement(out / "rescored-inv.eval", graders, labels=labels, out_dir=tmp_path / "2")


def test_a_grader_never_read_is_told_to_check_grader_not_model_role(tmp_path, caplog):
    """A grader whose first 10 replies could not be read: the scorer's warning said "Check
    the grader bound (--model-role grader=...)", an option agreement has none of; under
    agreement it names --grader, the option the grader was given with."""
    log = eval(belief(claims=str(FIXTURE_CLAIM), samples=3, judge="markers",
                      families="open_ended,robustness"),
               model=scripted(subject), log_dir=str(tmp_path), display="none")[0]
    agreement(log.location, [scripted(keyword), scripted(lambda _: "Sure!", name="garbled")],
              labels=["a", "garbled"])
    said = [r.getMessage() for r in caplog.records
            if "the judge's first 10 replies could not be read" in r.getMessage()]
    assert len(said) == 1, said
    assert "Check the grader given (--grader) and the judge template" in said[0]
    assert "--model-role" not in said[0]


def test_a_started_log_says_how_much_of_the_run_it_holds(log_path, tmp_path):
    """A log still running said only "has status 'started'; only its scored responses are
    compared": not that it held 8 of the 12 responses its run calls for, as report's
    PARTIAL warning and the gate say."""
    from inspect_ai.log import write_eval_log

    log = read_eval_log(log_path)
    log.samples = [s for s in log.samples if s.metadata["family"] != "binary"]
    log.status = "started"
    path = tmp_path / "started.eval"
    write_eval_log(log, str(path))
    r = agreement(path, [scripted(keyword), scripted(inverted)], labels=["a", "inv"])
    assert (f"PARTIAL: {path} has status 'started' (8 of 12 responses (4 never run: in no "
            "count)); only its scored responses are compared") in r.notes, r.notes


def test_a_started_log_with_no_samples_says_how_to_resume_it(log_path, tmp_path):
    """A log whose eval was killed before its first sample finished said only "the log holds
    no samples", where report and gate give its status and its resume command."""
    from inspect_ai.log import write_eval_log

    log = read_eval_log(log_path)
    log.samples, log.status = [], "started"
    path = tmp_path / "killed.eval"
    write_eval_log(log, str(path))
    r = CliRunner().invoke(cli, ["agreement", str(path), "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic"])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert f"{path}: the log holds no samples (status 'started'); it may still be running" \
        in said, said
    assert f"inspect eval-retry {path} --log-dir {tmp_path}" in said, said

def test_an_out_holding_a_report_is_refused_naming_it(log_path, tmp_path):
    """`agreement --out reports/dry` wrote its re-scored logs and CSVs beside `report`'s
    report.json unchallenged, and a later `report` or `gate` given the folder read them as
    runs: refused before any grader is called, naming what it holds and a new folder."""
    rep = tmp_path / "dry"
    CliRunner().invoke(cli, ["report", log_path, "--out", str(rep), "--no-plots",
                             "--bootstrap", "40"])
    before = sorted(p.name for p in rep.iterdir())
    assert "report.json" in before
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic", "--out", str(rep)])
    assert r.exit_code == 2, r.output
    assert " ".join(r.output.split()) == (
        f"Error: --out {rep}: holds a belief report of `beliefbench report` (report.json, "
        "report.md); its re-scored logs (rescored-*.eval) and agreement_*.csv tables there "
        "would mix the commands' files, and a later `report` or `gate` given this folder "
        f"would read them as runs: choose a new folder for --out (e.g. {rep}-agreement)")
    assert sorted(p.name for p in rep.iterdir() if not p.name.startswith(".")) == \
        [n for n in before if not n.startswith(".")]
    r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic", "--out", str(rep), "--json"])
    assert r.exit_code == 2 and "holds a belief report" in json.loads(r.stdout)["error"]
    # its own earlier output is no other command's: --out is re-used, as before
    out = tmp_path / "out"
    for _ in range(2):
        r = CliRunner().invoke(cli, ["agreement", log_path, "--grader", "beliefbench/judge",
                                     "--grader", "beliefbench/skeptic", "--out", str(out)])
        assert r.exit_code == 0, r.output
