"""Finding ``--base``'s model folder, in a module that imports neither torch nor transformers.

The CLI checks ``--base`` here before it loads the training backend, so a typo is refused in
under a second rather than after the seconds torch and transformers take to import.
"""

from __future__ import annotations

import re
from pathlib import Path

from beliefbench.finetune.errors import FinetuneError
from beliefbench.not_found import where_missing

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
        raise FinetuneError(f"--base {base}: no such folder{where_missing(p)}")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(base, local_files_only=True)
    except (LocalEntryNotFoundError, HFValidationError):
        near = where_missing(p)
        if "/" in base and p.parent.is_dir():  # models/tiny-ptt beside models/tiny-pt: a typo
            raise FinetuneError(f"--base {base}: no such folder{near}") from None
        # models/tiny-pt run from another folder: the working directory named, as for --data;
        # tiny-ptt beside tiny-pt: the close folders, as for a path
        raise FinetuneError(f"--base {base}: no such folder{near}, and no model of that name "
                            f"in the local Hugging Face cache (nothing is downloaded here: "
                            f"fetch it first, e.g. `hf download {base}`, or pass its "
                            f"folder)") from None
    return _check_model_folder(folder, base)


NOT_A_MODEL_FIX = ("; --base takes the folder of a Hugging Face model: its config.json, tokenizer "
                   "and *.safetensors weights (`beliefbench tiny-model --out DIR` builds a "
                   "small one)")
"""What to pass, for a folder that holds no model and no model folders (a data folder given
as --base) where the error named only the missing config.json."""


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
                            f"{_models_inside(p, base) or NOT_A_MODEL_FIX}")
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
