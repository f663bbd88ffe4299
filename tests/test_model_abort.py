"""A dead model-under-test server is not sent the calls queued behind its connections when
the run aborts (``abort_after`` failures in a row): the probe solver's and the logprob task's
calls wait on the abort as the judges' do (:meth:`beliefbench.solver.Streaks.unless_aborted`),
and the abort's log line says what the failure budget makes of the run. The model is a real
HTTP server on 127.0.0.1 answering 500 and counting the calls it receives."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import FIXTURE_CLAIM
from inspect_ai import eval

from beliefbench.logprob_task import belief_logprob
from beliefbench.task import belief

DEAD = (500, {"error": {"message": "upstream down", "type": "server_error"}})


def _aborted(log) -> list[str]:
    return [s.metadata["generation_error"] for s in log.samples
            if s.metadata.get("generation_error", "").startswith("aborted: ")]


def test_model_calls_queued_at_the_abort_are_not_sent(local_server, tmp_path: Path):
    """Every sample asks at once (``max_samples`` 30) and waits for one of 2 connections:
    checked only before each call, every call queued when the abort came was still sent to
    the dead server. Now at most the calls in flight then follow the ``abort_after``."""
    asked = local_server(lambda n: DEAD)
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=4, abort_after=3),
                 model="openai-api/local/dead-model", model_roles={"grader": "mockllm/model"},
                 max_retries=0, max_connections=2, max_samples=30, log_dir=str(tmp_path),
                 display="none")
    assert len(log.samples) > 3 + 2 * 5
    assert all(s.error is not None for s in log.samples) and log.status == "error"
    assert asked.calls <= 3 + 2, (asked, len(log.samples))
    # every sample not sent errors with the abort, naming the first failure
    aborted = _aborted(log)
    assert len(aborted) >= len(log.samples) - asked.calls, aborted
    assert all(a.startswith("aborted: 3 infrastructure failures in a row") and
               "First error: " in a for a in aborted), aborted


def test_logprob_calls_queued_at_the_abort_are_not_sent(local_server, tmp_path: Path):
    """The logprob task's calls (a binary item's, each side of a completion pair) wait on
    the same abort."""
    asked = local_server(lambda n: DEAD)
    task = belief_logprob(claims=str(FIXTURE_CLAIM), prompt_logprobs=True, abort_after=3)
    [log] = eval(task, model="openai-api/local/dead-logprob", epochs=10, max_retries=0,
                 max_connections=2, max_samples=30, log_dir=str(tmp_path), display="none")
    assert len(log.samples) == 30 and log.status == "error"
    assert asked.calls <= 3 + 2, asked
    assert len(_aborted(log)) >= len(log.samples) - asked.calls


@pytest.mark.parametrize("max_failed, status", [(0.05, "error"), (1, "success")])
def test_the_abort_line_says_what_the_budget_makes_of_the_run(
        local_server, tmp_path: Path, caplog: pytest.LogCaptureFixture, max_failed: float,
        status: str):
    """The abort's log line said "The log will end with status 'error'", also under
    ``-T max_failed=1``, whose run ends ``success``: it now names the budget, and the
    status it gives."""
    local_server(lambda n: DEAD)
    with caplog.at_level(logging.ERROR, logger="beliefbench.solver"):
        [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, abort_after=2,
                            max_failed=max_failed),
                     # a name per case: Inspect reuses a model of the same name, and the
                     # second case's would call the first case's server, gone by then
                     model=f"openai-api/local/dead-budget-{status}",
                     model_roles={"grader": "mockllm/model"}, max_retries=0, max_samples=1,
                     log_dir=str(tmp_path), display="none")
    assert log.status == status
    [line] = [r.getMessage() for r in caplog.records if "in a row" in r.getMessage()]
    assert "The log will end with status 'error'" not in line, line
    assert "-T max_failed" in line and f"status '{status}'" in line, line
