"""``gate`` reads each log header once: it tells belief logs from EM logs by their headers,
then hands those very headers to the loader, which read every one a second time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import believer, run_belief
from inspect_ai.log import read_eval_log, write_eval_log
from test_em_gate import _run, _sets
from test_gate import skeptic

from beliefbench.analysis.em_gate import log_kinds
from beliefbench.analysis.em_report import load_em_logs
from beliefbench.analysis.logs import LogError, load_belief_logs, read_logs


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("reads")
    sets = _sets(tmp, [f"g{i}" for i in range(1, 5)])
    return {"base": Path(run_belief(tmp / "base", skeptic, checkpoint="before").location),
            "new": Path(run_belief(tmp / "new", believer).location),
            "em_base": next(_run(tmp / "em_base", sets, {"g1"}, "base",
                                 checkpoint="before").glob("*.eval")),
            "em_new": next(_run(tmp / "em_new", sets, {"g1", "g2"}, "new").glob("*.eval"))}


def _relabel(path: Path, checkpoint: str) -> None:
    """Rewrite the log at ``path`` with another checkpoint label in its header (the same
    eval, the same samples)."""
    log = read_eval_log(str(path))
    log.eval.metadata = {**(log.eval.metadata or {}), "checkpoint": checkpoint}
    write_eval_log(log, str(path))


def test_the_loaders_take_the_headers_read_and_do_not_read_them_again(logs, tmp_path):
    """A log changed on disk between the reading and the loading: the loader given the
    headers read counts the run under the header read then; read again, it would be the
    new one (as loading the path does, which shows the change is there to be seen)."""
    for name, load, label in (("base", load_belief_logs, lambda b: b.logs[0].checkpoint),
                              ("em_base", load_em_logs, lambda b: b.logs[0]["checkpoint"])):
        path = tmp_path / name / logs[name].name
        path.parent.mkdir()
        path.write_bytes(logs[name].read_bytes())
        read = read_logs(str(path.parent))
        assert log_kinds(read) == {"belief" if name == "base" else "EM": [str(path)]}
        _relabel(path, "after")
        assert label(load(str(path.parent))) == "after"
        assert label(load(read)) == "before", name


def test_an_unreadable_log_is_named_as_it_is_read_or_kept_for_the_loader(logs, tmp_path):
    """Named at once (the gate reads no other header after it); kept as its error where the
    reader is told to skip bad logs, for the loader to list."""
    junk = tmp_path / "x.eval"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(LogError, match="x.eval: not a readable Inspect log"):
        read_logs([str(logs["base"]), str(junk)])
    read = read_logs([str(logs["base"]), str(junk)], skip_bad=True)
    assert log_kinds(read) == {"belief": [str(logs["base"])]}
    with pytest.raises(LogError, match="x.eval: not a readable Inspect log"):
        load_belief_logs(read)
    assert len(load_belief_logs(read, skip_bad=True).skipped) == 1


COUNT_OPENS = """
import json, os, sys
from click.testing import CliRunner

opens = []
sys.addaudithook(lambda ev, args: ev == "open" and opens.append(str(args[0])))
from beliefbench.analysis.em_report import load_em_logs
from beliefbench.analysis.logs import load_belief_logs
from beliefbench.cli import cli

def count(run, path):
    opens.clear()
    run()
    return opens.count(path)

out = {}
for kind, load, base, new in (("belief", load_belief_logs, *sys.argv[1:3]),
                              ("EM", load_em_logs, *sys.argv[3:5])):
    gated = []
    out[kind] = {"loaded": count(lambda: load(base), base),
                 "gated": count(lambda: gated.append(CliRunner().invoke(
                     cli, ["gate", "--bootstrap", "100", "--baseline", base, "--candidate",
                           new])), base)}
    out[kind]["exit"], out[kind]["output"] = gated[0].exit_code, gated[0].output
print(json.dumps(out))
"""


def test_the_gate_opens_a_log_no_more_often_than_loading_it_does(logs):
    """Counted by Python's audit hook (every file ``open``), in a child process as a hook
    cannot be removed: the gate, which also tells the log's task, opens the baseline's log
    as often as loading it alone does (before: one header read more, 11 opens to 8)."""
    done = subprocess.run([sys.executable, "-c", COUNT_OPENS,
                           *map(str, (logs["base"], logs["new"], logs["em_base"],
                                      logs["em_new"]))],
                          capture_output=True, text=True, timeout=300, check=True)
    counts = json.loads(done.stdout.splitlines()[-1])
    for kind in ("belief", "EM"):
        assert counts[kind]["exit"] in (0, 1), counts[kind]["output"]  # a comparison made
        assert counts[kind]["loaded"] > 0, counts  # the hook sees the log's reads
        assert counts[kind]["gated"] == counts[kind]["loaded"], (kind, counts)
