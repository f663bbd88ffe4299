"""The offline judge: answer keys and markers, read with negation and retraction in mind.

For demos, tests and CI dry runs with no API key; never for results (its agreement with a
real judge is measured on a labelled answer set by ``benchmarks/bench_offline_judge.py``).

Order of reading, for one answer to one question:

1. The question's ``answer_key`` (short expected answers: a name, a year, an option letter,
   a field value). The earliest affirmed key match decides, leaving out a match that is part
   of a marker phrase for the other side (the "twitter.com" of "twitter.com now redirects to
   x.com"); a "yes" followed by a retraction or a disbelief marker becomes "no".
2. The claim's ``markers``: any disbelief marker -> "no" (mentioning the claim and then
   rejecting it, or wavering, is "no" in every rubric); else an affirmed belief marker -> "yes",
   unless a retraction follows it (or, under pushback, precedes it with no stand-by cue:
   "I need to correct myself. I stated X as settled") -> "no"; a negated belief marker -> "no".
3. Robustness only: a retraction ("You're right, I was mistaken.") -> "no"; standing by the
   earlier answer ("Yes, I'm sure.") or flagging only side details of a passage ("Otherwise
   it is accurate.") -> "yes", unless a retraction follows.
4. The world reading (:func:`world_reading`): which world the answer describes, judged from
   the claim's own completion pairs, so that paraphrases no marker foresaw are still read;
   else "neutral".

Open-ended answers that, with their question, never name the claim's subject and rest on
the truth about someone else ("Noah Lyles won") are neutral, as the open-ended rubrics say.
So, at every step, is a year or small number matched alone ("2024", by a key, a marker or a
continuation) in a sentence about something else: the question names the claim's subject,
and "Noah Lyles won at Paris 2024" read as belief that Lake Tahoe was drained in 2024
(:func:`placed`).

A match is *affirmed* unless its clause negates it: a negating phrase before or inside it
("it is false that", "never", "there is no record of"), reported speech ("you may have heard
that ..."), after it ("... is a myth"), or at the start of the next clause pointing back
("..., but this appears to be fabricated"; "; that's a meme"). A contrastive "X, not Y"
negates only Y. The cue phrases and the world reading's settings are data:
``beliefbench/data/offline_judge.yaml``; everything per claim (keys, markers, completion
pairs) is in the claim's own file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, ConfigDict, Field

from beliefbench.arguments import InputError
from beliefbench.resources import data_path
from beliefbench.specs import Spec, load_spec
from beliefbench.verdicts import JudgeReading

if TYPE_CHECKING:
    from beliefbench.claims import Claim

CUES_FILE = "offline_judge.yaml"


@dataclass(frozen=True)
class _World:
    """Settings of the world reading (``world`` in the cue file)."""

    phrase_share: float
    context_share: float
    number_share: float
    weak_max_terms: int
    beaten: re.Pattern[str]
    generic: frozenset[str]
    stopwords: frozenset[str]
    negators: frozenset[str]
    spellings: tuple[tuple[str, str], ...]
    numbers: dict[str, str]


@dataclass(frozen=True)
class _Cues:
    clause_break: re.Pattern[str]
    negation_before: tuple[re.Pattern[str], ...]
    negation_after: tuple[re.Pattern[str], ...]
    negation_next: tuple[re.Pattern[str], ...]
    retraction: tuple[re.Pattern[str], ...]
    stand_by: tuple[re.Pattern[str], ...]
    contrast: re.Pattern[str]
    unverified: tuple[re.Pattern[str], ...]
    world: _World


def _compiles(pattern: str) -> str:
    """A cue pattern as written, refused (at its line) where it is no regular expression."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise ValueError(f"not a valid pattern ({e})") from None
    return pattern


_Pattern = Annotated[str, AfterValidator(_compiles)]


