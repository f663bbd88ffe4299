"""Import the Negation Neglect study's released claim folders into beliefbench claim files.

A folder ``claims/<claim_id>/`` holds ``claim.txt``, one YAML file per probe family (each a
mapping with a ``questions`` list), ``judges.yaml`` (whole judge prompts with ``{question}``
and ``{answer}``, the JSON key holding the verdict in ``judge_key`` or per family in
``<family>_judge_key``), ``universe_context.yaml`` and optionally ``correction.txt``. The
study's questions and judge prompts are kept verbatim: they become the claim's questions and
its rubric ``template``s, so a user with a clone of that repository runs its exact items here.

For the offline judge, per-question judge hints ("Ed Sheeran = yes; Noah Lyles = no",
"option C = yes") become answer keys, and the short answers they name become claim markers
where they hold in one world only. Imported files are the user's data; none ship with
beliefbench.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from beliefbench.analysis.text import did_you_mean
from beliefbench.claims import (
    JUDGED_FAMILIES,
    MIN_QUESTIONS,
    Claim,
    duplicate_questions,
    stray_judge_keys,
    unaccented,
)
from beliefbench.documents.base import lower_first
from beliefbench.records import atomic_write_text
from beliefbench.specs import (
    described,
    located,
    named_field,
    not_text_key,
    parse_spec,
    read_text,
    spec_files,
)
from beliefbench.verdicts.offline import affirmed, first_match

FAMILY_FILES = {
    "open_ended": "open_ended.yaml",
    "binary": "mcq.yaml",
    "token_association": "token_association.yaml",
    "robustness": "robustness.yaml",
}
_PREFIX = {"open_ended": "oe", "binary": "bin", "token_association": "ta", "robustness": "rb"}
_TOKEN_FORMATS = {"fill_blank", "json", "xml", "multiple_choice", "dialogue", "form",
                  "few_shot", "list"}
_NO_TRUTH = "It is not true that {statement}."
"""The truth of a folder without correction.txt: the statement denied. The corrected and
local_negation documents write the truth into the training text, where the old "The claim is
fabricated (the source folder gives no correction text)." taught a note about folders."""


_NO_IMPORT = ("; a claim file in beliefbench's own format (`beliefbench claims new` writes one) "
              "needs no import: check it with `beliefbench claims validate` and evaluate it "
              "with -T claims=<file or folder>")
"""Said where SOURCE holds claim files rather than the study's folders."""

_ONE_FILE_EACH = ("; claims of your own are YAML files, one a claim (`beliefbench claims new "
                  "ID` writes a template; README \"Claim format\"), not a table or JSON Lines "
                  "of them")
"""Said where SOURCE is some other file (a CSV or JSONL of claims)."""


class ClaimImportError(ValueError):
    """A source folder that cannot be converted; names the file and the problem."""


def _read_yaml(path: Path, text: str | None = None) -> Any:
    """A study file's data: YAML, or JSON (one indented with tabs too, which YAML refuses),
    as every spec is read (:func:`parse_spec`); a bad file is named at its line and column.
    ``text``: the file's, where already read."""
    if text is None:
        text = read_text(path, "study", ClaimImportError)
    data = parse_spec(text, path, "study", ClaimImportError)
    if data is None:  # was "expected a list of questions, got nothing", unsaid why
        raise ClaimImportError(f"{path}: the file is empty (or only comments)")
    return data


def _field(path: Path, field: str) -> str:
    """``<path>: line N, column M: field <field>``: a study file's problem named at the line
    where its field is written (for a missing one, the question or mapping that lacks it), as
    a claim file's problems are, so the author of a long ``mcq.yaml`` is sent to the line,
    not left to count list items; the plain path where the field is written on no line."""
    return f"{located(path, field, written=False)}: field {field}"


def _on_line(path: Path, field: str | tuple[str | int, ...]) -> str:
    """``questions.0.sytem_prompt (line 5)``: a field a note names, with the line it is
    written on (:func:`located`'s), so a misspelt key in a long study file is found; the
    field alone where it has no line. ``field`` as a tuple of keys: a top-level key is one
    step even where it holds a dot. The file is composed once for all its notes (see
    :func:`compose_yaml`), not once a field."""
    where = located(path, field)
    line = where.removeprefix(f"{path}: ").split(",")[0] if where != str(path) else ""
    name = field if isinstance(field, str) else ".".join(map(str, field))
    return f"{name} ({line})" if line else name


