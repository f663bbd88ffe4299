"""``beliefbench internals direction | steer | ablate | patch | stability | efficiency``.

Directions and interventions on local checkpoints (transformers forward hooks), added to the
``internals`` group by ``beliefbench.cli``. Every intervention runs with its same-norm
random-direction control and the unmodified checkpoint (``--no-baseline`` skips it for the
``em`` / ``belief`` tasks; ``margins`` refuses it, its effects need the baseline). Bad
input exits 2 with a one-line message; heavy imports happen inside the commands.
"""

from __future__ import annotations

import functools
import json
import math
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from beliefbench.cli.choices import Choice
from beliefbench.cli.errors import BadInput, exit_past_threads
from beliefbench.cli.given_once import lists_given_once
from beliefbench.cli.internals import (
    CLAIMS_HELP,
    MODEL_HELP,
    check_out_writable,
    measured,
    out_writable,
    warn_other_weights,
)
from beliefbench.cli.internals import _echo_table as _table
from beliefbench.cli.outputs import report_folder
from beliefbench.cli.paths import UserPath
from beliefbench.cli.report import _key_values, model_roles_option
from beliefbench.runlock import hold, holds
from beliefbench.tasks import TASK_NAMES

if TYPE_CHECKING:  # the CLI starts without importing torch
    from beliefbench.internals.interventions import InterventionSpec

OUT_HELP = "Where results go."
BEST_NOTE = ("from index 1 on; index 0, the embeddings, is not a candidate: a context-free "
             "lookup of each token, it separates the two sets by the words they use, not by "
             "anything the model computed")
"""Why ``direction``'s default layer may differ from the table's largest d."""
DIRECTION_COLUMNS = (
    "norm: length of the direction (the positive answers' mean activation minus the "
    "negative ones') at that residual index, in the activations' units; cohens_d: how far "
    "apart the two sets' projections on it lie, in pooled standard deviations; accuracy: share "
    "of the answers the midpoint between the two sets' mean projections puts on their own side "
    "(both in-sample: fitted on the answers they score, so large on noise too); "
    "cohens_d_heldout / accuracy_heldout: the same with the direction fitted on other "
    "questions' answers ('-': no held-out split could score)")
"""The legend under the direction table: its columns had no unit, and an unscorable held-out
cell printed ``NaN``."""
INTERVENTION_COLUMNS = (
    "efficacy: share of pairs the claim wins; margin: mean log P(claim) - log P(truth), "
    "nats per token; mean_effect: mean change of each pair's margin from the baseline's "
    "(their 95% CIs: intervention_summary.csv); random-control: the same operation with a "
    "seeded random direction of the same norm")
"""The legend under the steer / ablate table: its columns carried no unit, and the control
row no explanation."""
PATCH_COLUMNS = (
    "margin: mean log P(claim) - log P(truth) of B patched, nats per token (margin_source: "
    "A's, margin_target: B's); recovery: share of the A-B margin gap the patch closes (1: A's "
    "margins, 0: B's; pooled over pairs by gap); act_diff: size of A's minus B's "
    "activations at the patched positions, relative to B's (0: the layer is the same in "
    "both, so the patch cannot move B); flip_pairs: pairs whose winner differs "
    "between A and B; flip_rate: share of them the patch turns to A's winner ('-': none); "
    "control: B's own activations plus random vectors of the A - B difference's norm")
"""The legend under the patch table (recovery and flip_rate are ratios, not margins)."""
STABILITY_COLUMNS = (
    "scale: the noise's size, relative to {unit}; loss: mean token loss on --data, nats per "
    "trained token, averaged over the draws (scale 0: the model itself; '-': no draw gave a "
    "finite loss); loss_sd: its sd over the draws ('-': fewer than two); loss_increase: the "
    "mean loss minus the unperturbed model's (a less stable solution loses more at the same "
    "scale); seeds: the draws averaged (one whose loss is NaN or infinite left out)")
"""The legend under the stability table, as the other internals tables have one; ``unit``:
what ``--scales`` is relative to, which depends on the noise's target."""
STABILITY_UNITS = {"finetuning delta": "the norm of each tensor's finetuning delta",
                   "all weights": "each weight tensor's RMS"}
EFFICIENCY_COLUMNS = (
    "kl: whether the checkpoint's recipe trained with a KL term ('-': the base, step 0, which "
    "no recipe trained); loss: mean token loss on --data, nats per trained token; "
    "param_distance: ||theta - theta_base||, the L2 norm of the weight change from the base "
    "(a less efficient solution needs a larger one for the same loss)")
"""The legend under the efficiency table, as the stability table has one."""
RESCALED_COLUMNS = (
    "norm: the L2 norm the checkpoint's weight change is rescaled to; scale: that norm over "
    "its own; loss: as above, at that norm; unscaled: True on the checkpoint's own row")
"""The legend under ``efficiency --norms``' rescaled table."""
PATCH_POSITIONS = {
    "prompt": "A's activations on every prompt token; the continuation's tokens keep B's, "
              "so even the last index does not give A's margins",
    "last": "A's activations on the last prompt token only (the one that predicts the "
            "continuation's first token)",
    "all": "A's activations on every token, prompt and continuation (the last index gives "
           "A's margins exactly)"}
"""What each ``patch --positions`` replaces, printed above the table and in ``--help``: the
last index's recovery under the default (well below 1) read as a bug."""


def _unchanged_layers_note(summary) -> str | None:
    """The line under the patch table for layers where A's and B's activations are the same
    (the embeddings of a LoRA finetune): their recovery of 0 read as "the belief is not
    there" (the tiny model's layer 0, 0.000 patched and control)."""
    same = sorted({int(r.layer) for r in summary.itertuples() if r.act_diff < 1e-6})
    if not same:
        return None
    which = f"layer {same[0]}" if len(same) == 1 else \
        f"layers {', '.join(map(str, same))}"
    why = ("the embeddings, which the finetune left alone, as a LoRA finetune of the linear "
           "layers does"
           if same == [0] else "the finetune changed nothing up to there")
    return (f"note: {which}: A's and B's activations are the same there (act_diff 0; {why}), "
            f"so patching cannot move B and its recovery of 0 is by construction, not a sign "
            f"that the belief is not carried there")
MAX_LEN = click.IntRange(min=8)
"""As a recipe's ``max_seq_len``: a negative one sliced each record from its end and measured
a loss on what was left (exit 0), and 0 blamed the first record for having no tokens."""
MAX_LEN_HELP = "Tokens of each record, at most (a recipe's max_seq_len)."


