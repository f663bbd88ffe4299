"""Stream documents out of a corpus: JSONL, Parquet, plain-text folders, saved HF datasets.

A corpus is cut into *units* (a byte range of a JSONL file, a Parquet file, an Arrow file of a
saved dataset, a batch of text files) so one engine can spread them over workers; each unit is
read in batches, so memory stays flat however large the corpus. JSONL and text files may be
compressed as pipelines store their shards (gzip, bzip2, xz, zstd: ``.jsonl.zst``); a
compressed file is one unit (it cannot be entered in the middle), decompressed as it streams.
Bad input never stops the audit: the document or file is skipped, counted by reason, and the
first few problems are described in one line each (file, line or row, field, problem), a
problem that repeats line after line once, with its count and first places; rows without
any text field note the fields they have instead, for a misspelt ``--text-field``. A file
whose first rows have no text field is told (:class:`NoField`) while it is read, not only
once the corpus has been.
"""

from __future__ import annotations

import bz2
import functools
import io
import json
import lzma
import os
import re
import shlex
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beliefbench.not_found import broken_link

TEXT_SUFFIXES = (".txt", ".md", ".text")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
"""Compressions read as streams, after a JSONL or text suffix (``.jsonl.gz``, ``.txt.zst``)."""
CHUNK_BYTES = 64 << 20
"""JSONL files larger than this are split into byte ranges (units) at line boundaries."""
MAX_DOC_CHARS = 5_000_000
"""Documents longer than this (characters) are not read for framings (``--max-doc-chars``):
skipped as ``too long``, each named with its length. Reading a document takes some 20-30
times its size in memory and about 2 s per million characters on a slow core (up to 15 s
where every sentence states the claim; one of 50 million, a dumped file on one line, took
1.6 GB and 74 s); a book of 3 million passes."""
TOO_LONG = "too long"
"""The skip reason of a document longer than --max-doc-chars, or a JSONL line longer than
:func:`max_line_bytes` of it (skipped unread)."""
LINE_BYTES_PER_CHAR = 12
"""Most bytes one character of a text can take in a JSONL line: a character outside the
BMP written as an escaped surrogate pair (``\\ud83d\\ude00``; ``json.dumps`` escapes all
non-ASCII by default, so Chinese text is 6 bytes a character)."""
LINE_SLACK_BYTES = 1 << 20
"""Room in a JSONL line for what is not the text (ids, URLs, metadata, JSON syntax)."""
_SKIP_BLOCK = 1 << 20
"""Bytes read at a time while the rest of a too-long line is passed over (not kept)."""
TEXT_FILES_PER_UNIT = 2000
BATCH_ROWS = 2048
BATCH_BYTES = 8 << 20
"""Text bytes a Parquet batch holds, by its row group's mean row (metadata, no data read): a
row group of a few huge values is read a row at a time, each value alone in its batch. Read
with its neighbours, pyarrow's buffer for the batch may double past a 200 MB value: reading
one in a row group of 4 rows took 544-749 MB, varying run to run; alone, 552-556 MB."""
ROW_GROUP_SLACK = 1 << 16
"""Bytes of a one-row Parquet row group's text column that are not its value (page headers,
levels, the value's length): beyond the bound by more, the value is too long unread."""
PARQUET_BUFFER = 1 << 20
"""Bytes pyarrow reads of a Parquet column chunk at a time. By default pyarrow pre-buffers
each row group's column chunks whole: a row group of 325 MB of text (pyarrow writes 1 Mi rows
to one) took 442 MB peak to read, 132 MB read page by page, no slower."""
AUDIT_WORK = "audit-units"
"""The folder of an audit's --out that holds its finished units until it ends."""
AUDIT_FILES = ("flagged.jsonl", "report.json", "summary.md", "framings.png", "sources.csv",
               "verified.jsonl", "verification.json", "verification.md", "verify-logs",
               AUDIT_WORK)
"""What audit and audit-verify write in --out: never corpus (the Markdown summaries and the
JSONL would be read as documents)."""
AUDIT_MARKERS = ("report.json", "summary.md", "flagged.jsonl")
"""Files every finished audit leaves in its --out together: a folder holding all three (or
an AUDIT_WORK folder with a plan.json, an unfinished audit's) is an audit's output folder."""


@dataclass(frozen=True)
class Doc:
    """One document of a corpus as the audit reads it: where it is, and its text."""

    where: str
    """file:line (JSONL), file#row (Parquet, Arrow) or the file path (text)."""
    text: str
    id: str | None = None
    turns: tuple[tuple[int, int, str], ...] | None = None
    """A chat's turns, (start, end, speaker) in ``text``, speaker "user", "assistant" or
    "other" (system, tool): where the messages hold both a user's and an assistant's turn,
    so the reading can take the assistant's reply as its verdict on the user's words."""


@dataclass(frozen=True)
class Unit:
    """A piece of the corpus one worker reads start to end."""

    kind: str  # jsonl | parquet | arrow | text
    path: str
    start: int = 0
    end: int = -1
    first_line: int = 1
    files: tuple[str, ...] = ()


PROBLEMS_KEPT = 200
"""Distinct problems a Skips tells apart (each with its count and first places): beyond
them a problem is counted by its reason only, so memory stays bounded on any corpus."""
PLACES_KEPT = 4
"""Places (file, line or row) kept per problem: the first is said in full, the rest listed."""
FIELDS_KEPT = 50
"""Field names kept of the rows that have no text field (the fields the user may mean)."""
EMPTY_KEPT = 20
"""Empty corpus files named in report.json (``Skips.empty_examples``); all are counted."""
EARLY_ROWS = 1000
"""Rows read from the start of a file before rows without any text field are told, while the
audit reads on (:class:`NoField`): a misspelt --text-field then shows in seconds, not once a
corpus of gigabytes has been read."""


NO_TEXT_FIELD = "missing text field"
"""The skip reason of a JSONL line, Parquet or Arrow row with neither a text field nor the
messages field, and of a Parquet or Arrow file with neither column (skipped whole, one skip):
one label for one problem, whatever the format, so reasons summed over shards add up."""
BAD_TEXT_FIELD = "bad text field"
"""The skip reason of a row whose text field (or messages field) is there but holds no text:
null, a number, an object, bytes that are not UTF-8, messages without content."""


@dataclass(frozen=True)
class NoField:
    """The start of a file without any text field (nor the messages field): its first
    EARLY_ROWS rows, or all those of its first unit where that has fewer, had
    none, or a Parquet or Arrow file has no such column. Told by ``read_unit``'s ``say`` as
    it is seen, while the audit reads on, since a misspelt --text-field would otherwise show
    only at the end of the run. Said of what was read so far: later rows may have the field
    (the end of the run counts them all)."""

    path: str
    rows: int
    """Rows read, none with a text field (a file without the column: its rows)."""
    fields: dict[str, int]
    """Field (column) -> characters of its string values in those rows (a column: 1 for a
    column of strings, else 0), the first FIELDS_KEPT names in the order met."""
    columns: bool = False
    """A Parquet or Arrow file without the column (skipped whole), not rows without it."""
    whole: bool = False
    """The rows are all the file had, not its first ones (EARLY_ROWS, or those of a first
    unit that --chunk-mb ended before them: later units are not watched)."""

    def names(self) -> list[str]:
        """The fields, those with most characters of strings first (where the text most
        likely is), else in the order met."""
        return sorted(self.fields, key=lambda n: -self.fields[n])  # stable


Say = Callable[[NoField], None]
"""What ``read_unit`` tells a :class:`NoField` to, as soon as it is seen."""


class _FirstRows:
    """Watches the rows at the start of a file until one has a text field: where none of
    the first EARLY_ROWS has one (or of all of them, at the end of the unit, where it has
    fewer) while they have other fields, ``say`` is told once. Memory: FIELDS_KEPT names."""

    def __init__(self, path: str, say: Say) -> None:
        self.path, self.say = path, say
        self.rows = 0
        self.fields: dict[str, int] = {}
        self.done = False

    def row(self, row: dict[str, Any], has_field: bool) -> None:
        if self.done:
            return
        if has_field:  # the field is there: nothing to tell
            self.done = True
            return
        self.rows += 1
        for name, chars in _field_sizes(row):
            if name in self.fields or len(self.fields) < FIELDS_KEPT:
                self.fields[name] = self.fields.get(name, 0) + chars
        if self.rows >= EARLY_ROWS:
            self._tell(whole=False)

    def end(self, whole: bool = True) -> None:
        """The unit ended: its rows, fewer than EARLY_ROWS, had no text field. ``whole``:
        they were all the file's rows; else later units (--chunk-mb) read on, unwatched, so
        this is the last chance to tell it."""
        if not self.done:
            self._tell(whole=whole)

    def _tell(self, whole: bool) -> None:
        self.done = True
        if self.rows and self.fields:  # rows of no field at all ({}) suggest nothing
            self.say(NoField(self.path, self.rows, dict(self.fields), whole=whole))


def first_of_each_reason(problems: Iterable[dict[str, Any]], most: int
                         ) -> list[dict[str, Any]]:
    """The first ``most`` problems, then the first problem of each reason none of them has:
    many problems of one kind (a binary file's lines) must not hide where the others are."""
    out: list[dict[str, Any]] = []
    reasons: set[str] = set()
    for p in problems:
        if len(out) < most or p["reason"] not in reasons:
            out.append(p)
            reasons.add(p["reason"])
    return out


