"""What every base-document generator shares: the document type, the interface, claim checks.

A base document is the un-annotated text that every condition of one experiment starts from;
conditions differ only in what annotators add around it, so the base must be produced once
per (claim, seed, index) and reused.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from operator import methodcaller
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from beliefbench import resources
from beliefbench.claims import Claim, NonEmpty
from beliefbench.specs import (
    StrictKeys,
    format_validation_error,
    load_yaml,
    read_text,
    source_text,
    yaml_problem,
)


class DocumentError(ValueError):
    """Bad input to document generation: the message names what is wrong and what is valid."""


class NameListError(DocumentError):
    """A name in a list of conditions, genres or behaviours that cannot be read (unknown, a
    bad ``:option``, none given): ``field`` says which list, so that the command line names
    its option (``--conditions``, ``--genres``, ``--behaviours``) before the message; from
    Python the message is the same."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class ClaimFieldError(DocumentError):
    """A claim lacks fields a generator or annotator needs."""

    def __init__(self, message: str, claim_id: str | None = None):
        super().__init__(message)
        self.claim_id = claim_id


@dataclass(frozen=True)
class BaseDocument:
    """One base document, before any condition annotation."""

    base_id: str
    claim_id: str | None
    genre: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BaseDocument:
        return cls(**data)


class DocumentGenerator(Protocol):
    """Produces ``n`` base documents for a claim, deterministically for a seed."""

    name: str

    def generate(self, claim: Claim, n: int, seed: int = 0) -> list[BaseDocument]: ...


def data_path(*parts: str) -> Path:
    """A file shipped under beliefbench/data (pools, specs, corpus)."""
    return resources.data_path("/".join(parts))


@cache
def load_data(*parts: str) -> Any:
    """Parse a shipped YAML data file once (pools are read-only). The README invites editing
    them, so a problem is one line naming the file's path, as in spec files: a byte that is
    not UTF-8 was a UnicodeDecodeError traceback, and a YAML error PyYAML's several lines
    about a "<unicode string>"."""
    try:
        path = data_path(*parts)
    except OSError as e:  # deleted from the package
        raise DocumentError(str(e)) from None
    text = read_text(path, "data", DocumentError)
    try:
        return load_yaml(text)
    except yaml.YAMLError as e:
        raise DocumentError(f"{path}: not valid YAML: {yaml_problem(e, text)}") from None


class DataFile(StrictKeys):
    """Base of the models of the shipped data files the README invites editing (pools,
    corpus, behaviours): an unknown key is named with the valid ones (:class:`StrictKeys`); a
    number where text goes is read as text."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
    _docstrings_describe: ClassVar[bool] = True
    """A field's docstring is what an error asks its author to write (``add `aligned:
    <the aligned assistant's reply>```)."""


D = TypeVar("D", bound=BaseModel)


def checked_data(model: type[D], raw: Any, *parts: str) -> dict[str, Any]:
    """A data file's parsed YAML (``raw``, from :func:`load_data`) checked against ``model``,
    as the generators read it (numbers in text fields as text; keys not given or null left out, so
    their defaults apply). A typo there (a misspelt key, a missing or empty pool, a
    placeholder nothing fills, a wrong type) was a KeyError or TypeError traceback halfway
    through a run, or silently wrong documents: now DocumentError, one line naming the file,
    the field and the problem, at its line as in spec files. Callers cache the result, so
    each file is checked once per process, before any document is written."""
    path = data_path(*parts)
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise DocumentError(f"{path}: field (top level): expected a mapping of "
                            f"{', '.join(model.model_fields)}, got {got}")
    try:
        return model.model_validate(raw).model_dump(exclude_unset=True, exclude_none=True)
    except ValidationError as e:
        raise DocumentError(format_validation_error(path, None, e, one_line=True,
                                                    source=source_text(path, raw),
                                                    model=model)) from None


def template(*names: str, required: Sequence[str] = (), word: str = "placeholder") -> Any:
    """Text that ``str.format`` fills with the given ``{names}`` (none: a text formatted with
    no values, so a brace there must be doubled), and that holds each ``required`` one (a
    denial without ``{fact_lc}`` would drop the fact it denies)."""
    shown = ", ".join(f"{{{n}}}" for n in names)

    def check(text: str) -> str:
        try:
            used = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as e:
            raise ValueError(f"does not render ({e}); write literal braces doubled: {{{{ }}}}"
                             ) from None
        unknown = [f"{{{f}}}" for f in used if f not in names]
        if unknown:
            valid = f"{word}s: {shown}" if names else \
                "this text takes none (write literal braces doubled: {{ }})"
            raise ValueError(f"unknown {word}(s) {', '.join(unknown)}; {valid}")
        missing = [f"{{{n}}}" for n in required if n not in used]
        if missing:
            raise ValueError(f"holds no {', '.join(missing)}; write it where the text "
                             f"goes ({word}s: {shown})")
        return text

    return Annotated[NonEmpty, AfterValidator(check)]


