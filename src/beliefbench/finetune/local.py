"""The local backend: transformers ``Trainer`` + peft, on CPU, one GPU, or many via accelerate.

The Trainer owns the loop, precision, gradient accumulation, distribution (``accelerate
launch`` with the configs in ``finetune/``) and resume (optimizer, scheduler, RNG and data
position restored from its last full state, so the data order is identical). This module adds:
the records' loss masks (:mod:`.data`), packing without cross-document attention / bucketing,
the log-spaced save schedule, a servable directory per checkpoint (``<out>/step-000625``: full
weights, merged weights, or a LoRA adapter with ``adapter_config.json``, in the training
precision, always with tokenizer and chat template), the manifest, and on resume the export of
any saved state an interrupted run left unexported. Speed options (activation checkpointing
decided by memory, attention kernel, fused AdamW, Liger kernels, torch.compile) are the
Trainer's own, switched by the recipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
import os
import re
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import load_file, save_file
from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback

from beliefbench import interrupts, progress
from beliefbench.arguments import NoHomeFolder
from beliefbench.finetune import attention, memory
from beliefbench.finetune import data as fdata
from beliefbench.finetune.base import resolve_base
from beliefbench.finetune.errors import FinetuneError, TrainingFailed
from beliefbench.finetune.fingerprint import base_fingerprint, write_trained_on
from beliefbench.finetune.manifest import (
    MANIFEST,
    ManifestEntry,
    base_model_of,
    checkpoint_path,
    entry_fields,
    read_manifest,
    rehome_manifest,
    upsert_manifest,
)
from beliefbench.finetune.outdir import (
    KL_CACHE,
    LOCK_NAMES,
    RUN_FILE,
    TRAINER_DIR,
    check_out,
    finished_run,
    holds_run,
)
from beliefbench.finetune.recipe import Recipe
from beliefbench.finetune.schedule import checkpoint_steps
from beliefbench.optional import installed, require
from beliefbench.portable import portable_tokenizer_config
from beliefbench.records import (
    DISK_FULL,
    RecordError,
    atomic_write_text,
    sha256_file,
    share_safetensors,
)
from beliefbench.resources import home_expanded
from beliefbench.runlock import first_rank, made_for_run, world_size
from beliefbench.specs import located
from beliefbench.wording import first_line

log = logging.getLogger(__name__)
# peft still asks for the pre-v5 attribute name on every wrap; nothing for users to act on
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated",
                        category=FutureWarning)


def _not_mtime_notice(record: logging.LogRecord) -> bool:
    """The Trainer orders its ``checkpoint-N`` folders by time and, where two were saved
    within a second (a short run), says it falls back to their numbers: the order wanted."""
    return not record.getMessage().startswith("mtime may not be reliable")


logging.getLogger("transformers.trainer_utils").addFilter(_not_mtime_notice)

SERVABLE_FILES = (
    "config.json", "generation_config.json", "model.safetensors.index.json",
    "adapter_config.json", "tokenizer.json",
    "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
    "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")
"""The usual tokenizer files: where loading one fails and none is there, the error says so."""
WEIGHT_FILES = ("model.safetensors", "model-*-of-*.safetensors", "adapter_model.safetensors")
"""Weights (possibly sharded): cast to the export dtype on the way out."""
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}

__all__ = ["FinetuneError", "Interrupted", "train_local", "step_dir", "export_servable"]


def disk_full(e: BaseException) -> bool:
    """A full disk or quota while saving: an OSError, or safetensors' SafetensorError (not an
    OSError; its text carries the OS error), which the Trainer raises for the weights."""
    if isinstance(e, OSError):
        return e.errno in DISK_FULL
    return type(e).__name__ == "SafetensorError" and any(
        f"(os error {n})" in str(e) for n in DISK_FULL)


class Interrupted(FinetuneError):
    """Ctrl-C (or SIGTERM, under the CLI) during training, after a full Trainer state was
    saved: ``--resume`` goes on. ``exit_code`` is 130, or 143 for SIGTERM (128 + signal)."""

    exit_code = 130

    def __init__(self, message: str, step: int, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.step = step
        self.exit_code = 128 + signum


def step_dir(out: Path, step: int) -> Path:
    """The folder of the checkpoint at ``step`` in a run's ``out`` (``step-000025``)."""
    return out / f"step-{step:06d}"


class _ListDataset(torch.utils.data.Dataset):
    def __init__(self, items: Sequence) -> None:
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def use_bf16(recipe: Recipe, recipe_path: str | Path | None = None) -> bool:
    """Whether the run trains in bf16; ``precision: bf16`` without a bf16 GPU is refused at
    the recipe's ``precision`` line (the message named neither file nor line)."""
    if recipe.precision == "fp32":
        return False
    gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if recipe.precision == "bf16" and not gpu_bf16:
        raise FinetuneError(f"{_recipe_field(recipe_path, 'precision')}: bf16 needs a GPU "
                            f"with bf16 support; use precision: auto (fp32 on CPU)")
    return gpu_bf16


def pin_launcher_precision(bf16: bool) -> None:
    """Make the recipe's precision the one the Trainer trains in.

    ``accelerate launch`` exports its config's ``mixed_precision`` as
    ``ACCELERATE_MIXED_PRECISION``, and TrainingArguments takes it whenever ``bf16`` is off:
    under a launcher config saying bf16 (or fp16), an fp32 recipe, or any run on CPU, trained
    under autocast while the manifest and checkpoints said float32.
    """
    want = "bf16" if bf16 else "no"
    had = os.environ.get("ACCELERATE_MIXED_PRECISION")
    if had is not None and had.lower() not in (want, "no"):  # "no": left to the recipe
        log.warning("finetune: the launcher's mixed_precision %s is ignored; the recipe's "
                    "precision decides (%s)", had, "bf16" if bf16 else "fp32")
    if had is not None:
        os.environ["ACCELERATE_MIXED_PRECISION"] = want


def export_dtype(recipe: Recipe, bf16: bool) -> torch.dtype:
    """The dtype checkpoints are written in: the training precision unless the recipe says."""
    if recipe.export_dtype != "auto":
        return DTYPES[recipe.export_dtype]
    return torch.bfloat16 if bf16 else torch.float32


def attention_for(recipe: Recipe, bf16: bool) -> str | None:
    """The attention implementation a run asks transformers for (None: its default)."""
    return attention.choose(recipe.attn_implementation, cuda=torch.cuda.is_available(),
                            packed=recipe.batching == "pack", bf16=bf16)


def compile_mode(recipe: Recipe, *, cuda: bool) -> Literal["model", "layers"] | None:
    """How a run is compiled: ``model`` (the Trainer's torch.compile of the whole model),
    ``layers`` (each decoder layer in place, :func:`compile_regions`) or None.

    ``auto``: on CUDA, unless Liger's kernels are on (the two failed together on full
    finetuning, torch 2.11 / liger-kernel 0.8.5); full finetuning compiles the whole model,
    LoRA each decoder layer. On one H200 (0.8B Llama, 8 x 2048 packed tokens, torch_varlen):
    full 92,498 tokens/s whole against 87,269 per layer; LoRA 84,023 whole, its benchmark
    line 222 s long (nearly all compiling), against 90,963 per layer, its line 38 s.
    """
    setting = recipe.torch_compile
    if setting == "auto":
        if not cuda or recipe.use_liger:
            return None
        return "layers" if recipe.method == "lora" else "model"
    if setting == "regional":
        return "layers"
    return "model" if setting else None


def _warn_cpu_compile(recipe: Recipe, compiled: str | None, *, cuda: bool,
                      recipe_path: str | Path | None) -> None:
    """Warn, once a run, where the recipe compiles on CPU: ``torch_compile: true`` (or yes)
    compiled the whole tiny model without a word, its first step 128 s against about a second
    uncompiled; per layer it was 10.1 s against 1.5 s for 2 steps (:func:`compile_regions`).
    ``auto`` never compiles on CPU, so only a value written for it is warned about."""
    if cuda or compiled is None or not first_rank():
        return
    value = str(recipe.torch_compile).lower()  # as the recipe spells it (yes reads as true)
    what = "the whole model" if compiled == "model" else "each decoder layer"
    log.warning("%s: %s compiles %s on CPU, which is slow (one step of the tiny model took "
                "about two minutes to compile) and rarely pays off there; torch_compile: auto "
                "compiles on CUDA only", _recipe_field(recipe_path, "torch_compile"), value,
                what)


