"""Words in messages: one rule for "1 retry" / "3 retries", so that no message counts
"1 retries" or agrees a verb with the wrong number; one for quoting an error's first line;
one for the decimal a percent written as a number meant."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``22 pairs``; ``many`` where adding an s is wrong (``retry``/``retries``)."""
    return f"{n} {word}" if n == 1 else f"{n} {many if many is not None else word + 's'}"


def agree(subjects: list[str], one: str, many: str) -> str:
    """The subjects joined by "and" and the verb that agrees with them:
    ``--workers applies``, ``--scheduler and --workers apply``."""
    return f"{' and '.join(subjects)} {one if len(subjects) == 1 else many}"


def percent_meant(value: float, option: str, *, keyword: bool = False) -> str:
    """``10% is --max-failed 0.1``: the decimal a share option written as a percent number
    (above 1, up to 100) meant; empty for any other value. One wording for every share
    refused so (gate and em-report budgets, docs mix and docs poison shares). ``keyword``:
    ``option`` is a Python argument, ``10% is max_failed=0.1``."""
    if not 1 < value <= 100:
        return ""
    return f"{value:g}% is {option}{'=' if keyword else ' '}{value / 100:g}"


NO_MESSAGE = "(no message)"
"""What :func:`first_line` says of an error that has no text."""


def first_line(text: str) -> str:
    """The first line of an error's text with words on it, stripped, for a one-line message;
    :data:`NO_MESSAGE` where it has none (``str(e).splitlines()[0]`` raised IndexError on an
    exception raised bare, or a log's sample error of ``""``, and hid the error it quoted)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return NO_MESSAGE
