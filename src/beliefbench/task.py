"""The belief task: every claim's probes, answered by the model under test, then judged."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.model import GenerateConfig

from beliefbench import __version__
from beliefbench.claims import resolve_claims
from beliefbench.probes import build_dataset, parse_families
from beliefbench.probes.context import load_context, with_context
from beliefbench.resources import user_path
from beliefbench.scorer import belief_judge
from beliefbench.solver import answer


@task
def belief(
    claims: str | list[str] = "all",
    families: str | list[str] = "all",
    samples: int = 5,
    temperature: float = 0.7,
    top_p: float = 0.8,
    max_tokens: int = 1024,
    judge: str = "model",
    judge_template: str | None = None,
    judge_temperature: float = 0.0,
    judge_max_tokens: int = 1024,
    judge_cache: bool = False,
    context: str | None = None,
) -> Task:
    """How often the model answers as if each fabricated claim were true.

    Args:
        claims: "all" (the bundled claims), or claim ids, claim files or directories
            (a list, or comma-separated).
        families: "all" or some of open_ended, binary, token_association, robustness.
        samples: responses per question (Inspect epochs, reduced by mean).
        temperature: sampling temperature for the model under test.
        top_p: nucleus sampling for the model under test.
        max_tokens: answer length limit for the model under test.
        judge: "model" (bind it with --model-role grader=...) or "markers" (offline
            keyword heuristic for demos and tests).
        judge_template: path of a judge prompt to use instead of scorers/judge.md.
        judge_temperature: the grader's temperature (the eval's does not reach it).
        judge_max_tokens: the grader's answer length limit.
        judge_cache: cache judge calls with Inspect's cache (re-scoring costs nothing).
        context: in-context control: a JSONL of text records (e.g. bundles of K negated
            documents from `beliefbench docs bundle`); each question is asked after one.
    """
    resolved = resolve_claims(claims)
    chosen = [claim for _, claim in resolved]
    chosen_families = parse_families(families)
    if samples < 1:
        raise ValueError(f"samples: must be at least 1, got {samples}")
    if judge_template is not None:
        template_path = user_path(judge_template)
        if not template_path.is_file():
            raise ValueError(f"judge_template: no such file {judge_template!r}")
        judge_template = str(template_path)
    dataset = build_dataset(chosen, chosen_families)
    if context is not None:
        records = load_context(user_path(context))
        dataset = MemoryDataset([with_context(s, records) for s in dataset],
                                name=f"beliefbench+context:{Path(context).name}")
    return Task(
        dataset=dataset,
        solver=answer(),
        scorer=belief_judge(
            [str(path) for path, _ in resolved], judge=judge, template=judge_template,
            cache=judge_cache,
            grader_config=GenerateConfig(temperature=judge_temperature,
                                         max_tokens=judge_max_tokens)),
        config=GenerateConfig(temperature=temperature, top_p=top_p, max_tokens=max_tokens),
        epochs=Epochs(samples, "mean"),
        metadata={"beliefbench": {"version": __version__, "claims": [c.id for c in chosen],
                                  "families": chosen_families, "judge": judge,
                                  "context": context}},
    )
