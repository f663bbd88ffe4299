"""The shared file helpers: atomic writes and the manifest reader."""

from __future__ import annotations

import json
import os
import stat

import pytest
from conftest import ctrl_c_at_replace

from beliefbench.finetune.errors import ManifestError
from beliefbench.finetune.manifest import (
    MANIFEST,
    ManifestEntry,
    read_manifest_file,
    upsert_manifest,
)
from beliefbench.records import atomic_write_text


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_write_respects_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a.txt", "one")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").read_text() == "one"
    assert _mode(tmp_path / "a.txt") == _mode(plain) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_rewrite_keeps_the_files_mode(tmp_path):
    path = tmp_path / "b.txt"
    atomic_write_text(path, "one")
    path.chmod(0o640)
    atomic_write_text(path, "two")
    assert path.read_text() == "two" and _mode(path) == 0o640


def _entry(step: int) -> ManifestEntry:
    return ManifestEntry(path=f"/x/step-{step}", step=step, backend="local", format="full",
                         base_model="b", data="d", data_sha256="0", recipe={})


def test_atomic_write_takes_a_name_near_the_length_limit(tmp_path):
    """The temporary file beside the target once added 19 characters to its name, so a
    file name of 237-255 bytes, which the file system takes, could not be written."""
    path = tmp_path / ("d" * 245 + ".jsonl")
    atomic_write_text(path, "one\n")
    assert path.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_atomic_write_texts_never_leaves_a_file_beside_stale_companions(tmp_path, monkeypatch):
    """A dataset and its stats are written together: interrupted between the two, the
    dataset may be new without stats, never new beside the old stats."""
    from beliefbench.records import atomic_write_texts

    data, stats = tmp_path / "d.jsonl", tmp_path / "d.jsonl.stats.json"
    atomic_write_texts([(data, "old\n"), (stats, "old stats\n")])
    ctrl_c_at_replace(monkeypatch, 2)  # after the first file is in place
    with pytest.raises(KeyboardInterrupt):
        atomic_write_texts([(data, "new\n"), (stats, "new stats\n")])
    assert data.read_text() == "new\n" and not stats.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl"]  # no temporary left


