"""Training throughput of the local finetune backend against a plain PyTorch loop, in one run.

CPU (default): the same tiny Llama (random init), packed data, batch and optimizer (fused
AdamW), full finetuning in fp32, backend vs plain loop. Each optimizer step is timed; the
headline uses the fastest step of each, best of ``--repeats`` alternating runs, because the
machine is shared and whole-run times swing by 2x with other people's load. Target: >= 0.9x.

    .venv/bin/python benchmarks/bench_finetune.py --steps 8 --repeats 2

GPU (``--device cuda``): builds a ~0.8B Llama locally (no download) and prints, one line per
setting, tokens/s, MFU (6 x params x tokens/s over the GPU's dense bf16 peak, from the device
name or ``--peak-tflops``), peak memory and the last step's loss, for full finetuning and LoRA:
a plain PyTorch bf16-autocast loop (the baseline), the backend with the GPU recipes' defaults,
then each setting switched on or off on its own line. On CUDA each backend line runs in a
fresh process: Liger patches transformers process-wide, and torch.compile stops compiling a
frame after eight versions in one process. Checks first: the dtype of a bf16 run's exported
checkpoints, and packed attention against each document run alone. ``--budget-s`` skips the
lines still to run once that much time is spent (most informative first). Target (issue 14):
>= 40% MFU for the full finetune, batch 8 x 2048.

    python benchmarks/bench_finetune.py --device cuda --budget-s 480
    python benchmarks/bench_finetune.py --device cuda --smoke    # same code paths, CPU
    benchmarks/bench_finetune_gpu.sh     # on a GPU machine without a registry (see its header)

Measured on one H200 (torch 2.11, transformers 5.17; 787M parameters, batch 8 x 2048, bf16;
MFU over 989 TFLOP/s), 2026-12-04, with the defaults as they are now: full finetuning, plain
loop 48,125 tokens/s (23.0% MFU), the defaults (torch_varlen, whole model compiled) 92,498
(44.1%, 1.92x, 35.0 GiB peak), compile off 54,967 (26.2%), regional 87,269 (41.6%). LoRA:
whole model compiled 84,023 (40.1%; its line took 222 s, nearly all compiling), regional
(now LoRA's default) 90,963 (43.4%; its line 38 s), compile off 47,886, SDPA without compile (the
defaults before issue 14) 43,111. docs/benchmarks.md has the tables and the earlier runs'
Liger, flex-attention and checkpointing lines.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import io
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import transformers
from benchutil import description, positive_float, positive_int, tiny_shape
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

from beliefbench.finetune import data as fdata
from beliefbench.finetune.local import train_local
from beliefbench.finetune.recipe import Recipe
from beliefbench.progress import quiet
from beliefbench.records import Record, write_records
from beliefbench.tiny_model import build_tiny_model, shipped_corpus

LOCAL = {"local_files_only": True, "use_safetensors": True, "trust_remote_code": False}
"""As the project loads a model: from disk, safetensors only, no remote code."""

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
        self.losses: list[float] = []
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

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append(logs["loss"])

    def on_train_end(self, args, state, control, **kwargs):
        self.total_tokens = state.num_input_tokens_seen


def plain_loop(base: Path, data: Path, recipe: Recipe, steps: int, *, device: str = "cpu",
               bf16: bool = False, per_document: bool = True,
               on_step=None) -> tuple[list[int], list[float]]:
    """The same training as the backend, written as the shortest correct PyTorch loop.

    Same packed batches (``per_document``: with the position ids that keep documents apart;
    otherwise one causal sequence per block, the old packing), fp32 master weights, bf16
    autocast on GPU, fused AdamW, gradient clipping, a linear schedule.
    """
    torch.manual_seed(recipe.seed)
    tok = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, **LOCAL).to(device)
    model.config.use_cache = False
    # records whole, as the backend packs them (packing splits a long record across blocks)
    blocks = fdata.pack(fdata.load_examples(data, tok, None), recipe.max_seq_len)
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
            if on_step:
                on_step()
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


def fastest_step(tokens: list[int], times: list[float]) -> float:
    """Tokens/s of the fastest step, each step's own tokens over its own time (an epoch's
    last batch may be short: the run's mean tokens over its time would inflate it)."""
    return max(n / t for n, t in zip(tokens, times, strict=True))


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
                plain_runs.append(fastest_step(tokens, times))
                plain_total.append(sum(tokens) / sum(times))
            timer = Timer()
            with quiet(), contextlib.redirect_stdout(io.StringIO()):  # bar, summary dict
                train_local(recipe, data, str(base), tmp / f"out{r}", callbacks=[timer])
            backend_runs.append(fastest_step(timer.tokens, timer.steps))
            backend_total.append(sum(timer.tokens) / sum(timer.steps))
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
    overrides: dict = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    """What the setting needs: "cuda", "liger_kernel", "flash_attn"."""


