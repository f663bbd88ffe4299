"""Progress bars that stay readable when the output is a file (CI logs, `> run.log`)."""

from __future__ import annotations

import sys


def progress(iterable, *, total: int, desc: str, enabled: bool | None = None):
    """tqdm on a terminal; a periodic plain line otherwise (logs of CI jobs stay readable)."""
    from tqdm import tqdm

    if enabled is None:
        enabled = total > 1
    tty = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not enabled,
                mininterval=0.5 if tty else 30.0, leave=False)
