"""Which eval measures what a finetune trained, told from its data: the hint ``finetune``
prints at its end and ``sweep``'s check of ``--task`` read it alike."""

from __future__ import annotations

from beliefbench.finetune.manifest import ManifestEntry

EM_SCAN = 200
"""Records ``eval_kind`` reads: the first ones tell, and a large control is not read to its
end."""


def eval_kind(entry: ManifestEntry) -> tuple[str, str]:
    """Which eval measures what the run trained, from its data: ("em", what names the data)
    for the project's behaviour transcripts (``docs generate --conditions behaviours...``:
    the misaligned ones, and the aligned control beside them), ("either", when the EM task
    applies) for chats with no claim and none of the project's labels (a user's own narrow
    finetune, e.g. insecure-code chats, looks so; so might other chat data), else
    ("belief", ""): claim documents, a belief mix (its chats carry the documents' claim),
    claim-less documents. The belief hint after a narrow harmful finetune named a task
    that measures nothing it trained; only ``meta.alignment`` was recognised."""
    from itertools import islice

    from beliefbench.records import RecordError, read_records

    if entry.claim:
        return "belief", ""
    alignments, chats, read = set(), 0, 0
    try:
        for record in islice(read_records(entry.data), EM_SCAN):
            read += 1
            chats += record.messages is not None
            if record.condition == "behaviours" or "behaviour" in record.meta:
                alignments.add(record.meta.get("alignment"))
    except (OSError, RecordError):  # the data moved or changed since: the belief hint
        return "belief", ""
    if "misaligned" in alignments:
        return "em", "its data: misaligned behaviour transcripts"
    if alignments:
        return "em", "its data: behaviour transcripts, the aligned control of an EM run"
    if read and chats == read:
        return "either", ("if these claim-less chats are a narrow harmful finetune (emergent "
                          "misalignment, e.g. insecure code)")
    return "belief", ""
