"""Report generation over 50 belief logs of 1,500 samples each (target: under 20 s).

The logs are built once (cached in --dir): one real belief eval with scripted mockllm models
gives a template log, whose samples are copied into 50 logs x (6 claims x 50 questions x 5
epochs) with seeded random verdicts and sweep metadata (5 conditions x 10 steps), then
written with Inspect's write_eval_log. Timed: loading + tables + CSV/Markdown + plots, and as
a baseline in the same run Inspect's samples_df reading only the sample ids of the same logs
(the ratio is what the project's columns, verdict decoding and run keys add to a bare read).

    .venv/bin/python benchmarks/bench_report.py [--dir DIR] [--logs 50]
    .venv/bin/python benchmarks/bench_report.py --memory 2000

The cache defaults to beliefbench-bench-report under the system temp dir; it is never inside
the repository. ``--logs 2`` times the first two logs only (3,000 responses; the logs are read
in one process below PARALLEL_FROM, 8).

``--memory N`` measures peak memory instead, at a sweep's scale: N small logs (one claim x
MEMORY_QUESTIONS questions x MEMORY_EPOCHS epochs, each question's judge reply kept in the
log's reductions as an LLM judge leaves it), read in fresh processes each: the report's
loading and tables (:func:`load_belief_logs`, :func:`build_report`) against, as the baseline,
Inspect's ``samples_df`` reading only the sample ids of the same logs in one process; it
prints both peaks (maximum resident set size of the reading process; the load's worker
processes, from PARALLEL_FROM logs, apart) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from inspect_ai import eval
from inspect_ai.analysis import SampleColumn, samples_df
from inspect_ai.log import (
    EvalSampleReductions,
    EvalSampleScore,
    read_eval_log,
    write_eval_log,
)
from inspect_ai.scorer import Score
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from benchutil import description, folder, positive_int  # noqa: E402
from conftest import FIXTURE_CLAIM, scripted  # noqa: E402

from beliefbench.analysis.logs import PARALLEL_FROM, load_belief_logs  # noqa: E402
from beliefbench.analysis.report import build_report, write_report  # noqa: E402
from beliefbench.metrics import VERDICTS, one_hot  # noqa: E402

LOGS, CLAIMS, QUESTIONS, EPOCHS = 50, 6, 50, 5
FAMILIES = ("open_ended", "binary", "token_association", "robustness")
CONDITIONS = ("plain", "negated", "local_negation", "qualifiers", "warnings")
MEMORY_QUESTIONS, MEMORY_EPOCHS = 20, 2
JUDGE_REPLY = ("The response states the claim as fact without hedging or correction, and it "
               "repeats the specific detail the claim asserts; it does not mention any doubt, "
               "source or caveat. ") * 3 + "VERDICT: yes"
"""An LLM judge's reply as the belief scorer keeps it (``judge_reply``), ~500 characters."""


def template_log(tmp: Path):
    log = eval(belief_task(), model=scripted(lambda p: "Glass."), log_dir=str(tmp),
               display="none")[0]
    assert log.status == "success", log.error
    return log


def belief_task():
    from beliefbench.task import belief

    return belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers",
                  families="open_ended")


def log_paths(out: Path, logs: int) -> list[Path]:
    """The first ``logs`` cached logs (a smaller run reuses the 50-log cache)."""
    return [out / f"bench-{i:03d}.eval" for i in range(logs)]


