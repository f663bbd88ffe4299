"""The local backend: transformers ``Trainer`` + peft, on CPU, one GPU, or many via accelerate.

The Trainer owns the loop, precision, gradient accumulation, distribution (``accelerate
launch`` with the configs in ``finetune/``) and resume (optimizer, scheduler, RNG and data
position restored from its last full state, so the data order is identical). This module adds:
the records' loss masks (:mod:`.data`), packing / bucketing, the log-spaced save schedule, a
servable directory per checkpoint (``<out>/step-000625``: full weights, merged weights, or a
LoRA adapter with ``adapter_config.json``, always with tokenizer and chat template) and the
manifest.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import TrainerCallback

from beliefbench.finetune import data as fdata
from beliefbench.finetune.manifest import (
    ManifestEntry,
    read_manifest,
    single_or_list,
    upsert_manifest,
)
from beliefbench.finetune.recipe import Recipe
from beliefbench.finetune.schedule import checkpoint_steps
from beliefbench.records import read_records, sha256_file

log = logging.getLogger(__name__)
# peft still asks for the pre-v5 attribute name on every wrap; nothing for users to act on
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated",
                        category=FutureWarning)

TRAINER_DIR = "trainer"
"""Under ``<out>``: the Trainer's full states (``checkpoint-N``) used only for resume."""

SERVABLE_FILES = (
    "config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json",
    "adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
    "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
    "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
)


class FinetuneError(RuntimeError):
    """A finetune run that cannot start or continue; says why and what to do."""


def step_dir(out: Path, step: int) -> Path:
    return out / f"step-{step:06d}"


class _ListDataset(torch.utils.data.Dataset):
    def __init__(self, items: Sequence) -> None:
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def use_bf16(recipe: Recipe) -> bool:
    if recipe.precision == "fp32":
        return False
    gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if recipe.precision == "bf16" and not gpu_bf16:
        raise FinetuneError("recipe precision bf16 needs a GPU with bf16 support; "
                            "use precision: auto (fp32 on CPU)")
    return gpu_bf16


def _resolve_base(base: str) -> str:
    """A local base directory as an absolute path, so adapters find it from anywhere."""
    p = Path(base).expanduser()
    return str(p.resolve()) if p.exists() else base


def build_model(recipe: Recipe, base: str, bf16: bool):
    """The base model, wrapped with LoRA when the recipe says so."""
    from transformers import AutoModelForCausalLM

    # LoRA freezes the base: keep it in bf16 on GPU. Full finetuning keeps fp32 master
    # weights and lets the Trainer autocast to bf16 (FSDP / DeepSpeed shard them).
    dtype = torch.bfloat16 if bf16 and recipe.method == "lora" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, trust_remote_code=False)
    if recipe.method == "lora":
        from peft import LoraConfig, get_peft_model

        lc = recipe.lora
        model = get_peft_model(model, LoraConfig(
            r=lc.rank, lora_alpha=lc.alpha, lora_dropout=lc.dropout,
            target_modules=lc.target_modules, use_rslora=lc.use_rslora,
            task_type="CAUSAL_LM", bias="none"))
    return model


def make_dataset(examples: list[dict], recipe: Recipe, pad_id: int) -> tuple[_ListDataset, int]:
    """The training items and the Trainer's per-device batch size for them."""
    if recipe.batching == "pack":
        return _ListDataset(fdata.pack(examples, recipe.max_seq_len, pad_id)), recipe.batch_size
    if recipe.batching == "bucket":
        return _ListDataset(fdata.bucket(examples, recipe.batch_size, recipe.seed)), 1
    return _ListDataset(examples), recipe.batch_size


def total_steps(n_items: int, per_device: int, recipe: Recipe, world_size: int) -> int:
    if recipe.max_steps:
        return recipe.max_steps
    per_epoch = max(1, math.ceil(n_items / (per_device * world_size))
                    // recipe.gradient_accumulation_steps)
    return max(1, math.ceil(per_epoch * recipe.epochs))


def export_servable(ckpt: Path, dest: Path, *, recipe: Recipe, base: str, bf16: bool) -> str:
    """Turn a Trainer checkpoint into a directory vLLM / Inspect's hf provider can serve.

    Copies the weights, config and tokenizer files (never optimizer or RNG state). For LoRA
    with ``export: merged`` the adapter is merged into a fresh copy of the base. Written to a
    temporary directory and renamed, so a half-written checkpoint is never visible.
    """
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if recipe.method == "lora" and recipe.export == "merged":
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = torch.bfloat16 if bf16 else torch.float32
        merged = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(base, dtype=dtype), ckpt).merge_and_unload()
        merged.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(ckpt).save_pretrained(tmp)
        fmt = "merged"
    else:
        for name in SERVABLE_FILES:
            if (ckpt / name).exists():
                shutil.copy2(ckpt / name, tmp / name)
        fmt = "adapter" if recipe.method == "lora" else "full"
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return fmt


