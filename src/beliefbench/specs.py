"""Reading spec files (claims, recipes): safe YAML in, a validated pydantic model out.

Every spec error names the file, the field and the problem (a field problem also the line
and column it is written on), the same way for each kind.
"""

from __future__ import annotations

import ast
import datetime
import functools
import inspect
import json
import re
import textwrap
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import annotated_types
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from beliefbench.analysis.text import did_you_mean

M = TypeVar("M", bound=BaseModel)


YAML_11_BOOLEANS = ("a YAML 1.1 tool, such as a script's yaml.safe_load and safe_dump, turns a "
                    "bare yes / no into true / false")
"""Why a claim's ``yes`` / ``no`` (a rubric's keys, an answer key's, ``belief_answer``) comes
back ``true`` / ``false``: a claim file loaded and dumped again by PyYAML (or converted to
JSON) through YAML 1.1, where beliefbench reads YAML 1.2."""


class StrictKeys(BaseModel):
    """Base of every model read from a spec file (claims, recipes, demo settings, ...): an
    unknown key is an error, so a misspelt field never silently falls back to its default,
    and the error names the keys the model takes and the closest one:
    ``unknown field (did you mean 'learning_rate'?); valid: [...]``."""

    model_config = ConfigDict(extra="forbid")

    _key_kind: ClassVar[str] = "field"
    """What this model's keys are called in an unknown-key error."""
    _docstrings_describe: ClassVar[bool] = False
    """Whether this model's field docstrings are written for a spec's author, so that a
    missing field's error may quote them (see :func:`field_description`); models whose
    docstrings note code reasons leave it off."""

    @model_validator(mode="wrap")
    @classmethod
    def _name_valid_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """An unknown key (pydantic: "Extra inputs are not permitted") is reported with the
        keys this model takes and the closest one, for every spec model at once: each model
        rewrites the unknown keys of its own level, nested ones are already rewritten."""
        try:
            return handler(data)
        except ValidationError as e:
            errors = e.errors()
            if not any(_unknown_here(err) for err in errors):
                raise
            valid = list(cls.model_fields)
            rebuilt = []
            for err in errors:
                msg = err["msg"]
                if _unknown_here(err):
                    key = str(err["loc"][0])
                    guess = did_you_mean(key, valid, cutoff=0.7)
                    if key in ("true", "false") and {"yes", "no"} <= set(valid):
                        meant = "yes" if key == "true" else "no"
                        guess = f" (did you mean {meant!r}? {YAML_11_BOOLEANS})"
                    hidden = invisible_characters(key)
                    if hidden:  # "unknown field 'universe' (did you mean 'universe'?)"
                        guess = (f" (it holds {hidden}, pasted from a web page or word "
                                 f"processor: retype the key){guess}")
                    msg = f"unknown {cls._key_kind}{guess}; valid: {valid}"
                # the rest rebuilt as they were: same type name, message word for word
                # (no context given, so braces in it stay as written)
                rebuilt.append({"type": PydanticCustomError(err["type"], msg),
                                "loc": err["loc"], "input": err["input"]})
            raise ValidationError.from_exception_data(e.title, rebuilt) from None


def _unknown_here(err: Any) -> bool:
    """Whether a pydantic error is an unknown key of the model that reports it."""
    return err["type"] == "extra_forbidden" and len(err["loc"]) == 1


class Spec(StrictKeys):
    """Base of the spec models of recipes and settings: strict keys (:class:`StrictKeys`),
    and no boolean where a field takes none. A field's docstring is its description, which a
    missing field's error quotes (see :func:`format_validation_error`)."""

    _docstrings_describe: ClassVar[bool] = True

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        """pydantic reads ``batch_size: true`` as 1 and ``learning_rate: yes`` as 1.0; a
        boolean is only accepted where the field says so."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and not _admits_bool(field.annotation):
            # what to write instead, from the field's type: "where this field takes no
            # boolean" alone left the author to guess (``batch_size: true``)
            form = expected_form(field)
            default = _default_said(field)
            raise ValueError(f"got the boolean {str(value).lower()} where this field takes "
                             "no boolean" + (f": write {form}" if form else "")
                             + (f" (or delete the line for the default, {default})"
                                if default else ""))
        return value


def expected_form(field: FieldInfo) -> str:
    """What a field takes, in a spec author's words, from its annotation and constraints:
    ``a whole number, at least 1``, ``a number, at least 0 and below 1``, ``lora or full``,
    ``true, false, auto or regional``, ``a list``; "" where the type says nothing plain
    (``Any``). One wording for every spec model, so no field needs its own message."""
    words = _forms(field.annotation)
    if not words:
        return ""
    said = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    bounds = [f"{word} {getattr(limit, name)}" for limit in field.metadata
              for name, word in (("ge", "at least"), ("gt", "above"), ("le", "at most"),
                                 ("lt", "below"))
              if isinstance(limit, annotated_types.BaseMetadata) and hasattr(limit, name)]
    if bounds and any(w in ("a whole number", "a number") for w in words):
        said += ", " + " and ".join(bounds)
    return said


def _forms(annotation: Any) -> list[str]:
    """The kinds of value an annotation takes, each in a spec author's words (no ``None``: a
    key left out, not a value to write); [] for a type that says nothing plain."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _forms(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return list(dict.fromkeys(w for a in typing.get_args(annotation) for w in _forms(a)))
    if origin is typing.Literal:
        return [str(a).lower() if isinstance(a, bool) else str(a)
                for a in typing.get_args(annotation)]
    if annotation is bool:
        return ["true", "false"]
    plain = {int: "a whole number", float: "a number", str: "text",
             list: "a list", tuple: "a list", set: "a list", dict: "a mapping"}
    if origin in plain or annotation in plain:
        return [plain[origin or annotation]]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ["a mapping (key: value lines)"]
    return []


def _default_said(field: FieldInfo) -> str:
    """A field's default as it is written in YAML (``8``, ``cosine``, ``true``), or "" where
    it has none to say (required, none, or a default built by a factory)."""
    if field.is_required():
        return ""
    default = field.get_default()
    if isinstance(default, bool):
        return str(default).lower()
    return str(default) if isinstance(default, int | float | str) and default != "" else ""


def _admits_bool(annotation: Any) -> bool:
    """Whether a field's type takes a boolean (bool, Any, or a union or Literal with one)."""
    if annotation is bool or annotation is Any:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_admits_bool(a) for a in typing.get_args(annotation))
    return False


class SpecLoader(yaml.SafeLoader):
    """yaml.SafeLoader with YAML 1.2 booleans: only true/false are booleans.

    Under YAML 1.1 ``yes:`` and ``no:`` (a rubric's keys, binary answers) would load as
    True and False; spec authors should not have to quote them.
    """


