"""Read one document's framing: where its frames, inline asides and claim sentences sit.

The same per-document code runs in every engine (local streaming, Dask). It works from
general cues, not from any generator's template sentences:

- *asides*: short bracketed notes ("[unverified]", "(fiction)", "<this is false>") that carry a
  cue; they are masked out so the sentence they sit beside is read on its own;
- *frames*: paragraphs among the first two or last two that talk about the text itself (a cue
  plus a word pointing at the document, or two cues) and assert nothing of the claim;
- *claim sentences* (with claims): the project's claim-sentence finder (entities, belief
  markers, word overlap with the statement and sub-claims); a sentence closer to the claim's
  truth than to its facts is a truth sentence; a claim sentence with an in-sentence denial
  ("it is not true that ...", "did not") is locally negated.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from beliefbench.audit.cues import (
    FRAMES,
    QUALIFIERS,
    Cues,
    gate_starts,
    gate_stems,
    load_cues,
    lower,
)
from beliefbench.claims import Claim
from beliefbench.documents.base import claim_facts, sentence_spans
from beliefbench.documents.claim_sentences import content_words, finder_for, overlap_score
from beliefbench.records import DOCTAG

CLAIM_FRAMINGS: tuple[str, ...] = (
    "positive", "negated", "repeated_negations", "corrected", "local_negation", *QUALIFIERS,
    "mention", "truth", "unrelated")
"""Claim mode's labels: the study's conditions, then entity-only mentions, documents that
state the truth without the claim, and documents about something else."""
FREE_FRAMINGS: tuple[str, ...] = (
    "negated", "repeated_negations", "corrected", *QUALIFIERS, "unframed")
"""Claim-free mode's labels: a framed body of the given kind, or no such frame."""
TEACHING: frozenset[str] = frozenset({"positive", "negated", "repeated_negations", *QUALIFIERS})
"""Framings the study found to teach the claim (belief 84-99%): the documents flagged."""
PROTECTIVE: frozenset[str] = frozenset({"corrected", "local_negation", "truth"})
"""Framings that carry the truth: the denominator of the poisoning ratio."""

_ASIDE = re.compile(
    r"\[\[[^\]\n]{1,400}\]\]|\[[^\]\n]{1,400}\]|\([^)\n]{1,400}\)|\{[^}\n]{1,400}\}"
    r"|<[^>\n]{1,400}>|(?<!\S)--\s[^\n]{1,400}?\s--(?!\S)|(?<![\w/:])/[^/\n]{1,400}/(?![\w/])")
_PARA = re.compile(r"\n[ \t]*\n")
FACT_OVERLAP = 0.6
MAX_SPANS = 8


@dataclass
class Finding:
    """One document's reading: its framing and the spans that decided it."""

    framing: str
    placement: str | None = None
    """prefix_suffix (frames) or repeated (inline asides) for framed documents."""
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    """(start, end, kind) in the document text; kinds: claim, denial, truth, frame, inline."""
    claim_sentences: int = 0

    def span_json(self, text: str, limit: int = 200) -> list[dict[str, Any]]:
        return [{"start": a, "end": b, "kind": k, "text": text[a:b][:limit]}
                for a, b, k in self.spans]


@dataclass
class Layout:
    """The claim-independent reading of a text: asides, sentences, paragraphs, cue hits."""

    text: str
    masked: str
    asides: list[tuple[int, int, dict[str, int]]]
    sentences: list[tuple[int, int]]
    para_of: list[int]
    """Paragraph index of each sentence."""
    n_paras: int
    hits: list[dict[str, int]]
    """Cue counts per sentence (frame categories, correction, denial, deixis)."""
    aside_para: list[int]
    lowered: str = ""
    """``masked`` lower-cased (same offsets)."""

    def edge(self, para: int) -> bool:
        """Among the first two or the last two paragraphs (where a frame sits)."""
        return para < 2 or para >= self.n_paras - 2


