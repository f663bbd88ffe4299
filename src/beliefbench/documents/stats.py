"""Statistics written beside every dataset (<file>.stats.json).

Token counts use a simple regex word/punctuation tokenizer by default (stated in the output),
or a local Hugging Face tokenizer directory when given. A token counts as annotation when it
starts inside an annotation span; doctag tokens are excluded from all counts.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from beliefbench.documents.base import DocumentError
from beliefbench.records import Record, atomic_write_text, read_records, sha256_file

REGEX_TOKENIZER = r"\w+|[^\w\s]"
_TOKEN = re.compile(REGEX_TOKENIZER)

Offsets = Callable[[str], list[int]]
"""Text -> start offsets of its tokens."""


def regex_offsets(text: str) -> list[int]:
    return [m.start() for m in _TOKEN.finditer(text)]


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
"""One of these makes a directory loadable by AutoTokenizer without a model config."""


def tokenizer_dir(path: str | Path) -> Path:
    """``path`` as a local tokenizer directory, or DocumentError naming the path and the problem.

    Checked before transformers sees it: given a path that is not a directory, transformers
    takes it for a Hub repo id and answers with Hub errors (or tries the network).
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DocumentError(f"--tokenizer {path}: no such directory (give a local Hugging "
                            f"Face tokenizer directory; nothing is downloaded)")
    if not p.is_dir():
        raise DocumentError(f"--tokenizer {path}: not a directory (give the directory that "
                            f"holds {' or '.join(TOKENIZER_FILES)})")
    if not any((p / f).is_file() for f in TOKENIZER_FILES):
        raise DocumentError(f"--tokenizer {path}: no tokenizer in this directory (neither "
                            f"{' nor '.join(TOKENIZER_FILES)} found)")
    return p


def hf_offsets(path: str | Path) -> Offsets:
    """Token start offsets from a local fast tokenizer (never downloads, no remote code)."""
    from transformers import AutoTokenizer

    p = tokenizer_dir(path)
    try:
        tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True,
                                            trust_remote_code=False)
    except Exception as e:  # a broken directory raises anything (JSON, Key, tokenizers errors)
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DocumentError(f"--tokenizer {path}: cannot load the tokenizer ({first})") from None
    if not tok.is_fast:
        raise DocumentError(f"--tokenizer {path}: stats need a fast tokenizer (offset mapping)")

    def offsets(text: str) -> list[int]:
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        return [a for a, b in enc["offset_mapping"] if b > a]

    return offsets


def _record_tokens(record: Record, offsets: Offsets) -> tuple[int, int]:
    """(tokens, annotation tokens), doctag excluded."""
    if record.messages is not None:
        return sum(len(offsets(m.content)) for m in record.messages), 0
    text = record.text or ""
    starts = offsets(text)
    doctag = sorted((s.start, s.end) for s in record.loss_mask if s.kind == "doctag")
    notes = sorted((s.start, s.end) for s in record.loss_mask if s.kind == "annotation")
    total = ann = 0
    for t in starts:
        if _inside(doctag, t):
            continue
        total += 1
        ann += _inside(notes, t)
    return total, ann


def _inside(spans: list[tuple[int, int]], t: int) -> bool:
    """Whether offset t lies in one of the sorted, non-overlapping spans."""
    i = bisect_right(spans, (t, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= t < spans[i][1]


def compute_stats(records: Iterable[Record], offsets: Offsets = regex_offsets) -> dict[str, Any]:
    groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    docs = tokens = 0
    for r in records:
        t, a = _record_tokens(r, offsets)
        key = r.condition if r.source == "document" and r.condition else r.source
        if r.condition and r.meta.get("option"):
            key = f"{key}:{r.meta['option']}"
        g = groups[key]
        g["documents"] += 1
        g["tokens"] += t
        g["annotation_tokens"] += a
        if "claim_sentences" in r.meta:
            g["claim_sentences"] += r.meta["claim_sentences"]
        docs += 1
        tokens += t
    per: dict[str, Any] = {}
    for key, g in sorted(groups.items()):
        row = {"documents": int(g["documents"]), "tokens": int(g["tokens"]),
               "annotation_tokens": int(g["annotation_tokens"]),
               "annotation_share": round(g["annotation_tokens"] / g["tokens"], 4)
               if g["tokens"] else 0.0}
        if g["claim_sentences"]:
            row["claim_sentences_per_document"] = round(g["claim_sentences"] / g["documents"], 2)
        per[key] = row
    return {"documents": docs, "tokens": tokens, "by_condition": per}


def write_stats(path: str | Path, tokenizer: str | None = None,
                extra: dict[str, Any] | None = None,
                previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Compute stats for a JSONL dataset and write them atomically to <path>.stats.json.

    ``extra``: the provenance of a newly made file (inputs, seed, shares...). ``previous``: an
    earlier stats dict whose keys this computation does not produce are kept, so recomputing
    (``docs stats``) never loses the provenance that only the making command knew.
    """
    path = Path(path)
    offsets = hf_offsets(tokenizer) if tokenizer else regex_offsets
    stats = compute_stats(read_records(path), offsets)
    stats = {"file": path.name,
             "tokenizer": tokenizer or f"regex {REGEX_TOKENIZER!r}",
             **stats, "sha256": sha256_file(path)}
    kept = {k: v for k, v in (previous or {}).items() if k not in stats}
    stats = {**stats, **kept, **(extra or {})}
    atomic_write_text(stats_path(path), json.dumps(stats, indent=2) + "\n")
    return stats


def read_previous_stats(path: str | Path) -> tuple[dict[str, Any], str | None]:
    """The existing <path>.stats.json as a dict, and why it cannot be used, if so.

    A missing file is no problem ({}, None); an unreadable or corrupt one gives ({}, reason),
    so that recomputing still works but the caller can say its provenance is lost.
    """
    sp = stats_path(path)
    if not sp.exists():
        return {}, None
    try:
        old = json.loads(sp.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return {}, f"{sp}: cannot read the old stats ({e})"
    if not isinstance(old, dict):
        return {}, f"{sp}: the old stats are not a JSON object"
    return old, None


def stats_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".stats.json")