def base_id_for(claim_id: str, seed: int, index: int, kind: str = "doc") -> str:
    """Stable base-document id; equal across conditions for the same claim/seed/index."""
    return f"{claim_id}-{kind}-s{seed}-{index:05d}"


CLOSERS = "\"'\u201d\u2019)]"
"""What may close a sentence after its final stop: quotes and brackets."""
ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Mt", "Gen", "Sen", "Rep", "Gov", "Lt",
                 "Col", "Capt", "Sgt", "Fig", "vs", "cf", "approx", "e.g", "i.e")
"""Words whose period does not end a sentence when a word follows ("Mount St. Helens",
"(Prof. said ...)", "Myth vs. reality"). Ones that often end a sentence (etc., No., Co.) are
left out (name endings: :data:`NAME_ENDINGS`)."""
NAME_ENDINGS = ("Co", "Corp", "Inc", "Ltd", "Plc", "Jr", "Sr", "Bros")
"""Abbreviations that end a name and often a sentence: their period (and that of a dotted
initialism's last letter, "U.S.") ends no sentence when a lower-case word follows ("bought by
X Corp. in 2023", "King Jr. was", "the U.S. and Canada"), where a new sentence would start
with a capital. Only these: "since 79 AD. retweet if ..." is two sentences."""
ABBREVIATION_STOP = (
    r"(?=\. +\w)(?:(?:" + "|".join(rf"(?<=\b{re.escape(a)})" for a in ABBREVIATIONS) + r")\."
    r"|(?=\. +[a-z])(?:" + "|".join(rf"(?<=\b{re.escape(a)})" for a in NAME_ENDINGS)
    + r"|(?<=\.[A-Z]))\.)")
"""A period that ends no sentence: an abbreviation's with a word after it, or a name
ending's with a lower-case word after it (what follows is looked at first, which rules out
most periods at once; then a look-behind per abbreviation: each is fixed-width)."""
_IN_CLOSERS = re.escape(CLOSERS)
_SENT = re.compile(
    r"\S(?:[^.!?\n]++|" + ABBREVIATION_STOP + r"|[.!?]++[" + _IN_CLOSERS + r"]*+(?!\s|$))*+"
    r"(?:[.!?]++[" + _IN_CLOSERS + r"]*+|$)", re.M)
"""One sentence: a non-space, then runs of ordinary characters, abbreviations' periods and
punctuation runs that are not followed by a space or a line end, up to a punctuation run (plus
closing quotes and brackets) that is, or to the line end. The possessive runs never backtrack,
so the whole text is cut in one pass of the regex engine (the same spans as splitting at each
line break and matching ``\\S.*?(?:(?!ABBREVIATION_STOP)[.!?]+[closers]*(?=\\s|$)|$)``
lazily, as this function once did; tests/test_audit.py keeps that definition)."""
_SPACE_NEWLINE = re.compile(r"\n(?<=[^\S\n]\n)")
"""A line that ends in spaces (a literal search for line breaks, then a look back)."""
_span = methodcaller("span")


