"""The LLM judge's side of scoring: render a claim's rubric into a prompt, read the verdict.

Judges are asked for JSON ``{"reason": ..., "answer": "yes" | "no" | "neutral"}``. Replies
are read leniently (code fences, prose around the JSON, a regex fallback for broken JSON),
but never guessed: an empty, unreadable or self-contradicting reply is a ``parse_error``
verdict, which counts as non-belief and is reported on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from beliefbench.claims import Claim
from beliefbench.resources import data_path

JUDGE_VERDICTS = ("yes", "no", "neutral")

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_VALUE = re.compile(r"""^[\s"'`*_]*(yes|no|neutral)[\s"'`*_.!]*$""", re.IGNORECASE)


@dataclass(frozen=True)
class JudgeReading:
    verdict: str
    """yes / no / neutral, or parse_error when the reply could not be read."""
    reason: str
    problem: str | None = None
    """Why the reply was a parse error (None when it was read)."""


def _json_objects(text: str) -> list[dict]:
    """Every JSON object embedded in ``text`` (fenced blocks first, then inline)."""
    decoder = json.JSONDecoder()
    found: list[dict] = []
    sources = [m.group(1) for m in _FENCE.finditer(text)] or [text]
    for source in sources:
        i = source.find("{")
        while i != -1:
            try:
                obj, end = decoder.raw_decode(source, i)
            except json.JSONDecodeError:
                i = source.find("{", i + 1)
                continue
            if isinstance(obj, dict):
                found.append(obj)
            i = source.find("{", end)
    return found


def _lookup(obj: dict, key: str) -> object | None:
    for k, v in obj.items():
        if str(k).strip().lower() == key.lower():
            return v
    return None


def bare_verdict(reply: str) -> str | None:
    """The verdict when the whole reply is just the word (``Yes.``, ``"no"``), else None."""
    m = _VALUE.match(reply)
    return m.group(1).lower() if m else None


def parse_verdict(reply: str | None, key: str = "answer") -> JudgeReading:
    """Read a judge reply into a verdict; see the module docstring for the rules."""
    if reply is None or not reply.strip():
        return JudgeReading("parse_error", "", "empty judge reply")
    values: list[tuple[str, str]] = []  # (raw value, reason)
    for obj in _json_objects(reply):
        value = _lookup(obj, key)
        if value is not None:
            values.append((str(value), str(_lookup(obj, "reason") or "")))
    if not values:
        # broken JSON (unescaped quotes, a missing brace): fall back to the key's pattern
        pattern = rf"""["']?{re.escape(key)}["']?\s*[:=]\s*["']?(yes|no|neutral)\b"""
        values = [(m.group(1), "") for m in re.finditer(pattern, reply, re.IGNORECASE)]
        reason = re.search(r"""["']?reason["']?\s*[:=]\s*["'](.*?)["']\s*[,}]""", reply,
                           re.IGNORECASE | re.DOTALL)
        values = [(v, reason.group(1) if reason else "") for v, _ in values]
    if not values:
        return JudgeReading("parse_error", "", f"no {key!r} field found in the judge reply")
    verdicts = []
    for raw, _ in values:
        verdict = bare_verdict(raw)
        if verdict is None:
            return JudgeReading("parse_error", "", f"unrecognised verdict {raw!r}")
        verdicts.append(verdict)
    if len(set(verdicts)) > 1:
        return JudgeReading("parse_error", "",
                            f"contradictory verdicts {sorted(set(verdicts))} in one reply")
    return JudgeReading(verdicts[0], values[0][1])


# --------------------------------------------------------------------------- prompts

@cache
def _family_guidance() -> dict[str, str]:
    return yaml.safe_load(data_path("scorers/families.yaml").read_text(encoding="utf-8"))


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
