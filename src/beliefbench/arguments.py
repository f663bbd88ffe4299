"""Checks of task and library arguments: one wording for every parameter.

The belief, EM and logprob tasks validate their ``-T`` values with these, and the library
functions that take the same kinds of value (a seed, a count) reuse them, so a bad value
reads the same from the command line and from Python. Kept apart from the tasks so that a
check costs no Inspect import.
"""

from __future__ import annotations

import datetime
import math
import numbers
import os
import re
import shlex
import sys
from collections.abc import Container, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from beliefbench.analysis.text import did_you_mean
from beliefbench.resources import no_home, user_path

# Inspect prints a PrerequisiteError's message alone where a task cannot be built; any other
# error is a traceback (280 lines for a misspelt claim id). Taken only where Inspect is
# already loaded, as under `inspect eval`: the commands that never use Inspect do not pay
# for importing it (elsewhere the base is Exception, which changes nothing).
_PREREQUISITE: type = getattr(sys.modules.get("inspect_ai._util.error"), "PrerequisiteError",
                              Exception)


class InputError(ValueError, _PREREQUISITE):
    """Bad input a task is built from (a ``-T`` value, a claim file): under ``inspect eval``
    one line, its message, not a traceback. A ValueError, as before.

    A message that starts with a task argument's name (``kinds: unknown value ...``) names
    it as the user typed it where this process's command line gave it as ``-T`` (``inspect
    eval``, ``beliefbench sweep``): ``-T kinds=bogus: unknown value ...``. A bare ``kinds:``
    read as a file or a field, not the ``-T`` value at fault. From Python the name stays."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, as_typed(message))

    @property
    def message(self) -> str:
        """What Inspect prints for a PrerequisiteError."""
        return str(self)


class NoHomeFolder(InputError):
    """A path whose ``~user`` names no user on this machine (``~nosuch/claims.yaml``), or
    whose ``~`` has no home (HOME unset): :func:`~beliefbench.resources.no_home`'s one line
    (under ``inspect eval`` too), where :meth:`Path.expanduser` raised a RuntimeError that
    named no path. ``where``: what gave the path, where it is not typed on the command line
    (``$BELIEFBENCH_CLAIMS_PATH``), said first."""

    def __init__(self, path: str | Path, where: str = "") -> None:
        self.path = str(path)
        super().__init__(f"{where}: {no_home(path)}" if where else no_home(path))


class ScorerInputError(_PREREQUISITE):
    """Bad input a scorer is built from (a judge template, a claim file, the families'
    guidance) where no task checked it first: ``inspect score LOG`` rebuilds the scorer from
    the log's arguments, reading the files as they are now. One line under Inspect, its
    message. Not a ValueError: Inspect's loader takes a ValueError raised while a scorer is
    built for a scorer it could not find, and prints only "The scorer 'belief_judge' ...
    couldn't be loaded. Please provide a path to the file containing the scorer using the
    '--scorer' parameter", the message lost."""


class TaskArgumentError(InputError):
    """A bad task argument; the message names the argument and the problem.

    The ``check_*`` functions below raise it; the belief and EM tasks validate their
    parameters with them, so a bad ``-T`` value reads the same in both.
    """


def check_whole(name: str, value: Any, minimum: int) -> int:
    """A whole number, as a plain int: a NumPy integer from a notebook counts too (it is no
    ``int``, and the log's metadata must hold plain JSON values)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise TaskArgumentError(f"{name}: expected a whole number of at least {minimum}, "
                                f"got {value!r}{_quoted_number(value, whole=True)}")
    return int(value)


def _quoted_number(value: Any, whole: bool = False) -> str:
    """`` (text, not a number: give it unquoted, 48)`` for a number given as text
    (``max_tokens="48"`` in Python, ``max_tokens: "48"`` in a --task-config file): the bare
    "got '48'" read as if 48 were not a whole number. Only where the number itself would
    do (``'2.5'`` for a whole number gets none)."""
    if not isinstance(value, str):
        return ""
    if whole:
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return ""
    else:
        try:
            if not math.isfinite(float(value)):
                return ""
        except ValueError:
            return ""
    return f" (text, not a number: give it unquoted, {value.strip()})"


def check_number(name: str, value: Any, low: float, high: float | None = None,
                 low_open: bool = False) -> float:
    """A number in range; never NaN or infinite (-T temperature=.inf sampled noise, judged)."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    finite = ok and math.isfinite(value)
    if finite:
        ok = (value > low if low_open else value >= low) and (high is None or value <= high)
    if not (ok and finite):
        span = f"{'above' if low_open else 'at least'} {low}" + \
            (f" and at most {high}" if high is not None else "")
        kind = "a finite number" if ok else "a number"
        raise TaskArgumentError(f"{name}: expected {kind} {span}, got {value!r}"
                                f"{_quoted_number(value)}")
    return float(value)


