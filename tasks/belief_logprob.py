"""Judge-free belief: `inspect eval tasks/belief_logprob.py --model vllm//abs/ckpt`.

Binary questions scored by first-token P(yes) vs P(no) (top_logprobs: vllm, hf, openai) and
completion pairs by prompt logprobs (vLLM). Parameters: see `beliefbench.logprob_task`.
From another directory give this file relatively, or absolutely WITH its task name
(`inspect eval /abs/path/tasks/belief_logprob.py@belief_logprob`): Inspect rejects
an absolute task file without it (every task file alike).
"""

from inspect_ai import Task, task

from beliefbench.logprob_task import belief_logprob as build_belief_logprob


@task
def belief_logprob(**params) -> Task:
    """Judge-free belief: binary yes/no probabilities and completion-pair margins."""
    return build_belief_logprob(**params)
