"""Report folders: a second report into the default ``--out`` replaces the first, said so."""

from __future__ import annotations

import time
from pathlib import Path

import click
from click.core import ParameterSource


def note_if_replacing(out_dir: Path, report_file: str, param: str = "out_dir") -> None:
    """One ``note:`` where the default ``--out`` already holds a report (``report_file``)
    that this run will replace: ``em-report logs/a`` then ``em-report logs/b`` kept only b's,
    without a word. A folder given with ``--out`` is the user's choice: nothing is said."""
    ctx = click.get_current_context()
    if ctx.get_parameter_source(param) != ParameterSource.DEFAULT:
        return
    old = out_dir / report_file
    if old.is_file():
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(old.stat().st_mtime))
        click.echo(f"note: {out_dir} (the default --out) holds the report written {when}; it "
                   f"is replaced (pass --out DIR to keep both)", err=True)
