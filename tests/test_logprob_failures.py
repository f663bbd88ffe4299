"""Evals against a model server that fails (a real OpenAI-compatible server on 127.0.0.1):
a page sent with status 200 is not retried, for every model of an eval."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from conftest import FIXTURE_CLAIM
from inspect_ai import eval

from beliefbench.task import belief

SECRET = "sk-test-logprob-0123456789abcdef"
LOGIN = b"<html><head><title>Sign in</title></head><body>Log in to the proxy</body></html>"


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


@pytest.mark.parametrize("which", ["belief"])
def test_a_login_page_is_not_retried_for_any_model_of_an_eval(chat_server_on, monkeypatch,
                                                              tmp_path, which):
    """The rule that a 200 whose body is no JSON object is not retried is set up once per
    run, for that run's model (it was set up before every call): two models in one eval,
    each its own run, both answered by a login page, are each asked once per item, not
    again and again until --timeout."""
    case = f"twice-{which}"
    models = [f"openai-api/local/{case}-a", f"openai-api/local/{case}-b"]
    asked = _served(chat_server_on, monkeypatch, lambda model: (200, LOGIN, "text/html"))
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                  judge="markers", max_failed=1)
    logs = eval(task, model=models, log_dir=str(tmp_path), display="none", timeout=20)
    assert sorted(log.eval.model for log in logs) == models
    for log in logs:
        name = log.eval.model.rsplit("/", 1)[1]
        assert asked.count(name) == len(log.samples), (name, asked)
        assert all("Unexpected non-ChatCompletion response" in s.metadata["generation_error"]
                   for s in log.samples)
