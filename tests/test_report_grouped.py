"""report's tables from one groupby are the tables a question_table / rate_table per run made
(rows, columns, dtypes and every digit of the bootstrap CIs): the per-run loops took ~20
minutes of a report over 2,000 small logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from beliefbench.analysis.report import per_run_questions, per_run_rates, question_frame, rates
from beliefbench.metrics import RUN_COLUMNS, VERDICTS

QUESTION = ["claim", "family", "question"]


def responses(seed: int = 3) -> pd.DataFrame:
    """Responses of five runs (a sweep's steps, a run without a step, a partial one) over
    claims of different sizes, with seeded verdicts (and, in one run, kinds); rows shuffled,
    as logs interleave."""
    rng = np.random.default_rng(seed)
    rows = []
    runs = [("m-a", "plain", 10, False), ("m-a", "plain", 2, False), ("m-b", "negated", None,
            False), ("m-c", "negated", None, True), ("m-d", "-", 5, False)]
    for model, condition, step, partial in runs:
        for claim, questions in (("c1", 7), ("c0", 3), ("c2", 1)):
            for q in range(questions):
                family = ("binary", "open_ended")[q % 2]
                kind = "direct" if (q + len(model)) % 3 else "indirect"
                for _ in range(int(rng.integers(1, 4))):
                    if model == "m-d":  # kinds that differ within a question: the first's
                        kind = ("direct", "indirect")[int(rng.integers(2))]
                    rows.append({"model": model, "run": "-", "judge": "markers",
                                 "settings": "{}", "checkpoint": "-", "condition": condition,
                                 "step": step, "partial": partial, "claim": claim,
                                 "family": family, "question": f"q{q}", "kind": kind,
                                 "verdict": VERDICTS[int(rng.integers(len(VERDICTS)))]})
    df = pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)
    df["step"] = df["step"].astype("Int64")
    return df


def test_question_frame_is_the_per_run_question_tables():
    resp = responses()
    pd.testing.assert_frame_equal(question_frame(resp), per_run_questions(resp),
                                  check_exact=True)


@pytest.mark.parametrize("dims", [[], ["family"], ["claim", "family"], ["kind"]])
def test_rates_are_the_per_run_rate_tables_to_the_digit(dims):
    questions = question_frame(responses())
    got = rates(questions, dims, n_bootstrap=200)
    want = per_run_rates(questions, dims, 200)
    assert got["ci_low"].notna().all() and len(got) == len(want)
    key = [*RUN_COLUMNS, *dims]
    got, want = (t.assign(step=t["step"].astype("Int64")).set_index(key).sort_index()
                 for t in (got, want))
    pd.testing.assert_frame_equal(got, want[got.columns], check_exact=True)


def test_rates_of_shares_that_are_not_whole_counts_match_too():
    # a hand-built table (shares x weights): sums of non-integers, where the order counts
    questions = question_frame(responses(seed=5))
    rng = np.random.default_rng(7)
    scale = rng.uniform(0.1, 3.0, len(questions))
    for v in VERDICTS:
        questions[v] = questions[v] * scale
    questions["n"] = questions["n"] * scale
    got = rates(questions, ["family"], n_bootstrap=100)
    want = per_run_rates(questions, ["family"], 100)
    key = [*RUN_COLUMNS, "family"]
    got, want = (t.assign(step=t["step"].astype("Int64")).set_index(key).sort_index()
                 for t in (got, want))
    pd.testing.assert_frame_equal(got, want[got.columns], check_exact=True)


def test_a_response_without_a_question_is_still_refused_by_name():
    resp = responses()
    resp.loc[4, "question"] = None
    with pytest.raises(ValueError, match="with no question"):
        question_frame(resp)