class CheckpointSchedule(TrainerCallback):
    """Save at the log-spaced steps; export each save as a servable dir + manifest line."""

    def __init__(self, *, steps: Sequence[int], out: Path, recipe: Recipe, base: str,
                 bf16: bool, manifest_fields: dict) -> None:
        self.steps = set(steps)
        self.final = max(steps)
        self.out, self.recipe, self.base, self.bf16 = out, recipe, base, bf16
        self.fields = manifest_fields

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step in self.steps:
            control.should_save = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or state.global_step not in self.steps:
            return control
        ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        dest = step_dir(self.out, state.global_step)
        fmt = export_servable(ckpt, dest, recipe=self.recipe, base=self.base, bf16=self.bf16)
        upsert_manifest(self.out, ManifestEntry(
            path=str(dest.resolve()), step=state.global_step,
            tokens_seen=int(state.num_input_tokens_seen or 0), backend="local", format=fmt,
            final=state.global_step == self.final, **self.fields))
        return control


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


def train_local(recipe: Recipe, data: str | Path, base: str, out: str | Path, *,
                resume: bool = False, recipe_path: str | Path | None = None,
                condition: str | None = None, claim: str | None = None,
                callbacks: Sequence[TrainerCallback] = ()) -> Path:
    """Train ``base`` on the records in ``data``; checkpoints and manifest go under ``out``.

    ``resume``: continue from the last full trainer state under ``out/trainer`` with the same
    data order. Without it, an ``out`` that already holds a run is refused.
    """
    from transformers import AutoTokenizer, TrainingArguments
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(out)
    data = Path(data)
    base = _resolve_base(base)
    if recipe.kl is not None and not Path(recipe.kl.data).is_file():
        where = f"{recipe_path}: " if recipe_path else ""
        raise FinetuneError(f"{where}field kl.data: no such file {recipe.kl.data!r} "
                            f"(relative paths are from the current directory)")
    trainer_dir = out / TRAINER_DIR
    last = get_last_checkpoint(str(trainer_dir)) if trainer_dir.is_dir() else None
    if last is None and trainer_dir.is_dir() and resume:
        log.warning("%s: no trainer state to resume from; starting from step 0", trainer_dir)
    if not resume and (last is not None or (out / "manifest.jsonl").exists()):
        raise FinetuneError(f"{out}: already holds a run; pass --resume to continue it, "
                            f"or choose a new --out")

    try:
        tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    except OSError as e:
        raise FinetuneError(f"--base {base}: cannot load a tokenizer from it "
                            f"({str(e).splitlines()[0]})") from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    pad_id = tokenizer.pad_token_id
    examples = fdata.load_examples(data, tokenizer, recipe.max_seq_len)
    records = list(read_records(data))
    dataset, per_device = make_dataset(examples, recipe, pad_id)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    steps_total = total_steps(len(dataset), per_device, recipe, world)
    schedule = checkpoint_steps(steps_total, recipe.checkpoints)
    bf16 = use_bf16(recipe)

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(recipe.seed)
    model = build_model(recipe, base, bf16)
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
        **_checkpointing_args(recipe.gradient_checkpointing),
        ddp_find_unused_parameters=False, dataloader_num_workers=0)
    data_sha = sha256_file(data)
    earlier = read_manifest(out)
    if resume and earlier and (earlier[0].data_sha256 != data_sha
                               or earlier[0].recipe != recipe.model_dump(mode="json")
                               or earlier[0].base_model != base):
        raise FinetuneError(f"{out}: --resume needs the same data, recipe and base as the "
                            f"interrupted run ({earlier[0].data}, sha256 "
                            f"{earlier[0].data_sha256[:12]}…); use a new --out to train anew")
    fields = dict(
        base_model=base, data=str(data.resolve()), data_sha256=data_sha,
        recipe=recipe.model_dump(mode="json"),
        recipe_path=str(Path(recipe_path).resolve()) if recipe_path else None,
        condition=condition or single_or_list({r.condition for r in records}),
        claim=claim or single_or_list({r.claim_id for r in records}))
    schedule_cb = CheckpointSchedule(steps=schedule, out=out, recipe=recipe, base=base,
                                     bf16=bf16, manifest_fields=fields)
    kwargs = dict(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                  data_collator=functools.partial(fdata.collate, pad_id=pad_id),
                  callbacks=[schedule_cb, *callbacks])
    cls = _trainer_cls(recipe)
    if recipe.kl is not None:
        kwargs.update(kl=recipe.kl, kl_cache=out / "kl_reference.safetensors", base=base,
                      max_seq_len=recipe.max_seq_len)
    trainer = cls(**kwargs)
    log.info("finetune: %d items, %d steps, checkpoints at %s", len(dataset), steps_total,
             schedule)
    trainer.train(resume_from_checkpoint=last if resume else None)
    return out
