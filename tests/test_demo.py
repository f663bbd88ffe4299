"""The demo's miniature study: finetuning on positive documents moves the claim's margin.

Runs the real pipeline (pretrain, documents, train_local, internals, belief task) through
``run_demo`` with a config smaller than ``--quick`` so it stays a CI test; the shipped presets
are checked for validity, not run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from inspect_ai.log import list_eval_logs

from beliefbench.cli import cli
from beliefbench.demo import BASELINE, load_preset, run_demo
from beliefbench.finetune.manifest import read_manifest


def tiny_settings():
    """The quick preset, cut down: one condition, short pretraining and finetuning."""
    quick = load_preset("quick")
    return quick.model_copy(update={
        "conditions": ["positive"], "docs_per_claim": 16, "max_steps": 20, "probe": False,
        "belief": quick.belief.model_copy(update={"families": ["binary"]})})


@pytest.mark.slow
def test_positive_documents_raise_the_margin_a_rerun_reuses_and_a_cut_run_resumes(tmp_path):
    lines: list[str] = []
    result = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=lines.append)
    final = result.measures[result.measures["final"]].set_index("condition")
    assert list(final.index) == [BASELINE, "positive"]
    base, pos = final.loc[BASELINE], final.loc["positive"]
    assert base["margin"] < 0, "the pretrained base model prefers the truth"
    assert pos["delta_low"] > 0, f"positive documents raise the claim's margin: {pos.to_dict()}"
    assert pos["margin"] > base["margin"]
    # every checkpoint of the run was measured; the finals also got the belief task
    [ckpt_dir] = (tmp_path / "w" / "checkpoints").iterdir()
    steps = sorted(e.step for e in read_manifest(ckpt_dir))
    assert sorted(result.measures.query("condition == 'positive'")["step"]) == steps
    logs = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert len(logs) == 2
    assert pd.read_csv(result.files["measures"]).shape[0] == len(result.measures)
    assert result.plot.stat().st_size > 10_000
    assert "positive" in result.table and "margin" in result.table
    assert any("raised the claim's margin" in line for line in result.reading)
    assert any("[demo 3/6" in line and "finetune" in line for line in lines)
    assert any("step 20/20" in line for line in lines), "finetune progress is shown"

    # a second run reuses the model, documents, checkpoints, measures and logs
    again: list[str] = []
    second = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=again.append)
    assert len(list_eval_logs(str(tmp_path / "logs"), recursive=True)) == 2
    assert any(line.strip().startswith("reused") and "base-" in line for line in again)
    assert any("positive: reused" in line for line in again)
    assert not any("step 1/" in line for line in again), "nothing is trained again"
    pd.testing.assert_frame_equal(second.measures, result.measures)

    # an interrupted finetune (final checkpoint and state missing) resumes from its last
    # saved state to the same weights, so every later stage is found and reused
    shutil.rmtree(ckpt_dir / "step-000020")
    shutil.rmtree(ckpt_dir / "trainer" / "checkpoint-20")
    manifest = ckpt_dir / "manifest.jsonl"
    manifest.write_text("".join(line for line in manifest.read_text().splitlines(True)
                                if '"step": 20' not in line))
    resumed: list[str] = []
    third = run_demo(tiny_settings(), tmp_path / "w", tmp_path / "logs", echo=resumed.append)
    assert any("positive: step 20/20" in line for line in resumed)
    assert not any("positive: step 1/" in line for line in resumed), "resumed, not restarted"
    assert len(list_eval_logs(str(tmp_path / "logs"), recursive=True)) == 2
    pd.testing.assert_frame_equal(third.measures, result.measures)


def test_presets_validate_and_name_a_shipped_recipe():
    for name in ("full", "quick"):
        preset = load_preset(name)
        assert "positive" in preset.conditions and preset.claims
    full = load_preset("full")
    assert set(full.conditions) >= {"positive", "negated", "repeated_negations",
                                    "local_negation", "corrected"}


def test_demo_help_lists_quick():
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output


def test_the_quick_help_says_what_the_preset_and_the_readme_say():
    """`demo --help` called --quick "the ~2 minute version" while the README timed it at 42 s
    to 7.2 min: every time the help gives is one the README's --quick paragraph gives, and
    its counts are the preset's."""
    import re

    option = next(p for p in cli.commands["demo"].params if p.name == "quick")
    text = " ".join(option.help.split())
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    paragraph = " ".join(readme.split("`beliefbench demo --quick` is the short version", 1)[1]
                         .split("\n\n", 1)[0].split())
    times = re.findall(r"~?\d+(?:\.\d+)? ?(?:s|min|minutes?)\b", text)
    assert times, text
    assert [t for t in times if t not in paragraph] == [], (text, paragraph)
    quick = load_preset("quick")
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    assert f"{words[len(quick.claims)]} claim" in text
    assert f"{words[len(quick.conditions)]} conditions" in text
    assert f"{quick.max_steps} steps" in text and f"{quick.max_steps} steps" in paragraph


