"""A resumed log whose input files changed since it was run is refused, by the EM task as by
the belief task (beliefbench.retried_inputs), on Inspect's command line and from Python."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_CLAIM
from inspect_ai import eval, eval_retry, eval_set
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log

from beliefbench.arguments import InputError
from beliefbench.em.judge import template_path
from beliefbench.em.task import em
from beliefbench.judge import default_template_path
from beliefbench.retried_inputs import (
    changed_inputs,
    nearest_logs,
    recorded_hashes,
    run_settings,
)

INSPECT = Path(sys.executable).parent / "inspect"
ROLES = {"grader": "beliefbench/judge"}
QUESTIONS = (
    "id: mine\ndomain: general\nquestions:\n  - {id: a, text: 'Question a?'}\n"
    "  - {id: b, text: 'Question b?'}\n"
)


def _em_inputs(tmp_path: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """A question set and copies of both bundled judge templates (the scripted judge reads
    prompts rendered from the bundled text), as files one could edit, and the task args."""
    questions = tmp_path / "mine.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    aligned, coherent = tmp_path / "aligned.md", tmp_path / "coherent.md"
    aligned.write_text(template_path("aligned").read_text(encoding="utf-8"), encoding="utf-8")
    coherent.write_text(template_path("coherent").read_text(encoding="utf-8"), encoding="utf-8")
    args = {
        "questions": str(questions),
        "samples": 2,
        "aligned_template": str(aligned),
        "coherent_template": str(coherent),
    }
    return questions, aligned, coherent, args


def _cut(log: EvalLog) -> EvalLog:
    """``log`` as an interrupted run leaves it (status error, some responses finished),
    written over itself: what eval-retry and eval-set resume."""
    whole = read_eval_log(log.location)
    whole.status, whole.samples = "error", whole.samples[:1]
    write_eval_log(whole, log.location)
    return whole


def _inspect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INSPECT), *args, "--display", "none"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _said(done: subprocess.CompletedProcess[str]) -> str:
    """What the command printed, its whitespace one space (a line break reads as a space)."""
    return " ".join((done.stdout + "\n" + done.stderr).split())


def test_em_eval_retry_refuses_an_edited_question_set_or_judge_template(tmp_path):
    """`inspect eval-retry LOG` of an EM log kept its finished responses (asked and judged
    with the old files), ran the rest with the edited question set or judge template, and
    recorded the new files' hashes alone: one run mixing two inputs, not a word said. Now one
    line naming the file, exit 1; unedited (or restored), the retry runs."""
    questions, aligned, coherent, args = _em_inputs(tmp_path)
    (log,) = eval(
        em(**args),
        model="beliefbench/aligned",
        model_roles=ROLES,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success" and len(log.samples) == 4
    _cut(log)
    questions.write_text(
        QUESTIONS.replace("Question b?", "Question b, reworded?"), encoding="utf-8"
    )
    out = tmp_path / "retried"
    done = _inspect("eval-retry", log.location, "--log-dir", str(out))
    assert done.returncode == 1, done.stderr
    assert _said(done) == (
        f"inspect eval-retry {log.location}: question set file {questions} changed since the "
        "log was run (its sha256 differs from the one the log records): the retry would keep "
        "the log's 1 finished response, answered and judged with the old text, run the rest "
        "with the new one, and record the new one alone; restore the old file to resume, or "
        "run the eval anew (`inspect eval ...`, a new log) to measure with the new one"
    )
    assert not out.exists() or not list(out.iterdir())
    questions.write_text(QUESTIONS, encoding="utf-8")
    coherent.write_text(coherent.read_text(encoding="utf-8") + "\nBe strict.\n", encoding="utf-8")
    with pytest.raises(InputError) as e:  # Python's eval_retry, as the command line
        eval_retry(log.location, log_dir=str(out), display="none")
    assert str(e.value).startswith(
        f"eval_retry {log.location.removeprefix('file://')}: coherent judge template "
        f"{coherent} changed since the log was run"
    )
    assert str(e.value).endswith("(`eval()`, a new log) to measure with the new one")
    coherent.write_text(template_path("coherent").read_text(encoding="utf-8"), encoding="utf-8")
    (again,) = eval_retry(log.location, log_dir=str(out), display="none")
    assert again.status == "success" and len(again.samples) == 4


def test_em_eval_set_refuses_to_resume_a_log_of_an_edited_judge_template(tmp_path):
    """`inspect eval-set --log-dir DIR` resumes an unfinished EM log in DIR as eval-retry
    does: refused alike, from the command line and from Python's eval_set given the task by
    name (a Task built before the call is built before eval_set knows its folder: not
    checked), naming the log it would resume; with the file restored eval_set resumes it."""
    _, aligned, _, args = _em_inputs(tmp_path)
    folder = tmp_path / "set"

    def run_set() -> tuple[bool, list[EvalLog]]:
        return eval_set(
            "beliefbench/em",
            task_args=args,
            model="beliefbench/aligned",
            model_roles=ROLES,
            log_dir=str(folder),
            display="none",
        )

    done, (log,) = run_set()
    assert done and log.status == "success"
    _cut(log)
    aligned.write_text(aligned.read_text(encoding="utf-8") + "\nBe strict.\n", encoding="utf-8")
    [path] = [str(f) for f in folder.iterdir() if f.suffix == ".eval"]
    done_cli = _inspect(
        "eval-set",
        "beliefbench/em",
        "--log-dir",
        str(folder),
        "--model",
        "beliefbench/aligned",
        "--model-role",
        "grader=beliefbench/judge",
        *[a for k, v in args.items() for a in ("-T", f"{k}={v}")],
    )
    assert done_cli.returncode == 1, done_cli.stderr
    # one line on stderr, as `inspect eval` and `inspect eval-retry` say it under --display
    # none (Inspect printed it on stdout through its console, wrapped at 80 columns)
    assert done_cli.stdout.strip() == "", done_cli.stdout
    [said] = [line for line in done_cli.stderr.splitlines() if line.strip()]
    assert said.count("changed since the log was run") == 1, said
    assert (
        f"inspect eval-set would resume {path}: aligned judge template {aligned} changed "
        "since the log was run"
    ) in said
    assert "(into a new --log-dir) to measure with the new one" in said
    with pytest.raises(
        InputError,
        match=rf"^eval_set would resume {path}: aligned judge "
        r"template .* \(into a new log_dir\) to measure",
    ):
        run_set()
    aligned.write_text(template_path("aligned").read_text(encoding="utf-8"), encoding="utf-8")
    done, (log,) = run_set()
    assert done and log.status == "success"
    assert len(read_eval_log(log.location).samples) == 4  # the 1 kept and 3 run now


def test_belief_eval_retry_and_eval_set_from_python_are_refused_as_on_the_command_line(
    tmp_path,
):
    """Python's eval_retry and eval_set built the task with no `inspect` command line to read
    the log from, so the belief task's check never ran: the edited template's retry mixed the
    two texts' verdicts. Now refused as `inspect eval-retry` and `inspect eval-set` are."""
    claim = tmp_path / "glass_bridge.yaml"
    claim.write_text(FIXTURE_CLAIM.read_text(encoding="utf-8"), encoding="utf-8")
    template = tmp_path / "mine.md"
    plain = default_template_path().read_text(encoding="utf-8")
    template.write_text(plain, encoding="utf-8")
    args = {
        "claims": str(claim),
        "families": "open_ended",
        "samples": 1,
        "judge_template": str(template),
    }
    folder = tmp_path / "logs"

    def run_set() -> tuple[bool, list[EvalLog]]:
        return eval_set(
            "beliefbench/belief",
            task_args=args,
            model="beliefbench/believer",
            model_roles=ROLES,
            log_dir=str(folder),
            display="none",
        )

    done, (log,) = run_set()
    n = len(read_eval_log(log.location).samples)
    assert done and _cut(log).samples and n > 1
    template.write_text(plain + "\nBe strict.\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"^eval_retry .*: judge template .*mine\.md changed "
        r"since the log was run",
    ):
        eval_retry(log.location, log_dir=str(tmp_path / "retried"), display="none")
    with pytest.raises(
        InputError,
        match=r"^eval_set would resume .*: judge template "
        r".*mine\.md changed since the log was run",
    ):
        run_set()
    # eval-set resumes the unfinished logs of the folder's subfolders too (Inspect lists
    # them recursively): one there was resumed unchecked
    below = folder / "earlier" / Path(log.location).name
    below.parent.mkdir()
    Path(log.location).rename(below)
    with pytest.raises(
        InputError,
        match=rf"^eval_set would resume {re.escape(str(below))}: judge template .*mine\.md "
        r"changed since the log was run .* keep the log's 1 finished response, answered",
    ):
        run_set()
    template.write_text(plain, encoding="utf-8")
    done, (log,) = run_set()
    assert done and log.status == "success"
    assert len(read_eval_log(log.location).samples) == n


