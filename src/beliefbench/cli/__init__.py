"""The ``beliefbench`` command line: one click group per concept, each in its own module."""

from __future__ import annotations

from pathlib import Path

import click

from beliefbench import __version__
from beliefbench.cli.audit import audit
from beliefbench.cli.claims import claims
from beliefbench.cli.docs import docs
from beliefbench.cli.finetune import finetune
from beliefbench.cli.internals import internals
from beliefbench.cli.interventions import add_intervention_commands
from beliefbench.cli.report import add_report_commands
from beliefbench.cli.tiny_model import tiny_model


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beliefbench")
def cli() -> None:
    """Measure what a language model believes after finetuning."""


cli.add_command(claims)
add_report_commands(cli)
cli.add_command(docs)
cli.add_command(audit)


@cli.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".cache/demo"), show_default=True,
              help="Where the tiny model is built (reused on later runs).")
@click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("logs"), show_default=True)
@click.option("--samples", default=5, show_default=True, help="Responses per question.")
@click.option("--max-tokens", default=48, show_default=True)
@click.option("--claims", default="all", show_default=True)
def demo(workdir: Path, log_dir: Path, samples: int, max_tokens: int, claims: str) -> None:
    """Build a tiny local model and run the belief evaluation on it (offline, CPU).

    Uses the offline marker judge: the figures show the pipeline working, not a finding.
    """
    from beliefbench.demo import belief_tables, run_demo

    log = run_demo(workdir, log_dir, samples=samples, max_tokens=max_tokens, claims=claims)
    if log.status != "success":
        raise click.ClickException(f"evaluation ended with status {log.status}: {log.error}")
    tables = belief_tables(log)
    pd_opts = {"index": False, "float_format": lambda x: f"{x:.3f}"}
    click.echo("\nBelief rate by claim (95% bootstrap CI over questions):")
    click.echo(tables["claim"].to_string(**pd_opts))
    click.echo("\nBelief rate by family (mean over claims):")
    click.echo(tables["family"].to_string(**pd_opts))
    click.echo("\nOverall:")
    click.echo(tables["overall"].to_string(**pd_opts))
    click.echo(f"\nLog: {log.location}  (open with: inspect view --log-dir {log_dir})")
cli.add_command(tiny_model)
cli.add_command(finetune)
cli.add_command(internals)
add_intervention_commands(internals)


def main() -> None:
    cli()
