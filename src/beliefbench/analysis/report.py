"""Belief tables from belief logs: CSV for analysis, Markdown to paste into a paper or review.

Every table groups by the run (model, judge, task settings, checkpoint, condition, step,
partial) first, so different runs, and partial with complete data, are never pooled; then by
the dimensions asked for. The CSVs carry the full ``judge`` and ``settings`` of each row; the
Markdown tables show the short ``run`` label (the fields that differ) instead. Rates and CIs
are :func:`beliefbench.metrics.rate_table` (belief = yes over ALL responses, claims weigh
equally, bootstrap over questions within claim). Runs with two or more checkpoint steps also
get per-question flips across their checkpoints (:mod:`beliefbench.analysis.flips`:
``flips.csv``, ``flip_steps.csv``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from beliefbench.analysis.flips import finetunes
from beliefbench.analysis.logs import (
    MAX_PARSE_ERRORS,
    NEITHER_WAY,
    NO_LABEL,
    READ_VERDICTS,
    RUN_COLUMNS,
    SHARE_SLACK,
    BeliefLogs,
    LogInfo,
    completeness_fields,
    over_budget,
    read_either_way,
    require_belief_logs,
    run_entry,
    unread_counts,
)
from beliefbench.analysis.text import did_you_mean, first_few, listing
from beliefbench.metrics import (
    N_BOOTSTRAP,
    NON_BELIEF,
    VERDICTS,
    check_resamples,
    grouped_bootstrap_ci,
    question_table,
    rate,
    rate_table,
)
from beliefbench.records import atomic_write_texts, csv_text, remove_stale

DIMENSIONS: tuple[str, ...] = ("condition", "claim", "family", "kind", "model",
                               "checkpoint", "step", "run")
"""What ``--by`` accepts. Run columns are always grouped by; naming them only orders them."""
QUESTION_DIMS = ("claim", "family", "kind")
DEFAULT_BY: tuple[str, ...] = ("condition", "claim", "family")
RATE_COLUMNS = ("belief", "ci_low", "ci_high", *NON_BELIEF, "claims", "questions",
                "responses")


class ReportError(ValueError):
    """Bad report options."""


def parse_by(by: str | Sequence[str] | None) -> list[str]:
    """"condition,family" (or a list) -> validated, de-duplicated dimension list; None gives
    the default dimensions, an empty list none (the run alone); a blank text (``""``,
    ``","``) is refused, never read as either. The error names both ``by`` (Python) and
    ``--by`` (the CLI)."""
    if by is None:
        return list(DEFAULT_BY)
    items = by.split(",") if isinstance(by, str) else list(by)
    chosen = list(dict.fromkeys(s.strip() for s in items if s.strip()))
    if not chosen and items:
        # `--by ""` (an unset shell variable) or `--by ,` grouped by the run alone, as if
        # asked: refused, as an empty -T value is (arguments.check_names); an empty list
        # from Python still means the run alone
        raise ReportError(f"by / --by: names no dimension ({by!r}: an unset shell "
                          f"variable?); give one or more, comma-separated, or leave --by out "
                          f"for the default ({','.join(DEFAULT_BY)}); valid: "
                          f"{list(DIMENSIONS)}")
    unknown = [d for d in chosen if d not in DIMENSIONS]
    if unknown:
        # `--by claims` listed the valid ones only; the near miss is named, per word when
        # several are unknown
        close = {d: did_you_mean(d, DIMENSIONS) for d in unknown}
        hint = close[unknown[0]] if len(unknown) == 1 else "".join(
            f" ({d!r}: {said.strip()[1:-1]})" for d, said in close.items() if said)
        words = [w for d in chosen for w in d.split()]
        if len(words) > len(chosen) and all(w in DIMENSIONS for w in words):
            # `--by "claim family"` was offered 'family' alone
            hint = f" (separate dimensions with commas: --by {','.join(words)})"
        raise ReportError(f"by / --by: unknown dimension(s) {unknown}{hint}; valid: "
                          f"{list(DIMENSIONS)}")
    return chosen


def question_frame(responses: pd.DataFrame) -> pd.DataFrame:
    """Per run, one row per question (verdict counts), via metrics.question_table."""
    question = ["claim", "family", "question"]
    if not responses.empty and responses["verdict"].isin(VERDICTS).all() and not (
            responses[[*question, "kind"]].isna().any(axis=None)):
        return _question_rows(responses)
    # question_table's own refusals (their messages, per run), or no rows at all
    return per_run_questions(responses)


def per_run_questions(responses: pd.DataFrame) -> pd.DataFrame:
    """:func:`question_frame`'s table from a question_table per run: slow (~20 ms of pandas a
    run), kept where a response lacks a field or verdict, for question_table's refusals, and
    as what :func:`_question_rows` must equal."""
    question = ["claim", "family", "question"]
    parts = []
    for key, sub in responses.groupby(list(RUN_COLUMNS), dropna=False, sort=True):
        q = question_table(sub[[*question, "verdict"]])
        for col, value in zip(RUN_COLUMNS, key, strict=True):
            q[col] = value
        # each run's own kinds: runs of a claim file edited in between (a question made
        # indirect) took the first run's kind for every run, so --by kind misfiled them
        kinds = sub.drop_duplicates(question).set_index(question)["kind"]
        q["kind"] = pd.MultiIndex.from_frame(q[question]).map(kinds)
        parts.append(q)
    questions = pd.concat(parts, ignore_index=True)
    questions["step"] = questions["step"].astype("Int64")
    return questions


def _question_rows(responses: pd.DataFrame) -> pd.DataFrame:
    """:func:`question_frame`'s table as a question_table per run makes it (its rows,
    columns and dtypes), from one groupby over runs and questions: the question_table per
    run took ~20 ms of pandas a run. Each question's kind is its run's first response's."""
    question = ["claim", "family", "question"]
    keys = [*RUN_COLUMNS, *question]
    counts = pd.DataFrame({v: (responses["verdict"] == v).astype(float) for v in VERDICTS})
    counts[keys] = responses[keys]
    counts["n"] = 1
    counts["_first"] = np.arange(len(responses))
    grouped = counts.groupby(keys, dropna=False, sort=True)
    sums = grouped[[*VERDICTS, "n"]].sum()
    first = grouped["_first"].min().to_numpy()
    out = sums.reset_index()[[*question, *VERDICTS, "n", *RUN_COLUMNS]]
    out["kind"] = responses["kind"].iloc[first].to_numpy()
    out["step"] = out["step"].astype("Int64")
    return out


