"""The belief and EM tasks on a real tiny hf model at temperature 0: refused before any
generation (transformers refuses to sample at temperature 0, which made every answer a failed
call)."""

import pytest
from conftest import em_question_sets
from inspect_ai import eval

from beliefbench.arguments import TaskArgumentError
from beliefbench.em.task import em
from beliefbench.task import belief
from beliefbench.tiny_model import build_tiny_model

ARGS = {"claims": "dentist", "families": "open_ended", "judge": "markers", "samples": 1,
        "max_tokens": 2}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> str:
    path = build_tiny_model(tmp_path_factory.mktemp("tiny") / "m", hidden_size=32,
                            num_layers=1, num_heads=2)
    return f"hf/{path}"


def _task(name, tmp_path):
    """The task function, its arguments and its default temperature as the message says it."""
    if name == "belief":
        return belief, ARGS, {}, "0.7"
    [general, _] = em_question_sets(tmp_path)
    return (em, {"questions": general, "samples": 1, "max_tokens": 2},
            {"grader": "beliefbench/judge"}, "1")


@pytest.mark.parametrize("name", ["belief", "em"])
@pytest.mark.parametrize("task_temperature, eval_temperature, given", [
    (0, None, "-T temperature"), (0.7, 0, "--temperature")])
def test_temperature_zero_on_a_sampling_hf_model_is_refused_up_front(
        tiny, tmp_path, name, task_temperature, eval_temperature, given) -> None:
    """The EM task too: before, ``inspect eval tasks/em.py --model hf/... --temperature 0``
    ran every sample to an error (``temperature (=0.0) has to be a strictly positive
    float``) and ended its log ``error``, every response counted ``failed``."""
    task, args, roles, default = _task(name, tmp_path)
    with pytest.raises(TaskArgumentError) as refused:
        eval(task, model=tiny, model_roles=roles,
             task_args={**args, "temperature": task_temperature},
             temperature=eval_temperature, limit=1, log_dir=str(tmp_path / "logs"),
             display="none")
    message = " ".join(str(refused.value).split())
    assert message.startswith(f"{given}=0 with --model {tiny}, which samples")
    assert "For greedy decoding add -M do_sample=false" in message
    assert message.endswith(f"(or leave it out: the task's default is {default})")
    assert not list(tmp_path.glob("logs/*.eval"))  # nothing ran, no log to retry


@pytest.mark.parametrize("name", ["belief", "em"])
def test_temperature_zero_with_do_sample_false_answers_greedily(tiny, tmp_path, name) -> None:
    task, args, roles, _ = _task(name, tmp_path)
    [log] = eval(task, model=tiny, model_args={"do_sample": False}, model_roles=roles,
                 task_args={**args, "temperature": 0}, limit=1,
                 log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success"
    assert not any(s.error for s in log.samples)
    assert log.samples[0].output.completion is not None


@pytest.mark.parametrize("bound", [True, False])
def test_an_hf_judge_that_samples_says_how_to_bind_it_greedy(tiny, tmp_path, bound) -> None:
    """``inspect eval ... --model-role grader=hf/<folder>``: every judge call failed with
    transformers' "`temperature` (=0.0) has to be a strictly positive float ... set
    `do_sample=False`", which named no place to set it. The failure now gives the binding
    (or, where the hf model under test judges itself, -M do_sample=false)."""
    args = {"claims": "dentist", "families": "open_ended", "samples": 1, "max_tokens": 2}
    [log] = eval(belief, model=tiny if not bound else "beliefbench/believer",
                 model_roles={"grader": tiny} if bound else {}, task_args=args, limit=1,
                 log_dir=str(tmp_path / "logs"), display="none")
    score = log.samples[0].scores["belief_judge"]
    problem = score.metadata["problem"]
    assert score.answer == "failed" and "has to be a strictly positive float" in problem
    if bound:
        assert problem.endswith(f" (an hf grader samples unless bound greedy: --model-role "
                                f"'grader={{model: {tiny}, model_args: {{do_sample: "
                                f"false}}}}')"), problem
    else:
        assert problem.endswith(" (no grader is bound, so the model under test judges "
                                "itself, and it samples: bind a grader, --model-role "
                                "grader=<model>, or pass -M do_sample=false)"), problem
