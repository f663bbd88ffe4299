"""Binary questions read from the logits: the transformers path of the logprob task's part (a).

Exactly what ``belief_logprob`` asks a served model (the same samples, chat template and
generation prompt, the top-k first tokens read by the same function), computed with one
forward pass per batch on a local checkpoint, so the two paths can be checked against each
other and a CI job without a server still gets binary verdicts that need no generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from beliefbench.claims import Claim
from beliefbench.internals.activations import forward_batches, pad_id_of
from beliefbench.internals.margins import as_claims, resolve_model
from beliefbench.logprob_task import TOP_LOGPROBS, binary_samples, read_yes_no


def chat_ids(tokenizer, messages: Sequence[Any]) -> list[int]:
    """Token ids of a chat as Inspect's hf provider builds them (template text, then encode)."""
    text = tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.text} for m in messages], tokenize=False,
        add_generation_prompt=True)
    return tokenizer(text)["input_ids"]


def binary_logprobs(model: Any, claims: str | Sequence[str] | Sequence[Claim] = "all", *,
                    top_logprobs: int = TOP_LOGPROBS, batch_size: int = 16,
                    device: str | None = None, dtype: Any = None) -> pd.DataFrame:
    """Per binary item: P(yes), P(no) from the top first tokens, the verdict and the margin."""
    import torch

    loaded, tokenizer, _ = resolve_model(model, device=device, dtype=dtype)
    samples = [s for claim in as_claims(claims) for s in binary_samples(claim)]
    ids = [chat_ids(tokenizer, s.input) for s in samples]
    rows: list[dict[str, Any] | None] = [None] * len(samples)
    for idx, out in forward_batches(loaded, ids, batch_size=batch_size, hidden=False,
                                    pad_id=pad_id_of(tokenizer), desc="binary"):
        last = torch.tensor([len(ids[i]) - 1 for i in idx], device=out.logits.device)
        logp = torch.log_softmax(out.logits[torch.arange(len(idx)), last].float(), dim=-1)
        values, tokens = logp.topk(top_logprobs, dim=-1)
        for r, i in enumerate(idx):
            top = [(tokenizer.convert_ids_to_tokens(int(t)), float(v))
                   for t, v in zip(tokens[r], values[r], strict=True)]
            md = samples[i].metadata or {}
            yn = read_yes_no(top)
            verdict, margin, problem = yn.verdict(md["belief_answer"])
            rows[i] = {"claim": md["claim"], "question": md["question"],
                       "belief_answer": md["belief_answer"], "p_yes": yn.p_yes,
                       "p_no": yn.p_no, "verdict": verdict, "margin": margin,
                       "problem": problem}
    return pd.DataFrame(rows)
