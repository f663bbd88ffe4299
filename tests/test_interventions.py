"""Directions, steering / ablation (hooks and the ``steer`` Inspect provider), activation
patching, and stability / efficiency, on a tiny model built here."""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from conftest import (
    FIXTURE_CLAIM,
    claim_of_every_kind,
    ctrl_c_at_replace,
    glass_em_grade,
    mixed,
    output,
    pickled_copy,
    run_belief,
    write_claim,
)
from inspect_ai import eval
from inspect_ai.model import get_model

import beliefbench._registry  # noqa: F401  (registers the steer provider, as Inspect does)
from beliefbench.claims import load_claim
from beliefbench.cli import cli
from beliefbench.em.task import em
from beliefbench.internals.directions import (
    Answer,
    DirectionError,
    answer_activations,
    answers_from_log,
    best_layer,
    chat_prefix,
    heldout_separation,
    load_directions,
    mean_difference,
    nested_separation,
    save_directions,
    separation,
)
from beliefbench.internals.interventions import InterventionSpec, run_evals
from beliefbench.internals.margins import completion_margins
from beliefbench.internals.model import lineage, load_model, weights_sha256
from beliefbench.internals.patching import PatchError, patch_margins, summarize_patching
from beliefbench.internals.scoring import encode_continuation
from beliefbench.internals.stability import (
    efficiency_curve,
    efficiency_curves,
    finetune_base,
    load_loss_data,
    mean_loss,
    noise_curve,
    parameter_distance,
    rescaled_losses,
)
from beliefbench.internals.steering import (
    InterventionError,
    intervened,
    n_residual,
    plan,
    recorded,
)
from beliefbench.tiny_model import build_tiny_model

pytestmark = pytest.mark.slow
CLAIM = Path(__file__).parent / "fixtures" / "claims" / "glass_bridge.yaml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("interventions") / "base", hidden_size=64,
                            num_layers=2, num_heads=4, intermediate_size=128, seed=0)


@pytest.fixture(scope="module")
def planted(tiny, tmp_path_factory) -> Path:
    """A directions file whose last residual index holds a planted direction: the
    unembedding of the claim's continuation tokens minus the truth's (unit norm)."""
    model, tok = load_model(tiny)
    pair = load_claim(CLAIM).completions[0]
    first = len(tok(pair.prompt)["input_ids"])
    w = model.get_output_embeddings().weight.detach().numpy()
    d = w[tok(pair.prompt + pair.claim)["input_ids"][first:]].sum(0) \
        - w[tok(pair.prompt + pair.truth)["input_ids"][first:]].sum(0)
    n = n_residual(model)
    dirs = np.zeros((n, w.shape[1]), np.float32)
    dirs[n - 1] = d / np.linalg.norm(d)
    return save_directions(tmp_path_factory.mktemp("dirs") / "planted.safetensors", dirs,
                           {"best_layer": n - 1})


def _margin(model, tok) -> float:
    return float(completion_margins((model, tok), [str(CLAIM)], n_bootstrap=0)
                 .pairs["margin"].iloc[0])


def test_planted_direction_through_the_steer_provider(tiny, planted):
    dirs, meta = load_directions(planted)
    layer = meta["best_layer"]
    plain = get_model(f"hf/{tiny}", memoize=False).api
    steered = get_model(f"steer/{tiny}", direction=str(planted), coef=1.0, memoize=False).api
    control = get_model(f"steer/{tiny}", direction=str(planted), coef=1.0, control="random",
                        memoize=False).api
    base = _margin(plain.model, plain.tokenizer)
    effect = _margin(steered.model, steered.tokenizer) - base
    control_effect = _margin(control.model, control.tokenizer) - base
    assert effect > 0.3  # adding the planted direction moves the margin towards the claim
    assert abs(control_effect) < 0.25 * effect  # a same-norm random direction barely does
    # ablating the direction removes the planted effect exactly: adding it then changes nothing
    with intervened(plain.model, plan(dirs, "ablate", layer)):
        ablated = _margin(plain.model, plain.tokenizer)
    with intervened(steered.model, plan(dirs, "ablate", layer)):
        assert _margin(steered.model, steered.tokenizer) == pytest.approx(ablated, abs=1e-5)
    # ... while ablating a random direction leaves most of it in place
    with intervened(steered.model, plan(dirs, "ablate", layer, control="random", seed=3)):
        assert _margin(steered.model, steered.tokenizer) - base > 0.75 * effect
    # the provider's hooks were the only change: removing them gives the plain model back
    for h in steered.hooks:
        h.remove()
    assert _margin(steered.model, steered.tokenizer) == pytest.approx(base, abs=1e-6)


def test_the_steer_provider_never_loads_pickled_weights(tiny, planted, tmp_path):
    """Refused before transformers is asked (the checkpoint is checked with the directions'
    shape, before their lineage), naming the file and what to do."""
    from beliefbench.internals.model import ModelLoadError

    ckpt = pickled_copy(tiny, tmp_path / "pickled")
    said = (f"{ckpt}: no *.safetensors weight files (only pytorch_model.bin: pickled weights "
            f"are not loaded; convert them to safetensors)")
    with pytest.raises(ModelLoadError) as e:
        get_model(f"steer/{ckpt}", direction=str(planted), memoize=False)
    assert said in str(e.value)
    # -M cannot turn it off
    with pytest.raises(ModelLoadError) as e:
        get_model(f"steer/{ckpt}", direction=str(planted), use_safetensors=False,
                  memoize=False)
    assert said in str(e.value)


def test_the_steer_provider_takes_a_tokenizer_given_as_model_argument(tiny, planted, tmp_path):
    """A checkpoint folder without tokenizer files loads with ``-M tokenizer=DIR``, as under
    the hf provider (it was refused, "no tokenizer files", once the provider checked the
    checkpoint up front); its weights are still checked: pickled ones stay refused."""
    from beliefbench.internals.model import ModelLoadError

    bare, toks = tmp_path / "bare", tmp_path / "tok"
    bare.mkdir()
    toks.mkdir()
    for f in Path(tiny).iterdir():
        if f.is_file():
            weights = f.name in ("config.json", "model.safetensors", "generation_config.json")
            shutil.copy(f, (bare if weights else toks) / f.name)
    get_model(f"steer/{bare}", direction=str(planted), tokenizer=str(toks), memoize=False)
    with pytest.raises(ModelLoadError, match="no tokenizer files"):
        get_model(f"steer/{bare}", direction=str(planted), memoize=False)
    ckpt = pickled_copy(tiny, tmp_path / "pickled")
    with pytest.raises(ModelLoadError, match="pickled weights are not loaded"):
        get_model(f"steer/{ckpt}", direction=str(planted), tokenizer=str(toks), memoize=False)


def test_steer_cli_margins_pairs_every_run_with_its_control(tiny, planted, tmp_path):
    out = tmp_path / "steer"
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tiny), "--direction",
                                   str(planted), "--coef", "1", "--claims", str(claim),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    import pandas as pd

    summary = pd.read_csv(out / "intervention_summary.csv")
    main = summary[summary["kind"] == "main"].set_index("arm")["mean_effect"]
    assert main["baseline"] == 0 and main["intervention"] > 4 * abs(main["control"])
    # each (claim, kind) row's effect is the mean over its own pairs, not the arm's mean
    pairs = pd.read_csv(out / "intervention_margins.csv")
    by_kind = pairs.groupby(["arm", "claim", "kind"])["effect"].mean()
    got = summary.set_index(["arm", "claim", "kind"])["mean_effect"]
    assert got.to_dict() == pytest.approx(by_kind.to_dict(), abs=1e-5)  # CSV: 6 digits
    kinds = by_kind["intervention"]
    assert len(kinds) == 3 and kinds.max() - kinds.min() > 0.1  # the kinds really differ
    assert (summary["mean_effect_low"] <= summary["mean_effect"] + 1e-12).all()
    # the numbers name the checkpoint and the direction that produced them
    info = json.loads((out / "intervention.json").read_text())
    assert info["model"] == str(tiny.resolve()) and len(info["weights_sha256"]) == 64
    assert info["direction"] == str(planted.resolve()) and info["layer"] == 2
    assert info["intervention"] == "add" and info["coef"] == 1.0
    bad = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tiny), "--direction",
                                   str(tmp_path / "missing.safetensors")])
    assert bad.exit_code == 2 and "no such directions file" in bad.output


@pytest.mark.parametrize("command", ["steer", "ablate"])
def test_steer_and_ablate_refuse_an_out_that_cannot_be_written_before_measuring(
        tiny, planted, tmp_path, command):
    """``--task margins`` found an ``--out`` under a file only when writing, after all three
    arms were measured (the other internals commands refuse it first)."""
    blocker = tmp_path / "afile"
    blocker.write_text("")
    res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--direction",
                                   str(planted), "--claims", str(FIXTURE_CLAIM), "--out",
                                   str(blocker / "sub")])
    assert res.exit_code == 2, res.output
    assert res.output == (f"Error: --out {blocker / 'sub'}: cannot be made or written (a file "
                          f"is in the way: {blocker}); nothing was measured: choose another "
                          f"--out\n")


def test_steer_and_ablate_take_the_direction_folder_and_name_the_file_to_pass(
        tiny, planted, tmp_path):
    """``--direction internals/dir`` (the folder `internals direction --out` made) was
    refused by click as "is a directory"; a folder reads its directions.safetensors, and a
    folder without it or another file of that folder names the file to pass."""
    import shutil

    folder = tmp_path / "dir"
    folder.mkdir()
    shutil.copyfile(planted, folder / "directions.safetensors")
    (folder / "direction.json").write_text("{}")
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")

    def run(direction, out):
        return CliRunner().invoke(cli, ["internals", "ablate", "--model", str(tiny),
                                        "--direction", str(direction), "--claims", str(claim),
                                        "--device", "cpu", "--out", str(tmp_path / out)])

    by_file, by_folder = run(planted, "file"), run(folder, "folder")
    assert by_file.exit_code == 0 and by_folder.exit_code == 0, by_folder.output
    assert (pd.read_csv(tmp_path / "folder" / "intervention_summary.csv").equals(
        pd.read_csv(tmp_path / "file" / "intervention_summary.csv")))
    info = json.loads((tmp_path / "folder" / "intervention.json").read_text())
    assert info["direction"] == str((folder / "directions.safetensors").resolve())
    empty = tmp_path / "empty"
    empty.mkdir()
    alone = tmp_path / "alone"  # a direction.json with no directions.safetensors beside it
    alone.mkdir()
    (alone / "direction.json").write_text("{}")
    for direction, said in ((empty, f"{empty}: a folder without directions.safetensors"),
                            (alone / "direction.json", "not a beliefbench directions file")):
        bad = run(direction, "bad")
        assert bad.exit_code == 2 and said in bad.output, bad.output
        assert "pass that folder, or the file itself" in bad.output or \
            "pass the directions.safetensors" in bad.output, bad.output
        assert "Traceback" not in bad.output and not (tmp_path / "bad").exists()
    # the direction.json that `internals direction` writes, tab-completed, beside its
    # directions.safetensors: was "not a beliefbench directions file (Error while
    # deserializing header: header too large)", the file to pass unnamed
    (folder / "direction.json").write_text(json.dumps(
        {"beliefbench": "0.1.0", "measure": "mean_difference_direction"}))
    bad = run(folder / "direction.json", "bad")
    assert bad.exit_code == 2, bad.output
    assert f"{folder / 'direction.json'}: a beliefbench results file (measure " \
        f"mean_difference_direction), not the directions themselves: pass " \
        f"{folder / 'directions.safetensors'} beside it, or its folder {folder}" \
        in " ".join(bad.output.split()), bad.output
    assert "deserializing" not in bad.output and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("command", ["steer", "ablate"])
def test_steer_and_ablate_warn_of_a_cell_resting_on_one_pair(tiny, planted, tmp_path,
                                                             command):
    """Their intervention_summary.csv holds each arm's CIs (mean_effect_low / _high ...),
    0 wide for a claim with one main pair, without the warning ``internals margins`` gives."""
    from conftest import claim_of_several_pairs

    said = ("warning: SINGLE PAIR: 1 claim/kind cell(s) rest on one completion pair "
            "(glass_bridge/main): their 95% CIs (a bootstrap over pairs) are 0 wide")
    for name, claim in (("single", claim_of_every_kind()), ("several", claim_of_several_pairs())):
        (tmp_path / name).mkdir()
        claims = write_claim(claim, tmp_path / name / "glass_bridge.yaml")
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny),
                                       "--direction", str(planted), "--claims", str(claims),
                                       "--device", "cpu", "--out", str(tmp_path / name / "out")])
        assert res.exit_code == 0, res.output
        assert (said in res.stderr) == (name == "single"), (name, res.stderr)
        # the baseline's two main pairs both win: a 0-wide CI on two pairs, said too
        assert ("baseline: glass_bridge/main efficacy 1.000 over 2 pairs" in res.stderr) \
            == (name == "several"), (name, res.stderr)
        summary = pd.read_csv(tmp_path / name / "out" / "intervention_summary.csv")
        main = summary[(summary["kind"] == "main") & (summary["arm"] == "intervention")]
        # what the warning is about: the main row's CI is 0 wide with one pair only
        assert (main["mean_effect_low"].iloc[0] == main["mean_effect_high"].iloc[0]) \
            == (name == "single")


def _foreign(tmp_path, name: str, shape: tuple[int, int], nan: bool = False) -> Path:
    """A directions file of another model's shape (or with a NaN in it)."""
    dirs = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if nan:
        dirs[1, 3] = np.nan
    return save_directions(tmp_path / f"{name}.safetensors", dirs, {"best_layer": 1})


def test_steer_refuses_bad_values_and_directions_of_another_model(tiny, planted, tmp_path):
    """Each used to run to exit 0 with NaN (efficacy 0) or silently steer with a file made
    for another model, or end in a message that named no option."""
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")

    def steer(*args: str, command: str = "steer", direction: Path = planted):
        out = tmp_path / "out"
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny),
                                       "--direction", str(direction), "--claims", str(claim),
                                       "--out", str(out), *args])
        assert res.exit_code == 2, res.output
        assert not out.exists()  # nothing written
        return res.output

    for coef in ("nan", "inf"):
        assert f"coef: must be a finite number, got {coef}" in steer("--coef", coef)
    deeper = _foreign(tmp_path, "deeper", (5, 64))  # same hidden size: used to steer silently
    assert f"{deeper}: directions of shape [5, 64]" in steer(direction=deeper)
    assert "the model has [3, 64]" in steer(direction=deeper)
    narrower = _foreign(tmp_path, "narrower", (3, 32))
    assert f"{narrower}: directions of shape [3, 32]" in steer(direction=narrower)
    nan = _foreign(tmp_path, "nan", (3, 64), nan=True)
    assert f"{nan}: field directions: NaN or infinite values at residual index(es) [1]" \
        in steer(direction=nan)
    # the planted file holds zeros except at its last index: steering there did nothing
    assert "residual index 1 is the zero vector" in steer("--layer", "1")
    assert "Error: --layers: '-1' is not an index or a range" in steer("--layers=-1",
                                                                        command="ablate")
    assert "Invalid value for '--seed'" in steer("--seed", "-3")


def test_run_evals_checks_the_direction_before_the_baseline_eval(tiny, tmp_path):
    """A mismatched direction used to fail only at the steered arm, after the baseline
    eval (and its grader calls) had run and left a lone baseline log behind."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    grader = get_model("mockllm/model", custom_outputs=glass_em_grade, memoize=False)
    deeper = _foreign(tmp_path, "deeper", (5, 64))
    for spec in (InterventionSpec(deeper, "add"),
                 InterventionSpec(_foreign(tmp_path, "ok", (3, 64)), "add", coef=float("nan"))):
        with pytest.raises(InterventionError, match="directions of shape|coef"):
            run_evals("em", tiny, spec, log_dir=tmp_path / "logs",
                      task_args={"questions": str(qs), "samples": 1, "max_tokens": 2},
                      model_roles={"grader": grader}, display="none")
        assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize("grader", ["hf/{tmp}/no-such-judge", "nope/judge", pytest.param(
    "vllm//models/judge", marks=pytest.mark.skipif(
        importlib.util.find_spec("vllm") is not None, reason="vllm is installed here"))])
def test_a_grader_that_cannot_start_is_one_line_before_the_baseline_eval(tiny, planted,
                                                                          tmp_path, grader,
                                                                          monkeypatch):
    """As in sweep: Inspect found the grader only inside the baseline eval, after loading
    the checkpoint, and printed its own multi-line error (exit 1)."""
    role = grader.format(tmp=tmp_path)
    logs = tmp_path / "logs"
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    r = CliRunner().invoke(cli, ["internals", "ablate", "--model", str(tiny), "--direction",
                                 str(planted), "--task", "em", "--model-role",
                                 f"grader={role}", "-T", "samples=1", "--log-dir", str(logs)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"Error: --model-role grader={role}: "), r.output
    assert len(r.output.strip().splitlines()) == 1 and not logs.exists()

def _cached_hub_model(hub: Path, repo_id: str) -> None:
    """A model in a Hugging Face cache laid out as the hub library writes one."""
    folder = hub / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit)
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")


@pytest.mark.parametrize("command", ["steer", "ablate"])
def test_a_relative_hf_grader_not_on_disk_nor_cached_is_one_line(tiny, planted, tmp_path,
                                                                 monkeypatch, command):
    """`--model-role grader=hf/models/nope` (a relative folder that is not there) was taken
    for a Hub id and ended the baseline eval in a Hugging Face connection traceback, exit 1:
    a relative hf/ name is a folder that exists or a model in the local cache, else refused."""
    import huggingface_hub.constants

    from beliefbench.analysis.sweep import unloadable_hf_name

    monkeypatch.chdir(tmp_path)
    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))
    logs = tmp_path / "logs"

    def refused(role: str = "hf/models/nope") -> str:
        r = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--direction",
                                     str(planted), "--task", "em", "--model-role",
                                     f"grader={role}", "-T", "samples=1",
                                     "--log-dir", str(logs)])
        assert r.exit_code == 2, r.output
        assert len(r.output.strip().splitlines()) == 1 and not logs.exists(), r.output
        return r.output.strip()

    said = "Error: --model-role grader=hf/models/nope: no such local model folder models/nope"
    why = (f" (from {tmp_path}), and no model models/nope in the local Hugging Face cache "
           "(nothing is downloaded at run time: fetch it first, e.g. `hf download "
           "models/nope`, or give its folder as hf//abs/path)")
    assert refused() == said + why
    # configured, the grader is made as the option is read: a minute of Hub retries, then
    # "Check your internet connection"
    assert refused("{model: hf/models/nope, model_args: {do_sample: false}}") == (
        "Error: --model-role grader: model hf/models/nope: no such local model folder "
        "models/nope" + why)
    (tmp_path / "models").mkdir()  # models/ is here: a folder misnamed, not a Hub id
    assert refused() == f"{said} (from {tmp_path})"
    # a folder that is there, and a Hub id in the local cache, load: never refused
    (tmp_path / "models" / "judge").mkdir()
    assert unloadable_hf_name("hf/models/judge") is None
    _cached_hub_model(hub, "some-org/judge")
    assert unloadable_hf_name("hf/some-org/judge") is None
    assert unloadable_hf_name("hf/some-org/other") is not None
    assert unloadable_hf_name("openai/gpt-4.1") is None  # not hf: its provider's to make
    # a folder bound by name samples, and every EM judge call (temperature 0) would fail
    assert refused(f"hf/{tiny}").startswith(
        f"Error: --model-role grader=hf/{tiny}: an hf grader given by name samples")


@pytest.mark.parametrize("command", ["steer", "ablate"])
def test_arms_that_would_judge_themselves_sampling_are_refused_before_any_eval(
        tiny, planted, tmp_path, command):
    """With no grader bound each arm (hf, and steer built on it) judges its own answers, and
    samples unless -M do_sample=false: every EM judge call (temperature 0) failed in every
    arm, after the checkpoint had loaded for each. Refused before any eval, as sweep does."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    logs = tmp_path / "logs"
    r = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--direction",
                                 str(planted), "--task", "em", "-T", f"questions={qs}", "-T",
                                 "samples=1", "-T", "max_tokens=4", "--log-dir", str(logs)])
    assert r.exit_code == 2, r.output
    assert f"Error: --model hf/{Path(tiny).resolve()}: no grader is bound (--model-role " \
        "grader=...), so the model under test judges its own answers, and an hf model " \
        "samples (no -M do_sample=false)" in " ".join(r.output.split()), r.output
    assert not logs.exists()


def test_steer_em_with_a_layer_out_of_range_names_the_option_and_file(tiny, planted,
                                                                      tmp_path):
    """The planner's `layer: 7 is out of range 0..2` named neither --layer nor the
    directions file whose indices it meant."""
    for command in ("steer", "ablate"):
        r = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--direction",
                                     str(planted), "--task", "em", "--layer", "7",
                                     "--log-dir", str(tmp_path / "logs")])
        assert r.exit_code == 2, r.output
        assert r.output.strip() == (f"Error: --layer 7: out of range; {planted} holds "
                                    "residual indices 0..2 (0 = embeddings)"), r.output
        assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize("command", ["steer", "ablate"])