def _absolute(path: str | Path | None) -> str | None:
    """A path as a results file records it: absolute (resolved), as the other manifests and
    results files do; a relative one, as typed, named nothing once read from elsewhere. A
    name not on disk (None, a marker such as ``--base``) is kept as it is."""
    if path is None:
        return None
    p = Path(path).expanduser()
    return str(p.resolve()) if p.exists() else str(path)


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _numbers(option: str, value: str, *, positive: bool = False,
             example: str = "0,0.01,0.1") -> list[float]:
    """Comma-separated finite numbers, >= 0 (> 0 with ``positive``), or a one-line BadInput
    naming ``option``: float() reads nan and inf, and nan reached the loops as a traceback,
    inf a NaN loss."""
    bound = "> 0" if positive else ">= 0"
    items = _split(value) or []
    # the item at fault is named, with what to write: "expected comma-separated numbers"
    # left the user to find the one of five that was not
    words = [v for v in items if not _is_float(v)]
    if words:
        raise BadInput(f"{option} {value!r}: {_listed(words)} "
                       f"{'is not a number' if len(words) == 1 else 'are not numbers'}; "
                       f"expected comma-separated numbers {bound}, e.g. {example}")
    if not items:
        raise BadInput(f"{option} {value!r}: no {option.removeprefix('--').removesuffix('s')} "
                       f"given; expected comma-separated numbers {bound}, e.g. {example}")
    # `--scales 0,,1` measured 0 and 1 without a word of the item between: a number lost
    # to a typo (0,0.,1 with the dot slipped) was never run, and the table read as complete
    parts = value.split(",")
    empty = [str(i) for i, part in enumerate(parts, 1) if not part.strip()]
    if empty:
        raise BadInput(f"{option} {value!r}: item{'s' if len(empty) > 1 else ''} "
                       f"{', '.join(empty)} of {len(parts)} "
                       f"{'are' if len(empty) > 1 else 'is'} empty (a comma too many, or a "
                       f"number left out?); expected comma-separated numbers {bound}, e.g. "
                       f"{example}")
    values = [float(v) for v in items]
    bad = [v for v, x in zip(items, values, strict=True)
           if not math.isfinite(x) or x < 0 or (positive and x == 0)]
    if bad:
        raise BadInput(f"{option} {value!r}: expected finite numbers {bound}, not "
                       f"{_listed(bad)}; e.g. {example}")
    return values


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _listed(items: list[str]) -> str:
    return ", ".join(repr(v) for v in items)


OPTIONS = {"layer": "--layer", "layers": "--layers", "coef": "--coef"}
"""The planner's fields (:class:`beliefbench.internals.steering.InterventionError`) as these
commands' options: ``ablate --layers 0-9`` said ``layers: '0-9' includes ...``, naming no
option the user had typed. Named also where the value came from a default (the file's
best_layer, ``--layers all``): the option is how to change it."""


def _guard(fn):
    """Input errors as exit-2 one-liners: the internals group's own handling, with the
    planner's errors naming the command's option at fault (:data:`OPTIONS`)."""
    from beliefbench.cli.internals import bad_input

    @functools.wraps(fn)
    def named(*args, **kwargs):
        from beliefbench.internals.steering import InterventionError

        try:
            return fn(*args, **kwargs)
        except InterventionError as e:
            has = {p.name for p in click.get_current_context().command.params}
            raise BadInput(e.naming({k: v for k, v in OPTIONS.items() if k in has})) \
                from None

    return bad_input(named)


def _roles(pairs: tuple[str, ...]) -> dict:
    """``--model-role`` as Inspect's CLI takes it: ``grader=provider/model``, or
    ``grader={model: ..., model_args: {...}, temperature: ...}`` for a configured model
    (the one parser, :func:`beliefbench.cli.report.model_roles_option`, sweep's too)."""
    return model_roles_option(pairs)


def _written(paths) -> None:
    click.echo("Wrote:")
    for p in paths:
        click.echo(f"  {p}")


def _one_log(path: str) -> str:
    """``--log logs/tiny-belief`` (the eval's --log-dir) was refused by click as "is a
    directory": its one ``.eval`` log is read; several are named, newest first, to pick one."""
    folder = Path(path)
    if not folder.exists():  # was "not a readable Inspect log (ValueError: No recorder ...)"
        raise BadInput(f"--log {path}: no such log file or folder")
    if not folder.is_dir():
        return path
    def newest_first(pattern: str) -> list[Path]:
        return sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)

    def shown(logs: list[Path]) -> str:
        return ", ".join(map(str, logs[:3])) + (", ..." if len(logs) > 3 else "")

    logs = newest_first("*.eval")
    if len(logs) == 1:
        return str(logs[0])
    if not logs:
        # a sweep's --log-dir holds one log per checkpoint subfolder: name them, newest
        # first (was "a folder without .eval logs"); which checkpoint's is the user's pick
        below = newest_first("*/*.eval")
        if not below:
            raise BadInput(f"--log {path}: a folder without .eval logs; pass an Inspect "
                           "log file")
        raise BadInput(f"--log {path}: no .eval log in the folder itself, {len(below)} in "
                       f"its subfolders (a sweep's --log-dir?); pass one of them (newest "
                       f"first: {shown(below)})")
    raise BadInput(f"--log {path}: a folder of {len(logs)} .eval logs; pass one of them "
                   f"(newest first: {shown(logs)})")


@click.command(cls=lists_given_once("--positive", "--negative"))
@click.option("--model", "model_path", required=True,
              help="Checkpoint whose activations are read (full, merged or LoRA adapter).")
@click.option("--log", "log_path", required=True, type=UserPath(),
              help="An EM log (em vs clearly aligned ok answers) or a belief log (yes vs no "
                   "answers); a --log-dir folder holding one .eval log takes it.")
@click.option("--positive", default=None, help="Verdicts of the positive set (default: em / "
              "yes).")
@click.option("--negative", default=None, help="Verdicts of the negative set (default: ok / "
              "no).")
@click.option("--claim", default=None, help="Belief logs: only this claim's answers.")
@click.option("--aligned-above", default=None, type=click.FloatRange(0, 100),
              help="EM logs: an ok answer joins the negative (aligned) set only above this "
                   "aligned score (default 70, the follow-up study's; 30 keeps every ok).")
@click.option("--domain", default=None, type=Choice(["general", "narrow", "all"]),
              help="EM logs: the answers to these questions only (default general: general "
                   "misalignment, as in the follow-up study; all pools both domains, whose "
                   "topics the direction then also separates).")
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("internals/direction"), show_default=True, help=OUT_HELP)
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any).")
@click.option("--dtype", default=None,
              help="float32 / bfloat16 / float16 (default: the checkpoint's own).")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1),
              help="Answers per forward pass (batched by length): larger is faster and "
                   "takes more memory.")
@click.option("--allow-other-model", is_flag=True,
              help="Use a log of an unrelated local model's answers (neither it nor --model "
                   "trained from the other, nor both from one model); refused otherwise.")
