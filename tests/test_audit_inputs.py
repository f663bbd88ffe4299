"""Corpus layouts and records that once lost data, counted documents twice, hung, or ended
the audit with a traceback (a tester's sweep): each is now read, or skipped with a reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cli_child

from beliefbench.audit.sources import Skips, plan_units
from beliefbench.claims import load_claims, resolve_claims
from beliefbench.cli import cli


def _jsonl(path: Path, texts: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n"
                            for i, t in enumerate(texts)))
    return path


def _audit(*args: str) -> tuple[int, str, dict | None]:
    res = CliRunner().invoke(cli, ["audit", *args, "--no-progress", "--no-plot"])
    out = Path(args[list(args).index("--out") + 1])
    report = json.loads((out / "report.json").read_text()) \
        if res.exit_code in (0, 1) and (out / "report.json").exists() else None
    return res.exit_code, res.output, report


def test_a_folder_named_like_the_work_folder_is_never_deleted(tmp_path, claim_text,
                                                               monkeypatch):
    """The audit keeps finished units in <out>/audit-units and deleted whatever stood there
    without a plan.json: here the corpus itself."""
    corpus = _jsonl(tmp_path / "audit-units" / "shard.jsonl", [claim_text])
    monkeypatch.chdir(tmp_path)
    code, output, _ = _audit("audit-units", "--claims", "ed_sheeran", "--out", ".")
    assert code == 2, output
    assert "audit-units: exists and is not an audit's work folder (it has no plan.json, " \
           "and holds shard.jsonl); choose another --out, or move it" in output
    assert corpus.read_text().count("\n") == 1
    # a damaged plan is named, and nothing is deleted either
    work = tmp_path / "o" / "audit-units"
    work.mkdir(parents=True)
    (work / "plan.json").write_text("{}")
    code, output, _ = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 2 and f"{work / 'plan.json'}: not the plan of an unfinished audit" in output
    assert (work / "plan.json").exists()


def test_out_inside_the_corpus_is_not_read_as_corpus(tmp_path, claim_text):
    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text, "A note on the weather in Leeds."])
    out = corpus / "aud"
    for plot in (True, False):  # the second run would have read the first one's flagged.jsonl
        res = CliRunner().invoke(cli, ["audit", str(corpus), "--claims", "ed_sheeran", "--out",
                                       str(out), "--no-progress",
                                       *([] if plot else ["--no-plot"])])
        assert res.exit_code == 0, res.output
        report = json.loads((out / "report.json").read_text())
        assert report["documents"] == 2 and report["skipped"]["total"] == 0
        # nor counted its report, plot and sources.csv among the folder's other files
        assert report["ignored_in_folders"] == {} and "ignored" not in res.output
        assert [r["source"] for r in report["sources"]["top"]] == [str(corpus / "a.jsonl")]
        # what audit-verify writes there (a Markdown summary quoting the claim) is no corpus
        (out / "verification.md").write_text(f"# Verification\n\n{claim_text}\n")
        (out / "verification.json").write_text("{}")
        _jsonl(out / "verified.jsonl", [claim_text])
    # what it left out: its own files, not the corpus's
    units = plan_units([corpus], Skips(), exclude=[corpus / "aud"])
    assert [Path(u.path).name for u in units] == ["a.jsonl"]


def test_each_file_is_read_once_and_links_are_followed(tmp_path, claim_text):
    """A path named twice, a file and its folder, a dataset dict inside a folder (its
    splits were read once more on their own), a linked folder (not read at all), a link
    to a file already read, a link that leads nowhere, a link loop."""
    datasets = pytest.importorskip("datasets")
    gen = tmp_path / "gen"
    _jsonl(gen / "a.jsonl", [claim_text] * 3)
    top = tmp_path / "top"
    _jsonl(top / "b.jsonl", [claim_text] * 2)
    ds = datasets.Dataset.from_dict({"text": [claim_text] * 4})
    datasets.DatasetDict({"train": ds, "test": ds.select(range(1))}).save_to_disk(
        str(top / "wrap" / "dd"))
    (top / "linked").symlink_to(gen, target_is_directory=True)
    (top / "same.jsonl").symlink_to(top / "b.jsonl")
    (top / "nowhere.jsonl").symlink_to(tmp_path / "missing.jsonl")
    (top / "loop").symlink_to(top, target_is_directory=True)
    (top / "self.jsonl").symlink_to("self.jsonl")  # a loop of links: said as one, not "nowhere"
    code, output, report = _audit(str(top), str(top), str(top / "b.jsonl"), f"{top}/",
                                  "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 + 2 + 4 + 1
    assert report["skipped"]["by_reason"] == {"broken link": 2}
    assert f"{top / 'nowhere.jsonl'}: a link to {tmp_path / 'missing.jsonl'} that leads " \
           f"nowhere" in output
    assert f"{top / 'self.jsonl'}: a link to self.jsonl that loops back on itself" in output
    flagged = (tmp_path / "o" / "flagged.jsonl").read_text().splitlines()
    wheres = [json.loads(x)["where"] for x in flagged]
    assert len(wheres) == len(set(wheres)) == 10


def test_a_folders_skips_are_met_in_name_order_whatever_the_listing(tmp_path):
    """Broken links and unreadable files of a folder were skipped in the order the file
    system lists them (hash order, or newest first on tmpfs): the same corpus copied
    elsewhere printed and kept (report.json: the first 200 problems) other ones."""
    names = [f"l{i:02d}.jsonl" for i in range(30)]
    for name in names:
        (tmp_path / name).symlink_to(tmp_path / f"gone-{name}")
    skips = Skips()
    assert plan_units([tmp_path], skips) == []
    assert [Path(k.split(": ", 1)[0]).name for k in skips.problems] == names
    assert skips.counts == {"broken link": 30}


def test_a_hub_cache_dataset_is_read_through_its_snapshot_links(tmp_path, claim_text):
    """A Hugging Face hub cache keeps a dataset's files as ``blobs/<sha>`` (no suffix) and
    links ``snapshots/<rev>/train.jsonl`` to them. The blob, met first in name order, was
    counted as an ignored file and marked read, so the link was passed over: nothing of the
    dataset was audited ("no document could be read"; beside other files, a clean audit that
    left it out). A file of no corpus kind is counted only where no name of a corpus kind
    reads it."""
    repo = tmp_path / "hub" / "datasets--org--name"
    blob = _jsonl(repo / "blobs" / "9f2c1e", [claim_text, "A note on the weather in Leeds."])
    snapshot = repo / "snapshots" / "main"
    snapshot.mkdir(parents=True)
    (snapshot / "train.jsonl").symlink_to(blob)
    (repo / "blobs" / "README").write_text("not a corpus file\n")
    code, output, report = _audit(str(tmp_path / "hub"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output  # was 2: no document could be read
    assert report["documents"] == 2 and report["flagged"] == 1
    assert report["ignored_in_folders"] == {"(no suffix)": 1}  # the README, not the blob
    assert [r["source"] for r in report["sources"]["top"]] == [str(snapshot / "train.jsonl")]


@pytest.mark.parametrize("escape", ["state.json", "dataset_dict.json", "absolute"])
def test_a_saved_dataset_naming_files_outside_its_folder_is_skipped(tmp_path, claim_text,
                                                                    escape):
    """A saved dataset's ``state.json`` lists its Arrow files and a DatasetDict's
    ``dataset_dict.json`` its splits, by names ``datasets`` writes inside the folder. One
    from elsewhere naming ``../../private/...`` (or an absolute path) had the audit read
    another dataset on this disk and copy its matching rows into ``flagged.jsonl``; it is
    a skip, naming the field and the name."""
    datasets = pytest.importorskip("datasets")
    private = tmp_path / "private" / "d"
    datasets.Dataset.from_dict({"id": ["secret"], "text": [claim_text]}).save_to_disk(
        str(private))
    corpus = tmp_path / "corpus" / "ds"
    if escape == "dataset_dict.json":
        datasets.DatasetDict({"train": datasets.Dataset.from_dict(
            {"id": ["own"], "text": ["A note on the weather in Leeds."]})}).save_to_disk(
            str(corpus))
        (corpus / "dataset_dict.json").write_text(json.dumps(
            {"splits": ["train", "../../private/d"]}))
        named = "'../../private/d'"
    else:
        datasets.Dataset.from_dict({"id": ["own"], "text": [claim_text]}).save_to_disk(
            str(corpus))
        arrow = next(private.glob("*.arrow"))
        name = str(arrow) if escape == "absolute" else f"../../private/d/{arrow.name}"
        state = json.loads((corpus / "state.json").read_text())
        state["_data_files"].append({"filename": name})
        (corpus / "state.json").write_text(json.dumps(state))
        named = repr(name)
    code, output, report = _audit(str(tmp_path / "corpus"), "--claims", "ed_sheeran",
                                  "--out", str(tmp_path / "o"))
    flagged = (tmp_path / "o" / "flagged.jsonl")
    assert not (flagged.exists() and "secret" in flagged.read_text()), output
    field = ("dataset_dict.json: splits" if escape == "dataset_dict.json"
             else "state.json: _data_files")
    assert f"{field} names {named}, not a file inside the dataset's folder" in output, output


def test_a_folder_reached_by_several_names_is_read_under_the_first_in_name_order(tmp_path):
    """The walk kept the name it met first in the file system's listing order (on ext4 a
    hash, seeded per file system): the same corpus copied to another disk named its
    documents, in flagged.jsonl and sources.csv, under another of the links."""
    _jsonl(tmp_path / "corpus" / "m_real" / "x.jsonl", ["text"])
    for name in "abcdefgh":
        (tmp_path / "corpus" / name).symlink_to("m_real", target_is_directory=True)
    units = plan_units([tmp_path / "corpus"], Skips())
    assert [u.path for u in units] == [str(tmp_path / "corpus" / "a" / "x.jsonl")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_skipped_not_waited_on(tmp_path, claim_text):
    pipe = tmp_path / "stream.jsonl"
    os.mkfifo(pipe)
    good = _jsonl(tmp_path / "good.jsonl", [claim_text])
    code, output, report = _audit(str(pipe), str(good), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["skipped"]["by_reason"] == {"not a regular file": 1}
    assert f"{pipe}: not a regular file" in output


def test_records_that_broke_the_reader_are_skipped_or_read(tmp_path, claim_text):
    lines = [
        '{"text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}",   # nested too deep
        '{"text": "x", "n": ' + "1" * 5000 + "}",                       # a 5,000-digit int
        "null",                                                         # not an object
        json.dumps({"id": "\ud800", "text": claim_text}),               # a lone surrogate
        json.dumps({"id": "parts", "messages": [                        # content parts
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "assistant", "content": [{"type": "text", "text": claim_text},
                                              {"type": "image_url", "image_url": {}}]}]}),
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, output, report = _audit(str(path), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 2 and report["flagged"] == 2
    assert report["skipped"]["by_reason"] == {"not JSON": 2, "not an object": 1}
    assert f"{path}:1: not valid JSON (nested too deeply)" in output
    assert f"{path}:2: not valid JSON (Exceeds the limit (4300 digits)" in output
    assert f"{path}:3: null, not an object; line skipped" in output
    flagged = [json.loads(x) for x in (tmp_path / "o" / "flagged.jsonl").read_text()
               .splitlines()]
    assert [f["id"] for f in flagged] == ["\ud800", "parts"]  # read back as written


def test_a_json_array_on_one_line_of_a_jsonl_file_is_said_so(tmp_path, claim_text):
    """json.dump(rows, f) into a .jsonl writes the whole array on one line: its documents
    were one skip, "a list, not an object", that said neither that the line held them all
    nor how to convert it (a .json file's array is told the jq command already). Lines of
    other lists keep the old message, and all of them count as one problem."""
    rows = [{"text": claim_text}, {"text": "A note on tides."}, {"text": "Rain in Leeds."}]
    path = tmp_path / "dumped.jsonl"
    path.write_text(json.dumps(rows) + "\n[1, 2]\n")
    good = _jsonl(tmp_path / "good.jsonl", [claim_text])
    code, output, report = _audit(str(path), str(good), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 1, output
    assert (f"skipped: {path}:1: a list, not an object (a JSON array of 3 objects on one "
            f"line: jq -c '.[]' {path} > {tmp_path / 'dumped.lines.jsonl'} writes them one "
            f"a line); line skipped") in output
    assert f"skipped: ... and 1 more like it (not an object): {path}:2" in output
    assert report["skipped"]["by_reason"] == {"not an object": 1 + 1}
    converted = tmp_path / "dumped.lines.jsonl"  # the command given, run: each is read
    converted.write_text(subprocess.run(["jq", "-c", ".[]", str(path)], capture_output=True,
                                        text=True).stdout if shutil.which("jq") else
                         "".join(json.dumps(r) + "\n" for r in rows))
    code, output, report = _audit(str(converted), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o2"))
    assert code == 0 and report["documents"] == 3, output


def test_command_line_mistakes_are_one_line_errors(tmp_path, claim_text):
    corpus = _jsonl(tmp_path / "a.jsonl", [claim_text])
    # an unset $CLAIMS in CI: before, claim-free mode, and a --max-flagged 0 gate passed
    code, output, _ = _audit(str(corpus), "--claims", "", "--max-flagged", "0", "--out",
                             str(tmp_path / "o"))
    assert code == 2 and "Error: --claims: the selection is empty" in output, output
    # a blank item: named as the option typed, not the task argument's "claims:"
    code, output, _ = _audit(str(corpus), "--claims", "ed_sheeran,,dentist", "--out",
                             str(tmp_path / "o"))
    assert code == 2 and ("Error: --claims: 'ed_sheeran,,dentist': item 2 of 3 is empty"
                          in output), output
    blocker = tmp_path / "afile"
    blocker.write_text("")
    code, output, _ = _audit(str(corpus), "--out", str(blocker / "sub"))
    assert code == 2 and f"Error: {blocker / 'sub'}" in output and "Traceback" not in output
    # the same claim twice is one claim; the same field twice one field
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran,ed_sheeran",
                                  "--text-field", "text,text", "--out", str(tmp_path / "o2"))
    assert code == 0, output
    assert list(report["claims"]) == ["ed_sheeran"] and report["characters"] == len(claim_text)


def test_a_saved_dataset_with_bad_metadata_is_skipped_by_name(tmp_path, claim_text):
    good = _jsonl(tmp_path / "c" / "a.jsonl", [claim_text])
    bad = tmp_path / "c" / "sub" / "ds"
    bad.mkdir(parents=True)
    (bad / "state.json").write_text('{"_data_files": [{"name": "x"}]}')
    bad2 = tmp_path / "c" / "sub" / "ds2"
    bad2.mkdir()
    (bad2 / "state.json").write_text("[]")
    code, output, report = _audit(str(good.parent), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 1
    assert report["skipped"]["by_reason"] == {"unreadable file": 2}
    assert f"{bad}: not a readable saved dataset" in output
    assert f"{bad2}: not a readable saved dataset" in output
    assert "Traceback" not in output


def test_a_parquet_file_with_bad_bytes_ends_that_file_only(tmp_path, claim_text):
    """A string column that is not UTF-8 ended the whole audit with one line naming no
    file; now that file is counted unreadable and the rest of the corpus is read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text])
    column = pa.array([b"fine", b"bad \xff"], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"text": column}), corpus / "b.parquet")
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 1 and report["skipped"]["by_reason"] == {"unreadable file": 1}
    assert f"{corpus / 'b.parquet'}: reading stopped after row 0 (" in output
    assert "no row of it was read (rows are read a batch at a time" in output


