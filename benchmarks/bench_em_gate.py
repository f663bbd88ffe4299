"""Benchmark the EM gate's false-FAIL rate and power (``beliefbench gate`` on EM logs).

``gate`` on EM logs (``analysis/em_gate.py``) gates the candidate's general EM rate over
the baseline's by the belief gate's decision (``analysis.gate.decide``, one rise, 95%: a
one-sided bound, so at most 2.5% of unchanged candidates should FAIL). EM rates are not
belief rates: most questions sit near 0 and a few carry the misalignment, so the rise's
noise is skewed, and the first-plot set has 8 questions (a t bound on 7 degrees of
freedom). This measures the rule on that shape.

Simulated runs: each general question is misaligned with a probability drawn from a Beta
(``low``: Beta(0.25, 4.75), mean 0.05, a base or a mild finetune; ``high``: Beta(0.5, 2.0),
mean 0.20, a misaligned finetune gated against another), ``samples`` responses a question
(the task's default 50; 10 for a cheap run), 8 questions (``first_plot``, the default set's
general questions) or 52 (``-T questions=all``). A pair is two runs of one model (no true
rise) or a candidate whose every question's EM probability is ``--rise`` higher (capped at
1). Each pair goes through the EM gate's own code, as ``compare_em`` calls it after its
refusals: the sides' question tables (``em.metrics.question_table``; EM verdicts as
counts), the general domain's table (``em_gate._table``) and ``decide`` with one rise,
``--bootstrap 2000``, ``--seed 0`` (``tests/test_em_gate.py`` checks that this is the
rise ``compare_em`` gives on logs). Only ``em`` and ``ok`` are drawn: every other verdict
counts as not EM, as ``ok`` does.

Printed per row: the share of pairs the gate says FAIL, with its 95% Wilson interval over
the pairs, at ``--max-rise 0.05`` (the default) and ``--max-rise 0`` (any rise beyond noise
fails: the bound's own calibration, which the threshold hides), and the power (FAIL) at the
true rise, at ``--max-rise 0.05``; then the run time.

Usage: .venv/bin/python benchmarks/bench_em_gate.py [--runs 200] [--rise 0.10]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from benchutil import description, positive_int
from scipy import stats

from beliefbench.analysis.em_gate import GATED, _table
from beliefbench.analysis.gate import decide
from beliefbench.em.metrics import EM_VERDICTS, question_table
from beliefbench.metrics import CI_LEVEL, N_BOOTSTRAP, SEED, min_resamples

BASES = {"low": (0.25, 4.75), "high": (0.5, 2.0)}
"""Per-question EM probabilities of the baseline: Beta(a, b), mean 0.05 and 0.20."""
SHAPES = [(8, 50, "low"), (52, 50, "low"), (8, 10, "low"), (52, 10, "low"),
          (8, 50, "high"), (52, 50, "high")]
"""(general questions, samples a question, base): first_plot (8) and ``-T questions=all``'s
general sets (52), at the task's 50 samples and at 10."""
RUNS = 200
"""Pairs per cell by default: about 2 minutes on the shared 2-core machine (2026-12-06)."""


def template(questions: int, samples: int) -> pd.DataFrame:
    """An EM run's question table of ``questions`` general questions with ``samples``
    responses each, as :func:`question_table` builds it (counts per verdict); built once,
    its ``em`` / ``ok`` counts replaced per run (pandas' groupby per run took most of it)."""
    return question_table(pd.DataFrame({
        "domain": GATED, "question_set": "sim", "question": [f"q{i}" for i in range(questions)],
        **{v: 0.0 for v in EM_VERDICTS}, "ok": 1.0, "n": samples}))


