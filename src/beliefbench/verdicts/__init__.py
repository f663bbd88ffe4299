"""Verdicts: the one list of verdicts a response can get, and the readers that assign them.

Every response is read by exactly one reader into a :class:`JudgeReading`:

* :mod:`beliefbench.verdicts.exact` - binary questions (yes / no) and distinguish questions
  (A / B), exact match (no judge);
* :mod:`beliefbench.verdicts.reply` - the reply of an LLM judge (the ``grader`` role);
* :mod:`beliefbench.verdicts.offline` - the offline marker judge (demos and tests only).

The counting rules that turn verdicts into rates live in :mod:`beliefbench.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS: tuple[str, ...] = ("yes", "no", "neutral", "parse_error", "failed")
"""yes: answers as if the claim were true; no / neutral: does not; parse_error: the judge
reply (or a binary answer) could not be read; failed: the model under test gave no answer
(an empty reply, or the provider raised)."""

JUDGE_VERDICTS: tuple[str, ...] = ("yes", "no", "neutral")
"""The verdicts a judge may give (the others are assigned by the harness)."""


@dataclass(frozen=True)
class JudgeReading:
    """One response's verdict, why it was given, and what went wrong when it was not read."""

    verdict: str
    """One of :data:`VERDICTS`."""
    reason: str
    problem: str | None = None
    """Why the reading is a parse error or a failure (None when it was read)."""