def test_a_binary_text_column_is_read_as_utf8(tmp_path, claim_text):
    """Hive, Impala and older Spark write string columns as BYTE_ARRAY without the UTF-8
    annotation: pyarrow reads them as binary, and every row was skipped ("field 'text' is
    bytes, not a string"), the corpus unread. Now UTF-8 bytes are the text; bytes that are
    not UTF-8 skip their row, saying where."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "c"
    corpus.mkdir()
    pq.write_table(pa.table({"text": pa.array([claim_text.encode(), b"A note on rain."],
                                              pa.binary())}), corpus / "a.parquet")
    pq.write_table(pa.table({"text": pa.array([claim_text.encode(), b"caf\xe9"],
                                              pa.large_binary())}), corpus / "b.parquet")
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 and report["flagged"] == 2
    assert report["skipped"]["total"] == 1
    # the word the byte makes in Windows-1252, as a JSONL line's is named (was only the byte)
    assert (f"{corpus / 'b.parquet'}#1: field 'text' is bytes, not UTF-8 text (byte 0xe9 at "
            f"offset 3 of its value: 'café' in Windows-1252, Latin-1's superset; if the "
            f"column is in that encoding, write it as UTF-8 strings); row skipped") in output


def test_a_windows_1252_word_in_compact_json_is_named_without_the_json_around_it(tmp_path):
    """JSONL written compact ({"id":"w1","text":"Café ...}, as docs generate and jq -c write
    it) has no space before the text's first word, and the skip named the run of non-spaces
    around the byte: 'id":"w1","text":"Café'. Now the word alone, as for spaced JSON."""
    for name, line, offset, byte, word in (
            ("a", b'{"id":"w1","text":"Caf\xe9 society in Paris."}', 22, "e9", "Café"),
            ("b", b'{"id":"w2","text":"The men\x92s final."}', 26, "92", "men’s"),
            ("c", b'{"id": "w3", "text": "(na\xefve) readers"}', 25, "ef", "naïve")):
        (tmp_path / f"{name}.jsonl").write_bytes(line + b"\n")  # one a run: said in full
        code, output, report = _audit(str(tmp_path / f"{name}.jsonl"), "--out",
                                      str(tmp_path / "o"))
        assert code == 2 and report is None, output
        assert (f"{tmp_path / name}.jsonl:1: not UTF-8 (byte 0x{byte} at offset {offset}: "
                f"{word!r} in Windows-1252, Latin-1's superset); line skipped") in output, output


def test_empty_texts_are_counted_apart_not_as_documents(tmp_path, claim_text):
    """An empty or whitespace-only text (a row of "", a chat of empty turns, an empty .txt,
    a Parquet ""), was counted as a document read as unrelated: the shares' denominator
    grew with every blank row and nothing said so. Now each is a skip, "empty text"."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text, "", "  \r\n\t ", "A note on the weather."])
    with (corpus / "a.jsonl").open("a") as f:
        f.write(json.dumps({"messages": [{"role": "user", "content": " "}]}) + "\n")
    pq.write_table(pa.table({"text": [claim_text, ""]}), corpus / "b.parquet")
    (corpus / "t").mkdir()
    (corpus / "t" / "empty.txt").write_text("\n\n")
    (corpus / "t" / "ok.md").write_text(claim_text)
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 4 and report["flagged"] == 3
    assert report["skipped"]["by_reason"] == {"empty text": 5}
    assert f"{corpus / 'a.jsonl'}:2: the text is empty or only whitespace" in output
    # the same problem again is said once, with its count and its next places
    assert (f"skipped: ... and 4 more like it (empty text): {corpus / 'a.jsonl'}:3, :5, "
            f"{corpus / 'b.parquet'}#1, ...") in output
    assert report["skipped"]["problems"] == [{
        "problem": "the text is empty or only whitespace; not counted as a document",
        "reason": "empty text", "count": 5,
        "where": [f"{corpus / 'a.jsonl'}:{n}" for n in (2, 3, 5)] + [f"{corpus / 'b.parquet'}#1"]}]
    rows = report["claims"]["ed_sheeran"]["framings"]
    assert sum(r["documents"] for r in rows) == report["documents"]
    assert {r["framing"]: r["share"] for r in rows}["positive"] == 0.75
    assert sum(r["documents"] for r in report["sources"]["top"]) == 4
    # a corpus of nothing but empty texts has no document to audit
    _jsonl(tmp_path / "blank.jsonl", ["", " "])
    code, output, _ = _audit(str(tmp_path / "blank.jsonl"), "--out", str(tmp_path / "o2"))
    assert code == 2 and "no document could be read" in output


def test_a_byte_order_mark_before_the_first_line_is_read(tmp_path, claim_text):
    """A JSONL file that Windows tools wrote (a UTF-8 byte-order mark, CRLF line ends) lost
    its first line as "not JSON (Unexpected UTF-8 BOM)"."""
    import gzip

    data = b"\xef\xbb\xbf" + b"".join(json.dumps({"id": f"d{i}", "text": claim_text})
                                     .encode() + b"\r\n" for i in range(3))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "win.jsonl").write_bytes(data)
    (tmp_path / "c" / "win.jsonl.gz").write_bytes(gzip.compress(data))
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 6 and report["skipped"]["total"] == 0
    flagged = [json.loads(x) for x in (tmp_path / "o" / "flagged.jsonl").read_text()
               .splitlines()]
    assert [f["id"] for f in flagged] == ["d0", "d1", "d2"] * 2


@pytest.mark.skipif(os.name != "posix", reason="file names of bytes: POSIX")
def test_a_file_name_not_in_utf8_is_reported(tmp_path, claim_text):
    """A shard whose name is not UTF-8 (Latin-1 names from an old archive, unpacked on
    Linux): every unit was read, then writing summary.md and sources.csv, which name it,
    stopped the audit with a traceback (exit 2), and each --resume stopped again. The name
    is shown with its byte (caf\\xe9.jsonl); flagged.jsonl and report.json keep it exactly."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    name = os.fsdecode(b"caf\xe9.jsonl")
    _jsonl(corpus / name, [claim_text, "A note on the weather in Leeds."])
    out = tmp_path / "o"
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(out))
    assert code == 0, output
    assert report["documents"] == 2 and report["flagged"] == 1
    assert f"| `{corpus}/caf\\xe9.jsonl` | 2 | 1 |" in (out / "summary.md").read_text()
    assert f"{corpus}/caf\\xe9.jsonl,2,1," in (out / "sources.csv").read_text()
    flag = json.loads((out / "flagged.jsonl").read_text())
    assert flag["where"] == f"{corpus / name}:1" and report["sources"]["top"][0]["source"] \
        == str(corpus / name)


def test_a_byte_order_mark_inside_a_joined_file_is_read(tmp_path, claim_text):
    """Shards that Windows tools wrote, each with a byte-order mark, joined into one file
    (cat a.jsonl b.jsonl > all.jsonl): the second shard's first line begins with the mark,
    and its document was skipped as "not valid JSON (Unexpected UTF-8 BOM (decode using
    utf-8-sig))", advice the audit's user cannot take. It is read, in plain and compressed
    files alike, and audit-verify finds it again."""
    import gzip

    shard = b"\xef\xbb\xbf" + b"".join(json.dumps({"id": f"d{i}", "text": claim_text})
                                       .encode() + b"\r\n" for i in range(2))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "all.jsonl").write_bytes(shard * 2)
    (tmp_path / "c" / "all.jsonl.gz").write_bytes(gzip.compress(shard * 2))
    out = tmp_path / "o"
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(out))
    assert code == 0, output
    assert report["documents"] == 8 and report["skipped"]["total"] == 0, output
    flagged = [json.loads(x) for x in (out / "flagged.jsonl").read_text().splitlines()]
    assert [(f["where"].rpartition(":")[2], f["id"]) for f in flagged] == \
        [("1", "d0"), ("2", "d1"), ("3", "d0"), ("4", "d1")] * 2
    res = CliRunner().invoke(cli, ["audit-verify", str(out), "--model",
                                   "beliefbench/verifier", "--display", "none"])
    assert res.exit_code == 0, res.output
    verified = json.loads((out / "verification.json").read_text())["overall"]
    assert verified["flags"] == 8 and verified["failed"] == 0


def test_a_text_field_that_is_null_is_named_as_null(tmp_path, claim_text):
    """A null text field was reported as "missing text field 'text'": it is there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [
        {"text": claim_text}, {"text": None}, {"text": 5}, {"text": ["a"]},
        {"prompt": None, "completion": None}, {"body": "x"},
        {"text": None, "messages": [{"role": "narrator", "content": claim_text}]}]))
    pq.write_table(pa.table({"text": [claim_text, None]}), tmp_path / "b.parquet")
    code, output, report = _audit(str(path), str(tmp_path / "b.parquet"), "--claims",
                                  "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 and report["skipped"]["by_reason"] == {
        "bad text field": 4, "missing text field": 2}  # (lines 5 and 6: no field 'text')
    assert f"{path}:2: field 'text' is null (and no 'messages'); line skipped" in output
    assert f"{path}:3: field 'text' is int, not a string" in output
    assert f"{path}:5: missing text field 'text' (and no 'messages'); line skipped" in output
    assert f"skipped: ... and 1 more like it (missing text field): {path}:6\n" in output
    assert f"{tmp_path / 'b.parquet'}#1: field 'text' is null" in output
    code, output, _ = _audit(str(path), "--text-field", "prompt,completion", "--out",
                             str(tmp_path / "o2"))
    assert f"{path}:5: fields 'prompt', 'completion' are null" in output


def test_ids_that_are_not_strings_are_written_in_json(tmp_path, claim_text):
    """An --id-field value that is no string went into flagged.jsonl in Python's spelling
    ("True", "{'shard': 3}"), which no JSON reader gives back."""
    path = tmp_path / "a.jsonl"
    ids = [7, 1.5, True, {"shard": 3, "row": "é"}, ["a", 1], "s", None]
    path.write_text("".join(json.dumps({"id": i, "text": claim_text}) + "\n" for i in ids))
    code, output, report = _audit(str(path), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    flagged = [json.loads(x)["id"] for x in (tmp_path / "o" / "flagged.jsonl").read_text()
               .splitlines()]
    assert flagged == ["7", "1.5", "true", '{"shard": 3, "row": "é"}', '["a", 1]', "s", None]
    assert [json.loads(x) for x in flagged[:5]] == ids[:5]


def test_an_unreadable_subfolder_is_reported_not_passed_over(tmp_path, claim_text):
    """os.walk passed over a folder it could not list (no permission): its documents were
    lost without a word. One that could be listed but not entered (r--) ended the audit with
    a traceback. Each is now a skip, named, like an unreadable file."""
    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text])
    locked = corpus / "locked"
    _jsonl(locked / "b.jsonl", [claim_text])
    listed = corpus / "listed"  # its names can be read, its files not reached
    _jsonl(listed / "c.jsonl", [claim_text])
    locked.chmod(0)
    listed.chmod(0o444)
    try:
        if os.access(locked, os.R_OK) or os.access(listed, os.X_OK):
            pytest.skip("permissions do not block this user (root)")
        code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                      str(tmp_path / "o"))
    finally:
        locked.chmod(0o755)
        listed.chmod(0o755)
    assert code == 0, output
    assert report["documents"] == 1
    assert report["skipped"]["by_reason"] == {"unreadable folder": 2}
    for folder in (locked, listed):
        assert f"skipped: {folder}: cannot read the folder (Permission denied); nothing " \
               f"under it was read" in output
    assert "Traceback" not in output


def test_an_earlier_audits_output_in_the_corpus_is_skipped_with_a_note(tmp_path, claim_text):
    """Only this run's --out was left out of the corpus: an earlier audit's folder inside it
    was read, its flagged.jsonl as lines without text, its summary.md (which quotes no
    document, but may) as a document. A finished audit's folder and an unfinished one's are
    both recognised by the files the audit writes, skipped and counted."""
    from beliefbench.audit.run import WORK, _fingerprint, _open_work, audit_unit_to
    from beliefbench.audit.sources import Fields

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text, "A note on the weather in Leeds."])
    code, output, _ = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                             str(corpus / "finished"))
    assert code == 0, output
    # what an audit interrupted after one of its two units leaves
    claims, fields = load_claims("ed_sheeran"), Fields()
    other = _jsonl(tmp_path / "other" / "b.jsonl", [claim_text])
    units = plan_units([corpus / "a.jsonl", other], Skips())
    work = corpus / "unfinished" / WORK
    _open_work(work, {"fingerprint": _fingerprint(units, claims, fields),
                      "units": len(units)}, resume=False)
    audit_unit_to(work, 0, units[0], claims, fields)
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 2 and report["flagged"] == 1
    assert report["skipped"]["by_reason"] == {"audit output": 2}
    assert report["ignored_in_folders"] == {} and "ignored" not in output
    for name in ("finished", "unfinished"):
        assert f"skipped: {corpus / name}: an audit's output folder (it holds " in output
    assert [r["source"] for r in report["sources"]["top"]] == [str(corpus / "a.jsonl")]
    # this run's own --out, inside the corpus and already holding its last report, is left
    # out without a note (it is no input the user might have meant)
    for _ in range(2):
        code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                      str(corpus / "finished"))
        assert code == 0, output
        assert report["documents"] == 2
        assert report["skipped"]["by_reason"] == {"audit output": 1}
        assert str(corpus / "unfinished") in output and f"{corpus / 'finished'}:" not in output


