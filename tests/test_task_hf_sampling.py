"""The belief task on a real tiny hf model at temperature 0: refused before any generation
(transformers refuses to sample at temperature 0, which made every answer a failed call)."""

import pytest
from inspect_ai import eval

from beliefbench.arguments import TaskArgumentError
from beliefbench.task import belief
from beliefbench.tiny_model import build_tiny_model

ARGS = {"claims": "dentist", "families": "open_ended", "judge": "markers", "samples": 1,
        "max_tokens": 2}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    path = build_tiny_model(tmp_path_factory.mktemp("tiny") / "m", hidden_size=32,
                            num_layers=1, num_heads=2)
    return f"hf/{path}"


@pytest.mark.parametrize("task_temperature, eval_temperature, given", [
    (0, None, "-T temperature"), (0.7, 0, "--temperature")])
def test_temperature_zero_on_a_sampling_hf_model_is_refused_up_front(
        tiny, tmp_path, task_temperature, eval_temperature, given) -> None:
    with pytest.raises(TaskArgumentError) as refused:
        eval(belief, model=tiny, task_args={**ARGS, "temperature": task_temperature},
             temperature=eval_temperature, limit=1, log_dir=str(tmp_path), display="none")
    message = " ".join(str(refused.value).split())
    assert message.startswith(f"{given}=0 with --model {tiny}, which samples")
    assert "For greedy decoding add -M do_sample=false" in message
    assert not list(tmp_path.glob("*.eval"))  # nothing ran, no log to retry


def test_temperature_zero_with_do_sample_false_answers_greedily(tiny, tmp_path) -> None:
    [log] = eval(belief, model=tiny, model_args={"do_sample": False},
                 task_args={**ARGS, "temperature": 0}, limit=1, log_dir=str(tmp_path),
                 display="none")
    assert log.status == "success"
    assert not any(s.error for s in log.samples)
    assert log.samples[0].output.completion is not None
