"""Records -> token ids and labels, with the loss masked where the records say.

Text records: every token is trained except those overlapping a ``doctag`` or ``mask`` span
(character spans mapped to tokens through the tokenizer's offsets). Chat records: only the
assistant turns (with their end-of-turn token) are trained. Masked positions get label -100,
which the model's loss ignores.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from beliefbench.documents.bundles import refuse_training_on_bundle
from beliefbench.records import (
    Record,
    RecordError,
    count_records,
    read_records,
    repeated_ids,
    repeated_ids_note,
)
from beliefbench.wording import first_line

log = logging.getLogger(__name__)

IGNORE = -100


def _labels_outside(offsets: Sequence[tuple[int, int]], ids: list[int],
                    spans: Iterable[tuple[int, int]], *, keep_inside: bool) -> list[int]:
    """Labels: token ids where a token is trainable, IGNORE elsewhere.

    ``keep_inside``: train tokens overlapping ``spans`` (chat assistant turns) rather than
    tokens outside them (masked spans). Zero-width tokens (bos) are never trained.
    """
    spans = list(spans)
    labels = []
    for tid, (a, b) in zip(ids, offsets, strict=True):
        if b <= a:
            labels.append(IGNORE)
            continue
        overlaps = any(a < e and s < b for s, e in spans)
        labels.append(tid if overlaps == keep_inside else IGNORE)
    return labels


def chat_text_and_spans(messages: list[dict], tokenizer) -> tuple[str, list[tuple[int, int]]]:
    """Render a chat with the tokenizer's template; return it and the assistant turns' spans.

    Each assistant span runs from the end of the generation prompt before it to the end of the
    turn, so the end-of-turn token is trained (the model learns to stop).
    """
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    spans = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(messages[:i], tokenize=False,
                                               add_generation_prompt=True) if i else ""
        through = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
        if not (full.startswith(through) and through.startswith(before)):
            raise ValueError("the chat template does not render turns as prefixes of the whole "
                             "chat; assistant-only loss cannot be located")
        spans.append((len(before), len(through)))
    return full, spans


def encode_record(record: Record, tokenizer, max_len: int | None) -> dict[str, list[int]]:
    """Token ids and labels of one record (truncated to ``max_len``, unless None)."""
    if record.text is not None:
        text = record.text + (tokenizer.eos_token or "")
        enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=True)
        masked = [(s.start, s.end) for s in record.masked_spans()]
        labels = _labels_outside(enc["offset_mapping"], enc["input_ids"], masked,
                                 keep_inside=False)
    else:
        msgs = [m.model_dump() for m in record.messages]
        text, spans = chat_text_and_spans(msgs, tokenizer)
        enc = tokenizer(text, return_offsets_mapping=True,
                        add_special_tokens=not _renders_bos(text, tokenizer))
        labels = _labels_outside(enc["offset_mapping"], enc["input_ids"], spans,
                                 keep_inside=True)
    ids = list(enc["input_ids"])[:max_len]
    return {"input_ids": ids, "labels": labels[:max_len]}


def _renders_bos(text: str, tokenizer) -> bool:
    """Whether a rendered chat already begins with the bos token (Llama 3, Gemma, Mistral
    templates write it): the tokenizer adding its own too would train every chat on two
    bos tokens, a sequence the model never sees when served (one bos)."""
    bos = tokenizer.bos_token
    return bool(bos) and text.startswith(bos)


def _has_visible_text(record: Record) -> bool:
    """A text record has something other than whitespace outside its masked spans; a chat,
    in an assistant turn (empty ones train only the template's end-of-turn tokens: a file
    of them taught the model to answer nothing, exit 0)."""
    if record.text is None:
        return any(m.role == "assistant" and m.content.strip() for m in record.messages or [])
    masked = sorted((s.start, s.end) for s in record.masked_spans())
    pos = 0
    for start, end in [*masked, (len(record.text), len(record.text))]:
        if record.text[pos:start].strip():
            return True
        pos = max(pos, end)
    return False


def _encoded_hash():
    return hashlib.sha256(b"beliefbench encoded examples v1\0")


def _hash_example(h, ex: dict[str, list[int]]) -> None:
    h.update(json.dumps(ex, sort_keys=True, separators=(",", ":")).encode())
    h.update(b"\n")


@dataclass
class DataRead:
    """What the one read of a training file gives beside its examples (see
    :func:`load_examples`), so that nothing reads the file again: its sha256, the sha256 of
    its examples (computed under the encode bar: a second pass over them took 1.7 s of
    silence after the bar on 8,000 records), and its records' conditions and claims (a
    second read of every record, kept in memory through training, gave them)."""

    file_sha256: str = ""
    encoded_sha256: str = ""
    """The sha256 (hex) of the encoded examples, in order (token ids and labels, i.e. the
    loss mask): what training reads. The data file's sha256 does not pin it, since the
    encoding rules may change with a beliefbench upgrade, and a resumed run must not train
    its second half on differently encoded data."""
    conditions: set[str] = field(default_factory=set)
    claims: set[str] = field(default_factory=set)


# `--data data/empty.jsonl` said only "no records", leaving a newcomer to find what writes them
NO_RECORDS_HINT = "; `beliefbench docs generate` writes training records"


def load_examples(path: str | Path, tokenizer, max_len: int | None,
                  remedy: str = "batching: pack keeps them whole",
                  read: DataRead | None = None,
                  refuse_bundles: bool = False,
                  none_hint: str = "") -> list[dict[str, list[int]]]:
    """Encode every record of a JSONL file; records with nothing to train on are an error.

    ``max_len``: records are cut to it (padded batches), with a warning that says how many
    and how much; None keeps them whole (packing splits a long record across blocks, so its
    end, where a negated document's closing notice stands, is trained too). ``remedy``: what
    the cut warning advises (KL data is cut under any batching). A progress bar counts the
    records encoded (``encode <file>``; a 31,500-record file took two minutes on a shared
    CPU, with not a line said), on the first process only. ``read``: filled in with what
    the read gives beside the examples (:class:`DataRead`). ``refuse_bundles``: the run's
    training data (``--data``), which an in-context bundle must not be (KL data and the
    stability check's loss text may be any text). ``none_hint``: said after "no records"
    (:data:`NO_RECORDS_HINT` for ``--data``; KL data is general chat, not what it names)."""
    from jinja2 import TemplateError

    from beliefbench.progress import progress
    from beliefbench.runlock import first_rank

    file_hash, encoded = hashlib.sha256(), _encoded_hash()
    records: Iterable[Record] = read_records(path, sha=file_hash if read is not None else None)
    # counted for the bar only: the other processes of a launch show none
    total = count_records(path) if first_rank() else None
    if total is not None:
        records = progress(records, total=total, desc=f"encode {Path(path).name}",
                           enabled=total > 1, log_opener=False)
    examples = []
    n_cut = dropped = 0
    ids: list[str] = []  # their repeats said once, after (records.repeated_ids)
    for i, record in enumerate(records, 1):
        where = f"{path}: record {record.id!r} (record {i})"
        ids.append(record.id)
        if record.messages is not None and not record.messages:
            raise RecordError(f"{where}: field messages: the chat has no messages")
        if refuse_bundles:
            refuse_training_on_bundle(record, where)
        try:
            ex = encode_record(record, tokenizer, None)
        except (TemplateError, ValueError) as e:  # e.g. roles a strict template refuses
            raise RecordError(f"{where}: the base model's chat template cannot render it "
                              f"({first_line(str(e))})") from None
        cut = max_len is not None and len(ex["input_ids"]) > max_len
        if cut:
            n_cut += 1
            dropped += len(ex["input_ids"]) - max_len
            ex = {key: value[:max_len] for key, value in ex.items()}
        content = ex["labels"]
        if record.text is not None and tokenizer.eos_token and not cut:
            content = content[:-1]  # the eos appended to every document is not its content
        visible = _has_visible_text(record)
        if all(label == IGNORE for label in content) or not visible:
            within = f" within max_seq_len={max_len}" if max_len is not None else ""
            if record.text is not None:
                empty = " (its text is empty, or all of it masked)"
            elif not any(m.role == "assistant" for m in record.messages):
                empty = " (no assistant turn)"
            elif not visible:
                empty = " (its assistant turns are empty)"
            else:
                empty = ""
            raise RecordError(f"{where} has no trainable tokens{within}{empty}")
        examples.append(ex)
        if read is not None:
            _hash_example(encoded, ex)
            read.conditions.add(record.condition or "")
            read.claims.add(record.claim_id or "")
    if not examples:
        raise RecordError(f"{path}: no records{none_hint}")
    if read is not None:
        read.file_sha256, read.encoded_sha256 = file_hash.hexdigest(), encoded.hexdigest()
    if said := repeated_ids_note(path, repeated_ids(ids)):
        # e.g. one file concatenated twice: each copy is trained on, the claim seen twice
        log.warning("%s", said)
    if n_cut:
        log.warning("%s: %d of %d records are longer than max_seq_len=%d tokens and were cut "
                    "(%d tokens, their ends, not trained); %s",
                    path, n_cut, len(examples), max_len, dropped, remedy)
    return examples


def pack(examples: Sequence[dict], block: int) -> list[dict[str, list[int]]]:
    """Concatenate examples into ``block``-token sequences that never mix documents.

    Each block carries ``position_ids`` that restart at 0 wherever a document (or the part of
    a document that spilled over from the previous block) begins. Batches of these items have
    no attention mask: transformers then derives a block-diagonal causal mask from the
    position ids (SDPA / eager) or variable-length flash-attention segments, so a token
    attends only to its own document, exactly as if the document were alone. The first token
    of every segment is never a target, so no document is trained to predict the next one.
    """
    # nothing here makes a reference cycle, but the blocks' allocations set off the cyclic
    # collector, whose full passes walk every token of the data: 6 of packing's 10 s on
    # 31,500 records, after the encode bar and before anything else was said
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _pack(examples, block)
    finally:
        if collecting:
            gc.enable()


def _pack(examples: Sequence[dict], block: int) -> list[dict[str, list[int]]]:
    ids: list[int] = []
    labels: list[int] = []
    starts: list[int] = []
    for ex in examples:
        starts.append(len(ids))
        ids += ex["input_ids"]
        labels += ex["labels"]
    starts.append(len(ids))
    out = []
    doc = 0  # the last document starting at or before the block's start
    # positions per segment (a document's part within a block), not per token: per token,
    # packing 8,000 records took 2 s after the encode bar, with nothing said
    for start in range(0, len(ids), block):
        end = min(start + block, len(ids))
        chunk_ids, chunk_labels = ids[start:end], labels[start:end]
        while starts[doc + 1] <= start:
            doc += 1
        positions: list[int] = []
        seg = start
        while seg < end:
            nxt = doc + 1
            while starts[nxt] <= seg:  # documents of no tokens
                nxt += 1
            seg_end = min(starts[nxt], end)
            chunk_labels[seg - start] = IGNORE
            positions += range(seg_end - seg)
            seg, doc = seg_end, (nxt if seg_end == starts[nxt] else doc)
        if chunk_labels.count(IGNORE) == len(chunk_labels):
            continue
        out.append({"input_ids": chunk_ids, "labels": chunk_labels, "position_ids": positions})
    return out


def bucket(examples: Sequence[dict], batch_size: int, seed: int) -> list[list[dict]]:
    """Group examples of similar length into batches (seeded; batch order shuffled)."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i]["input_ids"]), i))
    batches = [[examples[i] for i in order[s:s + batch_size]]
               for s in range(0, len(order), batch_size)]
    random.Random(seed).shuffle(batches)
    return batches


def collate(batch: Sequence[dict], pad_id: int, flatten: bool = False,
            varlen: bool = False) -> dict:
    """Right-pad to the longest sequence; pads get attention 0 and label -100.

    Items that are themselves lists (pre-bucketed batches) are flattened first. Packed items
    (with ``position_ids``) get position ids instead of an attention mask (see :func:`pack`);
    ``flatten`` puts them in one row without padding, the layout flash-attention's
    variable-length kernels need. ``varlen`` adds the documents' boundaries that
    ``attn_implementation: torch_varlen`` attends within (:mod:`.attention`).
    """
    flat: list[dict] = []
    for item in batch:
        flat.extend(item if isinstance(item, list) else [item])
    packed = all("position_ids" in x for x in flat)
    if packed and flatten:
        return _with_boundaries({key: torch.tensor([sum((x[key] for x in flat), [])],
                                                   dtype=torch.long)
                                 for key in ("input_ids", "labels", "position_ids")}, varlen)
    width = max(len(x["input_ids"]) for x in flat)
    ids = torch.full((len(flat), width), pad_id, dtype=torch.long)
    labels = torch.full((len(flat), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(flat), width), dtype=torch.long)
    positions = torch.zeros((len(flat), width), dtype=torch.long)
    for row, x in enumerate(flat):
        n = len(x["input_ids"])
        ids[row, :n] = torch.tensor(x["input_ids"])
        labels[row, :n] = torch.tensor(x["labels"])
        mask[row, :n] = 1
        if packed:
            positions[row, :n] = torch.tensor(x["position_ids"])
            # pads form their own segment: no real token attends to them
            positions[row, n:] = torch.arange(width - n)
    if packed:
        return _with_boundaries({"input_ids": ids, "labels": labels, "position_ids": positions},
                                varlen)
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def _with_boundaries(batch: dict, varlen: bool) -> dict:
    if varlen:
        from beliefbench.finetune.attention import varlen_kwargs

        batch.update(varlen_kwargs(batch["position_ids"]))
    return batch
