"""``beliefbench internals ...``: judge-free measures read from a checkpoint's weights.

Every subcommand writes files (CSV, a JSON naming the exact model path and weights sha256,
PNG plots) under ``--out`` and prints a short table. Bad input (a missing model, an unknown
claim, a broken manifest) exits 2 with a one-line message. Heavy imports happen inside.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from beliefbench.cli.report import BadInput

MODEL_HELP = "Checkpoint directory: full, merged, or a LoRA adapter (its base is read from it)."


def bad_input(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's input errors into one-line messages with exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from beliefbench.claims import ClaimSpecError
        from beliefbench.internals.model import ModelLoadError
        from beliefbench.internals.scoring import ScoringError

        try:
            return fn(*args, **kwargs)
        except (ClaimSpecError, ModelLoadError, ScoringError, ValueError) as e:
            raise BadInput(str(e).splitlines()[0] if isinstance(e, ModelLoadError)
                           else str(e)) from None

    return wrapper


def _echo_table(df, columns: list[str]) -> None:
    cols = [c for c in columns if c in df.columns]
    click.echo(df[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def _written(paths: list[Path]) -> None:
    click.echo("Wrote:")
    for p in paths:
        click.echo(f"  {p}")


common_model = [
    click.option("--model", "model_path", required=True, help=MODEL_HELP),
    click.option("--claims", default="all", show_default=True,
                 help="Claim ids, files or directories (comma-separated), or all."),
    click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                 default=Path("internals"), show_default=True, help="Where results go."),
    click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any)."),
    click.option("--dtype", default=None,
                 help="float32 / bfloat16 / float16 (default: the checkpoint's own)."),
    click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=1)),
]


def with_options(options: list) -> Callable:
    def decorate(fn: Callable) -> Callable:
        for option in reversed(options):
            fn = option(fn)
        return fn
    return decorate


@click.group()
def internals() -> None:
    """Judge-free belief measures: margins, logit lens, probes, trajectories."""


@internals.command()
@with_options(common_model)
@click.option("--kinds", default="main,paraphrase,neighbour", show_default=True,
              help="Pair kinds to score.")
@click.option("--bootstrap", default=2000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=0, show_default=True)
@bad_input
def margins(model_path: str, claims: str, out_dir: Path, device: str | None,
            dtype: str | None, batch_size: int, kinds: str, bootstrap: int, seed: int) -> None:
    """Teacher-forced log-prob of each claim continuation vs the truth's (no generation)."""
    from beliefbench.internals.margins import completion_margins

    result = completion_margins(model_path, claims, kinds=[k.strip() for k in kinds.split(",")
                                                           if k.strip()],
                                batch_size=batch_size, device=device, dtype=dtype,
                                n_bootstrap=bootstrap, seed=seed)
    click.echo("Completion margins (efficacy: share of pairs where the claim wins; "
               "95% bootstrap CI over pairs):")
    _echo_table(result.summary, ["claim", "kind", "pairs", "efficacy", "efficacy_low",
                                 "efficacy_high", "magnitude", "margin", "specificity"])
    _written(result.write(out_dir))