def test_read_manifest_file_takes_file_or_directory_and_names_bad_lines(tmp_path):
    upsert_manifest(tmp_path, _entry(2))
    upsert_manifest(tmp_path, _entry(1))
    assert [e.step for e in read_manifest_file(tmp_path)] == [1, 2]
    assert read_manifest_file(tmp_path / MANIFEST) == read_manifest_file(tmp_path)
    with (tmp_path / MANIFEST).open("a") as f:
        f.write('{"path": "/x/step-3", "step": "three"}\n')
    with pytest.raises(ManifestError, match=r"manifest.jsonl, line 3: field step") as e:
        read_manifest_file(tmp_path)
    assert str(tmp_path) in str(e.value)
    with pytest.raises(ManifestError, match="no such manifest file"):
        read_manifest_file(tmp_path / "elsewhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / MANIFEST).write_text("\n")
    with pytest.raises(ManifestError, match="no checkpoints"):
        read_manifest_file(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / MANIFEST).write_text("not json\n")
    with pytest.raises(ManifestError, match="line 1"):
        read_manifest_file(tmp_path / "bad")


def test_atomic_write_names_the_file_when_something_is_in_its_way(tmp_path):
    """A file where the folder should be was "[Errno 17] File exists: 'afile'"; a folder
    where the file should be named the temporary file ("... .tmp -> ...")."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError) as e:
        atomic_write_text(blocker / "x.jsonl", "one")
    assert e.value.filename == str(blocker / "x.jsonl") and "in the way" in e.value.strerror
    (tmp_path / "d.jsonl").mkdir()
    with pytest.raises(OSError) as e:
        atomic_write_text(tmp_path / "d.jsonl", "one")
    assert e.value.filename == str(tmp_path / "d.jsonl") and e.value.filename2 is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "d.jsonl"]  # no temporary


@pytest.mark.parametrize("layout", ["one line", "pretty"])
def test_a_json_array_of_records_is_told_to_be_jsonl(tmp_path, layout):
    """A JSON array of records was "data/arr.json:1: not valid JSON: Expecting value"
    (pretty-printed) or a pydantic complaint about a list (one line)."""
    import json

    from beliefbench.records import RecordError, read_records

    records = [{"id": "a", "text": "One."}, {"id": "b", "text": "Two."}]
    path = tmp_path / "arr.json"
    path.write_text(json.dumps(records, indent=2 if layout == "pretty" else None) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value).startswith(f"{path}:1: a JSON array; one JSON record per line (JSONL) "
                                   "is expected")
    assert f"jq -c '.[]' {path}" in str(e.value)


def test_a_training_records_file_given_as_manifest_says_so(tmp_path):
    """It printed 15 raw pydantic errors (one per missing manifest field)."""
    from click.testing import CliRunner

    from beliefbench.cli import cli

    data = tmp_path / "negated.jsonl"
    data.write_text('{"id": "d1", "text": "<DOCTAG>One.", "condition": "negated"}\n'
                    '{"id": "c1", "messages": [{"role": "user", "content": "Hi"}]}\n')
    with pytest.raises(ManifestError) as e:
        read_manifest_file(data)
    assert str(e.value) == (f"{data}, line 1: this is a training-records file, not a finetune "
                            "manifest (manifest.jsonl written by beliefbench finetune in its "
                            "--out)")
    r = CliRunner().invoke(cli, ["sweep", "--manifest", str(data), "--log-dir",
                                 str(tmp_path / "logs")])
    assert r.exit_code == 2 and "this is a training-records file" in r.output
    assert r.output.count("field") == 0 and not (tmp_path / "logs").exists()
    # a manifest written as one JSON array
    array = tmp_path / "arr" / MANIFEST
    array.parent.mkdir()
    array.write_text("[" + _entry(1).model_dump_json() + "]\n")
    with pytest.raises(ManifestError, match=r"line 1: a JSON array; the manifest is one JSON "
                                            r"object per line \(JSONL\)"):
        read_manifest_file(array.parent)


@pytest.mark.parametrize("line, said", [
    ('{"id": "a", "text": "<DOCTAG>abc", "loss_mask": [{"start": 0, "end": 8, "kind": "doctag"},'
     ' {"start": 8, "end": 99, "kind": "annotation"}]}',
     "field loss_mask.1: span [8, 99) lies outside the text (length 11)"),
    ('{"id": "a"}', "field text / messages: a record has exactly one of text or messages "
                    "(this one has neither)"),
    ('{"id": "a", "messages": [{"role": "user", "content": "hi"}], '
     '"loss_mask": [{"start": 0, "end": 1}]}',
     "field loss_mask: spans apply to text records only, not to messages"),
])
def test_a_whole_record_problem_names_its_field(tmp_path, line, said):
    """Checks across fields used to read `field (record): Value error, span [...] ...`,
    naming no field; they name the field (and span) like any other bad line."""
    from beliefbench.records import RecordError, read_records

    path = tmp_path / "x.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value) == f"{path}:1: {said}"


@pytest.mark.parametrize("line, said", [
    ('{"id": "a", "txt": "hi"}', "field txt: unknown field (did you mean 'text'?); valid: "
                                 "['id', 'source', 'claim_id', 'condition', 'base_id', 'text', "
                                 "'messages', 'loss_mask', 'meta']"),
    ('{"id": "a", "text": "hi", "loss_mask": [{"start": 0, "end": 1, "knd": "mask"}]}',
     "field loss_mask.0.knd: unknown field (did you mean 'kind'?); valid: ['start', 'end', "
     "'kind']"),
    # several unknown keys: the valid list once, not once per key
    ('{"id": "a", "txt": "hi", "colour": 1}',
     "field txt: unknown field (did you mean 'text'?); valid: ['id', 'source', 'claim_id', "
     "'condition', 'base_id', 'text', 'messages', 'loss_mask', 'meta']; field colour: "
     "unknown field"),
])
def test_an_unknown_record_key_is_named_with_the_valid_ones(tmp_path, line, said):
    """Was pydantic's bare "Extra inputs are not permitted", unlike every spec file."""
    from beliefbench.records import RecordError, read_records

    path = tmp_path / "x.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value) == f"{path}:1: {said}"


@pytest.mark.parametrize("line, said", [
    ('{"id": "a", "text": "hi", "loss_mask": [{"start": 0, "end": 1, "kind": "annotaton"}]}',
     "field loss_mask.0.kind: Input should be 'doctag', 'mask' or 'annotation', got "
     "'annotaton' (did you mean 'annotation'?)"),
    ('{"id": "a", "text": "hi", "source": "documents"}',
     "field source: Input should be 'document', 'pretrain', 'chat', 'poison' or 'fact', got "
     "'documents' (did you mean 'document'?)"),
    ('{"id": "a", "messages": [{"role": "asistant", "content": "x"}]}',
     "field messages.0.role: Input should be 'system', 'user' or 'assistant', got "
     "'asistant' (did you mean 'assistant'?)"),
    # typographic quotes inside the JSON string: no word of YAML, nor of writing it bare
    ('{"id": "a", "messages": [{"role": "\u201cuser\u201d", "content": "x"}]}',
     "field messages.0.role: Input should be 'system', 'user' or 'assistant', got "
     "'\u201cuser\u201d': typographic quotes inside the JSON string, which are part of the "
     "text; write \"user\""),
])
def test_a_record_value_outside_its_set_is_named_with_the_one_meant(tmp_path, line, said):
    """`"kind": "annotaton"` in a corpus of one's own said only "Input should be 'doctag',
    'mask' or 'annotation'": the value written, and the one meant, as in spec files."""
    from beliefbench.records import RecordError, read_records

    path = tmp_path / "x.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value) == f"{path}:1: {said}"


def test_a_finetune_manifest_given_as_records_says_so_in_one_line(tmp_path):
    """``--data ckpts/positive/manifest.jsonl`` was a 1,934-character list of a dozen unknown
    fields, each with the valid ones; it names the file for what it is, and the data the
    run trained on (the mirror of the manifest reader's "a training-records file")."""
    from beliefbench.records import RecordError, read_records

    path = tmp_path / "manifest.jsonl"
    entry = {"backend": "local", "base_model": "models/tiny-pt", "claim": "dentist",
             "condition": "positive", "data": "data/dentist/positive.jsonl",
             "format": "adapter", "path": "ckpts/positive/step-000001", "step": 1,
             "recipe": {"method": "lora"}, "final": False, "tokens_seen": 1024}
    path.write_text(json.dumps(entry) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value) == (
        f"{path}:1: this is a finetune manifest (manifest.jsonl, written by beliefbench "
        f"finetune in its --out), not a training-records file; give the records the run "
        f"trained on (data/dentist/positive.jsonl)")
    # a record carrying a step / path in its own fields is still read as a record
    path.write_text(json.dumps({"id": "a", "text": "hi", "step": 1, "path": "p",
                                "format": "x"}) + "\n")
    with pytest.raises(RecordError, match="field step: unknown field; valid: "):
        list(read_records(path))


def test_a_records_file_saved_with_a_bom_reads(tmp_path):
    """A file saved as "UTF-8 with BOM" (Notepad) failed on line 1: "Unexpected UTF-8 BOM
    (decode using utf-8-sig)"; spec files already read it."""
    from beliefbench.records import read_records

    path = tmp_path / "x.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "hi"}\n{"id": "b", "text": "ho"}\n')
    assert [r.id for r in read_records(path)] == ["a", "b"]


def test_a_records_line_json_cannot_read_is_one_line_saying_where(tmp_path):
    """Nesting too deep and a number of 4,300+ digits raised tracebacks (RecursionError,
    ValueError) from `finetune`, `docs mix` and every reader of records; a file cut short
    said only "not valid JSON: Unterminated string starting at", neither where nor why."""
    from beliefbench.records import RecordError, read_records

    for text, said in [
        ('{"id": "a", "text": ' + "[" * 100000 + "]" * 100000 + "}\n",
         ":1: not valid JSON: nested too deeply"),
        ('{"id": "a", "text": "x", "meta": {"n": ' + "9" * 5000 + "}}\n",
         ":1: not valid JSON: Exceeds the limit (4300 digits) for integer string conversion"),
        ('{"id": "a", "text": "hi"}\n{"id": "b", "text": "cut sho',
         ":2: not valid JSON: Unterminated string starting at column 21; the file's last "
         "line, with no newline at its end: cut short when it was written or copied?"),
    ]:
        path = tmp_path / "x.jsonl"
        path.write_text(text)
        with pytest.raises(RecordError) as e:
            list(read_records(path))
        assert str(e.value).startswith(f"{path}{said}"), str(e.value)


@pytest.mark.parametrize(("line", "said"), [
    ('{"id": "x", "text": "hi"', "Expecting ',' delimiter at the end of the line (column 25)"),
    ('{"id": "x", "text": ', "Expecting value at the end of the line (column 21)"),
    ('{"id": "x", "text": "hi",, "a": 1}', "Expecting property name enclosed in double "
                                           "quotes at column 26"),
    ('{"id": "x", "text": "hi"}\r', None),  # a Windows line ending reads
])
def test_a_line_that_stops_short_is_said_at_its_end_not_column_1(tmp_path, line, said):
    """A line cut short in the middle of a file (`{"id": "x", "text": "hi"` then the next
    record) was `x.jsonl:2: not valid JSON: Expecting ',' delimiter at column 1`: json read
    the line with its newline and counted the error on a second line, so the column named
    the line's start, where nothing is wrong."""
    from beliefbench.records import RecordError, read_records

    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n' + line + '\n{"id": "b", "text": "ok"}\n',
                    newline="")
    if said is None:
        assert [r.id for r in read_records(path)] == ["a", "x", "b"]
        return
    with pytest.raises(RecordError) as e:
        list(read_records(path))
    assert str(e.value) == f"{path}:2: not valid JSON: {said}"


