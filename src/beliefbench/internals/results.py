"""Results files: CSV tables plus one JSON that says exactly which weights produced them.

Every internals command writes here, atomically, so a user (or ``beliefbench report
--internals``) can open the numbers without this package, and each traces back to a model
path and a weights sha256.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench import __version__
from beliefbench.records import (  # noqa: F401 (re-exported)
    atomic_write_text,
    atomic_write_texts,
    csv_text,
    remove_stale,
    write_csv,
)

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


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as JSON-safe dicts (NaN becomes null)."""
    return _plain(df.to_dict(orient="records"))


def _json_text(payload: dict[str, Any]) -> str:
    body = {"beliefbench": __version__,
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **payload}
    return json.dumps(_plain(body), indent=2) + "\n"


def write_json(payload: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, _json_text(payload))
    return path


def write_results(out_dir: str | Path, tables: dict[str, pd.DataFrame], json_name: str,
                  payload: dict[str, Any]) -> list[Path]:
    """One measure's CSV tables and its JSON, written together: a write that fails midway (a
    full disk) leaves the old set or the new one, never new tables beside the JSON of an
    earlier run (which names other weights or claims). The paths: tables, then the JSON."""
    out = Path(out_dir)
    atomic_write_texts([(out / json_name, _json_text(payload)),
                        *((out / name, csv_text(df)) for name, df in tables.items())])
    return [*(out / name for name in tables), out / json_name]


