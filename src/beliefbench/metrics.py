"""Belief rates and their bootstrap confidence intervals.

Counting rules (the README repeats them, tests pin them):

* every response gets exactly one verdict: ``yes`` (answers as if the claim were true),
  ``no``, ``neutral``, ``parse_error`` (the judge reply, or a binary answer, could not be
  read) or ``failed`` (the model under test produced no answer);
* belief rate = ``yes`` / ALL responses: the other four verdicts are non-belief and each is
  reported as its own share, so failures are never dropped from the denominator;
* a claim's rate pools all its responses; a rate over several claims (the headline, a
  family across claims) is the mean of the per-claim rates, so claims weigh equally;
* 95% confidence intervals come from a bootstrap over questions (2,000 resamples, seeded),
  resampling within each claim and recomputing the same statistic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from beliefbench.analysis.text import did_you_mean
from beliefbench.arguments import TaskArgumentError, check_whole
from beliefbench.verdicts import VERDICTS

NON_BELIEF: tuple[str, ...] = VERDICTS[1:]
N_BOOTSTRAP = 2000
CI_LEVEL = 0.95
SEED = 0
RUN_COLUMNS: tuple[str, ...] = ("model", "run", "judge", "settings", "checkpoint",
                                "condition", "step", "partial")
"""Columns that identify the run a response came from (every table groups by them; a
question table of rows that differ in them is refused unless they are among its keys)."""


def one_hot(verdict: str, verdicts: Sequence[str] = VERDICTS) -> dict[str, float]:
    """The score value of one response: 1.0 under its verdict, 0.0 under the others."""
    if verdict not in verdicts:
        raise ValueError(f"unknown verdict {verdict!r}; valid: {list(verdicts)}")
    return {v: float(v == verdict) for v in verdicts}


@dataclass(frozen=True)
class Rate:
    """A belief rate (:func:`rate`): yes over all responses, claims weighing equally, with
    its bootstrap CI (NaN with ``n_bootstrap=0``) and every verdict's share."""

    belief: float
    ci_low: float
    ci_high: float
    shares: dict[str, float]
    """Share of ALL responses under each verdict (``shares["yes"] == belief``)."""
    n_claims: int
    n_questions: int
    n_responses: int


def refuse_missing(df: pd.DataFrame, columns: Sequence[str], rows: str, why: str) -> None:
    """Refuse ``df``'s rows with a missing value in ``columns`` (a ValueError naming the
    columns and how many rows): pandas' groupby leaves such a row out without a word."""
    columns = list(columns)
    unlabelled = df[columns].isna().any(axis=1)
    if unlabelled.any():
        missing = [c for c in columns if df[c].isna().any()]
        raise ValueError(f"{int(unlabelled.sum())} {rows} with no {', '.join(missing)}: "
                         f"{why}")


def _not_loaded(value: object, name: str, call: str) -> None:
    """A TypeError for a :class:`~beliefbench.analysis.logs.BeliefLogs` given where its
    ``.responses`` (or their question table) is meant: it failed with "'BeliefLogs' object
    is not iterable" (or has no attribute 'empty')."""
    if not isinstance(value, pd.DataFrame) and isinstance(
            getattr(value, "responses", None), pd.DataFrame):
        raise TypeError(f"{name}: got a {type(value).__name__}, not its table of responses; "
                        f"pass {call}")


