"""A plain (non-editable) install works: data ships in the wheel, Inspect finds the task."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    [whl] = out.glob("beliefbench-*.whl")
    return whl


def test_wheel_carries_data_and_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "beliefbench/data/scorers/judge.md" in names
    assert "beliefbench/data/scorers/families.yaml" in names
    claims = {n for n in names if n.startswith("beliefbench/data/claims/")}
    assert len(claims) == 6
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[inspect_ai]" in text and "beliefbench._registry" in text


@pytest.mark.slow
def test_installed_wheel_runs_the_registered_task_outside_the_repo(wheel, tmp_path):
    site = tmp_path / "site-packages"  # Inspect namespaces tasks found under site-packages
    zipfile.ZipFile(wheel).extractall(site)
    env = {"PYTHONPATH": str(site), "PATH": str(Path(sys.executable).parent)}
    code = ("import beliefbench.resources as r; print(r.data_path('scorers/judge.md'))")
    where = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    assert where.startswith(str(site)), "the installed copy is used, not the repository's"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "inspect"), "eval", "beliefbench/belief",
         "--model", "mockllm/model", "-T", "claims=dentist", "-T", "judge=markers",
         "-T", "samples=1", "--limit", "3", "--log-dir", str(tmp_path / "logs"),
         "--display", "none"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    [info] = list_eval_logs(str(tmp_path / "logs"))
    log = read_eval_log(info.name)
    assert log.eval.task == "beliefbench/belief" and len(log.samples) == 3
