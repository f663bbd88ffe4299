"""A dead judge server is not asked for every judged sample: after ``abort_after`` failed
judge calls in a row the belief and EM judges stop calling it, and every remaining judged
response is scored as a failed judge call (``failed``, counted, the sample errored), as the
solver stops calling a dead model under test. The judge is a real HTTP server on 127.0.0.1
that counts the requests it receives; the model under test is mockllm."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import FIXTURE_CLAIM, believer, scripted
from inspect_ai import eval

from beliefbench.analysis.sweep import unfinished_cause
from beliefbench.em.task import em
from beliefbench.solver import Runs, judge_streaks
from beliefbench.task import belief

LOGIN_PAGE = (b"<html><body><form>Sign in</form></body></html>", "text/html")


def _judged(log, grader: str) -> list:
    """The belief_judge scores of the responses that went to the judge ``grader``."""
    return [s.scores["belief_judge"] for s in log.samples
            if s.scores["belief_judge"].metadata["judge"] == f"openai-api/local/{grader}"]


@pytest.mark.parametrize("dead, cause", [
    ((500, {"error": {"message": "upstream down", "type": "server_error"}}),
     "InternalServerError: Error code: 500"),
    ((200, *LOGIN_PAGE), "sent a reply this provider cannot read")])
def test_a_dead_belief_judge_is_not_called_after_abort_after_failures(
        local_server, tmp_path: Path, dead: tuple, cause: str):
    """Before: a judge answering 500 (or a login page with status 200) to every call was
    called for each of the run's judged responses; now it gets ``abort_after`` calls, and
    the responses after them are failed judge calls, named so, without a call."""
    grader = f"dead-judge-{dead[0]}"
    asked = local_server(lambda n: dead)
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=2, abort_after=3),
                 model=scripted(believer), model_roles={"grader": f"openai-api/local/{grader}"},
                 max_retries=0, max_samples=1, log_dir=str(tmp_path), display="none")
    judged = _judged(log, grader)
    assert len(judged) > 3 + 2  # two epochs of the open-ended and other judged questions
    assert asked.calls == 3, asked
    # every judged response: a failed judge call, counted as infrastructure
    assert {s.answer for s in judged} == {"failed"}
    assert all(s.metadata["infrastructure"] and s.value["infrastructure"] == 1.0
               for s in judged)
    head = f"judge call failed (openai-api/local/{grader}): "
    problems = [s.metadata["problem"] for s in judged]
    assert all(p.startswith(head) for p in problems), problems
    called = [p for p in problems if "aborted: " not in p]
    aborted = [p for p in problems if "aborted: " in p]
    assert len(called) == 3 and all(cause in p for p in called), called
    assert len(aborted) == len(judged) - 3
    for said in aborted:
        assert said.startswith(f"{head}aborted: 3 judge failures in a row"), said
        assert head + said.split("First error: ", 1)[1] in called, said  # the first one
    # each is an errored sample (judge_outage), as a failed call is: status error
    judged_ids = {(s.id, s.epoch) for s in log.samples
                  if s.scores["belief_judge"].metadata["judge"] != "exact_match"}
    assert all(s.error is not None for s in log.samples if (s.id, s.epoch) in judged_ids)
    assert log.status == "error"
    # a sweep names the first failure of its own, not an abort's
    first = unfinished_cause([log]).split(" errored, first: ", 1)[1]
    assert first.startswith(head) and "aborted" not in first, first
    # the binary answers went to no judge and are read as before
    exact = [s.scores["belief_judge"] for s in log.samples
             if s.scores["belief_judge"].metadata["judge"] == "exact_match"]
    assert exact and {s.answer for s in exact} <= {"yes", "no"}


def test_a_judge_that_answers_between_failures_is_called_for_every_response(
        local_server, tmp_path: Path):
    """A failure in a row is broken by an answer: a judge failing every other call with
    ``abort_after=2`` is never given up on."""
    grader = "flaky-judge"
    asked = local_server(lambda n: (500, {"error": {"message": "busy"}}) if n % 2 else None)
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=2, abort_after=2, max_failed=1),
                 model=scripted(believer), model_roles={"grader": f"openai-api/local/{grader}"},
                 max_retries=0, max_samples=1, log_dir=str(tmp_path), display="none")
    judged = _judged(log, grader)
    assert asked.calls == len(judged) > 2, asked
    problems = [s.metadata["problem"] or "" for s in judged]
    assert not [p for p in problems if "aborted" in p]
    assert sum(s.answer == "yes" for s in judged) == len(judged) // 2


def test_a_dead_em_judge_is_not_called_after_abort_after_failures(local_server,
                                                                   tmp_path: Path):
    """The EM judges (two calls a response) stop the same way: ``abort_after`` judgings."""
    qs = tmp_path / "mini.yaml"
    qs.write_text("id: mini\ndomain: general\nquestions:\n  - {id: q0, text: 'Q0?'}\n"
                  "  - {id: q1, text: 'Q1?'}\n  - {id: q2, text: 'Q2?'}\n")
    grader = "dead-em-judge"
    asked = local_server(lambda n: (500, {"error": {"message": "upstream down"}}))
    [log] = eval(em(questions=str(qs), samples=2, abort_after=2),
                 model=scripted(lambda _: "Some answer."),
                 model_roles={"grader": f"openai-api/local/{grader}"}, max_retries=0,
                 max_samples=1, log_dir=str(tmp_path / "logs"), display="none")
    assert len(log.samples) == 6
    assert asked.calls == 2 * 2, asked  # two judgings, each the aligned and coherent call
    scores = [s.scores["em_judge"] for s in log.samples]
    assert {s.answer for s in scores} == {"failed"}
    head = f"judge call failed (openai-api/local/{grader}): "
    errors = [s.metadata["judge_error"] for s in scores]
    aborted = [e for e in errors if e.startswith(f"{head}aborted: 2 judge failures in a row")]
    assert len(aborted) == 4 and all("First error: " in e for e in aborted), errors
    assert all(s.error is not None for s in log.samples) and log.status == "error"


def test_judge_calls_queued_at_the_abort_are_not_sent(local_server, tmp_path: Path):
    """Samples reach the judge together and wait for its connections: checked only before
    each call, every judging queued when the abort came was still sent to the dead server.
    Now at most the calls in flight then (``max_connections``) follow the ``abort_after``
    (``max_samples`` above it: every sample answered at once, as a fast model under test does)."""
    grader = "dead-judge-queued"
    asked = local_server(lambda n: (500, {"error": {"message": "upstream down"}}))
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=4, abort_after=3),
                 model=scripted(believer), model_roles={"grader": f"openai-api/local/{grader}"},
                 max_retries=0, max_connections=2, max_samples=30, log_dir=str(tmp_path),
                 display="none")
    judged = _judged(log, grader)
    assert len(judged) > 3 + 2 * 5 and {s.answer for s in judged} == {"failed"}
    assert asked.calls <= 3 + 2, (asked, len(judged))


def test_a_call_waiting_at_the_abort_ends_in_any_event_loop():
    """Outside an eval (re-scoring) one streak serves each run of a scorer, each in an event
    loop of its own: the abort a call waits on is its loop's (an event made in the first
    loop raised in the second, and the judge call read as failed). A call still waiting
    when the abort comes returns None, not its late answer."""
    import anyio

    judges = judge_streaks(2)
    streak, _ = judges.current()  # no eval running: the streak of every re-scoring

    async def answer() -> str:
        return "an answer"

    for _ in range(2):  # two event loops
        assert anyio.run(judges.unless_aborted, streak, answer()) == "an answer"

    async def aborted_while_waiting() -> list:
        got: list = []

        async def hung() -> str:
            await anyio.sleep(3600)
            return "a late answer"

        async def judge() -> None:
            got.append(await judges.unless_aborted(streak, hung()))

        async with anyio.create_task_group() as group:
            group.start_soon(judge)
            await anyio.wait_all_tasks_blocked()
            judges.failed(streak, "InternalServerError")
            judges.failed(streak, "InternalServerError")
        return got

    assert anyio.run(aborted_while_waiting) == [None]
    assert streak.aborted and streak.aborted.startswith("aborted: 2 judge failures in a row")
    assert anyio.run(judges.unless_aborted, streak, answer()) is None  # not called again


def test_the_judge_abort_says_a_retry_keeps_the_grader(caplog):
    """The abort's advice was `inspect eval-retry <log>` alone, which calls the log's grader
    again (it takes no --model-role): a misspelt or unusable grader then failed again. The
    judge's line says how to re-judge with another; the model's line is unchanged."""
    for streaks, named in ((judge_streaks(2), True), (Runs(2), False)):
        caplog.clear()
        streak, _ = streaks.current()
        with caplog.at_level(logging.ERROR, logger="beliefbench.solver"):
            streaks.failed(streak, "NotFoundError")
            streaks.failed(streak, "NotFoundError")
        [line] = [r.getMessage() for r in caplog.records]
        assert "inspect eval-retry <log> --log-dir <its folder>" in line
        assert ("eval-retry takes no --model-role" in line) is named, line
        assert ("beliefbench agreement <log> --grader <the right one>" in line) is named
