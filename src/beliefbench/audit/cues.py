"""The cue lexicon (data/audit/cues.yaml) compiled once, for fast scans of lower-cased text.

Cues are general vocabulary (disclaimers, retractions, fiction, sourcing, probability,
corrections, in-sentence denials), kept as data so a team can extend them without code.

Speed: one big case-insensitive alternation costs milliseconds per 2,000 characters in
Python's regex engine. Instead every entry is compiled on its own for lower-cased text and
gated on the first four letters of its literal prefix as a word stem (or a short whole word).
A scan searches a translated copy of the text (``word_runs``: letters and digits kept, all
else a space) once for the word starts where some entry's full opening follows ("the truth",
"is not", not every "the" or "is"), and matches there only the entries of the gate that
holds; entries without such openings keep a stem scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

try:  # the parser behind re.compile; used to read each entry's literal prefix
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

from beliefbench.resources import data_path
from beliefbench.specs import load_yaml, located

FRAMES: tuple[str, ...] = ("negation", "fiction", "unreliable_source", "unknown_truth",
                           "low_probability")
"""Categories a frame or inline aside can have; the last four are the study's qualifiers."""
QUALIFIERS: tuple[str, ...] = FRAMES[1:]
CATEGORIES: tuple[str, ...] = (*FRAMES, "correction", "denial", "deixis")
STEM = 4
_RUNS = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for c in range(256))
"""bytes.translate table: [a-z0-9] stay, every other byte becomes a space."""
_WORD = "\1"
"""In an opening (``_openings``): a run of one or more word characters (``\\w+``)."""
_HEAD_RUNS = bytes(c if c == 1 else _RUNS[c] for c in range(256))
"""_RUNS that keeps ``_WORD``, for turning openings into ``word_runs`` bytes."""
_WORD_BYTE = _WORD.encode("ascii")
_WORD_REACH = 24
"""Word characters a ``_WORD`` of a candidate search checks: a longer word is a candidate
whatever follows it."""


def _prefixes(pattern: str) -> set[str] | None:
    """The literal strings the pattern can start with (possibly cut short), or None when a
    branch starts with no literal at all."""

    def walk(items: list) -> tuple[set[str], bool]:
        """Prefixes of the sequence ``items``; a group or branch is expanded together with
        the items after it, so "(he|sheeran)\\W+" yields "he " and "sheeran "."""
        out = ""
        for k, (op, arg) in enumerate(items):
            name = str(op)
            if name == "LITERAL":
                out += chr(arg).lower()
                continue
            if name == "AT" and not out:  # a leading \b or ^ consumes nothing
                continue
            if _ends_word(name, arg):  # \b, \W or \s after letters: the word is complete
                return {out + " "}, False
            rest = list(items[k + 1:])
            if name == "SUBPATTERN":
                alternatives = [list(arg[-1]) + rest]
            elif name == "BRANCH":
                alternatives = [list(b) + rest for b in arg[1]]
            else:
                return {out}, False
            found: set[str] = set()
            full = True
            for alt in alternatives:
                sub, f = walk(alt)
                found |= {out + x for x in sub}
                full = full and f
            return found, full
        return {out}, True

    try:
        prefixes, _ = walk(list(sre_parse.parse(pattern)))
    except (re.error, TypeError, ValueError):  # pragma: no cover - defensive
        return None
    return None if "" in prefixes else prefixes


def _ends_word(name: str, arg: object) -> bool:
    """The op is a word boundary or must consume a non-word character."""
    if name == "AT":
        return str(arg) == "AT_BOUNDARY"
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        low, _, items = arg  # type: ignore[misc]
        return low >= 1 and len(items) == 1 and _ends_word(str(items[0][0]), items[0][1])
    if name == "IN":
        return all(str(op) == "CATEGORY" and str(a) in ("CATEGORY_NOT_WORD", "CATEGORY_SPACE")
                   for op, a in arg)  # type: ignore[union-attr]
    return False


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_HEADS_LIMIT = 512
_NOT_WORD = ("CATEGORY_NOT_WORD", "CATEGORY_SPACE")


class _Unsure(Exception):
    """A pattern ``_heads`` cannot bound (inline flags, too many openings)."""


def _heads(pattern: str) -> tuple[tuple[bytes, bool], ...] | None:
    """``_openings`` as ``word_runs`` bytes (what a match's word start looks like in the
    runs), past a ``_WORD`` where that keeps them few; None unless every one opens with a
    letter or digit."""
    found = _openings(pattern) or _openings(pattern, words=False)
    if found is None:
        return None
    heads = {(h.encode("ascii", "replace").translate(_HEAD_RUNS), end) for h, end in found}
    if any(not h[:1].isalnum() for h, _ in heads):
        return None
    return tuple(sorted(heads))


