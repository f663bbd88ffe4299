"""The audit report: counts and shares per framing, the study's measured effect beside each,
the poisoning ratio, skipped input, a markdown summary and a plot.

The reference effects are data (data/audit/effects.yaml, with their source), shown as the
study's numbers for its models, never as a prediction for the audited corpus.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from beliefbench.audit.framing import CLAIM_FRAMINGS, FREE_FRAMINGS, PROTECTIVE, TEACHING
from beliefbench.audit.run import Tally
from beliefbench.records import atomic_write_text, remove_stale
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


def ratio_text(p: dict[str, Any]) -> str:
    """The poisoning ratio as summary.md says it. Without truth-bearing documents it has no
    number (report.json: null), but claim-bearing ones then leave the claim uncontested, the
    worst case: said so, not as the "n/a" of a corpus without either."""
    if p["ratio"] is not None:
        return f"{p['ratio']:.2f}"
    if p["claim_bearing"]:
        return (f"unbounded ({p['claim_bearing']} claim-bearing, no truth-bearing documents: "
                f"nothing in the corpus carries the truth)")
    return "n/a (no claim- or truth-bearing documents)"


TOP_SOURCES = 20
"""Sources listed in report.json (all of them are in sources.csv; 10 in summary.md)."""
VERIFICATION = "verification.json"
VERIFICATION_MD = "verification.md"
"""audit-verify's summaries of a folder's flags (written by :mod:`.verify`); a new audit's
report removes them."""


def source_rows(tally: Tally, claim_mode: bool) -> list[dict[str, Any]]:
    """One row per source (file, or folder of text files): its documents, flagged documents
    and framings (claim mode: summed over claims, with the claim- and truth-bearing counts
    of the poisoning ratio), the sources with most flags first (then the larger share)."""
    order = CLAIM_FRAMINGS if claim_mode else FREE_FRAMINGS
    rows = []
    for src, c in tally.by_source.items():
        docs, flagged = c.get("documents", 0), c.get("flagged", 0)
        row: dict[str, Any] = {"source": src, "documents": docs, "flagged": flagged,
                               "flagged_share": round(flagged / docs, 6) if docs else 0.0}
        if claim_mode:
            row.update({k: v for k, v in poisoning(c).items() if k.endswith("bearing")})
        row.update({f: c.get(f, 0) for f in order})
        rows.append(row)
    rows.sort(key=lambda r: (-r["flagged"], -r["flagged_share"], r["source"]))
    return rows


def rows_without_id(tally: Tally, field: str | None, most: int = 20) -> dict[str, Any]:
    """Documents whose row lacks the --id-field (their flags have id null): how many, in
    how many files, and the first ``most`` files with their counts, so that an id field no
    row has (a typo) is seen in the report, not only in a null id per flag."""
    no_id = tally.skips.no_id
    return {"field": field, "rows": sum(no_id.values()), "files": len(no_id),
            "examples": dict(list(no_id.items())[:most])}


def build_report(tally: Tally, *, corpus: list[str], units: int, seconds: float,
                 engine: str, claims: list[str], inputs: dict[str, Any] | None = None,
                 sources: list[dict[str, Any]] | None = None,
                 gate: dict[str, Any] | None = None) -> dict[str, Any]:
    """``inputs``: how the corpus was read (the claims selection and the fields), so that
    ``audit-verify`` can find the flagged documents again; ``sources``: source_rows (read
    from the tally when not given); ``gate``: the CLI's gates and the exit they give, kept
    so that a pipeline step that reads the report later sees what was decided."""
    docs = tally.documents
    read = docs - tally.resumed_documents  # this run's: the interrupted run read the rest
    if sources is None:
        sources = source_rows(tally, bool(claims))
    out: dict[str, Any] = {
        "corpus": corpus, "inputs": inputs or {}, "engine": engine, "units": units,
        "units_resumed": tally.resumed_units, "documents": docs,
        "documents_resumed": tally.resumed_documents,
        "characters": tally.chars, "seconds": round(seconds, 3),
        "docs_per_second": round(read / seconds, 1) if seconds > 0 and read else None,
        "cpu_seconds": round(tally.cpu_seconds, 3),
        "docs_per_cpu_second": round(docs / tally.cpu_seconds, 1)
        if tally.cpu_seconds > 0 else None,
        "flagged": tally.flagged,
        # unread: what --max-skipped gates (empty texts aside), which a pipeline summing
        # shards' reports had to work out from the reasons
        "skipped": {"total": tally.skips.total, "unread": unread_input(tally.skips.counts),
                    "by_reason": dict(tally.skips.counts),
                    "examples": tally.skips.examples,
                    # every problem the tally kept (PROBLEMS_KEPT), not only the 20 said:
                    # the 21st missing shard was counted but named nowhere
                    "problems": [{k: p[k] for k in ("problem", "reason", "count", "where")}
                                 for p in tally.skips.problems.values()]},
        "ignored_in_folders": dict(sorted(tally.skips.ignored.items())),
        "rows_without_id": rows_without_id(tally, (inputs or {}).get("fields", {}).get("id")),
        # no skips (nothing in them went unread), but a shard left empty must not read as
        # one that was never there
        "empty_files": {"count": tally.skips.empty_files,
                        "examples": list(tally.skips.empty_examples)},
        "sources": {"count": len(sources),
                    "with_flags": sum(1 for r in sources if r["flagged"]),
                    "top": sources[:TOP_SOURCES], "all": "sources.csv"},
        "reference": {"source": reference_effects()["source"],
                      "baseline_belief_pct": reference_effects()["baseline"]},
    }
    if gate is not None:
        out["gate"] = gate
    if claims:
        out["mode"] = "claims"
        out["claims"] = {}
        overall: Counter[str] = Counter()
        for cid in claims:
            counts = tally.by_claim.get(cid, Counter())
            overall.update(counts)
            # share_of: each share's denominator, said (every document audited, unrelated
            # ones included; not the claim-bearing ones)
            out["claims"][cid] = {
                "framings": _rows(counts, CLAIM_FRAMINGS, docs), "share_of": docs,
                "placements": dict(tally.placements.get(cid, Counter())),
                "poisoning": poisoning(counts)}
        out["overall"] = {"framings": _rows(overall, CLAIM_FRAMINGS, docs * len(claims)),
                          "share_of": docs * len(claims),
                          "poisoning": poisoning(overall),
                          "note": "summed over claims; a document counts once per claim; "
                                  "shares are of documents x claims"}
    else:
        out["mode"] = "claim-free"
        out["overall"] = {"framings": _rows(tally.free, FREE_FRAMINGS, docs), "share_of": docs,
                          "placements": dict(tally.placements.get("*", Counter()))}
    return out


def _fmt_ref(v: Any) -> str:
    return "-" if v is None else str(v)


def _table(rows: list[dict[str, Any]], of: int) -> list[str]:
    """``of``: the shares' denominator, every document audited (a claim's framings share it
    with unrelated documents), named in the header: a bare "share" read as one of the
    claim-bearing documents."""
    lines = [f"| framing | documents | share of all {of} documents | "
             "study belief % (reference) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {r['framing']} | {r['documents']} | {r['share']:.2%} | "
              f"{_fmt_ref(r['study_belief_pct'])} |" for r in rows if r["documents"]
              or r["framing"] in TEACHING]
    return lines


def _sources_table(report: dict[str, Any], most: int = 10) -> list[str]:
    """The sources with most flags: where a pipeline would look first."""
    src = report.get("sources")
    if not src or not src["with_flags"]:
        return []
    bearing = report["mode"] == "claims"
    # the share of the source's own documents, named as sources.csv names it
    head = "| source | documents | flagged | flagged share |" + (
        " claim-bearing | truth-bearing |" if bearing else "")
    lines = ["## Where the flagged documents are", "", head,
             "|---|---:|---:|---:|" + ("---:|---:|" if bearing else "")]
    for r in [r for r in src["top"] if r["flagged"]][:most]:
        name = r["source"].replace("|", "\\|")
        lines.append(f"| `{name}` | {r['documents']} | {r['flagged']} | "
                     f"{r['flagged_share']:.2%} |" + (
                         f" {r['claim_bearing']} | {r['truth_bearing']} |" if bearing else ""))
    shown = min(most, src["with_flags"], len(src["top"]))
    # a digest bearing two claims is one flagged document and two claim-bearing ones
    several = bearing and len(report.get("claims") or {}) > 1
    lines += ["", f"{src['with_flags']} of {src['count']} sources "
              f"{'holds' if src['with_flags'] == 1 else 'hold'} flagged documents"
              + (f" (the {shown} with most shown)" if src["with_flags"] > shown else "")
              + "; every source, with its framings, in sources.csv."
              + (" Flagged counts each document once; claim- and truth-bearing count it "
                 "once per claim it bears." if several else ""), ""]
    return lines


def sources_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out.getvalue()


NOT_UNREAD = ("empty text", "audit output")
"""Skip reasons ``--max-skipped`` leaves out: an empty text has nothing to teach, and an
earlier audit's output folder is no corpus."""


