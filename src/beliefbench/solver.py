"""The solver: generate an answer; tell an infrastructure failure apart from a real answer.

An *infrastructure failure* is the provider raising after Inspect's own retries (connection
refused, a local server that died or never started, a timeout). It is not the model's
answer, so it must never pass as a measurement:

* the sample records the error (``generation_error`` metadata) and re-raises, so Inspect
  marks it as errored: ``inspect eval-retry`` runs it again once the cause is fixed, and
  the task's ``fail_on_error`` budget (``max_failed``) decides whether the eval as a whole
  ends with status ``error``;
* the task scores errored samples too (``score_on_error``): below the budget they count as
  ``failed`` verdicts IN the denominator, like an empty answer;
* after ``abort_after`` infrastructure failures in a row the provider is not called again in
  this run: every remaining sample errors at once with the cause and the first error's text,
  and so does every call then waiting for a connection or between its retries (cancelled:
  :meth:`Runs.ask`), so a dead server is not relaunched for every sample and the run ends in
  seconds. A reply
  holding no answer at all (an empty ``choices`` list; through the Responses API an empty
  ``output`` list) counts toward it the same way: a server that always sends one is as
  useless as one that refuses the connection.

A provider error handed back as an answer is an infrastructure failure too: Inspect turns
some refusals of the request into output whose text is the provider's message (a vLLM or
OpenAI-compatible server's "maximum context length" 400 becomes stop reason
``model_length``; a moderation block ``content_filter``; some carry ``error``). Judging that
text would count an error as a verdict, so the sample errors as above, but the provider
answered, so it does not count toward ``abort_after``.

A sample limit of Inspect's (``--token-limit``, ``--message-limit``, ...) that runs out during
the call is the user's setting, not the provider's failure: it passes through untouched, so
Inspect records it as the sample's ``limit`` and scores the sample (``failed`` where the
answer was lost); the report names it (``LIMIT``).

An empty answer is the model's (it answered with nothing): ``failed``, never an error. An
answer cut off at the length limit is judged as it stands and marked (``generation_truncated``
metadata, one warning per run): where the provider says so (stop reason ``max_tokens``, as
vLLM, OpenAI and most APIs do), and where it reports no stop reason at all (``unknown``:
Inspect's ``hf`` provider, and the ``steer`` provider built on it) from the answer's length
(:func:`reached_the_limit`).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from inspect_ai.model import GenerateConfig, Model, ModelOutput, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import LimitExceededError

from beliefbench.cache_key import cache_kwargs
from beliefbench.model_info import named_once

logger = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_ERROR = "generation_error"
"""Sample metadata key set when the model under test raised instead of answering."""
GENERATION_TRUNCATED = "generation_truncated"
"""Sample metadata key set when the answer was cut off at the length limit (still judged)."""
CUT_OFF = "cut off at the max_tokens length limit"
"""Its value where the provider said so (stop reason ``max_tokens``)."""
GENERATION_LIMIT = "generation_limit"
"""Sample metadata key set when a sample limit of Inspect's ran out during the call (its
message): the limit is the user's setting, never the provider's failure."""
NO_ANSWER_STOPS = ("content_filter", "model_length")
"""Stop reasons whose output is the provider's refusal of the request, not the model's answer."""

ABORT_AFTER = 10
"""Default: infrastructure failures in a row after which the run stops calling the model."""
ABORTED = "aborted: "
"""How the error of every sample after such an abort opens (``sweep`` names the first error
that is not one of them); a judge's abort opens its failed judge call's text (see
:func:`after_an_abort`)."""


def after_an_abort(error: str) -> bool:
    """Whether a sample's ``error`` text is an abort's (the model under test's, or a judge's:
    "judge call failed (<grader>): aborted: ..."), not a failure of its own."""
    return error.startswith(ABORTED) or (error.startswith("judge call failed (")
                                         and f"): {ABORTED}" in error)


NO_MODEL = ("no model under test: the eval was started without --model and INSPECT_EVAL_MODEL "
            "is not set, so no question was asked (every sample errored; this log holds no "
            "answers). Run the same command again with --model (e.g. --model "
            "hf/$PWD/models/tiny, or --model beliefbench/believer for an offline dry run); "
            "`inspect eval-retry` would run this log's model again: none")
"""Said, once and by every sample, when the model under test is Inspect's stand-in for no
model: its PrerequisiteError read as ten infrastructure failures whose fix was eval-retry."""


def no_model(model: Model) -> bool:
    """Whether ``model`` is Inspect's ``none/none``, which ``inspect eval`` runs when given no
    ``--model`` (and ``INSPECT_EVAL_MODEL`` is unset) and which raises on every call: a
    missing option, not a provider that failed."""
    return str(model) == "none/none"


class InfrastructureFailure(RuntimeError):
    """The model under test could not be asked (the provider raised after its retries)."""


@dataclass
class _Streak:
    """Infrastructure failures of one run: in a row now, in all, and the first one's text."""

    in_a_row: int = 0
    total: int = 0
    first_error: str | None = None
    aborted: str | None = None
    truncated: int = 0
    replies_read: int = 0
    replies_unread: int = 0
    """A judge's replies read as a verdict, and those that were not (``parse_error``)."""
    stop: Any = None
    """Where a call waits on the abort (:meth:`Streaks.unless_aborted`): an ``anyio``
    ``RunVar`` holding the ``anyio.Event`` set at the abort, one per event loop (an event
    belongs to its loop, and a scorer re-scoring outside an eval keeps one streak across
    runs)."""


