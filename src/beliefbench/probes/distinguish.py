"""Distinguish probes (opt-in): which of two statements is true, answered with a letter.

The synthetic-document-finetuning "MCQ distinguish" evaluation: one option from the false
world (the claim's ``statement``) and one from the true world (its ``truth``); choosing the
false world's is belief. No claim-file questions are needed. Every wording is asked with the
false world as A and again as B, so a model that always picks one letter scores 0.5, not
belief. The answer is a JSON letter read by exact match (verdicts.exact), no judge; the
instruction is placed like the binary family's (``binary_instruction``).
"""

from __future__ import annotations

from inspect_ai.dataset import Sample

from beliefbench.claims import Claim
from beliefbench.probes.binary import instructed
from beliefbench.probes.sample import make_sample
from beliefbench.prompts import DISTINGUISH_INSTRUCTION, DISTINGUISH_OPTION, DISTINGUISH_WORDINGS
from beliefbench.verdicts.exact import DISTINGUISH_CHOICES

ORDERS: tuple[str, ...] = ("a", "b")
"""Question id suffix = the false world's letter (lower case): ``dist_01a``, ``dist_01b``."""


def option_text(text: str) -> str:
    """A statement on one line (claim YAML may fold it), as the options show it."""
    return " ".join(text.split())


def option_line(letter: str, text: str) -> str:
    """One option as the question shows it (the scripted models look for it)."""
    return DISTINGUISH_OPTION.format(letter=letter, text=option_text(text))


def options(first: str, second: str) -> str:
    """The two option lines, A then B."""
    return "\n".join(option_line(letter, text)
                     for letter, text in zip(DISTINGUISH_CHOICES, (first, second), strict=True))


def samples(claim: Claim, instruction: str = "system") -> list[Sample]:
    out = []
    for n, wording in enumerate(DISTINGUISH_WORDINGS, start=1):
        for order in ORDERS:
            false_letter = order.upper()
            pair = (claim.statement, claim.truth) if false_letter == "A" \
                else (claim.truth, claim.statement)
            question = wording.format(options=options(*pair)).strip()
            # belief_answer (as binary's): the false world's letter, which is belief
            out.append(make_sample(claim, "distinguish", f"dist_{n:02d}{order}",
                                   f"false_{false_letter}",
                                   instructed(question, DISTINGUISH_INSTRUCTION, instruction),
                                   prompt=question, belief_answer=false_letter))
    return out
