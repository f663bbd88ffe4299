"""What ``beliefbench audit`` says, and leaves behind, when input is wrong (a newcomer's
report): a text field that no row has is one line naming the fields the rows do have; a
problem that repeats line after line is said once with its count; a corpus path that does
not exist is refused before anything is written; where no document could be read, nothing
is written; the closing line names the files that were written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cli_child

from beliefbench.audit.run import WORK
from beliefbench.cli import cli
from beliefbench.runlock import NAMES as LOCK_NAMES


def _rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _audit(*args: str, plot: bool = False):
    return CliRunner().invoke(cli, ["audit", *args, "--no-progress",
                                    *([] if plot else ["--no-plot"])])


def test_a_text_field_that_no_row_has_is_one_line_naming_the_fields_they_have(tmp_path,
                                                                              claim_text):
    """A misspelt --text-field printed 20 identical skip lines, "... N more", then "no
    document could be read", and wrote an empty report."""
    corpus = tmp_path / "c"
    for name, n in (("a.jsonl", 20), ("b.jsonl", 5)):
        _rows(corpus / name, [{"id": f"doc-{i}", "claim_id": "c", "text": claim_text}
                              for i in range(n)])
    out = tmp_path / "out"
    res = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(out), "--text-field",
                 "body")
    assert res.exit_code == 2
    assert res.output.splitlines() == [
        "Error: no row of the corpus has the text field 'body' (nor 'messages'): 25 rows "
        "skipped, no document could be read, nothing was written. The rows have the fields "
        "'text', 'id', 'claim_id': give --text-field one of them (most likely --text-field "
        "text, the field with the longest strings)"]
    assert not out.exists()
    # documents read from text files: the audit goes on, and the rows are still named
    (corpus / "notes.txt").write_text(claim_text)
    res = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(out), "--text-field",
                 "body")
    assert res.exit_code == 0, res.output
    assert ("warning: no row of the corpus has the text field 'body' (nor 'messages'): 25 "
            "rows skipped (the documents audited are text files). The rows have the fields "
            "'text', 'id', 'claim_id': give --text-field one of them") in res.output
    assert "skipped:" not in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == 1 and report["skipped"]["by_reason"] == {"missing text field": 25}


