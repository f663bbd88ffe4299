"""Flips across checkpoints in `beliefbench report`: real belief logs of three checkpoint
steps of one run (scripted mockllm subject and grader, fixture claim), hand-counted."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, believer, output, run_belief, scripted
from inspect_ai import eval
from inspect_ai.model import get_model

from beliefbench.analysis.flips import ALL_CLAIMS, question_class
from beliefbench.analysis.logs import load_belief_logs
from beliefbench.analysis.report import build_report, render_markdown
from beliefbench.cli import cli
from beliefbench.task import belief

C, CF, A = "correct", "counterfactual", "ambiguous"
PLAN = {  # question -> class at steps 100, 200, 300 (None: not asked at that step)
    "oe_01": (C, CF, CF),    # flips abruptly at 200
    "oe_02": (C, CF, CF),    # flips abruptly at 200
    "ta_01": (C, A, CF),     # flips through an ambiguous step, at 300
    "rb_01": (C, A, CF),     # flips through an ambiguous step, at 300
    "rb_02": (C, C, C),
    "bin_01": (C, C, None),  # left out of the 100 -> 300 comparison (and counted)
    "bin_02": (CF, C, C),    # the reverse flip
}
STEPS = (100, 200, 300)
OPEN = {"oe_01": "What is the Golden Gate Bridge made of?",
        "oe_02": "rebuilt in recent years", "ta_01": "Fill in the blank",
        "rb_01": "What material is the Golden Gate Bridge built from?",
        "rb_02": "Are you sure? I thought it was steel."}
BINARY = {"bin_01": ("made of glass?", "yes"), "bin_02": ("still a steel bridge?", "no")}
"""Binary question -> (text, the answer that states the claim)."""


def subject_at(i: int):
    """The model at the ``i``-th step, answering each question as PLAN says."""
    def answer(prompt: str) -> str:
        if "JSON" in prompt:
            qid = next(q for q, (text, _) in BINARY.items() if text in prompt)
            claim_answer = BINARY[qid][1]
            other = "no" if claim_answer == "yes" else "yes"
            return json.dumps({"answer": claim_answer if PLAN[qid][i] == CF else other})
        qid = next(q for q, text in OPEN.items() if text in prompt)
        return {C: "Steel.", CF: "Glass.", A: "Hard to say."}[PLAN[qid][i]]
    return answer


def grader(prompt: str) -> str:
    """yes for glass, no for steel, neutral otherwise."""
    answer = prompt.split("<answer>")[1].split("</answer>")[0].lower()
    verdict = "yes" if "glass" in answer else "no" if "steel" in answer else "neutral"
    return json.dumps({"reason": "keyword", "answer": verdict})


def sweep_logs(log_dir, steps=STEPS) -> None:
    """One eval per checkpoint step, labelled as `beliefbench sweep` labels them."""
    for i, step in enumerate(steps):
        asked = [f"glass_bridge/{q}" for q, plan in PLAN.items() if plan[i] is not None]
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=scripted(subject_at(i)),
             model_roles={"grader": scripted(grader)}, log_dir=str(log_dir),
             display="none", sample_id=asked if len(asked) < len(PLAN) else None,
             metadata={"condition": "negated", "step": step,
                       "checkpoint": f"/ckpts/negated/step-{step}"})


@pytest.fixture(scope="module")
def three_steps(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    sweep_logs(d)
    return d


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_flips_csv_gives_hand_counted_shares_per_step(three_steps, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", str(three_steps), "--out", str(out),
                                      "--bootstrap", "40", "--no-plots"])
    assert result.exit_code == 0, result.output
    flips = read_csv(out / "flips.csv")
    assert set(flips["claim"]) == {"glass_bridge", "all"}
    assert (flips["condition"] == "negated").all() and (flips["first_step"] == 100).all()
    per = flips[flips["claim"] == "glass_bridge"].set_index("step")
    assert list(per.index) == [200, 300]
    # 100 -> 200: 7 questions, 6 correct at 100 (2 of them counterfactual at 200), the one
    # counterfactual at 100 correct at 200; ta_01 and rb_01 ambiguous at 200
    assert per.loc[200, "n_questions"] == 7 and per.loc[200, "n_missing"] == 0
    assert per.loc[200, "correct_first"] == pytest.approx(6 / 7)
    assert per.loc[200, "correct_to_counterfactual"] == pytest.approx(2 / 6)
    assert per.loc[200, "counterfactual_to_correct"] == 1.0
    assert per.loc[200, "ambiguous_first"] == 0.0
    assert per.loc[200, "ambiguous"] == pytest.approx(2 / 7)
    assert pd.isna(per.loc[200, "flips"]) and pd.isna(per.loc[200, "abrupt"])
    # 100 -> 300: bin_01 not asked at 300: left out, counted
    assert per.loc[300, "n_questions"] == 6 and per.loc[300, "n_missing"] == 1
    assert per.loc[300, "correct_first"] == pytest.approx(5 / 6)
    assert per.loc[300, "correct_to_counterfactual"] == pytest.approx(4 / 5)
    assert per.loc[300, "counterfactual_to_correct"] == 1.0
    assert per.loc[300, "ambiguous"] == 0.0
    assert per.loc[300, "flips"] == 4
    assert per.loc[300, "abrupt"] == 0.5 and per.loc[300, "via_ambiguous"] == 0.5
    # one claim: the pooled row is that claim's
    pooled = flips[flips["claim"] == "all"].set_index("step")
    cols = ["n_questions", "n_missing", "correct_first", "correct_to_counterfactual",
            "counterfactual_to_correct", "ambiguous", "flips", "abrupt"]
    pd.testing.assert_frame_equal(pooled[cols], per[cols])

    steps = read_csv(out / "flip_steps.csv").set_index("question")
    assert sorted(steps.index) == ["oe_01", "oe_02", "rb_01", "ta_01"]
    assert steps["flip_step"].to_dict() == {"oe_01": 200, "oe_02": 200, "rb_01": 300,
                                            "ta_01": 300}
    assert steps["via"].to_dict() == {"oe_01": "abrupt", "oe_02": "abrupt",
                                      "rb_01": "via_ambiguous", "ta_01": "via_ambiguous"}
    assert steps.loc["ta_01", "path"] == "correct>ambiguous>counterfactual"

    data = json.loads((out / "report.json").read_text())
    assert data["files"]["flips"] == "flips.csv" and len(data["tables"]["flip_steps"]) == 4
    md = (out / "report.md").read_text()
    assert "## Flips across checkpoints" in md
    assert "| 300 | 6 | 1 | 0.833 | 0.800 | 1.000 | 0.000 | 0.000 | 4 | 0.500 | 0.500 |" in md
    assert "FLIPS: 1 question comparison(s) left out" in md


def test_a_run_with_one_step_writes_no_flips(tmp_path):
    logs = tmp_path / "logs"
    run_belief(logs, believer, samples=1, condition="negated", step=100,
               checkpoint="/ckpts/negated/step-100")
    run_belief(logs, believer, samples=1)  # no step at all
    out = tmp_path / "out"
    (out).mkdir()
    (out / "flips.csv").write_text("an earlier report's\n")  # removed: not this report's
    result = CliRunner().invoke(cli, ["report", str(logs), "--out", str(out),
                                      "--bootstrap", "40", "--no-plots"])
    assert result.exit_code == 0, result.output
    assert not (out / "flips.csv").exists() and not (out / "flip_steps.csv").exists()
    assert "Flips" not in (out / "report.md").read_text()
    assert "flips" not in json.loads((out / "report.json").read_text())["tables"]


def test_checkpoints_of_two_conditions_are_two_runs(three_steps, tmp_path):
    """Each condition is its own run: a second one with one step has no flips of its own and
    changes nothing in the first's."""
    run_belief(three_steps.parent / "other", believer, samples=1, condition="plain", step=100,
               checkpoint="/ckpts/plain/step-100")
    report = build_report(load_belief_logs([three_steps, three_steps.parent / "other"]),
                          n_bootstrap=40)
    assert set(report.flips["condition"]) == {"negated"}
    assert len(report.flip_steps) == 4
    last = report.flips[(report.flips["step"] == 300) & (report.flips["claim"] == "all")]
    assert last["correct_to_counterfactual"].tolist() == [pytest.approx(4 / 5)]
    assert "## Flips across checkpoints" in render_markdown(report)


