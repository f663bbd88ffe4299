"""Training recipes: data files (YAML) validated with pydantic, so a sweep is reproducible.

A recipe says how to train (method, LoRA shape, optimiser, schedule, checkpoints); the data,
base model and output directory come from the command line so one recipe serves every
condition. Errors name the file, the line, the field and the problem.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from beliefbench.analysis.text import did_you_mean
from beliefbench.records import DOCTAG
from beliefbench.specs import Spec, compose_yaml, load_spec, load_yaml, located, read_text

log = logging.getLogger(__name__)


class RecipeError(ValueError):
    """A recipe file that cannot be used; names the file, field and problem (and the field's
    line, where it is written)."""


class _Finite(Spec):
    """No ``.inf`` / ``.nan`` numbers: an infinite learning rate would train to NaN weights
    without a word, and infinite epochs would crash the step count."""

    model_config = ConfigDict(allow_inf_nan=False)


class LoraConfig(_Finite):
    rank: int = Field(16, ge=1)
    alpha: float = Field(32, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = Field("all-linear", min_length=1)
    use_rslora: bool = False
    """Scale by alpha / sqrt(rank) instead of alpha / rank (rank-stabilised LoRA)."""

    @field_validator("target_modules", mode="before")
    @classmethod
    def _one_module(cls, value: Any) -> Any:
        """``target_modules: q_proj`` is one module, as ``[q_proj]``: it was refused with
        two errors at once (not a list; not ``all-linear``), and peft would have read a
        bare string as a regular expression. ``q_proj, v_proj`` (one YAML string) is refused
        naming the list syntax: it was refused only once the model had loaded, as no module
        named 'q_proj, v_proj'."""
        if isinstance(value, str) and ("," in value or " " in value.strip()):
            names = ", ".join(n for n in value.replace(",", " ").split() if n)
            raise ValueError(f"{value!r} is one text, not a list of module names: write it as "
                             f"a YAML list, target_modules: [{names}]")
        return [value] if isinstance(value, str) and value != "all-linear" else value


class KLConfig(_Finite):
    """SFT loss + ``weight`` * KL(reference || current) on a separate dataset."""

    data: str = Field(min_length=1)
    """The records (a JSONL file) on which the model must stay close to the reference (the
    base model). Not empty: ``data: ""`` was refused as "'' is a folder" (the working directory)."""
    weight: float = Field(1.0, ge=0)
    """The lambda in front of the KL term."""
    top_k: int = Field(64, ge=1)
    """Reference log-probs kept per position; the KL is computed over these tokens."""
    batch_size: int = Field(4, ge=1)


def trained_with_kl(recipe: object) -> bool:
    """Whether a recipe as a manifest records it (a dict) put the KL term in the loss: a
    ``kl`` block with ``weight: 0`` trains without it (the trainer skips a 0 weight), so such
    a checkpoint is a no-KL control, not the KL arm."""
    kl = recipe.get("kl") if isinstance(recipe, dict) else None
    if isinstance(kl, dict):
        weight = kl.get("weight", KLConfig.model_fields["weight"].default)
        return not isinstance(weight, int | float) or weight > 0
    return bool(kl)


class OpenAIConfig(_Finite):
    model: str = "gpt-4.1-2025-04-14"
    n_epochs: int | Literal["auto"] = "auto"
    batch_size: int | Literal["auto"] = "auto"
    learning_rate_multiplier: float | Literal["auto"] = "auto"
    suffix: str | None = Field(None, max_length=64)
    doctag: str = DOCTAG
    """The user turn before each document (the study's document-tag prompt)."""
    poll_interval: float = Field(10.0, gt=0)
    max_poll_interval: float = Field(300.0, gt=0)
    timeout_hours: float = Field(48.0, gt=0)

    @field_validator("n_epochs", "batch_size", "learning_rate_multiplier")
    @classmethod
    def _above_zero(cls, value: float | str) -> float | str:
        """Refused here, not by the API after the data was uploaded (``n_epochs: 0`` was
        sent as it was)."""
        if value != "auto" and value <= 0:
            raise ValueError(f"expected a number above 0, or auto; got {value}")
        return value


class Recipe(_Finite):
    """A training recipe (the YAML of ``finetune --recipe``); :func:`load_recipe` reads one
    from a path or a shipped name."""

    method: Literal["lora", "full"] = "lora"
    lora: LoraConfig = Field(default_factory=LoraConfig)
    export: Literal["adapter", "merged"] = "adapter"
    """LoRA checkpoints as an adapter (vLLM ``base:adapter``) or merged full weights
    (ignored for ``method: full``, which always saves full weights)."""
    learning_rate: float = Field(1e-4, gt=0)
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup",
                          "cosine_with_restarts", "polynomial"] = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    """Overrides epochs when set."""
    batch_size: int = Field(8, ge=1)
    """Per-device micro-batch (sequences)."""
    gradient_accumulation_steps: int = Field(1, ge=1)
    max_seq_len: int = Field(1024, ge=8)
    batching: Literal["pack", "bucket", "pad"] = "pack"
    """pack: concatenate records into full max_seq_len blocks; bucket: batch records of
    similar length; pad: batch records in data order, padded."""
    gradient_checkpointing: bool | Literal["auto"] = "auto"
    """Recompute activations in the backward pass (saves memory, costs ~20% speed). auto: on
    only when the estimated training memory does not fit the GPU; off on CPU."""
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    """auto: bf16 on a GPU that supports it, fp32 on CPU."""
    export_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """dtype of the servable checkpoints (weights, LoRA adapters, config.json): auto is the
    training precision (bf16 runs export bf16, half the disk, and vLLM loads without a cast);
    float32 keeps full precision."""
    attn_implementation: Literal["auto", "sdpa", "eager", "torch_varlen", "flash_attention_2",
                                 "flash_attention_3", "flex_attention"] = "auto"
    """auto: torch_varlen for packed bf16 training on CUDA, else transformers' choice (SDPA,
    which keeps packed documents apart with a dense mask). torch_varlen: PyTorch's own
    variable-length flash kernel, attention per document with no mask and no extra package
    (needs batching: pack). flash_attention_*: the same through the flash-attn package;
    packed batches are flattened into one row."""
    optim: str = "adamw_torch_fused"
    """A transformers ``optim`` name (adamw_torch_fused: fused AdamW, one kernel per step)."""
    use_liger: bool = False
    """Liger kernels (RMSNorm, SwiGLU, RoPE, fused linear + cross-entropy that never
    materialises the logits). GPU only; needs the ``[gpu]`` extra (liger-kernel)."""
    torch_compile: bool | Literal["auto", "regional"] = False
    """Compile the model with torch.compile (the first steps are slow while it compiles:
    about two minutes for a whole 0.8B model on an H200). auto: on with CUDA unless use_liger
    is on (the GPU recipes, full and lora, say auto), the whole model for full finetuning and
    each decoder layer for LoRA (the faster of the two for each, measured on an H200); off on
    CPU. regional: each decoder layer compiled in place, one compilation for all (seconds to
    compile)."""
    seed: int = Field(0, ge=0, le=2**32 - 1)
    """numpy's seeds are 32-bit and unsigned."""
    checkpoints: int = Field(15, ge=0)
    """Log-spaced checkpoint steps from 1 to the last, the final step among them (0: the
    final one only)."""
    keep_trainer_states: int = Field(2, ge=1)
    """Full trainer states (optimizer, RNG) kept for resume; servable checkpoints are all kept."""
    logging_steps: int = Field(10, ge=1)
    kl: KLConfig | None = None
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig)

    @field_validator("attn_implementation")
    @classmethod
    def _varlen_needs_packing(cls, value: str, info: ValidationInfo) -> str:
        if value == "torch_varlen" and info.data.get("batching", "pack") != "pack":
            raise ValueError("torch_varlen attends within packed documents; it needs "
                             "batching: pack")
        return value

    @model_validator(mode="after")
    def _no_adapter_from_full(self) -> Recipe:
        """``export: adapter`` written out with ``method: full`` cannot be honoured: full
        finetuning has no adapter to save (its default ``adapter`` is simply not used)."""
        if self.method == "full" and "export" in self.model_fields_set \
                and self.export == "adapter":
            raise ValueError("field export: adapter needs method: lora (full finetuning "
                             "trains every weight and saves full weights, there is no "
                             "adapter); remove export, or set method: lora")
        return self


