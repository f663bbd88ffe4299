"""Options that refuse being given twice: click keeps the last of a repeated option without a
word, so ``audit CORPUS --claims ed_sheeran --claims dentist`` audited dentist alone and exited
0. Every option that takes a comma-separated list refuses a repeat (the list that means both
is said); one-value options (``--seed``, ``--out``) keep click's last-wins, which scripts and
tests use to override a default argument list."""

from __future__ import annotations

import shlex
from collections import Counter

import click

from beliefbench.cli.option_values import Command

LIST = "it takes one comma-separated list"
"""What a list option takes: its refusal then says the one list that means every value."""


def given_once(base: type[Command] = Command, /,
               **said: str) -> type[click.Command]:
    """A ``base`` command whose options ``said`` names refuse being given twice (a usage
    error, exit 2, before anything is read). ``said`` maps each option to what it takes; a
    list option (:data:`LIST`) is told the one list that means all it was given: `docs
    generate --claims ed_sheeran --claims dentist --conditions negated --conditions positive`
    made dentist's positive documents alone, and `docs bundle --docs a.jsonl --docs b.jsonl`
    bundled b alone. ``base`` keeps a command's own class (``report``'s JSON errors)."""

    class GivenOnce(base):  # type: ignore[valid-type,misc]
        once = said
        """The options refused twice, each with what it takes."""

        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            self.refuse_options_as_values(ctx, args)  # said first (see Command)
            if not ctx.resilient_parsing:  # shell completion reads on
                repeated = self._repeated(ctx, args)
                if repeated:
                    raise click.UsageError("; ".join(repeated), ctx)
            return super().parse_args(ctx, args)

        def _repeated(self, ctx: click.Context, args: list[str]) -> list[str]:
            """What is given twice, counted by click's own parser (so ``--text-field
            --claims`` gives --text-field the value ``--claims``); none where the arguments
            ask for --help or are wrong in click's eyes (a trailing ``--claims`` with no
            value): click then prints the help or its own message."""
            try:
                *_, order = self.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError:
                return []
            counts = Counter(p.name for p in order)
            helper = self.get_help_option(ctx)
            if helper is not None and counts[helper.name]:
                return []
            options = {opt: p for p in self.params if isinstance(p, click.Option)
                       for opt in p.opts}
            given: dict[str, list[str]] = {}
            i = 0
            while i < len(args) and args[i] != "--":
                name, eq, value = args[i].partition("=")
                option = options.get(name)
                if option is not None and not option.is_flag and not eq:
                    i += 1  # its value, however it is spelt ("--text-field --claims")
                    value = args[i] if i < len(args) else ""
                if name in said:
                    given.setdefault(name, []).append(value)
                i += 1
            return [
                f"{name} is given {len(values)} times ({', '.join(values)}), and only the "
                f"last would be read: {said[name]}"
                + (f"; write {name} {shlex.quote(','.join(values))}" if said[name] == LIST
                   else "")
                for name, values in given.items()
                if len(values) > 1 and counts[options[name].name] > 1]

    GivenOnce.__name__ = GivenOnce.__qualname__ = f"GivenOnce{base.__name__}"
    return GivenOnce


def lists_given_once(*names: str, base: type[Command] = Command
                     ) -> type[click.Command]:
    """:func:`given_once` for list options alone: ``names`` each take a comma-separated list."""
    return given_once(base, **dict.fromkeys(names, LIST))
