"""Per-log warnings of one kind from many logs are one console line (real belief logs of
scripted mockllm runs): `report` printed one PARTIAL, INCOMPLETE or LIMIT line per log, and
`gate` and `sweep` warned once per log or checkpoint, which on a folder of 50 logs buried
the table. Each log's own warning is kept (report.md, report.json, `gate --json`)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, believer, keyword_grader, output, scripted, write_claim
from inspect_ai import eval
from inspect_ai.log import EvalLog
from inspect_ai.model import get_model
from test_limits import TOKEN_LIMIT, skeptic, wordy
from test_report import flaky_grader

from beliefbench.claims import load_claim
from beliefbench.cli import cli
from beliefbench.task import belief

LOGS = 4
"""Logs of each kind: above the three from which a warning is grouped."""


def _runs(log_dir: Path, subject, grader=keyword_grader, **options) -> list[EvalLog]:
    """``LOGS`` belief evals of the fixture claim in one Inspect call (each its own log)."""
    logs = eval([belief(claims=str(FIXTURE_CLAIM), samples=2) for _ in range(LOGS)],
                model=subject, model_roles={"grader": scripted(grader)},
                log_dir=str(log_dir), display="none", **options)
    assert len({log.location for log in logs}) == LOGS
    return logs


def _lines(text: str, start: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(start)]


def test_report_gives_partial_incomplete_and_limit_logs_one_line_each_keeping_every_log(
        tmp_path):
    logs = tmp_path / "logs"
    partial = _runs(logs / "partial", scripted(believer), flaky_grader,
                    metadata={"condition": "partial"})
    assert {log.status for log in partial} == {"error"}
    incomplete = _runs(logs / "incomplete", scripted(believer), limit=2,
                       metadata={"condition": "incomplete"})
    limited = _runs(logs / "limited", wordy(believer), token_limit=TOKEN_LIMIT,
                    metadata={"condition": "limited"})
    lost = [sum(s.limit is not None for s in log.samples) for log in limited]
    assert all(lost)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["report", str(logs), "--out", str(out), "--no-plots",
                                 "--bootstrap", "40"])
    assert r.exit_code == 0, r.output
    notes = json.loads((out / "report.json").read_text())["notes"]
    md = (out / "report.md").read_text().splitlines()
    held = sum(len(log.samples) for log in incomplete)
    whole = {log.location: len(log.samples) for log in limited}
    for kind, runs, words in (
            ("PARTIAL", partial, f"(status 'error', in all {sum(len(x.samples) for x in partial)}"
                                 " responses; error: "),
            ("INCOMPLETE", incomplete, f"), in all: {held} of "),
            ("LIMIT", limited, f"), in all: {sum(lost)} of {sum(whole.values())} responses")):
        (said,) = _lines(r.stderr, f"warning: {kind}: ")
        assert said.startswith(f"warning: {kind}: {LOGS} logs ("), said
        assert f" and {LOGS - 2} more" in said and words in said, said
        assert sum(log.location in said for log in runs) == 2
        assert said.endswith("report.md's Warnings, report.json's notes"), said
        # every log's own warning: in report.json, and in report.md under the grouped one
        own = sorted(n for n in notes if n.startswith(f"{kind}: "))
        assert len(own) == LOGS
        assert [n.startswith(f"{kind}: {log.location}") for n, log in
                zip(own, sorted(runs, key=lambda x: x.location), strict=True)] == [True] * LOGS
        at = md.index("- " + said.removeprefix("warning: "))
        assert sorted(md[at + 1:at + 1 + LOGS]) == [f"  - {n}" for n in own]
    # the three rows pool four evals each: said so, not "12 evals pooled in one row"
    (said,) = _lines(r.stderr, "warning: REPEATED: ")
    assert f"was answered by {3 * LOGS} evals pooled in 3 rows, several in each (" in said
    # the grouped PARTIAL says how to resume them; each log's note names its own command
    (said,) = _lines(r.stderr, "warning: PARTIAL: ")
    assert "`inspect eval-retry <log> --log-dir <its folder>` resumes each" in said
    assert all(f"inspect eval-retry {log.location} --log-dir" in n
               for n, log in zip(sorted(n for n in notes if n.startswith("PARTIAL: ")),
                                 sorted(partial, key=lambda x: x.location), strict=True))
    # the grouped LIMIT counts each log's hits by limit and names the limit to raise
    (said,) = _lines(r.stderr, "warning: LIMIT: ")
    assert f"({sum(lost)} at the token limit ({TOKEN_LIMIT}))" in said
    assert "raise the limit (--token-limit)" in said
    # two logs of a kind: each its own line, as before
    two = CliRunner().invoke(cli, ["report", partial[0].location, partial[1].location,
                                   "--out", str(tmp_path / "two"), "--no-plots",
                                   "--bootstrap", "40"])
    assert two.exit_code == 0, two.output
    assert sorted(_lines(two.stderr, "warning: PARTIAL: ")) == sorted(
        f"warning: {n}" for n in json.loads((tmp_path / "two" / "report.json").read_text())
        ["notes"] if n.startswith("PARTIAL: "))
    assert len(_lines(two.stderr, "warning: PARTIAL: ")) == 2


def test_gate_text_gives_a_sides_logs_one_line_per_kind_and_json_keeps_each(tmp_path):
    """A candidate split by claim, one log per claim, each with one answer lost to the
    token limit (within every budget): the text output said one LIMIT note per log."""
    claim = load_claim(FIXTURE_CLAIM)
    claims = [FIXTURE_CLAIM, *(write_claim(claim.model_copy(update={"id": f"glass_{n}"}),
                                           tmp_path / f"glass_{n}.yaml") for n in (2, 3))]
    eval(belief(claims=",".join(map(str, claims)), samples=3), model=wordy(skeptic),
         model_roles={"grader": scripted(keyword_grader)}, log_dir=str(tmp_path / "base"),
         display="none", token_limit=TOKEN_LIMIT)

    def once_long(prompt: str, said: list[str]) -> str:
        if "Fill in the blank" in prompt:
            said.append(prompt)
            if len(said) == 1:
                return "glass glass glass glass glass glass glass"
        return "glass" if "JSON" not in prompt else believer(prompt)

    cand = []
    for c in claims:
        said: list[str] = []
        (log,) = eval(belief(claims=str(c), samples=3),
                      model=wordy(lambda p, said=said: once_long(p, said)),
                      model_roles={"grader": scripted(keyword_grader)},
                      log_dir=str(tmp_path / "cand"), display="none", token_limit=TOKEN_LIMIT)
        assert sum(s.limit is not None for s in log.samples) == 1
        cand.append(log.location)
    args = ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"),
            "--bootstrap", "200"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code in (0, 1), r.output  # compared
    (said,) = _lines(r.stdout, "note: candidate: LIMIT: ")
    assert said.startswith("note: candidate: LIMIT: 3 logs (") and " and 1 more; " in said
    assert "in all: 3 of " in said and sum(path in said for path in cand) == 2
    assert said.endswith("each log's count: `beliefbench gate --json`'s notes"), said
    js = CliRunner().invoke(cli, [*args, "--json"])
    notes = json.loads(js.stdout)["notes"]
    own = [n for n in notes if n.startswith("candidate: LIMIT: ")]
    assert sorted(n.split(": ")[2] for n in own) == sorted(cand)


def test_sweep_gives_mute_checkpoints_one_no_answer_line(tmp_path, monkeypatch):
    """Each mute checkpoint's share is on its `ok (no answer text: ...)` line; the warning
    after them was one line per checkpoint."""
    import beliefbench.analysis.sweep as sweep_module

    def model(name: str, text: str):
        return get_model(f"mockllm/{name}", custom_outputs=lambda *_: output(text),
                         memoize=False)

    mute = [f"mute{i}" for i in range(LOGS)]
    models = {f"mockllm/{n}": model(n, "") for n in mute}
    models["mockllm/talker"] = model("talker", "Glass since 2021.")
    real = sweep_module.targets_from_models
    monkeypatch.setattr(sweep_module, "targets_from_models",
                        lambda names, condition=None: real([models[n] for n in names],
                                                           condition))
    args = ["sweep", *[a for n in models for a in ("--model", n)], "--claims",
            str(FIXTURE_CLAIM), "-T", "samples=1", "-T", "judge=markers", "--log-dir",
            str(tmp_path / "logs")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    rows = _lines(r.stdout, "ok (no answer text: 100%) ")
    assert sorted(row.split()[5].rstrip(":") for row in rows) == \
        sorted(f"mockllm/{n}" for n in mute)
    (said,) = _lines(r.stderr, "warning: NO ANSWER TEXT")
    assert said.startswith(f"warning: NO ANSWER TEXT: {LOGS} checkpoints (mockllm/mute0, "
                           f"mockllm/mute1 and {LOGS - 2} more; 100.0% in each), in all: "
                           f"{7 * LOGS} of {7 * LOGS} responses (100.0%)"), said
    assert said.endswith("each checkpoint's count: its `ok (no answer text: N%)` line above")


def test_sweep_gives_checkpoints_reused_unchecked_one_warning_before_the_evals(tmp_path,
                                                                              caplog):
    """An older sweep's logs record no hash of the judge template: re-run, each checkpoint
    was one warning line before the first eval (50 checkpoints, 50 lines); from three, one
    line counts them, and each checkpoint's folder is on its line at the end."""
    from inspect_ai.log import read_eval_log, write_eval_log

    from beliefbench.analysis.runs import TASK_KEY
    from beliefbench.analysis.sweep import run_sweep, targets_from_models

    logs = tmp_path / "logs"
    models = [get_model(f"mockllm/m{i}", custom_outputs=lambda *_: output("Glass."),
                        memoize=False) for i in range(LOGS)]

    def sweep(targets):
        return run_sweep(targets_from_models(targets, "plain"), logs,
                         claims=str(FIXTURE_CLAIM),
                         task_args={"samples": 1, "families": "open_ended"},
                         model_roles={"grader": "beliefbench/judge"}, display="none")

    assert all(o.success for o in sweep(models))
    for path in sorted(logs.rglob("*.eval")):
        old = read_eval_log(str(path))
        del old.eval.metadata[TASK_KEY]["scoring"]["judge_template_sha256"]
        write_eval_log(old, str(path))

    def warned(targets) -> list[str]:
        caplog.clear()
        outcomes = sweep(targets)
        assert all(o.success and o.reused for o in outcomes)
        return [r.getMessage() for r in caplog.records if "no hash" in r.getMessage()]

    (said,) = warned(models)
    assert said.startswith(f"{LOGS} checkpoints (mockllm/m0, mockllm/m1 and {LOGS - 2} more): "
                           "their logs record no hash of judge_template"), said
    assert said.endswith("each checkpoint: its folder on its line at the end"), said
    # two: each its own warning, naming its folder, as before
    two = warned(models[:2])
    assert len(two) == 2 and all(" a log of mockllm/m" in w and "move " in w for w in two)


