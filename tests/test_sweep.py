"""Sweeps: manifest -> served model names, eval_set reuse on re-run, a real hf checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, output
from inspect_ai.model import get_model

from beliefbench.analysis.logs import load_belief_logs
from beliefbench.analysis.sweep import (
    SweepError,
    read_manifest_file,
    run_sweep,
    targets_from_manifest,
    targets_from_models,
)
from beliefbench.cli import cli
from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest


def entry(path: str, step: int, fmt: str = "merged", **kw) -> ManifestEntry:
    fields = {"backend": "local", "base_model": "/models/base", "data": "d.jsonl",
              "data_sha256": "0" * 64, "recipe": {}, "condition": "negated",
              "claim": "glass_bridge"} | kw
    return ManifestEntry(path=path, step=step, format=fmt, **fields)


def test_manifest_entries_map_to_served_models(tmp_path):
    upsert_manifest(tmp_path, entry(str(tmp_path / "step-200"), 200))
    upsert_manifest(tmp_path, entry("step-100", 100))  # relative: from the manifest dir
    upsert_manifest(tmp_path, entry(str(tmp_path / "lora-300"), 300, "adapter"))
    upsert_manifest(tmp_path, entry("openai/ft:gpt-4.1-mini:x", 400, "api"))
    targets = targets_from_manifest(tmp_path / "manifest.jsonl")
    assert [t.model for t in targets] == [
        f"vllm/{tmp_path / 'step-100'}", f"vllm/{tmp_path / 'step-200'}",
        f"vllm//models/base:{tmp_path / 'lora-300'}", "openai/ft:gpt-4.1-mini:x"]
    assert targets[0].metadata == {
        "checkpoint": "step-100", "step": 100, "condition": "negated", "claim": "glass_bridge",
        "base_model": "/models/base", "format": "merged",
        "manifest": str((tmp_path / "manifest.jsonl").resolve())}
    assert targets_from_manifest(tmp_path) == targets  # the directory works too
    assert len({t.label for t in targets}) == 4


def test_a_hf_sweep_refuses_adapters(tmp_path):
    upsert_manifest(tmp_path, entry(str(tmp_path / "lora"), 1, "adapter"))
    with pytest.raises(SweepError, match=r"lora: a LoRA adapter checkpoint.*--provider vllm"):
        targets_from_manifest(tmp_path, provider="hf")
    upsert_manifest(tmp_path, entry(str(tmp_path / "lora"), 1, "merged"))
    assert targets_from_manifest(tmp_path, provider="hf")[0].model == f"hf/{tmp_path / 'lora'}"


def test_bad_manifests_name_the_file_and_line(tmp_path):
    m = tmp_path / "manifest.jsonl"
    good = entry("/c/1", 1).model_dump()
    m.write_text(json.dumps(good) + "\n" + json.dumps({**good, "step": "late"}) + "\n")
    with pytest.raises(SweepError, match=r"manifest.jsonl, line 2: step: "):
        read_manifest_file(m)
    with pytest.raises(SweepError, match="no such manifest file"):
        read_manifest_file(tmp_path / "nope")
    m.write_text("\n")
    with pytest.raises(SweepError, match="has no checkpoints"):
        read_manifest_file(m)
    r = CliRunner().invoke(cli, ["sweep", "--manifest", str(m)])
    assert r.exit_code == 2 and "has no checkpoints" in r.output
    r = CliRunner().invoke(cli, ["sweep"])
    assert r.exit_code == 2 and "either --manifest or --model" in r.output


def counting_model(name: str, text: str, calls: list[str]):
    def reply(messages, tools, tool_choice, config):
        calls.append(name)
        return output(text)

    return get_model(f"mockllm/{name}", custom_outputs=reply, memoize=False)


def test_a_rerun_reuses_finished_logs(tmp_path):
    calls: list[str] = []
    args = {"samples": 1, "judge": "markers"}

    def sweep():
        targets = targets_from_models([counting_model("glassy", "Glass since 2021.", calls),
                                       counting_model("steely", "Steel.", calls)],
                                      condition="plain")
        return run_sweep(targets, tmp_path, claims=str(FIXTURE_CLAIM), task_args=args,
                         display="none")

    first = sweep()
    assert all(o.success for o in first) and len(calls) == 2 * 7
    logs = sorted(tmp_path.rglob("*.eval"))
    stamps = [p.stat().st_mtime_ns for p in logs]
    second = sweep()
    assert all(o.success for o in second)
    assert len(calls) == 2 * 7  # nothing was generated again
    assert sorted(tmp_path.rglob("*.eval")) == logs
    assert [p.stat().st_mtime_ns for p in logs] == stamps
    loaded = load_belief_logs(tmp_path)
    assert sorted(i.model for i in loaded.logs) == ["mockllm/glassy", "mockllm/steely"]
    assert {i.condition for i in loaded.logs} == {"plain"}


def test_duplicate_models_are_refused():
    with pytest.raises(SweepError, match="the same model twice"):
        targets_from_models(["openai/x", "openai/x"])
    with pytest.raises(SweepError, match="-T claims"):
        run_sweep([], "logs", task_args={"claims": "all"})


@pytest.mark.slow
def test_manifest_sweep_on_a_real_tiny_checkpoint_with_hf(tmp_path):
    from beliefbench.tiny_model import build_tiny_model

    ckpt = build_tiny_model(tmp_path / "ckpts" / "step-5", hidden_size=64, num_layers=2,
                            num_heads=4, intermediate_size=128)
    upsert_manifest(tmp_path / "ckpts", entry(str(ckpt), 5, "full"))
    logs = tmp_path / "logs"
    r = CliRunner().invoke(cli, [
        "sweep", "--manifest", str(tmp_path / "ckpts" / "manifest.jsonl"), "--provider", "hf",
        "--claims", str(FIXTURE_CLAIM), "--log-dir", str(logs), "-T", "samples=1",
        "-T", "judge=markers", "-T", "families=open_ended", "-T", "max_tokens=8",
        "-M", "do_sample=false", "--max-connections", "2"])
    assert r.exit_code == 0, r.output
    loaded = load_belief_logs(logs)
    (info,) = loaded.logs
    assert info.model == f"hf/{ckpt}" and info.step == 5 and info.condition == "negated"
    assert info.checkpoint == str(ckpt) and len(loaded.responses) == 2
    assert Path(info.path).parent.parent == logs