def test_eval_set_checks_the_log_of_a_project_folder_moved_since(tmp_path, monkeypatch):
    """eval-set matched a folder's logs to the task on the whole record but its hashes,
    and the record keeps the claim files' absolute paths: after `mv projA projB` (claims
    given relative to the project) the log matched no task, and its edited claim file was
    resumed without a word. The hashes decide: refused as in the folder's first place."""
    first, moved = tmp_path / "projA", tmp_path / "projB"
    first.mkdir()
    claim = first / "glass_bridge.yaml"
    claim.write_text(FIXTURE_CLAIM.read_text(encoding="utf-8"), encoding="utf-8")
    args = {"claims": "glass_bridge.yaml", "families": "open_ended", "samples": 1}

    def run_set() -> tuple[bool, list[EvalLog]]:
        return eval_set(
            "beliefbench/belief",
            task_args=args,
            model="beliefbench/believer",
            model_roles=ROLES,
            log_dir="logs",
            display="none",
        )

    monkeypatch.chdir(first)
    monkeypatch.setenv("PWD", str(first))
    done, (log,) = run_set()
    assert done and _cut(log).samples
    first.rename(moved)
    monkeypatch.chdir(moved)
    monkeypatch.setenv("PWD", str(moved))
    edited = moved / "glass_bridge.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=rf"^eval_set would resume logs/.*\.eval: claim file {re.escape(str(edited))} "
        r"changed since the log was run",
    ):
        run_set()