def test_grouped_partial_adds_up_what_the_logs_hold_and_says_how_to_resume_them():
    """em-report's PARTIAL (its own words per log: `, 2 of 6 responses`) goes through the
    same grouping: held responses added up, the one reason they share, and for logs an eval
    set wrote, the sweep's command run again; each log's own words are unchanged."""
    from beliefbench.analysis.logs import (
        INVALIDATED,
        grouped_notes,
        kept_in,
        partial_note,
        resume_note,
        resume_way,
    )

    def em_partial(path: str, held: int, asked: int):
        return partial_note(path, "success", f", {held} of {asked} responses", INVALIDATED,
                            resume_note(path, "success", True), resume_way("success", True),
                            held, asked)

    notes = [em_partial(f"{n}.eval", held, 6) for n, held in (("a", 2), ("b", 6), ("c", 5))]
    assert notes[0].note == (f"PARTIAL: a.eval (status 'success', 2 of 6 responses; "
                             f"{INVALIDATED}): shown as partial=True, never pooled with "
                             f"complete logs{resume_note('a.eval', 'success', True)}")
    ((said, each),) = grouped_notes(notes, kept_in("em_report.md", "em_report.json"))
    assert each == [n.note for n in notes]
    assert said.startswith("PARTIAL: 3 logs (a.eval, b.eval and 1 more) (status 'success', "
                           f"in all 13 of 18 responses (5 never run: in no count); "
                           f"{INVALIDATED}): shown as partial=True"), said
    assert "command that wrote them again: it resumes them" in said
    assert said.endswith("; each log: em_report.md's Warnings, em_report.json's notes")
    # logs of two statuses are two groups, each below three: each log said on its own
    mixed = [*notes[:2], partial_note("d.eval", "error", ", 1 responses", "", "", "retry", 1,
                                      None)]
    assert [s for s, _ in grouped_notes(mixed)] == [n.note for n in mixed]