def per_run_rates(questions: pd.DataFrame, dims: list[str], n_bootstrap: int
                  ) -> pd.DataFrame:
    """:func:`rates`' rows (before its ordering) from a rate_table per run: slow (~5 ms of
    pandas a group), kept where a claim or dimension is missing, for rate_table's refusal, and
    as what :func:`_group_rates` must equal."""
    parts = []
    for key, sub in questions.groupby(list(RUN_COLUMNS), dropna=False, sort=True):
        t = rate_table(sub, by=dims, n_bootstrap=n_bootstrap)
        for col, value in zip(RUN_COLUMNS, key, strict=True):
            t.insert(list(RUN_COLUMNS).index(col), col, value)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def rates(questions: pd.DataFrame, by: str | Sequence[str] = (),
          n_bootstrap: int = N_BOOTSTRAP) -> pd.DataFrame:
    """Belief rate + CI + shares per run x ``by`` (dimensions, as :func:`parse_by` reads
    them: a string is one or comma-separated, never its letters; () = per run only)."""
    by = parse_by(by)
    dims = [d for d in by if d in QUESTION_DIMS]
    if questions.empty or questions[["claim", *dims]].isna().any(axis=None):
        # rate_table's own refusal (its message, per run), or no rows at all
        out = per_run_rates(questions, dims, n_bootstrap)
    else:
        out = _group_rates(questions, dims, n_bootstrap)
    out["step"] = out["step"].astype("Int64")
    run_order = [c for c in by if c in RUN_COLUMNS]
    order = [*run_order, *[c for c in RUN_COLUMNS if c not in run_order], *dims,
             *RATE_COLUMNS]
    out["_series"] = series_key(out)
    rest = [c for c in RUN_COLUMNS if c not in run_order]
    if "step" in rest:  # a sweep's checkpoints by step within their finetune
        rest = ["_series", "step", *[c for c in rest if c != "step"]]
    return out.sort_values([*run_order, *rest, *dims], kind="stable")[order].reset_index(
        drop=True)


def _group_rates(questions: pd.DataFrame, dims: list[str], n_bootstrap: int) -> pd.DataFrame:
    """:func:`rates`' rows as a rate_table per run would make them, number for number (the
    same sums in the same order, one seeded bootstrap per row over its claims in sorted
    order), from one groupby: a rate_table per run took ~5 ms of pandas a row, 20 minutes
    of a report over 2,000 small logs."""
    claims, _ = pd.factorize(questions["claim"], sort=True)
    n_float = questions["n"].to_numpy(dtype=float)
    counts = {v: questions[v].to_numpy(dtype=float) for v in VERDICTS}
    n_raw = questions["n"].to_numpy()
    rows = []
    for key, idx in questions.groupby([*RUN_COLUMNS, *dims], dropna=False,
                                      sort=True).indices.items():
        codes = claims[idx]
        order = np.unique(codes)
        per_claim, parts = [], []
        shares = dict.fromkeys(VERDICTS, 0.0)
        for code in order:
            at = idx[codes == code]
            n, yes = n_float[at], counts["yes"][at]
            per_claim.append(yes.sum() / n.sum())
            for v in VERDICTS:
                shares[v] += counts[v][at].sum() / n.sum() / len(order)
            parts.append((yes, n))
        low, high = grouped_bootstrap_ci(parts, n_bootstrap)
        rows.append({**dict(zip([*RUN_COLUMNS, *dims], key, strict=True)),
                     "belief": float(np.mean(per_claim)), "ci_low": float(low),
                     "ci_high": float(high), **{v: float(shares[v]) for v in NON_BELIEF},
                     "claims": len(order), "questions": len(idx),
                     "responses": int(n_raw[idx].sum())})
    return pd.DataFrame(rows)