def build_logs(out: Path, logs: int = LOGS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if all(p.exists() for p in log_paths(out, logs)):
        return  # cached: no template eval needed
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        base = read_eval_log(template_log(Path(tmp)).location)
    proto = base.samples[0]
    for i in tqdm(range(logs), desc="building logs"):
        path = out / f"bench-{i:03d}.eval"
        if path.exists():
            continue
        condition, step = CONDITIONS[i % len(CONDITIONS)], 100 * (i // len(CONDITIONS) + 1)
        log = base.model_copy(deep=True)
        log.location = str(path)
        log.eval.model = f"vllm//ckpts/{condition}/step-{step}"
        # samples_df joins samples to evals by eval_id: every log needs its own ids
        log.eval.task_id, log.eval.eval_id, log.eval.run_id = (f"bench{i:03d}",) * 3
        log.eval.metadata = {**base.eval.metadata, "condition": condition, "step": step,
                             "checkpoint": f"/ckpts/{condition}/step-{step}"}
        p_yes = min(0.9, 0.05 + 0.08 * (i // len(CONDITIONS)) * (i % len(CONDITIONS) != 1))
        probs = [p_yes, (1 - p_yes) * 0.8, (1 - p_yes) * 0.15, (1 - p_yes) * 0.04,
                 (1 - p_yes) * 0.01]
        samples = []
        for c in range(CLAIMS):
            for q in range(QUESTIONS):
                family = FAMILIES[q % len(FAMILIES)]
                for e in range(1, EPOCHS + 1):
                    verdict = VERDICTS[rng.choice(len(VERDICTS), p=probs)]
                    s = proto.model_copy()
                    s.id, s.epoch = f"claim{c}/q{q:02d}", e
                    s.uuid = f"{i:03d}-{c}-{q:02d}-{e}"  # samples_df keys rows by uuid
                    s.metadata = {**proto.metadata, "claim": f"claim{c}", "family": family,
                                  "question": f"q{q:02d}", "kind": "direct"}
                    s.scores = {"belief_judge": Score(value=one_hot(verdict), answer=verdict,
                                                      metadata={"verdict": verdict})}
                    samples.append(s)
        log.samples = samples
        log.eval.dataset.samples = CLAIMS * QUESTIONS
        # written aside, then renamed: a build killed mid-write must not leave a truncated
        # log that the next run takes for a cached one
        partial = path.with_name(f"{path.stem}.partial.eval")
        write_eval_log(log, str(partial))
        partial.replace(path)


def build_small_logs(out: Path, logs: int) -> list[Path]:
    """``logs`` small belief logs (a sweep's many checkpoints), cached in ``out``: one claim
    x MEMORY_QUESTIONS questions x MEMORY_EPOCHS epochs, each log's reductions holding one
    entry per question with the judge's reply, as a model-judged eval writes them.

    One log is written by Inspect with placeholders for its ids, step and condition; the
    others are its zip members with those replaced (writing each through Inspect took ~0.6 s
    a log on the shared machine, 20 minutes for 2,000)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"small-{i:05d}.eval" for i in range(logs)]
    if all(p.exists() for p in paths):
        return paths
    template = out / "template.eval"
    if not template.exists():
        _small_template(template)
    with zipfile.ZipFile(template) as z:
        members = [(info, z.read(info.filename)) for info in z.infolist()]
    for i, path in enumerate(tqdm(paths, desc="building small logs")):
        if path.exists():
            continue
        condition, step = CONDITIONS[i % len(CONDITIONS)], 10 * (i // len(CONDITIONS) + 1)
        swaps = ((PLACE_ID, f"small{i:05d}".encode()), (PLACE_STEP, str(step).encode()),
                 (PLACE_CONDITION, condition.encode()))
        partial = path.with_name(f"{path.stem}.partial.eval")  # see build_logs
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in members:
                for old, new in swaps:
                    data = data.replace(old, new)
                z.writestr(info.filename, data)
        partial.replace(path)
    return paths


PLACE_ID, PLACE_STEP, PLACE_CONDITION = b"smallXXXXX", b"987654321", b"CONDITIONXXX"
"""What :func:`_small_template` writes where each small log has its own ids, step and
condition (unique strings: nothing else in a log holds them)."""


def _small_template(path: Path) -> None:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        base = read_eval_log(template_log(Path(tmp)).location)
    proto = base.samples[0]
    log = base.model_copy(deep=True)
    ident, step, condition = (p.decode() for p in (PLACE_ID, PLACE_STEP, PLACE_CONDITION))
    log.location = str(path)
    log.eval.model = f"vllm//ckpts/{condition}/step-{step}"
    log.eval.task_id, log.eval.eval_id, log.eval.run_id = (ident,) * 3
    log.eval.metadata = {**base.eval.metadata, "condition": condition, "step": int(step),
                         "checkpoint": f"/ckpts/{condition}/step-{step}"}
    samples, reduced = [], []
    for q in range(MEMORY_QUESTIONS):
        for e in range(1, MEMORY_EPOCHS + 1):
            verdict = VERDICTS[rng.choice(2)]
            meta = {**proto.scores["belief_judge"].metadata, "verdict": verdict,
                    "judge_reply": JUDGE_REPLY}
            s = proto.model_copy()
            s.id, s.epoch, s.uuid = f"claim0/q{q:02d}", e, f"{ident}-{q:02d}-{e}"
            s.metadata = {**proto.metadata, "claim": "claim0", "question": f"q{q:02d}",
                          "family": FAMILIES[q % len(FAMILIES)], "kind": "direct"}
            s.scores = {"belief_judge": Score(value=one_hot(verdict), answer=verdict,
                                              explanation=JUDGE_REPLY, metadata=meta)}
            samples.append(s)
        reduced.append(EvalSampleScore(value=one_hot(verdict), answer=verdict,
                                       explanation=JUDGE_REPLY, metadata=meta,
                                       sample_id=f"claim0/q{q:02d}"))
    log.samples = samples
    log.reductions = [EvalSampleReductions(scorer="belief_judge", reducer="mean",
                                           samples=reduced)]
    log.eval.dataset.samples = MEMORY_QUESTIONS
    write_eval_log(log, str(path))


def _peak_child(what: str, folder: Path) -> None:
    """In a fresh process (``--child``): read the logs in ``folder`` as ``what`` says and
    print the process's peak resident memory (MiB) and wall time as JSON."""
    paths = sorted(str(p) for p in folder.glob("small-*.eval"))
    t0 = time.perf_counter()
    if what == "baseline":
        samples_df(paths, columns=[SampleColumn("id", path="id", required=True)], quiet=True,
                   parallel=False)
    elif what == "imports":
        pass
    else:
        build_report(load_belief_logs(paths), by="condition,family")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    # samples_df's worker processes, from PARALLEL_FROM logs: the largest one's peak
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"peak_mib": peak, "workers_mib": workers,
                      "seconds": time.perf_counter() - t0}))


def _peak(what: str, folder: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", what, "--dir", str(folder)],
                          stdout=subprocess.PIPE, text=True, check=True)  # stderr shown
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(folder: Path, logs: int) -> None:
    """Peak memory of the report's load at a sweep's scale, against Inspect's bare read."""
    t0 = time.perf_counter()
    build_small_logs(folder, logs)
    print(f"logs: {logs:,} of {MEMORY_QUESTIONS * MEMORY_EPOCHS} responses "
          f"(built/checked in {time.perf_counter() - t0:.1f} s)")
    imports = _peak("imports", folder)
    base = _peak("baseline", folder)
    load = _peak("report", folder)
    print(f"imports only:        {imports['peak_mib']:7.1f} MiB peak")
    print(f"baseline (ids):      {base['peak_mib']:7.1f} MiB peak, {base['seconds']:6.1f} s  "
          "(Inspect's samples_df, sample ids only, one process)")
    print(f"load + tables:       {load['peak_mib']:7.1f} MiB peak, {load['seconds']:6.1f} s  "
          f"(its samples_df workers: {load['workers_mib']:.1f} MiB peak each at most)")
    rise = base["peak_mib"] - imports["peak_mib"]
    # a baseline that does not rise above the imports' peak (a few logs) gives no ratio: it
    # printed "0.00x above the imports", a 0/0
    above = (f"{(load['peak_mib'] - imports['peak_mib']) / rise:.2f}x above the imports"
             if rise >= 0.5 else "the baseline's peak is the imports': too few logs to "
             "compare above them")
    print(f"ratio: {load['peak_mib'] / base['peak_mib']:.2f}x the baseline's peak ({above})")


def main() -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--dir", type=folder,
                        default=Path(tempfile.gettempdir()) / "beliefbench-bench-report",
                        help="cache of the built logs and the report written (default: "
                             "%(default)s)")
    parser.add_argument("--logs", type=positive_int, default=LOGS,
                        help=f"logs of {CLAIMS * QUESTIONS * EPOCHS:,} responses to time "
                             f"(default {LOGS})")
    parser.add_argument("--memory", type=positive_int, metavar="N",
                        help="measure peak memory over N small logs instead (e.g. 2000)")
    parser.add_argument("--child", choices=("imports", "baseline", "report"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _peak_child(args.child, args.dir)
        return
    if args.memory:
        memory(args.dir / f"small-logs-{args.memory}", args.memory)
        return
    t0 = time.perf_counter()
    build_logs(args.dir / "logs", args.logs)
    paths = [str(p) for p in log_paths(args.dir / "logs", args.logs)]
    b0 = time.perf_counter()
    samples_df(paths, columns=[SampleColumn("id", path="id", required=True)], quiet=True,
               parallel=len(paths) >= PARALLEL_FROM)
    baseline = time.perf_counter() - b0
    t1 = time.perf_counter()
    loaded = load_belief_logs(paths)
    t2 = time.perf_counter()
    report = build_report(loaded, by="condition,family")
    t3 = time.perf_counter()
    files = write_report(report, args.dir / "report")
    t4 = time.perf_counter()
    n = len(loaded.responses)
    print(f"logs: {len(loaded.logs)}, responses: {n:,} (built/checked in {b0 - t0:.1f} s)")
    print(f"baseline (ids):    {baseline:6.2f} s  (Inspect's samples_df, sample ids only)")
    print(f"load (samples_df): {t2 - t1:6.2f} s  ({n / (t2 - t1):,.0f} responses/s, "
          f"{(t2 - t1) / baseline:.2f}x the baseline)")
    print(f"tables + CIs:      {t3 - t2:6.2f} s  ({len(report.detail)} detail rows, "
          f"{len(report.by)} by-rows, {len(report.overall)} runs)")
    print(f"write CSV/MD/PNG:  {t4 - t3:6.2f} s  ({len(files)} files in {args.dir / 'report'})")
    total = t4 - t1
    # the target is for 50 logs: fewer said "OK" at any speed (2 logs, 3,000 responses)
    verdict = ("OK" if total < 20 else "MISS") if len(paths) == LOGS else \
        f"not judged: it is for {LOGS} logs, {LOGS * CLAIMS * QUESTIONS * EPOCHS:,} responses"
    print(f"TOTAL report:      {total:6.2f} s  (target < 20 s: {verdict})")


if __name__ == "__main__":
    main()
