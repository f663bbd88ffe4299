"""Evaluate every checkpoint of a finetune (or a list of models) with Inspect's ``eval_set``:
the belief task by default, or the EM task (``task="em"``).

Each checkpoint gets its own ``eval_set`` log directory (``<log_dir>/<label>-<hash>/``), so a
re-run of the same sweep reuses every finished log and resumes only what is missing, and
checkpoints run one after another (an ``hf/`` model is closed after its checkpoint's eval,
:func:`_released`; a finished checkpoint's model is never made, :func:`finished_logs`). A
``vllm/`` checkpoint is passed by name: the server Inspect starts for it (one per base model,
shared by its adapters) is not closed after its eval, only at process exit (Inspect 0.3.285's
``cleanup_servers``, read from its code, not run here), so each merged checkpoint's server
stays up beside the next one's until the sweep ends. The label names the
condition, claim, run directory and step; the hash is of everything that makes the run (the
served model, i.e. the checkpoint's absolute path, the claims, task arguments, model roles and
model arguments), so two manifests swept into one ``--log-dir``, or one swept again with other
settings, never share a directory. A label longer than 80 characters (a hosted checkpoint's,
``...-ft:<model>:<org>::<id>:ckpt-step-N``) keeps its start and its end, joined by ``__``; a
folder an earlier sweep named after the label's last 80 characters is still used. What the
sweep's lines call a checkpoint is the label less the parts that repeat others
(:func:`shown_label`); the folder keeps the full label, which a re-run finds its logs by.

Before any eval runs, :func:`run_sweep` refuses (``SweepError``, naming what is wrong): a
local checkpoint that is not on disk or would not load (unless its logs are all finished: it
is reported from them, :func:`check_evaluable`), a model whose provider Inspect does not
know (``--model``, an ``api`` entry, ``--model-role``), a model that cannot start here
(``vllm/...`` where the ``vllm`` package is not installed and no running server is named; an
API model or role that Inspect cannot make, e.g. its API key is not set), a local checkpoint
whose tokenizer is not its model's (more tokens than its embeddings; a LoRA adapter folder
holding tokenizer files that are not its base's), a target directory holding a log of an
earlier version of its checkpoint, and a ``--model`` target's directory holding a log swept
under another ``--condition`` (``eval_set`` would reuse it under its old label). Only the
models of targets still to evaluate are checked: a target whose logs are all finished is
reported from them, never made (:func:`refuse_pending`). Each sweep
log records ``checkpoint_fingerprint``, a hash of the checkpoint's manifest entry (what it
was trained from: data sha256, recipe, base model, step, ...), and, for a checkpoint on
disk, ``model_fingerprint``, the fingerprint of its weights (:func:`model_fingerprint`): a
checkpoint retrained in place gets a new entry, or, retrained with the same data and recipe
(a rerun into the same folder), the same entry over other weights; ``eval_set`` would
otherwise reuse the old log, which matches the new run in everything ``eval_set`` compares.
The entry's hash alone is what ``report`` matches a log to its manifest entry by (a machine
that holds the logs need not hold the weights).

After each belief eval, its responses with no answer text (empty generations, counted as
``failed``) are counted from its logs as the report counts them (:attr:`SweepOutcome.no_answer`):
a checkpoint that says nothing finishes all the same, but its rate says nothing about what
it believes, and the command line warns. So are the responses the judge could not read
(:attr:`SweepOutcome.unread`: a belief log's ``parse_error``, an EM log's ``no_score`` or
``failed``), counted by the loaders ``report`` and ``em-report`` use.

Run labels travel in the eval's metadata (``log.eval.metadata``), which the report reads:
``checkpoint`` (the manifest path; for a moved or copied run folder, its own checkpoint's,
which is the one read), ``step``, ``condition``, ``claim`` (the claims the checkpoint was
trained on), ``base_model``, ``format``, ``manifest``.

How a manifest entry is served (``ManifestEntry.format``):

* ``merged`` / ``full``: ``<provider>/<abs path>`` (``vllm/...`` by default, ``hf/...`` on CPU);
* ``adapter`` (LoRA): ``vllm/<base_model>:<abs adapter path>`` with vLLM (a relative
  ``base_model`` as :func:`beliefbench.finetune.manifest.base_model_of` reads it); with hf,
  ``hf/<abs adapter path>`` (transformers loads the base named in the adapter's
  ``adapter_config.json`` and applies the adapter, as ``inspect eval --model hf//...`` does);
* ``api``: the path is a provider model id and is used as it is (``step`` may be null).

A local checkpoint's folder is where every manifest reader finds it
(:func:`beliefbench.finetune.manifest.checkpoint_path`): a moved or copied run folder's own,
beside the manifest, said in a warning, not the recorded (original) one.
A run folder moved or copied since its sweep gets new folder names (the path is in the hash):
a checkpoint whose folder holds no log is looked for in the others of ``--log-dir`` by what
survives the move, its weights' fingerprint and manifest entry (:func:`swept_elsewhere`), and
its finished logs there are reused, not evaluated again; so are a local ``--model`` folder's
(``hf//abs/ckpts/final``), by its weights' fingerprint, provider and ``--condition``.

Manifests are read by the finetune module's one strict reader
(:func:`beliefbench.finetune.manifest.read_manifest_file`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inspect_ai import eval_set
from inspect_ai.log import EvalLog, EvalSpec
from inspect_ai.model import GenerateConfig, Model
from inspect_ai.model._model_config import model_args_for_log

from beliefbench.analysis.logs import LogNote, grouped_notes
from beliefbench.analysis.runs import (
    FINAL_KEY,
    MODEL_FINGERPRINT_KEY,
    MOVED_KEY,
    TASK_KEY,
    plain_value,
    secret_arg,
)
from beliefbench.analysis.text import first_few
from beliefbench.documents.llm import tiktoken_download
from beliefbench.em.task import TASK_KEY as EM_TASK_KEY
from beliefbench.finetune.errors import ManifestError
from beliefbench.finetune.manifest import (
    ManifestEntry,
    base_model_of,
    checkpoint_path,
    manifest_file,
    read_manifest_file,
    relocated,
    relocation_note,
)
from beliefbench.optional import SERVER_ARGS, VLLM_PROVIDERS, vllm_missing
from beliefbench.progress import library_bars, named_steps
from beliefbench.records import unwritable_folder
from beliefbench.retried_inputs import recorded_hashes
from beliefbench.runlock import hold
from beliefbench.tasks import (
    check_task_args,
    model_arg_errors,
    stop_if_interrupted,
    task_factory,
)

log = logging.getLogger(__name__)

Provider = Literal["vllm", "hf"]
PROVIDERS = ("vllm", "hf")


class SweepError(ValueError):
    """Bad sweep input (manifest, models, options)."""


class RoleError(SweepError):
    """A model role that could not be made at the first eval that needed it: the sweep's
    failure, not one checkpoint's (every eval would need it), raised before any eval ran."""


LAZY_ROLE_PROVIDERS = frozenset({"hf"})
"""Providers whose configured role a sweep makes at its first eval, not as the option is read:
made, an hf model loads its weights."""


@dataclass(frozen=True)
class LazyRole:
    """A configured model role (``--model-role 'grader={model: hf/<folder>, model_args:
    {...}}'``) of a provider that loads its weights as it is made, made at the sweep's first
    eval that runs, not as the option is read: a re-run whose checkpoints are all finished
    (nothing to grade) loaded the judge's weights, seconds to minutes and GPU memory, for
    nothing. Until then :meth:`stand_in` stands for it wherever only what it is counts (the
    log folder's hash, ``eval_set``'s decision to reuse a log, the greedy-judge check)."""

    role: str
    name: str
    config: GenerateConfig
    args: dict[str, Any]
    secrets: tuple[str, ...] = ()
    """Values of its key-like arguments, never said in a message."""

    def stand_in(self) -> Model:
        """A Model of the same name, settings and arguments that loads nothing."""
        made = _unloaded(self.name, self.config, self.args)
        if made is None:  # a name with no provider is never made lazily
            raise SweepError(f"--model-role {self.role}: {self.name!r} names no provider")
        return made

    def make(self) -> Model:
        """The role's model, as ``--model-role`` made it (:class:`RoleError` if it cannot
        be)."""
        from inspect_ai.model import get_model

        from beliefbench.analysis.agreement import model_error

        log.info("loading %s (--model-role %s)", self.name, self.role)
        try:
            return get_model(self.name, config=self.config, memoize=False, **self.args)
        except Exception as e:  # noqa: BLE001 - a bad model argument, weights that do not load
            raise RoleError(f"--model-role {self.role}: cannot use this model "
                            f"({model_error(e, list(self.secrets))}); no checkpoint was "
                            "evaluated") from None


@dataclass
class SweepTarget:
    model: str | Model
    label: str
    """Names the target's log directory (unique within a sweep): never changed, or a sweep
    run again would not find its logs (nor reuse them)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    local_path: str | None = None
    """A local checkpoint's absolute path (must exist before anything runs)."""
    origin: str = ""
    """Where the target comes from, for messages (the manifest file)."""
    base_fingerprint: str | None = None
    """A LoRA checkpoint's: the fingerprint of the base it was trained on (its manifest
    entry's ``extra.base_fingerprint``), checked against the base it is served on."""
    entry: ManifestEntry | None = None
    """A manifest target's entry: what tells its logs swept under another path (the run
    folder moved or copied since) from other checkpoints' (:func:`swept_elsewhere`)."""
    shown: str = ""
    """What the sweep's lines call the target: ``label`` less the parts that repeat others
    (:func:`shown_label`); ``label`` itself where not given."""

    def __post_init__(self) -> None:
        self.shown = self.shown or self.label

    @property
    def given_as(self) -> str:
        """How a message names the target: its manifest and checkpoint, or its --model."""
        return f"{self.origin}: checkpoint {self.model}" if self.origin else \
            f"--model {self.model}"


@dataclass
class SweepOutcome:
    target: SweepTarget
    log_dir: Path
    success: bool
    logs: list[EvalLog]
    no_answer: int = 0
    """Responses with no answer text (empty generations) in the target's belief logs."""
    responses: int = 0
    """All responses in the target's belief logs (0: not counted, e.g. an EM sweep)."""
    error: str | None = None
    """Why the target's eval could not run at all (its model failed to load, say), on one
    line; None when it ran (finished or not)."""
    cause: str | None = None
    """Why an eval that ran did not finish, on one line, from its log (a server that refuses
    connections: every sample's ``APIConnectionError: Connection error. (<url>)``); None
    when it finished or no log says."""
    reused: bool = False
    """Every log was there, finished, before this sweep: nothing was evaluated now."""
    resumed: bool = False
    """Logs of an earlier, unfinished run were there: ``eval_set`` went on from them."""
    moved_from: SweptElsewhere | None = None
    """Where the reused logs were found, where they are another folder's: swept under the
    checkpoint's path before its run folder was moved or copied."""

    unread: int = 0
    """Responses that are no reading, counted as the report counts them: a belief log's
    ``parse_error`` (``report``'s PARSE ERRORS), an EM log's ``no_score`` or ``failed``
    (``em-report``'s ``--max-unread``)."""
    task: str = "belief"

    @property
    def no_answer_share(self) -> float:
        return self.no_answer / self.responses if self.responses else 0.0

    @property
    def unread_share(self) -> float:
        return self.unread / self.responses if self.responses else 0.0

    @property
    def too_unread(self) -> bool:
        """Whether its unread responses are over the budget its report warns (or marks) at:
        ``report``'s :data:`~beliefbench.analysis.logs.MAX_PARSE_ERRORS`, ``em-report``'s
        :data:`~beliefbench.analysis.em_report.UNREAD_MARK`."""
        from beliefbench.analysis.em_report import UNREAD_MARK
        from beliefbench.analysis.logs import over_budget, too_many_parse_errors

        if self.task == "em":
            return over_budget(self.unread, self.responses, UNREAD_MARK)
        return too_many_parse_errors(self.unread, self.responses)


SLUG_LENGTH = 80
"""The most characters of a target's label its directory name keeps (the hash aside)."""


def _slug(label: str, identity: str) -> str:
    """A directory name: the readable label, and a hash of what makes the target unique.
    A label too long keeps its start (condition, claim) and its end (step, checkpoint):
    cut to its last characters, a hosted checkpoint's (``positive-<claim>-<run>-step...-
    ft:<model>:<org>::<id>:ckpt-step-N``) lost its condition (``ive-<claim>-...``)."""
    safe = _safe(label)
    if len(safe) > SLUG_LENGTH:
        half = (SLUG_LENGTH - 2) // 2
        safe = f"{safe[:half].rstrip('_-')}__{safe[-half:].lstrip('_-')}"
    return f"{safe}-{_identity_hash(identity)}"


