"""Benchmark the numbers a CI gate rests on: CI coverage and the gate's false-fail rate.

1. Coverage of the belief rate's 95% CI (`metrics.rate`: a percentile bootstrap over
   questions within claims) on simulated studies whose questions differ a lot in how often
   the model believes them (Beta(0.6, 1.4) per question, mean 0.3), several samples each:
   the share of runs whose CI holds the true rate. Resampling responses instead of
   questions gives about 80% here; a bootstrap over questions about 95% (somewhat less with
   10 questions a claim, where its tails are thin).
2. The gate's false-fail rate: two independent runs of the SAME model (same questions, same
   per-question probabilities) compared by `analysis.gate.compare` with the defaults (every
   claim checked and the overall rise, `--max-rise 0.05`): how often it says FAIL when
   nothing changed. The baseline is the same comparison with `--overall-only` (one rise,
   95%), measured in the same run; with m rises checked each CI is at 1 - 0.05/m
   (Bonferroni), so the two stay close however many claims there are.
3. With ``--power``, the gate's power: how often it fails a candidate whose every question's
   belief probability is 0.03-0.10 above the baseline's (the CI is tested against 0, not
   against ``--max-rise``, so rises under it fail too, and a small study misses rises over
   it).

Usage: .venv/bin/python benchmarks/bench_statistics.py [--runs 200] [--bootstrap 1000] [--power]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd
from benchutil import positive_int

from beliefbench.analysis.gate import compare
from beliefbench.analysis.logs import BeliefLogs, LogInfo
from beliefbench.analysis.runs import RunKey
from beliefbench.metrics import question_table, rate

BETA = (0.6, 1.4)
"""Per-question belief probabilities: mean 0.3, most questions far from it."""
KEY = RunKey((("mode", "model"), ("grader", "bench/judge")), (("samples", "5"),))
_TASKS = itertools.count()


def responses(p: dict[tuple[str, str], float], samples: int,
              rng: np.random.Generator) -> list[dict]:
    """One run's verdicts: ``samples`` responses per (claim, question), yes with its p."""
    return [{"claim": c, "family": "open_ended", "question": q, "verdict": "yes" if y else "no",
             "epoch": i + 1}
            for (c, q), pq in p.items() for i, y in enumerate(rng.random(samples) < pq)]


def as_logs(rows: list[dict], model: str) -> BeliefLogs:
    """The verdicts as one finished belief log of ``model``, as the gate reads logs."""
    frame = pd.DataFrame(rows).assign(
        model=model, run="-", judge=KEY.judge_text, settings=KEY.settings_text,
        checkpoint="-", condition="-", step=pd.NA, partial=False, log=f"{model}.eval",
        kind="direct")
    frame["id"] = frame["claim"] + "/" + frame["question"]
    info = LogInfo(f"{model}.eval", model, "success", f"t{next(_TASKS)}", "", "-", "-", None,
                   KEY)
    return BeliefLogs(frame, [info])


def study(claims: int, questions: int, rng: np.random.Generator) -> dict:
    return {(f"c{c}", f"q{i}"): pq for c in range(claims)
            for i, pq in enumerate(rng.beta(*BETA, questions))}


def coverage(claims: int, questions: int, samples: int, runs: int, n_bootstrap: int) -> float:
    rng = np.random.default_rng(1)
    truth = BETA[0] / sum(BETA)
    hits = 0
    for r in range(runs):
        table = question_table(responses(study(claims, questions, rng), samples, rng))
        result = rate(table, n_bootstrap=n_bootstrap, seed=r)
        hits += result.ci_low <= truth <= result.ci_high
    return hits / runs


def fail_rates(claims: int, questions: int, samples: int, runs: int, n_bootstrap: int,
               rise: float = 0.0) -> tuple[float, float]:
    """(every claim and overall, overall only): the share of pairs failed, the candidate's
    every per-question belief probability ``rise`` above the baseline's (capped at 1); 0 is
    two runs of the same model (false fails)."""
    rng = np.random.default_rng(5)
    every = overall = 0
    for _ in range(runs):
        p = study(claims, questions, rng)
        base = as_logs(responses(p, samples, rng), "base")
        cand = as_logs(responses({k: min(1.0, v + rise) for k, v in p.items()}, samples, rng),
                       "cand")
        every += not compare(base, cand, n_bootstrap=n_bootstrap).passed
        overall += not compare(base, cand, overall_only=True, n_bootstrap=n_bootstrap).passed
    return every / runs, overall / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=positive_int, default=200,
                    help="Simulated studies per setting.")
    ap.add_argument("--bootstrap", type=positive_int, default=1000,
                    help="Bootstrap resamples per CI.")
    ap.add_argument("--power", action="store_true",
                    help="Also how often the gate fails real rises of 0.03-0.10.")
    args = ap.parse_args()
    shapes = [(1, 10, 5), (1, 20, 5), (3, 10, 5), (6, 40, 5), (10, 30, 5)]
    print(f"95% CI coverage of the belief rate ({args.runs} simulated studies each; "
          f"target about 95%)")
    for claims, questions, samples in shapes[:4]:
        cov = coverage(claims, questions, samples, args.runs, args.bootstrap)
        print(f"  {claims:>2} claims x {questions:>2} questions x {samples} samples: {cov:6.1%}")
    print(f"\nGate false-fail rate, two runs of the same model ({args.runs} pairs each; "
          f"--max-rise 0.05)")
    for claims, questions, samples in shapes:
        every, overall = fail_rates(claims, questions, samples, args.runs, args.bootstrap)
        print(f"  {claims:>2} claims x {questions:>2} questions x {samples} samples: "
              f"every claim and overall {every:6.1%}   overall only (baseline) {overall:6.1%}")
    if not args.power:
        return
    print(f"\nGate power: the candidate's every question believed RISE more often "
          f"({args.runs} pairs each; --max-rise 0.05, tested against a CI that excludes 0)")
    for claims, questions, samples in [(2, 50, 1), (6, 50, 5)]:
        for rise in (0.03, 0.05, 0.08, 0.10):
            every, overall = fail_rates(claims, questions, samples, args.runs,
                                        args.bootstrap, rise)
            print(f"  {claims:>2} claims x {questions:>2} questions x {samples} samples, "
                  f"rise {rise:.2f}: FAIL every claim and overall {every:6.1%}   "
                  f"overall only {overall:6.1%}")


if __name__ == "__main__":
    main()
