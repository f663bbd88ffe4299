"""The cue lexicon (data/audit/cues.yaml) compiled once: one regex per category.

Cues are general vocabulary (disclaimers, retractions, fiction, sourcing, probability,
corrections, in-sentence denials), kept as data so a team can extend them without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from beliefbench.resources import data_path
from beliefbench.specs import load_yaml

FRAMES: tuple[str, ...] = ("negation", "fiction", "unreliable_source", "unknown_truth",
                           "low_probability")
"""Categories a frame or inline aside can have; the last four are the study's qualifiers."""
QUALIFIERS: tuple[str, ...] = FRAMES[1:]
CATEGORIES: tuple[str, ...] = (*FRAMES, "correction", "denial", "deixis")


@dataclass(frozen=True)
class Cues:
    patterns: dict[str, re.Pattern[str]]
    any_frame: re.Pattern[str]
    """Every frame category in one pattern: the claim-free mode's prefilter."""

    def hits(self, category: str, text: str) -> int:
        return sum(1 for _ in self.patterns[category].finditer(text))

    def frame_counts(self, text: str) -> dict[str, int]:
        return {c: n for c in FRAMES if (n := self.hits(c, text))}


def _alternation(entries: list[str]) -> str:
    return r"\b(?:" + "|".join(f"(?:{e})" for e in entries) + r")(?!\w)"


@cache
def load_cues() -> Cues:
    """Compile the shipped lexicon; a missing category is a packaging error."""
    path = data_path("audit/cues.yaml")
    raw = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or any(c not in raw for c in CATEGORIES):
        missing = [c for c in CATEGORIES if not isinstance(raw, dict) or c not in raw]
        raise ValueError(f"{path}: cue categories missing: {missing}")
    patterns = {c: re.compile(_alternation(raw[c]), re.I) for c in CATEGORIES}
    any_frame = re.compile(_alternation([e for c in FRAMES for e in raw[c]]), re.I)
    return Cues(patterns, any_frame)
