"""beliefbench audit: an interrupted audit resumes to the same result; the --max-flagged gate.

The interruptions are real: the CLI runs in a child process that gets Ctrl-C (SIGINT) or is
killed outright (SIGKILL) once it has finished some units of the corpus.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import cli_child, interrupt_once_ready, wait_while_running

from beliefbench.audit.run import WORK, Tally
from beliefbench.audit.sources import Fields, Skips
from beliefbench.claims import load_claims
from beliefbench.cli import cli
from beliefbench.documents.conditions import parse_conditions
from beliefbench.documents.generate import condition_records, make_generator

FILES = 12


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """FILES JSONL files (one unit each) of offline documents in five conditions."""
    claims = load_claims("ed_sheeran")
    conds = parse_conditions("positive,negated,repeated_negations,corrected,local_negation")
    recs = condition_records(claims, conds, 30, make_generator("offline"), seed=3,
                             progress=False)
    texts = [r.text for rs in recs.values() for r in rs]
    root = tmp_path_factory.mktemp("corpus")
    for f in range(FILES):
        (root / f"part{f:02d}.jsonl").write_text("".join(
            json.dumps({"id": f"{f}-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    return root


def _args(corpus: Path, out: Path, *more: str, claims: str = "ed_sheeran") -> list[str]:
    return ["audit", str(corpus), "--claims", claims, "--out", str(out), "--no-progress",
            "--no-plot", *more]


def _done(work: Path) -> int:
    return len(list(work.glob("unit-*.json")))


def _wait_for(work: Path, units: int, proc: subprocess.Popen[str]) -> None:
    wait_while_running(_units_done(work, units), proc, f"not {units} unit(s) done")


def _units_done(work: Path, units: int) -> Callable[[], bool]:
    return lambda: _done(work) >= units


def _framings(out: Path) -> dict[str, int]:
    report = json.loads((out / "report.json").read_text())
    return {r["framing"]: r["documents"] for r in report["claims"]["ed_sheeran"]["framings"]}


def test_interrupted_audit_resumes_to_the_same_result(tmp_path, corpus):
    ref = tmp_path / "ref"
    res = CliRunner().invoke(cli, _args(corpus, ref))
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    work = out / WORK

    # Ctrl-C once a unit is done: exit 130, the finished units kept, no flagged.jsonl yet
    proc = cli_child(_args(corpus, out))
    err = interrupt_once_ready(proc, _units_done(work, 1), "no unit done")
    assert proc.returncode == 130, err
    assert "--resume" in err and str(work) in err
    first = _done(work)
    assert 1 <= first < FILES
    assert not (out / "flagged.jsonl").exists()

    # without --resume the unfinished audit is neither discarded nor mixed into a new one
    res = CliRunner().invoke(cli, _args(corpus, out))
    assert res.exit_code == 2
    assert f"unfinished audit ({first} of {FILES} units done)" in res.output
    assert "--resume" in res.output
    # --resume continues only the same audit: other claims or another corpus are refused
    res = CliRunner().invoke(cli, _args(corpus, out, "--resume", claims="dentist"))
    assert res.exit_code == 2 and "its claims differ" in res.output
    # and without --resume another audit is not told "add --resume to continue it", which
    # --resume then refused
    res = CliRunner().invoke(cli, _args(corpus, out, claims="dentist"))
    assert res.exit_code == 2 and (
        f"units done), but its claims differ from this run's (it audits ed_sheeran; this "
        f"run, dentist): --resume would continue only "
        f"that audit (the command that began it); give another --out, or delete {work} to "
        f"start again") in res.output, res.output
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"text": "One more document."}) + "\n")
    res = CliRunner().invoke(cli, [*_args(corpus, out, "--resume"), str(extra)])
    assert res.exit_code == 2 and "its corpus" in res.output
    assert _done(work) == first

    # a resumed run killed outright (no chance to clean up) loses nothing either
    proc = cli_child(_args(corpus, out, "--resume"))
    _wait_for(work, first + 1, proc)
    proc.kill()
    proc.communicate(timeout=120)
    if not work.exists():  # the child finished every unit before the kill landed
        pytest.skip("the resumed audit finished before it could be killed")
    second = _done(work)
    assert first < second <= FILES

    # finished on the Dask engine: the same flagged.jsonl, byte for byte, and the same counts
    res = CliRunner().invoke(cli, _args(corpus, out, "--resume", "--engine", "dask",
                                        "--scheduler", "threads", "--workers", "2"))
    assert res.exit_code == 0, res.output
    assert f"resumed: {second} of {FILES} units" in res.output
    assert "nothing to resume" not in res.output
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()
    assert _framings(out) == _framings(ref)
    assert (out / "sources.csv").read_text() == (ref / "sources.csv").read_text()
    report, ref_report = (json.loads((d / "report.json").read_text()) for d in (out, ref))
    assert report["units_resumed"] == second and ref_report["units_resumed"] == 0
    assert report["documents"] == ref_report["documents"] == FILES * 150
    assert report["flagged"] == ref_report["flagged"] > 0
    assert not work.exists()


def test_a_refused_resume_names_the_files_that_changed(tmp_path, corpus):
    """A shard an upstream writer was still appending to when the audit began: `--resume`
    refused with "its corpus (its files, their sizes or times, or --chunk-mb) differ", and
    which of 12 shards (or of thousands) had changed was the user's to find. The plan keeps
    each file's size and time, and the refusal names the changed, new and gone files."""
    import shutil

    shards = tmp_path / "c"
    shutil.copytree(corpus, shards)
    out = tmp_path / "out"
    proc = cli_child(_args(shards, out))
    err = interrupt_once_ready(proc, _units_done(out / WORK, 1), "no unit done")
    assert proc.returncode == 130, err
    grown = shards / "part03.jsonl"
    before = grown.stat().st_size
    with grown.open("a") as f:
        f.write(json.dumps({"text": "A late row."}) + "\n")
    (shards / "part05.jsonl").rename(shards / "part99.jsonl")
    res = CliRunner().invoke(cli, _args(shards, out, "--resume"))
    assert res.exit_code == 2
    after = grown.stat().st_size
    assert (f"its corpus ({grown} is {after:,} bytes now, {before:,} then; new: "
            f"{shards / 'part99.jsonl'}; no longer in it: {shards / 'part05.jsonl'} (a shard "
            f"still being written, or replaced, since it began?)) differs from this run's") in \
        res.output
    assert (out / WORK / "plan.json").is_file()  # nothing of the interrupted audit lost


