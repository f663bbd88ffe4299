"""The benchmarks as a reader of the README runs them: each script imports from a checkout and
turns a bad argument into one argparse error (exit 2) before it builds or times anything, so a
typo costs seconds, not a long run (or GPU time) ending in a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from benchutil import count, positive_int, positive_ints  # noqa: E402

BAD = {  # script: a bad argument a reader could type
    "bench_audit.py": ["--sizes-mb", "20,0"],
    "bench_documents.py": ["--n", "0"],
    "bench_em_gate.py": ["--runs", "0"],
    "bench_finetune.py": ["--device", "cuda", "--settings", "defualts"],
    "bench_harness.py": ["--samples", "0"],
    "bench_hash_cache.py": ["--mib", "0"],
    "bench_internals.py": ["--model", "/no/such/checkpoint"],
    "bench_judge_abort.py": ["--max-retries", "-1"],
    "bench_interventions.py": ["--hidden", "30"],
    "bench_offline_judge.py": ["/no/such/set.yaml"],
    "bench_report.py": ["--logs", "none"],
    "bench_specs.py": ["--mb", "0"],
    "bench_statistics.py": ["--runs", "0"],
    "bench_sweep_rerun.py": ["--checkpoints", "0"],
}


def test_every_benchmark_has_a_bad_argument_case() -> None:
    assert sorted(BAD) == sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))


@pytest.mark.parametrize("script", sorted(BAD))
def test_bad_argument_is_one_error_line(script: str) -> None:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *BAD[script]],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_positive_int() -> None:
    assert positive_int("3") == 3
    for bad in ("0", "-1", "x", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)
    assert count("0") == 0 and count("2") == 2
    for bad in ("-1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            count(bad)
    assert positive_ints("20, 1024") == [20, 1024]
    for bad in ("", ",", "20,x", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_ints(bad)


@pytest.mark.parametrize("script, args", [
    ("bench_interventions.py", ["--hidden", "12"]),  # a multiple of 4 heads: 3 dims each
    ("bench_internals.py", ["--hidden-size", "30"]),
    ("bench_finetune.py", ["--hidden", "30"]),
    ("bench_finetune.py", ["--device", "cuda", "--hidden", "1000"]),  # 12 heads
])
def test_a_hidden_size_the_tiny_model_cannot_take_is_one_error_line(script, args) -> None:
    """Each head needs an even number of dimensions: the tiny model refused such a size with
    a traceback once the run had started (on a GPU, after its device time began)."""
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "each head needs an even number of dimensions" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("args", [["--verdicts", "--bootstrap", "100"], ["--bootstrap", "300"]])
def test_fewer_resamples_than_the_gate_takes_is_one_error_line(args) -> None:
    """The gate refuses fewer resamples than its corrected CIs need (6 claims and overall:
    280): the statistics benchmark said so with a traceback from its first comparison."""
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "bench_statistics.py"), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "--bootstrap: at least" in proc.stderr and "Traceback" not in proc.stderr