def compile_regions(model) -> int:
    """Compile each decoder layer in place; returns how many.

    The layers share their code, so torch.compile traces one and reuses it for the rest, and
    the state dict keeps its plain names. On CPU (an 8-layer tiny model, 2 steps) a run took
    10.1 s against 39.9 s with the whole model compiled and 1.5 s without; on an H200 (0.8B
    Llama) its compiling took a fraction of the whole model's (see :func:`compile_mode`).
    """
    layers = [m for m in model.modules() if type(m).__name__.endswith("DecoderLayer")]
    for layer in layers:
        layer.compile()
    return len(layers)


def _recipe_field(recipe_path: str | Path | None, field: str) -> str:
    """How an error names a recipe field: ``<file>: line N, column M: field <name>`` (as the
    recipe loader names a schema problem; no line for a field left at its default), or
    ``recipe field <name>`` for a recipe built in Python."""
    return f"{located(recipe_path, field)}: field {field}" if recipe_path \
        else f"recipe field {field}"


def build_model(recipe: Recipe, base: str, bf16: bool,
                recipe_path: str | Path | None = None):
    """The base model, wrapped with LoRA when the recipe says so."""
    from transformers import AutoModelForCausalLM

    # LoRA freezes the base: keep it in bf16 on GPU. Full finetuning keeps fp32 master
    # weights and lets the Trainer autocast to bf16 (FSDP / DeepSpeed shard them).
    dtype = torch.bfloat16 if bf16 and recipe.method == "lora" else torch.float32
    attn = attention_for(recipe, bf16)
    if attn == attention.NAME:
        attention.register()
    try:
        model = AutoModelForCausalLM.from_pretrained(
            base, dtype=dtype, trust_remote_code=False, use_safetensors=True,
            local_files_only=True, **({"attn_implementation": attn} if attn else {}))
    except ImportError as e:  # e.g. flash_attention_2 without the flash-attn package
        raise FinetuneError(f"recipe attn_implementation {recipe.attn_implementation}: "
                            f"{first_line(str(e))}") from None
    except (OSError, ValueError, KeyError) as e:  # not a causal LM, a torn weights file
        raise FinetuneError(f"--base {base}: cannot load the model "
                            f"({first_line(str(e))})") from None
    # Packed batches rely on position ids to keep documents apart, which transformers only
    # honours without a KV cache; training never uses one.
    model.config.use_cache = False
    if recipe.method == "lora":
        from peft import LoraConfig, get_peft_model

        lc = recipe.lora
        linear = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                         if isinstance(m, torch.nn.Linear)} - {"lm_head"})
        # peft refuses a list only when no name matches: one typo beside a right name
        # (q_proj, v_prj) trained without that layer, silently
        names = [name for name, _ in model.named_modules()]
        missing = [t for t in (lc.target_modules if isinstance(lc.target_modules, list) else [])
                   if not any(n == t or n.endswith(f".{t}") for n in names)]
        if missing:
            field = _recipe_field(recipe_path, "lora.target_modules")  # reads the file
            raise FinetuneError(f"{field}: no module named {', '.join(map(repr, missing))} "
                                f"in the base model {base} (its linear layers: "
                                f"{', '.join(linear)}; or all-linear)")
        try:
            model = get_peft_model(model, LoraConfig(
                r=lc.rank, lora_alpha=lc.alpha, lora_dropout=lc.dropout,
                target_modules=lc.target_modules, use_rslora=lc.use_rslora,
                task_type="CAUSAL_LM", bias="none"))
        except ValueError as e:  # peft: a module it cannot wrap (not a linear layer)
            field = _recipe_field(recipe_path, "lora.target_modules")
            raise FinetuneError(f"{field}: {first_line(str(e))} (its linear "
                                f"layers: {', '.join(linear)}; or all-linear)") from None
    return model


def use_checkpointing(recipe: Recipe, model, *, tokens: int, bf16: bool) -> bool:
    """Activation checkpointing on or off; ``auto`` decides by estimated memory (GPU only)."""
    if recipe.gradient_checkpointing != "auto":
        log.info("gradient_checkpointing %s (set in the recipe)",
                 "on" if recipe.gradient_checkpointing else "off")
        return recipe.gradient_checkpointing
    if not torch.cuda.is_available():
        log.info("gradient_checkpointing auto: off (no CUDA GPU; it only saves GPU memory, "
                 "and on CPU would cost about 20% speed)")
        return False
    # this process's GPU: the Trainer has not set the device yet, and asking the current one
    # (cuda:0) put a CUDA context of every process on the first GPU for the whole run
    rank = int(os.environ.get("LOCAL_RANK", "0"))  # one GPU per process (CUDA_VISIBLE_DEVICES)
    free, _total = torch.cuda.mem_get_info(rank if rank < torch.cuda.device_count() else 0)
    shape = memory.shape_of(model)
    need = memory.training_bytes(shape, tokens=tokens, bf16=bf16, full=recipe.method == "full",
                                 checkpointing=False, fused_loss=recipe.use_liger)
    on = memory.checkpointing_needed(shape, tokens=tokens, bf16=bf16,
                                     full=recipe.method == "full",
                                     fused_loss=recipe.use_liger, free_bytes=free)
    log.info("gradient_checkpointing auto: about %.1f GiB needed without it, %.1f GiB free "
             "-> %s", need / 2**30, free / 2**30, "on" if on else "off")
    return on


def _check_liger(recipe: Recipe, recipe_path: str | Path | None = None) -> None:
    """``use_liger`` without CUDA (said first: on CPU the package was named, whose install
    only led to this refusal) or without liger-kernel."""
    if not recipe.use_liger:
        return
    if not torch.cuda.is_available():
        raise FinetuneError(f"{_recipe_field(recipe_path, 'use_liger')}: true needs a CUDA GPU "
                            f"(Liger kernels are Triton kernels); set use_liger: false on CPU")
    require("liger_kernel", "recipe use_liger: true (on a CUDA GPU)", FinetuneError)


def _check_flash_attn(recipe: Recipe, recipe_path: str | Path | None) -> None:
    """``flash_attention_2`` off CUDA, or without flash-attn (nor the ``kernels`` package,
    from which transformers would take the kernel instead): refused before the data is
    tokenized; transformers said it only as the model was loaded."""
    if recipe.attn_implementation != "flash_attention_2":
        return
    if not torch.cuda.is_available():  # with the kernels package, transformers failed late
        raise FinetuneError(f"{_recipe_field(recipe_path, 'attn_implementation')}: "
                            f"flash_attention_2 needs a CUDA GPU (FlashAttention's kernels "
                            f"are CUDA only); use auto or sdpa on CPU")
    if not installed("kernels"):
        require("flash_attn", f"{_recipe_field(recipe_path, 'attn_implementation')}: "
                "flash_attention_2", FinetuneError)


def _check_flex_attention(recipe: Recipe, recipe_path: str | Path | None) -> None:
    """``flex_attention`` off CUDA: PyTorch's FlexAttention has no backward pass on CPU, so
    the run failed at its first step with a traceback, leaving a started run in --out."""
    if recipe.attn_implementation == "flex_attention" and not torch.cuda.is_available():
        raise FinetuneError(f"{_recipe_field(recipe_path, 'attn_implementation')}: "
                            f"flex_attention needs a CUDA GPU (PyTorch's FlexAttention cannot "
                            f"train on CPU); use auto or sdpa on CPU")


def make_dataset(examples: list[dict], recipe: Recipe) -> tuple[_ListDataset, int]:
    """The training items and the Trainer's per-device batch size for them."""
    if recipe.batching == "pack":
        return _ListDataset(fdata.pack(examples, recipe.max_seq_len)), recipe.batch_size
    if recipe.batching == "bucket":
        return _ListDataset(fdata.bucket(examples, recipe.batch_size, recipe.seed)), 1
    return _ListDataset(examples), recipe.batch_size


def total_steps(n_items: int, per_device: int, recipe: Recipe, world_size: int) -> int:
    """Optimizer steps of the run: ``max_steps``, else ``epochs`` passes over the data.

    A last accumulation cut short by the end of an epoch is a step too (the Trainer steps on
    it), so the division rounds up: rounded down, ``epochs: 1`` left up to
    ``gradient_accumulation_steps - 1`` micro-batches of every epoch untrained.
    """
    if recipe.max_steps:
        return recipe.max_steps
    batches = math.ceil(n_items / (per_device * world_size))
    per_epoch = max(1, math.ceil(batches / recipe.gradient_accumulation_steps))
    return max(1, math.ceil(per_epoch * recipe.epochs))


