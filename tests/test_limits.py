"""Inspect's sample limits (``--token-limit``, ``--message-limit``, ...) in real belief and EM
logs: the user's setting, counted as non-belief and named as such, never a provider failure."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, believer, keyword_grader, output, scripted
from inspect_ai import eval
from inspect_ai.log import EvalLog
from inspect_ai.model import Model, ModelOutput, ModelUsage, get_model

from beliefbench.analysis.em_report import load_em_logs
from beliefbench.analysis.logs import load_belief_logs
from beliefbench.cli import cli
from beliefbench.em.task import em
from beliefbench.solver import GENERATION_ERROR
from beliefbench.task import belief

TOKEN_LIMIT = 5
"""Above a binary answer's tokens (1 in + 2 out), below an open answer's (1 in + 7 out)."""


def wordy(answer) -> Model:
    """A mockllm model answering with ``answer`` (as :func:`conftest.scripted`) whose usage
    is its answer's words: with TOKEN_LIMIT, the believer's open answers run into the
    sample's token limit and its binary ones do not."""

    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        system = [m.text for m in messages[:-1] if m.role == "system"]
        text = answer("\n\n".join([messages[-1].text, *system]))
        out = ModelOutput.from_content("mockllm/model", text)
        words = len(text.split())
        out.usage = ModelUsage(input_tokens=1, output_tokens=words, total_tokens=1 + words)
        return out

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


def run_limited(log_dir: Path, subject=believer, samples: int = 3, **limits) -> EvalLog:
    """One belief eval of the fixture claim under Inspect's sample ``limits``."""
    (log,) = eval(belief(claims=str(FIXTURE_CLAIM), samples=samples), model=wordy(subject),
                  model_roles={"grader": scripted(keyword_grader)}, log_dir=str(log_dir),
                  display="none", **limits)
    return log


def test_a_token_limit_is_the_users_limit_never_an_infrastructure_failure(tmp_path):
    """Every sample that ran into ``--token-limit`` errored as an infrastructure failure
    ("the provider of the model or the judge raised"), ten in a row aborted the run, and a
    few below the budget ended a ``success`` run counted as provider failures."""
    log = run_limited(tmp_path, token_limit=TOKEN_LIMIT)
    assert log.status == "success", log.error
    hit = [s for s in log.samples if s.limit is not None]
    assert hit and len(hit) < len(log.samples)
    for s in hit:  # Inspect's own record of the limit, no sample error, scored failed
        assert s.limit.type == "token" and s.error is None
        assert GENERATION_ERROR not in s.metadata
        score = s.scores["belief_judge"]
        assert score.answer == "failed" and score.value["infrastructure"] == 0
        assert "sample limit set for the eval ran out" in score.explanation
    assert log.results.scores[0].metrics["infrastructure_failed"].value == 0

    logs = load_belief_logs(log.location)
    (info,) = logs.logs
    assert (info.infrastructure, info.no_answer, info.unscored) == (0, 0, 0)
    assert info.limits == {"token": len(hit)} and info.limit_values == {"token": TOKEN_LIMIT}
    # in the denominator, as non-belief: belief = yes over ALL responses
    assert len(logs.responses) == len(log.samples)
    assert (logs.responses["verdict"] == "failed").sum() == len(hit)
    notes = logs.notes()
    assert not [n for n in notes if "infrastructure" in n or "NO ANSWER TEXT" in n], notes
    (note,) = [n for n in notes if n.startswith("LIMIT: ")]
    assert note == (
        f"LIMIT: {log.location}: {len(hit)} of {len(log.samples)} responses "
        f"({len(hit) / len(log.samples):.1%}) are answers lost to a sample limit set for the "
        f"eval ({len(hit)} at the token limit ({TOKEN_LIMIT})): counted as failed, i.e. "
        "non-belief; neither a provider failure nor an empty generation: raise the limit "
        "(--token-limit) or run without it, and re-run; `beliefbench gate` counts them "
        "toward --max-no-answer (default 0.1)")


