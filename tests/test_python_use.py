"""The library as a notebook or script uses it: Python values (Paths, None, NumPy numbers)
for task parameters and analysis helpers, and errors that name the Python parameter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURE_CLAIM, believer, run_belief
from inspect_ai import eval

from beliefbench.analysis.gate import GateError, compare
from beliefbench.analysis.logs import LogError, load_belief_logs
from beliefbench.analysis.report import ReportError, build_report, question_frame, rates
from beliefbench.claims import bundled_claims_dir, load_claims
from beliefbench.metrics import grouped_bootstrap_ci, question_table, rate_table
from beliefbench.task import belief


def test_context_none_from_python_says_what_to_pass_instead():
    """None is refused (a blank -T context= is None too), in words a Python caller can act on:
    the value that means no context, not only the shell."""
    with pytest.raises(ValueError, match=r"^context: empty value \(None\); give the path of a "
                                         r"JSONL file, or 'none' \(the default\)"):
        belief(claims=str(FIXTURE_CLAIM), context=None)
    for name in ("claims", "families"):
        with pytest.raises(ValueError, match=rf"^{name}: empty value \(None\); .*, or 'all' "):
            belief(**{"claims": str(FIXTURE_CLAIM), name: None})


def test_paths_are_taken_wherever_a_file_is(tmp_path):
    """claims, context and judge_template given as pathlib.Path (claims as one Path, a Path
    to a directory, or a list of them) build the same task as their text; the log's
    metadata keeps the path as text."""
    context = tmp_path / "bundles.jsonl"
    context.write_text(json.dumps({"id": "b0", "text": "The bridge is steel."}) + "\n")
    template = Path(__file__).parents[1] / "scorers" / "judge.md"
    as_text = belief(claims=str(FIXTURE_CLAIM), context=str(context),
                     judge_template=str(template))
    for claims in (FIXTURE_CLAIM, [FIXTURE_CLAIM], [FIXTURE_CLAIM.parent / FIXTURE_CLAIM.name]):
        task = belief(claims=claims, context=context, judge_template=template)
        md = task.metadata["beliefbench"]
        assert md == as_text.metadata["beliefbench"]
        assert md["context"] == str(context) and isinstance(md["settings"]["context"], str)
        assert len(task.dataset) == len(as_text.dataset)
    with pytest.raises(ValueError, match=r"^context: no such file '.*missing.jsonl'$"):
        belief(claims=FIXTURE_CLAIM, context=tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match=r"^context: expected the path of a file, got 5$"):
        belief(claims=FIXTURE_CLAIM, context=5)  # -T context=5 (YAML makes it a number)


def test_load_claims_takes_a_path():
    """A Path to a folder was iterated as a sequence of names (TypeError)."""
    bundled = load_claims("all")
    assert [c.id for c in load_claims(bundled_claims_dir())] == [c.id for c in bundled]
    assert [c.id for c in load_claims([FIXTURE_CLAIM])] == [c.id for c in
                                                            load_claims(str(FIXTURE_CLAIM))]


def test_numpy_numbers_are_numbers(tmp_path):
    """A count or temperature computed with NumPy is taken, and logged as a plain number."""
    task = belief(claims=str(FIXTURE_CLAIM), samples=np.int64(1), max_tokens=np.int32(16),
                  temperature=np.float32(0.5), judge="markers", families="binary")
    settings = task.metadata["beliefbench"]["settings"]
    assert settings["samples"] == 1 and type(settings["samples"]) is int
    assert type(settings["max_tokens"]) is int
    log = eval(task, model="beliefbench/believer", log_dir=str(tmp_path), display="none")[0]
    assert log.status == "success", log.error


def test_a_string_by_is_one_dimension_not_its_letters(tmp_path):
    data = pd.DataFrame([{"claim": "a", "family": f, "question": q, "verdict": v}
                         for f, q, v in [("binary", "q1", "yes"), ("binary", "q1", "no"),
                                         ("open_ended", "q2", "no")]])
    questions = question_table(data)
    by_text = rate_table(questions, by="family")
    pd.testing.assert_frame_equal(by_text, rate_table(questions, by=["family"]))
    assert list(by_text["family"]) == ["binary", "open_ended"]
    logs = load_belief_logs(run_belief(tmp_path, believer, samples=1).location)
    q = question_frame(logs.responses)
    assert "family" in rates(q, "family").columns
    pd.testing.assert_frame_equal(rates(q, "claim,family"), rates(q, ["claim", "family"]))
    with pytest.raises(ReportError, match=r"^by / --by: unknown dimension\(s\) \['vibes'\]"):
        build_report(logs, by="vibes")


def test_python_callers_get_their_parameter_named():
    with pytest.raises(ValueError, match=r"^n_bootstrap: expected .* got -1$"):
        grouped_bootstrap_ci([(np.ones(2), np.ones(2))], n_bootstrap=-1)
    # compare checks its options before it reads either side
    with pytest.raises(GateError, match=r"^max_rise / --max-rise: must be"):
        compare(None, None, max_rise=5)  # type: ignore[arg-type]
    with pytest.raises(GateError, match=r"^max_no_answer / --max-no-answer: must be between"):
        compare(None, None, max_no_answer=2)  # type: ignore[arg-type]


def test_the_logs_eval_returns_are_read_as_they_are(tmp_path):
    """``load_belief_logs(eval(...))`` failed inside pathlib ("expected str ... not tuple")."""
    log = run_belief(tmp_path / "a", believer, samples=1)
    by_file = load_belief_logs(log.location).responses
    for sources in (log, [log], [Path(log.location)]):
        pd.testing.assert_frame_equal(load_belief_logs(sources).responses, by_file)
    with pytest.raises(LogError, match="an EvalLog with no location"):
        load_belief_logs([log.model_copy(update={"location": ""})])
    glob = (tmp_path / "a").glob("*.eval")  # an iterable of paths is a list of sources
    pd.testing.assert_frame_equal(load_belief_logs(glob).responses, by_file)
    for bad in (5, [5]):  # a bare TypeError ("'int' object is not iterable") before
        with pytest.raises(LogError, match=r"^sources: expected log files, folders or EvalLogs"):
            load_belief_logs(bad)
