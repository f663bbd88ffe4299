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