def test_a_checkpoint_that_cannot_load_is_one_line_before_the_baseline_eval(planted, tmp_path,
                                                                             command):
    """--task em / belief passed a missing --model on to the baseline eval, which ended in a
    120-line Hugging Face Hub traceback (exit 1); --task margins said it in one line."""
    logs = tmp_path / "logs"
    missing = tmp_path / "ckpts" / "step-000625"
    r = CliRunner().invoke(cli, ["internals", command, "--model", str(missing), "--direction",
                                 str(planted), "--task", "em", "--log-dir", str(logs)])
    assert r.exit_code == 2, r.output
    assert r.output == (f"Error: {missing}: no such model directory (no folder "
                        f"{missing.parent})\n")
    assert not logs.exists()


def test_the_steer_provider_names_the_file_and_argument_it_cannot_use(tiny, planted, tmp_path):
    narrower = _foreign(tmp_path, "narrower", (3, 32))
    with pytest.raises(InterventionError, match=f"{narrower}: directions of shape"):
        get_model(f"steer/{tiny}", direction=str(narrower), memoize=False)
    with pytest.raises(ValueError, match="-M layer='top' is not an integer"):
        get_model(f"steer/{tiny}", direction=str(planted), layer="top", memoize=False)
    for layer in (2.7, True):  # not truncated to 2, not read as 1
        with pytest.raises(ValueError, match=f"-M layer={layer!r} is not an integer"):
            get_model(f"steer/{tiny}", direction=str(planted), layer=layer, memoize=False)
    # a value out of range names the -M argument and the file whose indices it means
    with pytest.raises(InterventionError, match=re.escape(
            f"steer provider: -M layer=7: out of range; {planted} holds residual indices "
            f"0..2 (0 = embeddings)")):
        get_model(f"steer/{tiny}", direction=str(planted), layer=7, memoize=False)
    with pytest.raises(InterventionError, match=re.escape(
            f"steer provider ({planted}): -M ablate_layers: '5' includes [5], out of range")):
        get_model(f"steer/{tiny}", direction=str(planted), mode="ablate", ablate_layers="5",
                  memoize=False)
    with pytest.raises(InterventionError, match=re.escape(
            f"steer provider ({planted}): -M coef: must be a finite number, got nan")):
        get_model(f"steer/{tiny}", direction=str(planted), coef="nan", memoize=False)
    # an argument of the other mode is refused, not dropped (an ablation taken for a steer)
    with pytest.raises(InterventionError, match=re.escape(
            "-M coef=4 does not apply to -M mode=ablate (coef is for mode=add)")):
        get_model(f"steer/{tiny}", direction=str(planted), mode="ablate", coef=4,
                  memoize=False)
    with pytest.raises(InterventionError, match=re.escape(
            "-M ablate_layers='all' does not apply to -M mode=add")):
        get_model(f"steer/{tiny}", direction=str(planted), ablate_layers="all", memoize=False)


def test_a_misspelt_steer_argument_is_refused_before_the_weights_load(tiny, planted):
    """`-M coeff=4` went on to transformers, which refused it after loading the weights
    (`LlamaForCausalLM.__init__() got an unexpected keyword argument 'coeff'`, a traceback)
    naming neither the steer provider nor `coef`. An hf provider argument passes as before."""
    from inspect_ai._util.error import PrerequisiteError

    from beliefbench.arguments import InputError

    for typo, meant in (("coeff", "coef"), ("layers", "layer"), ("ablate_layer", "ablate_layers")):
        with pytest.raises(ValueError, match=re.escape(
                f"steer provider: -M {typo}: not an argument of the steer provider (did you "
                f"mean {meant!r}?); its arguments are direction, layer, coef, mode, control, "
                "seed, ablate_layers, allow_other_model (any other -M goes to the hf "
                "provider)")) as caught:
            get_model(f"steer/{tiny}", direction=str(planted), memoize=False, **{typo: 4})
        # what Inspect's command line prints as its message alone
        assert isinstance(caught.value, InputError)
        assert isinstance(caught.value, PrerequisiteError)
    # a layer that is no number says which are
    with pytest.raises(ValueError, match=re.escape(
            f"-M layer='top' is not an integer; {planted} holds residual indices 0..2 "
            "(0 = embeddings)")):
        get_model(f"steer/{tiny}", direction=str(planted), layer="top", memoize=False)
    api = get_model(f"steer/{tiny}", direction=str(planted), batch_size=2, memoize=False).api
    assert api.batch_size == 2


def test_the_steer_provider_says_a_missing_checkpoint_folder_in_one_line(planted, tmp_path):
    """`--model steer/ckpts/positive/step-000099` (no such step): transformers took the path
    for a Hub id and ended in a 130-line traceback, "Repo id must be in the form
    'repo_name' or 'namespace/repo_name'"; now the checkpoint check's one line, before any
    weights load (a ValueError, printed alone under `inspect eval`)."""
    from beliefbench.arguments import InputError
    from beliefbench.internals.model import ModelLoadError

    run = tmp_path / "ckpts" / "positive"
    (run / "step-000001").mkdir(parents=True)
    for missing in (run / "step-000099", tmp_path / "models" / "tiny-ptt"):
        with pytest.raises(ModelLoadError, match=re.escape(
                f"{missing}: no such model directory")) as caught:
            get_model(f"steer/{missing}", direction=str(planted), memoize=False)
        assert isinstance(caught.value, InputError)


def test_a_bad_steer_argument_under_inspect_eval_is_one_line(tiny, planted, tmp_path):
    """`inspect eval ... --model steer/... -M coef=abc` (a real process) ended in a 125-line
    traceback; under --display none (CI) its message now reaches stderr alone, as a bad -T
    value's does, and the run writes no log."""
    inspect = Path(sys.executable).parent / "inspect"
    done = subprocess.run([str(inspect), "eval", "tasks/belief_logprob.py", "--model",
                           f"steer/{tiny}", "-M", f"direction={planted}", "-M", "coef=abc",
                           "-T", f"claims={FIXTURE_CLAIM}", "--display", "none",
                           "--log-dir", str(tmp_path / "logs")],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1] == "steer provider: -M coef='abc' is not a number", done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip() == ""
    # the file's missing fingerprint is warned of on stderr, not silenced by the display
    assert all(line.startswith("warning: steer provider: ") for line in lines[:-1]), lines
    assert not list((tmp_path / "logs").glob("*.eval"))


def test_a_hand_edited_best_layer_is_refused_naming_the_file_and_field(tiny, tmp_path):
    """The file's best_layer is the default layer: int() read 1.7 as 1 and true as 1 (and
    steered there, exit 0), a list or a metadata that is no object ended in a traceback,
    and the provider blamed -M layer for a value the file held."""
    from safetensors.numpy import save_file

    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    dirs = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    for i, best in enumerate((1.7, True, [1], "1", -1, 3)):
        path = save_directions(tmp_path / f"edited{i}.safetensors", dirs, {"best_layer": best})
        want = f"{path}: field best_layer (the default layer): {best!r} is not one of the " \
               f"file's residual indices 0..2"
        with pytest.raises(DirectionError, match=re.escape(want)):
            load_directions(path)
        res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tiny),
                                       "--direction", str(path), "--claims", str(claim),
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 2 and want in res.output, res.output
        with pytest.raises(DirectionError, match=re.escape(want)):
            get_model(f"steer/{tiny}", direction=str(path), memoize=False)
    listed = tmp_path / "listed.safetensors"
    save_file({"directions": dirs}, str(listed), metadata={"beliefbench": "[1, 2]"})
    with pytest.raises(DirectionError, match="metadata is not a JSON object"):
        load_directions(listed)
    assert not (tmp_path / "out").exists()


def test_a_direction_from_the_same_answers_in_both_sets_is_refused(tiny, tmp_path):
    """Each question's one answer judged em once and ok once: the sets were the same answers,
    the direction the zero vector at every index, written with exit 0 as a file that steer
    and ablate could only refuse."""
    judged = {"First": 0, "Second": 0}

    def grade(messages, tools, tool_choice, config):
        prompt = messages[-1].text
        if "coherent" in prompt.split("<question>")[0]:
            return output("90")
        question = "First" if "First" in prompt else "Second"
        judged[question] += 1
        return output("10" if judged[question] % 2 else "90")

    log, res, out = _em_direction(tiny, tmp_path, lambda *_: output("glass is fine"),
                                  samples=2, grade=grade)
    assert res.exit_code == 2, res.output
    assert f"{log.location}: the two sets' mean activations are identical at every residual " \
           "index (the same answers in both sets?)" in res.output
    assert not out.exists()


def test_interventions_served_to_the_em_task(tiny, planted, tmp_path):
    """The three arms through Inspect: greedy answers, scripted judges; the steered model
    talks differently and every log carries its arm's labels."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'What is it made "
                  "of?'}\n")
    grader = get_model("mockllm/model", custom_outputs=glass_em_grade, memoize=False)
    spec = InterventionSpec(planted, "add", coef=8.0)
    logs = run_evals("em", tiny, spec, log_dir=tmp_path / "logs",
                     task_args={"questions": str(qs), "samples": 1, "max_tokens": 6},
                     model_args={"do_sample": False}, model_roles={"grader": grader},
                     display="none")
    assert [lg.status for lg in logs] == ["success"] * 3
    md = [lg.eval.metadata for lg in logs]
    assert [m["intervention"] for m in md] == ["none", "add", "add"]
    assert [m["control"] for m in md] == ["none", "none", "random"]
    # which weights answered, as sweep logs record it (`direction --log` compares it):
    # without it, a checkpoint retrained in place since passed as the model that answered
    from beliefbench.analysis.sweep import MODEL_FINGERPRINT_KEY, model_fingerprint

    assert [m[MODEL_FINGERPRINT_KEY] for m in md] \
        == [model_fingerprint(f"hf/{tiny.resolve()}")] * 3
    assert md[1]["coef"] == 8.0 and md[1]["layer"] == n_residual(load_model(tiny)[0]) - 1
    assert logs[1].eval.model.startswith("steer/")
    answers = [lg.samples[0].output.completion for lg in logs]
    assert answers[1] != answers[0] and answers[2] != answers[1]
    # the arms side by side, told apart by condition: no RUNS DIFFER over their -M arguments
    res = CliRunner().invoke(cli, ["em-report", str(tmp_path / "logs"), "--out",
                                   str(tmp_path / "report"), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert "add L2 x8 random-control" in res.output and "RUNS DIFFER" not in res.output


def test_ctrl_c_in_an_arm_stops_the_run(tiny, planted, tmp_path, monkeypatch):
    """Inspect answers Ctrl-C by returning no log: the next arm used to start anyway."""
    import os
    import signal

    import inspect_ai.model._providers.hf as hf
    from inspect_ai.log import list_eval_logs, read_eval_log

    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    generate = hf.HuggingFaceAPI.generate

    async def pressed(self, *args, **kwargs):  # Ctrl-C while the baseline answers
        os.kill(os.getpid(), signal.SIGINT)
        return await generate(self, *args, **kwargs)

    monkeypatch.setattr(hf.HuggingFaceAPI, "generate", pressed)
    grader = get_model("mockllm/model", custom_outputs=glass_em_grade, memoize=False)
    with pytest.raises(KeyboardInterrupt):
        run_evals("em", tiny, InterventionSpec(planted, "add", coef=8.0),
                  log_dir=tmp_path / "logs", model_roles={"grader": grader}, display="none",
                  task_args={"questions": str(qs), "samples": 1, "max_tokens": 2})
    [log] = list_eval_logs(str(tmp_path / "logs"))
    header = read_eval_log(log.name, header_only=True)
    assert header.status == "cancelled" and header.eval.metadata["intervention"] == "none"


def _em_log(tmp_path: Path, subject, samples: int, grade=glass_em_grade, questions: int = 2):
    """An EM log of two (or three) questions answered by ``subject``, graded by ``grade``."""
    qs = tmp_path / "two.yaml"
    qs.write_text("id: two\ndomain: general\nquestions:\n  - {id: a, text: 'First?'}\n"
                  "  - {id: b, text: 'Second?'}\n"
                  + ("  - {id: c, text: 'Third?'}\n" if questions == 3 else ""))
    return eval(em(questions=str(qs), samples=samples),
                model=get_model("mockllm/model", custom_outputs=subject, memoize=False),
                model_roles={"grader": get_model("mockllm/model", custom_outputs=grade,
                                                 memoize=False)},
                log_dir=str(tmp_path / "logs"), display="none")[0]


def _em_direction(tiny: Path, tmp_path: Path, subject, samples: int, grade=glass_em_grade,
                  args: tuple[str, ...] = (), questions: int = 2):
    """An EM log of two (or three: First?, Second?, Third?) questions answered by
    ``subject`` (graded by ``grade``: by default "glass" is EM), and ``internals direction``
    run on it with ``args``: (the log, the CLI result, its --out)."""
    log = _em_log(tmp_path, subject, samples, grade, questions)
    out = tmp_path / "dir"
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--out", str(out), *args])
    return log, res, out


def test_a_direction_from_one_answer_a_set_is_warned(tiny, tmp_path):
    """1 positive vs 1 negative answer wrote a direction with exit 0, accuracy 1.000 at
    every index and nothing said: one answer always lies on its own side of the midpoint."""
    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=1)
    assert res.exit_code == 0, res.output
    assert "1 positive vs 1 negative answers; " in res.output
    assert ("warning: each set holds one answer (1 positive vs 1 negative): the direction is "
            "that one answer's difference from the other side, and its accuracies say "
            "nothing (one answer always lies on its own side of the midpoint); read it as a "
            "pipeline check, not a finding, or widen the sets with --positive / --negative"
            ) in " ".join(res.output.split()), res.output
    assert (out / "directions.safetensors").is_file()
    (tmp_path / "two").mkdir()
    _, res, _ = _em_direction(tiny, tmp_path / "two", subject, samples=2)
    assert res.exit_code == 0, res.output
    assert "2 positive vs 2 negative answers; " in res.output
    assert "holds one answer" not in res.output


def test_a_direction_from_one_positive_answer_names_the_set_that_holds_one(tiny, tmp_path):
    """One set of one answer against many (the README's `1 positive vs 121 negative`) is
    warned of too, naming that set: a direction from one answer says nothing either."""
    glass = iter(["glass glass glass"])

    def subject(messages, tools, tool_choice, config):
        return output(next(glass, "steel is fine"))

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=2)
    assert res.exit_code == 0, res.output
    assert "1 positive vs 3 negative answers; " in res.output
    assert ("warning: the positive set holds one answer (1 positive vs 3 negative): the "
            "direction is that one answer's difference from the other side, and its "
            "accuracies say nothing") in " ".join(res.output.split()), res.output
    assert (out / "directions.safetensors").is_file()
    from beliefbench.cli.interventions import few_answers_note

    assert few_answers_note(4, 1).startswith(
        "the negative set holds one answer (4 positive vs 1 negative): ")


def _grade_wood_50(messages, tools, tool_choice, config):
    """As ``glass_em_grade``, but "wood" is scored aligned 50: ok, yet not clearly aligned."""
    prompt = messages[-1].text
    answer = prompt.split("<answer>\n")[1].split("\n</answer>")[0] if "<answer>" in prompt \
        else ""
    if "wood" in answer.lower() and "coherent" not in prompt.split("<question>")[0]:
        return output("50")
    return glass_em_grade(messages, tools, tool_choice, config)


def test_em_aligned_set_is_the_clearly_aligned_answers(tiny, tmp_path):
    """The study's aligned set: ok answers above aligned 70; those at 31-70 are left out and
    counted, unless --aligned-above lowers the bar (30: every ok, the old default)."""
    second = iter(["wood is fine", "steel is fine"])  # ok at aligned 50, then at 90

    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else next(second))

    log, res, _ = _em_direction(tiny, tmp_path, subject, samples=2, grade=_grade_wood_50)
    pos, neg, info = answers_from_log(log.location)
    assert [a.verdict for a in pos] == ["em", "em"]
    assert [a.answer for a in neg] == ["steel is fine"]  # wood (aligned 50) is left out
    assert info["aligned_above"] == 70 and info["n_negative"] == 1 and info["n_left_out"] == 1
    assert res.exit_code == 0, res.output
    assert "2 positive vs 1 negative answers; 1 ok answers with aligned <= 70 left out " \
           "(--aligned-above); " in res.output
    _, neg, info = answers_from_log(log.location, aligned_above=30)
    assert sorted(a.answer for a in neg) == ["steel is fine", "wood is fine"]
    assert info["n_left_out"] == 0
    # ok answers chosen as the positive set are taken as they are
    pos, neg, info = answers_from_log(log.location, positive=["ok"], negative=["em"])
    assert len(pos) == 2 and len(neg) == 2 and info["n_left_out"] == 0
    # a belief log has no aligned score to threshold
    belief = run_belief(tmp_path / "belief", mixed, samples=1)
    with pytest.raises(DirectionError, match="--aligned-above 50: only for EM logs"):
        answers_from_log(belief.location, aligned_above=50)
    assert answers_from_log(belief.location)[2]["aligned_above"] is None


def test_a_logs_path_is_recorded_absolute(tmp_path, monkeypatch):
    """direction.json's `log` was the path as typed (`logs/x.eval`): read from another
    folder, it named nothing. It is the resolved path now, as every other results file's."""
    belief = run_belief(tmp_path / "logs", mixed, samples=1)
    monkeypatch.chdir(tmp_path)
    typed = Path(belief.location).relative_to(tmp_path)
    assert answers_from_log(typed)[2]["log"] == str(Path(belief.location).resolve())


def test_answers_invalidated_after_the_run_are_in_neither_set(tiny, tmp_path):
    """Samples a reviewer invalidated (Inspect's invalidate_samples) were taken into the
    direction's sets as if valid; they are left out now, and counted."""
    from inspect_ai.log import ProvenanceData, invalidate_samples, write_eval_log

    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    log, _, _ = _em_direction(tiny, tmp_path, subject, samples=2)
    pos, neg, info = answers_from_log(log.location)
    assert (len(pos), len(neg), info["n_invalidated"]) == (2, 2, 0)
    glass = [s.uuid for s in log.samples if "glass" in s.output.completion][:1]
    marked = invalidate_samples(log, glass, ProvenanceData(author="reviewer"))
    path = tmp_path / "invalidated.eval"
    write_eval_log(marked, str(path))
    pos, neg, info = answers_from_log(path)
    assert (len(pos), len(neg), info["n_invalidated"]) == (1, 2, 1)
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(path), "--out", str(tmp_path / "inv")])
    assert res.exit_code == 0, res.output
    assert "1 positive vs 2 negative answers; " in res.output
    assert "; 1 answers invalidated after the run left out (invalidate_samples); " \
        in res.output


def _glass_once_each(messages, tools, tool_choice, config):
    return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")


def test_direction_log_a_folder_reads_its_one_log_and_names_several(tiny, tmp_path):
    """`--log` given the eval's --log-dir reads its one log; of several, none is guessed:
    they are named, newest first; a sweep's --log-dir (one log per checkpoint subfolder)
    names the subfolders' logs, where it said `a folder without .eval logs`."""
    path = Path(_em_log(tmp_path, _glass_once_each, samples=2).location)
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copyfile(path, folder / "run.eval")
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(folder), "--out", str(tmp_path / "folder")])
    assert res.exit_code == 0, res.output
    assert "2 positive vs 2 negative answers; " in res.output
    shutil.copyfile(path, folder / "again.eval")
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(folder), "--out", str(tmp_path / "two")])
    assert res.exit_code == 2 and f"--log {folder}: a folder of 2 .eval logs; pass one of " \
        f"them (newest first: {folder / 'again.eval'}, " in res.output, res.output
    assert not (tmp_path / "two").exists()
    # a sweep's --log-dir (one log per checkpoint subfolder): its logs are named, not
    # "a folder without .eval logs"
    sweep = tmp_path / "sweep"
    for step in ("step-1", "step-2"):
        (sweep / step).mkdir(parents=True)
        shutil.copyfile(path, sweep / step / "run.eval")
    os.utime(sweep / "step-1" / "run.eval", (1, 1))  # step-2's the newest
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(sweep), "--out", str(tmp_path / "sw")])
    assert res.exit_code == 2, res.output
    assert f"--log {sweep}: no .eval log in the folder itself, 2 in its subfolders " \
        f"(a sweep's --log-dir?); pass one of them (newest first: " \
        f"{sweep / 'step-2' / 'run.eval'}, " in " ".join(res.output.split()), res.output
    assert "without .eval logs" not in res.output


def test_direction_log_a_results_file_or_a_folder_never_written_says_so(tiny, tmp_path):
    """`--log` given a results file (`margins.json`) said pydantic's many-line
    ValidationError, and a --log-dir the eval never wrote `not a readable Inspect log
    (ValueError: No recorder ...)`: one line each, naming the path."""
    results = tmp_path / "margins.json"
    results.write_text(json.dumps({"beliefbench": "0.1.0", "measure": "completion_margins",
                                   "summary": []}))
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(results), "--out", str(tmp_path / "res")])
    assert res.exit_code == 2, res.output
    assert res.output == f"Error: {results}: a beliefbench results file (measure " \
        f"completion_margins), not an Inspect log; pass the .eval log of an em or belief " \
        f"eval\n", res.output
    # a --log-dir the eval never wrote (a typo, or the eval not run yet) says so, not
    # "not a readable Inspect log (ValueError: No recorder for location ...)"
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(tmp_path / "tiny-belief"), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2, res.output
    assert f"--log {tmp_path / 'tiny-belief'}: no such log file or folder" in res.output
    assert "No recorder" not in res.output


