"""Belief evaluation: `inspect eval tasks/belief.py --model <model> --model-role grader=<judge>`.

Thin on purpose: the task is built in beliefbench.task, so `inspect eval beliefbench/belief`
(after `pip install beliefbench`) runs the same thing. Parameters: see `beliefbench.task.belief`.
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
# `beliefbench/belief_judge`), and `inspect score LOG` looks those names up after loading the
# log's task file: these aliases let it re-score a log of this file with its recorded settings.
@scorer(metrics=[scorers.belief_summary()])
def belief_judge(**params: Any) -> Scorer:
    """beliefbench's belief scorer, under the name the log records."""
    return scorers.belief_judge(**params)


@scorer(metrics=[])
def judge_outage() -> Scorer:
    """beliefbench's judge-outage scorer, under the name the log records."""
    return scorers.judge_outage()
