"""Argument types shared by the benchmarks, so that a bad value is one argparse error line
(exit 2) before anything is built or timed, not a traceback from deep inside the code being
measured minutes later."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def positive_int(text: str, least: int = 1) -> int:
    """An integer of at least 1 (counts, sizes, repeats: zero would time nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least} (got {value})")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (a time budget, a peak TFLOP/s: 0 was read as unset, a
    negative one printed a negative MFU, ``nan`` compared as never spent)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0 (got {text})")
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


def folder(text: str) -> Path:
    """A folder to write in, made if missing: one that is a file, or lies under a file, is
    refused here (it was a NotADirectoryError traceback once the script had started)."""
    path = Path(text).expanduser()
    above = next((p for p in (path, *path.parents) if p.exists()), None)
    if above is not None and not above.is_dir():
        where = "" if above == path else f" ({above} is a file)"
        raise argparse.ArgumentTypeError(f"not a folder: {text!r}{where}")
    return path


def existing_folder(text: str) -> Path:
    """A folder that must already exist (e.g. where a temporary folder is made)."""
    path = folder(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {text!r}")
    return path


def tiny_shape(ap: argparse.ArgumentParser, flag: str, hidden: int, heads: int) -> None:
    """A hidden size the tiny model cannot split into ``heads`` even-sized heads, as one
    argparse error: build_tiny_model refuses it only after the run has started."""
    from beliefbench.tiny_model import TinyModelError, check_heads

    try:
        check_heads(hidden, heads)
    except TinyModelError as e:
        ap.error(f"{flag}: {e}")


def description(doc: str | None) -> str:
    """A script's ``--help`` description: its docstring's first paragraph, whole (its first
    line alone ended mid-sentence in most scripts, e.g. "... the issue's targets (which")."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())
