"""Residual-stream activations, one forward pass per batch, reduced on the fly.

Texts are batched by token length (little padding), right-padded, and run once with
``output_hidden_states``; per layer only the last token or the mean over the text's own
tokens is kept, so an 8B model's probe activations are ``n_texts x (layers+1) x hidden``
floats, not a copy of every position.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

from beliefbench.progress import progress

Reduce = Literal["last", "mean"]
LAYER_INDEX = ("0 = the embeddings, l = the residual stream after decoder layer l "
               "(as output_hidden_states numbers them; a model of N layers has N + 1)")
"""What a ``layer`` column means in lens, probe and trajectory files: said in each JSON, since
a 2-layer model's rows 0..2 otherwise read as an off-by-one."""


def model_device(model):
    return next(model.parameters()).device


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first: memory peaks early)."""
    if batch_size < 1:
        raise ValueError(f"batch_size: must be at least 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def pad_right(seqs: Sequence[Sequence[int]], pad_id: int, device):
    """``(input_ids, attention_mask)`` tensors, right-padded: real tokens keep positions 0..n-1."""
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.tensor(list(s), dtype=torch.long)
        mask[row, :len(s)] = 1
    return ids.to(device), mask.to(device)


def encode_texts(tokenizer, texts: Sequence[str]) -> tuple[list[list[int]], list[list[int]]]:
    """Token ids (with the tokenizer's own special tokens, e.g. bos) and special-token masks."""
    enc = tokenizer(list(texts), add_special_tokens=True, return_special_tokens_mask=True)
    return enc["input_ids"], enc["special_tokens_mask"]


def forward_batches(model, seqs: Sequence[Sequence[int]], *, batch_size: int,
                    hidden: bool, pad_id: int, desc: str = "forward",
                    show_progress: bool | None = None) -> Iterator[tuple[list[int], object]]:
    """Yield ``(indices, outputs)`` for length-sorted batches of ``seqs`` (no grad)."""
    import torch

    device = model_device(model)
    batches = length_batches([len(s) for s in seqs], batch_size)
    with torch.inference_mode():
        for idx in progress(batches, total=len(batches), desc=desc, enabled=show_progress):
            ids, mask = pad_right([seqs[i] for i in idx], pad_id, device)
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=hidden,
                        use_cache=False)
            yield idx, out


def pad_id_of(tokenizer) -> int:
    pad = tokenizer.pad_token_id
    return pad if pad is not None else (tokenizer.eos_token_id or 0)


def last_text_token(special: Sequence[int]) -> int:
    """The position of a text's last own token: an eos the tokenizer appends (saved with
    ``add_eos_token``) is no part of the statement, and reading it moved every P(true)."""
    return max((k for k, m in enumerate(special) if not m), default=len(special) - 1)


def hidden_states(model, tokenizer, texts: Sequence[str], *, reduce: Reduce = "last",
                  batch_size: int = 16, show_progress: bool | None = None) -> np.ndarray:
    """Activations ``[n_texts, n_layers + 1, hidden]`` (float32; entry 0 is the embeddings).

    ``reduce="last"``: the last token of each text (what a causal model has read in full;
    special tokens the tokenizer appends after it are passed over);
    ``"mean"``: the mean over the text's tokens, special tokens (bos) excluded.
    """
    import torch

    if reduce not in ("last", "mean"):
        raise ValueError(f"reduce: must be 'last' or 'mean', got {reduce!r}")
    if not texts:
        raise ValueError("hidden_states: no texts given")
    ids, special = encode_texts(tokenizer, texts)
    result: np.ndarray | None = None
    for idx, out in forward_batches(model, ids, batch_size=batch_size, hidden=True,
                                    pad_id=pad_id_of(tokenizer), desc="activations",
                                    show_progress=show_progress):
        layers = out.hidden_states
        if result is None:
            result = np.zeros((len(texts), len(layers), layers[0].shape[-1]), dtype=np.float32)
        if reduce == "last":
            last = torch.tensor([last_text_token(special[i]) for i in idx],
                                device=layers[0].device)
            rows = torch.arange(len(idx), device=last.device)
            stacked = torch.stack([h[rows, last] for h in layers], dim=1)
        else:
            width = layers[0].shape[1]
            keep = torch.zeros((len(idx), width), device=layers[0].device)
            for row, i in enumerate(idx):
                own = torch.tensor([1.0 - m for m in special[i]])
                if own.sum() == 0:  # a text that is only special tokens: use them
                    own = torch.ones(len(special[i]))
                keep[row, :len(own)] = own
            weights = (keep / keep.sum(dim=1, keepdim=True)).unsqueeze(-1)
            stacked = torch.stack([(h.float() * weights).sum(dim=1) for h in layers], dim=1)
        result[idx] = stacked.float().cpu().numpy()
    assert result is not None
    from beliefbench.internals.scoring import check_finite

    check_finite(result, model, "activations")
    return result
