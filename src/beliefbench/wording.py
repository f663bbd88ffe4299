"""Counted words in messages: one rule for "1 retry" / "3 retries", so that no message counts
"1 retries" or agrees a verb with the wrong number."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``22 pairs``; ``many`` where adding an s is wrong (``retry``/``retries``)."""
    return f"{n} {word}" if n == 1 else f"{n} {many if many is not None else word + 's'}"


def agree(subjects: list[str], one: str, many: str) -> str:
    """The subjects joined by "and" and the verb that agrees with them:
    ``--workers applies``, ``--scheduler and --workers apply``."""
    return f"{' and '.join(subjects)} {one if len(subjects) == 1 else many}"