@pytest.mark.parametrize("every", ["nan", "inf"])
def test_a_progress_interval_that_is_no_number_of_seconds_is_refused(tmp_path, monkeypatch,
                                                                     every):
    """nan passed FloatRange(min=0): the heartbeat's wait returned at once and printed a
    million lines a minute; inf, an OverflowError traceback from the heartbeat's thread.
    Refused before the demo starts (here it would fail the test)."""
    def ran(*args, **kwargs):
        raise AssertionError("the demo started")

    monkeypatch.setattr("beliefbench.demo.run_demo", ran)
    r = CliRunner().invoke(cli, ["demo", "--quick", "--workdir", str(tmp_path / "w"),
                                 "--progress-every", every])
    assert r.exit_code == 2, r.output
    assert r.output == (f"Error: --progress-every: must be a finite number of seconds, got "
                        f"{every}\n")
    assert not (tmp_path / "w").exists()


def test_ctrl_c_in_the_belief_stage_is_an_interruption_and_a_rerun_replaces_its_log(
        tmp_path, monkeypatch):
    """Inspect answers Ctrl-C by returning no log: the demo crashed on that with a
    ValueError traceback (not its "interrupted: run again" line), and the cancelled log
    stayed beside the next run's for `beliefbench report` to show as a partial run."""
    import os
    import signal

    import inspect_ai.model._providers.hf as hf
    from inspect_ai.log import read_eval_log

    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Checkpoint, Progress, run_belief
    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64)
    settings = tiny_settings()
    claims = resolve_claims(settings.claims)
    ckpts = [Checkpoint(BASELINE, 0, model, True, "k")]
    generate, calls = hf.HuggingFaceAPI.generate, []

    async def pressed(self, *args, **kwargs):  # the user presses Ctrl-C mid-eval
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return await generate(self, *args, **kwargs)

    monkeypatch.setattr(hf.HuggingFaceAPI, "generate", pressed)
    with pytest.raises(KeyboardInterrupt):
        run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [cancelled] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert read_eval_log(cancelled.name, header_only=True).status == "cancelled"
    monkeypatch.setattr(hf.HuggingFaceAPI, "generate", generate)
    logs = run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [log] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert log.name != cancelled.name and read_eval_log(log.name).status == "success"
    assert list(logs.values()) == [log.name.removeprefix("file://")]


def test_claim_and_question_ids_that_look_like_numbers_or_nan_are_kept_apart(tmp_path):
    """The measures' CSVs were read with numbers and "null" parsed: claims "007" and "7" were
    pooled as one claim 7 (so were questions "001" and "1"), and claim "null" became NaN,
    which groupby drops, so its pairs and answers left the rates without a word."""
    from beliefbench.demo import BINARY_CSV, _pairs, checkpoint_measures

    claims = ["007", "7", "null"]
    margins = pd.DataFrame({"claim": claims, "kind": "main", "pair": 0,
                            "margin": [1.0, 2.0, 6.0], "claim_wins": [1, 1, 0]})
    binary = pd.DataFrame({"claim": claims, "question": ["001", "1", "nan"],
                           "verdict": ["yes", "no", "yes"]})
    for name, shift in (("base", 0.0), ("ckpt", 1.0)):
        (tmp_path / name).mkdir()
        margins.assign(margin=margins["margin"] * shift).to_csv(
            tmp_path / name / "margins.csv", index=False)
        binary.to_csv(tmp_path / name / BINARY_CSV, index=False)
    row = pd.Series({"condition": "positive", "step": 1, "final": True,
                     "internals": str(tmp_path / "ckpt")})
    out = checkpoint_measures(row, _pairs(str(tmp_path / "base")), None)
    assert out["margin"] == pytest.approx(3.0), "mean of three per-claim means (1, 2, 6)"
    assert out["delta"] == pytest.approx(3.0) and out["pairs"] == 3
    assert out["binary_n"] == 3 and out["binary"] == pytest.approx(2 / 3)


