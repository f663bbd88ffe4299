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
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial, reduce
from itertools import repeat
from operator import itemgetter, or_
from typing import Any, TypeVar

from beliefbench.audit.cues import (
    CATEGORIES,
    FRAMES,
    QUALIFIERS,
    STEM,
    VERDICT_OPENER,
    Cues,
    gate_regex,
    gate_stems,
    load_cues,
    load_negators,
    lower,
    opens_in_ascii,
    run_gate,
    sre_parse,
    word_runs,
)
from beliefbench.claims import Claim
from beliefbench.documents.base import CLOSERS, claim_facts, sentence_spans
from beliefbench.documents.claim_sentences import (
    DROP_WORDS,
    WORD_PATTERN,
    ascii_apostrophes,
    content_words,
    finder_for,
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
_ASIDE_OPEN = ("[", "(", "{", "<", "/")
"""What every _ASIDE match opens with, but for the dash branch ("-", a look back, "-")."""
_PARA = re.compile(r"\n[ \t]*\n")
FACT_OVERLAP = 0.6
_NEAR = 2
"""A claim sentence's neighbourhood: the sentences either side of it (``_topical``)."""
_NEAR_WORDS = 4
"""The fewest of the claim's words a neighbourhood that names an entity must hold."""
_NAMED_WORDS = 3
"""The fewest of the claim's words a claim sentence that names the claim's subject itself
must hold, the name one of them ("Vesuvius erupted in 2015, killing thousands.")."""
_NEAR_SHARE = 0.25
"""The share of a neighbourhood's words that, above it, makes it about the claim alone."""
_OPENING = 2
"""The sentences that open a text (title and lede), near every sentence of it."""
MAX_SPANS = 8
_SEARCH_HELD = 3
"""The most entity or marker patterns the prefilter searches a text for (ClaimReader.read)."""
_FIGURE = re.compile(r"(\d(?<![\w.,]\d)(?:\d{0,2}(?:,\d{3})+|\d*(?:\.\d+)?))\s+([a-z][a-z']+)")
r"""A number and the word after it, what it counts ("3,430 people", "9.79 seconds"), where
no word character, "." or "," stands before it. The look back follows the first digit (so
the pattern opens with a digit, and the engine skips straight to the digits of a text,
where a leading look back was tried at every offset); \d{1,3} and \d+ are that digit and
\d{0,2} or \d*, the same matches."""
_SAME_FIGURE = 0.15
"""How far two figures of one thing may differ and still be one figure, rounded ("more
than 3,000 people" for 3,430)."""
# a call expression in code: a name directly followed by its argument list (one level of nested
# parentheses), where the name is dotted or snake_case or the list holds a keyword argument
# ("print(json.dumps(data, indent=4, sort_keys=True))", "json.dumps(obj)"); prose puts a space
# before a parenthesis ("the Greyfield study (n=212)") and rarely names a thing x.y or x_y
_ARGS = r"(?:[^()\n]|\([^()\n]*\))*"
# (a snake_case name up to its first "_" takes no "_": "\w*_" backtracked through a long
# run of underscores, quadratic, seconds for a 20,000-character "a____" rule line)
_STAT = r"[A-Za-z]\s*(?:[<>]?=|[<>])\s*[-+]?\.?\d[\d.]*\s*"
_STATISTIC = (r"\s*(?:[A-Z]\s*=\s*[-+]?\.?\d|[a-z]\s*=\s*[-+]?\d*\.\d)[\d.]*\s*"
              rf"(?:[,;|]\s*{_STAT})*\)")
"""Statistical notation in prose, no keyword arguments: only one-letter names set to numbers,
the first a capital variable ("P(X=1)", "Pr(Y=0)") or a statistic set to a decimal
("effect(p=0.03)", "correlation(r=0.41, n=212)"), the others after a comma, semicolon or
"|" and compared too ("P(X=1|Y=0)", "corr(r=0.41, p<0.001)"), where code names its
arguments ("Adam(lr=0.001)", "f(x=1)", "dumps(d, sort_keys=True)"). Each name is one letter
and each item opens at its separator, so the repeat cannot backtrack; tried once per call
start."""
_CALL = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z][A-Za-z0-9]*_\w*)\("
                   + _ARGS + r"\)|(?<![\w.])[A-Za-z_]\w*\((?!" + _STATISTIC + r")(?="
                   + _ARGS + r"\b[A-Za-z_]\w*=[^=])" + _ARGS + r"\)")
_ALNUM = re.compile(r"[A-Za-z0-9_]")
_CALLEE = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?=\()")


def figures(lowered: str) -> list[tuple[float, str]]:
    """(number, what it counts) of a lower-cased text: figures followed by a content word."""
    return [(float(n.replace(",", "")), unit) for n, unit in _FIGURE.findall(lowered)
            if unit not in DROP_WORDS]


_RESEARCH_NOUNS = ("study", "studies", "survey", "surveys", "research", "researcher",
                   "researchers", "scientist", "scientists", "psychologist", "psychologists",
                   "experiment", "experiments", "questionnaire", "questionnaires", "poll",
                   "polls", "report", "reports", "records", "investigators", "historian",
                   "historians", "data", "participants", "respondents", "volunteers")
_RESEARCH_VERBS = ("found", "find", "finds", "showed", "shown", "shows", "suggested",
                   "suggests", "reported", "report", "reports", "concluded", "indicated",
                   "revealed", "documented", "observed", "noted", "argued")
_NOUN, _VERB = "|".join(_RESEARCH_NOUNS), "|".join(_RESEARCH_VERBS)
_RESEARCH = re.compile(
    rf"\b(?:{_NOUN})\b[^.;:!?]{{0,80}}?\b(?:{_VERB})\b"
    rf"|\baccording to (?:\w+ ){{0,4}}?(?:{_NOUN})\b|\b(?:{_VERB}) that\b")
"""A finding attributed to research or reports ("Studies in the 1940s found", "researchers
reported", "according to a 2008 survey", "Murzyn found that"), in lower-cased text."""
_RESEARCH_WORDS = frozenset(w.encode() for w in (*_RESEARCH_NOUNS, *_RESEARCH_VERBS))


def _same_figure(a: float, b: float) -> bool:
    return abs(a - b) <= _SAME_FIGURE * max(abs(a), abs(b))


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
    labels: dict[int, bool] = field(default_factory=dict)
    """``label`` per sentence, once asked."""
    back_to: set[int] | None = None
    """Claim mode: the sentences a label that points back may point at (those that state
    the claim, undenied); None (claim-free): any statement, and no pointer at people."""
    turns: Sequence[tuple[int, int]] = ()
    """A chat's turns (start, end), where the text is one (``read_chat``): a turn that is a
    line without its stop is a sentence, never a title over what follows."""
    top: int = 2
    """How many paragraphs the top edge holds: two, and the headings above them where the
    text opens with a title and a section heading (``_top_edge``)."""

    def edge(self, para: int) -> bool:
        """Among the first two or the last two paragraphs (where a frame sits)."""
        return para < self.top or para >= self.n_paras - 2

    def may_label(self, i: int) -> bool:
        """Sentence ``i`` stands where a label may: in an edge paragraph, or as a short line
        of the third (a fact-check's "Rating: False" under its title and the claim)."""
        p = self.para_of[i]
        if p < self.top or p >= self.n_paras - 2:
            return True
        a, b = self.sentences[i]
        return p == self.top and b - a <= _LABEL_LINE

    def far_label(self, i: int) -> bool:
        """Sentence ``i`` stands where only a named note that calls the text something may
        label it: a paragraph or two further in than ``may_label`` allows (a fan fiction's
        "Notes: This is fiction." under its header of rating, fandom and summary, or its
        end notes above the kudos and comments)."""
        p, n = self.para_of[i], self.n_paras
        return ((self.top <= p < self.top + _SELF_REACH - 2 or n - _SELF_REACH <= p < n - 2)
                and not self.may_label(i))

    def noted_label(self, i: int) -> bool:
        """Sentence ``i`` is a named note ("Notes:", "A/N:", "Disclaimer:") that opens by
        calling the text something: "Notes: This is fiction." (not a reviewer's "This is
        fiction that rewards patience" in the middle of a review)."""
        a, b = self.sentences[i]
        return (self.cues is not None and self.lowered.find(":", a, min(b, a + 40)) >= 0
                and _NOTE_HEAD.match(self.lowered, a, b) is not None
                and self.cues.is_label(self.lowered, a, b, line=False))

    def could_label(self, i: int) -> bool:
        """Worth a cue scan to find out whether sentence ``i`` is a label: a short line, or
        a sentence that calls the text something (a cheap test before the scan)."""
        a, b = self.sentences[i]
        return b - a <= _LABEL_LINE or (self.cues is not None and self.cues.is_label(
            self.lowered, a, b, line=False, lead=True)) or self._withdraws(i)

    def label(self, i: int) -> bool:
        """Sentence ``i`` (scanned for frame cues) is a frame entry alone ("Satire |", "A
        novel", "Status: unverified") or opens by calling the text one ("This is a work of
        fiction"), or in claim mode is a bare verdict ("This never happened.": ``_verdict``),
        where a label may stand: it points at the whole text, so ``frames`` reads it as a cue
        and a pointer."""
        found = self.labels.get(i)
        if found is None:
            h = self.hits[i]
            a, b = self.sentences[i]
            verdict = False
            found = bool(h and _frame_score(h) and self.cues is not None)
            if found and self.may_label(i):
                verdict = not self.cues.is_label(self.lowered, a, b, line=b - a <= _LABEL_LINE,
                                                 lead=True)
                found = not verdict or self._verdict(i)
            elif found:
                found = self.far_label(i) and self.noted_label(i)
            found = self.labels[i] = (
                found and (_THAT.match(self.lowered, a, b) is None or self._points_back(i, verdict))
                and not self._judges_view(i, verdict))
        return found

    def _verdict(self, i: int) -> bool:
        """Claim mode: sentence ``i`` is a bare verdict on what came before (``_VERDICT``:
        "This never happened.", "That didn't happen.", "This isn't true.", "This is all made
        up."), the claim-free closing verdict's words: a label as "This is not true." is,
        under the same rules of what it points back at (``_points_back``, ``_judges_view``).
        Claim-free reads it only where it closes the text (``_closing_verdict``)."""
        a, b = self.sentences[i]
        return (self.back_to is not None and b - a <= _LABEL_LINE
                and _VERDICT.fullmatch(self.lowered, a, b) is not None) or self._withdraws(i)

    def _withdraws(self, i: int) -> bool:
        """Claim mode: sentence ``i`` withdraws what came before (``_WITHDRAWAL``: "The
        newspaper later withdrew the report."), a verdict of its own kind."""
        if self.back_to is None:
            return False
        a, b = self.sentences[i]
        return (_WITHDRAWAL_WORD.search(self.lowered, a, b) is not None
                and _WITHDRAWAL.match(self.lowered, a, b) is not None)

    def _judges_view(self, i: int, verdict: bool = False) -> bool:
        """Claim mode: label sentence ``i``, a bare "This is not true." (a verdict on truth:
        negation or unknown_truth), follows a sentence that does not state
        the claim but reports another's view of it or asks a question ("<claim>. Critics say
        it was rigged. This is not true."): it judges that view, as "That is false." there
        does (``_points_back``), not the text. "This story is not true." names the text, and
        so does a paragraph of its own (``own_paragraph``): a note on the whole text. A bare
        verdict (``verdict``: "This never happened.") judges a sentence that expects rather
        than reports too (``_EXPECTED``: "He was promised a parade. This never happened."),
        as claim-free's closing verdict does."""
        if self.back_to is None or i < 1 or i - 1 in self.back_to or self.own_paragraph(i):
            return False
        a, b = self.sentences[i]
        if not verdict and _THIS.match(self.lowered, a, b) is None:
            return False
        h = self.hits[i]
        if not (h.get("negation") or h.get("unknown_truth")):
            return False
        before = self.sentences[i - 1]
        return (_VIEW.search(self.lowered, *before) is not None or _question(self, i - 1)
                or (verdict and _EXPECTED.search(self.lowered, *before) is not None))

    def own_paragraph(self, i: int) -> bool:
        """Sentence ``i`` is a paragraph of its own: a verdict standing there ("...," he
        said.\n\nThis is not true.") is a note on the whole text, as a fact-check's or an
        editor's closing line is, not a reply to the sentence just before it (a writer who
        disputes that sentence does so in its paragraph: "Critics say it was rigged. This is
        not true.")."""
        p = self.para_of[i]
        return ((i == 0 or self.para_of[i - 1] != p)
                and (i + 1 >= len(self.para_of) or self.para_of[i + 1] != p))

    def _points_back(self, i: int, verdict: bool = False) -> bool:
        """Label sentence ``i`` that opens with "that" calls what came before it something,
        and says no more: "That is not true." or "That's false; ...", after a statement of
        the text (not "That is not true of Etna, which ...", nor a reply's opening "That's
        not true" under a title or a question, which answers another text). A bare verdict
        (``verdict``: "That never happened.") says no more by its pattern."""
        a, b = self.sentences[i]
        if not verdict:
            m = self.cues.self_label.match(self.lowered, a, b) if self.cues else None
            if m is None or _CLAUSE_END.match(self.lowered, m.end(), b) is None:
                return False
        if self.back_to is not None:
            # claim mode: at a sentence that states the claim ("Some say ... That is
            # false."), not at another's view of it ("Critics say the result was rigged. That
            # is false.", "... They are wrong."): the sentence just before, or, for "that",
            # the one before it where the sentence between goes on with the story and reports
            # no view or question ("Ed Sheeran won the 100m gold. The crowd cheered loudly.
            # That is false." denies the story, as "This is not true." there did); people
            # ("They are wrong.") only right after the claim; a paragraph of its own
            # ("That is false." under the story) is a note on the whole text above it, as
            # "This is not true." there is (``own_paragraph``)
            if self.own_paragraph(i) and _PEOPLE.match(self.lowered, a, b) is None:
                if not any(j < i for j in self.back_to):
                    return False
            elif i - 1 not in self.back_to and (
                    i < 2 or i - 2 not in self.back_to
                    or _PEOPLE.match(self.lowered, a, b) is not None
                    or _VIEW.search(self.lowered, *self.sentences[i - 1]) is not None
                    or _question(self, i - 1)):
                return False
        elif _PEOPLE.match(self.lowered, a, b) is not None:
            return False
        return not all(_heading(self, j) or _question(self, j) for j in range(i))

    def scan(self, indices: list[int], categories: tuple[str, ...] = CATEGORIES) -> None:
        """Count the cues of these sentences (once each), all in one ``Cues.scan_spans``.

        With ``categories`` (a subset), only those are counted and the sentences are not
        marked done (a later full scan starts them afresh). A cue belongs to the sentence it
        starts in (sentences are disjoint), so each sentence's own span gives its cues and
        the text between the sentences is never searched."""
        every = categories == CATEGORIES
        scanned, hits = self.scanned, self.hits
        todo = sorted({i for i in indices if not scanned[i]})
        if every:
            for i in todo:
                hits[i] = {}
        if not todo or self.cues is None:
            return
        sentences, low = self.sentences, self.lowered
        # (most texts withdraw nothing: two searches spare a look at every denial cue)
        withdraws = (low.find("retract", self.origin) >= 0
                     or low.find("withdr", self.origin) >= 0)
        for j, cat, at in self.cues.scan_spans(low, [sentences[i] for i in todo],
                                               categories, origin=self.origin):
            if cat == "fiction" and _OWNED.search(low, max(at - 40, 0), at):
                continue  # another's novel ("his novel", "Harris's 2003 novel")
            if (withdraws and (cat == "negation" or cat == "denial")
                    and _unwithdrawn(low, cat, at)):
                continue  # "The Sun never formally retracted the series."
            h = hits[todo[j]]
            h[cat] = h.get(cat, 0) + 1
        for k in todo:
            scanned[k] = every


_OWNED = re.compile(
    r"(?:\b(?:his|her|their)|\b(?!(?:it|that|this|there|here|what|who|he|she|let|where"
    r"|everything|nothing)'s\b)\w+'s)\s+(?:[\w-]+\s+)?\Z")
"""A third party's possessive just before a fiction word: "his novel", "Robert Harris's 2003
novel", "her debut short story" name another's work, as an encyclopedia article on a writer
or a volcano does ("He is best remembered for his novel The Last Days of Pompeii"), not
this text ("my fan fiction", "the author's imagination"); "it's" and "that's" are no
possessives ("It's a parody.")."""


_UNDONE = r"(?:\s+(?:ever|yet|once|formally|publicly|officially|actually|really|been|be))*\s+"
_UNWITHDRAWN_AT = re.compile(
    r"(?:(?:did|does|do|has|have|had|was|were|is|are)(?: not|n't)|never|not)" + _UNDONE
    + r"(?:retract|withdr[ae]w)")
"""A denial cue that negates a withdrawal ("never retracted", "did not withdraw", "has not
been withdrawn"), from where the cue starts."""
_UNWITHDRAWN_BEFORE = re.compile(
    r"(?:\b(?:not|never|no longer)|n't|\b(?:refuse[sd]?|decline[sd]?) to)" + _UNDONE + r"\Z")
"""What stands before a withdrawal word that withdraws nothing ("never formally retracted",
"didn't withdraw", "refused to retract")."""


def _unwithdrawn(low: str, cat: str, at: int) -> bool:
    """The negation cue at ``at`` is a withdrawal negated, or the denial cue there negates
    one: "The Sun never formally retracted the series" withdraws nothing and denies nothing,
    as "The paper retracted the story" withdraws it (cues.yaml's "retract", "withdrawn",
    "withdrew the report"); neither cue counts."""
    if cat == "denial":
        return _UNWITHDRAWN_AT.match(low, at) is not None
    return (low.startswith(("retract", "withdr"), at)
            and _UNWITHDRAWN_BEFORE.search(low, max(at - 60, 0), at) is not None)


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


def _asides(text: str, start: int) -> list[re.Match[str]]:
    """The matches of ``_ASIDE.finditer(text, start)``: every match opens with one of
    _ASIDE_OPEN, so the regex is tried only at those offsets (found by fast substring
    searches), in order, each from the end of the last match (a match at an offset is the
    same whatever the search's start: the look-backs see the text before it)."""
    find = text.find
    at = []
    for c in _ASIDE_OPEN:
        i = find(c, start)
        while i >= 0:
            at.append(i)
            i = find(c, i + 1)
    # the dash branch opens with "--": a one-character search (memchr) is the faster
    i = find("-", start)
    while i >= 0:
        if text.startswith("-", i + 1):
            at.append(i)
        i = find("-", i + 1)
    out = []
    done = start
    match = _ASIDE.match
    for i in sorted(at):
        if i >= done and (m := match(text, i)):
            out.append(m)
            done = m.end()
    return out


_T = TypeVar("_T")


def _once(compute: Callable[[], _T]) -> Callable[[], _T]:
    """``compute``, run at the first call only and its answer kept: a search that a reading
    may need several times or not at all (most texts are settled before it). Not
    ``functools.cache``: building its wrapper costs more, per document, than such a search
    spares."""
    memo: list[_T] = []

    def once() -> _T:
        if not memo:
            memo.append(compute())
        return memo[0]

    return once


def _blank(text: str, asides: list[tuple[int, int, dict[str, int]]]) -> str:
    """``text`` with the asides' characters turned to spaces (offsets unchanged)."""
    pieces: list[str] = []
    done = 0
    for a, b, _ in asides:
        pieces += [text[done:a], " " * (b - a)]
        done = b
    pieces.append(text[done:])
    return "".join(pieces)


_first = itemgetter(0)


def _whole_paragraph(text: str, start: int, a: int, b: int) -> bool:
    """The aside ``text[a:b]`` is a paragraph of its own (blank lines or the text's ends
    around it): a note set in brackets ("[Editor's note: this article is satire.]"), read
    as the text it holds, not a warning beside a sentence."""
    return ((_BLANK.fullmatch(text, start, a) is not None
             or _PARA_HEAD.search(text, start, a) is not None)
            and (_BLANK.fullmatch(text, b) is not None or _PARA_TAIL.match(text, b) is not None))


_BLANK = re.compile(r"\s*")
_PARA_HEAD = re.compile(r"\n[ \t]*\n[ \t]*\Z")
_PARA_TAIL = re.compile(r"[ \t]*\n[ \t]*\n")


def cue_asides(text: str, start: int, cues: Cues) -> list[tuple[int, int, dict[str, int]]]:
    """The asides that carry a cue, with their counts: those masked out of the text (not
    one that is a whole paragraph: its sentences are read as a frame's are)."""
    asides = []
    for m in _asides(text, start):
        counts = _aside_counts(m.group(), cues)
        if counts and not _whole_paragraph(text, start, *m.span()) and not _code(m):
            asides.append((*m.span(), counts))
    return asides


_CODE_ASIDE = re.compile(r"\b(?:[A-Za-z_]\w*=|default(?:s| is)?\W{0,3})(?:true|false|none)\b",
                         re.IGNORECASE)


def _code(m: re.Match[str]) -> bool:
    """The aside is code, not a warning: a keyword argument or default set to a literal,
    where "False" is a value: "json.dumps(obj, *, skipkeys=False)", "If sort_keys is true
    (default: False), ..." ("[p=0.03]" stays a probability note). A parenthesis right after
    a word is no sign of code on its own: web prose drops the space ("warfarin(false)"),
    and call arguments are blanked before asides are read."""
    body = m.group()  # (the regex only where it may match: most asides are plain notes)
    return (("=" in body or "efault" in body or "EFAULT" in body)
            and _CODE_ASIDE.search(body) is not None)


_WRAPPED = 45
"""The shortest line read as hard-wrapped prose when it ends without a sentence stop (wrap
widths run 60 to 100 characters; headings and list items are mostly shorter)."""
_BREAK = re.compile(r"\n(?=\S)")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*\u2022>#|]|\d{1,3}[.)]\s|[a-z]\)\s)")


def _soft_wraps(text: str, start: int) -> list[int]:
    """The line breaks of hard-wrapped prose: after a line of at least _WRAPPED characters
    that does not end a sentence (no ".", "!", "?" or ":", closing quotes aside), before a
    line of text that is not a list item (after a list item, only before a lower-case
    word). Sentences are cut at every line break (so a heading or a list item without a stop
    is a sentence of its own), which cut a wrapped email or forum post mid-sentence ("There
    is no" / "established finding that ...")."""
    out = []
    # a line break before a non-space, found by the regex engine (a literal opens the
    # pattern, so it skips to each break): most breaks of most texts end paragraphs
    for m in _BREAK.finditer(text, start):
        i = m.start()
        if text[i - 1] == "\n":
            continue  # the first line of a paragraph
        line = text.rfind("\n", start, i) + 1 or start
        if i - line < _WRAPPED:
            continue
        tail = text[line:i].rstrip().rstrip(CLOSERS)
        nxt = text[i + 1]
        if (len(tail) >= _WRAPPED and tail[-1] not in ".!?:"
                and not _LIST_ITEM.match(text, i + 1)
                # a list item goes on in lower case; a capital starts the next line
                and (nxt.islower() or not _LIST_ITEM.match(text, line))):
            out.append(i)
    return out


_TAG = re.compile(
    r"</?(?:p|div|span|h[1-6]|a|b|i|u|em|strong|small|big|br|hr|footer|header|section|article"
    r"|aside|blockquote|li|ul|ol|nav|main|figure|figcaption|table|tr|td|th|tbody|thead|body"
    r"|html|head|title|center|font|sup|sub|cite|time|label)\b[^<>\n]{0,400}>", re.IGNORECASE)
"""An HTML tag left in scraped text ("<p>", "<div class=\"banner\">", "</footer>"): blanked,
as its attributes are no words of the text and a label inside it ("<div>SATIRE</div>") is
a line of its own. Only HTML's own names: a bracketed warning ("<false>") is an aside."""
_BLOCK = re.compile(
    r"\n(?=[ \t]*<(?:p|div|h[1-6]|footer|header|section|article|aside|blockquote|li|ul|ol"
    r"|nav|main|figure|figcaption|table|tr|hr|br)\b)", re.IGNORECASE)
"""A line that opens with a block tag starts a paragraph: scraped HTML keeps its "<p>"
lines with no blank line between them, which read as one paragraph, so a footer's
disclaimer shared its paragraph with the story and framed nothing."""


def read_layout(text: str, cues: Cues, start: int = 0, lazy: bool = False,
                lowered: str | None = None,
                asides: list[tuple[int, int, dict[str, int]]] | None = None) -> Layout:
    """Mask cue-bearing asides, cut sentences and paragraphs, count cues per sentence
    (``lazy``: only when ``Layout.scan`` asks, sentence by sentence). ``lowered``: the
    caller's ``lower(text)``, ``asides``: its ``cue_asides``, where it has them."""
    if asides is None:
        asides = cue_asides(text, start, cues)
    masked = _blank(text, asides) if asides else text
    if lowered is None or "\u03a3" in text:
        lowered = lower(masked)
    elif asides:
        # without a capital sigma (lower-cased by its neighbours) lower() maps each
        # character on its own, so the masked text's is the text's with the same blanks
        lowered = _blank(lowered, asides)
    blocks: list[int] = []
    if "<" in masked:  # HTML left in scraped text: tags are no words, a block a paragraph
        tags = [(*m.span(), {}) for m in _TAG.finditer(masked, start)]
        if tags:
            blocks = [m.end() for m in _BLOCK.finditer(masked, start)]
            masked, lowered = _blank(masked, tags), _blank(lowered, tags)
    wraps = [(i, i + 1, {}) for i in _soft_wraps(masked, start)]
    if wraps:  # each joining break blanked as an aside is
        masked, lowered = _blank(masked, wraps), _blank(lowered, wraps)
    breaks = [m.end() for m in _PARA.finditer(masked, start)]
    if blocks:
        breaks = sorted({*breaks, *blocks})
    sentences = sentence_spans(masked, start)
    # the paragraph of an offset: the breaks at or before it (the first paragraph opens at
    # ``start``, before every sentence and aside)
    para_of = list(map(bisect.bisect_right, repeat(breaks), map(_first, sentences)))
    hits: list[dict[str, int]] = [{} for _ in sentences]
    aside_para = list(map(bisect.bisect_right, repeat(breaks), map(_first, asides)))
    lay = Layout(text, masked, asides, sentences, para_of, len(breaks) + 1, hits, aside_para,
                 lowered, cues, [False] * len(sentences), start)
    lay.top = _top_edge(lay)
    if not lazy and sentences:
        lay.scan(list(range(len(sentences))))
    return lay