def series_key(table: pd.DataFrame) -> pd.Series:
    """What orders a sweep's rows: the condition and the finetune of the checkpoint (a local
    run's directory; a hosted job's final model id; :func:`finetunes`), so its steps follow in
    numeric order. Sorting by the model name put ``checkpoint-1000`` before
    ``checkpoint-500``, and an OpenAI finetune's checkpoint ids in no order at all. A row
    without a step keeps its model as its key."""
    folder = finetunes(table)
    stepped = table["condition"].astype(str) + "\0" + folder
    return stepped.where(table["step"].notna(), table["model"].astype(str))


@dataclass
class Report:
    """The tables of a belief report (:func:`build_report`), each one row per run and
    group: ``overall`` (run), ``by`` (the ``by`` dimensions), ``detail`` (claim x family),
    ``family``; ``notes`` are the report's warnings."""

    overall: pd.DataFrame
    by: pd.DataFrame
    detail: pd.DataFrame
    family: pd.DataFrame
    """Run x family (across claims): what the plots show."""
    dims: list[str]
    notes: list[str] = field(default_factory=list)
    """The warnings one by one, as report.json keeps them."""
    shown: list[tuple[str, list[str]]] | None = None
    """The warnings as the console and report.md show them, each with the per-log ones
    it stands for (:meth:`BeliefLogs.grouped_notes`); None: ``notes`` as they are."""
    sources: list[str] = field(default_factory=list)
    completeness: list[dict] = field(default_factory=list)
    """Per log read, whether its numbers rest on the whole run (:func:`completeness`):
    report.json's ``runs``."""
    flips: pd.DataFrame | None = None
    """Per-question flips across checkpoints (:mod:`beliefbench.analysis.flips`): None, or
    no rows, when no run has two or more steps."""
    flip_steps: pd.DataFrame | None = None
    """When each question correct at a run's first step and counterfactual at its last
    flipped for good, and whether abruptly."""
    unread: list[str] = field(default_factory=list)
    """The runs, or claims of a run, none of whose responses was read as a verdict on an
    answer (:func:`unread_runs`): their rows are no result (warned ``UNREAD``)."""
    nothing_read: bool = False
    """No response of any run was read as a verdict: the whole report is no result
    (``report`` exits 2). A sweep's early checkpoints that answer blank beside later ones
    that answer are a result, warned about."""
    neither_way: list[str] = field(default_factory=list)
    """The runs some of whose responses were read, none as belief or disbelief
    (:func:`neither_way_runs`: warned ``READ NEITHER WAY``)."""
    took_side: bool = True
    """Some response of some run was read as belief or disbelief
    (:func:`~beliefbench.analysis.logs.read_either_way`); where none was, the whole report is
    no result (``report`` exits 2), as ``gate`` refuses such a side."""
    error: str | None = None
    """Why the report is no result, written to report.json as ``error`` (set by ``report``
    when it exits 2 with the tables written: :attr:`nothing_read`, or not :attr:`took_side`)."""

    @property
    def has_flips(self) -> bool:
        """Whether a run has two or more steps, so flips.csv / flip_steps.csv are written."""
        return self.flips is not None and not self.flips.empty


def single_question_note(questions: pd.DataFrame) -> list[str]:
    """A note naming the claim x family cells that hold one question: a bootstrap over
    questions has nothing to resample there, so their CIs are 0 wide whatever the
    responses (and a claim with one question in all makes every CI it enters too narrow).
    Counted per run: a run cut short (``--limit``) beside a full one has its own cells."""
    counts = questions.groupby([*RUN_COLUMNS, "claim", "family"], dropna=False,
                               sort=True)["question"].nunique()
    single = list(dict.fromkeys(f"{key[-2]}/{key[-1]}" for key, n in counts.items()
                                if n < 2))
    if not single:
        return []
    shown = first_few(single, 6)
    return [f"SINGLE QUESTION: {len(single)} claim/family cell(s) hold one question "
            f"({shown}): their 95% CIs (a bootstrap over questions) are 0 wide and say "
            "nothing about noise; a claim needs several questions per family (10 or more "
            "recommended) for its CIs to mean anything"]


def _run_name(row: dict) -> str:
    """A run as a note names it: its model, and the labels it has beside."""
    labels = [f"{c}={row[c]}" for c in ("run", "condition", "checkpoint")
              if row.get(c, NO_LABEL) != NO_LABEL]
    if not pd.isna(row.get("step")):
        labels.append(f"step={row['step']}")
    if row.get("partial"):
        labels.append("partial")
    return str(row["model"]) + (f" ({', '.join(labels)})" if labels else "")


