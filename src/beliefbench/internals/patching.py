"""Activation patching between two checkpoints (the continual-pretraining reversal test).

For every completion pair of the chosen claims and every residual index ``l``: run the prompt
+ continuation through checkpoint B with B's activations at ``l`` replaced, on the prompt's
positions, by checkpoint A's for the same tokens, and read B's completion margin. If A holds
the truth and B the poisoned belief, the share of pairs whose margin flips back to A's sign
says where the belief is carried. The control patches B's own activations plus seeded random
vectors of the same norm as the A - B difference at each position, so an effect can be told
apart from "any perturbation that large". Both models must share the tokenizer.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from beliefbench.internals.margins import (
    PairRef,
    as_claims,
    encode_pairs,
    no_pairs_problem,
    pair_refs,
    pair_table,
)
from beliefbench.internals.scoring import Encoded, score_sequences
from beliefbench.internals.steering import (
    hidden_size,
    n_residual,
    parse_layers,
    recorded,
    replaced,
)
from beliefbench.progress import progress

Positions = Literal["prompt", "last", "all"]
POSITIONS: tuple[str, ...] = ("prompt", "last", "all")


class PatchError(ValueError):
    """Checkpoints that cannot be patched into each other (tokenizers or shapes differ)."""


def _position_mask(items: Sequence[Encoded], idx: list[int], width: int, positions: str):
    import torch

    mask = torch.zeros((len(idx), width), dtype=torch.bool)
    for row, i in enumerate(idx):
        it = items[i]
        if positions == "all":
            mask[row, :len(it.ids)] = True
        elif positions == "prompt":
            mask[row, :it.first] = True
        else:  # the last prompt token: the position that predicts the continuation
            mask[row, it.first - 1] = True
    return mask


def _batches(items: Sequence[Encoded], batch_size: int) -> list[list[int]]:
    from beliefbench.internals.activations import length_batches

    return length_batches([len(it.ids) for it in items], batch_size)


def _swapper(variant: str, masks: list, src_acts: list, noise: list):
    """The replacement for each forward batch in turn: source activations on the masked
    positions (patched), or the target's own plus the same-norm noise (control)."""
    import torch

    calls = iter(range(len(masks)))

    def swap(h):
        k = next(calls)
        m = masks[k].to(h.device).unsqueeze(-1)
        if variant == "patched":
            return torch.where(m, src_acts[k].to(device=h.device, dtype=h.dtype), h)
        return h + noise[k].to(device=h.device, dtype=h.dtype)

    return swap


def _pair_noise(refs: Sequence[PairRef], items: Sequence[Encoded], seed: int, layer: int,
                width: int) -> list:
    """The control's raw noise, one ``(length, hidden)`` draw per pair from its own generator
    seeded by (seed, layer, claim, kind, pair): drawn per padded batch, a pair's noise changed
    with ``--batch-size`` (and with the layers or claims chosen beside it). Both sides of a
    pair take the same draw, so their shared prompt gets the same noise, as a patch gives it
    the same source activations."""
    import torch

    out = []
    for k, ref in enumerate(refs):
        key = zlib.crc32(f"{ref.claim}\0{ref.kind}\0{ref.pair}".encode())
        rng = np.random.default_rng([seed, layer, key])
        length = max(len(items[2 * k].ids), len(items[2 * k + 1].ids))
        out.append(torch.as_tensor(rng.standard_normal((length, width)), dtype=torch.float32))
    return out


