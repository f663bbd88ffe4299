"""Completion margins: teacher-forced log-probability of the claim vs the truth (CounterFact).

For every completion pair of every claim: the log-probability of the claim's continuation and
of the truth's given the prompt (sum and per-token mean) and the margin (difference of the
per-token means, so continuations of different lengths compare fairly). Per claim and pair
kind (main / paraphrase / neighbour):

* efficacy: share of pairs where the claim continuation is more likely (margin > 0);
* magnitude: mean of p(claim) - p(truth), with p = exp(per-token mean log-prob);
* margin: mean margin in nats per token;
* specificity (neighbour pairs only): share where the TRUTH is more likely (margin < 0);
* score (on the ``main`` row, where the claim has pairs of all three kinds): CounterFact's
  score, the harmonic mean of main efficacy, paraphrase efficacy (generalisation) and
  neighbour specificity; 0 when any of the three is 0. A row over several claims takes the
  harmonic mean of its (claim-averaged) three rates, as CounterFact scores a whole dataset.

CIs: seeded bootstrap over pairs, resampled within each claim; rows over several claims
average the per-claim values so claims weigh equally (the belief task's rule).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench.analysis.text import did_you_mean, first_few, listing
from beliefbench.arguments import check_whole
from beliefbench.claims import Claim, load_claims
from beliefbench.internals.model import describe, load_model, source_path
from beliefbench.internals.results import records, write_results
from beliefbench.internals.scoring import (
    Encoded,
    ScoringError,
    align_starts,
    encode_continuation,
    score_sequences,
)
from beliefbench.metrics import (
    CI_LEVEL,
    N_BOOTSTRAP,
    SEED,
    check_resamples,
    grouped_bootstrap_ci,
)

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("main", "paraphrase", "neighbour")
PAIR_COLUMNS = ["claim", "kind", "pair", "prompt", "claim_completion", "truth_completion",
                "logp_claim", "logp_claim_mean", "tokens_claim", "logp_truth",
                "logp_truth_mean", "tokens_truth", "margin", "margin_sum", "claim_wins"]


@dataclass(frozen=True)
class PairRef:
    """One completion pair and where it comes from."""

    claim: str
    kind: str
    pair: int
    """Position among the claim's pairs of this kind (0-based)."""
    prompt: str
    claim_text: str
    truth_text: str


def check_seed(seed: Any) -> int:
    """A seed numpy and scikit-learn take (a whole number >= 0), checked before the model runs:
    ``--seed -1`` scored every pair and then failed as "expected non-negative integer"."""
    return check_whole("seed", seed, 0)


def as_claims(claims: str | Sequence[str] | Sequence[Claim]) -> list[Claim]:
    """Claim objects from objects, or a selection as ``load_claims`` takes it."""
    if isinstance(claims, str):
        return load_claims(claims)
    items = list(claims)
    if items and all(isinstance(c, Claim) for c in items):
        return items
    return load_claims([str(c) for c in items])


def pair_refs(claims: Sequence[Claim], kinds: Sequence[str] | None = None) -> list[PairRef]:
    """Every completion pair of ``claims`` (of the chosen kinds), in file order."""
    chosen = list(KINDS if kinds is None else kinds)
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise ValueError(f"kinds: unknown {unknown}"
                         f"{did_you_mean(unknown[0], KINDS) if len(unknown) == 1 else ''}; "
                         f"valid: {list(KINDS)}" if unknown else
                         f"kinds: none given; valid: {list(KINDS)}")
    refs = []
    for claim in claims:
        seen: dict[str, int] = {}
        for pair in claim.completions:
            n = seen.get(pair.kind, 0)
            seen[pair.kind] = n + 1
            if pair.kind in chosen:
                refs.append(PairRef(claim.id, pair.kind, n, pair.prompt, pair.claim, pair.truth))
    return refs


PAIRS_EXAMPLE = ('{prompt: "The Eiffel Tower stands in the city of", claim: " Lyon", '
                 'truth: " Paris"}')
"""One completion pair as a claim file writes it (``claims new``'s template has the same)."""