def _cast_weights(src: Path, dest: Path, dtype: torch.dtype) -> int:
    """Copy a safetensors file, its floating-point tensors cast to ``dtype``; returns bytes."""
    tensors = load_file(str(src))
    if all(not t.is_floating_point() or t.dtype == dtype for t in tensors.values()):
        shutil.copy2(src, dest)
    else:
        from safetensors import safe_open

        with safe_open(str(src), framework="pt") as f:
            metadata = f.metadata() or {"format": "pt"}
        tensors = {k: (t.to(dtype) if t.is_floating_point() else t).contiguous()
                   for k, t in tensors.items()}
        save_file(tensors, str(dest), metadata=metadata)
    return sum(t.numel() * t.element_size() for t in tensors.values())


def _servable_config(path: Path, dtype: torch.dtype) -> None:
    """config.json says the dtype the weights are in, and enables the KV cache for serving."""
    cfg = json.loads(path.read_text(encoding="utf-8"))
    name = str(dtype).removeprefix("torch.")
    cfg["dtype"] = name
    if "torch_dtype" in cfg:
        cfg["torch_dtype"] = name
    if "use_cache" in cfg:
        cfg["use_cache"] = True
    path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")


SET_FIELDS = ("target_modules", "exclude_modules")
"""adapter_config.json fields peft holds as sets and writes in hash order."""


def sorted_adapter_config(path: Path) -> None:
    """Rewrite an adapter_config.json with its module lists sorted: peft writes them in set
    order, which PYTHONHASHSEED changes, so two identical runs exported different files."""
    cfg = json.loads(path.read_text(encoding="utf-8"))
    for name in SET_FIELDS:
        if isinstance(cfg.get(name), list):
            cfg[name] = sorted(cfg[name])
    atomic_write_text(path, json.dumps(cfg, indent=2, sort_keys=True))  # as peft writes it


def export_servable(ckpt: Path, dest: Path, *, recipe: Recipe, base: str,
                    dtype: torch.dtype, trained_on: str | None = None) -> str:
    """Turn a Trainer checkpoint into a directory vLLM / Inspect's hf provider can serve.

    Copies the weights (cast to ``dtype``), config and tokenizer files (never optimizer or
    RNG state). For LoRA with ``export: merged`` the adapter is merged into a fresh copy of
    the base. A LoRA adapter also gets :data:`.fingerprint.TRAINED_ON`, its base and the
    base's fingerprint ``trained_on`` (where the run knows it), which ``internals`` checks
    the base it is applied to against. Written to a temporary directory and renamed, so a
    half-written checkpoint is never visible.
    """
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        return _export_into(ckpt, tmp, dest, recipe=recipe, base=base, dtype=dtype,
                            trained_on=trained_on)
    except BaseException:  # a full disk: no half-written .step-N.tmp left in --out
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _export_into(ckpt: Path, tmp: Path, dest: Path, *, recipe: Recipe, base: str,
                 dtype: torch.dtype, trained_on: str | None = None) -> str:
    """:func:`export_servable`'s work, in the temporary directory ``tmp``, renamed to
    ``dest`` at the end."""
    if recipe.method == "lora" and recipe.export == "merged":
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        merged = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(base, dtype=dtype, trust_remote_code=False,
                                                 use_safetensors=True),
            ckpt).merge_and_unload()
        merged.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(ckpt, trust_remote_code=False).save_pretrained(tmp)
        fmt = "merged"
    else:
        if not any(src for pattern in WEIGHT_FILES for src in ckpt.glob(pattern)):
            raise _no_weights(ckpt)
        for name in SERVABLE_FILES:
            if (ckpt / name).exists():
                shutil.copy2(ckpt / name, tmp / name)
        size = sum(_cast_weights(src, tmp / src.name, dtype)
                   for pattern in WEIGHT_FILES for src in ckpt.glob(pattern))
        index = tmp / "model.safetensors.index.json"
        if index.exists():  # shards: the index states their total size
            meta = json.loads(index.read_text(encoding="utf-8"))
            meta.setdefault("metadata", {})["total_size"] = size
            index.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        fmt = "adapter" if recipe.method == "lora" else "full"
        if (tmp / "adapter_config.json").exists():
            sorted_adapter_config(tmp / "adapter_config.json")
            if trained_on:  # the adapter carries its base out of the run folder
                write_trained_on(tmp, base, trained_on)
    portable_tokenizer_config(tmp)  # a team's transformers 4.x stack loads it too
    if (tmp / "config.json").exists():
        _servable_config(tmp / "config.json", dtype)
    share_safetensors(tmp)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return fmt


def _no_weights(ckpt: Path) -> TrainingFailed:
    """A Trainer checkpoint with no weight file we can serve: a launcher config that saves
    sharded state (FSDP ``SHARDED_STATE_DICT``, DeepSpeed ZeRO-3 without 16-bit weights)
    leaves only its shards there, and the export wrote a step folder of config and tokenizer
    with a manifest line, exit 0: a run of unservable checkpoints, found out at eval time."""
    return TrainingFailed(
        f"{ckpt} holds no model weights ({', '.join(WEIGHT_FILES)}): the launcher saved the "
        f"model sharded (FSDP fsdp_state_dict_type SHARDED_STATE_DICT, or DeepSpeed ZeRO-3 "
        f"without zero3_save_16bit_model: true); no checkpoint was written for it. Use the "
        f"shipped finetune/accelerate configs (FULL_STATE_DICT, zero3_save_16bit_model: true) "
        f"and train anew in a new --out")


class CheckpointSchedule(TrainerCallback):
    """Save at the log-spaced steps; export each save as a servable dir + manifest line."""

    def __init__(self, *, steps: Sequence[int], out: Path, recipe: Recipe, base: str,
                 dtype: torch.dtype, manifest_fields: dict) -> None:
        self.steps = set(steps)
        self.final = max(steps)
        self.out, self.recipe, self.base, self.dtype = out, recipe, base, dtype
        self.fields = manifest_fields

    def on_train_begin(self, args, state, control, **kwargs):
        # here every process has passed the "already holds a run" check (the model is
        # wrapped for data parallelism by now, a collective step), so none trips over it
        if state.is_world_process_zero and not (self.out / RUN_FILE).exists():
            atomic_write_text(self.out / RUN_FILE, json.dumps(
                run_inputs(self.fields), indent=2, sort_keys=True) + "\n")
        return control

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step in self.steps:
            # a loss line with every save: the state's log_history then holds each step up
            # to it, and a run resumed from it (after a kill) logs the same curve as one
            # never stopped; without it the first line after the resume averaged fewer steps
            control.should_log = True
            control.should_save = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or state.global_step not in self.steps:
            return control
        # said as it begins: between two loss lines nothing said a checkpoint was written
        # (the first of a real run's 15 comes early, the later ones far apart), and a merged
        # export's "Loading weights" / "Writing model shards" bars came unexplained
        ordinal = sorted(self.steps).index(state.global_step) + 1
        log.info("finetune: writing checkpoint %s (step %d of %d; checkpoint %d of %d) ...",
                 step_dir(self.out, state.global_step), state.global_step, state.max_steps,
                 ordinal, len(self.steps))
        self.export(Path(args.output_dir) / f"checkpoint-{state.global_step}",
                    state.global_step, int(state.num_input_tokens_seen or 0))
        return control

    def export(self, ckpt: Path, step: int, tokens_seen: int) -> None:
        """Write ``step-N/`` from a Trainer checkpoint, then its manifest line; weights that
        are not finite (a diverged run) are refused, never served as a checkpoint."""
        dest = step_dir(self.out, step)
        bad = nonfinite_tensor(ckpt)
        if bad is not None:
            raise TrainingFailed(
                f"training diverged: the weights of step {step} hold NaN or inf ({bad}); no "
                f"checkpoint was written for it. Lower learning_rate (or max_grad_norm) and "
                f"train anew in a new --out")
        fmt = export_servable(ckpt, dest, recipe=self.recipe, base=self.base, dtype=self.dtype,
                              trained_on=(self.fields.get("extra") or {}).get("base_fingerprint"))
        upsert_manifest(self.out, ManifestEntry(
            path=str(dest.resolve()), step=step, tokens_seen=tokens_seen, backend="local",
            format=fmt, final=step == self.final, **self.fields))

    def recover(self, trainer_dir: Path) -> list[int]:
        """Export every scheduled Trainer state that has no servable dir + manifest line.

        A run killed after the Trainer saved ``checkpoint-N`` but before ``step-N/`` and its
        manifest line were written would otherwise lose step N for good: training resumes
        after it (or, for a finished run, never runs again).
        """
        listed = {e.step for e in read_manifest(self.out)}
        done = []
        for ckpt in _states(trainer_dir):
            step = _state_step(ckpt)
            if step not in self.steps or (step in listed and step_dir(self.out, step).is_dir()):
                continue
            state = _complete_state(ckpt)
            if state is None:  # the Trainer itself was killed while saving: training
                log.info("%s: incomplete Trainer state, not exported: its step is "
                         "trained again", ckpt)
                continue
            self.export(ckpt, step, int(state.get("num_input_tokens_seen") or 0))
            done.append(step)
        if done:
            log.info("finetune: exported checkpoints %s that an interrupted run left unexported",
                     done)
        return done


