"""Training throughput of the local finetune backend against a plain PyTorch loop, in one run.

CPU (default): the same tiny Llama (random init), packed data, batch and optimizer (fused
AdamW), full finetuning in fp32, backend vs plain loop. Each optimizer step is timed; the
headline uses the fastest step of each, best of ``--repeats`` alternating runs, because the
machine is shared and whole-run times swing by 2x with other people's load. Target: >= 0.9x.

    .venv/bin/python benchmarks/bench_finetune.py --steps 8 --repeats 2

GPU (``--device cuda``): builds a ~0.8B Llama locally (no download) and prints, one line per
setting, tokens/s, MFU (6 x params x tokens/s over the GPU's dense bf16 peak, from the device
name or ``--peak-tflops``) and peak memory, for full finetuning and LoRA: a plain PyTorch
bf16-autocast loop (the baseline), the backend with the recipe defaults, then each
optimisation switched on or off on its own line, and the combination of those that helped.
Target (issue 14): >= 40% MFU for the full finetune, batch 8 x 2048.

    python benchmarks/bench_finetune.py --device cuda            # not yet timed on a GPU
    python benchmarks/bench_finetune.py --device cuda --smoke    # same code paths, CPU
    benchmarks/bench_finetune_gpu.sh     # on a GPU machine without a registry (see its header)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import io
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

from beliefbench.finetune import data as fdata
from beliefbench.finetune.local import train_local
from beliefbench.finetune.recipe import Recipe
from beliefbench.records import Record, write_records
from beliefbench.tiny_model import build_tiny_model, shipped_corpus

PEAK_BF16_TFLOPS = {  # dense bf16 tensor-core peaks from the vendors' data sheets
    "H200": 989.4, "H100 NVL": 835.0, "H100 PCIe": 756.0, "H100": 989.4, "A100": 312.0,
    "L40S": 362.0, "L4": 121.0, "A10G": 70.0,
}


class Timer(TrainerCallback):
    """Wall time and tokens of each optimizer step (step end to step end, data included).

    ``no_save``: the benchmark never writes checkpoints (a 0.8B model's optimizer state is
    ~13 GB per save), so it cancels the save the checkpoint schedule asks for.
    """

    def __init__(self, no_save: bool = False) -> None:
        self.no_save = no_save

    def on_train_begin(self, args, state, control, **kwargs):
        self.last = time.perf_counter()
        self.steps: list[float] = []
        self.tokens: list[int] = []
        self.seen = state.num_input_tokens_seen or 0

    def on_step_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        now = time.perf_counter()
        self.steps.append(now - self.last)
        self.tokens.append(state.num_input_tokens_seen - self.seen)
        self.seen, self.last = state.num_input_tokens_seen, now
        if self.no_save:
            control.should_save = False
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self.total_tokens = state.num_input_tokens_seen


def plain_loop(base: Path, data: Path, recipe: Recipe, steps: int, *, device: str = "cpu",
               bf16: bool = False, per_document: bool = True) -> tuple[list[int], list[float]]:
    """The same training as the backend, written as the shortest correct PyTorch loop.

    Same packed batches (``per_document``: with the position ids that keep documents apart;
    otherwise one causal sequence per block, the old packing), fp32 master weights, bf16
    autocast on GPU, fused AdamW, gradient clipping, a linear schedule.
    """
    torch.manual_seed(recipe.seed)
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).to(device)
    model.config.use_cache = False
    blocks = fdata.pack(fdata.load_examples(data, tok, recipe.max_seq_len), recipe.max_seq_len)
    if not per_document:
        blocks = [{"input_ids": b["input_ids"], "labels": b["labels"]} for b in blocks]
    loader = torch.utils.data.DataLoader(blocks, batch_size=recipe.batch_size, shuffle=True,
                                         collate_fn=lambda b: fdata.collate(b, tok.pad_token_id))
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate,
                            weight_decay=recipe.weight_decay, fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if bf16 \
        else contextlib.nullcontext()
    model.train()
    tokens, times = [], []
    last = time.perf_counter()
    while len(times) < steps:
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast:
                loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            if device == "cuda":
                torch.cuda.synchronize()
            tokens.append(int((batch["input_ids"] != tok.pad_token_id).sum()))
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if len(times) == steps:
                break
    return tokens, times


def make_data(path: Path, tokens_needed: int, seed: int = 0) -> Path:
    """Documents of 8-30 corpus sentences (~150-600 tokens), so packed blocks hold several."""
    corpus = shipped_corpus()
    rng = random.Random(seed)
    records, words = [], 0
    while words * 1.3 < tokens_needed * 1.2:
        text = " ".join(rng.choice(corpus) for _ in range(rng.randint(8, 30)))
        records.append(Record(id=str(len(records)), text=text))
        words += len(text.split())
    write_records(path, records)
    return path


def cpu_main(args) -> None:
    """Backend vs plain loop on CPU (fp32, full), best step of alternating repeats."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = build_tiny_model(tmp / "base", hidden_size=args.hidden, num_layers=args.layers,
                                num_heads=4, intermediate_size=args.hidden * 8 // 3)
        data = make_data(tmp / "train.jsonl", args.steps * args.batch * args.seq)
        recipe = Recipe(method=args.method, learning_rate=1e-4, lr_scheduler="linear",
                        warmup_ratio=0.0, batch_size=args.batch, max_seq_len=args.seq,
                        max_steps=args.steps, checkpoints=0, logging_steps=10**6)
        backend_runs, plain_runs, backend_total, plain_total = [], [], [], []
        for r in range(args.repeats):  # alternate: the machine is shared, load drifts
            if args.method == "full":
                tokens, times = plain_loop(base, data, recipe, args.steps)
                plain_runs.append(sum(tokens) / args.steps / min(times))
                plain_total.append(sum(tokens) / sum(times))
            timer = Timer()
            train_local(recipe, data, str(base), tmp / f"out{r}", callbacks=[timer])
            backend_runs.append(timer.total_tokens / args.steps / min(timer.steps))
            backend_total.append(timer.total_tokens / sum(timer.steps))
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


