"""The judge-free logprob task against a model server that fails (a real OpenAI-compatible
server on 127.0.0.1): every item it could not read is ``failed``, in the denominator and
reported on its own, the run ends with status error, a dead server stops being called after
``abort_after`` failures in a row, and a page sent with status 200 is not retried."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable

import pytest
from conftest import FIXTURE_CLAIM
from inspect_ai import eval
from inspect_ai.log import EvalLog

from beliefbench.logprob_task import belief_logprob
from beliefbench.solver import NO_CHOICES, NO_OUTPUT
from beliefbench.task import belief

SECRET = "sk-test-logprob-0123456789abcdef"
LOGIN = b"<html><head><title>Sign in</title></head><body>Log in to the proxy</body></html>"
ITEMS = 3
"""The fixture claim's binary questions (2) and completion pairs (1): one call each here."""


def _no_choices() -> dict:
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 5}}


def _no_output() -> dict:
    """A Responses API reply (``/v1/responses``) with no output items."""
    return {"id": "r", "object": "response", "created_at": 0, "model": "m",
            "status": "completed", "output": [],
            "usage": {"input_tokens": 5, "output_tokens": 0, "total_tokens": 5}}


def _served(chat_server_on, monkeypatch, reply: Callable[[str], tuple]) -> list[str]:
    """Start the server answering ``reply(model)``; the models it was asked by, in order
    (Inspect's probe of the Responses API for reasoning support left out)."""
    asked: list[str] = []

    def answer(model: str, body: dict) -> tuple:
        if "input" not in body or isinstance(body["input"], list):
            asked.append(model)
        return reply(model)

    chat_server_on(answer, SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", os.environ["LOCAL_BASE_URL"])
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return asked


def _logprob_run(tmp_path, model: str | list[str], **options) -> list[EvalLog]:
    task = belief_logprob(claims=str(FIXTURE_CLAIM), prompt_logprobs=True,
                          abort_after=options.pop("abort_after", 10))
    return eval(task, model=model, log_dir=str(tmp_path), display="none", **options)


def _metrics(log: EvalLog) -> dict[str, float]:
    return {k: v.value for k, v in log.results.scores[0].metrics.items()}


def _server(_: str) -> str:
    return os.environ["LOCAL_BASE_URL"]


CASES = {
    # status, body[, content type]; the run's options; what each item's error says
    "error-500": ((500, {"error": {"message": "internal"}}), {"max_retries": 0},
                  lambda m: "InternalServerError: Error code: 500 - internal ***"),
    # unlimited retries (Inspect's default, sweep's): the page was asked for until --timeout
    "login-page": ((200, LOGIN, "text/html"), {"timeout": 20},
                   lambda m: f"the server at {_server(m)} sent a reply this provider cannot "
                             f"read (OpenAIResponseError: server_error: Unexpected "
                             f"non-ChatCompletion response: '<html><head><title>Sign in"),
    "no-choices": ((200, _no_choices()), {"max_retries": 0}, lambda m: NO_CHOICES),
    "no-output": ((200, _no_output()), {"max_retries": 0}, lambda m: NO_OUTPUT),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_failing_server_gives_failed_items_reported_and_a_run_in_error(
        chat_server_on, monkeypatch, tmp_path, case):
    """Every binary item and completion pair the server failed is ``failed``: in the
    denominator (belief 0; efficacy nan, as no pair was read) and reported
    (``binary/failed``, ``main/failed``), never a reading, and the run's status is error.
    A pair that failed was unscored (its kind's efficacy over the pairs left,
    ``main/failed`` 0); a reply with no choices read "IndexError: list index out of
    range", one with no output items "no top_logprobs"; a login page sent with 200 was
    asked for again until --timeout."""
    body, options, said = CASES[case]
    asked = _served(chat_server_on, monkeypatch, lambda model: body)
    model = f"openai/{case}" if case == "no-output" else f"openai-api/local/{case}"
    [log] = _logprob_run(tmp_path, model, **options)
    assert log.status == "error"
    assert len(log.samples) == ITEMS
    if case != "error-500":  # (the OpenAI SDK retries a 500 on its own)
        assert len(asked) == ITEMS, asked
    for sample in log.samples:
        score = next(iter(sample.scores.values()))
        error = sample.metadata["generation_error"]
        assert error.startswith(said(model)), error
        assert score.answer == "failed" and score.explanation == error
        assert score.metadata["infrastructure"] is True
        assert sample.error is not None and error in sample.error.message
        assert SECRET not in json.dumps([score.model_dump(), sample.metadata,
                                         sample.error.model_dump()])
    metrics = _metrics(log)
    assert metrics["binary/failed"] == pytest.approx(1.0)
    assert metrics["binary/belief"] == 0.0 and metrics["binary/parse_error"] == 0.0
    assert metrics["main/failed"] == 1.0 and math.isnan(metrics["main/efficacy"])


@pytest.mark.parametrize("case", ["no-choices", "no-output"])
def test_the_logprob_task_stops_calling_a_dead_server(chat_server_on, monkeypatch, tmp_path,
                                                      case):
    """A server that only fails was asked once per item, each item erroring on its own: the
    belief task's ``abort_after`` was not the logprob task's. Now after that many failures
    in a row (a raise, or a reply with no choices or no output items) the remaining items
    error at once, naming the first failure, and are ``failed`` like the others."""
    body, _, said = CASES[case]
    asked = _served(chat_server_on, monkeypatch, lambda model: body)
    model = f"openai/abort-{case}" if case == "no-output" else f"openai-api/local/abort-{case}"
    [log] = _logprob_run(tmp_path, model, abort_after=2, max_retries=0, max_samples=1)
    assert len(asked) == 2, asked
    errors = [s.metadata["generation_error"] for s in log.samples]
    assert len(errors) == ITEMS and errors.count(said(model)) == 2, errors
    [aborted] = [e for e in errors if e != said(model)]
    assert aborted.startswith("aborted: 2 infrastructure failures in a row"), aborted
    assert aborted.endswith(f"First error: {said(model)}"), aborted
    assert {next(iter(s.scores.values())).answer for s in log.samples} == {"failed"}
    assert log.status == "error"


@pytest.mark.parametrize("which", ["belief", "belief_logprob"])
def test_a_login_page_is_not_retried_for_any_model_of_an_eval(chat_server_on, monkeypatch,
                                                              tmp_path, which):
    """The rule that a 200 whose body is no JSON object is not retried is set up once per
    run, for that run's model (it was set up before every call): two models in one eval,
    each its own run, both answered by a login page, are each asked once per item, not
    again and again until --timeout."""
    case = f"twice-{which}"
    models = [f"openai-api/local/{case}-a", f"openai-api/local/{case}-b"]
    asked = _served(chat_server_on, monkeypatch, lambda model: (200, LOGIN, "text/html"))
    if which == "belief":
        task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                      judge="markers", max_failed=1)
        logs = eval(task, model=models, log_dir=str(tmp_path), display="none", timeout=20)
    else:
        logs = _logprob_run(tmp_path, models, timeout=20)
    assert sorted(log.eval.model for log in logs) == models
    for log in logs:
        name = log.eval.model.rsplit("/", 1)[1]
        assert asked.count(name) == len(log.samples), (name, asked)
        assert all("Unexpected non-ChatCompletion response" in s.metadata["generation_error"]
                   for s in log.samples)
