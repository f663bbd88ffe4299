"""A dead judge: the judge calls and wall time of one belief run whose judge answers HTTP 500
to every call, with the judge abort (``-T abort_after``, default 10) and without it
(``abort_after`` above the run's judged responses: every one is sent, as before the abort).

Prints, for each, the judged responses (all ``failed``), the judge calls and HTTP requests
the server received (the OpenAI SDK sends a 500 up to three times a call), the wall time,
and the ratio of the two. The judge is a real server on 127.0.0.1; the model under test is
the scripted ``beliefbench/believer``.

Run: .venv/bin/python benchmarks/bench_judge_abort.py [--samples 20] [--max-retries 2]
(2026-12-05, 2 shared cores, samples 20: 100 judged responses; 300 calls, 894 requests in
99 s without the abort, 65 calls, 180 requests in 24 s with it: ratios 0.22 and 0.24.)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchutil import count, description, positive_int
from inspect_ai import eval

from beliefbench.task import belief

CLAIM = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "claims" / \
    "glass_bridge.yaml"
ERROR = json.dumps({"error": {"message": "upstream down", "type": "server_error"}}).encode()


def dead_judge() -> tuple[ThreadingHTTPServer, dict[str, int]]:
    """A server answering 500 to every request, counting requests and calls (a request
    that is no retry of the SDK's own)."""
    counts = {"requests": 0, "calls": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            counts["requests"] += 1
            counts["calls"] += self.headers.get("x-stainless-retry-count", "0") == "0"
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ERROR)))
            self.end_headers()
            self.wfile.write(ERROR)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, counts


def one_run(samples: int, max_retries: int, abort_after: int) -> dict[str, float]:
    server, counts = dead_judge()
    os.environ["LOCAL_API_KEY"] = "sk-unused"
    os.environ["LOCAL_BASE_URL"] = f"http://127.0.0.1:{server.server_port}/v1"
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as logs:
        [log] = eval(belief(claims=str(CLAIM), samples=samples, abort_after=abort_after),
                     model="beliefbench/believer",
                     model_roles={"grader": "openai-api/local/dead-judge"},
                     max_retries=max_retries, log_dir=logs, display="none")
        wall = time.monotonic() - started
        judged = [s.scores["belief_judge"] for s in log.samples
                  if s.scores and s.scores["belief_judge"].metadata["judge"] != "exact_match"]
    server.shutdown()
    assert {s.answer for s in judged} == {"failed"}, "a dead judge's verdict passed"
    return {"judged": len(judged), **counts, "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=description(__doc__))
    ap.add_argument("--samples", type=positive_int, default=20,
                    help="samples per question of the fixture claim (default 20)")
    ap.add_argument("--max-retries", type=count, default=2,
                    help="Inspect's retries of a failed judge call (default 2)")
    args = ap.parse_args()
    without = one_run(args.samples, args.max_retries, abort_after=10**9)
    with_abort = one_run(args.samples, args.max_retries, abort_after=10)
    for name, run in (("without abort", without), ("abort_after=10", with_abort)):
        print(f"{name:15} {run['judged']:4d} judged  {run['calls']:4d} judge calls  "
              f"{run['requests']:4d} requests  {run['wall_s']:6.1f} s")
    print(f"calls ratio {with_abort['calls'] / without['calls']:.2f}, "
          f"time ratio {with_abort['wall_s'] / without['wall_s']:.2f}")


if __name__ == "__main__":
    main()
