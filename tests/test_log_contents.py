"""What a belief log tells its reader about a judge that failed or said little: the cause on
one line, no key, an outage never filed as the judge's parse error, a reason for every verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURE_CLAIM, believer, keyword_grader, output, scripted
from inspect_ai import eval
from inspect_ai.log import EvalLog
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    Model,
    ModelAPI,
    ModelCall,
    ModelOutput,
    get_model,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from beliefbench.logprob_task import belief_logprob
from beliefbench.task import belief

SECRET = "sk-test-0123456789abcdef"
OUTAGE_QUESTION = "rebuilt in recent years"
"""Text of the fixture claim's oe_02 question: the one item a failing model fails on."""


class ErrorAsOutput(ModelAPI):
    """A provider that hands its error back as the call's result, as Inspect's OpenAI and
    Anthropic providers do for a refused request: Inspect then raises ModelGenerateError,
    whose text is the whole request (the prompt) first and the provider's error last."""

    def __init__(self, model_name: str, base_url: str | None = None,
                 api_key: str | None = None, config: GenerateConfig | None = None,
                 **model_args: object) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig
                       ) -> tuple[ModelOutput | Exception, ModelCall]:
        call = ModelCall.create({"model": self.model_name,
                                 "messages": [m.model_dump() for m in input]}, None)
        if self.model_name == "subject" or OUTAGE_QUESTION in input[-1].text:
            return ConnectionError(f"upstream refused: invalid key {SECRET}"), call
        return output(keyword_grader(input[-1].text)), call


@modelapi(name="error-as-output")
def error_as_output() -> type[ModelAPI]:
    return ErrorAsOutput


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., EvalLog]:
    """The belief task's open-ended items, answered as a believer, judged by ``grader``."""
    monkeypatch.setenv("JUDGE_API_KEY", SECRET)  # a key the server echoes back

    def go(grader: Model, **params: object) -> EvalLog:
        task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                      **{"max_failed": 1, **params})
        return eval(task, model=scripted(believer), model_roles={"grader": grader},
                    log_dir=str(tmp_path), display="none")[0]

    return go


def judged(log: EvalLog, question: str):
    [sample] = [s for s in log.samples if s.metadata["question"] == question]
    return sample, sample.scores["belief_judge"]


def test_a_judge_error_is_its_cause_on_one_line_without_the_prompt_or_key(run):
    log = run(get_model("error-as-output/judge"))
    sample, score = judged(log, "oe_02")
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    said = score.explanation
    # was: "judge call failed (...): ModelGenerateError: \nRequest:\n{ ...the judge prompt
    # as JSON... }\n\nConnectionError('... sk-...')", cut at 2000 characters
    assert said == ("judge call failed (error-as-output/judge): ConnectionError: upstream "
                    "refused: invalid key ***"), said
    assert sample.error is not None and said in sample.error.message
    # what beliefbench writes (Inspect's own model event keeps the provider's raw error)
    assert SECRET not in json.dumps([score.model_dump(), sample.metadata,
                                     sample.error.model_dump()])


def refusing_judge(stop_reason: str, text: str) -> Callable[..., ModelOutput]:
    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        if OUTAGE_QUESTION in messages[-1].text:
            out = output(text)
            out.choices[0].stop_reason = stop_reason  # type: ignore[assignment]
            return out
        return output(keyword_grader(messages[-1].text))

    return reply


def test_a_judge_provider_error_handed_back_as_its_reply_is_an_outage(run):
    # vLLM's 400 for a prompt over --max-model-len comes back as stop reason model_length
    # with the server's message as text: it read as the judge's own unreadable reply
    # (parse_error, eval status success, never re-judged by eval-retry)
    message = "This model's maximum context length is 2048 tokens."
    grader = get_model("mockllm/model", memoize=False,
                       custom_outputs=refusing_judge("model_length", message))
    log = run(grader, max_failed=0.05)
    sample, score = judged(log, "oe_02")
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    assert "judge call failed" in score.explanation and message in score.explanation
    assert score.metadata["judge_reply"] == message  # what the provider said, kept
    assert sample.error is not None and message in sample.error.message  # eval-retry
    assert log.status == "error"  # 1 of 2 responses is over the 5% budget
    _, other = judged(log, "oe_01")
    assert other.answer == "yes"


