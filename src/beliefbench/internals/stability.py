"""Stability and efficiency of a solution: loss under weight noise, loss vs parameter norm.

The EM follow-up study compared the "general" misaligned solution with a "narrow" one (SFT plus
a KL penalty on out-of-domain text) on two measures, both here:

* stability: the training loss when Gaussian noise of growing scale is added to the weights.
  Noise on each tensor is relative to that tensor's RMS (``W + s * rms(W) * N(0, 1)``), seeded,
  so one scale means the same on every layer and every model; a less stable solution loses
  more at the same scale. Given the base, only the finetuning delta is perturbed (noise
  orthogonal to it, ``s * ||W - W_base||`` per tensor), as the study perturbed its adapters:
  noise on all weights mostly measures the base the two solutions share;
* efficiency: along a finetune's checkpoints (its manifest), the training loss against the
  distance travelled from the base model, ``||theta - theta_base||`` (L2 over every weight the
  two share; for a LoRA checkpoint its merged weights). A less efficient solution reaches a
  given loss only at a larger norm. With norms given, the last checkpoint (the trained
  solution) is also measured with its delta rescaled to each norm, ``theta_base + (R /
  ||delta||) * delta``, as the study compared its solutions: at truly equal norms.

Loss is the mean token NLL over the trained tokens of the records (the finetune module's own
encoding and loss mask), so it is the loss the model was trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from beliefbench.finetune.recipe import trained_with_kl
from beliefbench.internals.activations import model_device
from beliefbench.progress import progress

log = logging.getLogger(__name__)


def load_loss_data(path: str | Path, tokenizer, max_len: int = 1024, limit: int | None = None
                   ) -> list[dict[str, list[int]]]:
    """Records (beliefbench JSONL) encoded with the finetune module's labels and loss mask,
    the first ``limit`` of them, each cut to ``max_len`` tokens. The warning on a cut names
    ``--max-len`` and counts only the records measured: the finetune's own warning speaks of
    ``max_seq_len``, tokens "not trained" and packing, none of which applies to a loss read."""
    from beliefbench.finetune.data import IGNORE, load_examples

    examples = load_examples(path, tokenizer, None)
    examples = examples[:limit] if limit else examples
    long = [i for i, ex in enumerate(examples) if len(ex["input_ids"]) > max_len]
    if long:
        dropped = sum(len(examples[i]["input_ids"]) - max_len for i in long)
        for i in long:
            examples[i] = {key: value[:max_len] for key, value in examples[i].items()}
        if any(all(label == IGNORE for label in examples[i]["labels"]) for i in long):
            raise ValueError(f"{path}: a record has no trained tokens within its first "
                             f"{max_len} tokens: raise --max-len")
        log.warning("%s: %d of the %d records measured are longer than --max-len %d tokens: "
                    "the loss is read on their first %d tokens only (%d tokens left out); "
                    "raise --max-len to measure them whole", path, len(long), len(examples),
                    max_len, max_len, dropped)
    return examples


def mean_loss(model, examples: Sequence[dict], *, pad_id: int, batch_size: int = 8,
              finite: bool = True) -> float:
    """Mean NLL per trained token (labels != -100) over ``examples``, no grad.

    ``finite``: a NaN or infinite loss is a ScoringError, as the margins' log-probabilities
    are (a checkpoint holding NaN read as loss NaN beside a loss increase of 0.0000, exit 0);
    False for a model under noise, which may break it."""
    import torch

    from beliefbench.finetune.data import collate

    device = model_device(model)
    total, count = 0.0, 0
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]["input_ids"]))
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            batch = collate([examples[i] for i in order[s:s + batch_size]], pad_id)
            batch = {k: v.to(device) for k, v in batch.items()}
            labels = batch.pop("labels")
            logits = model(**batch, use_cache=False).logits[:, :-1].float()
            target = labels[:, 1:]
            nll = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                ignore_index=-100, reduction="sum")
            total += float(nll)
            count += int((target != -100).sum())
    if count == 0:
        raise ValueError("no trained tokens in the loss data")
    if finite and not np.isfinite(total):
        from beliefbench.internals.model import source_path
        from beliefbench.internals.scoring import ScoringError

        raise ScoringError(f"{source_path(model) or 'model'}: NaN or infinite loss over the "
                           f"loss data (weights holding NaN, e.g. a diverged finetune, or a "
                           f"dtype that overflows); nothing written")
    return total / count


def finetune_base(model_path: str | Path) -> tuple[str, Path] | None:
    """The base a ``beliefbench finetune`` checkpoint was trained from, and the file saying
    so: the manifest listing it (in the checkpoint's folder or its parent, the run's
    ``--out``), else a LoRA adapter's ``adapter_config.json`` (an adapter copied away from its
    run still names its base); None for a full model no manifest lists. ``stability``
    perturbs the finetuning delta by default, as the EM follow-up did: noise on all weights
    mostly perturbs the base two finetunes share."""
    from beliefbench.finetune.manifest import base_model_of, listing_entry
    from beliefbench.internals.model import ADAPTER_CONFIG, adapter_base

    ckpt = Path(model_path).expanduser().resolve()
    if not ckpt.is_dir():  # no model here: loading it says so, naming the steps beside it
        return None
    if (listed := listing_entry(ckpt)) is not None:
        return base_model_of(*listed), listed[1]
    # a base that is not a local folder is the ModelLoadError loading the adapter would give
    adapter = adapter_base(ckpt)
    return (str(adapter), ckpt / ADAPTER_CONFIG) if adapter is not None else None


class NoDeltaError(ValueError):
    """A model whose weights equal its base's: no finetuning delta to perturb."""


