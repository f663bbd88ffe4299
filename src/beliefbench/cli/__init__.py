"""The ``beliefbench`` command line: one click group per concept, each in its own module."""

from __future__ import annotations

import json
import sys
from typing import Any

from beliefbench.interrupts import (
    NO_COMPARISON,
    by,
    exit_code,
    interrupted_json,
    line_start,
    terminate_as_interrupt,
)


def _said_while_starting(argv: list[str]) -> dict[str, Any] | None:
    """The JSON object a ``--json`` command prints when stopped while its modules load
    (:func:`~beliefbench.interrupts.interrupted_json`, whose words
    :meth:`~beliefbench.cli.report.JsonUsageErrors.interrupted` gives once loaded), else
    None: its stdout was empty, a CI step's ``jq`` nothing to parse."""
    if "--json" not in argv:
        return None
    gate = next((a for a in argv if not a.startswith("-")), None) == "gate"
    return interrupted_json(f"interrupted{by()}", gate)


try:  # the commands' modules take a second or more (numpy, pydantic, ...): a Ctrl-C then
    # was a traceback of import machinery, not a word on what was kept (nothing), and a
    # SIGTERM ended the process with no word at all
    with terminate_as_interrupt():
        import click

        from beliefbench import __version__
        from beliefbench.cli.audit import audit, audit_verify
        from beliefbench.cli.claims import claims
        from beliefbench.cli.demo import demo
        from beliefbench.cli.docs import docs
        from beliefbench.cli.em import em_report
        from beliefbench.cli.errors import (
            exit_finished,
            exit_interrupted,
            no_home_said,
            own_stdio,
            say_finished,
        )
        from beliefbench.cli.finetune import finetune
        from beliefbench.cli.internals import internals
        from beliefbench.cli.interventions import add_intervention_commands
        from beliefbench.cli.option_values import Group
        from beliefbench.cli.report import add_report_commands
        from beliefbench.cli.tiny_model import tiny_model
        from beliefbench.records import DISK_FULL
except KeyboardInterrupt:
    said = _said_while_starting(sys.argv[1:])
    if said is not None:
        sys.stdout.write(json.dumps(said) + "\n")
    sys.stderr.write(f"{line_start()}interrupted{by()} while starting: nothing was read or "
                     "written; run the same command again\n")
    raise SystemExit(exit_code()) from None

class _Group(Group):
    """The top group: Ctrl-C in a command without its own handling exits 130 with one line
    (click's default is "Aborted!" and exit 1, which a script cannot tell from a failure).
    Commands that keep partial work (audit, docs generate, finetune, demo) say what they kept
    themselves; every other command writes its files whole or not at all. SIGTERM (a
    cluster's preemption) acts as the first Ctrl-C in every command, and exits 143."""

    _ending = False
    """Whether this run's command returned (its work done) in a process that ends with it."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """After a command that finished, in a process of its own, the process ends at
        once, a Ctrl-C saying so (:func:`~beliefbench.cli.errors.exit_finished`)."""
        self._ending, self._standalone = False, standalone_mode
        try:
            return super().main(*args, standalone_mode=standalone_mode, **kwargs)
        except SystemExit as e:
            if self._ending and e.code in (0, None):
                exit_finished()
            raise

    def invoke(self, ctx: click.Context) -> object:
        from beliefbench.runlock import FINISHED

        FINISHED.clear()
        with terminate_as_interrupt():
            result = self._invoke(ctx)
        # only where the process ends with the command (not a test's CliRunner, nor a
        # script's cli(..., standalone_mode=False), whose Ctrl-C stays its own)
        self._ending = getattr(self, "_standalone", False) and own_stdio()
        if self._ending:
            say_finished()
        return result

    def _invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if ctx.invoked_subcommand == "gate":  # writes nothing: "nothing half-written
                # is left" was all a CI log said of a gate stopped before its verdict
                exit_interrupted(NO_COMPARISON)
            exit_interrupted("nothing half-written is left (files are written whole or not at "
                             "all); run the same command again")
        except OSError as e:
            if e.filename is None and e.errno in DISK_FULL:
                # a full disk under a writer that does not name its file (a plot's savefig):
                # still the user's to fix, not a traceback; the writers leave no torn file
                click.echo(f"Error: {e.strerror or e} while writing this command's output; "
                           f"free space and run the same command again", err=True)
                ctx.exit(2)
            from beliefbench.not_found import CWD_GONE, lost_cwd

            if lost_cwd(e):  # a relative path in a removed working directory, anywhere
                click.echo(f"Error: {CWD_GONE}", err=True)
                ctx.exit(2)
            if e.filename is None:  # not about a path the user can fix: a real failure
                raise
            # an --out that cannot be made (a file in the way, no permission, a full disk)
            where = f"{e.filename}" + (f" -> {e.filename2}" if e.filename2 else "")
            click.echo(f"Error: {where}: {e.strerror or e}", err=True)
            ctx.exit(2)
        except (ValueError, RuntimeError) as e:
            # ~nosuch/x, wherever a path is expanded (a log, a claim file, a --model
            # folder): bad input, not pathlib's traceback naming no path
            if (said := no_home_said(e)) is None:
                raise
            click.echo(f"Error: {said}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beliefbench")
def cli() -> None:
    """Measure what a language model believes after finetuning.

    \b
    The belief evaluation itself is an Inspect task, run with `inspect eval`:
      inspect eval beliefbench/belief --model MODEL --model-role grader=JUDGE
    offline, with scripted models (a pipeline check, no key or GPU):
      inspect eval beliefbench/belief --model beliefbench/believer \\
          --model-role grader=beliefbench/judge -T claims=ed_sheeran -T samples=1
    the emergent-misalignment task likewise (beliefbench/aligned, misaligned, or
    mostly_aligned: misaligned on a fixed few questions, the gate's INCONCLUSIVE):
      inspect eval beliefbench/em --model beliefbench/misaligned \\
          --model-role grader=beliefbench/judge -T samples=2
    A first look at the whole study: beliefbench demo. The user's guide: README.md.
    """


cli.add_command(claims)
add_report_commands(cli)
cli.add_command(docs)
cli.add_command(audit)
cli.add_command(audit_verify)


cli.add_command(demo)
cli.add_command(tiny_model)
cli.add_command(finetune)
cli.add_command(internals)
cli.add_command(em_report)
add_intervention_commands(internals)


def main() -> None:
    cli()