def _construct_mapping(self: SpecLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """Refuse a key given twice in one mapping (PyYAML silently keeps the last one)."""
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = self.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key; the base constructor reports it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {first + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(self, node, deep=deep)


SpecLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]
SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def _fast_loader() -> type | None:
    """SpecLoader's rules (YAML 1.2 booleans, no key given twice) on libyaml's C parser, or
    None where PyYAML was built without libyaml. Still a safe loader: CSafeLoader builds
    plain values only, with the same constructor as SpecLoader."""
    base = getattr(yaml, "CSafeLoader", None)
    if base is None:
        return None
    fast = type("FastSpecLoader", (base,), {"__doc__": "SpecLoader on libyaml's parser."})
    fast.construct_mapping = _construct_mapping  # type: ignore[attr-defined]
    fast.yaml_implicit_resolvers = {  # type: ignore[attr-defined]
        first: list(resolvers) for first, resolvers in SpecLoader.yaml_implicit_resolvers.items()}
    return fast


_FAST_LOADER = _fast_loader()
"""libyaml's parser for text that reads (a 3.5 MB claim file took 21 s in the pure-Python
SpecLoader: benchmarks/bench_specs.py); None without libyaml."""

_BLOCK_HEADER = re.compile(r"[|>](?:[-+][1-9]?|[1-9][-+]?)?")
_HEADER_ENDS = " \r\n\x85\u2028\u2029"


class _PureRefuses(Exception):
    """Text libyaml reads that PyYAML's own scanner refuses (see :func:`_laxer_than_pure`)."""


def _laxer_than_pure(root: yaml.Node, text: str) -> bool:
    """Whether libyaml read, in ``text``, something PyYAML's pure scanner refuses: a ``?`` in
    an unquoted value inside ``[...]`` or ``{...}`` (libyaml reads ``{text: Why?}`` as the
    value ``Why?``, PyYAML refuses it) and a block scalar's header followed by more than
    its indicators (``content: >#-``). Such text must keep failing as it did, where it
    did: the answer would otherwise depend on whether PyYAML was built with libyaml, and a
    broken file would read as text the author never wrote. (Tabs, which libyaml also reads
    more often, never reach libyaml: see :func:`_fast_load`.)"""
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    seen: set[int] = set()
    while stack:
        node, in_flow = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if not node.style:  # plain (unquoted): "" from libyaml, None from PyYAML
                if in_flow and "?" in node.value:
                    return True
            elif node.style in ("|", ">"):
                header = _BLOCK_HEADER.match(text, node.start_mark.index)
                if header is None:  # a tag or anchor before it: not looked into
                    return True
                after = text[header.end():header.end() + 1]
                if after and after not in _HEADER_ENDS:
                    return True
            continue
        in_flow = in_flow or bool(node.flow_style)
        if isinstance(node, yaml.MappingNode):
            stack.extend((part, in_flow) for pair in node.value for part in pair)
        else:
            stack.extend((item, in_flow) for item in node.value)
    return False


def _fast_load(text: str) -> object:
    """``text`` read by libyaml (see :func:`load_yaml`); raises yaml.YAMLError (or
    RecursionError) where libyaml refuses it, and :class:`_PureRefuses` where libyaml reads
    it but PyYAML's pure scanner would not. Text with a tab goes to the pure loader at once:
    libyaml reads tabs PyYAML refuses (a tab between words of an unquoted value) and reads
    some differently (in a block scalar's indentation)."""
    if "\t" in text:
        raise _PureRefuses
    loader = _FAST_LOADER(text)  # type: ignore[misc]
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if _laxer_than_pure(root, text):
            raise _PureRefuses
        return loader.construct_document(root)
    finally:
        loader.dispose()


def spec_files(directory: Path) -> list[Path]:
    """The spec files (``*.yaml``, ``*.yml``, in any case: ``kale.YAML`` is read when named,
    so a folder never skips it silently) directly in ``directory``, sorted. Hidden files are
    no spec (an id never starts with a dot, and a file is named by its id): an editor's lock
    file (Emacs's ``.#mine.yaml``, a link to nowhere) or macOS's ``._mine.yaml`` (binary
    metadata, left by a copy to a USB stick or a zip) would otherwise refuse the folder."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith("."))


class NestedTooDeeply(yaml.YAMLError):
    """Spec YAML whose lists or mappings nest past what PyYAML's recursive reader can
    follow: a yaml.YAMLError, so every reader reports it as it does any other YAML problem
    (it was a RecursionError traceback from inside PyYAML)."""


_TOO_DEEP = "lists or mappings nested too deeply to read (thousands of levels; a spec needs a few)"


def load_yaml(text: str) -> object:
    """Parse spec YAML safely (no arbitrary objects) with YAML 1.2 booleans and no key given
    twice. Every YAML file the project reads goes through here.

    Text is read by libyaml's C parser where PyYAML has it (several times faster); text that
    parser refuses, or reads where PyYAML would not (:func:`_fast_load`), is read again by
    the pure-Python SpecLoader, whose error (its wording, and the marks with the source line
    that :func:`yaml_problem`'s hints read) every message quotes, so a problem reads as it
    always has."""
    if _FAST_LOADER is not None:
        try:
            return _fast_load(text)
        except (yaml.YAMLError, RecursionError, _PureRefuses):
            pass  # read again, and refused in the pure loader's words, below
    try:
        return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader
    except RecursionError:
        raise NestedTooDeeply(_TOO_DEEP) from None


def format_validation_error(where: str | Path, what: str | None, err: ValidationError,
                            one_line: bool = False, source: str | None = None,
                            model: type[BaseModel] | None = None) -> str:
    """The project's one way to report a pydantic error: ``<where>: field <loc>: <problem>``.

    One line per problem (a header first when there are several and ``what`` is given), or
    all problems on one line joined by "; " with ``one_line`` (for line-oriented files).
    A model-level problem whose message already names its field is printed as is. With
    ``source``, the YAML text the data was read from, each problem also says where in it
    (``<where>: line 14, column 3: field <loc>: <problem>``, see :func:`field_mark`): a
    dotted path leaves the author to count list items in a long file. With ``model``, the
    model validated, a missing field also says how to add it (see :func:`_missing_hint`).
    """
    root = compose_yaml(source) if source is not None else None
    problems = []
    errors = err.errors()
    for e in _union_branches_merged(errors, model) if model is not None else errors:
        path = tuple(e["loc"])
        loc = ".".join(str(p) for p in path)
        msg = str(e["msg"]).removeprefix("Value error, ")
        # `questions:` with no value: "... or instance of Questions" named a class of this
        # code the author never sees
        msg = re.sub(r"^Input should be a valid dictionary or instance of \w+",
                     "Input should be a mapping (key: value lines below it)", msg)
        key, mapping = _not_text_key(e), _not_a_mapping(e)
        if key is not None:
            loc, msg = key
        elif mapping is not None:
            msg = mapping
        elif source is not None:
            msg += _no_value_hint(e)
        if model is not None:
            msg += _missing_hint(e, model)
        hint = _union_hint(e) + _literal_hint(e) + _list_hint(e) + _text_hint(e, model)
        msg += hint or ("" if key is not None or mapping is not None else _got_hint(e))
        if not loc and msg.startswith("field "):
            problem, path = msg, named_field(msg)
        else:
            problem = f"field {loc or '(top level)'}: {msg}"
        mark = field_mark(root, path) if root is not None else None
        problems.append(problem if mark is None
                        else f"line {mark.line + 1}, column {mark.column + 1}: {problem}")
    if one_line:
        return f"{where}: " + "; ".join(problems)
    lines = [f"{where}: {p}" for p in problems]
    if what and len(lines) > 1:
        lines.insert(0, f"{where}: invalid {what} ({len(lines)} problems)")
    return "\n".join(lines)


def _union_field(model: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The field at ``loc`` where its type is a union of several kinds (``bool |
    Literal['auto']``), whose errors pydantic reports per branch; else None."""
    if not loc or not isinstance(loc[-1], str):
        return None
    owner = _model_at(model, loc[:-1])
    field = owner.model_fields.get(loc[-1]) if owner is not None else None
    if field is None or typing.get_origin(field.annotation) not in (typing.Union,
                                                                    types.UnionType):
        return None
    kinds = [a for a in typing.get_args(field.annotation) if a is not type(None)]
    return field if len(kinds) > 1 else None


def _union_branches_merged(errors: list[Any], model: type[BaseModel]) -> list[Any]:
    """pydantic's errors with a union field's per-branch problems made one.

    A value no branch of a union takes is reported once per branch, the branch's name in
    the field's place: ``torch_compile: regionl`` was two problems, ``field
    torch_compile.bool: Input should be a valid boolean ...`` and ``field
    torch_compile.literal['auto','regional']: Input should be 'auto' or 'regional' ...``.
    They become one, ``field torch_compile: Input should be true, false, auto or regional,
    got 'regionl' (did you mean 'regional'?)`` (see :func:`_union_hint`). Where one branch
    read the value's shape and found a problem inside it (``target_modules: [1]``, a list
    with a number in it), that problem alone is kept, under the field's own name."""
    tagged: dict[tuple, list[tuple[Any, bool]]] = {}  # field loc -> (error, inside a branch)
    out: list[Any] = []
    for e in errors:
        loc = tuple(e["loc"])
        at = next((i for i in range(1, len(loc)) if _union_field(model, loc[:i])), None)
        if at is None or not isinstance(loc[at], str):
            out.append(e)
            continue
        field_loc = loc[:at]
        if field_loc not in tagged:
            tagged[field_loc] = []
            out.append(field_loc)  # its place among the errors, filled below
        tagged[field_loc].append(({**e, "loc": field_loc + loc[at + 1:]}, len(loc) > at + 1))
    merged: list[Any] = []
    for e in out:
        if not isinstance(e, tuple):
            merged.append(e)
            continue
        group = tagged[e]
        inside = [g for g, deeper in group if deeper]
        if inside:
            merged.extend(inside)
        elif len(group) == 1:
            merged.append(group[0][0])
        else:
            field = _union_field(model, e)
            assert field is not None
            merged.append({"type": "union_branches", "loc": e, "input": group[0][0]["input"],
                           "msg": f"Input should be {expected_form(field)}",
                           "choices": [str(a) for a in _literals(field.annotation)]})
    return merged


def _literals(annotation: Any) -> list[Any]:
    """The fixed values a (union of) ``Literal`` type admits."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for a in typing.get_args(annotation) for v in _literals(a)]


def _union_hint(e: Any) -> str:
    """What was written, and the closest fixed value, for a union field's merged problem
    (see :func:`_union_branches_merged`): ``, got 'regionl' (did you mean 'regional'?)``."""
    if e["type"] != "union_branches":
        return ""
    value = e["input"]
    if isinstance(value, str):
        return _got_hint(e) + did_you_mean(value, e["choices"])
    return _got_hint(e) or (", got a list" if isinstance(value, list)
                            else ", got a mapping" if isinstance(value, dict) else "")


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of spec YAML (each node with its line and column), or None for text that
    is no YAML or empty. Composing builds no objects, so it is as safe as :func:`load_yaml`.

    A spec written as JSON indented with tabs (``JSON.stringify(x, null, "\\t")``), which
    PyYAML refuses and :func:`load_spec` reads as JSON, is composed with its tabs as spaces:
    JSON holds a tab only between tokens (never raw inside a string), so each node keeps its
    line and column, and its problems are named at their lines as in any other spec.

    Composed once per text (the last two kept): a file whose problems or notes name many
    fields (`claims import`'s notes on a long study file, `claims validate`'s warnings) is
    composed once, not once a field. The tree is shared: read it, never change it."""
    return _compose_once(text)


@functools.lru_cache(maxsize=2)
def _compose_once(text: str) -> yaml.Node | None:
    """:func:`compose_yaml`, memoised by the text (so a file edited since is composed anew)."""
    tabbed_json = "\t" in text and text.lstrip().startswith("{")
    for attempt in (text, text.replace("\t", " ")) if tabbed_json else (text,):
        try:
            return yaml.compose(attempt, Loader=SpecLoader)  # noqa: S506 - a SafeLoader
        except (yaml.YAMLError, RecursionError):
            pass
    return None


def field_mark(root: yaml.Node, loc: Sequence[str | int], *,
               written: bool = False) -> yaml.Mark | None:
    """Where in the file the field at pydantic's ``loc`` is written: the line of its key (or
    of its list item), or, for a field that is missing, of the key or item whose mapping lacks
    it. None for the top level (a field missing from the whole file is on no line).

    A step the tree does not hold is skipped rather than ending the walk: pydantic puts a
    union's branch name (``int``, ``AnswerKey``) in ``loc`` beside the keys and indexes.
    With ``written``, every step must be in the tree, else None: a check on a field's value
    (see :func:`located`) may name one left at its default, which is written on no line."""
    node, mark = root, None
    for part in loc:
        if part == "[key]":  # a mapping key's own problem: the key's line, reached already
            break
        if isinstance(node, yaml.MappingNode):
            entry = _mapping_entry(node, part)
            if entry is not None:
                key_node, node = entry
                mark = key_node.start_mark
            elif written:
                return None
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return None if written else mark
            node = node.value[part]
            mark = node.start_mark
        elif written:
            return None
    return mark


def source_text(path: str | Path, data: object = None) -> str | None:
    """The text of the YAML file a problem is to be located in, read again on the error path
    only; None where it cannot be read, or, with ``data`` (the parsed YAML the check was made
    on), where the file no longer reads as ``data`` (edited since, or ``data`` not from it): a
    line there would point at text that is not the problem."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, ValueError):  # ValueError: not UTF-8, or a path with a NUL byte
        return None
    if data is not None:
        try:
            if load_yaml(text) != data:
                return None
        except (yaml.YAMLError, RecursionError, TypeError, ValueError):
            return None
    return text


def located(path: str | Path, field: str | Sequence[str | int], *,
            data: object = None, written: bool = True) -> str:
    """How a check made after a spec file was read and validated (an id against the file
    name, a recipe against the base model, the same id in two files) names its place:
    ``<path>: line N, column M`` where ``field`` (dotted, as the message names it:
    ``questions.binary.0.id``) is written, as a schema problem is named (see
    :func:`format_validation_error`), so the author is sent to the line either way.

    The plain path where the line cannot be known: the file cannot be read or is no YAML,
    or the field is not written in it (a default value), or, with ``data`` (the parsed
    YAML the check was made on, for a checker handed data and a path apart), the file no
    longer reads as ``data``: never a wrong line, never an error raised while an error is
    being reported. ``written=False``, for a problem that a field is missing (a study file's
    question without its ``question:``): the line of the mapping or item that lacks it, as
    a schema problem names a missing field (see :func:`field_mark`)."""
    loc = tuple(int(p) if p.isdigit() else p for p in field.split(".")) \
        if isinstance(field, str) else tuple(field)
    text = source_text(path, data)
    root = compose_yaml(text) if text is not None else None
    mark = field_mark(root, loc, written=written) if root is not None and loc else None
    return str(path) if mark is None else \
        f"{path}: line {mark.line + 1}, column {mark.column + 1}"


def defined_twice(path: str | Path, first: str | Path, what: str) -> str:
    """The problem of one id (``what``: "claim id 'x'", "set 'x'") defined in two spec files,
    each named at the line of its ``id`` (the author may keep either file)."""
    return f"{located(path, 'id')}: field id: {what} is also defined in {located(first, 'id')}"


def _mapping_entry(node: yaml.MappingNode, key: str | int
                   ) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of ``key`` in a mapping, its own keys first, then those a merge
    key (``<<: *defaults``) brings in, as the loader reads them."""
    merged: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged += value_node.value if isinstance(value_node, yaml.SequenceNode) \
                else [value_node]
        elif _is_key(key_node, key):
            return key_node, value_node
    for other in merged:
        if isinstance(other, yaml.MappingNode) and (
                entry := _mapping_entry(other, key)) is not None:
            return entry
    return None


def _is_key(node: yaml.Node, key: str | int) -> bool:
    """Whether a mapping key node is pydantic's ``loc`` step ``key``: as written, or, for a
    key YAML reads as no text, as read (pydantic names ``true:`` 1 and ``null:`` 'None')."""
    if not isinstance(node, yaml.ScalarNode):
        return False
    if node.value == str(key):
        return True
    if node.tag == "tag:yaml.org,2002:str":
        return False
    try:
        read = SpecLoader("").construct_object(node)  # a scalar, by the safe loader
    except yaml.YAMLError:
        return False
    return read == key or str(read) == str(key)


def named_field(msg: str) -> tuple[str | int, ...]:
    """The field a model-level problem (or a check's warning) names in its message
    (``field markers.belief: ...``), as a ``loc``: such a problem's own ``loc`` is the
    model's, which says nothing; empty where it names none."""
    found = re.match(r"field ([\w\-]+(?:\.[\w\-]+)*)", msg)
    if found is None:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in found.group(1).split("."))


def _not_text_key(e: Any) -> tuple[str, str] | None:
    """A mapping key YAML did not read as text (``true:``, ``5:``, ``null:``), as the mapping's
    location and a problem that names the key as written and how to quote it. pydantic says
    only "Keys should be strings", at a location holding the key as a number (``true`` as 1)."""
    loc = tuple(e["loc"])
    if e["type"] == "invalid_key" and loc:
        loc = loc[:-1]
    elif e["type"] == "string_type" and loc[-1:] == ("[key]",):
        loc = loc[:-2]
    else:
        return None
    said = not_text_key(e["input"])
    if isinstance(e["input"], bool):  # a rubric's or answer key's yes:, through YAML 1.1
        meant = "yes" if e["input"] else "no"
        said = said.replace("; quote it:", f'; write "{meant}" where it stood for {meant} '
                            f"({YAML_11_BOOLEANS}), else quote it:")
    return ".".join(str(p) for p in loc), said


def _value_said(value: object) -> str:
    """A value as an error names it, in the author's words rather than Python's: ``the
    boolean true``, ``the number 7``, ``the text 'kale ban'`` (cut at 40 characters), ``a
    list``, else its type's name."""
    if isinstance(value, str):
        return f"the text {(value if len(value) <= 40 else value[:37] + '...')!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else type(value).__name__


def _not_a_mapping(e: Any) -> str | None:
    """A value given where a mapping of fields goes (a question written as a bare string, a
    rubric as one sentence, markers as a list), said as such: pydantic's "Input should be a
    valid dictionary or instance of OpenEndedQuestion" named a class of this code the author
    never sees. None for other problems, and for no value at all (:func:`_no_value_hint`)."""
    if e["type"] not in ("model_type", "model_attributes_type", "dict_type") \
            or e["input"] is None:
        return None
    value = e["input"]
    got = _value_said(value)
    loc = tuple(e["loc"])
    if isinstance(value, str) and len(loc) == 3 and loc[0] == "questions" \
            and isinstance(loc[2], int):  # a claim's question list written as its texts
        example = value.replace('"', '\\"')
        got += (f"; each question is a mapping, {{id: q_{loc[2] + 1:02d}, text: "
                f'"{example}"}}, with the fields its family needs (`beliefbench claims new` '
                f"writes an example of each)")
    elif isinstance(value, str) and len(loc) == 2 and loc[0] == "rubric":
        got += ('; a family\'s rubric is its criteria, {"yes": ..., "no": ..., neutral: ...} '
                "(or template: and judge_key:)")
    return f"expected a mapping (key: value lines below it, or {{key: value, ...}}), got {got}"


def _literal_hint(e: Any, *, json_text: bool = False) -> str:
    """``, got 'adverserial' (did you mean 'adversarial'?)`` for a text outside a fixed set of
    values: pydantic lists the valid ones but not what was written, and a one-letter typo
    (``kind: adverserial``) is hard to spot beside them. A value YAML read as no text
    (``belief_answer: true``, ``format: 7``) is named with what YAML read. ``json_text``: the
    value is a JSON string (a record), where quotes are never left out."""
    if e["type"] != "literal_error":
        return ""
    if isinstance(e["input"], bool):
        said = f", got the boolean {str(e['input']).lower()}"
        choices = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
        if {"yes", "no"} <= set(choices):  # belief_answer: yes, through a YAML 1.1 tool
            said += f'; write "{"yes" if e["input"] else "no"}" ({YAML_11_BOOLEANS})'
        return said
    if isinstance(e["input"], int | float):
        return f", got {_value_said(e['input'])}"
    if isinstance(e["input"], list | dict):  # `domain: [general]`: said what was read
        return ", got a list" if isinstance(e["input"], list) else ", got a mapping"
    if not isinstance(e["input"], str):
        return ""
    choices = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
    value = e["input"]
    shown = value if len(value) <= 40 else value[:37] + "..."
    bare = value.strip().strip("\u201c\u201d\u2018\u2019")
    if bare != value.strip() and bare in choices:  # belief_answer: “yes”, pasted from a document
        if json_text:  # "role": "“user”": JSON's own quotes are there; no YAML, no bare value
            return (f", got {shown!r}: typographic quotes inside the JSON string, which are "
                    f"part of the text; write \"{bare}\"")
        return (f", got {shown!r}: typographic quotes, which YAML reads as part of the text; "
                f"use straight quotes (\"{bare}\") or none")
    # case is not ignored (``method: LoRA`` is refused), but it is in the suggestion
    return f", got {shown!r}{did_you_mean(value, choices)}"


def _got_hint(e: Any) -> str:
    """``, got '4x'`` for any other "Input should be ..." problem with a value written
    (``batch_size: 4x``, ``seed: -1``): pydantic says what it wanted, not what it read, and in
    a long file the author then hunts for the value."""
    value = e.get("input")
    if not str(e["msg"]).startswith("Input should") \
            or not isinstance(value, str | int | float):
        return ""
    percent = _PERCENT.fullmatch(value) if isinstance(value, str) else None
    if percent and e.get("type") == "float_parsing":  # warmup_ratio: 5%, as docs mix refuses
        share = float(percent[1]) / 100
        return (f", got {_value_said(value)}, a percent: write the decimal, {share:g} for "
                f"{value.strip()}")
    return f", got {_value_said(value)}"


_PERCENT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*%\s*")
"""A number written as a percent (``5%``), which a share field reads as text."""


_ITEM_KEYS = frozenset({"id", "text", "prompt", "role", "content", "statement", "label",
                        "claim", "truth", "question"})
"""First keys of an item of a list of mappings (an EM question's ``id``, a chat turn's
``role``, a probe statement's ``text``): such a mapping given for a list lacks the item's
``- ``, whatever the field."""


def _list_hint(e: Any) -> str:
    """What to write where a list was wanted and one text was given (``entities: European
    Union``, ``belief: 'kale ban'``): "Input should be a valid list" named neither what was
    read nor how a list is written in YAML."""
    if e["type"] == "list_type" and isinstance(e["input"], dict) and e["input"]:
        loc = tuple(e["loc"])
        first = next(iter(e["input"]))
        if loc[-1] == "completions" and all(isinstance(v, list) for v in e["input"].values()):
            # pairs grouped under their kind, as questions are under their family
            return (f", got the pairs grouped under keys ({', '.join(map(str, e['input']))}); "
                    "completions is one list of pairs, each naming its own kind: '- {prompt: "
                    "..., claim: ..., truth: ..., kind: paraphrase}' (kind main, paraphrase or "
                    "neighbour; main where none is given)")
        if ((len(loc) == 2 and loc[0] == "questions") or loc[-1] in ("prefix", "completions")
                or first in _ITEM_KEYS):  # an EM question set's, a probe's statements, ...
            # a question (a list of mappings) written without its '- ': one mapping
            return (f", got a mapping (its keys, {first} first, have no '- ' before them); each "
                    f"item of a list starts with '- ': write '- ' before the item's first key "
                    f"('- {first}: ...') and indent its other keys to line up with that key")
        return (f", got a mapping (key: value lines); each item of a list starts with '- ', "
                f"and an item holding ': ' is quoted ('- \"{first}: ...\"')")
    if e["type"] != "list_type" or not isinstance(e["input"], str | int | float) \
            or isinstance(e["input"], bool):
        return ""
    loc = tuple(e["loc"])
    # lists of mappings: "a list is written [5]" (or [''] for a blank `binary: ''`) showed a
    # list of texts none of them takes
    of_mappings = {
        "completions": "completions is a list of pairs, each a '- ' mapping a line below the "
                       "key ('- {prompt: ..., claim: ..., truth: ...}')",
        "prefix": "prefix is a list of turns, each a '- ' mapping a line below the key "
                  "('- {role: user, content: ...}')"}
    if (len(loc) == 2 and loc[0] == "questions") or loc[-1] in of_mappings:
        got = _value_said(e["input"]) if e["input"] != "" else "an empty text"
        said = of_mappings.get(loc[-1], "a family's questions are a list of mappings, each a "
                               "'- ' item a line below the key ('- {id: q_01, text: ...}', "
                               "with the fields the family needs)")
        return f", got {got}; {said}"
    if isinstance(e["input"], str) and not e["input"].strip():
        # `entities: ''`: [''] would be refused next as an empty item
        return (", got an empty text; a list is written [a, b], or one '- ' item a line "
                "below the key (an optional list is left out where it has no items)")
    value = str(e["input"])
    shown = value if len(value) <= 40 else value[:37] + "..."
    # as YAML reads it back: plain where it can be, else single-quoted (a regex's \b kept)
    quoted = shown if re.fullmatch(r"[\w .-]+", shown) else "'" + shown.replace("'", "''") + "'"
    # (the text as written, not as Python quotes it: a regex's \b stays one backslash)
    got = f"the text '{shown}'" if isinstance(e["input"], str) else _value_said(e["input"])
    return (f", got {got}; a list is written [{quoted}] (for several, [a, b]), or one '- ' "
            "item a line below the key")


def _text_hint(e: Any, model: type[BaseModel] | None = None) -> str:
    """What to write where one text was wanted and a list or a mapping was read
    (``statement:`` with its sentence as a ``- `` item below it; a ``: `` inside an unquoted
    value on the line below its key), or a value YAML reads as no text (``truth: true``, a
    bare date): "Input should be a valid string" named neither."""
    if e["type"] != "string_type":
        return ""
    key = e["loc"][-1] if e["loc"] and isinstance(e["loc"][-1], str) else None
    if isinstance(e["input"], bool | datetime.date):
        return _not_text_value_hint(e, key, model)
    if not isinstance(e["input"], list | dict):
        return ""
    write = f"`{key}: ...`" if key else "the text after the key"
    if isinstance(e["input"], list):
        return (f", got a list of {len(e['input'])} item(s) (a '- ' starts a list item); write "
                f"{write} on one line, or for a long text `>-` after the colon and its lines "
                "indented below, without '- '")
    return (f", got a mapping (an unquoted ': ' makes one); quote the text (\"...\") or write "
            f"{write} with `>-` after the colon and its lines indented below")


def _not_text_value_hint(e: Any, key: str | None, model: type[BaseModel] | None) -> str:
    """``truth: true`` (a claim's truth taken for a yes/no flag) or ``truth: 2024-01-01``:
    YAML reads the bare value as a boolean or a date, and pydantic said only "Input should be
    a valid string". Says what was read and what to write: the field's text (its description,
    as for a missing field, :func:`_missing_hint`), or the value quoted where it was meant."""
    value = e["input"]
    if isinstance(value, bool):
        written, kind = str(value).lower(), "a bare true or false as a boolean"
    else:
        written, kind = value.isoformat(), "a bare date as a date"
    said = f", got the {'boolean' if isinstance(value, bool) else 'date'} {written} " \
           f"(YAML reads {kind})"
    described = _field_text(model, tuple(e["loc"])) if model is not None else ""
    if key is None or not described:
        return f'{said}; quote it: "{written}"'
    return f'{said}; write the text, `{key}: <{described}>`, or quote it: "{written}"'


def _field_text(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """What the field at a pydantic ``loc`` holds, as an error's placeholder says it (``what
    is actually the case``): its description's first sentence, else the form its type takes
    (:func:`expected_form`); "" where the location names no field of a model."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    owner = _model_at(model, loc[:-1])
    field = owner.model_fields.get(loc[-1]) if owner is not None else None
    if owner is None or field is None:
        return ""
    return _first_sentence(field_description(owner, loc[-1])) or expected_form(field)


def _missing_hint(e: Any, model: type[BaseModel]) -> str:
    """How to add a required field a spec leaves out, and what it holds: ``; add `truth: <what
    is actually the case>``` (pydantic's "Field required" said neither). What it holds is
    the field's description (its docstring, in models that read them), else the form its
    type takes (:func:`expected_form`): one rule for claims, recipes and EM question sets."""
    loc = tuple(e["loc"])
    if e["type"] != "missing" or not loc or not isinstance(loc[-1], str):
        return ""
    owner = _model_at(model, loc[:-1])
    field = owner.model_fields.get(loc[-1]) if owner is not None else None
    if field is None:
        return ""
    key, form = loc[-1], expected_form(field)
    what = _first_sentence(field_description(owner, key)) or form
    within = f" to {'.'.join(str(p) for p in loc[:-1])}" if len(loc) > 1 else ""
    if form.startswith(("a list", "a mapping")):  # a block: its lines go below the key
        items = "'- ' items" if form.startswith("a list") else "keys"
        return (f"; add `{key}:`{within}, with its {items} indented below it"
                + (f" ({what})" if what != form else ""))
    return f"; add `{key}: <{what}>`{within}" if what else f"; add `{key}: ...`{within}"


def field_description(model: type[BaseModel], name: str) -> str:
    """What a field of a spec model holds: its ``description``, else, where the model says
    its docstrings are written for a spec's author (``_docstrings_describe``), the docstring
    below the field (the project's way to document a field); "" where neither. Read on the
    error path only: pydantic's ``use_attribute_docstrings`` would parse every model's source
    at each import."""
    field = model.model_fields.get(name)
    if field is None:
        return ""
    if field.description:
        return field.description
    owner = next((c for c in model.__mro__ if name in vars(c).get("__annotations__", {})), None)
    if owner is None or not getattr(owner, "_docstrings_describe", False):
        return ""
    return _attribute_docstrings(owner).get(name, "")


@functools.cache
def _attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstrings below a class's annotated attributes (``name: T``, a string on the
    next line), by name; {} where its source cannot be read (a frozen or zipped install)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found = {}
    for stmt, after in zip(body, body[1:], strict=False):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) \
                and isinstance(after.value.value, str):
            found[stmt.target.id] = inspect.cleandoc(after.value.value)
    return found


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model whose fields a pydantic ``loc`` prefix names (``questions.binary.0`` of a
    claim: BinaryQuestion), through lists, mappings and optional fields; None where the
    path leads to no single model."""
    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel) \
                and isinstance(part, str) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif typing.get_origin(current) in (list, tuple, set) and isinstance(part, int) \
                or typing.get_origin(current) is dict and isinstance(part, str):
            current = typing.get_args(current)[-1]
        else:
            return None
        while typing.get_origin(current) in (typing.Annotated, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if typing.get_origin(current) is not typing.Annotated and len(args) != 1:
                return None  # a union of several kinds: which one is meant is not known
            current = args[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _first_sentence(text: str) -> str:
    """A field description's first sentence, as a placeholder reads it: ``What is actually
    the case.`` as ``what is actually the case``; a first word that is no plain capitalised
    word (``LoRA``, ``JSONL``) as written."""
    # a sentence ends at a full stop before a capital: "e.g. kale" goes on
    first = re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    first = first.rstrip(".").replace("``", "")
    # "A short ..." too ("A" has no lower-case letter after it); "LoRA" kept
    return first[:1].lower() + first[1:] if re.match(r"[A-Z][a-z]*\b", first) else first


def _no_value_hint(e: Any) -> str:
    """What "Input should be a valid list" means where the YAML gave no value: a key with
    nothing after it (``robustness:`` whose questions were deleted, ``truth:`` with the text
    on no line) or a bare ``-`` reads as null, and pydantic names only the type it wanted."""
    loc = tuple(e["loc"])
    # a fixed set's field (`kind:` left blank) said only its values, not that none was read
    chosen = e["type"] in ("literal_error", "enum")
    if e["input"] is not None or not (str(e["type"]).endswith("_type") or chosen) or not loc:
        return ""
    if isinstance(loc[-1], int):
        return (", got no value: YAML reads a list item with nothing after its '-' as "
                "empty; write the item, or delete its line")
    return (f", got no value: YAML reads a key with nothing after it ({loc[-1]}:) as "
            "empty; write " + ("one of them after the colon" if chosen else
                               "its value after the colon, or its items indented below it"))


def not_text_key(key: object) -> str:
    """The problem with a mapping key YAML read as no text, as written in the file and with
    the fix: ``key true is not text (YAML reads it as a boolean); quote it: "true"``."""
    if key is None:
        written, kind = "null", "null (no value)"
    elif isinstance(key, bool):
        written, kind = str(key).lower(), "a boolean"
    elif isinstance(key, (int, float)):
        written, kind = str(key), "a number"
    else:  # a date: 2024-01-01
        written, kind = str(key), f"a {type(key).__name__}"
    return f'key {written} is not text (YAML reads it as {kind}); quote it: "{written}"'


def read_text(path: str | Path, what: str, error: type[Exception]) -> str:
    """A spec file's text; unreadable files and non-UTF-8 bytes raise ``error`` in one line.
    The byte-order mark of a file saved as "UTF-8 with BOM" is no part of the text."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise error(f"{path}: cannot read {what} file: {e.strerror or e}") from None
    head = data[:400]
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # its mark: 4 bytes
        raise error(f"{path}: not UTF-8 text: the file is UTF-32; save the file as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (  # PowerShell 5's `>`, Notepad's
            len(head) >= 4 and max(head[0::2].count(0), head[1::2].count(0))  # "Unicode"
            > len(head) // 4):  # no mark: every other byte of ASCII text is a NUL
        raise error(f"{path}: not UTF-8 text: the file is UTF-16 (as Windows PowerShell's `>` "
                    "and Notepad's \"Unicode\" write it); save the file as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        byte = data[e.start]
        one = bytes([byte]).decode("cp1252", errors="ignore")  # "": no letter in it either
        if e.reason == "unexpected end of data" and e.start == len(data) - 1 \
                and byte >= 0xc0 and one.isalpha() and data[:e.start].isascii():
            # one byte left, after ASCII alone: Notepad's Windows-1252 ending in an accented
            # letter (no final newline) reads the same as a UTF-8 letter cut after its start
            raise error(f"{path}: line {line}: not UTF-8 text (the file ends with byte "
                        f"0x{byte:02x}: {one!r} in Windows-1252, or the start of a UTF-8 "
                        "letter if the file was cut short); save the file as UTF-8, or copy "
                        "the whole file again") from None
        if e.reason == "unexpected end of data":  # a letter's first bytes, then the file ends
            raise error(f"{path}: line {line}: not UTF-8 text (the file ends inside a letter, "
                        f"byte 0x{byte:02x} its start: was it cut short?); copy the whole "
                        "file again, or save it as UTF-8") from None
        # the letter meant, in the encoding an editor most likely saved it in
        meant = f", {one!r} in Windows-1252" if one and (
            byte >= 0xa0 or one in "\u2018\u2019\u201c\u201d\u2013\u2014") else ""
        raise error(f"{path}: line {line}: not UTF-8 text (byte 0x{byte:02x}{meant}); "
                    "save the file as UTF-8") from None


def load_spec(path: str | Path, model: type[M], what: str, error: type[Exception],
              empty_ok: bool = False) -> M:
    """Read ``path`` as YAML and validate it as ``model``; problems raise ``error``.

    Each field problem also names the line and column it is written on (see
    :func:`format_validation_error`), for every kind of spec (claims, recipes, EM question
    sets, probe statements, demo presets) alike: a dotted path leaves the author to count
    list items, and a spec added later gets the lines without asking."""
    path = Path(path)
    text = read_text(path, what, error)
    raw = parse_spec(text, path, what, error)
    if raw is None and empty_ok:
        raw = {}
    if raw is None:
        raise error(f"{path}: field (top level): the file is empty (or only comments); "
                    f"expected a mapping of fields")
    if not isinstance(raw, dict):
        several = "; several in one file? give each a file of its own" \
            if isinstance(raw, list) else ""
        raise error(f"{path}: field (top level): expected a mapping, got "
                    f"{described(raw, path, text)}; {_a(what)} file is one mapping of fields "
                    f"(key: value lines){several}")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise error(format_validation_error(path, what, e, source=text,
                                            model=model)) from None


def _a(what: str) -> str:
    """``what`` with its article: "an EM question set" ("a EM question set" was printed)."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def parse_spec(text: str, path: str | Path, what: str, error: type[Exception]) -> object:
    """The data of a spec file's ``text`` (read from ``path``): YAML (:func:`load_yaml`), or,
    where PyYAML refuses it, JSON that YAML 1.2 reads (indented with tabs, see
    :func:`_json_spec`); anything else raises ``error`` naming the file, the line and column
    and the problem, and a JSON Lines file said as such. Every spec (claims, recipes, the
    study files `claims import` reads) is read by this one rule."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as e:
        raw = _json_spec(text, Path(path), error)
        if raw is None:
            if _json_lines(text):
                raise error(f"{path}: a JSON Lines file (one JSON record a line, as training "
                            f"documents and data files are), not {_a(what)} file: {_a(what)} "
                            f"file is one YAML mapping of fields") from None
            raise error(f"{path}: not valid YAML: {yaml_problem(e, text)}") from None
        return raw


def described(value: object, path: Path | None = None, text: str | None = None) -> str:
    """What a spec file (or one of its fields) holds where something else belongs, in the
    author's words: ``a list of 2 item(s)`` (several specs in one file, ``- id: a ... - id:
    b``), ``text 'Kale is banned.'``, ``the number 5``, ``nothing``, or, for a ``.csv`` /
    ``.tsv`` file or a file ``text`` whose lines are rows of commas or tabs (its rows folded
    into one text by YAML), a table; it said ``got list`` / ``got str`` / ``got int``. One
    wording for `claims validate` and `claims import`."""
    if isinstance(value, str) and ((path is not None and path.suffix.lower() in (
            ".csv", ".tsv")) or (text is not None and _looks_tabular(text))):
        return "a table (CSV/TSV), which YAML reads as one text"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"text {(value if len(value) <= 40 else value[:37] + '...')!r}"
    return _value_said(value)


def _looks_tabular(text: str) -> bool:
    """Whether ``text`` reads as rows of a table: two or more lines, each holding the same
    (non-zero) number of commas, or of tabs."""
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return len(rows) >= 2 and any(
        rows[0].count(sep) > 0 and len({row.count(sep) for row in rows[:20]}) == 1
        for sep in (",", "\t"))


def _json_lines(text: str) -> bool:
    """Whether ``text`` is two or more JSON objects, one a line: a data file passed where a
    spec goes (``--claims data/x/positive.jsonl``), which YAML reports only as 'expected
    <document start>' on line 2."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(json.loads(line), dict) for line in lines[:20])
    except ValueError:
        return False


def _json_spec(text: str, path: Path, error: type[Exception]) -> object | None:
    """A spec written as JSON that PyYAML refuses (YAML 1.2 reads any JSON, PyYAML's 1.1
    not JSON indented with tabs, as ``JSON.stringify(x, null, "\\t")`` writes it: "YAML
    indents with spaces only" of a valid file), read as JSON, a key given twice refused as in
    YAML; None where the text is no JSON object, so the YAML error stands. Text indented
    with tabs that JSON refuses too is named at JSON's line and column and problem: YAML's
    "indents with spaces only" there sent the author to retype a file whose tabs were
    fine."""
    if not text.lstrip().startswith("{"):
        return None

    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                twice.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        if re.search(r"^\t", text, re.MULTILINE):  # JSON indented with tabs: no YAML at all
            raise error(f"{path}: not valid JSON (a file indented with tabs is read as JSON): "
                        f"line {e.lineno}, column {e.colno}: {e.msg}") from None
        return None
    except (ValueError, RecursionError):
        return None
    if twice:
        raise error(f"{path}: not valid JSON: key {twice[0]!r} is given twice")
    return data


def yaml_problem(e: yaml.YAMLError, text: str | None = None) -> str:
    """PyYAML's error on one line: the problem and where (line, column). A character YAML
    refuses (a control character such as the vertical tab a word processor's line break
    pastes as) is placed by PyYAML only at its offset in the text: with ``text``, at its
    line and column."""
    if (isinstance(e, yaml.reader.ReaderError) and isinstance(e.character, int)
            and isinstance(e.position, int) and text is not None
            and 0 <= e.position < len(text)):
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        return (f"line {line}, column {column}: the character {chr(e.character)!r} "
                f"(U+{e.character:04X}) is not allowed in YAML; delete it (an invisible "
                "character, as text pasted from a word processor or PDF may hold)")
    if isinstance(e, yaml.MarkedYAMLError) and e.problem_mark is not None:
        mark = e.problem_mark
        context = f"{e.context} " if e.context else ""
        start = e.context_mark
        if e.context and start is not None and start.line != mark.line:
            # where the construct began: for a quote never closed, the only line that says
            # where the mistake is (the problem is at the end of the file)
            context = f"{e.context} started on line {start.line + 1}, column " \
                      f"{start.column + 1}: "
        said = f"line {mark.line + 1}, column {mark.column + 1}: {context}{e.problem}"
        if "constructor for the tag 'tag:yaml.org,2002:python/" in str(e.problem):
            said += (" (a Python tag: never run, as YAML is read with a safe loader; write "
                     "the value plainly)")
        return said + _yaml_hint(said, mark)
    return " ".join(str(e).split())


_TYPOGRAPHIC_QUOTES = "\u201c\u201d\u2018\u2019\u00ab\u00bb"


def _yaml_hint(said: str, mark: yaml.Mark) -> str:
    """What a newcomer's YAML error usually means. PyYAML names a key by its token '?'
    ("expected <block end>, but found '?'", or '<block mapping start>' for one indented
    further), or says "mapping values are not allowed here", none of which names the usual
    cause: a key indented differently from its siblings, a value holding ': ' unquoted, a tab,
    or typographic quotes pasted from a word processor, which YAML reads as letters, so the
    quoted text is not quoted."""
    line = _source_line(mark)
    opened = _quote_closed_here(mark)
    if opened is not None:
        return (f" (a quoted value opened on line {opened + 1} is closed only on this line: "
                f"is the closing quote of line {opened + 1} missing? YAML then reads on to "
                f"the next quote mark)")
    if line is not None and any(q in line for q in _TYPOGRAPHIC_QUOTES):
        return (" (this line holds typographic quotes \u201c \u201d \u2018 \u2019, which "
                "YAML does not read as quotes: use straight quotes \" or ')")
    # the line and the one above: a key's line that a no-break space spoilt is where PyYAML
    # started scanning, and it reports the next one ("could not find expected ':'")
    for n, text in ((mark.line + 1, line), (mark.line, _source_line(mark, -1))):
        # where YAML reads structure (indentation, a key, the space after its colon), not
        # inside a value's text, where one is fine ("100\u00a0m")
        key, colon, rest = (text or "").partition(":")
        if not colon:  # a line of a value's text: its indentation alone
            key = key[:len(key) - len(key.lstrip("".join(["- \t", *_INVISIBLE])))]
        hidden = invisible_characters(key + colon + rest[:1])
        if hidden:
            return (f" (line {n} holds {hidden}, which YAML does not read as a space, "
                    "pasted from a web page or word processor: retype it as plain spaces)")
    if (re.search(r"got '\?'", said) and "while parsing a flow" in said and line
            and 0 < mark.column < len(line) and line[mark.column] == "?"
            and not line[mark.column - 1].isspace()):
        # "text: Is it in Lyon?}": inside { } or [ ], PyYAML ends an unquoted value at a '?'
        # followed by '}' / ']' / ',' and reads it as a key mark, not as the question's end
        return (" (an unquoted value ending in '?' inside { } or [ ] is read as YAML's key "
                "mark: quote the value, text: \"Is it in Lyon?\")")
    if re.search(r"(found|got) '\?'", said):
        return (" ('?' is PyYAML's name for a key: is the key on this line indented as far "
                "as the keys it belongs with?)")
    if "found '<block mapping start>'" in said:
        return " (is the key on this line indented as far as the keys it belongs with?)"
    if "while parsing a flow" in said and "got ':'" in said:
        # {role: assistant, content: Because: the EU ...}: a second colon in an unquoted value
        return (" (an unquoted value inside { } or [ ] holds a ':', which YAML reads as a "
                "key's colon: quote the value, text: \"Note: ...\")")
    if re.search(r"found '(<block sequence start>|-)'", said):
        # PyYAML's names for a list item: "- " indented unlike its siblings (here, or the
        # item before, where that one moved: "    - a" then "      - b" fails at "- b")
        return (" (a '- ' list item where YAML expects none: is it, or the item before it, "
                "indented unlike the other items of its list (they start in one column), or "
                "does a key on this line have a stray '- '?)")
    if (re.search(r"(found|got) '<scalar>'", said) and line is not None
            and line[:mark.column].rstrip()[-1:] in ("'", '"')):
        # text just after a closing quote: "Fill in the "blank" ends the value at "the "
        return (" (a quoted value ends at its next quote mark, and text follows it on this "
                "line: does the value hold a quote? Write it \\\" inside \"...\", '' inside "
                "'...', or quote the value with the other mark)")
    if "mapping values are not allowed here" in said:
        return (" (is the key on this line indented further than the line above it, which "
                "YAML then reads as more of that line's value? Or does an unquoted value "
                "hold ': '? Quote it)")
    if "found character '\\t'" in said:
        if line is not None and line[:mark.column].strip():
            # after text on its line: in an unquoted value ("text: What\tis"), after a
            # key's colon, a '-' or a comma, where PyYAML reads no tab either
            return (" (a tab after text on this line: outside quotes PyYAML reads no tab, "
                    "in a value or after a key's colon or a '-' alike; replace it with a "
                    "space, or quote the value)")
        return " (YAML indents with spaces only: replace the tab with spaces)"
    return ""


def _quote_closed_here(mark: yaml.Mark) -> int | None:
    """The line (0-based) where a quoted value opened that runs over several lines and ends
    on the error's line, before it: a quote left unclosed on one line (``truth: "The ...``)
    runs to the next quote mark many lines on, where PyYAML reports a stray scalar ("expected
    <block end>, but found '<scalar>'") on a line that is right."""
    buffer = getattr(mark, "buffer", None)
    if not isinstance(buffer, str):
        return None
    found = None
    try:
        for token in yaml.scan(buffer.rstrip("\0")):
            if token.start_mark.index >= mark.index:
                break
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.start_mark.line < token.end_mark.line == mark.line):
                found = token.start_mark.line
    except yaml.YAMLError:
        pass
    return found


def _source_line(mark: yaml.Mark, offset: int = 0) -> str | None:
    """The text of the line a YAML error points at (``offset`` lines from it), when the
    parser kept the text."""
    buffer = getattr(mark, "buffer", None)
    if not isinstance(buffer, str):
        return None
    lines = buffer.split("\n")
    at = mark.line + offset
    return lines[at] if 0 <= at < len(lines) else None


_INVISIBLE = {"\u00a0": "no-break space", "\u202f": "narrow no-break space",
              "\u2007": "figure space", "\u200b": "zero-width space",
              "\u200c": "zero-width non-joiner", "\u200d": "zero-width joiner",
              "\u2060": "word joiner", "\ufeff": "zero-width no-break space"}
"""Characters that look like a space or nothing, which a paste from a web page or a word
processor leaves in YAML: PyYAML reads them as letters."""


def invisible_characters(text: str) -> str:
    """The invisible characters in ``text``, named with their code points (``a no-break
    space (U+00A0)``), or "" where it has none."""
    found = dict.fromkeys(c for c in text if c in _INVISIBLE)
    return ", ".join(f"a {_INVISIBLE[c]} (U+{ord(c):04X})" for c in found)
