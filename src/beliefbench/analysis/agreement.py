"""Judge agreement: re-score one belief log with several graders and compare their verdicts.

Each grader re-scores the SAME responses through Inspect's re-scoring (``inspect_ai.score``
with the belief scorer and the ``grader`` model role), so only the judge changes. Agreement
is measured on the judged responses (open-ended, token-association, robustness answers that
went to the grader); binary exact matches and failed generations get the same verdict from
every judge and would only inflate agreement. Belief rates, by contrast, are over ALL
responses (the usual counting rules), so their spread is what a judge swap does to results.

A judge *call* that failed (the grader raised after Inspect's retries) is no verdict of that
judge: such responses are left out of every kappa (an outage is not a disagreement), counted
(``excluded_responses``, each judge's ``judge_failed`` share) and named in a note; in the
belief rates they are ``failed``, as in the task. Graders are resolved before any
re-scoring, so an unusable one (unknown provider, missing key) stops the command at once.

The judge settings (template, temperature, max_tokens, what the judge sees) are the log's
own, through the task's one judge factory (:class:`beliefbench.scorer.JudgeSettings`); only
the grader changes. Each re-scored log's header names the grader and judge settings that
re-scored it (Inspect's re-scoring keeps the original's), under an eval id of its own.
The log's run key (:mod:`beliefbench.analysis.runs`) is reported with the result.
Offline (no API key): ``--grader beliefbench/judge`` is the scripted grader.

Fleiss' kappa has no scikit-learn implementation; it is the textbook formula below (Fleiss
1971) on the items x categories count matrix.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from inspect_ai import score
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import Model, ModelConfig, get_model
from sklearn.metrics import cohen_kappa_score

from beliefbench.analysis.em_report import is_em_log
from beliefbench.analysis.logs import (
    NO_LOG_SAMPLES,
    READ_VERDICTS,
    SCORER,
    LogError,
    _cut,
    expected_responses,
    find_log_files,
    held_text,
    incomplete_text,
    is_belief_log,
    never_finished,
    report_made_from,
    resume_note,
    unread_counts,
    unreadable_log,
)
from beliefbench.analysis.runs import (
    TASK_KEY,
    fields_text,
    keyed_model_args,
    model_of,
    plain_value,
    run_key,
    setting_text,
)
from beliefbench.claims import JUDGED_FAMILIES, Claim, resolve_claims
from beliefbench.documents.llm import redact
from beliefbench.judge import guidance_path
from beliefbench.metrics import VERDICTS, question_table, rate
from beliefbench.optional import vllm_missing
from beliefbench.records import sha256_file
from beliefbench.scorer import GRADER_BOUND, NEVER_READ_WARNING, JudgeSettings
from beliefbench.scorer import logger as scorer_logger
from beliefbench.solver import ABORTED, unsendable_key
from beliefbench.solver import logger as solver_logger

TABLES = ("agreement_pairs.csv", "agreement_rates.csv", "agreement_claim_rates.csv")
"""The tables ``--out`` holds beside the re-scored logs (the CLI writes them at the end)."""
NOT_JUDGED = ("exact_match", "none")
"""Score metadata ``judge`` values for responses no grader saw."""


@dataclass
class AgreementResult:
    log: str
    judges: list[str]
    verdicts: pd.DataFrame
    """One row per judged response (id, epoch, claim, family), one column per judge."""
    pairs: pd.DataFrame
    fleiss_kappa: float
    rates: pd.DataFrame
    claim_rates: pd.DataFrame
    model: str = ""
    """The model under test whose answers were re-judged."""
    settings: str = ""
    """The log's task settings and the judge settings every grader used (run key)."""
    notes: list[str] = field(default_factory=list)
    excluded: int = 0
    """Judged responses left out of the kappas: a judge's call failed (or it gave no score)."""
    spread_defined: bool = True
    """False where a judge's calls failed or none of its replies could be read: its rate
    then differs by the outage (counted failed / parse_error), not by what it judged."""
    unread: str | None = None
    """Why nothing was compared where no grader read any of the log's responses (every
    verdict of every judge a parse error or failed), or any judged one (or none went to a
    judge), else None: ``agreement`` exits 2."""
    written: list[str] = field(default_factory=list)
    """The re-scored logs written to ``out_dir``, one per grader (none without it)."""

    @property
    def spread(self) -> float:
        if not self.spread_defined:
            return float("nan")
        return float(self.rates["belief"].max() - self.rates["belief"].min())

    def to_dict(self) -> dict:
        """Everything, JSON-ready: an undefined kappa (NaN) is ``None`` (JSON ``null``), as
        ``json.dumps`` would otherwise write ``NaN``, which is not JSON."""
        return _no_nan(self._fields())

    def _fields(self) -> dict:
        return {**({"error": self.unread} if self.unread else {}), "log": self.log,
                "model": self.model, "settings": self.settings,
                "judges": self.judges, "judged_responses": len(self.verdicts),
                "excluded_responses": self.excluded,
                "fleiss_kappa": self.fleiss_kappa, "belief_spread": self.spread,
                "pairs": self.pairs.to_dict("records"), "rates": self.rates.to_dict("records"),
                "claim_rates": self.claim_rates.to_dict("records"), "notes": self.notes}