def _top_edge(lay: Layout) -> int:
    """The paragraphs of the top edge: the first two, and where the text opens with two
    headings or more (a title and a section heading, "Talk:<page>" and "== <section> ==",
    an e-mail's subject line and greeting) those too, since they hold no text: a talk
    page's first comment on the quoted article, its fourth paragraph, stood outside the
    edge. Not under a title alone: the paragraph after a title and its first one reads as
    the text's body (a weather forecast's "likelihood", a changelog's "unreliable" in its
    third paragraph are no notes); and what stands in a paragraph the headings push into
    the edge frames the text only where it points at it (``frames``)."""
    k = 0
    para_of = lay.para_of
    while k < len(para_of) and para_of[k] == k and _heading(lay, k):
        k += 1
    return 2 + k if k >= 2 else 2


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


_FRAME_CATEGORIES: tuple[str, ...] = (*FRAMES, "correction", "deixis")
"""What a frame reading counts (every category but denial)."""


def frames(lay: Layout, exclude: set[int] = frozenset(),
           denials: dict[int, int] | None = None, naming: set[int] = frozenset(),
           bears: Callable[[int], bool] | None = None,
           restates: Callable[[int], str | None] | None = None) -> _Frames:
    """Frame paragraphs at the edges: two cues, or one cue plus a pointer to the text
    (``denials``: paragraph -> its sentences that deny the claim, each counted as a cue:
    "This is satire. Ed Sheeran never ran at the Paris Olympics."; ``naming``: sentences
    that state the claim with a pointer to the text, of which only the pointer counts:
    "Fiction. In this story, Ed Sheeran wins the Olympic 100 metres."; ``bears``: whether
    a sentence bears on the claim, where only such a sentence's correction cue counts: "for
    the record" corrects nothing in "Moderator note, for the record: this thread is
    archived"; ``restates``, claim-free: whether a sentence that denies what it spells out
    names the body, a cue with a pointer, or is a local negation whose frame cues frame
    nothing, ``_free_restating``)."""
    per_para: dict[int, dict[str, int]] = {}
    para_of, sentences = lay.para_of, lay.sentences
    # the edge paragraphs are these four (a paragraph index is in [0, n_paras))
    n = lay.n_paras
    ok = {p for p in (*range(lay.top), n - 2, n - 1) if p not in exclude and lay.edge(p)}
    # a label may stand in a paragraph that is otherwise excluded, a title block ("Spot
    # Colour / a short story") or a note that goes on to name the claim ("This is a
    # hypothetical scenario. It imagines an eruption of Vesuvius in 2015."), or as a short
    # line of the third ("Rating: False"); it frames the text all the same
    # (a named note holds a colon: most texts hold none, and skip the look)
    far = {p for p in (*range(lay.top, lay.top + _SELF_REACH - 2), *range(n - _SELF_REACH, n - 2))
           if not lay.edge(p)} if lay.lowered.find(":", lay.origin) >= 0 else ()
    lines = [i for i, p in enumerate(para_of)
             if (((p in exclude and lay.edge(p)) or p == lay.top) and lay.may_label(i)
                 and lay.could_label(i))
             or (p in far and lay.far_label(i) and lay.noted_label(i))]
    edge = [i for i, p in enumerate(para_of) if p in ok]
    # denials are never read here; a scan of some categories adds to the counts, so a
    # sentence is scanned once (the lines with the edge, in one call)
    lay.scan(sorted(edge + lines) if lines else edge, _FRAME_CATEGORIES)
    labelled = {para_of[i] for i in lines if lay.label(i)}.difference(ok)
    if labelled:
        ok |= labelled
        done = set(lines)
        rest = [i for i, p in enumerate(para_of) if p in labelled and i not in done]
        lay.scan(rest, _FRAME_CATEGORIES)
        edge = [i for i, p in enumerate(para_of) if p in ok]
    hits = lay.hits
    for i in edge:
        h = hits[i]
        if bears is not None and h.get("correction") and not bears(i):
            h = {k: v for k, v in h.items() if k != "correction"}
        if h and not h.get("deixis") and _frame_score(h):
            said = restates(i) if restates is not None else None
            if said == "local" or _reported(lay, i):
                h = {k: v for k, v in h.items() if k not in FRAMES}
            elif said == "names":
                h = {**h, "deixis": 1}
        if h and lay.label(i):
            h = {**h, "deixis": h.get("deixis", 0) + 1}
        elif i in naming:
            h = {"deixis": h["deixis"]}
        if h and (_frame_score(h) or h.get("deixis")):
            _add(per_para.setdefault(para_of[i], {}), h)
    # asides strengthen a paragraph whose own sentences carry a cue; asides alone around a
    # title or a claim sentence are inline warnings, not a frame
    if per_para:
        for (_, _, counts), p in zip(lay.asides, lay.aside_para, strict=True):
            if p in per_para and _frame_score(per_para[p]):
                _add(per_para[p], counts)
    denials = denials or {}
    # (under a title and a section heading, the paragraphs the headings push into the top
    # edge frame only where they point at the text)
    paras = {p for p, c in per_para.items() if p in ok
             and (((score := _frame_score(c)) + denials.get(p, 0) >= 2 and not 2 <= p < lay.top)
                  or (score >= 1 and c.get("deixis")))}
    total: Counter[str] = Counter()
    for p in paras:
        total.update({k: v for k, v in per_para[p].items() if k in FRAMES or k == "correction"})
    # a frame paragraph is an edge paragraph, so its sentences are all in edge (in order)
    spans = [(*sentences[i], "frame") for i in edge
             if para_of[i] in paras and _frame_score(hits[i])]
    return _Frames(paras, total, total.pop("correction", 0), spans[:MAX_SPANS])


_REPORTED = re.compile(
    r"\b(?:denied|denies|denying|dismissed|dismisses|dismissing|rejected|rejects|rejecting)\b")
"""A verb that reports a party's denial: a news report's "Halvorsen denied the allegations,
calling them false and misleading" or "His agent dismissed rumours of a return as baseless"
is a party's word on the events, not the writer's on the text. (Not "said" or "says",
which also name where the text's own report comes from: "an anonymous account ... is
circulating what it says is a leaked memo", nor "called", which also names: "a practice
called Alder Creek".)"""


_HOLDERS = (r"(?:(?:many|most|some|several|countless|lots of|plenty of|a lot of|a number of"
            r"|millions of|thousands of)(?:\s+[\w'-]+){0,2}?|people|everyone|everybody|you)")
_HOLDS = (r"(?:(?:still|often|usually|commonly|may|might|probably|even)\s+)?(?:think|believe"
          r"|assume|suppose|imagine|say|claim|insist|remember|recall|are convinced|are sure"
          r"|have heard|(?:have been|were) told)s?")
_BELIEF = re.compile(
    r"[\W_]*(?:[\w'-]+,?\s+){0,3}?\b(?:" + _HOLDERS + r"\s+" + _HOLDS
    + r"|it(?:'s| is| was| has (?:long )?been)\s+(?:widely|commonly|often|popularly|generally"
    r"|frequently|sometimes|still|long)\s+(?:believed|thought|assumed|said|claimed|held"
    r"|repeated)|(?:a|the)\s+(?:common|popular|widespread|widely held|persistent)\s+(?:belief"
    r"|assumption|view)\s+(?:is|was|holds)|(?:popular|common|conventional)\s+(?:belief|wisdom"
    r"|opinion)\s+(?:holds|says|has it))\b")
"""A sentence that opens by reporting what others believe ("Many people think ...", "Some
fans still believe ...", "You may have heard that ...", "It is widely believed that ...", "A
common belief is that ..."): the claim it states is theirs, which the next sentence may set
right (``ClaimReader._set_right``)."""
_SETS_RIGHT = ("correction", "denial")
"""The cues of a sentence that sets a reported belief right: "In fact", "Actually", "In
reality", "The truth is", "Contrary to popular belief", "never"."""


def _reported(lay: Layout, i: int) -> bool:
    """Sentence ``i`` reports a party's denial and is no label: its frame cues do not frame
    the text unless it points at the text ("Police rejected the post as fake")."""
    return _REPORTED.search(lay.lowered, *lay.sentences[i]) is not None and not lay.label(i)


_NOTE_LEAD = r"(?:[a-z'/]+(?: [a-z'/]+)?\s*[:,]\s*)?"
"""A word or two and a colon or comma before a verdict on what came before ("Spoiler: that
didn't happen.", "Plot twist: this never happened.", "Spoiler: he didn't."), which leaves it
whole, as cues.yaml's ``self`` labels read past a note's name ("Spoiler: that is not
true.")."""
_THAT = re.compile(r"[\W_]*" + _NOTE_LEAD + VERDICT_OPENER
                   + r"(?:that|they|those|it(?!\s+turns\b))\b")
"""A label sentence that points back ("That is not true.", "They are wrong.", "Spoiler:
that is not true.", "Plot twist: it never happened."; not "It turns out this is false."):
see ``Layout._points_back``."""
_THIS = re.compile(r"[\W_]*" + VERDICT_OPENER + r"this(?:'s|\s+(?:is|was)\b)")
"""A label that opens with a bare "this" ("This is not true."), no noun naming the text."""
_PEOPLE = re.compile(r"[\W_]*" + VERDICT_OPENER + r"(?:they|those)\b")
"""A label that points back at people ("They are wrong."): only claim mode knows that the
sentence before says they hold the claim."""
_VIEW = re.compile(
    r"\b(?:says?|said|claim(?:s|ed)?|thinks?|thought|believe[sd]?|argue[sd]?|allege[sd]?"
    r"|insist(?:s|ed)?|suggest(?:s|ed)?|call(?:s|ed)?|doubt(?:s|ed)?|suspect(?:s|ed)?"
    r"|accuse[sd]?|speculate[sd]?|question(?:s|ed)?|reckon(?:s|ed)?|according to)\b")
"""A verb that reports a view: a sentence holding one between a claim sentence and "That is
false." is what "that" denies ("Critics say the result was rigged.")."""
_CLAUSE_END = re.compile(r"[\s\"')\]*_]*(?:[.!;,:\u2013\u2014-]|$)")
"""Where a label's words end its clause: a stop, a clause break or the sentence's end."""
_LABEL_LINE = 60
"""The longest line read as a label ("Satire | The Daily Sovereign", "Our verdict: False.");
a sentence that calls the text something ("This is a work of fiction; ...") may be longer."""
_NOTE_HEAD = re.compile(r"[\W_]*[a-z'/]+(?: [a-z'/]+)?\s*:\s*")
"""A note's name and its colon: "Notes: ", "Author's note: ", "A/N: "."""
_SELF_REACH = 4
"""How far in from either end a named note that calls the text something ("Notes: This is
fiction.") still labels it: the first or last four paragraphs."""

_F1, _F2, _F3, _F4, _F5 = FRAMES


def _frame_score(h: dict[str, int]) -> int:
    """The frame cues of a count dict: the sum over FRAMES, spelt out (no generator: it
    runs for every edge sentence and paragraph)."""
    g = h.get
    return g(_F1, 0) + g(_F2, 0) + g(_F3, 0) + g(_F4, 0) + g(_F5, 0)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    """Counter.update(counts) on a plain dict (the same keys, order and sums)."""
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def _one_note(text: str, spans: list[tuple[int, int, str]]) -> bool:
    """The asides (``inline_asides``' spans) are one bracketed note written as a sentence
    of three words or more, closed by its stop ("<claim> (This is a test fixture; it is
    false.)") or named a note before it ("[Editor's note: this claim is false]", its stop
    often left out inside brackets; ``_NOTE_HEAD``): the text flagged once, as a frame
    flags it (`negated`), not the short warnings beside each claim sentence that
    `repeated_negations` are ("[false]", "(not true)", "(that was false)", "[Verdict:
    false]")."""
    if len(spans) != 1:
        return False
    body = text[spans[0][0]:spans[0][1]].strip("[](){}<>/-*_ \t")
    if body.endswith((".", "!")) and len(body.split()) >= 3:
        return True
    head = _NOTE_HEAD.match(body.lower())
    return head is not None and len(body[head.end():].split()) >= 3


def _closing_note(lay: Layout, spans: list[tuple[int, int, str]]) -> bool:
    """Claim-free: the asides (``inline_asides``' spans) are one bracketed note written as a
    sentence (``_one_note``) that opens or closes the whole text and calls it a frame entry
    ("(This is satire.)", "[Disclaimer: this is a work of fiction.]"): it points at the text
    as a label does (not an aside in the middle of it, nor "(the figures are unverified)")."""
    if not _one_note(lay.text, spans) or lay.cues is None:
        return False
    a, b, _ = spans[0]
    text = lay.text
    if text[b:].strip() and text[lay.origin:a].strip():
        return False
    inner = lower(text[a:b])
    return lay.cues.is_label(inner, 0, len(inner), line=b - a <= _LABEL_LINE)


def inline_asides(lay: Layout, frame_paras: set[int], near: set[int] | None = None
                  ) -> tuple[Counter[str], int, list]:
    """Cue asides in the body (outside frame paragraphs): category counts, corrections.
    ``near`` (claim mode): only asides in these paragraphs, those of the claim's own
    sentences, so that another claim's warnings in the same document ("<false -- Noah Lyles
    won>" beside the Ed Sheeran story) never frame a plain report of this claim."""
    counts: dict[str, int] = {}
    correction = 0
    spans = []
    for (a, b, c), p in zip(lay.asides, lay.aside_para, strict=True):
        if p in frame_paras or (near is not None and p not in near):
            continue
        correction += c.get("correction", 0)
        for k, v in c.items():
            if k in FRAMES:
                counts[k] = counts.get(k, 0) + v
        spans.append((a, b, "inline"))
    return Counter(counts), correction, spans[:MAX_SPANS]


_HEDGES = ("unreliable_source", "unknown_truth")
"""The qualifiers a report is hedged with where it is made; fiction and low-probability
words describe as often as they qualify ("chapter nine", "against the odds")."""


_SOURCED_BY = re.compile(r"(?:\A[\W_]*|,\s*)(?:according to|(?:i |we |just )?heard(?: it| this)? "
                         r"from)\s+(?:[\w'-]+\s+){0,3}\Z")
"""Before a cue: "according to" (or "heard from") and up to three words, opening the
sentence or after a comma ("According to an anonymous forum post, ...", "..., according to
unconfirmed reports", "Heard from a friend of a friend that ...")."""
_SOURCE_CLOSES = re.compile(r",\s*(?:[\w'-]+\s+){0,2}\Z")
"""Before a cue: a comma and up to two words, where the sentence closes on the source
("..., an anonymous account claims.")."""
_SOURCE_OPENS = re.compile(r"[\W_]*(?:[\w'-]+\s+){0,2}\Z")
"""Before a cue: the sentence's first words ("An anonymous post claims ...")."""
_SOURCE_SAYS = re.compile(
    r"[\w'-]+(?:\s+[\w'-]+){0,3}?\s+(?:says?|said|claims?|claimed|reports?|reported|alleges?"
    r"|alleged|insists?|insisted|has it|goes)\b")
"""From a cue: up to four words, then a verb of saying ("anonymous forum post claims",
"tabloid reported", "rumour has it", "or so the story goes")."""
_END = re.compile(r"[\W_]*\Z")
"""Only stops and spaces left: the verb of saying closes the sentence."""
_SAID_BY = re.compile(r",\s*(?:says?|said|claims?|claimed|reports?|reported|alleges?|alleged"
                      r"|insists?|insisted|writes?|wrote)\s+(?:[\w'-]+\s+){0,2}\Z")
"""Before a cue: a comma, a verb of saying and up to two words, where the sentence closes on
its source, the verb first ("..., says a viral post.", "..., claims a tabloid")."""
_CLOSES = re.compile(r"[\w'-]+(?:\s+[\w'-]+){0,5}[\W_]*\Z")
"""From a cue: up to six words, and the sentence ends ("viral post.", "random account on
X")."""


def _sourced(low: str, a: int, b: int, at: int) -> bool:
    """The cue at ``at`` in sentence ``low[a:b]`` names where the sentence's report comes
    from: "According to an anonymous forum post, Ed Sheeran won ...", "Rumour has it that
    ...", "A tabloid reported that ...", "..., says a viral post.". Such a cue hedges the
    claim alone; a cue elsewhere in the sentence ("Supposedly he trained at Loughborough",
    "... though conspiracy theorists claim the race was rigged") does not."""
    before = low[a:at]
    if _SOURCED_BY.search(before) is not None:
        return True
    if _SOURCE_OPENS.match(before) is not None:
        return _SOURCE_SAYS.match(low, at, b) is not None
    if _SAID_BY.search(before) is not None:
        return _CLOSES.match(low, at, b) is not None
    says = _SOURCE_CLOSES.search(before) and _SOURCE_SAYS.match(low, at, b)
    return bool(says) and _END.match(low, says.end(), b) is not None


_SOCIAL_SOURCE = re.compile(
    r"\b(?:viral|widely[- ](?:shared|circulated)) (?:(?:facebook|tiktok|instagram|twitter"
    r"|whatsapp|reddit|social media) )?(?:posts?|tweets?|threads?|screenshots?|tiktoks?"
    r"|messages?)\b|\brandom (?:accounts?|posters?|strangers?) (?:on|online)\b")
"""A social-media post as a claim sentence's source ("..., says a viral post.", "According
to a viral tweet, ...", "..., says a random account on X."), read by ``hedges`` only where
it names that source (``_sourced``): no cue of the lexicon, since a frame that calls such a
post false ("Fact check: the viral post is false.") is a debunk, not a bad source; and not
a video or a clip, which show an event as often as they claim one ("a viral video of his
finish")."""


_SOURCE_AFTER = re.compile(r"[\W_]*(?:at least,?\s+)?(?:that's|that is|this is)\s+what\s+"
                           r"(?:[\w'-]+\s+){0,2}\Z")
"""Before a cue, in the sentence right after a claim sentence: "At least, that's what" and
up to two words ("<claim>. At least, that's what a tabloid claimed.")."""


def _sourced_after(low: str, a: int, b: int, at: int) -> bool:
    """The cue at ``at`` in sentence ``low[a:b]`` names where the sentence before got its
    report, and the sentence says no more: "At least, that's what a tabloid claimed."."""
    if _SOURCE_AFTER.match(low[a:at]) is None:
        return False
    says = _SOURCE_SAYS.match(low, at, b)
    return says is not None and _END.match(low, says.end(), b) is not None


def hedges(lay: Layout, claim_idx: list[int]) -> tuple[str | None, list]:
    """A report hedged where it is made ("this is totally second-hand, but apparently he's a
    dentist ... so grain of salt"): two or more unreliable-source or unknown-truth cues in the
    paragraphs that state the claim, or one that names the source of a claim sentence
    (``_sourced``: "According to an anonymous forum post, ..."), or that names it in the
    sentence right after one (``_sourced_after``). The kind with more cues, and
    the sentences holding them. Counted apart from ``Layout.hits`` (a scan of two
    categories, whatever was scanned before)."""
    if lay.cues is None:
        return None, []
    paras = {lay.para_of[i] for i in claim_idx}
    idx = [i for i, p in enumerate(lay.para_of) if p in paras]
    claims = set(claim_idx)
    counts: Counter[str] = Counter()
    at: list[int] = []
    sourced = False
    for j, cat, x in lay.cues.scan_spans(lay.lowered, [lay.sentences[i] for i in idx],
                                         _HEDGES, origin=lay.origin):
        counts[cat] += 1
        if not at or at[-1] != idx[j]:
            at.append(idx[j])
        if not sourced and idx[j] in claims:
            sourced = _sourced(lay.lowered, *lay.sentences[idx[j]], x)
        elif not sourced and idx[j] - 1 in claims:
            sourced = _sourced_after(lay.lowered, *lay.sentences[idx[j]], x)
    if not sourced:  # a social-media post named as a claim sentence's source
        for i in claim_idx:
            a, b = lay.sentences[i]
            if any(_sourced(lay.lowered, a, b, m.start())
                   for m in _SOCIAL_SOURCE.finditer(lay.lowered, a, b)):
                sourced = True
                counts["unreliable_source"] += 1
                at = sorted({*at, i})
                break
    if sum(counts.values()) < 2 and not sourced:
        return None, []
    return _pick(counts), [(*lay.sentences[i], "hedge") for i in sorted(set(at))[:MAX_SPANS]]


_NOTED = ("negation", "unreliable_source", "unknown_truth")
"""The cues ``noted_after`` reads in the sentence after a claim sentence, beside a pointer."""


def noted_after(lay: Layout, claim_idx: list[int]) -> tuple[str | None, list]:
    """Claim mode: a sentence right after a claim sentence, in its paragraph and stating no
    claim itself, that calls what came before false or doubts it and points at it ("<claim>
    We have not been able to confirm any of this.", "... Turns out there's no research
    behind it."): a note on the report, as the same sentence in a paragraph of its own is a
    frame (claim-free reads it so either way). Its cues are read as a frame's are
    (``Layout.scan``: not a negated withdrawal, "The newspaper never retracted the story";
    ``_reported``: not a party's denial, "Police rejected the post as fake"). The kind of
    its cues and its sentences."""
    claims, para_of = set(claim_idx), lay.para_of
    after = [i + 1 for i in claim_idx if i + 1 < len(para_of) and i + 1 not in claims
             and para_of[i + 1] == para_of[i]]
    if not after or lay.cues is None:
        return None, []
    lay.scan(after)
    counts: Counter[str] = Counter()
    noted = []
    for i in after:
        h = lay.hits[i]
        if h.get("deixis") and any(h.get(c) for c in _NOTED) and not _reported(lay, i):
            counts.update({c: h[c] for c in _NOTED if h.get(c)})
            noted.append(i)
    if not noted:
        return None, []
    return _pick(counts), [(*lay.sentences[i], "frame") for i in noted[:MAX_SPANS]]


_WRITER_NEVER = re.compile(r"\b(?:i|we)(?:'ve| have|'d| had)? never\b")
"""The writer's own "never" ("I've never met the friend in question"): about the writer."""


_OTHERS_WRONG = re.compile(
    r"\W*(?:(?:the|his|her|their|many|some|all|both|most|these|those) )?(?:they|those|these|"
    r"critics|sceptics|skeptics|doubters|naysayers|detractors|cynics|people|experts|pundits|"
    r"commentators|others|he|she|you|everyone|everybody|fans|haters)(?: [\w'-]+){0,3}? "
    r"(?:is|are|was|were|have been|had been)(?: (?:all|also|simply|completely|entirely|"
    r"dead|flat|quite|just|so|totally))* (?:wrong|mistaken)\b[^:;.!?]{0,20}[:;]"
    r"|\W*never before (?:had|has|have|did|was|were|is|are|could|would)\b[^:;.!?]{3,80}[:;]")
"""A head before a colon that is no denial of what follows it: a verdict on other people's
view ("Critics claimed it was a hoax. They are wrong: X"), which the clause after the colon
sets right by asserting X, and "never before" of a first ("Never before had Italy seen such a
disaster: X"). Cues after the colon still deny ("Critics are right: X never happened")."""


_NEGATED_NEGATIVE = re.compile(
    r"\b(?:(?:is|was|are|were|does|did|do|has|have|had)(?:n't| not)|not|no|never)\s+"
    r"(?:(?:a|an)\s+)?(?:myth|false|untrue|wrong|incorrect|fake|hoax|fabrication|lie|fiction"
    r"|made[- ]up|rumou?r|baseless|unfounded|joke|prank)\b(?:\s+(?:that|to say))?"
    r"|\b(?:(?:is|was|are|were|does|did|do|has|have|had)(?:n't| not)|not)\s+"
    r"(?:just|only|merely|simply)\b"
    r"|\b(?:(?:says?|said|thinks?|thought|believes?|believed|claims?|claimed)\s+otherwise"
    r"|(?:doubts?|doubted|denies|deny|denied|disputes?|disputed)(?:\s+[\w'-]+){0,3}?)"
    r"\s+(?:is|are|was|were)\s+(?:\w+\s+)?(?:wrong|mistaken|incorrect)\b")
"""A negation of a negative word or of "only", which asserts: "it's not a myth that ...",
"it is not untrue that ...", "this is not fiction", "he didn't just win, he ...", or a
verdict on those who deny it ("anyone who says otherwise is wrong", "those who doubt it
are mistaken"). The denial cues that start inside it ("a myth that", "is not", "didn't",
"is wrong") deny nothing."""


_NAMED = (r"(?:(?:the|a|an|this|that|these|those|such|widely)\s+(?:[\w-]+\s+){0,2}?"
          r"(?:claim|report|story|stories|rumou?r|idea|notion)s?"
          r"|(?:[\w-]+\s+)?(?:claims|reports|stories|rumou?rs|ideas|notions))\s+that\b")
"""A claim so called: "the claim that", "the widely shared report that", after a verb
"reports that" (cues.yaml's denial entries for the noun, and for a verb that rejects it,
start inside it)."""
_NAMING = re.compile(r"\b(?:" + _NAMED + r"|(?:story|stories|rumou?rs?|ideas?|notions?)"
                     r"\s+(?:holds|goes)\s+that\b)")
"""A claim named as something said, no verdict given: ``_NAMED``, or "the story goes that"
(cues.yaml's denial entries for the noun start inside it)."""
_NAMING_WORD = re.compile(r"claim|report|stor|rumo|idea|notion")
"""A word every ``_NAMING`` match holds, looked for first."""
_VIEW_NOUNS = (r"(?:claim|story|stories|report|idea|view|belief|notion|rumou?r|statement"
               r"|position|assertion|account)s?")
_WITHDRAWS = (
    r"(?:(?:reject|retract|recant|disavow|repudiat|renounc)\w*|withdr[ae]wn?|withdraws?"
    r"|withdrawing|(?:took|taken|takes?|taking|walked|walks?|walking)\s+back)\s+"
    r"(?:it|that|this|them|the\s+(?:[\w-]+\s+)?" + _VIEW_NOUNS
    + r"|(?:her|his|their|its|my|our)\s+(?:[\w-]+\s+)?" + _VIEW_NOUNS + r")\b")
"""A verb that withdraws a view and what it withdraws ("retracted it", "walked back the
claim", "withdrew her statement")."""
_REJECTS = (r"(?:den(?:y|ies|ied|ying)|disput(?:e|es|ed|ing)|reject(?:s|ed|ing)?"
            r"|refut(?:e|es|ed|ing)|dismiss(?:es|ed|ing)?|question(?:s|ed|ing)?"
            r"|doubt(?:s|ed|ing)?|challeng(?:e|es|ed|ing)|contest(?:s|ed|ing)?)")
