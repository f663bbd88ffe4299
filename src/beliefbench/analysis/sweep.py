"""Evaluate every checkpoint of a finetune (or a list of models) with Inspect's ``eval_set``:
the belief task by default, or the EM task (``task="em"``).

Each checkpoint gets its own ``eval_set`` log directory (``<log_dir>/<label>-<hash>/``), so a
re-run of the same sweep reuses every finished log and resumes only what is missing, and
checkpoints run one after another (one vLLM server on the GPU at a time). The label names the
condition, claim, run directory and step; the hash is of everything that makes the run (the
served model, i.e. the checkpoint's absolute path, the claims, task arguments, model roles and
model arguments), so two manifests swept into one ``--log-dir``, or one swept again with other
settings, never share a directory.

Run labels travel in the eval's metadata (``log.eval.metadata``), which the report reads:
``checkpoint`` (the manifest path), ``step``, ``condition``, ``claim`` (the claims the
checkpoint was trained on), ``base_model``, ``format``, ``manifest``.

How a manifest entry is served (``ManifestEntry.format``):

* ``merged`` / ``full``: ``<provider>/<abs path>`` (``vllm/...`` by default, ``hf/...`` on CPU);
* ``adapter`` (LoRA): ``vllm/<base_model>:<abs adapter path>`` with vLLM; with hf,
  ``hf/<abs adapter path>`` (transformers loads the base named in the adapter's
  ``adapter_config.json`` and applies the adapter, as ``inspect eval --model hf//...`` does);
* ``api``: the path is a provider model id and is used as it is (``step`` may be null).

Manifests are read by the finetune module's one strict reader
(:func:`beliefbench.finetune.manifest.read_manifest_file`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inspect_ai import eval_set
from inspect_ai.log import EvalLog
from inspect_ai.model import Model
from tqdm import tqdm

from beliefbench.finetune.errors import ManifestError
from beliefbench.finetune.manifest import ManifestEntry, manifest_file, read_manifest_file
from beliefbench.tasks import check_task_args, task_factory

Provider = Literal["vllm", "hf"]
PROVIDERS = ("vllm", "hf")


class SweepError(ValueError):
    """Bad sweep input (manifest, models, options)."""


@dataclass
class SweepTarget:
    model: str | Model
    label: str
    """Names the target's log directory (unique within a sweep)."""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepOutcome:
    target: SweepTarget
    log_dir: Path
    success: bool
    logs: list[EvalLog]


def _slug(label: str, identity: str) -> str:
    """A directory name: the readable label, and a hash of what makes the target unique."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[-80:]
    return f"{safe}-{hashlib.sha1(identity.encode()).hexdigest()[:8]}"


def read_manifest(path: str | Path) -> tuple[Path, list[ManifestEntry]]:
    """The manifest file and its entries (the finetune module's strict reader)."""
    try:
        return manifest_file(path), read_manifest_file(path)
    except ManifestError as e:
        raise SweepError(str(e)) from None


def _local(path: str, manifest_dir: Path) -> str:
    """An absolute path for a local checkpoint (relative paths are from the manifest)."""
    p = Path(path)
    if not p.is_absolute():
        p = manifest_dir / p
    return str(p.resolve())


def entry_model(entry: ManifestEntry, manifest_dir: Path, provider: Provider = "vllm") -> str:
    """The Inspect model name that serves a manifest entry (see the module docstring)."""
    if provider not in PROVIDERS:
        raise SweepError(f"--provider: unknown provider {provider!r}; valid: {list(PROVIDERS)}")
    if entry.format == "api":
        return entry.path
    path = _local(entry.path, manifest_dir)
    if entry.format == "adapter" and provider == "vllm":
        base = entry.base_model
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


def targets_from_manifest(manifest: str | Path, provider: Provider = "vllm"
                          ) -> list[SweepTarget]:
    """One target per checkpoint, labelled with its manifest fields, in step order (an API
    backend's entries, with no step, last)."""
    path, entries = read_manifest(manifest)
    targets = []
    for e in sorted(entries, key=lambda e: (e.step is None, e.step or 0, e.path)):
        model = entry_model(e, path.parent, provider)
        md = {"checkpoint": e.path, "step": e.step, "condition": e.condition,
              "claim": e.claim, "base_model": e.base_model, "format": e.format,
              "manifest": str(path.resolve())}
        targets.append(SweepTarget(model, target_label(e, path),
                                   {k: v for k, v in md.items() if v is not None}))
    return targets


def targets_from_models(models: Sequence[str | Model], condition: str | None = None
                        ) -> list[SweepTarget]:
    if not models:
        raise SweepError("give --manifest or at least one --model")
    targets = [SweepTarget(m, str(m), {"condition": condition} if condition else {})
               for m in models]
    labels = [t.label for t in targets]
    if len(set(labels)) != len(labels):
        raise SweepError(f"--model: the same model twice in {labels}")
    return targets


def run_sweep(targets: Sequence[SweepTarget], log_dir: str | Path, claims: str | None = None,
              task_args: dict[str, Any] | None = None,
              model_roles: dict[str, str | Model] | None = None,
              model_args: dict[str, Any] | None = None, task: str = "belief",
              **eval_options: Any) -> list[SweepOutcome]:
    """Run (or resume) ``task`` on every target; finished logs are reused.

    ``task`` is ``belief`` (default; ``claims`` defaults to "all") or ``em`` (no claims; its
    question sets are ``task_args["questions"]``).
    ``eval_options`` go to ``inspect_ai.eval_set`` (display, max_connections, retries, ...).
    """
    make_task = task_factory(task)
    task_args = dict(task_args or {})
    if "claims" in task_args:
        raise SweepError("-T claims=...: give the claims with --claims")
    check_task_args(task, task_args)
    if task == "belief":
        claims = claims or "all"
        task_args["claims"] = claims
    elif claims is not None:
        raise SweepError(f"--claims: the {task} task takes no claims "
                         "(EM question sets: -T questions=...)")
    root = Path(log_dir)
    outcomes = []
    for target in tqdm(targets, desc="checkpoints", unit="ckpt"):
        made = make_task(**task_args)
        run = {"model": str(target.model), "claims": claims,
               "task_args": {k: v for k, v in task_args.items() if k != "claims"},
               "model_args": model_args,
               "model_roles": {k: str(v) for k, v in (model_roles or {}).items()}}
        if task != "belief":  # belief sweeps keep the directories they had before tasks
            run["task"] = task
        out = root / _slug(target.label, json.dumps(run, sort_keys=True, default=str))
        success, logs = eval_set(made, log_dir=str(out), model=target.model,
                                 model_roles=model_roles or None,
                                 model_args=model_args or {},
                                 metadata=target.metadata or None, **eval_options)
        outcomes.append(SweepOutcome(target, out, success, logs))
    return outcomes