def _openings(pattern: str, words: bool = True) -> set[tuple[str, bool]] | None:
    """The openings every match of ``pattern`` (matched, as in ``_entry``, on lower-cased
    text and followed by ``(?![a-z0-9])``) starts with, each with whether the character
    after it is certainly not [a-z0-9] (or the text ends there); a NUL stands for one
    character of a class that holds no [a-z0-9] ("[- ]", "\\W"), which ``word_runs``
    turns into a space like any such character, and ``_WORD`` for ``\\w+`` (one or more
    word characters: in ``word_runs`` of a text with no underscore and no character
    outside ASCII, a run of [a-z0-9]; ``_Plan.cut`` stops at it for any other text;
    ``words=False``: an opening stops short there too).

    Sound by construction: literals are kept, an optional item (``x?``) is expanded both
    ways, a group or branch is expanded with everything after it, and a zero-width
    assertion is skipped (what follows it still follows); anything else cuts the opening
    short there. None when the pattern has inline flags (a case-insensitive literal would
    not be itself) or too many openings.
    """

    def walk(items: list) -> set[tuple[str, bool]]:
        out = ""
        for k, (op, arg) in enumerate(items):
            name = str(op)
            if name == "LITERAL":
                out += chr(arg)
                continue
            if name == "AT":  # zero-width; after a letter or digit \b ends the word
                if str(arg) == "AT_BOUNDARY" and out and out[-1] in _ALNUM:
                    return {(out, True)}
                continue
            if name == "IN" and all(
                    (str(o) == "LITERAL" and chr(a) not in _ALNUM)
                    or (str(o) == "CATEGORY" and str(a) in _NOT_WORD) for o, a in arg):
                out += "\0"
                continue
            if (words and name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1
                    and _word_class(arg[2])):
                out += _WORD  # "\w+", "\w{2,}"
                continue
            rest = list(items[k + 1:])
            if name == "SUBPATTERN":
                if arg[1] or arg[2]:  # inline flags
                    raise _Unsure
                alternatives = [list(arg[-1]) + rest]
            elif name == "BRANCH":
                alternatives = [list(b) + rest for b in arg[1]]
            elif name in ("MAX_REPEAT", "MIN_REPEAT") and arg[1] == 1:
                low, _, sub = arg
                alternatives = [list(sub) + rest] + ([rest] if low == 0 else [])
            else:
                return {(out, _ends_word(name, arg))}
            found: set[tuple[str, bool]] = set()
            for alt in alternatives:
                found |= {(out + x, end) for x, end in walk(alt)}
                if len(found) > _HEADS_LIMIT:
                    raise _Unsure
            return found
        return {(out, True)}  # the whole pattern: (?![a-z0-9]) follows

    try:
        parsed = sre_parse.parse(pattern)
        if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
            return None
        return walk(list(parsed))
    except (re.error, TypeError, ValueError, RecursionError, _Unsure):
        return None


def _word_class(items: list) -> bool:
    """``items`` (a repeat's body) is ``\\w`` alone."""
    return (len(items) == 1 and str(items[0][0]) == "IN"
            and [(str(o), str(a)) for o, a in items[0][1]] == [("CATEGORY", "CATEGORY_WORD")])


