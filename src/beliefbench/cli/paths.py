"""The command line's path type: ``click.Path`` with ``~`` expanded, as the claim, base-model
and log readers expand it."""

from __future__ import annotations

import os
from typing import Any

import click

from beliefbench.analysis.text import EMPTY_PATH


class UserPath(click.Path):
    """``click.Path`` that reads ``~`` as the home folder. The shell leaves ``~`` alone in
    ``--out=~/runs`` (and in quotes), and click took it as a folder named "~" in the working
    directory: the output was written there, under a name a later ``rm -rf ~`` is fatal to."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            # `--candidate "$UNSET"`: "" is the working directory to click and pathlib, so
            # a gate read every log under it and a report was written (and old figures
            # removed) in it
            self.fail(EMPTY_PATH, param, ctx)
        if isinstance(value, str | os.PathLike):
            value = os.path.expanduser(value)
        return super().convert(value, param, ctx)
