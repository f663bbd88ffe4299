"""The project's security rules, checked where a user's file or a code change could break them:
YAML is read with a safe loader (a Python tag is refused, never run), and the source never
unpickles, trusts remote code or calls an unsafe YAML loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.cli import cli

SRC = Path(__file__).resolve().parents[1] / "src" / "beliefbench"
TAG = "!!python/object/apply:os.system"


@pytest.mark.parametrize("what", ["claim", "recipe"])
def test_a_python_tag_is_refused_not_run(tmp_path, what):
    """``yaml.load`` with an unsafe loader would run ``os.system`` while reading the file;
    a safe loader refuses the tag, and the message says why in words a user can act on."""
    marker = tmp_path / "RAN"
    evil = tmp_path / f"evil_{what}.yaml"
    evil.write_text(f"id: evil\nstatement: {TAG} ['touch {marker}']\n" if what == "claim"
                    else f"lr: {TAG} ['touch {marker}']\n")
    args = (["claims", "validate", str(evil)] if what == "claim" else
            ["finetune", "--recipe", str(evil), "--data", str(tmp_path / "d.jsonl"),
             "--base", str(tmp_path), "--out", str(tmp_path / "o")])
    (tmp_path / "d.jsonl").write_text("")
    res = CliRunner().invoke(cli, args)
    assert res.exit_code != 0 and "Traceback" not in res.output, res.output
    assert f"{evil.name}: not valid YAML: line " in res.output, res.output
    assert "a Python tag: never run, as YAML is read with a safe loader" in res.output
    assert not marker.exists() and not (tmp_path / "o").exists()


def _source() -> list[tuple[Path, int, str]]:
    return [(p, i, line) for p in sorted(SRC.rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if not line.lstrip().startswith("#")]


@pytest.mark.parametrize("pattern, why", [
    (r"\bimport pickle\b|\bpickle\.loads?\(|\bdill\b|\bjoblib\.load\(",
     "no pickle from files: safetensors only"),
    (r"\btorch\.load\(", "torch.load only on the tool's own trainer state (the Trainer's)"),
    (r"trust_remote_code\s*=\s*True", "trust_remote_code stays off"),
    (r"yaml\.(?:unsafe_load|full_load|load_all)\(|Loader\s*=\s*yaml\.(?:Unsafe|Full)?Loader\b",
     "YAML is read with safe loaders only"),
])
def test_the_source_keeps_the_rule(pattern, why):
    """A static guard: a later change that breaks a rule fails here, naming the line."""
    hits = [f"{p.relative_to(SRC)}:{i}: {line.strip()}" for p, i, line in _source()
            if re.search(pattern, line)]
    assert not hits, f"{why}: {hits}"


def test_every_yaml_load_uses_the_safe_spec_loader():
    """``yaml.load`` appears once, with SpecLoader (a yaml.SafeLoader)."""
    import yaml

    from beliefbench.specs import SpecLoader

    assert issubclass(SpecLoader, yaml.SafeLoader)
    calls = [f"{p.relative_to(SRC)}:{i}" for p, i, line in _source()
             if re.search(r"\byaml\.load\(", line) and "Loader=SpecLoader" not in line]
    assert not calls, calls


def test_a_checkpoints_own_code_is_never_run_even_when_answered_yes(tmp_path, monkeypatch):
    """A config that names code of its own (``auto_map``) and a type transformers does not
    know: left to decide (``trust_remote_code`` unset), transformers asks on the terminal
    whether to run it, and a yes (a user's habit, or ``yes |`` in a script) ran it while
    ``internals`` read the checkpoint's config; it is refused without a question."""
    from beliefbench.internals.model import ModelLoadError, _check_config, checkpoint_text_config

    marker = tmp_path / "RAN"
    model = tmp_path / "custom"
    model.mkdir()
    (model / "config.json").write_text(
        '{"model_type": "bbcustom", "auto_map": {"AutoConfig": "custom_config.CustomConfig"}}')
    (model / "custom_config.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
        "from transformers import PretrainedConfig\n\n\n"
        "class CustomConfig(PretrainedConfig):\n    model_type = 'bbcustom'\n")
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))
    monkeypatch.setattr("builtins.input", lambda *_: "y")
    assert checkpoint_text_config(model) is None
    with pytest.raises(ModelLoadError, match="cannot read the model's config"):
        _check_config(model)
    assert not marker.exists()


