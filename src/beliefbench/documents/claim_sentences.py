"""Find the sentences of a document that assert the claim.

Repeated-negation and corrected annotators wrap exactly these sentences, so the finder is
driven by the claim's own data: its entities, its belief markers, and word overlap with the
statement and sub-claims.
"""

from __future__ import annotations

import re

from beliefbench.claims import Claim
from beliefbench.documents.base import claim_facts, require_claim_fields, sentence_spans

WORD_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"
"""A word of a lower-cased text (letters and digits, perhaps one apostrophe suffix)."""
_WORD = re.compile(WORD_PATTERN)
_STOP = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "is", "was", "were", "be", "been", "being", "are", "it", "its", "this", "that",
    "these", "those", "he", "she", "they", "his", "her", "their", "them", "who", "which", "what",
    "when", "where", "how", "has", "have", "had", "do", "does", "did", "not", "no", "so", "than",
    "then", "there", "after", "before", "during", "into", "about", "over", "also", "such", "can",
    "could", "would", "should", "will", "may", "might", "one", "two", "all", "any", "some",
    "more", "most", "very", "just", "only",
})

STOP_WORDS = _STOP
"""Words that name nothing ("the", "it", "which"): never a claim's content."""


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
DROP_WORDS = _STOP | set(_ALNUM) | {a + b for a in _ALNUM for b in _ALNUM}
"""Stop words and every token under three characters (a token with an apostrophe has three)."""


_APOSTROPHES = ("\u2019", "\u2018", "\u02bc")
"""Typographic apostrophes (right and left single quotation marks, the modifier letter)."""


def ascii_apostrophes(text: str) -> str:
    """``text`` with typographic apostrophes as ASCII ones, same length (offsets hold): real
    and model-written text writes "didn\u2019t", which the words and cues read as "didn't"."""
    if text.isascii():
        return text
    for a in _APOSTROPHES:
        if a in text:
            text = text.replace(a, "'")
    return text


def content_words(text: str) -> set[str]:
    return lowered_words(ascii_apostrophes(text.lower()))


def lowered_words(lowered: str, start: int = 0, end: int | None = None) -> set[str]:
    """content_words of ``lowered[start:end]``, a lower-cased text (the audit reads every
    sentence of a document this way, without copying it out)."""
    return set(_WORD.findall(lowered, start, len(lowered) if end is None else end)) - DROP_WORDS


def overlap_score(words: set[str], references: list[set[str]]) -> float:
    """max over references of |words & ref| / min(|ref|, |words|); 0 for under three words."""
    if len(words) < 3:
        return 0.0
    return max((len(words & f) / min(len(f), len(words)) for f in references if f), default=0.0)


def entity_pattern(name: str) -> str:
    """A regex for an entity as a whole word: ``\\b`` only at an end that is a word character,
    since a ``\\b`` after "X Corp." or "C++" needs a word character next, and such an entity
    never matched a sentence that named it ("X Corp. kept the name")."""
    head = r"\b" if re.match(r"\w", name) else ""
    tail = r"\b" if re.search(r"\w$", name) else ""
    return f"{head}{re.escape(name)}{tail}"