def check_choice(name: str, value: Any, valid: tuple[str, ...], hint: str = "") -> str:
    """One of ``valid``; ``hint`` is added where no valid value is close to the one given
    (``-T judge=openai/gpt-4.1-mini``: a model, which belongs elsewhere)."""
    if value not in valid:
        close = did_you_mean(value, valid) if isinstance(value, str) else ""
        raise TaskArgumentError(f"{name}: unknown value {value!r}{close or hint}; "
                                f"valid: {list(valid)}")
    return value


def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TaskArgumentError(f"{name}: expected true or false, got {value!r}")
    return value


def check_selection(name: str, value: Any, default: str | None = None) -> str | list[str]:
    """A selection (``claims``, ``families``): a non-empty name or list of names; a path
    (``pathlib.Path``) counts as a name, as its text.

    ``-T claims=`` (an empty value, e.g. from an unset shell variable) reads as None in
    Inspect's YAML parsing: that is refused here, never taken for "all". ``default`` (the
    parameter's default, e.g. "all") is named in that error as the value to pass instead.
    """
    if value is None or (isinstance(value, str | list | tuple) and not value):
        instead = f", or {default!r}" if default is not None else ""
        # None is what Inspect makes of a blank -T value; [] or "" a Python caller gave
        why = (f"a blank -T {name}= or an unset shell variable also reads as None"
               if value is None else
               f"an empty {'string' if isinstance(value, str) else 'list'} selects nothing")
        raise TaskArgumentError(f"{name}: empty value ({value!r}); give names, a list or "
                                f"comma-separated{instead} ({why})")
    if isinstance(value, str):
        _refuse_empty_items(name, value)
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    typed = _yaml_typed(name, value)
    if typed:
        raise TaskArgumentError(typed)
    if isinstance(value, list | tuple) and all(isinstance(v, str | os.PathLike)
                                               for v in value):
        _refuse_empty_items(name, value)
        return [os.fspath(v) for v in value]
    raise TaskArgumentError(f"{name}: expected a name or a list of names, got "
                            f"{value!r}")


def empty_items(items: Sequence[str]) -> str | None:
    """The problem of a list of names some of which are blank (``a,,b``, ``a,b,``: a name
    lost to a typo, which was dropped without a word), or None; all blank is the caller's
    "empty value". Worded as ``--layers`` / ``--scales`` refuse theirs."""
    empty = [str(i) for i, item in enumerate(items, 1) if not item.strip()]
    if not empty or len(empty) == len(items):
        return None
    many = len(empty) > 1
    return (f"item{'s' if many else ''} {', '.join(empty)} of {len(items)} "
            f"{'are' if many else 'is'} empty (a comma too many, or a name left out?)")


def _refuse_empty_items(name: str, value: str | Sequence[str | os.PathLike[str]]) -> None:
    """Refuse a selection with a blank item: ``-T claims=a,,b`` (Inspect's ``['a', '',
    'b']``) or ``families="binary,"``; the problem names the items as one comma list. A
    ``pathlib.Path``, or an existing path with a comma in it, is one item."""
    parts = [piece for part in ([value] if isinstance(value, str) else value)
             for piece in ([os.fspath(part)] if isinstance(part, os.PathLike)
                           else part.split(",") if "," in part and not _path_exists(part)
                           else [part])]
    problem = empty_items(parts)
    if problem:
        # a -T typed names the value itself (InputError writes it `-T claims=a,,b: ...`)
        shown = "" if typed_on_command_line(name) is not None else f"{','.join(parts)!r}: "
        raise TaskArgumentError(f"{name}: {shown}{problem}")


def _path_exists(text: str) -> bool:
    """Whether ``text`` names an existing file or folder (a path with a comma is one name)."""
    try:
        return user_path(text.strip()).exists()
    except (OSError, ValueError):
        return False


