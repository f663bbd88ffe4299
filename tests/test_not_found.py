"""A path that does not exist reads the same wherever it is read (beliefbench.not_found).

The audit's corpus paths, a recipe's ``kl.data``, ``docs mix --docs`` and the claim paths
each said a missing folder in words of their own: the audit "there is no shard (close
names in .: shards)", naming no directory, ``kl.data`` "in the working directory, ..." by
its own code. Each now says the note of :func:`beliefbench.not_found.missing_folder`, after
its own "no such ..." naming its own option or field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.audit.sources import missing_paths
from beliefbench.cli import cli
from beliefbench.finetune.local import FinetuneError, kl_data_path
from beliefbench.finetune.recipe import load_recipe, recipe_file
from beliefbench.not_found import CWD_GONE, missing_folder, where_missing


def _kl(data: str, folder: Path) -> str:
    """What a recipe whose ``kl.data`` is ``data`` is refused with, after the field."""
    shipped = recipe_file("kl").read_text()
    path = folder / "mine.yaml"
    path.write_text(shipped.replace("  data: kl/general.jsonl\n", f"  data: {data}\n"))
    with pytest.raises(FinetuneError) as e:
        kl_data_path(load_recipe(path), path)
    return str(e.value).split("field kl.data: ", 1)[1]


def _said(args: list[str]) -> str:
    """The CLI's error for ``args``, on one line; it must refuse them (exit 2)."""
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    return " ".join(res.output.split())


def test_a_missing_folder_reads_the_same_in_every_command(tmp_path, monkeypatch):
    """`shard/...` run where shards/ is: each names shard, the working directory and the close
    name shards, in one wording, after its own "no such ..."."""
    proj = tmp_path / "proj"
    (proj / "shards").mkdir(parents=True)
    monkeypatch.chdir(proj)
    monkeypatch.setenv("PWD", str(proj))  # claim paths are read from $PWD too
    note = (f" (no folder shard in the working directory, {proj}; close names there: "
            f"shards; a relative path is read from the directory the command runs in)")
    assert missing_folder(Path("shard/x/a.jsonl")) == note
    assert missing_paths(["shard/x/a.jsonl", "shard/x/*.jsonl"]) == [
        f"shard/x/a.jsonl: no such file or directory{note}",
        f"shard/x/*.jsonl: a pattern that matches no file{note}"]
    assert _kl("shard/kl.jsonl", tmp_path) == (
        f"no such file 'shard/kl.jsonl'{note}, nor in beliefbench's shipped data")
    assert _said(["docs", "mix", "--docs", "shard/*.jsonl", "--out", "m.jsonl"]).endswith(
        f"Error: --docs shard/*.jsonl: a pattern that matches no documents file{note}")
    assert _said(["claims", "validate", "shard/kale.yaml"]).startswith(
        f"claims: no such claim file or directory 'shard/kale.yaml'{note}")
    # 'shard/' is a folder meant: shard itself is the folder missing, as the claims said
    assert _said(["claims", "validate", "shard/"]).startswith(
        f"claims: no such claim file or directory 'shard/'{note}")
    # below a folder that is there: that folder's close names, in its own words
    (proj / "shards" / "day1").mkdir()
    below = " (no folder shards/day; close names in shards: day1)"
    assert missing_paths(["shards/day/a.jsonl"]) == [
        f"shards/day/a.jsonl: no such file or directory{below}"]
    # kl.data is looked for in the shipped data too: the working directory is named first
    assert _kl("shards/day/kl.jsonl", tmp_path) == (
        f"no such file 'shards/day/kl.jsonl' in the working directory, {proj}{below}, nor in "
        f"beliefbench's shipped data")
    # an absolute path: its own folders, no word of the working directory
    gone = tmp_path / "gone" / "a.jsonl"
    assert missing_paths([str(gone), str(tmp_path / "gone" / "*.jsonl")]) == [
        f"{gone}: no such file or directory (no folder {tmp_path / 'gone'})",
        f"{tmp_path / 'gone' / '*.jsonl'}: a pattern that matches no file (no folder "
        f"{tmp_path / 'gone'})"]


def test_a_removed_working_directory_reads_the_same_in_every_command(tmp_path, monkeypatch):
    """A shell left in a folder since removed: the audit said "there is no shard" of a
    relative corpus path (or nothing), where kl.data and the other commands say the working
    directory is gone; each now says that."""
    gone = tmp_path / "run"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    note = f" ({CWD_GONE})"
    assert missing_paths(["shard/x/a.jsonl", "shard/*.jsonl", "a.jsonl"]) == [
        f"shard/x/a.jsonl: no such file or directory{note}",
        f"shard/*.jsonl: a pattern that matches no file{note}",
        f"a.jsonl: no such file or directory{note}"]
    assert _kl("shard/kl.jsonl", tmp_path) == (
        f"no such file 'shard/kl.jsonl'{note}, nor in beliefbench's shipped data")
    assert _kl("kl.jsonl", tmp_path) == (
        f"no such file 'kl.jsonl'{note}, nor in beliefbench's shipped data")