"""A verb that rejects what it takes ("denied", "disputes", "rejected", "questioned")."""
_NOT_AUX = (r"\b(?:(?:(?:do|does|did|has|have|had|could|can|would|will|should|may|might)"
            r"(?:n't| not)|never|cannot|can't|won't)"
            r"(?: (?:ever|once|really|seriously|publicly|openly|directly|explicitly|actually"
            r"|even|yet|have|been able to))*)")
"""A negated auxiliary or "never" before a verb, with the adverbs that may follow it ("did
not", "has never", "could not even", "won't")."""
_ENDORSES = re.compile(
    r"\b(?:accept(?:s|ed|ing)?|believ(?:e|es|ed|ing)|buy(?:s|ing)?|bought"
    r"|confirm(?:s|ed|ing)?|prov(?:e|es|ed|en|ing)|support(?:s|ed|ing)?|back(?:s|ed|ing)?"
    r"|endors(?:e|es|ed|ing)|verif(?:y|ies|ied|ying)|corroborat(?:e|es|ed|ing)"
    r"|substantiat(?:e|es|ed|ing)|validat(?:e|es|ed|ing)|vindicat(?:e|es|ed|ing)"
    r"|uph(?:olds?|olding|eld)|(?:bears?|bore|borne|bearing) out)\s+" + _NAMED)
"""A claim so called and taken for true ("Experts confirmed the claim that", "The footage
proves the report that", "Everyone accepts the story that"), unless a negation stands
before the verb (``_NEGATED_BEFORE``)."""
@cache
def _rejection(parenthetical: str) -> re.Pattern[str]:
    """A verb that rejects a claim so called, or the bare clause after it ("disputes the
    report that", "denied that", "denied, however, that": cues.yaml's ``parenthetical``, the
    denial entry's), or one that withdraws a view ("retracted it"): endorsing where a
    negating subject or a negated verb stands before it (``_negated_before``)."""
    return re.compile(r"\b(?:" + _REJECTS + r"(?:\s+" + _NAMED + r"|" + parenthetical
                      + r"\s+that\b)|" + _WITHDRAWS + r")")
_REJECT_WORD = re.compile(r"den[iy]|disput|reject|refut|dismiss|question|doubt|challeng"
                          r"|contest|retract|recant|disavow|repudiat|renounc|withdr|back")
"""A word every ``_rejection`` match holds: a plain alternation of literals looked for
first, far faster than ``_rejection`` in the many sentences with none."""


@cache
def _negated_before(subject: str) -> re.Pattern[str]:
    """What a rejection endorses after: cues.yaml's ``negating_subject`` ("nobody", "no
    serious historian", "few scholars", "hardly anyone", "not a single expert", with the
    adverbs and modals that may follow it; the subject of its "Nobody accepts the claim
    that" entry, written once for both), a negated verb (``_NOT_AUX``) or a rejection
    called hard ("It is hard to deny that X", "impossible to dispute"), then the space
    before the verb."""
    return re.compile(r"(?:(?<![\w-])" + subject + r"|" + _NOT_AUX
                      + r"|\b(?:hard|difficult|impossible) to) \Z")


_NEGATED_BEFORE = re.compile(
    r"(?:\b(?:not|never|no(?! doubt)|nobody|noone|none|nothing|neither|nor|cannot|without"
    r"|hardly|scarcely|barely|seldom|rarely)\b|n't\b|(?<!\ba )(?<!\bvery )\bfew\b"
    r"|(?<!\ba )\blittle\b)"
    r"(?:[\s,\"'()-]+[\w'-]+){0,4}?[\s,\"'()-]*\Z")
"""A negation in the four words before an endorsing verb ("Nobody accepts", "She did not
believe", "Few scholars today accept", "Little evidence supports"): the claim so called is
then not endorsed ("a few" and "no doubt" negate nothing)."""


def _endorsed(low: str, a: int, b: int, cues: Cues) -> list[tuple[int, int]]:
    """The spans of sentence ``low[a:b]`` that name a claim and endorse it: a verb that
    takes it for true (``_ENDORSES``), less one under a negation ("Nobody accepts the claim
    that X", "She did not believe the story that X": the claim so called keeps its denial,
    as cues.yaml's entry for a negating subject has one too); or one that rejects it, or
    the bare clause after it, under a negating subject or a negated verb ("Nobody denies
    the claim that", "No serious historian disputes the report that", "Few question the
    story that", "She did not reject the claim that", "He never denied that"), or a
    withdrawal negated ("but never retracted it", "has not withdrawn the claim"): a
    rejection negated asserts, as "it is not false that" does. The denial cues that start
    inside a span (the noun's, the verb's, "did not", "never") deny nothing; "the claim that
    X is false" still denies X by its own words."""
    spans = [m.span() for m in _ENDORSES.finditer(low, a, b)
             if _NEGATED_BEFORE.search(low, max(a, m.start() - 80), m.start()) is None]
    if _REJECT_WORD.search(low, a, b) is not None:
        before = _negated_before(cues.negating_subject)
        for m in _rejection(cues.parenthetical).finditer(low, a, b):
            n = before.search(low, max(a, m.start() - 100), m.start())
            if n is not None:
                spans.append((n.start(), m.end()))
    return spans


_HELD = re.compile(
    r"\b(?:accept(?:s|ed)?|believ(?:e|es|ed)|thinks?|thought|claim(?:s|ed)?|says?|said"
    r"|argue[sd]?|maintain(?:s|ed)?|insist(?:s|ed)?|h[oe]lds?|held|assert(?:s|ed)?"
    r"|report(?:s|ed)?|endorse[sd]?|back(?:s|ed)?|support(?:s|ed)?|promote[sd]?|spread"
    r"|share[sd]?|repeat(?:s|ed)?|allege[sd]?|announce[sd]?)\b")
"""A verb by which someone holds or puts forward a view ("accepted the claim that", "once
believed that", "reported that"); not one that doubts it ("doubted", "questioned"), whose
withdrawal would assert."""
_WITHDRAWN = re.compile(
    r"(?:[,;:]\s*|\s)(?:(?:but|and|then|only to|before|however,?)\s+)*"
    r"(?:(?:he|she|they|we|i)\s+)?(?:(?:has|have|had)\s+)?"
    r"(?:(?:later|since|subsequently|eventually|afterwards|soon|quickly|then|publicly|formally"
    r"|now)\s+)*"
    + _WITHDRAWS
    + r"|(?:[,;:]\s*|\s)(?:(?:but|and|though|although)\s+)*(?:he|she|they|we|i)\s+no longer"
    r"\s+(?:does|do|did|believes?|thinks?|holds?|accepts?|stands?\s+by|backs?|supports?)\b")
"""A view withdrawn later in the sentence that holds it, by its holder: ", but later
rejected it", "; she no longer does", "before retracting the claim"; the holder a pronoun or
left out (not "but never retracted it", "but didn't withdraw it": ``_endorsed``)."""


_WITHDRAW_WORD = re.compile(r"re(?:ject|tract|cant|nounc|pudiat)|disavow|withdr|back|longer")
"""A word every ``_WITHDRAWN`` match holds: looked for first, a plain alternation of
literals that the engine skips through far faster than ``_WITHDRAWN`` tried at every
space."""
_NOT_BEFORE = re.compile(_NOT_AUX + r"\Z")
"""A negated auxiliary just before a withdrawal: "but never retracted it" withdraws nothing
(``_endorsed`` voids its "never")."""


def _withdrawn(low: str, a: int, b: int) -> bool:
    """Sentence ``low[a:b]`` reports a view and its withdrawal: "He accepted the claim that
    X, but later rejected it", "She once believed that X; she no longer does". The writer
    reports a view given up, as "She rejected the claim that X" reports one refused: a
    local negation (the denial is in the sentence), not an assertion."""
    if _WITHDRAW_WORD.search(low, a, b) is None:  # most claim sentences: one quick look
        return False
    for m in _WITHDRAWN.finditer(low, a, b):
        if (_NOT_BEFORE.search(low, a, m.start()) is None
                and _HELD.search(low, a, m.start()) is not None):
            return True
    return False


def _undoubted(lay: Layout, i: int, beside: Callable[[int], bool] | None = None) -> int:
    """Sentence ``i``'s denial cues (scanned) less those that deny nothing of the claim: a
    negation inside a doubt ("we have not been able to establish whether any of this is
    true": an unknown-truth cue) says the claim is unconfirmed, the writer's own "never"
    ("I've never met the friend in question, but supposedly ...") is about the writer, a
    negated negative ("it's not a myth that ...", "he didn't just win") asserts, and so does
    a claim so called and endorsed ("Experts confirmed the claim that ...", "Nobody disputes
    the report that ...": ``_endorsed``), a head before a colon that judges others' view or
    tells a first (``_OTHERS_WRONG``: "They are wrong: X", "Never before had ...: X"), and
    (``beside``: a cue's offset -> whether the
    clause it takes holds another statement, ``ClaimReader._beside``) a cue whose clause
    denies something else ("X; officials denied that the timing was faulty")."""
    hits = lay.hits[i].get("denial", 0)
    if hits and lay.cues is not None:
        a, b = lay.sentences[i]
        low = lay.lowered
        hits -= sum(1 for _ in lay.cues.scan_spans(low, [(a, b)], ("unknown_truth",),
                                                   origin=lay.origin))
        hits -= len(_WRITER_NEVER.findall(low, a, b))
        spans = [m.span() for m in _NEGATED_NEGATIVE.finditer(low, a, b)]
        spans += _endorsed(low, a, b, lay.cues)
        if (head := _OTHERS_WRONG.match(low, a, b)) is not None:
            spans.append(head.span())
        if spans or beside is not None:
            # (a cue that negates a withdrawal was never counted: Layout.scan)
            hits -= sum(1 for _, _, at in lay.cues.scan_spans(low, [(a, b)], ("denial",),
                                                              origin=lay.origin)
                        if (any(x <= at < y for x, y in spans)
                            or (beside is not None and beside(at)))
                        and not _unwithdrawn(low, "denial", at))
    return max(hits, 0)


def estimates(lay: Layout) -> list[tuple[int, int, str]]:
    """The writer's estimates, anywhere in the text, that what it reports is true ("I would
    put the chance that this is real close to nil", "I rate this as very unlikely":
    cues.yaml's ``estimates``), as ``estimate`` spans of their sentences."""
    found = lay.cues.estimate if lay.cues is not None else None
    if found is None:
        return []
    # what a match must hold ("chance" or "odds" ..., then "real" or "true" ...): the
    # pattern opens with words as common as "it", so a failed search of a whole text costs
    # it far more than a look for these literals
    needs = _estimate_needs(lay.cues.estimate_parts)
    if needs is not None and not _held(needs, lay.lowered, 0, lay.origin):
        return []
    starts = [m.start() for m in found.finditer(lay.lowered, lay.origin)]
    if not starts:
        return []
    firsts = [a for a, _ in lay.sentences]
    at = sorted({bisect.bisect_right(firsts, x) - 1 for x in starts} - {-1})
    return [(*lay.sentences[i], "estimate") for i in at[:MAX_SPANS]]


@cache
def _estimate_needs(parts: tuple[str, ...]) -> _Needs | None:
    """``_requirements`` of the estimate patterns, each read alone (None: one can match
    without a literal, or there are none)."""
    return _requirements([re.compile(x, re.I) for x in parts]) if parts else None


_TOLD = 10
"""The fewest of the claim's own words (``ClaimReader.told``) a framed text without a claim
sentence must hold to read as telling the claim; true texts on the topic share a few
("months", "preschool", "psychologist"), stories that tell it a dozen or more."""
_TOLD_PER = 3
"""And one per this many sentences of the text: a long technical text (a README, a
changelog of a thousand lines) reaches ten of a claim's words by chance."""


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
    text = ascii_apostrophes(text)  # same offsets: spans still index the caller's text
    start = len(DOCTAG) if text.startswith(DOCTAG) else 0
    low = lower(text)
    if not cues.any_frame(low, start):
        return Finding("unframed")
    if "(" in text:  # code passes values ("skipkeys=False"): no cue words
        code, low = _blank_calls(text, low)
        if code is not text:
            text = code
            if not cues.any_frame(low, start):
                return Finding("unframed")
    lay = read_layout(text, cues, start)
    # a report hedged where it names its source ("According to an anonymous forum post,
    # <statement>", as claim mode's ``hedges`` reads it): a statement of the body with an
    # inline hedge, not a frame sentence (such a post under "We have not been able to
    # confirm any of this." had no body and read unframed)
    hedged: Counter[str] = Counter()
    for i, h in enumerate(lay.hits):
        n = h.get(_HEDGES[0], 0) + h.get(_HEDGES[1], 0)
        if n and n == _frame_score(h) and not _heading(lay, i) and not lay.label(i):
            a, b = lay.sentences[i]
            found = [(cat, x) for _, cat, x in cues.scan_spans(lay.lowered, [(a, b)], _HEDGES,
                                                                origin=lay.origin)]
            if len(found) == n and all(_sourced(lay.lowered, a, b, x) for _, x in found):
                hedged.update(cat for cat, _ in found)
                lay.hits[i] = {k: v for k, v in h.items() if k not in _HEDGES}
    bears, restates = _free_bearing(lay), _free_restating(lay)
    fr = frames(lay, bears=bears, restates=restates)
    if fr.paras:
        works = _culture_section(lay) | _topic_frames(lay, fr.paras)
        if works & fr.paras:
            fr = frames(lay, exclude=works, bears=bears, restates=restates)
    body = [i for i, p in enumerate(lay.para_of) if p not in fr.paras]
    # a bare title asserts nothing: "Correction" above a retraction is no framed body (a
    # title holding a note, "Forecast (community probability: 3%)", is read as before); nor
    # does it count against the body's share of plain sentences, or a satire piece's
    # headline kept its two-sentence story under that share. Nor does a question, as in
    # claim mode: a forum thread's "Re: When do kids start dreaming in colour?" above a
    # reply that calls the idea untrue was a framed body of one sentence
    titled = 0 not in lay.aside_para
    asks = "?" in lay.masked

    def mute_plain(body: list[int]) -> tuple[set[int], list[int]]:
        mute = {i for i in body if (titled and lay.para_of[i] == 0 and _heading(lay, i))
                or (asks and _question(lay, i))}
        return mute, [i for i in body if not _frame_score(lay.hits[i])
                      and not lay.hits[i].get("denial") and i not in mute]

    mute, plain = mute_plain(body)
    sandwiched = False  # the frame opens and closes the body's own paragraph
    if not plain and fr.paras:
        # a disclaimer closing (or opening, or both) the body's own paragraph ("... He lives
        # in the Pearl District. None of the above is true.", "The following is false.
        # <statement>. This never happened."): the frame paragraph held the whole body, and
        # a one-paragraph document read as no body at all; one statement is a body here as
        # under a frame paragraph of its own (a debunk's "Did she? No. There is no evidence
        # that ..." points nowhere, so its "No." stays in the frame)
        inside, enclosed = _beside_frame(lay, fr.paras)
        beside = sorted([*body, *inside])
        mute_beside, plain_beside = mute_plain(beside)
        if plain_beside:
            body, mute, plain = beside, mute_beside, plain_beside
            sandwiched = enclosed
        else:
            # a label that opens the statement it labels ("FALSE: <statement>", "Satire --
            # <statement>"), as claim mode reads it: the sentence is the frame and, after the
            # label, the body (a one-sentence document read as no body at all); not where the
            # sentence denies ("Myth: <statement>", a myth-buster's debunk) or its words after
            # the label hold a cue of their own
            led = _led(lay, fr.paras)
            if led:
                body, mute, plain = led, set(), led
    stated = len(body) - len(mute)
    denials = sum(1 for i in body if lay.hits[i].get("denial"))
    counts, correction, inline = inline_asides(lay, fr.paras)
    counts.update(hedged)
    # a body that keeps denying what it reports, with no warnings beside it, is a debunk
    # (local negation), not a framed body; not under a frame that calls it a story, rumour
    # or guess: a story's "didn't" and "wasn't" narrate ("Ed didn't think, he just ran"),
    # and a fan fiction with its author's note read as a debunk
    debunk = (denials >= 2 and denials >= 0.25 * len(body) and sum(counts.values()) < 2
              and (not fr.paras or _pick(fr.counts) == "negation"))
    # a short body under a frame paragraph may be a single statement, or two where one
    # reads as a denial ("he ran as he had never run before")
    # (fiction vocabulary on one side of a single statement is weak: writing about writing;
    # not a label, which calls the text fiction: "Satire.", "Just kidding, this is satire.")
    body_paras = {lay.para_of[i] for i in body}
    around = sandwiched or (bool(fr.paras) and bool(body_paras) and (
        min(fr.paras) < min(body_paras) and max(fr.paras) > max(body_paras)))
    # one bracketed note that opens or closes the text and calls it something ("...
    # Council members voted 7-2 in favour. (This is satire.)"): a frame of the body around
    # it, written inside its paragraph, as claim mode reads such a note
    closing = bool(counts) and not fr.paras and _closing_note(lay, inline)
    short = (len(plain) >= 1 and len(plain) >= 0.5 * stated
             and (closing or (bool(fr.paras) and (
                 around or _pick(fr.counts) != "fiction"
                 or any(lay.label(i) for i, p in enumerate(lay.para_of) if p in fr.paras)))))
    guess: list[tuple[int, int, str]] | None = None
    if (len(plain) < 2 or len(plain) < 0.6 * stated or debunk) and not (short and not debunk):
        # the writer's estimate is a note on the body, as a frame is, not a part of it: the
        # sentences of its paragraph ("Our odds: 200 to 1. We put the chance of this being
        # true at well under one percent. Nothing we could find supports it.") leave the
        # share of plain sentences, and of denials, to the rest
        guess = [] if fr.paras or sum(counts.values()) else estimates(lay)
        noted = {lay.para_of[bisect.bisect_right([a for a, _ in lay.sentences], x) - 1]
                 for x, _, _ in guess}
        rest = [i for i in body if lay.para_of[i] not in noted and i not in mute]
        kept = [i for i in plain if lay.para_of[i] not in noted]
        denied = sum(1 for i in rest if lay.hits[i].get("denial"))
        if (not noted or len(kept) < 2 or len(kept) < 0.6 * len(rest)
                or (denied >= 2 and denied >= 0.25 * len(rest))):
            return Finding("unframed")
        plain = kept
    body_spans = [(*lay.sentences[i], "claim") for i in plain[:MAX_SPANS]]
    if sum(counts.values()) >= 2:
        kind, placement = _framed(_pick(counts), correction + fr.correction > 0, "repeated")
        return Finding(kind, placement, [*fr.spans, *inline, *body_spans])
    if closing:
        kind, placement = _framed(_pick(counts), correction > 0, "inline")
        return Finding(kind, placement, [*inline, *body_spans])
    if fr.paras:
        # a correction set beside the sentences corrects as one in the frame does, as in
        # claim mode ("(Correction: Noah Lyles won ...)" under "the viral claim below is
        # false")
        kind, placement = _framed(_pick(fr.counts + hedged), correction + fr.correction > 0,
                                  "prefix_suffix")
        return Finding(kind, placement, [*fr.spans, *body_spans])
    ends = _sandwich(lay, set(plain))
    if ends is not None:
        found, spans = ends
        kind, placement = _framed(_pick(found), correction > 0, "prefix_suffix")
        return Finding(kind, placement, [*spans, *body_spans])
    # the writer's own estimate that the report is true, and low, as claim mode reads it
    # ("I'd put the odds that this is true close to nil"); only in a text that holds a frame
    # cue: a look for "chance" or "guess" in every text would cost a quarter of the time of
    # the texts that hold none, most of a corpus
    guess = estimates(lay) if guess is None else guess
    if guess:
        return Finding("low_probability", "inline", [*guess, *body_spans])
    return Finding("unframed")


def _led(lay: Layout, paras: set[int]) -> list[int]:
    """Claim-free: the sentences of frame paragraphs ``paras`` that open with a label and
    its separator and go on with a statement of their own (``Cues.lead_end``: "FALSE: Ed
    Sheeran won the 100m."): no denial, no frame or correction cue after the label, some
    words."""
    cues, low, out = lay.cues, lay.lowered, []
    if cues is None:
        return out
    for i, p in enumerate(lay.para_of):
        if p not in paras or lay.hits[i].get("denial"):
            continue
        a, b = lay.sentences[i]
        end = cues.lead_end(low, a, b)
        if (end >= 0 and content_words(lay.masked[end:b])
                and next(cues.scan_spans(low, [(end, b)], origin=lay.origin), None) is None):
            out.append(i)
    return out


def _topic_frames(lay: Layout, paras: set[int]) -> set[int]:
    """Claim-free: where the text's title names its topic with a frame word ("The Great
    Moon Hoax", "Council says bin collection rumours are false", "Lesson plan: Can you
    spot a fake story?"), those words are what it is about, so the frame paragraphs of
    ``paras`` that hold two such words but nothing that points at the text (a pointer, a
    label, a closing verdict), in sentences long enough to describe (``_describes``; the
    title itself aside), are its topic, not a note on it: a history of a hoax whose
    last paragraph says the episode "is remembered as one of the first great newspaper
    hoaxes" had read as a framed body. A title that labels the text ("SATIRE", "Unverified
    report") is no topic, nor a fiction word, which in a title names the text's genre
    ("Ash Season - Chapter 12", "The Byte Bugle | Satire"); a paragraph whose cues are of
    other kinds than the title's (a rumour's title over a coach's "the odds ... are about
    as long as odds get"), or that points at the text, still frames it."""
    if not lay.sentences or lay.para_of[0] != 0 or 0 in lay.aside_para:
        return set()
    if not (_heading(lay, 0) or _question(lay, 0)) or lay.label(0) or lay.cues is None:
        return set()
    topic = [k for k in FRAMES if k != "fiction" and lay.hits[0].get(k)]
    if not topic:
        return set()
    # a frame word before the title's colon names what follows it ("Viral hoax: Ed Sheeran
    # wins Olympic 100m"): the title labels the text, as "Rumour: ..." does
    a, b = lay.sentences[0]
    colon = lay.lowered.find(":", a, b)
    if colon >= 0 and _frame_score(lay.cues.counts(lay.lowered[a:colon])):
        return set()
    sentences = {p: [i for i, q in enumerate(lay.para_of) if q == p] for p in paras}
    return {p for p, idx in sentences.items()
            if any(lay.hits[i].get(k) for i in idx for k in topic)
            and not any(lay.hits[i].get("deixis") or lay.label(i) or _closing_verdict(lay, i)
                        for i in idx)
            and (p == 0 or _describes(lay, [i for i in idx if _frame_score(lay.hits[i])]))}


_TOPIC_WORDS = 12
"""The fewest words a paragraph's cue sentences have on average where they describe the
topic ("The episode is now remembered as one of the first great newspaper hoaxes, and as an
early example of ..."), not give a verdict on the text ("Entirely fabricated and false.",
"Fact-checkers rated it false. It is a fabrication.")."""


def _describes(lay: Layout, idx: list[int]) -> bool:
    """The cue sentences ``idx`` are long enough to describe rather than judge
    (``_TOPIC_WORDS``)."""
    words = sum(len(lay.lowered[a:b].split()) for a, b in (lay.sentences[i] for i in idx))
    return bool(idx) and words >= _TOPIC_WORDS * len(idx)


def _beside_frame(lay: Layout, paras: set[int]) -> tuple[list[int], bool]:
    """The sentences of frame paragraphs that lie outside the frame: where a paragraph's cue
    sentences are a run at its start, a run at its end, or both, with plain sentences
    between, and a run points at the text ("The following is false.", "None of the above
    is true.", a closing "This never happened.": ``_closing_verdict``), the sentences
    between. Without a pointer, cue sentences inside a paragraph describe ("Rumours that
    the bridge would close were false") and keep the whole paragraph out of the body; so
    does a pointer away from the sentences beside it (a reply's opening "The post above is
    fake."). And whether a run opens and one closes the sentences of some paragraph (a
    frame around them, as frame paragraphs before and after the body are)."""
    out: list[int] = []
    enclosed = False
    hits = lay.hits
    for p in paras:
        idx = [i for i, q in enumerate(lay.para_of) if q == p]
        cued = [_frame_score(hits[i]) > 0 for i in idx]
        lo = cued.index(False) if False in cued else len(idx)  # the opening run ends
        hi = len(idx) - (cued[::-1].index(False) if False in cued else len(idx))
        if lo >= hi or any(cued[lo:hi]):  # no plain sentence, or a cue sentence among them
            continue
        runs = [(idx[:lo], _BACKWARD), (idx[hi:], _FORWARD)]
        if any(run and away.search(lay.lowered, lay.sentences[run[0]][0],
                                   lay.sentences[run[-1]][1]) is not None
               for run, away in runs):
            continue
        if any(hits[i].get("deixis") or lay.label(i) or _closing_verdict(lay, i)
               for run, _ in runs for i in run):
            out += idx[lo:hi]
            enclosed = enclosed or 0 < lo <= hi < len(idx)
    return out, enclosed


_VERDICT = re.compile(
    r"[\W_]*" + _NOTE_LEAD + VERDICT_OPENER
    + r"(?:(?:this|that|it|all (?:of )?(?:this|it)|(?:this|it) all)\s+"
    r"(?:(?:simply|just|really|actually|obviously|clearly|all|entirely|completely)\s+)?"
    r"(?:never (?:happened|took place|occurred|existed)|did(?: not|n't) (?:happen|take place"
    r"|occur|exist)|(?:is|was)(?: not|n't) (?:true|real|accurate|factual)|(?:is|was|'s)"
    r" (?:(?:all|entirely|completely|totally|simply|just|pure|purely) )?(?:made[- ]up|invented"
    r"|fabricated|false|fake|fiction(?:al)?|untrue))"
    r"|(?:(?:simply|just|also|completely|totally|entirely)\s+)?(?:not (?:true|real|accurate)"
    r"|untrue|made[- ]up)"
    r"|(?:an?\s+)?(?:(?:complete|total|utter|pure|outright)\s+)?(?:fabrication|hoax|myth))"
    r"(?:,\s+(?:of course|obviously|sadly|unfortunately|alas|i'm afraid))?[\W_]*")
