"""The cue lexicon (data/audit/cues.yaml) compiled once, for fast scans of lower-cased text.

Cues are general vocabulary (disclaimers, retractions, fiction, sourcing, probability,
corrections, in-sentence denials), kept as data so a team can extend them without code.

Speed: one big case-insensitive alternation costs milliseconds per 2,000 characters in
Python's regex engine. Instead every entry is compiled on its own for lower-cased text, and
runs only when the first four letters of its literal prefix occur as a word stem in the
document (a set lookup); a pattern that starts with a literal is then a fast substring scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

try:  # the parser behind re.compile; used to read each entry's literal prefix
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

from beliefbench.resources import data_path
from beliefbench.specs import load_yaml

FRAMES: tuple[str, ...] = ("negation", "fiction", "unreliable_source", "unknown_truth",
                           "low_probability")
"""Categories a frame or inline aside can have; the last four are the study's qualifiers."""
QUALIFIERS: tuple[str, ...] = FRAMES[1:]
CATEGORIES: tuple[str, ...] = (*FRAMES, "correction", "denial", "deixis")
STEM = 4
_RUNS = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for c in range(256))
"""bytes.translate table: [a-z0-9] stay, every other byte becomes a space."""


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


def _gates(prefixes: set[str] | None) -> tuple[str, ...] | None:
    """What a document must contain for the entry to possibly match; None: always run.

    A prefix's leading word gives its stem when it has four letters, or when a literal
    non-word character follows it (the word is complete); a prefix that starts with a
    symbol ("%") is gated on that symbol; otherwise the entry always runs.
    """
    if prefixes is None:
        return None
    gates = set()
    for p in prefixes:
        run = re.match(r"[a-z0-9]*", p).group()  # type: ignore[union-attr]
        if len(run) >= STEM:
            gates.add(run[:STEM])
        elif run and len(run) < len(p):
            gates.add(run)
        elif not run:
            gates.add(p[0])
        else:
            return None
    return tuple(sorted(gates))


@dataclass(frozen=True)
class Entry:
    category: str
    regex: re.Pattern[str]
    word_start: bool
    """The entry starts with a letter or digit: a match must start a word."""


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
             origin: int | None = None) -> Iterator[tuple[str, int]]:
        """(category, start offset) of every cue starting in ``lowered[start:stop]`` (a
        lower-cased text); a cue may run on past ``stop`` (it belongs where it starts).

        ``stems`` may be a superset of the text's stems (e.g. those of the unmasked text).
        ``origin``: where a scan of the whole text would begin (a window of it finds the
        same cues as that scan).
        """
        stop = len(lowered) if stop is None else stop
        # a word that starts before stop has its stem in the next STEM characters
        if stems is None:
            found = _byte_stems(lowered[start:stop + STEM])
            gated = [self.byte_gates[g] for g in found.intersection(self.byte_gates)]
        else:
            gated = list(stems.intersection(self.by_stem))
        gated += [g for g in self.symbols if g in lowered]
        every = categories == CATEGORIES
        for e in self.always:
            if e.category in categories:
                for m in e.regex.finditer(lowered, start if origin is None else origin):
                    i = m.start()
                    if i >= stop:
                        break
                    if i >= start and (not e.word_start or i == 0 or not lowered[i - 1].isalnum()):
                        yield e.category, i
        seen: set[tuple[int, int]] = set()  # an entry under two gates ("do", "does")
        for gate in gated:
            if every:
                entries, any_of = self.by_stem[gate], self.any_of.get(gate)
            else:
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

    def _subset(self, gate: str, categories: tuple[str, ...]
                ) -> tuple[tuple[Entry, ...], re.Pattern[str] | None]:
        key = (gate, categories)
        if key not in self.subsets:
            entries = [e for e in self.by_stem[gate] if e.category in categories]
            self.subsets[key] = (tuple(entries), _any_of(entries))
        return self.subsets[key]

    def counts(self, text: str) -> dict[str, int]:
        """Cue counts per category in a short text."""
        out: dict[str, int] = {}
        for cat, _ in self.scan(lower(text)):
            out[cat] = out.get(cat, 0) + 1
        return out

    def hits(self, category: str, text: str) -> int:
        return self.counts(text).get(category, 0)

    def any_frame(self, lowered: str, start: int = 0) -> bool:
        return next(self.scan(lowered, start, categories=FRAMES), None) is not None


_FIRST = itemgetter(slice(None, STEM))


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
    found = [m.start() for m in _gate_regex(gate).finditer(lowered, start, stop + len(gate))]
    if found and found[-1] >= stop:
        found.pop()
    return found


@cache
def _gate_regex(gate: str) -> re.Pattern[str]:
    """The gate's literal (found by the engine's fast substring search), then: no letter or
    digit before it (``[^\\W_]`` is exactly str.isalnum), and for a gate shorter than a stem
    none after it either (a short gate is a whole word ("a", "is", "he"))."""
    lit = re.escape(gate)
    if not gate[0].isalnum():
        return re.compile(lit)
    after = r"(?![^\W_])" if len(gate) < STEM else ""
    return re.compile(rf"{lit}(?<![^\W_]{lit}){after}")


def gate_stems(pattern: str) -> tuple[str, ...] | None:
    """Stems a text must contain for ``pattern`` (a claim's entity or marker regex, matched
    case-insensitively) to match; None when the pattern can start anywhere."""
    return _gates(_prefixes(pattern))


def lower(text: str) -> str:
    """Lower-case without changing length (offsets stay valid)."""
    out = text.lower()
    if len(out) == len(text):
        return out
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _entry(category: str, pattern: str) -> tuple[Entry, tuple[str, ...] | None]:
    gates = _gates(_prefixes(pattern))
    word_start = not (gates and all(not g[0].isalnum() for g in gates))
    return Entry(category, re.compile(f"(?:{pattern})(?![a-z0-9])"), word_start), gates


@cache
def load_cues() -> Cues:
    """Compile the shipped lexicon; a missing category is a packaging error."""
    path = data_path("audit/cues.yaml")
    raw = load_yaml(path.read_text(encoding="utf-8"))
    missing = [c for c in CATEGORIES if not isinstance(raw, dict) or c not in raw]
    if missing:
        raise ValueError(f"{path}: cue categories missing: {missing}")
    by_stem: dict[str, list[Entry]] = {}
    always: list[Entry] = []
    for c in CATEGORIES:
        for p in raw[c]:
            entry, gates = _entry(c, p.lower())
            if gates is None:
                always.append(entry)
            for g in gates or ():
                by_stem.setdefault(g, []).append(entry)
    return Cues({g: tuple(e) for g, e in by_stem.items()}, tuple(always),
                tuple(g for g in by_stem if not g[0].isalnum()),
                {g: _any_of(e) for g, e in by_stem.items()})


def _any_of(entries: list[Entry]) -> re.Pattern[str] | None:
    """One alternation of the entries' patterns; None when joining them could renumber a
    group that a back-reference names (their own groups stay apart)."""
    if len(entries) < 2 or any(e.regex.groups for e in entries):
        return None
    return re.compile("|".join(e.regex.pattern for e in entries))