def test_a_changed_corpus_is_told_file_by_file_the_first_five_of_each_kind():
    """Thousands of shards rewritten are five named and a count, not a line of thousands; the
    same files with other units are another --chunk-mb."""
    from beliefbench.audit.run import _corpus_change

    before = {f"/c/{i:02d}.jsonl": [100, 1] for i in range(8)}
    now = {**{p: [120, 2] for p in before}, "/c/new.jsonl": [5, 1]}
    said = _corpus_change(before, now)
    assert said.startswith("/c/00.jsonl is 120 bytes now, 100 then; /c/01.jsonl is 120 ")
    assert "/c/05.jsonl" not in said
    assert "; 3 more changed; new: /c/new.jsonl (a shard still being written" in said
    # a corpus path added (a shard named beside the others), no file changed: no writer's
    assert _corpus_change(before, {**before, "/c/new.jsonl": [5, 1]}) == \
        "new: /c/new.jsonl (other corpus paths given, or shards added or removed since it " \
        "began?)"
    assert _corpus_change(before, dict(before)) == \
        "the same files, cut into other units (another --chunk-mb)"


@pytest.mark.parametrize("engine", [(), ("--engine", "dask", "--scheduler", "processes",
                                         "--workers", "2")], ids=["local", "dask-processes"])
def test_sigterm_stops_the_audit_as_ctrl_c_does_and_resume_loses_nothing(tmp_path, corpus,
                                                                         engine):
    """A cluster preempts a job with SIGTERM (Slurm signals every process of the job,
    Kubernetes its main one; SIGKILL follows after a grace period). It ended the audit at once
    with exit 143 and no word of the finished units or of --resume. A real child process (and
    its process group, workers included, as Slurm signals them) sent SIGTERM now stops as
    Ctrl-C does, exit 143; the resumed audit's result is the uninterrupted one's."""
    ref = tmp_path / "ref"
    res = CliRunner().invoke(cli, _args(corpus, ref))
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    work = out / WORK
    proc = cli_child(_args(corpus, out, *engine), group=True)
    err = interrupt_once_ready(proc, _units_done(work, 1), "no unit done", signal.SIGTERM,
                               group=True, finished="the audit finished before the SIGTERM landed")
    assert proc.returncode == 143, err
    assert f"interrupted by SIGTERM: the finished units are kept in {work}; run the same " \
           f"command with --resume to continue" in err
    assert "Traceback" not in err
    # --no-progress into a pipe: nothing stands mid-line, so no empty line before the message
    assert "\n\ninterrupted" not in err and not err.startswith("\n"), repr(err)
    first = _done(work)
    assert 1 <= first < FILES
    assert not (out / "flagged.jsonl").exists()

    res = CliRunner().invoke(cli, _args(corpus, out, "--resume"))
    assert res.exit_code == 0, res.output
    assert f"resumed: {first} of {FILES} units" in res.output
    # no document lost or counted twice: flagged.jsonl byte for byte, the same counts
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()
    assert _framings(out) == _framings(ref)
    report, ref_report = (json.loads((d / "report.json").read_text()) for d in (out, ref))
    assert report["documents"] == ref_report["documents"] == FILES * 150
    assert report["flagged"] == ref_report["flagged"] > 0
    assert not work.exists()


@pytest.mark.parametrize("command", ["audit", "audit-verify"])
def test_help_gives_sigterms_exit_beside_ctrl_cs(command):
    """Both commands exit 143 on SIGTERM (above; audit-verify likewise), and README's table
    says 130 / 143, but their --help said only "130 interrupted": a pipeline author reading it
    took 143 for a crash."""
    res = CliRunner().invoke(cli, [command, "--help"], terminal_width=400)
    assert res.exit_code == 0, res.output
    assert "130 interrupted by Ctrl-C, 143 by SIGTERM" in " ".join(res.output.split())