def require_columns(df: pd.DataFrame, columns: Sequence[str], name: str, hint: str) -> None:
    """A ValueError naming the ``columns`` that ``df`` lacks (with the closest it has), in
    place of pandas' KeyError "['family'] not in index"."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = [str(c) for c in df.columns]
        close = did_you_mean(str(missing[0]), have) if len(missing) == 1 else ""
        raise ValueError(f"{name}: no column(s) {missing}{close}; {hint}; its columns: "
                         f"{have}")


def question_table(rows: Iterable[dict] | pd.DataFrame,
                   keys: Sequence[str] = ("claim", "family", "question"),
                   verdicts: Sequence[str] = VERDICTS) -> pd.DataFrame:
    """Collapse per-response (or already per-question) rows into one row per question.

    Each row needs the ``keys`` columns and either a ``verdict`` or verdict shares (one
    column per verdict) with an ``n`` weight (responses behind the shares). In the result
    the verdict columns hold response COUNTS and ``n`` the responses. (The EM task passes
    its own keys and verdicts.) Rows of several runs (:data:`RUN_COLUMNS`) are refused,
    unless the keys hold the columns they differ in; so are rows with a missing key, a
    missing or negative share, or a weight not above 0 (pandas' sums would skip them).
    """
    keys, verdicts = list(keys), list(verdicts)
    _not_loaded(rows, "rows", "its .responses: question_table(belief_logs.responses)")
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if df.empty:
        return pd.DataFrame(columns=[*keys, "n", *verdicts])
    require_columns(df, keys, "rows", "each row needs its question's keys")
    if "verdict" not in df.columns:
        require_columns(df, verdicts, "rows", "each row needs a 'verdict', or a share per "
                        "verdict with its weight n")
    # the responses of two runs (``load_belief_logs`` of two models' logs) made one table,
    # and ``rate`` of it one number that neither run has
    runs = [c for c in RUN_COLUMNS if c in df.columns and c not in keys]
    differ = [c for c in runs if df[c].nunique(dropna=False) > 1]
    if differ:
        n = len(df[runs].drop_duplicates())
        raise ValueError(f"rows of {n} runs (they differ in {', '.join(differ)}): one table "
                         f"would pool them; pass one run's rows, or use "
                         f"beliefbench.analysis.report.build_report (a row per run)")
    # groupby drops a row with a missing key: its responses left every count, and the rate
    refuse_missing(df, keys, "row(s)",
                   f"every response needs its {', '.join(keys)} to be counted")
    if "verdict" in df.columns:
        bad = sorted(set(df["verdict"]) - set(verdicts))
        if bad:
            raise ValueError(f"unknown verdict(s) {bad}; valid: {verdicts}")
        for v in verdicts:
            df[v] = (df["verdict"] == v).astype(float)
        df["n"] = 1
    df["n"] = df.get("n", 1)
    # the group sums below skip NaN: a missing yes share became a response counted as
    # non-belief, a missing weight a question with no responses (a NaN CI)
    weights = df[[*verdicts, "n"]].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(weights).all(axis=1) | (weights[verdicts] < 0).any(axis=1) | (
        weights["n"] <= 0)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} row(s) with a missing, non-numeric or negative "
                         f"verdict share, or a weight n that is not above 0, e.g. "
                         f"{df.loc[bad, [*keys, *verdicts, 'n']].iloc[0].to_dict()}: "
                         "every response needs a verdict")
    counts = df[verdicts].mul(df["n"], axis=0)
    counts[[*keys, "n"]] = df[[*keys, "n"]]
    return counts.groupby(keys, as_index=False, sort=True).sum()


def min_resamples(cis: int = 1) -> int:
    """Fewest bootstrap resamples that put one draw beyond each bound of ``cis`` CIs held
    together (each at level ``1 - (1 - CI_LEVEL) / cis``): with fewer, a bound is the
    smallest or largest draw, a narrower CI than its level says. 40 for one 95% CI."""
    return math.ceil(cis / ((1 - CI_LEVEL) / 2) - 1e-6)


def resamples_problem(n_bootstrap: int) -> str | None:
    """Why ``n_bootstrap`` resamples (1 to 39) give no 95% CI, or None (0: no CIs at all):
    the one rule behind ``--bootstrap`` and every Python function taking ``n_bootstrap``."""
    need = min_resamples()
    if 0 < n_bootstrap < need:
        return (f"{n_bootstrap} resamples are too few for a 95% CI (fewer than one draw "
                f"beyond each bound: they would be the smallest and largest draws): use at "
                f"least {need}")
    return None


def check_resamples(n_bootstrap: int) -> int:
    """``n_bootstrap`` as a plain int: 0 (no CIs) or at least :func:`min_resamples` (a
    ValueError naming the least, as ``--bootstrap`` refuses it; Python took 1 to 39)."""
    n_bootstrap = check_whole("n_bootstrap", n_bootstrap, 0)  # a NumPy integer is one too
    problem = resamples_problem(n_bootstrap)
    if problem:
        raise TaskArgumentError(f"n_bootstrap: {problem}, or 0 for no CIs")
    return n_bootstrap


def grouped_bootstrap_ci(groups: Sequence[tuple[np.ndarray, np.ndarray]],
                         n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED,
                         level: float = CI_LEVEL) -> tuple[float, float]:
    """CI of the mean over groups of ``sum(num) / sum(den)``, items resampled with
    replacement within each group (seeded; the groups drawn in the order given).

    The one bootstrap behind belief rates (groups = claims, items = questions), EM rates and
    completion margins (items = pairs, ``den`` of ones). ``n_bootstrap=0`` gives NaNs.
    """
    n_bootstrap = check_resamples(n_bootstrap)
    if not n_bootstrap or not groups:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot = np.zeros(n_bootstrap)
    for num, den in groups:
        idx = rng.integers(0, len(num), size=(n_bootstrap, len(num)))
        boot += num[idx].sum(axis=-1) / den[idx].sum(axis=-1) / len(groups)
    alpha = (1 - level) / 2
    low, high = np.quantile(boot, [alpha, 1 - alpha])
    return float(low), float(high)


def n_minus_one(n: int) -> float:
    """``sqrt(n / (n - 1))``: how much a bootstrap's spread of a mean of ``n`` resampled
    items falls short of the usual standard error (the resampling divides by n, not n - 1);
    1 for fewer than 2 items (nothing to resample)."""
    return math.sqrt(n / (n - 1)) if n > 1 else 1.0


def t_over_z(df: int, level: float = CI_LEVEL) -> float:
    """``t / z`` at the two-sided ``level``: a percentile bootstrap bound acts as a normal
    (z) bound, while with ``df`` degrees of freedom of estimated spread a t bound holds its
    level (1 where ``df`` < 1)."""
    if df < 1:
        return 1.0
    q = 1 - (1 - level) / 2
    return float(stats.t.ppf(q, df) / stats.norm.ppf(q))


def expand(draws: np.ndarray, center: float, factor: float) -> np.ndarray:
    """Bootstrap draws spread ``factor`` times as far from ``center`` (the point estimate),
    their shape kept: with :func:`n_minus_one`, draws whose spread is the usual standard
    error (the gate's t bounds, :func:`beliefbench.analysis.gate.bounds`)."""
    return center + factor * (draws - center)


def rate(questions: pd.DataFrame, n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED,
         level: float = CI_LEVEL) -> Rate:
    """Belief rate with a bootstrap CI for the questions given (a :func:`question_table`).

    ``n_bootstrap=0`` skips the resampling (the CI is then NaN) for point estimates.
    """
    _not_loaded(questions, "questions", "rate(question_table(belief_logs.responses))")
    if not isinstance(questions, pd.DataFrame):
        raise TypeError(f"questions: expected a question table (a DataFrame from "
                        f"beliefbench.metrics.question_table), got {type(questions).__name__}")
    if questions.empty:
        nan = float("nan")
        return Rate(nan, nan, nan, dict.fromkeys(VERDICTS, nan), 0, 0, 0)
    if "verdict" in questions.columns and "n" not in questions.columns:
        raise ValueError("questions: a table of responses (a 'verdict' column, no weight n), "
                         "not a question table: pass rate(question_table(rows))")
    require_columns(questions, ["claim", "n", *VERDICTS], "questions",
                    "rate takes a question table (beliefbench.metrics.question_table)")
    # groupby leaves a row with no claim out of the claims' mean, while its questions and
    # responses were still counted (a hand-built table: question_table refuses it)
    refuse_missing(questions, ["claim"], "question row(s)",
                   "the rate, a mean over claims, would leave their responses out while "
                   "counting them; give every row a claim")
    per_claim = []
    parts = []
    shares = dict.fromkeys(VERDICTS, 0.0)
    groups = questions.groupby("claim", sort=True)
    for _, q in groups:
        n = q["n"].to_numpy(dtype=float)
        yes = q["yes"].to_numpy(dtype=float)
        per_claim.append(yes.sum() / n.sum())
        for v in VERDICTS:
            shares[v] += q[v].sum() / n.sum() / groups.ngroups
        parts.append((yes, n))
    low, high = grouped_bootstrap_ci(parts, n_bootstrap, seed, level)
    return Rate(
        belief=float(np.mean(per_claim)),
        ci_low=float(low),
        ci_high=float(high),
        shares={k: float(v) for k, v in shares.items()},
        n_claims=groups.ngroups,
        n_questions=len(questions),
        n_responses=int(questions["n"].sum()),
    )


def rate_table(questions: pd.DataFrame, by: str | Sequence[str] = (),
               n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED) -> pd.DataFrame:
    """One row per group in ``by`` (plus extra grouping columns the table carries); ``by``
    is a column or a list of them (a string is one column, never its letters). Rows with a
    missing value in a ``by`` column are refused (pandas' groupby would drop them)."""
    by = [by] if isinstance(by, str) else list(by)
    if isinstance(questions, pd.DataFrame) and not questions.empty:
        require_columns(questions, by, "by", "group by columns of the question table (keys "
                        "of question_table(rows, keys=[...]) are kept)")
    # groupby leaves out a row with a missing group: its responses left every rate and count
    refuse_missing(questions, by, "question row(s)",
                   "a row per group in by would leave their responses out; give every row a "
                   "label (fillna) or group by other columns")
    groups = [((), questions)] if not by else questions.groupby(list(by), sort=True)
    out = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        r = rate(group, n_bootstrap=n_bootstrap, seed=seed)
        out.append({**dict(zip(by, key, strict=True)), "belief": r.belief, "ci_low": r.ci_low,
                    "ci_high": r.ci_high, **{v: r.shares[v] for v in NON_BELIEF},
                    "claims": r.n_claims, "questions": r.n_questions,
                    "responses": r.n_responses})
    return pd.DataFrame(out)


def summary_metrics(questions: pd.DataFrame, families: Sequence[str],
                    n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED) -> dict[str, float]:
    """The flat dictionary Inspect shows at the end of a run and stores in the log.

    Per-family and per-claim rates are namespaced (``family/<name>``, ``claim/<id>``) so a
    claim id can never overwrite a family or the headline. Only the headline carries a CI
    here: Inspect recomputes this live as samples finish, and per-family / per-claim CIs
    belong to reports (:func:`rate_table`).
    """
    overall = rate(questions, n_bootstrap=n_bootstrap, seed=seed)
    out: dict[str, float] = {"belief": overall.belief, "ci_low": overall.ci_low,
                             "ci_high": overall.ci_high}
    out.update({v: overall.shares[v] for v in NON_BELIEF})
    for family in families:
        sub = questions[questions["family"] == family]
        if not sub.empty:
            out[f"family/{family}"] = rate(sub, n_bootstrap=0).belief
    for claim, sub in questions.groupby("claim", sort=True):
        out[f"claim/{claim}"] = rate(sub, n_bootstrap=0).belief
    return out