def test_a_provider_error_handed_back_as_the_judge_reply_is_kept_without_the_key(run):
    # the reply is the provider's error, not the judge's answer: a server that echoes the
    # key it was sent had it written into the log's judge_reply in plain text
    message = f"Invalid API key {SECRET} for this model."
    grader = get_model("mockllm/model", memoize=False,
                       custom_outputs=refusing_judge("model_length", message))
    log = run(grader, max_failed=1)
    _, score = judged(log, "oe_02")
    assert score.answer == "failed"
    assert score.metadata["judge_reply"] == "Invalid API key *** for this model."
    assert SECRET not in json.dumps(score.model_dump())


def test_a_judge_reply_cut_off_at_its_max_tokens_says_so(run):
    cut = '{"reason": "The answer describes the bridge as being made of gl'
    grader = get_model("mockllm/model", memoize=False,
                       custom_outputs=refusing_judge("max_tokens", cut))
    log = run(grader, judge_max_tokens=16)
    sample, score = judged(log, "oe_02")
    assert score.answer == "parse_error" and sample.error is None  # the judge did answer
    assert score.metadata["judge_reply"] == cut
    assert score.explanation == score.metadata["problem"]
    assert "cut off at its max_tokens (16; raise -T judge_max_tokens)" in score.explanation


def test_a_verdict_without_a_reason_still_has_an_explanation(run):
    grader = scripted(lambda prompt: json.dumps({"answer": "no"}))
    log = run(grader)
    for sample in log.samples:
        score = sample.scores["belief_judge"]
        assert score.answer == "no"
        assert score.explanation == "mockllm/model: no (the judge gave no reason)"


def test_a_logprob_key_given_as_a_model_argument_is_not_logged(monkeypatch, tmp_path):
    """``-M api_key=...`` is in no environment variable: the logprob task's provider error
    that quoted it had it in ``generation_error``, the score and the sample's error."""
    monkeypatch.delenv("SUBJECT_API_KEY", raising=False)
    log = eval(belief_logprob(claims=str(FIXTURE_CLAIM), parts="binary"),
               model=get_model("error-as-output/subject", api_key=SECRET, memoize=False),
               log_dir=str(tmp_path), display="none")[0]
    assert log.samples and all(s.error for s in log.samples)
    for sample in log.samples:
        said = sample.metadata["generation_error"]
        assert said == "ConnectionError: upstream refused: invalid key ***", said
        assert SECRET not in json.dumps([sample.scores["logprob_scorer"].model_dump(),
                                         sample.error.model_dump()])


def test_a_logprob_provider_error_is_its_cause_on_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("SUBJECT_API_KEY", SECRET)
    log = eval(belief_logprob(claims=str(FIXTURE_CLAIM), parts="binary"),
               model=get_model("error-as-output/subject"), log_dir=str(tmp_path),
               display="none")[0]
    assert log.samples and all(s.error for s in log.samples)
    for sample in log.samples:
        said = sample.metadata["generation_error"]
        # was Inspect's "ModelGenerateError: \nRequest:\n{...}" (the prompt as JSON) first
        assert said == "ConnectionError: upstream refused: invalid key ***", said
        score = sample.scores["logprob_scorer"]
        assert score.answer == "failed" and score.explanation == said
        assert SECRET not in sample.error.message
        # nor in its traceback, which showed the cause chained to it
        assert SECRET not in json.dumps(sample.error.model_dump())


def _chat(text: str | None) -> dict:
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [] if text is None else [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}


@pytest.fixture
def chat_server(chat_server_on):
    """``chat_server_on`` with SECRET as the key sent."""
    return lambda reply: chat_server_on(reply, SECRET)


def _served_eval(tmp_path: Path, subject: str, grader: str, **options: object) -> EvalLog:
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended", max_failed=1)
    return eval(task, model=f"openai-api/local/{subject}",
                model_roles={"grader": f"openai-api/local/{grader}"}, max_retries=0,
                log_dir=str(tmp_path), display="none", **options)[0]


NO_CHOICES = "the server's reply held no choices (an empty 'choices' list; check the server)"


