"""The in-context control: documents placed in the prompt instead of trained on.

Each sample gets one context record (e.g. a bundle of K negated documents written by
``beliefbench docs bundle``), chosen by a hash of the sample id so that re-runs and other
models see the same context. A record that names its claim (``claim_id``, as ``docs bundle``
sets for one claim's documents) is placed only before that claim's questions; one without
(documents of several claims) before any. The text goes before the question in the first
user turn; the judge still sees only the question, so verdicts stay comparable with
trained-in belief.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.arguments import TaskArgumentError
from beliefbench.prompts import CONTEXT_PREAMBLE
from beliefbench.records import Record, read_records


def load_context(path: str | Path) -> list[Record]:
    records = [r for r in read_records(path) if r.text]
    if not records:
        raise TaskArgumentError(f"context: {path} holds no text records to place in the prompt")
    return records


def with_context(sample: Sample, records: list[Record]) -> Sample:
    """A copy of ``sample`` whose first user turn starts with one context record of its claim.

    Only records of the sample's claim (or of no named claim) are drawn from: one file of
    several claims' bundles put, for most questions, another claim's documents before them,
    a control that measured nothing. A claim with no such record is refused, not run bare.
    """
    claim = sample.metadata["claim"]
    usable = [r for r in records if r.claim_id in (None, claim)]
    if not usable:
        named = sorted({str(r.claim_id) for r in records})
        raise TaskArgumentError(f"context: no record for claim {claim!r} (the records are "
                                f"for claims {named}); give a file with bundles of this "
                                f"claim's documents, or leave the claim out")
    digest = hashlib.sha256(str(sample.id).encode()).digest()
    record = usable[int.from_bytes(digest[:8], "big") % len(usable)]
    messages = list(sample.input)
    first = next(i for i, m in enumerate(messages) if m.role == "user")
    messages[first] = ChatMessageUser(
        content=f"{CONTEXT_PREAMBLE}\n\n{record.body()[0].strip()}\n\n---\n\n"
                f"{messages[first].text}")
    return sample.model_copy(update={"input": messages,
                                      "metadata": {**sample.metadata, "context": record.id}})
