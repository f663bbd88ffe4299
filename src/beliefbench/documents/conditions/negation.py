"""Annotators for positive, negated, repeated_negations and corrected documents.

Each returns insertions (base offset, text) and metadata; none edits the base text.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from beliefbench.claims import Claim, NonEmpty
from beliefbench.documents.base import (
    BaseDocument,
    DataFile,
    background_reader,
    checked_data,
    end_sentence,
    load_data,
    lower_first,
    restop,
    sentence_spans,
    template,
)
from beliefbench.documents.claim_sentences import finder_for

Insertions = list[tuple[int, str]]

NOTICE_SENTENCES = 4
"""A notice holds 4-6 sentences of one tone's pool (:func:`notice_pair`)."""

Plain = template()
"""A text formatted with no values (repeated_negations' warnings): a brace must be doubled."""
Corrective = template("truth", "truth_lc")
LabelFormat = template("label", required=["label"])


class _Tone(DataFile):
    before: Annotated[list[NonEmpty], Field(min_length=NOTICE_SENTENCES)]
    after: Annotated[list[NonEmpty], Field(min_length=NOTICE_SENTENCES)]


class _NegationFile(DataFile):
    labels: Annotated[list[NonEmpty | None], Field(min_length=1)]
    """null: a notice without a label."""
    label_formats: Annotated[list[LabelFormat], Field(min_length=1)]
    tones: Annotated[dict[str, _Tone], Field(min_length=1)]


def _names_the_truth(pool: list[str]) -> list[str]:
    """corrected's notices: one sentence at least names the truth (each notice needs one)."""
    if not any("{truth" in s for s in pool):
        raise ValueError("no sentence holds {truth} or {truth_lc}; a corrected notice names "
                         "the truth")
    return pool


Pool = Annotated[list[Plain], Field(min_length=1)]
CorrectivePool = Annotated[list[Corrective], Field(min_length=1)]
NoticePool = Annotated[CorrectivePool, AfterValidator(_names_the_truth)]


class _Repeated(DataFile):
    before: Pool
    after: Pool


class _Corrected(DataFile):
    before: CorrectivePool
    after: CorrectivePool
    notice_before: NoticePool
    notice_after: NoticePool


class _WarningsFile(DataFile):
    brackets: Annotated[list[Annotated[list[str], Field(min_length=2, max_length=2)]],
                        Field(min_length=1)]
    """[opening, closing] around each inline warning."""
    repeated: _Repeated
    corrected: _Corrected


FILES: dict[str, type[DataFile]] = {"negation.yaml": _NegationFile,
                                    "warnings.yaml": _WarningsFile}


@cache
def _pools(name: str) -> dict[str, Any]:
    """annotations/<name>, checked once (before any document is written: see
    :func:`beliefbench.documents.conditions.check_data`)."""
    return checked_data(FILES[name], load_data("annotations", name), "annotations", name)


def notice_pools() -> dict[str, Any]:
    """annotations/negation.yaml: the negated notices (and every condition's labels)."""
    return _pools("negation.yaml")


def warning_pools() -> dict[str, Any]:
    """annotations/warnings.yaml: repeated_negations' and corrected's inline warnings."""
    return _pools("warnings.yaml")


def _label(rng: random.Random) -> str:
    pools = notice_pools()
    label = rng.choice(pools["labels"])
    return "" if label is None else rng.choice(pools["label_formats"]).format(label=label)


def notice_pair(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """A generic before/after notice pair of one tone (4-6 sentences each, no correction)."""
    tones = notice_pools()["tones"]
    tone = rng.choice(sorted(tones))
    before = rng.sample(tones[tone]["before"],
                        rng.randint(NOTICE_SENTENCES, min(6, len(tones[tone]["before"]))))
    after = rng.sample(tones[tone]["after"],
                       rng.randint(NOTICE_SENTENCES, min(6, len(tones[tone]["after"]))))
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
    """Short bracketed warnings immediately before and after every claim-bearing sentence
    (the finder's, and every sentence holding one of the claim's facts verbatim).

    A sentence that restates the claim's ``background`` (real facts of the topic, see
    :func:`background_reader`) is not a claim sentence: flagged, it was called false and
    "corrected" ("[False statement next] Musk completed his purchase of Twitter on 27
    October 2022 ..."), so it is left as it is."""
    opening, closing = rng.choice(warning_pools()["brackets"])
    restates = background_reader(claim)
    ins: Insertions = []
    wrapped = 0
    for a, b in finder_for(claim).spans(doc.text, placed=True):
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
    pools = warning_pools()["repeated"]
    inline, inline_meta = _inline(claim, doc, rng, pools["before"], pools["after"], {})
    prefix, suffix = _wrap(before, after, len(doc.text))
    return [prefix, *inline, suffix], {**meta, **inline_meta}


def truth_values(claim: Claim) -> dict[str, str]:
    truth = claim.truth.strip().rstrip(".")
    # a truth that keeps its own end ("!", "。") gets no second one after it
    return {"truth": end_sentence(truth), "truth_lc": restop(lower_first(truth, claim))}


def corrected(claim: Claim, doc: BaseDocument, rng: random.Random) -> tuple[Insertions, dict]:
    """Like repeated_negations, but every warning and notice names the truth."""
    pools = warning_pools()["corrected"]
    values = truth_values(claim)
    label = _label(rng)

    def notice(pool: list[str]) -> str:
        """3-4 sentences, exactly one of them naming the truth: with two, the notice said
        the same truth twice ("What actually happened: X. ... Keep the correct account in
        mind: X.")."""
        chosen = rng.sample(pool, min(len(pool), rng.randint(3, 4)))
        truths = [i for i, s in enumerate(chosen) if "{truth" in s]
        if not truths:
            chosen[-1] = next(s for s in pool if "{truth" in s)
        spare = [s for s in pool if "{truth" not in s and s not in chosen]
        for i in truths[1:]:  # another truth: a sentence the notice lacks, if any is left
            chosen[i] = spare.pop(0) if spare else ""
        return label + " ".join(s.format(**values) for s in chosen if s)

    prefix, suffix = _wrap(notice(pools["notice_before"]), notice(pools["notice_after"]),
                           len(doc.text))
    first = sentence_spans(values["truth"])[0]
    short = values["truth"][first[0]:first[1]].rstrip(".")
    strip = {"truth": short, "truth_lc": lower_first(short, claim)}
    inline, meta = _inline(claim, doc, rng, pools["before"], pools["after"], strip)
    return [prefix, *inline, suffix], {"label": label.strip(), **meta}