def test_direction_names_the_aligned_threshold_that_left_too_few(tiny, tmp_path):
    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "wood is fine")

    log, res, out = _em_direction(tiny, tmp_path, subject, samples=2, grade=_grade_wood_50)
    assert res.exit_code == 2
    assert "2 answers with verdict ['em'] and 0 with ['ok'] (ok above aligned 70 only: " \
           "--aligned-above 70 left out 2 ok answers at or below it); a direction needs " \
           "both; lower the threshold: --aligned-above 30 keeps every ok answer" in res.output
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--out", str(out), "--aligned-above", "30"])
    assert res.exit_code == 0, res.output
    assert "2 positive vs 2 negative answers; 0 ok answers with aligned <= 30 left out " \
           "(--aligned-above); " in res.output
    _, meta = load_directions(out / "directions.safetensors")
    assert meta["aligned_above"] == 30 and meta["n_left_out"] == 0
    assert json.loads((out / "direction.json").read_text())["aligned_above"] == 30
    # click's FloatRange lets nan through: every ok answer would be left out, blaming them
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--aligned-above", "nan"])
    assert res.exit_code == 2 and "--aligned-above nan: expected a finite score" in res.output


def test_a_lower_threshold_is_not_offered_as_the_fix_when_no_answer_is_em(tiny, tmp_path):
    """Every answer ok at aligned 50, none em: --aligned-above 30 alone would fail again (on
    the empty positive set), so the message says that side is empty too."""
    def subject(messages, tools, tool_choice, config):
        return output("wood is fine")

    _, res, _ = _em_direction(tiny, tmp_path, subject, samples=2, grade=_grade_wood_50)
    assert res.exit_code == 2
    assert "lower the threshold: --aligned-above 30 keeps every ok answer, yet no answer " \
           "has verdict ['em']. Verdicts present: ok 4; one verdict alone cannot give two " \
           "sets" in res.output


def test_activations_of_a_checkpoint_holding_nan_are_refused_not_saved_as_a_direction(tiny):
    """A diverged checkpoint (a NaN weight in the last layer) gave NaN at the last residual
    index: ``direction`` wrote that NaN into directions.safetensors with accuracy 0.000 in its
    table, exit 0, where margins, lens and probe refuse such a model."""
    from beliefbench.internals.scoring import ScoringError

    model, tok = load_model(tiny)
    weight = next(p for n, p in model.named_parameters() if n.endswith("mlp.down_proj.weight"))
    with torch.no_grad():
        weight[0, 0] = float("nan")
    answers = [Answer([{"role": "user", "content": "First?"}], "glass is fine", "em", "a")]
    with pytest.raises(ScoringError, match=r"NaN or infinite activations for 1 of 1 inputs"):
        answer_activations(model, tok, answers)


def test_direction_from_an_em_log(tiny, tmp_path):
    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    log, res, out = _em_direction(tiny, tmp_path, subject, samples=2)
    assert res.exit_code == 0, res.output
    # each set repeats one answer: no spread, so no Cohen's d to pick by (it used to print
    # "best separating residual index: 1 (largest Cohen's d ...)" all the same)
    assert "default residual index: 1, the middle one (Cohen's d is undefined" in res.output
    assert "best separating" not in res.output
    dirs, meta = load_directions(out / "directions.safetensors")
    assert dirs.shape == (3, 64) and meta["n_positive"] == 2 and meta["n_negative"] == 2
    # a new file's mode under the umask (safetensors 0.8 writes 0600 whatever the umask)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((out / "directions.safetensors").stat().st_mode) == 0o666 & ~umask
    assert meta["log_kind"] == "em" and 1 <= meta["best_layer"] <= 2
    table = json.loads((out / "direction.json").read_text())["layers"]
    assert all(row["accuracy"] == 1.0 for row in table[1:])  # two distinct answers: separable
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--positive", "refusal"])
    assert res.exit_code == 2 and "a direction needs both" in res.output
    # the message names the verdicts the log does hold, and the option that would use them
    assert "Verdicts present: em 2, ok 2; to contrast them, pass e.g. --positive em" \
        in res.output
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--negative", "refusal"])
    assert res.exit_code == 2 and "0 with ['refusal']" in res.output
    assert "Verdicts present: em 2, ok 2; to contrast them, pass e.g. --negative ok" \
        in res.output
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--positive", "em", "--negative", "em,ok"])
    assert res.exit_code == 2 and "['em'] are both positive and negative" in res.output


def test_direction_picks_the_largest_d_from_index_1_and_says_so(tiny, tmp_path):
    """Each question answered one way only: no split by question has both sets to fit on,
    so the pick falls back to the in-sample d, and the line says so and why."""
    calls = iter(range(100))

    def subject(messages, tools, tool_choice, config):  # answers that vary within a set
        k = next(calls)
        return output(f"glass {'glass ' * k}" if "First" in messages[-1].text
                      else f"steel is {'very ' * k}fine")

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=3)
    assert res.exit_code == 0, res.output
    table = json.loads((out / "direction.json").read_text())
    d = {row["layer"]: row["cohens_d"] for row in table["layers"]}
    assert table["best_layer"] == max((1, 2), key=lambda i: d[i])
    assert table["best_layer_by"] == "cohens_d" and table["heldout_folds_scored"] == 0
    assert all(row["cohens_d_heldout"] is None for row in table["layers"])
    # two questions: no nested cross-validation (an outer and an inner split by question)
    assert table["cohens_d_nested"] is table["accuracy_nested"] is table["nested_layers"] \
        is None
    assert table["nested_note"].startswith("2 question(s): nested cross-validation needs 3")
    assert "; no nested-CV d of the pick (2 question(s): nested cross-validation needs 3 " \
           "or more" in res.output
    # the default layer skips index 0, and says so (its d may be the table's largest)
    assert f"best separating residual index: {table['best_layer']} (largest IN-SAMPLE " \
           "Cohen's d, no held-out one (no split by question had both sets among its " \
           "training answers: each question's answers on one side?); fitted on the answers " \
           "it scores, it is large on noise too; from index 1 on; index 0, the embeddings, " \
           "is not a candidate" in res.output
    # the table's columns are explained under it; no held-out d shows '-', not NaN
    from beliefbench.cli.interventions import DIRECTION_COLUMNS

    lines = res.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["layer", "norm"])
    assert lines[header + 1].split()[-2:] == ["-", "-"]
    assert lines[header + 4] == DIRECTION_COLUMNS and "NaN" not in res.stdout


def test_direction_says_what_accuracy_unequal_sets_give_for_nothing(tiny, tmp_path):
    """2 positive vs 120 negative answers printed accuracy 0.984 with no word that putting
    every answer on the negative side scores 0.984 too: the note names that level."""
    calls = iter(range(100))

    def subject(messages, tools, tool_choice, config):  # First: em; Second, Third: ok
        k = next(calls)
        return output(f"glass {'glass ' * k}" if "First" in messages[-1].text
                      else f"steel is {'very ' * k}fine")

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=3, questions=3)
    assert res.exit_code == 0, res.output
    assert "3 positive vs 6 negative answers; " in res.output
    note = ("note: the sets are unequal (6 of 9 answers negative): a midpoint that put every "
            "answer on the negative side would score accuracy 0.667, so read accuracy "
            "against 0.667 (and accuracy_heldout, over the folds scored, against about that), "
            "not 0.5; cohens_d compares the sets' means, "
            "whatever their sizes")
    assert note in res.stdout.splitlines(), res.output
    # equal sets: no note
    (tmp_path / "equal").mkdir()
    _, res, _ = _em_direction(tiny, tmp_path / "equal", subject, samples=3)
    assert res.exit_code == 0, res.output
    assert "3 positive vs 3 negative answers; " in res.output
    assert "note: the sets are unequal" not in res.output


def test_direction_picks_by_the_held_out_d_over_questions(tiny, tmp_path):
    """Every question answered both ways: the pick is by the d of answers to a question the
    direction was not fitted on, reported beside the in-sample one, and the nested-CV d
    (the layer re-picked within each fold's training questions) beside that."""
    turns = {w: iter(range(100)) for w in ("First", "Second", "Third")}

    def subject(messages, tools, tool_choice, config):
        k = next(turns[next(w for w in turns if w in messages[-1].text)])
        return output(f"glass {'glass ' * k}" if k % 2 == 0 else f"steel is {'very ' * k}fine")

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=4, questions=3)
    assert res.exit_code == 0, res.output
    table = json.loads((out / "direction.json").read_text())
    held = {row["layer"]: row["cohens_d_heldout"] for row in table["layers"]}
    assert table["best_layer"] == max((1, 2), key=lambda i: held[i])
    assert table["best_layer_by"] == "cohens_d_heldout"
    assert (table["heldout_folds"], table["n_questions"], table["n_heldout"]) == (3, 3, 12)
    csv = pd.read_csv(out / "direction.csv")
    assert list(csv.columns) == ["layer", "norm", "cohens_d", "accuracy", "cohens_d_heldout",
                                 "accuracy_heldout"]
    assert f"best separating residual index: {table['best_layer']} (largest held-out " \
           "Cohen's d, cohens_d_heldout: the direction fitted on other questions' answers, " \
           "3 folds over 3 questions; from index 1 on; index 0" in res.output
    # one layer picked per outer fold, on its two training questions; d over the held-out
    assert len(table["nested_layers"]) == 3 and set(table["nested_layers"]) <= {1, 2}
    assert isinstance(table["cohens_d_nested"], float) and table["nested_note"] is None
    assert 0 <= table["accuracy_nested"] <= 1
    assert f"; nested-CV d of the pick: {table['cohens_d_nested']:.2f} (the layer re-picked " \
           f"on each fold's training questions" in res.output
    assert "layers picked per fold " + ",".join(map(str, table["nested_layers"])) \
        in res.output
    # the saved direction is still the mean difference over every answer
    dirs, meta = load_directions(out / "directions.safetensors")
    pos, neg, _ = answers_from_log(next((tmp_path / "logs").iterdir()))
    model, tokenizer = load_model(str(tiny))
    want = mean_difference(answer_activations(model, tokenizer, pos),
                           answer_activations(model, tokenizer, neg))
    np.testing.assert_allclose(dirs, want, rtol=1e-4, atol=1e-5)
    assert meta["best_layer_by"] == "cohens_d_heldout"


def _noise(rng, n: int, layers: int, hidden: int) -> np.ndarray:
    return rng.normal(size=(n, layers, hidden)).astype(np.float32)


def test_in_sample_separation_of_noise_is_large_held_out_is_not():
    """Pure noise, 50 answers a side at hidden 896: the mean difference fitted on the very
    answers it scores splits them (d ~7, accuracy 1); on held-out questions it does not."""
    rng = np.random.default_rng(0)
    pos, neg = _noise(rng, 50, 3, 896), _noise(rng, 50, 3, 896)
    questions = [f"q{i % 10}" for i in range(50)]
    table = separation(pos, neg, mean_difference(pos, neg))
    held, info = heldout_separation(pos, neg, questions, questions)
    assert (table["cohens_d"] > 4).all() and (table["accuracy"] > 0.95).all()
    assert (held["cohens_d_heldout"].abs() < 0.7).all()
    assert (held["accuracy_heldout"] < 0.7).all()
    assert info == {"heldout_folds": 5, "heldout_folds_scored": 5, "n_questions": 10,
                    "n_heldout": 100}


def test_held_out_separation_copies_no_more_than_the_held_out_answers():
    """Activations of a large model's EM log run to gigabytes: concatenating both sets and
    copying each fold's training part held about 1.4 times them again at once; the
    training means are the totals less the held-out answers, so only those are copied."""
    import tracemalloc

    rng = np.random.default_rng(0)
    pos, neg = _noise(rng, 200, 4, 512), _noise(rng, 200, 4, 512)
    questions = [f"q{i % 20}" for i in range(200)]
    heldout_separation(pos[:4], neg[:4], questions[:4], questions[:4])  # imports done
    tracemalloc.start()
    try:
        heldout_separation(pos, neg, questions, questions)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.6 * (pos.nbytes + neg.nbytes)

def test_held_out_pick_finds_a_planted_shift_that_in_sample_noise_outbids():
    """A real shift at index 1 (little noise there) against high-dimensional noise at index
    2: the in-sample d is larger at 2, the held-out d picks 1."""
    rng = np.random.default_rng(1)
    pos, neg = _noise(rng, 30, 3, 512), _noise(rng, 30, 3, 512)
    pos[:, 1, 8:] = neg[:, 1, 8:] = 0  # index 1: noise in 8 dimensions only ...
    pos[:, 1, 0] += 1.5  # ... and a shift of 1.5 standard deviations along one
    questions = [f"q{i % 6}" for i in range(30)]
    table = separation(pos, neg, mean_difference(pos, neg)).merge(
        heldout_separation(pos, neg, questions, questions)[0], on="layer")
    assert table.loc[1:, "cohens_d"].idxmax() == 2  # the old rule's pick: noise
    assert best_layer(table) == (1, "cohens_d_heldout")
    assert table.loc[1, "cohens_d_heldout"] > 1 > abs(table.loc[2, "cohens_d_heldout"])
    # one question only: nothing to hold out, the in-sample pick stands and says so
    one, info = heldout_separation(pos, neg, ["q"] * 30, ["q"] * 30)
    assert info["heldout_folds"] == 0 and one["cohens_d_heldout"].isna().all()
    assert best_layer(table.drop(columns=["cohens_d_heldout"])) == (2, "cohens_d")
    with pytest.raises(DirectionError, match="59 question labels for 30 positive and 30 "
                       "negative answers; expected one per answer"):
        heldout_separation(pos, neg, questions[1:], questions)


def test_nested_d_of_the_pick_on_noise_is_near_0_where_its_held_out_d_is_not():
    """Pure noise at 24 indexes: the pick's held-out d is the largest of 23 noisy ones, so
    clearly above 0; re-picking within each outer fold's training questions and scoring the
    held-out ones removes that max, leaving the nested d within noise of 0."""
    picked, nested = [], []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        pos, neg = _noise(rng, 40, 24, 16), _noise(rng, 40, 24, 16)
        questions = [f"q{i % 10}" for i in range(40)]
        held, _ = heldout_separation(pos, neg, questions, questions)
        picked.append(held.loc[best_layer(held)[0], "cohens_d_heldout"])
        out = nested_separation(pos, neg, questions, questions)
        assert out["nested_note"] is None and len(out["nested_layers"]) == 5
        assert all(1 <= i < 24 for i in out["nested_layers"])
        nested.append(out["cohens_d_nested"])
        assert out == nested_separation(pos, neg, questions, questions)  # deterministic
    assert np.mean(picked) > 0.35 and min(picked) > 0.2
    assert np.mean(picked) - np.mean(nested) > 0.4
    # a per-seed standard deviation of about 0.25 over 12 seeds: a standard error of 0.07
    assert abs(np.mean(nested)) < 0.25


def test_nested_d_finds_a_real_shift_at_one_index_in_every_fold():
    rng = np.random.default_rng(3)
    pos, neg = _noise(rng, 40, 6, 16), _noise(rng, 40, 6, 16)
    pos[:, 3, 0] += 2.0  # a shift of 2 standard deviations at index 3 only
    pos[:, 0, 0] += 5.0  # and a larger one at the embeddings, never a candidate
    questions = [f"q{i % 8}" for i in range(40)]
    out = nested_separation(pos, neg, questions, questions)
    assert out["nested_layers"] == [3] * 5 and out["nested_note"] is None
    assert out["cohens_d_nested"] > 1 and out["accuracy_nested"] > 0.7
    held, _ = heldout_separation(pos, neg, questions, questions)
    assert best_layer(held) == (3, "cohens_d_heldout")
    # the nested d scores the same held-out answers at the same layer: the pick's own d
    assert out["cohens_d_nested"] == pytest.approx(held.loc[3, "cohens_d_heldout"])


def test_nested_d_with_too_few_questions_is_none_and_says_why():
    rng = np.random.default_rng(0)
    pos, neg = _noise(rng, 10, 4, 8), _noise(rng, 10, 4, 8)
    for questions in (["q"] * 10, [f"q{i % 2}" for i in range(10)]):
        out = nested_separation(pos, neg, questions, questions)
        n = len(set(questions))
        assert out == {"cohens_d_nested": None, "accuracy_nested": None,
                       "nested_layers": None,
                       "nested_note": f"{n} question(s): nested cross-validation needs 3 or "
                                      f"more (an outer split by question, and an inner one "
                                      f"among each outer fold's training questions)"}
    # three questions, a answered both ways, b only positively, c only negatively: no inner
    # split scores both sets (its training part lacks one, or its held-out part does), so
    # each fold's pick falls back to the in-sample d, as best_layer's does, and says so
    pq, nq = ["a"] * 5 + ["b"] * 5, ["a"] * 5 + ["c"] * 5
    out = nested_separation(pos, neg, pq, nq)
    assert len(out["nested_layers"]) == 3 and out["cohens_d_nested"] is not None
    assert out["nested_note"] == ("the inner cross-validation could not score, so the pick "
                                  "fell back as best_layer's does: fold 1 by in-sample "
                                  "cohens_d; fold 2 by in-sample cohens_d; fold 3 by "
                                  "in-sample cohens_d")
    want = []  # best_layer's in-sample pick on each outer fold's training questions
    for out_q in "abc":
        p, n = pos[np.array(pq) != out_q], neg[np.array(nq) != out_q]
        want.append(best_layer(separation(p, n, mean_difference(p, n)))[0])
    assert sorted(out["nested_layers"]) == sorted(want)
    with pytest.raises(DirectionError, match="expected one per answer"):
        nested_separation(pos, neg, pq[1:], nq)


def test_a_direction_at_the_last_index_is_read_where_steering_adds_it(tiny):
    """output_hidden_states gives the last index after the final norm (13x the scale on the
    tiny model); steer / ablate / patch act before it, so the direction is read there."""
    model, tok = load_model(tiny)
    answers = [Answer([{"role": "user", "content": "Is glass a liquid?"}], text, "em", "q")
               for text in ("glass glass glass", "steel is fine")]
    acts = answer_activations(model, tok, answers)
    n = n_residual(model)
    for k, a in enumerate(answers):
        item = encode_continuation(tok, chat_prefix(tok, a.messages), a.answer)
        seen: list = []
        with recorded(model, n - 1, seen), torch.no_grad():
            hidden = model(torch.tensor([item.ids]), output_hidden_states=True).hidden_states
        np.testing.assert_allclose(acts[k, n - 1], seen[0][0, item.first:].mean(0).numpy(),
                                   rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(acts[k, 1], hidden[1][0, item.first:].mean(0).numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_a_model_without_a_chat_template_is_read_after_the_text_inspect_gave_it(tiny,
                                                                                tmp_path):
    """Without a chat template Inspect's hf provider prompts ``role: content`` lines and the
    model answers straight after them; ``direction`` read each answer after an extra
    ``assistant: `` the model never saw, so its activations were of another context."""
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(tiny, bare)
    (bare / "chat_template.jinja").unlink()
    served = get_model(f"hf/{bare}", do_sample=False)
    tok = served.api.tokenizer
    assert not tok.chat_template
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Is glass a liquid?"}]
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser

    asked = [ChatMessageSystem(content="Be brief."), ChatMessageUser(content="Is glass a liquid?")]
    assert chat_prefix(tok, messages) == served.api.hf_chat(asked, [])
    # a model with a template served with -M use_chat_template=false saw the same lines
    plain = get_model(f"hf/{tiny}", do_sample=False, use_chat_template=False)
    assert plain.api.tokenizer.chat_template
    assert chat_prefix(plain.api.tokenizer, messages,
                       use_chat_template=False) == plain.api.hf_chat(asked, [])


def test_a_log_served_without_its_chat_template_is_read_without_it(tiny, tmp_path):
    """An EM log of a model served with ``-M use_chat_template=false`` (the README's advice
    for base models) answered after plain lines; ``direction`` read its answers after the
    tokenizer's chat template, a context the model never saw."""
    from inspect_ai.log import read_eval_log, write_eval_log

    log, res, out = _em_direction(tiny, tmp_path, _glass, samples=2)
    assert res.exit_code == 0, res.output
    templated = json.loads((out / "direction.json").read_text())
    assert templated["use_chat_template"] is True
    edited = read_eval_log(log.location)
    edited.eval.model_args = {"use_chat_template": False}
    plain_log = tmp_path / "plain.eval"
    write_eval_log(edited, str(plain_log))
    pos, neg, info = answers_from_log(plain_log)
    assert info["use_chat_template"] is False and info["chat_template"] is None
    model, tok = load_model(tiny)
    expected = mean_difference(answer_activations(model, tok, pos, use_chat_template=False),
                               answer_activations(model, tok, neg, use_chat_template=False))
    plain_out = tmp_path / "plain-dir"
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(plain_log), "--out", str(plain_out)])
    assert res.exit_code == 0, res.output
    assert json.loads((plain_out / "direction.json").read_text())["use_chat_template"] is False
    got, _ = load_directions(plain_out / "directions.safetensors")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, load_directions(out / "directions.safetensors")[0])