@dataclass
class Skips:
    """What could not be read, counted by reason and by problem, with the first places of
    each problem: a problem that repeats (a field no row has) is described once with its
    count, not once per line."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The first PROBLEMS_KEPT problems, in the order they were first met: a problem that
    repeats line after line (``add(..., repeats=True)``: a field missing from rows, empty
    texts) is one entry whatever its places, any other one entry per place (each file is
    named). Each: {"reason", "problem" (the message without its place), "count", "where"
    (the first PLACES_KEPT places; none where the problem names its own), "no_field"
    (whether rows or files without any text field are what it skipped)}."""
    keep: int = 20
    """Problems described in ``examples`` (report.json)."""
    ignored: dict[str, int] = field(default_factory=dict)
    """Files inside the corpus folders that are not corpus formats, by suffix (".csv",
    ".jsonl.gz"): not read and not skips (a folder may hold READMEs), but reported, since a
    shard in a format the audit cannot read would otherwise go unseen."""
    no_id: dict[str, int] = field(default_factory=dict)
    """File -> documents read from it whose row has no --id-field (their flags have id
    null): not skips (the documents are read), but said once per file, since an id field
    that no row has (a typo) otherwise gives every flag a null id without a word."""
    id_fields: dict[str, int] = field(default_factory=dict)
    """Field name (a nested one by its dotted name) -> files (units) whose first row without
    the --id-field has it, for the first FIELDS_KEPT names: what the rows hold instead, so a
    misspelt --id-field gets a suggestion."""
    text_rows: int = 0
    """Rows (JSONL objects, Parquet and Arrow rows) that hold a text field or the messages
    field, its value read or not (null, a number): with none, the field asked for is in no
    row of the corpus."""
    text_field_rows: dict[str, int] = field(default_factory=dict)
    """Of several --text-field names: each name -> rows holding a text field that hold it.
    One with none is a misspelt name (``prompt,competion``), whose text the audit never
    saw while the other fields were read: said at the end, with ``text_fields_beside``."""
    text_fields_beside: dict[str, int] = field(default_factory=dict)
    """The fields (dotted names too) of the first row, per unit, that lacks one of several
    text fields, for the first FIELDS_KEPT names: what the misspelt one may mean."""
    no_field_rows: int = 0
    """Rows with neither a text field nor the messages field (skipped)."""
    no_field_files: int = 0
    """Parquet and Arrow files with neither column (skipped whole)."""
    fields_seen: dict[str, list[int]] = field(default_factory=dict)
    """Field or column name -> [rows (files) without a text field that have it, characters
    of its string values (a column of strings: 1 per file)], for the first FIELDS_KEPT
    names: what those rows hold instead, so a misspelt --text-field gets a suggestion."""
    empty_files: int = 0
    """Corpus files read to their end that held nothing: no bytes, only blank lines, a
    compressed stream of nothing, a Parquet or Arrow file of no rows, a text file of only
    whitespace, a saved dataset of no Arrow file. Not skips (nothing in them went unread),
    but counted and named, since a shard a crashed writer left empty otherwise read as
    one that was never there."""
    empty_examples: list[str] = field(default_factory=list)
    """The first EMPTY_KEPT of them (a file, or a saved dataset's folder), in unit order."""

    def add(self, reason: str, problem: str, where: str | None = None, *,
            repeats: bool = False, no_field: bool = False, like: str | None = None) -> None:
        """Count a skip: ``problem`` at ``where`` (a file, file:line or file#row; None where
        ``problem`` names its own place). ``repeats``: a problem of lines or rows, kept
        once with its count and first places, however many lines have it. ``like``: what
        makes two such problems one where their messages differ in a detail (the bad byte
        of a line that is not UTF-8): the first message is kept. Past PROBLEMS_KEPT, the
        first problem of a reason not yet kept still is, so report.json and the lines said
        name a place for every reason (one binary file's 700 bad lines hid where a
        truncated shard was)."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        key = (like or problem) if repeats or where is None else f"{where}: {problem}"
        entry = self.problems.get(key)
        if entry is None:
            if len(self.problems) >= PROBLEMS_KEPT and self._has_reason(reason):
                return
            entry = self.problems[key] = {"reason": reason, "problem": problem, "count": 0,
                                          "where": [], "no_field": no_field}
        entry["count"] += 1
        if where is not None and len(entry["where"]) < PLACES_KEPT:
            entry["where"].append(where)

    def empty(self, path: str) -> None:
        """Count a corpus file (or saved dataset) that held nothing (``empty_files``)."""
        self.empty_files += 1
        if len(self.empty_examples) < EMPTY_KEPT:
            self.empty_examples.append(path)

    def without_field(self, names: dict[str, Any], rows: int = 1) -> None:
        """A row (``rows`` = 1: its fields and values) or a file (``rows`` = 0: its columns,
        values 1 for a column of strings, 2 for one of chat messages) with no text field:
        what it holds instead."""
        if rows:
            self.no_field_rows += 1
            sizes = _field_sizes(names)
        else:
            self.no_field_files += 1
            sizes = [(name, int(value)) for name, value in names.items()]
        for name, chars in sizes:
            seen = self.fields_seen.get(name)
            if seen is None:
                if len(self.fields_seen) >= FIELDS_KEPT:
                    continue
                seen = self.fields_seen[name] = [0, 0]
            seen[0] += 1
            seen[1] += chars

    def without_id(self, names: dict[str, int]) -> None:
        """Fields a file's rows without the --id-field have (name -> files)."""
        for name, n in names.items():
            if name in self.id_fields or len(self.id_fields) < FIELDS_KEPT:
                self.id_fields[name] = self.id_fields.get(name, 0) + n

    def merge(self, other: Skips) -> None:
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        for problem, theirs in other.problems.items():
            mine = self.problems.get(problem)
            if mine is None:
                if len(self.problems) < PROBLEMS_KEPT or not self._has_reason(theirs["reason"]):
                    self.problems[problem] = {**theirs, "where": list(theirs["where"])}
                continue
            mine["count"] += theirs["count"]
            mine["where"] += theirs["where"][: max(0, PLACES_KEPT - len(mine["where"]))]
        for k, v in other.ignored.items():
            self.ignored[k] = self.ignored.get(k, 0) + v
        for k, v in other.no_id.items():  # a file read in several units is one entry
            self.no_id[k] = self.no_id.get(k, 0) + v
        self.without_id(other.id_fields)
        for k, v in other.text_field_rows.items():
            self.text_field_rows[k] = self.text_field_rows.get(k, 0) + v
        for k, v in other.text_fields_beside.items():
            if k in self.text_fields_beside or len(self.text_fields_beside) < FIELDS_KEPT:
                self.text_fields_beside[k] = self.text_fields_beside.get(k, 0) + v
        self.text_rows += other.text_rows
        self.no_field_rows += other.no_field_rows
        self.no_field_files += other.no_field_files
        self.empty_files += other.empty_files
        self.empty_examples += other.empty_examples[:max(0, EMPTY_KEPT
                                                         - len(self.empty_examples))]
        for name, (rows, chars) in other.fields_seen.items():
            seen = self.fields_seen.get(name)
            if seen is None:
                if len(self.fields_seen) >= FIELDS_KEPT:
                    continue
                seen = self.fields_seen[name] = [0, 0]
            seen[0] += rows
            seen[1] += chars

    def _has_reason(self, reason: str) -> bool:
        """Whether a problem of ``reason`` is kept (asked only past PROBLEMS_KEPT)."""
        return any(p["reason"] == reason for p in self.problems.values())

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def examples(self) -> list[str]:
        """The first place of each of the first ``keep`` problems, as one line each, and
        past them the first of each reason not yet named (where else it was)."""
        return [f"{p['where'][0]}: {p['problem']}" if p["where"] else p["problem"]
                for p in first_of_each_reason(self.problems.values(), self.keep)]

    @property
    def field_in_no_row(self) -> bool:
        """Whether rows (or files) were skipped for want of a text field and no row of the
        corpus had one: the field asked for is misspelt, or the corpus keeps its text
        under another name."""
        return not self.text_rows and bool(self.no_field_rows or self.no_field_files)

    def fields_instead(self) -> list[str]:
        """The fields of the rows without a text field, those with most characters of
        string values first (where the text most likely is), then by how many rows have
        them."""
        return sorted(self.fields_seen, key=lambda n: (-self.fields_seen[n][1],
                                                       -self.fields_seen[n][0]))  # stable


@dataclass(frozen=True)
class Fields:
    """Which fields of a record the audit reads (``--text-field`` and the like)."""

    text: str = "text"
    """Field (JSONL key or column) holding the document text; several, comma-separated
    ("prompt,completion", "instruction,input,output"), are joined by blank lines in that
    order, as finetuning sets split one example over fields."""
    messages: str = "messages"
    """Chat field used when the text fields are absent: contents joined by blank lines."""
    id: str = "id"

    @property
    def texts(self) -> list[str]:
        """The text fields, in order."""
        return list(dict.fromkeys(f.strip() for f in self.text.split(",") if f.strip()))


