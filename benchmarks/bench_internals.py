"""Cost of the judge-free measures, against a plain forward pass measured in the same run.

1. Completion margins for every bundled pair (main, paraphrase, neighbour) on a tiny local
   Llama: seconds (model already loaded) and pairs per second. Target: a few seconds on 2 CPU
   cores.
2. Logit lens vs the plain margins pass over the same sequences, and probe activations
   (one pass with hidden states, reduced on the fly) vs a plain forward pass over the same
   statements. Target: <= 1.3x each.
3. ``describe``'s weights sha256 on a generated 200 MB checkpoint (``--hash-mb``): the first
   call of a process against a later one's, read from the hash cache.

Every figure is the best of ``--repeats`` runs, the variants compared taking turns (the
machine is shared; whole-run times swing with other people's load by +-20%). The lens reads
every layer through the unembedding at the continuation's positions only, so its extra cost
is layers x vocab x hidden per scored token: large next to a 2-layer tiny model, small next
to the forward pass of a real one (``--hidden-size 512 --layers 8`` shows the trend on CPU).

    .venv/bin/python benchmarks/bench_internals.py                  # tiny model, CPU
    python benchmarks/bench_internals.py --model /abs/ckpt --device cuda   # a real checkpoint
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import torch
from benchutil import description, positive_int, tiny_shape

from beliefbench.claims import load_claims
from beliefbench.internals.activations import (
    encode_texts,
    forward_batches,
    hidden_states,
    pad_id_of,
)
from beliefbench.internals.margins import completion_margins, encode_pairs, pair_refs
from beliefbench.internals.model import (
    ModelLoadError,
    check_device,
    check_loadable,
    load_model,
)
from beliefbench.internals.probe import load_statements
from beliefbench.internals.scoring import score_sequences
from beliefbench.tiny_model import build_tiny_model


def _timed(fn: Callable[[], object]) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    return min(_timed(fn) for _ in range(repeats))


def interleaved(repeats: int, fns: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best time of each function, run in turn ``repeats`` times (load swings hit all alike)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_timed(fn))
    return {name: min(ts) for name, ts in times.items()}


def plain_forward(model, tokenizer, seqs, batch_size: int) -> None:
    for _ in forward_batches(model, seqs, batch_size=batch_size, hidden=False,
                             pad_id=pad_id_of(tokenizer), show_progress=False):
        pass


def weights_hash(mb: int) -> None:
    """``describe``'s weights sha256 on a generated ``mb`` MB safetensors checkpoint: the
    first call of a process (every byte read and hashed) against a later process's (the
    hash cache). The file was just written, so the first call reads it from the page cache:
    on a real checkpoint read from disk the gap is larger."""
    import os

    from safetensors.torch import save_file

    from beliefbench import hash_cache
    from beliefbench.internals.model import describe

    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "ckpt")
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w") as f:
            f.write("{}")
        save_file({"w": torch.ones(mb * (1 << 20) // 4)}, os.path.join(folder, "model.safetensors"))
        old = os.environ.get(hash_cache.CACHE_DIR_ENV)
        os.environ[hash_cache.CACHE_DIR_ENV] = os.path.join(tmp, "cache")
        try:
            times = []
            for _ in range(2):
                hash_cache._memory.clear()  # each call as a new process makes it
                start = time.perf_counter()
                describe(folder)
                times.append(time.perf_counter() - start)
        finally:
            if old is None:
                del os.environ[hash_cache.CACHE_DIR_ENV]
            else:
                os.environ[hash_cache.CACHE_DIR_ENV] = old
    first, cached = times
    print(f"weights sha256, {mb} MB safetensors: first call {first:.3f} s, cached {cached:.4f} s "
          f"({first / cached:.0f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--model", help="A checkpoint directory (default: build a tiny Llama).")
    ap.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA when present)")
    ap.add_argument("--batch-size", type=positive_int, default=16)
    ap.add_argument("--repeats", type=positive_int, default=5,
                    help="runs of each variant, taking turns; the best is printed")
    ap.add_argument("--hidden-size", type=positive_int, default=128,
                    help="tiny model's hidden size (ignored with --model)")
    ap.add_argument("--layers", type=positive_int, default=2,
                    help="tiny model's layers (ignored with --model)")
    ap.add_argument("--threads", type=positive_int, default=None,
                    help="torch CPU threads (1 avoids thrashing on a loaded shared machine)")
    ap.add_argument("--hash-mb", type=int, default=200,
                    help="size of the checkpoint whose weights sha256 is timed, first call vs "
                         "cached (0: skip)")
    args = ap.parse_args()
    try:  # a bad path or device is one line now, not a traceback after the tiny model is built
        if args.model:
            check_loadable(args.model)
        if args.device:
            check_device(args.device)
    except ModelLoadError as e:
        ap.error(str(e))
    if not args.model:
        tiny_shape(ap, "--hidden-size", args.hidden_size, 4)  # build_tiny_model's 4 heads
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.hash_mb > 0:
        weights_hash(args.hash_mb)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.model or build_tiny_model(tmp, hidden_size=args.hidden_size,
                                              num_layers=args.layers, seed=0)
        model, tok = load_model(path, device=args.device)
        claims = load_claims("all")
        refs = pair_refs(claims)
        items = encode_pairs(tok, refs)
        bs = args.batch_size
        print(f"model: {path} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M "
              f"params, {model.config.num_hidden_layers} layers, "
              f"{next(model.parameters()).device}, {next(model.parameters()).dtype}); "
              f"torch threads {torch.get_num_threads()}")

        t = best_of(args.repeats, lambda: completion_margins(
            (model, tok), claims, batch_size=bs, n_bootstrap=2000, show_progress=False))
        print(f"margins, all bundled pairs: {len(refs)} pairs ({len(items)} sequences) in "
              f"{t:.2f} s = {len(refs) / t:.0f} pairs/s (with 2000-resample CIs)")

        seqs = [it.ids for it in items]
        t = interleaved(args.repeats, {
            "plain": lambda: plain_forward(model, tok, seqs, bs),
            "margins": lambda: score_sequences(model, tok, items, batch_size=bs,
                                               show_progress=False),
            "lens": lambda: score_sequences(model, tok, items, batch_size=bs, per_layer=True,
                                            show_progress=False)})
        print(f"pairs: plain forward {t['plain']:.3f} s, margins {t['margins']:.3f} s "
              f"({t['margins'] / t['plain']:.2f}x), logit lens {t['lens']:.3f} s "
              f"({t['lens'] / t['plain']:.2f}x; target <= 1.3x)")

        statements = load_statements().statements
        texts = [s for p in statements for s in (p.truth, p.falsehood)]
        ids, _ = encode_texts(tok, texts)
        t = interleaved(args.repeats, {
            "plain": lambda: plain_forward(model, tok, ids, bs),
            **{r: lambda r=r: hidden_states(model, tok, texts, reduce=r, batch_size=bs,
                                            show_progress=False) for r in ("last", "mean")}})
        print(f"probe statements ({len(texts)}): plain forward {t['plain']:.3f} s, "
              f"activations last {t['last']:.3f} s ({t['last'] / t['plain']:.2f}x), mean "
              f"{t['mean']:.3f} s ({t['mean'] / t['plain']:.2f}x; target <= 1.3x)")


if __name__ == "__main__":
    main()