def _warn_lost_checkpoints(out: Path) -> None:
    """Said on resume: checkpoints the manifest lists that are not on disk (deleted, or left
    out of a copy) and that no Trainer state is left to export again. Resumed without a
    word, the run looked whole until a sweep refused them."""
    lost = [e.step for e in read_manifest(out)
            if e.backend == "local" and not checkpoint_path(e, out).is_dir()]
    if lost:
        log.warning("finetune: %s: checkpoints %s are in its manifest but not on disk (deleted, "
                    "or left out of a copy), and no Trainer state is left to export them "
                    "again: a sweep refuses them; restore them, or remove their lines from "
                    "%s", out, lost, out / MANIFEST)


def nonfinite_tensor(ckpt: Path) -> str | None:
    """The first weight tensor of a Trainer checkpoint holding NaN or inf (``file:name``), or
    None. Read one tensor at a time, so a large model is never all in memory twice."""
    from safetensors import safe_open

    for pattern in WEIGHT_FILES:
        for src in sorted(ckpt.glob(pattern)):
            with safe_open(str(src), framework="pt") as f:
                for name in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                    t = f.get_tensor(name)
                    if t.is_floating_point() and not torch.isfinite(t).all():
                        return f"{src.name}: {name}"
    return None


class PortableTokenizer(TrainerCallback):
    """Rewrite the tokenizer of each Trainer state as transformers 4.x reads it
    (:func:`.portable.portable_tokenizer_config`): the Trainer saves it with transformers 5's
    ``TokenizersBackend``, which 4.x refuses, so a ``trainer/checkpoint-N`` loaded by a 4.x
    stack failed where the base it came from loaded."""

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:  # the process that saved the tokenizer
            portable_tokenizer_config(Path(args.output_dir) / f"checkpoint-{state.global_step}")
        return control


class StepBar(ProgressCallback):
    """The Trainer's step bar, written through :func:`progress.bar_file`: unchanged on a
    terminal, and in a log (``> run.log``, CI) a plain line per refresh (at most every 30 s)
    where tqdm's carriage-return refreshes piled up on one line. A resumed run's bar starts
    at its step (the Trainer's stood at 0 until the first step, then leapt, its rate and time
    left reckoned as if the skipped steps had taken no time)."""

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            from tqdm.auto import tqdm

            self.training_bar = tqdm(total=state.max_steps, initial=state.global_step,
                                     dynamic_ncols=True, file=progress.bar_file(),
                                     **progress.intervals(0.1))
        self.current_step = state.global_step


class StopOnDivergence(TrainerCallback):
    """A logged loss or gradient norm of NaN or inf stops the run at once (exit 1).

    The Trainer's ``logging_nan_inf_filter`` (off here) would log such a loss as an average
    of earlier ones; the weights are then NaN and every later step is wasted. Checkpoints
    saved before the next log are refused by :meth:`CheckpointSchedule.export`.
    """

    def on_log(self, args, state, control, logs=None, **kwargs):
        bad = []
        for key in ("loss", "grad_norm"):
            try:
                value = float((logs or {}).get(key, 0.0))
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                bad.append(f"{key} {value}")
        if bad:
            raise TrainingFailed(
                f"training diverged at step {state.global_step}: {', '.join(bad)}. Lower "
                f"learning_rate (or max_grad_norm) and train anew in a new --out")
        return control


SIGTERM_REPEAT_S = 1.0
"""A SIGTERM this soon after the first is the same stop delivered twice (the job's and its
launcher's), not a second one asking to stop at once."""


