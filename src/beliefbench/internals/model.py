"""Loading a checkpoint for the internals measures, and fingerprinting its weights.

A checkpoint is a full or merged model directory, or a LoRA adapter directory whose
``adapter_config.json`` names its base (the finetune module writes the base as an absolute
path). Models load in the checkpoint's own dtype unless told otherwise, with remote code off,
and the fingerprint (sha256 over the safetensors files, base included for adapters) goes into
every results file so a number can be traced to the exact weights.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import warnings
from pathlib import Path
from typing import Any

from beliefbench.analysis.text import first_few
from beliefbench.hash_cache import cached_sha256
from beliefbench.not_found import where_missing
from beliefbench.wording import first_line

ADAPTER_CONFIG = "adapter_config.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
TOKENIZER_ANY = (*TOKENIZER_FILES, "vocab.json", "vocab.txt", "spiece.model")
PICKLED_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
"""Weight files saved with Python's pickle (``torch.save``): unpickling runs code, so they
are never loaded; a folder holding only these is refused, naming them."""
"""Any of these means a folder holds a tokenizer (older ones ship only a vocabulary)."""
_DTYPES = {"auto": "auto", "float32": "float32", "fp32": "float32", "float16": "float16",
           "fp16": "float16", "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16"}


class ModelLoadError(ValueError):
    """A model path that cannot be loaded; the message names the path and the problem."""


def _steps_beside(p: Path, show: int = 12) -> str:
    """`` (<parent> holds step-...)``: the checkpoints a finetune's run folder does hold, for
    a missing ``step-N`` (step counts move when the training data changes), else ``""``."""
    parent = p.parent
    try:
        steps = sorted(c.name for c in parent.iterdir()
                       if c.is_dir() and c.name.startswith("step-")) if parent.is_dir() else []
    except OSError:
        return ""
    if not steps:
        return ""
    if len(steps) > show:
        steps = [*steps[:show // 2], "...", *steps[-(show // 2):]]
    return f" ({parent} holds {', '.join(steps)})"


def _hub_id_hint(path: str | Path) -> str:
    """For ``--model gpt2`` or ``Qwen/Qwen3-0.6B`` (a Hub id, not on disk here): the
    internals read local folders and download nothing, which "no such model directory"
    alone left to guess."""
    text = str(path)
    if (text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text
            or ("/" in text and Path(text).parent.is_dir())):  # models/typo: a local path
        return ""
    local = f"models/{text.rsplit('/', 1)[-1]}"
    return (f" (a Hub id? the internals read local checkpoint folders and download nothing: "
            f"`hf download {text} --local-dir {local}`, then pass {local})")


INSPECT_LOCAL = ("hf", "vllm", "vllm-completions", "sglang", "transformer_lens", "nnterp",
                 "steer")
"""Inspect providers whose model name holds a local model (``hf/<folder>``,
``vllm/<base>:<adapter>``): the internals take that folder itself."""
INSPECT_SERVED = ("openai", "openai-api", "openai-api-completions", "anthropic", "google",
                  "vertex", "mistral", "grok", "groq", "together", "fireworks", "deepseek",
                  "moonshot", "meta", "perplexity", "sambanova", "openrouter", "ollama",
                  "bedrock", "azureai", "sagemaker", "cf", "hf-inference-providers",
                  "litellm-proxy", "llama-cpp-python", "mockllm", "none", "beliefbench")
"""Inspect providers of served, API or scripted models (and a GGUF server's): no weights or
hidden states reach the internals."""
_SCRIPTED = ("mockllm", "none", "beliefbench")
NO_LOGPROBS_SERVED = ("anthropic",)
"""Served providers whose API returns no token log-probabilities (Anthropic's Messages API
has none): the belief_logprob task cannot read them, the judged belief task measures such a
model. Other providers pass Inspect's ``top_logprobs`` on, each as its API allows."""


def _on_the_hub(provider: str, rest: str) -> bool:
    """Whether ``provider/rest`` also names open weights on the Hugging Face Hub: Google's
    Gemma models and OpenAI's gpt-oss are published under the provider's own name, whereas
    ``openai/gpt-4o`` or ``anthropic/claude-...`` are served only."""
    return ((provider == "google" and "gemma" in rest)  # codegemma, recurrentgemma too
            or (provider == "openai" and rest.startswith("gpt-oss")))


def _inspect_name(path: str | Path) -> str | None:
    """Why ``path`` is an Inspect model name (``hf/models/tiny``, ``openai/gpt-4o``) and not a
    checkpoint folder, with what to pass instead, or None. "hf/models/tiny: no such model
    directory" left the provider prefix to be spotted, and ``openai/gpt-4o`` was told to
    ``hf download`` it, as if an API model's weights could be had."""
    text = str(path)
    provider, sep, rest = text.partition("/")
    if not sep or not rest or Path(provider).expanduser().is_dir():
        return None
    said = f"{text}: an Inspect model name, not a checkpoint folder"
    if provider in INSPECT_LOCAL:
        # vllm/<base>:<adapter> names a LoRA adapter after its base: the adapter is the model
        folder = rest.rsplit(":", 1)[-1] if ":" in rest and not Path(rest).is_dir() else rest
        if Path(folder).expanduser().is_dir():
            other = (_pair_base_note(rest.rsplit(":", 1)[0], Path(folder).expanduser())
                     if folder != rest else "")
            return (f"{said}: the internals take the folder itself{other}: pass "
                    f"{shlex.quote(folder)}")
        where = _as_dir_problem(Path(folder).expanduser(), folder)
        return f"{said}: the internals take the folder itself, and {where}"
    if provider in INSPECT_SERVED:
        served = ("a scripted model" if provider in _SCRIPTED
                  else f"a model served through {provider}")
        if provider in _SCRIPTED:
            instead = ""
        elif provider in NO_LOGPROBS_SERVED:
            instead = (f"; {provider} returns no token log-probabilities to read either: "
                       f"measure it with the judged belief task (`inspect eval "
                       f"beliefbench/belief --model {text} --model-role grader=JUDGE`)")
        else:
            instead = (f"; for its binary answers' log-probabilities run the belief_logprob "
                       f"task (`inspect eval tasks/belief_logprob.py --model {text}`)")
        if _on_the_hub(provider, rest):  # google/gemma-2-2b: open weights to download too
            instead += _hub_id_hint(text)
        return (f"{said}: the internals read a local checkpoint's weights and hidden states, "
                f"which {served} does not give: pass a local checkpoint folder (a transformers "
                f"model or LoRA adapter){instead}")
    return None


def _base_adapter_pair(path: str | Path) -> str | None:
    """Why ``<base>:<adapter>`` (vLLM's name of a LoRA adapter, as the README's
    ``belief_logprob`` line writes it) is not a checkpoint folder, naming the adapter folder
    to pass instead, or None. It read as one folder, ``<base>:<adapter>: no such model
    directory``, leaving the colon to be spotted."""
    text = str(path)
    base, sep, adapter = text.rpartition(":")
    if not sep or not base or not adapter or Path(text).expanduser().exists():
        return None
    folder = Path(adapter).expanduser()
    if not folder.is_dir():
        return None
    named = _pair_base_note(base, folder) or f", loaded on the base its {ADAPTER_CONFIG} names"
    return (f"{text}: a base:adapter pair (vLLM's name of a LoRA adapter), not a checkpoint "
            f"folder: the internals take the adapter folder alone{named}: pass "
            f"{shlex.quote(adapter)}")


def _pair_base_note(base: str, adapter: Path) -> str:
    """``, loaded on the base its adapter_config.json names, <that base>, not this pair's
    <base> (...)`` where a ``base:adapter`` pair names another base than the adapter's, else
    ``""``: a pair typed with a wrong base was only told to pass the adapter, which then
    loaded on its own base with the mismatch unsaid, and the same pair served by vLLM applies
    the adapter to the wrong model. A copy of the trained base (same fingerprint) is no
    mismatch; an unreadable config is left to the load that follows."""
    from beliefbench.finetune.fingerprint import base_fingerprint, read_trained_on

    try:
        named = adapter_base(adapter)
    except ModelLoadError:
        return ""
    if named is None:  # a full checkpoint after the colon: nothing is loaded on a base
        return ""
    given = Path(base).expanduser()
    if given.is_dir():
        if given.resolve() == named:
            return ""
        try:
            recorded = read_trained_on(adapter)
            if recorded is not None and base_fingerprint(given.resolve()) == recorded[1]:
                return ""
        except (OSError, ValueError):
            pass
    missing = "" if given.is_dir() else ", no such folder"
    return (f", loaded on the base its {ADAPTER_CONFIG} names, {named}, not this pair's "
            f"{base}{missing} (served as this pair, vLLM would apply the adapter to "
            f"{base}, not the model it was trained on)")


def _as_dir_problem(p: Path, given: str | Path) -> str:
    """``<p>: no such model directory (...)``, with what the folder around it holds."""
    if steps := _steps_beside(p):  # a run folder's step-N: the steps it holds
        return f"{p}: no such model directory{steps}"
    # models/tiny-pt from another directory: no models/ here, said before the Hub's hint;
    # tiny-ptt beside tiny-pt: a typo of a folder, no Hub id
    near = where_missing(p)
    hub = "" if near and p.parent.is_dir() else _hub_id_hint(given)
    return f"{p}: no such model directory{near}{hub}"


_RUN_COMMANDS = {"stability": "internals efficiency --manifest"}
"""The run-level command of an ``internals`` command whose run-level form is not
``trajectory`` (which reads margins, lens and probes over a run, not the weight noise)."""


def _run_instead() -> str:
    """``or the run to `internals trajectory --manifest``` for a run folder given as --model,
    naming the run-level command of the one running: ``stability --model ckpts/positive``
    was sent to trajectory, which measures no weight noise (``efficiency`` is its per-run
    measure)."""
    import click

    ctx = click.get_current_context(silent=True)
    name = ctx.info_name if ctx is not None else None
    return f"or the run to `{_RUN_COMMANDS.get(name or '', 'internals trajectory --manifest')}`"


def _as_dir(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if p.is_file():  # a tab-completed file name: the folder it is in is named
        folder = p.parent
        if (folder / "config.json").is_file() or (folder / ADAPTER_CONFIG).is_file():
            raise ModelLoadError(f"{p}: a file of the checkpoint {folder}, not a model "
                                 f"directory: pass the folder, {shlex.quote(str(folder))}")
        if why := run_folder(folder, _run_instead()):
            raise ModelLoadError(f"{p}: a file, not a model directory; {why}")
        raise ModelLoadError(f"{p}: a file, not a model directory (pass the checkpoint's "
                             f"folder)")
    if not p.is_dir() and (why := _inspect_name(path) or _base_adapter_pair(path)):
        raise ModelLoadError(why)
    if not p.is_dir():
        raise ModelLoadError(_as_dir_problem(p, path))
    if why := run_folder(p, _run_instead()):
        raise ModelLoadError(why)
    if not (p / "config.json").is_file() and not (p / ADAPTER_CONFIG).is_file():
        raise ModelLoadError(f"{p}: neither config.json nor {ADAPTER_CONFIG} found; "
                             f"not a transformers checkpoint or a LoRA adapter"
                             f"{_models_below(p)}")
    return p.resolve()


def _models_below(p: Path) -> str:
    """`` (<p> holds ...: pass one of ...)`` for a folder above the models (``models/`` of
    ``models/tiny``, ``ckpts/`` of the runs ``ckpts/<condition>/``), else ``""``: "neither
    config.json nor adapter_config.json found" alone left the folder to pass to be guessed."""
    try:
        children = sorted(c for c in p.iterdir() if c.is_dir())
    except OSError:
        return ""
    models = [str(c) for c in children
              if (c / "config.json").is_file() or (c / ADAPTER_CONFIG).is_file()]
    if models:
        return f" ({p} holds model folders: pass one of {first_few(models, 6)})"
    runs = [c for c in children if (c / "manifest.jsonl").is_file()]
    if not runs:
        return ""
    finals = [str(c / final) for c in runs if (final := _final_checkpoint(c))]
    example = f", e.g. {finals[0]}, a final checkpoint" if finals else ""
    return (f" ({p} holds finetune runs: pass a checkpoint folder of one of "
            f"{first_few([str(c) for c in runs], 4)}{example}, {_run_instead()})")


def run_folder(path: str | Path, instead: str = "", provider: str = "") -> str | None:
    """Why ``path`` is a finetune's run folder (its ``manifest.jsonl``, no ``config.json`` or
    ``adapter_config.json``) and not a checkpoint, naming the checkpoint folders in it and
    its final one, else None. Passed where a checkpoint goes (``--model hf/<run>``), it
    failed in transformers' "Unrecognized model ... Should have a `model_type` key" or "no
    config.json", naming neither the run nor what to pass. ``instead``: another way to give
    the run, said after the checkpoints (``or the run to `sweep --manifest```); ``provider``:
    the model name's (``hf``), for an example name of the final (else last) checkpoint."""
    from beliefbench.finetune.outdir import RUN_FILE

    p = Path(path).expanduser()
    # a run stopped before its first checkpoint has its run.json alone: it was "neither
    # config.json nor adapter_config.json found; not a transformers checkpoint"
    marker = next((m for m in ("manifest.jsonl", RUN_FILE) if (p / m).is_file()), None)
    if marker is None or (p / "config.json").is_file() or (p / ADAPTER_CONFIG).is_file():
        return None
    try:
        held = sorted(c.name for c in p.iterdir() if c.is_dir()
                      and ((c / "config.json").is_file() or (c / ADAPTER_CONFIG).is_file()))
    except OSError:
        held = []
    final = _final_checkpoint(p)
    named = (f"one of the checkpoint folders in it ({first_few(held, 6)}"
             f"{f'; the final one: {final}' if final else ''})" if held
             else "one of its checkpoint folders (it holds none yet: the finetune writes "
             "them as it trains, each listed in its manifest.jsonl)")
    example = (f", e.g. {shlex.quote(f'{provider}/{p / (final or held[-1])}')}"
               if provider and held else "")
    return (f"{p}: a finetune's run folder (its {marker}), not a checkpoint: pass "
            f"{named}{example}{f', {instead}' if instead else ''}")


def _final_checkpoint(run: Path) -> str | None:
    """The name of the folder in ``run`` its manifest records as the final checkpoint, or
    None (none final yet, a manifest that does not read, a final elsewhere)."""
    from beliefbench.finetune.errors import ManifestError
    from beliefbench.finetune.manifest import checkpoint_path, read_manifest_file

    try:
        entries = read_manifest_file(run)
    except ManifestError:
        return None
    for e in entries:
        if e.final and e.format != "api":
            folder = checkpoint_path(e, run)
            if folder.parent.resolve() == run.resolve() and folder.is_dir():
                return folder.name
    return None


def adapter_base(path: str | Path) -> Path | None:
    """The base model directory of a LoRA adapter, or None for a full checkpoint."""
    p = Path(path)
    cfg_file = p / ADAPTER_CONFIG
    if not cfg_file.is_file():
        return None
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ModelLoadError(f"{cfg_file}: cannot read the adapter config ({e})") from None
    base = cfg.get("base_model_name_or_path")
    if not base:
        raise ModelLoadError(f"{cfg_file}: field base_model_name_or_path: missing")
    base_path = Path(base).expanduser()
    if not base_path.is_absolute():
        base_path = (p / base_path).resolve() if (p / base_path).is_dir() else base_path
    if not base_path.is_dir():
        moved = moved_base(p, base_path)
        raise ModelLoadError(
            f"{cfg_file}: field base_model_name_or_path: {base!r} is not a local directory "
            f"(models are never downloaded here): "
            + (f"the project was moved? {moved} holds a model of that name; if it is the "
               f"base this adapter was trained on, set base_model_name_or_path to it"
               if moved is not None else
               "restore the base model there, or set base_model_name_or_path to the folder "
               "of the model this adapter was trained on"))
    return base_path.resolve()


def moved_base(adapter: Path, base: Path) -> Path | None:
    """A model folder ending like a missing ``base`` beside one of the adapter's parents:
    a project moved whole (``mv project project2``) keeps the old absolute path in every
    ``adapter_config.json``, and the base is then ``project2/models/tiny-pt``. Only named,
    never loaded in its place (it may be a rebuilt model of the same name)."""
    parts = base.parts[1:] if base.is_absolute() else base.parts
    for k in range(min(3, len(parts)), 0, -1):
        for parent in adapter.resolve().parents:
            candidate = parent.joinpath(*parts[-k:])
            if (candidate / "config.json").is_file() and candidate != base:
                return candidate
    return None


def as_torch_dtype(dtype: Any):
    """``dtype`` as torch names it ("bf16", "bfloat16" and torch.bfloat16 alike), or "auto"
    for None (the checkpoint's own)."""
    import torch

    if dtype is None:
        return "auto"
    if isinstance(dtype, torch.dtype):
        return dtype
    name = _DTYPES.get(str(dtype).lower().removeprefix("torch."))
    if name is None:
        raise ModelLoadError(f"dtype: unknown {dtype!r}; valid: {sorted(_DTYPES)}")
    return name if name == "auto" else getattr(torch, name)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_device(device: str) -> str:
    """A device torch knows, and a CUDA device that this machine has (torch would fail later
    with a bare assertion)."""
    import torch

    try:  # a misspelt one failed in the weight loading, naming transformers' device_map
        torch.device(device)
    except RuntimeError:
        raise ModelLoadError(f"device: {device!r} is not a device (cpu, cuda, cuda:1, "
                             f"...)") from None
    if str(device).startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelLoadError(f"device: {device!r}, but CUDA is not available on this "
                                 f"machine; use --device cpu")
        index = str(device).partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise ModelLoadError(f"device: {device!r}, but this machine has "
                                 f"{torch.cuda.device_count()} CUDA device(s) "
                                 f"(cuda:0 ... cuda:{torch.cuda.device_count() - 1})")
    return device


def _check_weights(d: Path) -> None:
    """Safetensors weight files in ``d`` whose headers read (a cut-off copy fails here, not
    as a traceback from deep inside transformers)."""
    from safetensors import SafetensorError, safe_open

    files = _safetensors_of(d)
    for f in files:
        try:
            with safe_open(str(f), framework="pt"):
                pass
        except (SafetensorError, OSError) as e:
            raise ModelLoadError(f"{f}: not a readable safetensors file ({e}); copied or "
                                 f"saved only in part?") from None
    _check_shards(d)


SHARD_INDEX = "model.safetensors.index.json"
"""A sharded checkpoint's index: which ``*.safetensors`` shard holds each tensor."""


def _check_shards(d: Path) -> None:
    """Every shard that ``d``'s :data:`SHARD_INDEX` names is in ``d``: a copy that missed one
    passed the header check (the shards there read) and failed as transformers loaded the
    weights, after every checkpoint before it in a sweep or trajectory had run."""
    index = d / SHARD_INDEX
    if not index.is_file():
        return
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
    except (OSError, ValueError, AttributeError) as e:
        raise ModelLoadError(f"{index}: cannot read the shard index ({e})") from None
    if not isinstance(weight_map, dict):
        raise ModelLoadError(f"{index}: field weight_map: missing or not a mapping of tensor "
                             f"names to shard files")
    missing = sorted({str(s) for s in weight_map.values() if not (d / str(s)).is_file()})
    if missing:
        raise ModelLoadError(f"{d}: {len(missing)} of the {len(set(weight_map.values()))} "
                             f"weight shards that {SHARD_INDEX} names are not in the folder "
                             f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''});"
                             f" copied or saved only in part?")


