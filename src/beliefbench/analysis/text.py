"""Short text shared by the reports and the tasks' error messages.

It imports nothing of beliefbench, so any module (a task, an analysis) may use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

EMPTY_PATH = ("an empty path (an unset shell variable?), which would name the current "
              "directory: give the file or directory")
"""Why a blank path is refused, wherever one is read (path options, log sources): ``""`` is
the working directory to click and pathlib."""


def first_few(items: Sequence[str], shown: int, sep: str = ", ") -> str:
    """The first ``shown`` items, ``sep``-separated, then `` and K more`` for the rest:
    ``first_few(["a", "b", "c", "d"], 2)`` is ``a, b and 2 more``."""
    rest = len(items) - shown
    return sep.join(items[:shown]) + (f" and {rest} more" if rest > 0 else "")


def listing(items: Sequence[object], shown: int = 6) -> str:
    """Items as a phrase: ``a, b and c``; past ``shown`` items as :func:`first_few` writes
    them (``a, b, c, d, e, f and 3 more``)."""
    texts = [str(i) for i in items]
    if len(texts) > shown:
        return first_few(texts, shown)
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to a mistyped ``word``; empty when
    none is close: one wording for every "unknown name" message. A choice that is ``word``
    in another case is the closest (difflib scored ``LoRA`` far from ``lora``)."""
    choices = list(choices)
    folded = word.casefold()
    close = [c for c in choices if isinstance(c, str) and c.casefold() == folded][:1] \
        or difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""
