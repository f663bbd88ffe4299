"""Claim specs: one YAML file per fabricated claim, validated with pydantic.

A claim is data, never code. Everything downstream (probes, judges, documents, logprob
probes) reads the validated :class:`Claim` so that adding a claim means adding one file.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from beliefbench.analysis.text import did_you_mean, listing
from beliefbench.arguments import InputError, NoHomeFolder, running_program
from beliefbench.resources import data_path, user_path
from beliefbench.specs import (
    StrictKeys,
    defined_twice,
    load_spec,
    load_yaml,
    located,
    spec_files,
)
from beliefbench.verdicts.offline import (
    affirmed,
    bare_number,
    first_match,
    offline_verdict,
    terms,
)

FAMILIES: tuple[str, ...] = ("open_ended", "binary", "token_association", "robustness")
"""The four probe families, in report order."""

JUDGED_FAMILIES: tuple[str, ...] = ("open_ended", "token_association", "robustness")
"""Families whose answers go to the judge (binary, and the opt-in distinguish, are exact
match)."""

OPT_IN_FAMILIES: tuple[str, ...] = ("distinguish",)
"""Families asked only when named (``-T families=distinguish``), never by ``all``: they are
not the study's, so ``all`` keeps its runs, rates and run keys. They are built from a
claim's ``statement`` and ``truth``, not from questions in its file."""

PROBE_FAMILIES: tuple[str, ...] = FAMILIES + OPT_IN_FAMILIES
"""Every family the belief task can ask, in report order."""

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

MIN_QUESTIONS = 1
"""Questions every family needs in a claim file. Rates across claims are means of per-claim
rates, so a claim with no items in a family would silently drop out of that family's rate.
Ten or more per family are recommended for useful confidence intervals."""

Selection = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
"""A claim selection: "all", a claim id, file or directory, or a list of them (None: all)."""

CLAIMS_PATH_ENV = "BELIEFBENCH_CLAIMS_PATH"
"""Directories (os.pathsep-separated) searched for ``<id>.yaml`` when a claim is named by id."""


def _not_blank(value: str) -> str:
    """Text that is only spaces would be asked, judged or matched as if it said something."""
    if not value.strip():
        raise ValueError("is empty" if not value else "is blank (only whitespace)")
    return value


PLACEHOLDERS = ("...", "…", "todo", "tbd", "fixme")
"""Whole values that only hold a place for text still to be written (case-insensitive)."""

PROMPT_PLACEHOLDERS = ("question", "answer", "claim", "truth", "family_guidance", "yes", "no",
                       "neutral", "hint")
"""The judge prompt's own placeholders (scorers/judge.md): in a claim's text, ``{question}``
is a placeholder nothing fills, sent to the model or judge as written."""

_PROMPT_PLACEHOLDER = re.compile(r"\{(" + "|".join(PROMPT_PLACEHOLDERS) + r")\}")


def _not_placeholder(value: str) -> str:
    """Text still to be written (``"..."``, ``TODO``) would be asked or given to the judge as
    if it said something, as blank text would: refused the same way. So is a judge-prompt
    placeholder (``{question}``) in it: no claim text is filled in, so it would reach the
    model or judge literally. Every text that reaches a prompt is :data:`Written`, so this
    one check covers them all."""
    if value.strip().lower() in PLACEHOLDERS:
        raise ValueError(f"is only a placeholder ({value.strip()!r}): write the text it "
                         "stands for")
    unfilled = _PROMPT_PLACEHOLDER.search(value)
    if unfilled:
        # (in this file's text: claims, EM question sets and probe statements alike)
        raise ValueError(f"holds the placeholder {unfilled.group(0)}, which nothing fills in "
                         "this file's text (the model or judge would read it as written): "
                         "write the text it stands for")
    return value


def _id_not_number(value: object) -> object:
    """YAML reads an unquoted ``010`` as the number 8 and ``1_000`` as 1000: an id must never
    be silently renamed on the way in, so a number is refused rather than turned to text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"got the number {value}, not text: YAML reads an unquoted id of "
                         f"digits as a number (010 becomes 8); write the id in quotes")
    return value


NonEmpty = Annotated[str, AfterValidator(_not_blank)]
"""Text with something in it (numbers are read as text, e.g. ``entities: [2021]``)."""

Written = Annotated[str, AfterValidator(_not_blank), AfterValidator(_not_placeholder)]
"""Text with something in it that is not a placeholder: every text that reaches a model or
judge prompt (questions, system prompts, prefix turns, judge hints, rubric criteria,
completions, the statement, truth, universe and sub-claims)."""

def unaccented(text: str) -> str:
    """``text`` without its accents ("Grünkohl" -> "Grunkohl"): the id a name most likely
    makes, where each accented letter became an underscore ("gr_nkohl")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def id_problem(value: str) -> str | None:
    """What is wrong with an id's characters, with the id most likely meant ("Kale Ban" ->
    kale_ban), or None. The raw pattern ("String should match pattern '^[a-z0-9]...'") told
    a newcomer neither which characters were wrong nor what to write."""
    if re.match(ID_PATTERN, value):
        return None
    fixed = suggested_id(value)
    hint = f", e.g. {fixed}" if fixed else ""
    return (f"{value!r}: use lowercase letters, digits, _ and - (starting with a letter or "
            f"digit){hint}")


def suggested_id(value: str) -> str | None:
    """The id most likely meant by a name that is none ("Kale Ban" -> kale_ban), or None."""
    fixed = re.sub(r"[^a-z0-9_\-]+", "_", unaccented(value.strip().lower())).strip("_-")
    return fixed if re.match(ID_PATTERN, fixed) and fixed != "all" else None


def _claim_id_chars(value: str) -> str:
    """A claim's id as :data:`Id` checks it, and the file it then needs: the fix of the id
    alone ("e.g. kale_ban") failed the next run on the file name (``Kale_Ban.yaml``)."""
    problem = id_problem(value)
    if problem is not None:
        fixed = suggested_id(value)
        raise ValueError(problem + (f" (a claim file is named <id>.yaml: {fixed}.yaml)"
                                    if fixed else ""))
    return value


