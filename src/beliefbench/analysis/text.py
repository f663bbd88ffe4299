"""Short text shared by the reports and the tasks' error messages.

It imports nothing of beliefbench, so any module (a task, an analysis) may use it.
"""

from __future__ import annotations

from collections.abc import Sequence


def first_few(items: Sequence[str], shown: int) -> str:
    """The first ``shown`` items, comma-separated, then `` and K more`` for the rest:
    ``first_few(["a", "b", "c", "d"], 2)`` is ``a, b and 2 more``."""
    rest = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {rest} more" if rest > 0 else "")