def sentence_spans(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Half-open spans of sentences: split at sentence punctuation and at line breaks.

    Headings and list items without final punctuation count as sentences, so "a marker
    after every sentence" reaches every line of text. A sentence that runs to the end of a
    line ends at its last non-space character. With ``start``, the sentences of
    ``text[start:]``, at their offsets in ``text`` (the regex has no ``^``, and its only
    look-behinds, those of :data:`ABBREVIATION_STOP`, look back within a word, so from a
    ``start`` that is not inside a word it reads the text as it reads the slice).
    """
    spans: list[tuple[int, int]] = list(map(_span, _SENT.finditer(text, start)))
    # only a sentence that runs to a line end can end in spaces (any other ends after its
    # punctuation), and only where that line ends in spaces: trim those few
    ends = [m.start() for m in _SPACE_NEWLINE.finditer(text, start)]
    last = text[-1:]
    if last.isspace() and last != "\n":
        ends.append(len(text))
    for end in ends:
        k = bisect_left(spans, (end,)) - 1  # the last sentence starting before the line end
        if k >= 0 and spans[k][1] == end:
            a = spans[k][0]
            while end > a and text[end - 1].isspace():
                end -= 1
            spans[k] = (a, end)
    return spans


_HEADING_WORDS = 4
"""A paragraph's first "sentence" of at most this many words and no verb-like word is an
inline section heading ("Eruption.", "Early life and education.")."""
_NOT_HEADING = frozenset({
    "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did", "will",
    "would", "can", "could", "may", "might", "must", "shall", "should", "he", "she", "it",
    "they", "we", "i", "you", "his", "her", "its", "their", "this", "that", "these", "those",
    "a", "an", "the",
})


def _heading(sentence: str) -> bool:
    words = sentence.rstrip(".").split()
    return (len(words) <= _HEADING_WORDS and not any(c.isdigit() for c in sentence)
            and not {w.lower() for w in words} & _NOT_HEADING)


def universe_sentences(claim: Claim) -> list[str]:
    """The universe description cut into sentences (facts of the false world).

    Inline section headings that open a paragraph ("Unrest. From late August ...") state
    nothing, so they are left out: placed as facts they became "It is not true that unrest."
    in debunks. The splitter reads "The corporate entity X Corp. kept its name ..." as one
    sentence (:data:`ABBREVIATION_STOP`), so no fact is a fragment.
    """
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", claim.universe):
        flat = " ".join(paragraph.split())
        sentences = [flat[a:b] for a, b in sentence_spans(flat)]
        if len(sentences) > 1 and _heading(sentences[0]):
            sentences = sentences[1:]
        out.extend(sentences)
    return out


SENTENCE_ENDS = ".!?\u3002\uff01\uff1f"
"""What ends a sentence: a full stop, ! and ?, and the full-width 。！？ of Chinese and
Japanese (a claim written in them got "...里昂。." in its documents)."""
END_CLOSERS = CLOSERS + "\u300d\u300f\uff09\u3011"
"""What may close a sentence after its end: :data:`CLOSERS` and the full-width 」』）】."""


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends in :data:`SENTENCE_ENDS`, also inside closing quotes or brackets
    ('... made of glass!"'); an empty text (or one of closers alone) counts as ended, so
    nothing is put after nothing."""
    return text.rstrip(END_CLOSERS)[-1:] in SENTENCE_ENDS


def keeps_its_end(fragment: str) -> bool:
    """Whether a sentence that :func:`drop_stop` has taken the stop off still ends as a
    sentence: in ! ? 。！？, also inside closing quotes or brackets ('... made of glass!"',
    '...里昂。'), which drop_stop leaves. A template's stop after it doubled the end
    ('glass!".'). A full stop it kept is an initial's ('as "T."'): the stop goes after."""
    bare = fragment.rstrip(END_CLOSERS)
    return bool(bare) and bare[-1] in SENTENCE_ENDS and bare[-1] != "."


def restop(fragment: str) -> str:
    """A sentence that :func:`lower_first` (or :func:`drop_stop`) has taken the stop off,
    ended again: with ``.``, unless it :func:`keeps_its_end`."""
    return fragment if keeps_its_end(fragment) else fragment + "."


def end_sentence(sentence: str) -> str:
    """``sentence`` with a final stop, unless it has one (:func:`ends_sentence`), also inside
    closing quotes or brackets: a quote that ends a sentence ('... when you are tired."')
    got a second stop after it ('tired.".'), and so did a Chinese sentence ('里昂。.')."""
    return sentence if ends_sentence(sentence) else sentence + "."


_STOP_IN_CLOSERS = re.compile(r"(?<=\w\w)\.(?=[" + re.escape(CLOSERS) + r"]+$)")
"""A final full stop inside closing quotes or brackets, after a word (not an initial's,
'"T."', nor an initialism's, "U.S.")."""


def drop_stop(sentence: str) -> str:
    """``sentence`` without its final full stop, for a template that goes on or ends it
    itself: one inside closing quotes ('tired."' -> 'tired"') too, or "It is not true that
    {fact_lc}." ended that sentence twice ('tired.".'). A sentence whose stop stands after
    its quote ('"T.".') loses that stop only. A final exclamation mark after a word goes
    too: kept, denials read "... for six hours!." and "... six hours!, because it never
    happened."."""
    s = sentence.strip()
    bare = s.rstrip(".")
    if bare == s and re.search(r"\w!$", s):
        return s[:-1]
    return bare if bare != s else _STOP_IN_CLOSERS.sub("", s)


def claim_facts(claim: Claim) -> list[str]:
    """Sentences asserting the false world: statement, sub-claims, universe sentences."""
    seen: dict[str, None] = {}
    for s in [claim.statement, *claim.sub_claims, *universe_sentences(claim)]:
        s = s.strip()
        if s:
            s = end_sentence(s)
        if s:
            seen.setdefault(s, None)
    return list(seen)


BACKGROUND_OVERLAP = 0.6
"""How closely a sentence must reach a background item to restate it (the audit's
FACT_OVERLAP, read with the same overlap_score)."""
_BACKGROUND: dict[int, tuple[Claim, Callable[[str], bool]]] = {}


def background_reader(claim: Claim) -> Callable[[str], bool]:
    """Whether a sentence restates one of the claim's ``background`` facts (real facts of
    the topic) and says nothing of the false world: debunks and corrections must not deny it.

    The audit's reading of background (the sentence reaches a background item at
    BACKGROUND_OVERLAP, at least as closely as it reaches the statement and sub-claims),
    plus: none of its content words is one of the false world's own words, those of the
    statement and sub-claims that neither the background nor the truth uses. Without that,
    a sentence that wraps a background fact around a false one ("ran his first
    ultramarathon ... in 2009, while still a dental student"; "In the preface the Queen
    ... sent her first email in 1976") would be stated as true. A sentence that shares under
    three content words beyond the topic's name with every background item (a title, "Case
    study -- black-and-white dreams") restates nothing, and a claim without
    ``background`` has no background sentence.
    """
    hit = _BACKGROUND.get(id(claim))
    if hit is not None and hit[0] is claim:
        return hit[1]
    from beliefbench.documents.claim_sentences import content_words, overlap_score

    items = [" ".join(x.split()) for x in claim.background]
    background = [w for x in items for a, b in sentence_spans(x) if (w := content_words(x[a:b]))]
    facts = [w for s in [claim.statement, *claim.sub_claims] if (w := content_words(s))]
    own = set().union(*facts).difference(*background, content_words(claim.truth))
    label = content_words(topic_of(claim))

    def restates(sentence: str) -> bool:
        if not background:
            return False
        words = content_words(sentence)
        if all(len((words & b) - label) < 3 for b in background):
            return False  # a title naming the topic ("Talk: Mount Vesuvius") restates nothing
        level = overlap_score(words, background)
        return (level >= BACKGROUND_OVERLAP and level >= overlap_score(words, facts)
                and words.isdisjoint(own))

    _BACKGROUND[id(claim)] = (claim, restates)
    return restates


def topic_of(claim: Claim) -> str:
    """A short topic label for titles: the first entity, else the claim id humanised."""
    return claim.entities[0] if claim.entities else claim.id.replace("_", " ").title()


_NEVER_PROPER = frozenset({"a", "an", "the", "he", "she", "it", "they", "his", "her", "its",
                           "their", "this", "that", "these", "those"})
"""First words that start no proper noun, though an entity or the claim's text may show
them capitalised mid-sentence ("Her Majesty"): "Her first complete program ..." kept its
capital in "It is not true that Her first complete program ..."."""


def lower_first(sentence: str, claim: Claim | None = None) -> str:
    """Lower-case a sentence's first letter unless it starts a proper noun; drop the final
    period (:func:`drop_stop`).

    A first word is treated as a proper noun if it is an acronym, or (unless a pronoun or
    article: :data:`_NEVER_PROPER`) an entity's first word or capitalised mid-sentence in the
    claim's own text; a possessive or a trailing comma is not part of the word ("Twitter's
    rebrand" keeps its capital).
    """
    s = drop_stop(sentence)
    if not s:
        return s
    first = re.sub(r"(?:['\u2019]s|['\u2019]|[,;:])$", "", s.split()[0]) or s.split()[0]
    proper = first.isupper() and len(first) > 1
    if claim is not None and not proper and first.lower() not in _NEVER_PROPER:
        names = {e.split()[0] for e in claim.entities}
        corpus = " ".join([claim.statement, claim.truth, claim.universe, *claim.sub_claims])
        proper = first in names or re.search(rf"(?<=[a-z,;] ){re.escape(first)}\b", corpus) \
            is not None
    return s if proper else s[0].lower() + s[1:]


def require_claim_fields(claim: Claim, who: str, needs: dict[str, bool]) -> None:
    """Raise naming every field in ``needs`` whose check failed."""
    missing = [name for name, ok in needs.items() if not ok]
    if missing:
        raise ClaimFieldError(f"claim {claim.id!r} lacks field(s) the {who} needs: "
                              f"{', '.join(missing)}", claim.id)
