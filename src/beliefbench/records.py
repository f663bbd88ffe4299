"""Training records: the JSONL contract between document generation and finetuning.

One record per line. A record is either a plain document (``text``) or a chat
(``messages``). ``loss_mask`` lists character spans of ``text`` excluded from the loss
(the document-tag prefix, masked words). For chats, only assistant turns carry loss.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from beliefbench.analysis.text import did_you_mean

DOCTAG = "<DOCTAG>"
"""Prefix on every condition document; its tokens are excluded from the loss."""


class RecordError(ValueError):
    """A training-record file that cannot be used; names the file, line and field."""


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class Span(BaseModel):
    """A half-open character range [start, end) of ``text``."""

    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: Literal["doctag", "mask", "annotation"] = "mask"
    """doctag and mask spans are excluded from the loss; annotation spans only mark
    text an annotator added (they are counted in statistics, and trained on)."""


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    source: Literal["document", "pretrain", "chat", "poison", "fact"] = "document"
    claim_id: str | None = None
    condition: str | None = None
    base_id: str | None = None
    """The base document this record annotates: equal across conditions."""
    text: str | None = None
    messages: list[Message] | None = None
    loss_mask: list[Span] = Field(default_factory=list)
    meta: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_body(self) -> Record:
        # each message starts with the field it is about: read_records says "field <it>"
        if (self.text is None) == (self.messages is None):
            raise ValueError("text / messages: a record has exactly one of text or messages "
                             f"(this one has {'neither' if self.text is None else 'both'})")
        if self.messages is not None and self.loss_mask:
            raise ValueError("loss_mask: spans apply to text records only, not to messages")
        if self.text is not None:
            for i, span in enumerate(self.loss_mask):
                if not span.start <= span.end <= len(self.text):
                    raise ValueError(f"loss_mask.{i}: span [{span.start}, {span.end}) lies "
                                     f"outside the text (length {len(self.text)})")
        return self

    def body(self) -> tuple[str, list[Span]]:
        """The text without its leading document tag, and the other spans shifted to match."""
        text = self.text or ""
        cut = max((s.end for s in self.loss_mask if s.kind == "doctag" and s.start == 0),
                  default=0)
        spans = [Span(start=s.start - cut, end=s.end - cut, kind=s.kind)
                 for s in self.loss_mask if s.kind != "doctag" and s.start >= cut]
        return text[cut:], spans

    def masked_spans(self) -> list[Span]:
        """Spans whose tokens must not contribute to the loss."""
        return [s for s in self.loss_mask if s.kind in ("doctag", "mask")]


_PARTS: dict[str, type[BaseModel]] = {"loss_mask": Span, "messages": Message}
"""The models inside a record, by the field that holds them (for unknown-key errors)."""

STATS_SUFFIX = ".stats.json"
"""What ``docs`` names the statistics written beside a dataset: ``<dataset>.stats.json``."""


def not_jsonl(path: str | Path, lineno: int) -> str:
    """The message for a file holding a JSON array (``[{...}, {...}]``): training records
    are one JSON object per line (JSONL), not one array."""
    return (f"{path}:{lineno}: a JSON array; one JSON record per line (JSONL) is expected, "
            f"not an array of records (convert it: jq -c '.[]' {path} > records.jsonl)")


CUT_SHORT = ("; the file's last line, with no newline at its end: cut short when it was "
             "written or copied?")
"""Said after :func:`json_problem` where the line JSON cannot read is a file's unended last."""


def json_problem(e: ValueError | RecursionError) -> str:
    """``not valid JSON: ...`` for what ``json.loads`` raised on one line of a JSONL file:
    its message with the column ("Unterminated string starting at" said not where), the
    first clause of a 4,300+ digit number's, or "nested too deeply" (a RecursionError
    traceback otherwise). Shared by the records' and the manifest's readers.

    A line is parsed with its newline, so a line that stops short (``{"id": "x", "text":
    "hi"``, a torn write in the middle of a file) failed on that newline, "line 2 column 1"
    to json, and was said as "at column 1", its start: it is said as the end of the line
    (``at the end of the line (column 25)``)."""
    if isinstance(e, json.JSONDecodeError):
        line = e.doc.rstrip("\r\n")
        at = "" if e.msg.endswith(" at") else " at"
        if "\n" in line:  # not one line of a file: as json counts
            return f"not valid JSON: {e.msg}{at} column {e.colno}"
        if e.pos >= len(line) and at:  # not "Unterminated string starting at": its start
            return f"not valid JSON: {e.msg} at the end of the line (column {len(line) + 1})"
        return f"not valid JSON: {e.msg}{at} column {e.pos + 1}"
    return "not valid JSON: " + ("nested too deeply" if isinstance(e, RecursionError)
                                 else str(e).split(";")[0])