def csv_to_parquet(path: str) -> str:
    """The one line that writes a CSV or TSV file (``path``, a name alike where it stands
    for several) as the Parquet file the audit reads, with pyarrow, which reads Parquet
    for it: a pipeline's CSV export was only "not JSONL, Parquet, Arrow or text". "" for
    other files."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or suffix.lower() not in ("csv", "tsv"):
        return ""
    tab = ", parse_options=c.ParseOptions(delimiter='\\t')" if suffix.lower() == "tsv" else ""
    return (f"a {suffix.upper()} is read once written as Parquet: python -c \"import "
            f"pyarrow.csv as c, pyarrow.parquet as p; p.write_table(c.read_csv({path!r}{tab}), "
            f"{stem + '.parquet'!r})\"")


def max_line_bytes(max_chars: int) -> int:
    """The longest JSONL line read for ``max_chars`` (--max-doc-chars): one whose text has
    ``max_chars`` characters, each written as 12 bytes at most, with LINE_SLACK_BYTES
    beside. A longer line cannot hold a document the audit reads, so it is passed over in
    blocks, never held whole: readline and json.loads of a 200 MB line took some 3-4 times
    its size before its length was known."""
    return LINE_BYTES_PER_CHAR * max_chars + LINE_SLACK_BYTES


def _skip_line(f: Any) -> tuple[int, bool]:
    """Read ``f`` up to and including the next newline (or its end) in blocks that are not
    kept: the bytes read, and whether a newline ended them."""
    n = 0
    while block := f.readline(_SKIP_BLOCK):
        n += len(block)
        if block.endswith(b"\n"):
            return n, True
    return n, False


def _newline_offsets(path: Path, chunk: int) -> list[tuple[int, int, int]]:
    """(start, end, first line) ranges of about ``chunk`` bytes ending at newlines; one
    of an empty file, a unit of no rows (with none, a corpus of empty files was said to
    have no file in it)."""
    size = path.stat().st_size
    if not size:
        return [(0, 0, 1)]
    ranges, start, line = [], 0, 1
    with path.open("rb") as f:
        while start < size:
            f.seek(min(size, start + chunk))
            _skip_line(f)  # (a line of GBs there is not held whole)
            end = min(size, f.tell()) if start + chunk < size else size
            f.seek(start)
            lines, left = 0, end - start
            while left > 0:
                block = f.read(min(left, 1 << 24))
                lines += block.count(b"\n")
                left -= len(block)
            ranges.append((start, end, line))
            start, line = end, line + lines
    return ranges


def _is_hf_dataset(path: Path) -> bool:
    return (path / "state.json").is_file() or (path / "dataset_dict.json").is_file()


def audit_output(folder: str | os.PathLike[str], names: Iterable[str]) -> list[str]:
    """The markers that make ``folder`` (holding ``names``) an audit's output folder, a
    finished audit's or an unfinished one's, or [] where it is none: an earlier audit's
    --out inside the corpus is no corpus (its flagged.jsonl and summaries would be read)."""
    names = set(names)
    if names.issuperset(AUDIT_MARKERS):
        return list(AUDIT_MARKERS)
    plan = os.path.join(AUDIT_WORK, "plan.json")
    if AUDIT_WORK in names and os.path.isfile(os.path.join(folder, plan)):
        return [plan]
    return []


def _hf_splits(path: Path) -> list[Path] | None:
    """The split folders of a DatasetDict saved with ``save_to_disk``, or None where
    ``path`` is a Dataset."""
    if not (path / "dataset_dict.json").is_file():
        return None
    splits = json.loads((path / "dataset_dict.json").read_text())["splits"]
    return [path / _inside(s, "dataset_dict.json: splits") for s in splits]


def _inside(name: object, field: str) -> str:
    """``name`` where it is a name inside a saved dataset's folder, as ``datasets`` writes
    it, else ValueError: a ``state.json`` or ``dataset_dict.json`` from elsewhere that names
    an absolute path or climbs out (``../../other``) would have had the audit read, and flag
    into ``flagged.jsonl``, another dataset on this disk."""
    if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"{field} names {name!r}, not a file inside the dataset's folder")
    return name


def _hf_arrow_files(path: Path) -> list[Path]:
    """Arrow files of a Dataset saved with ``save_to_disk`` (a DatasetDict's split), each
    inside its folder (:func:`_inside`)."""
    state = json.loads((path / "state.json").read_text())
    return [path / _inside(f["filename"], "state.json: _data_files")
            for f in state.get("_data_files", [])]


_COMPRESSED = (*COMPRESSED_SUFFIXES, ".zip")


def _suffix(p: Path) -> str:
    """A file's kind by its name: ".csv", or ".csv.gz" for a compressed file."""
    if p.suffix.lower() in _COMPRESSED and len(p.suffixes) > 1:
        return "".join(p.suffixes[-2:]).lower()
    return p.suffix.lower() or "(no suffix)"


_IN = 1 << 16
"""Compressed bytes given to a decompressor at a time."""
_IN_ZSTD = 1 << 8
"""zstd's first step: its decompressor takes no bound on its output (a KiB of the most
compressible data decodes to some 30 MB), so each step's input is sized from the ratio the
step before it saw, to decode to about _OUT."""
_OUT = 1 << 20
"""Most bytes one step of a gzip, bzip2 or xz decompressor returns."""


class _Decompressed(io.RawIOBase):
    """A compressed file's bytes, stream after stream (gzip members, bzip2 and xz streams,
    zstd frames: writers join them end to end), in memory bounded whatever the ratio.

    Python's own readers end without a word at bytes after a bzip2 or xz stream that are no
    stream (a corrupt later stream, its documents lost), and zstandard's at a file cut inside
    a frame; this reader raises there (EOFError where the data stops short, the codec's error
    where it is corrupt), so the shard counts as broken, its lines before the break kept. A
    file of no bytes at all reads as no bytes: an empty shard (its writer wrote nothing), as
    an empty plain file is, not a broken one; one cut short after its first byte is broken."""

    def __init__(self, path: str, kind: str) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._kind = kind
        self._dec: Any = None  # the stream being read; None between streams
        self._input = b""  # compressed bytes no decompressor has taken yet
        self._out = memoryview(b"")
        self._streams = 0
        self._zstd_in = _IN_ZSTD

    def readable(self) -> bool:
        return True

    def _take(self, size: int = _IN) -> bytes:
        if not self._input:
            return self._file.read(size)
        data, self._input = self._input[:size], self._input[size:]
        return data

    def _open(self) -> bool:
        """Start the next stream; False at the clean end of the file."""
        data = self._take(_IN_ZSTD if self._kind == ".zst" else _IN)  # the stream's start
        if self._kind == ".gz" and self._streams:  # zero padding after a member is allowed
            while data and not data.strip(b"\0"):
                data = self._take()
            data = data.lstrip(b"\0")
        if not data:  # the end (of a file of no bytes too: empty, not broken)
            return False
        self._input = data + self._input  # given to the new stream's decompressor
        self._streams += 1
        if self._kind == ".gz":
            self._dec = zlib.decompressobj(31)  # one gzip member, its checksum checked
        elif self._kind == ".bz2":
            self._dec = bz2.BZ2Decompressor()
        elif self._kind == ".xz":
            self._dec = lzma.LZMADecompressor()
        else:
            import zstandard

            self._dec = zstandard.ZstdDecompressor().decompressobj()
        return True

    def _step(self) -> bytes | None:
        """The next bytes out (maybe none yet); None at the clean end of the file."""
        if self._dec is None and not self._open():
            return None
        d = self._dec
        if self._kind == ".gz":
            data = d.unconsumed_tail or self._take()
        elif self._kind == ".zst":
            data = self._take(self._zstd_in)
        else:  # bzip2, xz: input only when the decompressor has used what it holds
            data = self._take() if d.needs_input else b""
        if not data and (self._kind in (".gz", ".zst") or d.needs_input):
            raise EOFError("the file ends inside a compressed stream (cut short)")
        if self._kind == ".zst":
            out = d.decompress(data)
            ratio = max(1.0, len(out) / len(data))
            self._zstd_in = int(min(_IN, max(_IN_ZSTD, _OUT / ratio)))
        else:
            out = d.decompress(data, _OUT)
        if d.eof:  # what follows the stream must be another
            self._input, self._dec = d.unused_data + self._input, None
        return out

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            out = self._step()
            if out is None:
                return 0
            self._out = memoryview(out)
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def _compression(path: str) -> str | None:
    """The compression suffix of a file name, if it has one the audit reads."""
    return next((c for c in COMPRESSED_SUFFIXES if path.lower().endswith(c)), None)


def _misnamed(path: str) -> str:
    """For a compressed file broken from its start: what its first bytes are where that
    is not what its name says (a zstd shard named .gz, a plain one named .gz), with the
    name to give it; "" where they match its name or say nothing."""
    kind = _compression(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return ""
    if kind is None or not head:
        return ""
    base = path[: -len(kind)]
    for magic, name, suffix in _MAGIC:
        if head.startswith(magic):
            real = "." + suffix.rpartition(".")[2]  # (.gz, .zst, ..., .parquet)
            if real == kind:
                return ""
            named = base.rpartition(".")[0] + real if real == ".parquet" else base + real
            return f"; it is {name} data: name it {named}"
    if head.lstrip()[:1] in (b"{", b"[") or head.isascii():
        return f"; it is not compressed: name it {base}"
    return ""


def open_stream(path: str) -> Any:
    """A file's bytes, decompressed as they are read where its name says it is compressed."""
    c = _compression(path)
    return io.BufferedReader(_Decompressed(path, c), 1 << 20) if c else \
        open(path, "rb")  # noqa: SIM115 - the caller's


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What a broken compressed stream raises (truncated: EOFError; corrupt: the rest)."""
    import zstandard

    return OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError


def expand_patterns(paths: Iterable[str | Path]) -> list[str | Path]:
    """The corpus paths with each wildcard pattern that names no file itself
    (``'shards/*.jsonl.zst'``, ``'data/**/train-*.parquet'``: quoted, or given where no
    shell expands it, as a pipeline's config does, or past the shell's limit on arguments)
    replaced by the paths it matches, in name order; a pattern that matches nothing is
    kept, to be named as missing."""
    import glob

    out: list[str | Path] = []
    for p in paths:
        if glob.has_magic(str(p)) and not os.path.lexists(p):
            out += sorted(glob.glob(str(p), recursive=True)) or [p]
        else:
            out.append(p)
    return out


def _no_such(p: Path) -> str:
    """Why a corpus path that does not exist is no path, a pattern's nothing matched; ``-``,
    standard input to many tools, said "no such file or directory" and not that the audit
    reads no stream (it reads its corpus by path: to cut it into units, to resume, and for
    audit-verify to read the flagged texts again)."""
    import glob

    if str(p) == "-":
        return ("no such file; the audit does not read standard input: it reads the corpus "
                "by path, to resume an interrupted run and for audit-verify to read the "
                "flagged texts again; write the stream to a file first, or name the shards "
                "(compressed ones are read as they are: 'shards/*.jsonl.zst')")
    from beliefbench.not_found import where_missing  # only where missing

    if glob.has_magic(str(p)):
        # a misspelt folder before the wildcard ('shard/*.jsonl' for shards/) is the usual
        # cause; it was said only "matches no file", where a misspelt path names close names
        return f"a pattern that matches no file{where_missing(p, pattern=True)}"
    # 'shard/x/a.jsonl' for shards/: shard named, as every command names a missing folder;
    # a corpus path names a file or a folder of shards: the close names of either
    return f"no such file or directory{where_missing(p, files=None, skip='.stats.json')}"


def _not_json_lines(path: Path) -> str | None:
    """Why a ``.json`` file named as corpus is no JSON Lines (an array, an object over
    several lines), or None where it is: ``datasets``' ``Dataset.to_json`` writes JSON
    Lines under that name by default, and such an export was refused as an unknown file
    type. Its first line must be one JSON object ({ ... }); only that line is read."""
    try:
        with open_stream(str(path)) as f:
            head = f.readline(1 << 20)
            while head and not head.strip():
                head = f.readline(1 << 20)
    except _stream_errors():
        return None  # the JSONL reader names what is wrong with it
    if _wide(head, "file"):
        return None  # UTF-16 or UTF-32: the JSONL reader names its encoding
    head = head.removeprefix(_BOM).strip()
    if not head or (head.startswith(b"{") and (head.endswith(b"}") or len(head) >= 1 << 20)):
        return None
    shape = ("a JSON array, " if head.startswith(b"[") else
             "a JSON object over several lines, " if head.startswith(b"{") else "")
    # the converted file beside the array (it went to the folder the audit ran in, where
    # an audit of the corpus folder never finds it), and quoted as a shell reads it
    fix = (f"; as JSON Lines (jq -c '.[]' {shlex.quote(str(path))} > "
           f"{shlex.quote(str(path.with_suffix('.jsonl')))}) it is read"
           if head.startswith(b"[") and path.suffix == ".json" else "")
    return f"{shape}not JSON Lines (one object a line); file skipped{fix}"


def missing_paths(paths: Iterable[str | Path]) -> list[str]:
    """Each path that does not exist, as "PATH: why" (no such file or directory, or a link
    that leads nowhere), in order: where every corpus path given is one, there is nothing
    to read (a path that cannot be reached, in a folder that cannot be entered, does exist:
    plan_units skips it as unreadable)."""
    out = []
    for raw in expand_patterns(paths):
        p = Path(raw)
        try:
            if p.exists():
                continue
        except OSError:
            continue
        out.append(f"{p}: {broken_link(p) or _no_such(p)}")
    return out


def plan_units(paths: list[str | Path], skips: Skips, chunk_bytes: int = CHUNK_BYTES,
               exclude: Iterable[str | Path] = ()) -> list[Unit]:
    """Expand files and folders into units; unreadable or unknown paths named by the user
    are skipped, other files inside folders (READMEs, compressed shards) counted as
    ignored; beliefbench's own ``.stats.json`` sidecars are neither.

    Each file or saved dataset is planned once, however often it is named (twice, or
    itself and through its folder or a link). Links inside folders are followed (a loop
    once); one that leads nowhere is a skip. ``exclude``: files and folders inside the
    folders that are not corpus (an audit's own outputs where --out lies inside the corpus).
    """
    units: list[Unit] = []
    texts: list[str] = []
    seen: set[str] = set()
    ignored_files: dict[str, str] = {}
    """Files in folders of no corpus kind (real path -> suffix), counted once at the end."""
    left_out = [os.path.realpath(x) for x in exclude]

    def first_time(p: Path) -> bool:
        real = os.path.realpath(p)
        if real in seen:
            return False
        seen.add(real)
        return True

    def add_dataset(d: Path) -> None:
        if not first_time(d):
            return
        try:
            splits = _hf_splits(d)
            if splits is None:
                files = _hf_arrow_files(d)
                if not files:  # datasets saves a dataset of no rows with no Arrow file
                    skips.empty(str(d))
                # a file named too (its split, its Arrow file, a pattern's match) is read once
                units.extend(Unit("arrow", str(f)) for f in files if first_time(f))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            skips.add("unreadable file", f"not a readable saved dataset (its state.json "
                                         f"or dataset_dict.json: {type(e).__name__}: "
                                         f"{e})", str(d))
            return
        for split in splits or ():  # each on its own: a split that is gone skips itself only
            add_dataset(split)

    def add_file(p: Path, named: bool = True) -> None:
        if not first_time(p):
            return
        if not p.is_file():
            skips.add("not a regular file", "not a regular file (a pipe, socket or device); "
                                            "not read", str(p))
            return
        name = p.name.lower()
        compression = _compression(name)
        if compression:
            name = name[: -len(compression)]
        if named and name.endswith(".json"):  # JSON Lines as datasets' to_json names them
            why = _not_json_lines(p)
            if why:
                skips.add("not JSON Lines", why, str(p))
                return
            name += "l"  # read as the JSONL it is
        if compression and name.endswith(JSONL_SUFFIXES):
            units.append(Unit("jsonl", str(p)))  # read start to end: no byte ranges
        elif name.endswith(JSONL_SUFFIXES):
            try:
                units.extend(Unit("jsonl", str(p), a, b, line)
                             for a, b, line in _newline_offsets(p, chunk_bytes))
            except OSError as e:
                skips.add("unreadable file", f"cannot read: {e.strerror or e}", str(p))
        elif name.endswith(PARQUET_SUFFIXES) and not compression:
            units.append(Unit("parquet", str(p)))
        elif name.endswith(".arrow") and not compression:
            units.append(Unit("arrow", str(p)))
        elif name.endswith(TEXT_SUFFIXES):
            texts.append(str(p))
        elif named:
            known = ", ".join((*JSONL_SUFFIXES, ".json (JSON Lines)", *PARQUET_SUFFIXES,
                               ".arrow", *TEXT_SUFFIXES))
            convert = csv_to_parquet(str(p))
            skips.add("unknown file type", f"not JSONL, Parquet, Arrow or text ({known}; "
                                           f"JSONL and text may end in "
                                           f"{', '.join(COMPRESSED_SUFFIXES)})"
                                           + (f"; {convert}" if convert else ""), str(p))
        elif compression or not name.endswith(".stats.json"):  # in a folder: counted, not skipped
            # counted at the end, unless a link of a corpus kind reads the same file: an
            # HF hub cache's blobs/<sha> (no suffix) came before snapshots/*/train.jsonl
            # pointing at it, and as "seen" hid it: nothing of the dataset was read
            real = os.path.realpath(p)
            seen.discard(real)
            ignored_files.setdefault(real, _suffix(p))

    def outside(p: str) -> bool:
        real = os.path.realpath(p)
        return not any(real == x or real.startswith(x + os.sep) for x in left_out)

    own = {os.path.dirname(x) for x in left_out}
    """This run's --out (the folder of the excluded files): its own files are left out
    without a note."""

    def unreadable_folder(e: OSError) -> None:
        """os.walk's onerror: a folder that cannot be listed is a skip, as a file is."""
        skips.add("unreadable folder", f"cannot read the folder ({e.strerror or e}); "
                                       f"nothing under it was read", str(e.filename))

    def add_found(f: Path, files: list[Path]) -> None:
        """A file named in a folder: kept in ``files``, or a skip where it leads nowhere or
        cannot be reached (Path.exists raises on a permission error)."""
        try:
            os.stat(f)
        except OSError as e:
            if link := broken_link(f):
                skips.add("broken link", f"{f}: {link}; not read")
            else:
                skips.add("unreadable file", f"cannot read: {e.strerror or e}", str(f))
        else:
            files.append(f)

    def walk(root: Path) -> None:
        """Files (in path order) and saved datasets under ``root``; hidden names passed over,
        and an audit's own files (in an earlier audit's output folder, with a note)."""
        if not first_time(root):
            return
        files: list[Path] = []
        datasets: list[Path] = []
        visited: set[str] = set()
        for top, dirs, names in os.walk(root, followlinks=True, onerror=unreadable_folder):
            real = os.path.realpath(top)
            if real in visited or not outside(top):
                dirs[:] = []
                continue
            visited.add(real)
            here = Path(top)
            try:  # a folder listed but not entered (r--) fails here, on its first stat
                dataset = here != root and _is_hf_dataset(here)
            except OSError as e:  # named by the folder: its files are what was not read
                unreadable_folder(OSError(e.errno, e.strerror, str(here)))
                dirs[:] = []
                continue
            if dataset:  # its Arrow files, nothing else under it
                datasets.append(here)
                dirs[:] = []
                continue
            markers = audit_output(here, [*names, *dirs])
            if markers and real not in own:
                theirs = [n for n in AUDIT_FILES if n in names or n in dirs]
                skips.add("audit output", f"an audit's output folder (it holds "
                                          f"{', '.join(markers)}); its own files "
                                          f"({', '.join(theirs)}) are not read as corpus",
                          str(here))
                dirs[:] = [d for d in dirs if d not in AUDIT_FILES]
                names = [n for n in names if n not in AUDIT_FILES]
            # in name order, not the listing's: of a folder linked under several names, the
            # first walked is the one its documents are named by
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):  # skips (broken links) in name order too
                f = here / name
                if name.startswith(".") or not outside(str(f)):
                    continue
                add_found(f, files)
        for f in sorted(files):
            add_file(f, named=False)
        for d in sorted(datasets):
            add_dataset(d)

    noted: set[str] = set()

    def audit_file(p: Path) -> bool:
        """Whether ``p``, matched by a pattern ('data/**/*.jsonl'), is an audit's own file
        (this run's --out, or an earlier audit's output folder, named once): a pattern
        run again matched its own flagged.jsonl and audit-units as corpus (and --resume
        refused, its corpus changed)."""
        if not outside(str(p)):
            return True
        for d, name in ((p.parent, p.name), (p.parent.parent, p.parent.name)):
            try:
                markers = audit_output(d, os.listdir(d)) if name in AUDIT_FILES else []
            except OSError:
                continue
            if markers:
                real = os.path.realpath(d)
                if real not in own and real not in noted:
                    noted.add(real)
                    skips.add("audit output", f"an audit's output folder (it holds "
                                              f"{', '.join(markers)}); its own files are "
                                              f"not read as corpus", str(d))
                return True
        return False

    named = {str(x) for x in paths}
    for raw in expand_patterns(paths):  # a quoted 'shards/*.jsonl': the files it matches
        p = Path(raw)
        # a pattern's match that is an audit's own file, or the stats sidecar `docs
        # generate` writes beside each file ('audit-demo/*'), as a folder passes it over
        if str(raw) not in named and (audit_file(p) or p.name.endswith(".stats.json")):
            continue
        try:  # a path whose folder cannot be entered raises here (Path.exists does)
            exists = p.exists()
        except OSError as e:
            skips.add("unreadable file", f"cannot read: {e.strerror or e}", str(p))
            continue
        try:
            dataset = exists and p.is_dir() and _is_hf_dataset(p)
        except OSError as e:  # a folder listed but not entered (r--)
            unreadable_folder(OSError(e.errno, e.strerror, str(p)))
            continue
        if not exists:
            link = broken_link(p)
            skips.add("broken link" if link else "missing path", link or _no_such(p), str(p))
        elif dataset:
            add_dataset(p)
        elif p.is_dir():
            walk(p)
        else:
            add_file(p)
    for i in range(0, len(texts), TEXT_FILES_PER_UNIT):
        chunk = tuple(texts[i:i + TEXT_FILES_PER_UNIT])
        units.append(Unit("text", chunk[0], files=chunk))
    for real, kind in ignored_files.items():
        if real not in seen:  # not read under another name either
            skips.ignored[kind] = skips.ignored.get(kind, 0) + 1
    return units


def json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words, for messages ("a list, not an object")."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _content_text(content: Any) -> str | None:
    """A message's text: a string, or the text parts of a list of content parts
    ({"type": "text", "text": ...}, as chat APIs write them; images and the like dropped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [c.get("text") for c in content if isinstance(c, dict)]
        texts = [t for t in texts if isinstance(t, str)]
        return "\n\n".join(texts) if texts else None
    return None


def _message_content(message: dict[str, Any]) -> Any:
    """A chat message's content: ``content`` (OpenAI's ``{"role", "content"}``), else
    ShareGPT's ``value`` (``{"from": "human", "value": ...}``, as many finetuning sets on
    the Hub store their ``conversations``)."""
    content = message.get("content")
    return message.get("value") if content is None else content


def _chat_text(messages: Any) -> str | None:
    """The messages' texts joined. A chat of no messages (``[]``), or of messages whose
    content is an empty list of parts, is an empty text, as one of empty turns is: it was
    a ``bad text field``, unread input that failed a ``--max-skipped 0`` gate where
    ``{"text": ""}`` passed."""
    return _chat(messages)[0]


_ASSISTANT_ROLES = frozenset({"assistant", "gpt", "model", "bot", "chatbot", "ai", "chatgpt"})
_USER_ROLES = frozenset({"user", "human", "prompter"})
"""Speakers of OpenAI's ``role`` and ShareGPT's ``from`` (``human``, ``gpt``)."""


def _speaker(message: dict[str, Any]) -> str:
    """"user", "assistant" or "other" (system, tool, function, an unknown role)."""
    role = message.get("role")
    if role is None:
        role = message.get("from")
    role = role.lower() if isinstance(role, str) else ""
    return ("assistant" if role in _ASSISTANT_ROLES else "user" if role in _USER_ROLES
            else "other")


def _chat(messages: Any) -> tuple[str | None, tuple[tuple[int, int, str], ...] | None]:
    """(:func:`_chat_text`'s text, its turns as ``Doc.turns`` holds them, None where the
    chat lacks a user's or an assistant's turn)."""
    if not isinstance(messages, list):
        return None, None
    parts = [(_content_text(_message_content(m)), m) for m in messages if isinstance(m, dict)]
    parts = [(p, m) for p, m in parts if p is not None]
    if parts:
        turns, at = [], 0
        for p, m in parts:
            turns.append((at, at + len(p), _speaker(m)))
            at += len(p) + 2
        speakers = {k for _, _, k in turns}
        return ("\n\n".join(p for p, _ in parts),
                tuple(turns) if {"user", "assistant"} <= speakers else None)
    empty = all(isinstance(m, dict) and _message_content(m) == [] for m in messages)
    return ("" if empty else None), None


def _row_text(row: dict[str, Any], fields: Fields
              ) -> tuple[str | None, tuple[tuple[int, int, str], ...] | None, str | None]:
    """(text, a chat's turns, problem): the text fields joined (those the row has), else the
    chat messages joined (their turns, :func:`_chat`). JSONL lines and Parquet or Arrow rows
    all come through here. A field's name may be a dotted path into nested objects
    (:func:`field_value`)."""
    values = [(name, field_value(row, name)) for name in fields.texts]
    for k, (name, value) in enumerate(values):
        if isinstance(value, bytes):  # a Parquet or Arrow binary column: text without its
            try:  # UTF-8 annotation, as Hive, Impala and older Spark write strings
                values[k] = name, value.decode("utf-8")
            except UnicodeDecodeError as e:  # (a Latin-1 export: its word, as a line's)
                word = _legacy_word(value, e.start)
                return None, None, (f"field {name!r} is bytes, not UTF-8 text (byte "
                             f"0x{value[e.start]:02x} at offset {e.start} of its value"
                             + (f": {word!r} in Windows-1252, Latin-1's superset; if the "
                                f"column is in that encoding, write it as UTF-8 strings"
                                if word else "") + ")")
        elif value is not None and value is not MISSING and not isinstance(value, str):
            return None, None, _not_a_string(name, value)
    present = [value for _, value in values if value is not None and value is not MISSING]
    if present:
        return "\n\n".join(v for v in present if v), None, None
    messages = field_value(row, fields.messages)
    if messages is not None and messages is not MISSING:
        text, turns = _chat(messages)
        if text is not None:
            return text, turns, None
        if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
            # a list of messages, none with text: not a field of another shape
            return None, None, (f"field {fields.messages!r} holds no text (no message has a "
                          f"string content, text parts or ShareGPT's value: null, or images "
                          f"only)")
        return None, None, (f"field {fields.messages!r} is not a list of messages with content "
                      f"(or ShareGPT's value)")
    nulls = [name for name, value in values if value is None]  # there, but null
    if messages is None:  # a null messages field (a Parquet row's): not "no 'messages'"
        nulls.append(fields.messages)
    if nulls:
        return None, None, (f"field{'s' if len(nulls) > 1 else ''} {', '.join(map(repr, nulls))} "
                      f"{'are' if len(nulls) > 1 else 'is'} null"
                      + ("" if messages is None else f" (and no {fields.messages!r})"))
    return None, None, f"missing {_field_names(fields)}"


MISSING: Any = object()
"""What :func:`field_value` gives for a field the row does not have (None: it is null)."""


def field_value(row: dict[str, Any], name: str) -> Any:
    """The value of field ``name`` in ``row``, MISSING where the row has none: a key as it
    is, else a dotted path into nested objects ("content.text" of ``{"content": {"text":
    ...}}``, a Parquet struct column's field), as pipelines nest the text beside their
    metadata. A null on the way is the field's null."""
    if name in row:
        return row[name]
    if "." not in name:
        return MISSING
    value: Any = row
    for part in name.split("."):
        if value is None:
            return None
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _not_a_string(name: str, value: Any) -> str:
    """Why a text field's value is no text, with what to give instead where it holds text:
    an object's string field (by a dotted name), a list of chat messages (--messages-field)."""
    what = f"field {name!r} is {type(value).__name__}, not a string"
    if isinstance(value, dict):
        inner = [(f"{name}.{k}", n) for k, n in _field_sizes(value) if n]
        if inner:
            best = max(inner, key=lambda x: x[1])[0]
            return f"{what} (a nested field is named with dots: --text-field {best}?)"
    elif value and _chat_text(value) is not None:  # ([] is no sign of messages)
        return f"{what} (a list of chat messages: --messages-field {name}?)"
    return what


CHAT = "chat"
"""The kind :func:`_field_sizes` gives a field that holds chat messages."""


def _field_sizes(row: dict[str, Any], prefix: str = "", depth: int = 3
                 ) -> list[tuple[str, int]]:
    """Each field of ``row`` with the characters of its string value (0 for other values),
    and the string fields of its nested objects by dotted names ("content.text"), up to
    ``depth`` levels: where a row has no text field, what it holds instead. A field of chat
    messages counts the characters of their text, its name ending in ``[chat]``. An object
    with string fields is named by them alone: it is no text field itself ("is dict, not a
    string"), and "'meta', 'meta.genre'" read as two fields."""
    out: list[tuple[str, int]] = []
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, str):
            out.append((name, len(value)))
            continue
        inner = ([x for x in _field_sizes(value, f"{name}.", depth - 1) if x[1]]
                 if isinstance(value, dict) and depth > 1 else [])
        if inner:
            out += inner
            continue
        chat = _chat_text(value) if isinstance(value, list) else None
        out.append((f"{name}[{CHAT}]", len(chat)) if chat else (name, 0))
    return out


def _field_paths(row: dict[str, Any], prefix: str = "", depth: int = 3) -> list[str]:
    """The names of ``row``'s fields, and of its nested objects' fields by dotted names
    ("meta.id"), up to ``depth`` levels: what an --id-field may name."""
    out: list[str] = []
    for key, value in row.items():
        out.append(f"{prefix}{key}")
        if isinstance(value, dict) and depth > 1:
            out += _field_paths(value, f"{prefix}{key}.", depth - 1)
    return out


def _field_names(fields: Fields) -> str:
    """"text field 'text' (and no 'messages')", for the message of a row that has neither."""
    names = ", ".join(map(repr, fields.texts))
    return (f"text field{'s' if len(fields.texts) > 1 else ''} {names} (and no "
            f"{fields.messages!r})")


def _text_row(row: dict[str, Any], fields: Fields, skips: Skips,
              first: _FirstRows | None = None, names: Iterable[str] = ()) -> bool:
    """Count a row in ``skips`` as one that has a text field or the messages field (its
    value read or not), or as one without either (its fields noted): True for the latter.
    ``first``: the watch on the rows at the start of a file, told of the row. Of several
    text fields, which the row holds (``text_field_rows``); ``names``: the fields of a
    Parquet or Arrow row that were not read, named with the row's where it lacks one."""
    texts = fields.texts
    there = [field_value(row, name) is not MISSING for name in texts]  # (each looked up once)
    has_field = any(there) or field_value(row, fields.messages) is not MISSING
    if has_field:
        skips.text_rows += 1
        if len(texts) > 1:
            held = skips.text_field_rows
            for name, has in zip(texts, there, strict=True):
                held[name] = held.get(name, 0) + has
            if not all(there) and not skips.text_fields_beside:
                # (a column beside the row's own dotted names for it: those alone)
                seen = list(dict.fromkeys([*names, *(n.removesuffix(f"[{CHAT}]")
                                                     for n, _ in _field_sizes(row))]))
                skips.text_fields_beside = dict.fromkeys(
                    [n for n in seen if not any(m.startswith(f"{n}.") for m in seen)
                     ][:FIELDS_KEPT], 1)
    else:
        skips.without_field(row)
    if first is not None:  # (told with the row counted)
        first.row(row, has_field)
    return not has_field


def _id_text(value: Any) -> str | None:
    """A document's id as text: a string as it is, a number, boolean, list or object in
    JSON (``true``, ``{"shard": 3}``), not in Python's spelling (``True``, ``{'shard': 3}``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, list, dict)):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):  # a Parquet list of dates, ...
            pass
    return str(value)


def _bad_data(e: BaseException, path: str) -> bool:
    """Whether ``e`` is a compressed file's bad data (cut short, corrupt, not compressed as
    its name says), not the file system's error (an OSError with an errno)."""
    return bool(_compression(path)) and not (isinstance(e, OSError) and e.errno is not None)


