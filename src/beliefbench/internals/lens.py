"""Logit lens: every completion pair's margin read at every layer.

Each layer's residual stream at the positions that predict the continuation is passed
through the model's final norm and unembedding (one forward pass with hidden states, then
a small readout per layer), giving the margin claim vs truth per (pair, layer). The last
layer is read exactly as the model reads it, so it equals the completion margin. Where in
depth the claim starts to win tells whether a finetune rewrote late layers or the whole
stack (the continual-pretraining study found flips concentrating in late layers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench.claims import Claim
from beliefbench.internals.activations import LAYER_INDEX
from beliefbench.internals.margins import score_pairs
from beliefbench.internals.results import remove_stale, write_results


@dataclass
class LensResult:
    """Rows per (pair, layer): ``logp_claim`` / ``logp_truth`` sums and the per-token margin."""

    table: pd.DataFrame
    model: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def margin_matrix(self, claim: str) -> pd.DataFrame:
        """Layers (rows) x pairs (columns, ``kind:index``) of margins for one claim."""
        sub = self.table[self.table["claim"] == claim]
        labels = sub["kind"].str[:4] + ":" + sub["pair"].astype(str)
        return sub.assign(label=labels).pivot_table(
            index="layer", columns="label", values="margin", sort=False)

    def write(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        out = Path(out_dir)
        written = write_results(out, {"lens.csv": self.table}, "lens.json",
                                {"measure": "logit_lens", **self.model,
                                 "settings": self.settings})
        # an earlier run's figures go before these are drawn: a Ctrl-C while drawing leaves
        # some of this run's beside its tables, never another model's or claim's
        remove_stale(out, ("lens_*.png",), written)
        if plots:
            for claim in dict.fromkeys(self.table["claim"]):
                written.append(heatmap(self.margin_matrix(claim), claim,
                                       out / f"lens_{claim}.png",
                                       model=model_label(self.model.get("model"))))
        return written


HEATMAP_HEIGHT = 14.0
"""Inches: the tallest a heatmap is drawn (an 80-layer model's was 30 inches tall)."""
HEATMAP_TICKS = 48
"""The most tick labels a heatmap axis carries: more ran into one another."""


def _every(n: int) -> list[int]:
    """Positions to label on an axis of ``n`` cells: all, or every k-th from the first."""
    return list(range(0, n, -(-n // HEATMAP_TICKS) or 1))


def model_label(path: str | Path | None) -> str:
    """A model's folder as a figure names it: its last two path parts (``positive/step-000023``,
    ``models/tiny-pt``), enough to tell two checkpoints' figures apart once copied out of
    their ``--out`` folders; "" for a model without a folder."""
    if not path:
        return ""
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else str(path)


def heatmap(matrix: pd.DataFrame, claim: str, path: str | Path,
            xlabel: str = "completion pair (kind:index)", model: str = "") -> Path:
    """Layer x pair (or step) margins, diverging around 0 (red: the claim wins, blue: truth).

    ``model``: the model (or run) the margins are of, a second title line: the figures of two
    checkpoints were otherwise the same but for their numbers."""
    from beliefbench.analysis.plots import BARS_WIDTH, _save, subplots

    values = matrix.to_numpy()
    bound = float(np.nanmax(np.abs(values))) or 1.0
    # at most BARS_WIDTH wide, HEATMAP_HEIGHT high: 150 checkpoints made a heatmap 77 inches
    # wide, its labels a blur on screen (and it grew with every checkpoint)
    fig, ax = subplots(figsize=(min(BARS_WIDTH, max(4.0, 0.5 * values.shape[1] + 2)),
                                    min(HEATMAP_HEIGHT, 0.35 * values.shape[0] + 2)))
    image = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto",
                      origin="lower")
    columns, rows = _every(values.shape[1]), _every(values.shape[0])
    ax.set_xticks(columns, [str(matrix.columns[i]) for i in columns], rotation=60, ha="right",
                  fontsize=7)
    ax.set_yticks(rows, [str(matrix.index[i]) for i in rows], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("layer (0 = embeddings)")
    ax.set_title(f"{claim}: logit-lens margin, nats/token (>0: claim wins)"
                 + (f"\n{model}" if model else ""), fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8,
                 label="margin, nats/token (red: claim wins, blue: truth)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)


def logit_lens(model: Any, claims: str | Sequence[str] | Sequence[Claim] = "all", *,
               kinds: Sequence[str] | None = None, batch_size: int = 16,
               device: str | None = None, dtype: Any = None,
               show_progress: bool | None = None) -> LensResult:
    """The margin of every pair at every layer (``model``: a path or ``(model, tokenizer)``)."""
    s = score_pairs(model, claims, kinds, batch_size=batch_size, device=device, dtype=dtype,
                    show_progress=show_progress, per_layer=True, desc="logit lens")
    rows = []
    for k, ref in enumerate(s.refs):
        nc, nt = s.n_tokens[2 * k], s.n_tokens[2 * k + 1]
        for layer in range(s.sums.shape[1]):
            lc, lt = float(s.sums[2 * k, layer]), float(s.sums[2 * k + 1, layer])
            rows.append({"claim": ref.claim, "kind": ref.kind, "pair": ref.pair,
                         "layer": layer, "logp_claim": lc, "logp_truth": lt,
                         "margin": lc / nc - lt / nt})
    settings = {**s.settings, "n_layers": int(s.sums.shape[1] - 1), "layer_index": LAYER_INDEX,
                "claims_without_pairs": s.missing}
    return LensResult(pd.DataFrame(rows), s.info, settings)
