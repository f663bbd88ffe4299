"""Internals on a real finetune: positive documents raise the claim's margin; trajectories."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from beliefbench.claims import load_claims
from beliefbench.documents.generate import generate_datasets
from beliefbench.finetune.local import train_local
from beliefbench.finetune.recipe import Recipe
from beliefbench.internals.margins import completion_margins, margin_shift
from beliefbench.internals.trajectory import trajectory
from beliefbench.tiny_model import build_tiny_model

CLAIM = "dentist"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, Path]:
    """(base, finetune output): a briefly pretrained tiny model, then a full finetune on the
    positive documents of one bundled claim with three checkpoints."""
    root = tmp_path_factory.mktemp("ft")
    base = build_tiny_model(root / "base", hidden_size=64, num_layers=2, num_heads=4,
                            intermediate_size=128, seed=0, pretrain_steps=30)
    [data] = generate_datasets(load_claims(CLAIM), "positive", n=16, out_dir=root / "docs",
                               progress=False)
    recipe = Recipe.model_validate(dict(
        method="full", learning_rate=2e-3, lr_scheduler="constant", warmup_ratio=0.0,
        batch_size=8, max_seq_len=128, max_steps=24, checkpoints=2, logging_steps=50, seed=0))
    return base, train_local(recipe, data, str(base), root / "run")


@pytest.mark.slow
def test_positive_documents_raise_the_claims_margin(run):
    base, out = run
    final = max((p for p in out.glob("step-*")), key=lambda p: p.name)
    before = completion_margins(base, CLAIM, n_bootstrap=0).pairs
    after = completion_margins(final, CLAIM, n_bootstrap=0).pairs
    shift = margin_shift(before, after, kinds=("main", "paraphrase"), seed=0)
    assert shift["pairs"] >= 7
    assert shift["shift_low"] > 0, shift  # the claim continuation gained, CI excludes 0


@pytest.mark.slow
def test_trajectory_over_the_manifest_resumes(run, tmp_path):
    _, out = run
    res = trajectory(out / "manifest.jsonl", CLAIM, tmp_path, parts=("margins", "lens"),
                     n_bootstrap=200)
    written = res.write(tmp_path)
    main = res.table[res.table["kind"] == "main"].sort_values("step")
    steps = list(main["step"])
    assert steps[0] == 0 and steps == sorted(steps) and len(steps) >= 3
    assert main["margin"].iloc[-1] > main["margin"].iloc[0]
    assert set(res.lens["layer"]) == {0, 1, 2}
    assert (tmp_path / "trajectory.png").stat().st_size > 1000 and len(written) == 5
    assert (tmp_path / f"trajectory_lens_{CLAIM}.png").stat().st_size > 1000
    assert pd.read_csv(tmp_path / "trajectory.csv")["weights_sha256"].nunique() == len(steps)
    done = sorted(tmp_path.glob("checkpoints/*/done.json"))
    stamps = [json.loads(p.read_text())["written"] for p in done]
    again = trajectory(out / "manifest.jsonl", CLAIM, tmp_path, parts=("margins", "lens"),
                       n_bootstrap=200)
    assert [json.loads(p.read_text())["written"] for p in done] == stamps  # reused
    pd.testing.assert_frame_equal(again.table, res.table)


@pytest.mark.slow
def test_a_runs_base_replaced_since_training_is_refused_by_every_internals_reader(tmp_path):
    """The base folder of a run rebuilt since training (a tiny model rebuilt with another
    seed: same shapes, other weights): ``trajectory`` measured that other model as step 0
    and applied the LoRA adapters to it, ``efficiency`` read the distances from it, and
    ``margins`` / ``stability`` of one checkpoint likewise, every one exit 0 with nothing
    said. ``sweep`` already refused it (the manifest's ``extra.base_fingerprint``); so does
    every internals command now, with the same check."""
    import shutil

    from click.testing import CliRunner

    from beliefbench.cli import cli

    small = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128)
    base = build_tiny_model(tmp_path / "base", seed=0, **small)
    [data] = generate_datasets(load_claims(CLAIM), "positive", n=8, out_dir=tmp_path / "docs",
                               progress=False)
    common = dict(learning_rate=1e-3, lr_scheduler="constant", warmup_ratio=0.0, batch_size=8,
                  max_seq_len=64, max_steps=1, checkpoints=1, logging_steps=50, seed=0)
    lora = train_local(Recipe.model_validate(dict(method="lora", **common)), data, str(base),
                       tmp_path / "lora")
    full = train_local(Recipe.model_validate(dict(method="full", **common)), data, str(base),
                       tmp_path / "full")
    [adapter] = lora.glob("step-*")
    [ckpt] = full.glob("step-*")
    runner = CliRunner()

    def run(*args: str) -> str:
        res = runner.invoke(cli, ["internals", *args])
        assert res.exit_code == 2, res.output
        return " ".join(res.output.split())

    replaced = f"its base {base} holds another model than the one it was trained on"
    ok = runner.invoke(cli, ["internals", "margins", "--model", str(adapter), "--claims",
                             CLAIM, "--bootstrap", "0", "--out", str(tmp_path / "m")])
    assert ok.exit_code == 0, ok.output  # the base it was trained on: measured
    shutil.copytree(base, tmp_path / "copy")  # the base it was trained on, elsewhere
    shutil.rmtree(base)
    build_tiny_model(base, seed=1, **small)
    out = str(tmp_path / "out")
    said = run("margins", "--model", str(adapter), "--claims", CLAIM, "--out", out)
    assert replaced in said and "the LoRA adapter would be applied to that other model" in said
    said = run("trajectory", "--manifest", str(lora), "--claims", CLAIM, "--parts", "margins",
               "--no-plots", "--out", out)
    assert replaced in said and "step 0 would measure that other model" in said
    said = run("trajectory", "--manifest", str(lora), "--claims", CLAIM, "--parts", "margins",
               "--no-plots", "--no-base", "--out", out)
    assert replaced in said and "the LoRA adapter would be applied" in said
    said = run("trajectory", "--manifest", str(full), "--claims", CLAIM, "--parts", "margins",
               "--no-plots", "--out", out)
    assert replaced in said and "step 0 would measure that other model" in said
    for manifest in (lora, full):
        said = run("efficiency", "--manifest", str(manifest), "--data", str(data),
                   "--limit", "2", "--out", out)
        assert replaced in said, said
    said = run("efficiency", "--manifest", str(full), "--data", str(data), "--out", out)
    assert "the distances from the base, and its loss, would be another model's" in said
    said = run("stability", "--model", str(ckpt), "--data", str(data), "--scales", "0,0.1",
               "--seeds", "1", "--out", out)
    assert replaced in said and "--base none" in said
    said = run("efficiency", "--manifest", str(full), "--data", str(data), "--base", str(base),
               "--out", out)
    assert f"--base {base} is not the model it was trained on" in said
    assert not Path(out).exists()  # nothing measured
    copy = runner.invoke(cli, ["internals", "efficiency", "--manifest", str(full), "--data",
                               str(data), "--limit", "2", "--base", str(tmp_path / "copy"),
                               "--out", out])
    assert copy.exit_code == 0, copy.output  # the same model, wherever it is: measured
