"""Inspect entry point: importing this module registers beliefbench's tasks, and its scorers
under the bare names a log records them by (for ``inspect score LOG``)."""

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from beliefbench.audit.verify import audit_verify, flag_verdict  # noqa: F401
from beliefbench.em.scorer import em_judge
from beliefbench.em.task import em  # noqa: F401
from beliefbench.internals.provider import steer  # noqa: F401
from beliefbench.logprob_task import belief_logprob, logprob_scorer  # noqa: F401
from beliefbench.provider import scripted  # noqa: F401  (beliefbench/<name>)
from beliefbench.scorer import belief_judge, judge_outage
from beliefbench.task import belief  # noqa: F401


def register_bare_name(factory: Callable[..., Any]) -> None:
    """Register the scorer ``factory`` (``beliefbench/<name>``) under ``<name>`` as well.

    Inspect records a scorer in a log by its unqualified name, and ``inspect score LOG``
    looks that name up (with the log's recorded arguments): a log of a registered task
    (``inspect eval beliefbench/em``, ``eval(em(...))``, a sweep) names no task file to
    load it from, so it stopped with "The scorer 'em_judge' couldn't be loaded". Inspect
    loads every package's entry point (this module) when ``inspect score`` starts. A name
    already registered (Inspect's own, or a task file's alias) is left as it is."""
    # Inspect's registry is not public API: an Inspect that changed it must still load this
    # entry point (the tasks are registered above), so any failure leaves the alias out and
    # `inspect score` says "couldn't be loaded" as before.
    try:
        from inspect_ai._util.registry import (
            RegistryInfo,
            registry_add,
            registry_has,
            registry_info,
        )

        info = registry_info(factory)
        bare = info.name.rsplit("/", 1)[-1]
        if registry_has("scorer", bare):
            return

        def alias(*args: Any, **kwargs: Any) -> Any:
            return factory(*args, **kwargs)

        update_wrapper(alias, factory)  # its signature and docstring, for Inspect's checks
        registry_add(alias, RegistryInfo(type="scorer", name=bare, metadata=info.metadata))
    except Exception:  # noqa: BLE001 - see above
        return


for _scorer in (em_judge, belief_judge, judge_outage, logprob_scorer, flag_verdict):
    register_bare_name(_scorer)
