"""Options whose value is one of the command's own option names: an empty shell variable
dropped. ``--model $CKPT --claims all`` with CKPT unset or empty (a new shell, or a finetune
that left no step folder for README's ``CKPT=...`` line) reaches click as ``--model --claims
all``, which said "Got unexpected extra argument (all)", naming neither --model nor the
variable; ``gate --baseline $BASE --candidate logs/b`` and ``report $LOGS --out $OUT --json``
alike. Every command of the CLI is a :class:`Command` (every group a :class:`Group`, whose
``command()`` makes one), so the rule holds for each option that takes a value, checked
before its type reads it (``--baseline --candidate`` was "Path '--candidate' does not
exist"). Numbers are left to click, whose message names the option already (``'--out' is not
a valid integer``). A value attached to its option (``--out=--json``, ``-T--x``) is typed as it
stands, never an empty variable dropped (``--out=$OUT`` gives ``--out=``), and is taken."""

from __future__ import annotations

from typing import Any

import click
from click.types import FloatParamType, IntParamType


def _takes_text(param: click.Parameter) -> bool:
    """Whether ``param`` is an option with a value that is not a number: a flag or count has
    none to swallow, and a number's own refusal names the option (and a negative number,
    ``--coef -1``, is no option name)."""
    return (isinstance(param, click.Option) and not param.is_flag and not param.count
            and not isinstance(param.type, (IntParamType, FloatParamType)))


def _variable(ctx: click.Context, opt: str) -> str:
    """The variable the docs pass to ``opt`` (``CKPT`` for the internals' --model), from the
    command's groups' :attr:`Group.variables`; else ``VAR``."""
    c: click.Context | None = ctx
    while c is not None:
        named: dict[str, str] = getattr(c.command, "variables", {})
        if opt in named:
            return named[opt]
        c = c.parent
    return "VAR"


def not_an_option(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse ``value`` where it is one of the command's own option names (or ``--name=...``
    of one): the option before it had none, an empty shell variable dropped. ``value`` is
    returned as given otherwise, a folder whose name starts with a dash included."""
    text = "" if value is None else str(value)
    names = {opt for p in ctx.command.get_params(ctx) for opt in (*p.opts, *p.secondary_opts)}
    if text.startswith("-") and text.split("=", 1)[0] in names:
        opt = param.opts[0]
        var = _variable(ctx, opt)
        # the one way to give such a value: attached, as no dropped variable leaves it
        attached = f"{opt}={text}" if opt.startswith("--") else f"{opt}{text}"
        raise click.BadParameter(
            f"{text!r} is the next option, not a value: {opt} has none (an empty shell "
            f"variable? `{opt} ${var}` passes nothing where {var} is unset or empty, as in a "
            f"new shell); for a value of that name itself: {attached}", ctx=ctx, param=param)
    return value


def _separate_values(params: list[click.Parameter], args: list[str]) -> set[tuple[str, str]]:
    """``(param name, value)`` for each word that follows an option's own name (``--out``
    ``--json``), where an empty variable between them would have been: a value attached to
    its option (``--out=--json``, ``-T--json``) has none to have dropped. Clusters of short
    options (``-xT``) are left out: what they swallowed is left to click."""
    by_name = {opt: p for p in params if isinstance(p, click.Option)
               for opt in (*p.opts, *p.secondary_opts)}
    found = set()
    for i, word in enumerate(args):
        param = by_name.get(word)
        if param is not None and param.name is not None:
            found.update((param.name, v) for v in args[i + 1:i + 1 + max(param.nargs, 1)])
    return found


class Command(click.Command):
    """A command whose options refuse another of its option names as their value
    (:func:`not_an_option`), before any value is read or any other refusal is said: a
    subclass with checks of its own in ``parse_args`` calls
    :meth:`refuse_options_as_values` before them (the gate's "log paths given as
    arguments" would otherwise name the path after ``--baseline --candidate``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        self.refuse_options_as_values(ctx, args)
        return super().parse_args(ctx, args)

    def refuse_options_as_values(self, ctx: click.Context, args: list[str]) -> None:
        """The first option, in the order given, whose value click's own parser read as
        another option's name, given as a word of its own after the option's (not attached,
        ``--out=--json``), is refused; none where the arguments are wrong in the parser's
        eyes (a trailing ``--claims`` with no value) or ask for --help: click then says its
        own message or prints the help."""
        if ctx.resilient_parsing:  # shell completion reads on
            return
        try:
            opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
        except click.UsageError:
            return
        helper = self.get_help_option(ctx)
        if helper is not None and helper in order:
            return
        separate = _separate_values(self.get_params(ctx), list(args))
        for param in dict.fromkeys(order):  # each once, first given first
            if not _takes_text(param):
                continue
            given = opts.get(param.name)
            values = given if isinstance(given, (list, tuple)) else [given]
            for value in values:
                for v in value if isinstance(value, (list, tuple)) else [value]:
                    if (param.name, v) in separate:
                        not_an_option(ctx, param, v)


class Group(click.Group):
    """A group whose ``command()`` and ``group()`` make :class:`Command` and :class:`Group`;
    ``variables`` names the shell variable the docs pass to an option of its commands (the
    internals' ``--model $CKPT``), for :func:`not_an_option`'s message."""

    command_class = Command
    group_class = type

    def __init__(self, *args: Any, variables: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variables = dict(variables or {})


def no_blank_items(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse a comma-separated list with a blank item (``--conditions positive,,negated``,
    ``--kinds main,``): the item lost to a typo was dropped without a word, as ``--layers``,
    ``--scales`` and ``-T claims`` refuse theirs. ``value`` is returned as given."""
    from beliefbench.arguments import empty_items

    if isinstance(value, str):
        problem = empty_items(value.split(","))
        if problem:
            raise click.BadParameter(f"{value!r}: {problem}", ctx=ctx, param=param)
    return value
