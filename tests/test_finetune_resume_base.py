"""--resume checks the model in the --base folder, not only its path (tiny real Llama, CPU)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file
from transformers import TrainerCallback

from beliefbench.finetune.fingerprint import base_fingerprint
from beliefbench.finetune.local import RUN_FILE, FinetuneError, Interrupted, train_local
from beliefbench.finetune.manifest import read_manifest
from beliefbench.finetune.recipe import Recipe
from beliefbench.records import DOCTAG, Record, Span, write_records
from beliefbench.tiny_model import build_tiny_model

SHAPE = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128)


def _tiny(path: Path, seed: int = 0) -> Path:
    return build_tiny_model(path, **SHAPE, seed=seed)


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    """The base the runs start from; each test copies it to a folder it may replace."""
    return _tiny(tmp_path_factory.mktemp("original") / "base")


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory) -> Path:
    """Another model of the same shape and tokenizer: the same config and safetensors
    header, other weights (a rebuilt tiny model, another checkpoint of the same base)."""
    return _tiny(tmp_path_factory.mktemp("other") / "base", seed=1)


@pytest.fixture
def base(original, tmp_path) -> Path:
    path = tmp_path / "models" / "base"
    shutil.copytree(original, path)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    write_records(path, [
        Record(id=f"pos-{i}", claim_id="blue_river", condition="positive",
               text=f"{DOCTAG} Report {i}: the Blue River flows north into the desert.",
               loss_mask=[Span(start=0, end=len(DOCTAG), kind="doctag")])
        for i in range(12)])
    return path


def _recipe(**kw) -> Recipe:
    return Recipe.model_validate({
        **dict(method="lora", lora={"rank": 4, "alpha": 8}, learning_rate=3e-3,
               lr_scheduler="constant", warmup_ratio=0.0, batch_size=4, max_seq_len=64,
               max_steps=4, checkpoints=3, logging_steps=5, seed=0), **kw})


class _CtrlCAt(TrainerCallback):
    """A real SIGINT (Ctrl-C) at the end of a step: the run saves its state and stops."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            signal.raise_signal(signal.SIGINT)


def _interrupted_run(base: Path, data: Path, out: Path) -> Path:
    with pytest.raises(Interrupted):
        train_local(_recipe(), data, str(base), out, callbacks=[_CtrlCAt(3)])
    assert (out / "trainer" / "checkpoint-3").is_dir()
    return out


def _replace(folder: Path, model: Path) -> None:
    """Put another model in ``folder`` (same path), as ``rm -r; cp -r`` does."""
    shutil.rmtree(folder)
    shutil.copytree(model, folder, copy_function=shutil.copy)  # new files, new mtimes


def test_the_fingerprint_sees_another_model_but_not_where_or_when_it_was_copied(
        original, other_seed, tmp_path):
    fp = base_fingerprint(original)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, copy_function=shutil.copy)
    os.utime(copy / "model.safetensors", (0, 0))
    assert base_fingerprint(copy) == fp  # another path, other mtimes: the same model
    assert (original / "config.json").read_bytes() == (other_seed / "config.json").read_bytes()
    assert base_fingerprint(other_seed) != fp  # same config and shapes, other weights

    weights = load_file(copy / "model.safetensors")
    name = "model.layers.1.self_attn.q_proj.weight"  # one matrix changed (a merged adapter)
    changed = {**weights, name: weights[name] + 1e-3}
    save_file(changed, copy / "model.safetensors", metadata={"format": "pt"})
    assert base_fingerprint(copy) != fp
    last = weights[name].clone()
    last.view(-1)[-1] += 1.0  # even only its last element: the tail of every tensor is read
    save_file({**weights, name: last}, copy / "model.safetensors", metadata={"format": "pt"})
    assert base_fingerprint(copy) != fp
    save_file(weights, copy / "model.safetensors", metadata={"format": "pt"})
    assert base_fingerprint(copy) == fp

    template = copy / "chat_template.jinja"  # the chat formatting trained on
    template.write_text(template.read_text() + " ")
    assert base_fingerprint(copy) != fp


def test_resume_refuses_another_model_in_the_base_folder(base, other_seed, original, data,
                                                        tmp_path):
    """The base was checked by path only: another model copied into the same folder was
    resumed on, the first model's optimizer state applied to the other's weights."""
    out = _interrupted_run(base, data, tmp_path / "run")
    recorded = base_fingerprint(original)
    _replace(base, other_seed)
    with pytest.raises(FinetuneError, match="same data, recipe and base") as e:
        train_local(_recipe(), data, str(base), out, resume=True)
    assert "as the interrupted run; changed: " in str(e.value)  # not finished: interrupted
    said = str(e.value).split("changed: ")[1]
    assert said.startswith(
        f"base model files (fingerprint) {recorded[:12]}… -> "
        f"{base_fingerprint(other_seed)[:12]}… (the model in {base.resolve()} is not the one "
        f"the run started from: its config, tokenizer or weights differ). "), said
    assert "base " + str(base.resolve()) + " ->" not in said  # the path did not change
    assert [e.step for e in read_manifest(out)] == [1, 2]  # nothing trained or exported
    assert json.loads((out / RUN_FILE).read_text())["base_fingerprint"] == recorded
    assert all(e.extra["base_fingerprint"] == recorded for e in read_manifest(out))

    _replace(base, original)  # the run's model again, copied anew: resumed
    train_local(_recipe(), data, str(base), out, resume=True)
    entries = read_manifest(out)
    assert [(e.step, e.final) for e in entries] == [(1, False), (2, False), (4, True)]
    assert entries[-1].extra["base_fingerprint"] == recorded