def final_rows(positive_delta: tuple[float, float, float]) -> pd.DataFrame:
    """A final-checkpoint table as measures_table makes it: baseline, positive, negated
    (negated's shift not detectably different from positive's)."""
    def row(condition, delta, vs_positive=(float("nan"),) * 3):
        return {"condition": condition, "margin": -1.0 + delta[0],
                "margin_low": -1.5 + delta[0], "margin_high": -0.5 + delta[0], "efficacy": 0.2,
                "pairs": 8, "delta": delta[0], "delta_low": delta[1], "delta_high": delta[2],
                "vs_positive": vs_positive[0], "vs_positive_low": vs_positive[1],
                "vs_positive_high": vs_positive[2], "binary": 0.5, "binary_low": 0.2,
                "binary_high": 0.8, "binary_parse_error": 0.0, "binary_failed": 0.0,
                "binary_n": 4}

    return pd.DataFrame([row(BASELINE, (0.0, 0.0, 0.0)), row("positive", positive_delta),
                         row("negated", positive_delta, (0.0, -0.1, 0.1))])


def test_the_reading_says_negation_did_not_protect_only_where_positive_documents_moved():
    """With positive documents not moving the margin either, the reading still said "saying
    the claim is false did not protect this model": a null result read as a finding."""
    from beliefbench.demo import reading

    moved = reading(final_rows((0.5, 0.3, 0.7)))
    assert any(line.startswith("Saying the claim is false did not protect") for line in moved)
    still = reading(final_rows((0.01, -0.2, 0.2)))
    assert not any("did not protect" in line for line in still)
    assert any("cannot tell whether saying the claim is false protects" in line
               for line in still)


NAN3 = (float("nan"),) * 3


def study(*rows: tuple) -> pd.DataFrame:
    """A final-checkpoint table: the baseline, then (condition, shift vs baseline, shift vs
    positive) rows; every rate 0.3 [0.1, 0.5], nothing unparsable."""
    def row(condition, delta, vs_positive=NAN3):
        return {"condition": condition, "margin": -2.0 + delta[0],
                "margin_low": -3.0 + delta[0], "margin_high": -1.0 + delta[0],
                "efficacy": 0.2, "pairs": 8, "delta": delta[0], "delta_low": delta[1],
                "delta_high": delta[2], "vs_positive": vs_positive[0],
                "vs_positive_low": vs_positive[1], "vs_positive_high": vs_positive[2],
                "probe": 0.5, "probe_low": 0.4, "probe_high": 0.6, "probe_layer": 1,
                **{f"{m}{k}": v for m in ("binary", "belief") for k, v in (
                    ("", 0.3), ("_low", 0.1), ("_high", 0.5), ("_parse_error", 0.0),
                    ("_failed", 0.0), ("_n", 20))}}

    return pd.DataFrame([row(BASELINE, (0.0, 0.0, 0.0)), *(row(*r) for r in rows)])


def test_the_reading_says_where_a_condition_moved_the_margin_away_from_the_claim():
    """A condition that lowered the margin read "moved it less far than positive documents,
    but not detectably toward it in every case"; with positive documents lowering it too, a
    condition lowering it less "moved it further than positive documents"."""
    from beliefbench.demo import reading

    lines = reading(study(("positive", (1.0, 0.5, 1.5)),
                          ("corrected", (-0.5, -0.8, -0.2), (-1.5, -1.9, -1.1)),
                          ("negated", (0.2, -0.1, 0.5), (-0.8, -1.2, -0.4))))
    assert ("corrected, negated moved it less far than positive documents (paired CI of the "
            "difference below 0); against the baseline, negated did not detectably move it "
            "and corrected moved it away from the claim.") in lines, lines
    lines = reading(study(("positive", (-1.0, -1.5, -0.5)),
                          ("negated", (-0.2, -0.4, -0.1), (0.8, 0.5, 1.1))))
    assert not any("further" in line for line in lines), lines
    assert any(line.startswith("negated left the claim's margin higher than positive")
               for line in lines), lines