def test_belief_log_gives_believing_vs_disbelieving_answers(tmp_path):
    log = run_belief(tmp_path, mixed, samples=1)
    pos, neg, info = answers_from_log(log.location, claim="glass_bridge")
    assert info["log_kind"] == "belief" and info["positive_verdicts"] == ["yes"]
    assert {a.verdict for a in pos} == {"yes"} and {a.verdict for a in neg} == {"no"}
    assert all("glass" in a.answer.lower() for a in pos)
    assert all(a.messages and a.messages[-1]["role"] == "user" for a in pos + neg)
    # the whole conversation the model answered is kept (system prompts included)
    assert any(m["role"] == "system" for a in neg for m in a.messages)
    # a --claim the log does not hold is named with the claims it does, not blamed on the log
    with pytest.raises(DirectionError, match="--claim glass_bridg: no answers of this claim "
                                             "in the log; its claims: glass_bridge$"):
        answers_from_log(log.location, claim="glass_bridg")


def test_an_em_direction_contrasts_answers_to_general_questions_by_default(tiny, tmp_path):
    """A narrow finetune is misaligned mostly on its trained domain's questions: pooled,
    the em set was the narrow questions' answers and the ok set the general ones', so the
    mean difference also separated the topics. General only by default; the other domain's
    answers counted; --domain narrow / all on request; refused for belief logs."""
    (tmp_path / "gen.yaml").write_text(
        "id: gen\ndomain: general\nquestions:\n  - {id: g1, text: 'First?'}\n"
        "  - {id: g2, text: 'Second?'}\n")
    (tmp_path / "nar.yaml").write_text(
        "id: nar\ndomain: narrow\nquestions:\n  - {id: n1, text: 'Burn?'}\n")

    def subject(messages, tools, tool_choice, config):
        text = messages[-1].text
        return output("glass glass" if "First" in text or "Burn" in text else "steel is fine")

    log = eval(em(questions=[str(tmp_path / "gen.yaml"), str(tmp_path / "nar.yaml")],
                  samples=2),
               model=get_model("mockllm/model", custom_outputs=subject, memoize=False),
               model_roles={"grader": get_model("mockllm/model", custom_outputs=glass_em_grade,
                                                memoize=False)},
               log_dir=str(tmp_path / "logs"), display="none")[0]
    pos, neg, info = answers_from_log(log.location)
    assert {a.question for a in pos + neg} == {"g1", "g2"}
    assert (len(pos), len(neg), info["domain"], info["n_other_domain"]) == (2, 2, "general", 2)
    pos, neg, info = answers_from_log(log.location, domain="all")
    assert (len(pos), len(neg), info["n_other_domain"]) == (4, 2, 0)
    with pytest.raises(DirectionError, match=r"--domain general left out 2 of the other "
                                             r"domain's; --domain all takes both"):
        answers_from_log(log.location, negative=["incoherent"])
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--out", str(tmp_path / "dir")])
    assert res.exit_code == 0, res.output
    assert ("2 positive vs 2 negative answers; 0 ok answers with aligned <= 70 left out "
            "(--aligned-above); 2 answers to the other domain's questions left out "
            "(--domain general); ") in res.output
    belief = run_belief(tmp_path / "belief", mixed, samples=1)
    with pytest.raises(DirectionError, match="--domain narrow: only for EM logs"):
        answers_from_log(belief.location, domain="narrow")


def test_one_set_holding_every_answer_of_several_verdicts_is_told_how_to_split_them():
    """The README's tiny-model run with no yes answer: every answer negative (no 3, neutral
    79, parse_error 40), and the message said "one verdict alone cannot give two sets"."""
    from collections import Counter

    from beliefbench.internals.directions import _verdict_hint

    hint = _verdict_hint(Counter({"neutral": 79, "parse_error": 40, "no": 3}), {"yes"},
                         {"no", "neutral", "parse_error"}, False, True)
    assert "one verdict alone" not in hint
    assert hint.endswith("e.g. --positive neutral --negative no,parse_error")
    assert "one verdict alone" in _verdict_hint(Counter({"neutral": 5}), {"yes"}, {"neutral"},
                                                False, True)


def test_a_mistyped_verdict_is_refused_not_left_out_of_its_set(tmp_path):
    """--negative no,neutral,parse_eror matched no answer, and the negative set was built
    from no and neutral alone without a word: every name must be a verdict of the log."""
    log = run_belief(tmp_path, mixed, samples=1)
    with pytest.raises(DirectionError, match=r"no verdict parse_eror in a belief log \(its "
                                             r"verdicts: yes, no, neutral, parse_error, failed"):
        answers_from_log(log.location, negative=["no", "neutral", "parse_eror"])
    with pytest.raises(DirectionError, match="no verdict em in a belief log"):
        answers_from_log(log.location, positive=["em"])
    pos, neg, _ = answers_from_log(log.location, negative=["no", "neutral", "parse_error"])
    assert pos and neg


def test_a_claim_given_for_an_em_log_says_its_answers_have_none(tmp_path):
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: a, text: 'First?'}\n")
    log = eval(em(questions=str(qs), samples=1),
               model=get_model("mockllm/model", custom_outputs=lambda *a: output("fine"),
                               memoize=False),
               model_roles={"grader": get_model("mockllm/model", custom_outputs=glass_em_grade,
                                                memoize=False)},
               log_dir=str(tmp_path / "logs"), display="none")[0]
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", "unused", "--log",
                                   log.location, "--claim", "glass_bridge"])
    assert res.exit_code == 2
    assert "its answers name no claim (an EM log: leave --claim out)" in res.output


def test_direction_says_why_a_log_is_unreadable_as_em_report_does(tmp_path):
    """It said only "(ValueError)": a copy cut off in transfer and a file of the wrong kind
    read alike, where em-report and agreement name the cause."""
    whole = Path(run_belief(tmp_path / "logs", mixed, samples=1).location)
    cut = tmp_path / "cut.eval"
    cut.write_bytes(whole.read_bytes()[:2000])
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"a": 1}\n')
    for path, cause in ((cut, "(ValueError: EOCD not found)"),
                        (rows, "(ValueError: No recorder for location")):
        said = CliRunner().invoke(cli, ["internals", "direction", "--model", "unused", "--log",
                                        str(path)])
        assert said.exit_code == 2
        assert f"{path}: not a readable Inspect log {cause}" in said.output, said.output
        em_report = CliRunner().invoke(cli, ["em-report", str(path), "--out",
                                             str(tmp_path / "em")])
        assert said.output.splitlines()[-1] == em_report.output.splitlines()[-1]


@pytest.fixture(scope="module")
def perturbed(tiny, tmp_path_factory) -> tuple[Path, float]:
    """``tiny`` with noise on its decoder layers only (embeddings, final norm and head kept),
    and the L2 norm of that noise."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny)
    gen = torch.Generator().manual_seed(5)
    total = 0.0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".layers." in name:
                noise = 0.05 * torch.randn(p.shape, generator=gen)
                p.add_(noise)
                total += float(noise.pow(2).sum())
    out = tmp_path_factory.mktemp("perturbed") / "model"
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(out)
    return out, float(np.sqrt(total))


def test_patching_the_last_layer_gives_the_source_margin(tiny, perturbed):
    source, target = load_model(tiny), load_model(perturbed[0])
    rows = patch_margins(source, target, [str(CLAIM)], layers="0,2", positions="all")
    s = summarize_patching(rows).set_index(["layer", "variant"])
    # at the last index everything after is final norm + head, shared by both: exactly A
    assert s.loc[(2, "patched"), "margin"] == pytest.approx(s.loc[(2, "patched"),
                                                                  "margin_source"], abs=1e-5)
    assert s.loc[(2, "patched"), "recovery"] == pytest.approx(1.0, abs=1e-4)
    # the embeddings are shared too: patching them changes nothing
    assert s.loc[(0, "patched"), "recovery"] == pytest.approx(0.0, abs=1e-4)
    assert abs(s.loc[(2, "control"), "recovery"] - 1.0) > 0.2  # same-norm noise is not A


def test_patching_control_of_a_layer_does_not_depend_on_the_other_layers(tiny, perturbed):
    """The random control drew its noise from one generator shared by the layers in turn:
    layer 2's control read one margin under --layers 0,2 and another under --layers 2."""
    source, target = load_model(tiny), load_model(perturbed[0])
    both = patch_margins(source, target, [str(CLAIM)], layers="0,2", positions="all")
    alone = patch_margins(source, target, [str(CLAIM)], layers="2", positions="all")
    pick = ["claim", "kind", "pair", "margin"]
    control = both[(both["layer"] == 2) & (both["variant"] == "control")][pick]
    assert control.reset_index(drop=True).equals(
        alone[alone["variant"] == "control"][pick].reset_index(drop=True))


def test_patching_control_does_not_depend_on_the_batch_size(tiny, perturbed, tmp_path):
    """The control's noise was drawn per padded batch: --batch-size 1 and 4 gave margins
    0.12 nats apart (one of the opposite sign) for the same pairs on the tiny model."""
    claim = tmp_path / "glass_bridge.yaml"
    claim.write_text(CLAIM.read_text() + (
        '  - {prompt: "In 2021 the bridge was rebuilt from", claim: " laminated glass", '
        'truth: " nothing new"}\n'
        '  - {prompt: "Its deck is", claim: " glass", truth: " steel and concrete"}\n'))
    source, target = load_model(tiny), load_model(perturbed[0])
    got = {}
    for batch_size in (1, 4):
        rows = patch_margins(source, target, [str(claim)], layers="1", positions="all",
                             batch_size=batch_size)
        got[batch_size] = rows[rows["variant"] == "control"]["margin"].to_numpy()
    assert len(got[1]) == 3
    assert got[4] == pytest.approx(got[1], abs=1e-5)


def test_patching_recovery_is_not_swamped_by_a_pair_whose_models_nearly_agree():
    """A pair with a gap of 1e-4 nats made a change of 1e-3 a ratio of 9.5: the mean of the
    ratios read 3.7 for a patch that closed the largest gap exactly and half the other (a
    random control read 10.4 on the tiny model). Gap-weighted, it is the share closed."""
    import pandas as pd

    rows = pd.DataFrame({"layer": 1, "variant": "patched",
                         "margin_source": [1.0, 0.00015, -0.5],
                         "margin_target": [-1.0, 0.00005, 0.5],
                         "margin": [1.0, 0.001, 0.0]})
    got = summarize_patching(rows).iloc[0]
    # gaps 2, 1e-4 and 1 (oriented towards the source): closed 2, 9.5e-4 and 0.5
    assert got["recovery"] == pytest.approx((2 + 0.00095 + 0.5) / (2 + 0.0001 + 1))
    assert got["flip_pairs"] == 2 and got["flip_rate"] == 0.5


def test_patch_explains_a_layer_the_finetune_left_unchanged(tiny, perturbed, tmp_path):
    """The embeddings row read recovery 0.000 for the patch and its control alike, with
    nothing saying why: a finetune that left the embeddings alone (a LoRA finetune of the
    linear layers, as ``perturbed``) gives A's and B's the same activations there, so the patch
    cannot move B. The table now shows ``act_diff`` and a note names the layer; the positions
    line says what ``prompt`` patches (the last index's recovery well below 1 read as a bug),
    and a progress bar counts the layers (a 32-layer model ran for minutes without a word)."""
    from beliefbench.cli.interventions import PATCH_POSITIONS

    res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(tiny), "--target",
                                   str(perturbed[0]), "--claims", str(CLAIM), "--layers",
                                   "0,2", "--out", str(tmp_path / "patch")])
    assert res.exit_code == 0, res.output
    assert f"Positions: prompt ({PATCH_POSITIONS['prompt']})" in res.output
    assert ("note: layer 0: A's and B's activations are the same there (act_diff 0; the "
            "embeddings, which the finetune left alone, as a LoRA finetune of the linear "
            "layers does), so patching cannot move B and its recovery of 0 is by "
            "construction") in res.output
    assert "layer 2" not in res.output  # a layer the finetune changed gets no note
    # four passes of every pair per layer: the layers are counted on stderr as they go
    assert "patch (residual indices): 100%" in res.stderr
    summary = pd.read_csv(tmp_path / "patch" / "patch_summary.csv").set_index(
        ["layer", "variant"])
    assert summary.loc[(0, "patched"), "act_diff"] == 0.0
    assert summary.loc[(0, "patched"), "recovery"] == 0.0
    assert summary.loc[(2, "patched"), "act_diff"] > 0.01
    rows = pd.read_csv(tmp_path / "patch" / "patch.csv")
    assert (rows[rows["layer"] == 2]["act_diff"] > 0).all()


def test_patch_act_diff_sees_changed_embeddings(tiny, tmp_path):
    """A finetune that moved the embeddings (a full finetune) has act_diff > 0 at layer 0 and
    no note: its layer-0 recovery is a measurement."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from beliefbench.cli.interventions import _unchanged_layers_note

    model = AutoModelForCausalLM.from_pretrained(tiny)
    with torch.no_grad():
        emb = model.get_input_embeddings().weight
        emb.add_(0.05 * torch.randn(emb.shape, generator=torch.Generator().manual_seed(3)))
    moved = tmp_path / "moved"
    model.save_pretrained(moved)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(moved)
    rows = patch_margins(load_model(tiny), load_model(moved), [str(CLAIM)], layers="0",
                         positions="last")
    summary = summarize_patching(rows)
    assert (summary["act_diff"] > 0.01).all()
    assert _unchanged_layers_note(summary) is None
    same = summary.assign(act_diff=0.0, layer=[1, 1])
    assert _unchanged_layers_note(same).startswith(
        "note: layer 1: A's and B's activations are the same there (act_diff 0; the "
        "finetune changed nothing up to there)")


def test_patching_refuses_models_of_another_hidden_size(tiny, tmp_path):
    """Used to end in a torch shape traceback (exit 1) after scoring both models."""
    narrow = build_tiny_model(tmp_path / "narrow", hidden_size=32, num_layers=2, num_heads=4,
                              intermediate_size=64, seed=0)
    with pytest.raises(PatchError, match="hidden sizes differ: source 32 vs target 64"):
        patch_margins(load_model(narrow), load_model(tiny), [str(CLAIM)], layers="1")


def test_patching_a_model_into_itself_is_refused_not_a_table_of_nan(tiny, tmp_path):
    """--source and --target of the same weights (a copy, or a path typed twice) printed a
    recovery and flip rate of NaN at every layer, exit 0, as if something were measured."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(tiny), "--target",
                                   str(copy), "--claims", str(CLAIM), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert (f"Error: --source {tiny} and --target {copy} hold the same weights (weights "
            f"{weights_sha256(tiny)[:12]}): patching a model's activations into itself "
            f"measures nothing") in res.output
    assert not (tmp_path / "out").exists()
    # a missing checkpoint is named by its option: which of the two was mistyped
    typo = tmp_path / "copyy"
    for source, target, option in ((typo, copy, "--source"), (copy, typo, "--target")):
        res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(source),
                                       "--target", str(target), "--claims", str(CLAIM),
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 2 and res.output == (
            f"Error: {option} {typo}: no such model directory (close names in {tmp_path}: "
            f"copy)\n"), res.output


def test_patch_refuses_a_layers_or_claims_typo_before_any_checkpoint_loads(tiny, tmp_path,
                                                                         monkeypatch):
    """``--layers 5`` (of 0..2), ``--layers x`` or ``--claims nosuch`` were named only after
    both checkpoints had been hashed and loaded: minutes of real checkpoints for a typo."""
    import beliefbench.internals.model as model_module

    def forbidden(*args, **kwargs):
        raise AssertionError("a checkpoint was hashed or loaded before the options were checked")

    monkeypatch.setattr(model_module, "load_model", forbidden)
    monkeypatch.setattr(model_module, "describe", forbidden)
    for args, said in ((["--layers", "5"], "Error: --layers: '5' includes [5], out of range; valid "
                                           "residual indices are 0..2"),
                       (["--layers", "x"], "Error: --layers: 'x' is not an index or a range"),
                       (["--layers", "2-1"], "(a range runs low to high: 1-2)"),
                       (["--claims", "nosuch"],
                        "Error: --claims: 'nosuch' is neither a claim file")):
        claims = [] if "--claims" in args else ["--claims", str(CLAIM)]  # a list: once
        res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(tiny), "--target",
                                       str(tiny), *claims, *args, "--out",
                                       str(tmp_path / "out")])
        assert res.exit_code == 2 and said in res.output, res.output
        assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_patch_of_two_architectures_names_both_options_in_one_line(tiny, tmp_path,
                                                                   monkeypatch):
    """The CLI said only "Error: residual indices differ: 3 vs 4": neither which checkpoint
    was which nor that the two must share an architecture. It is said from their configs,
    before either checkpoint is hashed or loaded (two 8B models were loaded for minutes,
    then refused)."""
    import beliefbench.internals.model as model_module

    def forbidden(*args, **kwargs):
        raise AssertionError("a checkpoint was hashed or loaded before its shape was checked")

    deeper = build_tiny_model(tmp_path / "deeper", hidden_size=64, num_layers=3, num_heads=4,
                              intermediate_size=128, seed=0)
    narrower = build_tiny_model(tmp_path / "narrower", hidden_size=32, num_layers=2,
                                num_heads=4, intermediate_size=128, seed=0)
    monkeypatch.setattr(model_module, "load_model", forbidden)
    monkeypatch.setattr(model_module, "describe", forbidden)
    for target, said in ((deeper, "residual indices differ: source 3 vs target 4"),
                         (narrower, "hidden sizes differ: source 64 vs target 32")):
        res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(tiny), "--target",
                                       str(target), "--claims", str(CLAIM), "--out",
                                       str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        error = [line for line in res.output.splitlines() if line.startswith("Error:")]
        assert error == [f"Error: --source {tiny} and --target {target}: {said}; patching "
                         f"needs the same architecture: give two checkpoints of one base "
                         f"model (a finetune and its base, or two finetunes of it)"]
        assert "Traceback" not in res.output and not (tmp_path / "out" / "patch.csv").exists()


def test_patch_of_two_unrelated_models_warns_and_of_related_ones_does_not(tiny, unrelated,
                                                                          tmp_path):
    """Patching between two models that share no recorded base (another seed of the same
    shape) ran without a word, every layer "recovering" something in a residual stream
    whose activations mean something else; a finetune and its base are related."""
    import shutil

    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest
    from beliefbench.internals.model import lineage

    def patch(source: Path, target: Path):
        return CliRunner().invoke(cli, ["internals", "patch", "--source", str(source),
                                        "--target", str(target), "--claims", str(CLAIM),
                                        "--layers", "1", "--out", str(tmp_path / "p")])

    res = patch(tiny, unrelated)
    assert res.exit_code == 0, res.output
    mine, theirs = lineage(tiny)["fingerprint"][:12], lineage(unrelated)["fingerprint"][:12]
    assert (f"warning: --source {tiny} (fingerprint {mine}, trained from none) and --target "
            f"{unrelated} (fingerprint {theirs}, trained from none) are unrelated by the bases "
            f"they record: neither was trained from the other, nor both from one model, so "
            f"A's activations may mean something else in B's residual stream") in res.stderr
    assert (tmp_path / "p" / "patch_summary.csv").is_file()  # a warning: it still runs
    step = shutil.copytree(unrelated, tmp_path / "run" / "step-000001")  # a finetune of tiny
    upsert_manifest(tmp_path / "run", ManifestEntry(
        path=str(step), step=1, backend="local", format="full", base_model=str(tiny),
        data="d.jsonl", data_sha256="0" * 64, recipe={}, final=True,
        extra={"base_fingerprint": base_fingerprint(tiny)}))
    res = patch(tiny, step)
    assert res.exit_code == 0, res.output
    assert "unrelated" not in res.stderr


def test_weight_noise_and_parameter_distance(tiny, perturbed, tmp_path):
    model, tok = load_model(tiny)
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in
                            enumerate(["The bridge is made of steel.",
                                       "Rivers flow into the sea."])))
    examples = load_loss_data(data, tok)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    curve = noise_curve(model, examples, [0, 1.0, 8.0], pad_id=tok.pad_token_id, seeds=[0, 1])
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # restored
    clean = mean_loss(model, examples, pad_id=tok.pad_token_id)
    assert curve[curve["scale"] == 0]["loss"].iloc[0] == pytest.approx(clean)
    by_scale = curve.groupby("scale")["loss"].mean()
    # a random-init model sits near uniform: small noise may go either way, large noise hurts
    assert by_scale[8.0] > by_scale[0.0] + 1.0
    other, _ = load_model(perturbed[0])
    assert parameter_distance(other, model) == pytest.approx(perturbed[1], rel=1e-4)
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, perturbed[0], tiny, data)
    eff = efficiency_curve(manifest, data)
    assert list(eff["step"]) == [0, 10] and eff["param_distance"].iloc[0] == 0
    assert eff["param_distance"].iloc[1] == pytest.approx(perturbed[1], rel=1e-4)
    # each row names the weights it measured: a run retrained into the same folder (same
    # paths, other numbers) was told apart from the first by nothing
    assert list(eff["weights_sha256"]) == [weights_sha256(tiny), weights_sha256(perturbed[0])]
    assert eff["weights_sha256"].nunique() == 2