@_guard
@holds("internals direction", param="out_dir")
@out_writable
def direction(model_path: str, log_path: str, positive: str | None, negative: str | None,
              claim: str | None, aligned_above: float | None, domain: str | None,
              out_dir: Path,
              device: str | None, dtype: str | None, batch_size: int,
              allow_other_model: bool) -> None:
    """Mean-difference direction (positive - negative answers) at every residual index."""
    from beliefbench.internals.directions import (
        DirectionError,
        answer_activations,
        answers_from_log,
        best_layer,
        heldout_separation,
        log_model_note,
        mean_difference,
        nested_separation,
        save_directions,
        separation,
    )
    from beliefbench.internals.model import describe, lineage, load_model
    from beliefbench.internals.results import records, write_results

    log_path = _one_log(log_path)
    pos, neg, info = answers_from_log(log_path, _split(positive), _split(negative), claim,
                                      aligned_above, domain)
    note = log_model_note(log_path, info["log_model"], model_path,
                          allow_other_model=allow_other_model)
    for said in (note, info.pop("log_note")):  # whose answers; a run that did not finish
        if said:
            click.echo(f"warning: {said}", err=True)
    model, tokenizer = load_model(model_path, device=device, dtype=dtype)
    fmt = {k: info[k] for k in ("use_chat_template", "chat_template")}
    a_pos = answer_activations(model, tokenizer, pos, batch_size=batch_size, **fmt)
    a_neg = answer_activations(model, tokenizer, neg, batch_size=batch_size, **fmt)
    try:
        dirs = mean_difference(a_pos, a_neg)  # the saved direction: over every answer
    except DirectionError as e:
        raise BadInput(f"{log_path}: {e}") from None
    questions = [a.question for a in pos], [a.question for a in neg]
    held, cv = heldout_separation(a_pos, a_neg, *questions)
    table = separation(a_pos, a_neg, dirs).merge(held, on="layer")
    best, basis = best_layer(table)
    # the pick's cohens_d_heldout is the best of many noisy estimates: the nested one
    # re-picks within each fold's training questions, so it is not
    nested = nested_separation(a_pos, a_neg, *questions)
    # lineage: which model (and base) it came from, which steer / ablate check it against
    # the dtype the activations were read in, as margins.json and probe.json record it:
    # a --dtype bfloat16 direction differed from the float32 one with nothing to say why
    meta = {**describe(model_path), **lineage(model_path), **info,
            "dtype": str(next(model.parameters()).dtype), "best_layer": best,
            "best_layer_by": basis or "middle index", **cv, **nested,
            "reduce": "mean over answer tokens"}
    # the ok answers at or below --aligned-above are in neither set: counted, so a thinned
    # aligned set is seen for what it is
    cut = (f"{info['n_left_out']} ok answers with aligned <= {info['aligned_above']:g} left "
           f"out (--aligned-above); " if "ok" in info["negative_verdicts"]
           and info["aligned_above"] is not None else "")
    if info["n_other_domain"]:
        cut += (f"{info['n_other_domain']} answers to the other domain's questions left out "
                f"(--domain {info['domain']}); ")
    if info["n_invalidated"]:
        cut += (f"{info['n_invalidated']} answers invalidated after the run left out "
                f"(invalidate_samples); ")
    why = (f"{cv['n_questions']} question(s): held-out scoring needs 2 or more"
           if cv["heldout_folds"] < 2 else
           "no split by question had both sets among its training answers: each question's "
           "answers on one side?" if not cv["heldout_folds_scored"] else
           "the held-out answers hold one set only, or do not vary")
    how = (f"largest held-out Cohen's d, cohens_d_heldout: the direction fitted on other "
           f"questions' answers, {cv['heldout_folds']} folds over {cv['n_questions']} "
           f"questions;" if basis == "cohens_d_heldout" else
           f"largest IN-SAMPLE Cohen's d, no held-out one ({why}); fitted on the answers it "
           f"scores, it is large on noise too;")
    # without a d anywhere the middle index is a default, not a pick: said so
    click.echo(f"{info['n_positive']} positive vs {info['n_negative']} negative answers; {cut}"
               + (f"best separating residual index: {best} ({how} {BEST_NOTE}); "
                  f"{_nested_clause(nested)}" if basis else
                  f"default residual index: {best}, the middle one (Cohen's d is undefined "
                  f"at every index: neither set's projections vary, e.g. the same answer "
                  f"repeated; steer / ablate --layer picks another)"))
    _table(table)
    click.echo(DIRECTION_COLUMNS)
    if note := unequal_sets_note(info["n_positive"], info["n_negative"]):
        click.echo(note)
    if note := few_answers_note(info["n_positive"], info["n_negative"]):
        click.echo(f"warning: {note}", err=True)
    warn_other_weights(out_dir, meta, "direction.json")
    # the directions first (the earlier run's table and JSON removed as they replace its
    # file), then the table and JSON that describe them together (a failure between those
    # two left a new table beside an earlier run's JSON)
    _written([save_directions(out_dir / "directions.safetensors", dirs, meta,
                              stale=[out_dir / "direction.json", out_dir / "direction.csv"]),
              *write_results(out_dir, {"direction.csv": table}, "direction.json",
                             {"measure": "mean_difference_direction", **meta,
                              "layers": records(table)})])


UNEQUAL_SETS = 0.6
"""The larger set's share of the answers from which ``direction`` says what accuracy a
midpoint putting every answer on that side would score."""


def unequal_sets_note(n_positive: int, n_negative: int) -> str | None:
    """A ``note:`` for sets of unequal size: accuracy counts answers, so with 2 positive vs
    120 negative answers a midpoint that put every answer on the negative side scored 0.984,
    and the table's accuracy 0.984 read as a good separation where it was none."""
    total = n_positive + n_negative
    larger = max(n_positive, n_negative)
    if not total or larger / total < UNEQUAL_SETS:
        return None
    side = "negative" if n_negative >= n_positive else "positive"
    return (f"note: the sets are unequal ({larger} of {total} answers {side}): a midpoint "
            f"that put every answer on the {side} side would score accuracy "
            f"{larger / total:.3f}, so read accuracy against {larger / total:.3f} (and "
            f"accuracy_heldout, over the folds scored, against about that), not 0.5; "
            f"cohens_d compares the sets' means, whatever "
            f"their sizes")


def few_answers_note(n_positive: int, n_negative: int) -> str | None:
    """Why a direction from a set of one answer says nothing: 1 positive vs 1 negative answer
    was written with exit 0 and accuracy 1.000 at every index, read as a clean separation
    (one answer always lies on its own side of the midpoint)."""
    if min(n_positive, n_negative) >= 2:
        return None
    sets = ("each set holds" if max(n_positive, n_negative) < 2 else
            f"the {'positive' if n_positive < 2 else 'negative'} set holds")
    return (f"{sets} one answer ({n_positive} positive vs {n_negative} negative): the "
            f"direction is that one answer's difference from the other side, and its "
            f"accuracies say nothing (one answer always lies on its own side of the "
            f"midpoint); read it as a pipeline check, not a finding, or widen the sets with "
            f"--positive / --negative")