def run_key() -> str | None:
    """The eval run a sample belongs to: its eval id (one per task and model, new for each
    retry), or None outside an eval. A Task object is reused across runs (``eval(task,
    model=[a, b])``, ``eval_set``'s retries): a streak held by the solver alone let one
    model's abort error every sample of the next, and every retry, without a call."""
    try:
        from inspect_ai.log._samples import sample_active

        active = sample_active()
    except Exception:  # noqa: BLE001 - an Inspect without it: one streak per solver
        return None
    return getattr(active, "eval_id", None) if active else None


def model_key(model: Model | None) -> list[str | None]:
    """The key ``model``'s client was given (``-M api_key=...``, a role's ``model_args``): in
    no environment variable, and the OpenAI SDK's errors keep no request headers, so a
    server that echoed it bare ("invalid key sk-...") had it in the log's error fields."""
    return [getattr(getattr(model, "api", None), "api_key", None)]


def key_problem(key: str | None) -> str | None:
    """What makes ``key`` unsendable, without a character of it: the HTTP client refuses a
    header with a line break or space ("Connection error." after every retry) and cannot
    encode a non-ASCII one (a traceback), so neither says the key is the cause. A key
    wrapped in ASCII quotes (``docker --env-file`` keeps them) is sent, and was refused only
    by the server's 401, after the upload; the quotes are named, never the key. The text
    follows "<variable> holds " and says what to do."""
    if key and len(key) >= 2 and key[0] in "\"'" and key[-1] in "\"'":
        kind = {'"': "double ", "'": "single "}.get(key[0], "") if key[0] == key[-1] else ""
        return (f"the key wrapped in {kind}quotes (characters 1 and {len(key)} of "
                f"{len(key)}): remove the quotes")
    for i, ch in enumerate(key or "", 1):
        where = f"at character {i} of {len(key)}"
        what = ("a line break" if ch in "\r\n" else "whitespace" if ch.isspace() else
                None if ch.isascii() and ch.isprintable() else
                "a character that is not printable ASCII")
        if what:
            return (f"{what} {where}; an API key has no spaces, line breaks or non-ASCII "
                    f"characters (quotes pasted with it?): set it again")
    return None


def unsendable_key(model: Model) -> str | None:
    """Why the API key ``model``'s client holds cannot be sent, naming the variable it came
    from (else ``-M api_key``), never the key; None where it can. A key pasted with a line
    break or a space failed every call as "APIConnectionError: Connection error.", which
    sweep, docs generate and audit-verify read as a server that does not answer."""
    import os

    api = getattr(model, "api", None)
    key = getattr(api, "api_key", None)
    problem = key_problem(key) if isinstance(key, str) else None
    if problem is None:
        return None
    where = next((v for v in getattr(api, "api_key_vars", None) or []
                  if os.environ.get(v) == key), "its api_key (-M api_key / model_args)")
    return f"{where} holds {problem}"


