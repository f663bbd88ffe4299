"""Every command's options are read once: click keeps the last of a repeated option without
a word, so `beliefbench audit corpus/ --claims ed_sheeran --claims dentist` audited dentist
alone, exit 0 (a CI gate then passed for a claim never checked), and `finetune --data a.jsonl
--data b.jsonl` trained on b alone. An option that takes one value (not ``multiple=True``, not
a count, not a flag) given twice with different values is refused before the command runs,
exit 2, naming the option and its values, and for an option that takes a comma-separated
list the one list that means them all.

The top group gives every command and subgroup this check as it is added
(:func:`given_once`), whatever class its module built it with (``click.command()``, a
``JsonUsageErrors``): ``command_class`` would reach only commands made by ``@cli.command``,
and beliefbench's are made in their own modules and added."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

LISTS = frozenset({
    "--claims", "--conditions", "--behaviours", "--genres", "--mask-words", "--text-field",
    "--by", "--kinds", "--parts", "--scales", "--norms", "--layers", "--positive",
    "--negative"})
"""The options that take one comma-separated list (where their type is text: `tiny-model
--layers` is a number): a repeat is told the joined list to write. A list option missing here
is still refused when repeated, without the list to write."""

LIST = "it takes one comma-separated list"
ONE = "it takes one value; give it once"

_NOTE = "beliefbench_given_once"
"""The attribute of an option holding its own words for a repeat (:func:`repeat_says`)."""

C = TypeVar("C", bound=click.Command)


def repeat_says(**notes: str) -> Callable[[C], C]:
    """A command's own words for an option of its given twice, in place of :data:`ONE`,
    keyed by the option's name as its parameter (``claim_sel``): what to do instead (`docs
    poison --claim a --claim b`: run poison once per claim). Put above the command's
    decorator."""
    def mark(command: C) -> C:
        params = {p.name: p for p in command.params}
        for name, note in notes.items():
            setattr(params[name], _NOTE, note)  # a KeyError here is a typo in the source
        return command
    return mark


def _read_once(param: click.Parameter) -> bool:
    """Whether ``param`` is an option of one value, whose repeat click would cut to the last."""
    return (isinstance(param, click.Option) and not param.multiple and not param.count
            and not param.is_flag)


def _name(option: click.Option) -> str:
    """The option's long name (``--out``, not ``-o``)."""
    return next((o for o in option.opts if o.startswith("--")), option.opts[0])


@functools.cache
def _recorder(parser_class: type) -> type:
    """click's own parser, reading every value of a one-value option (click's ``append``
    action, as for ``multiple=True``) where click's keeps the last: so ``--opt=value``, ``-o
    value``, an option's value that looks like another option and ``--`` are read exactly as
    the command will read them."""

    class Recorder(parser_class):  # type: ignore[valid-type,misc]
        def add_option(self, obj: click.Option, opts: Sequence[str], dest: str | None,
                       action: str | None = None, nargs: int = 1, const: Any = None) -> None:
            if action in (None, "store") and _read_once(obj):
                action = "append"
            super().add_option(obj, opts, dest, action=action, nargs=nargs, const=const)

    return Recorder


def repeats(command: click.Command, ctx: click.Context, args: Sequence[str]) -> str | None:
    """What is wrong with ``args`` given ``command`` more than once, or None: each option
    given twice or more with different values, ``; ``-joined."""
    parser = _recorder(type(command.make_parser(ctx)))(ctx)
    params = command.get_params(ctx)
    for param in params:
        param.add_to_parser(parser, ctx)
    try:
        given, _, _ = parser.parse_args(args=list(args))
    except click.UsageError:  # an unknown option, one without its value: click says it
        return None
    help_option = command.get_help_option(ctx)
    if help_option is not None and given.get(help_option.name):
        return None  # the help is shown, nothing read
    said = []
    for param in params:
        values = given.get(param.name) if _read_once(param) else None
        if not isinstance(values, list) or len(values) < 2:
            continue
        texts = [" ".join(v) if isinstance(v, tuple) else str(v) for v in values]
        if len(set(texts)) == 1:  # the same value twice: nothing is lost
            continue
        assert isinstance(param, click.Option)
        name = _name(param)
        listed = name in LISTS and param.type == click.STRING and param.nargs == 1
        note = getattr(param, _NOTE, None) or (LIST if listed else ONE)
        write = f"; write {name} {shlex.quote(','.join(texts))}" if listed else ""
        said.append(f"{name} is given {len(texts)} times ({', '.join(texts)}), and only the "
                    f"last would be read: {note}{write}")
    return "; ".join(said) or None


class GivenOnce(click.Command):
    """A command whose one-value options refuse being given twice (see the module)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # shell completion reads on
            said = repeats(self, ctx, args)
            if said:
                raise click.UsageError(said, ctx)
        return super().parse_args(ctx, args)


class GivenOnceGroup(GivenOnce, click.Group):
    """A group that checks its own options and gives its commands the check as they are
    added (those added after it was: ``internals``' intervention commands)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(given_once(cmd), name)


@functools.cache
def _checked(cls: type[click.Command]) -> type[click.Command]:
    """``cls`` with the check, under its own name (its help, its own methods unchanged)."""
    if issubclass(cls, GivenOnce):
        return cls
    mixin = GivenOnceGroup if issubclass(cls, click.Group) else GivenOnce
    return type(cls.__name__, (mixin, cls), {"__module__": cls.__module__,
                                             "__qualname__": cls.__qualname__,
                                             "__doc__": cls.__doc__})


def given_once(command: C) -> C:
    """``command`` (and a group's commands) with the check: its class becomes one that
    also derives from :class:`GivenOnce`, the object (its options, its registration in its
    module and group) unchanged."""
    command.__class__ = _checked(type(command))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            given_once(sub)
    return command
