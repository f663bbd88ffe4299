"""The embedded default: build a tiny local model, evaluate it on every bundled claim.

No API key, no GPU, nothing downloaded. The judge is the offline marker heuristic, so the
numbers show the pipeline working, not a finding: use an LLM grader for real results.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog

from beliefbench.analysis.logs import load_belief_logs
from beliefbench.metrics import question_table, rate_table
from beliefbench.task import belief
from beliefbench.tiny_model import build_tiny_model


def belief_tables(log: EvalLog) -> dict[str, pd.DataFrame]:
    """Rates by claim and by family, and the overall row, from one log."""
    responses = load_belief_logs(log.location).responses
    questions = question_table(responses[["claim", "family", "question", "verdict"]])
    return {"overall": rate_table(questions), "claim": rate_table(questions, by=["claim"]),
            "family": rate_table(questions, by=["family"])}


def run_demo(workdir: Path, log_dir: Path, samples: int = 5, max_tokens: int = 48,
             pretrain_steps: int = 0, claims: str = "all") -> EvalLog:
    """Build (once) the tiny model under ``workdir`` and run the belief task on it."""
    model_dir = workdir / "tiny-model"
    if not (model_dir / "config.json").exists():
        build_tiny_model(model_dir, pretrain_steps=pretrain_steps)
    task = belief(claims=claims, samples=samples, max_tokens=max_tokens, judge="markers")
    [log] = inspect_eval(task, model=f"hf/{model_dir.resolve()}", log_dir=str(log_dir),
                         max_connections=32)
    return log