def _act_diff(items: Sequence[Encoded], order: list[list[int]], src_acts: list,
              tgt_acts: list, masks: list) -> list[float]:
    """Per pair: the mean norm of A's minus B's activations over the patched positions of
    both its sequences, relative to B's mean norm there. 0 where the layer is the same in
    both models (the embeddings of a LoRA finetune): the patch then cannot move B, so its
    recovery of 0 says nothing about where the belief is carried."""
    diff = [0.0] * len(items)
    size = [0.0] * len(items)
    count = [0] * len(items)
    for idx, a, b, m in zip(order, src_acts, tgt_acts, masks, strict=True):
        d = (a.float() - b.float()).norm(dim=-1)
        n = b.float().norm(dim=-1)
        for row, i in enumerate(idx):
            diff[i] = float(d[row][m[row]].sum())
            size[i] = float(n[row][m[row]].sum())
            count[i] = int(m[row].sum())
    out = []
    for k in range(len(items) // 2):
        c = count[2 * k] + count[2 * k + 1]
        s = (size[2 * k] + size[2 * k + 1]) / c if c else 0.0
        d = (diff[2 * k] + diff[2 * k + 1]) / c if c else 0.0
        out.append(d / s if s > 0 else (0.0 if d == 0 else float("inf")))
    return out


def check_same_shape(source: tuple[int, int], target: tuple[int, int]) -> None:
    """Refuse ``(residual indices, hidden size)`` of source and target that differ, saying
    which: the loaded models' (:func:`check_patchable`), or their configs' before either
    loads (``internals patch``: two 8B checkpoints loaded for minutes, then refused), and
    what to pass instead (:data:`SAME_BASE`)."""
    if source[0] != target[0]:
        raise PatchError(f"residual indices differ: source {source[0]} vs target "
                         f"{target[0]}; patching needs the same architecture: {SAME_BASE}")
    if source[1] != target[1]:
        raise PatchError(f"hidden sizes differ: source {source[1]} vs target "
                         f"{target[1]}; patching needs the same architecture: {SAME_BASE}")


SAME_BASE = "give two checkpoints of one base model (a finetune and its base, or two " \
            "finetunes of it)"
"""What a patch refusal of two architectures says to do: it said only that they differ."""


def check_patchable(source: Any, target: Any) -> None:
    """Refuse two loaded ``(model, tokenizer)`` pairs of different tokenizers or shapes,
    saying which differs: otherwise a torch shape traceback after scoring both models."""
    (src, src_tok), (tgt, tgt_tok) = source, target
    if src_tok.get_vocab() != tgt_tok.get_vocab():
        raise PatchError(f"the two checkpoints' tokenizers differ; patching needs the same "
                         f"tokens in both: {SAME_BASE}")
    check_same_shape((n_residual(src), hidden_size(src)), (n_residual(tgt), hidden_size(tgt)))


def patch_margins(source: Any, target: Any, claims: str | Sequence = "all", *,
                  layers: str | Sequence[int] = "all", positions: Positions = "prompt",
                  kinds: Sequence[str] | None = None, batch_size: int = 16, seed: int = 0,
                  show_progress: bool | None = None) -> pd.DataFrame:
    """Per (layer, pair): margins of source, target, target patched from source, and the
    same-norm random control, and ``act_diff`` (the relative size of A - B at the patched
    positions: 0 where the layer is the same in both). ``source`` / ``target``: loaded
    ``(model, tokenizer)`` pairs."""
    import torch

    if positions not in POSITIONS:
        raise PatchError(f"positions: unknown {positions!r}; valid: {list(POSITIONS)}")
    check_patchable(source, target)
    (src, _), (tgt, tgt_tok) = source, target
    chosen_claims = as_claims(claims)
    refs = pair_refs(chosen_claims, kinds)
    if not refs:
        raise PatchError(no_pairs_problem(chosen_claims, kinds, "internals patch reads"))
    items = encode_pairs(tgt_tok, refs)
    chosen = parse_layers(layers, n_residual(tgt))
    order = _batches(items, batch_size)

    def margins(model) -> pd.DataFrame:
        sums, n_tok = score_sequences(model, tgt_tok, items, batch_size=batch_size,
                                      show_progress=False)
        return pair_table(refs, sums, n_tok)

    base_src, base_tgt = margins(src), margins(tgt)
    rows = []
    # four passes of every pair per layer: a 32-layer model ran for minutes without a word
    for layer in progress(chosen, total=len(chosen), desc="patch (residual indices)",
                          enabled=show_progress):
        src_acts: list = []
        tgt_acts: list = []
        with recorded(src, layer, src_acts):
            margins(src)
        with recorded(tgt, layer, tgt_acts):
            margins(tgt)
        masks = [_position_mask(items, idx, a.shape[1], positions)
                 for idx, a in zip(order, src_acts, strict=True)]
        diff = _act_diff(items, order, src_acts, tgt_acts, masks)
        draws = _pair_noise(refs, items, seed, layer, int(src_acts[0].shape[-1]))
        noise = []
        for idx, a, b, m in zip(order, src_acts, tgt_acts, masks, strict=True):
            r = torch.zeros(a.shape, dtype=torch.float32)
            for row, i in enumerate(idx):
                r[row, :len(items[i].ids)] = draws[i // 2][:len(items[i].ids)]
            size = (a - b).norm(dim=-1, keepdim=True)
            noise.append(torch.where(m.unsqueeze(-1), r / r.norm(dim=-1, keepdim=True) * size,
                                     torch.zeros_like(r)))
        for variant in ("patched", "control"):
            swap = _swapper(variant, masks, src_acts, noise)
            with replaced(tgt, layer, swap):
                got = margins(tgt)
            for k, ref in enumerate(refs):
                rows.append({"layer": layer, "variant": variant, "claim": ref.claim,
                             "kind": ref.kind, "pair": ref.pair, "prompt": ref.prompt,
                             "margin_source": base_src["margin"][k],
                             "margin_target": base_tgt["margin"][k],
                             "margin": got["margin"][k], "act_diff": diff[k]})
    return pd.DataFrame(rows)


def summarize_patching(rows: pd.DataFrame) -> pd.DataFrame:
    """Per layer and variant: mean margin, recovery ``(m - target) / (source - target)``
    pooled over pairs as the share of their summed gap ``|source - target|`` that the patch
    closes (each pair's ratio weighted by its gap), and the flip rate (share of pairs where
    source and target disagree in sign whose patched margin takes the source's sign), and
    (where the rows have it) ``act_diff``, the pairs' mean relative size of A - B at the
    patched positions: 0 where the layer is the same in both models.

    Weighted, since a plain mean of per-pair ratios let a pair where source and target
    nearly agree (a gap of 1e-4 nats) turn any small change into a ratio of hundreds: a
    random control "recovered" 1040% on the tiny model."""
    out = []
    for (layer, variant), g in rows.groupby(["layer", "variant"], sort=True):
        gap = g["margin_source"] - g["margin_target"]
        moved = gap.abs() > 1e-9
        recovery = ((g["margin"] - g["margin_target"])[moved] * np.sign(gap[moved])).sum() \
            / gap[moved].abs().sum() if moved.any() else float("nan")
        disagree = np.sign(g["margin_source"]) != np.sign(g["margin_target"])
        flips = (np.sign(g["margin"][disagree]) == np.sign(g["margin_source"][disagree]))
        out.append({"layer": layer, "variant": variant, "pairs": len(g),
                    "margin": g["margin"].mean(), "margin_source": g["margin_source"].mean(),
                    "margin_target": g["margin_target"].mean(),
                    "recovery": float(recovery) if moved.any() else float("nan"),
                    **({"act_diff": float(g["act_diff"].mean())} if "act_diff" in g else {}),
                    "flip_pairs": int(disagree.sum()),
                    "flip_rate": float(flips.mean()) if disagree.any() else float("nan")})
    return pd.DataFrame(out)
