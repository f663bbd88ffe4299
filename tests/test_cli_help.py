"""Every command and every option explains itself in `--help`: none is shown bare."""

from collections.abc import Iterator

import click
from click.testing import CliRunner

from beliefbench.cli import cli


def _commands(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    """``command`` and, for a group, every command below it, each with its words."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])


def _name(path: list[str]) -> str:
    return " ".join(["beliefbench", *path])


def test_every_command_has_a_short_help():
    bare = [_name(path) for path, command in _commands(cli, [])
            if not command.hidden and not (command.help or command.short_help)]
    assert not bare, f"commands without a docstring / short help: {bare}"


def test_every_option_has_help_text():
    """An option with no ``help=`` is listed bare in ``--help`` (its name and type only)."""
    bare = [f"{_name(path)} {'/'.join(option.opts)}"
            for path, command in _commands(cli, []) if not command.hidden
            for option in command.params
            if isinstance(option, click.Option) and not option.hidden
            and not (option.help or "").strip()]
    assert not bare, f"{len(bare)} options without help text: " + "; ".join(bare)


def test_every_help_page_renders():
    """The help strings format (no stray ``%`` or brace) on every command's page."""
    runner = CliRunner()
    for path, command in _commands(cli, []):
        if command.hidden:
            continue
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (_name(path), result.output)
        assert "Usage:" in result.output, _name(path)
