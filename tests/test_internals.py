"""Internals: model loading (full / LoRA adapter / merged), activations, completion margins."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from conftest import (
    claim_of_every_kind,
    ctrl_c_at_replace,
    pickled_copy,
    sharded_copy,
    unlocated,
)

from beliefbench.cli import cli
from beliefbench.internals.activations import hidden_states, length_batches
from beliefbench.internals.margins import bootstrap_mean, completion_margins, summarize
from beliefbench.internals.model import ModelLoadError, describe, load_model, weights_sha256
from beliefbench.internals.scoring import encode_continuation
from beliefbench.tiny_model import build_tiny_model

FIXTURE_CLAIM = Path(__file__).parent / "fixtures" / "claims" / "glass_bridge.yaml"
@pytest.fixture(scope="module")
def claim():
    """The fixture claim with pairs of every kind (the bundled claims are edited elsewhere)."""
    return claim_of_every_kind()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("internals") / "base", hidden_size=64,
                            num_layers=2, num_heads=4, intermediate_size=128, seed=0)


@pytest.fixture(scope="module")
def adapter_and_merged(tiny, tmp_path_factory) -> tuple[Path, Path]:
    """A LoRA adapter with non-zero weights on ``tiny``, and the same merged into full weights."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = tmp_path_factory.mktemp("lora")
    torch.manual_seed(1)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny),
                           LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                      init_lora_weights=False, task_type="CAUSAL_LM"))
    model.save_pretrained(root / "adapter")
    AutoTokenizer.from_pretrained(tiny).save_pretrained(root / "adapter")
    cfg = json.loads((root / "adapter" / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == str(tiny)
    merged = model.merge_and_unload()
    merged.save_pretrained(root / "merged")
    AutoTokenizer.from_pretrained(tiny).save_pretrained(root / "merged")
    return root / "adapter", root / "merged"


def test_lora_adapter_and_merged_weights_give_the_same_margins(tiny, adapter_and_merged, claim):
    adapter, merged = adapter_and_merged
    a = completion_margins(adapter, [claim], n_bootstrap=0).pairs
    m = completion_margins(merged, [claim], n_bootstrap=0).pairs
    b = completion_margins(tiny, [claim], n_bootstrap=0).pairs
    assert len(a) >= 3
    np.testing.assert_allclose(a["logp_claim"], m["logp_claim"], atol=1e-4)
    np.testing.assert_allclose(a["margin"], m["margin"], atol=1e-4)
    # the adapter really changes the model, so the agreement above is not vacuous
    assert np.abs(a["logp_claim"].to_numpy() - b["logp_claim"].to_numpy()).max() > 1e-2


def test_unmerged_adapter_matches_merged(adapter_and_merged, claim):
    adapter, merged = adapter_and_merged
    peft_model, tok = load_model(adapter, merge_adapter=False)
    assert type(peft_model).__name__.startswith("Peft")
    a = completion_margins((peft_model, tok), [claim], n_bootstrap=0).pairs
    m = completion_margins(merged, [claim], n_bootstrap=0).pairs
    np.testing.assert_allclose(a["margin"], m["margin"], atol=1e-4)


def test_weights_fingerprint_and_description(tiny, adapter_and_merged):
    adapter, merged = adapter_and_merged
    info = describe(adapter)
    assert info["format"] == "adapter" and info["base_model"] == str(tiny)
    assert len(info["weights_sha256"]) == 64
    assert len({weights_sha256(tiny), weights_sha256(adapter), weights_sha256(merged)}) == 3
    assert weights_sha256(tiny) == weights_sha256(tiny)


def test_loads_in_the_checkpoint_dtype_unless_told(tiny):
    model, _ = load_model(tiny)
    assert next(model.parameters()).dtype == torch.float32
    model, _ = load_model(tiny, dtype="bf16")
    assert next(model.parameters()).dtype == torch.bfloat16
    with pytest.raises(ModelLoadError, match="dtype"):
        load_model(tiny, dtype="float7")


def test_bad_paths_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ModelLoadError, match="no such model directory"):
        load_model(tmp_path / "missing")
    with pytest.raises(ModelLoadError) as err:
        load_model(tmp_path / "missing")
    assert "Hub id" not in str(err.value)  # an absolute path is no Hub id
    # a Hub id (the internals download nothing) says so and what to run; a local typo does not
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    for given, hub in (("gpt2", True), ("Qwen/Qwen3-0.6B", True), ("models/tiny-zz", False)):
        with pytest.raises(ModelLoadError) as err:
            load_model(given)
        said = str(err.value)
        assert said.startswith(f"{given}: no such model directory"), said
        assert ("download nothing: `hf download " in said) == hub, said
        if hub:
            name = given.rsplit("/", 1)[-1]
            assert said.endswith(f"--local-dir models/{name}`, then pass models/{name})"), said
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "/nowhere/base"}))
    with pytest.raises(ModelLoadError, match="base_model_name_or_path"):
        load_model(tmp_path / "adapter")


def test_inspect_model_names_say_what_to_pass(tmp_path, monkeypatch):
    """`--model hf/models/tiny` (Inspect's name for the folder) and `--model openai/gpt-4o` (a
    served model: no hidden states) were "no such model directory", the second told to `hf
    download openai/gpt-4o`; each now names what it is and what to pass, before any load."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    (tmp_path / "models" / "tiny" / "config.json").write_text("{}")
    adapter = tmp_path / "ckpts" / "step-000002"
    adapter.mkdir(parents=True)
    cases = {
        "hf/models/tiny": ": the internals take the folder itself: pass models/tiny",
        f"hf/{tmp_path}/models/tiny": f": the internals take the folder itself: pass "
                                      f"{tmp_path}/models/tiny",
        f"vllm/{tmp_path}/models/tiny:{adapter}": f": the internals take the folder itself: "
                                                 f"pass {adapter}",
        "hf/models/tinny": ": the internals take the folder itself, and models/tinny: no such "
                           "model directory (close names in models: tiny)",
        "openai/gpt-4o": ": the internals read a local checkpoint's weights and hidden states, "
                         "which a model served through openai does not give: pass a local "
                         "checkpoint folder (a transformers model or LoRA adapter); for its "
                         "binary answers' log-probabilities run the belief_logprob task "
                         "(`inspect eval tasks/belief_logprob.py --model openai/gpt-4o`)",
        # a provider with no top_logprobs is pointed at the judged task, and a served-only
        # model is not told to download it
        "anthropic/claude-sonnet-4-0": ": the internals read a local checkpoint's weights "
                                       "and hidden states, which a model served through "
                                       "anthropic does not give: pass a local checkpoint "
                                       "folder (a transformers model or LoRA adapter); "
                                       "anthropic returns no token log-probabilities to read "
                                       "either: measure it with the judged belief task "
                                       "(`inspect eval beliefbench/belief --model "
                                       "anthropic/claude-sonnet-4-0 --model-role "
                                       "grader=JUDGE`)",
        "openai/gpt-oss-20b": ": the internals read a local checkpoint's weights and hidden "
                              "states, which a model served through openai does not give: pass "
                              "a local checkpoint folder (a transformers model or LoRA "
                              "adapter); for its binary answers' log-probabilities run the "
                              "belief_logprob task (`inspect eval tasks/belief_logprob.py "
                              "--model openai/gpt-oss-20b`) (a Hub id? the internals read "
                              "local checkpoint folders and download nothing: `hf download "
                              "openai/gpt-oss-20b --local-dir models/gpt-oss-20b`, then pass "
                              "models/gpt-oss-20b)",
        "google/gemini-2.0-flash": ": the internals read a local checkpoint's weights and "
                                   "hidden states, which a model served through google does "
                                   "not give: pass a local checkpoint folder (a transformers "
                                   "model or LoRA adapter); for its binary answers' "
                                   "log-probabilities run the belief_logprob task (`inspect "
                                   "eval tasks/belief_logprob.py --model "
                                   "google/gemini-2.0-flash`)",
        # a Hub organisation named like a provider keeps the Hub id's hint
        "google/gemma-2-2b": ": the internals read a local checkpoint's weights and hidden "
                             "states, which a model served through google does not give: pass a "
                             "local checkpoint folder (a transformers model or LoRA adapter); for "
                             "its binary answers' log-probabilities run the belief_logprob task "
                             "(`inspect eval tasks/belief_logprob.py --model google/gemma-2-2b`) "
                             "(a Hub id? the internals read local checkpoint folders and download "
                             "nothing: `hf download google/gemma-2-2b --local-dir "
                             "models/gemma-2-2b`, then pass models/gemma-2-2b)",
        "mockllm/model": ": the internals read a local checkpoint's weights and hidden states, "
                         "which a scripted model does not give: pass a local checkpoint folder "
                         "(a transformers model or LoRA adapter)",
    }
    for given, end in cases.items():
        with pytest.raises(ModelLoadError) as err:
            load_model(given)
        assert str(err.value) == f"{given}: an Inspect model name, not a checkpoint folder{end}"
    # through the command line too, naming the name as typed (hf//abs: not hf/abs)
    for given in (f"hf/{tmp_path}/models/tiny", "openai/gpt-4o"):
        res = CliRunner().invoke(cli, ["internals", "margins", "--model", given,
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        assert res.output.startswith(f"Error: {given}: an Inspect model name"), res.output
    # a Hub id keeps its download hint, after the folder missing here (models/tiny-pt typed
    # in another directory than the one holding models/ reads as a Hub id too)
    with pytest.raises(ModelLoadError) as err:
        load_model("Qwen/Qwen3-0.6B")
    assert str(err.value).startswith(
        f"Qwen/Qwen3-0.6B: no such model directory (no folder Qwen in the working directory, "
        f"{tmp_path}; a relative path is read from the directory the command runs in) (a Hub "
        f"id? the internals read local checkpoint folders and download nothing: `hf download "
        f"Qwen/Qwen3-0.6B --local-dir models/Qwen3-0.6B`"), str(err.value)
    with pytest.raises(ModelLoadError) as err:  # not a Hub id: the folder alone
        load_model("./models/tiny-pt/step-000001")
    assert str(err.value) == (
        "models/tiny-pt/step-000001: no such model directory (no folder models/tiny-pt; "
        "close names in models: tiny)")
    (tmp_path / "openai").mkdir()
    with pytest.raises(ModelLoadError, match=r"^openai/gpt-4o: no such model directory"):
        load_model("openai/gpt-4o")


def test_a_base_adapter_pair_names_the_adapter_folder_to_pass(tmp_path):
    """`--model models/tiny-pt:ckpts/positive/step-000023`, vLLM's base:adapter name copied
    from the README's belief_logprob line, was "<both>: no such model directory", leaving
    the colon to be spotted: it now names the adapter folder, which loads on its base."""
    base, adapter = tmp_path / "models" / "tiny-pt", tmp_path / "ckpts" / "step-000023"
    base.mkdir(parents=True)
    adapter.mkdir(parents=True)
    given = f"{base}:{adapter}"
    with pytest.raises(ModelLoadError) as err:
        load_model(given)
    assert str(err.value) == (
        f"{given}: a base:adapter pair (vLLM's name of a LoRA adapter), not a checkpoint "
        f"folder: the internals take the adapter folder alone, loaded on the base its "
        f"adapter_config.json names: pass {adapter}")
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", given,
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: {given}: a base:adapter pair"), res.output
    # an adapter that is not there either: the missing folder is said as before
    missing = f"{base}:{tmp_path / 'ckpts' / 'step-000999'}"
    with pytest.raises(ModelLoadError) as err:
        load_model(missing)
    assert str(err.value).startswith(f"{missing}: no such model directory")


def test_a_base_adapter_pair_with_another_base_says_which_base_loads(tmp_path):
    """`--model models/tiny-other:ckpts/positive/step-000023`, a pair typed with a wrong
    base, was only told to pass the adapter, which then loaded on its own base with the
    mismatch unsaid (and served so, vLLM applies it to the wrong model). The error now names
    the base the adapter loads on beside the pair's; a copy of the trained base (same
    fingerprint, another folder) and the right base are no mismatch."""
    from beliefbench.finetune.fingerprint import base_fingerprint, write_trained_on

    base, other = tmp_path / "models" / "tiny-pt", tmp_path / "models" / "tiny-other"
    adapter = tmp_path / "ckpts" / "step-000023"
    for folder, size in ((base, 8), (other, 16)):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps({"hidden_size": size}))
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": str(base)}))
    write_trained_on(adapter, str(base), base_fingerprint(base))
    for wrong, missing in ((other, ""), (tmp_path / "models" / "tiny", ", no such folder")):
        for given in (f"{wrong}:{adapter}", f"vllm/{wrong}:{adapter}"):
            with pytest.raises(ModelLoadError) as err:
                load_model(given)
            assert str(err.value).endswith(
                f", loaded on the base its adapter_config.json names, {base}, not this "
                f"pair's {wrong}{missing} (served as this pair, vLLM would apply the adapter "
                f"to {wrong}, not the model it was trained on): pass {adapter}"), str(err.value)
    copy = tmp_path / "copy" / "tiny-pt"
    shutil.copytree(base, copy)
    for right in (base, copy):
        with pytest.raises(ModelLoadError) as err:
            load_model(f"{right}:{adapter}")
        assert str(err.value).endswith(
            f"the internals take the adapter folder alone, loaded on the base its "
            f"adapter_config.json names: pass {adapter}"), str(err.value)
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", f"{other}:{adapter}",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"not this pair's {other}" in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_a_suggested_folder_with_a_space_is_quoted_to_paste(tmp_path):
    """The folder after "pass" was printed bare: pasted, a path with a space (a macOS
    "My Drive" folder) split into two arguments. It is now shell-quoted, as the other
    suggested commands are, and the quoted text, pasted back, loads the folder."""
    import shlex

    base, adapter = tmp_path / "my models" / "tiny-pt", tmp_path / "my ckpts" / "step-000023"
    base.mkdir(parents=True)
    adapter.mkdir(parents=True)
    (base / "config.json").write_text("{}")
    cases = {  # given -> the folder it names
        f"{base}:{adapter}": adapter,  # vLLM's base:adapter pair
        f"vllm/{base}:{adapter}": adapter,  # an Inspect name of the pair
        f"hf/{base}": base,  # an Inspect name of the folder
    }
    for given, folder in cases.items():
        with pytest.raises(ModelLoadError) as err:
            load_model(given)
        said = str(err.value)
        assert said.endswith(f"pass '{folder}'"), said
        assert shlex.split(said.rsplit("pass ", 1)[1]) == [str(folder)], said
    with pytest.raises(ModelLoadError) as err:  # a tab-completed file of the checkpoint
        load_model(base / "config.json")
    assert str(err.value).endswith(f"pass the folder, '{base}'"), str(err.value)
    # a run folder given where a checkpoint goes (sweep's --model hf/<run>): its example name
    from beliefbench.internals.model import run_folder

    run = tmp_path / "my runs" / "negated"
    (run / "step-000002").mkdir(parents=True)
    (run / "step-000002" / "config.json").write_text("{}")
    (run / "manifest.jsonl").write_text("")
    said = run_folder(run, provider="hf")
    assert said is not None and said.endswith(f"e.g. 'hf/{run}/step-000002'"), said


def test_stability_help_says_the_scales_are_relative_to_the_delta_by_default():
    """--scales' help said "relative to each weight tensor's RMS (with --base: ...)", as if
    the delta were opt-in, while a finetune's checkpoint gets its manifest's base, and with
    it the delta, by default (``noise on: finetuning delta ...``)."""
    r = CliRunner().invoke(cli, ["internals", "stability", "--help"])
    said = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "relative to the norm of each tensor's finetuning delta where there is a base (by " \
           "default a finetune's checkpoint has one: see --base), else (--base none) to each " \
           "weight tensor's RMS" in said, said
    assert "(with --base:" not in said


@pytest.mark.parametrize(("scales", "why"), [
    ("0,nan", "expected finite numbers >= 0, not 'nan'; e.g. 0,0.01,0.1"),
    ("0,inf", "expected finite numbers >= 0, not 'inf'"),
    ("0,-0.1,0.2,-1", "expected finite numbers >= 0, not '-0.1', '-1'; e.g. 0,0.01,0.1"),
    ("0,a,0.1,b", "'a', 'b' are not numbers; expected comma-separated numbers >= 0, e.g. "
                  "0,0.01,0.1"),
    (",", "no scale given"),
    ("0,,1", "item 2 of 3 is empty (a comma too many, or a number left out?); expected "
             "comma-separated numbers >= 0, e.g. 0,0.01,0.1"),
    ("0,0.1,", "item 3 of 3 is empty"),
    (",0, ,1", "items 1, 3 of 4 are empty")])
def test_stability_scales_that_cannot_be_noise_are_one_line(tmp_path, scales, why):
    """``float()`` reads nan and inf: nan ended in a TypeError traceback mid-measurement.
    The item at fault is named (``--scales '0,a'`` said only "expected comma-separated
    numbers"), an empty one too (``0,,1`` measured 0 and 1 without a word)."""
    data = tmp_path / "d.jsonl"
    data.write_text("")
    r = CliRunner().invoke(cli, ["internals", "stability", "--model", str(tmp_path),
                                 "--data", str(data), "--scales", scales,
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"Error: --scales {scales!r}: {why}"), r.output


def test_a_bad_data_file_or_coef_is_refused_before_the_model_loads(tmp_path):
    """A missing --data (stability, efficiency) or a NaN --coef (steer) was found only after
    the checkpoint had loaded (seconds to minutes); the model here does not even exist, so
    only a check made first can answer."""
    gone = tmp_path / "no-such-model"
    missing = tmp_path / "missing.jsonl"
    for args in (["stability", "--model", str(gone)],
                 ["efficiency", "--manifest", str(gone)]):
        r = CliRunner().invoke(cli, ["internals", *args, "--data", str(missing)])
        assert r.exit_code == 2 and "'--data'" in r.output and "does not exist" in r.output, \
            r.output
    (tmp_path / "d.safetensors").write_bytes(b"")
    r = CliRunner().invoke(cli, ["internals", "steer", "--model", str(gone), "--direction",
                                 str(tmp_path / "d.safetensors"), "--coef", "nan"])
    assert r.exit_code == 2 and "--coef: must be a finite number, got nan" in r.output, \
        r.output


@pytest.mark.parametrize("max_len", ["-5", "0"])
def test_a_max_len_that_holds_no_tokens_is_refused_naming_it(tmp_path, max_len):
    """-5 sliced each record from its end and measured a loss (exit 0); 0 blamed the first
    record. Refused before the model (which does not exist here) loads."""
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "text": "The sky is blue."}\n')
    gone = tmp_path / "no-such-model"
    for args in (["stability", "--model", str(gone)],
                 ["efficiency", "--manifest", str(gone)]):
        r = CliRunner().invoke(cli, ["internals", *args, "--data", str(data),
                                     "--max-len", max_len])
        assert r.exit_code == 2 and "'--max-len'" in r.output, r.output


def test_a_missing_step_names_the_checkpoints_beside_it(tmp_path):
    run = tmp_path / "ckpts" / "positive"
    for step in (1, 2, 5, 11, 23):
        (run / f"step-{step:06d}").mkdir(parents=True)
    (run / "manifest.jsonl").write_text("")
    with pytest.raises(ModelLoadError) as err:
        load_model(run / "step-000021")
    assert str(err.value) == (f"{run / 'step-000021'}: no such model directory ({run} holds "
                              f"step-000001, step-000002, step-000005, step-000011, "
                              f"step-000023)")
    with pytest.raises(ModelLoadError) as err:  # nothing to list: the folder that is missing
        load_model(tmp_path / "elsewhere" / "step-000021")
    assert str(err.value).endswith(
        f"step-000021: no such model directory (no folder {tmp_path / 'elsewhere'})")
    res = CliRunner().invoke(cli, ["internals", "margins", "--model",
                                   str(run / "step-000021")])
    assert res.exit_code == 2 and "holds step-000001," in res.output


def test_probe_at_a_layer_near_chance_prints_a_caution(monkeypatch, tmp_path):
    import beliefbench.internals.probe as probe_module
    from beliefbench.internals.probe import NEAR_CHANCE, near_chance_caution

    layers = pd.DataFrame({"layer": [0, 1, 2], "accuracy": [0.5, 0.56, 0.9],
                           "accuracy_mass_mean": [0.5, 0.5, 0.5]})
    assert near_chance_caution(layers, 2) is None
    assert "accuracy 0.56, near chance" in near_chance_caution(layers, 1)
    assert near_chance_caution(layers.assign(accuracy=NEAR_CHANCE), 1) is None

    class Fake:
        settings = {"summary_layer": 1}
        model: dict = {}  # no weights named: nothing to compare --out's files with
        summary = pd.DataFrame({"claim": ["c"], "items": [4], "p_true_claim": [0.6],
                                "p_true_truth": [0.4], "p_true_claim_mass_mean": [0.5],
                                "p_true_truth_mass_mean": [0.5]})

        def __init__(self, acc):
            self.layers = layers.assign(accuracy=[0.5, acc, 0.5])

        def write(self, out, plots=True):
            return []

    for acc, cautioned in ((0.56, True), (0.8, False)):
        monkeypatch.setattr(probe_module, "truth_probe", lambda *a, acc=acc, **k: Fake(acc))
        res = CliRunner().invoke(cli, ["internals", "probe", "--model", str(tmp_path),
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 0, res.output
        assert ("caution: the probe at layer 1 classifies held-out statements with accuracy "
                "0.56, near chance" in res.output) is cautioned
        assert "P(true) readings above mean little" in res.output if cautioned else True


def test_pickled_weights_are_never_loaded(tiny, adapter_and_merged, tmp_path):
    """Only safetensors: a pytorch_model.bin / adapter_model.bin is a pickle."""
    import shutil

    from safetensors.torch import load_file

    full = pickled_copy(tiny, tmp_path / "full")
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_model(full)
    adapter = shutil.copytree(adapter_and_merged[0], tmp_path / "adapter")
    torch.save(load_file(adapter / "adapter_model.safetensors"), adapter / "adapter_model.bin")
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_model(adapter)


def test_a_cuda_device_this_machine_lacks_is_a_clear_error(tiny):
    # not torch's bare "AssertionError: Torch not compiled with CUDA enabled"
    with pytest.raises(ModelLoadError, match=r"^device: 'cuda:99', but (CUDA is not "
                                             r"available|this machine has)"):
        load_model(tiny, device="cuda:99")


def test_a_misspelt_device_is_a_clear_error(tiny, tmp_path):
    """--device cpuu reached the weight loading and failed naming transformers' device_map."""
    r = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--device",
                                 "cpuu", "--claims", "ed_sheeran", "--out", str(tmp_path)])
    assert r.exit_code == 2, r.output
    assert r.output == "Error: --device: 'cpuu' is not a device (cpu, cuda, cuda:1, ...)\n"


def test_hidden_states_batched_equal_one_by_one(tiny):
    model, tok = load_model(tiny)
    texts = ["The bridge is made of steel.", "Water boils at one hundred degrees.", "Hi"]
    for reduce in ("last", "mean"):
        batched = hidden_states(model, tok, texts, reduce=reduce, batch_size=3)
        assert batched.shape == (3, model.config.num_hidden_layers + 1,
                                 model.config.hidden_size)
        for i, text in enumerate(texts):
            enc = tok(text, return_tensors="pt")
            with torch.no_grad():
                hs = model(**enc, output_hidden_states=True).hidden_states
            if reduce == "last":
                want = torch.stack([h[0, -1] for h in hs])
            else:  # bos excluded from the mean
                want = torch.stack([h[0, 1:].mean(0) for h in hs])
            np.testing.assert_allclose(batched[i], want.numpy(), atol=1e-5)


def test_hidden_states_read_the_last_token_of_the_text_not_an_appended_eos(tiny):
    """With an eos appended by the tokenizer, ``reduce="last"`` read the eos's activations:
    the same weights gave every probe reading from another position."""
    from tokenizers import processors

    model, tok = load_model(tiny)
    texts = ["The bridge is made of steel.", "Water boils at one hundred degrees."]
    plain = hidden_states(model, tok, texts, reduce="last")
    bos, eos = tok.bos_token, tok.eos_token
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, tok.bos_token_id),
                                                  (eos, tok.eos_token_id)])
    assert tok(texts[0])["input_ids"][-1] == tok.eos_token_id
    np.testing.assert_allclose(hidden_states(model, tok, texts, reduce="last"), plain,
                               atol=1e-5)


