"""Run an audit: units of the corpus through one per-document function, locally or on Dask.

``audit_unit`` is the only per-document code path: the local engine calls it unit after unit
in this process; the Dask engine maps it over a bag of units (threads, processes, or a
running distributed cluster given by its scheduler's address) and merges the tallies.
Flagged documents stream to JSONL as they are found, so memory holds only counters,
whatever the corpus size.

Resumable: each finished unit leaves its flagged lines and its tally in ``<out>/audit-units/``
(written atomically, the tally last: a unit counts as done only once both are complete), so
an audit killed at any point continues with ``resume=True`` from the units not yet done,
under either engine, and yields the same report and ``flagged.jsonl`` as a run never
interrupted. The folder goes once ``flagged.jsonl`` is in place (with ``keep_work``, once the
caller has written its report beside it: :func:`finish`).

A file whose first rows have no text field (a misspelt --text-field) is told to ``run``'s
``on_no_field`` while the audit goes on: by the local engine as the reader sees it (after
the file's first 1,000 rows), by the Dask engine as the unit's tally reaches the driver, and
for the units an interrupted run finished, as the resumed run starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import multiprocessing.context
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from beliefbench import __version__
from beliefbench.audit.framing import TEACHING, ClaimReader, Finding, read_chat, read_free
from beliefbench.audit.sources import (
    AUDIT_FILES,
    AUDIT_WORK,
    CHUNK_BYTES,
    MAX_DOC_CHARS,
    TOO_LONG,
    Doc,
    Fields,
    NoField,
    Say,
    Skips,
    Unit,
    expand_patterns,
    missing_paths,
    plan_units,
    read_unit,
)
from beliefbench.claims import Claim
from beliefbench.optional import missing, require
from beliefbench.progress import bar_file, intervals
from beliefbench.records import atomic_write_text, new_temp, sha256_file, unwritable
from beliefbench.resources import data_path

ENGINES = ("local", "dask")
SCHEDULERS = ("threads", "processes", "synchronous")
LOG_EVERY = 30.0
"""Seconds between progress lines when stderr is not a terminal (a log, CI)."""
WORK = AUDIT_WORK
"""The folder of ``--out`` that holds finished units while an audit is unfinished."""
AUDIT_CODE = ("beliefbench.audit.cues", "beliefbench.audit.framing", "beliefbench.audit.run",
              "beliefbench.audit.sources", "beliefbench.documents.base",
              "beliefbench.documents.claim_sentences")
"""The modules whose code decides a unit's tally and flags (with ``audit/cues.yaml``): a
resumed audit must read its units with the code the interrupted one used, and ``__version__``
stays the same across upgrades."""
OWN_FILES = tuple(n for n in AUDIT_FILES if n not in (WORK, "flagged.jsonl"))
"""What audit and audit-verify write in ``--out`` besides WORK and flagged.jsonl: left out
of the corpus where --out lies inside it (neither read as corpus, as the Markdown summaries
and the JSONL would be, nor counted among the files of other kinds). An earlier audit's
--out inside the corpus is recognised by its files (sources.audit_output) and left out too,
with a note."""


@dataclass
class Tally:
    """Mergeable counts of one unit or of the whole corpus."""

    documents: int = 0
    chars: int = 0
    flagged: int = 0
    cpu_seconds: float = 0.0
    """CPU time of the per-document work (thread time, summed over workers): throughput per
    core that other load on the machine does not distort."""
    by_claim: dict[str, Counter[str]] = field(default_factory=dict)
    """claim id -> framing -> documents (claim mode)."""
    placements: dict[str, Counter[str]] = field(default_factory=dict)
    """claim id (or '*' in claim-free mode) -> 'framing:placement' -> documents."""
    free: Counter[str] = field(default_factory=Counter)
    """framing -> documents (claim-free mode)."""
    skips: Skips = field(default_factory=Skips)
    resumed_units: int = 0
    """Units whose counts come from an earlier, interrupted run (read back, not re-read)."""
    by_source: dict[str, Counter[str]] = field(default_factory=dict)
    """source (a JSONL, Parquet or Arrow file; the folder of text files) -> 'documents',
    'flagged' and framing -> documents, summed over claims: where the flags come from."""
    resumed_documents: int = 0
    """Documents of the resumed units (not read by this run: no part of its throughput)."""
    no_field: list[NoField] = field(default_factory=list)
    """A unit's files whose first rows had no text field (sources.NoField), as its reader
    told them: kept with the unit's tally so that the driver can say them where the unit
    was read elsewhere (a Dask worker, an interrupted run). Not merged: a unit's alone."""

    def merge(self, other: Tally) -> Tally:
        self.documents += other.documents
        self.chars += other.chars
        self.flagged += other.flagged
        self.cpu_seconds += other.cpu_seconds
        self.resumed_units += other.resumed_units
        self.resumed_documents += other.resumed_documents
        for src, dst in ((other.by_claim, self.by_claim), (other.placements, self.placements),
                         (other.by_source, self.by_source)):
            for k, c in src.items():
                dst.setdefault(k, Counter()).update(c)
        self.free.update(other.free)
        self.skips.merge(other.skips)
        return self

    def to_json(self) -> str:
        # by hand: dataclasses.asdict rebuilds a Counter from its items, counting the pairs
        return json.dumps({
            "documents": self.documents, "chars": self.chars, "flagged": self.flagged,
            "cpu_seconds": self.cpu_seconds,
            "by_claim": {k: dict(v) for k, v in self.by_claim.items()},
            "placements": {k: dict(v) for k, v in self.placements.items()},
            "free": dict(self.free), "resumed_units": self.resumed_units,
            "by_source": {k: dict(v) for k, v in self.by_source.items()},
            "skips": asdict(self.skips), "no_field": [asdict(e) for e in self.no_field]})

    @classmethod
    def from_json(cls, text: str) -> Tally:
        raw = json.loads(text)
        return cls(raw["documents"], raw["chars"], raw["flagged"], raw["cpu_seconds"],
                   {k: Counter(v) for k, v in raw["by_claim"].items()},
                   {k: Counter(v) for k, v in raw["placements"].items()},
                   Counter(raw["free"]), Skips(**raw["skips"]), raw["resumed_units"],
                   {k: Counter(v) for k, v in raw["by_source"].items()},
                   no_field=[NoField(**e) for e in raw.get("no_field", [])])


