"""A path in the home of a user this machine does not know (``~nosuchuser_bb/x``: a user
name mistyped after ``~``). :meth:`Path.expanduser` raises a RuntimeError for it ("Could not
determine home directory.") that names neither the path nor the user, and every command
that expanded one stopped on that traceback. Each now says one line naming the path and
the problem, exit 2 as other bad input; a Python caller gets a ValueError naming both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.analysis.logs import LogError, load_belief_logs
from beliefbench.arguments import NoHomeFolder
from beliefbench.claims import ClaimSpecError, resolve_claims
from beliefbench.cli import cli
from beliefbench.cli.errors import no_home_said
from beliefbench.resources import user_path

NO_HOME = "no such user's home folder: `~nosuchuser_bb` names no user on this machine; " \
    "write the full path"


def said(path: str) -> str:
    """The message for ``path``, a path under ``~nosuchuser_bb``."""
    return f"{path}: {NO_HOME}"


@pytest.mark.parametrize("args, path", [
    (["report", "~nosuchuser_bb/logs"], "~nosuchuser_bb/logs"),
    # an --out there: click took it for a folder named "~nosuchuser_bb" here, and made it
    (["report", "{claim}", "--out", "~nosuchuser_bb/reports"], "~nosuchuser_bb/reports"),
    (["gate", "--baseline", "~nosuchuser_bb/a", "--candidate", "{claim}"], "~nosuchuser_bb/a"),
    (["audit", "~nosuchuser_bb/corpus.jsonl", "--out", "audit"],
     "~nosuchuser_bb/corpus.jsonl"),
    (["finetune", "--data", "~nosuchuser_bb/d.jsonl", "--base", "x", "--out", "ckpts"],
     "~nosuchuser_bb/d.jsonl"),
    (["docs", "mix", "--docs", "~nosuchuser_bb/d.jsonl", "--out", "mix.jsonl"],
     "~nosuchuser_bb/d.jsonl"),
    (["docs", "mix", "--docs=~nosuchuser_bb/d.jsonl", "--out", "mix.jsonl"],
     "~nosuchuser_bb/d.jsonl"),
    # a plain text option, expanded deep in the command: the top group's net names the path
    (["internals", "probe", "--model", "~nosuchuser_bb/ckpt", "--out", "probe"],
     "~nosuchuser_bb/ckpt"),
])
def test_a_command_says_one_line_for_a_path_in_an_unknown_users_home(
        tmp_path, monkeypatch, fixture_claim, args, path):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, [a.format(claim=fixture_claim) for a in args])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.output.strip().splitlines() == [f"Error: {said(path)}"], res.output
    assert not list(tmp_path.glob("~*"))  # no folder named "~nosuchuser_bb" made here


def test_claims_validate_names_it_beside_the_selections_other_items(tmp_path, monkeypatch):
    """`claims validate` names every item that names no claim; the unknown home is one of
    them, the bundled claim beside it is still checked."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["claims", "validate", "~nosuchuser_bb/c.yaml,ed_sheeran"])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.output.strip().splitlines()
    assert lines[0] == f"claims: {said('~nosuchuser_bb/c.yaml')}", res.output
    assert lines[1].startswith("ok  ed_sheeran:") and lines[2:] == [
        "1 item(s) named no claim file"], res.output


def test_a_report_with_json_prints_it_as_its_error_object(tmp_path):
    res = CliRunner().invoke(cli, ["report", "--json", "~nosuchuser_bb/logs", "--out",
                                   str(tmp_path / "r")])
    assert res.exit_code == 2, res.output
    assert json.loads(res.stdout) == {"error": said("~nosuchuser_bb/logs")}