def _needs(pattern: str) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` starts with (its openings up to a
    class character, cut to eight characters); None when that is not known."""
    found = _openings(pattern, words=False)
    needs = {h.split("\0")[0][:8] for h, _ in found or ()}
    return None if not needs or "" in needs else tuple(sorted(needs))


def _heads_regex(heads: set[tuple[bytes, bool]]) -> re.Pattern[bytes]:
    """Matches at a space of ``b" " + word_runs(text)`` iff one of the heads opens the word
    after it: the space is the literal the engine's fast search looks for, the heads are a
    trie in a lookahead (so overlapping openings are all found). A ``_WORD`` is a run of
    [a-z0-9] up to ``_WORD_REACH`` long and then the rest of the head, or a longer run."""
    trie: dict[bytes, Any] = {}
    for h, end in heads:
        node = trie
        for ch in h:
            node = node.setdefault(bytes([ch]), {})
        # an opening without an end condition ends the branch; with one, it is an option
        node[b""] = node.get(b"", True) and end

    def emit(node: dict[bytes, Any]) -> bytes:
        if node.get(b"") is False:
            return b""
        alts = [(b"(?:[a-z0-9]{1,%d}%s|[a-z0-9]{%d})" % (_WORD_REACH, emit(sub),
                                                        _WORD_REACH + 1) if ch == _WORD_BYTE
                 else re.escape(ch) + emit(sub)) for ch, sub in sorted(node.items()) if ch]
        if b"" in node:
            alts.append(rb"(?![a-z0-9])")
        return alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"

    return re.compile(b" (?=" + emit(trie) + b")")


def _gates(prefixes: set[str] | None, runs: bool = False) -> tuple[str, ...] | None:
    """What a document must contain for the entry to possibly match; None: always run.

    A prefix's leading word gives its stem when it has four letters, or when a literal
    non-word character follows it (the word is complete; ``run_gate``); a prefix that
    starts with a symbol ("%") is gated on that symbol; otherwise the entry always runs.
    ``runs``: a prefix that starts with a letter or digit outside [a-z0-9] ("élodie",
    "москва") is gated by its first run of [a-z0-9] too (``run_gate``), which a text holding
    it has as a word stem but not where a match starts.
    """
    if prefixes is None:
        return None
    gates = set()
    for p in prefixes:
        if p[0] in _ALNUM or runs and p[0].isalnum():
            gate = run_gate(p)
            if gate is None:
                return None
            gates.add(gate)
        else:
            gates.add(p[0])
    return tuple(sorted(gates))


_RUN = re.compile(r"[a-z0-9]+")


def run_gate(literal: str) -> str | None:
    """The word stem (``Cues.stems``) that a lower-cased text holding ``literal`` has, as
    ``word_runs`` read it (every character but [a-z0-9] a space): ``literal``'s first run
    of [a-z0-9], to STEM characters ("okon" of "okonjo", "ngst" of "ångström", "lodi" of
    "élodie li "), or the whole run where ``literal`` goes on past it (a whole word there:
    "z" of "zürich", "he" of "he "); None where it has none ("москва ") or ends in a
    shorter one (a pattern's opening cut short: the text's run may go on). A literal that
    is a whole word ends in a space, as ``_prefixes`` writes one."""
    m = _RUN.search(literal)
    if m is None:
        return None
    run = m.group()
    if len(run) >= STEM:
        return run[:STEM]
    return run if m.end() < len(literal) else None


@dataclass(frozen=True)
class Entry:
    category: str
    regex: re.Pattern[str]
    word_start: bool
    """The entry starts with a letter or digit: a match must start a word."""
    heads: tuple[tuple[bytes, bool], ...] | None = None
    """Openings every match starts with, as ``word_runs`` bytes, each with whether the
    character after it is certainly not [a-z0-9] (``_heads``); None: scanned by stem gates."""


class _Plan(NamedTuple):
    """How ``Cues.scan`` finds the cues of some categories."""

    always: tuple[tuple[Entry, tuple[str, ...] | None], ...]
    """Entries without a gate (a finditer over the text), each with its ``_needs``."""
    find: re.Pattern[bytes] | None
    """``_heads_regex`` of the entries with openings: their candidate word starts."""
    cut: re.Pattern[bytes] | None
    """``find`` with each opening cut short at its first ``_WORD``, for a text with an
    underscore or a character outside ASCII (a word character that ``word_runs`` turns
    into a space); None where no opening holds a ``_WORD``."""
    reach: int
    """How far past a word start the longest opening (and its end check) looks."""
    table: dict[str, tuple[Entry, ...]]
    """Gate -> its entries with openings."""
    gates: frozenset[str]
    """Gates with entries without openings (``Cues._stem_scan``)."""
    words: bool
    """Some of those gates are word stems (else all are symbols, found by substring)."""


@dataclass(frozen=True)
class Cues:
    by_stem: dict[str, tuple[Entry, ...]]
    """Word stem (or symbol) -> entries that can only match where it occurs."""
    always: tuple[Entry, ...]
    symbols: tuple[str, ...] = ()
    """Gates that are symbols ("%"), checked by substring."""
    any_of: dict[str, re.Pattern[str] | None] = field(default_factory=dict)
    """Gate -> one alternation of its entries: a single failed match at a gate's offset
    rules them all out (None where an entry has groups of its own)."""
    subsets: dict[tuple[str, tuple[str, ...]], tuple[tuple[Entry, ...], re.Pattern[str] | None]
                  ] = field(default_factory=dict)
    """(gate, categories) -> that gate's entries of those categories and their alternation,
    built on first use."""
    byte_gates: dict[bytes, str] = field(default_factory=dict)
    """Word-stem gates as bytes (the stems of a text are collected as bytes) -> the gate."""
    plans: dict[tuple[str, ...], _Plan] = field(default_factory=dict)
    """categories -> how ``scan`` looks for them, built on first use."""
    label: re.Pattern[str] | None = None
    """A line that is one frame entry alone (``labels``): "Satire |", "A novel", "Rumour:"."""
    self_label: re.Pattern[str] | None = None
    """A sentence that opens by calling the text a frame entry: "This is a work of fiction"."""
    estimate: re.Pattern[str] | None = None
    """The writer's estimate that what the text reports is true, and low (``estimates``):
    "I would put the chance that this is real close to nil"."""
    negating_subject: str = ""
    """A subject that negates its verb ("nobody", "no serious historian", "few scholars"):
    one definition for the denial entry that uses it and claim mode's reading of a rejection
    under it (``framing._negated_before``)."""
    parenthetical: str = ""
    """A parenthetical that may stand between a verb and its that-clause ("She denied,
    however, that X"): one definition for the denial entries and claim mode's reading of a
    rejection (``framing._rejection``)."""
    estimate_parts: tuple[str, ...] = ()
    """The lower-cased patterns ``estimate`` joins: what a match must hold is read from each
    alone (framing's ``estimates`` looks for those literals before running it)."""

    def __post_init__(self) -> None:
        self.byte_gates.update({g.encode("ascii"): g for g in self.by_stem
                                if g.isascii() and g.isalnum()})

    @staticmethod
    def stems(lowered: str) -> set[str]:
        """The first STEM characters of every run of [a-z0-9] (every word) of the text.

        The runs come from one translated copy (letters and digits kept, anything else a
        space, one byte per character) split at spaces, which the C string methods do far
        faster than a regex findall."""
        return {w.decode("ascii") for w in _byte_stems(lowered)}

    def scan(self, lowered: str, start: int = 0, stop: int | None = None,
             categories: tuple[str, ...] = CATEGORIES, stems: set[str] | None = None,
             origin: int | None = None, runs: bytes | None = None
             ) -> Iterator[tuple[str, int]]:
        """(category, start offset) of every cue starting in ``lowered[start:stop]`` (a
        lower-cased text); a cue may run on past ``stop`` (it belongs where it starts).

        ``stems`` may be a superset of the text's stems (e.g. those of the unmasked text).
        ``origin``: where a scan of the whole text would begin (a window of it finds the
        same cues as that scan). ``runs``: ``b" " + word_runs(lowered)``, when the caller
        keeps one for several scans.
        """
        stop = len(lowered) if stop is None else stop
        for _, cat, i in self.scan_spans(lowered, [(start, stop)], categories, stems, origin,
                                         runs):
            yield cat, i

    def scan_spans(self, lowered: str, spans: list[tuple[int, int]],
                   categories: tuple[str, ...] = CATEGORIES, stems: set[str] | None = None,
                   origin: int | None = None, runs: bytes | None = None
                   ) -> Iterator[tuple[int, str, int]]:
        """(span index, category, start offset) of what ``scan(lowered, start, stop, ...)``
        finds in each (start, stop) of ``spans``, span by span, in one call.

        An entry with openings (``Entry.heads``) is tried only at the word starts where one
        of its category's openings follows (a search of the span's runs, ``_Plan.find``): a
        match there starts with an opening, and a word start is a space in the runs, so
        these are all the offsets where its gate can hold and it can match. At each, the
        gate that holds there (at most one: a short gate is a whole word, a stem gate has
        four letters or digits) picks the entries tried, exactly those the stem scan tries.
        """
        plan = self._plan(categories)
        if not spans:
            return
        first, last = min(spans)[0], max(map(_SECOND, spans))
        # the rare paths, ruled out once for all the spans where none can hold: a gate-free
        # entry's needs (a match in a span opens with one of them, starting in the span),
        # a symbol gate's symbol
        always = []
        for e, needs in plan.always:
            if needs is None or any([lowered.find(x, first, last + len(x) - 1) >= 0
                                     for x in needs]):
                always.append((e, needs))
        stem_scan = bool(plan.gates) and (
            plan.words or any([lowered.find(g, first, last) >= 0 for g in plan.gates]))
        if always or stem_scan:
            yield from self._rare(lowered, spans, categories, stems, origin, always,
                                  stem_scan, plan)
        if plan.find is None:
            return
        # a word character that word_runs makes a space breaks a _WORD's run of [a-z0-9]
        find = plan.find if plan.cut is None or (
            lowered.isascii() and lowered.find("_") < 0) else plan.cut
        search, table, reach = find.search, plan.table, plan.reach
        given = runs
        n = len(spans)
        j = 0
        while j < n:
            # neighbours (in order, a few characters apart) share one search; a candidate
            # between two of them belongs to neither
            start, stop = spans[j]
            k = j
            while k + 1 < n and 0 <= spans[k + 1][0] - spans[k][1] <= _SPAN_GAP:
                k += 1
            last = spans[k][1]
            if given is None:  # this range's own runs: offset j holds the space before start + j
                runs = (b"" if start else b" ") + word_runs(
                    lowered[max(start - 1, 0):last + reach])
                shift, pos, end = start, 0, len(runs)
            else:
                shift, pos, end = 0, start, last + reach + 1
            cur = j
            # a search per candidate (few) costs less than a finditer object; the pattern
            # consumes one byte, so the next search starts where finditer's would; it runs
            # once this candidate is read, so a caller that stops at a cue (any_frame) does
            # not search the rest of the text for the next one
            while start < last and (m := search(runs, pos, end)) is not None:
                i = m.start() + shift
                if i >= last:
                    break
                pos = m.end()
                while i >= spans[cur][1]:
                    cur += 1
                if i < spans[cur][0] or (i and lowered[i - 1].isalnum()):
                    continue  # between spans, or not a word start (after a non-ASCII letter)
                # the gate that holds here: a stem gate (or a short one ending the text)
                entries = table.get(lowered[i:i + STEM])
                if entries is None:  # ... or a short gate that is the whole word
                    for g in (1, 2, 3):
                        entries = table.get(lowered[i:i + g])
                        if entries is not None and not lowered[i + g:i + g + 1].isalnum():
                            break
                    else:
                        continue
                for e in entries:
                    if e.regex.match(lowered, i):
                        yield cur, e.category, i
            j = k + 1

    def _rare(self, lowered: str, spans: list[tuple[int, int]], categories: tuple[str, ...],
              stems: set[str] | None, origin: int | None, always: list, stem_scan: bool,
              plan: _Plan) -> Iterator[tuple[int, str, int]]:
        """scan_spans for entries without a gate (a finditer from ``origin``) and entries
        without openings (``_stem_scan``), span by span."""
        for j, (start, stop) in enumerate(spans):
            for e, needs in always:
                # a match in the span opens with one of the needs, starting in the span
                if needs is not None and not any([lowered.find(x, start, stop + len(x) - 1)
                                                  >= 0 for x in needs]):
                    continue
                for m in e.regex.finditer(lowered, start if origin is None else origin):
                    i = m.start()
                    if i >= stop:
                        break
                    if i >= start and (not e.word_start or i == 0
                                       or not lowered[i - 1].isalnum()):
                        yield j, e.category, i
            if stem_scan and (plan.words or any([lowered.find(g, start, stop) >= 0
                                                 for g in plan.gates])):
                for cat, i in self._stem_scan(lowered, start, stop, categories, stems,
                                              plan.gates):
                    yield j, cat, i

    def _stem_scan(self, lowered: str, start: int, stop: int, categories: tuple[str, ...],
                   stems: set[str] | None, gates: frozenset[str]) -> Iterator[tuple[str, int]]:
        """Entries without openings (symbol gates, inline flags): every offset where one of
        their gates holds in the window, each entry matched there."""
        gated = [g for g in self.symbols if g in gates and g in lowered]
        if not gates.issubset(self.symbols):
            # a word that starts before stop has its stem in the next STEM characters
            if stems is None:
                found = _byte_stems(lowered[start:stop + STEM])
                gated += [self.byte_gates[g] for g in found.intersection(self.byte_gates)]
            else:
                gated += list(stems.intersection(self.by_stem))
        seen: set[tuple[int, int]] = set()  # an entry under two gates ("do", "does")
        for gate in gated:
            if gate not in gates:
                continue
            entries, any_of = self._subset(gate, categories)
            if not entries:
                continue
            for i in gate_starts(lowered, gate, start, stop):
                if any_of is not None and not any_of.match(lowered, i):
                    continue
                for e in entries:
                    if e.regex.match(lowered, i) and (id(e), i) not in seen:
                        seen.add((id(e), i))
                        yield e.category, i

    def _plan(self, categories: tuple[str, ...]) -> _Plan:
        plan = self.plans.get(categories)
        if plan is None:
            table: dict[str, tuple[Entry, ...]] = {}
            heads: set[tuple[bytes, bool]] = set()
            gates = set()
            for g, entries in self.by_stem.items():
                run = tuple(e for e in entries if e.category in categories and e.heads)
                if run:
                    table[g] = run
                    heads.update(h for e in run for h in e.heads or ())
                if any(e.category in categories and not e.heads for e in entries):
                    gates.add(g)
            cut = {(h.partition(_WORD_BYTE)[0], end and _WORD_BYTE not in h)
                   for h, end in heads}
            plan = _Plan(tuple((e, _needs(e.regex.pattern)) for e in self.always
                               if e.category in categories),
                         _heads_regex(heads) if heads else None,
                         _heads_regex(cut) if cut != heads else None,
                         max((len(h) + h.count(_WORD_BYTE) * _WORD_REACH for h, _ in heads),
                             default=0) + 1, table,
                         frozenset(gates), not gates.issubset(self.symbols))
            self.plans[categories] = plan
        return plan

    def _subset(self, gate: str, categories: tuple[str, ...]
                ) -> tuple[tuple[Entry, ...], re.Pattern[str] | None]:
        key = (gate, categories)
        if key not in self.subsets:
            entries = [e for e in self.by_stem[gate] if e.category in categories and not e.heads]
            self.subsets[key] = (tuple(entries), _any_of(entries))
        return self.subsets[key]

    def counts(self, text: str) -> dict[str, int]:
        """Cue counts per category in a short text."""
        out: dict[str, int] = {}
        for cat, _ in self.scan(lower(text)):
            out[cat] = out.get(cat, 0) + 1
        return out

    def hits(self, category: str, text: str) -> int:
        """Cues of one category in a short text (only that category is looked for)."""
        return sum(1 for _ in self.scan(lower(text), categories=(category,)))

    def is_label(self, lowered: str, start: int, stop: int, line: bool = True,
                 lead: bool = False) -> bool:
        """``lowered[start:stop]`` (a sentence) opens by calling the text a frame entry, or
        (``line``: it is short enough to be a label line) is one standing alone, or
        (``lead``) opens with one and its separator, whatever its length ("FALSE: <the
        text>", "FALSE (rated by our fact-check desk): <the text>"): the label points at
        what follows it."""
        if self.label is not None and (self.label.match(lowered, start, stop) is not None
                                       if line else lead and self.lead_end(lowered, start,
                                                                           stop) >= 0):
            return True
        return (self.self_label is not None
                and self.self_label.match(lowered, start, stop) is not None)

    def lead_end(self, lowered: str, start: int, stop: int) -> int:
        """Where a label that opens the sentence ``lowered[start:stop]`` ends, its separator
        included ("FALSE: <the text>", "Satire -- <the text>", "FALSE (rated by our
        fact-check desk): <the text>"): what follows is the text it labels; -1 where the
        sentence opens with no such label."""
        if self.label is None or _LEAD_SEP.search(lowered, start,
                                                  min(stop, start + _LEAD_REACH)) is None:
            return -1
        m = self.label.match(lowered, start, stop)
        if (m is None or lowered[start:m.end()].rstrip()[-1:] not in _LEAD_ENDS
                or m.group("more")):
            return -1
        return m.end()

    def end_of(self, lowered: str, at: int, categories: tuple[str, ...]) -> int:
        """Where the longest cue of these categories that starts at ``at`` (an offset
        ``scan`` gave) ends, so a caller can read the sentence without the cue's own words
        ("In fact, Noah Lyles won": "fact" is no word of what the sentence states); ``at``
        where none does."""
        entries = [*self.always, *self.by_stem.get(lowered[at:at + STEM], ()),
                   *(e for k in (1, 2, 3) for e in self.by_stem.get(lowered[at:at + k], ()))]
        ends = [m.end() for e in entries if e.category in categories
                and (m := e.regex.match(lowered, at)) is not None]
        return max(ends, default=at)

    def any_frame(self, lowered: str, start: int = 0) -> bool:
        return next(self.scan(lowered, start, categories=FRAMES), None) is not None


_FIRST = itemgetter(slice(None, STEM))
_SECOND = itemgetter(1)
_SPAN_GAP = 32
"""Spans this close (in order) share one search in ``Cues.scan_spans``: the gap costs less
than another search and the look past the end of a span (``_Plan.reach``)."""


def word_runs(lowered: str) -> bytes:
    """``lowered`` with [a-z0-9] kept and every other character a space, one byte per
    character (offsets unchanged): its split is the text's runs of [a-z0-9]."""
    return lowered.encode("ascii", "replace").translate(_RUNS)


def _byte_stems(lowered: str) -> set[bytes]:
    """Cues.stems as bytes: the runs of [a-z0-9] come from one translated copy of the text
    split at spaces, which the C string methods do far faster than a regex findall."""
    return set(map(_FIRST, word_runs(lowered).split()))


def gate_starts(lowered: str, gate: str, start: int = 0, stop: int | None = None
                ) -> list[int]:
    """Offsets in ``[start, stop)`` where a word beginning with ``gate`` starts (a symbol
    gate: anywhere).

    A pattern whose literal prefixes all begin with one of its gates can only match at these
    offsets, so an anchored match there replaces a scan of the whole text.
    """
    stop = len(lowered) if stop is None else stop
    # room for the character after the gate, which a short gate looks at
    found = [m.start() for m in gate_regex(gate).finditer(lowered, start, stop + len(gate))]
    if found and found[-1] >= stop:
        found.pop()
    return found


@cache
def gate_regex(gate: str) -> re.Pattern[str]:
    """The gate's literal (found by the engine's fast substring search), then: no letter or
    digit before it (``[^\\W_]`` is exactly str.isalnum), and for a gate shorter than a stem
    none after it either (a short gate is a whole word ("a", "is", "he"))."""
    lit = re.escape(gate)
    if not gate[0].isalnum():
        return re.compile(lit)
    after = r"(?![^\W_])" if len(gate) < STEM else ""
    return re.compile(rf"{lit}(?<![^\W_]{lit}){after}")


def gate_stems(pattern: str, runs: bool = False) -> tuple[str, ...] | None:
    """Stems a text must contain for ``pattern`` (a claim's entity or marker regex, matched
    case-insensitively) to match; None when the pattern can start anywhere. ``runs``: as a
    prefilter of word stems needs them, an opening with a letter outside ASCII gated by its
    first run of [a-z0-9] ("lodi" of "Élodie Li", "resu" of "Øresund"; without ``runs`` its
    first letter, "é", which is no word stem), or None where it has none ("Москва")."""
    return _gates(_prefixes(pattern), runs)


def opens_in_ascii(pattern: str) -> bool:
    """Every opening of ``pattern`` that starts with a letter or digit has [a-z0-9] for its
    first STEM characters or its whole word ("horv" of "Horváth", "he"): then a match starts
    where ``gate_regex`` finds one of ``gate_stems``' gates. Not so for "Élodie Li" (its
    gate "é" is no stem) or "Zürich" (its gate "z" is no whole word where "ü" follows)."""
    prefixes = _prefixes(pattern)
    return prefixes is None or all(
        _RUN.fullmatch(re.match(r"[^\W_]*", p).group()[:STEM])  # type: ignore[union-attr]
        for p in prefixes if p[0].isalnum())


def lower(text: str) -> str:
    """Lower-case without changing length (offsets stay valid)."""
    out = text.lower()
    if len(out) == len(text):
        return out
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _entry(category: str, pattern: str) -> tuple[Entry, tuple[str, ...] | None]:
    gates = _gates(_prefixes(pattern))
    word_start = not (gates and all(not g[0].isalnum() for g in gates))
    # the run scan (Cues.scan) finds an entry only at word starts whose gate is a word stem
    heads = _heads(pattern) if gates and all(g.isalnum() for g in gates) else None
    return Entry(category, re.compile(f"(?:{pattern})(?![a-z0-9])"), word_start, heads), gates


@cache
def load_cues() -> Cues:
    """Compile the shipped lexicon; a missing category is a packaging error."""
    path = data_path("audit/cues.yaml")
    raw = load_yaml(path.read_text(encoding="utf-8"))
    check_categories(raw, path)
    by_stem: dict[str, list[Entry]] = {}
    always: list[Entry] = []
    for c in CATEGORIES:
        for p in patterns(raw, c):
            entry, gates = _entry(c, p.lower())
            if gates is None:
                always.append(entry)
            for g in gates or ():
                by_stem.setdefault(g, []).append(entry)
    return Cues({g: tuple(e) for g, e in by_stem.items()}, tuple(always),
                tuple(g for g in by_stem if not g[0].isalnum()),
                {g: _any_of(e) for g, e in by_stem.items()},
                **dict(zip(("label", "self_label"), labels_from(raw, path), strict=True)),
                estimate=estimates_from(raw, path),
                negating_subject=raw["negating_subject"].lower(),
                parenthetical=raw["parenthetical"].lower(),
                estimate_parts=tuple(x.lower() for x in raw.get("estimates") or ()))


def _problem(raw: Any, path: Path, *field: str | int) -> str:
    """``<path>: line N, column M: field <field>``, as a spec file names a problem (see
    :func:`beliefbench.specs.located`): a team extending the lexicon is sent to the line. A
    field left out is named at the section that lacks it (as a schema problem is); the plain
    path where neither is written, or ``raw`` is not what the file holds."""
    at = str(path)
    for end in range(len(field), 0, -1):
        at = located(path, field[:end], data=raw)
        if at != str(path):
            break
    return f"{at}: field {'.'.join(str(f) for f in field)}"


_FRAGMENTS = ("negating_subject", "parenthetical")
"""Patterns written once under their own key, named by alias in the entries that use them
and read by claim mode too (``Cues.negating_subject``, ``Cues.parenthetical``)."""


def check_categories(raw: Any, path: Path) -> None:
    """Every cue category a list of patterns that compile, and each of ``_FRAGMENTS`` one: a
    category left out, or an entry a team added that is no text or no regular expression,
    was a KeyError, TypeError or re.error traceback from deep in the first scan, naming
    neither file nor line. An entry written as a list of texts is its parts joined."""
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise ValueError(f"{path}: field (top level): expected a mapping of cue categories, "
                         f"got {got}")
    missing = [c for c in CATEGORIES if c not in raw]
    if missing:
        raise ValueError(f"{path}: cue categories missing: {missing}")
    for key in _FRAGMENTS:
        fragment = raw.get(key)
        if not isinstance(fragment, str):
            raise ValueError(f"{_problem(raw, path, key)}: needs a pattern (text), "
                             f"got {type(fragment).__name__}")
        _compiles(fragment, raw, path, key)
    for c in CATEGORIES:
        if not isinstance(raw[c], list):
            raise ValueError(f"{_problem(raw, path, c)}: needs a list of patterns (strings), "
                             f"got {type(raw[c]).__name__}")
        for i, p in enumerate(patterns(raw, c)):
            if not isinstance(p, str):
                raise ValueError(f"{_problem(raw, path, c, i)}: needs a pattern (text, or a "
                                 f"list of texts joined), got {type(p).__name__}; quote it")
            _compiles(p, raw, path, c, i)


def patterns(raw: dict[str, Any], category: str) -> list[Any]:
    """A category's entries, each written as a list of texts joined: a fragment written once
    under its own key and named by a YAML alias ("- [*negating_subject, ' (?:accept...)']");
    anything else as written (``check_categories`` names it)."""
    return ["".join(p) if isinstance(p, list) and p and all(isinstance(x, str) for x in p)
            else p for p in raw[category]]


def _compiles(p: str, raw: Any, path: Path, *field: str | int) -> None:
    try:
        re.compile(f"(?:{p.lower()})")
    except re.error as e:
        raise ValueError(f"{_problem(raw, path, *field)}: not a valid pattern ({e})") from None


def estimates_from(raw: dict[str, Any], path: Path) -> re.Pattern[str] | None:
    """``estimates``: a list of patterns, one alternation matched on lower-cased text at word
    starts (None when the section is absent)."""
    spec = raw.get("estimates")
    if spec is None:
        return None
    if not isinstance(spec, list) or not spec or not all(isinstance(x, str) for x in spec):
        raise ValueError(f"{_problem(raw, path, 'estimates')}: needs a list of patterns "
                         "(strings)")
    for i, x in enumerate(spec):  # the entry that does not compile, at its own line
        try:
            re.compile(f"(?:{x.lower()})")
        except re.error as e:
            raise ValueError(f"{_problem(raw, path, 'estimates', i)}: not a valid pattern "
                             f"({e})") from None
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(f"(?:{x.lower()})" for x in spec)
                      + r")(?![a-z0-9])")


_LABEL_HEAD = (r"[\W_]*(?:[^|/\n]{1,40}\s(?:[|/]|-+|[\u2013\u2014])\s+)?(?:\d{1,2}[:.]\d{2}\s+)?"
               r"(?:[a-z]+(?: [a-z]+)?\s*:\s*)?(?:(?:an?|the)\s+)?")
"""Before a label: a masthead and its separator ("The Portland Plunger | Satire", "Ash over
Naples / A novel", "Fact check -- FALSE"), a time ("21:58 UNVERIFIED"), a field name
("Status: Unverified", "Filed under: Satire"), an article."""
_LABEL_TAIL = (r"(?![a-z0-9])(?P<more>(?:\s+[a-z0-9']+){0,2})(?:\s*[(\[][^()\[\]\n]{1,80}[)\]])?"
               r"(?:[\s.!*_)\]]*$|\s*[|:\u2013\u2014]|\s+-+\s)")
"""After a label: up to two words ("Rumour mill", "Alternate history thread:") and a
bracketed note on it ("FALSE (rated by our fact-check desk after reviewing the records):"),
then the line's end (a bracketed label's own bracket: "(Satire.)") or a separator."""
_LEAD_REACH = 200
_LEAD_SEP = re.compile(r":|\s-|[\u2013\u2014]")
"""A separator within the first ``_LEAD_REACH`` characters (the longest masthead, label and
bracketed note): most long sentences hold none and skip the label pattern."""
_LEAD_ENDS = ":|\u2013\u2014-"
"""The last character of a label that opens a longer sentence: its separator ("FALSE: <the
text>", "Satire -- <the text>"), right after the entry or a bracketed note on it (not after
more words: "Fiction writing workshop: this article covers ..." names a topic)."""


VERDICT_OPENER = (r"(?:(?:(?:it\s+)?turns\s+out|but|except|unfortunately|sadly|alas)"
                  r"(?![a-z0-9]),?\s+)?")
"""An opener, without a comma, that leaves the verdict after it whole: "Turns out that's a
myth.", "It turns out this is false." and "But that's a myth." call what came before so, as
"That's a myth." does (framing.py's pointers back read past it too); with a comma any word
or two may open (``_SELF_HEAD``)."""
_SELF_HEAD = (r"[\W_]*(?:(?:[a-z'/]+(?: [a-z'/]+)?|(?:an? )?(?:note|word|message|reminder)"
              r" (?:to|for) [a-z'/-]+(?: [a-z'/-]+)?)\s*[:,]\s*)?" + VERDICT_OPENER)
"""Before a sentence that calls the text something: a note's name ("Author's note: this is a
fanfic ...", "A/N: this is ...", "Disclaimer: this is satire", or who it is for: "A note
for grown-ups: this is a make-believe story", "Note to readers: ..."), as before a label, or
a word or two and a comma ("Of course, this is purely hypothetical."), then ``VERDICT_OPENER``."""


def labels_from(raw: dict[str, Any], path: Path
                ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """``labels``: the entries of its categories (all but ``except``) as one pattern for a
    whole line, and the same after the ``self`` opening; both matched on lower-cased text
    from the line's start."""
    spec = raw.get("labels")
    if spec is None:
        return None, None
    def refuse(*field: str) -> ValueError:
        """The problem, named at the sub-field that is wrong (see :func:`_problem`)."""
        return ValueError(f"{_problem(raw, path, 'labels', *field)}: needs categories (of "
                          f"{', '.join(FRAMES)}), except (a list of their entries) and self "
                          "(a pattern)")

    if not isinstance(spec, dict):
        raise refuse()
    kinds, skip, lead = spec.get("categories"), spec.get("except", []), spec.get("self", "")
    if (not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds)
            or not set(kinds) <= set(FRAMES)):
        raise refuse("categories")
    if not isinstance(skip, list) or not all(isinstance(x, str) for x in skip):
        raise refuse("except")
    if not isinstance(lead, str):
        raise refuse("self")
    skip = {x.lower() for x in skip}
    entries = "(?:" + "|".join(f"(?:{p.lower()})" for c in kinds for p in patterns(raw, c)
                               if p.lower() not in skip) + ")"
    label = re.compile(_LABEL_HEAD + entries + _LABEL_TAIL)
    try:
        own = re.compile(_SELF_HEAD + lead.lower() + entries + r"(?![a-z0-9])") \
            if lead else None
    except re.error as e:
        raise ValueError(f"{_problem(raw, path, 'labels', 'self')}: not a valid pattern "
                         f"({e})") from None
    return label, own


@dataclass(frozen=True)
class Negators:
    """cues.yaml's ``negators``: words that deny only what follows them, so a claim reader
    counts one only where a word of its claim comes next (``count``)."""

    words: frozenset[bytes]
    modals: frozenset[bytes]
    skip: frozenset[bytes]
    stop: frozenset[bytes]
    reach: int
    denials: frozenset[bytes] = frozenset()
    """Negations the denial patterns count ("not", "never"): ``with_denials`` adds them."""
    openers: frozenset[bytes] = field(init=False)
    """What a sentence must hold for ``count`` to find anything."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "openers", self.words | {b"not", b"t"})

    def scopes(self, tokens: list[bytes]) -> list[list[bytes]]:
        """What each negator among a sentence's words (``tokens``, in order, lower-case:
        ``_words``) may deny: the next ``reach`` words that are not skip words, up to a stop
        word. A "not" counts after a modal; "couldn" then "t" is "couldn't" written with a
        typographic apostrophe that was not read as one."""
        if self.openers.isdisjoint(tokens):
            return []
        out = []
        for k, w in enumerate(tokens):
            if w not in self.words and not (
                    k and (w == b"not" and tokens[k - 1] in self.modals
                           or w == b"t" and tokens[k - 1] + b"'t" in self.words)):
                continue
            scope: list[bytes] = []
            for x in tokens[k + 1:]:
                if x in self.stop or len(scope) == self.reach:
                    break
                if x not in self.skip:
                    scope.append(x)
            out.append(scope)
        return out

    def with_denials(self) -> Negators:
        """These negators and the plain negations, for what a text denies either way."""
        return replace(self, words=self.words | self.denials)

    def count(self, tokens: list[bytes], content: frozenset[bytes]) -> int:
        """Negators of the sentence that may deny a word of ``content``."""
        return sum(1 for scope in self.scopes(tokens) if not content.isdisjoint(scope))


@cache
def load_negators() -> Negators:
    """The shipped lexicon's ``negators``; a missing or malformed one is a packaging error."""
    path = data_path("audit/cues.yaml")
    return negators_from(load_yaml(path.read_text(encoding="utf-8")), path)


def negators_from(raw: Any, path: Path) -> Negators:
    """The ``negators`` section of a cue lexicon read from ``path``."""
    spec = raw.get("negators") if isinstance(raw, dict) else None
    field: tuple[str, ...] = ("negators",)  # the key being read, to name a problem at
    try:
        sets = []
        for k in ("words", "modals", "skip", "stop", "denials"):
            field = ("negators", k) if isinstance(spec, dict) else field
            sets.append(frozenset(str(w).encode("ascii") for w in spec[k]))
        field = ("negators", "reach") if isinstance(spec, dict) else field
        words, modals, skip, stop, denials = sets
        return Negators(words, modals, skip, stop, int(spec["reach"]), denials)
    except (TypeError, KeyError, ValueError, UnicodeError) as e:
        raise ValueError(f"{_problem(raw, path, *field)}: needs words, modals, skip, stop and "
                         f"denials (lists of ASCII words) and reach (a number); "
                         f"{type(e).__name__}: {e}") from None


def _any_of(entries: list[Entry]) -> re.Pattern[str] | None:
    """One alternation of the entries' patterns; None when joining them could renumber a
    group that a back-reference names (their own groups stay apart)."""
    if len(entries) < 2 or any(e.regex.groups for e in entries):
        return None
    return re.compile("|".join(e.regex.pattern for e in entries))