def pooled_share_notes(questions: pd.DataFrame, budget: float = MAX_PARSE_ERRORS
                       ) -> list[str]:
    """A note per run whose ``parse_error`` column (the mean of its per-claim shares, as the
    belief rate) and share of all its responses (pooled over claims, what ``gate``'s
    ``--max-parse-errors`` and the PARSE ERRORS warning compare) fall on either side of
    ``budget``: claims of different sizes, one holding most of the parse errors. Without it
    a column reading 0.183 beside a gate's PASS at 0.1 (or 0.050 beside a refusal) looked
    like a bug."""
    out = []
    for key, sub in questions.groupby(list(RUN_COLUMNS), dropna=False, sort=True):
        count, total = int(sub["parse_error"].sum()), int(sub["n"].sum())
        column = rate(sub, n_bootstrap=0).shares["parse_error"]
        pooled = over_budget(count, total, budget)
        if pooled == (column > budget + SHARE_SLACK):
            continue
        row = dict(zip(RUN_COLUMNS, key, strict=True))
        held = "a small" if column > count / total else "a large"
        out.append(f"PARSE ERRORS BY CLAIM: {_run_name(row)}: its parse_error column reads "
                   f"{column:.3f}, the mean of its per-claim shares (claims weigh equally, as "
                   f"in the belief rate), but {count} of its {total} responses "
                   f"({count / total:.1%}) are parse errors pooled over its claims, the share "
                   f"`beliefbench gate` holds to --max-parse-errors (default {budget:g}) and "
                   f"the PARSE ERRORS warning counts: {held} claim holds most of them "
                   "(belief_detail.csv shows each claim's)")
    return out


def unread_runs(responses: pd.DataFrame) -> list[str]:
    """Each run none of whose responses was read as a verdict on an answer (every one a
    parse error or failed: a wrong grader, a judge that stopped replying in JSON, a model
    that returns nothing), or, in a run read elsewhere, each claim none of whose responses
    was: named with its counts and logs. Counted as non-belief, such rows read as belief 0,
    a table of zeros a CI job took for a skeptic's result (exit 0)."""
    out = []
    read = responses["verdict"].isin(READ_VERDICTS)
    for key, sub in responses.groupby(list(RUN_COLUMNS), dropna=False, sort=True):
        seen = read.loc[sub.index].groupby(sub["claim"]).any()
        blind = sorted(str(c) for c in seen.index[~seen.to_numpy()])
        if not blind:
            continue
        rows = sub[sub["claim"].isin(blind)]
        counts = unread_counts(rows["verdict"])
        logs = first_few(sorted(set(rows["log"])), 3)
        name = _run_name(dict(zip(RUN_COLUMNS, key, strict=True)))
        if len(blind) == len(seen):
            out.append(f"{name}: all {len(rows)} of its responses ({counts}; claim(s) "
                       f"{first_few(blind, 6)}) in {logs}")
        else:
            out.append(f"{name}, claim(s) {first_few(blind, 6)}: all {len(rows)} of their "
                       f"responses ({counts}) in {logs}, its other claims read")
    return out


def unread_note(unread: str) -> str:
    """The warning for a run or claim :func:`unread_runs` names."""
    return (f"UNREAD: {unread}: none was read as a verdict on an answer; counted as "
            "non-belief, its belief rate (0) says nothing about what the model believes; "
            "look at them "
            "(`inspect view`: a provider or judge that raised, a wrong grader bound, a judge "
            "that stopped replying in JSON, empty or garbled answers?), fix the cause and "
            "re-run")


def neither_way_runs(responses: pd.DataFrame, unread: bool = False) -> list[str]:
    """Each run none of whose responses was read as belief or disbelief
    (:func:`~beliefbench.analysis.logs.read_either_way`, as ``gate`` refuses a side): every
    one ``neutral`` (garbled answers from a wrong chat template or a broken checkpoint, a
    judge that reads no answer), a parse error or failed, some read. Its rows read belief
    0.000, neutral near 1, and nothing said that no answer took a side. Runs read on nothing
    at all are :func:`unread_runs`' (``UNREAD``), left out unless ``unread``."""
    out = []
    for key, sub in responses.groupby(list(RUN_COLUMNS), dropna=False, sort=True):
        verdicts = sub["verdict"]
        if read_either_way(verdicts.value_counts()) or not (
                unread or verdicts.isin(READ_VERDICTS).any()):
            continue
        name = _run_name(dict(zip(RUN_COLUMNS, key, strict=True)))
        counts = unread_counts(verdicts, NEITHER_WAY)
        out.append(f"{name}: all {len(sub)} of its responses ({counts}; claim(s) "
                   f"{first_few(sorted(set(sub['claim'])), 6)}) in "
                   f"{first_few(sorted(set(sub['log'])), 3)}")
    return out