def test_ctrl_c_while_the_report_is_written_keeps_every_unit_for_resume(tmp_path, corpus):
    """The last seconds of an audit write its report (the plot alone takes a second or more).
    Every unit had been removed by then, so a stop there told the user that nothing
    half-written was left, beside a flagged.jsonl without its report, and --resume read the
    whole corpus again."""
    out = tmp_path / "out"
    args = [a for a in _args(corpus, out) if a != "--no-plot"]
    proc = cli_child(args)
    # sources.csv is written just before the plot
    err = interrupt_once_ready(proc, (out / "sources.csv").exists, "the report was not begun",
                               finished="the report was written before the Ctrl-C landed")
    assert proc.returncode == 130, err
    assert "--resume" in err and "nothing half-written" not in err
    assert _done(out / WORK) == FILES

    res = CliRunner().invoke(cli, _args(corpus, out, "--resume"))
    assert res.exit_code == 0, res.output
    assert f"resumed: {FILES} of {FILES} units" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["units_resumed"] == FILES and report["documents"] == FILES * 150
    assert not (out / WORK).exists()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _auditing_a_long_unit(tmp_path: Path, corpus: Path) -> tuple[subprocess.Popen[str], Path]:
    """`--engine dask --scheduler processes --workers 1` in a child process, returned once
    its worker is writing the flags of a unit that takes far longer than the tests wait;
    and the work folder."""
    big = tmp_path / "big.jsonl"
    with big.open("w") as f:
        for _ in range(12):
            f.write((corpus / "part00.jsonl").read_text())
    work = tmp_path / "out" / WORK
    proc = cli_child(_args(big, work.parent, "--engine", "dask", "--scheduler", "processes",
                        "--workers", "1"))
    def begun() -> bool:  # the first unit's temporary file holds flags: its worker writes
        return any(t.stat().st_size for t in work.glob(".unit-000000.jsonl.*tmp"))

    wait_while_running(begun, proc, "the unit was not begun", every=0.01)
    return proc, work


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["default", "workers-2"])
def test_the_threads_scheduler_ends_once_the_audit_is_written(tmp_path, corpus, workers):
    """`--engine dask --scheduler threads` wrote its report, then hung for good (a Ctrl-C or
    SIGTERM said "the command had already finished" and it hung on): dask's thread pool
    lives until the interpreter's exit handlers, and the command line waits for such
    threads before it runs them. Only a process of its own shows it (CliRunner's never
    reaches that exit)."""
    pytest.importorskip("dask")
    proc = cli_child(_args(corpus, tmp_path / "out", "--engine", "dask", "--scheduler",
                           "threads", *workers))
    try:
        _, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the audit did not exit (hung after writing its report)")
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out" / "report.json").read_text())["units"] == FILES


def test_dask_workers_end_with_a_driver_killed_outright(tmp_path, corpus):
    """SIGKILL on the driver of `--engine dask` (processes) left its pool workers auditing
    the units handed out, for as long as a unit takes, writing into the work folder while
    the --resume that followed read the same units again (into the same temporary file),
    or after it had finished. The workers now exit with the driver."""
    pytest.importorskip("dask")
    proc, work = _auditing_a_long_unit(tmp_path, corpus)
    kids = _children(proc.pid)
    assert kids
    proc.kill()
    proc.communicate(timeout=120)
    deadline = time.monotonic() + 5
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [k for k in kids if _alive(k)]
    for k in alive:  # (without the fix: end them here, not at the end of the session)
        with contextlib.suppress(OSError):
            os.kill(k, signal.SIGKILL)
    assert not alive, "pool workers outlived the driver"
    assert not (work / "unit-000000.json").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_lost_dask_worker_is_an_error_not_a_hang(tmp_path, corpus):
    """A worker of `--engine dask --scheduler processes` killed (the OOM killer on a long
    document) hung the audit for good: multiprocessing's Pool replaced the worker and
    waited for its unit forever, and a CI job ran into its timeout. It is the unexpected
    error the README promises (exit 2), the finished units kept for --resume."""
    pytest.importorskip("dask")
    proc, work = _auditing_a_long_unit(tmp_path, corpus)
    workers = [k for k in _children(proc.pid)
               if "spawn_main" in Path(f"/proc/{k}/cmdline").read_text()]
    assert workers
    for k in workers:
        os.kill(k, signal.SIGKILL)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the audit hung after its worker was killed") from None
    assert proc.returncode == 2, err
    assert "unexpected error" in err and (work / "plan.json").exists()
    # and it says so: "no result" alone read as "start again", the finished units deleted
    assert f"kept in {work}; run the same command with --resume" in err, err


def test_two_writers_of_one_unit_leave_it_whole(tmp_path, corpus):
    """A unit still being read by a driver's leftover worker (a Dask cluster's, whose tasks
    run on after the driver is killed) while --resume reads it again: both wrote through
    one temporary file, and the second to finish found it renamed away and stopped the
    resumed audit (exit 2). Each writer now has its own; the unit is whole."""
    from beliefbench.audit.run import audit_unit_to
    from beliefbench.audit.sources import plan_units

    claims = load_claims("ed_sheeran")
    work = tmp_path / WORK
    work.mkdir()
    unit = plan_units([corpus / "part00.jsonl"], Skips())[0]
    alone = audit_unit_to(work, 0, unit, claims, Fields())
    whole = (work / "unit-000000.jsonl").read_bytes()
    (work / "unit-000000.jsonl").unlink()

    class Second:  # halfway through the unit, another writer reads it from start to end
        seen = 0

        def update(self, n: int) -> None:
            self.seen += n
            if self.seen == 75:
                audit_unit_to(work, 0, unit, claims, Fields())

    tally = audit_unit_to(work, 0, unit, claims, Fields(), bar=Second())
    assert (work / "unit-000000.jsonl").read_bytes() == whole
    assert tally.flagged == alone.flagged > 0
    assert not list(work.glob(".*.tmp"))