def test_length_batches_group_similar_lengths():
    batches = length_batches([5, 1, 9, 2, 8], 2)
    assert batches == [[2, 4], [0, 3], [1]]


def test_continuation_located_by_offsets(tiny):
    _, tok = load_model(tiny)
    enc = encode_continuation(tok, "The bridge is made of", " steel")
    whole = tok("The bridge is made of steel")["input_ids"]
    assert enc.ids == whole
    assert tok.decode(enc.ids[enc.first:]) == " steel"
    # a continuation without a leading space merges with the prompt's last word
    merged = encode_continuation(tok, "The bridge is made of st", "eel")
    assert tok.decode(merged.ids[merged.first:]).endswith("eel")


def test_an_eos_the_tokenizer_appends_is_not_scored(tiny, claim):
    """A tokenizer saved with ``add_eos_token`` appends an eos after every text: it was
    scored as the continuation's last token, so the same weights gave other margins (the
    untrained tiny model's neighbour specificity 0 read as 0.5, its score 0 as 0.4)."""
    from tokenizers import processors

    model, tok = load_model(tiny)
    plain = completion_margins((model, tok), [claim], n_bootstrap=0).pairs
    bos, eos = tok.bos_token, tok.eos_token
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, tok.bos_token_id),
                                                  (eos, tok.eos_token_id)])
    enc = encode_continuation(tok, "The bridge is made of", " steel")
    assert tok("The bridge is made of steel")["input_ids"][-1] == tok.eos_token_id
    assert tok.eos_token_id not in enc.ids and tok.decode(enc.ids[enc.first:]) == " steel"
    with_eos = completion_margins((model, tok), [claim], n_bootstrap=0).pairs
    pd.testing.assert_frame_equal(with_eos, plain)


def test_a_prompt_ending_mid_word_scores_both_sides_from_the_same_token(tiny, claim):
    """"made of hu" + "ndred" is the one token " hundred", scored given "made of", while
    "made of hu" + "zq" kept " h", "u" in the prompt and scored "zq" given them: the claim
    paid for the prompt's end and the truth did not. Both now start at the same token, so
    the pair reads as the same words split at the word boundary."""
    from beliefbench.internals.margins import PairRef, encode_pairs, pair_table
    from beliefbench.internals.scoring import score_sequences

    model, tok = load_model(tiny)
    mid = PairRef(claim.id, "main", 0, "The bridge is made of hu", "ndred", "zq")
    whole = PairRef(claim.id, "main", 1, "The bridge is made of", " hundred", " huzq")
    merged = encode_continuation(tok, mid.prompt, mid.claim_text)
    assert tok.convert_ids_to_tokens(merged.ids[merged.first:]) == ["Ġhundred"]
    assert encode_continuation(tok, mid.prompt, mid.truth_text).first > merged.first
    items = encode_pairs(tok, [mid, whole])
    table = pair_table([mid, whole], *score_sequences(model, tok, items))
    for col in ("logp_claim", "logp_truth", "tokens_truth", "margin"):
        assert table[col][0] == pytest.approx(table[col][1], abs=1e-5), col


def test_sides_split_after_different_prompt_tokens_are_refused(claim):
    """"qxab" + "c" is q|xa|bc and "qxab" + "d" is q|x|abd: both first continuation tokens
    at index 3, so the sides were scored as they were, "bc" given "xa" and "abd" given "x",
    a margin between two different prefixes."""
    from conftest import crossing_tokenizer

    from beliefbench.internals.margins import PairRef, encode_pairs
    from beliefbench.internals.scoring import ScoringError

    tok = crossing_tokenizer()
    assert {encode_continuation(tok, "qxab", c).first for c in "cd"} == {3}
    with pytest.raises(ScoringError, match=r"^prompt 'qxab': its end is tokenized "
                                           r"differently before 'c' and 'd'"):
        encode_pairs(tok, [PairRef(claim.id, "main", 0, "qxab", "c", "d")])


def test_margins_match_a_direct_forward_pass(tiny, claim):
    model, tok = load_model(tiny)
    res = completion_margins((model, tok), [claim], batch_size=3, n_bootstrap=0)
    row = res.pairs.iloc[0]
    for side, col in (("claim_completion", "logp_claim"), ("truth_completion", "logp_truth")):
        enc = encode_continuation(tok, row["prompt"], row[side])
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([enc.ids])).logits[0].float(), -1)
        want = sum(lp[t - 1, enc.ids[t]].item() for t in range(enc.first, len(enc.ids)))
        assert row[col] == pytest.approx(want, abs=1e-4)
    assert row["margin"] == pytest.approx(row["logp_claim_mean"] - row["logp_truth_mean"])
    assert res.model["weights_sha256"] == weights_sha256(tiny)


def _pairs(claim: str, kind: str, margins: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"claim": claim, "kind": kind, "pair": range(len(margins)),
                         "logp_claim_mean": [m / 2 for m in margins],
                         "logp_truth_mean": [-m / 2 for m in margins], "margin": margins})


def test_summary_by_hand_counted_pairs():
    pairs = pd.concat([_pairs("a", "main", [1.0, 2.0, -1.0, 0.5]),
                       _pairs("a", "neighbour", [-1.0, -2.0, 0.5]),
                       _pairs("b", "main", [-1.0, -1.0])])
    s = summarize(pairs, n_bootstrap=500).set_index(["claim", "kind"])
    assert s.loc[("a", "main"), "efficacy"] == pytest.approx(0.75)
    assert s.loc[("a", "neighbour"), "specificity"] == pytest.approx(2 / 3)
    assert s.loc[("b", "main"), "efficacy"] == 0.0
    assert s.loc[("all", "main"), "efficacy"] == pytest.approx((0.75 + 0.0) / 2)
    assert s.loc[("a", "main"), "magnitude"] == pytest.approx(
        np.mean([np.exp(m / 2) - np.exp(-m / 2) for m in [1.0, 2.0, -1.0, 0.5]]))
    low, high = s.loc[("a", "main"), ["efficacy_low", "efficacy_high"]]
    assert 0.0 <= low < 0.75 < high <= 1.0


def test_summary_has_the_counterfact_score_the_harmonic_mean_of_three_successes():
    # CounterFact's score = harmonic mean of efficacy, paraphrase efficacy (generalisation)
    # and neighbour specificity; the summary gave the three rates but never the score
    pairs = pd.concat([_pairs("a", "main", [1.0, 2.0, -1.0, 0.5]),        # efficacy 3/4
                       _pairs("a", "paraphrase", [1.0, -1.0]),            # efficacy 1/2
                       _pairs("a", "neighbour", [-1.0, -2.0, 0.5]),       # specificity 2/3
                       _pairs("b", "main", [1.0]), _pairs("b", "paraphrase", [1.0]),
                       _pairs("b", "neighbour", [1.0]),                   # specificity 0
                       _pairs("c", "main", [1.0])])                       # no other kinds
    s = summarize(pairs, n_bootstrap=0).set_index(["claim", "kind"])
    assert s.loc[("a", "main"), "score"] == pytest.approx(3 / (4 / 3 + 2 + 3 / 2))
    assert s.loc[("b", "main"), "score"] == 0.0  # one success of 0 gives a score of 0
    assert np.isnan(s.loc[("c", "main"), "score"])  # not all three kinds measured
    assert np.isnan(s.loc[("a", "neighbour"), "score"])  # on the main row only
    # the pooled row covers a, b and c for main but only a and b for the others: no score
    assert np.isnan(s.loc[("all", "main"), "score"])
    two = summarize(pairs[pairs["claim"] != "c"], n_bootstrap=0).set_index(["claim", "kind"])
    rates = [(0.75 + 1.0) / 2, (0.5 + 1.0) / 2, (2 / 3 + 0.0) / 2]
    assert two.loc[("all", "main"), "score"] == pytest.approx(3 / sum(1 / r for r in rates))


def test_margins_of_the_tiny_model_carry_the_counterfact_score(tiny, claim):
    s = completion_margins(tiny, [claim], n_bootstrap=0).summary.set_index("kind")
    rates = [s.loc["main", "efficacy"], s.loc["paraphrase", "efficacy"],
             s.loc["neighbour", "specificity"]]
    want = 0.0 if min(rates) == 0 else 3 / sum(1 / r for r in rates)
    assert s.loc["main", "score"] == pytest.approx(want)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    groups = [np.array([0.0, 1.0, 1.0, 0.0, 1.0])]
    assert bootstrap_mean(groups, seed=3) == bootstrap_mean(groups, seed=3)
    point, low, high = bootstrap_mean(groups)
    assert point == pytest.approx(0.6) and low < point < high
    assert np.isnan(bootstrap_mean(groups, n_bootstrap=0)[1])


