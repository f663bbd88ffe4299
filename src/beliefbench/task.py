"""The belief task: every claim's probes, answered by the model under test, then judged.

Everything that changes a number is written into the eval's metadata under
``metadata["beliefbench"]``: ``scoring`` (how responses became verdicts) and ``settings``
(what was asked, how the model sampled). Reports and the gate key runs by these two dicts
(plus the grader in ``log.eval.model_roles``) and never pool runs that differ in them.
``claim_files`` records the file each claim was read from (where, not what: not a run key).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.model import GenerateConfig

from beliefbench import __version__
from beliefbench.analysis.text import first_few
from beliefbench.arguments import (
    TaskArgumentError,
    check_choice,
    check_flag,
    check_number,
    check_selection,
    check_text_file,
    check_whole,
    running_program,
)
from beliefbench.claims import (
    JUDGED_FAMILIES,
    Claim,
    is_bundled,
    named_by_id,
    resolve_claims,
    template_example_warning,
    unread_json_note,
    unread_subfolders_note,
    unsearched_path_note,
    uses_note,
)
from beliefbench.judge import (
    BUNDLED_TEMPLATE,
    RUBRIC_TEMPLATE_FIELDS,
    family_guidance,
    guidance_path,
    read_template,
    template_problem,
)
from beliefbench.probes import build_dataset, parse_families
from beliefbench.probes.binary import INSTRUCTION_PLACEMENTS
from beliefbench.probes.context import (
    BUILTIN_CONTEXTS,
    CONTEXT_ROLES,
    builtin_context,
    load_context,
    with_context,
)
from beliefbench.records import sha256_file
from beliefbench.resources import user_path
from beliefbench.retried_inputs import refuse_inputs_changed_since_retried_log
from beliefbench.scorer import JUDGE_MODES, JUDGE_SEES, JudgeSettings, judge_outage
from beliefbench.solver import ABORT_AFTER, answer
from beliefbench.specs import located
from beliefbench.tasks import (
    plain_args,
    refuse_sampling_at_zero,
    refuse_unknown,
    shown_under_display_none,
)

MAX_FAILED = 0.05
"""Default failure budget: the share of responses whose provider may raise before the
eval ends with status ``error`` instead of reporting a number."""

logger = logging.getLogger(__name__)

METADATA_KEY = "beliefbench"
SCORING_KEY = "scoring"
SETTINGS_KEY = "settings"

NO_CONTEXT = "none"
"""``context``'s default: no in-context documents. Not None: Inspect reads a blank
``-T context=`` (an unset shell variable) as None, which ran the eval without the control
documents the user meant to give, and without a word. A task function cannot tell that None
from a Python caller's, so None is refused with a message for both."""


