"""Belief logs -> one row per response, with the run each response came from.

Logs are read with Inspect's own APIs (``list_eval_logs``, ``read_eval_log`` for headers,
``inspect_ai.analysis.samples_df`` for samples). A belief log is one whose eval metadata
holds the ``beliefbench`` key the belief task writes; anything else is rejected by name.

Where the run labels come from (all from the eval's metadata, ``log.eval.metadata``):

* ``model``: the model under test (``log.eval.model``, with the checkpoint ``-M model_path``
  loads, :func:`~beliefbench.analysis.runs.model_of`);
* ``judge``, ``settings``: the judge and the task settings that change a number
  (:mod:`beliefbench.analysis.runs`); ``run`` is a short label of the fields that differ
  between the logs read together (``-`` when they all agree);
* ``checkpoint``, ``condition``, ``step``: the eval metadata keys of those names. ``beliefbench
  sweep`` writes them from the checkpoint manifest; for a hand-run eval add them with
  ``inspect eval ... --metadata condition=negated --metadata step=400``.

Status rules: a log whose status is not ``success`` (error, cancelled, started) is PARTIAL.
``eval-retry`` (and ``eval_set``'s retries) keep the eval's ``task_id``, so a partial log whose
task has a later log is *superseded* and skipped (listed in the notes); otherwise it is kept
with ``partial=True``, which every table groups by, so partial data never pools with
complete data. A ``success`` log holding fewer responses than its dataset calls for (dataset
samples x epochs: run with ``--limit`` or ``--sample-id``) is INCOMPLETE: noted by ``report``,
refused by ``gate``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import math
import os
import posixpath
import re
import shlex
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from inspect_ai.analysis import SampleColumn, samples_df
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from beliefbench.analysis.runs import (
    FINAL_KEY,
    MODEL_FINGERPRINT_KEY,
    MOVED_KEY,
    NONE,
    SAMPLE_LIMITS,
    SELF_JUDGED,
    TASK_KEY,
    UNKNOWN,
    RunKey,
    differing_fields,
    distinct_values,
    grouping_key,
    model_of,
    relative_model_path,
    run_key,
    run_labels,
)
from beliefbench.analysis.text import EMPTY_PATH, first_few, listing
from beliefbench.arguments import NoHomeFolder
from beliefbench.metrics import RUN_COLUMNS, VERDICTS
from beliefbench.not_found import where_missing
from beliefbench.resources import home_expanded
from beliefbench.scorer import INFRASTRUCTURE
from beliefbench.solver import GENERATION_TRUNCATED
from beliefbench.wording import first_line

SCORER = "belief_judge"
PARALLEL_FROM = 8
"""Read this many logs or more with samples_df's process pool."""
NO_LABEL = NONE
"""Shown for a run label (checkpoint, condition) the log does not carry."""
MAX_NO_ANSWER = 0.10
"""Default largest share of responses with no answer text (empty generations) in a run:
above it ``gate`` refuses the side (``--max-no-answer``), and ``report`` and ``sweep`` warn.
Counted as ``failed`` (non-belief), a model that says nothing would read as a skeptic."""
MAX_PARSE_ERRORS = 0.10
"""Default largest share of unreadable responses (``parse_error``: a judge reply, or a binary
answer, that could not be read) in a run: above it ``gate`` refuses the side
(``--max-parse-errors``) and ``report`` warns. A model that declines the binary format now
and then stays under it; garbled output, or a wrong grader, does not."""
MAX_CUT_OFF = 0.10
"""Largest share of answers cut off at max_tokens (``generation_truncated``) in a run before
``report`` and ``gate`` say so: such answers are judged as they stand, so a belief the model
would have stated after the cut is lost and reads as non-belief."""
SHARE_SLACK = 1e-9
"""Floating-point slack when a share is compared with its budget."""
READ_VERDICTS: tuple[str, ...] = ("yes", "no", "neutral")
"""The verdicts that are a reading of an answer (the others: parse_error, failed)."""


BELIEF_UNREAD: dict[str, str] = {"parse_error": "parse error(s)", "failed": "failed"}
"""The belief verdicts that are no reading, as :func:`unread_counts` words them."""
NEITHER_WAY: dict[str, str] = {"neutral": "neutral", **BELIEF_UNREAD}
"""The belief verdicts that take no side (a reading, ``neutral``, or none), as
:func:`unread_counts` words them."""


def read_either_way(counts: Mapping[str, float]) -> bool:
    """Whether any response behind ``counts`` (responses per verdict: a ``value_counts`` of
    verdicts, or a question table's columns summed) was read as belief or disbelief (``yes``
    or ``no``). None was (every one ``neutral``, a parse error or failed): no answer took a
    side, so the belief rate is 0 whatever the model believes; ``gate`` refuses such a side
    and ``report`` warns ``READ NEITHER WAY``."""
    return any(counts.get(v, 0) > 0 for v in ("yes", "no"))


def unread_counts(verdicts: pd.Series, kinds: Mapping[str, str] = BELIEF_UNREAD) -> str:
    """How many of ``verdicts`` are not a reading (:data:`READ_VERDICTS`), by kind, in words:
    ``N parse error(s), M failed`` (``kinds``: each such verdict and its words; the EM
    report's are ``no_score`` and ``failed``)."""
    return ", ".join(f"{int((verdicts == kind).sum())} {words}" for kind, words in kinds.items())


SCRIPTED_PROVIDER = "beliefbench/"
"""The offline scripted models (``beliefbench/believer``, ``skeptic``, ``aligned``,
``misaligned``, ``judge``, ``verifier``): a pipeline check, never a result."""


HOSTED_STEP = re.compile(r"(/ft:[^/]*?)(?::ckpt-step-\d+)$")
"""A hosted finetune's intermediate checkpoint (``openai/ft:<job's model>:ckpt-step-N``)."""


def finetune_of(model: str) -> str:
    """The finetune a checkpoint belongs to, what keeps its steps one series: the folder
    holding a local checkpoint (the model less its last path part), or, for a hosted job's
    checkpoint, the job's final model id (its checkpoints' ids are that id plus
    ``:ckpt-step-N``). The folder of a hosted checkpoint is the provider alone (``openai``),
    which every hosted run shares: two jobs of one condition read as one trajectory."""
    if "/ft:" in model:
        return HOSTED_STEP.sub(r"\1", model)
    # hf/ckpts/neg/step-400/ (a completed path) is in ckpts/neg, C:\ckpts\neg\step-400 in
    # C:\ckpts\neg (else every Windows checkpoint was one finetune: the provider)
    model = model.rstrip("/\\")
    cut = max(model.rfind("/"), model.rfind("\\"))
    return model[:cut] if cut > 0 else model


def finetune_key(model: str, checkpoint: str) -> str:
    """The finetune of a row: its ``checkpoint`` label's folder where the log carries one
    (``beliefbench sweep`` writes it, ``--metadata checkpoint=<path>``), else its model's
    (:func:`finetune_of`). A vLLM LoRA adapter served by name
    (``vllm/Qwen/Qwen3-8B:neg-400``) is in the folder ``vllm/Qwen`` that every adapter of
    that base shares: two finetunes of one condition read as one series, their flips and
    step lines computed across both."""
    return finetune_of(checkpoint if checkpoint != NO_LABEL else model)



class LogError(ValueError):
    """Bad log input: the message names the file and the problem."""


@dataclass
class LogInfo:
    path: str
    model: str
    status: str
    task_id: str
    created: str
    checkpoint: str
    condition: str
    step: int | None
    key: RunKey
    error: str | None = None
    """The first line of the log's error (why a partial log stopped)."""
    run: str = NONE
    """Short label of the key fields that differ from the other logs read with it."""
    samples: int = 0
    unscored: int = 0
    """Responses with no belief_judge score (errored samples): counted as ``failed``."""
    infrastructure: int = 0
    """Scored responses that are ``failed`` because the provider raised (not the model)."""
    no_answer: int = 0
    """Scored responses that are ``failed`` because the model returned no text (an empty or
    blank generation): neither an infrastructure failure, nor an errored sample, nor an answer
    lost to a sample limit (:attr:`limits`)."""
    eval_id: str = ""
    """The eval's id (a copied log keeps it)."""
    appended: list[str] = field(default_factory=list)
    """Belief scores added to the log after the run (``inspect score --action append``:
    ``belief_judge1``, ...); never read, only noted."""
    parse_errors: int = 0
    """Responses whose verdict is ``parse_error``."""
    expected: int | None = None
    """Responses a run of the whole dataset calls for (dataset samples x epochs); None when
    the log does not record its dataset size."""
    cut: str = ""
    """Why the log holds fewer responses than ``expected`` (``--limit 20``, ``--sample-id
    ...``), from the eval's config."""
    subset: bool = False
    """Run with ``--limit`` or ``--sample-id``: on part of its dataset by design."""
    epochs: int = 1
    """Responses per question the eval ran: the task's ``samples``, or Inspect's ``--epochs``
    where given (which replaces it)."""
    questions: int = 0
    """Distinct questions (claim, family, question) among the log's responses."""
    offline: list[str] = field(default_factory=list)
    """Why the log is a pipeline check, not a result: judged by the marker heuristic, or
    answered / judged by a scripted model (provider ``beliefbench``)."""
    self_judged: bool = False
    """Judged by the model under test (no grader bound) without ``-T self_judge=true``."""
    step_note: str | None = None
    """Why ``step`` is not the eval metadata's own (:func:`step_of`)."""
    cut_off: int = 0
    """Answers with text cut off at the max_tokens limit (``generation_truncated``), judged
    as they stand (a blank one is counted in ``no_answer`` alone)."""
    answered: int = 0
    """Responses with answer text (:func:`with_text`): what ``cut_off`` is a share of."""
    reducer: str | None = None
    """Inspect's ``--epochs-reducer`` where it is not ``mean`` and there are epochs to
    reduce: the header's metrics then differ from the report's count of every response."""
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    """The eval's metadata as the log records it (a sweep's manifest and fingerprint among
    it): read once with the header, so the notes on a sweep's logs need not read it again."""
    retry_started: str = ""
    """The newer retry of this log, still 'started', skipped for holding fewer answers
    (:func:`drop_superseded`): it may be live, so its PARTIAL note says to wait for it."""
    limits: dict[str, int] = field(default_factory=dict)
    """Responses ``failed`` because a sample limit set for the eval (``--token-limit``,
    ``--message-limit``, ...) ran out before an answer, by the limit's type (``token``):
    the user's setting, neither a provider's failure nor an empty generation."""
    limit_values: dict[str, float] = field(default_factory=dict)
    """The sample limits the eval was run with, by type (``{"token": 20}``)."""
    by_claim: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per claim, its responses' ``infrastructure``, ``no_answer`` and ``cut_off`` counts and
    each sample limit's (``limit.token``): the gate holds a side to its budgets over the
    claims it compares, and a claim only one side holds must not hide (or add) failures."""
    relative_path: str | None = None
    """The relative path the model under test was loaded from
    (:func:`~beliefbench.analysis.runs.relative_model_path`): it names no one checkpoint."""
    final: tuple[str, bool] | None = None
    """(manifest, whether the checkpoint is its finetune's final one), for a manifest sweep's
    log that records it (:func:`final_of`); None otherwise."""
    eval_set: bool = False
    """Written by ``eval_set`` (a sweep, ``inspect eval-set``): run again, its command
    resumes the log (:func:`made_by_eval_set`)."""
    served: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per claim, the judge's served models (:func:`judge_served`) with their counts of
    verdicts: what the grader's name stood for when the log was judged (empty where the
    log does not record it)."""
    weights: str | None = None
    """The fingerprint of the weights answered (a sweep log's ``model_fingerprint``), where
    recorded (:class:`Placed`)."""
    moved: list[dict[str, str]] = field(default_factory=list)
    """Checkpoints of its run whose logs its sweep found under an older path and reused
    (:data:`~beliefbench.analysis.runs.MOVED_KEY`)."""

    def placed(self) -> Placed:
        """Its checkpoint's place, for :func:`relabel_moved` and its notes."""
        return Placed(self.path, self.model, self.checkpoint, self.step, self.condition,
                      (self.judge, self.settings), self.weights, self.moved, self.final)

    @property
    def limited(self) -> int:
        """Responses whose answer a sample limit cut away (:attr:`limits`, all types)."""
        return sum(self.limits.values())

    @property
    def infrastructure_share(self) -> float:
        return self.infrastructure / self.samples if self.samples else 0.0

    @property
    def no_answer_share(self) -> float:
        return self.no_answer / self.samples if self.samples else 0.0

    invalidated: bool = False
    """Samples of the log were invalidated (Inspect's ``invalidate_samples``): a successful
    log that Inspect no longer counts as complete (``eval_set`` and ``inspect eval-retry``
    run those samples again), so it is partial here too."""

    @property
    def partial(self) -> bool:
        return is_partial(self.status, self.invalidated)

    @property
    def incomplete(self) -> bool:
        """A successful log holding fewer responses than its whole dataset calls for (run
        with ``--limit`` or ``--sample-id``): its rates cover part of the run only."""
        return (not self.partial and self.expected is not None
                and self.samples < self.expected)

    @property
    def parse_error_share(self) -> float:
        return self.parse_errors / self.samples if self.samples else 0.0

    @property
    def judge(self) -> str:
        """The judge as rows are grouped: a self-judged run's grader is ``self``
        (:func:`~beliefbench.analysis.runs.grouping_key`), so a self-judged sweep is one
        series; ``key`` keeps the model's name."""
        return grouping_key(self.key).judge_text

    @property
    def settings(self) -> str:
        return self.key.settings_text


REPORT_KEPT = "report.md's Warnings, report.json's notes"
"""Where ``report`` keeps each log's warning that a grouped one stands for."""


@dataclass
class BeliefLogs:
    responses: pd.DataFrame
    """One row per response: RUN_COLUMNS + log, claim, family, question, kind, id, epoch,
    verdict."""
    logs: list[LogInfo]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) for logs found in a directory but not used (other tasks, superseded)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) for unreadable logs passed over with ``skip_bad=True``."""
    placed: list[Placed] = field(default_factory=list)
    """Each log's checkpoint place (:func:`relabel_moved`), for the notes on moved runs."""

    @property
    def partial(self) -> list[LogInfo]:
        return [info for info in self.logs if info.partial]

    @property
    def held(self) -> tuple[list[LogInfo], list[Placed]]:
        """The logs holding responses and their places (:func:`held_logs`): the logs the
        warnings are of, but the PARTIAL one that says a log holding none was left out."""
        return held_logs(self.logs, lambda i: i.samples, lambda i: i.path, self.placed)

    def repeated_claims(self, by: Sequence[str] = ()) -> dict[str, list[str]]:
        """Claims that more than one eval (task id) answered within one group of ``by``
        columns (all the logs, with none), with those logs. A retry keeps its task id (and
        a superseded log is dropped before), so these are separate runs of the same
        questions, pooled: an earlier run's log left beside the new one, alike in model
        name and every setting, counts each question once per eval."""
        return answered_by_several_evals(self.responses, {i.path: i.task_id for i in self.logs},
                                         [*by, "claim"])

    def notes(self, runs_apart: bool = True, offline: bool = True) -> list[str]:
        """Human-readable warnings: skipped, partial, incomplete, differing and ignored
        logs, and runs whose numbers are not results (offline, self-judged, unreadable),
        each log's one by one (as report.json keeps them).

        ``runs_apart=False`` leaves out the note on logs whose runs differ (``RUNS DIFFER``:
        shown as separate rows), for a reader that does not keep them apart: the gate reads
        one side's logs, split by claim, as one run and says so itself. ``offline=False``
        leaves out the per-log ``OFFLINE`` notes (the gate writes one per side)."""
        return each_note(self._notes(runs_apart, offline))

    def grouped_notes(self, runs_apart: bool = True, offline: bool = True,
                      kept: str = REPORT_KEPT) -> list[tuple[str, list[str]]]:
        """:meth:`notes` as ``report`` (and ``gate``, each side's) shows them
        (:func:`grouped_notes`): a warning given alike for :data:`OFFLINE_GROUPED` logs or
        more once, standing for theirs, which ``kept`` says where to find."""
        return grouped_notes(self._notes(runs_apart, offline), kept)

    def _notes(self, runs_apart: bool = True, offline: bool = True) -> list[Note]:
        """:meth:`notes`, the per-log warnings that ``report`` groups kept as :class:`LogNote`."""
        out: list[Note] = []
        if self.skipped:
            out.append(f"SKIPPED {len(self.skipped)} unreadable log(s) (--skip-bad-logs): "
                       "their responses are not in any table")
            out.extend(f"skipped {path}: {why}" for path, why in self.skipped)
        out += [partial_log(info) for info in self.partial]
        # a log holding no responses (killed before its first sample) has no row: its
        # PARTIAL (or INCOMPLETE) warning says so, and no other warning is of it
        logs, placed = self.held
        held = set(map(id, logs))
        for info in self.logs:
            if info.incomplete:
                out.append(incomplete_log(info.path, info.samples, info.expected or 0,
                                          info.cut, "a claim may be missing altogether",
                                          GATE_REFUSES))
            if id(info) not in held:
                continue
            if offline and info.offline:
                out.append(offline_log(info.path, info.offline))
            if info.self_judged:
                out.append(self_judged_note(info.path, info.model))
            if info.step_note:
                out.append(info.step_note)
            if too_many_parse_errors(info.parse_errors, info.samples):
                out.append(share_log("PARSE ERRORS", info.path, info.parse_errors,
                                     info.samples))
            if mismatched_samples(info):
                out.append(samples_note(info))
            if info.infrastructure:
                out.append(counted_log("infrastructure", info.path, info.infrastructure,
                                       info.samples, "infrastructure failures (the provider of "
                                       "the model or the judge raised)",
                                       "counted as failed, i.e. non-belief"))
            if info.unscored:
                out.append(counted_log("unscored", info.path, info.unscored, info.samples,
                                       f"unjudged (no {SCORER} score: the sample errored)",
                                       "counted as failed, i.e. non-belief"))
            if too_few_answers(info.no_answer, info.samples):
                out.append(share_log("NO ANSWER TEXT", info.path, info.no_answer, info.samples))
            if info.limited:
                out.append(limit_log(info.path, info.limits, info.samples, info.limit_values))
            if too_many_cut_off(info.cut_off, info.answered):
                out.append(share_log("CUT OFF", info.path, info.cut_off, info.samples,
                                     info.answered))
            if info.reducer:
                out.append(reducer_note(info))
            if info.appended:
                out.append(f"RE-SCORED: {info.path} also holds the belief scores "
                           f"{info.appended} (added by `inspect score --action append`): "
                           f"not read; every number is the run's own {SCORER} verdicts, "
                           "those of the judge its header names (Inspect does not record "
                           "the grader of appended scores; compare judges with "
                           "`beliefbench agreement`)")
        relative = sorted({i.model for i in logs if i.relative_path})
        if relative:
            out.append(relative_path_note(relative))
        out += not_final_notes((i.path, i.final, i.step) for i in logs)
        out += moved_notes(placed) + same_checkpoint_notes(placed)
        out += recorded_paths_notes(placed)
        if runs_apart:  # (the gate refuses a side with such a claim)
            task_ids = {i.path: i.task_id for i in logs}
            for claim, rows in several_evals(self.responses, task_ids,
                                             [*RUN_COLUMNS, "claim"]).items():
                paths = sorted({p for row in rows for p in row})
                out.append(f"REPEATED: claim {claim!r} was answered by {len(paths)} evals "
                           f"{pooled_in(len(rows))} ({first_few(paths, 3)}): each of its "
                           "questions is counted once per eval; if one is an earlier run left "
                           "in the folder, leave it out")
        keys = [grouping_key(info.key) for info in logs]  # as the rows are grouped
        differ = differing_fields(keys)
        if differ and runs_apart:
            out.append(f"RUNS DIFFER in {distinct_values(differ, keys)}: such logs are shown "
                       "as separate rows (column 'run'; full values in the CSVs' 'judge' and "
                       "'settings'), never pooled")
        for grader in dict.fromkeys(dict(i.key.judge).get("grader") for i in logs):
            served = {s for i in logs if dict(i.key.judge).get("grader") == grader
                      for names in i.served.values() for s in names}
            out += served_notes(str(grader), served)
        unknown = [i.path for i in logs if i.key.unknown]
        if unknown:
            fields = sorted({f for i in logs for f in i.key.unknown})
            out.append(f"{len(unknown)} log(s) do not record {fields} (older beliefbench): "
                       f"{UNKNOWN!r} is kept apart from every known value "
                       f"({', '.join(unknown[:3])})")
        out.extend(ignored_notes(self.ignored))
        return out