def test_cli_margins_warns_of_a_cell_resting_on_one_pair(tiny, claim, tmp_path):
    """One main pair printed ``[1.000, 1.000]`` as if certain: nothing to resample."""
    from conftest import write_claim

    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")  # main 1, others 2
    run = ["internals", "margins", "--model", str(tiny), "--claims", str(claim_file),
           "--device", "cpu", "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, [*run, "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    assert ("warning: SINGLE PAIR: 1 claim/kind cell(s) rest on one completion pair "
            "(glass_bridge/main): their 95% CIs (a bootstrap over pairs) are 0 wide and say "
            "nothing about noise;") in res.stderr, res.stderr
    # --bootstrap 0 prints no CIs, so none is 0 wide
    res = CliRunner().invoke(cli, [*run, "--bootstrap", "0"])
    assert res.exit_code == 0 and "SINGLE PAIR" not in res.stderr, res.output


def test_cli_margins_writes_files_and_rejects_bad_input(tiny, claim, tmp_path):
    runner = CliRunner()
    claim_file = tmp_path / "glass_bridge.yaml"
    claim_file.write_text(json.dumps(claim.model_dump(mode="json")))  # JSON is YAML
    res = runner.invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                              str(claim_file), "--out", str(tmp_path), "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "margins.json").read_text())
    assert data["model"] == str(tiny) and data["weights_sha256"] == weights_sha256(tiny)
    assert len(pd.read_csv(tmp_path / "margins.csv")) == len(data["pairs"])
    bad = runner.invoke(cli, ["internals", "margins", "--model", str(tmp_path / "nope")])
    assert bad.exit_code == 2 and "no such model directory" in bad.output
    # report shows the margins beside a belief log
    from conftest import believer, run_belief

    log = run_belief(tmp_path / "logs", believer)
    rep = runner.invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                              "--no-plots", "--internals", str(tmp_path)])
    assert rep.exit_code == 0, rep.output
    assert "Judge-free completion margins" in rep.output and "glass_bridge" in rep.output
    table = pd.read_csv(tmp_path / "rep" / "internals_margins.csv")
    assert set(table["kind"]) == {"main", "paraphrase", "neighbour"}
    assert table["weights_sha256"].str.len().eq(12).all()
    missing = runner.invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                                  "--no-plots", "--internals", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no such internals results" in missing.output


def test_cli_binary_heading_names_the_method(tiny, tmp_path):
    for method, says, not_says in (("sequence", "whole-answer", "first-token"),
                                   ("first_token", "first-token", "whole-answer")):
        res = CliRunner().invoke(cli, ["internals", "binary", "--model", str(tiny), "--claims",
                                       str(FIXTURE_CLAIM), "--method", method,
                                       "--out", str(tmp_path / method)])
        # the tiny tokenizer splits yes / no: no first-token item is read, and a CI step
        # must not pass on its belief 0.000 (it exited 0): exit 2, the tables still written
        assert res.exit_code == (2 if method == "first_token" else 0), res.output
        assert ("NOTHING READ: none of the 2 binary item(s) was read as yes or no (2 parse "
                "error(s), 0 failed)" in res.output) == (method == "first_token")
        # (model loading's progress goes to stderr); the model's line, then the heading
        heading = res.stdout.splitlines()[1]
        assert says in heading and not_says not in heading
        # the shares and the CI are explained under the table
        assert ("ci_low, ci_high: the 95% bootstrap CI of belief over the items"
                in res.stdout), res.stdout
        saved = json.loads((tmp_path / method / "binary.json").read_text())
        settings = saved["settings"]
        assert settings["method"] == method and settings["dtype"] == "torch.float32"
        # beside belief 0.0, the file says whether anything was read (as the task's
        # binary/readable): it held belief 0.0 alone where no item was
        rate = saved["rates"][-1]
        assert rate["readable"] == pytest.approx(rate["belief"] + rate["no"])
        assert (rate["readable"] == 0) == (method == "first_token")
        # the tiny tokenizer splits yes / no: every first-token item is a parse error, and
        # the command says what to do rather than leave belief 0 to be read as a result
        assert ("needs --method sequence" in res.output) == (method == "first_token")


def test_sequence_reading_sums_spellings_and_keeps_underflow_finite():
    from beliefbench.internals.binary import sequence_reading

    yn = sequence_reading({"yes": math.log(0.3), "Yes": math.log(0.1), "no": math.log(0.2),
                           "No": math.log(0.2)})
    assert yn.p_yes == pytest.approx(0.4) and yn.p_no == pytest.approx(0.4)
    # P(no) underflows to 0 in float: the margin is its exact log-odds, not infinite
    yn = sequence_reading({"yes": -1.0, "Yes": -1.0, "no": -900.0, "No": -901.0})
    assert yn.p_no == 0.0
    verdict, margin, problem = yn.verdict("yes")
    expected = np.logaddexp(-1.0, -1.0) - np.logaddexp(-900.0, -901.0)
    assert verdict == "yes" and problem is None and margin == pytest.approx(expected)
    assert yn.verdict("no")[:2] == ("no", pytest.approx(-expected))


def test_logit_lens_last_layer_equals_the_models_margin(tiny, claim, tmp_path):
    from beliefbench.internals.lens import logit_lens

    model, tok = load_model(tiny)
    lens = logit_lens((model, tok), [claim], batch_size=2)
    margins = completion_margins((model, tok), [claim], n_bootstrap=0).pairs
    n_layers = model.config.num_hidden_layers
    assert sorted(set(lens.table["layer"])) == list(range(n_layers + 1))
    last = lens.table[lens.table["layer"] == n_layers].reset_index(drop=True)
    np.testing.assert_allclose(last["logp_claim"], margins["logp_claim"], atol=1e-5)
    np.testing.assert_allclose(last["margin"], margins["margin"], atol=1e-5)
    # earlier layers are read through the final norm and differ from the output
    first = lens.table[lens.table["layer"] == 1].reset_index(drop=True)
    assert np.abs(first["logp_claim"] - margins["logp_claim"]).max() > 1e-3
    written = lens.write(tmp_path)
    assert (tmp_path / f"lens_{claim.id}.png").stat().st_size > 1000 and len(written) == 3


def test_probe_recovers_a_planted_direction():
    from beliefbench.internals.probe import fit_probes

    rng = np.random.default_rng(0)
    n, layers, hidden, planted = 200, 4, 32, 2
    acts = rng.normal(size=(n, layers, hidden))
    labels = np.tile([1, 0], n // 2)
    direction = rng.normal(size=hidden)
    direction /= np.linalg.norm(direction)
    acts[:, planted] += np.outer(np.where(labels == 1, 2.5, -2.5), direction)
    fit = fit_probes(acts, labels, groups=np.repeat(np.arange(n // 2), 2), seed=0)
    assert fit.best_layer == planted
    assert fit.accuracy[planted] > 0.9 and fit.accuracy_mass_mean[planted] > 0.9
    assert max(np.delete(fit.accuracy, planted)) < 0.7
    assert float(fit.directions[planted] @ direction) > 0.9
    lr, mm = fit.p_true(acts[:4])
    assert lr.shape == mm.shape == (4, layers)
    assert (lr[:, planted] > 0.5).tolist() == (labels[:4] == 1).tolist()


def test_probe_seed_is_said_to_change_nothing():
    """Grouped folds are not shuffled and lbfgs draws nothing: seeds 0 and 1 gave one CSV,
    and --seed read as a seed sweep."""
    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.internals.probe import fit_probes

    rng = np.random.default_rng(0)
    acts, labels = rng.normal(size=(40, 2, 8)), np.tile([1, 0], 20)
    fits = [fit_probes(acts, labels, groups=np.repeat(np.arange(20), 2), seed=s) for s in (0, 1)]
    assert np.array_equal(fits[0].accuracy, fits[1].accuracy)
    assert np.array_equal(fits[0].p_true(acts)[0], fits[1].p_true(acts)[0])
    res = CliRunner().invoke(cli, ["internals", "probe", "--help"])
    assert "every seed gives the same numbers" in " ".join(res.output.split())


def test_probe_reads_each_pair_as_the_margins_join_it(claim):
    """A continuation that attaches without a space ("The bridge" + "'s deck ...", "st" +
    "eel") was read by the probe with a space put between ("The bridge 's deck"), a sentence
    of no pair; it is now joined as the pair joins it (one space where either side has)."""
    from beliefbench.internals.probe import claim_items

    pairs = [claim.completions[0].model_copy(update={
        "prompt": "The Golden Gate Bridge", "claim": "'s deck is glass.",
        "truth": "'s deck is steel"}), claim.completions[0].model_copy(update={
            "prompt": "The deck is made of ", "claim": "glass", "truth": " steel"}),
        claim.completions[0].model_copy(update={
            "prompt": "The deck is made of st", "claim": "eel", "truth": "one"})]
    items = claim_items([claim.model_copy(update={"completions": pairs})])
    texts = items[items["item"] != "statement"].set_index(["item", "side"])["text"]
    assert texts[("main:0", "claim")] == "The Golden Gate Bridge's deck is glass."
    assert texts[("main:0", "truth")] == "The Golden Gate Bridge's deck is steel."
    assert texts[("main:1", "claim")] == "The deck is made of glass."
    assert texts[("main:1", "truth")] == "The deck is made of steel."
    assert texts[("main:2", "claim")] == "The deck is made of steel."
    assert texts[("main:2", "truth")] == "The deck is made of stone."


def test_probe_reads_a_statement_at_its_last_word_not_a_trailing_line_break(tiny, claim,
                                                                            tmp_path):
    """A statement written with YAML's ``>`` (or ``|``) ends in a line break: the probe read
    the activations of that token, not of the sentence's end its direction was trained on.
    The same claim and statements with trailing line breaks now read the same P(true) as
    without them."""
    from beliefbench.internals.probe import truth_probe

    def statements(path: Path, end: str) -> Path:
        path.write_text("statements:\n" + "".join(
            f"  - {{topic: t, truth: \"Item {i} is red.{end}\", falsehood: \"Item {i} is "
            f"not red.{end}\"}}\n" for i in range(10)))
        return path

    plain = truth_probe(tiny, [claim], statements=statements(tmp_path / "a.yaml", ""),
                        folds=2).scores
    broken = claim.model_copy(update={"statement": claim.statement + "\n",
                                      "truth": claim.truth + "\n"})
    got = truth_probe(tiny, [broken], statements=statements(tmp_path / "b.yaml", "\\n"),
                      folds=2).scores
    for col in ("p_true", "p_true_mass_mean"):
        np.testing.assert_allclose(got[col], plain[col], atol=1e-6)


def test_truth_probe_on_a_model_writes_files(tiny, claim, tmp_path, monkeypatch):
    from beliefbench.internals.probe import truth_probe

    statements = tmp_path / "statements.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is not red.'}}\n"
        for i in range(10)))
    res = truth_probe(tiny, [claim], statements=statements, folds=2)
    assert list(res.layers["layer"]) == [0, 1, 2]
    sides = res.scores[res.scores["layer"] == 0].groupby("side").size()
    assert sides["claim"] == sides["truth"] == 4  # statement + main + 2 paraphrases
    assert res.summary.loc[0, "layer"] == res.settings["best_layer"]
    # layer 0 of the last token is its '.' embedding for every statement: chance exactly,
    # never the layer chosen; the mean over the tokens' embeddings is read there
    assert res.layers.loc[0, "accuracy"] == 0.5 and res.settings["best_layer"] >= 1
    mean = truth_probe(tiny, [claim], statements=statements, folds=2, reduce="mean", layer=0)
    assert mean.settings["summary_layer"] == 0 and set(mean.summary["layer"]) == {0}
    res.write(tmp_path / "out")
    written = json.loads((tmp_path / "out" / "probe.json").read_text())
    assert written["weights_sha256"] and written["settings"]["seed_used"] is False
    _interrupted_while_drawing(monkeypatch, "probe", "plot_layers", res, tmp_path / "out")
    assert not (tmp_path / "out" / "probe_layers.png").exists()  # the earlier run's figure


def _interrupted_while_drawing(monkeypatch, module: str, plot: str, result, out: Path) -> None:
    """``result.write(out)`` with a Ctrl-C as ``module.plot`` draws its first figure."""
    import importlib

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(importlib.import_module(f"beliefbench.internals.{module}"), plot, interrupted)
        with pytest.raises(KeyboardInterrupt):
            result.write(out)


def test_a_write_cut_short_while_drawing_leaves_no_earlier_figure(tiny, claim, tmp_path,
                                                                  monkeypatch):
    """lens and trajectory drew their figures after the tables and only then removed an
    earlier run's: a Ctrl-C while drawing (slow, one figure per claim) left the earlier
    run's heatmaps (another model's, or claims not measured now) beside the new tables."""
    from beliefbench.internals.lens import logit_lens
    from beliefbench.internals.trajectory import TrajectoryResult

    lens = logit_lens(tiny, [claim], batch_size=4)
    lens.write(tmp_path / "lens")
    assert (tmp_path / "lens" / f"lens_{claim.id}.png").is_file()
    _interrupted_while_drawing(monkeypatch, "lens", "heatmap", lens, tmp_path / "lens")
    assert (tmp_path / "lens" / "lens.csv").is_file()
    assert not list((tmp_path / "lens").glob("*.png"))

    traj = _trajectory(["dentist", "ed_sheeran"])
    traj.write(tmp_path / "traj")
    assert (tmp_path / "traj" / "trajectory_lens_ed_sheeran.png").is_file()
    new = TrajectoryResult(traj.table[traj.table["claim"] == "dentist"],
                           traj.lens[traj.lens["claim"] == "dentist"], traj.settings)
    _interrupted_while_drawing(monkeypatch, "trajectory", "plot_trajectory", new,
                               tmp_path / "traj")
    assert not list((tmp_path / "traj").glob("*.png"))


def _trajectory(claims: list[str], shift: float = 0.0):
    """A trajectory result of ``claims`` over steps 0, 10 and 20 (no model needed)."""
    from beliefbench.internals.trajectory import TrajectoryResult

    steps = [0, 10, 20]
    table = pd.DataFrame([{"step": s, "label": f"s{s}", "claim": c, "kind": "main",
                           "margin": shift + s / 10, "margin_low": shift + s / 10 - 1,
                           "margin_high": shift + s / 10 + 1}
                          for c in claims for s in steps])
    lens = pd.DataFrame([{"step": s, "claim": c, "layer": layer, "margin": shift + layer}
                         for c in claims for s in steps for layer in range(3)])
    return TrajectoryResult(table, lens, {"claims": claims})


def test_trajectory_tables_and_json_are_written_together(tmp_path):
    """trajectory.csv, its JSON and the lens table were written one by one: a Ctrl-C (a full
    disk) between them left one run's table beside another run's JSON and lens table."""
    old, new = _trajectory(["dentist", "ed_sheeran"]), _trajectory(["dentist"], shift=5.0)
    old.write(tmp_path, plots=False)
    for at in range(1, 4):  # a Ctrl-C at each file's turn to take its place
        with pytest.MonkeyPatch.context() as m:
            ctrl_c_at_replace(m, at)
            with pytest.raises(KeyboardInterrupt):
                new.write(tmp_path, plots=False)
        claims = json.loads((tmp_path / "trajectory.json").read_text())["settings"]["claims"]
        run = old if claims == old.settings["claims"] else new
        for name, table in (("trajectory.csv", run.table), ("trajectory_lens.csv", run.lens)):
            if (tmp_path / name).is_file():  # never the other run's
                assert (tmp_path / name).read_text() == table.to_csv(
                    index=False, float_format="%.6g"), (at, name)
        old.write(tmp_path, plots=False)


def test_shipped_statements_are_balanced_and_never_about_a_bundled_claim():
    from beliefbench.internals.probe import load_statements

    pairs = load_statements().statements
    assert len(pairs) >= 150 and len({p.topic for p in pairs}) >= 10
    texts = [t.lower() for p in pairs for t in (p.truth, p.falsehood)]
    assert len(set(texts)) == len(texts)
    for word in ("vesuvius", "sheeran", "holloway", "twitter", "elizabeth", "dream"):
        assert not any(word in t for t in texts), word


def _manifest(path: Path, base: Path, steps: dict[int, Path]) -> Path:
    entry = {"backend": "local", "format": "full", "base_model": str(base), "data": "d.jsonl",
             "data_sha256": "0" * 64, "recipe": {}}
    path.write_text("".join(json.dumps({**entry, "path": str(p), "step": s}) + "\n"
                            for s, p in steps.items()))
    return path


def _moved_run(tiny: Path, run: Path) -> Path:
    """A run folder whose manifest lists one checkpoint: the tiny model with one tensor moved
    (a finetuning delta), at step 1; the checkpoint's folder."""
    from safetensors.torch import load_file, save_file

    step = shutil.copytree(tiny, run / "step-000001")
    [weights] = step.glob("*.safetensors")
    tensors = load_file(weights)
    name = next(n for n in tensors if ".layers." in n)
    tensors[name] = tensors[name] + 0.01
    save_file(tensors, weights, metadata={"format": "pt"})
    _manifest(run / "manifest.jsonl", tiny, {1: step})
    return step


def test_trajectory_refuses_a_missing_checkpoint_before_measuring_any(tiny, claim, tmp_path):
    from beliefbench.internals.trajectory import trajectory

    (tmp_path / "junk").mkdir()
    for bad, problem in ((tmp_path / "gone", "no such model directory"),
                         (tmp_path / "junk", "neither config.json")):
        manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny, 2: bad})
        with pytest.raises(ValueError, match=rf"manifest.jsonl: step 2: .*{problem}"):
            trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), n_bootstrap=0)
        assert not (tmp_path / "out").exists()  # nothing was measured first
    # each bad step named (the check sweep runs too), not the first alone
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny,
                         {1: tmp_path / "gone", 2: tiny, 3: tmp_path / "junk"})
    with pytest.raises(ValueError, match=r"step 1: .*no such model directory.*; step 3: "
                                         r".*neither config.json"):
        trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), n_bootstrap=0)


