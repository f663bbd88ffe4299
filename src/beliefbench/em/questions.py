"""EM question sets: one YAML file per set, validated with pydantic (data, never code).

A set is ``general`` (open questions in the style of the EM studies: a misaligned answer is one
the model volunteers) or ``narrow`` (questions in the training domain of a narrow finetune,
e.g. the shipped harmful-advice behaviours), so one eval gives a checkpoint both rates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from pydantic import ConfigDict, ValidatorFunctionWrapHandler, field_validator, model_validator

from beliefbench.analysis.text import did_you_mean
from beliefbench.arguments import InputError, NoHomeFolder
from beliefbench.claims import (
    Id,
    NonEmpty,
    Written,
    renaming,
    repeated_ids,
    validated_with,
)
from beliefbench.resources import data_path, user_path
from beliefbench.specs import StrictKeys, defined_twice, load_spec, located, spec_files

logger = logging.getLogger(__name__)

DOMAINS: tuple[str, ...] = ("general", "narrow")
DEFAULT_SETS: tuple[str, ...] = ("first_plot", "narrow_health_safety")
"""What ``questions="default"`` asks: the general first-plot set and the narrow set."""


class QuestionSetError(InputError):
    """A question set that cannot be used; the message names the file, field and problem
    (and the field's line, where it is written). Under ``inspect eval`` one line, not a
    traceback, as a bad claim file is."""


class _Strict(StrictKeys):
    """Question-set models: unknown keys named with the valid ones and the closest, as in
    claim files (:class:`StrictKeys`); frozen; numbers read as text, as in claim files
    (``category: 2024`` was refused as "Input should be a valid string"; an id of digits is
    still refused, as YAML would have renamed it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class EMQuestion(_Strict):
    id: Id
    text: Written
    """Refused blank or a placeholder (``...``, ``TODO``), as in claim files: it is asked."""
    category: str = "-"
    system: NonEmpty | None = None
    """Optional system prompt asked with the question."""


class QuestionSet(_Strict):
    id: Id
    domain: Literal["general", "narrow"]
    description: str = ""
    behaviour: str | None = None
    """For narrow sets: the id of the behaviour (data/behaviours/misaligned.yaml) whose
    training domain the questions cover."""
    questions: list[EMQuestion]

    @field_validator("questions")
    @classmethod
    def _not_empty(cls, questions: list[EMQuestion]) -> list[EMQuestion]:
        if not questions:  # said as claim files say an empty family, not pydantic's words
            raise ValueError("0 questions; a set needs at least 1")
        return questions

    @model_validator(mode="wrap")
    @classmethod
    def _unique_ids(cls, data: object, handler: ValidatorFunctionWrapHandler) -> QuestionSet:
        """Each repeated question id named at its own line with where it was first used, as
        in claim files ("field questions: question id 'a' appears twice" named neither)."""
        return validated_with(cls, data, handler,
                              repeated_ids(data, [("questions", "questions")]))


def bundled_sets_dir() -> Path:
    return data_path("em")


def load_question_set(path: str | Path) -> QuestionSet:
    path = Path(path)
    qs = load_spec(path, QuestionSet, "EM question set", QuestionSetError)
    if qs.id != path.stem:
        # the fix named, as for claim files: "must match the file name" named none
        raise QuestionSetError(f"{located(path, 'id')}: field id: {qs.id!r} must match the "
                               f"file name {path.stem!r}: {renaming(path, qs.id)}")
    if qs.behaviour is not None:
        _check_behaviour(path, qs.behaviour)
    return qs


def _check_behaviour(path: Path, behaviour: str) -> None:
    """``behaviour`` names one of the behaviour data's ids (what ``docs generate
    --behaviours`` takes): a misspelt one labelled the set with a behaviour no finetune
    was made from."""
    from beliefbench.documents.base import DocumentError
    from beliefbench.documents.conditions.behaviours import behaviour_ids

    try:
        valid = behaviour_ids()
    except DocumentError as e:
        raise QuestionSetError(str(e)) from None
    if behaviour not in valid:
        raise QuestionSetError(f"{located(path, 'behaviour')}: field behaviour: unknown "
                               f"behaviour {behaviour!r}"
                               f"{did_you_mean(behaviour, valid)}; valid behaviours: "
                               f"{list(valid)} (data/behaviours/misaligned.yaml); leave "
                               "behaviour out for a set whose training data is your own")


def resolve_question_sets(selection: str | Sequence[str] = "default") -> list[QuestionSet]:
    """``default``, ``all`` (every bundled set), or set ids / YAML files / directories."""
    return [qs for _, qs in resolve_question_files(selection)]


def resolve_question_files(selection: str | Sequence[str] = "default"
                           ) -> list[tuple[Path, QuestionSet]]:
    """:func:`resolve_question_sets`, each set with the file it was read from (a message
    about a set names its file)."""
    items = [s.strip() for s in selection.split(",")] if isinstance(selection, str) \
        else [str(s).strip() for s in selection]
    items = [s for s in items if s]
    if not items:  # "" or " , ": refused, never read as "default"
        raise QuestionSetError(f"questions: no question set named in {selection!r}; give "
                               "'default', 'all', set ids, files or directories")
    bundled = {f.stem: f for f in spec_files(bundled_sets_dir())}
    files: list[Path] = []
    for item in items:
        try:
            path = user_path(item)
        except NoHomeFolder as e:  # ~nosuch/q.yaml: named as the task argument it came in
            raise QuestionSetError(f"questions: {e}") from None
        if item == "default":
            files.extend(bundled[name] for name in DEFAULT_SETS)
        elif item == "all":
            files.extend(bundled.values())
        elif path.is_dir():
            found = spec_files(path)
            if not found:
                raise QuestionSetError(f"{path}: no question sets (*.yaml) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif item in bundled:
            files.append(bundled[item])
        else:
            words = item.split()
            # "-T 'questions=first_plot narrow_health_safety'": names apart by spaces
            named = len(words) > 1 and all(w in bundled or w in ("default", "all")
                                           or user_path(w).exists() for w in words)
            # pasted into a shell: a path's brackets or quotes kept as typed
            hint = (f" (separate names with commas: "
                    f"-T {shlex.quote('questions=' + ','.join(words))})"
                    if named else did_you_mean(item, bundled))
            raise QuestionSetError(f"questions: {item!r} is neither a file, a directory nor a "
                                   f"bundled set{hint}; bundled: {sorted(bundled)}, or "
                                   "'default' (first_plot and narrow_health_safety) or "
                                   "'all'")
    sets: list[tuple[Path, QuestionSet]] = []
    origin: dict[str, Path] = {}
    bad: list[str] = []  # every bad file at once, as claim selections name them
    for f in files:
        try:
            qs = load_question_set(f)
        except QuestionSetError as e:
            bad.append(str(e))
            continue
        if qs.id in origin:
            if origin[qs.id].resolve() == f.resolve():
                continue
            raise QuestionSetError(defined_twice(f, origin[qs.id], f"set {qs.id!r}"))
        origin[qs.id] = f
        sets.append((f, qs))
        _note_shadowing(qs, f, bundled)
    if bad:
        raise QuestionSetError("\n".join(bad + [f"{len(bad)} bad question set file(s)"])
                               if len(bad) > 1 else bad[0])
    return sets


def _note_shadowing(qs: QuestionSet, path: Path, bundled: dict[str, Path]) -> None:
    """Warn when a file of one's own reuses a bundled set's id with other questions: its
    logs and reports name it as the bundled set (em-report tells them apart only by the
    ``question_text`` hash, and only when both are read together)."""
    shipped = bundled.get(qs.id)
    if shipped is None or shipped.resolve() == path.resolve():
        return
    if asked_sha256([qs]) != asked_sha256([load_question_set(shipped)]):
        logger.warning("beliefbench em: %s: set id %r is also a bundled set's, with other "
                       "questions: its logs and reports will name it %r; rename the file and "
                       "its id to tell them apart", path, qs.id, qs.id)


def build_dataset(sets: Sequence[QuestionSet]) -> MemoryDataset:
    """One sample per question (Inspect epochs repeat it); ids are ``<set>/<question>``."""
    samples = []
    for qs in sets:
        for q in qs.questions:
            messages = q.text if q.system is None else [
                ChatMessageSystem(content=q.system), ChatMessageUser(content=q.text)]
            samples.append(Sample(
                id=f"{qs.id}/{q.id}", input=messages,
                metadata={"question_set": qs.id, "domain": qs.domain, "question": q.id,
                          "category": q.category, "prompt": q.text}))
    return MemoryDataset(samples, name="beliefbench-em")


def asked_sha256(sets: Sequence[QuestionSet]) -> str:
    """sha256 of what the sets ask (set ids and domains, question ids, texts and system
    prompts; not descriptions or categories), in set id order. The task records it so that
    a set edited under the same id (a reworded question, a new bundled version) makes a
    different run: the set ids alone kept such runs pooled and compared side by side."""
    asked = sorted([qs.id, qs.domain, [[q.id, q.text, q.system] for q in qs.questions]]
                   for qs in sets)
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode("utf-8")).hexdigest()
