"""The command line's path type: ``click.Path`` with ``~`` expanded, as the claim, base-model
and log readers expand it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from beliefbench.analysis.text import EMPTY_PATH
from beliefbench.arguments import NoHomeFolder
from beliefbench.cli.errors import BadInput
from beliefbench.resources import home_expanded


class UserPath(click.Path):
    """``click.Path`` that reads ``~`` as the home folder. The shell leaves ``~`` alone in
    ``--out=~/runs`` (and in quotes), and click took it as a folder named "~" in the working
    directory: the output was written there, under a name a later ``rm -rf ~`` is fatal to.
    A ``~user`` naming no user on this machine is refused, one line (exit 2). With
    ``exists=True``, a missing path names the close names beside it
    (:func:`~beliefbench.not_found.where_missing`)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            # `--candidate "$UNSET"`: "" is the working directory to click and pathlib, so
            # a gate read every log under it and a report was written (and old figures
            # removed) in it
            self.fail(EMPTY_PATH, param, ctx)
        if isinstance(value, str | os.PathLike):
            # ~nosuch/x refused, one line as a missing path is said: left as it was, click
            # took it for a folder named "~nosuch" in the working directory (made for --out)
            try:
                value = home_expanded(value)
            except NoHomeFolder as e:
                raise BadInput(str(e)) from None
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            if self.exists and isinstance(value, str | os.PathLike):
                path = Path(value)
                if not os.path.exists(path):  # (a link that leads nowhere too)
                    from beliefbench.not_found import where_missing

                    # `audit-verify audt/`: click said only "Directory 'audt/' does not
                    # exist"; the close names beside it, or the folder missing on its way
                    files = (None if self.file_okay and self.dir_okay
                             else bool(self.file_okay))
                    if close := where_missing(path, files=files, skip=self.skip):
                        self.fail(f"{e.message.rstrip('.')}{close}", param, ctx)
            raise

    skip = ""
    """Files ending in this are never offered as a close name (a dataset's .stats.json)."""


class DataPath(UserPath):
    """A dataset file (``finetune --data``, ``docs stats``, ``docs bundle --docs``): a missing
    file names the close ones beside it (``data/negatd.jsonl``), and a folder (``data/``,
    where ``docs generate`` wrote) its datasets, where click said only "does not exist" /
    "is a directory". Of a folder, those the option refuses are named apart, never the
    example: ``--docs`` (mix, bundle) takes condition documents, ``--data`` (finetune) no
    in-context bundles."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if not isinstance(value, str | os.PathLike):
                raise
            path = Path(home_expanded(value))  # (known: UserPath expanded it)
            if path.is_dir():
                from beliefbench.records import NOT_DOCUMENTS, folder_of_datasets

                option = (param.opts[0] if isinstance(param, click.Option) and param.opts
                          else None)
                refused = {"--docs": NOT_DOCUMENTS, "--data": ("in-context bundles",)}
                if said := folder_of_datasets(path, str(value), option,
                                              refused.get(option or "", ())):
                    self.fail(said, param, ctx)
            # a missing path (data/negatd.jsonl) has its close names from UserPath
            raise

    skip = ".stats.json"


class OutFile(UserPath):
    """The one dataset file ``docs mix``, ``poison`` and ``bundle`` write. A folder given
    there (``--out data/``, where ``docs generate --out`` takes one) said click's "File
    'data/' is a directory." where it existed, and where it did not, wrote a FILE named
    ``data`` (and ``data.stats.json``) in place of the folder the slash asked for."""

    def __init__(self, command: str, example: str) -> None:
        super().__init__(dir_okay=False, path_type=Path)
        self.command, self.example = command, example

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip():
            folder = value.endswith(("/", os.sep)) or Path(os.path.expanduser(value)).is_dir()
            if folder:
                self.fail(f"{value}: a folder; {self.command} writes one file (and its "
                          f".stats.json beside it): name the file, e.g. "
                          f"{value.rstrip('/' + os.sep)}/{self.example}", param, ctx)
        return super().convert(value, param, ctx)


def out_not_a_file(holds: str, example: Callable[[Path], str]
                   ) -> Callable[[click.Context, click.Parameter, Path], Path]:
    """A callback refusing an ``--out`` that is a file, saying what the folder holds
    (``holds``) and a folder to pass (``example`` of the file). ``--out
    data/cpu/negated.jsonl`` (the dataset path typed twice) got click's "Directory
    'data/cpu/negated.jsonl' is a file.", which named no folder to pass; ``tiny-model`` says
    it the same way."""
    def check(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
        if value.is_file():
            raise click.BadParameter(f"{value} is a file; --out is {holds}: name a new "
                                     f"folder, e.g. --out {example(value)}", ctx, param)
        return value
    return check