def test_a_problem_that_repeats_is_said_once_with_its_count(tmp_path, claim_text):
    """Rows that lack the field in a corpus where others have it are still named, but the
    same problem on line after line is one line and a count with a few places, not a line
    each; what is left after 20 problems is counted by reason."""
    path = _rows(tmp_path / "mixed.jsonl",
                 [{"text": claim_text}] * 3 + [{"body": "x", "id": i} for i in range(30)])
    with path.open("a") as f:
        f.write("{not json\n[1]\n[2]\n")
    others = []
    for i in range(18):  # files named by the user that the audit cannot read: each named
        others.append(tmp_path / f"table{i:02d}.csv")
        others[-1].write_text("a,b\n")
    res = _audit(str(path), *map(str, others), "--claims", "ed_sheeran", "--out",
                 str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.startswith("skipped:")]
    assert [x.split(": ")[1] for x in lines[:18]] == list(map(str, others))
    assert lines[18:] == [
        f"skipped: {path}:4: missing text field 'text' (and no 'messages'); line skipped",
        f"skipped: ... and 29 more like it (missing text field): {path}:5, :6, :7, ...",
        f"skipped: {path}:34: not valid JSON (Expecting property name enclosed in double "
        f"quotes at column 2); line skipped",
        # 20 problems said: past them, a reason not yet named still has its first place
        f"skipped: {path}:35: a list, not an object; line skipped",
        f"skipped: ... and 1 more like it (not an object): {path}:36"]
    assert "no row of the corpus" not in res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["skipped"]["by_reason"] == {"missing text field": 30, "not JSON": 1,
                                              "not an object": 2, "unknown file type": 18}
    assert report["skipped"]["problems"][18] == {
        "problem": "missing text field 'text' (and no 'messages'); line skipped",
        "reason": "missing text field", "count": 30, "where": [f"{path}:{n}" for n in (4, 5, 6, 7)]}
    assert report["skipped"]["examples"][18:] == [lines[18][9:], lines[20][9:],
                                                  lines[21][9:]]
    assert report["skipped"]["problems"][0] == {  # a file's problem: one entry per file
        "problem": lines[0][len(f"skipped: {others[0]}: "):], "reason": "unknown file type",
        "count": 1, "where": [str(others[0])]}
    # the problems past the first 20 are counted, and the tally keeps them apart
    res = _audit(str(path), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert f"skipped: {path}:35: a list, not an object; line skipped\n" \
           f"skipped: ... and 1 more like it (not an object): {path}:36\n" in res.output


def test_a_corpus_path_that_does_not_exist_is_refused_before_anything_is_written(tmp_path,
                                                                                 claim_text):
    """A misspelt corpus path wrote an empty report (and said so) before "no document could
    be read"."""
    out = tmp_path / "out"
    typo = tmp_path / "corpu"
    res = _audit(str(typo), "--claims", "ed_sheeran", "--out", str(out))
    assert res.exit_code == 2
    assert res.output == (f"Error: {typo}: no such file or directory (the only corpus path "
                          f"given); nothing was read or written\n")
    assert not out.exists()
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "gone.jsonl")
    res = _audit(str(typo), str(link), "--out", str(out), "--resume")
    assert res.exit_code == 2
    assert res.output == (f"Error: none of the corpus paths exists ({typo}: no such file or "
                          f"directory; {link}: a link to {tmp_path / 'gone.jsonl'} that leads "
                          f"nowhere); nothing was read or written\n")
    assert not out.exists()
    # beside a path that exists, it is a skip, said and counted, as the README promises
    good = _rows(tmp_path / "good.jsonl", [{"text": claim_text}])
    res = _audit(str(typo), str(good), "--claims", "ed_sheeran", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert f"skipped: {typo}: no such file or directory\n" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == 1 and report["skipped"]["by_reason"] == {"missing path": 1}
    # a misspelt name beside the right one is named with it (a file or a folder)
    res = _audit(str(tmp_path / "goood.jsonl"), "--claims", "ed_sheeran", "--out",
                 str(tmp_path / "o3"))
    assert res.exit_code == 2 and res.output == (
        f"Error: {tmp_path / 'goood.jsonl'}: no such file or directory (close names in "
        f"{tmp_path}: good.jsonl) (the only corpus path given); nothing was read or written\n")


def test_where_no_document_could_be_read_nothing_is_written(tmp_path, claim_text):
    """An audit that read no document wrote report.json, summary.md, sources.csv, the plot
    and an empty flagged.jsonl (over an earlier audit's), as if they were results."""
    blank = _rows(tmp_path / "blank.jsonl", [{"text": ""}, {"text": " "}])
    out = tmp_path / "deep" / "out"
    for resume in ((), ("--resume",)):
        res = _audit(str(blank), "--claims", "ed_sheeran", "--out", str(out), *resume,
                     plot=True)
        assert res.exit_code == 2
        assert res.output.splitlines()[-1] == ("Error: no document could be read from the "
                                               "corpus (2 skipped: see above); nothing was "
                                               "written")
        assert not (tmp_path / "deep").exists()  # the folders it made are gone again
    # an earlier audit's results in --out stay as they were, and the message says whose
    # (the same audit, its corpus since emptied: another corpus is refused before reading)
    good = _rows(tmp_path / "good.jsonl", [{"text": claim_text}])
    assert _audit(str(good), "--claims", "ed_sheeran", "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    kept = good.read_bytes()
    good.write_bytes(blank.read_bytes())
    res = _audit(str(good), "--claims", "ed_sheeran", "--out", str(out))
    good.write_bytes(kept)
    assert res.exit_code == 2
    assert res.output.splitlines()[-1].endswith(
        f"; nothing was written (the report.json, summary.md, flagged.jsonl in {out} are an "
        f"earlier audit's, left as they were)")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (out / WORK).exists()
    # and --resume runs the next audit whole (nothing half-done was left to resume)
    res = _audit(str(good), "--claims", "ed_sheeran", "--out", str(out), "--resume")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "report.json").read_text())["units_resumed"] == 0


def test_the_closing_line_names_the_files_written(tmp_path, claim_text):
    """framings.png was written but left out of the "wrote ..." line."""
    good = _rows(tmp_path / "good.jsonl", [{"text": claim_text}])
    for plot, names in ((True, "summary.md, report.json, framings.png, sources.csv, "
                               "flagged.jsonl"),
                        (False, "summary.md, report.json, sources.csv, flagged.jsonl")):
        out = tmp_path / f"out-{plot}"
        res = _audit(str(good), "--claims", "ed_sheeran", "--out", str(out), plot=plot)
        assert res.exit_code == 0, res.output
        assert res.output.splitlines()[-1].endswith(f"; wrote {out}/{names}")
        assert sorted(p.name for p in out.iterdir() if p.name not in LOCK_NAMES) == sorted(
            names.split(", "))