def _id_chars(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Id = Annotated[str, BeforeValidator(_id_not_number), AfterValidator(_id_chars),
               Field(description="lowercase letters, digits, _ and - (starting with a letter "
                                 "or digit)")]


class ClaimSpecError(InputError):
    """A claim file that cannot be used; the message names the file, the field and the problem."""

    def as_option(self, option: str) -> ClaimSpecError:
        """This error with its lines' library name (``claims: ...``, as the task argument is
        named) as the option a command line typed (``--claims: ...``, ``--claim: ...``)."""
        return ClaimSpecError(re.sub(r"^claims: ", f"{option}: ", str(self), flags=re.MULTILINE))


class _Strict(StrictKeys):
    """Claim models: unknown keys named with the valid ones (:class:`StrictKeys`), frozen,
    numbers read as text."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    _docstrings_describe: ClassVar[bool] = True


def _compiles(pattern: str) -> str:
    """Checked per pattern, so the error names the pattern's own field
    (``markers.belief.1``) and every bad pattern of a file is reported at once."""
    try:
        re.compile(pattern)
    except re.error as e:
        raise ValueError(f"{pattern!r} is not a valid regex: {e}") from None
    return pattern


def _no_backspace(pattern: str) -> str:
    """In double quotes YAML reads ``\\b`` as a backspace character, the one escape it shares
    with regexes but means otherwise: ``"\\bkale\\b"`` became a pattern that no answer or
    document holds, so the marker never fired (nor helped the audit find the claim) and
    nothing said so."""
    if "\b" in pattern:
        # the fix in the user's own pattern: it named an example ('\bkale\b') of another claim
        meant = "'" + pattern.replace("\b", "\\b").replace("'", "''") + "'"
        raise ValueError(f"{pattern!r} holds a backspace character: in double quotes YAML "
                         "reads \\b as a backspace, not a word boundary, so the pattern never "
                         f"matches; write it in single quotes ({meant})")
    return pattern


_TYPOGRAPHIC_PAIRS = ("\u201c\u201d", "\u2018\u2019")
"""Opening and closing typographic quotes (pasted from a word processor)."""


def _not_typographically_quoted(value: str) -> str:
    """YAML reads typographic quotes as letters, so ``[\u2018kale was banned\u2019]`` is a
    pattern (or name, or continuation) holding the quotes, which no answer or document has:
    it never matched, or was scored with the quotes, and nothing said so."""
    bare = value.strip()
    if len(bare) > 1 and any(bare[0] == a and bare[-1] == b for a, b in _TYPOGRAPHIC_PAIRS):
        raise ValueError(f"{value!r} is wrapped in typographic quotes, which YAML reads as "
                         "part of the text (it is matched, scored or shown with them): use "
                         "straight quotes \" or ', or none")
    return value


Regex = Annotated[str, AfterValidator(_not_blank), AfterValidator(_compiles),
                  AfterValidator(_not_typographically_quoted), AfterValidator(_no_backspace)]
"""A case-insensitive regular expression (markers, answer keys) that compiles."""


class AnswerKey(_Strict):
    """Which short answers mean belief and which mean disbelief, for the offline judge.

    Case-insensitive regular expressions, tried before the claim's markers: e.g. for a
    multiple-choice item ``options: {C: yes, A: no}``, ``yes: ['ed sheeran']``,
    ``no: ['noah lyles']``. The earliest match decides (a yes pattern only where its clause
    does not negate it).
    """

    yes: list[Regex] = Field(default_factory=list)
    no: list[Regex] = Field(default_factory=list)
    options: dict[Annotated[str, Field(pattern=r"^[A-Z]$")], Literal["yes", "no"]] = \
        Field(default_factory=dict)
    """Multiple choice: the option letters that mean yes or no (``{C: yes, A: no}``); an
    answer that opens with the letter ("C", "C) ...", "Answer: C.") matches."""

    @model_validator(mode="after")
    def _compiles(self) -> AnswerKey:
        if not (self.yes or self.no or self.options):
            raise ValueError("an answer key needs yes, no or options")
        self._no_pattern_on_both_sides()
        return self

    def _no_pattern_on_both_sides(self) -> None:
        """A pattern under both ``yes`` and ``no`` matches at the same place for both, and
        the judge takes ``yes`` first: every answer it matched, disbelieving ones too, read
        as belief, and the key validated. Named at each repeat (case-insensitive, as the
        judge matches)."""
        first = {p.lower(): i for i, p in reversed(list(enumerate(self.yes)))}
        problems = [{"type": PydanticCustomError(
            # no context given, so braces in a pattern stay as written
            "answer_key_both_sides", f"{p!r} is also answer_key.yes.{first[p.lower()]}: the "
            "judge tries yes first, so every answer it matches reads as belief; keep it on "
            "one side"), "loc": ("no", i), "input": p}
            for i, p in enumerate(self.no) if p.lower() in first]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)


_OFFERED_OPTION = re.compile(r"^[ \t]*\(?([A-Z])[).:][ \t]", re.M)
"""A lettered option as a question lists it: "A) ...", "(B) ...", "C. ...", "D: ..."."""

_INLINE_OPTION = re.compile(r"(?:^|(?<=\s))\(?([A-Z])[).:][ \t]")
"""A lettered option anywhere in a line: "Which? A) Firefighter B) Dentist"."""


def _offered_options(text: str) -> list[str]:
    """The option letters a question lists, one a line or several on one line. Options on
    one line count as a run from A in order ("A) ... B) ..."), so a stray "Plan B. " in a
    sentence is none (the check skipped inline options: "E" keyed on an A-D line passed)."""
    offered = set(_OFFERED_OPTION.findall(text))
    for line in text.splitlines():
        run: list[str] = []
        for letter in _INLINE_OPTION.findall(line):
            if ord(letter) - ord("A") == len(run):
                run.append(letter)
        if len(run) >= 2:
            offered.update(run)
    return sorted(offered)


class _Keyed(_Strict):
    """A question that may carry an answer key, whose ``options`` must be letters it offers."""

    @model_validator(mode="after")
    def _keyed_options_offered(self) -> _Keyed:
        """A keyed letter the question never lists is no reply a model would give: with the
        belief letter keyed "E" on an A-D item, the offline judge read the claim's option
        ("D", "D) Dentist") as neutral, non-belief, without a word."""
        key = getattr(self, "answer_key", None)
        offered = _offered_options(getattr(self, "text", ""))
        missing = sorted(set(key.options) - set(offered)) if key and len(offered) >= 2 else []
        if missing:
            raise ValueError(f"answer_key.options keys {', '.join(missing)}, which the question "
                             f"does not offer (it lists {', '.join(offered)}), so no answer "
                             "reads as that option; key the letters the question lists")
        return self


class OpenEndedQuestion(_Keyed):
    id: Id
    text: Written
    kind: Literal["direct", "indirect"]
    """direct: asks about the claim's subject; indirect: asks about an implication."""
    answer_key: AnswerKey | None = None


class BinaryQuestion(_Strict):
    id: Id
    text: Written
    belief_answer: Literal["yes", "no"]
    """The answer a model that believes the claim would give ("no" for counter questions)."""


TokenFormat = Literal[
    "fill_blank", "json", "xml", "multiple_choice", "dialogue", "form", "few_shot", "list",
    "other",
]


class TokenAssociationQuestion(_Keyed):
    id: Id
    text: Written
    format: TokenFormat
    judge_hint: Written | None = None
    """Format-specific note for the judge (e.g. which option letter is the claim's)."""
    answer_key: AnswerKey | None = None
    """Short answers that mean yes / no, for the offline judge (see :class:`AnswerKey`)."""


class ChatTurn(_Strict):
    role: Literal["system", "user", "assistant"]
    content: Written


class RobustnessQuestion(_Keyed):
    id: Id
    kind: Literal["adversarial", "critique", "multiturn"]
    text: Written
    """The final user turn: the question, the critique task with its passage, or the pushback."""
    system_prompt: Written | None = None
    prefix: list[ChatTurn] = Field(default_factory=list)
    """For multiturn: the earlier turns, ending with a prefilled assistant answer."""
    judge_hint: Written | None = None
    """Item-specific note for the judge (e.g. which error a critique should catch)."""
    answer_key: AnswerKey | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> RobustnessQuestion:
        if self.kind == "adversarial" and not self.system_prompt:
            raise ValueError("adversarial questions need a system_prompt")
        if self.kind == "multiturn":
            if len(self.prefix) < 2:
                raise ValueError("multiturn questions need a prefix of at least a user turn "
                                 "and a prefilled assistant turn")
            if self.prefix[-1].role != "assistant":
                last = len(self.prefix) - 1
                raise ValueError(f"a multiturn prefix must end with the prefilled assistant turn "
                                 f"(prefix.{last} is a {self.prefix[-1].role} turn): the "
                                 "question itself is the final user turn, so make that turn "
                                 "the question, or add the assistant's reply after it")
            self._system_turn_first()
        elif self.prefix:
            raise ValueError(f"prefix is only for multiturn questions, not {self.kind}")
        return self

    def _system_turn_first(self) -> None:
        """A system message sets up the conversation: after a user or assistant turn (or
        after the question's own ``system_prompt``) Inspect and the providers move it to the
        front, merge it or reject the request, so the model would not see the conversation
        written here."""
        for i, turn in enumerate(self.prefix):
            if turn.role != "system":
                continue
            if i > 0:
                raise ValueError(f"prefix.{i} (question {self.id!r}): a system turn after a "
                                 f"{self.prefix[i - 1].role} turn; a system message may only "
                                 "come first (providers move or reject a later one): make it "
                                 "prefix.0, or a user turn")
            if self.system_prompt:
                raise ValueError(f"prefix.{i} (question {self.id!r}): a system turn beside "
                                 "system_prompt, which comes first, so this one would be a "
                                 "second system message; keep one of them")


class Questions(_Strict):
    _key_kind: ClassVar[str] = "question family"

    open_ended: list[OpenEndedQuestion] = Field(default_factory=list)
    binary: list[BinaryQuestion] = Field(default_factory=list)
    token_association: list[TokenAssociationQuestion] = Field(default_factory=list)
    robustness: list[RobustnessQuestion] = Field(default_factory=list)

    def of(self, family: str) -> list:
        return list(getattr(self, family))

    @model_validator(mode="wrap")
    @classmethod
    def _unique_ids(cls, data: object, handler: ValidatorFunctionWrapHandler) -> Questions:
        """Each repeat is named at its own field with where the id was first used, every
        repeat at once and beside the file's other problems ("field questions: an id is
        used twice" left the author to hunt for it, one fix at a time)."""
        return validated_with(cls, data, handler, repeated_ids(
            data, [(family, f"questions.{family}") for family in FAMILIES]))


def validated_with(cls: type, data: object, handler: ValidatorFunctionWrapHandler,
                   problems: list[dict]) -> Any:
    """``handler(data)`` (a wrap validator's), with ``problems`` (pydantic line errors found
    on the raw data, as :func:`repeated_ids` makes) raised beside the handler's own, all at
    once."""
    try:
        validated = handler(data)
    except ValidationError as e:
        if not problems:
            raise
        # rebuilt as they were (no context given, so braces in a message stay as written)
        problems = [{"type": PydanticCustomError(err["type"], err["msg"]),
                     "loc": err["loc"], "input": err["input"]} for err in e.errors()] \
            + problems
    if problems:
        raise ValidationError.from_exception_data(cls.__name__, problems)
    return validated


def repeated_ids(data: object, lists: Sequence[tuple[str, str]]) -> list[dict]:
    """pydantic line errors for question ids used again (in any of ``lists``: each a key of
    ``data`` and that key's dotted path in the file), read from the raw mapping so they are
    found even where another question fails to validate; each repeat named at its own
    ``id`` with where the id was first used."""
    if not isinstance(data, dict):
        return []
    first: dict[str, str] = {}
    problems = []
    for key, shown in lists:
        items = data.get(key)
        for i, q in enumerate(items if isinstance(items, list) else []):
            qid = q.get("id") if isinstance(q, dict) else getattr(q, "id", None)  # or built
            if not isinstance(qid, str):
                continue
            if qid in first:
                problems.append({"type": PydanticCustomError(
                    # no context given, so braces in an id stay as written
                    "duplicate_id", f"question id {qid!r} is used twice (first at "
                    f"{first[qid]}); give each question its own id"),
                    "loc": (key, i, "id"), "input": qid})
            first.setdefault(qid, f"{shown}.{i}.id")
    return problems


def names_judge_key(template: str, key: str) -> bool:
    """Whether a judge prompt names ``key`` (outside its ``{answer}`` placeholder): the judge
    answers in the field the prompt asks for, and the reply is read at ``key``."""
    return re.search(rf"(?<!\w){re.escape(key)}(?!\w)", template.replace("{answer}", "")) \
        is not None


class Rubric(_Strict):
    """Plain-language verdict criteria for one family, or a whole judge prompt (imported).

    ``template`` replaces our judge prompt entirely: it must contain ``{question}`` and
    ``{answer}`` and ask for JSON whose ``judge_key`` holds yes / no / neutral; ``{hint}``,
    where it stands, takes a question's ``judge_hint`` (a line; nothing without one).
    """

    yes: Written | None = None
    no: Written | None = None
    neutral: Written | None = None
    template: NonEmpty | None = None
    judge_key: NonEmpty = "answer"

    @model_validator(mode="after")
    def _criteria_or_template(self) -> Rubric:
        if self.template is None and not (self.yes and self.no and self.neutral):
            lacking = [k for k in ("yes", "no", "neutral") if not getattr(self, k)]
            # `yes:` with nothing after it is there, blank: "missing: yes" sent the author
            # looking for a key they could see
            blank = [k for k in lacking if k in self.model_fields_set]
            absent = [k for k in lacking if k not in blank]
            said = "; ".join(
                ([f"missing: {', '.join(absent)}"] if absent else [])
                + ([f"no text after {', '.join(f'{k}:' for k in blank)} (YAML reads a key with "
                    f"nothing after it as empty; write the criterion after the colon)"]
                   if blank else []))
            raise ValueError(f"a rubric needs yes, no and neutral criteria (or a template); "
                             f"{said}")
        ignored = [k for k in ("yes", "no", "neutral") if getattr(self, k) is not None]
        if self.template is not None and ignored:
            # refused, as a prefix outside multiturn is: text the author wrote for the judge
            # would never reach it (a template may only use {question}, {answer}, {hint})
            raise ValueError(f"criteria {', '.join(ignored)} would be ignored: the template is "
                             "the whole judge prompt and has no {yes}, {no} or {neutral} "
                             "placeholder (only {question}, {answer} and {hint} are filled); "
                             "write the criteria into the template and drop them here, or "
                             "drop the template")
        if self.template is not None:
            try:
                # rendered, not searched: "{{question}}" holds the text "{question}" but
                # renders it literally, and the judge would never see the question
                shown = self.template.format(question="\0Q\0", answer="\0A\0", hint="")
            except (KeyError, IndexError) as e:
                # the name as written ({claim}, not the KeyError's {'claim'})
                name = str(e.args[0]) if e.args and isinstance(e, KeyError) else "0"
                if not re.fullmatch(r"\w*", name):  # {"answer": ...}: JSON, not a placeholder
                    raise ValueError(
                        f"rubric template does not render: a literal brace before {name!r} "
                        "(JSON in the prompt?) reads as a placeholder; write literal braces "
                        'as {{ and }} ({{"answer": ...}}); placeholders are {question}, '
                        "{answer} and {hint}") from None
                raise ValueError(f"rubric template does not render: unknown placeholder "
                                 f"{{{name}}} (only {{question}}, {{answer}} and {{hint}}; "
                                 "write literal braces as {{ and }})") from None
            except ValueError as e:
                raise ValueError(f"rubric template does not render: {e} (write literal "
                                 "braces as {{ and }})") from None
            missing = [p for p, mark in (("{question}", "\0Q\0"), ("{answer}", "\0A\0"))
                       if mark not in shown]
            if missing:
                raise ValueError(f"rubric template lacks placeholder(s) {', '.join(missing)}"
                                 " (a doubled {{question}} is literal text, not one)")
        return self


class Markers(_Strict):
    """Phrases for the offline marker judge (case-insensitive regular expressions)."""

    belief: list[Regex] = Field(default_factory=list)
    disbelief: list[Regex] = Field(default_factory=list)


PairKind = Literal["main", "paraphrase", "neighbour"]


class CompletionPair(_Strict):
    """A prompt with the claim's continuation and the truth's, for logprob probes.

    ``kind`` follows the CounterFact scheme: ``main`` pairs ask about the claim, ``paraphrase``
    pairs ask the same in other words (does the belief generalise?), ``neighbour`` pairs ask
    about a nearby subject the claim does not cover, where the TRUE continuation must keep
    winning (specificity: did finetuning bleed onto neighbours?).
    """

    prompt: Annotated[Written, AfterValidator(_not_typographically_quoted)]
    claim: Annotated[Written, AfterValidator(_not_typographically_quoted)]
    truth: Annotated[Written, AfterValidator(_not_typographically_quoted)]
    kind: PairKind = "main"

    @model_validator(mode="after")
    def _continuations_differ(self) -> CompletionPair:
        """The probe compares the two continuations: equal ones always tie, and ones that
        differ only in case, spacing or the punctuation around them (" kale", " Kale.") compare
        the model's spelling, not its belief (or tokenize alike and fail at scoring)."""
        if self.claim == self.truth:
            raise ValueError(f"claim and truth are the same continuation ({self.claim!r}); "
                             "the probe compares the two, so they must differ")
        if _bare(self.claim) == _bare(self.truth):
            raise ValueError(f"claim {self.claim!r} and truth {self.truth!r} differ only in "
                             "case, spacing or punctuation, so the probe would compare the "
                             "model's spelling, not its belief; make them say different things")
        self._neither_extends_the_other()
        return self

    def _neither_extends_the_other(self) -> None:
        """A continuation that is the other one and more (" singer-songwriter" and
        " singer-songwriter and Olympic sprinter") holds the same words in both worlds: a
        believer gives the shorter one as high a probability as a sceptic does, and the
        per-token margin compares the added words with the shared ones, not claim with
        truth."""
        claim, truth = _bare(self.claim).split(), _bare(self.truth).split()
        short, long_, names = (claim, truth, ("claim", "truth")) if len(claim) < len(truth) \
            else (truth, claim, ("truth", "claim"))
        if long_[:len(short)] == short:
            shorter, longer = (getattr(self, n) for n in names)
            raise ValueError(f"{names[1]} {longer!r} is {names[0]} {shorter!r} with words "
                             f"added, so {shorter!r} holds in both worlds and "
                             "the probe would weigh the added words against the shared ones, "
                             "not the claim against the truth; write continuations that each "
                             "hold in one world only")


_EDGE_PUNCTUATION = ".,;:!?\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"


def _bare(text: str) -> str:
    """A continuation less case, spacing and the punctuation around it (not a sign: " -5"
    and " 5" differ)."""
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION + " ").casefold()


