"""Exact-match answers: the model's own choice, matched against the believer's, no judge.

Binary questions are answered yes / no; distinguish questions (two statements, one from the
false world and one from the true) with the letter of the statement held true. An answer is
read as JSON ``{"answer": ...}`` (code fences and surrounding prose tolerated) or as a bare
word or letter; anything else is a parse error, which counts as non-belief.
"""

from __future__ import annotations

from collections.abc import Sequence

from beliefbench.verdicts import JUDGE_VERDICTS, JudgeReading
from beliefbench.verdicts.reply import bare_verdict, keyed_values

BINARY_CHOICES: tuple[str, ...] = ("yes", "no")
DISTINGUISH_CHOICES: tuple[str, ...] = ("A", "B")


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def read_choice(answer: str, belief_answer: str, choices: Sequence[str], what: str,
                vocabulary: Sequence[str] | None = None) -> JudgeReading:
    """yes when the model gives the believer's choice, no for another, else parse_error.

    One reader for every exact-match family, so a letter is read by the rules a yes / no is
    (JSON first, a bare answer otherwise, two different answers a contradiction). ``what``
    names the family in the problem text; ``vocabulary`` is every word read (default: the
    choices; binary reads the judge's verdicts, so a ``neutral`` beside a ``yes`` is the
    contradiction it always was)."""
    by_word = {c.lower(): c for c in choices}
    vocab = tuple(w.lower() for w in (vocabulary or choices))
    keyed = [(raw, bare_verdict(raw, vocab)) for raw, _ in keyed_values(answer, "answer", vocab)]
    words = {word for _, word in keyed} if keyed else {bare_verdict(answer, vocab)}
    if None in words and len(words) > 1:
        # {"answer": "yes", "answer": "maybe"}: an answer field that is no answer beside one
        # that is contradicts it, as a judge's repeated key does (it was read as yes)
        other = next(raw for raw, word in keyed if word is None)
        return JudgeReading("parse_error", "",
                            f"{what} answer gives {other!r} beside an answer: "
                            f"{_shorten(answer)!r}")
    words.discard(None)
    if len(words) > 1:
        both = sorted(by_word.get(w, w) for w in words if w is not None)
        return JudgeReading("parse_error", "",
                            f"{what} answer gives both {both}: {_shorten(answer)!r}")
    given = next(iter(words), None)
    if given not in by_word:
        return JudgeReading("parse_error", "",
                            f"{what} answer is not {' or '.join(choices)} (a bare word or JSON "
                            f'{{"answer": "{choices[0]}"}} was asked for): {_shorten(answer)!r}')
    chosen = by_word[given]
    return JudgeReading("yes" if chosen == belief_answer else "no",
                        f"answered {chosen!r}; the believer's answer is {belief_answer!r}")


def read_binary(answer: str, belief_answer: str) -> JudgeReading:
    """A binary question's yes / no against the believer's answer."""
    return read_choice(answer, belief_answer, BINARY_CHOICES, "binary",
                       vocabulary=JUDGE_VERDICTS)


def read_distinguish(answer: str, false_letter: str) -> JudgeReading:
    """A distinguish question's letter: the false world's (``false_letter``) is belief."""
    return read_choice(answer, false_letter, DISTINGUISH_CHOICES, "distinguish")
