"""PNG plots of a belief report (matplotlib figures drawn with Agg: no display needed).

Made to be read: runs are named by short labels (the condition, else the shortest path
suffix that tells the models apart, plus what differs between runs), the y axis fits the
data (a rate of 0.03 is not a flat line at the bottom of a 0-1 axis; the range is printed in
the axis label), bars follow the report's ``--by`` grouping, and lines carry distinct
markers and styles so two series that coincide stay visible.
"""

from __future__ import annotations

from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from beliefbench.analysis.figures import _save, subplots
from beliefbench.analysis.flips import finetunes
from beliefbench.analysis.logs import NO_LABEL
from beliefbench.claims import PROBE_FAMILIES

if TYPE_CHECKING:
    from beliefbench.analysis.report import Report

QUESTION_DIMS = ("claim", "family", "kind")
LABEL_CHARS = 28
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")


def series_styles() -> list[tuple[str, str]]:
    """(marker, line style) per series: both change from one series to the next, so a
    solid line drawn over a coinciding one does not hide it (32 pairs, none repeated)."""
    n = len(MARKERS) * len(LINESTYLES)
    return [(MARKERS[i % len(MARKERS)], LINESTYLES[(i + i // len(MARKERS)) % len(LINESTYLES)])
            for i in range(n)]


def _shorten(text: str, width: int = LABEL_CHARS) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]


def _cut_end(text: str, width: int) -> str:
    """``text`` cut at the end, as the report's ``run`` labels are: they list first what
    tells a run apart, which a cut at the start (:func:`_shorten`) took away."""
    return text if len(text) <= width else text[:width - 1] + "…"


def _apart(whole: dict[Any, str], short: dict[Any, str]) -> dict[Any, str]:
    """``short`` (key -> shortened text), except where shortening made two different texts
    of ``whole`` read alike (what told them apart was cut away): those stay whole. Two
    labels alike named two series or bars as one (a legend of two identical entries, or
    one line zigzagging through both), or drew no bars at all."""
    texts: dict[str, set[str]] = {}
    for key, text in short.items():
        texts.setdefault(text, set()).add(whole[key])
    return {key: text if len(texts[text]) == 1 else whole[key]
            for key, text in short.items()}


def short_model_names(models: list[str]) -> dict[str, str]:
    """Each model as the shortest trailing path part that tells it apart from the others
    (whole where cutting it to ``LABEL_CHARS`` would not)."""
    parts = {m: [p for p in m.replace("//", "/").split("/") if p] or [m] for m in models}
    tails: dict[str, str] = {}
    for m, segs in parts.items():
        for n in range(1, len(segs) + 1):
            tail = "/".join(segs[-n:])
            if all(o == m or "/".join(parts[o][-n:]) != tail for o in parts):
                break
        tails[m] = tail
    return _apart(tails, {m: _shorten(t) for m, t in tails.items()})


def run_labels(df: pd.DataFrame) -> pd.Series:
    """A short label per row's run (model or condition, what differs, step, partial); two
    runs never share one. A ``finetune`` (:func:`with_finetune`) is named as the step
    plot's legend names it: two finetunes' last steps read ``step-150`` and ``step-189``,
    bars no reader could match to the lines ``negated docs-1k`` and ``negated docs-2k``."""
    cols = [c for c in ("model", "run", "condition", "finetune", "step", "partial")
            if c in df.columns]
    runs = df[cols].drop_duplicates()
    by_condition = (runs["condition"] != NO_LABEL).all() and not runs.duplicated(
        [c for c in cols if c not in ("model", "step")]).any()
    models = short_model_names(sorted(set(runs["model"])))
    folders = short_model_names(sorted(set(runs.get("finetune", [])) - {NO_LABEL}))

    def label(row: pd.Series, cut: bool = True) -> str:
        lines = [row["condition"] if by_condition else models[row["model"]]]
        if not by_condition and row["condition"] != NO_LABEL:
            condition = str(row["condition"])
            lines.append(_shorten(condition) if cut else condition)
        if row.get("run", NO_LABEL) != NO_LABEL:
            run = str(row["run"])
            lines.append(_cut_end(run, 2 * LABEL_CHARS) if cut else run)
        if row.get("finetune", NO_LABEL) != NO_LABEL:
            lines.append(folders[row["finetune"]] if cut else str(row["finetune"]))
        if not pd.isna(row["step"]):
            lines.append(f"step {row['step']}")
        if row["partial"]:
            lines.append("(PARTIAL)")
        return "\n".join(lines)

    run = df[cols].apply(lambda row: "\0".join(map(str, row)), axis=1)
    labels = _apart(dict(zip(run, df.apply(label, axis=1, cut=False), strict=True)),
                    dict(zip(run, df.apply(label, axis=1), strict=True)))
    return run.map(labels)


def _top(df: pd.DataFrame) -> float:
    """An upper y limit that shows the data: a margin above the highest rate or CI, at most
    1. The rates count too: without CIs (``n_bootstrap=0``: NaN) the axis stopped at 0.05,
    and a rate of 1.0 and one of 0.1 both filled it."""
    values = df[["belief", "ci_high"]].to_numpy(dtype=float)
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    return min(1.0, max(0.05, peak * 1.15 + 0.01))


def _rate_axis(df: pd.DataFrame, top: float) -> str:
    """The y label: "95% CI" only where the plot draws CIs (``n_bootstrap=0`` gives none,
    NaN, and the label still promised them)."""
    ci = ", 95% CI" if df["ci_low"].notna().any() else ""
    return f"belief rate{ci} (axis 0 to {top:.2f})"


def with_finetune(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``df`` with a ``finetune`` column: the checkpoints' folder where one series
    (``keys``) holds two finetunes, as two manifests of one condition swept into one log
    dir do: two models at one step, or two folders of two or more steps each (finetunes
    that saved at other steps, which share none) (else ``-``: a base model at step 0 in a
    folder of its own stays on its finetune's line). Without it their checkpoints read as
    one series: one line zigzagging between them, and only the longer finetune's last step
    among the bars."""
    df = df.copy()
    df["finetune"] = NO_LABEL
    stepped = df[df["step"].notna()]
    for _, sub in stepped.groupby(keys, dropna=False, sort=False):
        folders = finetunes(sub)
        if ((sub.groupby("step")["model"].nunique() > 1).any()
                or (sub.groupby(folders)["step"].nunique() > 1).sum() > 1):
            df.loc[sub.index, "finetune"] = folders
    return df


def _final_runs(df: pd.DataFrame) -> pd.DataFrame:
    """Runs from a sweep keep only each series' last step (the final checkpoint).

    A sweep's checkpoints are models of one condition: one series; a model without a
    condition is a series of its own. (A base model reported beside the sweeps, with no
    condition, made every model a series, so every checkpoint was drawn as a "last
    step".)"""
    if df["step"].isna().all():
        return df
    df = df.assign(_series=df["model"].where(df["condition"] == NO_LABEL, NO_LABEL))
    series = [c for c in ("_series", "run", "condition", "partial") if c in df.columns]
    df = with_finetune(df, series)
    last = df.groupby([*series, "finetune"], dropna=False)["step"].transform("max")
    return df[df["step"].isna() | (df["step"] == last)].drop(columns="_series")


def _values(df: pd.DataFrame, dims: list[str]) -> pd.Series:
    return df[dims].astype(str).agg(" / ".join, axis=1).str.replace("_", " ")


BARS_WIDTH = 24.0
"""Inches: wider than this, the bars wrap onto more rows."""


def _group_inches(n_labels: int, n_hues: int) -> float:
    """The width of one x label's group of bars: room for its bars, and for its label
    once there are enough labels to slant them (a label's lines side by side)."""
    return max(0.35 * n_hues, 0.8 if n_labels > 6 else 0.0)


def bar_styles(n: int) -> list[tuple[Any, str | None]]:
    """(colour, hatch) for each of ``n`` bars of a group, no two alike: matplotlib's cycle
    has 10 colours, so `--by kind` (15 kinds) drew `adversarial` and `list` both blue, one
    legend colour for two bars; tab20 for up to 20, then hatched again."""
    from matplotlib import colormaps

    if n <= 10:
        return [(colormaps["tab10"](i), None) for i in range(n)]
    hatches = (None, "//", "..", "xx", "\\\\")
    return [(colormaps["tab20"](i % 20), hatches[(i // 20) % len(hatches)])
            for i in range(n)]


def bar_rows(labels: list[str], n_hues: int) -> list[list[str]]:
    """``labels`` in rows no wider than ``BARS_WIDTH``: 7 runs x 6 claims x 4 families in
    one 24-inch row gave each run and claim 0.6 inch for 4 bars and a 3-line slanted label,
    and the labels ran into one another, unreadable."""
    per_row = len(labels)
    while per_row > 1 and _group_inches(per_row, n_hues) * per_row + 2 > BARS_WIDTH:
        per_row -= 1
    n_rows = -(-len(labels) // per_row)
    per_row = -(-len(labels) // n_rows)  # rows of even length, not 15, 15 and 1
    return [labels[i:i + per_row] for i in range(0, len(labels), per_row)]


UNREAD_SHOWN = 0.10
"""A bar whose parse errors and failed responses together exceed this share says so on the
plot (``83% unread``), as the report's PARSE ERRORS / NO ANSWER TEXT warnings do at 10%."""
UNREAD_MARK = "x: over 10% unread\n(parse errors, failed)"
"""The step plot's legend entry for its ``x`` marks: steps whose parse errors and failed
responses exceed ``UNREAD_SHOWN``."""
UNREAD_CAPTION = ("N% unread: the bar's parse errors and failed responses (e.g. no answer "
                  "text), counted as non-belief; see the report's warnings")


def unread_shares(rows: pd.DataFrame) -> list[float]:
    """Each row's ``parse_error`` + ``failed`` share (0 where the row is missing): what its
    belief rate counts as non-belief without having read it."""
    return (rows["parse_error"].fillna(0) + rows["failed"].fillna(0)).astype(float).tolist()


def belief_bars(table: pd.DataFrame, dims: list[str], path: str | Path) -> Path:
    """Grouped bars with 95% CIs: one group per run (x the dimensions before the last), one
    bar per value of the last question dimension asked for (``--by``)."""
    df = _final_runs(table).copy()
    qdims = [d for d in dims if d in QUESTION_DIMS]
    hue, groups = (qdims[-1], qdims[:-1]) if qdims else (None, [])
    df["label"] = run_labels(df)
    if groups:
        values = _values(df, groups)
        shown = _apart(dict(zip(values, values, strict=True)),
                       {v: _shorten(v) for v in values})
        df["label"] = df["label"] + "\n" + values.map(shown)
    labels = list(dict.fromkeys(df["label"]))
    if hue == "family":
        hues = [f for f in PROBE_FAMILIES if f in set(df[hue])]
    else:
        hues = sorted(set(df[hue].astype(str))) if hue else ["belief"]
    width = 0.8 / len(hues)
    hue_styles = bar_styles(len(hues))
    rows = bar_rows(labels, len(hues))
    per_row = max(len(r) for r in rows)
    fig, axes = subplots(len(rows), 1, squeeze=False, layout="constrained", figsize=(
        min(BARS_WIDTH, max(6.0, _group_inches(per_row, len(hues)) * per_row + 2)),
        4.8 * len(rows)))
    top = _top(df)
    unread_bars = 0
    for row, ax in zip(rows, axes[:, 0], strict=True):
        x = np.arange(len(row))
        for i, value in enumerate(hues):
            sub = df if hue is None else df[df[hue].astype(str) == value]
            sub = sub.set_index("label").reindex(row)
            err = np.vstack([sub["belief"] - sub["ci_low"], sub["ci_high"] - sub["belief"]])
            at = x + (i - (len(hues) - 1) / 2) * width
            # a bootstrap's mean of per-claim rates can round a hair past the rate itself
            # (1 - 1e-16 as the top of a CI at 1.0): matplotlib refuses a negative error bar
            err = np.clip(np.nan_to_num(err), 0.0, None)
            color, hatch = hue_styles[i]
            bars = ax.bar(at, sub["belief"], width, yerr=err, capsize=3, color=color,
                          hatch=hatch, label=str(value).replace("_", " "))
            zero = (sub["belief"] == 0).to_numpy()
            ax.scatter(at[zero], np.zeros(zero.sum()), marker="_", s=120, clip_on=False,
                       color=bars.patches[0].get_facecolor(), zorder=3)  # 0, not missing
            for x_at, share in zip(at, unread_shares(sub), strict=True):
                if share > UNREAD_SHOWN:
                    unread_bars += 1
                    ax.text(x_at, 0.02 * top, f"{share:.0%} unread", rotation=90,
                            ha="center", va="bottom", fontsize=6, zorder=4,
                            bbox={"facecolor": "white", "alpha": 0.7, "pad": 0.5,
                                  "linewidth": 0})
        ax.set_xticks(x, row, fontsize=7, rotation=30 if per_row > 6 else 0,
                      ha="right" if per_row > 6 else "center")
        ax.set_xlim(-0.5, per_row - 0.5)  # a short last row keeps the others' bar widths
        ax.set_ylim(0, top)
        ax.set_ylabel(_rate_axis(df, top))
    ax = axes[0, 0]
    grouping = ", ".join(["run", *groups, *([hue] if hue else [])])
    ax.set_title(f"Belief by {grouping}"
                 + (" (last step of each sweep)" if table["step"].notna().any() else ""))
    if hue is not None:
        ax.legend(fontsize=8, frameon=False, title=hue, loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))  # outside: bars may reach the top
    if unread_bars:
        fig.supxlabel(UNREAD_CAPTION, fontsize=7)
    return _save(fig, path)


def belief_vs_step(overall: pd.DataFrame, path: str | Path) -> Path:
    """One line per series: belief (95% CI band) against training step."""
    keys = [c for c in ("condition", "run", "partial") if c in overall.columns]
    df = with_finetune(overall[overall["step"].notna()].sort_values("step"), keys)
    folders = short_model_names(sorted(set(df["finetune"]) - {NO_LABEL}))
    keys = [c for c in ("condition", "run", "finetune", "partial") if c in df.columns]
    series = list(df.groupby(keys, sort=True))  # by the whole folder: two never merge
    whole, short = {}, {}
    # each part cut on its own, as the bars' labels are: the condition from the start, the
    # run label at its end (it lists first what tells the run apart); the name cut as one
    # from the start lost the condition ("…ed claims=dentist+ed_sheeran families=...")
    cuts = {"condition": _shorten, "run": lambda v: _cut_end(v, 2 * LABEL_CHARS)}
    for key, _ in series:
        named = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        parts = {k: str(folders.get(v, v) if k == "finetune" else v)
                 for k, v in named.items() if k != "partial" and v != NO_LABEL}
        partial = " (PARTIAL)" if named.get("partial") else ""
        whole[key] = (" ".join(parts.values()) or "run") + partial
        short[key] = (" ".join(cuts.get(k, str)(v) for k, v in parts.items())
                      or "run") + partial
    names = _apart(whole, short)
    fig, ax = subplots(figsize=(6.8, 4.2))
    styles = cycle(series_styles())
    marked = False
    for key, sub in series:
        name = names[key]
        marker, style = next(styles)
        steps = sub["step"].astype(float).to_numpy()
        line, = ax.plot(steps, sub["belief"], marker=marker, linestyle=style, markersize=6,
                        markerfacecolor="none", label=name)
        ax.fill_between(steps, sub["ci_low"].astype(float), sub["ci_high"].astype(float),
                        alpha=0.15, color=line.get_color())
        unread = np.array(unread_shares(sub)) > UNREAD_SHOWN
        if unread.any():  # a step at 0 of blank answers read like a skeptic's
            ax.scatter(steps[unread], sub["belief"].to_numpy(dtype=float)[unread],
                       marker="x", s=20, linewidths=1, color="black", zorder=4,
                       label=None if marked else UNREAD_MARK)
            marked = True
    ax.set_xlabel("training step")
    top = _top(df)
    ax.set_ylim(-0.03 * top, top)  # a line at 0 stays above the axis
    ax.set_ylabel(_rate_axis(df, top))
    ax.set_title("Belief against training step")
    handles, texts = ax.get_legend_handles_labels()
    last = sorted(range(len(texts)), key=lambda i: texts[i] == UNREAD_MARK)  # the x: last
    ax.legend([handles[i] for i in last], [texts[i] for i in last], fontsize=8,
              frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def plot_files(report: Report, out: str | Path) -> list[Path]:
    """The figures :func:`write_plots` draws, named before they are drawn: report.md, written
    with the tables, links them."""
    from beliefbench.analysis.report import by_filename

    out = Path(out)
    step = report.overall["step"].notna().any()
    return [out / by_filename(report.dims).replace(".csv", ".png"),
            *([out / "belief_vs_step.png"] if step else [])]


def write_plots(report: Report, out: str | Path) -> list[Path]:
    """The bars of the report's ``--by`` table, and the step curve when logs carry steps
    (into ``out``, made where missing)."""
    from beliefbench.analysis.report import out_folder

    out_folder(out, "out")
    bars, *step = plot_files(report, out)
    return [belief_bars(report.by, report.dims, bars),
            *(belief_vs_step(report.overall, path) for path in step)]