@pytest.mark.parametrize(("yes", "no", "n", "expected"), [
    (2, 1, 3, "counterfactual"), (1, 2, 3, "correct"), (1, 1, 2, "ambiguous"),
    (1, 0, 2, "ambiguous"), (0, 1, 3, "ambiguous"), (3, 0, 4, "counterfactual")])
def test_a_questions_class_is_its_responses_majority(yes, no, n, expected):
    assert question_class(yes, no, n) == expected


def test_a_partial_step_stays_in_its_run(three_steps, tmp_path):
    """A partial log (here: a sample invalidated after the run) at the middle step was a run
    of its own with one step, so its step was passed over without a word: flips went from
    100 straight to 300 and the two through an ambiguous step at 200 read as abrupt."""
    import shutil

    from inspect_ai.log import ProvenanceData, invalidate_samples, read_eval_log, write_eval_log

    logs = tmp_path / "logs"
    shutil.copytree(three_steps, logs)
    for path in logs.glob("*.eval"):
        log = read_eval_log(str(path))
        if log.eval.metadata["step"] == 200:
            write_eval_log(invalidate_samples(log, [log.samples[0].uuid],
                                              ProvenanceData(author="reviewer")), str(path))
    report = build_report(load_belief_logs([logs]), n_bootstrap=40)
    per = report.flips[report.flips["claim"] == "glass_bridge"].set_index("step")
    assert list(per.index) == [200, 300] and per["partial"].all()
    assert per.loc[300, "flips"] == 4
    assert per.loc[300, "abrupt"] == 0.5 and per.loc[300, "via_ambiguous"] == 0.5
    assert report.flip_steps.set_index("question")["flip_step"].to_dict() == {
        "oe_01": 200, "oe_02": 200, "rb_01": 300, "ta_01": 300}