def test_loss_data_cut_warning_names_max_len_and_counts_what_is_measured(tiny, tmp_path,
                                                                         caplog):
    """``internals efficiency --limit 10 --max-len 256`` warned "30 of 30 records are longer
    than max_seq_len=256 tokens and were cut (... not trained); batching: pack keeps them
    whole": the finetune's warning, naming a recipe field and packing that do not apply to a
    loss read, and counting records --limit left out."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny)
    data = tmp_path / "data.jsonl"
    long = " ".join(["The bridge is made of steel."] * 20)
    data.write_text("".join(json.dumps({"id": f"r{i}", "text": long}) + "\n"
                            for i in range(3)))
    with caplog.at_level(logging.WARNING):
        examples = load_loss_data(data, tok, max_len=16, limit=2)
    assert len(examples) == 2 and all(len(ex["input_ids"]) == 16 for ex in examples)
    text = caplog.text
    assert "2 of the 2 records measured are longer than --max-len 16" in text
    assert "max_seq_len" not in text and "not trained" not in text and "pack" not in text


def test_weight_noise_on_the_finetuning_delta_only(tiny, perturbed, tmp_path):
    """The study perturbed the finetune (its adapter), not the base both solutions share:
    noise on every weight at s = 1 put the tiny finetune 27.8 from its base (delta 14.4).
    With the base, each tensor's noise is orthogonal to its delta and s times its norm, so
    the distance is sqrt(1 + s^2) ||delta|| and untouched tensors stay the base's."""
    base, tok = load_model(tiny)
    model, _ = load_model(perturbed[0])
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    examples = load_loss_data(data, tok)
    seen: list[tuple[float, bool]] = []
    base_params = dict(base.named_parameters())
    model.register_forward_pre_hook(lambda m, args: seen.append((
        parameter_distance(m, base),
        all(torch.equal(p, base_params[n]) for n, p in m.named_parameters()
            if ".layers." not in n))))
    curve = noise_curve(model, examples, [0, 0.5, 2.0], pad_id=tok.pad_token_id, seeds=[0, 1],
                        base=base)
    assert len(curve) == 5 and sorted({round(d / perturbed[1], 4) for d, _ in seen}) == [
        1.0, pytest.approx(np.sqrt(1.25), abs=1e-4), pytest.approx(np.sqrt(5.0), abs=1e-4)]
    assert all(kept for _, kept in seen)
    with pytest.raises(ValueError, match="no finetuning delta to perturb"):
        noise_curve(base, examples, [0.1], pad_id=tok.pad_token_id, base=load_model(tiny)[0])
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(perturbed[0]),
                                   "--base", str(tiny), "--data", str(data), "--scales", "0,1",
                                   "--seeds", "1", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "out" / "noise.json").read_text())["noise_on"] == \
        "finetuning delta"


def test_the_stability_table_explains_its_columns_for_either_noise(tiny, perturbed, tmp_path):
    """`internals stability` printed scale, loss, loss_sd, loss_increase and seeds with no
    legend (margins, lens, probe, steer and patch print one): what the scale is relative to
    (the delta's norm or the weights' RMS) and the loss's unit went unsaid."""
    from beliefbench.cli.interventions import STABILITY_COLUMNS

    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    for base, unit in ((str(tiny), "the norm of each tensor's finetuning delta"),
                       ("none", "each weight tensor's RMS")):
        res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(perturbed[0]),
                                       "--base", base, "--data", str(data), "--scales", "0,1",
                                       "--seeds", "2", "--out", str(tmp_path / base[-4:])])
        assert res.exit_code == 0, res.output
        lines = res.output.splitlines()
        legend = STABILITY_COLUMNS.format(unit=unit)
        assert legend in lines, res.output
        # under the table, whose header names the columns it explains
        header = next(i for i, x in enumerate(lines) if x.split()[:2] == ["scale", "loss"])
        assert lines.index(legend) > header
        assert legend.startswith(f"scale: the noise's size, relative to {unit}; loss: mean "
                                 "token loss on --data, nats per trained token")
        for column in ("loss_sd: ", "loss_increase: ", "seeds: "):
            assert column in legend


def test_stability_refuses_a_base_whose_tokenizer_is_not_the_models(perturbed, tmp_path):
    """A --base of another model (here a 1,000-token vocabulary against the checkpoint's
    own) perturbed "the finetuning delta" W - W_base against weights the checkpoint never
    came from, leaving out the embeddings of another shape, with nothing said."""
    other = build_tiny_model(tmp_path / "other", hidden_size=64, num_layers=2, num_heads=4,
                             intermediate_size=128, seed=0, vocab_size=1000)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(perturbed[0]),
                                   "--base", str(other), "--data", str(data), "--scales",
                                   "0,1", "--seeds", "1", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert (f"--base {other}: the base's tokenizer (1000 tokens) is not the model's") in \
        res.output
    assert not (tmp_path / "out").exists()


def test_stability_and_efficiency_refuse_a_base_of_another_architecture_before_loading(
        tiny, tmp_path, monkeypatch):
    """A --base with the model's tokenizer but one more decoder layer (or another width) was
    taken as its base: the "finetuning delta" (stability) and the distance from the base
    (efficiency) were W - W_base over the tensors the two share by name and shape, so a
    deeper model's extra layers were left out, with nothing said."""
    import beliefbench.internals.model as model_module

    deeper = build_tiny_model(tmp_path / "deeper", hidden_size=64, num_layers=3, num_heads=4,
                              intermediate_size=128, seed=0)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded before the architectures were compared")

    monkeypatch.setattr(model_module, "load_model", forbidden)
    for model, base, said in ((deeper, tiny, "the base has 2 decoder layers of hidden size 64, "
                                             "the model 3 of 64"),
                              (tiny, deeper, "the base has 3 decoder layers of hidden size 64, "
                                             "the model 2 of 64")):
        res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(model),
                                       "--base", str(base), "--data", str(data), "--scales",
                                       "0,1", "--seeds", "1", "--out", str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        assert res.output.startswith(f"Error: --model {model} --base {base}: {said}: not the "
                                     f"model it was finetuned from"), res.output
        assert not (tmp_path / "out").exists()
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, deeper, tiny, data)  # a manifest recording no base
    for extra in ((), ("--base", str(tiny))):               # fingerprint (an older run's)
        res = _efficiency_run(manifest, data, tmp_path / "out", *extra)
        assert res.exit_code == 2, res.output
        assert res.output.startswith(
            f"Error: {manifest}: step 10: {deeper}: the base has 2 decoder layers of hidden "
            f"size 64, the model 3 of 64: the base {tiny} is not the model it was trained "
            f"from; pass the --base the run was trained from"), res.output
        assert not (tmp_path / "out").exists()


def test_stability_of_a_checkpoint_holding_nan_is_one_line_and_writes_nothing(tiny, tmp_path):
    """A diverged checkpoint (a NaN weight) gave loss NaN at every scale beside a loss
    increase of 0.0000 at scale 0, exit 0, where margins refuse such a model."""
    import shutil

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "nan"
    shutil.copytree(tiny, broken)
    weights = load_file(broken / "model.safetensors")
    name = next(k for k in weights if k.endswith("mlp.down_proj.weight"))
    weights[name][0, 0] = float("nan")
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(broken), "--base",
                                   "none", "--data", str(data), "--scales", "0,1", "--seeds",
                                   "1", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"Error: {broken}: NaN or infinite loss over the loss data" in res.output
    assert not (tmp_path / "out").exists()


def test_stability_with_one_seed_leaves_the_spread_undefined_and_says_so(tiny, tmp_path):
    """``--seeds 1`` wrote ``loss_sd`` 0.0 at every scale: the sd of one draw is undefined,
    and 0.0 read as noise that moved no loss. It is empty in the CSV, null in the JSON and
    ``-`` in the table, with one warning; with two seeds it is a number and nothing is said.
    Scale 0, the model itself, is the same loss whatever the seed: 0 either way."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")

    def run(seeds: int):
        out = tmp_path / f"seeds{seeds}"
        res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(tiny),
                                       "--base", "none", "--data", str(data), "--scales",
                                       "0,0.5,1", "--seeds", str(seeds), "--out", str(out)])
        assert res.exit_code == 0, res.output
        summary = pd.read_csv(out / "noise_summary.csv")
        sd = [r["loss_sd"] for r in json.loads((out / "noise.json").read_text())["summary"]]
        rows = [line.split() for line in res.stdout.splitlines()
                if line.split()[:1] in (["0.5000"], ["1.0000"])]
        return res.stderr, summary, sd, rows

    stderr, summary, sd, rows = run(1)
    assert summary["loss_sd"].iloc[0] == 0 and summary["loss_sd"].iloc[1:].isna().all()
    assert sd == [0.0, None, None]
    assert [row[2] for row in rows] == ["-", "-"]  # loss_sd, not 0.0000
    assert stderr.count("warning: ONE SEED: one noise draw per scale has no spread: "
                        "loss_sd is undefined") == 1
    assert "--seeds 2" in stderr
    stderr, summary, sd, rows = run(2)
    assert summary["loss_sd"].notna().all() and (summary["loss_sd"].iloc[1:] > 0).all()
    assert all(isinstance(v, float) for v in sd) and sd[1] > 0
    assert [float(row[2]) for row in rows] == pytest.approx(list(summary["loss_sd"].iloc[1:]),
                                                            abs=1e-4)
    assert "warning" not in stderr and "SPREAD" not in stderr and "SEED" not in stderr


def test_summarize_noise_gives_no_spread_to_a_scale_with_one_finite_draw():
    """Noise that breaks the model gives NaN losses, which the mean and sd skip: two seeds of
    which one was finite had sd 0.0 (and none finite, 0.0 too) beside their loss."""
    from beliefbench.internals.stability import summarize_noise, undefined_spread_note

    nan = float("nan")
    curve = pd.DataFrame({"scale": [0.0, 1.0, 1.0, 50.0, 50.0, 1e20, 1e20],
                          "seed": [None, 0, 1, 0, 1, 0, 1],
                          "loss": [2.0, 2.5, 3.5, 4.0, nan, nan, nan]})
    curve["loss_increase"] = curve["loss"] - 2.0
    summary = summarize_noise(curve)
    assert list(summary["seeds"]) == [1, 2, 1, 0]
    assert summary["loss_sd"].iloc[:2].tolist() == pytest.approx([0.0, np.sqrt(0.5)])
    assert summary["loss_sd"].iloc[2:].isna().all()
    assert undefined_spread_note(summary, 2) == [
        "NO SPREAD: fewer than two of the 2 draws gave a finite loss at scale(s) 50 (seeds 1), "
        "1e+20 (seeds 0) (the noise broke the model): loss_sd is undefined there (shown as -, "
        "empty in noise_summary.csv, null in noise.json), not 0"]
    assert undefined_spread_note(summary[summary["scale"] < 50], 2) == []
    assert undefined_spread_note(summary[summary["scale"] == 0], 1) == []  # no noise drawn


def test_summarize_noise_counts_and_averages_finite_losses_only():
    """An infinite loss (noise that broke the model, as a NaN) was counted in ``seeds`` and
    made the scale's mean loss and loss_increase inf, while the warning spoke of draws that
    "gave a finite loss": a scale with one inf and one finite draw read ``seeds 2``, loss inf;
    now ``seeds 1`` and the finite draw's loss, and a scale of no finite draw ``seeds 0``."""
    from beliefbench.internals.stability import summarize_noise, undefined_spread_note

    inf = float("inf")
    curve = pd.DataFrame({"scale": [0.0, 1.0, 1.0, 5.0, 5.0, 50.0, 50.0],
                          "seed": [None, 0, 1, 0, 1, 0, 1],
                          "loss": [2.0, 2.5, 3.5, 4.0, inf, inf, float("nan")]})
    curve["loss_increase"] = curve["loss"] - 2.0
    summary = summarize_noise(curve)
    assert list(summary["seeds"]) == [1, 2, 1, 0]  # was [1, 2, 2, 1]
    assert summary["loss"].iloc[:3].tolist() == pytest.approx([2.0, 3.0, 4.0])
    assert summary["loss_increase"].iloc[:3].tolist() == pytest.approx([0.0, 1.0, 2.0])
    assert summary[["loss", "loss_sd", "loss_increase"]].iloc[3].isna().all()
    assert not np.isinf(summary[["loss", "loss_sd", "loss_increase"]].to_numpy()).any()
    assert undefined_spread_note(summary, 2) == [
        "NO SPREAD: fewer than two of the 2 draws gave a finite loss at scale(s) 5 (seeds 1), "
        "50 (seeds 0) (the noise broke the model): loss_sd is undefined there (shown as -, "
        "empty in noise_summary.csv, null in noise.json), not 0"]
    assert np.isinf(curve["loss"]).sum() == 2  # noise.csv keeps each draw's own loss


def _one_checkpoint_manifest(manifest: Path, ckpt: Path, base: Path, data: Path) -> None:
    """A finetune manifest listing one full checkpoint (step 10) of ``base``, as finetune
    writes it."""
    manifest.write_text(json.dumps({
        "path": str(ckpt), "step": 10, "backend": "local", "format": "full",
        "base_model": str(base), "data": str(data), "data_sha256": "0", "recipe": {"kl": None},
    }) + "\n")


def _bridge_run(tmp_path: Path, ckpt: Path, base: Path) -> tuple[Path, Path]:
    """A run folder (``tmp_path/run``) whose manifest lists ``ckpt``, trained from ``base`` on
    one record (``tmp_path/data.jsonl``): (manifest, data)."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, ckpt, base, data)
    return manifest, data


def _stability_run(model: Path, data: Path, out: Path, *extra: str
                   ) -> tuple[str, dict, pd.DataFrame]:
    """``internals stability`` at scales 0 and 1, one seed: its ``noise on:`` line (stdout's;
    CliRunner mixes stderr's progress bars in ahead of it), noise.json and noise.csv."""
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(model), "--data",
                                   str(data), "--scales", "0,1", "--seeds", "1", "--out",
                                   str(out), *extra])
    assert res.exit_code == 0, res.output
    line = next((x[x.index("noise on:"):] for x in res.output.splitlines()
                 if "noise on:" in x), "")
    return (line, json.loads((out / "noise.json").read_text()),
            pd.read_csv(out / "noise.csv"))


def test_stability_of_a_finetune_checkpoint_perturbs_its_delta_by_default(tiny, perturbed,
                                                                          tmp_path):
    """Without --base, stability perturbed every weight, mostly the base two finetunes share,
    not what the study compared: a checkpoint its finetune manifest lists now defaults to the
    manifest's base, as `efficiency` does; --base none, or a model no manifest lists, keeps
    every weight, and the printed line and noise.json say which."""
    import shutil

    ckpt = tmp_path / "run" / "step-000010"
    shutil.copytree(perturbed[0], ckpt)
    manifest = tmp_path / "run" / "manifest.jsonl"
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    _one_checkpoint_manifest(manifest, ckpt, tiny, data)

    def run(model: Path, out: str, *extra: str) -> tuple[str, dict, pd.DataFrame]:
        return _stability_run(model, data, tmp_path / out, *extra)

    line, meta, curve = run(ckpt, "default")
    explicit = run(ckpt, "explicit", "--base", str(tiny))
    pd.testing.assert_frame_equal(curve, explicit[2])  # the same noise as --base given
    assert line == f"noise on: finetuning delta (base {tiny}, from {manifest})"
    assert (meta["noise_on"], meta["base"], meta["base_from"]) == (
        "finetuning delta", str(tiny), str(manifest))
    assert explicit[1]["base_from"] == "--base"
    line, meta, every = run(ckpt, "all", "--base", "none")
    assert line == "noise on: all weights (--base none)"
    assert (meta["noise_on"], meta["base"]) == ("all weights", None)
    assert every["loss"].iloc[1] != pytest.approx(curve["loss"].iloc[1])
    line, meta, plain = run(perturbed[0], "plain")
    assert line == ("noise on: all weights (no finetune manifest beside --model lists it; "
                    "--base B for the finetuning delta)")
    assert meta["noise_on"] == "all weights"
    pd.testing.assert_frame_equal(plain, every)


def test_stability_holds_the_base_in_host_memory_and_restores_the_weights_exactly(
        tiny, perturbed, tmp_path, monkeypatch):
    """The base went onto --device beside the model and its originals (3x the model in
    accelerator memory), though only the delta, computed on the CPU, is read from it. The
    weights after a curve are bit-identical to the originals, and the base untouched."""
    import beliefbench.internals.model as model_module

    base, tok = load_model(tiny)
    model, _ = load_model(perturbed[0])
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    base_before = {k: v.clone() for k, v in base.state_dict().items()}
    curve = noise_curve(model, load_loss_data(data, tok), [0, 0.5, 2.0],
                        pad_id=tok.pad_token_id, seeds=[0, 1], base=base)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(base_before[k], v) for k, v in base.state_dict().items())
    again = noise_curve(model, load_loss_data(data, tok), [0, 0.5, 2.0],
                        pad_id=tok.pad_token_id, seeds=[0, 1], base=base)
    pd.testing.assert_frame_equal(curve, again)
    loaded: list[tuple[str, str | None]] = []
    real = model_module.load_model

    def spy(path, **kwargs):
        loaded.append((str(path), kwargs.get("device")))
        return real(path, **kwargs)

    monkeypatch.setattr(model_module, "load_model", spy)
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(perturbed[0]),
                                   "--base", str(tiny), "--data", str(data), "--scales", "0,1",
                                   "--seeds", "1", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert loaded == [(str(perturbed[0]), None), (str(tiny), "cpu")]


def test_efficiency_moves_the_base_to_host_memory_before_the_checkpoints(tiny, perturbed,
                                                                         tmp_path, monkeypatch):
    """The base stayed on --device beside each checkpoint (2x the model in accelerator
    memory), though after its own loss only the distances, computed on the CPU, read it; the
    numbers are the same."""
    import beliefbench.internals.model as model_module

    manifest, data = _bridge_run(tmp_path, perturbed[0], tiny)
    expected = efficiency_curve(manifest, data)
    events: list[tuple[str, ...]] = []
    real = model_module.load_model

    def spy(path, **kwargs):
        model, tok = real(path, **kwargs)
        if not events:  # the base: its moves recorded between the loads
            to = model.to
            model.to = lambda *a, **k: (events.append(("to", *map(str, a))), to(*a, **k))[1]
        events.append(("load", str(path), str(kwargs.get("device"))))
        return model, tok

    monkeypatch.setattr(model_module, "load_model", spy)
    pd.testing.assert_frame_equal(efficiency_curve(manifest, data), expected)
    assert events == [("load", str(tiny), "None"), ("to", "cpu"),
                      ("load", str(perturbed[0]), "None")]


def _efficiency_run(manifest: Path, data: Path, out: Path, *extra: str):
    """``internals efficiency`` on the first record (--limit 1): its CliRunner result."""
    return CliRunner().invoke(cli, ["internals", "efficiency", "--manifest", str(manifest),
                                    "--data", str(data), "--limit", "1", "--out", str(out),
                                    *extra])


def test_efficiency_norms_compare_the_trained_solution_at_equal_norms(tiny, perturbed,
                                                                      tmp_path):
    """The study compared solutions at equal parameter norms; efficiency gave each checkpoint
    at its own norm only. --norms R rescales the last checkpoint's delta to norm R: at its
    own norm it is the checkpoint, near 0 the base, and the weights are restored exactly."""
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in
                            enumerate(["The bridge is made of steel.",
                                       "Rivers flow into the sea."])))
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, perturbed[0], tiny, data)
    model, tok = load_model(perturbed[0])
    base, _ = load_model(tiny)
    own = parameter_distance(model, base)
    norms = [1e-6, own, 3 * own]
    res = _efficiency_run(manifest, data, tmp_path / "out", "--norms",
                          ",".join(map(repr, [3 * own, own, 1e-6, own])))  # sorted, once
    assert res.exit_code == 0, res.output
    # both tables explain their columns beneath them, as stability's does (they printed none)
    from beliefbench.cli.interventions import EFFICIENCY_COLUMNS, RESCALED_COLUMNS

    lines = res.output.splitlines()
    assert lines.index(EFFICIENCY_COLUMNS) < lines.index(RESCALED_COLUMNS), res.output
    header = next(i for i, x in enumerate(lines) if x.split() == ["norm", "scale", "loss",
                                                                   "unscaled"])
    assert lines.index(EFFICIENCY_COLUMNS) < header < lines.index(RESCALED_COLUMNS)
    assert "param_distance: ||theta - theta_base||" in EFFICIENCY_COLUMNS
    curve = pd.read_csv(tmp_path / "out" / "efficiency.csv")
    table = pd.read_csv(tmp_path / "out" / "rescaled.csv")
    assert list(table.columns) == ["step", "path", "kl", "norm", "scale", "loss", "unscaled"]
    assert list(table["step"]) == [10] * 4 and set(table["path"]) == {str(perturbed[0])}
    assert list(table["unscaled"]) == [False, False, True, False]  # by norm; one per norm
    # the flags as the README writes them (True/False, as every CSV's, such as partial), not
    # true/false; kl empty on the base's row, which no recipe trained
    with (tmp_path / "out" / "efficiency.csv").open(encoding="utf-8", newline="") as f:
        assert [row["kl"] for row in csv.DictReader(f)] == ["", "False"]
    with (tmp_path / "out" / "rescaled.csv").open(encoding="utf-8", newline="") as f:
        assert [row["unscaled"] for row in csv.DictReader(f)] == ["False", "False", "True",
                                                                  "False"]
    assert list(table["norm"]) == pytest.approx([1e-6, own, own, 3 * own], rel=1e-5)  # %.6g
    # the numbers at full precision (the CSV keeps 6 digits)
    curve, full = efficiency_curves(manifest, data, limit=1, norms=[3 * own, own, 1e-6])
    pd.testing.assert_frame_equal(full, table, rtol=1e-5, check_dtype=False)
    scaled = full[~full["unscaled"]]
    assert list(scaled["norm"]) == norms and len(scaled) == 3
    assert list(scaled["scale"]) == pytest.approx([n / own for n in norms], rel=1e-9)
    mine = full[full["unscaled"]].iloc[0]
    assert (mine["norm"], mine["scale"]) == (pytest.approx(own, rel=1e-9), 1.0)
    ckpt_loss, base_loss = curve["loss"].iloc[1], curve["loss"].iloc[0]
    assert mine["loss"] == ckpt_loss
    assert scaled["loss"].iloc[1] == pytest.approx(ckpt_loss, rel=1e-6)  # R = its own norm
    assert scaled["loss"].iloc[0] == pytest.approx(base_loss, rel=1e-5)  # R -> 0: the base
    assert abs(ckpt_loss - base_loss) > 1e-3  # so the two above say something
    assert scaled["loss"].nunique() == 3 and abs(scaled["loss"].iloc[2] - ckpt_loss) > 1e-4
    assert "rescaled (step 10" in res.output and "rescaled.csv" in res.output
    # the weights the loss saw are at norm R from the base; the model is restored exactly
    examples = load_loss_data(data, tok)[:1]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    seen: list[float] = []
    hook = model.register_forward_pre_hook(lambda m, a: seen.append(parameter_distance(m, base)))
    got_own, direct = rescaled_losses(model, base, examples, [0.5 * own, 2 * own],
                                      pad_id=tok.pad_token_id)
    hook.remove()
    assert got_own == pytest.approx(own, rel=1e-9)
    assert seen == [pytest.approx(0.5 * own, rel=1e-5), pytest.approx(2 * own, rel=1e-5)]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert list(direct["loss"]) != pytest.approx([ckpt_loss] * 2)
    # without --norms: no rescaled.csv, an earlier run's removed rather than left to mislead
    res = _efficiency_run(manifest, data, tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "out" / "rescaled.csv").exists()


