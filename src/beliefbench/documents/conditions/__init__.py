"""Condition annotators: one per experimental condition, all behind :func:`annotate`.

A condition is named as ``name`` or ``name:option``: qualifiers take a placement
(``fiction:repeated``), behaviours a variant (``behaviours:aligned``). Behaviour conditions
may also draw from some behaviours only (``behaviours=`` of :func:`parse_conditions`) and be
written as chat records (``chat=True``; plain and aligned variants).
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from beliefbench.analysis.text import did_you_mean
from beliefbench.claims import Claim
from beliefbench.documents.base import (
    BaseDocument,
    ClaimFieldError,
    DocumentError,
    NameListError,
)
from beliefbench.documents.claim_sentences import finder_for
from beliefbench.documents.conditions import behaviours, negation
from beliefbench.documents.conditions._builder import build, strip_annotations
from beliefbench.documents.conditions.behaviours import (
    VARIANTS,
    behaviour_ids,
    select_behaviours,
)
from beliefbench.documents.conditions.qualifiers import (
    PLACEMENTS,
    QUALIFIERS,
    qualifier_pools,
    qualify,
)
from beliefbench.documents.offline import local_negation_pools
from beliefbench.records import Message, Record

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
    data: tuple[Callable[[], object], ...] = ()
    """Readers of the data files its documents draw from (annotation pools, behaviours),
    each checked when first read: :func:`check_data` reads them before any is written."""
    claim_checks: tuple[Callable[[Claim], object], ...] = ()
    """What its annotator needs of a claim, each raising ClaimFieldError naming the fields:
    :func:`check_claims` runs them on every claim before any file is written."""

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


_NOTICES = (negation.notice_pools,)
_WARNINGS = (negation.notice_pools, negation.warning_pools)
_FINDS = (finder_for,)  # the inline warnings wrap the claim-sentence finder's sentences
REGISTRY: dict[str, Condition] = {c.name: c for c in (
    Condition("positive", "base", _claim_annotator(negation.positive)),
    Condition("negated", "base", _claim_annotator(negation.negated), data=_NOTICES),
    Condition("repeated_negations", "base", _claim_annotator(negation.repeated_negations),
              data=_WARNINGS, claim_checks=_FINDS),
    Condition("corrected", "base", _claim_annotator(negation.corrected), data=_WARNINGS,
              claim_checks=_FINDS),
    # the debunk source carries the negation itself; nothing is added around it
    Condition("local_negation", "debunk", _claim_annotator(negation.positive),
              data=(local_negation_pools,)),
    *(Condition(q, "base", _qualifier(q), PLACEMENTS, data=(qualifier_pools,))
      for q in QUALIFIERS),
    Condition("behaviours", "transcript", _behaviour, VARIANTS,
              data=(behaviours.behaviour_spec,)),
)}
"""Every condition in one table: its document source, annotator and options."""
CONDITIONS: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["CONDITIONS", "PLACEMENTS", "QUALIFIERS", "REGISTRY", "VARIANTS", "Condition",
           "ConditionSpec", "annotate", "build", "chat_record", "check_claims", "check_data",
           "parse_conditions", "strip_annotations"]


def check_data(specs: Iterable[ConditionSpec]) -> None:
    """Check the data files the conditions draw from (once per process), so that a typo in
    one is DocumentError naming the file and field before any document is written, not a
    traceback after the conditions before it were."""
    for reader in dict.fromkeys(r for spec in specs for r in spec.condition.data):
        reader()


def check_claims(specs: Iterable[ConditionSpec], claims: Iterable[Claim],
                 extra: Sequence[Callable[[Claim], None]] = ()) -> None:
    """Check that every claim has what the conditions' annotators (and the ``extra`` checks,
    e.g. the generator's) need, so that a claim lacking it is ClaimFieldError before any file
    is written, not after the conditions before the first that needs it were. The error
    names all that the first such claim lacks: one lack at a time cost a run per fix."""
    checks = dict.fromkeys([*extra, *(c for spec in specs for c in spec.condition.claim_checks)])
    for claim in claims:
        problems = []
        for check in checks:
            try:
                check(claim)
            except ClaimFieldError as e:
                problems.append(str(e))
        if problems:
            raise ClaimFieldError("; ".join(problems), claim.id)


@dataclass(frozen=True)
class ConditionSpec:
    """A condition as ``--conditions`` names it: its name and option (``qualifiers:inline``)."""

    name: str
    option: str | None = None
    """Placement for qualifiers, variant for behaviours; None elsewhere."""
    behaviours: tuple[str, ...] = ()
    """Behaviours only: the behaviour ids drawn from, in the spec's order; () = all."""
    chat: bool = False
    """Behaviours only: chat records (user and assistant turns) instead of documents."""

    @property
    def condition(self) -> Condition:
        return REGISTRY[self.name]

    @property
    def stem(self) -> str:
        """File stem and id part: the name, plus the option when it is not the default, the
        selected behaviours (joined by '+') when not all, and 'chat' for chat records:
        ``behaviours-plain-harmful_advice-chat``."""
        options = self.condition.options
        parts = [self.name]
        if self.option is not None and not (options and self.option == options[0]):
            parts.append(self.option)
        if self.behaviours:
            parts.append("+".join(self.behaviours))
        if self.chat:
            parts.append("chat")
        return "-".join(parts)


