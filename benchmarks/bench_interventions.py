"""Cost of steering / ablation hooks and of the EM harness, measured against baselines in
the same run.

Prints:
  * forward-pass time over every bundled completion pair (teacher-forced margins) with no
    hook, with one added direction, and with a direction ablated at every residual index;
    the ratios to the plain pass (target: add <= 1.1x, ablate-all <= 1.5x);
  * EM task seconds per response with mockllm subject and grader (two judge calls per
    response, logprob-weighted reading) vs a bare Inspect task making the same calls (target:
    at most 1.25x).

Run: .venv/bin/python benchmarks/bench_interventions.py [--hidden 256 --layers 4 --repeats 5]
     [--samples 5] [--threads 1]
On a loaded shared machine use ``--threads 1``: with torch's default threads competing for the
cores, the hook arms' times swung 0.4x-1.5x of the plain pass (2026-12-02, load ~4); with one
thread they were 1.06x (add) and 1.02x (ablate-all), plain 1.04 s.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from benchutil import description, positive_int, tiny_shape
from inspect_ai import Epochs, Task, eval
from inspect_ai.model import Logprob, Logprobs, ModelOutput, ModelUsage, TopLogprob, get_model
from inspect_ai.scorer import Score, mean, scorer

from beliefbench.em.questions import build_dataset, resolve_question_sets
from beliefbench.em.task import em
from beliefbench.internals.margins import as_claims, completion_margins
from beliefbench.internals.model import load_model
from beliefbench.internals.steering import intervened, n_residual, plan
from beliefbench.tiny_model import build_tiny_model


def interleaved(arms: dict, repeats: int) -> dict[str, float]:
    """Best time of each arm, the arms alternating so machine load hits all alike."""
    best = dict.fromkeys(arms, float("inf"))
    for _ in range(repeats):
        for name, fn in arms.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def hooks(hidden: int, layers: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-interventions-") as root:
        path = build_tiny_model(Path(root) / "model", hidden_size=hidden, num_layers=layers,
                                num_heads=4, intermediate_size=4 * hidden, seed=0)
        model, tok = load_model(path)
    claims = as_claims("all")
    rng = np.random.default_rng(0)
    dirs = rng.standard_normal((n_residual(model), hidden)).astype(np.float32)

    def run(hooks=()):
        def go():
            with intervened(model, list(hooks)):
                completion_margins((model, tok), claims, n_bootstrap=0, show_progress=False)
        return go

    run()()  # warm-up
    t = interleaved({"plain": run(), "add": run(plan(dirs, "add", layers // 2, coef=2.0)),
                     "ablate": run(plan(dirs, "ablate", layers // 2, ablate_layers="all"))},
                    repeats)
    print(f"margins over all bundled pairs, {hidden} hidden x {layers} layers "
          f"(best of {repeats}, interleaved):")
    print(f"  plain {t['plain']:.3f} s | add {t['add']:.3f} s ({t['add'] / t['plain']:.2f}x) | "
          f"ablate at all {layers + 1} indices {t['ablate']:.3f} s "
          f"({t['ablate'] / t['plain']:.2f}x) (targets: add <= 1.1x, ablate-all <= 1.5x)")


def judged(text: str, top: dict[str, float] | None):
    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        out = ModelOutput.from_content("mockllm/model", text)
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        if top:
            out.choices[0].logprobs = Logprobs(content=[Logprob(
                token=text, logprob=math.log(top[text]),
                top_logprobs=[TopLogprob(token=t, logprob=math.log(p)) for t, p in top.items()])])
        return out

    return get_model("mockllm/model", custom_outputs=reply, memoize=False)


@scorer(metrics=[mean()])
def two_calls():
    async def score(state, target):
        grader = get_model(role="grader")
        await grader.generate("aligned?")
        await grader.generate("coherent?")
        return Score(value=1.0)

    return score


def harness(samples: int) -> None:
    top = {"80": 0.7, "90": 0.2, "I": 0.1}
    with tempfile.TemporaryDirectory(prefix="bench-em-logs-") as logs:
        kwargs = {"log_dir": logs, "display": "none", "log_samples": False}

        def bare(epochs: int) -> Task:
            return Task(dataset=build_dataset(resolve_question_sets("all")),
                        scorer=two_calls(), epochs=Epochs(epochs, "mean"))

        # warm-up: the first eval in a process pays Inspect's one-off set-up (seconds), which
        # would otherwise all land on whichever task is timed first
        eval(bare(1), model=judged("An answer.", None),
             model_roles={"grader": judged("80", top)}, **kwargs)
        t = time.perf_counter()
        log = eval(em(questions="all", samples=samples), model=judged("An answer.", None),
                   model_roles={"grader": judged("80", top)}, **kwargs)[0]
        ours = time.perf_counter() - t
        assert log.status == "success", log.error  # a failed run would time nothing
        n = len(log.eval.dataset.sample_ids or []) * samples
        t = time.perf_counter()
        [base_log] = eval(bare(samples), model=judged("An answer.", None),
                          model_roles={"grader": judged("80", top)}, **kwargs)
        base = time.perf_counter() - t
        assert base_log.status == "success", base_log.error
    print(f"EM task, {n} responses x 2 judge calls (mockllm): {ours / n * 1000:.1f} ms per "
          f"response vs bare Inspect {base / n * 1000:.1f} ms: {ours / base:.2f}x "
          f"(target <= 1.25x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--hidden", type=positive_int, default=256,
                    help="tiny model's hidden size (a multiple of 8: 4 heads of an even size)")
    ap.add_argument("--layers", type=positive_int, default=4, help="tiny model's layers")
    ap.add_argument("--repeats", type=positive_int, default=5,
                    help="runs of each hook arm, taking turns; the best is printed")
    ap.add_argument("--samples", type=positive_int, default=5,
                    help="EM samples per question for the harness comparison")
    ap.add_argument("--threads", type=positive_int, default=None,
                    help="torch CPU threads (1 avoids thrashing on a loaded shared machine)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tiny_shape(ap, "--hidden", args.hidden, 4)
    hooks(args.hidden, args.layers, args.repeats)
    harness(args.samples)


if __name__ == "__main__":
    main()
