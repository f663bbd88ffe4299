"""A feature whose optional package is missing is refused in one line, naming the feature,
the package and the install command, exit 2, before any work and with nothing written.
Packages are hidden with ``sys.modules[name] = None`` (nothing is uninstalled)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.cli import cli
from beliefbench.finetune.errors import FinetuneError
from beliefbench.finetune.recipe import Recipe
from beliefbench.optional import PACKAGES, installed, missing, vllm_missing

ROOT = Path(__file__).resolve().parents[1]


def _hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``names`` unimportable for the test, as if they were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_line_names_feature_package_and_install_command(monkeypatch):
    _hide(monkeypatch, "liger_kernel")
    assert not installed("liger_kernel")
    assert missing("liger_kernel", "recipe use_liger: true") == (
        "recipe use_liger: true needs the liger-kernel package, not installed here: "
        "pip install '.[gpu]' in the beliefbench folder")
    assert missing("json", "anything") is None


def test_install_commands_name_extras_that_hold_the_package():
    """Every extra the messages and README name exists in pyproject.toml with the package."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for package, command in PACKAGES.values():
        if m := re.search(r"beliefbench\[(\w+)\]", command):
            assert any(re.match(rf"{re.escape(package)}\b", r) for r in extras[m[1]]), command
    readme = (ROOT / "README.md").read_text()
    named = {*re.findall(r"beliefbench\[(\w+)\]", readme),
             *re.findall(r'pip install "\.\[(\w+)\]', readme)}
    assert named and named <= set(extras), named - set(extras)


def test_cli_help_needs_no_optional_package():
    """--help of every command works without them, and none is imported at start."""
    hidden = [*PACKAGES, "kernels"]
    code = (f"import sys\nfor m in {hidden!r}: sys.modules[m] = None\n"
            "from click.testing import CliRunner\nfrom beliefbench.cli import cli\n"
            "bad = []\n"
            "def walk(group, path):\n"
            "    for name, cmd in group.commands.items():\n"
            "        r = CliRunner().invoke(cli, [*path, name, '--help'])\n"
            "        if r.exit_code: bad.append((path, name, r.output))\n"
            "        if hasattr(cmd, 'commands'): walk(cmd, [*path, name])\n"
            "walk(cli, [])\nprint(bad)\n"
            "print(sorted(m for m in ('torch', 'transformers', 'dask', 'vllm') "
            "if sys.modules.get(m)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.splitlines()[-2:] == ["[]", "[]"], done.stdout + done.stderr


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"text": f"Document {i}."}) + "\n" for i in range(3)))
    return path


def test_audit_dask_engine_without_dask_is_refused_before_the_corpus_is_planned(
        tmp_path, monkeypatch):
    audit_run = importlib.import_module("beliefbench.audit.run")  # not the package's run()
    _hide(monkeypatch, "dask", "dask.bag")
    monkeypatch.setattr(audit_run, "plan_units", lambda *a, **k: pytest.fail("planned"))
    res = CliRunner().invoke(cli, ["audit", str(_corpus(tmp_path)), "--out",
                                   str(tmp_path / "out"), "--engine", "dask"])
    assert res.exit_code == 2, res.output
    assert ("--engine dask needs the dask package, not installed here: pip install "
            "'.[audit]' in the beliefbench folder") in res.output
    assert not (tmp_path / "out").exists()


def test_audit_on_a_cluster_without_distributed_is_refused(tmp_path, monkeypatch):
    _hide(monkeypatch, "distributed")
    res = CliRunner().invoke(cli, ["audit", str(_corpus(tmp_path)), "--out",
                                   str(tmp_path / "out"), "--engine", "dask",
                                   "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2, res.output
    assert "needs the distributed package" in res.output
    assert "pip install '.[audit]' in the beliefbench folder" in res.output
    assert not (tmp_path / "out").exists()


VLLM_LINE = ("needs the vllm package, not installed here: pip install '.[vllm]' in the "
             "beliefbench folder")


def test_vllm_model_without_vllm_unless_served_elsewhere(monkeypatch):
    _hide(monkeypatch, "vllm")
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    assert VLLM_LINE in vllm_missing("vllm//abs/ckpt")
    assert vllm_missing("vllm//abs/ckpt", {"base_url": "http://h:8000/v1"}) is None
    assert vllm_missing("hf//abs/ckpt") is None
    monkeypatch.setenv("VLLM_BASE_URL", "http://h:8000/v1")
    assert vllm_missing("vllm//abs/ckpt") is None


def test_audit_verify_with_a_vllm_model_without_vllm_sends_nothing(tmp_path, monkeypatch):
    """Each flag used to be sent and fail (exit 3, a verified.jsonl of failures)."""
    _hide(monkeypatch, "vllm")
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    before = set(tmp_path.iterdir())
    res = CliRunner().invoke(cli, ["audit-verify", str(tmp_path), "--model", "vllm//abs/m"])
    assert res.exit_code == 2, res.output
    assert f"--model vllm//abs/m: a vllm/ model served on this machine {VLLM_LINE}" \
        in res.output
    assert set(tmp_path.iterdir()) == before


def test_docs_generate_with_a_vllm_generator_without_vllm(tmp_path, monkeypatch):
    """It was Inspect's three-line message, exit 1, after the first stage line."""
    _hide(monkeypatch, "vllm")
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   "positive", "--n", "2", "--out", "out", "--generator",
                                   "vllm//abs/m"])
    assert res.exit_code == 2, res.output
    assert f"generator vllm//abs/m: a vllm/ model served on this machine {VLLM_LINE}" \
        in res.output
    assert list(tmp_path.iterdir()) == []


