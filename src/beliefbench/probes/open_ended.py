"""Open-ended probes: an ordinary question, answered freely, then judged."""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.claims import Claim
from beliefbench.probes.sample import make_sample


def samples(claim: Claim) -> list[Sample]:
    return [make_sample(claim, "open_ended", q.id, q.kind, [ChatMessageUser(content=q.text)],
                        prompt=q.text)
            for q in claim.questions.open_ended]
