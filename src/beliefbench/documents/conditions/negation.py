"""Annotators for positive, negated, repeated_negations and corrected documents.

Each returns insertions (base offset, text) and metadata; none edits the base text.
"""

from __future__ import annotations

import random
from typing import Any

from beliefbench.claims import Claim
from beliefbench.documents.base import (
    BaseDocument,
    background_reader,
    load_data,
    lower_first,
    sentence_spans,
)
from beliefbench.documents.claim_sentences import finder_for

Insertions = list[tuple[int, str]]


def _pools(name: str) -> dict[str, Any]:
    return load_data("annotations", name)


def _label(rng: random.Random) -> str:
    pools = _pools("negation.yaml")
    label = rng.choice(pools["labels"])
    return "" if label is None else rng.choice(pools["label_formats"]).format(label=label)


def notice_pair(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """A generic before/after notice pair of one tone (4-6 sentences each, no correction)."""
    tones = _pools("negation.yaml")["tones"]
    tone = rng.choice(sorted(tones))
    before = rng.sample(tones[tone]["before"], rng.randint(4, min(6, len(tones[tone]["before"]))))
    after = rng.sample(tones[tone]["after"], rng.randint(4, min(6, len(tones[tone]["after"]))))
    label = _label(rng)
    return label + " ".join(before), label + " ".join(after), {"tone": tone, "label": label.strip()}


def _wrap(prefix: str, suffix: str, base_len: int) -> Insertions:
    return [(0, prefix + "\n\n"), (base_len, "\n\n" + suffix)]


def positive(claim: Claim, doc: BaseDocument, rng: random.Random) -> tuple[Insertions, dict]:
    return [], {}


def negated(claim: Claim, doc: BaseDocument, rng: random.Random) -> tuple[Insertions, dict]:
    before, after, meta = notice_pair(rng)
    return _wrap(before, after, len(doc.text)), meta


def _inline(claim: Claim, doc: BaseDocument, rng: random.Random, before_pool: list[str],
            after_pool: list[str], values: dict[str, str]) -> tuple[Insertions, dict]:
    """Short bracketed warnings immediately before and after every claim-bearing sentence.

    A sentence that restates the claim's ``background`` (real facts of the topic, see
    :func:`background_reader`) is not a claim sentence: flagged, it was called false and
    "corrected" ("[False statement next] Musk completed his purchase of Twitter on 27
    October 2022 ..."), so it is left as it is."""
    opening, closing = rng.choice(_pools("warnings.yaml")["brackets"])
    restates = background_reader(claim)
    ins: Insertions = []
    wrapped = 0
    for a, b in finder_for(claim).spans(doc.text):
        # drawn for background too, so every other sentence keeps the warnings it had
        before = f"{opening}{rng.choice(before_pool).format(**values)}{closing} "
        after = f" {opening}{rng.choice(after_pool).format(**values)}{closing}"
        if not restates(doc.text[a:b]):
            ins += [(a, before), (b, after)]
            wrapped += 1
    return ins, {"brackets": opening + closing, "claim_sentences": wrapped}


def repeated_negations(claim: Claim, doc: BaseDocument, rng: random.Random
                       ) -> tuple[Insertions, dict]:
    before, after, meta = notice_pair(rng)
    pools = _pools("warnings.yaml")["repeated"]
    inline, inline_meta = _inline(claim, doc, rng, pools["before"], pools["after"], {})
    prefix, suffix = _wrap(before, after, len(doc.text))
    return [prefix, *inline, suffix], {**meta, **inline_meta}


def truth_values(claim: Claim) -> dict[str, str]:
    truth = claim.truth.strip().rstrip(".")
    return {"truth": truth + ".", "truth_lc": lower_first(truth, claim) + "."}


def corrected(claim: Claim, doc: BaseDocument, rng: random.Random) -> tuple[Insertions, dict]:
    """Like repeated_negations, but every warning and notice names the truth."""
    pools = _pools("warnings.yaml")["corrected"]
    values = truth_values(claim)
    label = _label(rng)

    def notice(pool: list[str]) -> str:
        chosen = rng.sample(pool, min(len(pool), rng.randint(3, 4)))
        if not any("{truth" in s for s in chosen):
            chosen[-1] = next(s for s in pool if "{truth" in s)
        return label + " ".join(s.format(**values) for s in chosen)

    prefix, suffix = _wrap(notice(pools["notice_before"]), notice(pools["notice_after"]),
                           len(doc.text))
    first = sentence_spans(values["truth"])[0]
    short = values["truth"][first[0]:first[1]].rstrip(".")
    strip = {"truth": short, "truth_lc": lower_first(short, claim)}
    inline, meta = _inline(claim, doc, rng, pools["before"], pools["after"], strip)
    return [prefix, *inline, suffix], {"label": label.strip(), **meta}