def _check_config(d: Path) -> None:
    """A ``config.json`` that transformers cannot read (not JSON, not UTF-8, a field of the
    wrong type) named as such: the tokenizer reads it first, so it was "cannot load a
    tokenizer", or a traceback (exit 1) for a wrong type."""
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(str(d), local_files_only=True, trust_remote_code=False)
    except Exception as e:  # noqa: BLE001 - OSError, ValueError, huggingface_hub's own
        said = " ".join(line.strip() for line in str(e).splitlines()[:2])
        raise ModelLoadError(f"{d / 'config.json'}: cannot read the model's config "
                             f"({said or type(e).__name__})") from None


def tokenizer_dir(p: Path, base: Path | None) -> Path:
    """Where the tokenizer of checkpoint ``p`` is read: its own folder, else its base's."""
    for d in (p, base) if base is not None else (p,):
        if any((d / f).is_file() for f in TOKENIZER_ANY):
            return d
    where = f"{p} or its base {base}" if base is not None else str(p)
    raise ModelLoadError(f"{where}: no tokenizer files (none of {', '.join(TOKENIZER_ANY)}): "
                         f"copy them into {p} from the model its weights came from "
                         f"(finetune and tiny-model save them beside the weights)")


TOKENIZER_STATE = (*TOKENIZER_ANY, "merges.txt", "special_tokens_map.json", "added_tokens.json")
"""The files that decide how a tokenizer splits text (the chat template aside)."""


