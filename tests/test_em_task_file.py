"""`inspect eval` of tasks/em.py by an absolute path, from another directory (the README's
"Run `tasks/em.py` from the repository root, or ... `/abs/path/tasks/em.py@em`")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inspect_ai.log import read_eval_log

ROOT = Path(__file__).resolve().parents[1]
INSPECT = Path(sys.executable).parent / "inspect"


def _eval(target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``inspect eval <target>`` as a shell in ``cwd`` runs it (a shell sets PWD), with a
    question set given relative to that directory."""
    (cwd / "two.yaml").write_text(
        "id: two\ndomain: general\nquestions:\n  - {id: a, text: 'A?'}\n  - {id: b, text: 'B?'}\n"
    )
    return subprocess.run(
        [
            str(INSPECT),
            "eval",
            target,
            "--model",
            "beliefbench/misaligned",
            "--model-role",
            "grader=beliefbench/judge",
            "-T",
            "questions=two.yaml",
            "-T",
            "samples=1",
            "--log-dir",
            "logs",
            "--display",
            "plain",
        ],
        cwd=cwd,
        env={**os.environ, "PWD": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_task_file_by_its_absolute_path_with_its_task_named_runs_from_anywhere(tmp_path):
    done = _eval(f"{ROOT / 'tasks' / 'em.py'}@em", tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (path,) = (tmp_path / "logs").glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success"
    assert [s.scores["em_judge"].answer for s in log.samples] == ["em", "em"]


def test_the_absolute_path_without_the_task_name_is_inspects_limitation(tmp_path):
    """What the README says of it: Inspect 0.3.285 globs the path relative to the working
    directory and fails (inspect_ai issue #5267). Should Inspect take it, this fails: the
    README's advice (and this test) can then go."""
    done = _eval(str(ROOT / "tasks" / "em.py"), tmp_path)
    assert done.returncode != 0
    assert "Non-relative patterns are unsupported" in done.stdout + done.stderr
