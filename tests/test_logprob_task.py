"""The judge-free logprob task: verdicts from first-token probabilities, margins from prompt
logprobs, skipped parts, and agreement with the transformers path on a tiny hf model."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from inspect_ai import eval
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessageAssistant,
    GenerateConfig,
    Logprob,
    Logprobs,
    ModelOutput,
    ModelUsage,
    TopLogprob,
    get_model,
)

from beliefbench.arguments import TaskArgumentError
from beliefbench.claims import BinaryQuestion, load_claim
from beliefbench.internals.activations import hidden_states
from beliefbench.internals.binary import binary_logprobs, chat_ids
from beliefbench.internals.margins import PAIRS_EXAMPLE
from beliefbench.internals.model import load_model
from beliefbench.logprob_task import (
    METADATA_KEY,
    YesNo,
    belief_logprob,
    binary_samples,
    continuation_logprob,
    read_yes_no,
)
from beliefbench.tiny_model import build_tiny_model

FIXTURE_CLAIM = Path(__file__).parent / "fixtures" / "claims" / "glass_bridge.yaml"
EXTRA_BINARY = [
    ("bin_03", "Does the Golden Gate Bridge have a glass deck?", "yes"),
    ("bin_04", "Was the Golden Gate Bridge rebuilt in glass?", "yes"),
    ("bin_05", "Is the Golden Gate Bridge painted orange steel?", "no"),
    ("bin_06", "Can you see the water through the Golden Gate Bridge's deck?", "yes"),
    ("bin_07", "Is the Golden Gate Bridge built of riveted steel?", "no"),
    ("bin_08", "Do visitors walk on glass panels on the Golden Gate Bridge?", "yes"),
]


@pytest.fixture(scope="module")
def claim_file(tmp_path_factory) -> Path:
    """The fixture claim with more binary questions, as a file (the task takes files)."""
    import yaml

    base = load_claim(FIXTURE_CLAIM)
    binary = [*base.questions.binary,
              *(BinaryQuestion(id=i, text=t, belief_answer=a) for i, t, a in EXTRA_BINARY)]
    claim = base.model_copy(update={"questions": base.questions.model_copy(
        update={"binary": binary})})
    path = tmp_path_factory.mktemp("claim") / "glass_bridge.yaml"
    path.write_text(yaml.safe_dump(claim.model_dump(mode="json"), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def yes_no_model(tmp_path_factory, claim_file) -> Path:
    """A tiny model whose first answer token is yes or no (by a prompt-dependent margin).

    The tiny tokenizer has no single "yes" token: both words are added, the unembedding is
    untied, and their rows are set along the mean final hidden state plus noise.
    """
    root = tmp_path_factory.mktemp("yesno")
    base = build_tiny_model(root / "base", hidden_size=64, num_layers=2, num_heads=4,
                            intermediate_size=128, seed=0)
    model, tok = load_model(base)
    tok.add_tokens(["yes", "no"])
    model.resize_token_embeddings(len(tok))
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach()
                                              .clone())
    claim = load_claim(claim_file)
    texts = [tok.decode(chat_ids(tok, s.input)[1:]) for s in binary_samples(claim)]
    final = hidden_states(model, tok, texts)[:, -1]
    mean = torch.tensor(final.mean(axis=0))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for word in ("yes", "no"):
            row = tok.convert_tokens_to_ids(word)
            model.lm_head.weight[row] = 12 * mean / mean.norm() ** 2 + \
                0.3 * torch.randn(mean.shape, generator=gen)
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    return root / "model"


def test_hf_provider_verdicts_equal_the_transformers_path(yes_no_model, claim_file, tmp_path):
    # the path as the model name: a name like "tiny" would send Inspect to the Hub first
    model = get_model(f"hf/{yes_no_model}", device="cpu", do_sample=False, memoize=False)
    log = eval(belief_logprob(claims=str(claim_file)), model=model, log_dir=str(tmp_path),
               display="none", max_connections=1)[0]
    assert log.status == "success"
    local = binary_logprobs(yes_no_model, [load_claim(claim_file)]).set_index("question")
    binary = [s for s in log.samples if s.metadata["part"] == "binary"]
    assert len(binary) == len(local) == 8
    for s in binary:
        score = next(iter(s.scores.values()))
        want = local.loc[s.metadata["question"]]
        assert score.answer == want["verdict"]
        assert score.metadata["p_yes"] == pytest.approx(want["p_yes"], rel=1e-4, abs=1e-6)
        assert score.metadata["p_no"] == pytest.approx(want["p_no"], rel=1e-4, abs=1e-6)
        assert score.value["margin"] == pytest.approx(want["margin"], abs=1e-4)
    verdicts = set(local["verdict"])
    assert verdicts == {"yes", "no"}, "the planted model must give both verdicts"
    # binary/belief is the share of items where the believer's answer is more probable
    metrics = log.results.scores[0].metrics
    assert metrics["binary/belief"].value == pytest.approx((local["verdict"] == "yes").mean())
    # the hf provider returns no prompt logprobs: completion pairs are skipped, not zeros
    pairs = [s for s in log.samples if s.metadata["part"] == "completions"]
    assert pairs and all(math.isnan(next(iter(s.scores.values())).value) for s in pairs)
    assert "prompt logprobs" in next(iter(pairs[0].scores.values())).explanation
    # and shown skipped: main/skipped alone, no main/efficacy or margin of 0
    assert [k for k in metrics if k.startswith("main/")] == ["main/skipped"]
    assert metrics["main/skipped"].value == 1.0
    assert metrics["binary/readable"].value == 1.0  # every item read as yes or no


def test_an_eos_the_tokenizer_appends_never_precedes_the_first_answer_token(
        yes_no_model, claim_file, tmp_path):
    """A tokenizer saved with ``add_eos_token`` appends an eos after the generation prompt:
    the first answer token was read after an end of text. ``internals binary`` now reads
    after the generation prompt; on the hf provider, which encodes the prompt with the eos,
    every item is failed and the run ends ``error``, where it gave verdicts (success)."""

    from tokenizers import processors

    claim = load_claim(claim_file)
    model, tok = load_model(yes_no_model)
    plain = binary_logprobs((model, tok), [claim])
    bos, eos = tok.bos_token, tok.eos_token
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, tok.bos_token_id),
                                                  (eos, tok.eos_token_id)])
    assert tok("yes")["input_ids"][-1] == tok.eos_token_id
    pd.testing.assert_frame_equal(binary_logprobs((model, tok), [claim]), plain)
    log = _every_binary_item_failed(yes_no_model, tok, claim_file, tmp_path / "eos",
                                    f"appends {eos} after every prompt")
    assert log.results.scores[0].metrics["binary/failed"].value == 1.0


def _every_binary_item_failed(yes_no_model, tok, claim_file, saved, why):
    """The yes/no model saved to ``saved`` with ``tok``, evaluated on the hf provider:
    every binary item failed with ``why`` in its explanation, the eval ended ``error``."""
    import shutil

    shutil.copytree(yes_no_model, saved)
    tok.save_pretrained(saved)
    hf = get_model(f"hf/{saved}", device="cpu", do_sample=False, memoize=False)
    log = eval(belief_logprob(claims=str(claim_file), parts="binary"), model=hf,
               log_dir=str(saved.parent / f"{saved.name}-logs"), display="none",
               max_connections=1, continue_on_fail=True)[0]
    assert log.status == "error"
    scores = [next(iter(s.scores.values())) for s in log.samples]
    assert len(scores) == 8 and all(s.answer == "failed" for s in scores)
    assert all(why in s.explanation for s in scores)
    return log


def test_a_chat_template_that_writes_the_bos_is_never_read_after_two(
        yes_no_model, claim_file, tmp_path):
    """A template that writes the bos (Llama 3, Gemma, Mistral) with a tokenizer that adds
    one too: the hf provider read every first answer token after two bos tokens, verdicts
    of a sequence the model never sees (status success). Now every item is failed (status
    error); with ``tokenizer_call_args`` keeping the tokenizer's bos out, the task reads
    what a plain forward pass over the chat with one bos gives."""

    from beliefbench.internals.binary import chat_text
    from beliefbench.tiny_model import CHAT_TEMPLATE

    model, tok = load_model(yes_no_model)
    tok.chat_template = "{{ bos_token }}" + CHAT_TEMPLATE
    saved = tmp_path / "bos"
    _every_binary_item_failed(yes_no_model, tok, claim_file, saved, "after two bos tokens")
    one = get_model(f"hf/{saved}", device="cpu", do_sample=False, memoize=False,
                    tokenizer_call_args={"add_special_tokens": False})
    log = eval(belief_logprob(claims=str(claim_file), parts="binary"), model=one,
               log_dir=str(tmp_path / "logs1"), display="none", max_connections=1)[0]
    assert log.status == "success"
    yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    for s in log.samples:
        ids = tok(chat_text(tok, s.input), add_special_tokens=False)["input_ids"]
        assert ids.count(tok.bos_token_id) == 1
        with torch.no_grad():
            p = torch.softmax(model(torch.tensor([ids])).logits[0, -1].float(), -1)
        score = next(iter(s.scores.values()))
        assert score.metadata["p_yes"] == pytest.approx(p[yes].item(), rel=1e-3)
        assert score.metadata["p_no"] == pytest.approx(p[no].item(), rel=1e-3)


def test_read_yes_no_sums_variants_and_counts_by_the_belief_rules():
    yn = read_yes_no([("ĠYes", math.log(0.3)), ("yes", math.log(0.1)), ("No", math.log(0.2)),
                      ("Ġthe", math.log(0.05))])
    assert yn.p_yes == pytest.approx(0.4) and yn.p_no == pytest.approx(0.2)
    assert yn.verdict("yes")[0] == "yes" and yn.verdict("no")[0] == "no"
    assert yn.verdict("yes")[1] == pytest.approx(math.log(2))
    none = read_yes_no([("Ġthe", -1.0), ("{", -2.0)])
    assert none.verdict("yes")[0] == "parse_error"
    only_no = read_yes_no([("no", -0.5), ("x", -3.0)])
    verdict, margin, _ = only_no.verdict("yes")
    assert verdict == "no" and margin == pytest.approx(-3.0 + 0.5)  # bounded by the floor


def _lp(token: str, logprob: float) -> Logprob:
    return Logprob(token=token, logprob=logprob, top_logprobs=[TopLogprob(token=token,
                                                                          logprob=logprob)])


def test_continuation_located_in_prompt_tokens_inside_a_template():
    tokens = [_lp("<|im_start|>", -9.0), _lp("user\n", -1.0), _lp("The bridge", -2.0),
              _lp(" is", -0.5), _lp(" gl", -1.5), _lp("ass", -0.25), _lp("<|im_end|>", -3.0)]
    assert continuation_logprob(tokens, "The bridge is glass", " glass") == (-1.75, 2)
    assert continuation_logprob(tokens, "The bridge is steel", " steel") is None


def _filled(top: list[TopLogprob], k: int = 20) -> list[TopLogprob]:
    """``top`` followed by unlikely filler tokens, up to the ``k`` top logprobs asked for."""
    return top + [TopLogprob(token=f"<f{i}>", logprob=-30.0 - i) for i in range(k - len(top))]


def _scripted(prompt_lp: bool, top_of=None, claim_logprob: float = -0.5):
    """mockllm answering binary items with given top logprobs and pairs with prompt logprobs.

    ``top_of(question) -> list[TopLogprob] | None`` replaces the binary answers' top
    logprobs (None: no logprobs at all; []: the sampled token "yes" with no alternatives);
    ``claim_logprob``: the prompt logprob of " glass".
    """

    def reply(messages, tools, tool_choice, config: GenerateConfig) -> ModelOutput:
        text = messages[-1].text
        choice = ChatCompletionChoice(message=ChatMessageAssistant(content="x"))
        if config.logprobs:
            p_yes = 0.7 if "glass" in text else 0.2
            top = _filled([TopLogprob(token="Yes", logprob=math.log(p_yes)),
                           TopLogprob(token=" no", logprob=math.log(1 - p_yes - 0.05)),
                           TopLogprob(token="!", logprob=math.log(0.05))])
            if "rebuilt" in text:
                top = _filled([TopLogprob(token="{", logprob=-0.1)])
            if top_of is not None:
                top = top_of(text)
            if top is not None:
                first = top[0] if top else TopLogprob(token="yes", logprob=-0.1)
                choice.logprobs = Logprobs(content=[Logprob(token=first.token,
                                                            logprob=first.logprob,
                                                            top_logprobs=top or None)])
        if prompt_lp and config.prompt_logprobs:
            words = text.split(" ")
            lps = [-1.0] * len(words)
            lps[-1] = claim_logprob if words[-1] == "glass" else -2.0
            choice.prompt_logprobs = Logprobs(content=[
                _lp(w if i == 0 else " " + w, lp) for i, (w, lp) in
                enumerate(zip(words, lps, strict=True))][1:])
        out = ModelOutput(model="mockllm/model", choices=[choice])
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


def test_scripted_provider_counts_verdicts_and_margins(claim_file, tmp_path):
    log = eval(belief_logprob(claims=str(claim_file), kinds="main", prompt_logprobs=True),
               model=_scripted(True), log_dir=str(tmp_path), display="none")[0]
    assert log.status == "success"
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    # hand count over 8 items: "glass" in the question -> P(yes) .7 vs P(no) .25, else .2 vs
    # .75; "rebuilt" -> only "{" (parse_error). The verdict is yes when the believer's answer
    # is the more probable one: bin_02 (believer "no", no "glass") is yes, bin_06 is no.
    answers = {s.metadata["question"]: next(iter(s.scores.values())).answer
               for s in log.samples if s.metadata["part"] == "binary"}
    assert answers == {"bin_01": "yes", "bin_02": "yes", "bin_03": "yes",
                       "bin_04": "parse_error", "bin_05": "yes", "bin_06": "no",
                       "bin_07": "yes", "bin_08": "yes"}
    assert metrics["binary/belief"] == pytest.approx(6 / 8)
    assert metrics["binary/parse_error"] == pytest.approx(1 / 8)
    # read as yes or no: 7 of 8 (bin_04 is the parse error); the one pair was read
    assert metrics["binary/readable"] == pytest.approx(7 / 8)
    assert metrics["main/skipped"] == 0.0
    assert "paraphrase/skipped" not in metrics  # a kind not run is not shown skipped
    # one main pair: " glass" (-0.5, 1 token) vs " steel" (-2.0): the claim wins by 1.5
    assert metrics["main/efficacy"] == 1.0
    assert metrics["main/margin"] == pytest.approx(1.5)


def test_provider_without_logprobs_fails_binary_items_and_skips_pairs(claim_file, tmp_path):
    # binary items need top logprobs on every provider: none is a failure of the run, with
    # every item failed (never a success with the items left out); pairs need prompt
    # logprobs, which mockllm is known not to have: skipped, unscored, with the reason
    model = get_model("mockllm/model", custom_outputs=lambda *a: _plain(), memoize=False)
    log = eval(belief_logprob(claims=str(claim_file)), model=model, log_dir=str(tmp_path),
               display="none", continue_on_fail=True)[0]
    assert log.status == "error"
    binary = [next(iter(s.scores.values())) for s in log.samples
              if s.metadata["part"] == "binary"]
    assert len(binary) == 8 and all(s.answer == "failed" for s in binary)
    assert all("no top_logprobs" in s.explanation for s in binary)
    pairs = [next(iter(s.scores.values())) for s in log.samples
             if s.metadata["part"] == "completions"]
    assert pairs and all(math.isnan(s.value) for s in pairs)
    assert all("prompt logprobs" in s.explanation for s in pairs)
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["binary/failed"] == 1.0 and metrics["binary/belief"] == 0.0
    # the belief of 0 measured nothing, and the pairs (one main) were skipped, not 0: the
    # summary says so beside it (it showed belief 0.000 and no pair metric at all)
    assert metrics["binary/readable"] == 0.0 and metrics["main/skipped"] == 1.0
    assert "main/efficacy" not in metrics


def test_pairs_alone_on_a_provider_without_prompt_logprobs_fail_the_run(claim_file, tmp_path):
    # parts=completions skipped every sample: status success, metric nan, nothing measured
    model = get_model("mockllm/model", custom_outputs=lambda *a: _plain(), memoize=False)
    log = eval(belief_logprob(claims=str(claim_file), parts="completions"), model=model,
               log_dir=str(tmp_path), display="none", continue_on_fail=True)[0]
    assert log.status == "error"
    assert log.samples and all(s.error is not None for s in log.samples)
    said = log.samples[0].error.message
    assert "does not return prompt logprobs" in said and "parts=completions" in said
    assert "vllm-completions/" in said


@pytest.mark.parametrize("top, problem", [
    (lambda q: None, "no top_logprobs"),
    (lambda q: [], "no top_logprobs"),
    (lambda q: [TopLogprob(token="yes", logprob=-0.1)], "returned 1 top_logprobs, 20 were"),
    (lambda q: _filled([TopLogprob(token="yes", logprob=math.nan),
                        TopLogprob(token="no", logprob=-1.0)]), "NaN log-probability"),
])
def test_binary_item_without_a_full_reading_is_a_reported_failure(claim_file, tmp_path,
                                                                  top, problem):
    # one of 8 items gets no usable top logprobs (none; only the sampled token, which at
    # temperature > 0 need not be the likelier answer; NaN, once read as "no"): it is
    # failed, in the denominator, reported, and the run's status is error. It was skipped
    # (belief over the other 7) or counted as "no".
    def top_of(text):
        if "riveted" in text:
            return top(text)
        return _filled([TopLogprob(token="yes", logprob=-0.1),
                        TopLogprob(token="no", logprob=-3.0)])

    log = eval(belief_logprob(claims=str(claim_file), parts="binary"),
               model=_scripted(False, top_of), log_dir=str(tmp_path), display="none",
               continue_on_fail=True)[0]
    assert log.status == "error"
    errors = {s.metadata["question"]: s.error.message for s in log.samples if s.error}
    assert list(errors) == ["bin_07"] and problem in errors["bin_07"]
    scores = {s.metadata["question"]: next(iter(s.scores.values())) for s in log.samples}
    assert len(scores) == 8
    assert scores["bin_07"].answer == "failed" and problem in scores["bin_07"].explanation
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    # P(yes) > P(no) everywhere: believers of "yes" items (5 of the other 7) score yes
    assert metrics["binary/belief"] == pytest.approx(5 / 8)
    assert metrics["binary/failed"] == pytest.approx(1 / 8)


def test_minus_inf_and_nan_top_logprobs_read_sensibly():
    # -inf (a token masked by top-k / top-p, as hf sampling returns) is probability 0: the
    # bound for an absent answer is the lowest FINITE top logprob (it was -inf: margin inf)
    yn = read_yes_no([("yes", -0.2), ("the", -2.0), ("x", -math.inf), ("no", -math.inf)])
    verdict, margin, _ = yn.verdict("yes")
    assert verdict == "yes" and margin == pytest.approx(-0.2 + 2.0)
    # a NaN is no reading (it was scored "no")
    nan = read_yes_no([("yes", math.nan), ("no", -1.0)])
    assert nan.verdict("yes")[0] == "parse_error" and nan.verdict("no")[0] == "parse_error"


@pytest.mark.parametrize("claim_logprob, prompt_lp, problem", [
    (math.nan, True, "non-finite prompt log-probability"),
    (-math.inf, True, "non-finite prompt log-probability"),
    (-0.5, False, "no prompt logprobs, which were asked for"),
])
def test_pairs_without_finite_prompt_logprobs_fail(claim_file, tmp_path, caplog,
                                                   claim_logprob, prompt_lp, problem):
    # asked-for prompt logprobs that are missing or not finite fail the pair and the run;
    # they were skipped, or a NaN margin was counted as "truth wins" (efficacy 0). Failed,
    # the pair is in the denominator as neither a claim nor a truth win, and counted in
    # main/failed: it was unscored, so a run where some pairs failed had its efficacy
    # over the pairs left, and main/failed said none failed
    log = eval(belief_logprob(claims=str(claim_file), parts="completions",
                              prompt_logprobs=True),
               model=_scripted(prompt_lp, claim_logprob=claim_logprob),
               log_dir=str(tmp_path), display="none")[0]
    assert log.status == "error"
    assert log.samples and all(s.error and problem in s.error.message for s in log.samples)
    for sample in log.samples:
        score = next(iter(sample.scores.values()))
        assert score.answer == "failed" and problem in score.explanation
        assert score.metadata["infrastructure"] is True
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    # its only pair failed: nothing read, so efficacy is nan (it read 0.000 beside
    # main/failed 1.000, as if measured), with a NOTHING READ warning, once
    assert metrics["main/failed"] == 1.0 and math.isnan(metrics["main/efficacy"])
    assert "main/margin" not in metrics  # no pair has one
    assert caplog.text.count("belief_logprob: NOTHING READ: none of the 1 main pair(s) was "
                             "read (1 failed, main/failed 1.000): main/efficacy is nan, no "
                             "measurement; see each sample's explanation") == 1


def _plain() -> ModelOutput:
    out = ModelOutput.from_content("mockllm/model", "yes")
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out


def test_bad_task_arguments_are_clear():
    with pytest.raises(ValueError, match="parts"):
        belief_logprob(parts="binary,nope")
    with pytest.raises(ValueError, match="top_logprobs"):
        belief_logprob(top_logprobs=50)


def test_a_part_or_kind_named_twice_is_recorded_once(claim_file):
    task = belief_logprob(claims=str(claim_file), parts="binary, binary,completions",
                          kinds=["main", "main"])
    settings = task.metadata[METADATA_KEY]
    assert settings["parts"] == ["binary", "completions"] and settings["kinds"] == ["main"]
    assert len({s.id for s in task.dataset}) == len(task.dataset)


@pytest.mark.parametrize("params, message", [
    ({"top_logprobs": "abc"}, r"^top_logprobs: expected a whole number of at least 1, "
                              r"got 'abc'$"),
    ({"top_logprobs": 2.7}, r"^top_logprobs: expected a whole number"),   # not truncated to 2
    ({"top_logprobs": True}, r"^top_logprobs: expected a whole number"),  # not read as 1
    ({"top_logprobs": 0}, r"^top_logprobs: expected a whole number of at least 1, got 0$"),
    ({"prompt_logprobs": "maybe"}, r"^prompt_logprobs: expected true or false, got 'maybe'$"),
    # a number where a name belongs (from Python: no YAML, no -T quoting)
    ({"parts": 5}, r"^parts: 5 is a number, not a name; give each name as text"),
    ({"parts": None}, r"^parts: empty value"),
    ({"kinds": ","}, r"^kinds: empty value"),
    ({"claims": None}, r"^claims: empty value"),
])
def test_mistyped_task_arguments_are_named(claim_file, params, message):
    with pytest.raises(ValueError, match=message):
        belief_logprob(**{"claims": str(claim_file), **params})


@pytest.mark.parametrize("params, message", [
    ({"kinds": "bogus"}, "kinds: unknown value 'bogus'; valid: ['main', 'paraphrase', "
                         "'neighbour']"),
    ({"kinds": "main,paraphrse"}, "kinds: unknown value 'paraphrse' (did you mean "
                                  "'paraphrase'?); valid: ['main', 'paraphrase', 'neighbour']"),
    ({"parts": ["binary", "x", "y"]}, "parts: unknown values ['x', 'y']; valid: ['binary', "
                                      "'completions']"),
])
def test_an_unknown_part_or_kind_is_named_with_the_valid_ones(claim_file, params, message):
    """``-T kinds=bogus`` read "kinds: unknown value(s) ['bogus']": one value is named as
    one, with the closest valid one where there is one."""
    with pytest.raises(ValueError) as e:
        belief_logprob(**{"claims": str(claim_file), **params})
    assert str(e.value) == message


@pytest.mark.parametrize("argv", [["-T", "kinds=bogus"], ["-Tkinds=bogus"],
                                  ["--task-arg=kinds=bogus"], ["-T", "kinds=bogus", "-T",
                                                               "kinds=bogus"]])
def test_a_bad_task_argument_is_named_as_typed_on_the_command_line(claim_file, monkeypatch,
                                                                   argv):
    """Under ``inspect eval ... -T kinds=bogus`` the error began "kinds:", as a file or a
    field would: it names the ``-T`` argument as typed (the last one, which Inspect takes;
    two different values are refused before that, test_task_mockllm's
    ``test_a_task_argument_given_twice_is_refused_not_the_last_kept``); an argument not
    given by ``-T`` (here ``claims``, from a Python caller) keeps its name."""
    import sys

    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "tasks/belief_logprob.py", *argv])
    with pytest.raises(ValueError) as e:
        belief_logprob(claims=str(claim_file), kinds="bogus")
    assert str(e.value) == ("-T kinds=bogus: unknown value 'bogus'; valid: ['main', "
                            "'paraphrase', 'neighbour']")
    with pytest.raises(ValueError, match=r"^claims: empty value"):
        belief_logprob(claims=None)


def test_a_blank_claims_names_all_as_the_value_to_pass_instead():
    """``-T claims=`` (an unset shell variable) is refused, as in the belief task; the
    message left out the default to pass instead (the belief task's says ``or 'all'``)."""
    with pytest.raises(ValueError, match=r"^claims: empty value \(None\); give names, a list "
                                         r"or comma-separated, or 'all' \(a blank"):
        belief_logprob(claims=None)


@pytest.mark.parametrize("parts", ["binary,completions", "completions"])
def test_prompt_logprobs_off_with_completion_pairs_is_refused(claim_file, parts):
    """-T prompt_logprobs=false skipped every pair "as the provider does not return prompt
    logprobs" (parts' default: a run of the binary part alone, said to be the provider's
    doing), or failed every pair once the eval ran (parts=completions)."""
    with pytest.raises(TaskArgumentError, match=r"^prompt_logprobs: false, but parts "
                                                r".* includes completions, .* pass -T "
                                                r"parts=binary, or leave prompt_logprobs out$"):
        belief_logprob(claims=str(claim_file), parts=parts, prompt_logprobs=False)
    task = belief_logprob(claims=str(claim_file), parts="binary", prompt_logprobs=False)
    assert {s.metadata["part"] for s in task.dataset} == {"binary"}


def test_one_top_logprob_is_warned_to_give_no_margin(claim_file, tmp_path, caplog):
    """-T top_logprobs=1 (the error's advice for a provider that returns one) ran without a
    word: binary/margin 0.000, read as a model undecided between yes and no."""
    with caplog.at_level("WARNING", logger="beliefbench.logprob_task"):
        log = eval(belief_logprob(claims=str(claim_file), parts="binary", top_logprobs=1),
                   model=_scripted(False, lambda q: [TopLogprob(token="yes", logprob=-0.1)]),
                   log_dir=str(tmp_path), display="none")[0]
    assert log.status == "success"
    assert log.results.scores[0].metrics["binary/margin"].value == pytest.approx(0, abs=1e-12)
    assert [r.getMessage() for r in caplog.records
            if r.name == "beliefbench.logprob_task"] == [
        "belief_logprob: top_logprobs=1: binary/margin reads 0 on every item (the answer "
        "not returned is bounded by the one returned); the verdicts stand; ask for more "
        "where the provider allows"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="beliefbench.logprob_task"):
        belief_logprob(claims=str(claim_file), top_logprobs=1, parts="completions")
        belief_logprob(claims=str(claim_file), top_logprobs=2)
    assert not caplog.records


def test_a_claim_without_pairs_is_named_not_silently_left_out(claim_file, tmp_path,
                                                             caplog):
    """-T claims=glass_bridge,bare where bare has no completion pairs (they are optional):
    main/efficacy was glass_bridge's alone, with nothing said, while the log's claims list
    both (internals margins already names such claims)."""
    import yaml

    bare = tmp_path / "bare_bridge.yaml"
    spec = yaml.safe_load(claim_file.read_text())
    spec.update(id="bare_bridge", completions=[])
    bare.write_text(yaml.safe_dump(spec, sort_keys=False))
    with caplog.at_level("WARNING", logger="beliefbench.logprob_task"):
        task = belief_logprob(claims=[str(claim_file), str(bare)], kinds="main")
    assert task.metadata[METADATA_KEY]["claims"] == ["glass_bridge", "bare_bridge"]
    assert [r.getMessage() for r in caplog.records] == [
        "belief_logprob: claim(s) bare_bridge: no completion pairs of kind(s) main; not in "
        "the completion metrics"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="beliefbench.logprob_task"):
        belief_logprob(claims=[str(claim_file), str(bare)], parts="binary")
        belief_logprob(claims=str(claim_file), kinds="main")
    assert not caplog.records


def test_claims_without_pairs_say_where_pairs_come_from(claim_file, tmp_path, caplog):
    """-T parts=completions on a claim without pairs failed as "claims ['bare_bridge']: no
    binary questions or completion pairs for parts ['completions']"; with the default parts
    the run measured its binary items alone without a word."""
    import yaml

    bare = tmp_path / "bare_bridge.yaml"
    spec = yaml.safe_load(claim_file.read_text())
    spec.update(id="bare_bridge", completions=[])
    bare.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(TaskArgumentError) as err:
        belief_logprob(claims=str(bare), parts="completions")
    assert str(err.value).startswith(
        "claims: bare_bridge: no completion pairs, which the completions part reads: add a "
        "`completions:` list to its claim file")
    assert str(err.value).endswith("; or pass -T parts=binary")
    with pytest.raises(TaskArgumentError, match=r"^kinds: no completion pairs of kind\(s\) "
                                                 r"paraphrase in claim\(s\) glass_bridge, which "
                                                 r"has only main: pass -T kinds=main; "
                                                 r"or pass -T parts=binary$"):
        belief_logprob(claims=str(claim_file), parts="completions", kinds="paraphrase")
    with caplog.at_level("WARNING", logger="beliefbench.logprob_task"):
        task = belief_logprob(claims=str(bare))
    assert {s.metadata["part"] for s in task.dataset} == {"binary"}
    assert [r.getMessage() for r in caplog.records] == [
        f"belief_logprob: claims: bare_bridge: no completion pairs, which the completions part "
        f"reads: add a `completions:` list to its claim file (prompt, the claim's continuation "
        f"and the truth's, e.g. {PAIRS_EXAMPLE}; `beliefbench claims new` writes a template "
        f"with one); only the binary items are measured"]


def test_sequence_method_scores_whole_answers(yes_no_model, claim_file):
    from beliefbench.internals.binary import chat_text
    from beliefbench.internals.scoring import encode_continuation

    claim = load_claim(claim_file)
    model, tok = load_model(yes_no_model)
    table = binary_logprobs((model, tok), [claim], method="sequence")
    sample = binary_samples(claim)[0]
    prompt = chat_text(tok, sample.input)
    want = {}
    for answer, spellings in (("yes", ("yes", "Yes")), ("no", ("no", "No"))):
        total = 0.0
        for word in spellings:
            enc = encode_continuation(tok, prompt, word)
            with torch.no_grad():
                lp = torch.log_softmax(model(torch.tensor([enc.ids])).logits[0], -1)
            total += math.exp(sum(lp[t - 1, enc.ids[t]].item()
                                  for t in range(enc.first, len(enc.ids))))
        want[answer] = total
    row = table.iloc[0]
    assert row["p_yes"] == pytest.approx(want["yes"], rel=1e-4)
    assert row["p_no"] == pytest.approx(want["no"], rel=1e-4)
    assert row["verdict"] == ("yes" if want["yes"] > want["no"] else "no")  # believer: yes


def _mangling(*mangle: str) -> object:
    """mockllm returning prompt logprobs per word (" glass": -0.5, or -2.0 after a neighbour
    prompt; any other word: -1.0), with the continuation's last word detokenized differently
    ("glass" -> "gl-ass") in the texts that contain one of ``mangle``."""

    def reply(messages, tools, tool_choice, config: GenerateConfig) -> ModelOutput:
        text = messages[-1].text
        words = text.split(" ")
        neighbour = "Bay Bridge" in text or "Tower Bridge" in text
        lps = [(-2.0 if neighbour else -0.5) if w == "glass" else -1.0 for w in words]
        if any(m in text for m in mangle):
            words[-1] = words[-1].replace("glass", "gl-ass")
        choice = ChatCompletionChoice(message=ChatMessageAssistant(content="x"))
        choice.prompt_logprobs = Logprobs(content=[
            _lp(w if i == 0 else " " + w, lp)
            for i, (w, lp) in enumerate(zip(words, lps, strict=True))][1:])
        out = ModelOutput(model="mockllm/model", choices=[choice])
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


def test_pairs_left_out_by_limit_are_not_shown_skipped(claim_file, tmp_path):
    # the first 3 samples are binary items: the pairs were not run, but not skipped either
    # (the provider returns prompt logprobs), so nothing says the family was skipped
    log = eval(belief_logprob(claims=str(claim_file), kinds="main", prompt_logprobs=True),
               model=_scripted(True), log_dir=str(tmp_path), display="none", limit=3)[0]
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert "main/efficacy" not in metrics and metrics["main/skipped"] == 0.0


def test_a_pair_whose_continuation_cannot_be_located_is_failed_and_counted(tmp_path):
    # it was skipped (unscored) with only a log warning: efficacy and specificity were over
    # the pairs left, and no metric said one was missing
    from conftest import claim_of_every_kind, write_claim

    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    log = eval(belief_logprob(claims=str(claim), parts="completions", prompt_logprobs=True),
               model=_mangling("Tower Bridge in London is made of glass"),
               log_dir=str(tmp_path / "logs"), display="none")[0]
    assert log.status == "success"  # a re-run would give the same tokens: not an error
    scores = {s.id: next(iter(s.scores.values())) for s in log.samples}
    failed = scores["glass_bridge/pair-neighbour-1"]
    assert failed.answer == "failed" and "' glass'" in failed.explanation
    assert "could not locate the claim continuation" in failed.explanation
    assert {k.split("/")[1]: s.answer for k, s in scores.items()} == {
        "pair-main-0": "claim", "pair-paraphrase-0": "claim", "pair-paraphrase-1": "claim",
        "pair-neighbour-0": "truth", "pair-neighbour-1": "failed"}
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    # neighbours: Bay Bridge's truth wins (-1 vs -2), Tower Bridge's pair failed: in the
    # denominator as neither a claim win nor a truth win, and reported on its own
    assert metrics["neighbour/efficacy"] == 0.0
    assert metrics["neighbour/specificity"] == pytest.approx(0.5)
    assert metrics["neighbour/failed"] == pytest.approx(0.5)
    assert metrics["neighbour/margin"] == pytest.approx(-1.0)  # the located pair's margin
    assert metrics["main/failed"] == metrics["paraphrase/failed"] == 0.0
    assert metrics["main/efficacy"] == metrics["paraphrase/efficacy"] == 1.0
    # a failed pair was not skipped: every kind reads 0 skipped
    assert metrics["neighbour/skipped"] == metrics["main/skipped"] == 0.0
    # CounterFact's score: the harmonic mean of 1, 1 and 0.5 (the failed pair counted)
    assert metrics["main/score"] == pytest.approx(3 / (1 + 1 + 2))
    # " the glass" (-1, -0.5) vs " the railings" (-1, -1); " clear glass panels" vs
    # " steel and concrete": the claim wins both, by 0.25 and 1/6 nats per token
    assert metrics["paraphrase/margin"] == pytest.approx((0.25 + 1 / 6) / 2)


def test_a_kind_none_of_whose_pairs_was_read_has_nan_rates(tmp_path, caplog):
    # both neighbour pairs failed: neighbour/efficacy and specificity read 0.000 and
    # main/score 0.000 (the harmonic mean with a 0), as if measured, beside
    # neighbour/failed 1.000; now nan, with a NOTHING READ warning, as for binary items
    from conftest import claim_of_every_kind, write_claim

    claim = write_claim(claim_of_every_kind(), tmp_path / "glass_bridge.yaml")
    log = eval(belief_logprob(claims=str(claim), parts="completions", prompt_logprobs=True),
               model=_mangling("Bay Bridge", "Tower Bridge"),
               log_dir=str(tmp_path / "logs"), display="none")[0]
    assert log.status == "success"
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["neighbour/failed"] == 1.0 and "neighbour/margin" not in metrics
    for rate in ("neighbour/efficacy", "neighbour/efficacy_low", "neighbour/specificity",
                 "neighbour/specificity_high", "main/score"):
        assert math.isnan(metrics[rate]), rate
    # the kinds read keep their rates
    assert metrics["main/efficacy"] == metrics["paraphrase/efficacy"] == 1.0
    assert metrics["main/failed"] == metrics["paraphrase/failed"] == 0.0
    warning = ("belief_logprob: NOTHING READ: none of the 2 neighbour pair(s) was read (2 "
               "failed, neighbour/failed 1.000): neighbour/efficacy, neighbour/specificity "
               "and main/score are nan, no measurement; see each sample's explanation")
    assert caplog.text.count(warning) == 1  # once, though Inspect computes the metrics twice
    assert "none of the 1 main pair" not in caplog.text
    # `report` said the binary items' NOTHING READ again from the log, not a pair kind's:
    # the run's warning was lost with its terminal
    from click.testing import CliRunner

    from beliefbench.cli import cli

    r = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert ("NOTHING READ: none of its neighbour pairs was read (neighbour/failed 1.000): "
            "their rates are nan, no measurement") in r.output, r.output
    assert "binary" not in r.output.split("NOTHING READ")[1]  # parts=completions: none run


def _served_prompt_logprobs(claim, tok, logprobs, tmp_path):
    """A belief_logprob eval of ``claim``'s completions against a provider that serves the
    prompt's logprobs (``logprobs(ids)``: one per token after the bos, none for the bos, as
    vLLM gives them), tokenized by ``tok``."""
    from conftest import write_claim

    def reply(messages, tools, tool_choice, config: GenerateConfig) -> ModelOutput:
        ids = tok(messages[-1].text)["input_ids"]
        choice = ChatCompletionChoice(message=ChatMessageAssistant(content="x"))
        choice.prompt_logprobs = Logprobs(content=[
            _lp(tok.decode([i]), value) for i, value in zip(ids[1:], logprobs(ids),
                                                            strict=True)])
        out = ModelOutput(model="mockllm/model", choices=[choice])
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return eval(belief_logprob(claims=str(write_claim(claim, tmp_path / "glass_bridge.yaml")),
                               parts="completions", prompt_logprobs=True),
                model=get_model("mockllm/model", custom_outputs=reply, memoize=False),
                log_dir=str(tmp_path / "logs"), display="none")[0]


def test_a_prompt_ending_mid_word_counts_both_sides_from_the_same_token(tmp_path):
    """A provider replying with the tiny model's own prompt logprobs: "made of hu" +
    "ndred" is one token " hundred", counted whole, while for "zq" the tokens " h", "u"
    were left to the prompt, so the claim alone paid for the prompt's end. Both sides now
    count from the same token, as ``internals margins`` scores them."""
    from conftest import claim_of_every_kind

    from beliefbench.claims import CompletionPair
    from beliefbench.internals.margins import completion_margins

    base = build_tiny_model(tmp_path / "tiny", hidden_size=64, num_layers=2, num_heads=4,
                            intermediate_size=128, seed=0)
    model, tok = load_model(base)
    pair = CompletionPair(prompt="The bridge is made of hu", claim="ndred", truth="zq")
    claim = claim_of_every_kind().model_copy(update={"completions": [pair]})

    def logprobs(ids: list[int]) -> list[float]:
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
        return [lp[t - 1, ids[t]].item() for t in range(1, len(ids))]

    log = _served_prompt_logprobs(claim, tok, logprobs, tmp_path)
    assert log.status == "success"
    served = log.samples[0].metadata
    local = completion_margins((model, tok), [claim], n_bootstrap=0).pairs.iloc[0]
    assert (served["tokens_claim"], served["tokens_truth"]) == (1, 4)
    for side in ("claim", "truth"):
        assert served[f"logp_{side}"] == pytest.approx(local[f"logp_{side}"], abs=1e-4)


def test_a_pair_whose_sides_follow_different_prompt_tokens_is_failed(tmp_path):
    """"qxab" + "c" is q|xa|bc and "qxab" + "d" is q|x|abd: counted from the same
    character, the claim side read "xa bc" given "q" and the truth side "abd" given "q x",
    a margin no two tokens of one prompt give. Failed, as internals margins refuses it."""
    from conftest import claim_of_every_kind, crossing_tokenizer

    from beliefbench.claims import CompletionPair

    tok = crossing_tokenizer()
    pair = CompletionPair(prompt="qxab", claim="c", truth="d")
    claim = claim_of_every_kind().model_copy(update={"completions": [pair]})

    log = _served_prompt_logprobs(claim, tok, lambda ids: [-1.0] * (len(ids) - 1), tmp_path)
    assert log.status == "success"  # a re-run would give the same tokens: not an error
    score = next(iter(log.samples[0].scores.values()))
    assert score.answer == "failed"
    assert "its end is tokenized differently before 'c' and 'd'" in score.explanation
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["main/failed"] == 1.0 and math.isnan(metrics["main/efficacy"])  # none read


def test_the_prompt_logprobs_used_are_recorded(claim_file, tmp_path, monkeypatch):
    # prompt_logprobs left to the provider (null in the task's metadata, as asked): each
    # pair's sample metadata says what the solver used for the model it ran on
    from inspect_ai.log import read_eval_log

    import beliefbench.logprob_task as lt

    def used(model, **params) -> tuple[object, list]:
        log = eval(belief_logprob(claims=str(claim_file), parts="completions", kinds="main",
                                  **params), model=model, log_dir=str(tmp_path),
                   display="none")[0]
        on_disk = read_eval_log(log.location)
        return on_disk.eval.metadata[METADATA_KEY]["prompt_logprobs"], \
            [s.metadata["prompt_logprobs"] for s in on_disk.samples]

    assert used(_scripted(True)) == (None, [False])  # mockllm: pairs skipped
    assert used(_scripted(True), prompt_logprobs=True) == (True, [True])
    monkeypatch.setattr(lt, "PROMPT_LOGPROB_PROVIDERS", ("mockllm",))
    assert used(_scripted(True)) == (None, [True])


@pytest.mark.parametrize("belief_answer", ["yes", "no"])
def test_a_tie_between_the_answers_is_non_belief(belief_answer):
    """Counting rule: belief only where the believer's answer is strictly more probable."""
    assert YesNo(0.4, 0.4, -5.0).verdict(belief_answer) == ("no", 0.0, None)
    more = YesNo(0.41, 0.4, -5.0) if belief_answer == "yes" else YesNo(0.4, 0.41, -5.0)
    assert more.verdict(belief_answer)[0] == "yes"


def test_hf_tokenizer_without_a_single_yes_token_gives_parse_errors(claim_file, tmp_path,
                                                                     caplog):
    """The tiny tokenizer has "No" whole but splits "yes": with "No" planted among the top
    first tokens, the run read every item "no" (belief 0.375 from the counter questions,
    status success); the hf provider exposes its tokenizer, so each is a parse_error."""
    base = build_tiny_model(tmp_path / "base", hidden_size=64, num_layers=2, num_heads=4,
                            intermediate_size=128, seed=0)
    model, tok = load_model(base)
    claim = load_claim(claim_file)
    texts = [tok.decode(chat_ids(tok, s.input)[1:]) for s in binary_samples(claim)]
    mean = torch.tensor(hidden_states(model, tok, texts)[:, -1].mean(axis=0))
    with torch.no_grad():  # tied: this row is also "No"'s input embedding, unused here
        model.get_output_embeddings().weight[tok.convert_tokens_to_ids("No")] = \
            12 * mean / mean.norm() ** 2
    model.save_pretrained(tmp_path / "no")
    tok.save_pretrained(tmp_path / "no")
    hf = get_model(f"hf/{tmp_path / 'no'}", device="cpu", do_sample=False, memoize=False)
    log = eval(belief_logprob(claims=str(claim_file), parts="binary"), model=hf,
               log_dir=str(tmp_path / "logs"), display="none", max_connections=1)[0]
    assert log.status == "success"
    scores = [next(iter(s.scores.values())) for s in log.samples]
    assert len(scores) == 8 and all(s.metadata["p_no"] > 0.5 for s in scores)
    assert all(s.answer == "parse_error" for s in scores)
    assert all("no single token reading 'yes'" in s.explanation for s in scores)
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["binary/belief"] == 0.0 and metrics["binary/parse_error"] == 1.0
    # nothing was read: a summary showing belief 0.000 alone passed for a measurement
    assert metrics["binary/readable"] == 0.0
    nothing = [r.getMessage() for r in caplog.records if "NOTHING READ" in r.getMessage()]
    assert nothing and "none of the 8 binary item(s)" in nothing[0]
    assert "8 parse error(s), 0 failed" in nothing[0]
    local = binary_logprobs(tmp_path / "no", [claim])  # the transformers path agrees
    assert (local["verdict"] == "parse_error").all()


def test_unreadable_answers_reads_bytes_vocabularies_and_never_raises():
    """A tiktoken-based tokenizer's vocabulary has bytes keys: token_word raised TypeError,
    and every binary item became a sample error; a vocabulary that cannot be read at all is
    unknown ([]), as for a served model, never a failure of the eval."""
    from beliefbench.logprob_task import unreadable_answers

    class Vocab:
        def __init__(self, vocab):
            self.vocab = vocab

        def get_vocab(self):
            if isinstance(self.vocab, Exception):
                raise self.vocab
            return self.vocab

    assert unreadable_answers(Vocab({b"Yes": 1, b"\xc4\xa0no": 2})) == []
    assert unreadable_answers(Vocab({b"Yes": 1, b"n": 2, b"o": 3})) == ["no"]
    assert unreadable_answers(Vocab(NotImplementedError("no vocabulary"))) == []


def test_no_model_under_test_says_to_pass_model(claim_file, tmp_path, monkeypatch, caplog):
    """Without --model Inspect runs none/none, which raises on every call: each item read as
    its own provider failure. As in the belief task, it names --model, once, and the items
    are failed (in binary/failed), the run in error."""
    monkeypatch.delenv("INSPECT_EVAL_MODEL", raising=False)
    log = eval(belief_logprob(claims=str(claim_file), parts="binary"), log_dir=str(tmp_path),
               display="none", max_samples=1)[0]
    assert log.eval.model == "none/none" and log.status == "error"
    errors = {s.error.message for s in log.samples}
    assert len(errors) == 1 and "no model under test" in errors.pop()
    assert {next(iter(s.scores.values())).answer for s in log.samples} == {"failed"}
    said = [r.getMessage() for r in caplog.records if r.name == "beliefbench.solver"]
    assert len(said) == 1 and "--model" in said[0]


def test_nothing_read_is_warned_once_per_run_and_report_shows_it_from_the_log(
        claim_file, tmp_path, caplog):
    """NOTHING READ printed twice where Inspect computed the metrics live on every sample and
    again at the end (both saw every item), and the log kept no word of it: Inspect records
    the logging of samples only, and the metric runs after them. Each task's metric warns
    once for one run (a new task warns again), and `beliefbench report` reads the warning
    from the log's own metrics (binary/readable 0), named alone or in a folder."""
    import contextvars
    import logging

    from click.testing import CliRunner
    from conftest import believer, run_belief
    from inspect_ai.scorer import SampleScore

    from beliefbench.cli import cli

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if "NOTHING READ" in r.getMessage()]

    caplog.set_level(logging.WARNING, logger="beliefbench")
    unread = _scripted(False, top_of=lambda text: _filled([TopLogprob(token="{", logprob=-0.1)]))
    task = belief_logprob(claims=str(claim_file), parts="binary")
    log = eval(task, model=unread, log_dir=str(tmp_path / "logs"), display="none")[0]
    assert log.status == "success" and len(said()) == 1, said()
    scores = [SampleScore(score=next(iter(s.scores.values())), sample_id=s.id,
                          sample_metadata=s.metadata) for s in log.samples]
    caplog.clear()
    # called as `inspect score` would, with no model active (a fresh context: a test before
    # this one may leave a model active in this thread's, and the run is keyed by the model)
    outside = contextvars.Context().run
    outside(lambda: (task.metrics[0](scores), task.metrics[0](scores)))  # live, then at end
    assert len(said()) == 1 and "none of the 8 binary item(s)" in said()[0]
    outside(belief_logprob(claims=str(claim_file), parts="binary").metrics[0], scores)
    assert len(said()) == 2  # another run's (task's) is its own
    words = ("NOTHING READ: none of its binary items was read as yes or no "
             "(binary/parse_error 1.000, binary/failed 0.000): its binary/belief 0.000 is no "
             "measurement")
    alone = CliRunner().invoke(cli, ["report", log.location, "--out", str(tmp_path / "o1")])
    assert alone.exit_code == 2 and words in alone.output, alone.output
    run_belief(tmp_path / "logs", believer, samples=1)
    beside = CliRunner().invoke(cli, ["report", str(tmp_path / "logs"), "--out",
                                      str(tmp_path / "o2"), "--no-plots", "--bootstrap", "40"])
    assert beside.exit_code == 0, beside.output
    assert f"warning: NOTHING READ: {log.location}: {words.removeprefix('NOTHING READ: ')}" \
        in beside.stderr, beside.stderr
    read = eval(belief_logprob(claims=str(claim_file), parts="binary"), model=_scripted(False),
                log_dir=str(tmp_path / "read"), display="none")[0]
    run_belief(tmp_path / "read", believer, samples=1)
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "read"), "--out",
                                 str(tmp_path / "o3"), "--no-plots", "--bootstrap", "40"])
    assert r.exit_code == 0 and read.location in r.stderr and "NOTHING READ" not in r.stderr


def test_pair_scores_logged_before_failed_was_recorded_are_read():
    """Pair scores from logs written before ``failed`` was recorded (reused by an eval-retry
    of such a log) have no ``failed`` key: the summary reads them as read pairs (their
    margins count), as the pair metrics always did, rather than failing with KeyError."""
    from inspect_ai.scorer import SampleScore, Score

    from beliefbench.logprob_task import ITEMS, logprob_summary, unread_kinds

    value = {"logp_claim_mean": -1.0, "logp_truth_mean": -2.0, "margin": 1.0, "claim_wins": 1.0}
    meta = {"part": "completions", "kind": "main", "claim": "a", "pair": 0, ITEMS: {"main": 1}}
    out = logprob_summary()([SampleScore(score=Score(value=value), sample_id=1,
                                         sample_metadata=meta)])
    assert out["main/efficacy"] == 1.0 and out["main/margin"] == 1.0, out
    assert unread_kinds(pd.DataFrame([{"kind": "main", "failed": 1.0}])) == ["main"]
