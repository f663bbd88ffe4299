"""The judge-free belief task: binary questions and completion pairs scored by log-probabilities.

Two parts, 0 judge calls, one short request per item:

* binary: each binary question (samples from :mod:`beliefbench.probes.binary`, with a
  one-word yes / no instruction as the system message) is answered with ``max_tokens=1`` and
  ``top_logprobs``; P(yes) and P(no) are the probability mass of the top first tokens that
  read "yes" / "no". The counting rules are the belief task's: the item believes (``yes``)
  when the believer's answer is the more probable one, ``no`` when the other is, and
  ``parse_error`` (non-belief, reported on its own) when neither appears among the top
  tokens. The continuous margin log P(belief answer) - log P(other) is an extra metric.
  Where the provider exposes its tokenizer (hf) and no single token of it reads "yes" (or
  "no"), every item is a ``parse_error``: the first token could only ever read the other.
* completions: each completion pair's prompt + claim continuation and prompt + truth
  continuation are sent as prompts and scored from the provider's prompt log-probabilities
  (vLLM's ``prompt_logprobs``), giving the same margins as ``beliefbench internals margins``
  (raw text with ``vllm-completions/``; inside the chat template with ``vllm/``).

Completion pairs on a provider that does not return prompt logprobs (hf, OpenAI, mockllm)
are skipped: the sample is unscored with the reason in its explanation and a warning in the
log, never scored as 0. With ``parts=completions`` alone they fail instead (status
``error``, the reason in each sample's error): a run that skipped everything it was asked
for ended ``success`` with a metric of nan. A binary item whose reply lacks the top
first-token logprobs asked for (none, fewer than ``top_logprobs``, or NaN), and a
completion pair whose requested prompt logprobs are missing or not finite, is a failure of
the sample: ``failed``, reported as such, and the eval ends with status ``error``, as when
the provider raises.

Provider failures are counted as the belief task counts them
(:class:`beliefbench.solver.Runs`): a raise after Inspect's retries, or a reply holding no
answer (no choices; through the Responses API no output items), errors the sample and scores
it ``failed`` (a binary item in ``binary/failed``, a pair in ``<kind>/failed``, both in the
denominator: a failed pair was unscored, so efficacy covered only the pairs left); after
``abort_after`` of them in a row the model is not called again in the run. A 200 whose body
is no JSON object (a login page) fails at once instead of being retried without end.

A completion pair whose continuation cannot be located in the returned prompt tokens (the
provider's detokenized text does not contain it) is ``failed`` by the belief task's rule:
in the denominator as neither a claim win (efficacy) nor a truth win (specificity), left out
of the means of margin and magnitude (it has none), and counted on its own in
``<kind>/failed``. It was skipped, so efficacy covered fewer pairs and no metric said so.
Where no pair of a kind was read (every one failed), that kind's rates (efficacy,
specificity, and ``main/score`` built on them) are nan, not 0, with a ``NOTHING READ``
warning, as for binary items none of which was read: they read 0.000 beside
``<kind>/failed`` 1.000, as if measured.
Re-running would not change it (the tokenization is the provider's), so the eval still ends
with status ``success``; the sample's explanation and a log warning name the continuation.

The task's metadata records ``prompt_logprobs`` as asked (null: decided per provider); each
pair's sample metadata records the value used for the model it ran on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Logprob,
    ModelOutput,
    get_model,
)
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, Value, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from beliefbench import __version__
from beliefbench.analysis.text import listing
from beliefbench.arguments import (
    TaskArgumentError,
    check_flag,
    check_names,
    check_selection,
    check_whole,
)
from beliefbench.cache_key import cache_kwargs
from beliefbench.claims import Claim, resolve_claims
from beliefbench.internals.margins import no_pairs_problem
from beliefbench.internals.scoring import ScoringError, check_shared_prefix
from beliefbench.metrics import N_BOOTSTRAP, one_hot, question_table, summary_metrics
from beliefbench.model_info import named_once
from beliefbench.probes import binary
from beliefbench.solver import ABORT_AFTER, GENERATION_ERROR, InfrastructureFailure, Runs
from beliefbench.tasks import plain_args, refuse_unknown, shown_under_display_none

logger = logging.getLogger(__name__)

LOGPROB_INSTRUCTION = "Answer the question with a single word: yes or no."
"""System message of the binary part: the answer's FIRST token must be the yes / no."""
PARTS: tuple[str, ...] = ("binary", "completions")
KINDS: tuple[str, ...] = ("main", "paraphrase", "neighbour")
TOP_LOGPROBS = 20
"""The most OpenAI returns; the hf and vLLM providers accept it too."""
PROMPT_LOGPROB_PROVIDERS = ("vllm", "vllm-completions", "sglang")
"""Providers known to return prompt log-probabilities (others are skipped unless forced)."""
SKIP = "logprob_skip"
"""Sample-metadata key: why this item could not be scored on this provider."""
PAIR_FAILED = "logprob_pair_failed"
"""Sample-metadata key: why this completion pair could not be read (scored ``failed``)."""
UNREADABLE = "logprob_unreadable"
"""Sample-metadata key: answers no single token of the provider's tokenizer reads."""
METADATA_KEY = "beliefbench_logprob"
_TOKEN_SPACES = {"Ġ": " ", "▁": " ", "Ċ": "\n"}