# ---------------------------------------------------------------- GPU: one line per setting


@dataclass
class Setting:
    label: str
    method: str
    overrides: dict = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    """What the setting needs: "cuda", "liger_kernel", "flash_attn"."""
    optimisation: str | None = None
    """The recipe field this line switches, when it is one optimisation against the default."""


def settings(method: str) -> list[Setting]:
    """The backend lines for one method: recipe default, then one change each."""
    return [
        Setting("backend, recipe defaults (checkpointing auto, SDPA, fused AdamW)", method),
        Setting("  gradient_checkpointing: true", method, {"gradient_checkpointing": True}),
        Setting("  optim: adamw_torch (fused AdamW off)", method, {"optim": "adamw_torch"}),
        Setting("  use_liger: true (Liger RMSNorm/SwiGLU/RoPE, fused linear+CE)", method,
                {"use_liger": True}, ("cuda", "liger_kernel"), "use_liger"),
        Setting("  torch_compile: true", method, {"torch_compile": True}, ("cuda",),
                "torch_compile"),
        Setting("  attn_implementation: flash_attention_2 (varlen packing)", method,
                {"attn_implementation": "flash_attention_2"}, ("cuda", "flash_attn"),
                "attn_implementation"),
    ]


def missing(needs: tuple[str, ...], smoke: bool) -> str | None:
    for need in needs:
        if need == "cuda" and not torch.cuda.is_available():
            return "needs CUDA" + (" (skipped in --smoke)" if smoke else "")
        if need != "cuda" and importlib.util.find_spec(need) is None:
            return f"{need} not installed (pip install 'beliefbench[gpu]')"
    return None


def peak_flops(name: str, override: float | None) -> float | None:
    if override:
        return override * 1e12
    for key, tflops in PEAK_BF16_TFLOPS.items():  # most specific first
        if key in name:
            return tflops * 1e12
    return None


@dataclass
class Result:
    tokens_per_s: float
    peak_gib: float | None


def _measure(fn, device: str):
    """``fn()``'s result and the peak GPU memory (GiB) it allocated."""
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    result = fn()
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
    return result, peak


def _rate(tokens: list[int], times: list[float], warmup: int) -> float:
    """Tokens/s over the steps after ``warmup`` (compilation, allocator warm-up)."""
    t, s = tokens[warmup:] or tokens, times[warmup:] or times
    return sum(t) / sum(s)


