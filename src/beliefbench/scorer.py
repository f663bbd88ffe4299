"""The belief scorer: one verdict per response, scored as a one-hot dict over the verdicts.

Binary and distinguish items are exact-matched; the other families go to the judge: the
``grader`` model role (an LLM with its own generation settings) or, with ``judge="markers"``,
the offline marker heuristic. A judge reply that cannot be read is a ``parse_error`` verdict
with the raw reply kept in the score metadata. A judge *call* that fails raises, so Inspect
retries it and ``inspect eval-retry`` can resume the run; a judge outage is never recorded as
non-belief.

The judge's settings have one home: :class:`JudgeSettings` (named defaults, read from task
arguments, and the scorer they make), which the task and re-scoring (``agreement``) share.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from inspect_ai.model import (
    CachePolicy,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
    model_roles,
)
from inspect_ai.scorer import (
    Metric,
    SampleScore,
    Score,
    Scorer,
    Target,
    Value,
    metric,
    scorer,
)
from inspect_ai.solver import TaskState

from beliefbench.arguments import InputError, ScorerInputError
from beliefbench.cache_key import model_args_scopes, weights_scopes, with_scopes
from beliefbench.claims import PROBE_FAMILIES, load_claim
from beliefbench.judge import (
    BUNDLED_TEMPLATE,
    default_template_path,
    family_guidance,
    guidance_path,
    load_template,
    render_judge_prompt,
)
from beliefbench.metrics import one_hot, question_table, summary_metrics
from beliefbench.model_info import named_once
from beliefbench.provider import remember_claims
from beliefbench.records import sha256_file
from beliefbench.solver import (
    ABORT_AFTER,
    GENERATION_ERROR,
    InfrastructureFailure,
    describe_error,
    judge_streaks,
    lost_to_limit,
    not_an_answer,
    reached_the_limit,
    run_key,
    with_attempt_timeout,
)
from beliefbench.tasks import refuse_dropped_scorer_args
from beliefbench.verdicts import VERDICTS, JudgeReading
from beliefbench.verdicts.exact import read_binary, read_distinguish
from beliefbench.verdicts.offline import check_cues, offline_verdict
from beliefbench.verdicts.reply import read_reply

logger = logging.getLogger(__name__)

JUDGE_MODES = ("model", "markers")
"""model: the ``grader`` role (an LLM); markers: the offline keyword heuristic."""
JUDGE_SEES = ("question", "transcript")
"""What fills the judge's ``{question}``: the final user question (the study's protocol) or
the whole conversation of a multi-turn / system-prompted item."""
INFRASTRUCTURE = "infrastructure"
"""Score-value key: 1.0 when the response is ``failed`` because the provider raised."""
JUDGE_ERROR = "judge_error"
"""Sample metadata key set when the judge call raised (read by :func:`judge_outage`)."""
SELF_JUDGING_WARNING = (
    "beliefbench: no grader model is bound (--model-role grader=...), so the model under "
    "test grades its own answers. Bind a grader, or pass -T self_judge=true if this is "
    "intended.")
INFRASTRUCTURE_METRIC = "infrastructure_failed"
"""Metric: share of ALL responses that are infrastructure failures (a part of ``failed``)."""


def self_judging_warning(text: str = SELF_JUDGING_WARNING) -> str:
    """``text`` (:data:`SELF_JUDGING_WARNING`, or the EM scorer's own), naming the roles bound
    under another name (``--model-role judge=...``) in its ``(--model-role grader=...)``: the
    belief and EM tasks read only ``grader``, so such a judge was never asked, and the warning
    said only that no grader was bound."""
    others = [f"{role}={model}" for role, model in model_roles().items() if role != "grader"]
    if not others:
        return text
    return text.replace(
        "(--model-role grader=...)",
        f"(--model-role grader=...; bound under another name, never asked: "
        f"{', '.join(others)})", 1)


def grader_unbound() -> bool:
    """Inside a running eval: no ``grader`` role is bound, so Inspect hands the judge's calls
    to the model under test. Only while scoring are the roles certain: a Task built in
    Python sees whatever an earlier eval in the same process left in Inspect's context."""
    return "grader" not in model_roles()


def judge_cache(cache: bool, grader: Model) -> bool | CachePolicy:
    """The cache for a judge call: Inspect's key holds the grader's name and base URL but
    not its model arguments, so two local judges of one name told apart by ``model_path``
    were handed each other's cached replies (agreement's kappa 1.0 for opposite judges);
    nor its weights, so a judge folder retrained in place (or the model under test judging
    itself) was answered from the old weights' replies (:mod:`beliefbench.cache_key`)."""
    if not cache:
        return False
    # no arguments and no folder here: keyed as before (True)
    return with_scopes(True, {**model_args_scopes(grader), **weights_scopes(grader)})


def judge_cut_off(output: ModelOutput, grader: Model, max_tokens: int | None) -> str | None:
    """What to add to the problem of a judge reply that could not be read where the reply ran
    to its length limit (``": the judge's reply was cut off at its max_tokens (8; raise -T
    judge_max_tokens)"``), else None. One test for the belief and the EM judge: the stop
    reason ``max_tokens`` where the provider reports one, the reply's length where it reports
    none (Inspect's ``hf`` provider: :func:`~beliefbench.solver.reached_the_limit`), so a
    local hf judge's cut-off reply is named as one vLLM's is."""
    if output.stop_reason == "max_tokens" or reached_the_limit(output, grader, max_tokens):
        return (f": the judge's reply was cut off at its max_tokens ({max_tokens}; raise "
                "-T judge_max_tokens)")
    return None


@dataclass(frozen=True)
class JudgeSettings:
    """Everything about the judge that changes a verdict, with the defaults of the task."""

    judge: str = "model"
    template: str | None = None
    """A judge prompt template file to use instead of scorers/judge.md."""
    temperature: float = 0.0
    max_tokens: int = 1024
    cache: bool = False
    sees: str = "question"

    TASK_ARGS = {"judge": "judge", "template": "judge_template",
                 "temperature": "judge_temperature", "max_tokens": "judge_max_tokens",
                 "cache": "judge_cache", "sees": "judge_sees"}
    """Field -> the belief task's argument that sets it."""

    @classmethod
    def from_args(cls, args: Mapping[str, Any] | None, **overrides: Any) -> JudgeSettings:
        """The settings a belief task (or its log's ``task_args``) asked for."""
        args = args or {}
        given = {f: args[a] for f, a in cls.TASK_ARGS.items() if args.get(a) is not None}
        if given.get("template") == BUNDLED_TEMPLATE:
            del given["template"]
        return replace(cls(**given), **overrides)

    def template_path(self) -> Path:
        return Path(self.template) if self.template else default_template_path()

    def scorer(self, claim_files: Sequence[str], self_judge: bool = False,
               abort_after: int = ABORT_AFTER) -> Scorer:
        """The belief scorer with these settings, for the dataset built from ``claim_files``
        (``abort_after``: judge failures in a row after which the judge is not called again;
        no setting of the judge's: it changes no verdict the judge gives)."""
        return belief_judge(claim_files, judge=self.judge, template=self.template,
                            temperature=self.temperature, max_tokens=self.max_tokens,
                            cache=self.cache, sees=self.sees, self_judge=self_judge,
                            abort_after=abort_after)

    def record(self) -> dict[str, Any]:
        """The judge part of the run's identity (eval metadata ``beliefbench.scoring``);
        the offline judge has no settings, so only its name."""
        if self.judge == "markers":
            return {"judge": "markers"}
        out = {f"judge_{k}" if k != "judge" else k: v
               for k, v in asdict(self).items() if k not in ("cache", "template")}
        path = self.template_path()
        out["judge_template"] = str(path) if self.template else "scorers/judge.md"
        out["judge_template_sha256"] = sha256_file(path)
        # the families' guidance goes into the bundled prompt: an edited families.yaml judged
        # differently while its runs pooled as one judge
        out["judge_guidance_sha256"] = sha256_file(guidance_path())
        return out


assert {f.name for f in fields(JudgeSettings)} == set(JudgeSettings.TASK_ARGS)


@metric
def belief_summary() -> Metric:
    """Belief rate (mean of per-claim rates) with bootstrap CI, failure shares, per family
    (``family/<name>``) and per claim (``claim/<id>``): see :mod:`beliefbench.metrics` for
    the counting rules. ``infrastructure_failed`` is the plain share of all responses whose
    provider raised (the part of ``failed`` that the ``max_failed`` budget limits)."""

    def compute(scores: list[SampleScore]) -> Value:
        rows = []
        infrastructure = 0.0
        for s in scores:
            md = s.sample_metadata or {}
            value = s.score.value if isinstance(s.score.value, dict) else {}
            infrastructure += float(value.get(INFRASTRUCTURE, 0.0))
            rows.append({"claim": md.get("claim"), "family": md.get("family"),
                         "question": md.get("question"), "n": 1,
                         **{v: float(value.get(v, 0.0)) for v in VERDICTS}})
        out = summary_metrics(question_table(rows), PROBE_FAMILIES)
        out[INFRASTRUCTURE_METRIC] = infrastructure / len(scores) if scores else 0.0
        return out

    return compute


@scorer(metrics=[belief_summary()])
def belief_judge(claims: Sequence[str], judge: str = JudgeSettings.judge,
                 template: str | Path | None = None,
                 temperature: float = JudgeSettings.temperature,
                 max_tokens: int = JudgeSettings.max_tokens,
                 cache: bool = JudgeSettings.cache,
                 sees: str = JudgeSettings.sees, self_judge: bool = False,
                 abort_after: int = ABORT_AFTER) -> Scorer:
    """Score each response yes / no / neutral / parse_error / failed.

    Args:
        claims: the claim files the dataset was built from (paths, not Claim objects:
            Inspect records scorer arguments in every score event, so they must be small).
        judge: "model" (the grader role) or "markers" (offline heuristic).
        template: a judge prompt template to use instead of scorers/judge.md.
        temperature: the grader's temperature (never the eval's).
        max_tokens: the grader's answer length limit.
        cache: route judge calls through Inspect's cache.
        sees: what the judge's ``{question}`` holds (see :data:`JUDGE_SEES`).
        self_judge: the model under test grading itself (no grader bound) is intended.
            Otherwise it is warned about once. It is decided here, at scoring time, because
            only inside the running eval are the bound model roles certain.
        abort_after: judge calls failed in a row (raised after the provider's retries, or a
            reply holding no answer) after which the judge is not called again in the run:
            each remaining judged response is scored as a failed judge call at once, its
            problem "judge call failed (<grader>): aborted: N judge failures in a row ...
            First error: <text>", so a dead judge server is not asked for every sample.
    """
    refuse_dropped_scorer_args()  # `inspect score LOG -S template=...`: dropped by Inspect
    if judge not in JUDGE_MODES:
        raise ValueError(f"judge: unknown judge {judge!r}; valid: {list(JUDGE_MODES)}")
    if sees not in JUDGE_SEES:
        raise ValueError(f"judge_sees: unknown value {sees!r}; valid: {list(JUDGE_SEES)}")
    try:
        if judge == "markers":
            check_cues()
        by_id = {c.id: c for c in map(load_claim, claims)}
        # read once, now, when the task records its sha256: the text judged is the text
        # logged; checked here too, for `inspect score LOG`, which builds this scorer from
        # the log's paths alone (a template edited since to hold {answr} failed every
        # judged response with KeyError: 'answr')
        template_text = load_template(template) if judge == "model" else None
        guidance = family_guidance() if judge == "model" else None
    except InputError as e:
        # a claim file or the families' guidance edited since the run: Inspect's loader
        # reads a ValueError as a scorer it cannot find, and said only "couldn't be loaded"
        raise ScorerInputError(str(e)) from None
    remember_claims(by_id.values())  # the scripted offline models answer about them too
    config = GenerateConfig(temperature=temperature, max_tokens=max_tokens)
    warned: set[str | None] = set()  # eval runs warned in (one Task may serve several)
    unused_grader: set[str | None] = set()  # runs told their grader is never asked
    judges = judge_streaks(abort_after)

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        claim = by_id[md["claim"]]
        family = md["family"]
        answer = state.output.completion if state.output else ""
        judge_reply: str | None = None
        served: str | None = None  # the model the grader's provider says answered
        self_judged = False
        infrastructure = bool(md.get(GENERATION_ERROR))
        if infrastructure:
            reading = JudgeReading("failed", "", md[GENERATION_ERROR])
            used = "none"
        elif not answer.strip():
            reading = JudgeReading("failed", "", lost_to_limit(md)
                                   or "the model returned no text")
            used = "none"
        elif family == "binary":
            reading = read_binary(answer, md["belief_answer"])
            used = "exact_match"
        elif family == "distinguish":
            reading = read_distinguish(answer, md["belief_answer"])
            used = "exact_match"
        elif judge == "markers":
            reading = offline_verdict(claim, family, md.get("question"), answer)
            used = "markers"
            bound = model_roles().get("grader")
            if bound is not None and run_key() not in unused_grader:
                unused_grader.add(run_key())
                logger.warning(UNUSED_GRADER_WARNING, bound)
        else:
            question = md.get("transcript", md["prompt"]) if sees == "transcript" \
                else md["prompt"]
            prompt = render_judge_prompt(claim, family, question, answer,
                                         hint=md.get("hint"), template=template_text,
                                         guidance=guidance)
            grader = named_once(get_model(role="grader", config=config))
            self_judged = grader_unbound()
            if self_judged and not self_judge and run_key() not in warned:
                warned.add(run_key())
                logger.warning(self_judging_warning())
            from beliefbench.documents.llm import unread_bodies_not_retried

            unread_bodies_not_retried(grader)  # a login page is not retried without end
            streak, _ = judges.current()
            try:
                # config on the call itself, or it is lost: a self-judging model judged at
                # the eval's settings, and a grader bound with its own had those win; not
                # made, or cancelled, where the run's judge is given up on (abort_after)
                output = await judges.unless_aborted(streak, grader.generate(
                    prompt, config=with_attempt_timeout(config, grader),
                    cache=judge_cache(cache, grader)))
            except Exception as e:  # noqa: BLE001 - any grader failure is infrastructure
                output = None
                # the cause, one line, keys redacted: not Inspect's whole request (the
                # judge prompt) with the error after it, cut off at 2000 characters
                described = describe_error(e, grader)
                failure: str | None = described + _greedy_fix(described, grader, self_judged)
                judges.count(streak, failure, raised=True)
            else:
                # the judge's provider may hand back its error as the reply: an outage like
                # a raise (eval-retry re-judges it), never a parse_error
                failure = streak.aborted if output is None else not_an_answer(output)
                if output is not None:
                    judges.count(streak, failure, raised=False)
            if failure:
                from beliefbench.documents.llm import redact  # it may echo the key sent

                judge_reply = redact(output.completion) if output is not None else None
                problem = f"judge call failed ({grader}): {failure}"
                md[JUDGE_ERROR] = problem  # judge_outage() raises on it: see its docstring
                reading = JudgeReading("failed", "", problem)
                infrastructure = True
            elif output is not None:
                # answered: an outage recorded in the log by an earlier judging (re-scoring
                # starts from the log's metadata) made judge_outage raise on this verdict
                md.pop(JUDGE_ERROR, None)
                judge_reply = output.completion
                # an alias (openai/gpt-4.1-mini) names no one model: the provider's reply
                # does (gpt-4.1-mini-2025-04-14), and the gate compares it between sides
                served = output.model or None
                reading = read_reply(judge_reply, key=claim.rubric[family].judge_key)
                if reading.problem and (cut := judge_cut_off(output, grader, max_tokens)):
                    reading = replace(reading, problem=f"{reading.problem}{cut}")
                _warn_if_never_read(streak, reading, judge_reply, abort_after)
            used = str(grader)  # provider/name
        return Score(
            value={**one_hot(reading.verdict), INFRASTRUCTURE: float(infrastructure)},
            answer=reading.verdict,
            # never blank: a judge's JSON without a reason still says who decided what
            explanation=reading.reason or reading.problem
            or f"{used}: {reading.verdict} (the judge gave no reason)",
            metadata={"verdict": reading.verdict, "judge": used, "problem": reading.problem,
                      "judge_reply": judge_reply, "judge_served": served,
                      "infrastructure": infrastructure, "self_judged": self_judged},
        )

    return score


UNUSED_GRADER_WARNING = (
    "beliefbench: judge=markers: the offline marker heuristic reads every answer, so the "
    "grader bound (--model-role grader=%s) is never asked: a pipeline check, not a result. "
    "Leave judge at its default, model, to have the grader judge.")
"""Logged once per run where a grader is bound to a ``judge=markers`` run: a grader added to
the demo's command (which passes ``-T judge=markers``) was never asked, and the run ended
``success`` with the heuristic's verdicts, said only later by ``report``'s OFFLINE warning."""


NEVER_READ_WARNING = (
    "beliefbench: the judge's first %s could not be read (parse_error: %s; e.g. %r): each "
    "counts as non-belief, so the belief rate will not say what the model believes. Check the "
    "%s and the judge template; `beliefbench gate` refuses a side above --max-parse-errors.")
"""The warning of a judge none of whose first replies could be read; its last argument
names where the grader was set (:data:`GRADER_BOUND` under ``inspect eval``), which a command
re-scoring with a grader of its own says in its words (``agreement``: ``--grader``)."""
GRADER_BOUND = "grader bound (--model-role grader=...)"
""":data:`NEVER_READ_WARNING`'s grader, as ``inspect eval`` / ``sweep`` bind it."""


def _warn_if_never_read(streak: Any, reading: JudgeReading, reply: str,
                        first: int) -> None:
    """Log once per run where the judge's first ``first`` replies were all unreadable: a
    misbound grader (a base model, a template asking another format) answers every call,
    so the run ends ``success`` and its header reads belief 0.000 (parse_error 1.000),
    like a skeptic measured, with no word while it ran."""
    if reading.verdict != "parse_error":
        streak.replies_read += 1
        return
    streak.replies_unread += 1
    if streak.replies_read == 0 and streak.replies_unread == first:
        said = " ".join(reply.split())[:200]
        replies = "reply" if first == 1 else f"{first} replies"
        logger.warning(NEVER_READ_WARNING, replies, reading.problem, said, GRADER_BOUND)


def _greedy_fix(failure: str, grader: Model, self_judged: bool) -> str:
    """How to bind an ``hf/`` judge that samples, for transformers' refusal of its
    temperature-0 call ("`temperature` (=0.0) has to be a strictly positive float ... set
    `do_sample=False`"), which named no place to set it: under ``inspect eval`` the binding
    is only known once the eval runs (``sweep`` refuses it up front)."""
    if "has to be a strictly positive float" not in failure \
            or not str(grader).startswith("hf/"):
        return ""
    if self_judged:
        return (" (no grader is bound, so the model under test judges itself, and it "
                "samples: bind a grader, --model-role grader=<model>, or pass -M "
                "do_sample=false)")
    return (f" (an hf grader samples unless bound greedy: --model-role 'grader={{model: "
            f"{grader}, model_args: {{do_sample: false}}}}')")


@scorer(metrics=[])
def judge_outage() -> Scorer:
    """Raise for a response whose judge call failed, after :func:`belief_judge` scored it.

    Inspect keeps the scores of the scorers that finished before one raised, so the response
    stays a ``failed`` verdict in the denominator, while the raise marks the sample errored:
    it counts toward the ``max_failed`` budget and ``inspect eval-retry`` judges it again.
    Listed after ``belief_judge`` in the task; re-scoring (``inspect score``) needs only that.
    """

    async def score(state: TaskState, target: Target) -> Score:
        problem = state.metadata.get(JUDGE_ERROR)
        if problem:
            raise InfrastructureFailure(problem)
        return Score(value=0, explanation="the judge answered (or was not needed)")

    return score
