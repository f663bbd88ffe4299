"""A bad task argument under `inspect eval --display none` (as CI runs it) still says why.

Inspect prints the message of such an error through its console, which that display silences:
the run ended with exit 1 and nothing on stdout or stderr. Real `inspect eval` processes.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSPECT = Path(sys.executable).parent / "inspect"

NO_CLAIM = "claims: 'nosuch' is neither a claim file, a directory, nor a known claim id"
TYPED_NO_CLAIM = "-T claims=nosuch: 'nosuch' is neither a claim file, a directory, nor a known " \
    "claim id"
"""NO_CLAIM as ``inspect eval`` says it: the -T argument as typed (a Python caller's keeps
``claims:``)."""
NO_AUDIT = "audit_dir: required: the folder `beliefbench audit --out` wrote"
# (task, -T argument, the start of its message): every task file, and registered names (each
# registered task is the builder its file calls, decorated alike: two of them stand for all)
BAD = [
    ("tasks/belief.py", "claims=nosuch", TYPED_NO_CLAIM),
    ("tasks/belief_logprob.py", "claims=nosuch", TYPED_NO_CLAIM),
    ("tasks/em.py", "samples=0", "-T samples=0: expected a whole number of at least 1, got 0"),
    ("tasks/belief_logprob.py", "kinds=bogus",
     "-T kinds=bogus: unknown value 'bogus'; valid: ['main', 'paraphrase', 'neighbour']"),
    ("tasks/audit_verify.py", "max_tokens=5", NO_AUDIT),
    ("beliefbench/em", "questions=nosuch.yaml",
     "-T questions=nosuch.yaml: 'nosuch.yaml' is neither a file"),
    ("beliefbench/audit_verify", "audit_dir=", "-T audit_dir=: required: the folder"),
]


def said(output: str) -> str:
    """``output`` with its lines joined: Inspect's rich console wraps a message at 80
    columns."""
    return " ".join(output.split())


def inspect_eval(task: str, arg: str, log_dir: Path, *display: str) -> subprocess.CompletedProcess:
    model = "beliefbench/verifier" if "audit_verify" in task else "beliefbench/believer"
    cmd = [str(INSPECT), "eval", task, "--model", model, "-T", arg, "--log-dir", str(log_dir),
           *display]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert not list(log_dir.glob("*.eval"))  # refused before any eval started
    return done


@pytest.mark.parametrize("task, arg, message", BAD)
def test_display_none_writes_the_bad_argument_to_stderr(task, arg, message, tmp_path):
    done = inspect_eval(task, arg, tmp_path, "--display", "none")
    assert done.returncode == 1, done.stderr  # as before: Inspect's exit status
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr  # one line, no trace
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("task, arg, message", [BAD[0], BAD[5]])
def test_other_displays_show_it_once(task, arg, message, tmp_path):
    done = inspect_eval(task, arg, tmp_path, "--display", "plain")
    assert done.returncode == 1
    assert said(done.stdout + done.stderr).count(message) == 1, done.stdout + done.stderr
    # --json runs under display none too, and Inspect writes the message to stderr itself
    done = inspect_eval(task, arg, tmp_path, "--json")
    assert done.returncode == 1
    assert done.stderr.count(message) == 1, done.stderr


def test_eval_set_shows_it_once(tmp_path):
    """`inspect eval-set` prints the message before its display goes quiet: not again."""
    cmd = [str(INSPECT), "eval-set", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", "claims=nosuch", "--log-dir", str(tmp_path), "--display", "none"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert said(done.stdout + done.stderr).count(TYPED_NO_CLAIM) == 1, done.stdout + done.stderr


def test_a_caller_that_catches_it_prints_it_itself(tmp_path, capfd, monkeypatch):
    """Said only where it ends the process: a beliefbench command that catches it (and
    prints it, exit 2) or a script that does so would otherwise show it twice."""
    from inspect_ai import eval as inspect_eval

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    with pytest.raises(ValueError, match=NO_CLAIM):
        inspect_eval("beliefbench/belief", model="beliefbench/believer",
                     task_args={"claims": "nosuch"}, log_dir=str(tmp_path), display="none")
    out, err = capfd.readouterr()
    assert NO_CLAIM not in out + err
