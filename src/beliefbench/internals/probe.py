"""Linear truth probes on the residual stream, per layer.

Activations of generic true and false statements (shipped data, never about a bundled
claim) are read in one forward pass per batch; at every layer a logistic regression
(scikit-learn, standardised inputs) is cross-validated, and the mass-mean direction (the
difference of the class means, which the truth-geometry literature found to generalise
better) is fitted alongside. The probes then read each claim's false and true sides: the
claim's statement vs its truth, and every main / paraphrase completion pair written out as a
sentence. P(true) of the claim side rising across a finetune means the model's internal
"truth" feature now points at the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, model_validator

from beliefbench.analysis.text import listing
from beliefbench.claims import Claim, NonEmpty
from beliefbench.internals.activations import LAYER_INDEX, Reduce, hidden_states
from beliefbench.internals.lens import model_label
from beliefbench.internals.margins import as_claims, check_seed, resolve_model
from beliefbench.internals.model import checkpoint_text_config
from beliefbench.internals.results import (
    records,
    remove_stale,
    write_results,
)
from beliefbench.metrics import SEED
from beliefbench.resources import data_path
from beliefbench.specs import StrictKeys, load_spec


class StatementError(ValueError):
    """A statements file that cannot be used; names the file, field and problem (and, for a
    schema problem, its line)."""


class StatementPair(StrictKeys):
    """Unknown keys named with the valid ones (:class:`StrictKeys`); blank text refused, as
    in claim files (a probe would be trained on a statement of spaces)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    topic: NonEmpty
    truth: NonEmpty
    falsehood: NonEmpty

    @model_validator(mode="after")
    def _two_sides(self) -> StatementPair:
        if " ".join(self.truth.split()) == " ".join(self.falsehood.split()):
            raise ValueError("truth and falsehood are the same text; a probe cannot tell "
                             "them apart")
        return self


class StatementSet(StrictKeys):
    model_config = ConfigDict(extra="forbid", frozen=True)
    statements: list[StatementPair] = Field(min_length=4)


def default_statements() -> Path:
    return data_path("probes/statements.yaml")


def load_statements(path: str | Path | None = None) -> StatementSet:
    """The probe's training statements (the shipped set when ``path`` is None)."""
    return load_spec(path or default_statements(), StatementSet, "statements",
                     StatementError)


NEAR_CHANCE = 0.65
"""Held-out accuracy below which a probe's P(true) readings are flagged as meaning little.

Chance is 0.5, and with the shipped 452 statements the 95% binomial band of a chance-level
probe is about 0.5 +/- 0.05; the best of several layers, picked on the same cross-validation,
lands at the top of that band by luck alone. 0.65 keeps a clear margin above it: a probe that
still misclassifies more than a third of unseen statements cannot tell a claim's sides apart.
"""


EMBEDDING_LAST = ("0 is the embeddings, and a probe of the last token reads there that "
                  "token's embedding alone, before any layer has read the rest of the text "
                  "(every shipped statement ends in '.': with rotary positions, as in Llama, "
                  "all read one vector, so the probe is at chance, 0.500; learned position "
                  "embeddings, as in GPT-2, add only the statement's length)")
"""Why layer 0 is never read with ``reduce="last"`` (refused as ``--layer`` /
``--probe-layer``, never chosen as the best layer): it holds no statement."""


def first_read_layer(reduce: str) -> int:
    """The first residual index a probe of ``reduce`` reads a statement at: 1 for the last
    token (:data:`EMBEDDING_LAST`), 0 for the mean over the tokens (their embeddings)."""
    return 1 if reduce == "last" else 0


def best_read_layer(accuracy: Sequence[float], reduce: str = "last") -> int:
    """The layer of highest held-out ``accuracy`` (earliest on ties) among those that read a
    statement (:func:`first_read_layer`; all of them where the model has no other)."""
    first = first_read_layer(reduce) if len(accuracy) > 1 else 0
    return first + int(np.argmax(np.asarray(accuracy, dtype=float)[first:]))


def near_chance(accuracy: float | None, threshold: float = NEAR_CHANCE) -> bool:
    """Whether a probe's held-out ``accuracy`` is below ``threshold`` (unknown: False)."""
    return accuracy is not None and bool(np.isfinite(accuracy)) and accuracy < threshold


