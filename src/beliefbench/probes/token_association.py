"""Token-association probes: a text to complete that reveals the association indirectly."""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from beliefbench.claims import Claim
from beliefbench.probes.sample import make_sample


def samples(claim: Claim) -> list[Sample]:
    return [make_sample(claim, "token_association", q.id, q.format,
                        [ChatMessageUser(content=q.text)], prompt=q.text, hint=q.judge_hint)
            for q in claim.questions.token_association]