_BOM = b"\xef\xbb\xbf"
"""UTF-8's byte-order mark: a JSONL or text file written by some Windows tools starts with
it."""


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))
"""Byte-order marks of UTF-16 and UTF-32 (Windows tools' "Unicode" text), longest first."""


def _wide(head: bytes, what: str) -> str | None:
    """Why a file that starts with ``head`` is skipped whole, where it is UTF-16 or UTF-32
    text (by its byte-order mark, or without one by its NULs): read line by line, such a
    file gave one "not UTF-8" and then a "not JSON" per line, naming neither the file's
    encoding nor the fix."""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            return (f"{name} text (it starts with {name}'s byte-order mark), not UTF-8; "
                    f"{what} skipped: re-encode it as UTF-8 (iconv -f {name} -t UTF-8)")
    name = _wide_without_bom(head[:_HEAD]) if b"\0" in head[:_HEAD] else None
    if name:
        return (f"{name} text (no byte-order mark, but a NUL byte beside each character), "
                f"not UTF-8; {what} skipped: re-encode it as UTF-8 (iconv -f {name} -t UTF-8)")
    return None


_WIDE_NULS = (((1, 3), "UTF-16LE"), ((0, 2), "UTF-16BE"), ((1, 2, 3), "UTF-32LE"),
              ((0, 1, 2), "UTF-32BE"))
