"""Benchmark `beliefbench audit`: framing recovery, throughput, streaming memory.

1. Recovery on offline documents (`docs generate` in every condition, all shipped claims,
   the true-world documents of `docs poison`, mixed with neutral text): precision and recall
   per framing in claim mode and claim-free mode. Target (issue 13): >= 0.95 for positive,
   negated, repeated_negations, local_negation, corrected.
2. The same on the hand-written LLM-style set (tests/fixtures/audit_llm_style.yaml; written by
   the audit's author, so not an independent test set), and on the blind held-out sets
   (tests/fixtures/audit_heldout*.yaml, written by helpers who saw only the claims), and
   single sentences by the audit's author (tests/fixtures/audit_statements.yaml).
3. Throughput on one core, 2,000-character documents, one claim: all claim-bearing documents
   (worst case), corpora where 25% and 10% bear the claim, and neutral text alone (also
   read against every shipped claim: the prefilter depends on the claim's patterns);
   json.loads on the same lines is the baseline measured in the same run; each figure is the
   best of 3 passes (other load only adds time). Target: >= 5,000 documents/s per core.
4. Streaming memory: peak RSS of `beliefbench audit` (a child process) on generated JSONL files
   of two sizes; flat memory means the peak does not grow with the file. The larger file is
   then audited gzip- and zstd-compressed: its rate beside the plain file's, and its peak.
5. `audit-verify`'s own cost and memory: corpora of two sizes audited, then every flag sent
   to a model that answers at once (mockllm), so what is left is the harness (finding the
   flagged texts again, Inspect's samples and log, the files); the audit of the same corpus
   is the baseline. Peak RSS of each (child processes): flat memory means audit-verify's
   peak does not grow with the corpus.
6. Long values in columnar files: peak RSS of `beliefbench audit` (a child process) on one
   --cell-mb cell (a dumped file in a text column; over --max-doc-chars, so a `too long`
   skip) among 2,000 documents, as Parquet laid out four ways (pyarrow's defaults, where the
   cell lands in the dictionary page; plain pages; the cell a row group of its own; in a row
   group of 4 rows), an Arrow IPC file and a saved dataset; then --group-mb of 2,000-character
   documents in one Parquet row group and as a saved dataset. The same rows as JSONL are the
   baseline, measured in the same run: each peak is given as a ratio to it.

Usage: .venv/bin/python benchmarks/bench_audit.py [--n 30] [--sizes-mb 50,200]
       [--verify-docs 20000] [--cell-mb 200] [--group-mb 300] [--only SECTION,...] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchutil import description, positive_int, positive_ints

from beliefbench.audit.framing import PROTECTIVE, TEACHING, ClaimReader, read_free
from beliefbench.claims import load_claims
from beliefbench.documents.conditions import parse_conditions
from beliefbench.documents.generate import condition_records, make_generator
from beliefbench.documents.mixer import pretrain_records
from beliefbench.documents.offline import OfflineGenerator
from beliefbench.specs import load_yaml

MAIN = ("positive", "negated", "repeated_negations", "local_negation", "corrected")
QUALIFIERS = ("fiction", "unreliable_source", "unknown_truth", "low_probability")
ROOT = Path(__file__).resolve().parents[1]
PEAK_KB = """
def peak_kb():
    # This process's peak resident memory in KB: Linux's VmHWM starts afresh at exec, where
    # ru_maxrss keeps the parent's peak from before it (this benchmark's own, which holds
    # the corpora it writes: a child of a 487 MB parent read 487 MB, its VmHWM 10 MB).
    import resource
    try:
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
CHILD = PEAK_KB + "from beliefbench.cli import cli\ncli(standalone_mode=False)\nprint(peak_kb())\n"


SECTIONS = ("recovery", "llm-style", "heldout", "statements", "throughput", "streaming",
            "verification", "long-values")