def test_grouped_partial_of_logs_kept_in_place_of_started_retries_says_to_wait_for_them():
    """Three partial logs each kept in place of its newer retry, still 'started' (one that
    may be live, holding fewer answers): each one's PARTIAL note says to wait for that retry
    to end before resuming, but the grouped line, grouped with the logs of its status
    resumed at once, said only `... resumes each`, which beside a live retry runs its
    samples twice. It says to wait for each log's retry, and is a group of its own."""
    from beliefbench.analysis.logs import LogInfo, grouped_notes, partial_log
    from beliefbench.analysis.runs import RunKey

    def info(n: int, retry: str) -> LogInfo:
        return LogInfo(path=f"/logs/{n}.eval", model="m/x", status="error", task_id=str(n),
                       created="", checkpoint="-", condition="-", step=None,
                       key=RunKey((), ()), error="boom", samples=3, expected=7,
                       retry_started=retry)

    wait = ("still 'started' and may still be running (wait for it to end: an eval-retry "
            "beside a live eval runs its samples twice), or its process was killed before it "
            "wrote the samples it copies (then once ")
    notes = [partial_log(info(n, f"/logs/retry-{n}.eval")) for n in range(3)]
    assert all(f"; its retry /logs/retry-{n}.eval is {wait}its cause is fixed, `inspect "
               f"eval-retry /logs/{n}.eval --log-dir /logs` resumes it)" in note.note
               for n, note in enumerate(notes))
    ((said, each),) = grouped_notes(notes)
    assert each == [n.note for n in notes]
    assert (f"; each log's retry (named in its own note) is {wait}the cause is fixed, "
            "`inspect eval-retry <log> --log-dir <its folder>` resumes each); each log: "
            in said), said
    # beside logs of that status with no retry started, they are no group: each said alone
    plain = [partial_log(info(n, "")) for n in range(3, 5)]
    lines = [s for s, _ in grouped_notes([notes[0], *plain])]
    assert lines == [notes[0].note, *(n.note for n in plain)]