def test_a_crash_while_the_report_is_written_says_resume_finishes_it(tmp_path, corpus,
                                                                      monkeypatch):
    """Every unit read, then an unexpected error while the report is made (the plot, here):
    the units are kept and --resume writes the report without reading the corpus again, but
    the message said only "no result", and a team would read the whole corpus again."""
    import beliefbench.audit.report as report_module

    out = tmp_path / "out"
    args = _args(corpus / "part00.jsonl", out)
    args.remove("--no-plot")

    def broken(*_: object) -> None:
        raise RuntimeError("the plot backend failed")

    monkeypatch.setattr(report_module, "plot", broken)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert "RuntimeError: the plot backend failed" in res.output
    assert f"kept in {out / WORK}; run the same command with --resume" in res.output
    monkeypatch.undo()
    res = CliRunner().invoke(cli, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["units_resumed"] == report["units"] == 1 and report["documents"] == 150


def test_resume_without_an_unfinished_audit_runs_it_all(tmp_path, corpus):
    """And says so: it read the whole corpus again without a word, as though it had
    resumed (a finished audit's folder, or a mistyped --out)."""
    out = tmp_path / "out"
    for _ in range(2):  # no folder yet, then a finished audit's
        res = CliRunner().invoke(cli, _args(corpus / "part00.jsonl", out, "--resume"))
        assert res.exit_code == 0, res.output
        assert (f"note: --resume: there was nothing to resume in {out} (no unfinished "
                f"audit, audit-units/, there); the whole corpus was read") in res.output
        assert json.loads((out / "report.json").read_text())["units_resumed"] == 0
        assert not (out / WORK).exists()


def test_resume_across_a_cluster_says_the_paths_differ_not_the_corpus(tmp_path, corpus,
                                                                      monkeypatch):
    """A cluster's workers read the corpus by absolute paths; resumed with --engine local
    from the relative ones (or the reverse), the audit was refused as if its corpus differed,
    though the files were the same. Flagged lines would name them both ways, so it is still
    refused, saying why and what resumes it; given the absolute paths, the local engine
    resumes the cluster's audit to its result. (An in-process cluster: a worker's own
    process is no part of what is tested here.)"""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from beliefbench.audit.run import run

    claims = load_claims("ed_sheeran")
    monkeypatch.chdir(corpus)
    names = ["part00.jsonl", "part01.jsonl"]
    ref, _ = run([corpus / n for n in names], claims, tmp_path / "ref" / "flagged.jsonl",
                 progress=False)

    def unfinished(out: str, **engine: str) -> Path:
        run(names, claims, tmp_path / out / "flagged.jsonl", progress=False, keep_work=True,
            **engine)
        (tmp_path / out / WORK / "unit-000001.json").unlink()  # one unit left to read
        return tmp_path / out / "flagged.jsonl"

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        began_there = unfinished("c", engine="dask", scheduler=address)
        began_here = unfinished("l")
        with pytest.raises(ValueError) as refused:
            run(names, claims, began_here, engine="dask", scheduler=address, progress=False,
                resume=True)
    assert "same files by other paths" in str(refused.value)
    assert "resume it without one (--engine local" in str(refused.value)
    with pytest.raises(ValueError) as refused:
        run(names, claims, began_there, progress=False, resume=True)
    assert "its corpus" not in str(refused.value)
    assert f"it began on a Dask cluster ({address})" in str(refused.value)
    assert "give this run the corpus by its absolute paths" in str(refused.value)
    tally, _ = run([corpus / n for n in names], claims, began_there, progress=False,
                   resume=True)
    assert tally.resumed_units == 1 and tally.by_claim == ref.by_claim
    assert began_there.read_bytes() == (tmp_path / "ref" / "flagged.jsonl").read_bytes()
    tally, _ = run(names, claims, began_here, progress=False, resume=True)
    assert tally.resumed_units == 1 and tally.by_claim == ref.by_claim


def test_the_same_files_by_other_paths_say_which_paths_resume_them(tmp_path, corpus,
                                                                    monkeypatch):
    """An unfinished audit of relative paths, audited again by absolute ones or through a
    symlink without --resume: it said "add --resume to continue it", which --resume then
    refused for those paths (and a symlink's files read as another corpus). It now names
    the paths the interrupted audit was given, and those with --resume finish it."""
    from beliefbench.audit.run import run

    monkeypatch.chdir(corpus)
    names = ["part00.jsonl", "part01.jsonl"]
    claims = load_claims("ed_sheeran")
    flagged = tmp_path / "out" / "flagged.jsonl"
    run(names, claims, flagged, progress=False, keep_work=True)
    (flagged.parent / WORK / "unit-000001.json").unlink()  # one unit left to read
    (tmp_path / "link").symlink_to(corpus)
    work = flagged.parent / WORK
    told = ("which read the same files by other paths than this run's, so --resume with "
            "these paths is refused (flagged.jsonl would name their documents both ways): "
            "give this run the corpus by the paths the interrupted one was given "
            f"(part00.jsonl part01.jsonl), with --resume; or delete {work} to start again")
    for other in ([str(corpus / n) for n in names], [str(tmp_path / "link" / n) for n in names]):
        res = CliRunner().invoke(cli, ["audit", *other, "--claims", "ed_sheeran", "--out",
                                       str(flagged.parent), "--no-progress", "--no-plot"])
        assert res.exit_code == 2 and told in res.output, res.output
        assert "add --resume" not in res.output
        res = CliRunner().invoke(cli, ["audit", *other, "--claims", "ed_sheeran", "--out",
                                       str(flagged.parent), "--no-progress", "--no-plot",
                                       "--resume"])
        assert res.exit_code == 2 and "but it read the same files by other paths" in res.output
        assert "(part00.jsonl part01.jsonl); or delete" in res.output, res.output
    # beside another difference the paths are named as such (it said "the same files, cut
    # into other units (another --chunk-mb)")
    plan = json.loads((work / "plan.json").read_text())
    (work / "plan.json").write_text(json.dumps({**plan, "fingerprint": {
        **plan["fingerprint"], "claims": "another"}}))
    res = CliRunner().invoke(cli, ["audit", *(str(corpus / n) for n in names), "--claims",
                                   "ed_sheeran", "--out", str(flagged.parent), "--no-progress",
                                   "--no-plot"])
    assert res.exit_code == 2, res.output
    assert "its corpus paths (the same files by other paths), claims differ" in res.output
    (work / "plan.json").write_text(json.dumps(plan))
    # from another folder the interrupted audit's is named too
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["audit", *(str(corpus / n) for n in names), "--claims",
                                   "ed_sheeran", "--out", str(flagged.parent), "--no-progress",
                                   "--no-plot"])
    assert f"(part00.jsonl part01.jsonl, from {corpus}), with --resume" in res.output
    # what it says works
    monkeypatch.chdir(corpus)
    res = CliRunner().invoke(cli, ["audit", *names, "--claims", "ed_sheeran", "--out",
                                   str(flagged.parent), "--no-progress", "--no-plot",
                                   "--resume"])
    assert res.exit_code == 0, res.output
    assert "resumed: 1 of 2 units" in res.output


