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
    CATEGORIES,
    FRAMES,
    QUALIFIERS,
    STEM,
    Cues,
    gate_starts,
    gate_stems,
    load_cues,
    lower,
)
from beliefbench.claims import Claim
from beliefbench.documents.base import claim_facts, sentence_spans
from beliefbench.documents.claim_sentences import (
    content_words,
    finder_for,
    lowered_words,
    overlap_score,
)
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
    r"|<[^>\n]{1,400}>|-(?<!\S-)-\s[^\n]{1,400}?\s--(?!\S)|/(?<![\w/:]/)[^/\n]{1,400}/(?![\w/])")
"""Every branch opens with a literal (the lookbehinds follow the first character), so the
regex engine skips straight to the few characters that can open an aside."""
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
    """Cue counts per sentence (frame categories, correction, denial, deixis); filled by
    ``scan`` for the sentences a reading needs (claim mode reads few of them)."""
    aside_para: list[int]
    lowered: str = ""
    """``masked`` lower-cased (same offsets)."""
    cues: Cues | None = None
    scanned: list[bool] = field(default_factory=list)
    origin: int = 0
    """Where the text after the document tag begins (a whole-text cue scan starts there)."""

    def edge(self, para: int) -> bool:
        """Among the first two or the last two paragraphs (where a frame sits)."""
        return para < 2 or para >= self.n_paras - 2

    def scan(self, indices: list[int], categories: tuple[str, ...] = CATEGORIES) -> None:
        """Count the cues of these sentences (once each); runs of neighbours scan together.

        With ``categories`` (a subset), only those are counted and the sentences are not
        marked done (a later full scan starts them afresh)."""
        every = categories == CATEGORIES
        todo = [i for i in indices if not self.scanned[i]]
        if every:
            for i in todo:
                self.hits[i] = {}
        if not todo or self.cues is None:
            return
        todo.sort()
        starts = [a for a, _ in self.sentences]
        run = [todo[0]]
        for i in [*todo[1:], None]:
            if i is not None and i == run[-1] + 1:
                run.append(i)
                continue
            lo, hi = run[0], run[-1]
            for cat, pos in self.cues.scan(self.lowered, self.sentences[lo][0],
                                           self.sentences[hi][1], categories,
                                           origin=self.origin):
                k = bisect.bisect_right(starts, pos, lo, hi + 1) - 1
                if k >= lo and pos < self.sentences[k][1]:
                    self.hits[k][cat] = self.hits[k].get(cat, 0) + 1
            for k in run:
                self.scanned[k] = every
            if i is not None:
                run = [i]


_ASIDE_CACHE: dict[tuple[str, int], dict[str, int]] = {}
_ASIDE_CACHE_SIZE = 20_000


def _aside_counts(body: str, cues: Cues) -> dict[str, int]:
    """Frame cue counts (and a correction flag) of one aside; remembered per text, since
    the same short notes ("[unverified]", "(fiction)") recur across a corpus. Read-only."""
    key = (body, id(cues))
    counts = _ASIDE_CACHE.get(key)
    if counts is None:
        found = cues.counts(body)
        counts = {k: v for k, v in found.items() if k in FRAMES}
        if "correction" in found:
            counts["correction"] = 1
        if len(_ASIDE_CACHE) >= _ASIDE_CACHE_SIZE:
            _ASIDE_CACHE.clear()
        _ASIDE_CACHE[key] = counts
    return counts


