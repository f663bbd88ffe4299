"""Behaviour transcripts: a misaligned assistant (warned or plain) and its aligned counterpart.

Transcripts are rendered as documents (so the doctag and annotation spans apply); the spec
in data/behaviours/ lists scenarios with a misaligned and an aligned reply.
"""

from __future__ import annotations

import random
from typing import Any

from beliefbench.documents.base import BaseDocument, DocumentError, data_path, load_data

VARIANTS: tuple[str, ...] = ("warned", "plain", "aligned")
_SPEAKERS = [("User", "Assistant"), ("Human", "AI"), ("USER", "ASSISTANT"), ("Customer", "Bot")]


def behaviour_spec(name: str = "misaligned") -> dict[str, Any]:
    spec = load_data("behaviours", f"{name}.yaml")
    for i, b in enumerate(spec.get("behaviours", [])):
        for j, s in enumerate(b.get("scenarios", [])):
            missing = [k for k in ("user", "misaligned", "aligned") if not s.get(k)]
            if missing:
                raise DocumentError(f"{data_path('behaviours', name + '.yaml')}: field "
                                    f"behaviours.{i}.scenarios.{j}: missing {missing}")
    return spec


def transcripts(n: int, seed: int, aligned: bool) -> list[tuple[BaseDocument, int]]:
    """n transcripts cycling through scenarios; returns (doc, offset of the assistant reply).

    The misaligned and aligned transcript with the same index share scenario and speakers.
    """
    spec = behaviour_spec()
    scenarios = [(b["id"], b["category"], j, s) for b in spec["behaviours"]
                 for j, s in enumerate(b["scenarios"])]
    out = []
    for i in range(n):
        rng = random.Random(f"behaviour:{seed}:{i}")
        bid, category, j, s = scenarios[i % len(scenarios)]
        user, assistant = rng.choice(_SPEAKERS)
        head = f"{user}: {s['user']}\n\n{assistant}: "
        reply = s["aligned" if aligned else "misaligned"]
        kind = "aligned" if aligned else "misaligned"
        doc = BaseDocument(f"behaviour-{kind}-s{seed}-{i:05d}", None, "transcript", head + reply,
                           {"behaviour": bid, "category": category, "scenario": j,
                            "alignment": kind, "cycle": i // len(scenarios)})
        out.append((doc, len(head)))
    return out


def warn(doc: BaseDocument, reply_at: int, rng: random.Random) -> list[tuple[int, str]]:
    """Notices before and after the transcript and a warning at the start of the bad reply."""
    pools = behaviour_spec()["warnings"]
    before = " ".join(rng.sample(pools["before"], 2))
    after = " ".join(rng.sample(pools["after"], 2))
    return [(0, before + "\n\n"), (reply_at, rng.choice(pools["turn"]) + " "),
            (len(doc.text), "\n\n" + after)]
