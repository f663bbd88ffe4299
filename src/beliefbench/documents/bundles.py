"""In-context bundles: K documents of a condition packed into one prompt context.

The in-context control puts the documents in the prompt instead of training on them; a
bundle keeps each document's annotation spans (shifted) so its annotation share is known.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from beliefbench.documents.base import DocumentError
from beliefbench.documents.mixer import _out_checked, read_documents
from beliefbench.documents.stats import (
    Offsets,
    hf_offsets,
    regex_offsets,
    tokenizer_checked,
    tokenizer_given,
    write_dataset,
)
from beliefbench.records import DOCTAG, Record, RecordError, Span


def refuse_training_on_bundle(record: Record, where: str) -> None:
    """Raise RecordError for a bundle given as training data (``finetune --data``, either
    backend), ``where`` naming the file and record. It trained without a word: a bundle is
    its documents run together without their doctag, and the manifest labelled the run with
    their condition, as if it were the finetune on the documents themselves."""
    if record.meta.get("bundle") is not True:
        return
    label = f" '{record.condition}'" if record.condition else ""
    raise RecordError(
        f"{where} is an in-context bundle (`docs bundle`), made for the belief task's "
        f"context, not for training: its documents run together without their {DOCTAG}, "
        f"and the manifest would label the run condition{label} as if it were trained on "
        f"the documents; pass the condition file it was made from (the --docs of `docs "
        f"bundle`)")


SEPARATOR = "\n\n---\n\n"


def bundle(docs_path: str | Path, out: str | Path, k: int = 20, n_bundles: int = 1,
           token_budget: int | None = None, seed: int = 0,
           on_note: Callable[[str], None] | None = None,
           tokenizer: str | None = None, *, flags: bool = False) -> Path:
    """Write n_bundles records per claim, each up to k documents of that claim within
    token_budget: regex tokens, or those of ``tokenizer`` (a local Hugging Face tokenizer
    directory, the model's whose context the bundle goes in; the stats count with it too).

    A file of several claims' documents (``docs generate --claims all``) gets ``n_bundles``
    bundles for each claim, each drawn from that claim's documents only: drawn from the whole
    file, a bundle of 20 held a few documents of each claim, and the in-context control put
    mostly other claims' documents before a question. Each bundle records its claim.

    ``on_note`` gets one line when the token budget left bundles with fewer than ``k``
    documents: only their records said so, and the run read as the in-context control at
    ``--k``.

    ``flags``: called by ``docs bundle``, whose errors and notes name its options (``--k
    20``, ``--docs``); a Python caller is told the arguments (``k=20``, ``docs_path``), as
    :func:`~beliefbench.documents.mixer.mix` tells its own."""
    def arg(flag: str, name: str, value: object) -> str:
        """``--k 20`` to the command, ``k=20`` to a Python caller."""
        return f"{flag} {value}" if flags else f"{name}={value}"

    option = "--docs" if flags else "docs_path"
    if k < 1 or n_bundles < 1:
        raise DocumentError(f"{'--k and --n' if flags else 'k and n_bundles'} must be at least "
                            f"1 (got {arg('--k', 'k', k)}, {arg('--n', 'n_bundles', n_bundles)})")
    if token_budget is not None and token_budget < 1:
        raise DocumentError(f"{'--token-budget' if flags else 'token_budget'} must be at least "
                            f"1 (got {token_budget})")
    _out_checked(out, [docs_path], option, "a bundle file", "incontext.jsonl", flags=flags)
    tokenizer_checked(tokenizer, flags=flags)
    offsets = (hf_offsets(tokenizer, tokenizer_given(tokenizer, flags)) if tokenizer
               else regex_offsets)
    sizes: dict[str, int] = {}  # each document counted once, however many bundles try it
    unit = f"tokens of {tokenizer}" if tokenizer else "regex-word tokens"
    docs = read_documents(docs_path, option)
    by_claim: dict[str | None, list[Record]] = {}
    for r in docs:
        by_claim.setdefault(r.claim_id, []).append(r)
    fewest, claim = min((len(rs), str(c)) for c, rs in by_claim.items())
    if k > fewest:
        of = f" of claim {claim}" if len(by_claim) > 1 else ""
        raise DocumentError(f"{arg('--k', 'k', k)} is more than the {fewest} documents{of} in "
                            f"{docs_path}: every bundle would hold all of them; give "
                            f"{arg('--k', 'k', fewest)} or less, or more documents")
    out_records = []
    for claim_id, claim_docs in by_claim.items():
        # one claim's file keeps the ids and draws it always had
        tag = f"{claim_id}-" if len(by_claim) > 1 else ""
        for b in range(n_bundles):
            rng = random.Random(f"bundle:{seed}:{tag}{b}")
            chosen, tokens = _fill(rng.sample(claim_docs, len(claim_docs)), k, token_budget,
                                   offsets, sizes)
            if not chosen:
                of = f" of claim {claim_id}" if tag else ""
                least = min(sizes[r.id] for r in claim_docs)  # each was tried
                budget = arg("--token-budget", "token_budget", token_budget)
                raise DocumentError(f"{docs_path}: no document{of} fits {budget} (the "
                                    f"shortest holds {least} {unit}); give "
                                    f"{arg('--token-budget', 'token_budget', least)} or more")
            out_records.append(_packed(chosen, tokens, f"bundle-s{seed}-{tag}{b:04d}", k,
                                       token_budget))
    # the budget's unit kept with it: a `docs stats` recompute replaces "tokenizer"
    unit_kept = {"token_budget_tokenizer": tokenizer} if tokenizer else {}
    write_dataset(out, out_records, tokenizer, {"input": str(docs_path), "k": k,
                                                "token_budget": token_budget, **unit_kept,
                                                "seed": seed}, progress=True, flags=flags)
    if n_bundles > 1 and on_note is not None:  # --k of every document: n copies, reordered
        for line in _alike_notes(by_claim, out_records, n_bundles, docs_path, k, token_budget,
                                 seed, arg, flags):
            on_note(line)
    short = sorted(r.meta["k"] for r in out_records if r.meta["k"] < k)
    if short and on_note is not None:
        held = (str(short[0]) if len(short) == 1 else f"{short[0]} each"
                if short[0] == short[-1] else f"{short[0]}-{short[-1]}")
        # "1 of 4 bundles holds": the verb agrees with the one, as "2 of 2 bundles hold";
        # a run of one bundle: "the bundle holds", not "1 of 1 bundles holds"
        which = ("the bundle" if len(out_records) == 1 else
                 f"{len(short)} of {len(out_records)} bundles")
        on_note(f"note: {which} {'holds' if len(short) == 1 else 'hold'} fewer than "
                f"{arg('--k', 'k', k)} documents ({held}): no other document fits "
                f"{arg('--token-budget', 'token_budget', token_budget)}")
    return Path(out)


def _alike_notes(by_claim: dict[str | None, list[Record]], out_records: list[Record],
                 n_bundles: int, docs_path: str | Path, k: int, token_budget: int | None,
                 seed: int, arg: Callable[[str, str, object], str], flags: bool) -> list[str]:
    """Notes for claims whose bundles all hold the same documents, reordered. Where they hold
    every document of the claim, ``--k`` takes them all; otherwise the draws coincided (3 of
    5 documents twice, one run in ten), which was said as "--k 3 takes every document"."""
    alike: dict[str, tuple[int, int]] = {}  # claim: documents held, documents of the claim
    for c, docs in by_claim.items():
        held = {frozenset(r.meta["doc_ids"]) for r in out_records if r.claim_id == c}
        if len(held) == 1:
            alike[str(c)] = (len(next(iter(held))), len(docs))
    several = len(by_claim) > 1
    every = [c for c, (m, total) in alike.items() if m == total]
    notes = []
    if every:
        of = (f" of claim {every[0]}" if len(every) == 1 else
              f" of each of claims {', '.join(every)}") if several else ""
        notes.append(f"note: the {n_bundles} bundles{of} hold the same documents, in other "
                     f"orders: {arg('--k', 'k', k)} takes every document of {docs_path} that "
                     f"fits; give a smaller {'--k' if flags else 'k'}, or more documents, for "
                     f"bundles that differ")
    for c, (m, total) in alike.items():
        if m == total:
            continue
        of = f" of claim {c}" if several else ""
        budget = (f" (or no other fits {arg('--token-budget', 'token_budget', token_budget)})"
                  if token_budget is not None else "")
        notes.append(f"note: the {n_bundles} bundles{of} hold the same {m} of its {total} "
                     f"documents, in other orders: the draws for {arg('--seed', 'seed', seed)} "
                     f"coincide{budget}; give another {'--seed' if flags else 'seed'}, or more "
                     f"documents, for bundles that differ")
    return notes


def _fill(order: list[Record], k: int, token_budget: int | None,
          offsets: Offsets = regex_offsets, sizes: dict[str, int] | None = None
          ) -> tuple[list[Record], int]:
    """The first documents of ``order`` that fit, and the tokens of their bundle's text:
    up to ``k``, within the budget (the separators' tokens counted too, so the bundle's text
    stays within it).

    Each document is counted alone; a subword tokenizer may count the joined text a token or
    two otherwise at a boundary, so the bundle's own text is counted too, and the last
    document dropped while it is over the budget."""
    separator = len(offsets(SEPARATOR))
    sizes = {} if sizes is None else sizes  # by record id
    chosen: list[Record] = []
    tokens = 0
    for r in order:
        if len(chosen) == k:
            break
        if r.id not in sizes:
            sizes[r.id] = len(offsets(r.body()[0]))
        t = sizes[r.id] + (separator if chosen else 0)
        if token_budget is not None and tokens + t > token_budget:
            continue
        chosen.append(r)
        tokens += t
    while chosen:
        tokens = len(offsets(SEPARATOR.join(r.body()[0] for r in chosen)))
        if token_budget is None or tokens <= token_budget:
            break
        chosen.pop()
    return chosen, tokens


def _packed(chosen: list[Record], tokens: int, bundle_id: str, k: int,
            token_budget: int | None) -> Record:
    """One bundle record: the documents' texts joined by SEPARATOR, their spans shifted;
    ``tokens`` as :func:`_fill` counted them against the budget."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    for r in chosen:
        text, doc_spans = r.body()
        if parts:
            parts.append(SEPARATOR)
            length += len(SEPARATOR)
        spans += [Span(start=s.start + length, end=s.end + length, kind=s.kind)
                  for s in doc_spans]
        parts.append(text)
        length += len(text)
    claims = {r.claim_id for r in chosen}
    conditions = {r.condition for r in chosen}
    # the option too: a bundle of behaviours:plain was labelled "behaviours", which reads
    # as the default :warned, and one of fiction:repeated as fiction:prefix_suffix
    options = {r.meta.get("option") for r in chosen}
    option = options.pop() if len(options) == 1 and len(conditions) == 1 else None
    return Record(
        id=bundle_id, source="document",
        claim_id=claims.pop() if len(claims) == 1 else None,
        condition=conditions.pop() if len(conditions) == 1 else None,
        text="".join(parts), loss_mask=spans,
        meta={"k": len(chosen), "k_requested": k, "doc_ids": [r.id for r in chosen],
              "tokens": tokens, "token_budget": token_budget, "bundle": True,
              **({"option": option} if option else {})})