_READERS: dict[tuple[str, int], ClaimReader] = {}


def _readers(claims: Sequence[Claim]) -> list[ClaimReader]:
    """Compiled readers, built once per worker process and claim."""
    out = []
    for c in claims:
        key = (c.id, hash(c.statement))
        if key not in _READERS:
            _READERS[key] = ClaimReader(c)
        out.append(_READERS[key])
    return out


def audit_document(doc: Doc, readers: Sequence[ClaimReader]) -> dict[str, Finding]:
    """Every claim's finding for one document; claim-free mode under the key '*'."""
    if not readers:
        return {"*": read_free(doc.text)}
    if doc.turns:  # a chat: the assistant's reply may set the user's words right
        return {r.claim.id: read_chat(r, doc.text, doc.turns) for r in readers}
    return {r.claim.id: r.read(doc.text) for r in readers}


def _source(unit: Unit, doc: Doc) -> str:
    """The file a document came from, or for text files their folder (one file is one
    document there: its folder is the source a pipeline drops or keeps)."""
    if unit.kind == "text":
        return os.path.dirname(doc.where) or "."
    if unit.kind == "jsonl":
        return unit.path
    return doc.where.rpartition("#")[0]  # file#row


def _flag_line(doc: Doc, findings: dict[str, Finding]) -> str | None:
    hits = [(cid, f) for cid, f in findings.items()
            if (f.framing in TEACHING if cid != "*" else f.framing != "unframed")]
    if not hits:
        return None
    row: dict[str, Any] = {"where": doc.where, "id": doc.id, "chars": len(doc.text), "findings": [
        {"claim_id": None if cid == "*" else cid, "framing": f.framing,
         "placement": f.placement, "claim_sentences": f.claim_sentences,
         "spans": f.span_json(doc.text)} for cid, f in hits]}
    return json.dumps(row, ensure_ascii=False)


def audit_unit(unit: Unit, claims: Sequence[Claim], fields: Fields, sink: IO[str],
               bar: Any = None, say: Say | None = None,
               max_chars: int = MAX_DOC_CHARS) -> Tally:
    """Read one unit, classify every document, write flagged ones to ``sink``. A start of
    a file without any text field goes into the tally's ``no_field``, and to ``say`` at
    once where given (the local engine's driver: while the unit is read on). A document
    longer than ``max_chars`` is a ``too long`` skip, named with its length, not read:
    reading one takes 20-30 times its size in memory (a 50 MB line, 1.6 GB)."""
    readers = _readers(claims)
    tally = Tally()

    def told(e: NoField) -> None:
        tally.no_field.append(e)
        if say is not None:
            say(e)

    cpu0 = time.thread_time()
    for doc in read_unit(unit, fields, tally.skips, told, max_chars):
        if len(doc.text) > max_chars:  # a place of its own: each such document is named
            tally.skips.add(TOO_LONG, f"{len(doc.text):,} characters, more than "
                                      f"--max-doc-chars {max_chars:,}; not read", doc.where)
            continue
        findings = audit_document(doc, readers)
        tally.documents += 1
        tally.chars += len(doc.text)
        source = tally.by_source.get(src := _source(unit, doc))
        if source is None:
            source = tally.by_source[src] = Counter()
        source["documents"] += 1
        for cid, f in findings.items():
            counter = tally.free if cid == "*" else tally.by_claim.setdefault(cid, Counter())
            counter[f.framing] += 1
            source[f.framing] += 1
            if f.placement:
                tally.placements.setdefault(cid, Counter())[f"{f.framing}:{f.placement}"] += 1
        line = _flag_line(doc, findings)
        if line is not None:
            sink.write(line + "\n")
            tally.flagged += 1
            source["flagged"] += 1
        if bar is not None:
            bar.update(1)
    tally.cpu_seconds = time.thread_time() - cpu0
    return tally


def _bar(progress: bool, desc: str, unit: str, initial: int = 0) -> tqdm:
    """``initial``: documents an interrupted run read, counted but left out of the rate
    (a resumed run showed 25,000 documents/s, its own rate being a third of it)."""
    return tqdm(desc=desc, unit=unit, disable=not progress, **intervals(),
                file=bar_file(), initial=initial)


def _part(work: Path, index: int) -> Path:
    """Flagged lines of unit ``index``."""
    return work / f"unit-{index:06d}.jsonl"