def neither_way_note(run: str) -> str:
    """The warning for a run :func:`neither_way_runs` names."""
    return (f"READ NEITHER WAY: {run}: none was read as belief or disbelief (no answer "
            "took a side on any claim); its belief rate (0) says nothing about what the "
            "model believes, and `beliefbench gate` refuses such a side (no result, exit 2); "
            "look at the answers (`beliefbench report --by family`, `inspect view`: garbled "
            "answers from a wrong chat template or a broken checkpoint, a judge that reads "
            "no answer?), fix the judge or the model and re-run")


def build_report(logs: BeliefLogs, by: str | Sequence[str] | None = None,
                 n_bootstrap: int = N_BOOTSTRAP) -> Report:
    """The tables ``beliefbench report`` writes, from :func:`load_belief_logs`' result.

    ``by``: the dimensions of ``Report.by`` (``"claim,family"`` or a list; None:
    condition, claim, family), each table grouped by the run first; ``n_bootstrap``:
    resamples per 95% CI (0: no CIs, NaN). Bad options raise :class:`ReportError`.
    Write the files with :func:`write_report`."""
    from beliefbench.analysis.flips import (
        flips,
        missing_note,
        repeated_steps_note,
        unlabelled_finetune_note,
        unstepped_note,
    )
    from beliefbench.analysis.sweep import manifest_notes

    logs = require_belief_logs(logs, "logs", "build_report(LOGS, ...)")
    dims = parse_by(by)
    n_bootstrap = check_resamples(n_bootstrap)
    questions = question_frame(logs.responses)
    flip_table, flip_steps = flips(questions)
    unread = unread_runs(logs.responses)
    neither = neither_way_runs(logs.responses)
    # sweeps label them; their metadata was read with the headers (a log holding no
    # responses is warned of by its PARTIAL warning alone: BeliefLogs.held)
    swept = [(i.path, i.metadata) for i in logs.held[0] if i.checkpoint != NO_LABEL]
    more = [*manifest_notes(swept), *single_question_note(questions),
            *pooled_share_notes(questions), *missing_note(flip_table),
            *repeated_steps_note(questions), *unstepped_note(questions),
            *unlabelled_finetune_note(questions), *map(unread_note, unread),
            *map(neither_way_note, neither), *no_step_label_note(dims, logs.held[0])]
    return Report(
        overall=rates(questions, (), n_bootstrap),
        by=rates(questions, dims, n_bootstrap),
        detail=rates(questions, ("claim", "family"), n_bootstrap),
        family=rates(questions, ("family",), n_bootstrap),
        dims=dims, notes=[*logs.notes(), *more],
        shown=[*logs.grouped_notes(), *[(n, []) for n in more]],
        sources=[info.path for info in logs.logs], completeness=completeness(logs.logs),
        flips=flip_table, flip_steps=flip_steps, unread=unread, neither_way=neither,
        nothing_read=not logs.responses["verdict"].isin(READ_VERDICTS).any(),
        took_side=read_either_way(logs.responses["verdict"].value_counts()),
    )


def no_step_label_note(dims: Sequence[str], infos: Sequence[LogInfo]) -> list[str]:
    """A note naming the logs without a ``step`` label where the report was asked for it
    (``--by step``): their rows read step "-" (the step column left out of the console
    table where none has one) and nothing said why; the step comes from the eval's
    metadata alone, never from the model's name."""
    bare = [i.path for i in infos if i.step is None]
    if "step" not in dims or not bare:
        return []
    return [f"NO STEP LABEL: by / --by step, but {len(bare)} of the {len(infos)} log(s) "
            f"carry no step label ({first_few(bare, 3)}): their rows have no step ('-'; empty "
            "in the CSVs); label "
            "each eval with --metadata step=N (README, \"Where run labels come from\"), or "
            "run the checkpoints with `beliefbench sweep`, which labels them"]


def completeness(infos: Sequence[LogInfo]) -> list[dict]:
    """Per log, its :func:`~beliefbench.analysis.logs.run_entry` (report.json's ``runs``)."""
    return [run_entry(i.path, model=i.model, run=i.run, checkpoint=i.checkpoint,
                      condition=i.condition, step=i.step, judge=i.judge,
                      settings=i.settings, partial=i.partial,
                      subset=i.subset, responses=i.samples, expected=i.expected, cut=i.cut)
            for i in infos]


def _shown_columns(df: pd.DataFrame) -> list[str]:
    """Drop run columns that carry nothing (no checkpoint, no step, nothing partial, runs
    that do not differ), and the full judge / settings (in the CSVs; ``run`` shows what
    differs)."""
    cols = []
    for c in df.columns:
        if c in ("judge", "settings") and "run" in df.columns:
            continue  # a report table: ``run`` says what differs
        if c in ("checkpoint", "condition", "run") and (df[c] == NO_LABEL).all():
            continue
        if c == "step" and df[c].isna().all():
            continue
        if c == "partial" and not df[c].any():
            continue
        cols.append(c)
    return cols


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return NO_LABEL
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|")