# --------------------------------------------------------------------------- binary part

@dataclass(frozen=True)
class YesNo:
    """What the top first-token log-probabilities say about yes vs no."""

    p_yes: float
    p_no: float
    floor: float
    """The lowest top log-probability: a bound for an answer not among the top tokens."""

    def verdict(self, belief_answer: str) -> tuple[str, float, str | None]:
        """(verdict, margin log P(belief) - log P(other), problem) by the belief task's rules."""
        if math.isnan(self.p_yes) or math.isnan(self.p_no):
            return "parse_error", math.nan, "a NaN log-probability among the top first tokens"
        if self.p_yes == 0 and self.p_no == 0:
            return "parse_error", math.nan, "neither yes nor no among the top first tokens"
        p_belief, p_other = (self.p_yes, self.p_no) if belief_answer == "yes" \
            else (self.p_no, self.p_yes)
        lp_belief = math.log(p_belief) if p_belief > 0 else self.floor
        lp_other = math.log(p_other) if p_other > 0 else self.floor
        return ("yes" if p_belief > p_other else "no"), lp_belief - lp_other, None


def token_word(token: str) -> str:
    """A first token as a bare lower-case word (byte-level / sentencepiece spaces undone)."""
    for marker, space in _TOKEN_SPACES.items():
        token = token.replace(marker, space)
    return token.strip().strip("\"'.,!:;*`").lower()


def unreadable_answers(tokenizer) -> list[str]:
    """The answers ("yes", "no") that no single token of the vocabulary reads. The first
    token can never be such an answer, so the other one won every item it reached the top
    tokens of: a tokenizer with "No" whole but "yes" split read every counter question as
    belief and every other as disbelief, a plausible rate measuring nothing. A vocabulary
    that cannot be read as text (bytes keys, as tiktoken-based tokenizers give) is no
    evidence either way: [] (unknown), as for a served model."""
    try:
        have = {token_word(t.decode("utf-8", "replace") if isinstance(t, bytes) else t)
                for t in tokenizer.get_vocab()}
    except Exception:  # noqa: BLE001 - a tokenizer of another kind: the check is only a guard
        return []
    return [a for a in ("yes", "no") if a not in have]


def appended_tokens(tokenizer) -> list[str]:
    """The special tokens ``tokenizer`` appends after every text (an eos, as a tokenizer
    saved with ``add_eos_token`` gives): Inspect's hf provider encodes the prompt with them,
    so its first answer token came after an end of text, a reading of nothing asked. []
    where there are none or the tokenizer is unknown (a served model)."""
    try:
        enc = tokenizer("yes", add_special_tokens=True, return_special_tokens_mask=True)
        ids, special = list(enc["input_ids"]), list(enc["special_tokens_mask"])
        end = len(ids)
        while end > 0 and special[end - 1]:
            end -= 1
        return [str(t) for t in tokenizer.convert_ids_to_tokens(ids[end:])]
    except Exception:  # noqa: BLE001 - no tokenizer, or one of another kind: unknown
        return []


def doubled_bos(api: Any, messages: Sequence[Any]) -> bool:
    """Whether Inspect's hf provider (``api``) reads ``messages`` after two bos tokens: a
    chat template that writes the bos (Llama 3, Gemma, Mistral) and a tokenizer that adds
    its own gave every first answer token after a sequence the model never sees. False
    where it cannot tell (a served model, whose provider builds its prompts itself)."""
    try:
        tokenizer = api.tokenizer
        bos = tokenizer.bos_token_id
        ids = tokenizer(api.hf_chat(list(messages), []),
                        **(api.tokenizer_call_args or {}))["input_ids"]
        return bos is not None and [int(i) for i in ids[:2]] == [bos, bos]
    except Exception:  # noqa: BLE001 - no hf provider, or one of another version: unknown
        return False


def unreadable_problem(missing: Sequence[str]) -> str:
    """Why an item of a tokenizer without a single-token answer gets no verdict."""
    return (f"the tokenizer has no single token reading {' or '.join(map(repr, missing))}, "
            f"so the first token cannot be that answer")


def read_yes_no(top: Sequence[tuple[str, float]]) -> YesNo:
    """Sum the probability of every top token that reads "yes" (or "no")."""
    p_yes = sum(math.exp(lp) for tok, lp in top if token_word(tok) == "yes")
    p_no = sum(math.exp(lp) for tok, lp in top if token_word(tok) == "no")
    # a -inf entry (a token masked by top-k / top-p) has probability 0: it bounds nothing
    finite = [lp for _, lp in top if math.isfinite(lp)]
    return YesNo(p_yes, p_no, min(finite, default=-math.inf))