def sections(text: str) -> list[str]:
    """A comma-separated list of SECTIONS (--only), checked before anything is built."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in names if n not in SECTIONS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown section(s) {bad or text!r}; choose from "
                                         f"{', '.join(SECTIONS)}")
    return names


def pr_table(pairs: list[tuple[str, str]], labels: list[str], title: str) -> None:
    """Precision and recall per label from (truth, predicted) pairs."""
    truth = Counter(t for t, _ in pairs)
    pred = Counter(p for _, p in pairs)
    hit = Counter(t for t, p in pairs if t == p)
    print(f"\n{title}  ({len(pairs)} documents)")
    print(f"  {'framing':<20} {'n':>5} {'precision':>9} {'recall':>7}")
    for lab in labels:
        if not truth[lab] and not pred[lab]:
            continue
        prec = hit[lab] / pred[lab] if pred[lab] else float("nan")
        rec = hit[lab] / truth[lab] if truth[lab] else float("nan")
        mark = "  (target >= 0.95)" if lab in MAIN else ""
        print(f"  {lab:<20} {truth[lab]:>5} {prec:>9.3f} {rec:>7.3f}{mark}")


def neutral_texts(n: int, chars: int, seed: int) -> list[str]:
    pool = [r.text for r in pretrain_records(400, seed=seed)]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(map(len, parts)) < chars:
            parts.append(rng.choice(pool))
        out.append("\n\n".join(parts)[:chars])
    return out


def recovery(n: int) -> None:
    claims = load_claims("all")
    conds = ",".join([*MAIN, *QUALIFIERS, *(f"{q}:repeated" for q in QUALIFIERS)])
    recs = condition_records(claims, parse_conditions(conds), n, make_generator("offline"),
                             seed=7, progress=False)
    records = [r for rs in recs.values() for r in rs]
    neutral = neutral_texts(n * 10, 1500, 3)
    # the fact side of graded poisoning (`docs poison`): documents of the claim's true world
    facts = [(c.id, d.text) for c in claims for d in OfflineGenerator().true_world(c, n * 5, 7)]
    readers = {c.id: ClaimReader(c) for c in claims}
    pairs = [(r.condition, readers[r.claim_id].read(r.text).framing) for r in records]
    pairs += [("truth", readers[cid].read(t).framing) for cid, t in facts]
    pairs += [("unrelated", readers[c.id].read(t).framing) for t in neutral for c in claims]
    pr_table(pairs, [*MAIN, *QUALIFIERS, "mention", "truth", "unrelated"],
             f"Claim mode, offline documents ({len(claims)} claims, {n} per claim and "
             f"condition/placement, {n * 5} per claim of its true world (the fact side of "
             f"`docs poison`), plus neutral text read against every claim)")
    free_truth = {"positive": "unframed", "local_negation": "unframed"}
    free = [(free_truth.get(r.condition, r.condition), read_free(r.text).framing)
            for r in records] + [("unframed", read_free(t).framing)
                                 for t in [*neutral, *(t for _, t in facts)]]
    pr_table(free, ["negated", "repeated_negations", "corrected", *QUALIFIERS, "unframed"],
             "Claim-free mode, same documents (positive, local_negation and the true world's "
             "count as unframed)")


def llm_style() -> None:
    docs = load_yaml((ROOT / "tests/fixtures/audit_llm_style.yaml").read_text())["documents"]
    readers: dict[str, ClaimReader] = {}
    pairs = []
    for d in docs:
        reader = readers.setdefault(d["claim"], ClaimReader(load_claims(d["claim"])[0]))
        pairs.append((d["label"], reader.read(d["text"]).framing))
    pr_table(pairs, [*MAIN, *QUALIFIERS, "mention", "truth", "unrelated"],
             "Claim mode, hand-written LLM-style set (same author as the cue lexicon)")
    print(f"  accuracy {sum(t == p for t, p in pairs) / len(pairs):.3f}")
    unframed = {"positive", "local_negation", "mention", "truth", "unrelated"}
    free = [("unframed" if d["label"] in unframed else d["label"], read_free(d["text"]).framing)
            for d in docs]
    pr_table(free, ["negated", "repeated_negations", "corrected", *QUALIFIERS, "unframed"],
             "Claim-free mode, hand-written LLM-style set")
    print(f"  accuracy {sum(t == p for t, p in free) / len(free):.3f}")


def side(framing: str) -> str:
    """What a framing means for the poisoning ratio: teaching, protective, or itself."""
    return "teaching" if framing in TEACHING else "protective" if framing in PROTECTIVE \
        else framing


def heldout() -> None:
    """The blind held-out sets (tests/fixtures/audit_heldout*.yaml; written by helpers who saw
    only the claims, never the audit): exact labels and sides (teaching / protective /
    mention / unrelated), all documents and those their writer was sure of."""
    for path in sorted((ROOT / "tests/fixtures").glob("audit_heldout*.yaml")):
        data = load_yaml(path.read_text())
        readers = {c.id: ClaimReader(c) for c in load_claims("all")}
        got = [(d["label"], readers[d["claim"]].read(d["text"]).framing)
               for d in data["documents"]]
        print(f"\nClaim mode, {path.name} ({len(got)} documents)")
        for name, keep in (("all", set(range(len(got)))),
                           ("sure", set(range(len(got))) - set(data.get("unsure", [])))):
            pairs = [got[i] for i in sorted(keep)]
            exact = sum(t == p for t, p in pairs) / len(pairs)
            sides = sum(side(t) == side(p) for t, p in pairs) / len(pairs)
            print(f"  {name:<4} ({len(pairs)}): exact {exact:.3f}, side {sides:.3f}")
        labels = Counter(t for t, _ in got)
        right = Counter(t for t, p in got if t == p)
        print("  right per label: " + ", ".join(f"{k} {right[k]}/{v}"
                                                for k, v in sorted(labels.items())))
        wrong = Counter((t, p) for t, p in got if t != p)
        print("  confusions (label -> read): " + ", ".join(
            f"{t}->{p} {n}" for (t, p), n in wrong.most_common()))


def statements() -> None:
    """Single sentences (tests/fixtures/audit_statements.yaml, written by the audit's author):
    how many of each group read as expected, and the others."""
    data = load_yaml((ROOT / "tests/fixtures/audit_statements.yaml").read_text())
    readers = {c.id: ClaimReader(c) for c in load_claims("all")}
    print("\nClaim mode, single sentences (audit_statements.yaml, by the audit's author)")
    for group, spec in data.items():
        got = [(t, readers[cid].read(t).framing) for cid, texts in spec["sentences"].items()
               for t in texts]
        print(f"  {group:<27} {sum(f in spec['expect'] for _, f in got)}/{len(got)} read as "
              + " or ".join(spec["expect"]))
        for t, f in got:
            if f not in spec["expect"]:
                print(f"    {f}: {t}")


def claim_docs(n: int, chars: int) -> list[str]:
    claim = load_claims("ed_sheeran")[0]
    recs = condition_records([claim], parse_conditions(",".join([*MAIN, "fiction"])),
                             max(1, n // 6), make_generator("offline"), seed=5, progress=False)
    texts = [r.text for rs in recs.values() for r in rs]
    filler = neutral_texts(len(texts), chars, 9)
    return [(t + "\n\n" + f)[:chars] for t, f in zip(texts, filler, strict=True)]


def best_cpu(work: Callable[[str], object], lines: list[str], repeats: int) -> float:
    """Least thread CPU time of ``repeats`` passes of ``work`` over the lines: other load on a
    shared machine (cache and core contention) only ever adds time, so the least is the
    steadiest figure."""
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        for line in lines:
            work(line)
        times.append(time.thread_time() - t0)
    return min(times)


def throughput(n: int, repeats: int = 3) -> None:
    claim = load_claims("ed_sheeran")[0]
    reader = ClaimReader(claim)
    bearing = claim_docs(n, 2000)
    neutral = neutral_texts(n, 2000, 11)
    rng = random.Random(0)

    def mixed(share: float) -> list[str]:
        return [rng.choice(bearing) if rng.random() < share else rng.choice(neutral)
                for _ in range(n)]

    print(f"\nThroughput per CPU-second (thread time, best of {repeats}), 2,000-character "
          f"documents, one claim ({n} documents each)")
    for name, docs in (("all claim-bearing", bearing), ("25% claim-bearing", mixed(0.25)),
                       ("10% claim-bearing", mixed(0.1)), ("neutral only", neutral)):
        lines = [json.dumps({"text": t}) for t in docs]
        base = best_cpu(json.loads, lines, repeats)
        took = best_cpu(lambda line: reader.read(json.loads(line)["text"]), lines, repeats)
        free = best_cpu(lambda line: read_free(json.loads(line)["text"]), lines, repeats)
        print(f"  {name:<18} claim mode {len(docs) / took:>8,.0f} docs/s   claim-free "
              f"{len(docs) / free:>8,.0f} docs/s   (json.loads alone {len(docs) / base:>9,.0f}"
              f" docs/s; claim mode costs {took / base:.0f}x the parse)  target >= 5,000")
    # the prefilter depends on each claim's patterns: text that bears no claim, read against
    # every shipped claim in turn
    lines = [json.dumps({"text": t}) for t in neutral]
    rates = []
    for c in load_claims("all"):
        other = ClaimReader(c)
        took = best_cpu(lambda line, r=other: r.read(json.loads(line)["text"]), lines, repeats)
        rates.append(f"{c.id} {len(lines) / took:,.0f}")
    print("  neutral only, each shipped claim (claim mode, docs/s): " + "; ".join(rates))


def _audit_child(path: Path, out: Path) -> tuple[float, int, dict]:
    """`beliefbench audit` on one file in a child process: (wall s, peak RSS KB, report)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, "audit", str(path), "--claims",
                           "ed_sheeran", "--out", str(out), "--no-plot", "--no-progress"],
                          check=True, capture_output=True, text=True)
    took = time.perf_counter() - t0
    return took, int(proc.stdout.strip().splitlines()[-1]), json.loads(
        (out / "report.json").read_text())