def require_belief_logs(value: object, name: str, call: str) -> BeliefLogs:
    """``value`` if it is a :class:`BeliefLogs`, else a TypeError naming the argument and
    saying to load the logs first: a log folder, an ``eval()`` result or a responses
    DataFrame handed to ``build_report`` or ``gate.compare`` failed deep inside with
    "'str' object has no attribute 'logs'"."""
    if isinstance(value, BeliefLogs):
        return value
    if isinstance(value, pd.DataFrame):
        given = "a DataFrame (a BeliefLogs' .responses alone is not enough: its logs' " \
                "headers are read too)"
        example = "load_belief_logs(<its log files or folder>)"
    elif isinstance(value, EvalLog) or (isinstance(value, list) and value
                                         and all(isinstance(v, EvalLog) for v in value)):
        given = ("an EvalLog" if isinstance(value, EvalLog) else "a list of EvalLogs") + \
            " (eval()'s logs, not yet read as belief responses)"
        example = "load_belief_logs(<the EvalLog, or eval()'s list of them>)"
    else:
        path = isinstance(value, (str, os.PathLike))
        shown = " ".join(repr(value).split())
        shown = shown if path or len(shown) <= 60 else shown[:57] + "..."
        given = f"{type(value).__name__} {shown}"
        example = (f"load_belief_logs({value!r})" if path
                   else "load_belief_logs(<log files, folders or eval()'s logs>)")
    raise TypeError(f"{name}: expected the BeliefLogs that "
                    f"beliefbench.analysis.logs.load_belief_logs returns, got {given}; "
                    f"pass {call.replace('LOGS', example)}")


LOG_KINDS = {TASK_KEY: "belief", "beliefbench_em": "EM",
             "beliefbench_logprob": "belief_logprob"}
"""beliefbench's own kinds of log, by the eval metadata key each task writes: a log folder
often holds several (a dry run beside an EM smoke test)."""
READERS = {"belief": "beliefbench report", "EM": "beliefbench em-report",
           "belief_logprob": "inspect view"}
"""The command that reads each kind of log: no beliefbench command reads a
``belief_logprob`` log's metrics (``report`` names only its NOTHING READ), Inspect's viewer
shows them (README, **Reading a belief_logprob log**)."""
_OTHER_KIND = re.compile(r"not an? (?P<read>\S+) log \(an? (?P<kind>\S+) log:")
"""Why a log of another of beliefbench's kinds was ignored (see :func:`read_headers`)."""


def _a(word: str) -> str:
    return f"a{'n' if word[0] in 'aeiouAEIOU' else ''} {word}"


NOTHING_READ = "NOTHING READ"
"""The word of the ``belief_logprob`` warning for a run none of whose binary items was read."""


def logprob_nothing_read(log: EvalLog) -> str | None:
    """The ``belief_logprob`` task's NOTHING READ warnings for its log, in one line: its
    binary items (``binary/readable`` 0 in its metrics) and each pair kind none of whose
    pairs was read (``<kind>/failed`` 1, its rates nan); None where every part run read
    something. The task logs the warnings from its metric, after the samples, and Inspect
    records only the logging of samples: the log holds the metrics they rest on, not the
    warnings."""
    from typing import get_args

    from beliefbench.claims import PairKind

    for score in log.results.scores if log.results else []:
        metrics = {k: m.value for k, m in score.metrics.items()}
        said = []
        if metrics.get("binary/readable") == 0:
            said.append(
                "none of its binary items was read as yes or no (binary/parse_error "
                f"{metrics.get('binary/parse_error', math.nan):.3f}, binary/failed "
                f"{metrics.get('binary/failed', math.nan):.3f}): its binary/belief 0.000 is "
                "no measurement (binary/readable 0.000)")
        # a pair kind all of whose pairs failed: the task warned of it as of the binary items
        unread = [k for k in get_args(PairKind) if metrics.get(f"{k}/failed") == 1]
        if unread:
            failed = listing([f"{k}/failed 1.000" for k in unread])
            said.append(f"none of its {listing(unread)} pairs was read ({failed}): their "
                        "rates are nan, no measurement")
        if said:
            return f"{NOTHING_READ}: " + "; ".join(said)
    return None


def ignored_notes(ignored: Sequence[tuple[str, str]]) -> list[str]:
    """``ignored <path>: <why>`` per log passed over, except beliefbench's logs of another
    kind (the EM logs in a folder of belief logs, the belief logs in a folder of EM logs):
    one line per kind, counted, with the first few paths; a ``belief_logprob`` log that read
    nothing (:func:`logprob_nothing_read`) also gets its own line, as its run warned."""
    other: dict[tuple[str, str], list[str]] = {}
    out = []
    for path, why in ignored:
        found = _OTHER_KIND.match(why)
        if found:
            other.setdefault((found["kind"], found["read"]), []).append(path)
            if f"; {NOTHING_READ}: " in why:
                out.append(f"{NOTHING_READ}: {path}: " + why.split(f"; {NOTHING_READ}: ")[1])
        else:
            out.append(f"ignored {path}: {why}")
    summary = []
    for (kind, read), paths in other.items():
        reader = f"; `{READERS[kind]}` reads them" if kind in READERS else ""
        summary.append(f"ignored {len(paths)} {kind} log(s) (not {read} logs{reader}): "
                       f"{first_few(paths, 3)}")
    return summary + out


def share_note(path: str, count: int, total: int, what: str, counted: str) -> str:
    """The warning for responses that carry no reading of the model (failures, unjudged),
    worded alike in the belief and EM reports so a rate is never read without it."""
    return f"{path}: {count} of {total} responses ({count / total:.1%}) are {what}: {counted}"


def partial_held(info: LogInfo) -> str:
    """``39 of 51 responses (12 never run: in no count)`` for a partial log short of its
    dataset, as em-report says it: its row's rates rest on the responses it holds, and
    ``39 responses`` read as the whole run (a sweep stopped mid-checkpoint); the samples it
    never started, and those stopped unfinished (never run to an answer), are in no count."""
    return held_text(info.samples, info.expected)


def held_text(held: int, whole: int | None) -> str:
    """:func:`partial_held`'s words for ``held`` responses of ``whole`` (None: unknown)."""
    if whole is None or held >= whole:
        return f"{held} responses"
    return f"{held} of {whole} responses ({whole - held} never run: in no count)"


def interrupted_error(path: str, stopped: int, errors: pd.Series) -> str | None:
    """What stopped a partial log, for its PARTIAL warning: another error than an
    interruption's named (the first), else how many samples Ctrl-C stopped in flight (in no
    count, :func:`never_finished`) with the command that runs them again; None when neither.
    ``errors``: the messages of its counted samples that errored."""
    if len(errors):
        more = f"; {stopped} more stopped unfinished (in no count)" if stopped else ""
        return (f"{len(errors)} sample(s) errored, the first: "
                f"{first_line(errors.iloc[0])[:200]}{more}")
    if stopped:
        return (f"interrupted: {stopped} sample(s) stopped unfinished (in no count); "
                f"{retry_command(path)} runs them again")
    return None


def header_error(log: EvalLog) -> str | None:
    """Why the eval itself stopped, from the log's header: the first line of its error (a
    crash's ``RuntimeError: CUDA error: ...``), else :data:`INVALIDATED` for a log whose
    samples were invalidated after the run; None when neither."""
    if log.error:
        return first_line(log.error.message)
    return INVALIDATED if is_invalidated(log) else None


def partial_error(header: str | None, path: str, stopped: int,
                  errors: pd.Series) -> str | None:
    """What stopped a partial log, in ``report`` and ``em-report`` alike: the log's own
    error first (:func:`header_error`: a crash cancels the samples in flight, and
    ``interrupted`` alone hid it and told to retry before the cause was fixed), else
    :func:`interrupted_error`."""
    return header or interrupted_error(path, stopped, errors)


def partial_why(path: str, status: str, error: str | None, eval_set: bool = False,
                model: str | None = None, retry_started: str = "") -> tuple[str, str]:
    """A PARTIAL note's why (``error: <error>``, :func:`partial_error`; samples invalidated
    after the run, no error, without ``error:``) and how to resume the log
    (:func:`resume_note`), none where the why already names the retry command:
    ``partial_log`` and em-report's notes say them alike."""
    why = error if error == INVALIDATED else f"error: {error}" if error else ""
    resume = ("" if retry_command(path) in why and not retry_started
              else resume_note(path, status, eval_set, model, retry_started))
    return why, resume


def retry_command(path: str) -> str:
    """The command that resumes the log at ``path`` into its own folder: without
    ``--log-dir``, `inspect eval-retry` writes the retry to ./logs (or $INSPECT_LOG_DIR), so a
    report on the log's folder kept showing it partial and told the user to retry again."""
    folder = posixpath.dirname(path) if "://" in path else os.path.dirname(path)
    return f"`inspect eval-retry {shlex.quote(path)} --log-dir {shlex.quote(folder or '.')}`"


NO_MODEL_RUN = ("; it ran without a model (`inspect eval` was given no --model): run the "
                "eval again with --model and move this log away (`inspect eval-retry` would "
                "run its model, none/none, again)")
"""The end of a PARTIAL note for a log of Inspect's ``none/none``: no retry can resume it."""


RERUN_SWEEP = ("run the `beliefbench sweep` (or `inspect eval-set`) command that wrote {it} "
               "again: it resumes {it}, and every other checkpoint left unfinished, reusing "
               "the finished ones")
"""How to resume a log an eval set wrote (:attr:`LogInfo.eval_set`): one command for every
checkpoint a sweep left unfinished, where `inspect eval-retry` resumes one log at a time."""


STARTED_RESUME = ("; {it} may still be running (wait for {it} to end: an eval-retry beside a "
                  "live eval runs its samples twice), or {its} process was killed before it "
                  "could record an end (then {retry} resumes {it})")
"""The end of a PARTIAL note (and of ``no responses to count``) for a log still 'started':
what to do whether its eval is still running or was killed (:func:`started_resume`)."""


STARTED_RESUME_SWEEP = ("; {it} may still be running (wait for {it} to end), or {its} process "
                        "was killed before it could record an end (then {rerun})")
""":data:`STARTED_RESUME` for a log an eval set wrote (a sweep's): its command run again
resumes it (:data:`RERUN_SWEEP`), where `inspect eval-retry` would resume one log alone."""


RETRY_STARTED = ("; {its} retry {retry} is still 'started' and may still be running (wait "
                 "for it to end: an eval-retry beside a live eval runs its samples twice), or "
                 "its process was killed before it wrote the samples it copies (then {then})")