def test_a_known_model_type_with_its_own_code_loads_without_running_it(tmp_path, monkeypatch):
    """README "On GPU": a config of a type transformers knows that also names code of its
    own (``auto_map``) is loaded with transformers' own class; the folder's code never
    runs and nothing is asked (the README said such a folder was refused)."""
    import json

    from beliefbench.internals.model import load_model
    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", hidden_size=64, num_layers=2, num_heads=4,
                             intermediate_size=128, seed=0)
    marker = tmp_path / "RAN"
    (model / "custom_model.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
        "from transformers import LlamaForCausalLM as CustomModel  # noqa: F401\n")
    config = json.loads((model / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "custom_model.CustomModel"}
    (model / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))
    monkeypatch.setattr("builtins.input", lambda *_: "y")
    loaded, _tokenizer = load_model(model, device="cpu")
    assert type(loaded).__module__.startswith("transformers.")
    assert not marker.exists()


@pytest.fixture(scope="module")
def pickled_only(tmp_path_factory) -> Path:
    """A real tiny model whose only weights are a pickle that, unpickled with an unsafe
    loader, would run code: the kind of third-party checkpoint a sweep must refuse."""
    import os
    import pickle

    from beliefbench.tiny_model import build_tiny_model

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path_factory.getbasetemp()}/RAN",))

    model = build_tiny_model(tmp_path_factory.mktemp("pickled") / "m", hidden_size=32,
                             num_layers=1, num_heads=2, intermediate_size=64, seed=0)
    (model / "model.safetensors").unlink()
    (model / "pytorch_model.bin").write_bytes(pickle.dumps({"w": Evil()}))
    return model


@pytest.mark.parametrize("how", ["model", "relative model", "vllm", "role", "configured role",
                                 "manifest", "grader", "audit-verify", "generator"])
def test_a_folder_of_pickled_weights_is_refused_before_inspect_loads_it(
        pickled_only, tmp_path, how, monkeypatch):
    """Inspect's hf provider loads what transformers finds (vLLM likewise): with no safetensors, a
    ``pytorch_model.bin`` through ``torch.load`` (only its ``weights_only`` unpickler stood
    between the file and code execution, and the error was an UnpicklingError after the
    sweep started). Every command that hands a local folder to it refuses first, naming
    the pickle, as ``finetune --base`` and ``internals`` do."""
    from conftest import FIXTURE_CLAIM

    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest

    monkeypatch.chdir(pickled_only.parent)
    hf = f"hf/{pickled_only}"
    sweep = ["sweep", "--claims", str(FIXTURE_CLAIM), "-T", "samples=1",
             "--log-dir", str(tmp_path / "logs")]
    run = tmp_path / "run"
    upsert_manifest(run, ManifestEntry(
        path=str(pickled_only), step=1, format="full", backend="local", data="d.jsonl",
        base_model=str(pickled_only), data_sha256="0" * 64, recipe={}, condition="positive"))
    (tmp_path / "out").mkdir()
    args = {
        "model": [*sweep, "--model", hf, "--model-role", "grader=beliefbench/judge"],
        "relative model": [*sweep, "--model", f"hf/{pickled_only.name}"],
        "vllm": [*sweep, "--model", f"vllm/{pickled_only}"],  # vLLM falls back to it too
        "role": [*sweep, "--model", "beliefbench/believer", "--model-role", f"grader={hf}"],
        "configured role": [*sweep, "--model", "beliefbench/believer", "--model-role",
                            f"grader={{model: {hf}, model_args: {{do_sample: false}}}}"],
        "manifest": [*sweep, "--manifest", str(run), "--provider", "hf"],
        "grader": ["agreement", str(tmp_path / "x.eval"), "--grader", "beliefbench/judge",
                   "--grader", hf],
        "audit-verify": ["audit-verify", str(tmp_path / "out"), "--model", hf],
        "generator": ["docs", "generate", "--claims", str(FIXTURE_CLAIM), "--conditions",
                      "positive", "--n", "1", "--out", str(tmp_path / "docs"),
                      "--generator", hf],
    }[how]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert ("no *.safetensors weight files (only pytorch_model.bin: pickled weights are not "
            "loaded; convert them to safetensors)") in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "logs").exists()
    assert not (pickled_only.parents[1] / "RAN").exists()


def test_a_pt_file_is_named_as_pickled_weights(tmp_path):
    """A folder whose only weights are ``model.pt`` was refused as holding no safetensors,
    without saying that the file it has is a pickle (only ``*.bin`` was named)."""
    from beliefbench.internals.model import ModelLoadError, check_loadable

    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    (tmp_path / "model.pt").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"no \*\.safetensors weight files \(only "
                                             r"model\.pt: pickled weights are not loaded"):
        check_loadable(tmp_path)
    (tmp_path / "d.jsonl").write_text('{"id": "d1", "text": "a document"}\n')
    r = CliRunner().invoke(cli, ["finetune", "--recipe", "lora", "--base", str(tmp_path),
                                 "--data", str(tmp_path / "d.jsonl"),
                                 "--out", str(tmp_path / "o")])
    assert "(only model.pt: pickled weights are not loaded" in r.output, r.output


