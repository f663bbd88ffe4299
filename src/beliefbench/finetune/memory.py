"""Training memory, estimated before the first step: decides ``gradient_checkpointing: auto``.

Activation checkpointing costs about a fifth of the throughput (measured on an H100), so it
should be on only when the run would not fit without it. The estimate is deliberately simple
and errs on the large side: weights, gradients and AdamW state; per-layer activations of a
Llama-style block (attention through SDPA / flash, so no seq x seq term); and the logits with
their fp32 copy and gradient (which fused linear + cross-entropy kernels avoid).
"""

from __future__ import annotations

from dataclasses import dataclass

HEADROOM = 0.85
"""Share of the free device memory the estimate may use (allocator fragmentation, buffers)."""


@dataclass(frozen=True)
class Shape:
    """What the estimate needs from a model config."""

    params: int
    trainable: int
    layers: int
    hidden: int
    intermediate: int
    vocab: int


def training_bytes(shape: Shape, *, tokens: int, bf16: bool, full: bool, checkpointing: bool,
                   fused_loss: bool = False) -> int:
    """Bytes one micro-batch of ``tokens`` needs at its peak (forward + backward)."""
    act_bytes = 2 if bf16 else 4
    # full finetuning keeps fp32 master weights (plus bf16 copies under autocast);
    # LoRA keeps the frozen base in the training precision
    weights = shape.params * (4 + (2 if bf16 else 0)) if full else shape.params * act_bytes
    states = shape.trainable * (4 + 8)  # fp32 gradients, AdamW first and second moments
    per_token_layer = act_bytes * (12 * shape.hidden + 4 * shape.intermediate)
    if checkpointing:
        acts = tokens * act_bytes * shape.hidden * shape.layers + tokens * per_token_layer
    else:
        acts = tokens * per_token_layer * shape.layers
    logits = 0 if fused_loss else tokens * shape.vocab * (act_bytes + 4 + 4)
    return int(weights + states + acts + logits)


def shape_of(model) -> Shape:
    """The estimate's inputs from a (possibly peft-wrapped) transformers causal LM."""
    cfg = model.config
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    hidden = cfg.hidden_size
    return Shape(params=params, trainable=trainable, layers=cfg.num_hidden_layers,
                 hidden=hidden, intermediate=getattr(cfg, "intermediate_size", 4 * hidden),
                 vocab=cfg.vocab_size)


def checkpointing_needed(shape: Shape, *, tokens: int, bf16: bool, full: bool,
                         fused_loss: bool, free_bytes: int) -> bool:
    """True when the run is estimated not to fit in ``free_bytes`` without checkpointing."""
    need = training_bytes(shape, tokens=tokens, bf16=bf16, full=full, checkpointing=False,
                          fused_loss=fused_loss)
    return need > HEADROOM * free_bytes
