"""A local model's weights load once per eval: Inspect's model-info lookup (run on every model
event with usage) no longer constructs the ``hf/`` model a second time, on a real tiny Llama."""

from __future__ import annotations

import pytest
from conftest import FIXTURE_CLAIM, keyword_grader, scripted
from inspect_ai import eval
from inspect_ai.model import ModelInfo, get_model_info, set_model_info
from inspect_ai.model._providers import hf

from beliefbench.logprob_task import belief_logprob
from beliefbench.model_info import register_local_model_info
from beliefbench.task import belief
from beliefbench.tiny_model import build_tiny_model

SMALL = {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 128}


@pytest.fixture
def loads(monkeypatch) -> list[object]:
    """The ``api_key`` of every ``hf`` provider constructed from now on (each one loads the
    weights); the real constructor runs."""
    seen: list[object] = []
    real = hf.HuggingFaceAPI.__init__

    def counted(self, *args, **kwargs):
        seen.append(kwargs.get("api_key"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(hf.HuggingFaceAPI, "__init__", counted)
    return seen


def test_belief_tasks_load_the_checkpoint_once(tmp_path, loads):
    ckpt = build_tiny_model(tmp_path / "ckpt", **SMALL)
    model = f"hf/{ckpt}"
    logs = eval([belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                        max_tokens=3),
                 belief_logprob(claims=str(FIXTURE_CLAIM), parts="binary")],
                model=model, model_args={"device": "cpu", "do_sample": False},
                model_roles={"grader": scripted(keyword_grader)},
                log_dir=str(tmp_path / "logs"), display="none", max_connections=1)
    assert [log.status for log in logs] == ["success", "success"]
    # model events carried usage (what sends Inspect to look the model up)
    assert any(e.event == "model" and e.output.usage for log in logs for s in log.samples
               for e in s.events)
    assert loads == [None]
    # the lookup answers from the registry, constructing nothing
    assert get_model_info(model) is not None
    assert loads == [None]


def test_only_unknown_local_models_are_registered(tmp_path):
    assert not register_local_model_info("openai/gpt-4o")
    assert not register_local_model_info("mockllm/model")
    mine = ModelInfo(context_length=1234)
    set_model_info(f"hf/{tmp_path}/mine", mine)
    assert not register_local_model_info(f"hf/{tmp_path}/mine")
    assert get_model_info(f"hf/{tmp_path}/mine") == mine
    assert register_local_model_info(f"vllm/{tmp_path}/other")
    assert get_model_info(f"vllm/{tmp_path}/other").context_length is None
