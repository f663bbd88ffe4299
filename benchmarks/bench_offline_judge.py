"""Agreement of the offline judge with hand labels, per probe family (Cohen's kappa).

The labelled sets in tests/fixtures/offline_judge/ (labelled.yaml and tuning2-6.yaml, the
tuning rounds; each of rounds 2-6 was written as a held-out set after the judge was frozen,
scored, and only then used for tuning; heldout7.yaml, the held-out set, written blind and
never tuned on) hold realistic answers written for this project,
each labelled with the verdict a careful LLM judge following the claim's rubric would give.
The offline judge is for demos, tests and CI dry runs, never for results; this figure says
how far to trust it for those. Baseline in the same run: the v1 rule (any disbelief marker
-> no, any belief marker -> yes; no answer keys, no negation reading) with the same markers.

    .venv/bin/python benchmarks/bench_offline_judge.py [--show-misses] [SET.yaml ...]

With paths, only those sets are read (a new held-out set is scored this way, never added to
SPLITS before it has been scored). Target: kappa >= 0.8 overall on a held-out set. Binary
items are read by the exact-match reader (no judge).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from benchutil import description
from sklearn.metrics import cohen_kappa_score

from beliefbench.claims import FAMILIES, load_claims
from beliefbench.specs import parse_spec, read_text
from beliefbench.verdicts import JudgeReading
from beliefbench.verdicts.exact import read_binary
from beliefbench.verdicts.offline import first_match, offline_verdict

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "offline_judge"
SPLITS = {"tuning round 1": FIXTURES / "labelled.yaml",
          "tuning round 2": FIXTURES / "tuning2.yaml",
          "tuning round 3": FIXTURES / "tuning3.yaml",
          "tuning round 4": FIXTURES / "tuning4.yaml",
          "tuning round 5": FIXTURES / "tuning5.yaml",
          "tuning round 6": FIXTURES / "tuning6.yaml",
          "held-out (round 7)": FIXTURES / "heldout7.yaml"}
"""Tuning rounds: answers the cues, keys and markers were adjusted on. Rounds 2, 3, 4, 5 and 6
were each written as a held-out set and scored 0.80, 0.69, 0.74, 0.71 and 0.787 overall before
they were used for tuning; those are the honest figures. Round 7 (heldout7.yaml) was written
blind while the judge was tuned on rounds 1-6, and scored after the judge was frozen (0.964);
it has never been tuned on. A newer held-out set is passed as a path."""


def v1_markers(claim, answer: str) -> JudgeReading:
    """The offline judge before answer keys and negation reading (baseline)."""
    if first_match(claim.markers.disbelief, answer):
        return JudgeReading("no", "")
    return JudgeReading("yes" if first_match(claim.markers.belief, answer) else "neutral", "")


def read(claims: dict, items: list[dict], show_misses: bool) -> dict[str, list]:
    """(label, offline verdict, v1 verdict) per family."""
    rows: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for item in items:
        claim = claims[item["claim"]]
        family, qid, answer = item["family"], item["question"], item["answer"]
        if family == "binary":
            belief = next(q.belief_answer for q in claim.questions.binary if q.id == qid)
            new = old = read_binary(answer, belief)
        else:
            new = offline_verdict(claim, family, qid, answer)
            old = v1_markers(claim, answer)
        rows[family].append((item["label"], new.verdict, old.verdict))
        if show_misses and new.verdict != item["label"]:
            print(f"MISS {item['claim']}/{qid} label={item['label']} got={new.verdict} "
                  f"({new.reason}): {answer[:100]!r}")
    return rows


def labelled_items(parser: argparse.ArgumentParser, path: Path, claims: dict) -> list[dict]:
    """The set's items, checked: a file that is not a labelled set (no ``items`` list, an
    item missing a key or naming an unknown claim, family or question) is one error line
    naming the file and the item, not a TypeError or KeyError traceback."""
    try:
        data = parse_spec(read_text(path, "labelled set", ValueError), path, "labelled set",
                          ValueError)
    except ValueError as e:
        parser.error(str(e))
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        parser.error(f"{path}: not a labelled set (expected a non-empty list under 'items:', "
                     f"as in {FIXTURES / 'heldout7.yaml'})")
    for i, item in enumerate(items, 1):
        keys = ("claim", "family", "question", "answer", "label")
        if not isinstance(item, dict) or any(not isinstance(item.get(k), str) for k in keys):
            parser.error(f"{path}: item {i}: expected {', '.join(keys)}, each a string")
        claim = claims.get(item["claim"])
        if claim is None:
            parser.error(f"{path}: item {i}: unknown claim {item['claim']!r}")
        if item["family"] not in FAMILIES:
            parser.error(f"{path}: item {i}: unknown family {item['family']!r} "
                         f"(one of {', '.join(FAMILIES)})")
        if item["question"] not in {q.id for q in claim.questions.of(item["family"])}:
            parser.error(f"{path}: item {i}: {item['claim']} has no {item['family']} question "
                         f"{item['question']!r}")
    return items


def table(name: str, rows: dict[str, list]) -> None:
    print(f"\n{name}\n{'family':18s} {'n':>4s} {'kappa':>7s} {'acc':>6s} {'v1 kappa':>9s} "
          f"{'v1 acc':>7s}")
    everything: list[tuple[str, str, str]] = []
    for family in [*FAMILIES, "overall"]:
        data = everything if family == "overall" else rows.get(family, [])
        if family != "overall":
            everything += data
        if not data:
            continue
        labels, new, old = zip(*data, strict=True)
        acc = sum(a == b for a, b in zip(labels, new, strict=True)) / len(labels)
        acc_old = sum(a == b for a, b in zip(labels, old, strict=True)) / len(labels)
        print(f"{family:18s} {len(data):4d} {cohen_kappa_score(labels, new):7.3f} {acc:6.3f} "
              f"{cohen_kappa_score(labels, old):9.3f} {acc_old:7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument("--show-misses", action="store_true",
                        help="print every answer the offline judge reads against its label")
    parser.add_argument("sets", nargs="*", type=Path,
                        help="labelled sets to read instead of the tuning rounds")
    args = parser.parse_args()
    missing = [str(p) for p in args.sets if not p.is_file()]
    if missing:
        parser.error(f"no such labelled set: {', '.join(missing)}")
    splits = {p.stem: p for p in args.sets} if args.sets else SPLITS
    claims = {c.id: c for c in load_claims("all")}
    start = time.perf_counter()
    n = 0
    everything: dict[str, list] = defaultdict(list)
    for name, path in splits.items():
        items = labelled_items(parser, path, claims)
        n += len(items)
        rows = read(claims, items, args.show_misses)
        table(f"{name} ({path.name})", rows)
        for family, data in rows.items():
            everything[family] += data
    elapsed = time.perf_counter() - start
    table("all sets", everything)
    print(f"\nread {n} answers in {elapsed * 1000:.0f} ms "
          f"({elapsed / n * 1e6:.0f} us per answer, offline judge and v1 together)")
    print("target: kappa >= 0.8 overall on a held-out set "
          "(offline judge: demos and tests only, never results)")


if __name__ == "__main__":
    main()