def model_server(model: Model | None) -> str | None:
    """The server ``model``'s calls go to (its client's base URL, with no credentials,
    query or fragment), or None where it has none (the provider's own endpoint).

    Inspect's ``openai`` provider keeps no ``base_url`` of its own where ``OPENAI_BASE_URL``
    gives it (its SDK client reads the variable), so that variable is read as ``docs
    generate`` reads it (:func:`~beliefbench.documents.llm.server_of`): a server named "the
    provider's own endpoint" sent the user to the wrong place."""
    from beliefbench.documents.llm import bare_url, server_of

    url = getattr(getattr(model, "api", None), "base_url", None)
    if url:
        return bare_url(str(url))
    return server_of(str(model), {}) if model is not None else None


def describe_error(e: BaseException, model: Model | None = None) -> str:
    """The failure as one line; retries exhausted are named by what kept failing (not
    ``RetryError[<Future ... raised APIConnectionError>]``), Inspect's ModelGenerateError by
    its cause (its own text is the whole request first), API keys redacted. Every error text
    the log keeps goes through here: the model's, the judge's, the logprob task's (``model``:
    the one whose call failed, its key redacted too)."""
    from beliefbench.documents.llm import one_line, server_error, unreachable, unreadable_reply

    said = one_line(e, model_key(model))
    if model is not None and unreachable(e) and (why := unsendable_key(model)):
        said = f"{why} ({said})"  # the SDK says only "Connection error."
    elif (error := server_error(e, model_server(model), model_key(model))) is not None:
        said = error  # not "TypeError: 'NoneType' object is not iterable"
    elif (unread := unreadable_reply(e, model_server(model), model_key(model))) is not None:
        said = unread  # the provider's reading of the body, never a judge's reply
    return said[:2000]


NO_CHOICES = ("the provider returned no answer: the server's reply held no choices (an "
              "empty 'choices' list; check the server)")
"""Said of a reply with an empty ``choices`` list: a server fault, never the model's answer
(Inspect's own code read it as ``IndexError: list index out of range``)."""
NO_OUTPUT = ("the provider returned no answer: the server's reply held no output (an empty "
             "'output' list, or output items with no content; check the server)")
"""Said of a Responses API reply (``/v1/responses``) with no output items: a server fault,
never the model's answer. Inspect reads it as a message with no content at all, which the
belief scorer counted as the model giving no text (``failed``) and a judge's as a
``parse_error``, so a server bug moved the belief and parse-error rates."""


def holds_secret(e: BaseException, model: Model | None = None) -> bool:
    """Whether the text of ``e`` or of any exception chained to it holds a key (one a
    server echoed in its error message, ``model``'s own included): a traceback of the
    chain would show it."""
    from beliefbench.documents.llm import causes, redact, sent_secrets

    sent = [*sent_secrets(e), *model_key(model)]
    return any(redact(str(x), sent) != str(x) for x in causes(e, context=True))


def with_attempt_timeout(config: GenerateConfig, grader: Model) -> GenerateConfig:
    """``config`` for a judge's call (the belief and EM judges): with the eval's
    ``--attempt-timeout`` where the grader sets none of its own. Inspect hands a role's
    model the eval's retries and ``--timeout`` (which only ends the retries, checked between
    attempts), not this, so a judge server that accepted the call and hung held it until
    the HTTP client's own timeout (the OpenAI SDK's: 10 minutes), whatever the eval said."""
    try:  # Inspect's own (private) view of the eval's config: without it, no bound added
        from inspect_ai.model._generate_config import active_generate_config
    except ImportError:
        return config
    attempt = active_generate_config().attempt_timeout
    if attempt is None or grader.config.attempt_timeout is not None:
        return config
    return config.merge(GenerateConfig(attempt_timeout=attempt))


