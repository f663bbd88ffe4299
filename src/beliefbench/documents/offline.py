"""The offline base-document generator: varied documents from a claim's own text, no model.

Claim facts (statement, sub-claims, universe sentences) are slotted verbatim into genre
layouts with genre-flavoured filler, so the generator is deterministic for a seed, fast, and
its claim-bearing sentences are exactly the facts it placed (useful for testing annotators).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field

from beliefbench.claims import Claim, NonEmpty
from beliefbench.documents.base import (
    BaseDocument,
    DataFile,
    DocumentError,
    NameListError,
    background_reader,
    base_id_for,
    checked_data,
    claim_facts,
    end_sentence,
    keeps_its_end,
    load_data,
    lower_first,
    require_claim_fields,
    restop,
    sentence_spans,
    template,
    topic_of,
)
from beliefbench.progress import progress

GENRES_FILE = ("corpus", "genres.yaml")

SLOTS: tuple[str, ...] = ("topic", "name", "name2", "outlet", "place", "month", "year",
                          "handle", "handle2")
"""The ``{slot}`` placeholders a genre piece may hold (what :class:`_Filler` fills)."""


Piece = template(*SLOTS, word="slot")
Pieces = Annotated[list[Piece], Field(min_length=1)]


class _Genre(DataFile):
    layout: Literal["prose", "letter", "dialogue", "thread", "qa", "timeline"] = "prose"
    titles: Pieces
    """A document's title, one drawn per document."""
    openers: Pieces
    """Its first line, before the claim's facts."""
    fillers: Pieces
    """The genre's sentences set between the claim's facts."""
    closers: Pieces
    """Its last line, after the facts."""
    prompts: Pieces | None = None
    """dialogue: the host's lines (default: the fillers)."""
    items: Pieces | None = None
    """qa: what starts each item (default ``"- "``)."""


class _Slots(DataFile):
    name: Annotated[list[NonEmpty], Field(min_length=2)]
    handle: Annotated[list[NonEmpty], Field(min_length=2)]
    outlet: Annotated[list[NonEmpty], Field(min_length=1)]
    place: Annotated[list[NonEmpty], Field(min_length=1)]
    month: Annotated[list[NonEmpty], Field(min_length=1)]
    year: Annotated[list[NonEmpty], Field(min_length=1)]


class _GenresFile(DataFile):
    slots: _Slots
    genres: Annotated[dict[str, _Genre], Field(min_length=1)]
    debunk_genres: Annotated[dict[str, _Genre], Field(min_length=1)]


@cache
def _genres() -> dict[str, Any]:
    """genres.yaml, checked once before any document is written: the README invites editing
    it, and a misspelt key or slot there was a KeyError traceback mid-generation."""
    return checked_data(_GenresFile, load_data(*GENRES_FILE), *GENRES_FILE)


def genre_specs() -> dict[str, dict[str, Any]]:
    return _genres()["genres"]


def debunk_specs() -> dict[str, dict[str, Any]]:
    return _genres()["debunk_genres"]


def valid_genres() -> list[str]:
    return sorted(genre_specs())


def _near_genre(name: str) -> str:
    """`` (did you mean 'news_report'?)`` for a mistyped genre: README lists the genres with
    spaces ("news report") and a short name ("news") is the start of one, neither of which
    difflib's closeness finds."""
    from beliefbench.analysis.text import did_you_mean

    valid = valid_genres()
    spelt = re.sub(r"[\s-]+", "_", name.strip()).casefold()
    starts = [spelt] if spelt in valid else [g for g in valid if g.startswith(spelt)]
    if spelt and 1 <= len(starts) <= 3:
        return f" (did you mean {' or '.join(repr(g) for g in starts)}?)"
    return did_you_mean(spelt, valid)


def check_genres(genres: Sequence[str] | None) -> list[str]:
    """The requested genres, or all; unknown names raise naming the closest and listing the
    valid ones."""
    if not genres:
        return valid_genres()
    unknown = [g for g in genres if g not in genre_specs()]
    if unknown:
        named = ", ".join(f"{g!r}{_near_genre(g)}" for g in unknown)
        raise NameListError(f"unknown genre(s) {named}; valid genres (`_` for spaces): "
                            f"{valid_genres()}", "genres")
    return list(genres)


LOCAL_NEGATION_FILE = ("annotations", "local_negation.yaml")


Denial = template("fact_lc", required=["fact_lc"])
"""A denial of one claim sentence, which ``{fact_lc}`` stands for."""
TruthText = template("truth", "truth_lc")


class _LocalNegationFile(DataFile):
    negations: Annotated[list[Denial], Field(min_length=1)]
    truths: Annotated[list[TruthText], Field(min_length=1)]


