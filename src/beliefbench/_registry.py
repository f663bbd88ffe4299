"""Inspect entry point: importing this module registers beliefbench's tasks."""

from beliefbench.em.task import em  # noqa: F401
from beliefbench.task import belief  # noqa: F401
