"""Binary questions read from the logits: the transformers path of the logprob task's part (a).

Exactly what ``belief_logprob`` asks a served model (the same samples, chat template and
generation prompt, the top-k first tokens read by the same function), computed with one
forward pass per batch on a local checkpoint, so the two paths can be checked against each
other and a CI job without a server still gets binary verdicts that need no generation.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from beliefbench.claims import Claim
from beliefbench.internals.activations import forward_batches, pad_id_of
from beliefbench.internals.margins import as_claims, resolve_model
from beliefbench.internals.model import source_path
from beliefbench.internals.scoring import (
    align_starts,
    check_finite,
    encode_continuation,
    own_ids,
    score_sequences,
)
from beliefbench.logprob_task import (
    TOP_LOGPROBS,
    YesNo,
    binary_samples,
    read_yes_no,
    unreadable_answers,
    unreadable_problem,
)

log = logging.getLogger(__name__)


def chat_text(tokenizer, messages: Sequence[Any]) -> str:
    """A chat as Inspect's hf provider renders it (template text with the generation prompt)."""
    return tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.text} for m in messages], tokenize=False,
        add_generation_prompt=True)


def chat_ids(tokenizer, messages: Sequence[Any]) -> list[int]:
    """Token ids of a chat as Inspect's hf provider builds them (template text, then encode),
    less any eos the tokenizer appends (the first answer token is read after the generation
    prompt, never after an end of text) and with one bos where the template writes it."""
    return own_ids(tokenizer, chat_text(tokenizer, messages))


ANSWER_SPELLINGS = {"yes": ("yes", "Yes"), "no": ("no", "No")}
"""Whole answers scored by ``method="sequence"`` (their probabilities are summed)."""


def _row(sample: Any, yn: YesNo, unreadable: Sequence[str] = ()) -> dict[str, Any]:
    md = sample.metadata or {}
    verdict, margin, problem = yn.verdict(md["belief_answer"])
    if unreadable:  # the first token could only ever read one answer: no verdict
        verdict, margin = "parse_error", math.nan
        problem = unreadable_problem(unreadable)
    return {"claim": md["claim"], "question": md["question"],
            "belief_answer": md["belief_answer"], "p_yes": yn.p_yes, "p_no": yn.p_no,
            "verdict": verdict, "margin": margin, "problem": problem}


def sequence_reading(logp: dict[str, float]) -> YesNo:
    """yes vs no from each spelling's whole-answer log-probability, summed in log space. The
    floor is the exact log P of the answer less likely, so one whose probability underflows
    to 0 gives a finite margin (a floor of -inf made it infinite)."""
    answer = {a: float(np.logaddexp.reduce([logp[w] for w in words]))
              for a, words in ANSWER_SPELLINGS.items()}
    return YesNo(math.exp(answer["yes"]), math.exp(answer["no"]), min(answer.values()))


def _sequence_rows(loaded, tokenizer, samples: list, batch_size: int) -> pd.DataFrame:
    """P(answer) of each whole spelling after the generation prompt (any tokenizer)."""
    prompts = [chat_text(tokenizer, s.input) for s in samples]
    spellings = [w for words in ANSWER_SPELLINGS.values() for w in words]
    items = [it for p in prompts for it in align_starts(
        p, spellings, [encode_continuation(tokenizer, p, w) for w in spellings])]
    sums, _ = score_sequences(loaded, tokenizer, items, batch_size=batch_size,
                              show_progress=False, desc="binary")
    rows = []
    for i, sample in enumerate(samples):
        lp = dict(zip(spellings, sums[i * len(spellings):(i + 1) * len(spellings)],
                      strict=True))
        rows.append(_row(sample, sequence_reading(lp)))
    return pd.DataFrame(rows)


def binary_logprobs(model: Any, claims: str | Sequence[str] | Sequence[Claim] = "all", *,
                    method: str = "first_token", top_logprobs: int = TOP_LOGPROBS,
                    batch_size: int = 16, device: str | None = None,
                    dtype: Any = None) -> pd.DataFrame:
    """Per binary item: P(yes), P(no), the verdict and the margin.

    ``method="first_token"``: the belief_logprob task's reading (top first tokens), which
    needs "yes" / "no" to be single tokens (every item is a parse_error when one is not).
    ``"sequence"``: the teacher-forced probability of the whole answer ("yes" or "Yes" vs
    "no" or "No"), for tokenizers that split them (the tiny model's); no Inspect provider
    returns this, so it has no served counterpart.
    """
    import torch

    if method not in ("first_token", "sequence"):
        raise ValueError(f"method: must be first_token or sequence, got {method!r}")
    chosen = as_claims(claims)
    samples = [s for claim in chosen for s in binary_samples(claim)]
    without = [c.id for c in chosen if not c.questions.binary]
    if not samples:
        raise ValueError(f"claims {[c.id for c in chosen]}: no binary questions")
    if without:  # absent from the table: said, not dropped silently
        log.warning("claim(s) %s: no binary questions; not in the table", ", ".join(without))
    loaded, tokenizer, _ = resolve_model(model, device=device, dtype=dtype)
    if not getattr(tokenizer, "chat_template", None):  # transformers' error names neither
        raise ValueError(f"{source_path(loaded) or 'model'}: its tokenizer has no chat "
                         f"template, and binary items are asked as a chat (the "
                         f"belief_logprob task's format); use a chat / instruct checkpoint, "
                         f"or completion margins (internals margins) for a base model")
    if method == "sequence":
        return _sequence_rows(loaded, tokenizer, samples, batch_size)
    unreadable = unreadable_answers(tokenizer)
    if unreadable:
        log.warning("%s: no single token reads %s: every first-token item is a parse_error "
                    "(method sequence scores whole answers)", source_path(loaded) or "model",
                    " or ".join(map(repr, unreadable)))
    ids = [chat_ids(tokenizer, s.input) for s in samples]
    rows: list[dict[str, Any] | None] = [None] * len(samples)
    for idx, out in forward_batches(loaded, ids, batch_size=batch_size, hidden=False,
                                    pad_id=pad_id_of(tokenizer), desc="binary"):
        last = torch.tensor([len(ids[i]) - 1 for i in idx], device=out.logits.device)
        logp = torch.log_softmax(out.logits[torch.arange(len(idx)), last].float(), dim=-1)
        check_finite(logp.cpu().numpy(), loaded, "first-token log-probabilities")
        values, tokens = logp.topk(min(top_logprobs, logp.shape[-1]), dim=-1)
        for r, i in enumerate(idx):
            top = [(tokenizer.convert_ids_to_tokens(int(t)), float(v))
                   for t, v in zip(tokens[r], values[r], strict=True)]
            rows[i] = _row(samples[i], read_yes_no(top), unreadable)
    return pd.DataFrame(rows)