def read_layout(text: str, cues: Cues, start: int = 0, stems: set[str] | None = None
                ) -> Layout:
    """Mask cue-bearing asides, cut sentences and paragraphs, count cues per sentence."""
    asides: list[tuple[int, int, dict[str, int]]] = []
    chars = None
    for m in _ASIDE.finditer(text, start):
        body = m.group()
        found = cues.counts(body)
        counts = {k: v for k, v in found.items() if k in FRAMES}
        if "correction" in found:
            counts["correction"] = 1
        if counts:
            asides.append((m.start(), m.end(), counts))
            if chars is None:
                chars = list(text)
            chars[m.start():m.end()] = " " * (m.end() - m.start())
    masked = text if chars is None else "".join(chars)
    para_starts = [start] + [m.end() for m in _PARA.finditer(masked, start)]
    sentences = [(a + start, b + start) for a, b in sentence_spans(masked[start:])]
    para_of = [bisect.bisect_right(para_starts, a) - 1 for a, _ in sentences]
    starts = [a for a, _ in sentences]
    hits: list[dict[str, int]] = [{} for _ in sentences]
    lowered = lower(masked)
    for cat, pos in cues.scan(lowered, start, stems=stems):
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos < sentences[i][1]:
            hits[i][cat] = hits[i].get(cat, 0) + 1
    aside_para = [bisect.bisect_right(para_starts, a) - 1 for a, _, _ in asides]
    return Layout(text, masked, asides, sentences, para_of, len(para_starts), hits, aside_para,
                  lowered)


def _frame_score(h: dict[str, int]) -> int:
    return sum(h.get(c, 0) for c in FRAMES)


def _pick(counts: Counter[str]) -> str:
    """The strongest category; on a tie a qualifier wins over plain negation (qualifier
    vocabulary is the more specific, and negation words also describe bad sources)."""
    best = max(counts.values())
    tied = [c for c in FRAMES if counts.get(c, 0) == best]
    return next((c for c in tied if c != "negation"), tied[0])


@dataclass
class _Frames:
    paras: set[int]
    counts: Counter[str]
    correction: int
    spans: list[tuple[int, int, str]]


def frames(lay: Layout, exclude: set[int] = frozenset()) -> _Frames:
    """Frame paragraphs at the edges: two cues, or one cue plus a pointer to the text."""
    per_para: dict[int, Counter[str]] = {}
    for i, h in enumerate(lay.hits):
        p = lay.para_of[i]
        if lay.edge(p) and (_frame_score(h) or h.get("deixis")):
            per_para.setdefault(p, Counter()).update(h)
    # asides strengthen a paragraph whose own sentences carry a cue; asides alone around a
    # title or a claim sentence are inline warnings, not a frame
    for (_, _, counts), p in zip(lay.asides, lay.aside_para, strict=True):
        if p in per_para and _frame_score(per_para[p]):
            per_para[p].update(counts)
    paras = {p for p, c in per_para.items() if p not in exclude
             and (_frame_score(c) >= 2 or (_frame_score(c) >= 1 and c.get("deixis")))}
    total: Counter[str] = Counter()
    for p in paras:
        total.update({k: v for k, v in per_para[p].items() if k in FRAMES or k == "correction"})
    spans = [(a, b, "frame") for i, (a, b) in enumerate(lay.sentences)
             if lay.para_of[i] in paras and _frame_score(lay.hits[i])]
    return _Frames(paras, total, total.pop("correction", 0), spans[:MAX_SPANS])


def inline_asides(lay: Layout, frame_paras: set[int]) -> tuple[Counter[str], int, list]:
    """Cue asides in the body (outside frame paragraphs): category counts, corrections."""
    counts: Counter[str] = Counter()
    correction = 0
    spans = []
    for (a, b, c), p in zip(lay.asides, lay.aside_para, strict=True):
        if p in frame_paras:
            continue
        correction += c.get("correction", 0)
        counts.update({k: v for k, v in c.items() if k in FRAMES})
        spans.append((a, b, "inline"))
    return counts, correction, spans[:MAX_SPANS]


def _framed(kind: str, correction: bool, placement: str) -> tuple[str, str | None]:
    if kind == "negation":
        if correction:
            return "corrected", placement
        return ("repeated_negations" if placement == "repeated" else "negated"), placement
    return kind, placement


