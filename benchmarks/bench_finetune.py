"""Training throughput: the local finetune backend vs a plain PyTorch loop, in one run.

Same tiny Llama (random init), same packed data, same batch, same optimizer (fused AdamW, the
Trainer's default), full finetuning in fp32. Each optimizer step is timed (step end to step
end, data loading included; model loading and checkpoint export excluded). The headline uses
the fastest step of each, best of ``--repeats`` alternating runs, because the machine is shared
and whole-run times swing by 2x with other people's load; whole-run figures are printed too.
Target: backend >= 0.9x the plain loop.

    .venv/bin/python benchmarks/bench_finetune.py --steps 8 --repeats 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

from beliefbench.finetune import data as fdata
from beliefbench.finetune.local import train_local
from beliefbench.finetune.recipe import Recipe
from beliefbench.records import Record, write_records
from beliefbench.tiny_model import build_tiny_model, shipped_corpus


class Timer(TrainerCallback):
    """Wall time of each optimizer step (data loading included: step end to step end)."""

    def on_train_begin(self, args, state, control, **kwargs):
        self.last = time.perf_counter()
        self.steps: list[float] = []

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.steps.append(now - self.last)
        self.last = now

    def on_train_end(self, args, state, control, **kwargs):
        self.tokens = state.num_input_tokens_seen


def plain_loop(base: Path, data: Path, recipe: Recipe, steps: int) -> tuple[int, list[float]]:
    """The same training as the backend, written as the shortest correct PyTorch loop."""
    torch.manual_seed(recipe.seed)
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    blocks = fdata.pack(fdata.load_examples(data, tok, recipe.max_seq_len), recipe.max_seq_len,
                        tok.pad_token_id)
    loader = torch.utils.data.DataLoader(blocks, batch_size=recipe.batch_size, shuffle=True,
                                         collate_fn=lambda b: fdata.collate(b, tok.pad_token_id))
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate,
                            weight_decay=recipe.weight_decay, fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    model.train()
    tokens, done, times = 0, 0, []
    last = time.perf_counter()
    while done < steps:
        for batch in loader:
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            tokens += int(batch["attention_mask"].sum())
            done += 1
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if done == steps:
                break
    return tokens, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--method", choices=["full", "lora"], default="full")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = build_tiny_model(tmp / "base", hidden_size=args.hidden, num_layers=args.layers,
                                num_heads=4, intermediate_size=args.hidden * 8 // 3)
        corpus = " ".join(shipped_corpus())
        data = tmp / "train.jsonl"
        write_records(data, [Record(id=str(i), text=f"{i}. {corpus}") for i in range(400)])
        recipe = Recipe(method=args.method, learning_rate=1e-4, lr_scheduler="linear",
                        warmup_ratio=0.0, batch_size=args.batch, max_seq_len=args.seq,
                        max_steps=args.steps, checkpoints=0, logging_steps=10**6)
        backend_runs, plain_runs, backend_total, plain_total = [], [], [], []
        for r in range(args.repeats):  # alternate: the machine is shared, load drifts
            if args.method == "full":
                tokens, times = plain_loop(base, data, recipe, args.steps)
                plain_runs.append(tokens / args.steps / min(times))
                plain_total.append(tokens / sum(times))
            timer = Timer()
            train_local(recipe, data, str(base), tmp / f"out{r}", callbacks=[timer])
            backend_runs.append(timer.tokens / args.steps / min(timer.steps))
            backend_total.append(timer.tokens / sum(timer.steps))
    backend = max(backend_runs)
    print(f"model: Llama hidden={args.hidden} layers={args.layers}, batch {args.batch} x "
          f"{args.seq} tokens, {args.steps} steps, {args.method}, fp32 on "
          f"{torch.get_num_threads()} CPU threads; tokens/s from the fastest step, "
          f"best of {args.repeats} alternating runs")
    print(f"local backend (Trainer): {backend:10.0f} tokens/s  "
          f"(runs: {', '.join(f'{x:.0f}' for x in backend_runs)})")
    if plain_runs:
        plain = max(plain_runs)
        print(f"plain PyTorch loop:      {plain:10.0f} tokens/s  "
              f"(runs: {', '.join(f'{x:.0f}' for x in plain_runs)})")
        print(f"ratio backend / plain:   {backend / plain:10.2f}x  (target >= 0.9x)")
        print(f"whole-run tokens/s (noisier on a shared machine): backend "
              f"{max(backend_total):.0f}, plain {max(plain_total):.0f}, ratio "
              f"{max(backend_total) / max(plain_total):.2f}x")

if __name__ == "__main__":
    main()