class StopOnInterrupt(TrainerCallback):
    """The first Ctrl-C finishes the current optimizer step, saves a full Trainer state and
    stops, so ``--resume`` loses nothing; a second Ctrl-C before that save stops at once
    (KeyboardInterrupt), and one during the save waits for it (no torn state).

    Stopping at a step boundary matters: a KeyboardInterrupt inside an optimizer step could
    leave half the weights updated. The state is a plain ``checkpoint-N`` for resume only;
    unless N is a scheduled step it gets no servable dir and no manifest line.
    """

    def __init__(self) -> None:
        self.requested = False
        self.saving = False
        self.stopped_at: int | None = None
        self.signum = int(signal.SIGINT)  # the signal that asked for the stop
        self.requested_at = 0.0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """SIGINT sets the flag while training runs (main thread only: signals go there).
        Under the CLI, SIGTERM calls this handler too (:mod:`beliefbench.interrupts`): a
        preempted run saves its state as a Ctrl-C'd one does."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: object) -> None:
            if self.saving:
                log.warning("finetune: still saving the training state; a moment")
            elif self.requested and signum == self.signum == signal.SIGTERM and \
                    time.monotonic() - self.requested_at < SIGTERM_REPEAT_S:
                # the same preemption again: Slurm signals every process of the job, torchrun
                # forwards its own copy to each rank; taken as a second signal, it stopped
                # every rank at once and lost the steps since the last save
                log.info("finetune: SIGTERM again at once (a launcher's forwarded copy): "
                         "still saving after this step")
            elif self.requested:
                raise KeyboardInterrupt
            else:
                self.requested = True
                self.signum = signum
                self.requested_at = time.monotonic()
                again = ("Ctrl-C, or SIGTERM again after a second," if signum == signal.SIGTERM
                         else "Ctrl-C again")
                log.warning("finetune: interrupted%s; saving the training state after this "
                            "step (%s stops at once, losing the steps since the last save)",
                            interrupts.by(signum), again)

        signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def on_step_end(self, args, state, control, **kwargs):
        requested = self.requested
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # every process must stop at the same step, or the others wait forever
            flag = torch.tensor([int(requested)], device=args.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            requested = bool(flag.item())
        if requested and state.global_step < state.max_steps:
            # the loss of the steps since the last loss line goes into the saved state's
            # log_history: resumed, the Trainer averages only the steps after the save, so
            # those steps were missing from the loss curve and the next line covered fewer
            control.should_log = True
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = state.global_step
            self.saving = True
        return control

    def on_save(self, args, state, control, **kwargs):
        self.saving = False  # the state (and any export of it) is on disk
        return control


def _check_optimizer(args, model, recipe: Recipe, recipe_path: str | Path | None) -> None:
    """Refuse at set-up an ``optim`` the Trainer cannot build here (a package it needs is
    missing, e.g. bitsandbytes for ``adamw_bnb_8bit``, or settings the recipe cannot give):
    it failed with a traceback at the first step, after ``--out`` was made, and the run it
    left there then needed ``--resume``."""
    from transformers import Trainer

    try:
        Trainer.get_optimizer_cls_and_kwargs(args, model)
    except (ImportError, ValueError) as e:
        raise _optimizer_error(e, recipe, recipe_path) from None


def _check_optimizer_package(recipe: Recipe, recipe_path: str | Path | None) -> None:
    """The package check of :func:`_check_optimizer` (bitsandbytes, torchao, GaLore's, ...)
    before the data is tokenized and the model loaded (minutes for a large one), with a
    stand-in model and the arguments' defaults. The arguments are made without their
    ``__post_init__``, which would set up accelerate's process state (for the CPU, say)
    before the run's own arguments do. Only a missing package is refused here: the full
    check runs with the real arguments once the model is built."""
    from transformers import Trainer, TrainingArguments
    from transformers.training_args import OptimizerNames

    args = object.__new__(TrainingArguments)
    for f in dataclasses.fields(TrainingArguments):
        value = (f.default if f.default is not dataclasses.MISSING else f.default_factory()
                 if f.default_factory is not dataclasses.MISSING else None)
        object.__setattr__(args, f.name, value)
    args.optim = OptimizerNames(recipe.optim)
    try:
        Trainer.get_optimizer_cls_and_kwargs(args, torch.nn.Linear(1, 1))
    except ImportError as e:
        raise _optimizer_error(e, recipe, recipe_path) from None
    except Exception:  # noqa: BLE001 - not a package: the full check says it with the model
        pass


def _optimizer_error(e: BaseException, recipe: Recipe,
                     recipe_path: str | Path | None) -> FinetuneError:
    """One line: the optimizer the recipe names and the first line of why it cannot run."""
    return FinetuneError(f"{_recipe_field(recipe_path, 'optim')}: {recipe.optim!r} cannot "
                         f"be used here ({first_line(str(e))})")


def _checkpointing_args(enabled: bool) -> dict:
    """Activation checkpointing, under the name this transformers version uses."""
    import inspect

    from transformers import TrainingArguments

    params = inspect.signature(TrainingArguments.__init__).parameters
    name = "activation_checkpointing" if "activation_checkpointing" in params \
        else "gradient_checkpointing"
    return {name: enabled, f"{name}_kwargs": {"use_reentrant": False}}


def _trainer_cls(recipe: Recipe):
    if recipe.kl is None:
        from transformers import Trainer

        return Trainer
    from beliefbench.finetune.kl import KLTrainer

    return KLTrainer


def kl_data_path(recipe: Recipe, recipe_path: str | Path | None = None) -> Path | None:
    """The KL dataset: ``kl.data`` as typed (from the working directory), else shipped data.

    Shipped recipes name shipped data (``kl/general.jsonl`` under ``beliefbench/data``), so
    ``--recipe kl`` runs from any directory.
    """
    if recipe.kl is None:
        return None
    where = f"{located(recipe_path, 'kl.data')}: " if recipe_path else ""
    try:
        typed = Path(home_expanded(recipe.kl.data))
    except NoHomeFolder as e:  # ~nosuch/kl.jsonl: the recipe's line named, not only the path
        raise FinetuneError(f"{where}field kl.data: {e}") from None
    if typed.is_file():
        return typed
    if not typed.is_absolute():
        from beliefbench.resources import data_path

        try:
            shipped = data_path(recipe.kl.data)
        except FileNotFoundError:
            shipped = None
        if shipped is not None and shipped.is_file():
            return shipped
    if typed.is_dir():  # "no such file" sent the user looking for a path that is there
        raise FinetuneError(f"{where}field kl.data: {recipe.kl.data!r} is a folder; name the "
                            f"JSONL file of KL records in it")
    from beliefbench.not_found import where_missing

    # data/kl.jsonl from another directory than the one holding data/: that folder and the
    # working directory named, as for --data; "the current directory" named none. The
    # working directory is named where data/ is there too: the shipped data is the other
    # place looked in
    near = where_missing(typed, files=True, here=True)
    if typed.is_absolute():  # the shipped data is not looked in: nothing of it said
        raise FinetuneError(f"{where}field kl.data: no such file {recipe.kl.data!r}{near}")
    raise FinetuneError(f"{where}field kl.data: no such file {recipe.kl.data!r}{near}, nor "
                        f"in beliefbench's shipped data"
                        f"{'' if 'close names' in near else _shipped_near(recipe.kl.data)}")


def _shipped_near(name: str) -> str:
    """`` (did you mean 'kl/general.jsonl'?)`` for a ``kl.data`` close to a shipped records
    file: ``kl/generl.jsonl`` was said missing in both places, with no name to write (0.8:
    a file of one's own, ``kl.jsonl``, is not taken for the shipped one)."""
    from beliefbench.analysis.text import did_you_mean
    from beliefbench.resources import data_path

    root = data_path(".")
    return did_you_mean(name, [f.relative_to(root).as_posix() for f in root.rglob("*.jsonl")],
                        cutoff=0.8)


@progress.library_bars()  # weight loading and export bars: plain lines in a log
def train_local(recipe: Recipe, data: str | Path, base: str, out: str | Path, *,
                resume: bool = False, recipe_path: str | Path | None = None,
                condition: str | None = None, claim: str | None = None,
                callbacks: Sequence[TrainerCallback] = ()) -> Path:
    """Train ``base`` on the records in ``data``; checkpoints and manifest go under ``out``.

    ``resume``: continue from the last full trainer state under ``out/trainer`` with the same
    data order, after exporting any saved state that has no servable checkpoint yet. Without
    it, an ``out`` that already holds a run is refused.
    """
    done = _train(recipe, data, base, out, resume=resume, recipe_path=recipe_path,
                  condition=condition, claim=claim, callbacks=callbacks)
    # only now: the trainer, the model and its data-parallel wrapper of _train are gone
    leave_process_group()
    return done


def _train(recipe: Recipe, data: str | Path, base: str, out: str | Path, *, resume: bool,
           recipe_path: str | Path | None, condition: str | None, claim: str | None,
           callbacks: Sequence[TrainerCallback]) -> Path:
    """:func:`train_local` up to the end of training, its process group left to the caller."""
    from transformers import AutoTokenizer, TrainingArguments

    out = Path(out)
    data = Path(data)
    base = resolve_base(base)
    kl_data = kl_data_path(recipe, recipe_path)
    _check_liger(recipe, recipe_path)
    check_out(out, "local")
    trainer_dir = out / TRAINER_DIR
    last = last_state(trainer_dir) if resume else None
    if resume and last is None:
        _warn_nothing_to_resume(out)
    if not resume and (_states(trainer_dir) or (out / MANIFEST).exists()
                       or (out / RUN_FILE).exists()):
        if finished_run(out):  # "--resume to continue it" of a run with nothing to continue
            raise FinetuneError(f"{out}: already holds a finished run (its final checkpoint "
                                f"and manifest); choose a new --out to train anew")
        raise FinetuneError(f"{out}: already holds a run; pass --resume to continue it, "
                            f"or choose a new --out")
    from transformers.training_args import OptimizerNames

    try:  # every value, the empty one too (it was a traceback, after --out was made)
        OptimizerNames(recipe.optim)
    except ValueError:
        from beliefbench.analysis.text import did_you_mean

        # the closest name: `adamw_torc` had the examples alone (0.8: `adamw` is no `grokadamw`)
        near = did_you_mean(recipe.optim, [o.value for o in OptimizerNames], cutoff=0.8)
        raise FinetuneError(
            f"{_recipe_field(recipe_path, 'optim')}: {recipe.optim!r} is not a "
            f"transformers optimizer name{near} (e.g. "
            f"adamw_torch_fused, adamw_torch, adafactor, sgd)") from None
    _check_optimizer_package(recipe, recipe_path)
    _check_flash_attn(recipe, recipe_path)
    _check_flex_attention(recipe, recipe_path)
    # set-up refusals that need no data come before it is read and tokenized (minutes for a
    # large file): precision bf16 without a bf16 GPU, and an unreadable run file on --resume
    bf16 = use_bf16(recipe, recipe_path)
    earlier = earlier_inputs(out) if resume else None

    # the first bar (encode <data>) came 9-20 s after the command on a shared CPU, with not a
    # line before it: each stage of the set-up says what it loads
    say = progress.status if first_rank() else (lambda text: None)
    say(f"finetune: reading the tokenizer of {base} ...")
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False,
                                                  local_files_only=True)
    except Exception as e:  # noqa: BLE001 - OSError, or ValueError for no tokenizer files
        if not any((Path(base) / name).is_file() for name in TOKENIZER_FILES):
            raise FinetuneError(f"--base {base}: no tokenizer in it (none of "
                                f"{', '.join(TOKENIZER_FILES)}); copy the base model's "
                                f"tokenizer files into the folder") from None
        raise FinetuneError(f"--base {base}: cannot load a tokenizer from it "
                            f"({' '.join(str(e).split())[:300]})") from None
    if tokenizer.eos_token is None:
        raise _no_eos(base)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    pad_id = tokenizer.pad_token_id
    kl_examples = None
    if kl_data is not None:
        # read before anything is written: an empty or malformed kl.data failed inside the
        # Trainer, after --out was made, naming the file but not which input of the run it is
        try:
            kl_examples = fdata.load_examples(
                kl_data, tokenizer, recipe.max_seq_len,
                remedy="kl.data is cut at max_seq_len under any batching (its ends are not "
                       "in the KL term): raise max_seq_len, or split the records")
        except RecordError as e:
            raise FinetuneError(f"{_recipe_field(recipe_path, 'kl.data')}: {e}") from None
    # packing splits a long record across blocks; padded batches cut it
    # one read gives the examples, the file's hash, the encoded examples' hash and the
    # records' conditions and claims (a second read, of 8,000 records, took a second and
    # kept every record in memory through training)
    read = fdata.DataRead()
    say(f"finetune: reading {data} ...")
    examples = fdata.load_examples(
        data, tokenizer, None if recipe.batching == "pack" else recipe.max_seq_len, read=read,
        refuse_bundles=True, none_hint=fdata.NO_RECORDS_HINT)
    dataset, per_device = make_dataset(examples, recipe)
    # the KL data's sequences (cut at max_seq_len) go through the model too: longer than its
    # positions, the KL term was computed on positions it never saw, exit 0
    _check_positions(_ListDataset([*dataset.items, *(kl_examples or [])]), base, recipe,
                     recipe_path)
    world = world_size()
    steps_total = total_steps(len(dataset), per_device, recipe, world)
    schedule = checkpoint_steps(steps_total, recipe.checkpoints)

    data_sha = read.file_sha256
    fields = entry_fields(recipe=recipe, data=data, data_sha256=data_sha, base_model=base,
                          conditions=read.conditions, claims=read.claims,
                          recipe_path=recipe_path, condition=condition, claim=claim)
    # what the recipe does not pin down: the KL data's content (the recipe names only its
    # path), the processes, which multiply the batch and divide the steps of an epoch, and
    # the model in the --base folder (the path names it only by where it is), the
    # precision trained in (precision: auto says only "decided by the device"), and the
    # encoded examples (the encoding rules may change with beliefbench, the data file not)
    fields["extra"] = {"world_size": world, "base_fingerprint": base_fingerprint(base),
                       "precision": "bf16" if bf16 else "fp32",
                       "encoded_sha256": read.encoded_sha256,
                       **({"kl_data_sha256": sha256_file(kl_data)} if kl_data else {})}
    if earlier is not None:
        for key in unknown_inputs(earlier, fields["extra"]):
            log.warning("%s: the run was started before runs recorded their %s: --resume "
                        "cannot check it (not refused)", out, RUN_EXTRAS[key])
            # unknown for the run, as it was
            if key in ("base_fingerprint", "precision", "encoded_sha256"):
                del fields["extra"][key]
        changed = resume_changes(earlier, data=data, data_sha256=data_sha,
                                 recipe=recipe.model_dump(mode="json"), base=base,
                                 condition=fields["condition"], claim=fields["claim"],
                                 check_labels=True, extra=fields["extra"])
        if changed:  # a finished run too: scripts pass --resume on every attempt
            run = "finished" if finished_run(out) else "interrupted"
            raise FinetuneError(f"{out}: --resume needs the same data, recipe and base (and "
                                f"--condition / --claim) as the {run} run; changed: "
                                f"{'; '.join(changed)}. Use the run's inputs, or a new --out "
                                f"to train anew")
    schedule_cb = CheckpointSchedule(steps=schedule, out=out, recipe=recipe, base=base,
                                     dtype=export_dtype(recipe, bf16), manifest_fields=fields)
    if resume and first_rank() and (moved := rehome_manifest(out)):
        log.info("finetune: %s was moved since checkpoints %s were written; their manifest "
                 "lines now name their folders in it", out, moved)
    if resume and trainer_dir.is_dir() and first_rank():
        schedule_cb.recover(trainer_dir)  # one process writes, as on_save does
    if resume and first_rank():
        _warn_lost_checkpoints(out)
    if last is not None and _state_step(last) >= steps_total:
        # a finished run (scripts pass --resume on every attempt): the Trainer, handed its
        # last state, trained one step past max_steps on every such call (a state
        # checkpoint-7 of 6, then 8, each pruning the final step's own state)
        log.info("finetune: already finished (trainer state %s is at step %d of %d): nothing "
                 "to train", last, _state_step(last), steps_total)
        return out

    torch.manual_seed(recipe.seed)
    say(f"finetune: loading the model from {base} ...")
    model = build_model(recipe, base, bf16, recipe_path)
    compiled = compile_mode(recipe, cuda=torch.cuda.is_available())
    _warn_cpu_compile(recipe, compiled, cuda=torch.cuda.is_available(),
                      recipe_path=recipe_path)
    if compiled == "layers" and not compile_regions(model):
        raise FinetuneError(f"recipe torch_compile: {recipe.torch_compile}: {base} has no "
                            f"decoder layers to compile one by one (use true)")
    # sequences per micro-batch (a bucketed item is itself a batch) x the longest sequence
    tokens_per_batch = recipe.batch_size * (recipe.max_seq_len if recipe.batching == "pack"
                                            else max(len(x["input_ids"]) for x in examples))
    checkpointing = use_checkpointing(recipe, model, tokens=tokens_per_batch, bf16=bf16)
    pin_launcher_precision(bf16)
    args = TrainingArguments(
        output_dir=str(trainer_dir), max_steps=steps_total,
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=recipe.gradient_accumulation_steps,
        learning_rate=recipe.learning_rate, lr_scheduler_type=recipe.lr_scheduler,
        warmup_steps=math.ceil(recipe.warmup_ratio * steps_total),
        weight_decay=recipe.weight_decay, max_grad_norm=recipe.max_grad_norm,
        logging_steps=recipe.logging_steps, save_strategy="steps", save_steps=10**9,
        save_total_limit=recipe.keep_trainer_states, seed=recipe.seed, data_seed=recipe.seed,
        bf16=bf16, use_cpu=not torch.cuda.is_available(), report_to="none",
        remove_unused_columns=False, include_num_input_tokens_seen="non_padding",
        **_checkpointing_args(checkpointing), optim=recipe.optim,
        torch_compile=compiled == "model",
        use_liger_kernel=recipe.use_liger,
        ddp_find_unused_parameters=False, dataloader_num_workers=0,
        logging_nan_inf_filter=False, disable_tqdm=progress.is_quiet())
    _check_optimizer(args, model, recipe, recipe_path)
    out.mkdir(parents=True, exist_ok=True)  # set-up done: a refused run writes nothing
    _warn_idle_warmup(args, steps_total, recipe, recipe_path, schedule)
    attn = attention_for(recipe, bf16) or ""
    log.info("finetune: attention %s (recipe: %s), torch.compile %s (recipe: %s)",
             attn or "transformers' default", recipe.attn_implementation,
             {"layers": "per decoder layer", "model": "whole model"}.get(compiled, "off"),
             recipe.torch_compile)
    stopper = StopOnInterrupt()
    kwargs = dict(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                  data_collator=functools.partial(
                      fdata.collate, pad_id=pad_id, flatten=attn.startswith("flash"),
                      varlen=attn == attention.NAME),
                  callbacks=[PortableTokenizer(), schedule_cb, StopOnDivergence(), *callbacks,
                             stopper])
    cls = _trainer_cls(recipe)
    if recipe.kl is not None:
        kwargs.update(kl=recipe.kl.model_copy(update={"data": str(kl_data)}),
                      kl_cache=out / KL_CACHE, base=base,
                      max_seq_len=recipe.max_seq_len, kl_examples=kl_examples)
    trainer = cls(**kwargs)
    if progress.is_quiet():  # the caller prints its own lines: no loss dicts either
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    elif trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(StepBar())
    log.info("finetune: %d items, %d steps, checkpoints at %s", len(dataset), steps_total,
             schedule)
    if last is not None:
        log.info("finetune: resuming from step %d of %d (trainer state %s)",
                 _state_step(last), steps_total, last)
    with stopper.installed():
        try:
            trainer.train(resume_from_checkpoint=str(last) if last is not None else None)
        except Exception as e:
            # the Trainer's progress bar ends only with training: left open, every later bar
            # of the process (a notebook's next run) printed one line lower
            for callback in trainer.callback_handler.callbacks:
                if getattr(callback, "training_bar", None) is not None:
                    callback.training_bar.close()
                    callback.training_bar = None
            if not disk_full(e):
                raise
            raise FinetuneError(  # the folder: a file named may be a temporary, now gone
                f"{out}: no space left on device while saving step "
                f"{trainer.state.global_step}; the checkpoints in {out / MANIFEST} are whole. "
                f"Free space and run the same command with --resume to continue") from None
    if stopper.requested and stopper.stopped_at is None:  # said "saving ... after this step"
        log.warning("finetune: the interrupt came in the last step, so training finished: "
                    "every checkpoint and the manifest are written in %s (nothing to resume)",
                    out)
    if stopper.stopped_at is not None:
        step = stopper.stopped_at
        raise Interrupted(f"interrupted{interrupts.by(stopper.signum)} at step {step} of "
                          f"{steps_total}: training state saved in "
                          f"{trainer_dir / f'checkpoint-{step}'}; run the same command with "
                          f"--resume to continue from step {step}", step, stopper.signum)
    return out


LEAVE_TIMEOUT_S = 300.0
"""How long rank 0 waits at the end of a run for the other ranks to leave the process group."""


def leave_process_group() -> None:
    """End a multi-process launch's process group with every rank at this point: a rank that
    left first (its part done while rank 0 still wrote the last checkpoint) tore down its
    gloo connections at exit and aborted ("terminate called without an active exception",
    exit -6), so a finished run could end as a failed launch. No-op in a single process.

    Called once the run's trainer is gone (its cycles collected here), so that what held
    the group (the data-parallel wrapper) is freed while every rank is still connected;
    then rank 0 leaves last. It returned from the barrier as soon as the others' messages
    reached it and exited, closing its connections (and, under mpirun's variables, the
    rendezvous store it hosts) while another rank still tore its group down: that rank hung
    for good after a finished run. Each other rank now says in the store when its group is
    destroyed, and rank 0 waits for all of them (at most :data:`LEAVE_TIMEOUT_S`)."""
    import gc

    import torch.distributed as dist
    from torch.distributed.distributed_c10d import _get_default_store

    if not (dist.is_available() and dist.is_initialized()):
        return
    gc.collect()
    dist.barrier()
    world, rank = dist.get_world_size(), dist.get_rank()
    store = _get_default_store() if world > 1 else None
    dist.destroy_process_group()
    if store is None:
        return
    key = "beliefbench/left_process_group"
    if rank != 0:
        store.add(key, 1)
        return
    deadline = time.monotonic() + LEAVE_TIMEOUT_S
    while (left := store.add(key, 0)) < world - 1:
        if time.monotonic() > deadline:
            log.warning("finetune: %d of %d other processes did not say they had left the "
                        "process group in %g s; leaving without them", world - 1 - left,
                        world - 1, LEAVE_TIMEOUT_S)
            return
        time.sleep(0.01)


def learning_rates(args, steps_total: int) -> Iterator[float]:
    """The learning rate of optimizer step 1, 2, ... ``steps_total``, from the scheduler the
    Trainer builds from ``args`` (its type and kwargs, ``args.get_warmup_steps``), lazily."""
    from transformers import get_scheduler

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=args.learning_rate)
    scheduler = get_scheduler(args.lr_scheduler_type, optimizer,
                              num_warmup_steps=args.get_warmup_steps(steps_total),
                              num_training_steps=steps_total,
                              scheduler_specific_kwargs=args.lr_scheduler_kwargs or {})
    for _ in range(steps_total):
        yield scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()