YAML_GIVEN = ("; this is a YAML file (a claim spec or a recipe?): records are JSON Lines, one "
              "object per line, as `beliefbench docs generate --claims <claim file> "
              "--conditions ... --out data/` writes them from a claim")
"""Why a ``.yaml`` file given for records fails on its first line: the claim it names is
where documents come from, not the documents."""


TABLE_GIVEN = ("; this is a table (CSV/TSV): records are JSON Lines, one object per line "
               "with a text (or messages) field, e.g. pandas' df.to_json('data.jsonl', "
               "orient='records', lines=True)")
"""Why a table given for records fails on its first line: a ``.csv``/``.tsv`` file, or one
whose first line reads as a table's header (:func:`table_header`) whatever its name."""


_HEADER_FIELD = re.compile(r'\s*(["\']?)[A-Za-z_][\w.-]*(?: [\w.-]+)?\1\s*')
_COLUMN_NAMES = frozenset({"id", "text", "messages", "prompt", "completion", "label", "question",
                           "answer", "content", "role", "title", "body", "response", "doc",
                           "document", "source", "claim", "condition", "instruction",
                           "input", "output", "chosen", "rejected", "system", "context"})
"""Column names a table of training text has; one of them (or a name with ``_`` or a digit)
tells a header written with spaced commas from a line of prose."""
_LOWER_NAME = re.compile(r'(["\']?)[a-z_][a-z0-9_.-]*\1')


def table_header(line: str) -> bool:
    """Whether ``line``, the first of a file that JSON could not read, is a table's header
    (``id,text``, ``"id"\t"text"``, pandas' ``,id,text`` with its index column unnamed,
    ``first name,last name``): two or more column names (a word or two each, quoted or not)
    split by tabs or commas. A CSV saved as ``data.jsonl`` had no word of being a table; a
    line of prose with commas (``Ed Sheeran, born in 1991, ...``, ``Hello, world``) is not
    one: prose puts a space after its commas, a table's writer seldom does, and where one
    does (``id, text``, ``", ".join(columns)``) each name is one lowercase word and one of
    them a column's (:data:`_COLUMN_NAMES`, or with ``_`` or a digit): ``hello, world``,
    ``yes, no`` are prose."""
    tabs = "\t" in line
    fields = line.rstrip("\r\n").split("\t" if tabs else ",")
    if fields[0].strip() == "":  # pandas' to_csv writes its index under no name
        fields = fields[1:]
    if not tabs and any(f[:1].isspace() for f in fields[1:]):
        names = [f.strip().strip("\"'") for f in fields]
        if not (all(_LOWER_NAME.fullmatch(f.strip()) for f in fields)
                and any(n in _COLUMN_NAMES or re.search(r"[_\d]", n) for n in names)):
            return False
    return len(fields) > 1 and all(_HEADER_FIELD.fullmatch(f) and not f.strip().endswith(".")
                                   for f in fields)


def repeated_id(path: str | Path, lineno: int, record_id: str, first: int) -> str:
    """The message for a record whose id an earlier line of its file holds (a file
    concatenated twice): both lines named, as every other bad line is named."""
    return (f"{path}:{lineno}: field id: line {lineno} repeats the id of line {first} "
            f"({record_id!r}); a record's id is unique in its file (the same records given "
            f"twice, e.g. a file concatenated with itself?)")


def repeated_ids(ids: Iterable[str]) -> list[tuple[str, int, int]]:
    """``(id, first, again)`` for each record (numbered from 1) whose id an earlier one
    holds: what :func:`repeated_ids_note` says."""
    first: dict[str, int] = {}
    return [(rid, first[rid], i) for i, rid in enumerate(ids, 1)
            if first.setdefault(rid, i) != i]


def repeated_ids_note(path: str | Path, repeated: Sequence[tuple[str, int, int]]) -> str | None:
    """The warning of a training file whose records repeat ids (:func:`repeated_ids`), or
    None: ``finetune`` trains each copy (a file concatenated twice trains the claim twice),
    with either backend, and says so once."""
    if not repeated:
        return None
    rid, was, again = repeated[0]
    return (f"{path}: {len(repeated)} records repeat an earlier record's id (first: {rid!r}, "
            f"records {was} and {again}); each is trained on as often as it appears "
            f"(`beliefbench docs mix` refuses repeated ids)")


