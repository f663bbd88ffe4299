"""Reports from real belief logs (scripted mockllm subject and grader, fixture claim)."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import (
    FIXTURE_CLAIM,
    believer,
    ctrl_c_at_replace,
    foreign_log,
    keyword_grader,
    mixed,
    report_json,
    run_belief,
    scripted,
)
from inspect_ai.log import EvalError, read_eval_log, write_eval_log
from inspect_ai.scorer import Score

from beliefbench.analysis.logs import LogError, load_belief_logs, no_answer_note, partial_held
from beliefbench.analysis.report import ReportError, build_report, parse_by, render_markdown
from beliefbench.cli import cli
from beliefbench.runlock import NAMES as LOCK_NAMES


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("logs")
    run_belief(d, believer, condition="negated")
    run_belief(d, mixed, condition="plain")
    return d


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_report_writes_tables_and_plots_with_hand_counted_rates(two_runs, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["report", str(two_runs), "--by", "condition,family",
                                      "--out", str(out), "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    overall = read_csv(out / "belief_overall.csv").set_index("condition")
    assert overall.loc["negated", "belief"] == 1.0
    assert overall.loc["negated", ["ci_low", "ci_high"]].tolist() == [1.0, 1.0]
    assert overall.loc["plain", "belief"] == pytest.approx(1 / 7)
    assert overall.loc["plain", "parse_error"] == pytest.approx(2 / 7)
    assert overall.loc["plain", "no"] == pytest.approx(4 / 7)
    assert overall.loc["plain", "ci_low"] <= 1 / 7 <= overall.loc["plain", "ci_high"]
    assert overall["responses"].tolist() == [14, 14]  # 7 questions x 2 samples each
    by = read_csv(out / "belief_by_condition_family.csv")
    plain = by[by["condition"] == "plain"].set_index("family")
    assert plain.loc["binary", "parse_error"] == 1.0
    assert plain.loc["open_ended", "belief"] == 0.5
    detail = read_csv(out / "belief_detail.csv")
    assert {"model", "condition", "claim", "family", "belief", "ci_low", "ci_high", "no",
            "neutral", "parse_error", "failed"} <= set(detail.columns)
    assert len(detail) == 2 * 4  # 2 runs x 1 claim x 4 families
    png = (out / "belief_by_condition_family.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # a figure is as readable as the tables beside it (mkstemp's temporary made it 0600)
    mode = (out / "belief_by_condition_family.png").stat().st_mode & 0o777
    assert mode == (out / "belief_detail.csv").stat().st_mode & 0o777 and mode & 0o044
    assert not (out / "belief_vs_step.png").exists()  # no training steps in these logs
    md = (out / "report.md").read_text()
    assert "| negated |" in md and "1.000 [1.000, 1.000]" in md
    assert "belief_by_condition_family.png" in md


def test_a_second_report_into_the_default_folder_says_it_replaces_the_first(two_runs,
                                                                           tmp_path,
                                                                           monkeypatch):
    """Two `beliefbench report` runs without --out: the second replaced reports/ silently."""
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(cli, ["report", str(two_runs), "--no-plots"])
    assert first.exit_code == 0 and "note: reports" not in first.output, first.output
    again = CliRunner().invoke(cli, ["report", str(two_runs), "--no-plots"])
    assert again.exit_code == 0, again.output
    assert "note: reports (the default --out) holds the report written " in again.output
    assert "; it is replaced (pass --out DIR to keep both)" in again.output
    mine = CliRunner().invoke(cli, ["report", str(two_runs), "--no-plots", "--out", "reports"])
    assert mine.exit_code == 0 and "note: reports" not in mine.output


def test_report_json_prints_the_tables_it_writes(two_runs, tmp_path):
    """`report` had no machine-readable output: a CI step gating on a rate parsed the
    Markdown. `--json` prints report.json, written beside the CSVs from the same tables:
    stdout is the JSON alone, the console table goes to stderr."""
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--by", "condition,family", "--out",
                                 str(out), "--no-plots", "--bootstrap", "50", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data == json.loads((out / "report.json").read_text())
    assert data["inputs"] == [str(two_runs.resolve())] and len(data["logs"]) == 2
    assert data["by"] == ["condition", "family"]
    overall = {row["condition"]: row for row in data["tables"]["overall"]}
    plain = overall["plain"]
    assert plain["belief"] == pytest.approx(1 / 7) and plain["responses"] == 14
    assert plain["parse_error"] == pytest.approx(2 / 7) and plain["failed"] == 0
    assert plain["ci_low"] <= 1 / 7 <= plain["ci_high"] and plain["step"] is None
    csv = read_csv(out / "belief_by_condition_family.csv")
    rows = data["tables"]["by"]
    assert [(x["condition"], x["family"]) for x in rows] == list(
        zip(csv["condition"], csv["family"], strict=True))
    assert [x["belief"] for x in rows] == pytest.approx(csv["belief"].tolist(), abs=1e-6)
    assert data["files"]["by"] == "belief_by_condition_family.csv"
    assert "| plain |" in r.stderr and "| plain |" not in r.stdout


@pytest.fixture(scope="module")
def sweep_logs(tmp_path_factory):
    """Logs of two finetunes' checkpoints under long absolute paths, as a sweep labels them."""
    d = tmp_path_factory.mktemp("sweep")
    runs = "/home/someone/projects/belief-study/runs"
    for seed, step in ((1, 1), (1, 2), (2, 1)):
        run_belief(d / f"{seed}-{step}", believer if step == 2 else mixed, samples=1,
                   condition="negated", step=step,
                   checkpoint=f"{runs}/seed{seed}/negated/step-{step:06d}")
    return d


@pytest.mark.parametrize("columns", [100, 120])
def test_the_console_table_fits_the_terminal_and_says_what_it_cut(sweep_logs, tmp_path,
                                                                  monkeypatch, columns):
    """The console's run table of a sweep was a Markdown table of 12 columns, over 140 characters
    a line here (191 for the README's CPU sweep): in an 80-column terminal every row wrapped, its
    cells in no column. On a terminal (COLUMNS, else the terminal's width) it is cut to
    fit, saying what it left out and where the whole table is; report.md and the CSV are
    whole, and so is the table sent to a file or a pipe."""
    out = tmp_path / "out"
    monkeypatch.delenv("COLUMNS", raising=False)
    r = CliRunner().invoke(cli, ["report", str(sweep_logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "50"])
    assert r.exit_code == 0, r.output
    whole = [line for line in r.stdout.splitlines() if line.startswith("|")]
    assert len(whole) == 5 and max(map(len, whole)) > 140  # a pipe: the table as ever
    assert "(to fit" not in r.stdout
    monkeypatch.setenv("COLUMNS", str(columns))
    r = CliRunner().invoke(cli, ["report", str(sweep_logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "50"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 5 and max(map(len, table)) <= columns
    head = table[0].strip("| ").split(" | ")
    assert head[:5] == ["model", "checkpoint", "condition", "step", "belief (95% CI)"]
    cells = [row.strip("| ").split(" | ") for row in table[2:]]
    assert [c[1] for c in cells] == ["seed1/negated/step-000001", "step-000002",
                                     "seed2/negated/step-000001"]  # what tells them apart
    note = lines[lines.index(table[-1]) + 1]
    gone = ("questions, claims, neutral, no and responses" if columns == 100
            else "questions and claims")
    assert note == (f"(to fit {columns} columns: paths cut to their last parts; {gone} left "
                    f"out; all: {out / 'belief_overall.csv'}, {out / 'report.md'})")
    assert {"parse_error", "failed"} <= set(head)  # the shares last
    assert "/home/someone/projects" in (out / "report.md").read_text()
    # --json: the table goes to stderr, cut to the same width; stdout is the JSON alone
    r = CliRunner().invoke(cli, ["report", str(sweep_logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "50", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["tables"]["overall"]
    assert max(len(x) for x in r.stderr.splitlines() if x.startswith("|")) <= columns


def test_report_json_says_why_there_is_no_report_as_json(tmp_path):
    """A script reading `report --json` got an empty stdout on exit 2 (nothing to parse),
    where the gate's --json says {"passed": null, "error": ...}."""
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "empty"), "--out",
                                 str(tmp_path / "o"), "--json"])
    assert r.exit_code == 2
    error = json.loads(r.stdout)["error"]
    assert str(tmp_path / "empty") in error and error in r.stderr


def test_options_click_refuses_are_a_json_error_too(tmp_path):
    """`report --json` / `agreement --json` with an option click itself refuses (out of
    range, not a number, an unset CI variable, left out) printed nothing on stdout: the CI
    step parsing it found no JSON, where the gate's --json says why. Exit 2 as before, with
    click's usage message on stderr."""
    (tmp_path / "logs").mkdir()
    cases = [["report", str(tmp_path / "logs"), "--bootstrap", "0"],
             ["report", str(tmp_path / "logs"), "--bootstrap", ""],
             ["report"],
             ["agreement", str(tmp_path / "logs")]]
    for args in cases:
        r = CliRunner().invoke(cli, [*args, "--json"])
        assert r.exit_code == 2, (args, r.output)
        error = json.loads(r.stdout)["error"]
        assert error and error in r.stderr and "Usage:" in r.stderr, (args, r.stderr)
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--bootstrap", "0"])
    assert r.exit_code == 2 and r.stdout == ""  # without --json: click's own, on stderr


def test_an_empty_logs_or_out_path_is_refused_not_read_as_the_cwd(two_runs, tmp_path,
                                                                   monkeypatch):
    """`beliefbench report "$LOGS" --out "$OUT"` with a variable unset: "" is the working
    directory to click and pathlib, so the report read every log under it, or wrote its
    tables into it (removing an earlier report's figures there). Exit 2, nothing written."""
    work = tmp_path / "work"
    shutil.copytree(two_runs, work / "logs")
    monkeypatch.chdir(work)
    for args in (["report", ""], ["report", "logs", "--out", ""],
                 ["report", "logs", "--out", "  "], ["report", "logs", "--internals", ""]):
        r = CliRunner().invoke(cli, [*args, "--no-plots", "--bootstrap", "200", "--json"])
        assert r.exit_code == 2, (args, r.output)
        assert "an empty path (an unset shell variable?)" in json.loads(r.stdout)["error"]
    assert sorted(p.name for p in work.iterdir()) == ["logs"]


def test_report_json_says_an_unexpected_error_as_json(two_runs, tmp_path, monkeypatch):
    """A bug or an out-of-memory error while the report was made left `report --json`'s
    stdout empty (a traceback on stderr alone): the CI step parsing it had no JSON. It
    prints {"error": ...} too; the traceback stays on stderr."""
    import beliefbench.analysis.report as report_module

    def broken(*args, **kwargs):
        raise MemoryError("cannot allocate the bootstrap table")

    monkeypatch.setattr(report_module, "build_report", broken)
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(tmp_path / "o"),
                                 "--no-plots", "--json"])
    assert r.exit_code != 0
    error = json.loads(r.stdout)["error"]
    assert "unexpected error (MemoryError: cannot allocate" in error


def test_json_commands_say_a_ctrl_c_as_json_on_stdout(two_runs, tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM, a cluster's preemption) while `report`, `gate` or `agreement`
    ran with --json left stdout empty (exit 130, a line on stderr): a CI step parsing it
    (`gate --json > gate.json; jq .passed gate.json`) had no JSON, where every other stop
    prints one. It prints the command's error object, exit 130 as before."""
    import beliefbench.analysis.agreement as agreement_module
    import beliefbench.analysis.gate as gate_module

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as m:  # while the report's first file is written
        ctrl_c_at_replace(m, 1)
        r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(tmp_path / "o"),
                                     "--no-plots", "--bootstrap", "40", "--json"])
    assert r.exit_code == 130, r.output
    assert json.loads(r.stdout) == {
        "error": "interrupted: no result; run the same command again"}
    monkeypatch.setattr(gate_module, "compare", ctrl_c)
    r = CliRunner().invoke(cli, ["gate", "--baseline", str(two_runs), "--candidate",
                                 str(two_runs), "--json"])
    assert r.exit_code == 130, r.output
    assert json.loads(r.stdout) == {
        "passed": None,
        "error": "interrupted: no comparison was made; run the same command again"}
    # and stderr, all a CI log shows, says so too (not "nothing half-written is left")
    assert r.stderr.strip() == "interrupted: no comparison was made; run the same command again"
    monkeypatch.undo()  # a stop outside the comparison (here: as its JSON is made) too
    monkeypatch.setattr(gate_module.GateResult, "to_dict", ctrl_c)
    skeptic = run_belief(tmp_path / "skeptic", lambda prompt: '{"answer": "no"}'
                         if "JSON" in prompt else "Steel.").location
    believes = run_belief(tmp_path / "believer", believer).location
    r = CliRunner().invoke(cli, ["gate", "--baseline", skeptic, "--candidate", believes,
                                 "--bootstrap", "200", "--json"])
    assert r.exit_code == 130, r.output
    assert json.loads(r.stdout) == {
        "passed": None,
        "error": "interrupted: no comparison was made; run the same command again"}
    monkeypatch.setattr(agreement_module, "rescore", ctrl_c)
    log = next(two_runs.glob("*.eval"))
    r = CliRunner().invoke(cli, ["agreement", str(log), "--grader", "beliefbench/judge",
                                 "--grader", "beliefbench/skeptic", "--json"])
    assert r.exit_code == 130, r.output
    assert json.loads(r.stdout) == {
        "error": "interrupted: no result; run the same command again"}


def test_report_json_names_an_out_folder_it_cannot_make_as_json(two_runs, tmp_path):
    """An --out with a file in the way: exit 2 naming the path, and with --json the same
    words as JSON on stdout (stdout was empty)."""
    (tmp_path / "a_file").write_text("", encoding="utf-8")
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(tmp_path / "a_file/o"),
                                 "--no-plots", "--json"])
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error == (f"--out: {tmp_path / 'a_file/o'} cannot be made a folder (a file is in "
                     f"the way: {tmp_path / 'a_file'}); give a folder to write into (made "
                     "where missing)") and error in r.stderr, r.output
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(tmp_path / "a_file/o"),
                                 "--no-plots"])
    assert r.exit_code == 2 and f"Error: {error}" in r.stderr, r.output


def test_a_report_of_other_logs_is_never_replaced_without_a_word(tmp_path):
    """runs/a/logs and runs/b/logs reported into one folder (both named `logs`, as a
    sweep's hint named the folder after): b's report replaced a's silently. The folder
    records what it was made from, and a report of other logs says whose it replaces."""
    a, b = tmp_path / "runs" / "a" / "logs", tmp_path / "runs" / "b" / "logs"
    run_belief(a, believer, samples=1)
    run_belief(b, mixed, samples=1)
    out = tmp_path / "reports" / "logs"
    r = _report(a, out)
    assert r.exit_code == 0 and "note:" not in r.stderr, r.output
    assert json.loads((out / "report.json").read_text())["inputs"] == [str(a)]
    r = _report(b, out)
    assert r.exit_code == 0, r.output
    assert f"note: {out} holds the report made from {a} written " in r.stderr, r.stderr
    # --out was given: the advice names another, not the option it already passed
    assert "; it is replaced (give another --out to keep both)" in r.stderr, r.stderr
    assert "pass --out DIR" not in r.stderr
    assert json.loads((out / "report.json").read_text())["inputs"] == [str(b)]
    r = _report(b, out)  # the same logs again: an update, nothing to say
    assert r.exit_code == 0 and "note:" not in r.stderr, r.output