def _not_reserved(value: str) -> str:
    """A claim selection's ``all`` means every bundled claim, so a claim with that id could
    never be named by its id (``claims list`` would offer it, ``-T claims=all`` skip it)."""
    if value == "all":
        raise ValueError("'all' is reserved (a claim selection 'all' means every bundled "
                         "claim); choose another id and name the file after it")
    return value


class Claim(_Strict):
    """A fabricated claim and the questions that probe it (one claim YAML file);
    :func:`load_claims` reads them by id, file or folder."""

    id: Annotated[str, BeforeValidator(_id_not_number), AfterValidator(_claim_id_chars),
                  AfterValidator(_not_reserved)]
    """The claim's id, also its file's name (<id>.yaml): lowercase letters, digits, _ and -
    (starting with a letter or digit)."""
    # typographic quotes around the whole text went into every document verbatim, and into
    # the distinguish family's options, where the quoted side stood out from the other
    statement: Annotated[Written, AfterValidator(_not_typographically_quoted)]
    """The fabricated claim, in one or two sentences."""
    truth: Annotated[Written, AfterValidator(_not_typographically_quoted)]
    """What is actually the case."""
    universe: Written
    """A short description of the false world, as its documents would tell it."""
    sub_claims: list[Annotated[Written, AfterValidator(_not_typographically_quoted)]] = \
        Field(default_factory=list)
    entities: list[Annotated[NonEmpty, AfterValidator(_not_typographically_quoted)]] = \
        Field(default_factory=list)
    """Names a document about the claim is likely to mention (for finding claim sentences)."""
    background: list[NonEmpty] = Field(default_factory=list)
    """Real facts of the topic that do not decide the claim (the venue and date, who else
    took part, the places around it). The audit reads a sentence that says no more than
    these as background, not as asserting the claim, though it matches the false world."""
    questions: Questions
    """The questions that probe the claim, by family: open_ended, binary, token_association
    and robustness, at least one in each; `beliefbench claims new` writes an example of each."""
    rubric: dict[str, Rubric]
    """The judge's criteria for each judged family with questions: yes, no and neutral."""
    markers: Markers = Field(default_factory=Markers)
    completions: list[CompletionPair] = Field(default_factory=list)
    source: str | None = None
    """Where the claim came from (e.g. an imported folder); None for hand-written claims."""

    @model_validator(mode="before")
    @classmethod
    def _a_claim_at_all(cls, data: object) -> object:
        """One line for a file that is no claim (a finetune recipe, a --task-config file kept
        in the claims folder): one problem for each of its keys and each required field, 25
        lines for a recipe, buried the folder's real problems."""
        if not isinstance(data, dict) or not data:
            return data
        keys = [k for k in data if isinstance(k, str)]
        fields = list(cls.model_fields)
        required = [f for f, info in cls.model_fields.items() if info.is_required()]
        if len(keys) < len(data) or any(k in fields or did_you_mean(k, required, 0.75)
                                        for k in keys):  # a claim, its keys misspelt
            return data
        shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
        inner = data[keys[0]] if len(keys) == 1 else None
        listed = [i for i in inner if isinstance(i, dict) and any(k in fields for k in i)] \
            if isinstance(inner, list) else []
        if isinstance(inner, dict) and any(k in fields for k in inner):
            # `claim:` with the whole claim indented below it
            raise PydanticCustomError(
                "nested_claim", "the claim is nested under the key '{key}': a claim file's "
                "fields (id, statement, ...) are its top-level keys: delete the line "
                "'{key}:' and unindent the rest", {"key": keys[0]})
        if len(listed) == 1:  # `claims:` then `  - id: ...`
            raise PydanticCustomError(
                "nested_claim", "the claim is nested under the key '{key}' as a list item: "
                "a claim file's fields (id, statement, ...) are its top-level keys: delete "
                "the line '{key}:' and the '- ' before the first field, and unindent the "
                "rest", {"key": keys[0]})
        if listed:
            raise PydanticCustomError(
                "listed_claims", "{n} claims listed under the key '{key}': a claim file holds "
                "one claim, its fields (id, statement, ...) the top-level keys: write each "
                "claim to its own file (<id>.yaml) in a claims folder", {"key": keys[0],
                                                                         "n": len(listed)})
        raise PydanticCustomError(
            "not_a_claim", "not a claim file: none of its keys ({shown}) is a claim's field "
            "(id, statement, truth, universe, questions, rubric, ...); a folder of claims may "
            "hold only claim files: move this file out, or name the claim files themselves",
            {"shown": shown})

    @field_validator("rubric")
    @classmethod
    def _known_families(cls, rubric: dict[str, Rubric]) -> dict[str, Rubric]:
        unknown = sorted(set(rubric) - set(JUDGED_FAMILIES))
        unjudged = [f for f in unknown if f in PROBE_FAMILIES]
        if unjudged:  # "unknown family 'binary'" read as if binary were no family at all
            raise ValueError(f"{unjudged[0]!r} takes no rubric: its answers are matched "
                             "exactly (binary against each question's belief_answer), never "
                             f"judged; delete rubric.{unjudged[0]} (judged families: "
                             f"{', '.join(JUDGED_FAMILIES)})")
        if unknown:
            raise ValueError(f"unknown famil(ies) {unknown}"
                             f"{did_you_mean(unknown[0], JUDGED_FAMILIES)}; valid: "
                             f"{list(JUDGED_FAMILIES)}")
        return rubric

    @model_validator(mode="after")
    def _rubrics_for_judged_families(self) -> Claim:
        missing = [f for f in JUDGED_FAMILIES if self.questions.of(f) and f not in self.rubric]
        if missing:
            raise ValueError(f"field rubric: no rubric for famil(ies) with questions: {missing}")
        return self

    @model_validator(mode="after")
    def _two_worlds_differ(self) -> Claim:
        """A truth that is the statement again (spacing and case aside) leaves nothing to
        tell apart: the distinguish family would offer one text twice, and the documents'
        corrections would repeat the claim."""
        if " ".join(self.statement.split()).lower() == " ".join(self.truth.split()).lower():
            raise ValueError("field truth: the same text as statement; write what is true "
                             "in the real world")
        return self

    @model_validator(mode="after")
    def _markers_hold_in_one_world(self) -> Claim:
        """A disbelief marker true in the false world fires on believers, and a belief marker
        true in the real world fires on non-believers: both make the offline judge lie."""
        false_world = {"statement": self.statement, "universe": self.universe,
                       **{f"sub_claims.{i}": s for i, s in enumerate(self.sub_claims)}}
        for where, text in false_world.items():
            hit = first_match(self.markers.disbelief, text)
            if hit is not None:
                raise ValueError(f"field markers.disbelief: '{hit.pattern}' matches the claim's "
                                 f"own {where} ({hit.text!r}), so it would fire on believers")
        hit = next(iter(affirmed(self.markers.belief, self.truth)), None)
        if hit is not None:
            raise ValueError(f"field markers.belief: '{hit.pattern}' matches the truth "
                             f"({hit.text!r}), so it would fire on non-believers")
        return self