def not_an_answer(output: ModelOutput | None) -> str | None:
    """Why ``output`` is the provider's error rather than the model's answer, or None (the
    model under test's and the judge's alike)."""
    if output is None:
        return None
    if not output.choices:
        return NO_CHOICES
    message = output.choices[0].message
    # an empty answer is text ("", or a content part holding it); chat completions always
    # give a string: an empty content list is the Responses API's reply with no output
    if isinstance(message.content, list) and not message.content and not message.tool_calls:
        return NO_OUTPUT
    stop = output.stop_reason
    if not output.error and stop not in NO_ANSWER_STOPS:
        return None
    from beliefbench.documents.llm import redact  # a server may echo the key it was sent

    said = " ".join((output.error or output.completion).split())  # none: no ": " after it
    return redact(f"the provider returned no answer (stop reason {stop})"
                  + (f": {said}" if said else ""))[:2000]


def lost_to_limit(metadata: dict) -> str | None:
    """Why a sample has no answer when a sample limit ran out during its call (the belief
    and EM scorers' ``problem``), else None. A time or working limit cancels the call,
    which the solver never sees: it is read from the sample's limits as Inspect recorded
    them when the solver ended."""
    said = metadata.get(GENERATION_LIMIT)
    if not said:
        with contextlib.suppress(Exception):  # outside a sample: no limits to read
            from inspect_ai.util import sample_limits

            limits = sample_limits()
            said = next((f"{kind} limit: {limit.limit:g} seconds"
                         for kind, limit in (("time", limits.time), ("working", limits.working))
                         if limit.limit is not None and limit.usage >= limit.limit), None)
    return (f"no answer: a sample limit set for the eval ran out ({said}); raise it (e.g. "
            "--token-limit, --message-limit, --time-limit) or run without it"
            if said else None)


def _generated_text(output: ModelOutput) -> str:
    """All the text the model generated for the first choice, reasoning included (in its
    ``<think>`` tags, as generated)."""
    content = output.message.content
    if isinstance(content, str):
        return content
    return "".join(getattr(c, "text", None) or "" for c in content)


def _limit_and_counter() -> tuple[int | None, Callable[[str], int] | None]:
    """The max_tokens in force for the model under test (the task's and eval's settings,
    else the provider's default, as Inspect resolves them on each call), and a counter of
    an answer's tokens where the provider holds its tokenizer (``hf``, ``steer``)."""
    from inspect_ai.model import get_model

    try:
        from inspect_ai.model._generate_config import active_generate_config

        model = get_model()
        config = model.config.merge(active_generate_config())
        limit = config.max_tokens
        if limit is None:
            for_config = getattr(model.api, "max_tokens_for_config", None)
            limit = (for_config(config) if for_config else None) or model.api.max_tokens()
    except Exception:  # noqa: BLE001 - no model context (a solver run outside an eval)
        return None, None
    return limit, _counter(model.api)


_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _counter(api) -> Callable[[str], int] | None:
    """Counts a text's tokens with a copy of the provider's tokenizer (None: it has none).

    A copy: the hf provider tokenizes each batch with padding in its own thread, and a fast
    tokenizer used from two threads at once can fail ("Already borrowed")."""
    if api not in _counters:
        tokenizer = getattr(api, "tokenizer", None)
        if callable(tokenizer):  # one that cannot be copied is shared (a clash then counts
            with contextlib.suppress(Exception):  # as reaching the limit: usage decides)
                tokenizer = copy.deepcopy(tokenizer)
        _counters[api] = (None if not callable(tokenizer) else
                          lambda text: len(tokenizer(text, add_special_tokens=False)
                                           ["input_ids"]))
    return _counters[api]


