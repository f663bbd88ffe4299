"""What ``beliefbench audit`` says, and leaves behind, when input is wrong (a newcomer's
report): a text field that no row has is one line naming the fields the rows do have; a
problem that repeats line after line is said once with its count; a corpus path that does
not exist is refused before anything is written; where no document could be read, nothing
is written; the closing line names the files that were written."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from beliefbench.audit.run import WORK
from beliefbench.cli import cli


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
        "error: no row of the corpus has the text field 'body' (nor 'messages'): 25 rows "
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
    assert report["documents"] == 1 and report["skipped"]["by_reason"] == {"bad text field": 25}


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
        f"skipped: ... and 29 more like it (bad text field): {path}:5, :6, :7, ...",
        f"skipped: {path}:34: not valid JSON (Expecting property name enclosed in double "
        f"quotes); line skipped",
        # 20 problems said: the rest by reason
        "skipped: ... 2 more (not an object 2; counts by reason in report.json)"]
    assert "no row of the corpus" not in res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["skipped"]["by_reason"] == {"bad text field": 30, "not JSON": 1,
                                              "not an object": 2, "unknown file type": 18}
    assert report["skipped"]["problems"][18] == {
        "problem": "missing text field 'text' (and no 'messages'); line skipped",
        "reason": "bad text field", "count": 30, "where": [f"{path}:{n}" for n in (4, 5, 6, 7)]}
    assert report["skipped"]["examples"][18:] == [lines[18][9:], lines[20][9:]]
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
    assert res.output == (f"error: {typo}: no such file or directory (the only corpus path "
                          f"given); nothing was read or written\n")
    assert not out.exists()
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "gone.jsonl")
    res = _audit(str(typo), str(link), "--out", str(out), "--resume")
    assert res.exit_code == 2
    assert res.output == (f"error: none of the corpus paths exists ({typo}: no such file or "
                          f"directory; {link}: a link that leads nowhere (or loops)); nothing "
                          f"was read or written\n")
    assert not out.exists()
    # beside a path that exists, it is a skip, said and counted, as the README promises
    good = _rows(tmp_path / "good.jsonl", [{"text": claim_text}])
    res = _audit(str(typo), str(good), "--claims", "ed_sheeran", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert f"skipped: {typo}: no such file or directory\n" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == 1 and report["skipped"]["by_reason"] == {"missing path": 1}


def test_where_no_document_could_be_read_nothing_is_written(tmp_path, claim_text):
    """An audit that read no document wrote report.json, summary.md, sources.csv, the plot
    and an empty flagged.jsonl (over an earlier audit's), as if they were results."""
    blank = _rows(tmp_path / "blank.jsonl", [{"text": ""}, {"text": " "}])
    out = tmp_path / "deep" / "out"
    for resume in ((), ("--resume",)):
        res = _audit(str(blank), "--claims", "ed_sheeran", "--out", str(out), *resume,
                     plot=True)
        assert res.exit_code == 2
        assert res.output.splitlines()[-1] == ("error: no document could be read from the "
                                               "corpus (2 skipped: see above); nothing was "
                                               "written")
        assert not (tmp_path / "deep").exists()  # the folders it made are gone again
    # an earlier audit's results in --out stay as they were, and the message says whose
    good = _rows(tmp_path / "good.jsonl", [{"text": claim_text}])
    assert _audit(str(good), "--claims", "ed_sheeran", "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    res = _audit(str(blank), "--claims", "ed_sheeran", "--out", str(out))
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
        assert sorted(p.name for p in out.iterdir()) == sorted(names.split(", "))


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
            s.add("bad text field", "missing text field 'text'; line skipped", f"a.jsonl:{n}",
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
