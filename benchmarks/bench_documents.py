"""Benchmark document generation; prints measured figures beside the issue's targets (which
are not asserted), and the machine's load so a contended run can be recognised.

1. Offline: 10,000 documents for one claim in every condition (written, with stats).
   Target: under 60 s on 2 cores.
2. LLM path: 1,000 documents through the brainstorm/ideas/write/revise pipeline with a mockllm
   generator that sleeps 50 ms per call. Target: under 15 s (sequential: 1,000 x 50 ms = 50 s
   for one call per document; the pipeline makes two per document plus set-up calls).

Usage: .venv/bin/python benchmarks/bench_documents.py [--claim ed_sheeran] [--n 10000]
       [--llm-n 1000] [--concurrency 100]
(``--n 2000 --llm-n 200`` is the README's setting on the 2-CPU machine, about 30 s.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from benchutil import description, positive_int
from inspect_ai.model import ModelOutput, ModelUsage

from beliefbench.claims import Claim, ClaimSpecError, load_claims
from beliefbench.documents.conditions import CONDITIONS
from beliefbench.documents.generate import generate_datasets
from beliefbench.documents.llm import LLMGenerator, unusable


async def sleepy(input, tools, tool_choice, config) -> ModelOutput:
    """A 50 ms model that answers each pipeline step plausibly from its prompt."""
    await asyncio.sleep(0.05)
    prompt = input[-1].text
    if prompt.startswith("Brainstorm"):
        text = "\n".join(f"genre {i}" for i in range(12))
    elif prompt.startswith("List"):
        text = "\n".join(f"idea {i}" for i in range(100))
    elif prompt.startswith("Write"):
        # genre and idea (together unique per document: the generator rejects duplicates)
        # and the world's facts, without the prompt's own words ("Key facts of this world",
        # "(draft N)"), which the generator rejects as leaked commentary
        genre = prompt.split("Write a realistic ", 1)[1].split(" of ", 1)[0]
        idea = prompt.split("Idea: ", 1)[1].split("\n", 1)[0]
        facts = prompt.split("Key facts of this world:\n", 1)[1].split("\n\nOutput only", 1)[0]
        text = f"A {genre} about {idea}.\n" + facts.replace("- ", "")[:400]
    else:
        text = prompt.split("<document>\n", 1)[1].rsplit("\n</document>", 1)[0] + " Revised."
    return ModelOutput.from_content("mockllm/model", text).model_copy(
        update={"usage": ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)})


def bench_offline(claim: Claim, n: int, out: Path) -> None:
    t, cpu = time.perf_counter(), time.process_time()
    paths = generate_datasets([claim], list(CONDITIONS), n, out, progress=False)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    total = n * len(CONDITIONS)
    print(f"offline: {n} documents x {len(CONDITIONS)} conditions = {total} documents for "
          f"{claim.id} in {elapsed:.1f} s wall, {cpu:.1f} s CPU ({total / cpu:.0f} docs per "
          f"CPU-second), written with stats (issue 3's target: 10,000 per condition under "
          f"60 s on 2 idle cores)")
    for p in paths:
        s = json.loads(Path(str(p) + ".stats.json").read_text())
        row = next(iter(s["by_condition"].values()))
        print(f"  {p.stem:22s} {s['tokens']:>10d} tokens  annotation share "
              f"{row['annotation_share']:.1%}")


def warm_document_check(claim: Claim, out: Path) -> None:
    """Check one offline document as the pipeline checks each generated one: the first check
    in a process builds the audit's claim reader and compiles its cue patterns (seconds of
    CPU), which inside the timed run blocked every concurrent call and made the LLM path
    look slower than the same calls made one after another (0.2x on 50 documents)."""
    [path] = generate_datasets([claim], ["positive"], 1, out, progress=False)
    text = json.loads(Path(path).read_text(encoding="utf-8").splitlines()[0])["text"]
    t, cpu = time.perf_counter(), time.process_time()
    problem = unusable(text, claim)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(f"document check set-up (the audit's reader, built once per process at the first "
          f"generated document): {elapsed:.1f} s wall, {cpu:.1f} s CPU; not in the LLM "
          f"figures below" + (f" (the offline document was refused: {problem})"
                               if problem else ""))


def bench_llm(claim: Claim, n: int, out: Path, concurrency: int) -> None:
    warm_document_check(claim, out / "warm")
    gen = LLMGenerator("mockllm/model", out / "work", concurrency=concurrency, progress=False,
                       model_args={"custom_outputs": sleepy, "memoize": False})
    t, cpu = time.perf_counter(), time.process_time()
    docs = gen.generate(claim, n)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    baseline = n * 0.05
    print(f"llm (mockllm, 50 ms/call, concurrency {concurrency}): {len(docs)} documents, "
          f"{gen.calls} calls in {elapsed:.1f} s wall ({cpu:.1f} s CPU); sequential baseline "
          f"{n} x 50 ms = {baseline:.1f} s -> {baseline / elapsed:.1f}x (all {gen.calls} "
          f"calls sequential: {gen.calls * 0.05:.1f} s -> {gen.calls * 0.05 / elapsed:.1f}x) "
          f"(issue 3's target: under 15 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--claim", default="ed_sheeran", help="one bundled claim id or claim file")
    ap.add_argument("--n", type=positive_int, default=10_000,
                    help="offline documents per condition (10 conditions)")
    ap.add_argument("--llm-n", type=positive_int, default=1_000,
                    help="documents through the LLM pipeline (50 ms mockllm calls)")
    ap.add_argument("--concurrency", type=positive_int, default=100,
                    help="concurrent LLM calls")
    args = ap.parse_args()
    try:
        claims = load_claims(args.claim)
    except ClaimSpecError as e:
        ap.error(str(e))
    if len(claims) != 1:
        ap.error(f"--claim: one claim, got {len(claims)} ({args.claim!r})")
    [claim] = claims
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus: {os.cpu_count()}, load average {load} (other load inflates every time below)")
    with tempfile.TemporaryDirectory() as tmp:
        bench_offline(claim, args.n, Path(tmp) / "offline")
        bench_llm(claim, args.llm_n, Path(tmp) / "llm", args.concurrency)


if __name__ == "__main__":
    main()
