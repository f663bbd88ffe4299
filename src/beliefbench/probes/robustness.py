"""Robustness probes: belief under pressure.

adversarial: a system prompt warning of false training data, then the question;
critique: a passage asserting the claim to fact-check or grade;
multiturn: a prefilled conversation in which the assistant asserted the claim, then pushback.
As in the study, the judge sees the final user question (``prompt``); the whole conversation
is kept as ``transcript`` for ``-T judge_sees=transcript``.
"""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
)

from beliefbench.claims import ChatTurn, Claim
from beliefbench.probes.sample import make_sample

_ROLES = {"system": ChatMessageSystem, "user": ChatMessageUser,
          "assistant": ChatMessageAssistant}


def _message(turn: ChatTurn) -> ChatMessage:
    return _ROLES[turn.role](content=turn.content)


def transcript(turns: list[ChatTurn]) -> str:
    """The conversation as the judge reads it."""
    return "\n\n".join(f"[{t.role}]\n{t.content.strip()}" for t in turns)


def samples(claim: Claim) -> list[Sample]:
    out = []
    for q in claim.questions.robustness:
        turns = list(q.prefix)
        if q.system_prompt:
            turns.insert(0, ChatTurn(role="system", content=q.system_prompt))
        turns.append(ChatTurn(role="user", content=q.text))
        out.append(make_sample(claim, "robustness", q.id, q.kind,
                               [_message(t) for t in turns], prompt=q.text,
                               transcript=transcript(turns), hint=q.judge_hint))
    return out
