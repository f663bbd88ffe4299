"""Finetune backends: train the compared checkpoints (local transformers+peft, or OpenAI).

Each backend reads training records (:mod:`beliefbench.records`) and a recipe
(:mod:`beliefbench.finetune.recipe`) and writes servable checkpoints plus a ``manifest.jsonl``.
"""

from beliefbench.finetune.recipe import Recipe, RecipeError, load_recipe
from beliefbench.finetune.schedule import checkpoint_steps

__all__ = ["Recipe", "RecipeError", "checkpoint_steps", "load_recipe"]
