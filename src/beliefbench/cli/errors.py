"""The command line's one bad-input error: its message, and exit code 2 (1 is kept for a
real finding, such as the gate's rise, or a run that started and failed)."""

from __future__ import annotations

import click


class BadInput(click.ClickException):
    """Bad input (files, options, claims, logs): exit 2 with the message."""

    exit_code = 2
