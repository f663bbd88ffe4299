"""Run an audit: units of the corpus through one per-document function, locally or on Dask.

``audit_unit`` is the only per-document code path: the local engine calls it unit after unit
in this process; the Dask engine maps it over a bag of units (threads, processes or a
distributed cluster) and merges the tallies. Flagged documents stream to JSONL as they are
found, so memory holds only counters, whatever the corpus size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from beliefbench.audit.framing import TEACHING, ClaimReader, Finding, read_free
from beliefbench.audit.sources import (
    CHUNK_BYTES,
    Doc,
    Fields,
    Skips,
    Unit,
    plan_units,
    read_unit,
)
from beliefbench.claims import Claim

ENGINES = ("local", "dask")
SCHEDULERS = ("threads", "processes", "synchronous")


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

    def merge(self, other: Tally) -> Tally:
        self.documents += other.documents
        self.chars += other.chars
        self.flagged += other.flagged
        self.cpu_seconds += other.cpu_seconds
        for src, dst in ((other.by_claim, self.by_claim), (other.placements, self.placements)):
            for k, c in src.items():
                dst.setdefault(k, Counter()).update(c)
        self.free.update(other.free)
        self.skips.merge(other.skips)
        return self


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
    return {r.claim.id: r.read(doc.text) for r in readers}


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
               bar: Any = None) -> Tally:
    """Read one unit, classify every document, write flagged ones to ``sink``."""
    readers = _readers(claims)
    tally = Tally()
    cpu0 = time.thread_time()
    for doc in read_unit(unit, fields, tally.skips):
        findings = audit_document(doc, readers)
        tally.documents += 1
        tally.chars += len(doc.text)
        for cid, f in findings.items():
            counter = tally.free if cid == "*" else tally.by_claim.setdefault(cid, Counter())
            counter[f.framing] += 1
            if f.placement:
                tally.placements.setdefault(cid, Counter())[f"{f.framing}:{f.placement}"] += 1
        line = _flag_line(doc, findings)
        if line is not None:
            sink.write(line + "\n")
            tally.flagged += 1
        if bar is not None:
            bar.update(1)
    tally.cpu_seconds = time.thread_time() - cpu0
    return tally


def _dask_task(unit: Unit, claims: Sequence[Claim], fields: Fields, part: str) -> Tally:
    with open(part, "w", encoding="utf-8") as sink:
        return audit_unit(unit, claims, fields, sink)


def _bar(progress: bool, desc: str, unit: str) -> tqdm:
    tty = sys.stderr.isatty()
    return tqdm(desc=desc, unit=unit, disable=not progress, mininterval=0.5 if tty else 30.0,
                file=sys.stderr)


def run(paths: Sequence[str | Path], claims: Sequence[Claim], flagged_path: Path,
        fields: Fields | None = None, engine: str = "local", scheduler: str = "threads",
        workers: int | None = None, chunk_bytes: int | None = None,
        progress: bool = True) -> tuple[Tally, int]:
    """Audit the corpus; flagged documents go (atomically) to ``flagged_path``.

    Returns the merged tally and the number of units read.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; valid: {list(ENGINES)}")
    skips = Skips()
    fields = fields or Fields()

    units = plan_units(list(paths), skips, chunk_bytes or CHUNK_BYTES)
    flagged_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=flagged_path.parent, prefix=f".{flagged_path.name}.")
    total = Tally(skips=skips)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as sink:
            if engine == "local":
                with _bar(progress, "audit", "doc") as bar:
                    for unit in units:
                        total.merge(audit_unit(unit, claims, fields, sink, bar))
            else:
                total.merge(_run_dask(units, claims, fields, sink, flagged_path.parent,
                                      scheduler, workers, progress))
        os.chmod(tmp, 0o644)
        os.replace(tmp, flagged_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return total, len(units)


def _run_dask(units: list[Unit], claims: Sequence[Claim], fields: Fields, sink: IO[str],
              work: Path, scheduler: str, workers: int | None, progress: bool) -> Tally:
    """Map ``audit_unit`` over a Dask bag of units; parts are concatenated in unit order."""
    try:
        import dask
        import dask.bag as db
    except ImportError:
        raise ValueError("engine 'dask' needs the dask package: "
                         "pip install 'beliefbench[audit]'") from None
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; valid: {list(SCHEDULERS)}")
    if not units:
        return Tally()
    with tempfile.TemporaryDirectory(dir=work, prefix=".audit-parts-") as parts_dir:
        parts = [str(Path(parts_dir) / f"part-{i:06d}.jsonl") for i in range(len(units))]
        bag = db.from_sequence(list(zip(units, parts, strict=True)), npartitions=len(units))
        tallies = bag.map(lambda up: _dask_task(up[0], claims, fields, up[1]))
        options: dict[str, Any] = {"scheduler": scheduler}
        if workers and scheduler != "synchronous":
            options["num_workers"] = workers
        if progress:
            from dask.diagnostics import ProgressBar

            dt = 0.5 if sys.stderr.isatty() else 30.0  # periodic lines when redirected
            with ProgressBar(minimum=1.0, dt=dt, out=sys.stderr), dask.config.set(**options):
                results = tallies.compute()
        else:
            with dask.config.set(**options):
                results = tallies.compute()
        total = Tally()
        for tally, part in zip(results, parts, strict=True):
            total.merge(tally)
            with open(part, encoding="utf-8") as f:
                for line in f:
                    sink.write(line)
        return total