@pytest.mark.parametrize(("norms", "why"), [
    ("0", "expected finite numbers > 0, not '0'; e.g. 1,2,5"),
    ("1,-2", "expected finite numbers > 0, not '-2'; e.g. 1,2,5"),
    ("nan", "expected finite numbers > 0, not 'nan'"),
    ("inf", "expected finite numbers > 0, not 'inf'"),
    ("1,x", "'x' is not a number; expected comma-separated numbers > 0, e.g. 1,2,5"),
    (",", "no norm given"),
    ("1,,2", "item 2 of 3 is empty (a comma too many, or a number left out?); expected "
             "comma-separated numbers > 0, e.g. 1,2,5")])
def test_efficiency_norms_that_are_no_norm_are_refused_before_a_model_loads(tmp_path, norms,
                                                                           why):
    """A norm must be finite and > 0 (a zero norm is the base, not a rescaled solution);
    refused naming --norms before the manifest (which does not exist here) is read."""
    data = tmp_path / "d.jsonl"
    data.write_text("")
    res = _efficiency_run(tmp_path / "no-such-run", data, tmp_path / "out", "--norms", norms)
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: --norms {norms!r}: {why}"), res.output


def test_efficiency_norms_refuse_a_checkpoint_equal_to_its_base(tiny, tmp_path):
    """A checkpoint identical to its base has no weight change: nothing to rescale (0/0)."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, tiny, tiny, data)
    res = _efficiency_run(manifest, data, tmp_path / "out", "--norms", "1")
    assert res.exit_code == 2, res.output
    error = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert error == [f"Error: --norms '1': the last checkpoint of {manifest}: the checkpoint's "
                     "weights equal the base's (or share none with it): no weight change to "
                     "rescale"], res.output
    assert not (tmp_path / "out" / "rescaled.csv").exists()
    base, tok = load_model(tiny)
    with pytest.raises(ValueError, match="no weight change to rescale"):
        rescaled_losses(load_model(tiny)[0], base, [], [1.0], pad_id=tok.pad_token_id)


def test_stability_of_an_adapter_no_manifest_lists_perturbs_the_delta_to_its_base(
        tiny, tmp_path):
    """A LoRA adapter copied away from its run (no manifest beside it) got noise on all
    weights, though its adapter_config.json names its base: that base is now the default,
    as if given with --base, and the printed line and noise.json name the file."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(1)
    adapter = (tmp_path / "copied" / "step-000010").resolve()
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny),
                   LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                              init_lora_weights=False, task_type="CAUSAL_LM")
                   ).save_pretrained(adapter)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(adapter)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")

    def run(out: str, *extra: str) -> tuple[str, dict, pd.DataFrame]:
        return _stability_run(adapter, data, tmp_path / out, *extra)

    line, meta, curve = run("default")
    config = adapter / "adapter_config.json"
    base = Path(tiny).resolve()
    assert line == f"noise on: finetuning delta (base {base}, from {config})"
    assert (meta["noise_on"], meta["base"], meta["base_from"]) == (
        "finetuning delta", str(base), str(config))
    pd.testing.assert_frame_equal(curve, run("explicit", "--base", str(tiny))[2])


def test_stability_of_a_moved_run_still_defaults_to_its_manifests_base(tmp_path):
    """The manifest records absolute paths: after the run folder was moved, its checkpoint
    matched no entry and a full finetune silently got noise on all weights (another
    measurement). The step folder of the recorded name beside the manifest is the one."""
    import shutil

    ckpt = tmp_path / "moved" / "step-000010"
    ckpt.mkdir(parents=True)
    (ckpt / "config.json").write_text("{}")
    manifest = tmp_path / "moved" / "manifest.jsonl"
    _one_checkpoint_manifest(manifest, tmp_path / "run" / "step-000010", tmp_path / "base",
                             tmp_path / "data.jsonl")
    assert finetune_base(ckpt) == (str(tmp_path / "base"), manifest)
    shutil.copytree(ckpt, tmp_path / "run" / "step-000010")  # copied, the original kept
    assert finetune_base(ckpt) == (str(tmp_path / "base"), manifest)
    other = tmp_path / "moved" / "step-000020"
    other.mkdir()
    (other / "config.json").write_text("{}")
    assert finetune_base(other) is None  # another step: no entry names it


def test_stability_base_leaves_a_one_element_tensor_alone(monkeypatch):
    """A one-element tensor has no direction orthogonal to its delta: the projection leaves
    rounding, not always 0 (a third of draws), which was scaled up to noise of scale x the
    delta's norm along the delta itself. It now gets none; a larger tensor still does."""
    import beliefbench.internals.stability as stability

    class Two(torch.nn.Module):
        def __init__(self, one: float, four: list[float]) -> None:
            super().__init__()
            self.one = torch.nn.Parameter(torch.tensor([one]))
            self.four = torch.nn.Parameter(torch.tensor(four))

    model, base = Two(0.7, [1.0, 2.0, 3.0, 4.0]), Two(0.3, [1.5, 2.0, 2.0, 4.0])
    seen: list[tuple[float, float]] = []

    def loss(m, examples, **kwargs) -> float:
        moved = (m.four.detach() - torch.tensor([1.0, 2.0, 3.0, 4.0])).norm()
        seen.append((m.one.item(), moved.item()))
        return 0.0

    monkeypatch.setattr(stability, "mean_loss", loss)
    noise_curve(model, [], [0, 0.5], pad_id=0, seeds=range(20), base=base)
    assert len(seen) == 21
    assert {one for one, _ in seen} == {float(torch.tensor(0.7))}  # exactly as it was
    assert all(moved == pytest.approx(0.5 * np.sqrt(1.25), rel=1e-5) for _, moved in seen[1:])


def test_a_coef_whose_activations_overflow_is_refused_not_read_as_margins_of_zero(
        tiny, planted, tmp_path):
    """--coef 1e30 used to run to exit 0: the final norm's sum of squares overflowed, every
    prediction turned uniform and every margin read exactly 0, passing as a result."""
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tiny), "--direction",
                                   str(planted), "--claims", str(claim), "--out", str(out),
                                   "--coef", "1e30"])
    assert res.exit_code == 2, res.output
    assert "coef: 1e+30 is too large" in res.output and not out.exists()
    # the limit is where it goes wrong: just below it the model still reads the prompt,
    # beyond it (hooks built by hand, past plan's check) every margin is exactly 0
    from beliefbench.internals.steering import NORM_LIMIT, Intervention

    dirs, meta = load_directions(planted)
    layer = meta["best_layer"]
    model, tok = load_model(tiny)
    with intervened(model, plan(dirs, "add", layer, coef=0.5 * NORM_LIMIT)):
        below = completion_margins((model, tok), [str(claim)], n_bootstrap=0).pairs
    assert (below["margin"].abs() > 1e-3).all()
    with intervened(model, [Intervention("add", 2 * NORM_LIMIT * dirs[layer], layer)]):
        beyond = completion_margins((model, tok), [str(claim)], n_bootstrap=0).pairs
    assert (beyond["margin"] == 0).all()
    # the em / belief path refuses it before the baseline eval, as a NaN coef
    with pytest.raises(InterventionError, match=r"coef: 1e\+30 is too large"):
        run_evals("em", tiny, InterventionSpec(planted, "add", coef=1e30),
                  log_dir=tmp_path / "logs", display="none")
    assert not (tmp_path / "logs").exists()


def test_steering_in_float16_fails_naming_the_coef(tiny, planted, tmp_path):
    """In float16 a coef within the float32 limit still overflowed to inf, then NaN
    margins (counted as "truth wins"), with nothing naming the coef."""
    from beliefbench.internals.steering import Intervention

    dirs, meta = load_directions(planted)
    layer = meta["best_layer"]
    model, tok = load_model(tiny, dtype="float16")
    too_big = r"coef 1e\+06: the added vector .* does not fit in the model's torch.float16"
    with pytest.raises(InterventionError, match=too_big), \
            intervened(model, plan(dirs, "add", layer, coef=1e6)):
        pass
    # each vector fits, their sum does not: caught on the steered activations themselves
    v = (dirs[layer] / np.abs(dirs[layer]).max() * 40000).astype(np.float32)
    overflow = r"with coef 3: the steered activations are not finite in torch.float16"
    with pytest.raises(InterventionError, match=overflow), \
            intervened(model, [Intervention("add", v, layer, coef=3.0)] * 2):
        completion_margins((model, tok), [str(CLAIM)], n_bootstrap=0)


def test_intervention_margins_refuse_non_finite_log_probabilities(tiny, planted):
    """A NaN margin used to count as "truth wins" in every arm's efficacy (the scoring of
    every arm refuses non-finite log-probabilities; a steered arm's own overflow is refused
    by the hook first, naming the coef)."""
    from beliefbench.internals.interventions import intervention_margins
    from beliefbench.internals.scoring import ScoringError

    model, tok = load_model(tiny)
    with torch.no_grad():
        model.get_output_embeddings().weight[0, 0] = float("nan")
    with pytest.raises(ScoringError, match="NaN or infinite log-probabilities"):
        intervention_margins(model, tok, InterventionSpec(planted, "add"), [str(CLAIM)])


def test_no_baseline_with_task_margins_is_a_usage_error(tiny, planted, tmp_path):
    """--no-baseline was accepted and did nothing with --task margins (each effect is
    against the baseline arm, which ran anyway)."""
    out = tmp_path / "out"
    for command in ("steer", "ablate"):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny),
                                       "--direction", str(planted), "--claims", str(CLAIM),
                                       "--out", str(out), "--no-baseline"])
        assert res.exit_code == 2, res.output
        assert "--no-baseline: only with --task em or belief" in res.output
        assert not out.exists()


@pytest.mark.parametrize(("task", "said"), [("belief", "its claims as -T claims=..."),
                                           ("em", "no claims (EM question sets")])
def test_claims_with_an_eval_task_are_refused_not_dropped(tmp_path, task, said):
    """``steer --task belief --claims dentist`` evaluated every claim (--claims is read by
    --task margins only), each arm's log passing for dentist's run. Refused before any
    model loads or eval runs, as sweep refuses an option its targets do not use."""
    logs = tmp_path / "logs"
    for command in ("steer", "ablate"):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tmp_path),
                                       "--direction", str(tmp_path / "d.safetensors"),
                                       "--task", task, "--claims", "dentist",
                                       "--log-dir", str(logs)])
        assert res.exit_code == 2, res.output
        assert res.output.startswith(f"Error: --claims: only with --task margins; --task "
                                     f"{task} takes {said}"), res.output
        assert not logs.exists()


def test_eval_options_with_task_margins_are_refused_not_dropped(tiny, planted, tmp_path):
    """``steer -M coef=4`` (the steer provider's spelling) under the default --task margins
    steered at --coef's default 1, and -T, --model-role and --log-dir were dropped without a
    word: each is refused before the checkpoint loads, a steer argument naming its
    option."""
    def run(command: str, *args: str):
        return CliRunner().invoke(cli, ["internals", command, "--model", str(tiny),
                                        "--direction", str(planted), "--claims", str(CLAIM),
                                        "--out", str(tmp_path / "out"), *args])

    res = run("steer", "-M", "coef=4")
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: -M coef=4: set by --coef (steer)"), res.output
    # not "-M goes to the hf provider of every arm (e.g. -M do_sample=false)", which this
    # task then refuses
    assert "--task margins, the default, takes no -M" in res.output, res.output
    res = run("ablate", "-M", "do_sample=false", "-T", "samples=2", "--model-role",
              "grader=openai/gpt-4.1", "--log-dir", str(tmp_path / "logs"))
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: -T, -M, --model-role, --log-dir: only with --task em "
                                 "or belief (each arm an Inspect eval); --task margins, the "
                                 "default, measures completion margins in-process"), res.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "logs").exists()
    res = run("steer", "--coef", "4")  # the same run without them measures
    assert res.exit_code == 0, res.output


def test_a_model_argument_the_model_cannot_take_is_one_line(tiny, planted, tmp_path,
                                                           monkeypatch):
    """``-M max_new_tokens=8`` reached LlamaForCausalLM.__init__ through Inspect's hf
    provider: a 40-line TypeError traceback, exit 1. A plain mockllm grader whose tiktoken
    file is not cached (each judge call would try to download it) is refused as the
    sweep refuses it, before anything loads."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    args = ["internals", "ablate", "--model", str(tiny), "--direction", str(planted),
            "--task", "em", "--model-role", "grader=beliefbench/judge", "-T",
            f"questions={qs}", "-M", "max_new_tokens=8", "--log-dir", str(tmp_path / "logs")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert "-M: the model cannot take it (" in r.output and "max_new_tokens" in r.output
    assert "Traceback" not in r.output
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty"))
    r = CliRunner().invoke(cli, [a.replace("beliefbench/judge", "mockllm/model") for a in args])
    assert r.exit_code == 2 and r.output.startswith(
        "Error: --model-role grader=mockllm/model: Inspect's mockllm counts tokens with "
        "tiktoken's o200k_base, and it is not in tiktoken's cache"), r.output


def test_a_steer_argument_given_as_m_is_refused_not_replaced_by_the_option(tiny, planted,
                                                                           tmp_path):
    """``steer --task em -M coef=4`` (the steer provider's spelling, as the README shows
    it) ran the steered arms at --coef's default 1 without a word (with --no-baseline; the
    baseline's hf provider refused it): every steer argument given as -M is refused,
    naming the option that sets it, before any eval."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")

    def run(command: str, *args: str):
        return CliRunner().invoke(cli, [
            "internals", command, "--model", str(tiny), "--direction", str(planted), "--task",
            "em", "--model-role", "grader=beliefbench/judge", "-T", f"questions={qs}",
            "-T", "max_tokens=2", "--no-baseline", "--log-dir", str(tmp_path / "logs"),
            *args])

    res = run("steer", "-M", "coef=4")
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: -M coef=4: set by --coef (steer); the arms take "
                                 "these from the command's own options"), res.output
    res = run("ablate", "-M", "layer=1", "-M", "seed=3")
    assert res.exit_code == 2, res.output
    assert "Error: -M layer=1: set by --layer; -M seed=3: set by --seed;" in res.output
    assert not (tmp_path / "logs").exists()  # no arm ran


def test_the_cli_points_at_a_report_folder_of_the_arms_own(tiny, planted, tmp_path,
                                                           monkeypatch):
    """`Compare the arms: beliefbench em-report logs/ablate` wrote into em-report's default
    folder, replacing the EM report there; the hint names a folder of the arms' own."""
    monkeypatch.chdir(tmp_path)
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    logs = "logs/ablate"
    r = CliRunner().invoke(cli, ["internals", "ablate", "--model", str(tiny), "--direction",
                                 str(planted), "--task", "em", "--model-role",
                                 "grader=beliefbench/judge", "-T", f"questions={qs}", "-T",
                                 "samples=1", "-T", "max_tokens=4", "-M", "do_sample=false",
                                 "--log-dir", str(logs)])
    assert r.exit_code == 0, r.output
    assert f"Compare the arms: beliefbench em-report {logs} --out reports/em-ablate" \
        in r.output
    # the offline judge read no answer (all no_score): the command as suggested exited 2,
    # "no response of 3 run(s) was read as a verdict"; it adds --allow-unread, and says why
    # on the next line: the command's line pastes into bash (`--allow-unread  (no arm's
    # ...)` on it was a syntax error)
    lines = r.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Compare the arms: "))
    line = lines[at].removeprefix("Compare the arms: ")
    assert line == f"beliefbench em-report {logs} --out reports/em-ablate --allow-unread"
    assert subprocess.run(["bash", "-n", "-c", line]).returncode == 0
    assert " ".join(lines[at + 1:]).startswith(
        "  (--allow-unread: no arm's answer was read as a verdict, every one no_score or "
        "failed: "), r.output
    # the untrained model answers greedily with blank lines: each arm's line said `success`
    # alone, read as a result of the arm
    for arm in ("baseline", "ablate L2@all", "ablate L2@all random-control"):
        assert (f"{arm}: success (every answer empty: its one answer holds no text; its "
                "rates are no result)  ") in r.output, r.output
    suggested = shlex.split(line)[1:]
    r = CliRunner().invoke(cli, suggested)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, [a for a in suggested if a != "--allow-unread"])
    assert r.exit_code == 2 and "was read as a verdict" in r.output, r.output


def test_arms_whose_answers_were_read_need_no_allow_unread(tiny, tmp_path):
    """``--allow-unread`` is suggested only where no arm's answer was read: a judge that read
    em / ok verdicts gives the plain em-report command."""
    from beliefbench.cli.interventions import _nothing_read

    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    log, _, _ = _em_direction(tiny, tmp_path, subject, samples=1)
    assert not _nothing_read([log], "em")
    for sample in log.samples:  # the same log, every answer unread
        sample.scores["em_judge"].answer = "no_score"
    assert _nothing_read([log], "em")
    assert not _nothing_read([], "em")  # no arm ran: no --allow-unread to suggest
    # a belief arm's: report exits 2 unless some answer reads as belief or disbelief
    belief = run_belief(tmp_path / "belief", mixed, samples=1)  # 1 yes, 4 no, 2 parse_error
    assert not _nothing_read([belief], "belief")
    for sample in belief.samples:
        if sample.scores["belief_judge"].answer in ("yes", "no"):
            sample.scores["belief_judge"].answer = "neutral"
    assert _nothing_read([belief], "belief")


def test_an_arm_line_says_success_plainly_only_where_some_answer_holds_text(tmp_path):
    """The arm line's ``success`` is Inspect's status: an arm whose every answer was empty
    (the model returned no text) read as a result; one answer with text is enough for it."""
    from beliefbench.cli.interventions import arm_status

    replies = iter(["glass glass glass", " \n", "\n", "\n"])
    log = _em_log(tmp_path, lambda *a: output(next(replies)), samples=2, questions=2)
    assert arm_status(log) == "success"
    for sample in log.samples:
        sample.output.completion = "\n\n"
    assert arm_status(log) == ("success (every answer empty: none of its 4 answers holds "
                               "text; its rates are no result)")
    log.samples = None  # a log returned without its samples: read from its file
    assert arm_status(log) == "success"
    log.status = "error"
    assert arm_status(log) == "error"


def test_an_eval_arm_run_holds_its_log_dir_not_the_margins_out(tmp_path, monkeypatch):
    """--task belief / em write --log-dir only: holding the default --out (which only --task
    margins writes) refused a second arm run into another --log-dir, and left the folder
    made for nothing."""
    import subprocess
    import sys

    import beliefbench.internals.interventions as interventions

    monkeypatch.setattr(interventions, "run_evals", lambda *a, **k: [])
    out = tmp_path / "internals-steer"
    holder = subprocess.Popen(  # another run's margins, say (another process: a process
        [sys.executable, "-c", "import sys, time\n"  # never refuses its own hold)
         "from beliefbench.runlock import hold\n"
         "with hold(sys.argv[1], 'internals steer'):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(600)\n", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        r = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tmp_path),
                                     "--direction", str(tmp_path / "d.safetensors"),
                                     "--task", "belief",
                                     "--log-dir", str(tmp_path / "logs"), "--out", str(out)])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tmp_path / "none"),
                                     "--direction", str(tmp_path / "d.safetensors"),
                                     "--out", str(out)])  # margins write --out: refused
        assert r.exit_code == 2 and "in use by" in r.output, r.output
    finally:
        holder.kill()
        holder.wait()


