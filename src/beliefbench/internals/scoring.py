"""Teacher-forced log-probabilities of continuations, from the logits or from every layer.

A continuation is scored given its prompt by tokenizing prompt + continuation TOGETHER and
locating the continuation's tokens by character offsets: tokenizing the two apart would
score token boundaries the model never sees (e.g. a space merged into the next word).
The same sums are read either from the model's logits (completion margins) or, for the
logit lens, from each layer's residual stream through the final norm and the unembedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beliefbench.internals.activations import forward_batches, pad_id_of
from beliefbench.internals.model import source_path


class ScoringError(ValueError):
    """A continuation that cannot be scored (e.g. empty after tokenization)."""


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    first: int
    """Index of the first continuation token in ``ids`` (>= 1: something precedes it)."""
    straddles: bool = False
    """The first continuation token also covers the end of the prompt (a merged boundary)."""

    @property
    def n_tokens(self) -> int:
        return len(self.ids) - self.first


def _without_trailing_specials(enc) -> list[int]:
    """Token ids less the special tokens the tokenizer appends after the text (an eos, as a
    tokenizer saved with ``add_eos_token`` gives): they are no part of the continuation, and
    scoring them added log P(eos) to both sides, moving every margin with the same weights."""
    ids, special = list(enc["input_ids"]), enc["special_tokens_mask"]
    offsets = enc.get("offset_mapping")
    end = len(ids)
    # a special token written in the text has characters; an appended one has none
    while end > 0 and special[end - 1] and (offsets is None
                                            or offsets[end - 1][0] == offsets[end - 1][1]):
        end -= 1
    return ids[:end]


def adds_specials(tokenizer, text: str) -> bool:
    """Whether to let the tokenizer add its special tokens to ``text``: not where the text
    already begins with the bos (a chat template that writes it, as Llama 3, Gemma and
    Mistral do), which read every binary item and answer after two bos tokens, a sequence
    the model never sees (one bos, as served and as finetuned)."""
    from beliefbench.finetune.data import _renders_bos

    return not _renders_bos(text, tokenizer)


def own_ids(tokenizer, text: str) -> list[int]:
    """``text``'s token ids with the special tokens the tokenizer puts before it (a bos) but
    none it appends after it (an eos): what a model reads up to the text's end."""
    fast = bool(getattr(tokenizer, "is_fast", False))
    specials = adds_specials(tokenizer, text)
    return _without_trailing_specials(tokenizer(text, add_special_tokens=specials,
                                                return_special_tokens_mask=True,
                                                return_offsets_mapping=fast))


def encode_continuation(tokenizer, prompt: str, continuation: str) -> Encoded:
    """Token ids of ``prompt + continuation`` and where the continuation starts."""
    text = prompt + continuation
    boundary = len(prompt)
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=adds_specials(tokenizer, text),
                        return_offsets_mapping=True, return_special_tokens_mask=True)
        ids, offsets = _without_trailing_specials(enc), enc["offset_mapping"]
        special = enc["special_tokens_mask"]
        first = next((i for i, ((_, end), sp) in enumerate(zip(offsets, special, strict=True))
                      if i < len(ids) and not sp and end > boundary), None)
        straddles = first is not None and offsets[first][0] < boundary
    else:  # no offsets: the longest common prefix with the prompt's own ids
        ids, head = own_ids(tokenizer, text), own_ids(tokenizer, prompt)
        first = next((i for i, (a, b) in enumerate(zip(ids, head, strict=False)) if a != b),
                     min(len(ids), len(head)))
        straddles = first < len(head)
        first = first if first < len(ids) else None
    if first is None or first >= len(ids):
        raise ScoringError(f"continuation {continuation!r} after prompt {prompt!r} has no "
                           f"tokens of its own")
    if first == 0:
        raise ScoringError(f"prompt {prompt!r}: nothing precedes the continuation (the "
                           f"tokenizer adds no bos); give a non-empty prompt")
    return Encoded(list(ids), first, straddles)


