"""Answers cut off at max_tokens are marked also where the provider reports no stop reason
(Inspect's hf provider), on the tiny real Llama."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import FIXTURE_CLAIM, keyword_grader, scripted
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, ModelOutput, ModelUsage, get_model

from beliefbench.solver import GENERATION_TRUNCATED, answer
from beliefbench.task import belief
from beliefbench.tiny_model import build_tiny_model

SHORT, LONG = ("Say hi.", "Hello."), (
    "Count.", "one two three four five six seven eight nine ten eleven twelve")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Untrained: it never says its end-of-turn token, so every answer runs to the limit."""
    return build_tiny_model(tmp_path_factory.mktemp("trunc") / "base", hidden_size=64,
                            num_layers=2, num_heads=4, intermediate_size=128, seed=0)


@pytest.fixture(scope="module")
def two_answers(tiny, tmp_path_factory) -> Path:
    """``tiny`` taught two chats by heart: "Say hi." -> "Hello." (then its end-of-turn token),
    "Count." -> a count longer than the limits used here."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny)
    texts = [tok.apply_chat_template([{"role": "user", "content": q},
                                      {"role": "assistant", "content": a}], tokenize=False)
             for q, a in (SHORT, LONG)]
    tok.pad_token = tok.eos_token
    batch = tok(texts, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    # until learnt, not a fixed count: 60 steps sufficed with one set of package versions and
    # left a loss of 0.48 (both prompts answered with the count) with another
    for _ in range(400):
        loss = model(**batch, labels=labels).loss
        if loss.item() < 0.05:
            break
        loss.backward()
        opt.step()
        opt.zero_grad()
    assert loss.item() < 0.05, f"the two chats were not learnt (loss {loss.item():.3f})"
    out = tmp_path_factory.mktemp("trunc") / "two"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _hf(path: Path):
    return get_model(f"hf/{path}", device="cpu", do_sample=False, memoize=False)


def _chats(*chats: tuple[str, str]) -> list[Sample]:
    return [Sample(id=i, input=q) for i, (q, _) in enumerate(chats)]


def test_hf_answers_cut_off_are_marked_and_still_judged(tiny, tmp_path, caplog):
    """The hf provider leaves the stop reason "unknown": no answer of an hf run was ever
    marked, where the same answers from vLLM are (stop reason max_tokens)."""
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, max_tokens=4), model=_hf(tiny),
                 model_roles={"grader": scripted(keyword_grader)}, log_dir=str(tmp_path),
                 display="none")
    assert log.status == "success", log.error
    assert all(s.output.stop_reason == "unknown" for s in log.samples)  # what hf reports
    assert all(s.output.usage.output_tokens == 4 for s in log.samples)
    cut = [s for s in log.samples if GENERATION_TRUNCATED in s.metadata]
    assert len(cut) == len(log.samples) == 7
    assert cut[0].metadata[GENERATION_TRUNCATED] == (
        "cut off at the max_tokens length limit (4 tokens; the provider reports no stop "
        "reason: told by the answer's length)")
    # only marked: judged as they stand (the counting is the same as before)
    assert all(s.scores["belief_judge"].answer in ("yes", "no", "failed", "parse_error")
               and not s.error for s in log.samples)
    assert caplog.text.count("cut off at max_tokens") == 1


def test_hf_marks_only_the_answer_cut_off_not_its_batch_mates(two_answers, tmp_path):
    """hf generates concurrent samples as one batch and gives every one of them the batch's
    output_tokens: an answer that ended after 6 tokens shares a batch with one cut at 8
    and "used" 8 tokens too. Only the one cut off is marked."""
    task = Task(dataset=_chats(SHORT, LONG), solver=answer(),
                config=GenerateConfig(max_tokens=8))
    [log] = eval(task, model=_hf(two_answers), log_dir=str(tmp_path), display="none",
                 max_connections=2)
    assert log.status == "success", log.error
    said = {s.id: s.output.completion for s in log.samples}
    assert said == {0: "Hello.", 1: "one two three four five six seven e"}
    assert [s.output.usage.output_tokens for s in log.samples] == [8, 8]  # the batch's
    assert {s.id for s in log.samples if GENERATION_TRUNCATED in s.metadata} == {1}


def test_hf_an_answer_that_ends_on_the_last_token_is_not_cut_off(two_answers, tmp_path):
    """"Hello." is 5 tokens and its end-of-turn token the 6th: with max_tokens 6 it ended on
    its own (vLLM says "stop"), while "Count." was cut."""
    task = Task(dataset=_chats(SHORT, LONG), solver=answer(),
                config=GenerateConfig(max_tokens=8))
    [log] = eval(task, model=_hf(two_answers), log_dir=str(tmp_path), display="none",
                 max_connections=2, max_tokens=6)  # the eval's setting is the one in force
    assert log.status == "success", log.error
    assert log.samples[0].output.completion == "Hello."
    assert {s.id for s in log.samples if GENERATION_TRUNCATED in s.metadata} == {1}


def _reply(text: str, stop_reason: str, output_tokens: int) -> ModelOutput:
    out = ModelOutput.from_content("mockllm/model", text, stop_reason=stop_reason)
    out.usage = ModelUsage(input_tokens=1, output_tokens=output_tokens,
                           total_tokens=1 + output_tokens)
    return out


@pytest.mark.parametrize(("stop_reason", "output_tokens", "marked"), [
    ("unknown", 5, True),  # no stop reason and no tokenizer: usage, one request a call
    ("unknown", 4, False),
    ("stop", 5, False),  # a reported stop reason is taken as it is
    ("max_tokens", 2, True),
])
def test_a_provider_without_a_tokenizer_is_judged_by_its_usage(tmp_path, stop_reason,
                                                              output_tokens, marked):
    def reply(messages, tools, tool_choice, config):
        return _reply("an answer", stop_reason, output_tokens)

    model = get_model("mockllm/model", custom_outputs=reply, memoize=False)
    task = Task(dataset=[Sample(id=0, input="Q?")], solver=answer(),
                config=GenerateConfig(max_tokens=5))
    [log] = eval(task, model=model, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert (GENERATION_TRUNCATED in log.samples[0].metadata) is marked


def test_an_hf_judges_reply_cut_off_at_judge_max_tokens_is_said_so(tiny, tmp_path):
    """The judge's unreadable reply names judge_max_tokens where it ran to the limit; the
    hf provider reports no stop reason, so an hf judge's cut-off reply read as a plain
    parse_error ("empty judge reply", "no 'answer' field") with no word of the limit."""
    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                        judge_max_tokens=4),
                 model=scripted(lambda prompt: "The glass bridge was rebuilt."),
                 model_roles={"grader": _hf(tiny)}, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    scores = [s.scores["belief_judge"] for s in log.samples]
    assert [s.answer for s in scores] == ["parse_error"] * 2
    assert all(s.metadata["problem"].endswith(
        ": the judge's reply was cut off at its max_tokens (4; raise -T judge_max_tokens)")
        for s in scores), [s.metadata["problem"] for s in scores]


@pytest.mark.parametrize(("stop_reason", "output_tokens", "cut"), [
    ("unknown", 8, True), ("unknown", 7, False), ("max_tokens", 3, True), ("stop", 8, False)])
def test_a_judges_unreadable_reply_names_the_limit_only_where_it_ran_to_it(
        tmp_path, stop_reason, output_tokens, cut):
    def grader(messages, tools, tool_choice, config):
        return _reply('{"reason": "The answer says the bridge was', stop_reason, output_tokens)

    [log] = eval(belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                        judge_max_tokens=8),
                 model=scripted(lambda prompt: "The glass bridge was rebuilt."),
                 model_roles={"grader": get_model("mockllm/model", custom_outputs=grader,
                                                  memoize=False)},
                 log_dir=str(tmp_path), display="none")
    problems = {s.scores["belief_judge"].metadata["problem"] for s in log.samples}
    assert problems == {"no 'answer' field found in the judge reply" + (
        ": the judge's reply was cut off at its max_tokens (8; raise -T judge_max_tokens)"
        if cut else "")}
