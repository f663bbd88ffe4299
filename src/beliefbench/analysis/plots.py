"""PNG plots of a belief report (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from beliefbench.analysis.logs import NO_LABEL  # noqa: E402
from beliefbench.claims import FAMILIES  # noqa: E402

if TYPE_CHECKING:
    from beliefbench.analysis.report import Report


def _save(fig: plt.Figure, path: Path) -> Path:
    """Save atomically: a reader never sees half a PNG."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(fig)
    return path


def _final_runs(df: pd.DataFrame) -> pd.DataFrame:
    """Runs from a sweep keep only each condition's last step (the final checkpoint)."""
    if df["step"].isna().all():
        return df
    last = df.groupby("condition", dropna=False)["step"].transform("max")
    return df[df["step"].isna() | (df["step"] == last)]


def _run_labels(df: pd.DataFrame) -> pd.Series:
    runs = df[["model", "condition", "step", "partial"]].drop_duplicates()
    by_condition = (runs["condition"] != NO_LABEL).all() and not runs.duplicated(
        ["condition", "partial"]).any()

    def label(row: pd.Series) -> str:
        text = row["condition"] if by_condition else (
            row["model"] if row["condition"] == NO_LABEL
            else f"{row['model']}\n{row['condition']}")
        if len(text) > 48:
            text = "…" + text[-47:]
        if not pd.isna(row["step"]):
            text += f"\nstep {row['step']}"
        return text + ("\n(PARTIAL)" if row["partial"] else "")

    return df.apply(label, axis=1)


def belief_by_condition(family: pd.DataFrame, path: Path) -> Path:
    """Grouped bars: one group per run (condition), one bar per family, 95% CI bars."""
    df = _final_runs(family).copy()
    df["label"] = _run_labels(df)
    labels = list(dict.fromkeys(df["label"]))
    families = [f for f in FAMILIES if f in set(df["family"])]
    width = 0.8 / max(len(families), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(labels) * max(len(families), 1) / 2),
                                    4.5))
    x = np.arange(len(labels))
    for i, fam in enumerate(families):
        sub = df[df["family"] == fam].set_index("label").reindex(labels)
        err = np.vstack([sub["belief"] - sub["ci_low"], sub["ci_high"] - sub["belief"]])
        ax.bar(x + (i - (len(families) - 1) / 2) * width, sub["belief"], width,
               yerr=np.nan_to_num(err), capsize=3, label=fam.replace("_", " "))
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("belief rate (95% CI)")
    ax.set_title("Belief by condition and probe family")
    ax.legend(fontsize=8, frameon=False)
    return _save(fig, path)


def belief_vs_step(overall: pd.DataFrame, path: Path) -> Path:
    """One line per condition: belief (95% CI band) against training step."""
    df = overall[overall["step"].notna()].sort_values("step")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for (condition, partial), sub in df.groupby(["condition", "partial"], sort=True):
        steps = sub["step"].astype(float).to_numpy()
        name = str(condition) + (" (PARTIAL)" if partial else "")
        ax.plot(steps, sub["belief"], marker="o", label=name)
        ax.fill_between(steps, sub["ci_low"].astype(float), sub["ci_high"].astype(float),
                        alpha=0.2)
    ax.set_xlabel("training step")
    ax.set_ylabel("belief rate (95% CI)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Belief against training step")
    ax.legend(fontsize=8, frameon=False)
    return _save(fig, path)


def write_plots(report: Report, out: Path) -> list[Path]:
    paths = [belief_by_condition(report.family, out / "belief_by_condition_family.png")]
    if report.overall["step"].notna().any():
        paths.append(belief_vs_step(report.overall, out / "belief_vs_step.png"))
    return paths