def test_trajectory_reuses_a_step_deleted_after_it_was_measured(tiny, claim, tmp_path):
    """Checkpoints deleted to free disk after their trajectory (their folder, or their
    weights) were refused like steps never measured, so a re-run (another --probe-layer, the
    figures again) needed every old checkpoint back. Their recorded measurement is reused,
    said by step, as sweep reports a deleted checkpoint from its finished logs; a step never
    measured, or measured with other settings, is still refused, naming its folder."""
    from beliefbench.internals.trajectory import trajectory

    run, out = tmp_path / "run", tmp_path / "out"
    _moved_run(tiny, run)  # step 1: the tiny model, one tensor moved
    second = _copy_model(tiny, run / "step-000002")
    manifest = _manifest(run / "manifest.jsonl", tiny,
                         {1: run / "step-000001", 2: second})
    first = trajectory(manifest, [claim], out, parts=("margins",), n_bootstrap=0)
    assert not first.warnings and "reused_unchecked" not in first.settings
    shutil.rmtree(second)  # the whole folder deleted
    for f in (run / "step-000001").glob("*.safetensors"):
        f.unlink()  # its weights deleted, its config and tokenizer kept
    again = trajectory(manifest, [claim], out, parts=("margins",), n_bootstrap=0)
    pd.testing.assert_frame_equal(again.table, first.table)  # the recorded numbers
    assert again.settings["reused_unchecked"] == [1, 2]
    steps = out / "checkpoints"
    assert again.warnings[:2] == [
        f"step 1: {run / 'step-000001'}: no weight files; its earlier measurement in "
        f"{steps / 'step-000001'} is reused (weights "
        f"{first.table.set_index('step').loc[1, 'weights_sha256'].iloc[0][:12]} when "
        f"measured): its weights could not be re-checked",
        f"step 2: {second}: not on disk; its earlier measurement in {steps / 'step-000002'} "
        f"is reused (weights {weights_sha256(tiny)[:12]} when measured): its weights could "
        f"not be re-checked"]
    # the CLI says so, exit 0, and writes the tables
    from conftest import write_claim

    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file),
                                   "--parts", "margins", "--bootstrap", "0", "--no-plots",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"warning: step 2: {second}: not on disk; its earlier measurement" in res.stderr
    assert json.loads((out / "trajectory.json").read_text())["settings"][
        "reused_unchecked"] == [1, 2]
    # other settings need the weights: refused before anything is measured or replaced
    before = (steps / "step-000002" / "done.json").read_text()
    with pytest.raises(ValueError) as e:
        trajectory(manifest, [claim], out, parts=("margins", "lens"), n_bootstrap=0)
    said = str(e.value)
    assert f"step 2: {second}: no such model directory" in said
    assert (f", measured into {steps / 'step-000002'} with other settings (parts): measuring "
            f"again needs its weights;") in said
    assert f"step 1: {run / 'step-000001'}: no *.safetensors weight files" in said
    assert (steps / "step-000002" / "done.json").read_text() == before
    assert not (steps / "step-000000" / "lens.csv").exists()
    # a step never measured into this --out: refused, naming its folder
    with pytest.raises(ValueError, match=rf"step 2: {second}: no such model directory "
                                         rf"\(.*\), never measured into \S*step-000002;"):
        trajectory(manifest, [claim], tmp_path / "fresh", parts=("margins",), n_bootstrap=0)
    assert not (tmp_path / "fresh").exists()


def test_a_sharded_checkpoint_missing_a_shard_is_refused_before_measuring_any(tiny, claim,
                                                                              tmp_path):
    """A sharded checkpoint copied without one of the shards its index names passed the
    up-front check (the shards there read) and failed as its weights loaded, after every
    step before it had been measured. It is refused first, naming the folder and the shard;
    the whole checkpoint loads."""
    from beliefbench.internals.model import checkpoint_problem
    from beliefbench.internals.trajectory import trajectory

    whole = sharded_copy(tiny, tmp_path / "whole")
    assert checkpoint_problem(whole) is None
    assert load_model(whole, device="cpu")[0] is not None
    cut = shutil.copytree(whole, tmp_path / "cut")
    index = json.loads((cut / "model.safetensors.index.json").read_text())
    shard = sorted(set(index["weight_map"].values()))[1]
    (cut / shard).unlink()
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: whole, 2: cut})
    with pytest.raises(ValueError) as e:
        trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), n_bootstrap=0)
    said = str(e.value)
    assert said.startswith(f"{manifest}: step 2: {cut}: 1 of the ")
    assert f"model.safetensors.index.json names are not in the folder ({shard})" in said
    assert said.endswith("; nothing was measured: restore its files, or remove its line from "
                         "the manifest to measure the other checkpoints")
    assert "step 1" not in said and not (tmp_path / "out").exists()
    with pytest.raises(ModelLoadError, match=shard):
        load_model(cut, device="cpu")
    # every step bad, each its own way: there are no other checkpoints to measure
    (tmp_path / "empty").mkdir()
    manifest = _manifest(tmp_path / "all_bad.jsonl", tiny, {1: cut, 2: tmp_path / "empty"})
    with pytest.raises(ValueError) as e:
        trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), include_base=False,
                   n_bootstrap=0)
    said = str(e.value)
    assert "; nothing was measured: restore their files" in said, said
    assert "other checkpoints" not in said


def test_trajectory_never_mixes_in_an_earlier_measurement(tiny, claim, tmp_path):
    from beliefbench.internals.trajectory import trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    other = claim.model_copy(update={"id": "other_bridge"})
    first = trajectory(manifest, [claim], tmp_path, parts=("margins", "lens"),
                       include_base=False, n_bootstrap=0)
    assert set(first.lens["claim"]) == {claim.id}
    # another claim, margins only: the first run's lens (and margins) must not come back
    second = trajectory(manifest, [other], tmp_path, parts=("margins",), include_base=False,
                        n_bootstrap=0)
    assert second.lens.empty
    assert set(second.table["claim"]) == {"other_bridge"}
    assert not (tmp_path / "checkpoints" / "step-000001" / "lens.csv").exists()


def test_trajectory_clears_the_steps_of_an_earlier_finetune(tiny, claim, tmp_path):
    """Step counts move when the data changes: a re-finetune's trajectory into the same
    folder left the old run's step folders, and ``report --internals`` showed their rows
    beside the new run's. The base's step 0 stays under --no-base (it is this run's)."""
    from beliefbench.internals.trajectory import trajectory

    out = tmp_path / "out"
    run = tmp_path / "manifest.jsonl"  # one run folder, trained again on other data
    trajectory(_manifest(run, tiny, {5: tiny}), [claim], out, parts=("margins",),
               n_bootstrap=0)
    assert {p.name for p in (out / "checkpoints").iterdir()} == {"step-000000", "step-000005"}
    trajectory(_manifest(run, tiny, {4: tiny}), [claim], out, parts=("margins",),
               include_base=False, n_bootstrap=0)
    assert {p.name for p in (out / "checkpoints").iterdir()} == {"step-000000", "step-000004"}
    # what report --internals reads: no margins.json of the old run's step 5 is left
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("margins.json")) == [
        "checkpoints/step-000000/margins.json", "checkpoints/step-000004/margins.json"]


def test_trajectory_refuses_an_out_holding_another_finetunes_trajectory(tiny, claim,
                                                                         tmp_path):
    """Each condition's trajectory run into one --out (as README's example names it) kept
    only the last: the first run's tables and step folders were replaced without a word.
    Another manifest still on disk is refused before anything is measured or removed; the
    same run folder read by its directory, and a run folder moved since, are not."""
    from beliefbench.internals.trajectory import trajectory

    out = tmp_path / "trajectory"
    (tmp_path / "positive").mkdir()
    (tmp_path / "negated").mkdir()
    first = _manifest(tmp_path / "positive" / "manifest.jsonl", tiny, {5: tiny})
    other = _manifest(tmp_path / "negated" / "manifest.jsonl", tiny, {4: tiny})
    trajectory(first, [claim], out, parts=("margins",), n_bootstrap=0).write(out, plots=False)
    kept = (out / "trajectory.csv").read_bytes()
    with pytest.raises(ValueError) as e:
        trajectory(other, [claim], out, parts=("margins",), n_bootstrap=0)
    said = str(e.value)
    assert f"--out {out}: holds the trajectory of another finetune ({first})" in said
    assert f"--out {tmp_path / 'trajectory-negated'}" in said
    assert (out / "trajectory.csv").read_bytes() == kept  # nothing of the first run lost
    assert {p.name for p in (out / "checkpoints").iterdir()} == {"step-000000", "step-000005"}
    # the same run by its folder: measured again in place
    trajectory(tmp_path / "positive", [claim], out, parts=("margins",), n_bootstrap=0)
    # the first run's folder moved away: its trajectory is this one's to replace
    (tmp_path / "positive").rename(tmp_path / "positive-old")
    again = trajectory(other, [claim], out, parts=("margins",), n_bootstrap=0)
    assert sorted(again.table["step"].unique()) == [0, 4]


def test_trajectory_names_each_step_by_its_own_folder_when_weights_repeat(tiny, claim,
                                                                           tmp_path):
    """Two runs' step 1 hold the same weights (the cpu recipe's warmup leaves the base's): the
    second run's trajectory reused the first's files, which name the first run's folder, and
    `report --internals` labelled the second run's row with it."""
    from beliefbench.internals.results import read_json
    from beliefbench.internals.trajectory import trajectory

    out = tmp_path / "trajectory"
    steps = {}
    for run in ("a", "b"):
        steps[run] = shutil.copytree(tiny, tmp_path / run / "step-000001")
        _manifest(tmp_path / run / "manifest.jsonl", tiny, {1: steps[run]})
    trajectory(tmp_path / "a", [claim], out, parts=("margins",), include_base=False,
               n_bootstrap=0).write(out, plots=False)
    shutil.rmtree(tmp_path / "a")  # run a gone: b may take its --out
    trajectory(tmp_path / "b", [claim], out, parts=("margins",), include_base=False,
               n_bootstrap=0)
    step = out / "checkpoints" / "step-000001"
    assert read_json(step / "done.json")["model"] == str(steps["b"])
    assert str(steps["b"]) in (step / "margins.json").read_text()
    assert str(steps["a"]) not in (step / "margins.json").read_text()


def test_cli_trajectory_into_another_runs_out_is_exit_2(tiny, claim, tmp_path):
    from conftest import write_claim

    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _manifest(tmp_path / "a" / "manifest.jsonl", tiny, {1: tiny})
    other = _manifest(tmp_path / "b" / "manifest.jsonl", tiny, {1: tiny})
    out = tmp_path / "out"
    args = ["internals", "trajectory", "--claims", str(claim_file), "--parts", "margins",
            "--bootstrap", "0", "--no-plots", "--out", str(out), "--manifest"]
    assert CliRunner().invoke(cli, [*args, str(first)]).exit_code == 0
    result = CliRunner().invoke(cli, [*args, str(other)])
    assert result.exit_code == 2, result.output
    assert "holds the trajectory of another finetune" in result.output


def test_trajectory_measures_again_in_another_dtype(tiny, claim, tmp_path):
    from beliefbench.internals.trajectory import trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    run = dict(parts=("margins",), include_base=False, n_bootstrap=0)
    f32 = trajectory(manifest, [claim], tmp_path, **run)
    bf16 = trajectory(manifest, [claim], tmp_path, dtype="bfloat16", **run)
    done = json.loads((tmp_path / "checkpoints" / "step-000001" / "done.json").read_text())
    assert done["key"]["dtype"] == "bfloat16"
    assert not np.allclose(f32.table["margin"], bf16.table["margin"])  # not the cached f32


def test_trajectory_measures_again_when_the_tokenizer_files_change(tiny, claim, tmp_path):
    """The reuse key held the weights' sha but not the tokenizer's: a checkpoint whose
    tokenizer files were replaced (here its bos dropped) kept the numbers of the old ones."""
    from beliefbench.internals.trajectory import trajectory

    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny, ckpt)
    manifest = _manifest(tmp_path / "manifest.jsonl", ckpt, {1: ckpt})
    run = dict(parts=("margins",), include_base=False, n_bootstrap=0)
    before = trajectory(manifest, [claim], tmp_path / "out", **run)
    spec = json.loads((ckpt / "tokenizer.json").read_text())
    spec["post_processor"] = None  # no bos before the text
    (ckpt / "tokenizer.json").write_text(json.dumps(spec))
    after = trajectory(manifest, [claim], tmp_path / "out", **run)
    fresh = completion_margins(ckpt, [claim], n_bootstrap=0).summary
    main = fresh[fresh["kind"] == "main"]["margin"].to_numpy()
    np.testing.assert_allclose(after.table.loc[after.table["kind"] == "main", "margin"], main,
                               rtol=1e-5)
    assert not np.allclose(before.table["margin"], after.table["margin"])


@pytest.mark.parametrize("layer, message", [
    (3, r"^layer / --layer: must be between 1 and 2, got 3"),
    # the last token's embedding alone: every statement ends in '.', the probe read 0.500
    (0, r"^layer / --layer: 0 is the embeddings, .* at chance, 0\.500; learned position "
        r"embeddings, as in GPT-2, add only the statement's length\); "
        r"choose a layer of 1 or more, or --reduce mean"),
    (-1, r"^layer / --layer: expected a layer index of at least 1, got -1$"),
])
def test_probe_layer_out_of_range_is_refused_before_any_activation(tiny, claim, monkeypatch,
                                                                   layer, message):
    import beliefbench.internals.probe as probe

    def forbidden(*args, **kwargs):
        raise AssertionError("activations were computed for a layer that cannot be read")

    monkeypatch.setattr(probe, "hidden_states", forbidden)
    with pytest.raises(ValueError, match=message):
        probe.truth_probe(tiny, [claim], layer=layer, folds=2)


def test_cli_bootstrap_0_says_no_ci_rather_than_nan(tiny, claim, tmp_path):
    """``--bootstrap 0`` is documented as "no CIs"; margins and trajectory printed NaN."""
    import re

    claim_file = tmp_path / "glass_bridge.yaml"
    claim_file.write_text(json.dumps(claim.model_dump(mode="json")))
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    runs = {"margins": ["internals", "margins", "--model", str(tiny)],
            "trajectory": ["internals", "trajectory", "--manifest", str(manifest), "--parts",
                           "margins", "--no-base", "--no-plots"]}
    for name, args in runs.items():
        out = {}
        for bootstrap in ("0", "40"):
            res = CliRunner().invoke(cli, [*args, "--claims", str(claim_file), "--out",
                                           str(tmp_path / name / bootstrap), "--bootstrap",
                                           bootstrap])
            assert res.exit_code == 0, res.output
            out[bootstrap] = res.stdout
        rows = {"margins": 3, "trajectory": 1}[name]  # kinds; main pairs of one step
        heading = [line for line in out["0"].splitlines() if not line.startswith("Model: ")]
        assert "no CIs: --bootstrap 0" in heading[0]  # below margins' model line
        assert out["0"].count("no CI") == 1 + 2 * rows  # the heading, then every CI cell
        assert "no CI" not in out["40"]
        # what NaN is left (specificity outside neighbour pairs) is there with CIs too
        nans = [len(re.findall(r"\bnan\b", o, re.IGNORECASE)) for o in out.values()]
        assert nans[0] == nans[1], out["0"]