def test_a_reply_with_no_choices_is_an_outage_named_as_such(chat_server, tmp_path):
    """A 200 whose ``choices`` list is empty: from the model under test, the sample's error
    read "IndexError: list index out of range" (raised in Inspect's own code); from the
    judge, the scorer itself crashed on it, and the response had no verdict at all."""
    def reply(model: str, body: dict) -> tuple[int, dict]:
        question = body["messages"][-1]["content"]
        if model == "empty-subject" and OUTAGE_QUESTION in question:
            return 200, _chat(None)
        if model == "empty-judge":
            return 200, _chat(None if OUTAGE_QUESTION in question
                              else json.dumps({"reason": "r", "answer": "yes"}))
        return 200, _chat("It is made of glass." if "judge" not in model
                          else json.dumps({"reason": "r", "answer": "yes"}))

    chat_server(reply)
    for subject, grader, said in [
            ("empty-subject", "ok-judge", f"the provider returned no answer: {NO_CHOICES}"),
            ("ok-subject", "empty-judge", "judge call failed (openai-api/local/empty-judge): "
                                          f"the provider returned no answer: {NO_CHOICES}")]:
        log = _served_eval(tmp_path / subject, subject, grader)
        sample, score = judged(log, "oe_02")
        assert score.answer == "failed" and score.metadata["infrastructure"] is True
        assert score.explanation == said, score.explanation
        assert sample.error is not None and said in sample.error.message
        _, other = judged(log, "oe_01")
        assert other.answer == "yes"


def test_a_key_the_server_echoes_is_not_in_the_samples_traceback(chat_server, tmp_path):
    """The model under test's error was re-raised with its cause chained, so the sample's
    logged traceback (``inspect view``, eval-retry's output) showed the provider's message
    with the key a server echoed in it, while its one-line message had it redacted."""
    chat_server(lambda model, body: (500, {"error": {"message": "internal error"}}))
    log = _served_eval(tmp_path, "echoing-subject", "echoing-judge")
    sample, score = judged(log, "oe_01")
    assert score.answer == "failed" and "internal error ***" in score.explanation
    assert sample.error is not None and "internal error ***" in sample.error.message
    # what beliefbench writes (Inspect's own model event keeps the provider's raw error)
    assert SECRET not in json.dumps([score.model_dump(), sample.metadata,
                                     sample.error.model_dump()])


@pytest.mark.parametrize("who", ["subject", "judge"])
def test_a_key_given_as_a_model_argument_a_server_echoes_bare_is_not_logged(tmp_path,
                                                                             monkeypatch, who):
    """``-M api_key=...`` (or a grader's ``model_args: {api_key: ...}``) is in no environment
    variable, and the OpenAI SDK's errors keep no request headers: a server that echoed the
    key bare ("invalid key sk-...", no ``Bearer``) had it in the sample's error,
    ``generation_error`` and the score's explanation (or the judge's ``judge_error``)."""
    from conftest import serve_json

    given = "sk-given-BARE-0123456789"

    def reply(handler) -> tuple[int, dict]:
        if who in handler.body["model"]:
            sent = handler.headers["Authorization"].partition(" ")[2]
            return 401, {"error": {"message": f"invalid key {sent}"}}
        return 200, _chat("It is made of glass." if who == "judge"
                          else json.dumps({"reason": "r", "answer": "yes"}))

    server = serve_json(reply)
    monkeypatch.setenv("LOCAL_API_KEY", "sk-env-unused-0000")
    monkeypatch.setenv("LOCAL_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    try:
        task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended",
                      max_failed=1)
        log = eval(task, model=get_model("openai-api/local/subject", api_key=given,
                                         memoize=False),
                   model_roles={"grader": get_model("openai-api/local/judge", api_key=given,
                                                    memoize=False)},
                   max_retries=0, log_dir=str(tmp_path), display="none")[0]
    finally:
        server.shutdown()
    sample, score = judged(log, "oe_01")
    assert score.answer == "failed" and "invalid key ***" in score.explanation, \
        score.explanation
    assert given not in json.dumps([score.model_dump(), sample.metadata,
                                    sample.error.model_dump() if sample.error else None])


@pytest.mark.parametrize("body, cause", [
    (b'{"id": "c", "choices": [', "JSONDecodeError: Expecting value")])
def test_a_reply_the_provider_cannot_read_is_named_as_the_servers(chat_server, tmp_path,
                                                                  body, cause):
    """A 200 whose body is no JSON (a proxy's page, a body cut short) read only
    "JSONDecodeError: Expecting value: line 1 column 25 (char 24)": nothing said that the
    server's reply to the model under test could not be read."""
    chat_server(lambda model, _: (200, body))
    log = _served_eval(tmp_path, f"unread-subject-{len(cause)}", f"unread-judge-{len(cause)}")
    sample, score = judged(log, "oe_01")
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    said = score.explanation
    import os

    assert said.startswith(f"the server at {os.environ['LOCAL_BASE_URL']} sent a reply this "
                           f"provider cannot read ({cause}"), said
    assert said.endswith("); check the model name, the base URL and the server"), said
    assert sample.error is not None and said in sample.error.message