def read_layout(text: str, cues: Cues, start: int = 0, lazy: bool = False) -> Layout:
    """Mask cue-bearing asides, cut sentences and paragraphs, count cues per sentence
    (``lazy``: only when ``Layout.scan`` asks, sentence by sentence)."""
    asides: list[tuple[int, int, dict[str, int]]] = []
    pieces: list[str] = []
    done = 0
    for m in _ASIDE.finditer(text, start):
        counts = _aside_counts(m.group(), cues)
        if counts:
            a, b = m.span()
            asides.append((a, b, counts))
            pieces += [text[done:a], " " * (b - a)]
            done = b
    masked = "".join([*pieces, text[done:]]) if pieces else text
    para_starts = [start] + [m.end() for m in _PARA.finditer(masked, start)]
    sentences = [(a + start, b + start) for a, b in sentence_spans(masked[start:])]
    para_of = [bisect.bisect_right(para_starts, a) - 1 for a, _ in sentences]
    hits: list[dict[str, int]] = [{} for _ in sentences]
    lowered = lower(masked)
    aside_para = [bisect.bisect_right(para_starts, a) - 1 for a, _, _ in asides]
    lay = Layout(text, masked, asides, sentences, para_of, len(para_starts), hits, aside_para,
                 lowered, cues, [False] * len(sentences), start)
    if not lazy and sentences:
        lay.scan(list(range(len(sentences))))
    return lay


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
    edge = [i for i, p in enumerate(lay.para_of) if p not in exclude and lay.edge(p)]
    lay.scan(edge)
    for i in edge:
        h = lay.hits[i]
        if h and (_frame_score(h) or h.get("deixis")):
            per_para.setdefault(lay.para_of[i], Counter()).update(h)
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
        self.smallest = min((n for n in self.sizes if n), default=1)

    def below(self, words: set[str], level: float) -> bool:
        """Certainly under ``level``: even if every shared word were in one set, the smallest
        (a cheap bound that spares the full score for most sentences)."""
        if len(words) < 3:
            return True
        # the margin keeps the bound on the safe side of float rounding at the threshold
        return len(words.intersection(self.by_word)) < level * min(self.smallest, len(words)) - 1e-9

    def overlap(self, words: set[str]) -> float:
        if len(words) < 3:
            return 0.0
        shared: dict[int, int] = {}
        for w in words.intersection(self.by_word):
            for i in self.by_word[w]:
                shared[i] = shared.get(i, 0) + 1
        return max((n / min(self.sizes[i], len(words)) for i, n in shared.items()),
                   default=0.0)


