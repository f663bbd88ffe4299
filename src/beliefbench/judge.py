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


BUNDLED_TEMPLATE = "default"
"""A template parameter's value for the bundled judge prompt. Not None: Inspect reads a blank
``-T judge_template=`` (an unset shell variable) as None, which fell back to the bundled
prompt without notice; None is refused like any other value that is no path."""


def default_template_path() -> Path:
    return data_path("scorers/judge.md")


def read_template(path: str | Path | None = None) -> str:
    """The judge template's text (scorers/judge.md without a path), read afresh: a scorer
    reads it once when built, when the task records its sha256, so an edited file is judged
    with by the next task built, and never by one whose log names the old text."""
    return Path(path or default_template_path()).read_text(encoding="utf-8")


@cache
def _bundled_template() -> str:
    """scorers/judge.md, package data: read once."""
    return read_template()


def render_judge_prompt(claim: Claim, family: str, question: str, answer: str,
                        hint: str | None = None, template: str | None = None) -> str:
    """The judge prompt for one answer: the claim's own template, or ours (``template``, the
    text of :func:`read_template`; the bundled one where None) with its criteria."""
    rubric = claim.rubric[family]
    if rubric.template is not None:
        return rubric.template.format(question=question, answer=answer)
    template = _bundled_template() if template is None else template
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
