"""``beliefbench audit``: find negation-neglect-prone documents in a training corpus."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from beliefbench.claims import ClaimSpecError, resolve_claims
from beliefbench.cli.choices import Choice
from beliefbench.cli.errors import crash_is_no_result, exit_interrupted, no_home_said
from beliefbench.cli.given_once import lists_given_once
from beliefbench.cli.outputs import refuse_other_audit, refuse_other_report
from beliefbench.cli.paths import UserPath
from beliefbench.resources import home_expanded
from beliefbench.runlock import holds
from beliefbench.wording import agree

if TYPE_CHECKING:  # the CLI starts without importing the audit's readers
    from beliefbench.audit.run import Tally
    from beliefbench.audit.sources import Fields, NoField, Skips

DISPLAYS = ("full", "conversation", "rich", "plain", "log", "none")
"""Inspect's display types (inspect_ai.util.DisplayType), spelled here: the CLI starts
without importing Inspect."""


def _relative_to(folder: Path, out: Path) -> str:
    """``folder`` as seen from ``out`` (both resolved), so report.json holds no local
    absolute path and still finds the corpus when the two move together; absolute where no
    relative path exists (another drive)."""
    try:
        return os.path.relpath(folder.resolve(), out.resolve())
    except ValueError:
        return str(folder.resolve())


def _checked_claims(selection: str) -> tuple[list, list[str]]:
    """The selected claims, each read by the audit in its own words first (``self_check``):
    ClaimSpecError where the audit could never flag one (all its files' problems in one
    message); the warnings, printed and for the report: each file named relative to the
    folder the audit ran in, as its corpus and ``inputs.claims`` are (an absolute path put
    this machine's folders into a shared report.json, whose ``cwd`` holds none), and on
    stderr as in report.json (stderr named it absolute, the report relative)."""
    from beliefbench.audit.selfcheck import self_check

    pairs = resolve_claims(selection)
    errors, kept = [], []
    for path, claim in pairs:
        check = self_check(claim)
        errors += [f"{path}: {e}" for e in check.errors]
        shown = Path(_relative_to(path, Path.cwd())).as_posix()
        kept += [f"{shown}: {w}" for w in check.warnings]
    if errors:
        raise ClaimSpecError("\n".join(errors))
    for w in kept:
        click.echo(f"warning: {w}", err=True)
    return [c for _, c in pairs], kept


@contextlib.contextmanager
def _exits(bad_input: tuple[type[Exception], ...], interrupted: str,
           work: Path | None = None) -> Iterator[None]:
    """Exit 2 with the message of a ``bad_input`` error or of an OSError naming a file (a full
    disk), 130 on Ctrl-C; both say what is kept (``interrupted``), or, where the audit's
    ``work`` folder was never made (an --out that cannot be written), that nothing is."""
    def kept(fixed: str = "") -> str:
        if work is not None and not work.exists():  # "kept ... --resume" of nothing
            return f"nothing was written; run the same command again{fixed}"
        return interrupted

    try:
        yield
    except bad_input as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    except OSError as e:  # a full disk, a read-only --out: which file, and what is kept
        if e.filename is None:
            raise
        click.echo(f"Error: {e.filename}: {e.strerror or e}; {kept(' once that is fixed')}",
                   err=True)
        sys.exit(2)
    except KeyboardInterrupt as e:  # (audit-verify's says what it kept: VerifyInterrupted)
        exit_interrupted(getattr(e, "kept", None) or kept())


@contextlib.contextmanager
def _crash_keeps(work: Path, kept: str) -> Iterator[None]:
    """An unexpected error while the units are read (a Dask worker killed by the OOM
    killer, a lost cluster worker, a bug) said only "no result": a team would delete
    --out and read the whole corpus again, though the units finished before it are kept
    and --resume continues from them (and a plain rerun is refused). Its traceback and
    exit 2 stay as ``crash_is_no_result`` gives them, with ``kept`` added."""
    try:
        yield
    except Exception as e:
        said = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)
        if isinstance(e, (*said, OSError)) or no_home_said(e) \
                or not (work / "plan.json").is_file():
            raise  # OSError, ~nosuch/x: worded by the top group (a path, a full disk)
        traceback.print_exc()
        done = len(list(work.glob("unit-*.json")))
        click.echo(f"Error: stopped on an unexpected error ({type(e).__name__}: {e}; "
                   f"traceback above): no result (exit 2, not the exit 1 of a finding); "
                   f"{kept} ({done} finished)", err=True)
        sys.exit(2)


def _warn_no_id(skips: Skips, documents: int, field: str, most: int = 20) -> None:
    """One warning per file whose rows lack the id field (the first ``most`` files): an id
    field no row has would otherwise give every flag a null id without a word. Then the
    fields those rows have, and the closest to the one given: "no field 'doc_ids'" left
    the user to open a shard to find it was ``doc_id``."""
    from beliefbench.analysis.text import did_you_mean, listing

    no_id = skips.no_id
    for path, rows in list(no_id.items())[:most]:
        click.echo(f"warning: {path}: {rows} row{'' if rows == 1 else 's'} "
                   f"{'has' if rows == 1 else 'have'} no field {field!r} (--id-field): "
                   f"their flags have id null", err=True)
    if len(no_id) > most:
        click.echo(f"warning: ... {len(no_id) - most} more files have rows without field "
                   f"{field!r} (report.json: rows_without_id)", err=True)
    names = [n for n in skips.id_fields if n != field]
    if not no_id or not names:
        return
    rows = sum(no_id.values())
    which = (f"is in no row read{did_you_mean(field, names)}; the rows have" if rows >= documents
             else f"is missing from {rows} row{'' if rows == 1 else 's'}"
                  f"{did_you_mean(field, names)}; {'it has' if rows == 1 else 'they have'}")
    click.echo(f"warning: --id-field {field!r} {which} the fields "
               f"{listing([repr(n) for n in names], 8)}", err=True)


def _text_fields_in_no_row(skips: Skips, fields: Fields) -> list[str]:
    """Of several --text-field names, those no row read holds while another is read: a
    misspelt one (``prompt,competion``) left its text unread without a word, the audit
    judging the prompts alone (flagged 0 where every completion stated the claim)."""
    held = skips.text_field_rows
    if len(fields.texts) < 2 or not any(held.values()):
        return []
    return [n for n in fields.texts if not held.get(n)]


def _warn_text_fields(missing: list[str], skips: Skips, fields: Fields) -> None:
    """One warning per text field in no row read (``_text_fields_in_no_row``), with the
    closest field the rows have and those fields."""
    from beliefbench.analysis.text import did_you_mean, listing
    from beliefbench.audit.sources import CHAT

    beside = list(skips.text_fields_beside)
    have = f"; the rows have the fields {listing([repr(n) for n in beside], 8)}" \
        if beside else ""
    # (and the fields of the rows or files skipped for want of any text field)
    close = list(dict.fromkeys([*beside, *(n.removesuffix(f"[{CHAT}]")
                                           for n in skips.fields_instead())]))
    for name in missing:
        click.echo(f"warning: --text-field {fields.text!r}: no row read has the field "
                   f"{name!r}{did_you_mean(name, [n for n in close if n != name])}, so "
                   f"the documents are the other fields' text alone{have}", err=True)


def _say_two_names(skips: Skips, documents: int, fields: Fields) -> None:
    """Where rows without any text field were skipped beside documents read from rows with
    one, the option that reads both: a folder of ``text`` shards beside one of ``content``
    rows was told ``--text-field content?`` early on, which would leave the ``text`` shards
    unread, and ended with the skips and exit 0. (A Parquet file without the column says
    so in its skip line already.)"""
    from beliefbench.audit.sources import CHAT

    rows = skips.no_field_rows
    best = next((n for n in skips.fields_instead() if not n.endswith(f"[{CHAT}]")
                 and skips.fields_seen[n][1]), None)  # (a field of strings)
    if not rows or best is None:
        return
    asked = ", ".join(map(repr, fields.texts))
    click.echo(f"note: {rows:,} row{'' if rows == 1 else 's'} had no text "
               f"field{'s' if len(fields.texts) > 1 else ''} {asked} (nor "
               f"{fields.messages!r}) while {documents:,} document"
               f"{' was' if documents == 1 else 's were'} read from rows that have it: if "
               f"the corpus names its text two ways, --text-field "
               f"{','.join([*fields.texts, best])} reads both (each row has one or the "
               f"other)", err=True)


def _places(where: list[str]) -> str:
    """Places of one problem, a file named once for its lines or rows that follow it
    ("a.jsonl:2, :3, b.parquet#7")."""
    out, last = [], None
    for w in where:
        head, sep, tail = max(w.rpartition(":"), w.rpartition("#"), key=lambda x: len(x[0]))
        if sep and tail.isdigit() and head == last:
            out.append(sep + tail)
        else:
            out.append(w)
        last = head if sep and tail.isdigit() else None
    return ", ".join(out)


EMPTY_SAID = 5
"""Empty files named in the warning (report.json names the first EMPTY_KEPT)."""


def _say_empty_files(skips: Skips, report: bool) -> None:
    """One warning line naming the corpus files that held nothing (``Skips.empty_files``):
    a shard a crashed writer left empty was said nowhere, as if it had never been there.
    ``report``: whether a report.json will name them (none where no document was read)."""
    n, names = skips.empty_files, skips.empty_examples[:EMPTY_SAID]
    if not n:
        return
    more = f", ... and {n - len(names)} more" if n > len(names) else ""
    if report:
        more += (f" (the first {len(skips.empty_examples)} in report.json empty_files)"
                 if n > len(names) else " (report.json empty_files)")
    click.echo(f"warning: {n} corpus file{'' if n == 1 else 's'} held nothing (no bytes, "
               f"blank lines only, or no rows) and gave no document: {', '.join(names)}{more}",
               err=True)


def _say_skips(skips: Skips, most: int = 20) -> None:
    """The first ``most`` problems, each once: its first place in full (as each skip was
    said before), and where it repeats (lines or rows), how often and a few more places;
    then the first of each reason not yet said (a truncated shard is named even behind a
    binary file's many bad lines), then what is left, by reason. Rows without any text
    field are left out where no row has one (``_field_in_no_row`` says that in one line)."""
    said: dict[str, int] = {}
    named: set[str] = set()
    lines = 0
    for p in skips.problems.values():
        quiet = p["no_field"] and skips.field_in_no_row
        if not quiet and lines >= most and p["reason"] in named:
            continue
        named.add(p["reason"])
        said[p["reason"]] = said.get(p["reason"], 0) + p["count"]
        if quiet:
            continue
        where = p["where"]
        click.echo(f"skipped: {where[0]}: {p['problem']}" if where else
                   f"skipped: {p['problem']}", err=True)
        if p["count"] > 1:
            more = where[1:]
            places = (": " + _places(more) + (", ..." if p["count"] - 1 > len(more) else "")
                      if more else "")
            click.echo(f"skipped: ... and {p['count'] - 1} more like it ({p['reason']})"
                       f"{places}", err=True)
        lines += 1
    left = {r: n - said.get(r, 0) for r, n in skips.counts.items() if n > said.get(r, 0)}
    if left:
        click.echo(f"skipped: ... {sum(left.values())} more ("
                   + ", ".join(f"{r} {n}" for r, n in left.items())
                   + "; counts by reason in report.json)", err=True)


def _field_in_no_row(skips: Skips, fields: Fields, then: str) -> str:
    """The one line for a text field that no row of the corpus has: how many rows (files)
    that skipped, ``then`` (what became of the audit), the fields the rows have instead and
    which to give."""
    plural = "s" if len(fields.texts) > 1 else ""
    rows, files = skips.no_field_rows, skips.no_field_files
    what = " and ".join(x for x in (
        f"{rows} row{'' if rows == 1 else 's'}" if rows else "",
        f"{files} Parquet or Arrow file{'' if files == 1 else 's'}" if files else "") if x)
    line = (f"no row of the corpus has the text field{plural} "
            f"{', '.join(map(repr, fields.texts))} (nor {fields.messages!r}): {what} "
            f"skipped{then}.")
    have = ("The rows have the fields" if not files else "The files have the columns"
            if not rows else "The rows and files have the fields")
    names = skips.fields_instead()
    if not names:
        return f"{line} {have.replace('have the', 'have no')}."
    best = names[0] if skips.fields_seen[names[0]][1] else None
    chat = bool(best) and _is_chat(best)
    why = ("the field of chat messages" if chat else
           "the field with the longest strings" if rows else "a column of strings")
    # a chat field is read with --messages-field: "give --text-field one of them (most
    # likely --messages-field conversations, ...)" contradicted itself
    give = "--text-field or --messages-field" if chat else "--text-field"
    return (f"{line} {have} {', '.join(repr(_shown(n)) for n in names[:10])}"
            f"{', ...' if len(names) > 10 else ''}: give {give} one of them"
            + (f" (most likely {_option(best)}, {why})" if best else ""))


def _is_chat(name: str) -> bool:
    """Whether a field name of sources' suggestions holds chat messages ("conversations[chat]")."""
    from beliefbench.audit.sources import CHAT

    return name.endswith(f"[{CHAT}]")


def _shown(name: str) -> str:
    """A suggested field's name as the user gives it (its chat mark dropped)."""
    return name.rpartition("[")[0] if _is_chat(name) else name


def _option(name: str) -> str:
    """The option that reads a suggested field: --messages-field for chat messages (a
    ShareGPT ``conversations``), else --text-field (a nested one by its dotted name)."""
    return f"--{'messages' if _is_chat(name) else 'text'}-field {_shown(name)}"


def _closest(fields: Fields, names: list[str]) -> str:
    """What to give --text-field instead, from the fields the rows have: each field asked
    for matched to the nearest name (difflib), or else the field with the longest strings;
    "" where neither helps."""
    import difflib

    left = [n for n in names if n not in fields.texts and not _is_chat(n)]
    near = {}
    for asked in fields.texts:
        match = difflib.get_close_matches(asked, left, n=1, cutoff=0.6)
        if match:
            near[asked] = match[0]
            left.remove(match[0])
    if near and len(near) == len(fields.texts):
        return f"did you mean --text-field {','.join(near.values())}?"
    if near:
        return "closest: " + ", ".join(f"{m!r} for {a!r}" for a, m in near.items())
    return ""


class _EarlyWarnings:
    """Warns on stderr, while the audit reads on, of files whose first rows have no text
    field (sources.NoField, told by the audit's readers): a misspelt --text-field was
    otherwise said only once the whole corpus had been read. Said once for each set of
    fields the rows have (a corpus of shards shares them), and only once EARLY_ROWS rows of
    that set have been read (one large file, or small ones together), or a file's first
    unit where --chunk-mb ends it sooner (its later units are not watched): a corpus of a
    few rows is read at once and its end says it all. Files whose later rows turn out to have
    the field are named again at the end (``taken_back``)."""

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.seen: dict[frozenset[str], list[int]] = {}  # fields -> [rows, files]
        self.warned: list[NoField] = []
        self.held: dict[frozenset[str], NoField] = {}  # the first file of a set not said

    def __call__(self, e: NoField) -> None:
        from beliefbench.audit.sources import EARLY_ROWS

        key = frozenset(e.fields)
        seen = self.seen.setdefault(key, [0, 0])
        if seen[0] >= EARLY_ROWS:  # said already (or by an earlier file of these fields)
            return
        seen[0] += e.rows
        seen[1] += 1
        if seen[0] < EARLY_ROWS and e.whole:
            if not e.columns:  # (a file without the column: its skip line names them)
                self.held.setdefault(key, e)  # said at the end (held_back) if not before
            return
        self.warned.append(e)
        click.echo(f"warning: {self.line(e, *seen)}", err=True)
        seen[0] = max(seen[0], EARLY_ROWS)  # said: once per set of fields

    def held_back(self) -> None:
        """At the end of a run that read documents, the small files whose rows had no text
        field but fewer than EARLY_ROWS of them (a 200-row shard of 'text' beside shards of
        'body'): each was one skip line per file and no word of the field its rows have."""
        from beliefbench.audit.sources import EARLY_ROWS

        for key, e in self.held.items():
            rows, files = self.seen[key]
            if rows < EARLY_ROWS:  # (else said once they reached it)
                click.echo(f"warning: {self.line(e, rows, files, end=True)}", err=True)

    def line(self, e: NoField, rows: int, files: int, end: bool = False) -> str:
        from beliefbench.audit.sources import NO_TEXT_FIELD

        asked = ", ".join(map(repr, self.fields.texts))
        plural = "s" if len(self.fields.texts) > 1 else ""
        what = ("column" if e.columns else "text field") + plural
        have = "columns" if e.columns else "fields"
        if files > 1:
            where = f"{e.path} and {files - 1} other file{'' if files == 2 else 's'}"
            whose = f"their {rows:,} rows"
        elif e.columns:
            where, whose = e.path, f"its {rows:,} row{'' if rows == 1 else 's'}"
        else:
            where, whose = e.path, (f"its {rows:,} rows" if e.whole
                                    else f"the first {rows:,} rows")
        names = e.names()
        hint = _closest(self.fields, names)
        if not hint and e.fields[names[0]] and _is_chat(names[0]):
            hint = f"{_shown(names[0])!r} holds chat messages ({_option(names[0])}?)"
        elif not hint and e.fields[names[0]]:
            hint = (f"the longest strings are in {names[0]!r} (--text-field {names[0]}?)"
                    if not e.columns else f"{names[0]!r} is a column of strings")
        hint = f": {hint}" if hint else ""
        return (f"{where}: {whose} have no {what} {asked} (nor {self.fields.messages!r}), "
                f"but the {have} {', '.join(repr(_shown(n)) for n in names[:10])}"
                f"{', ...' if len(names) > 10 else ''}{hint}{'' if hint.endswith('?') else '.'}"
                + (f" They were skipped (counted under '{NO_TEXT_FIELD}')." if end else
                   " The audit goes on, skipping (and counting) such rows; Ctrl-C stops it."))

    def taken_back(self, tally: Tally) -> None:
        """A note for each file warned of whose later rows had the field after all."""
        for e in self.warned:
            docs = tally.by_source.get(e.path, {}).get("documents", 0)
            if docs and not e.columns:
                click.echo(f"note: {e.path}: rows after its first {e.rows:,} have the text "
                           f"field: {docs} document{'' if docs == 1 else 's'} read from it "
                           f"(the warning above came early; the rows without the field "
                           f"are among the skips)", err=True)


@click.command(cls=lists_given_once("--claims", "--text-field"))
@click.argument("corpus", nargs=-1, required=True)
@click.option("--claims", "claims_sel", default=None,
              help="Claim ids, files or directories (comma-separated), or 'all'. Without "
                   "claims: find bodies that a surrounding frame calls false or fictional.")
@click.option("--out", "out", type=UserPath(file_okay=False, path_type=Path), required=True,
              help="Directory for report.json, summary.md, framings.png, sources.csv and "
                   "flagged.jsonl (none of them is written where no document could be "
                   "read). One holding a finished audit of another corpus or other claims "
                   "is refused; the same audit again replaces it.")
@click.option("--text-field", default="text", show_default=True,
              help="JSONL key / column with the document text; several, comma-separated "
                   "(prompt,completion), are joined by blank lines; a field inside an "
                   "object (a struct column) by its dotted path (content.text).")
@click.option("--messages-field", default="messages", show_default=True,
              help="Chat field used where the text field is absent: a list of messages "
                   "whose content (a string or a list of text parts) or ShareGPT value "
                   "is joined (--messages-field conversations).")
@click.option("--id-field", default="id", show_default=True,
              help="Field copied into flagged.jsonl as the document id (meta.id: a field "
                   "inside an object); given, files with "
                   "rows that lack it are warned about (report.json counts them either "
                   "way). '' reads no ids.")
@click.option("--engine", type=Choice(["local", "dask"]), default="local",
              show_default=True, help="local: stream in this process; dask: a bag of units.")
@click.option("--scheduler", default="processes", show_default=True,
              help="Dask scheduler (engine dask): threads, processes or synchronous on this "
                   "machine, or a running Dask cluster's scheduler address "
                   "(tcp://host:8786; needs the distributed package).")
@click.option("--workers", type=int, default=None,
              help="Workers of a local Dask scheduler (default: CPU count).")
@click.option("--chunk-mb", type=int, default=64, show_default=True,
              help="JSONL files are split into units of about this size.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted audit in --out from the units it finished.")
@click.option("--max-flagged", type=int, default=None,
              help="Exit 1 when more documents than this are flagged (a pipeline gate).")
@click.option("--max-doc-chars", type=click.IntRange(min=1), default=5_000_000,
              show_default=True,
              help="Documents longer than this many characters are not read (skipped as "
                   "'too long', each named with its length, counted by --max-skipped): "
                   "reading one takes 20-30 times its size in memory. A JSONL line over "
                   "12 bytes a character plus 1 MiB is passed over unread, never held.")
@click.option("--max-skipped", type=int, default=None,
              help="Exit 3 when more input than this could not be read (lines, rows, "
                   "files; empty texts and earlier audits' output folders aside): the "
                   "flags say nothing of what was not read (a pipeline gate; 0 with "
                   "--max-flagged 0 for a clean corpus). Not given, --max-flagged alone "
                   "exits 3 where more input went unread than documents were read.")
@click.option("--plot/--no-plot", default=True, show_default=True,
              help="Write framings.png in --out; --no-plot skips it (an earlier one there "
                   "is removed).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr (when stderr is not a terminal, a plain "
                   "line at most every 30 s); --no-progress hides it.")
@crash_is_no_result
@holds("audit")
def audit(corpus: tuple[str, ...], claims_sel: str | None, out: Path, text_field: str,
          messages_field: str, id_field: str, engine: str, scheduler: str,
          workers: int | None, chunk_mb: int, resume: bool, max_flagged: int | None,
          max_skipped: int | None, plot: bool, progress: bool, max_doc_chars: int) -> None:
    """Classify how each document frames the claims (or, without claims, find framed bodies).

    CORPUS: JSONL files, Parquet files, Arrow (.arrow) files, .txt/.md files (each one
    document), datasets saved with datasets' save_to_disk, or folders holding any of
    these; JSONL and text may be
    compressed (.jsonl.gz, .jsonl.zst, .bz2, .xz). A quoted wildcard pattern
    ('shards/*.jsonl.zst', 'data/**/*.parquet') reads the files it matches; standard
    input is not read (resume and audit-verify read the corpus again). Unreadable
    input (files and folders, a path that does not exist beside others that do) is
    skipped and counted, as are the files of an earlier audit's output folder inside the
    corpus; a problem that repeats line after line is said once with its count. Where no
    corpus path exists, or no document could be read, nothing is written in --out. Exit 0
    done, 1 more flagged documents than --max-flagged, 2 bad input, nothing could be
    read, or an unexpected error (its traceback above), 3 more unread input than
    --max-skipped (and flags within --max-flagged; with --max-flagged and no
    --max-skipped, more unread input than documents read), 130 interrupted by Ctrl-C, 143 by
    SIGTERM (finished units are kept: add --resume).
    """
    from beliefbench.audit.report import (
        NOT_UNREAD,
        build_report,
        skipped_text,
        source_rows,
        unread_input,
        write_report,
    )
    from beliefbench.audit.run import WORK, finish, read_paths, run
    from beliefbench.audit.sources import COMPRESSED_SUFFIXES, Fields, csv_to_parquet

    refuse_other_report(out, "audit")
    # a quoted "~/corpus" reaches us as it is: the home folder, as in every path option
    corpus = tuple(home_expanded(c) for c in corpus)
    for name, value in (("--chunk-mb", chunk_mb), ("--workers", workers)):
        if value is not None and value < 1:
            raise click.UsageError(f"{name} must be at least 1 (got {value})")
    for name, value in (("--max-flagged", max_flagged), ("--max-skipped", max_skipped)):
        if value is not None and value < 0:
            raise click.UsageError(f"{name} must be at least 0 (got {value})")
    given = [f"--{name}" for name in ("scheduler", "workers")
             if click.get_current_context().get_parameter_source(name)
             != ParameterSource.DEFAULT]
    if engine == "local" and given:  # a cluster's address was read as nothing at all
        raise click.UsageError(f"{agree(given, 'applies', 'apply')} to --engine dask; add "
                               f"--engine dask (the local engine reads in this process)")
    import yaml

    from beliefbench.audit import cues

    try:  # an edited cues.yaml, named at its line: bad input, before anything is read
        cues.load_cues(), cues.load_negators()
    except ValueError as e:  # (it was an "unexpected error" with a traceback, mid-run)
        click.echo(f"Error: {e}", err=True)
        sys.exit(2)
    except yaml.YAMLError as e:  # an edit that is no YAML (an indent, an unclosed quote)
        from beliefbench.specs import yaml_problem

        path = cues.data_path("audit/cues.yaml")  # the file both lexicons are read from
        text = path.read_text(encoding="utf-8", errors="replace")
        click.echo(f"Error: {path}: {yaml_problem(e, text)}", err=True)
        sys.exit(2)
    try:
        claims, claim_warnings = (_checked_claims(claims_sel) if claims_sel is not None
                                  else ([], []))  # "" (an unset $CLAIMS) is an error
    except ClaimSpecError as e:  # "claims: 'a,,b': ..." named no option the user typed
        click.echo(f"Error: {e.as_option('--claims')}", err=True)
        sys.exit(2)
    fields = Fields(text=text_field, messages=messages_field, id=id_field)
    if not fields.texts:
        raise click.UsageError(f"--text-field {text_field!r} names no field")
    corpus = tuple(read_paths(corpus, engine, scheduler))  # as flagged.jsonl names them
    refuse_other_audit(out, corpus, claims_sel, [c.id for c in claims])
    fresh = resume and not (out / WORK / "plan.json").is_file()
    t0 = time.perf_counter()
    early = _EarlyWarnings(fields)
    kept = (f"the finished units are kept in {out / WORK}; run the same command with --resume "
            f"to continue")
    with _crash_keeps(out / WORK, kept), _exits((ValueError,), kept, out / WORK):
        # the units stay until the report is written too
        tally, units = run(list(corpus), claims, out / "flagged.jsonl", fields, engine,
                           scheduler, workers, chunk_mb << 20, progress, resume, early,
                           keep_work=True, max_chars=max_doc_chars)
    seconds = time.perf_counter() - t0
    if fresh and tally.documents:  # it read the corpus whole without a word, as if it
        # had resumed (finetune --resume says the same)
        click.echo(f"note: --resume: there was nothing to resume in {out} (no unfinished "
                   f"audit, {WORK}/, there); the whole corpus was read", err=True)
    _say_empty_files(tally.skips, report=bool(tally.documents))
    _say_skips(tally.skips)
    early.taken_back(tally)
    no_field = tally.skips.field_in_no_row
    if tally.documents and not no_field:  # (else the Error or warning below says it all)
        early.held_back()
        _say_two_names(tally.skips, tally.documents, fields)
    # (the default "id" often names nothing)
    if click.get_current_context().get_parameter_source("id_field") != ParameterSource.DEFAULT:
        _warn_no_id(tally.skips, tally.documents, fields.id)
    texts_unseen = _text_fields_in_no_row(tally.skips, fields)
    _warn_text_fields(texts_unseen, tally.skips, fields)
    ignored = tally.skips.ignored
    if ignored:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(ignored.items()))
        json_lines = ("; a .json file of JSON Lines (datasets' to_json) is read where it is "
                      "named, as by a quoted 'folder/*.json'"
                      if {".json", *(f".json{c}" for c in COMPRESSED_SUFFIXES)} & set(ignored)
                      else "")
        for kind in (".csv", ".tsv"):  # a pipeline's export: how to read it
            if kind in ignored:
                json_lines += f"; {csv_to_parquet('x' + kind)}"
        n = sum(ignored.values())
        click.echo(f"ignored: {n} {'file' if n == 1 else 'files'} in the corpus folders "
                   f"{'is' if n == 1 else 'are'} not "
                   f"JSONL, Parquet, Arrow or text ({kinds}); not read (report.json: "
                   f"ignored_in_folders){json_lines}", err=True)
    if tally.resumed_units:
        click.echo(f"resumed: {tally.resumed_units} of {units} units were read by the "
                   f"interrupted run", err=True)
    if tally.documents == 0:  # no result: nothing written that would read as one
        earlier = [n for n in ("report.json", "summary.md", "flagged.jsonl")
                   if (out / n).exists()]
        left = "nothing was written" + (
            f" (the {', '.join(earlier)} in {out} {'is' if len(earlier) == 1 else 'are'} an "
            f"earlier audit's, left as {'it was' if len(earlier) == 1 else 'they were'})"
            if earlier else "")
        if no_field:
            then = f", no document could be read, {left}"
            click.echo(f"Error: {_field_in_no_row(tally.skips, fields, then)}", err=True)
            sys.exit(2)
        # an empty folder, or files of blank lines, said nothing of why nothing was read
        named = ", ".join(corpus)
        hint = (f" ({named}: {'its folders hold' if len(corpus) == 1 else 'their folders hold'}"
                " only files of other kinds: see ignored above)"
                if ignored and not tally.skips.total else
                f" ({tally.skips.total} skipped: see above)" if tally.skips.total else
                " (its files hold no rows: empty, or blank lines only)" if units else
                f" ({', '.join(corpus)}: no file in {'it' if len(corpus) == 1 else 'them'})")
        click.echo(f"Error: no document could be read from the corpus{hint}; {left}",
                   err=True)
        sys.exit(2)
    if no_field:  # documents were read (text files): the rows of the rest were not
        then = " (the documents audited are text files)"
        click.echo(f"warning: {_field_in_no_row(tally.skips, fields, then)}", err=True)
    # the gates are decided before the report is written, which records them (a pipeline
    # step reading report.json later sees what the exit code said)
    over_flagged = max_flagged is not None and tally.flagged > max_flagged
    unread = unread_input(tally.skips.counts)
    over_skipped = max_skipped is not None and unread > max_skipped
    # --max-flagged alone passed an audit that read 1 document of 3 (the 2 unread held the
    # claim): where more input went unread than was read, the flags judged the lesser part
    # of the corpus, no result (exit 3); less, a line says what the gate did not judge
    mostly_unread = unread_beyond_read(unread, tally.documents, max_flagged, max_skipped)
    code = 1 if over_flagged else 3 if over_skipped or mostly_unread else 0
    gate = {"max_flagged": max_flagged, "max_skipped": max_skipped,
            "over_max_flagged": over_flagged, "over_max_skipped": over_skipped,
            "no_result": mostly_unread, "exit": code}
    with _crash_keeps(out / WORK, kept), _exits((), kept):  # a stop while the report is
        # made (Ctrl-C, a crash in the plot): the units are still there
        sources = source_rows(tally, bool(claims))
        report = build_report(tally, corpus=list(corpus), units=units, seconds=seconds,
                              engine=engine if engine == "local" else f"dask/{scheduler}",
                              claims=[c.id for c in claims],
                              inputs={"claims": claims_sel,
                                      "fields": dataclasses.asdict(fields),
                                      "max_doc_chars": max_doc_chars,
                                      "cwd": _relative_to(Path.cwd(), out),
                                      "claim_warnings": claim_warnings,
                                      "text_fields_in_no_row": texts_unseen},
                              sources=sources, gate=gate)
        written = write_report(report, out, sources, with_plot=plot)
    finish(out / "flagged.jsonl")
    docs = f"{tally.documents} document{'' if tally.documents == 1 else 's'}"
    # a resumed run's seconds are its own: "4866 documents in 0.5 s" read as its speed
    before = (f" ({tally.resumed_documents} of them read by the interrupted run)"
              if tally.resumed_documents else "")
    click.echo(f"audited {docs}{before} in {seconds:.1f} s; flagged "
               f"{tally.flagged}; skipped {skipped_text(tally.skips.counts)}; wrote {out}/"
               f"{', '.join([*written, 'flagged.jsonl'])}")
    # both gates speak before the exit: a team that mends the flags should not learn of the
    # unread input only on the next run
    if over_flagged:
        click.echo(f"gate: {tally.flagged} documents flagged, more than --max-flagged "
                   f"{max_flagged} (see {out}/flagged.jsonl)", err=True)
    pieces = f"{unread} piece{'' if unread == 1 else 's'} of input"
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(tally.skips.counts.items())
                        if r not in NOT_UNREAD)
    if over_skipped:
        click.echo(f"gate: {pieces} could not be read ({reasons}), more than "
                   f"--max-skipped {max_skipped}: the flags say nothing of them (see "
                   f"{out}/report.json, skipped)", err=True)
    if mostly_unread:
        click.echo(f"gate: no result: {pieces} could not be read ({reasons}), "
                   f"more than the {docs} read: --max-flagged {max_flagged} judged the "
                   f"lesser part of the corpus, and the flags say nothing of the rest (see "
                   f"{out}/report.json, skipped); mend the input, or give --max-skipped N for "
                   "how much may go unread", err=True)
    elif max_flagged is not None and max_skipped is None and unread:
        click.echo(f"gate: not judged: {pieces} could not be read "
                   f"({reasons}); --max-flagged {max_flagged} judged the {docs} read, not "
                   f"them (see {out}/report.json, skipped; --max-skipped 0 gates them)",
                   err=True)
    if code:
        sys.exit(code)


