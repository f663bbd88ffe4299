"""Harness overhead and full-evaluation wall time, with mockllm subject and grader.

Prints:
  * seconds per sample for beliefbench's task and for a bare Inspect task that makes the
    same model calls (same inputs, one subject call per sample, one grader call per judged
    sample), measured in this run, and their ratio (target: at most 1.25x);
  * wall time of the full default evaluation: all bundled claims, all families, 5 samples
    per question (target: under 90 s on 2 cores).

Run: .venv/bin/python benchmarks/bench_harness.py [--samples 5] [--repeats 1]
(``--repeats 3``: each task three times, taking turns, fastest of each: steadier on a shared
machine, three times as long.)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from benchutil import description, positive_int
from inspect_ai import Epochs, Task, eval
from inspect_ai.model import GenerateConfig, ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import Score, mean, scorer
from inspect_ai.solver import generate

from beliefbench.claims import load_claims
from beliefbench.judge import render_judge_prompt
from beliefbench.probes import build_dataset, parse_families
from beliefbench.task import belief

ANSWER = "I believe it happened much as described."
VERDICT = json.dumps({"reason": "scripted", "answer": "yes"})


def scripted(text: str):
    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        out = ModelOutput.from_content("mockllm/model", text)
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


def bare_task(samples: int) -> Task:
    """Plain Inspect: same dataset and calls, a trivial scorer around the same grader call."""
    claims = {c.id: c for c in load_claims("all")}

    @scorer(metrics=[mean()])
    def bare_judge():
        async def score(state, target):
            md = state.metadata
            if md["family"] != "binary":
                prompt = render_judge_prompt(claims[md["claim"]], md["family"], md["prompt"],
                                             state.output.completion)
                await get_model(role="grader").generate(prompt)
            return Score(value=1.0)

        return score

    return Task(dataset=build_dataset(list(claims.values()), parse_families("all")),
                solver=generate(), scorer=bare_judge(), epochs=Epochs(samples, "mean"),
                config=GenerateConfig(temperature=0.7, top_p=0.8, max_tokens=1024))


def timed(task: Task, log_dir: str) -> tuple[float, float, int]:
    """(wall s, process CPU s, responses): the CPU time is the steadier figure where other
    jobs share the cores, since their load stretches the wall time of whichever run it hits."""
    start, cpu = time.perf_counter(), time.process_time()
    [log] = eval(task, model=scripted(ANSWER), model_roles={"grader": scripted(VERDICT)},
                 log_dir=log_dir, display="none", max_connections=64)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert log.status == "success", log.error
    return elapsed, cpu, len(log.samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--samples", type=positive_int, default=5,
                        help="samples per question (default 5: 1,520 responses, the full "
                             "default evaluation)")
    parser.add_argument("--repeats", type=positive_int, default=1,
                        help="runs of each task, taking turns; the fastest of each is "
                             "compared (the machine is shared: load swings hit one run)")
    args = parser.parse_args()
    bare_s = ours_s = bare_cpu = ours_cpu = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        timed(bare_task(1), tmp)  # warm-up: imports, model set-up
        for _ in range(args.repeats):
            took, cpu, bare_n = timed(bare_task(args.samples), tmp)
            bare_s, bare_cpu = min(bare_s, took), min(bare_cpu, cpu)
            took, cpu, ours_n = timed(belief(samples=args.samples), tmp)
            ours_s, ours_cpu = min(ours_s, took), min(ours_cpu, cpu)
    assert bare_n == ours_n
    per_bare, per_ours = bare_s / bare_n * 1000, ours_s / ours_n * 1000
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus: {os.cpu_count()}, load average {load} (other load inflates the times)")
    print(f"responses per run          {ours_n}"
          + (f"   (fastest of {args.repeats} runs each)" if args.repeats > 1 else ""))
    print(f"bare Inspect task          {bare_s:6.1f} s   {per_bare:5.2f} ms/sample   "
          f"CPU {bare_cpu:6.1f} s")
    print(f"beliefbench belief task    {ours_s:6.1f} s   {per_ours:5.2f} ms/sample   "
          f"CPU {ours_cpu:6.1f} s")
    print(f"overhead ratio             {per_ours / per_bare:6.2f}x   (target <= 1.25x; "
          f"CPU time {ours_cpu / bare_cpu:.2f}x)")
    print(f"full default evaluation    {ours_s:6.1f} s   (target < 90 s; all claims, all "
          f"families, {args.samples} samples)")

if __name__ == "__main__":
    main()