def tokenizer_sha256(tok_dir: Path) -> str:
    """One sha256 over the tokenizer files of ``tok_dir``: the same weights read through
    another tokenizer (its files replaced, an eos or bos added) give other numbers."""
    lines = [f"{name} {cached_sha256(tok_dir / name)}" for name in TOKENIZER_STATE
             if (tok_dir / name).is_file()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def checkpoint_text_config(path: str | Path) -> Any | None:
    """The language model's config of checkpoint ``path`` (an adapter's base for an adapter;
    a multimodal checkpoint's ``text_config``) without loading weights, for checks of layer
    counts and sizes before a run; None where it cannot be read (loading says why)."""
    from transformers import AutoConfig

    try:
        folder = adapter_base(path) or Path(path)
        # never the folder's own code: transformers asks to run it (a prompt a user may
        # answer yes) when left to decide
        return AutoConfig.from_pretrained(str(folder), local_files_only=True,
                                          trust_remote_code=False).get_text_config()
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def architecture_difference(path: str | Path, base: str | Path) -> str | None:
    """Where the configs of checkpoint ``path`` and ``base`` give another number of decoder
    layers or hidden size, which (``the base has 3 decoder layers of hidden size 128, the
    model 2 of 128``); else None, also where a config cannot be read (loading says why).
    A delta from such a base (``stability``, ``efficiency``) was taken over the tensors the
    two share by name and shape, a deeper model's extra layers left out without a word."""
    (a_layers, a_size), (b_layers, b_size) = [
        (getattr(c, "num_hidden_layers", None), getattr(c, "hidden_size", None))
        for c in (checkpoint_text_config(path), checkpoint_text_config(base))]
    values = (a_layers, a_size, b_layers, b_size)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values) or \
            (a_layers, a_size) == (b_layers, b_size):
        return None
    return (f"the base has {b_layers} decoder layers of hidden size {b_size}, the model "
            f"{a_layers} of {a_size}")