def test_a_path_read_from_a_manifest_is_named_too(tmp_path):
    """A manifest's checkpoint under an unknown home (an edited manifest): read deep in the
    sweep, where only the top group's net caught it, naming the path but not the manifest.
    The manifest's reader refuses it with the file, line and field, in a process of its
    own."""
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({
        "path": "~nosuchuser_bb/ckpt/step-10", "step": 10, "backend": "local",
        "format": "full", "base_model": "x", "data": "d.jsonl", "data_sha256": "0",
        "recipe": {}, "final": True}) + "\n", encoding="utf-8")
    done = subprocess.run([str(Path(sys.executable).parent / "beliefbench"), "sweep",
                           "--manifest", str(manifest), "--claims", "ed_sheeran",
                           "--log-dir", str(tmp_path / "logs")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"Error: {manifest}, line 1: field path: {said('~nosuchuser_bb/ckpt/step-10')}"], \
        done.stderr


def test_python_callers_get_a_value_error_naming_the_path():
    with pytest.raises(NoHomeFolder) as e:
        user_path("~nosuchuser_bb/c.yaml")
    assert isinstance(e.value, ValueError) and str(e.value) == said("~nosuchuser_bb/c.yaml")
    with pytest.raises(ClaimSpecError) as e:
        resolve_claims("~nosuchuser_bb/c.yaml")
    assert str(e.value) == f"claims: {said('~nosuchuser_bb/c.yaml')}"
    with pytest.raises(LogError) as e:  # the logs' reader, as report and gate read them
        load_belief_logs("~nosuchuser_bb/logs")
    assert str(e.value) == said("~nosuchuser_bb/logs")


def test_only_expanduser_s_own_error_is_read_as_an_unknown_home():
    with pytest.raises(RuntimeError) as e:
        Path("~nosuchuser_bb/x").expanduser()
    assert no_home_said(e.value) == said("~nosuchuser_bb/x")
    assert no_home_said(RuntimeError("Could not determine home directory.")) is None
    assert no_home_said(ValueError("~nosuchuser_bb/x")) is None


def test_one_expander_serves_every_reader_keeping_the_text_as_typed(monkeypatch):
    """resources.home_expanded is the one ``~`` expander: the CLI's path type, the logs'
    reader, user_path and the not-found notes each wrap its NoHomeFolder their own way. It
    keeps what pathlib drops (a trailing slash, ``./``, a wildcard), which click's
    messages and the globs quote as typed."""
    from beliefbench.not_found import missing_folder
    from beliefbench.resources import home_expanded

    monkeypatch.setenv("HOME", "/home/bb")
    assert home_expanded("~/runs/") == "/home/bb/runs/"
    assert home_expanded(Path("~/d/*.jsonl")) == "/home/bb/d/*.jsonl"
    assert home_expanded("./~x") == "./~x"  # not at the start: no home named
    with pytest.raises(NoHomeFolder) as e:
        home_expanded("~nosuchuser_bb/x/")
    assert str(e.value) == said("~nosuchuser_bb/x/")
    assert user_path("~/c.yaml") == Path("/home/bb/c.yaml")
    assert missing_folder(Path("~nosuchuser_bb/x"), here=True) == ""  # none to look for


def test_a_manifest_or_recipe_field_under_an_unknown_home_names_its_file_and_line(tmp_path):
    """A checkpoint, a base model (a manifest's) or kl.data (a recipe's) under an unknown
    home: pathlib's RuntimeError, worded by the top group's net, named the path but not the
    file it was read from, which is what the user edits."""
    from beliefbench.finetune.errors import FinetuneError, ManifestError
    from beliefbench.finetune.local import kl_data_path
    from beliefbench.finetune.manifest import read_manifest_file
    from beliefbench.finetune.recipe import load_recipe, recipe_file

    entry = {"path": str(tmp_path / "step-10"), "step": 10, "backend": "local",
             "format": "full", "base_model": "~nosuchuser_bb/base", "data": "d.jsonl",
             "data_sha256": "0", "recipe": {}, "final": True}
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({**entry, "base_model": "x"}) + "\n" + json.dumps(entry)
                        + "\n", encoding="utf-8")
    with pytest.raises(ManifestError) as e:
        read_manifest_file(manifest)
    assert str(e.value) == f"{manifest}, line 2: field base_model: {said('~nosuchuser_bb/base')}"
    # an api entry's path is a model id, never expanded: not refused
    manifest.write_text(json.dumps({**entry, "base_model": "x", "format": "api",
                                    "path": "~x"}) + "\n", encoding="utf-8")
    assert read_manifest_file(manifest)[0].path == "~x"
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(recipe_file("kl").read_text().replace(
        "  data: kl/general.jsonl\n", "  data: ~nosuchuser_bb/kl.jsonl\n"))
    with pytest.raises(FinetuneError) as e:
        kl_data_path(load_recipe(recipe), recipe)
    line = recipe.read_text().splitlines().index("  data: ~nosuchuser_bb/kl.jsonl") + 1
    assert str(e.value) == (f"{recipe}: line {line}, column 3: field kl.data: "
                            f"{said('~nosuchuser_bb/kl.jsonl')}")


def test_a_claims_search_path_under_an_unknown_home_names_the_variable(tmp_path, monkeypatch):
    """``BELIEFBENCH_CLAIMS_PATH=~nosuch/claims``: the folder was named, but not the
    variable it came from, which no argument of the command had typed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BELIEFBENCH_CLAIMS_PATH", "~nosuchuser_bb/claims")
    res = CliRunner().invoke(cli, ["claims", "validate", "ed_sheeran"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        f"Error: $BELIEFBENCH_CLAIMS_PATH: {said('~nosuchuser_bb/claims')}"], res.output


def test_a_cache_folder_under_an_unknown_home_names_the_variable(tmp_path, monkeypatch):
    """``BELIEFBENCH_CACHE_DIR=~nosuch/cache``: pathlib's RuntimeError, worded by the top
    group's net, named the folder but not the variable, read when a dataset is hashed."""
    from beliefbench.hash_cache import cached_sha256

    monkeypatch.setenv("BELIEFBENCH_CACHE_DIR", "~nosuchuser_bb/cache")
    data = tmp_path / "d.jsonl"
    data.write_text("{}\n")
    with pytest.raises(NoHomeFolder) as e:
        cached_sha256(data)
    assert str(e.value) == f"$BELIEFBENCH_CACHE_DIR: {said('~nosuchuser_bb/cache')}"
    assert no_home_said(e.value) == str(e.value)  # the CLI's one line
