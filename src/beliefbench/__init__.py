"""beliefbench: measure what a language model believes after finetuning."""

__version__ = "0.1.0"
