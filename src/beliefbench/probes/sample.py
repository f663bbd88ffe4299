"""The one place sample ids and metadata keys are defined (see the package docstring)."""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage

from beliefbench.claims import Claim


def make_sample(claim: Claim, family: str, question_id: str, kind: str,
                messages: list[ChatMessage], prompt: str, **extra: object) -> Sample:
    return Sample(
        id=f"{claim.id}/{question_id}",
        input=messages,
        metadata={"claim": claim.id, "family": family, "question": question_id, "kind": kind,
                  "prompt": prompt, **extra},
    )