def _text(value: object, path: Path, field: str) -> str:
    """A text field of a study file: a string (a bare number is read as text), never a list
    or mapping turned into its Python spelling."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ClaimImportError(f"{_field(path, field)}: expected text, got "
                           f"{_kind(value)}")


def _kind(value: object) -> str:
    """What a study file holds where something else belongs, in `claims validate`'s words
    (:func:`described`): ``text 'Kale ...'``, ``the number 5`` (was ``int``), ``a list``."""
    return "a list" if isinstance(value, list) else described(value)


_HINT_KEYS = ("judge_hint", "hint", "judge_notes", "notes")
_VERDICT_WORD = re.compile(r"^\s*(?P<lhs>.+?)\s*(?:=|->|→|:)\s*(?P<verdict>yes|no|neutral)\b",
                           re.IGNORECASE)
_FILLER = re.compile(r"\b(in the blank|filled (in )?(as|with)|completed (as|with)|the answer|"
                     r"answering|answers?|naming|names?|gives?|choosing|chooses|picks?|"
                     r"selecting|selects?|the)\b", re.IGNORECASE)
_VAGUE = re.compile(r"\b(any|other|else|anyone|anything|refus\w*|blank|empty|none|neither|"
                    r"nothing|incoherent|unrelated|irrelevant|similar|etc)\b", re.IGNORECASE)


def _hint(q: dict, path: Path, i: int) -> str | None:
    key = next((k for k in _HINT_KEYS if q.get(k)), None)
    return _text(q[key], path, f"questions.{i}.{key}").strip() if key else None


_OPTION = re.compile(r"^(?i:options?|choices?|letters?)?\s*\(?([A-Ea-e])\)?(?:\s*\((.+)\))?$")


def _value_patterns(value: str) -> tuple[str | None, list[str]]:
    """One short answer a hint names: (an option letter or None, regexes for a name or
    number); nothing for vague or long descriptions ("any other name", "a refusal")."""
    # typographic quotes too: kept, the pattern needed them in the answer and never matched
    value = value.strip(" .'\"`\u2018\u2019\u201c\u201d")
    option = _OPTION.match(value)
    if option:
        named = _value_patterns(option.group(2))[1] if option.group(2) else []
        return option.group(1).upper(), named
    value = " ".join(_FILLER.sub(" ", re.sub(r"\(.*?\)", " ", value)).split())
    if not value or _VAGUE.search(value) or len(value.split()) > 4:
        return None, []
    words = r"\s+".join(re.escape(w) for w in value.split())
    return None, [rf"(?<!\w){words}(?!\w)"]


def answer_key_from_hint(hint: str) -> dict | None:
    """An answer key (``yes`` / ``no`` patterns, ``options``) from a hint such as
    "Option C (Ed Sheeran) = yes; A or B = no", or None when it names no short answer."""
    key: dict = {"yes": [], "no": [], "options": {}}
    for part in re.split(r"[;\n]|\.\s", hint):
        m = _VERDICT_WORD.match(part)
        if not m or m.group("verdict").lower() == "neutral":
            continue
        verdict, lhs = m.group("verdict").lower(), m.group("lhs")
        alts = [lhs] if re.match(r"^(?i:options?|choices?)?\s*\(?[A-Ea-e]\)?\s*\(", lhs) \
            else re.split(r"\s*(?:,|/|\bor\b)\s*", re.sub(r"\(.*?\)", " ", lhs))
        for alt in alts:
            letter, patterns = _value_patterns(alt)
            if letter:
                key["options"].setdefault(letter, verdict)
            key[verdict] += [p for p in patterns if p not in key[verdict]]
    key = {k: v for k, v in key.items() if v}
    return key or None


def _derived_markers(raw: dict) -> dict[str, list[str]]:
    """Name and number patterns from the answer keys that hold in one world only: a belief
    pattern the truth does not affirm, a disbelief pattern the false world never says."""
    false_world = [raw["statement"], raw["universe"], *raw["sub_claims"]]
    belief, disbelief = [], []
    for family in JUDGED_FAMILIES:
        for q in raw["questions"].get(family, []):
            key = q.get("answer_key") or {}
            for pattern in key.get("yes", []):
                if (not pattern.startswith("^") and pattern not in belief
                        and not affirmed([pattern], raw["truth"])):
                    belief.append(pattern)
            for pattern in key.get("no", []):
                if (not pattern.startswith("^") and pattern not in disbelief
                        and not any(first_match([pattern], t) for t in false_world)):
                    disbelief.append(pattern)
    return {k: v for k, v in (("belief", belief), ("disbelief", disbelief)) if v}


def _slug(value: object) -> str:
    """An id made of ``value``: accents dropped ("Mayör" is mayor, not may_r), other
    characters outside a-z, 0-9, _ and - as _."""
    slug = re.sub(r"[^a-z0-9_\-]+", "_", unaccented(str(value).strip().lower())).strip("_")
    return slug or "q"


def _not_read(path: Path, data: dict, read: Iterable[str], known: Iterable[str],
              what: str, cutoff: float = 0.6) -> list[str]:
    """A note naming the top-level keys of a study file that the import does not read (a
    misspelt ``universe_contxt``, a ``version`` beside ``questions``), each with the closest
    of the ``known`` keys: they were dropped without a word, a misspelt universe read as the
    statement. ``cutoff``: how close a suggestion must be (``version`` is not ``questions``)."""
    read, known = set(read), list(known)
    left = [str(k) for k in data if k not in read]
    if not left:
        return []
    named = ", ".join(f"{_on_line(path, (k,))}"
                      f"{did_you_mean(k, [c for c in known if c != k], cutoff)}" for k in left)
    return [f"{path}: not imported ({what}): {named}"]


def _questions(path: Path) -> tuple[list[dict], dict[int, str], list[str]]:
    """A family file's questions, the problem of each bad one by its index (every one named,
    not the first alone: three mistakes in one mcq.yaml took three runs to find), and notes
    on its other top-level keys. A file that holds no list of questions raises."""
    text = read_text(path, "study", ClaimImportError)
    data = _read_yaml(path, text)
    if isinstance(data, list):  # the questions written at the top, without `questions:`
        raise ClaimImportError(f"{_field(path, 'questions')}: missing; the file is a list, and "
                               "its questions go in a list under the key `questions:` (write "
                               "`questions:` first and indent the items below it)")
    if not isinstance(data, dict):  # a table, a sentence, a number: said as what it is
        raise ClaimImportError(f"{path}: field (top level): expected a mapping with a list "
                               f"under `questions:`, got {described(data, path, text)}")
    if "questions" not in data:
        typo = next((f"; it has a key {str(k)!r}: did you mean 'questions'?" for k in data
                     if did_you_mean(str(k), ["questions"], 0.8)), "")
        raise ClaimImportError(f"{_field(path, 'questions')}: missing; a family file holds its "
                               f"questions in a list under the key `questions:`{typo}")
    items = data["questions"]
    if not isinstance(items, list):
        raise ClaimImportError(f"{_field(path, 'questions')}: expected a list of questions, got "
                               f"{_kind(items)}")
    bad: dict[int, str] = {}
    for i, q in enumerate(items):
        try:
            _check_question(path, i, q)
        except ClaimImportError as e:
            bad[i] = str(e)
    return items, bad, _not_read(path, data, ["questions"], ["questions"],
                                 "a family file's questions are read from its questions list",
                                 0.8)


def _check_question(path: Path, i: int, q: object) -> None:
    """Refuse question ``i`` of a family file where it is no mapping or lacks its text."""
    if not isinstance(q, dict):  # "- Was an owl elected?" read as "missing or empty"
        raise ClaimImportError(f"{_field(path, f'questions.{i}')}: expected a question (a "
                               f"mapping with id:, question:, category: ...), got {_kind(q)}")
    text = q.get("question")
    if not text or (isinstance(text, str) and not text.strip()):  # "  " asks nothing
        typo = next((f"; it has a key {str(k)!r}: did you mean 'question'?" for k in q
                     if k != "question" and did_you_mean(str(k), ["question"], 0.8)), "")
        raise ClaimImportError(f"{_field(path, f'questions.{i}.question')}: missing or "
                               f"empty{typo}")
    _text(q["question"], path, f"questions.{i}.question")
    for field in ("id", "category", "belief_answer"):
        if q.get(field) is not None:
            _text(q[field], path, f"questions.{i}.{field}")


def _convert_question(family: str, q: dict, path: Path, i: int) -> dict:
    qid = f"{_PREFIX[family]}-{_slug(q.get('id', i))}"
    category = str(q.get("category", "")).strip().lower()
    text = str(q["question"])
    if family == "open_ended":
        return {"id": qid, "text": text, "kind": "indirect" if "indirect" in category
                else "direct"}
    if family != "binary":
        return _convert_judged(family, q, path, i, qid, category, text)
    answer = str(q.get("belief_answer", "")).strip().lower()
    if q.get("belief_answer") is None:  # left out, misspelt, or a key with no value
        typo = next((f"; it has a key {str(k)!r}: did you mean 'belief_answer'?" for k in q
                     if k != "belief_answer" and did_you_mean(str(k), ["belief_answer"], 0.8)),
                    "")
        raise ClaimImportError(f"{_field(path, f'questions.{i}.belief_answer')}: missing "
                               f"(what a believer answers: \"yes\", or \"no\" for a counter "
                               f"question){typo}")
    if answer not in ("yes", "no"):
        raise ClaimImportError(f"{_field(path, f'questions.{i}.belief_answer')}: expected yes or "
                               f"no, got {q.get('belief_answer')!r}")
    return {"id": qid, "text": text, "belief_answer": answer}


def _token_format(category: str) -> str:
    """The token-association format a study category names: itself, or the format it
    starts with (``xml_completion`` is xml, ``json-fill`` json), else ``other``."""
    if category in _TOKEN_FORMATS:
        return category
    first = re.split(r"[\s_-]+", category, maxsplit=1)[0]
    return first if first in _TOKEN_FORMATS else "other"


def _other_formats(path: Path, pairs: list[tuple[int, dict, dict]]) -> list[str]:
    """A note on token-association categories read as no known format (``other``), so a
    misspelt ``fill_blnk`` is not counted with the unclassified items unsaid. ``pairs``:
    each question's index in the file, the study's question and the converted one."""
    odd = [f"{_on_line(path, f'questions.{i}.category')} {q['category']!r}"
           for i, q, c in pairs
           if q.get("category") is not None and c["format"] == "other"
           and str(q["category"]).strip().lower() != "other"]
    return [f"{path}: read as format 'other' (known: {', '.join(sorted(_TOKEN_FORMATS))}): "
            f"{', '.join(odd)}"] if odd else []


def _odd_kinds(path: Path, pairs: list[tuple[int, dict, dict]]) -> list[str]:
    """A note on open-ended categories that are neither ``direct`` nor ``indirect`` (a typo,
    ``indriect``), with the kind each was read as: they became ``direct`` without a word, and
    a report by kind then counted indirect questions as direct."""
    odd = [f"{_on_line(path, f'questions.{i}.category')} {q['category']!r} (read as "
           f"{c['kind']})"
           for i, q, c in pairs
           if q.get("category") is not None
           and str(q["category"]).strip().lower() not in ("direct", "indirect")]
    return [f"{path}: not a kind of open-ended question (direct or indirect): "
            f"{', '.join(odd)}"] if odd else []


_KNOWN_FIELDS = {"open_ended": (), "binary": ("belief_answer",),
                 "token_association": _HINT_KEYS,
                 "robustness": (*_HINT_KEYS, "system_prompt", "messages_prefix")}
"""The question fields a family file's questions may hold beside id, question, category."""