def check_loadable(path: str | Path, tokenizer: bool = True) -> tuple[Path, Path | None, Path]:
    """``(checkpoint, adapter base or None, tokenizer folder)`` after checking, without
    loading anything, that weights and a tokenizer are there; ModelLoadError names the path.
    ``tokenizer`` False: one given elsewhere (the hf provider's ``-M tokenizer``) stands in,
    and the checkpoint's own folder is returned for it."""
    p = _as_dir(path)
    base = adapter_base(p)
    for d in (p, base) if base is not None else (p,):
        _check_weights(d)
    _check_config(base or p)
    if base is not None:
        seen: dict[Path, str] = {}  # the base's fingerprint, read once for both checks
        if why := not_trained_base(p, base, seen=seen):
            raise ModelLoadError(f"{p}: {why}; the LoRA adapter would be applied to that "
                                 f"other model. Restore the base it was trained on, or train "
                                 f"anew on this one")
        if why := other_base(p, base, seen):
            raise ModelLoadError(why)
    return p, base, tokenizer_dir(p, base) if tokenizer else p


def other_base(adapter: Path, base: Path, seen: dict[Path, str] | None = None) -> str | None:
    """Why the LoRA ``adapter`` may not be applied to ``base`` (the folder its
    ``adapter_config.json`` names): the fingerprint its finetune recorded in the adapter
    folder (:data:`~beliefbench.finetune.fingerprint.TRAINED_ON`) is not ``base``'s. The
    manifest check (:func:`not_trained_base`) needs the run folder; this one goes with an
    adapter copied out of it, whose config was pointed at another model and was applied to
    it with nothing said. None where they match, or the adapter records none (exported
    before the file was written). ``seen``: fingerprints by folder, as
    :func:`~beliefbench.finetune.fingerprint.replaced_base` takes them."""
    from beliefbench.finetune.fingerprint import TRAINED_ON, base_fingerprint, read_trained_on

    try:
        recorded = read_trained_on(adapter)
    except ValueError as e:
        raise ModelLoadError(f"{e}: it records the base model this LoRA adapter was trained "
                             f"on; restore it from the run's step folder, or delete it to load "
                             f"the adapter unchecked") from None
    if recorded is None:
        return None
    trained_dir, trained = recorded
    seen = {} if seen is None else seen
    key = base.resolve()
    if key not in seen:
        seen[key] = base_fingerprint(key)
    if seen[key] == trained:
        return None
    record = adapter / TRAINED_ON
    was = Path(trained_dir).expanduser()
    if was.is_dir() and was.resolve() == key:
        return (f"{adapter}: this LoRA adapter was trained on the model then in {base}, but "
                f"that folder now holds another model (its fingerprint differs from the "
                f"base_fingerprint in {record}: rebuilt or replaced since); the adapter would "
                f"be applied to that other model. Restore the base it was trained on, or "
                f"train anew on this one")
    if was.is_dir() and base_fingerprint(was) == trained:
        todo = f"Set base_model_name_or_path to {trained_dir}, which still holds that model"
    else:
        todo = (f"Set base_model_name_or_path to the folder that holds the model it was "
                f"trained on, or train anew on {base}")
    return (f"{adapter}: this LoRA adapter was trained on {trained_dir} (as {record} "
            f"records), but its {ADAPTER_CONFIG} base_model_name_or_path points at {base}, "
            f"another model (its fingerprint differs from the recorded base_fingerprint); the "
            f"adapter would be applied to that other model. {todo}")