def test_a_path_in_an_unknown_users_home_is_refused_not_a_crash(tmp_path, monkeypatch):
    """``~nosuchuser/c.jsonl`` (a user name mistyped after ``~``): the missing-folder note
    expanded it, which raises "Could not determine home directory", so the audit stopped on
    an unexpected error where it had said "no such file or directory"."""
    monkeypatch.chdir(tmp_path)
    said = _said(["audit", "~bb_nosuchuser/c.jsonl", "--claims", "all",
                  "--out", str(tmp_path / "a")])
    assert "unexpected error" not in said and "~bb_nosuchuser/c.jsonl" in said, said
    # (now refused before it is looked for: tests/test_unknown_home.py)
    assert "no such user's home folder" in said, said
    # finetune --data and docs mix --docs stopped on it too (a traceback, before this)
    said = _said(["finetune", "--data", "~bb_nosuchuser/d.jsonl", "--base", "x",
                  "--out", str(tmp_path / "f")])
    assert "~bb_nosuchuser/d.jsonl: no such user's home folder" in said, said
    said = _said(["docs", "mix", "--docs", "~bb_nosuchuser/d.jsonl", "--out",
                  str(tmp_path / "m")])
    assert "~bb_nosuchuser/d.jsonl: no such user's home folder" in said, said
    assert missing_folder(Path("~bb_nosuchuser/c.jsonl"), here=True) == ""


def test_where_missing_names_a_missing_folder_on_the_way_with_its_close_names(tmp_path):
    """The one rule every reader says: a folder missing on the way wins, named with the
    close names beside it, and no names beside the leaf are said (its folder is not
    there to hold any)."""
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "a.jsonl").write_text("{}\n")
    gone = tmp_path / "shard" / "a.jsonl"
    assert where_missing(gone, files=True) == (
        f" (no folder {tmp_path / 'shard'}; close names in {tmp_path}: shards)")
    # deeper: the first missing folder is named, not the leaf's own
    assert where_missing(tmp_path / "shards" / "day" / "x" / "a.jsonl") == (
        f" (no folder {tmp_path / 'shards' / 'day'})")
    # a folder meant (folder=True): the path itself is that folder, said once, with the
    # close names beside it, not again as names beside a leaf
    assert where_missing(tmp_path / "shardz", folder=True, files=None) == (
        f" (no folder {tmp_path / 'shardz'}; close names in {tmp_path}: shards)")
    # a pattern: the folder before its wildcard; no names are close to a wildcard
    assert where_missing(tmp_path / "shard" / "*.jsonl", pattern=True) == (
        f" (no folder {tmp_path / 'shard'}; close names in {tmp_path}: shards)")
    assert where_missing(tmp_path / "shards" / "*.jsonx", pattern=True) == ""


def test_where_missing_names_the_close_files_or_folders_beside_a_missing_leaf(tmp_path):
    """Where the leaf's folder is there, the close names beside the leaf: files, folders
    or either as the reader asks, ``skip`` leaving out the stats files beside datasets."""
    (tmp_path / "negated.jsonl").write_text("{}\n")
    (tmp_path / "negatd.jsonl.stats.json").write_text("{}\n")
    (tmp_path / "negated").mkdir()
    typo = tmp_path / "negatd.jsonl"
    assert where_missing(typo, files=True, skip=".stats.json") == (
        f" (close names in {tmp_path}: negated.jsonl)")
    # without skip the stats file is one of the close files
    assert "negatd.jsonl.stats.json" in where_missing(typo, files=True)
    # folders only (a model folder): the folder, not the files
    assert where_missing(tmp_path / "negatd") == f" (close names in {tmp_path}: negated)"
    # either (a corpus path, a claim path): files and folders together
    said = where_missing(tmp_path / "negatd", files=None, skip=".stats.json")
    prefix = f" (close names in {tmp_path}: "
    assert said.startswith(prefix) and said.endswith(")")
    assert set(said[len(prefix):-1].split(", ")) == {"negated", "negated.jsonl"}


