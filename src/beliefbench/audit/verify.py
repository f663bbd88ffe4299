"""Verify the audit's flags with a model.

The audit reads words, so it is a cheap filter with high recall and modest precision: a true
article that shares the false story's background (the venue, the date, the other runners)
can be read as teaching it: 19 of the 171 true documents in the blind sets were
(docs/benchmarks.md, "Blind sets"). A model reads each flagged document beside the claim and
its truth and says whether the document would teach a reader the claim; a claim-free
audit's flag (a framed document, whatever its topic) is read for the shape it was flagged
for: a body of factual statements that a frame calls false, fictional, unconfirmed or
unlikely.

One Inspect sample per flag; the reply is read as a judge's is
(:mod:`beliefbench.verdicts.reply`: JSON ``{"reason", "answer": "yes" | "no" | "neutral"}``):
``yes`` confirms the flag, ``no`` rejects it, ``neutral`` leaves it open. A reply that cannot
be read is ``parse_error`` and a model that raised (or returned nothing) is ``failed``: both
are counted on their own and neither confirms nor rejects (where no flag has a readable
verdict the confirmed share is null, not 0%). A flag whose document changed since the audit
(the one found at its ``where`` has another length or id: a line inserted above shifts every
later line) is not sent, lest another document's verdict be given as its, and is ``failed``
too. Results go to ``verified.jsonl``, ``verification.json`` and ``verification.md`` beside
the audit's files. The flagged texts are never all in memory: each flag's prompt is
written to an anonymous temporary file as the corpus is streamed again and read back when
Inspect runs its sample, and the flags go to Inspect in batches (one eval and log each, the
results written after each), so memory does not grow with the corpus. A second run sends
only the flags that have no readable verdict yet
(``failed`` and ``parse_error`` ones, and those whose verdict was given on another document
or another version of its claim: an audit run again into the folder), so an interrupted or
failed run is finished, not repeated. Another model's verdicts stay in ``verified.jsonl``
beside this model's (each row names its model) and are never counted with them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import re
import tempfile
import threading
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from glob import has_magic
from pathlib import Path
from typing import Any, BinaryIO, overload

import numpy as np
from inspect_ai import Task, task
from inspect_ai.dataset import Dataset, Sample
from inspect_ai.log import list_eval_logs, read_eval_log
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Score, Scorer, Target, mean, scorer
from inspect_ai.solver import TaskState

from beliefbench.analysis.text import listing
from beliefbench.arguments import (
    InputError,
    TaskArgumentError,
    check_selection,
    check_whole,
    typed_on_command_line,
)
from beliefbench.audit.report import LONE_SURROGATE, VERIFICATION, VERIFICATION_MD
from beliefbench.audit.run import WORK, unfinished
from beliefbench.audit.sources import (
    CHUNK_BYTES,
    MAX_DOC_CHARS,
    Doc,
    Fields,
    Skips,
    expand_patterns,
    json_type,
    plan_units,
    read_unit,
)
from beliefbench.claims import Claim, load_claims
from beliefbench.metrics import CI_LEVEL, N_BOOTSTRAP, SEED
from beliefbench.optional import vllm_missing
from beliefbench.records import atomic_write_text, unwritable_folder
from beliefbench.resources import data_path, user_path
from beliefbench.solver import ABORT_AFTER, GENERATION_ERROR, GENERATION_TRUNCATED, answer
from beliefbench.specs import read_text
from beliefbench.tasks import plain_args, refuse_unknown, shown_under_display_none
from beliefbench.verdicts import VERDICTS, JudgeReading
from beliefbench.verdicts.reply import read_reply

FREE = "claim-free"
"""The summary's name for the flags of a claim-free audit."""
RESULTS = "verified.jsonl"
LOGS = "verify-logs"
MAX_CHARS = 12_000
"""Characters of a document shown to the model; a longer one is shown by its ends and the
audit's spans (:func:`excerpt`)."""
MIN_CHARS = 200
"""The least ``max_chars`` taken (``--max-chars``'s minimum): below it a long document is
shown as little or nothing, which the model can only reject."""
MAX_TOKENS = 300
"""Tokens of the model's reply: a sentence of reason and the answer."""
MAX_RETRIES = 3
"""Retries of a model call before its flag is counted failed (Inspect's own default retries
without end: a dead endpoint would never let the run finish)."""
TIMEOUT = 120
"""Seconds of a model call, its retries included (Inspect's ``timeout``), before its flag is
counted failed. The names and defaults are ``docs generate``'s."""
KEPT = tuple(v for v in VERDICTS if v not in ("failed", "parse_error"))
"""Verdicts a re-run keeps (the model answered, readably); ``failed`` and ``parse_error``
flags are sent again."""
BATCH = 500
"""Flags per eval of :func:`verify`: Inspect holds each sample of an eval to its end (about
30 KB a flag, texts aside), so the flags go in batches, each its own eval and log (about
half a second each)."""
PER_CONNECTION = 20
"""Flags per connection in a batch at least: a batch ends when its slowest call does, so a
batch of a few calls per connection would leave most connections idle."""
logger = logging.getLogger(__name__)
MEANING = {"yes": "confirmed", "no": "rejected", "neutral": "unclear",
           "parse_error": "parse_error", "failed": "failed"}


class VerifyError(InputError):
    """The audit folder cannot be verified (missing or unreadable files, unknown claims);
    under ``inspect eval`` one line, not a traceback."""


class VerifyInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during :func:`verify`, with ``kept``: what it left, in words,
    for the command line. Said from what happened, not assumed: a stop while the corpus
    was read again was told "the verdicts that came back are in verified.jsonl" when no
    flag had been sent and no such file written."""

    def __init__(self, kept: str, left: str | None = None) -> None:
        super().__init__(kept)
        self.head, self.left = kept, left
        self.kept = kept if left is None else f"{kept}; {left}, run the same command again"

    def resumed_by(self, command: str) -> None:
        """Name the ``command`` that goes on (the command line's own, as typed), where one
        is left to run: "to verify the remaining 400, run: beliefbench audit-verify ..."."""
        if self.left is not None:
            self.kept = f"{self.head}; {self.left}, run: {command}"


def _nothing_sent(out: Path, stage: str) -> VerifyInterrupted:
    """A stop before any flag was sent: verified.jsonl was not touched."""
    results = out / RESULTS
    kept = (f"{results} is as it was (the verdicts of earlier runs)" if results.exists()
            else f"no {RESULTS} was written")
    return VerifyInterrupted(f"no flag was sent (stopped while {stage}); {kept}; run the "
                             f"same command again")


@dataclass
class _Progress:
    """How far :func:`verify` has come, so that a Ctrl-C landing outside its sending loop
    (which says itself what came back) says what was kept: before any flag was sent
    (``stage``: what it was doing), or while the results were written at the end (a stop
    there was a bare KeyboardInterrupt, and the command line said "what verified.jsonl
    holds (if it exists) is kept")."""

    out: Path
    stage: str = "the model was checked"
    sent: int | None = None
    """Flags sent this run, once the results are being written at the end."""
    rows_written: bool = False
    """verified.jsonl was written whole at the end (verification.json and .md were not)."""

    def stopped(self) -> VerifyInterrupted:
        if self.sent is None:
            return _nothing_sent(self.out, self.stage)
        results = self.out / RESULTS
        if self.rows_written:
            return VerifyInterrupted(
                f"stopped while the summary was written: {results} holds this run's "
                f"verdicts ({self.sent} flags sent), but {VERIFICATION} and {VERIFICATION_MD} "
                f"may still be an earlier run's; run the same command again to write them "
                f"(it sends only the flags without a readable verdict)")
        return VerifyInterrupted(
            f"stopped while the results were written: {results} holds what it held before "
            f"(earlier runs' verdicts, and those of this run's batches but its last; "
            f"{self.sent} flags were sent); run the same command again to send the flags "
            f"without a verdict")


@dataclass(frozen=True, slots=True)
class Flag:
    """One flagged (document, claim) of ``flagged.jsonl``."""

    where: str
    claim_id: str | None
    """None for a claim-free flag (a framed document, whatever its topic)."""
    framing: str
    doc_id: str | None = None
    spans: tuple[tuple[int, int], ...] = ()
    """Where the audit saw the claim, the frame, ... (offsets into the text)."""
    chars: int | None = None
    """The document's length as the audit read it: the text found again at ``where`` must
    have it (and the id ``doc_id``, where there is one) to be the document flagged."""

    @property
    def key(self) -> str:
        return f"{self.claim_id or FREE}@{self.where}"


def _read(path: Path, what: str) -> str:
    """A file of a finished audit (specs.read_text's errors, and a hint where it is missing)."""
    if not path.exists():
        folder = path.parent
        if not any((folder / n).exists() for n in ("report.json", "flagged.jsonl")):
            # the corpus given for the audit's folder was told to audit into itself
            raise VerifyError(f"{path}: not found: {folder} holds no audit; give the --out "
                              f"folder of a finished audit (`beliefbench audit CORPUS --out "
                              f"DIR`, then `beliefbench audit-verify DIR ...`)")
        raise VerifyError(f"{path}: not found (run `beliefbench audit ... --out {folder}` "
                          f"first, and let it finish)")
    return read_text(path, what, VerifyError)


def _lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    """The numbered lines of a JSONL file of the audit folder, one at a time, with
    :func:`_read`'s errors: flagged.jsonl holds about 1.5 KB a flag, and read whole (its
    bytes, their text, its lines) it took three times that at once. Only newlines end a
    line (``str.splitlines`` also split a line at a U+2028 inside a JSON string)."""
    if not path.exists():
        _read(path, what)  # raises: not found, and how to make it
    try:
        with path.open("rb") as f:
            for n, raw in enumerate(f, 1):
                try:  # a first line's byte-order mark ("UTF-8 with BOM") is no part of it
                    line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
                except UnicodeDecodeError as e:
                    raise VerifyError(f"{path}: line {n}: not UTF-8 text (byte "
                                      f"0x{raw[e.start]:02x}); save the file as UTF-8"
                                      ) from None
                yield n, line
    except OSError as e:
        raise VerifyError(f"{path}: cannot read {what} file: {e.strerror or e}") from None


_FIELDS = {f.name for f in dataclasses.fields(Fields)}
"""The keys of report.json's inputs.fields (how the audit read its corpus)."""


def _check_report(report: Any, path: Path) -> None:
    """VerifyError naming the field and its problem where report.json is not an audit's
    report: it is read for the corpus to stream again and how, which a wrong type would
    misread (a string corpus read as one path per letter) or fail on with a traceback."""
    def bad(field: str, problem: str) -> VerifyError:
        return VerifyError(f"{path}: field {field}: {problem}")

    if not isinstance(report, dict):
        raise VerifyError(f"{path}: {json_type(report)}, not an object (an audit's report; run "
                          f"`beliefbench audit ... --out {path.parent}` again)")
    if "corpus" not in report:
        raise bad("corpus", "missing (the audit's corpus paths)")
    corpus = report["corpus"]
    if not isinstance(corpus, list) or not corpus:
        raise bad("corpus", f"{'an empty list' if corpus == [] else json_type(corpus)}, not a "
                            f"list of the audit's corpus paths")
    for p in corpus:
        if not isinstance(p, str) or not p:
            raise bad("corpus", f"holds {json_type(p) if p != '' else 'an empty string'}, not a "
                                f"path")
    if not isinstance(report.get("claims", {}), dict):
        raise bad("claims", f"{json_type(report['claims'])}, not an object of claim ids")
    inputs = report.get("inputs", {})
    if not isinstance(inputs, dict):
        raise bad("inputs", f"{json_type(inputs)}, not an object")
    for key in ("cwd", "claims"):
        if not isinstance(inputs.get(key), str | None):
            raise bad(f"inputs.{key}", f"{json_type(inputs[key])}, not a string")
    fields = inputs.get("fields", {})
    if not isinstance(fields, dict):
        raise bad("inputs.fields", f"{json_type(fields)}, not an object")
    for key, value in fields.items():
        if key not in _FIELDS:
            raise bad(f"inputs.fields.{key}", f"unknown (the fields are "
                                              f"{', '.join(sorted(_FIELDS))})")
        if not isinstance(value, str):
            raise bad(f"inputs.fields.{key}", f"{json_type(value)}, not a field name")
    if not Fields(**fields).texts:
        raise bad("inputs.fields.text", f"{fields['text']!r} names no field")


def _refuse_unfinished(out: Path) -> None:
    """VerifyError where an audit begun in ``out`` has not finished (its
    ``audit-units/plan.json`` is there, until the audit's last step): report.json and
    flagged.jsonl, where they are there, are an earlier audit's. Their flags were verified,
    and a gate on them passed (exit 0), while the audit that replaces them was half read;
    without them the advice was to run the audit "first", reading the corpus again."""
    if (out / WORK / "plan.json").is_file():
        earlier = (" (its report.json and flagged.jsonl are an earlier audit's)"
                   if (out / "report.json").exists() else "")
        done, given = unfinished(out / WORK)  # its progress and corpus, as its plan says
        raise VerifyError(f"{out}: holds an unfinished audit ({WORK}/{done}){earlier}; finish "
                          f"it with the same `beliefbench audit ... --out {out}` plus "
                          f"--resume{given}, then verify")


def read_flags(out: Path) -> tuple[dict[str, Any], list[Flag]]:
    """report.json (checked: :func:`_check_report`) and the flags of flagged.jsonl (one per
    flagged document and claim), of a finished audit (:func:`_refuse_unfinished`)."""
    _refuse_unfinished(out)
    path = out / "report.json"
    try:
        report = json.loads(_read(path, "audit report"))
    except json.JSONDecodeError as e:
        raise VerifyError(f"{path}: not JSON ({e})") from None
    _check_report(report, path)
    report.setdefault("claims", {})  # a claim-free audit's report has none
    inputs = report.get("inputs", {})
    if isinstance(inputs, dict) and inputs.get("cwd"):
        # recorded relative to the report's folder (older reports: absolute); as recorded,
        # for a refusal to say how the folder read from was found
        inputs["cwd_recorded"] = inputs["cwd"]
        inputs["cwd"] = str((out.resolve() / inputs["cwd"]).resolve())
    flags: list[Flag] = []
    path = out / "flagged.jsonl"
    audited = list(report["claims"])
    its = f"its claims: {', '.join(audited)}" if audited else "a claim-free audit"
    line_of: dict[str, int] = {}
    rows = 0
    for n, line in _lines(path, "flagged documents"):
        if not line.strip():
            continue
        rows += 1
        try:
            row = json.loads(line)
            where, doc_id, chars = row["where"], row.get("id"), row["chars"]
            if not (isinstance(where, str) and isinstance(doc_id, str | None)
                    and isinstance(chars, int)):
                raise TypeError("where, id or chars of the wrong type")
            found = [Flag(where, f["claim_id"], f["framing"], doc_id,
                          tuple((int(x["start"]), int(x["end"])) for x in f["spans"]), chars)
                     for f in row["findings"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise VerifyError(f"{path}:{n}: not a flagged-document line ({e!r})") from None
        # flagged.jsonl of another audit (or two joined) is refused here: its claims would
        # be a KeyError when prompting, a flag twice Inspect's duplicate-id error
        for f in found:
            if (f.claim_id not in audited) if audited else f.claim_id is not None:
                what = (f"claim {f.claim_id!r}" if f.claim_id is not None
                        else "no claim (claim-free)")
                raise VerifyError(f"{path}:{n}: a flag of {what}, which report.json's audit "
                                  f"did not read ({its}); run the audit again")
            if f.key in line_of:
                what = f"claim {f.claim_id}" if f.claim_id is not None else "claim-free"
                raise VerifyError(f"{path}:{n}: flags {what} at {f.where} again (line "
                                  f"{line_of[f.key]}); run the audit again")
            line_of[f.key] = n
        flags += found
    # a flagged.jsonl cut short (or emptied) would verify, and pass the gate on, fewer flags
    # than the audit found: its documents are counted in report.json
    if isinstance(report.get("flagged"), int) and rows != report["flagged"]:
        raise VerifyError(f"{path}: {rows} flagged documents, but report.json's audit flagged "
                          f"{report['flagged']} (the file was cut or edited, or is of another "
                          f"audit); run the audit again")
    return report, flags


def _fields(report: dict[str, Any]) -> Fields:
    return Fields(**report.get("inputs", {}).get("fields", {}))


def _max_chars(report: dict[str, Any]) -> int:
    """The audit's --max-doc-chars (the default for a report from before it was recorded):
    the corpus is read again with the bound on JSONL lines it was read with."""
    value = report.get("inputs", {}).get("max_doc_chars")
    return value if isinstance(value, int) and value > 0 else MAX_DOC_CHARS


def _ran_in(report: dict[str, Any]) -> str:
    """The folder the audit ran in (its relative corpus and claim paths start there)."""
    cwd = report.get("inputs", {}).get("cwd") or "."
    if not Path(cwd).is_dir():
        raise VerifyError(f"the folder the audit ran in, {cwd}, is not here (report.json "
                          f"inputs.cwd): run audit-verify where the corpus is")
    return cwd


def _claims(report: dict[str, Any], selection: str | None, out: Path,
            option: str = "--claims") -> dict[str, Claim]:
    """The audit's claims whose flags are verified: those of ``selection`` (claim ids,
    files or folders) that the audit read, so that one claim of an audit of many can be
    verified alone; without it, the selection the audit recorded, else the ids of its
    report (bundled or on $BELIEFBENCH_CLAIMS_PATH), every one of which must load.
    ``out``: the audit folder, as its refusals name it. ``option``: the selection's
    name in them, ``--claims`` (``beliefbench audit-verify``) or ``-T claims`` (the task,
    under ``inspect eval``); ``beliefbench audit``'s own ``--claims`` stays so named."""
    recorded = report.get("inputs", {})
    chosen = selection or recorded.get("claims") or ",".join(report["claims"])
    if not chosen:
        return {}
    # as typed again in the advice (-T claims=[a, b] under Inspect: a list)
    asked = selection if isinstance(selection, str) else ",".join(selection or ())
    cli = option == "--claims"
    typed = None if cli else typed_on_command_line("claims")
    # the selection at fault: --claims 'x' / -T claims=x as typed
    given = f"--claims {selection!r}" if cli else f"-T {typed or f'claims={asked}'}"
    if selection and not report["claims"]:  # a claim-free audit's flags are of no claim:
        # verified under --claims ed_sheeran, they printed "ed_sheeran: 0 flags" of a claim
        # never read, kept in verification.json as one verified and clean
        raise VerifyError(f"{given}: the audit in {out} is claim-free (run "
                          f"without --claims), so its flags belong to no claim and are "
                          f"verified without one: leave {option} out, or audit the corpus "
                          f"with --claims {asked} first")
    # the audit's own selection is read from where the audit ran (it may name files)
    with contextlib.chdir("." if selection else _ran_in(report)):
        claims = {c.id: c for c in load_claims(chosen)}
    audited = list(report["claims"])
    if selection and audited:
        unread = [cid for cid in claims if cid not in audited]
        claims = {cid: c for cid, c in claims.items() if cid in audited}
        if not claims:
            to_give = f"--claims {','.join(audited)}" if cli else \
                f"-T claims={','.join(audited)}"
            raise VerifyError(f"{given}: none of its claims is one the audit "
                              f"in {out} read (its claims: {', '.join(audited)}), so they have "
                              f"no flags to verify: give {to_give} or leave "
                              f"it out, or audit the corpus with --claims "
                              f"{asked} first")
        if unread:  # no flags, for no document was read for them: never "0 confirmed"
            logger.warning("claims %s: not read by this audit (its claims: %s), so they "
                           "have no flags to verify and are left out; audit the corpus "
                           "with them to check their documents", listing(unread),
                           listing(audited))
        return claims
    missing = sorted(set(audited) - set(claims))
    if missing:
        raise VerifyError(f"claims {missing} of the audit are not in the selection "
                          f"{chosen!r} (pass the audit's --claims"
                          f"{'' if cli else ' as -T claims'})")
    return claims


def _of_claims(flags: Sequence[Flag], claims: dict[str, Claim]) -> list[Flag]:
    """The flags of ``claims`` (all of a claim-free audit's)."""
    return [f for f in flags if f.claim_id is None or f.claim_id in claims]


def find_docs(corpus: Sequence[str], fields: Fields, wheres: Iterable[str],
              cwd: str | None = None) -> dict[str, Doc]:
    """The document (text and id) named by each flag's ``where``, streaming the corpus again
    (only the units that hold one; stops once all are found). Relative corpus paths are
    read from ``cwd``, the folder the audit ran in, so that ``where`` reads as it did. All
    of them in memory: :func:`spool_samples` keeps one at a time."""
    with contextlib.chdir(cwd or "."):
        return {d.where: d for d in _iter_docs(corpus, fields, set(wheres))}


def _iter_docs(corpus: Sequence[str], fields: Fields, left: set[str],
               unread: dict[str, str] | None = None,
               max_chars: int = MAX_DOC_CHARS, recorded: Any = None) -> Iterator[Doc]:
    """Each document named in ``left`` as the corpus is streamed, one at a time (read
    relative to the current folder: the caller is in the folder the audit ran in). Once
    the corpus is read, ``unread`` gets, for each place still in ``left``, the problem
    that kept its document from being read where the reader named one at that place, its
    file or a folder above it (a file this user may not read, a shard cut short since):
    without it such a flag read as a document that changed since the audit, and the
    advice to audit again would not help. ``recorded``: report.json's ``inputs.cwd`` as
    written, relative to the audit folder: an audit folder moved without its corpus reads
    it from its new place, which "the folder the audit ran in" alone misnamed."""
    missing = []
    for p in expand_patterns(corpus):
        try:  # raises where a folder above it may not be entered by this user
            if not Path(p).exists():
                missing.append(str(p))
        except OSError as e:  # else "Error: c: Permission denied; the verdicts that came
            # back are in verified.jsonl", of a run that had sent nothing
            raise VerifyError(f"corpus path {p} of report.json cannot be reached: "
                              f"{e.strerror or e} (from {os.getcwd()}; the corpus is read as "
                              f"the user running audit-verify); nothing was sent") from e
    # only a missing path that held flags stops the run (a corpus that moved): one missing
    # when the audit ran too (a link leading nowhere that a pattern matched, a path given
    # beside others that did not exist: skips of the audit) holds none, and refused every
    # verification of that audit
    # (a pattern that matches nothing now may have matched the flags' files)
    missing = [p for p in missing if has_magic(p) or any(_under(w, p) for w in left)]
    if missing:  # it said only "corpus paths of report.json not found: ['c'] (from /x)"
        held = sum(any(_under(w, p) for p in missing) for w in left)
        raise VerifyError(
            f"corpus path{'s' if len(missing) > 1 else ''} of report.json not found: "
            + ", ".join(f"{p} (a pattern that matches no file now)" if has_magic(p) else p
                        for p in missing)
            + f", read from {os.getcwd()}, the folder the audit ran in"
            + (f" (report.json's inputs.cwd {recorded!r}, from the audit folder)"
               if isinstance(recorded, str) and not os.path.isabs(recorded) else "")
            + (f"; {held} of the flagged documents to verify "
               f"{'is' if held == 1 else 'are'} in {'them' if len(missing) > 1 else 'it'}"
               if held else "")
            + ": moved or deleted since the audit"
            + (", or the audit folder moved without it" if isinstance(recorded, str)
               and not os.path.isabs(recorded) else "")
            + "; nothing was sent. Put the corpus back there"
            + (" (or the audit folder back beside it)" if isinstance(recorded, str)
               and not os.path.isabs(recorded) else "")
            + ", or audit it again where it lies now (`beliefbench audit PATH ... --out "
              "DIR`) and verify that audit")
    planned = Skips()
    met: list[Skips] = [planned]  # a Skips per unit read: each keeps its own places
    for unit in plan_units(list(corpus), planned, CHUNK_BYTES):
        if not left:
            return
        if not (any(f in left for f in unit.files) if unit.kind == "text"
                else any(w.startswith(unit.path) for w in left)):
            continue
        skips = Skips()
        met.append(skips)
        for doc in read_unit(unit, fields, skips, max_chars=max_chars):
            if doc.where in left:
                left.discard(doc.where)
                yield doc
                if not left:
                    return
    if unread is not None:
        unread.update(_unread(met, left))


def _under(where: str, path: str) -> bool:
    """Whether a flag's place (``file:line``, ``file#row``, a text file) lies in the corpus
    path ``path`` (that file, or a folder above it)."""
    base = path.rstrip("/") or "/"
    return where == base or (where.startswith(base) and where[len(base):][:1] in (":", "#", "/"))


def _unread(met: Sequence[Skips], left: Iterable[str]) -> dict[str, str]:
    """For each place in ``left`` (a flag's ``file:line``, ``file#row`` or text file), the
    first problem of ``met`` named at that place, else at its file, else at the nearest
    folder above it ("<place>: <problem>"); places with none are left out."""
    said: dict[str, str] = {}
    for skips in met:
        for key, entry in skips.problems.items():
            if entry["where"]:
                for place in entry["where"]:
                    said.setdefault(place, f"{place}: {entry['problem']}")
            else:  # the problem names its place first ("c/x.jsonl: a link to ...")
                said.setdefault(key.split(": ", 1)[0], key)
    out: dict[str, str] = {}
    for where in left:
        file = re.sub(r"(?::\d+|#\d+)$", "", where)
        for place in dict.fromkeys([where, file, *map(str, Path(file).parents)]):
            if place in said:
                out[where] = said[place]
                break
    return out


def excerpt(text: str, spans: Sequence[tuple[int, int]], max_chars: int = MAX_CHARS,
            context: int = 300) -> str:
    """The text, or where it is longer than ``max_chars`` its start and end (where frames
    are) and the audit's spans with ``context`` characters around each, as far as
    ``max_chars`` allows, the gaps marked."""
    if len(text) <= max_chars:
        return text
    edge = max_chars // 4
    windows = [(0, edge), (len(text) - edge, len(text))]
    budget = max_chars - 2 * edge
    for a, b in sorted(spans):
        a, b = max(0, a - context), min(len(text), b + context)
        if b - a > budget:
            break
        windows.append((a, b))
        budget -= b - a
    merged: list[list[int]] = []
    for a, b in sorted(windows):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    parts, last = [], 0
    for a, b in merged:
        if a > last:
            parts.append(f"\n[... {a - last} characters not shown ...]\n")
        parts.append(text[a:b])
        last = b
    return "".join(parts)


def _changed(flag: Flag, doc: Doc | None, unread: str | None = None) -> str | None:
    """Why the document found at the flag's ``where`` is not the one the audit flagged (a
    line inserted above it shifts every later line's document), or None where it is: its
    length must be the audit's, and so must its id where the audit saw one. ``unread``:
    the reader's problem where the document could not be read at all (:func:`_unread`)."""
    again = "audit the corpus again to verify this flag"
    if doc is None and unread:
        return (f"the document at {flag.where} could not be read now: {unread} (the audit "
                f"read it: make the file readable to this user again, then run audit-verify "
                f"again)")
    if doc is None:
        return (f"the document at {flag.where} was not found in the corpus: it changed since "
                f"the audit ({again})")
    if flag.chars is not None and len(doc.text) != flag.chars:
        return (f"the document at {flag.where} changed since the audit: {len(doc.text)} "
                f"characters, the audit read {flag.chars} ({again})")
    if flag.doc_id is not None and doc.id != flag.doc_id:
        return (f"the document at {flag.where} changed since the audit: its id is "
                f"{doc.id!r}, the audit's {flag.doc_id!r} ({again})")
    return None


def verify_prompt(claim: Claim | None, text: str, max_chars: int = MAX_CHARS,
                  framing: str = "", spans: Sequence[tuple[int, int]] = ()) -> str:
    """The model's prompt for one flag: with the claim and its truth (verify.md), or, for a
    claim-free flag, about the framed shape itself (verify_free.md)."""
    shown = excerpt(text, spans, max_chars)
    if claim is None:
        return _template("verify_free.md").format(framing=framing.replace("_", " "),
                                                  document=shown.strip())
    return _template("verify.md").format(claim=" ".join(claim.statement.split()),
                                         truth=" ".join(claim.truth.split()),
                                         document=shown.strip())


@cache
def _template(name: str) -> str:
    """A prompt template of data/audit/, read once (not once per flag)."""
    return data_path(f"audit/{name}").read_text(encoding="utf-8")


class SpooledSamples(Dataset):
    """The flags' samples, kept in a temporary file and built one at a time when Inspect
    asks for one: memory holds two integers per sample, not the flagged documents (a 1 GB
    corpus flags about 100 MB of text). The file is an anonymous one (no name on disk) that
    is gone once it is closed: by :func:`verify`, or when the dataset is collected."""

    def __init__(self, file: BinaryIO, offsets: array[int], lengths: array[int],
                 lock: threading.Lock | None = None, shuffled: bool = False) -> None:
        self._file, self._offsets, self._lengths = file, offsets, lengths
        self._lock = lock or threading.Lock()  # one file position, read from any thread
        self._shuffled = shuffled

    @property
    def name(self) -> str | None:
        return None

    @property
    def location(self) -> str | None:
        return None

    @property
    def shuffled(self) -> bool:
        return self._shuffled

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> Dataset: ...

    def __getitem__(self, index: int | slice) -> Sample | Dataset:
        if isinstance(index, slice):
            return self._of(range(len(self))[index])
        offset, length = self._offsets[index], self._lengths[index]
        with self._lock:
            self._file.seek(offset)
            line = self._file.read(length)
        return Sample(**json.loads(line))

    def __len__(self) -> int:
        return len(self._offsets)

    def _of(self, indexes: Iterable[int], shuffled: bool | None = None) -> SpooledSamples:
        """These samples of this dataset, in this order (the same file)."""
        at = list(indexes)
        return SpooledSamples(self._file, array("q", (self._offsets[i] for i in at)),
                              array("q", (self._lengths[i] for i in at)), self._lock,
                              self._shuffled if shuffled is None else shuffled)

    def _take(self, other: SpooledSamples) -> None:
        self._offsets, self._lengths = other._offsets, other._lengths
        self._shuffled = other._shuffled

    def sort(self, reverse: bool = False,
             key: Callable[[Sample], Any] | None = None) -> None:
        """By ``key``, else by the length of the input (as Inspect's datasets sort)."""
        keys = [key(s) if key else len(s.input) for s in self]
        self._take(self._of(sorted(range(len(self)), key=keys.__getitem__,
                                   reverse=reverse)))

    def filter(self, predicate: Callable[[Sample], bool],
               name: str | None = None) -> SpooledSamples:
        return self._of(i for i, s in enumerate(self) if predicate(s))

    def shuffle(self, seed: int | None = None) -> None:
        order = list(range(len(self)))
        random.Random(seed).shuffle(order)
        self._take(self._of(order, shuffled=True))

    def shuffle_choices(self, seed: int | None = None) -> None:
        """Nothing to shuffle: a flag's sample has no choices."""


def spool_samples(report: dict[str, Any], flags: Sequence[Flag], claims: dict[str, Claim],
                  max_chars: int, into: BinaryIO, unreadable: set[str] | None = None
                  ) -> tuple[SpooledSamples, dict[str, str]]:
    """One sample per flag whose document is still the one the audit flagged, written to
    ``into`` as the corpus is streamed again (one document in memory at a time), in
    flagged.jsonl's order; and, by ``where``, why each of the other flags' documents is not
    (:func:`_changed`): never sent, so that no verdict is given on another document.
    ``unreadable`` gets the places of those whose document could not be read at all (a
    file this user may not read): counted apart from documents that changed."""
    by_where: dict[str, list[tuple[int, Flag]]] = {}
    for i, f in enumerate(flags):
        by_where.setdefault(f.where, []).append((i, f))
    at: dict[str, tuple[int, int]] = {}
    problems: dict[str, str] = {}
    unread: dict[str, str] = {}
    with contextlib.chdir(_ran_in(report)):
        for doc in _iter_docs(report["corpus"], _fields(report), set(by_where), unread,
                              _max_chars(report), report.get("inputs", {}).get("cwd_recorded")):
            for i, f in by_where[doc.where]:
                problem = _changed(f, doc)
                if problem:
                    problems[f.where] = problem
                    continue
                prompt = verify_prompt(claims[f.claim_id] if f.claim_id else None,
                                       readable(doc.text), max_chars, f.framing, f.spans)
                # Inspect takes no lone surrogate (an id, a file name not in UTF-8): they
                # go as escapes (caf\\udce9), and the verdict finds its flag by "flag",
                # its place in ``flags``
                line = json.dumps({"id": _escaped(f.key), "input": prompt, "metadata": {
                    "where": _escaped(f.where), "claim_id": f.claim_id,
                    "framing": f.framing, "doc_id": _escaped(f.doc_id),
                    "chars": len(doc.text), "flag": i,
                    "claim_digest": claim_digest(claims.get(f.claim_id))}}, ensure_ascii=False
                                  ).encode() + b"\n"
                at[f.key] = (into.tell(), len(line))
                into.write(line)
    into.flush()
    for f in flags:
        if f.key not in at and f.where not in problems:
            problems[f.where] = _changed(f, None, unread.get(f.where)) or ""
            if unreadable is not None and f.where in unread:
                unreadable.add(f.where)
    kept = [at[f.key] for f in flags if f.key in at]
    return SpooledSamples(into, array("q", (o for o, _ in kept)),
                          array("q", (n for _, n in kept))), problems


def readable(text: str) -> str:
    """``text`` as a model is sent it: each lone surrogate (half an emoji cut by a
    scraper, written in JSON as its escape "\\ud83d") as U+FFFD, one character for one, so
    the audit's offsets still hold. No UTF-8 encoder takes one, and a flagged document that
    held one stopped audit-verify with a traceback before any flag was sent."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def _escaped(text: str | None) -> str | None:
    """``text`` with each lone surrogate as its escape in words (``\\udce9``)."""
    return text if text is None or not LONE_SURROGATE.search(text) else \
        text.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_line(row: dict[str, Any]) -> str:
    """A verified.jsonl line, a lone surrogate (an id, a file name not in UTF-8) as its JSON
    escape, which reads back as the same string (as flagged.jsonl writes it): no UTF-8
    encoder takes one as it is."""
    return _escaped(json.dumps(row, ensure_ascii=False)) + "\n"


def claim_digest(claim: Claim | None) -> str | None:
    """What a flag's verdict was asked about: a digest of the claim and truth its prompt
    shows (None for a claim-free flag), so that a verdict on a claim since edited under the
    same id (the audit run again with another claim file) is not reused for it."""
    if claim is None:
        return None
    shown = " ".join(claim.statement.split()) + "\n" + " ".join(claim.truth.split())
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def _spool_file(out: Path) -> BinaryIO:
    """An anonymous temporary file for the samples, in the audit folder (where there is
    room for the audit's own files; a RAM-backed /tmp would hold them in memory), else in
    the system's temporary folder."""
    try:
        return tempfile.TemporaryFile(dir=out)
    except OSError:
        return tempfile.TemporaryFile()


CUT_OFF = "the reply was cut off at --max-tokens"
"""How the problem of a reply that could not be read names one cut off at the length limit
(the closing line counts them: running again cannot help, raising --max-tokens can)."""

REPLY_SHOWN = 200
"""Characters of an unreadable reply quoted in its problem."""


def reading(state: TaskState, max_tokens: int | None = None) -> JudgeReading:
    """The verdict of one sample: failed where the model raised or said nothing, else its
    reply read as a judge's. A reply that cannot be read has its start quoted in the
    problem, and where it ran to the length limit (a model that reasons before it answers)
    the problem says so and what to raise: it said only "no 'answer' field found in the
    judge reply", and the command's advice, to run it again, gave the same replies."""
    if state.metadata.get(GENERATION_ERROR):
        return JudgeReading("failed", "", state.metadata[GENERATION_ERROR])
    reply = state.output.completion if state.output else ""
    if not reply.strip():
        return JudgeReading("failed", "", "the model returned no text")
    r = read_reply(reply)
    if r.verdict != "parse_error":
        return r
    cut = (f"; {CUT_OFF} ({max_tokens or 'its limit'}: raise --max-tokens, -T max_tokens "
           f"under inspect eval)" if state.metadata.get(GENERATION_TRUNCATED) else "")
    shown = reply.strip()
    shown = shown if len(shown) <= REPLY_SHOWN else shown[:REPLY_SHOWN] + "..."
    return JudgeReading("parse_error", "", f"{r.problem}{cut}; the reply: {shown!r}")


@scorer(metrics={"confirmed": [mean()]})
def flag_verdict(max_tokens: int | None = None) -> Scorer:
    """The verdict in ``answer``; the value is 1 for a confirmed flag, so the log's metric
    is the share confirmed over all flags sent. ``max_tokens``: the replies' limit, named
    where one was cut off at it."""
    async def score(state: TaskState, target: Target) -> Score:
        r = reading(state, max_tokens)
        return Score(value={"confirmed": float(r.verdict == "yes")}, answer=r.verdict,
                     explanation=r.problem or r.reason)
    return score


@plain_args
@task
@shown_under_display_none
def audit_verify(audit_dir: str | None = None, claims: str | None = None,
                 max_chars: int = MAX_CHARS, max_tokens: int = MAX_TOKENS,
                 abort_after: int = ABORT_AFTER,
                 **unknown: Any) -> Task:
    """Every flag of an audit folder, for a model to confirm or reject (``beliefbench
    audit-verify`` runs it in batches and writes verified.jsonl). One eval of every flag:
    the texts are spooled to disk, but Inspect's own memory grows with the flags."""
    refuse_unknown("audit_verify", audit_verify, unknown)
    if not audit_dir:  # a default only so that a mistyped -T key is named first
        raise TaskArgumentError("audit_dir: required: the folder `beliefbench audit --out` "
                                "wrote (absolute, or relative to the directory you run "
                                "inspect in)")
    # checked as the command's options are: -T max_chars=0 showed the model no document
    # (every flag rejected, confirmed share 0), a negative one a cut-up document
    max_chars = check_whole("max_chars", max_chars, MIN_CHARS)
    max_tokens = check_whole("max_tokens", max_tokens, 1)
    abort_after = check_whole("abort_after", abort_after, 1)
    # a relative path from where `inspect` ran ($PWD), as the other tasks read theirs:
    # Inspect builds tasks/audit_verify.py inside tasks/, where `-T audit_dir=audit` was
    # "not found (run `beliefbench audit ... --out audit` first)" beside the audit itself
    out = user_path(str(audit_dir))
    if out.is_file():  # report.json itself, say: "report.json/report.json: not found"
        raise TaskArgumentError(f"audit_dir: {str(audit_dir)!r} is a file; give the folder "
                                f"`beliefbench audit --out` wrote (it holds report.json and "
                                f"flagged.jsonl)")
    report, flags = read_flags(out)
    if claims is not None:  # -T claims=010 (YAML's 8), true, [a, 8]: named, no TypeError
        claims = check_selection("claims", claims)
    by_id = _claims(report, claims, out, option="-T claims")
    unread: set[str] = set()
    dataset, problems = spool_samples(report, _of_claims(flags, by_id), by_id, max_chars,
                                      _spool_file(out), unread)
    if problems:  # not sent, and the log has no row to count them in: its share is over
        # the rest alone, which must be said (Inspect shows a warning and keeps it in the log)
        changed = len(problems) - len(unread)
        what = " and ".join(x for x in (
            f"{changed} flagged documents changed since the audit" if changed else "",
            f"{len(unread)} flagged documents that could not be read now" if unread else "")
                            if x)
        logger.warning(
            f"{what} are not sent, and the log's confirmed share leaves them out (first: "
            f"{next(iter(problems.values()))}); audit the corpus again"
            f"{' (or make the files readable again)' if unread else ''}, or run "
            f"`beliefbench audit-verify`, which counts them as failed")
    return _task(dataset, abort_after, max_tokens)


def _task(dataset: Dataset, abort_after: int = ABORT_AFTER,
          max_tokens: int = MAX_TOKENS) -> Task:
    return Task(dataset=dataset, name="audit_verify",
                config=GenerateConfig(max_tokens=max_tokens),
                solver=answer(abort_after=abort_after),
                scorer=flag_verdict(max_tokens), fail_on_error=False, score_on_error=True)


def _previous(out: Path, model: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Readable verdicts of an earlier run by the same model, by flag key, and every row of
    other models (kept in verified.jsonl as they were, never counted with this model's)."""
    path = out / RESULTS
    if not path.exists():
        return {}, []
    kept, others = {}, []
    for n, line in _lines(path, "verification"):
        if not line.strip():  # a blank line (an editor's last newline) is no row
            continue
        try:
            row = json.loads(line)
            key = f"{row['claim_id'] or FREE}@{row['where']}"
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise VerifyError(f"{path}:{n}: not a verification line ({e!r}); move the file "
                              f"away to verify again") from None
        if isinstance(row.get("log"), str):  # an older run's absolute path
            row["log"] = log_path(out, row["log"])
        if row.get("model") != model:
            others.append(row)
        elif row.get("verdict") in KEPT:
            kept[key] = row
    return kept, others


def first_problem(out: Path, model: str) -> tuple[str | None, int]:
    """``where: problem`` of the first flag in verified.jsonl that ``model`` was sent and
    gave no readable verdict (a failed call, a reply that could not be read), or None: the
    command's closing line said only "5 calls failed ...; see the problem field in
    verified.jsonl", and why (an endpoint down, a key refused, tiktoken's file offline, a
    model answering in prose) took opening the file; and how many of those replies were
    cut off at --max-tokens (:data:`CUT_OFF`), which the same command would only repeat.
    Read a line at a time."""
    first, cut = None, 0
    for _, line in _lines(out / RESULTS, "verification"):
        try:
            row = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:  # another tool's line: the next run names it
            continue
        if isinstance(row, dict) and row.get("model") == model and row.get("log") and \
                row.get("verdict") in ("failed", "parse_error") and \
                isinstance(problem := row.get("problem"), str) and problem:
            first = first or f"{row['where']}: {problem}"
            cut += row["verdict"] == "parse_error" and CUT_OFF in problem
    return first, cut


def log_path(out: Path, location: str) -> str:
    """An Inspect log's place as verified.jsonl and verification.json keep it: relative to
    the audit folder ``out`` where the log lies inside it (``verify-logs/...``, the
    default), so that a folder moved or shared still names its logs, as report.json names
    the folder the audit ran in relative to itself; absolute where it lies elsewhere (a
    --log-dir outside the folder, which does not move with it), and a URL as it is. An
    absolute path written before (by older versions, or a folder since moved) that is
    missing now is found again by its trailing parts inside ``out``."""
    if "://" in location and not location.startswith("file://"):
        return location  # s3://..., another store's
    path = Path(location.removeprefix("file://"))
    if not path.is_absolute():  # kept relative to the folder already
        return path.as_posix()
    base = out.resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        pass
    if not path.exists():  # the folder moved since: the log, if it moved with it
        for i in range(1, len(path.parts)):
            tail = Path(*path.parts[i:])
            if (base / tail).is_file():
                return tail.as_posix()
    return str(path)


def _row(f: Flag, verdict: str, reason: str, problem: str | None, model: str,
         log: str | None = None, claim: str | None = None) -> dict[str, Any]:
    """A verified.jsonl row; ``log``: the Inspect log holding the verdict (None where the
    flag never reached the model), so a resumed run's summary can name every log it counts;
    ``claim``: the :func:`claim_digest` of the claim it was asked about."""
    return {"where": f.where, "id": f.doc_id, "chars": f.chars, "claim_id": f.claim_id,
            "claim_digest": claim, "framing": f.framing, "verdict": verdict,
            "reason": reason, "problem": problem, "model": model, "log": log}


def _same_doc(row: dict[str, Any], f: Flag) -> bool:
    """Whether an earlier verdict was given on the flag's document as the audit read it:
    an audit run again into the folder may flag another document at the same place (a
    line inserted above), whose verdict the earlier one is not. Rows without ``chars``
    (written before it was recorded) are sent again."""
    return (row.get("id"), row.get("chars"), row.get("framing")) == (f.doc_id, f.chars,
                                                                     f.framing)


def sample_flags(flags: Sequence[Flag], per_claim: int | None, seed: int = SEED
                 ) -> list[Flag]:
    """At most ``per_claim`` flags of each claim, drawn at random (seeded, so a re-run
    draws the same ones), in flagged.jsonl's order; all of them without ``per_claim``."""
    if per_claim is None:
        return list(flags)
    keep: set[int] = set()
    for cid in dict.fromkeys(f.claim_id for f in flags):
        idx = [i for i, f in enumerate(flags) if f.claim_id == cid]
        # a generator per claim, as the gate's: one shared by the claims in turn drew
        # another sample of a claim under --claims than with every claim
        rng = np.random.default_rng([seed, zlib.crc32((cid or FREE).encode())])
        keep.update(idx if len(idx) <= per_claim else
                    rng.choice(idx, size=per_claim, replace=False).tolist())
    return [f for i, f in enumerate(flags) if i in keep]


def verify(out: Path, model: Any, *, claims: str | None = None, max_chars: int = MAX_CHARS,
           max_connections: int = 8, log_dir: Path | None = None,
           display: str | None = "none",
           abort_after: int = ABORT_AFTER, sample: int | None = None, seed: int = SEED,
           max_tokens: int = MAX_TOKENS, max_retries: int | None = MAX_RETRIES,
           timeout: int | None = TIMEOUT, batch: int | None = None) -> dict[str, Any]:
    """Send the audit's flags (or ``sample`` of each claim's) that have no readable verdict
    from this model yet; write verified.jsonl (other models' rows as they were, then one
    line per flag of the audit verified by this model, in flagged.jsonl's order: those
    ``sample`` did not draw this time too, not counted) and verification.json (this
    model's); return the latter. The flags go to Inspect ``batch`` at a time (default
    :data:`BATCH`, or :data:`PER_CONNECTION` per connection where that is more), one eval
    and log each, and verified.jsonl is written after each: memory is bounded by the batch,
    not the corpus, and a run that is killed keeps every batch before. Interrupted
    (Ctrl-C), it writes both with the verdicts that came back and raises
    :class:`VerifyInterrupted` (a KeyboardInterrupt saying what it kept), as it does
    wherever the stop lands: before any flag was sent it writes nothing (and says what it
    was doing), while the results are written at the end it says which are this run's.
    ``max_retries`` and ``timeout`` (seconds, retries included) bound
    each model call, so that a dead endpoint fails its flags instead of being retried
    without end (None: Inspect's defaults)."""
    progress = _Progress(out)
    try:
        return _verify(out, model, progress, claims=claims, max_chars=max_chars,
                       max_connections=max_connections, log_dir=log_dir, display=display,
                       abort_after=abort_after, sample=sample, seed=seed,
                       max_tokens=max_tokens, max_retries=max_retries, timeout=timeout,
                       batch=batch)
    except VerifyInterrupted:
        raise
    except KeyboardInterrupt:
        raise progress.stopped() from None


def _verify(out: Path, model: Any, progress: _Progress, *, claims: str | None,
            max_chars: int, max_connections: int, log_dir: Path | None,
            display: str | None, abort_after: int, sample: int | None, seed: int,
            max_tokens: int, max_retries: int | None, timeout: int | None,
            batch: int | None) -> dict[str, Any]:
    """:func:`verify`, noting in ``progress`` how far it has come."""
    if batch is not None and batch < 1:
        raise VerifyError(f"batch {batch}: must be at least 1")
    if (why := vllm_missing(model)) is not None:  # else every flag failed, one by one
        raise VerifyError(f"--model {model}: {why}")
    if isinstance(model, str):  # a typo in hf//abs/ckpt: else a Hub repo-id error
        from beliefbench.analysis.sweep import missing_local_path

        if (gone := missing_local_path(model)) is not None:
            raise VerifyError(f"--model {model}: no such local model folder {gone}")
        from beliefbench.analysis.sweep import local_model_problem

        if why := local_model_problem(model):
            raise VerifyError(f"--model {model}: {why}")
    progress.stage = "the audit's files were read"
    report, every = read_flags(out)
    by_id = _claims(report, claims, out)
    chosen = _of_claims(every, by_id)  # every flag's row is kept: other claims' too
    flags = sample_flags(chosen, sample, seed)
    done, others = _previous(out, str(model))
    audit_flags = {f.key: f for f in every}

    def digest(f: Flag) -> str | None:
        return claim_digest(by_id.get(f.claim_id)) if f.claim_id else None

    # a verdict is kept for the same document and, where its claim is verified now, the
    # same claim (one edited under its id is asked about again; rows without a digest too)
    done = {k: r for k, r in done.items()
            if k in audit_flags and _same_doc(r, f := audit_flags[k])
            and (f.claim_id not in by_id or r.get("claim_digest") == digest(f))}
    todo = [f for f in flags if f.key not in done]
    name = str(model)  # as asked for: what a re-run compares
    new: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    unreadable: set[str] = set()  # of problems: documents that could not be read now
    logs_written: list[str] = []
    interrupted, sent = False, 0

    def write_rows() -> list[dict[str, Any]]:
        """verified.jsonl as far as the run has come; this run's rows (drawn flags)."""
        rows = [done.get(f.key) or new.get(f.key) or _row(
            f, "failed", "", problems.get(f.where) or "the sample did not run", name,
            claim=digest(f)) for f in flags]
        # this model's verdicts of flags --sample did not draw this time stay (not counted)
        drawn = {f.key: r for f, r in zip(flags, rows, strict=True)}
        mine = [r for f in every if (r := drawn.get(f.key) or done.get(f.key))]
        atomic_write_text(out / RESULTS, "".join(_json_line(r) for r in [*others, *mine]))
        return rows

    # before the corpus is read again (minutes of a large one): a folder that cannot be
    # written and a missing key are said first
    _writable([out, *([Path(log_dir or out / LOGS)] if todo else [])])
    progress.stage = "the model was started"
    started = _start(model) if todo else None
    progress.stage = "the corpus was read again"  # minutes of a large corpus
    with _spool_file(out) as spool:
        dataset, problems = (spool_samples(report, todo, by_id, max_chars, spool,
                                           unreadable) if todo else (None, {}))
        sent = len(dataset) if dataset is not None else 0
        if dataset is not None and sent:
            logs = str(log_dir or out / LOGS)
            shown = {} if display is None else {"display": display}  # None: Inspect's own
            size = batch or max(BATCH, PER_CONNECTION * max_connections)
            try:
                for start in range(0, sent, size):
                    part = dataset[start:start + size]
                    location, interrupted = _run_batch(
                        part, logs, started, abort_after=abort_after, max_tokens=max_tokens,
                        max_connections=max_connections, max_retries=max_retries,
                        timeout=timeout, **shown)
                    if location is not None:
                        # Inspect's location: a path from here (or a URL)
                        kept_as = log_path(out, location if "://" in location
                                           else os.path.abspath(location))
                        logs_written.append(kept_as)
                        new.update({k: {**r, "log": kept_as} for k, r in
                                    _verdicts(location, name, todo).items()})
                    if interrupted:
                        break
                    if start + size < sent:  # a run killed now keeps this batch
                        write_rows()
            except KeyboardInterrupt:  # between batches, or reading a batch's log
                interrupted = True
        progress.sent = sent
    rows = write_rows()
    progress.rows_written = True
    earlier = [r["log"] for r in rows if r.get("log") and r["log"] not in logs_written]
    summary = summarise(rows, sent=sent, model=name,
                        log=logs_written[0] if logs_written else None,
                        logs=[*dict.fromkeys(earlier), *logs_written],
                        changed=sum(f.where in problems and f.where not in unreadable
                                    for f in todo),
                        unreadable=sum(f.where in unreadable for f in todo),
                        in_audit=Counter(f.claim_id for f in chosen), verified=list(by_id),
                        sampled={"per_claim": sample, "seed": seed} if sample else None)
    atomic_write_text(out / VERIFICATION, json.dumps(summary, indent=2) + "\n")
    atomic_write_text(out / VERIFICATION_MD, summary_markdown(summary))
    if interrupted:
        # flags whose documents changed or cannot be read are never sent: not "remaining"
        unsendable = sum(r["verdict"] not in KEPT and f.where in problems
                         for f, r in zip(flags, rows, strict=True))
        raise _stopped_sending(out, rows, new, unsendable)
    return summary


def _stopped_sending(out: Path, rows: Sequence[dict[str, Any]],
                     new: dict[str, dict[str, Any]], unsendable: int = 0) -> VerifyInterrupted:
    """What a Ctrl-C while the flags were sent kept: of the flags this run was to verify
    (``rows``, as verified.jsonl now holds them), how many have a readable verdict, this
    run's (``new``) and earlier runs', and how many remain. "400 of the 800 flags sent this
    run came back" read as if all 800 had been sent (the batches after the stop never
    were), and counted a reply that could not be read as a verdict."""
    verified = sum(r["verdict"] in KEPT for r in rows)
    now = sum(r["verdict"] in KEPT for r in new.values())
    before = f", {verified - now} by earlier runs" if verified > now else ""
    left = len(rows) - verified - unsendable
    gone = (f", {unsendable} not sendable (their documents changed or cannot be read: "
            f"see {out / VERIFICATION_MD})") if unsendable else ""
    return VerifyInterrupted(
        f"{verified} of {len(rows)} flags verified ({now} by this run{before}), {left} "
        f"remain{gone}; {out / RESULTS} keeps the verdicts",
        f"to verify the remaining {left}" if left else None)


def _run_batch(dataset: Dataset, logs: str, model: Any, *, abort_after: int,
               max_tokens: int, **options: Any) -> tuple[str | None, bool]:
    """One eval of ``dataset``: its log's location (None where Inspect left none) and
    whether it was interrupted. Inspect returns the log without its samples: they are read
    back without their messages and events (:func:`_verdicts`), not held twice."""
    from inspect_ai import eval as inspect_eval

    before = _log_names(logs)
    try:
        ran = inspect_eval(_task(dataset, abort_after, max_tokens), model=model,
                           log_dir=logs, log_header_only=True, **options)
    except KeyboardInterrupt:  # a second Ctrl-C while Inspect cancels raises out of it
        ran = []
    # on Ctrl-C Inspect returns no log but leaves a cancelled one holding the samples
    # that finished: their verdicts are kept, the rest are sent by the next run
    if ran:
        return ran[0].location, False
    fresh = [n for n in _log_names(logs) if n not in before]
    return (fresh[0] if len(fresh) == 1 else None), True


def _writable(folders: Sequence[Path]) -> None:
    """Refuse, before the corpus is read or a flag sent, folders this run cannot write
    (verified.jsonl, verification.json and the Inspect logs go there): a read-only audit
    folder otherwise stopped the run once the logs were to be written, saying "the verdicts
    that came back are in verified.jsonl" of a run that had written none."""
    for folder in folders:
        if why := unwritable_folder(folder, str(folder)):
            raise VerifyError(f"{why}; audit-verify writes {RESULTS}, {VERIFICATION} and its "
                              f"Inspect logs there; nothing was sent")


def _start(model: Any) -> Any:
    """The model, started now where it is named: one that cannot start (an unknown
    provider, a missing API key or package) is a VerifyError, one line, not a traceback
    or Inspect's exit 1 (the gate's code)."""
    if not isinstance(model, str):
        return model
    from inspect_ai.model import get_model

    from beliefbench.documents.llm import one_line
    from beliefbench.model_info import named_once
    from beliefbench.solver import unsendable_key

    try:
        made = named_once(get_model(model))
    except Exception as e:  # noqa: BLE001 - whatever stops the provider is the user's to fix
        raise VerifyError(f"--model {model}: cannot start the model ({one_line(e)})"
                          ) from None
    if why := unsendable_key(made):  # else every flag failed as "Connection error."
        raise VerifyError(f"--model {model}: {why}")
    return made


def _verdicts(location: str, model: str, flags: Sequence[Flag] | None = None
              ) -> dict[str, dict[str, Any]]:
    """verified.jsonl's row of each sample of the log, by flag key (read without the
    messages and events, which the row does not need: a batch's log, so bounded). Each
    sample's flag is ``flags[metadata["flag"]]`` where given: its where and id exactly as
    flagged.jsonl has them (a lone surrogate comes back from the log as other text, and its
    verdict was never reused, or never found)."""
    log = read_eval_log(location, exclude_fields=_UNREAD)
    new = {}
    for s in log.samples or []:
        at = s.metadata.get("flag")
        f = flags[at] if flags is not None and isinstance(at, int) else Flag(
            s.metadata["where"], s.metadata["claim_id"], s.metadata["framing"],
            s.metadata["doc_id"], chars=s.metadata["chars"])
        claim = s.metadata.get("claim_digest")
        score = (s.scores or {}).get("flag_verdict")
        if score is None:  # errored before scoring
            problem = s.error.message if s.error else "the sample was not scored"
            new[f.key] = _row(f, "failed", "", problem[:2000], model, location, claim)
        else:
            verdict = str(score.answer)
            problem = score.explanation if verdict in ("parse_error", "failed") else None
            new[f.key] = _row(f, verdict, "" if problem else score.explanation or "", problem,
                              model, location, claim)
    return new


_UNREAD = {"messages", "events", "attachments", "store", "output", "model_usage",
           "role_usage"}
"""Fields of a log's samples that :func:`_verdicts` does not read."""


def _log_names(log_dir: str) -> set[str]:
    return {i.name for i in list_eval_logs(log_dir)} if Path(log_dir).is_dir() else set()


def _counts(rows: list[dict[str, Any]], in_audit: int) -> dict[str, Any]:
    """The counts of ``rows``; the confirmed share and its interval are null where no flag
    has a readable verdict (every one failed or unreadable: 0 of them confirmed says
    nothing of how many would be)."""
    c = Counter(r["verdict"] for r in rows)
    read = any(c[v] for v in KEPT)
    low, high = confirmed_ci(c["yes"], len(rows)) if read else (None, None)
    return {"flags_in_audit": in_audit, "flags": len(rows),
            **{MEANING[v]: c.get(v, 0) for v in VERDICTS},
            "confirmed_share": c["yes"] / len(rows) if read else None,
            "confirmed_ci95": [low, high]}


def confirmed_ci(confirmed: int, flags: int, n_bootstrap: int = N_BOOTSTRAP,
                 seed: int = SEED, level: float = CI_LEVEL) -> tuple[float, float]:
    """The bootstrap interval over flags of the confirmed share. A resample of the flags
    (with replacement) confirms a Binomial(flags, confirmed / flags) number of them, so
    that number is drawn, not the resample: the same distribution, in memory of the
    resamples alone (the (resamples x flags) array took about 30 KB a flag: 1.5 GB for
    50,000 flags, more than all else audit-verify holds)."""
    rng = np.random.default_rng(seed)
    boot = rng.binomial(flags, confirmed / flags, size=n_bootstrap) / flags
    alpha = (1 - level) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha])
    return float(low), float(high)


def summarise(rows: list[dict[str, Any]], *, sent: int, model: str,
              log: str | None, in_audit: Counter[str] | None = None,
              sampled: dict[str, Any] | None = None, changed: int = 0,
              logs: list[str] | None = None, verified: Sequence[str] = (),
              unreadable: int = 0) -> dict[str, Any]:
    """Counts per claim and in all: confirmed (yes), rejected (no), unclear (neutral),
    parse_error and failed, each over all flags verified (none dropped from the
    denominator), and the confirmed share with a 95% bootstrap interval over flags (null
    where no flag has a readable verdict). ``changed``: flags of this run not sent because
    their document changed since the audit (counted as failed); ``unreadable``: those not
    sent because their document could not be read now (a file this user may not read;
    counted as failed, apart from ``changed``). ``log``: this run's first
    Inspect log; ``logs``: every log holding a verdict counted (an earlier run's first,
    then this run's, one per batch). ``verified``: the claims verified, each counted even
    without a flag (it had no line, as a claim left out has none: 0 flags, share null)."""
    ids = list(dict.fromkeys([*(r["claim_id"] for r in rows), *verified]))
    in_audit = in_audit or Counter(r["claim_id"] for r in rows)
    return {
        "model": model, "sent_this_run": sent, "changed_since_audit": changed,
        "unreadable_now": unreadable, "log": log,
        "logs": logs if logs is not None else [log] if log else [], "sample": sampled,
        "rule": "confirmed = the model answered yes (the document would teach the claim); "
                "rejected = no; parse errors and failed calls neither confirm nor reject "
                "and are counted on their own; every count and share is over all flags "
                "verified, and the share is null where no flag has a readable verdict; a "
                "flag whose document changed since the audit, or could not be read now, "
                "is not sent and is failed; "
                "confirmed_ci95: bootstrap over flags (2,000 resamples, seed 0; each "
                "resample's confirmed count drawn from its binomial distribution)",
        "claims": {cid or FREE: _counts([r for r in rows if r["claim_id"] == cid],
                                        in_audit[cid]) for cid in ids},
        "overall": _counts(rows, sum(in_audit.values())),
    }


def share_text(c: dict[str, Any]) -> str:
    """The confirmed share with its 95% interval; "-" where no flag was verified, "n/a"
    and why where none has a readable verdict (not 0%: nothing was read)."""
    low, high = c["confirmed_ci95"]
    if c["flags"] and c["confirmed_share"] is None:
        return f"n/a (none of the {c['flags']} flags has a readable verdict)"
    return "-" if low is None else f"{c['confirmed_share']:.1%} [{low:.1%}, {high:.1%}]"


def dry_run_note(model: str) -> str | None:
    """What a verification by the scripted offline verifier is, or None for any other
    model: its verdicts are the audit's own reader answering, so every flag it reads as
    teaching is "confirmed", and verification.md's "Confirmed: 100.0%" read as a model's
    judgement, with nothing saying it was the dry run the README calls it."""
    if model != "beliefbench/verifier":
        return None
    return ("beliefbench/verifier is the audit's own reader answering, a dry run of the "
            "pipeline: its verdicts repeat the audit's readings and measure nothing; verify "
            "with a model that reads the documents (--model openai/gpt-4.1-mini, "
            "hf//abs/path/ckpt, ...)")


def summary_markdown(summary: dict[str, Any]) -> str:
    """verification.json as a table for people: one row per claim and one for all."""
    sample = summary["sample"]
    drawn = (f" A sample of at most {sample['per_claim']} flags per claim (seed "
             f"{sample['seed']}) was verified." if sample else "")
    changed = (f" {summary['changed_since_audit']} flags point at documents that changed "
               f"since the audit: not sent, counted as failed (audit the corpus again)."
               if summary.get("changed_since_audit") else "")
    unread = summary.get("unreadable_now")
    changed += (f" {unread} flags point at documents that could not be read now (see the "
                f"problem field in verified.jsonl): not sent, counted as failed (make the "
                f"files readable again, then verify again)." if unread else "")
    dry = dry_run_note(summary["model"])
    lines = ["# Verification of the audit's flags", "",
             *([f"**Dry run:** {dry}.", ""] if dry else []),
             f"Model: {summary['model']}.{drawn}{changed} Confirmed: the model says the "
             f"document would teach the claim; rejected: it would not; parse errors and failed "
             f"calls neither confirm nor reject, and every share is over all flags verified "
             f"(95% interval: bootstrap over flags; n/a where no flag has a readable verdict). "
             f"Per flag: verified.jsonl.", "",
             "| claim | flags verified | of flagged | confirmed | rejected | unclear | "
             "parse errors | failed | confirmed share [95% CI] |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for cid, c in {**summary["claims"], "all": summary["overall"]}.items():
        lines.append(f"| {cid} | {c['flags']} | {c['flags_in_audit']} | {c['confirmed']} | "
                     f"{c['rejected']} | {c['unclear']} | {c['parse_error']} | {c['failed']} "
                     f"| {share_text(c)} |")
    return "\n".join(lines) + "\n"