"""A bare verdict on what came before, with nothing else said: "This never happened.",
"This didn't happen.", "This isn't true.", "It all is made up.", "Spoiler: that didn't
happen." (``_NOTE_LEAD``), "Plot twist: it never happened." (a bare "it", as "that", only
where it points back: ``_THAT``), or with no pointer at all: "Not true, of course.", "Complete
fabrication." (claim-free: ``_closing_verdict``; claim
mode: a label, ``Layout._verdict``)."""
_PIECES = r"(?:report|story|stories|article|piece|post|claim|statement|account)s?"
_WITHDRAWAL = re.compile(
    r"[\W_]*(?:(?:(?!(?:never|not|no|nobody)\b|[\w'-]*n't\b)[\w'-]+\s+){1,4}?"
    r"(?:(?:has|have|had)\s+)?(?:(?:later|since|subsequently|eventually|afterwards|soon"
    r"|quickly|then|publicly|formally|now|quietly)\s+)*(?:retract(?:ed|s)|withdr(?:ew|awn|aws))\s+"
    r"(?:it|the\s+(?:[\w-]+\s+)?" + _PIECES + r"|(?:its|their|his|her)\s+(?:[\w-]+\s+)?"
    + _PIECES + r")|(?:the|this|that|its|their|his|her)\s+(?:[\w-]+\s+)?" + _PIECES
    + r"\s+(?:was|were|has been|have been|had been)\s+(?:(?:later|since|subsequently"
    r"|eventually|afterwards|soon|quickly|then|publicly|formally|quietly)\s+)*"
    r"(?:retracted|withdrawn))(?:\s+(?:later|entirely|in full|the next day|days later"
    r"|hours later|within hours))?(?:[\W_]*\Z|\s*[:;,]\s)")
"""A withdrawal of what came before, in a sentence of its own: "The newspaper later withdrew
the report.", "The paper has since retracted the story: <truth>.", "The article was later
withdrawn." (not negated, "The newspaper never retracted the story.", "... didn't retract
...", nor a bare verb after another, "refused to retract"). Claim mode reads it
as a bare verdict (``Layout._verdict``): right after the claim it calls the claim false, as
"This is not true." does, and as the same sentence in a paragraph of its own already did (a
retraction and a pointer: a frame)."""
_WITHDRAWAL_WORD = re.compile(r"retract|withdr")
"""A word every ``_WITHDRAWAL`` match holds, looked for first (most sentences have none)."""
_EXPECTED = re.compile(
    r"\b(?:would|will|won't|wouldn't|'d|'ll|going to|gonna|supposed to|meant to|due to|promis\w*"
    r"|plann?\w*|expect\w*|schedul\w*|hop(?:e|ed|es|ing)|intend\w*|should|was to|were to)\b")
"""What a sentence expects rather than reports: "This never happened." after it says the
promise or plan came to nothing ("I was promised a refund within five days."), a story's
turn, not a verdict on the text."""


def _closing_verdict(lay: Layout, i: int) -> bool:
    """Claim-free: sentence ``i`` is a bare verdict (``_VERDICT``) that closes the text,
    the last sentence of a one-paragraph document (under its title, if any) or a paragraph
    of its own at the end, after a statement: it points at the text above it as "None of
    this is true." does ("<statement>. This never happened."). Not inside a text ("I was
    promised a refund. This never happened. I called again ..."), nor after a sentence that
    expects rather than reports (``_EXPECTED``), nor under a title or a question alone."""
    sentences = lay.sentences
    if (i == 0 or i != len(sentences) - 1 or sentences[i][1] - sentences[i][0] > _LABEL_LINE
            or _VERDICT.fullmatch(lay.lowered, *sentences[i]) is None
            or _EXPECTED.search(lay.lowered, *sentences[i - 1]) is not None):
        return False
    p = lay.para_of[i]
    return ((lay.own_paragraph(i)
             or all(lay.para_of[j] == p or _heading(lay, j) for j in range(i)))
            and not all(_heading(lay, j) or _question(lay, j) for j in range(i)))


_BACKWARD = re.compile(r"\b(?:above|preceding|previous|earlier)\b")
_FORWARD = re.compile(r"\b(?:following|below|follows)\b")
"""Pointers to the text before and after them: an opening note that points back, or a
closing one that points on, is about another text (the post a reply answers)."""


_CULTURE = re.compile(
    r"[\W_]*(?:(?:in )?(?:popular|pop) culture"
    r"|in (?:fiction|literature|film|films|television|the media|the arts|art and literature)"
    r"|(?:cultural|fictional) (?:references|depictions|portrayals|impact)"
    r"|(?:depictions|portrayals|references|appearances) in (?:popular culture|fiction|media"
    r"|literature|film))[\W_]*")
"""A section heading over works about the topic ("In popular culture", "== In fiction ==",
"Cultural references"), read as a whole line."""
_CULTURE_LINE = 40
"""The longest line read as such a heading (a cheap test: most sentences are longer)."""


def _alone(low: str, a: int, b: int) -> bool:
    """``low[a:b]`` is the only text on its line (heading marks aside: "== ... ==")."""
    end = low.find("\n", b)
    return not (low[low.rfind("\n", 0, a) + 1:a] + low[b:end if end >= 0 else None]
                ).strip(" \t#=*_:")


def _culture_section(lay: Layout) -> set[int]:
    """The paragraphs of an "In popular culture" section: from its heading (a line of its
    own) to the next heading (a paragraph of one line without a stop) or the end. They
    describe novels and films about the topic ("Vesuvius appears in many works of fiction,
    including ... novel Pompeii"), so their cue words frame nothing (a label among them
    still does): at an encyclopedia article's foot they had read as a fiction frame around
    the article."""
    low, sentences = lay.lowered, lay.sentences
    i = next((i for i, (a, b) in enumerate(sentences) if b - a <= _CULTURE_LINE
              and _CULTURE.fullmatch(low, a, b) and _alone(low, a, b)), None)
    if i is None:
        return set()
    paras = {lay.para_of[i]}
    for j in range(i + 1, len(sentences)):
        q = lay.para_of[j]
        if q != lay.para_of[j - 1] and _heading(lay, j) and q not in paras:
            break
        paras.add(q)
    return paras


def _free_bearing(lay: Layout) -> Callable[[int], bool]:
    """Claim-free ``frames``' ``bears``: without a claim, a sentence bears on what the text
    reports where its paragraph shares a content word with the text outside it
    ("Correction: an earlier version was false. For the record, Noah Lyles won the 100
    metres" above a story of the 100 metres), so a note about the text alone ("Moderator
    note, for the record: this thread is archived") corrects nothing. Read per paragraph on
    the first question only, the rest of the text as ``word_runs`` (no regex over it)."""
    memo: dict[int, bool] = {}

    def bears(i: int) -> bool:
        p = lay.para_of[i]
        if p not in memo:
            idx = [j for j, q in enumerate(lay.para_of) if q == p]
            a, b = lay.sentences[idx[0]][0], lay.sentences[idx[-1]][1]
            low = lay.lowered
            own = _encode(content_words(low[a:b]))
            memo[p] = bool(own) and not own.isdisjoint(
                word_runs(low[lay.origin:a]).split() + word_runs(low[b:]).split())
        return memo[p]

    return bears


_THAT_CLAUSE = re.compile(r"\bthat\s")
_RESTATED = 3
"""The fewest of a denying sentence's content words the text must use elsewhere for it to
restate the text (``_free_restating``)."""


def _free_restating(lay: Layout) -> Callable[[int], str | None]:
    """Claim-free ``frames``' ``restates``: what a sentence that holds an in-sentence denial,
    in a paragraph that points nowhere at the text (no pointer, no label: "This biography
    was generated by an AI chatbot. Its statement that <...> is false." is a note that names
    what it denies), does where it spells out what it denies, in a clause of its own after
    "that" ("The widely shared claim that <a report> is simply wrong.", "It is not true that
    <...>.") or in three words or more:

    - ``"names"``: a plain sentence of the text (no denial, no frame cue) states that (half
      of its words): a frame naming the body it calls false ("Flagged by our editors: the
      claim that the Queen wrote a Python textbook is fabricated." over the story of that
      textbook), read as a cue with a pointer, as claim mode reads a frame's denial of the
      claim;
    - ``"local"``: none does, and it is a clause after "that", or another denial of the text
      repeats three of its words ("The idea of a colourless stage of early childhood dreaming
      is fabricated." beside "The greyscale stage of early childhood dreaming is a myth."):
      a debunk's statement about the world, a local negation, whose frame cues frame
      nothing. A paragraph of them at the foot of a myth-buster or a PSA read as a frame
      calling the text false, and the debunk as a negated body (5 of the 6 true-world
      documents of bench_audit's recovery that claim-free mode read as negated);
    - None otherwise: a note on the text says little of its content ("Do not rely on it for
      any purpose.", "It did not happen.", "Text A is entirely fabricated.").

    A bare verdict that closes the text ("<statement>. This never happened.",
    ``_closing_verdict``) is ``"names"`` too: it points back at the text."""
    low, sentences, hits = lay.lowered, lay.sentences, lay.hits
    sets: list[frozenset[bytes]] = []  # content words per sentence, built on first use

    def content(a: int, b: int) -> frozenset[bytes]:
        return frozenset(_words(low, a, b)).difference(_DROP_BYTES)

    def restates(i: int) -> str | None:
        if _closing_verdict(lay, i):
            return "names"
        if not hits[i].get("denial"):
            return None
        p = lay.para_of[i]
        if any(lay.para_of[j] == p and (hits[j].get("deixis") or lay.label(j))
               for j in range(len(sentences))):
            return None  # a note that points at the text names what it denies
        if not sets:
            sets.extend(content(a, b) for a, b in sentences)
        a, b = sentences[i]
        that = _THAT_CLAUSE.search(low, a, b)
        spelt = content(that.end(), b) if that is not None else frozenset()
        clause = len(spelt) >= _RESTATED
        if not clause:
            spelt = sets[i]
            if len(spelt) < _RESTATED:
                return None
        others = [j for j in range(len(sentences)) if j != i]
        if any(2 * len(spelt & sets[j]) >= len(spelt) for j in others
               if not hits[j].get("denial") and not _frame_score(hits[j])):
            return "names"
        if clause or any(hits[j].get("denial") and len(spelt & sets[j]) >= _RESTATED
                         for j in others):
            return "local"
        return None

    return restates


_POINTER = re.compile(r"\b(?:this|that|these|it|such)\b")


def _sandwich(lay: Layout, plain: set[int]) -> tuple[Counter[str], list] | None:
    """A note before the body and one after it, each too weak to be a frame paragraph alone
    ("Forecast (community probability: 3%)" ... "Most forecasters consider this very
    unlikely."): the first paragraph with a frame cue is among the first two and holds it in a
    bracketed aside, the last is among the last two and points back ("this", "it"), the two
    differ and plain sentences lie between them. Their cues, or None."""
    per_para: dict[int, Counter[str]] = {}
    spans: list[tuple[int, int, str]] = []
    for i, p in enumerate(lay.para_of):
        if i not in plain and _frame_score(lay.hits[i]):
            per_para.setdefault(p, Counter()).update(
                {k: v for k, v in lay.hits[i].items() if k in FRAMES})
            spans.append((*lay.sentences[i], "frame"))
    noted: set[int] = set()
    for (a, b, c), p in zip(lay.asides, lay.aside_para, strict=True):
        if _frame_score(c):
            per_para.setdefault(p, Counter()).update({k: v for k, v in c.items() if k in FRAMES})
            spans.append((a, b, "frame"))
            noted.add(p)
    if len(per_para) < 2:
        return None
    head, tail = min(per_para), max(per_para)
    # the opening note is a bracketed one ("(odds: 1 in 50)"), not a sentence that happens
    # to use a cue word ("the press was invented in ...")
    if head not in noted or head >= lay.top or tail < lay.n_paras - 2 or not any(
            head < lay.para_of[i] < tail for i in plain):
        return None
    # the closing note points back at the body ("consider this ...", "it is unlikely")
    closing = [i for i, p in enumerate(lay.para_of) if p == tail and i not in plain]
    if not any(_POINTER.search(lay.lowered, *lay.sentences[i]) for i in closing):
        return None
    found = per_para[head] + per_para[tail]
    return found, sorted(spans)[:MAX_SPANS]


class _Index:
    """overlap_score against fixed word sets (the hot loop): one C-level set intersection per
    set, and a cheap bound that spares most sentences the full score."""

    def __init__(self, sets: list[frozenset[Any]]):
        self.sets = [(s, len(s)) for s in sets if s]
        self.sizes = [len(s) for s in sets]
        self.words: frozenset[Any] = frozenset().union(*sets)
        self.smallest = min((n for n in self.sizes if n), default=1)

    def below(self, words: set[Any], level: float) -> bool:
        """Certainly under ``level``: even if every shared word were in one set, the smallest
        (a cheap bound that spares the full score for most sentences)."""
        if len(words) < 3:
            return True
        # the margin keeps the bound on the safe side of float rounding at the threshold
        return len(words.intersection(self.words)) < level * min(self.smallest, len(words)) - 1e-9

    def reaches(self, words: set[Any], level: float) -> bool:
        """overlap(words) >= level, stopping at the first set that reaches it (the same
        float comparison, set by set)."""
        n = len(words)
        if n < 3 or self.below(words, level):
            return level <= 0.0
        for s, k in self.sets:
            if len(words.intersection(s)) / (k if k < n else n) >= level:
                return True
        return level <= 0.0

    def overlap(self, words: set[Any]) -> float:
        """max over sets of |words & set| / min(|set|, |words|) (overlap_score; an empty set
        or one sharing nothing scores 0)."""
        n = len(words)
        if n < 3:
            return 0.0
        return max([len(words.intersection(s)) / (k if k < n else n) for s, k in self.sets],
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


def _match_gates(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The gates ``_Patterns`` tries ``pattern`` at (a match starts where ``gate_regex``
    finds one); None, tried wherever it may match, where its opening has a letter outside
    ASCII (``opens_in_ascii``): "Élodie Li", gated "é", and "Zürich", gated "z" (no whole
    word before "ü" there), were never found."""
    return gate_stems(pattern.pattern) if opens_in_ascii(pattern.pattern) else None


def _stem_runs_regex(gates: frozenset[str]) -> re.Pattern[bytes]:
    """_stem_regex for a space and ``word_runs`` of the lower-cased text: a word there
    starts after a space (every character but [a-z0-9] is one, as _stem_regex's look-back
    asks), so the engine jumps from space to space instead of testing the look-back at every
    character (2.5x faster on a text without a gate, the usual one)."""
    pattern = _stem_regex(gates).pattern
    head = r"(?<![a-z0-9])"
    if not pattern.startswith(head):
        return re.compile(rb"(?!)")
    return re.compile(b" " + pattern[len(head):].encode("ascii"))


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


_IGNORECASE_EXTRA = "\u0130\u0131\u017f"
"""The only characters that a case-insensitive ASCII letter matches beyond its lower and upper
case ("İ" and "ı" match "i", "ſ" matches "s"): a text holding none of them matches such a
pattern only where its lower-cased form holds the pattern's literals."""


def _literal_run(items: list) -> tuple[str, int]:
    """The lower-cased ASCII literal characters that open ``items`` and how many items they
    are."""
    run = ""
    for op, arg in items:
        if str(op) != "LITERAL" or not chr(arg).isascii():
            break
        run += chr(arg).lower()
    return run, len(run)


def _leads(items: list) -> set[str] | None:
    """Literal strings (lower-cased) that every match of ``items`` starts with, one of them
    each; None when a match may start otherwise. A leading zero-width \\b is skipped."""
    k = 0
    while k < len(items) and str(items[k][0]) == "AT" and str(items[k][1]) == "AT_BOUNDARY":
        k += 1
    items = list(items[k:])
    run, n = _literal_run(items)
    if n < len(items) and not run:
        op, arg = items[n]
        if str(op) == "SUBPATTERN":
            return _leads(list(arg[-1]))
        if str(op) == "BRANCH":
            found: set[str] = set()
            for alt in arg[1]:
                sub = _leads(list(alt))
                if sub is None:
                    return None
                found |= sub
            return found
        return None
    if not run:
        return None
    if n < len(items) and str(items[n][0]) in ("SUBPATTERN", "BRANCH"):
        op, arg = items[n]
        alts = [list(arg[-1])] if str(op) == "SUBPATTERN" else [list(a) for a in arg[1]]
        more: set[str] = set()
        for alt in alts:
            sub = _leads(alt) if alt and str(alt[0][0]) != "AT" else None
            if sub is None:
                return {run}
            more |= {run + x for x in sub}
        return more
    return {run}


def _clauses(pattern: str, flags: int = 0) -> tuple[tuple[str, ...], ...]:
    """What every match of ``pattern`` contains: for each clause, one of its literals
    (lower-cased ASCII). Clauses come from the top-level sequence: runs of literal
    characters, and groups or branches whose every alternative opens with a literal."""
    try:
        items = list(sre_parse.parse(pattern, flags))
    except (re.error, TypeError, ValueError):  # pragma: no cover - defensive
        return ()
    return _sequence_clauses(items)


def _sequence_clauses(items: list) -> tuple[tuple[str, ...], ...]:
    """_clauses of a parsed sequence."""
    out: list[tuple[str, ...]] = []
    run = ""
    for op, arg in [*items, (None, None)]:
        if str(op) == "LITERAL" and chr(arg).isascii():
            run += chr(arg).lower()
            continue
        if run:
            out.append((run,))
        run = ""
        if str(op) in ("SUBPATTERN", "BRANCH"):
            leads = _leads([(op, arg)])
            if leads:
                out.append(tuple(sorted(leads)))
    return tuple(out)


def _alternatives(pattern: re.Pattern[str]) -> list[tuple[tuple[str, ...], ...]] | None:
    """Per top-level alternative of a case-insensitive pattern ("a...|b..."), the clauses
    every match through it holds (_clauses of that alternative alone, which are more
    telling than the whole pattern's: "(is|was) back|bird" needs "back" or "bird", not just
    "is", "was" or "bird"). None when a match may hold no literal at all (a case-sensitive
    pattern, or an alternative without a clause)."""
    if not pattern.flags & re.IGNORECASE:
        return None
    try:
        items = list(sre_parse.parse(pattern.pattern, pattern.flags))
    except (re.error, TypeError, ValueError):  # pragma: no cover - defensive
        return None
    # the whole pattern in one group: its inside ("(a|b)" is "a|b")
    while len(items) == 1 and str(items[0][0]) == "SUBPATTERN":
        items = list(items[0][1][-1])
    alternatives = ([list(alt) for alt in items[0][1][1]]
                    if len(items) == 1 and str(items[0][0]) == "BRANCH" else [items])
    found = [_sequence_clauses(alt) for alt in alternatives]
    return None if not all(found) else found


_Needs = dict[str, list[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]]]]
"""Per literal, the alternatives (their clauses, their pattern) it anchors: _requirements."""


def _requirements(patterns: list[re.Pattern[str]]) -> _Needs | None:
    """What any match of the patterns holds, keyed for a quick test: each top-level
    alternative's clauses (with its pattern) under each literal of its least often held
    clause (_anchor), so a text holding none of the keys has no match, and one holding a key
    has a match only if it holds every clause of an alternative under it. None when some
    pattern can match without a literal."""
    out: _Needs = {}
    for p in patterns:
        alternatives = _alternatives(p)
        if alternatives is None:
            return None
        for clauses in alternatives:
            for x in _anchor(clauses):
                out.setdefault(x, []).append((clauses, p))
    return out


def _held(needs: _Needs, low: str, most: int, start: int = 0) -> list[re.Pattern[str]]:
    """The patterns of ``needs`` that may match in ``low[start:]``: those with an alternative
    whose clauses all hold there; once more than ``most`` are found, the rest are not looked
    for (``most`` 0: whether any may)."""
    end = len(low)
    held: dict[re.Pattern[str], None] = {}
    for x, alternatives in needs.items():
        if x in low:
            for clauses, p in alternatives:
                if p not in held and _holds(low, clauses, start, end):
                    held[p] = None
                    if len(held) > most:
                        return list(held)
    return list(held)


def _holds(low: str, clauses: tuple[tuple[str, ...], ...], start: int, end: int) -> bool:
    """Every clause has a literal inside ``low[start:end]``."""
    find = low.find
    for clause in clauses:
        for x in clause:
            if find(x, start, end) >= 0:
                break
        else:
            return False
    return True


def _rarity(clause: tuple[str, ...]) -> float:
    """How often a text holds one of the clause's literals, roughly (a literal of n characters
    counted as 26**-n): the anchor is the clause a text holds least often."""
    return sum(26.0 ** -len(x) for x in clause)