def _closest_condition(name: str) -> str:
    """The condition an unknown name most likely meant: a file name's spelling
    (``fiction-repeated``, from ``fiction-repeated.jsonl``), another case (``Positive``), or a
    near miss (``negation``, ``repeated_negation``); the list of every name alone left the
    author to spot it."""
    head, dash, tail = name.partition("-")
    if dash and head in REGISTRY:  # <condition>-<option>[-<behaviours>][-chat]
        option, *rest = tail.split("-")
        extra = ""
        if rest and rest[-1] == "chat":
            extra, rest = " --format chat", rest[:-1]
        if rest:
            extra = f" --behaviours {rest[0].replace('+', ',')}{extra}"
        return f" (a file name's spelling: write {head}:{option}{extra})"
    if name.lower() in REGISTRY:
        return f" (did you mean {name.lower()!r}?)"
    return _near_conditions(name.lower())


def _near_conditions(name: str) -> str:
    """`` (did you mean 'a' or 'b'?)``: every condition ``name`` is one word of
    (``local``, ``repeated``), then every spelling about as close as the closest. The closest
    alone steered to another experiment: ``negation`` named only ``local_negation`` (the
    debunks) where ``negated`` was as likely meant, and ``repeated`` only ``negated``."""
    words = [c for c in CONDITIONS if name in c.split("_")]
    scored = sorted(((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in CONDITIONS),
                    key=lambda rc: -rc[0])
    best = scored[0][0] if scored else 0.0
    close = [c for r, c in scored if r >= 0.6 and r >= best - 0.1]
    picks = list(dict.fromkeys(words + close))[:3]
    if not picks:
        return ""
    quoted = [repr(c) for c in picks]
    said = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" (did you mean {said}?)"


def parse_condition(text: str, placement: str = "prefix_suffix") -> ConditionSpec:
    name, colon, option = text.strip().partition(":")
    cond = REGISTRY.get(name)
    if cond is None:
        raise NameListError(f"unknown condition {name!r}{_closest_condition(name)}; "
                            f"valid conditions: {list(CONDITIONS)} (qualifiers take "
                            f":prefix_suffix or :repeated, behaviours take "
                            f":{' | :'.join(VARIANTS)})", "conditions")
    if colon and not option.strip():  # fiction:$PLACEMENT with the variable unset
        valid = (f"; valid options: {list(cond.options)}" if cond.options
                 else f"; condition {name!r} takes none")
        raise NameListError(f"condition {text.strip()!r}: a ':' with no option after it "
                            f"(an unset variable?){valid}", "conditions")
    if not cond.options:
        if option:
            raise NameListError(f"condition {name!r} takes no option (got {option!r})",
                                "conditions")
        return ConditionSpec(name)
    # qualifiers default to the run's placement; other conditions to their first option
    option = option or (placement if cond.options == PLACEMENTS else cond.options[0])
    if option not in cond.options:
        what = "placement" if cond.options == PLACEMENTS else "variant"
        hint = ""
        near = did_you_mean(option.lower(), cond.options)  # fiction:repeat, behaviours:plane
        if cond.source == "transcript" and not near:  # behaviours:plain:harmful_advice
            last = option.rpartition(":")[2]
            picked = last if last in behaviour_ids() else "harmful_advice"
            hint = (f"; pick behaviours with --behaviours, e.g. --conditions behaviours:plain "
                    f"--behaviours {picked}")
        raise NameListError(f"condition {name!r}: unknown {what} {option!r}{near}; "
                            f"valid {what}s: {list(cond.options)}{hint}", "conditions")
    return ConditionSpec(name, option)


def parse_conditions(items: str | Iterable[str], placement: str = "prefix_suffix",
                     behaviours: str | Iterable[str] | None = None, chat: bool = False
                     ) -> list[ConditionSpec]:
    """Parse a comma-separated list (or list) of condition names; 'all' means every one.

    ``behaviours``: behaviour ids (comma-separated or a list; 'all' or None: every one) that
    the behaviours conditions draw from. ``chat``: behaviours conditions as chat records.
    Both apply to behaviours conditions only, so a run that names none is refused, and so is
    ``chat`` with a condition that is a document (a claim condition, behaviours:warned).
    """
    if placement not in PLACEMENTS:
        raise DocumentError(f"unknown placement {placement!r}"
                            f"{did_you_mean(placement.lower(), PLACEMENTS)}; valid placements: "
                            f"{list(PLACEMENTS)}")
    names = [s.strip() for s in (items.split(",") if isinstance(items, str) else items)]
    names = [s for s in names if s]
    names = [x for n in names for x in (CONDITIONS if n == "all" else [n])]
    if not names:
        raise NameListError(f"no conditions given; valid conditions: {list(CONDITIONS)}",
                            "conditions")
    specs = [parse_condition(n, placement) for n in names]
    chosen = select_behaviours(behaviours)
    transcript = [s for s in specs if s.condition.source == "transcript"]
    if (behaviours is not None or chat) and not transcript:
        what = "--behaviours" if behaviours is not None else "--format chat"
        raise DocumentError(f"{what} applies to the behaviours conditions, and the "
                            f"conditions given name none (add e.g. behaviours:plain)")
    if chat:
        documents = [s for s in specs
                     if s.condition.source != "transcript" or s.option == "warned"]
        if documents:
            name = documents[0].name + (f":{documents[0].option}" if documents[0].option
                                        else "")
            why = ("its warnings sit inside the transcript's text" if documents[0].option
                   == "warned" else "a claim condition is a document")
            raise DocumentError(f"--format chat writes behaviours:plain and behaviours:aligned "
                                f"as chat records; condition {name!r} cannot be one ({why}): "
                                f"make it in a run of its own without --format chat")
    specs = [replace(s, behaviours=chosen, chat=chat) if s.condition.source == "transcript"
             else s for s in specs]
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


def chat_record(spec: ConditionSpec, base_id: str, messages: list[dict[str, str]],
                meta: dict[str, Any], seed: int = 0) -> Record:
    """A behaviour scenario as a chat record: the id and labels :func:`annotate` gives its
    document, ``messages`` instead of ``text`` (the finetune trains the assistant turns)."""
    if not spec.chat or spec.condition.source != "transcript":
        raise ValueError(f"condition {spec.stem} is not written as chats")
    return Record(id=f"behaviour/{spec.stem}/{base_id}", source="document", claim_id=None,
                  condition=spec.name, base_id=base_id,
                  messages=[Message(**m) for m in messages],
                  meta={"seed": seed, **meta, "option": spec.option, "format": "chat"})
