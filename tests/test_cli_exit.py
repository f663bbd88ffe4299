"""How a finished command leaves the process (``beliefbench.cli.errors.exit_finished``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import signal_after_ready_line

LEFT_A_POOL = """
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(1)  # left behind, never shut down, as a library may leave one
assert pool.submit(lambda: 41).result() == 41
from beliefbench.cli.errors import exit_finished
print("finished", flush=True)
exit_finished()
"""


def test_a_finished_command_exits_past_a_thread_pool_left_behind():
    """``audit --engine dask --scheduler threads`` wrote its report and hung for good: the
    exit waited for every non-daemon thread before the hooks that end a thread pool's idle
    workers, which only Python's own shutdown had run. It now exits 0 at once."""
    done = subprocess.run([sys.executable, "-c", LEFT_A_POOL], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "finished\n", done.stderr


STOPPED_EARLY = """
import importlib.abc, sys, time

def ready(*args, **kwargs):
    print("READY", file=sys.stderr, flush=True)
    time.sleep(120)

class LoadingSlowly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "beliefbench.cli.em" and where == "import":
            ready()
        return None

where = sys.argv.pop(1)
sys.meta_path.insert(0, LoadingSlowly())
import click
if where == "options":  # while click reads the command's options
    click.Path.convert = ready
from beliefbench.cli import cli
cli()
"""


@pytest.mark.parametrize("where", ["import", "options"])
@pytest.mark.parametrize("command", ["em-report", "report", "gate"])
def test_a_sigterm_before_the_command_runs_still_prints_its_json(tmp_path, command, where):
    """`em-report --json` (report, gate alike) killed by SIGTERM in its first ~3.5 s printed
    no JSON, though the docs promise one for a Ctrl-C or SIGTERM before the JSON is out:
    while the modules loaded the signal ended the process with no word, and while click read
    the options (a type's lazy imports) the top group said it on stderr alone."""
    args = [command, "--json", *(["--baseline", str(tmp_path), "--candidate", str(tmp_path)]
                                 if command == "gate" else [str(tmp_path), "--out",
                                                            str(tmp_path / "o")])]
    proc = subprocess.Popen([sys.executable, "-c", STOPPED_EARLY, where, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = signal_after_ready_line(proc)
    assert proc.returncode == 143, err
    said = "interrupted by SIGTERM: " + ("no comparison was made" if command == "gate"
                                         else "no result")
    assert json.loads(out) == {**({"passed": None} if command == "gate" else {}),
                               "error": f"{said}; run the same command again"}
    assert "interrupted by SIGTERM" in err, err