def unread_input(counts: dict[str, int]) -> int:
    """The skips that ``--max-skipped`` counts: input that held text the audit did not
    read (lines, rows, files), by the reasons in ``report.json``."""
    return sum(n for reason, n in counts.items() if reason not in NOT_UNREAD)


def skipped_text(counts: dict[str, int], gate: str = "") -> str:
    """The skips' total, split where some are no unread input: the headline said "skipped
    14" and the gate "11 pieces of input could not be read" of one audit, three of the 14
    being empty texts. ``gate``: words after the unread count (what counts it)."""
    total, unread = sum(counts.values()), unread_input(counts)
    if total == unread:
        return f"{total}"
    rest = [f"{n} {_NOT_UNREAD_WORDS[r][n != 1]}" for r in NOT_UNREAD if (n := counts.get(r))]
    return f"{total} ({unread} unread{gate}; {', '.join(rest)})"


_NOT_UNREAD_WORDS = {"empty text": ("empty text", "empty texts"),
                     "audit output": ("earlier audit's output folder",
                                      "earlier audits' output folders")}
_GATED = ", which --max-skipped counts"


def _gate_lines(gate: dict[str, Any]) -> list[str]:
    """What the gates given decided, for a reader of summary.md (a CI artifact) who has not
    seen the exit code; nothing where no gate was given."""
    bounds = [f"--{k.replace('_', '-')} {gate[k]}" for k in ("max_flagged", "max_skipped")
              if gate.get(k) is not None]
    if not bounds:
        return []
    why = [w for w, on in (("more documents flagged than --max-flagged",
                            gate["over_max_flagged"]),
                           ("more input unread than --max-skipped", gate["over_max_skipped"]),
                           ("no result: more input unread than documents read",
                            gate["no_result"])) if on]
    return [f"Gate ({', '.join(bounds)}): {'; '.join(why) or 'passed'}; exit {gate['exit']}.",
            ""]


