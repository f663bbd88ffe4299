"""A bad task argument under `inspect eval --display none` (as CI runs it) still says why.

Inspect prints the message of such an error through its console, which that display silences:
the run ended with exit 1 and nothing on stdout or stderr. Real `inspect eval` processes.
"""

import os
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
    # a user name mistyped after ~: Path.expanduser's RuntimeError was a traceback
    ("tasks/belief.py", "claims=~nosuchuser_bb/c.yaml", "-T claims=~nosuchuser_bb/c.yaml: "
     "~nosuchuser_bb/c.yaml: no such user's home folder: `~nosuchuser_bb` names no user"),
    ("beliefbench/em", "questions=~nosuchuser_bb/q.yaml", "-T questions=~nosuchuser_bb/q.yaml: "
     "~nosuchuser_bb/q.yaml: no such user's home folder: `~nosuchuser_bb` names no user"),
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


def test_eval_set_writes_it_to_stderr_once(tmp_path):
    """`inspect eval-set --display none` as `inspect eval`: one line on stderr. Inspect
    printed it on stdout, wrapped at 80 columns, before its display went quiet."""
    cmd = [str(INSPECT), "eval-set", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", "claims=nosuch", "--log-dir", str(tmp_path), "--display", "none"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(TYPED_NO_CLAIM), done.stderr
    assert done.stdout.strip() == ""


def _bracketed_claims(folder: Path) -> dict[str, str]:
    """Two claim files each refused with a message holding ``[...]``, by what it changes in
    the fixture claim, and those messages as a Python caller reads them."""
    from conftest import FIXTURE_CLAIM

    from beliefbench.claims import load_claim

    text = FIXTURE_CLAIM.read_text(encoding="utf-8")
    edits = {"entities": ("entities: [Golden Gate Bridge, glass, 2021]",
                          "entities: laminated glass"),
             "pattern": ("disbelief: ['\\bsteel\\b', 'never (been )?rebuilt']",
                         "disbelief: ['\\bgl[a-z]ss\\b']")}
    messages = {}
    for name, (old, new) in edits.items():
        path = folder / name / FIXTURE_CLAIM.name
        path.parent.mkdir()
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(ValueError) as e:
            load_claim(path)
        messages[name] = str(e.value)
    return messages


@pytest.mark.parametrize("display, claim", [
    (["--display", "plain"], "entities"),
    ([], "pattern"),  # Inspect's default: rich, without a terminal
    (["--display", "none"], "entities"),
])
def test_the_message_is_printed_as_written(tmp_path, display, claim):
    """Inspect printed an input error's message through its Rich console, which read
    ``[laminated glass]`` and ``[a-z]`` as markup and dropped them (``a list is written
    (for several, )``; the user's pattern shown as ``'\\bglss\\b'``) and wrapped it at 80
    columns. Now the message as a Python caller reads it, on one line: on Inspect's console
    (stdout) as before, on stderr under --display none."""
    message = _bracketed_claims(tmp_path)[claim]
    assert "[" in message and len(message) > 80
    cmd = [str(INSPECT), "eval", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", f"claims={tmp_path / claim}", "--log-dir", str(tmp_path / "logs"), *display]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    shown, other = (done.stderr, done.stdout) if "none" in display else \
        (done.stdout, done.stderr)
    assert [line for line in shown.splitlines() if line.strip()] == [message], shown
    assert other.strip() == ""


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


UNUSED = ("beliefbench: judge_temperature: not used with judge=markers (the offline judge "
          "reads answers by the claims' markers); they apply to judge=model")
"""A warning given as the task is built: in no log (the log starts after it)."""


@pytest.mark.parametrize("display, env", [
    (["--display", "none"], {}),  # Inspect's console is quiet: said by beliefbench
    (["--display", "plain"], {}),  # said by Inspect's console, not twice
    (["--display", "none"], {"INSPECT_PY_LOGGER_FORMAT": "plain"}),  # Inspect's plain line
])
def test_a_warning_given_as_the_task_is_built_is_said_under_every_display(tmp_path, display,
                                                                          env):
    """Under --display none a warning given as the task was built (here -T judge_temperature
    with the offline judge, which has no settings) reached nobody: Inspect writes log records
    through its console, which that display silences, and the log starts after the task is
    built. CI runs with --display none."""
    cmd = [str(INSPECT), "eval", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", "claims=ed_sheeran", "-T", "families=binary", "-T", "samples=1",
           "-T", "judge=markers", "-T", "judge_temperature=0.5", "--limit", "1",
           "--log-dir", str(tmp_path), *display]
    env = {**{k: v for k, v in os.environ.items() if k != "INSPECT_PY_LOGGER_FORMAT"}, **env}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    # (Inspect's rich console sets the record's place beside its first line)
    assert shown.count("beliefbench: judge_temperature: not") == 1, shown
    if display[1] == "none" and "INSPECT_PY_LOGGER_FORMAT" not in env:
        assert done.stderr.splitlines() == [f"warning: {UNUSED}"] and done.stdout == ""
    else:
        assert "warning: beliefbench" not in shown, shown


def test_a_warning_given_during_the_run_is_said_under_display_none(tmp_path):
    """No grader bound: the model under test judges itself, warned once as the first answer
    is judged; under --display none it was only in the log."""
    cmd = [str(INSPECT), "eval", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", "claims=ed_sheeran", "-T", "families=open_ended", "-T", "samples=1",
           "--limit", "2", "--log-dir", str(tmp_path), "--display", "none"]
    env = {k: v for k, v in os.environ.items() if k != "INSPECT_PY_LOGGER_FORMAT"}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: beliefbench: no grader model is bound (--model-role grader=...), so the "
        "model under test grades its own answers. Bind a grader, or pass -T self_judge=true "
        "if this is intended."], done.stderr


def test_inspect_score_refusal_is_one_stderr_line_under_display_none(tmp_path):
    """`inspect score LOG -S ...` is refused (Inspect would drop the -S); under --display none
    Inspect printed the refusal on stdout, wrapped at 80 columns, stderr empty. Now one line on
    stderr, as `inspect eval` says a bad -T value; under plain, once on Inspect's console."""
    from conftest import FIXTURE_CLAIM
    from inspect_ai import eval as inspect_eval

    (log,) = inspect_eval("beliefbench/belief", model="beliefbench/believer",
                          model_roles={"grader": "beliefbench/judge"},
                          task_args={"claims": str(FIXTURE_CLAIM), "families": "open_ended",
                                     "samples": 1},
                          limit=1, log_dir=str(tmp_path), display="none")
    assert log.status == "success"
    refusal = ("-S template=x.md: `inspect score LOG` without --scorer rebuilds the log's scorer "
               "with the arguments the log records and drops every -S without a word")
    for display in ("none", "plain"):
        done = subprocess.run([str(INSPECT), "score", log.location, "-S", "template=x.md",
                               "--action", "overwrite", "--display", display],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr
        shown, other = (done.stderr, done.stdout) if display == "none" else \
            (done.stdout, done.stderr)
        lines = [line for line in shown.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(refusal), shown
        assert lines[0].endswith("(-T judge_template=..., -T judge_max_tokens=...)")
        assert other.strip() == "", other


def test_several_problems_are_one_line_each_under_display_none(tmp_path):
    """A claim file with several problems: the header and one line per problem on stderr, as
    `claims validate` prints them (joined into one line they ran together unreadably)."""
    from conftest import FIXTURE_CLAIM

    from beliefbench.claims import load_claim

    text = FIXTURE_CLAIM.read_text(encoding="utf-8")
    path = tmp_path / FIXTURE_CLAIM.name
    path.write_text(text.replace('belief_answer: "yes"', "belief_answer: maybe", 1)
                    .replace("  open_ended:", "  open_endd:", 1), encoding="utf-8")
    with pytest.raises(ValueError) as e:
        load_claim(path)
    lines = str(e.value).splitlines()
    assert len(lines) >= 3 and "problems)" in lines[0], lines
    cmd = [str(INSPECT), "eval", "tasks/belief.py", "--model", "beliefbench/believer",
           "-T", f"claims={path}", "--log-dir", str(tmp_path / "logs"), "--display", "none"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == lines and done.stdout == "", done.stderr