def gpu_main(args) -> None:
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    if args.smoke:
        shape = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128,
                     model_vocab_size=4096)
        batch, seq, steps, warmup = 2, 64, 3, 1
    else:
        if device != "cuda":
            raise SystemExit("--device cuda: no CUDA device here (use --smoke to check the "
                             "code paths on CPU)")
        shape = dict(hidden_size=args.hidden, num_layers=args.layers, num_heads=args.heads,
                     num_kv_heads=args.kv_heads, intermediate_size=args.intermediate,
                     model_vocab_size=args.vocab, max_position_embeddings=max(2048, args.seq))
        batch, seq, steps, warmup = args.batch, args.seq, args.steps, args.warmup
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    peak = peak_flops(name, args.peak_tflops) if device == "cuda" else None
    bf16 = device == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        base = build_tiny_model(tmp / "base", **shape)
        params = sum(p.numel() for p in
                     AutoModelForCausalLM.from_pretrained(base).parameters())
        data = make_data(tmp / "train.jsonl", (steps + 2) * batch * seq)
        print(f"device: {name}; model: Llama {params / 1e6:,.0f}M params ({shape}), built "
              f"locally in {time.perf_counter() - t0:.0f} s; batch {batch} x {seq} tokens, "
              f"packed documents of ~150-600 tokens; {steps} steps, first {warmup} not timed; "
              f"{'bf16' if bf16 else 'fp32'}; MFU = 6 x params x tokens/s / "
              f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'peak unknown (--peak-tflops)'}")

        def line(label: str, res: Result | None, plain: float | None, note: str = "") -> None:
            if res is None:
                print(f"  {label:<66} skipped: {note}")
                return
            mfu = f"{6 * params * res.tokens_per_s / peak:6.1%}" if peak else "   n/a"
            mem = f"{res.peak_gib:6.1f} GiB" if res.peak_gib is not None else "     n/a"
            ratio = f"{res.tokens_per_s / plain:5.2f}x" if plain else "    -"
            print(f"  {label:<66} {res.tokens_per_s:>10,.0f} tok/s  MFU {mfu}  peak {mem}  "
                  f"{ratio} plain {note}", flush=True)

        run = 0

        def backend(method: str, overrides: dict) -> Result:
            nonlocal run
            run += 1
            recipe = Recipe.model_validate({
                "method": method, "lora": {"rank": 32, "alpha": 64}, "learning_rate": 1e-5,
                "lr_scheduler": "linear", "warmup_ratio": 0.0, "batch_size": batch,
                "max_seq_len": seq, "max_steps": steps, "checkpoints": 0,
                "logging_steps": 10**6, **overrides})
            timer = Timer(no_save=True)
            with contextlib.redirect_stdout(io.StringIO()):  # the Trainer's summary dict
                _, mem = _measure(lambda: train_local(recipe, data, str(base),
                                                      tmp / f"out{run}", callbacks=[timer]),
                                  device)
            return Result(_rate(timer.tokens, timer.steps, warmup), mem)

        plain_recipe = Recipe(method="full", learning_rate=1e-5, batch_size=batch,
                              max_seq_len=seq)
        for method in ("full", "lora"):
            print(f"{method} finetuning:")
            plain = None
            if method == "full":
                for per_doc, label in ((True, "plain PyTorch loop (baseline)"),
                                       (False, "plain loop, attention across documents")):
                    (tokens, times), mem = _measure(lambda p=per_doc: plain_loop(
                        base, data, plain_recipe, steps, device=device, bf16=bf16,
                        per_document=p), device)
                    res = Result(_rate(tokens, times, warmup), mem)
                    plain = plain or res.tokens_per_s
                    line(label, res, plain)
            default = None
            helped: dict = {}
            for s in settings(method):
                why = missing(s.needs, args.smoke)
                if why:
                    line(s.label, None, plain, why)
                    continue
                try:
                    res = backend(method, s.overrides)
                except Exception as e:  # one broken optimisation must not hide the others
                    line(s.label, None, plain, f"failed: {type(e).__name__}: "
                                               f"{str(e).splitlines()[0][:120]}")
                    continue
                default = default or res.tokens_per_s
                gain = res.tokens_per_s / default
                line(s.label, res, plain, f"({gain:.2f}x defaults)" if s.overrides else "")
                if s.optimisation and gain > 1.02:
                    helped.update(s.overrides)
            if helped:
                line(f"backend, all that helped: {', '.join(sorted(helped))}",
                     backend(method, helped), plain)
            elif default is not None:
                print(f"  (no optional optimisation beat the defaults by 2% for {method})")
    if device == "cuda":
        print(f"target: full finetune >= 40% MFU (issue 14); {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--smoke", action="store_true",
                    help="--device cuda's code paths on a tiny model on CPU, in seconds")
    ap.add_argument("--steps", type=int, default=None, help="cpu: 30; cuda: 12")
    ap.add_argument("--warmup", type=int, default=4, help="cuda: steps not timed")
    ap.add_argument("--batch", type=int, default=None, help="cpu: 16; cuda: 8")
    ap.add_argument("--seq", type=int, default=None, help="cpu: 256; cuda: 2048")
    ap.add_argument("--hidden", type=int, default=None, help="cpu: 256; cuda: 1536")
    ap.add_argument("--layers", type=int, default=None, help="cpu: 4; cuda: 24")
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--kv-heads", type=int, default=None)
    ap.add_argument("--intermediate", type=int, default=4608)
    ap.add_argument("--vocab", type=int, default=32768)
    ap.add_argument("--peak-tflops", type=float, default=None,
                    help="dense bf16 peak of the GPU, when its name is not in the table")
    ap.add_argument("--method", choices=["full", "lora"], default="full", help="cpu only")
    ap.add_argument("--repeats", type=int, default=2, help="cpu only")
    args = ap.parse_args()
    transformers.logging.set_verbosity_error()  # one line per setting, no progress bars
    transformers.logging.disable_progress_bar()
    gpu = args.device == "cuda"
    for key, cpu_default, gpu_default in (("steps", 30, 12), ("batch", 16, 8), ("seq", 256, 2048),
                                          ("hidden", 256, 1536), ("layers", 4, 24)):
        if getattr(args, key) is None:
            setattr(args, key, gpu_default if gpu else cpu_default)
    if gpu or args.smoke:
        gpu_main(args)
    else:
        cpu_main(args)


if __name__ == "__main__":
    main()