def binary_samples(claim: Claim) -> list[Sample]:
    """The belief task's binary samples with the one-word instruction as the system message."""
    out = []
    for s in binary.samples(claim, instruction="system"):
        messages = [ChatMessageSystem(content=LOGPROB_INSTRUCTION) if m.role == "system" else m
                    for m in s.input]
        out.append(Sample(id=s.id, input=messages,
                          metadata={**(s.metadata or {}), "part": "binary"}))
    return out


# --------------------------------------------------------------------------- completions part

def completion_samples(claim: Claim, kinds: Sequence[str] = KINDS) -> list[Sample]:
    out = []
    seen: dict[str, int] = {}
    for pair in claim.completions:
        n = seen.get(pair.kind, 0)
        seen[pair.kind] = n + 1
        if pair.kind not in kinds:
            continue
        out.append(Sample(
            id=f"{claim.id}/pair-{pair.kind}-{n}", input=pair.prompt + pair.claim,
            metadata={"part": "completions", "claim": claim.id, "kind": pair.kind, "pair": n,
                      "prompt": pair.prompt, "claim_text": pair.claim,
                      "truth_text": pair.truth}))
    return out


def continuation_logprob(content: Sequence[Logprob], text: str,
                         continuation: str) -> tuple[float, int] | None:
    """Sum and count of the prompt log-probabilities of ``continuation`` at the end of ``text``.

    Tokens are located by their decoded text (the provider's tokenization, whatever template
    wraps the prompt): the last occurrence of ``text`` in the joined tokens (or of its
    longest tail, as the first prompt token has no log-probability), then every token
    overlapping its final ``len(continuation)`` characters. None when it cannot be located.
    """
    found = continuation_span(content, text, continuation)
    return found[:2] if found else None


def continuation_span(content: Sequence[Logprob], text: str, continuation: str,
                      before: int = 0) -> tuple[float, int, int, int] | None:
    """:func:`continuation_logprob` counting from ``before`` characters ahead of the
    continuation, how far ahead of it the first token counted starts (> 0 where the
    prompt's end merged into it), so that a pair's two sides can be counted from the same
    point (as ``internals margins`` scores them), and that token's index in ``content``
    (the tokens before it must be the same on both sides)."""
    pieces = [lp.token for lp in content]
    joined = "".join(pieces)
    tail = next((text[k:] for k in range(len(text) - len(continuation) + 1)
                 if text[k:] in joined), None)
    if tail is None:
        return None
    start = joined.rfind(tail)
    lo, hi = start + len(tail) - len(continuation), start + len(tail)
    total, n, pos, reach, first = 0.0, 0, 0, 0, 0
    for i, (lp, piece) in enumerate(zip(content, pieces, strict=True)):
        end = pos + len(piece)
        if end > lo - before and pos < hi:
            reach, first = (max(0, lo - pos), i) if n == 0 else (reach, first)
            total += lp.logprob
            n += 1
        pos = end
    return (total, n, reach, first) if n else None


def supports_prompt_logprobs(model_name: str) -> bool:
    return model_name.split("/", 1)[0] in PROMPT_LOGPROB_PROVIDERS


# --------------------------------------------------------------------------- solver

def _first_top(output: ModelOutput) -> list[tuple[str, float]] | None:
    choice = output.choices[0] if output.choices else None
    if choice is None or choice.logprobs is None or not choice.logprobs.content:
        return None
    top = choice.logprobs.content[0].top_logprobs or []
    # the sampled token alone is no reading: at temperature > 0 it need not be the mode
    return [(t.token, t.logprob) for t in top] or None


def _top_problem(top: list[tuple[str, float]] | None, wanted: int) -> str | None:
    """Why the top first-token logprobs of a binary reply cannot be read, or None."""
    if top is None:
        return "the provider returned no top_logprobs for the first token"
    if len(top) < wanted:
        return (f"the provider returned {len(top)} top_logprobs, {wanted} were asked for "
                f"(pass -T top_logprobs={len(top)} if that is its limit)")
    if any(math.isnan(lp) for _, lp in top):
        return "the provider returned a NaN log-probability among the top first tokens"
    return None