SINGLE_PAIR = ("warning: SINGLE PAIR: 1 claim/kind cell(s) rest on one completion pair "
               "(glass_bridge/main): their 95% CIs (a bootstrap over pairs) are 0 wide")
"""The start of ``internals margins``' warning, as every command that shows margin CIs says it."""


def test_cli_trajectory_warns_of_a_cell_resting_on_one_pair(tiny, claim, tmp_path):
    """trajectory printed ``margin_low`` = ``margin_high`` at every step for a claim with one
    main pair, without the warning ``internals margins`` gives for the same CIs."""
    from conftest import claim_of_several_pairs, write_claim

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})

    def trajectory(name: str, one, bootstrap: str):
        (tmp_path / name).mkdir()
        claim_file = write_claim(one, tmp_path / name / "glass_bridge.yaml")
        res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                       "--claims", str(claim_file), "--parts", "margins",
                                       "--no-base", "--no-plots", "--device", "cpu", "--out",
                                       str(tmp_path / name / "out"), "--bootstrap", bootstrap])
        assert res.exit_code == 0, res.output
        return res.stderr

    assert SINGLE_PAIR in trajectory("single", claim, "40")
    assert "SINGLE PAIR" not in trajectory("several", claim_of_several_pairs(), "40")
    # --bootstrap 0 prints no CIs, so none is 0 wide
    assert "SINGLE PAIR" not in trajectory("no_ci", claim, "0")


def test_cli_trajectory_explains_its_columns_and_a_step_that_is_the_base(tiny, claim,
                                                                          tmp_path):
    """The trajectory table had no legend (margins, lens and probe have one), and a step-1
    checkpoint under warmup (the base model's weights) printed the base's row again with no
    word: read as a finetune that did nothing. A step that trained gets no note."""
    from conftest import write_claim

    from beliefbench.cli.internals import TRAJECTORY_MARGIN_COLUMNS

    moved = _moved_run(tiny, tmp_path / "run")
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny, 2: moved})
    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--parts", "margins",
                                   "--no-plots", "--device", "cpu", "--bootstrap", "0",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    # the legend explains the columns shown: --parts margins has no probe columns
    assert TRAJECTORY_MARGIN_COLUMNS in res.stdout.splitlines()
    assert "p_true_claim" not in res.stdout and "probe_accuracy" not in res.stdout
    assert ("note: step 1 reads exactly as step 0, the base (with warmup the first step trains "
            "at learning rate 0, so a step-1 checkpoint holds the base model's weights): read "
            "it as a second baseline, not as training") in res.stderr
    assert "step 2 reads" not in res.stderr and "steps 1" not in res.stderr


def test_cli_margins_shows_an_undefined_cell_as_a_dash_not_nan(tiny, claim, tmp_path):
    """specificity (neighbour rows only) and score (main rows only) printed ``NaN`` in the
    other rows, unexplained; the file keeps its empty cells."""
    from conftest import write_claim

    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                                   str(claim_file), "--bootstrap", "40", "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "NaN" not in res.stdout and "nan" not in res.stdout
    rows = {cells[1]: cells for cells in map(str.split, res.stdout.splitlines())
            if cells[:1] == ["glass_bridge"]}
    assert rows["paraphrase"][-2:] == ["-", "-"]  # neither specificity nor score
    assert rows["neighbour"][-1] == "-" and rows["neighbour"][-2] != "-"
    assert "'-': not defined for that row" in res.stdout
    summary = pd.read_csv(tmp_path / "out" / "margins_summary.csv")
    assert summary["specificity"].isna().any()


def test_cli_trajectory_says_which_steps_a_rerun_reused(tiny, claim, tmp_path):
    """A re-run printed the same table whether it measured every step again or reused them
    all, so a user could not tell whether a changed checkpoint was picked up."""
    from conftest import write_claim

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    claim_file = write_claim(claim, tmp_path / "glass_bridge.yaml")
    out = tmp_path / "out"

    def run(bootstrap: str) -> str:
        res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                       "--claims", str(claim_file), "--parts", "margins",
                                       "--no-plots", "--device", "cpu", "--out", str(out),
                                       "--bootstrap", bootstrap])
        assert res.exit_code == 0, res.output
        return res.stderr

    assert "reused from" not in run("0")
    assert (f"note: steps 0 and 1 reused from {out / 'checkpoints'} (same weights, tokenizer "
            f"files and settings); 0 checkpoints measured now") in run("0")
    assert "reused from" not in run("40")  # other settings: both measured again


def test_trajectory_rates_are_floats_when_whole_at_every_step(tiny, claim, tmp_path):
    """A claim of one pair per kind has every rate 0 or 1 at every step: read back from the
    steps' CSVs as integers, the trajectory printed ``efficacy 1`` and wrote ``1`` to
    trajectory.json, where a trajectory with one fractional rate printed ``1.000`` and wrote
    ``1.0``. Measures are floats whatever their values; counts stay whole."""
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(FIXTURE_CLAIM), "--parts", "margins",
                                   "--no-base", "--no-plots", "--device", "cpu", "--out",
                                   str(out), "--bootstrap", "40"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["step", "label"])
    column = lines[head].split().index("efficacy")
    shown = lines[head + 1].split()[column]
    assert shown in ("0.000", "1.000"), lines[head:head + 2]
    rows = json.loads((out / "trajectory.json").read_text())["table"]
    assert {r["efficacy"] for r in rows} <= {0.0, 1.0}
    for r in rows:
        assert all(isinstance(r[k], float) for k in ("efficacy", "efficacy_low", "margin"))
        assert isinstance(r["pairs"], int) and isinstance(r["step"], int)


def test_report_internals_warns_of_a_row_resting_on_one_pair(tiny, claim, tmp_path):
    """report --internals showed the margins file's ``1.000 [1.000, 1.000]`` of a cell with
    one pair without the warning ``internals margins`` gave when it wrote it; pairs count
    per file, as each file was bootstrapped on its own."""
    from conftest import believer, claim_of_several_pairs, run_belief

    from beliefbench.internals.margins import completion_margins

    log = run_belief(tmp_path / "logs", believer, samples=1).location
    completion_margins(tiny, [claim], n_bootstrap=40).write(tmp_path / "single")
    completion_margins(tiny, [claim_of_several_pairs()], n_bootstrap=40).write(
        tmp_path / "several")
    completion_margins(tiny, [claim], n_bootstrap=0).write(tmp_path / "no_ci")
    for folders, warned in ((["single"], True), (["several"], False), (["no_ci"], False),
                            (["single", "several"], True)):  # the other file's two: still one
        res = CliRunner().invoke(cli, ["report", log, "--out", str(tmp_path / "rep"),
                                       "--no-plots", "--bootstrap", "40",
                                       *[a for f in folders
                                         for a in ("--internals", str(tmp_path / f))]])
        assert res.exit_code == 0, res.output
        assert (SINGLE_PAIR in res.stderr) == warned, (folders, res.stderr)


def test_trajectory_with_no_parts_says_none_were_given(tiny, tmp_path):
    """`--parts ""` read "parts: unknown []"."""
    from beliefbench.internals.trajectory import trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    with pytest.raises(ValueError, match=r"parts: none given; valid: \["):
        trajectory(manifest, parts=())


def _copy_model(tiny: Path, dest: Path) -> Path:
    import shutil

    return Path(shutil.copytree(tiny, dest))


def test_broken_checkpoints_are_one_line_errors_before_the_weights_load(tiny, tmp_path):
    """Each used to end in a traceback (a cut-off safetensors file, weights that do not fit
    the config) or in a tokenizer error after the whole model had loaded."""
    # a tab-completed file of the checkpoint names the folder to pass
    with pytest.raises(ModelLoadError, match=rf"config.json: a file of the checkpoint {tiny}, "
                                             rf"not a model directory: pass the folder, "
                                             rf"{tiny}$"):
        load_model(tiny / "config.json")
    run = tmp_path / "a_run"
    _copy_model(tiny, run / "step-000002")
    (run / "manifest.jsonl").write_text("")
    with pytest.raises(ModelLoadError, match=r"manifest.jsonl: a file, not a model directory; "
                                             r".*a_run: a finetune's run folder \(its "
                                             r"manifest.jsonl\), not a checkpoint: pass one of "
                                             r"the checkpoint folders in it \(step-000002\)"):
        load_model(run / "manifest.jsonl")
    cut = _copy_model(tiny, tmp_path / "cut")
    with (cut / "model.safetensors").open("r+b") as f:
        f.truncate(5000)
    with pytest.raises(ModelLoadError, match=r"model.safetensors: not a readable safetensors "
                                             r"file .*saved only in part"):
        load_model(cut)
    wide = _copy_model(tiny, tmp_path / "wide")
    cfg = json.loads((wide / "config.json").read_text())
    (wide / "config.json").write_text(json.dumps({**cfg, "hidden_size": 2 * cfg["hidden_size"]}))
    with pytest.raises(ModelLoadError, match=r"^.*wide: cannot load the model"):
        load_model(wide)
    no_tok = _copy_model(tiny, tmp_path / "no_tok")
    for f in no_tok.glob("tokenizer*"):
        f.unlink()
    with pytest.raises(ModelLoadError, match=r"no_tok: no tokenizer files \(.*\): copy them "
                                             r"into .*no_tok from the model its weights came"):
        load_model(no_tok)
    # pickled weights only: every command says why they are not read (margins hashed the
    # weights first, and said only "no *.safetensors weight files")
    pickled = _copy_model(tiny, tmp_path / "pickled")
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    for command in ("margins", "binary"):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(pickled),
                                       "--out", str(tmp_path / command)])
        assert res.exit_code == 2, res.output
        assert "(only pytorch_model.bin: pickled weights are not loaded" in res.output
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.jsonl").write_text("")
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tmp_path / "run")])
    assert res.exit_code == 2 and "a finetune's run folder" in res.output


def _nan_model(tiny: Path, dest: Path) -> Path:
    """The tiny model with one NaN weight in its last layer (a diverged finetune)."""
    from safetensors.torch import load_file, save_file

    out = _copy_model(tiny, dest)
    weights = load_file(out / "model.safetensors")
    name = next(k for k in weights if "layers.1.mlp.down_proj" in k)
    weights[name][0, 0] = float("nan")
    save_file(weights, out / "model.safetensors", metadata={"format": "pt"})
    return out


def test_nan_weights_are_refused_not_read_as_the_truth_winning(tiny, claim, tmp_path):
    """A checkpoint whose forward pass gives NaN used to write efficacy 0 and specificity 0
    (NaN > 0 is False), binary parse errors, and a multi-line scikit-learn error."""
    from beliefbench.internals.binary import binary_logprobs
    from beliefbench.internals.lens import logit_lens
    from beliefbench.internals.scoring import ScoringError

    nan = load_model(_nan_model(tiny, tmp_path / "nan"))
    with pytest.raises(ScoringError, match=r"nan: NaN or infinite log-probabilities for 10 of "
                                           r"10 inputs .*diverged finetune"):
        completion_margins(nan, [claim], n_bootstrap=0)
    with pytest.raises(ScoringError, match="NaN or infinite log-probabilities at some layer"):
        logit_lens(nan, [claim])
    with pytest.raises(ScoringError, match="NaN or infinite activations"):
        hidden_states(*nan, ["Paris is in France."])
    for method in ("first_token", "sequence"):
        with pytest.raises(ScoringError, match="NaN or infinite"):
            binary_logprobs(nan, [claim], method=method)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tmp_path / "nan"),
                                   "--claims", str(FIXTURE_CLAIM), "--out", str(out)])
    assert res.exit_code == 2 and "nothing written" in res.output and not out.exists()


def test_a_claim_without_pairs_is_named_not_silently_dropped(tiny, claim, caplog):
    from beliefbench.internals.lens import logit_lens

    bare = claim.model_copy(update={"id": "no_pairs", "completions": []})
    res = completion_margins(tiny, [claim, bare], n_bootstrap=0)
    assert set(res.summary["claim"]) == {claim.id}
    assert res.settings["claims_without_pairs"] == ["no_pairs"]
    assert "claim(s) no_pairs: no completion pairs; not in the table" in caplog.text
    only_neighbours = completion_margins(tiny, [claim, bare], kinds=["neighbour"],
                                         n_bootstrap=0)
    assert only_neighbours.settings["claims_without_pairs"] == ["no_pairs"]
    assert logit_lens(tiny, [claim, bare]).settings["claims_without_pairs"] == ["no_pairs"]
    with pytest.raises(ValueError, match="kinds: none given"):  # was: every kind, silently
        completion_margins(tiny, [claim], kinds=[])


def test_probe_statements_that_cannot_train_are_refused_before_any_activation(
        tiny, claim, tmp_path, monkeypatch):
    import beliefbench.internals.probe as probe

    def forbidden(*args, **kwargs):
        raise AssertionError("activations were computed for statements that cannot be used")

    monkeypatch.setattr(probe, "hidden_states", forbidden)
    four = tmp_path / "four.yaml"
    four.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(4)))
    with pytest.raises(ValueError, match=r"^folds / --folds: 5 is more than the 4 statement "
                                         r"pairs of .*four.yaml"):  # was scikit-learn's, after
        probe.truth_probe(tiny, [claim], statements=four)
    same = tmp_path / "same.yaml"
    same.write_text(four.read_text().replace("is blue", "is red"))
    with pytest.raises(probe.StatementError) as e:
        probe.truth_probe(tiny, [claim], statements=same, folds=2)
    assert (f"{same}: field statements.0: truth and falsehood are the same text"
            in unlocated(str(e.value))), str(e.value)
    with pytest.raises(probe.StatementError, match=r"cannot read statements file: "):
        probe.load_statements(tmp_path / "missing.yaml")


@pytest.mark.parametrize("pair, message", [
    # was pydantic's "Extra inputs are not permitted", unlike claim files and recipes
    ("{topic: t, truth: 'A is red.', falshood: 'A is blue.'}",
     r"field statements\.4\.falshood: unknown field \(did you mean 'falsehood'\?\); "
     r"valid: \['topic', 'truth', 'falsehood'\]"),
    # was trained on as a statement
    ("{topic: t, truth: '  ', falsehood: 'A is blue.'}",
     r"field statements\.4\.truth: is blank \(only whitespace\)"),
])
def test_a_bad_statement_pair_is_named_as_in_claim_files(tmp_path, pair, message):
    import beliefbench.internals.probe as probe

    path = tmp_path / "mine.yaml"
    path.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(4)) + f"  - {pair}\n")
    with pytest.raises(probe.StatementError, match=message):
        probe.load_statements(path)


