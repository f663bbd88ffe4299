"""How a finished command leaves the process (``beliefbench.cli.errors.exit_finished``)."""

from __future__ import annotations

import subprocess
import sys

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