@solver
def logprob_answer(top_logprobs: int = TOP_LOGPROBS,
                   prompt_logprobs: bool | None = None, skip_pairs: bool = True,
                   abort_after: int = ABORT_AFTER) -> Solver:
    """One request per item asking only for log-probabilities (see the module docstring).

    Args:
        top_logprobs: first-token alternatives to request for binary items.
        prompt_logprobs: request prompt log-probabilities for completion pairs; None: only
            on providers known to return them (vLLM, SGLang). The value used is left in
            each pair's ``prompt_logprobs`` sample metadata.
        skip_pairs: skip completion pairs on a provider without prompt logprobs (the binary
            part is still measured); False: fail them, as when pairs are all the task asks
            for and a skip would leave a successful run that measured nothing.
        abort_after: infrastructure failures in a row after which the model is not called
            again in this run, as in the belief task (:class:`beliefbench.solver.Runs`).
    """
    runs = Runs(abort_after)
    warned: set[str] = set()
    unreadable: dict[str, list[str]] = {}
    appended: dict[str, list[str]] = {}
    doubled: dict[str, bool] = {}

    def unreadable_of(model) -> list[str]:
        """Where the provider exposes its tokenizer (hf): answers it has no single token
        for, once per model. Served models keep theirs to themselves: [] (unknown)."""
        if str(model) not in unreadable:
            # no tokenizer (or none readable) is unknown: unreadable_answers gives []
            unreadable[str(model)] = unreadable_answers(
                getattr(getattr(model, "api", None), "tokenizer", None))
        return unreadable[str(model)]

    def skip(state: TaskState, reason: str) -> TaskState:
        state.metadata[SKIP] = reason
        if reason not in warned:
            warned.add(reason)
            logger.warning("belief_logprob: %s", reason)
        return state

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = named_once(get_model())
        md = state.metadata
        if md["part"] == "binary":  # for the summary: a skip leaves no score to count
            md[PAIRS_SKIPPED] = skip_pairs and not (
                supports_prompt_logprobs(str(model)) if prompt_logprobs is None
                else prompt_logprobs)
        try:
            # counted as the belief task counts them: a raise, or a reply with no choices or
            # output items, toward abort_after; the first of a run sets up the provider
            streak = runs.begin(state)
            if md["part"] == "binary":
                if str(model) not in appended:
                    api = getattr(model, "api", None)
                    # hf / nnterp encode with the tokenizer's special tokens unless told
                    told = (getattr(api, "tokenizer_call_args", None) or {}).get(
                        "add_special_tokens", True)
                    appended[str(model)] = appended_tokens(
                        getattr(api, "tokenizer", None)) if told is not False else []
                if str(model) not in doubled:
                    doubled[str(model)] = doubled_bos(getattr(model, "api", None),
                                                      state.messages)
                if doubled[str(model)]:
                    raise InfrastructureFailure(
                        f"{model}: its chat template writes the bos and its tokenizer adds "
                        f"another, so the first answer token would be read after two bos "
                        f"tokens; the binary item cannot be read (counted as failed); pass "
                        f"-M tokenizer_call_args='{{\"add_special_tokens\": false}}', or "
                        f"use internals binary, which reads after one bos")
                if appended[str(model)]:
                    raise InfrastructureFailure(
                        f"{model}: its tokenizer appends {' '.join(appended[str(model)])} "
                        f"after every prompt, so the first answer token would be read after "
                        f"an end of text; the binary item cannot be read (counted as failed); "
                        f"save the tokenizer without it (add_eos_token false), or use "
                        f"internals binary, which reads after the generation prompt")
                before = state.output
                try:
                    state = await runs.ask(streak, state, generate(
                        state, max_tokens=1, logprobs=True, top_logprobs=top_logprobs,
                        **cache_kwargs(model)))
                except Exception as e:  # noqa: BLE001 - a provider failure is infrastructure
                    runs.raised(streak, state, e, before)
                runs.answered(streak, state, state.output)
                problem = _top_problem(_first_top(state.output), top_logprobs)
                if problem:
                    raise InfrastructureFailure(f"{model}: {problem}; the binary item cannot "
                                                f"be read (counted as failed)")
                if missing := unreadable_of(model):
                    md[UNREADABLE] = missing
                    reason = (f"{model}: no single token of its tokenizer reads "
                              f"{' or '.join(map(repr, missing))}; every binary item is a "
                              f"parse_error (internals binary --method sequence scores whole "
                              f"answers)")
                    if reason not in warned:
                        warned.add(reason)
                        logger.warning("belief_logprob: %s", reason)
                return state
            wanted = supports_prompt_logprobs(str(model)) if prompt_logprobs is None \
                else prompt_logprobs
            md["prompt_logprobs"] = wanted
            if not wanted:
                advice = ("(use vllm/ or vllm-completions/, -T prompt_logprobs=true for an "
                          "endpoint served by vLLM, or beliefbench internals margins)")
                if skip_pairs:
                    return skip(state, f"{model}: this provider does not return prompt "
                                       f"logprobs; the completions part is skipped {advice}")
                why = "prompt logprobs are off (-T prompt_logprobs=false)" if prompt_logprobs \
                    is False else "this provider does not return prompt logprobs"
                raise InfrastructureFailure(f"{model}: {why}, and completion pairs are all "
                                            f"this task measures (parts=completions) {advice}")
            config = GenerateConfig(max_tokens=1, prompt_logprobs=1)
            read: dict[str, tuple[Sequence[Logprob], str, int]] = {}
            for side in ("claim", "truth"):
                text = md["prompt"] + md[f"{side}_text"]
                try:
                    out = await runs.ask(streak, state, model.generate(
                        [ChatMessageUser(content=text)], config=config,
                        **cache_kwargs(model)))
                except Exception as e:  # noqa: BLE001 - a provider failure is infrastructure
                    # the call leaves state.output as it was: no IndexError of the
                    # provider's reads as a reply with no choices here
                    runs.raised(streak, state, e, before=state.output)
                runs.answered(streak, state, out)
                choice = out.choices[0] if out.choices else None
                plp = choice.prompt_logprobs.content if choice and choice.prompt_logprobs \
                    else None
                if not plp:
                    raise InfrastructureFailure(f"{model}: the provider returned no prompt "
                                                f"logprobs, which were asked for")
                found = continuation_span(plp, text, md[f"{side}_text"])
                if found is None:
                    # not a skip: a pair left out would shrink efficacy's denominator unseen
                    md[PAIR_FAILED] = (f"{model}: could not locate the {side} continuation "
                                       f"{md[f'{side}_text']!r} in the prompt tokens; the "
                                       f"pair is scored failed")
                    logger.warning("belief_logprob: %s: %s", state.sample_id, md[PAIR_FAILED])
                    return state
                read[side] = (plp, text, found[2])
                if side == "claim":
                    state.output = out
            # both sides counted from the earlier start: where the prompt's end merged into
            # one side's first token only, that side alone paid for it
            before = max(r for _, _, r in read.values())
            counted = {side: continuation_span(plp, text, md[f"{side}_text"], before)
                       for side, (plp, text, _) in read.items()}
            try:  # and given the same tokens before that start, as internals margins checks
                check_shared_prefix(md["prompt"], [md["claim_text"], md["truth_text"]],
                                    [[lp.token for lp in read[side][0][:found[3]]]
                                     for side, found in counted.items() if found])
            except ScoringError as e:
                md[PAIR_FAILED] = f"{model}: {e}; the pair is scored failed"
                logger.warning("belief_logprob: %s: %s", state.sample_id, md[PAIR_FAILED])
                return state
            for side, found in counted.items():
                assert found is not None  # located above, and more is counted now
                if not math.isfinite(found[0]):
                    raise InfrastructureFailure(f"{model}: a non-finite prompt log-probability "
                                                f"({found[0]}) for the continuation "
                                                f"{md[f'{side}_text']!r}")
                md[f"logp_{side}"], md[f"tokens_{side}"] = found[:2]
            return state
        except InfrastructureFailure as e:
            md[GENERATION_ERROR] = str(e)
            raise

    return solve


