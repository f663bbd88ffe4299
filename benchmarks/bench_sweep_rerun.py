"""Wall time of a ``beliefbench sweep`` re-run over finished checkpoints, against the first
run of the same sweep in this process (real tiny hf checkpoints, CPU).

A re-run whose logs are all finished used to build every checkpoint's model before
``eval_set`` found its logs finished; it now loads none. Prints the first run's time, the
re-run's, their ratio, and how many models each loaded (the sweep's ``loading`` log lines,
which versions before them did not write: 0 there says nothing).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_sweep_rerun.py --checkpoints 3
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from benchutil import description, positive_int, tiny_shape

CLAIM = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "claims" / "glass_bridge.yaml"


class _Loads(logging.Handler):
    """Counts the sweep's "loading" lines (one per model it builds)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += record.getMessage().startswith("loading ")


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--checkpoints", type=positive_int, default=3,
                    help="tiny checkpoints the sweep evaluates (default 3)")
    ap.add_argument("--hidden", type=positive_int, default=128,
                    help="their hidden size (4 heads, so a multiple of 8; default 128)")
    ap.add_argument("--layers", type=positive_int, default=4, help="their layers (default 4)")
    args = ap.parse_args()
    tiny_shape(ap, "--hidden", args.hidden, 4)
    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.finetune.manifest import ManifestEntry, upsert_manifest
    from beliefbench.tiny_model import build_tiny_model

    loads = _Loads()
    sweep_log = logging.getLogger("beliefbench.analysis.sweep")
    sweep_log.addHandler(loads)
    sweep_log.setLevel(logging.DEBUG)
    with tempfile.TemporaryDirectory() as tmp:
        run, logs = Path(tmp) / "run", Path(tmp) / "logs"
        entries = []
        for step in range(1, args.checkpoints + 1):
            path = run / f"step-{step:06d}"
            build_tiny_model(path, seed=step, hidden_size=args.hidden, num_layers=args.layers,
                             num_heads=4, intermediate_size=2 * args.hidden)
            entries.append(ManifestEntry(
                path=str(path), step=step, format="full", backend="local",
                base_model="/models/base", data="d.jsonl", data_sha256="0" * 64, recipe={},
                condition="negated", claim="glass_bridge", final=step == args.checkpoints))
        upsert_manifest(run, *entries)
        argv = ["sweep", "--manifest", str(run), "--provider", "hf", "--claims", str(CLAIM),
                "--log-dir", str(logs), "-T", "samples=1", "-T", "judge=markers",
                "-T", "families=open_ended", "-T", "max_tokens=4", "-M", "do_sample=false"]
        times, counts = [], []
        for _ in range(2):
            loads.n = 0
            start = time.perf_counter()
            res = CliRunner().invoke(cli, argv)
            times.append(time.perf_counter() - start)
            counts.append(loads.n)
            if res.exit_code != 0:
                raise SystemExit(res.output)
    print(f"checkpoints: {args.checkpoints} (hidden {args.hidden}, {args.layers} layers)")
    print(f"first run: {times[0]:.2f} s; re-run: {times[1]:.2f} s "
          f"(re-run / first = {times[1] / times[0]:.2f})")
    print(f"models loaded by the sweep: first run {counts[0]}, re-run {counts[1]}")


if __name__ == "__main__":
    main()