def _no_nan(value: Any) -> Any:
    """``value`` with every float NaN (nested in dicts and lists) replaced by None."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    return value


def fleiss_kappa(ratings: np.ndarray) -> float:
    """Fleiss' kappa of an items x raters array of category labels."""
    items, raters = ratings.shape
    if items == 0 or raters < 2:
        return float("nan")
    cats = np.unique(ratings)
    counts = np.stack([(ratings == c).sum(axis=1) for c in cats], axis=1).astype(float)
    p_item = ((counts ** 2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_cat = counts.sum(axis=0) / (items * raters)
    p_e = float((p_cat ** 2).sum())
    if p_e == 1.0:
        return float("nan")  # every rating the same category: agreement is undefined
    return float((p_item.mean() - p_e) / (1 - p_e))


def _claim_sources(log: EvalLog, path: str) -> list[tuple[Path, Claim]]:
    """The claim files behind a log and their claims: the files the run read (recorded, by
    absolute path, in ``claim_files``) where they are all still on disk, else the log's
    ``claims`` task argument resolved again. That argument was resolved in the folder the
    eval ran in: a relative claim file (``-T claims=claims/mine.yaml``) read from another
    folder was "no such claim file", or another folder's file of that name."""
    from beliefbench.claims import load_claim

    md = log.eval.metadata[TASK_KEY]
    wanted = set(md.get("claims", []))
    recorded = md.get("claim_files") or {}
    if wanted and isinstance(recorded, dict) and all(
            isinstance(recorded.get(c), str) and Path(recorded[c]).is_file() for c in wanted):
        try:
            found = [(Path(recorded[c]), load_claim(recorded[c])) for c in sorted(wanted)]
        except Exception:  # noqa: BLE001 - a file that no longer reads: resolve the argument
            found = []
        if found and all(claim.id == c for (_, claim), c in zip(found, sorted(wanted),
                                                                 strict=True)):
            return found
    args = log.eval.task_args or {}
    try:
        resolved = resolve_claims(args.get("claims", "all"))
    except Exception as e:  # noqa: BLE001 - name the log whose claims cannot be reloaded
        gone = sorted(str(recorded[c]) for c in wanted if isinstance(recorded.get(c), str))
        where = (f"; the files the run read are not all on disk here ({', '.join(gone)})"
                 if gone else "")
        raise LogError(f"{path}: cannot reload the log's claims {args.get('claims')!r} "
                       f"to re-score it ({e}){where}") from e
    missing = wanted - {c.id for _, c in resolved}
    if missing:
        raise LogError(f"{path}: claims {sorted(missing)} are no longer loadable")
    return resolved


def _claim_files_of(log: EvalLog, path: str) -> list[str]:
    """The claim files behind a log (:func:`_claim_sources`)."""
    return [str(p) for p, _ in _claim_sources(log, path)]


def _changed_claims(log: EvalLog, path: str) -> list[str]:
    """Claims whose file changed since the log was made (re-scoring reads the current one)."""
    recorded = (log.eval.metadata["beliefbench"].get("settings") or {}).get(
        "claim_files_sha256") or {}
    return sorted(c.id for p, c in _claim_sources(log, path)
                  if c.id in recorded and sha256_file(p) != recorded[c.id])


def _judge_file_changed(log: EvalLog, judge: JudgeSettings, name: str) -> bool:
    """Whether a file the judge prompt is made from (``template``, ``guidance``) changed
    since the log was judged with it (re-scoring reads the current one). A log judged by the
    markers, or made before the file's hash was recorded, has nothing to compare."""
    field = f"judge_{name}_sha256"
    recorded = (log.eval.metadata[TASK_KEY].get("scoring") or {}).get(field)
    return bool(recorded) and judge.record().get(field) != recorded


def _check_judge_prompts(log: EvalLog, path: str, judge: JudgeSettings) -> None:
    """The check the task makes before any call, made again: re-scoring reads the template
    and claims as they are now, and one edited since the run to lack ``{answer}`` had every
    grader judge answers it never saw (the verdicts reported as a result), one with a bad
    placeholder or gone was a traceback."""
    from beliefbench.claims import load_claim
    from beliefbench.task import _check_templates_render

    if judge.template and not Path(judge.template).is_file():
        raise LogError(f"{path}: its judge template {judge.template} (-T judge_template) is "
                       "not a file here; re-score where it is, or restore it")
    claims = [load_claim(f) for f in _claim_files_of(log, path)]
    families = sorted({str(s.metadata.get("family")) for s in log.samples or []})
    try:
        _check_templates_render(claims, families, judge)
    except ValueError as e:
        raise LogError(f"{path}: cannot re-judge it: {e}") from None


def rescored_names(labels: Sequence[str]) -> dict[str, str]:
    """Each judge's name in its ``rescored-<name>`` file: the label with ``/`` and other
    characters a file name should not hold as ``_``; labels that would share a name (``a/b``
    and ``a_b``) each get a short hash of the label, so one log never replaces another."""
    names = {x: "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in x)
             for x in labels}
    shared = Counter(names.values())
    return {x: n if shared[n] == 1 else f"{n}-{hashlib.sha1(x.encode()).hexdigest()[:6]}"
            for x, n in names.items()}


def _refuse_replacing_another_log(log: EvalLog, out: Path, names: dict[str, str],
                                  suffix: str) -> None:
    """Refuse (before any grader is called) where ``out`` holds a judge's re-scored log of
    ANOTHER log under the name this run would write: it was replaced with no word, its
    judge calls lost and ``report OUT`` no longer showing that log's row. The same log
    re-scored again by the same judge replaces its earlier copy, as before."""
    for label, name in names.items():
        target = out / rescored_file(log, name, suffix)
        if not target.is_file():
            continue
        try:
            held = read_eval_log(str(target), header_only=True)
        except Exception:  # noqa: BLE001 - not a log we can read: say so, never replace it
            held = None
        # rescore() names it <the log's eval id>-rescored-<8 hex> (a re-scored log's too)
        if held is not None and re.fullmatch(rf"{re.escape(log.eval.eval_id)}-rescored-"
                                             r"[0-9a-f]{8}", held.eval.eval_id):
            continue
        of = (f"the re-scoring by {label} of another log (eval id "
              f"{held.eval.eval_id.rsplit('-rescored-', 1)[0]}, model {model_of(held)}, "
              f"created {held.eval.created[:19]})" if held is not None
              else "a file that is no readable log")
        raise LogError(f"--out {out}: {target.name} holds {of}; re-scoring this log would "
                       "replace it (its judge calls lost): give each log an --out of its "
                       "own, or move that file away")


def rescored_file(log: EvalLog, name: str, suffix: str) -> str:
    """The file name of a judge's re-scored log: ``rescored-<name>.eval``; a ``.json`` one
    starts with the eval's time, as Inspect names its logs, since Inspect's readers (and so
    ``report``) take a ``.json`` log by that name only."""
    if suffix != ".json":
        return f"rescored-{name}{suffix}"
    return f"{log.eval.created[:19].replace(':', '-')}_rescored-{name}.json"


def rescore(log: EvalLog, grader: str | Model, path: str = "") -> EvalLog:
    """The log re-scored by ``grader`` with the task's own judge settings (Inspect's score).

    Inspect's re-scoring leaves the header as it was: the grader role, the judge record and
    the eval id would still name the original judge, so a report or gate reading the
    re-scored log would file one judge's verdicts under another's name (and take two
    re-scorings of one log for copies). The header is made to say what judged it: the
    ``grader`` role, the ``scoring`` record, and an eval id of its own (the task id stays:
    the same responses, so the gate never compares it with its original).
    """
    args = log.eval.task_args or {}
    settings = JudgeSettings.from_args(args, judge="model")
    scorer = settings.scorer(_claim_files_of(log, path))
    model = grader if isinstance(grader, Model) else get_model(grader)
    # Inspect's score() rebuilds the log's model and each role from the header unless given:
    # an hf/ checkpoint loaded (or gone since), a vllm/ one needing vLLM here, a hosted judge
    # its key; judging the answers needs none of them, so the grader stands in for all
    bare = log.model_copy(update={"eval": log.eval.model_copy(update={"model_roles": None})})
    with _abort_said_of_agreement():
        rescored = score(bare, scorer, model=model, model_roles={"grader": model},
                         action="overwrite", display="none", copy=True)
    # Inspect re-scores every sample, errored ones too: a sample that errored before it was
    # judged (Ctrl-C, a crash) is no verdict of the run's, as `report` counts it (failed);
    # left unscored here too, it is failed in the rates and in no kappa
    unjudged = {(s.id, s.epoch) for s in log.samples or []
                if s.error is not None and (s.scores or {}).get(SCORER) is None}
    for sample in rescored.samples or []:
        if (sample.id, sample.epoch) in unjudged and sample.scores:
            sample.scores.pop(SCORER, None)
    # its model arguments too, as Inspect records a bound role: two local judges of one
    # name (``model_path``) are two judges; secrets and what JSON cannot write are left out
    args = {k: v for k, v in keyed_model_args(model.model_args).items() if plain_value(v)}
    base_url = model.api.base_url and redact(model.api.base_url)  # https://user:token@...
    role = ModelConfig(model=str(model), config=model.config, base_url=base_url, args=args)
    rescored.eval.model_roles = {**(log.eval.model_roles or {}), "grader": role}
    md = dict(rescored.eval.metadata or {})
    record = dict(md.get(TASK_KEY) or {})
    record["scoring"] = {**(record.get("scoring") or {}), **settings.record()}
    record["judge"] = settings.judge
    rescored.eval.metadata = {**md, TASK_KEY: record}
    judge = (f"{role.model}|{setting_text(role.config.model_dump(exclude_none=True))}"
             f"|{setting_text(args)}")
    rescored.eval.eval_id = (f"{log.eval.eval_id}-rescored-"
                             f"{hashlib.sha1(judge.encode()).hexdigest()[:8]}")
    return rescored


GRADER_GIVEN = "grader given (--grader)"
"""The scorer's never-read warning's grader (:data:`~beliefbench.scorer.GRADER_BOUND`) as
agreement sets it: it told a user of ``agreement`` to check ``--model-role grader=...``, an
option agreement has none of."""


class _AgreementAbort(logging.Filter):
    """The judge's abort message (10 failures in a row) said as an agreement's: the eval's
    told a user re-scoring a log to fix the failure budget and run `inspect eval-retry
    <log>`, which would re-run the original log's judge, not this grader. The warning of a
    judge never read names the grader as agreement takes it (:data:`GRADER_GIVEN`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg is NEVER_READ_WARNING and args and args[-1] == GRADER_BOUND:
            record.args = (*args[:-1], GRADER_GIVEN)
            return True
        if args and str(args[0]).startswith(ABORTED):
            record.msg = ("beliefbench: agreement: %s. The log itself is unchanged; the "
                          "responses this grader did not judge are counted JUDGE FAILED (the "
                          "notes count them): fix the grader and run the agreement "
                          "again")
            record.args = (args[0],)
        return True


@contextmanager
def _abort_said_of_agreement() -> Iterator[None]:
    said = _AgreementAbort()
    solver_logger.addFilter(said)
    scorer_logger.addFilter(said)
    try:
        yield
    finally:
        solver_logger.removeFilter(said)
        scorer_logger.removeFilter(said)


_MARKUP = re.compile(r"\[/?(?:bold|blue|red|yellow|green|italic|dim)[^\]]*\]")
MAX_ERROR = 400
"""Characters of a provider's refusal kept in a one-line message."""


def model_error(e: BaseException, secrets: Sequence[str] = ()) -> str:
    """Why a model could not be made, on one line: every line of the provider's message
    (Inspect's "Unable to initialise OpenAI client" is followed by the reason, "No
    OPENAI_API_KEY defined in the environment"), rich markup removed, sentences joined with
    "; ", at most :data:`MAX_ERROR` characters, and no secret: neither the values of
    key-like environment variables nor any of ``secrets`` (values given with the model)."""
    from beliefbench.documents.llm import redact

    lines = [line.strip() for line in _MARKUP.sub("", str(e)).splitlines() if line.strip()]
    text = "; ".join(line.rstrip(".;:") if i < len(lines) - 1 else line
                     for i, line in enumerate(lines))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = redact(text)
    if len(text) > MAX_ERROR:
        text = text[:MAX_ERROR - 3].rstrip() + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _first_failure(whys: Any, failed: pd.Series) -> str:
    """``: <what the first failed call raised>`` (cut short), or "" where the log kept no
    text (``whys``: each compared response's score explanation, in ``failed``'s order): the
    note said only that the judge's call raised, so a run without --out (whose re-scored
    logs keep the error) left no word of why."""
    whys = [w for w, f in zip(whys, failed, strict=True) if f and isinstance(w, str)]
    if not whys:
        return ""
    why = " ".join(whys[0].split())
    return f": {why[:300].rstrip()}{'...' if len(why) > 300 else ''}"


def _verdict_frame(log: EvalLog) -> pd.DataFrame:
    rows = []
    for s in log.samples or []:
        sc = (s.scores or {}).get(SCORER)
        if s.invalidation is not None or never_finished(s.error, log.status):
            continue  # thrown out after the run, or stopped unfinished: as `report` counts
        # an errored sample never judged is a response all the same, failed (as `report`
        # counts it), and no judge's verdict
        judged = sc is not None and sc.metadata.get("judge") not in NOT_JUDGED
        rows.append({"id": str(s.id), "epoch": s.epoch, "claim": s.metadata["claim"],
                     "family": s.metadata["family"], "question": s.metadata["question"],
                     "verdict": sc.answer if sc is not None else "failed", "judged": judged,
                     # the grader raised: an outage, not this judge's verdict
                     "judge_failed": judged and bool(sc.metadata.get("infrastructure")),
                     # what it raised, for the note: the re-scored logs that keep it are
                     # written only with --out
                     "why": sc.explanation if sc is not None else None})
    return pd.DataFrame(rows)


def load_log(path: str | Path) -> EvalLog:
    """The one belief log to re-score (a directory is refused: which log is meant?)."""
    p = Path(path)
    if p.is_dir():
        try:
            found = [f for f, _ in find_log_files(p)]
        except LogError:
            found = []
        shown = ", ".join(found[:3]) + (" ..." if len(found) > 3 else "")
        made = report_made_from(p)
        raise LogError(f"{p}: is a directory; agreement re-scores one log, so give one .eval "
                       f"log file" + (f" (it holds {len(found)}: {shown})" if found
                                      else f" (it holds none: {made})" if made
                                      else " (it holds none)"))
    if not p.is_file():
        raise LogError(f"{p}: no such log file")
    try:
        log = read_eval_log(str(p))
    except Exception as e:  # noqa: BLE001
        raise LogError(f"{p}: {report_made_from(p) or unreadable_log(e, p)}") from e
    if is_em_log(log):
        raise LogError(f"{p}: an EM log (task {log.eval.task!r}): agreement re-judges belief "
                       "logs only (kappas over belief verdicts, not the EM judges' 0-100 "
                       "scores); read EM logs with `beliefbench em-report`, which keeps runs "
                       "judged by different graders apart (column grader)")
    if not is_belief_log(log):
        raise LogError(f"{p}: not a belief log (task {log.eval.task!r} has no 'beliefbench' "
                       "eval metadata)")
    if not log.samples:
        if log.eval.config.log_samples is False:
            raise LogError(f"{p}: {NO_LOG_SAMPLES}")
        # a log killed before its first sample said only this, where report and gate say
        # its status and how to resume it
        ended = "" if log.status == "success" else (
            f" (status {log.status!r}){resume_note(str(p), log.status, model=log.eval.model)}")
        raise LogError(f"{p}: the log holds no samples{ended}")
    # said now: it was a traceback after every grader had been called
    if all(s.invalidation is not None for s in log.samples):
        raise LogError(f"{p}: every sample was invalidated after the run (Inspect's "
                       "invalidate_samples): nothing to compare")
    return log


def agreement(path: str | Path, graders: Sequence[str | Model],
              labels: Sequence[str] | None = None,
              out_dir: str | Path | None = None) -> AgreementResult:
    """Re-score the log at ``path`` with every grader; kappas and belief-rate spread."""
    if len(graders) < 2:
        raise ValueError("--grader: give at least two graders to compare")
    labels = list(labels) if labels else [str(g) for g in graders]
    if len(set(labels)) != len(labels):
        raise ValueError(f"--grader: graders must differ, got {labels}")
    for grader in graders:  # Inspect would say so only as each sample is re-scored
        if (why := vllm_missing(grader)) is not None:
            raise ValueError(f"--grader {grader}: {why}")
    log = load_log(path)
    resolved: list[Model] = []
    for grader in graders:  # every grader usable before anything is re-scored
        try:
            resolved.append(grader if isinstance(grader, Model) else get_model(grader))
        except Exception as e:  # noqa: BLE001 - unknown provider, missing key, ...
            from beliefbench.provider import PROVIDER, closest_scripted

            # a mistyped scripted grader's guess last, outside the provider's refusal
            api, _, name = str(grader).partition("/")
            guess = closest_scripted(name) if api == PROVIDER else ""
            why = model_error(e)
            raise ValueError(f"--grader {grader}: cannot use this model "
                             f"({why.removesuffix(guess)}){guess}") from None
        if why := unsendable_key(resolved[-1]):  # else each call: "Connection error."
            raise ValueError(f"--grader {grader}: {why}")
    judge_now = JudgeSettings.from_args(log.eval.task_args, judge="model")
    if not judge_now.temperature > 0:  # the log's judge temperature: 0 by default
        from beliefbench.analysis.sweep import sampling_grader

        for grader, model in zip(graders, resolved, strict=True):
            # by name, as given (an hf name always samples); configured, the made model
            if why := sampling_grader(grader if isinstance(grader, str) else model,
                                      "--grader", zero="the log's judge runs at "
                                      "temperature 0"):
                raise ValueError(why)
    _check_judge_prompts(log, str(path), judge_now)  # before any grader is called
    run = run_key(log)
    judged = fields_text(judge_now.record())
    notes = []
    held, expected = len(log.samples or []), expected_responses(log)
    if log.status != "success":  # how much of the run it holds, as report's PARTIAL says
        notes.append(f"PARTIAL: {path} has status {log.status!r} "
                     f"({held_text(held, expected)}); only its scored responses are compared")
    if log.status == "success" and expected and held < expected:  # --limit / --sample-id
        notes.append(incomplete_text(str(path), held, expected, _cut(log),
                                     "a claim may be missing altogether"))
    invalid = sum(s.invalidation is not None for s in log.samples or [])
    if invalid:
        notes.append(f"INVALIDATED: {path}: {invalid} sample(s) were invalidated after the run "
                     "(Inspect's invalidate_samples); they are left out of the comparison")
    changed = _changed_claims(log, str(path))
    if changed:
        notes.append(f"CLAIMS CHANGED: {', '.join(changed)}: the claim file differs from the "
                     "one the log was made with (sha256); every grader judged with the "
                     "current file's rubric, not the run's")
    if _judge_file_changed(log, judge_now, "template"):
        notes.append(f"TEMPLATE CHANGED: {judge_now.template_path()}: the judge template "
                     "differs from the one the log was judged with (sha256); every grader "
                     "judged with the current file, not the run's")
    if _judge_file_changed(log, judge_now, "guidance"):
        notes.append(f"GUIDANCE CHANGED: {guidance_path()}: the families' guidance differs "
                     "from the one the log was judged with (sha256); every grader judged "
                     "with the current file, not the run's")
    frames: dict[str, pd.DataFrame] = {}
    written: list[str] = []
    names = rescored_names(labels)
    if out_dir is not None:  # before any grader is called
        _refuse_replacing_another_log(log, Path(out_dir), names, Path(str(path)).suffix)
    for label, grader in zip(labels, resolved, strict=True):
        rescored = rescore(log, grader, str(path))
        frames[label] = _verdict_frame(rescored)
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            # an earlier run's tables would sit beside this run's logs until it ends (or for
            # good, where it is interrupted) as if they were their numbers
            for name in TABLES:
                (out / name).unlink(missing_ok=True)
            written.append(str(out / rescored_file(rescored, names[label],
                                                   Path(str(path)).suffix)))
            write_eval_log(rescored, written[-1])
    key = ["id", "epoch", "claim", "family", "question"]
    first = frames[labels[0]]
    merged = first.loc[first["judged"], key].copy()
    index = pd.MultiIndex.from_frame(merged[["id", "epoch"]])
    unusable = pd.Series(False, index=merged.index)
    for label in labels:
        f = frames[label].set_index(["id", "epoch"])
        merged[label] = index.map(f["verdict"])
        failed = index.map(f["judge_failed"]).to_series(index=merged.index).fillna(False)
        missing = merged[label].isna()
        if failed.any():
            why = _first_failure(index.map(f["why"]), failed)
            notes.append(f"JUDGE FAILED: {label}: {int(failed.sum())} of {len(merged)} judged "
                         f"responses (its call raised{why}): "
                         "left out of every kappa, and failed in its belief rate; re-run the "
                         "agreement when the grader works")
        if missing.any():
            notes.append(f"UNSCORED: {label}: {int(missing.sum())} of {len(merged)} judged "
                         "responses have no verdict: left out of every kappa")
        unusable |= failed.astype(bool) | missing
    excluded = int(unusable.sum())
    merged = merged[~unusable].reset_index(drop=True)
    # a judge none of whose replies could be read gave no verdict to compare: two such read
    # as "agreement 1.000", and one against a working judge as kappa 0 (a disagreement)
    unreadable = [x for x in labels if not merged.empty and (merged[x] == "parse_error").all()]
    for label in unreadable:
        notes.append(f"UNREADABLE: {label}: all {len(merged)} judged replies are parse errors "
                     "(no verdict read): its kappas and agreement are undefined; see its "
                     "replies in the re-scored log (--out)")
    pairs = []
    for a, b in combinations(labels, 2):
        x, y = merged[a].to_numpy(), merged[b].to_numpy()
        read = bool(len(x)) and a not in unreadable and b not in unreadable
        kappa = (float(cohen_kappa_score(x, y, labels=list(VERDICTS)))
                 if read and not (len(set(x)) == 1 and set(x) == set(y)) else float("nan"))
        pairs.append({"judge_a": a, "judge_b": b, "cohen_kappa": kappa,
                      "agreement": float((x == y).mean()) if read else float("nan"),
                      "responses": len(x)})
    if merged.empty and excluded:  # there were judged responses: none has every verdict
        notes.append(f"none of the {excluded} judged responses has a verdict of every judge "
                     "(see the notes above): kappas are undefined")
    elif merged.empty:
        notes.append("no judged responses (only binary / failed): kappas are undefined")
    elif any(np.isnan(p["cohen_kappa"]) and not {p["judge_a"], p["judge_b"]} & set(unreadable)
             for p in pairs):
        notes.append("a kappa is undefined ('-'; null in --json) where both judges gave one "
                     "single verdict to every response")
    rates, claim_rates = [], []
    for label in labels:
        q = question_table(frames[label][["claim", "family", "question", "verdict"]])
        r = rate(q)
        rates.append({"judge": label, "belief": r.belief, "ci_low": r.ci_low,
                      "ci_high": r.ci_high, **{v: r.shares[v] for v in VERDICTS[1:]},
                      # a share as the others are (each claim's, averaged over claims):
                      # a plain mean over responses read above `failed` that holds it
                      "judge_failed": float(frames[label].groupby("claim")["judge_failed"]
                                            .mean().mean())
                      if len(frames[label]) else float("nan"),
                      "responses": r.n_responses})
        frame = frames[label]
        for claim in sorted(q["claim"].unique()):
            # with its shares: a claim whose every judge call failed read belief 0, alone
            c = rate(q[q["claim"] == claim], n_bootstrap=0)
            claim_rates.append({"judge": label, "claim": claim, "belief": c.belief,
                                **{v: c.shares[v] for v in VERDICTS[1:]},
                                "judge_failed": float(
                                    frame.loc[frame["claim"] == claim, "judge_failed"].mean()),
                                "responses": c.n_responses})
    broken = [x for x in labels if frames[x]["judge_failed"].any()] + unreadable
    if broken:
        notes.append(f"the belief-rate spread is undefined ('-'; null in --json): "
                     f"{', '.join(broken)} gave no verdict on some responses (see the notes "
                     "above), so its rate differs by that, not by what it judged")
    # the spread of rates of 0 is no agreement; nor are judges none of which read a judged
    # reply (binary answers get every judge's verdict alike): every comparison is undefined
    unread = nothing_read(str(path), frames) or nothing_judged(str(path), frames) \
        or nothing_compared(str(path), merged, excluded, broken)
    return AgreementResult(
        log=str(path), judges=labels, verdicts=merged, pairs=pd.DataFrame(pairs),
        fleiss_kappa=fleiss_kappa(merged[labels].to_numpy())
        if not merged.empty and not unreadable else float("nan"),
        rates=pd.DataFrame(rates), claim_rates=pd.DataFrame(claim_rates),
        model=model_of(log), settings=f"{run.settings_text}; every grader: {judged}",
        notes=notes, excluded=excluded, spread_defined=not broken and not unread,
        unread=unread, written=written)


def nothing_read(path: str, frames: dict[str, pd.DataFrame]) -> str | None:
    """Why the agreement is no result where no grader read any of the log's responses as a
    verdict on an answer (all failed generations, or binary answers and judge replies that
    could not be read), else None. Its tables then hold only undefined kappas and rates of
    0, which a script took for a result (exit 0)."""
    if any(f["verdict"].isin(READ_VERDICTS).any() for f in frames.values()):
        return None
    first = next(iter(frames.values()))
    claims = sorted({str(c) for c in first["claim"]})
    counts = _unread_counts(frames)
    return (f"{path}: no grader read any of its {len(first)} responses (claim(s) "
            f"{', '.join(claims)}) as a verdict on an answer ({counts}): the kappas are "
            "undefined and every belief rate is 0 whatever the model believes; look at its "
            "answers and the judges' replies (`inspect view`, the re-scored logs in --out: "
            "empty or garbled answers, judges that do not reply in JSON?)")


def nothing_compared(path: str, merged: pd.DataFrame, excluded: int,
                     broken: Sequence[str]) -> str | None:
    """Why the agreement is no result where judged responses were read but none has a
    verdict of every grader (one whose every call failed, or that scored none), else None:
    no two judges were compared, yet the command exited 0 with every kappa undefined beside
    the working judges' rates, which a script took for a result. (A judge that answered but
    none of whose replies could be read is a finding about that judge: exit 0.)"""
    if not merged.empty or not excluded:
        return None
    who = f" ({', '.join(broken)} gave none)" if broken else ""
    return (f"{path}: none of its {excluded} judged responses has a verdict of every "
            f"grader{who}: the judges were not compared (the kappas, agreement and "
            "belief-rate spread are undefined); see the notes (JUDGE FAILED: its calls "
            "raised), and run the agreement again when every grader works")


def _unread_counts(frames: dict[str, pd.DataFrame]) -> str:
    """Each grader's parse errors and failed verdicts, for the no-result messages."""
    return "; ".join(f"{label}: {unread_counts(f['verdict'])}" for label, f in frames.items())


def nothing_judged(path: str, frames: dict[str, pd.DataFrame]) -> str | None:
    """Why the agreement is no result where some responses were read (binary answers, which
    every grader scores alike) but no grader read any judged reply as a verdict, or none
    went to a judge at all; else None. The judges were then not compared: every kappa and
    agreement is undefined, and the rates differ by nothing the judges did, yet the command
    exited 0 with nulls (or a spread of 0.000) a script took for a result."""
    first = next(iter(frames.values()))
    claims = ", ".join(sorted({str(c) for c in first["claim"]}))
    if not first["judged"].any():
        return (f"{path}: none of its {len(first)} responses (claim(s) {claims}) went to a "
                "judge (binary answers and failed generations get the same verdict from "
                "every grader): the judges were not compared (the kappas and agreement are "
                "undefined, the belief rates the same); agreement compares them on judged "
                f"families ({', '.join(JUDGED_FAMILIES)})")
    judged = {label: f[f["judged"]] for label, f in frames.items()}
    if any(f["verdict"].isin(READ_VERDICTS).any() for f in judged.values()):
        return None
    counts = _unread_counts(judged)
    return (f"{path}: no grader read any of its {len(judged[next(iter(judged))])} judged "
            f"responses (claim(s) {claims}) as a verdict ({counts}): the judges were not "
            "compared (the kappas, agreement and belief-rate spread are undefined); look at "
            "the judges' replies (the re-scored logs in --out: judges that do not reply in "
            "JSON, or whose calls failed?)")
