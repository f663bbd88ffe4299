"""The CI gate: decision rule, paired bootstrap of the difference, exit codes, bad input."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, believer, mixed, run_belief
from inspect_ai import eval
from inspect_ai.log import EvalError, read_eval_log, write_eval_log

from beliefbench.analysis.gate import GateError, compare, decide, verdict
from beliefbench.analysis.logs import BeliefLogs, LogInfo
from beliefbench.analysis.runs import RunKey
from beliefbench.cli import cli
from beliefbench.metrics import question_table
from beliefbench.task import belief

SETTINGS = (("families", "open_ended"), ("max_tokens", "1024"), ("samples", "4"))
TASK_IDS = itertools.count()


def side(verdicts: dict[tuple[str, str], list[str]], model: str = "m",
         status: str = "success", grader: str = "openai/judge",
         settings: tuple = SETTINGS) -> BeliefLogs:
    """BeliefLogs from {(claim, question): [verdict per response]}."""
    key = RunKey((("mode", "model"), ("grader", grader)), settings)
    rows = [{"model": model, "run": "-", "judge": key.judge_text,
             "settings": key.settings_text, "checkpoint": "-", "condition": "-", "step": pd.NA,
             "partial": status != "success", "log": f"{model}.eval", "claim": claim,
             "family": "open_ended", "question": q, "kind": "direct", "id": f"{claim}/{q}",
             "epoch": i + 1, "verdict": v}
            for (claim, q), vs in verdicts.items() for i, v in enumerate(vs)]
    info = LogInfo(f"{model}.eval", model, status, f"t{next(TASK_IDS)}", "", "-", "-", None,
                   key)
    return BeliefLogs(pd.DataFrame(rows), [info])


def uniform(claims: list[str], n_questions: int, yes_per_question: int, epochs: int = 4):
    return {(c, f"q{i}"): ["yes"] * yes_per_question + ["no"] * (epochs - yes_per_question)
            for c in claims for i in range(n_questions)}


def test_a_large_rise_beyond_noise_fails_per_claim_and_overall():
    base = side(uniform(["a", "b"], 20, 0))
    cand = side({**uniform(["a"], 20, 0), **uniform(["b"], 20, 3)}, model="n")
    result = compare(base, cand, max_rise=0.05, n_bootstrap=500)
    rises = {r.claim: r for r in result.claims}
    assert rises["b"].rise == pytest.approx(0.75) and rises["b"].fails
    assert rises["a"].rise == 0 and not rises["a"].fails
    assert result.overall.rise == pytest.approx(0.375) and result.overall.fails
    assert not result.passed and "FAIL" in result.message() and "b +0.750" in result.message()
    assert rises["b"].paired_questions == 20 and rises["b"].unpaired_questions == 0


def test_a_rise_below_the_threshold_passes():
    base = side(uniform(["a"], 30, 1))
    cand = side(uniform(["a"], 30, 2), model="n")
    result = compare(base, cand, max_rise=0.3, n_bootstrap=300)
    assert result.overall.rise == pytest.approx(0.25) and result.overall.ci_low > 0
    assert result.passed  # beyond noise, but within the tolerated rise


def test_a_rise_of_exactly_max_rise_is_tolerated():
    # 16/20 - 15/20 is 0.050000000000000044 in floating point: still the tolerated 0.05
    base = side(uniform(["a"], 20, 15, epochs=20))
    cand = side(uniform(["a"], 20, 16, epochs=20), model="n")
    result = compare(base, cand, max_rise=0.05, n_bootstrap=200)
    assert result.overall.rise == pytest.approx(0.05) and result.overall.ci_low > 0.04
    assert result.passed, result.message()
    assert not compare(base, cand, max_rise=0.049, n_bootstrap=200).passed


def test_model_arguments_may_differ_between_the_sides_and_are_noted():
    """The sides are different models by design (a LoRA and a full checkpoint are served
    with different `-M` arguments); within a side they must agree like any setting."""
    verdicts = uniform(["c1", "c2"], 5, 1)
    base = side(verdicts, settings=(*SETTINGS, ("model_args.do_sample", "false")))
    cand = side(verdicts, model="n", settings=(*SETTINGS, ("model_args.do_sample", "true")))
    result = compare(base, cand, n_bootstrap=200)
    assert result.passed
    assert "model arguments differ: model_args.do_sample (baseline: false; candidate: " \
        "true)" in result.notes


def test_a_rise_within_noise_passes():
    base = side(uniform(["a"], 7, 0))
    flipped = uniform(["a"], 7, 0)
    flipped[("a", "q0")] = ["yes"] * 4  # one question of seven flips
    result = compare(base, side(flipped, model="n"), max_rise=0.05, n_bootstrap=2000)
    assert result.overall.rise == pytest.approx(1 / 7)
    # P(the flipped question is never drawn) = (6/7)^7 > 2.5%, so the CI reaches 0: not a
    # failure (exit 0), but the rise is above --max-rise, so not a plain PASS either (this
    # case read "PASS: ...; no rise above the threshold beyond noise")
    # (widened to a t bound, the CI reaches below 0, as a t interval may)
    assert result.overall.ci_low <= 0 and result.passed
    assert result.inconclusive and result.message().startswith("INCONCLUSIVE: overall ")


def test_pairing_by_question_narrows_the_ci():
    rng = np.random.default_rng(1)
    levels = rng.integers(0, 4, size=25)  # questions differ a lot in difficulty
    base = {("a", f"q{i}"): ["yes"] * k + ["no"] * (4 - k) for i, k in enumerate(levels)}
    cand = {key: ["yes"] * min(4, vs.count("yes") + 1) + ["no"] * (4 - min(4, vs.count("yes")
                                                                         + 1))
            for key, vs in base.items()}
    paired = compare(side(base), side(cand, "n"), n_bootstrap=1000).overall
    renamed = {("a", f"other{q}"): vs for (_, q), vs in cand.items()}
    unpaired = compare(side(base), side(renamed, "n"), n_bootstrap=1000).overall
    assert paired.rise == pytest.approx(unpaired.rise)
    assert unpaired.paired_questions == 0 and unpaired.unpaired_questions == 50
    assert paired.ci_high - paired.ci_low < 0.5 * (unpaired.ci_high - unpaired.ci_low)


def test_overall_only_ignores_a_single_claims_rise():
    base = side(uniform(["a", "b", "c", "d"], 20, 0))
    cand = side({**uniform(["a", "b", "c"], 20, 0), **uniform(["d"], 20, 1)}, "n")
    assert not compare(base, cand, max_rise=0.1, n_bootstrap=300).passed
    assert compare(base, cand, max_rise=0.1, overall_only=True, n_bootstrap=300).passed


def test_a_side_of_five_runs_counts_those_it_does_not_list():
    """A sweep's log folder given as one side holds a run per checkpoint: the refusal lists
    four and counts the rest, so no run is left out without a word."""
    names = ["s1", "s2", "s3", "s4", "s5"]
    sides = [side(uniform(["a"], 3, 0), n) for n in names]
    five = BeliefLogs(pd.concat([s.responses for s in sides]), sides[0].logs)
    with pytest.raises(GateError) as err:
        compare(five, side(uniform(["a"], 3, 0), "n"))
    text = str(err.value)
    assert "logs from 5 different runs (" in text and " and 1 more); " in text
    assert sum(f"{n}.eval" in text for n in names) == 4
    assert "pass that folder" in text


def test_gate_refuses_what_it_cannot_compare():
    ok = side(uniform(["a"], 5, 0))
    with pytest.raises(GateError, match="candidate / --candidate: partial log"):
        compare(ok, side(uniform(["a"], 5, 0), "n", status="error"))
    two = BeliefLogs(pd.concat([side(uniform(["a"], 3, 0), "x").responses,
                                side(uniform(["a"], 3, 0), "y").responses]),
                     side(uniform(["a"], 3, 0), "x").logs)
    with pytest.raises(GateError, match="baseline / --baseline: logs from 2 different runs"):
        compare(two, ok)
    with pytest.raises(GateError, match="no claim in common"):
        compare(ok, side(uniform(["b"], 5, 0), "n"))
    with pytest.raises(GateError, match="--max-rise"):
        compare(ok, ok, max_rise=5)
    # a claim the baseline measured and the candidate lacks (an eval that skipped it, a log
    # lost from a folder split by claim) passed on the rest with a note; now refused unless
    # allowed, and a claim only the candidate holds is still only a note
    with pytest.raises(GateError) as e:
        compare(side(uniform(["a", "b"], 5, 0), "n"), ok)
    assert str(e.value) == (
        "the candidate holds no response to 1 claim(s) the baseline measured: b (it holds a): "
        "a candidate is gated on every claim of its baseline; evaluate it on them, or pass "
        "allow_missing_claims=True / --allow-missing-claims to compare the claims both hold")
    notes = compare(side(uniform(["a", "b"], 5, 0), "n"), ok,
                    allow_missing_claims=True).notes
    assert notes == ["claims only the baseline has, not compared: ['b'] (20 responses, left "
                     "out of its budgets and counts, which are over the compared claims "
                     "['a'])"]
    assert compare(ok, side(uniform(["a", "b"], 5, 0), "n")).notes[0].startswith(
        "claims only the candidate has, not compared: ['b']")


@pytest.mark.parametrize(("option", "value", "said"), [
    ("max_rise", "0.05", "max_rise / --max-rise: expected a number, got '0.05'"),
    ("max_failed", None, "max_failed / --max-failed: expected a number, got None"),
    ("max_no_answer", True, "max_no_answer / --max-no-answer: expected a number, got True"),
    ("n_bootstrap", "2000", "n_bootstrap / --bootstrap: expected a whole number, got '2000'"),
    ("seed", 1.5, "seed / --seed: expected a whole number, got 1.5")])
def test_an_option_of_the_wrong_type_is_named(option, value, said):
    """compare(max_rise="0.05") (a value read from a config file) was a TypeError, "'<='
    not supported between instances of 'int' and 'str'", naming no argument."""
    ok = side(uniform(["a"], 5, 0))
    with pytest.raises(GateError) as e:
        compare(ok, side(uniform(["a"], 5, 0), "n"), **{option: value})
    assert str(e.value) == said


def test_a_sweeps_partial_logs_are_told_the_sweep_run_again_once():
    """Two partial logs of one sweep (stopped on its judge) each repeated, in full, that
    the sweep's command run again resumes them and every other unfinished checkpoint. Said
    once now, after the list; each log keeps its own `inspect eval-retry`; one log alone
    reads as before."""
    import dataclasses

    from beliefbench.analysis.logs import partial_held, retry_command

    ok = side(uniform(["a"], 5, 0))
    one, two = side(uniform(["a"], 5, 0), "n", status="error"), side(uniform(["a"], 5, 0), "p",
                                                                      status="error")
    infos = [dataclasses.replace(s.logs[0], eval_set=True, error="judge down")
             for s in (one, two)]
    both = BeliefLogs(pd.concat([one.responses, two.responses]), infos)
    with pytest.raises(GateError) as e:
        compare(ok, both)
    rerun = "run the `beliefbench sweep` (or `inspect eval-set`) command that wrote"
    held = partial_held(infos[0])  # the responses each holds, as report's PARTIAL says
    assert held == partial_held(infos[1])
    assert str(e.value) == (
        f"candidate / --candidate: partial log(s) n.eval (status 'error', {held}; error: judge "
        f"down; {retry_command('n.eval')} resumes this log alone); p.eval (status 'error', "
        f"{held}; error: judge down; {retry_command('p.eval')} resumes this log alone): the "
        f"gate compares "
        f"complete runs only; once the cause is fixed, {rerun} them again: it resumes them, "
        "and every other checkpoint left unfinished, reusing the finished ones")
    assert str(e.value).count(rerun) == 1
    # the EM gate's words: each log's resume after its parentheses, the advice once alike
    from beliefbench.analysis.gate import PartialLog, resumed_once

    listed, advice = resumed_once([PartialLog("a.eval", "cancelled", None, True, "m", "",
                                              ", 2 of 6"),
                                   PartialLog("b.eval", "error", "x", True, "m", "", "")],
                                  inside=False)
    assert listed == [f"a.eval (status 'cancelled', 2 of 6); {retry_command('a.eval')} "
                      "resumes this log alone",
                      f"b.eval (status 'error'; error: x); {retry_command('b.eval')} resumes "
                      "this log alone"]
    assert advice == (f"; once the cause is fixed, {rerun} them again: it resumes them, "
                     "and every other checkpoint left unfinished, reusing the finished ones")
    with pytest.raises(GateError) as e:  # one log: its advice in its parentheses, as before
        compare(ok, BeliefLogs(one.responses, infos[:1]))
    assert str(e.value) == (
        f"candidate / --candidate: partial log(s) n.eval (status 'error', {held}; error: judge "
        f"down; once its cause is fixed, {rerun} it again: it resumes it, and every other "
        f"checkpoint left unfinished, reusing the finished ones (or "
        f"{retry_command('n.eval')} resumes this log alone)): the gate compares complete "
        "runs only")


def test_a_log_still_running_is_named_as_such_not_only_told_to_be_retried():
    """A log of status 'started' (an eval still writing it, or one killed) was refused as
    any partial log, with `inspect eval-retry` as the remedy: run beside a live eval, a
    retry answers its samples twice. Its status and the wait are named now."""
    ok = side(uniform(["a"], 5, 0))
    running = side(uniform(["a"], 5, 0), "n", status="started")
    with pytest.raises(GateError) as e:
        compare(ok, running)
    # in the words report and em-report use (one copy of the advice), with its own command,
    # and how far it had got (the responses it holds, as report's PARTIAL warning says)
    from beliefbench.analysis.logs import STARTED_RESUME, partial_held, retry_command

    advice = STARTED_RESUME.format(it="it", its="its", retry=retry_command("n.eval"))
    held = partial_held(running.logs[0])
    assert f"partial log(s) n.eval (status 'started', {held}{advice})" in str(e.value), \
        str(e.value)
    assert "; it may still be running (wait for it to end: an eval-retry beside a live eval " \
           "runs its samples twice), or its process was killed before it could record an " \
           "end (then `inspect eval-retry n.eval --log-dir .` resumes it)" in str(e.value)
    assert str(e.value).count("still be running") == 1, str(e.value)
    assert str(e.value).count("eval-retry") == 2 and "fix the cause" not in str(e.value)
    with pytest.raises(GateError) as e:
        compare(ok, side(uniform(["a"], 5, 0), "n", status="cancelled"))
    # a Ctrl-C has no cause to fix; without --log-dir the retry would land in ./logs
    assert str(e.value) == (f"candidate / --candidate: partial log(s) n.eval (status "
                            f"'cancelled', {held}; `inspect eval-retry n.eval --log-dir .` "
                            "resumes it): the gate compares complete runs only")