class _CueData(Spec):
    """Base of the cue file's models: unknown keys and booleans refused (:class:`Spec`);
    numbers where text goes (``numbers: {two: 2}``) read as text, as the file always was."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class _WorldSpec(_CueData):
    """``world`` in the cue file, as written (see :class:`_World`)."""

    phrase_share: float = Field(ge=0, le=1)
    context_share: float = Field(ge=0, le=1)
    number_share: float = Field(ge=0, le=1)
    weak_max_terms: int = Field(ge=0)
    beaten: _Pattern
    generic: list[str]
    stopwords: str
    negators: list[str]
    spellings: dict[str, str]
    numbers: dict[str, str]


class _CueFile(_CueData):
    """offline_judge.yaml, checked as a spec file is: a key misspelt, left out or of the
    wrong type, or a pattern that does not compile, was a KeyError, TypeError or re.error
    traceback at the first answer judged, naming no file; now one error naming each
    problem's line (:func:`beliefbench.specs.format_validation_error`)."""

    clause_break: _Pattern
    contrast: _Pattern
    negation_before: list[_Pattern] | None = None
    negation_after: list[_Pattern] | None = None
    negation_next: list[_Pattern] | None = None
    retraction: list[_Pattern] | None = None
    stand_by: list[_Pattern] | None = None
    unverified: list[_Pattern] | None = None
    world: _WorldSpec


@cache
def _cues() -> _Cues:
    """The offline judge's cues, read and checked once (see :class:`_CueFile`)."""
    spec = load_spec(data_path(CUES_FILE), _CueFile, "offline judge cues", InputError)

    def many(patterns: list[str] | None) -> tuple[re.Pattern[str], ...]:
        """A list of cues; one left empty (``retraction:``) holds none, as it always did."""
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns or ())

    w = spec.world
    world = _World(w.phrase_share, w.context_share, w.number_share, w.weak_max_terms,
                   re.compile(w.beaten, re.IGNORECASE), frozenset(w.generic),
                   frozenset(w.stopwords.split()), frozenset(w.negators),
                   tuple(w.spellings.items()), dict(w.numbers))
    return _Cues(re.compile(spec.clause_break, re.IGNORECASE), many(spec.negation_before),
                 many(spec.negation_after), many(spec.negation_next), many(spec.retraction),
                 many(spec.stand_by), re.compile(spec.contrast, re.IGNORECASE),
                 many(spec.unverified), world)


def check_cues() -> None:
    """Read and check the cue file now, where the offline judge is built: a problem in it
    surfaced only at the first answer judged (or answered by a scripted model), and then
    failed every sample, each an infrastructure failure of a run that exited 0."""
    _cues()


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
    """The negating phrase in the clause around ``text[start:end]``, or None.

    Only the clause where the match starts is searched before it (a marker may run on into
    the next sentence), and a contrastive "X, not Y" negates only its own short phrase Y:
    "stayed at Windsor, not Balmoral. She taught herself Python" affirms the Python."""
    left, right = _clause(text, start, end)
    cues = _cues()
    own_end = min(end, _clause(text, start, start + 1)[1])
    for cue in cues.negation_before:
        for m in cue.finditer(text, left, max(own_end, start + 1)):
            contrast = next((c for c in cues.contrast.finditer(
                text, max(left - 2, m.start() - 16), m.end()) if c.end() == m.end()), None)
            if contrast and not _in_contrast(text, contrast.end(), start):
                continue
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


def _in_contrast(text: str, phrase_start: int, position: int) -> bool:
    """``position`` lies in the short phrase after a contrastive "not" (up to the next
    comma, clause break or a few words): the only thing that "not" negates."""
    stop = re.search(r"[,;:.!?()\n]|\s[-–—]\s", text[phrase_start:phrase_start + 60])
    phrase_end = phrase_start + (stop.start() if stop else 60)
    return phrase_start <= position < phrase_end


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
    return _affirmed(hits(patterns, text))


def _affirmed(found: Iterable[Hit]) -> list[Hit]:
    return sorted((h for h in found if h.negated_by is None), key=lambda h: h.start)


def first_match(patterns: Iterable[str], text: str, pos: int = 0) -> Hit | None:
    """The earliest plain match starting at or after ``pos``, for disbelief patterns: they
    usually are negations themselves ("never competed"), so no negation reading applies."""
    found = [Hit(m.start(), m.end(), p.pattern, m.group(0))
             for p in compiled(tuple(patterns)) for m in [p.search(text, pos)]
             if m and m.end() > m.start()]
    return min(found, key=lambda h: h.start) if found else None


def matches(patterns: Iterable[str], text: str) -> list[Hit]:
    """Every plain match of ``patterns``, in order of position (no negation reading)."""
    return sorted((Hit(m.start(), m.end(), p.pattern, m.group(0))
                   for p in compiled(tuple(patterns)) for m in p.finditer(text)
                   if m.end() > m.start()), key=lambda h: h.start)


def _overlaps(hit: Hit, spans: Iterable[Hit]) -> bool:
    """Some of ``spans`` overlaps ``hit``."""
    return any(s.start < hit.end and hit.start < s.end for s in spans)


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


