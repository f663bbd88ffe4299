"""The command line's share type: a gate's threshold or budget, a share of responses written
as a decimal (``0.05``), where a CI author writes a percent (``5%``)."""

from __future__ import annotations

from typing import Any

import click


class Share(click.FloatRange):
    """A float read as a share (0.05 = 5 points), within ``min`` and ``max`` where given
    (``gate`` checks its own ranges, naming the Python argument too). ``5%`` was click's
    "'5%' is not a valid float", which named no fix; it is refused naming the decimal to
    write (``--max-rise 0.05``), never read as 0.05 or 5."""

    def __init__(self, min: float | None = None, max: float | None = None,
                 of: str = "responses") -> None:
        super().__init__(min=min, max=max)
        self.of = of  # what the share is of, as the refusal says it (docs mix: records)
        # click's own words for any other value: "'x' is not a valid float"
        self.name = "float" if min is None and max is None else "float range"

    def _describe_range(self) -> str:
        # click's help shows a number range's bounds beside the default; with none given it
        # printed "[default: 0.05; x<=None]" under every gate budget: no bound, no range
        if self.min is None and self.max is None:
            return ""
        return super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            # `--max-rise "$MAX_RISE"` with the CI input unset was click's "'' is not a
            # valid float", naming neither the likely cause nor the default left out
            option = param.opts[0] if param is not None and param.opts else "the option"
            default = getattr(param, "default", None)
            left_out = (f"; or leave {option} out for its default, {default:g}"
                        if isinstance(default, (int, float)) and not isinstance(default, bool)
                        else "")
            self.fail(f"{value!r} is empty (an unset shell variable?): the option takes a "
                      f"share of {self.of} written as a decimal, {option} 0.05 for "
                      f"5%{left_out}", param, ctx)
        if isinstance(value, str) and value.strip().endswith("%"):
            number = value.strip()[:-1].strip()
            try:
                share = float(number) / 100
            except ValueError:
                pass  # not a percent either: click's own message below
            else:
                option = param.opts[0] if param is not None and param.opts else "the option"
                self.fail(f"{value!r} is a percent: the option takes a share of {self.of} "
                          f"written as a decimal, {option} {share:g} for {number}%",
                          param, ctx)
        return super().convert(value, param, ctx)