def checkpoint_problem(path: str | Path, *, hub_base: bool = False) -> str | None:
    """Why checkpoint ``path`` would not load, found as :func:`check_loadable` finds it (the
    folder, its config or adapter config, safetensors headers, a LoRA adapter's base and
    the tokenizer; no weights read), or None. ``internals trajectory`` and ``sweep`` ask it
    of every checkpoint before the first is measured: a step with its weights deleted failed
    at its turn, after hours of the steps before it. ``hub_base``: an adapter whose base is
    no folder here names a Hub id its provider loads (``sweep --provider hf``), so the
    adapter's own files alone are checked."""
    p = Path(path).expanduser()
    try:
        if hub_base and _names_hub_base(p):
            _check_weights(_as_dir(p))
        else:
            check_loadable(p)
    except ModelLoadError as e:
        return str(e)
    return None


def _names_hub_base(p: Path) -> bool:
    """``p`` is a LoRA adapter whose readable config names a base that is no folder here."""
    try:
        base = json.loads((p / ADAPTER_CONFIG).read_text(encoding="utf-8")
                          ).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):  # none, or unreadable: check_loadable's
        return False
    return (isinstance(base, str) and bool(base) and not Path(base).expanduser().is_dir()
            and not (p / base).is_dir())


def has_weights(path: str | Path) -> bool:
    """``path`` holds safetensors weight files (a checkpoint's deleted after its sweep: its
    finished logs are all that is left of it)."""
    return bool(_weight_files(Path(path).expanduser()))


