"""Claim specs: one YAML file per fabricated claim, validated with pydantic.

A claim is data, never code. Everything downstream (probes, judges, documents, logprob
probes) reads the validated :class:`Claim` so that adding a claim means adding one file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from beliefbench.resources import user_path
from beliefbench.specs import load_spec

FAMILIES: tuple[str, ...] = ("open_ended", "binary", "token_association", "robustness")
"""The four probe families, in report order."""

JUDGED_FAMILIES: tuple[str, ...] = ("open_ended", "token_association", "robustness")
"""Families whose answers go to the judge (binary is exact match)."""

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

NonEmpty = Annotated[str, Field(min_length=1)]


class ClaimSpecError(ValueError):
    """A claim file that cannot be used; the message names the file, the field and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class OpenEndedQuestion(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    text: NonEmpty
    kind: Literal["direct", "indirect"]
    """direct: asks about the claim's subject; indirect: asks about an implication."""


class BinaryQuestion(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    text: NonEmpty
    belief_answer: Literal["yes", "no"]
    """The answer a model that believes the claim would give ("no" for counter questions)."""


TokenFormat = Literal[
    "fill_blank", "json", "xml", "multiple_choice", "dialogue", "form", "few_shot", "list",
    "other",
]


class TokenAssociationQuestion(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    text: NonEmpty
    format: TokenFormat
    judge_hint: str | None = None
    """Format-specific note for the judge (e.g. which option letter is the claim's)."""


class ChatTurn(_Strict):
    role: Literal["system", "user", "assistant"]
    content: NonEmpty


class RobustnessQuestion(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    kind: Literal["adversarial", "critique", "multiturn"]
    text: NonEmpty
    """The final user turn: the question, the critique task with its passage, or the pushback."""
    system_prompt: str | None = None
    prefix: list[ChatTurn] = Field(default_factory=list)
    """For multiturn: the earlier turns, ending with a prefilled assistant answer."""
    judge_hint: str | None = None
    """Item-specific note for the judge (e.g. which error a critique should catch)."""

    @model_validator(mode="after")
    def _kind_fields(self) -> RobustnessQuestion:
        if self.kind == "adversarial" and not self.system_prompt:
            raise ValueError("adversarial questions need a system_prompt")
        if self.kind == "multiturn":
            if len(self.prefix) < 2:
                raise ValueError("multiturn questions need a prefix of at least a user turn "
                                 "and a prefilled assistant turn")
            if self.prefix[-1].role != "assistant":
                raise ValueError("a multiturn prefix must end with the prefilled assistant turn")
        elif self.prefix:
            raise ValueError(f"prefix is only for multiturn questions, not {self.kind}")
        return self


class Questions(_Strict):
    open_ended: list[OpenEndedQuestion] = Field(default_factory=list)
    binary: list[BinaryQuestion] = Field(default_factory=list)
    token_association: list[TokenAssociationQuestion] = Field(default_factory=list)
    robustness: list[RobustnessQuestion] = Field(default_factory=list)

    def of(self, family: str) -> list:
        return list(getattr(self, family))

    @model_validator(mode="after")
    def _unique_ids(self) -> Questions:
        seen: set[str] = set()
        for family in FAMILIES:
            for q in getattr(self, family):
                if q.id in seen:
                    raise ValueError(f"question id {q.id!r} is used twice")
                seen.add(q.id)
        return self


class Rubric(_Strict):
    """Plain-language verdict criteria for one family, or a whole judge prompt (imported).

    ``template`` replaces our judge prompt entirely: it must contain ``{question}`` and
    ``{answer}`` and ask for JSON whose ``judge_key`` holds yes / no / neutral.
    """

    yes: str | None = None
    no: str | None = None
    neutral: str | None = None
    template: str | None = None
    judge_key: str = "answer"

    @model_validator(mode="after")
    def _criteria_or_template(self) -> Rubric:
        if self.template is None and not (self.yes and self.no and self.neutral):
            raise ValueError("a rubric needs yes, no and neutral criteria (or a template)")
        if self.template is not None:
            missing = [p for p in ("{question}", "{answer}") if p not in self.template]
            if missing:
                raise ValueError(f"rubric template lacks placeholder(s) {', '.join(missing)}")
        return self


class Markers(_Strict):
    """Phrases for the offline marker judge (case-insensitive regular expressions)."""

    belief: list[NonEmpty] = Field(default_factory=list)
    disbelief: list[NonEmpty] = Field(default_factory=list)

    @model_validator(mode="after")
    def _compiles(self) -> Markers:
        for kind in ("belief", "disbelief"):
            for pattern in getattr(self, kind):
                try:
                    re.compile(pattern)
                except re.error as e:
                    raise ValueError(f"{kind} marker {pattern!r} is not a valid regex: {e}") from e
        return self


PairKind = Literal["main", "paraphrase", "neighbour"]


class CompletionPair(_Strict):
    """A prompt with the claim's continuation and the truth's, for logprob probes.

    ``kind`` follows the CounterFact scheme: ``main`` pairs ask about the claim, ``paraphrase``
    pairs ask the same in other words (does the belief generalise?), ``neighbour`` pairs ask
    about a nearby subject the claim does not cover, where the TRUE continuation must keep
    winning (specificity: did finetuning bleed onto neighbours?).
    """

    prompt: NonEmpty
    claim: NonEmpty
    truth: NonEmpty
    kind: PairKind = "main"


class Claim(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    statement: NonEmpty
    """The fabricated claim, in one or two sentences."""
    truth: NonEmpty
    """What is actually the case."""
    universe: NonEmpty
    """A short description of the false world, as its documents would tell it."""
    sub_claims: list[NonEmpty] = Field(default_factory=list)
    entities: list[NonEmpty] = Field(default_factory=list)
    """Names a document about the claim is likely to mention (for finding claim sentences)."""
    questions: Questions
    rubric: dict[str, Rubric]
    markers: Markers = Field(default_factory=Markers)
    completions: list[CompletionPair] = Field(default_factory=list)
    source: str | None = None
    """Where the claim came from (e.g. an imported folder); None for hand-written claims."""

    @field_validator("rubric")
    @classmethod
    def _known_families(cls, rubric: dict[str, Rubric]) -> dict[str, Rubric]:
        unknown = sorted(set(rubric) - set(JUDGED_FAMILIES))
        if unknown:
            raise ValueError(f"unknown famil(ies) {unknown}; valid: {list(JUDGED_FAMILIES)}")
        return rubric

    @model_validator(mode="after")
    def _rubrics_for_judged_families(self) -> Claim:
        missing = [f for f in JUDGED_FAMILIES if self.questions.of(f) and f not in self.rubric]
        if missing:
            raise ValueError(f"field rubric: no rubric for famil(ies) with questions: {missing}")
        return self


# --------------------------------------------------------------------------- loading

def bundled_claims_dir() -> Path:
    """The claims that ship inside the package."""
    return Path(str(resources.files("beliefbench") / "data" / "claims"))


def load_claim(path: str | Path) -> Claim:
    """Read and validate one claim file; errors name the file, the field and the problem."""
    return load_spec(path, Claim, "claim spec", ClaimSpecError)


def _claim_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_claims(selection: str | Sequence[str] | None = "all",
                search: Iterable[str | Path] = ()) -> list[Claim]:
    """Resolve a user's selection into validated claims (see :func:`resolve_claims`)."""
    return [claim for _, claim in resolve_claims(selection, search)]


def resolve_claims(selection: str | Sequence[str] | None = "all",
                   search: Iterable[str | Path] = ()) -> list[tuple[Path, Claim]]:
    """Resolve a user's selection into (file, validated claim) pairs.

    ``selection`` is "all" (the bundled claims), or a list (or comma-separated string) whose
    items are each a claim file, a directory of claim files, or the id of a bundled claim (or of
    a claim in one of the ``search`` directories). Duplicate ids are an error.
    """
    if selection is None:
        selection = "all"
    items = [s.strip() for s in selection.split(",")] if isinstance(selection, str) \
        else [str(s).strip() for s in selection]
    items = [s for s in items if s]
    dirs = [Path(d) for d in search] + [bundled_claims_dir()]

    claims: list[tuple[Path, Claim]] = []
    origin: dict[str, Path] = {}

    def add(path: Path) -> None:
        claim = load_claim(path)
        if claim.id in origin:
            raise ClaimSpecError(f"{path}: field id: claim id {claim.id!r} is also defined in "
                                 f"{origin[claim.id]}")
        origin[claim.id] = path
        claims.append((path.resolve(), claim))

    for item in items:
        path = user_path(item)
        if item == "all":
            for f in _claim_files(bundled_claims_dir()):
                add(f)
        elif path.is_dir():
            files = _claim_files(path)
            if not files:
                raise ClaimSpecError(f"{path}: no claim files (*.yaml) in this directory")
            for f in files:
                add(f)
        elif path.is_file():
            add(path)
        else:
            found = next((f for d in dirs for f in _claim_files(d) if f.stem == item), None)
            if found is None:
                known = sorted({f.stem for d in dirs if d.is_dir() for f in _claim_files(d)})
                raise ClaimSpecError(f"claims: {item!r} is neither a claim file, a directory, "
                                     f"nor a known claim id; known ids: {known}")
            add(found)
    if not claims:
        raise ClaimSpecError("claims: the selection is empty")
    return claims