def _done(work: Path, index: int) -> Path:
    """Tally of unit ``index``: written last, so its presence means the unit is done."""
    return work / f"unit-{index:06d}.json"


def _named(e: OSError, path: Path) -> OSError:
    """A write's OSError (a full disk: no file name of its own) as one naming ``path``, the
    file being written, so that the command line says where, not a traceback; one that
    names its file (an unreadable corpus file) as it is."""
    return unwritable(e, path) if e.filename is None else e


def audit_unit_to(work: Path, index: int, unit: Unit, claims: Sequence[Claim],
                  fields: Fields, bar: Any = None, say: Say | None = None,
                  max_chars: int = MAX_DOC_CHARS) -> Tally:
    """``audit_unit`` into the work folder: the flagged lines (to a temporary file, synced,
    then renamed), then the tally. Both engines run units through here, so a unit killed
    half-way leaves nothing that counts, and one that finished is never read again."""
    part = _part(work, index)
    # a temporary file of this writer's own: a unit may have two (a killed driver's worker
    # on a cluster still reading it as --resume reads it again), and a shared one was
    # renamed away under the second
    fd, tmp = new_temp(part)
    # a lone surrogate (an id of "\ud800", a file name not in UTF-8) goes out as its JSON
    # escape, which reads back as the same string
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as sink:
            tally = audit_unit(unit, claims, fields, sink, bar, say, max_chars)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, part)
    except OSError as e:  # a full disk: no half-written temporary left behind
        tmp.unlink(missing_ok=True)
        raise _named(e, part) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    atomic_write_text(_done(work, index), tally.to_json())
    return tally


def _fingerprint(units: list[Unit], claims: Sequence[Claim], fields: Fields,
                 max_chars: int = MAX_DOC_CHARS) -> dict[str, str]:
    """What a resumed audit must share with the interrupted one, part by part (so a refusal
    can say which differs): the units and the size and modification time of each file
    (the corpus and --chunk-mb), the claims' full specs, the fields read, the code version
    and the reading code itself (:func:`_code_digest`)."""
    claims_json = json.dumps([c.model_dump(mode="json") for c in claims])
    return {"corpus": _corpus_digest(units),
            "claims": hashlib.sha256(claims_json.encode()).hexdigest(),
            "fields": json.dumps(asdict(fields)), "max_doc_chars": str(max_chars),
            "version": __version__,
            "code": _code_digest()}


def _stat(path: str) -> list[int] | None:
    """A corpus file's size and modification time (None: gone or unreadable)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _corpus_digest(units: list[Unit]) -> str:
    """The sha256 of the units and the size and modification time of each of their files."""
    corpus = [[asdict(u), [_stat(f) for f in (u.files or (u.path,))]] for u in units]
    return hashlib.sha256(json.dumps(corpus).encode()).hexdigest()


def _file_stats(units: list[Unit]) -> dict[str, list[int] | None]:
    """Each corpus file's :func:`_stat` by absolute path, kept in the plan so that a refused
    ``--resume`` names the files that changed (a shard a writer was still appending to)
    where it said only "its corpus (its files, their sizes or times, or --chunk-mb)"."""
    return {os.path.abspath(f): _stat(f) for u in units for f in (u.files or (u.path,))}


def _corpus_change(before: dict[str, Any], now: dict[str, list[int] | None],
                   most: int = 5) -> str:
    """What differs between the interrupted audit's files and this run's, file by file
    (the first ``most`` of each kind), or that the files are the same (--chunk-mb)."""
    def shown(path: str) -> str:
        rel = os.path.relpath(path)
        return path if rel.startswith("..") else rel

    def listed(paths: list[str]) -> str:
        more = f" and {len(paths) - most} more" if len(paths) > most else ""
        return ", ".join(map(shown, paths[:most])) + more

    said = []
    changed = [p for p in now if p in before and before[p] != now[p]]
    for p in changed[:most]:
        was, new = before[p], now[p]
        said.append(f"{shown(p)} " + (
            "is gone or unreadable now" if new is None else "could not be read then"
            if was is None else f"is {new[0]:,} bytes now, {was[0]:,} then" if new[0] != was[0]
            else "was modified since (the same size)"))
    if len(changed) > most:
        said.append(f"{len(changed) - most} more changed")
    if added := [p for p in now if p not in before]:
        said.append(f"new: {listed(added)}")
    if gone := [p for p in before if p not in now]:
        said.append(f"no longer in it: {listed(gone)}")
    if not said:
        return "the same files, cut into other units (another --chunk-mb)"
    # a file changed is a writer's; files only added or gone, another list of paths
    why = ("a shard still being written, or replaced, since it began?" if changed else
           "other corpus paths given, or shards added or removed since it began?")
    return f"{'; '.join(said)} ({why})"


def _files_digest(units: list[Unit]) -> str:
    """:func:`_corpus_digest` with every path resolved: the same files named by other
    paths (a cluster's absolute ones, the relative ones given to the local engine, a
    symlink's) have the same one, so a refusal can say that the paths differ, not the corpus
    (:func:`_renamed`; a link's files were "new" and the linked ones "no longer in it")."""
    return _corpus_digest([replace(u, path=os.path.realpath(u.path),
                                   files=tuple(os.path.realpath(f) for f in u.files))
                           for u in units])


def _code_digest() -> str:
    """The sha256 of the audit's reading code and cue data (:data:`AUDIT_CODE`): an upgrade
    that changes how a document is framed changes it, so the units an earlier install
    finished are not mixed with units read by the new rules."""
    files = [Path(str(importlib.import_module(name).__file__)) for name in AUDIT_CODE]
    sums = " ".join(sha256_file(f) for f in [*files, data_path("audit/cues.yaml")])
    return hashlib.sha256(sums.encode()).hexdigest()


def _read_plan(path: Path) -> dict[str, Any]:
    """An unfinished audit's plan; ValueError naming the file where it is not one."""
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(plan, dict) and isinstance(plan.get("units"), int)
                and isinstance(plan.get("fingerprint"), dict)):
            raise ValueError("not an object with units and fingerprint")
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not the plan of an unfinished audit ({e}); if "
                         f"{path.parent} is an audit's work folder, delete it to start again, "
                         f"else choose another --out") from None
    return plan


