"""Run identity: what is read from where, and what counts as a difference."""

from __future__ import annotations

import itertools

import pytest
from conftest import FIXTURE_CLAIM, believer, keyword_grader, scripted
from inspect_ai import eval

from beliefbench.analysis.runs import (
    NOT_APPLICABLE,
    UNKNOWN,
    differing_fields,
    distinct_values,
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
    assert fields["samples"] == "1"  # the epochs it ran: the eval's own record
    old.eval.config.epochs = None
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
    twin.eval.config.epochs = 3  # as -T samples=3 runs
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


def test_a_key_inside_a_header_argument_is_never_keyed(log):
    """``-M default_headers={Authorization: Bearer ...}`` (or the grader's) carries a key
    under no key-like argument name; Inspect logs it, and the report's run key and labels
    showed it. The header's other entries still key the run."""
    built = log.model_copy(deep=True)
    built.eval.model_args = {"default_headers": {"Authorization": "Bearer s3cret-tok",
                                                 "X-Trace": "on"},
                             "extra_headers": {"X-Api-Key": "s3cret-xak"}}
    built.eval.model_roles["grader"].args = {"default_headers": {"api-key": "s3cret-az"}}
    fields = run_key(built).fields()
    assert fields["model_args.default_headers"] == "X-Trace:on", fields
    assert "s3cret" not in str(run_key(built)) and "extra_headers" not in str(fields)
    assert judge_mismatch(run_key(log), run_key(built)) == []


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



def test_the_graders_model_arguments_tell_judges_apart(log):
    """Two local judges bound as `grader={model: hf/judge, model_args: {model_path: ...}}`
    share a model name; their run keys were alike, so the report pooled their verdicts
    and the gate compared them as judged alike. How and where the grader is served, and a
    secret, still never count."""
    a, b, served = (log.model_copy(deep=True) for _ in range(3))
    a.eval.model_roles["grader"].args = {"model_path": "/ckpts/judge-a", "do_sample": False}
    b.eval.model_roles["grader"].args = {"model_path": "/ckpts/judge-b", "do_sample": False}
    served.eval.model_roles["grader"].args = {"device": "cuda:1", "hf_token": "s3cret",
                                              "custom_outputs": None}
    assert judge_mismatch(run_key(a), run_key(b)) == ["judge.grader"]
    assert run_key(a).fields()["judge.grader"] == (
        "mockllm/kw[model_args.do_sample:false,model_args.model_path:/ckpts/judge-a]")
    assert judge_mismatch(run_key(log), run_key(served)) == []
    assert "s3cret" not in str(run_key(served))


def _marker_judged(log):
    markers = log.model_copy(deep=True)
    markers.eval.metadata["beliefbench"]["scoring"]["judge"] = "markers"
    return markers


def test_a_marker_run_beside_a_model_run_differs_in_mode_not_in_judge_settings(log):
    """A markers-judged dry run read with a model-judged eval: the report said they differ in
    `grader (mockllm/kw, unknown), judge.max_tokens (1024, unknown), sees (question,
    unknown), ...` and labelled the markers row `(5 unrecorded)`, the words for what an
    older beliefbench did not record; the marker judge has no grader or template at all."""
    marked, model = run_key(_marker_judged(log)), run_key(log)
    for name in ("judge.grader", "judge.template", "judge.temperature", "judge.max_tokens",
                 "judge.sees"):
        assert marked.field(name) == NOT_APPLICABLE != UNKNOWN, name
    assert marked.unknown == []
    assert differing_fields([marked, model]) == ["judge.mode"]
    assert distinct_values(["judge.mode"], [marked, model]) == "mode (markers, model)"
    assert run_labels([marked, model]) == ["mode=markers", "mode=model"]
    # the gate refuses the pair as before, naming what differs
    assert judge_mismatch(marked, model) == judge_mismatch(model, marked) == ["judge.mode"]
    # two graders and a marker run: the graders differ, the marker run shows n/a
    other = log.model_copy(deep=True)
    other.eval.model_roles["grader"].model = "mockllm/other"
    keys = [marked, model, run_key(other)]
    assert differing_fields(keys) == ["judge.mode", "judge.grader"]
    assert distinct_values(["judge.grader"], keys) == "grader (mockllm/kw, mockllm/other, n/a)"
    assert run_labels(keys) == ["mode=markers", "grader=mockllm/kw mode=model",
                                "grader=mockllm/other mode=model"]


def test_older_logs_keep_unknown_and_an_older_marker_log_has_no_judge_settings(log):
    old = log.model_copy(deep=True)
    md = old.eval.metadata["beliefbench"]
    del md["scoring"], md["settings"]
    old.eval.task_args = {}  # records its mode (metadata `judge`), not its judge settings
    assert run_key(old).field("judge.template") == UNKNOWN
    assert run_key(old).field("judge.sees") == UNKNOWN  # not recorded by older versions
    old_markers = old.model_copy(deep=True)
    old_markers.eval.task_args = {"judge": "markers"}
    assert run_key(old_markers).field("judge.template") == NOT_APPLICABLE
    keys = [run_key(old), run_key(old_markers)]
    assert "judge.template" in run_key(old).unknown  # "do not record ... (older beliefbench)"
    assert not [f for f in run_key(old_markers).unknown if f.startswith("judge.")]
    assert differing_fields(keys) == ["judge.mode"]  # not template (unknown, n/a)
    assert judge_mismatch(*keys) == ["judge.mode"]
    assert "judge.template" in judge_mismatch(keys[0], keys[0])  # unknown: never alike
    assert run_labels(keys) == ["mode=model", "mode=markers"]


def _variants(log) -> list:
    """Logs that are each another run, or the same run, in every judge-related way."""
    old = log.model_copy(deep=True)
    del old.eval.metadata["beliefbench"]["scoring"], old.eval.metadata["beliefbench"]["settings"]
    bare = old.model_copy(deep=True)
    bare.eval.task_args = {}
    old_markers = old.model_copy(deep=True)
    old_markers.eval.task_args = {**old.eval.task_args, "judge": "markers"}
    marked = _marker_judged(log)
    hot_marked = marked.model_copy(deep=True)
    hot_marked.eval.metadata["beliefbench"]["scoring"]["judge_temperature"] = 0.7
    hot = log.model_copy(deep=True)
    hot.eval.metadata["beliefbench"]["scoring"]["judge_temperature"] = 0.7
    selfjudged, no_mode = log.model_copy(deep=True), log.model_copy(deep=True)
    selfjudged.eval.model_roles = None
    del no_mode.eval.metadata["beliefbench"]["scoring"]["judge"]
    samples = marked.model_copy(deep=True)
    samples.eval.metadata["beliefbench"]["settings"]["samples"] = 3
    samples.eval.config.epochs = 3  # as -T samples=3 runs
    return [log, old, bare, old_markers, marked, hot_marked, hot, selfjudged, no_mode, samples]


def test_not_applicable_fields_never_make_two_runs_look_alike(log):
    """Whatever is left out as n/a, every two different runs still differ in some listed
    field, get different labels, and the gate's judge check refuses exactly the pairs it
    refused when the missing fields read `unknown`: those judged differently, or whose
    judge is not fully recorded."""
    keys = [run_key(v) for v in _variants(log)]
    assert len(set(keys)) == len(keys) - 1  # the marker run at another temperature is one
    for a, b in itertools.product(keys, repeat=2):
        assert bool(differing_fields([a, b])) == (a != b)
        if a != b:
            assert len(set(run_labels([a, b]))) == 2, (a, b)
        refused_before = a.judge != b.judge or UNKNOWN in dict(a.judge).values()
        assert bool(judge_mismatch(a, b)) == refused_before, (a, b)
    labels = run_labels(keys)
    assert len(set(labels)) == len(set(keys)) and not any("unrecorded" in lab and n in (
        4, 5, 9) for n, lab in enumerate(labels))  # marker runs record all that applies


def test_a_label_lists_what_sets_its_run_apart_first_so_a_cut_keeps_it(log):
    """Labels listed the differing fields in one fixed order and were cut at 80 characters:
    `mode=model claims=ed_sheeran families=open_ended+binary+token_association+robus…`, and
    the field that told two rows apart (here `samples`) was cut off."""
    short, long = log.model_copy(deep=True), log.model_copy(deep=True)
    short.eval.metadata["beliefbench"]["settings"]["families"] = ["open_ended"]
    long.eval.metadata["beliefbench"]["settings"]["families"] = [
        "open_ended", "binary", "token_association", "robustness", "multi_turn"]
    twin = long.model_copy(deep=True)
    twin.eval.metadata["beliefbench"]["settings"]["samples"] = 3
    twin.eval.config.epochs = 3  # as -T samples=3 runs
    keys = [run_key(short), run_key(long), run_key(twin)]
    labels = run_labels(keys, width=40)
    assert labels[1].startswith("samples=1 ") and labels[2].startswith("samples=3 ")
    assert labels[0].startswith("families=open_ended ")
    assert all("#" not in lab for lab in labels)  # told apart without numbering
    assert run_labels(keys) == [
        "families=open_ended samples=1",
        "samples=1 families=…+binary+token_association+robustness+multi_turn",
        "samples=3 families=…+binary+token_association+robustness+multi_turn"]


def test_a_claim_file_a_run_did_not_ask_about_is_not_applicable(log):
    """Three runs, one claim file edited between two of them and a third run on another
    claim: the third was labelled `(1 unrecorded)` and listed as `unknown` for a claim it
    never had."""
    edited, other = log.model_copy(deep=True), log.model_copy(deep=True)
    edited.eval.metadata["beliefbench"]["settings"]["claim_files_sha256"] = {
        "glass_bridge": "f" * 64}
    settings = other.eval.metadata["beliefbench"]["settings"]
    settings["claims"], settings["claim_files_sha256"] = ["dentist"], {"dentist": "e" * 64}
    keys = [run_key(log), run_key(edited), run_key(other)]
    assert keys[2].field("claim_files.glass_bridge") == NOT_APPLICABLE
    assert "claim_files.glass_bridge" in differing_fields(keys)
    assert distinct_values(["claim_files.glass_bridge"], keys).endswith(", ffffffffffff, n/a)")
    labels = run_labels(keys)
    assert labels[2] == "claims=dentist" and "unrecorded" not in " ".join(labels)
    assert labels[0].startswith("claim_files.glass_bridge=") and labels[0] != labels[1]
    old = log.model_copy(deep=True)  # records its claims, not their files' hashes
    del old.eval.metadata["beliefbench"]["settings"]
    assert run_key(old).field("claim_files.glass_bridge") == UNKNOWN


def test_the_claims_asked_are_keyed_whatever_order_they_were_named_in(log):
    """-T claims=dentist,glass_bridge and -T claims=glass_bridge,dentist ask the same
    questions (and -T claims=all records its ids sorted): one run, where `report` showed two
    rows and warned `RUNS DIFFER in claims (dentist+glass_bridge, glass_bridge+dentist)`."""
    one, other = log.model_copy(deep=True), log.model_copy(deep=True)
    one.eval.metadata["beliefbench"]["settings"]["claims"] = ["glass_bridge", "dentist"]
    other.eval.metadata["beliefbench"]["settings"]["claims"] = ["dentist", "glass_bridge"]
    keys = [run_key(one), run_key(other)]
    assert keys[0] == keys[1] and differing_fields(keys) == []
    assert keys[0].field("claims") == "dentist+glass_bridge"
    # an older log, keyed from its task arguments' claims, alike
    for old, claims in ((one, ["glass_bridge", "dentist"]), (other, ["dentist", "glass_bridge"])):
        del old.eval.metadata["beliefbench"]["settings"]
        old.eval.metadata["beliefbench"]["claims"] = claims
    assert run_key(one).field("claims") == run_key(other).field("claims") == "dentist+glass_bridge"


def test_intervention_arms_differ_by_their_condition_not_as_runs(log, tmp_path):
    """The three arms of `internals steer/ablate` differ in the steer provider's `-M`
    arguments by design (their condition label names them): em-report and report printed a
    RUNS DIFFER over six model_args fields and labelled the arms' runs apart. Arms of two
    directions are still kept apart, and a steer run made by hand keeps its `-M` keyed."""
    from beliefbench.internals.interventions import ARMS, InterventionSpec

    def arm_log(spec: InterventionSpec, arm: str):
        out = log.model_copy(deep=True)
        out.eval.metadata = {**(out.eval.metadata or {}), **spec.arm_metadata(arm, 2)}
        out.eval.model_args = {"do_sample": False,
                               **({} if arm == "baseline" else spec.model_args(arm, 2))}
        return out

    (tmp_path / "a.safetensors").write_bytes(b"a")
    (tmp_path / "b.safetensors").write_bytes(b"b")
    spec = InterventionSpec(tmp_path / "a.safetensors", "add", coef=8.0)
    keys = [run_key(arm_log(spec, arm)) for arm in ARMS]
    assert differing_fields(keys) == [] and run_labels(keys) == ["-"] * 3
    assert keys[0].fields()["model_args.do_sample"] == "false"  # other -M still keyed
    other = run_key(arm_log(InterventionSpec(tmp_path / "b.safetensors", "add", coef=8.0),
                            "intervention"))
    assert differing_fields([*keys, other]) == ["intervention.direction"]
    assert len(set(run_labels([keys[1], other]))) == 2
    by_hand = log.model_copy(deep=True)  # -M direction=... with no arm labels
    by_hand.eval.model_args = spec.model_args("intervention", 2)
    assert run_key(by_hand).fields()["model_args.coef"] == "8"


def test_a_model_loaded_from_a_relative_path_is_told_from_one_named_absolutely(log):
    """What counts as a model loaded from a relative path (the ``RELATIVE PATH`` note): a
    relative ``-M model_path``, a part of the name that begins with ``./`` or ``../``; not an
    absolute path (POSIX or Windows), nor a name that reads like a hub id."""
    from beliefbench.analysis.runs import relative_model_path

    def named(model: str, **args) -> object:
        copy = log.model_copy(deep=True)
        copy.eval.model, copy.eval.model_args = model, args
        return copy

    assert relative_model_path(named("hf/local", model_path="ckpts/run1")) == "ckpts/run1"
    assert relative_model_path(named("hf/./ckpts/run1")) == "./ckpts/run1"
    assert relative_model_path(named("vllm//abs/base:../adapter")) == "../adapter"
    # no hub id has three parts: `sweep --model hf/ckpts/negated/step-000116` read as one
    assert (relative_model_path(named("hf/ckpts/negated/step-000116"))
            == "ckpts/negated/step-000116")
    assert (relative_model_path(named("vllm/Qwen/Qwen3-8B:ckpts/neg/step-1"))
            == "ckpts/neg/step-1")
    for model, args in [("hf//abs/ckpt", {}), ("hf/Qwen/Qwen3-8B", {}),
                        ("hf//abs/ckpts/negated/step-000116", {}),
                        ("hf/~/ckpts/negated/step-1", {}),
                        ("openrouter/meta-llama/llama-3.1-8b/extended", {}),
                        ("openai/ft:gpt-4.1:org::id", {}),
                        ("hf/local", {"model_path": "/abs/ckpt"}),
                        ("hf/local", {"model_path": "C:\\ckpts\\run1"})]:
        assert relative_model_path(named(model, **args)) is None, model


def test_an_edited_families_file_is_another_judge(log, tmp_path, monkeypatch):
    """scorers/families.yaml is rendered into the bundled judge prompt: a run judged after it
    was edited pooled with the runs before it as one judge (only the template was hashed)."""
    from beliefbench import judge
    from beliefbench.resources import data_path

    edited = tmp_path / "scorers" / "families.yaml"
    edited.parent.mkdir()
    edited.write_text(data_path("scorers/families.yaml").read_text() + "# be stricter\n")
    shipped = judge.data_path
    monkeypatch.setattr(judge, "data_path", lambda *parts: edited
                        if parts == ("scorers/families.yaml",) else shipped(*parts))
    other = eval(belief(claims=str(FIXTURE_CLAIM), samples=1), model=scripted(believer),
                 model_roles={"grader": scripted(keyword_grader, name="kw")}, max_tokens=48,
                 log_dir=str(tmp_path / "logs"), display="none")[0]
    assert len(run_key(log).fields()["judge.guidance"]) == 12  # a sha256 prefix
    assert differing_fields([run_key(log), run_key(other)]) == ["judge.guidance"]


def test_a_label_read_as_yaml_is_named_not_shown_silently(tmp_path):
    """Inspect reads --metadata values as YAML: `--metadata condition=no` was reported as
    condition 'False' and `condition=1.10` as '1.1' with no word of why (and `no` / `off`
    pooled as one condition). Each such log gets a LABEL AS YAML warning; a plain string,
    or a whole number, none."""
    from inspect_ai.log import read_eval_log

    from beliefbench.analysis.logs import load_belief_logs, step_of
    from beliefbench.analysis.report import build_report

    for name, condition in [("no", False), ("ten", 1.1), ("plain", "negated"), ("int", 3)]:
        eval(belief(claims="ed_sheeran", families="binary", samples=1, judge="markers"),
             model="beliefbench/skeptic", log_dir=str(tmp_path / name), display="none",
             metadata={"condition": condition})
    report = build_report(load_belief_logs([tmp_path]), n_bootstrap=0)
    said = [n for n in report.notes if "LABEL AS YAML" in n]
    assert len(said) == 2, report.notes
    no = next(n for n in said if f"{tmp_path / 'no'}" in n)
    assert "eval metadata condition False was recorded as a YAML boolean" in no
    assert "reported as 'False'; to keep a label as typed, quote it: --metadata " \
           "'condition=\"<label>\"'" in no
    assert any("condition 1.1 was recorded as a YAML number" in n for n in said)
    assert set(report.overall["condition"]) == {"False", "1.1", "negated", "3"}
    log = next((tmp_path / "plain").glob("*.eval"))
    assert step_of(read_eval_log(str(log), header_only=True), str(log)) == (None, None)


def test_a_mistyped_label_key_is_named_not_dropped_silently(tmp_path):
    """`--metadata conditon=negated` (or `Step=3`) is no label: the report showed the run
    with condition `-` and said nothing. Such a key, where the label itself is absent, gets
    a LABEL MISSPELT? warning naming the label meant; a log with the label spelt right
    beside a look-alike key (`conditions`), or the sweep's `final_checkpoint`, gets none;
    nor does a key that is a label with more after it, absent the label (`steps`,
    `Conditions`, `checkpoints`, `conditional`: keys of their own, each was told `did you
    mean 'step'?` and to re-run the eval)."""
    from beliefbench.analysis.logs import load_belief_logs
    from beliefbench.analysis.report import build_report

    for name, metadata in [("typo", {"conditon": "negated", "Step": 3}),
                           ("right", {"condition": "negated", "conditions": "x"}),
                           ("swept", {"final_checkpoint": True}),
                           ("plural", {"steps": 1000, "Conditions": "a,b", "checkpoints": 3,
                                       "conditional": True})]:
        eval(belief(claims="ed_sheeran", families="binary", samples=1, judge="markers"),
             model="beliefbench/skeptic", log_dir=str(tmp_path / name), display="none",
             metadata=metadata)
    report = build_report(load_belief_logs([tmp_path]), n_bootstrap=0)
    said = [n for n in report.notes if "LABEL MISSPELT?" in n]
    assert len(said) == 1, report.notes
    typo = next((tmp_path / "typo").glob("*.eval"))
    assert said[0] == (
        f"LABEL MISSPELT?: {typo}: eval metadata 'conditon' (did you mean 'condition'?) and "
        "'Step' (did you mean 'step'?) are no labels (beliefbench reads checkpoint, condition "
        "and step only), so this log is reported with no condition and step; re-run the "
        "eval with --metadata condition=... to label it")
    assert set(report.overall["condition"]) == {"-", "negated"}
    # one key named: "is" (two: "are", above)
    from beliefbench.analysis.logs import misspelt_label_note

    assert misspelt_label_note({"Step": 3, "steps": 9}, "x.eval") == (
        "LABEL MISSPELT?: x.eval: eval metadata 'Step' (did you mean 'step'?) is no label "
        "(beliefbench reads checkpoint, condition and step only), so this log is reported "
        "with no step; re-run the eval with --metadata step=... to label it")
    # a label with one letter more but "s" is still a typo
    assert "'stepp' (did you mean 'step'?) is no label" in misspelt_label_note({"stepp": 3}, "x")