DEFAULTS = Setting("backend, GPU recipe defaults (torch_varlen, compile auto, fused AdamW)")
"""compile auto on CUDA: the whole model for full finetuning, each decoder layer for LoRA."""
SETTINGS = {  # each switches one thing against the defaults; by name, so a run orders them
    "sdpa": Setting("  attn_implementation: sdpa (dense per-document mask)",
                    {"attn_implementation": "sdpa"}),
    "no_compile": Setting("  torch_compile: false", {"torch_compile": False}),
    "before": Setting("  sdpa, no compile (the defaults before issue 14)",
                      {"attn_implementation": "sdpa", "torch_compile": False}),
    "regional": Setting("  torch_compile: regional (each decoder layer)",
                        {"torch_compile": "regional"}),
    "whole": Setting("  torch_compile: true (the whole model)", {"torch_compile": True}),
    "use_liger": Setting("  use_liger: true (compile auto: then off)", {"use_liger": True},
                         ("cuda", "liger_kernel")),
    "liger_compile": Setting("  use_liger: true, torch_compile: true",
                             {"use_liger": True, "torch_compile": True},
                             ("cuda", "liger_kernel")),
    "flex_attention": Setting("  attn_implementation: flex_attention (block mask)",
                              {"attn_implementation": "flex_attention"}, ("cuda",)),
    "flash_attention_2": Setting("  attn_implementation: flash_attention_2 (flash-attn)",
                                 {"attn_implementation": "flash_attention_2"},
                                 ("cuda", "flash_attn")),
    "checkpointing": Setting("  gradient_checkpointing: true", {"gradient_checkpointing": True}),
    "adamw_torch": Setting("  optim: adamw_torch (fused AdamW off)", {"optim": "adamw_torch"}),
}
PLAN = (  # (method, setting name): most informative first, so a time budget cuts the rest
    [("full", "plain"), ("full", "defaults")]
    + [("full", n) for n in ("sdpa", "no_compile", "before", "regional", "use_liger")]
    + [("lora", "defaults")]
    + [("lora", n) for n in ("sdpa", "no_compile", "before", "whole", "use_liger",
                             "liger_compile")]
    + [("full", "plain_across"), ("full", "liger_compile")]
    + [(m, n) for m in ("full", "lora")
       for n in ("checkpointing", "adamw_torch", "flex_attention", "flash_attention_2")]
    + [("full", "profile")])


def missing(needs: tuple[str, ...], smoke: bool) -> str | None:
    for need in needs:
        if need == "cuda" and not torch.cuda.is_available():
            return "needs CUDA" + (" (skipped in --smoke)" if smoke else "")
        if need != "cuda" and importlib.util.find_spec(need) is None:
            return f"{need} not installed (pip install '.[gpu]' in the beliefbench folder)"
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
    loss: float | None = None
    """Training loss at the last step: every backend line trains the same model on the same
    batches, so a wrong kernel shows here as a loss that parts from the defaults'."""


def train_line(recipe: dict, data: Path, base: Path, out: Path, warmup: int,
               device: str) -> Result:
    """One backend line: train, time the steps after ``warmup``, note the last loss.

    Module-level so that a line can run in a fresh process: Liger patches transformers'
    Llama module globally (it sped up every line measured after it in the first H200 run),
    and torch.compile's per-process cache would fall back to eager after eight models.
    """
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    timer = Timer(no_save=True)
    # the Trainer's bar (stderr) and summary dict (stdout)
    with quiet(), contextlib.redirect_stdout(io.StringIO()):
        _, mem = _measure(lambda: train_local(Recipe.model_validate(recipe), data, str(base),
                                              out, callbacks=[timer]), device)
    return Result(_rate(timer.tokens, timer.steps, warmup), mem,
                  timer.losses[-1] if timer.losses else None)