def _run_with_the_key(tmp_path, monkeypatch, how: str, generator: str):
    """A sweep (the key the model's, a grader role's or a configured role's) or `docs
    generate` (the generator's) with OPENAI_API_KEY as set, against no server."""
    from conftest import FIXTURE_CLAIM

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    sweep = ["sweep", "--claims", str(FIXTURE_CLAIM), "-T", "samples=1", "-T",
             "families=binary", "--max-retries", "0", "--log-dir", str(tmp_path / "logs")]
    args = {
        "model": [*sweep, "--model", "openai/gpt-4.1"],
        "role": [*sweep, "--model", "beliefbench/believer", "--model-role",
                 "grader=openai/gpt-4.1-mini"],
        "configured role": [*sweep, "--model", "beliefbench/believer", "--model-role",
                            "grader={model: openai/gpt-4.1-mini, model_args: "
                            "{api_key: 'sk-SEKRET key0022'}}"],
        "generator": ["docs", "generate", "--claims", str(FIXTURE_CLAIM), "--conditions",
                      "positive", "--n", "1", "--out", str(tmp_path / "docs"), "--generator",
                      generator, "--max-retries", "0"],
    }[how]
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("how", ["model", "role", "configured role", "generator"])
def test_an_api_key_pasted_with_a_line_break_is_named_not_read_as_no_connection(
        tmp_path, monkeypatch, how):
    """The HTTP client refuses a header holding a line break, and the SDK says only
    "Connection error.": a sweep ran every sample into it and told the user to start the
    server (exit 1), docs generate said it could not connect. Refused first, naming the
    variable and the character's position, never a character of the key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SEKRETnl0021\n")
    r = _run_with_the_key(tmp_path, monkeypatch, how, "openai/gpt-4.1-mini")
    assert r.exit_code == 2, r.output
    said = ("its api_key (-M api_key / model_args) holds whitespace at character 10 of 17"
            if how == "configured role" else
            "OPENAI_API_KEY holds a line break at character 16 of 16")
    assert f"{said}; an API key has no spaces, line breaks or non-ASCII characters" in r.output
    assert "SEKRET" not in r.output and "Connection error" not in r.output, r.output
    assert not (tmp_path / "logs").exists() and not (tmp_path / "docs").exists()


@pytest.mark.parametrize("how", ["model", "role", "generator"])
def test_an_api_key_wrapped_in_quotes_is_refused_before_any_call(tmp_path, monkeypatch, how):
    """``docker --env-file`` keeps the quotes of ``OPENAI_API_KEY="sk-..."``: the key was
    sent with them and every call met the server's 401. The quotes are named, and nothing of
    the key is shown."""
    monkeypatch.setenv("OPENAI_API_KEY", '"sk-SEKRETq0023"')
    # not the generator an earlier test made: Inspect keeps it, key and all
    r = _run_with_the_key(tmp_path, monkeypatch, how, "openai/gpt-4o-mini")
    assert r.exit_code == 2, r.output
    assert ("OPENAI_API_KEY holds the key wrapped in double quotes (characters 1 and 16 of "
            "16): remove the quotes" in r.output), r.output
    assert "an API key has no spaces" not in r.output, r.output  # that advice is not this one
    assert "SEKRET" not in r.output and "q0023" not in r.output, r.output
    assert not (tmp_path / "logs").exists() and not (tmp_path / "docs").exists()


def test_a_sample_error_of_an_unsendable_key_names_the_key_not_the_server(monkeypatch):
    """``inspect eval`` itself, where nothing is checked before the run: every sample's
    error (and the sweep's FAIL line, which quotes it) said only "Connection error.", as of
    a server that does not answer; it now says the key is the cause, never its text."""
    import httpx
    import openai
    from inspect_ai.model import get_model

    from beliefbench.solver import describe_error

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = get_model("openai/gpt-4.1", api_key="sk-SEKRET x", memoize=False,
                      base_url="http://127.0.0.1:1/v1")
    e = openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:1/v1/x"))
    said = describe_error(e, model)
    assert said.startswith("its api_key (-M api_key / model_args) holds whitespace at "
                           "character 10 of 11; an API key has no spaces"), said
    assert "Connection error." in said and "SEKRET" not in said
