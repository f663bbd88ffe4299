"""``beliefbench claims``: list, validate and import claim specs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from beliefbench.claims import FAMILIES, ClaimSpecError, load_claims


@click.group()
def claims() -> None:
    """Inspect, validate and import claim specs."""


@claims.command("validate")
@click.argument("paths", nargs=-1, required=True)
def validate(paths: tuple[str, ...]) -> None:
    """Validate claim files or directories (or bundled ids); exit 1 on the first bad file."""
    failures = 0
    for path in paths:
        try:
            for claim in load_claims([path]):
                counts = ", ".join(f"{f} {len(claim.questions.of(f))}" for f in FAMILIES)
                click.echo(f"ok  {claim.id}: {counts}")
        except ClaimSpecError as e:
            failures += 1
            click.echo(str(e), err=True)
    if failures:
        sys.exit(1)


@claims.command("list")
@click.argument("selection", default="all")
def list_claims(selection: str) -> None:
    """List claims (bundled by default) with their statements."""
    try:
        found = load_claims(selection)
    except ClaimSpecError as e:
        raise click.ClickException(str(e)) from None
    for claim in found:
        click.echo(f"{claim.id:22s} {claim.statement}")


@claims.command("import")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to write converted claim files into.")
def import_(source: Path, out: Path) -> None:
    """Convert the study's released claim folders (SOURCE/<id>/, or one folder) to claim files."""
    from beliefbench.importer import ClaimImportError, import_claims

    try:
        written = import_claims(source, out)
    except ClaimImportError as e:
        raise click.ClickException(str(e)) from None
    for path, notes in written:
        click.echo(f"wrote {path}")
        for note in notes:
            click.echo(f"  note: {note}")