"""The end of a PARTIAL note for a log kept in place of its newer retry, still 'started',
that holds fewer answers (:func:`drop_superseded`): the retry may be live, as
:data:`STARTED_RESUME` warns of a log still 'started' itself. ``its``: ``its`` (one log's
note), ``each log's`` (the grouped one, :func:`resume_each`)."""

RETRY_STARTED_WAY = "retry started, then "
"""The start of :func:`resume_way` for a log kept in place of its retry still 'started'
(:data:`RETRY_STARTED`), the way it is resumed after it: grouped apart from the logs of its
status resumed at once, whose grouped PARTIAL warning dropped the wait for the retry."""


def started_resume(it: str, its: str, retry: str, eval_set: bool = False,
                   them: str | None = None) -> str:
    """The end of a note on a log (``it``: ``it``, ``each``) still 'started': wait if it
    runs, else how to resume it: ``retry`` (its `inspect eval-retry` command), or for a log
    of an eval set the sweep's command run again (``them``: what that command wrote)."""
    if eval_set:
        return STARTED_RESUME_SWEEP.format(it=it, its=its,
                                           rerun=RERUN_SWEEP.format(it=them or it))
    return STARTED_RESUME.format(it=it, its=its, retry=retry)


def resume_note(path: str, status: str, eval_set: bool = False,
                model: str | None = None, retry_started: str = "") -> str:
    """The end of a PARTIAL note: how to resume the log; for a log still 'started'
    (:func:`started_resume`), to wait if it runs (a retry beside it would run its samples
    twice) and how to resume it if it was killed. A log of
    ``none/none`` (no --model given) cannot be resumed: eval-retry runs the log's model. A
    log of an eval set (a sweep's) is resumed by its command run again, said first. A log
    whose newer retry, still 'started', was skipped for holding fewer answers
    (``retry_started``, :func:`drop_superseded`) is told to wait for that retry first
    (:data:`RETRY_STARTED`): its resume command beside a live retry runs its samples twice."""
    if model == "none/none":  # started or not: no retry can resume it
        return NO_MODEL_RUN
    if retry_started and status != "started":
        then = resume_note(path, status, eval_set, model).removeprefix("; ")
        return RETRY_STARTED.format(its="its", retry=retry_started, then=then)
    if status == "started":
        return started_resume("it", "its", retry_command(path), eval_set)
    fixed = fixed_first(status, "its")
    if eval_set:
        return (f"; {fixed}{RERUN_SWEEP.format(it='it')} (or "
                f"{retry_command(path)} resumes this log alone)")
    done = "runs its invalidated samples again" if only_invalidated(status) else "resumes it"
    return f"; {fixed}{retry_command(path)} {done}"


def partial_log(info: LogInfo) -> LogNote:
    """A partial belief log's ``PARTIAL`` warning (:func:`partial_note`)."""
    why, resume = partial_why(info.path, info.status, info.error, info.eval_set, info.model,
                              info.retry_started)
    return partial_note(info.path, info.status, f", {partial_held(info)}", why, resume,
                        resume_way(info.status, info.eval_set, info.model,
                                   info.retry_started), info.samples,
                        info.expected)


def partial_note(path: str, status: str, held: str, why: str, resume: str, way: str,
                 count: int, whole: int | None) -> LogNote:
    """A partial log's ``PARTIAL`` warning, ``PARTIAL: <path> (status <status><held>;
    <why>): ...<resume>`` (``count`` responses held of ``whole``), grouped with the logs of
    its status resumed alike (``way``: :func:`resume_way`): a sweep stopped on 50
    checkpoints gave 50 lines."""
    said = f"; {why}" if why else ""
    shown = PARTIAL_SHOWN if count else EMPTY_SHOWN
    return LogNote(("PARTIAL", status, way, bool(count)), path,
                   lambda where, *_: (f"PARTIAL: {where} (status {status!r}{held}{said}): "
                                      f"{shown}{resume}"),
                   detail=(count, whole, why), together=_partial_together)


PARTIAL_SHOWN = "shown as partial=True, never pooled with complete logs"
"""What the report does with a partial log's responses (``report``, ``em-report``)."""
EMPTY_SHOWN = "no responses held: no row, in no count (of logs, or of the runs that differ)"
"""What the report does with a partial log holding no response (:func:`held_logs`)."""


Log = TypeVar("Log")


def held_logs(logs: Sequence[Log], responses: Callable[[Log], int], path: Callable[[Log], str],
              placed: Sequence[Placed] = ()) -> tuple[list[Log], list[Placed]]:
    """The logs that hold responses (``responses``: how many a log holds), and their places
    (``path``: a log's path): every per-log warning of ``report`` and ``em-report`` but the
    ``PARTIAL`` (and ``INCOMPLETE``) one that says how much a log holds reads only these. A
    log killed before its first sample has no row: it is no run that differs (``RUNS
    DIFFER``), no log counted (:func:`logs_line`), and no log warned of (a step, a relative
    path, NOT FINAL, thresholds, ...): its PARTIAL warning says it was left out."""
    held = [log for log in logs if responses(log)]
    paths = {path(log) for log in held}
    return held, [p for p in placed if p.path in paths]


def logs_line(counts: Sequence[int], responses: int, skipped: str = "") -> str:
    """The summary under ``report``'s and ``em-report``'s table, ``2 logs, 72 responses``,
    of each log's responses (``counts``): a log holding none is no run shown, said apart
    (``2 logs, 72 responses (1 more log holds none: PARTIAL)``)."""
    n_logs, empty = sum(1 for c in counts if c), sum(1 for c in counts if not c)
    more = f" ({empty} more log{'' if empty == 1 else 's'} {'holds' if empty == 1 else 'hold'} " \
        "none: PARTIAL)" if empty else ""
    return f"{n_logs} log{'' if n_logs == 1 else 's'}{skipped}, {responses} responses{more}"


def resume_way(status: str, eval_set: bool = False, model: str | None = None,
               retry_started: str = "") -> str:
    """How a partial log is resumed (:func:`resume_note`, :func:`resume_each`): ``no
    model`` (it cannot be, even one still 'started': run again), ``started`` (not: it may be
    running; ``started eval set``: a sweep's), ``eval set`` or ``retry``; either of those
    two after :data:`RETRY_STARTED_WAY` for a log whose newer retry is still 'started'
    (``retry_started``): wait for that retry first."""
    if model == "none/none":
        return "no model"
    if status == "started":
        return "started eval set" if eval_set else "started"
    way = "eval set" if eval_set else "retry"
    return RETRY_STARTED_WAY + way if retry_started else way


def fixed_first(status: str, whose: str) -> str:
    """``once its cause is fixed, `` (``whose``: ``its``, ``the``) before the command that
    resumes a partial log of ``status``; nothing where no cause is to fix: a Ctrl-C or
    SIGTERM (status 'cancelled') is run again as it stands, and a partial log of status
    'success' is one whose samples were invalidated after the run (:data:`INVALIDATED`),
    nothing erred. One rule for :func:`resume_note` and the grouped warning
    (:func:`resume_each`)."""
    return "" if status == "cancelled" or only_invalidated(status) else \
        f"once {whose} cause is fixed, "


def resume_each(way: str, status: str) -> str:
    """The end of a grouped PARTIAL warning for logs of ``status`` resumed alike (``way``:
    :func:`resume_way`): each log's own command is in the notes the warning stands for,
    as each one's retry still 'started' (:data:`RETRY_STARTED`), to wait for first."""
    if way.startswith(RETRY_STARTED_WAY):
        then = resume_each(way.removeprefix(RETRY_STARTED_WAY), status).removeprefix("; ")
        return RETRY_STARTED.format(its="each log's", retry="(named in its own note)",
                                    then=then)
    retry = "`inspect eval-retry <log> --log-dir <its folder>`"
    fixed = fixed_first(status, "the")
    done = ("runs their invalidated samples again" if only_invalidated(status)
            else "resumes each")
    return {
        "started": started_resume("each", "its", retry),
        "started eval set": started_resume("each", "its", "", eval_set=True, them="them"),
        "no model": ("; they ran without a model (`inspect eval` was given no --model): run "
                     "the evals again with --model and move these logs away (`inspect "
                     "eval-retry` would run their model, none/none, again)"),
        "eval set": (f"; {fixed}{RERUN_SWEEP.format(it='them')} (or {retry} resumes one log "
                     "alone)"),
        "retry": f"; {fixed}{retry} {done}",
    }[way]


def _partial_together(where: str, notes: Sequence[LogNote]) -> str:
    """One PARTIAL warning for the logs of one status resumed alike: the responses they hold
    added up, and why they stopped where they agree (else how many reasons, and the
    first)."""
    held = sum(n.detail[0] for n in notes)
    known = all(n.detail[1] is not None for n in notes)
    whole = sum(max(n.detail[1] or 0, n.detail[0]) for n in notes) if known else None
    whys = list(dict.fromkeys(n.detail[2] for n in notes if n.detail[2]))
    said = ("" if not whys else f"; {whys[0]}" if len(whys) == 1
            else f"; {len(whys)} different reasons, the first: {whys[0]}")
    shown = PARTIAL_SHOWN if held else EMPTY_SHOWN
    resume = resume_each(notes[0].key[2], notes[0].key[1])
    return (f"PARTIAL: {where} (status {notes[0].key[1]!r}, in all {held_text(held, whole)}"
            f"{said}): {shown}{resume}")


def made_by_eval_set(log: EvalLog) -> bool:
    """Whether ``eval_set`` wrote the log (``beliefbench sweep``, ``inspect eval-set``): its
    eval set's id is recorded."""
    return bool(getattr(log.eval, "eval_set_id", None))


def over_budget(count: int, total: int, budget: float) -> bool:
    """Whether ``count`` of ``total`` responses is a share above ``budget`` (one rule, one
    floating-point slack, for every budget)."""
    return bool(total) and count / total > budget + SHARE_SLACK


def too_few_answers(no_answer: int, total: int, budget: float = MAX_NO_ANSWER) -> bool:
    """Whether ``no_answer`` of ``total`` responses with no answer text is above ``budget``."""
    return over_budget(no_answer, total, budget)


def no_answer_note(where: str, count: int, total: int) -> str:
    """The warning for a run most of whose answers are empty (``report``, ``sweep``)."""
    return "NO ANSWER TEXT: " + share_note(
        where, count, total, "empty generations (the model returned no text)",
        "counted as failed, i.e. non-belief, so the belief rate says nothing about what the "
        "model believes; look at the answers (`inspect view`: an untrained checkpoint, a "
        "wrong chat template, max_tokens too low?); `beliefbench gate` refuses a side above "
        f"--max-no-answer (default {MAX_NO_ANSWER:g})")


def too_many_parse_errors(count: int, total: int, budget: float = MAX_PARSE_ERRORS) -> bool:
    """Whether ``count`` of ``total`` responses read ``parse_error`` is above ``budget``."""
    return over_budget(count, total, budget)


def parse_error_note(where: str, count: int, total: int) -> str:
    """The warning for a run many of whose responses could not be read (``report``)."""
    return "PARSE ERRORS: " + share_note(
        where, count, total, "parse errors (the judge's reply, or a binary answer, could not "
        "be read)", "counted as non-belief, so the belief rate hides what the model believes; "
        "look at them (`inspect view`: a wrong grader bound, a judge that stopped replying in "
        "JSON, garbled output?); `beliefbench gate` refuses a side above --max-parse-errors "
        f"(default {MAX_PARSE_ERRORS:g})")


def too_many_cut_off(count: int, answered: int) -> bool:
    """Whether ``count`` answers cut off at max_tokens are more than a tenth
    (:data:`MAX_CUT_OFF`) of the ``answered`` ones, the answers with text: an empty answer
    or a provider that raised has nothing to cut (taken of all responses, 5 cut of the 40
    answers with text among 100 responses, 12.5%, read as 5% and went unwarned)."""
    return over_budget(count, answered, MAX_CUT_OFF)


def cut_off_note(where: str, count: int, total: int, answered: int | None = None) -> str:
    """The warning for a run many of whose answers ran into the length limit (``report``,
    ``gate``, ``em-report``); ``answered``: the answers with text among the ``total``
    responses, shown where some had none."""
    share = f"{count / total:.1%}"
    if answered is not None and answered != total:
        share += f"; {count / answered:.1%} of the {answered} answers with text"
    return (f"CUT OFF: {where}: {count} of {total} responses ({share}) are answers cut off "
            "at the max_tokens limit: judged as they stand, so whatever the model would have "
            "said after the cut is not read; raise the limit (-T max_tokens=N) unless short "
            "answers are intended")


Say = Callable[[str, int, int, int | None], str]
"""A per-log warning's words for ``where`` (a log's path, or ``3 logs (a, b and 1 more)``),
``count`` of ``total`` responses and ``answered`` of them with text (0, 0, None: uncounted)."""


SHARE_NOTES: dict[str, Say] = {
    "CUT OFF": cut_off_note,
    "NO ANSWER TEXT": lambda where, count, total, _: no_answer_note(where, count, total),
    "PARSE ERRORS": lambda where, count, total, _: parse_error_note(where, count, total),
}
"""The per-log warning of each kind of response count that ``report`` groups, by kind."""


def claim_counts(claims: pd.Series, flags: dict[str, pd.Series]) -> dict[str, dict[str, int]]:
    """Per claim, how many of its responses each of ``flags`` (boolean, aligned with
    ``claims``) marks, the zero counts left out. A missing flag (a nullable column's NA: a
    log with unscored samples) marks nothing."""
    table = pd.DataFrame(flags).fillna(False).astype(int).groupby(claims.astype(str)).sum()
    return {str(c): {k: int(n) for k, n in row.items() if n}
            for c, row in table.iterrows()}


def limit_counts(limits: pd.Series) -> dict[str, int]:
    """How many responses each type of sample limit cut away (``limits``: the ``limit``
    column of those responses)."""
    return {str(k): int(n) for k, n in limits.value_counts().items()}


