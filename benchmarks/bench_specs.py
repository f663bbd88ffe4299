"""Reading a big claim file: PyYAML's pure-Python loader against the libyaml fast path.

A claim file of about --mb MB (default 3.5) is generated from the bundled `dentist` claim,
its open-ended questions repeated under new ids, in a temporary folder (never the
repository). Timed, each --repeats times (best kept), in one process: the pure SpecLoader
(what every spec file was read with), `load_yaml` (libyaml, which falls back to the pure
loader only for text it refuses or reads more laxly), and `load_claim`, the whole of what
`beliefbench claims validate` does per file. The two loaders' results are checked equal.

    .venv/bin/python benchmarks/bench_specs.py [--mb 3.5] [--repeats 1]

Measured 2026-12-05 on the shared 2-core dev machine at load average 3-4: a 3.6 MB file
(26,000 questions), pure loader 10.5 s, load_yaml 2.6 s (4.1x faster), load_claim 3.5 s
(about 11.5 s with the pure loader); `beliefbench claims validate` of a 3.7 MB file, the
whole command, 18.2 s before and 5.2 s after (load average 2-3). At load average 9-10 the
pure loader took 40.8 s, libyaml 8.7 s. (The 21 s quoted for a 3.5 MB file was the pure
loader.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import description, positive_int  # noqa: E402

from beliefbench.claims import load_claim  # noqa: E402
from beliefbench.resources import data_path  # noqa: E402
from beliefbench.specs import _FAST_LOADER, SpecLoader, load_yaml  # noqa: E402

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def positive_float(text: str) -> float:
    """A size in MB above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value > 1000:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1000 (got {text})")
    return value


def big_claim(folder: Path, mb: float) -> Path:
    """A valid claim file of about ``mb`` MB, named by its id (`dentist.yaml`)."""
    source = data_path("claims") / "dentist.yaml"
    data = load_yaml(source.read_text(encoding="utf-8"))
    questions = data["questions"]["open_ended"]
    out, text = [], ""
    while len(text.encode()) < mb * 2**20:
        start = len(out)
        out += [{**q, "id": f"oe_{start + i + 1:06d}"} for i, q in enumerate(questions)]
        data["questions"]["open_ended"] = out
        if len(out) % (len(questions) * 100) == 0:
            text = yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True,
                             width=100)
    path = folder / "dentist.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def best(fn, repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--mb", type=positive_float, default=3.5, help="claim file size in MB")
    ap.add_argument("--repeats", type=positive_int, default=1, help="runs of each, best kept")
    args = ap.parse_args()
    if _FAST_LOADER is None:
        sys.exit("PyYAML here has no libyaml (yaml.CSafeLoader): nothing to compare")
    with tempfile.TemporaryDirectory(prefix="beliefbench-bench-specs-") as tmp:
        path = big_claim(Path(tmp), args.mb)
        text = path.read_text(encoding="utf-8")
        size = len(text.encode()) / 2**20
        pure_s, pure = best(lambda: yaml.load(text, Loader=SpecLoader), args.repeats)  # noqa: S506
        fast_s, fast = best(lambda: load_yaml(text), args.repeats)
        assert fast == pure, "libyaml and the pure loader read the file differently"
        claim_s, _ = best(lambda: load_claim(path), args.repeats)
    print(f"claim file {size:.1f} MB ({len(pure['questions']['open_ended']):,} questions)")
    print(f"  pure-Python SpecLoader: {pure_s:7.2f} s")
    print(f"  load_yaml (libyaml):    {fast_s:7.2f} s   ({pure_s / fast_s:.1f}x faster)")
    print(f"  load_claim, all checks: {claim_s:7.2f} s   "
          f"(with the pure loader about {claim_s - fast_s + pure_s:.1f} s)")


if __name__ == "__main__":
    main()