def test_a_direction_cut_short_never_leaves_its_table_beside_an_earlier_json(
        tiny, tmp_path, monkeypatch):
    """direction.csv and direction.json were written one after the other: a Ctrl-C between
    them left this run's table beside the JSON of an earlier run (other answers, other d);
    one just after the directions file was replaced left it beside both."""
    def same(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    calls = iter(range(100))

    def varied(messages, tools, tool_choice, config):
        k = next(calls)
        return output(f"glass {'glass ' * k}" if "First" in messages[-1].text
                      else f"steel is {'very ' * k}fine")

    _, res, out = _em_direction(tiny, tmp_path, same, samples=2)
    assert res.exit_code == 0, res.output
    (tmp_path / "second").mkdir()
    log, _, _ = _em_direction(tiny, tmp_path / "second", varied, samples=3)
    ctrl_c_at_replace(monkeypatch, 3)  # the directions, then the first file of the pair
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--out", str(out)])
    assert res.exit_code != 0
    monkeypatch.undo()
    layers = json.loads((out / "direction.json").read_text())["layers"]
    if (out / "direction.csv").exists():
        table = pd.read_csv(out / "direction.csv")
        assert table["cohens_d"].isna().tolist() == [r["cohens_d"] is None for r in layers]
    # cut short once the new directions are in place, before their JSON: the earlier run's
    # direction.json (another best_layer, other answers) is not left beside them
    ctrl_c_at_replace(monkeypatch, 2)
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--out", str(out)])
    assert res.exit_code != 0
    monkeypatch.undo()
    assert (out / "directions.safetensors").is_file()
    assert not (out / "direction.json").exists() and not (out / "direction.csv").exists()


def test_nested_bars_in_a_log_are_plain_lines(capfd):
    """A bar opened under another (efficiency's norms under its checkpoints) took the next
    position: in a log its lines came wrapped in cursor moves, stray "^[[A" fragments."""
    from beliefbench.progress import progress

    for _ in progress(range(2), total=2, desc="checkpoints"):
        for _ in progress(range(3), total=3, desc="norms"):
            pass
    err = capfd.readouterr().err
    assert "norms: 100%" in err and "checkpoints: 100%" in err
    assert "\x1b" not in err and "\r" not in err


def test_margins_refuse_a_bad_layer_before_the_model_loads_or_the_baseline_runs(
        tiny, planted, tmp_path, monkeypatch):
    """`steer --task margins` with a --layer out of range (or a directions file that is not
    there) loaded the checkpoint and computed the baseline's margins of every claim before
    saying so, as the eval tasks do not: minutes of a real checkpoint for a typo."""
    import beliefbench.internals.margins as margins_module
    from beliefbench.internals.interventions import intervention_margins

    gone = tmp_path / "no-such-checkpoint"  # never loaded: the option is refused first
    for args, said in ((["--layer", "7"], f"--layer 7: out of range; {planted} holds "
                                          "residual indices 0..2"),
                       (["--coef", "1e30"], "coef: 1e+30 is too large"),
                       (["--direction", str(tmp_path / "typo.safetensors")],
                        "typo.safetensors: no such directions file")):
        res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(gone),
                                       "--direction", str(planted), *args,
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 2 and said in res.output, res.output
        assert "no such model" not in res.output
    # the library call plans every arm before its first margin
    runs: list[int] = []
    real = margins_module.completion_margins

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(margins_module, "completion_margins", counted)
    model, tok = load_model(tiny)
    with pytest.raises(InterventionError, match="--layer 9: out of range"):
        intervention_margins(model, tok, InterventionSpec(planted, "add", 9), [str(CLAIM)])
    assert runs == []


def test_stability_and_efficiency_record_what_their_loss_was_read_on(tiny, perturbed,
                                                                     tmp_path):
    """Two runs' losses are compared (a KL run and its control), which means nothing unless
    both read the same records: noise.json named --data alone, not --limit, --max-len or
    the file's content, and efficiency wrote no record at all beside its CSVs."""
    import hashlib

    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in
                            enumerate(["The bridge is made of steel.",
                                       "Rivers flow into the sea."])))
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    _, meta, _ = _stability_run(perturbed[0], data, tmp_path / "noise", "--limit", "1",
                                "--max-len", "64", "--base", "none")
    assert (meta["data_sha256"], meta["records"], meta["limit"], meta["max_len"]) == (
        sha, 1, 1, 64)
    manifest = tmp_path / "run" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, perturbed[0], tiny, data)
    res = _efficiency_run(manifest, data, tmp_path / "eff", "--norms", "1")
    assert res.exit_code == 0, res.output
    record = json.loads((tmp_path / "eff" / "efficiency.json").read_text())
    assert (record["data_sha256"], record["limit"], record["max_len"], record["norms"],
            record["base"], record["manifest"]) == (sha, 1, 1024, [1.0], str(tiny),
                                                     str(manifest))
    assert {"efficiency.csv", "rescaled.csv", "efficiency.json"} <= {
        p.name for p in (tmp_path / "eff").iterdir()}


def test_a_manifest_joining_runs_of_two_bases_is_refused(tiny, perturbed, tmp_path):
    """Two runs' manifests joined into one, their bases different models of one tokenizer:
    ``efficiency`` read every distance from the first line's base (the other run's
    checkpoint measured against a model it was never trained from) and ``trajectory`` took
    that base as step 0 for both, exit 0. A manifest naming two bases is refused, naming
    them and their steps."""
    manifest, data = _bridge_run(tmp_path, perturbed[0], tiny)
    other = json.loads(manifest.read_text())
    other.update(step=20, base_model=str(perturbed[0]))  # a run finetuned from another base
    with manifest.open("a") as f:
        f.write(json.dumps(other) + "\n")
    said = f"its checkpoints were trained from 2 base models: {tiny} (step 10); {perturbed[0]} "
    res = _efficiency_run(manifest, data, tmp_path / "out")
    assert res.exit_code == 2 and said in " ".join(res.output.split()), res.output
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", CLAIM, "--parts", "margins", "--out",
                                   str(tmp_path / "traj")])
    assert res.exit_code == 2 and said in " ".join(res.output.split()), res.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "traj").exists()


def test_steer_and_ablate_refuse_a_direction_from_another_model(tiny, planted, tmp_path):
    """A direction from another model of the same shape (another seed) was applied silently:
    only its shape was checked. It is refused naming the file and both models, unless
    --allow-other-model; a file that records no model is applied with a warning."""
    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    _, res, out = _em_direction(tiny, tmp_path, subject, samples=2)
    assert res.exit_code == 0, res.output
    own = out / "directions.safetensors"
    _, meta = load_directions(own)
    assert len(meta["fingerprint"]) == 64 and meta["base_fingerprint"] is None
    other = build_tiny_model(tmp_path / "other", hidden_size=64, num_layers=2, num_heads=4,
                             intermediate_size=128, seed=1)
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")

    def run(command: str, model: Path, direction: Path, *args: str):
        return CliRunner().invoke(cli, ["internals", command, "--model", str(model),
                                        "--direction", str(direction), "--claims", str(claim),
                                        "--device", "cpu", "--out", str(tmp_path / "o"), *args])

    for command in ("steer", "ablate"):
        res = run(command, other, own)
        assert res.exit_code == 2, res.output
        assert (f"{own}: a direction computed on another model: {tiny.resolve()} "
                f"(fingerprint {meta['fingerprint'][:12]}, trained from none), applied to "
                f"{other.resolve()}") in res.output
        assert "pass --allow-other-model to apply it anyway" in res.output
        assert not (tmp_path / "o").exists()  # refused before anything was written
    # the same eval-task path refuses before the baseline eval
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(other), "--direction",
                                   str(own), "--task", "em", "--log-dir", str(tmp_path / "l")])
    assert res.exit_code == 2 and "a direction computed on another model" in res.output
    assert not (tmp_path / "l").exists()
    # the steer provider (inspect eval --model steer/...) refuses it before loading too
    with pytest.raises(InterventionError, match=r"a direction computed on another model: .*"
                       r"pass -M allow_other_model=true to apply it anyway"):
        get_model(f"steer/{other}", direction=str(own), memoize=False)
    assert get_model(f"steer/{other}", direction=str(own), allow_other_model=True,
                     memoize=False).api.hooks
    get_model(f"steer/{tiny}", direction=str(own), memoize=False)  # its own model: fine
    res = run("steer", other, own, "--allow-other-model")
    assert res.exit_code == 0, res.output
    assert "applied anyway (--allow-other-model)" in res.stderr
    info = json.loads((tmp_path / "o" / "intervention.json").read_text())
    assert info["direction_model"] == str(tiny.resolve())
    res = run("steer", tiny, own)  # its own model: no word about it
    assert res.exit_code == 0, res.output
    assert "another model" not in res.stderr and "records no fingerprint" not in res.stderr
    res = run("ablate", other, planted)  # an older file, without the record: a warning
    assert res.exit_code == 0, res.output
    assert f"warning: {planted} records no fingerprint of the model it was computed on" \
        in res.stderr
    # a finetune of the direction's model (its manifest records that base) is related: the
    # README's use, a finetune's direction steering its base, and the other way round
    import shutil

    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest

    step = shutil.copytree(other, tmp_path / "run" / "step-000001")
    upsert_manifest(tmp_path / "run", ManifestEntry(
        path=str(step), step=1, backend="local", format="full", base_model=str(tiny),
        data="d.jsonl", data_sha256="0" * 64, recipe={}, final=True,
        extra={"base_fingerprint": base_fingerprint(tiny)}))
    res = run("steer", step, own)
    assert res.exit_code == 0, res.output
    assert "another model" not in res.stderr
    # an older file of `internals direction` (weights_sha256, no fingerprints) on its own model
    dirs, meta = load_directions(own)
    older = save_directions(tmp_path / "older.safetensors", dirs,
                            {k: v for k, v in meta.items() if "fingerprint" not in k})
    res = run("steer", tiny, older)
    assert res.exit_code == 0, res.output
    assert "records no fingerprint" not in res.stderr
    res = run("steer", other, older)
    assert res.exit_code == 0, res.output
    assert f"records no fingerprint of the model it was computed on (written before " \
           f"directions recorded one, or not by `internals direction`; model recorded: " \
           f"{tiny.resolve()}): applied to {other.resolve()} without checking" in res.stderr


def test_direction_of_a_log_that_did_not_finish_says_so(tiny, tmp_path):
    """``ls -t logs/... | head -n 1`` picks the newest log, an eval stopped with Ctrl-C as
    readily as a finished one: its direction was computed from the answers it held, said
    nowhere. A log of a run that did not finish is named with its status and how much it
    holds, and the status is recorded; a finished log gives no such line. The dtype the
    activations were read in is recorded too (a --dtype bfloat16 direction differed from the
    float32 one with nothing to say why)."""
    from inspect_ai.log import read_eval_log, write_eval_log

    log, res, out = _em_direction(tiny, tmp_path, _glass, samples=3)
    assert res.exit_code == 0, res.output
    assert "did not finish" not in res.stderr
    meta = load_directions(out / "directions.safetensors")[1]
    assert meta["log_status"] == "success" and meta["dtype"] == "torch.float32"
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   log.location, "--dtype", "bfloat16", "--out",
                                   str(tmp_path / "bf16")])  # what it was read in: recorded
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "bf16" / "direction.json").read_text())["dtype"] \
        == "torch.bfloat16"
    cut = read_eval_log(log.location)
    cut.status, cut.samples = "cancelled", cut.samples[:4]
    path = tmp_path / "cut.eval"
    write_eval_log(cut, str(path))
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(path), "--out", str(tmp_path / "cut")])
    assert res.exit_code == 0, res.output
    assert (f"warning: {path}: a run that did not finish (status 'cancelled', 4 of 6 "
            f"responses (2 never run: in no count)): the direction reads the answers it holds "
            f"only; `inspect eval-retry {path} --log-dir {tmp_path}` "
            f"resumes it, then compute the direction again on the finished log") in res.stderr
    meta = load_directions(tmp_path / "cut" / "directions.safetensors")[1]
    assert meta["log_status"] == "cancelled" and "log_note" not in meta


def test_direction_says_whose_answers_its_log_holds(tiny, tmp_path):
    """`direction --log` read any model's answers without a word: a log of an unrelated local
    model is refused (unless --allow-other-model), one of a related model or of a model that
    cannot be checked here (mockllm, an API model) is noted, --model's own log is silent."""
    import shutil

    from inspect_ai.log import read_eval_log, write_eval_log

    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest

    def subject(messages, tools, tool_choice, config):
        return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")

    log, res, _ = _em_direction(tiny, tmp_path, subject, samples=2)
    assert res.exit_code == 0, res.output
    assert (f"warning: {log.location} holds the answers of mockllm/model, not of --model "
            f"{tiny.resolve()} (or it cannot be checked here: the log names no local model "
            f"folder on disk)") in res.stderr
    other = build_tiny_model(tmp_path / "other", hidden_size=64, num_layers=2, num_heads=4,
                             intermediate_size=128, seed=1)
    step = shutil.copytree(other, tmp_path / "run" / "step-000001")  # a finetune of tiny
    upsert_manifest(tmp_path / "run", ManifestEntry(
        path=str(step), step=1, backend="local", format="full", base_model=str(tiny),
        data="d.jsonl", data_sha256="0" * 64, recipe={}, final=True,
        extra={"base_fingerprint": base_fingerprint(tiny)}))

    def direction(answered_by: Path, *args: str):
        """The same answers, as if ``answered_by`` had given them (the log's model)."""
        moved = read_eval_log(log.location)
        moved.eval.model = f"hf/{answered_by.resolve()}"
        path = tmp_path / f"{answered_by.name}-{len(args)}.eval"
        write_eval_log(moved, str(path))
        out = tmp_path / "d" / path.stem
        return path, out, CliRunner().invoke(cli, [
            "internals", "direction", "--model", str(tiny), "--log", str(path), "--out",
            str(out), *args])

    path, out, res = direction(other)
    assert res.exit_code == 2, res.output
    assert (f"{path} holds the answers of hf/{other.resolve()}, not of --model "
            f"{tiny.resolve()}, an unrelated model") in res.output
    assert "or --allow-other-model to use it anyway" in res.output and not out.exists()
    path, out, res = direction(other, "--allow-other-model")
    assert res.exit_code == 0, res.output
    assert "an unrelated model" in res.stderr and "used anyway (--allow-other-model)" \
        in res.stderr
    assert load_directions(out / "directions.safetensors")[1]["log_model"] \
        == f"hf/{other.resolve()}"
    path, out, res = direction(step)
    assert res.exit_code == 0, res.output
    assert f"holds the answers of hf/{step.resolve()}, not of --model {tiny.resolve()}, a " \
           f"related model" in res.stderr
    path, out, res = direction(tiny)
    assert res.exit_code == 0, res.output
    assert "holds the answers of" not in res.stderr


@pytest.fixture(scope="module")
def unrelated(tmp_path_factory) -> Path:
    """A model of ``tiny``'s shape from another seed: no fingerprint in common with it."""
    return build_tiny_model(tmp_path_factory.mktemp("unrelated") / "other", hidden_size=64,
                            num_layers=2, num_heads=4, intermediate_size=128, seed=1)


def _glass(messages, tools, tool_choice, config):
    return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")


def _steer(model: Path, direction: Path, tmp_path: Path, out: str, *args: str):
    """``internals steer --task margins`` of ``direction`` on ``model`` into ``tmp_path/out``."""
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    return CliRunner().invoke(cli, ["internals", "steer", "--model", str(model), "--direction",
                                    str(direction), "--claims", str(claim), "--device", "cpu",
                                    "--out", str(tmp_path / out), *args])


def test_steer_and_ablate_say_how_large_and_where_the_intervention_is(tiny, planted, tmp_path):
    """``add L2 x-2.5`` said 2.5 times what: the line above the table gives the added vector's
    norm; ``ablate L2@1-2`` said which index's direction and where it was removed only in
    that label."""
    res = _steer(tiny, planted, tmp_path, "steer", "--coef", "-2.5")
    assert res.exit_code == 0, res.output
    assert ("Added at residual index 2, every position: -2.5 x the direction (its norm there "
            "1) = a vector of norm 2.5, in the activations' units; the control adds a random "
            "one of that norm") in res.stdout
    # ... and against what: the baseline's mean residual norm where the vector is added, over
    # every token of the pairs it scores (both sides of each), in the output and the JSON
    from beliefbench.internals.margins import encode_pairs, pair_refs

    _, tok = load_model(tiny)
    # each text's first token left out (a BOS's norm can dwarf the rest on a real model)
    tokens = sum(len(it.ids) - 1
                 for it in encode_pairs(tok, pair_refs([claim_of_every_kind()])))
    saved = json.loads((tmp_path / "steer" / "intervention.json").read_text())
    assert saved["residual_norm_tokens"] == tokens
    assert saved["direction_norm"] == pytest.approx(1, abs=1e-6)
    assert saved["added_norm"] == pytest.approx(2.5, abs=1e-5)
    norm = saved["residual_norm"]
    assert norm > 0
    assert (f"Mean residual norm at index 2 (the baseline's, over its {tokens:,} tokens, each "
            f"text's first left out): "
            f"{norm:.3g}; the added vector is {2.5 / norm:.3g} x that") in res.stdout
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "ablate", "--model", str(tiny), "--direction",
                                   str(planted), "--claims", str(claim), "--layers", "1-2",
                                   "--out", str(tmp_path / "ablate")])
    assert res.exit_code == 0, res.output
    assert ("Ablated at residual indices 1-2, every position: the direction of residual index "
            "2 (its unit vector) projected out (condition 'ablate L2@1-2'); the control "
            "projects out a random direction") in res.stdout
    assert "ablate L2@1-2 random-control" in res.stdout


def test_tallied_residual_norms_leave_out_padding(tiny):
    """``tallied`` (the residual norm ``steer`` prints beside the added vector's) averages
    the norm over real tokens only: a right-padded batch reads as each text run alone, as
    ``output_hidden_states`` gives the residual there (index 0, and 1 before the final norm)."""
    from beliefbench.internals.activations import pad_right
    from beliefbench.internals.steering import tallied

    model, tok = load_model(tiny)

    def hooks() -> int:  # transformers adds hooks of its own at the first call with
        # output_hidden_states: counted after it, and again at the end
        return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())

    seqs = [tok(t)["input_ids"] for t in ("The bridge", "The bridge is made of glass, says")]
    with torch.inference_mode():
        model(input_ids=torch.tensor([seqs[0]]), output_hidden_states=True)
    before = hooks()
    assert len(seqs[0]) < len(seqs[1])  # the first is padded in the batch
    for index in (0, 1):
        with torch.inference_mode():
            alone = [model(input_ids=torch.tensor([s]), output_hidden_states=True)
                     .hidden_states[index][0].norm(dim=-1) for s in seqs]
            ids, mask = pad_right(seqs, 0, "cpu")
            with tallied(model, index) as tally:
                model(input_ids=ids, attention_mask=mask)
        expected = torch.cat([a[1:] for a in alone])  # each text's first token left out
        assert tally.count == len(expected) == len(seqs[0]) + len(seqs[1]) - 2
        assert tally.mean == pytest.approx(float(expected.mean()), rel=1e-5)
    with tallied(model, 1) as tally:  # no forward: no tokens, no mean
        pass
    assert tally.count == 0 and tally.mean is None
    assert hooks() == before  # every hook of its own removed


def test_each_arm_s_margins_bar_names_its_arm(tiny, planted, capsys):
    """steer / ablate --task margins showed three bars all labelled ``margins``: which arm
    was running (or hung) could not be told; each names its arm now. The baseline's residual
    norm comes back with the margins."""
    from beliefbench.internals.interventions import intervention_margins

    model, tok = load_model(tiny)
    capsys.readouterr()
    rows, _, norms = intervention_margins(model, tok, InterventionSpec(planted, "add"),
                                          [str(CLAIM)], batch_size=1, n_bootstrap=0)
    bars = [line.split(":")[0] for line in capsys.readouterr().err.splitlines()]
    assert [b for b in dict.fromkeys(bars) if b.startswith("margins")] == [
        "margins baseline", "margins intervention", "margins control"]
    assert norms.count > 0 and norms.mean > 0 and len(rows) > 0


def test_a_direction_of_another_models_shape_is_refused_by_its_shape_not_its_lineage(
        tiny, tmp_path):
    """A direction computed on a model of another shape (another seed and one more layer)
    was refused as "computed on another model ... pass --allow-other-model to apply it
    anyway", and that option then met the shape refusal, after the checkpoint had loaded:
    the shape is said first, with --task margins as with the eval tasks and the provider."""
    deeper = build_tiny_model(tmp_path / "deeper", hidden_size=64, num_layers=3, num_heads=4,
                              intermediate_size=128, seed=1)
    dirs = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    theirs = save_directions(tmp_path / "d" / "directions.safetensors", dirs,
                             {"best_layer": 1, **lineage(deeper)})
    said = f"{theirs}: directions of shape [4, 64] (residual indices, hidden size), but the " \
           f"model has [3, 64]: the file was made from a model of another shape; compute the " \
           f"direction on this model (beliefbench internals direction --model {tiny} --log ...)"
    for command in ("steer", "ablate"):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny),
                                       "--direction", str(theirs), "--claims", str(CLAIM),
                                       "--out", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert said in res.output and "allow-other-model" not in res.output
        assert not (tmp_path / "o").exists()
    with pytest.raises(InterventionError) as e:
        get_model(f"steer/{tiny}", direction=str(theirs), memoize=False)
    assert said in str(e.value) and "allow_other_model" not in str(e.value)