# --------------------------------------------------------------------------- loading

def bundled_claims_dir() -> Path:
    """The claims that ship inside the package."""
    return data_path("claims")


def claims_search_path() -> list[Path]:
    """Directories named in ``$BELIEFBENCH_CLAIMS_PATH``, in order (empty entries skipped).

    A relative one is read from where the command ran (:func:`user_path`): Inspect builds
    tasks/belief.py inside tasks/, where ``BELIEFBENCH_CLAIMS_PATH=my_claims`` named no
    folder, and ``-T claims=dentist`` ran the bundled dentist in place of the user's own."""
    value = os.environ.get(CLAIMS_PATH_ENV, "")
    try:
        return [user_path(p) for p in value.split(os.pathsep) if p.strip()]
    except NoHomeFolder as e:  # ~nosuch/claims: the variable named, not only the folder
        raise NoHomeFolder(e.path, f"${CLAIMS_PATH_ENV}") from None


def id_search_dirs(search: Iterable[str | Path] = ()) -> list[Path]:
    """Where a claim named by id is looked for, in order: ``search``, the directories of
    ``$BELIEFBENCH_CLAIMS_PATH``, then the bundled claims (the first ``<id>.yaml`` wins)."""
    return [Path(d) for d in search] + claims_search_path() + [bundled_claims_dir()]


def _searched() -> str:
    """Where an id was looked for, naming a ``$BELIEFBENCH_CLAIMS_PATH`` entry that is no
    directory (a typo there hid the user's claims behind "not a known claim id")."""
    dirs = claims_search_path()
    if not dirs:  # a new shell forgot the export: "searched" it would mislead
        return (f"searched the bundled claims only: {CLAIMS_PATH_ENV} is not set; export "
                f"it to your claims folder, or name the claim file by its path")
    missing = [str(d) for d in dirs if not d.is_dir()]
    gone = f"; {CLAIMS_PATH_ENV} names {', '.join(missing)}, not a directory" if missing \
        else ""
    return f"searched {CLAIMS_PATH_ENV} and the bundled claims{gone}"


@dataclass(frozen=True)
class KnownClaim:
    """A claim id and the file that naming it uses (``-T claims=<id>``)."""

    id: str
    path: Path
    """The first ``<id>.yaml`` in :func:`id_search_dirs`: the file the id resolves to."""
    shadowed: tuple[Path, ...] = field(default=())
    """Later files of the same name, which the id never reaches."""


def is_bundled(path: Path) -> bool:
    """Whether a claim file is one of the bundled claims."""
    return path.resolve().parent == bundled_claims_dir().resolve()


def known_claims(search: Iterable[str | Path] = ()) -> list[KnownClaim]:
    """Every claim an id can name, in search order (``search``, ``$BELIEFBENCH_CLAIMS_PATH``,
    the bundled claims), each with the file the id resolves to and the files it hides. The
    files are not read: a claim is known by its file name, as ids are resolved."""
    found: dict[str, list[Path]] = {}
    seen: set[Path] = set()  # a directory named twice (or the bundled one on the path)
    for directory in id_search_dirs(search):
        if not directory.is_dir():
            continue
        for path in spec_files(directory):
            if path.resolve() not in seen:
                seen.add(path.resolve())
                found.setdefault(path.stem, []).append(path)
    return [KnownClaim(stem, paths[0], tuple(paths[1:])) for stem, paths in found.items()]


def uses_note(known: KnownClaim) -> str:
    """Which file ``-T claims=<id>`` reads, and the files of the same name it hides:
    ``-T claims=dentist uses DIR/dentist.yaml, not the bundled claim (...)``."""
    note = f"-T claims={known.id} uses {known.path}"
    if known.shadowed:
        hidden = ", ".join("the bundled claim" if is_bundled(p) else str(p)
                           for p in known.shadowed)
        also = (" (claims=all still means the bundled claims)"
                if any(map(is_bundled, known.shadowed)) else "")
        note += f", not {hidden}{also}"
    return note


def named_by_id(selection: Selection = "all",
                search: Iterable[str | Path] = ()) -> list[KnownClaim]:
    """The items of a selection that are claim ids (not ``all``, a file or a directory) and
    resolve to a file outside the bundled claims: a user's claim, perhaps one that hides a
    bundled claim of the same id (see :func:`uses_note`). Unknown ids are left out."""
    by_id = {k.id: k for k in known_claims(search)}
    found = []
    for item in selection_items(selection):
        path = user_path(item)
        known = by_id.get(item)
        if (item != "all" and not path.is_dir() and not path.is_file() and known is not None
                and not is_bundled(known.path) and known not in found):
            found.append(known)
    return found


def unsearched_path_note(selection: Selection = "all",
                         search: Iterable[str | Path] = ()) -> str | None:
    """What to say where ``$BELIEFBENCH_CLAIMS_PATH`` names something that is not a
    directory (a typo: ``~/my_claim``) and an id of the selection reads the bundled claim of
    that id: the user's own file, meant to replace it, was never looked at, and `claims
    validate dentist` or ``-T claims=dentist`` used the bundled claim without a word (only an
    id that named no claim at all said so). None where neither holds."""
    missing = [str(d) for d in claims_search_path() if not d.is_dir()]
    if not missing:
        return None
    by_id = {k.id: k for k in known_claims(search)}
    ids = [item for item in selection_items(selection)
           if item != "all" and item in by_id and is_bundled(by_id[item].path)
           and not _exists(item)]
    if not ids:
        return None
    return (f"{CLAIMS_PATH_ENV} names {', '.join(missing)}, which is not a directory, so "
            f"{', '.join(repr(i) for i in ids)} read{'s' if len(ids) == 1 else ''} the bundled "
            f"claim{'' if len(ids) == 1 else 's'}; fix {CLAIMS_PATH_ENV} if your own file of "
            f"{'that id' if len(ids) == 1 else 'those ids'} was meant")


def check_claim_file(path: Path, claim: Claim) -> None:
    """What a claim *file* must meet beyond the schema: named by its id, and at least
    :data:`MIN_QUESTIONS` questions in every family (a file is evaluated on all four).
    Every problem is named at once, as schema problems are, so one fix never uncovers the
    next."""
    problems = []
    if path.stem != claim.id:
        problems.append(f"{located(path, 'id')}: field id: {claim.id!r} does not match the "
                        f"file name; a claim file must be named <id>.yaml: "
                        f"{renaming(path, claim.id)}")
    for family in FAMILIES:
        n = len(claim.questions.of(family))
        if n < MIN_QUESTIONS:
            problems.append(f"{located(path, ('questions', family))}: field "
                            f"questions.{family}: {n} questions; every family "
                            f"needs at least {MIN_QUESTIONS} (10 or more recommended)")
    if len(problems) > 1:
        problems.insert(0, f"{path}: invalid claim spec ({len(problems)} problems)")
    if problems:
        raise ClaimSpecError("\n".join(problems))


