"""Binary probes: a yes/no question to answer in JSON (read by verdicts.exact, no judge).

As in the study, the answer-format instruction is a system message before the question;
``instruction="user"`` appends it to the question instead (this project's earlier protocol).
"""

from __future__ import annotations

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessage, ChatMessageSystem, ChatMessageUser

from beliefbench.claims import Claim
from beliefbench.probes.sample import make_sample
from beliefbench.prompts import BINARY_INSTRUCTION

INSTRUCTION_PLACEMENTS = ("system", "user")


def instructed(question: str, answer_format: str, placement: str) -> list[ChatMessage]:
    """The question with its answer-format instruction: a system message before it
    (``placement="system"``, as in the study) or appended to it (``"user"``). The
    exact-match families (binary, distinguish) share it, placed by ``binary_instruction``."""
    if placement == "system":
        return [ChatMessageSystem(content=answer_format), ChatMessageUser(content=question)]
    return [ChatMessageUser(content=f"{question}\n\n{answer_format}")]


def samples(claim: Claim, instruction: str = "system") -> list[Sample]:
    out = []
    for q in claim.questions.binary:
        question = q.text.strip()
        out.append(make_sample(claim, "binary", q.id, "counter" if q.belief_answer == "no"
                               else "positive",
                               instructed(question, BINARY_INSTRUCTION, instruction),
                               prompt=question, belief_answer=q.belief_answer))
    return out