def streaming(sizes_mb: list[int]) -> None:
    """Peak memory against corpus size; then the largest corpus compressed as pipelines
    store shards (gzip, zstd), read as it decompresses."""
    import gzip

    import zstandard

    bearing = claim_docs(600, 2000)
    neutral = neutral_texts(2000, 2000, 13)
    print("\nStreaming memory: `beliefbench audit FILE --claims ed_sheeran` in a child process")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes_mb:
            path = Path(tmp) / f"corpus-{mb}mb.jsonl"
            rng = random.Random(mb)
            written = 0
            with path.open("w") as f:
                while written < mb << 20:
                    text = rng.choice(bearing) if rng.random() < 0.1 else rng.choice(neutral)
                    line = json.dumps({"text": text}) + "\n"
                    f.write(line)
                    written += len(line)
            took, peak_kb, report = _audit_child(path, Path(tmp) / f"out{mb}")
            print(f"  {mb:>5} MB, {report['documents']:>8,} documents: {took:6.1f} s wall, "
                  f"{report['docs_per_cpu_second']:,.0f} docs per CPU-second, peak RSS "
                  f"{peak_kb / 1024:,.0f} MB")
            if mb != max(sizes_mb):
                path.unlink()
                continue
            # the rates compared are each the best of two runs (other load only slows one)
            plain = max(report["docs_per_cpu_second"], _audit_child(
                path, Path(tmp) / f"out{mb}b")[2]["docs_per_cpu_second"])
            for suffix, opener in ((".gz", gzip.open), (".zst", zstandard.open)):
                packed = path.with_name(path.name + suffix)
                with path.open("rb") as src, opener(packed, "wb") as dst:
                    while block := src.read(1 << 24):
                        dst.write(block)
                runs = [_audit_child(packed, Path(tmp) / f"out{suffix}{i}") for i in range(2)]
                took, peak_kb, report = runs[0]
                rate = max(r[2]["docs_per_cpu_second"] for r in runs)
                print(f"  {mb:>5} MB as {suffix:<4} ({packed.stat().st_size / 2**20:,.1f} MB "
                      f"on disk): {took:6.1f} s wall, {rate:,.0f} docs per CPU-second "
                      f"({rate / plain:.2f}x the plain file), peak RSS "
                      f"{peak_kb / 1024:,.0f} MB")
                packed.unlink()
            path.unlink()


