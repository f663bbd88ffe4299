"""Belief logs -> one row per response, with the run each response came from.

Logs are read with Inspect's own APIs (``list_eval_logs``, ``read_eval_log`` for headers,
``inspect_ai.analysis.samples_df`` for samples). A belief log is one whose eval metadata
holds the ``beliefbench`` key the belief task writes; anything else is rejected by name.

Where the run labels come from (all from the eval's metadata, ``log.eval.metadata``):

* ``model``: the model under test (``log.eval.model``);
* ``checkpoint``, ``condition``, ``step``: the eval metadata keys of those names. ``beliefbench
  sweep`` writes them from the checkpoint manifest; for a hand-run eval add them with
  ``inspect eval ... --metadata condition=negated --metadata step=400``.

Status rules: a log whose status is not ``success`` (error, cancelled, started) is PARTIAL.
``eval-retry`` (and ``eval_set``'s retries) keep the eval's ``task_id``, so a partial log whose
task has a later log is *superseded* and skipped (listed in the notes); otherwise it is kept
with ``partial=True``, which every table groups by, so partial data never pools with
complete data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.analysis import SampleColumn, samples_df
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from beliefbench.metrics import VERDICTS

TASK_KEY = "beliefbench"
SCORER = "belief_judge"
RUN_COLUMNS: tuple[str, ...] = ("model", "checkpoint", "condition", "step", "partial")
"""Columns that identify the run a response came from (every table groups by them)."""
PARALLEL_FROM = 8
"""Read this many logs or more with samples_df's process pool."""
NO_LABEL = "-"
"""Shown for a run label (checkpoint, condition) the log does not carry."""


class LogError(ValueError):
    """Bad log input: the message names the file and the problem."""


@dataclass
class LogInfo:
    path: str
    model: str
    status: str
    task_id: str
    created: str
    checkpoint: str
    condition: str
    step: int | None
    samples: int = 0
    unscored: int = 0
    """Responses with no belief_judge score (a partial log's errored samples)."""

    @property
    def partial(self) -> bool:
        return self.status != "success"