def _response(text: str) -> dict:
    """A Responses API reply (``/v1/responses``) whose answer is ``text``."""
    return {"id": "r", "object": "response", "created_at": 0, "model": "m",
            "status": "completed", "output": [
                {"type": "message", "id": "m1", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10}}


def _responses_eval(chat_server, tmp_path, monkeypatch, case: str, who: str, body: tuple):
    """One open-ended question through the Responses API at a local server, the ``who``
    side (the model under test or the judge) answered by ``body`` (status 200), the other
    answering normally: (grader name, the judged sample, its score). ``case`` names the
    models anew for each case: Inspect keeps a model by name."""
    import os

    subject, grader = f"{case}-subject", f"{case}-grader"

    def reply(model: str, _: dict) -> tuple:
        if model == (subject if who == "subject" else grader):
            return (200, *body)
        return 200, _response("It is made of glass." if model == subject
                              else json.dumps({"reason": "r", "answer": "yes"}))

    chat_server(reply)
    monkeypatch.setenv("OPENAI_BASE_URL", os.environ["LOCAL_BASE_URL"])
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended", max_failed=1)
    [log] = eval(task, model=f"openai/{subject}", model_roles={"grader": f"openai/{grader}"},
                 max_retries=0, log_dir=str(tmp_path), display="none")
    return (grader, *judged(log, "oe_01"))


@pytest.mark.parametrize("who", ["subject", "judge"])
@pytest.mark.parametrize("body, cause", [
    ((b"<html><body>Welcome to nginx</body></html>", "text/html"),
     "a body that is no JSON object: '<html><body>Welcome to nginx</body></html>'"),
    (({"status": "ok", "data": [1, 2]},), "TypeError: 'NoneType' object is not iterable"),
    (({"id": "r", "object": "response", "output": "text"},),
     "ValueError: Unexpected output type: <class 'str'>")])
def test_a_responses_api_reply_the_provider_cannot_read_names_the_server(
        chat_server, tmp_path, monkeypatch, who, body, cause):
    """Inspect's ``openai`` provider asks a model name it does not know (a served model's, at
    ``OPENAI_BASE_URL``) through the Responses API. A reply there it could not read was
    recorded, for the model under test and the judge alike, as a bare "TypeError:
    'NoneType' object is not iterable", "ValueError: Unexpected output type" or (an HTML
    page sent as such) "AssertionError": not that the server's reply could not be read, nor
    which server sent it."""
    import os

    grader, sample, score = _responses_eval(chat_server, tmp_path, monkeypatch,
                                            f"resp-{who}-{len(cause)}", who, body)
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    expected = (f"the server at {os.environ['LOCAL_BASE_URL']} sent a reply this provider "
                f"cannot read ({cause}); check the model name, the base URL and the server")
    if who == "judge":
        expected = f"judge call failed (openai/{grader}): {expected}"
    assert score.explanation == expected, score.explanation
    assert sample.error is not None and expected in sample.error.message


@pytest.mark.parametrize("who", ["subject", "judge"])
def test_a_login_page_sent_with_200_is_not_retried_until_the_timeout(chat_server, tmp_path,
                                                                     who):
    """``openai-api`` read a 200 whose body is no JSON object (an HTML login page, a proxy's
    page) as a transient ``server_error`` and retried it: with unlimited retries (``sweep``'s
    default, Inspect's) the model under test or the judge was called again and again, the
    same page each time, until ``--timeout`` (20 s here; without one, for good). Now the call
    fails at once, naming the server and the start of the page, never the key."""
    import os
    import time

    case = f"login-{who}"  # a name per case: Inspect keeps a model
    subject, grader = f"{case}-subject", f"{case}-grader"
    failing = subject if who == "subject" else grader
    page = b"<html><head><title>Sign in</title></head><body>Log in to the proxy</body></html>"
    asked: list[str] = []

    def reply(model: str, body: dict) -> tuple:
        asked.append(model)
        if model == failing:
            return 200, page, "text/html"
        return 200, _chat("It is made of glass." if model == subject
                          else json.dumps({"reason": "r", "answer": "yes"}))

    chat_server(reply)
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended", max_failed=1)
    started = time.monotonic()
    [log] = eval(task, model=f"openai-api/local/{subject}",
                 model_roles={"grader": f"openai-api/local/{grader}"}, timeout=20,
                 log_dir=str(tmp_path), display="none")  # max_retries: unlimited
    took = time.monotonic() - started
    calls = asked.count(failing)
    questions = len(log.samples)
    assert calls == questions, f"{calls} calls for {questions} questions in {took:.0f} s"
    sample, score = judged(log, "oe_01")
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    expected = (f"the server at {os.environ['LOCAL_BASE_URL']} sent a reply this provider "
                f"cannot read (OpenAIResponseError: server_error: Unexpected non-ChatCompletion "
                f"response: '<html><head><title>Sign in</title>")
    if who == "judge":
        expected = f"judge call failed (openai-api/local/{grader}): {expected}"
    assert score.explanation.startswith(expected), score.explanation
    assert score.explanation.endswith("; check the model name, the base URL and the server")
    assert SECRET not in json.dumps([score.model_dump(), sample.metadata,
                                     sample.error.model_dump() if sample.error else None])


NO_OUTPUT = ("the provider returned no answer: the server's reply held no output (an empty "
             "'output' list, or output items with no content; check the server)")


@pytest.mark.parametrize("who", ["subject", "judge"])
def test_a_responses_api_reply_with_no_output_items_is_an_outage_named_as_such(
        chat_server, tmp_path, monkeypatch, who):
    """A Responses API 200 with ``"output": []`` is a server fault, as a chat completion with
    no choices is: from the model under test it was scored as the model giving no text
    (``failed``, not infrastructure, no sample error: counted as the model's answer), and
    from the judge as a ``parse_error`` (``judge_reply`` ""), so a server bug moved the
    belief rate or the parse-error rate. Now both are outages that name the cause."""
    grader, sample, score = _responses_eval(chat_server, tmp_path, monkeypatch,
                                            f"no-output-{who}", who,
                                            ({**_response(""), "output": []},))
    expected = NO_OUTPUT if who == "subject" else f"judge call failed (openai/{grader}): " \
        f"{NO_OUTPUT}"
    assert score.answer == "failed" and score.metadata["infrastructure"] is True, \
        (score.answer, score.explanation)
    assert score.explanation == expected, score.explanation
    assert sample.error is not None and expected in sample.error.message


def test_responses_api_replies_with_no_output_items_count_toward_the_abort(
        chat_server, tmp_path, monkeypatch):
    """A server that always sends ``"output": []`` was asked for every sample, each erroring
    on its own (the reply reset the streak as an answer would), where one that always sends
    ``"choices": []`` stopped the run after ``abort_after`` in a row. Now both stop it."""
    import os

    subject, grader = "no-output-always-subject", "no-output-always-grader"
    asked: list[str] = []

    def reply(model: str, body: dict) -> tuple:
        if isinstance(body["input"], list):  # not Inspect's probe for reasoning support
            asked.append(model)
        if model == subject:
            return 200, {**_response(""), "output": []}
        return 200, _response(json.dumps({"reason": "r", "answer": "yes"}))

    chat_server(reply)
    monkeypatch.setenv("OPENAI_BASE_URL", os.environ["LOCAL_BASE_URL"])
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, max_failed=1, abort_after=2)
    [log] = eval(task, model=f"openai/{subject}", model_roles={"grader": f"openai/{grader}"},
                 max_retries=0, max_samples=1, log_dir=str(tmp_path), display="none")
    assert len(log.samples) > 2
    assert asked.count(subject) == 2, asked
    errors = [s.metadata["generation_error"] for s in log.samples]
    assert errors.count(NO_OUTPUT) == 2, errors
    for said in (e for e in errors if e != NO_OUTPUT):
        assert said.startswith("aborted: 2 infrastructure failures in a row"), said
        assert said.endswith(f"First error: {NO_OUTPUT}"), said


