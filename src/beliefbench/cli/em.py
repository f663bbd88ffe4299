"""``beliefbench em-report``: EM tables (general vs narrow, with and without KL) and plots."""

from __future__ import annotations

from collections.abc import Sequence
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
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Write the PNG plots (em_narrow_vs_general.png; em_vs_step.png with "
                   "steps) beside the tables; --no-plots skips them.")
@click.option("--bootstrap", default=2000, show_default=True, type=click.IntRange(min=1),
              help="Bootstrap resamples per CI.")
@click.option("--max-em", type=click.FloatRange(0, 1), default=None,
              help="A CI gate: exit 1 when a run's general EM rate is above this (0-1); "
                   "exit 2 when a run cannot be read as a result (partial, no general "
                   "answers, or more than --max-unread of them no_score or failed). Logs "
                   "of scripted beliefbench/... models are gated too, the result line "
                   "saying OFFLINE.")
@click.option("--max-unread", type=click.FloatRange(0, 1), default=0.10, show_default=True,
              help="With --max-em: the share of a run's general responses that may be "
                   "no_score or failed (counted as not EM) before the run is refused.")
@holds("em-report", param="out_dir")
def em_report(logs: tuple[str, ...], out_dir: Path, plots: bool, bootstrap: int,
              max_em: float | None, max_unread: float) -> None:
    """EM rate per run, general beside narrow, from EM logs (files or directories).

    Exit 0 done; with --max-em, 1 when a run's general EM rate is above it and 2 when a run
    cannot be read as a result (the tables are written first); 2 bad input."""
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
    if max_em is not None:
        gate_em(rep.side_by_side, max_em, max_unread, [i["offline"] for i in loaded.logs])


def gate_em(side, max_em: float, max_unread: float,
            offline: Sequence[Sequence[str]] = ()) -> None:
    """Exit 2 for a run that is no result (an outage reads EM 0.000: partial, no general
    answer, or too many unread), else 1 for a general EM rate above ``max_em``.

    ``offline``: per log read, why it is a pipeline check (a scripted model), if it is; said
    on the gate's last line too, as ``gate`` says it in a note: a CI job's summary often
    shows that line alone, where a scripted run's PASS read as a result."""
    import sys

    from beliefbench.analysis.logs import offline_text

    checks = [reasons for reasons in offline if reasons]
    said = ""
    if checks:
        reasons = list(dict.fromkeys(r for rs in checks for r in rs))
        said = (f" (OFFLINE: {len(checks)} of the {len(offline)} log(s) gated were "
                f"{offline_text(reasons)})")

    broken, high = [], []
    for row in side.to_dict("records"):
        name = f"{row['model']} ({row['run']})" if row["run"] != "-" else str(row["model"])
        if str(row["step"]) not in ("<NA>", "nan", "None"):
            name += f" step {row['step']}"
        unread = sum(float(row.get(f"general_{u}") or 0) for u in ("no_score", "failed"))
        if str(row["partial"]) == "True":
            broken.append(f"{name}: partial log")
        elif row["general_em"] != row["general_em"]:  # NaN: no general question answered
            broken.append(f"{name}: no answers to general questions")
        elif unread > max_unread:
            broken.append(f"{name}: {unread:.1%} of its general responses no_score or "
                          f"failed (more than --max-unread {max_unread:g})")
        elif row["general_em"] > max_em:
            high.append(f"{name}: general EM {row['general_em']:.3f} "
                        f"[{row['general_ci_low']:.3f}, {row['general_ci_high']:.3f}]")
    if broken:
        click.echo("gate: no result for " + "; ".join(broken) + " (fix the run, then "
                   "report again)", err=True)
        sys.exit(2)
    if high:
        click.echo(f"gate: FAIL: general EM above --max-em {max_em:g}: " + "; ".join(high)
                   + said, err=True)
        sys.exit(1)
    click.echo(f"gate: PASS: every run's general EM at or below --max-em {max_em:g}{said}",
               err=True)