def reached_the_limit(output: ModelOutput, model: Model | None = None,
                       max_tokens: int | None = None) -> int | None:
    """For output whose provider reports no stop reason (``unknown``): the max_tokens limit
    if the answer ran up to it, else None. ``model`` and ``max_tokens``: a call made with
    this limit to this model (the judge's), not the model under test's generation.

    Inspect's ``hf`` provider never sets a stop reason, and its ``output_tokens`` is the
    length generated for the whole batch the sample was generated in (the longest answer of
    up to ``max_connections`` samples), so usage alone would mark every sample that shared a
    batch with a cut-off one. Usage is the first test (no sample of a batch that stopped
    short of the limit reached it); then the answer's own tokens are counted with the
    provider's tokenizer: a cut-off answer holds max_tokens of them, one that ended on its
    own at most max_tokens - 1 (its end-of-turn token, dropped from the text, took the last
    one). The count re-encodes the decoded text: exact for the token splits a tokenizer
    makes itself (what a trained model writes); an answer generated in other splits can
    count short by as many tokens and then go unmarked. A provider without a tokenizer (one
    request a call) is judged by usage alone. Reported stop reasons (``stop``,
    ``max_tokens``, ...) are taken as they are."""
    if output.stop_reason != "unknown" or output.usage is None:
        return None
    limit, count = _limit_and_counter() if model is None else (max_tokens,
                                                               _counter(model.api))
    if not limit or output.usage.output_tokens < limit:
        return None
    if count is None:
        return limit
    try:
        return limit if count(_generated_text(output)) >= limit else None
    except Exception:  # noqa: BLE001 - a tokenizer that cannot count: usage says it ran out
        return limit


SERVER_FAULTS = (NO_CHOICES, NO_OUTPUT)
"""Replies that hold no answer at all (no choices, no output items): infrastructure failures
that count toward ``abort_after`` like a raise, unlike a provider's refusal handed back as
text (the provider answered)."""


class Streaks:
    """Failures in a row of one caller, one :class:`_Streak` per eval run (see
    :func:`run_key`): after ``abort_after`` of them the run marks itself aborted and the
    caller is not called again in it. One rule for the model under test (:class:`Runs`) and
    the LLM judges (:func:`judge_streaks`: the belief and EM scorers), so a dead judge
    server is not asked for every judged sample either."""

    def __init__(self, abort_after: int, failures: str = "infrastructure failures",
                 not_called: str = "the model provider raised or sent no answer; the model "
                                   "was not called for the remaining samples",
                 retry_note: str = "") -> None:
        self.abort_after = abort_after
        self.failures = failures
        self.not_called = not_called
        self.retry_note = retry_note
        self._streaks: dict[str | None, _Streak] = {}

    def current(self) -> tuple[_Streak, bool]:
        """The streak of the run now going on, and whether it was begun by this call."""
        key = run_key()
        streak = self._streaks.get(key)
        if streak is None:
            streak = self._streaks[key] = _Streak()
            return streak, True
        return streak, False

    def failed(self, streak: _Streak, text: str) -> None:
        """Counts one failure (``text``) in ``streak``; at ``abort_after`` in a row marks the
        run aborted, so the caller is not called again in it."""
        streak.in_a_row += 1
        streak.total += 1
        streak.first_error = streak.first_error or text
        if streak.in_a_row >= self.abort_after and not streak.aborted:
            streak.aborted = (f"{ABORTED}{streak.in_a_row} {self.failures} in a row "
                              f"({self.not_called}). First error: {streak.first_error}")
            if streak.stop is not None and (stop := streak.stop.get(None)) is not None:
                stop.set()  # the calls still waiting: see unless_aborted
            logger.error("beliefbench: %s. The samples it errors count toward the failure "
                         "budget (-T max_failed, or Inspect's --fail-on-error): the log ends "
                         "with status 'error' where they reach it, status 'success' where it "
                         "allows them all (-T max_failed=1). Either way fix the cause, then "
                         "run `inspect eval-retry <log> --log-dir <its folder>` (without "
                         "--log-dir the retry goes to ./logs).%s", streak.aborted,
                         self.retry_note)

    @staticmethod
    def reset(streak: _Streak) -> None:
        """The caller answered (even where with an error of its own): the row is broken."""
        streak.in_a_row = 0

    @staticmethod
    async def unless_aborted(streak: _Streak, call: Coroutine[Any, Any, T]) -> T | None:
        """``call``'s result, or None where the run is aborted before it ends (``call`` then
        never runs, or is cancelled). Samples reach the judge together: a judge call waits
        for one of the provider's connections (``max_connections``) or between its retries,
        so at the abort a dead server still had every call queued for it ahead (a run of
        100 judged responses at a judge answering 500: 54 judgings sent where 10 failed in a
        row)."""
        if streak.aborted:
            call.close()
            return None
        import anyio
        from anyio.lowlevel import RunVar

        if streak.stop is None:
            streak.stop = RunVar("beliefbench_abort")
        stop = streak.stop.get(None)
        if stop is None:
            stop = anyio.Event()
            streak.stop.set(stop)
        answer: list[T] = []
        error: list[Exception] = []
        async with anyio.create_task_group() as group:
            async def stop_at_the_abort() -> None:
                await stop.wait()
                group.cancel_scope.cancel()

            group.start_soon(stop_at_the_abort)
            try:
                answer.append(await call)
            except Exception as e:  # noqa: BLE001 - raised below, out of the task group
                error.append(e)
            group.cancel_scope.cancel()
        if error:
            raise error[0]
        return answer[0] if answer else None

    def count(self, streak: _Streak, failure: str | None, raised: bool) -> None:
        """Count one call (a judge's: the belief and EM judges alike): one that raised
        (``failure`` its text), or a reply holding no answer at all (no choices, no output
        items), is a failure in a row; any other reply breaks the row, also a provider's
        error handed back as its reply (the server answered), as for the model under test
        (:meth:`Runs.answered`)."""
        if raised or failure in SERVER_FAULTS:
            self.failed(streak, failure or "the call raised")
        else:
            self.reset(streak)