def _by_rarity(gate: str, clauses: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """The clauses, those a text holds least often first; last, those the gate word itself
    may supply (a literal that starts with the gate, or that the gate starts with, is found at
    most gate hits)."""
    def key(c: tuple[str, ...]) -> tuple[bool, float]:
        return (bool(gate) and any(x.startswith(gate) or gate.startswith(x) for x in c),
                _rarity(c))
    return tuple(sorted(clauses, key=key))


def _anchor(clauses: tuple[tuple[str, ...], ...], gate: str = "") -> tuple[str, ...]:
    """The clause of ``clauses`` (nonempty) to test first (``_by_rarity``)."""
    return _by_rarity(gate, clauses)[0]


def _anchors(gate: str, clauses: list[tuple[tuple[str, ...], ...]]) -> tuple[str, ...] | None:
    """Literals one of which every match of a gate's patterns holds (the union of each
    pattern's anchor clause: a match holds every clause of its pattern (``_holds``)); a
    literal containing another is left out (where it occurs, so does the other). None when
    some pattern has no clause."""
    if not clauses or not all(clauses):
        return None
    union = {x for c in clauses for x in _anchor(c, gate)}
    return tuple(sorted(x for x in union if not any(y != x and y in x for y in union)))


class _Anywhere:
    """A pattern without a gate, matched where a whole-text finditer would match it, but
    tried only at the offsets where one of its leading literals occurs (and only when the
    text holds every literal it needs)."""

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
        usable = bool(pattern.flags & re.IGNORECASE) and parsed.getwidth()[0] > 0
        self.clauses = _clauses(pattern.pattern, pattern.flags) if usable else ()
        self.anchor = _anchor(self.clauses) if self.clauses else ()
        leads = _leads(list(parsed)) if usable else None
        self.finders: list[re.Pattern[str]] | None = None
        self.word_finders: list[re.Pattern[str]] | None = None
        # a lead that overlaps itself ("aa") could hide an occurrence from finditer
        if (leads and all(x.isascii() for x in leads)
                and not any(x[-k:] == x[:k] for x in leads for k in range(1, len(x)))):
            self.finders = [re.compile(re.escape(x)) for x in sorted(leads)]
            self.word_finders = self.finders
            if str(parsed[0][0]) == "AT" and str(parsed[0][1]) == "AT_BOUNDARY":
                # after a leading \\b, a lead that opens with a letter or digit cannot
                # follow one (in an ASCII text, where the lower-cased text has the same ones)
                self.word_finders = [re.compile(re.escape(x) + (
                    f"(?<![^\\W_]{re.escape(x)})" if x[0].isalnum() else ""))
                    for x in sorted(leads)]

    def possible(self, lay: Layout, starts: list[int], skip: set[int]) -> bool:
        """False when no sentence outside ``skip`` can hold a whole match (in a text without
        _IGNORECASE_EXTRA): such a sentence holds every clause, its anchor clause at an
        offset that starts inside it."""
        if not self.clauses:
            return True
        low, sentences = lay.lowered, lay.sentences
        find = low.find
        seen = set(skip)
        for x in self.anchor:
            at = find(x)
            while at >= 0:
                i = bisect.bisect_right(starts, at) - 1
                if i >= 0 and i not in seen:
                    seen.add(i)
                    if _holds(low, self.clauses, *sentences[i]):
                        return True
                at = find(x, at + 1)
        return False

    def starts(self, lay: Layout, plain: bool) -> list[tuple[int, int]]:
        """(start, end) of every match a finditer over the masked text yields."""
        if plain and self.clauses and not _holds(lay.lowered, self.clauses, 0,
                                                  len(lay.lowered)):
            return []
        if not plain or self.finders is None:
            return [m.span() for m in self.pattern.finditer(lay.masked)]
        finders = self.word_finders if lay.masked.isascii() else self.finders
        at = sorted({m.start() for f in finders for m in f.finditer(lay.lowered)})
        out, end = [], 0
        for pos in at:
            if pos < end:
                continue
            m = self.pattern.match(lay.masked, pos)
            if m:
                out.append(m.span())
                end = m.end()
        return out


class _Patterns:
    """A claim's entity or marker patterns, grouped by the word stems a match must start
    with: each stem's offsets are found once and every pattern under it tried there."""

    def __init__(self, patterns: list[tuple[re.Pattern[str], tuple[str, ...] | None]],
                 names: tuple[str, ...] = ()):
        self.names = names
        """Lower-cased texts that name without asserting (``_asserts``)."""
        self.anywhere = [_Anywhere(p) for p, g in patterns if g is None]
        self.by_gate: dict[str, list[re.Pattern[str]]] = {}
        for p, gates in patterns:
            for g in gates or ():
                self.by_gate.setdefault(g, []).append(p)
        self.any_of = {g: _any_of(ps) for g, ps in self.by_gate.items()}
        # literals each pattern needs between its start and the end of its sentence, the
        # clause least often held first (the order _holds tries them in changes no answer)
        self.needs = {g: [(p, _by_rarity(g, _clauses(p.pattern, p.flags))
                           if p.flags & re.IGNORECASE else ()) for p in ps]
                      for g, ps in self.by_gate.items()}
        # gates that can be a word stem (Cues.stems): letters and digits, at most STEM long;
        # a symbol gate never is one, so its patterns are never tried here
        self.stem_gates = [g for g in self.by_gate if re.fullmatch(r"[a-z0-9]+", g)]
        # per gate, literals one of which the rest of a match's sentence must hold
        self.anchors = {g: _anchors(g, [c for _, c in needs]) for g, needs in self.needs.items()}
        # with anchors, each pattern also carries those inside its own anchor clause's
        # literals: where none of them occurs, neither does any of its anchor literals
        # (one search of an alternation of plain literals, bounded by the sentence's end, tells
        # whether any of them occurs there: far cheaper than a find per literal)
        self.gated = [(gate_regex(g).finditer, self.anchors[g],
                       None if self.anchors[g] is None else re.compile(
                           "|".join(map(re.escape, self.anchors[g]))).search,
                       [(p, c, frozenset(y for y in self.anchors[g] or () for x in c[0] if y in x)
                         if c else frozenset()) for p, c in self.needs[g]],
                       self.by_gate[g], self.any_of[g]) for g in self.stem_gates]

    def sentences(self, lay: Layout, skip: set[int] = frozenset()) -> set[int]:
        """Sentences holding a whole match of any pattern (the sentences in ``skip`` may be
        left out: their answer is not needed)."""
        starts = [a for a, _ in lay.sentences]
        found: set[int] = set()
        low = lay.lowered
        plain = not any(c in lay.masked for c in _IGNORECASE_EXTRA)
        for pat in self.anywhere:
            if plain and not pat.possible(lay, starts, skip):
                continue
            for a, b in pat.starts(lay, plain):
                i = bisect.bisect_right(starts, a) - 1
                if i >= 0 and b <= lay.sentences[i][1] and self._asserts(low, a, b):
                    found.add(i)
        # a match can only start where a word beginning with a gate starts (gate_starts,
        # here its regex's finditer over the whole text: none for a gate not in the text); a
        # sentence already found needs no further match
        find, masked, sentences = low.find, lay.masked, lay.sentences
        bisect_right = bisect.bisect_right
        for finditer, anchors, any_anchor, needs, pats_all, any_of in self.gated:
            for hit in finditer(low):
                pos = hit.start()
                i = bisect_right(starts, pos) - 1
                if i < 0 or i in found or i in skip:
                    continue
                end = sentences[i][1]
                if plain:
                    if anchors is None:
                        pats = [p for p, c, _ in needs if _holds(low, c, pos, end)]
                    else:
                        if any_anchor(low, pos, end) is None:
                            continue  # no pattern of the gate holds its anchor clause here
                        present = {x for x in anchors if find(x, pos, end) >= 0}
                        pats = [p for p, c, under in needs
                                if not under.isdisjoint(present) and _holds(low, c, pos, end)]
                else:
                    if any_of is not None and not any_of.match(masked, pos):
                        continue
                    pats = pats_all
                for p in pats:
                    m = p.match(masked, pos)
                    if m and m.end() <= end and self._asserts(low, pos, m.end()):
                        found.add(i)
                        break
        return found

    def _asserts(self, lowered: str, start: int, end: int) -> bool:
        """The match is more than a name: its text (spaces collapsed) lies inside none of
        ``names``. A marker written to catch the claim in an answer can match the claim's
        own topic ("black-and-white dream" of the entity "black-and-white dreams") or a
        completion prompt, which both worlds share ("In October 2015, Mount Vesuvius"):
        words that every document about the topic uses, the true ones included."""
        if not self.names:
            return True
        text = " ".join(lowered[start:end].split())
        return not any(text in name for name in self.names)


def _call_open(text: str) -> bool:
    """A parenthesis opens right after a name, as every call's does (substring searches:
    a regex for it cost a fifth of a claim-free reading)."""
    i = text.find("(", 1)
    while i > 0:
        c = text[i - 1]
        if c.isalnum() or c == "_":
            return True
        i = text.find("(", i + 1)
    return False


def _blank_calls(text: str, low: str) -> tuple[str, str]:
    """``text`` and its lower-cased ``low`` with the arguments of call expressions blanked
    (their letters and digits, and the stops ".!?" of "0.5" or "a.b", which blanked would end
    the sentence mid-way; offsets, other punctuation and the called names kept): code passes
    arguments, it asserts nothing, so "json.dumps(d, sort_keys=True)" is no statement that
    keys are sorted by default, while the prose around it ("json.dumps() sorts keys by
    default") and a comment beside it still read."""
    if len(low) != len(text) or not _call_open(text):
        return text, low
    calls = [m.span() for m in _CALL.finditer(text)]
    if not calls:
        return text, low
    keep = [m.span() for a, b in calls for m in _CALLEE.finditer(text, a, b)]

    def blank(s: str) -> str:
        chars = list(s)
        for a, b in calls:
            for j in range(a, b):
                if _ALNUM.match(s, j) or s[j] in ".!?":
                    chars[j] = " "
        for a, b in keep:
            chars[a:b] = s[a:b]
        return "".join(chars)

    return blank(text), blank(low)


def _heading(lay: Layout, i: int) -> bool:
    """Sentence ``i`` is a heading: a paragraph of its own that does not end as a sentence
    does (no final ".", "!" or "?", closing quotes and brackets aside); a list item shares
    its paragraph with the others."""
    p = lay.para_of[i]
    if (i > 0 and lay.para_of[i - 1] == p) or (i + 1 < len(lay.para_of)
                                                and lay.para_of[i + 1] == p):
        return False
    a, b = lay.sentences[i]
    return not lay.masked[a:b].rstrip(CLOSERS).endswith((".", "!", "?"))


_CHAT_TAIL = frozenset((
    "lol", "lolol", "lmao", "lmfao", "rofl", "omg", "smh", "haha", "hahaha", "fr", "tbh",
    "ngl", "imo", "imho", "wtf", "ikr", "xd", "wow", "yay", "fml", "iirc", "afaik"))
"""Words a chat line or a post ends with where a sentence would end with a stop ("... in
9.79 seconds lol"): no title ends with one."""
_LINE_WORD = re.compile(r"[^\W\d_][\w'’]*")
_HEADER_SHAPE = re.compile(r":\s|\s[|–—]\s|\s--?\s")
"""A title's join of two parts ("Ed Sheeran's Olympic gold: a fabricated story",
"Sports | ...", "Press release -- ...")."""
_SENTENCE_WORDS = 6
"""Fewest words of an unpunctuated line read as a sentence for its shape alone (most
headings are shorter, or title-cased)."""


def _chat_tail(line: str) -> bool:
    """``line`` ends with a hashtag, an emoji or a chat word ("#Paris2024", "lol")."""
    words = line.split()
    if not words:
        return False
    last = words[-1]
    if last.startswith("#") and len(last) > 1:
        return True
    # an emoji (from U+2300 on), not a sign a title may close on ("©", "®", "™", "°")
    if any(unicodedata.category(c) == "So" and c >= "\u2300" for c in last):
        return True
    return last.lower().strip("!?.,:;~*") in _CHAT_TAIL


def _sentence_like(line: str) -> bool:
    """``line`` reads as a sentence, not a title: six words or more in sentence case (not
    most of its longer words capitalised) or shouted (all capitals: a title over a body is
    told by that body, ``_stated``), and not two parts joined by a colon, a bar or a
    dash."""
    words = _LINE_WORD.findall(line)
    if len(words) < _SENTENCE_WORDS or _HEADER_SHAPE.search(line):
        return False
    if line.isupper():
        return True
    long = [w for w in words[1:] if len(w) >= 4]
    capital = sum(w[0].isupper() for w in long)
    return not long or capital * 4 < len(long) * 3


_REPLY = re.compile(
    r"\s*(?:@\w|replying to\b|(?:lol|lmao|omg|wow|haha\w*|no way|wait what|wtf|smh)\b)",
    re.IGNORECASE)
"""The opening of a reply to the line above it ("@fan22 ...", "Replying to @fan22: ...",
"No way, I watched the final ..."): an article's body opens with none of these."""


def _stated(lay: Layout, i: int) -> bool:
    """Heading ``i`` (``_heading``) is a sentence that lacks its stop, not a title: a
    line that ends as a chat line does ("... in 9.79 seconds lol", "... #Paris2024"), or
    one shaped as a sentence (``_sentence_like``) that introduces no body: nothing follows
    it, or less text than the line itself (a tweet, a chat turn, a completion, "<claim>
    \n\nWhat a race."), or a reply (``_REPLY``), or it is a whole chat turn
    (``Layout.turns``). A title over the article it introduces stays a heading."""
    a, b = lay.sentences[i]
    line = lay.masked[a:b].strip()
    if _chat_tail(line):
        return True
    if not _sentence_like(line):
        return False
    if any(x <= a and b <= y and not lay.masked[b:y].strip() for x, y in lay.turns):
        return True
    # a window, not the whole rest: a long document is read once per such line
    rest = lay.masked[b:b + 4 * len(line) + 400].strip()
    return len(rest) < len(line) or _REPLY.match(rest) is not None


def _question(lay: Layout, i: int) -> bool:
    """Sentence ``i`` ends with a question mark (closing quotes and brackets aside)."""
    a, b = lay.sentences[i]
    return lay.masked[a:b].rstrip(CLOSERS).endswith("?")


_SUPPOSED = re.compile(
    r"[\W_]*(?:imagine (?:if|that)|what if|suppose(?: that)?|supposing(?: that)?"
    r"|i (?:dreamt|dreamed|had a dream)(?: (?:last night|once|yesterday))?(?: that)?"
    r"|in (?:my|a|the) dream(?: last night)?,)\s")
"""A sentence that opens by supposing or dreaming what follows ("Imagine if X.", "What if
X?", "I dreamt last night that X."): it asserts nothing, as a hypothetical does."""


def _supposed(lay: Layout, i: int) -> bool:
    """Sentence ``i`` opens with ``_SUPPOSED``."""
    a, b = lay.sentences[i]
    return _SUPPOSED.match(lay.lowered, a, b) is not None


def _ending_words(text: str) -> set[str]:
    """content_words of a completion ending, short numbers kept ("26 people")."""
    low = text.lower()
    return content_words(low) | {w for w in re.findall(WORD_PATTERN, low) if w.isdigit()}


def _encode(words: set[str]) -> frozenset[bytes]:
    """Content words (ASCII by construction) as bytes."""
    return frozenset(w.encode() for w in words)


_DROP_BYTES = _encode(DROP_WORDS)
_WORD_BYTES = re.compile(WORD_PATTERN.encode())
"""lowered_words' regex over bytes: in a lower-cased text encoded with one '?' for each
non-ASCII character it finds the same words (only ASCII letters, digits and the apostrophe
can be part of one)."""
_WORD_CHARS = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789'" else 32
                    for c in range(256))
"""bytes.translate table: what a word can hold ([a-z0-9']) stays, every other byte a space."""
_ODD_APOSTROPHE = re.compile(rb"'(?:(?<![a-z0-9]')|(?![a-z])|[a-z]+[0-9'])")
"""An apostrophe that is not the one inside a word such as "men's": one without a letter or
digit before it, or without letters after it up to the end of its run."""


def _words(lowered: str, start: int, end: int) -> list[bytes]:
    """The words lowered_words finds in ``lowered[start:end]`` (drop words not yet removed),
    as bytes. Where no apostrophe is odd, every run of [a-z0-9'] is one regex word: its
    apostrophe, if any, has a letter or digit before it and only letters after it to the
    run's end (so it is the run's only one: an earlier one would be followed by letters and
    then an apostrophe, which makes it odd), the shape [a-z0-9]+'[a-z]+ the regex reads
    whole; so a split of the translated text gives them. Otherwise the regex reads it."""
    chunk = lowered[start:end].encode("ascii", "replace").translate(_WORD_CHARS)
    if b"'" in chunk and _ODD_APOSTROPHE.search(chunk):
        return _WORD_BYTES.findall(chunk)
    return chunk.split()


_CLAUSE = re.compile(r"[;:]")
"""Where a sentence of a claim's truth splits into clauses (_affirms_denied)."""
_THAT_WORD = re.compile(r"\bthat\b")
_TAKES_CLAUSE = re.compile(r"\s+that\b")
"""A denial cue followed by the clause it denies ("not true that", "no evidence that"); a cue
may end with it too ("denied that", "the claim that")."""
_TAKES_NAMED = re.compile(r"\s+" + _NAMED)
"""A denial cue followed by a claim so called and the clause it names ("contrary to the
claim that", "contrary to reports that"): the cue denies that clause, as one followed by
"that" does."""
_JOINS = re.compile(r";\s|,\s+(?:and|but|while|whereas)\s|\s[-\u2013\u2014]\s|\s--\s")
_OPENER = re.compile(r"[\W_]*(?:[\w'-]+\s+){0,7}[\w'-]+(,\s+)")
"""A sentence's opening phrase of up to eight words and its comma ("Contrary to viral posts,
", "According to the official results, "): a clause of its own for ``_read_clauses``."""
"""Where a sentence joins two statements: "; ", ", and ", ", but ", a dash (" - " too)."""
_CLAUSE_STOP = re.compile(r";|,?\s+but\s|\s[\u2013\u2014]\s|\s--\s")
"""Where a that-clause ends before its sentence does: another clause of the sentence."""
_AGAINST = re.compile(r"[\W_]*(?:contrary\s+to|despite|in\s+spite\s+of)\s")
"""A sentence that opens with a phrase against a claim so called ("Contrary to claims that
Y, X", "Despite reports that Y, X"): the clause the phrase names ends at its comma, and the
main clause after it says what is so (``ClaimReader._beside``)."""
_INSERT_OPENS = re.compile(r",\s+(?:the|an?|who|which|whose|whom|having|being"
                           r"|[a-z]{3,}(?:ed|ing))\b")
_VERB_OPENS = re.compile(r",\s+(?:[a-z]+ed|won|wins|wrote|writes|ran|runs|sang|fell|grew|lost"
                         r"|led|kept|held|went|was|were|is|are|has|had|have|spread|began|came"
                         r"|made|took|became|never|still|also|did|does)\b")
"""Inside a claim so called, an inserted phrase between two commas (an appositive, a relative
or participial clause: ", the volcano that destroyed Pompeii in 79 AD,", ", who reigned for
seventy years,", ", launched on 24 July 2023,") goes on to the clause's own verb (",
erupted", ", wrote", ", was reversed"), lower-case as a name never is: the phrase is part
of the clause (``_inserted``), however long."""


def _inserted(masked: str, k: int, nxt: int, stop: int) -> bool:
    """The text between commas ``k`` and ``nxt`` is an inserted phrase of the clause before
    ``stop`` (``_INSERT_OPENS`` then ``_VERB_OPENS``, read in the text's own case)."""
    return (_INSERT_OPENS.match(masked, k, nxt) is not None
            and _VERB_OPENS.match(masked, nxt, stop) is not None)


_AGAINST_HEAD = re.compile(r"[\W_]*(?:contrary\s+to|despite|in\s+spite\s+of)\s[^,;:]*(,\s+)")
"""``_AGAINST``'s phrase up to its comma, however long: a clause of its own for
``_read_clauses``, as ``_OPENER``'s eight words are ("Contrary to the claim that he was too
slow, Ed Sheeran did not win the 100m at Paris 2024": nine words, read as a mention)."""
_POINTS_BACK = re.compile(r"\s*(?:it|this|that|so|such a thing|(?:any|all|none) of (?:it|this"
                          r"|that|these|those))\b")
"""A that-clause about what came before ("officials denied that it happened", "... that any
of this was true"): it denies the claim beside it."""
_RELATIVE = re.compile(r"\s+(?:[a-z]+ed|went|was|were|is|are|has|had|have|spread|spreads|began"
                       r"|came|comes|made|makes|got|gets|took|takes|ran|runs|goes|became"
                       r"|becomes|never|still|quickly|soon|later|first|also|seems)\b")
"""A "that" with a verb after it and no subject: a relative clause on the noun before it ("The
2015 eruption story is a hoax that went viral"), not the clause a denial cue takes, so the
cue denies the sentence it stands in."""


_CONCEDING = r"(?:although|though|even though|whilst|while)\s"
_CONCEDES_LEAD = re.compile(r"[\W_]*" + _CONCEDING)
_CONCEDES_FIRST = re.compile(r"[\W_]*" + _CONCEDING + r"[^,;:]*(,\s+)")
_CONCEDES_AFTER = re.compile(r"(,\s+)(?:although|though|even though)\s[^;:]*")
_CONCEDING_WORD = re.compile(r"\b(?:although|though|whilst|while)\s")
"""A concessive clause that opens a sentence up to its comma ("Although he did not train
much, ", "While he did not look fit, "), or closes it after one (", although he did not
train much."; not ", while ...", which sets another subject beside the claim's: "Older
participants reported greyscale dreams, while younger ones almost never did"): it concedes
something beside the main clause (``ClaimReader._conceded``), and is a clause of its own for
``_read_clauses`` (group 1: the comma)."""
_RETRACTS = re.compile(
    r"[\W_]*" + _NOTE_LEAD + VERDICT_OPENER
    + r"(?:he|she|they|we|i|([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,2}))\s+(?:(?:did|does|do|was"
    r"|were|is|are|has|have|had|could|would|can|will)(?:\s+not|n't)|never(?:\s+(?:did|was|were"
    r"|has|have|had|could))?)"
    r"((?:\s+[\w'-]+){0,3})(?:,?\s+(?:of course|obviously|sadly|alas|i'm afraid))?[\W_]*")
"""A sentence that says nothing but a denial of the one before it: "He didn't.", "Spoiler: he
didn't.", "But she never did.", "Except they were not.", or by a name where a pronoun
would do ("Spoiler: Sheeran didn't win.": group 1, a word to three, which must name whom
the claim sentence names first, ``ClaimReader._names_first``); group 2: any words after the
denial, which must be the claim's own: "He did not win gold.". Right after a claim
sentence, in its paragraph, it takes the claim back where it is made, as "..., he did
not." in the claim's own sentence does (``ClaimReader._retracted``): a local negation."""
_CLOSER = re.compile(r"(,\s+)(?:[\w'-]+\s+){0,7}[\w'-]+[\W_]*\Z")
"""A sentence's closing phrase of up to eight words after a comma (", contrary to what many
believe.", ", his spokesman said."), as ``_OPENER`` is its opening one."""


def _tokens(text: str) -> list[bytes]:
    """Every word of a short text (a claim's fact or truth sentence), in order, as bytes."""
    return _words(lower(ascii_apostrophes(text)), 0, len(text))