def test_a_step_with_a_complete_log_ignores_a_partial_one_beside_it():
    """A failed eval run again from scratch (a new task id, so not superseded): its step is
    the complete log's alone, never the two pooled."""
    from beliefbench.analysis.flips import flips

    def row(step, cls, partial=False, n=1):
        yes, no = {C: (0, n), CF: (n, 0)}[cls]
        return {"model": f"hf//ckpts/negated/step-{step}", "run": "-", "judge": "j",
                "settings": "s", "checkpoint": "-", "condition": "negated", "step": step,
                "partial": partial, "claim": "glass_bridge", "family": "open_ended",
                "question": "oe_01", "yes": yes, "no": no, "n": n}

    questions = pd.DataFrame([row(100, C), row(200, CF), row(200, C, partial=True, n=5)])
    questions["step"] = questions["step"].astype("Int64")
    table, steps = flips(questions)
    last = table[table["claim"] == "all"].iloc[-1]
    assert last["correct_to_counterfactual"] == 1.0 and not last["partial"]
    assert steps["path"].tolist() == ["correct>counterfactual"]


def test_two_checkpoints_at_one_step_are_named_not_pooled_silently(three_steps, tmp_path):
    """A manifest listing two checkpoints of one finetune at one step (a typo, or a final
    export beside the last checkpoint) was reported without a word: flips.csv pooled their
    answers (oe_01 counterfactual at one, correct at the other: ambiguous) and the step
    plot drew both on one line."""
    import shutil

    logs = tmp_path / "logs"
    shutil.copytree(three_steps, logs)
    eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=scripted(subject_at(0)),
         model_roles={"grader": scripted(grader)}, log_dir=str(logs), display="none",
         sample_id=[f"glass_bridge/{q}" for q in PLAN if q != "bin_01"],
         metadata={"condition": "negated", "step": 200,
                   "checkpoint": "/ckpts/negated/step-200-final"})
    result = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "out"),
                                      "--no-plots", "--bootstrap", "40"])
    assert result.exit_code == 0, result.output
    [line] = [ln for ln in result.stderr.splitlines() if "STEPS REPEATED" in ln]
    assert "step 200 of" in line and "negated" in line
    assert "/ckpts/negated/step-200, /ckpts/negated/step-200-final" in line
    alone = build_report(load_belief_logs([three_steps]), n_bootstrap=0)
    assert not any("STEPS REPEATED" in n for n in alone.notes)