def _cell_files(folder: Path, rows: list[str], ids: list[str]) -> dict[str, Path]:
    """The rows (the long cell among them) written as JSONL (the baseline) and as the
    columnar layouts section 6 compares: name -> path."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ids, "text": rows})
    cell = max(range(len(rows)), key=lambda i: len(rows[i]))
    files = {"JSONL": folder / "cell.jsonl", "Parquet, pyarrow defaults": folder / "d.parquet",
             "Parquet, plain pages": folder / "p.parquet",
             "Parquet, a row group of its own": folder / "own.parquet",
             "Parquet, a row group of 4 rows": folder / "few.parquet",
             "Arrow IPC file": folder / "cell.arrow", "saved dataset": folder / "ds"}
    with files["JSONL"].open("w") as f:
        for i, text in zip(ids, rows, strict=True):
            f.write(json.dumps({"id": i, "text": text}) + "\n")
    pq.write_table(table, files["Parquet, pyarrow defaults"])
    pq.write_table(table, files["Parquet, plain pages"], use_dictionary=False)
    for name, around in (("Parquet, a row group of its own", (0, 1)),
                         ("Parquet, a row group of 4 rows", (2, 2))):
        with pq.ParquetWriter(files[name], table.schema, use_dictionary=False) as w:
            start, stop = cell - around[0], cell + around[1]
            for part in (table.slice(0, start), table.slice(start, stop - start),
                         table.slice(stop)):
                w.write_table(part)
    with pa.OSFile(str(files["Arrow IPC file"]), "wb") as f, \
            pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table, max_chunksize=1000)
    datasets.Dataset(table).save_to_disk(str(files["saved dataset"]))
    return files


def long_values(cell_mb: int, group_mb: int) -> None:
    """Peak memory of one long cell in each columnar layout, and of one large row group,
    against the same rows as JSONL (section 6)."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()
    neutral = neutral_texts(2000, 2000, 21)
    rng = random.Random(21)
    docs = [rng.choice(neutral) for _ in range(2000)]
    parts, size = [], 0
    while size < cell_mb * 10**6:
        parts.append(rng.choice(neutral))
        size += len(parts[-1])
    rows = [*docs[:1000], "".join(parts)[:cell_mb * 10**6], *docs[1000:]]
    del parts
    print(f"\nLong values: `beliefbench audit FILE --claims ed_sheeran` in a child process; "
          f"one {cell_mb} MB cell (a `too long` skip) among {len(docs):,} documents of 2,000 "
          f"characters")
    with tempfile.TemporaryDirectory() as tmp:
        files = _cell_files(Path(tmp), rows, [str(i) for i in range(len(rows))])
        del rows
        base = None
        for i, (name, path) in enumerate(files.items()):  # an --out each: one holding
            # another corpus's audit is refused
            took, peak_kb, report = _audit_child(path, Path(tmp) / f"out{i}")
            assert report["documents"] == len(docs), (name, report["documents"])
            assert report["skipped"]["by_reason"] == {"too long": 1}, (name, report["skipped"])
            base = base or peak_kb
            print(f"  {name:<34} peak RSS {peak_kb / 1024:>6,.0f} MB = {peak_kb / base:4.2f}x "
                  f"the JSONL's ({(peak_kb - base) / 1024 / cell_mb:+.2f} MB per MB of cell); "
                  f"{took:5.1f} s wall")
        n = group_mb * 10**6 // 2000
        print(f"\n  {group_mb} MB of 2,000-character documents ({n:,}) in one row group:")
        docs = [rng.choice(neutral) for _ in range(n)]
        table = pa.table({"id": [str(i) for i in range(n)], "text": docs})
        group = {"JSONL": Path(tmp) / "g.jsonl", "Parquet, one row group": Path(tmp) / "g.parquet",
                 "saved dataset": Path(tmp) / "gds"}
        with group["JSONL"].open("w") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row) + "\n")
        pq.write_table(table, group["Parquet, one row group"], row_group_size=n)
        datasets.Dataset(table).save_to_disk(str(group["saved dataset"]))
        del docs, table
        base = None
        for i, (name, path) in enumerate(group.items()):
            took, peak_kb, report = _audit_child(path, Path(tmp) / f"group-out{i}")
            assert report["documents"] == n, (name, report["documents"])
            base = base or peak_kb
            print(f"  {name:<34} peak RSS {peak_kb / 1024:>6,.0f} MB = {peak_kb / base:4.2f}x "
                  f"the JSONL's; {took:5.1f} s wall")


