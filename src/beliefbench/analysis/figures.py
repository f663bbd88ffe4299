"""A figure and its atomic save, without pyplot and without the log readers: the plots of
every command draw with these, and the audit's, which reads no eval log, imports only this
(``analysis.plots`` pulls in Inspect's log reader, two seconds of start-up an audit does not
need)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from beliefbench.records import new_temp, unwritable


def subplots(nrows: int = 1, ncols: int = 1, *, squeeze: bool = True,
             **figure: Any) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a figure of its own Agg canvas, and its axes.

    Never through pyplot, whose backend and figure list are the caller's (a notebook's
    inline backend, a script's window): ``matplotlib.use("Agg")`` on import switched a
    notebook's backend away, so its own figures no longer showed, and every figure drawn
    stayed in pyplot's list (``More than 20 figures have been opened`` for a loop of
    reports; a returned figure was never closed). ``figure``: :class:`Figure`'s options
    (``figsize``, ``layout``)."""
    fig = Figure(**figure)
    FigureCanvasAgg(fig)  # draws and saves with Agg, whatever backend pyplot has
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze)


def _save(fig: Figure, path: str | Path, **savefig: Any) -> Path:
    """Save atomically: a reader never sees half a PNG (with a new file's permissions, as
    the tables beside it). A write that fails (a full disk: no file name of its own) names
    the plot. ``savefig``: matplotlib's options (default 150 dpi, tight bounding box)."""
    path = Path(path)
    fd, tmp = new_temp(path, ".png")
    os.close(fd)
    try:
        fig.savefig(tmp, **{"dpi": 150, "bbox_inches": "tight", "format": "png", **savefig})
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        if e.filename is not None:
            raise
        raise unwritable(e, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