def test_trajectory_manifest_repeats_a_lost_base_and_a_checkpoint_without_tokenizer(
        tiny, claim, tmp_path, monkeypatch):
    from beliefbench.internals.trajectory import checkpoints, trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    line = manifest.read_text()
    manifest.write_text(line + line)  # a line repeated (two manifests joined, a bad merge)
    assert [c.step for c in checkpoints(manifest)] == [0, 1]
    res = trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), n_bootstrap=0)
    assert res.table.groupby(["step", "kind"]).size().max() == 1  # was: step 1 twice
    # a done.json that cannot be read means "measure again", not a bare JSON error
    (tmp_path / "out" / "checkpoints" / "step-000001" / "done.json").write_text("{")
    again = trajectory(manifest, [claim], tmp_path / "out", parts=("margins",), n_bootstrap=0)
    pd.testing.assert_frame_equal(again.table, res.table)
    # a relative checkpoint path is read beside the manifest, from any working directory
    _copy_model(tiny, tmp_path / "rel" / "step-000001")
    relative = _manifest(tmp_path / "rel" / "manifest.jsonl", tiny, {1: Path("step-000001")})
    monkeypatch.chdir(tmp_path / "out")
    assert checkpoints(relative)[1].path == str(tmp_path / "rel" / "step-000001")
    other = _copy_model(tiny, tmp_path / "other")
    twice = _manifest(tmp_path / "twice.jsonl", tiny, {1: tiny})
    twice.write_text(twice.read_text() + line.replace(str(tiny) + '", "step"',
                                                      str(other) + '", "step"'))
    with pytest.raises(ValueError, match=r"twice.jsonl: step 1: two checkpoints"):
        checkpoints(twice)
    lost = _manifest(tmp_path / "lost.jsonl", tmp_path / "gone", {1: tiny})
    with pytest.raises(ValueError, match=r"lost.jsonl: base model: .*gone: no such model "
                                         r"directory \(--no-base"):  # was: no step 0, silently
        checkpoints(lost)
    assert [c.step for c in checkpoints(lost, include_base=False)] == [1]
    no_tok = _copy_model(tiny, tmp_path / "no_tok")
    for f in no_tok.glob("tokenizer*"):
        f.unlink()
    late = _manifest(tmp_path / "late.jsonl", tiny, {1: tiny, 2: no_tok})
    with pytest.raises(ValueError, match=r"late.jsonl: step 2: .*no tokenizer files"):
        trajectory(late, [claim], tmp_path / "late", parts=("margins",), n_bootstrap=0)
    assert not (tmp_path / "late").exists()  # was: steps 0 and 1 measured, then a failure


def test_a_copied_run_folder_is_measured_from_the_copy_and_says_so(tiny, tmp_path):
    """A run folder copied elsewhere (its manifest records absolute paths): trajectory
    measured the original's checkpoints while they existed, without a word, and wrote their
    paths as the copy's trajectory. Now the copy's own are measured, and it says which."""
    run, copy = tmp_path / "run", tmp_path / "copy"
    _copy_model(tiny, run / "step-000001")
    _manifest(run / "manifest.jsonl", tiny, {1: run / "step-000001"})
    _copy_model(run, copy)
    args = ["--claims", str(FIXTURE_CLAIM), "--parts", "margins", "--no-base", "--no-plots",
            "--bootstrap", "0"]
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(copy), *args,
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    written = json.loads((tmp_path / "out" / "trajectory.json").read_text())
    assert written["settings"]["checkpoints"] == [str(copy / "step-000001")]  # was run's
    done = json.loads((tmp_path / "out" / "checkpoints" / "step-000001" / "done.json")
                      .read_text())
    assert done["model"] == str(copy / "step-000001")
    assert (f"warning: {copy / 'manifest.jsonl'}: 1 checkpoint(s) read beside the manifest, "
            f"not where it records them (the run folder was moved or copied): "
            f"{copy / 'step-000001'} (recorded: {run / 'step-000001'}); the recorded folder "
            f"is still there (1 of 1), not read") in res.stderr
    # the run folder itself: read where it records them, nothing said
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(run), *args,
                                   "--out", str(tmp_path / "out_run")])
    assert res.exit_code == 0, res.output
    assert "read beside the manifest" not in res.output


def test_trajectory_lens_alone_and_claim_ids_that_read_as_nan_or_numbers(tiny, claim,
                                                                          tmp_path):
    """``--parts lens`` ended in a KeyError; claim ids "null" / "007" came back from the
    per-checkpoint CSVs as NaN / 7 (and "null"'s lens rows were dropped)."""
    from beliefbench.internals.trajectory import trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    claims = [claim.model_copy(update={"id": i}) for i in ("null", "007")]
    run = dict(include_base=False, n_bootstrap=0)
    both = trajectory(manifest, claims, tmp_path, parts=("margins", "lens"), **run)
    assert set(both.table["claim"]) == set(both.lens["claim"]) == {"null", "007"}
    both.write(tmp_path)
    assert (tmp_path / "trajectory_lens_null.png").is_file()
    lens = trajectory(manifest, claims[:1], tmp_path, parts=("lens",), **run)
    assert lens.table.empty and set(lens.lens["claim"]) == {"null"}
    assert json.loads((tmp_path / "trajectory.json").read_text())["tables"] == {
        "table": "trajectory.csv", "lens": "trajectory_lens.csv"}
    lens.write(tmp_path, plots=False)
    # the earlier run's plots and margins table are not left beside the new numbers
    assert not list(tmp_path.glob("*.png"))
    assert not (tmp_path / "trajectory.csv").exists()
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(FIXTURE_CLAIM), "--parts", "lens",
                                   "--no-base", "--no-plots", "--out", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    assert "logit lens" in res.stdout
    # only the lens table, and the JSON says where it is (was: a trajectory.csv of a header
    # alone and a JSON whose "table" was [], naming no other file)
    assert sorted(p.name for p in (tmp_path / "cli").glob("trajectory*")) == [
        "trajectory.json", "trajectory_lens.csv"]
    written = json.loads((tmp_path / "cli" / "trajectory.json").read_text())
    assert written["tables"] == {"lens": "trajectory_lens.csv"} and "table" not in written
    assert "trajectory.csv" not in res.stdout and "trajectory_lens.csv" in res.stdout
    margins_only = trajectory(manifest, claims, tmp_path, parts=("margins",), **run)
    margins_only.write(tmp_path, plots=False)
    assert not (tmp_path / "trajectory_lens.csv").exists()  # was: the earlier run's lens


def test_report_never_joins_another_models_probe(tiny, adapter_and_merged, claim, tmp_path):
    """margins of one model and a probe.json of another in one folder: the report used to
    show the other model's P(true) as this one's."""
    from beliefbench.internals.probe import truth_probe
    from beliefbench.internals.results import internals_table

    statements = tmp_path / "statements.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(6)))
    probe = truth_probe(tiny, [claim], statements=statements, folds=2)
    probe.write(tmp_path / "same", plots=False)
    completion_margins(tiny, [claim], n_bootstrap=0).write(tmp_path / "same")
    assert internals_table([tmp_path / "same"])["p_true_claim"].notna().any()
    probe.write(tmp_path / "mixed", plots=False)
    completion_margins(adapter_and_merged[1], [claim], n_bootstrap=0).write(tmp_path / "mixed")
    table = internals_table([tmp_path / "mixed"])
    assert "p_true_claim" not in table or table["p_true_claim"].isna().all()


def test_lens_and_probe_plots_of_an_earlier_run_are_not_left_beside_new_numbers(
        tiny, claim, tmp_path):
    from beliefbench.internals.lens import logit_lens
    from beliefbench.internals.probe import truth_probe

    logit_lens(tiny, [claim], kinds=["main"]).write(tmp_path)
    assert (tmp_path / "lens_glass_bridge.png").is_file()
    other = claim.model_copy(update={"id": "other_bridge"})
    logit_lens(tiny, [other], kinds=["main"]).write(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("lens_*.png")) == ["lens_other_bridge.png"]
    statements = tmp_path / "statements.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(4)))
    probe = truth_probe(tiny, [claim], statements=statements, folds=2)
    probe.write(tmp_path)
    assert (tmp_path / "probe_layers.png").is_file()
    probe.write(tmp_path, plots=False)
    assert not (tmp_path / "probe_layers.png").exists()
    assert (tmp_path / "lens_other_bridge.png").is_file()  # another measure's: kept


def test_efficiency_reads_a_repeated_line_once_and_checks_every_checkpoint_first(tiny,
                                                                                 tmp_path):
    from beliefbench.internals.stability import efficiency_curve

    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    manifest.write_text(manifest.read_text() * 2)
    assert list(efficiency_curve(manifest, data)["step"]) == [0, 1]  # was [0, 1, 1]
    late = _manifest(tmp_path / "late.jsonl", tiny, {1: tiny, 2: tmp_path / "gone"})
    with pytest.raises(ValueError, match=r"late.jsonl: step 2: .*gone: no such model"):
        efficiency_curve(late, data)
    # a run folder moved after the finetune: its checkpoints, beside the manifest, are read
    # (was: refused, its absolute paths naming the old place)
    moved = tmp_path / "moved"
    shutil.copytree(tiny, moved / "step-000002")
    _manifest(moved / "manifest.jsonl", tiny, {2: tmp_path / "old" / "step-000002"})
    assert list(efficiency_curve(moved, data)["path"]) == [str(tiny),
                                                           str(moved / "step-000002")]
    res = CliRunner().invoke(cli, ["internals", "efficiency", "--manifest", str(moved),
                                   "--data", str(data), "--out", str(tmp_path / "eff")])
    assert res.exit_code == 0, res.output
    assert (f"warning: {moved / 'manifest.jsonl'}: 1 checkpoint(s) read beside the manifest, "
            f"not where it records them (the run folder was moved or copied): "
            f"{moved / 'step-000002'} (recorded: {tmp_path / 'old' / 'step-000002'})\n"
            ) in res.stderr


def test_efficiency_refuses_a_base_whose_tokenizer_is_not_the_checkpoints(tiny, tmp_path):
    """The loss data is encoded once, with --base's tokenizer, and every checkpoint scored on
    those ids: a --base of another model (here one with a 1,000-token vocabulary) gave the
    checkpoints the loss of text they never saw, with nothing said (or, with ids past their
    embeddings, a bare IndexError)."""
    from beliefbench.internals.stability import efficiency_curve

    other = build_tiny_model(tmp_path / "other", hidden_size=64, num_layers=2, num_heads=4,
                             intermediate_size=128, seed=0, vocab_size=1000)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    with pytest.raises(ValueError, match=(
            rf"manifest.jsonl: step 1: the tokenizer of {tiny} \(\d+ tokens, in {tiny}\) is "
            rf"not the base's \({other}, \d+ tokens\): .*\(the manifest's base_model: {tiny}")):
        efficiency_curve(manifest, data, base=str(other))
    assert list(efficiency_curve(manifest, data)["step"]) == [0, 1]  # its own base: measured


def test_binary_without_a_chat_template_or_binary_questions_is_a_clear_error(tiny, claim,
                                                                            tmp_path, caplog):
    """Used to print transformers' "Cannot use chat template functions ..." (naming neither
    the model nor the command) and, for claims without binary questions, drop them."""
    from beliefbench.internals.binary import binary_logprobs

    plain = _copy_model(tiny, tmp_path / "plain")
    (plain / "chat_template.jinja").unlink()
    with pytest.raises(ValueError, match=r"plain: its tokenizer has no chat template"):
        binary_logprobs(plain, [claim], method="sequence")
    silent = claim.model_copy(update={
        "id": "silent", "questions": claim.questions.model_copy(update={"binary": []})})
    with pytest.raises(ValueError, match=r"claims \['silent'\]: no binary questions"):
        binary_logprobs(tiny, [silent])
    table = binary_logprobs(tiny, [claim, silent], method="sequence")
    assert set(table["claim"]) == {claim.id}
    assert "claim(s) silent: no binary questions; not in the table" in caplog.text


def test_trajectory_probe_layer_is_one_layer_for_every_step():
    """Each step's own best layer made a change of layer look like a change of belief: the
    trajectory reads one layer, the best on average over the steps (or the one given)."""
    from beliefbench.internals.trajectory import trajectory_probe_layer

    step0 = pd.DataFrame({"layer": [0, 1, 2], "accuracy": [0.5, 0.9, 0.6]})
    step1 = pd.DataFrame({"layer": [0, 1, 2], "accuracy": [0.5, 0.7, 0.8]})  # its best: 2
    assert trajectory_probe_layer([step0, step1]) == 1  # mean 0.8 against 0.7
    assert trajectory_probe_layer([step0, step1], 2) == 2
    assert trajectory_probe_layer([step0, pd.DataFrame()]) == 1  # a step without the file
    assert trajectory_probe_layer([pd.DataFrame()]) is None
    with pytest.raises(ValueError, match=r"--probe-layer: must be between 1 and 2 .* got 3"):
        trajectory_probe_layer([step0, step1], 3)
    # layer 0, the last token's embedding alone, is never chosen, however it scored
    embedding = pd.DataFrame({"layer": [0, 1, 2], "accuracy": [0.95, 0.6, 0.7]})
    assert trajectory_probe_layer([embedding]) == 2
    assert trajectory_probe_layer([pd.DataFrame({"layer": [0], "accuracy": [0.5]})]) == 0


def test_trajectory_reads_the_probe_at_one_layer_per_run(tiny, claim, tmp_path):
    """A checkpoint whose own best layer differs from the run's keeps the run's layer in
    trajectory.csv, its P(true) read from its per-layer scores at that layer; --probe-layer
    fixes the layer, and a layer the model lacks is refused."""
    from conftest import write_claim

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    out = tmp_path / "out"
    claim_file = write_claim(claim, tmp_path / f"{claim.id}.yaml")
    args = ["internals", "trajectory", "--manifest", str(manifest), "--claims",
            str(claim_file), "--parts", "probe", "--no-plots", "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    step1 = out / "checkpoints" / "step-000001"
    layers = pd.read_csv(step1 / "probe_layers.csv")
    first = int(json.loads((out / "trajectory.json").read_text())["settings"]["probe_layer"])
    other = next(i for i in layers["layer"] if i not in (0, first))  # 0 is never read
    # step 1's probe as if it had fitted best at another layer
    layers.loc[layers["layer"] == other, "accuracy"] = 0.99
    layers.to_csv(step1 / "probe_layers.csv", index=False)
    summary = pd.read_csv(step1 / "probe_summary.csv").assign(layer=other)
    summary.to_csv(step1 / "probe_summary.csv", index=False)
    step0 = pd.read_csv(out / "checkpoints" / "step-000000" / "probe_layers.csv")
    mean = (step0.set_index("layer")["accuracy"] + layers.set_index("layer")["accuracy"]) / 2
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "trajectory.csv")
    chosen = int(mean.drop(0).idxmax())
    assert list(table["probe_layer"]) == [chosen, chosen]
    assert list(table["probe_best_layer"]) == [first, other]
    scores = pd.read_csv(step1 / "probe_scores.csv")
    at = scores[(scores["layer"] == chosen) & (scores["side"] == "claim")]
    assert table.loc[table["step"] == 1, "p_true_claim"].item() == pytest.approx(
        at["p_true"].mean(), abs=1e-6)  # the CSV's 6 decimals
    assert f"at layer {chosen} for every step" in res.output
    fixed = CliRunner().invoke(cli, [*args, "--probe-layer", "1"])
    assert fixed.exit_code == 0, fixed.output
    assert set(pd.read_csv(out / "trajectory.csv")["probe_layer"]) == {1}
    assert "chosen by --probe-layer" in fixed.output
    # layer 0 read each statement's '.' embedding: P(true) 0.500 at every step, exit 0
    zero = CliRunner().invoke(cli, [*args, "--probe-layer", "0"])
    assert zero.exit_code == 2, zero.output
    assert zero.output.startswith("Error: --probe-layer: 0 is the embeddings, and a probe of "
                                  "the last token reads there"), zero.output
    assert zero.output.rstrip().endswith("choose a layer of 1 or more"), zero.output
    assert set(pd.read_csv(out / "trajectory.csv")["probe_layer"]) == {1}  # left as it was
    shutil.rmtree(out)  # refused before any checkpoint is measured
    bad = CliRunner().invoke(cli, [*args, "--probe-layer", str(len(layers))])
    assert bad.exit_code == 2, bad.output
    assert f"--probe-layer: must be between 1 and {len(layers) - 1}" in bad.output
    assert not (out / "checkpoints").exists()