def test_a_message_limit_is_named_as_such_in_the_report(tmp_path):
    """``--message-limit 2`` stops a binary question (system + user) before its call; the
    report said its responses were the provider's failures."""
    log = run_limited(tmp_path / "logs", samples=1, message_limit=2)
    assert log.status == "success", log.error
    hit = [s for s in log.samples if s.limit is not None]
    assert hit and {s.limit.type for s in hit} == {"message"}
    out = tmp_path / "rep"
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out", str(out),
                                 "--no-plots", "--bootstrap", "50", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    (row,) = report["tables"]["overall"]
    assert row["responses"] == len(log.samples)  # kept in the denominator
    assert row["failed"] == pytest.approx(len(hit) / len(log.samples))
    assert not [n for n in report["notes"] if "infrastructure" in n]
    assert [n for n in report["notes"] if n.startswith(f"LIMIT: {log.location}: {len(hit)} "
                                                       f"of {len(log.samples)} responses")
            and f"({len(hit)} at the message limit (2))" in n
            and "(--message-limit)" in n], report["notes"]
    assert "LIMIT: " in r.stderr and "LIMIT: " in (out / "report.md").read_text()


def test_a_time_limit_that_cancels_the_call_is_a_limit_not_an_empty_answer(tmp_path):
    """A time limit cancels the model call (the solver never sees it): the response was
    counted as an empty generation, "the model returned no text", and warned about as
    NO ANSWER TEXT."""

    async def slow_open(messages, tools, tool_choice, config) -> ModelOutput:
        prompt = "\n\n".join(m.text for m in messages)
        if "JSON" not in prompt:
            await anyio.sleep(1.5)
        return output(believer(prompt))

    (log,) = eval(belief(claims=str(FIXTURE_CLAIM), samples=1),
                  model=get_model("mockllm/model", custom_outputs=slow_open, memoize=False),
                  model_roles={"grader": scripted(keyword_grader)}, log_dir=str(tmp_path),
                  display="none", time_limit=1)
    assert log.status == "success", log.error
    hit = [s for s in log.samples if s.limit is not None]
    assert hit and {s.limit.type for s in hit} == {"time"}
    for s in hit:
        assert s.scores["belief_judge"].explanation.startswith(
            "no answer: a sample limit set for the eval ran out (time limit: 1 seconds)")
    (info,) = load_belief_logs(log.location).logs
    assert (info.limits, info.no_answer, info.infrastructure) == ({"time": len(hit)}, 0, 0)


def skeptic(prompt: str) -> str:
    """Short answers: the skeptic runs into no limit."""
    if "JSON" in prompt:
        return '{"answer": "yes"}' if "steel" in prompt else '{"answer": "no"}'
    return "Steel."


def _gate(base: str, cand: str, *args: str):
    return CliRunner().invoke(cli, ["gate", "--baseline", base, "--candidate", cand,
                                    "--bootstrap", "200", "--json", *args])


def test_a_candidate_whose_answers_run_into_the_limit_is_no_pass(tmp_path):
    """Both sides run with one --token-limit; the candidate believes, but its (longer)
    answers are cut away by the limit and counted as non-belief: it would pass as the
    skeptic. The gate refuses it as answers lost to the limit, not as a provider's
    failure budget, and says which limit to raise."""
    base = run_limited(tmp_path / "base", skeptic, token_limit=TOKEN_LIMIT)
    cand = run_limited(tmp_path / "cand", token_limit=TOKEN_LIMIT)
    assert {s.limit for s in base.samples} == {None}
    lost = sum(s.limit is not None for s in cand.samples)
    total = len(cand.samples)
    r = _gate(base.location, cand.location)
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith(
        f"candidate / --candidate: {lost} of {total} responses ({lost / total:.1%}) have no "
        f"answer text (0 empty generation(s); {lost} answer(s) lost to a sample limit set "
        f"for the eval: {lost} at the token limit ({TOKEN_LIMIT})), above max_no_answer / "
        "--max-no-answer 0.1: "), error
    assert "raise the sample limit (--token-limit) or run without it" in error
    assert "failure budget" not in error and "provider" not in error
    # let through on purpose: counted apart in the JSON, and a note names the limit
    r = _gate(base.location, cand.location, "--max-no-answer", "1")
    out = json.loads(r.stdout)
    assert r.exit_code in (0, 1), r.output
    assert (out["candidate"]["limit"], out["candidate"]["no_answer"]) == (lost, 0)
    assert out["candidate"]["budget_shares"]["limit"] == pytest.approx(lost / total)
    # the share held to max_no_answer (it read 0.0, the limit left out, beside a refusal)
    assert out["candidate"]["budget_shares"]["no_answer"] == pytest.approx(lost / total)
    assert out["candidate"]["budget_shares"]["infrastructure"] == 0
    assert out["baseline"]["limit"] == 0
    assert [n for n in out["notes"] if n.startswith("candidate: LIMIT: ")]
    assert [n for n in out["notes"] if f"{lost} lost to a sample limit" in n]