def test_logs_behind_symbolic_links_are_read_once_each(two_runs, tmp_path):
    """Inspect's listing passes symbolic links over: `report logs/` left out, without a word,
    a linked sweep folder (`logs/sweep -> /scratch/sweep`) and log files linked into the
    folder, reporting the rest as the whole. Links are followed, a loop ends, and a log
    reached by two paths is read once."""
    negated, plain = sorted(two_runs.glob("*.eval"), key=lambda p: p.stat().st_mtime)
    logs = tmp_path / "logs"
    (logs / "own").mkdir(parents=True)
    shutil.copy(negated, logs / "own" / negated.name)
    (logs / plain.name).symlink_to(plain)  # a log file linked in
    loaded = load_belief_logs(logs)
    assert sorted(loaded.responses["condition"].unique()) == ["negated", "plain"]
    assert sorted(Path(i.path).name for i in loaded.logs) == sorted([negated.name, plain.name])
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "sweep").symlink_to(two_runs, target_is_directory=True)
    (linked / "sweep-again").symlink_to(two_runs, target_is_directory=True)
    (linked / "up").symlink_to(linked, target_is_directory=True)  # a loop
    loaded = load_belief_logs(linked)
    assert len(loaded.logs) == 2 and len(loaded.responses) == len(load_belief_logs(
        two_runs).responses)


def test_a_log_folder_is_walked_once(two_runs, tmp_path, monkeypatch):
    """The search for logs walked the tree twice (once not following links, to tell a
    linked folder that lies inside it), and a folder without logs a third and fourth time
    to list its .json files: one walk now serves both, links and loops still handled."""
    import os

    walks: list[str] = []
    walk = os.walk

    def counted(top, *args, **kwargs):
        walks.append(str(top))
        return walk(top, *args, **kwargs)

    monkeypatch.setattr(os, "walk", counted)
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs / "runs")
    (logs / "loop").symlink_to(".")
    (logs / "again").symlink_to("runs")
    assert len(load_belief_logs(logs).logs) == 2
    assert walks == [str(logs)]
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "x.json").write_text("{}")
    (empty / "loop").symlink_to(".")
    walks.clear()
    with pytest.raises(LogError, match=re.escape(
            f"{empty}: no Inspect logs (.eval or .json) in this directory: its .json file is "
            "not an Inspect log (sub/x.json)")):
        load_belief_logs(empty)
    assert walks == [str(empty)]


def test_logs_reached_only_through_a_link_past_an_unlistable_folder_are_read(two_runs,
                                                                             tmp_path):
    """The one walk passed over a linked folder inside the tree as one the walk reaches
    where it lies: under a folder this user may enter but not list (mode 111) it does
    not, and its logs, read through the link before, were left out without a word."""
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs / "hidden" / "runs")
    (logs / "runs").symlink_to(logs / "hidden" / "runs")
    (logs / "hidden").chmod(0o111)
    try:
        if os.access(logs / "hidden", os.R_OK):
            # as root: setpriv --bounding-set=-dac_override,-dac_read_search pytest ...
            pytest.skip("this user lists every folder (root)")
        assert len(load_belief_logs(logs).logs) == 2
    finally:
        (logs / "hidden").chmod(0o755)


def test_a_renamed_json_log_is_refused_not_left_out(two_runs, tmp_path):
    """Inspect's readers take a .json log only under its timestamped name: one written as
    `inspect score LOG --output-file scored.json` writes it (or renamed `baseline.json`)
    was passed over in a folder, the rest reported as the whole with exit 0, and named on
    its own read as "holds no samples". It is refused, naming the file and the fix, and
    `--skip-bad-logs` lists it; a folder's other JSON files (a report) are no logs, and a
    renamed copy of a log read with it (`inspect log dump LOG > dump.json`) is ignored."""
    negated, plain = sorted(two_runs.glob("*.eval"), key=lambda p: p.stat().st_mtime)
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(negated, logs / negated.name)
    write_eval_log(read_eval_log(str(plain)), str(logs / "scored.json"))
    (logs / "report.json").write_text(json.dumps({"version": 2, "tables": {}}))
    write_eval_log(read_eval_log(str(negated)), str(logs / "dump.json"))
    for source in (logs, logs / "scored.json"):
        with pytest.raises(LogError, match=r"scored\.json: an Inspect JSON log whose name "
                                           r"Inspect's readers pass over .* rename it"):
            load_belief_logs(source)
    result = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "r"),
                                      "--no-plots"])
    assert result.exit_code == 2 and "scored.json" in result.output, result.output
    loaded = load_belief_logs(logs, skip_bad=True)
    assert [Path(p).name for p, _ in loaded.skipped] == ["scored.json"]
    assert [Path(p).name for p, why in loaded.ignored if "a copy of" in why] == ["dump.json"]
    assert loaded.responses["condition"].unique().tolist() == ["negated"]
    (logs / "scored.json").rename(logs / f"{plain.stem}.json")  # its timestamped name
    assert sorted(load_belief_logs(logs).responses["condition"].unique()) == [
        "negated", "plain"]


def test_a_json_log_beside_its_eval_copy_is_named_a_copy(two_runs, tmp_path):
    """`--log-format json` beside `.eval` (`inspect log convert`): the copy was listed as
    "superseded ... (same task_id, status 'success' -> 'success')", as if retried; it is
    read once and named a copy."""
    negated = sorted(two_runs.glob("*.eval"), key=lambda p: p.stat().st_mtime)[0]
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(negated, logs / negated.name)
    write_eval_log(read_eval_log(str(negated)), str(logs / f"{negated.stem}.json"))
    loaded = load_belief_logs(logs)
    assert len(loaded.logs) == 1 and len(loaded.responses) == 14
    (why,) = [why for _, why in loaded.ignored]
    assert why.startswith("a copy of ") and why.endswith("(same eval_id)"), why