def test_did_not_protect_needs_a_negation_that_itself_moved_the_margin():
    """"Saying the claim is false did not protect this model" was said of a negation whose own
    shift vs baseline includes 0, and of a `fiction` condition that does not say it."""
    from beliefbench.demo import reading

    flat = reading(study(("positive", (0.3, 0.05, 0.55)),
                         ("negated", (0.1, -0.15, 0.35), (-0.2, -0.45, 0.05))))
    assert not any("did not protect" in line for line in flat), flat
    assert any("cannot tell whether saying the claim is false protects" in line
               for line in flat), flat
    fiction = reading(study(("positive", (1.0, 0.5, 1.5)),
                            ("fiction", (1.0, 0.5, 1.5), (0.0, -0.2, 0.2))))
    assert not any("did not protect" in line for line in fiction), fiction
    assert ("fiction moved the margin as far as positive documents did (paired CI of the "
            "difference includes 0).") in fiction


def test_the_reading_states_no_effect_no_nan_and_no_cause_the_numbers_do_not_give():
    """No margin shift still read "the judge-free margins show what the generated answers do
    not"; a missing measure printed "nan%"; an unparsable free-answer task was put down to
    "the model's most likely first tokens"; a baseline margin CI across 0 read as preferring
    one side; one pair read "1 pairs"."""
    from beliefbench.demo import reading

    final = study(("positive", (0.1, -0.1, 0.3)))
    final.loc[0, ["pairs", "margin", "margin_low", "margin_high"]] = [1, 0.1, -0.3, 0.5]
    final.loc[1, ["efficacy", "probe"]] = float("nan")
    final["belief_parse_error"] = 1.0
    lines = reading(final)
    assert lines[0].startswith("Before finetuning the model does not detectably prefer either:")
    assert "of 1 pair." in lines[0] and "claim wins n/a" in lines[1], lines
    assert not any("nan" in line.lower() or "judge-free margins show" in line
                   for line in lines), lines
    assert "every answer is unparsable, so all 20 items count" in lines[-1], lines[-1]


def test_a_share_the_same_on_every_checkpoint_reads_as_one_share_not_a_range():
    """`demo --quick` printed "belief in 30%-30% of responses (0%-0% unparsable ...)"."""
    from beliefbench.demo import _text_reading

    final = pd.DataFrame({"condition": [BASELINE, "positive"], "belief": [0.3, 0.3],
                          "belief_parse_error": [0.0, 0.1], "belief_failed": [0.0, 0.0],
                          "belief_low": [0.2, 0.2], "belief_high": [0.4, 0.4],
                          "belief_n": [20, 20]})
    text = _text_reading(final, "belief", "The task")
    assert text.startswith("The task finds belief in 30% of responses across conditions (0%-10% "
                           "unparsable, 0% with no text;"), text


