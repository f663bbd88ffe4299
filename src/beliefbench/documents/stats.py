"""Statistics written beside every dataset (<file>.stats.json).

Token counts use a simple regex word/punctuation tokenizer by default (stated in the output),
or a local Hugging Face tokenizer directory when given. A token counts as annotation when it
starts inside an annotation span (a subword token at its first non-space character); doctag
tokens are excluded from all counts.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from beliefbench.documents.base import DocumentError
from beliefbench.records import (
    STATS_SUFFIX,
    Record,
    Span,
    atomic_write_text,
    atomic_write_texts,
    count_records,
    jsonl_text,
    read_records,
)

REGEX_TOKENIZER = r"\w+|[^\w\s]"
_TOKEN = re.compile(REGEX_TOKENIZER)

Offsets = Callable[[str], list[int]]
"""Text -> start offsets of its tokens."""


def regex_offsets(text: str) -> list[int]:
    return [m.start() for m in _TOKEN.finditer(text)]


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
"""One of these makes a directory loadable by AutoTokenizer without a model config."""


def tokenizer_dir(path: str | Path, given: str | None = None) -> Path:
    """``path`` as a local tokenizer directory, or DocumentError naming the path and the problem.

    Checked before transformers sees it: given a path that is not a directory, transformers
    takes it for a Hub repo id and answers with Hub errors (or tries the network).
    ``given``: the path as the caller named it, ``--tokenizer <path>`` by default (the
    commands' option); a Python caller's argument (``tokenizer='x'``), who passes no flag.
    """
    given = given or f"--tokenizer {path}"
    p = Path(path).expanduser()
    if not p.exists():
        from beliefbench.not_found import where_missing

        # models/tiny where models/tiny-pt was built: the folders beside it, as --base does;
        # no models/ at all (run from another folder): the working directory
        near = where_missing(p)
        raise DocumentError(f"{given}: no such directory"
                            + (f"{near}; give" if near else " (give")
                            + " a local Hugging Face tokenizer directory; nothing is "
                            + ("downloaded" if near else "downloaded)"))
    if not p.is_dir():
        raise DocumentError(f"{given}: not a directory (give the directory that "
                            f"holds {' or '.join(TOKENIZER_FILES)})")
    if not any((p / f).is_file() for f in TOKENIZER_FILES):
        raise DocumentError(f"{given}: no tokenizer in this directory (neither "
                            f"{' nor '.join(TOKENIZER_FILES)} found)")
    return p


def tokenizer_checked(tokenizer: str | None, *, flags: bool) -> None:
    """A ``tokenizer`` directory checked before the documents are read or made, named as the
    caller gave it: ``--tokenizer x`` (the commands check their option as they parse it),
    ``tokenizer='x'`` to a Python caller, who was told of a flag it passes no such thing as."""
    if tokenizer:
        tokenizer_dir(tokenizer, tokenizer_given(tokenizer, flags))


def tokenizer_given(tokenizer: str | Path, flags: bool) -> str | None:
    """How errors name ``tokenizer``: None for the commands' ``--tokenizer <path>``
    (:func:`tokenizer_dir`'s default), else the Python argument ``tokenizer='<path>'``."""
    return None if flags else f"tokenizer={str(tokenizer)!r}"


def hf_offsets(path: str | Path, given: str | None = None) -> Offsets:
    """Token start offsets from a local fast tokenizer (never downloads, no remote code).
    ``given``: how errors name the path, as :func:`tokenizer_dir` takes it (``--tokenizer
    <path>`` by default, the commands' option)."""
    given = given or f"--tokenizer {path}"
    p = tokenizer_dir(path, given)  # first: transformers' import resolves a path of its own,
    # and in a removed working directory that was a traceback where tokenizer_dir says so
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True,
                                            trust_remote_code=False)
    except Exception as e:  # a broken directory raises anything (JSON, Key, tokenizers errors)
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DocumentError(f"{given}: cannot load the tokenizer ({first})") from None
    if not tok.is_fast:
        raise DocumentError(f"{given}: stats need a fast tokenizer (offset mapping)")

    def offsets(text: str) -> list[int]:
        # verbose=False: "Token indices sequence length is longer than the specified maximum
        # sequence length for this model (11860 > 2048). Running this sequence through the
        # model will result in indexing errors" was said of a count, which runs no model
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [_first_visible(text, a, b) for a, b in enc["offset_mapping"] if b > a]

    return offsets


def _first_visible(text: str, a: int, b: int) -> int:
    """Where a token ``text[a:b]`` starts for the stats: its first non-space character (its
    start where it is all space). A subword token carries the space before its word
    (" Ed"), so the first word after a warning that ends in a space ("[[Fake]] A: Ed ...")
    started inside the warning and counted as annotation: repeated_negations read 42.3% by
    the tiny model's tokenizer where its warnings hold 41.6%."""
    if not text[a].isspace():
        return a
    for i in range(a + 1, b):
        if not text[i].isspace():
            return i
    return a


def _record_tokens(record: Record, offsets: Offsets) -> tuple[int, int]:
    """(tokens, annotation tokens), doctag excluded.

    Counted per span (a binary search of the sorted token starts at each span's ends), not
    per token: a 20,000-document dataset's stats once took longer than making it.
    """
    if record.messages is not None:
        return sum(len(offsets(m.content)) for m in record.messages), 0
    starts = offsets(record.text or "")
    doctag = _union(s for s in record.loss_mask if s.kind == "doctag")
    notes = _union(s for s in record.loss_mask if s.kind == "annotation")
    total = len(starts) - _count(starts, doctag)
    ann = _count(starts, notes) - _count(starts, _intersection(notes, doctag))
    return total, ann


def _union(spans: Iterable[Span]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping [start, end) ranges covering the spans."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted((s.start, s.end) for s in spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        elif b > a:
            merged.append((a, b))
    return merged


def _intersection(x: list[tuple[int, int]], y: list[tuple[int, int]]
                  ) -> list[tuple[int, int]]:
    """Where two sorted, non-overlapping range lists overlap (the doctag list is tiny)."""
    return [(max(a, c), min(b, d)) for a, b in x for c, d in y if max(a, c) < min(b, d)]


def _count(starts: list[int], spans: list[tuple[int, int]]) -> int:
    """How many of the sorted token starts lie in the non-overlapping spans."""
    return sum(bisect_left(starts, b) - bisect_left(starts, a) for a, b in spans)


def compute_stats(records: Iterable[Record], offsets: Offsets = regex_offsets,
                  progress: str | None = None, total: int | None = None) -> dict[str, Any]:
    """Counts per condition; ``progress``: the label of a progress bar (the token count of a
    large dataset takes a while), over a list of records or ``total`` records read as they
    come."""
    groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    docs = tokens = 0
    if isinstance(records, Sequence):
        total = len(records)
    if progress is not None and total is not None:
        from beliefbench.progress import progress as bar

        records = bar(records, total=total, desc=progress, log_opener=False)
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
                previous: Mapping[str, Any] | None = None,
                progress: bool = False, *, flags: bool = False) -> dict[str, Any]:
    """Compute stats for a JSONL dataset and write them atomically to <path>.stats.json.

    ``extra``: the provenance of a newly made file (inputs, seed, shares...). ``previous``: an
    earlier stats dict whose keys this computation does not produce are kept, so recomputing
    (``docs stats``) never loses the provenance that only the making command knew.
    ``progress``: a progress bar over the file's records (a regular file's; a pipe has none).
    ``flags``: called by ``docs stats``, whose errors name ``--tokenizer``, not
    ``tokenizer=``. A file of no records is a DocumentError, nothing written.
    """
    path = Path(path)
    offsets = (hf_offsets(tokenizer, tokenizer_given(tokenizer, flags)) if tokenizer
               else regex_offsets)
    # one read gives the counts and the hash: a second read doubled the time of a large file,
    # could not be done on a pipe, and hashed another version of a file written meanwhile
    sha = hashlib.sha256()
    # a repeated id refused as mix and bundle refuse it: stats of copies counted twice
    counts = compute_stats(read_records(path, sha, unique_ids=True), offsets,
                           f"stats {path.name}" if progress else None,
                           count_records(path) if progress else None)
    if not counts["documents"]:
        # refused as mix and bundle refuse it: stats of 0 documents replaced a truncated
        # file's good ones, its provenance kept as if it described them
        held = (previous or {}).get("documents")
        raise DocumentError(f"{path}: no records (an empty file); no stats written"
                            + (f" ({stats_path(path)} still describes the {held} documents "
                               f"it held; restore the file or make it again)"
                               if isinstance(held, int) and held else ""))
    stats = _stats(path, counts, tokenizer, sha.hexdigest(), extra, previous)
    atomic_write_text(stats_path(path), json.dumps(stats, indent=2) + "\n")
    return stats


def _stats(path: Path, counts: dict[str, Any], tokenizer: str | None, sha256: str,
           extra: Mapping[str, Any] | None = None,
           previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    stats = {"file": path.name, "tokenizer": tokenizer or f"regex {REGEX_TOKENIZER}",
             **counts, "sha256": sha256}
    kept = {k: v for k, v in (previous or {}).items() if k not in stats}
    # provenance kept for a file that changed since it was made describes an earlier
    # version: say which (its sha256), so that every later recompute still knows
    described = kept.pop("provenance_sha256", None) or (previous or {}).get("sha256")
    if kept and described not in (None, sha256):
        kept["provenance_sha256"] = described
    return {**stats, **kept, **(extra or {})}


def write_dataset(path: str | Path, records: Sequence[Record], tokenizer: str | None = None,
                  extra: Mapping[str, Any] | None = None, progress: bool = False, *,
                  flags: bool = False) -> dict[str, Any]:
    """Write records as JSONL and their stats beside them, never a stale pair.

    The stats are counted from the records in memory before anything is written; both files
    are then written together (:func:`atomic_write_texts`): an interruption leaves the old
    pair, the new pair, or a dataset without stats (the same command makes them again),
    never a dataset beside another's stats. ``flags``: called by a command, whose errors name
    ``--tokenizer``, not ``tokenizer=``.
    """
    path = Path(path)
    offsets = (hf_offsets(tokenizer, tokenizer_given(tokenizer, flags)) if tokenizer
               else regex_offsets)
    text = jsonl_text(records)
    counts = compute_stats(records, offsets, f"stats {path.name}" if progress else None)
    stats = _stats(path, counts, tokenizer, hashlib.sha256(text.encode("utf-8")).hexdigest(),
                   extra)
    atomic_write_texts([(path, text), (stats_path(path), json.dumps(stats, indent=2) + "\n")])
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


COUNTED = frozenset({"file", "tokenizer", "documents", "tokens", "by_condition", "sha256",
                     "provenance_sha256", "counts", "unique"})
"""Stats keys counted from the records (or the tokenizer they were counted with), not the
settings that made them."""


def settings_of(stats: Mapping[str, Any]) -> dict[str, Any]:
    """What made the dataset a stats dict describes (inputs, shares, claims, --n, seed, ...):
    every key but the counts."""
    return {k: v for k, v in stats.items() if k not in COUNTED}


def stats_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + STATS_SUFFIX)