def _warn_idle_warmup(args, steps_total: int, recipe: Recipe,
                      recipe_path: str | Path | None, schedule: Sequence[int] = ()) -> None:
    """Warn where warmup leaves no step (or only the last one) at a learning rate above 0:
    such a run exports the base model unchanged (or all but) without a word; and name the
    checkpoints of ``schedule`` taken before the first step that moves the weights (warmup's
    first step is at learning rate 0, so a step-1 checkpoint is the base model's weights: a
    trajectory's first point that only looks like "no change yet")."""
    moving = None
    for step, lr in enumerate(learning_rates(args, steps_total), start=1):
        if lr > 0:
            if step < steps_total:
                still = [s for s in schedule if s < step]
                if still:
                    # what to do, said here: `--recipe cpu` warned on every run and a
                    # newcomer could not tell whether to act (a shipped recipe is edited
                    # in a copy)
                    copy = (f" (cp {recipe_path} my-recipe.yaml, set warmup_ratio: 0 there, "
                            "--recipe my-recipe.yaml)" if recipe_path else "")
                    log.warning("%s: checkpoint%s at step %s hold%s the base model's weights: "
                                "warmup starts at learning rate 0 and step %d is the first "
                                "to train. Read %s as a second baseline, not as training; "
                                "for a first checkpoint that trains, run with warmup_ratio "
                                "0%s",
                                _recipe_field(recipe_path, "warmup_ratio"),
                                "s" if len(still) > 1 else "",
                                ", ".join(map(str, still)), "" if len(still) > 1 else "s",
                                step, "them" if len(still) > 1 else "it", copy)
                return  # a step before the last trains
            moving = step
    if moving is not None and steps_total == 1:
        return  # the run's one step trains
    warmup = args.get_warmup_steps(steps_total)
    trains = ("no step trains (every step at learning rate 0): the checkpoints are the base "
              "model unchanged" if moving is None else
              f"only the last step (step {steps_total}) trains at a learning rate above 0")
    log.warning("%s: %d step%s, %d of them warmup (warmup_ratio %s of %d, rounded up; warmup "
                "starts at learning rate 0): %s. Give the run more steps (more data, or "
                "higher epochs or max_steps) or lower warmup_ratio (0: no warmup)",
                _recipe_field(recipe_path, "warmup_ratio"), steps_total,
                "" if steps_total == 1 else "s", warmup, recipe.warmup_ratio, steps_total,
                trains)


