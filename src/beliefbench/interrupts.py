"""SIGTERM as a first Ctrl-C: a cluster's preemption (Slurm, Kubernetes: SIGTERM, then
SIGKILL after a grace period) ended a run at once with exit 143 and no word, where Ctrl-C
saves what it can (finetune's training state after the current step), says what is kept and
how to continue, and exits 130.

While :func:`terminate_as_interrupt` is active, SIGTERM calls whatever SIGINT handler is
installed at that moment (finetune's :class:`StopOnInterrupt`, asyncio's or Inspect's
cancel, Python's KeyboardInterrupt), so a stop by SIGTERM goes every way a Ctrl-C goes,
a second one included (it stops at once, as a second Ctrl-C does). The exit is then 143
(128 + SIGTERM), the shell's and the schedulers' code for a run ended by SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

_terminated = False


def terminated() -> bool:
    """Whether this run's stop was asked for by SIGTERM (not Ctrl-C)."""
    return _terminated


def exit_code() -> int:
    """The exit of an interrupted run: 143 after SIGTERM (128 + 15), else 130 (Ctrl-C)."""
    return 128 + signal.SIGTERM if _terminated else 128 + signal.SIGINT


NO_RESULT = "no result; run the same command again"
"""What a ``--json`` command stopped before its result says after ``interrupted``."""

NO_COMPARISON = "no comparison was made; run the same command again"
""":data:`NO_RESULT` for ``gate``, whose JSON also says ``"passed": null``."""


def interrupted_json(said: str, gate: bool = False) -> dict[str, Any]:
    """The JSON object a ``--json`` command prints when stopped before its result
    (``said``: ``interrupted``, or ``interrupted by SIGTERM``): one text for a stop while
    its modules load (``beliefbench.cli``) and one while it runs (``JsonUsageErrors``)."""
    if gate:
        return {"passed": None, "error": f"{said}: {NO_COMPARISON}"}
    return {"error": f"{said}: {NO_RESULT}"}


def line_start(signum: int | None = None) -> str:
    """What an ``interrupted`` message starts with: a line break where the cursor may stand
    mid-line, so that the message begins a line of its own, else nothing. Only a terminal
    has such a line: the ``^C`` it echoes for a Ctrl-C, or a progress bar being drawn
    (``\\r`` refreshes). A SIGTERM echoes nothing, so there it is a live bar alone; a file
    or pipe (a CI log, ``2> err.txt``) is written in whole lines. Without it, a SIGTERM under
    ``--no-progress`` (or any stop written to a log) began with an empty line."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return ""
    if not tty:
        return ""
    term = signum == signal.SIGTERM if signum is not None else _terminated
    if not term:
        return "\n"
    tqdm = sys.modules.get("tqdm")
    bars = getattr(getattr(tqdm, "tqdm", None), "_instances", ()) if tqdm else ()
    return "\n" if any(not getattr(b, "disable", True) for b in list(bars)) else ""


def by(signum: int | None = None) -> str:
    """`` by SIGTERM`` for a message of a stop by SIGTERM (``signum``, or this run's), else
    nothing: a Ctrl-C's messages stay as they were."""
    term = signum == signal.SIGTERM if signum is not None else _terminated
    return " by SIGTERM" if term else ""


def _forward(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: note it, then do what the current SIGINT handler does."""
    global _terminated
    _terminated = True
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signum, frame)
    else:  # SIG_IGN (a background job of a script), SIG_DFL, or one set outside Python
        raise KeyboardInterrupt


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM acts as Ctrl-C inside; the previous SIGTERM handler is put back after. Only the
    main thread can set signal handlers (and only it receives them): elsewhere a no-op."""
    global _terminated
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is _forward:  # nested: the outer one notes and restores
        yield
        return
    _terminated = False
    signal.signal(signal.SIGTERM, _forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


_late: list[int] = []
"""The exit of a signal :func:`say_when_stopped` answered (at most one)."""


def say_when_stopped(note: str) -> None:
    """From now until the process ends, Ctrl-C (or SIGTERM) writes ``interrupted: <note>``
    (``interrupted by SIGTERM: ...``) and makes the exit 130 (143) (:func:`late_exit`), the
    exit handlers still running; a second one exits at once. For a command that has finished
    its work, whose process is ending: a Ctrl-C there ended the process by the signal
    itself during Python's teardown, exit 130 with no word, as if the run had been cut
    short. Main thread only (elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _late.clear()

    def say(signum: int, frame: FrameType | None) -> None:
        if _late:  # the second: at once
            os._exit(_late[0])
        _late.append(128 + signum)
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            sys.stderr.write(f"{line_start(signum)}interrupted{by(signum)}: {note}\n")
            sys.stderr.flush()

    signal.signal(signal.SIGINT, say)
    signal.signal(signal.SIGTERM, say)


def late_exit(code: int) -> int:
    """``code``, or 130 (143) where :func:`say_when_stopped` answered a signal."""
    return _late[0] if _late else code