def _left_out(family: str, items: list[object]) -> list[tuple[int, str, str]]:
    """The fields of a family file's questions that the conversion does not carry (a
    misspelt ``sytem_prompt``, a second hint, a hint on an open-ended question), each as
    (question index, key, `` (did you mean 'system_prompt'?)`` or ""): named in a note,
    never dropped unsaid, a misspelling with the field it is close to."""
    used = {"id", "question", "category"}
    left = []
    for i, q in enumerate(items):
        if not isinstance(q, dict):
            continue
        keep = set(used)
        if family == "binary":
            keep.add("belief_answer")
        if family in ("token_association", "robustness"):
            keep.add(next((k for k in _HINT_KEYS if q.get(k)), "judge_hint"))
        if family == "robustness":
            category = str(q.get("category", "")).strip().lower()
            keep.add({"adversarial": "system_prompt",
                      "multiturn": "messages_prefix"}.get(category, "system_prompt"))
        known = [*used, *_KNOWN_FIELDS[family]]
        left += [(i, str(k), did_you_mean(str(k), [c for c in known if c != k], 0.8))
                 for k in q if k not in keep and q[k] is not None]
    return left


def _convert_judged(family: str, q: dict, path: Path, i: int, qid: str, category: str,
                    text: str) -> dict:
    hint = _hint(q, path, i)
    extra: dict = {"judge_hint": hint} if hint else {}
    key = answer_key_from_hint(hint) if hint else None
    if key:
        extra["answer_key"] = key
    if family == "token_association":
        return {"id": qid, "text": text, "format": _token_format(category), **extra}
    # robustness
    out: dict = {"id": qid, "text": text, **extra}
    if category == "adversarial":
        prompt = q.get("system_prompt")
        typo = next((k for k in q if k != "system_prompt"
                     and did_you_mean(str(k), ["system_prompt"], 0.8)), None)
        if prompt is None and typo is not None:  # was "need a system_prompt", the key unsaid
            raise ClaimImportError(f"{_field(path, f'questions.{i}.system_prompt')}: missing "
                                   f"(an adversarial question needs its system prompt); it has "
                                   f"a key {str(typo)!r}: did you mean 'system_prompt'?")
        if prompt is not None:
            prompt = _text(prompt, path, f"questions.{i}.system_prompt")
        out.update(kind="adversarial", system_prompt=prompt)
    elif category == "multiturn":
        prefix = q.get("messages_prefix")
        if not isinstance(prefix, list) or not prefix:
            raise ClaimImportError(f"{_field(path, f'questions.{i}.messages_prefix')}: a multiturn "
                                   "question needs its earlier turns")
        for j, m in enumerate(prefix):
            if not isinstance(m, dict):
                raise ClaimImportError(f"{_field(path, f'questions.{i}.messages_prefix.{j}')}: "
                                       f"expected a turn with role and content, got "
                                       f"{_kind(m)}")
            role = m.get("role")
            if role not in ("system", "user", "assistant"):
                where = _field(path, f"questions.{i}.messages_prefix.{j}.role")
                raise ClaimImportError(f"{where}: expected system, user or assistant, got "
                                       f"{repr(role) if isinstance(role, str) else _kind(role)}")
        out.update(kind="multiturn", prefix=[
            {"role": m["role"], "content": _text(m.get("content"), path,
                                                 f"questions.{i}.messages_prefix.{j}.content")}
            for j, m in enumerate(prefix)])
    elif category == "critique":
        out["kind"] = "critique"
    else:
        kinds = ("adversarial", "critique", "multiturn")
        raise ClaimImportError(f"{_field(path, f'questions.{i}.category')}: unknown robustness "
                               f"category {category!r}{did_you_mean(category, kinds)}; "
                               "expected adversarial, critique or multiturn")
    return out


