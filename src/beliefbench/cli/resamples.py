"""``--bootstrap`` of the commands that print CIs: refuse too few resamples for a 95% CI, and
say in one line when too many do not fit in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from beliefbench.cli.errors import BadInput


def _least() -> int:
    from beliefbench.metrics import min_resamples  # pandas: not for every command's start

    return min_resamples()


class Resamples(click.IntRange):
    """Bootstrap resamples per 95% CI: at least 40 (``no_ci``: or 0, no CIs at all).

    A 95% CI's bounds are the 2.5% and 97.5% quantiles of the draws, so with fewer than 40
    they are the smallest and largest draw, a narrower CI than it says (``gate`` refuses them
    as well). A usage error (exit 2); ``--help`` and click's own range message show the
    least it takes, not 1."""

    name = "integer"

    def __init__(self, no_ci: bool = False) -> None:
        super().__init__(min=0 if no_ci else 1)

    def _describe_range(self) -> str:
        return f"0 or x>={_least()}" if self.min == 0 else f"x>={_least()}"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        from beliefbench.metrics import resamples_problem  # the Python functions' rule

        rv = super().convert(value, param, ctx)
        problem = resamples_problem(rv)
        if problem:
            self.fail(problem + (", or 0 for no CIs" if self.min == 0 else ""), param, ctx)
        return rv


@contextmanager
def resamples_fit(n_bootstrap: int) -> Iterator[None]:
    """A ``--bootstrap`` too large for memory (numpy holds every resample of a CI at once) as
    one line naming the option, exit 2: it was a MemoryError traceback, exit 1. At the
    default or fewer the resamples are not the cause: the error stands as it is."""
    try:
        yield
    except MemoryError:
        from beliefbench.metrics import N_BOOTSTRAP

        if n_bootstrap <= N_BOOTSTRAP:
            raise
        raise BadInput(f"--bootstrap {n_bootstrap}: not enough memory for that many resamples "
                       "per CI (the default is 2000)") from None