def test_agreement_with_a_vllm_grader_without_vllm(tmp_path, monkeypatch):
    import beliefbench.analysis.agreement as agreement

    _hide(monkeypatch, "vllm")
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    monkeypatch.setattr(agreement, "load_log", lambda *a, **k: pytest.fail("log read"))
    log = tmp_path / "belief.eval"
    log.write_text("")
    res = CliRunner().invoke(cli, ["agreement", str(log), "--grader", "mockllm/model",
                                   "--grader", "vllm//abs/m"])
    assert res.exit_code == 2, res.output
    assert f"--grader vllm//abs/m: a vllm/ model served on this machine {VLLM_LINE}" \
        in res.output


def _refused_before_tokenizing(monkeypatch, tmp_path, recipe: Recipe) -> str:
    """train_local's refusal of ``recipe``, checked to come before the tokenizer (and so
    the data and the model) is loaded, with nothing written."""
    import transformers

    from beliefbench.finetune import local

    monkeypatch.setattr(local, "resolve_base", lambda base: base)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained",
                        lambda *a, **k: pytest.fail("the tokenizer was loaded"))
    with pytest.raises(FinetuneError) as e:
        local.train_local(recipe, tmp_path / "data.jsonl", "base", tmp_path / "out",
                          recipe_path="r.yaml")
    assert not (tmp_path / "out").exists()
    return str(e.value)


def test_flash_attention_without_flash_attn_is_refused_at_once(tmp_path, monkeypatch):
    import torch

    _hide(monkeypatch, "flash_attn", "kernels")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU without the package
    said = _refused_before_tokenizing(monkeypatch, tmp_path,
                                      Recipe(attn_implementation="flash_attention_2"))
    assert said == ("r.yaml: field attn_implementation: flash_attention_2 needs the flash-attn "
                    "package, not installed here: pip install flash-attn --no-build-isolation")


@pytest.mark.skipif(installed("bitsandbytes"), reason="bitsandbytes is installed here")
def test_bitsandbytes_optimizer_without_the_package_is_refused_at_once(tmp_path, monkeypatch):
    """It was refused only once the model was loaded (minutes for a large one)."""
    said = _refused_before_tokenizing(monkeypatch, tmp_path, Recipe(optim="adamw_bnb_8bit"))
    assert said.startswith("r.yaml: field optim: 'adamw_bnb_8bit' cannot be used here (")
    assert "bitsandbytes" in said


def test_optimizer_package_check_leaves_accelerate_state_alone(tmp_path, monkeypatch):
    """The early check must not set up accelerate's process state (the run's own
    TrainingArguments do, for the devices the run uses)."""
    from accelerate.state import PartialState

    from beliefbench.finetune import local

    monkeypatch.setattr(PartialState, "_shared_state", {})
    local._check_optimizer_package(Recipe(optim="adamw_torch"), None)
    assert PartialState._shared_state == {}


def test_liger_without_liger_kernel_names_the_extra(monkeypatch):
    import torch

    from beliefbench.finetune import local

    _hide(monkeypatch, "liger_kernel")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU without the package
    with pytest.raises(FinetuneError, match=re.escape(
            "use_liger: true (on a CUDA GPU) needs the liger-kernel package, not installed "
            "here: pip install '.[gpu]' in the beliefbench folder")):
        local._check_liger(Recipe(use_liger=True))