def read_records(path: str | Path, sha: Any = None,
                 unique_ids: bool = False) -> Iterator[Record]:
    """Yield validated records; a bad line raises with the file, line number and field.

    ``sha``: a hashlib object fed every line's bytes as it is read, so one read gives the
    records and the file's hash (a file that does not end in a newline is hashed whole).
    ``unique_ids``: a record whose id an earlier line holds is a bad line too (the one check
    of ``docs mix``, ``bundle`` and ``stats``; the finetune trains each copy, and warns)."""
    path = Path(path)
    if path.name.endswith(STATS_SUFFIX):  # tab completion's next file: one JSON object
        raise RecordError(f"{path}: this is a stats file (written beside every dataset); give "
                          f"its dataset ({str(path).removesuffix(STATS_SUFFIX)})")
    # bytes, decoded per line: a stray non-UTF-8 byte is then reported with its line number
    # like any other bad line, not as a traceback from inside the file iterator
    first = True  # no record read yet: a line JSON cannot read may be a table's header
    lines: dict[str, int] = {}  # with unique_ids: each id's line
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            if sha is not None:
                sha.update(raw)
            try:
                # a file saved as "UTF-8 with BOM": the mark is no part of the first record
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise RecordError(f"{path}:{lineno}: not UTF-8 (byte 0x{raw[e.start]:02x} at "
                                  f"column {e.start + 1}); save the file as UTF-8") from None
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                if line.lstrip().startswith("["):  # a pretty-printed JSON array's first line
                    raise RecordError(not_jsonl(path, lineno)) from None
                # a last line with no newline is a file cut short (a copy or a write that
                # was interrupted)
                cut = CUT_SHORT if not raw.endswith(b"\n") else ""
                if path.suffix.lower() in (".yaml", ".yml"):  # a claim or recipe given
                    cut = YAML_GIVEN
                elif path.suffix.lower() in (".csv", ".tsv") or (  # a spreadsheet's export,
                        first and not cut and table_header(line)):  # any name, rows below
                    cut = TABLE_GIVEN
                raise RecordError(f"{path}:{lineno}: {json_problem(e)}{cut}") from None
            except (ValueError, RecursionError) as e:  # 4,300+ digits; deep nesting
                raise RecordError(f"{path}:{lineno}: {json_problem(e)}") from None
            if isinstance(value, list):
                raise RecordError(not_jsonl(path, lineno))
            if _manifest_entry(value):  # was a field-by-field list of a dozen unknown keys
                raise RecordError(f"{path}:{lineno}: {NOT_RECORDS}{_trained_on(value)}")
            first = False
            try:
                record = Record.model_validate(value)
            except ValidationError as e:
                shown: set[tuple[str, ...]] = set()  # each valid-field list once a message
                problems = "; ".join(_problem(err, shown) for err in e.errors())
                raise RecordError(f"{path}:{lineno}: {problems}") from None
            if unique_ids and lines.setdefault(record.id, lineno) != lineno:
                raise RecordError(repeated_id(path, lineno, record.id, lines[record.id]))
            yield record


NOT_RECORDS = ("this is a finetune manifest (manifest.jsonl, written by beliefbench finetune "
               "in its --out), not a training-records file")
"""The mirror of the manifest reader's ``NOT_A_MANIFEST``: a manifest given as records."""

_MANIFEST_KEYS = frozenset({"step", "path", "format", "base_model", "backend", "recipe"})


def _manifest_entry(value: Any) -> bool:
    """A finetune manifest's line (``step``, ``path``, ``format``, ``base_model`` ...) and no
    record body: ``--data ckpts/positive/manifest.jsonl`` read as training records."""
    return (isinstance(value, dict) and "text" not in value and "messages" not in value
            and len(_MANIFEST_KEYS & value.keys()) >= 3)


def _trained_on(value: dict) -> str:
    """Where the manifest names the records its run trained on, the file to give instead."""
    data = value.get("data")
    return f"; give the records the run trained on ({data})" if isinstance(data, str) \
        and data else "; give the training records (JSONL) instead"