def _nested_clause(nested: dict) -> str:
    """The pick line's nested-CV figure: the pick's own held-out d is the largest of many
    noisy ones, so optimistic; this one is not, or the reason there is none."""
    if nested["cohens_d_nested"] is None:
        return f"no nested-CV d of the pick ({nested['nested_note']})"
    layers = ",".join(str(i) for i in nested["nested_layers"])
    return (f"nested-CV d of the pick: {nested['cohens_d_nested']:.2f} (the layer re-picked "
            f"on each fold's training questions, the d on its held-out ones; without the "
            f"max over layers that inflates cohens_d_heldout), layers picked per fold "
            f"{layers}")


def _margins(model_path: str, spec: InterventionSpec, claims: str, out_dir: Path,
             device: str | None, allow_other_model: bool) -> None:
    """``steer`` / ``ablate --task margins``: each arm's completion margins, written to
    ``out_dir`` (held by the caller)."""
    from beliefbench.internals.interventions import (
        check_checkpoint_fits,
        check_direction_model,
        intervention_margins,
    )
    from beliefbench.internals.margins import single_pair_note, unanimous_pairs_note
    from beliefbench.internals.model import describe, load_model
    from beliefbench.internals.results import records, write_results
    from beliefbench.internals.steering import plan

    # the directions file, --layer, --coef and --layers checked before the checkpoint
    # loads, as for the eval tasks: a typo in one was told after loading the model and
    # computing the baseline's margins of every claim
    directions, layer, meta = spec.resolve()
    plan(directions, spec.mode, layer, coef=spec.coef, ablate_layers=spec.ablate_layers,
         seed=spec.seed)
    # the file's shape against the checkpoint's config first: "computed on another model
    # ... pass --allow-other-model" was said of a file that option cannot make fit
    check_checkpoint_fits(model_path, directions, spec.direction)
    note = check_direction_model(spec.direction, meta, model_path,
                                 allow_other_model=allow_other_model)
    model, tokenizer = load_model(model_path, device=device)
    rows, summary, norms = intervention_margins(model, tokenizer, spec, claims)
    if note:  # once the run has passed every check: not beside a refusal
        click.echo(f"warning: {note}", err=True)
    info = describe(model_path)
    click.echo(measured(info))  # as margins, lens and probe name the model they measured
    import numpy as np

    norm = float(np.linalg.norm(np.asarray(directions[layer], dtype=np.float64)))
    sizes = {"direction_norm": norm, "residual_norm": norms.mean,
             "residual_norm_tokens": norms.count}
    if spec.mode == "add":  # "add L1 x4" said 4 times what: the vector's size, in numbers
        sizes["added_norm"] = abs(spec.coef) * norm
        click.echo(f"Added at residual index {layer}, every position: {spec.coef:g} x the "
                   f"direction (its norm there {norm:.3g}) = a vector of norm "
                   f"{abs(spec.coef) * norm:.3g}, in the activations' units; the control "
                   f"adds a random one of that norm")
        if norms.mean:  # whether that norm is a nudge or swamps what it is added to
            click.echo(f"Mean residual norm at index {layer} (the baseline's, over its "
                       f"{norms.count:,} tokens, each text's first left out): "
                       f"{norms.mean:.3g}; the added vector is "
                       f"{abs(spec.coef) * norm / norms.mean:.3g} x that")
    else:  # "ablate L1@all": which index's direction, and where it is removed
        click.echo(f"Ablated at residual indices {spec.ablate_layers}, every position: the "
                   f"direction of residual index {layer} (its unit vector) projected out "
                   f"(condition 'ablate L{layer}@{spec.ablate_layers}'); the control projects "
                   f"out a random direction")
    _table(summary[[c for c in ("condition", "claim", "kind", "pairs", "efficacy",
                                "margin", "mean_effect") if c in summary.columns]])
    click.echo(INTERVENTION_COLUMNS)
    # the summary it writes holds each arm's CIs (mean_effect_low / _high ...): every arm
    # scores the same pairs, so a cell on one pair has 0-wide CIs in all three
    for note in [*single_pair_note(rows), *unanimous_pairs_note(summary)]:
        click.echo(f"warning: {note}", err=True)
    arm = spec.arm_metadata("intervention", spec.resolve()[1])
    warn_other_weights(out_dir, info, "intervention.json")
    _written(write_results(
        out_dir, {"intervention_margins.csv": rows, "intervention_summary.csv": summary},
        "intervention.json", {"measure": "intervention_margins", **info,
                              **{k: v for k, v in arm.items()
                                 if k not in ("condition", "control")},
                              "direction_model": meta.get("model"), **sizes,
                              "summary": records(summary)}))


