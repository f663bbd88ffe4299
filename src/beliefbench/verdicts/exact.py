"""Binary questions: the model's own yes / no, exact-matched against the believer's answer.

No judge is involved. An answer is read as JSON ``{"answer": "yes" | "no"}`` (code fences and
surrounding prose tolerated) or as a bare "yes" / "no"; anything else is a parse error,
which counts as non-belief.
"""

from __future__ import annotations

from beliefbench.verdicts import JudgeReading
from beliefbench.verdicts.reply import bare_verdict, keyed_values


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def read_binary(answer: str, belief_answer: str) -> JudgeReading:
    """yes when the model gives the believer's answer, no for the other, else parse_error."""
    words = {bare_verdict(raw) for raw, _ in keyed_values(answer, "answer")}
    if not words:
        words = {bare_verdict(answer)}
    words.discard(None)
    if len(words) > 1:
        return JudgeReading("parse_error", "",
                            f"binary answer gives both {sorted(words)}: {_shorten(answer)!r}")
    given = next(iter(words), None)
    if given not in ("yes", "no"):
        return JudgeReading("parse_error", "",
                            "binary answer is not yes or no (a bare word or JSON "
                            f'{{"answer": "yes"}} was asked for): {_shorten(answer)!r}')
    return JudgeReading("yes" if given == belief_answer else "no",
                        f"answered {given!r}; the believer's answer is {belief_answer!r}")