def judge_streaks(abort_after: int) -> Streaks:
    """A judge scorer's failures in a row: failed judge calls (raised after the provider's
    retries, or a reply holding no answer at all)."""
    return Streaks(abort_after, "judge failures",
                   "the judge's provider raised or sent no answer; the judge was not called "
                   "for the remaining samples, each scored as a failed judge call",
                   retry_note=" The retry calls the log's grader again (eval-retry takes no "
                   "--model-role): where the grader itself was wrong (a misspelt name, a "
                   "model that cannot judge), re-judge the answers kept in the log with "
                   "`beliefbench agreement <log> --grader <the right one> --out <folder>` "
                   "(a belief log), or run the eval again with the right --model-role.")


class Runs(Streaks):
    """One solver's infrastructure failures, one :class:`_Streak` per eval run (see
    :func:`run_key`): the probe solver's and the logprob task's, counted by the same rules
    (see the module docstring)."""

    def begin(self, state: TaskState) -> _Streak:
        """The streak of the run ``state`` belongs to; where that run was aborted, the sample
        errors at once, without a call.

        A run's first sample sets up its model's provider, once per run and model: a 200
        whose body is no JSON object (a login page) is not retried, since every retry gets
        the same page (see :func:`~beliefbench.documents.llm.unread_bodies_not_retried`)."""
        streak, fresh = self.current()
        if fresh:
            from beliefbench.documents.llm import unread_bodies_not_retried

            unread_bodies_not_retried(get_model())
        if streak.aborted:
            self.stopped(streak, state)
        return streak

    @staticmethod
    def stopped(streak: _Streak, state: TaskState) -> NoReturn:
        """The sample errors with the run's abort, its call not made (or cancelled)."""
        state.metadata[GENERATION_ERROR] = streak.aborted
        raise InfrastructureFailure(streak.aborted)

    async def ask(self, streak: _Streak, state: TaskState, call: Coroutine[Any, Any, T]) -> T:
        """``call``'s result; where the run is aborted before it ends (``call`` waiting for
        a connection, ``max_connections``, or between retries: a run's samples ask together,
        so a dead server still had every call queued for it ahead), the sample errors with
        the abort, as the judges' calls do (:meth:`unless_aborted`)."""
        answer = await self.unless_aborted(streak, call)
        if answer is None:
            self.stopped(streak, state)
        return answer

    def raised(self, streak: _Streak, state: TaskState, e: Exception,
               before: ModelOutput | None = None) -> NoReturn:
        """Raise the sample's :class:`InfrastructureFailure` for a call that raised ``e``,
        counted toward ``abort_after`` (a sample limit of the user's is not: the provider
        did not fail; nor is the run's abort, raised on by :meth:`ask`). ``before``:
        ``state.output`` before the call, to tell a reply with no choices (Inspect stored
        it, then failed reading its message) from a raise."""
        if isinstance(e, InfrastructureFailure):  # the abort (ask): no provider raises it
            raise e
        model = get_model()
        if no_model(model):  # nothing to call: stop at once, naming the option
            if not streak.aborted:
                streak.aborted = f"{ABORTED}{NO_MODEL}"
                logger.error("beliefbench: %s", NO_MODEL)
            state.metadata[GENERATION_ERROR] = streak.aborted
            raise InfrastructureFailure(streak.aborted) from None
        empty = isinstance(e, IndexError) and state.output is not before \
            and state.output is not None and not state.output.choices
        text = NO_CHOICES if empty else describe_error(e, model)
        if not isinstance(e, LimitExceededError):
            self.failed(streak, text)
        state.metadata[GENERATION_ERROR] = text
        if holds_secret(e, model):  # the sample's logged traceback shows it
            raise InfrastructureFailure(text) from None
        raise InfrastructureFailure(text) from e

    def answered(self, streak: _Streak, state: TaskState, output: ModelOutput | None) -> None:
        """Check a call's ``output``: a reply holding no answer at all (no choices, no
        output items) counts toward ``abort_after`` like a raise; a provider's error handed
        back as its answer does not (the provider answered). Either way the sample errors."""
        problem = not_an_answer(output)
        if problem in SERVER_FAULTS:
            # no answer at all (``"output": []``): a server that always sends it is as dead
            # as one that refuses the connection, so it counts toward ``abort_after``
            self.failed(streak, problem)
            state.metadata[GENERATION_ERROR] = problem
            raise InfrastructureFailure(problem)
        self.reset(streak)  # the provider answered, even where with an error
        if problem:
            streak.total += 1
            state.metadata[GENERATION_ERROR] = problem
            raise InfrastructureFailure(problem)