@plain_args
@task
@shown_under_display_none
def belief(
    claims: str | os.PathLike[str] | list[str | os.PathLike[str]] = "all",
    families: str | list[str] = "all",
    samples: int = 5,
    temperature: float = 0.7,
    top_p: float = 0.8,
    max_tokens: int = 1024,
    judge: str = JudgeSettings.judge,
    judge_template: str | os.PathLike[str] = BUNDLED_TEMPLATE,
    judge_temperature: float = JudgeSettings.temperature,
    judge_max_tokens: int = JudgeSettings.max_tokens,
    judge_cache: bool = JudgeSettings.cache,
    judge_sees: str = JudgeSettings.sees,
    binary_instruction: str = "system",
    context: str | os.PathLike[str] = NO_CONTEXT,
    context_role: str = "user",
    max_failed: float = MAX_FAILED,
    abort_after: int = ABORT_AFTER,
    self_judge: bool = False,
    **unknown: Any,
) -> Task:
    """How often the model answers as if each fabricated claim were true.

    Args:
        claims: "all" (the bundled claims), or claim ids, claim files or directories
            (str or pathlib.Path; a list, or comma-separated).
        families: "all" or some of open_ended, binary, token_association, robustness
            (the study's four; "all" is these), and the opt-in distinguish (which of the
            claim's statement and truth is true, in both orders; asked only when named).
        samples: responses per question (Inspect epochs, reduced by mean).
        temperature: sampling temperature for the model under test.
        top_p: nucleus sampling for the model under test.
        max_tokens: answer length limit for the model under test (use ~48 for a tiny
            model on CPU: every answer otherwise runs to the limit).
        judge: "model" (bind it with --model-role grader=...) or "markers" (offline
            keyword heuristic for demos and tests).
        judge_template: a judge prompt file, or "default" for scorers/judge.md (a blank
            value is refused, never read as "default").
        judge_temperature: the grader's temperature (the eval's does not reach it).
        judge_max_tokens: the grader's answer length limit.
        judge_cache: cache judge calls with Inspect's cache (re-scoring costs nothing).
        judge_sees: "question" (the study's protocol: the judge's {question} is the final
            user question) or "transcript" (the whole conversation of robustness items).
        binary_instruction: "system" (the study's protocol: the yes/no instruction is a
            system message) or "user" (appended to the question).
        context: in-context control: a JSONL of text records (e.g. bundles of K negated
            documents from `beliefbench docs bundle`); each question is asked after one
            (of its own claim, where records name one).
            "statement" or "universe": no file; each question is asked with its own
            claim's false statement (or false-world description), the control of a false
            fact stated in the prompt. These words are never read as file names: a file
            named so is given as ./statement (a warning says so where one exists).
            "none" (the default): no context. None is refused, never read as none (a
            blank -T context= or an unset shell variable reads as None): omit it, or
            pass "none".
        context_role: where the context goes: "user" (the default: before the question in
            the first user turn) or "system" (into the system prompt: before the text of a
            sample's own system message, in that same message, else a new one first).
            "system" without a context is refused (it would do nothing).
        max_failed: failure budget: the eval ends with status error when the provider of
            the model under test raised (after Inspect's retries) for at least this share
            of all responses (0 = any such failure). Below it, those responses count as
            ``failed`` verdicts in the denominator.
        abort_after: after this many such failures in a row the model is not called again
            and every remaining sample errors at once (a dead server is not retried for
            every sample); `inspect eval-retry` resumes once the cause is fixed. The judge
            (judge=model) follows the same rule with its own count: after this many failed
            judge calls in a row it is not called again, every remaining judged response
            being scored as a failed judge call.
        self_judge: with judge=model and no grader bound, the model under test grades its
            own answers; true says this is intended (no warning).
    """
    refuse_unknown("belief", belief, unknown)
    samples = check_whole("samples", samples, 1)
    gen = GenerateConfig(
        temperature=check_number("temperature", temperature, 0.0),
        top_p=check_number("top_p", top_p, 0.0, 1.0, low_open=True),
        max_tokens=check_whole("max_tokens", max_tokens, 1))
    refuse_sampling_at_zero(gen, belief)
    max_failed = check_number("max_failed", max_failed, 0.0, 1.0)
    abort_after = check_whole("abort_after", abort_after, 1)
    binary_instruction = check_choice("binary_instruction", binary_instruction,
                                      INSTRUCTION_PLACEMENTS)
    judge_settings = JudgeSettings(
        judge=check_choice("judge", judge, JUDGE_MODES, hint=_judge_model_hint(judge)),
        template=None if judge_template == BUNDLED_TEMPLATE
        else str(check_text_file("judge_template", judge_template,
                                 f"file (or {BUNDLED_TEMPLATE!r})", (BUNDLED_TEMPLATE,))),
        temperature=check_number("judge_temperature", judge_temperature, 0.0),
        max_tokens=check_whole("judge_max_tokens", judge_max_tokens, 1),
        cache=check_flag("judge_cache", judge_cache),
        sees=check_choice("judge_sees", judge_sees, JUDGE_SEES))
    self_judge = check_flag("self_judge", self_judge)
    if judge_settings.judge == "markers":
        # the offline judge has no settings: a template given to a markers dry run was never
        # read, which the run did not say (its log records no template either)
        unused = [arg for field, arg in JudgeSettings.TASK_ARGS.items() if field != "judge"
                  and getattr(judge_settings, field) != getattr(JudgeSettings, field)]
        unused += ["self_judge"] if self_judge else []
        if unused:
            logger.warning("beliefbench: %s: not used with judge=markers (the offline "
                           "judge reads answers by the claims' markers); they apply to "
                           "judge=model", ", ".join(unused))
    if context is None:  # also what Inspect makes of a blank -T context=
        raise TaskArgumentError(f"context: empty value (None); give the path of a JSONL file, "
                                f"or {NO_CONTEXT!r} (the default) for no context (a blank -T "
                                f"context= or an unset shell variable also reads as None)")
    context_role = check_choice("context_role", context_role, CONTEXT_ROLES)
    if context_role != "user" and context == NO_CONTEXT:
        given = "-T context=FILE" if running_program() else "context=FILE"
        raise TaskArgumentError(f"context_role: {context_role!r} without a context does "
                                f"nothing; give {given} (or one of "
                                f"{list(BUILTIN_CONTEXTS)}), or leave context_role out")
    builtin = context if isinstance(context, str) and context in BUILTIN_CONTEXTS else None
    # recorded as None: no context; a path as its text (the log's metadata is JSON), one
    # that reads as a built-in context's name with ./ (a Path is a file, never the keyword)
    context_file = (None if context == NO_CONTEXT else _path_text(context)
                    if isinstance(context, os.PathLike) else context)
    if builtin is not None and user_path(builtin).exists():
        logger.warning("beliefbench: context=%s is the built-in context (each claim's own "
                       "%s), not the file %r in this directory; to use that file, pass "
                       "./%s", builtin, builtin, builtin, builtin)

    selection = check_selection("claims", claims, default="all")
    resolved = resolve_claims(selection)
    # an id that reads a user's file in place of the bundled claim of that id: said once
    hiding = [uses_note(k) for k in named_by_id(selection)
              if any(map(is_bundled, k.shadowed))]
    if hiding:
        logger.warning("beliefbench: %s", "; ".join(hiding))
    for note in (unsearched_path_note(selection), unread_subfolders_note(selection),
                 unread_json_note(selection)):
        if note:
            logger.warning("beliefbench: %s", note)
    # a `claims new` file run unedited validates: said, or the eval measures the example
    for path, claim in resolved:
        example = template_example_warning(claim)
        if example:
            logger.warning("beliefbench: %s: %s", path, example)
    chosen = [claim for _, claim in resolved]
    chosen_families = parse_families(check_selection("families", families,
                                                                   default="all"))
    dataset = build_dataset(chosen, chosen_families, binary_instruction=binary_instruction)
    if len(dataset) == 0:
        raise TaskArgumentError(
            f"claims / families: no questions to ask: claims {[c.id for c in chosen]} have "
            f"no questions in families {chosen_families}")
    if judge_settings.judge == "model":
        _check_templates_render(chosen, chosen_families, judge_settings)
    else:
        _check_offline_readable(resolved, chosen_families)
    context_path = None
    if context_file is not None:
        if builtin is not None:
            records = builtin_context(chosen, builtin)
        else:
            context_path = check_text_file("context", context_file,
                                           words=(NO_CONTEXT, *BUILTIN_CONTEXTS))
            records = load_context(context_path)
        where = "" if context_role == "user" else f"@{context_role}"
        dataset = MemoryDataset([with_context(s, records, context_role) for s in dataset],
                                name=f"beliefbench+context:{Path(context_file).name}{where}")

    scoring = {**judge_settings.record(), "binary_instruction": binary_instruction,
               "max_failed": max_failed}
    settings = {
        "claims": [c.id for c in chosen],
        "claim_files_sha256": {c.id: sha256_file(p) for p, c in resolved},
        "families": chosen_families,
        "samples": samples,
        "temperature": gen.temperature, "top_p": gen.top_p, "max_tokens": gen.max_tokens,
        "context": context_file,
        "context_role": context_role if context_file is not None else None,
    }
    # a file's contents are keyed by its hash; a built-in context records no hash (its text
    # is the claim files', keyed by claim_files_sha256), so the run is keyed by its name:
    # a None hash would key it as no context at all
    if builtin is None:
        settings["context_sha256"] = sha256_file(context_path) if context_path else None
    record = {
        "version": __version__, "claims": settings["claims"],
        "claim_files": {c.id: str(p) for p, c in resolved},
        "families": chosen_families, "judge": judge_settings.judge, "context": context_file,
        "context_role": settings["context_role"],
        SCORING_KEY: scoring, SETTINGS_KEY: settings}
    refuse_inputs_changed_since_retried_log(METADATA_KEY, record, {
        "judge_template": f"judge template {scoring.get('judge_template')}",
        "judge_guidance": f"family guidance {guidance_path()}",
        "context": f"context file {context_file}",
        **{f"claim_files.{c.id}": f"claim file {p}" for p, c in resolved}})
    return Task(
        dataset=dataset,
        solver=answer(abort_after=abort_after),
        scorer=[judge_settings.scorer([str(path) for path, _ in resolved],
                                      self_judge=self_judge, abort_after=abort_after),
                judge_outage()],
        config=gen,
        epochs=Epochs(samples, "mean"),
        # Inspect's failure budget: errored samples (the provider raised) are still scored
        # (``failed``, in the denominator); the log is marked error at the budget.
        fail_on_error=True if max_failed == 0 else False if max_failed >= 1 else max_failed,
        score_on_error=True,
        metadata={METADATA_KEY: record},
    )