def test_the_skipped_count_says_which_part_the_gate_counts(tmp_path, claim_text):
    """The closing line said "skipped 3" and summary.md "Skipped: 3." where the gate's
    line said 1 piece of input could not be read: the other two were empty texts, which
    --max-skipped leaves out. Both now split the count; without such skips it is as was."""
    shard = _rows(tmp_path / "a.jsonl", [{"text": claim_text}, {"text": ""}, {"text": " "}])
    with shard.open("a") as f:
        f.write("not json\n")
    out = tmp_path / "o"
    res = _audit(str(shard), "--claims", "ed_sheeran", "--out", str(out), "--max-skipped", "1")
    assert res.exit_code == 0, res.output
    assert "; skipped 3 (1 unread; 2 empty texts); wrote" in res.output
    summary = (out / "summary.md").read_text()
    assert "Skipped: 3 (1 unread, which --max-skipped counts; 2 empty texts)." in summary
    res = _audit(str(shard), "--claims", "ed_sheeran", "--out", str(out), "--max-skipped", "0")
    assert res.exit_code == 3 and "gate: 1 piece of input could not be read" in res.output
    _rows(shard, [{"text": claim_text}, {"text": ""}])
    res = _audit(str(shard), "--claims", "ed_sheeran", "--out", str(out))
    assert "; skipped 1 (0 unread; 1 empty text); wrote" in res.output
    _rows(shard, [{"text": claim_text}])
    with shard.open("a") as f:
        f.write("not json\n")
    res = _audit(str(shard), "--claims", "ed_sheeran", "--out", str(out))
    assert "; skipped 1; wrote" in res.output
    assert "Skipped: 1.\n" in (out / "summary.md").read_text()


def test_report_json_records_the_gates_and_the_exit_they_gave(tmp_path, claim_text):
    """A pipeline that reads report.json in a later step (a dashboard, a job summing shards'
    audits) saw neither what --max-skipped counts (the reasons' total less empty texts: it
    had to know which reasons) nor what the gates decided. `skipped.unread` and `gate` say
    it, and `gate.exit` is the exit code of the real command, run as a CI step runs it."""
    shard = _rows(tmp_path / "a.jsonl", [{"text": claim_text}, {"text": ""}])
    with shard.open("a") as f:
        f.write("not json\n{cut\n")
    runs = [((), 0), (("--max-flagged", "0"), 1), (("--max-skipped", "1"), 3),
            (("--max-flagged", "1"), 3), (("--max-flagged", "1", "--max-skipped", "2"), 0),
            (("--max-flagged", "0", "--max-skipped", "0"), 1)]
    flagged, unread = "more documents flagged than --max-flagged", \
        "more input unread than --max-skipped"
    nothing = "no result: more input unread than documents read"
    said = {("--max-flagged", "0"): f"--max-flagged 0): {flagged}; {nothing}",
            ("--max-skipped", "1"): f"--max-skipped 1): {unread}",
            ("--max-flagged", "1"): f"--max-flagged 1): {nothing}",
            ("--max-flagged", "1", "--max-skipped", "2"): "--max-flagged 1, --max-skipped 2): "
                                                         "passed",
            ("--max-flagged", "0", "--max-skipped", "0"): f"--max-flagged 0, --max-skipped 0): "
                                                         f"{flagged}; {unread}"}
    for gates, code in runs:
        out = tmp_path / "o"
        proc = cli_child(["audit", str(shard), "--claims", "ed_sheeran", "--out", str(out),
                          "--no-progress", "--no-plot", *gates])
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == code, (gates, err)
        report = json.loads((out / "report.json").read_text())
        assert report["skipped"]["total"] == 3 and report["skipped"]["unread"] == 2
        given = dict(zip(gates[::2], map(int, gates[1::2]), strict=True))
        assert report["gate"] == {
            "max_flagged": given.get("--max-flagged"), "max_skipped": given.get("--max-skipped"),
            "over_max_flagged": "--max-flagged" in given and given["--max-flagged"] < 1,
            "over_max_skipped": "--max-skipped" in given and given["--max-skipped"] < 2,
            # --max-flagged alone, 2 pieces unread against the 1 document read
            "no_result": "--max-flagged" in given and "--max-skipped" not in given,
            "exit": code}, gates
        # summary.md, a CI artifact read without the exit code, says it too
        gate = [x for x in (out / "summary.md").read_text().splitlines()
                if x.startswith("Gate")]
        assert gate == ([f"Gate ({said[gates]}; exit {code}."] if gates else []), gates