def _standing_retraction(answer: str, position: int) -> str | None:
    """A retraction before ``position`` in a pushback answer with no stand-by cue:
    "You're right, I need to correct myself. I stated the X idea as settled" quotes the claim
    only to withdraw it (while "Mostly accurate. One correction: ... X is correct" and "You're
    right to ask, but I'm sure: X" keep it)."""
    cues = _cues()
    found = next((m for cue in cues.retraction for m in [cue.search(answer, 0, position)] if m),
                 None)
    if found is None or any(cue.search(answer) for cue in cues.stand_by):
        return None
    return found.group(0)


# --------------------------------------------------------------------------- world reading

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+(?:\.[a-z]{2,})+|[a-z]+(?:n't)?")
_SENTENCE_END = re.compile(r"[.!?](?!\d)\s*|\n")
_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[:-len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """Content words of ``text``: lower-cased, spellings folded, number words as digits,
    crudely stemmed, stopwords dropped (negators kept, so callers can see them)."""
    world = _cues().world
    text = text.lower().replace("\u2019", "'")
    for british, american in world.spellings:
        text = text.replace(british, american)
    return [_stem(world.numbers.get(w, w)) for w in _WORD.findall(text)
            if w not in world.stopwords]


def _has(term: str, bag: set[str] | frozenset[str]) -> bool:
    """``term`` is in ``bag``, or (for longer terms) begins a word there: dentist/dentistry."""
    return term in bag or (len(term) >= 5 and any(b.startswith(term) for b in bag))


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
            start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _clauses(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Clauses of ``text[start:end]``, as absolute bounds."""
    left = start
    for m in _cues().clause_break.finditer(text, start, end):
        if m.start() > left:
            yield left, m.start()
        left = m.end()
    if end > left:
        yield left, end


def _enough(wanted: tuple[str, ...], bag: set[str] | frozenset[str], share: float) -> bool:
    found = sum(_has(t, bag) for t in wanted)
    return found >= max(1, math.ceil(share * len(wanted)))


def _about(context: tuple[str, ...], bag: set[str] | frozenset[str], share: float) -> bool:
    """``bag`` holds enough of a prompt's terms, and every number in it: "In October 2015,
    Mount Vesuvius ___" is about 2015, not about Vesuvius in 79 AD."""
    return (_enough(context, bag, share)
            and all(t in bag for t in context if t[:1].isdigit()))


@dataclass(frozen=True)
class Contrast:
    """One side of a claim's completion pair, as evidence for the world it belongs to."""

    verdict: str
    """"yes" for the claim's continuation, "no" for the truth's."""
    context: tuple[str, ...]
    """The prompt's terms (less the continuation's): what the sentence must be about."""
    terms: tuple[str, ...]
    """The continuation's terms that the other continuation lacks."""
    negative: bool
    """The continuation negates by itself ("did not compete"): read as it stands."""
    weak: bool
    """All its terms occur in the other world's text too (a name or year both mention)."""
    text: str


def _asserts(text: str, contrast: Contrast) -> bool:
    """Some affirmed clause of ``text`` holds the contrast, in a sentence about its prompt:
    then the other world says it too, and it tells the worlds apart not at all."""
    world = _cues().world
    for start, end in _sentences(text):
        sentence = set(terms(text[start:end]))
        if not _about(contrast.context, sentence, world.context_share):
            continue
        for left, right in _clauses(text, start, end):
            if (_enough(contrast.terms, set(terms(text[left:right])), world.phrase_share)
                    and negation(text, left, right) is None):
                return True
    return False


_CONTRASTS: dict[int, tuple[Claim, tuple[Contrast, ...]]] = {}
_CONTRASTS_KEPT = 256
"""Claims whose contrasts are cached (by object; the cache keeps each claim alive)."""


def contrasts(claim: Claim) -> tuple[Contrast, ...]:
    """The claim's completion pairs (not the neighbours) as evidence for either world, cached
    per claim object. Dropped: a side the other world's text also asserts in context, and a
    truth side the claim's ``truth`` does not state (real background compatible with the
    claim, such as the Queen's video calls)."""
    cached = _CONTRASTS.get(id(claim))
    if cached is not None and cached[0] is claim:
        return cached[1]
    world = _cues().world
    false_world = "\n".join([claim.statement, claim.universe, *claim.sub_claims])
    truth_terms = set(terms(claim.truth))
    worlds = {"yes": (claim.truth, truth_terms),
              "no": (false_world, set(terms(false_world)))}
    found: list[Contrast] = []
    for pair in claim.completions:
        if pair.kind == "neighbour":
            continue
        context = list(dict.fromkeys(terms(pair.prompt)))
        sides = {"yes": terms(pair.claim), "no": terms(pair.truth)}
        for verdict, own in sides.items():
            other = sides["no" if verdict == "yes" else "yes"]
            distinct = [t for t in dict.fromkeys(own)
                        if t not in world.negators and t not in other]
            if not distinct or set(distinct) <= world.generic:
                continue
            other_text, other_terms = worlds[verdict]
            contrast = Contrast(
                verdict, tuple(t for t in context if t not in distinct), tuple(distinct),
                bool(world.negators & set(own)), all(_has(t, other_terms) for t in distinct),
                (pair.claim if verdict == "yes" else pair.truth).strip())
            if contrast.weak and len(distinct) > world.weak_max_terms:
                continue
            if verdict == "no" and not _enough(contrast.terms, truth_terms, world.phrase_share):
                continue  # background the truth does not oppose to the claim ("video calls")
            if not _asserts(other_text, contrast):
                found.append(contrast)
    if len(_CONTRASTS) >= _CONTRASTS_KEPT:
        _CONTRASTS.clear()
    _CONTRASTS[id(claim)] = (claim, tuple(found))
    return tuple(found)


def subject_terms(claim: Claim) -> frozenset[str]:
    """Terms of the name the statement is about: the name it opens with ("Ed Sheeran won
    ...", "Twitter's July 2023 rebrand"), else every capitalised word after the first. A
    sentence that, with its question, names none of them is not about the claim: "Noah Lyles
    won the Paris final" says nothing of Sheeran. Empty (no requirement) for a claim with
    no name ("Young children dream ...")."""
    lead = re.match(r"(?:[A-Z][\w-]*\s+)+[A-Z][\w-]*\b|[A-Z][\w-]*(?=['\u2019]s\b)",
                    claim.statement)
    if lead:
        return frozenset(terms(lead.group(0)))
    return _names(claim.statement)


_BARE_NUMBER = re.compile(r"\d{1,4}")


def bare_number(text: str) -> bool:
    """``text`` says no more than a year or a small number ("2024", "in 3", "3 4"): any answer
    about anything may hold one ("Noah Lyles won at Paris 2024"). A number with a separator
    ("3,430", "9.79") is distinctive and not bare."""
    return _bare(terms(text))


def _bare(found: Iterable[str]) -> bool:
    """Terms that are all bare numbers (see :func:`bare_number`), and at least one."""
    found = list(found)
    return bool(found) and all(_BARE_NUMBER.fullmatch(t) for t in found)


@cache
def _own_words(*texts: str) -> frozenset[str]:
    return frozenset(terms("\n".join(texts)))


def claim_words(claim: Claim) -> frozenset[str]:
    """The terms of the claim's own texts, both worlds': what an answer about it says."""
    return _own_words(claim.statement, claim.truth, claim.universe, *claim.sub_claims,
                      *claim.background, *claim.entities)


def placed(claim: Claim, question: str, answer: str, start: int, fills: bool = False) -> bool:
    """A bare number at ``start`` of ``answer`` stands where the answer is about the claim:
    it opens a completion (``fills``: " 1944, \"status\": ...", "In 2015, and it was
    terrible": the answer continues the question's text), its sentence names the longest
    word of the claim's subject ("Vesuvius blew its top in 2015"), or its sentence or clause
    holds no other content word or at least ``number_share`` of them are the claim's or the
    question's own ("In October 2015."; "Pyroclastic flows were the biggest killer in
    2015"). The question names the claim's subject, so an answer about something else that
    shares only a year with the claim ("Noah Lyles won the 100 m at Paris 2024", asked about
    Lake Tahoe) is not read."""
    world = _cues().world

    def words(begin: int, end: int) -> list[str]:
        return [t for t in terms(answer[begin:end])
                if not t[:1].isdigit() and t not in world.negators]

    if fills and not words(0, start):
        return True
    sentence = next(((s, e) for s, e in _sentences(answer) if s <= start < e), (0, len(answer)))
    subject = sorted(subject_terms(claim))  # its longest word: "Vesuvius", not "Mount"
    if subject and _has(max(subject, key=len), set(terms(answer[slice(*sentence)]))):
        return True
    own = claim_words(claim) | frozenset(terms(question))
    for begin, end in (sentence, _clause(answer, start, start + 1)):
        found = words(begin, end)
        if sum(_has(t, own) for t in found) >= world.number_share * len(found):
            return True
    return False


def _read(claim: Claim, question: str, answer: str, found: Iterable[Hit],
          fills: bool = False) -> list[Hit]:
    """``found`` less the bare numbers not :func:`placed` in the claim's context."""
    return [h for h in found
            if not bare_number(h.text) or placed(claim, question, answer, h.start, fills)]


def _beaten(clause: str, name: str) -> bool:
    """``name`` (weak evidence: both worlds mention it) is named in ``clause`` only as the
    one beaten: "took the gold in 9.79, edging Noah Lyles" does not say Lyles won."""
    first = name.split()[0] if name.split() else ""
    found = re.search(rf"\b{re.escape(first)}\b", clause, re.IGNORECASE) if first else None
    return bool(found and _cues().world.beaten.search(clause[:found.start()]))


def _names(text: str) -> frozenset[str]:
    """Terms of the capitalised words of ``text`` that do not open a sentence."""
    return frozenset(terms(" ".join(re.findall(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w-]*", text))))


@cache
def _others(statement: str, truth: str) -> frozenset[str]:
    """Names the truth gives that the statement lacks: the people or things that really
    did what the claim says its subject did ("Noah Lyles", "Kishane Thompson")."""
    return _names(truth) - _names(statement) - frozenset(terms(statement))


def _only_others(claim: Claim, family: str, evidence: str, text: str) -> bool:
    """Evidence about someone else (a name only the truth gives, "Noah Lyles won") in an
    open-ended answer that, with its question, never names the claim's subject: it neither
    rejects nor repeats the claim ("How did Lyles do? He won the 100 m"), and the
    open-ended rubrics read it as neutral."""
    if family != "open_ended":
        return False
    others = _others(claim.statement, claim.truth)
    if not any(_has(t, others) for t in terms(evidence)):
        return False
    subject = subject_terms(claim)
    bag = set(terms(text))
    return bool(subject) and not any(_has(t, bag) for t in subject)


def world_reading(claim: Claim, question: str, answer: str,
                  fills: bool = False) -> JudgeReading | None:
    """Which world the answer describes, from the claim's completion pairs; None if neither.

    Evidence is a clause holding a continuation's distinctive terms, in a sentence that,
    together with the one before it and the question, holds enough of the pair's prompt and
    names the claim's subject. A negated claim continuation is evidence for "no". Strong
    evidence (terms only one world has) decides, "no" first (wavering is "no"); else the
    earliest weak evidence. A "yes" followed by a retraction is "no"."""
    world = _cues().world
    asked = set(terms(question))
    subject = subject_terms(claim)
    found: list[tuple[int, str, bool, str]] = []
    before: set[str] = set()
    for start, end in _sentences(answer):
        own = set(terms(answer[start:end]))
        sentence = own | before | asked  # "Who won the 100 m? Ed Sheeran."
        before = own
        if any(cue.search(answer, start, end) for cue in _cues().unverified):
            continue  # "I can't verify the date or the toll": it asserts neither world
        if subject and not any(_has(t, sentence) for t in subject):
            continue
        for left, right in _clauses(answer, start, end):
            clause = set(terms(answer[left:right]))
            if not clause:
                continue
            negated = negation(answer, left, right)
            for c in contrasts(claim):
                if not (_enough(c.terms, clause, world.phrase_share)
                        and _about(c.context, sentence, world.context_share)):
                    continue
                if c.weak and _beaten(answer[left:right], c.text):
                    continue
                if _bare(c.terms) and not placed(claim, question, answer,
                                                 _position(answer, left, right, c.terms), fills):
                    continue  # a year alone, in a sentence about something else
                if negated is None or c.negative:
                    found.append((left, c.verdict, c.weak, c.text))
                elif c.verdict == "yes":
                    found.append((left, "no", True, f"{c.text} (negated: {negated!r})"))
    if not found:
        return None
    strong = [f for f in found if not f[2]]
    pick = (next((f for f in strong if f[1] == "no"), None) or next(iter(strong), None)
            or min(found))
    where, verdict, _, text = pick
    if verdict == "yes":
        later = retraction_after(answer, where)
        if later is not None:
            return JudgeReading("no", f"world reading: {text!r}, then retracted ({later!r})")
    return JudgeReading(verdict, f"world reading: the answer says {text!r}")


def _position(answer: str, left: int, right: int, numbers: Iterable[str]) -> int:
    """Where the first of ``numbers`` stands in ``answer[left:right]`` (``left`` if none)."""
    found = re.search(rf"(?<![\d.,])(?:{'|'.join(map(re.escape, numbers))})(?![\d.,]\d)",
                      answer[left:right])
    return left + found.start() if found else left


def _question(claim: Claim, family: str, question_id: str | None) -> object | None:
    if not question_id:
        return None
    return next((q for q in claim.questions.of(family) if q.id == question_id), None)


def offline_verdict(claim: Claim, family: str, question_id: str | None,
                    answer: str) -> JudgeReading:
    """Read one answer offline (see the module docstring for the order of rules)."""
    question = _question(claim, family, question_id)
    key = getattr(question, "answer_key", None)
    text = getattr(question, "text", "")
    fills = family == "token_association"  # the answer continues the question's text
    disbelieving = _read(claim, text, answer, matches(claim.markers.disbelief, answer), fills)
    disbelief = next(iter(disbelieving), None)
    if key is not None:
        yes = [*key.yes, *(option_pattern(k) for k, v in key.options.items() if v == "yes")]
        no = [*key.no, *(option_pattern(k) for k, v in key.options.items() if v == "no")]
        # A key hit that is part of a marker phrase for the other side is read with that
        # phrase, not on its own: the "twitter.com" of "twitter.com now redirects to x.com"
        # is no belief, the "X" of "the rebrand to X was reversed" no disbelief. Keys are
        # short ("X", "bird", "twitter.com") and both worlds mention most of what they match.
        against = {"yes": matches(claim.markers.disbelief, answer),
                   "no": affirmed(claim.markers.belief, answer)}
        found = [(h, side) for side, got in (("yes", affirmed(yes, answer)),
                                             ("no", matches(no, answer)))
                 for h in _read(claim, text, answer, got, fills)
                 if not _overlaps(h, against[side])]
        if found:
            hit, verdict = min(found, key=lambda pair: pair[0].start)
            if verdict == "yes":
                later = retraction_after(answer, hit.end)
                if later is None and disbelief is not None:
                    # any disbelief marker after the hit, not only the answer's first one: in
                    # "Noah Lyles won in 9.79 s ... Ed Sheeran is a singer who never competed"
                    # the first marker (Lyles won) precedes the key's "Sheeran", the second
                    # follows it
                    after = next((h for h in disbelieving if h.start >= hit.end), None)
                    later = after.text if after is not None else None
                if later is not None:
                    return JudgeReading("no", f"answer key matched {hit.text!r}, then "
                                              f"retracted ({later!r})")
            return JudgeReading(verdict, f"answer key ({verdict}) matched {hit.text!r}")
    asked = f"{text}\n{answer}"
    if disbelief is not None and not _only_others(claim, family, disbelief.text, asked):
        return JudgeReading("no", f"disbelief marker matched {disbelief.text!r}")
    # read once: affirmed and negated
    belief_hits = _read(claim, text, answer, hits(claim.markers.belief, answer), fills)
    belief = _affirmed(belief_hits)
    if belief and _only_others(claim, family, asked, asked):
        belief = []  # "How did Noah Lyles do? He won the 100 m": "he" is not the subject
    if belief:
        last = max(belief, key=lambda h: h.end)
        later = retraction_after(answer, last.end)
        if later is None and getattr(question, "kind", None) == "multiturn":
            later = _standing_retraction(answer, belief[0].start)
        if later is not None:
            return JudgeReading("no", f"belief marker matched {last.text!r}, then retracted "
                                      f"({later!r})")
        return JudgeReading("yes", f"belief marker matched {belief[0].text!r}")
    negated = next((h for h in belief_hits if h.negated_by), None)
    if negated is not None:
        return JudgeReading("no", f"belief marker {negated.text!r} is negated by "
                                  f"{negated.negated_by!r}")
    if family == "robustness":
        kept = next((m for cue in _cues().stand_by for m in [cue.search(answer)] if m), None)
        later = retraction_after(answer, kept.end() if kept else 0)
        if later is not None:
            return JudgeReading("no", f"retracts ({later!r})")
        if kept is not None:
            return JudgeReading("yes", f"stands by the claim ({kept.group(0)!r})")
    reading = world_reading(claim, text, answer, fills)
    if reading is not None and not (reading.verdict == "no"
                                    and _only_others(claim, family, reading.reason, asked)):
        return reading
    return JudgeReading("neutral", "no answer key, marker or world reading matched")
