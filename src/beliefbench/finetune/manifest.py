"""The checkpoint manifest: one JSON line per checkpoint saying exactly how it was made.

A sweep evaluates every checkpoint by reading ``<out>/manifest.jsonl``; nothing is pasted by
hand. Entries are keyed by ``path``: writing the same checkpoint again (after a resume)
replaces its line instead of duplicating it. Never holds secrets (API keys).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from beliefbench.records import atomic_write_text

MANIFEST = "manifest.jsonl"


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    """A servable checkpoint: an absolute directory, or a provider model id (``openai/ft:...``)."""
    step: int | None
    """Optimizer step; None for API backends that expose only the final model."""
    tokens_seen: int | None = None
    backend: str
    format: str
    """merged / full (whole weights), adapter (LoRA; serve as ``base:adapter``), or api."""
    base_model: str
    data: str
    data_sha256: str
    recipe: dict[str, Any]
    recipe_path: str | None = None
    condition: str | list[str] | None = None
    claim: str | list[str] | None = None
    final: bool = False
    extra: dict[str, Any] = {}


def read_manifest(out_dir: str | Path) -> list[ManifestEntry]:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return []
    return [ManifestEntry.model_validate_json(line)
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def upsert_manifest(out_dir: str | Path, entry: ManifestEntry) -> None:
    """Add or replace ``entry`` (by path), keep step order, and rewrite atomically."""
    entries = {e.path: e for e in read_manifest(out_dir)}
    entries[entry.path] = entry
    ordered = sorted(entries.values(),
                     key=lambda e: (e.step if e.step is not None else 1 << 62, e.path))
    atomic_write_text(Path(out_dir) / MANIFEST,
                      "".join(json.dumps(e.model_dump(), sort_keys=True) + "\n" for e in ordered))


def single_or_list(values: set[str | None]) -> str | list[str] | None:
    """One value as itself, several as a sorted list, none as None."""
    vals = sorted(v for v in values if v)
    return None if not vals else vals[0] if len(vals) == 1 else vals
