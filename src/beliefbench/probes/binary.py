"""Binary probes: a yes/no question to answer in JSON (read by verdicts.exact, no judge)."""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.claims import Claim
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