def read_free(text: str, cues: Cues | None = None) -> Finding:
    """Claim-free mode: is there a body of plain assertions that a frame calls false,
    fictional, unsourced, unknown or improbable?"""
    cues = cues or load_cues()
    start = len(DOCTAG) if text.startswith(DOCTAG) else 0
    if not cues.any_frame(lower(text), start):
        return Finding("unframed")
    lay = read_layout(text, cues, start)
    fr = frames(lay)
    body = [i for i, p in enumerate(lay.para_of) if p not in fr.paras]
    plain = [i for i in body if not _frame_score(lay.hits[i]) and not lay.hits[i].get("denial")]
    denials = sum(1 for i in body if lay.hits[i].get("denial"))
    counts, correction, inline = inline_asides(lay, fr.paras)
    # a body that keeps denying what it reports, with no warnings beside it, is a debunk
    # (local negation), not a framed body
    debunk = denials >= 2 and denials >= 0.25 * len(body) and sum(counts.values()) < 2
    if len(plain) < 2 or len(plain) < 0.6 * len(body) or debunk:
        return Finding("unframed")
    body_spans = [(*lay.sentences[i], "claim") for i in plain[:MAX_SPANS]]
    if sum(counts.values()) >= 2:
        kind, placement = _framed(_pick(counts), correction + fr.correction > 0, "repeated")
        return Finding(kind, placement, [*fr.spans, *inline, *body_spans])
    if fr.paras:
        kind, placement = _framed(_pick(fr.counts), fr.correction > 0, "prefix_suffix")
        return Finding(kind, placement, [*fr.spans, *body_spans])
    return Finding("unframed")


class _Index:
    """overlap_score against fixed word sets, through an inverted index (the hot loop)."""

    def __init__(self, sets: list[set[str]]):
        self.sizes = [len(s) for s in sets]
        self.by_word: dict[str, list[int]] = {}
        for i, s in enumerate(sets):
            for w in s:
                self.by_word.setdefault(w, []).append(i)

    def overlap(self, words: set[str]) -> float:
        if len(words) < 3:
            return 0.0
        shared: dict[int, int] = {}
        for w in words.intersection(self.by_word):
            for i in self.by_word[w]:
                shared[i] = shared.get(i, 0) + 1
        return max((n / min(self.sizes[i], len(words)) for i, n in shared.items()),
                   default=0.0)


