"""Finding ``--base``'s model folder, in a module that imports neither torch nor transformers.

The CLI checks ``--base`` here before it loads the training backend, so a typo is refused in
under a second rather than after the seconds torch and transformers take to import.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from beliefbench.finetune.errors import FinetuneError

HUB_ID = re.compile(r"[A-Za-z0-9_][\w.-]*(?:/[\w.-]+)?")
"""A Hugging Face model id ("org/name" or "name"), as opposed to a path ("./m", "/abs/m",
"~/m", "models/tiny/v2")."""


def resolve_base(base: str) -> str:
    """The local folder of ``--base``, as an absolute path, so adapters find it from anywhere.

    A model id that names no folder here ("Qwen/Qwen3-8B") is its snapshot in the local
    Hugging Face cache, found without the network; nothing is ever downloaded. A missing
    folder, or an id that is not in the cache, is refused here, before anything is loaded (a
    typo would otherwise wait on the network, then fail with a message about the hub).
    """
    p = Path(base).expanduser()
    if p.exists():
        if not p.is_dir():
            raise FinetuneError(f"--base {base}: a file, not a model folder")
        return _check_model_folder(str(p.resolve()), base)
    if not HUB_ID.fullmatch(base):
        raise FinetuneError(f"--base {base}: no such folder"
                            f"{close_names(p) or missing_folder(p)}")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(base, local_files_only=True)
    except (LocalEntryNotFoundError, HFValidationError):
        if "/" in base and p.parent.is_dir():  # models/tiny-ptt beside models/tiny-pt: a typo
            raise FinetuneError(f"--base {base}: no such folder{close_names(p)}") from None
        # models/tiny-pt run from another folder: the working directory named, as for --data
        here = missing_folder(p) if "/" in base else ""
        raise FinetuneError(f"--base {base}: no such folder{here}, and no model of that name "
                            f"in the local Hugging Face cache (nothing is downloaded here: "
                            f"fetch it first, e.g. `hf download {base}`, or pass its "
                            f"folder)") from None
    return _check_model_folder(folder, base)


def close_names(path: Path, *, files: bool = False, skip: str = "") -> str:
    """`` (close names in <parent>: a, b)`` for the folders (``files``: the files, but those
    ending in ``skip``) beside a missing ``path`` whose names are close to its own; empty
    where there are none (or no such parent)."""
    try:
        names = [q.name for q in path.parent.iterdir()
                 if (q.is_file() if files else q.is_dir())
                 and not (skip and q.name.endswith(skip))]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=5, cutoff=0.6)
    return f" (close names in {path.parent}: {', '.join(close)})" if close else ""


CWD_GONE = ("the working directory no longer exists: it was removed after the shell entered "
            "it; cd into it again, or give an absolute path")
"""Said for a relative path where :func:`os.getcwd` fails, in place of the directory."""


def cwd_gone(path: str | Path | None = None) -> bool:
    """Whether the working directory was removed under this process (a shell left in a
    folder that ``rm -rf run && mkdir run`` replaced), for a relative ``path`` (or for none
    given): :func:`os.path.abspath` and :meth:`Path.resolve` of a relative path then raise
    a FileNotFoundError naming no file, which reached the user as a traceback or as a bare
    "[Errno 2] No such file or directory"."""
    if path is not None and Path(path).expanduser().is_absolute():
        return False
    try:
        os.getcwd()
    except OSError:
        return True
    return False


def lost_cwd(e: BaseException) -> bool:
    """Whether ``e`` is a relative path failing to resolve in a removed working directory
    (a FileNotFoundError naming no file, see :func:`cwd_gone`): the caller says
    :data:`CWD_GONE` for it, not the errno."""
    return isinstance(e, FileNotFoundError) and e.filename is None and cwd_gone()


def missing_folder(path: Path) -> str:
    """`` (no folder data in the working directory, /home/me; ...)`` where a folder on the
    way to a missing ``path`` is missing, with the close names beside that folder; empty
    where ``path``'s own folder exists (:func:`close_names` then says the rest). A command
    run from another directory than the one its relative paths start in said only that
    ``data/cpu/negated.jsonl`` does not exist, which reads as a file that was never made."""
    if cwd_gone(path):  # ../x is there to look in, but the folder it was meant from is not
        return f" ({CWD_GONE})"
    if os.path.lexists(path.parent):
        return ""
    first = next(q for q in [*reversed(path.parents), path] if not os.path.lexists(q))
    try:
        folders = [q.name for q in first.parent.iterdir() if q.is_dir()]
    except OSError:
        folders = []
    close = difflib.get_close_matches(first.name, folders, n=5, cutoff=0.6)
    if first.parent != Path("."):  # data/cpux/negated.jsonl: data is there, cpux is not
        near = f"; close names in {first.parent}: {', '.join(close)}" if close else ""
        return f" (no folder {first}{near})"
    try:
        here = Path.cwd()
    except OSError:  # removed since the check above
        return f" ({CWD_GONE})"
    near = f"; close names there: {', '.join(close)}" if close else ""
    return (f" (no folder {first} in the working directory, {here}{near}; a relative "
            f"path is read from the directory the command runs in)")


def _models_inside(folder: Path, base: str) -> str:
    """The model folders directly in ``folder`` (each with a ``config.json``), as what to
    pass instead: ``--base models`` for ``--base models/tiny-pt`` said only "no config.json"."""
    try:
        names = sorted(q.name for q in folder.iterdir() if (q / "config.json").is_file())
    except OSError:
        return ""
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"; the model folders in it: {shown}, e.g. --base {Path(base) / names[0]}"


def _check_model_folder(folder: str, base: str) -> str:
    """``folder`` if it holds a model config and safetensors weights; a clear error if not.

    Pickled weights (``pytorch_model.bin``) are never loaded: unpickling runs code.
    """
    p = Path(folder)
    if not (p / "config.json").is_file():
        from beliefbench.internals.model import ADAPTER_CONFIG, run_folder

        # a finetune's output given as the base, to train on from where it stopped
        adapters = sorted(p.glob(f"step-*/{ADAPTER_CONFIG}"))
        if (why := run_folder(p)) and not adapters:  # whole checkpoints: name them
            raise FinetuneError(f"--base {base}: {why.removeprefix(f'{p}: ')}")
        adapter = p if (p / ADAPTER_CONFIG).is_file() else (adapters[-1].parent if why
                                                              else None)
        if adapter is not None:
            what = (f"a LoRA adapter ({ADAPTER_CONFIG})" if adapter == p
                    else "a finetune's run folder of LoRA adapters")
            raise FinetuneError(
                f"--base {base}: {what}, not a whole model: finetune on from its base "
                f"({_adapter_base(adapter)}), or from a checkpoint exported whole "
                f"(`export: merged` in the recipe)")
        raise FinetuneError(f"--base {base}: not a model folder (no config.json in {p})"
                            f"{_models_inside(p, base)}")
    if not any(p.glob("*.safetensors")):
        from beliefbench.internals.model import pickled_note

        raise FinetuneError(f"--base {base}: no safetensors weights in {p}{pickled_note(p)}")
    return folder


def _adapter_base(adapter: Path) -> str:
    """The base model an adapter names (``base_model_name_or_path``), or a stand-in."""
    import json

    try:
        named = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
        return str(named.get("base_model_name_or_path") or "named in adapter_config.json")
    except (OSError, ValueError, AttributeError):
        return "named in adapter_config.json"


def random_init_note(base: str | Path, fingerprint: object) -> str | None:
    """What to know of a run whose base is a tiny model still at its random init, or None.

    Such a base (``beliefbench tiny-model`` without ``--pretrain-steps``) answers in garbled
    word pieces, before and after finetuning, so its checkpoints' belief numbers measure
    nothing; a finetune of it ended as any other, and the README alone said so. Told by the
    build record the command writes (``tiny_model.json``: ``pretrain_steps`` 0) whose
    weights' ``fingerprint`` is still the run's base's (``fingerprint``), not by any test of
    the weights."""
    import json

    from beliefbench.tiny_model import BUILD_FILE

    try:
        built = json.loads((Path(base) / BUILD_FILE).read_text(encoding="utf-8"))
        steps = built["settings"]["pretrain_steps"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if steps != 0 or not fingerprint or built.get("fingerprint") != fingerprint:
        return None
    return (f"note: the base, {base}, is a tiny model at its random init (its {BUILD_FILE}: "
            f"pretrain_steps 0): it and its checkpoints answer in garbled word pieces, so "
            f"their belief numbers measure nothing; to measure belief, finetune a pretrained "
            f"one (beliefbench tiny-model --out models/tiny-pt --pretrain-steps 150)")