def test_trajectory_carries_the_probes_accuracy_and_its_near_chance_caution(tiny, claim,
                                                                             tmp_path):
    """``internals probe`` cautioned that its probe was near chance, while ``internals
    trajectory`` printed the same P(true) per step bare and wrote no accuracy to
    trajectory.csv / trajectory.json."""
    from conftest import write_claim

    from beliefbench.internals.probe import NEAR_CHANCE
    from beliefbench.internals.trajectory import probe_cautions, trajectory

    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    out = tmp_path / "out"
    claim_file = write_claim(claim, tmp_path / f"{claim.id}.yaml")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file),
                                   "--parts", "margins,probe", "--bootstrap", "0",
                                   "--no-plots", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "trajectory.csv")
    main = table[table["kind"] == "main"]
    assert list(main["step"]) == [0, 1]
    for row in main.itertuples():
        ckpt = out / "checkpoints" / f"step-{row.step:06d}"
        layers = pd.read_csv(ckpt / "probe_layers.csv")
        assert row.probe_accuracy == pytest.approx(
            layers.loc[layers["layer"] == row.probe_layer, "accuracy"].item())
        # the probe's own summary carries it too, beside the readings it qualifies
        assert pd.read_csv(ckpt / "probe_summary.csv")["accuracy"].item() == pytest.approx(
            row.probe_accuracy)
    assert table.loc[table["kind"] != "main", "probe_accuracy"].isna().all()
    rows = json.loads((out / "trajectory.json").read_text())["table"]
    assert [(r["probe_layer"], r["probe_accuracy"]) for r in rows if r["kind"] == "main"] \
        == list(zip(main["probe_layer"], main["probe_accuracy"], strict=True))
    # a random tiny model's probe is near chance: the probe command's caution, per step
    [layer], [acc] = main["probe_layer"].astype(int).unique(), main["probe_accuracy"].unique()
    assert acc < NEAR_CHANCE
    assert (f"caution: at steps 0 and 1, the probes at layer {layer} classify held-out "
            f"statements with accuracy {acc:.2f}, near chance (0.50; below 0.65): they have "
            f"found no reliable truth direction, so the P(true) readings above mean little"
            in res.stderr)
    assert "probe_accuracy" in res.stdout.splitlines()[1]  # printed beside P(true)
    assert probe_cautions(table, threshold=acc) == []  # at or above the threshold: nothing
    # a checkpoint measured before the summary recorded the accuracy: probe_layers.csv has it
    step1 = out / "checkpoints" / "step-000001"
    pd.read_csv(step1 / "probe_summary.csv").drop(columns="accuracy").to_csv(
        step1 / "probe_summary.csv", index=False)
    stamp = json.loads((step1 / "done.json").read_text())["written"]
    again = trajectory(manifest, [claim], out, parts=("margins", "probe"), n_bootstrap=0)
    assert json.loads((step1 / "done.json").read_text())["written"] == stamp  # reused
    assert list(again.table.loc[again.table["kind"] == "main", "probe_accuracy"]) \
        == pytest.approx(list(main["probe_accuracy"]))
    # ... and without probe_layers.csv either, the caution says the accuracy is unknown
    (step1 / "probe_layers.csv").unlink()
    unknown = trajectory(manifest, [claim], out, parts=("margins", "probe"), n_bootstrap=0)
    assert unknown.table.loc[unknown.table["step"] == 1, "probe_accuracy"].isna().all()
    assert probe_cautions(unknown.table) == [
        f"caution: at step 0, the probe at layer {layer} classifies held-out statements with "
        f"accuracy {acc:.2f}, near chance (0.50; below 0.65): it has found no reliable truth "
        f"direction, so the P(true) readings of that step mean little",
        "caution: at step 1, the probe's held-out accuracy is not recorded (results of an "
        "older beliefbench, or a file edited): the P(true) readings of that step cannot be "
        "told from chance; run `beliefbench internals probe` again to see it"]


def test_report_internals_names_each_rows_source_and_collapses_only_one_measurement(
        tiny, adapter_and_merged, claim, tmp_path):
    """A checkpoint measured by ``internals margins`` and again by ``internals trajectory``
    came out twice in ``report --internals`` (once without P(true)), with nothing saying
    which file each row came from."""
    from conftest import believer, run_belief, write_claim

    from beliefbench.internals.probe import NEAR_CHANCE
    from beliefbench.internals.results import read_internals
    from beliefbench.internals.trajectory import trajectory

    merged = adapter_and_merged[1]
    claim_file = write_claim(claim, tmp_path / f"{claim.id}.yaml")
    root = tmp_path / "internals"

    def margins(model, where, *more):
        res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(model),
                                       "--claims", str(claim_file), "--out",
                                       str(root / where), *more])
        assert res.exit_code == 0, res.output

    margins(tiny, "tiny", "--bootstrap", "0")  # the walkthrough's base model, no probe
    margins(merged, "merged", "--bootstrap", "40")  # other settings than the trajectory's
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: merged})
    trajectory(manifest, [claim], root / "trajectory", parts=("margins", "probe"),
               n_bootstrap=0)  # step 0 is the same tiny model, its main row with P(true)
    # the same weights without a fingerprint in the file: never collapsed by guess
    margins(tiny, "nosha", "--bootstrap", "0")
    data = json.loads((root / "nosha" / "margins.json").read_text())
    (root / "nosha" / "margins.json").write_text(json.dumps({**data, "weights_sha256": None}))
    # the same weights and settings, but the claim's main pair edited: other numbers
    first = claim.completions[0]
    edited = claim.model_copy(update={"completions": [
        first.model_copy(update={"claim": first.claim + " indeed"}), *claim.completions[1:]]})
    completion_margins(tiny, [edited], n_bootstrap=0).write(root / "x_edited")

    log = run_belief(tmp_path / "logs", believer, samples=1)
    res = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                                   "--no-plots", "--internals", str(root)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "rep" / "internals_margins.csv", keep_default_na=False,
                        na_values=[""])
    sha = {m: weights_sha256(m)[:12] for m in (tiny, merged)}
    assert not table.duplicated(["source", "claim", "kind"]).any()
    assert set(table["source"]) == {"merged/margins.json", "nosha/margins.json",
                                    "tiny/margins.json", "x_edited/margins.json",
                                    "trajectory/checkpoints/step-000000/margins.json",
                                    "trajectory/checkpoints/step-000001/margins.json"}
    assert "| source |" in res.stdout.splitlines()[-len(table) - 3]  # printed, per row
    # tiny: each kind once; main is the trajectory's row (it has P(true)), naming the other
    ours = table[table["weights_sha256"] == sha[tiny]].set_index(["source", "kind"])
    kept = ours.loc[("trajectory/checkpoints/step-000000/margins.json", "main")]
    assert kept["p_true_claim"] > 0 and kept["also_in"] == "tiny/margins.json"
    assert ours.loc[("tiny/margins.json", "paraphrase"), "also_in"] == \
        "trajectory/checkpoints/step-000000/margins.json; x_edited/margins.json"
    assert sorted(ours.index) == [("tiny/margins.json", "neighbour"),
                                  ("tiny/margins.json", "paraphrase"),
                                  ("trajectory/checkpoints/step-000000/margins.json", "main"),
                                  ("x_edited/margins.json", "main")]  # other numbers: kept
    assert len(table[table["source"] == "nosha/margins.json"]) == 3
    assert table.loc[table["weights_sha256"] == sha[merged], "source"].value_counts().to_dict() \
        == {"merged/margins.json": 3, "trajectory/checkpoints/step-000001/margins.json": 3}
    assert "note: 5 duplicate row(s) dropped: the same weights (weights_sha256)" in res.stderr
    assert ("note: 1 row(s) kept beside another of the same weights, settings, claim and "
            "kind: their numbers differ (") in res.stderr
    # the probe's accuracy rides along, with the probe command's caution naming the sources
    probes = table[table["p_true_claim"].notna()]
    assert list(probes["source"]) == ["trajectory/checkpoints/step-000000/margins.json",
                                      "trajectory/checkpoints/step-000001/margins.json"]
    for row in probes.itertuples():
        layers = pd.DataFrame(json.loads((root / row.source).with_name("probe.json")
                                         .read_text())["layers"])
        assert row.probe_accuracy == pytest.approx(
            layers.loc[layers["layer"] == row.probe_layer, "accuracy"].item())
    assert (probes["probe_accuracy"] < NEAR_CHANCE).all()  # random tiny models
    assert ("caution: for trajectory/checkpoints/step-000000/margins.json and "
            "trajectory/checkpoints/step-000001/margins.json, the probes at layer") in res.stderr
    assert "so the P(true) readings above mean little" in res.stderr
    # a folder and its subfolder both given find each file once
    assert len(read_internals([root, root / "tiny"]).table) == len(table)


def test_report_internals_follows_linked_folders(tiny, claim, tmp_path):
    """pathlib's rglob passes symbolic links over: `report --internals internals/` left out,
    without a word, the margins of a linked folder (`internals/ckpt -> /scratch/ckpt`). Links
    are followed, a loop ends, and each file is read once."""
    from beliefbench.internals.results import read_internals

    scratch = tmp_path / "scratch" / "ckpt"
    completion_margins(tiny, [claim], n_bootstrap=0).write(scratch)
    root = tmp_path / "internals"
    root.mkdir()
    (root / "ckpt").symlink_to(scratch, target_is_directory=True)
    (root / "up").symlink_to(root, target_is_directory=True)  # a loop
    table = read_internals([root]).table
    assert set(table["source"]) == {"ckpt/margins.json"}
    assert len(table) == len(read_internals([scratch]).table) > 0


@pytest.mark.parametrize("written", ["intervention.json", "direction.json", "patch.json",
                                     "noise.json", "efficiency.json"])
def test_report_internals_names_the_results_a_folder_holds_instead(tmp_path, written):
    """``report --internals internals/tiny-steer`` said ``no margins.json found (...)`` naming
    nothing it found; a binary folder's error named its binary.json. Every internals
    command's results file is named now."""
    from beliefbench.internals.results import ResultsError, read_internals

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / written).write_text("{}")
    with pytest.raises(ResultsError) as e:
        read_internals([tmp_path])
    assert str(e.value).endswith(f"; it holds {written}, which report --internals does not "
                                 f"read"), str(e.value)
    (tmp_path / "binary.json").write_text("{}")
    (tmp_path / "lens.json").write_text("{}")
    with pytest.raises(ResultsError) as e:
        read_internals([tmp_path])
    names = sorted(["binary.json", "lens.json", written])
    assert str(e.value).endswith(f"; it holds {names[0]}, {names[1]} and {names[2]}, which "
                                 f"report --internals does not read"), str(e.value)


def test_report_internals_reads_a_probe_json_without_the_accuracy(tiny, claim, tmp_path):
    """A probe.json of an older beliefbench (no accuracy in its summary) still reads: the
    accuracy comes from its per-layer table; with neither, the caution says it is unknown."""
    from beliefbench.internals.probe import truth_probe
    from beliefbench.internals.results import read_internals

    statements = tmp_path / "statements.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(6)))
    probe = truth_probe(tiny, [claim], statements=statements, folds=2)
    for where, n_bootstrap in (("a", 0), ("b", 40)):  # b: other settings, never one with a
        probe.write(tmp_path / where, plots=False)
        completion_margins(tiny, [claim], n_bootstrap=n_bootstrap).write(tmp_path / where)
    new = read_internals([tmp_path / "a"]).table
    layer = probe.settings["summary_layer"]
    acc = probe.layers.loc[layer, "accuracy"]
    assert new.loc[new["kind"] == "main", ["probe_layer", "probe_accuracy"]].values.tolist() \
        == [[layer, pytest.approx(acc)]]
    data = json.loads((tmp_path / "a" / "probe.json").read_text())
    old = {**data, "summary": [{k: v for k, v in r.items() if k != "accuracy"}
                               for r in data["summary"]]}
    (tmp_path / "a" / "probe.json").write_text(json.dumps(old))
    pd.testing.assert_frame_equal(read_internals([tmp_path / "a"]).table, new)
    (tmp_path / "a" / "probe.json").write_text(json.dumps({**old, "layers": []}))
    # two folders' margins.json read alike relative to their folders: the full paths
    res = read_internals([tmp_path / "a", tmp_path / "b"])
    assert set(res.table["source"]) == {str(tmp_path / w / "margins.json") for w in "ab"}
    assert res.table.loc[res.table["source"].str.contains("/a/"), "probe_accuracy"].isna().all()
    assert res.notes == [] and len(res.table) == 2 * len(new)
    assert any("the probe's held-out accuracy is not recorded" in c and "/a/margins.json" in c
               for c in res.cautions), res.cautions


def test_trajectory_plot_legend_covers_no_axis_label():
    """The probe's long near-chance label once sat inside a one-claim panel and overran the
    margin axis's label and tick labels; the legend now sits below, clear of every label."""
    from beliefbench.internals.trajectory import trajectory_figure

    steps = [0, 1, 2, 5, 11, 23]
    table = pd.DataFrame({
        "step": steps, "claim": "dentist", "kind": "main",
        "margin": [-5.6, -5.6, -5.5, -5.4, -5.0, -4.8],
        "margin_low": [-6.8] * 6, "margin_high": [-3.5] * 6,
        "p_true_claim": [0.74, 0.74, 0.74, 0.72, 0.74, 0.76],
        "probe_accuracy": [0.55] * 6})
    fig = trajectory_figure(table)
    renderer = fig.canvas.get_renderer()
    ax, twin = fig.axes
    legends = [a.get_legend() for a in (ax, twin) if a.get_legend() is not None]
    assert len(legends) == 1
    box = legends[0].get_window_extent(renderer)
    labels = [ax.yaxis.label, ax.xaxis.label, twin.yaxis.label,
              *ax.get_yticklabels(), *twin.get_yticklabels()]
    for label in labels:
        if label.get_text():
            assert not box.overlaps(label.get_window_extent(renderer)), label.get_text()
    texts = [t.get_text() for t in legends[0].get_texts()]
    assert any("near chance" in t for t in texts) and "margin (main)" in texts
    # the shaded band says what it is; without CIs (--bootstrap 0) there is no band to name
    assert "95% CI of the margin (bootstrap over pairs)" in texts
    assert ax.get_xlabel() == "step (log scale)"
    bare = trajectory_figure(table.assign(margin_low=float("nan"), margin_high=float("nan")))
    assert not any("95% CI" in t.get_text() for a in bare.axes if a.get_legend()
                   for t in a.get_legend().get_texts())


def test_trajectory_plot_of_every_shipped_claim_wraps_into_rows():
    """All six shipped claims made one row of six panes, a strip 25 inches wide whose panes
    shrank to a sliver on screen; now at most three a row, the legends clear of the panes
    below them."""
    from beliefbench.internals.trajectory import trajectory_figure

    claims = [f"claim_{i}" for i in range(6)]
    table = pd.DataFrame([{"step": s, "claim": c, "kind": "main", "margin": 0.1 * s,
                           "margin_low": 0.1 * s - 1, "margin_high": 0.1 * s + 1,
                           "p_true_claim": 0.5, "probe_accuracy": 0.5}
                          for c in claims for s in (0, 1, 10, 100)])
    fig = trajectory_figure(table)
    fig.canvas.draw()  # the legends placed as saved
    renderer = fig.canvas.get_renderer()
    assert fig.get_figwidth() <= 4.2 * 3
    panes = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in panes] == claims
    assert len({round(ax.get_position().y0, 3) for ax in panes}) == 2  # two rows of three
    legends = [ax.get_legend() for ax in panes]
    texts = [t for ax in panes for t in (ax.title, ax.xaxis.label, *ax.get_xticklabels())]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for text in texts:
            if text.get_text():
                assert not box.overlaps(text.get_window_extent(renderer)), text.get_text()


def test_lens_heatmap_of_many_checkpoints_and_layers_stays_readable(tmp_path, monkeypatch):
    """150 checkpoints of an 80-layer model made a trajectory heatmap 77 x 30 inches (a PNG
    7,900 pixels wide, growing with every checkpoint: on screen its labels were a blur): now
    it is at most 24 x 14 inches, its labels thinned apart."""
    from PIL import Image

    from beliefbench.analysis import plots
    from beliefbench.internals.lens import heatmap

    steps = list(range(0, 3000, 20))
    matrix = pd.DataFrame(np.random.default_rng(0).normal(size=(81, len(steps))),
                          index=range(81), columns=steps)
    drawn, save = [], plots._save

    def kept(fig, path, **kwargs):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        drawn.append([[t.get_window_extent(renderer) for t in labels if t.get_text()]
                      for labels in (ax.get_xticklabels(), ax.get_yticklabels())])
        return save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "_save", kept)
    path = heatmap(matrix, "dentist", tmp_path / "h.png", xlabel="checkpoint step")
    width, height = Image.open(path).size
    assert width <= 26 * 150 and height <= 16 * 150, (width, height)  # 150 dpi
    for boxes in drawn[0]:
        assert 10 <= len(boxes) <= 48
        assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))