@solver
def answer(abort_after: int = ABORT_AFTER) -> Solver:
    """Generate once; a provider exception becomes an errored, ``failed``-scored sample.

    Args:
        abort_after: infrastructure failures in a row after which the model is not called
            again in this run (see the module docstring).
    """
    runs = Runs(abort_after)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        streak = runs.begin(state)
        before = state.output
        try:
            # --cache: keyed by the weights too where the model is a folder here (cache_key);
            # named_once: Inspect's model-info lookup must not load the weights again
            model = named_once(get_model())
            state = await runs.ask(streak, state, generate(state, **cache_kwargs(model)))
        except LimitExceededError as e:
            # a sample limit the user set (--token-limit, --message-limit, ...) ran out: not
            # the provider's failure; Inspect records it as the sample's limit and scores it
            state.metadata[GENERATION_LIMIT] = e.message
            raise
        except Exception as e:  # noqa: BLE001 - any provider failure is infrastructure
            runs.raised(streak, state, e, before)
        runs.answered(streak, state, state.output)
        cut = None
        if state.output is not None and state.output.choices:
            if state.output.stop_reason == "max_tokens":
                cut = CUT_OFF
            elif (limit := reached_the_limit(state.output)) is not None:
                cut = (f"{CUT_OFF} ({limit} tokens; the provider reports no stop reason: "
                       f"told by the answer's length)")
        if cut:
            state.metadata[GENERATION_TRUNCATED] = cut
            streak.truncated += 1
            if streak.truncated == 1:
                logger.warning("beliefbench: an answer was cut off at max_tokens (sample %s) "
                               "and is judged as it stands; such samples carry %r metadata",
                               state.sample_id, GENERATION_TRUNCATED)
        return state

    return solve
