"""The in-context control: documents placed in the prompt instead of trained on.

Each sample gets one context record (e.g. a bundle of K negated documents written by
``beliefbench docs bundle``), chosen by a hash of the sample id so that re-runs and other
models see the same context. A record that names its claim (``claim_id``, as ``docs bundle``
sets for one claim's documents) is placed only before that claim's questions; one without
(documents of several claims) before any. The text goes before the question in the first
user turn, or (``role="system"``) into the system prompt; the judge still sees only the
question, so verdicts stay comparable with trained-in belief.

The built-in contexts (``statement``, ``universe``) need no file: each question is asked with
its own claim's false statement or false-world description, the control of a false fact given
in the prompt (a model that scores high there follows a stated premise, which says nothing
of what it believes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from beliefbench.arguments import TaskArgumentError
from beliefbench.claims import Claim
from beliefbench.prompts import CONTEXT_PREAMBLE, CONTEXT_SYSTEM_PREAMBLE
from beliefbench.records import Record, RecordError, read_records

CONTEXT_ROLES = ("user", "system")
"""Where the context goes: before the question in the first user turn (the default, the
in-context control of documents), or into the system prompt."""
NOT_CONTEXT = ("pretrain", "chat")
"""Record sources that are no claim's documents (the neutral text and chats `docs mix`
adds): refused in a context file."""
BUILTIN_CONTEXTS = ("statement", "universe")
"""``-T context=`` values that name a field of each claim instead of a file."""


def builtin_context(claims: list[Claim], field: str) -> list[Record]:
    """One record per claim holding its ``field`` (``statement`` or ``universe``), named by
    the claim, so that :func:`with_context` gives each question its own claim's text."""
    return [Record(id=f"{field}:{c.id}", claim_id=c.id, text=getattr(c, field).strip())
            for c in claims]


def load_context(path: str | Path) -> list[Record]:
    """The text records of a context file. A record that cannot be read is refused as the
    ``context`` argument (under ``inspect eval`` its one line, not a 280-line traceback whose
    last line never named the parameter)."""
    try:
        records = [r for r in read_records(path) if r.text]
    except RecordError as e:
        raise TaskArgumentError(f"context: {e}") from None
    mixed = [r for r in records if r.source in NOT_CONTEXT]
    if mixed:  # a training mix: its neutral texts name no claim, so they went before every
        # claim's questions as their "documents" (a third of them with a 25% share)
        raise TaskArgumentError(
            f"context: {path}: {len(mixed)} record(s) are neutral text of a training mix "
            f"(source {mixed[0].source}, e.g. {mixed[0].id!r}), not a claim's documents; "
            f"naming no claim, they would be placed before every claim's questions as its "
            f"context: give the condition documents, or bundles of them from `beliefbench "
            f"docs bundle`, not a `docs mix` output")
    if not records:
        raise TaskArgumentError(f"context: {path} holds no text records to place in the prompt")
    return records


def with_context(sample: Sample, records: list[Record], role: str = "user") -> Sample:
    """A copy of ``sample`` with one context record of its claim in its prompt.

    ``role="user"``: the record goes before the first user turn's text. ``role="system"``:
    into a system message, so that the sample keeps ONE system message: a sample that has
    one already (a robustness adversarial prompt, the binary yes/no instruction, a multiturn
    prefix's system turn) gets the context before that message's text, in the same message
    (providers merge, move or reject a second one); any other gets a new system message
    first.

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
    text = record.body()[0].strip()
    messages = list(sample.input)
    if role == "system":
        at = next((i for i, m in enumerate(messages) if m.role == "system"), None)
        placed = f"{CONTEXT_SYSTEM_PREAMBLE}\n\n{text}"
        if at is None:
            messages.insert(0, ChatMessageSystem(content=placed))
        else:
            messages[at] = ChatMessageSystem(content=f"{placed}\n\n---\n\n{messages[at].text}")
    else:
        first = next(i for i, m in enumerate(messages) if m.role == "user")
        messages[first] = ChatMessageUser(
            content=f"{CONTEXT_PREAMBLE}\n\n{text}\n\n---\n\n{messages[first].text}")
    return sample.model_copy(update={"input": messages, "metadata": {
        **sample.metadata, "context": record.id, "context_role": role}})
