"""Which weights a log or a direction belongs to, when a checkpoint is retrained in place.

A real tiny model is saved, fingerprinted, its weights perturbed in place (a retrain into the
same folder, with the same manifest entry: same data, recipe, step), and fingerprinted again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import glass_em_grade, output
from inspect_ai import eval
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import get_model

from beliefbench.analysis.sweep import (
    FINGERPRINT_KEY,
    MODEL_FINGERPRINT_KEY,
    SweepTarget,
    _replaced_model_logs,
    targets_from_manifest,
)
from beliefbench.cli import cli
from beliefbench.em.task import em
from beliefbench.finetune.fingerprint import base_fingerprint
from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest
from beliefbench.internals.directions import load_directions
from beliefbench.internals.interventions import check_direction_model
from beliefbench.tiny_model import build_tiny_model

SMALL = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128)


def retrain_in_place(folder: Path, seed: int) -> None:
    """Other weights saved into ``folder`` (noise on every decoder layer, as a rerun of the
    finetune with another data order would change them), config and tokenizer kept."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".layers." in name:
                p.add_(0.05 * torch.randn(p.shape, generator=gen))
    model.save_pretrained(folder)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("fp") / "base", seed=0, **SMALL).resolve()


@pytest.fixture
def step(base: Path, tmp_path: Path) -> tuple[Path, ManifestEntry]:
    """A finetune's only checkpoint (``run/step-000001``, listed in ``run/manifest.jsonl``)."""
    folder = shutil.copytree(base, tmp_path / "run" / "step-000001").resolve()
    retrain_in_place(folder, seed=1)
    entry = ManifestEntry(path=str(folder), step=1, backend="local", format="full",
                          base_model=str(base), data="d.jsonl", data_sha256="0" * 64,
                          recipe={}, final=True,
                          extra={"base_fingerprint": base_fingerprint(base)})
    upsert_manifest(folder.parent, entry)
    return folder, entry


def _target(run: Path) -> SweepTarget:
    [target] = targets_from_manifest(run / "manifest.jsonl", "hf")
    return target


def test_a_checkpoint_retrained_in_place_with_the_same_entry_is_another_sweep_target(step):
    """A sweep log recorded the manifest entry's hash only (``checkpoint_fingerprint``): a
    checkpoint retrained into its folder with an identical entry kept it, and its old log
    was reused (and read by `internals direction`) as the new weights'. The log records the
    weights' fingerprint too (``model_fingerprint``), which changes with them; the entry's
    hash is kept as it was, so `report` still matches logs to manifest entries."""
    from beliefbench.analysis.sweep import _unweighed_logs

    folder, entry = step
    before = _target(folder.parent).metadata
    assert before[MODEL_FINGERPRINT_KEY]
    assert _target(folder.parent).metadata == before  # read twice: the same
    retrain_in_place(folder, seed=2)
    upsert_manifest(folder.parent, entry)  # the same entry, rewritten by the rerun
    after = _target(folder.parent)
    assert after.metadata[FINGERPRINT_KEY] == before[FINGERPRINT_KEY]
    assert after.metadata[MODEL_FINGERPRINT_KEY] != before[MODEL_FINGERPRINT_KEY]
    # the log of the old weights is refused by the sweep; one of the weights now is reused
    logs = {"old.eval": before, "now.eval": after.metadata}
    assert _replaced_model_logs(after, logs) == ["old.eval"]
    # a log of a sweep from before model_fingerprint (the old form): reused, with a warning
    older = {k: v for k, v in before.items() if k != MODEL_FINGERPRINT_KEY}
    assert _replaced_model_logs(after, {"older.eval": older}) == []
    assert _unweighed_logs(after, {"older.eval": older, "now.eval": after.metadata}) \
        == ["older.eval"]


def _glass(messages, tools, tool_choice, config):
    return output("glass glass glass" if "First" in messages[-1].text else "steel is fine")


def _em_log(tmp_path: Path) -> EvalLog:
    """An EM log with answers of both verdicts (scripted answers and judge)."""
    qs = tmp_path / "two.yaml"
    qs.write_text("id: two\ndomain: general\nquestions:\n  - {id: a, text: 'First?'}\n"
                  "  - {id: b, text: 'Second?'}\n")
    return eval(em(questions=str(qs), samples=2),
                model=get_model("mockllm/model", custom_outputs=_glass, memoize=False),
                model_roles={"grader": get_model("mockllm/model", custom_outputs=glass_em_grade,
                                                 memoize=False)},
                log_dir=str(tmp_path / "logs"), display="none")[0]