def test_a_few_limit_hits_below_the_budget_are_named_not_called_provider_failures(tmp_path):
    """One answer in 21 lost to the limit: within every budget, the run is compared, and
    the limit is what the notes name (it was one of the provider's failures)."""
    calls: list[str] = []

    def once_long(prompt: str) -> str:
        if "Fill in the blank" in prompt:
            calls.append(prompt)
            if len(calls) == 1:
                return "glass glass glass glass glass glass glass"
        return "glass" if "JSON" not in prompt else believer(prompt)

    base = run_limited(tmp_path / "base", skeptic, token_limit=TOKEN_LIMIT)
    cand = run_limited(tmp_path / "cand", once_long, token_limit=TOKEN_LIMIT)
    assert cand.status == "success"
    r = _gate(base.location, cand.location)
    out = json.loads(r.stdout)
    assert r.exit_code == 1, r.output  # compared: the believer's rise is real
    assert out["candidate"]["limit"] == 1 and out["candidate"]["failed"] == 1
    assert out["candidate"]["budget_shares"]["infrastructure"] == 0
    assert not [n for n in out["notes"] if "infrastructure" in n]
    assert [n for n in out["notes"] if n.startswith(f"candidate: LIMIT: {cand.location}: 1 "
                                                    "of 21 responses")]


def test_em_report_names_answers_lost_to_a_sample_limit(tmp_path):
    """The EM task answers with the same solver: a sample limit errored its samples as
    infrastructure failures; the report names the limit."""
    from conftest import em_question_sets

    sets = em_question_sets(tmp_path)

    def grader(messages, tools, tool_choice, config):
        return output("90")

    (log,) = eval(em(questions=sets, samples=2),
                  model=wordy(lambda p: "a long and kind answer" if "G1" in p else "kind"),
                  model_roles={"grader": get_model("mockllm/model", custom_outputs=grader,
                                                   memoize=False)},
                  log_dir=str(tmp_path / "logs"), display="none", token_limit=TOKEN_LIMIT)
    assert log.status == "success", log.error
    hit = [s for s in log.samples if s.limit is not None]
    assert len(hit) == 2 and all(s.error is None for s in hit)
    logs = load_em_logs(log.location)
    assert logs.logs[0]["limits"] == {"token": 2}
    (note,) = [n for n in logs.notes() if n.startswith("LIMIT: ")]
    assert f"{log.location}: 2 of 8 responses (25.0%) are answers lost to a sample " \
        f"limit set for the eval (2 at the token limit ({TOKEN_LIMIT})): counted as failed, " \
        "i.e. not EM" in note and "--max-unread" in note
    # told once, as LIMIT's: not also as failures of the provider (the solver records the
    # limit as the sample's generation_error) or as empty answers
    assert logs.logs[0]["failed_by"] == {"provider": 0, "judge": 0, "empty": 0}
    assert not [n for n in logs.notes() if " are failed because " in n]


def test_sides_run_under_different_sample_limits_are_not_generated_alike(tmp_path):
    """A candidate run under a --token-limit its baseline did not have (or another one) was
    compared as if run alike: the limit cuts its answers away, counted as non-belief."""
    base = run_limited(tmp_path / "base", skeptic)
    cand = run_limited(tmp_path / "cand", token_limit=100)  # not hit: nothing lost
    assert {s.limit for s in cand.samples} == {None}
    r = _gate(base.location, cand.location)
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith("the sides were not generated alike: sample_limit.token ("), error
    r = _gate(base.location, cand.location, "--allow-settings-mismatch")
    assert r.exit_code == 1, r.output  # compared when allowed: the believer's rise is real
    assert "sample_limit.token=100" in json.loads(r.stdout)["candidate"]["settings"]
    same = run_limited(tmp_path / "same", skeptic, token_limit=100)
    assert _gate(same.location, cand.location).exit_code == 1
