"""beliefbench's Inspect tasks by the name a command line gives them (sweeps, interventions).

Imports are deferred so that naming a task costs nothing until it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspect_ai import Task

TASK_NAMES: tuple[str, ...] = ("belief", "em")
"""The belief task takes ``claims``; the EM task takes ``questions`` instead."""


def task_factory(name: str) -> Callable[..., Task]:
    """The task function registered under ``name``; ValueError names the valid ones."""
    if name == "belief":
        from beliefbench.task import belief
        return belief
    if name == "em":
        from beliefbench.em.task import em
        return em
    raise ValueError(f"task: unknown {name!r}; valid: {', '.join(TASK_NAMES)}")
