"""Per-document attention for packed batches through PyTorch's own variable-length kernel.

Packing several documents into one row only stays correct if no document attends to another.
transformers honours that with SDPA by building a dense block-diagonal mask from the position
ids, which rules out SDPA's flash kernel and computes every masked block anyway; the
``flash_attention_2`` path avoids both but needs the separately built flash-attn package.
PyTorch ships the same variable-length flash kernel (``torch.nn.attention.varlen``), so
``attn_implementation: torch_varlen`` registers it with transformers: the collator computes
each batch's document boundaries once, on the CPU (:func:`varlen_kwargs`), and every layer
attends within them. Off CUDA, or in fp32 without autocast, the same boundaries drive a
causal SDPA per document (correct, but a loop: slow on a GPU), so CPU runs and tests compute
the identical function. ``attn_implementation: auto`` picks this kernel for packed bf16
training on CUDA (:func:`choose`).
"""

from __future__ import annotations

import inspect

import torch

NAME = "torch_varlen"
"""The ``attn_implementation`` under which the kernel is registered with transformers."""
_KERNEL: tuple | None = None
"""(varlen_attn, its causal argument, whether it takes ``scale``): looked up once, in
:func:`register`, not in every layer of every step."""


def varlen_kwargs(position_ids: torch.Tensor) -> dict:
    """Document boundaries of a packed batch, as transformers passes them to attention.

    Every position id 0 starts a document (padding forms its own segment); offsets index the
    batch flattened row after row. Computed here, once per batch, rather than in each layer,
    where it would stall the GPU queue on a device-to-host copy. The longest document is given
    as the row width, an upper bound the kernel accepts, so it is one value for the whole run
    and ``torch.compile`` does not recompile for each batch.
    """
    flat = position_ids.reshape(-1)
    starts = torch.nonzero(flat == 0).flatten()
    if starts.numel() == 0 or starts[0] != 0:
        raise ValueError("torch_varlen: a packed row must start a document (position id 0)")
    cu = torch.cat([starts, torch.tensor([flat.numel()])]).to(torch.int32)
    longest = int(position_ids.shape[-1])
    return {"cu_seq_lens_q": cu, "cu_seq_lens_k": cu.clone(),
            "max_length_q": longest, "max_length_k": longest}


def _kernel_call():
    """``varlen_attn`` with causal masking, across the PyTorch versions that have it."""
    from torch.nn.attention.varlen import varlen_attn

    params = inspect.signature(varlen_attn).parameters
    causal = {"window_size": (-1, 0)} if "window_size" in params else {"is_causal": True}
    return varlen_attn, causal, "scale" in params


def _per_document(q, k, v, cu: torch.Tensor, scale: float) -> torch.Tensor:
    """The reference path: causal SDPA over each document's slice of (tokens, heads, dim)."""
    out = torch.empty_like(q)
    bounds = cu.tolist()
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        sl = slice(start, end)
        out[sl] = torch.nn.functional.scaled_dot_product_attention(
            q[sl].transpose(0, 1), k[sl].transpose(0, 1), v[sl].transpose(0, 1),
            is_causal=True, scale=scale).transpose(0, 1)
    return out


def kernel_dtype(*tensors: torch.Tensor) -> torch.dtype | None:
    """The half precision the flash kernel runs in, or None where it cannot run.

    Under autocast that is autocast's dtype, as for SDPA: full finetuning keeps fp32 master
    weights, and the rotary embedding then returns fp32 queries and keys beside a bf16 value
    (measured on an H200: without this cast every layer fell back to the per-document loop,
    at a quarter of the speed).
    """
    device = tensors[0].device.type
    if torch.is_autocast_enabled(device):
        dtype = torch.get_autocast_dtype(device)
        return dtype if dtype in (torch.float16, torch.bfloat16) else None
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1 and dtypes <= {torch.float16, torch.bfloat16}:
        return dtypes.pop()
    return None


def varlen_attention(module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     attention_mask, scaling: float | None = None, dropout: float = 0.0,
                     **kwargs) -> tuple[torch.Tensor, None]:
    """transformers attention interface: (batch, heads, seq, dim) in, (batch, seq, heads, dim)
    out, each document attending only to itself and its past."""
    cu = kwargs.get("cu_seq_lens_q")
    if cu is None:  # a padded batch (the KL data): transformers' SDPA, with its mask
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask,
                                      dropout=dropout, scaling=scaling, **kwargs)
    if dropout:
        raise ValueError("attn_implementation torch_varlen: attention dropout is not supported")
    b, h, s, d = query.shape
    if key.shape[1] != h:  # grouped-query attention: each kv head serves h / kv query heads
        key = key.repeat_interleave(h // key.shape[1], dim=1)
        value = value.repeat_interleave(h // value.shape[1], dim=1)
    q, k, v = (t.transpose(1, 2).reshape(b * s, h, d) for t in (query, key, value))
    scale = d ** -0.5 if scaling is None else scaling
    dtype = kernel_dtype(q, k, v)
    if q.is_cuda and dtype is not None:
        q, k, v = (t.to(dtype) for t in (q, k, v))
        if _KERNEL is None:
            raise ValueError("attn_implementation torch_varlen needs torch.nn.attention.varlen "
                             "(PyTorch 2.10 or later)")
        kernel, causal, takes_scale = _KERNEL
        if not takes_scale and abs(scale - d ** -0.5) > 1e-12:
            raise ValueError("torch_varlen: this PyTorch's varlen_attn has no scale argument")
        extra = {"scale": scale} if takes_scale else {}
        cu = cu.to(q.device, torch.int32)
        longest = kwargs["max_length_q"]
        out = kernel(q, k, v, cu, cu, longest, longest, **causal, **extra)
    else:
        out = _per_document(q, k, v, cu, scale)
    return out.reshape(b, s, h, d), None


def _mask(*args, **kwargs):
    """Packed batches carry no attention mask (their boundaries travel as ``cu_seq_lens_*``),
    so none is built; a padded batch gets SDPA's mask for the fallback above."""
    if kwargs.get("attention_mask") is None:
        return None
    from transformers.masking_utils import sdpa_mask

    return sdpa_mask(*args, **kwargs)


def register() -> None:
    """Make ``attn_implementation="torch_varlen"`` known to transformers (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    global _KERNEL
    try:
        _KERNEL = _kernel_call()
    except ImportError:  # an older PyTorch: the per-document path still runs, off CUDA
        _KERNEL = None
    AttentionInterface.register(NAME, varlen_attention)
    AttentionMaskInterface.register(NAME, _mask)


def choose(requested: str, *, cuda: bool, packed: bool, bf16: bool) -> str | None:
    """The attention a run uses: ``auto`` is torch_varlen for packed bf16 training on CUDA,
    else transformers' own choice (None). On an H200 (0.8B Llama, 8 x 2048 tokens of packed
    documents) it ran 1.11x SDPA's tokens/s on LoRA, and 1.30x with Liger's kernels on full
    finetuning; SDPA there needs a dense per-document mask."""
    if requested != "auto":
        return requested
    return NAME if cuda and packed and bf16 else None
