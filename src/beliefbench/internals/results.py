"""Results files: CSV tables plus one JSON that says exactly which weights produced them.

Every internals command writes here, atomically, so a user (or ``beliefbench report
--internals``) can open the numbers without this package, and each traces back to a model
path and a weights sha256.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench import __version__
from beliefbench.records import atomic_write_text, write_csv  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)


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


def remove_stale(out_dir: str | Path, patterns: tuple[str, ...], written: list[Path]) -> None:
    """Remove this measure's files (``patterns``, globs in ``out_dir``) that this run did not
    write: a plot of a claim not chosen now, or under ``--no-plots``, is an earlier run's and
    would otherwise sit beside the new numbers as if it were theirs."""
    keep = {Path(w).resolve() for w in written}
    for pattern in patterns:
        for f in Path(out_dir).glob(pattern):
            if f.is_file() and f.resolve() not in keep:
                f.unlink(missing_ok=True)


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


SHOWN_COLUMNS = ("model", "claim", "kind", "pairs", "efficacy", "efficacy_low",
                 "efficacy_high", "margin", "specificity", "p_true_claim")
"""What ``report --internals`` prints (the CSV it writes has every column)."""


class ResultsError(ValueError):
    """An internals results path that cannot be read; names the file and the problem."""


def _summary_file(path: Path, what: str, columns: tuple[str, ...]) -> dict[str, Any]:
    """An internals results JSON whose ``summary`` is a list of rows holding ``columns``."""
    try:
        data = read_json(path)
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path}: not an internals {what} file ({e})") from None
    rows = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ResultsError(f"{path}: not an internals {what} file (no 'summary' list of rows)")
    missing = sorted({c for r in rows for c in columns if c not in r})
    if missing:
        raise ResultsError(f"{path}: not an internals {what} file (summary rows lack "
                           f"{missing})")
    return data


def internals_table(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (margins file, claim, kind) found under ``paths`` (files or directories).

    For ``beliefbench report --internals``: the judge-free margins beside the judged rates,
    each row naming its model and weights sha256; the probe's P(true) of the claim side is
    joined on when a ``probe.json`` of the same weights sits beside the margins.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files += sorted(p.rglob("margins.json"))
        else:
            raise ResultsError(f"{p}: no such internals results file or directory")
    if not files:
        raise ResultsError(f"{', '.join(map(str, paths))}: no margins.json found")
    rows = []
    for f in files:
        data = _summary_file(f, "margins", ("claim", "kind"))
        summary = pd.DataFrame(data["summary"])
        probe = f.with_name("probe.json")
        if probe.is_file():
            probe_data = _summary_file(probe, "probe", ("claim", "p_true_claim",
                                                        "p_true_truth"))
            ps = pd.DataFrame(probe_data["summary"])
            if probe_data.get("weights_sha256") != data.get("weights_sha256"):
                # another model's probe left in the folder: never shown as this one's
                log.warning("%s: not joined to %s (other weights: %s, not %s)", probe, f,
                            (probe_data.get("weights_sha256") or "none")[:12],
                            (data.get("weights_sha256") or "none")[:12])
            elif not ps.empty:
                summary = summary.merge(ps[["claim", "p_true_claim", "p_true_truth"]]
                                        .assign(kind="main"), on=["claim", "kind"], how="left")
        rows.append(summary.assign(model=data.get("model"),
                                   weights_sha256=(data.get("weights_sha256") or "")[:12],
                                   file=str(f)))
    table = pd.concat(rows, ignore_index=True)
    return table[[c for c in SHOWN_COLUMNS if c in table]
                 + [c for c in table if c not in SHOWN_COLUMNS]]