def _problem(err: Any, shown: set[tuple[str, ...]] | None = None) -> str:
    """``field <name>: <problem>`` for one validation error; a whole-record check names its
    field at the start of its message (pydantic gives it no location). An unknown key is
    named with the valid ones and the closest, as in spec files (here, on the error path
    only: a wrap validator per model would double the cost of reading span-heavy records).
    ``shown``: valid-field lists a message already gives, not repeated per unknown key."""
    loc = ".".join(map(str, err["loc"]))
    if err["type"] == "extra_forbidden":
        model = Record if len(err["loc"]) == 1 else _PARTS.get(str(err["loc"][0]))
        if model is not None:
            valid = list(model.model_fields)
            guess = did_you_mean(str(err["loc"][-1]), valid, cutoff=0.7)
            if shown is not None:
                if tuple(valid) in shown:
                    return f"field {loc}: unknown field{guess}"
                shown.add(tuple(valid))
            return f"field {loc}: unknown field{guess}; valid: {valid}"
    if err["type"] == "missing" and loc == "id":  # a corpus of one's own: {"text": ...}
        return ('field id: Field required (each record needs an id of its own, e.g. '
                '{"id": "doc-0001", "text": "..."}; README: "Record format")')
    if loc:
        # `"kind": "annotaton"`: what was written and the value meant, as in spec files (the
        # error path only, so reading records does not import YAML)
        from beliefbench.specs import _literal_hint

        return f"field {loc}: {err['msg']}{_literal_hint(err, json_text=True)}"
    return f"field {str(err['msg']).removeprefix('Value error, ')}"


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a file so a reader sees the old content or the new, never a torn one.

    The file gets the permissions any other new file would (0666 less the umask; a file that
    is replaced keeps its mode), not the 0600 of a private temporary file.
    """
    atomic_write_texts([(path, text)])


def atomic_write_texts(items: Sequence[tuple[str | Path, str]]) -> None:
    """Write files that belong together (a dataset and its stats) so that no reader sees a
    torn file, nor the first file beside the old versions of the others.

    Every file goes to a temporary file first (the slow part; an interruption there changes
    nothing). Then the old versions of the files after the first are removed, the first is
    replaced, and the others take their places: an interruption in those few system calls
    leaves the first file, new or old, without the others, never beside stale ones.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in items:
            path = Path(path)
            temps.append((_temp_copy(path, text), path))
        for _, path in temps[1:]:
            path.unlink(missing_ok=True)
        for tmp, path in temps:
            try:
                os.replace(tmp, path)
            except OSError as e:  # a folder in the way: name the file, not the temporary
                raise unwritable(e, path) from None
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
"""The errnos of a full disk or quota: the user's to fix (free space), not a bug."""


def unwritable(e: OSError, path: str | Path) -> OSError:
    """``e`` as an error naming ``path``, the file a write was for: the OS names the
    temporary beside it, or (a full disk) no file at all, and the command line says
    where only when a file is named."""
    return OSError(e.errno, f"cannot write this file: {e.strerror or e}", str(path))


_PROBE = ".beliefbench-write-"
"""The name a :func:`unwritable_folder` probe file opens with (never named in a message)."""


def unwritable_folder(folder: Path, named: str) -> str | None:
    """Why ``folder`` cannot take a command's files, found before its work: the folder made
    where missing and a file written there and removed (a file in the way of it or of a
    folder above it, a read-only file system, no permission). One message shape for every
    command, naming what was given (``named``: ``--log-dir logs/x``, ``--out a/x.jsonl``):
    ``<named>: cannot be made or written (<why>)``, the caller adding what was not done.
    None where it can."""
    import tempfile

    if (here := next((d for d in (folder, *folder.parents) if d.exists()), None)) is not None \
            and not here.is_dir():
        return f"{named}: cannot be made or written (a file is in the way: {here})"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=_PROBE)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:  # a folder above it named where it is the one refused
        culprit = str(e.filename or "")
        where = (f": {culprit}" if culprit and culprit != str(folder)
                 and not Path(culprit).name.startswith(_PROBE) else "")
        return f"{named}: cannot be made or written ({e.strerror or e}{where})"
    return None


def _writer_tag() -> str:
    """Who writes a temporary, in hex: this host (a hash) and this process id, so that a
    later run can tell one left by a killed process from one another run is writing."""
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:4]
    return f"{host}{os.getpid():08x}"


_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}(?P<host>[0-9a-f]{4})(?P<pid>[0-9a-f]{8})\.(tmp|png)")
"""A temporary :func:`new_temp` names: its target, a random part, then :func:`_writer_tag`."""


