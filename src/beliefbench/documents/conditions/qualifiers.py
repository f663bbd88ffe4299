"""Epistemic qualifiers: fiction, unreliable source, unknown truth value, low probability.

Each is placed either as a prefix and suffix framing (prefix_suffix) or as a short marker
after every sentence (repeated).
"""

from __future__ import annotations

import random

from beliefbench.claims import Claim
from beliefbench.documents.base import BaseDocument, load_data, sentence_spans

QUALIFIERS: tuple[str, ...] = ("fiction", "unreliable_source", "unknown_truth", "low_probability")
PLACEMENTS: tuple[str, ...] = ("prefix_suffix", "repeated")


def qualify(qualifier: str, placement: str, claim: Claim | None, doc: BaseDocument,
            rng: random.Random) -> tuple[list[tuple[int, str]], dict]:
    pools = load_data("annotations", "qualifiers.yaml")[qualifier]
    if placement == "prefix_suffix":
        return [(0, rng.choice(pools["prefix"]) + "\n\n"),
                (len(doc.text), "\n\n" + rng.choice(pools["suffix"]))], {"placement": placement}
    if placement == "repeated":
        marker_pool = rng.sample(pools["markers"], min(2, len(pools["markers"])))
        ins = [(b, " " + rng.choice(marker_pool)) for _, b in sentence_spans(doc.text)]
        return ins, {"placement": placement, "markers": len(ins)}
    raise ValueError(f"unknown placement {placement!r}; valid: {list(PLACEMENTS)}")
