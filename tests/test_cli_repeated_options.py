"""An option that takes one value, given twice, is refused in every command: click keeps the
last without a word (`audit corpus/ --claims ed_sheeran --claims dentist` audited dentist
alone, exit 0, and a CI gate passed for a claim never checked)."""

import json

import click
import pytest
from click.testing import CliRunner

from beliefbench.cli import cli
from beliefbench.cli.once import GivenOnce

LIST = "it takes one comma-separated list"
ONE = "it takes one value; give it once"


@pytest.mark.parametrize(("args", "option", "values", "note"), [
    (["audit", "{corpus}", "--claims", "ed_sheeran", "--claims", "dentist", "--out", "{out}"],
     "--claims", ("ed_sheeran", "dentist"), f"{LIST}; write --claims ed_sheeran,dentist"),
    (["audit", "{corpus}", "--claims=ed_sheeran", "--out", "{out}", "--max-flagged", "0",
      "--max-flagged=5"], "--max-flagged", ("0", "5"), ONE),
    (["audit-verify", "{out}", "--model", "mockllm/model", "--claims", "dentist", "--claims",
      "ed_sheeran"], "--claims", ("dentist", "ed_sheeran"),
     f"{LIST}; write --claims dentist,ed_sheeran"),
    (["finetune", "--recipe", "cpu", "--data", "{corpus}", "--data", "b.jsonl", "--base",
      "{tmp}/base", "--out", "{out}"], "--data", ("{corpus}", "b.jsonl"), ONE),
    (["report", "{tmp}/logs", "--by", "claim", "--by", "condition", "--out", "{out}"],
     "--by", ("claim", "condition"), f"{LIST}; write --by claim,condition"),
    (["internals", "margins", "--model", "{tmp}/m", "--claims", "dentist", "--claims",
      "ed_sheeran,mount_vesuvius", "--out", "{out}"], "--claims",
     ("dentist", "ed_sheeran,mount_vesuvius"),
     f"{LIST}; write --claims dentist,ed_sheeran,mount_vesuvius"),
    (["sweep", "--manifest", "{tmp}/manifest.jsonl", "--claims", "a", "--claims", "b",
      "--log-dir", "{out}"], "--claims", ("a", "b"), f"{LIST}; write --claims a,b"),
    (["claims", "new", "kale", "--dir", "{out}", "--dir", "{tmp}/other"], "--dir",
     ("{out}", "{tmp}/other"), ONE),
    (["docs", "generate", "--claims", "dentist", "--conditions", "negated", "--n", "2",
      "--genres", "court transcript", "--genres", "news_report", "--out", "{out}"],
     "--genres", ("court transcript", "news_report"),
     f"{LIST}; write --genres 'court transcript,news_report'"),
])
def test_an_option_given_twice_is_refused_in_every_command(tmp_path, args, option, values,
                                                           note):
    """Exit 2 before anything is read or written, naming the option, both values and (for
    a list option) the one list to write; --opt=value and --opt value read alike."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "d1", "text": "Ed Sheeran is a dentist."}) + "\n")
    where = {"corpus": corpus, "out": tmp_path / "out", "tmp": tmp_path}
    res = CliRunner().invoke(cli, [a.format(**where) for a in args])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    given = ", ".join(v.format(**where) for v in values)
    assert (f"Error: {option} is given 2 times ({given}), and only the last would be read: "
            f"{note}") in said, said
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.jsonl"]  # no --out, no log


def test_every_command_checks_and_repeatable_options_and_flags_read_on(tmp_path):
    """Every command and group has the check (added by the top group, whatever class its
    module built it with); a `multiple=True` option, a flag given twice and the same value
    twice are read as before, and shell completion reads on past a repeat."""
    def walk(command: click.Command, path: str) -> None:
        assert isinstance(command, GivenOnce), path
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")
    walk(cli, "beliefbench")

    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text(
            json.dumps({"id": name, "text": f"A document {name}."}) + "\n")
    res = CliRunner().invoke(cli, ["docs", "mix", "--docs", str(tmp_path / "a.jsonl"),
                                   "--docs", str(tmp_path / "b.jsonl"), "--out",
                                   str(tmp_path / "mix.jsonl")])
    assert res.exit_code == 0, res.output
    mixed = [json.loads(line)["id"] for line in (tmp_path / "mix.jsonl").open()]
    assert sorted(mixed) == ["a", "b"]
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--claims",
                                   "dentist", "--conditions", "negated", "--n", "2", "--out",
                                   str(tmp_path / "gen"), "--no-cache", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "gen" / "negated.jsonl").exists()
    # --help is shown, not the refusal
    res = CliRunner().invoke(cli, ["audit", "--claims", "a", "--claims", "b", "--help"])
    assert res.exit_code == 0, res.output
    assert "Classify how each document" in res.output and "given 2 times" not in res.output
    res = CliRunner().invoke(cli, prog_name="beliefbench", env={
        "_BELIEFBENCH_COMPLETE": "bash_complete",
        "COMP_WORDS": "beliefbench audit x --claims a --claims b --max-fl",
        "COMP_CWORD": "7"})
    assert res.exit_code == 0, res.output
    assert "--max-flagged" in res.output
