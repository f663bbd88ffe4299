"""An option whose value is another of the command's option names (an empty shell variable
dropped: `gate --baseline $BASE --candidate logs/b` with BASE unset reaches click as
`--baseline --candidate logs/b`) is refused on that option in every command, naming the
option it swallowed; click said "Got unexpected extra argument", a path's "does not exist",
or another option's "Missing option", naming neither the option nor the cause."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from beliefbench.cli import cli
from beliefbench.cli.option_values import Command, Group


def _refusal(opt: str, swallowed: str, var: str = "VAR") -> str:
    return (f"Error: Invalid value for '{opt}': '{swallowed}' is the next option, not a "
            f"value: {opt} has none (an empty shell variable? `{opt} ${var}` passes "
            f"nothing where {var} is unset or empty, as in a new shell)")


# each: the command line with the variable before `opt` empty, the option, the one swallowed
CASES = [
    ("gate --baseline --candidate {tmp}/b", "--baseline", "--candidate"),
    ("report --out --json", "--out", "--json"),
    ("report {tmp}/a --out --by claim", "--out", "--by"),
    ("audit {tmp}/c.jsonl --out --claims dentist", "--out", "--claims"),
    ("audit-verify {tmp} --model --claims dentist", "--model", "--claims"),
    ("finetune --data --base {tmp} --out {tmp}/ck", "--data", "--base"),
    ("docs mix --docs {tmp}/d.jsonl --out --seed 1", "--out", "--seed"),
    ("docs generate --claims --conditions negated --out {tmp}/g", "--claims", "--conditions"),
    ("internals patch --source --target {tmp} --claims all", "--source", "--target"),
    ("internals stability --model {tmp} --data --scales 0.1", "--data", "--scales"),
    ("internals direction --model {tmp} --log --out {tmp}/d", "--log", "--out"),
    ("claims new x --dir --force", "--dir", "--force"),
    ("claims import {tmp} --out --force", "--out", "--force"),
]


@pytest.mark.parametrize(("line", "opt", "swallowed"), CASES,
                         ids=[" ".join(w for w in c[0].split() if "{" not in w)
                              .split(" --")[0] + f" {c[1]}" for c in CASES])
def test_an_option_with_no_value_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          line: str, opt: str, swallowed: str) -> None:
    """Exit 2 with the option, what it swallowed and the likely empty variable; nothing
    written (before, `claims new x --dir --force` wrote ./--force/x.yaml)."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    res = CliRunner().invoke(cli, line.format(tmp=tmp_path).split())
    assert res.exit_code == 2, res.output
    assert _refusal(opt, swallowed) in res.output, res.output
    assert "unexpected extra argument" not in res.output
    assert sorted(tmp_path.rglob("*")) == before


def test_an_interventions_model_names_the_checkpoint_variable(tmp_path: Path) -> None:
    """The internals' --model, interventions' too, names README's CKPT; another command's
    --model (audit-verify's, a judge) the placeholder VAR."""
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", "--direction",
                                   str(tmp_path / "d.npz"), "--claims", "all"])
    assert res.exit_code == 2 and _refusal("--model", "--direction", "CKPT") in res.output, \
        res.output


def test_with_json_the_refusal_is_the_json_error(tmp_path: Path) -> None:
    """`--json` after the option (swallowed or not) still gives a CI step's jq the refusal."""
    res = CliRunner().invoke(cli, ["gate", "--baseline", "--candidate", str(tmp_path),
                                   "--json"])
    assert res.exit_code == 2, res.output
    said = json.loads(res.stdout.splitlines()[0])
    assert said["passed"] is None and said["error"].startswith(
        "Invalid value for '--baseline': '--candidate' is the next option"), said


def test_values_that_are_no_option_name_are_read_as_before(tmp_path: Path) -> None:
    """A folder named with a leading dash is a value; a number option left empty keeps
    click's own message, which names the option; --help after the swallowing still helps."""
    res = CliRunner().invoke(cli, ["report", str(tmp_path / "x"), "--out", "-results"])
    assert res.exit_code == 2 and "is the next option" not in res.output, res.output
    res = CliRunner().invoke(cli, ["report", str(tmp_path), "--bootstrap", "--json"])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--bootstrap': '--json' is not a valid integer" in res.output
    res = CliRunner().invoke(cli, ["audit", "--out", "--claims", "x", "--help"])
    assert res.exit_code == 0 and res.output.startswith("Usage:"), res.output