@pytest.mark.parametrize("who", ["subject", "judge"])
@pytest.mark.parametrize("body, said", [
    ({"object": "error", "message": "The model does not exist.", "type": "NotFoundError",
      "code": 404}, "The model does not exist. (type NotFoundError, code 404)"),
    ({"error": {"message": "CUDA out of memory", "type": "InternalError", "code": 500}},
     "CUDA out of memory *** (type InternalError, code 500)")])
def test_an_error_object_sent_with_status_200_names_the_server_and_its_error(
        chat_server, tmp_path, who, body, said):
    """A server (vLLM, a proxy) that sends its error as a 200 whose body is an error object,
    no ``choices``, was recorded for the model under test and the judge alike as "the
    server's reply is not one this provider reads (TypeError: 'NoneType' object is not
    iterable)": neither the server nor what it said (``docs generate`` names both, with the
    same words). The error echoes the key it was sent; it is redacted."""
    import copy
    import os

    case = f"{who}-{len(said)}"  # a name per case: Inspect keeps a model (and its server)
    subject, grader = f"{case}-subject", f"{case}-grader"
    failing = subject if who == "subject" else grader

    def reply(model: str, _: dict) -> tuple[int, dict]:
        if model == failing:
            return 200, copy.deepcopy(body)
        return 200, _chat("It is made of glass." if model == subject
                          else json.dumps({"reason": "r", "answer": "yes"}))

    chat_server(reply)
    log = _served_eval(tmp_path, subject, grader)
    sample, score = judged(log, "oe_01")
    assert score.answer == "failed" and score.metadata["infrastructure"] is True
    expected = (f"the server at {os.environ['LOCAL_BASE_URL']} answered HTTP 200 with an "
                f"error instead of a completion: {said}")
    if who == "judge":
        expected = f"judge call failed (openai-api/local/{grader}): {expected}"
    assert score.explanation == expected, score.explanation
    assert sample.error is not None and expected in sample.error.message
    assert SECRET not in json.dumps([score.model_dump(), sample.metadata,
                                     sample.error.model_dump()])


