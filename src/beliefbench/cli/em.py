"""``beliefbench em-report``: EM tables (general vs narrow, with and without KL) and plots."""

from __future__ import annotations

from pathlib import Path

import click

from beliefbench.cli.errors import BadInput
from beliefbench.cli.outputs import note_if_replacing
from beliefbench.cli.paths import UserPath
from beliefbench.runlock import holds


@click.command("em-report")
@click.argument("logs", nargs=-1, required=True)
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("reports/em"), show_default=True, help="Where tables and plots go.")
@click.option("--plots/--no-plots", default=True, show_default=True)
@click.option("--bootstrap", default=2000, show_default=True, type=click.IntRange(min=1),
              help="Bootstrap resamples per CI.")
@holds("em-report", param="out_dir")
def em_report(logs: tuple[str, ...], out_dir: Path, plots: bool, bootstrap: int) -> None:
    """EM rate per run, general beside narrow, from EM logs (files or directories)."""
    from beliefbench.analysis.em_report import (
        build_em_report,
        console_table,
        load_em_logs,
        write_em_report,
    )
    from beliefbench.analysis.logs import LogError

    try:
        loaded = load_em_logs(list(logs))
        rep = build_em_report(loaded, n_bootstrap=bootstrap)
    except LogError as e:
        raise BadInput(str(e)) from None
    except MemoryError:  # numpy holds every resample of every question at once
        raise BadInput(f"--bootstrap {bootstrap}: not enough memory for that many resamples "
                       "per CI (the default is 2000)") from None
    for note in rep.notes:
        click.echo(f"warning: {note}", err=True)
    note_if_replacing(out_dir, "em_report.md")
    written = write_em_report(rep, out_dir, plots=plots)
    click.echo(console_table(rep.side_by_side))
    n_logs = len(loaded.logs)
    click.echo(f"\n{n_logs} log{'' if n_logs == 1 else 's'}, {len(loaded.responses)} "
               "responses. Wrote:")
    for path in written:
        click.echo(f"  {path}")
