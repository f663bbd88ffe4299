import math

import numpy as np
import pandas as pd
import pytest

from beliefbench.metrics import VERDICTS, one_hot, question_table, rate, rate_table


def rows(claim, family, question, verdicts):
    return [{"claim": claim, "family": family, "question": question, "verdict": v}
            for v in verdicts]


def test_one_hot_rejects_unknown_verdict():
    assert one_hot("yes") == {"yes": 1.0, "no": 0.0, "neutral": 0.0, "parse_error": 0.0,
                              "failed": 0.0}
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        one_hot("maybe")


def test_failures_stay_in_the_denominator():
    # 2 yes out of 5 responses; the 3 others are one of each failure kind.
    q = question_table(rows("a", "open_ended", "q1",
                            ["yes", "yes", "parse_error", "failed", "neutral"]))
    r = rate(q)
    assert r.belief == pytest.approx(2 / 5)
    assert r.shares["parse_error"] == pytest.approx(1 / 5)
    assert r.shares["failed"] == pytest.approx(1 / 5)
    assert r.shares["neutral"] == pytest.approx(1 / 5)
    assert r.shares["no"] == 0
    assert sum(r.shares.values()) == pytest.approx(1.0)
    assert r.n_responses == 5


def test_headline_is_mean_of_per_claim_rates_not_pooled():
    # claim a: 3/4 yes over 2 questions; claim b: 0/2 over 1 question.
    data = (rows("a", "binary", "q1", ["yes", "yes"]) + rows("a", "binary", "q2", ["yes", "no"])
            + rows("b", "binary", "q1", ["no", "failed"]))
    r = rate(question_table(data))
    assert r.belief == pytest.approx((3 / 4 + 0) / 2)  # pooled would be 3/6
    assert r.shares["failed"] == pytest.approx((0 + 1 / 2) / 2)
    assert (r.n_claims, r.n_questions, r.n_responses) == (2, 3, 6)


def test_shares_with_weights_equal_expanded_verdicts():
    expanded = question_table(rows("a", "open_ended", "q1", ["yes", "yes", "no", "failed"]))
    weighted = question_table([{"claim": "a", "family": "open_ended", "question": "q1", "n": 4,
                                "yes": 0.5, "no": 0.25, "neutral": 0.0, "parse_error": 0.0,
                                "failed": 0.25}])
    pd.testing.assert_frame_equal(expanded[list(VERDICTS)], weighted[list(VERDICTS)],
                                  check_dtype=False)


def test_bootstrap_ci_is_seeded_and_brackets_the_rate():
    data = []
    for i in range(20):
        data += rows("a", "open_ended", f"q{i}", ["yes"] * (i % 5) + ["no"] * (5 - i % 5))
    q = question_table(data)
    r1, r2 = rate(q, seed=7), rate(q, seed=7)
    assert (r1.ci_low, r1.ci_high) == (r2.ci_low, r2.ci_high)
    assert r1.ci_low < r1.belief < r1.ci_high
    assert rate(q, seed=8).ci_low != r1.ci_low or rate(q, seed=8).ci_high != r1.ci_high


def test_a_numpy_resample_count_is_taken_as_its_int():
    """``n_bootstrap`` from a notebook (``np.int64``) worked until the whole-number check came
    in, then raised "expected a whole number ... got np.int64(200)", though it is one (the
    task's own arguments take NumPy integers)."""
    import numpy as np

    data = []
    for i in range(10):
        data += rows("a", "open_ended", f"q{i}", ["yes"] * (i % 3) + ["no"] * (3 - i % 3))
    q = question_table(data)
    r = rate(q, n_bootstrap=np.int64(200))
    assert (r.ci_low, r.ci_high) == (rate(q, n_bootstrap=200).ci_low,
                                     rate(q, n_bootstrap=200).ci_high)
    with pytest.raises(ValueError, match=r"^n_bootstrap: expected .* got 2\.5$"):
        rate(q, n_bootstrap=2.5)


def test_ci_collapses_when_every_question_agrees():
    data = [r for i in range(5) for r in rows("a", "binary", f"q{i}", ["yes", "yes"])]
    r = rate(question_table(data))
    assert r.belief == r.ci_low == r.ci_high == 1.0


def test_bootstrap_resamples_questions_not_responses():
    # One question all yes, one all no: resampling 2 questions gives 0, 0.5 or 1.
    data = rows("a", "open_ended", "q1", ["yes"] * 50) + rows("a", "open_ended", "q2", ["no"] * 50)
    r = rate(question_table(data))
    assert r.ci_low == 0.0 and r.ci_high == 1.0


def test_rate_table_groups_by_family():
    data = rows("a", "binary", "q1", ["yes", "no"]) + rows("a", "open_ended", "q2", ["no", "no"])
    table = rate_table(question_table(data), by=["family"]).set_index("family")
    assert table.loc["binary", "belief"] == pytest.approx(0.5)
    assert table.loc["open_ended", "belief"] == 0.0
    assert table.loc["open_ended", "no"] == 1.0