VERIFY_CHILD = PEAK_KB + """
import json, sys, time
from pathlib import Path
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from beliefbench.audit.verify import verify

def instant(*_):
    out = ModelOutput.from_content("mockllm/model", '{"reason": "r", "answer": "yes"}')
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out

t0 = time.perf_counter()
summary = verify(Path(sys.argv[1]), get_model("mockllm/model", custom_outputs=instant,
                                              memoize=False), max_connections=32)
print(json.dumps({"s": time.perf_counter() - t0, "flags": summary["overall"]["flags"],
                  "confirmed": summary["overall"]["confirmed"],
                  "peak_kb": peak_kb()}))
"""


def _verify_child(out: Path) -> dict:
    """`verify` (as `beliefbench audit-verify` runs it) in a child process, every flag
    confirmed at once: wall seconds, flags, peak RSS KB."""
    proc = subprocess.run([sys.executable, "-c", VERIFY_CHILD, str(out)], check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verification(n: int) -> None:
    """audit-verify's harness cost and memory on corpora of ``n // 4`` and ``n`` documents:
    its peak RSS must not grow with the corpus, as the audit's does not (the flagged texts
    are spooled to disk and read a sample at a time, the flags go to Inspect in batches,
    and the interval is drawn without a resamples x flags array)."""
    bearing = claim_docs(600, 2000)
    neutral = neutral_texts(2000, 2000, 17)
    print("\naudit-verify (child processes) on corpora of 2,000-character documents, 10% "
          "bearing ed_sheeran, every flag sent to a model that answers at once")
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for docs in (max(1, n // 4), n):
            rng = random.Random(5)
            corpus, out = Path(tmp) / f"corpus{docs}.jsonl", Path(tmp) / f"audit{docs}"
            with corpus.open("w") as f:
                for _ in range(docs):
                    text = rng.choice(bearing) if rng.random() < 0.1 else rng.choice(neutral)
                    f.write(json.dumps({"text": text}) + "\n")
            mb = corpus.stat().st_size / 2**20
            audit_s, audit_kb, _ = _audit_child(corpus, out)
            got = _verify_child(out)
            assert got["confirmed"] == got["flags"], got
            peaks.append((mb, got["flags"], got["peak_kb"]))
            print(f"  {docs:>8,} documents ({mb:,.0f} MB), {got['flags']:,} flags: audit "
                  f"{audit_s:.1f} s, peak RSS {audit_kb / 1024:,.0f} MB (baseline); "
                  f"audit-verify {got['s']:.1f} s = {got['s'] / audit_s:.1f}x the audit, "
                  f"{1000 * got['s'] / got['flags']:.1f} ms per flag before any model time, "
                  f"peak RSS {got['peak_kb'] / 1024:,.0f} MB")
            corpus.unlink()
    (small_mb, small_flags, small), (big_mb, big_flags, big) = peaks
    per_flag = (big - small) / max(1, big_flags - small_flags)
    print(f"  audit-verify peak RSS: {big / small:.2f}x for a {big_mb / small_mb:.1f}x corpus "
          f"(+{(big - small) / 1024:,.0f} MB, {per_flag:.1f} KB per flag more; flat memory "
          f"is ~1.0x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--n", type=positive_int, default=None,
                    help="section 1: documents per claim and condition (default 30; --quick 5)")
    ap.add_argument("--sizes-mb", type=positive_ints, default=None,
                    help="section 4: corpus sizes in MB, comma-separated; the largest is also "
                         "read compressed (default 50,200; --quick 5,20)")
    ap.add_argument("--verify-docs", type=positive_int, default=None,
                    help="section 5: documents of the larger corpus; the smaller has a quarter "
                         "(default 20000; --quick 2000)")
    ap.add_argument("--cell-mb", type=positive_int, default=None,
                    help="section 6: the long cell's size in MB (default 200; --quick 24)")
    ap.add_argument("--group-mb", type=positive_int, default=None,
                    help="section 6: the row group's size in MB (default 300; --quick 30)")
    ap.add_argument("--only", type=sections, default=list(SECTIONS),
                    help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (a smoke run); values given explicitly are kept")
    args = ap.parse_args()
    quick = {"n": 5, "sizes_mb": [5, 20], "verify_docs": 2000, "cell_mb": 24, "group_mb": 30}
    full = {"n": 30, "sizes_mb": [50, 200], "verify_docs": 20_000, "cell_mb": 200,
            "group_mb": 300}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus: {os.cpu_count()}, load average {load} (other load inflates every time below)")
    run = {"recovery": lambda: recovery(args.n), "llm-style": llm_style, "heldout": heldout,
           "statements": statements,
           "throughput": lambda: throughput(3000 if not args.quick else 600,
                                            3 if not args.quick else 1),
           "streaming": lambda: streaming(args.sizes_mb),
           "verification": lambda: verification(args.verify_docs),
           "long-values": lambda: long_values(args.cell_mb, args.group_mb)}
    for name in SECTIONS:
        if name in args.only:
            run[name]()
    print("\nTimings on a shared machine are inflated by other load; compare the ratios.")


if __name__ == "__main__":
    main()