@dataclass
class BeliefLogs:
    responses: pd.DataFrame
    """One row per response: RUN_COLUMNS + log, claim, family, question, kind, id, epoch,
    verdict."""
    logs: list[LogInfo]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) for logs found in a directory but not used (other tasks, superseded)."""

    @property
    def partial(self) -> list[LogInfo]:
        return [info for info in self.logs if info.partial]

    def notes(self) -> list[str]:
        """Human-readable warnings: partial logs, ignored logs, unscored responses."""
        out = []
        for info in self.partial:
            out.append(f"PARTIAL: {info.path} (status {info.status!r}, "
                       f"{info.samples} scored responses): shown as partial=True, never "
                       "pooled with complete logs")
        for info in self.logs:
            if info.unscored:
                out.append(f"{info.path}: {info.unscored} responses have no "
                           f"{SCORER} score (the sample errored) and are not counted")
        out.extend(f"ignored {path}: {why}" for path, why in self.ignored)
        return out


def _label(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NO_LABEL
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value)
    return str(value)


def _step(value: Any, path: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LogError(f"{path}: eval metadata 'step' must be an integer, "
                       f"got {value!r}") from None


def is_belief_log(log: EvalLog) -> bool:
    return isinstance((log.eval.metadata or {}).get(TASK_KEY), dict)


def log_info(log: EvalLog, path: str) -> LogInfo:
    md = log.eval.metadata or {}
    return LogInfo(path=path, model=log.eval.model, status=log.status,
                   task_id=log.eval.task_id, created=log.eval.created,
                   checkpoint=_label(md.get("checkpoint")),
                   condition=_label(md.get("condition")), step=_step(md.get("step"), path))


def find_log_files(sources: str | Path | Sequence[str | Path]) -> list[tuple[str, bool]]:
    """(path, named_explicitly) for every Inspect log under the sources (dirs recurse)."""
    if isinstance(sources, str | Path):
        sources = [sources]
    found: list[tuple[str, bool]] = []
    for source in sources:
        p = Path(source)
        if p.is_dir():
            infos = list_eval_logs(str(p), recursive=True, descending=False)
            if not infos:
                raise LogError(f"{p}: no Inspect logs (.eval or .json) in this directory")
            found.extend((info.name.removeprefix("file://"), False) for info in infos)
        elif p.is_file():
            found.append((str(p.resolve()), True))
        else:
            raise LogError(f"{p}: no such log file or directory")
    return found


def read_headers(sources: str | Path | Sequence[str | Path]
                 ) -> tuple[list[tuple[str, EvalLog]], list[tuple[str, str]]]:
    """Headers of the belief logs under ``sources`` and (path, why) for the others.

    A log named explicitly that is not a belief log is an error; in a directory it is
    ignored (a shared log dir holds other evals) and reported.
    """
    kept: list[tuple[str, EvalLog]] = []
    ignored: list[tuple[str, str]] = []
    for path, explicit in find_log_files(sources):
        try:
            header = read_eval_log(path, header_only=True)
        except Exception as e:  # noqa: BLE001 - any unreadable file is bad input
            raise LogError(f"{path}: not a readable Inspect log ({type(e).__name__}: {e})"
                           ) from e
        if not is_belief_log(header):
            why = (f"not a belief log (task {header.eval.task!r} has no "
                   f"{TASK_KEY!r} eval metadata)")
            if explicit:
                raise LogError(f"{path}: {why}")
            ignored.append((path, why))
            continue
        kept.append((path, header))
    if not kept:
        names = "; ".join(f"{p}: {why}" for p, why in ignored[:5])
        raise LogError(f"no belief logs in {', '.join(map(str, _as_list(sources)))}"
                       + (f" ({len(ignored)} other logs: {names})" if ignored else ""))
    return kept, ignored


def _as_list(sources: str | Path | Sequence[str | Path]) -> list[str | Path]:
    return [sources] if isinstance(sources, str | Path) else list(sources)


def drop_superseded(headers: list[tuple[str, EvalLog]]
                    ) -> tuple[list[tuple[str, EvalLog]], list[tuple[str, str]]]:
    """Keep, per eval task_id, the latest success log, else the latest partial one; drop
    copies (same eval_id)."""
    by_task: dict[str, list[tuple[str, EvalLog]]] = {}
    for path, log in headers:
        by_task.setdefault(log.eval.task_id, []).append((path, log))
    kept, dropped = [], []
    for group in by_task.values():
        group.sort(key=lambda item: (item[1].status == "success", item[1].eval.created))
        best_path, best = group[-1]
        kept.append((best_path, best))
        for path, log in group[:-1]:
            dropped.append((path, f"superseded by {best_path} (same task_id, status "
                                  f"{log.status!r} -> {best.status!r})"))
    # samples_df joins samples to evals by eval_id: a copied log would silently vanish
    seen: dict[str, str] = {}
    unique = []
    for path, log in sorted(kept, key=lambda item: item[0]):
        if log.eval.eval_id in seen:
            dropped.append((path, f"a copy of {seen[log.eval.eval_id]} (same eval_id)"))
            continue
        seen[log.eval.eval_id] = path
        unique.append((path, log))
    return unique, dropped


def _verdict(sample: Any) -> str | None:
    score = (sample.scores or {}).get(SCORER)
    if score is None:
        return None
    if isinstance(score.answer, str) and score.answer in VERDICTS:
        return score.answer
    value = score.value
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict):
        hits = [v for v in VERDICTS if float(value.get(v, 0.0)) == 1.0]
        if len(hits) == 1:
            return hits[0]
    return None


COLUMNS = [
    SampleColumn("id", path="id", required=True, type=str),
    SampleColumn("epoch", path="epoch", required=True),
    SampleColumn("claim", path="metadata.claim", required=True),
    SampleColumn("family", path="metadata.family", required=True),
    SampleColumn("question", path="metadata.question", required=True),
    SampleColumn("kind", path="metadata.kind"),
    SampleColumn("verdict", path=_verdict),
]


def responses_frame(paths: Iterable[str]) -> pd.DataFrame:
    """Per-response rows of the given belief logs (Inspect's samples_df, summaries only)."""
    paths = list(paths)
    # worker processes pay off past a few logs (50 x 1,500 samples: 13.6 s -> 8.4 s on 2 cores)
    return samples_df(paths, columns=COLUMNS, quiet=True, parallel=len(paths) >= PARALLEL_FROM)


def load_belief_logs(sources: str | Path | Sequence[str | Path]) -> BeliefLogs:
    """Every belief response under ``sources``, labelled with its run; see module doc."""
    headers, ignored = read_headers(sources)
    headers, superseded = drop_superseded(headers)
    infos = {path: log_info(log, path) for path, log in headers}
    df = responses_frame(infos)
    if "log" not in df.columns:
        raise LogError("samples_df returned no 'log' column: unexpected Inspect version")
    df["log"] = df["log"].astype(str).str.removeprefix("file://")
    scored = df["verdict"].notna()
    for path, info in infos.items():
        in_log = df["log"] == path
        info.samples = int((in_log & scored).sum())
        info.unscored = int((in_log & ~scored).sum())
        if info.samples == 0 and not info.partial:
            raise LogError(f"{path}: a successful belief log with no scored responses")
    df = df[scored].copy()
    bad = sorted(set(df["verdict"]) - set(VERDICTS))
    if bad:
        raise LogError(f"unknown verdict(s) {bad} in {sorted(set(df['log']))[:3]}")
    for col in ("model", "checkpoint", "condition", "step", "partial"):
        df[col] = df["log"].map({p: getattr(i, col) for p, i in infos.items()})
    df["step"] = df["step"].astype("Int64")
    df["kind"] = df["kind"].fillna(NO_LABEL).astype(str)
    order = [*RUN_COLUMNS, "log", "claim", "family", "question", "kind", "id", "epoch",
             "verdict"]
    return BeliefLogs(responses=df[order].reset_index(drop=True),
                      logs=list(infos.values()), ignored=ignored + superseded)
