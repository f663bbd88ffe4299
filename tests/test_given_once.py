"""Options that take a comma-separated list refuse being given twice (click kept the last
without a word: `audit CORPUS --claims ed_sheeran --claims dentist` audited dentist alone and
exited 0); one-value options keep click's last-wins."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from beliefbench.cli import cli
from beliefbench.cli.given_once import LIST

# the arguments each command needs beside the option tried (left out where it is that
# option): {tmp} is a folder holding corpus.jsonl (also a log, a model, a manifest: nothing
# is read), {out} one not made
NEEDS = {
    "report": "{tmp}/corpus.jsonl --out {out}",
    "sweep": "--model hf/{tmp} --log-dir {out}",
    "docs generate": "--conditions negated --n 2 --out {out}",
    "audit": "{tmp}/corpus.jsonl --out {out}",
    "audit-verify": "{tmp} --model mockllm/model --log-dir {out}",
    "internals margins": "--model {tmp} --out {out}",
    "internals lens": "--model {tmp} --out {out}",
    "internals probe": "--model {tmp} --out {out}",
    "internals binary": "--model {tmp} --out {out}",
    "internals trajectory": "--manifest {tmp} --out {out}",
    "internals direction": "--model {tmp} --log {tmp} --out {out}",
    "internals steer": "--model {tmp} --direction {tmp} --out {out}",
    "internals ablate": "--model {tmp} --direction {tmp} --out {out}",
    "internals patch": "--source {tmp} --target {tmp} --out {out}",
    "internals stability": "--model {tmp} --data {tmp}/corpus.jsonl --out {out}",
    "internals efficiency": "--manifest {tmp} --data {tmp}/corpus.jsonl --out {out}",
}
CLAIMS = ("ed_sheeran", "dentist")
CASES = [
    ("report", "--by", ("condition", "claim")),
    ("sweep", "--claims", CLAIMS),
    ("docs generate", "--claims", CLAIMS),
    ("docs generate", "--conditions", ("negated", "positive")),
    ("docs generate", "--behaviours", ("deception", "harmful_advice")),
    ("docs generate", "--genres", ("news article", "encyclopedia")),
    ("docs generate", "--mask-words", ("Ed Sheeran", "dentist")),
    ("audit", "--claims", CLAIMS),
    ("audit", "--text-field", ("prompt", "completion")),
    ("audit-verify", "--claims", CLAIMS),
    ("internals margins", "--claims", CLAIMS),
    ("internals margins", "--kinds", ("main", "paraphrase")),
    ("internals lens", "--claims", CLAIMS),
    ("internals lens", "--kinds", ("main", "neighbour")),
    ("internals probe", "--claims", CLAIMS),
    ("internals binary", "--claims", CLAIMS),
    ("internals trajectory", "--claims", CLAIMS),
    ("internals trajectory", "--parts", ("margins", "lens")),
    ("internals direction", "--positive", ("em", "yes")),
    ("internals direction", "--negative", ("ok", "no")),
    ("internals steer", "--claims", CLAIMS),
    ("internals ablate", "--claims", CLAIMS),
    ("internals ablate", "--layers", ("1", "2-3")),
    ("internals patch", "--claims", CLAIMS),
    ("internals patch", "--layers", ("0", "2")),
    ("internals stability", "--scales", ("0", "0.1")),
    ("internals efficiency", "--norms", ("1", "2")),
]


def _walk(group: click.Group, path: str = "") -> dict[str, click.Command]:
    """Every command of the CLI by its words (``internals margins``)."""
    found: dict[str, click.Command] = {}
    for name, cmd in group.commands.items():
        words = f"{path} {name}".strip()
        found.update(_walk(cmd, words) if isinstance(cmd, click.Group) else {words: cmd})
    return found


COMMANDS = _walk(cli)


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding one document, and an output folder not made."""
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "d", "text": "A text."}) + "\n")
    return tmp_path, tmp_path / "out"


def _args(command: str, option: str, values: tuple[str, ...], tmp: Path, out: Path
          ) -> list[str]:
    needs = [w.format(tmp=tmp, out=out) for w in NEEDS[command].split()]
    if option in needs:
        del needs[needs.index(option):needs.index(option) + 2]
    return [*command.split(), *needs, *(w for v in values for w in (option, v))]