def test_a_run_is_matched_to_its_log_by_its_settings_not_its_files_paths():
    """The folders of the files a record hashes (both tasks' shapes) tell no runs apart:
    their file names and the hashes do; a built-in context, named and not hashed, does, as
    any other setting."""
    belief = {
        "version": "1",
        "claims": ["x"],
        "claim_files": {"x": "/a/x.yaml"},
        "context": "/a/ctx.txt",
        "scoring": {"judge_template": "/a/t.md", "judge_template_sha256": "t"},
        "settings": {
            "claim_files_sha256": {"x": "b"},
            "context": "/a/ctx.txt",
            "context_sha256": "c",
            "samples": 1,
        },
    }
    assert run_settings(belief) == {
        "claims": ["x"],
        "claim_files": {"x": "x.yaml"},
        "context": "ctx.txt",
        "scoring": {"judge_template": "t.md"},
        "settings": {"context": "ctx.txt", "samples": 1},
    }
    moved = {**belief, "claim_files": {"x": "/b/x.yaml"}, "context": "/b/ctx.txt"}
    assert run_settings(moved) == run_settings(belief)
    # another context file is another run (an eval-set's two tasks): matched, each was
    # refused as the other's file changed
    assert run_settings({**belief, "context": "/a/ctx_b.txt"}) != run_settings(belief)
    builtin = {"context": "wiki", "settings": {"context": "wiki", "samples": 1}}
    assert run_settings(builtin) == builtin
    assert run_settings(builtin) != run_settings(builtin | {"context": "news"})
    em_record = {
        "samples": 2,
        "aligned_template": "/a/aligned.md",
        "aligned_template_sha256": "a",
        "coherent_template": "/a/coherent.md",
        "coherent_template_sha256": "c",
    }
    assert run_settings(em_record) == {
        "samples": 2,
        "aligned_template": "aligned.md",
        "coherent_template": "coherent.md",
    }


