"""Per-question flips across the checkpoints of a finetune: how many questions went from
the correct answer to the counterfactual one (and back), and how abruptly.

Why: belief rates per step (``belief_vs_step.png``) say how much a model believes at each
checkpoint, not which questions changed side. Continual pretraining on misinformation
("Layer of Truth") flips more than half of the prompts from correct to counterfactual at
high poisoning, abruptly from one checkpoint to the next, with the ambiguous share
unchanged; a rate curve cannot tell that from a slow drift of every question through
ambiguity. These tables can.

A *run* here is the report's run (:data:`~beliefbench.analysis.logs.RUN_COLUMNS`) less what
changes from one checkpoint to the next (``model``, ``checkpoint``, ``step``) and less
``partial``, plus the folder holding the checkpoints (``finetune``: a sweep's run directory;
two finetunes of one condition are two runs). Only runs with two or more steps are compared.
A partial log's step stays in its run (leaving it out would join the steps around it, and
call a flip across it abrupt); ``partial`` is True on every row of a run with a partial log.

Class rule: a question's class at a step comes from its responses' verdicts at that step:
more than half ``yes`` -> ``counterfactual`` (it states the claim), more than half ``no`` ->
``correct``, anything else -> ``ambiguous`` (mostly neutral, parse errors or failed
generations, or a tie). A question is (claim, family, question id).

``flips.csv`` (:func:`flip_table`): per run, claim and step after the first, over the
questions answered at both the first step and that one (``n_questions``; those answered at
only one of the two are left out and counted in ``n_missing``): ``correct_first`` (share
correct at the first step), ``correct_to_counterfactual`` (of the questions correct at the
first step, the share counterfactual at this one: the flip rate), ``counterfactual_to_correct``
(the reverse, over those counterfactual at the first step), ``ambiguous_first`` and
``ambiguous`` (ambiguous shares at the first step and at this one). On the last step's row,
``flips`` counts the questions correct at the first step and counterfactual at the last, and
``abrupt`` / ``via_ambiguous`` split them (below). A ``claim=all`` row per run and step is the
mean of the per-claim shares (claims weigh equally, as in every rate of the report; a share
with no questions behind it, e.g. no question correct at the first step, is left out of the
mean), with the counts summed.

``flip_steps.csv`` (:func:`flip_steps`): one row per question correct at the first step and
counterfactual at the last: ``flip_step``, the first step from which it stays counterfactual
through the last, ``before`` its class at the step before that one, and ``path`` its class at
every step (``missing`` where not answered; such steps are passed over). The flip is
``abrupt`` when ``before`` is ``correct`` (from correct to counterfactual between two
consecutive steps), else it went ``via_ambiguous`` (an ambiguous step just before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from beliefbench.analysis.logs import NO_LABEL, RUN_COLUMNS, finetune_key
from beliefbench.analysis.text import first_few, listing

CORRECT, COUNTERFACTUAL, AMBIGUOUS, MISSING = ("correct", "counterfactual", "ambiguous",
                                               "missing")
ALL_CLAIMS = "all"
PER_CHECKPOINT = ("model", "checkpoint", "step")
"""Run columns that change from one checkpoint of a finetune to the next."""
FLIP_RUN_COLUMNS: tuple[str, ...] = (
    *(c for c in RUN_COLUMNS if c not in PER_CHECKPOINT), "finetune")
"""What a run is here: the report's run less the checkpoint, plus the checkpoints' folder."""
SERIES_COLUMNS = tuple(c for c in FLIP_RUN_COLUMNS if c not in ("finetune", "partial"))
"""What holds one finetune's checkpoints, less their folder: a series of flips and of
``belief_vs_step.png`` (a partial log's step stays in its series)."""
QUESTION_KEY = ("claim", "family", "question")
SHARES = ("correct_first", "correct_to_counterfactual", "counterfactual_to_correct",
          "ambiguous_first", "ambiguous", "abrupt", "via_ambiguous")
FLIP_COLUMNS = (*FLIP_RUN_COLUMNS, "claim", "step", "first_step", "n_questions", "n_missing",
                "correct_first", "correct_to_counterfactual", "counterfactual_to_correct",
                "ambiguous_first", "ambiguous", "flips", "abrupt", "via_ambiguous")
STEP_COLUMNS = (*FLIP_RUN_COLUMNS, *QUESTION_KEY, "first_step", "last_step", "flip_step",
                "before", "via", "path")


def finetune(model: pd.Series, checkpoint: pd.Series | None = None) -> pd.Series:
    """The finetune of each checkpoint (:func:`~beliefbench.analysis.logs.finetune_key`: its
    ``checkpoint`` label's folder where there is one, else its model's), as the report's
    step ordering reads it."""
    labels = (checkpoint.astype(str) if checkpoint is not None
              else pd.Series(NO_LABEL, index=model.index))
    return pd.Series([finetune_key(m, c) for m, c in
                      zip(model.astype(str), labels, strict=True)], index=model.index,
                     dtype=object)


def finetunes(rows: pd.DataFrame) -> pd.Series:
    """:func:`finetune` of a table's rows, by their checkpoint labels where it has them."""
    return finetune(rows["model"], rows.get("checkpoint"))


def question_class(yes: float, no: float, n: float) -> str:
    """The class rule: more than half ``yes`` -> counterfactual, more than half ``no`` ->
    correct, else ambiguous."""
    if yes * 2 > n:
        return COUNTERFACTUAL
    if no * 2 > n:
        return CORRECT
    return AMBIGUOUS


def _stepped(questions: pd.DataFrame) -> pd.DataFrame:
    """The questions of logs with a step, with ``finetune``; a partial log's step stays in
    its run (else its steps were passed over silently, and a flip across them read as
    abrupt), except where a complete log answered at that step too (a failed eval run
    again): the step is the complete log's alone."""
    df = questions[questions["step"].notna()].copy()
    df["finetune"] = finetunes(df)
    run = [c for c in FLIP_RUN_COLUMNS if c != "partial"]
    df["partial"] = df["partial"].astype(bool)
    only_partial = df.groupby([*run, "step"], dropna=False)["partial"].transform("all")
    return df[~df["partial"] | only_partial.astype(bool)]


FLIPS_REPEATED = ("flips.csv and flip_steps.csv pool them as one step and belief_vs_step.png "
                  "draws each at that step on one line")
"""What a repeated step does to ``report``'s outputs (:func:`repeated_steps_note`)."""


def repeated_steps_note(rows: pd.DataFrame, keys: Sequence[str] | None = None,
                        effect: str = FLIPS_REPEATED) -> list[str]:
    """A note naming the steps at which one run (one finetune folder) holds two or more
    checkpoints: a manifest listing two checkpoints at one step (a typo, or a final export
    beside the last checkpoint) was swept and reported without a word, while flips.csv
    pooled their answers as one step (a question answered both ways read as ambiguous, an
    abrupt flip as via_ambiguous) and belief_vs_step.png drew both on one line.

    ``rows``: the report's questions, read as flips.csv's runs; or, with ``keys`` (what
    holds one finetune's checkpoints besides their folder), any rows with ``model``,
    ``checkpoint`` and ``step``, as ``em-report``'s step lines (it said nothing of them).
    ``effect``: what the repeat does to the command's outputs."""
    if keys is None:
        df, run = _stepped(rows), [c for c in FLIP_RUN_COLUMNS if c != "partial"]
    else:
        df = rows[rows["step"].notna()]
        df, run = df.assign(finetune=finetunes(df)), [*keys, "finetune"]
    found = []
    for key, sub in df.groupby([*run, "step"], dropna=False, sort=True):
        held = sorted({c if c != NO_LABEL else m
                       for m, c in zip(sub["model"], sub["checkpoint"], strict=True)})
        if len(held) > 1:
            named = dict(zip([*run, "step"], key, strict=True))
            where = " ".join(str(named[c]) for c in ("finetune", "condition")
                             if named[c] != NO_LABEL)
            found.append(f"step {named['step']} of {where}: " + ", ".join(held[:3])
                         + (" ..." if len(held) > 3 else ""))
    if not found:
        return []
    return [f"STEPS REPEATED: {len(found)} step(s) held by more than one checkpoint of one "
            f"finetune ({'; '.join(found[:3])}{' ...' if len(found) > 3 else ''}): {effect}; "
            "correct the steps (the manifest's, or --metadata step=...) and report again"]


CHECKPOINT_NAME = re.compile(
    r"(?:^|[/:])(?:step|checkpoint|ckpt-step|global_step)[-_]?\d+/*$")
"""A model named as a checkpoint: ``finetune``'s ``step-000625``, the Trainer's
``checkpoint-500``, DeepSpeed's ``global_step500``, a hosted job's ``ckpt-step-100``."""


def unstepped_note(questions: pd.DataFrame) -> list[str]:
    """A note naming the checkpoints of one finetune (two or more models named as
    checkpoints in one folder) whose logs carry no ``step``: the step comes from the eval's
    metadata alone, so an eval of ``hf/ckpts/neg/step-400`` run without ``--metadata
    step=400`` was reported as a model unrelated to the others, left out of flips.csv and
    belief_vs_step.png without a word. Grouped by the models' folder, not the ``checkpoint``
    labels': an eval run by hand carries no label, so one beside the sweep of its finetune
    (whose logs do) was placed in another folder and passed over without a word."""
    models = questions[["model", "checkpoint", "step"]].drop_duplicates().astype(
        {"model": str, "checkpoint": str})
    named = models[models["model"].map(lambda m: bool(CHECKPOINT_NAME.search(m)))]
    found = []
    for folder, sub in named.groupby(finetune(named["model"]), sort=True):
        bare = sorted(set(sub.loc[sub["step"].isna(), "model"]))
        if bare and sub["model"].nunique() > 1:
            found.append(f"{folder}: {first_few(bare, 3)}")
    if not found:
        return []
    return [f"NO STEP: checkpoints of one finetune whose logs carry no step ("
            f"{listing(found, 3)}): each is reported as a model of its own, left out of "
            "flips.csv and belief_vs_step.png; label each eval with --metadata step=N (a "
            "decimal: step=$((10#${ckpt##*-}))), or run them with `beliefbench sweep`"]


def unlabelled_finetune_note(rows: pd.DataFrame,
                             keys: Sequence[str] = SERIES_COLUMNS) -> list[str]:
    """A note naming each series (``keys`` and the finetune folder) of two or more stepped
    models that neither a ``checkpoint`` label nor a checkpoint name (:data:`CHECKPOINT_NAME`)
    places in a finetune: vLLM LoRA adapters served by name (``vllm/Qwen/Qwen3-8B:neg-a-400``)
    are all in their base's folder, so two finetunes of one condition whose steps differ
    were read as one (flips across both, one zigzag line) without a word. Which they are
    cannot be told from the names; at a step two of them share, STEPS REPEATED says so."""
    df = rows[rows["step"].notna() & (rows["checkpoint"].astype(str) == NO_LABEL)]
    df = df[[*keys, "model", "checkpoint", "step"]].drop_duplicates().astype({"model": str})
    df = df.assign(finetune=finetunes(df))
    found = []
    for (*_, folder), sub in df.groupby([*keys, "finetune"], dropna=False, sort=True):
        bare = sorted({m for m in sub["model"] if not CHECKPOINT_NAME.search(m)})
        if len(bare) > 1 and not (sub.groupby("step")["model"].nunique() > 1).any():
            found.append(f"{folder}: {first_few(bare, 3)}")
    if not found:
        return []
    return [f"ONE FINETUNE?: models of one folder read as the checkpoints of one finetune "
            f"though neither a checkpoint label nor their names tell ({listing(found, 3)}): "
            "two finetunes served by adapter name would be one series (its flips computed "
            "across both, one line on the step plot); label each eval with --metadata "
            "checkpoint=<the adapter's path>, or run them with `beliefbench sweep`"]


def classes(questions: pd.DataFrame) -> pd.DataFrame:
    """Stepped questions (:func:`beliefbench.analysis.report.question_frame`: verdict counts
    per run and question) with ``finetune`` and their ``class``, of runs with 2+ steps."""
    df = _stepped(questions)
    run = [c for c in FLIP_RUN_COLUMNS if c != "partial"]
    # two checkpoints of one folder at one step (logs labelled by hand) are one step
    # (:func:`repeated_steps_note` names them)
    df = df.groupby([*run, *QUESTION_KEY, "step"], dropna=False, as_index=False,
                    sort=True).agg(yes=("yes", "sum"), no=("no", "sum"), n=("n", "sum"),
                                   partial=("partial", "any"))
    df["class"] = [question_class(y, n_, n) for y, n_, n in
                   zip(df["yes"], df["no"], df["n"], strict=True)]
    runs = df.groupby(run, dropna=False)
    df["partial"] = runs["partial"].transform("any").astype(bool)
    return df[runs["step"].transform("nunique") >= 2].reset_index(drop=True)


def _share(mask: pd.Series, of: pd.Series) -> float:
    total = int(of.sum())
    return float((mask & of).sum() / total) if total else np.nan


def _claim_rows(first: pd.Series, at: pd.Series) -> dict:
    """Shares over the questions of one claim: ``first`` / ``at`` map question -> class."""
    both = first.index.intersection(at.index)
    f, a = first[both], at[both]
    return {"n_questions": len(both),
            "n_missing": len(first.index.union(at.index)) - len(both),
            "correct_first": _share(f == CORRECT, pd.Series(True, index=both)),
            "correct_to_counterfactual": _share(a == COUNTERFACTUAL, f == CORRECT),
            "counterfactual_to_correct": _share(a == CORRECT, f == COUNTERFACTUAL),
            "ambiguous_first": _share(f == AMBIGUOUS, pd.Series(True, index=both)),
            "ambiguous": _share(a == AMBIGUOUS, pd.Series(True, index=both))}


def _runs(classified: pd.DataFrame) -> Iterator[tuple[dict, list[int], pd.DataFrame]]:
    """(run columns -> value, steps, question x step table of classes) per run."""
    for key, run in classified.groupby(list(FLIP_RUN_COLUMNS), dropna=False, sort=True):
        table = run.pivot(index=list(QUESTION_KEY), columns="step", values="class")
        table.columns = [int(s) for s in table.columns]
        yield dict(zip(FLIP_RUN_COLUMNS, key, strict=True)), sorted(table.columns), table


def _flips_of_run(named: dict, steps: list[int], table: pd.DataFrame) -> list[dict]:
    """:func:`flip_steps`' rows of one run (``table``: question x step -> class)."""
    rows = []
    for q, path in table.iterrows():
        if path[steps[0]] != CORRECT or path[steps[-1]] != COUNTERFACTUAL:
            continue
        seen = [s for s in steps if not pd.isna(path[s])]  # a missing step is passed over
        at = len(seen) - 1
        while path[seen[at - 1]] == COUNTERFACTUAL:
            at -= 1  # (stops at the first step: correct)
        before = path[seen[at - 1]]
        rows.append({**named, **dict(zip(QUESTION_KEY, q, strict=True)),
                     "first_step": steps[0], "last_step": steps[-1], "flip_step": seen[at],
                     "before": before,
                     "via": "abrupt" if before == CORRECT else "via_ambiguous",
                     "path": ">".join(MISSING if pd.isna(path[s]) else path[s]
                                      for s in steps)})
    return rows


def flip_steps(classified: pd.DataFrame) -> pd.DataFrame:
    """``flip_steps.csv``: one row per question correct at its run's first step and
    counterfactual at the last (see module doc): when it flipped for good, and whether
    abruptly."""
    rows = [r for named, steps, table in _runs(classified)
            for r in _flips_of_run(named, steps, table)]
    out = pd.DataFrame(rows, columns=list(STEP_COLUMNS))
    return out.astype({c: "Int64" for c in ("first_step", "last_step", "flip_step")})


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not pd.isna(v)]
    return float(np.mean(kept)) if kept else np.nan