def run_table(shape: pd.DataFrame, p: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One run: each question's ``em`` count drawn Binomial(samples, p), the rest ``ok``."""
    t = shape.copy()
    order = t["question"].str[1:].astype(int).to_numpy()  # question_table sorts by id
    n = t["n"].to_numpy(dtype=int)
    t["em"] = rng.binomial(n, p[order]).astype(float)
    t["ok"] = n - t["em"]
    return t


def gate_fails(qb: pd.DataFrame, qc: pd.DataFrame, max_rise: float, n_bootstrap: int) -> bool:
    """The EM gate's verdict on two question tables: FAIL (exit 1) or not (PASS or
    INCONCLUSIVE, exit 0 by default), by ``decide`` as ``compare_em`` calls it."""
    rise, _, _ = decide(_table(qb, GATED), _table(qc, GATED), [GATED], max_rise,
                        overall_only=True, n_bootstrap=n_bootstrap, seed=SEED)
    return rise.fails


def share(hits: int, runs: int) -> str:
    """``hits / runs`` with its 95% Wilson interval over the pairs."""
    ci = stats.binomtest(hits, runs).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{hits / runs:6.1%} [{ci.low:5.1%}, {ci.high:5.1%}]"


def fail_counts(questions: int, samples: int, base: str, runs: int, n_bootstrap: int,
                rises: list[tuple[float, float]]) -> list[int]:
    """FAIL counts over ``runs`` simulated pairs for each (true rise, max rise); the pairs
    are drawn once per true rise (seeded), so the two thresholds see the same pairs."""
    rng = np.random.default_rng([questions, samples, len(base)])  # as measured
    shape = template(questions, samples)
    pairs: dict[float, list[tuple[pd.DataFrame, pd.DataFrame]]] = {}
    for true, _ in rises:
        if true in pairs:
            continue
        pairs[true] = []
        for _ in range(runs):
            p = rng.beta(*BASES[base], questions)
            pairs[true].append((run_table(shape, p, rng),
                                run_table(shape, np.minimum(1.0, p + true), rng)))
    return [sum(gate_fails(b, c, most, n_bootstrap) for b, c in pairs[true])
            for true, most in rises]


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--runs", type=positive_int, default=RUNS,
                    help=f"Simulated pairs per cell (default {RUNS}).")
    ap.add_argument("--rise", type=float, default=0.10,
                    help="The candidate's true rise for the power column (default 0.10: "
                         "twice --max-rise).")
    ap.add_argument("--bootstrap", type=positive_int, default=N_BOOTSTRAP,
                    help=f"Bootstrap resamples per CI (default the gate's {N_BOOTSTRAP}).")
    args = ap.parse_args()
    if not 0 < args.rise <= 1:
        ap.error(f"--rise: a share of responses above 0 and at most 1, got {args.rise}")
    if args.bootstrap < min_resamples():  # the gate refuses fewer: one line, no traceback
        ap.error(f"--bootstrap: at least {min_resamples()} (the gate's least for one rise), "
                 f"got {args.bootstrap}")
    started = time.perf_counter()
    nominal = (1 - CI_LEVEL) / 2
    print(f"EM gate (general EM rise, one bound at {CI_LEVEL:.0%}: nominal false FAIL at most "
          f"{nominal:.1%}); {args.runs} simulated pairs a cell, --bootstrap {args.bootstrap}, "
          f"--seed {SEED}; FAIL share [95% Wilson CI over the pairs]")
    print(f"  {'questions x samples':>19} {'base EM':>14} | {'no rise: --max-rise 0.05':>26} "
          f"{'--max-rise 0':>26} | {f'true rise {args.rise:.2f}: FAIL':>26}")
    for questions, samples, base in SHAPES:
        a, b = BASES[base]
        counts = fail_counts(questions, samples, base, args.runs, args.bootstrap,
                             [(0.0, 0.05), (0.0, 0.0), (args.rise, 0.05)])
        print(f"  {f'{questions} x {samples}':>19} {f'Beta({a:g}, {b:g})':>14} | "
              + f"{share(counts[0], args.runs):>26} {share(counts[1], args.runs):>26} | "
              + f"{share(counts[2], args.runs):>26}")
    print(f"Took {time.perf_counter() - started:.0f} s ({len(SHAPES) * 3 * args.runs} gate "
          f"decisions; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
