"""Saved tokenizer folders that transformers 4.x loads as 5.x does (tiny-model, finetune)."""

from __future__ import annotations

import json
from pathlib import Path

from beliefbench.records import atomic_write_text

BACKEND = "TokenizersBackend"
"""The class transformers 5 writes for a tokenizer that is only a ``tokenizer.json``; 4.x has
no such class."""


def portable_tokenizer_config(folder: Path) -> None:
    """Name ``folder``'s saved tokenizer as transformers 4.x also reads it: 5.x writes its
    class as ``TokenizersBackend`` and the extra special tokens as a list
    ``extra_special_tokens`` (a dict of named tokens in 4.x), and 4.x refused the folder
    ("Tokenizer class TokenizersBackend does not exist"). ``PreTrainedTokenizerFast`` and
    ``additional_special_tokens`` load the same tokenizer in both; the model's inputs are
    named (5.x's default), as 4.x otherwise also returned ``token_type_ids``, which a Llama's
    ``generate`` refuses. A model's own class (``Qwen2Tokenizer``) is left as it is; no
    ``tokenizer_config.json``: nothing to do."""
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        return
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("tokenizer_class") == BACKEND:
        config["tokenizer_class"] = "PreTrainedTokenizerFast"
        config.setdefault("model_input_names", ["input_ids", "attention_mask"])
    if isinstance(config.get("extra_special_tokens"), list):
        config["additional_special_tokens"] = config.pop("extra_special_tokens")
    atomic_write_text(path, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
