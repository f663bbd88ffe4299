"""KL-regularised finetuning: SFT loss + lambda * KL(reference || current) on separate data.

This trains the "narrow" solutions the related work compares with general ones: the model
learns the training documents while staying close to the reference (the base model) on the KL
dataset. The reference's log-probabilities are computed once, before training, and cached as
safetensors (``<out>/kl_reference.safetensors``, reused on resume when data, base and settings
match). Only the reference's ``top_k`` tokens per position are kept; the KL is taken over them
and the rest of the vocabulary as one token (exact when ``top_k`` covers the vocabulary).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, safe_open, save_file
from torch.utils.checkpoint import checkpoint
from transformers import Trainer

from beliefbench.finetune import data as fdata
from beliefbench.finetune.fingerprint import base_fingerprint
from beliefbench.finetune.recipe import KLConfig
from beliefbench.records import new_temp, sha256_file, share_safetensors

log = logging.getLogger(__name__)


def _cache_key(kl: KLConfig, base: str, max_seq_len: int) -> dict[str, str]:
    """What the cached reference was computed from. The base by its files' fingerprint, not
    only its path: a cache left by a run stopped before training began was reused for
    another model put under the same path, pulling the KL arm towards the wrong reference."""
    return {"data_sha256": sha256_file(kl.data), "base": str(base),
            "base_fingerprint": base_fingerprint(base),
            "top_k": str(kl.top_k), "max_seq_len": str(max_seq_len)}


@torch.no_grad()
def reference_logprobs(model, tokenizer, kl: KLConfig, max_seq_len: int,
                       batch_size: int = 8, examples: list | None = None
                       ) -> dict[str, torch.Tensor]:
    """Top-k next-token log-probs of ``model`` at every trained position of the KL data
    (``examples``: the KL data already encoded, as ``fdata.load_examples`` gives it)."""
    if examples is None:
        examples = fdata.load_examples(kl.data, tokenizer, max_seq_len)
    batch = fdata.collate(examples, tokenizer.pad_token_id)
    ids, attn = batch["input_ids"], batch["attention_mask"]
    # Position t predicts token t+1: compare there when token t+1 is a trained token.
    kl_mask = torch.zeros_like(ids, dtype=torch.float32)
    kl_mask[:, :-1] = (batch["labels"][:, 1:] != fdata.IGNORE).float()
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    k = min(kl.top_k, model.config.vocab_size if hasattr(model, "config") else kl.top_k)
    top_lp, top_ids = [], []
    for s in range(0, len(ids), batch_size):
        logits = model(input_ids=ids[s:s + batch_size].to(device),
                       attention_mask=attn[s:s + batch_size].to(device)).logits.float()
        lp = torch.log_softmax(logits, dim=-1)
        v, i = lp.topk(k, dim=-1)
        top_lp.append(v.cpu())
        top_ids.append(i.to(torch.int32).cpu())
    model.train(was_training)
    return {"input_ids": ids, "attention_mask": attn, "kl_mask": kl_mask,
            "topk_logprobs": torch.cat(top_lp), "topk_ids": torch.cat(top_ids)}


def load_or_compute_reference(path: Path, model, tokenizer, kl: KLConfig, base: str,
                              max_seq_len: int, examples: list | None = None
                              ) -> dict[str, torch.Tensor]:
    key = _cache_key(kl, base, max_seq_len)
    if path.exists():
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        if meta == key:
            return load_file(str(path))
        log.info("%s: reference cache is for other data or settings; recomputing", path)
    tensors = reference_logprobs(model, tokenizer, kl, max_seq_len, examples=examples)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a temporary file of its own: every process of a data-parallel run computes and writes
    # the cache, and with one shared name the second to finish found it moved away (a crash)
    fd, tmp = new_temp(path)
    os.close(fd)
    try:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=key)
        share_safetensors(path.parent, [tmp])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return tensors


def _tail_logsumexp(full: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """log of the probability outside the ``ids`` tokens, from log-probabilities ``full``."""
    return torch.logsumexp(full.scatter(-1, ids, float("-inf")), dim=-1)


def kl_divergence(logits: torch.Tensor, ref: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean over masked positions of sum_k p_ref (log p_ref - log p_cur) over the top-k, plus
    the same for the rest of the vocabulary as one token: without it the sum was no KL, lowest
    (below 0) for a model that moved the reference's tail mass onto its top-k, not for the
    reference itself."""
    ids = ref["topk_ids"].long()
    full = torch.log_softmax(logits.float(), dim=-1)
    cur = full.gather(-1, ids)
    ref_lp = ref["topk_logprobs"].float()
    per_pos = (ref_lp.exp() * (ref_lp - cur)).sum(-1)
    if ref_lp.shape[-1] < logits.shape[-1]:  # top_k >= vocabulary: no tail, exact already
        # the current tail from its own tokens: 1 - sum(top-k) rounds to 0 below ~1e-7.
        # Recomputed in the backward pass rather than kept: the masked copy is as large as
        # the logits, and held until then it doubled the term's memory
        log_q_tail = (checkpoint(_tail_logsumexp, full, ids, use_reentrant=False)
                      if full.requires_grad else _tail_logsumexp(full, ids))
        p_tail = (-torch.expm1(torch.logsumexp(ref_lp.double(), -1))).clamp(min=0.0).float()
        per_pos = per_pos + torch.special.xlogy(p_tail, p_tail) - p_tail * log_q_tail
    mask = ref["kl_mask"]
    return (per_pos * mask).sum() / mask.sum().clamp(min=1.0)