def in_fresh_process(fn, *args):
    """``fn(*args)`` in a new interpreter (spawned, so no CUDA state is inherited)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        ok, value = pool.submit(_reporting, fn, *args).result()
    if not ok:
        raise RuntimeError(value)
    return value


def _reporting(fn, *args):
    """(True, result), or (False, the error as text): an exception may not pickle back."""
    try:
        return True, fn(*args)
    except Exception as e:
        return False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


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


def _out_file(name: str) -> Path | None:
    out = os.environ.get("OUT")
    return Path(out) / name if out else None


def export_check(tmp: Path, device: str) -> str:
    """What a bf16 run writes: the dtype of config.json and of the weights, full and LoRA."""
    from safetensors.torch import load_file

    from beliefbench.finetune.manifest import read_manifest

    base = build_tiny_model(tmp / "tiny", hidden_size=64, num_layers=2, num_heads=4,
                            intermediate_size=128)
    data = make_data(tmp / "tiny.jsonl", 4 * 8 * 64)
    parts = []
    for method in ("full", "lora"):
        recipe = Recipe.model_validate({"method": method, "batch_size": 4, "max_seq_len": 64,
                                        "max_steps": 2, "checkpoints": 1,
                                        "logging_steps": 10**6})
        with quiet(), contextlib.redirect_stdout(io.StringIO()):
            out = train_local(recipe, data, str(base), tmp / f"export-{method}")
        d = Path(read_manifest(out)[-1].path)
        weights = next(d.glob("*.safetensors"))
        dtypes = sorted({str(t.dtype).removeprefix("torch.")
                         for t in load_file(weights).values()})
        cfg = json.loads((d / ("config.json" if method == "full" else
                               "adapter_config.json")).read_text())
        parts.append(f"{method}: {weights.name} {'/'.join(dtypes)}"
                     + (f", config.json dtype {cfg.get('dtype')}" if method == "full" else ""))
    return f"exported checkpoints of a {device} run: " + "; ".join(parts)


def attention_check(base: Path, device: str, seq: int) -> str:
    """Packed batches against each document run alone, on the benchmark's own model.

    The reference runs every document of two packed rows by itself (fp32, plain causal
    attention); each packed variant (bf16) must give the same logits at that document's
    positions: SDPA with transformers' per-document mask, torch_varlen with the row width as
    its length bound (as training runs it) and with the exact longest document.
    """
    from beliefbench.finetune import attention

    attention.register()
    tok = AutoTokenizer.from_pretrained(base, local_files_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data(Path(tmp) / "check.jsonl", 2 * seq, seed=1)
        # records whole, as training packs them (a record longer than a row continues in the
        # next row, its own document there)
        blocks = fdata.pack(fdata.load_examples(data, tok, None), seq)[:2]
    docs = []  # (row, start, ids) of each document in the packed rows
    for row, block in enumerate(blocks):
        starts = [i for i, p in enumerate(block["position_ids"]) if p == 0]
        for a, b in zip(starts, [*starts[1:], len(block["input_ids"])], strict=True):
            docs.append((row, a, block["input_ids"][a:b]))

    def load(attn: str, dtype):
        model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, **LOCAL,
                                                     attn_implementation=attn).to(device)
        model.config.use_cache = False  # with a KV cache transformers ignores packing
        return model

    with torch.no_grad():
        model = load("sdpa", torch.float32)
        ref = torch.cat([model(input_ids=torch.tensor([ids], device=device)).logits[0]
                         for _, _, ids in docs])
        del model
        variants = {}
        for label, attn, exact in (("SDPA, per-document mask", "sdpa", False),
                                   ("torch_varlen", attention.NAME, False),
                                   ("torch_varlen, exact longest", attention.NAME, True)):
            model = load(attn, torch.bfloat16)
            batch = fdata.collate(blocks, tok.pad_token_id, varlen=attn == attention.NAME)
            if exact:
                lengths = batch["cu_seq_lens_q"][1:] - batch["cu_seq_lens_q"][:-1]
                batch["max_length_q"] = batch["max_length_k"] = int(lengths.max())
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            logits = model(**batch).logits.float()
            got = torch.cat([logits[row, a:a + len(ids)] for row, a, ids in docs])
            variants[label] = float((got - ref).norm() / ref.norm())
            del model
    return (f"packed attention vs each of {len(docs)} documents alone (fp32), relative "
            f"difference of the logits (bf16 rounding: ~1e-3 to 1e-2): "
            + "; ".join(f"{k} {v:.1e}" for k, v in variants.items()))


def profile_plain(base: Path, data: Path, recipe: Recipe, device: str, rows: int = 15) -> str:
    """Where a plain-loop step spends its GPU time: the top kernels by self CUDA time, over
    two steps after two of warm-up (model loading is not in it)."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=activities,
                 schedule=torch.profiler.schedule(wait=0, warmup=2, active=2),
                 acc_events=True) as prof:
        plain_loop(base, data, recipe, 4, device=device, bf16=device == "cuda",
                   on_step=prof.step)
    key = "self_cuda_time_total" if device == "cuda" else "self_cpu_time_total"
    table = prof.key_averages().table(sort_by=key, row_limit=40)
    if path := _out_file("profile_plain_loop.txt"):
        path.write_text(table, encoding="utf-8")
    lines = table.splitlines()
    return "\n".join(lines[: rows + 3])