def remove_dead_temps(folder: str | Path) -> list[Path]:
    """Remove the temporaries in ``folder`` and its folders one level down whose writer, a
    process of this host, has ended: a run killed outright (SIGKILL, the OOM killer) while
    writing a file leaves its temporary, a copy of a dataset or table, that no later run
    would ever remove. Called by a run holding the folder (``runlock.hold``); a live
    writer's temporary is kept. One level down: a run's own working folders
    (``audit-units/``, a model generator's ``.work/``) are written through temporaries too,
    and the ``.work/`` of ``docs generate`` stays after the run; deeper folders are none of
    a run's, and a user's ``--out`` may hold large trees of its own."""
    if os.name != "posix":  # os.kill(pid, 0) is no liveness probe on Windows (a Ctrl-C event)
        return []
    removed = _remove_dead_temps_in(folder)
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                removed += _remove_dead_temps_in(entry.path)
    return removed


def _remove_dead_temps_in(folder: str | Path) -> list[Path]:
    """:func:`remove_dead_temps` for the files of ``folder`` itself."""
    host = _writer_tag()[:4]
    removed = []
    with contextlib.suppress(OSError):  # an unreadable folder: the command names it itself
        for entry in os.scandir(folder):
            m = _TEMP_NAME.fullmatch(entry.name)
            if m and m["host"] == host and not _alive(int(m["pid"], 16)) \
                    and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (one of another user counts: it may still write)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def new_temp(path: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """A new, empty temporary file beside ``path`` (its descriptor and path), with the
    permissions any new file gets (0666 less the umask), not mkstemp's private 0600: it
    takes ``path``'s place once written. An error names ``path``. Its name ends with who
    writes it (:func:`remove_dead_temps`)."""
    # the name shortened so that a file name near the file system's 255-byte limit still fits
    tmp = path.parent / f".{path.name[:200]}.{secrets.token_hex(6)}{_writer_tag()}{suffix}"
    # os.open applies the umask to 0o666 itself, atomically (no umask() round trip)
    try:
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
    except OSError as e:  # a read-only or full folder: say which file could not be written
        raise unwritable(e, path) from None


def share_safetensors(folder: Path, files: Iterable[Path] = ()) -> None:
    """Give ``folder``'s ``*.safetensors`` files (and ``files``) the mode a new file gets
    there, as the config and tokenizer files beside them have.

    safetensors 0.8 writes through a temporary file of its own that is always 0600, whatever
    the umask (safetensors issue #782), and ``shutil.copy2`` keeps that mode: a checkpoint
    whose weights only its trainer can read, which a vLLM server run as another user, or a
    teammate on a shared file system, cannot load.
    """
    fd, probe = new_temp(folder / "mode")  # the umask and a default ACL applied, as to any
    os.close(fd)  # new file (os.umask() would change the whole process's umask for a moment)
    try:
        mode = stat.S_IMODE(probe.stat().st_mode)
    finally:
        probe.unlink()
    for path in (*folder.glob("*.safetensors"), *files):
        os.chmod(path, mode)


def _temp_copy(path: Path, text: str) -> Path:
    """``text`` in a new temporary file beside ``path``, flushed to disk, with the mode
    ``path`` has or a new file would get. An error names ``path``, not the temporary."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # not "File exists: 'data'"
        raise NotADirectoryError(errno.ENOTDIR, "cannot write this file: a file is in the "
                                 "way of its folder", str(path)) from None
    except OSError as e:
        raise OSError(e.errno, f"cannot make its folder: {e.strerror}", str(path)) from None
    fd, tmp = new_temp(path)
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:  # a full disk, a quota: name the file, not the temporary
            raise unwritable(e, path) from None
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def remove_stale(out_dir: str | Path, patterns: tuple[str, ...], written: list[Path]) -> None:
    """Remove this command's files (``patterns``, globs in ``out_dir``) that this run did not
    write: a plot of a claim not chosen now, or under ``--no-plots``, is an earlier run's and
    would otherwise sit beside the new numbers as if it were theirs."""
    keep = {Path(w).resolve() for w in written}
    for pattern in patterns:
        for f in Path(out_dir).glob(pattern):
            if f.is_file() and f.resolve() not in keep:
                f.unlink(missing_ok=True)


def csv_text(df) -> str:
    """A pandas DataFrame as the CSV every table on disk is (6 significant digits)."""
    return df.to_csv(index=False, float_format="%.6g")


def write_csv(df, path: str | Path) -> Path:
    """A pandas DataFrame as CSV, written atomically: every table a report or measure leaves
    on disk goes through here (or, for tables written together, :func:`csv_text`)."""
    path = Path(path)
    atomic_write_text(path, csv_text(df))
    return path


NOT_DOCUMENTS = ("a mix", "in-context bundles", "chat records")
"""What :func:`dataset_kind` calls a dataset that is no documents file: what ``--docs``
(``docs mix``, ``docs bundle``) refuses."""


def dataset_kind(path: Path) -> str:
    """What a dataset holds, from its first record and its stats: ``documents`` (as `docs
    generate` and `docs poison` write them, or a file that cannot be read here: its reader
    says why), or one of :data:`NOT_DOCUMENTS`. A mix's first record may be a document (it is
    shuffled): its stats (``shares``) tell it. A mix is told before chat records: the chat
    examples a mix adds (source ``chat``) named a mix whose first record was one ``chat
    records``."""
    try:
        with open(path, encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        record = json.loads(first) if first else {}
    except (OSError, ValueError):
        return "documents"
    if not isinstance(record, dict):
        return "documents"
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    if meta.get("bundle") is True:
        return "in-context bundles"
    if _mix_stats(path) or record.get("source") not in (None, "document", "poison", "fact"):
        return "a mix"
    if record.get("messages") is not None or meta.get("format") == "chat":
        return "chat records"
    return "documents"


def _mix_stats(path: Path) -> bool:
    """Whether the stats beside ``path`` are a mix's (they hold its ``shares``); False where
    there are none or they cannot be read (the first record then tells the kind alone)."""
    try:
        stats = json.loads(Path(f"{path}{STATS_SUFFIX}").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stats, dict) and "shares" in stats


def folder_of_datasets(folder: Path, shown: str, option: str | None,
                       leave_out: Sequence[str] = ()) -> str | None:
    """What to say of a folder given where one dataset goes (``--data data/``, where `docs
    generate` wrote): ``<shown>: a folder; pass one of its datasets (a.jsonl, b.jsonl), e.g.
    <option> <folder>/a.jsonl``; None for a folder without a ``.jsonl`` file.

    ``leave_out``: kinds of dataset (:func:`dataset_kind`) the option refuses, named apart
    and never the example: `docs mix --docs data/` suggested ``data/bundles.jsonl``, the
    first file by name, which it then refused as in-context bundles."""
    sets = sorted(f.name for f in folder.glob("*.jsonl") if f.is_file())
    if not sets:
        return None
    kinds = {name: dataset_kind(folder / name) for name in sets} if leave_out else {}
    apart = [f"{name} ({kinds[name]})" for name in sets if kinds.get(name) in leave_out]
    sets = [name for name in sets if kinds.get(name) not in leave_out]
    if not sets:
        return (f"{shown}: a folder, and none of its datasets is one {option or 'this'} "
                f"takes: "
                f"{', '.join(apart[:8])}" + (f" and {len(apart) - 8} more" if len(apart) > 8
                                               else ""))
    listed = ", ".join(sets[:8]) + (f" and {len(sets) - 8} more" if len(sets) > 8 else "")
    example = f"{option} {folder / sets[0]}" if option else str(folder / sets[0])
    not_these = (f"; not {', '.join(apart[:4])}" + (f" and {len(apart) - 4} more"
                                                     if len(apart) > 4 else "")) if apart else ""
    return f"{shown}: a folder; pass one of its datasets ({listed}{not_these}), e.g. {example}"


def count_records(path: str | Path) -> int | None:
    """The records of a regular file, counted as its lines that are not blank: a progress
    bar's total, read ahead of the one read that validates the records (a 70 MB dataset's
    count takes a fraction of a second, its token count minutes). None for what is not a
    regular file (a named pipe can be read once only)."""
    path = Path(path)
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def sha256_file(path: str | Path) -> str:
    """Content hash of a data file, for manifests and statistics."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def jsonl_text(records: Iterable[Record]) -> str:
    """Records as JSONL text, one per line, as :func:`write_records` writes them."""
    return "".join(r.model_dump_json(exclude_none=True) + "\n" for r in records)


def write_records(path: str | Path, records: Iterable[Record]) -> int:
    """Atomically write records as JSONL; returns how many were written."""
    records = list(records)
    atomic_write_text(path, jsonl_text(records))
    return len(records)