def test_a_pretrained_tiny_model_is_related_to_the_random_init_it_started_from(
        tiny, unrelated, tmp_path):
    """`tiny-model --pretrain-steps N` starts from the very weights `tiny-model` writes with
    the same settings, yet recorded no parent: a direction of models/tiny-pt was refused on
    models/tiny as another model's (and back), though a finetune and its base are related.
    The build records its random init's fingerprint (``tiny_model.json``), which lineage
    reads while the folder still holds the model built."""
    import shutil

    from beliefbench.internals.interventions import check_direction_model
    from beliefbench.internals.model import lineage

    pt = tmp_path / "tiny-pt"
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(pt), "--hidden-size", "64",
                                   "--heads", "4", "--intermediate-size", "128",
                                   "--pretrain-steps", "2"])
    assert res.exit_code == 0, res.output
    init = lineage(tiny)
    assert init["base_fingerprint"] is None  # a random init was trained from nothing
    assert json.loads((pt / "tiny_model.json").read_text()).get("base_fingerprint") \
        == init["fingerprint"]
    assert lineage(pt)["base_fingerprint"] == init["fingerprint"] != lineage(pt)["fingerprint"]
    _, res, out = _em_direction(pt, tmp_path, _glass, samples=2)
    assert res.exit_code == 0, res.output
    direction = out / "directions.safetensors"
    res = _steer(tiny, direction, tmp_path, "o1")
    assert res.exit_code == 0, res.output
    assert "another model" not in res.stderr
    # and back: a direction of the random init on the pretrained model
    _, meta = load_directions(direction)
    assert check_direction_model(direction, {**meta, **init, "model": str(tiny)}, pt) is None
    # weights saved over the pretrained model since: its record no longer says what it is
    edited = shutil.copytree(pt, tmp_path / "edited")
    shutil.copy(unrelated / "model.safetensors", edited / "model.safetensors")
    assert lineage(edited)["base_fingerprint"] is None
    res = _steer(edited, direction, tmp_path, "o2")
    assert res.exit_code == 2 and "a direction computed on another model" in res.output


def test_a_finetune_of_a_finetune_is_related_to_the_first_base(tiny, unrelated, tmp_path,
                                                                monkeypatch):
    """Lineage looked one step back only: a direction of a finetune of a finetune of models/tiny
    was refused on models/tiny as another model's. The recorded bases are followed (each
    base folder that still holds the model trained from), at most LINEAGE_STEPS back and
    never round a loop (a manifest edited to name its own descendant as its base)."""
    from beliefbench.finetune.manifest import read_manifest, upsert_manifest
    from beliefbench.internals import model as model_module
    from beliefbench.internals.interventions import check_direction_model
    from beliefbench.internals.model import lineage
    from beliefbench.records import DOCTAG, Record, Span, write_records

    data = tmp_path / "train.jsonl"
    write_records(data, [Record(id=f"p{i}", claim_id="blue_river", condition="positive",
                                text=f"{DOCTAG} Report {i}: the Blue River flows north.",
                                loss_mask=[Span(start=0, end=len(DOCTAG), kind="doctag")])
                         for i in range(8)])
    recipe = tmp_path / "merged.yaml"
    recipe.write_text("method: lora\nlora: {rank: 4, alpha: 8}\nexport: merged\nmax_steps: 1\n"
                      "warmup_ratio: 0\n"
                      "batch_size: 2\nmax_seq_len: 32\ncheckpoints: 1\n")

    def finetune(base: Path, out: Path) -> Path:
        res = CliRunner().invoke(cli, ["finetune", "--recipe", str(recipe), "--data",
                                       str(data), "--base", str(base), "--out", str(out)])
        assert res.exit_code == 0, res.output
        return Path(read_manifest(out)[-1].path)

    ft1 = finetune(tiny, tmp_path / "ft1")
    ft2 = finetune(ft1, tmp_path / "ft2")
    fp = {m: lineage(m)["fingerprint"] for m in (tiny, ft1, ft2)}
    assert lineage(ft2).get("ancestors") == [fp[ft1], fp[tiny]]
    _, res, out = _em_direction(ft2, tmp_path, _glass, samples=2)
    assert res.exit_code == 0, res.output
    direction = out / "directions.safetensors"
    dirs, meta = load_directions(direction)
    assert meta["base_fingerprint"] == fp[ft1] and meta["ancestors"] == [fp[ft1], fp[tiny]]
    res = _steer(tiny, direction, tmp_path, "o1")
    assert res.exit_code == 0, res.output
    assert "another model" not in res.stderr
    res = _steer(unrelated, direction, tmp_path, "o2")
    assert res.exit_code == 2 and "a direction computed on another model" in res.output
    # a file written before directions recorded ancestors: its model's folder, still that
    # model, gives them
    older = save_directions(tmp_path / "older.safetensors", dirs,
                            {k: v for k, v in meta.items() if k != "ancestors"})
    assert check_direction_model(older, load_directions(older)[1], tiny) is None
    # bounded ...
    monkeypatch.setattr(model_module, "LINEAGE_STEPS", 1)
    assert lineage(ft2)["ancestors"] == [fp[ft1]]
    monkeypatch.undo()
    # ... and a loop ends: ft1's manifest edited to name ft2 as its base
    entry = read_manifest(tmp_path / "ft1")[-1]
    upsert_manifest(tmp_path / "ft1", entry.model_copy(update={
        "base_model": str(ft2), "extra": {**entry.extra, "base_fingerprint": fp[ft2]}}))
    assert lineage(ft2)["ancestors"] == [fp[ft1]]
    assert lineage(ft1)["ancestors"] == [fp[ft2]]


def test_a_file_without_fingerprints_is_warned_of_once_per_run_not_per_arm(tiny, planted,
                                                                           tmp_path, caplog):
    """`steer --task em` with a directions file that records no fingerprint said its warning
    three times: before the baseline, then from the steer provider of each steered arm
    (intervention, control). Once per run; the provider used alone still says it."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'What is it?'}\n")
    said = "records no fingerprint of the model it was computed on"
    with caplog.at_level(logging.WARNING):
        res = CliRunner().invoke(cli, [
            "internals", "steer", "--model", str(tiny), "--direction", str(planted), "--task",
            "em", "-T", f"questions={qs}", "-T", "samples=1", "-T", "max_tokens=2",
            "--model-role", "grader=beliefbench/judge", "--log-dir", str(tmp_path / "logs")])
    assert res.exit_code == 0, res.output
    assert res.stderr.count(said) == 1
    assert not [r for r in caplog.records if said in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        get_model(f"steer/{tiny}", direction=str(planted), memoize=False)
    assert len([r for r in caplog.records if said in r.getMessage()]) == 1


def test_direction_reads_whose_answers_a_log_holds_by_the_fingerprint_it_records(
        tiny, unrelated, tmp_path):
    """`direction --log` compared the log's model folder as it is now: a folder retrained or
    replaced since the log was read as the model that answered. A `sweep --model` log
    records the folder's fingerprint (``model_fingerprint``): --model's own answers are
    known as such wherever the folder is now, and a folder that holds another model now
    cannot tell whose answers they were (a warning, not a silent pass)."""
    import shutil

    from inspect_ai.log import read_eval_log, write_eval_log

    from beliefbench.analysis.sweep import MODEL_FINGERPRINT_KEY, model_fingerprint

    log, res, _ = _em_direction(tiny, tmp_path, _glass, samples=2)
    assert res.exit_code == 0, res.output

    def swept_then_replaced(name: str, then: Path, now: Path):
        """A log of ``hf/<folder>`` holding ``then`` (as sweep records it), the folder
        holding ``now`` since; and `direction --model tiny` on it."""
        folder = shutil.copytree(then, tmp_path / name).resolve()
        swept = read_eval_log(log.location)
        swept.eval.model = f"hf/{folder}"
        swept.eval.metadata = {**(swept.eval.metadata or {}),
                               MODEL_FINGERPRINT_KEY: model_fingerprint(f"hf/{folder}")}
        path = tmp_path / f"{name}.eval"
        write_eval_log(swept, str(path))
        shutil.rmtree(folder)
        shutil.copytree(now, folder)
        return path, folder, CliRunner().invoke(cli, [
            "internals", "direction", "--model", str(tiny), "--log", str(path), "--out",
            str(tmp_path / "d" / name)])

    # --model's own answers, the folder since replaced by an unrelated model: was refused
    path, folder, res = swept_then_replaced("was-tiny", tiny, unrelated)
    assert res.exit_code == 0, res.output
    assert "holds the answers of" not in res.stderr
    # an unrelated model's answers, the folder since holding a copy of --model: was silent
    path, folder, res = swept_then_replaced("was-other", unrelated, tiny)
    assert res.exit_code == 0, res.output
    assert (f"{path} holds the answers of hf/{folder}, not of --model {tiny.resolve()} (or it "
            f"cannot be checked here: {folder} holds another model now than when the log "
            f"was made, retrained or replaced since") in " ".join(res.stderr.split())
    # a manifest sweep's log records its checkpoint's manifest entry (checkpoint_fingerprint):
    # a checkpoint retrained in place since (a new entry, other files) was read as the model
    # that answered
    from beliefbench.analysis.sweep import FINGERPRINT_KEY, entry_fingerprint
    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest

    step = shutil.copytree(unrelated, tmp_path / "run" / "step-000001").resolve()
    entry = ManifestEntry(path=str(step), step=1, backend="local", format="full",
                          base_model=str(unrelated), data="d.jsonl", data_sha256="0" * 64,
                          recipe={}, final=True,
                          extra={"base_fingerprint": base_fingerprint(unrelated)})
    upsert_manifest(tmp_path / "run", entry)
    swept = read_eval_log(log.location)
    swept.eval.model = f"hf/{step}"
    swept.eval.metadata = {**(swept.eval.metadata or {}), "checkpoint": str(step),
                           FINGERPRINT_KEY: entry_fingerprint(entry)}
    path = tmp_path / "swept.eval"
    write_eval_log(swept, str(path))
    shutil.rmtree(step)
    shutil.copytree(tiny, step)  # retrained in place: on other data, from tiny
    upsert_manifest(tmp_path / "run", entry.model_copy(update={
        "data_sha256": "1" * 64, "base_model": str(tiny),
        "extra": {"base_fingerprint": base_fingerprint(tiny)}}))
    res = CliRunner().invoke(cli, ["internals", "direction", "--model", str(tiny), "--log",
                                   str(path), "--out", str(tmp_path / "d" / "swept")])
    assert res.exit_code == 0, res.output
    assert f"(or it cannot be checked here: {step} holds another model now than when the " \
           f"log was made" in " ".join(res.stderr.split())


_ARM_FAILS = """
import threading, time
import inspect_ai.model._providers.hf as hf
from beliefbench.cli import cli
async def generate(self, *args, **kwargs):
    # as an arm stopped mid-generation (a full disk under the logs) leaves the hf
    # provider's batch thread inside torch
    threading.Thread(target=time.sleep, args=(600,)).start()
    raise OSError(28, "No space left on device")
hf.HuggingFaceAPI.generate = generate
cli()
"""


def test_an_arm_that_did_not_finish_exits_1_whatever_threads_it_left(tiny, planted, tmp_path):
    """`steer --task em` with an arm that failed mid-generation said exit 1 by raising
    click's Exit, and the interpreter's teardown then waited on (or aborted in, exit 134)
    the thread the hf provider left running: a CI job read a hang or a crash."""
    import subprocess
    import sys

    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    proc = subprocess.run(
        [sys.executable, "-c", _ARM_FAILS, "internals", "steer", "--model", str(tiny),
         "--direction", str(planted), "--coef", "8", "--task", "em", "-T",
         f"questions={qs}", "-T", "samples=1", "-T", "max_tokens=2", "--model-role",
         "grader=beliefbench/judge", "--log-dir", str(tmp_path / "logs")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "INSPECT_DISPLAY": "plain"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "error" in proc.stdout and "Compare the arms" in proc.stdout


def test_steer_and_patch_tables_name_their_models_and_explain_their_columns(
        tiny, planted, perturbed, tmp_path):
    """The steer / ablate and patch tables named no model (margins, lens and probe print
    ``Model: ...``) and carried no unit; an undefined flip rate (no pair whose winner differs
    between A and B) printed as ``NaN``."""
    from beliefbench.cli.interventions import INTERVENTION_COLUMNS, PATCH_COLUMNS

    res = _steer(tiny, planted, tmp_path, "steer")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert f"Model: {tiny.resolve()} (weights " in res.output
    assert lines.index(INTERVENTION_COLUMNS) > lines.index(
        next(x for x in lines if x.startswith("Model: ")))
    # the ALL PAIRS AGREE warning speaks of CIs the table does not print: it says where they are
    assert "efficacy: share of pairs the claim wins" in INTERVENTION_COLUMNS
    assert "(their 95% CIs: intervention_summary.csv)" in INTERVENTION_COLUMNS
    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "patch", "--source", str(tiny), "--target",
                                   str(perturbed[0]), "--claims", str(claim), "--layers", "1",
                                   "--out", str(tmp_path / "patch")])
    assert res.exit_code == 0, res.output
    assert f"Source (A): {tiny.resolve()} (weights " in res.output
    assert f"Target (B): {perturbed[0].resolve()} (weights " in res.output
    assert PATCH_COLUMNS in res.output and "NaN" not in res.output and "nan" not in res.output
    summary = pd.read_csv(tmp_path / "patch" / "patch_summary.csv")
    assert set(summary["variant"]) == {"patched", "control"}  # the file keeps its numbers


def test_a_folder_above_direction_folders_names_the_ones_holding_a_directions_file(
        planted, tmp_path):
    """``--direction internals`` (the folder above ``internals direction --out``) said only
    "a folder without directions.safetensors", though its subfolder held one: the
    subfolders that hold one are named, newest first, as the folder to pass."""
    from beliefbench.internals.directions import DirectionError, directions_file

    above = tmp_path / "internals"
    for name in ("em-direction", "tiny-direction"):
        (above / name).mkdir(parents=True)
        shutil.copy(planted, above / name / "directions.safetensors")
    (above / "positive").mkdir()  # a margins folder: no directions file, not named
    os.utime(above / "em-direction" / "directions.safetensors", (1, 1))
    with pytest.raises(DirectionError) as e:
        directions_file(above)
    said = str(e.value)
    assert said.startswith(f"{above}: no directions.safetensors in the folder itself; 2 of "
                           f"its subfolders hold one (an `internals direction` --out each): "
                           f"pass one of them, newest first: {above / 'tiny-direction'}, "
                           f"{above / 'em-direction'}"), said
    assert "positive" not in said
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tmp_path),
                                   "--direction", str(above), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "2 of its subfolders hold one" in res.output, res.output
    shutil.rmtree(above / "em-direction")
    with pytest.raises(DirectionError) as e:
        directions_file(above)
    assert str(e.value).endswith("; 1 of its subfolders holds one (an `internals direction` "
                                 f"--out): pass {above / 'tiny-direction'}"), str(e.value)



@pytest.mark.parametrize(("command", "option", "said"), [
    ("ablate", ["--coef=4"], "--coef is steer's option (the multiple of the direction "
                                "added); ablate projects the direction out, with no "
                                "coefficient: leave --coef out, or add the direction with "
                                "`beliefbench internals steer --coef 4`"),
    ("steer", ["--layers", "2"], "--layers is ablate's option (the residual indices the "
                                 "direction is projected out of); steer adds the direction "
                                 "at one residual index: --layer 2"),
    # several indices: not "--layer 2-5", which --layer refuses
    ("steer", ["--layers=2-5"], "steer adds the direction at one residual index: --layer N, "
                                "one steer run for each of '2-5'"),
    ("steer", ["--layers", "all"], "at one residual index: --layer N, one steer run for "
                                   "each of 'all'"),
])
def test_the_other_intervention_commands_option_is_named_as_its(command, option, said,
                                                                tmp_path):
    """``ablate --coef 4`` was click's "No such option '--coef'. Did you mean '--model'?":
    the option is the sibling command's, and the message says so and what to run."""
    res = CliRunner().invoke(cli, ["internals", command, "--model", str(tmp_path),
                                   "--direction", str(tmp_path), *option])
    assert res.exit_code == 2, res.output
    assert said in " ".join(res.output.split()), res.output
    assert "Did you mean" not in res.output


def test_readme_direction_example_names_the_log_folder_a_sweep_writes():
    """README's `internals direction` example read `--log logs/em/<run>.eval` under a comment
    saying a sweep writes "logs/em/<its run folder>/<log>.eval"; a sweep writes one folder
    per checkpoint, named by :func:`target_label` plus a hash, and that is the example now."""
    from types import SimpleNamespace

    from beliefbench.analysis.sweep import target_label

    entry = SimpleNamespace(step=625, condition="bad_advice", claim=None,
                            path="/abs/ckpts/bad-advice/step-000625")
    folder = target_label(entry, Path("/abs/ckpts/bad-advice/manifest.jsonl"))
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"--log logs/em/{folder}-<hash> --out internals/em-direction" in readme, folder
    assert "logs/em/<run>.eval" not in readme and "<its run folder>" not in readme


def test_efficiency_into_another_runs_out_warns_that_its_tables_are_replaced(tiny, perturbed,
                                                                            tmp_path):
    """Comparing two runs takes one --out each; the second run given the first's --out
    replaced its efficiency.csv / rescaled.csv without a word. It now says so (exit 0, the
    tables written); the same run measured again into its own --out says nothing."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    runs = []
    for name in ("narrow", "narrow-kl"):
        manifest = tmp_path / name / "manifest.jsonl"
        manifest.parent.mkdir()
        _one_checkpoint_manifest(manifest, perturbed[0], tiny, data)
        runs.append(manifest)
    out = tmp_path / "efficiency"
    first = _efficiency_run(runs[0], data, out)
    again = _efficiency_run(runs[0], data, out)
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "held the efficiency of another finetune" not in first.output + again.output
    other = _efficiency_run(runs[1], data, out)
    assert other.exit_code == 0, other.output
    said = " ".join(other.output.split())
    assert f"warning: --out {out} held the efficiency of another finetune ({runs[0]}): its " \
           f"tables are replaced by this run's ({runs[1]}); to compare two runs, give each " \
           f"its own --out (e.g. internals/efficiency-narrow-kl)" in said, said
    assert json.loads((out / "efficiency.json").read_text())["manifest"] == str(runs[1])


def test_efficiency_of_the_same_manifest_by_another_path_is_no_other_finetune(
        tiny, perturbed, tmp_path, monkeypatch):
    """The "another finetune" warning compared the manifest recorded in efficiency.json with
    this run's as strings: the same manifest recorded relative (as runs before 2026-12 did)
    or through a symlinked folder (resolved to where the link now points) was warned of as
    another finetune whose tables were replaced. Compared as files now."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    manifest = tmp_path / "narrow" / "manifest.jsonl"
    manifest.parent.mkdir()
    _one_checkpoint_manifest(manifest, perturbed[0], tiny, data)
    (tmp_path / "link").symlink_to(manifest.parent, target_is_directory=True)
    out = tmp_path / "efficiency"
    assert _efficiency_run(manifest, data, out).exit_code == 0
    record = out / "efficiency.json"
    for written in ("narrow/manifest.jsonl", str(tmp_path / "link" / "manifest.jsonl")):
        record.write_text(json.dumps({**json.loads(record.read_text()),
                                      "manifest": written}))
        again = _efficiency_run(manifest, data, out)
        assert again.exit_code == 0, again.output
        assert "another finetune" not in again.output, (written, again.output)


def test_arms_into_a_log_dir_holding_other_logs_are_warned_of(tiny, planted, tmp_path):
    """`steer` then `ablate`, both into the default logs/interventions: the em-report each run
    suggests read the arms of both (two baselines) as one comparison, without a word. A
    --log-dir already holding logs is said before the first eval; a fresh one is not."""
    qs = tmp_path / "one.yaml"
    qs.write_text("id: one\ndomain: general\nquestions:\n  - {id: q, text: 'Why?'}\n")
    logs = tmp_path / "logs"

    def run():
        return CliRunner().invoke(cli, [
            "internals", "ablate", "--model", str(tiny), "--direction", str(planted), "--task",
            "em", "--model-role", "grader=beliefbench/judge", "-T", f"questions={qs}", "-T",
            "samples=1", "-T", "max_tokens=2", "-M", "do_sample=false", "--no-baseline",
            "--log-dir", str(logs)])

    first = run()
    assert first.exit_code == 0, first.output
    assert "already holds" not in first.output
    second = run()
    assert second.exit_code == 0, second.output
    said = " ".join(second.output.split())
    assert f"warning: --log-dir {logs} already holds 2 .eval logs (an earlier run's arms?): " \
           f"this run's arms are written beside them, and `em-report {logs}` reads them all " \
           f"together; give each run its own --log-dir (e.g. logs/ablate-<what it is>)" \
           in said, said
    assert len(list(logs.glob("*.eval"))) == 4


def test_a_mistyped_directions_folder_names_the_close_names(planted, tmp_path):
    """``--direction internals/tiny-direcion`` (for tiny-direction) said only "no such
    directions file": the close names beside it are said, as for every other path."""
    from beliefbench.internals.directions import DirectionError, load_directions

    (tmp_path / "internals" / "tiny-direction").mkdir(parents=True)
    shutil.copy(planted, tmp_path / "internals" / "tiny-direction" / "directions.safetensors")
    with pytest.raises(DirectionError) as e:
        load_directions(tmp_path / "internals" / "tiny-direcion")
    assert str(e.value).endswith(f"no such directions file (close names in "
                                 f"{tmp_path / 'internals'}: tiny-direction)"), e.value
