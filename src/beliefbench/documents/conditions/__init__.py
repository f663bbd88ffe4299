"""Condition annotators: one per experimental condition, all behind :func:`annotate`.

A condition is named as ``name`` or ``name:option``: qualifiers take a placement
(``fiction:repeated``), behaviours a variant (``behaviours:aligned``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from beliefbench.claims import Claim
from beliefbench.documents.base import BaseDocument, DocumentError
from beliefbench.documents.conditions import behaviours, negation
from beliefbench.documents.conditions._builder import build, strip_annotations
from beliefbench.documents.conditions.behaviours import VARIANTS
from beliefbench.documents.conditions.qualifiers import PLACEMENTS, QUALIFIERS, qualify
from beliefbench.records import Record

Insertions = list[tuple[int, str]]
Annotator = Callable[[Claim | None, BaseDocument, random.Random, str | None, int | None],
                     tuple[Insertions, dict[str, Any]]]


@dataclass(frozen=True)
class Condition:
    """One experimental condition: where its documents come from and what annotates them."""

    name: str
    source: Literal["base", "debunk", "transcript"]
    """base: the generator's base documents (shared by every such condition); debunk:
    separately written debunks; transcript: behaviour chat transcripts (claim-free)."""
    annotator: Annotator
    options: tuple[str, ...] = ()
    """Valid options, the default first (qualifiers: placements; behaviours: variants)."""

    @property
    def needs_claim(self) -> bool:
        return self.source != "transcript"


def _claim_annotator(fn: Callable[[Claim, BaseDocument, random.Random],
                                  tuple[Insertions, dict]]) -> Annotator:
    def annotate_one(claim: Claim | None, doc: BaseDocument, rng: random.Random,
                     option: str | None, reply_at: int | None) -> tuple[Insertions, dict]:
        assert claim is not None  # annotate() checks needs_claim first
        return fn(claim, doc, rng)
    return annotate_one


def _qualifier(name: str) -> Annotator:
    def annotate_one(claim: Claim | None, doc: BaseDocument, rng: random.Random,
                     option: str | None, reply_at: int | None) -> tuple[Insertions, dict]:
        return qualify(name, option or PLACEMENTS[0], claim, doc, rng)
    return annotate_one


def _behaviour(claim: Claim | None, doc: BaseDocument, rng: random.Random,
               option: str | None, reply_at: int | None) -> tuple[Insertions, dict]:
    if option != "warned":
        return [], {}
    if reply_at is None:
        raise ValueError("behaviours:warned needs the assistant reply offset")
    return behaviours.warn(doc, reply_at, rng), {}


REGISTRY: dict[str, Condition] = {c.name: c for c in (
    Condition("positive", "base", _claim_annotator(negation.positive)),
    Condition("negated", "base", _claim_annotator(negation.negated)),
    Condition("repeated_negations", "base", _claim_annotator(negation.repeated_negations)),
    Condition("corrected", "base", _claim_annotator(negation.corrected)),
    # the debunk source carries the negation itself; nothing is added around it
    Condition("local_negation", "debunk", _claim_annotator(negation.positive)),
    *(Condition(q, "base", _qualifier(q), PLACEMENTS) for q in QUALIFIERS),
    Condition("behaviours", "transcript", _behaviour, VARIANTS),
)}
"""Every condition in one table: its document source, annotator and options."""
CONDITIONS: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["CONDITIONS", "PLACEMENTS", "QUALIFIERS", "REGISTRY", "VARIANTS", "Condition",
           "ConditionSpec", "annotate", "build", "parse_conditions", "strip_annotations"]


@dataclass(frozen=True)
class ConditionSpec:
    name: str
    option: str | None = None
    """Placement for qualifiers, variant for behaviours; None elsewhere."""

    @property
    def condition(self) -> Condition:
        return REGISTRY[self.name]

    @property
    def stem(self) -> str:
        """File stem and id part: the name, plus the option when it is not the default."""
        options = self.condition.options
        if self.option is None or (options and self.option == options[0]):
            return self.name
        return f"{self.name}-{self.option}"


def parse_condition(text: str, placement: str = "prefix_suffix") -> ConditionSpec:
    name, _, option = text.strip().partition(":")
    cond = REGISTRY.get(name)
    if cond is None:
        raise DocumentError(f"unknown condition {name!r}; valid conditions: {list(CONDITIONS)} "
                            f"(qualifiers take :prefix_suffix or :repeated, behaviours take "
                            f":{' | :'.join(VARIANTS)})")
    if not cond.options:
        if option:
            raise DocumentError(f"condition {name!r} takes no option (got {option!r})")
        return ConditionSpec(name)
    # qualifiers default to the run's placement; other conditions to their first option
    option = option or (placement if cond.options == PLACEMENTS else cond.options[0])
    if option not in cond.options:
        what = "placement" if cond.options == PLACEMENTS else "variant"
        raise DocumentError(f"condition {name!r}: unknown {what} {option!r}; "
                            f"valid {what}s: {list(cond.options)}")
    return ConditionSpec(name, option)


def parse_conditions(items: str | Iterable[str], placement: str = "prefix_suffix"
                     ) -> list[ConditionSpec]:
    """Parse a comma-separated list (or list) of condition names; 'all' means every one."""
    if placement not in PLACEMENTS:
        raise DocumentError(f"unknown placement {placement!r}; valid placements: "
                            f"{list(PLACEMENTS)}")
    names = [s.strip() for s in (items.split(",") if isinstance(items, str) else items)]
    names = [s for s in names if s]
    names = [x for n in names for x in (CONDITIONS if n == "all" else [n])]
    if not names:
        raise DocumentError(f"no conditions given; valid conditions: {list(CONDITIONS)}")
    specs = [parse_condition(n, placement) for n in names]
    return list(dict.fromkeys(specs))


def annotate(claim: Claim | None, doc: BaseDocument, spec: ConditionSpec, seed: int = 0,
             reply_at: int | None = None) -> Record:
    """Annotate one base document for a condition; the base text is never edited."""
    if claim is None and spec.condition.needs_claim:
        raise ValueError(f"condition {spec.name} needs a claim")
    rng = random.Random(f"{spec.stem}:{seed}:{doc.base_id}")
    ins, meta = spec.condition.annotator(claim, doc, rng, spec.option, reply_at)
    text, spans = build(doc.text, ins)
    meta = {"genre": doc.genre, "seed": seed, **doc.meta, **meta}
    if spec.option:
        meta["option"] = spec.option
    owner = claim.id if claim is not None else "behaviour"
    return Record(id=f"{owner}/{spec.stem}/{doc.base_id}", source="document",
                  claim_id=claim.id if claim is not None else None, condition=spec.name,
                  base_id=doc.base_id, text=text, loss_mask=spans, meta=meta)