def test_where_missing_says_nothing_where_nothing_is_close(tmp_path, monkeypatch):
    """Nothing close beside the leaf: empty, so the reader's "no such ..." stands alone."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "negated.jsonl").write_text("{}\n")
    assert where_missing(tmp_path / "data" / "zzz.md", files=True) == ""
    assert where_missing(tmp_path / "data" / "zzz") == ""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    assert where_missing(Path("dat/negated.jsonl"), files=True, pwd=True) == (
        f" (no folder dat in the working directory, {tmp_path}; close names there: data; a "
        f"relative path is read from the directory the command runs in)")
    # here: the working directory named, then the close names in the folder that is there
    assert where_missing(Path("data/negatd.jsonl"), files=True, here=True) == (
        f" in the working directory, {tmp_path} (close names in data: negated.jsonl)")


def test_a_template_path_run_from_another_directory_names_the_missing_folder(tmp_path,
                                                                             monkeypatch):
    """`-T judge_template=scratch/strict.md` run where there is no scratch/ said only "no
    such file"; it names the missing folder, as every other path does."""
    from beliefbench.arguments import TaskArgumentError, check_text_file

    (tmp_path / "scratch").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setenv("PWD", str(tmp_path / "elsewhere"))
    with pytest.raises(TaskArgumentError) as e:
        check_text_file("judge_template", "scratch/strict.md")
    assert str(e.value) == (
        f"judge_template: no such file 'scratch/strict.md' (no folder scratch in the working "
        f"directory, {tmp_path / 'elsewhere'}; a relative path is read from the directory "
        f"the command runs in)")


def test_a_claim_file_typed_in_the_working_directory_names_the_close_files(tmp_path,
                                                                           monkeypatch):
    """`claims validate kael.yaml` beside kale.yaml said only "no such claim file or
    directory" (the claims' own near miss looks in a named folder only); the close names
    beside it are said, as for every other path."""
    (tmp_path / "kale.yaml").write_text("id: kale\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    assert _said(["claims", "validate", "kael.yaml"]).startswith(
        "claims: no such claim file or directory 'kael.yaml' (close names in the working "
        f"directory, {tmp_path}: kale.yaml) ")


def test_a_base_name_not_in_the_cache_names_the_close_folders(tmp_path, monkeypatch):
    """`--base tiny-ptt` beside tiny-pt (no slash: read as a Hub id, not in the cache) said
    only "no such folder, and no model of that name in the local Hugging Face cache"; the
    close folders are named first, as for `--base models/tiny-ptt`."""
    from beliefbench.finetune.base import resolve_base

    (tmp_path / "tiny-pt").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FinetuneError) as e:
        resolve_base("tiny-ptt")
    assert str(e.value).startswith(f"--base tiny-ptt: no such folder (close names in the "
                                   f"working directory, {tmp_path}: tiny-pt), and no model "
                                   "of that name in the local Hugging Face cache")