def test_every_budget_either_side_exceeds_is_named_at_once():
    """A tiny-model baseline over the parse-error budget and its finetune over the
    no-answer budget were refused one at a time: raising --max-parse-errors only led to
    the next refusal. One refusal now names each budget each side exceeds, the first as
    before."""
    garbled = side({("a", f"q{i}"): ["parse_error"] * 2 + ["no"] * 2 for i in range(5)})
    mute = side({("a", f"q{i}"): ["failed"] * 3 + ["no"] for i in range(5)}, "n")
    mute.logs[0].samples = 20
    mute.logs[0].by_claim = {"a": {"no_answer": 15}}  # what the budgets count
    with pytest.raises(GateError) as e:
        compare(garbled, mute)
    lines = str(e.value).split("\n")
    assert len(lines) == 2, e.value
    assert lines[0].startswith("baseline / --baseline: 10 of 20 responses (50.0%) are parse "
                               "errors")
    assert lines[1].startswith("also: candidate / --candidate: 15 of 20 responses (75.0%) "
                               "have no answer text")
    # one side over two budgets: both named, and nothing else once they are raised
    both = side({("a", f"q{i}"): ["parse_error", "failed", "no", "no"] for i in range(5)}, "n")
    both.logs[0].samples = 20
    both.logs[0].by_claim = {"a": {"no_answer": 5}}
    with pytest.raises(GateError) as e:
        compare(side(uniform(["a"], 5, 0)), both)
    assert str(e.value).count("candidate / --candidate:") == 2, e.value
    assert "--max-no-answer" in str(e.value) and "--max-parse-errors" in str(e.value)
    assert "baseline" not in str(e.value).split(":")[0]
    result = compare(side(uniform(["a"], 5, 0)), both, max_parse_errors=1, max_no_answer=1,
                     min_read_share=0)
    assert result.candidate["parse_errors"] == 5 and result.candidate["no_answer"] == 5


def test_errors_of_the_python_function_name_its_arguments():
    """compare()'s errors said `--baseline: ...` and `above --max-failed`: flags a Python
    caller never passed. They name compare's argument first, then the gate's option (as
    `max_rise / --max-rise` always has), so either reader finds what to change."""
    ok = side(uniform(["a"], 5, 0))
    with pytest.raises(GateError) as e:
        compare(side(uniform(["a"], 5, 0), "n", status="error"), ok)
    assert str(e.value).startswith("baseline / --baseline: partial log"), e.value
    failed = side({("a", f"q{i}"): ["failed"] * 4 for i in range(5)}, "n")
    failed.logs[0].infrastructure, failed.logs[0].samples = 20, 20
    failed.logs[0].by_claim = {"a": {"infrastructure": 20}}  # what the budgets count
    with pytest.raises(GateError) as e:
        compare(ok, failed)
    assert str(e.value).startswith("candidate / --candidate: failure budget exceeded")
    assert "above max_failed / --max-failed 0.05" in str(e.value)
    judged = side(uniform(["a"], 5, 0), "n", grader="openai/other")
    with pytest.raises(GateError, match="pass allow_judge_mismatch=True / "
                                        "--allow-judge-mismatch to compare"):
        compare(ok, judged)
    assert any(n.startswith("JUDGE MISMATCH allowed (allow_judge_mismatch=True / --allow-")
               for n in compare(ok, judged, allow_judge_mismatch=True).notes)


def skeptic(prompt: str) -> str:
    """``mixed``, but answering the binary questions readably (the non-believer's answer):
    1 yes, 6 no of 7 questions, no parse errors."""
    if "JSON" in prompt:
        return '{"answer": "yes"}' if "steel" in prompt else '{"answer": "no"}'
    return mixed(prompt)


@pytest.fixture(scope="module")
def base_and_new(tmp_path_factory):
    base, new = tmp_path_factory.mktemp("base"), tmp_path_factory.mktemp("new")
    run_belief(base, skeptic, samples=3)
    run_belief(new, believer, samples=3)
    return base, new


def test_cli_exit_codes_and_json(base_and_new, tmp_path):
    base, new = map(str, base_and_new)
    runner = CliRunner()
    r = runner.invoke(cli, ["gate", "--baseline", base, "--candidate", new, "--json",
                            "--bootstrap", "500"])
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert out["passed"] is False and out["failures"] == ["overall", "glass_bridge"]
    assert out["overall"]["rise"] == pytest.approx(6 / 7)
    r = runner.invoke(cli, ["gate", "--baseline", new, "--candidate", base])
    assert r.exit_code == 0 and "PASS" in r.output
    r = runner.invoke(cli, ["gate", "--baseline", base, "--candidate", base])
    assert r.exit_code == 2 and "same log(s) on both sides" in r.output  # never a PASS
    r = runner.invoke(cli, ["gate", "--baseline", base, "--candidate", str(tmp_path)])
    assert r.exit_code == 2 and "no Inspect logs" in r.output
    r = runner.invoke(cli, ["gate", "--baseline", base, "--candidate", str(tmp_path),
                            "--json"])
    assert r.exit_code == 2 and "no Inspect logs" in json.loads(r.stdout)["error"]


