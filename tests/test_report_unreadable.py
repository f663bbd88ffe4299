"""An unreadable file among many logs (a truncated ``.eval``, a file that is no log) is named
as soon as the reader reaches it: ``report``, ``em-report`` and ``gate`` read every header of
a sweep's thousands of logs before naming the first bad one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import believer, run_belief
from test_gate import skeptic

from beliefbench.analysis import logs as logs_module
from beliefbench.analysis.em_report import load_em_logs
from beliefbench.analysis.logs import LogError, load_belief_logs, read_logs
from beliefbench.cli import cli


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("unreadable")
    return {"old": Path(run_belief(tmp / "old", skeptic).location),
            "new": Path(run_belief(tmp / "new", believer).location)}


def _folder(made: dict[str, Path], tmp_path: Path, bad: bytes) -> tuple[Path, Path, Path]:
    """A log folder read oldest first: a good log, the bad file, then another good log."""
    folder = tmp_path / "logs"
    folder.mkdir()
    first, last = (Path(shutil.copy(made[k], folder / made[k].name)) for k in ("old", "new"))
    cut = folder / "2026-01-01T00-00-00+00-00_belief_cut.eval"
    cut.write_bytes(bad)
    for age, path in enumerate((first, cut, last)):
        os.utime(path, (1_000_000 + age * 1000, 1_000_000 + age * 1000))
    return first, cut, last


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The paths whose header the loaders read (Inspect's reader, called through)."""
    seen: list[str] = []
    real = logs_module.read_eval_log

    def spy(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(logs_module, "read_eval_log", spy)
    return seen


@pytest.mark.parametrize("load", [load_belief_logs, load_em_logs, read_logs])
def test_the_first_unreadable_log_is_named_before_the_rest_are_read(made, tmp_path, reads,
                                                                    load):
    first, cut, last = _folder(made, tmp_path, made["new"].read_bytes()[:300])
    with pytest.raises(LogError, match="belief_cut.eval: not a readable Inspect log"):
        load(str(first.parent))
    assert reads == [str(first), str(cut)]  # the log after it was never opened


def test_skip_bad_logs_still_reads_on_and_lists_it(made, tmp_path):
    first, cut, last = _folder(made, tmp_path, b"not a zip")
    loaded = load_belief_logs(str(first.parent), skip_bad=True)
    # (listed by path: two logs written within one second sort by their random ids)
    assert sorted(i.path for i in loaded.logs) == sorted([str(first), str(last)])
    assert [p for p, _ in loaded.skipped] == [str(cut)]
    assert "not a readable Inspect log" in loaded.skipped[0][1]
    read = read_logs(str(first.parent), skip_bad=True)
    assert [type(h).__name__ for _, _, h in read.headers][1] != "EvalLog"


def test_headers_are_held_without_their_reductions(made):
    """Inspect reads every question's reduced score (the judge's reply) with a header; none
    of it is read here, and across a sweep's logs it held most of the headers' memory."""
    from inspect_ai.log import read_eval_log

    assert read_eval_log(str(made["new"]), header_only=True).reductions  # Inspect's own
    [(_, _, header)] = read_logs(str(made["new"])).headers
    assert header.reductions is None and header.results is not None


@pytest.mark.parametrize("command", [
    ["report", "{logs}", "--out", "{out}", "--no-plots"],
    ["em-report", "{logs}", "--out", "{out}", "--no-plots"],
    ["gate", "--baseline", "{old}", "--candidate", "{logs}"],
])
def test_commands_name_the_file_exit_2_no_traceback(made, tmp_path, command):
    first, cut, _ = _folder(made, tmp_path, made["new"].read_bytes()[:300])
    args = [a.format(logs=first.parent, out=tmp_path / "out", old=made["old"])
            for a in command]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert f"{cut}: not a readable Inspect log" in res.output, res.output
    assert "cut short" in res.output and "Traceback" not in res.output
    if command[0] == "gate":
        assert "--candidate: " in res.output


def test_a_file_of_another_kind_named_says_which_files_are_logs(tmp_path):
    """"No recorder for location" was all it said of a file that is no log by its name."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a log\n")
    res = CliRunner().invoke(cli, ["report", str(notes), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"{notes}: not a readable Inspect log (ValueError: No recorder for location" \
        in res.output
    assert "Inspect reads logs named `.eval` or `.json` only" in " ".join(res.output.split())