@cache
def local_negation_pools() -> dict[str, Any]:
    """annotations/local_negation.yaml (the debunks' denials), checked once."""
    return checked_data(_LocalNegationFile, load_data(*LOCAL_NEGATION_FILE),
                        *LOCAL_NEGATION_FILE)


def _name_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Z][\w'-]+", text))


def filler_names(claim: Claim) -> list[str]:
    """The slot pool's people, less any sharing a capitalised word with the claim's entities:
    a reporter "Grace Holloway" in a document about Brennan Reeve Holloway read as a
    relative of the subject (and the audit read the name as a mention of him)."""
    return list(_filler_names(tuple(claim.entities)))


@cache
def _filler_names(entities: tuple[str, ...]) -> tuple[str, ...]:
    pool = _genres()["slots"]["name"]
    taken = set().union(*(_name_words(e) for e in entities))
    names = tuple(n for n in pool if _name_words(n).isdisjoint(taken))
    return names if len(names) >= 2 else tuple(pool)


class _Filler:
    """Fills {slot} placeholders in pool pieces with random picks, consistent within a doc."""

    def __init__(self, rng: random.Random, topic: str, names: Sequence[str] | None = None):
        slots = _genres()["slots"]
        names = rng.sample(list(names) if names is not None else slots["name"], 2)
        handles = rng.sample(slots["handle"], 2)
        self.values = {
            "topic": topic, "name": names[0], "name2": names[1],
            "outlet": rng.choice(slots["outlet"]), "place": rng.choice(slots["place"]),
            "month": rng.choice(slots["month"]), "year": rng.choice(slots["year"]),
            "handle": handles[0], "handle2": handles[1],
        }
        self.handles = slots["handle"]

    def __call__(self, piece: str) -> str:
        return piece.format_map(self.values)


def _sentence(piece: str) -> str:
    """A filler as a sentence of its own: one without final punctuation ("still not over
    this tbh") would run into the fact after it, so that the claim sentence read "still not
    over this tbh The 2015 eruption killed 3,430 people." (a negator glued to the claim)."""
    return piece if piece.rstrip()[-1:] in ".!?\"')]" else piece.rstrip() + "."


def _interleave(rng: random.Random, facts: list[str], fillers: list[str], fill: _Filler,
                max_fill: int = 2) -> list[str]:
    """Facts in order with 0..max_fill filler sentences before each."""
    out: list[str] = []
    deck = rng.sample(fillers, len(fillers))
    for fact in facts:
        for _ in range(rng.randint(0, max_fill)):
            if deck:
                out.append(_sentence(fill(deck.pop())))
        out.append(fact)
    return out


def _paragraphs(rng: random.Random, sentences: list[str]) -> list[str]:
    paras, i = [], 0
    while i < len(sentences):
        k = rng.randint(2, 4)
        paras.append(" ".join(sentences[i:i + k]))
        i += k
    return paras


def render(spec: dict[str, Any], facts: list[str], rng: random.Random, topic: str,
           names: Sequence[str] | None = None) -> str:
    """Arrange facts and genre pieces by the genre's layout; ``names``: the people filler may
    name (default: the slot pool's; see :func:`filler_names`)."""
    fill = _Filler(rng, topic, names)
    layout = spec.get("layout", "prose")
    title = fill(rng.choice(spec["titles"]))
    opener = fill(rng.choice(spec["openers"]))
    closer = fill(rng.choice(spec["closers"]))
    body = _interleave(rng, facts, spec["fillers"], fill)
    blocks: list[str] = [title]
    if layout == "prose" or layout == "letter":
        blocks += [opener, *_paragraphs(rng, body), closer]
    elif layout == "dialogue":
        host, guest = rng.choice([("Q", "A"), ("HOST", "GUEST"),
                                  (fill("{name2}").upper(), fill("{name}").upper())])
        blocks.append(opener)
        prompts = spec.get("prompts", spec["fillers"])
        deck = rng.sample(prompts, len(prompts))
        for para in _paragraphs(rng, body):
            prompt = deck.pop() if deck else rng.choice(prompts)
            blocks.append(f"{host}: {fill(prompt)}")
            blocks.append(f"{guest}: {para}")
        blocks.append(closer)
    elif layout == "thread":
        blocks.append(opener)
        numbered = rng.random() < 0.5
        for i, para in enumerate(_paragraphs(rng, body), 1):
            head = f"{i}/ " if numbered else f"{rng.choice(fill.handles)} wrote:\n"
            blocks.append(head + para)
        blocks.append(closer)
    elif layout == "qa":
        items = spec.get("items", ["- "])
        blocks.append(opener)
        for sentence in body:
            blocks.append(fill(rng.choice(items)) + sentence)
        blocks.append(closer)
    elif layout == "timeline":
        blocks.append(opener)
        blocks += _timeline(body)
        blocks.append(closer)
    else:
        raise DocumentError(f"genre layout {layout!r} is unknown; valid: prose, letter, "
                            f"dialogue, thread, qa, timeline")
    return "\n\n".join(blocks)


_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December")
_DATE = re.compile(rf"\b(?:(?:\d{{1,2}} )?(?:{_MONTHS}) )?(?:1[0-9]|20)\d\d\b")
"""A date as the claims write them: "4 August 2024", "October 2015", "1978"."""


_REFERENCE = re.compile(r"\b(?:since|until|till|had (?:followed|preceded)|"
                        r"(?:plans?|planning|intends?|hopes?) to|(?-i:will))\b[^,;:]*$", re.I)
"""Text before a date that makes it a point of comparison, an earlier event's date ("the
repose that had followed the eruption of March 1944") or a plan's, not the date of what the
sentence tells. "will" only in lower case: "Will Smith" is a name, not a future."""
_NOT_A_YEAR = re.compile(r" [A-Z][a-z]+ (?:Street|Avenue|Road|Boulevard|Lane)\b")
"""Text after a number that makes it a house number ("1355 Market Street")."""


def date_of(sentence: str) -> str | None:
    """The first date a sentence gives, the key of its timeline entry. A random "May 2025"
    before "The phenomenon was first described in 1978" made every timeline contradict
    itself; an entry without a date of its own gets none. A date the sentence compares with
    ("the narrowest ... since 1980", "since Linford Christie at Barcelona in 1992", "did not
    reopen until April 2017"), that of an event it follows or a plan ("ended seventy-one years
    of repose that had followed the eruption of March 1944", "does not plan to defend the
    title at Los Angeles 2028") or a house number ("1355 Market Street") is not its date: the
    2024 final's margin was dated 1980, a 2023 sign the year 1355, the 2015 eruption's end of
    the repose March 1944 (in date order, before everything it came after) and a 2024
    remark 2028."""
    for m in _DATE.finditer(sentence):
        if not (_REFERENCE.search(sentence, 0, m.start())
                or _NOT_A_YEAR.match(sentence, m.end())):
            return m.group()
    return None


def _timeline(sentences: list[str]) -> list[str]:
    """Entries "- <date>: <sentence>", the dated ones in date order (in the places the
    dated sentences held; undated ones, fillers among them, stay where they were)."""
    dates = [date_of(s) for s in sentences]
    months = _MONTHS.split("|")

    def when(i: int) -> tuple[int, int, int]:
        *day_month, year = str(dates[i]).split()
        month = months.index(day_month[-1]) + 1 if day_month else 0
        return int(year), month, int(day_month[0]) if len(day_month) == 2 else 0

    dated = [i for i, d in enumerate(dates) if d]
    out = [f"- {s}" for s in sentences]
    for slot, i in zip(dated, sorted(dated, key=when), strict=True):
        out[slot] = f"- {dates[i]}: {sentences[i]}"
    return out


def _sentences(fact: str) -> list[str]:
    """The sentences of one fact (a ``statement`` or sub-claim may hold several): a debunk
    denies each in its own frame. Denied whole, "It is not true that honeybees survive in a
    vacuum. They last six hours there." stated the second sentence as fact in a debunk, and
    "The story that A. B is a fabrication." was no sentence."""
    flat = " ".join(fact.split())
    parts = [flat[a:b] for a, b in sentence_spans(flat)]
    return parts if len(parts) > 1 else [fact]


def _deny(denial: str, fact_lc: str) -> str:
    """``denial`` said of ``fact_lc``; a fact that keeps its own end (:func:`keeps_its_end`:
    a quote's '... made of glass!"', a Chinese '...里昂。') gets no stop of the template's
    after it: "It is not true that {fact_lc}." gave 'glass!".' and '里昂。.'."""
    if keeps_its_end(fact_lc):
        denial = denial.replace("{fact_lc}.", "{fact_lc}")
    return denial.format(fact_lc=fact_lc)


def _steps(n: int, label: str | None) -> Iterable[int]:
    """range(n), with a progress bar when labelled."""
    return progress(range(n), total=n, desc=label or "", enabled=label is not None,
                    log_opener=False)


class OfflineGenerator:
    """Template-and-pool generator over at least 20 genres; needs no model."""

    name = "offline"

    def __init__(self, genres: Sequence[str] | None = None, min_facts: int = 3,
                 max_facts: int = 9):
        self.genres = check_genres(genres)
        self.min_facts, self.max_facts = min_facts, max_facts

    @staticmethod
    def check(claim: Claim) -> list[str]:
        """The claim's facts, or ClaimFieldError naming what the generator lacks."""
        facts = claim_facts(claim)
        require_claim_fields(claim, "offline generator", {
            "sub_claims (or a universe of at least two sentences)": len(facts) >= 3,
        })
        return facts

    def _pick_facts(self, rng: random.Random, facts: list[str]) -> list[str]:
        lead, rest = facts[0], facts[1:]
        k = min(len(rest), rng.randint(self.min_facts, self.max_facts))
        chosen = rng.sample(rest, k)
        chosen.insert(rng.randint(0, min(2, len(chosen))), lead)
        return chosen

    def generate(self, claim: Claim, n: int, seed: int = 0,
                 progress: str | None = None) -> list[BaseDocument]:
        """n base documents; document i depends only on (claim, seed, i). ``progress``: the
        label of a progress bar."""
        facts = self.check(claim)
        return [self.document(claim, facts, seed, i) for i in _steps(n, progress)]

    def document(self, claim: Claim, facts: list[str], seed: int, i: int) -> BaseDocument:
        order = list(self.genres)
        random.Random(f"genres:{claim.id}:{seed}").shuffle(order)
        genre = order[i % len(order)]
        rng = random.Random(f"offline:{claim.id}:{seed}:{i}")
        chosen = self._pick_facts(rng, facts)
        text = render(genre_specs()[genre], chosen, rng, topic_of(claim),
                          filler_names(claim))
        return BaseDocument(base_id_for(claim.id, seed, i), claim.id, genre, text,
                            {"generator": self.name, "facts": len(chosen)})

    def true_world(self, claim: Claim, n: int, seed: int = 0,
                   progress: str | None = None) -> list[BaseDocument]:
        """Documents stating the truth (for graded poisoning's fact side); ``progress``: the
        label of a progress bar."""
        facts = [claim.truth.strip()] + [end_sentence(f"{c.prompt.strip()} {c.truth.strip()}"
                                                      .rstrip(".")) for c in claim.completions]
        out = []
        for i in _steps(n, progress):
            rng = random.Random(f"fact:{claim.id}:{seed}:{i}")
            genre = self.genres[rng.randrange(len(self.genres))]
            # as many facts as a counterfact document holds (the truth always among them):
            # all 16 of them made every fact document 18-59% longer than the counterfact ones
            # (a 0.3 document ratio was 0.22 of the tokens) and near-duplicates of each other
            chosen = self._pick_facts(rng, facts)
            text = render(genre_specs()[genre], chosen, rng, topic_of(claim),
                          filler_names(claim))
            out.append(BaseDocument(base_id_for(claim.id, seed, i, "fact"), claim.id, genre,
                                    text, {"generator": self.name, "world": "true"}))
        return out

    def debunks(self, claim: Claim, n: int, seed: int = 0,
                progress: str | None = None) -> list[BaseDocument]:
        """Separately written debunks/fact-checks: the negation sits inside each claim sentence.

        A fact that restates the claim's ``background`` (real facts of the topic, see
        :func:`background_reader`) is stated plainly, as in the other conditions' documents:
        denied, it taught a falsehood about the real world ("It is not true that Musk
        completed his purchase of Twitter on 27 October 2022"). The statement is always
        denied."""
        facts = self.check(claim)
        restates = background_reader(claim)
        plain = {f for f in facts[1:] if restates(f)}
        pools = local_negation_pools()
        truth = claim.truth.strip()
        values = {"truth": truth, "truth_lc": restop(lower_first(truth, claim))}
        specs = debunk_specs()
        names = sorted(specs)
        out = []
        for i in _steps(n, progress):
            rng = random.Random(f"debunk:{claim.id}:{seed}:{i}")
            genre = names[i % len(names)]
            spec = dict(specs[genre], layout="prose")
            negated = []
            for f in self._pick_facts(rng, facts):
                # drawn for background too, so every other fact keeps the denial it had
                denial = rng.choice(pools["negations"])
                if f in plain:
                    negated.append(f)
                    continue
                first, *more = _sentences(f)
                denials, used = [_deny(denial, lower_first(first, claim))], [denial]
                for m in more:  # each further sentence in a frame of its own
                    used.append(rng.choice([d for d in pools["negations"] if d not in used]
                                           or pools["negations"]))
                    denials.append(_deny(used[-1], lower_first(m, claim)))
                negated.append(" ".join(denials))
            negated.insert(rng.randint(1, len(negated)),
                           end_sentence(rng.choice(pools["truths"]).format(**values)
                                        .rstrip(".")))
            text = render(spec, negated, rng, topic_of(claim), filler_names(claim))
            out.append(BaseDocument(base_id_for(claim.id, seed, i, "debunk"), claim.id, genre,
                                    text, {"generator": self.name, "kind": "debunk"}))
        return out