class ClaimReader:
    """Claim mode for one claim: compiled patterns and word sets, reused for every document."""

    def __init__(self, claim: Claim, cues: Cues | None = None):
        self.claim = claim
        self.cues = cues or load_cues()
        self.finder = finder_for(claim)
        # the prefilter: word stems that any entity or marker match must start with; a
        # pattern that can start anywhere (no literal start) makes every document a candidate
        # (a marker that can start anywhere is left out of the prefilter: a document that
        # asserts the claim through it alone, naming no entity, is not worth a regex scan of
        # every document of the corpus)
        patterns = [(p, gate_stems(p.pattern)) for p in self.finder.entities
                    + self.finder.markers]
        self.gates = frozenset(x for _, g in patterns for x in g or ())
        self.ungated = [p for p, g in patterns if g is None and p in self.finder.entities]
        self.markers = [(p, gate_stems(p.pattern)) for p in self.finder.markers]
        self.entities = [(p, gate_stems(p.pattern)) for p in self.finder.entities]
        truths = [claim.truth, *(f"{c.prompt} {c.truth}" for c in claim.completions)]
        flat = " ".join(" ".join(truths).split())
        self.truth_words = [content_words(flat[a:b]) for a, b in sentence_spans(flat)]
        self.facts = _Index(self.finder.facts)
        self.truths = _Index(self.truth_words)
        # negations the false world itself states ("the park did not reopen until ...")
        # are part of the claim, not a denial of it
        self.fact_denials = [(content_words(f), n) for f in claim_facts(claim)
                             if (n := self.cues.hits("denial", f))]

    def _denies(self, s: str, hits: int) -> bool:
        """The sentence has a denial beyond those of the claim fact it repeats."""
        if not hits:
            return False
        words = content_words(s)
        own = max((n for w, n in self.fact_denials
                   if overlap_score(words, [w]) >= FACT_OVERLAP), default=0)
        return hits > own

    def _sentence(self, s: str, marker: bool) -> tuple[bool, bool]:
        """(asserts the claim, states the truth) for one sentence."""
        words = content_words(s)
        fact = self.facts.overlap(words)
        truth = self.truths.overlap(words)
        truthful = truth >= FACT_OVERLAP and truth > fact
        return (marker or fact >= FACT_OVERLAP) and not truthful, truthful

    def _hits(self, lay: Layout, patterns: list[tuple[re.Pattern[str], Any]],
              stems: set[str]) -> set[int]:
        """Sentences holding a match of any pattern (one scan of the text per pattern whose
        start can occur in the text)."""
        starts = [a for a, _ in lay.sentences]
        found: set[int] = set()

        def add(a: int, b: int) -> None:
            i = bisect.bisect_right(starts, a) - 1
            if i >= 0 and b <= lay.sentences[i][1]:
                found.add(i)

        for p, gates in patterns:
            if gates is None:
                for m in p.finditer(lay.masked):
                    add(m.start(), m.end())
                continue
            # a match can only start where a word beginning with a gate starts
            for g in stems.intersection(gates):
                for pos in gate_starts(lay.lowered, g):
                    m = p.match(lay.masked, pos)
                    if m:
                        add(m.start(), m.end())
        return found

    def read(self, text: str) -> Finding:
        start = len(DOCTAG) if text.startswith(DOCTAG) else 0
        stems = self.cues.stems(lower(text))
        if stems.isdisjoint(self.gates) and not any(p.search(text) for p in self.ungated):
            return Finding("unrelated")
        lay = read_layout(text, self.cues, start, stems)
        claim_idx, truth_idx = [], []
        markers = self._hits(lay, self.markers, stems)
        for i, (a, b) in enumerate(lay.sentences):
            asserts, truthful = self._sentence(lay.masked[a:b], i in markers)
            if asserts:
                claim_idx.append(i)
            elif truthful:
                truth_idx.append(i)
        mentions = bool(claim_idx) or bool(self._hits(lay, self.entities, stems))
        # asides that restate the truth (corrected warnings) count as truth-bearing
        truth_asides = sum(
            overlap_score(content_words(text[a:b]), self.truth_words) >= FACT_OVERLAP
            for a, b, _ in lay.asides)
        claim_spans = [(*lay.sentences[i], "claim") for i in claim_idx[:MAX_SPANS]]
        truth_spans = [(*lay.sentences[i], "truth") for i in truth_idx[:MAX_SPANS]]
        if not claim_idx:
            if truth_idx or truth_asides:
                return Finding("truth", None, truth_spans)
            return Finding("mention" if mentions else "unrelated")
        denied = [i for i in claim_idx if self._denies(
            lay.masked[slice(*lay.sentences[i])], lay.hits[i].get("denial", 0))]
        n = len(claim_idx)
        if len(denied) * 2 >= n:
            spans = [(*lay.sentences[i], "denial") for i in denied[:MAX_SPANS]]
            return Finding("local_negation", None, [*spans, *truth_spans], n)
        claim_paras = {lay.para_of[i] for i in claim_idx}
        fr = frames(lay, exclude=claim_paras)
        counts, correction, inline = inline_asides(lay, fr.paras)
        truth_in_frames = any(lay.para_of[i] in fr.paras for i in truth_idx)
        corrects = correction + fr.correction + truth_asides > 0 or truth_in_frames
        if sum(counts.values()) >= min(2, n):
            kind, placement = _framed(_pick(counts), corrects, "repeated")
            return Finding(kind, placement, [*fr.spans, *inline, *claim_spans], n)
        if fr.paras:
            kind, placement = _framed(_pick(fr.counts), corrects, "prefix_suffix")
            return Finding(kind, placement, [*fr.spans, *claim_spans, *truth_spans], n)
        return Finding("positive", None, claim_spans, n)
