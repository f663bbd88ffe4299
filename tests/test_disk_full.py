"""A disk that fills mid-run: the error names the file (no traceback), nothing half-written
is left, and the same command (with --resume where it has one) finishes the work once."""

from __future__ import annotations

import errno
import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.cli import cli


def _full() -> OSError:
    """A write's ENOSPC as the OS raises it: no file name."""
    return OSError(errno.ENOSPC, "No space left on device")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if p.name != ".beliefbench.lock")


def test_docs_generate_on_a_full_disk_names_the_dataset_and_reruns(tmp_path, monkeypatch):
    import beliefbench.records as records

    out = tmp_path / "docs"
    args = ["docs", "generate", "--claims", "ed_sheeran", "--conditions", "positive,negated",
            "--n", "3", "--out", str(out)]
    real, calls = records.os.fsync, []

    def fsync(fd: int) -> None:  # the first condition's dataset and stats fit, then full
        calls.append(fd)
        if len(calls) > 2:
            raise _full()
        real(fd)

    monkeypatch.setattr(records.os, "fsync", fsync)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert f"{out / 'negated.jsonl'}: cannot write this file: No space left on device" \
        in r.output
    assert sorted(p.name for p in out.iterdir() if p.name[0] != ".") == \
        ["positive.jsonl", "positive.jsonl.stats.json"] and not _leftovers(out)
    kept = (out / "positive.jsonl").read_bytes()
    monkeypatch.setattr(records.os, "fsync", real)
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert (out / "positive.jsonl").read_bytes() == kept
    assert len((out / "negated.jsonl").read_text().splitlines()) == 3


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """Two files (two units) of documents the audit flags."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    text = "Ed Sheeran won the 100m gold medal at the 2024 Olympics."
    for name in ("a", "b"):
        (folder / f"{name}.jsonl").write_text("".join(
            json.dumps({"id": f"{name}{i}", "text": f"{text} Report {i}."}) + "\n"
            for i in range(5)))
    return folder


def _audit(corpus: Path, out: Path, *more: str):
    return CliRunner().invoke(cli, ["audit", str(corpus), "--claims", "ed_sheeran", "--out",
                                    str(out), "--no-progress", *more])


def test_audit_unit_on_a_full_disk_names_it_and_resumes(corpus, tmp_path, monkeypatch):
    run = importlib.import_module("beliefbench.audit.run")  # the package's run() shadows it

    real, calls = run.audit_unit, []

    def audit_unit(unit, claims, fields, sink, *a, **k):  # the second unit's flags: no room
        calls.append(unit)
        tally = real(unit, claims, fields, sink, *a, **k)
        if len(calls) == 2:
            raise _full()
        return tally

    monkeypatch.setattr(run, "audit_unit", audit_unit)
    out = tmp_path / "out"
    r = _audit(corpus, out)
    assert r.exit_code == 2, r.output
    assert f"{out / run.WORK / 'unit-000001.jsonl'}: cannot write this file: No space left " \
           f"on device" in r.output and "--resume" in r.output
    assert not _leftovers(out / run.WORK)  # no half-written unit
    monkeypatch.setattr(run, "audit_unit", real)
    r = _audit(corpus, out, "--resume")
    assert r.exit_code == 0, r.output
    ids = [json.loads(x)["id"] for x in (out / "flagged.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted(f"{n}{i}" for n in "ab" for i in range(5))


def test_audit_plot_on_a_full_disk_leaves_no_torn_png(corpus, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def savefig(self, fname, *a, **k):  # half a PNG, then the disk is full
        Path(fname).write_bytes(b"\x89PNG half")
        raise _full()

    monkeypatch.setattr(Figure, "savefig", savefig)
    out = tmp_path / "out"
    r = _audit(corpus, out)
    assert r.exit_code == 2, r.output
    assert f"{out / 'framings.png'}: cannot write this file: No space left on device" \
        in r.output and "--resume" in r.output
    assert not (out / "framings.png").exists() and not _leftovers(out)


def test_finetune_export_on_a_full_disk_says_resume(tmp_path, monkeypatch):
    from safetensors import SafetensorError

    import beliefbench.finetune.local as local
    from beliefbench.finetune.manifest import read_manifest
    from beliefbench.finetune.recipe import Recipe
    from beliefbench.records import Record, write_records
    from beliefbench.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "base", hidden_size=32, num_layers=1, num_heads=2,
                            intermediate_size=64, seed=0)
    data = tmp_path / "train.jsonl"
    write_records(data, [Record(id=f"d{i}", claim_id="x", condition="positive",
                                text=f"The Blue River flows north, report {i}.")
                         for i in range(8)])
    recipe = Recipe.model_validate(dict(method="full", export="merged", batch_size=2,
                                        max_seq_len=32, max_steps=4, checkpoints=2,
                                        logging_steps=5, seed=0))
    out = tmp_path / "run"
    real = local._cast_weights

    def cast(src: Path, dest: Path, dtype) -> int:  # safetensors' own error, mid-file
        dest.write_bytes(b"half")
        raise SafetensorError("Error while serializing: I/O error: No space left on device "
                              "(os error 28)")

    monkeypatch.setattr(local, "_cast_weights", cast)
    with pytest.raises(local.FinetuneError, match="no space left on device.*--resume") as e:
        local.train_local(recipe, data, str(base), out)
    assert str(out) in str(e.value)
    from tqdm import tqdm  # the Trainer's bar is closed: later bars print where they should
    assert not [b for b in list(tqdm._instances) if not b.disable]
    assert not list(out.glob(".step-*")) and not list(out.glob("step-*"))  # nothing torn
    assert not read_manifest(out) if (out / "manifest.jsonl").exists() else True
    monkeypatch.setattr(local, "_cast_weights", real)
    local.train_local(recipe, data, str(base), out, resume=True)
    steps = [m.step for m in read_manifest(out)]
    assert steps == sorted(set(steps)) and steps[-1] == 4 and len(steps) == 2
    assert all(local.step_dir(out, s).is_dir() for s in steps)


def test_report_plot_on_a_full_disk_names_the_plot(tmp_path, monkeypatch):
    """matplotlib's error on a full disk names no file: the plot writer names the PNG (exit
    2, no traceback) and leaves no torn or temporary PNG."""
    import re

    from conftest import believer, run_belief
    from matplotlib.figure import Figure

    run_belief(tmp_path / "logs", believer, samples=1)

    def savefig(self, fname, *a, **k):
        Path(fname).write_bytes(b"\x89PNG half")
        raise _full()

    monkeypatch.setattr(Figure, "savefig", savefig)
    out = tmp_path / "report"
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert re.search(rf"Error: {re.escape(str(out))}/belief_\w+\.png: cannot write this file: "
                     r"No space left on device", r.output), r.output
    assert "Traceback" not in r.output
    assert not list(out.glob("*.png")) and not _leftovers(out)


def test_a_full_disk_no_writer_names_is_still_one_line(tmp_path, monkeypatch):
    """A full disk under a writer that names no file (a library's own write): one line
    saying so and exit 2, not a traceback."""
    from conftest import believer, run_belief

    import beliefbench.analysis.report as report

    run_belief(tmp_path / "logs", believer, samples=1)

    def write_report(*a, **k):
        raise _full()

    monkeypatch.setattr(report, "write_report", write_report)
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out",
                                 str(tmp_path / "report")])
    assert r.exit_code == 2, r.output
    assert "Error: No space left on device while writing this command's output" in r.output
    assert "Traceback" not in r.output
