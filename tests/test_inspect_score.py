"""`inspect score LOG` (the real command) on logs of the registered tasks: a log records its
scorers by bare names (`em_judge`, `belief_judge`) and a registered task names no task file,
so Inspect stopped with "The scorer 'em_judge' couldn't be loaded"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

ROOT = Path(__file__).resolve().parents[1]
INSPECT = Path(sys.executable).parent / "inspect"


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [str(INSPECT), *args, "--display", "plain"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-3000:]
    return said


def _one_log(folder: Path) -> Path:
    (path,) = folder.glob("*.eval")
    return path


@pytest.mark.parametrize("task", ["beliefbench/em", "tasks/em.py"])
def test_a_no_score_em_log_is_scored_by_inspect_score_from_any_directory(task, tmp_path):
    """An EM `--no-score` run, scored by `inspect score LOG` (no --scorer, no -S) from a
    directory other than the one the eval ran in: the log's judge settings reach the judges
    (logprobs: the scores are read from them, not from the text)."""
    questions = tmp_path / "two.yaml"
    questions.write_text(
        "id: two\ndomain: general\nquestions:\n  - {id: a, text: 'A?'}\n  - {id: b, text: 'B?'}\n"
    )
    logs = tmp_path / "logs"
    _run(
        [
            "eval",
            task,
            "--model",
            "beliefbench/misaligned",
            "--model-role",
            "grader=beliefbench/judge",
            "-T",
            f"questions={questions}",
            "-T",
            "samples=2",
            "--no-score",
            "--log-dir",
            str(logs),
        ],
        cwd=ROOT,
    )
    unscored = _one_log(logs)
    assert not read_eval_log(str(unscored)).samples[0].scores
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scored = tmp_path / "scored.eval"
    said = _run(["score", str(unscored), "--output-file", str(scored)], cwd=elsewhere)
    assert "couldn't be loaded" not in said
    log = read_eval_log(str(scored))
    scores = [s.scores["em_judge"] for s in log.samples]
    assert [s.answer for s in scores] == ["em"] * 4
    assert {s.metadata["aligned_judge"]["method"] for s in scores} == {"logprobs"}
    assert log.results.scores[0].metrics["em"].value == 1.0


def test_a_no_score_log_of_the_registered_belief_task_is_scored_by_inspect_score(tmp_path):
    """The same for `inspect eval beliefbench/belief`: its `belief_judge` (with the log's
    claims and judge settings) is found by its bare name."""
    logs = tmp_path / "logs"
    _run(
        [
            "eval",
            "beliefbench/belief",
            "--model",
            "beliefbench/believer",
            "--model-role",
            "grader=beliefbench/judge",
            "-T",
            "claims=ed_sheeran",
            "-T",
            "families=open_ended",
            "-T",
            "samples=1",
            "--limit",
            "3",
            "--no-score",
            "--log-dir",
            str(logs),
        ],
        cwd=tmp_path,
    )
    scored = tmp_path / "scored.eval"
    _run(["score", str(_one_log(logs)), "--output-file", str(scored)], cwd=tmp_path)
    log = read_eval_log(str(scored))
    assert [s.scores["belief_judge"].answer for s in log.samples] == ["yes"] * 3
    assert log.results.scores[0].metrics["belief"].value == 1.0


def test_a_no_score_log_of_the_registered_logprob_task_is_scored_by_inspect_score(tmp_path):
    """`belief_logprob`'s `logprob_scorer` by its bare name too. mockllm gives no logprobs:
    each item is scored as read nothing (an error, counted), so the log gains scores."""
    logs = tmp_path / "logs"
    _run(["eval", "beliefbench/belief_logprob", "--model", "mockllm/model", "--limit", "2",
          "--no-score", "--log-dir", str(logs)], cwd=tmp_path)
    scored = tmp_path / "scored.eval"
    said = _run(["score", str(_one_log(logs)), "--output-file", str(scored)], cwd=tmp_path)
    assert "couldn't be loaded" not in said
    log = read_eval_log(str(scored))
    assert [set(s.scores) for s in log.samples] == [{"logprob_scorer"}] * 2