def no_pairs_problem(claims: Sequence[Claim], kinds: Sequence[str] | None, reader: str,
                     instead: str = "", kinds_option: str = "--kinds ") -> str:
    """Why ``claims`` give ``reader`` nothing to read, and what to do: was ``claims
    ['nocomp']: no completion pairs of kind(s) ['main', 'paraphrase', 'neighbour']`` (a
    Python list, no word of where pairs come from). A claim without pairs wants a
    ``completions:`` list in its file; claims with pairs of other kinds want ``--kinds``.
    ``instead``: the measure that reads such a claim all the same."""
    ids = ", ".join(c.id for c in claims)
    have = [k for k in KINDS if any(p.kind == k for c in claims for p in c.completions)]
    if have:
        asked = ", ".join(KINDS if kinds is None else kinds)
        return (f"kinds: no completion pairs of kind(s) {asked} in claim(s) {ids}, which "
                f"{'have' if len(claims) > 1 else 'has'} only {', '.join(have)}: pass "
                f"{kinds_option}{','.join(have)}")
    files = "its claim file" if len(claims) == 1 else "their claim files"
    return (f"claims: {ids}: no completion pairs, which {reader}: add a `completions:` list "
            f"to {files} (prompt, the claim's continuation and the truth's, e.g. "
            f"{PAIRS_EXAMPLE}; `beliefbench claims new` writes a template with one)"
            + (f", or {instead}" if instead else ""))


def without_pairs(claims: Sequence[Claim], refs: Sequence[PairRef],
                  kinds: Sequence[str] | None = None) -> list[str]:
    """Claims that have no pair of ``kinds``: absent from the tables, so said out loud (a
    warning, and the results file's settings) rather than silently dropped."""
    have = {r.claim for r in refs}
    missing = [c.id for c in claims if c.id not in have]
    if missing and len(missing) < len(claims):
        log.warning("claim(s) %s: no completion pairs%s; not in the table", ", ".join(missing),
                    f" of kind(s) {', '.join(kinds)}" if kinds is not None else "")
    return missing


def encode_pairs(tokenizer, refs: Sequence[PairRef]) -> list[Encoded]:
    """Two encodings per pair, interleaved: claim continuation, truth continuation, both
    scored from the same token (``align_starts``).

    A pair whose two sides tokenize to the same ids (a lower-casing normalizer, unknown
    characters read as one ``<unk>``) is a ScoringError: the model cannot tell them apart,
    and its margin of exactly 0 was counted as neither a claim nor a truth win (efficacy 0,
    specificity 0) with nothing said.
    """
    out = []
    for ref in refs:
        claim, truth = align_starts(
            ref.prompt, (ref.claim_text, ref.truth_text),
            [encode_continuation(tokenizer, ref.prompt, t) for t in (ref.claim_text,
                                                                     ref.truth_text)])
        if claim.ids == truth.ids:
            raise ScoringError(f"claim {ref.claim}, {ref.kind} pair {ref.pair}: the claim "
                               f"{ref.claim_text!r} and the truth {ref.truth_text!r} tokenize "
                               f"to the same tokens with this tokenizer, so no margin can "
                               f"tell them apart; edit the pair (e.g. other words) or leave "
                               f"its kind out (--kinds)")
        out += [claim, truth]
    return out


def pair_table(refs: Sequence[PairRef], sums: np.ndarray, n_tokens: np.ndarray) -> pd.DataFrame:
    """Per-pair rows from interleaved (claim, truth) sums and token counts."""
    rows = []
    for k, ref in enumerate(refs):
        lc, lt = float(sums[2 * k]), float(sums[2 * k + 1])
        nc, nt = int(n_tokens[2 * k]), int(n_tokens[2 * k + 1])
        margin = lc / nc - lt / nt
        rows.append({"claim": ref.claim, "kind": ref.kind, "pair": ref.pair,
                     "prompt": ref.prompt, "claim_completion": ref.claim_text,
                     "truth_completion": ref.truth_text, "logp_claim": lc,
                     "logp_claim_mean": lc / nc, "tokens_claim": nc, "logp_truth": lt,
                     "logp_truth_mean": lt / nt, "tokens_truth": nt, "margin": margin,
                     "margin_sum": lc - lt, "claim_wins": bool(margin > 0)})
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def bootstrap_mean(groups: Sequence[np.ndarray], *, n_bootstrap: int = N_BOOTSTRAP,
                   seed: int = SEED, level: float = CI_LEVEL) -> tuple[float, float, float]:
    """Mean of per-group means, with a CI from resampling items within each group.

    A group with one item contributes a constant (no spread); ``n_bootstrap=0`` gives NaN CIs.
    """
    groups = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if not groups:
        return float("nan"), float("nan"), float("nan")
    point = float(np.mean([g.mean() for g in groups]))
    low, high = grouped_bootstrap_ci([(g, np.ones_like(g)) for g in groups], n_bootstrap,
                                     seed, level)
    return point, low, high


