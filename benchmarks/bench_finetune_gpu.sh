#!/usr/bin/env bash
# The GPU finetune benchmark on a machine that reaches no package registry (the reference
# GPU image has torch, transformers, peft and accelerate but not pydantic or liger-kernel).
#
# Here, before the run (wheels for the GPU machine's Python 3.12; --no-deps, since torch,
# triton and transformers are already there):
#   P="--only-binary=:all: --python-version 3.12 --implementation cp --no-deps \
#      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#      --platform manylinux2014_x86_64"
#   .venv/bin/pip download $P -d .gpu-wheels pydantic==2.14.4 pydantic_core==2.50.5 \
#       annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0 \
#       liger-kernel==0.8.5
# Then run this script there (from any folder: it runs from the repository that holds it;
# send .gpu-wheels along; arguments go to bench_finetune.py, e.g. --budget-s 400); the
# figures are printed and, when $OUT is set, also written to $OUT/bench_finetune_gpu.txt
# (with the per-line log and the profile). Without a GPU it stops at once, exit 2 (`--smoke`
# runs the same code paths on CPU instead).
set -euo pipefail
if [[ -n "${OUT:-}" && "$OUT" != /* ]]; then export OUT="$PWD/$OUT"; fi  # before the cd
cd "$(dirname "${BASH_SOURCE[0]}")/.."
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
if compgen -G ".gpu-wheels/*.whl" > /dev/null; then
    python3 -m pip install --quiet --no-index --no-deps --no-compile --target "$site" \
        .gpu-wheels/*.whl
fi
export PYTHONPATH="$site:$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader \
        || true
else
    echo "nvidia-smi not found (no NVIDIA driver here)" >&2
fi
python3 benchmarks/bench_finetune.py --device cuda "$@" 2>&1 \
    | tee "${OUT:-$site}/bench_finetune_gpu.txt"