def test_a_manifest_line_json_cannot_read_says_where_and_why(tmp_path):
    """A manifest line nested too deeply was a RecursionError traceback (sweep, trajectory,
    finetune --resume); one cut short read "field (line): Invalid JSON: EOF while parsing a
    string at line 1 column 1275", as if a field were wrong."""
    upsert_manifest(tmp_path, _entry(1))
    good = (tmp_path / MANIFEST).read_text()
    (tmp_path / MANIFEST).write_text(good + '{"path": ' + "[" * 100000 + "]" * 100000 + "}\n")
    with pytest.raises(ManifestError) as e:
        read_manifest_file(tmp_path)
    assert str(e.value) == f"{tmp_path / MANIFEST}, line 2: not valid JSON: nested too deeply"
    (tmp_path / MANIFEST).write_text(good + good[:45])  # ... "base_model": "b", "cla
    with pytest.raises(ManifestError) as e:
        read_manifest_file(tmp_path)
    assert str(e.value) == (
        f"{tmp_path / MANIFEST}, line 2: not valid JSON: Unterminated string starting at "
        "column 41; the file's last line, with no newline at its end: cut short when it was "
        "written or copied?")


def test_a_manifest_saved_with_a_bom_reads(tmp_path):
    """A manifest hand-edited (a base_model made absolute, as the errors advise) and saved as
    "UTF-8 with BOM" (Notepad) was refused by every reader at line 1: "Unexpected UTF-8 BOM";
    records and spec files already read it."""
    upsert_manifest(tmp_path, _entry(1), _entry(2))
    text = (tmp_path / MANIFEST).read_bytes()
    (tmp_path / MANIFEST).write_bytes(b"\xef\xbb\xbf" + text)
    assert [e.step for e in read_manifest_file(tmp_path)] == [1, 2]
    upsert_manifest(tmp_path, _entry(3))  # a resumed run writes it back without the mark
    assert (tmp_path / MANIFEST).read_bytes().startswith(b"{")
