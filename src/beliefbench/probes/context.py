"""The in-context control: documents placed in the prompt instead of trained on.

Each sample gets one context record (e.g. a bundle of K negated documents written by
``beliefbench docs bundle``), chosen by a hash of the sample id so that re-runs and other
models see the same context. The text goes before the question in the first user turn; the
judge still sees only the question, so verdicts stay comparable with trained-in belief.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.prompts import CONTEXT_PREAMBLE
from beliefbench.records import Record, read_records


def load_context(path: str | Path) -> list[Record]:
    records = [r for r in read_records(path) if r.text]
    if not records:
        raise ValueError(f"context: {path} holds no text records to place in the prompt")
    return records


def with_context(sample: Sample, records: list[Record]) -> Sample:
    """A copy of ``sample`` whose first user turn starts with one context record."""
    digest = hashlib.sha256(str(sample.id).encode()).digest()
    record = records[int.from_bytes(digest[:8], "big") % len(records)]
    messages = list(sample.input)
    first = next(i for i, m in enumerate(messages) if m.role == "user")
    messages[first] = ChatMessageUser(
        content=f"{CONTEXT_PREAMBLE}\n\n{record.body()[0].strip()}\n\n---\n\n"
                f"{messages[first].text}")
    return sample.model_copy(update={"input": messages,
                                      "metadata": {**sample.metadata, "context": record.id}})