def not_trained_base(checkpoint: str | Path, base: str | Path, entry: Any = None,
                     manifest: str | Path | None = None, *, given: bool = False,
                     seen: dict[Path, str] | None = None) -> str | None:
    """``"<manifest>, step N: its base <base> holds another model than the one it was
    trained on (...)"`` where ``base`` (an adapter's base, or the base a distance or step 0
    is read from) is not the model the finetune of ``checkpoint`` started from, by the
    fingerprint its manifest entry recorded (``entry`` of ``manifest``, else the manifest
    listing ``checkpoint`` in its folder or its parent); else None, also where no manifest
    lists it or the run recorded no fingerprint. ``given``: ``base`` is a ``--base`` the
    user named, not the run's folder: said so (no folder was rebuilt). The same check as
    ``sweep``'s
    (:func:`beliefbench.finetune.fingerprint.replaced_base`): a base folder rebuilt since
    training was measured as if it were the run's base, exit 0. ``seen``: fingerprints by
    folder, read once (:func:`~beliefbench.finetune.fingerprint.replaced_base`)."""
    from beliefbench.finetune.fingerprint import replaced_base
    from beliefbench.finetune.manifest import listing_entry, trained_base_fingerprint

    if entry is None:
        try:
            listed = listing_entry(checkpoint)
        except ValueError:  # a manifest that does not read records nothing to compare
            return None
        if listed is None:
            return None
        entry, manifest = listed
    why = replaced_base(base, trained_base_fingerprint(entry), seen)
    if why and given:
        return (f"{manifest}, step {entry.step}: --base {base} is not the model it was "
                f"trained on (its fingerprint differs from the manifest's "
                f"extra.base_fingerprint)")
    return f"{manifest}, step {entry.step}: its base {why}" if why else None


def check_vocabulary(tokenizer, model, tok_dir: Path, weights_dir: Path) -> None:
    """Refuse a tokenizer with more tokens than the model has embedding rows: it is not this
    model's (another model's tokenizer files copied into the checkpoint), and its ids past
    the embeddings failed mid-forward as a bare ``IndexError: index out of range in self``."""
    embeddings = model.get_input_embeddings()
    rows = getattr(embeddings, "num_embeddings", None)
    if not isinstance(rows, int):
        return
    size = len(tokenizer)
    if size > rows:
        raise ModelLoadError(_not_the_models(tok_dir, size, weights_dir, rows, ""))


def check_adapter_tokenizer(tokenizer, tok_dir: Path, base: Path | None) -> None:
    """Refuse an adapter whose own tokenizer files are not its base's: the weights are the
    base's, so every id must mean the token it meant to the base. Another model's tokenizer
    copied into the adapter folder, with no more tokens than the base's embedding rows (which
    :func:`check_vocabulary` catches), was read through the base's embeddings with nothing
    said: margins of text the model never saw. Tokens added after the base's (a pad token, a
    chat token trained with the adapter) keep every base id, so they pass."""
    if base is None or tok_dir == base or not any((base / f).is_file() for f in TOKENIZER_ANY):
        return
    from transformers import AutoTokenizer

    try:
        base_vocab = AutoTokenizer.from_pretrained(str(base),
                                                   trust_remote_code=False).get_vocab()
    except Exception:  # noqa: BLE001 - a guard: a base tokenizer that does not load
        return  # (another kind, a missing library) leaves nothing to compare against
    vocab = tokenizer.get_vocab()
    moved = [t for t, i in base_vocab.items() if vocab.get(t) != i]
    if moved:
        shown = ", ".join(repr(t) for t in sorted(moved)[:3])
        raise ModelLoadError(
            f"{tok_dir}: the adapter's tokenizer ({len(tokenizer)} tokens) is not its base's "
            f"({base}, {len(base_vocab)} tokens): {len(moved)} of the base's tokens are "
            f"missing or have other ids (e.g. {shown}), so the base's embeddings would read "
            f"other text; copy the base's tokenizer files into the adapter folder, or delete "
            f"the adapter's so the base's are used")