def gpu_main(args) -> None:
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    if args.smoke:
        shape = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128,
                     model_vocab_size=4096)
        batch, seq, steps, warmup = 2, 64, 3, 1
    else:
        assert device == "cuda", "main() refuses --device cuda without CUDA"
        shape = dict(hidden_size=args.hidden, num_layers=args.layers, num_heads=args.heads,
                     num_kv_heads=args.kv_heads, intermediate_size=args.intermediate,
                     model_vocab_size=args.vocab, max_position_embeddings=max(2048, args.seq))
        batch, seq, steps, warmup = args.batch, args.seq, args.steps, args.warmup
    methods = args.methods.split(",")
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    peak = peak_flops(name, args.peak_tflops) if device == "cuda" else None
    bf16 = device == "cuda"
    t0 = time.perf_counter()
    log_file = _out_file("bench_finetune_lines.txt")

    def say(text: str) -> None:
        print(text, flush=True)
        if log_file:
            with log_file.open("a", encoding="utf-8") as f:
                f.write(text + "\n")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "export" in args.checks:
            try:
                say(export_check(tmp, device))
            except Exception as e:  # a check must not cost the measurements
                say(f"export check failed: {type(e).__name__}: {e}")
        base = build_tiny_model(tmp / "base", **shape)
        params = sum(p.numel() for p in
                     AutoModelForCausalLM.from_pretrained(base, **LOCAL).parameters())
        data = make_data(tmp / "train.jsonl", (steps + 2) * batch * seq)
        say(f"device: {name}; torch {torch.__version__}, transformers "
            f"{transformers.__version__}; model: Llama {params / 1e6:,.0f}M params ({shape}), "
            f"built locally in {time.perf_counter() - t0:.0f} s; batch {batch} x {seq} tokens, "
            f"packed documents of ~150-600 tokens; {steps} steps, first {warmup} not timed; "
            f"{'bf16' if bf16 else 'fp32'}; MFU = 6 x params x tokens/s / "
            f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'peak unknown (--peak-tflops)'}")
        if "varlen" in args.checks:
            try:
                say(attention_check(base, device, seq))
            except Exception as e:
                say(f"torch_varlen check failed: {type(e).__name__}: {e}")

        rows: dict[str, list[str]] = {m: [] for m in methods}
        plain: dict[str, float] = {}
        default: dict[str, float] = {}
        run = 0

        def line(method: str, label: str, res: Result | None, note: str = "") -> None:
            if res is None:
                text = f"  {label:<66} skipped: {note}"
            else:
                mfu = f"{6 * params * res.tokens_per_s / peak:6.1%}" if peak else "   n/a"
                mem = f"{res.peak_gib:6.1f} GiB" if res.peak_gib is not None else "     n/a"
                base_rate = plain.get("full")
                ratio = f"{res.tokens_per_s / base_rate:5.2f}x" if base_rate else "    -"
                loss = f"  loss {res.loss:.4f}" if res.loss is not None else ""
                text = (f"  {label:<66} {res.tokens_per_s:>10,.0f} tok/s  MFU {mfu}  peak "
                        f"{mem}  {ratio} plain{loss} {note}")
            rows[method].append(text)
            say(f"[{time.perf_counter() - t0:5.0f} s] {method}: {text.strip()}")

        def backend(method: str, overrides: dict) -> Result:
            nonlocal run
            run += 1
            recipe = {"method": method, "lora": {"rank": 32, "alpha": 64},
                      "learning_rate": 1e-5, "lr_scheduler": "linear", "warmup_ratio": 0.0,
                      "batch_size": batch, "max_seq_len": seq, "max_steps": steps,
                      "checkpoints": 0, "logging_steps": 1,
                      "torch_compile": "auto", **overrides}  # as finetune/full.yaml, lora.yaml
            job = (train_line, recipe, data, base, tmp / f"out{run}", warmup, device)
            # Liger's patches and torch.compile's caches (at most 8 compilations of a frame)
            # are process-wide: on CUDA every line runs in a fresh process
            if device == "cuda" or overrides.get("use_liger") or args.isolate:
                return in_fresh_process(*job)
            return job[0](*job[1:])

        def setting_line(method: str, s: Setting) -> None:
            if why := missing(s.needs, args.smoke):
                return line(method, s.label, None, why)
            try:
                res = backend(method, s.overrides)
            except Exception as e:  # one broken setting must not hide the others
                return line(method, s.label, None, f"failed: {type(e).__name__}: "
                                                   f"{str(e).splitlines()[0][:120]}")
            if not s.overrides:
                default[method] = res.tokens_per_s
                return line(method, s.label, res)
            gain = (f"({res.tokens_per_s / default[method]:.2f}x defaults)"
                    if method in default else "")
            line(method, s.label, res, gain)

        plain_recipe = Recipe(method="full", learning_rate=1e-5, batch_size=batch,
                              max_seq_len=seq)
        chosen = set(args.settings.split(",")) if args.settings else None
        for method, what in PLAN:
            if method not in methods or (chosen and what not in chosen):
                continue
            if args.budget_s and time.perf_counter() - t0 > args.budget_s:
                line(method, what, None, f"time budget of {args.budget_s:.0f} s spent")
                continue
            if what in ("plain", "plain_across"):
                per_doc = what == "plain"
                label = "plain PyTorch loop (baseline)" if per_doc \
                    else "plain loop, attention across documents (old packing)"
                (tokens, times), mem = _measure(lambda p=per_doc: plain_loop(
                    base, data, plain_recipe, steps, device=device, bf16=bf16,
                    per_document=p), device)
                res = Result(_rate(tokens, times, warmup), mem)
                plain.setdefault("full", res.tokens_per_s)
                line(method, label, res)
            elif what == "defaults":
                setting_line(method, Setting(DEFAULTS.label if device == "cuda" else
                                             "backend, recipe defaults (CPU: SDPA, no compile)"))
            elif what == "profile":
                if "profile" in args.checks:
                    say("profile of the plain loop (2 steps after 2 of warm-up; top kernels by "
                        "self time):\n"
                        + profile_plain(base, data, plain_recipe, device))
            else:
                setting_line(method, SETTINGS[what])
    say("\nsummary (tokens/s over the timed steps; ratios to the plain loop and to the "
        "recipe defaults):")
    for method in methods:
        say(f"{method} finetuning:")
        for text in rows[method]:
            say(text)
    if device == "cuda":
        say(f"target: full finetune >= 40% MFU (issue 14); {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--smoke", action="store_true",
                    help="--device cuda's code paths on a tiny model on CPU, in seconds")
    ap.add_argument("--steps", type=positive_int, default=None, help="cpu: 30; cuda: 12")
    ap.add_argument("--warmup", type=int, default=4, help="cuda: steps not timed")
    ap.add_argument("--batch", type=positive_int, default=None, help="cpu: 16; cuda: 8")
    ap.add_argument("--seq", type=positive_int, default=None, help="cpu: 256; cuda: 2048")
    ap.add_argument("--hidden", type=positive_int, default=None, help="cpu: 256; cuda: 1536")
    ap.add_argument("--layers", type=positive_int, default=None, help="cpu: 4; cuda: 24")
    ap.add_argument("--heads", type=positive_int, default=12)
    ap.add_argument("--kv-heads", type=positive_int, default=None)
    ap.add_argument("--intermediate", type=positive_int, default=4608)
    ap.add_argument("--vocab", type=positive_int, default=32768)
    ap.add_argument("--peak-tflops", type=positive_float, default=None,
                    help="dense bf16 peak of the GPU, when its name is not in the table")
    ap.add_argument("--method", choices=["full", "lora"], default="full", help="cpu only")
    ap.add_argument("--methods", default="full,lora", help="cuda: which methods to measure")
    ap.add_argument("--settings", default=None,
                    help="cuda: only these lines, by name (plain, defaults, sdpa, no_compile, "
                         "before, regional, whole, use_liger, liger_compile, plain_across, "
                         "checkpointing, adamw_torch, flex_attention, flash_attention_2, "
                         "profile)")
    ap.add_argument("--budget-s", type=positive_float, default=None,
                    help="cuda: skip the lines still to run once this many seconds are spent "
                         "(they are ordered most informative first)")
    ap.add_argument("--isolate", action="store_true",
                    help="--smoke: every backend line in a fresh process, as on CUDA")
    ap.add_argument("--checks", default="export,varlen,profile",
                    help="cuda: extra checks to run (export: dtype of a bf16 run's "
                         "checkpoints; varlen: torch_varlen against SDPA; profile: top "
                         "kernels of the plain loop)")
    ap.add_argument("--repeats", type=positive_int, default=2, help="cpu only")
    args = ap.parse_args()
    # a misspelt name would silently measure nothing, after minutes of device time
    for flag, given, known in (("--methods", args.methods, ("full", "lora")),
                               ("--settings", args.settings, sorted({w for _, w in PLAN})),
                               ("--checks", args.checks, ("export", "varlen", "profile"))):
        unknown = [x for x in (given or "").split(",") if x and x not in known]
        if unknown:
            ap.error(f"{flag}: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    methods = [m for m in args.methods.split(",") if m]
    if not methods:
        ap.error("--methods: name full, lora or both")
    for name in [x for x in (args.settings or "").split(",") if x]:
        if not any((m, name) in PLAN for m in methods):
            # a line of the other method alone measured nothing, after minutes of device time
            have = ",".join(m for m, n in PLAN if n == name)
            ap.error(f"--settings: {name} is a line of --methods {have} only (--methods "
                     f"{','.join(methods)} measures nothing for it)")
    if "profile" in (args.settings or "").split(",") and "profile" not in args.checks.split(","):
        ap.error("--settings profile: add profile to --checks (it measures nothing without)")
    if args.warmup < 0:
        ap.error(f"--warmup: must be at least 0 (got {args.warmup})")
    transformers.logging.set_verbosity_error()  # one line per setting, no progress bars
    transformers.logging.disable_progress_bar()
    gpu = args.device == "cuda"
    for key, cpu_default, gpu_default in (("steps", 30, 12), ("batch", 16, 8), ("seq", 256, 2048),
                                          ("hidden", 256, 1536), ("layers", 4, 24)):
        if getattr(args, key) is None:
            setattr(args, key, gpu_default if gpu else cpu_default)
    if not args.smoke:  # --smoke builds its own fixed shape
        tiny_shape(ap, "--hidden", args.hidden, args.heads if gpu else 4)
    if args.device == "cuda" and not args.smoke and not torch.cuda.is_available():
        # exit 2 after the options are checked, before anything is built (it was exit 1)
        ap.error("--device cuda: no CUDA device here (use --smoke to check the code paths "
                 "on CPU)")
    if gpu or args.smoke:
        gpu_main(args)
    else:
        cpu_main(args)


if __name__ == "__main__":
    main()
