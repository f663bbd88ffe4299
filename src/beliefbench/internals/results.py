"""Results files: CSV tables plus one JSON that says exactly which weights produced them.

Every internals command writes here, atomically, so a user (or ``beliefbench report
--internals``) can open the numbers without this package, and each traces back to a model
path and a weights sha256.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench import __version__
from beliefbench.records import atomic_write_text


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, df.to_csv(index=False, float_format="%.6g"))
    return path


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as JSON-safe dicts (NaN becomes null)."""
    return _plain(df.to_dict(orient="records"))


def write_json(payload: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    body = {"beliefbench": __version__,
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **payload}
    atomic_write_text(path, json.dumps(_plain(body), indent=2) + "\n")
    return path


def read_json(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