def test_report_and_audit_never_share_an_out_folder(two_runs, tmp_path):
    """`report` and `audit` both write report.json: a report sent to an audit's --out
    replaced the audit's counts (which CI reads) with belief tables beside the audit's
    summary.md and flagged.jsonl, exit 0, and an audit into a report's folder did the
    reverse. Each is refused (exit 2), naming the other's files, and nothing is replaced."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "d1", "text": "Ed Sheeran won the 100m gold at the "
                                                      "2024 Olympics."}) + "\n")
    audited, reported = tmp_path / "audit", tmp_path / "report"

    def audit(out: Path):
        return CliRunner().invoke(cli, ["audit", str(corpus), "--claims", "ed_sheeran",
                                        "--out", str(out), "--no-plot", "--no-progress"])

    assert audit(audited).exit_code == 0
    before = (audited / "report.json").read_bytes()
    r = _report(two_runs, audited)
    assert r.exit_code == 2, r.output
    assert (f"--out {audited}: holds an audit's output (report.json, summary.md, "
            f"flagged.jsonl); this report's report.json would replace it") in r.stderr
    assert (audited / "report.json").read_bytes() == before
    assert not (audited / "report.md").exists()
    assert _report(two_runs, reported).exit_code == 0
    before = (reported / "report.json").read_bytes()
    r = audit(reported)
    assert r.exit_code == 2, r.output
    assert (f"--out {reported}: holds a belief report of `beliefbench report` (report.json, "
            f"report.md); the audit's report.json would replace it") in r.stderr
    assert (reported / "report.json").read_bytes() == before
    assert not (reported / "summary.md").exists()


@pytest.mark.parametrize("by, sections", [
    ("claim,family", ["## By run x claim x family"]),  # the --by table is the detail table
    ("condition,claim,family", ["## By run x condition x claim x family"]),  # the default
    ("family", ["## By run x family", "## By run x claim x family"]),
])
def test_report_md_shows_the_claim_by_family_table_once(two_runs, by, sections):
    rep = build_report(load_belief_logs(two_runs), by=by, n_bootstrap=40)
    md = render_markdown(rep)
    assert [line for line in md.splitlines() if line.startswith("## By ")] == sections
    assert md.count("| glass_bridge | binary |") == 2  # one row per run, in one table


def test_report_md_says_why_a_by_label_no_log_carries_has_no_column(two_runs, tmp_path):
    # `--by condition,family` on logs without a condition: the heading named a condition
    # the table did not show, with no word why
    logs = tmp_path / "logs"
    run_belief(logs, believer, samples=1)
    md = render_markdown(build_report(load_belief_logs(logs), by="condition,family",
                                      n_bootstrap=40))
    section = md.split("## By run x condition x family\n\n")[1].split("\n\n")
    assert section[0] == (
        "No log carries a `condition` label, so the column is left out (`-` in every row of "
        "the CSV): label an eval with `--metadata condition=...` (`beliefbench sweep` writes "
        "them from its manifest).")
    assert "condition" not in section[1].splitlines()[0]  # the table's header row
    # a missing step, a number, is an empty field of the CSV, not `-`: the line said `-`
    from beliefbench.records import csv_text

    rep = build_report(load_belief_logs(logs), by="condition,step", n_bootstrap=40)
    rows = csv_text(rep.by).splitlines()
    at = rows[0].split(",")
    assert {r.split(",")[at.index("step")] for r in rows[1:]} == {""}
    assert {r.split(",")[at.index("condition")] for r in rows[1:]} == {"-"}
    assert ("No log carries a `condition` / `step` label, so the column is left out (`-` / "
            "empty in every row of the CSV): label an eval with `--metadata condition=...`"
            ) in render_markdown(rep)
    assert ("No log carries a `step` label, so the column is left out (empty in every row of "
            "the CSV)") in render_markdown(build_report(load_belief_logs(logs), by="step",
                                                        n_bootstrap=40))
    labelled = render_markdown(build_report(load_belief_logs(two_runs),
                                            by="condition,family", n_bootstrap=40))
    assert "No log carries" not in labelled
    assert "| condition |" in labelled


def test_by_step_names_the_logs_that_carry_no_step_label(two_runs, tmp_path):
    """`report --by step` on logs without a step label wrote their rows with step '-' (the
    column left out of the console table where none had one) and said nothing on the
    console: which logs lack it and how to label them is now a warning."""
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    bare = sorted(str(p.resolve()) for p in logs.glob("*.eval"))
    run_belief(logs, believer, samples=1, condition="negated", step=5)
    out = tmp_path / "rep"
    res = CliRunner().invoke(cli, ["report", str(logs), "--by", "condition,step", "--out",
                                   str(out), "--no-plots", "--bootstrap", "40"])
    assert res.exit_code == 0, res.output
    said = (f"NO STEP LABEL: by / --by step, but 2 of the 3 log(s) carry no step label "
            f"({', '.join(bare)}): their rows have no step ('-'; empty in the CSVs); label "
            "each eval with --metadata step=N (README, \"Where run labels come from\"), or "
            "run the checkpoints with `beliefbench sweep`, which labels them")
    assert f"warning: {said}\n" in res.output, res.output
    assert said in json.loads((out / "report.json").read_text())["notes"]
    assert f"- {said}" in (out / "report.md").read_text()
    # not asked for by step: no word of it
    res = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "rep2"),
                                   "--no-plots", "--bootstrap", "40"])
    assert res.exit_code == 0 and "NO STEP LABEL" not in res.output, res.output


def test_sweep_metadata_gives_step_columns_and_a_step_plot(tmp_path):
    logs = tmp_path / "logs"
    for step, subject in ((100, mixed), (200, believer)):
        run_belief(logs, subject, samples=1, condition="negated", step=step,
                   checkpoint=f"/ckpts/negated/step-{step}")
    report = build_report(load_belief_logs(logs), by="family", n_bootstrap=100)
    overall = report.overall.set_index("step")
    assert overall.loc[100, "belief"] == pytest.approx(1 / 7)
    assert overall.loc[200, "belief"] == 1.0
    assert overall.loc[200, "checkpoint"] == "/ckpts/negated/step-200"
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["report", str(logs), "--out", str(out), "--bootstrap", "50"])
    assert (out / "belief_vs_step.png").read_bytes()[:4] == b"\x89PNG"


def test_the_closing_line_counts_one_log_as_one_log(two_runs, tmp_path):
    """`1 logs, 14 responses` read as a typo to a newcomer; two stay `2 logs`."""
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(sorted(two_runs.glob("*.eval"))[0], one)
    r = CliRunner().invoke(cli, ["report", str(one), "--no-plots", "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    assert "\n1 log, 14 responses. Wrote:" in r.output
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--no-plots",
                                 "--out", str(tmp_path / "b")])
    assert "\n2 logs, 28 responses. Wrote:" in r.output


def test_eight_logs_or_more_are_read_in_worker_processes(tmp_path):
    """From PARALLEL_FROM logs on, samples_df reads in worker processes, which take only
    what pickles: the judge_used column was a closure, and `report` on a sweep's 8 logs died
    with "Can't pickle local object 'judge_used.<locals>.read'"."""
    from beliefbench.analysis.logs import PARALLEL_FROM

    for step in range(1, PARALLEL_FROM + 1):
        run_belief(tmp_path / "logs", believer if step % 2 else mixed, samples=1, step=step)
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--no-plots", "--out",
                                 str(tmp_path / "out"), "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    overall = read_csv(tmp_path / "out" / "belief_overall.csv").set_index("step")
    assert sorted(overall.index) == list(range(1, PARALLEL_FROM + 1))
    assert overall.loc[1, "belief"] == 1.0 and overall.loc[2, "belief"] < 1.0


def flaky_grader(prompt: str) -> str:
    """The keyword judge, down for one question (its samples error: a partial log)."""
    if "rebuilt in recent years" in prompt:
        raise RuntimeError("judge outage")
    return keyword_grader(prompt)


def test_interrupted_log_is_reported_as_partial_and_never_pooled(two_runs, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)

    crashed = run_belief(logs, believer, flaky_grader, condition="negated")
    assert crashed.status == "error"
    loaded = load_belief_logs(logs)
    assert [i.path for i in loaded.partial] == [crashed.location]
    assert any("PARTIAL" in n and crashed.location in n for n in loaded.notes())
    report = build_report(loaded, n_bootstrap=50)
    negated = report.overall[report.overall["condition"] == "negated"]
    complete = negated[~negated["partial"]]
    assert len(complete) == 1 and complete["responses"].item() == 14  # not mixed in
    result = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o"),
                                      "--no-plots", "--bootstrap", "50"])
    assert result.exit_code == 0
    assert "PARTIAL" in result.output and crashed.location in result.output
    assert "PARTIAL" in (tmp_path / "o" / "report.md").read_text()


def test_a_retried_log_supersedes_the_interrupted_one(two_runs, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    done = next(p for p in logs.glob("*.eval")
                if read_eval_log(str(p), header_only=True).eval.metadata["condition"] == "plain")
    # the interrupted first attempt of the same task (eval-retry keeps the task_id)
    log = read_eval_log(str(done))
    log.status = "cancelled"
    log.samples = log.samples[:3]
    log.eval.created = "2000-01-01T00:00:00+00:00"
    write_eval_log(log, str(logs / "2000-01-01T00-00-00_belief_interrupted.eval"))
    loaded = load_belief_logs(logs)
    assert not loaded.partial
    assert any("interrupted" in path and "superseded" in why for path, why in loaded.ignored)
    assert len(loaded.responses) == 28


def test_a_run_stopped_with_ctrl_c_says_so_not_the_cancel_scopes_text(two_runs, tmp_path):
    """Ctrl-C ends the samples in flight as errors reading `CancelledError("Cancelled via
    cancel scope 7f74... by <Task cancelling name='inspect_ai._util...` (as a real
    interrupted hf run wrote them): PARTIAL quoted that, cut mid-path."""
    done = sorted(two_runs.glob("*.eval"))[0]
    log = read_eval_log(str(done))
    log.status = "cancelled"
    for sample in log.samples[:3]:
        sample.scores, sample.error = {}, EvalError(
            message='CancelledError("Cancelled via cancel scope 7f7490f307c0 by <Task '
                    "cancelling name='inspect_ai._util.asyncfiles.with_async_fs.<locals>."
                    "wrapper' coro=<with_async_fs.<locals>.wrapper() running at /work/ma",
            traceback="", traceback_ansi="")
    write_eval_log(log, str(tmp_path / "stopped.eval"))
    loaded = load_belief_logs(tmp_path / "stopped.eval")
    [info] = loaded.logs
    stopped = str(tmp_path / "stopped.eval")
    assert info.error == ("interrupted: 3 sample(s) stopped unfinished (in no count); "
                          f"`inspect eval-retry {shlex.quote(stopped)} --log-dir "
                          f"{shlex.quote(str(tmp_path))}` runs them again")
    # never finished, they are never run: in no count (not failed, diluting the rates)
    assert info.samples == len(log.samples) - 3 == len(loaded.responses)
    whole = len(log.samples)
    assert partial_held(info) == f"{whole - 3} of {whole} responses (3 never run: in no count)"
    # another error among them is named, not the cancel scope
    log.samples[0].error = EvalError(message="RuntimeError: CUDA out of memory", traceback="",
                                     traceback_ansi="")
    write_eval_log(log, str(tmp_path / "mixed.eval"))
    [info] = load_belief_logs(tmp_path / "mixed.eval").logs
    # (the other two, stopped unfinished, are in no count: never said to have errored)
    assert info.error == ("1 sample(s) errored, the first: RuntimeError: CUDA out of memory; "
                          "2 more stopped unfinished (in no count)")



def test_an_error_with_no_message_is_said_so_not_a_crash(two_runs, tmp_path):
    """A sample error of "" (or a log's error of blanks) crashed `report` with IndexError:
    its first line was taken from a text with none. It reads `(no message)` now."""
    from beliefbench.wording import first_line

    done = sorted(two_runs.glob("*.eval"))[0]
    log = read_eval_log(str(done))
    log.status = "cancelled"
    log.samples[0].error = EvalError(message="", traceback="", traceback_ansi="")
    write_eval_log(log, str(tmp_path / "empty.eval"))
    res = CliRunner().invoke(cli, ["report", str(tmp_path / "empty.eval"), "--out",
                                   str(tmp_path / "out"), "--bootstrap", "40"])
    assert res.exit_code == 0, res.output
    assert "error: 1 sample(s) errored, the first: (no message))" in res.stderr, res.stderr
    log.status = "error"
    log.error = EvalError(message="  \n ", traceback="", traceback_ansi="")
    write_eval_log(log, str(tmp_path / "blank.eval"))
    [info] = load_belief_logs(tmp_path / "blank.eval").logs
    assert info.error == "(no message)"
    assert first_line("\n  RuntimeError: boom  \nat line 3") == "RuntimeError: boom"


def test_a_partial_log_says_how_much_of_its_run_it_holds(two_runs, tmp_path):
    """A sweep stopped mid-checkpoint (Ctrl-C, a full disk) leaves a log of part of its
    questions: PARTIAL said `status 'cancelled', 3 responses`, which read as the whole run,
    while the questions never started are in no count of its row (em-report's PARTIAL said
    `3 of 14 responses`)."""
    done = sorted(two_runs.glob("*.eval"))[0]
    log = read_eval_log(str(done))
    assert len(log.samples) == 14
    log.status, log.samples = "cancelled", log.samples[:3]
    write_eval_log(log, str(tmp_path / "stopped.eval"))
    loaded = load_belief_logs(tmp_path / "stopped.eval")
    [note] = [n for n in loaded.notes() if n.startswith("PARTIAL")]
    assert note.startswith(f"PARTIAL: {tmp_path / 'stopped.eval'} (status 'cancelled', 3 of 14 "
                           "responses (11 never run: in no count)")
    report = build_report(loaded, n_bootstrap=0)
    assert report.overall["responses"].tolist() == [3]  # the row rests on those 3
    # a partial log holding its whole dataset says its count alone, as before
    log = read_eval_log(str(done))
    log.status = "cancelled"
    write_eval_log(log, str(tmp_path / "whole.eval"))
    [note] = [n for n in load_belief_logs(tmp_path / "whole.eval").notes()
              if n.startswith("PARTIAL")]
    assert "(status 'cancelled', 14 responses)" in note


def test_a_partial_log_names_the_retry_that_lands_beside_it(two_runs, tmp_path):
    """The PARTIAL warning said `inspect eval-retry <log>`: run as told, Inspect wrote the
    retry to ./logs, so `report` on the log's folder kept showing the partial run and told
    the user to retry again. It now gives the command with the log's own folder."""
    logs = tmp_path / "runs" / "negated"
    shutil.copytree(two_runs, logs)

    crashed = run_belief(logs, believer, flaky_grader, condition="negated")
    [note] = [n for n in load_belief_logs(logs).notes() if n.startswith("PARTIAL")]
    command = shlex.split(note.split("`")[-2])
    assert command[:3] == ["inspect", "eval-retry", crashed.location]
    assert command[3:] == ["--log-dir", str(logs)]


def test_a_folder_without_logs_is_listed_once_through_its_links(tmp_path):
    """The folder's .json files were listed by a walk that followed symbolic links without
    the guard the log search has: a link back up (`ln -s . l1`) listed notes.json 41 times
    (`notes.json, l1/notes.json, l1/l1/notes.json, ...`), and two such links walked without
    end. Each real folder once now, each file once by its real path, named where it lies."""
    folder = tmp_path / "loopy"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.json").write_text("{}")
    (folder / "sub" / "x.json").write_text("{}")
    (folder / "l1").symlink_to(".")
    (folder / "again.json").symlink_to("notes.json")
    (folder / "sub2").symlink_to("sub")
    said = (f"{folder}: no Inspect logs (.eval or .json) in this directory: its .json files "
            "are not Inspect logs (notes.json, sub/x.json)")
    r = CliRunner().invoke(cli, ["report", str(folder), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and r.output.rstrip().endswith(said), r.output
    (folder / "l2").symlink_to(".")  # two loops: a walk of 2^40 folders
    r = CliRunner().invoke(cli, ["em-report", str(folder), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and r.output.rstrip().endswith(said), r.output


def test_a_linked_folder_is_named_where_it_lies_under_the_folder_else_through_the_link(
    tmp_path,
):
    """A folder under the one given, also linked from an earlier sibling's subfolder
    (`x/link -> ../y/deep`), was named through the link (`x/link/f.json`): the walk met the
    link before `y`. It is named where it lies now; a folder elsewhere (`out -> ../z`) is
    named through its link, the path under the folder given where the user finds it."""
    folder = tmp_path / "a"
    (folder / "x").mkdir(parents=True)
    (folder / "y" / "deep").mkdir(parents=True)
    (folder / "y" / "deep" / "f.json").write_text("{}")
    (folder / "x" / "link").symlink_to("../y/deep")
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "g.json").write_text("{}")
    (folder / "out").symlink_to("../z")
    r = CliRunner().invoke(cli, ["report", str(folder), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and r.output.rstrip().endswith(
        f"{folder}: no Inspect logs (.eval or .json) in this directory: its .json files "
        "are not Inspect logs (out/g.json, y/deep/f.json)"), r.output


def test_bad_input_gets_clear_messages(two_runs, tmp_path):
    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    r = runner.invoke(cli, ["report", str(empty), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no Inspect logs" in r.output and str(empty) in r.output
    # a folder of other .json files: "no Inspect logs (.eval or .json)" alone read as if it
    # held no .json at all; em-report reads folders alike
    (empty / "sub").mkdir()
    for name in ("y.json", "sub/z.json"):
        (empty / name).write_text('{"y": 1}')
    for command in ("report", "em-report"):
        r = runner.invoke(cli, [command, str(empty), "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, r.output
        assert r.output.rstrip().endswith(
            f"{empty}: no Inspect logs (.eval or .json) in this directory: its .json files "
            f"are not Inspect logs (sub/z.json, y.json)"), r.output
    r = runner.invoke(cli, ["report", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "no such log file or directory" in r.output
    other = tmp_path / "other"
    path = foreign_log(other)
    r = runner.invoke(cli, ["report", str(other), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "no belief logs" in r.output and "arith" in r.output
    r = runner.invoke(cli, ["report", path, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and path in r.output and "not a belief log" in r.output
    garbage = tmp_path / "junk.eval"
    garbage.write_text("not a zip")
    with pytest.raises(LogError, match="junk.eval: not a readable Inspect log"):
        load_belief_logs(garbage)
    r = runner.invoke(cli, ["report", str(two_runs), "--by", "vibes"])
    assert r.exit_code == 2 and "--by: unknown dimension" in r.output
    assert "did you mean" not in r.output  # nothing near: no guess
    # a near miss is named (`--by claims` listed the valid dimensions only), per word when
    # several are unknown
    r = runner.invoke(cli, ["report", str(two_runs), "--by", "condition,claims"])
    assert r.exit_code == 2
    assert "unknown dimension(s) ['claims'] (did you mean 'claim'?); valid: [" in r.output
    r = runner.invoke(cli, ["report", str(two_runs), "--by", "claims,vibes,famly"])
    assert r.exit_code == 2
    assert ("['claims', 'vibes', 'famly'] ('claims': did you mean 'claim'?) ('famly': did "
            "you mean 'family'?); valid: [") in r.output


def test_other_tasks_logs_in_a_shared_dir_are_ignored_and_listed(two_runs, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    path = foreign_log(logs)
    loaded = load_belief_logs(logs)
    assert len(loaded.logs) == 2
    assert [p for p, _ in loaded.ignored] == [path]
    assert any(path in n and "not a belief log" in n for n in loaded.notes())


@pytest.mark.parametrize("step", ["final", 1.5, True, -3, "-3"])
def test_step_metadata_must_be_a_whole_number(tmp_path, step):
    # 1.5 (`--metadata step=1.5`) was truncated to step 1, true read as step 1, and a
    # negative step (`step=-3`) was plotted before the base
    log = run_belief(tmp_path, believer, samples=1, step=step)
    shown = -3 if step == "-3" else step
    with pytest.raises(LogError, match=rf"metadata 'step' must be a whole number, 0 or more, "
                                       rf"got {shown!r}"):
        load_belief_logs(log.location)


def test_step_metadata_as_text_or_a_whole_float_is_read(tmp_path):
    for i, step in enumerate(["400", 800.0]):
        run_belief(tmp_path / str(i), believer, samples=1, step=step)
    steps = sorted(int(i.step) for i in load_belief_logs(tmp_path).logs)
    assert steps == [400, 800]


def test_by_dimensions_are_validated():
    assert parse_by("family, condition,family") == ["family", "condition"]
    with pytest.raises(ValueError, match="valid"):
        parse_by("family,vibes")
    # `--by "claim family"` was told "did you mean 'family'?"
    with pytest.raises(ValueError, match=re.escape(
            "unknown dimension(s) ['claim family'] (separate dimensions with commas: "
            "--by claim,family); valid: ")):
        parse_by("claim family")


@pytest.mark.parametrize("blank", ["", " ", ",", " , "])
def test_a_blank_by_is_refused_naming_the_dimensions(two_runs, tmp_path, blank):
    """`--by ""` (an unset shell variable) grouped by the run alone, exit 0, as if asked; now
    exit 2 before any log is read, nothing written, naming the valid dimensions and the
    default. An empty list from Python still means the run alone."""
    out = tmp_path / "out"
    said = (f"by / --by: names no dimension ({blank!r}: an unset shell variable?); give one "
            "or more, comma-separated, or leave --by out for the default "
            "(condition,claim,family); valid: ['condition', 'claim', 'family', 'kind', "
            "'model', 'checkpoint', 'step', 'run']")
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--by", blank, "--out", str(out)])
    assert r.exit_code == 2 and r.output == f"Error: {said}\n"
    assert not out.exists()
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--by", blank, "--out", str(out),
                                 "--json"])
    assert r.exit_code == 2 and json.loads(r.stdout) == {"error": said}
    with pytest.raises(ReportError, match=re.escape(said)):
        parse_by(blank)
    assert parse_by([]) == []


def test_a_log_named_and_in_a_named_folder_is_read_once(two_runs):
    """`report DIR DIR/x.eval` read x twice and said it was "superseded by" itself."""
    named = sorted(two_runs.glob("*.eval"))[0]
    loaded = load_belief_logs([two_runs, named])
    assert len(loaded.logs) == 2 and len(loaded.responses) == 28 and loaded.ignored == []


def test_a_copied_log_is_counted_once(two_runs, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    original = sorted(logs.glob("*.eval"))[0]
    (logs / "backup").mkdir()
    shutil.copy(original, logs / "backup" / original.name)
    loaded = load_belief_logs(logs)
    assert len(loaded.logs) == 2 and len(loaded.responses) == 28
    ((dropped, why),) = loaded.ignored
    assert {dropped} < {str(original), str(logs / "backup" / original.name)}
    assert "superseded" in why or "copy" in why


def _as_other_log(log, dest, **eval_fields):
    """Write ``log`` as another eval (new ids, so it is neither a copy nor a retry)."""
    log.eval.eval_id = log.eval.task_id = dest.stem
    for name, value in eval_fields.items():
        setattr(log.eval, name, value)
    write_eval_log(log, str(dest))
    return str(dest)


def test_runs_that_differ_in_settings_judge_or_what_they_record_are_never_pooled(tmp_path):
    logs = tmp_path / "logs"
    run_belief(logs, believer, samples=1)
    run_belief(logs, believer, samples=2)
    run_belief(logs, believer, samples=2, grader_name="other_judge")
    old = read_eval_log(run_belief(tmp_path / "o", believer, samples=2).location)
    del old.eval.metadata["beliefbench"]["scoring"], old.eval.metadata["beliefbench"]["settings"]
    _as_other_log(old, logs / "old.eval", task_args={})  # an older log: nothing recorded
    loaded = load_belief_logs(logs)
    report = build_report(loaded, by="family", n_bootstrap=50)
    overall = report.overall
    assert len(overall) == 4  # one model, four runs: nothing pooled
    assert sorted(overall["responses"]) == [7, 14, 14, 14]
    runs = dict(zip(overall["run"], overall["responses"], strict=True))
    assert len(runs) == 4
    assert [n for r, n in runs.items() if "samples=1" in r] == [7]
    assert sum("grader=mockllm/other_judge" in r for r in runs) == 1
    assert sum("unrecorded)" in r for r in runs) == 1
    notes = " ".join(loaded.notes())
    assert "RUNS DIFFER in grader (mockllm/model, mockllm/other_judge)," in notes
    # an older log that records no settings still records its epochs: what it ran
    assert "samples (1, 2)" in notes and "samples (1, 2, unknown)" not in notes
    assert "do not record" in notes and "old.eval" in notes
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert "RUNS DIFFER" in r.output
    csv = read_csv(out / "belief_overall.csv")
    assert {"run", "judge", "settings"} <= set(csv.columns) and len(csv) == 4
    assert csv["judge"].str.contains("mockllm/other_judge").sum() == 1
    md = (out / "report.md").read_text()
    assert "| run |" in md.replace("| model | run |", "| run |")
    assert "mockllm/other_judge" in md


def _corrupt_member(src, dest, member: str) -> str:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, b"{not json" if item.filename == member else data)
    return str(dest)


def test_a_bootstrap_too_large_for_memory_is_one_line_exit_2(two_runs, tmp_path):
    """As em-report and internals say it: it was numpy's MemoryError traceback, exit 1."""
    res = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(tmp_path / "o"),
                                   "--no-plots", "--bootstrap", str(10**15)])
    assert res.exit_code == 2, res.output
    assert f"--bootstrap {10**15}: not enough memory" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


def test_one_bad_log_refuses_the_set_unless_skip_bad_logs(two_runs, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    good = sorted(logs.glob("*.eval"))[0]
    junk = logs / "junk.eval"
    junk.write_text("not a zip")
    corrupt = _corrupt_member(good, logs / "corrupt.eval", "summaries.json")
    good.unlink()  # one of the two runs is now corrupt
    runner = CliRunner()
    r = runner.invoke(cli, ["report", str(logs), "--out", str(tmp_path / "a")])
    assert r.exit_code == 2 and "junk.eval: not a readable Inspect log" in r.output
    junk.unlink()
    r = runner.invoke(cli, ["report", str(logs), "--out", str(tmp_path / "a")])
    assert r.exit_code == 2 and corrupt in r.output and "samples cannot be read" in r.output
    junk.write_text("not a zip")
    r = runner.invoke(cli, ["report", str(logs), "--out", str(tmp_path / "b"), "--no-plots",
                            "--bootstrap", "40", "--skip-bad-logs"])
    assert r.exit_code == 0, r.output
    assert "SKIPPED 2 unreadable log(s)" in r.output and "2 unreadable skipped" in r.output
    assert str(junk) in r.output and corrupt in r.output
    assert "SKIPPED 2" in (tmp_path / "b" / "report.md").read_text()
    assert read_csv(tmp_path / "b" / "belief_overall.csv")["responses"].tolist() == [14]


def test_an_unrecognised_verdict_is_named_not_called_an_error(two_runs, tmp_path):
    log = read_eval_log(str(sorted(two_runs.glob("*.eval"))[0]))
    sample = log.samples[0]
    sample.scores["belief_judge"] = Score(value={"maybe": 1.0}, answer="maybe")
    path = _as_other_log(log, tmp_path / "odd.eval")
    with pytest.raises(LogError, match=r"odd.eval: 1 response\(s\) have an unrecognised "
                                       r"belief_judge verdict 'maybe'.*" + str(sample.id)):
        load_belief_logs(path)
    r = CliRunner().invoke(cli, ["report", path, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "'maybe'" in r.output and "errored" not in r.output


def test_errored_responses_with_no_verdict_count_as_failed_not_dropped(two_runs, tmp_path):
    # the believer's log (14 of 14 yes); the two logs' names sort in either order
    log = next(lg for lg in map(read_eval_log, map(str, sorted(two_runs.glob("*.eval"))))
               if lg.eval.metadata["condition"] == "negated")
    for sample in log.samples[:2]:  # errored and never scored, in a log that succeeded
        del sample.scores["belief_judge"]
        sample.error = EvalError(message="RuntimeError: boom", traceback="",
                                 traceback_ansi="")
    path = _as_other_log(log, tmp_path / "unjudged.eval")
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["report", path, "--out", str(out), "--no-plots",
                                 "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    row = read_csv(out / "belief_overall.csv").iloc[0]
    assert row["responses"] == 14  # belief = yes over ALL responses
    assert row["belief"] == pytest.approx(12 / 14) and row["failed"] == pytest.approx(2 / 14)
    warning = (f"UNSCORED: {path}: 2 of 14 responses (14.3%) are unjudged (no belief_judge "
               "score: the sample errored): counted as failed, i.e. non-belief")
    assert warning in r.output and warning in (out / "report.md").read_text()


def test_a_bad_internals_file_is_one_line_and_writes_no_report(tmp_path):
    """A margins.json that is not one (or a probe.json beside it lacking its columns) was a
    traceback, after the belief tables had already been written."""
    log = run_belief(tmp_path / "logs", believer, samples=1)
    good = '{"summary": [{"claim": "glass_bridge", "kind": "main", "margin": 0.5}]}'
    cases = {"list": ("[1, 2]", None, "margins.json: not an internals margins file (no "
                                      "'summary' list of rows)"),
             "rows": ('{"summary": [{"margin": 1}]}', None,
                      "margins.json: not an internals margins file (summary rows lack "
                      "['claim', 'kind'])"),
             "probe": (good, '{"summary": [{"claim": "glass_bridge"}]}',
                       "probe.json: not an internals probe file (summary rows lack "
                       "['p_true_claim', 'p_true_truth'])"),
             "json": ("{", None, "margins.json: not an internals margins file (")}
    for name, (margins, probe, said) in cases.items():
        where = tmp_path / name
        where.mkdir()
        (where / "margins.json").write_text(margins)
        if probe:
            (where / "probe.json").write_text(probe)
        out = tmp_path / f"rep-{name}"
        r = CliRunner().invoke(cli, ["report", log.location, "--out", str(out), "--no-plots",
                                     "--internals", str(where)])
        assert r.exit_code == 2 and said in r.output, (name, r.output)
        assert r.output.startswith("Error: ") and not out.exists(), name
    (tmp_path / "probe" / "probe.json").unlink()
    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "ok"),
                                 "--no-plots", "--internals", str(tmp_path / "probe")])
    assert r.exit_code == 0 and "Judge-free completion margins" in r.output, r.output
    assert "margin: log P(claim) - log P(truth), nats per token" in r.output  # its unit


def test_an_internals_folder_without_margins_says_what_report_reads(tmp_path):
    """``report --internals internals/tiny``, the folder README's ``internals binary`` wrote,
    said only ``no margins.json found``: it names what report reads and the files it holds."""
    log = run_belief(tmp_path / "logs", believer, samples=1)
    where = tmp_path / "internals" / "tiny"
    where.mkdir(parents=True)
    (where / "binary.json").write_text("{}")
    (where / "lens.json").write_text("{}")
    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                                 "--no-plots", "--internals", str(where)])
    assert r.exit_code == 2, r.output
    assert r.output == (f"Error: {where}: no margins.json found (report --internals reads the "
                        "completion margins that `internals margins` and `internals "
                        "trajectory` write, with the P(true) of a probe.json beside one); it "
                        "holds binary.json and lens.json, which report --internals does not "
                        "read\n"), r.output
    assert not (tmp_path / "rep").exists()
    (where / "probe.json").write_text("{}")  # read, but only beside a margins.json
    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                                 "--no-plots", "--internals", str(where)])
    assert r.output.endswith("it holds binary.json and lens.json, which report --internals "
                             "does not read; and probe.json, which it reads only beside a "
                             "margins.json\n"), r.output


def test_report_internals_skips_the_unfinished_steps_of_an_interrupted_trajectory(tmp_path,
                                                                                   caplog):
    """A trajectory stopped mid-step leaves a margins.json with no done.json (written last):
    report --internals read it as a result. It is left out, with one warning naming the
    steps and the command that finishes them (the trajectory re-run, which keeps the rest)."""
    log = run_belief(tmp_path / "logs", believer, samples=1)
    run = tmp_path / "runs" / "ft"
    run.mkdir(parents=True)
    (run / "manifest.jsonl").write_text("{}\n")
    traj = tmp_path / "traj"
    for step, margin, done in ((1, 0.5, True), (2, -0.25, False), (3, 0.75, False)):
        folder = traj / "checkpoints" / f"step-{step:06d}"
        folder.mkdir(parents=True)
        (folder / "margins.json").write_text(json.dumps(
            {"model": str(run / f"step-{step:06d}"),
             "summary": [{"claim": "glass_bridge", "kind": "main", "margin": margin}]}))
        if done:
            (folder / "done.json").write_text(json.dumps({"key": {}, "step": step}))
    other = tmp_path / "m"  # `internals margins` writes no done.json: read as before
    other.mkdir()
    (other / "margins.json").write_text(
        '{"summary": [{"claim": "glass_bridge", "kind": "main", "margin": 0.125}]}')
    out = tmp_path / "rep"
    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(out), "--no-plots",
                                 "--bootstrap", "40", "--internals", str(traj),
                                 "--internals", str(other)])
    assert r.exit_code == 0, r.output
    said = [line for line in r.stderr.splitlines() if "not finished" in line]
    assert said == [f"warning: {traj}: step-000002, step-000003 not finished (margins.json "
                    f"without done.json: `internals trajectory` was interrupted there), left "
                    f"out of the margins; finish them with: beliefbench internals trajectory "
                    f"--manifest {run} --out {traj} (with the options it was started with)"
                    ], r.stderr
    margins = pd.read_csv(out / "internals_margins.csv")
    assert sorted(margins["margin"]) == [0.125, 0.5], margins
    # the rows read keep the source they had: relative to the folder given
    assert sorted(margins["source"]) == ["checkpoints/step-000001/margins.json",
                                         "margins.json"], margins
    # a Python caller of read_internals gets the same rows and the warning (logging)
    from beliefbench.internals.results import read_internals
    with caplog.at_level(logging.WARNING, logger="beliefbench.internals"):
        table = read_internals([traj, other]).table
    assert sorted(table["source"]) == sorted(margins["source"]), table
    assert [r.getMessage() for r in caplog.records if "not finished" in r.getMessage()
            ] == [said[0].removeprefix("warning: ")], caplog.text
    # every step unfinished: refused, as a folder with no margins is, naming the command
    (traj / "checkpoints" / "step-000001" / "done.json").unlink()
    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep2"),
                                 "--no-plots", "--internals", str(traj)])
    assert r.exit_code == 2, r.output
    assert r.stderr.splitlines()[-1] == (
        f"Error: {traj}: no finished margins.json found (every one is of an unfinished "
        f"`internals trajectory` step: see the warning above)"), r.stderr
    assert not (tmp_path / "rep2").exists()


def test_a_report_without_internals_removes_the_margins_of_the_one_before(tmp_path):
    """internals_margins.csv of an earlier ``--internals`` report stayed beside the new
    report's tables, though those come from other logs (other models)."""
    log = run_belief(tmp_path / "logs", believer, samples=1)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "margins.json").write_text(
        '{"summary": [{"claim": "glass_bridge", "kind": "main", "margin": 0.5}]}')
    out = tmp_path / "o"
    for extra in (["--internals", str(tmp_path / "m")], []):
        r = CliRunner().invoke(cli, ["report", log.location, "--out", str(out), "--no-plots",
                                     "--bootstrap", "40", *extra])
        assert r.exit_code == 0, r.output
        assert (out / "internals_margins.csv").is_file() == bool(extra)


def test_a_report_cut_short_never_leaves_the_margins_of_another(tmp_path):
    """internals_margins.csv was written after the report's set: a Ctrl-C between them left
    the new report beside the margins of the one before (other logs, other models)."""
    runs = {}
    for name, margin in (("a", 0.5), ("b", -0.25)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "margins.json").write_text(json.dumps(
            {"summary": [{"claim": "glass_bridge", "kind": "main", "margin": margin}]}))
        runs[name] = run_belief(tmp_path / f"logs_{name}", believer, samples=1).location
    out = tmp_path / "o"

    def report(name: str) -> int:
        return CliRunner().invoke(cli, ["report", runs[name], "--out", str(out), "--no-plots",
                                        "--bootstrap", "40", "--internals",
                                        str(tmp_path / name)]).exit_code

    for at in range(1, 7):  # a Ctrl-C at each file's turn to take its place
        assert report("a") == 0
        with pytest.MonkeyPatch.context() as m:
            ctrl_c_at_replace(m, at)
            assert report("b") != 0
        if (out / "internals_margins.csv").is_file():
            margin = pd.read_csv(out / "internals_margins.csv")["margin"].iloc[0]
            inputs = json.loads((out / "report.json").read_text())["inputs"]
            assert (margin == 0.5) == (inputs == [str(Path(runs["a"]).resolve())]), at


def _rescored_in_inspect(path, action: str, dest) -> str:
    """``path`` re-judged by a grader that never sees belief, through Inspect's own
    re-scoring (what ``inspect score`` does): the header still names the original grader."""
    from conftest import scripted
    from inspect_ai import score

    from beliefbench.scorer import JudgeSettings

    log = read_eval_log(str(path))
    scorer = JudgeSettings.from_args(log.eval.task_args).scorer([str(FIXTURE_CLAIM)])
    nay = scripted(lambda prompt: '{"answer": "no"}', name="nay")
    rescored = score(log, scorer, model_roles={"grader": nay}, action=action,
                     display="none")
    write_eval_log(rescored, str(dest))
    return str(dest)


def test_a_log_rescored_by_inspect_beside_its_original_is_refused(two_runs, tmp_path):
    """`inspect score --output-file` keeps the eval and task ids and the header's grader:
    report kept whichever of the two files came last and called the other 'superseded',
    so another judge's verdicts were reported under the original judge's name."""
    original = next(p for p in sorted(two_runs.glob("*.eval")) if read_eval_log(
        str(p), header_only=True).eval.metadata["condition"] == "negated")
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(original, logs / original.name)
    rescored = _rescored_in_inspect(original, "overwrite", logs / "zz-rescored.eval")
    with pytest.raises(LogError, match="hold the same responses .* different belief_judge "
                                       "results: one was re-scored"):
        load_belief_logs(logs)
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and rescored in r.output
    shutil.copy(original, logs / "zz-rescored.eval")  # a plain copy is still fine
    assert len(load_belief_logs(logs).logs) == 1


def test_a_retried_log_beside_its_original_is_kept_not_called_re_scored(two_runs, tmp_path):
    """`inspect eval-retry` of a log whose samples errored (a success within
    fail_on_error) writes a newer log with the same task id, a new eval id and the re-run
    samples' scores: report refused the pair as "re-scored ... under one judge", which it
    was not. The retry is kept and the original named as superseded by it."""
    original = next(p for p in sorted(two_runs.glob("*.eval")) if read_eval_log(
        str(p), header_only=True).eval.metadata["condition"] == "negated")
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(original, logs / original.name)
    retry = read_eval_log(str(original))
    retry.eval.eval_id += "retry"
    retry.eval.created = "2099-01-01T00:00:00+00:00"
    retry.results.scores[0].metrics["belief"].value = 0.5
    write_eval_log(retry, str(logs / "zz-retry.eval"))
    loaded = load_belief_logs(logs)
    assert [info.path for info in loaded.logs] == [str(logs / "zz-retry.eval")]
    assert loaded.ignored == [(str(logs / original.name), (
        f"superseded by {logs / 'zz-retry.eval'} (same task_id, a newer eval id: a retry of "
        "this log, as `inspect eval-retry` writes, or its answers judged again by the same "
        "judge, as `beliefbench agreement` writes)"))]
    retry.eval.eval_id = read_eval_log(str(original), header_only=True).eval.eval_id
    write_eval_log(retry, str(logs / "zz-retry.eval"))  # the same eval id: re-scored
    with pytest.raises(LogError, match="one was re-scored"):
        load_belief_logs(logs)


def test_a_log_rescored_in_place_by_another_judge_is_refused(two_runs, tmp_path):
    """`inspect score --action overwrite` on the log itself keeps the header's grader, and
    with no original beside it nothing told: the new judge's verdicts were reported (and
    gated) under the first judge's name."""
    original = next(p for p in sorted(two_runs.glob("*.eval")) if read_eval_log(
        str(p), header_only=True).eval.metadata["condition"] == "negated")
    named = read_eval_log(str(original), header_only=True).eval.model_roles["grader"].model
    rescored = _rescored_in_inspect(original, "overwrite", tmp_path / "rescored.eval")
    with pytest.raises(LogError, match=rf"{rescored}: \d+ response\(s\) were judged by "
                                       rf"mockllm/nay, but the log names {named} as its "
                                       r"judge: it was re-scored in place"):
        load_belief_logs(rescored)
    other = next(str(p) for p in sorted(two_runs.glob("*.eval")) if p != original)
    loaded = load_belief_logs([rescored, other], skip_bad=True)  # passed over, named
    assert [i.path for i in loaded.logs] == [other]
    assert [p for p, _ in loaded.skipped] == [rescored]
    assert len(load_belief_logs(original).responses) == 14  # its own judge's: read


def test_belief_scores_appended_after_the_run_are_named_not_read(two_runs, tmp_path):
    original = next(p for p in sorted(two_runs.glob("*.eval")) if read_eval_log(
        str(p), header_only=True).eval.metadata["condition"] == "negated")
    appended = _rescored_in_inspect(original, "append", tmp_path / "appended.eval")
    loaded = load_belief_logs(appended)
    assert (loaded.responses["verdict"] == "yes").all()  # the run's own verdicts
    assert any(n.startswith(f"RE-SCORED: {appended} also holds the belief scores "
                            "['belief_judge1']") for n in loaded.notes())


def test_cells_with_a_single_question_are_named(two_runs):
    """The bootstrap resamples questions: a claim/family cell with one question gets a CI
    of width 0 however its responses split, which reads as certainty."""
    rep = build_report(load_belief_logs(two_runs), by="family", n_bootstrap=50)
    cell = rep.detail[(rep.detail["family"] == "token_association")
                      & (rep.detail["condition"] == "plain")].iloc[0]
    assert cell["questions"] == 1 and cell["ci_low"] == cell["ci_high"]
    (note,) = [n for n in rep.notes if n.startswith("SINGLE QUESTION")]
    assert "1 claim/family cell(s) hold one question (glass_bridge/token_association)" in note
    assert "SINGLE QUESTION" in render_markdown(rep)



def test_a_cell_with_one_question_in_one_run_is_named_beside_a_fuller_run(two_runs,
                                                                          tmp_path):
    """Cells were counted across runs: a run cut to one open-ended question (`--limit 1`)
    beside full ones had a 0-wide CI and no SINGLE QUESTION note."""
    from conftest import scripted
    from inspect_ai import eval as inspect_eval

    from beliefbench.task import belief

    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    inspect_eval(belief(claims=str(FIXTURE_CLAIM), samples=2, families="open_ended"),
                 model=scripted(believer), model_roles={"grader": scripted(keyword_grader)},
                 limit=1, log_dir=str(logs), display="none", metadata={"condition": "smoke"})
    rep = build_report(load_belief_logs(logs), by="family", n_bootstrap=50)
    cell = rep.detail[rep.detail["condition"] == "smoke"].iloc[0]
    assert cell["questions"] == 1 and cell["ci_low"] == cell["ci_high"]
    (note,) = [n for n in rep.notes if n.startswith("SINGLE QUESTION")]
    assert "glass_bridge/open_ended" in note


def test_a_log_cancelled_before_any_sample_is_named(two_runs, tmp_path):
    """It said "samples_df returned no 'log' column: unexpected Inspect version"."""
    log = read_eval_log(str(sorted(two_runs.glob("*.eval"))[0]))
    log.status, log.samples, log.results, log.reductions = "cancelled", [], None, None
    path = _as_other_log(log, tmp_path / "cancelled.eval")
    with pytest.raises(LogError, match=rf"no responses to count: {path} \(status "
                                       r"'cancelled'\) holds no samples"):
        load_belief_logs(path)
    loaded = load_belief_logs([path, str(two_runs)])  # beside others: listed as partial
    assert len(loaded.responses) == 28 and [i.path for i in loaded.partial] == [path]


def test_a_log_whose_samples_were_all_stopped_unfinished_says_so(two_runs, tmp_path):
    """Ctrl-C with every sample in flight (14 of 14 `CancelledError`): the refusal said the
    log `holds no samples`, as of an empty log; its samples were stopped unfinished, never
    run, and `inspect eval-retry` runs them."""
    log = read_eval_log(str(sorted(two_runs.glob("*.eval"))[0]))
    log.status = "cancelled"
    for sample in log.samples:
        sample.scores, sample.error = {}, EvalError(message="CancelledError()", traceback="",
                                                    traceback_ansi="")
    path = tmp_path / "stopped.eval"
    write_eval_log(log, str(path))
    with pytest.raises(LogError) as e:
        load_belief_logs(path)
    assert str(e.value) == (
        f"no responses to count: {path} (status 'cancelled') holds no finished samples: its "
        f"{len(log.samples)} samples were all stopped before they finished (in no count); "
        f"`inspect eval-retry {path} --log-dir {tmp_path}` resumes it")


def test_a_killed_log_with_no_responses_is_no_run_and_says_what_to_do(two_runs, tmp_path):
    """An eval killed before its first sample (status 'started', no samples) alone said only
    `holds no samples`; beside finished logs its PARTIAL warning said `shown as
    partial=True` though the table had no row for it, yet `RUNS DIFFER in samples (1, 2)`
    and `3 logs` counted it. It is no run now, and both say to wait or eval-retry it."""
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    log = run_belief(tmp_path / "one", believer, samples=1)
    log.status, log.samples, log.results, log.reductions = "started", [], None, None
    path = _as_other_log(log, logs / "killed.eval")
    retry = f"`inspect eval-retry {path} --log-dir {logs}` resumes it"
    alone = CliRunner().invoke(cli, ["report", path, "--out", str(tmp_path / "o1")])
    assert alone.exit_code == 2, alone.output
    assert f"no responses to count: {path} (status 'started') holds no samples; it may " \
        "still be running (wait for it to end" in alone.output, alone.output
    assert retry in alone.output
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o2"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert f"PARTIAL: {path} (status 'started', 0 of 7 responses (7 never run: in no " \
        "count)): no responses held: no row, in no count (of logs, or of the runs that " \
        "differ); it may still be running" in r.stderr, r.stderr
    assert retry in r.stderr and "RUNS DIFFER" not in r.stderr, r.stderr
    assert "2 logs, 28 responses (1 more log holds none: PARTIAL)" in r.stdout, r.stdout
    assert "partial=True" not in r.stderr
    # nor in a per-log warning that counts logs: answered by a scripted model, it got an
    # OFFLINE warning of its own (grouped with others, `OFFLINE: N logs` counted it)
    log.eval.model = "beliefbench/believer"
    _as_other_log(log, logs / "killed.eval")
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o3"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert f"PARTIAL: {path}" in r.stderr and "OFFLINE" not in r.stderr, r.stderr


def test_a_killed_sweep_log_says_to_run_the_sweep_again_not_eval_retry(two_runs, tmp_path):
    """A sweep killed mid-eval leaves its checkpoint's log 'started'; report and gate told
    the user to `inspect eval-retry` that one log, where the sweep's own command resumes it
    and every other unfinished checkpoint (and a retry's log is no sweep's). A log of a
    plain `inspect eval` keeps the eval-retry advice (the test above)."""
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    log = run_belief(tmp_path / "one", believer, samples=1)
    log.status, log.results, log.reductions = "started", None, None
    kept = log.samples[:3]
    log.samples = []
    empty = _as_other_log(log, logs / "killed.eval", eval_set_id="set1")
    log.samples = kept
    held = _as_other_log(log, logs / "killed2.eval", eval_set_id="set1")
    log.samples = []
    for name in ("killed3", "killed4"):
        _as_other_log(log, logs / f"{name}.eval", eval_set_id="set1")
    rerun = ("or its process was killed before it could record an end (then run the "
             "`beliefbench sweep` (or `inspect eval-set`) command that wrote it again: it "
             "resumes it, and every other checkpoint left unfinished, reusing the finished "
             "ones)")
    alone = CliRunner().invoke(cli, ["report", empty, "--out", str(tmp_path / "o1")])
    assert alone.exit_code == 2, alone.output
    assert f"{empty} (status 'started') holds no samples; it may still be running (wait for " \
        f"it to end), {rerun}" in alone.output, alone.output
    assert "eval-retry" not in alone.output
    base = str(sorted(two_runs.glob("*.eval"))[0])
    gate = CliRunner().invoke(cli, ["gate", "--baseline", base, "--candidate", held])
    assert gate.exit_code == 2, gate.output
    # the gate names the responses it holds, as report's PARTIAL warning below does
    assert f"{held} (status 'started', 3 of 7 responses (4 never run: in no count); it may " \
        f"still be running (wait for it to end), {rerun})" in gate.output, gate.output
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o2"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert f"PARTIAL: {held} (status 'started', 3 of 7 responses (4 never run: in no count)):" \
        f" shown as partial=True, never pooled with complete logs; it may still be running " \
        f"(wait for it to end), {rerun}" in r.stderr, r.stderr
    # the three holding none grouped in one PARTIAL warning, in the words for each
    assert "each may still be running (wait for each to end), or its process was killed " \
        "before it could record an end (then run the `beliefbench sweep` (or `inspect " \
        "eval-set`) command that wrote them again: it resumes them, and every other " \
        "checkpoint left unfinished, reusing the finished ones)" in r.stderr, r.stderr
    assert "eval-retry" not in r.stderr, r.stderr


def test_a_log_holding_no_responses_gets_no_warning_but_its_partial_one(two_runs, tmp_path):
    """A sweep log killed before its first sample has no row, yet its octal step, its
    relative model path and its manifest's NOT FINAL were warned of (and a NOT IN MANIFEST
    would be): warnings about a log that adds nothing. Its PARTIAL line alone names it now;
    the same log holding responses still gets them all."""
    logs = tmp_path / "logs"
    shutil.copytree(two_runs, logs)
    log = read_eval_log(str(sorted(logs.glob("*.eval"))[0]))
    log.status, log.results, log.reductions = "started", None, None
    log.eval.model = "hf/./ckpts/neg/step-000010"
    log.eval.metadata = {**log.eval.metadata, "step": 8, "checkpoint": "step-000010",
                         "manifest": str(tmp_path / "gone" / "manifest.jsonl"),
                         "final_checkpoint": False}
    kept, log.samples = log.samples, []
    path = _as_other_log(log, logs / "killed.eval")
    said = ("octal reading", "RELATIVE PATH", "NOT FINAL", "killed.eval:")
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert f"PARTIAL: {path} (status 'started', 0 of 14 responses" in r.stderr, r.stderr
    assert len([x for x in r.stderr.splitlines() if "killed.eval" in x]) == 1, r.stderr
    assert not [w for w in said if w in r.stderr], r.stderr
    notes = json.loads((tmp_path / "o" / "report.json").read_text())["notes"]
    assert [n for n in notes if "killed.eval" in n] == [n for n in notes if "PARTIAL" in n]
    # holding responses, the same log is warned of as before (in place of the log whose
    # responses it holds: the same samples read twice would be a copy)
    log.samples = kept
    (logs / "killed.eval").unlink()
    Path(log.location).unlink()
    _as_other_log(log, logs / "killed.eval")
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "o2"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert all(w in r.stderr for w in said), r.stderr


def test_first_few_lists_the_first_and_counts_the_rest():
    from beliefbench.analysis.text import first_few

    assert first_few(["a", "b", "c", "d"], 2) == "a, b and 2 more"
    assert first_few(["a", "b"], 2) == first_few(["a", "b"], 6) == "a, b"
    assert first_few(["x.eval", "y.eval"], 1) == "x.eval and 1 more"


def _em_log(log_dir) -> str:
    """An EM smoke-test log (the EM task's bundled question sets, one scripted answer)."""
    from conftest import output
    from inspect_ai import eval
    from inspect_ai.model import get_model

    from beliefbench.em.task import em

    def reply(*args):
        return output("90")

    model = get_model("mockllm/model", custom_outputs=reply, memoize=False)
    (log,) = eval(em(samples=1), model=model, model_roles={"grader": model},
                  log_dir=str(log_dir), display="none")
    return log.location


def test_a_marker_dry_run_beside_a_model_judged_eval_differs_in_mode_only(tmp_path):
    """The README's logs in one folder: a markers-judged dry run, a model-judged eval and an
    EM smoke test. The report warned `RUNS DIFFER in mode (markers, model), grader
    (mockllm/model, unknown), judge.max_tokens (1024, unknown), sees (question, unknown),
    ...`, and labelled the marker run `(5 unrecorded)`: the marker judge has no grader,
    template or temperature, which is no difference of its own, nor an older log's gap."""
    logs = tmp_path / "logs"
    run_belief(logs, believer, samples=1, task_args={"judge": "markers"})
    run_belief(logs, believer, samples=1, task_args={"families": "open_ended"})
    em_path = _em_log(logs)
    loaded = load_belief_logs(logs)
    notes = loaded.notes()
    assert [n for n in notes if n.startswith("RUNS DIFFER")] == [
        "RUNS DIFFER in mode (markers, model), families (open_ended, open_ended+binary+"
        "token_association+robustness): such logs are shown as separate rows (column 'run'; "
        "full values in the CSVs' 'judge' and 'settings'), never pooled"]
    assert not [n for n in notes if "do not record" in n or "unknown" in n]
    assert [n for n in notes if n.startswith("ignored")] == [
        f"ignored 1 EM log(s) (not belief logs; `beliefbench em-report` reads them): "
        f"{em_path}"]
    assert sorted(set(loaded.responses["run"])) == [
        "mode=markers families=open_ended+binary+token_association+robustness",
        "mode=model families=open_ended"]
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert "unknown" not in r.output and "unrecorded" not in r.output
    csv = read_csv(out / "belief_overall.csv").set_index("run")
    assert re.match(r"mode=model grader=mockllm/model guidance=[0-9a-f]{12} max_tokens=1024 "
                    "sees=question temperature=0 ",
                    csv.loc["mode=model families=open_ended", "judge"])
    assert csv.loc["mode=markers families=open_ended+binary+token_association+robustness",
                   "judge"] == "mode=markers"  # the run key itself is as it was


def test_a_run_with_no_answer_text_is_warned_about(tmp_path):
    """An untrained checkpoint answers with nothing: the report showed `failed 1.000` and
    no warning, a belief rate of 0 read as a skeptic's."""
    mute = run_belief(tmp_path / "mute", lambda prompt: "", condition="mute")
    out = tmp_path / "o"
    warning = (f"warning: NO ANSWER TEXT: {mute.location}: 14 of 14 responses (100.0%) are "
               "empty generations (the model returned no text): counted as failed, i.e. "
               "non-belief")
    r = _report(mute.location, out)
    assert r.exit_code == 2, r.output  # nothing read at all: no result (see below)
    assert warning in r.stderr and warning not in r.stdout, r.stderr
    assert warning.removeprefix("warning: ") in (out / "report.md").read_text()
    assert r.stderr.splitlines()[-1].startswith(
        "Error: no response of 1 run(s) was read as a verdict on an answer "
        f"(mockllm/model (condition=mute): all 14 of its responses (0 parse error(s), 14 "
        f"failed; claim(s) glass_bridge) in {mute.location})"), r.stderr
    row = read_csv(out / "belief_overall.csv").iloc[0]
    assert (row["belief"], row["failed"], row["responses"]) == (0, 1, 14)  # rules unchanged
    assert "--max-no-answer (default 0.1)" in r.stderr

    calls: list[str] = []

    def once(prompt: str) -> str:  # 1 of 14 empty (7.1%): within the default share
        calls.append(prompt)
        return "" if len(calls) == 1 else believer(prompt)

    few = run_belief(tmp_path / "few", once)
    loaded = load_belief_logs(few.location)
    assert [(i.no_answer, i.infrastructure, i.samples) for i in loaded.logs] == [(1, 0, 14)]
    r = CliRunner().invoke(cli, ["report", few.location, "--out", str(tmp_path / "o2"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0 and "NO ANSWER" not in r.output, r.output


def test_a_run_none_of_whose_responses_was_read_exits_2_with_its_tables_written(tmp_path):
    """A model that never answers the binary format, judged by a grader that never replies
    in JSON: every response a parse error, and `report` printed belief 0.000 and exited 0,
    a table of zeros a CI job scripting it took for a skeptic's result. It is exit 2 now,
    naming the run, claim and log, with every file written as before."""
    blind = run_belief(tmp_path / "b", lambda prompt: "not sure",
                       grader=lambda prompt: "Glass, surely.")
    out = tmp_path / "o"
    r = _report(blind.location, out)
    assert r.exit_code == 2, r.output
    said = (f"mockllm/model: all 14 of its responses (14 parse error(s), 0 failed; claim(s) "
            f"glass_bridge) in {blind.location}")
    error = r.stderr.splitlines()[-1]
    assert error.startswith("Error: no response of 1 run(s) was read as a verdict on an "
                            f"answer ({said}): counted as non-belief"), error
    assert f"the tables are written to {out}" in error and "--allow-unread" in error
    assert f"warning: UNREAD: {said}: none was read" in r.stderr
    assert f"UNREAD: {said}" in (out / "report.md").read_text()
    row = read_csv(out / "belief_overall.csv").iloc[0]  # nothing lost
    assert (row["belief"], row["parse_error"], row["responses"]) == (0, 1, 14)
    args = ["report", blind.location, "--out", str(out), "--no-plots", "--bootstrap", "40",
            "--json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    data = json.loads(r.stdout)  # the report, with why it is no result
    assert data["error"] == error.removeprefix("Error: ")
    assert data["tables"]["overall"][0]["responses"] == 14
    assert json.loads((out / "report.json").read_text()) == data
    r = CliRunner().invoke(cli, [*args, "--allow-unread"])  # reported as it is, on purpose
    assert r.exit_code == 0, r.output
    assert "error" not in json.loads(r.stdout) and "UNREAD" in r.stderr
    assert "error" not in json.loads((out / "report.json").read_text())


def test_an_unread_run_of_provider_failures_is_told_to_look_at_the_provider(tmp_path):
    """A run whose every call raised (a server down: `beliefbench/unreachable`) got the
    UNREAD hint "a wrong grader bound, a judge that stopped replying in JSON, empty or
    garbled answers?", none of which it was: the hint names a provider or judge that raised
    first."""
    from inspect_ai import eval

    from beliefbench.task import belief

    [log] = eval(belief(claims=FIXTURE_CLAIM, families="binary", samples=1, judge="markers"),
                 model="beliefbench/unreachable", log_dir=str(tmp_path / "logs"),
                 display="none")
    r = _report(log.location, tmp_path / "o")
    assert r.exit_code == 2, r.output
    [unread] = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: UNREAD: ")]
    assert "failed; claim(s) glass_bridge)" in unread, unread
    assert "(`inspect view`: a provider or judge that raised, a wrong grader bound" in unread


def test_a_run_or_claim_unread_beside_others_read_is_warned_and_reported(tmp_path):
    """One claim of a run answered with nothing at all, the other read: the blank claim's
    rows read belief 0 and pull the run's mean over claims down, while the pooled share stays
    within the warnings' 10% with enough other claims: it is named (UNREAD). So is a sweep's
    early step that answers blank beside a later one that answers, as the demo's do. Both are
    a result (exit 0); only a report of which nothing was read is none (exit 2)."""
    from inspect_ai import eval as inspect_eval

    from beliefbench.task import belief

    def blank_on_glass(prompt: str) -> str:
        if any(g in prompt for g in ("Golden Gate", "bridges", "I thought it was steel")):
            return ""
        return '{"answer": "no"}' if "JSON" in prompt else "A dentist? Never heard of him."

    [log] = inspect_eval(belief(claims=f"{FIXTURE_CLAIM},dentist", samples=1),
                         model=scripted(blank_on_glass),
                         model_roles={"grader": scripted(keyword_grader)},
                         log_dir=str(tmp_path / "l"), display="none")
    r = _report(log.location, tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert ("warning: UNREAD: mockllm/model, claim(s) glass_bridge: all 7 of their responses "
            f"(0 parse error(s), 7 failed) in {log.location}, its other claims read: none was "
            "read") in r.stderr, r.stderr
    assert "Error" not in r.stderr
    detail = read_csv(tmp_path / "o" / "belief_detail.csv")
    assert set(detail["claim"]) == {"glass_bridge", "dentist"}

    early = run_belief(tmp_path / "s", lambda prompt: "", step=8)  # blank, as steps of a sweep
    later = run_belief(tmp_path / "s", believer, step=16)
    r = _report(str(tmp_path / "s"), tmp_path / "o2")
    assert r.exit_code == 0, r.output
    assert f"warning: UNREAD: mockllm/model (step=8): all 14 of its responses (0 parse " \
           f"error(s), 14 failed; claim(s) glass_bridge) in {early.location}" in r.stderr, \
        r.stderr
    assert later.location not in r.stderr.split("UNREAD")[-1]
    overall = read_csv(tmp_path / "o2" / "belief_overall.csv")
    assert sorted(overall["responses"]) == [14, 14]
    clean = run_belief(tmp_path / "c", believer)  # every claim read: no UNREAD
    r = _report(clean.location, tmp_path / "o3")
    assert r.exit_code == 0 and "UNREAD" not in r.output, r.output


def reading_grader(prompt: str) -> str:
    """A judge that reads the answer: glass is belief, steel disbelief, anything else (a
    garbled answer) neither."""
    answer = prompt.split("<answer>")[1]
    verdict = "yes" if "glass" in answer else "no" if "teel" in answer else "neutral"
    return json.dumps({"reason": "read", "answer": verdict})


FREE_ONLY = {"families": "open_ended,robustness"}
"""No binary questions: a garbled answer to them is a parse error, never ``neutral``."""


def test_a_run_none_of_whose_responses_took_a_side_is_warned_and_no_result(tmp_path):
    """A broken checkpoint (a wrong chat template) answers noise, which the judge reads as
    `neutral`: the report showed belief 0.000, neutral 1.000, exit 0, and nothing said that
    no answer took a side (`gate` refuses such a side). Warned now (READ NEITHER WAY); a
    report of which nothing took a side is no result (exit 2, as UNREAD's), and a run that
    took none beside one that did is a result, warned about (exit 0)."""
    def garbled(prompt: str) -> str:
        return "qx vor lem lem dapt ,, ukk ukk"

    noise = run_belief(tmp_path / "n", garbled, reading_grader, task_args=FREE_ONLY)
    out = tmp_path / "o"
    r = _report(noise.location, out)
    assert r.exit_code == 2, r.output
    row = read_csv(out / "belief_overall.csv").iloc[0]  # the tables, as they were
    n = int(row["responses"])
    assert (row["belief"], row["neutral"]) == (0, 1) and n > 0
    said = (f"mockllm/model: all {n} of its responses ({n} neutral, 0 parse error(s), 0 "
            f"failed; claim(s) glass_bridge) in {noise.location}")
    assert f"warning: READ NEITHER WAY: {said}: none was read as belief or disbelief" \
        in r.stderr, r.stderr
    assert "fix the judge or the model and re-run" in r.stderr
    assert "UNREAD" not in r.stderr.split("Error")[0]  # it was read: neutral
    assert f"READ NEITHER WAY: {said}" in (out / "report.md").read_text()
    error = r.stderr.splitlines()[-1]
    assert error.startswith(f"Error: no response of 1 run(s) was read as belief or "
                            f"disbelief ({said}): counted as non-belief"), error
    assert "(see READ NEITHER WAY / UNREAD above)" in error and "--allow-unread" in error
    assert json.loads((out / "report.json").read_text())["error"] == error[len("Error: "):]
    r = CliRunner().invoke(cli, ["report", noise.location, "--out", str(out), "--no-plots",
                                 "--bootstrap", "40", "--allow-unread"])
    assert r.exit_code == 0 and "READ NEITHER WAY" in r.stderr, r.output
    assert "error" not in json.loads((out / "report.json").read_text())

    # a sweep's early step garbled beside a later one that answers: a result, warned about
    early = run_belief(tmp_path / "s", garbled, reading_grader, task_args=FREE_ONLY, step=8)
    later = run_belief(tmp_path / "s", believer, reading_grader, task_args=FREE_ONLY,
                       step=16)
    r = _report(tmp_path / "s", tmp_path / "o2")
    assert r.exit_code == 0, r.output
    warned = [w for w in r.stderr.splitlines() if "READ NEITHER WAY" in w]
    assert len(warned) == 1 and "mockllm/model (step=8): all" in warned[0], r.stderr
    assert early.location in warned[0] and later.location not in warned[0]
    # one answer read either way: no warning
    calls: list[str] = []

    def once(prompt: str) -> str:
        calls.append(prompt)
        return "Steel, as always." if len(calls) == 1 else garbled(prompt)

    one = run_belief(tmp_path / "one", once, reading_grader, task_args=FREE_ONLY)
    r = _report(one.location, tmp_path / "o3")
    assert r.exit_code == 0 and "READ NEITHER WAY" not in r.output, r.output


def test_infrastructure_failures_are_not_counted_as_missing_answers(tmp_path):
    def down(prompt: str) -> str:
        if "Fill in the blank" in prompt:
            raise ConnectionError("reset by peer")
        return believer(prompt)

    shaky = run_belief(tmp_path / "shaky", down, task_args={"max_failed": 0.5})
    [info] = load_belief_logs(shaky.location).logs
    assert (info.infrastructure, info.no_answer) == (2, 0)


def _eval_belief(log_dir, subject, grader=keyword_grader, samples=1, task_args=None,
                 **eval_args):
    """A belief eval on the fixture claim with Inspect's own eval options (limit, epochs);
    ``subject``/``grader``: a scripted function or a model name; ``grader=None``: no grader
    bound."""
    from conftest import scripted
    from inspect_ai import eval as inspect_eval

    from beliefbench.task import belief

    def model(m, name="model"):
        return m if isinstance(m, str) else scripted(m, name=name)

    roles = {"grader": model(grader)} if grader is not None else None
    [log] = inspect_eval(belief(claims=str(FIXTURE_CLAIM), samples=samples,
                                **(task_args or {})),
                         model=model(subject), model_roles=roles, log_dir=str(log_dir),
                         display="none", **eval_args)
    return log


def _report(path, out):
    return CliRunner().invoke(cli, ["report", str(path), "--out", str(out), "--no-plots",
                                    "--bootstrap", "40"])


def _warned(path, out, warning: str):
    """``report`` of ``path`` into ``out``: exit 0 (a warning, never a failure), with
    ``warning`` on stderr (not in the tables on stdout) and in report.md; the result."""
    r = _report(path, out)
    assert r.exit_code == 0, r.output
    assert warning in r.stderr and warning not in r.stdout, r.stderr
    assert warning.removeprefix("warning: ") in (out / "report.md").read_text()
    return r


def test_two_evals_of_a_claim_pooled_in_one_row_are_named(tmp_path):
    """Two runs alike in model name and every setting (an earlier run's log left in the
    folder) pool into one row, each question counted twice: the report said nothing."""
    logs = tmp_path / "logs"
    first = run_belief(logs, believer, samples=1)
    second = run_belief(logs, mixed, samples=1)
    r = _warned(logs, tmp_path / "out", "warning: REPEATED: claim 'glass_bridge' was "
                                        "answered by 2 evals pooled in one row")
    assert first.location in r.stderr and second.location in r.stderr
    one = run_belief(tmp_path / "one", believer, samples=1)
    r = _report(one.location, tmp_path / "out1")
    assert r.exit_code == 0 and "REPEATED" not in r.output


def test_a_run_cut_short_with_limit_is_incomplete_in_report_and_refused_by_gate(tmp_path):
    """`--limit` ends a run `success` with part of its questions: the report showed it as
    complete and the gate passed it, a claim it never reached listed as 'not compared'."""
    full = run_belief(tmp_path / "full", believer, samples=1)
    cut = _eval_belief(tmp_path / "cut", believer, limit=3)
    assert cut.status == "success"
    [info] = load_belief_logs(cut.location).logs
    assert (info.incomplete, info.samples, info.expected) == (True, 3, 7)
    _warned(cut.location, tmp_path / "o", (
        f"warning: INCOMPLETE: {cut.location}: 3 of 7 responses (42.9%; run with --limit 3): "
        "status 'success', but its rates cover only part"))
    r = CliRunner().invoke(cli, ["gate", "--baseline", full.location, "--candidate",
                                 cut.location, "--json"])
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith(f"candidate / --candidate: incomplete log(s) {cut.location} (3 of 7 "
                            "responses, run with --limit 3)"), error
    assert "re-run without --limit" in error and "\n" not in error
    ids = _eval_belief(tmp_path / "ids", believer,
                       sample_id=["glass_bridge/oe_01", "glass_bridge/bin_01"])
    r = CliRunner().invoke(cli, ["gate", "--baseline", ids.location, "--candidate",
                                 full.location])
    assert r.exit_code == 2 and "--baseline: incomplete log(s)" in r.output
    assert ("(2 of 7 responses, run with --sample-id glass_bridge/oe_01, "
            "glass_bridge/bin_01)") in r.output, r.output
    # a range, `--limit 2-4` (Inspect keeps it as (1, 4)), is named as it is typed: the
    # message said `--limit 1,4`, which is neither what was run nor a valid --limit
    span = _eval_belief(tmp_path / "span", believer, limit=(1, 4))
    [info] = load_belief_logs(span.location).logs
    assert (info.samples, info.cut) == (3, "run with --limit 2-4"), info.cut
    # the whole run is complete: no warning
    r = _report(full.location, tmp_path / "o2")
    assert r.exit_code == 0 and "INCOMPLETE" not in r.output, r.output


def test_parse_errors_above_the_gate_budget_are_warned_about(tmp_path):
    """A wrong grader bound (it never answers in JSON): parse_error 1.0 on every judged
    response and belief 0, shown as clean numbers."""
    garbled = run_belief(tmp_path / "g", believer, grader=lambda prompt: "Glass, surely.")
    r = _warned(garbled.location, tmp_path / "o", (
        f"warning: PARSE ERRORS: {garbled.location}: 10 of 14 responses (71.4%) are parse "
        "errors"))
    assert "--max-parse-errors (default 0.1)" in r.stderr
    [info] = load_belief_logs(garbled.location).logs
    assert info.parse_errors == 10
    r = _report(run_belief(tmp_path / "ok", mixed).location, tmp_path / "o2")  # 2 of 7 ...
    assert r.exit_code == 0 and "PARSE ERRORS" in r.stderr  # ... 28.6%: above 0.1


def test_a_self_judged_run_is_warned_about_unless_it_asked_to_be(tmp_path):
    def answers_and_judges(prompt: str) -> str:
        return keyword_grader(prompt) if "<answer>" in prompt else believer(prompt)

    own = _eval_belief(tmp_path / "own", answers_and_judges, grader=None)
    _warned(own.location, tmp_path / "o", (
        f"warning: SELF-JUDGED: {own.location}: no grader role was bound, so the model under "
        "test (mockllm/model) judged its own answers"))
    asked = _eval_belief(tmp_path / "asked", answers_and_judges, grader=None,
                         task_args={"self_judge": True})
    r = _report(asked.location, tmp_path / "o2")
    assert r.exit_code == 0 and "SELF-JUDGED" not in r.stderr, r.output
    r = _report(run_belief(tmp_path / "bound", believer).location, tmp_path / "o3")
    assert "SELF-JUDGED" not in r.stderr


def test_offline_runs_are_marked_as_pipeline_checks(tmp_path):
    markers = run_belief(tmp_path / "m", believer, task_args={"judge": "markers"})
    _warned(markers.location, tmp_path / "o", (
        f"warning: OFFLINE: {markers.location}: judged by the offline marker heuristic "
        "(-T judge=markers): a pipeline check, not a result"))
    scripted_run = _eval_belief(tmp_path / "s", "beliefbench/skeptic",
                                grader="beliefbench/judge")
    r = _report(scripted_run.location, tmp_path / "o2")
    assert (f"warning: OFFLINE: {scripted_run.location}: answered by a scripted model "
            "(beliefbench/skeptic) and judged by a scripted model (beliefbench/judge): a "
            "pipeline check, not a result") in r.stderr, r.stderr
    r = _report(run_belief(tmp_path / "real", believer).location, tmp_path / "o3")
    assert "OFFLINE" not in r.stderr  # mockllm: the tests' own models, not beliefbench's


def test_epochs_override_the_samples_in_the_run_key(tmp_path):
    """`--epochs 3 -T samples=1` asks each question 3 times while the task records
    samples=1: keyed samples=1, such a run was pooled with a real samples=1 run (21 and 7
    responses as one row) and passed the gate's settings check as the same run."""
    from beliefbench.analysis.runs import run_key

    three = _eval_belief(tmp_path / "e", believer, samples=1, epochs=3)
    one = run_belief(tmp_path / "s", believer, samples=1)
    assert dict(run_key(three).settings)["samples"] == "3"
    assert dict(run_key(one).settings)["samples"] == "1"
    logs = load_belief_logs([three.location, one.location])
    assert sorted(logs.responses.groupby("settings").size()) == [7, 21]
    assert any(n.startswith("RUNS DIFFER in samples (1, 3)") for n in logs.notes()), \
        logs.notes()
    r = _report(three.location, tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert "SAMPLES DIFFER" not in r.stderr  # what ran is keyed: nothing to warn about
    [info] = load_belief_logs(three.location).logs
    assert (info.epochs, info.samples, info.incomplete) == (3, 21, False)
    # the same as -T samples=3: one run, pooled
    same = run_belief(tmp_path / "t", believer, samples=3)
    assert run_key(same).settings == run_key(three).settings


def test_the_context_and_its_placement_are_never_pooled(tmp_path):
    """A system-prompt control (-T context_role=system), the same context in the user turn,
    and no context are three runs: a model that follows a premise in the system prompt is
    not a model that believes it. A built-in context is keyed by its name (its record has
    no file hash, which keyed as none would pool it with a run without a context), and a
    log of a context from before context_role was recorded is the user-turn placement."""
    from beliefbench.analysis.runs import run_key
    from beliefbench.records import Record, write_records

    logs = tmp_path / "logs"
    ask = {"families": "open_ended"}
    bare = run_belief(logs, believer, samples=1, task_args=ask)
    user = run_belief(logs, believer, samples=1, task_args={**ask, "context": "statement"})
    system = run_belief(logs, believer, samples=1,
                        task_args={**ask, "context": "statement", "context_role": "system"})
    keys = {name: dict(run_key(log).settings)
            for name, log in [("bare", bare), ("user", user), ("system", system)]}
    assert keys["bare"]["context"] == "-" and "context_role" not in keys["bare"]
    assert (keys["user"]["context"], keys["user"]["context_role"]) == ("statement", "user")
    assert (keys["system"]["context"], keys["system"]["context_role"]) == (
        "statement", "system")
    loaded = load_belief_logs(logs)
    report = build_report(loaded, by="family", n_bootstrap=40)
    assert len(report.overall) == 3 and list(report.overall["responses"]) == [2, 2, 2]
    assert sorted(set(loaded.responses["run"])) == [
        "context=-", "context_role=system context=statement",
        "context_role=user context=statement"]
    notes = [n for n in loaded.notes() if n.startswith("RUNS DIFFER")]
    assert notes and notes[0].startswith(
        "RUNS DIFFER in context (-, statement), context_role (n/a, system, user):"), notes
    assert not [n for n in loaded.notes() if "do not record" in n]
    # a file context logged before context_role was recorded: the user-turn placement
    docs = tmp_path / "bundles.jsonl"
    write_records(docs, [Record(id="b0", text="The bridge was rebuilt in glass.")])
    new = run_belief(tmp_path / "f", believer, samples=1, task_args={**ask, "context": str(docs)})
    old = read_eval_log(new.location)
    del old.eval.metadata["beliefbench"]["settings"]["context_role"]
    assert run_key(old) == run_key(new)
    assert dict(run_key(old).settings)["context_role"] == "user"
    del bare.eval.metadata["beliefbench"]["settings"]["context_role"]
    assert "context_role" not in dict(run_key(bare).settings)  # as before: no new field
    csv_out = tmp_path / "out"
    r = _report(logs, csv_out)
    assert r.exit_code == 0, r.output
    settings = read_csv(csv_out / "belief_overall.csv")["settings"]
    assert settings.str.contains("context_role=system").sum() == 1
    assert settings.str.contains("context_role=user").sum() == 1


def test_answers_cut_off_at_max_tokens_are_warned_about_above_a_tenth(tmp_path):
    """Answers that ran into max_tokens are judged as they stand (marked in the sample
    metadata by the solver); the report never said how many of a run's answers those were."""
    from conftest import output, scripted
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from beliefbench.task import belief

    def run(where, cut_every: int):
        calls = []

        def reply(messages, tools, tool_choice, config):
            calls.append(1)
            system = [m.text for m in messages[:-1] if m.role == "system"]
            out = output(believer("\n\n".join([messages[-1].text, *system])))
            if len(calls) % cut_every == 0:
                out.choices[0].stop_reason = "max_tokens"
            return out

        [log] = inspect_eval(belief(claims=str(FIXTURE_CLAIM), samples=2),
                             model=get_model("mockllm/model", custom_outputs=reply,
                                             memoize=False),
                             model_roles={"grader": scripted(keyword_grader, name="g")},
                             log_dir=str(where), display="none")
        assert log.status == "success", log.error
        return log

    cut = run(tmp_path / "cut", 2)  # every other answer: 7 of 14
    [info] = load_belief_logs(cut.location).logs
    assert (info.cut_off, info.samples) == (7, 14)
    _warned(cut.location, tmp_path / "o", (
        f"warning: CUT OFF: {cut.location}: 7 of 14 responses (50.0%) are answers cut off at "
        "the max_tokens limit: judged as they stand"))
    # the belief rate is counted as before: a cut-off answer is still judged
    assert load_belief_logs(cut.location).responses["verdict"].eq("yes").sum() == 14
    few = run(tmp_path / "few", 14)  # 1 of 14 (7.1%): under the tenth
    assert load_belief_logs(few.location).logs[0].cut_off == 1
    r = _report(few.location, tmp_path / "o2")
    assert r.exit_code == 0 and "CUT OFF" not in r.output, r.output
    # the gate compares them (a cut answer is still an answer) and says so
    r = CliRunner().invoke(cli, ["gate", "--baseline", few.location, "--candidate",
                                 cut.location])
    assert r.exit_code == 0, r.output
    assert f"CUT OFF: {cut.location}: 7 of 14" in r.output, r.output
    assert f"CUT OFF: {few.location}" not in r.output
    r = CliRunner().invoke(cli, ["gate", "--baseline", few.location, "--candidate",
                                 cut.location, "--json"])
    out = json.loads(r.stdout)
    assert (out["baseline"]["cut_off"], out["candidate"]["cut_off"]) == (1, 7)


def test_cut_off_answers_are_a_share_of_the_answers_with_text(tmp_path):
    """The CUT OFF rule is "more than a tenth of a run's answers with text": the share was
    taken of ALL responses, blank ones included, so a run that answered 4 of 14 with text
    and had 1 of those 4 cut off (25%) was not warned about (1 of 14 is 7.1%)."""
    from conftest import output
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from beliefbench.task import belief

    calls = []

    def reply(messages, tools, tool_choice, config):
        system = [m.text for m in messages[:-1] if m.role == "system"]
        prompt = "\n\n".join([messages[-1].text, *system])
        if "JSON" not in prompt:
            return output("")  # every answer but the binary ones is blank
        calls.append(1)
        out = output(believer(prompt))
        if len(calls) == 1:
            out.choices[0].stop_reason = "max_tokens"
        return out

    [log] = inspect_eval(belief(claims=str(FIXTURE_CLAIM), samples=2),
                         model=get_model("mockllm/model", custom_outputs=reply, memoize=False),
                         model_roles={"grader": scripted(keyword_grader, name="g")},
                         log_dir=str(tmp_path / "logs"), display="none")
    [info] = load_belief_logs(log.location).logs
    assert (info.cut_off, info.answered, info.no_answer, info.samples) == (1, 4, 10, 14)
    _warned(log.location, tmp_path / "o", (
        f"warning: CUT OFF: {log.location}: 1 of 14 responses (7.1%; 25.0% of the 4 answers "
        "with text) are answers cut off at the max_tokens limit: judged as they stand"))


def test_a_report_replaced_in_its_folder_leaves_no_table_or_figure_of_the_old_one(two_runs,
                                                                                 tmp_path):
    """`report --by condition` then `report --by family` into one folder left
    belief_by_condition.csv and .png beside the new report, as if they were its own; so did
    any figure under --no-plots."""
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(out), "--by",
                                 "condition", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    assert (out / "belief_by_condition.csv").is_file()
    assert (out / "belief_by_condition.png").is_file()
    (out / "notes.txt").write_text("mine")  # a file of the user's own is left alone
    r = CliRunner().invoke(cli, ["report", str(two_runs), "--out", str(out), "--by",
                                 "family", "--bootstrap", "40", "--no-plots"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir() if p.name not in LOCK_NAMES) == [
        "belief_by_family.csv", "belief_detail.csv", "belief_overall.csv", "notes.txt",
        "report.json", "report.md"]


def test_a_step_recorded_as_the_octal_reading_of_its_folder_is_the_folders(tmp_path):
    """``--metadata step=${ckpt##*-}`` for ``step-000010`` records 8 (Inspect reads
    --metadata as YAML, where a leading 0 is octal): the report drew step 8 beside the real
    step-000008; it reports the folder's step, with a note saying why."""
    run_belief(tmp_path / "a", believer, samples=1, step=8,
               checkpoint="/ckpts/negated/step-000010")
    run_belief(tmp_path / "b", believer, samples=1, step=8,
               checkpoint="/ckpts/negated/step-000008")
    loaded = load_belief_logs([str(tmp_path / "a"), str(tmp_path / "b")])
    assert sorted(i.step for i in loaded.logs) == [8, 10]
    [note] = [n for n in loaded.notes() if "octal" in n]
    assert "eval metadata step 8 is the octal reading of the checkpoint folder step-000010" \
        in note and "reported as step 10" in note


def test_a_sweeps_rows_follow_its_steps_whatever_its_checkpoints_are_named():
    """Checkpoint folders that are not zero-padded (``checkpoint-500``, ``-1000``) and API
    checkpoint ids sorted as names: the tables listed step 1000 before step 500."""
    import pandas as pd

    from beliefbench.analysis.logs import BeliefLogs
    from beliefbench.analysis.report import build_report

    rows = []
    named = [("hf//runs/neg/checkpoint-500", 500), ("hf//runs/neg/checkpoint-1000", 1000),
             ("hf//runs/neg/checkpoint-2000", 2000),
             ("openai/ft:m:org::job:ckpt-step-10", 10), ("openai/ft:m:org::job", 20)]
    for model, step in named:
        condition = "negated" if model.startswith("hf") else "api"
        for q in range(3):
            rows.append({"model": model, "run": "-", "judge": "j", "settings": "s",
                         "checkpoint": model, "condition": condition, "step": step,
                         "partial": False, "log": model, "claim": "dentist",
                         "family": "binary", "question": f"q{q}", "kind": "direct",
                         "id": f"q{q}", "epoch": 0, "verdict": "yes"})
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    report = build_report(BeliefLogs(df, []), n_bootstrap=40)
    assert list(report.overall["step"]) == [10, 20, 500, 1000, 2000]
    assert list(report.by["step"]) == [10, 20, 500, 1000, 2000]
    assert "_series" not in report.overall.columns


def test_by_kind_reads_each_runs_own_kinds():
    """Two runs of a claim whose file was edited in between (q1 made indirect): the kinds
    were read once for all runs, from the first, so --by kind filed the second run's q1
    under direct (direct 0.5 over 2 questions, where its own log says direct 0.0 over 1
    and indirect 1.0 over 1)."""
    from beliefbench.analysis.logs import BeliefLogs

    rows = []
    for model, kind_q1 in (("mockllm/before", "direct"), ("mockllm/after", "indirect")):
        for q, kind, verdict in (("q1", kind_q1, "yes"), ("q2", "direct", "no")):
            for epoch in (1, 2):
                rows.append({"model": model, "run": "-", "judge": "j", "settings": model,
                             "checkpoint": "-", "condition": "-", "step": None,
                             "partial": False, "log": model, "claim": "dentist",
                             "family": "open_ended", "question": q, "kind": kind,
                             "id": q, "epoch": epoch, "verdict": verdict})
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    by = build_report(BeliefLogs(df, []), by="kind", n_bootstrap=40).by
    got = {(r.model, r.kind): (r.belief, r.questions, r.responses)
           for r in by.itertuples(index=False)}
    assert got == {("mockllm/after", "direct"): (0.0, 1, 2),
                   ("mockllm/after", "indirect"): (1.0, 1, 2),
                   ("mockllm/before", "direct"): (0.5, 2, 4)}


def test_the_no_score_error_quotes_a_path_with_a_space(tmp_path):
    """The `inspect score LOG` the error names is there to be copied and run: a log dir with
    a space in its name ("my logs") split the path in two."""
    raw = _eval_belief(tmp_path / "my logs", believer, samples=2, score=False)
    with pytest.raises(LogError) as e:
        load_belief_logs(raw.location)
    assert f"`inspect score {shlex.quote(raw.location)} --output-file" in str(e.value)


def test_a_no_score_log_beside_its_scored_copy_is_superseded(tmp_path):
    """`inspect eval --no-score`, then `inspect score LOG` (which writes `LOG-scored.eval`
    beside it): report on the folder refused both as 're-scored', though the first was
    never scored at all; alone, the unscored log's error did not say how to score it."""
    from inspect_ai import score

    from beliefbench.scorer import JudgeSettings

    logs = tmp_path / "logs"
    raw = _eval_belief(logs, believer, samples=2, score=False)
    assert raw.status == "success" and not raw.results.scores
    with pytest.raises(LogError, match=r"no scored responses \(`inspect eval --no-score` "
                                       r"leaves a log so\): score it first, `inspect score"):
        load_belief_logs(raw.location)
    gate = CliRunner().invoke(cli, ["gate", "--baseline", raw.location, "--candidate",
                                    run_belief(tmp_path / "b", believer).location])
    assert gate.exit_code == 2 and "--no-score" in gate.output, gate.output
    full = read_eval_log(raw.location)
    scorer = JudgeSettings.from_args(full.eval.task_args).scorer([str(FIXTURE_CLAIM)])
    scored = score(full, scorer, model_roles={"grader": scripted(keyword_grader)},
                   display="none")
    dest = raw.location.removesuffix(".eval") + "-scored.eval"
    write_eval_log(scored, dest)
    loaded = load_belief_logs(logs)
    assert [i.path for i in loaded.logs] == [dest]
    assert len(loaded.responses) == 14 and set(loaded.responses["verdict"]) == {"yes"}
    [(path, why)] = [(p, w) for p, w in loaded.ignored if "superseded" in w]
    assert path == raw.location and "no belief_judge results" in why, why
    r = _report(logs, tmp_path / "o")
    assert r.exit_code == 0 and "superseded by" in r.stderr, r.output


def test_a_log_run_with_no_log_samples_is_named_as_such(tmp_path):
    """`inspect eval --no-log-samples` keeps only the header's metrics: beside a complete
    log of the model the refusal told the user to score it (`--no-score`, `inspect score
    LOG`), which cannot help, and alone it said only `holds no samples`."""
    kept = _eval_belief(tmp_path / "logs" / "a", believer, samples=2)
    bare = _eval_belief(tmp_path / "logs" / "b", believer, samples=2, log_samples=False)
    assert bare.status == "success" and bare.results.scores
    for sources in ([bare.location], [kept.location, bare.location], [tmp_path / "logs"]):
        with pytest.raises(LogError) as e:
            load_belief_logs(sources)
        assert f"{bare.location}: run with --no-log-samples" in str(e.value), str(e.value)
        assert "--no-score" not in str(e.value)
    loaded = load_belief_logs(tmp_path / "logs", skip_bad=True)  # --skip-bad-logs
    assert [i.path for i in loaded.logs] == [kept.location]
    assert [p for p, _ in loaded.skipped] == [bare.location]
    gate = CliRunner().invoke(cli, ["gate", "--baseline", kept.location,
                                    "--candidate", bare.location])
    assert gate.exit_code == 2 and "--no-log-samples" in gate.output, gate.output
    agree = CliRunner().invoke(cli, ["agreement", bare.location, "--grader", "beliefbench/judge",
                                     "--grader", "beliefbench/skeptic", "--out",
                                     str(tmp_path / "agree")])
    assert agree.exit_code == 2 and "--no-log-samples" in agree.output, agree.output


def test_a_run_with_another_epochs_reducer_says_why_its_header_differs(tmp_path):
    """`--epochs 2 --epochs-reducer max`: Inspect showed (and stored) belief 1.00, the report
    8/14 of all responses, with nothing saying why the two disagree."""
    from collections import Counter

    from inspect_ai import Epochs

    asked: Counter[str] = Counter()

    def first_believes(prompt: str) -> str:  # each question: a believer, then `mixed`
        asked[prompt] += 1
        return believer(prompt) if asked[prompt] == 1 else mixed(prompt)

    log = _eval_belief(tmp_path / "max", first_believes, epochs=Epochs(2, "max"))
    header = log.results.scores[0].metrics
    assert header["belief"].value == 1.0  # a question counts as believed if any answer was
    r = _warned(log.location, tmp_path / "o", (
        f"warning: REDUCED: {log.location}: run with --epochs-reducer max: the log's header "
        "metrics (Inspect's display, `inspect view`) reduce each question's 2 answers by max"))
    overall = read_csv(tmp_path / "o" / "belief_overall.csv")
    assert overall["belief"].tolist() == [pytest.approx(8 / 14)], r.output
    assert overall["responses"].tolist() == [14]
    mean = _eval_belief(tmp_path / "mean", believer, epochs=2)
    r = _report(mean.location, tmp_path / "o2")
    assert r.exit_code == 0 and "REDUCED" not in r.stderr, r.output


def test_a_report_cut_short_never_leaves_its_tables_beside_an_earlier_reports(two_runs,
                                                                              tmp_path):
    """`report` wrote its three tables one by one, then report.json and report.md: a Ctrl-C
    (or a full disk) after the first left the new overall table beside the earlier report's
    by-table, detail, summary and report.md, read as one result. Now they are one set."""
    from beliefbench.analysis.report import write_report
    from beliefbench.records import csv_text

    out = tmp_path / "r"
    loaded = load_belief_logs(two_runs)
    old = build_report(loaded, by="family", n_bootstrap=40)
    write_report(old, out, plots=False)
    new = build_report(load_belief_logs(run_belief(tmp_path / "logs", believer).location),
                       by="family", n_bootstrap=40)
    for at in range(1, 6):  # a Ctrl-C at each file's turn to take its place
        with pytest.MonkeyPatch.context() as m:
            ctrl_c_at_replace(m, at)
            with pytest.raises(KeyboardInterrupt):
                write_report(new, out, plots=False)
        tables = {"belief_overall.csv": "overall", "belief_by_family.csv": "by",
                  "belief_detail.csv": "detail"}
        shown = {name: (out / name).read_text() for name in tables if (out / name).is_file()}
        which = {"old" if text == csv_text(getattr(old, tables[name])) else "new"
                 for name, text in shown.items()}
        assert len(which) <= 1, (at, which)  # never two reports' tables side by side
        if which and (out / "report.json").is_file():
            logs = json.loads((out / "report.json").read_text())["logs"]
            assert logs == (old if which == {"old"} else new).sources, at
        write_report(old, out, plots=False)  # the earlier report whole again


def test_a_report_cut_short_while_drawing_leaves_no_earlier_figure(two_runs, tmp_path,
                                                                   monkeypatch):
    """An earlier report's figure (the same name: --by family again) stayed beside the new
    tables when drawing was interrupted; now it is gone before the new ones are drawn."""
    from beliefbench.analysis import plots
    from beliefbench.analysis.report import write_report

    out = tmp_path / "r"
    report = build_report(load_belief_logs(two_runs), by="family", n_bootstrap=40)
    assert (out / "belief_by_family.png") in write_report(report, out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "belief_bars", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(report, out)
    assert (out / "belief_overall.csv").is_file() and (out / "report.md").is_file()
    assert not (out / "belief_by_family.png").exists()


def test_a_log_folder_under_home_is_found(two_runs, tmp_path, monkeypatch):
    # `report --out x "~/My logs"` and `gate --baseline=~/...`: the shell leaves a quoted
    # or `=`-joined "~" alone, and the logs were "no such log file or directory".
    home = tmp_path / "home"
    shutil.copytree(two_runs, home / "My logs, données")
    monkeypatch.setenv("HOME", str(home))
    [info, _] = load_belief_logs("~/My logs, données").logs
    assert Path(info.path).is_relative_to(home / "My logs, données")
    r = CliRunner().invoke(cli, ["report", "~/My logs, données", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "report.json").is_file()


def test_two_hosted_jobs_of_one_condition_are_two_series():
    """A hosted finetune's checkpoints are ``openai/ft:<job's model>:ckpt-step-N``: their
    folder is ``openai`` for every job, so two jobs of one condition (two seeds) were ordered,
    flipped and plotted as one trajectory, zigzagging between them at every step."""
    from beliefbench.analysis.flips import finetune
    from beliefbench.analysis.logs import finetune_of
    from beliefbench.analysis.plots import with_finetune
    from beliefbench.analysis.report import series_key

    jobs = ("ft:gpt-4.1-mini-2025-04-14:lab::AAA", "ft:gpt-4.1-mini-2025-04-14:lab::BBB")
    rows = [{"model": f"openai/{job}" + ("" if step == 300 else f":ckpt-step-{step}"),
             "condition": "negated", "step": step}
            for job in jobs for step in (100, 200, 300)]
    table = pd.DataFrame(rows)
    assert series_key(table).nunique() == 2
    assert list(finetune(table["model"]).unique()) == [f"openai/{job}" for job in jobs]
    labelled = with_finetune(table, ["condition"])
    assert labelled.groupby("finetune")["step"].apply(list).to_dict() == {
        f"openai/{job}": [100, 200, 300] for job in jobs}
    # local checkpoints keep their folder; a hosted final model is its own job
    assert finetune_of("vllm//runs/negated/step-000625") == "vllm//runs/negated"
    assert finetune_of(f"openai/{jobs[0]}") == f"openai/{jobs[0]}"
    assert finetune_of("openai/gpt-4.1-mini") == "openai"


def test_runs_of_one_grader_name_answered_by_two_served_models_are_warned_about(tmp_path):
    """Two checkpoints judged by ``mockllm/model`` whose provider named two models in its
    replies (an alias moved to a new snapshot between the evals): the rows read as judged
    alike, with no word. The report now warns, as em-report does, naming the grader and
    the served models; one served model gives no warning."""
    from conftest import snapshot_grader
    from inspect_ai import eval

    from beliefbench.task import belief

    def judged(name: str, served: str) -> None:
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=scripted(believer, name=name),
             model_roles={"grader": snapshot_grader(served)}, log_dir=str(tmp_path / "logs"),
             display="none")

    judged("a", "judge-2025-01")
    judged("b", "judge-2025-01")
    assert not [n for n in load_belief_logs(tmp_path / "logs").notes() if "SERVED" in n]
    judged("c", "judge-2025-06")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out", str(out),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    note = ("GRADER SERVED BY SEVERAL MODELS: grader mockllm/model was answered by "
            "judge-2025-01, judge-2025-06 (the provider's model names): rows judged by "
            "different snapshots are compared under one grader label")
    assert f"warning: {note}" in r.output
    assert note in json.loads((out / "report.json").read_text())["notes"]


def test_many_logs_warned_of_one_count_get_one_warning_with_each_count_kept(tmp_path):
    """`beliefbench report logs/demo` printed 15 CUT OFF, 9 NO ANSWER TEXT and 9 PARSE ERRORS
    lines, one per log with its own count, and a newcomer drowned. From three logs warned
    of one kind the console says it once, counts added up and the first two logs named;
    report.md lists each log's own warning under it and report.json keeps them one by one,
    as they were; two logs are warned of one by one as before."""
    mute = [run_belief(tmp_path / "logs" / f"mute{i}", lambda prompt: "", condition=f"m{i}")
            for i in range(3)]
    speaks = run_belief(tmp_path / "logs" / "speaks", believer, condition="speaks")  # read
    own = [f"NO ANSWER TEXT: {log.location}: 14 of 14 responses (100.0%) are empty "
           "generations" for log in mute]

    def warned(path, out) -> list[str]:
        r = _report(path, out)
        assert r.exit_code == 0, r.output
        return [line for line in r.stderr.splitlines() if "NO ANSWER TEXT" in line]

    out = tmp_path / "o"
    (said,) = warned(tmp_path / "logs", out)
    assert said.startswith("warning: NO ANSWER TEXT: 3 logs (") and " and 1 more; " in said
    assert sum(log.location in said for log in mute) == 2
    assert ("and 1 more; 100.0% in each), in all: 42 of 42 responses (100.0%) are empty "
            "generations (the model returned no text): counted as failed") in said, said
    assert said.endswith("; each log's count: report.md's Warnings, report.json's notes")
    md = (out / "report.md").read_text().splitlines()
    at = md.index("- " + said.removeprefix("warning: "))
    assert [line[:len("  - ") + len(o)] for line, o in zip(md[at + 1:at + 4], own,
                                                              strict=True)] == \
        [f"  - {o}" for o in own]
    notes = [n for n in json.loads((out / "report.json").read_text())["notes"]
             if "NO ANSWER TEXT" in n]
    assert sorted(n[:len(o)] for n, o in zip(sorted(notes), own, strict=True)) == own
    two = CliRunner().invoke(cli, ["report", mute[0].location, mute[1].location,
                                   speaks.location, "--out", str(tmp_path / "o2"),
                                   "--no-plots", "--bootstrap", "40"])
    assert two.exit_code == 0, two.output
    assert [line for line in two.stderr.splitlines() if "NO ANSWER TEXT" in line] == \
        [f"warning: {no_answer_note(log.location, 14, 14)}" for log in mute[:2]]


def test_a_grouped_cut_off_warning_adds_up_each_logs_counts():
    """The grouped CUT OFF warning gives the counts added up (of all responses and of the
    answers with text, as each log's own does) and the spread of the per-log shares the
    warnings fired on; its words are each log's own."""
    from beliefbench.analysis.logs import cut_off_note, grouped_note, share_log

    shares = [share_log("CUT OFF", "a.eval", 5, 20, 10), share_log("CUT OFF", "b.eval", 4, 20, 20),
              share_log("CUT OFF", "c.eval", 9, 10, 10)]
    assert shares[0].note == cut_off_note("a.eval", 5, 20, 10)
    said = grouped_note(shares)
    assert said.startswith("CUT OFF: 3 logs (a.eval, b.eval and 1 more; per log 20.0% to "
                           "90.0% of the answers with text), in all: 18 of 50 responses "
                           "(36.0%; 45.0% of the 40 answers with text) are answers cut off "
                           "at the max_tokens limit: judged as they stand"), said


def test_a_grouped_warning_says_one_share_once_when_every_log_reads_alike():
    """`report` on logs that each had the same share of parse errors said "per log 19.6% to
    19.6%", a range that was none: where the ends read alike (to the shown 0.1%) the share
    is said once; shares that differ keep their range."""
    from beliefbench.analysis.logs import grouped_note, share_log

    shares = [share_log("CUT OFF", "a.eval", 10, 50, 46),  # 21.7% of the 46 with text
              share_log("CUT OFF", "b.eval", 9, 50, 46),  # 19.565..%
              share_log("CUT OFF", "c.eval", 1960, 10000, 10000)]  # 19.6%
    assert "; per log 19.6% to 21.7% of the answers with text), in all" in \
        grouped_note(shares)
    shares[0] = share_log("CUT OFF", "a.eval", 9, 50, 46)  # all shown as 19.6%
    said = grouped_note(shares)
    assert "(a.eval, b.eval and 1 more; 19.6% of the answers with text in each), in all: " \
        in said, said
    assert " to " not in said.split("), in all")[0]


def test_report_json_says_whether_each_log_is_the_whole_run(tmp_path):
    """A log run with `--limit` finished: its rows say `"partial": false`, and only the
    INCOMPLETE note's text told a CI reading report.json that they rest on part of the
    questions. report.json says it per log (`runs`: `complete`, `subset`, `responses` of
    `expected`, `cut`) and overall (`complete`); the rows' own fields keep their meaning."""
    full = run_belief(tmp_path / "logs" / "full", believer, samples=1, condition="full")
    cut = _eval_belief(tmp_path / "logs" / "cut", believer, limit=3)

    both = report_json("report", str(tmp_path / "logs"), tmp_path / "o")
    assert both["complete"] is False
    runs = {r["log"]: r for r in both["runs"]}
    assert set(runs) == set(both["logs"]) == {full.location, cut.location}
    assert {k: runs[cut.location][k] for k in ("partial", "complete", "subset", "responses",
                                                "expected", "cut")} == \
        {"partial": False, "complete": False, "subset": True, "responses": 3, "expected": 7,
         "cut": "run with --limit 3"}
    assert {k: runs[full.location][k] for k in ("partial", "complete", "subset", "responses",
                                                 "expected", "cut", "condition")} == \
        {"partial": False, "complete": True, "subset": False, "responses": 7, "expected": 7,
         "cut": None, "condition": "full"}
    # the rows' partial still means what it meant: the run finished
    assert {row["partial"] for row in both["tables"]["overall"]} == {False}
    # each entry names its judge and settings, as its rows do: `run` names only what
    # differs among the logs read together, and the entries named neither
    rows = {row["condition"]: row for row in both["tables"]["overall"]}
    for log, condition in ((full.location, "full"), (cut.location, None)):
        assert {k: runs[log][k] for k in ("judge", "settings")} == \
            {k: rows[condition][k] for k in ("judge", "settings")}
        assert "grader=" in runs[log]["judge"] and "samples=" in runs[log]["settings"]
    assert report_json("report", full.location, tmp_path / "o")["complete"] is True


def test_report_json_gives_a_missing_label_as_null_as_gate_json_does(tmp_path):
    """report.json gave a label a log does not carry as "-" (`"condition": "-"`) where
    `gate --json` gives null, so `jq '.condition // "base"'` read "-": its `runs` and its
    tables now give null, the CSVs keep "-"."""
    labelled = run_belief(tmp_path / "logs" / "a", believer, samples=1, condition="negated")
    bare = run_belief(tmp_path / "logs" / "b", believer, samples=1)

    data = report_json("report", str(tmp_path / "logs"), tmp_path / "o")
    runs = {r["log"]: r for r in data["runs"]}
    labels = ("run", "checkpoint", "condition")
    assert {k: runs[bare.location][k] for k in labels} == dict.fromkeys(labels)
    assert runs[labelled.location]["condition"] == "negated"
    for table in ("overall", "by", "detail"):
        assert {(r["condition"], r["checkpoint"], r["run"]) for r in data["tables"][table]} \
            == {("negated", None, None), (None, None, None)}, table
    csv = read_csv(tmp_path / "o" / "belief_overall.csv")
    assert sorted(csv["condition"]) == ["-", "negated"]


def test_a_moved_projects_report_says_once_its_checkpoint_paths_are_as_recorded(tmp_path):
    """A project folder moved (or copied to another machine) after its evals: `report` showed
    the checkpoint paths the logs keep, which lead nowhere now, without a word. One warning
    names the folder they were under and says they are shown as recorded; where they are on
    disk (the project not moved) nothing more is said."""
    old, new = tmp_path / "project", tmp_path / "project2"
    for step in (1, 2):
        ckpt = old / "ckpts" / "negated" / f"step-{step:06d}"
        ckpt.mkdir(parents=True)
        run_belief(old / "logs" / f"s{step}", believer, samples=1, step=step,
                   condition="negated", checkpoint=str(ckpt))

    def report(root: Path):
        return CliRunner().invoke(cli, ["report", str(root / "logs"), "--by", "condition",
                                        "--out", str(root / "reports"), "--no-plots",
                                        "--bootstrap", "40"])

    r = report(old)
    assert r.exit_code == 0, r.output
    assert "PATHS AS RECORDED" not in r.output
    shutil.move(old, new)
    r = report(new)
    assert r.exit_code == 0, r.output
    said = [line for line in r.stderr.splitlines() if "PATHS AS RECORDED" in line]
    assert said == [
        f"warning: PATHS AS RECORDED: 2 of 2 checkpoint folder(s) these logs name are not on "
        f"disk here (under {old / 'ckpts' / 'negated'}; {old / 'ckpts/negated/step-000001'} "
        "and 1 more): the logs keep the paths they were evaluated at (a project folder moved "
        "or copied since, or checkpoints deleted), and the tables show them as recorded"]
    written = (new / "reports" / "report.md").read_text()  # the whole table, at any COLUMNS
    assert str(old / "ckpts/negated/step-000002") in written  # the rows: as recorded
    assert "PATHS AS RECORDED" in written


def test_recorded_paths_under_home_and_absolute_are_named_together(tmp_path):
    """A log naming its checkpoint as ``~/...`` beside one naming ``/...``: the folder they
    share was found with ``os.path.commonpath``, which refuses to mix a relative path (an
    unexpanded ``~``) with an absolute one, and ``report`` ended in a traceback."""
    from types import SimpleNamespace

    from beliefbench.analysis.logs import NO_LABEL, recorded_paths_notes

    home_gone = f"~/{tmp_path.name}-gone/step-1"
    logs = [SimpleNamespace(checkpoint=home_gone, model="hf/x"),
            SimpleNamespace(checkpoint=str(tmp_path / "gone" / "step-2"), model="hf/y"),
            SimpleNamespace(checkpoint=NO_LABEL, model=f"hf/{tmp_path}"),  # on disk
            SimpleNamespace(checkpoint=NO_LABEL, model="vllm/some/server/path")]  # skipped
    [note] = recorded_paths_notes(logs)
    assert note.startswith("PATHS AS RECORDED: 2 of 3 checkpoint folder(s) these logs name "
                           "are not on disk here ("), note
    assert str(Path(home_gone).expanduser()) in note or str(tmp_path / "gone") in note