def _intervention_command(mode: str):
    """``steer`` (mode add) and ``ablate`` share everything but their knobs."""

    @click.option("--model", "model_path", required=True, help=MODEL_HELP)
    @click.option("--direction", "direction_path", required=True,
                  type=UserPath(path_type=Path),
                  help="directions.safetensors from `internals direction`, or the --out "
                       "folder holding it.")
    @click.option("--layer", default=None, type=int,
                  help="Residual index of the direction (default: the file's best_layer).")
    @click.option("--task", "task_name", type=Choice(("margins", *TASK_NAMES)),
                  default="margins", show_default=True,
                  help="margins: judge-free completion margins in-process; em / belief: the "
                       "Inspect task on each arm (the steer provider serves the model).")
    @click.option("--claims", default="all", show_default=True,
                  help=f"{CLAIMS_HELP} --task margins only (--task belief: -T claims=...).")
    @click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                  help="Seed of the random control.")
    @click.option("-T", "task_args", multiple=True,
                  help="Task parameter key=value (--task em / belief).")
    @click.option("-M", "model_args", multiple=True,
                  help="hf model argument key=value, for every arm (--task em / belief; "
                       "the direction, layer, coef, ... come from the options).")
    @click.option("--model-role", "model_roles", multiple=True,
                  help="--task em / belief: e.g. grader=openai/gpt-4.1-mini, or "
                       "grader={model: hf/..., model_args: {do_sample: false}}.")
    @click.option("--log-dir", type=UserPath(file_okay=False, path_type=Path),
                  default=Path("logs/interventions"), show_default=True,
                  help="Inspect logs of each arm (--task em / belief).")
    @click.option("--baseline/--no-baseline", default=True, show_default=True,
                  help="Also evaluate the unmodified checkpoint (--task em / belief; "
                       "margins always measure it: each effect is against it).")
    @click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
                  default=Path(f"internals/{'steer' if mode == 'add' else 'ablate'}"),
                  show_default=True, help=OUT_HELP + " (--task margins)")
    @click.option("--device", default=None,
                  help="cpu, cuda, cuda:1 ... (default: cuda if any; --task margins).")
    @click.option("--allow-other-model", is_flag=True,
                  help="Apply a direction computed on an unrelated model (neither it nor "
                       "--model trained from the other, nor both from one model); refused "
                       "otherwise.")
    @_guard
    def command(model_path: str, direction_path: Path, layer: int | None, task_name: str,
                claims: str, seed: int, task_args: tuple[str, ...], model_args: tuple[str, ...],
                model_roles: tuple[str, ...], log_dir: Path, baseline: bool, out_dir: Path,
                device: str | None, allow_other_model: bool, coef: float = 1.0,
                layers: str = "all") -> None:
        from beliefbench.internals.directions import directions_file
        from beliefbench.internals.interventions import (
            InterventionSpec,
            check_arm_model_args,
            run_evals,
        )

        if task_name == "margins" and not baseline:
            # margins' effects are differences from the baseline arm (one cheap forward pass
            # per pair): skipping it silently would leave --no-baseline doing nothing
            raise BadInput("--no-baseline: only with --task em or belief (it skips the "
                           "baseline eval); --task margins always scores the baseline, "
                           "since each pair's effect is measured against it")
        if task_name != "margins" and click.get_current_context().get_parameter_source(
                "claims") != click.core.ParameterSource.DEFAULT:
            # the eval arms run the task's own claims (all): --claims dentist was dropped
            # without a word, and every claim evaluated as if it were dentist's run
            raise BadInput(f"--claims: only with --task margins; --task {task_name} takes "
                           + ("its claims as -T claims=..." if task_name == "belief" else
                              "no claims (EM question sets: -T questions=...)"))
        if task_name == "margins":
            # the eval arms' options were dropped without a word: -M coef=4 (the steer
            # provider's spelling) steered at --coef's default 1, -T / --model-role did nothing
            check_arm_model_args(_key_values(model_args, "-M"), evals=False)
            source = click.get_current_context().get_parameter_source
            given = [option for name, option in (
                ("task_args", "-T"), ("model_args", "-M"), ("model_roles", "--model-role"),
                ("log_dir", "--log-dir")) if source(name) != click.core.ParameterSource.DEFAULT]
            if given:
                raise BadInput(f"{', '.join(given)}: only with --task em or belief (each arm "
                               f"an Inspect eval); --task margins, the default, measures "
                               f"completion margins in-process (--claims, --device, --out)")
        if not math.isfinite(coef):  # before the checkpoint loads, not after
            raise BadInput(f"--coef: must be a finite number, got {coef}")
        spec = InterventionSpec(directions_file(direction_path), mode,  # type: ignore[arg-type]
                                layer, coef=coef,
                                ablate_layers=layers, seed=seed)
        if task_name == "margins":
            # only margins write --out; em / belief write --log-dir, whose evals each write a
            # log of their own (as `inspect eval`): holding the default --out refused a
            # second eval arm run into another --log-dir
            with hold(out_dir, f"internals {'steer' if mode == 'add' else 'ablate'}"):
                check_out_writable(out_dir)
                _margins(model_path, spec, claims, out_dir, device, allow_other_model)
            return
        from beliefbench.claims import ClaimSpecError

        try:
            logs = run_evals(task_name, model_path, spec, log_dir=log_dir,
                             task_args=_key_values(task_args, "-T"),
                             model_args=_key_values(model_args, "-M"),
                             model_roles=_roles(model_roles),
                             baseline=baseline, allow_other_model=allow_other_model,
                             notes=lambda note: click.echo(f"warning: {note}", err=True))
        except ClaimSpecError as e:  # the task's claims are -T claims=..., not --claims
            raise BadInput(f"-T {e}" if str(e).startswith("claims:") else str(e)) from None
        for log in logs:
            label = (log.eval.metadata or {}).get("condition")
            click.echo(f"{label}: {arm_status(log)}  {log.location}")
        # a folder of their own: the default --out holds (and would lose) the last report
        command = "em-report" if task_name == "em" else "report"
        by = "" if task_name == "em" else " --by condition"
        # answers no judge read (the offline tiny model's, all no_score or parse errors):
        # the command as suggested exited 2, "no response of 3 run(s) was read as a verdict"
        unread = _nothing_read(logs, task_name)
        why = ("no arm's answer was read as a verdict, every one no_score or failed: its "
               "rates read EM 0 whatever the model answered" if task_name == "em" else
               "no arm's answer was read as belief or disbelief, every one neutral, a parse "
               "error or failed: its rates read belief 0 whatever the model believes")
        # the reason on a line of its own: the command's line pastes into a shell as it is
        # (`... --allow-unread  (no arm's ...)` was a syntax error in bash)
        click.echo(f"Compare the arms: beliefbench {command} {shlex.quote(str(log_dir))}{by} "
                   f"--out {shlex.quote(report_folder(log_dir, task_name))}"
                   + (f" --allow-unread\n  (--allow-unread: {why}; without it {command} "
                      "writes the tables, then exits 2)" if unread else ""))
        if any(log.status != "success" for log in logs):  # past threads a failed arm left
            exit_past_threads(1)

    return command


def _samples(log) -> list:
    """A log's samples: those run_evals returned with it, else read from its file."""
    from inspect_ai.log import read_eval_log

    samples = log.samples if log.samples is not None else \
        read_eval_log(log.location).samples
    return list(samples or [])


def arm_status(log) -> str:
    """An arm's status as its line prints it: Inspect's, and where the eval ended
    ``success`` with no answer holding text (an untrained tiny model answering greedily
    returns blank lines), says so: ``success`` alone read as a result of the arm."""
    samples = _samples(log) if log.status == "success" else []
    if samples and all(not (s.output.completion if s.output else "").strip()
                       for s in samples):
        held = "its one answer holds no" if len(samples) == 1 else \
            f"none of its {len(samples)} answers holds"
        return f"success (every answer empty: {held} text; its rates are no result)"
    return log.status


def _nothing_read(logs: list, task_name: str) -> bool:
    """No answer of any arm's log read as the report needs: an EM arm's as a verdict
    (``em``, ``ok``, ...; every one ``no_score`` or ``failed``), a belief arm's as belief or
    disbelief (every one ``neutral``, ``parse_error`` or ``failed``): ``em-report`` and
    ``report`` then exit 2 unless ``--allow-unread``."""
    if task_name == "em":
        from beliefbench.analysis.em_report import READ, SCORER

        def read(answer: object) -> bool:
            return answer in READ
    else:  # report's exit rule, kept in one place: some response taken as either side
        from beliefbench.analysis.logs import SCORER, read_either_way

        def read(answer: object) -> bool:
            return isinstance(answer, str) and read_either_way({answer: 1})

    for log in logs:
        for sample in _samples(log):
            score = (sample.scores or {}).get(SCORER)
            if score is not None and read(score.answer):
                return False
    return bool(logs)  # no arm ran: nothing to compare, nothing to allow


