"""Run identity: what is read from where, and what counts as a difference."""

from __future__ import annotations

import pytest
from conftest import FIXTURE_CLAIM, believer, keyword_grader, scripted
from inspect_ai import eval

from beliefbench.analysis.runs import (
    UNKNOWN,
    differing_fields,
    judge_mismatch,
    run_key,
    run_labels,
)
from beliefbench.task import belief


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    # an eval-level --max-tokens overrides the task's max_tokens for the model under test
    return eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=scripted(believer),
                model_roles={"grader": scripted(keyword_grader, name="kw")}, max_tokens=48,
                log_dir=str(tmp_path_factory.mktemp("logs")), display="none")[0]


def test_the_key_reads_the_tasks_record_grader_and_eval_overrides(log):
    key = run_key(log)
    fields = key.fields()
    assert fields["judge.mode"] == "model" and fields["judge.grader"] == "mockllm/kw"
    assert len(fields["judge.template"]) == 12  # a sha256 prefix, not a path
    assert fields["max_tokens"] == "48"  # not the task's 1024
    assert fields["samples"] == "1" and fields["claims"] == "glass_bridge"
    assert fields["binary_instruction"] == "system"  # changes the prompt: a setting
    assert "judge.max_failed" not in fields and "max_failed" not in fields


def test_older_logs_fall_back_to_task_args_and_unknown(log):
    old = log.model_copy(deep=True)
    md = old.eval.metadata["beliefbench"]
    del md["scoring"], md["settings"]
    fields = run_key(old).fields()
    assert fields["judge.temperature"] == "0" and fields["judge.template"] == "-"
    assert fields["samples"] == "1" and fields["max_tokens"] == "48"
    old.eval.task_args = {}
    old.plan.config.max_tokens = None
    fields = run_key(old).fields()
    assert fields["samples"] == UNKNOWN and fields["judge.temperature"] == UNKNOWN
    assert "judge.temperature" in judge_mismatch(run_key(old), run_key(old))  # unknown


def test_marker_judged_runs_ignore_grader_settings_and_self_judging_is_named(log):
    markers = log.model_copy(deep=True)
    markers.eval.metadata["beliefbench"]["scoring"]["judge"] = "markers"
    other = markers.model_copy(deep=True)
    other.eval.metadata["beliefbench"]["scoring"]["judge_temperature"] = 0.7
    other.eval.model_roles = None
    assert differing_fields([run_key(markers), run_key(other)]) == []
    selfjudged = log.model_copy(deep=True)
    selfjudged.eval.model_roles = None
    assert run_key(selfjudged).fields()["judge.grader"] == "self:mockllm/model"


def test_labels_name_only_what_differs_and_stay_distinct(log):
    a = run_key(log)
    twin = log.model_copy(deep=True)
    twin.eval.metadata["beliefbench"]["settings"]["samples"] = 3
    assert run_labels([a, run_key(twin), a]) == ["samples=1", "samples=3", "samples=1"]
    assert run_labels([a, a]) == ["-", "-"]


def test_model_arguments_are_keyed_but_not_serving_options_or_secrets(log):
    """`-M do_sample=false` changes what an hf model answers; it was in no run key, so such
    runs pooled with sampled ones. Where it runs, and any secret, never count."""
    assert not [f for f in run_key(log).fields() if f.startswith("model_args.")]
    built = log.model_copy(deep=True)
    built.eval.model_args = {"do_sample": False, "tokenizer": "tok", "device": "cuda:0",
                             "hf_token": "s3cret", "client_auth": "s3cret",
                             "gpu_memory_utilization": 0.5}
    fields = run_key(built).fields()
    assert {k: v for k, v in fields.items() if k.startswith("model_args.")} == {
        "model_args.do_sample": "false", "model_args.tokenizer": "tok"}
    assert "s3cret" not in str(run_key(built))
    assert differing_fields([run_key(log), run_key(built)]) == ["model_args.do_sample",
                                                                "model_args.tokenizer"]


def test_how_the_grader_is_served_is_no_judge_difference(log):
    """A grader bound with `max_connections` (or timeouts, retries) judges the same way;
    the gate refused such sides as "not judged alike"."""
    from inspect_ai.model import GenerateConfig

    served, hotter = log.model_copy(deep=True), log.model_copy(deep=True)
    served.eval.model_roles["grader"].config = GenerateConfig(max_connections=4, timeout=30)
    hotter.eval.model_roles["grader"].config = GenerateConfig(temperature=0.7)
    assert judge_mismatch(run_key(log), run_key(served)) == []
    assert judge_mismatch(run_key(log), run_key(hotter)) == ["judge.grader"]
    assert run_key(hotter).fields()["judge.grader"] == "mockllm/kw[temperature:0.7]"
