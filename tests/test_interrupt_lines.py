"""Where an ``interrupted`` message starts: on a line of its own, with no empty line before
it. A SIGTERM under ``audit --no-progress`` began with an empty line: the line break that
gets past a terminal's ``^C`` echo or a progress bar was written where neither stood."""

from __future__ import annotations

import io
import signal

import pytest
from tqdm import tqdm

from beliefbench import interrupts


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty, signum, bar, start", [
    (False, signal.SIGINT, False, ""),   # a log or pipe: whole lines, ^C echoed elsewhere
    (False, signal.SIGTERM, True, ""),   # a bar in a log writes whole lines too
    (True, signal.SIGINT, False, "\n"),  # past the terminal's ^C
    (True, signal.SIGTERM, False, ""),   # nothing echoed, no bar: no empty line
    (True, signal.SIGTERM, True, "\n"),  # past a bar being drawn
])
def test_an_interrupt_message_starts_a_line_without_an_empty_one(monkeypatch, tty, signum,
                                                                  bar, start):
    stream = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    shown = tqdm(total=3, file=stream, disable=not bar)
    try:
        assert interrupts.line_start(signum) == start
    finally:
        shown.close()
    # a closed bar (the stop unwound through it) leaves the cursor at a line's start
    assert interrupts.line_start(signal.SIGTERM) == ""