# --------------------------------------------------------------------------- scorer, metrics

def _pooled(summary: pd.DataFrame) -> pd.DataFrame:
    """The over-all-claims rows of a margins summary (its per-claim rows for one claim)."""
    return summary[summary["claim"] == "all"] if (summary["claim"] == "all").any() \
        else summary


def _pair_metrics(pairs: pd.DataFrame) -> dict[str, float]:
    """``<kind>/<stat>`` pooled over claims. Failed pairs (no margin) count in efficacy and
    specificity as neither a claim nor a truth win, are left out of the means of margin and
    magnitude, and are shown as ``<kind>/failed`` (share of the kind's pairs); where every
    pair of a kind failed, its rates are nan (nothing read), not 0. ``main/score``:
    CounterFact's score (harmonic mean of main and paraphrase efficacy and neighbour
    specificity), where all three kinds were run; nan where any of them read nothing."""
    from beliefbench.internals.margins import bootstrap_mean, summarize

    failed = pairs["failed"].fillna(0.0).astype(float) if "failed" in pairs \
        else pd.Series(0.0, index=pairs.index)
    pairs = pairs.assign(failed=failed)
    out: dict[str, float] = {}
    rates = ("efficacy", "efficacy_low", "efficacy_high", "specificity", "specificity_low",
             "specificity_high", "score")
    for stats, sub in ((rates, pairs), (("magnitude", "margin"), pairs[failed == 0])):
        if sub.empty:
            continue
        for row in _pooled(summarize(sub, n_bootstrap=N_BOOTSTRAP)).to_dict(orient="records"):
            for stat in stats:
                if stat in row and not pd.isna(row[stat]):
                    out[f"{row['kind']}/{stat}"] = float(row[stat])
    for kind, sub in pairs.groupby("kind", sort=False):
        groups = [g["failed"].to_numpy() for _, g in sub.groupby("claim", sort=False)]
        out[f"{kind}/failed"] = bootstrap_mean(groups, n_bootstrap=0)[0]  # claims weigh equally
    # a kind none of whose pairs was read measured nothing: its rates (and the score built
    # on them) are nan, not the 0.000 of counting every failure as neither win
    unread = unread_kinds(pairs)
    for key in list(out):
        kind, stat = key.split("/")
        if stat in rates and (kind in unread or (stat == "score" and unread)):
            out[key] = math.nan
    return out


