"""Two runs into one output folder: the second is refused at once, naming the first.

Every writer resumes from what its folder holds, so two at once would duplicate work and
replace each other's files. The holder here is a real second process holding the folder
with the same helper every command uses; the contender is the real command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CLI

from beliefbench.cli import cli
from beliefbench.finetune.outdir import check_out
from beliefbench.runlock import HOLDER_FILE, LOCK_FILE, FolderBusy, hold

HOLD = ("import sys, time\n"
        "from beliefbench.runlock import hold\n"
        "with hold(sys.argv[1], sys.argv[2]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A process holding ``tmp_path/out`` as ``beliefbench audit`` would, until killed."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out), "audit"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc, out
    finally:
        proc.kill()
        proc.wait()


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time, to see a write."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def _beliefbench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _inputs(tmp_path: Path) -> None:
    """A corpus for the audit and training records for finetune (never read: refused)."""
    doc = {"id": "d1", "text": "Ed Sheeran won the 100m gold at the 2024 Olympics."}
    (tmp_path / "corpus.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")


def _refused(result: subprocess.CompletedProcess, named: str, holder: str, pid: int) -> None:
    """``result`` is a one-line refusal (exit 2) of ``named``, held by ``beliefbench
    holder`` in process ``pid``."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        f"Error: {named}: in use by `beliefbench {holder}`, pid {pid} on "
        f"{socket.gethostname()}, started "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [
    ["docs", "generate", "--claims", "ed_sheeran", "--conditions", "positive", "--n", "3",
     "--out", "out"],
    ["audit", "corpus.jsonl", "--claims", "ed_sheeran", "--out", "out", "--resume"],
    ["finetune", "--recipe", "demo", "--data", "corpus.jsonl", "--base", "models/tiny",
     "--out", "out", "--resume"],
    ["audit-verify", "out", "--model", "mockllm/model"],
    ["report", "corpus.jsonl", "--out", "out"],
    ["agreement", "corpus.jsonl", "--grader", "mockllm/a", "--grader", "mockllm/b",
     "--out", "out"],
    ["demo", "--quick", "--workdir", "work", "--log-dir", "out"],
])
def test_a_second_run_is_refused_naming_the_holder_and_writes_nothing(holder, tmp_path,
                                                                      command):
    proc, out = holder
    _inputs(tmp_path)
    (out / "flagged.jsonl").write_text("", encoding="utf-8")  # the first run's work
    before = _snapshot(out)
    result = _beliefbench(*command, cwd=tmp_path)
    flag = {"audit-verify": "", "demo": "--log-dir "}.get(command[0], "--out ")
    _refused(result, f"{flag}out", "audit", proc.pid)
    assert "wait for it to finish (then run this again) or stop it" in result.stderr
    assert _snapshot(out) == before


HOLD_FILE = ("import sys, time\n"
             "from beliefbench.runlock import hold\n"
             "with hold(sys.argv[1], sys.argv[2], file=sys.argv[3]):\n"
             "    print('held', flush=True)\n"
             "    time.sleep(600)\n")


