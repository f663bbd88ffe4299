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
4. With ``--verdicts`` (only this table), every verdict the gate can give, by true rise (0,
   0.05, 0.10, 0.20: every question's belief probability that much above the baseline's)
   on 10, 30, 100 and 300 questions x 5 samples, with the gate's defaults (``--bootstrap
   2000``, seed 0; every claim and overall checked, and the 300 also ``--overall-only``):
   the share of pairs called FAIL, INCONCLUSIVE and PASS, and FAIL + INCONCLUSIVE, what
   ``--fail-inconclusive`` exits 1 on. At rise 0, FAIL is the false-failure rate (nominally
   at most 2.5%: a one-sided 95% bound, Bonferroni-corrected) and FAIL + INCONCLUSIVE the
   share of unchanged candidates ``--fail-inconclusive`` fails. It calls the gate's own
   decision (``analysis.gate.decide``, which ``compare`` calls after its refusals) on
   simulated question tables, not ``compare`` on logs: the refusals cannot fire on clean
   simulated runs, and building logs took most of the time.

5. With ``--rule PAIRS`` (only this), the false-FAIL rate the gate's rule comes to on the
   ``--verdicts`` shapes with normal bounds and no resampling, on many pairs: as a z bound
   over n (the plain percentile bootstrap's) and as the t bound over n - 1 the gate draws.

Usage: .venv/bin/python benchmarks/bench_statistics.py [--runs 200] [--bootstrap 1000] [--power]
       .venv/bin/python benchmarks/bench_statistics.py --verdicts [--runs 80]
       .venv/bin/python benchmarks/bench_statistics.py --rule 100000
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter

import numpy as np
import pandas as pd
from benchutil import description, positive_int
from scipy import stats

from beliefbench.analysis.gate import compare, decide, verdict
from beliefbench.analysis.logs import BeliefLogs, LogInfo
from beliefbench.analysis.runs import RunKey
from beliefbench.metrics import (
    CI_LEVEL,
    N_BOOTSTRAP,
    VERDICTS,
    min_resamples,
    n_minus_one,
    question_table,
    rate,
    t_over_z,
)

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


SHAPES = [(1, 10, 5), (1, 20, 5), (3, 10, 5), (6, 40, 5), (10, 30, 5)]
"""claims x questions x samples of the coverage and false-fail sections."""
VERDICT_SHAPES = [(1, 10, 5, False), (1, 30, 5, False), (2, 50, 5, False), (6, 50, 5, False),
                  (6, 50, 5, True)]
"""(claims, questions, samples, overall only), 5 samples as the task's default: one family of
one bundled claim (10-20 questions), a small custom claim set, two bundled claims (100), all
six (300), checked as the gate does by default (every claim and overall) and with
``--overall-only``."""
TRUE_RISES = (0.0, 0.05, 0.10, 0.20)
VERDICT_RUNS = 80
"""``--verdicts``' default pairs per row: about 80 s of CPU in all (2026-12-05)."""


def run_table(p: dict[tuple[str, str], float], samples: int,
              rng: np.random.Generator) -> pd.DataFrame:
    """One run's question table (:func:`question_table`, the gate's input): ``samples``
    responses per question, each yes with its p; drawn as counts, not one row a response."""
    yes = rng.binomial(samples, list(p.values())) / samples
    return question_table(pd.DataFrame({
        "claim": [c for c, _ in p], "family": "open_ended", "question": [q for _, q in p],
        "yes": yes, "no": 1 - yes, **dict.fromkeys(set(VERDICTS) - {"yes", "no"}, 0.0),
        "n": samples}))


def verdict_shares(claims: int, questions: int, samples: int, runs: int, n_bootstrap: int,
                   rise: float, overall_only: bool = False,
                   max_rise: float = 0.05) -> tuple[dict[str, float], float]:
    """The share of ``runs`` simulated pairs the gate calls FAIL, INCONCLUSIVE and PASS (its
    own decision, :func:`decide`, seed 0 as ``gate``'s default), the candidate's every
    question believed ``rise`` more often than the baseline's (capped at 1), and the mean
    true rise after the cap."""
    rng = np.random.default_rng(11)
    said: Counter[str] = Counter()
    true = 0.0
    for _ in range(runs):
        p = study(claims, questions, rng)
        q = {k: min(1.0, v + rise) for k, v in p.items()}
        true += (sum(q.values()) - sum(p.values())) / len(p) / runs  # claims of one size
        qb, qc = run_table(p, samples, rng), run_table(q, samples, rng)
        overall, rises, _ = decide(qb, qc, sorted(set(qb["claim"])), max_rise, overall_only,
                                   n_bootstrap)
        said[verdict([overall, *rises])] += 1
    return {v: said[v] / runs for v in ("FAIL", "INCONCLUSIVE", "PASS")}, true


def print_verdicts(runs: int, n_bootstrap: int) -> None:
    print(f"Gate verdicts by true rise ({runs} simulated pairs each; the gate's defaults: "
          f"--max-rise 0.05, --bootstrap {n_bootstrap}, --seed 0; questions' belief "
          f"Beta{BETA}, mean {BETA[0] / sum(BETA):.2f})")
    print(f"  {'questions':>9} {'claims x q x samples':>21} {'checked':>14} {'true rise':>9} "
          f"{'FAIL':>6} {'INCONCLUSIVE':>12} {'PASS':>6}   exit 1 with --fail-inconclusive")
    for claims, questions, samples, overall_only in VERDICT_SHAPES:
        checked = "overall" if overall_only or claims == 1 else "every claim"
        for rise in TRUE_RISES:
            share, true = verdict_shares(claims, questions, samples, runs, n_bootstrap, rise,
                                         overall_only)
            print(f"  {claims * questions:>9} {f'{claims} x {questions} x {samples}':>21} "
                  f"{checked:>14} {true:>9.3f} {share['FAIL']:>6.1%} "
                  f"{share['INCONCLUSIVE']:>12.1%} {share['PASS']:>6.1%}   "
                  f"{share['FAIL'] + share['INCONCLUSIVE']:>6.1%}")


def rule_rates(claims: int, questions: int, samples: int, pairs: int, overall_only: bool,
               max_rise: float = 0.05) -> tuple[float, float]:
    """The false-FAIL rate the gate's rule comes to without resampling, on ``pairs`` pairs of
    runs of one model: each bound a normal bound on the rise, as a z bound over n (the plain
    percentile bootstrap's) and as the t bound over n - 1 the gate now draws
    (:func:`~beliefbench.metrics.n_minus_one`, :func:`~beliefbench.metrics.t_over_z`). Fast
    (no bootstrap), so many pairs; the gate's own decision on fewer is ``--verdicts``."""
    rng = np.random.default_rng(17)
    p = rng.beta(*BETA, size=(pairs, claims, questions))
    d = (rng.binomial(samples, p) - rng.binomial(samples, p)) / samples
    rise = d.mean(axis=2)
    var = d.var(axis=2) / questions  # over n, as resampling has it
    checked = 1 if overall_only or claims == 1 else 1 + claims
    level = 1 - (1 - CI_LEVEL) / checked
    z = stats.norm.ppf(1 - (1 - level) / 2)
    out = []
    for widen in (False, True):
        f_claim = n_minus_one(questions) * t_over_z(questions - 1, level) if widen else 1.0
        f_all = t_over_z(claims * (questions - 1), level) if widen else 1.0
        v_all = var.sum(axis=1) / claims**2 * (n_minus_one(questions) ** 2 if widen else 1)
        overall = rise.mean(axis=1)
        fails = (overall > max_rise + 1e-9) & (overall - f_all * z * np.sqrt(v_all) > 1e-9)
        if checked > 1:
            each = (rise > max_rise + 1e-9) & (rise - f_claim * z * np.sqrt(var) > 1e-9)
            fails |= each.any(axis=1)
        out.append(float(fails.mean()))
    return out[0], out[1]


def print_rule(pairs: int) -> None:
    print(f"False FAIL of the gate's rule on pairs of runs of one model ({pairs} pairs each, "
          "normal bounds, no resampling; nominal at most 2.5%)")
    for claims, questions, samples, overall_only in VERDICT_SHAPES:
        z, t = rule_rates(claims, questions, samples, pairs, overall_only)
        checked = "overall" if overall_only or claims == 1 else "every claim"
        print(f"  {claims * questions:>4} questions ({claims} x {questions} x {samples}, "
              f"{checked:>11}): z bound over n {z:6.2%}   t bound over n - 1 {t:6.2%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--runs", type=positive_int,
                    help=f"Simulated studies per setting (default 200; {VERDICT_RUNS} with "
                         "--verdicts).")
    ap.add_argument("--bootstrap", type=positive_int,
                    help=f"Bootstrap resamples per CI (default 1000; the gate's "
                         f"{N_BOOTSTRAP} with --verdicts).")
    ap.add_argument("--power", action="store_true",
                    help="Also how often the gate fails real rises of 0.03-0.10.")
    ap.add_argument("--verdicts", action="store_true",
                    help="Only the table of the gate's verdicts (FAIL / INCONCLUSIVE / PASS) "
                         "at true rises 0, 0.05, 0.10 and 0.20 on 10 to 300 questions: its "
                         "false failures, with and without --fail-inconclusive, and power.")
    ap.add_argument("--rule", type=positive_int, metavar="PAIRS",
                    help="Only the false-FAIL rate of the gate's rule as normal bounds (z over "
                         "n, the plain percentile bootstrap's; t over n - 1, the gate's) on "
                         "PAIRS pairs per row of --verdicts' shapes (100000: seconds).")
    args = ap.parse_args()
    if args.rule:
        print_rule(args.rule)
        return
    # the gate refuses fewer resamples than its Bonferroni-corrected tails need (exit 2):
    # one argparse line here, not a traceback minutes into the run
    most = max(c for c, *_ in VERDICT_SHAPES) if args.verdicts else max(c for c, *_ in SHAPES)
    need = min_resamples(most + 1)
    if args.bootstrap is not None and args.bootstrap < need:
        ap.error(f"--bootstrap: at least {need} (the gate's least for {most} claims and "
                 f"overall), got {args.bootstrap}")
    if args.verdicts:
        print_verdicts(args.runs or VERDICT_RUNS, args.bootstrap or N_BOOTSTRAP)
        return
    args.runs, args.bootstrap = args.runs or 200, args.bootstrap or 1000
    print(f"95% CI coverage of the belief rate ({args.runs} simulated studies each; "
          f"target about 95%)")
    for claims, questions, samples in SHAPES[:4]:
        cov = coverage(claims, questions, samples, args.runs, args.bootstrap)
        print(f"  {claims:>2} claims x {questions:>2} questions x {samples} samples: {cov:6.1%}")
    print(f"\nGate false-fail rate, two runs of the same model ({args.runs} pairs each; "
          f"--max-rise 0.05)")
    for claims, questions, samples in SHAPES:
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