RUN_EXTRAS = {"kl_data_sha256": "kl.data content (sha256)",
              "world_size": "processes (WORLD_SIZE)",
              "base_fingerprint": "base model files (fingerprint)",
              "precision": "training precision",
              "encoded_sha256": "encoded training data (token ids and loss masks, sha256)"}
"""Inputs kept in the manifest's ``extra`` that ``--resume`` checks too (with their names in
its message); a run recorded before one of them existed is not checked for it
(:func:`unknown_inputs`). ``base_fingerprint``: :func:`.fingerprint.base_fingerprint` of the
``--base`` folder, so another model put in the same folder is refused. ``precision``: what
the recipe's ``precision`` resolved to (``auto``: bf16 on a GPU, fp32 on CPU), so a run
started on a GPU and resumed on a CPU (or the reverse) is refused, not trained half in each.
``encoded_sha256``: :attr:`.data.DataRead.encoded_sha256` of the examples, so data encoded by other
rules (a beliefbench upgrade between the start and the resume) is refused, not trained on
for the second half."""


def run_inputs(fields: dict) -> dict:
    """What a run was started with, from its manifest fields (:func:`entry_fields`): what
    ``--resume`` must find unchanged."""
    extra = fields.get("extra") or {}
    return {**{key: fields.get(key) for key in
               ("data", "data_sha256", "recipe", "base_model", "condition", "claim")},
            **{key: extra[key] for key in RUN_EXTRAS if key in extra}}


def _no_eos(base: str) -> FinetuneError:
    """The refusal of a tokenizer without an eos token, usually ``tokenizer.json`` copied
    without its ``tokenizer_config.json``: documents then trained with no end-of-text token,
    exit 0, and one without a pad token as well failed at the first batch (nothing to pad
    with), after ``--out`` was made."""
    config = Path(base) / "tokenizer_config.json"
    why = (f"its {config.name} names no eos_token" if config.is_file()
           else f"it has no {config.name}")
    return FinetuneError(f"--base {base}: the tokenizer has no eos token ({why}); every "
                         f"document is trained ending with it, and batches are padded with "
                         f"it where there is no pad token. Copy the base model's "
                         f"{config.name} into the folder")


def _warn_nothing_to_resume(out: Path) -> None:
    """--resume with no saved trainer state in ``out`` starts a new run from step 0: allowed
    (scripts pass --resume on every attempt), but said in one warning, so a mistyped --out
    is not a silent full retrain."""
    trainer_dir = out / TRAINER_DIR
    if not out.exists() or made_for_run(out):  # made by this run's lock (the CLI's)
        why = "no such folder"
    elif holds_run(out):
        why = f"a run was started there but {trainer_dir} holds no saved trainer state"
    elif out.is_dir() and all(p.name in LOCK_NAMES for p in out.iterdir()):  # ours: empty
        why = "the folder is empty"
    else:
        why = "no run started there"
    log.warning("%s: --resume: nothing to resume (%s); starting a new run from step 0", out,
                why)


def earlier_inputs(out: Path) -> dict | None:
    """The inputs of the run in ``out``: its run file, else (a run from before run files)
    its first manifest line; None for no run yet."""
    run_file = out / RUN_FILE
    if run_file.is_file():
        try:
            inputs = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise FinetuneError(f"{run_file}: unreadable ({e}); it records what the run was "
                                f"started with, which --resume checks") from None
        if isinstance(inputs, dict):
            return inputs
        raise FinetuneError(f"{run_file}: not a JSON object; it records what the run was "
                            f"started with, which --resume checks")
    earlier = read_manifest(out)
    if not earlier:
        return None
    # a hand-edited relative base, read as every reader reads it: the same folder as --base
    return {**run_inputs(earlier[0].model_dump()), "base_model": base_model_of(earlier[0], out)}


