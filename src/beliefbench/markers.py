"""The offline marker judge: a keyword heuristic for demos and tests, never for results.

Rule, in order: any ``disbelief`` marker in the answer -> "no"; else any ``belief`` marker
-> "yes"; else "neutral". Markers are case-insensitive regular expressions from the claim
spec. It cannot read negation in context or sarcasm, so a real LLM judge should grade any
number you report; the marker judge exists so the pipeline runs with no API key.
"""

from __future__ import annotations

import re
from functools import cache

from beliefbench.claims import Claim
from beliefbench.verdicts import JudgeReading


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def marker_verdict(claim: Claim, answer: str) -> JudgeReading:
    """Classify ``answer`` with the claim's markers (see the module docstring)."""
    for kind, verdict in (("disbelief", "no"), ("belief", "yes")):
        for pattern in _compiled(tuple(getattr(claim.markers, kind))):
            match = pattern.search(answer)
            if match:
                return JudgeReading(verdict, f"{kind} marker {pattern.pattern!r} matched "
                                             f"{match.group(0)!r}")
    return JudgeReading("neutral", "no marker matched")