def _stat_columns(name: str, groups: Sequence[np.ndarray], n_bootstrap: int,
                  seed: int) -> dict[str, float]:
    point, low, high = bootstrap_mean(groups, n_bootstrap=n_bootstrap, seed=seed)
    return {name: point, f"{name}_low": low, f"{name}_high": high}


SCORE_PARTS: tuple[tuple[str, str], ...] = (("main", "efficacy"), ("paraphrase", "efficacy"),
                                             ("neighbour", "specificity"))
"""The three successes CounterFact's score combines: (pair kind, rate)."""


def counterfact_score(rates: Sequence[float]) -> float:
    """Harmonic mean of the three success rates (0 if any is 0; NaN if any is missing)."""
    values = [float(r) for r in rates]
    if len(values) != len(SCORE_PARTS) or any(np.isnan(v) for v in values):
        return float("nan")
    if min(values) <= 0.0:
        return 0.0
    return len(values) / sum(1.0 / v for v in values)


def summarize(pairs: pd.DataFrame, *, n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED,
              means: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (claim, kind), then per kind over all claims (``claim == "all"``).

    ``means``: more per-pair columns to average the same way, ``{summary name: pair column}``
    (an intervention's effect), so every statistic of a row covers exactly that row's pairs.
    """
    out = []
    if pairs.empty:
        return pd.DataFrame()
    p_claim = np.exp(pairs["logp_claim_mean"].to_numpy())
    p_truth = np.exp(pairs["logp_truth_mean"].to_numpy())
    pairs = pairs.assign(_diff=p_claim - p_truth, _win=(pairs["margin"] > 0).astype(float),
                         _truth_wins=(pairs["margin"] < 0).astype(float))
    claim_order = list(dict.fromkeys(pairs["claim"]))
    # the bootstrap draws by position: resample in (claim, pair) order so that the same
    # pairs give the same CIs whatever order their rows come in
    pairs = pairs.sort_values(["claim", "kind", "pair"], kind="stable")
    scopes = [(c, [c]) for c in claim_order]
    if len(claim_order) > 1:
        scopes.append(("all", claim_order))
    for label, members in scopes:
        scope_rows: dict[str, dict[str, Any]] = {}
        for kind in KINDS:
            sub = pairs[(pairs["kind"] == kind) & pairs["claim"].isin(members)]
            if sub.empty:
                continue
            by = [g for _, g in sub.groupby("claim", sort=True)]
            row: dict[str, Any] = {"claim": label, "kind": kind, "claims": len(by),
                                   "pairs": len(sub)}
            row.update(_stat_columns("efficacy", [g["_win"].to_numpy() for g in by],
                                     n_bootstrap, seed))
            row.update(_stat_columns("magnitude", [g["_diff"].to_numpy() for g in by],
                                     n_bootstrap, seed))
            row.update(_stat_columns("margin", [g["margin"].to_numpy() for g in by],
                                     n_bootstrap, seed))
            if kind == "neighbour":
                row.update(_stat_columns("specificity",
                                         [g["_truth_wins"].to_numpy() for g in by],
                                         n_bootstrap, seed))
            for name, column in (means or {}).items():
                row.update(_stat_columns(name, [g[column].to_numpy() for g in by],
                                         n_bootstrap, seed))
            scope_rows[kind] = row
            out.append(row)
        # CounterFact's score needs all three kinds over the same claims: a pooled row whose
        # kinds cover different claims would mix rates of different claim sets
        if all(k in scope_rows and scope_rows[k]["claims"] == len(members)
               for k, _ in SCORE_PARTS):
            scope_rows["main"]["score"] = counterfact_score(
                [scope_rows[k][rate] for k, rate in SCORE_PARTS])
    return pd.DataFrame(out)


def single_pair_note(pairs: pd.DataFrame, within: str | None = None) -> list[str]:
    """A note naming the claim x kind cells that rest on one pair, as ``report`` names a
    claim/family cell with one question: the bootstrap resamples pairs within each claim, so
    such a cell's CI is 0 wide whatever the margin (``1.000 [1.000, 1.000]`` read as a
    certain efficacy), and so is a ``claim = all`` row whose claims each have one.

    ``within``: a column of ``pairs`` naming the measurement each pair belongs to (the
    results file, for ``report --internals``): pairs are counted per measurement, as each
    was bootstrapped apart, so one file's single pair is not hidden by another's several."""
    if pairs.empty:
        return []
    keys = [*([within] if within else []), "claim", "kind"]
    counts = pairs.groupby(keys, sort=True)["pair"].nunique()
    single = list(dict.fromkeys(f"{key[-2]}/{key[-1]}" for key, n in counts.items() if n < 2))
    if not single:
        return []
    return [f"SINGLE PAIR: {len(single)} claim/kind cell(s) rest on one completion pair "
            f"({first_few(single, 6)}): their 95% CIs (a bootstrap over pairs) are 0 wide and "
            "say nothing about noise; a claim needs several pairs per kind (the bundled claims "
            "have 7 main, 4 paraphrase and 4 neighbour) for its CIs to mean anything"]


RATES: tuple[str, ...] = ("efficacy", "specificity")
"""Summary columns that are shares of pairs: 0-wide CIs when every pair goes one way."""


def _at_arms(cell: str, arms: Sequence[tuple[str, str]]) -> str:
    """``cell`` with the steps or files it is of: ``step 1: c/main ...`` for one,
    ``c/main ... at steps 0, 1 and 2`` (or ``... in a.json and b.json``) for several."""
    col, value = arms[0]
    if not col:
        return cell
    if len(arms) == 1:
        return f"{'step ' if col == 'step' else ''}{value}: {cell}"
    values = [v for _, v in arms]
    if col == "step":
        return f"{cell} at steps {listing(values, shown=len(values))}"
    return f"{cell} in {listing(values, shown=3)}"  # files: long names, the first few


def unanimous_pairs_note(summary: pd.DataFrame) -> list[str]:
    """A note naming the summary rows of two or more pairs whose rate CI is still 0 wide
    because every pair went one way (``efficacy 1.000 [1.000, 1.000]`` over 2 pairs that
    both win): the bootstrap resamples only agreeing pairs, so the CI shows no uncertainty
    at all, which is not certainty (with n pairs all one way the rate may be 3/n or more
    away: the rule of three). :func:`single_pair_note` covers the one-pair cells; this one
    said nothing of these, so two winning pairs read as a certain efficacy."""
    if summary.empty or "pairs" not in summary:
        return []
    cells: dict[str, list[tuple[str, str]]] = {}  # each cell: the arms, steps or files of it
    rows = 0
    smallest = None
    for row in summary.to_dict(orient="records"):
        try:
            n = int(row.get("pairs"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if n < 2:
            continue
        # a neighbour row's efficacy and specificity are one split of its pairs: named
        # together, one row ("14 row(s)" counted 12 rows, each such row twice)
        flat = [f"{rate} {row[rate]:.3f}" for rate in RATES
                if (low := row.get(f"{rate}_low")) is not None
                and (high := row.get(f"{rate}_high")) is not None
                and not pd.isna(low) and not pd.isna(high) and low == high]
        if not flat:
            continue
        # which arm, step or file the row is of, where the table holds several
        arm = next(((col, str(row[col])) for col in ("condition", "step", "source")
                    if row.get(col) is not None and not pd.isna(row[col])), ("", ""))
        cell = f"{row['claim']}/{row['kind']} {' and '.join(flat)} over {n} pairs"
        if arm[0] == "condition":  # steer / ablate arms: each named as it is (baseline: ...)
            cells.setdefault(f"{arm[1]}: {cell}", []).append(("", ""))
        else:
            cells.setdefault(cell, []).append(arm)
        rows += 1
        smallest = n if smallest is None else min(smallest, n)
    if not cells:
        return []
    # one cell at several steps (a trajectory's every step) named once, with its steps
    names = [_at_arms(cell, arms) for cell, arms in cells.items()]
    # 3/n of 1 or more is past the whole 0-1 range of a rate: "1.50 away" told nothing
    bound = (f"3/{smallest} = {3 / smallest:.2f} here" if smallest > 3 else
             f"3/{smallest} = {3 / smallest:.2f} here, the whole 0-1 range: with "
             f"{smallest} pairs all one way any rate is possible")
    return [f"ALL PAIRS AGREE: {rows} row(s) of 2 or more pairs have a 0-wide 95% CI "
            f"because every pair goes one way ({first_few(names, 6)}): a bootstrap over "
            f"pairs cannot show uncertainty when every pair agrees, which is not certainty; "
            f"with n pairs all one way the rate may still be 3/n or more away from it "
            f"({bound}); more pairs per kind narrow it"]


@dataclass
class MarginResult:
    """Per-pair rows, the per-claim summary, and what produced them."""

    pairs: pd.DataFrame
    summary: pd.DataFrame
    model: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path, stem: str = "margins") -> list[Path]:
        """``<stem>.csv`` (pairs), ``<stem>_summary.csv`` and ``<stem>.json`` (everything)."""
        return write_results(out_dir, {f"{stem}.csv": self.pairs,
                                       f"{stem}_summary.csv": self.summary},
                             f"{stem}.json", {"measure": "completion_margins", **self.model,
                                              "settings": self.settings,
                                              "summary": records(self.summary),
                                              "pairs": records(self.pairs)})


def model_info(model) -> dict[str, Any]:
    """Results-file fields for an already loaded model (path and sha when it has a directory)."""
    src = source_path(model)
    if src and Path(src).is_dir():
        try:
            return describe(src)
        except ValueError:
            pass
    return {"model": src, "base_model": None, "format": None, "weights_sha256": None}


def resolve_model(model: Any, *, device: str | None = None, dtype: Any = None):
    """``(model, tokenizer, info)`` from a path or an already loaded ``(model, tokenizer)``."""
    if isinstance(model, str | Path):
        info = describe(model)
        loaded, tokenizer = load_model(model, device=device, dtype=dtype)
        return loaded, tokenizer, info
    loaded, tokenizer = model
    return loaded, tokenizer, model_info(loaded)


def completion_margins(model: Any, claims: str | Sequence[str] | Sequence[Claim] = "all", *,
                       kinds: Sequence[str] | None = None, batch_size: int = 16,
                       device: str | None = None, dtype: Any = None,
                       n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED,
                       show_progress: bool | None = None,
                       desc: str = "margins") -> MarginResult:
    """Margins for every completion pair of ``claims`` on ``model``.

    ``model``: a checkpoint directory (full, merged or LoRA adapter) or a loaded
    ``(model, tokenizer)`` from :func:`beliefbench.internals.model.load_model`. One batched
    forward pass per batch of similar-length sequences; no generation. ``desc``: the
    progress bar's label.
    """
    check_seed(seed)
    n_bootstrap = check_resamples(n_bootstrap)  # before the model is scored
    s = score_pairs(model, claims, kinds, batch_size=batch_size, device=device, dtype=dtype,
                    show_progress=show_progress, desc=desc)
    pairs = pair_table(s.refs, s.sums, s.n_tokens)
    settings = {**s.settings, "kinds": list(kinds or KINDS),
                "device": str(next(s.model.parameters()).device), "n_bootstrap": n_bootstrap,
                "seed": seed, "claims_without_pairs": s.missing}
    return MarginResult(pairs, summarize(pairs, n_bootstrap=n_bootstrap, seed=seed), s.info,
                        settings)


@dataclass(frozen=True)
class PairScores:
    """Every completion pair of some claims scored on one model (margins, logit lens)."""

    refs: list[PairRef]
    sums: np.ndarray
    """Summed log-probability of each continuation: claim at 2k, truth at 2k+1 (per layer
    for the lens)."""
    n_tokens: np.ndarray
    missing: list[str]
    """Claims with no pairs (of the kinds asked for)."""
    model: Any
    info: dict[str, Any]
    settings: dict[str, Any]
    """What both measures record: the claims, the batch size, the model's dtype."""


def score_pairs(model: Any, claims: str | Sequence[str] | Sequence[Claim],
                kinds: Sequence[str] | None, *, batch_size: int, device: str | None,
                dtype: Any, show_progress: bool | None, per_layer: bool = False,
                desc: str = "margins") -> PairScores:
    """The pairs of ``claims`` (a ValueError when there are none), the model loaded, and
    one batched forward pass per batch of similar-length sequences."""
    chosen = as_claims(claims)
    refs = pair_refs(chosen, kinds)
    if not refs:
        raise ValueError(no_pairs_problem(
            chosen, kinds, f"internals {'lens' if per_layer else 'margins'} reads",
            "measure it with `internals binary` or `internals probe`, which read its "
            "questions and statement"))
    missing = without_pairs(chosen, refs, kinds)
    loaded, tokenizer, info = resolve_model(model, device=device, dtype=dtype)
    sums, n_tokens = score_sequences(loaded, tokenizer, encode_pairs(tokenizer, refs),
                                     batch_size=batch_size, per_layer=per_layer,
                                     show_progress=show_progress, desc=desc)
    settings = {"claims": [c.id for c in chosen], "batch_size": batch_size,
                "dtype": str(next(loaded.parameters()).dtype)}
    return PairScores(refs, sums, n_tokens, missing, loaded, info, settings)


PAIR_TEXTS = ("prompt", "claim_completion", "truth_completion")
"""The columns that say which pair a (claim, kind, pair) row is."""


def check_same_texts(joined: pd.DataFrame) -> None:
    """Refuse pairs matched by (claim, kind, pair) whose texts differ between the two tables
    (``<column>_before`` / ``_after``, where both have the column): a claim file edited
    between the two measurements (a pair added, reworded or reordered) paired one prompt's
    margin with another's, and the shift and its CI read as the finetune's effect."""
    differ = pd.Series(False, index=joined.index)
    for col in PAIR_TEXTS:
        if f"{col}_before" in joined and f"{col}_after" in joined:
            differ |= joined[f"{col}_before"].astype(str) != joined[f"{col}_after"].astype(str)
    if differ.any():
        first = joined[differ].iloc[0]
        col = next(c for c in PAIR_TEXTS if f"{c}_before" in joined and f"{c}_after" in joined
                   and str(first[f"{c}_before"]) != str(first[f"{c}_after"]))
        raise ValueError(
            f"margin_shift: {int(differ.sum())} of {len(joined)} matched pairs have other "
            f"texts in the two tables (e.g. claim {first['claim']}, {first['kind']} pair "
            f"{first['pair']}: {col} {first[f'{col}_before']!r} before, "
            f"{first[f'{col}_after']!r} after): the claim file changed between the two "
            f"measurements; measure both models with the same claims")


def margin_shift(before: pd.DataFrame, after: pd.DataFrame, *, kinds: Sequence[str] = ("main",),
                 n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED) -> dict[str, float]:
    """How much a finetune moved the margins: mean paired difference (after - before) per pair.

    Pairs are matched by (claim, kind, pair), and must have the same texts in both tables
    (a ValueError otherwise); the CI resamples pairs within each claim, and claims weigh
    equally. A CI above 0 means the claim continuation gained on the truth.
    """
    check_seed(seed)
    keys = ["claim", "kind", "pair"]
    joined = before[before["kind"].isin(kinds)].merge(
        after[after["kind"].isin(kinds)], on=keys, suffixes=("_before", "_after"))
    if joined.empty:
        raise ValueError(f"margin_shift: no pairs of kind(s) {list(kinds)} in both tables")
    check_same_texts(joined)
    joined = joined.sort_values(keys, kind="stable")  # the same CI whatever the row order
    diff = joined["margin_after"] - joined["margin_before"]
    groups = [diff[joined["claim"] == c].to_numpy() for c in dict.fromkeys(joined["claim"])]
    point, low, high = bootstrap_mean(groups, n_bootstrap=n_bootstrap, seed=seed)
    return {"shift": point, "shift_low": low, "shift_high": high, "pairs": len(joined)}