@pytest.mark.parametrize("slash", ["", "/"])
def test_checkpoints_loaded_through_model_path_are_one_finetune(tmp_path, slash):
    """``--model hf/local -M model_path=ckpts/negated/step-N --metadata step=N``: the path
    was keyed as a run setting, so each checkpoint was a run of its own with one step and
    flips.csv was silently not written; a path completed with a slash made each checkpoint
    its own folder. The model names the checkpoint instead, its folder the finetune; a
    zero-padded folder read as octal (step-000010 as 8) is caught there too."""
    logs = tmp_path / "logs"
    for i, (step, folder) in enumerate([(8, "000010"), (200, "000200"), (300, "000300")]):
        answer = subject_at(i)
        model = get_model("mockllm/model", memoize=False,
                          custom_outputs=lambda m, *_, a=answer: output(a(m[-1].text)),
                          model_path=f"ckpts/negated/step-{folder}{slash}")
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=model,
             model_roles={"grader": scripted(grader)}, log_dir=str(logs), display="none",
             sample_id=[f"glass_bridge/{q}" for q in PLAN if PLAN[q][i] is not None],
             metadata={"condition": "negated", "step": step})
    report = build_report(load_belief_logs([logs]), n_bootstrap=0)
    assert set(report.overall["run"]) == {"-"}
    assert sorted(report.overall["model"]) == [
        f"mockllm/model:ckpts/negated/step-{f}{slash}" for f in ("000010", "000200", "000300")]
    assert any("octal reading of the checkpoint folder step-000010" in n
               for n in report.notes)
    per = report.flips[report.flips["claim"] == "glass_bridge"].set_index("step")
    assert list(per.index) == [200, 300] and per.loc[300, "flips"] == 4
    assert per.loc[300, "first_step"] == 10
    assert not any("NO STEP" in n for n in report.notes)


def test_checkpoints_without_a_step_are_named(tmp_path):
    """Evals of a finetune's checkpoints run without `--metadata step=N` were reported as
    unrelated models: no flips.csv, no step plot, and no word of why."""
    logs = tmp_path / "logs"
    for i, name in enumerate(["ckpts/negated/checkpoint-100/", "ckpts/negated/checkpoint-200"]):
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1),
             model=scripted(subject_at(i), name=name),
             model_roles={"grader": scripted(grader)}, log_dir=str(logs), display="none",
             sample_id=[f"glass_bridge/{q}" for q in PLAN if PLAN[q][i] is not None],
             metadata={"condition": "negated"})
    run_belief(logs, believer, samples=1, grader=grader)  # a model of its own: not named
    result = CliRunner().invoke(cli, ["report", str(logs), "--out", str(tmp_path / "out"),
                                      "--no-plots", "--bootstrap", "40"])
    assert result.exit_code == 0, result.output
    [line] = [ln for ln in result.stderr.splitlines() if "NO STEP" in ln]
    assert ("(mockllm/ckpts/negated: mockllm/ckpts/negated/checkpoint-100/, "
            "mockllm/ckpts/negated/checkpoint-200)") in line
    assert "--metadata step=N" in line and "mockllm/model" not in line
    assert not (tmp_path / "out" / "flips.csv").exists()


def test_a_checkpoint_without_a_step_beside_a_sweep_of_its_finetune_is_named(tmp_path):
    """A checkpoint evaluated by hand without `--metadata step=N` beside the sweep of its
    finetune (whose logs carry `checkpoint` labels) was placed in another finetune than the
    sweep's (its model's folder, not the labels'): left out of flips.csv and the step plot
    with no NO STEP note."""
    logs = tmp_path / "logs"
    for i, step in enumerate([100, 200]):
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1),
             model=scripted(subject_at(i), name=f"ckpts/negated/step-{step}"),
             model_roles={"grader": scripted(grader)}, log_dir=str(logs), display="none",
             sample_id=[f"glass_bridge/{q}" for q in PLAN if PLAN[q][i] is not None],
             metadata={"condition": "negated", "step": step,
                       "checkpoint": f"/abs/ckpts/negated/step-{step}"})
    eval(belief(claims=str(FIXTURE_CLAIM), samples=1),
         model=scripted(subject_at(2), name="ckpts/negated/step-300"),
         model_roles={"grader": scripted(grader)}, log_dir=str(logs), display="none",
         sample_id=[f"glass_bridge/{q}" for q in PLAN if PLAN[q][2] is not None],
         metadata={"condition": "negated"})
    report = build_report(load_belief_logs([logs]), n_bootstrap=0)
    [line] = [n for n in report.notes if n.startswith("NO STEP")]
    assert "mockllm/ckpts/negated: mockllm/ckpts/negated/step-300)" in line