def unread_kinds(pairs: pd.DataFrame) -> list[str]:
    """The pair kinds among ``pairs`` (rows with ``kind`` and ``failed``) none of whose pairs
    was read: every one failed. Rows with no ``failed`` (pair scores logged before it was
    recorded, reused by an eval-retry) were read."""
    if "failed" not in pairs:
        return []
    return [str(k) for k, sub in pairs.groupby("kind", sort=False)
            if (sub["failed"].fillna(0.0).astype(float) == 1).all()]


ITEMS = "logprob_items"
"""Sample-metadata key: the dataset's items per part (``binary``) and pair kind, so that
the summary knows the kinds to show skipped and when every binary item was scored (Inspect
also computes it live on the samples so far)."""
PAIRS_SKIPPED = "pairs_skipped"
"""Binary score-metadata key: the model's completion pairs are skipped (no prompt
logprobs); skipped pairs are unscored, and Inspect hands a metric scored samples alone."""
_NOTHING_READ = ("belief_logprob: NOTHING READ: none of the %d binary item(s) was read as "
                 "yes or no (%d parse error(s), %d failed): binary/belief 0.000 is no "
                 "measurement (binary/readable 0.000); see each sample's explanation")
_NOTHING_READ_PAIRS = ("belief_logprob: NOTHING READ: none of the %d %s pair(s) was read "
                       "(%d failed, %s/failed 1.000): %s nan, no measurement; see each "
                       "sample's explanation")


@metric
def logprob_summary() -> Metric:
    """binary/*: the belief task's rates over binary items (+ mean margin); main/*,
    paraphrase/*, neighbour/*: efficacy, magnitude and margin of the completion pairs
    (neighbour/specificity: share where the truth wins) and the share of failed pairs,
    pooled over claims. binary/readable: the share of binary items read as yes or no (the
    belief rate counts the others as non-belief); <kind>/skipped: the share of the kind's
    pairs skipped (1.0 where the provider returns no prompt logprobs, which skips them all;
    0.0 where they were read or left out by --limit), so a family that measured
    nothing is shown as such. A run whose binary items were all scored and none read logs
    a NOTHING READ warning, once (``report`` says it again from the log's binary/readable:
    Inspect keeps no metric's logging in the log). A pair kind none of whose pairs was read
    has nan rates (and ``main/score`` nan), and once all its pairs were scored a NOTHING
    READ warning of its own."""

    said: set[tuple] = set()  # the NOTHING READ warnings given, one per run

    def warn_once(scores: list[SampleScore], message: str, *args: Any) -> None:
        # Inspect computes the metrics live as samples finish and again at the end: both
        # saw every item, and the warning printed twice
        run = (_model_name(), *sorted(str(s.sample_id) for s in scores), message, *args)
        if run not in said:
            said.add(run)
            logger.warning(message, *args)

    def compute(scores: list[SampleScore]) -> Value:
        binary_rows, pair_rows, margins = [], [], []
        items: dict[str, int] = {}  # the dataset's items per part / kind
        skipped = False  # the provider skipped the pairs (unscored: never seen here)
        for s in scores:
            md, value = s.sample_metadata or {}, s.score.value
            items = md.get(ITEMS, items)
            skipped = skipped or bool((s.score.metadata or {}).get(PAIRS_SKIPPED))
            if not isinstance(value, dict):
                continue
            if md.get("part") == "binary":
                binary_rows.append({"claim": md.get("claim"), "family": "binary",
                                    "question": md.get("question"), "n": 1,
                                    **{k: float(value.get(k, 0.0)) for k in
                                       ("yes", "no", "neutral", "parse_error", "failed")}})
                if not math.isnan(value.get("margin", math.nan)):
                    margins.append(value["margin"])
            else:
                pair_rows.append({"claim": md.get("claim"), "kind": md.get("kind"),
                                  "pair": md.get("pair"), **value})
        out: dict[str, float] = {}
        if binary_rows:
            sm = summary_metrics(question_table(binary_rows), ["binary"])
            out.update({f"binary/{k}": v for k, v in sm.items()
                        if k in ("belief", "ci_low", "ci_high", "no", "parse_error",
                                 "failed")})
            out["binary/margin"] = sum(margins) / len(margins) if margins else math.nan
            # belief is over ALL items (unread ones are non-belief): beside it, the share
            # that was read at all, so a 0.000 belief from nothing read cannot pass as one
            out["binary/readable"] = out["binary/belief"] + out["binary/no"]
            if out["binary/readable"] == 0 and len(binary_rows) == items.get("binary"):
                counts = (len(binary_rows), int(sum(r["parse_error"] for r in binary_rows)),
                          int(sum(r["failed"] for r in binary_rows)))
                warn_once(scores, _NOTHING_READ, *counts)
        if pair_rows:
            pairs = pd.DataFrame(pair_rows)
            out.update(_pair_metrics(pairs))
            for kind in unread_kinds(pairs):  # its rates nan (_pair_metrics), said once
                n = int((pairs["kind"] == kind).sum())
                if n == items.get(kind):
                    nan = [k for k, v in out.items() if math.isnan(v)
                           and (k.startswith(f"{kind}/") or k == "main/score")
                           and not k.endswith(("_low", "_high"))]  # CIs go with them
                    nan.sort(key=lambda k: k == "main/score")  # the kind's own rates first
                    warn_once(scores, _NOTHING_READ_PAIRS, n, kind, n, kind,
                              listing(nan) + (" are" if len(nan) > 1 else " is"))
        for kind in KINDS:  # a skipped family is shown skipped, never as 0 nor left unsaid
            if items.get(kind):  # one model per log: its pairs were all skipped or none
                out[f"{kind}/skipped"] = float(skipped)
        return out

    return compute


