"""Inspect entry point: importing this module registers beliefbench's tasks."""

from beliefbench.task import belief  # noqa: F401
