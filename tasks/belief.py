"""Belief evaluation: `inspect eval tasks/belief.py --model <model> --model-role grader=<judge>`.

Thin on purpose: the task is built in beliefbench.task, so `inspect eval beliefbench/belief`
(after `pip install beliefbench`) runs the same thing. Parameters: see `beliefbench.task.belief`.
From another directory give this file relatively, or absolutely WITH its task name
(`inspect eval /abs/path/tasks/belief.py@belief`): Inspect rejects an absolute task file without it.
"""

from typing import Any

from inspect_ai import Task, task
from inspect_ai.scorer import Scorer, scorer

from beliefbench import scorer as scorers
from beliefbench.task import belief as build_belief


@task
def belief(**params) -> Task:
    """How often the model answers as if each fabricated claim were true."""
    return build_belief(**params)


# A log records its scorers by their bare names (`belief_judge`, not the package's
# `beliefbench/belief_judge`). The package registers them under those names too (its Inspect
# entry point, which `inspect score` loads); these aliases are for a checkout used without
# installing it, where `inspect score LOG` finds them by loading the log's task file.
@scorer(metrics=[scorers.belief_summary()])
def belief_judge(**params: Any) -> Scorer:
    """beliefbench's belief scorer, under the name the log records."""
    return scorers.belief_judge(**params)


@scorer(metrics=[])
def judge_outage() -> Scorer:
    """beliefbench's judge-outage scorer, under the name the log records."""
    return scorers.judge_outage()
