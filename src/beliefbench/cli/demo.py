"""``beliefbench demo``: the miniature study on a tiny local model (offline, CPU)."""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import click

from beliefbench.cli.option_values import Command
from beliefbench.cli.paths import UserPath
from beliefbench.runlock import holds

AT_SCALE_SECTIONS = ("Training documents", "Finetuning",
                     "Reports, the CI gate, sweeps and judge agreement")
"""The README sections (headings' openings) that explain the demo's at-scale commands."""


@click.command(cls=Command)
@click.option("--quick", is_flag=True,
              help="The short version: one claim, three conditions, 30 steps (42 s fresh on "
                   "an idle machine, 7.2 min beside other jobs, 11 s cached: README).")
@click.option("--workdir", type=UserPath(file_okay=False, path_type=Path),
              default=Path(".cache/demo"), show_default=True,
              help="Model, documents, checkpoints and measures (reused on later runs).")
@click.option("--log-dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("logs/demo"), show_default=True, help="Inspect logs.")
@click.option("--progress-every", default=10.0, show_default=True,
              type=click.FloatRange(min=0),
              help="Seconds between progress lines when stdout is not a terminal.")
@holds("demo", param="workdir", flag="--workdir")
@holds("demo", param="log_dir", flag="--log-dir")  # a run replaces the partial logs it finds
def demo(quick: bool, workdir: Path, log_dir: Path, progress_every: float) -> None:
    """Pretrain a tiny model on the truth, finetune it on documents in each condition
    (positive, negated, repeated negations, local negation, corrected), and measure what
    every checkpoint believes: completion margins, yes/no logprobs, a truth probe and the
    belief task (offline marker judge). Prints a table with 95% CIs and writes a plot.
    """
    from beliefbench.claims import ClaimSpecError
    from beliefbench.cli.errors import BadInput, exit_interrupted
    from beliefbench.demo import DemoError, equivalent_commands, load_preset, run_demo
    from beliefbench.finetune.local import Interrupted
    from beliefbench.finetune.recipe import RecipeError

    # FloatRange lets nan and inf through: the heartbeat then printed a line per loop (nan)
    # or died with an OverflowError traceback (inf)
    if not math.isfinite(progress_every):
        raise BadInput(f"--progress-every: must be a finite number of seconds, got "
                       f"{progress_every}")
    try:
        settings = load_preset("quick" if quick else "full")
        result = run_demo(settings, workdir, log_dir, echo=click.echo, interval=progress_every)
    except (DemoError, RecipeError, ClaimSpecError) as e:
        raise BadInput(str(e)) from None
    except (Interrupted, KeyboardInterrupt):  # training saves its state on the first Ctrl-C
        exit_interrupted(f"finished work in {workdir} is kept; run the same command again to "
                         f"continue")
    click.echo("\nWhat each condition did to the claims (final checkpoints, 95% bootstrap "
               "CIs over completion pairs / questions):\n")
    click.echo(result.table)
    click.echo("\nReading:")
    for line in result.reading:
        click.echo(f"  - {line}")
    sections = ", ".join(f"'{s}'" for s in AT_SCALE_SECTIONS)
    click.echo(f"\nThe same study at scale (per condition; README: {sections}):")
    for line in equivalent_commands(settings, workdir):
        click.echo(f"  {line}")
    click.echo(f"\nPlot:      {result.plot}")
    click.echo(f"Measures:  {result.files['measures']} (every checkpoint)")
    logs = shlex.quote(str(log_dir))  # pasted into a shell: a space split the path in two
    click.echo(f"Logs:      inspect view --log-dir {logs}   |   "
               f"beliefbench report {logs} --by condition")
    click.echo(f"Took {result.seconds / 60:.1f} min.")