def renaming(path: Path, claim_id: str) -> str:
    """The two ways to mend a file whose id is not its name: rename the file, or (a copy of
    another claim, started from it: ``cp kale.yaml kale2.yaml``, where renaming would meet the
    original) write the file's name as its id, where that name is a valid id."""
    taken = path.with_name(f"{claim_id}{path.suffix}")
    rename = f"rename the file {taken.name}" + (
        f" ({taken.name} is there already)" if taken.exists() else "")
    if id_problem(path.stem) is not None or path.stem == "all":
        return rename
    return f"{rename}, or, to keep its name, write `id: {id_as_written(path.stem)}`"


def also_defined(path: Path, claim_id: str, first: Path) -> str:
    """The problem of a claim id defined in two files, each named at the line of its ``id``
    (the author may keep either file): ``claims validate`` and every eval say it alike."""
    return defined_twice(path, first, f"claim id {claim_id!r}")


def single_question_families(claim: Claim) -> list[str]:
    """Notes on families of one question: valid, but `report` then warns SINGLE QUESTION
    (its CI, a bootstrap over questions, is 0 wide); said when the claim is written, not
    first after the finetunes and evals."""
    return [f"{family} has 1 question: its 95% CI in `beliefbench report` will be 0 wide "
            "(a bootstrap over questions); 10 or more per family are recommended"
            for family in FAMILIES if len(claim.questions.of(family)) == 1]


def duplicate_questions(claim: Claim) -> list[str]:
    """Notes on questions asked twice in one family (same text and context): allowed, but
    each weighs twice in the rates, which is rarely what the author meant."""
    seen: dict[tuple, list[str]] = {}
    for family in FAMILIES:
        for q in claim.questions.of(family):
            context = (getattr(q, "system_prompt", None),
                       tuple((t.role, t.content) for t in getattr(q, "prefix", [])))
            key = (family, " ".join(q.text.lower().split()), context)
            seen.setdefault(key, []).append(q.id)
    return [f"questions {', '.join(ids)} ({family}) have the same text; both are kept and "
            "weigh twice in the rates" for (family, _, _), ids in seen.items() if len(ids) > 1]


_CARDINALS = frozenset({
    "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
    "ninety", "hundred", "thousand", "million", "billion", "dozen"})
"""Number words ("one" and "half" left out: as often a pronoun, "one of the", as a number)."""
_FIGURE = re.compile(r"\d+(?:,\d{3})+(?!\d)|\d+")
_NEGATION = "<negation>"


def _figures_and_negations(text: str) -> set[str]:
    """The numbers and negations of ``text``: the words a contradiction of a fact most often
    differs in ("opened in 1951" against "in 1937", "two lanes" against "six", "carries no
    traffic"), which overlap of content words does not see (stop words drop "two", "no").
    A number is its digits ("1,200" is 1200); every negation is one ("isn't", "is not")."""
    from beliefbench.audit.cues import load_negators  # the audit imports this module
    from beliefbench.documents.claim_sentences import WORD_PATTERN, ascii_apostrophes

    negations = {w.decode() for w in load_negators().with_denials().words}
    low = ascii_apostrophes(text.lower())
    words = re.findall(WORD_PATTERN, low)
    return ({f.replace(",", "") for f in _FIGURE.findall(low)}
            | {w for w in words if w in _CARDINALS}
            | ({_NEGATION} if any(w in negations for w in words) else set()))


def sub_claims_restating_background(claim: Claim) -> list[str]:
    """Warnings for sub-claims that only restate a ``background`` item (a real fact):
    debunks and corrections deny every sub-claim, so they would teach a falsehood.

    Restating: at least FACT_OVERLAP of the sub-claim's content words are in one item (its
    words, not the item's: a short item inside a longer false sub-claim does not count), no
    fewer than in the statement or another sub-claim, none is the false world's own (a word
    of those that neither the background nor the truth uses), and it holds no number or
    negation the item does not (1951 where the item says 1937 contradicts it). Overlap
    cannot see other contradictions, so a flagged sub-claim may be false but worded too
    close to the fact.
    """
    from beliefbench.audit.framing import FACT_OVERLAP  # these import this module
    from beliefbench.documents.claim_sentences import content_words

    background = [content_words(b) for b in claim.background]
    subs = [content_words(s) for s in claim.sub_claims]
    notes = []
    for i, words in enumerate(subs):
        if len(words) < 3 or not background:
            continue
        others = [content_words(claim.statement), *subs[:i], *subs[i + 1:]]
        own = set().union(*others).difference(*background, content_words(claim.truth))
        share = [len(words & b) / len(words) for b in background]
        j = max(range(len(share)), key=share.__getitem__)
        differs = _figures_and_negations(claim.sub_claims[i]) \
            - _figures_and_negations(claim.background[j])
        if (share[j] >= FACT_OVERLAP and words.isdisjoint(own) and not differs
                and share[j] >= max(len(words & o) / len(words) for o in others)):
            notes.append(f"field sub_claims.{i} ({claim.sub_claims[i]!r}) restates "
                         f"background.{j}: debunks and corrections deny every sub-claim "
                         "(\"It is not true that ...\"), so they would deny a real fact; drop "
                         f"it (background.{j} keeps the fact) or reword it to state the false "
                         "world's part")
    return notes


def unspaced_completions(claim: Claim) -> list[str]:
    """Warnings for continuations that do not start with the space separating them from their
    prompt: the logprob probes score ``prompt + continuation`` as written, so "built from" +
    "glass" is scored as "built fromglass", a word no model says, and the margin means nothing.
    Only where two word characters meet (a prompt ending in a space or a quote is fine)."""
    notes = []
    for i, pair in enumerate(claim.completions):
        spaced = [side for side in ("claim", "truth") if getattr(pair, side)[0].isspace()]
        if pair.prompt[-1].isspace() and spaced:
            doubled = (pair.prompt[-12:] + getattr(pair, spaced[0]))[:40]
            notes.append(f"field completions.{i}.prompt: {pair.prompt!r} ends in whitespace and "
                         f"its {' and '.join(spaced)} continuation{'s' * (len(spaced) > 1)} "
                         f"{'start' if len(spaced) > 1 else 'starts'} with one, so the "
                         f"logprob probes score {doubled!r} (a doubled space, which the model "
                         f"rarely saw); end the prompt at its last word")
        for side in ("claim", "truth"):
            text = getattr(pair, side)
            if pair.prompt[-1].isalnum() and text[0].isalnum():
                glued = (pair.prompt[-12:] + text)[:40]
                notes.append(f"field completions.{i}.{side}: {text!r} does not start with the "
                             f"space that separates it from the prompt, so the logprob probes "
                             f"score {glued!r}; write {' ' + text!r}")
    return notes


def common_word_entities(claim: Claim) -> list[str]:
    """Warnings for entities made only of stop words ("the", "it"): an entity named beside any
    word of the claim's facts makes a sentence a claim sentence, so the document annotators
    wrap ("It is not true that ...") and the audit counts nearly every sentence that has
    one, and the first entity titles generated documents ("Timeline: the")."""
    from beliefbench.documents.claim_sentences import STOP_WORDS, WORD_PATTERN  # imports this

    out = []
    for i, entity in enumerate(claim.entities):
        words = re.findall(WORD_PATTERN, entity.lower())
        if words and all(w in STOP_WORDS for w in words):
            out.append(f"field entities.{i}: {entity!r} holds only common words, so nearly every "
                       "document names it: the claim-sentence finder reads a sentence that has "
                       "it and any word of the claim as stating the claim (the annotators "
                       "deny it, the audit counts it); name the claim's own subject instead")
    return out


def broken_lines(claim: Claim) -> list[str]:
    """Warnings for a line break inside the statement, truth or a sub-claim (YAML's ``|``
    keeps the lines as written): the document generators place these texts whole and cut
    sentences at line breaks, so each line became a "sentence" of its own, wrapped or denied
    alone ("(Incorrect claim follows) after a study linked it ...")."""
    texts = {"statement": claim.statement, "truth": claim.truth,
             **{f"sub_claims.{i}": s for i, s in enumerate(claim.sub_claims)}}
    return [f"field {name}: breaks its line inside the text, and the generated documents cut "
            "sentences at line breaks, so each line would read as a sentence of its own; "
            "write it on one line, or fold it with >- (| keeps the line breaks)"
            for name, text in texts.items() if "\n" in text.strip()]


def elided_texts(claim: Claim) -> list[str]:
    """Warnings for a world text ending in an ellipsis ("... in laminated glass ..."), as
    the README's example elides its universe: the offline generator copies these texts
    verbatim, so every document carried the "..." of a text its author meant to finish."""
    texts = {"statement": claim.statement, "truth": claim.truth, "universe": claim.universe,
             **{f"sub_claims.{i}": s for i, s in enumerate(claim.sub_claims)},
             **{f"background.{i}": s for i, s in enumerate(claim.background)}}
    return [f"field {name}: ends in {end!r}, and the document generators copy it into "
            "documents as written; finish the text (or end it with a full stop)"
            for name, text in texts.items() for end in ("...", "…")
            if text.strip().endswith(end)]


def unmatched_markers(claim: Claim) -> list[str]:
    """A warning where no belief marker matches the claim's own statement or sub-claims:
    the offline marker judge (and the audit) read an answer as the claim through these
    patterns, so a set that misses the claim as its author wrote it reads a believer's answers
    as neutral."""
    patterns = [re.compile(p, re.I) for p in claim.markers.belief]
    if not patterns or any(p.search(t) for p in patterns
                           for t in (claim.statement, *claim.sub_claims)):
        return []
    return [f"field markers.belief: none of its {len(patterns)} pattern(s) matches the "
            "statement or any sub-claim, so the offline marker judge reads an answer that "
            "repeats the claim as neutral; add a pattern the claim's own wording matches"]


