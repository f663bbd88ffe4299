"""Belief evaluation: `inspect eval tasks/belief.py --model <model> --model-role grader=<judge>`.

Thin on purpose: the task is built in beliefbench.task, so `inspect eval beliefbench/belief`
(after `pip install beliefbench`) runs the same thing. Parameters: see `beliefbench.task.belief`.
"""

from inspect_ai import Task, task

from beliefbench.task import belief as build_belief


@task
def belief(**params) -> Task:
    """How often the model answers as if each fabricated claim were true."""
    return build_belief(**params)
