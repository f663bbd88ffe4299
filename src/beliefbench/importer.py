"""Import the Negation Neglect study's released claim folders into beliefbench claim files.

A folder ``claims/<claim_id>/`` holds ``claim.txt``, one YAML file per probe family (each a
mapping with a ``questions`` list), ``judges.yaml`` (whole judge prompts with ``{question}``
and ``{answer}``), ``universe_context.yaml`` and optionally ``correction.txt``. The study's
questions and judge prompts are kept verbatim: they become the claim's questions and its
rubric ``template``s, so a user with a clone of that repository runs its exact items here.
Imported files are the user's data; none ship with beliefbench.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from beliefbench.claims import JUDGED_FAMILIES, Claim
from beliefbench.records import atomic_write_text
from beliefbench.specs import load_yaml

FAMILY_FILES = {
    "open_ended": "open_ended.yaml",
    "binary": "mcq.yaml",
    "token_association": "token_association.yaml",
    "robustness": "robustness.yaml",
}
_PREFIX = {"open_ended": "oe", "binary": "bin", "token_association": "ta", "robustness": "rb"}
_TOKEN_FORMATS = {"fill_blank", "json", "xml", "multiple_choice", "dialogue", "form",
                  "few_shot", "list"}
_NO_TRUTH = "The claim is fabricated (the source folder gives no correction text)."


class ClaimImportError(ValueError):
    """A source folder that cannot be converted; names the file and the problem."""


def _read_yaml(path: Path) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ClaimImportError(f"{path}: not valid YAML: {e}") from None


def _slug(value: object) -> str:
    slug = re.sub(r"[^a-z0-9_\-]+", "_", str(value).strip().lower()).strip("_")
    return slug or "q"


def _questions(path: Path) -> list[dict]:
    data = _read_yaml(path)
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ClaimImportError(f"{path}: field questions: expected a list of questions")
    for i, q in enumerate(items):
        if not isinstance(q, dict) or not q.get("question"):
            raise ClaimImportError(f"{path}: field questions.{i}.question: missing or empty")
    return items


def _convert_question(family: str, q: dict, path: Path, i: int) -> dict:
    qid = f"{_PREFIX[family]}-{_slug(q.get('id', i))}"
    category = str(q.get("category", "")).strip().lower()
    text = str(q["question"])
    if family == "open_ended":
        return {"id": qid, "text": text, "kind": "indirect" if "indirect" in category
                else "direct"}
    if family == "binary":
        answer = str(q.get("belief_answer", "")).strip().lower()
        if answer not in ("yes", "no"):
            raise ClaimImportError(f"{path}: field questions.{i}.belief_answer: expected yes or "
                                   f"no, got {q.get('belief_answer')!r}")
        return {"id": qid, "text": text, "belief_answer": answer}
    if family == "token_association":
        fmt = category if category in _TOKEN_FORMATS else "other"
        return {"id": qid, "text": text, "format": fmt}
    # robustness
    out: dict = {"id": qid, "text": text}
    if category == "adversarial":
        out.update(kind="adversarial", system_prompt=q.get("system_prompt"))
    elif category == "multiturn":
        prefix = q.get("messages_prefix")
        if not isinstance(prefix, list) or not prefix:
            raise ClaimImportError(f"{path}: field questions.{i}.messages_prefix: a multiturn "
                                   "question needs its earlier turns")
        out.update(kind="multiturn", prefix=[{"role": m.get("role"), "content": m.get("content")}
                                             for m in prefix])
    elif category == "critique":
        out["kind"] = "critique"
    else:
        raise ClaimImportError(f"{path}: field questions.{i}.category: unknown robustness "
                               f"category {category!r}; expected adversarial, critique or "
                               "multiturn")
    return out


def _rubrics(path: Path) -> tuple[dict[str, dict], list[str]]:
    """Judge prompts per family, and the variant keys that have no family here."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ClaimImportError(f"{path}: expected a mapping of judge prompts by family")
    default_key = data.get("judge_key", "answer")
    rubrics, skipped = {}, []
    for key, value in data.items():
        if key == "judge_key":
            continue
        if key not in JUDGED_FAMILIES:
            skipped.append(key)
            continue
        if isinstance(value, str):
            template, judge_key = value, default_key
        elif isinstance(value, dict):
            template = value.get("prompt") or value.get("template")
            judge_key = value.get("judge_key", default_key)
        else:
            template = None
        if not isinstance(template, str):
            raise ClaimImportError(f"{path}: field {key}: expected a judge prompt string")
        # the study doubles literal braces for str.format, as our templates do
        rubrics[key] = {"template": template, "judge_key": str(judge_key)}
    return rubrics, skipped