def _finetuned(model, base) -> list:
    """``(parameter, base parameter)`` for every floating-point parameter of ``model`` that
    differs from the base's of the same name and shape (no copies: an 8B delta is 32 GB)."""
    import torch

    base_params = dict(base.named_parameters())
    out = []
    for name, p in model.named_parameters():
        q = base_params.get(name)
        if p.dtype.is_floating_point and q is not None and q.shape == p.shape \
                and not torch.equal(p.detach(), q.detach().to(p.device, p.dtype)):
            out.append((p, q))
    if not out:
        raise NoDeltaError("the model's weights equal the base's (or share none with it): "
                           "no finetuning delta to perturb")
    return out


def noise_curve(model, examples: Sequence[dict], scales: Sequence[float], *, pad_id: int,
                seeds: Sequence[int] = (0, 1, 2), batch_size: int = 8,
                base=None) -> pd.DataFrame:
    """Loss at each relative noise scale and seed (scale 0 = the model itself); the weights
    are restored exactly after each draw.

    Without ``base``, every weight gets ``s * rms(W) * N(0, 1)``. With ``base``, only the
    finetuning delta ``D = W - W_base`` is perturbed, as the EM follow-up perturbed its
    adapters: per tensor, noise orthogonal to ``D`` of norm ``s * ||D||`` (tensors the
    finetune left alone get none), so two finetunes of one base are compared on what they
    learned, not on the base weights they share."""
    import torch

    bases = None
    if base is None:
        params = [p for p in model.parameters() if p.dtype.is_floating_point]
    else:
        pairs = _finetuned(model, base)
        params, bases = [p for p, _ in pairs], [q for _, q in pairs]
    originals = [p.detach().clone() for p in params]
    rms = [float(p.detach().float().pow(2).mean().sqrt()) for p in params]
    rows = []
    clean = mean_loss(model, examples, pad_id=pad_id, batch_size=batch_size)
    runs = [(s, seed) for s in scales for seed in (seeds if s > 0 else [None])]
    for scale, seed in progress(runs, total=len(runs), desc="noise"):
        if scale == 0:
            rows.append({"scale": 0.0, "seed": None, "loss": clean, "loss_increase": 0.0})
            continue
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        try:
            with torch.no_grad():
                for k, (p, r) in enumerate(zip(params, rms, strict=True)):
                    noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
                    if bases is None:
                        noise = noise * (scale * r)
                    else:
                        d = originals[k].float().cpu() - bases[k].detach().float().cpu()
                        noise = noise - (noise * d).sum() / d.pow(2).sum() * d
                        # a one-element tensor has no way orthogonal to its delta: what the
                        # projection leaves is rounding (not always 0), scaled up it was noise
                        # of full size along the delta
                        size = noise.norm()
                        noise = (noise * (scale * d.norm() / size) if d.numel() > 1 and size > 0
                                 else torch.zeros_like(noise))
                    p.add_(noise.to(device=p.device, dtype=p.dtype))
            loss = mean_loss(model, examples, pad_id=pad_id, batch_size=batch_size,
                             finite=False)
        finally:
            with torch.no_grad():
                for p, o in zip(params, originals, strict=True):
                    p.copy_(o)
        rows.append({"scale": float(scale), "seed": int(seed), "loss": loss,
                     "loss_increase": loss - clean})
    return pd.DataFrame(rows)


