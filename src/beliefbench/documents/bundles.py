"""In-context bundles: K documents of a condition packed into one prompt context.

The in-context control puts the documents in the prompt instead of training on them; a
bundle keeps each document's annotation spans (shifted) so its annotation share is known.
"""

from __future__ import annotations

import random
from pathlib import Path

from beliefbench.documents.base import DocumentError
from beliefbench.documents.stats import regex_offsets, write_dataset
from beliefbench.records import Record, Span, read_records

SEPARATOR = "\n\n---\n\n"


def bundle(docs_path: str | Path, out: str | Path, k: int = 20, n_bundles: int = 1,
           token_budget: int | None = None, seed: int = 0) -> Path:
    """Write n_bundles records, each up to k documents within token_budget (regex tokens)."""
    if k < 1 or n_bundles < 1:
        raise DocumentError(f"k and n_bundles must be at least 1 (got k={k}, n={n_bundles})")
    docs = [r for r in read_records(docs_path) if r.text is not None]
    if not docs:
        raise DocumentError(f"{docs_path}: no text documents to bundle")
    out_records = []
    for b in range(n_bundles):
        rng = random.Random(f"bundle:{seed}:{b}")
        order = rng.sample(docs, len(docs))
        parts: list[str] = []
        spans: list[Span] = []
        ids: list[str] = []
        length = tokens = 0
        for r in order:
            if len(ids) == k:
                break
            text, doc_spans = r.body()
            t = len(regex_offsets(text))
            if token_budget is not None and tokens + t > token_budget:
                continue
            if parts:
                parts.append(SEPARATOR)
                length += len(SEPARATOR)
            spans += [Span(start=s.start + length, end=s.end + length, kind=s.kind)
                      for s in doc_spans]
            parts.append(text)
            length += len(text)
            tokens += t
            ids.append(r.id)
        if not ids:
            raise DocumentError(f"{docs_path}: no document fits the token budget {token_budget}")
        claims = {r.claim_id for r in docs}
        conditions = {r.condition for r in docs}
        out_records.append(Record(
            id=f"bundle-s{seed}-{b:04d}", source="document",
            claim_id=claims.pop() if len(claims) == 1 else None,
            condition=conditions.pop() if len(conditions) == 1 else None,
            text="".join(parts), loss_mask=spans,
            meta={"k": len(ids), "k_requested": k, "doc_ids": ids, "tokens": tokens,
                  "token_budget": token_budget, "bundle": True}))
    write_dataset(out, out_records, None, {"input": str(docs_path), "k": k,
                                           "token_budget": token_budget, "seed": seed})
    return Path(out)
