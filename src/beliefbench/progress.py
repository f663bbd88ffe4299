"""Progress bars that stay readable when the output is a file (CI logs, `> run.log`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO, TypeVar

T = TypeVar("T")

_quiet = False


class _LogLines:
    """stderr for a bar when stderr is a file: tqdm starts each refresh with a carriage
    return, so a log held all of a bar's refreshes on one line (one line to ``grep``, ^M in
    ``less``); here each refresh is a plain line of its own, and the clearing is dropped."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def bar_file() -> TextIO | _LogLines:
    """Where a progress bar writes: stderr on a terminal, else stderr a line per refresh."""
    return sys.stderr if sys.stderr.isatty() else _LogLines(sys.stderr)


def log_interval(terminal: float = 0.5) -> float:
    """Seconds between a bar's refreshes: ``terminal`` on a terminal, 30 in a log (a line
    each)."""
    return terminal if sys.stderr.isatty() else 30.0


def intervals(terminal: float = 0.5) -> dict[str, float]:
    """tqdm's ``mininterval`` and ``maxinterval`` for a bar: :func:`log_interval`, and a
    ``maxinterval`` no shorter. tqdm's monitor thread redraws a bar that has not printed
    within ``maxinterval`` (10 s by default): in a log, with ``mininterval`` 30, it wrote a
    second line between the 30 s ones, its count and rate those of the line before
    (``13/150 [00:30<05:18, 2.32s/it]`` then ``13/150 [00:49<05:18, 2.32s/it]``)."""
    every = log_interval(terminal)
    return {"mininterval": every, "maxinterval": max(every, 10.0)}


@contextmanager
def library_bars() -> Iterator[None]:
    """transformers' own bars (loading and saving weights) write to :func:`bar_file` too, so
    a log gets plain lines rather than carriage-return refreshes and cursor moves; a terminal
    is unchanged.

    Uses ``transformers.utils.logging.set_tqdm_hook`` (in transformers 5.24); a version
    without it keeps its bars as they were."""
    from transformers.utils import logging as tlog

    set_hook = getattr(tlog, "set_tqdm_hook", None)
    if set_hook is None or sys.stderr.isatty():
        yield
        return

    def hook(factory, args, kwargs):
        kwargs.setdefault("file", bar_file())
        for key, value in intervals().items():
            kwargs.setdefault(key, value)
        # a bar opened while another runs (exporting, under the Trainer's step bar) moved
        # the cursor up and down a line: terminal escapes, "^[[A" lines in a log
        kwargs.setdefault("position", 0)
        return previous(factory, args, kwargs) if previous else factory(*args, **kwargs)

    previous = set_hook(hook)
    try:
        yield
    finally:
        set_hook(previous)


def progress(iterable, *, total: int, desc: str, enabled: bool | None = None,
             log_opener: bool = True):
    """tqdm on a terminal; a periodic plain line otherwise (logs of CI jobs stay readable).

    ``log_opener=False``: in a log, no ``0/n`` line as the bar opens, only the periodic
    lines and the last, for short stages in a row (docs generate's: two lines each, the
    first saying nothing, where one line per stage says all)."""
    from tqdm import tqdm

    if enabled is None:
        enabled = total > 1
    if not log_opener and enabled and not _quiet and not sys.stderr.isatty():
        return _log_lines(iterable, total, desc)
    # in a log the bar's last line stays (a bar that ends within 30 s had shown only "0/n")
    # in a log, a bar opened under another (efficiency's norms under its checkpoints) took
    # the next position and wrapped each line in cursor moves: "^[[A" fragments
    tty = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not enabled or _quiet,
                **intervals(), leave=not tty, file=bar_file(),
                position=None if tty else 0)


def _log_lines(iterable, total: int, desc: str) -> Iterator:
    """``iterable``, writing tqdm's line for it every :func:`log_interval` seconds and when
    it ends (not when it opens)."""
    from tqdm import tqdm

    start = last = time.monotonic()
    done = 0
    for item in iterable:
        yield item
        done += 1
        if time.monotonic() - last >= log_interval():
            last = time.monotonic()
            print(tqdm.format_meter(done, total, last - start, prefix=desc, ascii=True),
                  file=sys.stderr, flush=True)
    print(tqdm.format_meter(done, total, time.monotonic() - start, prefix=desc, ascii=True),
          file=sys.stderr, flush=True)


def named_steps(items: Sequence[T], names: Sequence[str], *, desc: str, unit: str
                ) -> Iterator[T]:
    """Each of ``items``, saying which one is on: on a terminal a bar whose postfix names it;
    in a log one line per item as it starts (``checkpoints 2/20: <name>``). A bar in a log
    wrote a line per refresh, two or more per item (the postfix set, the count moved), and
    a watcher of a long run still needs the line naming the item it is on (or hung at)."""
    from tqdm import tqdm

    if _quiet:
        yield from items
        return
    if sys.stderr.isatty():
        bar = tqdm(items, desc=desc, unit=unit, file=sys.stderr)
        for item, name in zip(bar, names, strict=True):
            bar.set_postfix_str(name, refresh=True)
            yield item
        return
    for i, (item, name) in enumerate(zip(items, names, strict=True), 1):
        print(f"{desc} {i}/{len(items)}: {name}", file=sys.stderr, flush=True)
        yield item


def status(text: str) -> None:
    """One line on stderr saying what a stage with no bar is doing (``finetune: loading the
    model from models/tiny-pt ...``), so seconds of loading do not read as a hang; nothing
    inside :func:`quiet` (the caller prints its own lines)."""
    if not _quiet:
        print(text, file=sys.stderr, flush=True)


def is_quiet() -> bool:
    """True inside :func:`quiet`: the caller prints its own progress lines."""
    return _quiet


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the progress bars of beliefbench, transformers (weight loading and saving, the
    Trainer's bar and loss lines, see ``finetune.local``) and the Hub, for a caller that
    prints its own progress lines (the demo); restored on the way out."""
    global _quiet
    from huggingface_hub import utils as hub
    from transformers.utils import logging as tlog

    bars, hub_bars, before = (tlog.is_progress_bar_enabled(),
                              not hub.are_progress_bars_disabled(), _quiet)
    _quiet = True
    tlog.disable_progress_bar()
    hub.disable_progress_bars()
    try:
        yield
    finally:
        _quiet = before
        if bars:
            tlog.enable_progress_bar()
        if hub_bars:
            hub.enable_progress_bars()
