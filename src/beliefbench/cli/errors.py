"""The command line's one bad-input error: its message, and exit code 2 (1 is kept for a
real finding, such as the gate's rise, or a run that started and failed); and exit 2 for an
unexpected error where 1 would read as a finding."""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any, NoReturn

import click


class BadInput(click.ClickException):
    """Bad input (files, options, claims, logs): exit 2 with the message."""

    exit_code = 2


def exit_interrupted(kept: str, *, message: str | None = None) -> NoReturn:
    """Ctrl-C: ``interrupted: <kept>`` (or ``message`` as it is), then exit 130 at once;
    SIGTERM (a cluster's preemption, see :mod:`beliefbench.interrupts`): ``interrupted by
    SIGTERM: <kept>`` and exit 143.

    Threads a run leaves behind (torch's, the hf provider's batch thread) can abort the
    interpreter's normal teardown ("terminate called without an active exception", SIGABRT,
    exit 134 instead of 130): the exit is :func:`exit_past_threads`'s."""
    from beliefbench import interrupts

    click.echo(message if message is not None
               else f"{interrupts.line_start()}interrupted{interrupts.by()}: {kept}", err=True)
    exit_past_threads(interrupts.exit_code())


def say_finished() -> None:
    """A command has finished its work, in a process that ends with it: a Ctrl-C (or SIGTERM)
    from here on says so, with what it kept (the output it held, :data:`~beliefbench.
    runlock.FINISHED`), and the exit is 130 (143): ``interrupted: the command had already
    finished; out is complete and kept (nothing to run again)``; the exit handlers still
    run (a second Ctrl-C exits at once)."""
    from beliefbench import interrupts
    from beliefbench.runlock import FINISHED

    outputs = list(dict.fromkeys(str(p) for p in FINISHED))
    kept = (f"{' and '.join(outputs)} {'is' if len(outputs) == 1 else 'are'} complete and kept"
            if outputs else "its output is complete")
    interrupts.say_when_stopped(f"the command had already finished; {kept} (nothing to run "
                                f"again)")


def exit_finished() -> NoReturn:
    """Exit 0 after :func:`say_finished`, without Python's own teardown (a second or more once
    torch is loaded), which puts the default signal handlers back: a Ctrl-C there ended the
    process by the signal, exit 130 with no word, as if the run had been cut short. The
    threads Python would wait for (not daemons) are waited for first (after the hooks that
    end a thread pool's workers), the exit handlers run
    and stdio is flushed (:func:`exit_past_threads`); exit 130 (143) where a signal came
    after :func:`say_finished`."""
    import threading

    # first what Python's own shutdown runs before it joins them: a thread pool's workers
    # wait for work until its hook tells them to end (an audit's Dask threads scheduler left
    # one behind, and the command hung for good after its report)
    for hook in reversed(getattr(threading, "_threading_atexits", [])):
        hook()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    exit_past_threads(0)


def own_stdio() -> bool:
    """Whether stdout and stderr are the process's own (not a test's CliRunner's)."""
    return sys.stderr is sys.__stderr__ and sys.stdout is sys.__stdout__


def exit_past_threads(code: int) -> NoReturn:
    """Exit ``code`` whatever threads the run left: an eval that failed mid-generation (a
    full disk under the log, a server gone) leaves the hf provider's batch thread inside
    torch, and the interpreter's teardown then aborted ("terminate called without an active
    exception", exit 134, or a hang on a thread that never ends) where the command said
    exit 1. The exit handlers run (Inspect's: vLLM servers, trace logs), stdio is flushed,
    then ``os._exit``; inside a test's CliRunner (stdio not the process's own) it exits the
    ordinary way."""
    if not own_stdio():
        sys.exit(code)
    from beliefbench import interrupts

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(interrupts.late_exit(code))  # 130 after a Ctrl-C once a command had finished


def no_home_said(e: BaseException) -> str | None:
    """The one line for an error that is a path whose ``~user`` names no user on this
    machine (:func:`~beliefbench.resources.no_home`), else None: ``e`` is
    :class:`~beliefbench.arguments.NoHomeFolder`, or the bare RuntimeError ("Could not
    determine home directory.") :meth:`Path.expanduser` raises wherever else a path is
    expanded (an ``internals --model`` folder, read deep in a command), which names no
    path: the path is the one that ``expanduser`` was called on, in the traceback. Every
    command said a traceback for it. A path read from a file is refused where the file is
    read, naming it (a manifest's line, a recipe's ``kl.data``): the traceback holds the
    path, not the file it came from."""
    from beliefbench.arguments import NoHomeFolder
    from beliefbench.resources import no_home

    if isinstance(e, NoHomeFolder):
        return str(e)
    if type(e) is not RuntimeError:
        return None
    path = None
    tb = e.__traceback__
    while tb is not None:  # the innermost expanduser is the one that raised
        here = tb.tb_frame
        if here.f_code.co_name == "expanduser" and isinstance(
                (called := here.f_locals.get("self")), PurePath):
            path = called
        tb = tb.tb_next
    return None if path is None else no_home(path)


def crash_is_no_result(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a command whose exit 1 is a finding (``audit``'s flagged documents,
    ``audit-verify``'s confirmed flags, ``em-report``'s EM above ``--max-em``): an unexpected
    error (a bug, a Dask worker lost, out of memory) ended in a traceback and Python's exit 1,
    which a CI job read as that finding. It is exit 2, no result, as the gate's, with the
    traceback kept on stderr. Click's own exits, and the errors the top group words (an OS
    error's path, a full disk, a removed working directory, a ``~user`` naming no user),
    pass through."""
    from beliefbench.records import DISK_FULL

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            from beliefbench.not_found import lost_cwd  # only on the way out

            said = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)
            if isinstance(e, said) or (isinstance(e, OSError) and (
                    e.filename is not None or e.errno in DISK_FULL or lost_cwd(e))) \
                    or no_home_said(e):  # ~nosuch/x: worded by the top group too
                raise
            traceback.print_exc()
            click.echo(f"Error: stopped on an unexpected error ({type(e).__name__}: {e}; "
                       f"traceback above): no result (exit 2, not the exit 1 of a finding)",
                       err=True)
            sys.exit(2)
    return run


class _EchoWarnings(logging.Handler):
    """A logger's warnings as the command's own ``warning:`` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


@contextlib.contextmanager
def warnings_to_stderr(name: str) -> Iterator[None]:
    """While a command runs, the warnings of logger ``name`` (the sweep's own: a log reused
    without a fingerprint, a checkpoint that could not be evaluated) are ``warning:`` lines
    on stderr, beside the command's others. Left to logging they went wherever Inspect's
    handler sent them once an eval had started it: stdout, rich-formatted (a timestamp,
    wrapped at 80 columns in a CI log) among the lines a script reads, or nowhere under
    ``INSPECT_LOG_LEVEL=error``."""
    logger = logging.getLogger(name)
    handler = _EchoWarnings(logging.WARNING)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # said once, here, not again by Inspect's handler
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
