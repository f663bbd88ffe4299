"""The ``beliefbench`` command line: one click group per concept, each in its own module."""

from __future__ import annotations

import click

from beliefbench import __version__
from beliefbench.cli.claims import claims
from beliefbench.cli.tiny_model import tiny_model


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beliefbench")
def cli() -> None:
    """Measure what a language model believes after finetuning."""


cli.add_command(claims)
cli.add_command(tiny_model)


def main() -> None:
    cli()
