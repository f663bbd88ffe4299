"""The commands the README and docs/ show, checked against the code they name.

Hundreds of `beliefbench ...` and `inspect eval ... -T name=value` lines are the user's guide,
and nothing else ties them to the click options and task parameters they use: a renamed
option or task parameter would leave the guide wrong (a reader's command then fails, or, for a
`-T` key Inspect does not check, runs the defaults). Nothing here runs a command; each is
parsed: the (sub)command resolved in the real click group, every option looked up in it (with
whether it takes a value, and a `click.Choice` value among its choices), and every `-T` key
looked up in the signature of the task function the command names. The option and parameter
reference tables and the `-T key` spans of the prose are checked the same way. All mismatches
are reported at once, each with its file and line.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from inspect_ai._cli.eval import eval_command
from inspect_ai._util.registry import (
    is_registry_object,
    registry_find,
    registry_info,
    registry_lookup,
)

import beliefbench._registry  # noqa: F401  (registers the tasks, as Inspect's entry point does)
from beliefbench.cli import cli
from beliefbench.tasks import TASK_NAMES, task_factory

ROOT = Path(__file__).parents[1]
DOC_FILES: tuple[Path, ...] = (
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "docs" / "examples").glob("*.yml")),
)
"""The user's guide: the README, docs/*.md, and the workflow docs/ci-gate.md tells users to copy."""

MIN_BELIEFBENCH_COMMANDS = 100
MIN_INSPECT_COMMANDS = 20
"""Floors on what the extraction finds (162 and 32 when written): a broken extractor
would otherwise check nothing and pass."""


@dataclass(frozen=True)
class DocCommand:
    """One command line of the docs: ``tokens`` after shell parsing (quotes removed, prompts,
    comments, pipes, redirections, chains and env-var prefixes gone), starting with
    ``beliefbench`` or ``inspect eval``."""

    where: str
    text: str
    tokens: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "beliefbench" if self.tokens[0] == "beliefbench" else "inspect eval"


# ---------------------------------------------------------------------------------------------
# Shell lines: the few shell rules the docs use, not a shell.