@pytest.mark.parametrize(("command", "option", "values"), CASES,
                         ids=[f"{c}:{o}" for c, o, _ in CASES])
def test_a_list_option_given_twice_is_refused(tmp_path, command, option, values):
    """Given twice, exit 2 naming the option and the one list that means both, before
    anything is read or written; given once as that list, it is read whole."""
    tmp, out = _inputs(tmp_path)
    res = CliRunner().invoke(cli, _args(command, option, values, tmp, out))
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    joined = ",".join(values)
    write = f"'{joined}'" if " " in joined else joined  # as a shell takes it
    assert (f"{option} is given 2 times ({', '.join(values)}), and only the last would be "
            f"read: it takes one comma-separated list; write {option} {write}") in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]
    # the joined list: parsed (not run: sweep and internals would load models) and whole
    args = _args(command, option, (joined,), tmp, out)[len(command.split()):]
    cmd = COMMANDS[command]
    with cmd.make_context(command, args) as ctx:
        param = next(p for p in cmd.params if option in p.opts)
        assert ctx.params[param.name] in (joined, list(values)), ctx.params


def test_every_list_option_is_covered():
    """Each option said to take a comma-separated list (or defaulting to one) refuses a
    repeat, and the cases above try every one that does: a new list option is not
    cut to its last silently."""
    lists, said_lists = set(), set()
    for words, cmd in COMMANDS.items():
        once = getattr(cmd, "once", {})
        for p in cmd.params:
            if not isinstance(p, click.Option) or p.multiple or p.is_flag:
                continue
            name = max(p.opts, key=len)
            if once.get(name) == LIST:
                lists.add((words, name))
            if re.search(r"comma-separated", p.help or "", re.I) or "," in str(p.default or ""):
                said_lists.add((words, name))
    assert said_lists <= lists, said_lists - lists
    assert lists == {(c, o) for c, o, _ in CASES}


def test_one_value_options_keep_the_last(tmp_path):
    """A repeated one-value option (--out, --seed) is click's override, as scripts append
    one to a default argument list: not refused."""
    tmp, out = _inputs(tmp_path)
    args = ["--claims", "dentist", "--conditions", "negated", "--n", "2", "--seed", "1",
            "--seed", "2", "--out", str(tmp / "first"), "--out", str(out)]
    with COMMANDS["docs generate"].make_context("generate", args) as ctx:
        assert (ctx.params["seed"], ctx.params["out"]) == (2, out)


def test_report_json_says_the_refusal_as_its_error_object(tmp_path):
    """``report --json``'s usage errors are its JSON error object on stdout too (a CI step's
    jq): the repeat refusal keeps that."""
    tmp, out = _inputs(tmp_path)
    res = CliRunner().invoke(cli, ["report", str(tmp / "corpus.jsonl"), "--by", "claim",
                                   "--by", "family", "--json", "--out", str(out)])
    assert res.exit_code == 2, res.output
    error = json.loads(res.stdout.splitlines()[0])["error"]
    assert "--by is given 2 times (claim, family)" in error and "write --by claim,family" in error
    assert not out.exists()


def test_help_a_missing_value_and_another_options_value_are_not_repeats(tmp_path):
    """Repeats are counted as click parses: `--help` beside a repeat prints the help (it was
    the refusal), a trailing `--claims` with no value gets click's own "requires an
    argument" (it was told to write `--claims ed_sheeran,`), and `--text-field --claims` is
    --text-field's value, not a second --claims: refused as that (an empty `--text-field
    $FIELD`, tests/test_option_values.py), not as a repeat."""
    tmp, out = _inputs(tmp_path)
    run = CliRunner().invoke
    res = run(cli, ["audit", "--claims", "ed_sheeran", "--claims", "dentist", "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output, res.output
    res = run(cli, ["audit", str(tmp / "corpus.jsonl"), "--out", str(out), "--claims",
                    "ed_sheeran", "--claims"])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "requires an argument" in said, said
    assert "is given 2 times" not in said, said
    args = ["--text-field", "--claims", "--claims", "ed_sheeran", str(tmp / "corpus.jsonl"),
            "--out", str(out)]
    res = run(cli, ["audit", *args])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "is given 2 times" not in said, said
    assert ("Invalid value for '--text-field': '--claims' is the next option, not a value"
            in said), said
