"""The belief scorer: one verdict per response, scored as a one-hot dict over the verdicts.

Binary items are exact-matched; the other families go to the judge: the ``grader`` model
role (an LLM with its own generation settings) or, with ``judge="markers"``, the offline
marker heuristic. A judge reply that cannot be read is a ``parse_error`` verdict with the raw
reply kept in the score metadata. A judge *call* that fails raises, so Inspect retries it and
``inspect eval-retry`` can resume the run; a judge outage is never recorded as non-belief.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from inspect_ai.model import GenerateConfig, get_model
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

from beliefbench.claims import FAMILIES, load_claim
from beliefbench.judge import render_judge_prompt
from beliefbench.markers import marker_verdict
from beliefbench.metrics import one_hot, question_table, summary_metrics
from beliefbench.solver import GENERATION_ERROR
from beliefbench.verdicts import VERDICTS, JudgeReading
from beliefbench.verdicts.exact import read_binary
from beliefbench.verdicts.reply import read_reply

JudgeMode = Literal["model", "markers"]
JUDGE_MODES = ("model", "markers")


@metric
def belief_summary() -> Metric:
    """Belief rate (mean of per-claim rates) with bootstrap CI, failure shares, per family
    and per claim: see :mod:`beliefbench.metrics` for the counting rules."""

    def compute(scores: list[SampleScore]) -> Value:
        rows = []
        for s in scores:
            md = s.sample_metadata or {}
            value = s.score.value if isinstance(s.score.value, dict) else {}
            rows.append({"claim": md.get("claim"), "family": md.get("family"),
                         "question": md.get("question"), "n": 1,
                         **{v: float(value.get(v, 0.0)) for v in VERDICTS}})
        return summary_metrics(question_table(rows), FAMILIES)

    return compute


@scorer(metrics=[belief_summary()])
def belief_judge(claims: Sequence[str], judge: JudgeMode = "model",
                 template: str | Path | None = None,
                 grader_config: GenerateConfig | None = None,
                 cache: bool = False) -> Scorer:
    """Score each response yes / no / neutral / parse_error / failed.

    Args:
        claims: the claim files the dataset was built from (paths, not Claim objects:
            Inspect records scorer arguments in every score event, so they must be small).
        judge: "model" (the grader role) or "markers" (offline heuristic).
        template: a judge prompt template to use instead of scorers/judge.md.
        grader_config: the grader's own generation settings (never the eval's).
        cache: route judge calls through Inspect's cache.
    """
    if judge not in JUDGE_MODES:
        raise ValueError(f"judge: unknown judge {judge!r}; valid: {list(JUDGE_MODES)}")
    by_id = {c.id: c for c in map(load_claim, claims)}
    config = grader_config or GenerateConfig(temperature=0.0, max_tokens=1024)

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        claim = by_id[md["claim"]]
        family = md["family"]
        answer = state.output.completion if state.output else ""
        judge_reply: str | None = None
        if md.get(GENERATION_ERROR) or not answer.strip():
            reading = JudgeReading("failed", "",
                                   md.get(GENERATION_ERROR) or "the model returned no text")
            used = "none"
        elif family == "binary":
            reading = read_binary(answer, md["belief_answer"])
            used = "exact_match"
        elif judge == "markers":
            reading = marker_verdict(claim, answer)
            used = "markers"
        else:
            prompt = render_judge_prompt(claim, family, md["prompt"], answer,
                                         hint=md.get("hint"), template_path=template)
            grader = get_model(role="grader", config=config)
            output = await grader.generate(prompt, cache=cache)
            judge_reply = output.completion
            reading = read_reply(judge_reply, key=claim.rubric[family].judge_key)
            used = str(grader)  # provider/name
        return Score(
            value=one_hot(reading.verdict),
            answer=reading.verdict,
            explanation=reading.reason or reading.problem,
            metadata={"verdict": reading.verdict, "judge": used, "problem": reading.problem,
                      "judge_reply": judge_reply},
        )

    return score
