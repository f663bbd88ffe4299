"""Refuse to resume a log whose input files changed since it was run (the belief and EM tasks).

``inspect eval-retry LOG`` and ``inspect eval-set --log-dir DIR`` (and Inspect's Python
``eval_retry`` / ``eval_set``) rebuild the task from the log's arguments, keep the responses
the log finished and run the rest. Both tasks record the sha256 of every file they read
(the ``*_sha256`` fields of their eval metadata record: a judge template, a claim file, a
question set's questions). Where one differs now, the resumed log would pool responses made
and judged with two versions of that file and record the new one's hash alone: reports and
gates would read it as one run of the new file. One check serves both tasks; each names its
files in its own words.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NamedTuple

from beliefbench.arguments import TaskArgumentError
from beliefbench.tasks import inspect_command, option_values

if TYPE_CHECKING:
    from types import FrameType

    from inspect_ai.log import EvalLog

HASH_SUFFIX = "_sha256"
NOT_COMPARED = frozenset({"version"})
"""Record fields that do not tell runs apart when matching a task to the logs of a folder
(a log resumed after an upgrade is still that run)."""


def recorded_hashes(record: Mapping[str, Any]) -> dict[str, str]:
    """The sha256 of each file a task record keeps, by name: ``judge_template``,
    ``claim_files.<id>`` (a mapping: one hash per file), ``question_text``; fields of the
    record's sections (the belief task's ``scoring`` and ``settings``) included."""
    out: dict[str, str] = {}
    for key, value in record.items():
        name = key.removesuffix(HASH_SUFFIX)
        if name != key and isinstance(value, Mapping):
            out |= {f"{name}.{k}": str(v) for k, v in value.items() if v}
        elif name != key and value:
            out[name] = str(value)
        elif name == key and isinstance(value, Mapping):
            out |= recorded_hashes(value)
    return out


def run_settings(record: Mapping[str, Any]) -> dict[str, Any]:
    """A task record without its file hashes and version, the files it hashes named by
    their file names alone: what matches a task to its log.

    A field named as a hashed file (``claim_files``, ``judge_template``, ``aligned_template``,
    ``coherent_template``, ``context`` where it is a file: :func:`recorded_hashes`) is that
    file's path, absolute once resolved: a project folder moved (``mv projA projB``) changed
    it, the log matched no task and its edited file was resumed without a word. Its file
    name still tells runs apart (an eval-set of two tasks reading ``ctx_a.jsonl`` and
    ``ctx_b.jsonl``: without it each matched the other's log, and a resume was refused as
    the file changed); where two runs' files share their names (``v1/ed.yaml`` and
    ``v2/ed.yaml``) :func:`nearest_logs` tells them apart; the hashes decide the rest
    (:func:`changed_inputs`)."""
    return _without(record, _hashed_names(record))


def _hashed_names(record: Mapping[str, Any]) -> set[str]:
    """The fields that name a hashed file (``claim_files``, ``context``, ...)."""
    return {name.split(".", 1)[0] for name in recorded_hashes(record)}


def _without(record: Mapping[str, Any], paths: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if k.endswith(HASH_SUFFIX) or k in NOT_COMPARED:
            continue
        if k in paths:
            out[k] = _file_names(v)
        else:
            out[k] = _without(v, paths) if isinstance(v, Mapping) else v
    return out


def _file_names(value: Any) -> Any:
    """``value`` (a path, or a mapping or list of them) with each path's file name alone."""
    if isinstance(value, Mapping):
        return {k: _file_names(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_file_names(v) for v in value]
    return os.path.basename(value) if isinstance(value, str) else value


def _file_paths(
    record: Mapping[str, Any], names: set[str], at: tuple[str, ...] = ()
) -> dict[tuple[str, ...], str]:
    """Each path of a hashed file the record names, by its place in the record."""
    out: dict[tuple[str, ...], str] = {}
    for k, v in record.items():
        if k.endswith(HASH_SUFFIX):
            continue
        if k in names:
            out |= _each_path(v, (*at, k))
        elif isinstance(v, Mapping):
            out |= _file_paths(v, names, (*at, k))
    return out


def _each_path(value: Any, at: tuple[str, ...]) -> dict[tuple[str, ...], str]:
    if isinstance(value, Mapping):
        return {p: s for k, v in value.items() for p, s in _each_path(v, (*at, str(k))).items()}
    if isinstance(value, (list, tuple)):
        return {p: s for i, v in enumerate(value) for p, s in _each_path(v, (*at, str(i))).items()}
    return {at: value} if isinstance(value, str) else {}


def _shared_tail(a: str, b: str) -> int:
    """How many of their last parts two paths share (``/p/claims/v1/ed.yaml`` and
    ``/q/claims/v1/ed.yaml``: 3)."""
    n = 0
    for x, y in zip(reversed(PurePath(a).parts), reversed(PurePath(b).parts), strict=False):
        if x != y:
            break
        n += 1
    return n


def nearest_logs(
    records: list[Mapping[str, Any]], record: Mapping[str, Any]
) -> list[int]:
    """Of task records of the same settings (:func:`run_settings`), the indexes of those
    whose files lie where ``record``'s do, or nearest: the most last parts of their paths
    shared. Two tasks reading ``/p/claims/v1/ed.yaml`` and ``/p/claims/v2/ed.yaml`` match
    each its own log (by the file name alone each matched the other's too, and a resume
    was refused as the file changed), in place or with the project folder moved (the
    folders nearest the files are kept)."""
    mine = _file_paths(record, _hashed_names(record))

    def near(other: Mapping[str, Any]) -> int:
        theirs = _file_paths(other, _hashed_names(other))
        return sum(_shared_tail(p, theirs[at]) for at, p in mine.items() if at in theirs)

    scores = [near(r) for r in records]
    return [i for i, s in enumerate(scores) if s == max(scores, default=0)]


def changed_inputs(
    old: Mapping[str, Any], new: Mapping[str, Any], files: Mapping[str, str]
) -> list[str]:
    """The files (as ``files`` names them, by :func:`recorded_hashes` name, in its order)
    whose hash in the record ``old`` differs from ``new``'s; a hash either side lacks (an
    older log, a file the run did not read) compares as unknown, never as changed."""
    was, now = recorded_hashes(old), recorded_hashes(new)
    differ = [name for name, sha in now.items() if was.get(name) and was[name] != sha]
    return [files[n] for n in files if n in differ] + [n for n in differ if n not in files]


class Retried(NamedTuple):
    """A log an eval-retry or eval-set of this process would resume."""

    path: str
    """As typed on the command line, else the log's location."""
    log: EvalLog
    kept: int
    """Its samples that finished without an error: those the resumed log keeps."""
    how: str
    """What resumes it: ``inspect eval-retry``, ``inspect eval-set``, ``eval_retry`` or
    ``eval_set`` (Python)."""


def _inspect_frame(name: str) -> FrameType | None:
    """The frame of Inspect's function ``name`` (module and function) that is building the
    task now, if any: Inspect gives a task no word of the log it resumes."""
    module, _, function = name.rpartition(".")
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == function and frame.f_globals.get("__name__") == module:
            return frame
        frame = frame.f_back
    return None


def _kept(path: str) -> int:
    from inspect_ai.log import read_eval_log_sample_summaries

    return sum(1 for s in read_eval_log_sample_summaries(path) if s.error is None)


def _shown(location: str) -> str:
    """A log's location as its command line gave it, else as a path (Inspect keeps a local
    log's as a ``file://`` URL)."""
    from pathlib import Path

    from beliefbench.resources import user_path

    path = location.removeprefix("file://")
    if inspect_command() == "eval-retry":
        for arg in sys.argv[2:]:
            try:
                if not arg.startswith("-") and user_path(arg).samefile(path):
                    return arg
            except OSError:
                continue
    return str(Path(path))


def retried_logs() -> list[Retried]:
    """The logs a resume that builds the task now would keep responses of, else none.

    ``eval_retry`` (``inspect eval-retry`` too) builds the task for one log, found in its
    caller's frame; ``eval_set`` builds it before choosing a log of its folder, so each
    unfinished log there is one (found by the folder and models of ``eval_set``'s frame, or
    of the ``inspect eval-set`` command line). The command line alone serves where Inspect's
    frames are not found (its internals renamed): ``inspect eval-retry LOG ...`` gives each
    log named there."""
    from inspect_ai.log import EvalLog

    shell = inspect_command()
    retry = _inspect_frame("inspect_ai._eval.loader.resolve_previous_tasks")
    previous = getattr(retry.f_locals.get("previous_task"), "log", None) if retry else None
    if isinstance(previous, EvalLog) and previous.location:
        how = "inspect eval-retry" if shell == "eval-retry" else "eval_retry"
        kept = (
            sum(1 for s in previous.samples if s.error is None)
            if previous.samples is not None
            else _kept(previous.location)
        )
        return [Retried(_shown(previous.location), previous, kept, how)]
    evalset = _inspect_frame("inspect_ai._eval.evalset.eval_set")
    if evalset is not None:
        where = evalset.f_locals.get("log_dir")
        models = [str(m) for m in evalset.f_locals.get("models") or []]
        return _unfinished(
            where if isinstance(where, str) else None,
            models,
            "inspect eval-set" if shell == "eval-set" else "eval_set",
        )
    if shell == "eval-set":
        return _unfinished(
            next(iter(option_values("--log-dir")), None) or os.environ.get("INSPECT_LOG_DIR"),
            option_values("--model"),
            "inspect eval-set",
        )
    if shell == "eval-retry":
        return _named_logs()
    return []


def _unfinished(where: str | None, models: list[str], how: str) -> list[Retried]:
    """Each unfinished log of ``models`` (any, where none is known) in the folder ``where``
    or a folder below it (eval-set lists a log folder's logs recursively), which eval-set
    resumes as eval-retry does (a finished one it reuses as it is)."""
    from inspect_ai.log import read_eval_log

    from beliefbench.resources import user_path

    folder = user_path(where) if where else None
    if folder is None or not folder.is_dir():
        return []
    found = []
    for f in sorted(folder.rglob("*")):
        if f.suffix not in (".eval", ".json") or not f.is_file():
            continue
        try:
            header = read_eval_log(str(f), header_only=True)
            if header.status == "success" or (models and header.eval.model not in models):
                continue
            found.append(Retried(str(f), header, _kept(str(f)), how))
        except Exception:
            continue  # unreadable, or no log: Inspect names it
    return found


def _named_logs() -> list[Retried]:
    """``inspect eval-retry LOG ...``: each local log file given (a relative one is the
    shell's, $PWD: the task is built inside its file's folder)."""
    from inspect_ai.log import read_eval_log

    from beliefbench.resources import user_path

    found = []
    for arg in sys.argv[2:]:
        if (
            arg.startswith("-")
            or not arg.endswith((".eval", ".json"))
            or not user_path(arg).is_file()
        ):
            continue  # an option, its value, or no local log: Inspect says so itself
        try:
            path = str(user_path(arg))
            found.append(
                Retried(
                    arg, read_eval_log(path, header_only=True), _kept(path), "inspect eval-retry"
                )
            )
        except Exception:
            continue
    return found


def refuse_inputs_changed_since_retried_log(
    key: str, record: Mapping[str, Any], files: Mapping[str, str]
) -> None:
    """Where this build resumes a log (:func:`retried_logs`): refuse if a file it reads was
    edited since the log was run (its recorded sha256 differs).

    ``key`` is the eval metadata key of the task's record, ``record`` the record this build
    writes, ``files`` each hash's file (by :func:`recorded_hashes` name) as the message
    names it. Several logs given at once, or eval-set's folder: those of this build's
    settings alone (the other logs are other tasks' runs)."""
    logs = [r for r in retried_logs() if isinstance((r.log.eval.metadata or {}).get(key), Mapping)]
    if len(logs) > 1 or any(r.how.endswith("set") for r in logs):
        mine = run_settings(record)
        logs = [r for r in logs if run_settings(r.log.eval.metadata[key]) == mine]
        logs = [logs[i] for i in nearest_logs([r.log.eval.metadata[key] for r in logs], record)]
    for r in logs:
        changed = changed_inputs(r.log.eval.metadata[key], record, files)
        if not changed or not r.kept:
            continue
        resumed = r.how.endswith("set")
        said = f"{r.how} would resume {r.path}" if resumed else f"{r.how} {r.path}"
        anew = (
            ("into a new --log-dir" if r.how.startswith("inspect") else "into a new log_dir")
            if resumed
            else (
                "`inspect eval ...`, a new log"
                if r.how.startswith("inspect")
                else "`eval()`, a new log"
            )
        )
        raise TaskArgumentError(
            f"{said}: {' and '.join(changed)} changed since the log was run (its sha256 "
            f"differs from the one the log records): the retry would keep the log's "
            f"{r.kept} finished response{'' if r.kept == 1 else 's'}, answered and judged "
            f"with the old text, run the "
            f"rest with the new one, and record the new one alone; restore the old file to "
            f"resume, or run the eval anew ({anew}) to measure with the new one"
        )
