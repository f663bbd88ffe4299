"""beliefbench's Inspect tasks by the name a command line gives them (sweeps, interventions).

Imports are deferred so that naming a task costs nothing until it is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from inspect_ai import Task
    from inspect_ai.log import EvalLog

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


def task_parameters(name: str) -> list[str]:
    """The parameters of the task registered under ``name`` (what ``-T`` may set)."""
    return list(inspect.signature(task_factory(name)).parameters)


def check_task_args(name: str, args: Mapping[str, Any],
                    builder: Callable[..., Task] | None = None) -> None:
    """A mistyped ``-T`` key as one ValueError naming it and the task's parameters, before
    any eval starts (the task function would raise a TypeError in the middle of a command).
    ``builder``: the task function, where ``name`` is not one of :data:`TASK_NAMES`."""
    valid = list(inspect.signature(builder).parameters) if builder else task_parameters(name)
    unknown = [key for key in args if key not in valid]
    if unknown:
        raise ValueError(f"-T {', '.join(unknown)}: not a parameter of the {name} task; its "
                         f"parameters: {', '.join(valid)}")


def build_task(name: str, builder: Callable[..., Task], params: Mapping[str, Any]) -> Task:
    """A task file's task (``tasks/*.py`` take ``**params`` and pass them on): a mistyped
    ``-T`` key is refused naming it and the parameters, where the builder would end Inspect's
    traceback with a bare ``TypeError: belief() got an unexpected keyword argument``."""
    check_task_args(name, params, builder)
    return builder(**params)


def stop_if_interrupted(logs: Sequence[EvalLog]) -> None:
    """Raise KeyboardInterrupt where Inspect swallowed a Ctrl-C: ``eval`` then returns no
    log and ``eval_set`` returns ``(True, [])``, which a caller would read as done and go
    on to its next eval."""
    if not logs or any(log.status == "cancelled" for log in logs):
        raise KeyboardInterrupt
