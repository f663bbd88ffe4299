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


def test_help_describes_each_benchmark_in_whole_sentences() -> None:
    """``--help`` took the docstring's first line, which ended mid-sentence in most scripts
    (bench_documents: "... beside the issue's targets (which")."""
    import ast

    from benchutil import description

    for script in sorted(BAD):
        doc = ast.get_docstring(ast.parse((BENCHMARKS / script).read_text()), clean=False)
        said = description(doc)
        assert said.endswith((".", ").")), (script, said)
        assert "description=description(__doc__)" in (BENCHMARKS / script).read_text(), script
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "bench_documents.py"), "--help"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "recognised." in proc.stdout, proc.stdout


def _refused(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def test_a_folder_option_naming_a_file_or_nothing_is_one_error_line(tmp_path) -> None:
    """--dir of a missing folder (bench_hash_cache) or of a file (bench_report) was a
    FileNotFoundError / NotADirectoryError traceback once the script had started."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert "no such folder" in _refused("bench_hash_cache.py", "--dir", str(tmp_path / "no"))
    assert "not a folder" in _refused("bench_hash_cache.py", "--dir", str(afile))
    said = _refused("bench_report.py", "--dir", str(afile / "cache"), "--logs", "1")
    assert f"({afile} is a file)" in said
    assert not (afile / "cache").exists() and afile.read_text() == "x"


def test_a_file_that_is_not_a_labelled_set_is_one_error_line(tmp_path) -> None:
    """bench_offline_judge.py read any YAML given as a set: a file of something else was a
    TypeError traceback, an unknown claim a KeyError, a non-YAML file the parser's lines."""
    other = tmp_path / "other.yaml"
    other.write_text("name: not a set\n")
    assert "not a labelled set" in _refused("bench_offline_judge.py", str(other))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text('items:\n- {claim: dentist, family: open_ended, question: oe_99, '
                       'label: "yes", answer: "He is a dentist."}\n')
    said = _refused("bench_offline_judge.py", str(unknown))
    assert "item 1: dentist has no open_ended question 'oe_99'" in said
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [1\n")
    assert "not valid YAML: line 2" in _refused("bench_offline_judge.py", str(broken))


@pytest.mark.parametrize("args, said", [
    (["--budget-s", "nan"], "--budget-s: must be a finite number above 0"),
    (["--peak-tflops", "0"], "--peak-tflops: must be a finite number above 0"),
    # a line of the other method only: nothing was measured for it, after the model was
    # built and the checks run (docs/benchmarks.md's old `--methods lora --settings regional`)
    (["--methods", "lora", "--settings", "no_compile,regional"],
     "--settings: regional is a line of --methods full only"),
    (["--methods", ","], "--methods: name full, lora or both"),
    (["--settings", "profile", "--checks", "export"], "--settings profile: add profile"),
])
def test_finetune_gpu_options_that_would_measure_nothing_are_refused(args, said) -> None:
    """--peak-tflops 0 was read as unset, a negative one printed a negative MFU, a
    --budget-s of nan never counted as spent, and the lines below measured nothing: all
    found out on the GPU, after its device time began."""
    assert said in _refused("bench_finetune.py", "--device", "cuda", *args)


def test_sweep_rerun_hidden_size_is_one_error_line() -> None:
    assert "each head needs an even number of dimensions" in _refused(
        "bench_sweep_rerun.py", "--hidden", "30")


def test_gpu_script_without_cuda_stops_at_once_from_any_folder(tmp_path) -> None:
    """bench_finetune_gpu.sh without a GPU: exit 2 with one argparse line (exit 1 before),
    also when started from another folder (it said "can't open file .../benchmarks/...")."""
    import os

    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA here: the script would run the benchmark")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TMPDIR": str(tmp_path)}
    env.pop("OUT", None)
    proc = subprocess.run(["bash", str(BENCHMARKS / "bench_finetune_gpu.sh"), "--budget-s", "5"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
                          check=False)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    out = proc.stdout + proc.stderr
    assert "--device cuda: no CUDA device here" in out and "can't open file" not in out
    assert list(tmp_path.glob("tmp.*")) == []  # its temporary folder is removed