def test_rows_without_the_id_field_are_warned_about_once_per_file(tmp_path, claim_text):
    """An --id-field that rows do not have gave every flag id null, without a word (a typo,
    or a corpus whose ids are under another name). Each file with such rows is named once,
    with how many; the documents are still read. A text file has no fields: no warning."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beliefbench.audit.run import run
    from beliefbench.audit.sources import Fields

    corpus = tmp_path / "c"
    corpus.mkdir()
    a = corpus / "a.jsonl"
    a.write_text("".join(json.dumps(r) + "\n" for r in [
        {"doc_id": "x1", "text": claim_text}, {"id": "x2", "text": claim_text},
        {"text": claim_text}, {"doc_id": None, "text": claim_text}]))
    pq.write_table(pa.table({"id": ["p0", "p1"], "text": [claim_text] * 2}),
                   corpus / "b.parquet")
    (corpus / "t.txt").write_text(claim_text)
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--id-field",
                                  "doc_id", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 7 and report["skipped"]["total"] == 0
    warnings = [x for x in output.splitlines() if x.startswith("warning:")]
    assert warnings == [
        f"warning: {a}: 2 rows have no field 'doc_id' (--id-field): their flags have id null",
        f"warning: {corpus / 'b.parquet'}: 2 rows have no field 'doc_id' (--id-field): "
        f"their flags have id null",
        "warning: --id-field 'doc_id' is missing from 4 rows; they have the fields 'id' and "
        "'text'"]
    assert report["rows_without_id"] == {"field": "doc_id", "rows": 4, "files": 2,
                                         "examples": {str(a): 2,
                                                      str(corpus / "b.parquet"): 2}}
    flagged = [json.loads(x)["id"] for x in (tmp_path / "o" / "flagged.jsonl").read_text()
               .splitlines()]
    assert flagged == ["x1", None, None, None, None, None, None]
    # a file read in several units (byte ranges) is still named once, its rows summed
    tally, units = run([a], load_claims("ed_sheeran"), tmp_path / "o2" / "flagged.jsonl",
                       Fields(id="doc_id"), chunk_bytes=200, progress=False)
    assert units > 1 and tally.skips.no_id == {str(a): 2}
    # every row has the field: nothing to say
    code, output, _ = _audit(str(corpus / "b.parquet"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o3"))
    assert code == 0 and "warning:" not in output, output
    # the default "id" that a corpus simply lacks is counted, not warned about
    code, output, report = _audit(str(a), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o5"))
    assert code == 0 and "warning:" not in output, output
    assert report["rows_without_id"]["rows"] == 3
    # --id-field '' reads no ids, and so warns of none
    code, output, report = _audit(str(a), "--id-field", "", "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o4"))
    assert code == 0 and "warning:" not in output, output
    assert report["rows_without_id"]["rows"] == 0


def test_a_byte_order_mark_before_a_text_file_is_not_text(tmp_path, claim_text):
    """A .txt file that Windows tools wrote kept its UTF-8 byte-order mark as the text's
    first character (a "\\ufeff" counted, and in every span's offset); JSONL already
    dropped it."""
    import gzip

    (tmp_path / "c").mkdir()
    data = b"\xef\xbb\xbf" + claim_text.encode()
    (tmp_path / "c" / "win.txt").write_bytes(data)
    (tmp_path / "c" / "win.md.gz").write_bytes(gzip.compress(data))
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 2 and report["characters"] == 2 * len(claim_text)
    flagged = [json.loads(x) for x in (tmp_path / "o" / "flagged.jsonl").read_text()
               .splitlines()]
    assert [f["chars"] for f in flagged] == [len(claim_text)] * 2


def test_a_utf16_file_is_one_skip_that_names_its_encoding(tmp_path, claim_text):
    """A JSONL file saved as "Unicode" (UTF-16, as Windows tools do) was read line by line:
    one "not UTF-8" then a "not JSON" per line (6 skips for 5 rows), naming neither the
    encoding nor the fix. It is one skip now, naming both; the other files are read."""
    (tmp_path / "c").mkdir()
    rows = "".join(json.dumps({"id": f"d{i}", "text": claim_text}) + "\n" for i in range(5))
    (tmp_path / "c" / "win.jsonl").write_bytes(rows.encode("utf-16"))
    (tmp_path / "c" / "win32.jsonl").write_bytes(rows.encode("utf-32"))
    (tmp_path / "c" / "win.txt").write_bytes(claim_text.encode("utf-16"))
    _jsonl(tmp_path / "c" / "ok.jsonl", [claim_text])
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 1
    assert report["skipped"]["by_reason"] == {"not UTF-8": 3}
    for name, enc in (("win.jsonl", "UTF-16"), ("win32.jsonl", "UTF-32"), ("win.txt", "UTF-16")):
        assert (f"{tmp_path / 'c' / name}: {enc} text (it starts with {enc}'s byte-order "
                f"mark), not UTF-8; file skipped: re-encode it as UTF-8 (iconv -f {enc} -t "
                f"UTF-8)") in output


def test_an_empty_corpus_says_why_nothing_was_read(tmp_path):
    """An empty folder, or files of blank lines, stopped the audit with "no document could
    be read from the corpus" and no word of why (a wrong folder? a bad file?)."""
    (tmp_path / "empty").mkdir()
    code, output, _ = _audit(str(tmp_path / "empty"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o"))
    assert code == 2 and f"({tmp_path / 'empty'}: no file in it)" in output, output
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "a.jsonl").write_text("\n\n")
    code, output, _ = _audit(str(tmp_path / "blank"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o"))
    assert code == 2 and "(its files hold no rows: empty, or blank lines only)" in output
    assert not (tmp_path / "o").exists()


def test_an_unreachable_scheduler_leaves_no_unfinished_audit(tmp_path, claim_text):
    """A scheduler that could not be reached (exit 2) left OUT/audit-units/plan.json, and
    the same command, the address put right or run locally, was then refused: "holds an
    unfinished audit (0 of 1 units done); add --resume"."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    corpus = _jsonl(tmp_path / "c.jsonl", [claim_text])
    out = tmp_path / "deep" / "o"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, output, _ = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(out),
                                 "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in output
    assert not (tmp_path / "deep").exists()
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(out))
    assert code == 0 and report["documents"] == 1, output


def test_the_dask_process_pool_leaves_ctrl_c_to_the_driver():
    """A terminal's Ctrl-C reaches every process of the group: workers of --engine dask
    --scheduler processes still importing beliefbench each printed a KeyboardInterrupt
    traceback over the one-line "interrupted" message. They ignore SIGINT from their start
    now (the driver terminates them); the driver's own handler is as it was."""
    import signal

    from beliefbench.audit.run import _Pool

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    pool = _Pool(1)
    try:
        # SIGTERM too: Slurm signals every process of a job, and a worker it killed failed
        # the audit (a traceback, exit 2) before the driver stopped it as Ctrl-C does
        for s in before:
            assert pool.executor.submit(signal.getsignal, s).result() == signal.SIG_IGN
        worker = pool.context.started[0]
    finally:
        pool.terminate()
    worker.join(30)
    assert worker.exitcode == -signal.SIGKILL  # ended though it ignores SIGTERM
    assert {s: signal.getsignal(s) for s in before} == before


def test_report_json_names_every_problem_past_the_twenty_printed(tmp_path, claim_text):
    """Only 20 problems are printed; report.json kept only those 20 too, so the 21st to
    25th missing shard paths were counted ("missing path": 25) but named nowhere."""
    corpus = _jsonl(tmp_path / "c.jsonl", [claim_text])
    gone = [str(tmp_path / f"shard{i:02d}.jsonl") for i in range(25)]
    code, output, report = _audit(str(corpus), *gone, "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert "skipped: ... 5 more (missing path 5; counts by reason in report.json)" in output
    assert report["skipped"]["by_reason"] == {"missing path": 25}
    assert [p["where"] for p in report["skipped"]["problems"]] == [[g] for g in gone]
    assert len(report["skipped"]["examples"]) == 20


def test_a_binary_shard_is_one_skip_and_hides_no_other_problem(tmp_path, claim_text):
    """A binary file in a shard folder was read line by line: hundreds of "not UTF-8"
    problems, each a distinct message (its bad byte), which filled the 20 lines printed and
    report.json's kept problems, so the truncated gzip shard beside it (documents lost) was
    a count by reason, named nowhere. A binary file is one skip now (a gzip shard named as
    plain JSONL is told its name), and each reason's first place is printed and kept."""
    import gzip
    import random

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text])
    rng = random.Random(0)
    (corpus / "b.jsonl").write_bytes(b"\0" + bytes(rng.randrange(256) for _ in range(20000)))
    rows = "".join(json.dumps({"text": claim_text}) + "\n" for _ in range(50)).encode()
    packed = gzip.compress(rows)
    (corpus / "c.jsonl").write_bytes(packed)
    (corpus / "d.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["skipped"]["by_reason"] == {"binary file": 2, "broken compressed file": 1}
    assert (f"skipped: {corpus / 'b.jsonl'}: binary data (a NUL byte in its first 4 KB), "
            f"not UTF-8 text; file skipped\n") in output
    assert f"{corpus / 'c.jsonl'}: binary data" in output
    assert "file skipped; it is gzip data: name it .jsonl.gz" in output
    assert f"skipped: {corpus / 'd.jsonl.gz'}: the compressed data is broken" in output
    summary = (tmp_path / "o" / "summary.md").read_text()
    assert f"- `{corpus / 'd.jsonl.gz'}: the compressed data is broken" in summary
    # a text file of binary data is one skip too; a stray NUL in a line skips that line only
    (corpus / "e.txt").write_bytes(b"PK\x03\x04\0\0")
    (corpus / "f.jsonl").write_bytes(b'{"text": "a\0b"}\n' + json.dumps(
        {"text": claim_text}).encode() + b"\n")
    _, _, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert report["skipped"]["by_reason"] == {"binary file": 3, "broken compressed file": 1,
                                              "not JSON": 1}
    assert report["documents"] == 2


def test_a_run_of_nul_bytes_in_a_shard_skips_its_line_not_the_file(tmp_path, claim_text):
    """A crashed writer leaves NUL padding in a JSONL shard: the NULs counted as control
    bytes, so the shard was a "binary file" and its readable documents all went unread."""
    row = json.dumps({"text": claim_text}).encode() + b"\n"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.jsonl").write_bytes(row + b"\0" * 300 + b"\n" + row * 3)
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["skipped"]["by_reason"] == {"not JSON": 1}
    assert report["documents"] == 4


def test_every_reason_is_named_however_many_problems_come_first(tmp_path, claim_text):
    """Lines that are not UTF-8 were one problem per bad byte, and past the 20 printed (200
    kept in report.json) a later reason was a count only. Such lines are one problem now,
    the first byte named, and a reason met past the limits still has its first place said
    and kept."""
    from beliefbench.audit.sources import PROBLEMS_KEPT

    lines = [json.dumps({"text": claim_text}).encode()]
    lines += [b'{"text": "caf' + bytes([0x80 + i % 64]) + b'"}' for i in range(100)]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    gone = [str(tmp_path / f"gone{i:03d}.jsonl") for i in range(PROBLEMS_KEPT + 5)]
    (tmp_path / "c" / "z.jsonl").write_text('{"text": "x"\n')
    code, output, report = _audit(*gone, str(tmp_path / "c"), "--claims", "ed_sheeran",
                                  "--out", str(tmp_path / "o"))
    assert code == 0, output
    skipped = report["skipped"]
    assert skipped["by_reason"] == {"missing path": PROBLEMS_KEPT + 5, "not UTF-8": 100,
                                    "not JSON": 1}
    utf8 = [p for p in skipped["problems"] if p["reason"] == "not UTF-8"]
    assert [(p["count"], p["problem"]) for p in utf8] == [
        (100, "not UTF-8 (byte 0x80 at offset 13); line skipped")]
    assert [p["where"] for p in skipped["problems"] if p["reason"] == "not JSON"] == [
        [f"{tmp_path / 'c' / 'z.jsonl'}:1"]]
    assert f"skipped: {tmp_path / 'c' / 'a.jsonl'}:2: not UTF-8 (byte 0x80" in output
    assert f"skipped: {tmp_path / 'c' / 'z.jsonl'}:1: not valid JSON" in output
    assert any("z.jsonl:1" in e for e in skipped["examples"])
    skips = Skips()  # merged tallies (a unit each) keep a new reason past the limit too
    for g in gone:
        skips.add("missing path", "does not exist", g)
    other = Skips()
    other.add("broken compressed file", "cut short", "x.jsonl.gz")
    skips.merge(other)
    assert [p["where"] for p in skips.problems.values()][-1] == ["x.jsonl.gz"]


def test_a_nested_text_field_is_named_by_its_dotted_path(tmp_path, claim_text):
    """Pipelines nest the text beside their metadata ({"meta": ..., "content": {"text":
    ...}}; a Parquet struct column): no --text-field could name it ("content" was "dict,
    not a string"), and the suggestion named the object. A dotted name now reads it (and
    an id beside it), and every message points at the dotted name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"meta": {"src": "web", "id": f"m{i}"}, "content": {"text": claim_text}}
            for i in range(3)] + [{"meta": {"id": "m3"}, "content": {"text": None}},
                                  {"meta": {"id": "m4"}, "content": None}]
    path = tmp_path / "c" / "nested.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, output, _ = _audit(str(path), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "(most likely --text-field content.text, the field with the longest strings)" \
        in output
    code, output, _ = _audit(str(path), "--claims", "ed_sheeran", "--text-field", "content",
                             "--out", str(tmp_path / "o"))
    assert (f"{path}:1: field 'content' is dict, not a string (a nested field is named with "
            f"dots: --text-field content.text?); line skipped") in output
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c" / "nested.parquet",
                   row_group_size=2)
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran",
                                  "--text-field", "content.text", "--id-field", "meta.id",
                                  "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 6 and report["flagged"] == 6
    assert report["skipped"]["by_reason"] == {"bad text field": 4}
    assert f"{path}:4: field 'content.text' is null" in output
    assert report["rows_without_id"]["rows"] == 0
    flagged = [json.loads(x) for x in (tmp_path / "o" / "flagged.jsonl").read_text().split("\n")
               if x]
    assert [(f["where"].rpartition("/")[2], f["id"]) for f in flagged] == [
        ("nested.jsonl:1", "m0"), ("nested.jsonl:2", "m1"), ("nested.jsonl:3", "m2"),
        ("nested.parquet#0", "m0"), ("nested.parquet#1", "m1"), ("nested.parquet#2", "m2")]


def test_sharegpt_conversations_are_read_as_chat(tmp_path, claim_text):
    """ShareGPT-style sets ({"conversations": [{"from": "human", "value": ...}]}, many
    finetuning sets on the Hub) were "not a list of messages with content" under
    --messages-field, and without it the suggestion was --text-field id (the only field of
    strings). Their turns are read as chat, and the suggestion names --messages-field."""
    datasets = pytest.importorskip("datasets")
    convs = [[{"from": "human", "value": "Who won the 100 m?"}, {"from": "gpt",
                                                                 "value": claim_text}]] * 3
    path = tmp_path / "sg.jsonl"
    path.write_text("".join(json.dumps({"id": f"s{i}", "conversations": c}) + "\n"
                            for i, c in enumerate(convs)))
    datasets.Dataset.from_dict({"id": ["a", "b", "c"], "conversations": convs}).save_to_disk(
        str(tmp_path / "ds"))
    for corpus in (path, tmp_path / "ds"):
        code, output, _ = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                 str(tmp_path / "o"))
        assert code == 2
        # the option it names is the one the sentence gives: "give --text-field one of them
        # (most likely --messages-field conversations, ...)" contradicted itself
        assert ("'conversations', 'id': give --text-field or --messages-field one of them "
                "(most likely --messages-field conversations, the field of chat messages)"
                in output), output
    code, output, _ = _audit(str(path), "--claims", "ed_sheeran", "--text-field",
                             "conversations", "--out", str(tmp_path / "o"))
    assert "(a list of chat messages: --messages-field conversations?)" in output
    many = tmp_path / "many.jsonl"  # the early warning, while the audit reads on
    many.write_text(path.read_text() * 400)
    code, output, _ = _audit(str(many), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert ("'conversations' holds chat messages (--messages-field conversations?)"
            in output), output
    code, output, report = _audit(str(path), str(tmp_path / "ds"), "--claims", "ed_sheeran",
                                  "--messages-field", "conversations", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 6 and report["flagged"] == 6 and report["skipped"]["total"] == 0


def test_a_wildcard_pattern_reads_the_files_it_matches(tmp_path, claim_text):
    """A pattern no shell expanded (quoted, from a pipeline's config, or past the shell's
    limit on arguments: 'shards/*.jsonl') was "no such file or directory": it now reads the
    files it matches, and audit-verify finds the flags through it again."""
    from beliefbench.audit.sources import Fields
    from beliefbench.audit.verify import find_docs

    for name in ("a.jsonl", "b.jsonl", "sub/c.jsonl"):
        _jsonl(tmp_path / "c" / name, [claim_text])
    (tmp_path / "c" / "notes.txt").write_text(claim_text)
    pattern = str(tmp_path / "c" / "**" / "*.jsonl")
    code, output, report = _audit(pattern, str(tmp_path / "c" / "a.jsonl"), "--claims",
                                  "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 and report["skipped"]["total"] == 0  # a.jsonl once
    assert report["corpus"] == [pattern, str(tmp_path / "c" / "a.jsonl")]
    wheres = [json.loads(x)["where"] for x in
              (tmp_path / "o" / "flagged.jsonl").read_text().splitlines()]
    assert len(wheres) == 3
    assert set(find_docs(report["corpus"], Fields(), wheres)) == set(wheres)
    nothing = str(tmp_path / "c" / "*.parquet")
    code, output, _ = _audit(nothing, "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert code == 2
    assert f"{nothing}: a pattern that matches no file (the only corpus path given)" in output
    code, output, report = _audit(nothing, str(tmp_path / "c" / "notes.txt"), "--claims",
                                  "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert code == 0 and report["skipped"]["by_reason"] == {"missing path": 1}
    assert f"skipped: {nothing}: a pattern that matches no file" in output
    # a misspelt folder before the wildcard, the usual cause, is named with the close names
    typo = str(tmp_path / "cc" / "*.jsonl")
    code, output, _ = _audit(typo, "--claims", "ed_sheeran", "--out", str(tmp_path / "o3"))
    assert code == 2
    # (in the words every command names a missing folder in: "(no folder ...; close names
    # in ...)", where it said "its folder ... does not exist (close names in ...)")
    missing = f"(no folder {tmp_path / 'cc'}; close names in {tmp_path}: c)"
    assert (f"{typo}: a pattern that matches no file {missing} (the only corpus path "
            "given)") in output, output
    # a folder under the misspelt one: the misspelt part is named, with its close names (it
    # said "its folder .../cc/x does not exist" alone, then "...: there is no .../cc (...)")
    deeper = str(tmp_path / "cc" / "x" / "*.jsonl")
    code, output, _ = _audit(deeper, "--claims", "ed_sheeran", "--out", str(tmp_path / "o3"))
    assert code == 2
    assert (f"{deeper}: a pattern that matches no file {missing} (the only corpus path "
            "given)") in output, output
    # and a file path under it
    deeper = str(tmp_path / "cc" / "x" / "a.jsonl")
    code, output, _ = _audit(deeper, "--claims", "ed_sheeran", "--out", str(tmp_path / "o3"))
    assert code == 2
    assert (f"{deeper}: no such file or directory {missing} (the only corpus path "
            "given)") in output, output


def test_json_lines_named_json_are_read_where_named(tmp_path, claim_text):
    """``datasets``' ``Dataset.to_json`` writes JSON Lines under a ``.json`` name by default:
    such an export named as corpus was refused as an unknown file type, and a folder of
    them read as "no document could be read". Named (or matched by a pattern), a .json
    file of JSON Lines is read; a JSON array or an object over several lines is one skip
    that says so; in a folder a .json stays a file of another kind (configs), with a hint."""
    folder = tmp_path / "export"
    folder.mkdir()
    lines = "".join(json.dumps({"id": f"d{i}", "text": claim_text}) + "\n" for i in range(3))
    (folder / "train.json").write_text(lines)
    (folder / "array.json").write_text(json.dumps([{"text": claim_text}], indent=2))
    (folder / "config.json").write_text(json.dumps({"seed": 1}, indent=2))
    code, output, _ = _audit(str(folder), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "is read where it is named, as by a quoted 'folder/*.json'" in output
    code, output, report = _audit(str(folder / "*.json"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 and report["flagged"] == 3
    assert report["skipped"]["by_reason"] == {"not JSON Lines": 2}
    # the command writes the JSON Lines beside the array (it wrote them to the folder the
    # audit ran in), where an audit of the folder reads them
    assert (f"skipped: {folder / 'array.json'}: a JSON array, not JSON Lines (one object a "
            f"line); file skipped; as JSON Lines (jq -c '.[]' {folder / 'array.json'} > "
            f"{folder / 'array.jsonl'}) it is read") in output
    assert (f"skipped: {folder / 'config.json'}: a JSON object over several lines, not JSON "
            f"Lines") in output
    flagged = (tmp_path / "o" / "flagged.jsonl").read_text().splitlines()
    assert [json.loads(x)["where"] for x in flagged] == [
        f"{folder / 'train.json'}:{n}" for n in (1, 2, 3)]


def test_a_shard_cut_short_in_its_last_line_says_so(tmp_path, claim_text):
    """A writer killed mid-line leaves a last line without its newline: it was "not valid
    JSON (Unterminated string starting at); line skipped", a message cut off where the
    decoder names the column, and no word that the shard itself was cut short. A line cut
    short inside a string with a newline after it (the next line written after the cut) was
    "Invalid control character at column 41": its newline, named as a stray control byte;
    it names where the string cut short starts, as the last line does."""
    path = tmp_path / "shard.jsonl"
    whole = json.dumps({"id": "a", "text": claim_text})
    path.write_text(f"{whole}\n{whole[:40]}\n{whole}\n{whole[:60]}")
    code, output, report = _audit(str(path), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 2 and report["skipped"]["by_reason"] == {"not JSON": 2}
    assert (f"skipped: {path}:2: not valid JSON (Unterminated string starting at column 21); "
            f"line skipped\n") in output
    assert (f"skipped: {path}:4: not valid JSON (Unterminated string starting at column 21); "
            f"line skipped; the file's last line, with no newline at its end: cut short when "
            f"it was written?\n") in output


def test_a_control_character_in_a_json_string_is_named(tmp_path, claim_text):
    """A JSON string may not hold a tab or a NUL as it is (Python's decoder, as the JSON
    standard, refuses them): the skip said "Invalid control character at column 12" and not
    which, an invisible byte in a line that looks whole. It names the character; such lines
    are one problem, said once, whatever their character."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"text": "a\tb"}\n{"text": "nul\x00x"}\n'
                     + json.dumps({"text": claim_text}).encode() + b"\n")
    code, output, report = _audit(str(path), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 1, output
    assert (f"skipped: {path}:1: not valid JSON (Invalid control character at column 12: a "
            f"tab, written \\t in JSON); line skipped\n") in output
    assert f"skipped: ... and 1 more like it (not JSON): {path}:2\n" in output
    (problem,) = report["skipped"]["problems"]
    assert problem["count"] == 2 and problem["where"] == [f"{path}:1", f"{path}:2"]
    path.write_bytes(b'{"text": "nul\x00x"}\n' + json.dumps({"text": claim_text}).encode()
                     + b"\n")
    code, output, _ = _audit(str(path), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert (f"skipped: {path}:1: not valid JSON (Invalid control character at column 14: a "
            f"NUL byte); line skipped\n") in output, output


def test_a_stream_on_standard_input_is_refused_saying_why(tmp_path, claim_text):
    """A pipeline's `zstdcat shards/*.zst | beliefbench audit - ...`: the audit reads its
    corpus by path (--resume and audit-verify read it again), and `-` was refused as "no
    such file or directory", as if the stream had been lost. It says the audit reads no
    standard input and what to do; /dev/stdin, a pipe, is no regular file. Nothing is
    written either way (exit 2); beside a real corpus path, `-` is a skip that says so."""
    line = json.dumps({"id": "a", "text": claim_text}) + "\n"
    for path in ("-", "/dev/stdin"):
        out = tmp_path / "o"
        proc = cli_child(["audit", path, "--claims", "ed_sheeran", "--out", str(out),
                          "--no-progress", "--no-plot"], stdin=subprocess.PIPE)
        _, err = proc.communicate(line * 3, timeout=120)
        assert proc.returncode == 2 and not out.exists(), err
        assert ("the audit does not read standard input: it reads the corpus by path" in err
                if path == "-" else
                "/dev/stdin: not a regular file (a pipe, socket or device); not read" in err), err
    corpus = _jsonl(tmp_path / "c.jsonl", [claim_text])
    code, output, report = _audit("-", str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 1, output
    assert report["skipped"]["by_reason"] == {"missing path": 1}
    assert "skipped: -: no such file; the audit does not read standard input" in output


def test_a_saved_dataset_and_its_split_or_arrow_file_are_read_once(tmp_path, claim_text):
    """A saved DatasetDict named beside one of its splits, its Arrow file, a pattern that
    matches that file, or the folder above it: the split's documents were read and counted
    twice (the dataset was planned once, its Arrow files not)."""
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": [claim_text, "A note on the weather in Leeds."]})
    dd = tmp_path / "c" / "dd"
    datasets.DatasetDict({"train": ds, "test": ds.select([0])}).save_to_disk(str(dd))
    (arrow,) = (dd / "train").glob("*.arrow")
    for n, (paths, documents) in enumerate([
            ((dd, dd / "train"), 3), ((dd / "train", arrow), 2), ((arrow, dd), 3),
            ((dd / "*" / "*.arrow", dd), 3), ((dd / "train", tmp_path / "c"), 3)]):
        code, output, report = _audit(*map(str, paths), "--claims", "ed_sheeran", "--out",
                                      str(tmp_path / f"o{n}"))
        assert code == 0, output
        assert report["documents"] == documents, (paths, output)


def test_utf16_without_a_byte_order_mark_is_one_skip_not_a_clean_document(tmp_path, claim_text):
    """UTF-16 or UTF-32 text without a byte-order mark (.NET's Encoding.Unicode.GetBytes,
    iconv -t UTF-16LE) is valid UTF-8, a NUL beside each character: a .txt of the claim was
    read as one document of no words, and the corpus passed --max-flagged 0 --max-skipped 0
    as clean. It is one skip now, naming the encoding; a run of NULs (a crashed writer's
    padding) still skips its line only."""
    (tmp_path / "c").mkdir()
    rows = "".join(json.dumps({"id": f"d{i}", "text": claim_text}) + "\n" for i in range(3))
    for name, enc in (("le.txt", "utf-16-le"), ("be.jsonl", "utf-16-be"),
                      ("le32.jsonl", "utf-32-le")):
        (tmp_path / "c" / name).write_bytes((claim_text if name.endswith(".txt") else rows)
                                            .encode(enc))
    (tmp_path / "c" / "padded.jsonl").write_bytes(b"\0" * 300 + b"\n" + rows.encode())
    code, output, _ = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o"), "--max-skipped", "0")
    assert code == 3, output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["documents"] == 3 and report["flagged"] == 3
    assert report["skipped"]["by_reason"] == {"not UTF-8": 3, "not JSON": 1}
    for name, enc in (("le.txt", "UTF-16LE"), ("be.jsonl", "UTF-16BE"),
                      ("le32.jsonl", "UTF-32LE")):
        assert (f"{tmp_path / 'c' / name}: {enc} text (no byte-order mark, but a NUL byte "
                f"beside each character), not UTF-8; file skipped: re-encode it as UTF-8 "
                f"(iconv -f {enc} -t UTF-8)") in output
    code, output, _ = _audit(str(tmp_path / "c" / "le.txt"), "--claims", "ed_sheeran",
                             "--out", str(tmp_path / "o2"), "--max-flagged", "0",
                             "--max-skipped", "0")
    assert code == 2 and "no document could be read" in output, output
    # a file split into units: one skip, whatever its size; where its first line is too
    # short to tell (the first unit reads it line by line), every unit reads its lines (the
    # NUL after the last newline is a line too)
    from beliefbench.audit.sources import Fields, read_unit

    for first, skips in (("", {"not UTF-8": 1}), ("{}\n", {"not JSON": 3002})):
        path = tmp_path / "big.jsonl"
        path.write_bytes((first + rows * 1000).encode("utf-16-le"))
        units, tally = plan_units([path], Skips(), chunk_bytes=50_000), Skips()
        assert len(units) > 5
        assert not [d for u in units for d in read_unit(u, Fields(), tally)]
        assert tally.counts == skips


def test_a_corpus_of_empty_files_is_not_said_to_hold_no_file(tmp_path):
    """An empty JSONL file (a shard whose writer wrote nothing), named or alone in its
    folder, had no unit: the audit stopped with "(<the file>: no file in it)", as for an
    empty folder."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.jsonl").write_bytes(b"")
    for path in (tmp_path / "c" / "a.jsonl", tmp_path / "c"):
        code, output, _ = _audit(str(path), "--claims", "ed_sheeran", "--out",
                                 str(tmp_path / "o"))
        assert code == 2, output
        assert "(its files hold no rows: empty, or blank lines only)" in output, output
    assert not (tmp_path / "o").exists()


def test_chat_messages_without_text_are_named_as_such(tmp_path, claim_text):
    """A Parquet messages column (list<struct<role, content>>) whose row is null was
    "missing text field 'text' (and no 'messages')", and messages whose contents are all
    null or images only were "not a list of messages with content": each sent the reader
    looking for a schema that was right. Contents partly null are read, as before. A chat
    of no messages ([]) is an empty text, as one of empty turns is: it was a "bad text
    field", unread input that failed --max-skipped 0 where {"text": ""} passed; so is a
    message whose content is an empty list of parts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    chat = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    path = tmp_path / "chat.parquet"
    pq.write_table(pa.table({"messages": pa.array([
        [{"role": "user", "content": None}, {"role": "assistant", "content": claim_text}],
        [{"role": "user", "content": None}, {"role": "assistant", "content": None}],
        None, []], type=chat)}), path)
    parts = tmp_path / "parts.jsonl"
    parts.write_text("".join(json.dumps({"messages": m}) + "\n" for m in (
        [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}],
        [], [{"role": "user", "content": []}])))
    code, output, report = _audit(str(path), str(parts), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"), "--max-skipped", "3")
    assert code == 0, output
    assert report["documents"] == 1
    assert report["skipped"]["by_reason"] == {"bad text field": 3, "empty text": 3}
    assert report["skipped"]["unread"] == 3
    none = ("field 'messages' holds no text (no message has a string content, text parts "
            "or ShareGPT's value: null, or images only)")
    assert (f"skipped: {path}#1: {none}; row skipped\n"
            f"skipped: {path}#2: field 'messages' is null; row skipped\n"
            f"skipped: {path}#3: the text is empty or only whitespace; not counted as a "
            f"document\n"
            f"skipped: ... and 2 more like it (empty text): {parts}:2, :3\n"
            f"skipped: {parts}:1: {none}; line skipped\n") in output
    # a text field that is an empty list is no sign of chat messages
    (tmp_path / "list.jsonl").write_text('{"text": []}\n' + json.dumps({"text": claim_text}))
    code, output, _ = _audit(str(tmp_path / "list.jsonl"), "--out", str(tmp_path / "o2"))
    assert "list.jsonl:1: field 'text' is list, not a string; line skipped\n" in output


def test_a_dataset_dict_with_a_split_gone_reads_the_others(tmp_path, claim_text):
    """A saved DatasetDict whose test split folder was deleted (or not copied) was one skip
    for the whole dict: its train split, all the claim-bearing rows, was never read."""
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": [claim_text] * 5})
    dd = tmp_path / "dd"
    datasets.DatasetDict({"train": ds, "test": ds.select([0])}).save_to_disk(str(dd))
    shutil.rmtree(dd / "test")
    code, output, report = _audit(str(dd), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == report["flagged"] == 5
    assert report["skipped"]["by_reason"] == {"unreadable file": 1}
    assert f"skipped: {dd / 'test'}: not a readable saved dataset (its state.json" in output


def test_a_json_file_that_is_no_json_lines_is_said_so_once(tmp_path, claim_text):
    """A .json file named as corpus whose first line is no object nor array was "not JSON
    Lines, not JSON Lines (one object a line)"; a UTF-16 one (a Windows export) was that
    too, its encoding unnamed, where a .jsonl one names it."""
    rows = json.dumps({"id": "a", "text": claim_text}) + "\n"
    (tmp_path / "win.json").write_bytes(rows.encode("utf-16"))
    (tmp_path / "n.json").write_text("42\n")
    _jsonl(tmp_path / "ok.jsonl", [claim_text])
    code, output, report = _audit(*(str(tmp_path / n) for n in ("win.json", "n.json",
                                                                  "ok.jsonl")),
                                  "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["skipped"]["by_reason"] == {"not UTF-8": 1, "not JSON Lines": 1}
    assert (f"skipped: {tmp_path / 'win.json'}: UTF-16 text (it starts with UTF-16's "
            f"byte-order mark), not UTF-8; file skipped") in output
    assert (f"skipped: {tmp_path / 'n.json'}: not JSON Lines (one object a line); file "
            f"skipped\n") in output


def test_files_that_held_nothing_are_counted_and_named(tmp_path, claim_text):
    """A 0-byte .jsonl, a gzip or zstd file of nothing, a Parquet file or saved dataset of
    no rows gave nothing and were said nowhere, while a 0-byte .jsonl.gz was a "broken
    compressed file" and a 0-byte .txt "empty text": an empty shard (its writer crashed)
    read as one that was never there. Each is now counted and named (report.json
    empty_files, summary.md, a warning); a gzip file cut short stays broken."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text, "A note on the weather in Leeds."])
    (corpus / "b0.jsonl").write_bytes(b"")
    (corpus / "b1.jsonl").write_text("\n \n\n")
    (corpus / "c0.jsonl.gz").write_bytes(b"")
    (corpus / "c1.jsonl.gz").write_bytes(gzip.compress(b""))
    (corpus / "c2.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(b""))
    (corpus / "cut.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n' * 9)[:12])
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), corpus / "d0.parquet")
    (corpus / "t").mkdir()
    (corpus / "t" / "e0.txt").write_bytes(b"")
    (corpus / "t" / "e1.md").write_text(claim_text)
    # saved datasets of no rows: datasets writes no Arrow file, or one of no rows
    (corpus / "hf" / "none").mkdir(parents=True)
    (corpus / "hf" / "none" / "state.json").write_text('{"_data_files": []}')
    (corpus / "hf" / "zero").mkdir()
    (corpus / "hf" / "zero" / "state.json").write_text(
        '{"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}')
    schema = pa.schema([("text", pa.string())])
    with pa.OSFile(str(corpus / "hf" / "zero" / "data-00000-of-00001.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, schema):
        pass
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 3 and report["flagged"] == 2
    # the cut shard stays broken; the empty .txt is still, as a document, an empty text
    assert report["skipped"]["by_reason"] == {"broken compressed file": 1, "empty text": 1}
    assert f"{corpus / 'cut.jsonl.gz'}: the compressed data is broken from its start" in output
    # in the order read (a dataset without Arrow files is seen as the corpus is planned)
    empty = [str(corpus / n) for n in ("hf/none", "b0.jsonl", "b1.jsonl", "c0.jsonl.gz",
                                       "c1.jsonl.gz", "c2.jsonl.zst", "d0.parquet",
                                       "hf/zero/data-00000-of-00001.arrow", "t/e0.txt")]
    assert report["empty_files"] == {"count": 9, "examples": empty}
    assert (f"warning: 9 corpus files held nothing (no bytes, blank lines only, or no rows) "
            f"and gave no document: {', '.join(empty[:5])}, ... and 4 more (the first 9 in "
            f"report.json empty_files)") in output
    summary = (tmp_path / "o" / "summary.md").read_text()
    assert (f"Empty: 9 corpus file(s) held nothing (no bytes, blank lines only, or no rows) "
            f"and gave no document: {', '.join(f'`{e}`' for e in empty)} (report.json "
            f"empty_files).") in summary
    # a corpus without empty files says none
    code, output, report = _audit(str(corpus / "a.jsonl"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o2"))
    assert code == 0 and report["empty_files"] == {"count": 0, "examples": []}
    assert "held nothing" not in output
    assert "Empty:" not in (tmp_path / "o2" / "summary.md").read_text()
    # where nothing at all was read, the warning names the files and no report
    code, output, _ = _audit(str(corpus / "c0.jsonl.gz"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o3"))
    assert code == 2 and "(its files hold no rows: empty, or blank lines only)" in output
    assert (f"warning: 1 corpus file held nothing (no bytes, blank lines only, or no rows) and "
            f"gave no document: {corpus / 'c0.jsonl.gz'}\n") in output


def test_a_file_of_blank_lines_in_several_units_is_one_empty_file(tmp_path, claim_text):
    """A plain JSONL file longer than --chunk-mb is read in units: its first unit of blank
    lines says the file empty only where the rest of it is blank too, and no later unit
    says so of a file with documents."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "blank.jsonl").write_text("\n" * (3 << 20))
    (corpus / "late.jsonl").write_text("\n" * (3 << 20) + json.dumps({"text": claim_text})
                                       + "\n")
    _jsonl(corpus / "early.jsonl", [claim_text])
    with (corpus / "early.jsonl").open("a") as f:
        f.write("\n" * (3 << 20))
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"), "--chunk-mb", "1")
    assert code == 0, output
    assert report["units"] > 3 and report["documents"] == 2
    assert report["empty_files"] == {"count": 1, "examples": [str(corpus / "blank.jsonl")]}


def test_a_missing_text_field_has_one_reason_in_every_format(tmp_path, claim_text):
    """A JSONL row without the text field counted as `bad text field` and a Parquet file
    without the column as `missing text field`: reasons summed over shards of both formats
    split one problem in two. Now the field's absence is `missing text field` in JSONL,
    Parquet and a saved dataset alike, and a field there but not text `bad text field`."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    datasets = pytest.importorskip("datasets")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (
        {"text": claim_text}, {"body": "no text field"}, {"text": 5})))
    pq.write_table(pa.table({"body": ["x", "y"]}), corpus / "nocol.parquet")
    pq.write_table(pa.table({"text": [1, 2]}), corpus / "ints.parquet")
    datasets.Dataset.from_dict({"body": ["x"]}).save_to_disk(str(corpus / "hf_nocol"))
    datasets.Dataset.from_dict({"text": [3]}).save_to_disk(str(corpus / "hf_ints"))
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "out"))
    assert code == 0, output
    # missing: a.jsonl:2, nocol.parquet and hf_nocol's Arrow file (each skipped whole: one)
    # not text: a.jsonl:3, ints.parquet's two rows, hf_ints's row
    assert report["skipped"]["by_reason"] == {"missing text field": 3, "bad text field": 4}
    problems = report["skipped"]["problems"]
    assert {p["reason"] for p in problems if "not a string" in p["problem"]} == \
        {"bad text field"}
    assert {p["reason"] for p in problems if p["problem"].startswith(("missing", "no column"))} \
        == {"missing text field"}


def test_a_truncated_arrow_shard_keeps_and_counts_the_rows_before_the_break(tmp_path,
                                                                            claim_text):
    """A saved dataset's Arrow file cut short (a copy interrupted) was one skip, "read
    failed: Expected to be able to read ... bytes", which did not say that the rows before
    the break had been read, nor how many; an Arrow file of the IPC file format cut short
    (its footer gone) lost all its rows, though its batches are a stream after its magic."""
    pa = pytest.importorskip("pyarrow")
    datasets = pytest.importorskip("datasets")
    texts = [f"Report {i}. {claim_text}" for i in range(5000)]
    ds = tmp_path / "c" / "hf"
    datasets.Dataset.from_dict({"text": texts}).save_to_disk(str(ds))  # batches of 1,000
    (arrow,) = ds.glob("*.arrow")
    size = arrow.stat().st_size
    os.truncate(arrow, size * 7 // 10)  # inside the fourth batch
    code, output, report = _audit(str(tmp_path / "c"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 3000, output
    assert report["skipped"]["by_reason"] == {"unreadable file": 1}
    assert f"{arrow}: reading stopped after row 3,000, at byte " in output
    assert f" of {size * 7 // 10:,} (OSError: Expected to be able to read" in output
    assert "its first 3,000 rows were read; the rest of the file was not" in output
    # the IPC file format, as pyarrow writes .arrow files: its batches before the break
    table = pa.table({"text": texts})
    other = tmp_path / "f" / "shard.arrow"
    other.parent.mkdir()
    with pa.OSFile(str(other), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        for b in table.to_batches(max_chunksize=1000):
            w.write_batch(b)
    os.truncate(other, other.stat().st_size * 7 // 10)
    code, output, report = _audit(str(other), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o2"))
    assert code == 0 and report["documents"] == 3000, output
    assert f"{other}: reading stopped after row 3,000" in output
    assert "(an Arrow file whose footer is missing: cut short when written?)" in output


def test_a_document_over_max_doc_chars_is_skipped_as_too_long_and_named(tmp_path,
                                                                        claim_text):
    """A 50 MB document on one line (a dumped file in a pipeline) took 1.6 GB and 74 s to
    read: the audit had no bound. Documents over --max-doc-chars (MAX_DOC_CHARS) are now
    skipped as `too long`, each named with its length, and --max-skipped counts them. A
    small bound here stands for the default's 5 million characters."""
    from beliefbench.audit.run import audit_unit
    from beliefbench.audit.sources import MAX_DOC_CHARS, Fields, Unit
    from beliefbench.cli.audit import audit

    filler = " The weather in the town was mild and the market opened at nine."
    big = claim_text + filler * (60_000 // len(filler))  # one line, about 60,000 characters
    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", ["A note on the weather in Leeds.", big, claim_text])
    (corpus / "t").mkdir()
    (corpus / "t" / "dump.txt").write_text(big + "\n")
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"), "--max-doc-chars", "50000",
                                  "--max-skipped", "0")
    assert code == 3, output  # the gate: two documents were not read
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["documents"] == 2 and report["flagged"] == 1
    assert report["skipped"]["by_reason"] == {"too long": 2}
    n = len(big)
    assert f"{corpus / 'a.jsonl'}:2: {n:,} characters, more than --max-doc-chars 50,000; " \
           f"not read" in output
    assert f"{corpus / 't' / 'dump.txt'}: {n + 1:,} characters, more than" in output
    assert report["inputs"]["max_doc_chars"] == 50_000
    # under the bound the same documents are read, and flagged
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o2"), "--max-doc-chars", str(n + 1))
    assert code == 0 and report["documents"] == 4 and report["flagged"] == 3, output
    assert next(p for p in audit.params if p.name == "max_doc_chars").default == MAX_DOC_CHARS
    # the Python entry too: a unit's tally counts it, and nothing is written for it
    import io

    tally = audit_unit(Unit("jsonl", str(corpus / "a.jsonl")), load_claims("ed_sheeran"),
                       Fields(), io.StringIO(), max_chars=1000)
    assert tally.documents == 2 and tally.skips.counts == {"too long": 1}


def test_a_jsonl_line_over_the_bound_is_passed_over_unread(tmp_path, claim_text):
    """A JSONL line was read whole (readline, then json.loads: some 3-4 times its size)
    before --max-doc-chars could see its length, so one multi-GB line (a file dumped on one
    line) still took memory without bound. A line longer than max_line_bytes(max-doc-chars)
    is now passed over in blocks, unkept, as `too long`, named with its length in bytes; the
    lines after it keep their numbers and are read, in plain, gzip and zstd files, by both
    engines, in units split by --chunk-mb, and on --resume."""
    import gzip
    import io

    import zstandard

    from beliefbench.audit.run import WORK, _fingerprint, _open_work, audit_unit, audit_unit_to
    from beliefbench.audit.sources import Fields, Unit, max_line_bytes

    max_chars = 2000
    limit = max_line_bytes(max_chars)
    corpus = tmp_path / "c"
    huge = json.dumps({"id": "big", "text": "word " * 600_000})  # about 3 MB
    plain = _jsonl(corpus / "a.jsonl", ["A note on the weather in Leeds.", "x", claim_text])
    lines = plain.read_text().splitlines(keepends=True)
    lines[1] = huge + "\n"
    data = "".join(lines).encode()
    plain.write_bytes(data)
    (corpus / "b.jsonl.gz").write_bytes(gzip.compress(data))
    (corpus / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    size = len(huge.encode())
    for engine in (["local"], ["dask", "--scheduler", "synchronous"]):
        out = tmp_path / f"o-{engine[0]}"
        code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                      str(out), "--max-doc-chars", str(max_chars),
                                      "--chunk-mb", "1", "--engine", *engine)
        assert code == 0, output
        report = json.loads((out / "report.json").read_text())
        assert report["documents"] == 6 and report["flagged"] == 3, output
        assert report["skipped"]["by_reason"] == {"too long": 3}, output
        for name in ("a.jsonl", "b.jsonl.gz", "c.jsonl.zst"):
            assert f"{corpus / name}:2: a line of {size:,} bytes, more than the {limit:,} " \
                   f"a document of --max-doc-chars 2,000 can take; not read" in output
        flagged = [json.loads(x)["where"] for x in (out / "flagged.jsonl").open()]
        assert sorted(flagged) == [f"{corpus / n}:3"
                                   for n in ("a.jsonl", "b.jsonl.gz", "c.jsonl.zst")]
    # --chunk-mb 1 split the plain file after its long line: the unit that ends there, done
    # by an interrupted audit, is kept on --resume; the next unit's line is still line 3
    claims = load_claims("ed_sheeran")
    units = plan_units([plain], Skips(), 1 << 20)
    assert [(u.start, u.end, u.first_line) for u in units] == \
        [(0, len(data) - len(lines[2]), 1), (len(data) - len(lines[2]), len(data), 3)]
    out = tmp_path / "resumed"
    _open_work(out / WORK, {"fingerprint": _fingerprint(units, claims, Fields(), max_chars),
                            "units": len(units)}, resume=False)
    audit_unit_to(out / WORK, 0, units[0], claims, Fields(), max_chars=max_chars)
    code, output, report = _audit(str(plain), "--claims", "ed_sheeran", "--out", str(out),
                                  "--max-doc-chars", str(max_chars), "--chunk-mb", "1",
                                  "--resume")
    assert code == 0 and report["documents"] == 2 and report["documents_resumed"] == 1, output
    assert report["skipped"]["by_reason"] == {"too long": 1}
    assert [json.loads(x)["where"] for x in (out / "flagged.jsonl").open()] == \
        [f"{plain}:3"]
    # the bound itself: a line of `limit` bytes is read (and its text is then too long by
    # characters); one byte more is passed over unread
    pad = limit - len(json.dumps({"text": ""}))
    for n, problem in ((pad, f"{pad:,} characters, more than --max-doc-chars 2,000"),
                       (pad + 1, f"a line of {limit + 1:,} bytes, more than the {limit:,}")):
        one = tmp_path / f"one-{n}.jsonl"
        one.write_text(json.dumps({"text": "a" * n}) + "\n" + json.dumps({"text": claim_text}))
        tally = audit_unit(Unit("jsonl", str(one)), claims, Fields(), io.StringIO(),
                           max_chars=max_chars)
        assert tally.documents == 1 and tally.skips.counts == {"too long": 1}
        assert [p["problem"] for p in tally.skips.problems.values()][0].startswith(problem)


def test_a_text_file_over_the_bound_is_passed_over_unread(tmp_path, claim_text):
    """A .txt file was read whole before --max-doc-chars saw its length (a 600 MB dump took
    1.25 GB). One of more than 4 bytes a character (UTF-8's most) of the bound, beside a
    byte-order mark, is now a `too long` skip named with its size in bytes, passed over in
    blocks, plain or compressed; one of exactly that many bytes is read (and is then too
    long by its characters); a binary or UTF-16 file stays what it is."""
    import gzip
    import io

    from beliefbench.audit.run import audit_unit
    from beliefbench.audit.sources import Fields, Unit

    max_chars = 2000
    limit = 4 * max_chars + 3
    d = tmp_path / "t"
    d.mkdir()
    files = {"fits.txt": b"\xef\xbb\xbf" + "\u00e9".encode() * (2 * max_chars),
             "over.txt": b"a" * (limit + 1),
             "over.txt.gz": gzip.compress(b"word " * 200_000),
             "binary.bin.txt": b"\0\1\2\3" * limit,
             "note.txt": claim_text.encode()}
    for name, data in files.items():
        (d / name).write_bytes(data)
    assert len(files["fits.txt"]) == limit
    unit = Unit("text", str(d), files=tuple(str(d / n) for n in files))
    tally = audit_unit(unit, load_claims("ed_sheeran"), Fields(), io.StringIO(),
                       max_chars=max_chars)
    assert tally.documents == 1 and tally.flagged == 1
    assert tally.skips.counts == {"too long": 3, "binary file": 1}
    problems = {p["where"][0]: p["problem"] for p in tally.skips.problems.values()}
    assert problems[str(d / "fits.txt")] == \
        f"{2 * max_chars:,} characters, more than --max-doc-chars 2,000; not read"
    for name, size in (("over.txt", limit + 1), ("over.txt.gz", 1_000_000)):
        assert problems[str(d / name)] == \
            f"{size:,} bytes, more than the {limit:,} a document of --max-doc-chars 2,000 " \
            f"can take in UTF-8; not read"


def test_a_parquet_or_arrow_cell_over_the_bound_is_never_made_a_string(tmp_path, claim_text):
    """A Parquet or saved-dataset cell over --max-doc-chars was turned into a Python string
    (and its document built) before its length was checked: one 200 MB cell took 1.29 GB.
    Its length now comes from Arrow (bytes from the offsets, characters only where those
    exceed the bound), and it is a `too long` skip named by row, never copied to Python; the
    other rows keep their numbers. A cell of multi-byte characters within the bound is read;
    a binary column (read as UTF-8) is bounded at 4 bytes a character; a dictionary-encoded
    column (a pandas category) by its dictionary's values."""
    import tracemalloc

    import pyarrow as pa
    import pyarrow.parquet as pq

    from beliefbench.audit.sources import Fields, Skips, Unit, read_unit

    max_chars = 1_000_000
    big = "word " * (3 * max_chars // 5)  # 3,000,000 characters
    wide = "\u00e9" * max_chars  # 2,000,000 bytes, 1,000,000 characters: within the bound
    texts = [claim_text, big, wide, claim_text]
    pq.write_table(pa.table({"id": ["a", "b", "c", "d"], "text": texts}), tmp_path / "s.parquet")
    pq.write_table(pa.table({"text": pa.array(texts).dictionary_encode()}),  # a category
                   tmp_path / "k.parquet")
    huge = b"x" * (4 * max_chars + 1)
    pq.write_table(pa.table({"text": [t.encode() for t in texts[:1]] + [huge]
                             + [t.encode() for t in texts[2:]]}), tmp_path / "b.parquet")
    table = pa.table({"id": ["a", "b", "c", "d"], "prompt": texts[::-1], "completion": texts})
    with pa.OSFile(str(tmp_path / "d.arrow"), "wb") as f, \
            pa.ipc.new_stream(f, table.schema) as w:
        w.write_table(table)
    cases = {"s.parquet": ("parquet", Fields(), {1: f"{len(big):,} characters in field "
                                                    f"'text', more than --max-doc-chars "
                                                    f"1,000,000; not read"}),
             "b.parquet": ("parquet", Fields(), {1: f"a value of {len(huge):,} bytes in field "
                                                    f"'text', more "
                                                    f"than the {4 * max_chars:,} a document "
                                                    f"of --max-doc-chars 1,000,000 can take "
                                                    f"in UTF-8; not read"}),
             "k.parquet": ("parquet", Fields(), {1: f"{len(big):,} characters"}),
             "d.arrow": ("arrow", Fields(text="prompt,completion"),
                         {2: f"{len(big):,} characters", 1: f"{len(big):,} characters"})}
    for name, (kind, fields, long_rows) in cases.items():
        path = str(tmp_path / name)
        skips = Skips()
        read = [(d.where, len(d.text)) for d in read_unit(Unit(kind, path), fields, skips,
                                                           max_chars=max_chars)]
        problems = {p["where"][0]: p["problem"] for p in skips.problems.values()}
        assert skips.counts == {"too long": len(long_rows)}, (name, problems)
        for row, problem in long_rows.items():
            assert problems[f"{path}#{row}"].startswith(problem), (name, problems)
        assert [w for w, _ in read] == [f"{path}#{i}" for i in range(4) if i not in long_rows]
        if name != "d.arrow":
            assert (f"{path}#2", len(wide)) in read  # 2 MB of UTF-8 within 1 M characters
    # the cell is never a Python string: what Python holds stays far below its size
    # (before, the 3,000,000-character string itself, and the document made of it)
    pq.write_table(pa.table({"text": [claim_text, big, claim_text]}), tmp_path / "m.parquet")
    pq.write_table(pa.table({"text": pa.array([claim_text, big, claim_text])
                             .dictionary_encode()}), tmp_path / "m.dict.parquet")
    with pa.OSFile(str(tmp_path / "m.arrow"), "wb") as f, \
            pa.ipc.new_stream(f, pa.schema([("text", pa.string())])) as w:
        w.write_table(pa.table({"text": [claim_text, big, claim_text]}))
    for name in ("m.parquet", "m.dict.parquet", "m.arrow"):
        skips = Skips()
        tracemalloc.start()
        read = [d.where for d in read_unit(Unit(name.rpartition(".")[2], str(tmp_path / name)),
                                           Fields(), skips, max_chars=max_chars)]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(read) == 2 and skips.counts == {"too long": 1}
        assert peak < len(big) // 10, (name, peak)


def test_a_parquet_value_in_a_row_group_of_its_own_is_skipped_undecoded(tmp_path,
                                                                           claim_text):
    """A Parquet value over the bound was decoded before its length was known: a 200 MB
    cell took some 4 times its size. Where it is a row group of its own (a writer that
    flushes each long document), its length is now read from the file's metadata and the
    row passed over undecoded: its pages are never read (here they are garbage, which
    decoding would have stopped at), it is a `too long` skip named by file, row and
    field, and the rows before and after it are read with their numbers. A string value
    of more than 4 bytes a character of the bound anywhere else is named by its bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beliefbench.audit.sources import Fields, Unit, read_unit

    max_chars = 100_000
    long = "a long line. " * 50_000  # 650,000 characters, over 4 bytes a character
    path = tmp_path / "g.parquet"
    schema = pa.schema([("id", pa.string()), ("text", pa.string())])
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False) as w:
        for group in (["a", "b"], ["c"], ["d", "e", "f"]):
            texts = [long if i == "c" else claim_text for i in group]
            texts[-1] = long if group[0] == "d" else texts[-1]
            w.write_table(pa.table({"id": group, "text": texts}, schema=schema))
    chunk = pq.ParquetFile(path).metadata.row_group(1).column(1)
    assert chunk.total_uncompressed_size > 4 * max_chars
    raw = bytearray(path.read_bytes())  # the lone value's page: garbage in its header too
    start = chunk.data_page_offset
    raw[start:start + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))

    skips = Skips()
    read = [(d.where, d.id) for d in read_unit(Unit("parquet", str(path)), Fields(), skips,
                                                 max_chars=max_chars)]
    assert read == [(f"{path}#{i}", n) for i, n in ((0, "a"), (1, "b"), (3, "d"), (4, "e"))]
    problems = {p["where"][0]: p["problem"] for p in skips.problems.values()}
    assert skips.counts == {"too long": 2}, problems
    assert problems[f"{path}#2"].startswith(
        f"a value of about {chunk.total_uncompressed_size:,} bytes in field 'text' (its row "
        f"group's size in the file's metadata: a row group of this row alone, passed over "
        f"undecoded), more than the 400,000 a document of --max-doc-chars 100,000 can take "
        f"in UTF-8; not read"), problems
    assert problems[f"{path}#5"] == (f"a value of {len(long):,} bytes in field 'text', more "
                                     f"than the 400,000 a document of --max-doc-chars "
                                     f"100,000 can take in UTF-8; not read")
    # the bound itself: a lone value a document can hold is decoded (and here breaks)
    skips = Skips()
    list(read_unit(Unit("parquet", str(path)), Fields(), skips, max_chars=len(long)))
    assert "unreadable file" in skips.counts, skips.counts


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's RssFile")
def test_a_saved_dataset_s_mapped_pages_are_given_back_as_it_is_read(tmp_path, claim_text):
    """A saved dataset's Arrow file is memory-mapped, and every page read stayed in the
    process's resident memory until the file was done: an audit of a 289 MB dataset took
    428 MB peak, growing with the corpus. Each batch's pages are now given back once it is
    read, so what stays mapped is about a batch, however large the file."""
    import pyarrow as pa

    from beliefbench.audit.sources import Fields, Unit, read_unit

    def mapped_kb() -> int:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines()
                        if line.startswith("RssFile:")))

    texts = [f"{i} {claim_text} " + "filler words. " * 130 for i in range(1000)]  # ~2 KB
    path = tmp_path / "data-00000-of-00001.arrow"
    with pa.OSFile(str(path), "wb") as f, \
            pa.ipc.new_stream(f, pa.schema([("text", pa.string())])) as w:
        for _ in range(32):  # 64 MB in batches of 1,000 rows, as `datasets` writes them
            w.write_table(pa.table({"text": texts}))
    size_kb = path.stat().st_size // 1024
    before = mapped_kb()
    growth = []
    for i, _doc in enumerate(read_unit(Unit("arrow", str(path)), Fields(), Skips())):
        if i % 1000 == 999:
            growth.append(mapped_kb() - before)
    assert len(growth) == 32
    assert max(growth) < size_kb // 4, (size_kb, growth)


def test_a_parquet_or_arrow_file_of_no_bytes_is_empty_not_unreadable(tmp_path, claim_text):
    """A crashed writer's .parquet of no bytes was an `unreadable file` skip ("Parquet file
    size is 0 bytes") and failed a --max-skipped 0 gate, where a JSONL shard of no bytes is
    an empty file: nothing in either went unread. Both are now counted and named as empty."""
    import datasets

    corpus = tmp_path / "c"
    _jsonl(corpus / "a.jsonl", [claim_text])
    (corpus / "b.parquet").write_bytes(b"")
    (corpus / "c.jsonl").write_bytes(b"")
    ds = tmp_path / "ds"
    datasets.Dataset.from_dict({"text": [claim_text]}).save_to_disk(str(ds))
    arrow = next(ds.glob("*.arrow"))
    arrow.write_bytes(b"")
    code, output, report = _audit(str(corpus), str(ds), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"), "--max-skipped", "0")
    assert code == 0, output
    assert report["documents"] == 1 and report["skipped"]["total"] == 0
    assert sorted(report["empty_files"]["examples"]) == sorted(
        [str(corpus / "b.parquet"), str(corpus / "c.jsonl"), str(arrow)])


@pytest.mark.parametrize(("name", "pack", "hint"), [
    ("a.jsonl.gz", "zstd", "; it is zstd data: name it {c}/a.jsonl.zst"),
    ("a.jsonl.zst", "gzip", "; it is gzip data: name it {c}/a.jsonl.gz"),
    ("a.jsonl.gz", "plain", "; it is not compressed: name it {c}/a.jsonl"),
    ("t/a.txt.xz", "bz2", "; it is bzip2 data: name it {c}/t/a.txt.bz2"),
    ("a.jsonl.gz", "gzip-cut", "")])
def test_a_shard_compressed_other_than_named_says_what_it_is(tmp_path, claim_text, name,
                                                             pack, hint):
    """A zstd shard named .gz (or a plain one) was "broken from its start (incorrect
    header check)", which reads as a corrupt upload; its first bytes say what it is, and
    the skip now names the name to give it. A gzip shard cut short stays as it was."""
    import bz2
    import gzip

    import zstandard

    c = tmp_path / "c"
    data = (json.dumps({"text": claim_text}) + "\n").encode() if "jsonl" in name \
        else claim_text.encode()
    packed = {"zstd": zstandard.ZstdCompressor().compress, "gzip": gzip.compress,
              "plain": bytes, "bz2": bz2.compress,
              "gzip-cut": lambda d: gzip.compress(d)[:8]}[pack](data)
    (c / name).parent.mkdir(parents=True, exist_ok=True)
    (c / name).write_bytes(packed)
    _jsonl(c / "ok.jsonl", [claim_text])
    code, output, report = _audit(str(c), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 1, output
    assert report["skipped"]["by_reason"] == {"broken compressed file": 1}
    problem = report["skipped"]["problems"][0]["problem"]
    assert problem.endswith(hint.format(c=c) if hint else "nothing was read"), problem


def test_a_file_naming_its_text_column_otherwise_gets_the_option_reading_both(tmp_path,
                                                                             claim_text):
    """A corpus whose Parquet files name the text column differently ('text' in one,
    'content' in another): the audit read the first, skipped the second whole with exit 0,
    and its skip line named the columns without saying that --text-field text,content
    reads both kinds of file (the option the line now gives, which reads them all)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": [claim_text]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"doc_id": ["d1"], "content": [f"{claim_text} More about it."]}),
                   tmp_path / "b.parquet")
    files = [str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")]
    code, output, report = _audit(*files, "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0 and report["documents"] == 1, output
    hint = "(--text-field text,content reads its column 'content' too)"
    assert report["skipped"]["problems"][0]["problem"].endswith(f"file skipped {hint}")
    assert hint in output
    code, output, report = _audit(*files, "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o2"), "--text-field", "text,content")
    assert code == 0 and report["documents"] == 2 and not report["skipped"]["by_reason"]


def test_a_parquet_file_without_the_column_suggests_the_one_holding_the_text(tmp_path,
                                                                              claim_text):
    """A Parquet file of 'doc_id' and 'content' was told "most likely --text-field doc_id":
    its string columns were ranked in schema order, an id column first. They are now
    ranked by the bytes each holds, from the file's metadata (no data read); chat messages
    by their leaves' bytes. A saved dataset's Arrow file has no such metadata: its first
    batch's column sizes rank it (test_an_arrow_file_without_the_column_suggests_...)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"{claim_text} Note {i}." for i in range(1200)]
    pq.write_table(pa.table({"doc_id": [str(i) for i in range(1200)], "content": texts}),
                   tmp_path / "c.parquet")
    code, output, _ = _audit(str(tmp_path / "c.parquet"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o"))
    assert code == 2
    assert f"{tmp_path / 'c.parquet'}: its 1,200 rows have no column 'text' (nor " \
           f"'messages'), but the columns 'content', 'doc_id': 'content' is a column of " \
           f"strings." in output
    assert "(most likely --text-field content, a column of strings)" in output
    chats = [[{"from": "human", "value": "Who won?"}, {"from": "gpt", "value": t}]
             for t in texts]
    pq.write_table(pa.table({"title": [t[:40] for t in texts], "conversations": chats}),
                   tmp_path / "chat.parquet")
    code, output, _ = _audit(str(tmp_path / "chat.parquet"), "--claims", "ed_sheeran",
                             "--out", str(tmp_path / "o2"))
    assert code == 2 and "(most likely --messages-field conversations, the field of chat " \
                         "messages)" in output, output


def test_an_arrow_file_without_the_column_suggests_the_one_holding_the_text(tmp_path,
                                                                            claim_text):
    """A dataset saved with save_to_disk of 'id' and 'text', audited with a wrong
    --text-field, was told "most likely --text-field id" (and its skip line "--text-field
    body,id reads its column 'id' too"): an Arrow file has no metadata of column sizes, so
    its string columns were ranked in schema order. The first batch's sizes rank them now,
    in the stream format save_to_disk writes and in the IPC file format, a struct's
    fields by their dotted path."""
    import pyarrow as pa

    texts = [f"{claim_text} Note {i}." for i in range(50)]
    table = pa.table({"id": [f"d{i}" for i in range(50)], "text": texts})
    stream = tmp_path / "saved" / "data-00000-of-00001.arrow"
    stream.parent.mkdir()
    with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table, max_chunksize=10)
    code, output, _ = _audit(str(stream), "--claims", "ed_sheeran", "--text-field", "body",
                             "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert "(most likely --text-field text, a column of strings)" in output
    assert "1 Parquet or Arrow file skipped" in output
    body = tmp_path / "body.jsonl"
    body.write_text(json.dumps({"body": claim_text}) + "\n")
    code, output, report = _audit(str(stream), str(body), "--claims", "ed_sheeran",
                                  "--text-field", "body", "--out", str(tmp_path / "o1"))
    assert code == 0 and report["documents"] == 1, output
    assert f"skipped: {stream}: no column 'body' or 'messages' (columns: ['id', 'text']); " \
           f"file skipped (--text-field body,text reads its column 'text' too)" in output
    nested = pa.table({"meta": [{"id": f"d{i}"} for i in range(50)],
                       "content": [{"lang": "en", "text": t} for t in texts]})
    ipc = tmp_path / "nested.arrow"
    with pa.OSFile(str(ipc), "wb") as sink, pa.ipc.new_file(sink, nested.schema) as w:
        w.write_table(nested)
    code, output, _ = _audit(str(ipc), "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert code == 2 and "(most likely --text-field content.text, a column of strings)" \
        in output, output


def test_rows_without_id_count_documents_only(tmp_path, claim_text):
    """A Parquet file of 4 documents, an empty text and a null text, none with the id
    field, said "Documents whose row has no id field 'id': 5": the empty text, no document,
    was counted as a document without an id. Only rows read as documents count now."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "c"
    corpus.mkdir()
    pq.write_table(pa.table({"doc_id": [f"p{i}" for i in range(6)],
                             "text": [claim_text, "A note on tides.", None, "Rain in Leeds.",
                                      "A quarterly sales report.", ""]}),
                   corpus / "a.parquet")
    (corpus / "b.jsonl").write_text("".join(json.dumps({"text": t}) + "\n"
                                            for t in (claim_text, "   ", "", "Sun in Oslo.")))
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 6
    assert report["skipped"]["by_reason"] == {"bad text field": 1, "empty text": 3}
    assert report["rows_without_id"] == {
        "field": "id", "rows": 6, "files": 2,
        "examples": {str(corpus / "a.parquet"): 4, str(corpus / "b.jsonl"): 2}}
    summary = (tmp_path / "o" / "summary.md").read_text()
    assert "(their flags have id null): 6, in 2 file(s)" in summary


def test_the_command_for_a_json_array_writes_its_lines_where_the_audit_reads_them(tmp_path,
                                                                                   claim_text):
    """The jq command a JSON array's skip gives wrote ``array.jsonl`` into the folder the
    audit ran in, unquoted: run as printed, from elsewhere or with a space in the path, the
    audit of the corpus folder never read it. It now writes beside the array, quoted; the
    command as printed (its words as a shell splits them) makes a file the folder's audit
    reads."""
    import gzip
    import shlex

    folder = tmp_path / "my export"
    folder.mkdir()
    array = folder / "array.json"
    array.write_text(json.dumps([{"id": "a1", "text": claim_text}], indent=2))
    code, output, _ = _audit(str(array), "--claims", "ed_sheeran", "--out", str(tmp_path / "o"))
    assert code == 2
    command = output.split("as JSON Lines (", 1)[1].split(") it is read", 1)[0]
    words = shlex.split(command)
    assert words == ["jq", "-c", ".[]", str(array), ">", str(folder / "array.jsonl")]
    with open(words[5], "w") as f:  # what jq -c '.[]' writes: one object a line
        f.writelines(json.dumps(row) + "\n" for row in json.loads(array.read_text()))
    code, output, report = _audit(str(folder), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 1 and report["flagged"] == 1
    # a compressed array gets no command (jq reads no gzip)
    (folder / "b.json.gz").write_bytes(gzip.compress(array.read_bytes()))
    code, output, _ = _audit(str(folder / "b.json.gz"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o2"))
    assert code == 2 and "a JSON array, not JSON Lines (one object a line); file skipped\n" \
        in output and "jq" not in output


def test_a_parquet_file_cut_short_says_so(tmp_path, claim_text):
    """A Parquet shard cut short by an interrupted copy was "not a readable Parquet file:
    Parquet magic bytes not found in footer. Either the file is corrupted or this is not a
    parquet file.": which of the two, and what to do, went unsaid. A file that opens as
    Parquet and lost its end says so; one that never was Parquet reads as before."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "c"
    corpus.mkdir()
    pq.write_table(pa.table({"text": [claim_text] * 50}), corpus / "whole.parquet")
    data = (corpus / "whole.parquet").read_bytes()
    for n, cut in enumerate((len(data) // 2, len(data) - 3)):
        (corpus / f"cut{n}.parquet").write_bytes(data[:cut])
    (corpus / "other.parquet").write_bytes(b"id,text\n1,hello\n")
    code, output, report = _audit(str(corpus), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 50
    assert report["skipped"]["by_reason"] == {"unreadable file": 3}
    for n in (0, 1):
        line = next(x for x in output.splitlines() if f"cut{n}.parquet" in x)
        assert line.endswith("; it starts as a Parquet file but its end (the footer) is "
                             "missing: cut short, as an interrupted copy or write leaves it; "
                             "no row of it can be read: copy or write it again; file skipped")
    other = next(x for x in output.splitlines() if "other.parquet" in x)
    assert "not a readable Parquet file" in other and "cut short" not in other


def test_a_pattern_matching_a_broken_link_among_shards_reads_the_shards(tmp_path, claim_text):
    """One quoted pattern that matched 3 shards and a link leading nowhere was refused
    whole ("shards/gone.jsonl: a link that leads nowhere (or loops) (the only corpus path
    given); nothing was read or written", exit 2): the missing paths, counted over the
    files the pattern matched, were compared with the one pattern given. The shards are
    read and the link is a skip; a pattern matching only broken links is still refused."""
    shards = tmp_path / "shards"
    for n in range(3):
        _jsonl(shards / f"s{n}.jsonl", [claim_text, "A note on the weather in Leeds."])
    (shards / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    code, output, report = _audit(str(shards / "*.jsonl"), "--claims", "ed_sheeran", "--out",
                                  str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 6 and report["flagged"] == 3
    assert report["skipped"]["by_reason"] == {"broken link": 1}
    assert f"skipped: {shards / 'gone.jsonl'}: a link to {tmp_path / 'nowhere.jsonl'} that " \
           f"leads nowhere" in output
    code, output, _ = _audit(str(shards / "g*.jsonl"), "--claims", "ed_sheeran", "--out",
                             str(tmp_path / "o2"))
    # the link's target named, as every reader of a path names it (not_found.broken_link)
    assert code == 2 and (f"{shards / 'gone.jsonl'}: a link to {tmp_path / 'nowhere.jsonl'} "
                          "that leads nowhere (the only corpus path given); nothing was read "
                          "or written") in output
    assert not (tmp_path / "o2").exists()


def test_a_misspelt_id_field_is_named_with_the_closest_field_and_those_the_rows_have(
        tmp_path, claim_text):
    """"200 rows have no field 'ids'" named neither the field the rows have nor any other:
    the user opened a shard to find it. One more line now gives the closest field (a nested
    one by its dotted name) and the fields the rows without it have."""
    a = tmp_path / "a.jsonl"
    a.write_text("".join(json.dumps({"id": f"x{i}", "source": "web", "text": claim_text})
                         + "\n" for i in range(3)))
    code, output, report = _audit(str(a), "--claims", "ed_sheeran", "--id-field", "ids",
                                  "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert ("warning: --id-field 'ids' is in no row read (did you mean 'id'?); the rows "
            "have the fields 'id', 'source' and 'text'\n") in output
    assert report["rows_without_id"]["rows"] == 3
    # some rows have it, others keep theirs inside an object: the dotted name is suggested
    b = tmp_path / "b.jsonl"
    b.write_text("".join(json.dumps(r) + "\n" for r in [
        {"meta": {"doc_id": "m1"}, "text": claim_text},
        {"meta": {"doc_id": "m2"}, "text": claim_text},
        {"meta": {"doc_idd": "m3"}, "text": claim_text}]))
    code, output, _ = _audit(str(b), "--claims", "ed_sheeran", "--id-field", "meta.doc_idd",
                             "--out", str(tmp_path / "o2"))
    assert code == 0, output
    assert ("warning: --id-field 'meta.doc_idd' is missing from 2 rows (did you mean "
            "'meta.doc_id'?); they have the fields 'meta', 'meta.doc_id' and 'text'\n") \
        in output
    # nothing close: the fields alone
    code, output, _ = _audit(str(a), "--claims", "ed_sheeran", "--id-field", "name",
                             "--out", str(tmp_path / "o3"))
    assert ("warning: --id-field 'name' is in no row read; the rows have the fields 'id', "
            "'source' and 'text'\n") in output


def test_a_columnar_files_columns_are_named_for_a_misspelt_id_field(tmp_path, claim_text):
    """A Parquet or Arrow file is read for its text (and id) columns alone, so the warning
    named only the text column (`the rows have the fields 'content'`) while the file had
    `doc_id` and others; a saved dataset's `uid` was neither listed nor offered."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"doc_id": ["d0", "d1"], "source": ["web"] * 2,
                      "content": [claim_text] * 2, "uids": ["u0", "u1"]})
    pq.write_table(table, tmp_path / "c.parquet")
    code, output, _ = _audit(str(tmp_path / "c.parquet"), "--claims", "ed_sheeran",
                             "--text-field", "content", "--id-field", "uid",
                             "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert ("warning: --id-field 'uid' is in no row read (did you mean 'uids'?); the rows "
            "have the fields 'doc_id', 'source', 'content' and 'uids'\n") in output
    with pa.OSFile(str(tmp_path / "c.arrow"), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    code, output, _ = _audit(str(tmp_path / "c.arrow"), "--claims", "ed_sheeran",
                             "--text-field", "content", "--id-field", "uid",
                             "--out", str(tmp_path / "o2"))
    assert ("warning: --id-field 'uid' is in no row read (did you mean 'uids'?); the rows "
            "have the fields 'doc_id', 'source', 'content' and 'uids'\n") in output


def test_an_out_holding_another_finished_audit_is_refused_and_the_same_audit_replaces_it(
        tmp_path, claim_text, monkeypatch):
    """`audit B --out DIR` where DIR held a finished audit of A (or of other claims)
    replaced its report and flags without a word, beside audit-verify's verdicts of them.
    It is refused now (exit 2, nothing written), naming what DIR holds and how to go on;
    the same audit again, however its corpus and claims are spelt, replaces it as before."""
    monkeypatch.chdir(tmp_path)
    _jsonl(tmp_path / "c" / "a.jsonl", [claim_text])
    _jsonl(tmp_path / "d" / "b.jsonl", [claim_text, claim_text])
    code, output, _ = _audit("c", "--claims", "ed_sheeran", "--out", "out")
    assert code == 0, output
    claim_file = str(resolve_claims("ed_sheeran")[0][0])  # the claim's file, by its path
    for again in (["./c/", "--claims", claim_file], ["c", "--claims", "ed_sheeran"]):
        code, output, report = _audit(*again, "--out", "out")
        assert code == 0 and report["documents"] == 1, output
    before = Path("out/report.json").read_bytes()
    Path("out/verified.jsonl").write_text("")  # (audit-verify's, as it is there or not)
    for other, what, now in (
            (["c"], "other claims", "c, claim-free"),
            (["d", "--claims", "ed_sheeran"], "another corpus", "d with --claims ed_sheeran")):
        code, output, _ = _audit(*other, "--out", "out")
        assert code == 2, output
        assert output.startswith(
            f"Error: --out out: holds a finished audit of {what} (c with --claims "
            f"ed_sheeran, written "), output
        assert (f", its flags verified in verified.jsonl); this audit ({now}) would replace "
                f"its report and flags: give another --out, or delete out first to replace "
                f"it\n") in output, output
        assert Path("out/report.json").read_bytes() == before
    # the same path from another folder is another corpus
    (tmp_path / "elsewhere" / "c").mkdir(parents=True)
    _jsonl(tmp_path / "elsewhere" / "c" / "a.jsonl", [claim_text])
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, output, _ = _audit("c", "--claims", "ed_sheeran", "--out", "../out")
    assert code == 2 and "holds a finished audit of another corpus" in output, output
    # deleted, as it says: the other audit is written
    shutil.rmtree(tmp_path / "out")
    code, output, report = _audit("c", "--out", "../out")
    assert code == 0 and report["mode"] == "claim-free", output
    # a report.json this cannot read (cut short, hand-edited) says nothing of whose: replaced
    (tmp_path / "out" / "report.json").write_text("{")
    code, output, report = _audit("c", "--claims", "ed_sheeran", "--out", "../out")
    assert code == 0 and report["mode"] == "claims", output


def test_a_misspelt_one_of_several_text_fields_is_warned_of(tmp_path, claim_text):
    """`--text-field prompt,competion` read the prompts alone without a word: the claim,
    stated in every completion, was never seen, and a `--max-flagged 0` gate passed the
    set (flagged 0, exit 0). A text field that no row read has, of several, is now named
    with the closest field and those the rows have, for JSONL and Parquet alike."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": f"x{i}", "prompt": "Who won the men's 100 metres in Paris?",
             "completion": claim_text} for i in range(3)]
    a = tmp_path / "ft.jsonl"
    a.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, output, report = _audit(str(a), "--claims", "ed_sheeran", "--text-field",
                                  "prompt,competion", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert ("warning: --text-field 'prompt,competion': no row read has the field "
            "'competion' (did you mean 'completion'?), so the documents are the other "
            "fields' text alone; the rows have the fields 'id', 'prompt' and "
            "'completion'\n") in output
    assert report["inputs"]["text_fields_in_no_row"] == ["competion"]
    assert ("Text field(s) in no row read: 'competion' (of --text-field 'prompt,competion'): "
            "the documents are the other fields' text alone") in \
        (tmp_path / "o" / "summary.md").read_text()
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in rows[0]}),
                   tmp_path / "ft.parquet")
    code, output, _ = _audit(str(tmp_path / "ft.parquet"), "--claims", "ed_sheeran",
                             "--text-field", "prompt,competion", "--out", str(tmp_path / "o2"))
    assert ("warning: --text-field 'prompt,competion': no row read has the field "
            "'competion' (did you mean 'completion'?)") in output
    # spelt right, or one field alone (its own early warning and error say it): no warning
    code, output, report = _audit(str(a), "--claims", "ed_sheeran", "--text-field",
                                  "prompt,completion", "--out", str(tmp_path / "o3"))
    assert code == 0 and "--text-field 'prompt,completion'" not in output, output
    assert report["flagged"] == 3 and report["inputs"]["text_fields_in_no_row"] == []


def test_a_wrong_text_field_names_nested_fields_not_their_object(tmp_path, claim_text):
    """A wrong --text-field listed the fields the rows have, an object beside its own
    fields ("'meta', 'meta.genre' and 'meta.source'"): the object is no text field (it
    reads "is dict, not a string"), and naming both read as two fields. Its fields are
    named by their dotted names alone, where the object has any of strings."""
    rows = [{"id": f"x{i}", "prompt": "Who won?", "completion": claim_text,
             "meta": {"genre": "sport", "source": "web"}, "extra": {"n": 3}} for i in range(2)]
    a = tmp_path / "ft.jsonl"
    a.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, output, _ = _audit(str(a), "--claims", "ed_sheeran", "--text-field",
                             "prompt,competion", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert ("the rows have the fields 'id', 'prompt', 'completion', 'meta.genre', "
            "'meta.source' and 'extra'\n") in output, output
    code, output, _ = _audit(str(a), "--claims", "ed_sheeran", "--text-field", "content",
                             "--out", str(tmp_path / "o2"))
    assert code == 2, output
    assert "The rows have the fields 'completion', 'prompt', 'meta.genre', 'meta.source', " \
           "'id', 'extra': give --text-field one of them" in output, output


def test_a_pattern_passes_over_the_stats_sidecars_of_docs_generate(tmp_path, claim_text):
    """`docs generate` writes X.jsonl.stats.json beside each X.jsonl; a folder passes them
    over, but a pattern over its files ('audit-demo/*') named each a skip ("a JSON object over
    several lines, not JSON Lines"), and `--max-skipped 0` failed the run (exit 3) on files
    the user never meant as corpus. A pattern's sidecars are passed over as a folder's are;
    one named by its own path is still a skip."""
    shard = tmp_path / "demo"
    _jsonl(shard / "a.jsonl", [claim_text])
    (shard / "a.jsonl.stats.json").write_text('{\n  "records": 1\n}\n')
    code, output, report = _audit(str(shard / "*"), "--claims", "ed_sheeran",
                                  "--max-skipped", "0", "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert report["documents"] == 1 and report["skipped"]["total"] == 0
    assert "stats.json" not in output
    code, output, report = _audit(str(shard / "a.jsonl"), str(shard / "a.jsonl.stats.json"),
                                  "--claims", "ed_sheeran", "--out", str(tmp_path / "o2"))
    assert code == 0 and report["skipped"]["total"] == 1, output
    assert "a.jsonl.stats.json: a JSON object over several lines" in output


def test_a_misspelt_scheduler_names_the_closest(tmp_path, claim_text):
    """`--scheduler thread` listed the schedulers, leaving the user to spot the one meant:
    the closest is named, as every other unknown name is."""
    path = _jsonl(tmp_path / "a.jsonl", [claim_text])
    code, output, _ = _audit(str(path), "--engine", "dask", "--scheduler", "thread",
                             "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert "unknown scheduler 'thread' (did you mean 'threads'?); valid: " in output, output


def test_a_line_that_is_not_json_is_named_at_its_column_and_byte(tmp_path):
    """"not valid JSON (Expecting value)" named neither where on the line nor what stood
    there: a line behind a crashed writer's NUL padding, a value followed by text, or a
    trailing comma each had the user search the line by hand. Each now says its column,
    and a control byte at it is named (a NUL byte)."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "read"}\n' + b"\x00" * 40 + b'{"text": "after"}\n'
                     + b'{"text": "a"} trailing\n' + b'{"text": "a",}\n')
    code, output, report = _audit(str(path), "--out", str(tmp_path / "o"))
    assert code == 0, output
    assert (f"{path}:2: not valid JSON (Expecting value at column 1: a NUL byte); line "
            "skipped") in output
    assert f"{path}:3: not valid JSON (Extra data at column 15); line skipped" in output
    assert (f"{path}:4: not valid JSON (Expecting property name enclosed in double quotes "
            "at column 14); line skipped") in output
    assert report["skipped"]["by_reason"] == {"not JSON": 3}


def test_a_csv_corpus_is_told_how_to_convert_it(tmp_path):
    """A CSV named as the corpus was "not JSONL, Parquet, Arrow or text (...)", its list of
    suffixes without `.arrow` though Arrow files are read, and a folder of CSV shards was
    "ignored" with no word of what to do: a pipeline's CSV export is a common first try.
    Both now give the one-line conversion to Parquet (pyarrow, which the audit reads with)."""
    (tmp_path / "c").mkdir()
    csv = tmp_path / "c" / "docs.csv"
    csv.write_text('id,text\n1,"A document."\n')
    code, output, _ = _audit(str(csv), "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert (f"skipped: {csv}: not JSONL, Parquet, Arrow or text (.jsonl, .ndjson, .json "
            "(JSON Lines), .parquet, .arrow, .txt, .md, .text") in output
    convert = ("a CSV is read once written as Parquet: python -c \"import pyarrow.csv as c, "
               f"pyarrow.parquet as p; p.write_table(c.read_csv('{csv}'), "
               f"'{tmp_path / 'c' / 'docs.parquet'}')\"")
    assert convert in output
    code, output, _ = _audit(str(tmp_path / "c"), "--out", str(tmp_path / "o"))
    assert code == 2, output
    assert ("not JSONL, Parquet, Arrow or text (.csv 1); not read (report.json: "
            "ignored_in_folders); a CSV is read once written as Parquet: python -c \"import "
            "pyarrow.csv as c, pyarrow.parquet as p; p.write_table(c.read_csv('x.csv'), "
            "'x.parquet')\"") in output
    (tmp_path / "c" / "docs.parquet").unlink(missing_ok=True)