def test_one_file_of_another_kind_is_said_in_the_singular(tmp_path, claim_text):
    """"ignored: 1 files in the corpus folders are not JSONL, ..." (a README beside the
    shards, the commonest case)."""
    _rows(tmp_path / "c" / "a.jsonl", [{"text": claim_text}])
    (tmp_path / "c" / "notes.csv").write_text("a,b\n")
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    assert "ignored: 1 file in the corpus folders is not JSONL, Parquet, Arrow or text " \
        "(.csv 1)" in res.output
    assert "1 of 1 sources holds flagged documents;" in (tmp_path / "o" / "summary.md") \
        .read_text()  # (was "1 of 1 sources hold")
    (tmp_path / "c" / "more.csv").write_text("a,b\n")
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert "ignored: 2 files in the corpus folders are not JSONL" in res.output


def test_a_corpus_of_only_other_kinds_of_file_is_named_in_the_error(tmp_path):
    """"no document could be read from the corpus (its folders hold only files of other
    kinds ...)" did not say which of the corpus paths given it meant."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "notes.csv").write_text("a,b\n")
    one, two = str(tmp_path / "a"), str(tmp_path / "b")
    res = _audit(one, "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2, res.output
    assert (f"Error: no document could be read from the corpus ({one}: its folders hold only "
            f"files of other kinds: see ignored above); nothing was written") in res.output
    res = _audit(one, two, "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and f"({one}, {two}: their folders hold only" in res.output


def test_problems_merge_over_units_and_survive_a_resume():
    """A problem met in several units (a large file cut into byte ranges, or units read by
    an interrupted run) is one entry after the merge, its places capped; past
    PROBLEMS_KEPT distinct problems only the counts grow, so memory stays bounded."""
    from beliefbench.audit.run import Tally
    from beliefbench.audit.sources import PLACES_KEPT, PROBLEMS_KEPT, Skips

    parts = []
    for start in (1, 100):
        s = Skips()
        for n in range(start, start + 3):
            s.add("missing text field", "missing text field 'text'; line skipped", f"a.jsonl:{n}",
                  repeats=True, no_field=True)
            s.without_field({"body": "x" * n, "n": n})
        s.text_rows = start - 1
        parts.append(Tally.from_json(Tally(skips=s).to_json()).skips)  # as a resume reads it
    total = Skips()
    for s in parts:
        total.merge(s)
    (entry,) = total.problems.values()
    assert entry["count"] == 6 and len(entry["where"]) == PLACES_KEPT
    assert entry["where"] == ["a.jsonl:1", "a.jsonl:2", "a.jsonl:3", "a.jsonl:100"]
    assert total.no_field_rows == 6 and total.text_rows == 99 and not total.field_in_no_row
    assert total.fields_instead() == ["body", "n"]
    for i in range(PROBLEMS_KEPT + 10):
        total.add("unreadable file", "cannot read: Permission denied", f"f{i}.jsonl")
    assert len(total.problems) == PROBLEMS_KEPT and total.counts["unreadable file"] == \
        PROBLEMS_KEPT + 10


# --- a misspelt --text-field, said while the audit reads on ------------------------------

TIMES = ("seconds", "docs_per_second", "cpu_seconds", "docs_per_cpu_second")


def _report(out: Path) -> dict:
    """report.json without its times (which differ run to run)."""
    report = json.loads((out / "report.json").read_text())
    return {k: v for k, v in report.items() if k not in TIMES}


def _warnings(output: str) -> list[str]:
    return [x for x in output.splitlines() if x.startswith("warning: ")]


def test_a_text_field_no_row_has_is_said_while_the_audit_reads_on(tmp_path, claim_text,
                                                                  monkeypatch):
    """A misspelt --text-field was said only once the whole corpus had been read (minutes
    of a large corpus for nothing). Now the first 1,000 rows of a file without it are
    enough: one warning, at once, names the file, the field asked for, the fields the rows
    have and the nearest of them, and the audit goes on to the same report as before."""
    from beliefbench.audit import sources
    from beliefbench.audit.sources import EARLY_ROWS, Fields, NoField, Skips, Unit, read_unit

    wrong = _rows(tmp_path / "c" / "wrong.jsonl",
                  [{"id": i, "text": f"row {i} of a shard", "meta": "m"} for i in range(1500)])
    _rows(tmp_path / "c" / "good.jsonl", [{"txt": claim_text}])
    # the reader tells it after the first EARLY_ROWS rows, not at the end of the file
    told: list[tuple[NoField, int]] = []
    skips = Skips()
    docs = list(read_unit(Unit("jsonl", str(wrong)), Fields(text="txt"), skips,
                          lambda e: told.append((e, skips.no_field_rows))))
    assert docs == [] and skips.no_field_rows == 1500
    [(e, read_then)] = told
    assert read_then == EARLY_ROWS == e.rows and not e.whole and not e.columns
    assert e.path == str(wrong) and e.names() == ["text", "meta", "id"]

    out = tmp_path / "out"
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(out),
                 "--text-field", "txt")
    assert res.exit_code == 0, res.output
    assert _warnings(res.stderr) == [
        f"warning: {wrong}: the first 1,000 rows have no text field 'txt' (nor 'messages'), "
        f"but the fields 'text', 'meta', 'id': did you mean --text-field text? The audit "
        f"goes on, skipping (and counting) such rows; Ctrl-C stops it."]
    assert res.stderr.index("warning: ") < res.stderr.index("skipped: ")  # said first
    assert "rows after its first" not in res.output and "no row of the corpus" not in \
        res.output
    # (its 'txt' row beside 1,500 rows of 'text': the option that reads both, at the end)
    assert ("note: 1,500 rows had no text field 'txt' (nor 'messages') while 1 document was "
            "read from rows that have it: if the corpus names its text two ways, --text-field "
            "txt,text reads both") in res.stderr
    report = _report(out)
    assert report["documents"] == 1 and \
        report["skipped"]["by_reason"] == {"missing text field": 1500}
    # the report is the one an audit without the warning writes
    monkeypatch.setattr(sources, "EARLY_ROWS", 10**9)
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"),
                 "--text-field", "txt")
    assert res.exit_code == 0
    [end] = _warnings(res.stderr)  # not while it reads: at the end (held_back)
    assert end.endswith("did you mean --text-field text? They were skipped (counted under "
                        "'missing text field').")
    assert _report(tmp_path / "o2") == report
    # where no row of the corpus has it, the end still says so and exits 2
    monkeypatch.undo()
    res = _audit(str(wrong), "--out", str(tmp_path / "o3"), "--text-field", "txt")
    assert res.exit_code == 2 and len(_warnings(res.stderr)) == 1
    assert res.stderr.splitlines()[-1].startswith(
        "Error: no row of the corpus has the text field 'txt' (nor 'messages'): 1500 rows")


def test_an_early_warning_that_later_rows_prove_wrong_is_taken_back_not_repeated(tmp_path,
                                                                                 claim_text):
    """Where the field first comes after the 1,000th row, the warning was early: the end
    names the file again with the documents read from it (an error line there would
    repeat a warning the corpus disproved); the counts and the exit are those of any
    rows without the field."""
    late = _rows(tmp_path / "late.jsonl", [{"body": f"note {i}", "n": i} for i in range(1200)]
                 + [{"text": claim_text, "n": i} for i in range(3)])
    out = tmp_path / "out"
    res = _audit(str(late), "--claims", "ed_sheeran", "--out", str(out))
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert warning.startswith(f"warning: {late}: the first 1,000 rows have no text field "
                              f"'text' (nor 'messages'), but the fields 'body', 'n': the "
                              f"longest strings are in 'body' (--text-field body?). The "
                              f"audit goes on")
    assert (f"note: {late}: rows after its first 1,000 have the text field: 3 documents "
            f"read from it (the warning above came early; the rows without the field are "
            f"among the skips)") in res.stderr
    assert "Error" not in res.output and "no row of the corpus" not in res.output
    assert "skipped: ... and 1199 more like it (missing text field)" in res.stderr
    report = _report(out)
    assert report["documents"] == 3 and \
        report["skipped"]["by_reason"] == {"missing text field": 1200}
    # under Dask the unit's tally reaches the driver whole: it found the field, so no warning
    res = _audit(str(late), "--claims", "ed_sheeran", "--out", str(tmp_path / "d"),
                 "--engine", "dask", "--scheduler", "synchronous")
    assert res.exit_code == 0, res.output
    assert not _warnings(res.stderr) and "rows after its first" not in res.stderr
    assert "--text-field text,body reads both" in res.stderr  # (either engine)
    assert _report(tmp_path / "d")["skipped"] == report["skipped"]


def test_the_early_warning_is_said_once_per_set_of_fields(tmp_path, claim_text):
    """Shards share their fields: one warning for all of them, not one per file; a file
    with other fields is warned of too. Small files count together: rows of the same fields
    in several files reach the 1,000 rows as one large file would."""
    c = tmp_path / "c"
    for i in range(3):
        _rows(c / f"a{i}.jsonl", [{"text": f"row {n}", "id": n} for n in range(1000)])
    for i in range(4):  # 4 x 300 rows: said at the fourth file
        _rows(c / f"b{i}.jsonl", [{"content": f"row {n}", "id": n} for n in range(300)])
    _rows(c / "z.jsonl", [{"txt": claim_text}])
    res = _audit(str(c), "--claims", "ed_sheeran", "--out", str(tmp_path / "out"),
                 "--text-field", "txt")
    assert res.exit_code == 0, res.output
    assert [w.split(" have no ")[0] for w in _warnings(res.stderr)] == [
        f"warning: {c / 'a0.jsonl'}: the first 1,000 rows",
        f"warning: {c / 'b3.jsonl'} and 3 other files: their 1,200 rows"]
    assert "did you mean --text-field text?" in _warnings(res.stderr)[0]
    assert "the longest strings are in 'content'" in _warnings(res.stderr)[1]
    assert _report(tmp_path / "out")["skipped"]["by_reason"] == {"missing text field": 4200}


@pytest.mark.parametrize("engine", [[], ["--engine", "dask", "--scheduler", "synchronous"]])
def test_small_files_without_the_text_field_are_warned_of_at_the_end(tmp_path, claim_text,
                                                                     engine):
    """A corpus of shards of two schemas, 'body' and 'text' (200 rows), audited with
    --text-field body: the 'text' shard's rows were 200 skips said as one line, "missing
    text field 'body'", and nothing said which field they have, since fewer than 1,000
    rows of its fields were read (the early warning's bound) and documents were read (no
    error at the end). The end of the run now warns of them, naming the field to give."""
    c = tmp_path / "c"
    wrong = _rows(c / "a.jsonl", [{"id": n, "text": f"A note on tides, {n}."}
                                  for n in range(200)])
    _rows(c / "b.jsonl", [{"id": n, "text": f"Another note, {n}."} for n in range(100)])
    _rows(c / "good.jsonl", [{"body": claim_text}])
    out = tmp_path / "out"
    res = _audit(str(c), "--claims", "ed_sheeran", "--out", str(out), "--text-field",
                 "body", *engine)
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)  # (the file named first: the first read)
    assert re.fullmatch(rf"warning: {re.escape(str(c))}/[ab]\.jsonl and 1 other file: their "
                        r"300 rows have no text field 'body' \(nor 'messages'\), but the "
                        r"fields 'text', 'id': the longest strings are in 'text' "
                        r"\(--text-field text\?\)\. They were skipped \(counted under "
                        r"'missing text field'\)\.", warning), warning
    assert res.stderr.index("skipped: ") < res.stderr.index("warning: ")  # at the end
    report = _report(out)
    assert report["documents"] == 1
    assert report["skipped"]["by_reason"] == {"missing text field": 300}
    # where every row lacks it, the end's error says it, not this warning too
    res = _audit(str(wrong), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"),
                 "--text-field", "body", *engine)
    assert res.exit_code == 2 and not _warnings(res.stderr), res.output


@pytest.mark.parametrize("engine", [[], ["--engine", "dask", "--scheduler", "synchronous"]])
def test_the_early_warning_comes_where_chunk_mb_cuts_a_file_before_1000_rows(tmp_path,
                                                                            claim_text, engine):
    """Only a file's first unit is watched: where --chunk-mb (or long documents: 64 MB
    holds fewer than 1,000 rows of 64 KB) ended it before the 1,000th row, no warning came
    at all, though the rest of the file was as wrong. Now the first unit's rows are enough."""
    c = tmp_path / "c"
    body = "x" * 2000  # about 2 KB a row: about 520 rows in the first 1 MB unit
    wrong = _rows(c / "wrong.jsonl", [{"body": body, "n": n} for n in range(1500)])
    _rows(c / "good.jsonl", [{"text": claim_text}])
    res = _audit(str(c), "--claims", "ed_sheeran", "--out", str(tmp_path / "out"),
                 "--chunk-mb", "1", *engine)
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert re.match(rf"warning: {re.escape(str(wrong))}: the first 5\d\d rows have no text "
                    r"field 'text' \(nor 'messages'\), but the fields 'body', 'n': the "
                    r"longest strings are in 'body' \(--text-field body\?\)", warning), warning
    report = _report(tmp_path / "out")
    assert report["units"] == 4 and report["skipped"]["by_reason"] == {"missing text field": 1500}