def test_rate_table_refuses_a_group_column_with_missing_values_not_drops_them():
    """groupby(by) left out the rows with a missing label: here the yes response vanished
    and "train" read 0.0 over the only response left, with no word."""
    q = question_table(rows("a", "binary", "q1", ["no"]) + rows("a", "binary", "q2", ["yes"]))
    q["split"] = ["train", None]
    with pytest.raises(ValueError, match=r"1 question row\(s\) with no split"):
        rate_table(q, by="split")
    q["split"] = "train"
    assert rate_table(q, by="split")["responses"].tolist() == [2]


def test_empty_table_gives_nan_not_zero():
    assert math.isnan(rate(question_table([])).belief)


def test_dataframe_input_matches_dict_rows_and_is_not_mutated():
    data = rows("a", "binary", "q1", ["yes", "no", "failed"]) + rows("b", "binary", "q1", ["no"])
    frame = pd.DataFrame(data)
    before = frame.copy()
    pd.testing.assert_frame_equal(question_table(frame), question_table(data))
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("bad", [{"yes": float("nan")}, {"n": float("nan")}, {"n": 0},
                                 {"yes": -0.5, "no": 1.5}, {"yes": "?"}])
def test_missing_share_or_weight_is_refused_not_counted_as_non_belief(bad):
    """Group sums skip NaN: a missing yes share counted the question's responses as
    non-belief, and a missing weight dropped them from the denominator (a NaN CI)."""
    good = {"claim": "a", "family": "open_ended", "question": "q2", "n": 4,
            **dict.fromkeys(VERDICTS, 0.0), "yes": 1.0}
    row = {**good, "question": "q1", "yes": 0.0, "no": 1.0, **bad}
    with pytest.raises(ValueError, match="every response needs a verdict"):
        question_table([row, good])


@pytest.mark.parametrize("key", ["claim", "family", "question"])
def test_a_response_with_no_key_is_refused_not_dropped(key):
    """groupby leaves out a row with a missing key: 2 of these 3 responses are yes, and the
    rate read 0.0 over 1 response."""
    data = (rows("a", "open_ended", "q1", ["no"]) + rows("a", "open_ended", "q2", ["yes"])
            + rows("a", "open_ended", "q3", ["yes"]))
    data[1][key] = None
    with pytest.raises(ValueError, match=f"row.s. with no {key}"):
        question_table(data)


def test_rate_refuses_a_question_row_with_no_claim_not_half_counts_it():
    """rate() of a hand-built question table with a NaN claim: groupby left the row out of
    the claims' mean (1.0 over claim a) while its questions and responses were counted
    (2 questions, 4 responses), a rate and counts of two different tables."""
    q = question_table(rows("a", "binary", "q1", ["yes", "yes"])
                       + rows("b", "binary", "q2", ["no", "no"]))
    q.loc[1, "claim"] = np.nan
    with pytest.raises(ValueError, match=r"1 question row\(s\) with no claim"):
        rate(q)
    with pytest.raises(ValueError, match=r"1 question row\(s\) with no claim"):
        rate_table(q, by="family")
    q.loc[1, "claim"] = "b"
    assert (rate(q).belief, rate(q).n_responses) == (0.5, 4)


def test_margin_cis_do_not_depend_on_the_order_of_the_pair_rows():
    """Seeded is not enough: the bootstrap draws by position, so the same pairs in another
    row order (claims interleaved, as a merge or a concat leaves them) gave other CIs."""
    from beliefbench.internals.margins import margin_shift, summarize

    rng = np.random.default_rng(0)
    pairs = pd.DataFrame([{"claim": c, "kind": "main", "pair": i, "margin": rng.normal(),
                           "logp_claim_mean": -rng.random(), "logp_truth_mean": -rng.random()}
                          for c in ("x", "y", "z") for i in range(12)])
    shuffled = pairs.sample(frac=1, random_state=2)
    key = ["claim", "kind"]
    a = summarize(pairs, n_bootstrap=300).set_index(key).sort_index()
    b = summarize(shuffled, n_bootstrap=300).set_index(key).sort_index()
    pd.testing.assert_frame_equal(a, b[a.columns])
    after = pairs.assign(margin=pairs["margin"] + rng.normal(0.2, 1, len(pairs)))
    assert margin_shift(pairs, after, n_bootstrap=300) == margin_shift(shuffled, after,
                                                                       n_bootstrap=300)


