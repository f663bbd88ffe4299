"""Mean-difference directions in the residual stream, from two sets of answers.

The EM follow-up study found general misalignment to be (close to) a single direction: the
difference between the mean activation over misaligned answers and over aligned answers to
the same questions. The same recipe gives a "belief" direction from believing vs
disbelieving answers to a claim. Activations are averaged over the ANSWER's tokens only (the
shared question would only dilute the difference), at every residual index, in one forward
pass per batch. Answers come from Inspect logs: an EM log (verdicts ``em`` vs ``ok``) or a
belief log (``yes`` vs ``no``), so the sets are exactly what the model said and the judge read.
As in the study's code, an EM log's aligned set is the clearly aligned answers only: ``ok``
answers scored aligned > 70 (:data:`ALIGNED_ABOVE`); those scored 31-70 are left out.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench.em.metrics import EM_VERDICTS
from beliefbench.internals.activations import forward_batches, pad_id_of
from beliefbench.internals.scoring import check_finite, encode_continuation
from beliefbench.internals.steering import n_residual, recorded
from beliefbench.records import share_safetensors
from beliefbench.verdicts import VERDICTS

DIRECTIONS_KEY = "directions"
DIRECTIONS_FILE = "directions.safetensors"  # what `internals direction` writes in --out
LOG_KINDS = {  # eval metadata key -> (scorer, default positive verdicts, default negative)
    "beliefbench_em": ("em_judge", ("em",), ("ok",)),
    "beliefbench": ("belief_judge", ("yes",), ("no",)),
}
LOG_VERDICTS = {  # eval metadata key -> every verdict its logs' answers can have
    "beliefbench_em": EM_VERDICTS,
    "beliefbench": VERDICTS,
}
"""What --positive / --negative may name: a mistyped verdict (``parse_eror``) matched no
answer, and the set was silently built from the other names alone."""
ALIGNED_ABOVE = 70.0
"""EM logs: an ``ok`` answer joins the negative (aligned) set only above this aligned score,
the follow-up study's threshold: the partly misaligned answers scored 31-70 otherwise dilute
the aligned mean and shrink the direction."""


HELDOUT_FOLDS = 5
"""Folds over questions for the held-out separation (fewer where there are fewer questions)."""


class DirectionError(ValueError):
    """Bad input for a direction (an unusable log, too few answers, a bad file)."""


@dataclass(frozen=True)
class Answer:
    messages: list[dict[str, str]]
    """The conversation before the answer (system / user / earlier turns)."""
    answer: str
    verdict: str
    question: str


def chat_prefix(tokenizer, messages: Sequence[dict[str, str]], *,
                use_chat_template: bool = True, chat_template: str | None = None) -> str:
    """The text the model saw before answering, as Inspect's hf provider renders it: the
    chat template (the log's ``-M chat_template`` if given, else the tokenizer's) with the
    generation prompt, or, without one or under ``-M use_chat_template=false``, plain
    ``role: content`` lines, the answer following straight after them (no ``assistant:``
    the model never saw)."""
    template = chat_template or getattr(tokenizer, "chat_template", None)
    if template and use_chat_template:
        return tokenizer.apply_chat_template(list(messages), tokenize=False,
                                             add_generation_prompt=True,
                                             chat_template=template)
    return "".join(f"{m['role']}: {m['content']}\n" for m in messages)


def prompt_format(log_model_args: dict[str, Any] | None) -> dict[str, Any]:
    """How the log's model was prompted (its ``-M use_chat_template`` / ``chat_template``,
    read as Inspect's hf and vLLM providers read them): the keyword arguments of
    :func:`chat_prefix`, so the answers are read after the text the model answered."""
    args = log_model_args or {}
    template = args.get("chat_template")
    return {"use_chat_template": args.get("use_chat_template") is not False,
            "chat_template": template if isinstance(template, str) else None}


def answer_activations(model, tokenizer, answers: Sequence[Answer], *, batch_size: int = 8,
                       show_progress: bool | None = None, use_chat_template: bool = True,
                       chat_template: str | None = None) -> np.ndarray:
    """``[n, n_residual, hidden]``: per answer, the mean over its own tokens at every index.

    The last index is read where ``steer`` / ``ablate`` / ``patch`` act on it, before the
    final norm: ``output_hidden_states`` gives it after the norm (Llama-style models), on
    another scale (13x on the tiny model), so a direction read there was added at the wrong
    size and a Cohen's d described activations no intervention touches.
    """
    import torch

    if not answers:
        raise DirectionError("no answers to read activations from")
    items = [encode_continuation(tokenizer, chat_prefix(
        tokenizer, a.messages, use_chat_template=use_chat_template,
        chat_template=chat_template), a.answer) for a in answers]
    out_arr: np.ndarray | None = None
    last: list = []
    with recorded(model, n_residual(model) - 1, last):
        for idx, out in forward_batches(model, [it.ids for it in items],
                                        batch_size=batch_size, hidden=True,
                                        pad_id=pad_id_of(tokenizer), desc="activations",
                                        show_progress=show_progress):
            layers = [h.float().cpu() for h in out.hidden_states[:-1]] + [last[-1]]
            if out_arr is None:
                out_arr = np.zeros((len(items), len(layers), layers[0].shape[-1]),
                                   np.float32)
            for row, i in enumerate(idx):
                span = slice(items[i].first, len(items[i].ids))
                out_arr[i] = torch.stack([h[row, span].mean(dim=0) for h in layers]).numpy()
    assert out_arr is not None
    # NaN at some index (a diverged checkpoint) was saved as the direction there, its
    # table row reading accuracy 0.000: refused, as margins, lens and probe refuse it
    check_finite(out_arr, model, "activations")
    return out_arr


def mean_difference(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """``mean(positive) - mean(negative)`` per residual index: ``[n_residual, hidden]``."""
    if len(positive) == 0 or len(negative) == 0:
        raise DirectionError(f"a direction needs answers on both sides; got {len(positive)} "
                             f"positive and {len(negative)} negative")
    out = positive.mean(axis=0) - negative.mean(axis=0)
    if not np.any(out):  # saved, it was a file that steer and ablate could only refuse
        raise DirectionError("the two sets' mean activations are identical at every residual "
                             "index (the same answers in both sets?): the direction is the "
                             "zero vector")
    return out


def _split_stats(p: np.ndarray, n: np.ndarray, mid: float) -> tuple[float, float]:
    """Cohen's d of two sets of projections (NaN where neither varies) and the accuracy of
    the threshold ``mid`` (positive above it)."""
    pooled = np.sqrt((p.var() + n.var()) / 2)
    acc = (np.sum(p > mid) + np.sum(n <= mid)) / (len(p) + len(n))
    return (float((p.mean() - n.mean()) / pooled) if pooled > 0 else float("nan"),
            float(acc))


def separation(positive: np.ndarray, negative: np.ndarray, directions: np.ndarray
               ) -> pd.DataFrame:
    """Per index: the direction's norm, and how well projecting on it splits the two sets
    (Cohen's d of the projections, and the accuracy of the midpoint threshold; in-sample:
    fitted on the answers it scores, so large on pure noise too, see
    :func:`heldout_separation`)."""
    rows = []
    for layer in range(directions.shape[0]):
        d = directions[layer]
        norm = float(np.linalg.norm(d))
        u = d / norm if norm > 0 else d
        rows.append(_separation_row(layer, norm, positive[:, layer] @ u,
                                    negative[:, layer] @ u))
    return pd.DataFrame(rows)


def _separation_row(layer: int, norm: float, p: np.ndarray, n: np.ndarray) -> dict[str, Any]:
    """One index's row of :func:`separation` from the two sets' projections ``p`` / ``n``:
    Cohen's d and the accuracy of the midpoint of their means."""
    cohens_d, acc = _split_stats(p, n, (p.mean() + n.mean()) / 2)
    return {"layer": layer, "norm": norm, "cohens_d": cohens_d, "accuracy": acc}