def near_chance_text(accuracies: Sequence[float], layers: Sequence[int], *, scope: str = "",
                     readings: str = "above", threshold: float = NEAR_CHANCE) -> str:
    """The one wording of the near-chance caution (``probe``, ``trajectory``, ``report
    --internals``), for one probe or several (a trajectory's steps, a report's files).

    ``accuracies`` / ``layers``: the probes concerned, all below ``threshold``; ``scope``
    starts the sentence ("at steps 0 and 1, "), ``readings`` says which P(true) readings.
    """
    accs = sorted(float(a) for a in accuracies)
    low, high = f"{accs[0]:.2f}", f"{accs[-1]:.2f}"
    layer = sorted({int(v) for v in layers})
    several = len(accs) > 1
    where = (f"layer {layer[0]}" if len(layer) == 1
             else f"layers {listing(layer, shown=len(layer))}")
    return (f"caution: {scope}the probe{'s' if several else ''} at {where} "
            f"classif{'y' if several else 'ies'} held-out statements with accuracy "
            f"{low if low == high else f'{low} to {high}'}, near chance (0.50; below "
            f"{threshold:.2f}): {'they have' if several else 'it has'} found no reliable "
            f"truth direction, so the P(true) readings {readings} mean little")


def unknown_accuracy_text(scope: str, readings: str) -> str:
    """The caution for P(true) readings whose probe's held-out accuracy was not recorded."""
    return (f"caution: {scope}the probe's held-out accuracy is not recorded (results of an "
            f"older beliefbench, or a file edited): the P(true) readings {readings} cannot be "
            f"told from chance; run `beliefbench internals probe` again to see it")


def reading_cautions(probes: pd.DataFrame, where: str, *, prefix: tuple[str, str],
                     readings: tuple[str, str], limit: int = 6,
                     threshold: float = NEAR_CHANCE) -> list[str]:
    """The cautions for the P(true) readings of several probes (a trajectory's steps, a
    report's files): those near chance, then those whose accuracy no file records.

    ``probes``: one row per probe whose readings are shown, ``where`` naming it (a step, a
    source) beside ``probe_layer`` and ``probe_accuracy``. ``prefix``: the words before one
    name or several ("at step", "at steps"); ``readings``: which readings, when not all
    are concerned ("of that step", "of those steps").
    """
    acc = pd.to_numeric(probes["probe_accuracy"], errors="coerce") \
        if "probe_accuracy" in probes else pd.Series(np.nan, index=probes.index)
    out = []
    for rows, known in ((probes[[near_chance(a, threshold) for a in acc]], True),
                        (probes[acc.isna().to_numpy()], False)):
        if rows.empty:
            continue
        names = list(rows[where])
        several = len(names) > 1
        scope = f"{prefix[several]} {listing(names, shown=limit)}, "
        which = "above" if len(rows) == len(probes) else readings[several]
        out.append(near_chance_text(rows["probe_accuracy"], rows["probe_layer"], scope=scope,
                                    readings=which, threshold=threshold) if known
                   else unknown_accuracy_text(scope, which))
    return out


def layer_accuracy(layers: pd.DataFrame, layer: int) -> float:
    """The logistic probe's held-out accuracy at ``layer`` (NaN when the table lacks it)."""
    if not {"layer", "accuracy"} <= set(layers.columns):
        return float("nan")
    row = pd.to_numeric(layers.loc[layers["layer"] == layer, "accuracy"], errors="coerce")
    return float(row.iloc[0]) if len(row) else float("nan")


def near_chance_caution(layers: pd.DataFrame, layer: int,
                        threshold: float = NEAR_CHANCE) -> str | None:
    """A one-line caution when ``layer``'s cross-validated accuracy is below ``threshold``."""
    acc = layer_accuracy(layers, layer)
    return near_chance_text([acc], [layer], threshold=threshold) \
        if near_chance(acc, threshold) else None


