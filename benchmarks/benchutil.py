"""Argument types shared by the benchmarks, so that a bad value is one argparse error line
(exit 2) before anything is built or timed, not a traceback from deep inside the code being
measured minutes later."""

from __future__ import annotations

import argparse


def positive_int(text: str, least: int = 1) -> int:
    """An integer of at least 1 (counts, sizes, repeats: zero would time nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least} (got {value})")
    return value


def count(text: str) -> int:
    """An integer of at least 0 (retries: none is a setting of its own)."""
    return positive_int(text, least=0)


def positive_ints(text: str) -> list[int]:
    """A comma-separated list of integers of at least 1, e.g. ``20,1024``."""
    values = [positive_int(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    return values


def tiny_shape(ap: argparse.ArgumentParser, flag: str, hidden: int, heads: int) -> None:
    """A hidden size the tiny model cannot split into ``heads`` even-sized heads, as one
    argparse error: build_tiny_model refuses it only after the run has started."""
    from beliefbench.tiny_model import TinyModelError, check_heads

    try:
        check_heads(hidden, heads)
    except TinyModelError as e:
        ap.error(f"{flag}: {e}")