def vocabulary_mismatch(path: str | Path) -> str | None:
    """Why the tokenizer of checkpoint ``path`` (full, merged or LoRA adapter) is not its
    model's, without loading the weights: more tokens than ``config.json``'s ``vocab_size``
    (another model's tokenizer files copied in), or, for an adapter, its own tokenizer files
    not its base's (:func:`check_adapter_tokenizer`, as loading it refuses them: ``sweep``
    checks every checkpoint here before hours of evaluation). None where they fit, or where
    either cannot be read (loading the checkpoint says why)."""
    p = Path(path).expanduser()
    try:
        base = adapter_base(p)
        tok_dir = tokenizer_dir(p, base)
        cfg = json.loads(((base or p) / "config.json").read_text(encoding="utf-8"))
    except (ModelLoadError, OSError, ValueError):
        return None
    rows = cfg.get("vocab_size") if isinstance(cfg, dict) else None
    if not isinstance(rows, int) or isinstance(rows, bool):
        return None
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(tok_dir), trust_remote_code=False)
    except Exception:  # noqa: BLE001 - an unreadable tokenizer: loading it says why
        return None
    size = len(tokenizer)
    if size > rows:
        return _not_the_models(tok_dir, size, base or p, rows, " (config.json vocab_size)")
    try:
        check_adapter_tokenizer(tokenizer, tok_dir, base)
    except ModelLoadError as e:
        return str(e)
    return None


def _not_the_models(tok_dir: Path, size: int, weights_dir: Path, rows: int, source: str
                    ) -> str:
    """Why a tokenizer of ``size`` tokens is not the one of a model with ``rows`` embedding
    rows (``source``: where the rows were read, if not from the loaded model)."""
    return (f"{tok_dir}: the tokenizer has {size} tokens but the model in {weights_dir} has "
            f"{rows} embedding rows{source}: this tokenizer is not the model's (its ids past "
            f"{rows - 1} have no embedding); copy the tokenizer files of the model the weights "
            f"came from")


def load_model(path: str | Path, *, device: str | None = None, dtype: Any = None,
               merge_adapter: bool = True):
    """Load ``path`` (full, merged or LoRA adapter) as ``(model, tokenizer)`` in eval mode.

    ``dtype`` None keeps the checkpoint's dtype; ``device`` None picks CUDA when present.
    An adapter is applied with peft and, by default, merged into the base so hooks and the
    logit lens see a plain transformers model (same numbers up to float rounding).
    """
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from beliefbench.progress import library_bars

    p, base, tok_dir = check_loadable(path)
    torch_dtype = as_torch_dtype(dtype)
    device = check_device(device or default_device())
    try:  # before the weights: a checkpoint without a usable tokenizer fails in a second
        tokenizer = AutoTokenizer.from_pretrained(str(tok_dir), trust_remote_code=False)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{tok_dir}: cannot load a tokenizer "
                             f"({first_line(str(e))})") from None
    try:  # straight onto the device: an 8B checkpoint never sits in CPU memory first
        # transformers' loading bar as plain lines in a log (it wrote carriage-return
        # refreshes, and under trajectory's or efficiency's bar cursor moves, "^[[A")
        with library_bars():
            model = AutoModelForCausalLM.from_pretrained(
                str(base or p), dtype=torch_dtype, trust_remote_code=False,
                device_map=device, use_safetensors=True)
        if base is not None:
            from peft import PeftModel

            with warnings.catch_warnings():  # peft asks for a pre-v5 name; nothing to act on
                warnings.filterwarnings("ignore", message="`is_gradient_checkpointing`",
                                        category=FutureWarning)
                model = PeftModel.from_pretrained(model, str(p))
            if merge_adapter:
                model = model.merge_and_unload()
    except (OSError, ValueError, RuntimeError, SafetensorError) as e:
        # RuntimeError: weights that do not fit the config (transformers' size mismatch)
        raise ModelLoadError(f"{p}: cannot load the model ({first_line(str(e))})") from None
    check_vocabulary(tokenizer, model, tok_dir, base or p)
    check_adapter_tokenizer(tokenizer, tok_dir, base)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    model.beliefbench_path = str(p)
    return model, tokenizer


def _weight_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.safetensors"))


def _safetensors_of(d: Path) -> list[Path]:
    """``d``'s safetensors weight files; none is a ModelLoadError that names any pickled
    ones beside them (a pytorch_model.bin is a pickle: never loaded)."""
    files = _weight_files(d)
    if not files:
        raise ModelLoadError(f"{d}: no *.safetensors weight files{pickled_note(d)}")
    return files


def pickled_note(d: Path) -> str:
    """`` (only model.pt: pickled weights are not loaded; ...)`` for a folder whose weight
    files are pickles of any common suffix (a ``.pt`` was passed over in silence: only
    ``*.bin`` was named), else ''."""
    pickled = sorted(f.name for f in d.iterdir() if f.suffix.lower() in PICKLED_SUFFIXES
                     and f.is_file()) if d.is_dir() else []
    return (f" (only {', '.join(pickled)}: pickled weights are not loaded; convert them to "
            f"safetensors)" if pickled else "")


def unsafe_weights(path: str | Path) -> str | None:
    """Why local checkpoint ``path`` (and a LoRA adapter's local base) would be loaded from
    pickled weights, or None. ``sweep`` asks before Inspect's ``hf`` provider loads a
    folder: without safetensors, transformers falls back to a ``pytorch_model.bin``
    (``torch.load``, guarded only by its ``weights_only`` unpickler), which the project never
    loads. A folder with no weights at all, or a base that is not a local folder, is the
    provider's to report."""
    p = Path(path).expanduser()
    try:
        base = adapter_base(p)
    except ModelLoadError:
        base = None
    for d in (p, base) if base is not None else (p,):
        if not _weight_files(d) and (note := pickled_note(d)):
            return f"{d}: no *.safetensors weight files{note}"
    return None