SIBLING_OPTIONS = {
    "steer": {"--layers": lambda value: (
        "--layers is ablate's option (the residual indices the direction is projected out "
        "of); steer adds the direction at one residual index: " + (
            f"--layer {value.strip()}" if value and value.strip().isdigit() else
            # 2-5, 2,4, all: "--layer 2-5" was offered, which --layer refuses
            f"--layer N, one steer run for each of {value!r}" if value else "--layer N"))},
    "ablate": {"--coef": lambda value: (
        "--coef is steer's option (the multiple of the direction added); ablate projects "
        "the direction out, with no coefficient: leave --coef out, or add the direction "
        f"with `beliefbench internals steer --coef {value or 'C'}`")},
}
"""Options of the other intervention command, as each command names them: ``ablate --coef
4`` was click's "No such option '--coef'. Did you mean '--model'?"."""


def _with_siblings(name: str, base: type[click.Command]) -> type[click.Command]:
    """``base`` whose unknown option, where it is the sibling command's
    (:data:`SIBLING_OPTIONS`), is a usage error saying whose it is and what to run."""

    class Sibling(base):  # type: ignore[valid-type,misc]
        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            given = list(args)  # click's parser consumes the list it is given
            try:
                return super().parse_args(ctx, args)
            except click.NoSuchOption as e:
                said = SIBLING_OPTIONS[name].get(e.option_name)
                if said is None:
                    raise
                value = next((a.partition("=")[2] for a in given
                              if a.startswith(f"{e.option_name}=")), None)
                if value is None and e.option_name in given:
                    at = given.index(e.option_name)
                    value = given[at + 1] if at < len(given) - 1 else None
                if value is not None and value.startswith("-") and not value[1:2].isdigit():
                    value = None  # the next option, not this one's value
                raise click.UsageError(said(value), ctx) from None

    Sibling.__name__ = Sibling.__qualname__ = f"Sibling{base.__name__}"
    return Sibling


steer = click.command(name="steer", cls=_with_siblings("steer", lists_given_once(
    "--claims")))(click.option(
    "--coef", default=1.0, show_default=True,
    help="Multiple of the direction added at --layer, at every position.")(
        _intervention_command("add")))
steer.help = ("Add a direction while the model runs, with a same-norm random control.")
ablate = click.command(name="ablate", cls=_with_siblings("ablate", lists_given_once(
    "--claims", "--layers")))(click.option(
    "--layers", default="all", show_default=True,
    help="Residual indices the direction is projected out of (all, 3, 2-5, 2,4).")(
        _intervention_command("ablate")))
ablate.help = ("Project a direction out of the residual stream at every position, with a "
               "same-norm random control.")


def _same_weights(a: dict, b: dict) -> bool:
    """Two :func:`beliefbench.internals.model.describe` records of one model: the same
    weights and, for adapters, bases of the same weights."""
    from beliefbench.internals.model import weights_sha256

    if a["weights_sha256"] != b["weights_sha256"] or (a["base_model"] is None) != (
            b["base_model"] is None):
        return False
    return a["base_model"] is None or a["base_model"] == b["base_model"] or \
        weights_sha256(a["base_model"]) == weights_sha256(b["base_model"])


@click.command(cls=lists_given_once("--claims", "--layers"))
@click.option("--source", required=True, help="Checkpoint A whose activations are patched in.")
@click.option("--target", required=True, help="Checkpoint B that runs with them.")
@click.option("--claims", default="all", show_default=True,
              help=CLAIMS_HELP)
@click.option("--layers", default="all", show_default=True,
              help="Residual indices to patch, one at a time (all, 3, 2-5, 2,4).")
@click.option("--positions", type=Choice(["prompt", "last", "all"]), default="prompt",
              show_default=True,
              help="Which positions take A's activations. " + "; ".join(
                  f"{k}: {v}" for k, v in PATCH_POSITIONS.items()) + ".")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed of the random control.")
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("internals/patch"), show_default=True, help=OUT_HELP)
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any).")
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=1),
              help="Sequences per forward pass (batched by length): larger is faster and "
                   "takes more memory.")
@_guard
@holds("internals patch", param="out_dir")
@out_writable
def patch(source: str, target: str, claims: str, layers: str, positions: str, seed: int,
          out_dir: Path, device: str | None, batch_size: int) -> None:
    """Run B with one layer's activations from A; margins per layer, with a control."""
    from beliefbench.internals.interventions import short_fingerprint
    from beliefbench.internals.margins import as_claims
    from beliefbench.internals.model import (
        ModelLoadError,
        checkpoint_text_config,
        describe,
        family,
        lineage,
        load_model,
    )
    from beliefbench.internals.patching import (
        PatchError,
        check_patchable,
        check_same_shape,
        patch_margins,
        summarize_patching,
    )
    from beliefbench.internals.results import records, write_results
    from beliefbench.internals.steering import parse_layers

    # a claim or --layers typo was named only after both checkpoints had loaded
    chosen = as_claims(claims)
    # two checkpoints: a missing one is named by its option ("models/tinypt: no such model
    # directory" left which of the two to guess)
    def named(option: str, read: Callable[[str], Any], path: str) -> Any:
        try:
            return read(path)
        except ModelLoadError as e:
            raise BadInput(f"{option} {e}") from None

    configs = named("--source", checkpoint_text_config, source), \
        named("--target", checkpoint_text_config, target)
    shapes = [(getattr(c, "num_hidden_layers", None), getattr(c, "hidden_size", None))
              for c in configs]
    n_layers = shapes[1][0]
    if isinstance(n_layers, int) and not isinstance(n_layers, bool):
        parse_layers(layers, n_layers + 1)  # residual indices 0..n_layers
    if all(isinstance(v, int) and not isinstance(v, bool) for shape in shapes for v in shape):
        try:  # by their configs: both checkpoints were loaded (minutes) before this refusal
            check_same_shape(*[(n + 1, size) for n, size in shapes])
        except PatchError as e:
            raise BadInput(f"--source {source} and --target {target}: {e}") from None
    described = named("--source", describe, source), named("--target", describe, target)
    if not family(mine := named("--source", lineage, source)) & family(
            theirs := named("--target", lineage, target)):
        # A's activations in B's residual stream, where they mean something else: every
        # layer "recovers" something, read as where the belief is carried
        short = short_fingerprint
        click.echo(f"warning: --source {source} (fingerprint {short(mine['fingerprint'])}, "
                   f"trained from {short(mine['base_fingerprint'])}) and --target {target} "
                   f"(fingerprint {short(theirs['fingerprint'])}, trained from "
                   f"{short(theirs['base_fingerprint'])}) are unrelated by the bases they "
                   f"record: neither was trained from the other, nor both from one model, so "
                   f"A's activations may mean something else in B's residual stream; patching "
                   f"compares a finetune with its base, or two finetunes of one base",
                   err=True)
    if _same_weights(*described):
        # every recovery and flip rate read NaN (no gap to close), with exit 0
        raise BadInput(f"--source {source} and --target {target} hold the same weights "
                       f"(weights {described[0]['weights_sha256'][:12]}): patching a model's "
                       f"activations into itself measures nothing; give two checkpoints, e.g. "
                       f"a clean and a poisoned one")
    pair = load_model(source, device=device), load_model(target, device=device)
    try:
        check_patchable(*pair)
    except PatchError as e:  # the library's message names neither path
        raise BadInput(f"--source {source} and --target {target}: {e}") from None
    rows = patch_margins(*pair, chosen, layers=layers, positions=positions,  # type: ignore[arg-type]
                         batch_size=batch_size, seed=seed)
    summary = summarize_patching(rows)
    click.echo(f"Source (A): {measured(described[0]).removeprefix('Model: ')}\n"
               f"Target (B): {measured(described[1]).removeprefix('Model: ')}\n"
               f"Positions: {positions} ({PATCH_POSITIONS[positions]})")
    _table(summary)  # an undefined recovery or flip rate as '-'

    click.echo(PATCH_COLUMNS)
    if (note := _unchanged_layers_note(summary)) is not None:
        click.echo(note)
    _written(write_results(out_dir, {"patch.csv": rows, "patch_summary.csv": summary},
                           "patch.json", {"measure": "activation_patching",
                                          "source": described[0],
                                          "target": described[1], "positions": positions,
                                          "seed": seed, "summary": records(summary)}))


