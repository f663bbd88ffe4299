"""When to save: log-spaced checkpoint steps, so early belief change is seen in detail."""

from __future__ import annotations

import numpy as np


def checkpoint_steps(total_steps: int, n: int = 15, first: int = 1) -> list[int]:
    """``n`` log-spaced steps in [first, total_steps]; the last of them is ``total_steps``.

    Rounding collapses neighbours at the start, so fewer than ``n`` unique steps may come
    back for short runs; the final step is always included (also for ``n = 0``).
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    first = max(1, min(first, total_steps))
    # one step is the last: geomspace with num=1 gives only its start (step 1, the base
    # weights after warmup), and the final step made it two
    points = np.geomspace(first, total_steps, num=n) if n > 1 else np.array([])
    steps = {int(round(p)) for p in points} | {total_steps}
    return sorted(s for s in steps if 1 <= s <= total_steps)
