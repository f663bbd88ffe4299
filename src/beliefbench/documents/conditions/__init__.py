"""Condition annotators: one per experimental condition, all behind :func:`annotate`.

A condition is named as ``name`` or ``name:option``: qualifiers take a placement
(``fiction:repeated``), behaviours a variant (``behaviours:aligned``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from beliefbench.claims import Claim
from beliefbench.documents.base import BaseDocument, DocumentError
from beliefbench.documents.conditions import negation
from beliefbench.documents.conditions._builder import annotation_chars, build, strip_annotations
from beliefbench.documents.conditions.behaviours import VARIANTS
from beliefbench.documents.conditions.qualifiers import PLACEMENTS, QUALIFIERS, qualify
from beliefbench.records import Record

CONDITIONS: tuple[str, ...] = ("positive", "negated", "repeated_negations", "corrected",
                               "local_negation", *QUALIFIERS, "behaviours")

_ANNOTATORS: dict[str, Callable] = {
    "positive": negation.positive,
    "negated": negation.negated,
    "repeated_negations": negation.repeated_negations,
    "corrected": negation.corrected,
    "local_negation": negation.positive,  # the debunk base carries the negation itself
}

__all__ = ["CONDITIONS", "PLACEMENTS", "QUALIFIERS", "VARIANTS", "ConditionSpec", "annotate",
           "annotation_chars", "build", "parse_conditions", "strip_annotations"]


@dataclass(frozen=True)
class ConditionSpec:
    name: str
    option: str | None = None
    """Placement for qualifiers, variant for behaviours; None elsewhere."""

    @property
    def stem(self) -> str:
        """File stem and id part: the name, plus the option when it is not the default."""
        default = {"behaviours": "warned", **{q: "prefix_suffix" for q in QUALIFIERS}}
        if self.option is None or self.option == default.get(self.name):
            return self.name
        return f"{self.name}-{self.option}"


def parse_condition(text: str, placement: str = "prefix_suffix") -> ConditionSpec:
    name, _, option = text.strip().partition(":")
    if name not in CONDITIONS:
        raise DocumentError(f"unknown condition {name!r}; valid conditions: {list(CONDITIONS)} "
                            f"(qualifiers take :prefix_suffix or :repeated, behaviours take "
                            f":{' | :'.join(VARIANTS)})")
    if name in QUALIFIERS:
        option = option or placement
        if option not in PLACEMENTS:
            raise DocumentError(f"condition {name!r}: unknown placement {option!r}; "
                                f"valid placements: {list(PLACEMENTS)}")
    elif name == "behaviours":
        option = option or "warned"
        if option not in VARIANTS:
            raise DocumentError(f"condition 'behaviours': unknown variant {option!r}; "
                                f"valid variants: {list(VARIANTS)}")
    elif option:
        raise DocumentError(f"condition {name!r} takes no option (got {option!r})")
    return ConditionSpec(name, option or None)


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
    rng = random.Random(f"{spec.stem}:{seed}:{doc.base_id}")
    if spec.name in QUALIFIERS:
        ins, meta = qualify(spec.name, spec.option or "prefix_suffix", claim, doc, rng)
    elif spec.name == "behaviours":
        from beliefbench.documents.conditions.behaviours import warn
        if spec.option == "warned":
            if reply_at is None:
                raise ValueError("behaviours:warned needs the assistant reply offset")
            ins, meta = warn(doc, reply_at, rng), {}
        else:
            ins, meta = [], {}
    else:
        if claim is None:
            raise ValueError(f"condition {spec.name} needs a claim")
        ins, meta = _ANNOTATORS[spec.name](claim, doc, rng)
    text, spans = build(doc.text, ins)
    meta = {"genre": doc.genre, "seed": seed, **doc.meta, **meta}
    if spec.option:
        meta["option"] = spec.option
    owner = claim.id if claim is not None else "behaviour"
    return Record(id=f"{owner}/{spec.stem}/{doc.base_id}", source="document",
                  claim_id=claim.id if claim is not None else None, condition=spec.name,
                  base_id=doc.base_id, text=text, loss_mask=spans, meta=meta)
