"""``--bootstrap`` of the commands that print CIs: refuse too few resamples for a 95% CI."""

from __future__ import annotations

import click


def enough_resamples(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """Refuse 1 to 39 resamples (a usage error, exit 2): a 95% CI's bounds are the 2.5% and
    97.5% quantiles of the draws, so with fewer than 40 they are the smallest and largest
    draw, a narrower CI than it says (``gate`` refuses them as well). 0, where the option
    takes it, still means no CIs."""
    from beliefbench.metrics import min_resamples  # pandas: not for every command's start

    need = min_resamples()
    if 0 < value < need:
        no_ci = ", or 0 for no CIs" if getattr(param.type, "min", None) == 0 else ""
        raise click.BadParameter(
            f"{value} resamples are too few for a 95% CI (fewer than one draw beyond each "
            f"bound: they would be the smallest and largest draws): use at least "
            f"{need}{no_ci}", ctx=ctx, param=param)
    return value
