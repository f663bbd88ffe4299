"""The command line's choice type: ``click.Choice`` whose refusal names the close choice."""

from __future__ import annotations

from typing import Any

import click

from beliefbench.analysis.text import did_you_mean


class Choice(click.Choice):
    """``click.Choice`` that adds `` (did you mean 'general'?)`` to click's "'gen' is not one
    of 'general', 'narrow', 'all'." where a choice is close, in the wording of the project's
    other unknown names (``--parts``, ``-T kinds=``); click named the choices and left the
    user to find which was meant. Every choice option of the CLI has this type."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            names = [c for c in self.choices if isinstance(c, str)]
            if isinstance(value, str) and (close := did_you_mean(value, names)):
                self.fail(f"{e.message.rstrip('.')}{close}", param, ctx)
            raise
