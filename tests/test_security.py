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