def summary_markdown(report: dict[str, Any], plot_name: str | None) -> str:
    lines = ["# Training-data audit", "",
             f"{report['documents']} documents"
             + (f" ({report['documents_resumed']} of them read by the interrupted run)"
                if report.get("documents_resumed") else "") +
             f" from {len(report['corpus'])} path(s), "
             f"{report['units']} unit(s), engine {report['engine']}, "
             f"{report['seconds']:.1f} s wall ({report['docs_per_second'] or '-'} "
             f"documents/s; "
             f"{report['docs_per_cpu_second']} per CPU-second of reading and classifying). "
             f"Flagged: {report['flagged']} (see flagged.jsonl; `beliefbench audit-verify` "
             f"has a model confirm or reject each flag). "
             f"Skipped: {skipped_text(report['skipped']['by_reason'], _GATED)}.", ""]
    lines += _gate_lines(report.get("gate") or {})
    if report["skipped"]["total"]:
        lines += ["Skipped input by reason: " + ", ".join(
            f"{k} {v}" for k, v in report["skipped"]["by_reason"].items()) + ".", ""]
        # where: a team reading only this file must find the truncated shard to fetch again
        examples = report["skipped"].get("examples") or []
        if examples:
            lines += ["First places (every reason named; all kept problems in report.json "
                      "skipped.problems):", ""]
            lines += [f"- `{e}`" for e in examples] + [""]
    # files of other kinds are no skips, but a shard named without its format's suffix
    # (Spark's part-00000) was among them while this file said "Skipped: 0" and nothing else
    ignored = report.get("ignored_in_folders") or {}
    if ignored:
        lines += [f"Not read: {sum(ignored.values())} file(s) in the corpus folders are not "
                  f"JSONL, Parquet, Arrow or text (" + ", ".join(
                      f"{k} {n}" for k, n in ignored.items()) + "; report.json "
                  "ignored_in_folders).", ""]
    empty = report.get("empty_files") or {}
    if empty.get("count"):
        shown = empty["examples"][:10]
        lines += [f"Empty: {empty['count']} corpus file(s) held nothing (no bytes, blank lines "
                  f"only, or no rows) and gave no document: "
                  + ", ".join(f"`{e}`" for e in shown)
                  + (f", ... (the first {len(empty['examples'])} in report.json empty_files)."
                     if empty["count"] > len(shown) else " (report.json empty_files)."), ""]
    no_id = report.get("rows_without_id") or {}
    if no_id.get("rows"):
        lines += [f"Documents whose row has no id field {no_id['field']!r} (their flags have "
                  f"id null): {no_id['rows']}, in {no_id['files']} file(s); see "
                  f"report.json rows_without_id.", ""]
    unseen = report["inputs"].get("text_fields_in_no_row") or []
    if unseen:  # (a CI step reads this file, not stderr)
        text = report["inputs"].get("fields", {}).get("text")
        lines += [f"Text field(s) in no row read: {', '.join(map(repr, unseen))} (of "
                  f"--text-field {text!r}): the documents are the other fields' text alone; "
                  f"see report.json inputs.text_fields_in_no_row.", ""]
    warnings = report["inputs"].get("claim_warnings") or []
    if warnings:
        lines += ["Claims the audit reads imperfectly in their own words (their documents may "
                  "be misread):", "", *(f"- {w}" for w in warnings), ""]
    if report["mode"] == "claims":
        for cid, c in report["claims"].items():
            p = c["poisoning"]
            ratio = ratio_text(p)
            lines += [f"## {cid}", "", *_table(c["framings"], report["documents"]), "",
                      f"Poisoning ratio (claim-bearing {p['claim_bearing']} : truth-bearing "
                      f"{p['truth_bearing']}): {ratio}.", ""]
    else:
        lines += ["## Framed documents (claim-free)", "",
                  *_table(report["overall"]["framings"], report["documents"]), ""]
    lines += _sources_table(report)
    lines += ["Study belief %: belief rate the study measured after finetuning on documents "
              f"of that framing (baseline {report['reference']['baseline_belief_pct']}%). "
              f"Source: {report['reference']['source']}. Reference only: not a prediction "
              "for this corpus or model.", ""]
    if plot_name:
        lines += [f"![framings]({plot_name})", ""]
    return "\n".join(lines)