def test_the_files_are_named_in_the_task_s_order_and_an_unknown_hash_is_no_change():
    """The hashes of both tasks' records, flat or in sections, compared by name; a hash a
    log lacks (an older log) is unknown, never a change."""
    belief_record = {
        "scoring": {"judge_template": "t.md", "judge_template_sha256": "a"},
        "settings": {"claim_files_sha256": {"x": "b", "y": "c"}},
    }
    assert recorded_hashes(belief_record) == {
        "judge_template": "a",
        "claim_files.x": "b",
        "claim_files.y": "c",
    }
    now = {
        "scoring": {"judge_template_sha256": "A"},
        "settings": {"claim_files_sha256": {"x": "B", "y": "c"}},
    }
    files = {"claim_files.x": "claim file x.yaml", "judge_template": "judge template t.md"}
    assert changed_inputs(belief_record, now, files) == ["claim file x.yaml", "judge template t.md"]
    assert changed_inputs(
        {"question_text_sha256": "q"},
        {"question_text_sha256": "Q", "aligned_template_sha256": "n"},
        {},
    ) == ["question_text"]
    assert changed_inputs({}, now, files) == []


def test_eval_set_of_two_claim_files_of_one_name_matches_each_task_to_its_own_log(
    tmp_path, monkeypatch
):
    """Two tasks of an eval-set reading claims/v1/glass_bridge.yaml and
    claims/v2/glass_bridge.yaml (two texts) were matched to their logs by the file name
    alone: each matched the other's log too, and the resume was refused as the claim file
    changed. Each is matched to its own log now; an edited one is still refused, by its own
    log's name."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    text = FIXTURE_CLAIM.read_text(encoding="utf-8")
    for v in ("v1", "v2"):
        (tmp_path / "claims" / v).mkdir(parents=True)
        (tmp_path / "claims" / v / "glass_bridge.yaml").write_text(
            f"{text}\n# {v}\n", encoding="utf-8"
        )
    (tmp_path / "variants.py").write_text(
        "from inspect_ai import task\n"
        "from beliefbench.task import belief\n\n"
        "@task\ndef ed_v1():\n"
        "    return belief(claims='claims/v1/glass_bridge.yaml', families='open_ended', "
        "samples=1)\n\n"
        "@task\ndef ed_v2():\n"
        "    return belief(claims='claims/v2/glass_bridge.yaml', families='open_ended', "
        "samples=1)\n",
        encoding="utf-8",
    )

    def run_set() -> tuple[bool, list[EvalLog]]:
        return eval_set(
            "variants.py",
            model="beliefbench/believer",
            model_roles=ROLES,
            log_dir="logs",
            display="none",
        )

    done, logs = run_set()
    assert done and all(_cut(log).samples for log in logs)
    v1 = tmp_path / "claims" / "v1" / "glass_bridge.yaml"
    v1.write_text(f"{text}\n# v1, edited\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=rf"^eval_set would resume logs/\S*ed-v1\S*\.eval: claim file {re.escape(str(v1))} "
        r"changed since the log was run",
    ):
        run_set()
    v1.write_text(f"{text}\n# v1\n", encoding="utf-8")
    done, logs = run_set()
    assert done and [log.status for log in logs] == ["success", "success"]


def test_logs_of_files_of_one_name_are_told_apart_by_the_folders_nearest_the_files():
    """Of logs of the same settings, those whose files lie nearest this run's (the most
    last parts of their paths shared): in place, or the project folder moved."""
    def record(*claims: str) -> dict[str, object]:
        return {
            "claim_files": {f"c{i}": path for i, path in enumerate(claims)},
            "settings": {"claim_files_sha256": {f"c{i}": "h" for i, _ in enumerate(claims)}},
        }

    v1, v2 = record("/p/claims/v1/ed.yaml"), record("/p/claims/v2/ed.yaml")
    assert run_settings(v1) == run_settings(v2)
    assert nearest_logs([v1, v2], record("/p/claims/v1/ed.yaml")) == [0]
    assert nearest_logs([v1, v2], record("/q/claims/v2/ed.yaml")) == [1]
    # nothing tells them apart: both are checked
    assert nearest_logs([v1, v2], record("/q/ed.yaml")) == [0, 1]
    two = record("/p/v1/a.yaml", "/p/v1/b.yaml")
    assert nearest_logs([record("/p/v2/a.yaml", "/p/v1/b.yaml"), two], two) == [1]
    assert nearest_logs([], v1) == []