def _model_name() -> str:
    """The model the metric is computed for ('' where none is evaluated: `inspect score`).
    Read from the active model only: ``get_model()`` with none active would make one (the
    ``INSPECT_EVAL_MODEL`` default, an ``hf/`` one loading its weights) to name it."""
    from inspect_ai.model._model import active_model

    return str(active_model() or "")


@scorer(metrics=[logprob_summary()])
def logprob_scorer() -> Scorer:
    """Verdicts (binary) and margins (completion pairs) from log-probabilities; no judge."""

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        if md.get(SKIP):
            return Score.unscored(explanation=md[SKIP], metadata={"skipped": md[SKIP]})
        # the provider raised or sent no reading: failed, in the denominator, reported
        # (binary/failed, <kind>/failed), and the sample errored (the run's status error)
        if md.get(GENERATION_ERROR) and md["part"] == "binary":
            return Score(value={**one_hot("failed"), "margin": math.nan},
                         answer="failed", explanation=md[GENERATION_ERROR],
                         metadata={"infrastructure": True,
                                   PAIRS_SKIPPED: md.get(PAIRS_SKIPPED, False)})
        if md.get(GENERATION_ERROR) or md.get(PAIR_FAILED):
            return Score(value={"logp_claim_mean": math.nan, "logp_truth_mean": math.nan,
                                "margin": math.nan, "claim_wins": 0.0, "failed": 1.0},
                         answer="failed", explanation=md.get(GENERATION_ERROR)
                         or md[PAIR_FAILED],
                         metadata={"infrastructure": bool(md.get(GENERATION_ERROR))})
        if md["part"] == "binary":
            top = _first_top(state.output) or []
            yn = read_yes_no(top)
            verdict, margin, problem = yn.verdict(md["belief_answer"])
            if md.get(UNREADABLE):  # the first token could only ever read one answer
                verdict, margin = "parse_error", math.nan
                problem = unreadable_problem(md[UNREADABLE])
            return Score(value={**one_hot(verdict), "margin": margin},
                         answer=verdict, explanation=problem or
                         f"P(yes)={yn.p_yes:.4f} P(no)={yn.p_no:.4f}; believer answers "
                         f"{md['belief_answer']!r}",
                         metadata={"p_yes": yn.p_yes, "p_no": yn.p_no, "top": top[:5],
                                   PAIRS_SKIPPED: md.get(PAIRS_SKIPPED, False)})
        lc, nc = md["logp_claim"], md["tokens_claim"]
        lt, nt = md["logp_truth"], md["tokens_truth"]
        margin = lc / nc - lt / nt
        return Score(value={"logp_claim_mean": lc / nc, "logp_truth_mean": lt / nt,
                            "margin": margin, "claim_wins": float(margin > 0), "failed": 0.0},
                     answer="claim" if margin > 0 else "truth",
                     explanation=f"logp claim {lc:.3f} ({nc} tok), truth {lt:.3f} ({nt} tok)",
                     metadata={"logp_claim": lc, "logp_truth": lt, "tokens_claim": nc,
                               "tokens_truth": nt})

    return score


# --------------------------------------------------------------------------- task