def align_starts(prompt: str, continuations: Sequence[str],
                 items: Sequence[Encoded]) -> list[Encoded]:
    """The encodings of several continuations of one prompt, each scored from the earliest
    first token among them: where the prompt's end merges into one continuation's first
    token and not into another's (a prompt ending mid-word or in a space), the first was
    scored given less of the prompt and paid for its end, the other not, a margin biased
    toward the side that did not merge. Tokens before that start must be the same in all
    (the shared prompt), else ScoringError."""
    first = min(it.first for it in items)
    check_shared_prefix(prompt, continuations, [it.ids[:first] for it in items])
    if all(it.first == first for it in items):
        return list(items)
    return [Encoded(it.ids, first, it.straddles or it.first > first) for it in items]


def check_shared_prefix(prompt: str, continuations: Sequence[str],
                        prefixes: Sequence[Sequence]) -> None:
    """Raise ScoringError unless each continuation's tokens before the point all are scored
    from (token ids, or a provider's token texts) are the same. Checked even where every
    first token is at the same index: a prompt ending mid-word can be split ``xa|bc``
    before one continuation and ``x|abd`` before the other, each side scored given another
    prefix, a margin between two different questions."""
    if any(list(p) != list(prefixes[0]) for p in prefixes):
        raise ScoringError(f"prompt {prompt!r}: its end is tokenized differently before "
                           f"{' and '.join(map(repr, continuations))}, so they cannot be "
                           f"scored from the same point; end the prompt at a word boundary "
                           f"and start each continuation with its space")


def check_finite(values: np.ndarray, model, what: str) -> None:
    """Refuse NaN / infinite numbers from a forward pass: a margin or P(true) computed from
    them would read as "the truth wins" or "false", a result where there is none."""
    values = np.asarray(values)
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        raise ScoringError(f"{source_path(model) or 'model'}: NaN or infinite {what} for "
                           f"{int(bad.sum())} of {len(values)} inputs (weights holding NaN, "
                           f"e.g. a diverged finetune, or a dtype that overflows: try --dtype "
                           f"float32); nothing written")


def text_config(model):
    """The config of the model's language model: a multimodal checkpoint (Gemma 3 4B and
    up) keeps the layer count and the logit soft-cap in its ``text_config``."""
    config = model.config
    getter = getattr(config, "get_text_config", None)
    return getter() if callable(getter) else config


def decoder_of(model):
    """The decoder stack (transformers' ``get_decoder()``: the language model of a
    multimodal checkpoint), through a peft wrapper; else the base model by its prefix."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        decoder = base.get_decoder() if hasattr(base, "get_decoder") else None
    except (AttributeError, NotImplementedError, ValueError):
        decoder = None
    return decoder if decoder is not None else getattr(
        base, getattr(base, "base_model_prefix", "model"), base)


def final_norm(model):
    """The norm applied before the unembedding (Llama / Mistral / Qwen ``norm``, GPT ``ln_f``)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    inner = decoder_of(model)
    for name in ("norm", "final_layernorm", "ln_f", "final_layer_norm"):
        module = getattr(inner, name, None)
        if module is not None:
            return module
    raise ScoringError(f"{type(base).__name__}: cannot find the final norm for the logit lens")


