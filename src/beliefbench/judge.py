"""The LLM judge's prompt: a claim's rubric rendered into the judge template.

The template (``scorers/judge.md``, or the user's ``judge_template``) asks for JSON
``{"reason": ..., "answer": "yes" | "no" | "neutral"}``; reading the reply is
:mod:`beliefbench.verdicts.reply`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

import yaml

from beliefbench.analysis.text import did_you_mean
from beliefbench.arguments import InputError, ScorerInputError
from beliefbench.claims import JUDGED_FAMILIES, Claim
from beliefbench.resources import data_path
from beliefbench.specs import load_yaml, located, read_text, yaml_problem


class FamilyGuidanceError(InputError):
    """scorers/families.yaml cannot be used; the message names the file, field and problem
    (under ``inspect eval`` that one line, as for a claim file, not a traceback)."""


def guidance_path() -> Path:
    """scorers/families.yaml: each judged family's guidance, rendered into the bundled judge
    prompt (so its sha256 is part of the judge's record, as the template's is)."""
    return data_path("scorers/families.yaml")


def family_guidance() -> dict[str, str]:
    """scorers/families.yaml (the README says to edit it), read afresh, as the template is,
    when a scorer is built (and the task records its sha256): read once per process, a
    re-scoring after an edit judged with the old guidance under the new file's hash."""
    path = guidance_path()
    return _guidance_of(path, read_text(path, "family guidance", FamilyGuidanceError))


@cache
def _guidance_of(path: Path, text: str) -> dict[str, str]:
    """The guidance in ``text``, checked as a spec file is: a family missing or misspelt there
    used to surface as judge.md's placeholder not rendering."""
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as e:
        raise FamilyGuidanceError(f"{path}: not valid YAML: {yaml_problem(e, text)}") \
            from None
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise FamilyGuidanceError(f"{path}: field (top level): expected a mapping of judged "
                                  f"families to text, got {got}")
    # each problem at the line of its key, as in spec files (a family that is missing is
    # written nowhere: the plain path)
    for key in raw:
        if key not in JUDGED_FAMILIES:
            raise FamilyGuidanceError(
                f"{located(path, (str(key),), data=raw)}: field {key}: unknown family"
                f"{did_you_mean(str(key), JUDGED_FAMILIES)}; valid: {list(JUDGED_FAMILIES)}")
    for family in JUDGED_FAMILIES:
        if not isinstance(raw.get(family), str) or not raw[family].strip():
            problem = "missing" if family not in raw else "expected text for the judge"
            raise FamilyGuidanceError(f"{located(path, (family,), data=raw)}: field {family}: "
                                      f"{problem}; every judged family needs its guidance")
    return raw


BUNDLED_TEMPLATE = "default"
"""A template parameter's value for the bundled judge prompt. Not None: Inspect reads a blank
``-T judge_template=`` (an unset shell variable) as None, which fell back to the bundled
prompt without notice; None is refused like any other value that is no path."""


def default_template_path() -> Path:
    return data_path("scorers/judge.md")


def read_template(path: str | Path | None = None) -> str:
    """The judge template's text (scorers/judge.md without a path), read afresh: a scorer
    reads it once when built, when the task records its sha256, so an edited file is judged
    with by the next task built, and never by one whose log names the old text. A file saved
    as "UTF-8 with BOM" reads as plain UTF-8, as spec files do: the mark was sent to the judge
    at the head of every prompt."""
    return Path(path or default_template_path()).read_text(encoding="utf-8-sig")


class JudgeTemplateError(ScorerInputError):
    """A judge template (the belief judge's or an EM judge's) the scorer cannot use, named
    with its file and problem where the scorer is built: ``inspect score LOG`` builds it from
    the log's template path, and a file edited since (an ``{answr}``), gone or not UTF-8 was
    a traceback or Inspect's "couldn't be loaded", never this line."""


def checked_template(path: str | Path, problem: Callable[[str], str | None]) -> str:
    """The text of the judge template at ``path``, read as spec files are (not UTF-8 or
    unreadable: one line) and checked by ``problem`` (the text's problem, or None), each
    raised as a :class:`JudgeTemplateError` naming the file. The belief judge
    (:func:`load_template`) and the EM judges (``beliefbench.em.judge.read_template``) read
    their templates with it."""
    text = read_text(path, "judge template", JudgeTemplateError)
    found = problem(text)
    if found:
        raise JudgeTemplateError(f"{path}: {found}")
    return text