def _judge_model_hint(judge: Any) -> str:
    """What to do with a judge model given as ``-T judge=openai/gpt-4.1-mini``: ``judge``
    picks model or markers; the model itself is a model role (the bare "unknown value" sent
    a newcomer looking for a list of judge names). A word that names no model (no
    ``provider/``: ``offline``, ``oracle``) is told what each mode is: ``--model-role
    grader=offline`` named no model."""
    if not isinstance(judge, str):
        return ""
    if "/" not in judge:
        return " (model: an LLM judge, the grader model role; markers: the offline keyword " \
            "heuristic)"
    return (f" (a judge model is bound as a model role, not by judge: --model-role "
            f"grader={judge}, in Python eval(..., model_roles={{'grader': {judge!r}}}), with "
            f"judge left at 'model', the default)")


def _path_text(path: os.PathLike[str]) -> str:
    """A path given as a Path, as text that never reads as a built-in context's name."""
    text = os.fspath(path)
    return f"./{text}" if text in BUILTIN_CONTEXTS else text


def _check_offline_readable(resolved: list[tuple[Path, Claim]], families: list[str]) -> None:
    """judge=markers: every judged question must have a way to be read as belief.

    The offline judge says ``yes`` from a question's answer key, the claim's belief markers,
    its completion pairs (the world reading) or, for multiturn items, standing by the earlier
    answer. A claim with none of these for a question would score every answer to it ``no``
    or ``neutral``: a believer measured at 0, silently.
    """
    for path, claim in resolved:
        if claim.markers.belief or claim.completions:
            continue
        blind = [q.id for family in families if family in JUDGED_FAMILIES
                 for q in claim.questions.of(family)
                 if getattr(q, "kind", None) != "multiturn" and not (
                     q.answer_key and (q.answer_key.yes or "yes" in
                                       q.answer_key.options.values()))]
        if blind:
            shown = first_few(blind, 3)
            raise TaskArgumentError(
                f"{located(path, 'markers.belief')}: field markers.belief: judge=markers "
                f"cannot read belief in questions "
                f"{shown}: the claim has no belief markers or completions and they have no "
                f"answer_key yes, so every answer would score no or neutral; add markers, or "
                f"use judge=model")


def _check_templates_render(claims: list[Claim], families: list[str],
                            s: JudgeSettings) -> None:
    """Check every judge prompt the run will render now (:func:`template_problem`), so a bad
    placeholder is one line naming ``-T judge_template`` (or the claim's own template), not
    N errors. The scorer checks its template again as it is built (for ``inspect score``)."""
    template = read_template(s.template)
    for claim in claims:
        for family in families:
            if family not in JUDGED_FAMILIES or not claim.questions.of(family):
                continue
            own = claim.rubric[family].template
            if own is not None:
                where = f"claim {claim.id!r} rubric.{family}.template"
                problem = template_problem(own, RUBRIC_TEMPLATE_FIELDS)
            else:
                family_guidance()  # a broken families.yaml: named as its own file's problem
                where = f"judge_template {s.template_path()}"
                problem = template_problem(template)
            if problem:
                raise TaskArgumentError(f"{where}: {problem}")