def test_parquet_files_and_saved_datasets_without_the_column_are_said_at_once(tmp_path,
                                                                             claim_text):
    """A Parquet or Arrow file without the column is skipped whole, as soon as its schema
    is read: it is said then, with its rows (from its metadata) and columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = {"text": [f"row {n}" for n in range(1500)], "n": list(range(1500))}
    pq.write_table(pa.table(rows), tmp_path / "a.parquet")
    _rows(tmp_path / "z.jsonl", [{"body": claim_text}])
    res = _audit(str(tmp_path / "a.parquet"), str(tmp_path / "z.jsonl"), "--claims",
                 "ed_sheeran", "--out", str(tmp_path / "out"), "--text-field", "body,txt")
    assert res.exit_code == 0, res.output
    assert _warnings(res.stderr) == [
        f"warning: {tmp_path / 'a.parquet'}: its 1,500 rows have no columns 'body', 'txt' "
        f"(nor 'messages'), but the columns 'text', 'n': closest: 'text' for 'txt'. The audit "
        f"goes on, skipping (and counting) such rows; Ctrl-C stops it.",
        # ('txt' is in no row read: the documents are the 'body' texts alone)
        "warning: --text-field 'body,txt': no row read has the field 'txt' (did you mean "
        "'text'?), so the documents are the other fields' text alone; the rows have the "
        "fields 'body'"]
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "ds"))
    _rows(tmp_path / "y.jsonl", [{"tetx": claim_text}])
    res = _audit(str(tmp_path / "ds"), str(tmp_path / "y.jsonl"), "--out",
                 str(tmp_path / "o2"), "--text-field", "tetx")
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert warning.startswith(f"warning: {tmp_path / 'ds'}/") and warning.endswith(
        ".arrow: its 1,500 rows have no column 'tetx' (nor 'messages'), but the columns "
        "'text', 'n': did you mean --text-field text? The audit goes on, skipping (and "
        "counting) such rows; Ctrl-C stops it.")


@pytest.mark.parametrize("scheduler", ["synchronous", "processes"])
def test_the_dask_engine_says_it_from_the_driver(tmp_path, claim_text, scheduler):
    """Dask's workers read the units: the driver says it as each unit's tally comes back
    (a worker's stderr may be another machine's), once per file."""
    c = tmp_path / "c"
    for i in range(2):
        _rows(c / f"a{i}.jsonl", [{"text": f"row {n}", "id": n} for n in range(1100)])
    _rows(c / "z.jsonl", [{"txt": claim_text}])
    res = _audit(str(c), "--claims", "ed_sheeran", "--out", str(tmp_path / "out"),
                 "--text-field", "txt", "--engine", "dask", "--scheduler", scheduler,
                 "--workers", "2")
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert re.match(rf"warning: {re.escape(str(c))}/a[01]\.jsonl: the first 1,000 rows have "
                    rf"no text field 'txt' .*did you mean --text-field text\?", warning)
    assert _report(tmp_path / "out")["skipped"]["by_reason"] == {"missing text field": 2200}


def test_a_resumed_audit_says_it_of_the_units_read_before(tmp_path, claim_text):
    """The units an interrupted run finished are not read again: what their readers saw is
    kept with their tallies, and said as the resumed run starts."""
    from beliefbench.audit.run import _fingerprint, _open_work, audit_unit_to
    from beliefbench.audit.sources import Fields, Skips, plan_units
    from beliefbench.claims import load_claims

    wrong = _rows(tmp_path / "a.jsonl", [{"text": f"row {n}"} for n in range(1200)])
    good = _rows(tmp_path / "b.jsonl", [{"txt": claim_text}])
    out, fields, claims = tmp_path / "out", Fields(text="txt"), load_claims("ed_sheeran")
    units = plan_units([wrong, good], Skips())
    _open_work(out / WORK, {"fingerprint": _fingerprint(units, claims, fields),
                            "units": len(units)}, resume=False)
    audit_unit_to(out / WORK, 0, units[0], claims, fields)  # interrupted after it
    res = _audit(str(wrong), str(good), "--claims", "ed_sheeran", "--out", str(out),
                 "--text-field", "txt", "--resume")
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert warning.startswith(f"warning: {wrong}: the first 1,000 rows have no text field "
                              f"'txt' (nor 'messages'), but the fields 'text'")
    report = _report(out)
    assert report["units_resumed"] == 1 and report["documents"] == 1


def test_a_resumed_audit_says_how_many_documents_it_did_not_read_itself(tmp_path,
                                                                        claim_text):
    """A resumed run whose units were all read before said "audited 4866 documents in 0.5
    s", its own seconds beside every document: summary.md said how many the interrupted run
    had read, the closing line did not."""
    from beliefbench.audit.run import _fingerprint, _open_work, audit_unit_to
    from beliefbench.audit.sources import Fields, Skips, plan_units
    from beliefbench.claims import load_claims

    first = _rows(tmp_path / "a.jsonl", [{"text": claim_text}, {"text": "Rain in Leeds."}])
    second = _rows(tmp_path / "b.jsonl", [{"text": claim_text}])
    out, fields, claims = tmp_path / "out", Fields(), load_claims("ed_sheeran")
    units = plan_units([first, second], Skips())
    _open_work(out / WORK, {"fingerprint": _fingerprint(units, claims, fields),
                            "units": len(units)}, resume=False)
    audit_unit_to(out / WORK, 0, units[0], claims, fields)  # interrupted after it
    res = _audit(str(first), str(second), "--claims", "ed_sheeran", "--out", str(out),
                 "--resume")
    assert res.exit_code == 0, res.output
    assert re.search(r"^audited 3 documents \(2 of them read by the interrupted run\) in "
                     r"[0-9.]+ s; flagged 2;", res.output, re.M), res.output
    res = _audit(str(first), str(second), "--claims", "ed_sheeran", "--out", str(out))
    assert re.search(r"^audited 3 documents in [0-9.]+ s; flagged 2;", res.output, re.M)


def test_a_cluster_address_without_the_dask_engine_is_refused(tmp_path):
    """`--scheduler tcp://host:8786` (or --workers) without --engine dask was ignored: the
    audit read the whole corpus in this process, the cluster never used, without a word."""
    corpus = _rows(tmp_path / "a.jsonl", [{"text": "Bread rises overnight."}])
    # one option "applies", two "apply" (it read "--workers apply to --engine dask")
    for extra, said in ((["--scheduler", "tcp://127.0.0.1:9"], "--scheduler applies"),
                        (["--workers", "2"], "--workers applies"),
                        (["--scheduler", "tcp://127.0.0.1:9", "--workers", "2"],
                         "--scheduler and --workers apply")):
        res = CliRunner().invoke(cli, ["audit", str(corpus), "--out", str(tmp_path / "o"),
                                       "--no-progress", "--no-plot", *extra])
        assert res.exit_code == 2, res.output
        assert f"{said} to --engine dask; add --engine dask" in res.output
        assert not (tmp_path / "o").exists()


def test_a_corpus_naming_its_text_two_ways_is_told_the_option_that_reads_both(tmp_path,
                                                                             claim_text):
    """A folder of `text` shards beside one of `content` rows: the early warning offered
    `--text-field content?`, which would leave the `text` shards unread, and the run ended
    with 1,200 skips and exit 0. A line at the end now gives the option that reads both."""
    _rows(tmp_path / "c" / "a.jsonl", [{"text": claim_text}] * 3)
    _rows(tmp_path / "c" / "z.jsonl", [{"id": i, "content": claim_text} for i in range(1200)])
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    assert ("note: 1,200 rows had no text field 'text' (nor 'messages') while 3 documents "
            "were read from rows that have it: if the corpus names its text two ways, "
            "--text-field text,content reads both (each row has one or the other)\n"
            ) in res.stderr
    res = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"),
                 "--text-field", "text,content")
    assert res.exit_code == 0 and "reads both" not in res.stderr, res.output
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    assert report["documents"] == 1203 and report["flagged"] == 1203
