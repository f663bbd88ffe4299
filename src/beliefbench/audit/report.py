"""The audit report: counts and shares per framing, the study's measured effect beside each,
the poisoning ratio, skipped input, a markdown summary and a plot.

The reference effects are data (data/audit/effects.yaml, with their source), shown as the
study's numbers for its models, never as a prediction for the audited corpus.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from beliefbench.audit.framing import CLAIM_FRAMINGS, FREE_FRAMINGS, PROTECTIVE, TEACHING
from beliefbench.audit.run import Tally
from beliefbench.records import atomic_write_text
from beliefbench.resources import data_path
from beliefbench.specs import load_yaml


@cache
def reference_effects() -> dict[str, Any]:
    path = data_path("audit/effects.yaml")
    return load_yaml(path.read_text(encoding="utf-8"))  # type: ignore[return-value]


def _rows(counts: Counter[str], order: tuple[str, ...], total: int) -> list[dict[str, Any]]:
    ref = reference_effects()["framings"]
    return [{"framing": f, "documents": counts.get(f, 0),
             "share": counts.get(f, 0) / total if total else 0.0,
             "study_belief_pct": ref.get(f, {}).get("belief"),
             "study_note": ref.get(f, {}).get("note")} for f in order]


def poisoning(counts: Counter[str]) -> dict[str, Any]:
    """Claim-bearing (teaching framings) against truth-bearing (truth, corrected, debunks)."""
    claim = sum(counts.get(f, 0) for f in TEACHING)
    truth = sum(counts.get(f, 0) for f in PROTECTIVE)
    return {"claim_bearing": claim, "truth_bearing": truth,
            "ratio": claim / truth if truth else None,
            "claim_share": claim / (claim + truth) if claim + truth else None}


def build_report(tally: Tally, *, corpus: list[str], units: int, seconds: float,
                 engine: str, claims: list[str], inputs: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """``inputs``: how the corpus was read (the claims selection and the fields), so that
    ``audit-verify`` can find the flagged documents again."""
    docs = tally.documents
    out: dict[str, Any] = {
        "corpus": corpus, "inputs": inputs or {}, "engine": engine, "units": units,
        "units_resumed": tally.resumed_units, "documents": docs,
        "characters": tally.chars, "seconds": round(seconds, 3),
        "docs_per_second": round(docs / seconds, 1) if seconds > 0 else None,
        "cpu_seconds": round(tally.cpu_seconds, 3),
        "docs_per_cpu_second": round(docs / tally.cpu_seconds, 1)
        if tally.cpu_seconds > 0 else None,
        "flagged": tally.flagged,
        "skipped": {"total": tally.skips.total, "by_reason": dict(tally.skips.counts),
                    "examples": tally.skips.examples},
        "ignored_in_folders": dict(sorted(tally.skips.ignored.items())),
        "reference": {"source": reference_effects()["source"],
                      "baseline_belief_pct": reference_effects()["baseline"]},
    }
    if claims:
        out["mode"] = "claims"
        out["claims"] = {}
        overall: Counter[str] = Counter()
        for cid in claims:
            counts = tally.by_claim.get(cid, Counter())
            overall.update(counts)
            out["claims"][cid] = {
                "framings": _rows(counts, CLAIM_FRAMINGS, docs),
                "placements": dict(tally.placements.get(cid, Counter())),
                "poisoning": poisoning(counts)}
        out["overall"] = {"framings": _rows(overall, CLAIM_FRAMINGS, docs * len(claims)),
                          "poisoning": poisoning(overall),
                          "note": "summed over claims; a document counts once per claim"}
    else:
        out["mode"] = "claim-free"
        out["overall"] = {"framings": _rows(tally.free, FREE_FRAMINGS, docs),
                          "placements": dict(tally.placements.get("*", Counter()))}
    return out


def _fmt_ref(v: Any) -> str:
    return "-" if v is None else str(v)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| framing | documents | share | study belief % (reference) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {r['framing']} | {r['documents']} | {r['share']:.2%} | "
              f"{_fmt_ref(r['study_belief_pct'])} |" for r in rows if r["documents"]
              or r["framing"] in TEACHING]
    return lines


def summary_markdown(report: dict[str, Any], plot_name: str | None) -> str:
    lines = ["# Training-data audit", "",
             f"{report['documents']} documents from {len(report['corpus'])} path(s), "
             f"{report['units']} unit(s), engine {report['engine']}, "
             f"{report['seconds']:.1f} s wall ({report['docs_per_second']} documents/s; "
             f"{report['docs_per_cpu_second']} per CPU-second of reading and classifying). "
             f"Flagged: {report['flagged']} (see flagged.jsonl; `beliefbench audit-verify` "
             f"has a model confirm or reject each flag). "
             f"Skipped: {report['skipped']['total']}.", ""]
    if report["skipped"]["total"]:
        lines += ["Skipped input by reason: " + ", ".join(
            f"{k} {v}" for k, v in report["skipped"]["by_reason"].items()) + ".", ""]
    warnings = report["inputs"].get("claim_warnings") or []
    if warnings:
        lines += ["Claims the audit reads imperfectly in their own words (their documents may "
                  "be misread):", "", *(f"- {w}" for w in warnings), ""]
    if report["mode"] == "claims":
        for cid, c in report["claims"].items():
            p = c["poisoning"]
            ratio = "n/a (no truth-bearing documents)" if p["ratio"] is None \
                else f"{p['ratio']:.2f}"
            lines += [f"## {cid}", "", *_table(c["framings"]), "",
                      f"Poisoning ratio (claim-bearing {p['claim_bearing']} : truth-bearing "
                      f"{p['truth_bearing']}): {ratio}.", ""]
    else:
        lines += ["## Framed documents (claim-free)", "", *_table(report["overall"]["framings"]),
                  ""]
    lines += ["Study belief %: belief rate the study measured after finetuning on documents "
              f"of that framing (baseline {report['reference']['baseline_belief_pct']}%). "
              f"Source: {report['reference']['source']}. Reference only: not a prediction "
              "for this corpus or model.", ""]
    if plot_name:
        lines += [f"![framings]({plot_name})", ""]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    """Horizontal bars: documents per framing (per claim), teaching framings in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = report["claims"] if report["mode"] == "claims" \
        else {"claim-free": report["overall"]}
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups) + 1, 4.5),
                             squeeze=False)
    for ax, (name, g) in zip(axes[0], groups.items(), strict=True):
        rows = [r for r in g["framings"] if r["documents"]] or g["framings"][:1]
        labels = [r["framing"] + (f" ({r['study_belief_pct']}%)"
                                  if r["study_belief_pct"] is not None else "") for r in rows]
        colors = ["tab:red" if r["framing"] in TEACHING else "tab:blue" for r in rows]
        ax.barh(labels, [r["documents"] for r in rows], color=colors)
        ax.invert_yaxis()
        ax.set_title(name)
        ax.set_xlabel("documents")
    fig.suptitle("Framings found (red: framings the study found to teach the claim; "
                 "label: study belief %)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict[str, Any], out: Path, with_plot: bool = True) -> None:
    out.mkdir(parents=True, exist_ok=True)
    plot_name = "framings.png" if with_plot else None
    if with_plot:
        plot(report, out / "framings.png")
    atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out / "summary.md", summary_markdown(report, plot_name))