_SEPARATORS = ("&&", "||", ";;", ";", "|", "&")
_SHELL_WORDS = frozenset({"do", "then", "else", "time", "exec", "!", "{", "(", "sudo"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def shell_segments(line: str) -> list[list[str]]:
    """``line``'s simple commands as word lists: split at ``&&``, ``||``, ``;``, ``|``, ``&``;
    quotes removed; ``$(...)`` and ``${...}`` kept as one word; a ``#`` that starts a word ends
    the line; a redirection (``> file``, ``2>&1``, ``< in``) dropped with its target."""
    segments: list[list[str]] = [[]]
    word: list[str] = []
    in_word = False
    drop_next = False
    i, n = 0, len(line)

    def end_word() -> None:
        nonlocal in_word, drop_next
        if in_word:
            if drop_next:
                drop_next = False
            else:
                segments[-1].append("".join(word))
        word.clear()
        in_word = False

    while i < n:
        c = line[i]
        if c in "'\"":
            close = line.find(c, i + 1)
            while c == '"' and close > 0 and line[close - 1] == "\\":
                close = line.find(c, close + 1)
            close = n if close < 0 else close
            word.append(line[i + 1:close].replace('\\"', '"') if c == '"' else line[i + 1:close])
            in_word, i = True, close + 1
        elif c == "$" and line[i + 1:i + 2] in ("(", "{"):
            opener = line[i + 1]
            closer = ")" if opener == "(" else "}"
            depth, j = 0, i + 1
            while j < n:
                depth += (line[j] == opener) - (line[j] == closer)
                j += 1
                if depth == 0:
                    break
            word.append(line[i:j])
            in_word, i = True, j
        elif c == "\\" and i + 1 < n:
            word.append(line[i + 1])
            in_word, i = True, i + 2
        elif c.isspace():
            end_word()
            i += 1
        elif c == "#" and not in_word:
            break
        elif c == "<" and (placeholder := re.match(r"<[^\s<>|;&][^<>|;&]*>", line[i:])):
            word.append(placeholder.group())  # <out>, <the first>: the docs' placeholders
            in_word, i = True, i + placeholder.end()
        elif c in "<>":
            if in_word and "".join(word).isdigit():  # 2> : the fd is no word
                word.clear()
                in_word = False
            end_word()
            i += 1
            while i < n and line[i] in ">&":
                i += 1
            drop_next = True
            if i < n and line[i].isdigit() and line[i - 1] == "&":  # 2>&1: the target is here
                while i < n and line[i].isdigit():
                    i += 1
                drop_next = False
        elif c == "|" and in_word and i + 1 < n and not line[i + 1].isspace() \
                and line[i + 1] not in "|&;":
            word.append(c)  # a usage line's alternatives, generate|mix: no pipe
            i += 1
        elif (sep := next((s for s in _SEPARATORS if line.startswith(s, i)), None)) is not None:
            end_word()
            segments.append([])
            i += len(sep)
        else:
            word.append(c)
            in_word, i = True, i + 1
    end_word()
    return [seg for seg in segments if seg]


def command_words(segment: list[str]) -> tuple[str, ...] | None:
    """``segment`` as a beliefbench or ``inspect eval`` command (first word ``beliefbench`` or
    ``inspect``), without env-var prefixes, a ``$ `` prompt or a launcher in front
    (``accelerate launch ... $(which beliefbench) finetune``); None for any other command."""
    words = list(segment)
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _SHELL_WORDS
                     or words[0] in ("$", ">", "%")):
        words.pop(0)
    if not words:
        return None
    for i, word in enumerate(words):
        if word in ("$(which beliefbench)", "$(command -v beliefbench)"):
            return ("beliefbench", *words[i + 1:])
    head = words[0]
    if head == "beliefbench" or head.endswith("/bin/beliefbench"):
        return ("beliefbench", *words[1:])
    if head.endswith("python") and words[1:3] == ["-m", "beliefbench"]:
        return ("beliefbench", *words[3:])
    if head == "inspect" and words[1:2] == ["eval"]:
        return ("inspect", "eval", *words[2:])
    return None


def script_commands(lines: Iterable[tuple[int, str]], file: str) -> Iterator[DocCommand]:
    """The commands of a shell snippet given as (line number, line): a line ending in ``\\``
    goes on in the next; a comment line ends there (its ``\\`` continues nothing)."""
    pending: list[str] = []
    start = 0
    for number, raw in lines:
        line = raw.rstrip()
        if not pending:
            start = number
            if line.lstrip().startswith("#"):
                continue
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        text = " ".join(part.strip() for part in pending)
        pending = []
        yield from _commands_of(text, f"{file}:{start}")
    if pending:
        yield from _commands_of(" ".join(part.strip() for part in pending), f"{file}:{start}")


def _commands_of(text: str, where: str) -> Iterator[DocCommand]:
    for segment in shell_segments(text.removeprefix("$ ")):
        words = command_words(segment)
        if words is not None:
            yield DocCommand(where, text, words)


# ---------------------------------------------------------------------------------------------
# Markdown: fenced and indented code blocks, inline code spans.

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
_INLINE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_INLINE_COMMAND = re.compile(r"^(beliefbench|inspect eval)\s")


@dataclass
class _Block:
    lang: str
    lines: list[tuple[int, str]]


def markdown_parts(text: str) -> tuple[list[_Block], list[tuple[int, str]]]:
    """``text``'s code blocks (fenced, and indented by 4 after a blank line) and its other
    lines (prose, tables), each line with its 1-based number."""
    blocks: list[_Block] = []
    prose: list[tuple[int, str]] = []
    fence: str | None = None
    indented: _Block | None = None
    previous_blank = True
    for number, line in enumerate(text.splitlines(), 1):
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            else:
                blocks[-1].lines.append((number, line))
            previous_blank = False
            continue
        if (opened := _FENCE.match(line)) is not None:
            fence, indented = opened.group(1), None
            blocks.append(_Block(opened.group(2).lower(), []))
            previous_blank = False
            continue
        blank = not line.strip()
        if line.startswith(("    ", "\t")) and not blank and (previous_blank or indented):
            if indented is None:
                indented = _Block("", [])
                blocks.append(indented)
            indented.lines.append((number, line))
        elif not blank:
            indented = None
            prose.append((number, line))
        else:
            prose.append((number, ""))
        previous_blank = blank
    return blocks, prose


def inline_spans(prose: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Each inline code span of ``prose`` with the line it starts on, its content on one line
    (a span may wrap onto the next line, never across a paragraph)."""
    paragraph: list[tuple[int, str]] = []
    for number, line in [*prose, (0, "")]:
        if line.strip():
            paragraph.append((number, line))
            continue
        joined = "\n".join(text for _, text in paragraph)
        for span in _INLINE.finditer(joined):
            yield (paragraph[joined.count("\n", 0, span.start(2))][0],
                   " ".join(span.group(2).split()))
        paragraph = []


def inline_commands(prose: list[tuple[int, str]], file: str) -> Iterator[DocCommand]:
    """The inline code spans of ``prose`` that are commands: those that start with
    ``beliefbench `` or ``inspect eval ``. A span that names a command in passing
    (`beliefbench report`, `inspect eval ...`) has no options to check and passes; its
    (sub)command words must still exist."""
    for line, content in inline_spans(prose):
        if _INLINE_COMMAND.match(content):
            yield from _commands_of(content, f"{file}:{line}")


def workflow_commands(text: str, file: str, first_line: int = 1) -> Iterator[DocCommand]:
    """The commands of a GitHub workflow's ``run:`` steps (a folded ``>`` step is one
    command line; a ``|`` step one script); ``first_line``: where ``text`` starts in ``file``."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "run" and isinstance(value, yaml.ScalarNode):
                    start = first_line + value.start_mark.line + (value.style in ("|", ">"))
                    lines = value.value.splitlines() if value.style != ">" else [value.value]
                    yield from script_commands(
                        ((start + k, line) for k, line in enumerate(lines)), file)
                else:
                    stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _doc_text(path: Path) -> tuple[str, str]:
    return path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()


def doc_commands(text: str, file: str) -> list[DocCommand]:
    """Every beliefbench and ``inspect eval`` command a doc's ``text`` shows."""
    if file.endswith((".yml", ".yaml")):
        return list(workflow_commands(text, file))
    blocks, prose = markdown_parts(text)
    found: list[DocCommand] = []
    for block in blocks:
        if block.lang in ("yaml", "yml"):
            body = "\n".join(line for _, line in block.lines)
            found += workflow_commands(body, file, block.lines[0][0] if block.lines else 1)
        elif block.lang in ("", "bash", "sh", "shell", "console", "text"):
            found += script_commands(block.lines, file)
    found += inline_commands(prose, file)
    return found


# ---------------------------------------------------------------------------------------------
# Checking a command line against a click command.

_PLACEHOLDER = re.compile(r"^(\.\.\.|…|<[^>]*>|.*\.\.\.)$")
_OPTION = re.compile(r"^--?[A-Za-z]")


def _is_placeholder(word: str) -> bool:
    return bool(_PLACEHOLDER.match(word))


def _unbracket(words: Iterable[str]) -> list[str]:
    """Usage-line brackets gone: ``[--json]`` -> ``--json``, ``[--dir DIR]`` -> ``--dir DIR``."""
    out = []
    for word in words:
        if word.startswith("["):
            word = word.lstrip("[")
        if word.endswith("]") and "[" not in word:
            word = word.rstrip("]")
        if word:
            out.append(word)
    return out


@dataclass
class Parsed:
    """What a command line gave one click command: its options' values, by option name."""

    command: click.Command
    path: str
    values: dict[str, list[str]]
    positional: list[str]


def check_options(command: click.Command, path: str, words: list[str],
                  problems: list[str]) -> Parsed:
    """Walk ``words`` as click would for ``command``: each option must be one of its own,
    a flag must not be given a value (``--json=x``, or a word no argument takes), a value
    option must have one. Problems are appended to ``problems``."""
    options: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                options[name] = param
    helps = set(command.get_help_option_names(click.Context(command)))
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    capacity = math.inf if any(a.nargs < 0 for a in arguments) else sum(a.nargs for a in arguments)
    parsed = Parsed(command, path, {}, [])
    positional = parsed.positional
    seen: set[str] = set()
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional += [w for w in words[i:] if not _is_placeholder(w)]
            break
        if not _OPTION.match(word):
            if not _is_placeholder(word):
                positional.append(word)
            continue
        name, has_value, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in helps:
            continue
        option = options.get(name)
        if option is None:
            problems.append(f"`{path}` has no option {name}")
            if not has_value and i < len(words) and not _OPTION.match(words[i]):
                i += 1  # its value, most likely: no second report about it
            continue
        if name in seen and not (option.multiple or option.count):
            problems.append(f"`{path} {name}` is given twice but takes one value (the last "
                            f"would win)")
        seen.add(name)
        if option.is_flag or option.count:
            if has_value:
                problems.append(f"`{path} {name}` is a flag: it takes no value ({word})")
            continue
        if has_value:
            parsed.values.setdefault(name, []).append(inline)
            _check_choice(option, path, name, inline, problems)
            continue
        optional = getattr(option, "_flag_needs_value", False)
        for _ in range(option.nargs):
            if i >= len(words) or (_OPTION.match(words[i]) and not _is_number(words[i])):
                if not optional:
                    problems.append(f"`{path} {name}` needs a value")
                break
            parsed.values.setdefault(name, []).append(words[i])
            _check_choice(option, path, name, words[i], problems)
            i += 1
    if len(positional) > capacity:
        extra = " ".join(positional[int(capacity):])
        problems.append(f"`{path}` takes {'no' if not capacity else int(capacity)} "
                        f"argument(s) but is given {extra!r} (a flag given a value, or a "
                        f"removed option's value?)")
    return parsed


def _check_choice(option: click.Option, path: str, name: str, value: str,
                  problems: list[str]) -> None:
    """A value of a ``click.Choice`` option must be one of its choices (a renamed choice, say
    a provider or an engine, leaves the docs' value behind); ``a|b`` is each of them, and a
    placeholder (``M``, ``<x>``, ``$VAR``) stands for any."""
    if not isinstance(option.type, click.Choice):
        return
    choices = [str(c) for c in option.type.choices]
    fold = (lambda v: v) if option.type.case_sensitive else str.lower
    for alternative in value.split("|"):
        if (_is_placeholder(alternative) or "$" in alternative
                or re.fullmatch(r"[A-Z][A-Z0-9_]*", alternative)):
            continue
        if fold(alternative) not in map(fold, choices):
            problems.append(f"`{path} {name} {alternative}`: not one of its choices "
                            f"({', '.join(choices)})")


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def resolve_beliefbench(words: list[str], problems: list[str]) -> list[Parsed]:
    """``words`` (after ``beliefbench``) checked against ``beliefbench.cli:cli``; a usage line's
    ``a|b`` subcommand is each of them. The leaf commands reached, with what they were given."""
    results: list[Parsed] = []

    def walk(command: click.Command, path: str, rest: list[str]) -> None:
        if not isinstance(command, click.Group):
            results.append(check_options(command, path, rest, problems))
            return
        i = 0
        while i < len(rest) and _OPTION.match(rest[i]):
            i += 1
        check_options(command, path, rest[:i], problems)  # --version, --help
        if i == len(rest) or _is_placeholder(rest[i]):
            return  # the group named in passing (`beliefbench docs`, `beliefbench internals ...`)
        for name in rest[i].split("|"):
            sub = command.commands.get(name)
            if sub is None:
                problems.append(f"`{path}` has no command {name!r} "
                                f"(its commands: {', '.join(sorted(command.commands))})")
            else:
                walk(sub, f"{path} {name}", rest[i + 1:])

    walk(cli, "beliefbench", _unbracket(words))
    return results


# ---------------------------------------------------------------------------------------------
# Tasks and their parameters.

def task_parameters(function: Callable[..., Any]) -> list[str] | None:
    """The ``-T`` keys a task function takes: its named parameters, as Inspect passes them
    (the registered function keeps the original under ``__wrapped__``, which
    ``inspect.signature`` follows). A thin task file's ``def belief(**params)`` that forwards
    to a registered task takes that task's parameters; None where they cannot be told."""
    parameters = inspect.signature(function).parameters.values()
    named = [p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if not any(p.kind is p.VAR_KEYWORD for p in parameters) or named:
        return named
    inner = inspect.unwrap(function)
    forwarded = [value for name in inner.__code__.co_names
                 if is_registry_object(value := inner.__globals__.get(name), type="task")]
    if len(forwarded) == 1 and forwarded[0] is not function:
        return task_parameters(forwarded[0])
    return None


@cache
def _task_file(path: Path) -> dict[str, Callable[..., Any]]:
    """The @task functions of a task file, by name (its module loaded as Inspect loads it)."""
    spec = importlib.util.spec_from_file_location(f"_docs_task_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {registry_info(obj).name.split("/")[-1]: obj for obj in vars(module).values()
            if is_registry_object(obj, type="task")}


def resolve_task(spec: str) -> dict[str, Callable[..., Any]] | str | None:
    """The task functions ``inspect eval <spec>`` runs, by name; a string saying why there is
    none; None for a spec the docs cannot pin down (a shell variable, a placeholder)."""
    if "$" in spec or _is_placeholder(spec):
        return None
    file, _, function = spec.partition("@")
    if file.endswith(".py"):
        path = Path(file)
        if path.is_absolute():  # the README's example of what Inspect's loader rejects
            path = Path(*path.parts[-2:])
        if not (ROOT / path).is_file():
            return f"no task file {file}"
        tasks = _task_file(ROOT / path)
        if function:
            return {function: tasks[function]} if function in tasks else \
                f"{file} has no task {function!r} (its tasks: {', '.join(tasks)})"
        return tasks or f"{file} has no @task function"
    if spec.startswith("beliefbench/"):
        found = registry_lookup("task", spec)
        return {spec: found} if callable(found) else f"no registered task {spec}"
    return None


def check_task_keys(tasks: dict[str, Callable[..., Any]], keys: list[str]) -> list[str]:
    """One problem per ``-T`` key that is not a parameter of each task."""
    problems = []
    for name, function in tasks.items():
        valid = task_parameters(function)
        if valid is None:
            problems.append(f"the parameters of task {name} cannot be told (a **kwargs "
                            f"wrapper that forwards to no registered task)")
            continue
        for key in keys:
            if key not in valid:
                problems.append(f"-T {key}: not a parameter of task {name} "
                                f"(its parameters: {', '.join(valid)})")
    return problems


def _task_keys(values: list[str]) -> list[str]:
    """The keys of ``-T key=value`` words (a placeholder or ``$VAR`` is no key)."""
    keys = [value.partition("=")[0] for value in values]
    return [key for key in keys if re.fullmatch(r"[A-Za-z_]\w*", key)]


# ---------------------------------------------------------------------------------------------
# One command.

def check_command(command: DocCommand) -> list[str]:
    """Every problem of one doc command."""
    problems: list[str] = []
    if command.kind == "beliefbench":
        for parsed in resolve_beliefbench(list(command.tokens[1:]), problems):
            problems += _check_passed_task_args(parsed)
        return problems
    # Inspect's own options are checked as beliefbench's are, against the installed Inspect's
    # `inspect eval` (an option Inspect renames leaves the docs as wrong as one of ours)
    parsed = check_options(eval_command, "inspect eval", _unbracket(command.tokens[2:]),
                           problems)
    keys = _task_keys(parsed.values.get("-T", []))
    for spec in parsed.positional:
        tasks = resolve_task(spec)
        if isinstance(tasks, str):
            problems.append(f"`inspect eval {spec}`: {tasks}")
        elif tasks:
            problems += check_task_keys(tasks, keys)
    return problems


def _check_passed_task_args(parsed: Parsed) -> list[str]:
    """``beliefbench sweep`` and ``internals steer|ablate`` hand ``-T`` to the task their
    ``--task`` names (Inspect's ``belief`` by default for sweep)."""
    values = parsed.values.get("-T")
    if not values:
        return []
    task_option = next((p for p in parsed.command.params if "--task" in getattr(p, "opts", ())),
                       None)
    if task_option is None:
        return []
    name = (parsed.values.get("--task") or [task_option.default])[-1]
    if name not in TASK_NAMES:
        return []
    return [f"`{parsed.path} --task {name}`: {problem}"
            for problem in check_task_keys({name: task_factory(name)}, _task_keys(values))]


def mismatches(commands: Iterable[DocCommand]) -> list[str]:
    """``file:line: problem`` for every problem of ``commands``, deduplicated, in doc order."""
    out: list[str] = []
    for command in commands:
        for problem in check_command(command):
            line = f"{command.where}: {problem}\n    {command.text}"
            if line not in out:
                out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# Reference tables: `| option | meaning |` under a `beliefbench X` heading, and the tasks'
# `| parameter | default | meaning |` tables.

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class DocTable:
    """One reference table: its kind (``option`` or ``parameter``), the heading it is under,
    and each row's first-column names with their line."""

    where: str
    kind: str
    heading: str
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def doc_tables(text: str, file: str) -> list[DocTable]:
    """The option and parameter tables of a markdown doc."""
    if not file.endswith(".md"):
        return []
    _, prose = markdown_parts(text)
    tables: list[DocTable] = []
    heading = ""
    current: tuple[int, str, list[tuple[int, tuple[str, ...]]]] | None = None
    for number, line in [*prose, (0, "")]:
        if not line.startswith("|"):
            if current is not None:
                tables.append(DocTable(f"{file}:{current[0]}", current[1], heading,
                                       tuple(current[2])))
                current = None
            if re.match(r"^#{1,6}\s", line):
                heading = line
            continue
        first = _CELL_SPLIT.split(line)[1].strip()
        if current is None:
            kind = first.lower()
            current = (number, kind, []) if kind in ("option", "parameter") else (number, "", [])
        elif not re.fullmatch(r":?-+:?", first):
            names = tuple(span.split()[0] for span in _SPAN.findall(first) if span.split())
            current[2].append((number, names))
    return [t for t in tables if t.kind]


def _heading_command(heading: str) -> tuple[click.Command, str] | None:
    """The beliefbench command a heading names (``### `beliefbench report` ``), if any."""
    found = re.search(r"`beliefbench ([^`]+)`", heading)
    if found is None:
        return None
    command: click.Command = cli
    path = "beliefbench"
    for word in found.group(1).split():
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        command, path = command.commands[word], f"{path} {word}"
    return (command, path) if command is not cli else None


@cache
def registered_tasks() -> dict[str, list[str]]:
    """beliefbench's registered tasks (its Inspect entry point), with their parameters."""
    found = registry_find(lambda info: info.type == "task"
                          and info.name.startswith("beliefbench/"))
    return {registry_info(task).name: task_parameters(task) or [] for task in found}


def table_problems(table: DocTable) -> list[str]:
    """An option table's options must be its heading command's; a parameter table's names
    the parameters of one task (the registered task that takes most of them)."""
    problems = []
    file = table.where.rsplit(":", 1)[0]
    if table.kind == "option":
        named = _heading_command(table.heading)
        if named is None:
            return []
        command, path = named
        valid = {name for p in command.params if isinstance(p, click.Option)
                 for name in (*p.opts, *p.secondary_opts)}
        for line, names in table.rows:
            problems += [f"{file}:{line}: option table of `{path}`: it has no option {name}"
                         for name in names if _OPTION.match(name) and name not in valid]
        return problems
    keys = {name for _, names in table.rows for name in names}
    task, valid = max(registered_tasks().items(), key=lambda item: len(keys & set(item[1])))
    for line, names in table.rows:
        problems += [f"{file}:{line}: parameter table of {task}: it has no parameter {name} "
                     f"(its parameters: {', '.join(valid)})"
                     for name in names if name not in valid]
    missing = [name for name in valid if name not in keys]
    if missing:  # a parameter added to the task and not to its table
        problems.append(f"{table.where}: parameter table of {task}: no row for "
                        f"{', '.join(missing)}")
    return problems


DELIBERATE_TASK_KEYS: dict[str, str] = {
    "key": "the form itself: `-T key=value`",
    "sample": "README: the mistyped key (for samples) that the task refuses, naming it",
}
"""Inline ``-T`` keys that the docs show on purpose although no task takes them."""


def inline_task_key_problems(text: str, file: str) -> list[str]:
    """Prose names task parameters on their own (``-T max_failed``, ``-T judge_sees=...``):
    each must be a parameter of one of beliefbench's registered tasks."""
    if not file.endswith(".md"):
        return []
    valid = {name for names in registered_tasks().values() for name in names}
    problems = []
    for line, content in inline_spans(markdown_parts(text)[1]):
        found = re.match(r"-T\s+([A-Za-z_]\w*)", content)
        if found and found.group(1) not in valid | DELIBERATE_TASK_KEYS.keys():
            problems.append(f"{file}:{line}: -T {found.group(1)}: not a parameter of any "
                            f"beliefbench task ({', '.join(sorted(registered_tasks()))})")
    return problems


def doc_problems(text: str, file: str) -> list[str]:
    """Every mismatch of one doc with the code: its commands, tables and inline -T keys."""
    found = mismatches(doc_commands(text, file))
    found += [problem for table in doc_tables(text, file) for problem in table_problems(table)]
    return found + inline_task_key_problems(text, file)


# ---------------------------------------------------------------------------------------------
# Tests.

def test_docs_commands_match_the_code() -> None:
    """Every command, reference table and inline -T key of the README and docs/ matches the
    code: options its commands have, parameters its tasks take."""
    found = [problem for path in DOC_FILES for problem in doc_problems(*_doc_text(path))]
    assert not found, (f"{len(found)} mismatch(es) of the docs with the code:\n"
                       + "\n".join(found))


def test_extraction_finds_the_commands() -> None:
    """The extractor still sees the docs' commands (a broken one would check nothing)."""
    kinds = [c.kind for path in DOC_FILES for c in doc_commands(*_doc_text(path))]
    assert kinds.count("beliefbench") >= MIN_BELIEFBENCH_COMMANDS, kinds.count("beliefbench")
    assert kinds.count("inspect eval") >= MIN_INSPECT_COMMANDS, kinds.count("inspect eval")


def test_shell_parsing() -> None:
    """Prompts, env prefixes, pipes, redirections, chains and quotes come off a command."""
    assert shell_segments("$ A=1 B=2 beliefbench report logs --json > r.json 2>&1 | tee x") == [
        ["$", "A=1", "B=2", "beliefbench", "report", "logs", "--json"], ["tee", "x"]]
    assert shell_segments('cd x && beliefbench gate --baseline "a b" # note') == [
        ["cd", "x"], ["beliefbench", "gate", "--baseline", "a b"]]
    assert command_words(["accelerate", "launch", "--x", "y", "$(which beliefbench)",
                          "finetune", "--out", "o"]) == ("beliefbench", "finetune", "--out", "o")
    assert command_words(["PIP_EXTRA_INDEX_URL=https://x", "make"]) is None
    assert shell_segments('x "$(ls -t a/*.eval | head -n 1)" ${a##*-}') == [
        ["x", "$(ls -t a/*.eval | head -n 1)", "${a##*-}"]]


@pytest.mark.parametrize(("doc", "expected"), [
    # an option renamed in the code, left in a fenced block (continued with \)
    ("```\nbeliefbench gate --baseline a \\\n    --max-rize 0.1\n```\n",
     ["guide.md:2: `beliefbench gate` has no option --max-rize"]),
    # a -T key that the task function does not take, in an indented block
    ("text\n\n    inspect eval tasks/belief.py --model m -T bogus=1\n",
     ["guide.md:3: -T bogus: not a parameter of task belief"]),
    ("`inspect eval beliefbench/em -T sampels=2`\n",
     ["guide.md:1: -T sampels: not a parameter of task beliefbench/em"]),
    # inline, wrapped onto the next line; a flag given a value; a value option with none
    ("run `beliefbench report logs --json=yes\n--out` now\n",
     ["guide.md:1: `beliefbench report --json` is a flag",
      "guide.md:1: `beliefbench report --out` needs a value"]),
    ("```\nbeliefbench gate --json yes\nbeliefbench docs generat --n 2\n```\n",
     ["guide.md:2: `beliefbench gate` takes no argument(s) but is given 'yes'",
      "guide.md:3: `beliefbench docs` has no command 'generat'"]),
    ("```\nbeliefbench sweep --task em --manifest m -T claims=x\n```\n",
     ["guide.md:2: `beliefbench sweep --task em`: -T claims: not a parameter of task em"]),
    # an option Inspect does not have
    ("`inspect eval tasks/belief.py --modle m`\n",
     ["guide.md:1: `inspect eval` has no option --modle"]),
    # a task file that is not there
    ("`inspect eval tasks/beleif.py --model m`\n", ["guide.md:1: `inspect eval tasks/beleif.py`"]),
    # a choice value the option no longer offers; one value given twice
    ("```\nbeliefbench sweep --manifest m --provider vlm\nbeliefbench gate --seed 1 --seed 2\n```",
     ["guide.md:2: `beliefbench sweep --provider vlm`: not one of its choices",
      "guide.md:3: `beliefbench gate --seed` is given twice"]),
    # a workflow step (folded), in a yaml block
    ("```yaml\nsteps:\n  - run: >\n      beliefbench gate --baseline b\n      --max-rize 1\n```\n",
     ["guide.md:4: `beliefbench gate` has no option --max-rize"]),
    # reference tables and a task parameter named in prose
    ("### `beliefbench report`\n\n| option | meaning |\n|---|---|\n| `--byy` | x |\n",
     ["guide.md:5: option table of `beliefbench report`: it has no option --byy"]),
    ("| parameter | default | meaning |\n|---|---|---|\n| `questions` | x | y |\n"
     "| `sampels` | 1 | z |\n",
     ["guide.md:4: parameter table of beliefbench/em: it has no parameter sampels",
      "guide.md:1: parameter table of beliefbench/em: no row for samples"]),
    ("Set it with `-T judge_view=transcript`.\n",
     ["guide.md:1: -T judge_view: not a parameter of any beliefbench task"]),
    # prose fragments, placeholders and usage brackets are no mismatch
    ("`beliefbench report`'s `beliefbench internals ...` `inspect eval ...` "
     "`beliefbench claims new ID [--dir DIR] [--force]` "
     "`beliefbench internals margins|lens --model CKPT ...`\n", []),
])
def test_drift_is_caught(doc: str, expected: list[str]) -> None:
    """A renamed option, a bogus -T key, a misspelt command: each is reported with its line."""
    found = doc_problems(doc, "guide.md")
    assert len(found) == len(expected), found
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start), (message, start)


@pytest.mark.skipif(__import__("shutil").which("make") is None, reason="no make here")
def test_every_make_target_runs_its_command() -> None:
    """``make lint`` was declared (.PHONY) with no rule: it printed "Nothing to be done" and
    exited 0 with ruff never run, a lint step that always passed. Every declared target runs
    something, and ``make test`` runs ruff, then pytest, as the README's Development says.
    ``make -n`` only prints the commands."""
    import subprocess

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [phony] = re.findall(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE)

    def commands(target: str) -> list[str]:
        said = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True,
                              text=True, check=True).stdout.splitlines()
        return [line for line in said if not line.startswith("make")]

    assert {t: commands(t) != [] for t in phony.split()} == dict.fromkeys(phony.split(), True)
    ruff = "ruff check src tests tasks benchmarks"
    assert any(line.endswith(ruff) for line in commands("lint"))
    test = commands("test")
    assert [line for line in test if ruff in line or "/pytest" in line] == [
        f".venv/bin/{ruff}", '.venv/bin/pytest -n auto -m "not serial"',
        ".venv/bin/pytest -m serial"]  # every test, the multi-process ones alone