@click.command(cls=lists_given_once("--scales"))
@click.option("--model", "model_path", required=True,
              help="Checkpoint to perturb (full, merged or LoRA adapter; loaded in float32).")
@click.option("--data", required=True, type=UserPath(dir_okay=False, exists=True),
              help="Records (JSONL) to measure the loss on, e.g. the training data.")
@click.option("--scales", default="0,0.01,0.02,0.05,0.1,0.2", show_default=True,
              help="Noise scales, relative to the norm of each tensor's finetuning delta "
                   "where there is a base (by default a finetune's checkpoint has one: see "
                   "--base), else (--base none) to each weight tensor's RMS.")
@click.option("--seeds", default=3, show_default=True, type=click.IntRange(min=1),
              help="Noise draws per scale (seeds 0 to N-1); the summary is their mean and "
                   "sd (2 or more for an sd: with 1 it is undefined).")
@click.option("--base", default=None,
              help="Perturb only the finetuning delta (weights minus this base's): per tensor, "
                   "noise orthogonal to it of norm scale x its norm. Default: the base in the "
                   "finetune manifest beside --model, else a LoRA adapter's "
                   "adapter_config.json; none there (or --base none): every weight.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="First N records.")
@click.option("--max-len", default=1024, show_default=True, type=MAX_LEN,
              help=MAX_LEN_HELP)
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("internals/stability"), show_default=True, help=OUT_HELP)
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any).")
@_guard
@holds("internals stability", param="out_dir")
@out_writable
def stability(model_path: str, data: str, scales: str, seeds: int, base: str | None,
              limit: int | None, max_len: int, out_dir: Path, device: str | None) -> None:
    """Loss under Gaussian weight noise of growing scale (less stable = loses more)."""
    from beliefbench.finetune.errors import ManifestError
    from beliefbench.internals.activations import pad_id_of
    from beliefbench.internals.model import (
        architecture_difference,
        checkpoint_problem,
        describe,
        load_model,
        not_trained_base,
    )
    from beliefbench.internals.results import records, write_results
    from beliefbench.internals.stability import (
        NoDeltaError,
        finetune_base,
        load_loss_data,
        noise_curve,
        summarize_noise,
        undefined_spread_note,
    )
    from beliefbench.records import sha256_file

    values = _numbers("--scales", scales)
    # the study perturbed the finetune, not the base: a finetune's checkpoint defaults to
    # its manifest's base, as `efficiency --base` does, an adapter copied elsewhere the base
    # its adapter_config.json names; --base none keeps every weight
    source: str | None = "--base"  # where the base came from: noise.json's base_from
    if base is None:
        try:
            found = finetune_base(model_path)
        except ManifestError as e:
            raise BadInput(f"--model {model_path}: {e} (or pass --base B, or --base none "
                           "for noise on all weights)") from None
        base, source = (found[0], str(found[1])) if found else (None, None)
    elif base.lower() == "none":
        base, source = None, "--base none"
    if base is not None and (why := checkpoint_problem(base)):
        # said after a "noise on: finetuning delta" line, naming no option
        raise BadInput(f"--base {base}: {why}" if source == "--base" else
                       f"the base {base} (from {source}): {why}; pass --base B, or --base none "
                       f"for noise on all weights")
    if base is not None and (why := not_trained_base(model_path, base,
                                                     given=source == "--base")):
        # W - W_base against another model is no finetuning delta
        raise BadInput(f"--model {model_path}: {why}: the noise would be shaped by the "
                       f"difference from that other model. Restore the base it was "
                       f"trained on (or pass a copy of it as --base), or --base none")
    if base is not None and (why := architecture_difference(model_path, base)):
        # W - W_base over the tensors the two share by name and shape: a deeper model's
        # extra layers got no noise at all, and the others a delta from another model
        raise BadInput(f"--model {model_path} --base {base}: {why}: not the model it was "
                       f"finetuned from; pass the run's base (its manifest's base_model), "
                       f"or --base none for noise on all weights")
    model, tokenizer = load_model(model_path, device=device, dtype="float32")
    # the records before anything is printed: a bad --data (a manifest given as records)
    # was said after a "noise on: finetuning delta" line on stdout
    examples = load_loss_data(data, tokenizer, max_len, limit)
    # the base only ever gives the delta, computed on the CPU: on the accelerator it took a
    # third copy of the model (the model, its originals for the restore, the base)
    base_model = None
    if base is not None:
        base_model, base_tokenizer = load_model(base, device="cpu", dtype="float32")
        if base_tokenizer.get_vocab() != tokenizer.get_vocab():
            # another model: W - W_base is no finetuning delta (a different vocabulary's
            # embeddings were left out, with nothing said, and every other tensor perturbed)
            raise BadInput(f"--model {model_path} --base {base}: the base's tokenizer "
                           f"({len(base_tokenizer)} tokens) is not the model's "
                           f"({len(tokenizer)} tokens): not the model it was finetuned "
                           f"from; pass the run's base (its manifest's base_model), or "
                           f"--base none for noise on all weights")
    noise_on = "all weights" if base is None else "finetuning delta"
    info = describe(model_path)
    click.echo(measured(info))  # as margins, lens, probe and steer name the model measured
    click.echo(f"noise on: {noise_on} (" + (
        f"base {base}, from {source}" if base is not None else source if source else
        "no finetune manifest beside --model lists it; --base B for the finetuning delta")
        + ")")
    try:
        curve = noise_curve(model, examples, values, pad_id=pad_id_of(tokenizer),
                            seeds=list(range(seeds)), base=base_model)
    except NoDeltaError as e:
        raise BadInput(f"--model {model_path} --base {base}: {e}") from None
    summary = summarize_noise(curve)
    _table(summary, float_format="{:.4f}")  # an undefined sd as '-'
    click.echo(STABILITY_COLUMNS.format(unit=STABILITY_UNITS[noise_on]))

    for note in undefined_spread_note(summary, seeds):
        click.echo(f"warning: {note}", err=True)
    warn_other_weights(out_dir, info, "noise.json")
    _written(write_results(out_dir, {"noise.csv": curve, "noise_summary.csv": summary},
                           "noise.json", {"measure": "weight_noise", **info,
                                          "data": _absolute(data),
                                          # what the loss was read on: two runs compared
                                          # (a KL run, its control) must measure the same
                                          # records, and --limit / --max-len went unrecorded
                                          "data_sha256": sha256_file(data),
                                          "records": len(examples), "limit": limit,
                                          "max_len": max_len,
                                          "noise_on": noise_on, "base": _absolute(base),
                                          "base_from": _absolute(source),
                                          "summary": records(summary)}))