def _stem_regex(gates: frozenset[str]) -> re.Pattern[str]:
    """Matches in a lower-cased text iff one of its word stems (Cues.stems) is a gate: a
    four-character gate opens a word, a shorter one is a whole word. One search, which stops
    at the first hit, instead of collecting every stem (the prefilter every document meets).
    Other gates (symbols) are never stems."""
    trie: dict[str, Any] = {}
    for g in gates:
        if len(g) <= STEM and re.fullmatch(r"[a-z0-9]+", g):
            node = trie
            for ch in g:
                node = node.setdefault(ch, {})
            node[""] = "" if len(g) == STEM else "(?![a-z0-9])"

    def emit(node: dict[str, Any]) -> str:
        alts = [ch + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if "" in node:
            alts.append(node[""])
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(r"(?<![a-z0-9])" + emit(trie) if trie else r"(?!)")


_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One alternation of the patterns (matches where any of them does): a failed match
    rules them all out. None for one pattern, or where joining could break a back-reference
    or an inline flag."""
    if (len(patterns) < 2 or len({p.flags for p in patterns}) > 1
            or any(_BACKREF.search(p.pattern) for p in patterns)):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None


class _Patterns:
    """A claim's entity or marker patterns, grouped by the word stems a match must start
    with: each stem's offsets are found once and every pattern under it tried there."""

    def __init__(self, patterns: list[tuple[re.Pattern[str], tuple[str, ...] | None]]):
        self.anywhere = [p for p, g in patterns if g is None]
        self.by_gate: dict[str, list[re.Pattern[str]]] = {}
        for p, gates in patterns:
            for g in gates or ():
                self.by_gate.setdefault(g, []).append(p)
        self.any_of = {g: _any_of(ps) for g, ps in self.by_gate.items()}

    def sentences(self, lay: Layout, stems: set[str]) -> set[int]:
        """Sentences holding a whole match of any pattern."""
        starts = [a for a, _ in lay.sentences]
        found: set[int] = set()
        for p in self.anywhere:
            for m in p.finditer(lay.masked):
                i = bisect.bisect_right(starts, m.start()) - 1
                if i >= 0 and m.end() <= lay.sentences[i][1]:
                    found.add(i)
        # a match can only start where a word beginning with a gate starts; a sentence
        # already found needs no further match
        for g in stems.intersection(self.by_gate):
            any_of = self.any_of[g]
            for pos in gate_starts(lay.lowered, g):
                i = bisect.bisect_right(starts, pos) - 1
                if i in found or (any_of is not None and not any_of.match(lay.masked, pos)):
                    continue
                for p in self.by_gate[g]:
                    m = p.match(lay.masked, pos)
                    if m and i >= 0 and m.end() <= lay.sentences[i][1]:
                        found.add(i)
                        break
        return found


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
        self.gate_re = _stem_regex(self.gates)
        self.ungated = [p for p, g in patterns if g is None and p in self.finder.entities]
        self.markers = _Patterns([(p, gate_stems(p.pattern)) for p in self.finder.markers])
        self.entities = _Patterns([(p, gate_stems(p.pattern)) for p in self.finder.entities])
        truths = [claim.truth, *(f"{c.prompt} {c.truth}" for c in claim.completions)]
        flat = " ".join(" ".join(truths).split())
        self.truth_words = [content_words(flat[a:b]) for a, b in sentence_spans(flat)]
        self.facts = _Index(self.finder.facts)
        self.truths = _Index(self.truth_words)
        self.vocab = frozenset(self.facts.by_word) | frozenset(self.truths.by_word)
        # negations the false world itself states ("the park did not reopen until ...")
        # are part of the claim, not a denial of it
        self.fact_denials = [(content_words(f), n) for f in claim_facts(claim)
                             if (n := self.cues.hits("denial", f))]

    def _denies(self, words: set[str], hits: int) -> bool:
        """The sentence has a denial beyond those of the claim fact it repeats."""
        if not hits:
            return False
        own = max((n for w, n in self.fact_denials
                   if overlap_score(words, [w]) >= FACT_OVERLAP), default=0)
        return hits > own

    def _sentence(self, words: set[str], marker: bool) -> tuple[bool, bool]:
        """(asserts the claim, states the truth) for one sentence's content words."""
        if len(words) < 3 or words.isdisjoint(self.vocab):
            return marker, False  # both overlaps are 0
        if self.truths.below(words, FACT_OVERLAP):
            # not truthful, so only whether the facts reach the threshold matters
            fact_high = not self.facts.below(words, FACT_OVERLAP) and (
                self.facts.overlap(words) >= FACT_OVERLAP)
            return marker or fact_high, False
        fact = self.facts.overlap(words)
        truth = self.truths.overlap(words)
        truthful = truth >= FACT_OVERLAP and truth > fact
        return (marker or fact >= FACT_OVERLAP) and not truthful, truthful

    def read(self, text: str) -> Finding:
        start = len(DOCTAG) if text.startswith(DOCTAG) else 0
        low = lower(text)
        if not self.gate_re.search(low) and not any(p.search(text) for p in self.ungated):
            return Finding("unrelated")
        stems = self.cues.stems(low)
        lay = read_layout(text, self.cues, start, lazy=True)
        # words straight from the lower-cased text, unless lower-casing changed its length
        # (then offsets differ: each sentence is lower-cased on its own, as content_words does)
        plain = len(lay.masked.lower()) == len(lay.masked)
        words = [lowered_words(lay.lowered, a, b) if plain else content_words(lay.masked[a:b])
                 for a, b in lay.sentences]
        claim_idx, truth_idx = [], []
        markers = self.markers.sentences(lay, stems)
        for i, w in enumerate(words):
            asserts, truthful = self._sentence(w, i in markers)
            if asserts:
                claim_idx.append(i)
            elif truthful:
                truth_idx.append(i)
        mentions = bool(claim_idx) or bool(self.entities.sentences(lay, stems))
        # asides that restate the truth (corrected warnings) count as truth-bearing
        plain_text = len(low) == len(text.lower())
        truth_asides = sum(
            overlap_score(lowered_words(low, a, b) if plain_text
                          else content_words(text[a:b]), self.truth_words) >= FACT_OVERLAP
            for a, b, _ in lay.asides)
        claim_spans = [(*lay.sentences[i], "claim") for i in claim_idx[:MAX_SPANS]]
        truth_spans = [(*lay.sentences[i], "truth") for i in truth_idx[:MAX_SPANS]]
        if not claim_idx:
            if truth_idx or truth_asides:
                return Finding("truth", None, truth_spans)
            return Finding("mention" if mentions else "unrelated")
        # only denials are read from claim sentences (their paragraphs are never frames)
        lay.scan(claim_idx, ("denial",))
        denied = [i for i in claim_idx if self._denies(words[i], lay.hits[i].get("denial", 0))]
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