def check_names(name: str, value: Any, valid: Sequence[str]) -> list[str]:
    """Some of ``valid`` (``parts``, ``kinds``): a list or a comma-separated string, each
    once, in the order given. An unknown one is named with the closest valid one and the
    valid ones (``-T kinds=bogus`` read "kinds: unknown value(s) ['bogus']")."""
    value = check_selection(name, value)
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = list(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
    if not chosen:
        raise TaskArgumentError(f"{name}: empty value; valid: {list(valid)}")
    unknown = [v for v in chosen if v not in valid]
    if unknown:
        what = f"value {unknown[0]!r}" if len(unknown) == 1 else f"values {unknown}"
        raise TaskArgumentError(f"{name}: unknown {what}{did_you_mean(unknown[0], valid)}; "
                                f"valid: {list(valid)}")
    return chosen


def _yaml_kind(value: Any) -> str | None:
    """What YAML made of an unquoted name that is not text (None: text or no scalar)."""
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    return None


def _yaml_typed(name: str, value: Any) -> str | None:
    """The problem of a selection YAML typed, or None: Inspect parses ``-T claims=010`` as the
    number 8, which no text can be recovered from (``8``, ``010``, ``0o10`` and ``0x8`` all
    read as 8), so the value is refused with the quoting that keeps the name as typed, never
    turned to text (``'8'`` names another claim, or none, and said so of a name never typed).
    An item of a list counts too: ``-T claims=[010,dentist]`` read ``'8'`` before. From
    Python (no command line) the value is just of the wrong type, said so, with no -T."""
    listed = isinstance(value, list | tuple)
    for i, item in enumerate(value if listed else [value]):
        kind = _yaml_kind(item)
        if kind is None:
            continue
        if running_program() is None:  # a Python caller's value: no YAML read it
            what = f"item {i + 1} of the list ({item!r})" if listed else f"{item!r}"
            return (f"{name}: {what} is {kind}, not a name; give each name as text (a str) "
                    "or a pathlib.Path")
        typed = _typed_on_command_line(name, value)
        if listed:
            what, quote = f"item {i + 1} of the list ({item!r})", "quote each such name ('010')"
        else:
            example = typed or "010"
            what = f"{item!r}"
            quote = (f"quote the name: -T {name}=\"'{example}'\" ({name}: '{example}' in a "
                     f"--task-config file)")
        return (f"{name}: {what} is {kind}, not a name: Inspect reads a -T value as YAML, "
                f"where unquoted digits are a number (010 is the octal 8, 1_000 is 1000) and "
                f"yes, no, on, off are true or false; {quote}")
    return None


def _task_args_typed() -> list[str]:
    """Every ``-T`` (``--task-arg``) value on this process's command line, in order, as
    typed (a bare ``claims`` too, which Inspect drops)."""
    args, found = sys.argv[1:], []
    for i, arg in enumerate(args):
        if arg in ("-T", "--task-arg") and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith("--task-arg="):
            found.append(arg.removeprefix("--task-arg="))
        elif arg.startswith("-T") and len(arg) > 2:
            found.append(arg[2:])
    return found


def _keyed(items: Sequence[str]) -> list[tuple[str, str]]:
    """The ``key=value`` ones of ``items``, in order, as (key as a parameter name, the item
    as given): ``max-tokens=8`` gives ``max_tokens``."""
    found = []
    for item in items:
        key, sep, _ = item.partition("=")
        if sep:
            found.append((key.strip().replace("-", "_"), item))
    return found


def _task_args_given() -> list[tuple[str, str]]:
    """Every ``-T key=value`` (``--task-arg``) on this process's command line, in order, as
    (key as a parameter name, ``key=value`` as typed)."""
    return _keyed(_task_args_typed())


def _check_no_bare_key(variable: bool) -> None:
    """Refuse a ``-T`` item with no ``=``: Inspect reads only ``key=value`` ones and drops
    any other without a word, so ``-T claims`` (the value forgotten) ran every claim, and
    ``INSPECT_EVAL_TASK_ARGS="claims=ed_sheeran, dentist"`` (split at the space) ran
    ed_sheeran alone. A blank item (``-T "$EXTRA"`` with the variable unset) names no key
    and is dropped by Inspect as nothing: it passes."""
    items = _variable_items() if variable else _task_args_typed()
    for item in items:
        if "=" in item or not item.strip():
            continue
        if variable:
            raise TaskArgumentError(
                f"{TASK_ARGS_VARIABLE}: {item!r} is no key=value item: Inspect splits that "
                f"variable at spaces and drops such an item without a word; write each "
                f"item as key=value, a list without spaces (claims=a,b)")
        raise TaskArgumentError(
            f"-T {item}: no value: Inspect reads -T key=value and drops a bare key without a "
            f"word; give -T {item.strip()}=VALUE, or leave it out for the default")


def typed_on_command_line(name: str) -> str | None:
    """The last ``-T name=value`` (``--task-arg``) on this process's command line that gives
    ``name``, as typed (``max-tokens=8`` gives ``max_tokens``), or None where none does."""
    found = [given for key, given in _task_args_given() if key == name]
    return found[-1] if found else None


COMMAND_LINES = ("inspect", "beliefbench")
"""The programs whose ``-T`` options :func:`check_given_once` reads (a Python script's own
command line may use ``-T`` for something else)."""


def running_program() -> str | None:
    """The program of :data:`COMMAND_LINES` this process runs (``python -m inspect_ai``, which
    runs ``inspect_ai/__main__.py``, reads as ``inspect``), else None: a Python script or
    pytest, whose command line is its own."""
    program = Path(sys.argv[0])
    if program.parent.name == "inspect_ai":
        return "inspect"
    return program.stem if program.stem in COMMAND_LINES else None


def check_given_once(names: Sequence[str]) -> None:
    """Refuse a parameter given by two ``-T`` options with different values: Inspect (and
    ``beliefbench sweep``) keep the last alone, so ``-T claims=ed_sheeran -T claims=dentist``
    measured dentist only, without a word, where both were meant. Likewise one given both
    in Inspect's ``--task-config FILE`` and as ``-T``: Inspect takes the ``-T`` value and
    drops the file's, without a word."""
    program = running_program()
    if program is None:
        return
    # Inspect's options (a sweep builds its task itself; eval-retry takes the log's args,
    # never -T, INSPECT_EVAL_TASK_ARGS or --task-config)
    sweep = program == "beliefbench"
    inspect = not sweep and sys.argv[1:2] in (["eval"], ["eval-set"])
    args, variable = _task_args_given(), False
    if inspect and not _task_args_typed():  # the variable stands for -T where none is typed
        args, variable = _variable_task_args(), True
    _check_no_comment_cut(args, sweep)
    given: dict[str, list[str]] = {}  # every -T of a parameter, in order, as typed
    for key, typed in args:
        if key in names:
            given.setdefault(key, []).append(typed)
    for key, values in given.items():
        # the same value twice is taken, however its name or value is spelt (max-tokens /
        # max_tokens, samples=2 / samples=02): the values as the command reads them compared
        last = _read_as(values[-1], key, sweep)
        if not all(_same_value(_read_as(v, key, sweep), last, key) for v in values[:-1]):
            shown = ", then ".join(values if variable else (f"-T {v}" for v in values))
            where = f" in {TASK_ARGS_VARIABLE}" if variable else ""
            listed = LISTS.get(key)
            raise TaskArgumentError(
                f"-T {key}: given {len(values)} times{where} ({shown}): only the last would "
                f"be used; give it once" + (f" (several {listed} as one list: "
                                            f"{'' if variable else '-T '}{key}=a,b)"
                                            if listed else ""))
    if inspect:
        _check_no_bare_key(variable)
        # (a blank -T "" is a -T too: Inspect then drops the variable as well)
        _check_variable_not_dropped(args if not variable else [], blank=not variable)
        _check_not_in_task_config(names, args, variable)
        metadata, from_variable = _metadata_typed()
        if not from_variable:  # the variable's items are split at spaces: no ' #' in one
            _check_no_comment_cut(_keyed(metadata), False, "--metadata")
        _check_labels_read_as_typed()


def yaml_quoted_option(key: str, raw: str) -> str:
    """``key=raw`` with the value in YAML's single quotes, each comma-separated item apart
    (``claims=['dentist', 'take #2']``), shell-quoted: the ``-T`` that keeps a ``#`` or
    other YAML syntax in the value as typed."""
    def quoted(text: str) -> str:
        return "'" + text.strip().replace("'", "''") + "'"  # YAML's single quotes

    value = (f"[{', '.join(quoted(p) for p in raw.split(','))}]" if "," in raw
             else quoted(raw))
    option = f"{key}={value}"
    return f'"{option}"' if not re.search(r'["$`\\!]', option) else shlex.quote(option)


def comment_cut(item: str, key: str, sweep: bool = False) -> str | None:
    """The text of ``key=value`` (as typed) before the unquoted `` #`` at which YAML cuts the
    value as a comment, or None where it cuts none: a ``#`` inside quotes, or with no space
    before it, is kept, and a cut is where the text before it reads as the whole value.
    ``""`` where the cut leaves nothing (``claims= #x`` reads as None, as a blank value)."""
    raw = item.partition("=")[2]
    read = _read_as(item, key, sweep)
    for cut in re.finditer(r"(?:^|\s)#", raw):  # (claims=#x reads as None too)
        kept = raw[:cut.start()].strip()
        if _read_as(f"{key}={kept}", key, sweep) == read:
            return kept
    return None


def _check_no_comment_cut(args: Sequence[tuple[str, str]], sweep: bool,
                          option: str = "-T") -> None:
    """Refuse a ``-T`` value that YAML cuts at an unquoted `` #`` (a comment there):
    ``-T 'claims=dentist #2'`` measured dentist alone, ``-T 'samples=2 # two'`` took 2,
    without a word, the rest dropped (a value whose cut names nothing was refused as the
    cut value, a path never typed). The shell drops an unquoted ``-T claims=dentist #2``'s
    comment itself, before any command sees it. ``args``: (key, ``key=value`` as typed);
    ``option``: ``--metadata`` for Inspect's labels, read the same way."""
    who = "beliefbench" if sweep else "Inspect"
    for key, item in args:
        raw = item.partition("=")[2]
        kept = comment_cut(item, key, sweep)
        if kept == "":  # nothing before the ' #': a blank value's fix (end it there) is none
            raise TaskArgumentError(
                f"{option} {item}: {who} reads {option} values as YAML, where an unquoted "
                f"'#' after a space or opening the value starts a comment, so "
                f"{raw.strip()!r} would be cut to nothing (an "
                f"empty value); quote it to keep the '#': {option} "
                f"{yaml_quoted_option(key, raw)}, or give a value before the '#'")
        if kept is not None:
            raise TaskArgumentError(
                f"{option} {item}: {who} reads {option} values as YAML, where an unquoted "
                f"' #' starts a comment, so {raw.strip()!r} would be cut to {kept!r}; "
                f"quote it to keep the '#': {option} {yaml_quoted_option(key, raw)}, or "
                f"end the value before the ' #' where the rest is a comment ({option} "
                f"{key}={kept})")


METADATA_VARIABLE = "INSPECT_EVAL_METADATA"
"""Inspect's environment variable for ``--metadata``: its items, split at whitespace, are the
``--metadata`` options where the command line gives none."""


def _metadata_typed() -> tuple[list[str], bool]:
    """Every ``--metadata`` value on this process's command line, in order, as typed; where
    none is typed, the items of :data:`METADATA_VARIABLE` (which Inspect then reads), with
    True: a refusal names the variable, where a ``--metadata`` typed to fix an item would
    drop the variable's other items."""
    args, found = sys.argv[1:], []
    for i, arg in enumerate(args):
        if arg == "--metadata" and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith("--metadata="):
            found.append(arg.removeprefix("--metadata="))
    if found:
        return found, False
    return os.environ.get(METADATA_VARIABLE, "").split(), True


class MetadataItem(NamedTuple):
    """One ``--metadata`` item as typed and as Inspect reads it."""

    named: str
    """How a refusal names it: ``--metadata step=010``, or ``INSPECT_EVAL_METADATA: ...``."""
    variable: bool
    """Whether it came from :data:`METADATA_VARIABLE` (the fix is written there)."""
    key: str
    """Its key as Inspect reads it (``-`` as ``_``)."""
    raw: str
    """The text after its ``=``."""
    value: Any
    """That text as YAML reads it (Inspect's ``parse_cli_args``); the text itself where YAML
    cannot read it."""


def metadata_items(keys: Container[str]) -> Iterator[MetadataItem]:
    """The ``--metadata`` items (or :data:`METADATA_VARIABLE`'s) whose key is one of
    ``keys``, each read as Inspect reads it: one reading for every check of a label typed
    (the belief task's step / condition / checkpoint, the EM task's kl)."""
    import yaml

    items, variable = _metadata_typed()
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.replace("-", "_")
        if not sep or key not in keys:
            continue
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        named = f"{METADATA_VARIABLE}: {item}" if variable else f"--metadata {item}"
        yield MetadataItem(named, variable, key, raw, value)


def _yaml_number_reading(text: str, value: int | float) -> str:
    """Why YAML (1.1, as Inspect's ``yaml.safe_load`` reads it) made ``text`` the number
    ``value``: the form that changed it, so a refusal says what happened to ``1:30``."""
    bare = text.lstrip("+-")
    if isinstance(value, float):
        if bare.lower() in (".inf", ".nan"):
            return f"{bare} is the float {str(value).lstrip('-')}"
        return ("a '.' makes a decimal number, printed in its shortest form"
                + (" ('_' between digits dropped)" if "_" in bare else ""))
    if ":" in bare:
        return "digits separated by ':' are base 60, sexagesimal (1:30 is 90)"
    if bare[:2].lower() == "0x":
        return "0x starts a hexadecimal number"
    if bare[:2].lower() == "0b":
        return "0b starts a binary number"
    digits = bare.replace("_", "")
    dropped = "'_' between digits is dropped"
    if len(digits) > 1 and digits.startswith("0"):
        return "digits with a leading 0 are octal" + (f" ({dropped})" if "_" in bare else "")
    if "_" in bare:
        return dropped
    return "a '+' is dropped" if text.startswith("+") else "a number is printed plainly"


def _check_labels_read_as_typed() -> None:
    """Refuse a run label (``--metadata step=000625``) that Inspect's YAML reading of
    ``--metadata`` records as another number: a leading 0 is octal there, so the log held
    step 405 and the report placed it at step 405 without a word wherever no checkpoint
    folder (``step-000625``) was there to tell; ``condition=010`` was the condition ``8``.
    The rule: a label whose text YAML reads as a number printed otherwise than the text
    (``0x10``, ``1:30``, ``0_10``, ``1.10``) is refused, as the log's number cannot be read
    back as what was typed; a step typed as that same whole number (``+625``, ``1_000``) is
    the step typed. Likewise a label YAML reads as true/false (``condition=no`` was recorded
    ``False``, reported as the condition ``False`` beside ``off``'s, one row) or as no value
    (``condition=`` of an unset variable, ``null``, ``~``: the run went unlabelled). Refused
    before anything runs."""
    for named, variable, key, raw, value in metadata_items(("step", "condition",
                                                            "checkpoint")):
        typed = raw.strip()
        if isinstance(value, bool) or value is None:
            _refuse_label_not_text(named, variable, key, typed, value)
        # text YAML cannot read is kept as text (a str): no number, nothing to refuse
        if isinstance(value, bool) or not isinstance(value, int | float) or str(value) == typed:
            continue
        why = _yaml_number_reading(typed, value)
        if key == "step":
            try:
                # the whole number the text writes in decimal (Python's reading: +625, 1_000)
                meant: int | None = int(typed) if re.fullmatch(r"[+-]?[\d_]+", typed) else None
            except ValueError:
                meant = None
            if meant == value:
                continue  # +625 or 1_000: the step typed
            fix = f"step={meant if meant is not None else value}"
            fixed = (f"write {fix} in {METADATA_VARIABLE}" if variable
                     else f"pass --metadata {fix}")
            if meant is None:  # 0x10, 1:30, 1.10: no decimal step written to put back
                fixed = ("write the step as a whole number in plain decimal digits"
                         + (f" ({fixed} if {value} is meant)" if isinstance(value, int) else ""))
            raise TaskArgumentError(
                f"{named}: Inspect reads --metadata values as YAML, where {why}: the log "
                f"would record step {value}, not {typed if meant is None else meant}; "
                f"{fixed} (from a checkpoint folder in a script: step=$((10#${{ckpt##*-}})))")
        quoted = f"{key}={chr(34)}{typed}{chr(34)}"
        raise TaskArgumentError(
            f"{named}: Inspect reads --metadata values as YAML, where {why}: the log "
            f"would record {key} as the number {value}, not the text {typed}; "
            "to keep the label as typed, quote it"
            + (f" in {METADATA_VARIABLE}: {quoted}" if variable
               else f": --metadata {shlex.quote(quoted)}"))


def _refuse_label_not_text(named: str, variable: bool, key: str, typed: str,
                           value: bool | None) -> None:
    """Refuse a run label that YAML reads as true/false (``no``, ``off``, ``yes``) or as no
    value (blank, ``null``, ``~``), saying what the log would record and how to keep it."""
    if not typed:  # condition=$COND of an unset variable
        raise TaskArgumentError(
            f"{named}: no value (an unset shell variable?): the log would record no {key}, "
            f"and the run would be reported unlabelled; give {key}=VALUE, or leave it out")
    if key == "step":
        raise TaskArgumentError(
            f"{named}: Inspect reads --metadata values as YAML, where {typed} is "
            f"{'no value' if value is None else f'the boolean {value}'}, not a step: give "
            f"the checkpoint's training step as a whole number (step=625), or leave it out")
    read = ("no value, so the run would be reported unlabelled" if value is None else
            f"the boolean {value} (yes, no, on, off, true and false all read as true or "
            f"false, so two labels can be reported as one)")
    quoted = f"{key}={chr(34)}{typed}{chr(34)}"
    raise TaskArgumentError(
        f"{named}: Inspect reads --metadata values as YAML, where {typed} is {read}: the "
        f"log would record {key} as {value}, not the text {typed}; to keep the label as "
        "typed, quote it"
        + (f" in {METADATA_VARIABLE}: {quoted}" if variable
           else f": --metadata {shlex.quote(quoted)}"))


TASK_ARGS_VARIABLE = "INSPECT_EVAL_TASK_ARGS"
"""Inspect's environment variable for ``-T``: its ``key=value`` items, split at whitespace,
are the ``-T`` options where the command line gives none; one ``-T`` typed, and the whole
variable is ignored."""


def _variable_items() -> list[str]:
    """The items of :data:`TASK_ARGS_VARIABLE`, split at whitespace as Inspect's command line
    (click) splits it."""
    return os.environ.get(TASK_ARGS_VARIABLE, "").split()


def _variable_task_args() -> list[tuple[str, str]]:
    """The ``key=value`` items of :data:`TASK_ARGS_VARIABLE`, as (key as a parameter name,
    item as set)."""
    return _keyed(_variable_items())


def _check_variable_not_dropped(typed: list[tuple[str, str]], blank: bool = False) -> None:
    """Refuse :data:`TASK_ARGS_VARIABLE` set beside ``-T`` options on the command line:
    Inspect then ignores the whole variable, so ``INSPECT_EVAL_TASK_ARGS="claims=a"`` with
    ``-T samples=2`` ran every claim, and with ``-T claims=b`` claims b, without a word. A
    variable item that a ``-T`` gives again with the same value loses nothing. ``blank``:
    the command line's ``-T`` options are blank ones alone (``-T "$EXTRA"``, unset), which
    give nothing and still make Inspect drop the variable."""
    if not typed and not blank:
        return
    last = dict(typed)  # the -T Inspect uses for each parameter: the last
    for key, item in _variable_task_args():
        if key in last and _same_value(_parsed(item, key), _parsed(last[key], key), key):
            continue
        beside = (f"-T {last[key]}" if key in last else f"-T {typed[0][1]}" if typed
                  else "a blank -T ('')")
        raise TaskArgumentError(
            f"{TASK_ARGS_VARIABLE}: {item} would be dropped: Inspect reads that variable only "
            f"where the command line gives no -T, and this one gives {beside}; give it as "
            f"-T {shlex.quote(item)} (or in one place), or unset {TASK_ARGS_VARIABLE}")


def _task_config_given() -> tuple[str, dict[str, Any]] | None:
    """The ``--task-config`` file of this process's command line (or of Inspect's
    ``INSPECT_EVAL_TASK_CONFIG``, which the option replaces), as typed, with the arguments it
    holds, read as Inspect reads it (JSON where it starts with ``{``, else YAML); None where
    none is given or it cannot be read (Inspect said so before any task was built)."""
    import json

    import yaml

    args, typed = sys.argv[1:], os.environ.get("INSPECT_EVAL_TASK_CONFIG")
    for i, arg in enumerate(args):
        if arg == "--task-config" and i + 1 < len(args):
            typed = args[i + 1]
        elif arg.startswith("--task-config="):
            typed = arg.removeprefix("--task-config=")
    if not typed:
        return None
    try:
        text = user_path(typed).read_text(encoding="utf-8")
        held = json.loads(text) if text.strip().startswith("{") else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    return (typed, held) if isinstance(held, dict) else None


def _same_value(a: Any, b: Any, key: str = "") -> bool:
    """Whether two values (a file's and a ``-T`` one's, or two ``-T`` ones', each as parsed)
    give the task the same thing (a list of one name and that name alike: ``claims:
    [dentist]``, ``-T claims=dentist``; for a list parameter, :data:`LISTS`, a
    comma-separated string and its list: the task splits it)."""
    import json

    def number(v: Any) -> Any:  # 1.0 and 1 give a task the same number (1 and true do not)
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [number(x) for x in v]
        return {k: number(x) for k, x in v.items()} if isinstance(v, dict) else v

    def one(v: Any) -> str:
        if key in LISTS and isinstance(v, str):
            v = [part.strip() for part in v.split(",") if part.strip()]
        elif key in LISTS and isinstance(v, list):  # Inspect's split of "a, b": [a, " b"]
            v = [part.strip() if isinstance(part, str) else part for part in v]
        v = number(v[0] if isinstance(v, list) and len(v) == 1 else v)
        # by type too: `true` and `1` are equal in Python, not to a task
        try:
            return json.dumps(v, sort_keys=True, default=repr)
        except TypeError:  # a mapping with keys of mixed types ({1: a, b: c}): unsortable
            return repr(v)
    return one(a) == one(b)


def _read_as(item: str, key: str, sweep: bool) -> Any:
    """The value the command gives the task for ``-T key=value``: Inspect's (:func:`_parsed`),
    or with ``sweep`` that of ``beliefbench sweep`` (and ``internals``' arms), which read
    ``-T`` with the project's YAML loader (YAML 1.2: ``yes`` stays a string; ``cli/report.py``'s
    ``_key_values``)."""
    if not sweep:
        return _parsed(item, key)
    from beliefbench.specs import load_yaml

    value = item.partition("=")[2]
    try:
        return load_yaml(value) if value else None
    except Exception:  # noqa: BLE001 - yaml.YAMLError and its kin: the sweep says so itself
        return value


def _parsed(item: str, key: str) -> Any:
    """The value Inspect makes of ``key=value`` (YAML), or the text after ``=`` where YAML
    cannot read it (``claims=[a,`` of a variable split at its spaces): a check that names
    the problem, never a YAML traceback."""
    import yaml
    from inspect_ai._util.config import parse_cli_args

    try:
        return parse_cli_args((item,)).get(key)
    except yaml.YAMLError:
        return item.partition("=")[2]


def _check_not_in_task_config(names: Sequence[str], args: list[tuple[str, str]],
                              variable: bool = False) -> None:
    """Refuse a parameter given in the ``--task-config`` file and, with another value, as
    ``-T``: Inspect merges the file first and the ``-T`` over it, so the file's value was
    dropped silently (``claims`` in the file and ``-T claims=dentist`` measured dentist
    alone). ``args``: the ``-T`` options in effect, as (name, typed); ``variable``: they are
    :data:`TASK_ARGS_VARIABLE`'s (which Inspect merges over the file the same way)."""
    config = _task_config_given()
    if config is None:
        return
    import json

    file, held = config
    last: dict[str, str] = {}  # the -T Inspect uses for each parameter: the last
    for key, typed in args:
        last[key] = typed
    for key, typed in last.items():
        if key not in names or key not in held:
            continue
        # a list parameter's "a,b" in the file is the list [a, b] -T makes of it
        if _same_value(held[key], _parsed(typed, key), key):
            continue
        shown = json.dumps(held[key], ensure_ascii=False, default=str)
        listed = LISTS.get(key)
        where = f"in {TASK_ARGS_VARIABLE} ({typed}): Inspect would use the variable's " \
            if variable else f"as -T {typed}: Inspect would use the -T "
        raise TaskArgumentError(
            f"-T {key}: given twice, in --task-config {file} ({key}: {shown}) and "
            f"{where}value alone and drop the file's; give it "
            f"in one place" + (f" (several {listed}: one list in the file)" if listed
                               else ""))


LISTS = {"claims": "claims", "families": "families", "parts": "parts", "kinds": "kinds",
         "questions": "question sets"}
"""Parameters that take a list: a repeated ``-T`` of them was meant as one list."""


_NAMED = re.compile(r"([A-Za-z_]\w*): ")


def as_typed(message: str) -> str:
    """``message`` with its leading ``name:`` written ``-T name=value:`` as the command line
    gave it, where it did (see :class:`InputError`); one the ``--task-config`` file gave
    alone is named with the file (``--task-config run.yaml: max_tokens: ...``: a bare
    ``max_tokens:`` read as a field of some other file); else as it is."""
    named = _NAMED.match(message)
    if named is None:
        return message
    typed = typed_on_command_line(named.group(1))
    if typed is not None:
        return f"-T {typed}: {message[named.end():]}"
    # `inspect eval` only: a sweep has no --task-config (nor reads Inspect's variable)
    config = _task_config_given() if running_program() == "inspect" else None
    if config is not None and named.group(1) in config[1]:
        return f"--task-config {config[0]}: {message}"
    return message


def _typed_on_command_line(name: str, value: Any) -> str | None:
    """The text a ``-T name=...`` on this process's command line gave for ``value``, if one
    did and it is a single name (an ``inspect eval`` run): the quoting example then shows what
    the user typed (``'010'``), not what YAML made of it (``'8'``)."""
    if isinstance(value, list | tuple):
        return None
    import yaml

    given = typed_on_command_line(name)
    raw = given.partition("=")[2] if given is not None else None
    if raw is None or "," in raw or "'" in raw:
        return None
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    if type(parsed) is type(value) and parsed == value:
        return raw.strip()
    return None


def check_text_file(name: str, value: Any, what: str = "file",
                    words: Sequence[str] = ()) -> Path:
    """A user's file that must exist, be a file and be UTF-8 text. ``what`` names it in the
    error for a value that is no path (``-T judge_template=5`` failed inside pathlib; a blank
    one read as the current directory). ``words`` are the names the parameter takes in place
    of a file (``default``, ``statement``): a missing file whose name is a near miss of one
    is told so (``-T judge_template=defualt`` said only "no such file"), as are the close
    files beside a missing one (``scratch/strct.md`` beside ``scratch/strict.md``)."""
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise TaskArgumentError(f"{name}: expected the path of a {what}, got {value!r}")
    path = user_path(str(value))
    if not path.exists():
        from beliefbench.not_found import where_missing

        # scratch/strict.md run from another directory: no scratch/ there, as for any path
        close = did_you_mean(str(value), words) if isinstance(value, str) else ""
        raise TaskArgumentError(f"{name}: no such file {str(value)!r}"
                                f"{close or where_missing(path, files=True, pwd=True)}")
    if not path.is_file():
        raise TaskArgumentError(f"{name}: {str(value)!r} is a directory, not a file")
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise TaskArgumentError(f"{name}: {path} is not UTF-8 text (bad byte at offset "
                                f"{e.start})") from None
    except OSError as e:
        raise TaskArgumentError(f"{name}: cannot read {path}: {e.strerror or e}") from None
    return path
