"""End to end on a real tiny Llama, as a user runs it: `inspect eval tasks/belief.py`."""

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from beliefbench.tiny_model import build_tiny_model
from beliefbench.verdicts import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
INSPECT = Path(sys.executable).parent / "inspect"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.mark.slow
def test_inspect_eval_task_file_on_a_tiny_hf_model(tiny_model, tmp_path):
    cmd = [str(INSPECT), "eval", "tasks/belief.py", "--model", f"hf/{tiny_model}",
           "-T", "claims=ed_sheeran", "-T", "judge=markers", "-T", "samples=2",
           "-T", "max_tokens=16", "--limit", "12", "--max-connections", "12",
           "--log-dir", str(tmp_path), "--display", "none"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    [info] = list_eval_logs(str(tmp_path))
    log = read_eval_log(info.name)
    assert log.status == "success"
    assert log.eval.task == "belief" and log.eval.metadata["beliefbench"]["judge"] == "markers"
    assert len(log.samples) == 12 * 2
    for sample in log.samples:
        score = sample.scores["belief_judge"]
        assert score.answer in {"yes", "no", "neutral", "parse_error", "failed"}
        assert sum(score.value[v] for v in VERDICTS) == 1.0
        if sample.metadata["family"] != "binary" and score.answer != "failed":
            assert score.metadata["judge"] == "markers"
    assert any(s.output.completion for s in log.samples), "the model generated text"
    metrics = log.results.scores[0].metrics
    shares = sum(metrics[k].value for k in ("belief", "no", "neutral", "parse_error", "failed"))
    assert shares == pytest.approx(1.0)