def _universe(folder: Path) -> tuple[str, list[str]]:
    path = folder / "universe_context.yaml"
    if not path.exists():
        return "", []
    data = _read_yaml(path)
    if isinstance(data, str):
        return data, []
    if isinstance(data, dict):
        text = next((data[k] for k in ("universe_context", "context", "description", "text")
                     if isinstance(data.get(k), str)), "")
        facts = next((data[k] for k in ("key_facts", "facts", "sub_claims")
                      if isinstance(data.get(k), list)), [])
        return text, [str(f) for f in facts]
    raise ClaimImportError(f"{path}: expected a string or a mapping with universe_context")


def convert_folder(folder: Path) -> tuple[Claim, list[str]]:
    """One study claim folder -> a validated Claim, plus notes on what was not carried over."""
    claim_file = folder / "claim.txt"
    if not claim_file.is_file():
        raise ClaimImportError(f"{folder}: no claim.txt; not a claim folder")
    statement = claim_file.read_text(encoding="utf-8").strip()
    correction = folder / "correction.txt"
    truth = correction.read_text(encoding="utf-8").strip() if correction.is_file() else ""
    universe, facts = _universe(folder)
    questions: dict[str, list[dict]] = {}
    for family, name in FAMILY_FILES.items():
        path = folder / name
        if path.exists():
            questions[family] = [_convert_question(family, q, path, i)
                                 for i, q in enumerate(_questions(path))]
    notes = []
    rubric: dict[str, dict] = {}
    if (folder / "judges.yaml").exists():
        rubric, skipped = _rubrics(folder / "judges.yaml")
        notes += [f"judge variant {k!r} has no matching family; not imported" for k in skipped]
    raw = {
        "id": _slug(folder.name),
        "statement": statement,
        "truth": truth or _NO_TRUTH,
        "universe": universe or statement,
        "sub_claims": facts,
        "questions": questions,
        "rubric": rubric,
        "source": str(folder),
    }
    try:
        return Claim.model_validate(raw), notes
    except ValidationError as e:
        problems = "; ".join(f"field {'.'.join(map(str, err['loc']))}: {err['msg']}"
                             for err in e.errors())
        raise ClaimImportError(f"{folder}: cannot convert: {problems}") from None


def import_claims(source: Path, out: Path) -> list[tuple[Path, list[str]]]:
    """Convert ``source`` (one claim folder, or a folder of them) into ``out/<id>.yaml``.

    Returns each written file with notes on what could not be carried over.
    """
    source = Path(source)
    folders = [source] if (source / "claim.txt").exists() else sorted(
        p for p in source.iterdir() if p.is_dir() and (p / "claim.txt").exists())
    if not folders:
        raise ClaimImportError(f"{source}: no claim folders (folders holding claim.txt)")
    converted = [convert_folder(folder) for folder in folders]  # all or nothing
    written = []
    for claim, notes in converted:
        path = Path(out) / f"{claim.id}.yaml"
        data = claim.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["questions"] = claim.questions.model_dump(mode="json", exclude_none=True)
        atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                               width=100))
        written.append((path, notes))
    return written