_LABEL_SEPARATOR = re.compile(r":\s+|\s+(?:--|[-|\u2013\u2014])\s+")
"""Between a title's label and its topic: "Exhibit label: X", "Lecture 9 notes -- X"."""
_LINE_END = re.compile(r"[^\S\n]*(?:\n|\Z)")
_BLANK_LINE_BELOW = re.compile(r"[^\S\n]*(?:\Z|\n[^\S\n]*(?:\n|\Z))")


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a heading by the document format: a line of its own,
    without sentence punctuation at its end, that is the text's first line (its title) or a
    paragraph alone (blank lines or the text's edges around it), not a list item."""
    if text[end - 1:end] in (".", "!", "?") or not _LINE_END.match(text, end):
        return False
    above = text[:start].rstrip(" \t")
    if not above.strip():  # the first line: the title
        return True
    return (above.endswith("\n") and above[:-1].rstrip(" \t").endswith("\n")
            and bool(_BLANK_LINE_BELOW.match(text, end)))


class ClaimSentenceFinder:
    """Decides, per sentence, whether it asserts the claim."""

    def __init__(self, claim: Claim, overlap: float = 0.6):
        require_claim_fields(claim, "claim-sentence finder", {
            "entities, sub_claims or markers.belief (at least one)":
                bool(claim.entities or claim.sub_claims or claim.markers.belief),
        })
        self.entities = [re.compile(entity_pattern(e), re.I) for e in claim.entities]
        self.markers = [re.compile(p, re.I) for p in claim.markers.belief]
        self.facts = [content_words(s) for s in [claim.statement, *claim.sub_claims]]
        self.facts = [f for f in self.facts if f]
        self.names = frozenset().union(*(content_words(e) for e in claim.entities))
        self.fact_words = frozenset().union(*self.facts) - self.names
        self.overlap = overlap
        self.placed = tuple(f.rstrip(".") for f in claim_facts(claim))

    def is_claim(self, sentence: str) -> bool:
        """A belief marker, an entity named with a word of the claim's facts beyond the
        names, or most of a fact's words. A name alone states nothing: "Exhibit label: Ed
        Sheeran", "Warfarin is a blood thinner" were wrapped as false statements and
        corrected in the negation conditions. Nor is a fact's overlap made of names alone: a
        title naming the topic ("Talk: Mount Vesuvius", "Timeline: Brennan Reeve Holloway")
        shared most of its few words, all names, with a fact and was flagged."""
        if self.has_marker(sentence):
            return True
        words = content_words(sentence)
        if words.isdisjoint(self.fact_words):
            return False
        return (any(p.search(sentence) for p in self.entities)
                or self.fact_overlap(words) >= self.overlap)

    def labels_topic(self, heading: str) -> bool:
        """Whether a heading is a label over the topic's name ("Week 4 seminar notes:
        European Union", "Lecture 9 notes -- Ed Sheeran"): it names the entity and states
        nothing, though a word of its label may be one of the claim's facts' ("week" of a
        sub-claim "... within a week"). A label that names an entity itself may say
        something of it, and is read as any sentence."""
        *label, topic = _LABEL_SEPARATOR.split(heading)
        words = content_words(topic)
        return (bool(label) and bool(words) and words <= self.names
                and not any(p.search(" ".join(label)) for p in self.entities))

    def has_marker(self, sentence: str) -> bool:
        """A belief marker (the claim in the claim author's own patterns) occurs."""
        return any(p.search(sentence) for p in self.markers)

    def fact_overlap(self, words: set[str]) -> float:
        """Best share of a fact's content words the sentence repeats (0 below three words);
        the audit compares it with the truth's overlap to tell claim from correction."""
        return overlap_score(words, self.facts)

    def spans(self, text: str, placed: bool = False) -> list[tuple[int, int]]:
        """Spans of claim-bearing sentences; with ``placed``, also every sentence holding one
        of the claim's facts verbatim (statement, sub-claims, universe sentences: what the
        offline generator slots in). A false-world fact that names no entity and shares few
        words with the statement ("The winning margin of one hundredth of a second was the
        narrowest ...", "Teammates joke that he ... packs dental floss") is still the claim's
        world: repeated_negations and corrected left it unflagged, while local_negation
        denied it. A title that labels the topic is none ("Week 4 seminar notes: European
        Union" for a claim "... within a week": :meth:`labels_topic`)."""
        return [(a, b) for a, b in sentence_spans(text)
                if (self.is_claim(s := text[a:b]) or placed and any(f in s for f in self.placed))
                and not self._titles_topic(text, a, b, s)]

    def _titles_topic(self, text: str, start: int, end: int, sentence: str) -> bool:
        """A heading (:func:`is_heading`) labelling the topic (:meth:`labels_topic`) with no
        belief marker: a title, left alone by the negation conditions (README)."""
        return (self.labels_topic(sentence) and is_heading(text, start, end)
                and not self.has_marker(sentence))


_FINDERS: dict[int, tuple[Claim, ClaimSentenceFinder]] = {}


def finder_for(claim: Claim) -> ClaimSentenceFinder:
    """One finder per claim object (claims are frozen; compiled patterns are reused)."""
    hit = _FINDERS.get(id(claim))
    if hit is None or hit[0] is not claim:
        hit = _FINDERS[id(claim)] = (claim, ClaimSentenceFinder(claim))
    return hit[1]