@click.command(cls=lists_given_once("--norms"))
@click.option("--manifest", required=True, help="manifest.jsonl or the run folder holding it.")
@click.option("--data", required=True, type=UserPath(dir_okay=False, exists=True),
              help="Records (JSONL) to measure the loss on, e.g. the training data.")
@click.option("--base", default=None, help="Base model (default: the manifest's).")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="First N records.")
@click.option("--max-len", default=1024, show_default=True, type=MAX_LEN,
              help=MAX_LEN_HELP)
@click.option("--norms", default=None,
              help="Also the loss of the manifest's LAST checkpoint (the trained solution) "
                   "with its weight change from the base rescaled to each of these L2 norms "
                   "(comma-separated, > 0; the norm of param_distance), in rescaled.csv: two "
                   "runs given the same --norms are compared at equal norm.")
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("internals/efficiency"), show_default=True, help=OUT_HELP)
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any).")
@_guard
@holds("internals efficiency", param="out_dir")
@out_writable
def efficiency(manifest: str, data: str, base: str | None, limit: int | None, max_len: int,
               norms: str | None, out_dir: Path, device: str | None) -> None:
    """Loss vs distance from the base (||theta - theta_base||) along a finetune; with
    --norms, the last checkpoint's loss at equal norms (its delta rescaled)."""
    from beliefbench.finetune.manifest import manifest_file, read_manifest_file, relocation_note
    from beliefbench.internals.model import checkpoint_problem, describe
    from beliefbench.internals.results import write_results
    from beliefbench.internals.stability import NoDeltaError, efficiency_curves
    from beliefbench.records import sha256_file

    # parsed before any model loads; None (no option) and "" (an empty one) differ
    targets = None if norms is None else _numbers("--norms", norms, positive=True,
                                                  example="1,2,5")
    if base is not None and (why := checkpoint_problem(base)):  # named as its option
        raise BadInput(f"--base {base}: {why}")
    try:
        curve, rescaled = efficiency_curves(manifest, data, base=base, device=device,
                                            max_len=max_len, limit=limit, norms=targets)
    except NoDeltaError as e:
        raise BadInput(f"--norms {norms!r}: the last checkpoint of {manifest}: {e}") from None
    # the base's row has no kl (no recipe trained it): `-`, as em-report shows an empty cell,
    # not Python's None (efficiency.csv leaves it empty)
    # the last checkpoint, the trained solution (the base is the step-0 row, --norms'
    # rescaled table is of it): as margins, lens, probe and steer name the model measured
    click.echo(measured(describe(curve["path"].iloc[-1])))
    _table(curve, ["step", "kl", "loss", "param_distance"], float_format="{:.4f}")
    click.echo(EFFICIENCY_COLUMNS)
    if note := relocation_note(read_manifest_file(manifest), manifest):  # which copy was read
        click.echo(f"warning: {note}", err=True)
    if note := _other_run_note(out_dir, manifest_file(manifest)):
        click.echo(f"warning: {note}", err=True)
    stale = out_dir / "rescaled.csv"
    if rescaled is None and stale.is_file():  # an earlier run's, read as this one's
        stale.unlink()
        click.echo(f"Removed {stale} (an earlier run's; this one had no --norms)")
    tables = {"efficiency.csv": curve}
    if rescaled is not None:
        click.echo(f"rescaled (step {rescaled['step'].iloc[0]}, its delta at each norm; "
                   "unscaled: the checkpoint itself):")
        _table(rescaled, ["norm", "scale", "loss", "unscaled"], float_format="{:.4f}")
        click.echo(RESCALED_COLUMNS)
        tables["rescaled.csv"] = rescaled
    # what the losses were read on, beside them: two runs' rescaled.csv are compared row by
    # row, which means nothing unless both measured the same records (--data, --limit,
    # --max-len), and nothing recorded them
    _written(write_results(out_dir, tables, "efficiency.json", {
        "measure": "efficiency", "manifest": _absolute(manifest_file(manifest)),
        "base": _absolute(curve["path"].iloc[0]), "data": _absolute(data),
        "data_sha256": sha256_file(data),
        "limit": limit, "max_len": max_len, "norms": targets}))


def _other_run_note(out_dir: Path, manifest: Path) -> str | None:
    """What a ``--out`` holding another finetune's ``efficiency.json`` loses: the way to
    compare two runs is one ``--out`` each, and the second run replaced the first's tables
    without a word."""
    try:
        held = json.loads((out_dir / "efficiency.json").read_text())
    except (OSError, ValueError, RecursionError):
        return None
    other = held.get("manifest") if isinstance(held, dict) else None
    if not isinstance(other, str) or held.get("measure") != "efficiency" or \
            _same_file(other, manifest):
        return None
    return (f"--out {out_dir} held the efficiency of another finetune ({other}): its "
            f"tables are replaced by this run's ({_absolute(manifest)}); to compare two runs, "
            f"give each its own --out (e.g. internals/efficiency-{manifest.parent.name})")


def _same_file(recorded: str, path: Path) -> bool:
    """Whether ``recorded`` (a results file's path) names the file ``path`` is: as files, not
    strings, so one recorded relative (as typed, before paths were recorded resolved) or
    through a symlinked folder is the same file; a path no longer on disk, by its text."""
    try:
        return Path(recorded).expanduser().samefile(path)
    except (OSError, ValueError):  # gone, unreadable, or no path at all (a NUL)
        return recorded == _absolute(path)


def add_intervention_commands(group: click.Group) -> None:
    """Register this module's commands in the ``internals`` group."""
    for cmd in (direction, steer, ablate, patch, stability, efficiency):
        group.add_command(cmd)