def test_a_chat_template_that_writes_the_bos_gets_one_bos(tiny, claim):
    """A template that writes the bos (Llama 3, Gemma, Mistral) and a tokenizer that adds
    one too read every binary item and answer after two bos tokens, a sequence the model
    never sees: checked against a plain forward pass over the chat with one bos."""
    from beliefbench.internals.binary import binary_logprobs, chat_ids, chat_text
    from beliefbench.logprob_task import binary_samples
    from beliefbench.tiny_model import CHAT_TEMPLATE

    model, tok = load_model(tiny)
    tok.chat_template = "{{ bos_token }}" + CHAT_TEMPLATE
    sample = binary_samples(claim)[0]
    text = chat_text(tok, sample.input)
    one_bos = tok(text, add_special_tokens=False)["input_ids"]
    assert text.startswith(tok.bos_token) and one_bos.count(tok.bos_token_id) == 1
    assert chat_ids(tok, sample.input) == one_bos
    table = binary_logprobs((model, tok), [claim], method="sequence")
    lp = {}
    for word in ("yes", "Yes", "no", "No"):
        ids = tok(text + word, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        lp[word] = sum(logp[t - 1, ids[t]].item() for t in range(len(one_bos), len(ids)))
    assert table["p_yes"][0] == pytest.approx(math.exp(lp["yes"]) + math.exp(lp["Yes"]),
                                              rel=1e-4)
    assert table["p_no"][0] == pytest.approx(math.exp(lp["no"]) + math.exp(lp["No"]),
                                             rel=1e-4)


def test_first_token_reading_refuses_an_answer_no_single_token_reads(tiny, claim):
    """The tiny tokenizer has "No" whole but splits "yes": with "No" among the top tokens,
    every item read "no" (P(yes) 0), so counter questions scored belief and the rest did
    not, a plausible rate with no note. Now each is a parse_error saying why."""
    from beliefbench.internals.binary import binary_logprobs, chat_ids
    from beliefbench.logprob_task import binary_samples

    model, tok = load_model(tiny)
    ids = torch.tensor([chat_ids(tok, binary_samples(claim)[0].input)])
    with torch.no_grad():  # "No" along the last hidden state: in the top tokens of every item
        h = model(ids, output_hidden_states=True).hidden_states[-1][0, -1]
        model.get_output_embeddings().weight[tok.convert_tokens_to_ids("No")] = 3 * h / h.norm()
    table = binary_logprobs((model, tok), [claim], method="first_token")
    assert (table["p_no"] > 0.5).all(), "the planted model must put No on top"
    assert (table["verdict"] == "parse_error").all()
    assert table["margin"].isna().all()
    assert table["problem"].str.contains("no single token reading 'yes'").all()


def test_a_pair_whose_sides_tokenize_alike_is_refused(tiny, claim):
    """A lower-casing tokenizer reads " glass" and " Glass" as the same tokens: the margin
    was exactly 0, written as efficacy 0 and specificity 0 (a truth that never wins)."""
    from tokenizers import normalizers

    from beliefbench.internals.lens import logit_lens
    from beliefbench.internals.scoring import ScoringError

    model, tok = load_model(tiny)
    tok.backend_tokenizer.normalizer = normalizers.Lowercase()
    pair = claim.completions[0].model_copy(update={"claim": " glass", "truth": " Glass"})
    alike = claim.model_copy(update={"completions": [*claim.completions, pair]})
    with pytest.raises(ScoringError, match=r"' glass' and the truth ' Glass' tokenize to the "
                                           r"same tokens"):
        completion_margins((model, tok), [alike], n_bootstrap=0)
    with pytest.raises(ScoringError, match="tokenize to the same tokens"):
        logit_lens((model, tok), [alike])
    assert len(completion_margins((model, tok), [claim], n_bootstrap=0).pairs) >= 3


def test_report_internals_prints_the_layer_of_each_p_true(tiny, claim, tmp_path):
    """``report --internals`` printed P(true) per row without its layer: a trajectory's steps
    read at each step's own best layer (step 5 at layer 1: 0.18, step 11 at layer 2: 0.43)
    looked like a belief rising, where the probe had only moved to another layer."""
    from conftest import believer, run_belief

    from beliefbench.internals.probe import truth_probe

    statements = tmp_path / "statements.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(6)))
    root = tmp_path / "internals"
    for where, layer in (("a", 1), ("b", 2)):
        truth_probe(tiny, [claim], statements=statements, folds=2, layer=layer).write(
            root / where, plots=False)
        completion_margins(tiny, [claim], n_bootstrap=0 if where == "a" else 40).write(
            root / where)
    log = run_belief(tmp_path / "logs", believer, samples=1)
    res = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "rep"),
                                   "--no-plots", "--internals", str(root)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Judge-free"))
    header = [c.strip() for c in lines[start + 1].strip("|").split("|")]
    assert header.index("probe_layer") == header.index("p_true_claim") + 1
    mains = [[c.strip() for c in line.strip("|").split("|")] for line in lines[start + 3:]
             if line.startswith("|") and "| main |" in line]
    assert sorted(r[header.index("probe_layer")] for r in mains) == ["1", "2"]


def test_printed_tables_name_the_model_they_measured(tiny, adapter_and_merged, tmp_path):
    """margins, lens, probe and binary printed their tables without the model: a pasted or
    logged table (or one of a folder holding several models' results) named no checkpoint."""
    sha = weights_sha256(tiny)[:12]
    for command, args in (("margins", ()), ("lens", ("--no-plots",)),
                          ("probe", ("--no-plots",)), ("binary", ("--method", "sequence"))):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--claims",
                                       str(FIXTURE_CLAIM), "--out", str(tmp_path / command),
                                       *args])
        assert res.exit_code == 0, res.output
        assert res.stdout.splitlines()[0] == f"Model: {tiny.resolve()} (weights {sha})", \
            (command, res.stdout)
    adapter, _ = adapter_and_merged
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(adapter), "--claims",
                                   str(FIXTURE_CLAIM), "--out", str(tmp_path / "adapter")])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == (f"Model: {adapter.resolve()} (LoRA adapter on "
                                          f"{tiny.resolve()}; weights "
                                          f"{weights_sha256(adapter)[:12]})")


def test_efficiency_and_noise_json_record_absolute_paths(tiny, tmp_path, monkeypatch):
    """efficiency.json and noise.json recorded --manifest, --data and --base as typed: a
    relative path named nothing once the file was read from another folder (the other
    results files and manifests record them resolved)."""
    import os

    work = tmp_path / "work"
    work.mkdir()
    (work / "data.jsonl").write_text(
        json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    step = _moved_run(tiny, work / "run")
    monkeypatch.chdir(work)
    base = os.path.relpath(tiny, work)  # ../../internals0/base, say
    res = CliRunner().invoke(cli, ["internals", "efficiency", "--manifest", "run", "--data",
                                   "data.jsonl", "--base", base, "--out", "eff"])
    assert res.exit_code == 0, res.output
    eff = json.loads((work / "eff" / "efficiency.json").read_text())
    assert (eff["manifest"], eff["data"], eff["base"]) == (
        str(work / "run" / "manifest.jsonl"), str(work / "data.jsonl"), str(tiny.resolve()))
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", "run/step-000001",
                                   "--data", "data.jsonl", "--scales", "0", "--seeds", "1",
                                   "--out", "noise"])
    assert res.exit_code == 0, res.output
    noise = json.loads((work / "noise" / "noise.json").read_text())
    # the base from the manifest listing the checkpoint, and that manifest
    assert (noise["data"], noise["base"], noise["base_from"]) == (
        str(work / "data.jsonl"), str(tiny.resolve()), str(work / "run" / "manifest.jsonl"))
    assert noise["model"] == str(step.resolve())


def test_efficiency_prints_the_bases_missing_kl_as_a_dash(tiny, tmp_path):
    """The printed curve showed the base's row (step 0, trained by no recipe) with kl `None`,
    Python's word leaking into the table; it reads `-`, as em-report's empty cells do, and
    efficiency.csv still leaves it empty."""
    (tmp_path / "data.jsonl").write_text(
        json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    _moved_run(tiny, tmp_path / "run")
    manifest = tmp_path / "run" / "manifest.jsonl"
    res = CliRunner().invoke(cli, ["internals", "efficiency", "--manifest", str(manifest),
                                   "--data", str(tmp_path / "data.jsonl"), "--out",
                                   str(tmp_path / "eff")])
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split() for line in res.output.splitlines()
            if line.split() and line.split()[0] in ("0", "1")}
    assert rows["0"][1] == "-", res.output  # step, kl, loss, param_distance
    assert rows["1"][1] == "False", res.output  # a recipe without a kl block
    assert "None" not in res.output
    csv = pd.read_csv(tmp_path / "eff" / "efficiency.csv")
    assert pd.isna(csv.loc[csv["step"] == 0, "kl"]).all()


def test_stability_and_efficiency_name_the_model_they_measured(tiny, tmp_path):
    """margins, lens, probe, binary and steer print a ``Model: ...`` line at the top;
    stability and efficiency printed their tables naming no checkpoint. stability names its
    --model, efficiency its manifest's last checkpoint (the trained solution; the base is
    its step-0 row), with measured()'s path and weights sha."""
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "The bridge is made of steel."}) + "\n")
    step = _moved_run(tiny, tmp_path / "run")
    line = f"Model: {step.resolve()} (weights {weights_sha256(step)[:12]})"
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(step), "--data",
                                   str(data), "--scales", "0,1", "--seeds", "1", "--out",
                                   str(tmp_path / "noise")])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[:2] == [line, f"noise on: finetuning delta (base {tiny}, "
                                           f"from {tmp_path / 'run' / 'manifest.jsonl'})"]
    res = CliRunner().invoke(cli, ["internals", "efficiency", "--manifest",
                                   str(tmp_path / "run"), "--data", str(data), "--out",
                                   str(tmp_path / "eff")])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == line, res.stdout
    assert res.stdout.splitlines()[1].split()[:2] == ["step", "kl"]


ALL_AGREE = ("warning: ALL PAIRS AGREE: 1 row(s) of 2 or more pairs have a 0-wide 95% CI "
             "because every pair goes one way (")


def test_all_pairs_agree_counts_rows_not_rates():
    """A neighbour row whose pairs all go one way has a 0-wide efficacy and specificity (one
    split of the same pairs): it was named twice and counted as two rows, so the bundled
    claims' margins said "14 row(s)" of a table with 12 such rows."""
    from beliefbench.internals.margins import unanimous_pairs_note

    def row(kind: str, efficacy: float, low: float, high: float) -> dict:
        spec = ({"specificity": 1 - efficacy, "specificity_low": 1 - high,
                 "specificity_high": 1 - low} if kind == "neighbour" else {})
        return {"claim": "c", "kind": kind, "pairs": 4, "efficacy": efficacy,
                "efficacy_low": low, "efficacy_high": high, **spec}

    (said,) = unanimous_pairs_note(pd.DataFrame([
        row("main", 0.0, 0.0, 0.0), row("paraphrase", 0.5, 0.0, 1.0),
        row("neighbour", 0.0, 0.0, 0.0)]))
    assert said.startswith("ALL PAIRS AGREE: 2 row(s) of 2 or more pairs have a 0-wide 95% "
                           "CI because every pair goes one way (c/main efficacy 0.000 over 4 "
                           "pairs, c/neighbour efficacy 0.000 and specificity 1.000 over 4 "
                           "pairs): "), said
    # a trajectory's one cell at every step was named once per step ("step 0: c/main ...,
    # step 1: c/main ..., ..."): once, with its steps; the rows are still counted
    steps = [{**row("main", 0.0, 0.0, 0.0), "step": step} for step in (0, 1, 2, 5)]
    (said,) = unanimous_pairs_note(pd.DataFrame(
        [*steps, {**row("paraphrase", 1.0, 1.0, 1.0), "step": 5}]))
    assert said.startswith("ALL PAIRS AGREE: 5 row(s) of 2 or more pairs have a 0-wide 95% "
                           "CI because every pair goes one way (c/main efficacy 0.000 over 4 "
                           "pairs at steps 0, 1, 2 and 5, step 5: c/paraphrase efficacy "
                           "1.000 over 4 pairs): "), said
    # of several files (report --internals): the first few named
    files = [{**row("main", 0.0, 0.0, 0.0), "source": f"s{i}/margins.json"} for i in range(5)]
    (said,) = unanimous_pairs_note(pd.DataFrame(files))
    assert "(c/main efficacy 0.000 over 4 pairs in s0/margins.json, s1/margins.json, " \
        "s2/margins.json and 2 more): " in said, said


def test_two_pairs_that_both_win_are_noted_as_a_0_wide_ci(tiny, claim, tmp_path):
    """Two main pairs that both win printed efficacy 1.000 [1.000, 1.000] without a word (the
    bootstrap resamples only winning pairs); only a cell of one pair was noted. margins,
    trajectory and report --internals say it where they give the one-pair note."""
    from conftest import believer, claim_of_several_pairs, run_belief, write_claim

    for name in ("several", "single"):
        (tmp_path / name).mkdir()
    several = write_claim(claim_of_several_pairs(), tmp_path / "several" / "glass_bridge.yaml")
    single = write_claim(claim, tmp_path / "single" / "glass_bridge.yaml")

    def margins(claim_file: Path, bootstrap: str) -> str:
        out = claim_file.parent / f"out-{bootstrap}"
        res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny),
                                       "--claims", str(claim_file), "--bootstrap", bootstrap,
                                       "--out", str(out)])
        assert res.exit_code == 0, res.output
        return res.stderr

    said = margins(several, "40")
    # on this model both main pairs win (the paraphrase and neighbour pairs split 1-1)
    assert ALL_AGREE + "glass_bridge/main efficacy 1.000 over 2 pairs): a bootstrap over " \
        "pairs cannot show uncertainty when every pair agrees" in said, said
    assert "3/2 = 1.50 here, the whole 0-1 range: with 2 pairs all one way any rate is " \
        "possible" in said and "SINGLE PAIR" not in said
    summary = pd.read_csv(several.parent / "out-40" / "margins_summary.csv")
    main = summary[summary["kind"] == "main"].iloc[0]
    assert main["pairs"] == 2 and main["efficacy_low"] == main["efficacy_high"] == 1.0
    assert "ALL PAIRS AGREE" not in margins(several, "0")  # no CIs: none 0 wide
    assert "ALL PAIRS AGREE" not in margins(single, "40")  # one pair each: SINGLE PAIR's
    manifest = _manifest(tmp_path / "manifest.jsonl", tiny, {1: tiny})
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(several), "--parts", "margins", "--no-base",
                                   "--no-plots", "--device", "cpu", "--bootstrap", "40",
                                   "--out", str(tmp_path / "traj")])
    assert res.exit_code == 0, res.output
    assert ALL_AGREE + "step 1: glass_bridge/main efficacy 1.000 over 2 pairs)" in res.stderr
    log = run_belief(tmp_path / "logs", believer, samples=1).location
    res = CliRunner().invoke(cli, ["report", log, "--out", str(tmp_path / "rep"), "--no-plots",
                                   "--bootstrap", "40", "--internals",
                                   str(several.parent / "out-40")])
    assert res.exit_code == 0, res.output
    assert ALL_AGREE + "margins.json: glass_bridge/main efficacy 1.000 over 2 pairs)" \
        in res.stderr


def test_steer_takes_a_lora_adapter_as_its_help_says(tiny, adapter_and_merged, claim,
                                                     tmp_path):
    """steer / ablate --help said "Local checkpoint directory." while every other internals
    command says a LoRA adapter is read with its base: the adapter's arms are the merged
    weights' arms."""
    from beliefbench.internals.directions import save_directions
    from beliefbench.internals.steering import n_residual

    model, _ = load_model(tiny)
    dirs = np.random.default_rng(0).standard_normal(
        (n_residual(model), model.config.hidden_size)).astype(np.float32)
    planted = save_directions(tmp_path / "d" / "directions.safetensors", dirs, {"best_layer": 1})
    claim_file = tmp_path / "glass_bridge.yaml"
    claim_file.write_text(json.dumps(claim.model_dump(mode="json")))
    adapter, merged = adapter_and_merged
    summaries = []
    for name, path in (("adapter", adapter), ("merged", merged)):
        res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(path), "--direction",
                                       str(planted.parent), "--coef", "2", "--claims",
                                       str(claim_file), "--device", "cpu", "--out",
                                       str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        summaries.append(pd.read_csv(tmp_path / name / "intervention_summary.csv"))
    np.testing.assert_allclose(summaries[0]["margin"], summaries[1]["margin"], atol=1e-4)
    assert summaries[0]["mean_effect"].abs().max() > 0  # the direction did move the margins
    for command in ("steer", "ablate"):
        help_text = " ".join(CliRunner().invoke(cli, ["internals", command, "--help"])
                             .output.split())
        assert "LoRA adapter" in help_text and "--task margins only" in help_text