@pytest.mark.parametrize("name", ["gpt-x", "served-model"])
def test_an_error_object_from_a_server_named_by_openai_base_url_names_that_server(
        chat_server, tmp_path, monkeypatch, name):
    """Inspect's ``openai`` provider keeps no base URL of its own where ``OPENAI_BASE_URL``
    gives it (the way README points it at a vLLM server): an error object sent with status
    200 was recorded as from "the server at the provider's own endpoint", naming a server
    the eval never called, while ``docs generate`` named the URL. A model name Inspect does
    not know (``served-model``) is asked through the Responses API, where the same reply
    read only "TypeError: 'NoneType' object is not iterable"."""
    import os

    body = {"object": "error", "message": "The model does not exist.",
            "type": "NotFoundError", "code": 404}
    chat_server(lambda model, _: (200, dict(body)))
    monkeypatch.setenv("OPENAI_BASE_URL", os.environ["LOCAL_BASE_URL"])
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    task = belief(claims=str(FIXTURE_CLAIM), samples=1, families="open_ended", max_failed=1)
    [log] = eval(task, model=f"openai/{name}-subject", model_roles={
        "grader": f"openai/{name}-grader"}, max_retries=0, log_dir=str(tmp_path),
        display="none")
    sample, score = judged(log, "oe_01")
    expected = (f"the server at {os.environ['LOCAL_BASE_URL']} answered HTTP 200 with an "
                "error instead of a completion: The model does not exist. (type "
                "NotFoundError, code 404)")
    assert score.explanation == expected, score.explanation
    assert sample.error is not None and expected in sample.error.message


def test_a_hung_judge_is_cut_at_the_evals_attempt_timeout(chat_server, tmp_path):
    """--attempt-timeout reached the model under test only (Inspect hands a role's model
    the eval's retries and --timeout, not it): a judge server that accepted the call and
    hung held every judge call until the SDK's own 10 minutes, whatever the eval said."""
    import time

    def reply(model: str, body: dict) -> tuple[int, dict]:
        if model == "hung-judge":
            time.sleep(8)
            return 200, _chat(json.dumps({"reason": "late", "answer": "yes"}))
        return 200, _chat("It is made of glass.")

    chat_server(reply)
    started = time.monotonic()
    log = _served_eval(tmp_path, "prompt-subject", "hung-judge", attempt_timeout=2)
    assert time.monotonic() - started < 8  # the server would answer at 8 s
    for sample in log.samples:
        score = sample.scores["belief_judge"]
        assert score.answer == "failed" and score.metadata["infrastructure"] is True
        assert score.explanation == ("judge call failed (openai-api/local/hung-judge): "
                                     "AttemptTimeoutError: attempt_timeout '2' exceeded."), \
            score.explanation