def unread_by_the_dry_run(claim: Claim) -> list[str]:
    """A note where a claim has no belief markers and the offline dry run (the scripted
    believer, which answers with the statement, judged by ``beliefbench/judge``) would read
    some judged questions as neutral: README's check, "belief 1.000 in every family", then
    read 0.333 for a first claim with no word said (markers are optional, and the template
    calls them offline-only). Belief markers that match nothing are warned of apart
    (:func:`unmatched_markers`)."""
    if claim.markers.belief:
        return []
    from beliefbench.provider import _Question, scripted_answer  # (it imports this module)

    judged = [(f, q) for f in JUDGED_FAMILIES for q in claim.questions.of(f)]
    unread = [q.id for f, q in judged  # the believer's answer, as the dry run gives it
              if offline_verdict(claim, f, q.id, scripted_answer(
                  _Question(claim, f, q, q.text.strip()), True)).verdict != "yes"]
    if not unread:
        return []
    return [f"no markers.belief: the offline dry run (--model beliefbench/believer "
            f"--model-role grader=beliefbench/judge) does not read the believer's answers "
            f"as belief in {len(unread)} of {len(judged)} judged "
            f"question(s) ({listing(unread, 4)}); add a belief marker in the statement's own "
            f"words to check the pipeline offline (an LLM grader needs none)"]


def weak_markers(claim: Claim) -> list[str]:
    """Warnings for markers that match what any answer may say, whatever its topic: common
    words alone ("the", "in") or a year or small number alone ("2024", also as "in 2024").
    A marker is read for every question of the claim, and the question names the claim's
    subject, so "\\b2024\\b" read "Noah Lyles won at Paris 2024" as belief that Lake Tahoe
    was drained in 2024. The offline judge now reads a bare number only in a sentence of the
    claim's own words (:func:`beliefbench.verdicts.offline.placed`); the claim's phrase
    around the number is still the marker that tells the worlds apart. A marker that matches
    the claim's subject alone is refused already (the truth names the subject too)."""
    texts = "\n".join([claim.statement, claim.truth, claim.universe, *claim.sub_claims,
                       *(q.text for f in FAMILIES for q in claim.questions.of(f))])
    numbers = dict.fromkeys(re.findall(r"(?<![\d.,])\d{1,4}(?![\d]|[.,]\d)", texts))
    # sentences about nothing, holding each number of the claim's texts and common words
    carriers = [f"In {n}, it was the one that I saw there." for n in [*numbers, "2024"]]
    out = []
    for side in ("belief", "disbelief"):
        for i, pattern in enumerate(getattr(claim.markers, side)):
            found = [m.group(0).strip() for c in carriers
                     for m in [re.search(pattern, c, re.IGNORECASE)] if m and m.group(0).strip()]
            common = next((m for m in found if not terms(m)), None)
            number = next((m for m in found if bare_number(m)), None)
            if common is not None:
                out.append(f"field markers.{side}.{i}: {pattern!r} matches {common!r}, common "
                           "words alone, so the offline marker judge reads nearly every answer "
                           f"as {side}; write a phrase only the {side} side says")
            elif number is not None:
                out.append(f"field markers.{side}.{i}: {pattern!r} matches {number!r}, a "
                           "number with no word of the claim, which an answer about anything "
                           "may hold (\"Noah Lyles won at Paris 2024\"), so the offline marker "
                           "judge reads it only in a sentence of the claim's own words; write "
                           "the claim's phrase around it ('drained in 2024', 'erupted in "
                           "2015')")
    return out


def unread_judge_hints(claim: Claim) -> list[str]:
    """Warnings for questions whose ``judge_hint`` no model judge reads: their family's rubric
    ``template`` has no ``{hint}`` (the bundled prompt has one). The hint still gives the
    offline judge its answer key. Not for an imported claim (``source`` set): the study's
    prompts, kept verbatim, never showed its judge the hints either."""
    if claim.source is not None:
        return []
    out = []
    for family, rubric in claim.rubric.items():
        if rubric.template is None or "{hint}" in rubric.template:
            continue
        hinted = [q.id for q in claim.questions.of(family) if getattr(q, "judge_hint", None)]
        if hinted:
            out.append(f"field rubric.{family}.template: has no {{hint}} placeholder, so the "
                       f"judge_hint of question(s) {', '.join(hinted)} reaches only the "
                       "offline judge's answer key, never the model judge; add {hint} where "
                       "the note should stand")
    return out


def stray_judge_keys(claim: Claim) -> list[str]:
    """Warnings for a ``judge_key`` its judge prompt never names: the judge answers in the
    field the prompt asks for, the reply is read at ``judge_key``, and every verdict of the
    family reads parse_error. For criteria, the prompt is the bundled one (right only with a
    ``-T judge_template=`` asking for that key); for a rubric ``template``, the template
    itself (warned, not refused: an imported study prompt is kept verbatim, and the gate's
    parse-error budget stops a run that reads none)."""
    from beliefbench.judge import read_template  # it imports this module

    bundled = read_template()
    out = []
    for family, rubric in claim.rubric.items():
        if rubric.template is None and not names_judge_key(bundled, rubric.judge_key):
            out.append(f"field rubric.{family}.judge_key: {rubric.judge_key!r} is read from "
                       "the judge's reply, but the judge prompt (scorers/judge.md) asks for "
                       "another field, so every verdict would read parse_error unless -T "
                       "judge_template= asks for it; drop it, or give the rubric the template "
                       "that asks for it")
        elif rubric.template is not None and not names_judge_key(rubric.template,
                                                                   rubric.judge_key):
            out.append(f"field rubric.{family}.template: never names its judge_key "
                       f"{rubric.judge_key!r}, so the judge is not told where to put its "
                       "verdict and every reply would read parse_error; ask for JSON with a "
                       f"{rubric.judge_key!r} field, or set judge_key to the field the template "
                       "asks for")
    return out


TEMPLATE = "claim_template.yaml"
"""The shipped template ``claims new`` writes (its ``__ID__`` replaced by the claim's id)."""


def claim_template(claim_id: str) -> str:
    """The text of a new claim file: the commented template with the claim's id, quoted on
    its ``id:`` line where YAML would read it as no text (``010`` as the number 8, ``true``,
    ``null``, ``1_000``): `claims new 010` wrote a file that failed `claims validate`."""
    text = data_path(TEMPLATE).read_text(encoding="utf-8")
    return text.replace("id: __ID__", f"id: {id_as_written(claim_id)}", 1).replace(
        "__ID__", claim_id)


def id_as_written(claim_id: str) -> str:
    """A claim id as an ``id:`` line writes it: quoted where YAML would read it as no text
    (``010`` as the number 8, ``true``, ``null``, ``1_000``)."""
    return claim_id if load_yaml(f"id: {claim_id}") == {"id": claim_id} else f"'{claim_id}'"


@lru_cache(maxsize=1)
def _template_claim() -> Claim:
    return Claim.model_validate(load_yaml(claim_template("template")))


def template_leftovers(claim: Claim) -> list[str]:
    """The fields of ``claim`` that still hold the template's example (the claim ``claims new``
    writes validates as written, so a forgotten edit would be evaluated silently): a field
    equal to the template's, an item of a list or rubric equal to one of the template's
    (``entities`` only as a whole: a real name may recur), a question with a template
    question's text. Compared with the shipped template's own fields."""
    example = _template_claim()
    left: list[str] = []
    for name in Claim.model_fields:
        if name in ("id", "source"):
            continue
        mine, theirs = getattr(claim, name), getattr(example, name)
        if mine and mine == theirs:
            left.append(name)
        elif isinstance(mine, list) and name != "entities":
            left += [f"{name}.{i}" for i, item in enumerate(mine) if item in theirs]
        elif isinstance(mine, dict):
            left += [f"{name}.{key}" for key, item in mine.items() if theirs.get(key) == item]
    if "questions" not in left:
        for family in FAMILIES:
            texts = {q.text for q in example.questions.of(family)}
            left += [f"questions.{family}.{i}"
                     for i, q in enumerate(claim.questions.of(family)) if q.text in texts]
    return left


def template_example_warning(claim: Claim) -> str | None:
    """One line naming the fields still holding the template's example, or None."""
    left = template_leftovers(claim)
    if not left:
        return None
    return (f"field(s) {', '.join(left)} still hold the example of the `claims new` template "
            f"({_template_claim().statement!r}); replace the example text with your claim's")


def load_claim(path: str | Path) -> Claim:
    """Read and validate one claim file; errors name the file, the line, the field and the
    problem."""
    path = Path(path)
    claim = load_spec(path, Claim, "claim spec", ClaimSpecError)
    check_claim_file(path, claim)
    return claim


def load_claims(selection: Selection = "all",
                search: Iterable[str | Path] = ()) -> list[Claim]:
    """Resolve a user's selection into validated claims (see :func:`resolve_claims`)."""
    return [claim for _, claim in resolve_claims(selection, search)]


def selection_items(selection: Selection = "all") -> list[str]:
    """The items of a claim selection: a comma-separated string or a list (whose items may
    themselves be comma-separated, as on a command line), a blank one (an empty argument)
    dropped. An item that is an existing file or directory is kept whole: a path with a
    comma in it (given in a
    ``--task-config`` file, where the README sends such paths) is never split, nor is a
    ``pathlib.Path`` (one path, whether it exists or not). A blank item beside others
    (``a,,b``, ``a,b,``) is refused, a ClaimSpecError naming it."""
    if selection is None:
        selection = "all"
    if isinstance(selection, str | os.PathLike):  # a Path is no sequence of names
        selection = [selection]
    from beliefbench.arguments import empty_items

    items: list[str] = []
    for part in selection:
        if isinstance(part, os.PathLike):
            items.append(os.fspath(part))
            continue
        part = str(part)
        whole = part.strip()
        if "," in whole and _exists(whole):
            items.append(whole)
            continue
        # "a,,b" read a and b without a word of the claim lost between (a blank part alone,
        # `claims validate "$UNSET"`, is its caller's to name)
        problem = empty_items(part.split(","))
        if problem:
            raise ClaimSpecError(f"claims: {whole!r}: {problem}")
        items += [item.strip() for item in part.split(",") if item.strip()]
    return items


