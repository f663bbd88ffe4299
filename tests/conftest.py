"""Shared test helpers: scripted mockllm models (with usage, so nothing calls tiktoken)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai.model import Model, ModelOutput, ModelUsage, get_model

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CLAIM = FIXTURES / "claims" / "glass_bridge.yaml"


def output(text: str) -> ModelOutput:
    out = ModelOutput.from_content("mockllm/model", text)
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out


def scripted(answer: Callable[[str], str], seen: list | None = None) -> Model:
    """A mockllm model answering from the last prompt message (order-independent).

    ``seen`` collects (messages, config) for every call, for assertions on what was sent.
    """

    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        if seen is not None:
            seen.append((messages, config))
        return output(answer(messages[-1].text))

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


@pytest.fixture
def fixture_claim() -> Path:
    return FIXTURE_CLAIM
