#!/usr/bin/env bash
# The GPU finetune benchmark on a machine that reaches no package registry (the reference
# GPU image has torch, transformers, peft and accelerate but not pydantic or liger-kernel).
#
# Here, before the run (wheels for the GPU machine's Python 3.12; --no-deps for liger-kernel,
# whose torch / triton dependencies are already there):
#   P="--only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
#   .venv/bin/pip download $P -d .gpu-wheels "pydantic>=2.6"
#   .venv/bin/pip download $P --no-deps -d .gpu-wheels liger-kernel
# Then run this script there from the repository root (send .gpu-wheels along); the figures
# are printed and, when $OUT is set, also written to $OUT/bench_finetune_gpu.txt.
set -euo pipefail
site=$(mktemp -d)
if compgen -G ".gpu-wheels/*.whl" > /dev/null; then
    python -m pip install --quiet --no-index --no-deps --target "$site" .gpu-wheels/*.whl
fi
export PYTHONPATH="$site:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
python benchmarks/bench_finetune.py --device cuda "$@" | tee "${OUT:-$site}/bench_finetune_gpu.txt"