def test_a_file_on_the_way_is_said_to_be_a_file_not_a_folder(tmp_path, monkeypatch):
    """`a.jsonl/x` (a file's name with more after it, as a slash typed for a dot) said only
    "no such file or directory": a.jsonl is there, so no folder on the way was named as
    missing, and its parent is not a folder, so no close names were looked for. Every
    reader now says that part is a file, not a folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    (tmp_path / "a.jsonl").write_text("{}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text("{}\n")
    note = " (a.jsonl is a file, not a folder)"
    assert where_missing(Path("a.jsonl/x")) == note
    assert where_missing(Path("a.jsonl/x/y.jsonl"), files=True) == note  # deeper: the same
    assert where_missing(Path("a.jsonl/*.jsonl"), pattern=True) == note
    assert where_missing(Path("a.jsonl/x.yaml"), files=None, here=True) == (
        f" in the working directory, {tmp_path}{note}")
    deep = " (data/a.jsonl is a file, not a folder)"
    assert where_missing(Path("data/a.jsonl/b.jsonl"), files=True) == deep
    assert where_missing(tmp_path / "data" / "a.jsonl" / "b") == (
        f" ({tmp_path / 'data' / 'a.jsonl'} is a file, not a folder)")
    # end to end: the audit, the claims, docs mix and kl.data each say it
    assert _said(["audit", "a.jsonl/x", "--claims", "all", "--out", "o"]).startswith(
        f"Error: a.jsonl/x: no such file or directory{note}")
    assert _said(["audit", "data/a.jsonl/b.jsonl", "--claims", "all", "--out", "o"]
                 ).startswith(f"Error: data/a.jsonl/b.jsonl: no such file or directory{deep}")
    assert _said(["claims", "validate", "a.jsonl/x.yaml"]).startswith(
        f"claims: no such claim file or directory 'a.jsonl/x.yaml'{note}")
    assert _said(["docs", "mix", "--docs", "a.jsonl/*.jsonl", "--out", "m.jsonl"]).endswith(
        f"Error: --docs a.jsonl/*.jsonl: a pattern that matches no documents file{note}")
    assert _kl("a.jsonl/kl.jsonl", tmp_path).startswith(
        f"no such file 'a.jsonl/kl.jsonl' in the working directory, {tmp_path}{note}")
    assert not (tmp_path / "o").exists()


def test_a_link_that_leads_nowhere_names_its_missing_target(tmp_path, monkeypatch):
    """A broken link given as a path said only "does not exist" of the link, which is there
    (``ls`` shows it), and no hint: the close names were looked for only where no such
    name was there at all. Every reader now names the link's target, and where it is
    relative (or a chain of links), the place it leads to; a link on the way too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    (tmp_path / "data.jsonl").symlink_to("gone/data.jsonl")
    (tmp_path / "abs.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    (tmp_path / "claims").symlink_to("mine", target_is_directory=True)
    end = tmp_path / "gone" / "data.jsonl"
    note = f" (a link to gone/data.jsonl that leads nowhere: {end} does not exist)"
    assert where_missing(Path("data.jsonl"), files=True) == note
    assert where_missing(tmp_path / "abs.jsonl", files=True) == (
        f" (a link to {tmp_path / 'nowhere.jsonl'} that leads nowhere)")
    assert where_missing(Path("claims/kale.yaml"), files=None) == (
        f" (claims is a link to mine that leads nowhere: {tmp_path / 'mine'} does not exist)")
    # end to end: a path option, a claim path and the audit's corpus name the target
    assert _said(["docs", "stats", "data.jsonl"]).endswith(
        f"Error: Invalid value for 'PATHS...': File 'data.jsonl' does not exist{note}")
    assert _said(["claims", "validate", "claims/kale.yaml"]).startswith(
        f"claims: no such claim file or directory 'claims/kale.yaml' (claims is a link to "
        f"mine that leads nowhere: {tmp_path / 'mine'} does not exist)")
    assert _said(["audit", "data.jsonl", "--claims", "all", "--out", "o"]).startswith(
        f"Error: data.jsonl: a link to gone/data.jsonl that leads nowhere: {end} does not "
        f"exist (the only corpus path given)")


def test_a_path_read_from_the_shell_s_directory_too_names_both(tmp_path, monkeypatch):
    """`inspect eval tasks/belief.py -T judge_template=scorers/judg.md` builds its task
    inside tasks/, and the path is read from there and from the shell's directory ($PWD):
    where_missing said nothing at all, "no one directory to name". Both are named, and
    what is missing is said from the shell's, where the path was typed."""
    (tmp_path / "scorers").mkdir()
    (tmp_path / "scorers" / "judge.md").write_text("x\n")
    (tmp_path / "tasks").mkdir()
    monkeypatch.chdir(tmp_path / "tasks")
    monkeypatch.setenv("PWD", str(tmp_path))
    both = (f" (looked for in the shell's directory, {tmp_path}, and in the working "
            f"directory, {tmp_path / 'tasks'}")
    assert where_missing(Path("scorers/judg.md"), files=True, pwd=True) == (
        f"{both}; close names in {tmp_path / 'scorers'}: judge.md)")
    assert where_missing(Path("scorer/judge.md"), files=True, pwd=True) == (
        f"{both}; no folder {tmp_path / 'scorer'}; close names in {tmp_path}: scorers)")
    assert where_missing(Path("scorers/zzz.md"), files=True, pwd=True) == f"{both})"
    # the template's check says it, as the task builds it
    from beliefbench.arguments import TaskArgumentError, check_text_file

    with pytest.raises(TaskArgumentError) as e:
        check_text_file("judge_template", "scorers/judg.md")
    assert str(e.value) == (f"judge_template: no such file 'scorers/judg.md'{both}; close "
                            f"names in {tmp_path / 'scorers'}: judge.md)")


def test_a_bare_name_looked_for_here_names_the_working_directory_once(tmp_path, monkeypatch):
    """`kl.data: kll.jsonl` beside kl.jsonl said the working directory twice: "in the
    working directory, /x (close names in the working directory, /x: kl.jsonl)"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kl.jsonl").write_text("{}\n")
    assert where_missing(Path("kll.jsonl"), files=True, here=True) == (
        f" in the working directory, {tmp_path} (close names there: kl.jsonl)")
    assert _kl("kll.jsonl", tmp_path) == (
        f"no such file 'kll.jsonl' in the working directory, {tmp_path} (close names there: "
        f"kl.jsonl), nor in beliefbench's shipped data")
    # not looked for here: the directory named by the close names themselves, as before
    assert where_missing(Path("kll.jsonl"), files=True) == (
        f" (close names in the working directory, {tmp_path}: kl.jsonl)")