def readout(model, hidden):
    """Logits from hidden states that went through the final norm: the unembedding, then the
    final logit soft-capping Gemma 2 applies (``tanh(x / cap) * cap``), without which a lens
    read Gemma's layers on another scale and its last layer missed the model's own logits."""
    import torch

    logits = model.get_output_embeddings()(hidden)
    cap = getattr(text_config(model), "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits


def _final_is_normed(model, hidden_last, logits) -> bool:
    """Whether the last hidden state transformers returns already went through the norm.

    Llama-style models return ``norm(h_L)`` as the last entry; others return ``h_L``. Checked
    on the data (one position) rather than assumed per architecture. Where neither reading
    gives the model's own logits (a scaling of the logits or a head this readout does not
    know), ScoringError: every lens layer would be read on another scale than the last.
    """
    direct = readout(model, hidden_last).float()
    normed = readout(model, final_norm(model)(hidden_last)).float()
    target = logits.float()
    err_direct = (direct - target).abs().max().item()
    err_normed = (normed - target).abs().max().item()
    tolerance = 1e-3 + 2e-2 * max(1.0, target.abs().max().item())
    if min(err_direct, err_normed) > tolerance:
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        raise ScoringError(
            f"{type(base).__name__}: the logit lens cannot reproduce the model's own logits "
            f"from its last hidden state (off by {min(err_direct, err_normed):.3g}; the "
            f"architecture transforms its logits in a way the lens does not know), so no "
            f"layer's reading would be comparable; the logit lens does not support it")
    return bool(err_direct <= err_normed or err_direct <= 1e-4)


def score_sequences(model, tokenizer, items: Sequence[Encoded], *, batch_size: int = 16,
                    per_layer: bool = False, show_progress: bool | None = None,
                    desc: str = "margins") -> tuple[np.ndarray, np.ndarray]:
    """Summed log-probability of each item's continuation, and its token count.

    ``per_layer=False``: sums from the logits, shape ``[n]``. ``per_layer=True`` (logit
    lens): shape ``[n, n_layers + 1]``, layer l read as unembed(final_norm(h_l)); the last
    entry is read exactly as the model reads it, so it equals the logits' sum.
    """
    import torch

    n_tokens = np.array([it.n_tokens for it in items], dtype=np.int64)
    sums: np.ndarray | None = None if per_layer else np.zeros(len(items))
    normed_last: bool | None = None
    for idx, out in forward_batches(model, [it.ids for it in items], batch_size=batch_size,
                                    hidden=per_layer, pad_id=pad_id_of(tokenizer), desc=desc,
                                    show_progress=show_progress):
        rows, pos, tgt, owner = [], [], [], []
        for r, i in enumerate(idx):
            it = items[i]
            for t in range(it.first, len(it.ids)):
                rows.append(r)
                pos.append(t - 1)
                tgt.append(it.ids[t])
                owner.append(i)
        device = out.logits.device
        rows_t = torch.tensor(rows, device=device)
        pos_t = torch.tensor(pos, device=device)
        tgt_t = torch.tensor(tgt, device=device)
        owner_np = np.array(owner)
        if not per_layer:
            logp = torch.log_softmax(out.logits[rows_t, pos_t].float(), dim=-1)
            token_lp = logp.gather(1, tgt_t[:, None])[:, 0].cpu().numpy().astype(np.float64)
            np.add.at(sums, owner_np, token_lp)
            continue
        layers = out.hidden_states
        if sums is None:
            sums = np.zeros((len(items), len(layers)))
        if normed_last is None:
            normed_last = _final_is_normed(model, layers[-1][rows_t[:1], pos_t[:1]],
                                           out.logits[rows_t[:1], pos_t[:1]])
        head, norm = model.get_output_embeddings(), final_norm(model)
        picked = torch.stack([h[rows_t, pos_t] for h in layers])  # [layers, K, hidden]
        n_norm = len(layers) - 1 if normed_last else len(layers)
        picked = torch.cat([norm(picked[:n_norm]), picked[n_norm:]])
        # read several layers per matmul, within ~2^28 logits (1 GiB in float32)
        step = max(1, (1 << 28) // max(1, len(rows) * head.weight.shape[0]))
        for lo in range(0, len(layers), step):
            logp = torch.log_softmax(readout(model, picked[lo:lo + step]).float(), dim=-1)
            token_lp = logp.gather(2, tgt_t[None, :, None].expand(logp.shape[0], -1, 1))
            for k, lp in enumerate(token_lp[..., 0].cpu().numpy().astype(np.float64)):
                np.add.at(sums[:, lo + k], owner_np, lp)
    assert sums is not None
    check_finite(sums, model, "log-probabilities" + (" at some layer" if per_layer else ""))
    return sums, n_tokens