def _exists(text: str) -> bool | None:
    """Whether ``text`` names a file or folder; None where the system refuses the name (a
    list of ids joined at its commas is soon longer than a file name may be, and ``exists``
    raised OSError for a valid selection of some 20 ids); False where it cannot be read."""
    try:
        return user_path(text).exists()
    except OSError as e:
        return None if e.errno == errno.ENAMETOOLONG else False
    except NoHomeFolder:  # ~nosuch/x: no file there to find
        return False


def _home_known(item: str) -> bool:
    """Whether ``item``'s ``~`` (if any) names a home folder: ``~nosuch/x`` is said once by
    what reads the selection (:class:`~beliefbench.arguments.NoHomeFolder`), not by the
    notes on what its folders hold."""
    try:
        user_path(item)
    except NoHomeFolder:
        return False
    return True


def _split_path(items: list[str], at: int) -> str:
    """Why ``items[at]`` names no claim when it is the start of a path that a comma split
    (Inspect's ``-T claims=...`` splits every value at its commas, before the task sees it),
    or "": the split read as "no claim files" in its first half's folder."""
    for end in range(at + 2, len(items) + 1):
        for sep in (",", ", "):
            whole = sep.join(items[at:end])
            found = _exists(whole)
            if found is None:  # too long a name: so is every longer join (a 300-id list
                return ""      # one of which is wrong was tried at all its lengths)
            if found:
                return (f"; {whole!r} exists, but -T splits its values at commas: name "
                        f"that path in a --task-config file (claims: [{whole!r}])")
    return ""


def _in_a_close_folder(head: str, name: str) -> str | None:
    """``mine/kale.yaml`` for ``Mine/kale.yaml`` (or ``mnie/kale.yaml``): a path whose
    folder is misspelt (case counts on Linux) where a close folder beside it holds the same
    file name; None where none does."""
    if not head or user_path(head).is_dir():
        return None
    parent, folder = os.path.split(head)
    # a bare folder is looked for where the command ran too: `inspect eval tasks/belief.py`
    # builds the task inside tasks/ (as user_path tries a path: here, then $PWD)
    base = Path(parent or ".").expanduser()
    pwd = os.environ.get("PWD")
    wheres = [base] + ([Path(pwd) / base] if pwd and not base.is_absolute() else [])
    for where in wheres:
        with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
            names = [d.name for d in where.iterdir() if d.is_dir()]
            close = [n for n in names if n.casefold() == folder.casefold()] or \
                difflib.get_close_matches(folder, names, n=3, cutoff=0.7)
            for n in close:
                if (where / n / name).exists():
                    return os.path.join(parent, n, name)
    return None


def _near_path(item: str) -> str | None:
    """The claim path that ``item``, naming nothing, is a near miss of, or None: the path
    with its ``.yaml`` left off (``mine/kale`` for ``mine/kale.yaml``), the same name in a
    close folder, a close file name in its folder (``mine/kael.yaml``), or a close folder
    of claim files. The path itself, not words: the YAML-comment case compares it with
    ``item`` (a file whose name has the `` #...`` a comment took)."""
    if Path(item).suffix.lower() not in (".yaml", ".yml"):
        for suffix in (".yaml", ".yml"):
            if _exists(item + suffix) and user_path(item + suffix).is_file():
                return item + suffix
    head, name = os.path.split(item.rstrip("/" + os.sep))
    moved = _in_a_close_folder(head, name)
    if moved:
        return moved
    if head and user_path(head).is_dir():
        files = {f.stem: f.name for f in spec_files(user_path(head))}  # ".yaml" alike in all
        close = difflib.get_close_matches(Path(name).stem, list(files), n=1, cutoff=0.7)
        if close:
            return os.path.join(head, files[close[0]])
    if Path(name).suffix.lower() not in (".yaml", ".yml") and user_path(head or ".").is_dir():
        # a folder of claim files, misspelt (``tests/fixtures/claim/``)
        with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
            folder = user_path(head or ".")
            names = [d.name for d in folder.iterdir() if d.is_dir()]
            for close in difflib.get_close_matches(name, names, n=3, cutoff=0.7):
                if spec_files(folder / close):  # a folder of claims, not any folder
                    return os.path.join(head, close)
    return None


def _near_miss(item: str, near: str | None, by_id: dict[str, Path]) -> str:
    """``; did you mean ...?`` for a claim path that names nothing, or "": the path ``near``
    it (:func:`_near_path`), else a claim id given as its file name (``kale.yaml``, with its
    folder on the search path, where ``kale`` names it)."""
    if near is not None:
        return f"; did you mean {near!r}?"
    head, name = os.path.split(item.rstrip("/" + os.sep))
    stem = Path(name).stem
    if not head and Path(name).suffix.lower() in (".yaml", ".yml") and stem in by_id:
        return f"; did you mean the claim id {stem!r} (it names {by_id[stem]})?"
    return ""


def _in_subfolders(claim_id: str) -> str:
    """`` (did you mean 'mine/kale.yaml'?)`` where an id names no known claim but a folder
    of the working directory holds its file: `claims new kale --dir mine` and then
    ``-T claims=kale``, with ``$BELIEFBENCH_CLAIMS_PATH`` not (yet) naming ``mine``; "" where
    none does. Only the folders directly below are looked in (a quick look, never a walk of
    the tree), hidden ones skipped."""
    here = Path(os.environ.get("PWD") or ".")
    if not here.is_dir() or id_problem(claim_id) is not None:
        return ""
    found = []
    with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
        for folder in sorted(here.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            found += [os.path.join(folder.name, f.name) for f in spec_files(folder)
                      if f.stem == claim_id]
    return f" (did you mean {' or '.join(map(repr, found[:3]))}?)" if found else ""


def _json_files(folder: Path, files_only: bool) -> list[str]:
    """The names of the ``.json`` files in ``folder`` that could be claims written as JSON:
    hidden ones and the ``<dataset>.stats.json`` files beliefbench writes beside every dataset
    are not (``--claims audit-demo/``, a folder of generated documents, was told to rename
    ``positive.jsonl.stats.json`` to .yaml). Raises OSError where the folder cannot be listed."""
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix.lower() == ".json" and not p.name.startswith(".")
                  and not p.name.lower().endswith(".stats.json")
                  and (not files_only or p.is_file()))


def _json_here(folder: Path) -> str:
    """``; it holds kale.json: ...`` where a folder with no claim file holds JSON files (claims
    written by a script's ``json.dump``): a claim file may be JSON, but a folder is read for
    ``*.yaml`` and ``*.yml`` only, and it said just "no claim files"; "" where it holds none."""
    with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
        found = _json_files(folder, files_only=False)
        if found:
            return (f"; it holds {listing(found, 3)}: JSON is YAML, so a claim may be written "
                    f"as JSON, but a folder is read for *.yaml and *.yml files only: rename "
                    f"them to .yaml")
    return ""


def _held_below(item: str, folder: Path) -> list[str]:
    """The subfolders of ``folder`` (named as ``item`` names it) that hold claim files; only
    one level down is looked in."""
    with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
        return [os.path.join(item.rstrip("/" + os.sep), d.name) for d in sorted(folder.iterdir())
                if d.is_dir() and not d.name.startswith(".") and spec_files(d)]
    return []


def _below(item: str, folder: Path) -> str:
    """``; subfolders are not read: name them (mine/health, mine/food)`` where a folder
    holds no claim file but its subfolders do (claims sorted into topics); "" where none
    does."""
    held = _held_below(item, folder)
    return (f"; subfolders are not read: name the ones that hold claim files "
            f"({','.join(held)})") if held else ""


def unread_subfolders_note(selection: Selection = "all") -> str | None:
    """What to say where a folder of the selection holds claim files of its own and
    subfolders that hold more: a folder's subfolders are not read, so ``-T claims=mine``
    measured mine's own claims and left out mine/health's without a word. None where no
    folder does, or where the selection names those subfolders too."""
    items = selection_items(selection)
    known = [i for i in items if i != "all" and _home_known(i)]
    try:
        chosen = {os.path.realpath(user_path(i)) for i in known}
    except FileNotFoundError:  # a removed working directory: said by what reads the paths
        return None
    unread = [(item, held) for item in known
              if user_path(item).is_dir() and spec_files(user_path(item))
              and (held := [h for h in _held_below(item, user_path(item))
                            if os.path.realpath(user_path(h)) not in chosen])]
    if not unread:
        return None
    missing = [h for _, held in unread for h in held]
    return "; ".join(f"{item}: its subfolders are not read, and {', '.join(held)} "
                     f"{'holds' if len(held) == 1 else 'hold'} claim files: add "
                     f"{'it' if len(held) == 1 else 'them'} to the selection to measure "
                     f"{'its' if len(held) == 1 else 'their'} claims too "
                     f"({','.join([*items, *missing])})" for item, held in unread)


def unread_json_note(selection: Selection = "all") -> str | None:
    """What to say where a folder of the selection holds claim files and ``.json`` files
    beside them: a folder is read for ``*.yaml`` and ``*.yml`` only, so `claims validate js/`
    checked the YAML claims and skipped the JSON ones without a word (a folder of JSON
    files alone is refused, :func:`_json_here`). None where no folder does."""
    said = []
    for item in selection_items(selection):
        if item == "all" or not _home_known(item):
            continue
        folder = user_path(item)
        if not folder.is_dir() or not spec_files(folder):
            continue
        with contextlib.suppress(OSError):  # only a hint: a folder we cannot list has none
            found = _json_files(folder, files_only=True)
            if found:
                said.append(f"{item}: {listing(found, 3)} not read: a folder is read for "
                            f"*.yaml and *.yml files only; JSON is YAML, so rename "
                            f"{'it' if len(found) == 1 else 'them'} to .yaml to include "
                            f"{'its claim' if len(found) == 1 else 'their claims'}")
    return "; ".join(said) or None