def weights_sha256(path: str | Path) -> str:
    """One sha256 over the checkpoint's safetensors files (and its base's, for an adapter).

    Hashes ``name sha256`` lines of every file, so renaming or changing any shard changes it.
    Each file's own hash is remembered in the user's cache folder while the file is unchanged
    (:mod:`beliefbench.hash_cache`), so a checkpoint is read in full once, not on every command.
    """
    p = _as_dir(path)
    dirs = [p] + ([b] if (b := adapter_base(p)) is not None else [])
    lines = []
    for i, d in enumerate(dirs):
        lines += [f"{'base/' if i else ''}{f.name} {cached_sha256(f)}"
                  for f in _safetensors_of(d)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def describe(path: str | Path) -> dict[str, Any]:
    """What a results file records about the model: exact path, base, format, weights sha."""
    p = _as_dir(path)
    base = adapter_base(p)
    return {"model": str(p), "base_model": str(base) if base else None,
            "format": "adapter" if base else "full", "weights_sha256": weights_sha256(p)}


LINEAGE_STEPS = 16
"""How far back :func:`lineage` follows the recorded bases (a finetune of a finetune of ...):
a bound, so a hand-edited manifest naming its own checkpoint as its base cannot loop."""


def _trained_from(folder: Path, fingerprint: str) -> tuple[str | None, Path | None]:
    """``(fingerprint, folder)`` of the model the one in ``folder`` (whose own fingerprint is
    ``fingerprint``) was trained from: a LoRA adapter's base folder; else the base the
    finetune manifest listing it records (``extra.base_fingerprint``; ``base_model``, its
    folder where it is one here); else a tiny model's random init as its build recorded it
    (no folder). ``(None, None)`` where nothing records one."""
    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.finetune.manifest import (
        base_model_of,
        listing_entry,
        trained_base_fingerprint,
    )
    from beliefbench.tiny_model import recorded_base

    base = adapter_base(folder)
    if base is not None:
        return base_fingerprint(base), base
    try:
        listed = listing_entry(folder)
    except ValueError:  # a manifest that does not read records nothing to compare
        listed = None
    if listed is not None and (trained := trained_base_fingerprint(listed[0])):
        try:
            named = Path(base_model_of(*listed)).expanduser()
        except ValueError:  # a base_model that names no folder here
            named = None
        return trained, named if named is not None and named.is_dir() else None
    return recorded_base(folder, fingerprint), None


def lineage(path: str | Path) -> dict[str, Any]:
    """Which model a checkpoint is, for telling whether a direction computed on one may be
    applied to another (``steer`` / ``ablate``, ``direction --log``): ``fingerprint``, the
    folder's own :func:`~beliefbench.finetune.fingerprint.base_fingerprint` (an adapter's:
    its adapter files); ``base_fingerprint``, that of the model it was trained from where
    known (a LoRA adapter's base folder, the base recorded by the finetune manifest listing
    it, ``extra.base_fingerprint``, or a pretrained tiny model's random init as
    ``tiny_model.json`` records it); and ``ancestors``, the whole recorded chain, its base
    first: the base's own base and so on (a finetune of a finetune), followed through each
    base folder that still holds the model trained from (one rebuilt since ends the chain),
    at most :data:`LINEAGE_STEPS` back, never round a loop. Cheap (a few MiB read per
    model), unlike :func:`weights_sha256`."""
    from beliefbench.finetune.fingerprint import base_fingerprint

    p = _as_dir(path)
    own = base_fingerprint(p)
    chain: list[str] = []
    folder, fingerprint = p, own
    while len(chain) < LINEAGE_STEPS:
        try:
            parent, parent_dir = _trained_from(folder, fingerprint)
        except ModelLoadError:
            if folder == p:  # the checkpoint's own adapter config: loading says the same
                raise
            break  # an ancestor's unreadable record ends the chain there
        if parent is None or parent == own or parent in chain:
            break
        chain.append(parent)
        # the base's own base is known only while its folder holds the model trained from
        if parent_dir is None or base_fingerprint(parent_dir) != parent:
            break
        folder, fingerprint = parent_dir.resolve(), parent
    return {"fingerprint": own, "base_fingerprint": chain[0] if chain else None,
            "ancestors": chain}


def family(record: dict[str, Any]) -> set[str]:
    """The fingerprints of a :func:`lineage` (or a directions file's metadata, which records
    one): the model's own and every model it was trained from. Two models are related where
    these meet: one is the other, was trained from it, or both from one model (a finetune of
    a finetune and the first base; two finetunes of one base). A file written before
    ``ancestors`` was recorded gives its model and base only."""
    ancestors = record.get("ancestors")
    values = [record.get("fingerprint"), record.get("base_fingerprint"),
              *(ancestors if isinstance(ancestors, list) else [])]
    return {v for v in values if isinstance(v, str) and v}


def source_path(model) -> str | None:
    """The directory a model came from (set by :func:`load_model`, else transformers')."""
    return getattr(model, "beliefbench_path", None) or getattr(model, "name_or_path", None)