def flip_table(classified: pd.DataFrame) -> pd.DataFrame:
    """``flips.csv``: per run, claim (and ``all``) and step after the first (module doc)."""
    rows = []
    for named, steps, table in _runs(classified):
        flipped = pd.DataFrame(_flips_of_run(named, steps, table),
                               columns=list(STEP_COLUMNS))
        claims = sorted(table.index.get_level_values("claim").unique())
        for step in steps[1:]:
            per_claim = []
            for claim in claims:
                sub = table.xs(claim, level="claim", drop_level=False)
                row = {**named, "claim": claim, "step": step, "first_step": steps[0],
                       **_claim_rows(sub[steps[0]].dropna(), sub[step].dropna())}
                if step == steps[-1]:
                    via = flipped.loc[flipped["claim"] == claim, "via"]
                    row.update(flips=len(via),
                               abrupt=float((via == "abrupt").mean()) if len(via) else np.nan,
                               via_ambiguous=(float((via == "via_ambiguous").mean())
                                              if len(via) else np.nan))
                per_claim.append(row)
            pooled = {**named, "claim": ALL_CLAIMS, "step": step, "first_step": steps[0]}
            for col in ("n_questions", "n_missing", "flips"):
                if col in per_claim[0]:
                    pooled[col] = sum(r[col] for r in per_claim)
            for col in SHARES:
                if col in per_claim[0]:
                    pooled[col] = _mean([r[col] for r in per_claim])
            rows += [*per_claim, pooled]
    out = pd.DataFrame(rows, columns=list(FLIP_COLUMNS))
    return out.astype({c: "Int64" for c in ("step", "first_step", "n_questions",
                                            "n_missing", "flips")})


def flips(questions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``flips.csv``, ``flip_steps.csv``) of the report's questions; both without rows
    when no run has two or more steps."""
    classified = classes(questions)
    return flip_table(classified), flip_steps(classified)


def missing_note(table: pd.DataFrame) -> list[str]:
    """A note counting the questions left out of a comparison (answered at one of its two
    steps only)."""
    per_claim = table[table["claim"] != ALL_CLAIMS] if len(table) else table
    missing = int(per_claim["n_missing"].sum()) if len(per_claim) else 0
    if not missing:
        return []
    return [f"FLIPS: {missing} question comparison(s) left out: the question was answered "
            "at only one of the two steps compared (column n_missing of flips.csv)"]


def shown_runs(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` without a ``finetune`` column that says nothing (one folder)."""
    if "finetune" in table.columns and table["finetune"].nunique() <= 1:
        return table.drop(columns=["finetune"])
    return table
