"""Cost of the weights' full hash in the cache key (:mod:`beliefbench.cache_key`): the first
hash of a safetensors file (every byte read), the same file in a later process (its sha256
read from :mod:`beliefbench.hash_cache`), and the sampled fingerprint measured beside them
(the key's part before, headers and 8 KiB per tensor) as the baseline.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_hash_cache.py --mib 1024

The file is written under a temporary folder and removed after (``--dir`` to pick where).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import tempfile
import time
from pathlib import Path

from benchutil import description, existing_folder, positive_int

TENSOR_MIB = 64


def _write(path: Path, mib: int) -> None:
    """A valid safetensors file of ``mib`` MiB: float32 tensors of 64 MiB, random bytes."""
    n = max(1, mib // TENSOR_MIB)
    size = TENSOR_MIB * 2**20
    header = {f"layer.{i}.weight": {"dtype": "F32", "shape": [size // 4],
                                    "data_offsets": [i * size, (i + 1) * size]}
              for i in range(n)}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for _ in range(n):
            f.write(os.urandom(size))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--mib", type=positive_int, default=1024,
                    help="size of the safetensors file hashed, in MiB (default 1024)")
    ap.add_argument("--dir", type=existing_folder, default=None,
                    help="folder to write the file in (default: the system's temporary "
                         "folder; the file is removed after)")
    args = ap.parse_args()
    from beliefbench import hash_cache
    from beliefbench.finetune.fingerprint import base_fingerprint

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        os.environ[hash_cache.CACHE_DIR_ENV] = str(Path(tmp) / "cache")
        folder = Path(tmp) / "ckpt"
        folder.mkdir()
        weights = folder / "model.safetensors"
        _write(weights, args.mib)
        size = weights.stat().st_size
        sampled = _timed(lambda: base_fingerprint(folder))
        first = _timed(lambda: hash_cache.cached_sha256(weights))
        hash_cache._memory.clear()  # a later process: the sha256 comes from the cache file
        cached = _timed(lambda: hash_cache.cached_sha256(weights))
        same = _timed(lambda: hash_cache.cached_sha256(weights))
    print(f"file: {size / 2**30:.2f} GiB ({args.mib // TENSOR_MIB or 1} tensors)")
    print(f"sampled fingerprint (baseline): {sampled * 1e3:.1f} ms")
    print(f"full sha256, first: {first:.2f} s ({size / 2**20 / first:.0f} MiB/s; "
          f"{first / sampled:.0f}x the sampled fingerprint)")
    print(f"full sha256, later process (cached): {cached * 1e3:.2f} ms "
          f"({cached / sampled:.2f}x the sampled fingerprint)")
    print(f"full sha256, same process (memo): {same * 1e6:.0f} us")


if __name__ == "__main__":
    main()
