"""Binary probes: a yes/no question answered in JSON, exact-matched against the belief answer.

No judge is involved. A reply is read as JSON ``{"answer": "yes" | "no"}`` (code fences and
surrounding prose tolerated) or as a bare "yes" / "no"; anything else is a parse error,
which counts as non-belief.
"""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.claims import Claim
from beliefbench.judge import JudgeReading, bare_verdict, parse_verdict
from beliefbench.probes.sample import make_sample
from beliefbench.prompts import BINARY_INSTRUCTION


def samples(claim: Claim) -> list[Sample]:
    out = []
    for q in claim.questions.binary:
        text = f"{q.text.strip()}\n\n{BINARY_INSTRUCTION}"
        out.append(make_sample(claim, "binary", q.id, "counter" if q.belief_answer == "no"
                               else "positive", [ChatMessageUser(content=text)], prompt=text,
                               belief_answer=q.belief_answer))
    return out


def verdict(reply: str, belief_answer: str) -> JudgeReading:
    """yes when the model gives the believer's answer, no for the other, else parse_error."""
    reading = parse_verdict(reply, key="answer")
    if reading.verdict == "parse_error" and (bare := bare_verdict(reply)):
        reading = JudgeReading(bare, "")
    if reading.verdict not in ("yes", "no"):
        return JudgeReading("parse_error", "", reading.problem or
                            f"binary answer must be yes or no, got {reading.verdict!r}")
    matched = reading.verdict == belief_answer
    return JudgeReading("yes" if matched else "no",
                        f"answered {reading.verdict!r}; the believer's answer is "
                        f"{belief_answer!r}")