"""The byte columns (offset mod 4) that hold NULs in UTF-16 or UTF-32 text of Latin script
(the high bytes of each character), by encoding."""


def _wide_without_bom(head: bytes) -> str | None:
    """The encoding of ``head`` where it is UTF-16 or UTF-32 text without a byte-order mark:
    NULs in the high-byte columns (spaces and punctuation at least, whatever the script) and
    almost none in the others. Such a text file is valid UTF-8, its NULs included: it was
    read as one document of no words, and a corpus that holds the claim passed as clean. A
    run of NULs (a crashed writer's padding) fills every column, binary data none in step."""
    n = len(head) // 4
    if n < 4:  # (16 bytes: a few NULs of a short line are no pattern)
        return None
    shares = [head[i:4 * n:4].count(0) / n for i in range(4)]
    for columns, name in _WIDE_NULS:
        if all(shares[i] >= 0.1 if i in columns else shares[i] <= 0.02 for i in range(4)):
            return name
    return None


_HEAD = 4096
"""Bytes at a file's start looked at for binary data."""

_MAGIC = ((b"\x1f\x8b", "gzip", ".jsonl.gz"), (b"\x28\xb5\x2f\xfd", "zstd", ".jsonl.zst"),
          (b"BZh", "bzip2", ".jsonl.bz2"), (b"\xfd7zXZ\x00", "xz", ".jsonl.xz"),
          (b"PAR1", "Parquet", ".parquet"))
"""Formats the audit reads, by their first bytes: a shard named as plain JSONL that is one
of these is told how to name it."""


_CONTROLS = bytes(b for b in range(1, 32) if b not in b"\t\n\r\f")
"""Control bytes that text does not hold (binary data: about 10% of its bytes), NUL aside: a
run of NULs (the padding a crashed writer leaves in a JSONL shard) is no binary data."""


def _binary(head: bytes, what: str) -> str | None:
    """Why a file that starts with ``head`` is skipped whole, where it is binary data: a NUL
    byte, and other control bytes more than 2% of its first bytes (a stray NUL, or a run of
    them, in a JSONL file skips its lines only, as before). Read line by line, a binary file
    gave one skip per line, hundreds of distinct problems that hid every other file's."""
    head = head[:_HEAD]
    if b"\0" not in head or _wide(head, what) or \
            len(head) - len(head.translate(None, _CONTROLS)) <= 0.02 * len(head):
        return None
    hint = next((f"; it is {name} data: name it {suffix}" for magic, name, suffix in _MAGIC
                 if head.startswith(magic)), "")
    return (f"binary data (a NUL byte in its first {_HEAD // 1024} KB), not UTF-8 text; "
            f"{what} skipped{hint}")