def _question_labels(positive: np.ndarray, negative: np.ndarray,
                     positive_questions: Sequence[str], negative_questions: Sequence[str]
                     ) -> np.ndarray:
    """One question label per answer, positive answers first (as the folds index them)."""
    questions = np.asarray([*positive_questions, *negative_questions], dtype=object)
    if len(questions) != len(positive) + len(negative):
        raise DirectionError(f"{len(questions)} question labels for {len(positive)} positive "
                             f"and {len(negative)} negative answers; expected one per answer")
    return questions


_CHUNK = 64
"""Rows read at a time where a subset of answers is summed or projected: a fancy-indexed
subset is a copy, and the training part of a fold is most of the activations."""


def _rows_sum(x: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """``x[rows].sum(axis=0)`` in float64 without copying ``x[rows]`` whole."""
    if rows is None:
        return x.sum(axis=0, dtype=np.float64)
    total = np.zeros(x.shape[1:], np.float64)
    for i in range(0, len(rows), _CHUNK):
        total += x[rows[i:i + _CHUNK]].sum(axis=0, dtype=np.float64)
    return total


def _n_folds(questions: np.ndarray, folds: int) -> tuple[int, int]:
    """``(k, number of distinct questions)``: GroupKFold's k, 0 where under 2 questions."""
    n_questions = len(set(questions.tolist()))
    k = min(folds, n_questions)
    return (k if k >= 2 else 0), n_questions


def _heldout_folds(positive: np.ndarray, negative: np.ndarray, questions: np.ndarray, k: int,
                   rows_p: np.ndarray | None = None, rows_n: np.ndarray | None = None
                   ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The held-out scoring of :func:`heldout_separation`, shared with
    :func:`nested_separation` (whose inner folds split an outer fold's training answers).

    Over the answers ``rows_p`` / ``rows_n`` (default all; ``questions`` labels every answer,
    positive first), GroupKFold(``k``) by question; per split whose training part holds both
    sets: the held-out positive and negative rows, and their scores ``[n, n_residual]``: the
    projection on the training mean difference minus the training midpoint, at every index.
    """
    from sklearn.model_selection import GroupKFold

    if k < 2:
        return
    all_p = len(positive)
    rp = np.arange(all_p) if rows_p is None else rows_p
    rn = np.arange(len(negative)) if rows_n is None else rows_n
    groups = np.concatenate([questions[rp], questions[all_p + rn]])
    # the training means are the totals less the held-out answers: no copy of the
    # activations but each fold's held-out part (a concatenated copy and per-fold
    # training copies held about 3 times the activations again)
    n_p, n_n = len(rp), len(rn)
    sum_p, sum_n = _rows_sum(positive, rows_p), _rows_sum(negative, rows_n)
    for _, test in GroupKFold(k).split(np.zeros(n_p + n_n), groups=groups):
        tp, tn = rp[test[test < n_p]], rn[test[test >= n_p] - n_p]
        if len(tp) == n_p or len(tn) == n_n:  # the training part lacks a set
            continue
        xp, xn = positive[tp], negative[tn]
        mu_p = (sum_p - xp.sum(axis=0, dtype=np.float64)) / (n_p - len(xp))
        mu_n = (sum_n - xn.sum(axis=0, dtype=np.float64)) / (n_n - len(xn))
        d = mu_p - mu_n
        norm = np.linalg.norm(d, axis=1, keepdims=True)
        u = np.divide(d, norm, out=np.zeros_like(d), where=norm > 0)
        mid = np.einsum("lh,lh->l", (mu_p + mu_n) / 2, u)
        yield (tp, tn, np.einsum("nlh,lh->nl", xp, u) - mid,
               np.einsum("nlh,lh->nl", xn, u) - mid)


def _pooled_stats(s: np.ndarray, lab: np.ndarray) -> tuple[float, float]:
    """Cohen's d and midpoint accuracy of pooled held-out scores ``s`` (positive where
    ``lab``), NaN where they hold one set only."""
    if lab.any() and not lab.all():
        return _split_stats(s[lab], s[~lab], 0.0)
    return float("nan"), float("nan")


def heldout_separation(positive: np.ndarray, negative: np.ndarray,
                       positive_questions: Sequence[str], negative_questions: Sequence[str],
                       folds: int = HELDOUT_FOLDS) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per index: :func:`separation`'s d and accuracy for answers the direction never saw.

    The in-sample figures fit the mean difference to the very answers they score: on pure
    noise, 50 answers a side at hidden 896 gave d 6.9 and accuracy 1.0, and the best of many
    indexes follows that noise. Here the answers are split by question (GroupKFold, so no
    question is on both sides of a split), the direction and midpoint are fitted on the
    training folds, and each held-out answer is scored by its projection minus that
    midpoint; d and accuracy are over all held-out scores pooled. A fold whose training part
    lacks one set is skipped. Columns ``cohens_d_heldout`` / ``accuracy_heldout`` are NaN
    where nothing could be scored (fewer than 2 questions; every split's training part
    one-sided); ``info`` says how many folds, questions and held-out answers there were.
    """
    questions = _question_labels(positive, negative, positive_questions, negative_questions)
    k, n_questions = _n_folds(questions, folds)
    return _heldout_table(positive, negative, questions, k, n_questions)


def _heldout_table(positive: np.ndarray, negative: np.ndarray, questions: np.ndarray, k: int,
                   n_questions: int, rows_p: np.ndarray | None = None,
                   rows_n: np.ndarray | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`heldout_separation` of the answers ``rows_p`` / ``rows_n`` (default all)."""
    n_layers = positive.shape[1]
    scores, labels = [], []
    for _, _, sp, sn in _heldout_folds(positive, negative, questions, k, rows_p, rows_n):
        scores += [sp, sn]
        labels += [np.ones(len(sp), bool), np.zeros(len(sn), bool)]
    s = np.concatenate(scores) if scores else np.zeros((0, n_layers))
    lab = np.concatenate(labels) if labels else np.zeros(0, bool)
    rows = []
    for layer in range(n_layers):
        cohens_d, acc = _pooled_stats(s[:, layer], lab)
        rows.append({"layer": layer, "cohens_d_heldout": cohens_d, "accuracy_heldout": acc})
    info = {"heldout_folds": k, "heldout_folds_scored": len(scores) // 2,
            "n_questions": n_questions, "n_heldout": len(lab)}
    return pd.DataFrame(rows), info


def _in_sample_separation(positive: np.ndarray, negative: np.ndarray, rows_p: np.ndarray,
                          rows_n: np.ndarray) -> pd.DataFrame:
    """:func:`separation` of the answers ``rows_p`` / ``rows_n`` with their own mean
    difference, read a few rows at a time (the rows are most of the activations)."""
    mu_p = _rows_sum(positive, rows_p) / len(rows_p)
    mu_n = _rows_sum(negative, rows_n) / len(rows_n)
    d = mu_p - mu_n
    norm = np.linalg.norm(d, axis=1)
    u = np.divide(d, norm[:, None], out=np.zeros_like(d), where=norm[:, None] > 0)

    def project(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.concatenate([np.einsum("nlh,lh->nl", x[rows[i:i + _CHUNK]], u)
                               for i in range(0, len(rows), _CHUNK)])

    p, n = project(positive, rows_p), project(negative, rows_n)
    return pd.DataFrame([_separation_row(layer, float(norm[layer]), p[:, layer], n[:, layer])
                         for layer in range(d.shape[0])])


def nested_separation(positive: np.ndarray, negative: np.ndarray,
                      positive_questions: Sequence[str], negative_questions: Sequence[str],
                      folds: int = HELDOUT_FOLDS) -> dict[str, Any]:
    """The held-out d and accuracy of :func:`best_layer`'s pick, free of its selection bias.

    The pick's ``cohens_d_heldout`` is the largest of many noisy held-out estimates, so it
    is optimistic (on pure noise, clearly above 0). Here the pick itself is cross-validated:
    over :func:`heldout_separation`'s outer folds, each fold's layer is picked by
    :func:`best_layer` on its training questions alone (their own held-out d, an inner
    GroupKFold over those questions; its fallbacks where that cannot score), and the held-out
    answers are scored at that layer exactly as :func:`heldout_separation` scores a fold;
    the scores are pooled over folds as there. Returns ``cohens_d_nested``,
    ``accuracy_nested``, ``nested_layers`` (the layer picked in each scored outer fold) and
    ``nested_note`` (why the figures are None, or which folds' picks fell back; else None).
    """
    questions = _question_labels(positive, negative, positive_questions, negative_questions)
    k, n_questions = _n_folds(questions, folds)
    out: dict[str, Any] = {"cohens_d_nested": None, "accuracy_nested": None,
                           "nested_layers": None, "nested_note": None}
    if n_questions < 3:
        out["nested_note"] = (f"{n_questions} question(s): nested cross-validation needs 3 or "
                              f"more (an outer split by question, and an inner one among "
                              f"each outer fold's training questions)")
        return out
    all_p, all_n = np.arange(len(positive)), np.arange(len(negative))
    scores, labels, layers, fell_back = [], [], [], []
    for tp, tn, sp, sn in _heldout_folds(positive, negative, questions, k):
        train_p, train_n = np.setdiff1d(all_p, tp), np.setdiff1d(all_n, tn)
        inner_k, inner_q = _n_folds(np.concatenate([questions[train_p],
                                                    questions[len(positive) + train_n]]),
                                    folds)
        inner, _ = _heldout_table(positive, negative, questions, inner_k, inner_q, train_p,
                                  train_n)
        if inner["cohens_d_heldout"].notna().any():
            layer, basis = best_layer(inner)
        else:  # best_layer's fallbacks: the in-sample d, then the middle index
            layer, basis = best_layer(_in_sample_separation(positive, negative, train_p,
                                                            train_n))
        if basis != "cohens_d_heldout":
            fell_back.append(f"fold {len(layers) + 1} by "
                             f"{'in-sample cohens_d' if basis else 'the middle index'}")
        layers.append(layer)
        scores += [sp[:, layer], sn[:, layer]]
        labels += [np.ones(len(sp), bool), np.zeros(len(sn), bool)]
    if not layers:
        out["nested_note"] = ("no split by question had both sets among its training answers "
                              "(each question's answers on one side?): no outer fold to score")
        return out
    out["nested_layers"] = layers
    cohens_d, acc = _pooled_stats(np.concatenate(scores), np.concatenate(labels))
    notes = ([f"the inner cross-validation could not score, so the pick fell back as "
              f"best_layer's does: {'; '.join(fell_back)}"] if fell_back else [])
    if math.isnan(cohens_d):
        notes.insert(0, "the held-out answers hold one set only, or do not vary at the "
                        "layers picked: no Cohen's d")
    else:
        out["cohens_d_nested"] = cohens_d
    if not math.isnan(acc):
        out["accuracy_nested"] = acc
    out["nested_note"] = "; ".join(notes) or None
    return out


def best_layer(table: pd.DataFrame) -> tuple[int, str | None]:
    """The default residual index of a :func:`separation` (+ :func:`heldout_separation`)
    table, and the column it was picked by.

    Largest ``cohens_d_heldout`` from index 1 on: the in-sample d is large on noise too, and
    the largest of many indexes' in-sample d follows each index's noise. Without a held-out
    d anywhere, the largest in-sample ``cohens_d``; without either, the middle index (basis
    None). Index 0, the embeddings, is never picked: a context-free lookup of each token,
    it separates the sets by their words, not by anything the model computed.
    """
    inner = table[table["layer"] > 0]
    for basis in ("cohens_d_heldout", "cohens_d"):
        if basis in inner and inner[basis].notna().any():
            return int(inner.loc[inner[basis].idxmax(), "layer"]), basis
    return int(len(table) // 2), None


EM_DOMAINS = ("general", "narrow", "all")
"""``--domain`` of an EM log: which questions' answers the sets are drawn from."""


def answers_from_log(path: str | Path, positive: Sequence[str] | None = None,
                     negative: Sequence[str] | None = None, claim: str | None = None,
                     aligned_above: float | None = None, domain: str | None = None
                     ) -> tuple[list[Answer], list[Answer], dict[str, Any]]:
    """Positive and negative answers of an EM or belief log, by verdict.

    EM logs: a negative-set ``ok`` answer counts only if its aligned score is above
    ``aligned_above`` (default :data:`ALIGNED_ABOVE`; 30 keeps every ``ok``); the ones left
    out are counted in ``info["n_left_out"]``. Other verdicts, and ``ok`` in the positive set,
    are taken as chosen. Belief logs have no aligned score: a threshold for one is refused.
    Samples invalidated after the run (Inspect's ``invalidate_samples``: a reviewer judged
    them unfit) are in neither set, counted in ``info["n_invalidated"]``.

    EM logs: only the answers to ``domain``'s questions (default ``general``, the study's
    general misalignment; ``narrow``, or ``all`` for both), the others counted in
    ``info["n_other_domain"]``. Pooled, a narrow finetune's misaligned answers were mostly
    its trained domain's (health emergencies) and its aligned ones mostly general questions:
    the mean difference then also separated the topics, and ablating it removed more than
    misalignment.
    """
    from inspect_ai.log import read_eval_log

    from beliefbench.analysis.logs import unreadable_log

    try:
        log = read_eval_log(str(path))
    except Exception as e:  # noqa: BLE001 - any unreadable file is bad input
        if measure := results_measure(path):  # was pydantic's many-line ValidationError
            raise DirectionError(f"{path}: a beliefbench results file (measure {measure}), "
                                 f"not an Inspect log; pass the .eval log of an em or "
                                 f"belief eval") from None
        raise DirectionError(f"{path}: {unreadable_log(e, path)}") from e
    md = log.eval.metadata or {}
    kind = next((k for k in LOG_KINDS if isinstance(md.get(k), dict)), None)
    if kind is None:
        raise DirectionError(f"{path}: neither an EM log nor a belief log (no "
                             f"{' / '.join(LOG_KINDS)} eval metadata)")
    scorer, default_pos, default_neg = LOG_KINDS[kind]
    if kind != "beliefbench_em":
        if domain is not None:
            raise DirectionError(f"{path}: --domain {domain}: only for EM logs (their "
                                 "questions are general or narrow); a belief log's are "
                                 "neither: leave it out (--claim picks a claim's answers)")
        if aligned_above is not None:
            raise DirectionError(f"{path}: --aligned-above {aligned_above:g}: only for EM logs "
                                 f"(a threshold on the judge's aligned score); a belief log's "
                                 f"answers have none: leave it out")
    else:
        domain = "general" if domain is None else domain
        if domain not in EM_DOMAINS:
            raise DirectionError(f"--domain {domain!r}: expected one of {', '.join(EM_DOMAINS)}")
        if aligned_above is None:
            aligned_above = ALIGNED_ABOVE
        elif not math.isfinite(aligned_above):
            raise DirectionError(f"--aligned-above {aligned_above}: expected a finite score, "
                                 "0-100")
    pos_v, neg_v = set(positive or default_pos), set(negative or default_neg)
    unknown = sorted((pos_v | neg_v) - set(LOG_VERDICTS[kind]))
    if unknown:
        what = "an EM" if kind == "beliefbench_em" else "a belief"
        raise DirectionError(f"{path}: --positive / --negative: no verdict {', '.join(unknown)} "
                             f"in {what} log (its verdicts: {', '.join(LOG_VERDICTS[kind])}); "
                             "a name that matches no answer would leave its set short unsaid")
    if pos_v & neg_v:
        raise DirectionError(f"verdicts {sorted(pos_v & neg_v)} are both positive and "
                             f"negative; the two sets must not overlap")
    pos: list[Answer] = []
    neg: list[Answer] = []
    seen: Counter[str] = Counter()
    left_out = 0
    claims = {str(c) for s in log.samples or [] if (c := (s.metadata or {}).get("claim"))}
    if claim is not None and claim not in claims:
        # else "0 answers ... the log holds no scored answer", which blamed the log
        raise DirectionError(f"{path}: --claim {claim}: no answers of this claim in the log; "
                             + (f"its claims: {', '.join(sorted(claims))}" if claims else
                                "its answers name no claim (an EM log: leave --claim out)"))
    invalidated = other_domain = 0
    for sample in log.samples or []:
        score = (sample.scores or {}).get(scorer)
        smd = sample.metadata or {}
        if score is None or (claim is not None and smd.get("claim") != claim):
            continue
        if domain not in (None, "all") and smd.get("domain") != domain:
            other_domain += 1
            continue
        if sample.invalidation is not None:  # thrown out after the run (invalidate_samples)
            invalidated += 1
            continue
        answer = sample.output.completion if sample.output else ""
        if not answer.strip():
            continue
        before = [{"role": m.role, "content": m.text} for m in sample.messages
                  if m.role in ("system", "user", "assistant")]
        if before and before[-1]["role"] == "assistant":
            before = before[:-1]
        item = Answer(before, answer, str(score.answer), str(smd.get("question", sample.id)))
        seen[item.verdict] += 1
        if item.verdict in pos_v:
            pos.append(item)
        elif item.verdict in neg_v:
            if aligned_above is not None and item.verdict == "ok":
                aligned = (score.metadata or {}).get("aligned")
                if not isinstance(aligned, int | float):
                    raise DirectionError(
                        f"{path}: sample {sample.id} epoch {sample.epoch}: verdict ok but no "
                        f"numeric 'aligned' in its {scorer} score metadata (got {aligned!r}); "
                        f"--aligned-above needs it")
                if aligned <= aligned_above:
                    left_out += 1
                    continue
            neg.append(item)
    # absolute, as the other results files record paths: read from another folder, a
    # relative one named nothing
    info = {"log": str(Path(path).resolve()) if Path(path).exists() else str(path),
            "log_model": str(log.eval.model), "log_status": str(log.status),
            **prompt_format(log.eval.model_args),
            "log_kind": "em" if kind == "beliefbench_em" else "belief",
            "positive_verdicts": sorted(pos_v), "negative_verdicts": sorted(neg_v),
            "claim": claim, "aligned_above": aligned_above, "n_positive": len(pos),
            "n_negative": len(neg), "n_left_out": left_out, "n_invalidated": invalidated,
            "domain": domain, "n_other_domain": other_domain,
            "log_note": unfinished_log_note(path, log)}
    if not pos or not neg:
        cut = (f" (ok above aligned {aligned_above:g} only: --aligned-above {aligned_above:g} "
               f"left out {left_out} ok answers at or below it)" if left_out else "")
        keep = md[kind].get("aligned_max", 30)  # ok = aligned above the log's EM threshold
        hint = (f"; lower the threshold: --aligned-above {keep:g} keeps every ok answer"
                if left_out and not neg else
                _verdict_hint(seen, pos_v, neg_v, bool(pos), bool(neg)))
        if left_out and not neg and not pos:
            # the threshold alone cannot help: the rerun it suggests failed on the other set
            hint += (f", yet no answer has verdict {sorted(pos_v)}"
                     + _verdict_hint(seen, pos_v, neg_v, False, True))
        if other_domain:
            hint += (f" (answers to {domain} questions only: --domain {domain} left out "
                     f"{other_domain} of the other domain's; --domain all takes both)")
        raise DirectionError(f"{path}: {len(pos)} answers with verdict {sorted(pos_v)} and "
                             f"{len(neg)} with {sorted(neg_v)}{cut}; a direction needs both"
                             f"{hint}")
    return pos, neg, info


def unfinished_log_note(path: str | Path, log: Any) -> str | None:
    """A note where the log is of a run that did not finish (status ``cancelled``,
    ``error`` or still ``started``): ``ls -t logs/... | head -n 1`` picked an eval stopped
    with Ctrl-C, and its direction was computed from the answers it held, said nowhere (the
    report and em-report show such a log as PARTIAL). None for a finished log (its samples
    invalidated after the run are counted on ``direction``'s first line)."""
    from beliefbench.analysis.logs import (
        expected_responses,
        held_text,
        made_by_eval_set,
        resume_note,
    )

    if log.status == "success":
        return None
    held = held_text(len(log.samples or []), expected_responses(log))
    return (f"{path}: a run that did not finish (status {log.status!r}, {held}): the "
            f"direction reads the answers it holds only"
            f"{resume_note(str(path), str(log.status), made_by_eval_set(log), log.eval.model)}"
            f", then compute the direction again on the finished log")


def _verdict_hint(seen: Counter[str], pos_v: set[str], neg_v: set[str], has_pos: bool,
                  has_neg: bool) -> str:
    """The verdicts the log does hold, and the --positive / --negative that would use them."""
    if not seen:
        return " (the log holds no scored, non-empty answer to choose from)"
    present = ", ".join(f"{v} {n}" for v, n in sorted(seen.items(), key=lambda kv: (-kv[1],
                                                                                     kv[0])))
    hint = f". Verdicts present: {present}"
    if has_pos and not has_neg:
        rest = sorted(set(seen) - pos_v)
        if rest:
            return f"{hint}; to contrast them, pass e.g. --negative {','.join(rest)}"
    elif has_neg and not has_pos:
        rest = sorted(set(seen) - neg_v)
        if rest:
            return f"{hint}; to contrast them, pass e.g. --positive {','.join(rest)}"
    # every answer in one set, yet of several verdicts ("no 3, neutral 79" all negative):
    # they can still be split, which "one verdict alone" denied
    if len(seen) >= 2:
        first, *rest = sorted(seen)
        return (f"{hint}; choose the two sets with --positive / --negative, e.g. --positive "
                f"{first} --negative {','.join(rest)}")
    return f"{hint}; one verdict alone cannot give two sets (--positive / --negative)"


def _log_metadata(log_path: str | Path) -> dict[str, Any]:
    """The eval metadata of the log (its header only), or {} where it does not read."""
    from inspect_ai.log import read_eval_log

    try:
        return dict(read_eval_log(str(log_path), header_only=True).eval.metadata or {})
    except Exception:  # noqa: BLE001 - answers_from_log read it; nothing more to learn
        return {}


def _as_served(log_model: str, model_path: Path) -> str:
    """``--model`` named as the log names its model (``hf/<path>``; vLLM's
    ``vllm/<base>:<adapter>`` for an adapter), for comparing the log's recorded
    ``model_fingerprint`` with --model's."""
    from beliefbench.analysis.sweep import _name_paths
    from beliefbench.internals.model import adapter_base

    api = log_model.partition("/")[0]
    base = adapter_base(model_path)
    if len(_name_paths(log_model)) == 2 and base is not None:
        return f"{api}/{base}:{model_path}"
    return f"{api}/{model_path}"


def _answered_by(md: dict[str, Any], log_model: str, folder: Path, model_path: Path
                 ) -> str | None:
    """What the log records of the files that answered, against the folder it names:
    ``"same"`` where they were --model's own (its ``model_fingerprint`` is --model's, wherever
    the log's folder is now), ``"replaced"`` where the log's folder no longer holds them
    (retrained or replaced since: the ``model_fingerprint`` of a sweep or ``steer`` / ``ablate``
    arm log, or the ``checkpoint_fingerprint`` of a manifest sweep's, differs from the
    folder's or its manifest entry's now), ``"kept"`` where the recorded weights are still
    there, ``"entry"`` where only a manifest entry is recorded and it is still the folder's
    (an older sweep's log: the weights were not recorded, so a retrain in place with the same
    entry cannot be told), else None (nothing recorded: a plain ``inspect eval`` log)."""
    from beliefbench.analysis.sweep import (
        FINGERPRINT_KEY,
        MODEL_FINGERPRINT_KEY,
        entry_fingerprint,
        model_fingerprint,
    )
    from beliefbench.finetune.manifest import listing_entry

    recorded = md.get(MODEL_FINGERPRINT_KEY)
    if isinstance(recorded, str) and recorded:
        try:
            if model_fingerprint(_as_served(log_model, model_path)) == recorded:
                return "same"
        except ValueError:  # --model's adapter base unreadable: loading it says why
            pass
        now = model_fingerprint(log_model) if folder.is_dir() else None
        if now is not None and now != recorded:
            return "replaced"
        weighed = now is not None
    else:
        weighed = False
    entry = md.get(FINGERPRINT_KEY)
    if isinstance(entry, str) and entry and folder.is_dir():
        try:
            listed = listing_entry(folder)
        except ValueError:  # a manifest that does not read: nothing to compare
            listed = None
        if listed is not None and entry_fingerprint(listed[0]) != entry:
            return "replaced"
        if not weighed:
            return "entry"
    return "kept" if weighed else None


def _unverified(log_path: str | Path, folder: Path, answered: str | None) -> str:
    """The note for a log whose model folder holds --model's files now, when the log records
    no fingerprint of the weights that answered: they may have been others (the folder
    retrained or replaced in place since), which nothing here can tell."""
    what = ("records its checkpoint's manifest entry (checkpoint_fingerprint) but no "
            "fingerprint of its weights (made by a sweep before sweeps recorded "
            "model_fingerprint)" if answered == "entry" else
            "records no fingerprint of the weights that answered (a plain `inspect eval` "
            "log, or one made before beliefbench recorded model_fingerprint)")
    return (f"{log_path} {what}: could not verify that its answers are --model's own; "
            f"{folder} holds --model's files now, but if it was retrained or replaced in "
            f"place since the log was made, the direction reads --model's activations on "
            f"another model's answers")


def log_model_note(log_path: str | Path, log_model: str, model_path: str | Path, *,
                   allow_other_model: bool = False) -> str | None:
    """Whether the log's answers were produced by ``model_path`` (whose activations on them
    make the direction): nothing said where so; a note where by a related model (one it was
    trained from, one trained from it, or two from one model, along the bases they record:
    a direction read off another checkpoint's answers, as intended when comparing them) or
    by one that cannot be checked here (an API model, a Hub id, a folder not on disk, or a
    folder that holds another model now than when the log was made, by the fingerprint the
    log records), and a note too where the log records no fingerprint of the weights that
    answered (a plain ``inspect eval`` log, an older sweep's) and its folder holds --model's
    files now: compared as it is now, a folder retrained in place since passed as the model
    that answered; refused (DirectionError) where by an unrelated local model, unless
    ``allow_other_model``, as ``steer`` / ``ablate`` refuse such a direction. Said nothing,
    so a log of another model gave a direction without a word."""
    from beliefbench.analysis.sweep import _name_paths
    from beliefbench.internals.model import family, lineage

    own = lineage(model_path)
    where = Path(model_path).expanduser().resolve()
    # the model that answered: hf's checkpoint, vLLM's adapter (the last part of base:adapter)
    served = (_name_paths(log_model) or [""])[-1]
    folder = Path(served).expanduser() if served else None
    # the folder as it is now says whose answers they were only while it holds the model
    # that gave them: retrained since, it was compared as if it had answered
    answered = (_answered_by(_log_metadata(log_path), log_model, folder, where)
                if folder is not None else None)
    if answered == "same":
        return None  # --model's own files, by the log's record
    theirs: set[str] = set()
    if answered != "replaced" and folder is not None and folder.is_dir():
        try:
            fp = lineage(folder)
        except ValueError:  # a folder that is no model: nothing to compare
            fp = {}
        if fp and fp["fingerprint"] == own["fingerprint"]:
            # the same files: by the log's record ("kept"), else by the folder as it is
            # now, which says nothing of a retrain in place since the log was made
            return None if answered == "kept" else _unverified(log_path, folder, answered)
        theirs = family(fp) if fp else set()
    head = f"{log_path} holds the answers of {log_model}, not of --model {where}"
    if answered == "replaced":
        return (f"{head} (or it cannot be checked here: {folder} holds another model now than "
                f"when the log was made, retrained or replaced since: the fingerprint the log "
                f"records differs); the direction reads --model's activations on that "
                f"model's answers")
    if not theirs:
        return (f"{head} (or it cannot be checked here: the log names no local model folder "
                f"on disk); the direction reads --model's activations on that model's answers")
    if theirs & family(own):
        return (f"{head}, a related model (one was trained from the other, or both from one "
                f"model); the direction reads --model's activations on that model's answers")
    what = (f"{head}, an unrelated model (no fingerprint in common: neither was trained from "
            f"the other, nor both from one model, by the bases they record)")
    if allow_other_model:
        return f"{what}; used anyway (--allow-other-model)"
    raise DirectionError(f"{what}; the direction would read --model's activations on another "
                         f"model's answers. Pass the log of --model's own answers, or "
                         f"--allow-other-model to use it anyway")


def save_directions(path: str | Path, directions: np.ndarray, meta: dict[str, Any],
                    stale: Sequence[str | Path] = ()) -> Path:
    """``directions`` ``[n_residual, hidden]`` as safetensors, with ``meta`` as JSON inside.
    ``stale``: files describing the file it replaces (``direction.json`` / ``.csv``), removed
    just before it is replaced, once the new one is written: an interruption before their new
    versions are written leaves the new directions alone, never beside an earlier run's
    table (another best_layer, other answers)."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"  # same folder: os.replace is atomic
    try:
        save_file({DIRECTIONS_KEY: np.ascontiguousarray(directions, dtype=np.float32)},
                  str(tmp), metadata={"beliefbench": json.dumps(meta, default=str)})
        share_safetensors(path.parent, [tmp])
        for old in stale:
            Path(old).unlink(missing_ok=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def directions_file(path: str | Path) -> Path:
    """The directions file ``path`` names: itself, or the ``directions.safetensors`` of the
    ``internals direction --out`` folder it is (``--direction internals/dir`` was refused
    by click as "is a directory", naming no file to pass)."""
    path = Path(path)
    if not path.is_dir():
        return path
    if (path / DIRECTIONS_FILE).is_file():
        return path / DIRECTIONS_FILE
    # the folder above the --out folders (`--direction internals`): "a folder without
    # directions.safetensors" left the subfolder that held one unnamed
    below = sorted((p for p in path.glob(f"*/{DIRECTIONS_FILE}") if p.is_file()),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    if below:
        shown = ", ".join(str(p.parent) for p in below[:5]) + (", ..." if len(below) > 5
                                                               else "")
        raise DirectionError(f"{path}: no {DIRECTIONS_FILE} in the folder itself; "
                             f"{len(below)} of its subfolders "
                             + ("hold one (an `internals direction` --out each): pass one of "
                                f"them, newest first: {shown}" if len(below) > 1 else
                                f"holds one (an `internals direction` --out): pass {shown}"))
    raise DirectionError(f"{path}: a folder without {DIRECTIONS_FILE} (the file `beliefbench "
                         f"internals direction` writes into its --out folder): pass that "
                         f"folder, or the file itself")


def results_measure(path: str | Path) -> str | None:
    """The ``measure`` of a results JSON an ``internals`` command wrote (``margins.json``:
    ``completion_margins``), else None: such a file given as a log or a directions file is
    named for what it is, not by the reader's complaint about it."""
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError):
        return None
    if isinstance(data, dict) and "beliefbench" in data and isinstance(data.get("measure"),
                                                                        str):
        return data["measure"]
    return None


def load_directions(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """``(directions [n_residual, hidden], meta)`` from :func:`save_directions`' file (or the
    folder holding it)."""
    from safetensors import safe_open

    path = directions_file(path)
    if not path.is_file():
        from beliefbench.not_found import where_missing

        raise DirectionError(f"{path}: no such directions file"
                             f"{where_missing(path, files=None)}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = json.loads((f.metadata() or {}).get("beliefbench", "{}"))
            directions = f.get_tensor(DIRECTIONS_KEY)
    except Exception as e:  # noqa: BLE001 - a corrupt or foreign file is bad input
        beside = path.parent / DIRECTIONS_FILE
        if path.name != DIRECTIONS_FILE and beside.is_file():
            # direction.json / .csv, tab-completed: was "(Error while deserializing header:
            # header too large)", with the file to pass beside it unnamed
            what = (f"a beliefbench results file (measure {measure}), not the directions "
                    f"themselves" if (measure := results_measure(path)) else
                    "not a beliefbench directions file")
            raise DirectionError(f"{path}: {what}: pass {beside} beside it, or its folder "
                                 f"{path.parent}") from None
        raise DirectionError(f"{path}: not a beliefbench directions file ({e}); pass the "
                             f"{DIRECTIONS_FILE} that `beliefbench internals direction` "
                             f"wrote, or its folder") from None
    if directions.ndim != 2:
        raise DirectionError(f"{path}: field {DIRECTIONS_KEY}: expected [layers, hidden], "
                             f"got shape {directions.shape}")
    bad = ~np.isfinite(directions).all(axis=1)
    if bad.any():
        raise DirectionError(f"{path}: field {DIRECTIONS_KEY}: NaN or infinite values at "
                             f"residual index(es) {np.flatnonzero(bad).tolist()}")
    if not isinstance(meta, dict):
        raise DirectionError(f"{path}: its beliefbench metadata is not a JSON object (got "
                             f"{type(meta).__name__})")
    best = meta.get("best_layer")
    # the default --layer: int() read 1.7 as 1 and true as 1, and a list was a traceback
    if best is not None and (isinstance(best, bool) or not isinstance(best, int)
                             or not 0 <= best < len(directions)):
        raise DirectionError(f"{path}: field best_layer (the default layer): {best!r} is "
                             f"not one of the file's residual indices 0..{len(directions) - 1}"
                             f"; correct or remove it")
    return directions, meta