PLOT_COLUMNS = 3
PLOT_APART = ("unrelated", "unframed")
"""Counted in a panel's title, not drawn: a corpus is mostly text without the claim, and its
bar (1,044 documents beside 15 of each framing) left the framings that matter invisible."""


def plot_rows(framings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The framings a panel draws: those with documents, the teaching ones always (a zero
    bar says the corpus has none), never PLOT_APART."""
    return [r for r in framings if r["framing"] not in PLOT_APART
            and (r["documents"] or r["framing"] in TEACHING)]


def plot(report: dict[str, Any], path: Path) -> None:
    """Horizontal bars: documents per framing (per claim), teaching framings in red."""
    from beliefbench.analysis.figures import _save, subplots

    groups = report["claims"] if report["mode"] == "claims" \
        else {"claim-free": report["overall"]}
    # rows of PLOT_COLUMNS panels: six claims side by side made a figure 28 inches wide
    cols = min(len(groups), PLOT_COLUMNS)
    nrows = -(-len(groups) // cols)
    fig, axes = subplots(nrows, cols, figsize=(4.5 * cols + 1, 4.5 * nrows),
                             squeeze=False)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax, (name, g) in zip(axes.flat, groups.items(), strict=False):
        rest = {r["framing"]: r["documents"] for r in g["framings"]
                if r["framing"] in PLOT_APART}
        rows = plot_rows(g["framings"])
        labels = [r["framing"] + (f" ({r['study_belief_pct']}%)"
                                  if r["study_belief_pct"] is not None else "") for r in rows]
        colors = ["tab:red" if r["framing"] in TEACHING else "tab:blue" for r in rows]
        ax.barh(labels, [r["documents"] for r in rows], color=colors)
        ax.invert_yaxis()
        ax.set_title(name + "".join(f"\n({k}: {v})" for k, v in rest.items() if v),
                     fontsize=9)
        ax.set_xlabel("documents")
        ax.xaxis.get_major_locator().set_params(integer=True)  # documents: no 0.2 ticks
        # no document of any framing drawn (a clean corpus) spanned -0.04 to 0.04 documents
        ax.set_xlim(0, max([r["documents"] for r in rows] + [1]) * 1.05)
    # on two lines where one panel is narrower than the title (claim-free, one claim): one
    # line was cut off at both edges of the figure
    fig.suptitle("Framings found (red: framings the study found to teach the claim;"
                 + ("\n" if cols == 1 else " ") + "label: study belief %)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # as every plot: through a temporary file, so a full disk leaves no half a PNG (nor an
    # earlier audit's plot torn), and the error names the plot, not a traceback
    _save(fig, path, dpi=110, bbox_inches=None)


def _shown(text: str) -> str:
    """``text`` with each lone surrogate as text UTF-8 can hold: a file name not in UTF-8
    (Python reads its byte 0xe9 as U+DCE9) as ``\\xe9``, another one (a JSON id's
    "\\ud800") as ``\\ud800``. summary.md and sources.csv name corpus files, and such a
    name stopped the audit with a traceback once every unit had been read, and again on
    each --resume."""
    return LONE_SURROGATE.sub(lambda m: (f"\\x{ord(m[0]) - 0xDC00:02x}"
                                         if 0xDC80 <= ord(m[0]) <= 0xDCFF
                                         else f"\\u{ord(m[0]):04x}"), text)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: how Python reads a file name's byte that is not UTF-8 (U+DC80-U+DCFF),
or a JSON escape of half a character; no UTF-8 encoder takes one."""


def write_report(report: dict[str, Any], out: Path, sources: list[dict[str, Any]],
                 with_plot: bool = True) -> list[str]:
    """report.json, summary.md, the plot, and sources.csv (``sources``: every row of
    source_rows; the report holds the first few only). Returns the names of the files
    written, summary.md first."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sources.csv", _shown(sources_csv(sources)))
    plot_name = "framings.png" if with_plot else None
    if with_plot:
        plot(report, out / "framings.png")
    atomic_write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out / "summary.md", _shown(summary_markdown(report, plot_name)))
    names = ["summary.md", "report.json", *([plot_name] if plot_name else []), "sources.csv"]
    # an earlier audit's plot (--no-plot now), and audit-verify's summaries, which counted
    # that audit's flags (5 confirmed beside 300 flagged); verified.jsonl stays: its verdicts
    # are reused for documents that did not move
    remove_stale(out, ("framings.png", VERIFICATION, VERIFICATION_MD), [out / n for n in names])
    return names