def _jsonl(unit: Unit, fields: Fields, skips: Skips, say: Say | None = None,
           max_chars: int = MAX_DOC_CHARS) -> Iterator[Doc]:
    """The documents of a JSONL unit. A line longer than ``max_line_bytes(max_chars)`` is
    a ``too long`` skip, passed over unread: no bound held a line of GBs (a file dumped on
    one line) whole in memory, some 3-4 times over, before its length was known."""
    limit = max_line_bytes(max_chars)
    lineno = unit.first_line
    # the rows at the start of the file (its first unit) are watched for a text field
    first = _FirstRows(unit.path, say) if say is not None and unit.start == 0 else None
    more = False  # the file goes on past this unit
    held = False  # a line that is not blank (or not UTF-8: a skip, not an empty file)
    if unit.start:  # a later byte range of a plain file: its first unit says why
        with open(unit.path, "rb") as head:
            start = head.read(_HEAD)
            # as the first unit looks: its first line for an encoding, its start for binary
            if _wide(start[:start.find(b"\n") + 1 or None], "file") or _binary(start, "file"):
                return
    try:
        with open_stream(unit.path) as f:
            if unit.start:
                f.seek(unit.start)
            elif binary := _binary(f.peek(_HEAD)[:_HEAD], "file"):
                skips.add("binary file", binary, unit.path)
                return
            end = unit.end if unit.end >= 0 else None
            pos = unit.start
            while raw := f.readline(limit + 1):
                first_line = pos == unit.start == 0
                pos += len(raw)
                if first_line and (wide := _wide(raw, "file")):
                    skips.add("not UTF-8", wide, unit.path)
                    held = True
                    break
                if len(raw) > limit and not raw.endswith(b"\n"):  # more than limit bytes
                    size = len(raw)
                    del raw  # not kept while the rest is passed over
                    rest, newline = _skip_line(f)
                    pos += rest
                    size += rest - newline
                    skips.add(TOO_LONG, f"a line of {size:,} bytes, more than the "
                                        f"{limit:,} a document of --max-doc-chars "
                                        f"{max_chars:,} can take; not read",
                              f"{unit.path}:{lineno}")
                    lineno += 1
                    held = True
                    if end is not None and pos >= end:
                        more = bool(f.peek(1))
                        break
                    continue
                # the byte-order mark Windows tools write before a file's first line; before
                # a later line where such files were joined (cat a.jsonl b.jsonl), whose
                # documents were lost as "not valid JSON (Unexpected UTF-8 BOM ...)"
                if raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                where = f"{unit.path}:{lineno}"
                lineno += 1
                if raw.strip():
                    held = True
                    yield from _jsonl_line(raw, where, unit.path, fields, skips, first)
                if end is not None and pos >= end:
                    more = bool(f.peek(1))
                    break
            # a file whose first unit held blank lines only is empty where the rest is too
            empty = not held and not unit.start and (not more or _blank_rest(f))
    except _stream_errors() as e:
        if not _bad_data(e, unit.path):
            raise  # the file system's error, not the data's: read_unit names it
        # a truncated or corrupt shard: what came before the break is kept
        what = (f"breaks after line {lineno - 1} ({e or type(e).__name__}); the lines "
                f"before it were read" if lineno > unit.first_line else
                f"is broken from its start ({e or type(e).__name__}); nothing was read"
                f"{_misnamed(unit.path)}")
        skips.add("broken compressed file", f"the compressed data {what}", unit.path)
    else:
        if empty:  # no bytes, blank lines only, or a compressed stream of nothing
            skips.empty(unit.path)
    if first is not None:
        first.end(whole=not more)


def _blank_rest(f: Any) -> bool:
    """Whether the rest of ``f`` holds only whitespace (read until a byte that is not)."""
    while block := f.read(1 << 20):
        if block.strip():
            return False
    return True


def _row_doc(where: str, text: str | None, ident: Any, skips: Skips, path: str,
             row: dict[str, Any], turns: tuple[tuple[int, int, str], ...] | None = None
             ) -> Doc:
    """The document of a JSONL line or a Parquet or Arrow ``row``. A row without the id
    field (``ident`` MISSING) is counted in ``rows_without_id`` only where its text is a
    document: an empty text is no document (``read_unit`` counts it under ``empty text``),
    and its rows had made "Documents whose row has no id field: 5" of a file of 4
    documents. The first such row of a file gives its field names (``id_fields``)."""
    if ident is MISSING and text and not text.isspace():
        if path not in skips.no_id:
            skips.without_id(dict.fromkeys(_field_paths(row), 1))
        skips.no_id[path] = skips.no_id.get(path, 0) + 1
    return Doc(where, text or "", None if ident is MISSING else _id_text(ident),
               turns if text else None)


_IN_STRING = {"\x00": "a NUL byte", "\t": "a tab, written \\t in JSON",
              "\r": "a carriage return, written \\r in JSON"}
"""Control characters a JSON string may not hold as they are, named: "Invalid control
character at column 25" did not say which (an invisible NUL, a tab a hand-made line holds)."""


def _without_line_end(raw: bytes, e: json.JSONDecodeError) -> json.JSONDecodeError:
    """The decoder's complaint about the line without its line end: a line cut short inside
    a string and followed by a newline (a killed writer's, then the next line written after
    it) was "Invalid control character at column 41", the newline named as a stray control
    byte; without it the decoder says "Unterminated string starting at" and where. Only a
    line that fails pays for the second parse."""
    text = raw.decode("utf-8")
    line = text.rstrip("\r\n")
    if len(line) == len(text) or e.pos < len(line):  # the problem lies before the line end
        return e
    try:
        json.loads(line)
    except json.JSONDecodeError as cut:
        return cut
    return e


