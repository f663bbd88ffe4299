"""The command line's one bad-input error: its message, and exit code 2 (1 is kept for a
real finding, such as the gate's rise, or a run that started and failed)."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

import click


class BadInput(click.ClickException):
    """Bad input (files, options, claims, logs): exit 2 with the message."""

    exit_code = 2


def exit_interrupted(kept: str, *, message: str | None = None) -> NoReturn:
    """Ctrl-C: ``interrupted: <kept>`` (or ``message`` as it is), then exit 130 at once.

    Threads a run leaves behind (torch's, the hf provider's batch thread) can abort the
    interpreter's normal teardown ("terminate called without an active exception", SIGABRT,
    exit 134 instead of 130). So the exit handlers (Inspect's: vLLM servers, trace logs) run
    here, stdio is flushed, and the process ends with ``os._exit(130)``. Inside a test's
    CliRunner (stdio not the process's own) it exits 130 the ordinary way."""
    click.echo(message if message is not None else f"\ninterrupted: {kept}", err=True)
    if sys.stderr is not sys.__stderr__ or sys.stdout is not sys.__stdout__:
        sys.exit(130)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(130)