@plain_args
@task
@shown_under_display_none
def belief_logprob(claims: str | list[str] = "all",
                   parts: str | list[str] = "binary,completions",
                   kinds: str | list[str] = "main,paraphrase,neighbour",
                   top_logprobs: int = TOP_LOGPROBS,
                   prompt_logprobs: bool | None = None, abort_after: int = ABORT_AFTER,
                   **unknown: Any) -> Task:
    """Judge-free belief: binary yes/no probabilities and completion-pair margins.

    Args:
        claims: "all", or claim ids, files or directories (a list, or comma-separated).
        parts: binary, completions, or both.
        kinds: completion pair kinds: main, paraphrase, neighbour.
        top_logprobs: first-token alternatives read for binary items (1-20).
        prompt_logprobs: request prompt logprobs for completion pairs (None: only on vLLM /
            SGLang providers; true for an OpenAI-compatible endpoint served by vLLM). Each
            pair's sample metadata records the value used.
        abort_after: after this many infrastructure failures in a row (the provider raised,
            or sent a reply with no choices or output items) the model is not called again
            in this run: every remaining sample errors at once, as in the belief task.
    """
    refuse_unknown("belief_logprob", belief_logprob, unknown)
    chosen_parts = check_names("parts", parts, PARTS)
    chosen_kinds = check_names("kinds", kinds, KINDS)
    top_logprobs = check_whole("top_logprobs", top_logprobs, 1)
    abort_after = check_whole("abort_after", abort_after, 1)
    if top_logprobs > 20:
        raise TaskArgumentError(f"top_logprobs: must be between 1 and 20, got {top_logprobs}")
    if top_logprobs == 1 and "binary" in chosen_parts:
        # an answer missing from the top tokens is bounded by the lowest of them: with one,
        # that is the other answer itself, so every margin read 0 (as if undecided)
        logger.warning("belief_logprob: top_logprobs=1: binary/margin reads 0 on every item "
                       "(the answer not returned is bounded by the one returned); the "
                       "verdicts stand; ask for more where the provider allows")
    if prompt_logprobs is not None:
        prompt_logprobs = check_flag("prompt_logprobs", prompt_logprobs)
    # pairs are read from prompt logprobs alone: off, every pair was skipped (with parts'
    # default) as if the provider had none, or (parts=completions) failed once it ran
    if prompt_logprobs is False and "completions" in chosen_parts:
        raise TaskArgumentError(f"prompt_logprobs: false, but parts {chosen_parts} includes "
                                f"completions, whose pairs are read from prompt logprobs "
                                f"alone; pass -T parts=binary, or leave prompt_logprobs out")
    resolved = resolve_claims(check_selection("claims", claims, default="all"))
    chosen = [c for _, c in resolved]
    samples: list[Sample] = []
    without: list[str] = []
    for claim in chosen:
        if "binary" in chosen_parts:
            samples += binary_samples(claim)
        if "completions" in chosen_parts:
            pairs = completion_samples(claim, chosen_kinds)
            without += [] if pairs else [claim.id]
            samples += pairs
    counts = pd.Series([s.metadata["kind"] if s.metadata["part"] == "completions" else
                        "binary" for s in samples if s.metadata]).value_counts()
    for s in samples:
        s.metadata = {**(s.metadata or {}), ITEMS: {str(k): int(v) for k, v in counts.items()}}
    if without and len(without) < len(chosen):
        # pair metrics pool the claims that have pairs: one without them was left out of
        # every main/... rate with nothing said, though the log lists it among the claims
        logger.warning("belief_logprob: claim(s) %s: no completion pairs of kind(s) %s; "
                       "not in the completion metrics", ", ".join(without),
                       ", ".join(chosen_kinds))
    if "completions" in chosen_parts and len(without) == len(chosen):
        # the completions part alone failed as "claims ['x']: no binary questions or
        # completion pairs for parts ['completions']"; beside binary it ran without a word
        problem = no_pairs_problem(chosen, chosen_kinds, "the completions part reads",
                                   kinds_option="-T kinds=")
        if chosen_parts == ["completions"]:
            raise TaskArgumentError(f"{problem}; or pass -T parts=binary")
        logger.warning("belief_logprob: %s; only the binary items are measured", problem)
    if not samples:
        raise TaskArgumentError(f"claims {[c.id for c in chosen]}: no binary questions or "
                                f"completion pairs for parts {chosen_parts}")
    settings: dict[str, Any] = {"version": __version__, "claims": [c.id for c in chosen],
                                "parts": chosen_parts, "kinds": chosen_kinds,
                                "top_logprobs": int(top_logprobs),
                                "prompt_logprobs": prompt_logprobs,
                                "instruction": LOGPROB_INSTRUCTION,
                                "abort_after": abort_after}
    return Task(dataset=MemoryDataset(samples, name="beliefbench-logprob"),
                solver=logprob_answer(int(top_logprobs), prompt_logprobs,
                                      skip_pairs="binary" in chosen_parts,
                                      abort_after=abort_after),
                scorer=logprob_scorer(), score_on_error=True,
                # a metric of its own, so its record of the warnings given is this task's
                # (the decorator's one metric serves every run in the process)
                metrics=[logprob_summary()],
                metadata={METADATA_KEY: settings})
