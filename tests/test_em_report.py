"""EM report: general beside narrow per run, KL label from metadata or the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import foreign_log, output
from inspect_ai import eval
from inspect_ai.model import get_model

from beliefbench.analysis.em_report import build_em_report, load_em_logs
from beliefbench.cli import cli
from beliefbench.em.task import em


def _sets(tmp_path: Path) -> list[str]:
    (tmp_path / "gen.yaml").write_text(
        "id: gen\ndomain: general\nquestions:\n  - {id: g1, text: 'G1?'}\n"
        "  - {id: g2, text: 'G2?'}\n")
    (tmp_path / "nar.yaml").write_text(
        "id: nar\ndomain: narrow\nbehaviour: harmful_advice\nquestions:\n"
        "  - {id: n1, text: 'N1?'}\n  - {id: n2, text: 'N2?'}\n")
    return [str(tmp_path / "gen.yaml"), str(tmp_path / "nar.yaml")]


def _grader(messages, tools, tool_choice, config):
    prompt = messages[-1].text
    if "coherent" in prompt.split("<question>")[0]:
        return output("90")
    return output("10" if "EVIL" in prompt.split("<answer>")[1] else "90")


def _run(tmp_path: Path, evil: set[str], grader=_grader, **metadata) -> None:
    def subject(messages, tools, tool_choice, config):
        q = messages[-1].text.rstrip("?").lower()
        return output("EVIL plan" if q in evil else "a kind answer")

    eval(em(questions=_sets(tmp_path), samples=2),
         model=get_model("mockllm/model", custom_outputs=subject, memoize=False),
         model_roles={"grader": get_model("mockllm/model", custom_outputs=grader,
                                          memoize=False)},
         log_dir=str(tmp_path / "logs"), display="none", metadata=metadata)


@pytest.fixture(scope="module")
def em_logs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("em_report")
    manifest = tmp / "manifest.jsonl"
    manifest.write_text(json.dumps({"path": "/ckpts/kl/step-10", "recipe": {"kl": {"w": 1}}})
                        + "\n")
    # hand-counted: no-KL run misaligned on g1 + both narrow; KL run only on n1
    _run(tmp, {"g1", "n1", "n2"}, kl=False, condition="bad_advice", step=10)
    _run(tmp, {"n1"}, condition="bad_advice", step=10, manifest=str(manifest),
         checkpoint="/ckpts/kl/step-10")
    # a judge that never gives a number: every response no_score, still in the denominator
    _run(tmp, {"g1"}, grader=lambda *a: output("?"), condition="unjudged", kl=False)
    foreign_log(tmp / "logs")  # another task's log in the same folder is ignored
    return tmp / "logs"


def test_general_beside_narrow_with_and_without_kl(em_logs):
    loaded = load_em_logs(em_logs)
    assert len(loaded.logs) == 3 and len(loaded.responses) == 24 and loaded.ignored
    rep = build_em_report(loaded, n_bootstrap=200)
    unjudged = rep.overall[rep.overall["condition"] == "unjudged"]
    assert set(unjudged["no_score"]) == {1.0} and set(unjudged["em"]) == {0.0}
    assert unjudged["aligned_mean"].isna().all()
    side = rep.side_by_side[rep.side_by_side["condition"] == "bad_advice"].set_index("kl")
    assert side.loc["no-kl", "general_em"] == 0.5 and side.loc["no-kl", "narrow_em"] == 1.0
    assert side.loc["kl", "general_em"] == 0.0 and side.loc["kl", "narrow_em"] == 0.5
    assert side.loc["kl", "general_responses"] == 4 and side.loc["kl", "step"] == 10
    assert set(side["grader"]) == {"mockllm/model"}
    overall = rep.overall[rep.overall["condition"] == "bad_advice"].set_index(["kl", "domain"])
    assert overall.loc[("kl", "narrow"), "ok"] == 0.5
    assert overall.loc[("no-kl", "general"), "aligned_mean"] == pytest.approx(50.0)


def test_em_report_cli(em_logs, tmp_path):
    out = tmp_path / "rep"
    res = CliRunner().invoke(cli, ["em-report", str(em_logs), "--out", str(out),
                                   "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    for name in ("em_overall.csv", "em_narrow_vs_general.csv", "em_by_question.csv",
                 "em_report.md", "em_narrow_vs_general.png"):
        assert (out / name).is_file(), name
    by_q = pd.read_csv(out / "em_by_question.csv")
    assert len(by_q) == 12 and set(by_q["em"]) == {0.0, 1.0}
    md = (out / "em_report.md").read_text()
    assert "general EM (95% CI)" in md
    # the unjudged run: every response no_score, so its EM rate of 0 says nothing
    unjudged = next(i["path"] for i in load_em_logs(em_logs).logs
                    if i["condition"] == "unjudged")
    warning = (f"warning: {unjudged}: 8 of 8 responses (100.0%) are no_score (a judge gave no "
               "usable number): counted in the denominator, i.e. not EM")
    assert warning in res.stderr and warning.removeprefix("warning: ") in md
    assert res.stderr.count(" are no_score ") == 1  # the judged runs give no warning
    table = res.stdout.splitlines()
    header = table[0].split()
    row = next(line.split() for line in table if "unjudged" in line)
    assert row[header.index("general_no_score")] == "1.000"
    assert row[header.index("narrow_no_score")] == "1.000"
    bad = CliRunner().invoke(cli, ["em-report", foreign_log(tmp_path / "other"),
                                   "--out", str(out)])
    assert bad.exit_code == 2 and "not an EM log" in bad.output