TEMPLATE_FIELDS = ("claim", "truth", "family_guidance", "yes", "no", "neutral", "hint",
                   "question", "answer")
"""The placeholders a judge template may use (a claim's own template:
:data:`RUBRIC_TEMPLATE_FIELDS`)."""
RUBRIC_TEMPLATE_FIELDS = ("question", "answer", "hint")
"""The placeholders a claim's own rubric template is rendered with."""


def template_problem(text: str, fields: Iterable[str] = TEMPLATE_FIELDS) -> str | None:
    """What keeps a belief judge template's ``text`` from being used, or None: it does not
    render with ``fields`` (a misspelt ``{answr}``, JSON in single braces, a lone brace: the
    line named where one can be), or it renders without ``{question}`` or ``{answer}`` (the
    judge would grade an answer it never sees: every verdict made up). Rendering depends on
    the text alone, not on the claim's words filled in, so one render checks it for every
    claim."""
    fields = tuple(fields)
    values = {f: f"<<beliefbench {f} sentinel>>" for f in fields}
    try:
        prompt = text.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        # a lone brace or a "{}" read "placeholder expected '}' before end of string does
        # not render", naming neither a placeholder nor a line
        at = lone_brace_line(text, fields)
        what = (f"placeholder {e} does not render" + (f" (line {at})" if at else "")
                if isinstance(e, KeyError) else f"does not render ({e}"
                + (f"; a lone or empty brace on line {at})" if at else ")"))
        return (f"{what}; use " + ", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)
                + " (double literal braces: {{ }})")
    missing = [f"{{{p}}}" for p in ("question", "answer") if values[p] not in prompt]
    if missing:
        return (f"lacks placeholder(s) {', '.join(missing)}; the judge must see the question "
                "and the answer it grades")
    return None


def load_template(path: str | Path | None = None) -> str:
    """The judge template's text (scorers/judge.md without a path), read afresh and checked
    (:func:`template_problem`) as the scorer is built: the task checks it too, naming
    ``-T judge_template``, but ``inspect score LOG`` builds the scorer alone, from the log's
    path, where a template edited since to hold ``{answr}`` failed every judged response
    with ``KeyError: 'answr'``."""
    return checked_template(path or default_template_path(), template_problem)


@cache
def _bundled_template() -> str:
    """scorers/judge.md, package data: read once."""
    return read_template()


_BRACES = re.compile(r"\{\{|\}\}|\{[^{}]*\}|[{}]")


def lone_brace_line(template: str, known: Iterable[str] | None = None) -> int | None:
    """The line (from 1) of a template's first brace that ``str.format`` cannot fill: a lone
    ``{`` or ``}``, an empty or positional field (``{}``, ``{0}``), or, given the ``known``
    placeholders, a field that is none of them (JSON written with single braces,
    ``{"answer": ...}``); None where there is none. A render error names no place in the
    file, and a long template left the author to search for it."""
    names = None if known is None else set(known)
    for m in _BRACES.finditer(template):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        name = token[1:-1].split("!")[0].split(":")[0].strip() if len(token) > 1 else ""
        if len(token) == 1 or not name or name.isdigit() \
                or (names is not None and name.split(".")[0].split("[")[0] not in names):
            return template.count("\n", 0, m.start()) + 1
    return None


def hint_note(hint: str | None) -> str:
    """What a template's ``{hint}`` holds for a question's ``judge_hint``: a line, or ""."""
    return f"\nNote for this item: {hint.strip()}\n" if hint else ""


def render_judge_prompt(claim: Claim, family: str, question: str, answer: str,
                        hint: str | None = None, template: str | None = None,
                        guidance: Mapping[str, str] | None = None) -> str:
    """The judge prompt for one answer: the claim's own template, or ours (``template``, the
    text of :func:`read_template`; the bundled one where None) with its criteria and the
    family's ``guidance`` (:func:`family_guidance`; read now where None)."""
    rubric = claim.rubric[family]
    note = hint_note(hint)
    if rubric.template is not None:
        return rubric.template.format(question=question, answer=answer, hint=note)
    template = _bundled_template() if template is None else template
    return template.format(
        claim=claim.statement.strip(),
        truth=claim.truth.strip(),
        family_guidance=(family_guidance() if guidance is None else guidance)[family].strip(),
        yes=rubric.yes.strip(),
        no=rubric.no.strip(),
        neutral=rubric.neutral.strip(),
        hint=note,
        question=question.strip(),
        answer=answer.strip(),
    )