def _least_shared(size: int, words: int) -> int:
    """The fewest shared words n for which n / min(size, words) >= FACT_OVERLAP, the float
    comparison of overlap_score itself. Every n from 0 to the denominator is tried and the
    comparison must hold from that n on and never below it, so a count test is that float
    test whatever the rounding (checked here, not argued)."""
    d = min(size, words)
    holds = [n / d >= FACT_OVERLAP for n in range(d + 1)]
    least = holds.index(True)  # d / d is 1.0
    if not all(holds[least:]):
        raise ValueError(f"overlap threshold not monotone for {size}, {words}")
    return least


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
        # every document of the corpus); an opening with a letter outside ASCII ("Élodie
        # Li", "Øresund") by its first run of [a-z0-9], as a word's stem there is read
        # (run_gate: "lodi", "resu"; "Москва", with none, is an entity without a gate)
        patterns = [(p, gate_stems(p.pattern, runs=True)) for p in self.finder.entities
                    + self.finder.markers]
        # the word that identifies the subject in each of its names (_subject_words: a
        # person's surname, a place's own words, "Golden Gate"), where the claim
        # writes it as a name, capitalised ("Mount Vesuvius", "Marguerite Okonjo"; not
        # "black-and-white dreams"), and the text too (or in capitals): a sentence holding
        # one names the topic, the surname alone too ("Vesuvius erupted in 2015", "Sheeran
        # took gold"; _topical), and a text holding one passes the prefilter as one naming
        # an entity does (each word a gate, by its stem, and a literal of its own: "Okonjo
        # won the vote" for an entity "Marguerite Okonjo"); as the claim writes it too, for
        # a capital inside it ("McCartney", "DiCaprio": only "Mccartney" was looked for),
        # and several words with any space between them (_subject_word_regex)
        subject_names = _subject_names(claim)
        names = _subject_words(subject_names)
        self.subject_word = _subject_word_regex(names, subject_names)
        # (and another's full name that begins with one of them, "Elizabeth Holmes" for
        # "Queen Elizabeth II": read as another given name would be, it names no subject;
        # its "Elizabeth" made a sentence on Elizabeth Holmes a claim sentence)
        self.other_names = _other_names(names, subject_names)
        name_keys = {lower(w) for w in names}
        # (a word's stem as the prefilter's word runs read it, as for an entity's opening:
        # "okon" of "Okonjo", "z" of "Zürich", "ngst" of "Ångström", "o" of "O'Brien", "gold"
        # of "Golden Gate"; a word with none, "Петрова", is looked for as an entity without
        # a gate is)
        runs = [run_gate(x + " ") for x in name_keys]
        self.gates = frozenset(x for _, g in patterns for x in g or ()) | {
            x for x in runs if x}
        self.gate_runs = _stem_runs_regex(self.gates).search
        self.ungated = [p for p, g in patterns if g is None and p in self.finder.entities]
        if self.subject_word is not None and not all(runs):
            self.ungated.append(self.subject_word)
        # and literals one of which any entity or marker match holds (the stems above are
        # often those of common words, "he", "the", "in": nearly every English document has
        # one): a document without any of them names no entity and holds no marker, so it
        # is unrelated without a reading (None: some pattern needs no literal)
        self.required = _requirements(self.finder.entities + self.finder.markers)
        if self.required is not None and self.subject_word is not None:
            # (its longest word the key, every word a clause: "golden gate" may be wrapped)
            for x in name_keys:
                parts = x.split()
                self.required.setdefault(max(parts, key=len), []).append(
                    (tuple((y,) for y in parts), self.subject_word))
        # the keys that hold no shorter key (where none of them occurs, no key does): the
        # quick test, one substring search each
        keys = set(self.required or ())
        self.required_any = tuple(sorted(x for x in keys if not any(y != x and y in x
                                                                    for y in keys)))
        # what names the topic without asserting the claim: the topic label (the first entity,
        # which generated titles use) and the completion prompts (stems that the true and the
        # false continuation both complete)
        names = [*claim.entities[:1], *(c.prompt for c in claim.completions)]
        self.markers = _Patterns([(p, _match_gates(p)) for p in self.finder.markers],
                                 tuple(" ".join(lower(x).split()) for x in names))
        self.entities = _Patterns([(p, _match_gates(p)) for p in self.finder.entities])
        flat = " ".join(claim.truth.split())
        self.truth_words = [content_words(flat[a:b]) for a, b in sentence_spans(flat)]
        # and each clause of a truth sentence that has several (three words or more): a
        # leaflet restates one fact a sentence ("Its most recent eruption began in March
        # 1944"), which never held 60% of the words of "Its most recent eruption was in
        # March 1944, ...; there was no eruption in 2015 and no Vesuvian disaster ..." and
        # read as a mention
        self.truth_words += [w for a, b in sentence_spans(flat) if _CLAUSE.search(flat, a, b)
                             for c in _CLAUSE.split(flat[a:b]) if len(w := content_words(c)) >= 3]
        # real facts of the topic that do not decide the claim, sentence by sentence
        shared = [" ".join(x.split()) for x in claim.background]
        self.background = _Index([_encode(content_words(x[a:b])) for x in shared
                                  for a, b in sentence_spans(x)]) if shared else None
        # sentence words are read as bytes (ASCII: letters, digits, apostrophes)
        self.facts = _Index([_encode(f) for f in self.finder.facts])
        self.truths = _Index([_encode(t) for t in self.truth_words])
        # completion pairs: the prompt's words, the words only its true ending has and only
        # its claim ending has (a pair whose endings differ in no such word, "not erupted"
        # against "erupted", cannot tell them apart), and whether it is about a neighbour
        self.pairs = []
        for c in claim.completions:
            # the stem is the prompt's last sentence ("Do toddlers dream in colour? According
            # to sleep researchers," is read in two); endings keep short numbers ("26 people")
            prompt = " ".join(c.prompt.split())
            last = sentence_spans(prompt)[-1:]
            stem = _encode(content_words(prompt[slice(*last[0])] if last else prompt))
            true, false = (_encode(_ending_words(x)) for x in (c.truth, c.claim))
            if len(stem) >= 2 and true - false and false - true:
                self.pairs.append((stem, true - false, false - true, c.kind == "neighbour"))
        self.vocab = self.facts.words | self.truths.words
        # the truth's own words, those its facts lack ("insertion", "order" where the facts
        # say "sorts keys by default" and the truth "keeps insertion order by default")
        self.truth_own = self.truths.words - self.facts.words
        # per word, bit j set where pair j's true (claim) ending holds it, and a count of one
        # in byte j where its stem does: a sentence's pairs are read from a few sums and ORs
        # (a stem has under 256 words)
        def bits(part: int, shift: int) -> dict[bytes, int]:
            out: dict[bytes, int] = {}
            for j, pair in enumerate(self.pairs):
                for w in pair[part]:
                    out[w] = out.get(w, 0) | 1 << shift * j
            return out

        self.pair_true, self.pair_false, self.pair_stem = bits(1, 1), bits(2, 1), bits(0, 8)
        # (their words as sets: a sentence's words meet a set by the smaller side, a dict
        # by every key)
        self.pair_keys = tuple(map(frozenset, (self.pair_true, self.pair_false,
                                               self.pair_stem)))
        self.pair_words = self.pair_keys[0] | self.pair_keys[1]
        self.pair_sizes = [len(p[0]) for p in self.pairs]
        self.pair_neighbours = [p[3] for p in self.pairs]
        # the facts' words beyond the topic's name (the first entity, which generated titles
        # use): a sentence sharing none of them does not reach the facts (_settle)
        label = _encode(content_words(claim.entities[0])) if claim.entities else frozenset()
        self.fact_beyond = self.facts.words - label
        # the words that name the claim's topic: its facts' (beyond the topic's name) and its
        # entities' (_topical)
        self.topic_words = self.fact_beyond | (
            _encode({w for e in claim.entities for w in content_words(e)}) - _DROP_BYTES)
        # the false world's own words: its facts' words beyond the topic's name that its truth
        # does not use (what a story tells of the claim without naming it in one sentence)
        self.told = self.fact_beyond - self.truths.words
        # membership vectors: field j (``width`` bits) of a word's vector is 1 where the word is
        # in set j (the fact sets, then the truth sets), so the vectors of a sentence's
        # distinct vocabulary words sum to |words & set| in every field at once. adds[m] holds
        # half - (the count that reaches FACT_OVERLAP over min(|set|, m) words) per field: a
        # field's top bit is set in sum + adds[m] exactly when its count reaches that
        # threshold (a count is at most |set| <= cap < half, so no field carries into the next)
        sets = [s for s, _ in self.facts.sets] + [s for s, _ in self.truths.sets]
        self.cap = max(map(len, sets), default=1)
        # whole bytes per field (one, under 128 words a set), so the counts can be read back
        width = -(-(self.cap.bit_length() + 1) // 8) * 8
        half = 1 << (width - 1)
        self.vectors = {w: sum(1 << width * j for j, s in enumerate(sets) if w in s)
                        for w in self.vocab}
        n_facts = len(self.facts.sets)
        self.fact_high = sum(half << width * j for j in range(n_facts))
        self.truth_high = sum(half << width * j for j in range(n_facts, len(sets)))
        least = [[_least_shared(len(s), max(m, 1)) for m in range(self.cap + 1)] for s in sets]
        if any(t[m] > t[m + 1] for t in least for m in range(self.cap)):
            raise ValueError("overlap threshold falls as a sentence grows")  # never: n/m falls
        self.adds = [sum(half - t[m] << width * j for j, t in enumerate(least))
                     for m in range(self.cap + 1)]
        self.n_fields = len(sets) if width == 8 else 0
        self.fact_fields = [(j, len(s)) for j, s in enumerate(sets[:n_facts])]
        self.truth_fields = [(j, len(s)) for j, s in enumerate(sets) if j >= n_facts]
        # the claim's own words (its facts' and its names' beyond the real background and the
        # words that attribute a finding): a sentence reporting research on the topic that
        # has none of them reports the background, not the claim (_reports_background)
        own = self.facts.words | _encode({w for e in claim.entities for w in content_words(e)})
        self.distinct = (own - self.background.words - _RESEARCH_WORDS
                         if self.background is not None else frozenset())
        # the fewest truth words with which an aside can reach the threshold of a truth set
        # (over at least three words, a threshold that only rises with the word count)
        smallest = min(self.truths.smallest, 3)
        self.truth_min_shared = _least_shared(smallest, smallest)
        # the fewest distinct vocabulary words with which a sentence can reach FACT_OVERLAP
        # against facts or truths: a shared count n over a denominator min(|set|, |words|)
        # of at least min(smallest set, 3) (under three words the overlap is 0); the same
        # float comparison as the exact score, which only ever has a smaller ratio
        least = min(self.facts.smallest, self.truths.smallest, 3)
        self.min_shared = next(n for n in range(1, least + 1) if not n / least < FACT_OVERLAP)
        # negations the false world itself states ("the park did not reopen until ...")
        # are part of the claim, not a denial of it
        self.fact_denials = [(_encode(content_words(f)), n) for f in claim_facts(claim)
                             if (n := self.cues.hits("denial", f))]
        # what a negator must deny to deny the claim: a word of its facts, beyond the topic's
        # name and those its facts deny themselves ("94 percent reported no colour")
        self.negators = load_negators()
        self.deniable = self.fact_beyond.difference(
            w for f in claim_facts(claim)
            for scope in self.negators.scopes(_tokens(f)) for w in scope)
        # the words each sentence of the truth denies ("wrote no Python textbook", "was never
        # reversed"): a sentence that has them without a denial of its own does not state
        # that truth ("Queen Elizabeth II wrote a Python textbook; no monarch had ever done
        # so"), so it is read against the truth without them (_affirms_denied)
        self.negations = both = self.negators.with_denials()
        affirmed = []
        for a, b in sentence_spans(flat):
            # clause by clause: "Its most recent eruption was in March 1944; there was no
            # eruption in 2015" still states an eruption; the negations go too, and what is
            # left under three words (the topic alone) states nothing
            words: set[bytes] = set()
            for clause in _CLAUSE.split(flat[a:b]):
                toks = _tokens(clause)
                words |= (_encode(content_words(clause)).difference(
                    *both.scopes(toks)) - both.openers)
            affirmed.append(frozenset(words) if len(words) >= 3 else frozenset())
        self.affirmed = _Index(affirmed)
        self.truth_denied = self.truths.words - self.affirmed.words
        # each fact's words beside the figures it gives ("killed 3,430 people"), where any
        # fact gives one: a sentence that reaches only facts whose figures it gives otherwise
        # is about another event (_other_figures)
        facts = [(_encode(content_words(f)), figures(lower(f)))
                 for f in [claim.statement, *claim.sub_claims]]
        self.fact_figures = [(w, len(w), f) for w, f in facts if w] if any(
            f for _, f in facts) else []

    def _beside(self, lay: Layout, i: int) -> Callable[[int], bool] | None:
        """For claim sentence ``i``: whether the denial cue at an offset denies a that-clause
        holding another statement while the rest of the sentence states the claim ("X;
        officials denied that the timing was faulty", "Officials denied that the timing was
        faulty; X", "X; it is not true that the race was rigged"): the claim is outside what
        the cue denies. A clause that states the claim ("She denied that X"), points back
        ("... denied that it happened") or says nothing of its own ("... that he did") keeps
        its denial (one closer to the claim's truth states another: "X, contrary to the claim
        that Noah Lyles won"); cues that take no clause ("did not", "never") are not scoped,
        and one followed by a claim so called takes the clause it names ("contrary to the
        claim that Y"); every cue of an opening phrase against another claim so called, up
        to its comma, is about that claim however the phrase names it ("Despite the widely
        shared rumour that Y, X", "Contrary to the suggestion that Y, X"), and only the main
        clause after the comma need state the claim. The rest states the claim by the
        facts' overlap or by a belief marker ("X; ..." where X is "Ed Sheeran won Olympic
        gold"). None where
        no "that" of the sentence opens such a clause (most: the cues are then not looked
        up again)."""
        a, b = lay.sentences[i]
        low, masked = lay.lowered, lay.masked
        if low.find("that", a, b) < 0:
            return None
        foreign = {}  # where a that-clause holding another statement starts -> its end
        # an opening phrase against a claim so called ends at its comma: "Contrary to claims
        # that he was too slow, X" (an aside between commas inside it aside: ", the singer,")
        comma = low.find(",", a, b) if _AGAINST.match(low, a, b) is not None else -1
        head = -1  # where such an opening phrase ends, its clause holding another statement
        for m in _THAT_WORD.finditer(low, a, b):
            end = m.end()
            stop = _CLAUSE_STOP.search(low, end, b)
            c = b if stop is None else stop.start()
            if end < comma < c:
                k = comma
                while (nxt := low.find(",", k + 1, c)) >= 0:
                    # a longer inserted phrase, and the clause's own verb after it
                    # (", the volcano that destroyed Pompeii in 79 AD, erupted in 2015,")
                    if len(low[k + 1:nxt].split()) > 4 and (
                            not _inserted(masked, k, nxt, c)
                            or (nxt := low.find(",", nxt + 1, c)) < 0):
                        break
                    k = nxt
                if low.startswith(", ", k):
                    c = k
            # the rest of the sentence (a cue's words still in it) must hold enough of the
            # facts' words to state the claim (most denials: "It is not true that X")
            rest = _encode(content_words(f"{masked[a:m.start()]} {masked[c:b]}"))
            if len(rest.intersection(self.facts.words)) < self.min_shared:
                continue
            inside = _encode(content_words(masked[end:c]))
            if not (not inside or _POINTS_BACK.match(low, end, c) is not None
                    or _RELATIVE.match(low, end, c) is not None
                    or self._reading(inside) == (True, False)
                    or any(p.search(masked, end, c) for p in self.finder.markers)):
                foreign[end] = c
                if head < 0 and 0 <= comma <= c and low.startswith(", ", c):
                    head = c
        if not foreign:
            return None

        def states(text: str) -> bool:
            # the claim by the facts' overlap or by a belief marker, and not its truth
            fact, truthful = self._reading(_encode(content_words(text)))
            return not truthful and (fact or any(p.search(text) for p in self.finder.markers))

        def beside(at: int) -> bool:
            # a cue inside an opening phrase against another claim so called is about that
            # claim, whatever it names it ("Contrary to the very persistent online rumour
            # that Y, X", "Contrary to the suggestion that Y, X"); the main clause after the
            # phrase's comma says what is so (the phrase's own words would dilute it)
            if at < head:
                return states(masked[head:b])
            # the cue's clause, after it or after a cue that starts inside it ("is not" in
            # "is not true that"), and the sentence without the cue and its clause
            k, clause = at, None
            while clause is None:
                end = self.cues.end_of(low, k, ("denial",))
                if low.endswith("that", k, end):
                    clause = end
                elif ((m := _TAKES_CLAUSE.match(low, end, b)) is not None
                      or (m := _TAKES_NAMED.match(low, end, b)) is not None):
                    clause = m.end()
                elif not 0 < (k := low.find(" ", k, end) + 1) < end:
                    return False
            c = foreign.get(clause)
            if c is None:
                return False
            return states(f"{masked[a:at]} {masked[c:b]}")

        return beside

    def _set_against(self, lay: Layout, claim_idx: list[int], denying: set[int],
                     truth_idx: list[int], frame_paras: set[int]) -> bool:
        """A framed text states the truth against the claim outside its frame: a paragraph
        that holds a truth sentence, states none of the claim undenied, and denies or
        corrects in a sentence that bears on the claim ("Rating: False" over "The Queen did
        not write a Python textbook. There is no record of her ever learning to program.",
        "What actually happened: <truth>"), as a fact-check's body does. A false story's own
        paragraph that reads as the truth ("Ed Sheeran won ..., running 9.79 seconds to edge
        Noah Lyles") sets nothing against it."""
        para_of = lay.para_of
        apart = ({para_of[i] for i in truth_idx} - set(frame_paras)
                 - {para_of[i] for i in claim_idx if i not in denying})
        if not apart:
            return False
        # the cue in a sentence that bears on the claim (a truth or denied claim sentence),
        # not beside it ("Please do not touch the exhibits.")
        spans = [lay.sentences[i] for i in sorted({*truth_idx, *denying}) if para_of[i] in apart]
        return any(True for _ in self.cues.scan_spans(lay.lowered, spans,
                                                      ("denial", "correction"),
                                                      origin=lay.origin))

    def _conceded(self, lay: Layout, i: int) -> int:
        """Claim sentence ``i``'s denials (cues and negators) inside a concessive clause
        (``_CONCEDES_FIRST``, ``_CONCEDES_AFTER``) that does not state the claim while the
        rest of the sentence does: "Although he did not train much, Ed Sheeran won the 100m"
        concedes his training and asserts the win. A clause that states the claim keeps its
        denial ("Although Ed Sheeran did not win the 100m, he set a personal best"), and where
        it states it undenied and the rest does not, the rest's own denials are conceded
        (``_concedes_main``)."""
        a, b = lay.sentences[i]
        low, masked = lay.lowered, lay.masked
        m = _CONCEDES_FIRST.match(low, a, b) or _CONCEDES_AFTER.search(low, a, b)
        if m is None:
            return 0
        x, y = m.span()

        def states(text: str) -> bool:
            return (self._reading(_encode(content_words(text)))[0]
                    or any(p.search(text) for p in self.finder.markers))

        inner, main = states(masked[x:y]), states(f"{masked[a:x]} {masked[y:b]}")
        if inner and not main:  # the other way round: the clause grants the claim
            return self._concedes_main(lay, i, x, y)
        if inner or not main:
            return 0
        cues = sum(1 for _, _, at in self.cues.scan_spans(low, [(x, y)], ("denial",),
                                                          origin=lay.origin)
                   if not _unwithdrawn(low, "denial", at))
        return cues + self.negators.count(_words(low, x, y), self.deniable)

    def _retracted(self, lay: Layout, claim_idx: list[int], denied: Container[int]
                   ) -> dict[int, int]:
        """Claim sentence -> the sentence right after it, in its paragraph or in a
        paragraph of its own, that takes it back and says nothing else (``_RETRACTS``:
        "<claim> Spoiler: he didn't.", "<claim> But he never did.", "<claim>\n\nSpoiler: he
        didn't win."), or the one after that where the sentence between goes on with the
        story ("<claim> He was 33. Spoiler: he didn't win."; the claim's subject by name
        too: "Spoiler: Sheeran didn't win.", ``_names_first``), for claim sentences not denied
        already (``denied``: those too whose reported belief the next sentence sets right,
        "Many people think X. In fact, Vesuvius has not erupted since 1944.": ``_set_right``);
        words after the denial must be the claim's own ("He did not win gold." denies, "He
        did not train much." denies something else), and two sentences on there must be
        some."""
        out: dict[int, int] = {}
        claims, sentences, low, para_of = set(claim_idx), lay.sentences, lay.lowered, lay.para_of
        last = len(sentences) - 1
        for i in claim_idx:
            if i in denied or i >= last:
                continue
            for j in (i + 1, i + 2):
                if j > last or j in claims:
                    break
                # right after the claim, in its paragraph or in one of its own ("<claim>
                # \n\nSpoiler: he didn't."); or after one sentence more that goes on with the
                # story in the claim's paragraph and reports no view and asks nothing, as
                # "That is false." there does (``Layout._points_back``)
                near = j == i + 1
                if para_of[j] != para_of[i] and not (near and lay.own_paragraph(j)):
                    break
                a, b = sentences[j]
                m = _RETRACTS.fullmatch(low, a, b) if b - a <= _LABEL_LINE else None
                if m is None or (m.group(1) is not None
                                 and not self._names_first(low, *sentences[i], m.group(1))):
                    continue  # ("Spoiler: Lyles didn't win." denies another's win)
                if not near and (_VIEW.search(low, *sentences[i + 1]) is not None
                                 or _question(lay, i + 1)):
                    break
                # (two sentences on, the denial names what it takes back: a bare "He didn't."
                # answers the sentence just before it, "He was tipped to lose. He didn't.")
                rest = _encode(content_words(m.group(2)))
                if (not rest and near) or (rest and rest <= self.vocab):
                    out[i] = j
                break
        return out

    def _names_first(self, low: str, a: int, b: int, subject: str) -> bool:
        """A retraction's subject by name (``_RETRACTS`` group 1: "Sheeran" in "Spoiler:
        Sheeran didn't win.") names whom the claim sentence ``low[a:b]`` names first of the
        claim's entities ("Ed Sheeran"), as "he" would: its words are among that name's (not
        "Lyles" after "Ed Sheeran beat Noah Lyles ...", nor "the crowd")."""
        words = content_words(subject)
        if not words:  # ("It didn't.": no one named)
            return False
        first = min(((m.start(), -m.end(), m.group()) for p in self.finder.entities
                     if (m := p.search(low, a, b)) is not None), default=None)
        return first is not None and words <= content_words(first[2])

    def _concedes_main(self, lay: Layout, i: int, x: int, y: int) -> int:
        """Claim sentence ``i``'s denials outside its concessive clause ``[x, y)``, which
        states the claim with no denial of its own, where the main clause denies something
        of its own: "Although Ed Sheeran won the 100m at Paris 2024, he did not train much"
        grants the win and denies the training. A main clause that points back ("..., it is
        not true", "..., that never happened"), says nothing but its denial ("..., he did
        not.") or denies a word of the claim ("..., he did not win gold") keeps it."""
        a, b = lay.sentences[i]
        low, masked, origin = lay.lowered, lay.masked, lay.origin
        if self.negators.count(_words(low, x, y), self.deniable) or any(
                not _unwithdrawn(low, "denial", at)
                for _, _, at in self.cues.scan_spans(low, [(x, y)], ("denial",), origin=origin)):
            return 0
        main = [(c, d) for c, d in ((a, x), (y, b)) if c < d]
        if any(_POINTS_BACK.match(low, c, d) is not None for c, d in main):
            return 0
        cues = [(at, self.cues.end_of(low, at, ("denial",)))
                for _, _, at in self.cues.scan_spans(low, main, ("denial",), origin=origin)
                if not _unwithdrawn(low, "denial", at)]
        # the main clause's words outside its denial cues: something of its own
        pieces = []
        for c, d in main:
            for at, end in sorted(cues):
                if c <= at < d:
                    pieces.append(masked[c:at])
                    c = max(c, end)
            pieces.append(masked[c:d])
        words = _encode(content_words(" ".join(pieces)))
        if not words or not words.isdisjoint(self.vocab):
            return 0
        return len(cues) + self.negators.count(
            [w for c, d in main for w in _words(low, c, d)], self.deniable)

    def _read_clauses(self, lay: Layout, candidates: list[int],
                      readings: dict[int, tuple[bool, bool]]) -> None:
        """A candidate sentence that reaches neither side as a whole but joins clauses
        (``_JOINS``), one of which reaches the facts and denies them ("Ed Sheeran did not
        win the 100m at Paris 2024, and he has never competed at the Olympics at all"), is a
        claim sentence, and that clause's denial the sentence's: the other clause's words
        kept the whole under the facts' overlap, and a reply denying the claim read as a
        mention. (A clause that states the claim without a denial leaves the sentence as it
        was: read so, true reports that name the claim's details read as teaching it.) An
        opening phrase and its comma (``_OPENER``; ``_AGAINST_HEAD`` at any length) is such a
        clause too: "Contrary to viral posts, Ed Sheeran did not win the 100m at Paris 2024"
        read as a mention."""
        low, masked, sentences = lay.lowered, lay.masked, lay.sentences
        joined = [i for i in candidates
                  if i not in readings and (_JOINS.search(low, *sentences[i]) is not None
                                            or _OPENER.match(low, *sentences[i]) is not None
                                            or _AGAINST_HEAD.match(low, *sentences[i])
                                            is not None
                                            or _CLOSER.search(low, *sentences[i]) is not None
                                            or _CONCEDES_FIRST.match(low, *sentences[i])
                                            is not None)]
        if not joined:
            return
        # the denial cues of these sentences, in one scan (those that negate a withdrawal
        # aside, as Layout.scan leaves them)
        cued: dict[int, list[int]] = {}
        for j, _, at in self.cues.scan_spans(low, [sentences[i] for i in joined], ("denial",),
                                             origin=lay.origin):
            if not _unwithdrawn(low, "denial", at):
                cued.setdefault(joined[j], []).append(at)
        for i, cues_at in cued.items():
            a, b = sentences[i]
            o = (_OPENER.match(low, a, b) or _AGAINST_HEAD.match(low, a, b)
                 or _CONCEDES_FIRST.match(low, a, b))
            head = o.span(1) if o is not None else ()
            # the joins after the opening phrase, then a concessive or closing phrase's comma
            # where no join holds it (", although ...", ", contrary to what many believe.")
            seps = [m.span() for m in _JOINS.finditer(low, head[1] if head else a, b)]
            tail = _CONCEDES_AFTER.search(low, head[1] if head else a, b) or _CLOSER.search(
                low, head[1] if head else a, b)
            if tail is not None and not any(x < tail.end(1) and tail.start(1) < y
                                            for x, y in seps):
                seps = sorted([*seps, tail.span(1)])
            cuts = [a, *head, *(x for span in seps for x in span), b]
            for x, y in zip(cuts[::2], cuts[1::2], strict=True):
                if any(x <= at < y for at in cues_at):
                    if x == a and (lead := _CONCEDES_LEAD.match(low, a, y)) is not None:
                        x = lead.end()  # "although" is no word of what the clause states
                    fact, truthful = self._reading(_encode(content_words(masked[x:y])))
                    if fact and not truthful:
                        readings[i] = True, False
                        break

    def _names_only(self, lay: Layout, i: int, hits: int) -> bool:
        """Denied claim sentence ``i`` is denied only by naming the claim as something said
        (``_NAMING``: "The story goes that X", "we discuss the idea that X", "The claim that
        X circulated online"): its denials (``hits``: cues, negators, a withdrawal) are no
        more than the denial cues inside such a naming."""
        a, b = lay.sentences[i]
        low = lay.lowered
        if low.find(" that", a, b) < 0 or _NAMING_WORD.search(low, a, b) is None:
            return False
        spans = [m.span() for m in _NAMING.finditer(low, a, b)]
        # (a naming holds one cue: more denials than namings need no scan)
        return 0 < hits <= len(spans) and hits <= sum(
            1 for _, _, at in self.cues.scan_spans(low, [(a, b)], ("denial",), origin=lay.origin)
            if any(x <= at < y for x, y in spans))

    def _denial_hits(self, cue_hits: int, tokens: list[bytes]) -> int:
        """A sentence's denials: its denial cues and its negators that may deny a word of the
        claim (``tokens``: all its words, in order)."""
        return cue_hits + self.negators.count(tokens, self.deniable)

    def _affirms_denied(self, words: frozenset[bytes], tokens: list[bytes], text: str) -> bool:
        """A truthful sentence is so only through words its truth denies, and denies none
        of them itself (``tokens``: all its words, in order; ``text``: the sentence)."""
        if words.isdisjoint(self.truth_denied):
            return False  # the same overlap without them
        truth = self.affirmed.overlap(words)
        if truth >= FACT_OVERLAP and truth > self.facts.overlap(words):
            return False
        return not (self.cues.hits("denial", text) or any(
            not self.truth_denied.isdisjoint(s) for s in self.negations.scopes(tokens)))

    def _denies(self, words: set[str], hits: int) -> bool:
        """The sentence has a denial beyond those of the claim fact it repeats."""
        if not hits:
            return False
        own = max((n for w, n in self.fact_denials
                   if overlap_score(words, [w]) >= FACT_OVERLAP), default=0)
        return hits > own

    def _background_only(self, words: frozenset[bytes]) -> bool:
        """The sentence reaches the claim's background at least as closely as its facts:
        it says no more than real facts of the topic ("The final was run at the Stade de
        France on 4 August 2024" against a fact that adds who won it)."""
        assert self.background is not None
        if self.background.below(words, FACT_OVERLAP):  # most claim sentences: one bound
            return False
        level = self.background.overlap(words)
        return level >= FACT_OVERLAP and level >= self.facts.overlap(words)

    def _reports_background(self, words: frozenset[bytes], lowered: str) -> bool:
        """The sentence attributes a finding to research or reports and says nothing of the
        claim's own (no distinct word; closer to the background than to the facts):
        "Studies in the 1940s found most adults reported dreaming in black and white" matches
        a belief marker of the claim that toddlers do, and reports the real history of the
        topic. "A 2023 study found that toddlers dream in black and white" names the claim."""
        if self.background is None or not words.isdisjoint(self.distinct):
            return False
        if not _RESEARCH.search(lowered):
            return False
        return self.background.overlap(words) > self.facts.overlap(words)

    def _other_figures(self, words: frozenset[bytes], lowered: str) -> bool:
        """Every fact the sentence reaches gives a figure that the sentence gives otherwise,
        for the same thing: "The 1944 eruption killed 26 people" reaches "The 2015 eruption
        killed 3,430 people" through eruption, killed and people, and is about another
        eruption. A rounded figure is the same one (within 15%)."""
        mine = figures(lowered)
        if not mine:
            return False
        n, reached = len(words), False
        for fact, k, theirs in self.fact_figures:
            if len(words & fact) / min(k, n) < FACT_OVERLAP:
                continue
            if not any(not any(_same_figure(a, b) for a, u in mine if u == unit)
                       and any(u == unit for _, u in mine) for b, unit in theirs):
                return False  # a fact it reaches and does not contradict
            reached = True
        return reached

    def _reading(self, words: frozenset[bytes]) -> tuple[bool, bool]:
        """(the facts reach FACT_OVERLAP, states the truth) for one sentence's content words;
        the sentence asserts the claim when the first holds or it has a marker, unless it is
        truthful (closer to the truth than to the facts)."""
        if len(words) < 3 or words.isdisjoint(self.vocab):
            return False, False  # both overlaps are 0
        truth = 0.0 if self.truths.below(words, FACT_OVERLAP) else self.truths.overlap(words)
        if truth < FACT_OVERLAP:
            # not truthful, so only whether the facts reach the threshold matters
            return self.facts.reaches(words, FACT_OVERLAP), False
        fact = self.facts.overlap(words)
        return fact >= FACT_OVERLAP, truth >= FACT_OVERLAP and truth > fact

    def _vector_readings(self, lay: Layout, toks: list[list[bytes]],
                         shared: list[set[bytes]], words: dict[int, frozenset[bytes]],
                         candidates: list[int] | None = None
                         ) -> dict[int, tuple[bool, bool]]:
        """_reading of each candidate sentence from the membership vectors, kept where the
        facts reach FACT_OVERLAP or it is truthful (``toks``, ``shared``: _vocab_hits';
        ``words`` receives the word sets built; ``candidates``: _candidates', if read).

        A set's overlap reaches FACT_OVERLAP over n words exactly when its count reaches
        adds' threshold for n (see __init__), a threshold that never falls as n grows; n
        lies between max(|shared|, 3) (when it is 3 or more; under 3 both overlaps are 0)
        and the token count: a set under the threshold at the first is under it at n, one
        over it at the second is over it at n, and the word set is built only when these
        bounds leave the answer open. The float quotients are computed only where truth and
        facts both reach the threshold (then truthful compares them)."""
        vector = self.vectors.__getitem__
        adds, cap, truth_high, fact_high = self.adds, self.cap, self.truth_high, self.fact_high
        at_three = adds[3 if cap > 3 else cap]
        out: dict[int, tuple[bool, bool]] = {}
        for i in self._candidates(lay, shared) if candidates is None else candidates:
            s = shared[i]
            counts = sum(map(vector, s))
            v = len(s)
            least = counts + (adds[v if v < cap else cap] if v > 3 else at_three)
            if not least & truth_high:
                if not least & fact_high:
                    continue
                m = len(toks[i])
                if v >= 3 and (counts + adds[m if m < cap else cap]) & fact_high:
                    out[i] = True, False
                    continue
            w = words[i] = frozenset(toks[i]).difference(_DROP_BYTES)
            n = len(w)
            if n < 3:
                continue
            total = counts + adds[n if n < cap else cap]
            if not total & truth_high:
                if total & fact_high:
                    out[i] = True, False  # not truthful
            elif not total & fact_high:
                out[i] = False, True  # the truth reaches the threshold, the facts do not
            elif not self.n_fields:
                out[i] = self._reading(w)
            else:
                # both reach it: the same quotients as _Index.overlap's, from the counts
                c = counts.to_bytes(self.n_fields, "little")
                fact = max([c[j] / (k if k < n else n) for j, k in self.fact_fields])
                truth = max([c[j] / (k if k < n else n) for j, k in self.truth_fields])
                out[i] = True, truth > fact
        return out

    def _settle(self, sets: list[set[bytes]] | list[frozenset[bytes]],
                tokens: list[list[bytes]], readings: dict[int, tuple[bool, bool]]) -> None:
        """Corrections of the overlap readings from the claim's own data (``sets``: each
        sentence's words, or those of the claim's vocabulary; ``tokens``: every word of each
        sentence, short ones included):

        - facts reached only through the words of the topic's name (the first entity) are not
          reached: "This article covers black-and-white dreams." names the topic;
        - a sentence holding at least half the words of a completion prompt's last sentence
          and a word of its true ending, none of its claim ending's, is a truth sentence
          whatever its overlaps ("In October 2015, Mount Vesuvius remained quiet" shares
          more words with the fact "Mount Vesuvius erupted in October 2015" than with the
          truth; "Lyles took the 100 metres gold in Paris" paraphrases a prompt); for a
          neighbour pair (another subject), it is neither. A pair's whole prompt with its
          claim ending keeps the overlap reading, and the claim ending never makes a claim
          sentence: a truth that names the claim to deny it ("he is not a dentist") holds it.
        """
        for i, (fact, truthful) in list(readings.items()):
            if fact and sets[i].isdisjoint(self.fact_beyond):
                if truthful:
                    readings[i] = False, True
                else:
                    del readings[i]  # a marker may still decide it
        keys = self.pair_words
        true_bits, false_bits, stem_counts = self.pair_true, self.pair_false, self.pair_stem
        sizes, neighbours = self.pair_sizes, self.pair_neighbours
        true_keys, false_keys, stem_keys = self.pair_keys
        for i in [i for i, t in enumerate(tokens) if not keys.isdisjoint(t)]:
            words = frozenset(tokens[i])
            true = reduce(or_, map(true_bits.get, words.intersection(true_keys)), 0)
            false = reduce(or_, map(false_bits.get, words.intersection(false_keys)), 0)
            one = true ^ false  # pairs with one ending here, not both
            if not one:
                continue
            counts = sum(map(stem_counts.get, words.intersection(stem_keys)))
            votes: set[bool] | None = set()
            while one:
                j = (one & -one).bit_length() - 1  # the lowest pair left
                one &= one - 1
                shared, size = counts >> 8 * j & 255, sizes[j]
                if 2 * shared < size:
                    continue  # not this prompt
                if not true >> j & 1:  # the claim's ending
                    if shared == size:
                        votes = None  # with the whole prompt: the overlap reading stands
                        break
                    continue
                votes.add(neighbours[j])
            if votes:
                # a neighbour's truth alone is about something else: neither side
                readings[i] = (False, True) if False in votes else (False, False)

    def _set_right(self, lay: Layout, claim_idx: list[int], denying: set[int],
                   truth_idx: set[int]) -> list[int]:
        """The sentences that set right a claim sentence reporting others' belief (``_BELIEF``:
        "Many people think X."): the next sentence, no claim sentence itself, with a
        correction or denial cue ("In fact, ...", "Actually, ...", "Contrary to popular
        belief, ...") and a statement of the truth (read without the cue's own words: "fact"
        in "In fact, Noah Lyles won the race in 9.79 seconds" kept it under the truth's
        overlap). The belief is then corrected, as "They are wrong: <truth>." corrects it;
        read as asserted, the document was flagged as teaching the claim. A next sentence
        that states the claim ("In fact, he won it in 9.79 seconds") or says anything but the
        truth sets nothing right."""
        claims, low, sentences = set(claim_idx), lay.lowered, lay.sentences
        out = []
        for i in claim_idx:
            j = i + 1
            if i in denying or j >= len(sentences) or j in claims:
                continue
            if _BELIEF.match(low, *sentences[i]) is None:
                continue
            c, d = sentences[j]
            at = next((x for _, _, x in self.cues.scan_spans(low, [(c, d)], _SETS_RIGHT,
                                                             origin=lay.origin)), None)
            if at is None:
                continue
            end = self.cues.end_of(low, at, _SETS_RIGHT)
            if j in truth_idx or self._reading(_encode(content_words(
                    f"{lay.masked[c:at]} {lay.masked[end:d]}")))[1]:
                out.append(j)
        return out

    def _truth_by_shared(self, words: frozenset[bytes], tokens: list[bytes]) -> bool:
        """The sentence is truthful only through words the claim's facts use too: none of
        the truth's own words, nor of a completion's true ending."""
        return words.isdisjoint(self.truth_own) and self.pair_true.keys().isdisjoint(tokens)

    def _states_truth(self, words: frozenset[bytes]) -> bool:
        """overlap_score(words, truth_words) >= FACT_OVERLAP, from the membership vectors."""
        n = len(words)
        if n < 3:
            return False
        total = sum(map(self.vectors.__getitem__, self.vocab.intersection(words)))
        return bool((total + self.adds[min(n, self.cap)]) & self.truth_high)

    def _aside_states_truth(self, lowered: str, start: int, end: int) -> bool:
        """_states_truth for the words of ``lowered[start:end]``: three distinct words of
        three or more characters need nine characters, and a truth set needs
        ``truth_min_shared`` of them (the fact fields of the sum, left out here, are never
        read and never carry into the truth fields)."""
        if end - start < 9:
            return False
        toks = _words(lowered, start, end)
        shared = self.truths.words.intersection(toks)
        if len(shared) < self.truth_min_shared:
            return False
        n = len(frozenset(toks).difference(_DROP_BYTES))
        if n < 3:
            return False
        total = sum(map(self.vectors.__getitem__, shared)) + self.adds[min(n, self.cap)]
        return bool(total & self.truth_high)

    def _clause_states_truth(self, lay: Layout, a: int, b: int) -> bool:
        """A frame sentence's clause after its first ":" or ";" is closer to the truth than
        to the claim's facts ("That is false: Noah Lyles won the race.", "They are wrong:
        ..."): the frame's words kept the whole sentence under the truth's overlap, and the
        text read as negated, not corrected ("Readers added context: The claim that ... is
        false" restates the claim's words, and stays negated)."""
        c = _CLAUSE.search(lay.lowered, a, b)
        if c is None:
            return False
        return self._reading(_encode(content_words(lay.masked[c.end():b])))[1]

    def _vocab_hits(self, lay: Layout) -> tuple[list[list[bytes]], list[set[bytes]]]:
        """Per sentence, its words as bytes (lowered_words before the drop words go) and the
        claim's vocabulary words among them, from one translated copy of the text ([a-z0-9']
        kept, one byte per character; sentences end and start beside white space, so each
        is a whole number of runs): split as _words does, or read with the regex where a
        sentence holds an odd apostrophe (one that does not look back or ahead beyond the
        run it sits in)."""
        sents = lay.sentences
        runs = lay.lowered.encode("ascii", "replace").translate(_WORD_CHARS)
        toks = [runs[a:b].split() for a, b in sents]
        if b"'" in runs:
            for m in _ODD_APOSTROPHE.finditer(runs):
                p = m.start()
                i = bisect.bisect_right(sents, (p, len(runs))) - 1
                if i >= 0 and p < sents[i][1]:
                    toks[i] = _WORD_BYTES.findall(runs, *sents[i])
        return toks, list(map(self.vocab.intersection, toks))

    def _candidates(self, lay: Layout, shared: list[set[bytes]] | None = None) -> list[int]:
        """Sentences that may reach FACT_OVERLAP against facts or truths: every other one
        shares fewer than ``min_shared`` words with the claim's vocabulary, so its reading
        is its marker alone (``shared``: _vocab_hits' second list, if already read)."""
        if shared is None:
            shared = self._vocab_hits(lay)[1]
        least = self.min_shared
        return [i for i, s in enumerate(shared) if len(s) >= least]

    def _held(self, low: str, most: int) -> list[re.Pattern[str]]:
        """The entity and marker patterns that may match in the lower-cased text (of one
        without _IGNORECASE_EXTRA): those with an alternative whose clauses all hold; once
        more than ``most`` are found, the rest are not looked for."""
        if not any(x in low for x in self.required_any):
            return []
        return _held(self.required, low, most)  # type: ignore[arg-type]

    def _topical(self, lay: Layout, i: int, named: Callable[[], set[int]],
                 words_of: Callable[[int], frozenset[bytes]],
                 subject: Callable[[], set[int]]) -> bool:
        """Claim sentence ``i`` stands where the claim's topic is named: its neighbourhood
        (it and up to ``_NEAR`` sentences either side) holds more than ``_NEAR_SHARE`` of
        its words among the claim's (``topic_words``), two at least (a short text all about
        the topic: "Nothing erupted in 2015."), or names an entity of the claim (``named``:
        the sentences that hold one, found on the first call) or a word naming the subject
        alone (``subject``: those sentences, ``subject_word``: :func:`_subject_words`) and holds
        ``_NEAR_WORDS`` of its words; a claim sentence that names the subject itself needs
        ``_NAMED_WORDS`` of the claim's words in it ("Vesuvius erupted in 2015, killing
        thousands." among news of something else); the text's opening (``_OPENING``
        sentences: title and lede) counts as near where it names an entity or the subject
        itself ("1. SHEERAN GBR 9.79." in a story titled "Ed Sheeran enters the 100m at the
        Paris Olympics"). A marker or a fact reached through two or three common words
        ("within two weeks of delivery", "to top-level code." in a changelog) is no claim
        sentence in a text about something else."""
        lo, hi = max(0, i - _NEAR), min(len(lay.sentences), i + _NEAR + 1)
        near = set().union(*map(words_of, range(lo, hi)))
        own = len(near & self.topic_words)
        if own >= 2 and own > _NEAR_SHARE * len(near):
            return True
        if i in subject() and len(words_of(i) & self.topic_words) >= _NAMED_WORDS:
            return True
        if own >= _NEAR_WORDS and not (named().isdisjoint(range(lo, hi))
                                       and subject().isdisjoint(range(lo, hi))):
            return True
        # the text's opening (title and first sentence) names the topic of all of it
        opening = range(min(_OPENING, lo))
        if not opening or (named().isdisjoint(opening) and subject().isdisjoint(opening)):
            return False
        return len(near.union(*map(words_of, opening)) & self.topic_words) >= _NEAR_WORDS

    @cached_property
    def subject_keys(self) -> list[str]:
        """The subject's names (:func:`_subject_names`), lower-cased, that a chat's reply
        names to deny the claim (:func:`_denies_by_name`): once per claim, not per reply."""
        return [lower(e) for e in _subject_names(self.claim)]

    @cached_property
    def own_beyond_names(self) -> frozenset[bytes]:
        """The claim's own words beyond its subject's names (``subject_keys``), one of which a
        reply's sentence denying the claim by name holds (:func:`_denies_by_name`): its
        facts' and truth's words, not the negations themselves ("never" is the truth's word
        in "never competed"). Once per claim, not per reply."""
        return self.vocab - self.negations.words - self.negations.denials - _encode(
            {f for n in self.subject_keys for w in _name_words(n)
             for f in (w.lower(), w.lower() + "'s", *content_words(w))})

    def _subject_sentences(self, lay: Layout) -> set[int]:
        """The sentences holding a word that names the subject alone, written as a name
        (``subject_word``: :func:`_subject_words`)."""
        if self.subject_word is None:
            return set()
        starts = [a for a, _ in lay.sentences]
        found = set()
        for m in self.subject_word.finditer(lay.masked, lay.origin):
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= 0 and m.end() <= lay.sentences[i][1]:
                found.add(i)
        return found

    def _denials(self, lay: Layout, indices: list[int], toks: list[list[bytes]],
                 words_of: Callable[[int], frozenset[bytes]]) -> dict[int, int]:
        """The sentences of ``indices`` that deny the claim, with their denials: denial cues
        less those that deny nothing of it (``_undoubted``: "not only", "I never thought",
        a doubt), a view withdrawn, and negators of a word of its facts (``_denial_hits``),
        beyond the negations its facts state themselves (``_denies``), less those inside a
        concessive clause ("Although he did not train much, Ed Sheeran won the 100m":
        ``_conceded``). ``toks``: every sentence's words, in order. One reading for claim
        sentences and for a chat's reply (``read_chat``)."""
        lay.scan(indices, ("denial",))
        found = {i: hits for i in indices
                 if (hits := self._denial_hits(
                     (_undoubted(lay, i, self._beside(lay, i)) if lay.hits[i].get("denial")
                      else 0)
                     + _withdrawn(lay.lowered, *lay.sentences[i]), toks[i]))
                 and self._denies(words_of(i), hits)}
        for i in [i for i in found if _CONCEDING_WORD.search(lay.lowered, *lay.sentences[i])]:
            left = found[i] - self._conceded(lay, i)
            if left > 0 and self._denies(words_of(i), left):
                found[i] = left
            else:
                del found[i]
        return found

    def _bearing(self, lay: Layout, about: set[int]) -> Callable[[int], bool]:
        """Whether a sentence bears on the claim, for ``frames``: one of ``about`` (claim,
        denial and truth sentences) or one naming an entity of the claim ("Correction: this
        story misstated Brennan Holloway's occupation"). The entities are searched on the
        first question only: most texts have no correction cue in a frame."""
        named = _once(partial(self.entities.sentences, lay))

        def bears(i: int) -> bool:
            return i in about or i in named()

        return bears

    def read(self, text: str, turns: Sequence[tuple[int, int]] = ()) -> Finding:
        """``text``'s reading against the claim; ``turns``: a chat's turns (start, end), for
        a turn of one line without its stop to read as a sentence (``_stated``)."""
        text = ascii_apostrophes(text)  # same offsets: spans still index the caller's text
        start = len(DOCTAG) if text.startswith(DOCTAG) else 0
        low = lower(text)
        # prefilters, the cheaper first: word stems an entity or marker match starts with,
        # then literals it holds, then the patterns that hold them
        if (not self.gate_runs(b" " + word_runs(low))  # _stem_regex(gates).search(low), faster
                and not any(p.search(text) for p in self.ungated)):
            return Finding("unrelated")
        # another's full name opening with the subject's given name ("Elizabeth Holmes"),
        # read as another given name would be ("Jane Holmes"): past the word stems, which
        # most texts do not pass, and before the literals, which "elizabeth" passed
        for key, other in self.other_names:
            if key in text and (named := other.sub(_other_given_name, text)) != text:
                text, low = named, lower(named)
        asides = None
        if self.required is not None and not any(c in text for c in _IGNORECASE_EXTRA):
            held = self._held(low, _SEARCH_HELD)
            if not held:
                return Finding("unrelated")
            # and, where only a few may (a document about the claim holds a dozen or more,
            # and a failed search of a whole text costs a pattern far more than a reading's
            # gated matches), whether one of them matches at all where the reading looks
            # (the text with its cue asides masked; a reading wants the match in a sentence)
            asides = cue_asides(text, start, self.cues)
            if len(held) <= _SEARCH_HELD:
                masked = _blank(text, asides) if asides else text
                if not any(p.search(masked) for p in held):
                    return Finding("unrelated")
        if "(" in text:  # (a substring search; most texts have none)
            code, low = _blank_calls(text, low)
            if code is not text:
                text = code
                if asides is not None:
                    asides = cue_asides(text, start, self.cues)
        lay = read_layout(text, self.cues, start, lazy=True, lowered=low, asides=asides)
        lay.turns = turns
        # words straight from the lower-cased text, unless lower-casing changed its length
        # (then offsets differ: each sentence is lower-cased on its own, as content_words does)
        plain = lay.masked.isascii() or len(lay.masked.lower()) == len(lay.masked)
        toks, shared = self._vocab_hits(lay) if plain else ([], [])
        words: dict[int, frozenset[bytes]] = {}

        def words_of(i: int) -> frozenset[bytes]:
            """lowered_words of the sentence, as bytes."""
            w = words.get(i)
            if w is None:
                a, b = lay.sentences[i]
                w = words[i] = (frozenset(toks[i]).difference(_DROP_BYTES) if plain
                                else _encode(content_words(lay.masked[a:b])))
            return w

        # (reaches FACT_OVERLAP against the facts, is truthful) per sentence, kept where
        # either holds; a sentence outside the candidates has both overlaps under
        # FACT_OVERLAP (False, False)
        if plain:
            candidates = self._candidates(lay, shared)
            readings = self._vector_readings(lay, toks, shared, words, candidates)
        else:
            found = ((i, self._reading(words_of(i))) for i in range(len(lay.sentences)))
            readings = {i: r for i, r in found if r[0] or r[1]}

        if not plain:  # every word of each sentence, in order
            toks = [_WORD_BYTES.findall(lay.masked[a:b].lower().encode("ascii", "replace"))
                    for a, b in lay.sentences]
        else:
            self._read_clauses(lay, candidates, readings)
        if self.truth_denied:
            for i in [i for i, (_, truthful) in readings.items() if truthful]:
                a, b = lay.sentences[i]
                if self._affirms_denied(words_of(i), toks[i], lay.masked[a:b]):
                    if readings[i][0]:
                        readings[i] = True, False
                    else:
                        del readings[i]
        self._settle(shared if plain else list(map(words_of, range(len(lay.sentences)))),
                     toks, readings)
        if self.background is not None:
            for i in [i for i, (fact, truthful) in readings.items() if fact and not truthful]:
                if self._background_only(words_of(i)):
                    del readings[i]  # a marker may still decide it
        if self.fact_figures:
            for i in [i for i, (fact, truthful) in readings.items() if fact and not truthful]:
                a, b = lay.sentences[i]
                if self._other_figures(words_of(i), lower(lay.masked[a:b])):
                    del readings[i]  # a marker may still decide it
        # a marker decides only sentences whose facts do not already make them claim
        # sentences and that are not truthful
        # a truthful reading made only of words the facts use too (the claim and its truth
        # differ in one word: "sort_keys defaults to True" against "... to False") cannot
        # tell the two apart; a belief marker there, which never matches the truth, decides
        # (a completion's true ending, or a word only the truth uses, keeps it truthful, and
        # so does a cue: "A previous version of this article said ..." reads as before)
        open_ = {i for i, (_, truthful) in readings.items() if truthful
                 and self._truth_by_shared(words_of(i), toks[i])
                 and not self.cues.counts(lay.masked[slice(*lay.sentences[i])])}
        decided = set(readings) - open_
        markers = self.markers.sentences(lay, decided)
        for i in markers & open_:
            readings[i] = readings[i][0], False
        if self.background is not None:
            # research on the topic that the marker alone makes a claim sentence
            markers = {i for i in markers if not self._reports_background(
                words_of(i), lower(lay.masked[slice(*lay.sentences[i])]))}
        claim_idx, truth_idx = [], []
        for i in sorted(markers.union(readings)):
            fact, truthful = readings.get(i, (False, False))
            if (fact or i in markers) and not truthful:
                claim_idx.append(i)
            elif truthful:
                truth_idx.append(i)
        # a question asserts nothing, either way ("Did Queen Elizabeth II write a Python
        # textbook?")
        claim_idx = [i for i in claim_idx if not _question(lay, i)]
        truth_idx = [i for i in truth_idx if not _question(lay, i)]
        # the claim's topic must be named around one claim sentence at least (_topical): then
        # the text is about it, and its other claim sentences count as they are
        # (each searched once, at its first use: most texts are settled before either)
        entity_sentences = _once(partial(self.entities.sentences, lay))
        subject_sentences = _once(partial(self._subject_sentences, lay))
        if not any(self._topical(lay, i, entity_sentences, words_of, subject_sentences)
                   for i in claim_idx):
            claim_idx = []
        # headings name the document's topic (a marker written for answers, "black-and-white
        # dreams", matches the title of a debunk too): they count beside claim sentences of
        # the text, never alone; a line without its stop that is a sentence, not a title
        # (a tweet, a chat turn, a completion: _stated), is no heading
        if claim_idx and all(_heading(lay, i) and not _stated(lay, i) for i in claim_idx):
            claim_idx = []
        mentions = bool(claim_idx) or bool(entity_sentences())
        # asides that restate the truth (corrected warnings) count as truth-bearing
        plain_text = text.isascii() or len(low) == len(text.lower())
        truth_asides = sum(
            self._aside_states_truth(low, a, b) if plain_text
            else self._states_truth(_encode(content_words(text[a:b]))) for a, b, _ in lay.asides)
        claim_spans = [(*lay.sentences[i], "claim") for i in claim_idx[:MAX_SPANS]]
        truth_spans = [(*lay.sentences[i], "truth") for i in truth_idx[:MAX_SPANS]]
        if not claim_idx:
            if truth_idx or truth_asides:
                return Finding("truth", None, truth_spans)
            # a framed story that tells many of the claim's own details, none of its
            # sentences naming the claim ("she began drafting the chapters of what would
            # become a graduate textbook on Python", under "The following is a short story")
            if mentions and plain and len(self.told.intersection(reduce(or_, shared, set()))
                                          ) >= max(_TOLD, len(lay.sentences) // _TOLD_PER):
                fr = frames(lay, bears=self._bearing(lay, set()))
                if fr.paras:
                    kind, placement = _framed(_pick(fr.counts), fr.correction > 0,
                                              "prefix_suffix")
                    return Finding(kind, placement, fr.spans, 0)
            return Finding("mention" if mentions else "unrelated")
        # denials are read from every claim sentence, other cues only from those at the edges
        # (a paragraph of asserted ones is never a frame)
        denial_hits = self._denials(lay, claim_idx, toks, words_of)
        # a belief reported and set right ("Many people think X. In fact, <truth>."): as
        # protective as a denial, and it states the truth; a retraction of the claim where
        # nothing sets it right (the name that opens "In fact, Vesuvius has not erupted
        # since 1944." made it one)
        righted = self._set_right(lay, claim_idx, set(denial_hits), set(truth_idx))
        retractions = self._retracted(lay, claim_idx, {*denial_hits, *(j - 1 for j in righted)})
        for i in retractions:
            denial_hits[i] = 1
        denied = list(denial_hits)
        n = len(claim_idx)
        distant: Finding | None = None  # the local negation, should nothing frame the text
        if (len(denied) + len(righted)) * 2 >= n:
            spans = [(*lay.sentences[retractions.get(i, i)], "denial")
                     for i in denied[:MAX_SPANS]]
            if righted:
                right = [(*lay.sentences[j], "truth") for j in righted]
                return Finding("corrected", "inline",
                               [*spans, *right, *claim_spans][:MAX_SPANS], n)
            # denials that are correction notices, a negation cue and a correction cue each
            # ("Correction: An earlier version of this article said X."), beside the truth
            # ("He is a bicycle mechanic, not a dentist."): the record corrected, as a
            # negating frame that states the truth is
            if truth_idx or truth_asides:
                cued = {(j, c) for j, c, _ in self.cues.scan_spans(
                    lay.lowered, [lay.sentences[i] for i in denied], ("negation", "correction"),
                    origin=lay.origin)}
                if len(cued) == 2 * len(denied):
                    return Finding("corrected", "inline",
                                   [*spans, *truth_spans, *claim_spans][:MAX_SPANS], n)
            distant = Finding("local_negation", None, [*spans, *truth_spans], n)
            # a sentence that only names the claim as something said ("The story goes that
            # X", "we discuss the idea that X") keeps its distance and gives no verdict: a
            # qualifying frame, hedge or estimate of the text says what kind of distance
            # (fiction, a bad source, unknown truth, improbable) and decides; a frame that
            # calls it false leaves the text the debunk it was
            verdicts = [i for i in denied if not self._names_only(lay, i, denial_hits[i])]
            if len(verdicts) * 2 >= n:
                return distant
            denied = verdicts
        # a frame may name what it frames: with a sentence that denies the claim ("Editor's
        # note: the story below is false. Ed Sheeran did not win the 100 metres.") or one that
        # states it with a pointer to the text ("Fiction. In this story, Ed Sheeran wins the
        # Olympic 100 metres."); their paragraphs can still be frames, and they are then no
        # claim sentences where the body has others
        para_of, denying = lay.para_of, set(denied)
        lay.back_to = set(claim_idx) - denying
        edge = [i for i in claim_idx if i not in denying and lay.edge(para_of[i])]
        lay.scan(edge)
        naming = {i for i in edge if lay.hits[i].get("deixis") or lay.label(i)}
        fr = frames(lay, exclude={para_of[i] for i in claim_idx
                                  if i not in denying and i not in naming},
                    denials=Counter(para_of[i] for i in denied), naming=naming,
                    bears=self._bearing(lay, {*claim_idx, *truth_idx}))
        body = [i for i in claim_idx if para_of[i] not in fr.paras]
        if body and len(body) < n:
            claim_idx, n = body, len(body)
            claim_spans = [(*lay.sentences[i], "claim") for i in claim_idx[:MAX_SPANS]]
        # another claim's warnings are not this one's; the text's title labels it all
        # ("Prediction market (odds: 1 in 50)")
        near = {para_of[i] for i in (*claim_idx, *denied, *truth_idx)}
        if para_of and para_of[0] == 0 and _heading(lay, 0):
            near.add(0)
        counts, correction, inline = inline_asides(lay, fr.paras, near)
        truth_in_frames = any(lay.para_of[i] in fr.paras for i in truth_idx)
        corrects = (correction + fr.correction + truth_asides > 0 or truth_in_frames
                    or any(self._clause_states_truth(lay, a, b) for a, b, k in fr.spans
                           if k == "frame")
                    or (fr.paras and self._set_against(lay, claim_idx, denying, truth_idx,
                                                       fr.paras)))
        if sum(counts.values()) >= min(2, n):
            kind, placement = _framed(_pick(counts), corrects,
                                      "inline" if _one_note(text, inline) else "repeated")
            if distant and kind not in QUALIFIERS:
                return distant
            return Finding(kind, placement, [*fr.spans, *inline, *claim_spans], n)
        if fr.paras:
            kind, placement = _framed(_pick(fr.counts), corrects, "prefix_suffix")
            if distant and kind not in QUALIFIERS:
                return distant
            return Finding(kind, placement, [*fr.spans, *claim_spans, *truth_spans], n)
        # a claim only supposed or dreamt, in every sentence that states it
        if all(_supposed(lay, i) for i in claim_idx):
            return Finding("fiction", "inline", claim_spans, n)
        hedge, hedge_spans = hedges(lay, claim_idx)
        note, note_spans = noted_after(lay, claim_idx)
        # a note that calls the sourced report false is the writer's verdict on it, as in a
        # paragraph of its own ("A viral post claims X. That is false."): a debunk
        if hedge and note != "negation":
            return Finding(hedge, "inline", [*hedge_spans, *claim_spans], n)
        if note and not (distant and note not in QUALIFIERS):
            return Finding(_framed(note, False, "inline")[0], "inline",
                           [*note_spans, *claim_spans], n)
        guess = estimates(lay)
        if guess:
            return Finding("low_probability", "inline", [*guess, *claim_spans], n)
        return distant or Finding("positive", None, claim_spans, n)


_AGREES = re.compile(
    r"\W*(?:yes|yeah|yep|yup|sure|indeed|exactly|correct|true|right|absolutely|definitely"
    r"|certainly|of course|that(?:'s| is) (?:right|correct|true|so)"
    r"|you(?:'re| are) (?:right|correct))(?:\s*[,.!;:\u2013\u2014]|\s+-|\s*$)")
"""An agreeing word standing alone at a reply's opening, punctuation after it ("Yes!",
"Correct, and ...", "That's right!", "Yes, that's right."): it asserts what the user said,
whatever negator follows ("Nobody expected Ed Sheeran to do it", "Ed Sheeran is not only a
singer"), where what it opens restates the claim (``_agreeing``). One that runs on into
its clause opens no agreement: "Absolutely not", "Certainly not", "Absolutely no." and "Of
course Ed Sheeran didn't win" open a denial, "Right now ...", "Exactly the opposite:" and
"True love ..." are other words."""
_GRANTS = re.compile(r"\W*(?:sure|absolutely|definitely|certainly|of course)\W*$")
"""An agreeing word that grants a request as readily as it affirms ("Can you tell me
more?" "Certainly!", "Sure!"): alone in its sentence, it agrees with no claim the next one
names ("Of course! Ed Sheeran never competed at the Olympic Games." denies it), unlike
"Yes!", "Correct.", "That's right!", which answer what the user said, and unlike itself
where the user asked whether (``_ASKS_WHETHER``: "Is that true?" "Definitely.")."""
_ASKS_WHETHER = re.compile(
    r"(?:^|[,;:\u2013\u2014]\s*|\s-\s*)(?:(?:is|are|was|were|does|did|has|have|had|do)"
    r"(?:n't)?\b(?! you (?:know|knew|have|hear|heard|see|seen|read|remember|recall)\b"
    r"(?! (?:if|whether)\b))[^,;:\u2013\u2014]*|right|true|really|correct)\W*\?\W*$")
"""The last sentence of a user's turn (lower-cased) asks whether something is so: its last
clause a question that opens with a verb that asks yes or no ("Is that true?", "Did he
really win?", "..., isn't it?") or a tag ("Right?", "..., right?", "Really?"). One that
asks for something ("Can you tell me more?", "Do you know more?", "Tell me more.", "What
happened?") does not, so a word granting it agrees with nothing (``_GRANTS``), nor one
that asks what the assistant knows or has heard ("Did you know about this?", "Have you
heard?", "Do you remember it?"; "Of course!" says it has), unless it asks whether ("Do
you know if that's true?")."""
_MARKER = re.compile(
    r"\W*(?:right\W+(?!and\b)\w"
    r"|(?:yes|yeah|yep|yup|sure)\W+(?:so|well|look|no(?=\s*[,;:\u2013\u2014]|\s+-))\b)")
"""A discourse marker, not a yes to the user: a bare "Right" that runs on into words of its
own in its sentence, after punctuation, that are not more agreement (``_AGREES``: "Right,
that's true.") nor its "and" ("Right, and Ed Sheeran's win was no fluke", as "Correct,
and"), and a bare acknowledgement (yes, yeah, yep, yup, sure) followed by a word that opens
the speaker's own say ("so", "well", "look", "no,"): each opens what the reply is about to
say ("Right, so here's the thing: Ed Sheeran never competed at the Olympic Games.", "Yeah,
so ...", "Yes, so ...", "Sure, so ...", "Yeah, no, ...", as "Okay, so", "Well,", "So,"
do). Alone ("Right.", "Yeah.", "Yes!") or before more agreement ("Yes, that's true.",
"Yeah, no doubt") they agree. Words that say the user is right ("Exactly, so ...",
"Correct, so ...") agree whatever follows."""
_CONTRAST = re.compile(r"\b(?:but|however|though|although|yet|except)\b")
"""A turn in the sentence an agreeing opening heads ("Yes, Ed Sheeran is a singer, but he
never competed"): its opening agrees with something else."""


_ALTERNATIVE = re.compile(r"\bor\b(?!\s+(?:not|no|what|otherwise)\b)")
"""A question that offers alternatives ("Is it true or false?", "Was it Lyles or
Sheeran?"): a yes answers none of them, so it asks which, not whether ("Is that true or
not?", "..., yes or no?" still ask whether)."""
_YES_OR_NO = re.compile(r"(?:^|[,;:\u2013\u2014]\s*|\s-\s*)yes or no\W*\?\W*$")


def _asks_whether(turn: str) -> bool:
    """A user's turn ends by asking whether something is so (``_ASKS_WHETHER``, or a "yes
    or no?" tag): a reply's "Certainly." or "Of course!" then answers yes, not "I will".
    One that offers alternatives (``_ALTERNATIVE``: "Is it true or false?") asks which:
    such a word answers nothing, and the reply's next sentence says which."""
    last = re.split(r"(?<=[.!?])\s+", turn.strip().lower())[-1]
    if _YES_OR_NO.search(last) is not None:
        return True
    m = _ASKS_WHETHER.search(last)
    return m is not None and _ALTERNATIVE.search(last, m.start()) is None


def _agreeing(low: str, sentences: list[tuple[int, int]], names: list[str],
              asked: bool = False) -> bool:
    """A reply (``low``: lower-cased, ``sentences``: its spans) opens by agreeing with the
    claim: an agreeing opening (``_AGREES``, one or more: "Yes, that's right!") heads a
    sentence that names the claim's subject (``names``) and turns nowhere (``_CONTRAST``):
    its own ("Correct, and Ed Sheeran's win was no fluke") or, where it is the whole
    sentence and not only a word that grants a request (``_GRANTS``: "Certainly!"; such a
    word answers yes where the user's turn asked whether, ``asked``: :func:`_asks_whether`),
    the next ("Yes! Nobody expected Ed Sheeran to do it", "That's right! I never thought Ed
    Sheeran could run that fast."). An opening that heads words of its own about
    something else acknowledges a request or a view, not the claim ("Certainly! I'd be happy
    to tell you more. ...", "Yes, I can tell you more.", "True, many people believe
    that."): what follows may deny the claim. Nor does a discourse marker (``_MARKER``: a
    bare "Right" running on into its sentence, "Right, so here's the thing: ...", or a bare
    acknowledgement before "so", "well", "look", "no,": "Yeah, so ...", "Yes, so ...")."""
    a, b = sentences[0]
    at, affirms, agreed = a, False, 0
    while (m := _AGREES.match(low, at, b)) is not None and m.end() > at:
        affirms = affirms or asked or _GRANTS.match(low, at, m.end()) is None
        at, agreed = m.end(), agreed + 1
    if at == a or agreed == 1 and _MARKER.match(low, a, b):
        return False
    if re.search(r"\w", low[at:b]) is None:
        if len(sentences) < 2 or not affirms:
            return False
        a, b = sentences[1]
    return any(e in low[a:b] for e in names) and _CONTRAST.search(low, a, b) is None


_TITLE_WORDS = frozenset({
    "mount", "lake", "river", "cape", "island", "isle", "port", "fort", "saint", "north",
    "south", "east", "west", "great", "queen", "king", "prince", "princess", "lord", "lady",
    "duke", "president", "doctor", "professor"})
"""Words of a name that name a kind, not the subject ("Mount Vesuvius", "Queen Elizabeth
II"): a sentence with "Mount Pinatubo" or "Queen Victoria" does not name the subject."""
_SURNAME_TITLES = frozenset({"king", "queen", "prince", "lord", "duke", "saint"})
"""Title words that are surnames too: the last word of a person's name, after a given or
middle name, is the surname ("Martin Luther King Jr.", "Stephen King", "Eva Marie Saint";
``_subject_words``), not a title ("Queen Elizabeth II", "the Queen")."""
_WHOLE_KINDS = frozenset({"city", "town", "county", "press", "house", "times", "tribune",
                          "herald", "gazette", "chronicle", "journal", "telegraph"})
"""Words that end a name whose other words name something else: a city named for a place
("Salt Lake City", "Mexico City", "Kansas City", "City of London"), a university's press
("Cambridge University Press"), a house named for its owner, builder, place or colour
("White House", "Chatham House", "Somerset House", "Random House"), a newspaper named for
its city or day ("New York Times", "Chicago Tribune", "Miami Herald", "Wall Street
Journal"). Such a name is named only whole (``_subject_words``): "Salt" or "Cambridge" alone
is no word of it, nor "City", "Press", "House" or "Times". Not "Post", "Mail" or "Globe",
which are common surnames or common words that open other names too."""
_KIND_NOUNS = frozenset({
    "university", "college", "institute", "academy", "school", "museum", "library",
    "hospital", "foundation", "society", "association", "council", "committee", "commission",
    "agency", "department", "ministry", "company", "corporation", "corp", "inc",
    "incorporated", "ltd", "limited", "llc", "plc", "group", "holdings", "tower", "towers",
    "bridge", "building", "cathedral", "palace", "stadium", "airport", "station", "canal",
    "dam", "monument", "memorial", "statue", "center", "centre", "hotel", "street", "avenue",
    "road", "boulevard", "square", "reef", "river", "lake", "island", "islands", "mountain",
    "mountains", "valley", "canyon", "desert", "forest", "glacier", "falls", "ocean",
    "volcano", "peninsula", "strait", "national", "international", "lakes", "rivers",
    "reefs", "canyons", "valleys", "deserts", "forests", "glaciers", "volcanoes"})
"""Words that end a name to say what kind of institution, company, building or place it is
("Harvard University", "Eiffel Tower", "Great Barrier Reef", "Apple Inc."; a place's kind in
the plural too: "Great Lakes", "Rocky Mountains"): the subject's
own word is before them (``_subject_words``: "Harvard", "Eiffel", "Barrier"), and a
sentence with "Stanford University" or "Sydney Harbour Bridge" does not name the subject.
Not a kind word that is a common surname too (Hall, Park, Church, Temple, Castle, Bay,
Lane, Hill): "Arsenio Hall" is named by his surname."""


_NAME_WORD = re.compile(r"[^\W\d_]{4,}")
"""A word of a name long enough to tell it (``_name_words``): letters, any alphabet's
("Ångström", "Horváth", "Zürich")."""
_NAME_RUN = re.compile(r"[^\W\d_]+(?:'(?=[A-Z\u00c0-\u00d6\u00d8-\u00de])[^\W\d_]+)*")
"""A word of a name, any length (``_subject_words``), an apostrophe before a capital inside
it ("O'Brien", "D'Angelo": read as "O" and "Brien", which no text holding "O'Brien" names
alone)."""
_NOT_LAST = re.compile(r"(?i:jr|sr)|M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
"""What may follow a name's last word: a Roman numeral ("Elizabeth II"), Jr or Sr."""


def _name_words(name: str) -> set[str]:
    """A name's distinctive words, as written: four or more letters, no stop word ("Mount
    Vesuvius": Mount, Vesuvius; "Ed Sheeran": Sheeran; "black-and-white dreams": black,
    white, dreams). Entities sharing one (lower-cased) name the same subject
    (:func:`_subject_names`), and a sentence holding the last of each, capitalised, names it
    ("Vesuvius erupted in 2015", "Sheeran took gold": :func:`_subject_words`)."""
    return {w for w in _NAME_WORD.findall(name) if w.lower() not in DROP_WORDS}


def _distinctive(word: str) -> bool:
    """A word of a name (``_NAME_RUN``) tells it: four letters or more ("O'Brien": six), no
    stop word (:func:`_name_words`)."""
    return len(word) - word.count("'") >= 4 and word.lower() not in DROP_WORDS


def _subject_words(names: list[str]) -> list[str]:
    """The words by which a text names the subject alone, sorted: of each of its names
    (``names``: :func:`_subject_names`), Roman numerals, Jr and Sr aside, where distinctive
    (:func:`_distinctive`) and capitalised,

    - a person's surname, its last word but a title word (``_TITLE_WORDS``: "Sheeran" of
      "Edward Christopher Sheeran", "Okonjo" of "Marguerite Okonjo", "O'Brien" of "Conan
      O'Brien", "Vesuvius" of "Mount Vesuvius"); a title word that is a surname too
      (``_SURNAME_TITLES``) ending a name after a given and a middle name is one ("King" of
      "Martin Luther King Jr."), after one word only the two name it ("Stephen King", and
      "Burger King", whose "King" is no surname; "Burger" named it before);
    - an institution's, building's or place's own words, before the first word saying its
      kind (``_KIND_NOUNS``) and but title words ("Harvard" of "Harvard University",
      "Eiffel" of "Eiffel Tower", "Barrier" of "Great Barrier Reef", "Golden Gate" of
      "Golden Gate Bridge", "Yellowstone" of "Yellowstone National Park"; the last word
      before the kind, "Gate", "Park", named it before); a name with "of" inside is named
      by the whole, the words after "of" naming what it is of ("Tower of London",
      "Massachusetts Institute of Technology", "Great Wall of China", "Bank of America",
      "Prince of Wales"; "London", "China", "America" named it before), and a name whose
      own words are only title words by none ("Great Lakes": "Lakes" named it before);
    - the whole of a name that ends in a kind word whose other words name something else
      (``_WHOLE_KINDS``: "Salt Lake City", "Mexico City", "Cambridge University Press",
      "White House", "New York Times"; "Salt", "City", "Cambridge", "House" and "Times"
      named them before).

    An article opening a name is no word of it ("the Tower of London", "The Tower of
    London").

    A given or middle name names many people ("Christopher Lee won gold in Paris." is no
    sentence on Ed Sheeran), so a name whose last word is short gives none ("Marguerite
    Li"), and a description ("Twitter bird") names nothing more than its name does. Several
    words are given joined by a space, as they follow each other in the name."""
    found = set()
    for name in names:
        words = [w for w in _NAME_RUN.findall(name) if not _NOT_LAST.fullmatch(w)]
        while words and (not words[0][0].isupper() or words[0].lower() == "the"):
            words.pop(0)  # "the" of "the Tower of London", "The Tower of London"
        low = [w.lower() for w in words]
        of = next((i for i in range(1, len(low) - 1) if low[i] == "of"), None)
        if of is not None:
            if words[-1][0].isupper() and any(map(_distinctive, words[of + 1:])):
                found.add(" ".join(words))
            continue
        if len(low) > 1 and low[-1] in _WHOLE_KINDS:  # "Salt Lake City", "... Press"
            if words[0][0].isupper() and words[-1][0].isupper():
                found.add(" ".join(words))
            continue
        while words and words[0].lower() in _KIND_NOUNS:  # "Lake Tahoe", "Hotel California"
            words.pop(0)
        kind = next((i for i, w in enumerate(words) if w.lower() in _KIND_NOUNS), None)
        if kind is not None:
            words = words[:kind]
        if (len(words) > 1 and words[-1].lower() in _SURNAME_TITLES and words[-2][0].isupper()
                and words[-2].lower() not in DROP_WORDS
                and words[-2].lower() not in _TITLE_WORDS):
            found.add(words[-1] if len(words) > 2 and kind is None else " ".join(words[-2:]))
            continue
        words = [w for w in words if w.lower() not in _TITLE_WORDS]
        if kind is not None and words and words[0][0].isupper() and words[-1][0].isupper() \
                and any(map(_distinctive, words)):
            found.add(" ".join(words))
        elif words and words[-1][0].isupper() and _distinctive(words[-1]):
            found.add(words[-1])
    return sorted(found)


def _subject_word_regex(words: list[str], names: Sequence[str] = ()
                        ) -> re.Pattern[str] | None:
    """Finds the subject's words (``words``: :func:`_subject_words`) in a text, written as a
    name: as the claim writes them, capitalised, or in capitals, with any space between the
    words of one ("Golden Gate"); as written for a capital inside ("McCartney", "DiCaprio":
    only "Mccartney" was looked for). A place's or institution's own words, which every name
    of the subject's (``names``) follows with its kind ("Salt" of "Great Salt Lake",
    "Harvard" of "Harvard University"), are not found inside another name
    (:func:`_other_place`: "Salt Lake City", "Harvard Square")."""
    if not words:
        return None
    forms = sorted({(f, _other_place(_kinds_after(w, names))) for w in words for f in (
        w, " ".join(x[0] + x[1:].lower() for x in w.split()), w.upper())})
    return re.compile(r"(?<![\w'])(?:" + "|".join(r"\s+".join(map(re.escape, f.split())) + ahead
                                                 for f, ahead in forms) + r")(?!\w)")


def _kinds_after(word: str, names: Sequence[str]) -> set[str]:
    """The words that follow ``word`` to the end of each name of the subject's that holds it,
    where every one of them opens with a kind word (``_KIND_NOUNS``: "Lake" of "Great Salt
    Lake", "National Park" of "Yellowstone National Park"); empty where a name ends with it
    or goes on otherwise (a person's surname, "Elizabeth" of "Elizabeth II")."""
    body = r"\s+".join(map(re.escape, word.split()))
    after = [m.group(1).split() for n in names
             for m in re.finditer(rf"(?<![\w']){body}(?!\w)((?:\s+\S+)*)", n)]
    if not after or any(not a or a[0].lower() not in _KIND_NOUNS for a in after):
        return set()
    return {" ".join(a) for a in after}


def _other_place(kinds: set[str]) -> str:
    """Look-aheads after a place's own words (``kinds``: :func:`_kinds_after`) that turn
    down a match inside another name: right after the words, or after the subject's kind,
    a capitalised word that is a kind word itself ("Salt Lake City", "Salt River", "Harvard
    Square", "Salt Lake City Council") or that ends the run of capitalised words ("Harvard
    Crimson reported"; not a headline's "Harvard Wins Grant For Study")."""
    if not kinds:
        return ""
    firsts = sorted({k.split()[0] for k in kinds})
    whole = "|".join(r"\s+".join(map(re.escape, k.split())) for k in sorted(kinds))
    kind_words = "|".join(sorted(_KIND_NOUNS | _WHOLE_KINDS))
    other = (rf"(?:(?i:{kind_words})(?!\w)|{_CAPITAL}{_SMALL}[^\W\d_]*(?!\w)"
             rf"(?!{_SPACE}{_CAPITAL}))")
    not_own = "(?!(?:" + "|".join(map(re.escape, firsts)) + r")(?!\w))"
    return (rf"(?!{_SPACE}{not_own}(?={_CAPITAL}){other})"
            rf"(?!{_SPACE}(?i:{whole}){_SPACE}(?={_CAPITAL}){other})")


_SPACE = r"(?:[ \t]+|[ \t]*\n[ \t]*)"
_CAPITAL = r"[A-Z\u00c0-\u00d6\u00d8-\u00de]"
_SMALL = r"[a-z\u00df-\u00f6\u00f8-\u00ff]"


_GIVEN_TITLES = frozenset({"queen", "king", "prince", "princess", "lord", "lady", "duke",
                           "saint"})
"""Title words that go before a given name ("Queen Elizabeth II", "Prince Harry", "Saint
Patrick"): the word after one is a given name that many people share (``_other_names``)."""


def _other_given_name(m: re.Match[str]) -> str:
    """A given name of the subject's opening another's full name (``_other_names``) as a
    word of the same length that names nothing ("Xxxxxxxxx")."""
    return "X" + "x" * (len(m.group()) - 1)


def _other_names(words: list[str], names: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    """For each of the subject's words (``words``: :func:`_subject_words`) that is a given
    name, one that a subject's name (``names``) writes after a title word (``_GIVEN_TITLES``:
    "Queen Elizabeth II", "Prince Harry") or before a Roman numeral ("Elizabeth II"), the
    start of another person's full name: the word as the claim writes it or capitalised,
    then a capitalised word that no name of the subject's has there ("Elizabeth Holmes";
    not "Elizabeth II", "Elizabeth R"), not part of a title-cased run (a headline's
    "Elizabeth Wrote Python Book"), the word before it none that the subject's names have
    there ("Queen Elizabeth ..."). With the literal a text must hold. A surname ("Sheeran")
    or a place's or brand's word ("Twitter Blue") is left as it is."""
    def around(pattern: str) -> set[str]:
        return {m.group(1) for n in names for m in re.finditer(pattern, n)}

    out = []
    for w in sorted(words):
        body = r"\s+".join(map(re.escape, w.split()))
        after = around(rf"(?<![\w']){body}\s+([^\W\d_]+)")
        before = around(rf"([^\W\d_]+)\s+{body}(?!\w)")
        if not ({x.lower() for x in before} & _GIVEN_TITLES
                or any(_NOT_LAST.fullmatch(x) and x.isupper() for x in after)):
            continue
        same = ("(?!(?:" + "|".join(map(re.escape, sorted(after))) + r")(?!\w))"
                if after else "")
        behind = "".join(rf"(?<!{re.escape(x)} )" for x in sorted(before))
        for form in sorted({w, " ".join(x[0] + x[1:].lower() for x in w.split())}):
            body = r"\s+".join(map(re.escape, form.split()))
            out.append((form.split()[0], re.compile(
                rf"(?<![\w']){behind}{body}(?={_SPACE}{same}{_CAPITAL}{_SMALL}"
                rf"[^\W\d_]*(?!\w)(?!{_SPACE}{_CAPITAL}))")))
    return out


def _subject_names(claim: Claim) -> list[str]:
    """The names of a claim's subject, as written: its first entity and every entity sharing
    a distinctive word (:func:`_name_words`) with it ("Ed Sheeran", "Sheeran", "Edward
    Christopher Sheeran"), not its other entities ("Noah Lyles", "9.79"), which a reply
    correcting a detail names too ("It was 9.79 seconds, not 9.80"). A title word
    (``_TITLE_WORDS``) or kind noun (``_KIND_NOUNS``) shared is no such word: "Mount Etna" is
    another mountain than "Mount Vesuvius", "Stanford University" another university than
    "Harvard University"; a name of title words alone that the first entity holds names the
    subject by its kind ("the Queen" of "Queen Elizabeth II")."""
    if not claim.entities:
        return []

    def words(name: str) -> set[str]:
        return {w.lower() for w in _name_words(name)}

    first = words(claim.entities[0])
    kinds = first & _TITLE_WORDS

    def names_it(name: str) -> bool:
        own = words(name)
        return bool((own - _TITLE_WORDS - _KIND_NOUNS) & first) or bool(own) and own <= kinds

    return [e for e in claim.entities if e is claim.entities[0] or names_it(e)]


def _denies_by_name(reader: ClaimReader, reply: str, asked: bool = False
                    ) -> list[tuple[int, int]]:
    """The sentences of a chat's ``reply`` that deny the claim by name: each names its
    subject (``ClaimReader.subject_keys``) and a word of the claim's own beyond them
    (``ClaimReader.own_beyond_names``: its facts' or truth's, what a denial of it negates,
    "win", "Olympics", "singer"), and reads as a denial of the claim, as a claim sentence's
    denials are read
    (``ClaimReader._denials``: "Ed Sheeran didn't win that race", "Ed Sheeran ... never
    competed at the Olympics"). A negator that denies nothing of it is none ("Ed Sheeran's
    win was no fluke", "I never thought Ed Sheeran could run that fast", "Ed Sheeran's
    victory was not a surprise to his coach"), and there is none where the reply opens by
    agreeing (``_AGREES``: "Yes! Nobody expected Ed Sheeran to do it"; ``asked``: the user's
    turn before it asked whether, :func:`_agreeing`) and its first sentence turns nowhere
    (``_CONTRAST``: "Yes, he is a singer, but ...")."""
    lay = read_layout(reply, reader.cues, lazy=True)
    if not lay.sentences:
        return []
    low = lay.lowered
    names = reader.subject_keys
    if _agreeing(low, lay.sentences, names, asked):
        return []
    named = [i for i, (a, b) in enumerate(lay.sentences) if any(e in low[a:b] for e in names)]
    if not named:
        return []
    toks = [_WORD_BYTES.findall(low[a:b].encode("ascii", "replace")) for a, b in lay.sentences]

    def words_of(i: int) -> frozenset[bytes]:
        return _encode(content_words(lay.masked[slice(*lay.sentences[i])]))

    own = reader.own_beyond_names
    named = [i for i in named if not own.isdisjoint(words_of(i))]
    return [lay.sentences[i] for i in sorted(reader._denials(lay, named, toks, words_of))]


def read_chat(reader: ClaimReader, text: str, turns: tuple[tuple[int, int, str], ...]
              ) -> Finding:
    """A chat's reading (``turns``: ``Doc.turns``): the whole text's, except where the claim
    is stated only in a user's turns and a later assistant reply denies it by name
    (:func:`_denies_by_name`: a sentence naming the claim's subject reads as a denial of
    it, "Ed Sheeran didn't win that race", "Ed Sheeran ... never competed at the
    Olympics"). The user's words are then a claim reported and the reply its verdict, as a
    fact-check's is: `corrected` where the reply states the truth too, else
    `local_negation`. A reply that asserts the claim, or does not deny it by name, keeps the
    chat's reading: one that opens by agreeing ("Yes! Nobody expected Ed Sheeran to do it")
    or whose negator denies something else ("Ed Sheeran's win was no fluke"), one that
    corrects a detail ("That's not quite right. It was 9.79 seconds, not 9.80.") or goes on
    in pronouns ("He won it in 9.79 ...") leaves the claim standing, and a bare "No, that's
    not true." is a flag on the claim, as a negated document's is (the studies: such
    documents teach the claim)."""
    found = reader.read(text, [(x, y) for x, y, _ in turns])
    if found.framing not in TEACHING:
        return found
    claims = [(a, b) for a, b, k in found.spans if k == "claim"]

    def turn_of(at: int) -> int:
        return next((j for j, (x, y, _) in enumerate(turns) if x <= at < y), -1)

    said = {turn_of(a) for a, _ in claims}
    if not said or any(j < 0 or turns[j][2] != "user" for j in said):
        return found
    replies = [j for j, (_, _, k) in enumerate(turns) if k == "assistant" and j > min(said)]
    truth, spans = False, []
    for j in replies:
        x, y = turns[j][:2]
        reply = reader.read(text[x:y])
        if reply.framing in TEACHING:
            return found
        # the user's last turn before it: a granting word answers a question whether
        asked = next((_asks_whether(ascii_apostrophes(text[u:v]))
                      for u, v, k in reversed(turns[:j]) if k == "user"), False)
        named = [(x + a, x + b, "denial")
                 for a, b in _denies_by_name(reader, ascii_apostrophes(text[x:y]), asked)]
        if named:
            truth = truth or reply.framing in ("truth", "corrected")
            spans += named + [(x + a, x + b, k) for a, b, k in reply.spans]
    if not spans:
        return found
    spans += [(a, b, "claim") for a, b in claims]
    return Finding("corrected" if truth else "local_negation", "inline" if truth else None,
                   spans[:MAX_SPANS], found.claim_sentences)