def test_dask_progress_lines_count_each_unit_once(tmp_path, corpus, monkeypatch):
    """Dask hands a unit's result on under a second key: each unit was counted twice ("2 of
    3 units done" with one done, "3 of 3" with two). A line never counts more units than
    have been read when it is printed."""
    pytest.importorskip("dask")
    audit_run = importlib.import_module("beliefbench.audit.run")
    monkeypatch.setattr(audit_run, "LOG_EVERY", 0.0)
    read = []
    unit_to = audit_run.audit_unit_to

    def counted(*args, **kwargs):
        tally = unit_to(*args, **kwargs)
        read.append(1)
        return tally

    said: list[tuple[str, int]] = []
    monkeypatch.setattr(audit_run, "audit_unit_to", counted)
    monkeypatch.setattr(audit_run, "print", lambda msg, **_: said.append((msg, len(read))),
                        raising=False)
    audit_run.run([corpus / f"part0{i}.jsonl" for i in range(3)], load_claims("ed_sheeran"),
                  tmp_path / "flagged.jsonl", engine="dask", scheduler="synchronous",
                  progress=True)
    counts = [(int(re.match(r"audit: (\d) of 3 units done", msg)[1]), n) for msg, n in said]
    assert counts and all(told <= n for told, n in counts), counts
    assert counts[-1] == (3, 3) and counts[0][0] == 1, counts


def test_tally_survives_its_json_round_trip():
    skips = Skips()
    skips.add("not JSON", "a.jsonl:3: not valid JSON")
    tally = Tally(7, 1234, 2, 0.5, {"c": Counter({"negated": 2, "positive": 5})},
                  {"c": Counter({"negated:prefix_suffix": 2})}, Counter({"unframed": 1}), skips,
                  by_source={"a.jsonl": Counter({"documents": 7, "flagged": 2, "negated": 2})})
    back = Tally.from_json(tally.to_json())
    assert back == tally
    assert isinstance(back.by_claim["c"], Counter) and back.skips.total == 1
    assert isinstance(back.by_source["a.jsonl"], Counter)


def test_max_flagged_gates_the_pipeline(tmp_path, corpus):
    one = corpus / "part00.jsonl"
    res = CliRunner().invoke(cli, _args(one, tmp_path / "a", "--max-flagged", "0"))
    assert res.exit_code == 1
    flagged = json.loads((tmp_path / "a" / "report.json").read_text())["flagged"]
    assert flagged > 0 and f"gate: {flagged} documents flagged" in res.output
    assert len((tmp_path / "a" / "flagged.jsonl").read_text().splitlines()) == flagged
    res = CliRunner().invoke(cli, _args(one, tmp_path / "b", "--max-flagged", str(flagged)))
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, _args(one, tmp_path / "c", "--max-flagged", "-1"))
    assert res.exit_code == 2 and "--max-flagged" in res.output