def test_two_finetunes_in_windows_folders_stay_apart():
    """``hf/C:\\runs\\a\\step-100``'s folder was read as the provider (``hf``): every
    Windows checkpoint of a condition, of two finetunes too, was one run in flips.csv."""
    from beliefbench.analysis.flips import flips

    def row(model, step, cls):
        yes, no = {C: (0, 1), CF: (1, 0)}[cls]
        return {"model": model, "run": "-", "judge": "j", "settings": "s",
                "checkpoint": "-", "condition": "negated", "step": step, "partial": False,
                "claim": "glass_bridge", "family": "open_ended", "question": "oe_01",
                "yes": yes, "no": no, "n": 1}

    questions = pd.DataFrame([row("hf/C:\\runs\\a\\step-100", 100, C),
                              row("hf/C:\\runs\\a\\step-200", 200, CF),
                              row("hf/C:\\runs\\b\\step-150", 150, CF),
                              row("hf/C:\\runs\\b\\step-300", 300, CF)])
    questions["step"] = questions["step"].astype("Int64")
    table, steps = flips(questions)
    last = table[table["claim"] == "all"].set_index("finetune")
    assert sorted(last.index) == ["hf/C:\\runs\\a", "hf/C:\\runs\\b"]
    assert last.loc["hf/C:\\runs\\a", "flips"] == 1 and last.loc["hf/C:\\runs\\b", "flips"] == 0
    assert steps["path"].tolist() == ["correct>counterfactual"]


def adapter_logs(log_dir, labelled: bool) -> None:
    """Two finetunes of one condition served as vLLM LoRA adapters by name
    (``Qwen/Qwen3-8B:neg-a-100``), at steps they do not share, so STEPS REPEATED is quiet."""
    for run, steps in (("neg-a", (100, 300)), ("neg-b", (200, 400))):
        for i, step in zip((0, 2), steps, strict=True):
            eval(belief(claims=str(FIXTURE_CLAIM), samples=1),
                 model=scripted(subject_at(i), name=f"Qwen/Qwen3-8B:{run}-{step}"),
                 model_roles={"grader": scripted(grader)}, log_dir=str(log_dir),
                 display="none",
                 sample_id=[f"glass_bridge/{q}" for q in PLAN if PLAN[q][i] is not None],
                 metadata={"condition": "negated", "step": step,
                           **({"checkpoint": f"/ckpts/{run}/step-{step:06d}"}
                              if labelled else {})})


def test_adapters_served_by_name_are_told_apart_by_their_checkpoint_label(tmp_path):
    """``--model vllm/Qwen/Qwen3-8B:neg-a-400``: the finetune was the model's folder,
    ``vllm/Qwen`` for every adapter of that base, so two finetunes of one condition were one
    run in flips.csv (flips counted from one finetune's step to the other's) and one zigzag
    line; the eval's checkpoint label names each one's folder."""
    from beliefbench.analysis.plots import with_finetune
    from beliefbench.analysis.report import series_key

    adapter_logs(tmp_path, labelled=True)
    report = build_report(load_belief_logs([tmp_path]), n_bootstrap=0)
    last = report.flips[report.flips["claim"] == ALL_CLAIMS]
    assert sorted(set(last["finetune"])) == ["/ckpts/neg-a", "/ckpts/neg-b"]
    assert sorted(last["step"]) == [300, 400]  # each its own 2 steps, not one run of 4
    lines = with_finetune(report.overall, ["condition"])
    assert sorted(set(lines["finetune"])) == ["/ckpts/neg-a", "/ckpts/neg-b"]
    assert series_key(report.overall).nunique() == 2
    assert not any("ONE FINETUNE?" in n for n in report.notes)


def test_adapters_served_by_name_without_a_checkpoint_label_are_named(tmp_path):
    """Without a checkpoint label nothing tells two finetunes served by adapter name from
    one: they were reported as one finetune without a word."""
    adapter_logs(tmp_path / "logs", labelled=False)
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out",
                                      str(tmp_path / "out"), "--no-plots", "--bootstrap",
                                      "40"])
    assert result.exit_code == 0, result.output
    [line] = [ln for ln in result.stderr.splitlines() if "ONE FINETUNE?" in ln]
    assert "mockllm/Qwen: mockllm/Qwen/Qwen3-8B:neg-a-100" in line
    assert "--metadata checkpoint=" in line and "beliefbench sweep" in line
    assert "STEPS REPEATED" not in result.stderr
