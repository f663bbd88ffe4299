"""What `inspect eval` checks before the task is built: Inspect makes the model first
(inspect_ai/_eval/eval.py: `eval_init` resolves the models, then `eval_resolve_tasks` imports
the task file), so a task argument is only checked once the model is made. The README says
so and gives a check with a scripted model in its place; these pin both, so an Inspect that
changes the order shows here (and the README's note is then to be revised)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSPECT = Path(sys.executable).parent / "inspect"
TYPO = "-T claims=dentsit: 'dentsit' is neither a claim file, a directory, nor a known claim id"


def _inspect_eval(*args: str, log_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([str(INSPECT), "eval", *args, "--display", "none",
                           "--log-dir", str(log_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_model_is_made_before_a_task_argument_is_checked(tmp_path):
    """A local hf/ folder that does not exist and a misspelt claim id: transformers' traceback
    for the folder, never the claim-id message (the task is not built yet)."""
    gone = tmp_path / "models" / "nope"
    done = _inspect_eval("tasks/belief.py", "--model", f"hf/{gone}", "-T", "claims=dentsit",
                         log_dir=tmp_path / "logs")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Repo id must be in the form" in done.stderr, done.stderr[-2000:]
    assert "dentsit" not in done.stderr, done.stderr[-2000:]


def test_a_scripted_model_checks_the_task_arguments_in_seconds(tmp_path):
    """The README's check: the same -T values with beliefbench/believer in place of --model
    are refused in one line, exit 1, no log written."""
    done = _inspect_eval("tasks/belief.py", "--model", "beliefbench/believer",
                         "--model-role", "grader=beliefbench/judge", "-T", "claims=dentsit",
                         log_dir=tmp_path / "logs")
    assert done.returncode == 1, done.stderr[-2000:]
    assert TYPO in done.stderr and "(did you mean 'dentist'?)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "logs").exists()