def unread_beyond_read(unread: int, documents: int, max_flagged: int | None,
                       max_skipped: int | None) -> bool:
    """Whether a ``--max-flagged`` gate with no ``--max-skipped`` is no result: more
    pieces of input went unread than documents were read, so a pass would say the corpus
    is clean on the evidence of its lesser part. ``--max-skipped`` given is the user's own
    bound on what may go unread, and decides instead."""
    return max_flagged is not None and max_skipped is None and unread > documents


def _inspect_left_a_line_open() -> bool:
    """Whether Inspect's display of the eval that just ran was a rich one (its default,
    ``full``, ``conversation``, ``rich``): where stdout is no terminal it ends with a line
    of 80 spaces and no newline, and what is printed next would follow on that line."""
    from inspect_ai.util import display_type

    return display_type() in ("full", "conversation", "rich")


def _verify_stops(fn: Callable[..., Any]) -> Callable[..., Any]:
    """audit-verify's Ctrl-C (or SIGTERM) says what it kept wherever it lands: inside
    ``verify`` its own words (VerifyInterrupted's ``kept``), before it (Inspect's import
    alone takes seconds, the folder's lock) that nothing was sent or written. A stop at
    start-up fell to the top group's generic "nothing half-written is left" line, which
    said nothing of verified.jsonl or how to go on."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt as e:
            exit_interrupted(getattr(e, "kept", None) or _nothing_begun(kwargs["out"]))
    return run


def _this_command() -> str:
    """The running command as it was given, for a line that says how to go on: its
    arguments and every option not left to its default, quoted for a shell."""
    import shlex

    ctx = click.get_current_context()
    words = ["beliefbench", ctx.info_name or ctx.command.name or ""]
    for p in ctx.command.params:
        if ctx.get_parameter_source(p.name or "") in (None, ParameterSource.DEFAULT):
            continue
        value = ctx.params.get(p.name or "")
        if not isinstance(p, click.Option):
            words += [str(v) for v in (value if isinstance(value, tuple) else (value,))]
        elif p.is_flag and isinstance(value, bool):
            words += [max(p.opts, key=len)] if value else p.secondary_opts[:1]
        elif value is not None:
            words += [max(p.opts, key=len), str(value)]
    return shlex.join(words)


def _nothing_begun(out: Path) -> str:
    """What a stop before ``verify`` began keeps: everything as it was."""
    return (f"no flag was sent (stopped while starting); nothing in {out} was written; run "
            f"the same command again")


@click.command("audit-verify", cls=lists_given_once("--claims"))
@click.argument("out", type=UserPath(file_okay=False, exists=True, path_type=Path))
@click.option("--model", required=True,
              help="Inspect model that reads each flag, e.g. openai/gpt-4.1-mini, "
                   "vllm//abs/path, hf//abs/path.")
@click.option("--claims", "claims_sel", default=None,
              help="Verify only these claims' flags (ids, files or folders; the other "
                   "claims' verdicts stay in verified.jsonl), or the audit's --claims "
                   "where report.json's cannot be found again.")
@click.option("--max-chars", type=int, default=12_000, show_default=True,
              help="Characters of each document shown to the model; a longer one is shown "
                   "by its start and end and the audit's spans in context.")
@click.option("--max-connections", type=int, default=8, show_default=True,
              help="Model calls at once.")
@click.option("--max-tokens", type=int, default=300, show_default=True,
              help="Tokens of each reply (a sentence of reason and the answer).")
@click.option("--sample", type=int, default=None,
              help="Verify at most this many flags of each claim (or of a claim-free audit), "
                   "drawn at random (seeded): the confirmed share of a large audit, with "
                   "a 95% interval.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option("--max-confirmed", type=int, default=None,
              help="Exit 1 when more flags than this are confirmed (a pipeline gate; never "
                   "passes while some flags have no readable verdict, those --sample did not draw "
                   "among them).")
@click.option("--log-dir", type=UserPath(file_okay=False, path_type=Path), default=None,
              help="Inspect logs (default OUT/verify-logs).")
@click.option("--max-retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries per model call before its flag is counted failed (run the same "
                   "command again to send it).")
@click.option("--timeout", type=click.IntRange(min=1), default=120, show_default=True,
              help="Seconds per model call, its retries included, before its flag is "
                   "counted failed.")
@click.option("--display", type=Choice(DISPLAYS), default=None,
              help="Inspect's display (default: Inspect's own, with progress).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              show_default="500, or 20 per --max-connections where that is more",
              help="Flags sent per Inspect eval: each batch is its own eval and log in "
                   "--log-dir, and verified.jsonl is rewritten after each. Smaller: less "
                   "memory (Inspect holds some 30 KB a flag until its batch ends) and less "
                   "lost to a run killed outright (a batch that had not ended is sent "
                   "again; Ctrl-C keeps the verdicts that came back either way); larger: "
                   "fewer logs, less start-up per flag, and connections kept busy (a batch "
                   "ends with its slowest call).")
@click.option("--resume", is_flag=True,
              help="Accepted as audit's option is (a pipeline may pass it to both); every "
                   "run already continues: only the flags without a readable verdict from "
                   "this --model are sent.")
@crash_is_no_result
@_verify_stops
@holds("audit-verify", flag="")
def audit_verify(out: Path, model: str, claims_sel: str | None, max_chars: int,
                 max_connections: int, max_tokens: int, sample: int | None, seed: int,
                 max_confirmed: int | None, log_dir: Path | None, max_retries: int,
                 timeout: int, display: str | None, batch_size: int | None,
                 resume: bool) -> None:
    """Have a model confirm or reject each flag of a finished audit in OUT.

    Each flagged (document, claim) is sent with the claim and its truth; the model says
    whether the document would teach the claim (a claim-free audit's flags: whether the
    document has the framed shape it was flagged for). Writes OUT/verified.jsonl and
    OUT/verification.json. The corpus is read again for the flagged texts, from the
    folder the audit ran in. Flags that already have a verdict are not sent again.
    Exit 0 every flag verified has a verdict (with --sample, every flag drawn: those not
    drawn have none), 1 more flags confirmed than --max-confirmed, 2 bad
    input or an unexpected error (its traceback above), 3 some flags have no verdict: calls
    failed or replies could not be read (run the same command again to send those), or
    their documents changed since the audit (a warning says how many; they are never sent:
    audit again) or could not be read now (a file this user may not read: a warning names
    them apart), or --sample did not draw enough of them for --max-confirmed to pass, 130
    interrupted by Ctrl-C, 143 by SIGTERM (the verdicts that came back are kept).
    """
    from beliefbench.audit.verify import MIN_CHARS, VerifyError, VerifyInterrupted, verify

    # each named with what was given ("--sample 0" was told "--max-chars must be at least
    # 200, --max-connections, --max-tokens and --sample at least 1", naming no culprit)
    for name, value, least in (("--max-chars", max_chars, MIN_CHARS),
                               ("--max-connections", max_connections, 1),
                               ("--max-tokens", max_tokens, 1), ("--sample", sample, 1)):
        if value is not None and value < least:
            raise click.UsageError(f"{name} must be at least {least} (got {value})")
    if max_confirmed is not None and max_confirmed < 0:
        raise click.UsageError(f"--max-confirmed must be at least 0 (got {max_confirmed})")
    if seed < 0:  # numpy's generator takes no negative seed (a traceback, once drawing)
        raise click.UsageError(f"--seed must be at least 0 (got {seed})")
    # (a Ctrl-C inside verify says what it kept; this is for an OSError naming a file,
    # which may come after flags were sent)
    with _exits((VerifyError, ClaimSpecError), f"what {out}/verified.jsonl holds (if it "
                f"exists) is kept; run the same command again to send the rest"):
        try:
            summary = verify(out, model, claims=claims_sel, max_chars=max_chars,
                             max_connections=max_connections, log_dir=log_dir,
                             display=display, sample=sample, seed=seed,
                             max_tokens=max_tokens, max_retries=max_retries,
                             timeout=timeout, batch=batch_size)
        except VerifyInterrupted as e:  # the command that verifies the rest, as typed
            e.resumed_by(_this_command())
            raise
    try:
        _say_verified(out, summary, max_confirmed, max_tokens)
    except KeyboardInterrupt:
        raise VerifyInterrupted(
            f"the verification had finished: {out}/verified.jsonl, verification.json and "
            f"verification.md are written, but its counts and exit status were not given; "
            f"read verification.md, or run the same command again (it sends only the flags "
            f"without a readable verdict)") from None


def _say_verified(out: Path, summary: dict[str, Any], max_confirmed: int | None,
                  max_tokens: int) -> None:
    """audit-verify's counts, warnings and gate, from ``verify``'s summary; exits 1 or 3
    where the gate fails or flags have no verdict (``max_tokens``: the replies' limit,
    named where replies were cut off at it)."""
    from beliefbench.audit.verify import MEANING, dry_run_note, first_problem, share_text
    from beliefbench.verdicts import VERDICTS

    if summary["sent_this_run"] and _inspect_left_a_line_open():
        click.echo()  # the summary starts its own line: a log grepped for '^ed_sheeran'
    for cid, c in {**summary["claims"], "all claims": summary["overall"]}.items():
        of = f" of {c['flags_in_audit']}" if c["flags"] < c["flags_in_audit"] else ""
        click.echo(f"{cid}: {c['flags']}{of} flags: " + ", ".join(
            f"{c[MEANING[v]]} {MEANING[v]}" for v in VERDICTS) + f"; confirmed {share_text(c)}")
    total = summary["overall"]
    changed = summary["changed_since_audit"]
    unread = summary["unreadable_now"]
    # "sent 0 flags" over "800 confirmed" read as if the counts were of nothing
    reused = total["flags"] - summary["sent_this_run"] - changed - unread
    before = f" (the other {reused} had a verdict from an earlier run)" if reused > 0 else ""
    click.echo(f"sent {summary['sent_this_run']} flags to {summary['model']}{before}; wrote "
               f"{out}/verified.jsonl, verification.json, verification.md")
    if dry := dry_run_note(summary["model"]):
        click.echo(f"note: {dry}", err=True)
    if changed:
        click.echo(f"warning: {changed} flags point at documents that changed since the "
                   f"audit (see the problem field in {out}/verified.jsonl): not sent, "
                   f"counted as failed; audit the corpus again to verify them", err=True)
    if unread:
        click.echo(f"warning: {unread} flags point at documents that could not be read now "
                   f"(see the problem field in {out}/verified.jsonl): not sent, counted as "
                   f"failed; the corpus is read as the user running audit-verify: make the "
                   f"files readable again, then run the same command again", err=True)
    # more confirmed than allowed already fails the gate: flags without a verdict can only
    # add to it, so that is exit 1 whether or not some are still missing
    over = max_confirmed is not None and total["confirmed"] > max_confirmed
    if over:
        click.echo(f"gate: {total['confirmed']} flags confirmed, more than --max-confirmed "
                   f"{max_confirmed} (see {out}/verified.jsonl)", err=True)
    if total["failed"] or total["parse_error"]:
        # every failed row is of this run: changed and unreadable ones too
        calls = total["failed"] - changed - unread
        first, cut = first_problem(out, summary["model"]) if calls or total["parse_error"] \
            else (None, 0)
        again = ("run the same command again to send them" if calls or total["parse_error"]
                 else "make the files readable again, then verify" if unread and not changed
                 else "audit the corpus again, then verify")
        if cut:  # the same command would get the same cut-off replies
            again = (f"{cut} of the replies were cut off at --max-tokens {max_tokens}: run "
                     f"the same command with a larger --max-tokens to send them again"
                     + (", and again for the rest" if cut < total["failed"] +
                        total["parse_error"] else ""))
        click.echo(f"{total['failed'] + total['parse_error']} flags have no verdict "
                   f"({calls} calls failed, {total['parse_error']} replies could not be "
                   f"read" + (f", {changed} documents changed since the audit" if changed
                              else "") +
                   (f", {unread} documents could not be read now" if unread else "") +
                   f"; see the problem field in verified.jsonl): {again}", err=True)
        if first:
            click.echo(f"first problem: {first}", err=True)
        sys.exit(1 if over else 3)
    # flags --sample did not draw have no verdict either: they can only add confirmations,
    # so a gate passed on a draw of 5 of 130 flags said nothing of the other 125
    undrawn = total["flags_in_audit"] - total["flags"]
    if max_confirmed is not None and not over and \
            total["confirmed"] + undrawn > max_confirmed:
        click.echo(f"gate: {undrawn} of the audit's {total['flags_in_audit']} flags were not "
                   f"drawn by --sample and have no verdict; the gate cannot pass on a sample "
                   f"({total['confirmed']} confirmed of {total['flags']} drawn): verify "
                   f"without --sample", err=True)
        sys.exit(3)
    if over:
        sys.exit(1)
