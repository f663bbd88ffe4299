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


@pytest.mark.slow
def test_an_adapter_copied_out_of_its_run_and_pointed_at_another_base_is_refused(tmp_path):
    """A LoRA step folder copied out of its run (no manifest beside it) with its
    ``adapter_config.json`` pointed at another base was applied to that model, exit 0. Each
    adapter checkpoint now carries its base's fingerprint (``base_fingerprint.json``), which
    the internals loader checks; the same base elsewhere loads, and an adapter exported
    before the file (none in it) loads as before."""
    import shutil

    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.finetune.fingerprint import TRAINED_ON
    from beliefbench.finetune.manifest import read_manifest
    from beliefbench.internals.model import ModelLoadError, check_loadable

    small = dict(hidden_size=64, num_heads=4, intermediate_size=128, seed=0)
    base = build_tiny_model(tmp_path / "base", num_layers=2, **small)
    other = build_tiny_model(tmp_path / "other", num_layers=3, **small)
    [data] = generate_datasets(load_claims(CLAIM), "positive", n=8, out_dir=tmp_path / "docs",
                               progress=False)
    lora = train_local(Recipe.model_validate(dict(
        method="lora", learning_rate=1e-3, lr_scheduler="constant", warmup_ratio=0.0,
        batch_size=8, max_seq_len=64, max_steps=1, checkpoints=1, logging_steps=50, seed=0)),
        data, str(base), tmp_path / "lora")
    [entry] = read_manifest(lora)
    [step] = lora.glob("step-*")
    assert json.loads((step / TRAINED_ON).read_text()) == {
        "base_model": str(base.resolve()),
        "base_fingerprint": entry.extra["base_fingerprint"]}
    copied = tmp_path / "copied"
    shutil.copytree(step, copied)
    cfg_file = copied / "adapter_config.json"

    def point_at(folder: Path) -> None:
        cfg = json.loads(cfg_file.read_text())
        cfg["base_model_name_or_path"] = str(folder)
        cfg_file.write_text(json.dumps(cfg))

    point_at(other)
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(copied), "--claims",
                                   CLAIM, "--bootstrap", "0", "--out", str(tmp_path / "m")])
    said = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert (f"{copied}: this LoRA adapter was trained on {base.resolve()} (as "
            f"{copied / TRAINED_ON} records), but its adapter_config.json "
            f"base_model_name_or_path points at {other.resolve()}, another model") in said
    assert f"Set base_model_name_or_path to {base.resolve()}, which still holds that model" \
        in said
    assert not (tmp_path / "m").exists()  # nothing measured
    shutil.copytree(base, tmp_path / "moved")  # the same model elsewhere: loads
    point_at(tmp_path / "moved")
    assert check_loadable(copied)[1] == (tmp_path / "moved").resolve()
    shutil.rmtree(base)  # the recorded base gone: no folder to name
    point_at(other)
    with pytest.raises(ModelLoadError, match="Set base_model_name_or_path to the folder that "
                                             "holds the model it was trained on, or train "
                                             "anew on"):
        check_loadable(copied)
    build_tiny_model(base, num_layers=2, hidden_size=64, num_heads=4, intermediate_size=128,
                     seed=1)  # rebuilt in place: the recorded folder, another model
    point_at(base)
    with pytest.raises(ModelLoadError, match="was trained on the model then in .* but that "
                                             "folder now holds another model"):
        check_loadable(copied)
    (copied / TRAINED_ON).write_text("{not json")
    with pytest.raises(ModelLoadError, match=f"{TRAINED_ON}: cannot read it"):
        check_loadable(copied)
    (copied / TRAINED_ON).unlink()  # an adapter exported before the file: as before
    point_at(other)
    assert check_loadable(copied)[1] == other.resolve()