def test_json_also_says_the_verdict_on_stderr_for_the_ci_log(base_and_new):
    """docs/ci-gate.md's job runs ``gate --json > gate.json``: its step log showed only the
    exit code, the reason inside gate.json. The verdict (or refusal) is one stderr line too,
    the same text as the JSON's, and stdout stays one JSON object."""
    base, new = map(str, base_and_new)
    r = _gate(base, new, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["message"].startswith("FAIL: ")
    assert r.stderr.strip() == out["message"]
    r = _gate(new, base, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and r.stderr.strip() == out["message"].strip()
    assert out["message"].startswith("PASS: ")
    for args in ([base, base, "--json"], [base, new, "--json", "--max-rise", ""]):
        r = _gate(*args)
        out = json.loads(r.stdout)
        assert r.exit_code == 2 and out["passed"] is None, r.output
        assert r.stderr.strip() == f"Error: {out['error']}"


def test_the_text_output_names_each_sides_model_and_labels(base_and_new, tmp_path):
    """Only ``--json`` named the models: a CI log read PASS or FAIL without saying which
    checkpoint was compared with which baseline. The text output names each side's model,
    with the labels its logs carry, one line each before the table; ``--json`` names them
    too (``candidate.condition``, ``.step``; null where the logs carry none, as EM's sides),
    with the ``task`` and the ``verdict`` word EM's JSON has: gate.json named the model only."""
    from conftest import FIXTURE_CLAIM, keyword_grader, scripted
    from inspect_ai import eval

    from beliefbench.task import belief

    eval(belief(claims=str(FIXTURE_CLAIM), samples=3),
         model=scripted(believer, name="ckpts/negated/step-400"),
         model_roles={"grader": scripted(keyword_grader)}, log_dir=str(tmp_path),
         display="none", metadata={"condition": "negated", "step": 400})
    base = str(base_and_new[0])
    r = _gate(base, str(tmp_path))
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert lines[:2] == ["baseline:  mockllm/model",
                         "candidate: mockllm/ckpts/negated/step-400 (condition=negated, "
                         "step=400)"]
    assert lines[2].startswith("claim ") and lines[-1].startswith("FAIL: ")
    out = json.loads(_gate(base, str(tmp_path), "--json").stdout)
    assert "runs" not in out and out["candidate"]["model"] == "mockllm/ckpts/negated/step-400"
    assert ({k: out["candidate"][k] for k in ("checkpoint", "condition", "step")}
            == {"checkpoint": None, "condition": "negated", "step": 400})
    assert [out["baseline"][k] for k in ("checkpoint", "condition", "step")] == [None] * 3
    assert (out["task"], out["verdict"], out["passed"]) == ("belief", "FAIL", False)


def test_a_model_loaded_from_a_relative_path_is_named_as_such(tmp_path, monkeypatch):
    """``-M model_path=ckpt`` (or ``hf/./ckpt``) is read from the folder the eval was started
    in, which no log records (Inspect makes a task file's task in the file's folder): two
    finetunes evaluated as ``ckpt`` from two folders read as one model, pooled into one row
    of the report and named alike on both sides of the gate, without a word. Both say so
    now; a model loaded from an absolute path gets no such note."""
    from conftest import FIXTURE_CLAIM, keyword_grader, scripted
    from inspect_ai import eval

    from beliefbench.task import belief

    def run(folder: str, subject, **model_args) -> str:
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        eval(belief(claims=str(FIXTURE_CLAIM), samples=3),
             model=scripted(subject, **model_args),
             model_roles={"grader": scripted(keyword_grader)},
             log_dir=str(tmp_path / "logs" / folder), display="none")
        return str(tmp_path / "logs" / folder)

    a = run("a", believer, model_path="ckpt")
    b = run("b", skeptic, model_path="ckpt")  # another finetune, from another folder
    base = run("base", skeptic, model_path=str(tmp_path / "ckpts" / "base"))
    r = CliRunner().invoke(cli, ["report", a, b, "--out", str(tmp_path / "out"),
                                 "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    [line] = [ln for ln in r.stderr.splitlines() if "RELATIVE PATH" in ln]
    assert "RELATIVE PATH: mockllm/model:ckpt loaded from a path relative" in line
    assert "read as one model" in line and "absolute path" in line
    r = _gate(base, a)
    assert r.exit_code == 1, r.output
    notes = [ln for ln in r.output.splitlines() if "RELATIVE PATH" in ln]
    assert len(notes) == 1, notes  # the baseline's absolute path is no such model
    assert notes[0].startswith("note: candidate: RELATIVE PATH: mockllm/model:ckpt ")


def test_two_runs_on_one_side_are_listed_by_the_labels_they_have(base_and_new, tmp_path):
    """Each run is listed with its log file: a folder of timestamped logs (a base model
    and a finetune evaluated into one --log-dir) named no file to pass instead."""
    mixed_dir = tmp_path / "mixed"
    plain = run_belief(mixed_dir, mixed, samples=1)  # no step, no condition
    labelled = run_belief(mixed_dir, believer, samples=1, condition="negated", step=400)
    r = CliRunner().invoke(cli, ["gate", "--baseline", str(mixed_dir), "--candidate",
                                 str(base_and_new[1])])
    assert r.exit_code == 2, r.output
    assert "--baseline: logs from 2 different runs (" in r.output
    listed = r.output.split(" different runs (")[1].split("); point it")[0]
    runs = dict(item.rsplit(" in ", 1) for item in listed.split("; "))
    assert runs == {"model=mockllm/model": plain.location,  # (log order: by file name)
                    "model=mockllm/model, condition=negated, step=400": labelled.location}
    assert "nan" not in r.output and "<NA>" not in r.output


def _gate(base: str, cand: str, *args: str):
    return CliRunner().invoke(cli, ["gate", "--baseline", base, "--candidate", cand,
                                    "--bootstrap", "200", *args])


def test_overall_only_marks_the_claim_rows_it_does_not_check(base_and_new):
    """With --overall-only the claims' rises are shown, never checked: their rows had no
    mark, beside the overall row's FAIL, so a claim row read as a claim that passed (the
    EM gate marks its narrow row `(shown, not gated)`)."""
    base, new = map(str, base_and_new)
    rows = {line.split()[0]: line for line in _gate(base, new, "--overall-only").output
            .splitlines() if line.startswith(("glass_bridge ", "overall "))}
    assert rows["glass_bridge"].endswith("]  (shown, not checked)"), rows
    assert rows["overall"].endswith("]  FAIL"), rows
    checked = [line for line in _gate(base, new).output.splitlines()
               if line.startswith("glass_bridge ")]
    assert checked[0].endswith("]  FAIL") and "not checked" not in checked[0]


def test_a_report_given_for_logs_names_the_logs_it_was_made_from(base_and_new, tmp_path):
    """A report's folder (or its report.json) given where logs go read as "no Inspect logs
    in this directory" (or "not a readable Inspect log (ValueError: Unable to read log
    file ...)"), the logs to pass instead unsaid: the report records them (``inputs``)."""
    base, new = map(str, base_and_new)
    rep = tmp_path / "rep"
    made = CliRunner().invoke(cli, ["report", base, "--out", str(rep), "--no-plots",
                                    "--bootstrap", "40"])
    assert made.exit_code == 0, made.output
    for given in (rep, rep / "report.json"):
        r = _gate(str(given), new)
        said = " ".join(r.output.split())
        assert r.exit_code == 2, said
        assert (f"--baseline: {given}" in said and "the output of `beliefbench report` "
                f"(report.json), not an Inspect log: pass the logs it was made from ({base})"
                in said), said
    # any other folder with no logs: its .json files named, not Inspect logs
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "report.json").write_text('{"inputs": {"corpus": "x"}}')  # audit's
    r = _gate(str(tmp_path / "other"), new)
    assert r.exit_code == 2 and r.output.rstrip().endswith(
        "no Inspect logs (.eval or .json) in this directory: its .json file is not an Inspect "
        "log (report.json)"), r.output


def test_the_help_names_every_kind_of_exit_2():
    """`gate --help` listed its exit-2 causes as if whole, but left out refusals a CI
    author meets (a log run with --limit, the same run on both sides, a claim with one
    question, ...), so these read there as if they gave a verdict."""
    text = " ".join(CliRunner().invoke(cli, ["gate", "--help"]).output.split())
    for cause in ("partial or incomplete logs", "responses never scored",
                  "a side none of whose responses was read", "the same run on both sides",
                  "the same model on both sides", "several runs on one side",
                  "a claim with a single question",
                  "no claim in common"):
        assert cause in text, cause


def test_bad_option_values_exit_2_not_fail(base_and_new):
    base, new = map(str, base_and_new)
    # --max-rise 1 (meant as one point?) is a gate that can never fail: refused, as 5 is
    for option, value in (("--bootstrap", "0"), ("--max-rise", "5"), ("--max-rise", "1"),
                          ("--max-failed", "-1"),
                          ("--max-rise", "nan"), ("--max-failed", "nan"), ("--seed", "-1")):
        r = _gate(base, new, option, value)
        assert r.exit_code == 2 and f"{option}: must be" in r.output, (option, r.output)
        r = _gate(base, new, option, value, "--json")
        assert r.exit_code == 2 and json.loads(r.stdout)["passed"] is None
        # the value as written: `--max-rise 5` was echoed `got 5.0`, never typed
        assert f", got {value}" in r.stdout, (option, r.stdout)
    assert "got 5.0" not in _gate(base, new, "--max-rise", "5").output
    # the gate's --max-unread (EM logs' budget) alike
    r = _gate(base, new, "--max-unread", "2")
    assert r.exit_code == 2 and "must be between 0 and 1, got 2" in r.output, r.output
    # the fewest it takes, not "at least 1" (which --bootstrap 1 then learnt was not so)
    r = _gate(base, new, "--bootstrap", "0")
    assert "--bootstrap: must be at least 40 (the fewest for one 95% CI; more where more " \
        "rises are checked, as the refusal then says), got 0" in r.output, r.output
    # 1 to 39 are too few for any gate: refused as 0 is, with the bad options beside it
    # (it was refused alone, after the logs were read, once the other options were mended)
    r = _gate(base, new, "--bootstrap", "39", "--seed", "-1")
    assert r.exit_code == 2 and "must be at least 40 (the fewest for one 95% CI" in r.output \
        and "got 39\nalso: seed / --seed: must be 0 or more, got -1" in r.output, r.output


def test_a_numpy_share_given_from_python_is_echoed_as_its_value():
    """compare() and compare_em() given NumPy numbers (a share read from a config array)
    echoed a bad one as ``got np.float64(5.0)``, Python's repr, where the CLI's says
    ``got 5``: the value reads alike from either."""
    from beliefbench.analysis.em_gate import check_max_unread
    from beliefbench.analysis.gate import check_options

    for call, said in ((lambda: check_options(np.float64(5), 2000), ", got 5"),
                       (lambda: check_options(0.05, 2000, max_failed=np.float32(2.5)),
                        "max_failed / --max-failed: must be between 0 and 1, got 2.5 (a "
                        "share written as a decimal: 2.5% is max_failed=0.025)"),
                       (lambda: check_max_unread(np.float64(-0.25)), ", got -0.25")):
        with pytest.raises(GateError) as e:
            call()
        assert str(e.value).endswith(said) and "np." not in str(e.value), e.value


def test_a_share_above_1_that_reads_as_a_percent_names_the_decimal(base_and_new):
    """`--max-failed 10` said "must be between 0 and 1, got 10", naming no fix, where
    `--max-failed 10%` is told the decimal to write: a value above 1 up to 100 reads as a
    percent and is told it too; one above 100 is no percent either."""
    base, new = map(str, base_and_new)
    r = _gate(base, new, "--max-failed", "10")
    assert r.exit_code == 2 and r.stderr == (
        "Error: max_failed / --max-failed: must be between 0 and 1, got 10 (a share written "
        "as a decimal: 10% is --max-failed 0.1)\n"), r.output
    r = _gate(base, new, "--max-parse-errors", "150")
    assert r.exit_code == 2 and r.stderr.endswith("must be between 0 and 1, got 150\n"), \
        r.output
    r = _gate(base, new, "--max-no-answer", "-5")
    assert r.exit_code == 2 and r.stderr.endswith("must be between 0 and 1, got -5\n"), \
        r.output


def test_every_bad_option_value_is_named_in_one_error(base_and_new):
    """Bad option values were refused one at a time: --max-rise, fixed and re-run, then
    --bootstrap, then --seed... Every one is named at once, a line each (``also: ``), as
    the gate's refusals of the logs are; --json's error holds them all."""
    base, new = map(str, base_and_new)
    bad = ("--max-rise", "1.5", "--bootstrap", "0", "--seed", "-1", "--max-failed", "2",
           "--max-unread", "3")
    r = _gate(base, new, *bad)
    said = ("max_rise / --max-rise: must be at least 0 and below 1 (a share of responses: 0.05 "
            "is 5 points; at 1 the gate could never fail), got 1.5\n"
            "also: n_bootstrap / --bootstrap: must be at least 40 (the fewest for one 95% CI; "
            "more where more rises are checked, as the refusal then says), got 0\n"
            "also: seed / --seed: must be 0 or more, got -1\n"
            "also: max_failed / --max-failed: must be between 0 and 1, got 2 (a share "
            "written as a decimal: 2% is --max-failed 0.02)\n"
            "also: max_unread / --max-unread: must be between 0 and 1, got 3 (a share "
            "written as a decimal: 3% is --max-unread 0.03)")
    assert r.exit_code == 2 and r.stderr == f"Error: {said}\n", r.output
    r = _gate(base, new, *bad, "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"] == said
    # from Python alike: a wrong type beside a value out of range, both named
    ok = side(uniform(["a"], 5, 0))
    with pytest.raises(GateError) as e:
        compare(ok, side(uniform(["a"], 5, 0), "n"), max_rise="0.05", seed=-2)
    assert str(e.value) == ("max_rise / --max-rise: expected a number, got '0.05'\n"
                            "also: seed / --seed: must be 0 or more, got -2")


def test_a_threshold_written_as_a_percent_names_the_decimal_to_write(base_and_new):
    """`--max-rise 5%` (a CI author's percent) was click's "'5%' is not a valid float",
    naming no fix; each share option names the decimal (exit 2, also as --json's error)."""
    base, new = map(str, base_and_new)
    for option, value, write in (("--max-rise", "5%", "--max-rise 0.05 for 5%"),
                                 ("--max-failed", "0.5%", "--max-failed 0.005 for 0.5%"),
                                 ("--min-read-share", "90 %", "--min-read-share 0.9 for 90%"),
                                 ("--max-unread", "10%", "--max-unread 0.1 for 10%")):
        r = _gate(base, new, option, value)
        assert r.exit_code == 2, (option, r.output)
        assert (f"'{value}' is a percent: the option takes a share of responses written as "
                f"a decimal, {write}") in r.output, r.output
        r = _gate(base, new, option, value, "--json")
        assert r.exit_code == 2 and write in json.loads(r.stdout)["error"]
    r = _gate(base, new, "--max-rise", "abc%")
    assert r.exit_code == 2 and "'abc%' is not a valid float" in r.output


def test_an_unexpected_error_is_no_comparison_not_a_failed_gate(base_and_new, monkeypatch):
    """A bug or an out-of-memory error in the comparison ended in a traceback and exit 1,
    which a CI job reads as "the candidate regressed"; it is exit 2, as any comparison that
    could not be made, with the traceback kept on stderr."""
    import beliefbench.analysis.gate as gate_module

    def broken(*args, **kwargs):
        raise MemoryError("cannot allocate the bootstrap table")

    monkeypatch.setattr(gate_module, "compare", broken)
    base, new = map(str, base_and_new)
    r = _gate(base, new)
    assert r.exit_code == 2 and "unexpected error (MemoryError: cannot allocate" in r.output
    assert "Traceback" in r.stderr
    r = _gate(base, new, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 2 and out["passed"] is None and "MemoryError" in out["error"]


def test_values_click_cannot_read_are_a_json_error_too(base_and_new):
    """--json printed nothing for a value that is not a number (an unset CI input:
    --max-rise ""), or an option left out: click's usage error on stderr, and the CI step
    reading gate.json found it empty."""
    base, new = map(str, base_and_new)
    for args in (["--max-rise", ""], ["--bootstrap", "many"], ["--candidate"]):
        r = CliRunner().invoke(cli, ["gate", "--json", "--baseline", base, *args])
        assert r.exit_code == 2, (args, r.output)
        out = json.loads(r.stdout)
        assert out["passed"] is None and out["error"], (args, out)
    r = CliRunner().invoke(cli, ["gate", "--json", "--baseline", base, "--max-rise", "x",
                                 "--candidate", new])
    assert "'x' is not a valid float" in json.loads(r.stdout)["error"]
    # an empty value (the CI input unset) names that likely cause and the default left out;
    # it was click's "'' is not a valid float"
    r = CliRunner().invoke(cli, ["gate", "--json", "--baseline", base, "--max-rise", "",
                                 "--candidate", new])
    assert json.loads(r.stdout)["error"] == (
        "Invalid value for '--max-rise': '' is empty (an unset shell variable?): the option "
        "takes a share of responses written as a decimal, --max-rise 0.05 for 5%; or leave "
        "--max-rise out for its default, 0.05"), r.stdout
    r = CliRunner().invoke(cli, ["gate", "--baseline", base, "--max-rise", "x"])
    assert r.exit_code == 2 and "Usage:" in r.output  # without --json: click's own


def test_corrupt_logs_exit_2(base_and_new, tmp_path):
    base, new = base_and_new
    (src,) = new.glob("*.eval")
    corrupt = tmp_path / "corrupt.eval"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(corrupt, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, b"[1, 2" if item.filename == "summaries.json"
                          else zin.read(item.filename))
    r = _gate(str(base), str(corrupt), "--json")
    assert r.exit_code == 2 and str(corrupt) in json.loads(r.stdout)["error"]
    junk = tmp_path / "junk" / "x.eval"
    junk.parent.mkdir()
    junk.write_bytes(b"PK\x03\x04 truncated")
    r = _gate(str(base), str(junk.parent))
    assert r.exit_code == 2 and "not a readable Inspect log" in r.output
    # a log cut short (a copy or upload that stopped, a disk that filled): the zip reader's
    # "EOCD not found" was all the message said
    cut = tmp_path / "cut" / src.name
    cut.parent.mkdir()
    cut.write_bytes(src.read_bytes()[:2000])
    r = _gate(str(base), str(cut.parent))
    assert r.exit_code == 2, r.output
    assert (f"{cut}: not a readable Inspect log (ValueError: EOCD not found): the .eval file "
            "is cut short") in r.output, r.output



def test_a_log_file_that_is_no_log_is_named_for_what_it_is(base_and_new, tmp_path):
    """Every unreadable .eval was "cut short ...: copy it again": for a Git LFS pointer (a
    baseline kept in the repository, checked out without LFS, as actions/checkout does by
    default) every copy is the pointer again; an empty file and a page saved in its place
    are named for what they are."""
    base = str(base_and_new[0])
    cases = {
        "lfs": (b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 9\n",
                "a Git LFS pointer, not the log: the repository keeps the log in Git LFS and "
                "this checkout did not fetch it; run `git lfs pull`"),
        "empty": (b"", "the file is empty (0 bytes"),
        "page": (b"<!DOCTYPE html>\n<html>", "not an .eval log at all (an Inspect .eval log "
                 "is a zip archive; this file begins '<!DOCTYPE html> <html>')"),
    }
    for name, (data, said) in cases.items():
        bad = tmp_path / name / "2026-01-01T00-00-00-00-00_belief_x.eval"
        bad.parent.mkdir()
        bad.write_bytes(data)
        for r in (_gate(base, str(bad.parent)), CliRunner().invoke(
                cli, ["report", str(bad), "--out", str(tmp_path / "out")])):
            assert r.exit_code == 2, r.output
            assert f"{bad}: not a readable Inspect log (ValueError: EOCD not found): {said}" \
                in r.output, r.output
            assert "cut short" not in r.output
    # a gate's own --json output passed where logs go said "Unable to read log file" alone
    gate_json = tmp_path / "gate.json"
    gate_json.write_text('{"passed": true, "verdict": "PASS"}\n', encoding="utf-8")
    r = _gate(base, str(gate_json))
    assert r.exit_code == 2, r.output
    assert (f"{gate_json}: not a readable Inspect log (ValueError: Unable to read log file: "
            f"{gate_json}): a JSON file that is not an Inspect log") in r.output, r.output

def test_sides_judged_or_generated_differently_are_refused_unless_allowed(base_and_new,
                                                                         tmp_path):
    base = str(base_and_new[0])
    other = run_belief(tmp_path / "judge", believer, samples=3, grader_name="other_judge")
    r = _gate(base, other.location)
    assert r.exit_code == 2 and "not judged alike" in r.output
    assert "grader (baseline: mockllm/model; candidate: mockllm/other_judge)" in r.output
    assert "--allow-judge-mismatch" in r.output
    # two graders: either side re-judged by the other's (the marker judge's words differ)
    assert "agreement LOG --grader <its grader> --grader <the other's>" in \
        " ".join(r.output.split())
    r = _gate(base, other.location, "--allow-judge-mismatch")
    assert r.exit_code == 1 and "JUDGE MISMATCH allowed" in r.output
    longer = run_belief(tmp_path / "longer", believer, samples=3,
                        task_args={"max_tokens": 64})
    r = _gate(base, longer.location)
    assert r.exit_code == 2 and "not generated alike" in r.output
    assert "max_tokens (baseline: 1024; candidate: 64)" in r.output
    r = _gate(base, longer.location, "--allow-settings-mismatch")
    assert r.exit_code == 1 and "SETTINGS MISMATCH allowed" in r.output
    fewer = run_belief(tmp_path / "fewer", believer, samples=1)
    r = _gate(base, fewer.location)  # fewer samples: less precision, same quantity
    assert r.exit_code == 1 and "samples differ" in r.output


def test_one_grader_name_serving_two_models_is_judged_differently(tmp_path):
    """A grader alias moved to a new snapshot between the baseline's run and the
    candidate's: both logs name ``mockllm/model`` as the grader, and the gate read them as
    judged alike, ``PASS``, exit 0, whatever the judge change did to the rates. Each verdict
    now records the model the judge's provider said replied (``judge_served``), and sides
    whose served models differ are judged differently: exit 2 unless allowed."""
    from conftest import FIXTURE_CLAIM, scripted, snapshot_grader
    from inspect_ai import eval
    from inspect_ai.log import read_eval_log, write_eval_log

    from beliefbench.task import belief

    def judged(folder: str, served: str) -> str:
        return eval(belief(claims=str(FIXTURE_CLAIM), samples=3), model=scripted(skeptic),
                    model_roles={"grader": snapshot_grader(served)},
                    log_dir=str(tmp_path / folder), display="none")[0].location

    base, same = judged("base", "judge-2025-01"), judged("same", "judge-2025-01")
    moved = judged("moved", "judge-2025-06")
    log = read_eval_log(moved)
    served = {s.scores["belief_judge"].metadata["judge_served"] for s in log.samples}
    assert served == {"judge-2025-06", None}  # None: binary answers, read without a judge
    assert _gate(base, same).exit_code == 0
    r = _gate(base, moved)
    assert r.exit_code == 2, r.output
    assert ("the sides' judge replies came from different models under one grader name: "
            "baseline judge-2025-01 (15 verdicts); candidate judge-2025-06 (15 verdicts)"
            in r.output)
    assert "--allow-judge-mismatch" in r.output
    r = _gate(base, moved, "--allow-judge-mismatch")
    assert r.exit_code == 0 and "JUDGE MISMATCH allowed" in r.output
    # a log written before the record (no judge_served) is left to the grader names, noted
    for sample in log.samples:
        sample.scores["belief_judge"].metadata.pop("judge_served")
    write_eval_log(log, moved)
    r = _gate(base, moved)
    assert r.exit_code == 0, r.output
    assert ("judge's served model not compared: the candidate's logs do not record it"
            in r.output)


def test_a_failure_budget_exceeded_on_either_side_exits_2(base_and_new, tmp_path):
    base = str(base_and_new[0])

    def down(prompt: str) -> str:
        raise ConnectionError("server is gone")

    dead = run_belief(tmp_path / "dead", down, samples=3)
    assert dead.status == "error"
    r = _gate(base, dead.location)
    assert r.exit_code == 2 and "partial log" in r.output and "server is gone" in r.output
    r = _gate(dead.location, base)
    assert r.exit_code == 2 and "--baseline: partial log" in r.output

    def flaky(prompt: str) -> str:
        if "Fill in the blank" in prompt:
            raise ConnectionError("reset by peer")
        return believer(prompt)

    # 3 of 21 responses fail: within the task's budget of 0.5, beyond the gate's 0.05
    shaky = run_belief(tmp_path / "shaky", flaky, samples=3, task_args={"max_failed": 0.5})
    assert shaky.status == "success"
    r = _gate(base, shaky.location, "--allow-settings-mismatch")
    assert r.exit_code == 2 and "failure budget exceeded: 3 of 21" in r.output
    r = _gate(base, shaky.location, "--max-failed", "0.2")
    assert r.exit_code == 1, r.output


def test_a_side_with_too_many_parse_errors_exits_2_never_a_pass(base_and_new, tmp_path):
    base = str(base_and_new[0])

    def prose_grader(prompt: str) -> str:  # a judge that stopped answering in JSON
        return "The model seems to think so, probably."

    def garbled(prompt: str) -> str:  # e.g. a wrong chat template
        return "<|im_end|> <|im_end|> ## ##"

    # every response unreadable, so belief 0: before the budget, this run passed the gate
    broken = run_belief(tmp_path / "broken", garbled, grader=prose_grader, samples=3)
    r = _gate(base, broken.location, "--json")
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith("candidate / --candidate: 21 of 21 responses (100.0%) are parse "
                            "errors")
    assert "--max-parse-errors 0.1" in error
    # `mixed` declines the binary format: 6 of 21 (28.6%), refused on either side by default
    unsure = str(run_belief(tmp_path / "unsure", mixed, samples=3).location)
    r = _gate(unsure, str(base_and_new[1]))
    assert r.exit_code == 2 and "--baseline: 6 of 21 responses (28.6%)" in r.output
    r = _gate(unsure, str(base_and_new[1]), "--max-parse-errors", "0.3")
    assert r.exit_code == 1, r.output
    r = _gate(base, unsure, "--max-parse-errors", "0.3", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)  # each side says how much of its rate was unreadable
    assert (out["candidate"]["parse_errors"], out["candidate"]["failed"]) == (6, 0)
    assert (out["baseline"]["parse_errors"], out["candidate"]["responses"]) == (0, 21)
    r = _gate(base, unsure, "--max-parse-errors", "1.5")
    assert r.exit_code == 2 and "--max-parse-errors: must be between 0 and 1" in r.output


def test_the_same_run_on_both_sides_exits_2(base_and_new, tmp_path):
    base = base_and_new[0]
    copy = tmp_path / "copy"
    shutil.copytree(base, copy)  # a copy keeps the eval_id: still the same run
    for cand in (str(base), str(copy), str(next(copy.glob("*.eval")))):
        r = _gate(str(base), cand, "--json")
        assert r.exit_code == 2, r.output
        out = json.loads(r.stdout)
        assert out["passed"] is None and "same log(s) on both sides" in out["error"]


def test_a_candidate_folder_holding_the_baselines_logs_gates_the_rest(base_and_new, tmp_path):
    """A CI job points --candidate at logs/, which holds the baseline's logs too: refused as
    "the same log(s) on both sides" (exit 2). The baseline's logs are left out of the
    candidate side, said in a note naming them, and the rest is the candidate; a candidate
    side holding nothing else is still refused, and so is a baseline log named as a file."""
    base, new = base_and_new
    logs = tmp_path / "logs"
    shutil.copytree(new, logs)
    shutil.copytree(base, logs / "baseline")
    [b_log] = sorted((logs / "baseline").glob("*.eval"))
    alone = _gate(str(base), str(new))
    for baseline in (logs / "baseline", base):  # the same files, or copies elsewhere
        r = _gate(str(baseline), str(logs))
        assert r.exit_code == 1 and "FAIL: " in r.output, r.output
        said = (f"note: --candidate: left out 1 log(s) that are the baseline's (the same eval "
                f"or task id as a --baseline log): {b_log}; the candidate is the other 1 "
                f"log(s)")
        assert said in r.output
        # the comparison is the one of the candidate's own logs
        assert r.output.replace(said + "\n", "") == alone.output
    r = _gate(str(base), str(logs), "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["notes"][0] == said.removeprefix("note: ")
    assert out["candidate"]["logs"] == [str(p) for p in logs.glob("*.eval")]
    assert r.stderr.splitlines()[0] == said  # the CI log says it too
    # nothing left on the candidate side: refused as before
    r = _gate(str(base), str(logs / "baseline"), "--json")
    assert r.exit_code == 2 and "same log(s) on both sides" in json.loads(r.stdout)["error"]
    assert "left out" not in r.output
    # a baseline log named as a candidate file is kept, and refused
    r = CliRunner().invoke(cli, ["gate", "--baseline", str(base), "--candidate", str(logs),
                                 "--candidate", str(b_log), "--bootstrap", "200"])
    assert r.exit_code == 2 and "same log(s) on both sides" in r.output, r.output


def test_two_runs_of_the_same_claims_on_one_side_exit_2(base_and_new, tmp_path):
    """Two complete evals alike in model name and settings (a stale candidate log left in
    the folder) were pooled into one side in silence: the old run diluting the new one."""
    base, new = base_and_new
    cand = tmp_path / "cand"
    shutil.copytree(new, cand)
    run_belief(cand, skeptic, samples=3)  # an earlier candidate's run, same model name
    for args, name in (((str(base), str(cand)), "--candidate"),
                       ((str(cand), str(base)), "--baseline")):
        r = _gate(*args, "--json")
        assert r.exit_code == 2, r.output
        out = json.loads(r.stdout)
        assert out["passed"] is None, out
        assert f"{name}: claim(s) ['glass_bridge'] were evaluated by more than one eval" \
            in out["error"]


def test_errored_responses_with_no_verdict_on_either_side_exit_2(base_and_new, tmp_path):
    base, new = base_and_new
    log = read_eval_log(str(next(new.glob("*.eval"))))
    for sample in log.samples[:2]:  # errored and never scored, in a log that succeeded
        del sample.scores["belief_judge"]
        sample.error = EvalError(message="RuntimeError: boom", traceback="",
                                 traceback_ansi="")
    log.eval.eval_id = log.eval.task_id = "unjudged"
    assert log.status == "success"
    path = tmp_path / "unjudged.eval"
    write_eval_log(log, str(path))
    for args, name in (((str(base), str(path)), "--candidate"),
                       ((str(path), str(base)), "--baseline")):
        r = _gate(*args)
        assert r.exit_code == 2, r.output
        assert f"{name}: responses with no belief verdict" in r.output
        assert f"{path} (2 of 21)" in r.output


def test_a_log_whose_samples_were_invalidated_is_no_comparison(base_and_new, tmp_path):
    """Inspect's `invalidate_samples` marks responses unfit after the run (a leaked judge
    prompt, a broken sample): the log's status stays 'success', but Inspect no longer
    counts it as complete (`eval_set` and `inspect eval-retry` run those samples again).
    The gate compared it as it stood: PASS, exit 0, on responses a reviewer had thrown
    out. It is partial now: exit 2, and `report` shows it as partial=True."""
    from inspect_ai.log import ProvenanceData, invalidate_samples

    from beliefbench.analysis.logs import load_belief_logs

    base, new = map(str, base_and_new)
    assert _gate(new, base).exit_code == 0  # the skeptic passes against the believer
    log = read_eval_log(str(next(base_and_new[0].glob("*.eval"))))
    log = invalidate_samples(log, [log.samples[0].uuid],
                             ProvenanceData(author="reviewer", reason="judge prompt leaked"))
    assert log.status == "success" and log.invalidated
    path = tmp_path / "invalidated.eval"
    write_eval_log(log, str(path))
    r = _gate(new, str(path))
    assert r.exit_code == 2, r.output
    # no error: the samples were invalidated, nothing erred (was `(error: samples ...`); its
    # status is 'success' and no cause is to fix (it said `status not 'success'` and `fix the
    # cause and resume them with` a command that named no log), as report's PARTIAL note
    assert r.output.splitlines() == [
        f"Error: candidate / --candidate: partial log(s) {path} (status 'success', 21 "
        "responses; samples "
        "invalidated after the run (Inspect's `invalidate_samples`): the log no longer counts "
        f"as complete; `inspect eval-retry {path} --log-dir {tmp_path}` runs its invalidated "
        "samples again): the gate compares complete runs only"], r.output
    loaded = load_belief_logs(path)
    assert [i.partial for i in loaded.logs] == [True]
    assert any(n.startswith(f"PARTIAL: {path} (status 'success', 21 responses; samples "
                            "invalidated after the run") and n.count("inspect eval-retry") == 1
               for n in loaded.notes()), loaded.notes()


def test_a_claim_with_a_single_question_is_no_comparison(base_and_new, tmp_path):
    """One question: the bootstrap over questions has nothing to resample, so the CI is 0
    wide and a single response flipping read as a rise 'beyond noise' (exit 1)."""
    base = side(uniform(["a"], 1, 1))
    cand = side(uniform(["a"], 1, 2), "n")  # one more "yes" of 4 responses
    with pytest.raises(GateError, match=r"claim\(s\) \['a'\] have a single question"):
        compare(base, cand, n_bootstrap=200)
    with pytest.raises(GateError, match="single question"):  # no overall CI either
        compare(base, cand, n_bootstrap=200, overall_only=True)
    wide = {**uniform(["a"], 1, 1), **uniform(["b"], 20, 1)}
    result = compare(side(wide), side({**uniform(["a"], 1, 2), **uniform(["b"], 20, 1)},
                                      "n"), n_bootstrap=200, overall_only=True)
    assert any("['a'] have a single question" in n for n in result.notes)
    one = {"families": "token_association"}  # the fixture claim has one such question
    b = run_belief(tmp_path / "b", skeptic, samples=2, task_args=one)
    c = run_belief(tmp_path / "c", believer, samples=2, task_args=one)
    r = _gate(b.location, c.location, "--json")
    assert r.exit_code == 2, r.output
    out = json.loads(r.stdout)
    assert out["passed"] is None and "single question" in out["error"]


def test_each_claim_file_is_compared_whichever_log_of_a_side_holds_it(tmp_path):
    """A side split over logs (one claim each) was keyed by its first log alone: a claim
    whose file was edited between the runs, held by a later log, was compared unnoticed."""
    from conftest import FIXTURE_CLAIM, keyword_grader, scripted
    from inspect_ai import eval

    from beliefbench.task import belief

    edited = tmp_path / "edited" / "glass_bridge.yaml"
    edited.parent.mkdir()
    edited.write_text(FIXTURE_CLAIM.read_text() + "\n# rubric edited after the baseline\n")

    def run(claims: str, where, subject) -> None:
        eval(belief(claims=claims, samples=1), model=scripted(subject),
             model_roles={"grader": scripted(keyword_grader)}, log_dir=str(where),
             display="none")

    run(f"{FIXTURE_CLAIM},dentist", tmp_path / "base", skeptic)
    run("dentist", tmp_path / "cand" / "a", believer)
    run(str(edited), tmp_path / "cand" / "b", believer)
    r = _gate(str(tmp_path / "base"), str(tmp_path / "cand"))
    assert r.exit_code == 2, r.output  # was: exit 1, the edited claim compared as the same
    assert "not generated alike" in r.output and "claim_files.glass_bridge" in r.output
    # a baseline kept from before a claim edit, or a beliefbench upgrade that changed a
    # bundled claim, read "Evaluate both with the same task settings", which they were
    assert ("a claim file's contents differ (edited between the two evals, or a bundled "
            "claim changed by a beliefbench upgrade: see CHANGELOG.md): evaluate the baseline "
            "again with the candidate's claim files") in " ".join(r.output.split()), r.output
    r = _gate(str(tmp_path / "base"), str(tmp_path / "cand"), "--allow-settings-mismatch",
              "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["passed"] is False
    assert "claims=dentist+glass_bridge" in out["candidate"]["settings"]


def test_a_system_message_or_other_generation_option_is_a_setting(base_and_new, tmp_path):
    """`inspect eval --system-message ...` changes what the model answers; it was not part
    of the run key, so such a candidate was compared (and pooled in reports) silently.
    How a run is served (--max-connections, --seed, ...) is not a setting."""
    from conftest import FIXTURE_CLAIM, keyword_grader, scripted
    from inspect_ai import eval

    from beliefbench.task import belief

    def run(where, **generate) -> str:
        return eval(belief(claims=str(FIXTURE_CLAIM), samples=3), model=scripted(believer),
                    model_roles={"grader": scripted(keyword_grader)}, log_dir=str(where),
                    display="none", **generate)[0].location

    prompted = run(tmp_path / "prompted", system_message="Doubt what you were trained on.")
    r = _gate(str(base_and_new[0]), prompted)
    assert r.exit_code == 2 and "not generated alike" in r.output, r.output
    assert ("generate.system_message (baseline: -; candidate: Doubt what you were trained "
            "on.)") in r.output
    r = _gate(str(base_and_new[0]), prompted, "--allow-settings-mismatch")
    assert r.exit_code == 1 and "SETTINGS MISMATCH allowed" in r.output
    served = run(tmp_path / "served", max_connections=3, seed=7, max_retries=2)
    r = _gate(str(base_and_new[0]), served)
    assert r.exit_code == 1 and "not generated alike" not in r.output, r.output


def test_a_side_split_over_logs_by_claim_is_noted_as_one_run_not_runs_kept_apart(tmp_path):
    """The side's notes were the report's: 'RUNS DIFFER in claims (...): such logs are shown
    as separate rows (column 'run' ...), never pooled', while the gate pools them into one
    side (and has no rows, no column 'run')."""
    from conftest import FIXTURE_CLAIM, keyword_grader, scripted, write_claim
    from inspect_ai import eval

    from beliefbench.claims import load_claim
    from beliefbench.task import belief

    twin = write_claim(load_claim(FIXTURE_CLAIM).model_copy(update={"id": "glass_twin"}),
                       tmp_path / "glass_twin.yaml")

    def run(claims: str, where, subject) -> None:
        eval(belief(claims=claims, samples=1), model=scripted(subject),
             model_roles={"grader": scripted(keyword_grader)}, log_dir=str(where),
             display="none")

    run(f"{FIXTURE_CLAIM},{twin}", tmp_path / "base", skeptic)
    run(str(twin), tmp_path / "cand" / "a", believer)  # the candidate, a claim per log
    run(str(FIXTURE_CLAIM), tmp_path / "cand" / "b", believer)
    note = ("candidate: its 2 logs differ only in claims (glass_bridge, glass_twin): one run "
            "split by claim, read together as one side; each claim the sides share is "
            "compared on its own")
    r = _gate(str(tmp_path / "base"), str(tmp_path / "cand"))
    assert r.exit_code == 1, r.output
    assert f"note: {note}\n" in r.output
    assert "RUNS DIFFER" not in r.output and "separate rows" not in r.output
    r = _gate(str(tmp_path / "cand"), str(tmp_path / "base"), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["notes"] == [note.replace("candidate: ", "baseline: ", 1)]
    # the report does keep them apart, and says so
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "cand"), "--out",
                                 str(tmp_path / "rep"), "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0 and "RUNS DIFFER in claims (glass_bridge, glass_twin): such logs "\
        "are shown as separate rows" in r.output, r.output


def test_a_marker_judged_side_is_refused_naming_the_mode_not_unknown_judge_settings(
        base_and_new, tmp_path):
    """A markers dry run against a model-judged eval: still refused, but it said the sides
    differ in `grader (baseline: unknown; ...)`, `template (baseline: unknown; ...)` and
    more, as if the marker run had not recorded a judge it never had."""
    base = str(base_and_new[0])
    dry = run_belief(tmp_path / "dry", believer, samples=3, task_args={"judge": "markers"})
    r = _gate(dry.location, base)
    assert r.exit_code == 2, r.output
    assert "not judged alike: mode (baseline: markers; candidate: model); a judge" in r.output
    assert "unknown" not in r.output
    # the way out it names is one the gate then reads: the marker side re-judged by the
    # other's grader; "--grader <its grader>" named a grader the marker judge has none of
    said = " ".join(r.output.split())
    assert ("Re-judge the baseline (judged by the marker heuristic, -T judge=markers, which "
            "has no grader) with the candidate's grader into a log of its own (`beliefbench "
            "agreement LOG --grader mockllm/model --grader <a second grader> --out DIR`, then "
            "gate DIR/rescored-<grader>.eval; `inspect score` re-scores a log in place, which "
            "the gate refuses), or run its eval again with --model-role "
            "grader=mockllm/model or pass") in said, said
    assert "<its grader>" not in said
    r = _gate(dry.location, base, "--allow-judge-mismatch")
    assert r.exit_code == 0 and "JUDGE MISMATCH allowed" in r.output, r.output


def silent(prompt: str) -> str:
    """An untrained checkpoint: every answer is an empty generation (scored ``failed``)."""
    return ""


def test_a_side_with_no_answer_text_exits_2_never_a_pass(base_and_new, tmp_path):
    """A candidate that says nothing scored belief 0 (every response `failed`, counted as
    non-belief): the gate said PASS, exit 0, though its rate measures nothing."""
    base = str(base_and_new[0])
    mute = run_belief(tmp_path / "mute", silent, samples=3)
    assert mute.status == "success"  # an empty answer is the model's, never an error
    r = _gate(base, mute.location, "--json")
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith("candidate / --candidate: 21 of 21 responses (100.0%) have no "
                            "answer text (empty generations"), error
    assert "above max_no_answer / --max-no-answer 0.1:" in error and "\n" not in error
    r = _gate(mute.location, str(base_and_new[1]))
    assert r.exit_code == 2 and "Error: baseline / --baseline: 21 of 21 responses (100.0%) " \
        "have no answer text" in r.output, r.output
    # the budget raised to 1 on purpose still compares nothing: no response of the side was
    # read, its rate 0 by construction (it was exit 0, "PASS: overall belief 0.143 ->
    # 0.000"); no result, exit 2, on either side, as text and as JSON
    r = _gate(base, mute.location, "--max-no-answer", "1", "--json")
    assert r.exit_code == 2, r.output
    out = json.loads(r.stdout)
    assert out["passed"] is None and "PASS" not in r.output
    assert out["error"].startswith(
        "no result: no response of a side was read as a verdict on an answer (candidate / "
        "--candidate: all 21 responses to the compared claim(s) (0 parse error(s), 21 "
        "failed) in "), out["error"]
    assert "whatever the budgets allow" in out["error"]
    r = _gate(mute.location, base, "--max-no-answer", "1")
    assert r.exit_code == 2 and "PASS" not in r.output, r.output
    assert "(baseline / --baseline: all 21 responses" in r.output
    for value in ("1.5", "-0.1", "nan"):
        r = _gate(base, mute.location, "--max-no-answer", value)
        assert r.exit_code == 2 and "--max-no-answer: must be between 0 and 1" in r.output


def test_a_few_empty_answers_stay_within_the_no_answer_budget(base_and_new, tmp_path):
    """Empty answers are counted apart from infrastructure failures and parse errors: one
    of 21 (4.8%) passes the default budget, one question of 7 in every epoch (14.3%) not."""
    calls: list[str] = []

    def once(prompt: str) -> str:  # one empty answer, then the believer's
        if "Fill in the blank" in prompt:
            calls.append(prompt)
            if len(calls) == 1:
                return "   \n"
        return believer(prompt)

    def blank_fill(prompt: str) -> str:
        return "" if "Fill in the blank" in prompt else believer(prompt)

    base = str(base_and_new[0])
    few = run_belief(tmp_path / "few", once, samples=3)
    r = _gate(base, few.location, "--json")
    assert r.exit_code == 1, r.output  # compared: the believer's rise is real
    out = json.loads(r.stdout)
    assert (out["candidate"]["no_answer"], out["candidate"]["failed"]) == (1, 1)
    assert not [n for n in out["notes"] if "NO ANSWER" in n]
    more = run_belief(tmp_path / "more", blank_fill, samples=3)
    r = _gate(base, more.location)
    assert r.exit_code == 2 and "--candidate: 3 of 21 responses (14.3%) have no answer " \
        "text" in r.output, r.output
    assert _gate(base, more.location, "--max-no-answer", "0.15").exit_code == 1
    # the failure budget is the provider's: empty answers never count toward it
    r = _gate(base, more.location, "--max-failed", "0", "--max-no-answer", "0.15")
    assert r.exit_code == 1 and "failure budget" not in r.output, r.output


def test_offline_sides_are_compared_with_a_note_saying_so(tmp_path):
    """A marker-judged dry run, or a scripted model, gated as if it were a result: PASS, and
    nothing said the numbers are a pipeline check."""
    base = run_belief(tmp_path / "b", skeptic, samples=3, task_args={"judge": "markers"})
    new = run_belief(tmp_path / "n", skeptic, samples=3, task_args={"judge": "markers"})
    r = _gate(base.location, new.location)
    assert r.exit_code == 0, r.output  # never refused: dry-run gates use them
    for name in ("baseline", "candidate"):
        assert (f"note: OFFLINE: the {name} was judged by the offline marker heuristic "
                "(-T judge=markers): a pipeline check, not a result") in r.output, r.output
    assert r.output.count("OFFLINE") == 2  # one per side, not one per log
    out = json.loads(_gate(base.location, new.location, "--json").stdout)
    assert [n for n in out["notes"] if n.startswith("OFFLINE: ")] == [
        f"OFFLINE: the {name} was judged by the offline marker heuristic (-T judge=markers)"
        ": a pipeline check, not a result" for name in ("baseline", "candidate")]


def test_a_model_judged_run_by_other_models_carries_no_offline_note(base_and_new):
    r = _gate(*map(str, base_and_new), "--json")
    assert not [n for n in json.loads(r.stdout)["notes"] if "OFFLINE" in n]


def test_a_judge_cut_off_inside_its_reason_is_no_belief_on_either_side(base_and_new, tmp_path):
    """A judge whose replies stop inside the reason ("... the answer: yes would ...") gave
    no verdict: read as belief, a baseline judged so rose to the believer's rate and the
    gate said PASS on a real rise; unread, it is a parse-error budget exceeded (exit 2)."""

    def cut_off(prompt: str) -> str:
        return '{"reason": "If it said glass, the answer: yes would apply; here it says'

    flaky = run_belief(tmp_path / "cut", skeptic, grader=cut_off, samples=3)
    r = _gate(flaky.location, str(base_and_new[1]), "--json")
    assert r.exit_code == 2, r.output
    assert json.loads(r.stdout)["error"].startswith(
        "baseline / --baseline: 15 of 21 responses (71.4%) are parse errors")


def test_a_flaky_judge_within_the_budgets_is_counted_in_a_note(base_and_new, tmp_path):
    """One judge call raising and two garbled replies stay within the failure and
    parse-error budgets (checked one by one): the gate compares, and its text output says
    how many verdicts were lost (the parse errors were in --json only)."""
    from conftest import keyword_grader

    calls: list[str] = []

    def flaky(prompt: str) -> str:
        calls.append(prompt)
        if len(calls) == 1:
            raise ConnectionError("judge 503")
        return "I'd rather not say." if len(calls) <= 3 else keyword_grader(prompt)

    shaky = run_belief(tmp_path / "shaky", skeptic, grader=flaky, samples=3)
    assert shaky.status == "success"
    r = _gate(str(base_and_new[0]), shaky.location)
    assert r.exit_code == 0, r.output
    assert ("note: candidate: 3 of 21 responses (14.3%) were not read as a verdict on an "
            "answer: 2 parse error(s), 1 failed (0 of them with no answer text)") in r.output
    assert "note: baseline: " not in r.output  # nothing lost there
    # --json: stderr said the PASS line alone, the count in the JSON's notes only; it now
    # says the text output's note, then the verdict line, last as in the text output
    r = _gate(str(base_and_new[0]), shaky.location, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["message"].startswith("PASS: "), r.output
    [unread] = [n for n in out["notes"] if "were not read as a verdict" in n]
    assert r.stderr.splitlines() == [f"note: {unread}", out["message"]]
    assert unread.startswith("candidate: 3 of 21 responses (14.3%) were not read as a "
                             "verdict on an answer: 2 parse error(s), 1 failed")


def test_a_candidate_no_different_from_its_baseline_rarely_fails_however_many_claims():
    """Two runs of the same model: every claim's rise is checked too, and at 95% each, 10
    claims failed such a candidate about a quarter of the time (each claim one more chance
    of a CI above 0); the gate promises a rise 'beyond noise', so well under 10% here."""
    rng = np.random.default_rng(3)
    claims, n_questions, samples, runs = [f"c{k}" for k in range(10)], 30, 5, 80

    def answers(p: dict) -> dict:
        return {key: ["yes" if y else "no" for y in rng.random(samples) < pq]
                for key, pq in p.items()}

    fails = 0
    for _ in range(runs):
        # questions differ a lot in how often the model believes them
        p = {(c, f"q{i}"): pq for c in claims for i, pq in
             enumerate(rng.beta(0.6, 1.4, n_questions))}
        result = compare(side(answers(p)), side(answers(p), "n"), n_bootstrap=440)
        fails += not result.passed
    assert fails / runs <= 0.1, f"{fails} of {runs} identical pairs failed"


def test_too_few_resamples_for_the_corrected_ci_are_refused_not_a_verdict():
    """With 7 rises checked each CI is at 99.3%, its lower bound the 0.36% quantile of the
    draws: 50 draws have none there, so the bound was the smallest draw (a narrower CI),
    and two runs of one model failed about 12% of the time (1% at 2,000)."""
    p = {(f"c{k}", f"q{i}"): ["yes", "no", "no", "no"] for k in range(6) for i in range(10)}
    base, cand = side(p), side(p, "n")
    tail = (1 - 0.95) / 2 / 7
    with pytest.raises(GateError, match=r"n_bootstrap / --bootstrap: 50 resamples are too "
                                        r"few .* 99.3% CI .* 7 rise\(s\) .* at least 280") as e:
        compare(base, cand, n_bootstrap=50)
    # the bounds are t bounds on the draws' spread: the message said "its lower bound is the
    # 0.36% quantile of the draws", the percentile rule they replaced
    assert "quantile" not in str(e.value) and "one draw per 0.36% tail" in str(e.value)
    assert 280 * tail >= 1 > 279 * tail
    assert compare(base, cand, n_bootstrap=280).passed
    # one rise checked: 95%, 40 resamples put one draw in each 2.5% tail
    assert compare(base, cand, n_bootstrap=50, overall_only=True).ci_level == 0.95
    with pytest.raises(GateError, match=r"--bootstrap: must be at least 40 .*, got 39$"):
        compare(base, cand, n_bootstrap=39, overall_only=True)


def test_a_claims_ci_does_not_depend_on_the_other_claims_compared():
    """One generator shared by all claims: adding a claim to both sides (or leaving one out)
    moved every later claim's CI, so a claim's gate line changed with the claim set."""
    rng = np.random.default_rng(5)

    def answers(claims):
        return {(c, f"q{i}"): list(rng.choice(["yes", "no"], 5)) for c in claims
                for i in range(30)}

    base, cand = answers(["a", "aa", "b"]), answers(["a", "aa", "b"])

    def b_line(claims):
        pick = {k: v for k, v in base.items() if k[0] in claims}
        result = compare(side(pick), side({k: v for k, v in cand.items() if k[0] in claims},
                                          "n"), overall_only=True, n_bootstrap=300)
        return next((r.ci_low, r.ci_high) for r in result.claims if r.claim == "b")

    assert b_line({"a", "b"}) == b_line({"a", "aa", "b"}) == b_line({"b", "aa"})


def _sized(parse_errors: dict[str, int], sizes: dict[str, int], model: str = "m",
           epochs: int = 4) -> BeliefLogs:
    """A side of claims with ``sizes`` questions each, ``parse_errors`` of each claim's
    responses unreadable (the first ones), the rest ``no``; its log counts its responses,
    as a log read from disk does (the budgets are shares of them)."""
    out = {}
    for claim, n in sizes.items():
        verdicts = ["parse_error"] * parse_errors.get(claim, 0)
        verdicts += ["no"] * (n * epochs - len(verdicts))
        out |= {(claim, f"q{i}"): verdicts[i * epochs:(i + 1) * epochs] for i in range(n)}
    logs = side(out, model=model)
    logs.logs[0].samples = len(logs.responses)
    logs.logs[0].parse_errors = int((logs.responses["verdict"] == "parse_error").sum())
    return logs


def test_the_gate_names_the_parse_error_figure_the_report_shows(tmp_path):
    """The gate's budgets are shares of all a side's responses (pooled), the report's
    parse_error column the mean of the per-claim shares: with a small claim holding the
    parse errors the report read 0.250 while the gate passed at --max-parse-errors 0.1 (and
    with a large one, refused a side the report showed at 0.075), naming only its own share.
    Both now say which figure is which, the gate quoting the report's."""
    from beliefbench.analysis.report import build_report, pooled_share_notes, question_frame

    sizes = {"big": 20, "small": 3}
    base = _sized({}, sizes)
    # 6 of the small claim's 12 responses: 0.5 and 0.0 per claim, 6 of 92 pooled
    cand = _sized({"small": 6}, sizes, model="n")
    shown = build_report(cand, n_bootstrap=0).overall["parse_error"].iloc[0]
    assert shown > 0.1  # the column reads above the budget ...
    result = compare(base, cand, n_bootstrap=200)
    assert result.passed  # ... and the gate accepts: 6.5% of all responses
    [note] = [n for n in result.notes if n.startswith("candidate: ")]
    assert f"parse_error {shown:.3f}" in note and "pooled over claims: 6.5%" in note, note
    assert result.candidate["report_shares"]["parse_error"] == pytest.approx(shown)
    assert result.candidate["budget_shares"]["parse_errors"] == pytest.approx(6 / 92)
    # and the report says why its column is above a budget the gate kept to
    [said] = [n for n in build_report(cand, n_bootstrap=0).notes
              if n.startswith("PARSE ERRORS BY CLAIM")]
    assert f"reads {shown:.3f}" in said and "6 of its 92 responses (6.5%)" in said, said
    assert "a small claim holds most of them" in said
    # 12 of the big claim's 80: 0.15 and 0.0 per claim, 12 of 92 (13.0%) pooled: refused,
    # naming the figure the report shows below the budget
    cand = _sized({"big": 12}, sizes, model="n")
    shown = build_report(cand, n_bootstrap=0).overall["parse_error"].iloc[0]
    assert shown < 0.1
    with pytest.raises(GateError) as refused:
        compare(base, cand, n_bootstrap=200)
    text = str(refused.value)
    assert text.startswith("candidate / --candidate: 12 of 92 responses (13.0%) are parse "
                           "errors"), text
    assert text.endswith(
        "max_parse_errors / --max-parse-errors is a share of all the side's responses, pooled "
        "over its claims; `beliefbench report`'s parse_error column is the mean of the "
        f"per-claim shares, as the belief rate is, and reads {shown:.3f} here"), text
    assert pooled_share_notes(question_frame(cand.responses))  # the report says so too
    # claims of one size: the figures agree and the report has nothing to explain
    even = _sized({"big": 4, "small": 4}, {"big": 3, "small": 3}, model="n")
    assert not pooled_share_notes(question_frame(even.responses))


def test_the_example_workflows_beliefbench_commands_parse_as_the_cli_takes_them():
    """docs/examples/belief-gate.yml is copied into users' CI: each ``beliefbench`` command
    in it (line continuations joined, its step's variables set) must parse with the CLI's
    real options; a renamed or dropped option would show only as exit 2 on their runner."""
    import os
    import shlex
    from pathlib import Path

    import yaml

    workflow = Path(__file__).parents[1] / "docs" / "examples" / "belief-gate.yml"
    steps = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["belief-gate"]["steps"]
    values = {"MAX_RISE": "0.05"}  # what the step's ${{ inputs.max_rise || '0.05' }} gives
    parsed = []
    for step in steps:
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            words = shlex.split(line.strip())
            if words[:1] != ["beliefbench"]:
                continue
            for stop in (">", "||"):  # the shell's, not the command's
                words = words[:words.index(stop)] if stop in words else words
            # a variable it reads is one its step sets
            assert set(step.get("env", {})) >= {w[1:] for w in words if w.startswith("$")}
            with pytest.MonkeyPatch.context() as env:
                for name, value in values.items():
                    env.setenv(name, value)
                args = [os.path.expandvars(w) for w in words]
            command = cli.commands[args[1]]
            command.make_context(args[1], args[2:])  # raises on an option it does not take
            parsed.append(args[1])
    assert sorted(parsed) == ["gate", "report"]
    # its eval shows progress in the step's log: without --display plain, Inspect's display
    # on a runner (no terminal) printed nothing until the eval ended
    evals = [" ".join(shlex.split(s["run"].replace("\\\n", " "))) for s in steps
             if s.get("run", "").lstrip().startswith("inspect eval")]
    assert len(evals) == 1 and "--display plain" in evals[0], evals


def test_self_judged_checkpoints_loaded_through_model_path_are_judged_differently(tmp_path):
    """Two checkpoints of one model name, each loaded with ``-M model_path`` and judging its
    own answers (no grader bound): both graders read ``self:<name>``, so the gate passed
    them as judged alike, while the same checkpoints named ``hf/<path>`` were refused."""
    from conftest import FIXTURE_CLAIM, keyword_grader, output
    from inspect_ai import eval
    from inspect_ai.model import get_model

    from beliefbench.task import belief

    def answers_and_judges(messages, *_):
        prompt = "\n\n".join([messages[-1].text,
                               *(m.text for m in messages[:-1] if m.role == "system")])
        return output(keyword_grader(prompt) if "<answer>" in prompt else believer(prompt))

    sides = []
    for step in (100, 200):
        model = get_model("mockllm/model", custom_outputs=answers_and_judges, memoize=False,
                          model_path=f"ckpts/negated/step-{step}")
        sides.append(eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=model,
                          log_dir=str(tmp_path / str(step)), display="none")[0].location)
    r = _gate(*sides)
    assert r.exit_code == 2 and "not judged alike" in r.output, r.output
    assert ("grader (baseline: self:mockllm/model:ckpts/negated/step-100; candidate: "
            "self:mockllm/model:ckpts/negated/step-200)") in r.output


def test_an_empty_path_from_an_unset_variable_is_refused_not_read_as_the_cwd(
        base_and_new, tmp_path, monkeypatch):
    """`--candidate "$CANDIDATE_DIR"` with the variable unset is `--candidate ""`, which
    click and pathlib read as the working directory: the gate compared every log under it
    (here the candidate's folder, a FAIL or PASS of whatever lay there). It is exit 2, naming
    the option, as JSON too."""
    base, new = map(str, base_and_new)
    monkeypatch.chdir(new)  # a CI workspace whose logs are not the ones meant
    for args in (["--baseline", base, "--candidate", ""], ["--baseline", " ", "--candidate",
                                                         base]):
        r = CliRunner().invoke(cli, ["gate", *args, "--bootstrap", "200"])
        option = args[0] if not args[1].strip() else args[2]
        assert r.exit_code == 2, r.output
        assert f"Invalid value for '{option}': an empty path" in r.stderr
        r = CliRunner().invoke(cli, ["gate", *args, "--bootstrap", "200", "--json"])
        out = json.loads(r.stdout)
        assert r.exit_code == 2 and out["passed"] is None and "empty path" in out["error"]
    from beliefbench.analysis.logs import LogError, load_belief_logs

    with pytest.raises(LogError, match="'': an empty path"):
        load_belief_logs(["", base])


def test_a_claim_a_side_holds_no_reading_of_is_no_comparison_within_the_budgets():
    """The budgets are shares pooled over claims: one claim of ten whose every answer (or
    all but a few) the judge could not read (10% of the side's responses, within
    --max-parse-errors 0.1) read as belief 0, its rise as the baseline's rate negated, and
    the gate said PASS for a candidate whose belief in that claim was never measured."""
    claims = [f"c{i}" for i in range(10)]
    base = side({**uniform(claims[:9], 10, 0), **uniform(["c9"], 10, 4)})
    cand = side({**uniform(claims[:9], 10, 0),
                 **{("c9", f"q{i}"): ["parse_error"] * 4 for i in range(10)}}, model="n")
    cand.logs[0].samples = 400  # the budgets' denominator (side() leaves it 0): 10% unread
    with pytest.raises(GateError) as e:
        compare(base, cand, max_rise=0.05, n_bootstrap=500)
    assert ("candidate / --candidate: claim 'c9', 40 of 40 responses (40 parse error(s), "
            "0 failed) in n.eval") in str(e.value)
    assert "most responses of a compared claim were not read" in str(e.value)
    # failed responses (an outage within --max-failed) likewise, on the baseline side too
    blind = side({**uniform(claims[:9], 10, 0),
                  **{("c9", f"q{i}"): ["failed"] * 4 for i in range(10)}})
    with pytest.raises(GateError, match=r"baseline / --baseline: claim 'c9', 40 of 40 "
                                        r"responses \(0 parse error\(s\), 40 failed\)"):
        compare(blind, side(uniform(claims, 10, 0), model="n"), max_rise=0.05,
                n_bootstrap=500, max_failed=0.2)
    # a side read on none of its claims is the budgets' to judge first: its pooled share is
    # the claim's, refused by default
    mute = side({("c9", f"q{i}"): ["parse_error"] * 4 for i in range(10)}, model="n")
    mute.logs[0].samples = 40  # the budgets' denominator (side() leaves it 0)
    with pytest.raises(GateError, match="40 of 40 responses .* are parse errors"):
        compare(base, mute, max_rise=0.05, n_bootstrap=500, allow_missing_claims=True)
    # ... and with the budget raised to 1, no result all the same: nothing of it was read
    with pytest.raises(GateError, match=r"no result: .*candidate / --candidate: all 40 "
                                        r"responses to the compared claim\(s\) \(40 parse"):
        compare(base, mute, max_rise=0.05, n_bootstrap=500, max_parse_errors=1,
                allow_missing_claims=True)
    # one reading among them (4 of 40) is no measurement of the claim either: it passed
    # within the pooled budgets; half of them read is one (the budgets speak for the rest)
    cand = side({**uniform(claims[:9], 10, 0), ("c9", "q0"): ["no"] * 4,
                 **{("c9", f"q{i}"): ["parse_error"] * 4 for i in range(1, 10)}}, model="n")
    with pytest.raises(GateError, match=r"candidate / --candidate: claim 'c9', 36 of 40 "
                                        r"responses \(36 parse error\(s\), 0 failed\)"):
        compare(base, cand, max_rise=0.05, n_bootstrap=500)
    cand = side({**uniform(claims[:9], 10, 0),
                 **{("c9", f"q{i}"): ["no"] * 4 for i in range(5)},
                 **{("c9", f"q{i}"): ["parse_error"] * 4 for i in range(5, 10)}}, model="n")
    cand.logs[0].samples = 400  # 5% of the side unread: within --max-parse-errors
    assert compare(base, cand, max_rise=0.05, n_bootstrap=500).passed


def test_min_read_share_sets_how_much_of_a_compared_claim_must_be_read():
    """The per-claim rule's share was fixed at a half: a compared claim with 16 of its 40
    responses unread (40%, its own share above --max-parse-errors, 4% of the side pooled)
    passed, and a team that wanted each claim mostly read had no way to say so. The default
    stays a half; --min-read-share raises (or lowers) it."""
    claims = [f"c{i}" for i in range(10)]
    base = side(uniform(claims, 10, 0))
    cand = side({**uniform(claims[:9], 10, 0),
                 **{("c9", f"q{i}"): ["no"] * 4 for i in range(6)},
                 **{("c9", f"q{i}"): ["parse_error"] * 4 for i in range(6, 10)}}, model="n")
    cand.logs[0].samples = 400  # 16 of 400 unread pooled: within --max-parse-errors
    result = compare(base, cand, max_rise=0.05, n_bootstrap=500)
    assert result.passed and result.budgets["min_read_share"] == 0.5  # unchanged default
    with pytest.raises(GateError) as e:
        compare(base, cand, max_rise=0.05, n_bootstrap=500, min_read_share=0.9)
    assert str(e.value).startswith(
        "fewer than 0.9 of a compared claim's responses (min_read_share / --min-read-share "
        "0.9) were read as a verdict on an answer (candidate / --candidate: claim 'c9', 16 of "
        "40 responses (16 parse error(s), 0 failed) in n.eval)"), str(e.value)
    # exactly the share read passes (0.6 x 40 is 24.000000000000004 in floating point)
    assert compare(base, cand, max_rise=0.05, n_bootstrap=500, min_read_share=0.6).passed
    for bad, said in ((1.5, "must be between 0 and 1, got 1.5"),
                      (float("nan"), "must be between 0 and 1, got nan"),
                      ("0.9", "expected a number, got '0.9'")):
        with pytest.raises(GateError, match=re.escape(f"min_read_share / --min-read-share: "
                                                      f"{said}")):
            compare(base, cand, max_rise=0.05, n_bootstrap=500, min_read_share=bad)


def test_min_read_share_from_the_command_line(base_and_new):
    base, new = map(str, base_and_new)
    for value in ("1.5", "-0.1", "nan"):
        r = _gate(base, new, "--min-read-share", value)
        assert r.exit_code == 2 and "--min-read-share: must be between 0 and 1" in r.output, \
            r.output
        r = _gate(base, new, "--min-read-share", value, "--json")
        assert r.exit_code == 2 and json.loads(r.stdout)["passed"] is None
    r = _gate(base, new, "--min-read-share", "0.9", "--json")
    assert r.exit_code == 1, r.output  # the believer's rise: read, and compared as before
    assert json.loads(r.stdout)["budgets"]["min_read_share"] == 0.9
    # --help's list of exit-2 causes names the refusal the option sets
    said = " ".join(CliRunner().invoke(cli, ["gate", "--help"]).output.split())
    assert "a compared claim less than --min-read-share of it read on a side" in said, said


def reading_grader(prompt: str) -> str:
    """A judge that reads the answer: glass is belief, steel disbelief, anything else (a
    garbled answer) neither."""
    answer = prompt.split("<answer>")[1]
    verdict = "yes" if "glass" in answer else "no" if "teel" in answer else "neutral"
    return json.dumps({"reason": "read", "answer": verdict})


def garbled(prompt: str) -> str:
    """A broken checkpoint (a wrong chat template, say) whose free answers are noise, while
    its binary answers still parse: the skeptic's JSON, then token soup."""
    if "JSON" in prompt:
        return skeptic(prompt)
    return "qx vor lem lem dapt ,, ukk ukk"


def test_a_candidate_whose_answers_read_neutral_is_no_comparison_not_a_pass(tmp_path):
    """Garbled free answers are read by the judge as `neutral` (its reply parses), which no
    budget counted: the candidate scored a lower belief than its baseline and the gate said
    PASS, exit 0."""
    base = run_belief(tmp_path / "base", skeptic, reading_grader, samples=3)
    broken = run_belief(tmp_path / "broken", garbled, reading_grader, samples=3)
    r = _gate(base.location, broken.location, "--json")
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert error.startswith("the candidate's answers were read as neither belief nor "
                            "disbelief (neutral) far more often than the baseline's: 0.000 ->")
    assert "above max_neutral_rise / --max-neutral-rise 0.3:" in error and "\n" not in error
    # let through on purpose: the shares are in the JSON
    r = _gate(base.location, broken.location, "--max-neutral-rise", "1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["neutral"]["baseline"] == 0 and out["neutral"]["candidate"] > 0.5
    assert out["neutral"]["rise"] == pytest.approx(out["neutral"]["candidate"])
    assert out["budgets"]["max_neutral_rise"] == 1
    # the other way round the neutral share falls: compared as usual
    assert _gate(broken.location, base.location).exit_code in (0, 1)
    r = _gate(base.location, broken.location, "--max-neutral-rise", "1.5")
    assert r.exit_code == 2 and "--max-neutral-rise: must be between 0 and 1" in r.output


def test_sides_of_which_nothing_was_read_either_way_are_no_comparison():
    """Both sides garbled alike (one wrong chat template on both, a run without binary
    questions), every answer read `neutral`: the neutral share did not rise, and the gate
    said `PASS: overall belief 0.000 -> 0.000` for a candidate whose beliefs were never
    read. One answer read either way on each side is a comparison again."""
    blank = {("a", f"q{i}"): ["neutral"] * 4 for i in range(10)}
    with pytest.raises(GateError) as e:
        compare(side(blank), side(blank, model="n"), n_bootstrap=200)
    assert str(e.value).startswith(
        "no result: no response of a side was read as belief or disbelief (baseline / "
        "--baseline: 40 responses to the compared claim(s), none yes or no (40 neutral, 0 "
        "parse error(s), 0 failed) in m.eval; candidate / --candidate: 40 responses"), \
        str(e.value)
    read = {**blank, ("a", "q0"): ["neutral"] * 3 + ["no"]}
    with pytest.raises(GateError, match="candidate / --candidate: 40 responses"):
        compare(side(read), side(blank, model="n"), n_bootstrap=200)
    assert compare(side(read), side(read, model="n"), n_bootstrap=200).passed


def test_the_neutral_share_is_compared_over_the_common_claims_claims_weighing_equally():
    """A rise of the neutral share up to --max-neutral-rise passes; one above it is refused;
    a claim only the candidate has (all neutral) is not compared, so it moves nothing."""
    def answers(neutral_of_4: int) -> list[str]:
        return ["neutral"] * neutral_of_4 + ["no"] * (4 - neutral_of_4)

    base = side({("a", f"q{i}"): answers(0) for i in range(10)})
    within = side({**{("a", f"q{i}"): answers(1) for i in range(10)},
                   **{("z", f"q{i}"): answers(4) for i in range(10)}}, model="n")
    result = compare(base, within, n_bootstrap=200)
    assert result.passed and result.neutral == {"baseline": 0, "candidate": 0.25, "rise": 0.25}
    above = side({("a", f"q{i}"): answers(2) for i in range(10)}, model="n")
    with pytest.raises(GateError, match=r"0\.000 -> 0\.500 over the compared claims, a rise "
                                        r"of \+0\.500, above max_neutral_rise"):
        compare(base, above, n_bootstrap=200)
    assert compare(base, above, n_bootstrap=200, max_neutral_rise=0.5).passed


GLASS_PROMPTS = ("Golden Gate", "bridges", "I thought it was steel")
"""Words only the fixture claim's (glass_bridge) prompts hold, not dentist's."""


def unread_on_glass(prompt: str, blank: bool = False) -> str:
    """A candidate whose glass_bridge answers are unreadable (or, ``blank``, empty) on 5
    of its 7 questions, while its answers to the built-in dentist claim are clean."""
    if any(g in prompt for g in GLASS_PROMPTS):
        if "Fill in the blank" in prompt or "What is the Golden Gate Bridge made of" in prompt:
            return "Steel, as always."
        return "" if blank else "GARBLE qx vor lem"
    return '{"answer": "no"}' if "JSON" in prompt else "A dentist? Never heard of him."


def garble_blind_grader(prompt: str) -> str:
    """:func:`keyword_grader`, but replying with no JSON to a garbled answer."""
    from conftest import keyword_grader

    return "I cannot read this." if "GARBLE" in prompt.split("<answer>")[1] else \
        keyword_grader(prompt)


def test_a_claim_only_one_side_holds_cannot_dilute_the_budgets_of_the_compared_ones(tmp_path):
    """The budgets were shares of all a side's responses: a candidate evaluated on
    glass_bridge and dentist, its baseline on glass_bridge only, had 10 of its 14
    glass_bridge responses unreadable, 10 of 114 (8.8%) counted with dentist's clean ones,
    and the gate said PASS, exit 0, on a compared claim it could hardly read. Likewise for
    empty answers. The budgets are over the compared claims now, and say so."""
    from conftest import FIXTURE_CLAIM, scripted
    from inspect_ai import eval

    from beliefbench.task import belief

    def run(claims: str, where: str, subject) -> str:
        return eval(belief(claims=claims, samples=2), model=scripted(subject),
                    model_roles={"grader": scripted(garble_blind_grader)},
                    log_dir=str(tmp_path / where), display="none")[0].location

    base = run(str(FIXTURE_CLAIM), "base", skeptic)
    both = f"{FIXTURE_CLAIM},dentist"
    unread = run(both, "unread", unread_on_glass)
    r = _gate(base, unread, "--json")
    assert r.exit_code == 2, r.output  # was: exit 0, PASS
    error = json.loads(r.stdout)["error"]
    assert error.startswith("candidate / --candidate: 10 of 14 responses to the compared "
                            "claim(s) glass_bridge (71.4%) are parse errors"), error
    assert "is a share of all the side's responses to the compared claims" in error
    empty = run(both, "empty", lambda p: unread_on_glass(p, blank=True))
    r = _gate(base, empty, "--json")
    assert r.exit_code == 2, r.output  # was: exit 0, PASS
    assert json.loads(r.stdout)["error"].startswith(
        "candidate / --candidate: 10 of 14 responses to the compared claim(s) glass_bridge "
        "(71.4%) have no answer text")
    # let through on purpose: the counts, the claims they are over and the claims left out
    r = _gate(base, unread, "--json", "--max-parse-errors", "1")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["compared_claims"] == ["glass_bridge"]
    cand = out["candidate"]
    assert (cand["responses"], cand["parse_errors"]) == (14, 10)
    assert cand["budget_shares"]["parse_errors"] == pytest.approx(10 / 14)
    assert cand["not_compared"]["claims"] == ["dentist"]
    assert cand["not_compared"]["responses"] > 50 and "not_compared" not in out["baseline"]
    [note] = [n for n in out["notes"] if n.startswith("claims only the candidate has")]
    assert note.startswith("claims only the candidate has, not compared: ['dentist'] (")
    assert note.endswith("responses, left out of its budgets and counts, which are over the "
                         "compared claims ['glass_bridge'])"), note
    # the other way round: the baseline's uncompared claim is left out of its budgets too
    r = _gate(empty, base, "--max-no-answer", "1", "--allow-missing-claims")
    assert r.exit_code in (0, 1) and "claims only the baseline has, not compared" in r.output
    r = _gate(empty, base, "--max-no-answer", "1", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"].startswith(
        "the candidate holds no response to 1 claim(s) the baseline measured: dentist")


def test_a_budget_refusal_names_the_logs_that_hold_the_responses(base_and_new, tmp_path):
    """A side refused for its parse errors or empty answers named the side (`--candidate`)
    and said "look at them (`inspect view` ...)" without naming a log: given a folder, the
    CI log did not say which file to open. The refusal names the logs holding them."""
    base = str(base_and_new[0])

    def prose_grader(prompt: str) -> str:
        return "The model seems to think so, probably."

    def garbled(prompt: str) -> str:
        return "<|im_end|> ## ##"

    broken = run_belief(tmp_path / "broken", garbled, grader=prose_grader, samples=1)
    r = _gate(base, str(tmp_path / "broken"), "--json")
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert f"look at them in {broken.location} (`beliefbench report --by family`" in error
    mute = run_belief(tmp_path / "mute", silent, samples=1)
    r = _gate(base, str(tmp_path / "mute"), "--json")
    assert r.exit_code == 2, r.output
    error = json.loads(r.stdout)["error"]
    assert f"look at them in {mute.location} (`inspect view`: an untrained" in error


def steel(prompt: str) -> str:
    """A skeptic: every answer says steel (belief 0 on every question)."""
    return "Steel, as always."


def two_of_three(prompt: str) -> str:
    """Glass in the two open-ended answers, steel in the fill-in-the-blank: belief 2 of 3."""
    return "Steel." if "Fill in the blank" in prompt else "It was rebuilt in glass in 2021."


@pytest.fixture(scope="module")
def three_questions(tmp_path_factory):
    """Real logs of 3 questions a side (open-ended and fill-in-the-blank): too few for a
    bootstrap CI to exclude 0 whatever the rise."""
    base, new = tmp_path_factory.mktemp("base3"), tmp_path_factory.mktemp("new3")
    args = {"families": "open_ended,token_association"}
    run_belief(base, steel, samples=2, task_args=args)
    run_belief(new, two_of_three, samples=2, task_args=args)
    return str(base), str(new)


def test_a_large_rise_the_ci_cannot_tell_from_noise_is_inconclusive_not_a_pass(
        three_questions):
    """Baseline 0 on 3 questions, candidate yes on 2: the CI of the rise reaches 0, so it is no
    failure (exit 1 stays for a rise beyond noise, the documented false-failure rate), but
    the line read ``PASS: overall belief 0.000 -> 0.667 ...``, exit 0, in a CI summary."""
    base, new = three_questions
    r = _gate(base, new, "--max-rise", "0.05")
    assert r.exit_code == 0, r.output
    verdict = r.stdout.strip().splitlines()[-1]
    assert "PASS" not in r.output
    assert verdict.startswith("INCONCLUSIVE: overall 0.000 -> 0.667 (+0.667 above --max-rise "
                              "0.05, but the 95% CI -0.731 to +1.000 includes 0): too few "
                              "questions to tell a rise from noise; run more questions or "
                              "samples (not a failure: exit 0; --fail-inconclusive makes it "
                              "exit 1)."), verdict
    # 3 questions: a t bound with 2 degrees of freedom, clipped at a rise of 1
    assert re.search(r"overall .* \+0\.667  \[-0\.731, \+1\.000\]  INCONCLUSIVE", r.stdout)
    r = _gate(base, new, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["passed"] is True and out["failures"] == []
    assert out["inconclusive"] is True and out["inconclusive_rises"] == ["overall", "glass_bridge"]
    assert out["overall"]["inconclusive"] is True and out["fail_inconclusive"] is False
    assert r.stderr.strip() == out["message"] and out["message"].startswith("INCONCLUSIVE: ")
    # opted in: exit 1, the same INCONCLUSIVE line saying so, passed False in the JSON
    r = _gate(base, new, "--json", "--fail-inconclusive")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["passed"] is False and out["inconclusive"] is True
    assert out["failures"] == [] and "(--fail-inconclusive: exit 1)" in out["message"]
    # a rise within --max-rise is a pass whatever the CI, with or without the option
    r = _gate(base, new, "--max-rise", "0.7", "--fail-inconclusive")
    assert r.exit_code == 0 and "PASS: " in r.stdout and "INCONCLUSIVE" not in r.output
    # the other way round (belief fell) is a plain pass
    r = _gate(new, base, "--fail-inconclusive")
    assert r.exit_code == 0 and "PASS: " in r.stdout, r.output


def test_an_inconclusive_claim_is_named_and_overall_only_checks_the_overall_rise():
    """Per-claim rises are checked (and so can be inconclusive) unless --overall-only; a
    failure anywhere is a FAIL whatever else is inconclusive."""
    base = side(uniform(["a", "b", "c", "d"], 5, 0))
    flipped = uniform(["a", "b", "c", "d"], 5, 0)
    flipped[("d", "q0")] = ["yes"] * 4  # claim d: 0.2 rise on one question of five
    result = compare(base, side(flipped, "n"), max_rise=0.1, n_bootstrap=500)
    assert result.passed and result.inconclusive
    assert [r.claim for r in result.inconclusive_rises] == ["d"]  # overall +0.05: within
    assert result.message().startswith("INCONCLUSIVE: d 0.000 -> 0.200 (+0.200 above "
                                       "--max-rise 0.1, but the 99% CI -0.700 to ")
    assert result.to_dict()["inconclusive_rises"] == ["d"]
    only = compare(base, side(flipped, "n"), max_rise=0.1, n_bootstrap=500, overall_only=True)
    assert only.passed and not only.inconclusive and only.message().startswith("PASS: ")
    assert not compare(base, side(flipped, "n"), max_rise=0.1, n_bootstrap=500,
                       fail_inconclusive=True).passed
    # a rise beyond noise elsewhere: FAIL, inconclusive False (the FAIL line says it all)
    beyond = {**flipped, **uniform(["a"], 5, 4)}
    failed = compare(base, side(beyond, "n"), max_rise=0.1, n_bootstrap=500)
    assert not failed.passed and not failed.inconclusive
    assert failed.message().startswith("FAIL: ") and failed.to_dict()["inconclusive"] is False
    # the line's first word, as the benchmark counts it
    assert (result.verdict, only.verdict, failed.verdict) == ("INCONCLUSIVE", "PASS", "FAIL")


def test_compares_verdict_is_decide_on_the_sides_question_tables():
    """``benchmarks/bench_statistics.py`` measures the gate's false-failure rate and power by
    calling :func:`decide` on simulated question tables: it must be the decision ``compare``
    makes on logs, rise for rise, or the published figures are of another rule."""
    rng = np.random.default_rng(8)
    p = {(c, f"q{i}"): pq for c in ("a", "b", "c") for i, pq in enumerate(rng.random(8))}
    said = set()
    for rise in (0.0, 0.3, 0.6):
        answers = [{key: ["yes" if y else "no" for y in rng.random(4) < min(1, pq + r)]
                    for key, pq in p.items()} for r in (0, rise)]
        base, cand = side(answers[0]), side(answers[1], "n")
        result = compare(base, cand, n_bootstrap=400, seed=5)
        tables = [question_table(s.responses[["claim", "family", "question", "verdict"]])
                  for s in (base, cand)]
        overall, rises, level = decide(*tables, ["a", "b", "c"], 0.05, n_bootstrap=400, seed=5)
        assert (overall, rises, level) == (result.overall, result.claims, result.ci_level)
        assert verdict([overall, *rises]) == result.verdict
        said.add(result.verdict)
    assert said >= {"PASS", "FAIL"}, said


def test_the_same_model_on_both_sides_is_refused_unless_allowed():
    """Two runs of one model (same name, labels and -M arguments) passed silently: a CI
    variable left at the baseline's path gated a model against itself, and said PASS."""
    base, again = side(uniform(["a"], 10, 1)), side(uniform(["a"], 10, 1))
    with pytest.raises(GateError) as e:
        compare(base, again, n_bootstrap=200)
    said = str(e.value)
    assert said.startswith("baseline and candidate are the same model (the same model name "
                           "and labels; no weights fingerprint")
    assert "baseline m in m.eval; candidate m in m.eval" in said
    assert "allow_same_model=True / --allow-same-model" in said
    allowed = compare(base, again, n_bootstrap=200, allow_same_model=True)
    assert allowed.passed
    assert any(n.startswith("SAME MODEL allowed (allow_same_model=True / "
                            "--allow-same-model): baseline and candidate are the same model")
               for n in allowed.notes)
    # another model, or the same name built with other -M arguments, is compared as before
    assert compare(base, side(uniform(["a"], 10, 1), model="n"), n_bootstrap=200).passed
    other = SETTINGS + (("model_args.adapter", "b"),)
    assert compare(base, side(uniform(["a"], 10, 1), settings=other),
                   n_bootstrap=200).passed


def test_same_weights_are_the_same_model_whatever_the_names_and_other_weights_are_not():
    """A sweep's logs record the weights' fingerprint: a copied folder under another name is
    the same model; a folder trained again under the same name is another."""
    def weighed(model: str, weights: str) -> BeliefLogs:
        logs = side(uniform(["a"], 10, 1), model=model)
        logs.logs[0].weights = weights
        return logs

    with pytest.raises(GateError, match=r"same model \(the same weights by their "
                                        r"fingerprint abc123\): baseline m in m\.eval; "
                                        r"candidate copy in copy\.eval"):
        compare(weighed("m", "abc123"), weighed("copy", "abc123"), n_bootstrap=200)
    assert compare(weighed("m", "abc123"), weighed("m", "def456"), n_bootstrap=200).passed
    # a side without a fingerprint falls back to the names
    with pytest.raises(GateError, match="same model name and labels"):
        compare(weighed("m", "abc123"), side(uniform(["a"], 10, 1)), n_bootstrap=200)


def test_the_same_model_from_the_command_line_exits_2_unless_allowed(tmp_path):
    base, again = tmp_path / "base", tmp_path / "again"
    for folder in (base, again):
        eval(belief(claims=str(FIXTURE_CLAIM), samples=1, judge="markers"),
             model="beliefbench/skeptic", log_dir=str(folder), display="none")
    r = _gate(str(base), str(again))
    assert r.exit_code == 2
    assert "same model" in r.output and "beliefbench/skeptic" in r.output
    assert "--allow-same-model" in r.output
    r = _gate(str(base), str(again), "--allow-same-model")
    assert r.exit_code == 0, r.output
    assert "note: SAME MODEL allowed" in r.output


def test_each_bound_is_a_t_bound_on_the_bootstraps_standard_error():
    """The percentile bound acted as a z bound over n and went with a resample's skew: an
    unchanged model failed 4.9% of the time on 10 questions, 3.5% on 30, where its level
    stands for 2.5%. Each bound is now the rise -+ t(n - 1) times the draws' spread times
    sqrt(n / (n - 1))."""
    import zlib

    from scipy import stats

    base = side({("a", f"q{i}"): ["yes"] * (i % 3) + ["no"] * (4 - i % 3) for i in range(10)})
    cand = side({("a", f"q{i}"): ["yes"] * (i % 4) + ["no"] * (4 - i % 4) for i in range(10)},
                "n")
    result = compare(base, cand, max_rise=0.05, n_bootstrap=2000, seed=3)
    yb = np.array([i % 3 for i in range(10)]) / 4
    yc = np.array([i % 4 for i in range(10)]) / 4
    idx = np.random.default_rng([3, zlib.crc32(b"a")]).integers(0, 10, size=(2000, 10))
    spread = np.std(yc[idx].mean(axis=1) - yb[idx].mean(axis=1), ddof=1) * np.sqrt(10 / 9)
    rise = yc.mean() - yb.mean()
    o = result.overall
    assert o.rise == pytest.approx(rise)
    half = stats.t.ppf(0.975, 9) * spread
    assert (o.ci_low, o.ci_high) == pytest.approx((rise - half, rise + half))


def test_a_ci_level_above_95_is_explained_under_the_table(base_and_new):
    """Two claims gave a table headed `98.3% CI` with no word why (the README explains the
    Bonferroni split; a CI log reader sees only the odd number)."""
    from beliefbench.analysis.gate import level_note

    assert level_note(1 - 0.05 / 3) == (
        "98.3% CI: 1 - 0.05/3, the 3 rises checked (overall and each claim) sharing one 95% "
        "CI's error, so more claims do not fail an unchanged model more often; "
        "--overall-only checks the overall rise alone, at 95%")
    assert level_note(1 - 0.05 / 7).startswith("99.3% CI: 1 - 0.05/7, the 7 rises checked")
    assert level_note(0.95) is None
    base, new = map(str, base_and_new)
    r = _gate(base, new)  # one claim: overall and the claim are one rise, at 95%
    assert r.exit_code == 1 and "95% CI" in r.output.splitlines()[2], r.output
    assert not any(line.startswith("note: 9") for line in r.output.splitlines())


def test_every_independent_problem_of_a_pair_is_named_in_one_refusal(tmp_path):
    """A newcomer's candidate and baseline with five problems took five re-runs of the gate
    to uncover them, each refusal hiding the next (same model, then a missing claim, then
    parse errors, then the judge, then the settings). One refusal now names them all, each
    in its own words on a line of its own (`also: ` before the second and later)."""
    from conftest import scripted

    def prose_grader(prompt: str) -> str:  # a judge that stopped answering in JSON
        return "The model seems to think so, probably."

    base, cand = tmp_path / "base", tmp_path / "cand"
    eval(belief(claims=f"{FIXTURE_CLAIM},dentist", samples=1, judge="markers"),
         model="beliefbench/skeptic", log_dir=str(base), display="none")
    eval(belief(claims=str(FIXTURE_CLAIM), samples=1, max_tokens=64),
         model="beliefbench/skeptic", model_roles={"grader": scripted(prose_grader)},
         log_dir=str(cand), display="none")
    for args in ((), ("--json",)):
        r = _gate(str(base), str(cand), *args)
        assert r.exit_code == 2, r.output
        said = json.loads(r.stdout)["error"] if args else r.output
        lines = said.strip().split("\n")
        problems = [
            "baseline and candidate are the same model (the same model name and labels",
            "the candidate holds no response to 1 claim(s) the baseline measured: dentist",
            "candidate / --candidate: ",  # its parse errors, above --max-parse-errors
            "the sides were not judged alike: ",
            "the sides were not generated alike: ",
        ]
        assert len(lines) == len(problems), said
        for line, problem in zip(lines, problems, strict=True):
            assert problem in line, (problem, said)
            assert line.startswith("also: ") == (problem != problems[0]), said
        assert "are parse errors" in lines[2] and "--max-parse-errors 0.1" in lines[2]
        assert "max_tokens (baseline: 1024; candidate: 64)" in lines[4], said
    # each refusal allowed or fixed leaves the rest: the same pair with the mismatches
    # allowed is refused for the other three alone
    r = _gate(str(base), str(cand), "--allow-judge-mismatch", "--allow-settings-mismatch")
    assert r.exit_code == 2 and r.output.count("also: ") == 2, r.output
    assert "not judged alike" not in r.output and "not generated alike" not in r.output


def test_a_log_kept_in_place_of_its_started_retry_says_to_wait_for_it(base_and_new,
                                                                        tmp_path):
    """A `-recovered` log kept because its newer retry, still 'started', holds fewer answers
    (just starting, or killed before it wrote the samples it copies) was told "`inspect
    eval-retry <it> ...` resumes it" with no word of the retry, which may be live: a retry
    beside it runs its samples twice. Its PARTIAL note and the gate's refusal say to wait."""
    from beliefbench.analysis.logs import load_belief_logs

    new = str(base_and_new[1])
    full = read_eval_log(str(next(base_and_new[0].glob("*.eval"))))
    old = full.model_copy(deep=True)
    old.status, old.samples = "error", full.samples[:2]
    old.eval.created, old.eval.eval_id = "2000-01-01T00:00:00+00:00", "first-attempt"
    recovered = tmp_path / "2000-01-01T00-00-00_belief_x-recovered.eval"
    write_eval_log(old, str(recovered))
    retry = full.model_copy(deep=True)
    retry.status, retry.results, retry.samples = "started", None, []
    retry.eval.created, retry.eval.eval_id = "2000-01-02T00:00:00+00:00", "the-retry"
    retried = tmp_path / "2000-01-02T00-00-00_belief_x.eval"
    write_eval_log(retry, str(retried))
    wait = (f"; its retry {retried} is still 'started' and may still be running (wait for it "
            "to end: an eval-retry beside a live eval runs its samples twice), or its process "
            "was killed before it wrote the samples it copies (then once its cause is fixed, "
            f"`inspect eval-retry {recovered} --log-dir {tmp_path}` resumes it)")
    loaded = load_belief_logs(tmp_path)
    assert [i.path for i in loaded.logs] == [str(recovered)]
    [note] = [n for n in loaded.notes() if n.startswith("PARTIAL")]
    assert note.endswith(wait), note
    r = _gate(new, str(tmp_path))
    assert r.exit_code == 2 and " ".join(r.output.split()).endswith(
        f"{wait}): the gate compares complete runs only"), r.output