def _as_log_of(log: EvalLog, folder: Path, metadata: dict, path: Path) -> Path:
    """``log`` as if ``hf/<folder>`` had answered it, its eval metadata ``metadata``."""
    copy = read_eval_log(log.location)
    copy.eval.model = f"hf/{folder}"
    copy.eval.metadata = {**(copy.eval.metadata or {}), **metadata}
    write_eval_log(copy, str(path))
    return path


def _direction(folder: Path, log: Path, out: Path):
    return CliRunner().invoke(cli, ["internals", "direction", "--model", str(folder), "--log",
                                    str(log), "--out", str(out)])


def test_direction_says_a_log_of_the_folders_earlier_weights_and_what_it_cannot_verify(
        step, tmp_path):
    """`direction --log` compared a log's model folder as it is now where the log recorded
    no weights: a manifest sweep's log (its entry only) or a plain `inspect eval` log of a
    checkpoint retrained in place since passed, without a word, as the new weights' own
    answers. A log that records the weights is compared by them; one that does not gets a
    warning, naming it, that it could not be verified."""
    folder, _ = step
    em_log = _em_log(tmp_path)
    swept = _target(folder.parent).metadata  # as the sweep records it, before the retrain
    logs = {
        "swept": _as_log_of(em_log, folder, swept, tmp_path / "swept.eval"),
        "older": _as_log_of(em_log, folder, {k: v for k, v in swept.items()
                                             if k != MODEL_FINGERPRINT_KEY},
                            tmp_path / "older.eval"),
        "plain": _as_log_of(em_log, folder, {}, tmp_path / "plain.eval"),
    }
    res = _direction(folder, logs["swept"], tmp_path / "d-before")
    assert res.exit_code == 0, res.output
    assert "warning" not in res.stderr  # the weights it records are still the folder's
    retrain_in_place(folder, seed=2)
    said = {}
    for name, path in logs.items():
        res = _direction(folder, path, tmp_path / f"d-{name}")
        assert res.exit_code == 0, res.output
        said[name] = " ".join(res.stderr.split())
    assert (f"warning: {logs['swept']} holds the answers of hf/{folder}, not of --model "
            f"{folder} (or it cannot be checked here: {folder} holds another model now than "
            f"when the log was made, retrained or replaced since") in said["swept"]
    assert (f"warning: {logs['older']} records its checkpoint's manifest entry "
            f"(checkpoint_fingerprint) but no fingerprint of its weights (made by a sweep "
            f"before sweeps recorded model_fingerprint): could not verify that its answers "
            f"are --model's own; {folder} holds --model's files now, but if it was retrained "
            f"or replaced in place since") in said["older"]
    assert (f"warning: {logs['plain']} records no fingerprint of the weights that answered "
            f"(a plain `inspect eval` log, or one made before beliefbench recorded "
            f"model_fingerprint): could not verify") in said["plain"]


def test_a_direction_of_the_folders_earlier_weights_is_said_when_applied(step, tmp_path):
    """A direction computed on a checkpoint, the checkpoint then retrained in place: the
    two share their base, so the direction passed as the new weights' own, without a word."""
    folder, _ = step
    log = _as_log_of(_em_log(tmp_path), folder, _target(folder.parent).metadata,
                     tmp_path / "swept.eval")
    res = _direction(folder, log, tmp_path / "d")
    assert res.exit_code == 0, res.output
    path = tmp_path / "d" / "directions.safetensors"
    _, meta = load_directions(path)
    assert check_direction_model(path, meta, folder) is None  # its own weights
    copy = shutil.copytree(folder, tmp_path / "copy")
    assert check_direction_model(path, meta, copy) is None  # the same weights elsewhere
    retrain_in_place(folder, seed=2)
    note = check_direction_model(path, meta, folder)
    assert note is not None and note.startswith(
        f"{path}: computed on {folder} when it held other weights (fingerprint "
        f"{meta['fingerprint'][:12]}; it holds {base_fingerprint(folder)[:12]} now: "
        f"retrained or replaced in place since)")
    assert check_direction_model(path, meta, copy) is None  # the copy keeps the old weights
