"""What a newcomer reads in `--help` agrees with what the command then accepts."""

from click.testing import CliRunner

from beliefbench.cli import cli


def test_gate_help_gives_the_max_rise_range_the_gate_accepts():
    """`gate --help` said `--max-rise` was "0-1", but 1 is refused (a gate that could never
    fail): the help now gives the range the check enforces."""
    runner = CliRunner()
    help_text = " ".join(runner.invoke(cli, ["gate", "--help"]).output.split())
    assert "0-1" not in help_text
    assert "at least 0 and below 1" in help_text
    refused = runner.invoke(cli, ["gate", "--baseline", "x", "--candidate", "y",
                                  "--max-rise", "1"])
    assert refused.exit_code == 2
    assert "at least 0 and below 1" in refused.output