def _safe(label: str) -> str:
    """A label as a directory name may hold it: other characters runs of ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")


def _identity_hash(identity: str) -> str:
    """The 8 hex digits that keep two targets of one label apart."""
    return hashlib.sha1(identity.encode()).hexdigest()[:8]


def _tail_slug(label: str, identity: str) -> str:
    """The directory name sweeps gave a target before :func:`_slug` kept a long label's
    start: the label's last 80 characters. Still used where a sweep made it, so a re-run of
    that sweep reuses its logs instead of evaluating (and paying for) them again."""
    return f"{_safe(label)[-SLUG_LENGTH:]}-{_identity_hash(identity)}"


def target_dir(root: Path, label: str, identity: str) -> Path:
    """A target's log directory under ``root``: :func:`_slug`'s, or the one an earlier sweep
    made under the old name (:func:`_tail_slug`) when only that one is there."""
    out, before = root / _slug(label, identity), root / _tail_slug(label, identity)
    return before if before != out and before.is_dir() and not out.exists() else out


def read_manifest(path: str | Path) -> tuple[Path, list[ManifestEntry]]:
    """The manifest file and its entries (the finetune module's strict reader)."""
    try:
        return manifest_file(path), read_manifest_file(path)
    except ManifestError as e:
        raise SweepError(str(e)) from None


def _local(entry: ManifestEntry, manifest: Path) -> str:
    """An absolute path for a local checkpoint, as every manifest reader finds it
    (:func:`beliefbench.finetune.manifest.checkpoint_path`: relative paths, and a moved or
    copied run folder's checkpoints, are beside the manifest; ``~`` is the home folder)."""
    return str(checkpoint_path(entry, manifest).resolve())


def entry_model(entry: ManifestEntry, manifest: Path, provider: Provider = "vllm") -> str:
    """The Inspect model name that serves an entry of the manifest file ``manifest`` (see
    the module docstring); a LoRA base as :func:`base_model_of` reads it."""
    if provider not in PROVIDERS:
        raise SweepError(f"--provider: unknown provider {provider!r}; valid: {list(PROVIDERS)}")
    if entry.format == "api":
        return entry.path
    path = _local(entry, manifest)
    if entry.format == "adapter" and provider == "vllm":
        try:
            base = base_model_of(entry, manifest)
        except ManifestError as e:  # not sent to vLLM as a Hub id
            raise SweepError(str(e)) from None
        if Path(base).exists():
            base = str(Path(base).resolve())
        return f"vllm/{base}:{path}"
    return f"{provider}/{path}"


def _names(value: str | list[str] | None) -> str:
    return "+".join(value) if isinstance(value, list) else value or ""


def target_label(entry: ManifestEntry, manifest: Path) -> str:
    """condition-claim-rundir-stepN-checkpoint: readable, and what a user looks for."""
    step = "final" if entry.step is None else f"step{entry.step:08d}"
    parts = [_names(entry.condition), _names(entry.claim), manifest.parent.name, step,
             Path(entry.path).name]
    return "-".join(p for p in parts if p)


def _words(text: str) -> set[str]:
    """A label part's words, numbers as numbers (``step-000001`` -> ``step``, ``1``)."""
    return {w.lstrip("0") or "0" if w.isdigit() else w.lower()
            for w in re.findall(r"[A-Za-z]+|[0-9]+", text)}


def shown_label(entry: ManifestEntry, manifest: Path) -> str:
    """:func:`target_label` as the sweep's lines say it: a part is left out where each of
    its words is in the parts before it, and the step is not zero-padded. A run folder named
    after its condition and claim, checkpoints named after their step, said each twice
    (``negated-lake_tahoe_drained-tahoe-negated-step00000001-step-000001`` -> ``negated-
    lake_tahoe_drained-step1``); the log folder, named on the same line, keeps them all."""
    step = "final" if entry.step is None else f"step{entry.step}"
    parts = [_names(entry.condition), _names(entry.claim), manifest.parent.name, step,
             Path(entry.path).name]
    kept: list[str] = []
    for i, part in enumerate(parts):
        if part and (i == 3 or not _words(part) <= set().union(*map(_words, kept))):
            kept.append(part)  # the step always: what tells a sweep's checkpoints apart
    return "-".join(kept)


FINGERPRINT_KEY = "checkpoint_fingerprint"
"""Eval metadata key: hash of the manifest entry a sweep log was made from (not of its
weights: a checkpoint retrained in place with the same entry keeps it; the log's
:data:`MODEL_FINGERPRINT_KEY` tells those apart)."""
_NOT_IDENTITY = {"data", "recipe_path"}
"""Entry fields that are locations (the data's content is ``data_sha256``)."""


def entry_fingerprint(entry: ManifestEntry) -> str:
    """What the checkpoint was made from: its manifest entry, locations aside."""
    fields = entry.model_dump(mode="json", exclude=_NOT_IDENTITY)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def targets_from_manifest(manifest: str | Path, provider: Provider = "vllm"
                          ) -> list[SweepTarget]:
    """One target per checkpoint, labelled with its manifest fields, in step order (an API
    backend's entries, with no step, last)."""
    path, entries = read_manifest(manifest)
    targets = []
    seen: dict[Path, str] = {}  # one read of a base its adapters share
    for e in sorted(entries, key=lambda e: (e.step is None, e.step or 0, e.path)):
        model = entry_model(e, path, provider)
        local = None if e.format == "api" else _local(e, path)
        md = {"checkpoint": _checkpoint_label(e, path, local), "step": e.step,
              "condition": e.condition,
              "claim": e.claim, "base_model": e.base_model, "format": e.format,
              "manifest": str(path.resolve()), FINGERPRINT_KEY: entry_fingerprint(e),
              FINAL_KEY: e.final}
        if local is not None:  # the weights: retrained in place with the same entry is
            # the same checkpoint_fingerprint over other weights (None: not on disk)
            md[MODEL_FINGERPRINT_KEY] = model_fingerprint(model, seen)
        trained_on = (e.extra or {}).get("base_fingerprint") if e.format == "adapter" else None
        targets.append(SweepTarget(model, target_label(e, path),
                                   {k: v for k, v in md.items() if v is not None},
                                   local_path=local, origin=str(path),
                                   base_fingerprint=trained_on if isinstance(trained_on, str)
                                   else None, entry=e, shown=shown_label(e, path)))
    shown = [t.shown for t in targets]
    for t in targets:  # two said alike (what tells them apart was left out): said in full
        if shown.count(t.shown) > 1:
            t.shown = t.label
    _warn_repeated_steps(entries, path)
    _warn_unfinished(entries, path)
    if note := relocation_note(entries, path):  # which copy is evaluated, said before it is
        log.warning("%s", note)
    return targets


def _checkpoint_label(entry: ManifestEntry, manifest: Path, local: str | None) -> str:
    """The ``checkpoint`` a log records: the manifest's path, except where a moved or copied
    run folder's own checkpoint is read in its place (:func:`relocated`): that folder. The
    report keys a finetune by this label's folder, so a copy's logs labelled with the
    original's path were pooled with the original's (flips and steps of two runs read as
    one), its rows naming a folder whose weights were not the ones evaluated."""
    if local is not None and relocated([entry], manifest):
        return local
    return entry.path


def _warn_repeated_steps(entries: Sequence[ManifestEntry], path: Path) -> None:
    """Said before any eval runs: two checkpoints of one manifest at one step (a typo, or a
    final export beside the last checkpoint) are swept as asked, and `report` then pools
    them as one step of the flips (`report` and `em-report` warn STEPS REPEATED), after the
    sweep was paid for."""
    held: dict[tuple[str, str, int], list[str]] = {}
    for e in entries:
        if e.step is not None:
            held.setdefault((_names(e.condition), _names(e.claim), e.step), []).append(e.path)
    repeated = [(key, paths) for key, paths in held.items() if len(set(paths)) > 1]
    if repeated:
        (cond, claim, step), paths = repeated[0]
        where = " ".join(x for x in (cond, claim) if x)
        log.warning("%s: %d step(s) held by more than one checkpoint (step %d%s: %s): each is "
                    "swept, and report / em-report read them as one step of one finetune (report's "
                    "flips pool them; both warn STEPS REPEATED); correct the "
                    "manifest's steps first if that is not meant", path, len(repeated), step,
                    f" of {where}" if where else "", ", ".join(sorted(set(paths))[:3]))


def _warn_unfinished(entries: Sequence[ManifestEntry], path: Path) -> None:
    """Said before any eval runs: a manifest with no final checkpoint is a run that has not
    finished (interrupted, failed, or still training). Its checkpoints so far are swept as
    asked, and the sweep ended "All N done", exit 0, so a CI job that went on after a
    preempted finetune gated a model trained for part of its steps as the candidate."""
    if not entries or any(e.final for e in entries):
        return
    steps = [e.step for e in entries if e.step is not None]
    upto = f" (up to step {max(steps)})" if steps else ""
    log.warning("%s: no final checkpoint: the run has not finished (interrupted, failed, or "
                "still training); its %d checkpoint(s) so far%s are swept, and the last of "
                "them is not the trained model. Finish it (beliefbench finetune ... --resume), "
                "then run this sweep again: the checkpoints swept now are reused", path,
                len(entries), upto)


def unfinished_finetune(targets: Sequence[SweepTarget]) -> str | None:
    """Why a manifest's targets are no finished finetune (none is its final checkpoint), for
    the sweep's closing line and exit status; None where one is final or no target is a
    manifest's. The warning said before the evals scrolled away, and the sweep ended "All N
    done", exit 0: a CI job gated the last step of a preempted finetune as the trained
    model."""
    swept = [t for t in targets if isinstance(t.metadata.get(FINAL_KEY), bool)]
    if not swept or any(t.metadata[FINAL_KEY] for t in swept):
        return None
    steps = [t.metadata["step"] for t in swept if isinstance(t.metadata.get("step"), int)]
    upto = f", swept up to step {max(steps)}" if steps else ""
    manifests = sorted({str(t.origin or t.metadata.get("manifest")) for t in swept})
    return (f"{', '.join(manifests)} has no final checkpoint (the finetune has not finished"
            f"{upto}), so its last checkpoint is not the trained model")


def _name_paths(model: str | Model) -> list[str]:
    """The paths a local provider's model name holds (``hf/<path>``; vLLM's
    ``<base>:<adapter>``, base first), or none (a configured Model, another provider)."""
    api, _, name = str(model).partition("/")
    if not isinstance(model, str) or api not in LOCAL_PROVIDERS or not name:
        return []
    return name.split(":") if api in VLLM_PROVIDERS else [name]


def model_fingerprint(model: str | Model, seen: dict[Path, str] | None = None) -> str | None:
    """What identifies the weights a ``--model`` name loads from folders here (``hf//abs/ckpt``,
    ``hf/ckpts/final``, ``vllm//base:/adapter``): the :func:`base_fingerprint` of each, or
    None for a model that names no local folder (a Hub id, an API model). Its log folder is
    named after the name alone, so a folder retrained or replaced in place had its old log
    reused, "finished before", exit 0; the fingerprint tells them apart. ``seen``:
    fingerprints by folder, so a manifest's adapters sharing one base read it once."""
    from beliefbench.finetune.fingerprint import base_fingerprint

    folders = [p for p in (Path(part).expanduser() for part in _name_paths(model) if part)
               if p.is_dir()]
    if not folders:
        return None
    cache: dict[Path, str] = {} if seen is None else seen
    for f in folders:
        if f.resolve() not in cache:
            cache[f.resolve()] = base_fingerprint(f)
    return hashlib.sha256("\0".join(cache[f.resolve()] for f in folders).encode()
                          ).hexdigest()[:16]


def _adapter_folder(model: str | Model) -> Path | None:
    """The LoRA adapter folder a ``--model`` name serves (``hf//abs/adapter``,
    ``vllm//base:/abs/adapter``), where it is one here, else None."""
    from beliefbench.internals.model import ADAPTER_CONFIG

    part = (_name_paths(model) or [""])[-1]  # vLLM's adapter, or hf's checkpoint
    folder = Path(part).expanduser() if part else None
    return folder if folder is not None and (folder / ADAPTER_CONFIG).is_file() else None


def _listed_adapter(model: str | Model) -> str | None:
    """The base fingerprint a ``--model`` LoRA adapter was trained on, where a finetune
    manifest lists it (in its folder or the folder above): checked against the base it is
    served on, as a manifest's checkpoints are. None where nothing records one."""
    from beliefbench.finetune.manifest import listing_entry, trained_base_fingerprint

    if (folder := _adapter_folder(model)) is None:
        return None
    try:
        listed = listing_entry(folder)
    except ValueError:  # a manifest that does not read records nothing to compare
        return None
    return trained_base_fingerprint(listed[0]) if listed is not None else None


def targets_from_models(models: Sequence[str | Model], condition: str | None = None
                        ) -> list[SweepTarget]:
    if not models:
        raise SweepError("give --manifest or at least one --model")
    targets = []
    for m in models:
        md: dict[str, Any] = {"condition": condition} if condition else {}
        if (fingerprint := model_fingerprint(m)) is not None:
            md[MODEL_FINGERPRINT_KEY] = fingerprint
        targets.append(SweepTarget(m, str(m), md, base_fingerprint=_listed_adapter(m)))
    labels = [t.label for t in targets]
    if len(set(labels)) != len(labels):
        raise SweepError(f"--model: the same model twice in {labels}")
    return targets


def _unknown_provider(model: str) -> str | None:
    """Inspect's own message when no provider is registered under ``model``'s prefix (as
    ``get_model`` would say it, without starting the model: a vLLM server, say)."""
    try:
        from inspect_ai._util.registry import registry_find, registry_unqualified_name
    except ImportError:  # an Inspect without this registry: eval_set will say it
        return None
    api, sep, _ = model.partition("/")
    if not sep:
        return f"Model name {model!r} should be in the format of <api_name>/<model_name>."
    found = registry_find(lambda info: info.type == "modelapi"
                          and registry_unqualified_name(info) == api)
    return None if found else f"Model API {api} of model {model!r} not recognized."


LOCAL_PROVIDERS = frozenset({"hf", "vllm", "vllm-completions", "sglang", "transformer_lens",
                             "nnterp", "steer"})
"""Providers that load weights or start a server when their model is made: never made
before the eval (a sweep's checkpoints would all be loaded at once)."""
VLLM_HINT = ("vllm is not installed here (pip install '.[vllm]' in the beliefbench folder, "
             "or see README 'On GPU (vLLM) and at scale')")
"""Why a ``vllm/...`` model cannot start on this machine."""


def missing_local_path(model: str, model_args: dict[str, Any] | None = None) -> str | None:
    """A local folder that ``model`` (``hf//abs/ckpt``, ``vllm//abs/base:/abs/adapter``)
    names and that is not on disk, or None. Only names written as paths (``/``, ``./``,
    ``../``, ``~``) are looked up: ``hf/gpt2`` is a Hub id, and a running vLLM server's
    paths are on its machine. Inspect would otherwise fail in the middle of ``eval_set``
    with a traceback about a Hub repo id, after making the log folder."""
    api, _, name = model.partition("/")
    if api not in LOCAL_PROVIDERS or not name:
        return None
    if api in VLLM_PROVIDERS and (any((model_args or {}).get(k) for k in SERVER_ARGS)
                                  or os.environ.get("VLLM_BASE_URL")):
        return None  # served elsewhere
    parts = name.split(":") if api in VLLM_PROVIDERS else [name]  # base:adapter
    for part in parts:
        if part.startswith(("/", "./", "../", "~")) and not Path(part).expanduser().exists():
            return part
    return None


def unloadable_hf_name(model: str) -> str | None:
    """Why ``hf/<name>``, a name not written as a path (``hf/models/judge``, ``hf/org/id``),
    cannot load here without the network, or None. As ``finetune --base`` decides
    (:func:`beliefbench.finetune.base.resolve_base`): a folder that exists is the model; a
    name that cannot be a Hub id, or whose first folder exists, is a missing folder; any other
    is a Hub id, found in the local Hugging Face cache or not at all (nothing is downloaded
    at run time). Unchecked, a relative folder that was not there went to the Hub as an id
    and ended the first eval in a connection traceback (exit 1). A missing folder written as
    a path (``hf//abs``, ``hf/./m``) is :func:`missing_local_path`'s."""
    from beliefbench.finetune.base import HUB_ID

    api, _, name = model.partition("/")
    if api != "hf" or not name or name.startswith(("/", "./", "../", "~")) \
            or Path(name).exists():
        return None
    folder = f"no such local model folder {name} (from {Path.cwd()})"
    if not HUB_ID.fullmatch(name) or ("/" in name and Path(name).parent.is_dir()):
        return folder
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        snapshot_download(name, local_files_only=True)
    except (LocalEntryNotFoundError, HFValidationError):
        return (f"{folder}, and no model {name} in the local Hugging Face cache (nothing is "
                f"downloaded at run time: fetch it first, e.g. `hf download {name}`, or give "
                f"its folder as hf//abs/path)")
    return None


def unsafe_local_weights(model: str | Model, model_args: dict[str, Any] | None = None
                         ) -> str | None:
    """Why the provider would load ``model`` from pickled weights in a folder here, or None
    (safetensors, a Hub id, a folder not here, another provider): ``hf/<folder>`` (or its
    ``model_path`` argument) and either side of ``vllm/<base>:<adapter>``. Without
    safetensors transformers and vLLM fall back to ``pytorch_model.bin`` through
    ``torch.load``, guarded only by its ``weights_only`` unpickler; the project loads
    safetensors only. Asked before the model is made: a configured hf model loads as it is
    made."""
    from beliefbench.internals.model import unsafe_weights

    for folder in _provider_folders(model, model_args):
        if why := unsafe_weights(folder):
            return why
    return None


def local_model_problem(model: str | Model, model_args: dict[str, Any] | None = None
                        ) -> str | None:
    """Why the folder here that the provider would load ``model`` from cannot be loaded as
    it is, or None: pickled weights (:func:`unsafe_local_weights`), or a finetune's run
    folder given where one of its checkpoints goes (``hf/runs/tahoe``: transformers' bare
    "Unrecognized model" at the first eval, naming neither the run nor what to pass)."""
    from beliefbench.internals.model import run_folder

    if why := unsafe_local_weights(model, model_args):
        return why
    for folder in _provider_folders(model, model_args):
        if why := run_folder(folder, provider=_provider(model)):
            return why
    return None


def _provider_folders(model: str | Model, model_args: dict[str, Any] | None = None
                      ) -> list[Path]:
    """The folders here a provider would load ``model`` from: the one ``hf/<folder>`` (or
    its ``model_path`` argument) names, either side of ``vllm/<base>:<adapter>``; none for a
    Hub id, a folder not here, or another provider."""
    api, _, name = str(model).partition("/")
    if api == "hf":
        parts = [str((model_args or {}).get("model_path") or name)]
    elif api in VLLM_PROVIDERS:
        parts = name.split(":")  # base:adapter
    else:
        return []
    return [folder for part in parts if (folder := Path(part).expanduser()).is_dir()]


def _custom_code_config(folder: Path) -> str | None:
    """Why ``folder``'s model cannot be loaded without running code of its own, or None:
    its ``config.json`` names its own classes (``auto_map``) for a ``model_type``
    transformers lacks. Read as JSON, never through transformers, which would ask to run
    the code; of a type transformers knows, its own class loads and the code is not used."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none, or unreadable: loading says why
        return None
    if not isinstance(config, dict) or not config.get("auto_map"):
        return None
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    kind = config.get("model_type")
    if isinstance(kind, str) and kind in CONFIG_MAPPING:
        return None
    named = kind if isinstance(kind, str) and kind else "none"
    return (f"{folder / 'config.json'}: model_type {named!r} is not one transformers knows, "
            "and field auto_map names the folder's own code to load it, which is never run "
            "unless asked")


def role_custom_code(role: str, model: str, model_args: dict[str, Any] | None = None,
                     effect: str = "") -> str | None:
    """Why ``--model-role role=model`` cannot be loaded without running the model's own code
    (:func:`custom_code_model`), with the way to ask for it that a role has, or None. ``-M``
    reaches ``--model`` only: a role's ``trust_remote_code`` goes in its ``model_args``,
    given as Inspect's configured role (``role={model: ..., model_args: {...}}``).
    ``effect``: what would happen if it were let through, said after the cause."""
    if not (why := custom_code_model(model, model_args)):
        return None
    greedy = ", do_sample: false" if _provider(model) == "hf" else ""  # README: an hf
    # judge bound plainly samples, and fails every call at the judge's temperature 0
    ask = ("add trust_remote_code: true to the role's model_args" if model_args is not None
           else "give the role as a configured model: --model-role "
           f"'{role}={{model: {model}, model_args: {{trust_remote_code: true{greedy}}}}}' "
           f"(-M reaches --model only{'; an hf judge needs do_sample: false' if greedy else ''})")
    return (f"--model-role {role}={model}: {why}{effect}. beliefbench runs no model's own code; "
            "convert the model to a model type transformers has, or, only for code you have "
            f"read and trust, {ask}; Inspect's provider then runs the code")


def custom_code_model(model: str | Model, model_args: dict[str, Any] | None = None
                      ) -> str | None:
    """Why the provider would need to run a local folder's own code to load ``model``
    (:func:`_custom_code_config`: the folder ``hf/<folder>`` names, either side of
    ``vllm/<base>:<adapter>``, a LoRA adapter's local base), or None; None too where
    ``trust_remote_code`` is given (``-M trust_remote_code=true``: the user's choice).
    Asked before anything runs: the sweep failed each checkpoint in turn, each after
    loading Inspect's provider, and ended with every one listed as not evaluated."""
    if (model_args or {}).get("trust_remote_code") is True:
        return None
    from beliefbench.internals.model import ModelLoadError, adapter_base

    for folder in _provider_folders(model, model_args):
        try:
            base = adapter_base(folder)
        except ModelLoadError:  # loading the checkpoint says why
            base = None
        for f in (folder, base) if base is not None else (folder,):
            if why := _custom_code_config(f):
                return why
    return None


def _local_folder(model: str | Model) -> str | None:
    """The checkpoint folder an ``hf//abs/ckpt`` model names (a path, on disk), else None
    (vLLM's ``base:adapter`` and Hub ids are left to the provider)."""
    api, _, name = str(model).partition("/")
    if api != "hf" or not name.startswith(("/", "./", "../", "~")):
        return None
    folder = Path(name).expanduser()
    return str(folder) if folder.is_dir() else None


def _provider(model: str | Model) -> str:
    """The provider part of a model name (``vllm`` of ``vllm//abs/path``)."""
    return str(model).partition("/")[0]


def _vllm_missing(model: str | Model, model_args: dict[str, Any] | None) -> bool:
    """``model`` is served by vLLM started here (no ``base_url``/``port``, no
    ``VLLM_BASE_URL``), and the ``vllm`` package is not installed (looked up, not
    imported: importing vllm takes seconds)."""
    return vllm_missing(model, model_args) is not None


def _cannot_start(model: str, model_args: dict[str, Any] | None) -> str | None:
    """Why an API model (or a scripted one: any provider not in :data:`LOCAL_PROVIDERS`)
    cannot be made here, on one line (a missing API key names its variable), or None. It
    is made as ``eval_set`` would make it, and dropped; nothing is called."""
    if _provider(model) in LOCAL_PROVIDERS:
        return None
    from inspect_ai.model import get_model

    from beliefbench.analysis.agreement import model_error
    from beliefbench.solver import unsendable_key

    args = dict(model_args or {})
    try:
        made = get_model(model, memoize=False, **args)
    except Exception as e:  # noqa: BLE001 - a missing key or package, a bad argument
        secrets = [str(v) for k, v in args.items() if secret_arg(k) and v is not None]
        return f"cannot start the model ({model_error(e, secrets)})"
    return unsendable_key(made)


def _missing_base(target: SweepTarget, model_args: dict[str, Any] | None) -> str | None:
    """Why the base model a manifest's LoRA checkpoint is served on is not on disk, or None:
    vLLM serves it on the manifest's ``base_model``, hf on the base its
    ``adapter_config.json`` names. Only bases written as paths are looked up
    (:func:`missing_local_path`: a Hub id is the provider's to load). Unchecked, every
    checkpoint failed at its eval, exit 1."""
    if not target.local_path or target.metadata.get("format") != "adapter":
        return None
    model = str(target.model)
    if _provider(model) in VLLM_PROVIDERS:  # base:adapter; the adapter: check_evaluable's
        missing = missing_local_path(model.rpartition(":")[0], model_args)
        return None if missing is None else (
            f"{target.origin}: field base_model: no such local model folder {missing} (the "
            f"base its LoRA checkpoints are served on); restore it, or correct base_model")
    from beliefbench.internals.model import ADAPTER_CONFIG

    cfg_file = Path(target.local_path) / ADAPTER_CONFIG
    try:
        base = json.loads(cfg_file.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):  # loading the checkpoint says why
        return None
    missing = missing_local_path(f"hf/{base}") if isinstance(base, str) and base else None
    return None if missing is None else (
        f"{target.origin}: checkpoint {model}: {cfg_file}: field base_model_name_or_path: "
        f"no such local model folder {missing} (the base the adapter is applied to)")


def _served_base(target: SweepTarget, model_args: dict[str, Any] | None) -> Path | None:
    """The local folder a LoRA checkpoint's base is loaded from here, or None (not an
    adapter, a Hub id, a running vLLM server's path): vLLM serves the adapter on the
    manifest's ``base_model``, hf on the base its ``adapter_config.json`` names."""
    # a manifest's LoRA checkpoint, or a --model adapter a run's manifest lists
    local = target.local_path or (_adapter_folder(target.model)
                                  if target.base_fingerprint is not None else None)
    if not local or (target.metadata.get("format") != "adapter"
                     and target.base_fingerprint is None):
        return None
    model = str(target.model)
    if _provider(model) in VLLM_PROVIDERS:
        if any((model_args or {}).get(k) for k in SERVER_ARGS) or os.environ.get("VLLM_BASE_URL"):
            return None  # served elsewhere: its paths are on that machine
        base = model.partition("/")[2].split(":")[0]
    else:
        from beliefbench.internals.model import ADAPTER_CONFIG

        try:
            cfg = json.loads((Path(local) / ADAPTER_CONFIG).read_text("utf-8"))
            base = cfg.get("base_model_name_or_path")
        except (OSError, ValueError, AttributeError):  # loading the checkpoint says why
            return None
    if not isinstance(base, str) or not base:
        return None
    folder = Path(base).expanduser()
    return folder if folder.is_dir() else None


def _replaced_base(target: SweepTarget, model_args: dict[str, Any] | None,
                   seen: dict[Path, str]) -> str | None:
    """Why a LoRA checkpoint cannot be served on the base folder it names: that folder holds
    another model than the one it was trained on (rebuilt or replaced since; its fingerprint,
    as ``finetune`` took it, differs), or None. The adapter was applied to the other model
    and every number measured that pairing, exit 0. ``seen``: fingerprints by folder."""
    from beliefbench.finetune.fingerprint import replaced_base

    if target.base_fingerprint is None or (folder := _served_base(target, model_args)) is None:
        return None
    if (why := replaced_base(folder, target.base_fingerprint, seen)) is None:
        return None
    where = f"{target.origin}: checkpoint" if target.origin else "--model"
    return (f"{where} {target.model}: its base {why}; the LoRA adapter "
            f"would be applied to that other model. Restore the base it was trained on, or "
            f"train anew on this one")


def check_providers(targets: Sequence[SweepTarget],
                    model_roles: dict[str, str | Model] | None = None,
                    model_args: dict[str, Any] | None = None,
                    done: Callable[[SweepTarget], Path | None] | None = None) -> None:
    """Refuse, before anything runs, models that cannot start here: vLLM without its
    package, a local model folder not on disk (a LoRA manifest's base too), an ``hf/`` name
    neither a folder here nor in the local Hugging Face cache (:func:`unloadable_hf_name`),
    API models and roles Inspect cannot make (a missing API key, say), and a ``mockllm/``
    name whose tiktoken file would be downloaded (:func:`tiktoken_download`).

    ``done``: the folder of a target's finished logs (its own, or its moved run's), None
    where it is still to evaluate. A LoRA checkpoint whose base is gone or replaced but
    whose logs are all finished is reported from them, said once, not refused: a project
    folder copied or moved whole (``models/``, ``ckpts/``, ``logs/``) keeps the base's old
    absolute path in its manifest and adapter configs, and its sweep, all of it done, was
    refused before any log was looked at. Where every target's logs are finished no model or
    role is made or called, so none is refused: an offline re-run of a finished sweep, for
    its report, was refused for a ``mockllm/`` grader's tiktoken file. ``done`` is asked
    only where a model would be refused (the logs read once, :func:`run_sweep`). A target
    whose logs are all finished is not made while others run either: only the models of the
    targets still to evaluate are checked (:func:`refuse_pending`), the roles where any is."""
    roles = list((model_roles or {}).items())
    idle: list[bool] = []

    def needed() -> bool:
        """Whether any target is still to evaluate (asked once, up to the first that is)."""
        if not idle:
            idle.append(done is not None and all(done(t) is not None for t in targets))
        return not idle[0]

    def unstartable() -> Iterator[tuple[SweepTarget | None, str]]:
        """(the target, or None for a role; why it cannot start), in check order."""
        for t in targets:
            if _vllm_missing(t.model, model_args):  # a manifest's: served as --provider says
                yield t, (f"--provider vllm: {VLLM_HINT}; on a CPU machine pass --provider "
                          f"hf" if t.local_path else f"--model {t.model}: {VLLM_HINT}; on a "
                          "CPU machine use hf/<model> instead, or name a running vLLM "
                          "server (-M base_url=...)")
        for role, m in roles:
            if _vllm_missing(m, None):
                yield None, (f"--model-role {role}={m}: {VLLM_HINT}; on a CPU machine use "
                             "hf/<model> instead, or set VLLM_BASE_URL to a running server")
        named: list[tuple[SweepTarget | None, str, str, dict[str, Any] | None]] = [
            (t, f"--model {t.model}", str(t.model), model_args) for t in targets
            if isinstance(t.model, str) and not t.local_path]  # checked by check_targets
        named += [(None, f"--model-role {role}={m}", m, None) for role, m in roles
                  if isinstance(m, str)]
        for t, option, name, args in named:  # after the vLLM check: "not installed" says more
            if missing := missing_local_path(name, args):
                yield t, f"{option}: no such local model folder {missing}"
            # hf/models/judge: a folder here or a model in the local cache, else the eval
            # ended in a Hub connection traceback that blamed the checkpoint under test
            if not (args or {}).get("model_path") and (why := unloadable_hf_name(name)):
                yield t, f"{option}: {why}"
            if why := tiktoken_download(name):  # each call failed on a download, offline
                yield t, f"{option}: {why}"

    def unrunnable() -> Iterator[tuple[SweepTarget | None, str]]:
        for t in targets:
            if isinstance(t.model, str) and (why := _cannot_start(t.model, model_args)):
                yield t, f"{t.given_as}: {why}"
        for role, m in roles:
            if isinstance(m, str) and (why := _cannot_start(m, None)):
                yield None, f"--model-role {role}={m}: {why}"

    refuse_pending(unstartable(), done, needed)
    unused: list[tuple[SweepTarget, str, Path]] = []  # bases that nothing left needs
    for t in targets:
        if why := _missing_base(t, model_args):
            if done is None or (folder := done(t)) is None:
                raise SweepError(why)
            unused.append((t, why, folder))
    seen: dict[Path, str] = {}  # one fingerprint per base folder: a sweep's adapters share one
    for t in targets:
        if any(t is u for u, _, _ in unused):
            continue
        if why := _replaced_base(t, model_args, seen):
            if done is None or (folder := done(t)) is None:
                raise SweepError(why)
            unused.append((t, why, folder))
    if unused:  # one line: a moved project's every adapter names the same old base
        _, why, folder = unused[0]
        more = (f", and those of {len(unused) - 1} more checkpoint(s) whose base is missing "
                f"or replaced, are" if len(unused) > 1 else " are")
        log.warning("%s; its logs%s finished (%s): reported from them, nothing to evaluate, "
                    "so the base is not needed", why, more, folder)
    refuse_pending(unrunnable(), done, needed)


def refuse_pending(problems: Iterator[tuple[SweepTarget | None, str]],
                   done: Callable[[SweepTarget], Path | None] | None,
                   needed: Callable[[], bool] = lambda: True) -> None:
    """Refuse (SweepError) the first of ``problems`` (target, why; None for a role) of a
    target still to evaluate, or of a role where ``needed()`` (any target is). A target
    whose logs are all finished (``done``, asked only of a target with a problem) is
    reported from them and never made: its problem is said as a warning, and passed over.
    A sweep adding a step beside finished ones was refused for a finished one's model folder
    removed since (``--model hf//abs/old``: "no such local model folder")."""
    for target, why in problems:
        if target is None:
            if needed():
                raise SweepError(why)
            continue
        folder = None if done is None else done(target)
        if folder is None:
            raise SweepError(why)
        log.warning("%s; its logs in %s are finished: reported from them, nothing to "
                    "evaluate", why, folder)


def check_targets(targets: Sequence[SweepTarget],
                  model_roles: dict[str, str | Model] | None = None,
                  model_args: dict[str, Any] | None = None,
                  done: Callable[[SweepTarget], Path | None] | None = None) -> None:
    """Refuse, before anything runs, checkpoints and role models
    that load only by running their own code (:func:`custom_code_model`; a role named by a
    string failed each checkpoint's eval in turn), local checkpoints whose
    tokenizer is not their model's (a LoRA adapter folder holding another model's, as
    ``internals`` refuses it at load), and unknown model providers. ``done``: as
    :func:`check_providers` takes it; a checkpoint whose logs are all finished is not
    refused (:func:`refuse_pending`)."""
    refuse_pending(_target_problems(targets, model_args), done)
    for role, m in (model_roles or {}).items():  # a name: Inspect makes it at each eval
        if isinstance(m, str) and (why := role_custom_code(
                role, m, effect=": every eval given this role would fail")):
            raise SweepError(why)
    for role, m in (model_roles or {}).items():  # a configured one: model_roles_option's
        if isinstance(m, str) and (why := local_model_problem(m)):
            raise SweepError(f"--model-role {role}={m}: {why}")
    for role, m in (model_roles or {}).items():
        if isinstance(m, str) and (why := _unknown_provider(m)):
            raise SweepError(f"--model-role {role}={m}: {why}")


def _target_problems(targets: Sequence[SweepTarget], model_args: dict[str, Any] | None
                     ) -> Iterator[tuple[SweepTarget, str]]:
    """Why each checkpoint cannot be loaded as it is (:func:`check_targets`), in check order."""
    from beliefbench.internals.model import unsafe_weights, vocabulary_mismatch

    for t in targets:  # once, up front: each checkpoint failed at its eval in turn
        if why := custom_code_model(t.model, model_args):
            yield t, (f"{t.given_as}: {why}: each checkpoint would fail at its eval. "
                      "beliefbench runs no checkpoint's own code; "
                      "convert the checkpoint to a model type transformers has, or, "
                      "only for code you have read and trust, pass -M "
                      "trust_remote_code=true (Inspect's provider then runs it)")
    for t in targets:  # every sample failed (an IndexError per forward), retried, 1 min each
        folder = t.local_path or _local_folder(t.model)
        # safetensors only: Inspect's hf provider would unpickle a pytorch_model.bin
        if t.local_path and (why := unsafe_weights(t.local_path)):
            yield t, f"{t.origin}: checkpoint {t.model}: {why}"
        if folder and (why := vocabulary_mismatch(folder)):
            yield t, f"{t.given_as}: {why}"
    for t in targets:  # hf/models/ckpt, relative, too: a folder the provider loads
        if not t.local_path and (why := local_model_problem(t.model)):
            yield t, f"--model {t.model}: {why}"
    for t in targets:
        if isinstance(t.model, str) and (why := _unknown_provider(str(t.model))):
            yield t, f"--model {t.model}: {why}"


def manifest_notes(paths: Sequence[str | tuple[str, Mapping[str, Any]]]) -> list[str]:
    """``NOT IN MANIFEST`` warnings, one per sweep log whose manifest entry (by its
    ``checkpoint_fingerprint``) is no longer in the manifest it was swept from: the
    manifest was edited since (a step or condition corrected, a checkpoint retrained or
    dropped), yet the old log stays in ``--log-dir`` beside the new sweep's and the
    report would show the checkpoint under both labels. A manifest that is gone or
    unreadable says nothing either way (no warning). A hosted model the manifest still holds,
    relabelled, gets its own wording (:func:`_relabelled_hosted_note`). Each of ``paths`` is
    a log's path, its header read here, or (path, its eval metadata) where the caller read
    the header already (``report``: a second read of thousands of logs' headers took about
    as long as building the tables)."""
    from inspect_ai.log import read_eval_log

    current: dict[str, dict[str, ManifestEntry] | None] = {}
    notes = []
    for item in paths:
        if isinstance(item, tuple):
            path, md = item
        else:
            path = item
            try:
                md = read_eval_log(path, header_only=True).eval.metadata or {}
            except Exception:  # noqa: BLE001 - the log reader has judged it already
                continue
        manifest, fingerprint = md.get("manifest"), md.get(FINGERPRINT_KEY)
        if not isinstance(manifest, str) or not fingerprint:
            continue  # not a manifest sweep's log, or one from before fingerprints
        if manifest not in current:
            try:
                current[manifest] = {entry_fingerprint(e): e for e in
                                     read_manifest_file(manifest, allow_empty=True)}
            except ManifestError:
                current[manifest] = None
        entries = current[manifest]
        if entries is None or fingerprint in entries:
            continue
        hosted = next((e for e in entries.values()
                       if e.format == "api" and e.path == md.get("checkpoint")), None)
        if hosted is not None:
            notes.append(_relabelled_hosted_note(path, md, hosted, manifest))
        else:
            step = md.get("step", "final")
            notes.append(
                f"NOT IN MANIFEST: {path}: swept as step {step} of {md.get('checkpoint')} "
                f"(condition {md.get('condition', '-')}) from {manifest}, which no longer "
                "holds that entry (edited, or the checkpoint retrained, since the sweep): "
                "its row keeps the old labels beside the new sweep's; move the log away if "
                "the manifest is right now")
    return notes


def _relabelled_hosted_note(path: str, md: dict[str, Any], entry: ManifestEntry,
                            manifest: str) -> str:
    """``NOT IN MANIFEST`` for a hosted model whose manifest line changed since the sweep:
    a provider's model id is always the same weights, so it was not retrained, as the
    general note says; most often its job's checkpoints were listed since (``finetune
    --resume`` after they could not be), which moved the final model from no step to the
    job's last step, and a new sweep evaluated it again under that label."""
    was = {"step": md.get("step"), "condition": md.get("condition")}
    now = {"step": entry.step, "condition": entry.condition}
    changed = [f"{k} {'none' if was[k] is None else was[k]} -> "
               f"{'none' if now[k] is None else now[k]}" for k in was if was[k] != now[k]]
    said = f" ({'; '.join(changed)})" if changed else ""
    return (f"NOT IN MANIFEST: {path}: swept as step {md.get('step', 'final')} of "
            f"{md.get('checkpoint')} (condition {md.get('condition', '-')}) from {manifest}, "
            f"which now records that hosted model otherwise{said}: not retrained (a hosted "
            f"model's id is always the same weights) but relabelled, by hand or by finetune "
            f"--resume listing a job's checkpoints that could not be listed before; its row "
            f"keeps the old labels, so beside a sweep of the manifest as it is the model is "
            f"reported twice: move this log away")


def _stale_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs (:func:`_log_specs`' metadata) made from another version of the target's checkpoint."""
    want = target.metadata.get(FINGERPRINT_KEY)
    if want is None:
        return []
    # logs of sweeps before fingerprints (no key) cannot be told apart: kept, with a warning
    # (_unfingerprinted_logs)
    return [p for p, md in logs.items() if md.get(FINGERPRINT_KEY, want) != want]


def _replaced_model_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs of a target loaded from other weights in its folder(s) (retrained or replaced in
    place since, a manifest's checkpoint with the same entry too); logs that record no
    fingerprint (older sweeps) are kept (:func:`_unweighed_logs`)."""
    want = target.metadata.get(MODEL_FINGERPRINT_KEY)
    if want is None or _weights_deleted(target):
        return []
    return [p for p, md in logs.items() if md.get(MODEL_FINGERPRINT_KEY, want) != want]


def _weights_deleted(target: SweepTarget) -> bool:
    """The target's checkpoint folder is there without its weights (deleted to free disk
    after a sweep): its fingerprint now differs from its logs' with no other weights to
    have been evaluated, so the logs are not stale; finished, they are reported as they are
    (:func:`check_evaluable`), else the checkpoint is refused."""
    from beliefbench.internals.model import has_weights

    return bool(target.local_path) and Path(str(target.local_path)).is_dir() \
        and not has_weights(str(target.local_path))


def check_on_disk(targets: Sequence[SweepTarget],
                  finished: Callable[[SweepTarget], list[EvalLog] | None]) -> None:
    """Refuse, first of all, manifest checkpoints whose folder is not on disk, all named,
    unless their logs here are all finished (``finished``): the logs hold a checkpoint's
    results, so only one still to evaluate needs its folder (deleted after its sweep, it is
    reported from them: :func:`check_evaluable` says so)."""
    missing = [t for t in targets if t.local_path and not Path(t.local_path).exists()
               and finished(t) is None]
    if missing:
        shown = ", ".join(f"step {t.metadata.get('step', 'final')} {t.local_path}"
                          for t in missing)
        raise SweepError(f"{missing[0].origin or 'manifest'}: {len(missing)} checkpoint(s) "
                         f"not on disk: {shown}; restore them, or remove their lines from "
                         "the manifest (a checkpoint whose logs in --log-dir are all "
                         "finished needs no folder: it is reported from them)")


def check_evaluable(planned: Sequence[tuple[SweepTarget, Path, SweptElsewhere | None]],
                    finished: Callable[[SweepTarget, Path], list[EvalLog] | None]) -> None:
    """Refuse, before the first eval, every manifest checkpoint that would fail to load at its
    turn (:func:`~beliefbench.internals.model.checkpoint_problem`, as ``internals
    trajectory`` checks its steps: its folder, config, safetensors headers, a LoRA adapter's
    local base, its tokenizer; no weights read), each named: a step with its weights deleted
    failed with a bare ``FileNotFoundError`` after every step before it had run, exit 1. A
    checkpoint whose logs here are all finished (``finished``) is not evaluated: its weights
    deleted since its sweep (its weights, or its whole folder), it is reported from them,
    said once: the logs hold its results, and only a checkpoint still to evaluate needs its
    files (:func:`check_on_disk` has refused a folder not on disk whose logs are not)."""
    from beliefbench.internals.model import checkpoint_problem

    bad: list[tuple[SweepTarget, str]] = []
    for target, out, elsewhere in planned:
        gone = bool(target.local_path) and not Path(str(target.local_path)).exists()
        if not gone and (elsewhere is not None or not target.local_path
                         or not isinstance(target.model, str)
                         or not _name_paths(target.model)):
            continue  # nothing loaded from the folder here (a Model given in its place)
        # a base that is no folder here is the provider's to load (a Hub id): check_providers
        # has refused a base written as a path that is missing
        why = checkpoint_problem(str(target.local_path), hub_base=True)
        if why is None:
            continue
        if finished(target, out) is not None:
            log.warning("%s: %s; its logs in %s are finished: reported from them, nothing to "
                        "evaluate", target.shown, why, out)
            continue
        bad.append((target, why))
    if not bad:
        return
    steps = "; ".join(f"step {t.metadata.get('step', 'final')}: {why}" for t, why in bad)
    raise SweepError(
        f"{bad[0][0].origin or 'manifest'}: {len(bad)} checkpoint(s) cannot be evaluated "
        f"({steps}); nothing was evaluated. Restore their files (from the run folder they were "
        f"copied from, or by training them again), or remove their lines from the manifest "
        f"to sweep the other checkpoints")


def _unfingerprinted_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs of a manifest target that record no fingerprint (older sweeps): not refused
    (they may well be current), but said, since staleness cannot be checked."""
    if FINGERPRINT_KEY not in target.metadata:
        return []
    return [p for p, md in logs.items() if FINGERPRINT_KEY not in md]


def _unweighed_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs of a local target that record no fingerprint of its weights but do record its
    manifest entry (``checkpoint_fingerprint`` only: made by a sweep before sweeps recorded
    ``model_fingerprint``) or nothing of it (an older ``--model`` sweep): not refused, but
    said, since a retrain in place with an identical entry cannot be told from them. Logs
    :func:`_unfingerprinted_logs` names already are left to its warning."""
    if MODEL_FINGERPRINT_KEY not in target.metadata:
        return []
    manifest = FINGERPRINT_KEY in target.metadata
    return [p for p, md in logs.items() if MODEL_FINGERPRINT_KEY not in md
            and (FINGERPRINT_KEY in md or not manifest)]


def _relabelled_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs of a ``--model`` target swept under another ``--condition``: the condition is no
    part of what ``eval_set`` compares, so it would reuse them, old label and all, and report
    them as this sweep's (a manifest entry's condition is in its fingerprint)."""
    if FINGERPRINT_KEY in target.metadata:
        return []
    want = target.metadata.get("condition")
    return [p for p, md in logs.items() if md.get("condition") != want]


def _mislabelled_logs(target: SweepTarget, logs: dict[str, dict[str, Any]]) -> list[str]:
    """Logs of a manifest target that name another checkpoint folder than the one it reads:
    a moved or copied run folder's, swept before sweeps recorded the folder read (they
    recorded the original's, and ``eval_set`` would reuse them under it)."""
    if FINGERPRINT_KEY not in target.metadata:
        return []
    want = target.metadata.get("checkpoint")
    return [p for p, md in logs.items() if md.get("checkpoint", want) != want]


@dataclass
class SweptElsewhere:
    """Finished logs of a checkpoint in another folder of ``--log-dir``: swept under the path
    its run folder had before it was moved or copied."""

    folder: Path
    checkpoint: str
    """Their ``checkpoint`` label: the checkpoint's path then (a ``--model``'s: its model
    name then, ``hf//abs/old/ckpt``)."""
    model: bool = False
    """A ``--model`` folder's logs, not a manifest checkpoint's."""

    @property
    def moved(self) -> bool:
        """The folder is gone from that path (moved, or copied from another machine), not
        a copy beside an original still there, whose own finetune those logs stay."""
        # a --model's label names its provider (hf//abs/ckpt, vllm//abs/ckpt): the path is
        # what follows it; a manifest checkpoint's label is its path
        path = self.checkpoint.partition("/")[2] if self.model else self.checkpoint
        return not Path(path).expanduser().exists()

    @property
    def said(self) -> str:
        """What a checkpoint's result line says of them."""
        what = "folder" if self.model else "run folder"
        why = (f"its path before the {what} was moved" if self.moved else
               f"the same {'model' if self.model else 'checkpoint'}: this {what} is a copy "
               "of that one")
        return f"reused: swept before as {self.checkpoint}, {why}"


def _folder_logs(root: Path) -> list[tuple[Path, str, EvalLog]]:
    """(folder, log, header) of every log in the target folders directly under ``root``:
    read once per sweep, and only where a checkpoint's own folder holds no log (a header is
    a few ms; a first sweep into a log dir of 1,000 logs reads them in seconds)."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        for info in list_eval_logs(str(folder), recursive=False):
            try:
                found.append((folder, info.name, read_eval_log(info.name, header_only=True)))
            except Exception:  # noqa: BLE001 - eval_set judges unreadable logs itself
                continue
    return found


def swept_elsewhere(target: SweepTarget, run: dict[str, Any], files: dict[str, str],
                    logs: Sequence[tuple[Path, str, EvalLog]]) -> SweptElsewhere | None:
    """The folder among ``logs`` (:func:`_folder_logs`) holding a finished log of ``target``'s
    checkpoint swept under another path, with the same settings, where there is one (the
    latest): its run folder was moved (``mv runs/a runs/b``) or copied since. The folder's
    name hashes the served path, so the sweep evaluated every checkpoint again, and the report
    showed each twice. The same checkpoint is the same weights (``model_fingerprint``, which
    does not depend on where the folder is) and the same manifest entry (its
    ``checkpoint_fingerprint`` as the log was made: the entry as it is, or with the path the
    log names, as ``finetune --resume`` rewrites a moved run's lines); the same settings are
    the folder's hash of this sweep's ``run`` with the log's model in it; a log made from
    other contents of a file the task reads (``files``) is not reused."""
    weights, entry = target.metadata.get(MODEL_FINGERPRINT_KEY), target.entry
    if weights is None:
        return None
    from beliefbench.analysis.logs import is_invalidated, is_partial

    found = []
    for folder, path, header in logs:
        md = header.eval.metadata or {}
        if (is_partial(header.status, is_invalidated(header))
                or md.get(MODEL_FINGERPRINT_KEY) != weights):
            continue
        if entry is not None:
            had = md.get("checkpoint")
            if not isinstance(had, str) or had == target.metadata.get("checkpoint"):
                continue
            entries = {entry_fingerprint(entry),
                       entry_fingerprint(entry.model_copy(update={"path": had}))}
            if md.get(FINGERPRINT_KEY) not in entries:
                continue
        else:  # a --model folder (hf//abs/ckpts/final) moved or copied with --log-dir: the
            # same weights by the same provider, labelled alike, not a manifest's checkpoint
            had = header.eval.model
            if (had == str(target.model) or FINGERPRINT_KEY in md
                    or _provider(had) != _provider(target.model)
                    or md.get("condition") != target.metadata.get("condition")):
                continue
        served = json.dumps(run | {"model": header.eval.model}, sort_keys=True, default=str)
        if (folder.name.rpartition("-")[2] == _identity_hash(served)
                and not _edited_files(files, {path: md})):
            found.append((header.eval.created, str(folder), had))
    if not found:
        return None
    _, folder, had = max(found)
    return SweptElsewhere(Path(folder), had, model=entry is None)


def file_hashes(metadata: dict[str, Any] | None) -> dict[str, str]:
    """The sha256 of every file a task reads, as its record keeps them
    (``claim_files.<id>``, ``context``, ``judge_template``; an EM task's ``question_text``,
    ``aligned_template``, ``coherent_template``), from a task's or a log's eval metadata;
    empty for a task that records none."""
    # the EM task keeps its hashes flat in a record of its own: without it an EM sweep
    # reused the log of an edited question set or judge template without a word
    return {**recorded_hashes((metadata or {}).get(TASK_KEY) or {}),
            **recorded_hashes((metadata or {}).get(EM_TASK_KEY) or {})}


def _edited_files(want: dict[str, str], logs: dict[str, dict[str, Any]]
                  ) -> list[tuple[str, list[str]]]:
    """(log, files) for logs (:func:`_log_specs`' metadata) made from other contents of a file the
    task reads (a claim file, a context, a judge template edited since): ``eval_set``
    compares the task's arguments, which name the files, not what they hold."""
    out = []
    for path, md in logs.items():
        had = file_hashes(md)
        changed = [name for name, sha in want.items() if had.get(name, sha) != sha]
        if changed:
            out.append((path, changed))
    return out


def _unhashed_logs(want: dict[str, str], logs: dict[str, EvalSpec], task_args: dict[str, Any]
                   ) -> list[tuple[str, list[str]]]:
    """(log, files) for logs that ``eval_set`` will reuse but that record no hash of a file
    the task reads (made before the hash was recorded, e.g. ``judge_template``), so an edit
    since cannot be seen. The folder already fixes the model, roles and model arguments; a
    log made with other task arguments (``eval_set`` compares those passed) is not reused,
    so it is not named."""
    out = []
    for path, spec in logs.items():
        if (spec.task_args_passed or {}) != task_args:
            continue
        had = file_hashes(spec.metadata)
        missing = [name for name in want if name not in had]
        if missing:
            out.append((path, missing))
    return out


def _unhashed_notes(out: Path, label: str, files: dict[str, str], specs: dict[str, EvalSpec],
                    task_args: dict[str, Any]) -> list[LogNote]:
    """A warning per log of ``out`` that the sweep reuses without a hash of a file the task
    reads (:func:`_unhashed_logs`), for :func:`_warn_grouped`."""
    def note(path: str, names: list[str]) -> LogNote:
        return _checkpoint_note(
            ("UNHASHED", *names), label,
            f"{out}: a log of {label} records no hash of {', '.join(names)} (made before "
            f"sweeps recorded one), so an edit since cannot be told: reused as it is "
            f"({Path(path).name}); if the file was edited, move {out} away to evaluate it "
            "again",
            f"record no hash of {', '.join(names)} (made before sweeps recorded one), so an "
            "edit since cannot be told: reused as they are; if the file was edited, move "
            "their folders away (or sweep into another --log-dir) to evaluate them again")

    return [note(path, names) for path, names in _unhashed_logs(files, specs, task_args)]


SWEEP_KEPT = "its folder on its line at the end"
"""Where the sweep names each checkpoint's folder that a grouped warning stands for."""


def _checkpoint_note(key: tuple[str, ...], label: str, own: str, theirs: str) -> LogNote:
    """One checkpoint's warning before the evals (``own``), grouped with the checkpoints
    warned of alike (``key``) as ``<where>: their logs <theirs>``."""
    return LogNote(key, label, lambda *_: own,
                   together=lambda where, _: f"{where}: their logs {theirs}")


def _warn_grouped(notes: Sequence[LogNote]) -> None:
    """The checkpoints' warnings before the evals, one line for a warning given alike for
    three checkpoints or more (as ``report`` groups its own): an older sweep's folder of 50
    checkpoints re-run gave 50 to 150 lines before the first eval."""
    for said, _ in grouped_notes(notes, SWEEP_KEPT, "checkpoint"):
        log.warning("%s", said)


def _log_specs(out: Path) -> dict[str, EvalSpec]:
    """The eval spec (metadata, task arguments) of each log directly in ``out`` (read once
    for the checks above; an unreadable log is left to eval_set, which judges it itself)."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    found: dict[str, EvalSpec] = {}
    if not out.is_dir():
        return found
    for info in list_eval_logs(str(out), recursive=False):
        try:
            found[info.name] = read_eval_log(info.name, header_only=True).eval
        except Exception:  # noqa: BLE001 - eval_set judges unreadable logs itself
            continue
    return found


def _recorded_args(task: Any) -> dict[str, Any]:
    """The task's arguments as Inspect records them in its log (``eval.task_args_passed``:
    the registry's parameters), which ``eval_set`` compares to tell a log is this task's."""
    from inspect_ai._util.registry import registry_params

    try:
        return json.loads(json.dumps(dict(registry_params(task)), default=str))
    except ValueError:  # not made through the registry: Inspect records none
        return {}


def role_key(model: str | Model) -> str | dict[str, Any]:
    """A model role as the sweep's directory hash takes it: a name as written (so the
    directories of ``--model-role grader=provider/model`` sweeps stay where they were), a
    configured model (``grader={model: ..., model_args: ..., temperature: ...}``) as its name,
    generation settings and model arguments as ``eval_set`` keys a log by them (Inspect's
    ``model_args_for_log``: ``api_key`` left out, so a rotated key is the same run; any
    other argument, a token or a header among them, another run, as ``eval_set`` would
    refuse the old folder's log for it) and less arguments JSON cannot write (a mockllm's
    ``custom_outputs`` function). A model with no settings is its name, as before."""
    if isinstance(model, str):
        return model
    config = model.config.model_dump(exclude_none=True)
    args = {k: v for k, v in model_args_for_log(model.model_args or {}).items()
            if plain_value(v)}
    if not config and not args:
        return str(model)
    return {"model": str(model), "config": config, "args": args}


def samples(grader: Model) -> bool:
    """Whether a made ``hf/`` model samples: the hf provider's ``do_sample`` (True unless its
    ``model_args`` set ``do_sample: false``); False for any other provider."""
    if _provider(grader) != "hf":
        return False
    do_sample = getattr(grader.api, "do_sample", None)
    if do_sample is None:  # an Inspect whose provider keeps it elsewhere: as given
        do_sample = (grader.model_args or {}).get("do_sample", True)
    return bool(do_sample)


def _judged_at_zero(task: str, task_args: dict[str, Any]) -> bool:
    """Whether ``task`` calls a judge model at temperature 0: the belief task's default
    ``judge_temperature`` (unless ``-T judge=markers``, which calls none), the EM judges
    always."""
    from beliefbench.scorer import JudgeSettings

    if task not in ("belief", "em"):
        return False  # a task that calls no judge (internals' margins) binds none
    if task == "belief":
        if str(task_args.get("judge", JudgeSettings.judge)) == "markers":
            return False
        try:
            if float(task_args.get("judge_temperature", JudgeSettings.temperature)) > 0:
                return False
        except (TypeError, ValueError):  # the task refused a bad value before this
            return False
    return True


def _sampling_target(targets: Sequence[SweepTarget], model_args: dict[str, Any] | None,
                     done: Callable[[SweepTarget], Path | None] | None = None
                     ) -> SweepTarget | None:
    """The first ``hf/`` target that samples (the hf provider's ``do_sample``, True unless
    ``-M do_sample=false``) and is still to evaluate (``done``: None for it), or None."""
    for t in targets:
        if isinstance(t.model, Model):
            sampling = samples(t.model)
        else:
            do_sample = (model_args or {}).get("do_sample")
            sampling = _provider(t.model) == "hf" and (do_sample is None or bool(do_sample))
        if sampling and (done is None or done(t) is None):
            return t
    return None


def check_greedy_grader(task: str, task_args: dict[str, Any],
                        model_roles: dict[str, str | Model] | None,
                        targets: Sequence[SweepTarget] = (),
                        model_args: dict[str, Any] | None = None,
                        done: Callable[[SweepTarget], Path | None] | None = None) -> None:
    """Refuse, before any eval, an ``hf/`` judge that samples where the judge is called at
    temperature 0 (the belief task's default ``judge_temperature``; the EM judges always):
    transformers refuses every such call ("`temperature` (=0.0) has to be a strictly
    positive float"), so every checkpoint's judged answers were ``failed`` after the whole
    sweep had run. A grader bound by name always samples; a configured one (``grader={model:
    hf/..., model_args: {...}}``, made as the option is read) unless its ``model_args`` set
    ``do_sample: false``; with no grader bound, an ``hf/`` model under test (``targets``)
    judges its own answers, and samples unless ``model_args`` (``-M``) set ``do_sample:
    false``. The last two were let through, and failed so. ``-T judge=markers`` calls no
    grader, and a positive ``judge_temperature`` samples as asked. ``done``: as
    :func:`check_providers` takes it; a target whose logs are all finished judges nothing."""
    if not _judged_at_zero(task, task_args):
        return
    grader = (model_roles or {}).get("grader")
    if grader is None:
        if (t := _sampling_target(targets, model_args, done)) is not None:
            raise SweepError(
                f"{t.given_as}: no grader is bound (--model-role grader=...), so the model under "
                "test judges its own answers, and an hf model samples (no -M do_sample=false): "
                "the judge is called at temperature 0, which transformers refuses on every "
                "call: every judged answer would be failed. Bind a judge (--model-role "
                "grader=<model>; an hf one as 'grader={model: hf/<folder>, model_args: "
                "{do_sample: false}}'), or pass -M do_sample=false (the model under test then "
                "answers greedily too)")
        return
    if (why := sampling_grader(grader, "--model-role", "grader=")) is not None:
        raise SweepError(why)


def sampling_grader(grader: str | Model, option: str, key: str = "",
                    zero: str = "the judge is called at temperature 0") -> str | None:
    """Why an ``hf/`` grader that samples cannot judge at temperature 0, with the greedy
    binding to give instead, or None. transformers refuses every such call ("`temperature`
    (=0.0) has to be a strictly positive float"), so each of its verdicts was a failed call
    after the whole run. One rule and one wording for every command that binds a grader:
    ``sweep`` and ``internals steer`` / ``ablate`` (``option`` ``--model-role``, ``key``
    ``grader=``), ``agreement`` (``--grader``). A grader given by name always samples; a
    configured one (a made Model) unless its ``model_args`` set ``do_sample: false``.
    ``zero`` says where the temperature 0 comes from."""
    if _provider(grader) != "hf" or (isinstance(grader, Model) and not samples(grader)):
        return None
    fix = f"{option} '{key}{{model: {grader}, model_args: {{do_sample: false}}}}'"
    if isinstance(grader, Model):  # its model_args may hold a key: named, never shown
        said = (f"{option} {key}{{model: {grader}, ...}}: this configured hf grader samples "
                "(its model_args do not set do_sample: false)")
        instead = f"Add do_sample: false to its model_args: {fix}"
    else:
        said = f"{option} {key}{grader}: an hf grader given by name samples"
        instead = f"Give it as {fix}"
    return (f"{said}, and {zero}, which transformers refuses on every call: every verdict "
            f"of it would be a failed call. {instead}")


def run_sweep(targets: Sequence[SweepTarget], log_dir: str | Path, claims: str | None = None,
              task_args: dict[str, Any] | None = None,
              model_roles: dict[str, str | Model | LazyRole] | None = None,
              model_args: dict[str, Any] | None = None, task: str = "belief",
              **eval_options: Any) -> list[SweepOutcome]:
    """Run (or resume) ``task`` on every target; finished logs are reused.

    ``task`` is ``belief`` (default; ``claims`` defaults to "all") or ``em`` (no claims; its
    question sets are ``task_args["questions"]``). A :class:`LazyRole` is made at the first
    eval that runs (none, where every checkpoint's logs are finished).
    ``eval_options`` go to ``inspect_ai.eval_set`` (display, max_connections, retries, ...).
    """
    make_task = task_factory(task)
    task_args = dict(task_args or {})
    if "claims" in task_args:
        raise SweepError("-T claims=...: give the claims with --claims")
    check_task_args(task, task_args)
    if task == "belief":
        if claims is not None and not claims.strip(" ,"):
            # "--claims $CLAIM" of an unset variable: swept every claim, not the one meant
            raise SweepError(f"--claims {claims!r}: names no claim (an unset shell "
                             "variable?); give claim ids, files or directories, or all")
        claims = "all" if claims is None else claims
        task_args["claims"] = claims
    elif claims is not None:
        raise SweepError(f"--claims: the {task} task takes no claims "
                         "(EM question sets: -T questions=...)")
    sample = make_task(**task_args)  # a bad -T value: refused here
    files, recorded = file_hashes(sample.metadata), _recorded_args(sample)
    lazy = {r: v for r, v in (model_roles or {}).items() if isinstance(v, LazyRole)}
    # what a lazy role is, for every check and the folders' hash; made at the first eval
    model_roles = {r: v.stand_in() if isinstance(v, LazyRole) else v
                   for r, v in (model_roles or {}).items()} or None
    made_roles: dict[str, Model] = {}

    def roles_to_run() -> dict[str, str | Model] | None:
        for role, wanted in lazy.items():
            if role not in made_roles:
                made_roles[role] = wanted.make()
        return {**(model_roles or {}), **made_roles} or None

    # Inspect passes its own base_url beside the model args: -M base_url=... (a running
    # server) would reach get_model twice, a TypeError; it goes as model_base_url instead
    served_args = dict(model_args or {})
    base_url = served_args.pop("base_url", None)

    def run_of(target: SweepTarget) -> dict[str, Any]:
        """What makes the target's run: its log folder's hash."""
        run = {"model": str(target.model), "claims": claims,
               "task_args": {k: v for k, v in task_args.items() if k != "claims"},
               "model_args": None if model_args is None else model_args_for_log(model_args),
               "model_roles": {k: role_key(v) for k, v in (model_roles or {}).items()}}
        if task != "belief":  # belief sweeps keep the directories they had before tasks
            run["task"] = task
        return run

    read_finished: dict[Path, list[EvalLog] | None] = {}  # each folder's, read once

    def finished(target: SweepTarget, out: Path | None = None) -> list[EvalLog] | None:
        """The target's finished logs, as the checks before the first eval read them (up
        to three of them ask: the folder's logs read once); the eval loop asks again, under
        its hold, as it evaluates."""
        out = out or target_dir(Path(log_dir), target.label,
                                json.dumps(run_of(target), sort_keys=True, default=str))
        if out not in read_finished:
            if not out.is_dir():  # nothing swept: no folder made to find that out
                read_finished[out] = None
            else:
                with hold(out, "sweep", flag="--log-dir"):
                    read_finished[out] = finished_logs(make_task(**task_args), out,
                                                       target.model, served_args,
                                                       model_roles, eval_options)
        return read_finished[out]

    root = Path(log_dir)
    folder_logs: list[tuple[Path, str, EvalLog]] | None = None  # read once, where needed

    def elsewhere_of(target: SweepTarget, specs: dict[str, EvalSpec]) -> SweptElsewhere | None:
        """Finished logs of the target swept under its run folder's old path, where its own
        folder holds none (moved or copied since: :func:`swept_elsewhere`)."""
        nonlocal folder_logs
        if specs or MODEL_FINGERPRINT_KEY not in target.metadata:
            return None
        if folder_logs is None:
            folder_logs = _folder_logs(root)
        return swept_elsewhere(target, run_of(target), files, folder_logs)

    def done(target: SweepTarget) -> Path | None:
        """Where the target's finished logs are (nothing to evaluate), or None."""
        out = target_dir(root, target.label, json.dumps(run_of(target), sort_keys=True,
                                                          default=str))
        if finished(target, out) is not None:
            return out
        elsewhere = elsewhere_of(target, _log_specs(out))
        return None if elsewhere is None else elsewhere.folder

    check_on_disk(targets, finished)  # first: the other checks read the folders
    check_targets(targets, model_roles, model_args, done)
    check_providers(targets, model_roles, model_args, done)
    check_greedy_grader(task, task_args, model_roles, targets, model_args, done)
    planned: list[tuple[SweepTarget, Path, SweptElsewhere | None]] = []
    warned: list[LogNote] = []  # said together once every checkpoint is checked
    for target in targets:
        run = run_of(target)
        out = target_dir(root, target.label, json.dumps(run, sort_keys=True, default=str))
        specs = _log_specs(out)
        existing = {p: spec.metadata or {} for p, spec in specs.items()}
        stale = _stale_logs(target, existing)
        if stale:
            raise SweepError(
                f"{out}: holds a log of {target.shown} made from a different version of "
                f"this checkpoint (its manifest entry changed since: retrained?), "
                f"{first_few([Path(p).name for p in stale], 1)}"
                f"; it is stale and would be reused: move {out} away (or sweep into another "
                "--log-dir) to evaluate the checkpoint again")
        replaced = _replaced_model_logs(target, existing)
        if replaced:
            raise SweepError(
                f"{out}: holds a log of {target.shown} made from other weights in that folder "
                f"(its files' fingerprint differs: retrained or replaced since), "
                f"{first_few([Path(p).name for p in replaced], 1)}; it is stale and would be "
                f"reused: move {out} away (or sweep into another --log-dir) to evaluate the "
                "model as it is now")
        edited = _edited_files(files, existing)
        if edited:
            path, names = edited[0]
            raise SweepError(
                f"{out}: holds a log of {target.shown} made with another version of "
                f"{', '.join(names)} (edited since; {Path(path).name}); it is stale and would "
                f"be reused: move {out} away (or sweep into another --log-dir) to evaluate "
                "it with the files as they are now")
        warned += _unhashed_notes(out, target.shown, files, specs, recorded)
        unchecked = _unfingerprinted_logs(target, existing)
        if unchecked:
            warned.append(_checkpoint_note(
                ("UNFINGERPRINTED",), target.shown,
                f"{out}: {len(unchecked)} log(s) of {target.shown} record no checkpoint "
                "fingerprint (made by a sweep before sweeps recorded one), so whether the "
                "checkpoint was retrained since cannot be told: reused as they are "
                f"({first_few([Path(p).name for p in unchecked], 1)}); if it was, move {out} "
                "away to evaluate it again",
                "record no checkpoint fingerprint (made by a sweep before sweeps recorded "
                "one), so whether a checkpoint was retrained since cannot be told: reused as "
                "they are; move the folder of one that was away to evaluate it again"))
        unweighed = _unweighed_logs(target, existing)
        if unweighed:
            warned.append(_checkpoint_note(
                ("UNWEIGHED",), target.shown,
                f"{out}: {len(unweighed)} log(s) of {target.shown} record no fingerprint of "
                "its weights (made by a sweep before sweeps recorded model_fingerprint), so "
                "whether it was retrained or replaced in place since (the same manifest entry "
                "over other weights) cannot be told: reused as they are "
                f"({first_few([Path(p).name for p in unweighed], 1)}); if it was, move {out} "
                "away to evaluate it again",
                "record no fingerprint of their weights (made by a sweep before sweeps "
                "recorded model_fingerprint), so whether a checkpoint was retrained or "
                "replaced in place since (the same manifest entry over other weights) cannot "
                "be told: reused as they are; move the folder of one that was away to "
                "evaluate it again"))
        relabelled = _relabelled_logs(target, existing)
        if relabelled:
            raise SweepError(
                f"{out}: holds a log of {target.shown} swept with another --condition "
                f"({Path(relabelled[0]).name}); it would be reused under its old label: move "
                f"{out} away (or sweep into another --log-dir) to label it "
                f"{target.metadata.get('condition', 'without a condition')!r}")
        if mislabelled := _mislabelled_logs(target, existing):
            had = existing[mislabelled[0]].get("checkpoint")
            raise SweepError(
                f"{out}: holds a log of {target.shown} labelled with checkpoint {had} "
                f"({Path(mislabelled[0]).name}), not {target.metadata['checkpoint']}, the "
                f"folder this sweep reads (a moved or copied run folder, swept before sweeps "
                f"recorded the folder they read); reused, report would read it as a step of "
                f"the finetune in {Path(str(had)).parent}: move {out} away (or sweep into "
                f"another --log-dir) to evaluate it under its own folder")
        elsewhere = elsewhere_of(target, specs)  # nothing swept here: moved since?
        if elsewhere is not None:
            warned += _unhashed_notes(elsewhere.folder, target.shown, files,
                                      _log_specs(elsewhere.folder), recorded)
        planned.append((target, out, elsewhere))
    _warn_grouped(warned)  # (a refusal above is said alone: nothing is reused)
    check_evaluable(planned, finished)
    moved = _moved_checkpoints(planned)
    writable_log_dir(root)
    outcomes = []
    # keys given as -M arguments: redacted from the lines a failed checkpoint gets
    secrets = [str(v) for k, v in served_args.items() if secret_arg(k) and isinstance(v, str)]
    # which checkpoint is on: "checkpoints 1/3" alone left a long sweep's watcher guessing
    # which step was running (or hung)
    for target, out, elsewhere in named_steps(planned, [t.shown for t, _, _ in planned],
                                              desc="checkpoints", unit="ckpt"):
        if elsewhere is not None:  # swept before the run folder moved: nothing to evaluate
            outcome = SweepOutcome(target, elsewhere.folder, True, [], reused=True,
                                   moved_from=elsewhere, task=task)
            _count_responses(outcome)
            outcomes.append(outcome)
            continue
        metadata = dict(target.metadata)
        if moved.get(target.origin):  # which logs of its run are under their old path
            metadata[MOVED_KEY] = moved[target.origin]
        made = make_task(**task_args)
        before = _log_files(out)
        # each checkpoint's folder, not --log-dir: sweeps of other checkpoints (one per GPU)
        # share a --log-dir, while two of the same checkpoint would write one eval set twice
        # library_bars: transformers' weight-loading bars (hf) wrote cursor moves into a log
        with hold(out, "sweep", flag="--log-dir"), model_arg_errors(), library_bars(), \
                _quiet_console(eval_options.get("display") == "none"):
            try:
                # a checkpoint whose logs are all finished: reused without making its model
                reusable = finished_logs(made, out, target.model, served_args, model_roles,
                                          eval_options)
                if reusable is not None:
                    success, logs = True, reusable
                else:
                    with _released(target.model, served_args, base_url, eval_options) as model:
                        success, logs = eval_set(made, log_dir=str(out), model=model,
                                                 model_roles=roles_to_run(),
                                                 model_args=served_args,
                                                 model_base_url=base_url,
                                                 metadata=metadata or None,
                                                 **eval_options)
            except Exception as e:  # noqa: BLE001 - one checkpoint's failure, not the sweep's
                if _every_target(e) or isinstance(e, RoleError):
                    raise
                why = one_line_error(e, secrets)
                log.warning("%s: could not be evaluated (%s); going on with the other "
                            "checkpoints", target.shown, why)
                outcomes.append(SweepOutcome(target, out, False, [], error=why))
                continue
        stop_if_interrupted(logs)  # not "ok" and on to the next checkpoint
        outcome = SweepOutcome(target, out, success, logs, task=task)
        if not success:
            outcome.cause = unfinished_cause(logs, secrets)
        # a log new or rewritten is work done now; one removed is not (eval_set drops an
        # unfinished log that a finished one of its task supersedes: an eval-retry's)
        written = {n for n, t in _log_files(out).items() if before.get(n) != t}
        outcome.reused = bool(before) and success and not written
        outcome.resumed = bool(before) and not outcome.reused
        if success:
            _count_responses(outcome)
        outcomes.append(outcome)
    return outcomes


_DECIDING_OPTIONS = frozenset({
    "limit", "sample_id", "sample_shuffle", "epochs", "solver", "sandbox", "message_limit",
    "turn_limit", "time_limit", "working_limit", "cost_limit", "log_dir_allow_dirty"})
"""``eval_set`` options its decision to reuse a log reads, passed to the same decision."""
_INERT_OPTIONS = frozenset({
    "display", "retry_attempts", "retry_wait", "retry_connections", "retry_cleanup",
    "retry_immediate", "max_samples", "max_tasks", "max_subprocesses", "max_sandboxes",
    "max_dataset_memory", "log_level", "log_level_transcript", "log_format", "log_samples",
    "log_realtime", "log_images", "log_buffer", "log_shared", "log_model_api", "log_refusals",
    "tags", "trace", "score_display", "fail_on_error", "continue_on_fail", "retry_on_error",
    "debug_errors"})
"""``eval_set`` options that decide nothing about which logs it reuses. Any other option
(``token_limit``, ``incomplete_action``, a scanner, ...) leaves the decision to ``eval_set``."""


def _unloaded(model: str, config: Any, model_args: dict[str, Any]) -> Model | None:
    """A :class:`Model` named ``model`` that loads nothing: what Inspect's ``task_identifier``
    reads of a model (its ``provider/name``, generate config and args), for deciding whether
    ``eval_set`` would reuse a log. Never generates. None for a name with no provider."""
    from inspect_ai._util.registry import RegistryInfo, registry_tag
    from inspect_ai.model import ModelAPI, ModelOutput

    provider, sep, name = model.partition("/")
    if not sep or not provider:
        return None

    class Unloaded(ModelAPI):
        async def generate(self, *args: Any, **kwargs: Any) -> ModelOutput:
            raise RuntimeError(f"{model}: a stand-in for deciding log reuse, never called")

    api = Unloaded(model_name=name, config=config)
    registry_tag(Unloaded, api, RegistryInfo(type="modelapi", name=provider),
                 model_name=name, config=config)
    return Model(api, config, model_args)


def finished_logs(task: Any, log_dir: Path, model: str | Model, model_args: dict[str, Any],
                  model_roles: dict[str, str | Model] | None,
                  eval_options: dict[str, Any]) -> list[EvalLog] | None:
    """The headers ``eval_set`` would return for ``task`` in ``log_dir`` without running
    anything (every task's latest log finished, complete for the options given), else None.

    A re-run of a sweep gave each checkpoint's model to ``eval_set``, which made it (an
    ``hf/`` one: its weights loaded) before it found the logs finished. This is the same
    decision, made with Inspect's own functions (``task_identifier``, the log listing and the
    completeness check it runs) over a model that loads nothing, so a finished checkpoint is
    never loaded. Where the decision cannot be made exactly as ``eval_set`` makes it (an
    option it reads that is not passed here, eval-set capture or selection mode, a changed
    Inspect), None: ``eval_set`` decides, as before. Like ``eval_set`` (``retry_cleanup``,
    on by default), it removes a task's logs older than its newest (an ``eval-retry``'s
    cancelled original): they hold nothing the newest lacks."""
    if not log_dir.is_dir() or any(k not in _DECIDING_OPTIONS | _INERT_OPTIONS
                                   and k not in GenerateConfig.model_fields
                                   for k in eval_options):
        return None
    try:
        from inspect_ai._eval.eval_set_manifest import eval_set_capture_requested
        from inspect_ai._eval.eval_set_overrides import eval_set_overrides_requested
        from inspect_ai._eval.eval_set_selection import eval_set_selection_requested
        from inspect_ai._eval.evalset import (
            EvalSetArgsInTaskIdentifier,
            list_all_eval_logs,
            list_latest_eval_logs,
            shuffle_changed,
            task_identifier,
            validate_eval_set_prerequisites,
        )
        from inspect_ai._eval.loader import resolve_tasks
        from inspect_ai.model._util import resolve_model_roles
    except ImportError:
        return None
    if eval_set_capture_requested() or eval_set_selection_requested() \
            or eval_set_overrides_requested():
        return None
    opt = eval_options.get
    try:
        logs = list_all_eval_logs(str(log_dir))
        if not logs:
            return None
        config = GenerateConfig(**{k: v for k, v in eval_options.items()
                                   if k in GenerateConfig.model_fields})
        stand_in = _unloaded(model, config, model_args) if isinstance(model, str) else model
        roles: dict[str, Model | None] = {
            role: _unloaded(value, GenerateConfig(), {}) if isinstance(value, str) else value
            for role, value in (model_roles or {}).items()}
        if stand_in is None or not all(isinstance(m, Model) for m in roles.values()):
            return None
        resolved = resolve_tasks(task, {}, stand_in, resolve_model_roles(roles) or None,
                                 opt("sandbox"), opt("sample_shuffle"))
        args = EvalSetArgsInTaskIdentifier(
            config=config, solver=opt("solver"), message_limit=opt("message_limit"),
            turn_limit=opt("turn_limit"), time_limit=opt("time_limit"),
            working_limit=opt("working_limit"), cost_limit=opt("cost_limit"))
        logs = validate_eval_set_prerequisites(resolved, logs, opt("log_dir_allow_dirty") is True,
                                               args)
        have = {log.task_identifier for log in logs
                if not shuffle_changed(opt("sample_shuffle"), log.header.eval.config,
                                       opt("limit"))}
        tasks = [(task_identifier(t, args), t) for t in resolved]
        if any(tid not in have for tid, _ in tasks):
            return None
        done, undone = list_latest_eval_logs(tasks, logs, epochs=opt("epochs"),
                                             limit=opt("limit"), sample_id=opt("sample_id"),
                                             cleanup_older=opt("retry_cleanup") is not False)
    except Exception as e:  # noqa: BLE001 - eval_set decides (and says what is wrong)
        log.debug("%s: left to eval_set to decide which logs it reuses (%s)", log_dir, e)
        return None
    if undone or len(done) != len(tasks):
        return None
    return [entry.header for entry in done]


RELEASED_PROVIDERS = frozenset({"hf"})
"""Providers whose model holds its weights in this process: a sweep's checkpoint of one is
built unmemoized and closed after its eval (:func:`_released`)."""


@contextmanager
def _released(model: str | Model, model_args: dict[str, Any], base_url: str | None,
              eval_options: dict[str, Any]) -> Iterator[str | Model]:
    """``model`` for one checkpoint's ``eval_set``; an ``hf/`` one built here with
    ``memoize=False`` and closed after it (Inspect's ``Model`` context manager: the provider
    drops its weights). Given to ``eval_set`` by name, Inspect's ``get_model`` kept it in its
    cache for the life of the process: a sweep held every checkpoint it had evaluated (20
    checkpoints of an 8B model, 20 copies on the GPU). Built as ``eval_set`` builds it (the
    same model args, base URL and generate config), so its logs are matched as before.
    Other providers are passed by name: a vLLM server is shared by a base's adapters, and a
    hosted model holds no weights here."""
    from inspect_ai.model import get_model

    provider = model.partition("/")[0] if isinstance(model, str) else ""
    if provider not in RELEASED_PROVIDERS:
        yield model
        return
    config = GenerateConfig(**{k: v for k, v in eval_options.items()
                               if k in GenerateConfig.model_fields})
    log.info("loading %s", model)  # what a re-run over finished checkpoints never says
    with get_model(model, config=config, base_url=base_url, memoize=False,
                   **model_args) as built:
        yield built


@contextmanager
def _quiet_console(quiet: bool) -> Iterator[None]:
    """Inspect's console silenced while ``quiet``: under ``display="none"`` an eval set whose
    logs were all finished (nothing run, no display made, which is what silences it) still
    printed ``Completed all tasks in '<dir>' successfully``, wrapped at 80 columns, per
    checkpoint of a re-run."""
    import rich

    console = rich.get_console()
    before = console.quiet
    console.quiet = quiet or before
    try:
        yield
    finally:
        console.quiet = before


def _moved_checkpoints(planned: Sequence[tuple[SweepTarget, Path, SweptElsewhere | None]]
                       ) -> dict[str, list[dict[str, str]]]:
    """Per manifest, its checkpoints whose logs were found under a path where they are no
    longer (:func:`swept_elsewhere`: a moved run folder), as :data:`MOVED_KEY` records them
    in the logs of its other checkpoints evaluated now: the reused logs keep their old
    labels, so without it a run moved and trained on (``finetune --resume``) read as two
    finetunes, the old folder's steps and the new one's. A copy's reused logs are not listed:
    they stay the original's, which is still there."""
    out: dict[str, list[dict[str, str]]] = {}
    for target, _, elsewhere in planned:
        if elsewhere is not None and elsewhere.moved and target.entry is not None:
            out.setdefault(target.origin, []).append({
                "checkpoint": elsewhere.checkpoint, "now": target.metadata["checkpoint"],
                MODEL_FINGERPRINT_KEY: target.metadata[MODEL_FINGERPRINT_KEY]})
    return out


def writable_log_dir(root: Path) -> None:
    """``--log-dir`` made (where missing) and written to once, before any eval: one that
    cannot be (a file in the way, a read-only file system, no permission) failed every
    checkpoint in turn, each loading its model first, and ended exit 1 saying the sweep's
    settings (-M arguments, --provider) were the cause, where `report` and `finetune` name
    such a folder in one line, exit 2."""
    if why := unwritable_folder(root, f"--log-dir {root}"):
        raise SweepError(f"{why}; no checkpoint was evaluated: choose another --log-dir, or "
                         "make this one writable")


def _log_files(out: Path) -> dict[str, int]:
    """The eval logs in a target's folder, each with its modification time: none new or
    rewritten by a checkpoint's eval when ``eval_set`` reused its logs (nothing was
    evaluated; it may have removed a superseded unfinished one)."""
    if not out.is_dir():
        return {}
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir()
            if p.suffix in (".eval", ".json") and p.name not in ("logs.json", "eval-set.json")}


def _every_target(error: Exception) -> bool:
    """An error that no checkpoint would escape (a ``-M`` argument the model class cannot
    take, which :func:`model_arg_errors` words as one line): raised, not repeated per
    checkpoint."""
    return isinstance(error, TypeError) and "unexpected keyword argument" in str(error)


def one_line_error(error: BaseException, secrets: Sequence[str] = ()) -> str:
    """``Type: first line of the message`` (a corrupt checkpoint's safetensors error, a
    missing config file), short enough for the sweep's status line. Keys are redacted
    (``secrets``: those given as ``-M`` arguments) before the cut: the line goes to the
    terminal and CI logs, and a key cut in half would still leak its start."""
    from beliefbench.documents.llm import redact, sent_secrets

    text = str(error).strip().splitlines()
    first = redact(text[0], [*sent_secrets(error), *secrets]) if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


_EXCEPTION_REPR = re.compile(r"^(\w+)\((['\"])(.*)\2\)$", re.S)
"""A sample error as Inspect keeps it: the exception's repr, ``Name('text')``."""


def unfinished_cause(logs: Sequence[EvalLog], secrets: Sequence[str] = ()) -> str | None:
    """Why a target's eval did not finish, on one line, or None where its logs do not say:
    the eval's own error, else its samples' (how many of them, and the first error that is
    not an abort after failures in a row, the solver's or a judge's). Without it a sweep of
    a model that could not be reached (a server refusing connections) ended 'did not
    finish; run the same command again', which would fail the same way, the cause only in
    the log. Keys
    (``secrets``: those given as ``-M`` arguments) and URL credentials are redacted, as in
    :func:`one_line_error`."""
    from inspect_ai.log import read_eval_log_sample_summaries

    from beliefbench.solver import after_an_abort

    for log in logs:
        if log.status == "success":
            continue
        if log.error is not None and log.error.message.strip():
            return _sample_error(log.error.message, secrets)
        try:
            errors = [s.error for s in read_eval_log_sample_summaries(log.location)]
        except Exception:  # noqa: BLE001 - a log unreadable here: said as not finished
            continue
        said = [_sample_error(e, secrets) for e in errors if e]
        if said:
            first = next((e for e in said if not after_an_abort(e)), said[0])
            return f"{len(said)} of {len(errors)} samples errored, first: {first}"
    return None


def _sample_error(text: str, secrets: Sequence[str] = ()) -> str:
    """A logged error as one line: ``InfrastructureFailure('APIConnectionError: ...')`` as
    the text the solver gave it (which names its type), other exceptions as ``Name: text``,
    cut at 200 characters."""
    from beliefbench.documents.llm import redact

    line = redact(text.strip().splitlines()[0], secrets) if text.strip() else ""
    if m := _EXCEPTION_REPR.match(line):
        line = m[3] if m[1] == "InfrastructureFailure" else f"{m[1]}: {m[3]}"
    return line if len(line) <= 200 else line[:197] + "..."


def _count_responses(outcome: SweepOutcome) -> None:
    """Its responses, those with no answer text (belief) and those that are no reading
    (:attr:`SweepOutcome.unread`), counted from the logs in its folder by the loaders
    ``report`` and ``em-report`` use; left at 0 where they cannot be read (the report will
    say why)."""
    from beliefbench.analysis.em_report import load_em_logs
    from beliefbench.analysis.logs import load_belief_logs

    try:
        if outcome.task == "em":
            infos = load_em_logs(outcome.log_dir).logs
            outcome.responses = sum(i["responses"] for i in infos)
            # unscored: filled in as failed by the loader, as the report's tables count them
            outcome.unread = sum(i["no_score"] + i["failed"] + i["unscored"] for i in infos)
        elif outcome.task == "belief":
            logs = load_belief_logs(outcome.log_dir).logs
            outcome.no_answer = sum(i.no_answer for i in logs)
            outcome.unread = sum(i.parse_errors for i in logs)
            outcome.responses = sum(i.samples for i in logs)
    except Exception:  # noqa: BLE001 - a warning's count, never the sweep's failure
        return