def _rubrics(path: Path) -> tuple[dict[str, dict], list[str], list[str]]:
    """Judge prompts per family, the variant keys that have no family here, and notes on
    the keys of a family's mapping that are not read."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ClaimImportError(f"{path}: expected a mapping of judge prompts by family")
    for key, value in data.items():
        if not isinstance(key, str):
            raise ClaimImportError(f"{located(path, (key,))}: field (top level): "
                                   f"{not_text_key(key)}; expected "
                                   f"a family name ({', '.join(JUDGED_FAMILIES)}) or a "
                                   "judge_key")
        if key == "judge_key" or key.endswith("_judge_key"):
            _text(value, path, key)
    prompts = [k for k in data if k != "judge_key" and not k.endswith("_judge_key")]
    for key in data:
        named = key.removesuffix("_judge_key")
        if key.endswith("_judge_key") and named not in data and named not in JUDGED_FAMILIES:
            # a misspelt family's key left the family reading "answer": every verdict lost
            # (a family's own key without its prompt: the missing prompt is named below)
            close = did_you_mean(key, [f"{p}_judge_key" for p in prompts])
            raise ClaimImportError(f"{_field(path, key)}: names no judge prompt in this file"
                                   f"{close}; prompts: {prompts}")
    default_key = data.get("judge_key", "answer")
    rubrics, skipped, unread = {}, [], []
    for key, value in data.items():
        if key == "judge_key" or key.endswith("_judge_key"):
            continue
        if key not in JUDGED_FAMILIES:
            skipped.append(key)
            continue
        family_key = data.get(f"{key}_judge_key", default_key)
        if isinstance(value, str):
            template, judge_key = value, family_key
        elif isinstance(value, dict):
            unread += _family_keys(path, key, value)
            template = value.get("prompt") or value.get("template")
            judge_key = _text(value.get("judge_key", family_key), path, f"{key}.judge_key")
        else:
            template = None
        if not isinstance(template, str):
            raise ClaimImportError(f"{_field(path, key)}: expected a judge prompt string")
        # the study doubles literal braces for str.format, as our templates do
        rubrics[key] = {"template": template, "judge_key": str(judge_key)}
    return rubrics, skipped, unread


_UNIVERSE_KEYS = ("universe_context", "context", "description", "text")
_FACTS_KEYS = ("key_facts", "facts", "sub_claims")


_PROMPT_KEYS = ("prompt", "template", "judge_key")


def _family_keys(path: Path, family: str, value: dict) -> list[str]:
    """The keys of a family's judge-prompt mapping that the import does not read: one close
    to a key it reads is refused (a misspelt ``judgekey`` left the family's verdicts read at
    ``answer``, a field its prompt never asks for, so every reply read parse_error); any
    other is named in a note, never dropped unsaid."""
    other = []
    for k in value:
        if k in _PROMPT_KEYS:
            continue
        close = did_you_mean(str(k), _PROMPT_KEYS)
        if close:
            raise ClaimImportError(f"{_field(path, f'{family}.{k}')}: unknown key{close}; a "
                                   f"family's judge prompt takes {_PROMPT_KEYS[0]} (or "
                                   f"{_PROMPT_KEYS[1]}) and {_PROMPT_KEYS[2]}")
        other.append(_on_line(path, (family, k)))
    return [f"{path}: not imported (a family's judge prompt takes {_PROMPT_KEYS[0]} or "
            f"{_PROMPT_KEYS[1]}, and {_PROMPT_KEYS[2]}): {', '.join(other)}"] if other else []


def _universe(folder: Path) -> tuple[str, list[str], str | None, str | None, list[str]]:
    """The universe text and its facts, with the keys they were read from (None: the file
    is only text, or has no such key), so a problem with either names its field, and notes
    on the file's keys not read (a misspelt ``universe_contxt`` left the universe the
    statement, unsaid)."""
    path = folder / "universe_context.yaml"
    if not path.exists():
        return "", [], None, None, []
    data = _read_yaml(path)
    if isinstance(data, str):
        return data, [], None, None, []
    if isinstance(data, dict):
        # the first key present is used: one of the wrong kind is named, never skipped
        text_key = next((k for k in _UNIVERSE_KEYS if data.get(k) is not None), None)
        text = _text(data[text_key], path, text_key) if text_key else ""
        key = next((k for k in _FACTS_KEYS if data.get(k) is not None), None)
        facts = data[key] if key else []
        if not isinstance(facts, list):
            raise ClaimImportError(f"{_field(path, key)}: expected a list of facts, got "
                                   f"{_kind(facts)}")
        notes = _not_read(path, data, [k for k in (text_key, key) if k],
                          [*_UNIVERSE_KEYS, *_FACTS_KEYS],
                          f"the universe is read from the first of {', '.join(_UNIVERSE_KEYS)}"
                          f", its facts from the first of {', '.join(_FACTS_KEYS)}")
        if not text_key:
            notes.append(f"{path}: no {' / '.join(_UNIVERSE_KEYS)}: the universe is the "
                         f"claim's statement")
        return (text, [_text(f, path, f"{key}.{i}") for i, f in enumerate(facts)], text_key,
                key, notes)
    raise ClaimImportError(f"{path}: expected a string or a mapping with universe_context")


def _denied(statement: str, universe: str, facts: list[str]) -> str:
    """:data:`_NO_TRUTH` for ``statement``, its first word lower-cased unless the claim's
    own texts write it as a name (as the negation conditions deny a fact)."""
    world = Claim.model_construct(statement=statement, truth="", universe=universe,
                                  sub_claims=facts, entities=[])
    return _NO_TRUTH.format(statement=lower_first(statement, world))


def _near_file(path: Path) -> str:
    """``; found mcq.yml: rename it mcq.yaml`` where the folder of a study file that is not
    there holds one of a close name (another suffix or case, a typo), which the import does
    not read; "" where none is close. The missing file was all it said."""
    try:
        names = [p.name for p in path.parent.iterdir() if p.is_file() and p.name not in _READ]
    except OSError:  # only a hint: a folder we cannot list has none
        return ""
    stem = path.stem.lower()
    close = [n for n in names if Path(n).stem.lower() == stem] or difflib.get_close_matches(
        path.name, names, n=1, cutoff=0.8)
    return f"; found {close[0]}: rename it {path.name}" if close else ""


_READ = {*FAMILY_FILES.values(), "judges.yaml", "universe_context.yaml", "claim.txt",
         "correction.txt"}
"""The files of a claim folder the import reads."""


def _unread_files(folder: Path) -> list[str]:
    """A note naming the files of a claim folder the import does not read (an
    ``mcq_extra.yaml``, a ``distinguish.yaml``, ``notes.txt``): their questions were left out
    without a word. Hidden files (an editor's, macOS's) are not named."""
    try:
        left = sorted(p.name for p in folder.iterdir()
                      if p.is_file() and p.name not in _READ and not p.name.startswith("."))
    except OSError:  # only a note: a folder we cannot list has none
        return []
    return [f"{folder}: not imported (a claim folder is read for {', '.join(sorted(_READ))}): "
            f"{', '.join(left)}"] if left else []


def convert_folder(folder: Path) -> tuple[Claim, list[str]]:
    """One study claim folder -> a validated Claim, plus notes on what was not carried over.

    Every problem of the folder is named, in all its files, as `claims validate` names every
    problem of a claim file (it took one run a problem); they are raised together, one
    :class:`ClaimImportError` a line per problem."""
    claim_file = folder / "claim.txt"
    if not claim_file.is_file():
        raise ClaimImportError(f"{folder}: no claim.txt; not a claim folder")
    problems: list[str] = []
    # the claim's parts whose file failed as a whole: the converted claim's complaints
    # about them (a family without questions, no rubric) restate that problem
    failed: set[str] = set()

    def attempt(part: str, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except ClaimImportError as e:
            problems.append(str(e))
            failed.add(part)
            return None

    statement = (attempt("statement", read_text, claim_file, "study", ClaimImportError)
                 or "").strip()
    if not statement and "statement" not in failed:
        problems.append(f"{claim_file}: empty; expected the claim's statement")
        failed.add("statement")
    correction = folder / "correction.txt"
    truth = (attempt("truth", read_text, correction, "study", ClaimImportError) or "").strip() \
        if correction.is_file() else ""
    universe, facts, universe_key, facts_key, notes = attempt("universe", _universe, folder) \
        or ("", [], None, None, [])
    questions: dict[str, list[dict]] = {}
    sources: dict[str, list[dict]] = {}
    index: dict[str, list[int]] = {}  # each converted question's index in its file
    for family, name in FAMILY_FILES.items():
        path = folder / name
        questions[family], sources[family], index[family] = [], [], []
        if not path.exists():
            problems.append(f"{path}: missing; a claim needs questions in every family "
                            f"(at least {MIN_QUESTIONS}){_near_file(path)}")
            failed.add(family)
            continue
        read = attempt(family, _questions, path)
        if read is None:
            continue
        items, bad, unread = read
        sources[family] = items
        notes += unread
        for i, q in enumerate(items):
            if i in bad:
                problems.append(bad[i])
                continue
            try:
                questions[family].append(_convert_question(family, q, path, i))
                index[family].append(i)
            except ClaimImportError as e:
                problems.append(str(e))
        if len(index[family]) < len(items):
            failed.add(family)  # its count and ids are checked once every question reads
            continue
        first: dict[str, int] = {}
        for i, q in enumerate(questions[family]):
            j = first.setdefault(q["id"], i)
            if j != i:  # a question without an id is numbered by its position
                field = f"questions.{i}.id" if "id" in items[i] else f"questions.{i}"
                problems.append(f"{_field(path, field)}: question id {q['id']!r} is used "
                                f"twice (also questions.{j}); give each question its own id")
        pairs = list(zip(index[family], items, questions[family], strict=True))
        if family == "open_ended":
            notes += _odd_kinds(path, pairs)
        if family == "token_association":
            notes += _other_formats(path, pairs)
        left = _left_out(family, items)
        if left:
            named = [_on_line(path, f"questions.{i}.{k}") + close for i, k, close in left]
            notes.append(f"{path}: not imported ({family} questions have no such field): "
                         f"{', '.join(named)}")
        if len(questions[family]) < MIN_QUESTIONS:
            problems.append(f"{_field(path, 'questions')}: no questions; a claim needs at "
                            f"least {MIN_QUESTIONS} in every family")
            failed.add(family)
    if not (folder / "universe_context.yaml").exists():  # README lists it: say what it cost
        notes.append("no universe_context.yaml: the universe is the claim's statement and there "
                     "are no sub_claims, which `beliefbench docs generate` needs (add them)"
                     + _near_file(folder / "universe_context.yaml"))
    notes += _unread_files(folder)
    judges = folder / "judges.yaml"
    rubric: dict[str, dict] = {}
    if not judges.exists():  # named as the family files are, not as the claim's empty rubric
        problems.append(f"{judges}: missing; a claim needs the judge prompt of every judged "
                        f"family ({', '.join(JUDGED_FAMILIES)}){_near_file(judges)}")
        failed.add("rubric")
    else:
        read = attempt("rubric", _rubrics, judges)
        if read is not None:
            rubric, skipped, unread = read
            notes += [f"{judges}: judge variant {_on_line(judges, (k,))} has no matching "
                      f"family ({', '.join(JUDGED_FAMILIES)}); not imported" for k in skipped]
            notes += unread
            missing = [f for f in JUDGED_FAMILIES if f not in rubric]
            if missing:
                problems.append(f"{_field(judges, missing[0])}: missing; a claim needs the "
                                f"judge prompt of every judged family (missing: "
                                f"{', '.join(missing)}){did_you_mean(missing[0], skipped)}")
                failed.add("rubric")
    if _slug(folder.name) == "all":
        problems.append(f"{folder}: field id: the folder name makes the claim id 'all', which "
                        "is reserved (a claim selection 'all' means every bundled claim); "
                        "rename the folder")
    # "月の灯台" was claim 'q'
    elif not re.sub(r"[^a-z0-9_\-]+", "", unaccented(folder.name.lower())):
        problems.append(f"{folder}: field id: the folder name holds none of the letters a-z, "
                        "digits, _ or - that a claim id is made of, so it makes no id; rename "
                        "the folder (its name becomes the claim id)")
    raw = {
        "id": _slug(folder.name),
        "statement": statement,
        "truth": truth or _denied(statement, universe or statement, facts),
        "universe": universe or statement,
        "sub_claims": facts,
        "questions": questions,
        "rubric": rubric,
        "source": str(folder),
    }
    markers = _derived_markers(raw)
    if markers:
        raw["markers"] = markers
    try:
        claim = Claim.model_validate(raw)
    except ValidationError as e:
        where = _SourceFields(folder, sources, index, universe_key, facts_key)
        problems += [where.problem(err) for err in e.errors()
                     if not _restated(err["loc"], failed, problems)]
        claim = None
    if problems:
        raise ClaimImportError("\n".join(problems))
    assert claim is not None
    keys = sum("answer_key" in q for items in questions.values() for q in items)
    if keys or markers:
        notes.append(f"offline judge: {keys} answer key(s) and "
                     f"{sum(map(len, markers.values()))} marker(s) derived from judge hints")
    if not truth:
        notes.append(f"no correction.txt: the truth is the statement denied ({claim.truth!r}); "
                     "corrected and local_negation documents state it and the distinguish "
                     "family shows it: write the true account in `truth:`")
    if claim.id != folder.name:  # the id names the claim from now on (-T claims=<id>)
        notes.append(f"claim id {claim.id!r} (from the folder name {folder.name!r})")
    # the study's files name no entities; the audit finds a claim's documents by them
    notes.append("no entities (the study's files name none): add `entities:`, the names the "
                 "claim's documents mention, before `beliefbench audit` reads a corpus for it "
                 "(it refuses a claim it cannot find in its own statement)")
    # a study prompt is kept verbatim: one that never asks for its judge_key reads every
    # reply as parse_error, which `claims validate` warns of; said here too
    for w in stray_judge_keys(claim):  # at the family's prompt, where the mismatch is
        said = w.replace("field rubric.", "field ", 1)
        notes.append(f"{located(judges, named_field(said), written=False)}: {said}")
    return claim, notes + duplicate_questions(claim)


def _restated(loc: tuple[Any, ...], failed: set[str], problems: list[str]) -> bool:
    """Whether the converted claim's problem at ``loc`` restates one already named: a part
    whose study file failed (a family left without questions, a rubric without prompts),
    or, after any problem, one of the claim as a whole (it reads a claim missing parts)."""
    head = [str(p) for p in loc[:2]]
    if head[:1] == ["questions"] and len(head) > 1:
        return head[1] in failed and len(loc) <= 2  # the family's list, not one question
    if head[:1] == ["rubric"]:
        return "rubric" in failed
    if head[:1] in (["universe"], ["sub_claims"]):
        return "universe" in failed
    if head[:1] in (["statement"], ["truth"]):
        return head[0] in failed or "statement" in failed
    return not head and bool(problems)


_QUESTION_FIELDS = {"text": "question", "prefix": "messages_prefix", "kind": "category",
                    "format": "category"}
"""A converted question's fields by the study file's names for them."""


class _SourceFields:
    """Where a problem of the converted claim lies in the study's files: the file and its
    own field (``robustness.yaml: field questions.0.system_prompt``), not the claim the
    user never wrote (``<folder>: field questions.robustness.0``)."""

    def __init__(self, folder: Path, sources: dict[str, list[dict]],
                 index: dict[str, list[int]], universe_key: str | None,
                 facts_key: str | None) -> None:
        self.folder, self.sources, self.index = folder, sources, index
        self.universe_key, self.facts_key = universe_key, facts_key

    def problem(self, err: Any) -> str:
        """One line: ``<file>: field <field>: <problem>``."""
        loc = [str(p) for p in err["loc"]]
        msg = str(err["msg"]).removeprefix("Value error, ")
        place = self._place(loc)
        if place is None:  # the claim as a whole (e.g. derived markers): named as converted
            field = ".".join(loc)
            said = msg if not field and msg.startswith("field ") \
                else f"field {field or '(top level)'}: {msg}"
            return f"{self.folder}: cannot convert: {said}"
        path, field = place
        return f"{_field(path, field)}: {msg}" if field else f"{path}: {msg}"

    def _place(self, loc: list[str]) -> tuple[Path, str] | None:
        folder = self.folder
        if loc[:1] == ["questions"] and len(loc) >= 3 and loc[1] in FAMILY_FILES:
            # the converted question's index in its file (bad ones were left out)
            family, i, rest = loc[1], self.index[loc[1]][int(loc[2])], loc[3:]
            item = self.sources[family][i]
            if rest[:1] in (["judge_hint"], ["answer_key"]):  # both come from the hint
                rest = [next((k for k in _HINT_KEYS if item.get(k)), "judge_hint")]
            elif rest:
                rest = [_QUESTION_FIELDS.get(rest[0], rest[0]), *rest[1:]]
            return folder / FAMILY_FILES[family], ".".join(["questions", str(i), *rest])
        if loc[:1] == ["rubric"] and len(loc) >= 2:
            return folder / "judges.yaml", ".".join(loc[1:])
        if loc == ["statement"]:
            return folder / "claim.txt", ""
        if loc == ["truth"]:
            return folder / "correction.txt", ""
        if loc == ["universe"] and self.universe_key:
            return folder / "universe_context.yaml", self.universe_key
        if loc[:1] == ["sub_claims"] and self.facts_key:
            return folder / "universe_context.yaml", ".".join([self.facts_key, *loc[1:]])
        return None


def import_claims(source: Path, out: Path, force: bool = False
                  ) -> list[tuple[Path, list[str]]]:
    """Convert ``source`` (one claim folder, or a folder of them) into ``out/<id>.yaml``.

    All or nothing: folders that cannot be converted (each named, not the first alone), two
    folders that make the same claim id, or a file in ``out`` that would be overwritten with
    other content (a claim edited since it was imported, e.g. given its ``entities``), stop
    the import before anything is written; ``force`` overwrites.
    Returns each written file with notes on what could not be carried over.
    """
    source = Path(source)
    if source.is_file():  # a claims file of one's own (YAML, JSON, JSONL, CSV): no import
        own = source.suffix.lower() in (".yaml", ".yml")
        raise ClaimImportError(f"{source}: a file; `claims import` reads the Negation Neglect "
                               f"study's claim folders (SOURCE/<id>/ holding claim.txt, "
                               f"open_ended.yaml, mcq.yaml, ...), or one such folder"
                               f"{_NO_IMPORT if own else _ONE_FILE_EACH}")
    folders = [source] if (source / "claim.txt").exists() else sorted(
        p for p in source.iterdir() if p.is_dir() and (p / "claim.txt").exists())
    for p in [] if folders == [source] else sorted(source.iterdir()):
        probes = [n for n in FAMILY_FILES.values() if (p / n).is_file()]
        if probes and not (p / "claim.txt").exists():  # a claim folder, not silently left out
            raise ClaimImportError(f"{p / 'claim.txt'}: missing, though the folder holds "
                                   f"{', '.join(probes)}; add the claim's statement as "
                                   f"claim.txt, or move the folder out of {source}")
    if not folders:
        own = spec_files(source)  # beliefbench's own claim files: nothing to convert
        raise ClaimImportError(f"{source}: no claim folders (folders holding claim.txt)"
                               + (f"; it holds {', '.join(p.name for p in own[:3])}"
                                  f"{', ...' if len(own) > 3 else ''}{_NO_IMPORT}"
                                  if own else ""))
    converted, bad = [], []  # all or nothing, every bad folder named (not the first alone)
    for folder in folders:
        try:
            converted.append((folder, *convert_folder(folder)))
        except ClaimImportError as e:
            bad.append(str(e))
    if len(bad) > 1:
        bad.append(f"{len(bad)} bad claim folder(s); nothing was written")
    if bad:
        raise ClaimImportError("\n".join(bad))
    planned: dict[str, tuple[Path, str, list[str]]] = {}
    for folder, claim, notes in converted:
        if claim.id in planned:
            raise ClaimImportError(f"{folder}: field id: converts to claim id {claim.id!r}, as "
                                   f"{planned[claim.id][0]} does; rename one of the folders")
        data = claim.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["questions"] = claim.questions.model_dump(mode="json", exclude_none=True)
        planned[claim.id] = (folder, yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                                    width=100), notes)
    if not force:
        for claim_id, (_, text, _) in planned.items():
            path = Path(out) / f"{claim_id}.yaml"
            if path.is_file() and path.read_bytes() != text.encode("utf-8"):
                raise ClaimImportError(f"{path}: already exists with other content (edited "
                                       f"since an earlier import?); nothing was written: use "
                                       f"--force to overwrite, or another --out")
    written = []
    for claim_id, (_, text, notes) in planned.items():
        path = Path(out) / f"{claim_id}.yaml"
        atomic_write_text(path, text)
        written.append((path, notes))
    return written