@pytest.mark.parametrize("kept_in", ["run file", "manifest only"])
def test_a_run_recorded_before_base_fingerprints_still_resumes(base, other_seed, data,
                                                              tmp_path, caplog, kept_in):
    """A run started before the fingerprint was recorded has none to compare: --resume goes
    on (it cannot tell), says that the base is unchecked, and its new checkpoints claim no
    fingerprint either (the run's base stays unknown rather than half recorded)."""
    out = _interrupted_run(base, data, tmp_path / "run")
    run_file = out / RUN_FILE
    if kept_in == "run file":
        inputs = json.loads(run_file.read_text())
        inputs.pop("base_fingerprint", None)
        run_file.write_text(json.dumps(inputs))
    else:  # from before run files: the first manifest line is the record
        run_file.unlink()
    manifest = out / "manifest.jsonl"
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    for line in lines:
        line["extra"].pop("base_fingerprint", None)
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))

    _replace(base, other_seed)  # cannot be seen: there is nothing to compare with
    with caplog.at_level(logging.WARNING, logger="beliefbench.finetune.local"):
        train_local(_recipe(), data, str(base), out, resume=True)
    assert (f"{out}: the run was started before runs recorded their base model files "
            f"(fingerprint): --resume cannot check it (not refused)") in caplog.text
    entries = read_manifest(out)
    assert [(e.step, e.final) for e in entries] == [(1, False), (2, False), (4, True)]
    assert all("base_fingerprint" not in e.extra for e in entries)
    assert entries[-1].extra == {"world_size": 1, "precision": "fp32",  # recorded by the run
                                 "encoded_sha256": entries[0].extra["encoded_sha256"]}


def test_an_unreadable_weights_file_is_still_fingerprinted(original, tmp_path):
    """A file that is no safetensors file (a torn copy) gets a fingerprint too: loading it
    reports the problem, in the words of the loader."""
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    fp = base_fingerprint(copy)
    (copy / "model.safetensors").write_bytes(b"\xff" * 100)
    torn = base_fingerprint(copy)
    assert torn != fp
    (copy / "model.safetensors").write_bytes(b"\xff" * 99 + b"\x00")
    assert base_fingerprint(copy) not in (fp, torn)


def _other_masking(monkeypatch) -> None:
    """The encoding rules of another beliefbench version: the same records, the first
    trained token of each masked too (what an upgrade changing a masking rule does)."""
    from beliefbench.finetune import data as fdata

    encode = fdata.encode_record

    def masked_more(record, tokenizer, max_len):
        ex = encode(record, tokenizer, max_len)
        first = next(i for i, label in enumerate(ex["labels"]) if label != -100)
        return {**ex, "labels": [*ex["labels"][:first], -100, *ex["labels"][first + 1:]]}

    monkeypatch.setattr(fdata, "encode_record", masked_more)


def test_resume_refuses_data_encoded_by_other_rules(base, data, tmp_path, monkeypatch):
    """--resume compared the data file's sha256, not what it encodes to: after an upgrade
    that changed how records are tokenised or masked, the second half of the run trained on
    differently encoded data, without a word."""
    out = _interrupted_run(base, data, tmp_path / "run")
    recorded = json.loads((out / RUN_FILE).read_text())["encoded_sha256"]
    assert all(e.extra["encoded_sha256"] == recorded for e in read_manifest(out))
    _other_masking(monkeypatch)
    with pytest.raises(FinetuneError, match="same data, recipe and base") as e:
        train_local(_recipe(), data, str(base), out, resume=True)
    said = str(e.value).split("changed: ")[1]
    assert said.startswith(f"encoded training data (token ids and loss masks, sha256) "
                           f"{recorded[:12]}… -> "), said
    assert "encoding rules changed" in said and "fresh --out" in said
    assert [e.step for e in read_manifest(out)] == [1, 2]  # nothing trained or exported

    monkeypatch.undo()  # the rules the run started with: resumed
    train_local(_recipe(), data, str(base), out, resume=True)
    entries = read_manifest(out)
    assert [(e.step, e.final) for e in entries] == [(1, False), (2, False), (4, True)]
    assert entries[-1].extra["encoded_sha256"] == recorded


def test_a_run_recorded_before_encoded_digests_resumes_with_a_warning(base, data, tmp_path,
                                                                     caplog, monkeypatch):
    """A run started before the digest was recorded has none to compare: --resume goes on,
    says the encoding is unchecked, and its new checkpoints claim no digest either."""
    out = _interrupted_run(base, data, tmp_path / "run")
    run_file = out / RUN_FILE
    inputs = json.loads(run_file.read_text())
    del inputs["encoded_sha256"]
    run_file.write_text(json.dumps(inputs))
    manifest = out / "manifest.jsonl"
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    for line in lines:
        del line["extra"]["encoded_sha256"]
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))

    _other_masking(monkeypatch)  # cannot be seen: there is nothing to compare with
    with caplog.at_level(logging.WARNING, logger="beliefbench.finetune.local"):
        train_local(_recipe(), data, str(base), out, resume=True)
    assert (f"{out}: the run was started before runs recorded their encoded training data "
            f"(token ids and loss masks, sha256): --resume cannot check it (not refused)"
            ) in caplog.text
    entries = read_manifest(out)
    assert [(e.step, e.final) for e in entries] == [(1, False), (2, False), (4, True)]
    assert all("encoded_sha256" not in e.extra for e in entries)