def test_the_makefile_gives_the_readmes_demo_time() -> None:
    """The Makefile's header said ``make demo`` took "< 10 min" where the README's Quick
    start says about 1.5 min idle and 4 to 10 beside other jobs (plus the venv's 3 min the
    first time): the figures of the two are the same, so a new measurement moves both."""
    def figures(text: str) -> list[str]:
        return re.findall(r"\d+(?:\.\d+)?(?: to \d+)?", " ".join(text.split()))

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"creates `\.venv` \(about (\d+) minutes the first time\).*?`make demo` "
                     r"takes (about [\d.]+\s+minutes on two idle cores and [\d ]+to \d+) beside",
                     readme, re.S)
    assert said, "README's Quick start no longer gives the demo's time"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = re.search(r"^#   make demo(.*?)^#   make test", makefile, re.S | re.M)
    assert demo, "the Makefile's header no longer describes make demo"
    assert figures(demo[1]) == figures(said[2]) + [said[1]], (demo[1], said.groups())


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 2), (3, 3), (16, 4), (64, 4)])
def test_make_test_runs_one_worker_per_core_at_most_four(monkeypatch: pytest.MonkeyPatch,
                                                         cores: int, workers: int) -> None:
    """``make test`` runs ``pytest -n auto``: the workers follow the cores this process may
    use (a container's CPU set), capped, so a many-core CI machine starts four, not 64."""
    import os

    from conftest import MOST_WORKERS, pytest_xdist_auto_num_workers

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert MOST_WORKERS == 4
    assert pytest_xdist_auto_num_workers(None) == workers  # type: ignore[arg-type]