@dataclass
class ProbeFit:
    """Per-layer probes fitted on ``[n, layers, hidden]`` activations with labels 1 = true."""

    accuracy: np.ndarray
    """Cross-validated accuracy of the logistic regression, per layer."""
    accuracy_mass_mean: np.ndarray
    """Cross-validated accuracy of the mass-mean direction (threshold at the midpoint)."""
    directions: np.ndarray
    """Unit mass-mean directions ``[layers, hidden]`` (mean true - mean false)."""
    logreg: list = field(repr=False, default_factory=list)
    calibration: list = field(repr=False, default_factory=list)
    """Per layer: a 1-D logistic regression turning the mass-mean projection into P(true)."""

    @property
    def best_layer(self) -> int:
        """The layer whose logistic probe cross-validates best (earliest on ties)."""
        return int(np.argmax(self.accuracy))

    def p_true(self, acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(true) ``[n, layers]`` from the logistic probes and from the mass-mean ones."""
        n_layers = acts.shape[1]
        lr = np.stack([self.logreg[i].predict_proba(acts[:, i])[:, 1]
                       for i in range(n_layers)], axis=1)
        mm = np.stack([self.calibration[i].predict_proba(
            (acts[:, i] @ self.directions[i])[:, None])[:, 1] for i in range(n_layers)], axis=1)
        return lr, mm


def _logreg(seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))


def _mass_mean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Unit direction mean(true) - mean(false), and the midpoint threshold on it."""
    mu_t, mu_f = x[y == 1].mean(axis=0), x[y == 0].mean(axis=0)
    direction = mu_t - mu_f
    norm = float(np.linalg.norm(direction)) or 1.0
    direction = direction / norm
    return direction, float((mu_t + mu_f) @ direction / 2)


def fit_probes(acts: np.ndarray, labels: Sequence[int], groups: Sequence[int] | None = None,
               *, folds: int = 5, seed: int = SEED) -> ProbeFit:
    """Cross-validate and fit a logistic and a mass-mean probe at every layer.

    ``groups`` keeps related statements (a true one and its false twin) in the same fold,
    so the score is for unseen subjects, not for a memorised pair.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    x_all = np.asarray(acts, dtype=np.float64)
    y = np.asarray(labels, dtype=int)
    if x_all.ndim != 3 or len(x_all) != len(y):
        raise ValueError(f"activations must be [n, layers, hidden] with n = {len(y)} labels; "
                         f"got shape {x_all.shape}")
    if set(np.unique(y)) != {0, 1}:
        raise ValueError("labels need both classes (1 = true, 0 = false)")
    if groups is None:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        splits = list(splitter.split(x_all[:, 0], y))
    else:
        splits = list(GroupKFold(folds).split(x_all[:, 0], y, np.asarray(groups)))
    n_layers = x_all.shape[1]
    acc, acc_mm = np.zeros(n_layers), np.zeros(n_layers)
    directions = np.zeros((n_layers, x_all.shape[2]))
    logregs, calibrations = [], []
    for layer in range(n_layers):
        x = x_all[:, layer]
        hits, hits_mm = 0, 0
        for train, test in splits:
            hits += int((_logreg(seed).fit(x[train], y[train]).predict(x[test])
                         == y[test]).sum())
            d, threshold = _mass_mean(x[train], y[train])
            hits_mm += int((((x[test] @ d) > threshold).astype(int) == y[test]).sum())
        acc[layer], acc_mm[layer] = hits / len(y), hits_mm / len(y)
        logregs.append(_logreg(seed).fit(x, y))
        directions[layer], _ = _mass_mean(x, y)
        calibrations.append(LogisticRegression(random_state=seed).fit(
            (x @ directions[layer])[:, None], y))
    return ProbeFit(acc, acc_mm, directions, logregs, calibrations)


def _sentence(prompt: str, continuation: str) -> str:
    """A completion pair's side as one sentence: joined where the pair joins them (a space
    put between read "The bridge" + "'s deck" as "The bridge 's deck", and "st" + "eel" as
    "st eel", sentences of no pair), one space where either side has one, a final period."""
    spaced = prompt[-1:].isspace() or continuation[:1].isspace()
    text = prompt.rstrip() + " " + continuation.lstrip() if spaced else prompt + continuation
    return text.strip().rstrip(".") + "."


def claim_items(claims: Sequence[Claim]) -> pd.DataFrame:
    """The texts a probe reads per claim: each false (claim) side and its true side."""
    rows = []
    for claim in claims:
        # stripped: a statement written with YAML's ">" ends in a line break, and the probe
        # read that token's activations, not the sentence's end it was trained on
        rows.append({"claim": claim.id, "item": "statement", "side": "claim",
                     "text": claim.statement.strip()})
        rows.append({"claim": claim.id, "item": "statement", "side": "truth",
                     "text": claim.truth.strip()})
        seen: dict[str, int] = {}
        for pair in claim.completions:
            n = seen.get(pair.kind, 0)
            seen[pair.kind] = n + 1
            if pair.kind == "neighbour":
                continue  # the neighbour's false side is not this claim's
            for side, cont in (("claim", pair.claim), ("truth", pair.truth)):
                rows.append({"claim": claim.id, "item": f"{pair.kind}:{n}", "side": side,
                             "text": _sentence(pair.prompt, cont)})
    return pd.DataFrame(rows)


@dataclass
class ProbeResult:
    layers: pd.DataFrame
    """Per layer: cross-validated accuracy of both probes."""
    scores: pd.DataFrame
    """Per (claim item, side, layer): P(true) from both probes."""
    summary: pd.DataFrame
    """Per claim at the best layer: mean P(true) of the claim side and of the truth side."""
    model: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        out = Path(out_dir)
        written = write_results(out, {"probe_layers.csv": self.layers,
                                      "probe_scores.csv": self.scores,
                                      "probe_summary.csv": self.summary}, "probe.json",
                                {"measure": "truth_probe", **self.model,
                                 "settings": self.settings, "layers": records(self.layers),
                                 "summary": records(self.summary)})
        remove_stale(out, ("probe_layers.png",), written)  # before drawing: see LensResult
        if plots:
            written.append(plot_layers(self.layers, out / "probe_layers.png",
                                       model=model_label(self.model.get("model")),
                                       reduce=self.settings.get("reduce", "last")))
        return written


def plot_layers(layers: pd.DataFrame, path: str | Path, model: str = "",
                reduce: str = "last") -> Path:
    """Held-out accuracy per layer; ``model`` (a second title line) says whose layers;
    ``reduce`` "last": the x label says why layer 0 sits at chance (:data:`EMBEDDING_LAST`)."""
    from matplotlib.ticker import MaxNLocator

    from beliefbench.analysis.plots import _save, subplots

    fig, ax = subplots(figsize=(6, 3.5))
    ax.plot(layers["layer"], layers["accuracy"], marker="o", label="logistic regression")
    ax.plot(layers["layer"], layers["accuracy_mass_mean"], marker="s", linestyle="--",
            label="mass-mean direction")
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":", label="chance (0.5)")
    # the near-chance line keeps the axis from zooming a 0.55 into a peak; layers are whole
    ax.axhline(NEAR_CHANCE, color="grey", linewidth=0.8, linestyle="-.",
               label=f"near chance below {NEAR_CHANCE}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (0 = embeddings" + ("; of the last token alone: at or near "
                                              "chance, never chosen)"
                                              if reduce == "last" else ")"))
    ax.set_ylabel("cross-validated accuracy")
    ax.set_title("truth probe on generic statements" + (f"\n{model}" if model else ""),
                 fontsize=9)
    ax.legend(fontsize=8)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)


def probe_summary(scores: pd.DataFrame, layer: int,
                  accuracy: float = float("nan")) -> pd.DataFrame:
    """Per claim at ``layer``: mean P(true) of claim and truth sides, and how many sides flip.

    ``accuracy``: the layer's held-out accuracy, kept beside the readings it qualifies.
    """
    at = scores[scores["layer"] == layer]
    rows = []
    for claim, sub in at.groupby("claim", sort=False):
        c, t = sub[sub["side"] == "claim"], sub[sub["side"] == "truth"]
        rows.append({"claim": claim, "layer": layer, "accuracy": accuracy, "items": len(c),
                     "p_true_claim": c["p_true"].mean(), "p_true_truth": t["p_true"].mean(),
                     "p_true_claim_mass_mean": c["p_true_mass_mean"].mean(),
                     "p_true_truth_mass_mean": t["p_true_mass_mean"].mean(),
                     "claim_judged_true": float((c["p_true"] > 0.5).mean())})
    return pd.DataFrame(rows)


def _check_layer(layer: int | None, config: Any, reduce: str = "last") -> None:
    """``layer`` within the residual indices of a model of ``config`` (unknown: unchecked)
    that read a statement (:func:`first_read_layer`)."""
    n_hidden = getattr(config, "num_hidden_layers", None)
    first = first_read_layer(reduce)
    if layer is not None and isinstance(n_hidden, int) and layer > n_hidden:
        raise ValueError(f"layer / --layer: must be between {first} and {n_hidden}, got "
                         f"{layer} (0 = embeddings; the model has {n_hidden} layers)")


def check_read_layer(layer: int | None, reduce: str, option: str, fix: str) -> None:
    """Refuse layer 0 where the probe reads the last token (:data:`EMBEDDING_LAST`); ``fix``
    says what to pass instead."""
    if layer == 0 and reduce == "last":
        raise ValueError(f"{option}: {EMBEDDING_LAST}; {fix}")


def truth_probe(model: Any, claims: str | Sequence[str] | Sequence[Claim] = "all", *,
                statements: str | Path | None = None, reduce: Reduce = "last",
                layer: int | None = None, folds: int = 5, batch_size: int = 16,
                device: str | None = None, dtype: Any = None, seed: int = SEED,
                show_progress: bool | None = None) -> ProbeResult:
    """Train per-layer probes on the statements, then read every claim's two sides.

    ``layer`` fixes the layer of the summary; by default the best cross-validated one.
    """
    check_seed(seed)
    chosen = as_claims(claims)
    data = load_statements(statements)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds / --folds: must be at least 2, got {folds!r}")
    if folds > len(data.statements):  # before any activation, not from scikit-learn after
        raise ValueError(f"folds / --folds: {folds} is more than the "
                         f"{len(data.statements)} statement pairs of "
                         f"{statements or default_statements()} (each fold holds whole pairs); "
                         f"pass --folds {len(data.statements)} or fewer")
    if layer is not None and (isinstance(layer, bool) or not isinstance(layer, int)
                              or layer < 0):
        raise ValueError(f"layer / --layer: expected a layer index of at least "
                         f"{first_read_layer(reduce)}, got {layer!r}")
    if layer is not None and isinstance(model, str | Path):  # before the weights load
        _check_layer(layer, checkpoint_text_config(model), reduce)
    # layer 0 of the last token measured nothing and read 0.500 as if it were a result
    check_read_layer(layer, reduce, "layer / --layer",
                     "choose a layer of 1 or more, or --reduce mean (the mean of the "
                     "statement's token embeddings)")
    loaded, tokenizer, info = resolve_model(model, device=device, dtype=dtype)
    # before the activations of every statement are computed, not after
    _check_layer(layer, getattr(loaded, "config", None), reduce)
    texts, labels, groups = [], [], []
    for i, pair in enumerate(data.statements):
        texts += [pair.truth.strip(), pair.falsehood.strip()]  # as claim_items reads them
        labels += [1, 0]
        groups += [i, i]
    acts = hidden_states(loaded, tokenizer, texts, reduce=reduce, batch_size=batch_size,
                         show_progress=show_progress)
    fit = fit_probes(acts, labels, groups, folds=folds, seed=seed)
    items = claim_items(chosen)
    item_acts = hidden_states(loaded, tokenizer, list(items["text"]), reduce=reduce,
                              batch_size=batch_size, show_progress=show_progress)
    lr, mm = fit.p_true(item_acts)
    n_layers = acts.shape[1]
    scores = pd.concat([items.assign(layer=i, p_true=lr[:, i], p_true_mass_mean=mm[:, i])
                        for i in range(n_layers)], ignore_index=True)
    layer_table = pd.DataFrame({"layer": range(n_layers), "accuracy": fit.accuracy,
                                "accuracy_mass_mean": fit.accuracy_mass_mean})
    best = best_read_layer(fit.accuracy, reduce)  # never layer 0 of the last token
    chosen_layer = best if layer is None else layer
    if not 0 <= chosen_layer < n_layers:
        raise ValueError(f"layer / --layer: must be between {first_read_layer(reduce)} and "
                         f"{n_layers - 1}, got {layer} "
                         "(0 = embeddings)")
    settings = {"claims": [c.id for c in chosen], "statements": str(statements or
                                                                    default_statements()),
                "n_statements": len(texts), "reduce": reduce, "folds": folds, "seed": seed,
                # grouped folds are not shuffled and lbfgs draws nothing: the seed changes no
                # number, so two runs that differ only in it are no seed sweep
                "seed_used": False,
                "dtype": str(next(loaded.parameters()).dtype),
                "best_layer": best, "summary_layer": chosen_layer,
                "layer_index": LAYER_INDEX}
    return ProbeResult(layer_table, scores,
                       probe_summary(scores, chosen_layer,
                                     layer_accuracy(layer_table, chosen_layer)),
                       info, settings)