def read_json(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def other_weights(out_dir: str | Path, weights_sha256: str | None
                  ) -> dict[tuple[str, str], list[str]]:
    """Results files in ``out_dir`` (top-level ``*.json`` naming a ``weights_sha256``) that
    other weights wrote, by (model path, sha): the commands share a folder (margins, lens and
    probe of one checkpoint), so measuring another model into it used to leave two models'
    numbers side by side, or replace one's, without a word."""
    out = Path(out_dir)
    found: dict[tuple[str, str], list[str]] = {}
    if not weights_sha256 or not out.is_dir():
        return found
    for f in sorted(out.glob("*.json")):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours to judge: only results files name their weights
        sha = data.get("weights_sha256") if isinstance(data, dict) else None
        if isinstance(sha, str) and sha and sha != weights_sha256:
            found.setdefault((str(data.get("model") or "?"), sha), []).append(f.name)
    return found


SHOWN_COLUMNS = ("model", "claim", "kind", "pairs", "efficacy", "efficacy_low",
                 "efficacy_high", "margin", "specificity", "p_true_claim", "probe_layer",
                 "probe_accuracy", "source")
"""What ``report --internals`` prints (the CSV it writes has every column). ``probe_layer``
is shown beside P(true): each file's probe reads at its own best layer, so rows of one claim
(a trajectory's steps) may come from different layers, and a change of layer must not pass
for a change of belief."""

PROVENANCE = ("model", "weights_sha256", "file", "source", "also_in")
"""Columns saying where a row came from, not what it measured: two rows of the same weights
may differ in them and still be one measurement."""

SAME_SETTINGS = ("dtype", "n_bootstrap", "seed")
"""The ``margins.json`` settings that, with the weights, fix a (claim, kind) row's numbers;
rows over all claims also need the same ``claims``. Files lacking one are never collapsed."""

TOLERANCE = 1e-5
"""Relative and absolute: two measurements of the same weights batched differently (one claim
or six) differ by ~1e-7 in float32; a different measurement differs by far more."""


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


@dataclass
class InternalsTable:
    """What ``report --internals`` shows: the rows, and what to say under them."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    """Duplicate rows dropped, or rows of the same weights kept apart because they differ."""
    cautions: list[str] = field(default_factory=list)
    """P(true) readings whose probe classifies held-out statements near chance (or whose
    accuracy no file records): the probe command's caution, per source."""
    warnings: list[str] = field(default_factory=list)
    """Rows whose CIs are 0 wide as they rest on one completion pair, or on pairs that all
    go one way (``internals margins``' own warnings)."""


def _pairs_behind_cis(data: dict[str, Any], summary: pd.DataFrame, f: Path) -> pd.DataFrame:
    """The completion pairs (claim, kind, pair) behind a margins file's CIs, with ``file``;
    none when the file has no CIs (``--bootstrap 0``: nothing 0 wide) or no pair rows."""
    pairs = data.get("pairs")
    if "efficacy_low" not in summary or summary["efficacy_low"].isna().all() \
            or not isinstance(pairs, list):
        return pd.DataFrame()
    table = pd.DataFrame([p for p in pairs if isinstance(p, dict)])
    if not {"claim", "kind", "pair"} <= set(table.columns):
        return pd.DataFrame()
    return table[["claim", "kind", "pair"]].assign(file=str(f))


def _margins_files(paths: list[str | Path]) -> dict[Path, str]:
    """Every finished margins.json under ``paths``, once each (a folder and its subfolder
    both given find the same file), with its ``source``: the path relative to the folder
    given, or as given for a file; the full path where two files would read alike. The
    steps an interrupted ``internals trajectory`` left unfinished are left out, with one
    warning per trajectory (read as results before, by ``report --internals`` and any caller
    of :func:`read_internals`, as if the step were done)."""
    found: dict[Path, str] = {}
    seen: dict[Path, Path] = {}  # as found (not resolved): the path a warning names
    for p in map(Path, paths):
        if p.is_file():
            found.setdefault(p.resolve(), str(p))
            seen.setdefault(p.resolve(), p)
        elif p.is_dir():
            for f in _files_named(p, "margins.json"):
                found.setdefault(f.resolve(), f.relative_to(p).as_posix())
                seen.setdefault(f.resolve(), f)
        else:
            raise ResultsError(f"{p}: no such internals results file or directory")
    if not found:
        # a folder of `internals binary`, `lens` or `probe` results alone: say what is read
        other = sorted({f.name for p in map(Path, paths) if p.is_dir()
                        for name in _OTHER_RESULTS for f in _files_named(p, name)})
        unread = [name for name in other if name != "probe.json"]
        listed = ", ".join(unread[:-1]) + " and " + unread[-1] if len(unread) > 1 \
            else "".join(unread)
        said = [f"{listed}, which report --internals does not read"] if unread else []
        if "probe.json" in other:
            said.append("probe.json, which it reads only beside a margins.json")
        held = f"; it holds {'; and '.join(said)}" if said else ""
        raise ResultsError(f"{', '.join(map(str, paths))}: no margins.json found (report "
                           f"--internals reads the completion margins that `internals "
                           f"margins` and `internals trajectory` write, with the P(true) of "
                           f"a probe.json beside one){held}")
    found = _without_unfinished_steps(found, seen)
    if not found:
        raise ResultsError(f"{', '.join(map(str, paths))}: no finished margins.json found "
                           f"(every one is of an unfinished `internals trajectory` step: see "
                           f"the warning above)")
    labels = list(found.values())
    return {f: (label if labels.count(label) == 1 else str(f)) for f, label in found.items()}


_STEP_FOLDER = re.compile(r"step-\d+")
"""An ``internals trajectory`` checkpoint's folder, ``<out>/checkpoints/step-N``."""


def _unfinished_step(margins: Path) -> bool:
    """A trajectory step's margins.json with no done.json beside it: the trajectory writes
    done.json after every part of the step, so the step was interrupted (its lens or probe
    missing, or the margins of a step cleared for other settings and not measured again).
    ``internals margins`` writes no done.json, but never into ``checkpoints/step-N``."""
    folder = margins.parent
    return (bool(_STEP_FOLDER.fullmatch(folder.name)) and folder.parent.name == "checkpoints"
            and not (folder / "done.json").is_file())


def _trajectory_manifest(out: Path, steps: list[Path]) -> str:
    """What ``--manifest`` the trajectory into ``out`` was given, for the command that
    finishes it: its trajectory.json's (an earlier run's), else the finetune run folder
    holding a step's checkpoint, else a placeholder."""
    try:
        recorded = read_json(out / "trajectory.json").get("settings", {}).get("manifest")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if isinstance(recorded, str) and recorded:
        return recorded
    for step in steps:
        try:
            model = read_json(step / "margins.json").get("model")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(model, str) and model and (Path(model).parent / "manifest.jsonl").is_file():
            return str(Path(model).parent)
    return "MANIFEST"


def _without_unfinished_steps(found: dict[Path, str], seen: dict[Path, Path]
                              ) -> dict[Path, str]:
    """``found`` less the margins of unfinished trajectory steps (``seen``: each file as
    found), each trajectory warned of once (a logging warning, a ``warning:`` line on stderr
    under the CLI) naming its steps and the re-run that finishes them. The others keep the
    source they were found with."""
    unfinished: dict[Path, list[Path]] = {}
    left: set[Path] = set()
    for f in found:  # as found, else resolved (`margins.json` given inside its step)
        step = next((m for m in (seen[f], f) if _unfinished_step(m)), None)
        if step is not None:
            unfinished.setdefault(step.parent.parent.parent, []).append(step.parent)
            left.add(f)
    for out, steps in unfinished.items():
        command = (f"beliefbench internals trajectory --manifest "
                   f"{shlex.quote(_trajectory_manifest(out, steps))} --out "
                   f"{shlex.quote(str(out))}")
        log.warning("%s: %s not finished (margins.json without done.json: `internals "
                    "trajectory` was interrupted there), left out of the margins; finish "
                    "them with: %s (with the options it was started with)",
                    out, ", ".join(s.name for s in steps), command)
    return {f: label for f, label in found.items() if f not in left}


_OTHER_RESULTS = ("binary.json", "direction.json", "efficiency.json", "intervention.json",
                  "lens.json", "noise.json", "patch.json", "probe.json", "trajectory.json")
"""Results files of the other ``internals`` commands, named where no margins.json is found
(``trajectory.json`` only without its steps' margins: ``--parts lens`` or ``probe``);
``intervention.json``: ``steer`` / ``ablate --task margins``; ``noise.json``: ``stability``.
A steer folder was told ``no margins.json found`` naming nothing it held."""


def _files_named(folder: Path, name: str) -> list[Path]:
    """Every file ``name`` under ``folder``, in path order, symbolic links to folders followed
    (each real folder once, so a link back up ends): pathlib's rglob passes them over, and
    the margins of a linked folder (``internals/ckpt -> /scratch/ckpt``) were left out of
    ``report --internals internals/`` without a word."""
    found, visited = [], set()
    for top, dirs, names in os.walk(folder, followlinks=True):
        if os.path.realpath(top) in visited:
            dirs.clear()
            continue
        visited.add(os.path.realpath(top))
        if name in names:
            found.append(Path(top) / name)
    return sorted(found)


def _probe_columns(probe: Path, data: dict[str, Any]) -> pd.DataFrame | None:
    """Per claim from the ``probe.json`` beside a margins file of the same weights: P(true)
    of both sides, the summary's layer and its held-out accuracy (NaN where not recorded)."""
    from beliefbench.internals.probe import layer_accuracy

    probe_data = _summary_file(probe, "probe", ("claim", "p_true_claim", "p_true_truth"))
    if probe_data.get("weights_sha256") != data.get("weights_sha256"):
        # another model's probe left in the folder: never shown as this one's
        log.warning("%s: not joined to %s (other weights: %s, not %s)", probe,
                    probe.with_name("margins.json"),
                    (probe_data.get("weights_sha256") or "none")[:12],
                    (data.get("weights_sha256") or "none")[:12])
        return None
    ps = pd.DataFrame(probe_data["summary"])
    if ps.empty:
        return None
    settings = probe_data.get("settings")
    at = settings.get("summary_layer") if isinstance(settings, dict) else None
    layer = pd.to_numeric(ps["layer"] if "layer" in ps else pd.Series(at, index=ps.index),
                          errors="coerce")
    if "accuracy" in ps:  # recorded beside the readings since the summary carries it
        accuracy = pd.to_numeric(ps["accuracy"], errors="coerce")
    else:  # an older probe.json: its per-layer table
        rows = probe_data.get("layers")
        layers = pd.DataFrame(rows if isinstance(rows, list) else [])
        accuracy = pd.Series([layer_accuracy(layers, v) if pd.notna(v) else float("nan")
                              for v in layer], index=ps.index, dtype=float)
    return ps[["claim", "p_true_claim", "p_true_truth"]].assign(
        probe_layer=layer, probe_accuracy=accuracy, kind="main")


def _same_measurement(data: dict[str, Any]) -> tuple | None:
    """What two rows need in common to be one measurement, or None when the file does not
    say (no weights sha256, or a setting missing): such rows are never collapsed."""
    settings = data.get("settings")
    sha = data.get("weights_sha256")
    if not sha or not isinstance(settings, dict) or any(settings.get(k) is None
                                                        for k in SAME_SETTINGS):
        return None
    return (sha, *(json.dumps(settings[k], sort_keys=True) for k in SAME_SETTINGS))


def _differs(a: pd.Series, b: pd.Series) -> list[str]:
    """The measured columns where rows ``a`` and ``b`` both have a value and disagree."""
    out = []
    for col in a.index:
        x, y = a[col], b[col]
        if col in PROVENANCE or pd.isna(x) or pd.isna(y):
            continue
        if isinstance(x, int | float | np.number) and isinstance(y, int | float | np.number) \
                and not isinstance(x, bool) and not isinstance(y, bool):
            if not np.isclose(float(x), float(y), rtol=TOLERANCE, atol=TOLERANCE):
                out.append(col)
        elif x != y:
            out.append(col)
    return out


def _collapse(table: pd.DataFrame, keys: list[tuple | None]) -> tuple[pd.DataFrame, list[str]]:
    """One row per measurement: rows with the same key (weights, settings, claim, kind) whose
    numbers agree are one, kept as the row with more fields (the one a probe was joined to),
    and the others' sources listed in ``also_in``. Rows with the same key that disagree are
    kept, each with its source, and said so."""
    kept: list[int] = []
    by_key: dict[tuple, list[int]] = {}
    also: dict[int, list[str]] = {}
    dropped, apart, columns = 0, 0, set()
    filled = table.drop(columns=list(PROVENANCE), errors="ignore").notna().sum(axis=1)
    for i, key in enumerate(keys):
        same = by_key.setdefault(key, []) if key is not None else []
        for n, j in enumerate(same):
            if _differs(table.iloc[i], table.iloc[j]):
                continue
            dropped += 1
            if filled.iloc[i] > filled.iloc[j]:  # keep i, in j's place
                kept[kept.index(j)], same[n] = i, i
                also[i] = [*also.pop(j, []), table["source"].iloc[j]]
            else:
                also.setdefault(j, []).append(table["source"].iloc[i])
            break
        else:
            if same:
                apart += 1
                columns.update(c for j in same for c in _differs(table.iloc[i], table.iloc[j]))
            if key is not None:
                same.append(i)
            kept.append(i)
    out = table.iloc[kept].reset_index(drop=True)
    if also:
        out["also_in"] = ["; ".join(also.get(i, [])) for i in kept]
    notes = []
    if dropped:
        notes.append(f"{dropped} duplicate row(s) dropped: the same weights (weights_sha256), "
                     f"settings ({', '.join(SAME_SETTINGS)}), claim, kind and numbers as "
                     f"another row, e.g. a checkpoint measured by both `internals margins` "
                     f"and `internals trajectory`; the row with more fields is kept and "
                     f"column also_in names the others' sources")
    if apart:
        notes.append(f"{apart} row(s) kept beside another of the same weights, settings, claim "
                     f"and kind: their numbers differ ({', '.join(sorted(columns))}), so each "
                     f"stays with its source")
    return out, notes


def _probe_cautions(table: pd.DataFrame) -> list[str]:
    """The probe command's caution for the P(true) readings shown, naming their sources."""
    from beliefbench.internals.probe import reading_cautions

    if "p_true_claim" not in table:
        return []
    probes = table[table["p_true_claim"].notna()].drop_duplicates("source")
    return reading_cautions(probes, "source", prefix=("for", "for"), limit=3,
                            readings=("from that source", "from those sources"))


def read_internals(paths: list[str | Path]) -> InternalsTable:
    """One row per measurement (margins file, claim, kind) found under ``paths`` (files or
    directories), with the notes and cautions ``report --internals`` prints under it.

    Each row names its model, weights sha256 and ``source`` (the margins.json, relative to
    the folder given); the probe's P(true) of the claim side, its layer and held-out accuracy
    are joined on when a ``probe.json`` of the same weights sits beside the margins. The same
    weights measured with the same settings in two files (``internals margins`` on a
    checkpoint that ``internals trajectory`` measured too) is one row. The steps an
    interrupted ``internals trajectory`` left unfinished are left out, with a logging warning
    naming the re-run that finishes them.
    """
    from beliefbench.internals.margins import single_pair_note, unanimous_pairs_note

    rows, keys, pairs = [], [], []
    for f, source in _margins_files(paths).items():
        data = _summary_file(f, "margins", ("claim", "kind"))
        summary = pd.DataFrame(data["summary"])
        behind = _pairs_behind_cis(data, summary, f)
        if not behind.empty:
            pairs.append(behind)
        probe = f.with_name("probe.json")
        joined = _probe_columns(probe, data) if probe.is_file() else None
        if joined is not None:
            summary = summary.merge(joined, on=["claim", "kind"], how="left")
        measured = _same_measurement(data)
        settings = data.get("settings")
        claims = settings.get("claims") if isinstance(settings, dict) else None
        keys += [None if measured is None else
                 (*measured, r["claim"], r["kind"],
                  json.dumps(claims) if r["claim"] == "all" else None)
                 for r in summary[["claim", "kind"]].to_dict(orient="records")]
        rows.append(summary.assign(model=data.get("model"),
                                   weights_sha256=(data.get("weights_sha256") or "")[:12],
                                   file=str(f), source=source))
    table, notes = _collapse(pd.concat(rows, ignore_index=True), keys)
    if "probe_layer" in table:  # NaN on rows without a probe made it 1.000 in the table
        layers = pd.to_numeric(table["probe_layer"], errors="coerce")
        if (layers.dropna() % 1 == 0).all():
            table["probe_layer"] = layers.astype("Int64")
    table = table[[c for c in SHOWN_COLUMNS if c in table]
                  + [c for c in table if c not in SHOWN_COLUMNS]]
    # per file: each was bootstrapped on its own pairs
    return InternalsTable(table, notes, _probe_cautions(table),
                          [*(single_pair_note(pd.concat(pairs, ignore_index=True),
                                              within="file") if pairs else []),
                           *unanimous_pairs_note(table)])


def internals_table(paths: list[str | Path]) -> pd.DataFrame:
    """The rows of :func:`read_internals` (without its notes and cautions)."""
    return read_internals(paths).table