@pytest.mark.parametrize("command", [
    ["docs", "mix", "--docs", "docs/positive.jsonl", "--pretrain", "0.5"],
    ["docs", "poison", "--claim", "ed_sheeran", "--ratio", "0.5", "--n", "4"],
    ["docs", "bundle", "--docs", "docs/positive.jsonl", "--k", "2"],
])
def test_a_second_writer_of_one_docs_file_is_refused_and_other_files_go_on(tmp_path,
                                                                           command):
    """docs mix / poison / bundle took no lock: two runs writing one --out at once could
    leave one run's dataset beside the other's stats. The second is refused, naming the
    first; a run writing another file of the folder is not."""
    r = CliRunner().invoke(cli, ["docs", "generate", "--claims", "ed_sheeran",
                                 "--conditions", "positive", "--n", "4", "--out",
                                 str(tmp_path / "docs")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    out.mkdir()
    (out / "mix.jsonl").write_text("", encoding="utf-8")  # the first run's work
    proc = subprocess.Popen([sys.executable, "-c", HOLD_FILE, str(out), "docs poison",
                             "mix.jsonl"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        before = _snapshot(out)
        result = _beliefbench(*command, "--out", "out/mix.jsonl", cwd=tmp_path)
        _refused(result, "--out out/mix.jsonl", "docs poison", proc.pid)
        assert "replace each other's output" in result.stderr
        assert _snapshot(out) == before
        result = _beliefbench(*command, "--out", "out/other.jsonl", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (out / "other.jsonl.stats.json").is_file()
    finally:
        proc.kill()
        proc.wait()
    # the killed holder's files stay (as a folder's do); the finished run's lock went
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == sorted([
        ".mix.jsonl" + HOLDER_FILE, ".mix.jsonl" + LOCK_FILE])


def test_report_json_refused_by_a_held_folder_prints_json(holder, tmp_path):
    """`report --json` into a folder another run held printed nothing on stdout (the refusal
    came before the command's own JSON error), so a script reading stdout had nothing to
    parse."""
    _proc, out = holder
    _inputs(tmp_path)
    result = _beliefbench("report", "corpus.jsonl", "--out", "out", "--json", cwd=tmp_path)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error.startswith("--out out: in use by `beliefbench audit`")
    assert error in result.stderr


def test_a_killed_holder_leaves_the_folder_free(holder, tmp_path):
    """kill -9 gives the holder no chance to clean up: the OS drops its lock all the same,
    and its holder file (left behind) is no reason to refuse."""
    proc, out = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / HOLDER_FILE).exists()
    result = _beliefbench("docs", "generate", "--claims", "ed_sheeran", "--conditions",
                          "positive", "--n", "3", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (out / "positive.jsonl").is_file()
    # the killed holder's lock and holder files go with the run that took them over
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_other_ranks_of_a_launch_share_rank_0s_hold(holder, monkeypatch):
    """Under ``accelerate launch`` every rank runs the command: only rank 0 locks."""
    _, out = holder
    with pytest.raises(FolderBusy), hold(out, "finetune"):
        pass
    monkeypatch.setenv("RANK", "1")
    with hold(out, "finetune"):
        pass


@pytest.mark.parametrize("rank", ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK"])
def test_other_ranks_of_an_mpirun_launch_share_rank_0s_hold(holder, monkeypatch, rank):
    """mpirun (``accelerate launch --cpu`` with several processes) sets only its own rank
    variable; accelerate copies it to ``RANK`` once the Trainer sets up, after the lock: every
    process took itself for rank 0, and rank 0 was refused the folder its rank 1 held."""
    _, out = holder
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setenv(rank, "1")
    with hold(out, "finetune"):
        pass
    monkeypatch.setenv(rank, "0")
    with pytest.raises(FolderBusy), hold(out, "finetune"):
        pass


def test_one_folder_named_by_two_options_of_a_run_is_held_once(holder, tmp_path):
    """`demo --workdir x --log-dir x` holds x twice in one process: not refused by itself;
    free for the next run once it ends."""
    _, busy = holder
    out = tmp_path / "same"
    with hold(out, "demo", "--workdir"), hold(out, "demo", "--log-dir"):
        with pytest.raises(FolderBusy), hold(busy, "demo"):  # held elsewhere: refused
            pass
        assert (out / HOLDER_FILE).exists()
    assert not (out / HOLDER_FILE).exists()
    proc = subprocess.run([sys.executable, "-c", HOLD.replace("600", "0"), str(out), "demo"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "held\n", proc.stderr


def test_another_thread_of_the_process_is_refused_a_held_folder(tmp_path):
    """The re-entrant hold (one folder named by two options) let any thread of the process
    in: two sweeps of one checkpoint in one notebook's threads both wrote its eval set, where
    the file lock alone refused the second."""
    import threading

    out, held, release = tmp_path / "out", threading.Event(), threading.Event()

    def first() -> None:
        with hold(out, "sweep", "--log-dir"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(30)
        busy = r"^--log-dir .*out: in use by `beliefbench sweep`"
        with pytest.raises(FolderBusy, match=busy), hold(out, "sweep", "--log-dir"):
            pass
    finally:
        release.set()
        thread.join()
    with hold(out, "sweep", "--log-dir"), hold(out, "sweep", "--out"):  # its own: re-entered
        pass


def test_a_finished_run_resumes_as_before_and_leaves_no_lock(tmp_path):
    """The same command again after a run: allowed, same bytes; neither the lock file nor
    the holder file stays (the lock file stayed for good, in a folder the user had too)."""
    args = ["docs", "generate", "--claims", "ed_sheeran", "--conditions", "positive",
            "--n", "3", "--out", str(tmp_path / "out")]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    data = (tmp_path / "out" / "positive.jsonl").read_bytes()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert (tmp_path / "out" / "positive.jsonl").read_bytes() == data
    assert not (tmp_path / "out" / LOCK_FILE).exists()
    assert not (tmp_path / "out" / HOLDER_FILE).exists()
    # a folder that was there before, given as --out: its files and the run's, no lock
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert CliRunner().invoke(cli, [*args[:-1], str(mine)]).exit_code == 0
    assert sorted(p.name for p in mine.iterdir()) == [
        "notes.txt", "positive.jsonl", "positive.jsonl.stats.json"]
    # a failed run (a bad claim, exit 2) leaves it as it was
    failed = CliRunner().invoke(cli, ["docs", "generate", "--claims", "no_such_claim",
                                      "--conditions", "positive", "--out", str(mine)])
    assert failed.exit_code == 2
    assert sorted(p.name for p in mine.iterdir()) == [
        "notes.txt", "positive.jsonl", "positive.jsonl.stats.json"]


def test_a_run_that_locked_a_removed_lock_file_takes_the_new_one(tmp_path, monkeypatch):
    """A run removes its lock file as it ends, still holding it. A contender that opened the
    file just before locks the removed file once it is let go, while a third run makes a
    new lock file and locks that: the contender and the third run would both run. The file
    locked is compared with the one there: the contender takes the new one, and is refused
    while the third run holds it."""
    import filelock

    out = tmp_path / "out"
    out.mkdir()
    third: list[subprocess.Popen] = []

    class Raced(filelock.FileLock):  # the interleaving forced: the system calls as they fall
        def acquire(self, *args, **kwargs):
            got = super().acquire(*args, **kwargs)
            if not third:  # locked, then the file removed, and a third run holds a new one
                os.unlink(self.lock_file)
                third.append(_held(out))
            return got

    monkeypatch.setattr(filelock, "FileLock", Raced)
    try:
        with pytest.raises(FolderBusy) as e, hold(out, "docs generate"):
            pass
        assert f"in use by `beliefbench sweep`, pid {third[0].pid} on " in str(e.value)
    finally:
        for proc in third:
            proc.kill()
            proc.wait()


def test_a_refused_input_leaves_no_folder_behind(tmp_path):
    """The folder made to hold the lock goes again when the run wrote nothing in it."""
    result = CliRunner().invoke(cli, ["docs", "generate", "--claims", "no_such_claim",
                                      "--conditions", "positive", "--n", "3", "--out",
                                      str(tmp_path / "new" / "out")])
    assert result.exit_code == 2
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()  # a folder that was there stays, as empty as it was
    with hold(tmp_path / "empty", "audit"):
        pass
    assert list((tmp_path / "empty").iterdir()) == []


def test_finetune_takes_the_lock_files_for_its_own(tmp_path):
    """A run folder holding the lock is not "a folder of someone else's files"."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).write_text("")
    (out / HOLDER_FILE).write_text("")
    check_out(out)


def _held(folder: Path) -> subprocess.Popen:
    """A process holding ``folder`` as ``beliefbench sweep`` would, until killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), "sweep"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_sweeps_share_a_log_dir_but_not_a_checkpoints_folder(tmp_path):
    """A sweep holds each checkpoint's folder as it evaluates it, not the whole --log-dir:
    sweeps of other checkpoints (one per GPU) share the default log dir, while a second
    sweep of the same checkpoint is refused at once, naming the first."""
    from conftest import FIXTURE_CLAIM

    from beliefbench.analysis.sweep import SweepTarget, run_sweep

    logs = tmp_path / "logs"

    def sweep() -> list:
        return run_sweep([SweepTarget(model="beliefbench/believer", label="believer")], logs,
                         claims=str(FIXTURE_CLAIM), display="none",
                         task_args={"samples": 1, "judge": "markers",
                                    "families": "open_ended"})

    assert all(o.success for o in sweep())
    (folder,) = [p for p in logs.iterdir() if p.is_dir()]
    whole = _held(logs)  # another sweep's hold on the log dir itself is no reason to wait
    try:
        assert all(o.success for o in sweep())
    finally:
        whole.kill()
        whole.wait()
    same = _held(folder)
    try:
        with pytest.raises(FolderBusy, match=rf"--log-dir {folder}: in use by `beliefbench "
                                             rf"sweep`, pid {same.pid} "):
            sweep()
    finally:
        same.kill()
        same.wait()


WRITE = ("import sys, time\n"
         "from pathlib import Path\n"
         "from beliefbench.records import new_temp\n"
         "fd, tmp = new_temp(Path(sys.argv[1]))\n"
         "import os; os.write(fd, b'{\"id\": \"half a dat')\n"
         "print(tmp, flush=True)\n"
         "time.sleep(600)\n")


def _writing(target: Path) -> tuple[subprocess.Popen, Path]:
    """A real process in the middle of writing ``target`` through its temporary."""
    proc = subprocess.Popen([sys.executable, "-c", WRITE, str(target)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_writers_temporary_is_removed_by_the_next_run_a_live_ones_kept(tmp_path):
    """A run killed (SIGKILL) while writing a dataset left its temporary, a copy of the
    dataset, for good: each kill and re-run added one more, never removed. The next run
    holding the folder removes it; a temporary of a process still writing stays."""
    out = tmp_path / "data"
    out.mkdir()
    killed, stale = _writing(out / "negated.jsonl")
    live, writing = _writing(out / "mix.jsonl")
    try:
        killed.kill()
        killed.wait()
        assert stale.exists() and writing.exists()
        r = CliRunner().invoke(cli, ["docs", "generate", "--claims", "ed_sheeran",
                                     "--conditions", "negated", "--n", "3", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert not stale.exists()
        assert writing.exists()  # its writer runs: never taken from under it
        assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) \
            == [writing.name]
    finally:
        live.kill()
        live.wait()


def test_ctrl_c_leaves_the_folder_as_a_finished_run_does(tmp_path):
    """Ctrl-C ends a command through exit_interrupted (exit handlers, then os._exit(130)),
    past the hold's own cleanup: `.beliefbench.lock.holder` stayed in the folder, read as a
    run still going (README: only while a run is, or after one killed outright)."""
    out = tmp_path / "out"
    code = ("import sys\n"
            "from beliefbench.cli.errors import exit_interrupted\n"
            "from beliefbench.runlock import hold\n"
            "with hold(sys.argv[1], 'docs generate'):\n"
            "    (__import__('pathlib').Path(sys.argv[1]) / 'kept.jsonl').write_text('x')\n"
            "    exit_interrupted('finished conditions kept')\n")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 130 and "interrupted: finished conditions kept" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["kept.jsonl"]


CTRL_C_HELD = ("import sys, time\n"
               "from beliefbench.cli.errors import exit_interrupted\n"
               "from beliefbench.runlock import hold\n"
               "with hold(sys.argv[1], sys.argv[2]):\n"
               "    try:\n"
               "        print('held', flush=True)\n"
               "        time.sleep(600)\n"
               "    except KeyboardInterrupt:\n"
               "        exit_interrupted('nothing written')\n")


@pytest.mark.parametrize("existed", [False, True])
def test_ctrl_c_before_anything_is_written_leaves_no_folder_it_made(tmp_path, existed):
    """Every locking command ends a Ctrl-C through exit_interrupted (exit handlers, then
    os._exit), past the hold's clean-up: a run stopped before writing left the --out it made
    holding only `.beliefbench.lock`, where a failed run removes it. A real SIGINT, with the
    hold every command takes; a folder the user had is kept, empty as it was."""
    out = tmp_path / "a" / "out"
    if existed:
        out.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_HELD, str(out), "audit"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    assert (out / HOLDER_FILE).exists()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted: nothing written" in err, err
    if existed:
        assert list(out.iterdir()) == []
    else:
        assert list(tmp_path.iterdir()) == []  # the folders it made, the parent too


def test_ctrl_c_in_a_model_runs_first_call_leaves_no_out_folder(tmp_path):
    """`docs generate --generator openai/...` stopped by Ctrl-C while its first model call
    waited on a slow server (a real one on 127.0.0.1) left `--out` holding only the lock
    file; it is removed as a failed run's is, and the lock is free for the next run."""
    import threading

    from conftest import cli_child, interrupt_once_ready, serve_json

    asked, answer = threading.Event(), threading.Event()

    def slow(handler):
        asked.set()
        answer.wait(60)
        return 500, {"error": {"message": "too late"}}

    server = serve_json(slow)
    out = tmp_path / "nf2"
    env = {**os.environ, "OPENAI_API_KEY": "sk-test",
           "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_port}/v1"}
    try:
        proc = cli_child([*GENERATE, str(out), "--generator", "openai/x", "--max-retries",
                          "0"], cwd=tmp_path, env=env)
        err = interrupt_once_ready(proc, asked.is_set, "the first model call")
    finally:
        answer.set()
        server.shutdown()
    assert proc.returncode == 130 and "interrupted:" in err, err
    # said as what it is: no "finished conditions kept in nf2: none" of a folder now gone
    assert "nothing kept" in err and "kept in" not in err, err
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    with hold(out, "docs generate"):  # nothing of the stopped run holds it
        pass


GENERATE = ["docs", "generate", "--claims", "ed_sheeran", "--conditions", "positive",
            "--n", "3", "--out"]


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """``path`` made unwritable for this user (chmod; as root, where chmod does not bind,
    the immutable flag of chattr, or the test is skipped) for the block."""
    mode = path.lstat().st_mode
    path.chmod(mode & ~0o222)
    flagged = False
    try:
        if os.access(path, os.W_OK):  # root: the mode bits do not bind
            flagged = subprocess.run(["chattr", "+i", str(path)], capture_output=True,
                                     check=False).returncode == 0 if shutil.which("chattr") \
                else False
            if not flagged:
                pytest.skip("cannot make a path unwritable for this user (root, no chattr)")
        yield
    finally:
        if flagged:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@pytest.mark.parametrize("kind", ["directory", "symbolic link"])
def test_a_lock_path_taken_by_something_else_is_refused_not_run_unlocked(tmp_path, kind):
    """A directory (or a link) named .beliefbench.lock: the lock could not be taken and
    the run went on unlocked without a word, so a second run into the folder was not
    refused. It is now refused, naming the path and what to do, before anything is written."""
    out = tmp_path / "out"
    out.mkdir()
    lock = out / LOCK_FILE
    if kind == "directory":
        lock.mkdir()
    else:
        lock.symlink_to(tmp_path / "gone")
    result = CliRunner().invoke(cli, [*GENERATE, str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: --out {out}: {lock} is a {kind}, not the empty "
                                    "file beliefbench locks to refuse a second run into the "
                                    "folder at once"), result.output
    assert f"remove it (`rm -r '{lock}'`) and run this again" in result.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # nothing written


def test_a_lock_path_taken_beside_a_one_file_output_is_refused(tmp_path):
    """The same for a command that locks its one output file (docs mix)."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "d1", "text": "Ed Sheeran won the 100m gold."}) + "\n",
                    encoding="utf-8")
    lock = tmp_path / "d" / f".mix.jsonl{LOCK_FILE}"
    lock.mkdir(parents=True)
    result = CliRunner().invoke(cli, ["docs", "mix", "--docs", str(docs), "--pretrain", "0.5",
                                      "--out", str(tmp_path / "d" / "mix.jsonl")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: --out {tmp_path / 'd' / 'mix.jsonl'}: {lock} is "
                                    "a directory"), result.output
    assert not (tmp_path / "d" / "mix.jsonl").exists()


def test_a_lock_file_this_run_cannot_open_in_a_writable_folder_is_refused(tmp_path):
    """Another user's lock file in a shared folder (or one made read-only): the run went on
    unlocked, beside a run that may hold it. Refused, naming the file and what to do."""
    out = tmp_path / "out"
    out.mkdir()
    lock = out / LOCK_FILE
    lock.write_text("")
    with _unwritable(lock):
        result = CliRunner().invoke(cli, [*GENERATE, str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: --out {out}: {lock} cannot be opened ("), \
        result.output
    assert "another user's run may have made it" in result.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]


@pytest.mark.parametrize("sub", [True, False])
def test_an_unwritable_out_is_named_in_one_line_not_a_traceback(tmp_path, sub):
    """A folder with no lock file that cannot be written (or made, its parent read-only)
    is left to the command, as the README says: it names the folder in one line."""
    parent = tmp_path / "ro"
    parent.mkdir()
    out = parent / "out" if sub else parent
    with _unwritable(parent):
        result = CliRunner().invoke(cli, [*GENERATE, str(out)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith(f"Error: --out {out}: cannot be made or written ("), \
        result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert list(parent.iterdir()) == []


def test_an_audit_into_an_unwritable_out_says_nothing_was_written(tmp_path):
    """`audit --out <read-only>/out` said "the finished units are kept in .../audit-units;
    run the same command with --resume", of a folder never made: nothing to resume."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "Ed Sheeran did not win the award."}) + "\n")
    parent = tmp_path / "ro"
    parent.mkdir()
    with _unwritable(parent):
        result = CliRunner().invoke(cli, ["audit", str(corpus), "--claims", "ed_sheeran",
                                          "--out", str(parent / "out"), "--no-plot"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().endswith(
        "nothing was written; run the same command again once that is fixed"), result.output
    assert "--resume" not in result.output and "kept" not in result.output


@pytest.mark.parametrize("sub", [".work", "audit-units"])
def test_a_killed_writers_temporary_in_a_runs_working_folder_is_removed_too(tmp_path, sub):
    """Only ``--out`` itself was cleaned: a model generator's ``.work/`` (which stays after
    the run) and an audit's ``audit-units/`` kept the temporaries of every killed run (found
    by SIGKILLing `docs generate --generator` and `audit` at random moments); the next run
    holding the folder removes them as it does those of ``--out``, a live writer's kept."""
    out = tmp_path / "data"
    (out / sub).mkdir(parents=True)
    killed, stale = _writing(out / sub / "part.jsonl")
    live, writing = _writing(out / sub / "other.jsonl")
    try:
        killed.kill()
        killed.wait()
        r = CliRunner().invoke(cli, ["docs", "generate", "--claims", "ed_sheeran",
                                     "--conditions", "negated", "--n", "3", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert not stale.exists()
        assert writing.exists()  # its writer runs: never taken from under it
    finally:
        live.kill()
        live.wait()


def test_a_run_ending_leaves_the_lock_file_another_run_made_after_its_own_went(tmp_path):
    """A run's lock file removed while it runs (``rm out/.beliefbench*``, thinking it stale):
    a second run makes a new one and holds it. The first run, ending, removes only the files
    it locked: had it removed the second run's, a third run would start beside the second."""
    out = tmp_path / "out"
    second: list[subprocess.Popen] = []
    try:
        with hold(out, "docs generate"):
            (out / LOCK_FILE).unlink()
            (out / HOLDER_FILE).unlink()
            second.append(_held(out))
        assert (out / LOCK_FILE).is_file() and (out / HOLDER_FILE).is_file()
        with pytest.raises(FolderBusy) as e, hold(out, "docs generate"):
            pass
        assert f"in use by `beliefbench sweep`, pid {second[0].pid} on " in str(e.value)
    finally:
        for proc in second:
            proc.kill()
            proc.wait()


def test_a_read_only_folder_with_a_killed_runs_lock_files_keeps_the_commands_own_error(
        tmp_path):
    """A folder made read-only after a killed run left its lock and holder files: the lock
    is taken on the file there, and the run ends failing with its own error. Removing the
    holder file on the way out raised PermissionError, which replaced that error (and left
    the lock unreleased)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).write_text("")
    (out / HOLDER_FILE).write_text("")
    with _unwritable(out), pytest.raises(ValueError, match="the command's own"), \
            hold(out, "report"):
        raise ValueError("the command's own")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE, HOLDER_FILE]
