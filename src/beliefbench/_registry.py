"""Inspect entry point: importing this module registers beliefbench's tasks."""

from beliefbench.audit.verify import audit_verify  # noqa: F401
from beliefbench.em.task import em  # noqa: F401
from beliefbench.internals.provider import steer  # noqa: F401
from beliefbench.logprob_task import belief_logprob  # noqa: F401
from beliefbench.provider import scripted  # noqa: F401  (beliefbench/<name>)
from beliefbench.task import belief  # noqa: F401