def _commands(group: click.Group, path: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, cmd in group.commands.items():
        found.append((f"{path}{name}", cmd))
        if isinstance(cmd, click.Group):
            found += _commands(cmd, f"{path}{name} ")
    return found


def test_every_command_refuses_an_option_as_a_value() -> None:
    """The rule is the commands' class, not a callback on each option: a new command made
    with plain `click.command()` would go without it."""
    assert isinstance(cli, Group)
    plain = [name for name, cmd in _commands(cli)
             if not isinstance(cmd, Group if isinstance(cmd, click.Group) else Command)]
    assert not plain, f"not a beliefbench.cli.option_values Command/Group: {plain}"


def test_a_value_attached_to_its_option_is_the_value_typed(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """`--dir=--force` (or `-T--claims=x`) is typed, never an empty variable dropped (`--dir=$D`
    with D empty gives `--dir=`): the value is taken as given, where it was refused as "the
    next option"; the refusal of `--dir --force` says this way to give such a value."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["claims", "new", "x", "--dir=--force"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "--force" / "x.yaml").is_file()
    res = CliRunner().invoke(cli, ["sweep", "--manifest", str(tmp_path / "m.jsonl"),
                                   "-T--claims=x"])
    assert res.exit_code == 2 and "is the next option" not in res.output, res.output
    assert "m.jsonl" in res.output, res.output
    res = CliRunner().invoke(cli, ["claims", "new", "y", "--dir", "--force"])
    assert res.exit_code == 2, res.output
    assert (_refusal("--dir", "--force") + "; for a value of that name itself: "
            "--dir=--force") in res.output, res.output
    res = CliRunner().invoke(cli, ["sweep", "--manifest", str(tmp_path / "m.jsonl"),
                                   "-T", "--claims=x"])
    assert res.exit_code == 2, res.output
    assert (_refusal("-T", "--claims=x") + "; for a value of that name itself: "
            "-T--claims=x") in res.output, res.output
    assert not (tmp_path / "y.yaml").exists()


def test_shell_completion_reads_past_an_option_with_no_value() -> None:
    """Completing after `--baseline --candidate` (a word still being typed) offers the
    options: the refusal is for a command run, not for the shell's completion, which reads
    half-typed lines."""
    from click.shell_completion import ShellComplete

    complete = ShellComplete(cli, {}, "beliefbench", "_BELIEFBENCH_COMPLETE")
    assert [c.value for c in complete.get_completions(["gate", "--baseline", "--candidate"],
                                                      "--js")] == ["--json"]


@pytest.mark.parametrize("args, opt, value, problem", [
    ("docs generate --claims ed_sheeran --conditions positive,,negated --n 2 --out {tmp}/d",
     "--conditions", "positive,,negated", "item 2 of 3 is empty"),
    ("docs generate --conditions behaviours --behaviours deception, --n 2 --out {tmp}/d",
     "--behaviours", "deception,", "item 2 of 2 is empty"),
    ("docs generate --claims ed_sheeran --conditions positive --genres ,news --n 2 "
     "--out {tmp}/d", "--genres", ",news", "item 1 of 2 is empty"),
    ("docs generate --claims ed_sheeran --conditions positive --mask-words Ed,,9.79 --n 2 "
     "--out {tmp}/d", "--mask-words", "Ed,,9.79", "item 2 of 3 is empty"),
    ("internals margins --model {tmp} --kinds main,,neighbour", "--kinds", "main,,neighbour",
     "item 2 of 3 is empty"),
    ("internals lens --model {tmp} --kinds main,", "--kinds", "main,", "item 2 of 2 is empty"),
    ("internals trajectory --manifest {tmp} --parts margins,,probe", "--parts",
     "margins,,probe", "item 2 of 3 is empty"),
])
def test_a_name_list_option_refuses_a_blank_item(tmp_path, args, opt, value, problem):
    """``--conditions positive,,negated`` made positive and negated documents, the condition
    lost to a typo dropped without a word (``--kinds main,`` alike); refused as ``--layers``
    and ``--scales`` refuse theirs, before anything is read or written."""
    r = CliRunner().invoke(cli, args.format(tmp=tmp_path).split())
    assert r.exit_code == 2, r.output
    assert f"Error: Invalid value for '{opt}': '{value}': {problem} (a comma too many, or a " \
        f"name left out?)" in r.output, r.output
    assert not (tmp_path / "d").exists()
