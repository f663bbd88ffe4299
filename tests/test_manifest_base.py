"""A manifest's ``base_model`` means one folder for every reader (tiny real Llama, CPU).

finetune writes an absolute path for a local base; a manifest edited by hand or moved between
machines may hold a relative one. sweep read it from the current folder (else sent it to vLLM
as a Hub id), trajectory from the manifest's folder, and efficiency as given.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import claim_of_every_kind
from test_sweep import lora_adapter

from beliefbench.analysis.sweep import SweepError, targets_from_manifest
from beliefbench.cli import cli
from beliefbench.finetune.errors import ManifestError
from beliefbench.finetune.local import earlier_inputs
from beliefbench.finetune.manifest import read_manifest_file
from beliefbench.internals.stability import efficiency_curve, finetune_base
from beliefbench.internals.trajectory import trajectory
from beliefbench.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """``models/tiny`` and a LoRA run of it in ``runs/lora`` (its ``step-000001``), and a
    loss data file, all in one folder."""
    root = tmp_path_factory.mktemp("place")
    base = build_tiny_model(root / "models" / "tiny", hidden_size=32, num_layers=1,
                            num_heads=2, intermediate_size=64, seed=0)
    lora_adapter(base, root / "runs" / "lora" / "step-000001")
    (root / "data.jsonl").write_text(
        json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    return root


def _manifest(run: Path, *bases: str) -> Path:
    """The run's manifest as edited by hand: one adapter line per base, steps 1, 2, ..."""
    lines = [{"path": "step-000001", "step": n, "backend": "local", "format": "adapter",
              "base_model": b, "data": "d.jsonl", "data_sha256": "0", "recipe": {"kl": None}}
             for n, b in enumerate(bases, 1)]
    (run / "manifest.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return run / "manifest.jsonl"


@pytest.mark.parametrize("relative", ["../../models/tiny", "models/tiny"])
def test_a_relative_base_is_one_folder_for_every_reader(place, tmp_path, monkeypatch,
                                                        relative):
    """``../../models/tiny`` (from the manifest's folder): sweep served ``vllm/../../models/
    tiny:...`` (a Hub id), efficiency found no model. ``models/tiny`` (from the current
    folder): trajectory found no base."""
    monkeypatch.chdir(place)
    run = place / "runs" / "lora"
    manifest = _manifest(run, relative)
    base, adapter = str((place / "models" / "tiny").resolve()), str(run / "step-000001")
    assert [t.model for t in targets_from_manifest(run)] == [f"vllm/{base}:{adapter}"]
    traj = trajectory(manifest, [claim_of_every_kind()], tmp_path / "traj",
                      parts=("margins",), n_bootstrap=0)
    assert traj.settings["checkpoints"] == [base, adapter]
    assert efficiency_curve(manifest, place / "data.jsonl")["path"].tolist() == [base, adapter]
    assert finetune_base(adapter) == (base, manifest)  # internals stability's default --base
    assert earlier_inputs(run)["base_model"] == base  # what --resume compares --base with


def test_a_relative_base_that_is_nowhere_is_refused_not_sent_to_the_hub(place, tmp_path,
                                                                       monkeypatch):
    """A local-looking base found in neither place was served to vLLM as a Hub id
    (``vllm/models/gone:...``): a download attempt, or a 404 from the hub."""
    monkeypatch.chdir(place)
    run = place / "runs" / "lora"
    manifest = _manifest(run, "models/gone")
    said = (f"{manifest}, line 1: field base_model: 'models/gone' is a relative local path "
            f"(folder {place / 'models'} exists), and no such folder: tried "
            f"{run / 'models' / 'gone'} (beside the manifest) and {place / 'models' / 'gone'} "
            f"(the current folder); restore the base there, or write its absolute path "
            f"(beliefbench finetune does)")
    with pytest.raises(SweepError) as e:
        targets_from_manifest(run)
    assert str(e.value) == said
    res = CliRunner().invoke(cli, ["sweep", "--manifest", str(run), "--log-dir",
                                   str(tmp_path / "logs")])
    assert (res.exit_code, res.output) == (2, f"Error: {said}\n")
    assert not (tmp_path / "logs").exists()
    for read in (lambda: trajectory(manifest, [claim_of_every_kind()], tmp_path / "traj",
                                    parts=("margins",), n_bootstrap=0),
                 lambda: efficiency_curve(manifest, place / "data.jsonl"),
                 lambda: finetune_base(run / "step-000001")):
        with pytest.raises(ManifestError) as e:
            read()
        assert str(e.value) == said
    assert not (tmp_path / "traj").exists()
    # ./ and ../ are paths, as is a name no Hub id has; the line is the entry's own
    _manifest(run, "../../models/tiny", "./gone")
    with pytest.raises(SweepError, match=r"manifest.jsonl, line 2: field base_model: "
                                         r"'\./gone' is a relative local path, and no such"):
        targets_from_manifest(run)
    _manifest(run, "gone/v2/base")
    with pytest.raises(SweepError, match="'gone/v2/base' is a relative local path, and no"):
        targets_from_manifest(run)
    # a Hub id stays one: no folder of its namespace here
    _manifest(run, "Qwen/Qwen3-8B")
    [target] = targets_from_manifest(run)
    assert target.model == f"vllm/Qwen/Qwen3-8B:{run / 'step-000001'}"


def test_a_model_folder_given_as_a_manifest_says_what_it_is(tmp_path):
    """``internals trajectory --manifest models/tiny-pt`` (a base model) or ``--manifest
    ckpts/run/step-000009`` (one checkpoint) said only "no such manifest file"; the folder
    is now named for what it is, and a checkpoint's run folder offered."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    run = tmp_path / "run"
    (run / "step-000009").mkdir(parents=True)
    (run / "step-000009" / "adapter_config.json").write_text("{}")
    (run / "manifest.jsonl").write_text("")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(base),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"{base} is a model folder, not a finetune run" in " ".join(res.output.split())
    with pytest.raises(ManifestError, match=f"is one checkpoint of the run {run}, whose "
                                            f"folder holds the manifest: pass {run}"):
        read_manifest_file(run / "step-000009")
    with pytest.raises(ManifestError, match=r"no such manifest file$"):
        read_manifest_file(tmp_path / "nothing")


def test_a_run_folder_with_no_checkpoint_yet_says_so(tmp_path):
    """A finetune stopped (or still loading) before its first checkpoint leaves its run.json
    alone: ``internals margins --model ckpts/int`` said "neither config.json nor
    adapter_config.json found; not a transformers checkpoint or a LoRA adapter" and
    ``internals trajectory --manifest ckpts/int`` only "no such manifest file"."""
    run = tmp_path / "int"
    (run / "trainer").mkdir(parents=True)
    (run / "run.json").write_text("{}")
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(run),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output == (
        f"Error: {run}: a finetune's run folder (its run.json), not a checkpoint: pass one "
        "of its checkpoint folders (it holds none yet: the finetune writes them as it "
        "trains, each listed in its manifest.jsonl), or the run to `internals trajectory "
        "--manifest`\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(run),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert " ".join(res.output.split()) == (
        f"Error: {run}/manifest.jsonl: no such manifest file ({run} is a finetune run that "
        "has written no checkpoint yet: its manifest.jsonl is written with the first one; "
        "let the finetune reach it, or run it again)")
    assert not (tmp_path / "out").exists()


def test_the_folder_above_the_runs_or_a_file_beside_the_manifest_says_what_to_pass(tmp_path):
    """``--manifest ckpts`` (the folder holding one run per condition) said only "no such
    manifest file", and ``--manifest ckpts/positive/run.json`` (the run's settings, indented
    JSON) "line 1: not valid JSON": the runs under the folder, and the run folder beside the
    file, are now named."""
    ckpts = tmp_path / "ckpts"
    for condition in ("positive", "negated"):
        (ckpts / condition).mkdir(parents=True)
        (ckpts / condition / "manifest.jsonl").write_text("")
    (ckpts / "positive" / "run.json").write_text('{\n  "recipe": "cpu"\n}\n')
    with pytest.raises(ManifestError) as e:
        read_manifest_file(ckpts)
    assert str(e.value).endswith(f"no such manifest file ({ckpts} holds finetune runs, each "
                                 f"with its manifest: pass one of {ckpts / 'negated'}, "
                                 f"{ckpts / 'positive'})")
    with pytest.raises(ManifestError) as e:
        read_manifest_file(ckpts / "positive" / "run.json")
    assert str(e.value).startswith(f"{ckpts / 'positive' / 'run.json'}, line 1: not valid JSON")
    assert str(e.value).endswith(f"(run.json is not the manifest: pass the run folder "
                                 f"{ckpts / 'positive'} or its manifest.jsonl)")
    (ckpts / "positive" / "manifest.jsonl").unlink()  # beside no manifest: no such hint
    with pytest.raises(ManifestError) as e:
        read_manifest_file(ckpts / "positive" / "run.json")
    assert "is not the manifest" not in str(e.value)


def test_a_mistyped_manifest_or_run_folder_names_the_close_names(tmp_path):
    """``--manifest ckpts/bad-advise`` (for ckpts/bad-advice) said only "no such manifest
    file": the close names beside it are said, as for every other path."""
    run = tmp_path / "ckpts" / "bad-advice"
    run.mkdir(parents=True)
    (run / "manifest.jsonl").write_text("")
    with pytest.raises(ManifestError) as e:
        read_manifest_file(tmp_path / "ckpts" / "bad-advise")
    assert str(e.value).endswith(f"no such manifest file (close names in {run.parent}: "
                                 "bad-advice)"), e.value
    with pytest.raises(ManifestError) as e:  # the file in a mistyped run folder
        read_manifest_file(tmp_path / "ckpts" / "bad-advise" / "manifest.jsonl")
    assert str(e.value).endswith(f"(no folder {run.parent / 'bad-advise'}; close names in "
                                 f"{run.parent}: bad-advice)"), e.value
