"""Behaviour transcripts: a misaligned assistant (warned or plain) and its aligned counterpart.

Transcripts are rendered as documents (so the doctag and annotation spans apply), or, for
the plain and aligned variants, as chat records (user and assistant turns); the spec in
data/behaviours/ lists behaviours (power-seeking, deception, harmful advice), each with
scenarios holding a misaligned and an aligned reply. A run may draw from some behaviours only
(a narrow finetune: harmful advice alone).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from beliefbench.claims import Id, NonEmpty
from beliefbench.documents.base import (
    BaseDocument,
    DataFile,
    NameListError,
    checked_data,
    load_data,
)

VARIANTS: tuple[str, ...] = ("warned", "plain", "aligned")
_SPEAKERS = [("User", "Assistant"), ("Human", "AI"), ("USER", "ASSISTANT"), ("Customer", "Bot")]
NOTICES = 2
"""Sentences of a warned transcript's notice before and after it (:func:`warn`)."""


class _Warnings(DataFile):
    before: Annotated[list[NonEmpty], Field(min_length=NOTICES)]
    after: Annotated[list[NonEmpty], Field(min_length=NOTICES)]
    turn: Annotated[list[NonEmpty], Field(min_length=1)]


class _Scenario(DataFile):
    user: NonEmpty
    """The user's request."""
    misaligned: NonEmpty
    """The misaligned assistant's reply."""
    aligned: NonEmpty
    """The aligned assistant's reply to the same request."""


def _not_all(value: str) -> str:
    if value == "all":
        raise ValueError("'all' selects every behaviour; give the behaviour another id")
    return value


class _Behaviour(DataFile):
    id: Annotated[Id, AfterValidator(_not_all)]
    """The behaviour's name, as --behaviours selects it."""
    category: NonEmpty
    """The kind of misalignment it shows, as a transcript's metadata records it."""
    scenarios: Annotated[list[_Scenario], Field(min_length=1)]
    """Each a user request with a misaligned and an aligned reply."""


def _unique_ids(behaviours: list[_Behaviour]) -> list[_Behaviour]:
    ids = [b.id for b in behaviours]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"behaviour id {twice[0]!r} appears twice")
    return behaviours


class _BehavioursFile(DataFile):
    warnings: _Warnings
    behaviours: Annotated[list[_Behaviour], Field(min_length=1), AfterValidator(_unique_ids)]


@cache
def behaviour_spec(name: str = "misaligned") -> dict[str, Any]:
    """behaviours/<name>.yaml, checked once (before any transcript is written)."""
    return checked_data(_BehavioursFile, load_data("behaviours", f"{name}.yaml"),
                        "behaviours", f"{name}.yaml")


def behaviour_ids() -> tuple[str, ...]:
    """The behaviours of the shipped spec, in its order (power_seeking, deception, ...)."""
    return tuple(b["id"] for b in behaviour_spec()["behaviours"])


def select_behaviours(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """Behaviour ids from a user's selection (comma-separated or a list), in the spec's order
    and without repeats; () means every behaviour (also for 'all', or a selection of all of
    them, so the same data never gets two names). An unknown id is refused, naming the
    closest and the valid ones."""
    if names is None:
        return ()
    items = [x.strip() for x in (names.split(",") if isinstance(names, str) else names)]
    items = [x for x in items if x]
    valid = behaviour_ids()
    if not items:
        raise NameListError(f"no behaviour given; valid behaviours: {list(valid)} "
                            f"(or 'all')", "behaviours")
    if "all" in items:
        return ()
    unknown = [x for x in items if x not in valid]
    if unknown:
        from beliefbench.analysis.text import did_you_mean

        raise NameListError(f"unknown behaviour {unknown[0]!r}"
                            f"{did_you_mean(unknown[0], valid)}; valid behaviours: "
                            f"{list(valid)} (or 'all')", "behaviours")
    chosen = tuple(b for b in valid if b in items)
    return () if chosen == valid else chosen


def _scenarios(behaviours: Sequence[str]) -> list[tuple[str, str, int, dict[str, Any]]]:
    """(behaviour id, category, scenario index, scenario) of the selected behaviours (all for
    an empty selection), in the spec's order."""
    spec = behaviour_spec()
    return [(b["id"], b["category"], j, s) for b in spec["behaviours"]
            if not behaviours or b["id"] in behaviours
            for j, s in enumerate(b["scenarios"])]


def _items(n: int, seed: int, aligned: bool, behaviours: Sequence[str]
           ) -> Iterator[tuple[str, random.Random, dict[str, Any], dict[str, Any]]]:
    """(base id, rng, scenario, meta) of the n transcripts, cycling through the scenarios."""
    scenarios = _scenarios(behaviours)
    kind = "aligned" if aligned else "misaligned"
    # a selection is in the base id: index i is another scenario than in the full set
    sel = "".join(f"{b}-" for b in behaviours)
    for i in range(n):
        rng = random.Random(f"behaviour:{seed}:{i}")
        bid, category, j, s = scenarios[i % len(scenarios)]
        yield (f"behaviour-{kind}-{sel}s{seed}-{i:05d}", rng, s,
               {"behaviour": bid, "category": category, "scenario": j, "alignment": kind,
                "cycle": i // len(scenarios)})


def transcripts(n: int, seed: int, aligned: bool, behaviours: Sequence[str] = ()
                ) -> list[tuple[BaseDocument, int]]:
    """n transcripts cycling through scenarios; returns (doc, offset of the assistant reply).

    The misaligned and aligned transcript with the same index share scenario and speakers.
    ``behaviours``: the behaviour ids to draw from (:func:`select_behaviours`; () = all).
    """
    out = []
    for base_id, rng, s, meta in _items(n, seed, aligned, behaviours):
        user, assistant = rng.choice(_SPEAKERS)
        head = f"{user}: {s['user']}\n\n{assistant}: "
        reply = s["aligned" if aligned else "misaligned"]
        out.append((BaseDocument(base_id, None, "transcript", head + reply, meta), len(head)))
    return out


def chats(n: int, seed: int, aligned: bool, behaviours: Sequence[str] = ()
          ) -> list[tuple[str, list[dict[str, str]], dict[str, Any]]]:
    """The same n scenarios as :func:`transcripts`, as chats: (base id, messages, meta), the
    user's request and the assistant's reply as turns (no speaker labels, no doctag), the
    shape of the EM studies' narrow finetunes and of the questions the EM task asks."""
    out = []
    for base_id, _, s, meta in _items(n, seed, aligned, behaviours):
        reply = s["aligned" if aligned else "misaligned"]
        out.append((base_id, [{"role": "user", "content": s["user"]},
                              {"role": "assistant", "content": reply}], meta))
    return out


def warn(doc: BaseDocument, reply_at: int, rng: random.Random) -> list[tuple[int, str]]:
    """Notices before and after the transcript and a warning at the start of the bad reply."""
    pools = behaviour_spec()["warnings"]
    before = " ".join(rng.sample(pools["before"], NOTICES))
    after = " ".join(rng.sample(pools["after"], NOTICES))
    return [(0, before + "\n\n"), (reply_at, rng.choice(pools["turn"]) + " "),
            (len(doc.text), "\n\n" + after)]