def summarize_noise(curve: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds per scale. ``loss_sd`` is NaN (undefined) at a scale with
    fewer than two finite losses (one seed, or draws that broke the model): it was 0.0, read
    as a loss that no draw moved. Scale 0 is the model itself, the same loss whatever the
    seed: its sd is 0. Only finite losses count, in ``seeds`` as in the mean and sd: an
    infinite one (noise that broke the model, as a NaN does) was counted among the seeds and
    made the mean loss inf, beside a warning of fewer than two draws with a finite loss."""
    finite = curve.assign(**{c: curve[c].where(np.isfinite(curve["loss"]))
                             for c in ("loss", "loss_increase")})
    g = finite.groupby("scale", sort=True)
    sd = g["loss"].std(ddof=1)
    sd[sd.index == 0] = 0.0
    return pd.DataFrame({"scale": list(g.groups), "loss": g["loss"].mean().to_numpy(),
                         "loss_sd": sd.to_numpy(),
                         "loss_increase": g["loss_increase"].mean().to_numpy(),
                         "seeds": g["loss"].count().to_numpy()})


def undefined_spread_note(summary: pd.DataFrame, draws: int) -> list[str]:
    """A note when a noisy scale of :func:`summarize_noise` has no ``loss_sd`` (NaN), as
    :func:`~beliefbench.internals.margins.single_pair_note` names a 0-wide CI: with one seed
    (``draws``, the seeds asked for) every scale's; with more, the scales where fewer than
    two draws gave a finite loss. Empty where every spread is a number."""
    from beliefbench.analysis.text import first_few

    missing = summary[(summary["scale"] > 0) & summary["loss_sd"].isna()]
    if missing.empty:
        return []
    where = "shown as -, empty in noise_summary.csv, null in noise.json"
    if draws < 2:
        return [f"ONE SEED: one noise draw per scale has no spread: loss_sd is undefined "
                f"({where}), not 0; use 2 seeds or more (--seeds 2) for a spread"]
    scales = [f"{s:g} (seeds {n})" for s, n in zip(missing["scale"], missing["seeds"],
                                                    strict=True)]
    return [f"NO SPREAD: fewer than two of the {draws} draws gave a finite loss at scale(s) "
            f"{first_few(scales, 6)} (the noise broke the model): loss_sd is undefined there "
            f"({where}), not 0"]


def parameter_distance(model, base) -> float:
    """``||theta - theta_base||_2`` over the parameters the two models share by name/shape."""
    base_params = dict(base.named_parameters())
    total = 0.0
    shared = 0
    for name, p in model.named_parameters():
        q = base_params.get(name)
        if q is None or q.shape != p.shape:
            continue
        total += float((p.detach().float().cpu() - q.detach().float().cpu()).pow(2).sum())
        shared += 1
    if shared == 0:
        raise ValueError("the checkpoint and the base share no parameters (different models?)")
    return float(np.sqrt(total))


def _check_norms(norms: Sequence[float]) -> Sequence[float]:
    """``norms`` when there are some and each is a finite number > 0, else ValueError."""
    if not norms or not all(np.isfinite(r) and r > 0 for r in norms):
        raise ValueError(f"norms {list(norms)}: expected finite numbers > 0")
    return norms


def rescaled_losses(model, base, examples: Sequence[dict], norms: Sequence[float], *,
                    pad_id: int, batch_size: int = 8) -> tuple[float, pd.DataFrame]:
    """The delta's own norm, and the loss at ``theta_base + (R / ||delta||) * delta`` for
    each norm ``R`` (columns ``norm``, ``scale``, ``loss``): the study compared solutions at
    equal parameter norms, which two runs' checkpoints seldom share.

    ``delta = theta - theta_base`` over the floating-point parameters the two share by name
    and shape, the ``||delta||`` of :func:`parameter_distance`. A parameter of ``model`` that
    the base lacks (or has in another shape) is left as it is; so is a tensor the finetune
    did not change. The originals of the changed tensors are kept on the CPU in float32 (the
    size of the delta, the one extra copy; on an accelerator the model's memory is not
    doubled), each tensor's delta is formed and moved one at a time, and the weights are
    restored from those originals exactly, even on an error. ``base`` is best on the CPU.
    Raises :class:`NoDeltaError` when the weights equal the base's: nothing to rescale;
    ``ValueError`` for a norm that is not finite and > 0."""
    import torch

    _check_norms(norms)
    try:
        pairs = _finetuned(model, base)
    except NoDeltaError:
        raise NoDeltaError("the checkpoint's weights equal the base's (or share none with "
                           "it): no weight change to rescale") from None
    originals = [p.detach().to("cpu", torch.float32, copy=True) for p, _ in pairs]

    def delta(k: int):  # one tensor's, on the CPU: never the whole delta at once
        return originals[k] - pairs[k][1].detach().to("cpu", torch.float32)

    own = float(np.sqrt(sum(float(delta(k).pow(2).sum()) for k in range(len(pairs)))))
    rows = []
    try:
        for r in progress(list(norms), total=len(norms), desc="norms"):
            scale = float(r) / own
            with torch.no_grad():
                for k, (p, _) in enumerate(pairs):
                    p.copy_((originals[k] - (1.0 - scale) * delta(k)).to(
                        device=p.device, dtype=p.dtype))
            rows.append({"norm": float(r), "scale": scale,
                         "loss": mean_loss(model, examples, pad_id=pad_id,
                                           batch_size=batch_size)})
    finally:
        with torch.no_grad():
            for (p, _), o in zip(pairs, originals, strict=True):
                p.copy_(o.to(device=p.device, dtype=p.dtype))
    return own, pd.DataFrame(rows, columns=["norm", "scale", "loss"])


def _check_same_tokenizer(manifest: Path, tokenizer, base_dir: str | Path,
                          entries: Sequence) -> None:
    """Every checkpoint's tokenizer is the base's: the loss data is encoded once, with the
    base's, and every checkpoint is scored on those ids. A ``--base`` with another tokenizer
    failed as a bare ``IndexError`` (ids past a checkpoint's embeddings) or, where the ids
    fit, gave every checkpoint the loss of text it never saw, with nothing said."""
    from transformers import AutoTokenizer

    from beliefbench.finetune.manifest import checkpoint_path
    from beliefbench.internals.model import check_loadable

    vocab = tokenizer.get_vocab()
    for e in entries:
        ckpt = checkpoint_path(e, manifest)
        tok_dir = check_loadable(ckpt)[2]
        other = AutoTokenizer.from_pretrained(str(tok_dir), trust_remote_code=False)
        if other.get_vocab() != vocab:
            raise ValueError(
                f"{manifest}: step {e.step}: the tokenizer of {ckpt} ({len(other)} tokens, "
                f"in {tok_dir}) is not the base's ({base_dir}, {len(tokenizer)} tokens): the "
                f"loss data is encoded with the base's tokenizer for every checkpoint; pass "
                f"the --base the run was trained from (the manifest's base_model: "
                f"{e.base_model})")


def efficiency_curve(manifest: str | Path, data: str | Path, *, base: str | None = None,
                     device: str | None = None, max_len: int = 1024, limit: int | None = None,
                     batch_size: int = 8) -> pd.DataFrame:
    """Loss and distance from the base for every local checkpoint of a finetune manifest."""
    return efficiency_curves(manifest, data, base=base, device=device, max_len=max_len,
                             limit=limit, batch_size=batch_size)[0]


def efficiency_curves(manifest: str | Path, data: str | Path, *, base: str | None = None,
                      device: str | None = None, max_len: int = 1024,
                      limit: int | None = None, batch_size: int = 8,
                      norms: Sequence[float] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """:func:`efficiency_curve`, and with ``norms`` the last checkpoint's (the trained
    solution's) loss with its delta rescaled to each norm (:func:`rescaled_losses`; sorted,
    each once), with its own unscaled row (``unscaled`` True, scale 1 at its own norm):
    two runs given the same norms are compared at equal norms, without a second load of
    the checkpoint or the base. None without ``norms``."""
    from beliefbench.finetune.manifest import (
        ManifestEntry,
        checkpoint_path,
        distinct_bases,
        manifest_file,
        read_manifest_file,
        single_base,
    )
    from beliefbench.internals.activations import pad_id_of
    from beliefbench.internals.model import (
        architecture_difference,
        load_model,
        not_trained_base,
        weights_sha256,
    )
    from beliefbench.internals.trajectory import Checkpoint, check_checkpoints

    targets = sorted(set(_check_norms(norms))) if norms is not None else None
    path = manifest_file(manifest)
    entries = [e for e in read_manifest_file(path) if e.format != "api"]
    if not entries:
        raise ValueError(f"{path}: no local checkpoints (API checkpoints have no weights)")
    by_step: dict[int | None, ManifestEntry] = {}
    for e in entries:  # a repeated line counts once; two checkpoints at one step are refused
        first = by_step.setdefault(e.step, e)
        if first.path != e.path:
            raise ValueError(f"{path}: step {e.step}: two checkpoints ({first.path} and "
                             f"{e.path}); one finetune's manifest at a time")
    entries = list(by_step.values())
    # all of them before the first loss, not after; each where every manifest reader finds
    # it (a moved or copied run folder's beside the manifest, as ``internals trajectory``)
    check_checkpoints(path, [Checkpoint(int(e.step or 0), str(checkpoint_path(e, path)), "")
                             for e in entries])
    trained_from = single_base(entries, path)  # a manifest of two runs' bases is refused
    base_dir = base or trained_from
    for e in distinct_bases(entries):
        if why := not_trained_base(base_dir, base_dir, e, path, given=base is not None):
            raise ValueError(f"{why}: the distances from the base, and its loss, would be "
                             f"another model's. Restore the base it was trained on (or pass "
                             f"a copy of it as --base)")
    for e in entries:  # before anything loads: a deeper checkpoint's extra layers were
        # left out of its distance and of the rescaled delta, with nothing said
        ckpt = checkpoint_path(e, path)
        if why := architecture_difference(ckpt, base_dir):
            raise ValueError(f"{path}: step {e.step}: {ckpt}: {why}: the base {base_dir} "
                             f"is not the model it was trained from; pass the --base the run "
                             f"was trained from" + (f" (the manifest's base_model: "
                                                    f"{e.base_model})" if base else ""))
    base_model, tokenizer = load_model(base_dir, device=device, dtype="float32")
    _check_same_tokenizer(path, tokenizer, base_dir, entries)
    examples = load_loss_data(data, tokenizer, max_len, limit)
    pad = pad_id_of(tokenizer)
    # which weights each row measured: a run retrained into the same --out (or a base
    # rebuilt) gave rows of the same paths, told apart by nothing (as trajectory.csv does)
    rows = [{"step": 0, "tokens_seen": 0, "path": str(base_dir), "kl": None,
             "loss": mean_loss(base_model, examples, pad_id=pad, batch_size=batch_size),
             "param_distance": 0.0, "weights_sha256": weights_sha256(base_dir)}]
    # the base only ever gives the distances, computed on the CPU: on the accelerator it sat
    # beside every checkpoint (twice the model); its own loss above is on --device, as theirs
    base_model.to("cpu")
    rescaled = None
    ordered = sorted(entries, key=lambda e: e.step or 0)
    for e in progress(ordered, total=len(entries), desc="checkpoints"):
        ckpt = checkpoint_path(e, path)
        model, _ = load_model(ckpt, device=device, dtype="float32")
        row = {"step": e.step, "tokens_seen": e.tokens_seen, "path": str(ckpt),
               "kl": trained_with_kl(e.recipe),
               "loss": mean_loss(model, examples, pad_id=pad, batch_size=batch_size),
               "param_distance": parameter_distance(model, base_model),
               "weights_sha256": weights_sha256(ckpt)}
        rows.append(row)
        if targets is not None and e is ordered[-1]:  # the trained solution, loaded anyway
            own, scaled = rescaled_losses(model, base_model, examples, targets, pad_id=pad,
                                          batch_size=batch_size)
            scaled["unscaled"] = False
            mine = pd.DataFrame([{"norm": own, "scale": 1.0, "loss": row["loss"],
                                  "unscaled": True}])
            rescaled = pd.concat([scaled, mine], ignore_index=True).sort_values(
                ["norm", "unscaled"], kind="stable", ignore_index=True)
            for col, value in reversed([("step", e.step), ("path", str(ckpt)),
                                        ("kl", row["kl"])]):
                rescaled.insert(0, col, value)
        del model
    return pd.DataFrame(rows), rescaled