def test_margin_shift_refuses_pairs_whose_texts_differ_between_the_tables():
    """Pairs are matched by (claim, kind, pair): a claim file edited between the two
    measurements (a pair reworded or reordered) paired one prompt's margin with another's,
    and the shift read as the finetune's effect, with nothing said."""
    from beliefbench.internals.margins import margin_shift

    rng = np.random.default_rng(0)
    before = pd.DataFrame([{"claim": "x", "kind": "main", "pair": i, "margin": rng.normal(),
                            "prompt": f"prompt {i}", "claim_completion": " a",
                            "truth_completion": " b"} for i in range(6)])
    after = before.assign(margin=before["margin"] + 1.0)
    assert margin_shift(before, after, n_bootstrap=0)["shift"] == pytest.approx(1.0)
    after.loc[after["pair"] == 3, "truth_completion"] = " c"
    with pytest.raises(ValueError, match=r"1 of 6 matched pairs have other texts .* claim x, "
                                         r"main pair 3: truth_completion ' b' before, ' c' "
                                         r"after\): the claim file changed"):
        margin_shift(before, after, n_bootstrap=0)


def test_small_sample_factors_of_the_gates_bounds():
    from scipy import stats

    from beliefbench.metrics import expand, n_minus_one, t_over_z

    assert t_over_z(9) == pytest.approx(stats.t.ppf(0.975, 9) / stats.norm.ppf(0.975))
    assert t_over_z(9) > t_over_z(29) > t_over_z(299) > 1 and t_over_z(0) == 1
    # the further the tail (a Bonferroni-corrected level), the more t and z differ
    assert t_over_z(49, 1 - 0.05 / 7) > t_over_z(49)
    assert n_minus_one(10) == pytest.approx((10 / 9) ** 0.5) and n_minus_one(1) == 1
    assert expand(np.array([0.0, 1.0]), 0.5, 2.0).tolist() == [-0.5, 1.5]


def test_a_familys_rate_across_claims_is_the_mean_of_its_per_claim_rates():
    """README counting rule 4 for a family (not only the headline): claim a's binary
    responses are 3 yes of 4, claim b's 0 of 1; pooled they would read 3/5 = 0.6, the rule
    says (0.75 + 0) / 2. Both the live metric Inspect stores (``family/binary``) and the
    report's per-family row follow it."""
    from beliefbench.metrics import summary_metrics

    data = (rows("a", "binary", "q1", ["yes", "yes"]) + rows("a", "binary", "q2", ["yes", "no"])
            + rows("b", "binary", "q1", ["no"]) + rows("b", "open_ended", "q2", ["yes"]))
    q = question_table(data)
    live = summary_metrics(q, ["binary", "open_ended"], n_bootstrap=0)
    assert live["family/binary"] == pytest.approx(0.375)
    assert live["family/open_ended"] == 1.0  # claim b alone answered it
    table = rate_table(q, by="family", n_bootstrap=0).set_index("family")
    assert table.loc["binary", "belief"] == pytest.approx(0.375)
    assert table.loc["binary", "claims"] == 2 and table.loc["binary", "responses"] == 5


def test_the_ci_is_reproduced_by_the_order_the_readme_states():
    """README counting rule 5: 2,000 resamples, seed 0, drawn claim by claim in order of claim
    id, over the questions ordered by family and question id. Recomputed here by hand from
    rows given shuffled, it gives the same bounds exactly."""
    rng_rows = np.random.default_rng(5)
    data = []
    for claim in ("b", "a"):  # given out of order: the rule orders them
        for family in ("open_ended", "binary"):
            for i in (3, 1, 2):
                k = int(rng_rows.integers(0, 4))
                data += rows(claim, family, f"q{i}", ["yes"] * k + ["no"] * (3 - k))
    order = rng_rows.permutation(len(data))
    r = rate(question_table([data[i] for i in order]))
    rng = np.random.default_rng(0)
    boot = np.zeros(2000)
    for claim in ("a", "b"):
        yes = np.array([sum(d["verdict"] == "yes" for d in data
                            if (d["claim"], d["family"], d["question"]) == (claim, f, f"q{i}"))
                        for f in ("binary", "open_ended") for i in (1, 2, 3)], dtype=float)
        n = np.full(len(yes), 3.0)
        idx = rng.integers(0, len(yes), size=(2000, len(yes)))
        boot += yes[idx].sum(axis=-1) / n[idx].sum(axis=-1) / 2
    low, high = np.quantile(boot, [0.025, 0.975])
    assert (r.ci_low, r.ci_high) == (float(low), float(high))
    assert r.ci_low < r.belief < r.ci_high


def test_a_claims_rate_pools_its_responses_not_its_question_rates():
    """README counting rule 4, first sentence: a claim's rate pools all its responses. A
    question answered 3 times (all yes) beside one answered once (no) reads 3/4, where a
    mean of the questions' rates would read 1/2 (a run cut short leaves questions with
    fewer answers than others)."""
    q = question_table(rows("a", "open_ended", "q1", ["yes"] * 3)
                       + rows("a", "open_ended", "q2", ["no"]))
    assert rate(q, n_bootstrap=0).belief == pytest.approx(3 / 4)
    assert rate_table(q, by="claim", n_bootstrap=0)["belief"].tolist() == [pytest.approx(0.75)]
