"""Reading an LLM judge's reply into a verdict.

Judges are asked for JSON ``{"reason": ..., "answer": "yes" | "no" | "neutral"}``. Replies
are read leniently (code fences, prose around the JSON, a regex fallback for broken JSON),
but never guessed: an empty, unreadable or self-contradicting reply is a ``parse_error``
verdict, which counts as non-belief and is reported on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache

from beliefbench.verdicts import JUDGE_VERDICTS, JudgeReading

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_WORD_AFTER = re.compile(r"[ \t]+[^\W\d_]")
"""A word right after a one-letter answer: the letter was a word of prose (see keyed_values)."""


@cache
def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(map(re.escape, words))


@cache
def _value(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"""^[\s"'`*_]*({_alternatives(words)})[\s"'`*_.!]*$""", re.IGNORECASE)


class _Pairs(dict):
    """A decoded JSON object that also keeps every (key, value) pair in order: a repeated
    key (``{"answer": "yes", "answer": "no"}``) is a contradiction, not its last value."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        self.pairs = list(pairs)


def _braces_end(text: str, start: int) -> int:
    """Where the ``{`` at ``start`` closes, by its braces alone (the end of a text where it
    never does): the extent of an object that is not valid JSON."""
    depth = 0
    for j, char in enumerate(text[start:], start):
        depth += (char == "{") - (char == "}")
        if depth == 0:
            return j + 1
    return len(text)


def json_objects(text: str) -> list[dict]:
    """Every JSON object embedded in ``text`` (fenced blocks first, then inline)."""
    decoder = json.JSONDecoder(object_pairs_hook=_Pairs)
    found: list[dict] = []
    sources = [m.group(1) for m in _FENCE.finditer(text)] or [text]
    for source in sources:
        i = source.find("{")
        while i != -1:
            try:
                obj, end = decoder.raw_decode(source, i)
            except json.JSONDecodeError:
                # not from a "{" inside it: an object the broken one quotes (a reason holding
                # the answer's {"answer": "yes"}, unescaped) was read as the judge's verdict
                i = source.find("{", _braces_end(source, i))
                continue
            if isinstance(obj, dict):
                found.append(obj)
            i = source.find("{", end)
    return found


def _lookup_all(obj: dict, key: str) -> list[object]:
    """Every non-null value under ``key`` (any case, repeats included)."""
    pairs = obj.pairs if isinstance(obj, _Pairs) else obj.items()
    return [v for k, v in pairs if str(k).strip().lower() == key.lower() and v is not None]


def _lookup(obj: dict, key: str) -> object | None:
    return next(iter(_lookup_all(obj, key)), None)


def bare_verdict(text: str, words: Sequence[str] = JUDGE_VERDICTS) -> str | None:
    """The verdict when the whole text is just the word (``Yes.``, ``"no"``), else None.

    ``words``: the answers that count (lower case; the judge's verdicts unless given), so
    an exact-match family with other answers (letters) reads them by the same rules."""
    m = _value(tuple(words)).match(text)
    return m.group(1).lower() if m else None


def keyed_values(text: str, key: str,
                 words: Sequence[str] = JUDGE_VERDICTS) -> list[tuple[str, str]]:
    """(value, reason) for every ``key`` in the JSON of ``text``; a regex for broken JSON
    (which finds only ``words``: the judge's verdicts unless given)."""
    values: list[tuple[str, str]] = []
    for obj in json_objects(text):
        reason = str(_lookup(obj, "reason") or "")
        # a value that is no string as the reply wrote it: `true`, not Python's `True`
        values += [(value if isinstance(value, str) else json.dumps(value), reason)
                   for value in _lookup_all(obj, key)]
    if values:
        return values
    # broken JSON (unescaped quotes, a missing brace): fall back to the key's pattern
    value = rf"(?:{_alternatives(tuple(words))})\b"
    # the key as a word of its own: "model_answer" or "final_answer" is another field (the
    # model's answer restated was read as the verdict); the value runs on over "or" / "|" /
    # "/" / "and" and another verdict: a reply echoing the format it was asked for
    # ({"answer": "yes" | "no"}, answer: yes or no) is no verdict (it read as its first word)
    pattern = (rf"""["']?(?<![\w-]){re.escape(key)}["']?\s*[:=]\s*["']?"""
               rf"""({value}(?:["']?\s*(?:[|/]|or\b|and\b)\s*["']?{value})*)""")
    # the reason ends at its closing quote before a comma, a brace or (a comma missing) the
    # next quoted key; or at the end of a reply cut off inside it
    reason = re.search(r"""["']?reason["']?\s*[:=]\s*["'](.*?)"""
                       r"""(?:["']\s*[,}]|["'](?=\s*["']\w+["']\s*[:=])|$)""", text,
                       re.IGNORECASE | re.DOTALL)
    # the key is looked for outside the reason's text: a reply cut off inside its reason
    # ("the answer: yes would mean ...") or whose answer is null gave no verdict
    rest = text[:reason.start(1)] + text[reason.end(1):] if reason else text
    matches = list(re.finditer(pattern, rest, re.IGNORECASE))
    if all(len(w) == 1 for w in words):
        # a letter followed by a word is prose, not an answer: "answer: a tricky one, B"
        # is the article, and was read as option A (the judge's verdicts are words, unaffected)
        matches = [m for m in matches if not _WORD_AFTER.match(rest, m.end())]
    return [(m.group(1), reason.group(1) if reason else "") for m in matches]


def read_reply(reply: str | None, key: str = "answer") -> JudgeReading:
    """Read a judge reply into a verdict; see the module docstring for the rules."""
    if reply is None or not reply.strip():
        return JudgeReading("parse_error", "", "empty judge reply")
    values = keyed_values(reply, key)
    if not values:
        return JudgeReading("parse_error", "", f"no {key!r} field found in the judge reply")
    verdicts = []
    for raw, _ in values:
        verdict = bare_verdict(raw)
        if verdict is None:
            return JudgeReading("parse_error", "", f"unrecognised verdict {raw!r}")
        verdicts.append(verdict)
    if len(set(verdicts)) > 1:
        return JudgeReading("parse_error", "",
                            f"contradictory verdicts {sorted(set(verdicts))} in one reply")
    return JudgeReading(verdicts[0], values[0][1])