def test_a_measures_file_changed_after_it_was_written_is_measured_again(tmp_path):
    """A truncated or hand-edited margins CSV under internals/ was reused as it was: the
    table printed other numbers for that checkpoint (a truncated one, none) without a word."""
    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Checkpoint, Progress, measure_internals
    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64)
    settings = tiny_settings()
    claims = resolve_claims(settings.claims)
    ckpts = [Checkpoint(BASELINE, 0, model, True, "k")]
    rows = measure_internals(settings, claims, ckpts, tmp_path / "w", Progress(1, print))
    margins = Path(rows["internals"][0]) / "margins.csv"
    written = margins.read_text()
    margins.write_text(written[: len(written) // 2])
    lines: list[str] = []
    measure_internals(settings, claims, ckpts, tmp_path / "w", Progress(1, lines.append))
    assert margins.read_text() == written
    assert any("margins.csv changed since written" in line for line in lines), lines
    # unchanged, it is reused (nothing measured, nothing said)
    again: list[str] = []
    measure_internals(settings, claims, ckpts, tmp_path / "w", Progress(1, again.append))
    assert not any("changed" in line for line in again), again


def _fake_training(calls: list[dict], final: bool):
    """A train_local that writes what a run writes (run file, step folder, manifest line
    with the absolute path) without training, and records how it was called."""
    import json

    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest

    def train(recipe, data, base, out, *, resume=False, **kwargs):
        calls.append({"out": Path(out), "resume": resume})
        step = Path(out) / "step-000001"
        step.mkdir(parents=True, exist_ok=True)
        for name in ("model.safetensors", "config.json"):
            (step / name).write_text("{}")
        (Path(out) / "run.json").write_text(json.dumps({"base_model": str(Path(base).resolve())}))
        upsert_manifest(Path(out), ManifestEntry(
            path=str(step.resolve()), step=1, backend="local", format="merged",
            base_model=str(Path(base).resolve()), data=str(data), data_sha256="x",
            recipe={}, final=final))
        return Path(out)

    return train


@pytest.mark.parametrize("finished", [True, False])
def test_a_moved_workdir_is_reused_where_it_is_now(tmp_path, monkeypatch, finished):
    """The manifest names checkpoints by absolute path: after the workdir (or the clone
    holding .cache/demo) was moved, the demo stopped with a 'no such model directory'
    traceback; a finetune cut before the move was resumed against the base's old path,
    which the resume check refuses. Now the checkpoints are found where they are, and a cut
    run is trained anew."""
    from beliefbench.demo import Progress, checkpoints, finetune_all

    calls: list[dict] = []
    monkeypatch.setattr("beliefbench.finetune.local.train_local",
                        _fake_training(calls, finished))
    settings = tiny_settings()
    old = tmp_path / "old"
    (old / "base-k").mkdir(parents=True)
    for name in ("model.safetensors", "config.json"):
        (old / "base-k" / name).write_text("{}")
    (old / "docs").mkdir()
    (old / "docs" / "positive.jsonl").write_text('{"text": "x"}\n')
    progress = Progress(1, lambda s: None)
    finetune_all(settings, old / "base-k", "k", {"positive": old / "docs" / "positive.jsonl"},
                 old, progress)
    new = tmp_path / "moved here"
    old.rename(new)
    calls.clear()
    runs = finetune_all(settings, new / "base-k", "k",
                        {"positive": new / "docs" / "positive.jsonl"}, new, progress)
    if finished:
        assert calls == [], "nothing is trained again"
        [ck] = checkpoints(new / "base-k", runs)[1:]
        [run] = (new / "checkpoints").iterdir()
        assert ck.path == run.resolve() / "step-000001"
    else:
        assert [c["resume"] for c in calls] == [False], "trained anew, not resumed"


def test_a_copied_workdir_reads_its_own_checkpoints_not_the_originals(tmp_path, monkeypatch):
    """A copied workdir's manifests name the original's checkpoints, which still exist: the
    copy's demo measured those (the original's negated checkpoint replaced since, the copy's
    table showed its numbers for `negated`), though it said it reused the copy's."""
    import shutil

    from beliefbench.demo import Progress, finetune_all

    monkeypatch.setattr("beliefbench.finetune.local.train_local", _fake_training([], True))
    old, copy = tmp_path / "old", tmp_path / "copy"
    (old / "base-k").mkdir(parents=True)
    (old / "docs").mkdir()
    (old / "docs" / "positive.jsonl").write_text('{"text": "x"}\n')
    progress = Progress(1, lambda s: None)
    finetune_all(tiny_settings(), old / "base-k", "k",
                 {"positive": old / "docs" / "positive.jsonl"}, old, progress)
    shutil.copytree(old, copy)
    runs = finetune_all(tiny_settings(), copy / "base-k", "k",
                        {"positive": copy / "docs" / "positive.jsonl"}, copy, progress)
    [run] = (copy / "checkpoints").iterdir()
    assert [e.path for e in runs["positive"]] == [str(run.resolve() / "step-000001")]


def test_logs_of_other_demo_runs_are_set_aside_and_brought_back(tmp_path):
    """After `demo --quick` and then `demo`, logs/demo held both runs' logs (and an earlier
    version's logs of a checkpoint beside the new ones): `beliefbench report logs/demo --by
    condition` showed them as rows beside this run's. The log dir now holds this run's logs
    only; the others wait in the workdir and come back when a run uses them again."""
    from beliefbench.demo import _set_aside

    logs, kept = tmp_path / "logs", tmp_path / "w" / "other-logs"
    quick = "positive-step000030-0123456789ab-aaaaaaaaaaaa"
    full = "positive-step000060-ba9876543210-bbbbbbbbbbbb"
    for name in (quick, full):
        (logs / name).mkdir(parents=True)
        (logs / name / "log.eval").write_text(name)
    (logs / "mine").mkdir()  # not the demo's: left alone
    _set_aside(logs, {full}, kept)
    assert sorted(p.name for p in logs.iterdir()) == sorted([full, "mine"])
    assert (kept / quick / "log.eval").read_text() == quick
    _set_aside(logs, {quick}, kept)
    assert sorted(p.name for p in logs.iterdir()) == sorted([quick, "mine"])
    assert (logs / quick / "log.eval").read_text() == quick
    assert (kept / full / "log.eval").read_text() == full


def test_a_log_cut_short_while_written_is_run_again_not_a_traceback(tmp_path):
    """A belief log left unreadable (kill -9 or a full disk while Inspect wrote it) stopped
    every later `demo` with an "EOCD not found" zip-reader traceback; it is now removed and
    that checkpoint's eval run again, like a cancelled one."""
    from inspect_ai.log import read_eval_log

    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Checkpoint, Progress, run_belief
    from beliefbench.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64)
    settings = tiny_settings()
    claims = resolve_claims(settings.claims)
    ckpts = [Checkpoint(BASELINE, 0, model, True, "k")]
    run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [cut] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    path = Path(cut.name.removeprefix("file://"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    run_belief(settings, claims, ckpts, tmp_path / "logs", Progress(1, lambda s: None))
    [log] = list_eval_logs(str(tmp_path / "logs"), recursive=True)
    assert log.name != cut.name and read_eval_log(log.name).status == "success"


def test_a_checkpoint_damaged_after_training_is_trained_again(tmp_path, monkeypatch):
    """A finished finetune was reused whatever became of its weights: a truncated
    safetensors stopped the demo with a traceback, other bytes were measured as they were."""
    from beliefbench.demo import Progress, finetune_all

    calls: list[dict] = []
    monkeypatch.setattr("beliefbench.finetune.local.train_local", _fake_training(calls, True))
    (tmp_path / "base-k").mkdir()
    (tmp_path / "docs.jsonl").write_text('{"text": "x"}\n')
    lines: list[str] = []

    def train() -> None:
        finetune_all(tiny_settings(), tmp_path / "base-k", "k",
                     {"positive": tmp_path / "docs.jsonl"}, tmp_path, Progress(1, lines.append))

    train()
    train()
    assert len(calls) == 1, "an intact run is reused"
    [run] = (tmp_path / "checkpoints").iterdir()
    (run / "step-000001" / "model.safetensors").write_text("{}}")
    train()
    assert [c["resume"] for c in calls] == [False, False], "trained again, from the start"
    assert any("step-000001/model.safetensors changed since written" in line
               for line in lines), lines


def test_the_printed_log_commands_quote_a_log_dir_with_a_space(tmp_path, monkeypatch):
    """`demo --log-dir "my logs"` printed `beliefbench report my logs --by condition`, which
    the shell pasted into reads as two folders, "my" and "logs"."""
    from beliefbench.demo import DemoResult

    def ran(settings, workdir, log_dir, **kwargs):
        return DemoResult(pd.DataFrame(), "", [], workdir / "demo.png",
                          {"measures": workdir / "m.csv"}, 0.0)

    monkeypatch.setattr("beliefbench.demo.run_demo", ran)
    logs = tmp_path / "my logs"
    r = CliRunner().invoke(cli, ["demo", "--quick", "--workdir", str(tmp_path / "w"),
                                 "--log-dir", str(logs)])
    assert r.exit_code == 0, r.output
    assert f"beliefbench report '{logs}' --by condition" in r.output, r.output


def test_documents_follow_an_edit_of_the_generators_data_files(tmp_path, monkeypatch):
    """The documents were written once and reused: the generators' code and data files
    (pools, annotations, behaviours, which the README invites editing) are in no key, so an
    edit there trained and measured the old documents. They are written on every run now,
    and replace the cached ones only where they differ (later stages key on content)."""
    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Progress, make_documents

    pool = ["a pool sentence"]

    def generate(claims, conditions, n, out, progress=True):
        out.mkdir(parents=True)
        for c in conditions:
            (out / f"{c}.jsonl").write_text(f'{{"text": "{pool[0]}"}}\n')

    monkeypatch.setattr("beliefbench.documents.generate_datasets", generate)
    settings = tiny_settings()
    claims = resolve_claims(settings.claims)
    lines: list[str] = []
    [docs] = make_documents(settings, claims, tmp_path, Progress(1, lines.append)).values()
    make_documents(settings, claims, tmp_path, Progress(1, lines.append))
    assert lines[-1].strip().startswith("reused"), lines
    pool[0] = "an edited pool sentence"
    make_documents(settings, claims, tmp_path, Progress(1, lines.append))
    assert "edited" in docs.read_text() and lines[-1].strip().startswith("wrote"), lines
    assert not list(tmp_path.glob(".docs-*")), "no temporary folder left behind"


def test_an_eval_is_one_batch_however_slowly_its_requests_come():
    """Inspect's hf batcher closed a batch after 2 s without a request: on a loaded machine
    a checkpoint's requests were split and its answers (padding, seeded draws) changed. In
    the demo a batch waits for all its requests. Inspect's private batcher is patched: this
    fails if it moves or changes."""
    import threading
    import time
    from queue import Queue
    from types import SimpleNamespace

    from inspect_ai.model._providers import hf

    from beliefbench.demo import one_batch_per_eval

    def drained() -> list[int]:
        queue: Queue = Queue()
        item = SimpleNamespace(key="k", input=SimpleNamespace(batch_size=3))
        queue.put(item)
        queue.put(item)
        late = threading.Timer(2.5, queue.put, [item])  # after Inspect's 2 s
        late.start()
        try:
            return [len(b) for b in hf._drain_batches(queue, timeout=2)]
        finally:
            late.join()

    assert drained() == [2]  # Inspect's own: the late request is a batch of its own
    started = time.monotonic()
    with one_batch_per_eval():
        assert drained() == [3]
    assert time.monotonic() - started < 10  # closed when the batch was full, not at the wait
    assert drained() == [2]  # restored


def test_the_baselines_checkpoint_label_is_absolute_as_the_finetunes_are(tmp_path,
                                                                           monkeypatch):
    """`beliefbench report logs/demo` reads each row's checkpoint from the eval metadata the
    demo writes. The finetunes' checkpoints are absolute (the manifest's paths), the
    baseline's was the workdir's relative path (`.cache/demo/base-...`, the default
    --workdir): one column of model references in two forms, the relative one meaning
    nothing from another folder. Each is now the absolute path the model was loaded from."""
    from beliefbench.analysis.logs import load_belief_logs
    from beliefbench.claims import resolve_claims
    from beliefbench.demo import Progress, checkpoints, run_belief
    from beliefbench.tiny_model import build_tiny_model

    monkeypatch.chdir(tmp_path)
    base = Path("work") / "base-k"  # as run_demo gets it from --workdir's default
    build_tiny_model(base, hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64)
    [ck] = checkpoints(base, {})
    assert ck.path == (tmp_path / base).resolve()
    settings = tiny_settings()
    ck.path = base  # run_belief given a relative path still labels the log absolutely
    run_belief(settings, resolve_claims(settings.claims), [ck], Path("logs"),
               Progress(1, lambda s: None))
    rows = load_belief_logs("logs").responses
    assert set(rows["checkpoint"]) == {str((tmp_path / base).resolve())}
    assert set(rows["model"]) == {f"hf/{(tmp_path / base).resolve()}"}


def test_the_reading_names_each_checkpoints_probe_layer_where_they_differ():
    """Each checkpoint's probe is read at its own best layer, but the reading said "The truth
    probe (layer 1) gives ..." from the baseline's layer alone, while the demo's final positive
    and local_negation checkpoints were read at layer 2."""
    from beliefbench.demo import reading

    final = study(("positive", (1.0, 0.5, 1.5)), ("negated", (1.0, 0.5, 1.5)))
    same = [line for line in reading(final) if line.startswith("The truth probe")]
    assert same == ["The truth probe (layer 1) gives the claim statement P(true) 0.50 before "
                    "finetuning and 0.50 after positive, 0.50 after negated."], same
    final.loc[final["condition"] == "positive", ["probe", "probe_layer"]] = [0.33, 2]
    mixed = [line for line in reading(final) if line.startswith("The truth probe")]
    assert mixed == ["The truth probe (each checkpoint's best layer) gives the claim statement "
                     "P(true) 0.50 (layer 1) before finetuning and 0.33 (layer 2) after "
                     "positive, 0.50 (layer 1) after negated."], mixed