def rate_cell(value: object, low: object, high: object) -> str:
    """A rate as ``0.500 [0.250, 0.750]``, or ``0.500`` alone without its CI (``n_bootstrap=0``:
    NaN bounds, which read ``0.500 [nan, nan]``); ``-`` without a rate. One format for
    report.md and em_report.md."""
    if pd.isna(value):
        return NO_LABEL
    if pd.isna(low) or pd.isna(high):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def ci_sentence(has_cis: bool, how: str) -> str:
    """The Markdown intro's word on CIs: ``how`` they were made, or that a report built
    without them (``n_bootstrap=0``) has none; it said "95% CIs are a bootstrap" either way."""
    return how if has_cis else "no CIs (built with `n_bootstrap=0`): rates alone."


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub Markdown table; belief shown as ``rate [ci_low, ci_high]``, or ``rate``
    alone without CIs (``n_bootstrap=0``: NaN, which read ``1.000 [nan, nan]``)."""
    cols = _shown_columns(df)
    show = df[cols].copy()
    if {"belief", "ci_low", "ci_high"} <= set(cols):
        head = "belief (95% CI)" if df["ci_low"].notna().any() else "belief"
        show[head] = [rate_cell(b, lo, hi) for b, lo, hi in
                      zip(df["belief"], df["ci_low"], df["ci_high"], strict=True)]
        show = show.drop(columns=[c for c in ("belief", "ci_low", "ci_high") if c != head])
        # ``belief`` without CIs is its own column already: listed twice, it was shown twice
        rest = [c for c in show.columns if c != head]
        # before the shares, else before the counts (a console table cut to fit has none)
        first_rate = [c for c in rest if c in (*NON_BELIEF, *RATE_COLUMNS[-3:])][:1]
        at = rest.index(first_rate[0]) if first_rate else len(rest)
        show = show[[*rest[:at], head, *rest[at:]]]
    lines = ["| " + " | ".join(show.columns) + " |",
             "|" + "|".join("---" for _ in show.columns) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |"
              for row in show.itertuples(index=False)]
    return "\n".join(lines)


CONSOLE_LEFT_OUT = (("questions", "claims"), ("neutral", "no", "responses", "failed",
                                               "parse_error"))
"""The overall table's columns a narrow terminal does without, first to last: the counts
before the run's names are cut, the shares after; the run's labels and ``belief (95% CI)``
are always shown."""


def console_table(df: pd.DataFrame, width: int | None, whole: str) -> str:
    """:func:`markdown_table` of ``df`` for a terminal ``width`` columns wide (None: any,
    a file or a pipe). Where it is wider, until it fits: a ``model`` that is its checkpoint
    served is left out, then the counts of :data:`CONSOLE_LEFT_OUT`, then each ``model`` and
    ``checkpoint`` path is cut to the last parts that tell it apart, then the shares, one
    by one; a closing line says what was cut and where the whole table is (``whole``). A
    sweep's table of 12 columns and two 48-character paths was 191 characters a line: in
    an 80-column terminal each row wrapped over three lines, its cells in no column."""
    table = markdown_table(df)
    if width is None or _widest(table) <= width:
        return table
    show, left_out, cut = df.copy(), [], ""

    def fits() -> bool:
        return _widest(markdown_table(show)) <= width

    pairs = set(zip(df.get("model", []), df.get("checkpoint", []), strict=True))
    if {"model", "checkpoint"} <= set(show.columns) and (df["checkpoint"] != NO_LABEL).all() \
            and all(str(m).endswith(str(c)) for m, c in pairs) \
            and len(pairs) == len({c for _, c in pairs}):  # one model per checkpoint
        show = show.drop(columns="model")  # hf/<checkpoint>, vllm/<base>:<checkpoint>
        left_out.append("model (its checkpoint)")
    counts, shares = CONSOLE_LEFT_OUT
    for col in counts:
        if not fits() and col in show.columns:
            show = show.drop(columns=col)
            left_out.append(col)
    if not fits():
        from beliefbench.analysis.plots import short_model_names

        for col in ("model", "checkpoint"):
            if col in show.columns:
                values = show[col].astype(str)
                # paths (hf//abs/ckpts/run/step-1, /abs/ckpts/run/step-1), not the names of
                # API or scripted models (openai/gpt-4.1, beliefbench/believer)
                parts = {v: len([p for p in v.split("/") if p]) for v in set(values)}
                paths = sorted(v for v, n in parts.items() if n > 2)
                names = {v: short if len(short.split("/")) < parts[v] else v  # cut, or whole
                         for v, short in short_model_names(paths).items()}
                if any(names[v] != v for v in names):
                    show[col] = [names.get(v, v) for v in values]
                    cut = "paths cut to their last parts; "
    for col in shares:
        if not fits() and col in show.columns:
            show = show.drop(columns=col)
            left_out.append(col)
    gone = f"{listing(left_out, len(left_out))} left out; " if left_out else ""
    return f"{markdown_table(show)}\n(to fit {width} columns: {cut}{gone}all: {whole})"


def _widest(table: str) -> int:
    return max(len(line) for line in table.splitlines())


class Warned(Protocol):
    """A report with warnings: :class:`Report`, or em-report's ``EMReport``."""

    notes: list[str]
    shown: list[tuple[str, list[str]]] | None


