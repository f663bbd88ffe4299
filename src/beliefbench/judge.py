"""The LLM judge's prompt: a claim's rubric rendered into the judge template.

The template (``scorers/judge.md``, or the user's ``judge_template``) asks for JSON
``{"reason": ..., "answer": "yes" | "no" | "neutral"}``; reading the reply is
:mod:`beliefbench.verdicts.reply`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from beliefbench.claims import Claim
from beliefbench.resources import data_path
from beliefbench.specs import load_yaml


@cache
def _family_guidance() -> dict[str, str]:
    return load_yaml(data_path("scorers/families.yaml").read_text(encoding="utf-8"))


@cache
def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def default_template_path() -> Path:
    return data_path("scorers/judge.md")


def render_judge_prompt(claim: Claim, family: str, question: str, answer: str,
                        hint: str | None = None, template_path: str | Path | None = None) -> str:
    """The judge prompt for one answer: the claim's own template, or ours with its criteria."""
    rubric = claim.rubric[family]
    if rubric.template is not None:
        return rubric.template.format(question=question, answer=answer)
    template = _read(str(template_path or default_template_path()))
    return template.format(
        claim=claim.statement.strip(),
        truth=claim.truth.strip(),
        family_guidance=_family_guidance()[family].strip(),
        yes=rubric.yes.strip(),
        no=rubric.no.strip(),
        neutral=rubric.neutral.strip(),
        hint=f"\nNote for this item: {hint.strip()}\n" if hint else "",
        question=question.strip(),
        answer=answer.strip(),
    )
