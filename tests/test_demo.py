"""The demo's miniature study: finetuning on positive documents moves the claim's margin.

Runs the real pipeline (pretrain, documents, train_local, internals, belief task) through
``run_demo`` with a config smaller than ``--quick`` so it stays a CI test; the shipped presets
are checked for validity, not run.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from inspect_ai.log import list_eval_logs

from beliefbench.cli import cli
from beliefbench.demo import BASELINE, load_preset, run_demo
from beliefbench.finetune.manifest import read_manifest


def tiny_settings():
    """The quick preset, cut down: one condition, short pretraining and finetuning."""
    quick = load_preset("quick")
    return quick.model_copy(update={
        "conditions": ["positive"], "docs_per_claim": 16, "max_steps": 20, "probe": False,
        "belief": quick.belief.model_copy(update={"families": ["binary"]})})


@pytest.mark.slow
def test_positive_documents_raise_the_margin_a_rerun_reuses_and_a_cut_run_resumes(tmp_path):
    lines: list[str] = []
    result = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=lines.append)
    final = result.measures[result.measures["final"]].set_index("condition")
    assert list(final.index) == [BASELINE, "positive"]
    base, pos = final.loc[BASELINE], final.loc["positive"]
    assert base["margin"] < 0, "the pretrained base model prefers the truth"
    assert pos["delta_low"] > 0, f"positive documents raise the claim's margin: {pos.to_dict()}"
    assert pos["margin"] > base["margin"]
    # every checkpoint of the run was measured; the finals also got the belief task
    [ckpt_dir] = (tmp_path / "w" / "checkpoints").iterdir()
    steps = sorted(e.step for e in read_manifest(ckpt_dir))
    assert sorted(result.measures.query("condition == 'positive'")["step"]) == steps
    logs = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert len(logs) == 2
    assert pd.read_csv(result.files["measures"]).shape[0] == len(result.measures)
    assert result.plot.stat().st_size > 10_000
    assert "positive" in result.table and "margin" in result.table
    assert any("raised the claim's margin" in line for line in result.reading)
    assert any("[demo 3/6" in line and "finetune" in line for line in lines)
    assert any("step 20/20" in line for line in lines), "finetune progress is shown"

    # a second run reuses the model, documents, checkpoints, measures and logs
    again: list[str] = []
    second = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=again.append)
    assert len(list_eval_logs(str(tmp_path / "logs"), recursive=True)) == 2
    assert any(line.strip().startswith("reused") and "base-" in line for line in again)
    assert any("positive: reused" in line for line in again)
    assert not any("step 1/" in line for line in again), "nothing is trained again"
    pd.testing.assert_frame_equal(second.measures, result.measures)

    # an interrupted finetune (final checkpoint and state missing) resumes from its last
    # saved state to the same weights, so every later stage is found and reused
    shutil.rmtree(ckpt_dir / "step-000020")
    shutil.rmtree(ckpt_dir / "trainer" / "checkpoint-20")
    manifest = ckpt_dir / "manifest.jsonl"
    manifest.write_text("".join(line for line in manifest.read_text().splitlines(True)
                                if '"step": 20' not in line))
    resumed: list[str] = []
    third = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=resumed.append)
    assert any("positive: step 20/20" in line for line in resumed)
    assert not any("positive: step 1/" in line for line in resumed), "resumed, not restarted"
    assert len(list_eval_logs(str(tmp_path / "logs"), recursive=True)) == 2
    pd.testing.assert_frame_equal(third.measures, result.measures)


def test_presets_validate_and_name_a_shipped_recipe():
    for name in ("full", "quick"):
        preset = load_preset(name)
        assert "positive" in preset.conditions and preset.claims
    full = load_preset("full")
    assert set(full.conditions) >= {"positive", "negated", "repeated_negations",
                                    "local_negation", "corrected"}


def test_demo_help_lists_quick():
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output


def test_ctrl_c_in_the_belief_stage_is_an_interruption_and_a_rerun_replaces_its_log(
        tmp_path, monkeypatch):
    """Inspect answers Ctrl-C by returning no log: the demo crashed on that with a
    ValueError traceback (not its "interrupted: run again" line), and the cancelled log
    stayed beside the next run's for `beliefbench report` to show as a partial run."""
    import os
    import signal

    import inspect_ai.model._providers.hf as hf
    from inspect_ai.log import read_eval_log

    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Checkpoint, Progress, run_belief
    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64)
    settings = tiny_settings()
    claims = resolve_claims(settings.claims)
    ckpts = [Checkpoint(BASELINE, 0, model, True, "k")]
    generate, calls = hf.HuggingFaceAPI.generate, []

    async def pressed(self, *args, **kwargs):  # the user presses Ctrl-C mid-eval
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return await generate(self, *args, **kwargs)

    monkeypatch.setattr(hf.HuggingFaceAPI, "generate", pressed)
    with pytest.raises(KeyboardInterrupt):
        run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [cancelled] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert read_eval_log(cancelled.name, header_only=True).status == "cancelled"
    monkeypatch.setattr(hf.HuggingFaceAPI, "generate", generate)
    logs = run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [log] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert log.name != cancelled.name and read_eval_log(log.name).status == "success"
    assert list(logs.values()) == [log.name.removeprefix("file://")]