def shown_notes(report: Warned) -> list[tuple[str, list[str]]]:
    """The warnings as shown (console, report.md / em_report.md), each with the per-log ones
    it stands for."""
    return report.shown if report.shown is not None else [(n, []) for n in report.notes]


def warnings_section(report: Warned) -> list[str]:
    """report.md's and em_report.md's ``## Warnings`` lines: each warning as shown, the
    per-log ones it stands for beneath it; none where there is no warning."""
    if not report.notes:
        return []
    lines = ["## Warnings", ""]
    for note, each in shown_notes(report):
        lines += [f"- {note}", *[f"  - {n}" for n in each]]
    return [*lines, ""]


def unlabelled_dims_line(report: Report) -> list[str]:
    """report.md's word on a ``--by`` label no log carries (``--by condition`` on logs
    without one): its column, ``-`` in every row, is left out of the table, which read as a
    heading naming a column the table did not have."""
    shown = _shown_columns(report.by)
    missing = [d for d in report.dims if d in ("condition", "checkpoint", "step")
               and d in report.by.columns and d not in shown]
    if not missing:
        return []
    names = " / ".join(f"`{d}`" for d in missing)
    # the CSV writes a missing step, a number, as an empty field, the labels as `-`: the
    # line said `-` of `--by step` too, where the CSV beside it held nothing
    blank = ["`-`" if d != "step" else "empty" for d in missing]
    shown_as = blank[0] if len(set(blank)) == 1 else " / ".join(blank)
    return [f"No log carries a {names} label, so the column is left out ({shown_as} in "
            f"every row of the CSV): label an eval with `--metadata {missing[0]}=...` "
            "(`beliefbench sweep` writes them from its manifest).", ""]


def render_markdown(report: Report, plots: Sequence[str] = ()) -> str:
    by_name = " x ".join(["run", *report.dims])
    parts = ["# Belief report", "",
             "Belief rate = share of ALL responses judged `yes` (no / neutral / parse_error / "
             "failed are the other shares); rates and shares over several claims are the mean "
             "of the per-claim ones (claims weigh equally); "
             + ci_sentence(report.overall["ci_low"].notna().any(),
                           "95% CIs are a bootstrap over questions within each claim.")
             + " With claims of different sizes, a run's "
             "`parse_error` and `failed` columns are therefore not its share of all its "
             "responses, which is what the PARSE ERRORS / NO ANSWER TEXT warnings and "
             "`beliefbench gate`'s budgets (--max-parse-errors, --max-failed, "
             "--max-no-answer) count (the gate's over the claims both its sides hold).", ""]
    parts += warnings_section(report)
    parts += ["## Overall", "", markdown_table(report.overall), "",
              f"## By {by_name}", "", *unlabelled_dims_line(report),
              markdown_table(report.by), ""]
    if {d for d in report.dims if d in QUESTION_DIMS} != {"claim", "family"}:
        # (else the --by table above holds these very rows: shown once)
        parts += ["## By run x claim x family", "",
                  f"{len(report.detail)} rows: see `belief_detail.csv`."
                  if len(report.detail) > 200 else markdown_table(report.detail), ""]
    parts += flips_section(report)
    if plots:
        parts += ["## Plots", "", *[f"![{Path(p).stem}]({Path(p).name})" for p in plots], ""]
    parts += ["## Logs", "", *[f"- `{s}`" for s in report.sources], ""]
    return "\n".join(parts)


def flips_section(report: Report) -> list[str]:
    """report.md's lines on flips across checkpoints: the pooled rows (``claim=all``) of
    flips.csv; none when no run has two or more steps."""
    from beliefbench.analysis.flips import ALL_CLAIMS, shown_runs

    if not report.has_flips:
        return []
    pooled = shown_runs(report.flips[report.flips["claim"] == ALL_CLAIMS])
    pooled = pooled.drop(columns=["claim", "first_step"])
    return ["## Flips across checkpoints", "",
            "Each question at each step is `correct` (more than half its responses `no`), "
            "`counterfactual` (more than half `yes`) or `ambiguous` (neither), and compared "
            "with the run's first step; shares are the mean over claims. "
            "`correct_to_counterfactual`: of the questions correct at the first step, the "
            "share counterfactual at this one; `abrupt` / `via_ambiguous` (last step): of "
            "those correct at the first step and counterfactual at the last, the share that "
            "flipped between two consecutive steps / through an ambiguous step. Per claim: "
            "`flips.csv`; per question: `flip_steps.csv`.", "",
            markdown_table(pooled), ""]


def by_filename(dims: Sequence[str]) -> str:
    return "belief_by_" + "_".join(dims or ["run"]) + ".csv"


