"""What a finetune's ``--out`` folder may hold: the files a run writes, and nothing of anyone
else's (a run into a folder of other files would mix its checkpoints with them, and replace
any of theirs that share a name)."""

from __future__ import annotations

import re
from pathlib import Path

from beliefbench.finetune.errors import FinetuneError
from beliefbench.finetune.manifest import MANIFEST
from beliefbench.runlock import NAMES as LOCK_NAMES

TRAINER_DIR = "trainer"
"""Under ``<out>``: the Trainer's full states (``checkpoint-N``) used only for resume."""
RUN_FILE = "run.json"
"""Under ``<out>``: the run's inputs (data and sha256, recipe, base, condition, claim),
written when training begins, so ``--resume`` can check them before any checkpoint (and
manifest line) exists."""
JOB_STATE = "openai_job.json"
"""Under ``<out>``: an OpenAI fine-tuning job's id and state, polled again by ``--resume``."""
OPENAI_TRAIN = "openai_train.jsonl"
"""Under ``<out>``: the chat records uploaded to OpenAI."""
KL_CACHE = "kl_reference.safetensors"
"""Under ``<out>``: the base model's reference log-probabilities for the KL term."""

RUN_MARKERS = (RUN_FILE, MANIFEST, TRAINER_DIR, JOB_STATE)
"""Names only a run writes: a folder holding one of them holds a run (``--resume`` goes on)."""
_RUN_FILES = re.compile("|".join([*map(re.escape, (*RUN_MARKERS, OPENAI_TRAIN, KL_CACHE,
                                                    *LOCK_NAMES)), r"step-\d{6,}"]))
"""Every name a run writes in ``<out>`` (its checkpoints are ``step-NNNNNN``; the lock that
keeps a second run out while it runs)."""
# a temporary beside one of them (``records.new_temp``: ``.<name>.<hex>.tmp``; an export's
# ``.step-N.tmp``), left by a run killed while writing it
_TEMP = re.compile(r"\.(?P<name>.+?)(\.[0-9a-f]+)?\.tmp")


def holds_run(out: Path) -> bool:
    """Whether ``out`` has anything of a run: its inputs, a manifest or a trainer state."""
    return any((out / name).exists() for name in RUN_MARKERS)


def finished_run(out: Path) -> bool:
    """Whether ``out`` holds a finished local run: its manifest lists the final checkpoint,
    and that checkpoint's folder is there (the last thing a run writes)."""
    from beliefbench.finetune.manifest import checkpoint_path, read_manifest

    try:
        return any(e.final and e.backend == "local" and checkpoint_path(e, out).is_dir()
                   for e in read_manifest(out))
    except Exception:  # noqa: BLE001 - a manifest that cannot be read: not known finished
        return False


def _ours(name: str) -> bool:
    temp = _TEMP.fullmatch(name)
    return bool(_RUN_FILES.fullmatch(temp.group("name") if temp else name))


def run_backend(out: Path) -> tuple[str, str] | None:
    """Which backend's run ``out`` holds, with the file that says so: ``local`` (its run
    file, Trainer states, or a manifest of local checkpoints) or ``openai`` (its job state,
    or a manifest of API models); None where it holds no run."""
    from beliefbench.finetune.manifest import read_manifest

    for name, backend in ((JOB_STATE, "openai"), (RUN_FILE, "local"), (TRAINER_DIR, "local")):
        if (out / name).exists():
            return backend, name
    try:
        backends = {e.backend for e in read_manifest(out)}
    except Exception:  # noqa: BLE001 - a manifest that cannot be read: the run's own checks
        return None
    return (backends.pop(), MANIFEST) if len(backends) == 1 else None


def check_out(out: Path, backend: str | None = None) -> None:
    """Refuse an ``--out`` that holds files no run wrote, unless it holds a run (whose folder
    ``--resume`` continues, a file of the user's beside it or not): every file of the run
    lands there, and a new run would mix with (or overwrite) what is there. With
    ``backend``, a run of the other backend is refused too: a local run trained into an
    OpenAI job's folder (its manifest then listed both), and a job was uploaded and started
    for a folder of local checkpoints."""
    if not out.exists():
        return
    held = run_backend(out) if backend else None
    if held and held[0] != backend:
        other, marker = held
        what = ("an OpenAI fine-tuning job's run" if other == "openai"
                else "a local (transformers) run")
        raise FinetuneError(f"--out {out}: holds {what} ({marker}), and this is the {backend} "
                            f"backend: the two runs' checkpoints and manifest lines would mix; "
                            f"choose a new --out (that run goes on only with --backend {other} "
                            f"--resume)")
    if holds_run(out):
        return
    if not out.is_dir():
        raise FinetuneError(f"--out {out}: a file, not a folder; choose a new --out")
    theirs = sorted(p.name for p in out.iterdir() if not _ours(p.name))
    if theirs:
        shown = ", ".join(theirs[:3]) + (f" and {len(theirs) - 3} more" if len(theirs) > 3
                                         else "")
        raise FinetuneError(f"--out {out}: holds files that are not a finetune run's ({shown}); "
                            f"checkpoints would mix with them: choose a new or empty --out")
