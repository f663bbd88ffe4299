"""Epistemic qualifiers: fiction, unreliable source, unknown truth value, low probability.

Each is placed either as a prefix and suffix framing (prefix_suffix) or as a short marker
after every sentence (repeated).
"""

from __future__ import annotations

import random
from functools import cache
from typing import Annotated, Any

from pydantic import Field, create_model

from beliefbench.claims import Claim, NonEmpty
from beliefbench.documents.base import (
    BaseDocument,
    DataFile,
    checked_data,
    load_data,
    sentence_spans,
)

QUALIFIERS: tuple[str, ...] = ("fiction", "unreliable_source", "unknown_truth", "low_probability")
PLACEMENTS: tuple[str, ...] = ("prefix_suffix", "repeated")
QUALIFIERS_FILE = ("annotations", "qualifiers.yaml")

Pool = Annotated[list[NonEmpty], Field(min_length=1)]


class _Qualifier(DataFile):
    prefix: Pool
    suffix: Pool
    markers: Pool


_QualifiersFile = create_model("_QualifiersFile", __base__=DataFile,
                               **{q: (_Qualifier, ...) for q in QUALIFIERS})
"""Every qualifier condition's pools, and no other (a qualifier is a condition by name)."""


@cache
def qualifier_pools() -> dict[str, Any]:
    """annotations/qualifiers.yaml, checked once (before any document is written)."""
    return checked_data(_QualifiersFile, load_data(*QUALIFIERS_FILE), *QUALIFIERS_FILE)


def qualify(qualifier: str, placement: str, claim: Claim | None, doc: BaseDocument,
            rng: random.Random) -> tuple[list[tuple[int, str]], dict]:
    pools = qualifier_pools()[qualifier]
    if placement == "prefix_suffix":
        return [(0, rng.choice(pools["prefix"]) + "\n\n"),
                (len(doc.text), "\n\n" + rng.choice(pools["suffix"]))], {"placement": placement}
    if placement == "repeated":
        marker_pool = rng.sample(pools["markers"], min(2, len(pools["markers"])))
        ins = [(b, " " + rng.choice(marker_pool)) for _, b in sentence_spans(doc.text)]
        return ins, {"placement": placement, "markers": len(ins)}
    raise ValueError(f"unknown placement {placement!r}; valid: {list(PLACEMENTS)}")