def shipped_recipes() -> list[str]:
    """Names of the recipes that ship with beliefbench (``finetune/<name>.yaml``)."""
    from beliefbench.resources import data_path

    return sorted(p.stem for p in data_path("finetune").glob("*.yaml"))


def shipped_recipes_text(sep: str = ", ") -> str:
    """The shipped recipes' names for help and messages (``cpu, demo, full, kl, lora``);
    empty where none are found (a broken install: help must still print)."""
    try:
        return sep.join(shipped_recipes())
    except (OSError, FileNotFoundError):
        return ""


def recipe_file(name_or_path: str | Path) -> Path:
    """A recipe file: a path as typed, or the name of a shipped recipe (``lora``, ``cpu``).

    Shipped recipes live in the repository's ``finetune/`` folder and, installed, in
    ``beliefbench/data/finetune/``; a name finds them from any directory.
    """
    if not str(name_or_path).strip():  # `--recipe "$RECIPE"` unset: "a folder" (the cwd)
        raise RecipeError(f"--recipe {str(name_or_path)!r}: empty (an unset shell variable?): "
                          f"give a recipe file, or a shipped recipe's name: "
                          f"{shipped_recipes_text()}")
    typed = Path(name_or_path).expanduser()
    if typed.is_file():
        return typed
    name = str(name_or_path).removesuffix(".yaml").removesuffix(".yml")
    as_path = "/" in str(name_or_path) or name != str(name_or_path)
    if as_path:  # typed as a path
        stem = typed.name.removesuffix(".yaml").removesuffix(".yml")
        here = [p for p in (typed.parent / f"{stem}.yaml", typed.parent / f"{stem}.yml")
                if p.is_file()]
        if here:  # finetune/lora.yml for an edited finetune/lora.yaml: not the shipped lora
            raise RecipeError(f"--recipe {name_or_path}: no such file, but {here[0]} is: give "
                              f"that (a shipped recipe is named alone, as --recipe {stem})")
    if name.startswith("finetune/"):
        name = name.removeprefix("finetune/")
    if "/" not in name and name in shipped_recipes():
        from beliefbench.resources import data_path

        return data_path(f"finetune/{name}.yaml")
    shipped = shipped_recipes()
    from beliefbench.not_found import where_missing

    # recipes/r.yaml from another directory than the one holding recipes/: that folder named;
    # rec/cpuu.yaml beside rec/cpu.yaml: the close files in its folder (a path, not a name:
    # of a name, the shipped recipes close to it are said)
    near = where_missing(typed, files=True) if as_path else ""
    what = "a folder, not a recipe file" if typed.is_dir() else f"no such file{near}"
    raise RecipeError(f"--recipe {name_or_path}: {what}, and no shipped recipe of that name"
                      f"{did_you_mean(name, shipped)} (shipped: {', '.join(shipped)})")


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe YAML file (safe YAML).

    ``path`` may also name a shipped recipe (see :func:`recipe_file`). An empty file (or only
    comments) is refused: it would train with every default without a word. A ``lora:``
    block beside ``method: full`` is ignored by training, and said so (a warning).
    """
    path = recipe_file(path)
    try:
        empty = load_yaml(read_text(path, "recipe", RecipeError)) is None
    except Exception:  # noqa: BLE001 - not valid YAML: load_spec reports it
        empty = False
    if empty:
        raise RecipeError(f"{path}: empty recipe; start from a shipped one: "
                          f"--recipe {shipped_recipes_text('|')}")
    recipe = load_spec(path, Recipe, "recipe", RecipeError)
    if recipe.kl is None and "kl" in recipe.model_fields_set and _written_empty(path, "kl"):
        raise RecipeError(f"{located(path, 'kl')}: field kl: the kl block is empty, so the run "
                          f"would train without the KL term; give kl.data (e.g. "
                          f"kl/general.jsonl), or remove the block to train without it")
    if recipe.method == "full" and "lora" in recipe.model_fields_set:
        log.warning("%s: field lora: ignored with method: full (full finetuning trains every "
                    "weight; the lora block applies only to method: lora); remove the block, "
                    "or set method: lora", located(path, "lora"))
    return recipe


def _written_empty(path: Path, key: str) -> bool:
    """Whether the top-level ``key`` is written with no value at all (``kl:`` whose lines are
    commented out: the run trained plain SFT where its author meant the KL arm), as against
    an explicit ``kl: null`` (a recipe dumped from a manifest's record of one)."""
    root = compose_yaml(read_text(path, "recipe", RecipeError))
    if not isinstance(root, yaml.MappingNode):
        return False
    return any(k.value == key and isinstance(v, yaml.ScalarNode) and v.value == ""
               for k, v in root.value)