def summed_limits(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    """Several logs' :func:`limit_counts` added up by type."""
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


def limit_values(log: EvalLog) -> dict[str, float]:
    """The sample limits ``log``'s eval was run with, by type."""
    config = log.eval.config
    return {t: v for t in SAMPLE_LIMITS
            if (v := getattr(config, f"{t}_limit", None)) is not None}


def limits_text(counts: dict[str, int], values: dict[str, float]) -> str:
    """Which limits took how many answers: ``9 at the token limit (20), 3 at the message
    limit (2)``."""
    return ", ".join(f"{n} at the {kind} limit"
                     + (f" ({values[kind]:g})" if kind in values else "")
                     for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def limit_note(where: str, counts: dict[str, int], total: int, values: dict[str, float],
               budget: str = f"`beliefbench gate` counts them toward --max-no-answer "
                             f"(default {MAX_NO_ANSWER:g})",
               counted: str = "non-belief") -> str:
    """The warning for responses whose answer a sample limit set for the eval cut away
    (``report``, ``gate``, ``em-report``): the limit is the user's, the fix is to raise it.
    ``budget``: which gate counts them; ``counted``: what they count as."""
    flags = [f"--{kind}-limit" for kind in counts if kind in SAMPLE_LIMITS]
    fix = (f"raise the limit ({', '.join(flags)}) or run without it, and re-run"
           if flags else "re-run them")
    return "LIMIT: " + share_note(
        where, sum(counts.values()), total,
        f"answers lost to a sample limit set for the eval ({limits_text(counts, values)})",
        f"counted as failed, i.e. {counted}; neither a provider failure nor an empty "
        f"generation: {fix}; {budget}")


def limit_log(path: str, counts: dict[str, int], total: int, values: dict[str, float],
              *words: str) -> LogNote:
    """A log's ``LIMIT`` warning (:func:`limit_note`, ``words``: its ``budget`` and
    ``counted``), grouped with the logs run with the same limits, their counts by type added
    up."""
    return LogNote(("LIMIT", *(f"{k}={v:g}" for k, v in sorted(values.items()))), path,
                   lambda where, _, t, __: limit_note(where, counts, t, values, *words),
                   sum(counts.values()), total, detail=counts,
                   together=lambda where, notes: limit_note(
                       where, summed_limits(n.detail for n in notes),
                       sum(n.total for n in notes), values, *words))


def with_text(df: pd.DataFrame, scored: pd.Series) -> pd.Series:
    """Which responses hold an answer with text: scored, and not judged by no one (the
    scorers' ``judge`` is ``none`` for an empty answer and for a provider that raised; a log
    that records no judge per verdict: every verdict but ``failed``). A judge call that
    failed had an answer to judge."""
    used = df["judge_used"]
    return scored & used.ne("none") & ~(used.isna() & df["verdict"].eq("failed"))


def incomplete_text(path: str, held: int, expected: int, cut: str, missing: str,
                    its: str = "its") -> str:
    """The INCOMPLETE warning for a successful log holding ``held`` of the ``expected``
    responses (``cut``: why, from :func:`_cut`; ``missing``: what may be missing from its
    rates), belief and EM logs alike; ``its``: ``their``, said of several logs."""
    return (f"INCOMPLETE: {path}: {held} of {expected} responses ({held / expected:.1%}; "
            f"{cut}): status 'success', but {its} rates cover only part of the run's questions "
            f"({missing}); re-run without --limit / --sample-id for results")


GATE_REFUSES = "; `beliefbench gate` refuses {it}"
"""The end of the belief report's INCOMPLETE warning, of one log (``it``) or several."""


def incomplete_log(path: str, held: int, expected: int, cut: str, missing: str,
                   end: str = "") -> LogNote:
    """A successful log's INCOMPLETE warning (:func:`incomplete_text`; ``end``: words after
    it, ``{it}`` the log or the logs), grouped with every other: their responses added up,
    and why they are cut where they agree (else the first few reasons)."""
    def together(where: str, notes: Sequence[LogNote]) -> str:
        cuts = list(dict.fromkeys(n.detail for n in notes))
        return incomplete_text(where, sum(n.count for n in notes),
                               sum(n.total for n in notes), first_few(cuts, 2, "; "),
                               missing, "their") + end.format(it="them")

    return LogNote(("INCOMPLETE",), path,
                   lambda where, c, t, _: incomplete_text(where, c, t, cut, missing)
                   + end.format(it="it"), held, expected, detail=cut, together=together)


def ran_on_subset(log: EvalLog) -> bool:
    """Run with ``--limit`` or ``--sample-id``: on part of its dataset by design."""
    return log.eval.config.limit is not None or log.eval.config.sample_id is not None


def run_entry(log: str, *, model: str, run: str, checkpoint: str, condition: str,
              step: int | None, judge: str | None, settings: str | None, partial: bool,
              subset: bool, responses: int, expected: int | None, cut: str
              ) -> dict[str, Any]:
    """One log's entry in report.json's and em_report.json's ``runs``: what a CI reading
    them needs to refuse numbers resting on part of a run (a log run with ``--limit``
    finished, so its rows say ``partial: false``). ``complete``: finished (not ``partial``)
    and holding every response its dataset calls for (``expected``; where the log does not
    record its dataset size, finished is complete); ``subset``: run with ``--limit`` /
    ``--sample-id``; ``cut``: why it holds fewer (null where it does not); a label the log
    does not carry (``run``, ``checkpoint``, ``condition``) is null. ``judge`` and
    ``settings``: the rest of what makes its run (the tables' columns of those names; for an
    EM log its ``grader`` and task settings), null where the log records none: ``run``
    names only what differs among the logs read together, so an entry alone did not say
    how its log was judged or generated."""
    short = expected is not None and responses < expected
    labels = {k: None if v == NO_LABEL else v  # null where none, as the tables say them
              for k, v in (("run", run), ("checkpoint", checkpoint), ("condition", condition))}
    return {"log": log, "model": model, **labels, "step": step, "judge": judge or None,
            "settings": settings or None, "partial": partial,
            "complete": not (partial or short), "subset": subset,
            "responses": responses, "expected": expected, "cut": cut if short else None}


def completeness_fields(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A report summary's ``complete`` (every log read is its whole run: a CI can
    ``jq -e .complete``) and ``runs`` (the :func:`run_entry` of each)."""
    return {"complete": all(r["complete"] for r in runs), "runs": list(runs)}


def offline_text(reasons: Sequence[str]) -> str:
    return " and ".join(reasons) + ": a pipeline check, not a result"


def relative_path_note(models: Sequence[str]) -> str:
    """One note for the models loaded from a relative path: each names the path as written,
    so checkpoints evaluated by one relative path from two folders read as one model."""
    return (f"RELATIVE PATH: {listing(models, 3)} loaded from a path relative to the folder "
            "its eval was started in, which the log does not record: checkpoints evaluated "
            "by one relative path from different folders read as one model (pooled into one "
            "row; named alike on both sides of the gate); evaluate a local checkpoint by its "
            "absolute path (`-M model_path=/abs/ckpts/run1/step-100`, "
            "`hf//abs/ckpts/run1/step-100`)")


def self_judged_note(path: str, model: str, opt_out: bool = True) -> str:
    """A log whose model under test judged its own answers (no grader role bound);
    ``opt_out``: the task takes ``-T self_judge=true`` (the belief task; the EM task has no
    such argument)."""
    return (f"SELF-JUDGED: {path}: no grader role was bound, so the model under test "
            f"({model}) judged its own answers: not an independent judge; bind one "
            "(`--model-role grader=...`)"
            + (", or pass -T self_judge=true when this is intended" if opt_out else ""))


def mismatched_samples(info: LogInfo) -> bool:
    """Whether a complete log holds another number of responses per question than its
    epochs (the responses per question the eval ran) call for."""
    return (not info.partial and not info.incomplete and bool(info.questions)
            and info.samples != info.questions * info.epochs)


def samples_note(info: LogInfo) -> str:
    per = info.samples / info.questions if info.questions else float("nan")
    return (f"SAMPLES DIFFER: {info.path}: {info.samples} responses for {info.questions} "
            f"questions ({per:g} per question), but the eval ran {info.epochs} per question; "
            f"its run key (column 'settings') says samples={info.epochs}, so it is compared "
            "as a run with that many")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"true", "1", "yes"}


def _cut(log: EvalLog) -> str:
    """Why a log holds only part of its dataset, from the eval's config."""
    config = log.eval.config
    limit, ids = config.limit, config.sample_id
    if isinstance(limit, list | tuple):  # Inspect keeps `--limit 10-20` as (9, 20)
        return f"run with --limit {limit[0] + 1}-{limit[1]}"
    if limit is not None:
        return f"run with --limit {limit}"
    if ids is not None:
        shown = ids if isinstance(ids, list) else [ids]
        return f"run with --sample-id {first_few([str(i) for i in shown], 3)}"
    total = log.results.total_samples if log.results else None
    return f"Inspect planned {total} of them" if total else "samples missing from the log"


def offline_reasons(log: EvalLog, markers: bool = False) -> list[str]:
    """Why a log is a pipeline check, not a result: judged by the marker heuristic
    (``markers``: the belief task's ``-T judge=markers``), or answered or judged by a scripted
    model. Belief and EM logs alike: a scripted EM run's rates read like any other's, and a
    CI gating on them (``em-report --max-em``) must not take one for a result."""
    out = []
    if markers:
        out.append("judged by the offline marker heuristic (-T judge=markers)")
    if log.eval.model.startswith(SCRIPTED_PROVIDER):
        out.append(f"answered by a scripted model ({log.eval.model})")
    role = (log.eval.model_roles or {}).get("grader")
    if not markers and role is not None and role.model.startswith(SCRIPTED_PROVIDER):
        out.append(f"judged by a scripted model ({role.model})")
    return out


OFFLINE_GROUPED = 3
"""Logs given one warning alike (``OFFLINE`` for the same reasons, ``CUT OFF`` and the like)
from which ``report`` and ``em-report`` show it once for them all (:func:`grouped_notes`)."""

@dataclass(frozen=True)
class LogNote:
    """One log's warning that ``report`` and ``em-report`` group across logs
    (:func:`grouped_notes`): the logs of one ``key`` get one line, counts added up."""

    key: tuple[str, ...]
    """What must agree for one line to speak for several logs: the kind of warning
    (``OFFLINE``, ``CUT OFF``, ...) and, for ``OFFLINE``, its reasons."""
    path: str
    say: Say = field(compare=False, repr=False)
    count: int = 0
    total: int = 0
    """Responses: 0 for a warning that counts none (``OFFLINE``)."""
    answered: int | None = None
    detail: Any = field(default=None, compare=False, repr=False)
    """What ``together`` reads of each log beside its counts (the log's own words rest on it
    too): a LIMIT's counts by type, a PARTIAL's responses held, called for and why it
    stopped, an INCOMPLETE's cut."""
    together: Together | None = field(default=None, compare=False, repr=False)
    """The one warning for several logs of this key, given ``where`` (``3 logs (a, b and 1
    more...``, as :func:`grouped_note` writes it) and their notes; None: ``say`` with their
    counts added up."""

    @property
    def note(self) -> str:
        """The log's own warning."""
        return self.say(self.path, self.count, self.total, self.answered)


Together = Callable[[str, Sequence[LogNote]], str]
"""A grouped warning's words (:attr:`LogNote.together`)."""


Note = str | LogNote
"""A warning: one given as it is, or one log's that may be grouped with others alike."""


def share_log(kind: str, path: str, count: int, total: int,
              answered: int | None = None) -> LogNote:
    """A log's ``CUT OFF`` / ``NO ANSWER TEXT`` / ``PARSE ERRORS`` warning (:data:`SHARE_NOTES`)."""
    return LogNote((kind,), path, SHARE_NOTES[kind], count, total, answered)


def offline_log(path: str, reasons: Sequence[str]) -> LogNote:
    """A log's ``OFFLINE`` warning, grouped with the logs offline for the same reasons."""
    return LogNote(("OFFLINE", *reasons), path,
                   lambda where, *_: offline_log_note(where, reasons))


COUNTED_TAGS = {"infrastructure": "FAILED", "unscored": "UNSCORED", "no_score": "NO SCORE"}
"""The tag a :func:`counted_log` warning starts with, by kind (``failed_<cause>``: FAILED),
as every other per-log warning starts with one (CUT OFF, PARSE ERRORS): a line that started
with the log's path read as no kind of warning at all."""


def counted_log(kind: str, path: str, count: int, total: int, what: str,
                counted: str) -> LogNote:
    """A log's :func:`share_note` (``count`` of its responses are ``what``), tagged
    (:data:`COUNTED_TAGS`) and grouped with the logs given the warning of the same
    ``kind``."""
    tag = COUNTED_TAGS.get(kind, "FAILED")
    return LogNote((kind,), path,
                   lambda where, c, t, _: f"{tag}: {share_note(where, c, t, what, counted)}",
                   count, total)


def each_note(items: Iterable[Note]) -> list[str]:
    """The warnings one by one, each log's own (report.json's ``notes``)."""
    return [n if isinstance(n, str) else n.note for n in items]


def kept_in(markdown: str, summary: str) -> str:
    """Where a report keeps each log's warning: its Markdown's Warnings (under the grouped
    one) and its JSON's notes."""
    return f"{markdown}'s Warnings, {summary}'s notes"


def grouped_notes(items: Sequence[Note], kept: str = REPORT_KEPT, unit: str = "log"
                  ) -> list[tuple[str, list[str]]]:
    """The warnings as the console and the Markdown report show them, each with the per-log
    ones it stands for: from :data:`OFFLINE_GROUPED` logs given one :class:`LogNote` key, one
    line in place of the first (:func:`grouped_note`; a demo's 16 logs gave 16 OFFLINE and 33
    CUT OFF / NO ANSWER TEXT / PARSE ERRORS lines before its table); ``kept``: where each
    log's warning is kept (:func:`kept_in`); ``unit``: what each note is of (``sweep``'s
    are of checkpoints)."""
    alike: dict[tuple[str, ...], list[LogNote]] = {}
    for n in items:
        if isinstance(n, LogNote):
            alike.setdefault(n.key, []).append(n)
    out: list[tuple[str, list[str]]] = []
    for n in items:
        if isinstance(n, str):
            out.append((n, []))
        elif len(group := alike[n.key]) < OFFLINE_GROUPED:
            out.append((n.note, []))
        elif group[0] is n:
            out.append((grouped_note(group, kept, unit), each_note(group)))
    return out


def grouped_note(notes: Sequence[LogNote], kept: str = REPORT_KEPT, unit: str = "log"
                 ) -> str:
    """One warning for several logs' :class:`LogNote` of one key, the first two named: their
    counts added up with the spread of their shares where they count responses (or as their
    ``together`` says them); each log's own is kept where ``kept`` says (a report's Markdown
    Warnings, under this one, and its JSON's notes)."""
    paths = [n.path for n in notes]
    where = f"{len(notes)} {unit}s ({first_few(paths, 2)}"
    first = notes[0]
    if not any(n.total for n in notes):
        where += ")"
        said = first.say(where, 0, 0, None) if first.together is None \
            else first.together(where, notes)
        return said + f"; each {unit}: {kept}"
    low, high = min(map(_share, notes)), max(map(_share, notes))
    cut = any(n.answered is not None for n in notes)  # shares of the answers with text
    answered = sum(n.total if n.answered is None else n.answered for n in notes) if cut \
        else None
    of = " of the answers with text" if cut else ""
    where += f"; {share_spread(low, high, unit, of)}), in all"
    said = first.together(where, notes) if first.together is not None else \
        first.say(where, sum(n.count for n in notes), sum(n.total for n in notes), answered)
    return said + f"; each {unit}'s count: {kept}"


def share_spread(low: float, high: float, unit: str, of: str = "") -> str:
    """The spread of the shares a grouped warning fired on, said once where its ends read
    alike (``19.6% in each``: "per log 19.6% to 19.6%" read as a range that was none)."""
    if f"{low:.1%}" == f"{high:.1%}":
        return f"{low:.1%}{of} in each"
    return f"per {unit} {low:.1%} to {high:.1%}{of}"


def _share(n: LogNote) -> float:
    """The share a log's own warning is given for (cut off: of the answers with text)."""
    whole = n.total if n.answered is None else n.answered
    return n.count / whole if whole else 0.0


def offline_log_note(path: str, reasons: Sequence[str]) -> str:
    """The per-log ``OFFLINE`` warning of ``report`` and ``em-report``."""
    return f"OFFLINE: {path}: {offline_text(reasons)}"


def _label(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NO_LABEL
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value)
    return str(value)


def _step(value: Any, path: str) -> int | None:
    if value is None or value == "":
        return None
    # int() would truncate 1.5 to 1 and read true as 1: a whole number only
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        # a training step counts from 0 (the base): -3 is a typo or a shell's arithmetic
        raise LogError(f"{path}: eval metadata 'step' must be a whole number, 0 or more, "
                       f"got {value!r} (recorded when the eval ran: run it again with "
                       "--metadata step=N, the checkpoint's training step, or no step; "
                       "or leave this log out)")
    return value


_STEP_FOLDER = re.compile(r"step-(0\d*)/*$")
"""A checkpoint folder as ``finetune`` names it (``step-000625``), at the end of a path or a
model name."""


def yaml_label_note(md: Mapping[str, Any], path: str) -> str | None:
    """A note where a ``condition`` or ``checkpoint`` label was recorded as a YAML boolean or
    float, not the text typed: Inspect reads ``--metadata`` values as YAML, so
    ``condition=no`` is recorded ``False`` (``off`` too: one row), ``1.10`` as ``1.1`` (one
    row with ``1.1``); the report showed ``False`` with no word of why."""
    odd = [(k, md[k]) for k in ("condition", "checkpoint")
           if isinstance(md.get(k), bool | float)]
    if not odd:
        return None
    name, value = odd[0]
    kind = "boolean" if isinstance(value, bool) else "number"
    return (f"LABEL AS YAML: {path}: eval metadata {name} {value!r} was recorded as a YAML "
            f"{kind}, perhaps not the label typed (Inspect reads --metadata values as YAML: "
            f"no / off read as False, yes / on as True, 1.10 as 1.1, so two labels can "
            f"read as one): reported as {_label(value)!r}; to keep a label as typed, quote "
            f"it: --metadata '{name}=\"<label>\"'")


LABELS = ("checkpoint", "condition", "step")
"""The eval metadata keys read as run labels."""


def misspelt_label_note(md: Mapping[str, Any], path: str) -> str | None:
    """A note where the eval metadata holds a key that reads as a mistyped label
    (``conditon``, ``Step``, ``check-point``) and not the label itself: ``--metadata
    conditon=negated`` left the run with no condition, reported as ``-`` without a word.
    A key that is a label with more after it (``steps``, ``conditions``, ``checkpointed``,
    ``conditional``; but one doubled letter, ``stepp``) is a key of its own, no typo: told
    to re-run for it, a user whose ``--metadata steps=1000`` was meant had nothing to mend."""
    found: dict[str, str] = {}
    for key in md:
        if not isinstance(key, str) or key in LABELS:
            continue
        folded = key.strip().casefold().replace("-", "").replace("_", "")
        rest = [folded.removeprefix(label) for label in LABELS if folded.startswith(label)]
        if rest and (rest[0] == "s" or len(rest[0]) > 1):  # 'stepp' stays a typo
            continue
        close = [label for label in LABELS if folded == label] or difflib.get_close_matches(
            folded, LABELS, n=1, cutoff=0.85)
        if close and close[0] not in md:
            found[key] = close[0]
    if not found:
        return None
    keys = listing(f"{key!r} (did you mean {label!r}?)" for key, label in found.items())
    meant = sorted(set(found.values()), key=LABELS.index)
    are = "is no label" if len(found) == 1 else "are no labels"
    return (f"LABEL MISSPELT?: {path}: eval metadata {keys} {are} (beliefbench reads "
            f"{listing(LABELS)} only), so this log is reported with no {listing(meant)}; "
            f"re-run the eval with --metadata {meant[0]}=... to label it")


def step_of(log: EvalLog, path: str) -> tuple[int | None, str | None]:
    """The eval metadata's ``step``, and a note when it is the YAML octal reading of the
    checkpoint folder's zero-padded step: `--metadata step=${ckpt##*-}` for ``step-000625``
    records 405 (and ``step-000010`` 8, beside ``step-000008``'s 8), so the report is given
    the folder's step instead of a wrong one. The note also says where a ``condition`` or
    ``checkpoint`` label was read as a YAML boolean or number (:func:`yaml_label_note`)."""
    md = log.eval.metadata or {}
    step, note = _step_of(log, path)
    label = yaml_label_note(md, path)
    misspelt = misspelt_label_note(md, path)
    return step, "; ".join(n for n in (note, label, misspelt) if n) or None


def _step_of(log: EvalLog, path: str) -> tuple[int | None, str | None]:
    md = log.eval.metadata or {}
    step = _step(md.get("step"), path)
    if step is None or isinstance(md.get("step"), str):
        return step, None
    for name in (md.get("checkpoint"), model_of(log)):
        found = _STEP_FOLDER.search(str(name or ""))
        digits = found.group(1) if found else ""
        if len(digits) > 1 and all(d in "01234567" for d in digits) \
                and int(digits, 8) == step != int(digits):
            return int(digits), (f"{path}: eval metadata step {step} is the octal reading of "
                                 f"the checkpoint folder step-{digits} (Inspect reads "
                                 f"--metadata as YAML, where a leading 0 is octal): reported "
                                 f"as step {int(digits)}; pass --metadata step="
                                 f"$((10#${{ckpt##*-}})) to record it as a decimal")
    return step, None


def has_task_key(log: EvalLog, task_key: str) -> bool:
    """Whether the eval metadata holds ``task_key``: each beliefbench task writes its own."""
    return isinstance((log.eval.metadata or {}).get(task_key), dict)


def is_belief_log(log: EvalLog) -> bool:
    return has_task_key(log, TASK_KEY)


def appended_scores(log: EvalLog) -> list[str]:
    """Belief scores appended after the run: Inspect names a second ``belief_judge``
    ``belief_judge1`` (``belief_judge-1`` in a sample's scores)."""
    names = [s.name for s in (log.results.scores if log.results else [])]
    return [n for n in names if re.fullmatch(rf"{SCORER}-?\d+", n)]


def log_info(log: EvalLog, path: str) -> LogInfo:
    md = log.eval.metadata or {}
    step, step_note = step_of(log, path)
    error = header_error(log)
    key = run_key(log)
    epochs = log.eval.config.epochs or 1
    judge = dict(key.judge)
    weights, moved = moved_entries(md)
    self_judged = (judge.get("mode") == "model" and judge.get("grader", "").startswith(
        SELF_JUDGED) and not _truthy((log.eval.task_args or {}).get("self_judge")))
    return LogInfo(path=path, model=model_of(log), status=log.status,
                   task_id=log.eval.task_id, created=log.eval.created,
                   checkpoint=_label(md.get("checkpoint")),
                   condition=_label(md.get("condition")), step=step, step_note=step_note,
                   key=key, error=error, eval_id=log.eval.eval_id,
                   appended=appended_scores(log),
                   expected=expected_responses(log), cut=_cut(log), epochs=epochs,
                   subset=ran_on_subset(log),
                   offline=offline_reasons(log, dict(key.judge).get("mode") == "markers"),
                   self_judged=self_judged, reducer=_reducer(log, epochs),
                   invalidated=is_invalidated(log), limit_values=limit_values(log),
                   relative_path=relative_model_path(log), final=final_of(md),
                   eval_set=made_by_eval_set(log), weights=weights, moved=moved,
                   metadata=dict(md))


@dataclass
class Placed:
    """Where a log places its checkpoint, what :func:`relabel_moved` and the notes on moved
    run folders read of a belief or an EM log."""

    path: str
    model: str
    checkpoint: str
    step: int | None
    condition: str
    run: Hashable
    """How it was judged and run: logs of one checkpoint run alike share it."""
    weights: str | None
    """The weights answered (a sweep log's ``model_fingerprint``), where recorded."""
    moved: list[dict[str, str]]
    """Checkpoints of its run its sweep reused from an older path (``MOVED_KEY``)."""
    final: tuple[str, bool] | None
    swept_as: str | None = None
    """The ``checkpoint`` label it was swept under, where it is read at the new place."""
    moved_to: list[str] = field(default_factory=list)
    """The new places the sweeps of several copies of its moved folder recorded for it."""


def moved_entries(md: Mapping[str, Any]) -> tuple[str | None, list[dict[str, str]]]:
    """A log's weights fingerprint and its sweep's record of moved checkpoints, from its eval
    metadata (:attr:`Placed.weights`, :attr:`Placed.moved`)."""
    weights = md.get(MODEL_FINGERPRINT_KEY)
    return (weights if isinstance(weights, str) and weights else None,
            [m for m in md.get(MOVED_KEY) or [] if isinstance(m, dict)])


def relabel_moved(logs: Sequence[Placed]) -> None:
    """Read the logs a sweep reused from a run folder's old place as checkpoints of its new
    place, where a log of that sweep records them (:data:`~beliefbench.analysis.runs.
    MOVED_KEY`: their old label and weights): a run folder moved and trained on had its
    earlier steps' logs labelled with the old folder and its later ones with the new, so
    flips and step lines split one finetune in two. Each such log's ``checkpoint`` (and the
    manifest of its ``final``) becomes the new place's; ``swept_as`` keeps the old label.
    Not where a log already carries the new label (the checkpoint swept at both places):
    pooled as one step, its questions would count twice; :func:`same_checkpoint_notes`
    names both instead."""
    now: dict[tuple[str, str], dict[str, str | None]] = {}
    for log in logs:
        for m in log.moved:
            old, new, weights = (m.get(k) for k in ("checkpoint", "now", MODEL_FINGERPRINT_KEY))
            if isinstance(old, str) and isinstance(new, str) and isinstance(weights, str):
                now.setdefault((old, weights), {})[new] = log.final[0] if log.final else None
    held = {log.checkpoint for log in logs}
    for log in logs:
        to = now.get((log.checkpoint, log.weights or ""), {})
        if len(to) != 1:  # two copies of the moved folder, both swept: whose is it?
            log.moved_to = sorted(to)
            continue
        [(label, manifest)] = to.items()
        if label in held:
            continue
        log.swept_as, log.checkpoint = log.checkpoint, label
        if log.final is not None and manifest is not None:
            log.final = (manifest, log.final[1])


def moved_notes(logs: Sequence[Placed]) -> list[str]:
    """``MOVED``, one per old and new folder of the logs :func:`relabel_moved` relabelled,
    and one for those it left under their old path (reused by two copies' sweeps)."""
    by_folder: dict[tuple[str, str], list[str]] = {}
    for log in logs:
        if log.swept_as is not None:
            by_folder.setdefault((finetune_of(log.swept_as), finetune_key(
                log.model, log.checkpoint)), []).append(log.path)
    out = [f"MOVED: {len(paths)} log(s) swept under {old} ({first_few(sorted(paths), 2)}) "
           f"are read as checkpoints of {new}, where their run folder was moved since (the "
           "sweep of the new place reused them rather than evaluate them again, and says so "
           "in its later logs): one finetune, its steps from both places"
           for (old, new), paths in sorted(by_folder.items())]
    if shared := [log for log in logs if log.moved_to]:
        out.append(f"MOVED: {len(shared)} log(s) swept before their run folder was moved "
                   f"were reused by the sweeps of {len(shared[0].moved_to)} run folders "
                   f"({', '.join(shared[0].moved_to)}; "
                   f"{first_few([log.path for log in shared], 1)}): copies of the moved "
                   "folder, each trained on; read under the old path, a finetune of its own; "
                   "sweep each copy into a --log-dir of its own to report its steps as one "
                   "finetune")
    return out


def recorded_paths_notes(logs: Sequence[Placed]) -> list[str]:
    """``PATHS AS RECORDED``, once, where checkpoint folders the logs name by absolute path
    (their ``checkpoint``, else an ``hf/`` model's folder) are not on disk here: a project
    folder moved or copied (another machine) since the logs were made, or checkpoints
    deleted. Every table shows the paths the logs keep, which no longer lead anywhere; said
    with the folder they were under then. A log that a sweep of the moved run folder
    relabelled (:func:`relabel_moved`) names its new place."""
    folders = set()
    for log in logs:
        where = log.checkpoint
        if where == NO_LABEL:
            api, _, where = log.model.partition("/")
            if api != "hf":  # vLLM's paths may be a server's on another machine
                continue
        if where.startswith(("/", "~")):
            folders.add(str(Path(where).expanduser()))  # '~/x' and '/x' in one commonpath
    gone = sorted(f for f in folders if not Path(f).exists())
    if not gone:
        return []
    under = os.path.commonpath(gone) if len(gone) > 1 else str(Path(gone[0]).parent)
    under = "" if under == "/" else f"under {under}; "  # no one folder: not said
    return [f"PATHS AS RECORDED: {len(gone)} of {len(folders)} checkpoint folder(s) these "
            f"logs name are not on disk here ({under}{first_few(gone, 1)}): the "
            "logs keep the paths they were evaluated at (a project folder moved or copied "
            "since, or checkpoints deleted), and the tables show them as recorded"]


def same_checkpoint_notes(logs: Iterable[Placed]) -> list[str]:
    """``SAME CHECKPOINT`` where logs of one checkpoint (the same weights, by their
    ``model_fingerprint``, at one step and condition, judged and run alike) name it by two
    paths, in two finetune folders: a run folder moved or copied and swept again at its new
    place (as sweeps did before they found the logs of the old one) was reported as two
    finetunes, the checkpoint twice, without a word."""
    groups: dict[tuple[Any, ...], dict[str, list[str]]] = {}
    for log in logs:
        if log.weights is not None:
            key = (log.weights, log.step, log.condition, log.run)
            where = log.checkpoint if log.checkpoint != NO_LABEL else log.model
            groups.setdefault(key, {}).setdefault(where, []).append(log.path)
    found = []
    for (_, step, condition, _), held in groups.items():
        if len({finetune_of(w) for w in held}) > 1:
            at = "" if step is None else f"step {step} "
            found.append(f"{at}(condition {condition}): " + " and ".join(
                f"{w} ({first_few(sorted(paths), 1)})" for w, paths in sorted(held.items())))
    if not found:
        return []
    return [f"SAME CHECKPOINT: {len(found)} checkpoint(s) reported under two or more paths, "
            f"the same weights by their fingerprint ({'; '.join(found[:3])}"
            f"{' ...' if len(found) > 3 else ''}): a run folder moved or copied and swept "
            "again at its new place; each path is a model and a finetune of its own in every "
            "table and plot, so the checkpoint is counted once per path; move the logs of "
            "one place away (the old) and report again"]


def final_of(md: Mapping[str, Any]) -> tuple[str, bool] | None:
    """(manifest, final) from a sweep log's eval metadata: the manifest its checkpoint was
    read from and whether that checkpoint is the finetune's final one; None for a log that
    records no such thing (a ``--model`` sweep, an ``inspect eval``, an older sweep)."""
    manifest, final = md.get("manifest"), md.get(FINAL_KEY)
    return (manifest, final) if isinstance(manifest, str) and isinstance(final, bool) else None


def not_final_notes(logs: Iterable[tuple[str, tuple[str, bool] | None, int | None]]
                    ) -> list[str]:
    """``NOT FINAL`` per manifest none of whose logs (``(path, final_of, step)``) is of its
    final checkpoint: a sweep of an unfinished finetune (preempted, failed, still training),
    whose last step read as the trained model's result."""
    by_manifest: dict[str, list[tuple[str, bool, int | None]]] = {}
    for path, final, step in logs:
        if final is not None:
            by_manifest.setdefault(final[0], []).append((path, final[1], step))
    out = []
    for manifest, held in sorted(by_manifest.items()):
        if any(is_final for _, is_final, _ in held):
            continue
        steps = sorted({s for *_, s in held if s is not None})
        upto = f" (steps read: {listing([str(s) for s in steps], 6)})" if steps else ""
        out.append(f"NOT FINAL: {first_few(sorted(p for p, *_ in held), 3)}: checkpoints of "
                   f"{manifest}, none of them its finetune's final one{upto}: the finetune "
                   "had not finished when they were swept (or its final checkpoint was left "
                   "out), so the last step is not the trained model; finish it (beliefbench "
                   "finetune ... --resume), run the sweep again and report its logs")
    return out


def answered_by_several_evals(responses: pd.DataFrame, task_ids: dict[str, str | None],
                              groups: Sequence[str]) -> dict[str, list[str]]:
    """Per value of ``groups``' last column (a claim, an EM question set): its logs, where
    more than one eval (task id; a log without one is an eval of its own) answered it within
    one group of ``groups``. A retry keeps its task id and a superseded attempt is dropped
    before, so these are separate runs of the same questions pooled: each question is
    counted once per eval."""
    return {item: sorted({p for row in rows for p in row})
            for item, rows in several_evals(responses, task_ids, groups).items()}


def several_evals(responses: pd.DataFrame, task_ids: dict[str, str | None],
                  groups: Sequence[str]) -> dict[str, list[list[str]]]:
    """:func:`answered_by_several_evals` group by group: per item, the logs of each group
    (a report's row) in which more than one eval answered it."""
    pairs = responses[[*groups, "log"]].drop_duplicates()
    out: dict[str, list[list[str]]] = {}
    for (*_, item), sub in pairs.groupby(list(groups), sort=True, dropna=False):
        if len({task_ids.get(p) or p for p in sub["log"]}) > 1:
            out.setdefault(str(item), []).append(sorted(sub["log"]))
    return out


def pooled_in(rows: int) -> str:
    """How the REPEATED warning says where several evals were pooled: a folder of 12 logs
    pooled four to a row in three rows read ``12 evals pooled in one row``."""
    return "pooled in one row" if rows == 1 else f"pooled in {rows} rows, several in each"


def expected_responses(log: EvalLog) -> int | None:
    """Responses a run of the whole dataset calls for (dataset samples x epochs; None where
    the log records no dataset size): a log run with ``--limit`` or ``--sample-id`` records
    the whole dataset's size, but only the ids it ran in ``sample_ids``."""
    size = log.eval.dataset.samples if log.eval.dataset else None
    return size * (log.eval.config.epochs or 1) if size else None


INVALIDATED = ("samples invalidated after the run (Inspect's `invalidate_samples`): the log "
               "no longer counts as complete")
"""Why a successful log with invalidated samples is partial: no error (its PARTIAL note
says it without ``error:``, :func:`partial_why`), and the command that runs them again is
the note's one (:func:`resume_note`)."""


def is_invalidated(log: EvalLog) -> bool:
    """Whether samples of the log were invalidated after the run (Inspect's
    ``invalidate_samples`` sets the header's ``invalidated``): their responses were judged
    unfit, yet the log's status stays ``success`` (:func:`is_partial`)."""
    return bool(getattr(log, "invalidated", False))


def is_partial(status: str, invalidated: bool) -> bool:
    """Whether a log of ``status`` (``invalidated``: :func:`is_invalidated`) is partial: it
    did not finish, or it did and samples of it were invalidated after the run, which
    Inspect no longer counts as complete (``eval_set`` and ``inspect eval-retry`` run them
    again). The one rule for ``report``, ``em-report``, ``gate`` and a sweep's reuse of a
    finished log, each of which wrote it out."""
    return status != "success" or invalidated


def only_invalidated(status: str) -> bool:
    """Whether a partial log (:func:`is_partial`) of ``status`` is partial only because
    samples of it were invalidated after the run: its status is ``success``, nothing erred,
    no cause is to fix, and ``inspect eval-retry`` runs those samples again. The one reading
    of a partial log's status for its PARTIAL note, the grouped one and the gate's refusal
    (:func:`resume_note`, :func:`resume_each`, :func:`fixed_first`), each of which compared
    the status with ``success`` itself."""
    return status == "success"


def _reducer(log: EvalLog, epochs: int) -> str | None:
    """The eval's epochs reducer(s) when they are not ``mean`` over several epochs."""
    reducers = [str(r) for r in (log.eval.config.epochs_reducer or [])]
    if epochs < 2 or not reducers or reducers == ["mean"]:
        return None
    return ", ".join(reducers)


def reducer_text(path: str, reducer: str, epochs: int, counted: str) -> str:
    """The REDUCED warning for a log run with ``--epochs-reducer`` ``reducer`` (``counted``:
    what the report counts instead), belief and EM logs alike."""
    return (f"REDUCED: {path}: run with --epochs-reducer {reducer}: the log's header "
            f"metrics (Inspect's display, `inspect view`) reduce each question's {epochs} "
            f"answers by {reducer}, each verdict's share on its own, so they differ from "
            f"this report, which counts every response ({counted})")


def reducer_note(info: LogInfo) -> str:
    """Why the log's own metrics (Inspect's display, ``inspect view``) differ from ours."""
    return reducer_text(info.path, str(info.reducer), info.epochs,
                        "belief = yes over all responses")


def label_runs(infos: Iterable[LogInfo]) -> None:
    """Set each log's short ``run`` label from the key fields that differ between them."""
    infos = list(infos)
    for info, label in zip(infos, run_labels([grouping_key(i.key) for i in infos]),
                           strict=True):
        info.run = label


Source = str | os.PathLike[str] | EvalLog
"""A log file, a folder of logs, or an EvalLog as ``inspect_ai.eval`` returns it (read
again from its ``location``: the readers take files, and a log in memory may be a header)."""


def _source_path(source: Source) -> Path:
    """The file or folder a source names; ``~`` expanded as for claim paths (a shell leaves
    it in ``--baseline=~/logs`` and in quotes, and it named a folder "~" in the cwd)."""
    if isinstance(source, EvalLog):
        if not source.location:
            raise LogError("an EvalLog with no location (never written to a file): pass the "
                           "logs eval() returned, or their files")
        return Path(source.location.removeprefix("file://"))
    if not isinstance(source, str | os.PathLike):
        raise LogError(f"sources: expected log files, folders or EvalLogs, got "
                       f"{type(source).__name__} {source!r:.80}")
    if not os.fspath(source).strip():  # Path("") is "."; every log under the cwd was read
        raise LogError(f"{os.fspath(source)!r}: {EMPTY_PATH}")
    try:
        return Path(home_expanded(source))
    except NoHomeFolder as e:  # ~nosuch/logs: pathlib's RuntimeError named no path
        raise LogError(str(e)) from None


def find_log_files(sources: Source | Sequence[Source]) -> list[tuple[str, bool]]:
    """(path, named_explicitly) for every Inspect log under the sources (dirs recurse),
    each once: a log both named and in a named folder was read twice, the second reading
    reported as "superseded by" the first, itself."""
    found: dict[str, tuple[str, bool]] = {}  # by real path: a file reached by two paths
    for source in _as_list(sources):
        p = _source_path(source)
        if p.is_dir():
            logs, walked = _logs_in(p)
            paths = [(path, False) for path in logs]
            if not paths:
                raise LogError(f"{p}: no Inspect logs (.eval or .json) in this directory"
                               + _what_it_holds(p, walked))
        elif p.is_file():
            paths = [(str(p.resolve()), True)]
        else:
            # a mistyped folder or file named with those beside it (logs/em-dyr: em-dir)
            raise LogError(f"{p}: no such log file or directory{where_missing(p, files=None)}")
        for path, explicit in paths:
            first, named = found.get(os.path.realpath(path), (path, False))
            found[os.path.realpath(path)] = (first, named or explicit)
    return list(found.values())


def _what_it_holds(folder: Path, walked: Sequence[tuple[str, list[str]]]) -> str:
    """What a folder with no Inspect logs holds, for the refusal: a report's output (the
    logs to pass instead), else its .json files, none an Inspect log (``no Inspect logs
    (.eval or .json)`` alone read as if the folder held no .json at all); else nothing.
    ``walked``: the folder's :func:`_each_folder_once`, as the search for logs walked it
    (a second walk of a large tree doubled the time of the refusal)."""
    made = report_made_from(folder)
    if made:
        return f": it holds {made}"
    # each file once, by its real path: named where it lies before through a link
    by_real: dict[str, tuple[bool, str]] = {}
    top = os.path.realpath(folder)
    for d, files in walked:
        for name in files:
            if name.endswith(".json"):
                path = os.path.join(d, name)
                rel, real = os.path.relpath(path, folder), os.path.realpath(path)
                said = (real != os.path.join(top, rel), rel)
                by_real[real] = min(by_real.get(real, said), said)
    found = sorted(rel for _, rel in by_real.values())
    if not found:
        return ""
    said = "its .json files are not Inspect logs" if len(found) > 1 else \
        "its .json file is not an Inspect log"
    return f": {said} ({first_few(found, 3)})"


REPORT_SUMMARIES = {"report.json": "beliefbench report", "em_report.json": "beliefbench em-report"}
"""The JSON a report writes beside its tables, by the command that writes it."""


def report_made_from(path: Path) -> str | None:
    """Where ``path`` is a report's folder, or the ``report.json`` / ``em_report.json`` in it:
    which command wrote it and the logs it read (its ``inputs``). Given where logs go (``gate
    --candidate reports/dry``) it read as "no Inspect logs" or "not a readable Inspect log",
    the logs to pass instead unsaid. None for anything else (an audit's ``report.json``
    records no list of inputs)."""
    folder, names = ((path, list(REPORT_SUMMARIES)) if path.is_dir() else
                     (path.parent, [path.name] if path.name in REPORT_SUMMARIES else []))
    for name in names:
        try:
            inputs = json.loads((folder / name).read_text(encoding="utf-8")).get("inputs")
        except (OSError, ValueError, AttributeError):  # not JSON, or not an object
            continue
        if isinstance(inputs, list) and inputs and all(isinstance(i, str) for i in inputs):
            return (f"the output of `{REPORT_SUMMARIES[name]}` ({name}), not an Inspect log: "
                    f"pass the logs it was made from ({first_few(inputs, 3)})")
    return None


def _each_folder_once(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Each folder under ``folder`` (itself first) with its files' names, symbolic links
    followed, each real folder once: a link back up (``ln -s . loop``) or one folder linked
    twice is passed over, where a walk that followed links went round a loop 40 times, and
    through two loop links without end. A folder that lies under ``folder`` is named where
    it lies, never through a link to it (``x/link -> ../y/deep`` was walked as ``x/link``,
    met before ``y``); one that lies elsewhere is named through the first link to it, in
    name order (``link/f.json`` for ``link -> /scratch/z``): a path under ``folder``."""
    top = os.path.realpath(folder)
    seen: set[str] = set()
    for d, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(d)
        linked = real != os.path.normpath(os.path.join(top, os.path.relpath(d, folder)))
        # a real path holds no link, so one under ``top`` is where a walk that follows no
        # link reaches it: told by its path, without that second walk of the whole tree
        if real in seen or (linked and _under(real, top) and _listed_down_to(real, top)):
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        yield d, files


def _under(path: str, top: str) -> bool:
    """Whether real path ``path`` is ``top`` or lies below it."""
    return path == top or path.startswith(os.path.join(top, ""))


def _listed_down_to(real: str, top: str) -> bool:
    """Whether a walk of ``top`` that follows no link reaches real folder ``real`` below it:
    every folder above it, ``top`` included, can be listed. One this user may enter but not
    list (mode 711) hides what lies under it from the walk: reached only through a link,
    such a folder's logs were passed over without a word."""
    parent = os.path.dirname(real)
    while _under(parent, top):
        if not os.access(parent, os.R_OK | os.X_OK):
            return False
        if parent == top:
            return True
        parent = os.path.dirname(parent)
    return True  # ``real`` is ``top``: a link back up, walked already


def _logs_in(folder: Path) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Every Inspect log under ``folder``, oldest first, symbolic links followed (to folders
    and to log files; each real folder read once): Inspect's listing passes links over, so a
    report of ``logs/`` left out the logs of ``logs/sweep -> /scratch/sweep``, or logs linked
    into it, without a word. With the walk (:func:`_each_folder_once`) it read them from,
    for :func:`_what_it_holds` where it found none: the tree is walked once."""
    listings: dict[str, dict[str, float]] = {}

    def listing(d: str) -> dict[str, float]:
        """The logs in folder ``d`` (not below it): path -> modification time."""
        if d not in listings:
            listings[d] = {i.name.removeprefix("file://"): i.mtime or 0
                           for i in list_eval_logs(d, recursive=False)}
        return listings[d]

    found: dict[str, float] = {}
    walked = list(_each_folder_once(folder))
    for d, files in walked:
        found.update(listing(d))
        for name in files:
            link = os.path.join(d, name)
            if (name.endswith(".json") and not INSPECT_JSON_NAME.match(name)
                    and _looks_like_json_log(link)):  # a renamed log: see read_headers
                found[os.path.realpath(link)] = os.path.getmtime(link)
                continue
            if os.path.islink(link):  # a log file linked here: read where it lies (the
                target = os.path.realpath(link)  # readers pass over a link too)
                if (mtime := listing(os.path.dirname(target)).get(target)) is not None:
                    found[target] = mtime
    return sorted(found, key=lambda path: found[path]), walked


INSPECT_JSON_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}[:-]\d{2}[:-]\d{2}.*\.json$")
"""The names Inspect's readers (``list_eval_logs``, ``samples_df``) take a ``.json`` log by:
its timestamped file name. Any ``.eval`` file is read whatever its name."""


def _looks_like_json_log(path: str) -> bool:
    """Whether a ``.json`` file starts as an Inspect log does (``{"version": 2, "status":``),
    read from its first bytes only: a log folder also holds reports and eval-set files."""
    try:
        with open(path, "rb") as f:
            head = f.read(200).decode("utf-8", "replace")
    except OSError:
        return False
    return re.match(r'\{\s*"version":\s*\d+,\s*"status":', head) is not None


NO_LOG_SAMPLES = ("run with --no-log-samples: the log keeps Inspect's summary metrics only, not "
                  "the responses, and every figure here counts responses; run the eval again "
                  "without --no-log-samples")
"""Why a log written with ``inspect eval --no-log-samples`` is read as no run."""


def misnamed_json_log(path: str) -> str | None:
    """Why the log at ``path`` cannot be read, where it is a JSON log renamed (``inspect
    score --output-file scored.json``, ``baseline.json``): Inspect's readers pass such a file
    over, so in a folder it was left out of every number without a word, and named on its
    own it read as a log holding no samples. A copy of a log read with it is ignored."""
    name = os.path.basename(path)
    if not name.endswith(".json") or INSPECT_JSON_NAME.match(name) or \
            not _looks_like_json_log(path):
        return None
    return ("an Inspect JSON log whose name Inspect's readers pass over (they take a .json "
            "log only under its timestamped name, `<created>_<task>_<id>.json`): rename it "
            "so, or convert it, `inspect log convert --to eval --output-dir DIR`")


def _same_results(log: EvalLog, other: EvalLog) -> bool:
    """Whether two headers are of one eval with the same status and results (a copy; a
    re-scored log differs in its results)."""
    def dump(x: EvalLog) -> str:
        return x.results.model_dump_json() if x.results else ""
    return (log.eval.eval_id == other.eval.eval_id and log.status == other.status
            and dump(log) == dump(other))


def unreadable_log(e: Exception, path: str | Path | None = None) -> str:
    """Why a log could not be read, as every command that reads one says it: the cause
    ("EOCD not found": a .eval cut off in a copy; "No recorder for location": not an Inspect
    log's extension) is what tells the user what to fix; the zip reader's words for a cut
    file are explained, as they name no cause a user would know. Given the log's ``path``,
    a ``.eval`` that is no zip at all (empty, a Git LFS pointer checked out without LFS, a
    page saved in its place) is told apart from one cut short: "copy it again" was the
    wrong advice for a pointer, which every copy repeats."""
    why = f"not a readable Inspect log ({type(e).__name__}: {e})"
    if "EOCD not found" in str(e):
        return why + (_not_a_zip(path) or (
            ": the .eval file is cut short (a copy, upload or download that stopped, or "
            "a disk that filled as it was written): copy it again from where it was made, "
            "or run the eval again"))
    elif "No recorder for location" in str(e):
        why += (": Inspect reads logs named `.eval` or `.json` only; pass the logs of an "
                "`inspect eval` run, or the folder holding them")
    elif path is not None and str(path).endswith(".json") and \
            not _looks_like_json_log(str(path)):
        # "Unable to read log file" said nothing of a gate.json passed where logs go
        why += (": a JSON file that is not an Inspect log (a JSON log begins "
                '`{"version": 2, "status": ...`); pass the logs of an `inspect eval` run, or '
                "the folder holding them")
    return why


def _not_a_zip(path: str | Path | None) -> str | None:
    """What a ``.eval`` file holds instead of a zip archive (an Inspect ``.eval`` log is
    one), with what to do; None where it begins as a zip (then it was cut short) or cannot
    be read here."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return None
    if head.startswith(b"PK"):
        return None
    if not head:
        return (": the file is empty (0 bytes: a copy or write that stopped before it "
                "began): copy it again from where it was made, or run the eval again")
    if head.startswith(b"version https://git-lfs"):
        return (": a Git LFS pointer, not the log: the repository keeps the log in Git LFS "
                "and this checkout did not fetch it; run `git lfs pull` (in GitHub Actions, "
                "`actions/checkout` with `lfs: true`)")
    shown = " ".join(head[:40].decode("utf-8", "replace").split())  # '{' alone said little
    return (f": not an .eval log at all (an Inspect .eval log is a zip archive; this file "
            f"begins {shown!r}): pass the log an `inspect eval` run wrote, or copy it "
            f"again from where it was made")


@dataclass(frozen=True)
class ReadLogs:
    """The Inspect logs under some sources, each header read once: what ``gate`` reads to
    tell belief logs from EM logs and then hands to the loader, which read every header a
    second time when given the sources again."""

    sources: list[Source]
    """The sources as given (named in a "no logs" error)."""
    headers: list[tuple[str, bool, EvalLog | Exception]]
    """(path, named explicitly, header or the error reading it): the reader's error is
    kept (with ``skip_bad``) for the loader to list among the logs it skipped."""


def unreadable_why(path: str, e: Exception) -> str:
    """Why the log at ``path`` cannot be read (:func:`unreadable_log`; a report's output
    given where its logs go says which logs to pass instead)."""
    return report_made_from(Path(path)) or unreadable_log(e, path)


def unreadable_error(path: str, e: Exception) -> LogError:
    """The error naming a log that cannot be read."""
    return LogError(f"{path}: {unreadable_why(path, e)}")


def each_header(sources: Sequence[Source], skip_bad: bool = False
                ) -> Iterator[tuple[str, bool, EvalLog | Exception]]:
    """(path, named explicitly, header) for every log under ``sources``
    (:func:`find_log_files`), each header read as it is reached: an unreadable log (a
    truncated ``.eval``, a file that is no log) is a LogError naming it at once, not after
    every other header of a sweep's thousands was read; with ``skip_bad`` its error is
    yielded instead, for the loader to list. Each header's ``reductions`` (every question's
    reduced score, the judge's reply included, which Inspect reads with the header) are
    dropped: nothing here reads them, and over thousands of logs they held most of the
    memory the headers took."""
    for path, explicit in find_log_files(sources):
        try:
            header = read_eval_log(path, header_only=True)
        except Exception as e:  # noqa: BLE001 - any unreadable file is bad input, named
            if not skip_bad:
                raise unreadable_error(path, e) from e
            yield path, explicit, e
            continue
        header.reductions = None
        yield path, explicit, header


def read_logs(sources: Source | Sequence[Source], skip_bad: bool = False) -> ReadLogs:
    """The header of every log under ``sources`` (:func:`each_header`), read once; the first
    unreadable one is a LogError naming it as soon as it is reached, unless ``skip_bad``
    (then it is kept as its error, for :func:`read_headers` to list)."""
    # once: a glob (a generator) read here is empty when read_headers names the sources
    sources = _as_list(sources)
    return ReadLogs(sources, list(each_header(sources, skip_bad)))


def read_headers(sources: Source | Sequence[Source] | ReadLogs, skip_bad: bool = False,
                 kind: str = "belief", task_key: str = TASK_KEY
                 ) -> tuple[list[tuple[str, EvalLog]], list[tuple[str, str]],
                            list[tuple[str, str]]]:
    """Headers of the ``kind`` logs (those whose eval metadata holds ``task_key``) under
    ``sources`` (or already read, :func:`read_logs`), (path, why) for the other logs, and
    (path, why) for unreadable ones passed over with ``skip_bad``.

    A log named explicitly that is not of the kind is an error; in a directory it is
    ignored (a shared log dir holds other evals) and reported. An unreadable log is an
    error unless ``skip_bad``. Given sources, each header is checked as it is read
    (:func:`each_header`): the first bad log is named without reading the rest, and only
    the headers kept are held.
    """
    if isinstance(sources, ReadLogs):
        given, headers = sources.sources, iter(sources.headers)
    else:
        given = _as_list(sources)
        headers = each_header(given, skip_bad)
    if not given:
        raise LogError(f"sources: no {kind} logs given (an empty list, or a glob that matched "
                       "nothing): pass log files, folders or the logs inspect_ai.eval returns")
    kept: list[tuple[str, EvalLog]] = []
    ignored: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    renamed: list[tuple[str, EvalLog, str]] = []
    for path, explicit, header in headers:
        if isinstance(header, Exception):
            if skip_bad:
                skipped.append((path, unreadable_why(path, header)))
                continue
            raise unreadable_error(path, header) from header
        if not has_task_key(header, task_key):
            other = next((k for key, k in LOG_KINDS.items() if has_task_key(header, key)),
                         None)
            it_is = f"{_a(other)} log: " if other else ""
            why = (f"not {_a(kind)} log ({it_is}task {header.eval.task!r} has no "
                   f"{task_key!r} eval metadata)")
            # its NOTHING READ is the belief report's word (a judge-free belief measure);
            # beside the point to em-report
            if other == "belief_logprob" and kind == "belief" \
                    and (unread := logprob_nothing_read(header)):
                why += f"; {unread}"
            if explicit:
                reader = f"; read it with `{READERS[other]}`" if other in READERS else ""
                raise LogError(f"{path}: {why}{reader}")
            ignored.append((path, why))
            continue
        if (why := misnamed_json_log(path)) is not None:
            renamed.append((path, header, why))
            continue
        if header.eval.config.log_samples is False:
            # no responses to count: beside other logs it was refused as `--no-score`
            # (score it, which cannot help), alone as "holds no samples"
            why = NO_LOG_SAMPLES
            if not skip_bad:
                raise LogError(f"{path}: {why}")
            skipped.append((path, why))
            continue
        kept.append((path, header))
    for path, header, why in renamed:
        copy_of = next((p for p, log in kept if _same_results(log, header)), None)
        if copy_of is not None:  # e.g. `inspect log dump` of a log read: nothing left out
            ignored.append((path, f"a copy of {copy_of} (same eval_id and results) under "
                                  "a name Inspect's readers pass over"))
        elif skip_bad:
            skipped.append((path, why))
        else:
            raise LogError(f"{path}: {why}")
    if not kept:
        names = "; ".join(f"{p}: {why}" for p, why in [*skipped, *ignored][:5])
        others = len(ignored) + len(skipped)
        # logs of beliefbench's other kind: the command that reads them, as a log named on
        # its own and the ignored-logs warning say (a folder of EM logs gave report no word)
        found = Counter(m["kind"] for _, why in ignored if (m := _OTHER_KIND.match(why)))
        readers = "".join(f"; `{READERS[k]}` reads the {n} {k} log(s) among them"
                          for k, n in sorted(found.items()) if k in READERS)
        raise LogError(f"no {kind} logs in "
                       f"{', '.join(str(_source_path(s)) for s in given)}"
                       + (f" ({others} other log{'' if others == 1 else 's'}: {names})" if others
                          else "") + readers)
    return kept, ignored, skipped


def _as_list(sources: Source | Sequence[Source]) -> list[Source]:
    if isinstance(sources, str | os.PathLike | EvalLog):
        return [sources]
    if not isinstance(sources, Iterable):  # a list, a glob; each item checked by _source_path
        raise LogError(f"sources: expected log files, folders or EvalLogs (or a list of them), "
                       f"got {type(sources).__name__} {sources!r:.80}")
    return list(sources)


def drop_superseded(headers: list[tuple[str, EvalLog]], *,
                    key: Callable[[EvalLog], Hashable], scorer: str, hint: str = "",
                    retries_started: dict[str, str] | None = None
                    ) -> tuple[list[tuple[str, EvalLog]], list[tuple[str, str]]]:
    """Keep, per eval task_id and run key, the latest success log, else the partial one
    holding the most answers, the latest of those; drop copies (same eval_id).

    ``key``: the run key of the kind of log read (belief: :func:`run_key`; EM logs record
    their settings under another metadata key, so theirs is built from that). It is part of
    the group: a retry keeps it, while the same responses judged again by another grader
    (``beliefbench agreement --out``) are another run, never "superseded" by the first
    judge's log. ``scorer``: the scorer whose results tell a copy from a re-scored log;
    ``hint``: what to do about a re-scored one, appended to the error.
    ``retries_started``: filled with kept log -> its newer retry skipped for holding fewer
    answers while still 'started' (maybe live: the kept log's note says to wait for it,
    :func:`resume_note`)."""
    by_task: dict[tuple[str, Hashable], list[tuple[str, EvalLog]]] = {}
    for path, log in headers:
        by_task.setdefault((log.eval.task_id, key(log)), []).append((path, log))
    kept, dropped = [], []
    for group in by_task.values():
        # a log never scored (`inspect eval --no-score`) ranks below its scored copy
        # (`inspect score LOG` writes one beside it): it holds the same responses, unjudged.
        # Among partial logs the newest wins, scored or not (a killed run's `-recovered`
        # log (scored) kept beside the newer retry of it, still 'started' (unscored, live or
        # killed in turn), was reported, and its resume command re-ran the retry's samples),
        # unless it holds fewer answers than an older one: see `held` below
        group.sort(key=lambda item: (item[1].status == "success",
                                     item[1].status == "success"
                                     and bool(_scores(item[1], scorer)),
                                     item[1].eval.created, bool(_scores(item[1], scorer))))
        done = [item for item in group if item[1].status == "success"]
        scored = [item for item in done if _scores(item[1], scorer)]
        # copies, or the same responses judged again (`inspect score` keeps the eval id);
        # `inspect eval-retry` keeps the task id only, and its newer log is kept below
        first_of: dict[str, tuple[str, EvalLog]] = {}
        for path, log in scored or done:
            first_path, first = first_of.setdefault(log.eval.eval_id, (path, log))
            if _scores(log, scorer) != _scores(first, scorer):
                raise _rescored(path, first_path, f"task_id {log.eval.task_id}", scorer,
                                hint)
        best_path, best = group[-1]
        held: dict[str, int] = {}
        if not done and len(group) > 1:
            # a retry killed before it wrote the samples it copies holds fewer answers than
            # the log it retried: that one is shown and resumed (the newest among equals)
            held = {path: _answers(path, log) for path, log in group}
            best_path, best = max(reversed(group), key=lambda item: held[item[0]])
        kept.append((best_path, best))
        for path, log in group:
            if path == best_path:
                continue
            if held and held[path] < held[best_path] \
                    and log.eval.created > best.eval.created:
                why = (f"holds {held[path]} answer(s), fewer than {best_path} ("
                       f"{held[best_path]}), the older log of its task_id: a retry of it "
                       "stopped before it wrote the samples it copies (or still starting); "
                       "that log is read, and resumed, in its place")
                if log.status == "started" and retries_started is not None:
                    retries_started.setdefault(best_path, path)
            elif scored and log.status == "success" and not _scores(log, scorer):
                why = (f"superseded by {best_path} (same task_id; this log holds no {scorer} "
                       "results, as `inspect eval --no-score` leaves it, and that one is its "
                       "scored copy)")
            elif log.status == best.status and log.eval.eval_id != best.eval.eval_id:
                why = (f"superseded by {best_path} (same task_id, a newer eval id: a "
                       "retry of this log, as `inspect eval-retry` writes, or its answers "
                       "judged again by the same judge, as `beliefbench agreement` writes)")
            elif log.eval.eval_id == best.eval.eval_id and log.status == best.status:
                # e.g. a `.json` log beside its `.eval` conversion: no retry, no newer status
                why = f"a copy of {best_path} (same eval_id)"
            else:
                why = (f"superseded by {best_path} (same task_id, status {log.status!r} -> "
                       f"{best.status!r})")
            dropped.append((path, why))
    # samples_df joins samples to evals by eval_id: a copied log would silently vanish
    seen: dict[str, tuple[str, EvalLog]] = {}
    unique = []
    for path, log in sorted(kept, key=lambda item: item[0]):
        if log.eval.eval_id in seen:
            first, original = seen[log.eval.eval_id]
            if _scores(log, scorer) != _scores(original, scorer):
                raise _rescored(path, first, f"eval_id {log.eval.eval_id}", scorer, hint)
            dropped.append((path, f"a copy of {first} (same eval_id)"))
            continue
        seen[log.eval.eval_id] = (path, log)
        unique.append((path, log))
    return unique, dropped


def _answers(path: str, log: EvalLog) -> int:
    """The samples of a log that finished without an error: those a retry of it keeps."""
    from inspect_ai.log import read_eval_log_sample_summaries

    try:
        samples = log.samples if log.samples is not None else \
            read_eval_log_sample_summaries(path)
    except Exception:  # unreadable past its header: it holds none to keep
        return 0
    return sum(1 for sample in samples if sample.error is None)


RESCORED_HINT = ("(`inspect score` keeps the original's grader in the header, so who judged "
                 "its verdicts is not recorded; `beliefbench agreement --out` writes "
                 "re-scored logs that name their judge)")
"""What to do about a re-scored belief log (see :func:`drop_superseded`)."""


def _rescored(path: str, other: str, same: str, scorer: str, hint: str) -> LogError:
    return LogError(
        f"{path} and {other} hold the same responses ({same}) with different {scorer} "
        "results: one was re-scored, and a response is counted once, under one judge: keep "
        "one of them" + (f" {hint}" if hint else ""))


def _scores(log: EvalLog, scorer: str) -> list[str]:
    """The log's results of ``scorer`` (metrics, sample counts), for telling a copy from a
    re-scored log (as JSON: a NaN metric equals itself)."""
    scores = log.results.scores if log.results else []
    return [s.model_dump_json() for s in scores if s.name == scorer]


def task_batches(paths: Iterable[str], task_ids: dict[str, str]) -> list[list[str]]:
    """``paths`` in batches where no two logs share a task id. samples_df keeps one row per
    sample uuid, and logs of one task (the same responses judged by two graders) hold the
    same uuids: read together, one log's responses would vanish."""
    batches: list[tuple[set[str], list[str]]] = []
    for path in paths:
        task = task_ids[path]
        batch = next((b for b in batches if task not in b[0]), None)
        if batch is None:
            batch = (set(), [])
            batches.append(batch)
        batch[0].add(task)
        batch[1].append(path)
    return [b[1] for b in batches]


def _verdict(sample: Any) -> str | None:
    """The response's verdict; None when unscored; any other text when unrecognised."""
    score = (sample.scores or {}).get(SCORER)
    if score is None:
        return None
    if isinstance(score.answer, str) and score.answer in VERDICTS:
        return score.answer
    value = score.value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict):
        hits = [v for v in VERDICTS if value.get(v) in (1, 1.0)]
        if len(hits) == 1:
            return hits[0]
    shown = score.answer if isinstance(score.answer, str) and score.answer else value
    return f"{shown!r}"[:80]


def _infrastructure(sample: Any) -> bool:
    """The provider raised instead of answering (the scorer's ``infrastructure`` flag)."""
    score = (sample.scores or {}).get(SCORER)
    value = score.value if score is not None else None
    return isinstance(value, dict) and value.get(INFRASTRUCTURE) in (1, 1.0, True)


def judge_used(scorer: str) -> Callable[[Any], str | None]:
    """A column reader: who gave the response's verdict, as ``scorer`` recorded it in its
    score metadata (a model's ``provider/name``, ``markers``; ``exact_match``/``none``
    where no judge was asked). Belief and EM scorers record it alike. A partial of a module
    function, not a closure: from PARALLEL_FROM logs on, the readers go to worker processes,
    which only take what pickles."""
    return functools.partial(_judge_used, scorer)


def _judge_used(scorer: str, sample: Any, entry: str = "judge") -> str | None:
    score = (sample.scores or {}).get(scorer)
    used = (score.metadata or {}).get(entry) if score is not None else None
    return used if isinstance(used, str) and used else None


def judge_served(scorer: str) -> Callable[[Any], str | None]:
    """A column reader: the model the judge's provider said answered (its reply's ``model``,
    e.g. ``gpt-4.1-mini-2025-04-14`` for the grader ``openai/gpt-4.1-mini``), as ``scorer``
    recorded it; None where no judge answered, or the log predates the record. An alias
    moved to a new snapshot between two runs judged them by two models under one name.
    Belief and EM scorers record it alike."""
    return functools.partial(_judge_used, scorer, entry="judge_served")


def served_notes(grader: str, served: Iterable[str]) -> list[str]:
    """A note where one grader label was answered by several models (by the names its
    provider gave them, :func:`judge_served`): an alias moved to a new snapshot between
    (or during) the runs, so rows judged by different models share one grader label."""
    names = sorted(set(served))
    if len(names) < 2:
        return []
    return [f"GRADER SERVED BY SEVERAL MODELS: grader {grader} was answered by "
            f"{', '.join(names)} (the provider's model names): rows judged by different "
            "snapshots are compared under one grader label"]


NO_JUDGE_ASKED = {"exact_match", "none"}
"""Verdicts read without a judge (binary answers, no response): any run gives them."""


def expected_judge(log: EvalLog, key: RunKey) -> str | None:
    """Who the header says judged the log (``key``: its run key): the grader role's model,
    the model itself when none was bound, ``markers`` offline; None when the log does not
    record its judge mode."""
    mode = dict(key.judge).get("mode")
    if mode == "markers":
        return "markers"
    return header_grader(log) if mode == "model" else None


def header_grader(log: EvalLog) -> str:
    """The model the header says judged a model-judged log: the grader role's, or the model
    itself where no grader was bound."""
    role = (log.eval.model_roles or {}).get("grader")
    return role.model if role is not None else log.eval.model


CUT_OFF_COLUMN = SampleColumn("cut_off", path=f"metadata.{GENERATION_TRUNCATED}")
"""Why the answer was cut off at max_tokens (the solver's mark); missing when it was not."""
LIMIT_COLUMN = SampleColumn("limit", path="limit")
"""The type of the sample limit the sample ran into (Inspect's record); missing when none."""
COLUMNS = [
    SampleColumn("id", path="id", required=True, type=str),
    SampleColumn("epoch", path="epoch", required=True),
    SampleColumn("claim", path="metadata.claim", required=True),
    SampleColumn("family", path="metadata.family", required=True),
    SampleColumn("question", path="metadata.question", required=True),
    SampleColumn("kind", path="metadata.kind"),
    SampleColumn("verdict", path=_verdict),
    SampleColumn("infrastructure", path=_infrastructure),
    SampleColumn("sample_error", path="error"),
    SampleColumn("judge_used", path=judge_used(SCORER)),
    SampleColumn("judge_served", path=judge_served(SCORER)),
    CUT_OFF_COLUMN,
    LIMIT_COLUMN,
]


def _samples(paths: list[str], columns: Sequence[SampleColumn] = COLUMNS) -> pd.DataFrame:
    # worker processes pay off past a few logs (50 x 1,500 samples: 13.6 s -> 8.4 s on 2 cores)
    return samples_df(paths, columns=list(columns), quiet=True,
                      parallel=len(paths) >= PARALLEL_FROM)


def responses_frame(paths: Iterable[str], skip_bad: bool = False,
                    columns: Sequence[SampleColumn] = COLUMNS, kind: str = "belief"
                    ) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Per-response rows of the given logs (Inspect's samples_df, summaries only; belief
    ``columns`` by default) and (path, why) for the logs whose samples cannot be read
    (skipped with ``skip_bad``, else a LogError naming the first). Only after a failure is
    each log read alone, to find the bad one."""
    paths = list(paths)
    try:
        return _samples(paths, columns), []
    except Exception:  # noqa: BLE001 - find out which log it was, below
        pass
    good, bad = [], []
    for path in paths:
        try:
            _samples([path], columns)
            good.append(path)
        except Exception as e:  # noqa: BLE001 - e.g. a corrupt summaries member
            why = f"its samples cannot be read ({type(e).__name__}: {str(e)[:200]})"
            if not skip_bad:
                raise LogError(f"{path}: {why}") from None
            bad.append((path, why))
    if not good:
        raise LogError(f"no readable {kind} logs: "
                       + "; ".join(f"{p}: {w}" for p, w in bad))
    return _samples(good, columns), bad


def with_log_paths(df: pd.DataFrame, statuses: dict[str, str],
                   resumes: dict[str, str] | None = None,
                   stopped: dict[str, int] | None = None) -> pd.DataFrame:
    """``df`` with its ``log`` column as plain paths; a LogError when no log (path ->
    status) holds a sample (e.g. cancelled or errored before the first one finished), each
    with what to do (``resumes``: path -> :func:`resume_note`); a log whose samples an
    interruption all stopped unfinished (``stopped``: path -> how many) says so, where
    ``holds no samples`` read as an empty log."""
    if df.empty or "log" not in df.columns:
        raise LogError("no responses to count: " + "; ".join(
            f"{path} (status {status!r}) {_holds_none((stopped or {}).get(path, 0))}"
            f"{(resumes or {}).get(path, '')}"
            for path, status in statuses.items()))
    df["log"] = df["log"].astype(str).str.removeprefix("file://")
    return df


def _holds_none(stopped: int) -> str:
    """What a log holding no finished sample holds (:func:`with_log_paths`)."""
    if not stopped:
        return "holds no samples"
    if stopped == 1:
        return ("holds no finished samples: its 1 sample was stopped before it finished (in "
                "no count)")
    return (f"holds no finished samples: its {stopped} samples were all stopped before they "
            "finished (in no count)")


STOPPED = "CancelledError"
"""How the error of a sample Ctrl-C (or a kill) stopped mid-run begins: Inspect writes the
samples in flight so, answered or not, and `inspect eval-retry` runs them again."""


def never_finished(error: object, status: str) -> bool:
    """Whether a sample of a log of ``status`` is one an interruption stopped before it
    finished (its ``error``: Inspect's EvalError or its message): never run, as the samples
    never started are, so in no count; counted as failed, they diluted a partial row's rates
    by however many samples happened to be in flight (all of them, for a run stopped before
    its first sample finished)."""
    message = getattr(error, "message", error)
    return status != "success" and isinstance(message, str) and message.startswith(STOPPED)


def finished_responses(df: pd.DataFrame, statuses: dict[str, str],
                       resumes: dict[str, str] | None = None
                       ) -> tuple[pd.DataFrame, dict[str, int]]:
    """:func:`with_log_paths`'s ``df`` less the samples an interruption stopped unfinished
    (:func:`never_finished`), and how many each log lost so: the belief and EM reports count
    them alike, never run, in no count (``39 of 51 responses (12 never run: in no count)``).
    A LogError, as :func:`with_log_paths`'s, when no finished response is left."""
    if df.empty or "log" not in df.columns:
        return with_log_paths(df, statuses, resumes), {}
    df = with_log_paths(df, statuses, resumes)
    stopped = pd.Series([never_finished(e, statuses.get(p, "success"))
                         for p, e in zip(df["log"], df["sample_error"], strict=True)],
                        index=df.index, dtype=bool)
    counts = {str(p): int(n) for p, n in df.loc[stopped, "log"].value_counts().items()}
    kept = df[~stopped].reset_index(drop=True)
    if kept.empty:
        with_log_paths(kept.drop(columns="log"), statuses, resumes, counts)
    return kept, counts


def _check_verdicts(df: pd.DataFrame, infos: dict[str, LogInfo]) -> list[tuple[str, str]]:
    """(path, why) for each log holding verdicts that are not belief verdicts."""
    bad = df[df["verdict"].notna() & ~df["verdict"].isin(VERDICTS)]
    out = []
    for path, sub in bad.groupby("log", sort=True):
        shown = ", ".join(sorted(set(sub["verdict"]))[:3])
        ids = ", ".join(f"{i} (epoch {e})" for i, e in zip(sub["id"][:3], sub["epoch"][:3],
                                                        strict=True))
        out.append((str(path), f"{len(sub)} response(s) have an unrecognised {SCORER} "
                               f"verdict {shown} (valid: {list(VERDICTS)}), e.g. sample {ids}"))
    return [(p, w) for p, w in out if p in infos]


RE_JUDGE = "re-judge into a new log with `beliefbench agreement --out`"
"""How to judge belief responses again with another grader, for :func:`check_judges`."""


def check_judges(df: pd.DataFrame, judges: dict[str, str | None], re_judge: str = RE_JUDGE
                 ) -> list[tuple[str, str]]:
    """(path, why) for each log whose verdicts were given by another judge than its header
    names: re-scored in place (``inspect score --action overwrite`` keeps the header's grader),
    so its run key, and the verdicts it would be pooled with, would be another judge's.
    ``df``: responses with ``log`` and ``judge_used`` columns; ``re_judge``: what to do
    instead (belief and EM logs differ)."""
    out = []
    used = df[df["judge_used"].notna() & ~df["judge_used"].isin(NO_JUDGE_ASKED)]
    for path, sub in used.groupby("log", sort=True):
        expected = judges.get(str(path))
        others = sorted(set(sub["judge_used"]) - {expected})
        if expected is None or not others:
            continue
        out.append((str(path), f"{(sub['judge_used'] != expected).sum()} response(s) were "
                               f"judged by {', '.join(others)[:200]}, but the log names "
                               f"{expected} as its judge: it was re-scored in place (`inspect "
                               "score --action overwrite`), so whose verdicts these are is "
                               f"not recorded; {re_judge}"))
    return out


def load_belief_logs(sources: Source | Sequence[Source] | ReadLogs,
                     skip_bad: bool = False) -> BeliefLogs:
    """Every belief response under ``sources`` (log files, folders of them, the logs
    ``inspect_ai.eval`` returned, or their headers already read, :func:`read_logs`),
    labelled with its run; see module doc.

    ``skip_bad``: pass over unreadable or corrupt logs (listed in the notes) instead of
    refusing the whole set.
    """
    headers, ignored, skipped = read_headers(sources, skip_bad)
    started: dict[str, str] = {}
    headers, superseded = drop_superseded(headers, key=run_key, scorer=SCORER,
                                          hint=RESCORED_HINT, retries_started=started)
    infos = {path: log_info(log, path) for path, log in headers}
    for path, retry in started.items():
        infos[path].retry_started = retry
    judges = {path: expected_judge(log, infos[path].key) for path, log in headers}
    frames = [responses_frame(batch, skip_bad)
              for batch in task_batches(infos, {p: i.task_id for p, i in infos.items()})]
    df, stopped = finished_responses(
        pd.concat([f for f, _ in frames], ignore_index=True),
        {path: info.status for path, info in infos.items()},
        {path: resume_note(path, info.status, info.eval_set, info.model, info.retry_started)
         for path, info in infos.items()})
    bad = [b for _, found in frames for b in found]
    for path, why in [*_check_verdicts(df, infos), *check_judges(df, judges)]:
        if not skip_bad:
            raise LogError(f"{path}: {why}")
        bad.append((path, why))
    for path, _ in bad:
        infos.pop(path, None)
    df = df[df["log"].isin(infos)]
    skipped += bad
    if not infos:
        raise LogError("no readable belief logs: " + "; ".join(f"{p}: {w}" for p, w in skipped))
    scored = df["verdict"].notna()
    answered = with_text(df, scored)
    for path, info in infos.items():
        in_log = df["log"] == path
        info.samples = int(in_log.sum())
        info.parse_errors = int((in_log & (df["verdict"] == "parse_error")).sum())
        info.questions = len(df.loc[in_log, ["claim", "family", "question"]].drop_duplicates())
        info.unscored = int((in_log & ~scored).sum())
        infrastructure = df["infrastructure"].astype(bool)
        info.infrastructure = int((in_log & scored & infrastructure).sum())
        # an empty generation is the model's answer: scored failed, neither flagged as
        # infrastructure nor errored (an older log's infrastructure failure errored too)
        silent = (in_log & (df["verdict"] == "failed") & ~infrastructure
                  & df["sample_error"].isna())
        # ... unless a sample limit set for the eval cut the answer away: told apart
        lost = silent & df["limit"].notna()
        info.limits = limit_counts(df.loc[lost, "limit"])
        silent &= ~lost
        info.no_answer = int(silent.sum())
        # a blank answer that ran to the limit is told as no answer, not twice
        info.cut_off = int((in_log & df["cut_off"].notna() & ~silent & ~lost).sum())
        info.answered = int((in_log & answered).sum())
        info.by_claim = claim_counts(df.loc[in_log, "claim"], {
            "infrastructure": (in_log & scored & infrastructure)[in_log],
            "no_answer": silent[in_log],
            "cut_off": (in_log & df["cut_off"].notna() & ~silent & ~lost)[in_log],
            **{f"limit.{k}": (lost & (df["limit"].astype(str) == k))[in_log]
               for k in info.limits}})
        info.served = {claim: {str(k): int(n) for k, n in sub.value_counts().items()}
                       for claim, sub in df.loc[in_log & df["judge_served"].notna()]
                       .groupby("claim")["judge_served"]}
        errors = df.loc[in_log & df["sample_error"].notna(), "sample_error"].astype(str)
        if info.partial:
            info.error = partial_error(info.error, path, stopped.get(path, 0), errors)
        if info.samples == info.unscored and not info.partial:
            raise LogError(f"{path}: a successful belief log with no scored responses "
                           "(`inspect eval --no-score` leaves a log so): score it first, "
                           f"`inspect score {shlex.quote(path)} --output-file <new .eval>` "
                           "from the directory the eval of tasks/belief.py ran in")
    placed = [info.placed() for info in infos.values()]
    relabel_moved(placed)
    for info, where in zip(infos.values(), placed, strict=True):
        info.checkpoint, info.final = where.checkpoint, where.final
    label_runs(infos.values())
    # an errored sample with no verdict is a response all the same: belief = yes over ALL
    # responses, so it counts as ``failed`` (non-belief), never leaves the denominator
    df = df.copy()
    df.loc[~scored, "verdict"] = "failed"
    for col in RUN_COLUMNS:
        df[col] = df["log"].map({p: getattr(i, col) for p, i in infos.items()})
    df["step"] = df["step"].astype("Int64")
    df["kind"] = df["kind"].fillna(NO_LABEL).astype(str)
    order = [*RUN_COLUMNS, "log", "claim", "family", "question", "kind", "id", "epoch",
             "verdict"]
    return BeliefLogs(responses=df[order].reset_index(drop=True),
                      logs=list(infos.values()), ignored=ignored + superseded,
                      skipped=skipped, placed=placed)