def _jsonl_line(raw: bytes, where: str, path: str, fields: Fields, skips: Skips,
                first: _FirstRows | None = None) -> Iterator[Doc]:
    """The document of one JSONL line, or nothing (the problem goes to ``skips``)."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        skips.add("not UTF-8", _not_utf8(e, "line"), where, repeats=True,
                  like="not UTF-8; line skipped")
        return
    except json.JSONDecodeError as e:
        e = _without_line_end(raw, e)
        # where on the line, kept apart from the problem's grouping (lines cut at different
        # places are one problem): "Expecting value" alone had the user search the line
        at = f" column {e.colno}" if e.msg.endswith(" at") else f" at column {e.colno}"
        if e.pos < len(e.doc):
            char = e.doc[e.pos]
            if e.msg.startswith("Invalid control character"):
                at += f": {_IN_STRING.get(char, f'byte 0x{ord(char):02x}')}"
            elif char == "\x00":  # (a crashed writer's padding before the line)
                at += f": {_IN_STRING[char]}"
        cut = ("; the file's last line, with no newline at its end: cut short when it was "
               "written?" if not raw.endswith(b"\n") else "")
        skips.add("not JSON", f"not valid JSON ({e.msg}{at}); line skipped{cut}", where,
                  repeats=True, like=f"not valid JSON ({e.msg}); line skipped{cut}")
        return
    except (ValueError, RecursionError) as e:  # an integer of 4,300+ digits; deep nesting
        why = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
        skips.add("not JSON", f"not valid JSON ({why}); line skipped", where, repeats=True)
        return
    if not isinstance(row, dict):
        # json.dump(rows, f) into a .jsonl: the whole array on one line, its documents unread
        array = ""
        if isinstance(row, list) and row and all(isinstance(x, dict) for x in row):
            fix = (f": jq -c '.[]' {shlex.quote(path)} > "
                   f"{shlex.quote(path.removesuffix('.jsonl') + '.lines.jsonl')} writes them "
                   f"one a line" if path.endswith(".jsonl") else "")
            array = f" (a JSON array of {len(row):,} objects on one line{fix})"
        skips.add("not an object", f"{json_type(row)}, not an object{array}; line skipped",
                  where, repeats=True, like=f"{json_type(row)}, not an object; line skipped")
        return
    if _text_row(row, fields, skips, first):
        skips.add(NO_TEXT_FIELD, f"missing {_field_names(fields)}; line skipped", where,
                  repeats=True, no_field=True)
        return
    text, turns, problem = _row_text(row, fields)
    if problem:
        skips.add(BAD_TEXT_FIELD, f"{problem}; line skipped", where, repeats=True)
        return
    yield _row_doc(where, text, field_value(row, fields.id) if fields.id else None, skips,
                   path, row, turns)


def _too_long_values(batch: Any, fields: Fields, max_chars: int, skips: Skips, path: str,
                     first_row: int) -> tuple[Any, list[int] | None]:
    """(the batch without its rows whose text value is longer than ``max_chars``
    characters, the batch's row numbers of the rows kept; None where all are): each such
    value is a ``too long`` skip named by row and field, never made a Python string (a 200
    MB cell took 200 MB more, and a saved dataset's mapped value was copied whole). Lengths
    in bytes come from the offsets alone; characters are counted only of a value whose
    bytes exceed the bound but not 4 times it (UTF-8's most a character): one longer is
    too long by its bytes, named by them, unread (a mapped value stays on disk). A binary
    column, read as UTF-8, is bounded at 4 bytes a character. Top-level text columns only
    (plain or dictionary-encoded): a too-long struct field or chat is caught once read, as
    every document is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    skipped: set[int] = set()
    for name in fields.texts:
        if name not in batch.schema.names:
            continue
        column = batch.column(name)
        t = column.type
        if pa.types.is_dictionary(t):  # (a pandas category, kept as one by Parquet)
            t = t.value_type
        text = pa.types.is_string(t) or pa.types.is_large_string(t)
        if not (text or pa.types.is_binary(t) or pa.types.is_large_binary(t)):
            continue
        limit = max_chars if text else 4 * max_chars  # (bytes)
        sizes = _per_row(column, pc.binary_length)
        if not pc.any(pc.greater(sizes, limit)).as_py():
            continue  # (no value's bytes exceed it: the common case, offsets only)
        for i, size in enumerate(sizes.to_pylist()):
            if size is None or size <= limit or i in skipped:
                continue
            chars = _chars(column, i) if text and size <= 4 * max_chars else None
            if chars is not None and chars <= max_chars:
                continue  # (multi-byte characters within the bound)
            skipped.add(i)
            skips.add(TOO_LONG, f"{chars:,} characters in field {name!r}, more than "
                                f"--max-doc-chars {max_chars:,}; not read" if chars is not None else
                                _too_long_bytes(f"a value of {size:,} bytes in field {name!r}",
                                               max_chars), f"{path}#{first_row + i}")
    if not skipped:
        return batch, None
    rows = [i for i in range(batch.num_rows) if i not in skipped]
    return batch.take(pa.array(rows, pa.int64())), rows


def _too_long_bytes(what: str, max_chars: int) -> str:
    """The ``too long`` problem of a value of more bytes than a document of ``max_chars``
    characters can take in UTF-8 (4 a character), ``what`` naming it with its size."""
    return (f"{what}, more than the {4 * max_chars:,} a document of --max-doc-chars "
            f"{max_chars:,} can take in UTF-8; not read")


def _chars(column: Any, i: int) -> int:
    """Characters of the string value at row ``i`` of a column (dictionary-encoded too),
    counted on a slice: no copy of the value, no pass over the rest of the column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column, i = column.dictionary, column.indices[i].as_py()
    return pc.utf8_length(column.slice(i, 1))[0].as_py()


def _per_row(column: Any, length: Callable[[Any], Any]) -> Any:
    """``length`` (a pyarrow compute function) of each value of a column; of a dictionary-
    encoded one, of its dictionary's values, then taken by each row's index."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        return pc.take(length(column.dictionary), column.indices)
    return length(column)


def _batches_to_docs(batches: Iterator[Any], path: str, fields: Fields, skips: Skips,
                     at: Callable[[], str] | None = None, why: str = "",
                     max_chars: int = MAX_DOC_CHARS, names: Sequence[str] = ()
                     ) -> Iterator[Doc]:
    """The documents of a Parquet or Arrow file's batches; a file of no rows is empty. A
    batch that cannot be read (a file cut short when written or copied, a corrupt page)
    ends the file with one skip that counts the rows read before it: they are kept, and
    the message says so (``at``: where in the file the batch just read ends; ``why``:
    what is known of the break). A text value longer than ``max_chars`` is a ``too long``
    skip, never made a Python string (:func:`_too_long_values`). A number in place of a
    batch is rows passed over unread (already counted as skips), so later rows keep their
    numbers. ``names``: the file's columns, of which only the text and id ones are read:
    a row without the --id-field is said to have them all (``--id-field 'id' is in no row
    read; the rows have the fields 'content'`` named the one column read, not ``doc_id``)."""
    row = 0
    reached = ""  # where the batch last read ends
    unread = dict.fromkeys(names)
    batches = iter(batches)
    while True:
        try:
            batch = next(batches)
            if isinstance(batch, int):
                row += batch
                continue
            short, rows = _too_long_values(batch, fields, max_chars, skips, path, row)
            table = short.to_pydict()  # (a string column that is not UTF-8 raises here)
        except StopIteration:
            break
        except Exception as e:  # noqa: BLE001 - pyarrow's errors of bad data, whatever type
            kept = (f"its first {row:,} rows were read; the rest of the file was not" if row
                    else "no row of it was read (rows are read a batch at a time, and its "
                         "first batch is broken)")
            skips.add("unreadable file", f"reading stopped after row {row:,}{reached} "
                                         f"({type(e).__name__}: {e}): {kept}{why}", path)
            return
        if at is not None:
            reached = f", {at()}"
        columns = list(table.items())
        for j, i in enumerate(range(batch.num_rows) if rows is None else rows):
            where = f"{path}#{row + i}"
            values = {name: column[j] for name, column in columns}
            if _text_row(values, fields, skips, names=unread):
                skips.add(NO_TEXT_FIELD, f"missing {_field_names(fields)}; row skipped",
                          where, repeats=True, no_field=True)
                continue
            text, turns, problem = _row_text(values, fields)
            if problem:
                skips.add(BAD_TEXT_FIELD, f"{problem}; row skipped", where, repeats=True)
                continue
            yield _row_doc(where, text, field_value(values, fields.id) if fields.id else None,
                           skips, path, {**unread, **values}, turns)  # (MISSING: no such column)
        row += batch.num_rows
    if not row:
        skips.empty(path)


def _columns(schema: Any, path: str, fields: Fields, skips: Skips, say: Say | None = None,
             rows: Callable[[], int] | None = None,
             sizes: Callable[[], dict[str, int]] | None = None) -> list[str] | None:
    """The columns to read of a Parquet or Arrow file with this (pyarrow) schema, or None
    where it has neither a text column nor the messages column (a skip, told to ``say`` at
    once with the file's ``rows``; ``sizes``: bytes of each leaf column by its dotted path,
    from a Parquet file's metadata, so the column suggested is the one holding the text)."""
    names = schema.names

    def column(name: str) -> str:  # a dotted name's column: its struct's
        return name if name in names or "." not in name else name.split(".")[0]

    cols = [c for c in dict.fromkeys(column(n) for n in [*fields.texts, fields.messages,
                                                          fields.id] if n)
            if c in names]
    if not {column(n) for n in [*fields.texts, fields.messages]}.intersection(names):
        texts = " or ".join(map(repr, fields.texts))
        strings = _by_size(dict(_string_columns(schema)), sizes)
        plain = {n: v for n, v in strings.items() if v and not n.endswith(f"[{CHAT}]")}
        best = max(plain, key=plain.__getitem__, default=None)  # the text, not an id column
        # a corpus whose files name their text column differently: one option reads them all
        hint = (f" (--text-field {','.join([*fields.texts, best])} reads its column {best!r} "
                f"too)" if best else "")
        skips.add(NO_TEXT_FIELD, f"no column {texts} or {fields.messages!r} "
                                        f"(columns: {names}); file skipped{hint}", path,
                  no_field=True)
        skips.without_field(strings, rows=0)
        if say is not None and strings:
            names = dict(list(strings.items())[:FIELDS_KEPT])
            say(NoField(path, _rows_of(rows), {k: int(v) for k, v in names.items()},
                        columns=True, whole=True))
        return None
    return cols


def _by_size(strings: dict[str, int], sizes: Callable[[], dict[str, int]] | None
             ) -> dict[str, int]:
    """:func:`_string_columns`' marks (1 strings, 2 chat) raised to the bytes each such
    column holds where ``sizes`` knows them (Parquet metadata: no data read), so that the
    text column, not an id column met before it, comes first: a file of 'doc_id' and
    'content' was told "most likely --text-field doc_id"."""
    try:
        known = sizes() if sizes is not None else {}
    except Exception:  # noqa: BLE001 - a suggestion's ranking, never a reason to stop
        known = {}
    out = {}
    for name, mark in strings.items():
        base = name.rpartition("[")[0] if mark == 2 else name  # chat: its leaves, summed
        held = sum(n for leaf, n in known.items()
                   if leaf == base or (mark == 2 and leaf.startswith(f"{base}.")))
        out[name] = max(mark, held) if mark else 0
    return out


def _column_bytes(metadata: Any) -> dict[str, int]:
    """Uncompressed bytes of each leaf column of a Parquet file (by its dotted path), over
    all its row groups: from the footer, no data read."""
    out: dict[str, int] = {}
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        for j in range(group.num_columns):
            c = group.column(j)
            out[c.path_in_schema] = out.get(c.path_in_schema, 0) + c.total_uncompressed_size
    return out


def _arrow_column_bytes(path: str) -> dict[str, int]:
    """Bytes of each column of an Arrow file's first batch (a struct's fields by their
    dotted path, as :func:`_column_bytes` names Parquet's), read on a mapping of its own
    (the audit's stream reader is not advanced): an Arrow file has no metadata of column
    sizes, and a saved dataset of 'id' and 'text' was told "most likely --text-field id"."""
    import pyarrow as pa

    with pa.memory_map(path) as source:
        try:
            batch = pa.ipc.open_stream(source).read_next_batch()
        except pa.ArrowInvalid:
            source.seek(0)
            batch = pa.ipc.open_file(source).get_batch(0)
        table = pa.Table.from_batches([batch])
        for _ in range(3):  # struct fields, as _string_columns reaches them
            table = table.flatten()
        return {name: table.column(name).nbytes for name in table.column_names}


def _string_columns(fields: Any, prefix: str = "", depth: int = 3
                    ) -> list[tuple[str, int]]:
    """(name, 1 where it holds strings, 2 chat messages, else 0) of each column of a
    pyarrow schema (or struct type): a struct's string fields by dotted names
    (``content.text``), a list of structs with a ``content`` or ``value`` field (chat
    messages, ShareGPT's ``conversations``) named as :func:`_field_sizes` names them and
    ranked first, since an id column is a column of strings too."""
    import pyarrow as pa

    out: list[tuple[str, int]] = []
    for f in fields:
        t, name = f.type, f"{prefix}{f.name}"
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            out.append((name, 1))
        elif (pa.types.is_list(t) or pa.types.is_large_list(t)) and \
                pa.types.is_struct(t.value_type) and \
                {"content", "value"}.intersection(c.name for c in t.value_type):
            out.append((f"{name}[{CHAT}]", 2))
        else:
            out.append((name, 0))
            if pa.types.is_struct(t) and depth > 1:
                out += [x for x in _string_columns(t, f"{name}.", depth - 1) if x[1]]
    return out


def _rows_of(rows: Callable[[], int] | None) -> int:
    """A file's rows as ``rows`` counts them (its metadata, no data read); EARLY_ROWS where
    they cannot be counted: a file without the column is skipped whole, however many."""
    try:
        return rows() if rows is not None else EARLY_ROWS
    except Exception:  # noqa: BLE001 - a count for a message, never a reason to stop
        return EARLY_ROWS


def _no_bytes(path: str, skips: Skips) -> bool:
    """Whether a Parquet or Arrow file has no bytes at all, as a crashed writer leaves one:
    counted as an empty file (``empty_files``), as a JSONL shard of no bytes is, not as an
    unreadable one (nothing in it went unread)."""
    if os.path.getsize(path):
        return False
    skips.empty(path)
    return True


def _parquet_cut(path: str) -> str:
    """What a Parquet file that pyarrow cannot open is, where its bytes show it: one that
    opens with Parquet's magic bytes and does not end with them lost its end (the footer,
    which holds the schema and where each row group lies) to an interrupted copy or
    write. pyarrow's "magic bytes not found in footer. Either the file is corrupted or this
    is not a parquet file" said neither which nor what to do."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            f.seek(max(0, os.path.getsize(path) - 4))
            tail = f.read(4)
    except OSError:
        return ""
    if head == b"PAR1" and tail != b"PAR1":
        return ("; it starts as a Parquet file but its end (the footer) is missing: cut "
                "short, as an interrupted copy or write leaves it; no row of it can be read: "
                "copy or write it again; file skipped")
    return ""


def _parquet(unit: Unit, fields: Fields, skips: Skips, say: Say | None = None,
             max_chars: int = MAX_DOC_CHARS) -> Iterator[Doc]:
    import pyarrow.parquet as pq

    try:
        if _no_bytes(unit.path, skips):
            return
        pf = pq.ParquetFile(unit.path, buffer_size=PARQUET_BUFFER, pre_buffer=False)
        cols = _columns(pf.schema_arrow, unit.path, fields, skips, say,
                        lambda: pf.metadata.num_rows, lambda: _column_bytes(pf.metadata))
    except (OSError, ValueError) as e:
        cut = _parquet_cut(unit.path)
        skips.add("unreadable file", f"not a readable Parquet file: "
                                     f"{str(e).rstrip('.') if cut else e}{cut}", unit.path)
        return
    if cols is None:
        return
    yield from _batches_to_docs(_parquet_batches(pf, cols, fields, skips, unit.path, max_chars),
                                unit.path, fields, skips, max_chars=max_chars,
                                names=pf.schema_arrow.names)


def _parquet_batches(pf: Any, cols: list[str], fields: Fields, skips: Skips, path: str,
                     max_chars: int) -> Iterator[Any]:
    """A Parquet file's batches, planned from its metadata (no data read): a row group's
    batches hold some BATCH_BYTES of its text columns by its rows' mean size, so a row
    group of a few huge values is read a row at a time (consecutive row groups alike are
    read in one pass, batches spanning them, as before). A row group of one row whose
    text column holds more bytes than a document of ``max_chars`` can take (4 a character,
    beside ROW_GROUP_SLACK) is a ``too long`` skip passed over undecoded: yielded as its
    row count. Any other value is decoded, whatever its size: pyarrow decodes a page at a
    time and cannot pass one over, and shows Python no page sizes to tell which holds it."""
    metadata = pf.metadata
    run: list[int] = []  # consecutive row groups read alike: one pass, batches across them
    rows = BATCH_ROWS
    first = 0  # the file's row number of the row group's first row
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        first += metadata.row_group(g - 1).num_rows if g else 0
        sizes = {group.column(j).path_in_schema: group.column(j).total_uncompressed_size
                 for j in range(group.num_columns)}
        texts = {name: sizes[name] for name in fields.texts if name in sizes}
        over = [name for name, size in texts.items()
                if size > 4 * max_chars + ROW_GROUP_SLACK]
        batch = max(1, min(BATCH_ROWS, BATCH_BYTES * group.num_rows
                           // max(1, sum(texts.values()))))
        if run and (batch != rows or (group.num_rows == 1 and over)):
            yield from pf.iter_batches(batch_size=rows, row_groups=run, columns=cols)
            run = []
        if group.num_rows == 1 and over:
            skips.add(TOO_LONG, _too_long_bytes(
                f"a value of about {texts[over[0]]:,} bytes in field {over[0]!r} (its row "
                f"group's size in the file's metadata: a row group of this row alone, passed "
                f"over undecoded)", max_chars), f"{path}#{first}")
            yield 1
            continue
        rows = batch
        run.append(g)
    if run:
        yield from pf.iter_batches(batch_size=rows, row_groups=run, columns=cols)


def _arrow(unit: Unit, fields: Fields, skips: Skips, say: Say | None = None,
           max_chars: int = MAX_DOC_CHARS) -> Iterator[Doc]:
    """An Arrow stream file as ``datasets.save_to_disk`` writes it, memory-mapped."""
    import pyarrow as pa

    def rows() -> int:  # the batches' headers: their data stays mapped, unread
        if isinstance(reader, pa.ipc.RecordBatchFileReader):
            return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        return sum(b.num_rows for b in reader)

    why = ""
    try:
        if _no_bytes(unit.path, skips):
            return
        source, release = _mapped(unit.path)
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            try:
                reader = pa.ipc.open_file(source)
            except pa.ArrowInvalid:
                # the IPC file format is its magic, a stream of batches, then a footer: one
                # cut short has no footer, but the batches before the break are a stream
                source.seek(0)
                if source.read(len(_ARROW_MAGIC)) != _ARROW_MAGIC:
                    raise
                reader = pa.ipc.open_stream(source)
                why = " (an Arrow file whose footer is missing: cut short when written?)"
        cols = _columns(reader.schema, unit.path, fields, skips, say, rows,
                        lambda: _arrow_column_bytes(unit.path))
    except (OSError, ValueError) as e:
        skips.add("unreadable file", f"not a readable Arrow file: {e}", unit.path)
        return
    if cols is None:
        return
    def batches() -> Iterator[Any]:  # the pages of each batch given back once it is read
        if isinstance(reader, pa.ipc.RecordBatchFileReader):
            each = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            each = iter(reader)
        for batch in each:
            yield batch.select(cols)
            release()

    size = source.size()

    def at() -> str:  # the end of the batch just read
        return f"at byte {source.tell():,} of {size:,}"

    yield from _batches_to_docs(batches(), unit.path, fields, skips, at, why, max_chars,
                                reader.schema.names)


def _mapped(path: str) -> tuple[Any, Callable[[], None]]:
    """A file memory-mapped read-only as a pyarrow stream, and a call that gives the pages
    read so far back to the page cache. Mapped pages stay in the process's resident memory
    once read: an audit of a saved dataset of 289 MB took 428 MB peak, growing with the
    file; given back after each batch, they are read again from the cache if touched. (No
    ``madvise`` on this system: they stay, as pyarrow's own map keeps them.)"""
    import mmap

    import pyarrow as pa

    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    source = pa.BufferReader(pa.py_buffer(mapped))
    if not (hasattr(mapped, "madvise") and hasattr(mmap, "MADV_DONTNEED")):
        return source, lambda: None
    return source, lambda: mapped.madvise(mmap.MADV_DONTNEED)


_ARROW_MAGIC = b"ARROW1\0\0"
"""The first bytes of an Arrow IPC file (the file format; a stream has none)."""


def _text(unit: Unit, fields: Fields, skips: Skips, say: Say | None = None,
           max_chars: int = MAX_DOC_CHARS) -> Iterator[Doc]:
    """Each text file of the unit as one document. A file of more than 4 bytes (UTF-8's
    most for a character) per character of ``max_chars``, beside a byte-order mark, is a
    ``too long`` skip, its rest passed over unkept: read whole, a 600 MB text file (a dump)
    took 1.25 GB before its length was known."""
    limit = 4 * max_chars + len(_BOM)
    for path in unit.files:  # (no fields: ``say`` has nothing to tell)
        try:
            with open_stream(path) as f:
                data = f.read(limit + 1)
                if len(data) > limit and not (_wide(data, "file") or _binary(data, "file")):
                    size = len(data)
                    del data  # not kept while the rest is passed over
                    while block := f.read(_SKIP_BLOCK):
                        size += len(block)
                    skips.add(TOO_LONG, f"{size:,} bytes, more than the {limit:,} a document "
                                        f"of --max-doc-chars {max_chars:,} can take in UTF-8; "
                                        f"not read", path)
                    continue
        except _stream_errors() as e:
            if not _bad_data(e, path):
                skips.add("unreadable file", f"cannot read: {e.strerror or e}", path)
            else:  # the data's error: truncated, corrupt, or not compressed as named
                skips.add("broken compressed file", f"the compressed data is broken "
                                                    f"({e or type(e).__name__}); file skipped"
                                                    f"{_misnamed(path)}", path)
            continue
        if wide := _wide(data, "file"):
            skips.add("not UTF-8", wide, path)
            continue
        if binary := _binary(data, "file"):
            skips.add("binary file", binary, path)
            continue
        bom = len(_BOM) if data.startswith(_BOM) else 0  # Windows tools write one: no text
        try:
            text = str(memoryview(data)[bom:], "utf-8")
        except UnicodeDecodeError as e:
            skips.add("not UTF-8", _not_utf8(e, "file", bom), path)
            continue
        if not text or text.isspace():  # an empty file (and, as its document, empty text)
            skips.empty(path)
        yield Doc(path, text)


def _not_utf8(e: UnicodeDecodeError, what: str, shift: int = 0) -> str:
    """The skip message of ``what`` (a line, a file) that is not UTF-8: the offending byte
    and where it sits in the file (``shift``: bytes before what was decoded), and where the
    byte is a letter or typographic punctuation in Windows-1252 (:func:`_legacy_word`), the
    word it makes there and how to re-encode such a file."""
    word = _legacy_word(e.object, e.start)
    return (f"not UTF-8 (byte 0x{e.object[e.start]:02x} at offset {e.start + shift}"
            + (f": {word!r} in Windows-1252, Latin-1's superset" if word else "")
            + f"); {what} skipped"
            + ("; if the file is in that encoding, re-encode it as UTF-8 (iconv -f CP1252 "
               "-t UTF-8)" if word else ""))


def _legacy_word(data: bytes, at: int) -> str | None:
    """The word around byte ``at`` of ``data`` read as Windows-1252 (which holds Latin-1's
    letters), where that byte is a letter or a typographic quote, dash or ellipsis there:
    "not UTF-8 (byte 0xe9 at offset 25)" of a Latin-1 shard named neither the encoding nor
    the fix; 'Café' shows the reader which it is. None for other bytes (a byte of no
    Windows-1252 character, a control byte, a symbol: no encoding guessed)."""
    char = data[at:at + 1].decode("cp1252", errors="replace")
    if not (char.isalpha() or char in "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"):
        return None
    lo = max(0, at - 30)
    text = data[lo:at + 30].decode("cp1252", errors="replace")
    # a word's letters, digits, apostrophes, hyphens and typographic quotes: compact JSON
    # ('{"id":"w1","text":"Café ...', as docs generate and jq -c write it) has no space
    # before its first word, and the run of non-spaces named 'id":"w1","text":"Café'
    spans = [m for m in _LEGACY_WORD.finditer(text) if m.start() <= at - lo < m.end()]
    return (spans[0].group().strip("'-") or char) if spans else char


_LEGACY_WORD = re.compile("[\\w'\u2018\u2019\u201c\u201d\u2013\u2014\u2026-]+")


READERS: dict[str, Callable[..., Iterator[Doc]]] = {
    "jsonl": _jsonl, "parquet": _parquet, "arrow": _arrow, "text": _text}


def read_unit(unit: Unit, fields: Fields, skips: Skips, say: Say | None = None,
              max_chars: int = MAX_DOC_CHARS) -> Iterator[Doc]:
    """Documents of one unit, in order; problems, and texts empty or only whitespace, go
    to ``skips``. ``say``: told at once, while the unit is read on, where the start of a
    file has no text field (:class:`NoField`: its first EARLY_ROWS rows, all its rows
    where it has fewer, or a Parquet or Arrow file without the column). ``max_chars``
    (--max-doc-chars) bounds the JSONL lines (:func:`max_line_bytes`) and text files read,
    and the Parquet and Arrow text values made Python strings (:func:`_too_long_values`)."""
    reader = functools.partial(READERS[unit.kind], max_chars=max_chars)
    try:
        for doc in reader(unit, fields, skips, say):
            if doc.text and not doc.text.isspace():  # (no copy of a long text, as strip makes)
                yield doc
            else:  # no document: counted apart, not in the shares' denominator
                skips.add("empty text", "the text is empty or only whitespace; not counted "
                                        "as a document", doc.where, repeats=True)
    except OSError as e:
        skips.add("unreadable file", f"read failed: {e.strerror or e}", unit.path)
    except Exception as e:  # a file's bad bytes end that file, never the audit
        # (pyarrow's errors on a corrupt page or a string column that is not UTF-8, ...)
        skips.add("unreadable file", f"reading stopped ({type(e).__name__}: {e}); the "
                                     f"documents before it were read", unit.path)