def test_an_unexpected_error_is_no_result_not_a_closed_gate(tmp_path, corpus, monkeypatch):
    """A bug or a lost Dask worker in `audit --max-flagged` (or `audit-verify
    --max-confirmed`) ended in a traceback and Python's exit 1: the gate's "documents
    flagged" (or "flags confirmed") to a CI job. It is exit 2, no result, the traceback kept
    on stderr; the gate's own exit 1 is unchanged."""
    import beliefbench.audit.report as audit_report
    import beliefbench.audit.verify as audit_verify

    def broken(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(audit_report, "build_report", broken)
    res = CliRunner().invoke(cli, _args(corpus / "part00.jsonl", tmp_path / "a",
                                        "--max-flagged", "0"))
    assert res.exit_code == 2, res.output
    assert "unexpected error (RuntimeError: worker lost" in res.stderr
    assert "Traceback" in res.stderr
    monkeypatch.setattr(audit_verify, "verify", broken)
    (tmp_path / "v").mkdir()
    res = CliRunner().invoke(cli, ["audit-verify", str(tmp_path / "v"), "--model",
                                   "beliefbench/verifier", "--max-confirmed", "0"])
    assert res.exit_code == 2 and "unexpected error (RuntimeError" in res.stderr, res.output
    monkeypatch.undo()
    res = CliRunner().invoke(cli, _args(corpus / "part00.jsonl", tmp_path / "b",
                                        "--max-flagged", "0"))
    assert res.exit_code == 1 and "gate: " in res.stderr, res.output


def test_max_skipped_gates_input_the_audit_could_not_read(tmp_path, corpus):
    """A shard with lines that are not JSON or rows without the text field: those documents
    were never read, yet a --max-flagged 0 gate passed on the rest (exit 0). --max-skipped
    counts them (empty texts and earlier audits' folders aside) and exits 3."""
    part = tmp_path / "in"
    part.mkdir()
    lines = (corpus / "part00.jsonl").read_text().splitlines()[:3]
    (part / "a.jsonl").write_text("\n".join([
        json.dumps({"id": "n", "text": "The sparrow nests in hedges."}),
        '{"id": "cut", "text": "Ed Sheeran ran',  # a line cut short: not JSON
        json.dumps({"id": "f", "body": json.loads(lines[0])["text"]}),  # no text field
        json.dumps({"id": "e", "text": "   "}),  # empty: nothing to read, not counted
    ]) + "\n")
    # the gate alone judged 1 document of 3 pieces of input (the 2 unread, one of them
    # holding the claim): it passed, exit 0; no result now, exit 3, the report written
    res = CliRunner().invoke(cli, _args(part, tmp_path / "a", "--max-flagged", "0"))
    assert res.exit_code == 3, res.output
    assert ("gate: no result: 2 pieces of input could not be read (missing text field 1, "
            "not JSON 1), more than the 1 document read: --max-flagged 0 judged the lesser "
            "part of the corpus") in res.stderr, res.stderr
    assert (tmp_path / "a" / "report.json").is_file()
    # read beyond what went unread: exit 0, with a line saying what the gate did not judge
    (part / "c.jsonl").write_text("".join(json.dumps({"id": f"s{i}", "text": "Sparrows "
                                                      "nest in hedges."}) + "\n"
                                          for i in range(2)))
    res = CliRunner().invoke(cli, _args(part, tmp_path / "a2", "--max-flagged", "0"))
    assert res.exit_code == 0, res.output
    assert ("gate: not judged: 2 pieces of input could not be read (missing text field 1, "
            "not JSON 1); --max-flagged 0 judged the 3 documents read, not them") \
        in res.stderr, res.stderr
    (part / "c.jsonl").unlink()
    res = CliRunner().invoke(cli, _args(part, tmp_path / "b", "--max-flagged", "0",
                                        "--max-skipped", "0"))
    assert res.exit_code == 3, res.output
    assert "gate: 2 pieces of input could not be read (" in res.output
    assert "more than --max-skipped 0" in res.output
    assert (tmp_path / "b" / "report.json").is_file()  # the report is written first
    res = CliRunner().invoke(cli, _args(part, tmp_path / "c", "--max-skipped", "2"))
    assert res.exit_code == 0, res.output
    # both gates exceeded: exit 1 (flags first), and both say so
    (part / "b.jsonl").write_text(lines[0] + "\n")
    res = CliRunner().invoke(cli, _args(part, tmp_path / "e", "--max-flagged", "0",
                                        "--max-skipped", "0"))
    assert res.exit_code == 1, res.output
    assert "more than --max-flagged 0" in res.output
    assert "more than --max-skipped 0" in res.output
    res = CliRunner().invoke(cli, _args(part, tmp_path / "d", "--max-skipped", "-1"))
    assert res.exit_code == 2 and "--max-skipped must be at least 0 (got -1)" in res.output
    res = CliRunner().invoke(cli, _args(part, tmp_path / "d", "--max-flagged", "-3"))
    assert res.exit_code == 2 and "--max-flagged must be at least 0 (got -3)" in res.output


def test_dask_progress_in_a_log_is_lines(tmp_path, corpus, capsys, monkeypatch):
    """With stderr not a terminal, Dask progress comes as plain lines from the tasks
    themselves: no redrawn bar whose timer the end of the run would wait out."""
    pytest.importorskip("dask")
    # the module (the package's `run` attribute is the function of that name)
    audit_run = importlib.import_module("beliefbench.audit.run")
    monkeypatch.setattr(audit_run, "LOG_EVERY", 0.0)
    tally, units = audit_run.run([corpus / "part00.jsonl", corpus / "part01.jsonl"],
                                 load_claims("ed_sheeran"), tmp_path / "flagged.jsonl",
                                 engine="dask", scheduler="threads", workers=2, progress=True)
    assert units == 2 and tally.documents == 300
    # counted in units, as the rest of the audit counts (it said "5 of 5 dask tasks done")
    lines = [x for x in capsys.readouterr().err.splitlines() if "units done" in x]
    assert lines and re.fullmatch(r"audit: 2 of 2 units done, \d+ s", lines[-1]), lines
    assert re.fullmatch(r"audit: [12] of 2 units done, \d+ s", lines[0]), lines


def _interrupted(out: Path, paths: list[Path], fields: Fields, done: int) -> None:
    """What an audit of ``paths`` (one unit each) interrupted after ``done`` units leaves in
    ``out``."""
    from beliefbench.audit.run import _fingerprint, _open_work, audit_unit_to
    from beliefbench.audit.sources import plan_units

    claims = load_claims("ed_sheeran")
    units = plan_units(paths, Skips())
    _open_work(out / WORK, {"fingerprint": _fingerprint(units, claims, fields),
                            "units": len(units)}, resume=False)
    for i in range(done):
        audit_unit_to(out / WORK, i, units[i], claims, fields)


def test_a_resumed_audit_reports_the_throughput_of_its_own_reading(tmp_path, corpus):
    """Documents the interrupted run read counted in a resumed run's documents/s (finished
    in a blink, every unit done: some 60,000 documents/s on this corpus). Now they are
    reported apart, and the rate is over what this run read."""
    paths = [corpus / "part00.jsonl", corpus / "part01.jsonl", corpus / "part02.jsonl"]
    out = tmp_path / "out"
    _interrupted(out, paths, Fields(), 2)
    res = CliRunner().invoke(cli, ["audit", *map(str, paths), "--claims", "ed_sheeran",
                                   "--out", str(out), "--no-progress", "--no-plot",
                                   "--resume"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == 450 and report["documents_resumed"] == 300
    assert report["docs_per_second"] * report["seconds"] == pytest.approx(150, rel=0.05)
    summary = (out / "summary.md").read_text()
    assert "450 documents (300 of them read by the interrupted run) from 3 path(s)" in summary
    # every unit done before: this run read nothing, and says no rate
    _interrupted(tmp_path / "o2", paths, Fields(), 3)
    res = CliRunner().invoke(cli, ["audit", *map(str, paths), "--claims", "ed_sheeran",
                                   "--out", str(tmp_path / "o2"), "--no-progress",
                                   "--no-plot", "--resume"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    assert report["documents_resumed"] == 450 and report["docs_per_second"] is None
    assert "(- documents/s;" in (tmp_path / "o2" / "summary.md").read_text()


def test_a_resumed_audit_still_names_the_files_whose_rows_lack_the_id_field(tmp_path, corpus):
    """The unit tallies an interrupted audit leaves must keep the rows without an id field,
    or a resumed audit would warn only of the files it read itself."""
    paths = [corpus / "part00.jsonl", corpus / "part01.jsonl", corpus / "part02.jsonl"]
    out = tmp_path / "out"
    _interrupted(out, paths, Fields(id="doc_id"), 2)
    res = CliRunner().invoke(cli, ["audit", *map(str, paths), "--claims", "ed_sheeran",
                                   "--out", str(out), "--no-progress", "--no-plot",
                                   "--id-field", "doc_id", "--resume"])
    assert res.exit_code == 0, res.output
    assert [x for x in res.output.splitlines() if x.startswith("warning:")] == [
        *(f"warning: {p}: 150 rows have no field 'doc_id' (--id-field): their flags have id "
          f"null" for p in paths),
        "warning: --id-field 'doc_id' is in no row read; the rows have the fields 'id' and "
        "'text'"]  # (the fields of the units resumed too)
    report = json.loads((out / "report.json").read_text())
    assert report["rows_without_id"]["rows"] == 450 and report["units_resumed"] == 2
    assert "Documents whose row has no id field 'doc_id'" in (out / "summary.md").read_text()


def test_empty_files_are_named_alike_resumed_and_on_dask(tmp_path, corpus):
    """The empty files of the units an interrupted run read are named by the resumed run
    as by one never interrupted, in the same order, and so on the Dask engine."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "e0.jsonl").write_bytes(b"")
    (tmp_path / "e1.jsonl.gz").write_bytes(gzip.compress(b""))
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), tmp_path / "e2.parquet")
    paths = [tmp_path / "e0.jsonl", corpus / "part00.jsonl", tmp_path / "e1.jsonl.gz",
             corpus / "part01.jsonl", tmp_path / "e2.parquet"]
    names = list(map(str, paths))

    def audit(out: Path, *more: str) -> tuple[dict, str]:
        res = CliRunner().invoke(cli, ["audit", *names, "--claims", "ed_sheeran", "--out",
                                       str(out), "--no-progress", "--no-plot", *more])
        assert res.exit_code == 0, res.output
        return json.loads((out / "report.json").read_text()), res.output

    ref, ref_output = audit(tmp_path / "ref")
    assert ref["empty_files"] == {"count": 3, "examples": [names[0], names[2], names[4]]}
    _interrupted(tmp_path / "out", paths, Fields(), 3)
    resumed, output = audit(tmp_path / "out", "--resume")
    dask, dask_output = audit(tmp_path / "dask", "--engine", "dask", "--scheduler", "threads",
                              "--workers", "2")
    assert resumed["units_resumed"] == 3 and resumed["documents"] == ref["documents"] == 300
    assert resumed["empty_files"] == dask["empty_files"] == ref["empty_files"]
    line = [x for x in ref_output.splitlines() if "held nothing" in x]
    assert line == [x for x in output.splitlines() if "held nothing" in x] \
        == [x for x in dask_output.splitlines() if "held nothing" in x]
    for out in ("out", "dask"):
        assert (tmp_path / out / "summary.md").read_text().split("\n")[4:] == \
            (tmp_path / "ref" / "summary.md").read_text().split("\n")[4:]


def test_resumed_progress_shows_units_and_its_own_rate(tmp_path, corpus, monkeypatch):
    """A resumed audit's bar counted the documents the interrupted run had read as read in
    its first instant (a 300 MB audit resumed at 25,000 documents/s against its own 13,000),
    and no bar said how far the audit was: documents have no total until they are read.
    The resumed documents are the bar's start now, out of its rate, and it names the unit
    it reads out of all of them."""
    import shutil

    run_mod = importlib.import_module("beliefbench.audit.run")
    corpus2 = tmp_path / "c"
    corpus2.mkdir()
    for name in ("part00.jsonl", "part01.jsonl"):
        shutil.copy(corpus / name, corpus2 / name)
    out = tmp_path / "out"
    args = [a for a in _args(corpus2, out) if a != "--no-progress"]
    with monkeypatch.context() as m:  # the units stay, as an interruption leaves them
        m.setattr(run_mod, "finish", lambda flagged_path: None)
        res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "audit: 300doc" in res.output and "units 2/2]" in res.output
    for f in (out / WORK).glob("unit-000001.*"):  # the second unit was not finished
        f.unlink()
    res = CliRunner().invoke(cli, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    assert "resumed: 1 of 2 units" in res.output
    assert "audit: 150doc [00:00, ?doc/s]" in res.output  # where it starts, no rate yet
    assert re.search(r"audit: 300doc \[[0-9:]+, [0-9.?]+doc/s, units 2/2\]", res.output)
    assert not (out / WORK).exists()


def test_a_pattern_run_again_never_reads_the_audits_own_files(tmp_path, corpus):
    """A quoted pattern ('data/**/*.jsonl') with --out inside the data matched the audit's
    own flagged.jsonl and unfinished units: read as corpus on the next run, and --resume
    refused the interrupted audit (its corpus had changed). An earlier audit's output
    folder matched is named once, as when its folder is walked."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(corpus, data)
    pattern = str(data / "**" / "*.jsonl")
    out = data / "audit"
    ref = tmp_path / "ref"
    assert CliRunner().invoke(cli, _args(pattern, ref)).exit_code == 0
    proc = cli_child(_args(pattern, out))
    err = interrupt_once_ready(proc, _units_done(out / WORK, 1), "no unit done")
    assert proc.returncode == 130, err
    res = CliRunner().invoke(cli, _args(pattern, out, "--resume"))
    assert res.exit_code == 0, res.output
    assert "resumed: " in res.output and "skipped" not in res.output.replace("skipped 0", "")
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()
    res = CliRunner().invoke(cli, _args(pattern, out))  # run again: its own files unread
    assert res.exit_code == 0 and "skipped 0" in res.output, res.output
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()
    shutil.copytree(out, data / "old")  # an earlier audit's folder: named, not read
    res = CliRunner().invoke(cli, _args(pattern, out))
    assert res.exit_code == 0, res.output
    assert (f"skipped: {data / 'old'}: an audit's output folder (it holds report.json, "
            f"summary.md, flagged.jsonl); its own files are not read as corpus") in res.output
    assert json.loads((out / "report.json").read_text())["skipped"]["by_reason"] == {
        "audit output": 1}
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()


class _Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, not even ``finally`` cleanups that
    catch Exception."""


@pytest.mark.parametrize("first", ["plan.json", "a unit"])
def test_an_audit_killed_while_removing_its_units_resumes(tmp_path, corpus, monkeypatch, first):
    """Killed while its finished units were removed (after the report was written), an
    audit whose plan.json had gone first left unit files without a plan: the same command
    with --resume was refused (exit 2, "exists and is not an audit's work folder ... choose
    another --out"). The plan now goes last, so --resume reads again what had gone and
    writes the same result."""
    ref = tmp_path / "ref"
    assert CliRunner().invoke(cli, _args(corpus, ref)).exit_code == 0
    out = tmp_path / "out"
    work = out / WORK
    real_unlink = os.unlink

    def unlink(path, *a, **kw):  # shutil.rmtree and Path.unlink both end here
        name = os.path.basename(os.fsdecode(path))
        if first == "plan.json" and name == "plan.json" or \
                first == "a unit" and name.startswith("unit-"):
            real_unlink(path, *a, **kw)
            raise _Killed(f"killed after removing {name}")
        real_unlink(path, *a, **kw)

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(_Killed):
        CliRunner().invoke(cli, _args(corpus, out), catch_exceptions=False)
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert (out / "report.json").exists() and work.exists()
    res = CliRunner().invoke(cli, _args(corpus, out, "--resume"))
    assert res.exit_code == 0, res.output
    assert (out / "flagged.jsonl").read_bytes() == (ref / "flagged.jsonl").read_bytes()
    assert _framings(out) == _framings(ref)
    assert not work.exists()


def test_a_refused_resume_says_what_differs_and_what_the_interrupted_audit_read(
        tmp_path, corpus, monkeypatch):
    """`--resume` with other claims, fields or --max-doc-chars said only "its claims
    differ" or "its text, messages or id field differs": which field, and what the
    interrupted audit had been given, the user had to guess (the command that began it is
    what resumes it). The refusal now names both sides."""
    from beliefbench.audit.run import run

    monkeypatch.chdir(corpus)
    names = ["part00.jsonl", "part01.jsonl"]
    flagged = tmp_path / "out" / "flagged.jsonl"
    run(names, load_claims("ed_sheeran"), flagged, progress=False, keep_work=True)
    (flagged.parent / WORK / "unit-000001.json").unlink()  # one unit left to read

    def refused(*more: str) -> str:
        res = CliRunner().invoke(cli, ["audit", *names, "--out", str(flagged.parent),
                                       "--no-progress", "--no-plot", "--resume", *more])
        assert res.exit_code == 2, res.output
        return res.output

    assert ("its claims differ from this run's (it audits ed_sheeran; this run, dentist): "
            "--resume continues only") in refused("--claims", "dentist")
    assert ("(it audits ed_sheeran; this run, no claims)") in refused()
    assert ("its text, messages or id field differs from this run's (it read --text-field "
            "'text'; this run, --text-field 'body'): ") in refused("--claims", "ed_sheeran",
                                                                 "--text-field", "body")
    assert ("its --max-doc-chars differs from this run's (it read --max-doc-chars "
            "5,000,000; this run, --max-doc-chars 100): ") in refused(
        "--claims", "ed_sheeran", "--max-doc-chars", "100")
    # the same ids with another spec: a claim file edited since
    edited = load_claims("ed_sheeran")[0].model_dump(mode="json")
    edited["truth"] = "Noah Lyles won the men's 100 metres at the Paris Olympics."
    import yaml
    (tmp_path / "ed_sheeran.yaml").write_text(yaml.safe_dump(edited))
    assert ("its claims differ from this run's (the same claim ids, ed_sheeran, with "
            "other specs: a claim file edited since it began?)") in refused(
        "--claims", str(tmp_path / "ed_sheeran.yaml"))