def _open_work(work: Path, plan: dict[str, Any], resume: bool) -> dict[int, Tally]:
    """The tallies of the units an interrupted audit in ``work`` finished (``resume``), or
    a fresh work folder. Refuses to discard an unfinished audit without ``resume``, and to
    resume one whose corpus, claims, fields or version differ, or that read the same files
    by other paths (``plan``'s ``files`` and ``cluster``: :func:`_renamed`)."""
    plan_file = work / "plan.json"
    if not plan_file.is_file():
        # nothing there, or what an audit killed before its plan was written leaves (the
        # plan's temporary file): anything else is not ours to delete
        theirs = [x.name for x in work.iterdir() if not x.name.startswith(".plan.json")] \
            if work.is_dir() else []
        if theirs or (work.exists() and not work.is_dir()):
            raise ValueError(f"{work}: exists and is not an audit's work folder (it has no "
                             f"plan.json, and holds {', '.join(sorted(theirs)[:3]) or 'a file'}"
                             f"); choose another --out, or move it")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        atomic_write_text(plan_file, json.dumps(plan, indent=1))
        return {}
    old = _read_plan(plan_file)
    done = {}
    for i in range(old["units"]):
        try:
            tally = Tally.from_json(_done(work, i).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not done (or unreadable): the unit is read again
        tally.resumed_units = 1
        tally.resumed_documents = tally.documents
        done[i] = tally
    where = f"{work.parent}: holds an unfinished audit ({len(done)} of {old['units']} units done)"
    new = plan["fingerprint"]
    differ = [k for k in new if new[k] != old["fingerprint"].get(k)]  # the units: corpus
    same_files = "files" in old and old["files"] == plan.get("files")  # by other paths
    if differ == ["corpus"] and same_files:  # (without --resume it said "add --resume to
        # continue it", which --resume then refused for these paths)
        raise ValueError(_renamed(where, old, plan.get("cluster"), work, resume))
    if not resume and not differ:
        raise ValueError(f"{where}; add --resume to continue it, or delete {work} to start "
                         f"again")
    if differ:
        names = {"corpus": "corpus (its files, their sizes or times, or --chunk-mb)",
                 "claims": "claims", "fields": "text, messages or id field",
                 "max_doc_chars": "--max-doc-chars",
                 "version": "beliefbench version",
                 "code": "audit code (beliefbench was upgraded or changed since the "
                         "interrupted audit started: its units were read by other rules)"}
        if "corpus" in differ and same_files:
            # (beside another difference: it said "the same files, cut into other units
            # (another --chunk-mb)")
            names["corpus"] = "corpus paths (the same files by other paths)"
        elif "corpus" in differ and isinstance(old.get("stats"), dict):  # (older plans: none)
            names["corpus"] = f"corpus ({_corpus_change(old['stats'], plan['stats'])})"
        verb = "differ" if len(differ) > 1 or differ == ["claims"] else "differs"
        sides = _sides(differ, old, plan)
        # without --resume it said "add --resume to continue it" of another audit, which
        # --resume then refused
        how = ("--resume continues only the same audit; delete " if resume else
               "--resume would continue only that audit (the command that began it); give "
               "another --out, or delete ")
        raise ValueError(f"{where}, but its {', '.join(names[k] for k in differ)} {verb} "
                         f"from this run's{sides}: {how}{work} to start again")
    return done


def _sides(differ: list[str], old: dict[str, Any], plan: dict[str, Any]) -> str:
    """What the interrupted audit read and this run would, for the claims, fields and
    --max-doc-chars that differ: " (it audits ed_sheeran; this run, dentist)". "its claims
    differ" and "its text, messages or id field differs" left the user to guess which, and
    what the command that began it (the one --resume continues) had been given. "" where
    the plan keeps no such record (plans before claim ids were kept)."""
    said = []
    if "claims" in differ and isinstance(old.get("claim_ids"), list):
        was, now = old["claim_ids"], plan["claim_ids"]
        if was == now:
            said.append(f"the same claim ids, {', '.join(now)}, with other specs: a claim "
                        f"file edited since it began?")
        else:
            said.append(f"it audits {', '.join(was) or 'no claims'}; this run, "
                        f"{', '.join(now) or 'no claims'}")
    if "fields" in differ:
        try:
            was, now = (json.loads(p["fingerprint"]["fields"]) for p in (old, plan))
        except (ValueError, TypeError):
            was = now = {}
        options = {"text": "--text-field", "messages": "--messages-field", "id": "--id-field"}
        pairs = [(f"{o} {was[k]!r}", f"{o} {now[k]!r}") for k, o in options.items()
                 if isinstance(was, dict) and k in was and was[k] != now.get(k)]
        if pairs:
            said.append(f"it read {', '.join(a for a, _ in pairs)}; this run, "
                        f"{', '.join(b for _, b in pairs)}")
    if "max_doc_chars" in differ:
        was, now = (p["fingerprint"].get("max_doc_chars") for p in (old, plan))
        if isinstance(was, str) and was.isdigit() and str(now).isdigit():
            said.append(f"it read --max-doc-chars {int(was):,}; this run, --max-doc-chars "
                        f"{int(now):,}")
    return f" ({'; '.join(said)})" if said else ""


def _given(old: dict[str, Any], lead: str = "") -> str:
    """The corpus paths the interrupted audit was given, as its plan keeps them (the first
    three), and the folder it ran in where that is not this one and a path is relative:
    " (c)", " (c/a.jsonl c/b.jsonl and 4 more, from /data)", ``lead`` opening the
    parenthesis; "" for a plan without them."""
    given = old.get("given")
    if not (isinstance(given, list) and given and all(isinstance(p, str) for p in given)):
        return ""
    more = f" and {len(given) - 3} more" if len(given) > 3 else ""
    cwd = old.get("cwd")
    at = (f", from {cwd}" if isinstance(cwd, str) and cwd != os.getcwd()
          and not all(map(os.path.isabs, given)) else "")
    return f" ({lead}{' '.join(map(shlex.quote, given[:3]))}{more}{at})"


def unfinished(work: Path) -> tuple[str, str]:
    """(done, given) of the unfinished audit in ``work`` for a refusal that names it (the
    one of audit-verify): ", 6 of 18 units done" and " (its corpus as given: big/)" (see
    :func:`_given`), each "" where its plan cannot say."""
    try:
        plan = _read_plan(work / "plan.json")
    except ValueError:
        return "", ""
    done = sum(_done(work, i).is_file() for i in range(plan["units"]))
    return f", {done} of {plan['units']} units done", _given(plan, "its corpus as given: ")


def _renamed(where: str, old: dict[str, Any], now: str | None, work: Path,
             resume: bool) -> str:
    """Why ``--resume`` refuses the same files read by other paths (relative and absolute
    ones, a symlink's): flagged.jsonl and the sources would name the documents of the units
    read before one way and the rest the other, and audit-verify find only some; without
    ``resume``, that ``--resume`` alone would not continue it either, and what would.
    ``old``: the interrupted audit's plan (its ``cluster``, and the paths it was given:
    :func:`_given`); ``now``: the address of the Dask cluster this run reads on (whose
    workers read absolute paths), or None."""
    before = old.get("cluster")
    if before and not now:
        how = (f"it began on a Dask cluster ({before}), whose workers read the corpus by "
               f"absolute paths: resume it there (--engine dask --scheduler {before}), or "
               f"give this run the corpus by its absolute paths")
    elif now and not before:
        how = ("it began without a cluster, reading the corpus by the paths given, and a "
               "cluster's workers read absolute ones: resume it without one (--engine local, "
               "or --engine dask with --scheduler threads, processes or synchronous)")
    else:
        how = f"give this run the corpus by the paths the interrupted one was given{_given(old)}"
    same = "read the same files by other paths than this run's"
    said = f"but it {same}" if resume else f"which {same}, so --resume with these paths is refused"
    then = "" if resume else ", with --resume"  # what else it takes
    return (f"{where}, {said} (flagged.jsonl would name their documents both ways): {how}{then}; "
            f"or delete {work} to start again")


def _remove_work(work: Path) -> None:
    """Remove the work folder in an order that a kill at any point leaves resumable: the
    tallies first (each marks its unit done: one left beside its removed flagged lines
    was resumed as done and the report found no lines), then the rest, the plan last (unit
    files left without it were refused as not an audit's work folder). ``shutil.rmtree``
    removes in directory order, which is neither."""
    plan = work / "plan.json"
    for group in (sorted(work.glob("unit-*.json")), [p for p in sorted(work.iterdir())
                                                      if p != plan]):
        for path in group:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    plan.unlink(missing_ok=True)
    work.rmdir()


def _remove(work: Path, made: Sequence[Path]) -> None:
    """Remove the work folder and the folders this run made for --out (deepest first),
    leaving --out as it was where the audit has no result."""
    _remove_work(work)
    for d in made:
        try:
            d.rmdir()
        except OSError:  # not empty (something else was put there meanwhile)
            break


def run(paths: Sequence[str | Path], claims: Sequence[Claim], flagged_path: str | Path,
        fields: Fields | None = None, engine: str = "local", scheduler: str = "threads",
        workers: int | None = None, chunk_bytes: int | None = None,
        progress: bool = True, resume: bool = False,
        on_no_field: Say | None = None, keep_work: bool = False,
        max_chars: int = MAX_DOC_CHARS) -> tuple[Tally, int]:
    """Audit the corpus; flagged documents go (atomically) to ``flagged_path``.

    ``on_no_field`` is told each file whose first rows have no text field (sources.NoField)
    while the audit goes on, once per file: by the local engine as soon as its reader sees
    it, by the Dask engine as the unit that read it finishes (where the rest of that unit
    had no text field either), and for units an interrupted run finished, as ``resume``
    starts. The progress bar is cleared for it.

    Finished units are kept in ``audit-units/`` beside ``flagged_path`` until the audit
    ends; ``resume`` continues an interrupted audit from them (ValueError where there is
    one and ``resume`` is not set, or where it read another corpus, claims or fields).
    ``keep_work``: leave them after ``flagged_path`` is written, for a caller that writes a
    report from the tally and only then calls :func:`finish`; a stop while it writes must
    not cost the whole audit (with the units gone, ``resume`` would read it all again).
    ``max_chars``: documents longer than this are skipped as ``too long`` (not read).
    ValueError before anything is written where none of ``paths`` exists. Where no document
    could be read (the tally's ``documents`` is 0), no ``flagged_path`` is written (an
    earlier audit's is left as it was) and the folders this run made are removed again.
    Returns the merged tally and the number of units.
    """
    flagged_path = Path(flagged_path)  # "flagged.jsonl" from Python, as the CLI's --out
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; valid: {list(ENGINES)}")
    if engine == "dask" and scheduler not in SCHEDULERS and not _is_address(scheduler):
        from beliefbench.analysis.text import did_you_mean

        raise ValueError(f"unknown scheduler {scheduler!r}{did_you_mean(scheduler, SCHEDULERS)}"
                         f"; valid: {list(SCHEDULERS)}, or the address of a Dask cluster's "
                         f"scheduler (tcp://host:8786)")
    if engine == "dask" and _is_address(scheduler) and workers:
        raise ValueError("--workers sizes a local scheduler's pool; a cluster at "
                         f"{scheduler} has the workers it was started with")
    if engine == "dask":  # before the corpus is planned (folders of shards: a while)
        require("dask", "--engine dask")
        if _is_address(scheduler):
            require("distributed", f"--scheduler {scheduler} (a Dask cluster)")
    if engine == "dask" and _is_address(scheduler):
        paths = read_paths(paths, engine, scheduler)
        flagged_path = Path(os.path.abspath(flagged_path))
    # against the paths the patterns matched: one pattern matching 30 shards and a link
    # that leads nowhere was refused whole, as "the only corpus path given"
    named = expand_patterns(paths)
    gone = missing_paths(named)
    if gone and len(gone) == len(named):
        raise ValueError((f"{gone[0]} (the only corpus path given)" if len(gone) == 1 else
                          f"none of the corpus paths exists ({'; '.join(gone)})")
                         + "; nothing was read or written")
    skips = Skips()
    fields = fields or Fields()
    out = flagged_path.parent
    work = out / WORK
    made = [d for d in (out, *out.parents) if not d.exists()]  # deepest first
    # where --out lies inside the corpus, the audit's own files are not corpus
    units = plan_units(list(paths), skips, chunk_bytes or CHUNK_BYTES,
                       exclude=[work, flagged_path, *(out / n for n in OWN_FILES)])
    done = _open_work(work, {"fingerprint": _fingerprint(units, claims, fields, max_chars),
                             "units": len(units), "files": _files_digest(units),
                             "stats": _file_stats(units),
                             "claim_ids": [c.id for c in claims],  # (named where refused)
                             "cluster": scheduler if engine == "dask" and _is_address(scheduler)
                             else None,
                             # as given, and where (named where --resume refuses other paths)
                             "given": [str(p) for p in paths], "cwd": os.getcwd()}, resume)
    todo = [(i, u) for i, u in enumerate(units) if i not in done]
    tallies = dict(done)
    say, tell = _tellers(on_no_field, progress and engine == "dask")
    for i in sorted(done):  # what the interrupted run read: said before reading on
        tell(done[i])
    if engine == "local":
        with _bar(progress, "audit", "doc", sum(t.documents for t in done.values())) as bar:
            # documents have no total before they are read; units do: how far the audit is
            for k, (i, unit) in enumerate(todo):
                bar.set_postfix_str(f"unit {len(done) + k + 1}/{len(units)}", refresh=False)
                tallies[i] = audit_unit_to(work, i, unit, claims, fields, bar, say,
                                           max_chars)
            bar.set_postfix_str(f"units {len(units)}/{len(units)}", refresh=False)
    else:
        try:
            tallies.update(_run_dask(todo, claims, fields, work, scheduler, workers,
                                     progress, tell, max_chars))
        except ValueError:  # no scheduler (or no distributed): no unit ran, nothing to
            if not done and not any(work.glob("unit-*")):  # resume, and a plan left
                _remove(work, made)  # behind refused the same command's next run
            raise
    # in unit order, as one uninterrupted pass would have counted (the first skip examples)
    total = Tally(skips=skips)
    for i in range(len(units)):
        total.merge(tallies[i])
    if not total.documents:  # no result to write: leave --out as it was
        _remove(work, made)
        return total, len(units)
    fd, tmp = new_temp(flagged_path)
    try:
        with os.fdopen(fd, "wb") as sink:
            for i in range(len(units)):
                with open(_part(work, i), "rb") as part:
                    shutil.copyfileobj(part, sink)
        os.replace(tmp, flagged_path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _named(e, flagged_path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not keep_work:
        finish(flagged_path)
    return total, len(units)


def finish(flagged_path: Path) -> None:
    """Remove the finished units beside ``flagged_path`` (``run(..., keep_work=True)``), once
    the report that describes them is written."""
    with contextlib.suppress(OSError):  # already gone (a report written again by --resume)
        _remove_work(flagged_path.parent / WORK)


def _tellers(on_no_field: Say | None, dask_bar: bool
             ) -> tuple[Say | None, Callable[[Tally], None]]:
    """(say, tell): ``say`` passes a sources.NoField to ``on_no_field`` (None without one),
    once per file, the progress bars cleared for its line; ``tell`` says those of a unit's
    finished tally (a Dask worker's, an interrupted run's) unless the unit found the text
    field after all (then its rows without it are skips like any other: no warning to
    take back). ``dask_bar``: Dask's own bar may be drawn on the terminal (not tqdm's)."""
    said: set[str] = set()

    def say(e: NoField) -> None:
        if on_no_field is None or e.path in said:
            return
        said.add(e.path)
        with tqdm.external_write_mode(file=sys.stderr):
            if dask_bar and sys.stderr.isatty():
                sys.stderr.write("\r\x1b[K")  # the line Dask's bar redraws
            on_no_field(e)

    def tell(tally: Tally) -> None:
        if not tally.skips.text_rows:
            for e in tally.no_field:
                say(e)

    return (say if on_no_field is not None else None), tell


def _run_dask(todo: list[tuple[int, Unit]], claims: Sequence[Claim], fields: Fields,
              work: Path, scheduler: str, workers: int | None, progress: bool,
              tell: Callable[[Tally], None] | None = None,
              max_chars: int = MAX_DOC_CHARS) -> dict[int, Tally]:
    """Map ``audit_unit_to`` over a Dask bag of the units not yet done (the workers write
    into ``work``, which a distributed cluster's workers must share). ``tell`` gets each
    unit's tally on the driver as the unit finishes."""
    try:
        import dask
        import dask.bag as db
    except ImportError as e:  # run() looked it up; here a broken install, say
        raise ValueError(missing("dask", "--engine dask")
                         or f"--engine dask: cannot import dask ({e})") from None
    if not todo:
        return {}
    bag = db.from_sequence(todo, npartitions=len(todo))
    tallies = bag.map(lambda iu: audit_unit_to(work, iu[0], iu[1], claims, fields,
                                               max_chars=max_chars))
    if _is_address(scheduler):
        return _run_cluster(tallies, todo, scheduler, progress, tell)
    options: dict[str, Any] = {"scheduler": scheduler}
    if workers and scheduler != "synchronous":
        options["num_workers"] = workers
    pool = threads = None
    if scheduler == "processes":
        # a pool of our own: on Ctrl-C (or any error) its workers are terminated at once;
        # dask's own pool is shut down waiting for the units it already handed out, which
        # could hang when a worker had died of the same Ctrl-C
        pool = _Pool(workers or os.cpu_count() or 1)
        options["pool"] = pool.executor
    elif scheduler == "threads":
        # ours too, ended with the run: dask keeps its own (one per --workers) until the
        # interpreter's exit handlers end it, and the command line waits for such threads
        # before those handlers run: the audit wrote its report, then hung for good
        threads = ThreadPoolExecutor(workers or os.cpu_count() or 1,
                                     thread_name_prefix="audit")
        options["pool"] = threads
    try:
        with dask.config.set(**options), _dask_progress(progress, len(todo)), _finished(tell):
            results = tallies.compute()
    except BaseException:
        if pool is not None:
            pool.terminate()
        if threads is not None:  # (a unit being read finishes: threads cannot be killed)
            threads.shutdown(wait=False, cancel_futures=True)
        raise
    if pool is not None:
        pool.executor.shutdown()
    if threads is not None:
        threads.shutdown()
    return {i: t for (i, _), t in zip(todo, results, strict=True)}


class _QuietProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that ignores SIGINT and SIGTERM: a terminal's Ctrl-C reaches the
    whole process group, and workers still importing beliefbench printed a screen of
    KeyboardInterrupt traceback each; Slurm's SIGTERM reaches every process of the job, and a
    worker it killed could fail the audit (a traceback, exit 2) before the driver's SIGTERM
    stopped it as a Ctrl-C. The driver alone handles both (and kills them: see
    :meth:`_Pool.terminate`). The ignored dispositions are inherited through spawn's exec, so
    they hold from the start."""

    def start(self) -> None:
        main = threading.current_thread() is threading.main_thread()  # (signals: main only)
        before = {s: signal.signal(s, signal.SIG_IGN) for s in _QUIET} if main else {}
        try:
            super().start()
        finally:
            for s, handler in before.items():  # (None: not set from Python, left as it was)
                if handler is not None:
                    signal.signal(s, handler)


_QUIET = (signal.SIGINT, signal.SIGTERM)


class _Spawn(multiprocessing.context.SpawnContext):
    """The spawn context, its processes quiet (:class:`_QuietProcess`) and kept (to be
    terminated)."""

    def __init__(self) -> None:
        self.started: list[_QuietProcess] = []

    def Process(self, *args: Any, **kwargs: Any) -> _QuietProcess:  # noqa: N802 (the API's)
        process = _QuietProcess(*args, **kwargs)
        self.started.append(process)
        return process


class _Pool:
    """The processes scheduler's workers: a concurrent.futures pool, whose worker killed
    (the OOM killer, a segfault) fails the audit (exit 2, ``--resume`` continues it), where
    multiprocessing's Pool replaced the worker and waited for its unit forever."""

    def __init__(self, workers: int) -> None:
        self.context = _Spawn()
        self.executor = ProcessPoolExecutor(workers, mp_context=self.context,
                                            initializer=_exit_with_driver,
                                            initargs=(os.getpid(),))

    def terminate(self) -> None:
        """End the workers at once, whatever unit they are reading (SIGKILL: they ignore
        SIGTERM)."""
        for process in self.context.started:
            process.kill()
        self.executor.shutdown(cancel_futures=True)


def _exit_with_driver(driver: int) -> None:
    """A pool worker's watch on the driver: a driver killed outright (SIGKILL, the OOM
    killer) left its workers auditing the units already handed out for minutes, writing
    them into the work folder while a --resume read the same units again (both into one
    temporary file), or after it had finished and removed the folder. The worker now exits
    once its parent is no longer the driver (it was re-parented)."""

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-driver", daemon=True).start()


def read_paths(paths: Sequence[str | Path], engine: str, scheduler: str) -> list[str]:
    """The corpus paths as the units read them, and so as flagged.jsonl names them: a
    cluster's workers run in folders of their own, so there every path is absolute. The
    report records these, or audit-verify would look for the flags under other names."""
    if engine == "dask" and _is_address(scheduler):
        return [os.path.abspath(p) for p in paths]
    return [str(p) for p in paths]


def _is_address(scheduler: str) -> bool:
    """A Dask distributed scheduler's address (tcp://host:8786, tls://..., inproc://...)."""
    return "://" in scheduler


def _run_cluster(tallies: Any, todo: list[tuple[int, Unit]], address: str, progress: bool,
                 tell: Callable[[Tally], None] | None = None) -> dict[int, Tally]:
    """The bag's units on a running Dask cluster (``distributed``): one future per unit, a
    progress bar over units as they finish, the futures cancelled on Ctrl-C or an error
    (units already finished stay in the work folder for --resume)."""
    try:
        from distributed import Client, as_completed
    except ImportError as e:
        raise ValueError(missing("distributed", f"--scheduler {address} (a Dask cluster)")
                         or f"a Dask cluster: cannot import distributed ({e})") from None
    try:
        client = Client(address)  # connect timeout: distributed.comm.timeouts.connect
    except (OSError, TimeoutError) as e:
        raise ValueError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    with client:
        futures = client.compute(tallies.to_delayed())  # one partition per unit
        try:
            with _bar(progress, "audit", "unit") as bar:
                for _, part in as_completed(futures, with_results=True):
                    bar.update(1)
                    for t in part if tell is not None else ():
                        tell(t)
            parts = client.gather(futures)
        except BaseException:
            client.cancel(futures)
            raise
    results = [t for part in parts for t in part]
    return {i: t for (i, _), t in zip(todo, results, strict=True)}


def _finished(tell: Callable[[Tally], None] | None) -> Any:
    """A Dask callback that gives ``tell`` each unit's tally as its task finishes (local
    schedulers run callbacks in this process, whatever process ran the task). Dask may
    hand a result on under another key: ``tell`` says each file once."""
    import contextlib

    from dask.callbacks import Callback

    if tell is None:
        return contextlib.nullcontext()

    class Finished(Callback):  # type: ignore[misc]
        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            if not isinstance(result, list):
                return
            for t in result:  # (the final task's list holds every tally: told already)
                if isinstance(t, Tally):
                    tell(t)

    return Finished()


def _dask_progress(progress: bool, units: int) -> Any:
    """Dask's redrawn bar on a terminal; a line every LOG_EVERY seconds when stderr is a log
    (its bar redraws on a timer thread that the end of the run waits out: with a log-sized
    interval, up to that long after the last unit), counting the ``units`` as they finish
    (Dask's tasks, "1 of 13 dask tasks done" of an audit of 6 units, were a number the user
    met nowhere else); nothing without ``progress``."""
    import contextlib

    from dask.callbacks import Callback
    from dask.diagnostics import ProgressBar

    if not progress:
        return contextlib.nullcontext()
    if sys.stderr.isatty():
        return ProgressBar(minimum=1.0, dt=0.5, out=sys.stderr)

    class Lines(Callback):  # type: ignore[misc]
        def _start(self, dsk: Any) -> None:
            self.t0 = self.last = time.monotonic()
            self.done = 0
            self.seen: set[Any] = set()

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            # a unit's task gives its partition, [its Tally], and Dask hands it on under a
            # second key, ('lambda-...', i) after ('from_sequence-lambda-...', i): a unit
            # counts once by its partition index (each counted twice before: "2 of 3 units
            # done" with one done). The last task's list holds them all: a corpus of one
            # unit, whose keys are names alone, counts it twice, hence the min
            if isinstance(result, list) and len(result) == 1 and isinstance(result[0], Tally):
                self.seen.add(key[-1] if isinstance(key, tuple) else key)
                self.done = min(units, len(self.seen))
            now = time.monotonic()
            if now - self.last >= LOG_EVERY:
                self.last = now
                print(f"audit: {self.done} of {units} units done, {now - self.t0:.0f} s",
                      file=sys.stderr, flush=True)

    return Lines()
