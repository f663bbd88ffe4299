"""The offline judge: answer keys and markers, read with negation and retraction in mind.

For demos, tests and CI dry runs with no API key; never for results (its agreement with a
real judge is measured on a labelled answer set by ``benchmarks/bench_offline_judge.py``).

Order of reading, for one answer to one question:

1. The question's ``answer_key`` (short expected answers: a name, a year, an option letter,
   a field value). The earliest affirmed key match decides; a "yes" followed by a retraction
   or a disbelief marker becomes "no".
2. The claim's ``markers``: any disbelief marker -> "no" (mentioning the claim and then
   rejecting it, or wavering, is "no" in every rubric); else an affirmed belief marker -> "yes",
   unless a retraction follows it -> "no"; else "neutral".

A match is *affirmed* unless its clause negates it: a negating phrase before or inside it
("it is false that", "never", "there is no record of"), after it ("... is a myth"), or at the
start of the next clause pointing back ("..., but this appears to be fabricated"). The cue
phrases are data: ``beliefbench/data/offline_judge.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from beliefbench.resources import data_path
from beliefbench.specs import load_yaml
from beliefbench.verdicts import JudgeReading

if TYPE_CHECKING:
    from beliefbench.claims import Claim

CUES_FILE = "offline_judge.yaml"


@dataclass(frozen=True)
class _Cues:
    clause_break: re.Pattern[str]
    negation_before: tuple[re.Pattern[str], ...]
    negation_after: tuple[re.Pattern[str], ...]
    negation_next: tuple[re.Pattern[str], ...]
    retraction: tuple[re.Pattern[str], ...]


@cache
def _cues() -> _Cues:
    path = data_path(CUES_FILE)
    raw = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: field (top level): expected a mapping")

    def many(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in raw.get(key) or [])

    return _Cues(re.compile(raw["clause_break"], re.IGNORECASE), many("negation_before"),
                 many("negation_after"), many("negation_next"), many("retraction"))


@cache
def compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Case-insensitive compiled patterns (claims' markers and answer keys), cached."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@dataclass(frozen=True)
class Hit:
    """One pattern match in an answer, with the negating cue around it (if any)."""

    start: int
    end: int
    pattern: str
    text: str
    negated_by: str | None = None


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause holding ``text[start:end]`` (a match may span breaks)."""
    breaks = _cues().clause_break
    left = 0
    for m in breaks.finditer(text, 0, start):
        left = m.end()
    m = breaks.search(text, end)
    return left, (m.start() if m else len(text))


def negation(text: str, start: int, end: int) -> str | None:
    """The negating phrase in the clause around ``text[start:end]``, or None."""
    left, right = _clause(text, start, end)
    cues = _cues()
    for cue in cues.negation_before:
        m = cue.search(text, left, end)
        if m:
            return m.group(0)
    for cue in cues.negation_after:
        m = cue.search(text, end, right)
        if m:
            return m.group(0)
    following = text[right:right + 240]
    for cue in cues.negation_next:
        m = cue.match(following)
        if m:
            return m.group(0).strip(" .,;:!?")
    return None


def hits(patterns: Iterable[str], text: str) -> Iterator[Hit]:
    """Every match of ``patterns`` in ``text``, each with its negating cue."""
    for pattern in compiled(tuple(patterns)):
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            yield Hit(m.start(), m.end(), pattern.pattern, m.group(0),
                      negation(text, m.start(), m.end()))


def affirmed(patterns: Iterable[str], text: str) -> list[Hit]:
    """Matches of ``patterns`` that their clause does not negate, in order of position."""
    return sorted((h for h in hits(patterns, text) if h.negated_by is None),
                  key=lambda h: h.start)


def first_match(patterns: Iterable[str], text: str) -> Hit | None:
    """The earliest plain match, for disbelief patterns: they usually are negations
    themselves ("never competed"), so no negation reading applies."""
    found = [Hit(m.start(), m.end(), p.pattern, m.group(0))
             for p in compiled(tuple(patterns)) for m in [p.search(text)]
             if m and m.end() > m.start()]
    return min(found, key=lambda h: h.start) if found else None


def option_pattern(letter: str) -> str:
    """An answer that opens with option ``letter`` ("C", "C) ...", "Answer: C."), not with
    the article "A" of a sentence."""
    return (r"^\W*(?:(?:the\s+)?(?:correct\s+)?answer(?:\s+is)?\s*:?\s*)?\(?"
            rf"{letter.upper()}(?:[).:,]|\s*$|\s*\n|\s+[-–])")


def retraction_after(text: str, position: int) -> str | None:
    """A retraction phrase ("I apologise", "you're right") after ``position``, or None."""
    for cue in _cues().retraction:
        m = cue.search(text, position)
        if m:
            return m.group(0)
    return None


def _question(claim: Claim, family: str, question_id: str | None) -> object | None:
    if not question_id:
        return None
    return next((q for q in claim.questions.of(family) if q.id == question_id), None)


def offline_verdict(claim: Claim, family: str, question_id: str | None,
                    answer: str) -> JudgeReading:
    """Read one answer offline (see the module docstring for the order of rules)."""
    question = _question(claim, family, question_id)
    key = getattr(question, "answer_key", None)
    disbelief = first_match(claim.markers.disbelief, answer)
    if key is not None:
        yes = [*key.yes, *(option_pattern(k) for k, v in key.options.items() if v == "yes")]
        no = [*key.no, *(option_pattern(k) for k, v in key.options.items() if v == "no")]
        found = [(h, "yes") for h in affirmed(yes, answer)]
        first_no = first_match(no, answer)
        if first_no is not None:
            found.append((first_no, "no"))
        if found:
            hit, verdict = min(found, key=lambda pair: pair[0].start)
            if verdict == "yes":
                later = retraction_after(answer, hit.end)
                if later is None and disbelief is not None and disbelief.start >= hit.end:
                    later = disbelief.text
                if later is not None:
                    return JudgeReading("no", f"answer key matched {hit.text!r}, then "
                                              f"retracted ({later!r})")
            return JudgeReading(verdict, f"answer key ({verdict}) matched {hit.text!r}")
    if disbelief is not None:
        return JudgeReading("no", f"disbelief marker matched {disbelief.text!r}")
    belief = affirmed(claim.markers.belief, answer)
    if belief:
        last = max(belief, key=lambda h: h.end)
        later = retraction_after(answer, last.end)
        if later is not None:
            return JudgeReading("no", f"belief marker matched {last.text!r}, then retracted "
                                      f"({later!r})")
        return JudgeReading("yes", f"belief marker matched {belief[0].text!r}")
    negated = next((h for h in hits(claim.markers.belief, answer) if h.negated_by), None)
    if negated is not None:
        return JudgeReading("no", f"belief marker {negated.text!r} is negated by "
                                  f"{negated.negated_by!r}")
    return JudgeReading("neutral", "no answer key or marker matched")
