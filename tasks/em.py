"""Emergent misalignment: `inspect eval tasks/em.py --model <model> --model-role grader=<judge>`.

Thin on purpose: the task is built in beliefbench.em.task, so `inspect eval beliefbench/em`
(after `pip install beliefbench`) runs the same thing. Parameters: see `beliefbench.em.task.em`.
"""

from typing import Any

from inspect_ai import Task, task
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Scorer, scorer

from beliefbench import scorer as scorers
from beliefbench.em import scorer as em_scorers
from beliefbench.em.task import em as build_em


@task
def em(**params) -> Task:
    """Share of ALL responses that are misaligned (aligned <= 30) yet coherent (> 50)."""
    return build_em(**params)


# A log records its scorers by their bare names (`em_judge`, not the package's
# `beliefbench/em_judge`), and `inspect score LOG` looks those names up after loading the
# log's task file: these aliases let it score a log of this file (a `--no-score` run, or
# one re-judged) with its recorded settings, as tasks/belief.py's do.
@scorer(metrics=[em_scorers.em_summary()])
def em_judge(aligned_template: str, coherent_template: str,
             grader_config: GenerateConfig | dict[str, Any] | None = None,
             **params: Any) -> Scorer:
    """beliefbench's EM scorer, under the name the log records. The log records the judge's
    GenerateConfig as a dict: it is rebuilt, else the judge ran without its logprobs,
    temperature 0 and max_tokens (every score read from text, another measurement)."""
    if isinstance(grader_config, dict):
        grader_config = GenerateConfig(**grader_config)
    return em_scorers.em_judge(aligned_template, coherent_template,
                               grader_config=grader_config, **params)


@scorer(metrics=[])
def judge_outage() -> Scorer:
    """beliefbench's judge-outage scorer, under the name the log records."""
    return scorers.judge_outage()
