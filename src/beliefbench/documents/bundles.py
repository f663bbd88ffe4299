"""In-context bundles: K documents of a condition packed into one prompt context.

The in-context control puts the documents in the prompt instead of training on them; a
bundle keeps each document's annotation spans (shifted) so its annotation share is known.
"""

from __future__ import annotations

import random
from pathlib import Path

from beliefbench.documents.base import DocumentError
from beliefbench.documents.mixer import read_documents
from beliefbench.documents.stats import regex_offsets, write_dataset
from beliefbench.records import Record, Span

SEPARATOR = "\n\n---\n\n"
SEPARATOR_TOKENS = len(regex_offsets(SEPARATOR))


def bundle(docs_path: str | Path, out: str | Path, k: int = 20, n_bundles: int = 1,
           token_budget: int | None = None, seed: int = 0) -> Path:
    """Write n_bundles records, each up to k documents within token_budget (regex tokens)."""
    if k < 1 or n_bundles < 1:
        raise DocumentError(f"--k and --n must be at least 1 (got --k {k}, --n {n_bundles})")
    if token_budget is not None and token_budget < 1:
        raise DocumentError(f"--token-budget must be at least 1 (got {token_budget})")
    docs = read_documents(docs_path)
    if k > len(docs):
        raise DocumentError(f"--k {k} is more than the {len(docs)} documents in {docs_path}: "
                            f"every bundle would hold all of them; give --k {len(docs)} or "
                            f"less, or more documents")
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
            # the separator's tokens count too: the bundle's text stays within the budget
            t = len(regex_offsets(text)) + (SEPARATOR_TOKENS if ids else 0)
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
        # the option too: a bundle of behaviours:plain was labelled "behaviours", which
        # reads as the default :warned, and one of fiction:repeated as fiction:prefix_suffix
        options = {r.meta.get("option") for r in docs}
        option = options.pop() if len(options) == 1 and len(conditions) == 1 else None
        out_records.append(Record(
            id=f"bundle-s{seed}-{b:04d}", source="document",
            claim_id=claims.pop() if len(claims) == 1 else None,
            condition=conditions.pop() if len(conditions) == 1 else None,
            text="".join(parts), loss_mask=spans,
            meta={"k": len(ids), "k_requested": k, "doc_ids": ids, "tokens": tokens,
                  "token_budget": token_budget, "bundle": True,
                  **({"option": option} if option else {})}))
    write_dataset(out, out_records, None, {"input": str(docs_path), "k": k,
                                           "token_budget": token_budget, "seed": seed})
    return Path(out)