def _check_positions(dataset, base: str, recipe: Recipe,
                     recipe_path: str | Path | None) -> None:
    """Refuse sequences longer than the base model has positions for (a huge max_seq_len):
    past them a RoPE model trains on positions it never saw, and others fail mid-run."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(base, trust_remote_code=False,
                                            local_files_only=True)
    except (OSError, ValueError, KeyError) as e:
        raise FinetuneError(f"--base {base}: cannot read its config.json "
                            f"({first_line(str(e))})") from None
    _check_vocabulary(dataset, base, config)
    limit = getattr(config, "max_position_embeddings", None)
    if not isinstance(limit, int):
        return
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None)
    if isinstance(rope, dict) and rope.get("rope_type", rope.get("type")) not in (None,
                                                                                 "default"):
        limit = int(limit * float(rope.get("factor") or 1.0))  # context extended by scaling
    longest = max((len(x["input_ids"]) for item in dataset.items
                   for x in (item if isinstance(item, list) else [item])), default=0)
    if longest > limit:
        raise FinetuneError(
            f"{_recipe_field(recipe_path, 'max_seq_len')}: {recipe.max_seq_len} lets through "
            f"sequences of {longest} tokens, more than the {limit} positions of the base model "
            f"{base} (max_position_embeddings); set max_seq_len to at most {limit}")


def _check_vocabulary(dataset, base: str, config) -> None:
    """Refuse data whose token ids the base model has no embedding for: a tokenizer in the
    ``--base`` folder that is not its model's (another model's tokenizer files copied in)
    failed at the first step as ``IndexError: index out of range in self``, after ``--out``
    was made."""
    rows = getattr(config, "vocab_size", None)
    if not isinstance(rows, int):
        return
    top = max((max(x["input_ids"], default=-1) for item in dataset.items
               for x in (item if isinstance(item, list) else [item])), default=-1)
    if top >= rows:
        raise FinetuneError(
            f"--base {base}: its tokenizer encodes the data to token id {top}, but the model "
            f"has {rows} embedding rows (config.json vocab_size): the tokenizer is not the "
            f"model's; copy the tokenizer files of the model the weights came from")


def resume_changes(earlier: ManifestEntry | dict, *, data: Path, data_sha256: str,
                   recipe: dict, base: str, condition=None, claim=None,
                   check_labels: bool = False, extra: dict | None = None) -> list[str]:
    """What differs between a run's inputs (its run file, or first manifest line) and a
    --resume call, one item per field, so the user sees which input to put back.

    ``check_labels``: also compare the manifest's condition and claim (a resumed run must
    not label its later checkpoints differently from its earlier ones). ``extra``: the
    :data:`RUN_EXTRAS` of the call, compared where the run recorded them."""
    if isinstance(earlier, ManifestEntry):
        earlier = run_inputs(earlier.model_dump())
    changed = []
    if earlier.get("data_sha256") != data_sha256:
        old_sha = str(earlier.get("data_sha256"))[:12]
        changed.append(f"data {earlier.get('data')} (sha256 {old_sha}…) -> {data} "
                       f"(sha256 {data_sha256[:12]}…)")
    # the openai block is the hosted backend's alone: a local run never reads it (a recipe's
    # openai.n_epochs changed since refused a local --resume)
    changed += [f"recipe {field} {old!r} -> {new!r}"
                for field, old, new in _dict_changes(
                    {k: v for k, v in (earlier.get("recipe") or {}).items() if k != "openai"},
                    {k: v for k, v in recipe.items() if k != "openai"})]
    if earlier.get("base_model") != base:
        changed.append(f"base {earlier.get('base_model')} -> {base}")
    if check_labels:
        for key, new in (("condition", condition), ("claim", claim)):
            if earlier.get(key) != new:
                changed.append(f"--{key} {earlier.get(key)!r} -> {new!r}")
    for key, name in RUN_EXTRAS.items():
        old, new = earlier.get(key), (extra or {}).get(key)
        if key not in earlier or old == new:
            continue
        if key == "kl_data_sha256":
            if None in (old, new):  # a KL term added or dropped: the recipe's kl change says so
                continue
            changed.append(f"{name} {old[:12]}… -> {new[:12]}…")
        elif key == "encoded_sha256":
            if not changed:  # other data, recipe or base encode differently anyway
                changed.append(f"{name} {str(old)[:12]}… -> {str(new)[:12]}… (the same data, "
                               f"recipe and base encode to other token ids or loss masks "
                               f"now: beliefbench's encoding rules changed since the run "
                               f"started; finish it with the version that started it, or "
                               f"train anew in a fresh --out)")
        elif key == "base_fingerprint":
            changed.append(f"{name} {str(old)[:12]}… -> {str(new)[:12]}… (the model in "
                           f"{base} is not the one the run started from: its config, "
                           f"tokenizer or weights differ)")
        else:
            changed.append(f"{name} {old} -> {new}")
    return changed


def unknown_inputs(earlier: dict, extra: dict) -> list[str]:
    """The :data:`RUN_EXTRAS` a --resume call has but the run did not record (a run started
    before they were): --resume cannot check them, and says so rather than refusing."""
    return [key for key in RUN_EXTRAS if key in extra and key not in earlier]


def _dict_changes(old: dict, new: dict, prefix: str = "") -> list[tuple[str, object, object]]:
    """(dotted field, old value, new value) for every leaf that differs."""
    out = []
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _dict_changes(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append((f"{prefix}{key}", a, b))
    return out


def _state_step(ckpt: Path) -> int:
    """The step a Trainer state ``checkpoint-N`` was saved at."""
    return int(ckpt.name.rsplit("-", 1)[1])


def _states(trainer_dir: Path) -> list[Path]:
    """The Trainer's ``checkpoint-N`` folders under ``trainer_dir``, oldest step first."""
    if not trainer_dir.is_dir():
        return []
    found = [p for p in trainer_dir.iterdir()
             if p.is_dir() and re.fullmatch(r"checkpoint-\d+", p.name)]
    return sorted(found, key=_state_step)


def last_state(trainer_dir: Path) -> Path | None:
    """The newest complete Trainer state to resume from.

    The Trainer writes ``trainer_state.json`` last and not atomically, so a state killed
    while saving lacks a readable one: it is skipped (with a warning) for the one before,
    rather than failing the resume.
    """
    for ckpt in reversed(_states(trainer_dir)):
        if _complete_state(ckpt) is None:
            log.warning("%s: incomplete Trainer state (cut off while saving); resuming from an "
                        "earlier one", ckpt)
            continue
        if missing := _missing_resume_files(ckpt):
            log.warning("%s: incomplete Trainer state (no %s: deleted, or left out of a copy); "
                        "resuming from an earlier one", ckpt, " or ".join(missing))
            continue
        return ckpt
    return None


RESUME_FILES = ("optimizer.pt", "scheduler.pt")
"""What a plain (single-process or DDP) Trainer state needs to resume exactly: without them
the Trainer resumes anyway, silently, with a fresh optimizer and the learning-rate schedule
restarted at step 0 (warmup again), so the run ends with other weights."""
STATE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json",
                 "adapter_model.safetensors", "pytorch_model.bin", "pytorch_model.bin.index.json",
                 "adapter_model.bin")
"""A Trainer state's weights, one of them (without any, the Trainer fails: "Can't find a
valid checkpoint")."""


def _missing_resume_files(ckpt: Path) -> list[str]:
    """The weights, optimizer and scheduler files a Trainer state lacks; [] where it has
    them, or where another layout (DeepSpeed's ``global_step*``, FSDP's sharded state) keeps
    them elsewhere."""
    if any(ckpt.glob("global_step*")) or any(ckpt.glob("optimizer_*")) \
            or any(ckpt.glob("*fsdp*")) or (ckpt / "optimizer.bin").exists():
        return []
    weights = [] if any((ckpt / name).is_file() for name in STATE_WEIGHTS) \
        else ["weights (model.safetensors or adapter_model.safetensors)"]
    return weights + [name for name in RESUME_FILES if not (ckpt / name).is_file()]


def _complete_state(ckpt: Path) -> dict | None:
    """A Trainer state's ``trainer_state.json``, or None where it is missing or torn (the
    Trainer writes it last, in place: a run killed while saving leaves it so)."""
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None