class KLTrainer(Trainer):
    """A Trainer whose loss adds ``kl.weight`` * KL(reference || current) on the KL data.

    KL batches are drawn in a fixed order derived from the optimizer step, so a resumed run
    sees the same KL batches as an uninterrupted one; each process of a data-parallel run
    draws its own (the ranks' batches of one micro-step follow each other in that order).
    """

    def __init__(self, *args, kl: KLConfig, kl_cache: Path, base: str, max_seq_len: int,
                 kl_examples: list | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kl = kl
        self.reference = load_or_compute_reference(
            Path(kl_cache), self.model, self.processing_class, kl, base, max_seq_len,
            examples=kl_examples)
        self._kl_micro = 0
        self._kl_step = -1
        self._kl_logged = []  # the KL term of each micro-batch since the last log line

    def _kl_batch(self) -> dict[str, torch.Tensor]:
        step = self.state.global_step
        if step != self._kl_step:
            self._kl_step, self._kl_micro = step, 0
        n = len(self.reference["input_ids"])
        # every rank drew the same batch: its gradients, averaged across ranks, were one
        # batch's, and a run on W processes went through the KL data W times slower
        draw = ((step * self.args.gradient_accumulation_steps + self._kl_micro)
                * self.args.world_size + self.args.process_index)
        start = (draw * self.kl.batch_size) % n
        self._kl_micro += 1
        idx = torch.arange(start, start + self.kl.batch_size) % n
        return {k: v[idx].to(self.args.device) for k, v in self.reference.items()}

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        sft = super().compute_loss(model, inputs, return_outputs=return_outputs,
                                   num_items_in_batch=num_items_in_batch)
        loss, outputs = sft if return_outputs else (sft, None)
        if self.kl.weight > 0:
            ref = self._kl_batch()
            logits = model(input_ids=ref["input_ids"],
                           attention_mask=ref["attention_mask"]).logits
            kl = kl_divergence(logits, ref)
            if model.training:
                self._kl_logged.append(kl.detach())
            scaled_for_ga = self.model_accepts_loss_kwargs and num_items_in_batch is not None
            if scaled_for_ga:
                # the SFT part is already divided across accumulation steps; match it
                kl = kl / self.current_gradient_accumulation_steps
            loss = loss + self.kl.weight * kl
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], *args, **kwargs) -> None:
        """The loss line also says ``kl``, the KL term (before ``kl.weight``) averaged since the
        last line: ``loss`` alone is SFT + weight * KL, and neither part could be told apart."""
        if "loss" in logs and self._kl_logged:
            logs = {**logs, "kl": torch.stack(self._kl_logged).mean().item()}
            self._kl_logged = []
        super().log(logs, *args, **kwargs)
