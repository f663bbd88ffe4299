"""Evaluate every checkpoint of a finetune (or a list of models) with Inspect's ``eval_set``.

Each checkpoint gets its own ``eval_set`` log directory (``<log_dir>/<slug>/``), so a re-run
of the same sweep reuses every finished log and resumes only what is missing, and
checkpoints run one after another (one vLLM server on the GPU at a time).

Run labels travel in the eval's metadata (``log.eval.metadata``), which the report reads:
``checkpoint`` (the manifest path), ``step``, ``condition``, ``claim`` (the claims the
checkpoint was trained on), ``base_model``, ``format``, ``manifest``.

How a manifest entry is served (``ManifestEntry.format``):

* ``merged`` / ``full``: ``<provider>/<abs path>`` (``vllm/...`` by default, ``hf/...`` on CPU);
* ``adapter`` (LoRA): ``vllm/<base_model>:<abs adapter path>`` (vLLM only);
* ``api``: the path is a provider model id and is used as it is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inspect_ai import eval_set
from inspect_ai.log import EvalLog
from inspect_ai.model import Model
from pydantic import ValidationError
from tqdm import tqdm

from beliefbench.finetune.manifest import MANIFEST, ManifestEntry
from beliefbench.task import belief

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


def _slug(text: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[-60:]
    return f"{safe}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def manifest_file(path: str | Path) -> Path:
    """The manifest itself, given its file or the checkpoint directory holding it."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST
    if not p.is_file():
        raise SweepError(f"{p}: no such manifest file")
    return p


def read_manifest_file(path: str | Path) -> list[ManifestEntry]:
    """Manifest entries (the finetune module's schema), errors naming file and line."""
    p = manifest_file(path)
    entries = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(ManifestEntry.model_validate_json(line))
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or '(line)'}: {err['msg']}"
                                 for err in e.errors())
            raise SweepError(f"{p}, line {n}: {problems}") from None
    if not entries:
        raise SweepError(f"{p}: the manifest has no checkpoints")
    return entries


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
    if entry.format == "adapter":
        if provider != "vllm":
            raise SweepError(f"{path}: a LoRA adapter checkpoint is served by vLLM as "
                             "base:adapter; the hf provider serves whole weights only "
                             "(use --provider vllm, or merge the adapter first)")
        base = entry.base_model
        if Path(base).exists():
            base = str(Path(base).resolve())
        return f"vllm/{base}:{path}"
    return f"{provider}/{path}"


def targets_from_manifest(manifest: str | Path, provider: Provider = "vllm"
                          ) -> list[SweepTarget]:
    """One target per checkpoint, labelled with its manifest fields, in step order."""
    path = manifest_file(manifest)
    targets = []
    for e in sorted(read_manifest_file(path), key=lambda e: (e.step, e.path)):
        model = entry_model(e, path.parent, provider)
        md = {"checkpoint": e.path, "step": e.step, "condition": e.condition,
              "claim": e.claim, "base_model": e.base_model, "format": e.format,
              "manifest": str(path.resolve())}
        targets.append(SweepTarget(model, f"step{e.step:08d}-{Path(e.path).name}",
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


def run_sweep(targets: Sequence[SweepTarget], log_dir: str | Path, claims: str = "all",
              task_args: dict[str, Any] | None = None,
              model_roles: dict[str, str | Model] | None = None,
              model_args: dict[str, Any] | None = None,
              **eval_options: Any) -> list[SweepOutcome]:
    """Run (or resume) the belief task on every target; finished logs are reused.

    ``eval_options`` go to ``inspect_ai.eval_set`` (display, max_connections, retries, ...).
    """
    task_args = dict(task_args or {})
    if "claims" in task_args:
        raise SweepError("-T claims=...: give the claims with --claims")
    root = Path(log_dir)
    outcomes = []
    for target in tqdm(targets, desc="checkpoints", unit="ckpt"):
        task = belief(claims=claims, **task_args)
        out = root / _slug(target.label)
        success, logs = eval_set(task, log_dir=str(out), model=target.model,
                                 model_roles=model_roles or None,
                                 model_args=model_args or {},
                                 metadata=target.metadata or None, **eval_options)
        outcomes.append(SweepOutcome(target, out, success, logs))
    return outcomes