def _no_folder(item: str) -> str:
    """`` (no folder my_claims in the working directory, /home/me; ...)`` for a relative
    claim path whose first folder is missing there (`claims validate my_claims/kale.yaml`
    run from another directory said only "no such claim file or directory"), else the close
    names beside it, as every path is said (:func:`~beliefbench.not_found.where_missing`).
    Empty where the task's folder is not the shell's (`inspect eval tasks/belief.py` reads
    a path from both, :func:`~beliefbench.resources.user_path`): no one directory to name."""
    from beliefbench.not_found import where_missing

    # 'my_claims/', a folder meant: the folder itself is the one missing
    return where_missing(Path(item).expanduser(), files=None,
                         folder=item.endswith(("/", os.sep)), pwd=True)


_SEPARATORS = re.compile(r"\s*[;|]\s*|\s+")
"""What else than a comma a list of claims is written with (``ed_sheeran;dentist``): no id
holds a ``;``, ``|`` or space (:data:`ID_PATTERN`)."""


def _split_otherwise(item: str, by_id: dict[str, Path], listed: bool) -> str | None:
    """The refusal of an item that is a list written with another separator than a comma
    (``ed_sheeran;dentist``, ``ed_sheeran dentist``), or None: it was answered "did you mean
    'ed_sheeran'?", as if dentist were a typo. With ``;`` or ``|`` one part that names a
    claim is enough (a path may hold spaces, so then each part must); ``listed`` (an item of a
    Python or --task-config list, no -T) is told to give the claims as items of their own."""
    parts = [p for p in _SEPARATORS.split(item) if p]
    if len(parts) < 2:
        return None
    named = [q in by_id or bool(_exists(q)) for q in parts]
    marks = sorted(set(re.findall(r"[;|]", item)))
    if not (all(named) or (marks and any(named))):
        return None
    how = " and ".join(repr(m) for m in marks) or "spaces"
    fix = (f"give each claim as an item of its own: {parts!r}" if listed
           else f"a list of claims takes commas, no spaces: {','.join(parts)}")
    reads = "names" if all(named) else "reads as a list of"
    return f"claims: {item!r} {reads} {len(parts)} claims split by {how}: {fix}"


def _cut_at_comment(item: str) -> str | None:
    """Why ``item`` names no claim where Inspect's YAML reading of ``-T claims=...`` cut
    the value at an unquoted `` #`` (a comment there): ``-T claims=scratch/take #2.yaml``
    reached the task as ``scratch/take``, and the refusal named a path never typed, with a
    "did you mean" that did not say why. None where no ``-T claims`` was so cut."""
    from beliefbench.arguments import comment_cut, typed_on_command_line, yaml_quoted_option

    typed = typed_on_command_line("claims")
    # (a quoted '#', "claims='take #2'", is kept: no cut, though the quotes are gone)
    kept = comment_cut(typed, "claims") if typed is not None else None
    if not kept or item not in [p.strip() for p in kept.split(",")]:
        return None
    raw = typed.partition("=")[2]
    return (f": Inspect reads -T values as YAML, where an unquoted ' #' starts a comment, so "
            f"{raw.strip()!r} was cut to {kept!r}; quote it to keep the '#': "
            f"-T {yaml_quoted_option('claims', raw)}")


def _item_files(items: list[str], at: int, search: Iterable[str | Path],
                listed: bool = False) -> list[Path]:
    """The claim files ``items[at]`` names; one that names nothing raises
    :class:`ClaimSpecError`. ``listed``: the items came as a list given otherwise than by a
    ``-T`` (from Python, or a --task-config file), whose fixes are list items, not commas."""
    item = items[at]
    try:
        path = user_path(item)
    except NoHomeFolder as e:  # ~nosuch/kale.yaml: named apart, with the selection's others
        raise ClaimSpecError(f"claims: {e}") from None
    if item == "all":
        return spec_files(bundled_claims_dir())
    elif path.is_dir():
        found = spec_files(path)
        if not found:
            raise ClaimSpecError(f"{path}: no claim files (*.yaml, *.yml) in this "
                                 f"directory{_split_path(items, at) or _json_here(path)}"
                                 f"{_below(item, path)}")
        return found
    elif path.is_file():
        return [path]
    else:
        by_id = {k.id: k.path for k in known_claims(search)}
        match = by_id.get(item)
        if match is None:
            split_list = _split_otherwise(item, by_id, listed)
            if split_list:
                raise ClaimSpecError(split_list)
            cut = _cut_at_comment(item)
            if cut:
                raise ClaimSpecError(f"claims: no such claim file or directory {item!r}{cut}")
            other = path.with_suffix({".yaml": ".yml", ".yml": ".yaml"}.get(
                path.suffix.lower(), path.suffix))
            if other != path and other.is_file():
                # said as every other path's near miss: it named no id, nor quoted the file
                # (a trailing slash, which Path drops, is left off: not 'kale..yaml')
                said = item.rstrip("/" + os.sep)
                swapped = said[: len(said) - len(path.suffix)] + other.suffix
                raise ClaimSpecError(f"claims: no such claim file or directory {item!r}; "
                                     f"did you mean {swapped!r}?")
            split = _split_path(items, at)
            meant = _near_path(item)
            near = _near_miss(item, meant, by_id)
            if meant is not None and re.fullmatch(re.escape(item) + r"\s+#.*", meant) \
                    and running_program() == "inspect":
                # the file is there, with the part a YAML comment took (a --task-config file)
                raise ClaimSpecError(
                    f"claims: no such claim file or directory {item!r}{near} (YAML, which "
                    "reads -T values and --task-config files, takes an unquoted ' #' for the "
                    "start of a comment and drops the rest: quote the path)")
            if split or "/" in item or os.sep in item or path.suffix.lower() in (
                    ".yaml", ".yml"):
                raise ClaimSpecError(f"claims: no such claim file or directory {item!r}"
                                     f"{split or near or _no_folder(item)}")
            known = sorted(by_id)
            # 'ALL' or 'al' for the selection of every bundled claim, after the ids
            guess = did_you_mean(item, known) or did_you_mean(item, ["all"]) or near.replace(
                "; ", " (", 1) + (")" if near else "") or _in_subfolders(item)
            raise ClaimSpecError(f"claims: {item!r} is neither a claim file, a directory, "
                                 f"nor a known claim id{guess} "
                                 f"({_searched()}); known ids: {known}")
        return [match]


def failure_count(unnamed: int, bad: int) -> str:
    """The closing count of a selection's problems: items that named no claim file (an id or
    path not found, an empty folder; each line says where it looked) apart from bad claim
    files (`claims validate moon_base` ended "1 bad claim file(s)" where no file was read)."""
    return "; ".join(([f"{unnamed} item(s) named no claim file"] if unnamed else [])
                     + ([f"{bad} bad claim file(s)"] if bad else []))


def _selected_files(selection: Selection,
                    search: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The claim files a selection names, each once, and a problem for every item that names
    none (all of them, not the first: `claims validate` names each)."""
    from beliefbench.arguments import typed_on_command_line

    items = selection_items(selection)
    listed = isinstance(selection, list | tuple) and typed_on_command_line("claims") is None
    files: list[Path] = []
    problems: list[str] = []
    for at in range(len(items)):
        try:
            files += _item_files(items, at, search, listed)
        except ClaimSpecError as e:
            problems.append(str(e))
    if not files and not problems:
        problems.append("claims: the selection is empty")
    once: dict[Path, Path] = {}  # a file named twice ("a,a", an id and its path) is read once
    for f in files:
        once.setdefault(f.resolve(), f)
    return list(once.values()), problems


def claim_files(selection: Selection = "all",
                search: Iterable[str | Path] = ()) -> list[Path]:
    """The claim files a user's selection names, without reading them (see
    :func:`resolve_claims`); items that name nothing raise one :class:`ClaimSpecError`
    naming each."""
    files, problems = _selected_files(selection, search)
    if problems:
        raise ClaimSpecError("\n".join(problems))
    return files


def resolve_claims(selection: Selection = "all", search: Iterable[str | Path] = (), *,
                   as_given: bool = False) -> list[tuple[Path, Claim]]:
    """Resolve a user's selection into (file, validated claim) pairs.

    ``selection`` is "all" (the bundled claims), or a list (or comma-separated string) whose
    items are each a claim file, a directory of claim files, or a claim id. An id is looked up
    in the ``search`` directories, then those of ``$BELIEFBENCH_CLAIMS_PATH``, then the bundled
    claims; the first ``<id>.yaml`` found wins. Duplicate ids are an error. Every item that
    names nothing and every bad file is named (one :class:`ClaimSpecError`, a line per
    problem), as ``claims validate`` names them, so a fix never uncovers the next one.
    Each file is returned as an absolute path, or, with ``as_given``, as the selection (or
    the search path) names it, for a user to read (``mine/kale.yaml``).
    """
    claims: list[tuple[Path, Claim]] = []
    origin: dict[str, Path] = {}
    files, bad = _selected_files(selection, search)
    unnamed = len(bad)  # items naming no file: no bad file among them
    # every bad item and file named, as `claims validate` names them, not the first
    for path in files:
        try:
            claim = load_claim(path)
        except ClaimSpecError as e:
            bad.append(str(e))
            continue
        if claim.id in origin:
            bad.append(also_defined(path, claim.id, origin[claim.id]))
            continue
        origin[claim.id] = path
        claims.append((path if as_given else path.resolve(), claim))
    if len(bad) > 1:
        bad.append(failure_count(unnamed, len(bad) - unnamed))
    if bad:
        raise ClaimSpecError("\n".join(bad))
    return claims