REPORT_FILES = ("belief_by_*.csv", "belief_by_*.png", "belief_vs_step.png",
                "internals_margins.csv", "flips.csv", "flip_steps.csv")
"""The files of ``report`` whose names vary with the run (``--by``, steps, plots): each
report removes those of them it did not write."""


OVERALL_FILE = "belief_overall.csv"
"""The run table, one row per run: what ``report`` prints (cut to a narrow terminal)."""
SUMMARY_FILE = "report.json"
"""The report's tables as JSON (what ``report --json`` prints), with the logs it was made
from: how a later report into the same folder tells whether it replaces another's."""


JSON_LABELS = ("run", "checkpoint", "condition")
"""The run labels a JSON summary gives as null where a run carries none (the CSVs and tables
say ``-``), as ``gate --json`` names its sides: ``jq '.condition // "base"'`` read "-"."""


def _records(table: pd.DataFrame, labels: Sequence[str] = JSON_LABELS) -> list[dict]:
    """A table's rows as JSON values: the CSV's columns, NaN, missing steps and missing
    labels (``labels``, by default :data:`JSON_LABELS`) as null."""
    rows = json.loads(table.to_json(orient="records", double_precision=15))
    return [{k: None if k in labels and v == NO_LABEL else v for k, v in row.items()}
            for row in rows]


def summary(report: Report, inputs: Sequence[str] | None = None) -> dict:
    """The machine-readable report: the three CSV tables (rows as objects; and flips.csv,
    flip_steps.csv where a run has 2+ steps), the warnings and the logs. ``inputs`` are the
    paths the report was asked for (``report LOGS...``, absolute); by default the log files
    themselves."""
    out = {"inputs": list(inputs) if inputs is not None else list(report.sources),
           "logs": list(report.sources), "by": list(report.dims), "notes": list(report.notes),
           **completeness_fields(report.completeness),
           "tables": {"overall": _records(report.overall), "by": _records(report.by),
                      "detail": _records(report.detail)},
           "files": {"overall": OVERALL_FILE, "by": by_filename(report.dims),
                     "detail": "belief_detail.csv"}}
    if report.error:  # exit 2 with the tables written: a script reading the JSON sees why
        out = {"error": report.error, **out}
    if report.has_flips:
        out["tables"] |= {"flips": _records(report.flips),
                          "flip_steps": _records(report.flip_steps)}
        out["files"] |= {"flips": "flips.csv", "flip_steps": "flip_steps.csv"}
    return out


def read_summary(out_dir: str | Path) -> dict | None:
    """The ``report.json`` an earlier report left in ``out_dir``; None where there is none
    (or it cannot be read: a report of an older version, a file of the user's)."""
    try:
        data = json.loads((Path(out_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def out_folder(out: str | Path, name: str) -> Path:
    """``out`` as the folder to write into, made where missing; a ReportError naming the
    argument where a file is in the way (``write_report(rep, "report.md")``): it was
    mkdir's "[Errno 17] File exists", which did not say which argument or what to give."""
    path = Path(out)
    here = next((d for d in (path, *path.parents) if d.exists()), None)
    if here is not None and not here.is_dir():
        raise ReportError(f"{name}: {out} cannot be made a folder (a file is in the way: "
                          f"{here}); give a folder to write into (made where missing)")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_report(report: Report, out_dir: str | Path, plots: bool = True,
                 inputs: Sequence[str] | None = None,
                 extra: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write report.md, report.json, the CSV tables and (optionally) PNG plots; returns the
    paths. ``inputs``: see :func:`summary`; ``extra``: more tables of the same report by
    file name (``--internals``' margins), written with the others.

    The tables, report.json and report.md are written together (a failure midway leaves the
    old set or the new one, not new tables beside an earlier report's summary), and an
    earlier report's figures are removed before these are drawn: an interruption while
    drawing leaves none of them beside the new numbers."""
    out = out_folder(out_dir, "out_dir")
    images: list[Path] = []
    if plots:
        from beliefbench.analysis.plots import plot_files
        images = plot_files(report, out)
    tables = {OVERALL_FILE: report.overall, by_filename(report.dims): report.by,
              "belief_detail.csv": report.detail, **(extra or {})}
    if report.has_flips:
        tables |= {"flips.csv": report.flips, "flip_steps.csv": report.flip_steps}
    atomic_write_texts([
        (out / SUMMARY_FILE, json.dumps(summary(report, inputs), indent=2) + "\n"),
        *((out / name, csv_text(table)) for name, table in tables.items()),
        (out / "report.md", render_markdown(report, [str(p) for p in images]))])
    written = [*(out / name for name in tables), out / SUMMARY_FILE, out / "report.md"]
    # an earlier report's tables and figures by another --by (or its step curve, or any
    # figure under --no-plots) would sit beside these as if they were theirs
    remove_stale(out, REPORT_FILES, written)
    if plots:
        from beliefbench.analysis.plots import write_plots
        write_plots(report, out)
    return [*written, *images]
