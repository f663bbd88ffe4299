"""Running an intervention and its control: judge-free margins, or any Inspect task.

Every run has three arms: the ``baseline`` (the checkpoint as it is), the ``intervention``
(a direction added or ablated) and the ``control`` (the same operation with a seeded random
direction of the same norm). The arms are labelled in the results (margins) or in each
eval's metadata (``condition``, ``intervention``, ``control``, ``layer``, ``coef``,
``direction``), so ``beliefbench em-report`` / ``report`` show them side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beliefbench.internals.directions import load_directions
from beliefbench.internals.steering import (
    STEER_ARGS,
    InterventionError,
    Mode,
    NormTally,
    check_fits,
    hidden_size,
    intervened,
    n_residual,
    plan,
    tallied,
)
from beliefbench.records import sha256_file
from beliefbench.tasks import (
    check_task_args,
    model_arg_errors,
    stop_if_interrupted,
    task_factory,
)

ARMS: tuple[str, ...] = ("baseline", "intervention", "control")


@dataclass(frozen=True)
class InterventionSpec:
    direction: Path
    mode: Mode
    layer: int | None = None
    """Residual index of the direction (None: the file's ``best_layer``)."""
    coef: float = 1.0
    ablate_layers: str = "all"
    seed: int = 0

    def resolve(self) -> tuple[np.ndarray, int, dict[str, Any]]:
        directions, meta = load_directions(self.direction)
        layer = self.layer if self.layer is not None else meta.get("best_layer")
        if layer is None:
            raise ValueError(f"{self.direction}: names no best_layer; give --layer")
        n = directions.shape[0]
        if self.layer is not None and not 0 <= self.layer < n:
            # the planner's "layer: 7 is out of range 0..2" named neither the option nor the
            # file whose indices it meant (the file's own best_layer is checked on loading)
            raise InterventionError(f"--layer {self.layer}: out of range; {self.direction} "
                                    f"holds residual indices 0..{n - 1} (0 = embeddings)")
        return directions, int(layer), meta

    def label(self, arm: str, layer: int) -> str:
        if arm == "baseline":
            return "baseline"
        what = f"add L{layer} x{self.coef:g}" if self.mode == "add" \
            else f"ablate L{layer}@{self.ablate_layers}"
        return what + (" random-control" if arm == "control" else "")

    def arm_metadata(self, arm: str, layer: int) -> dict[str, Any]:
        md: dict[str, Any] = {"condition": self.label(arm, layer), "intervention": "none"
                              if arm == "baseline" else self.mode,
                              "control": "random" if arm == "control" else "none"}
        if arm != "baseline":
            md.update({"layer": layer, "direction": str(self.direction.resolve()),
                       "direction_sha256": sha256_file(self.direction), "seed": self.seed})
            md.update({"coef": self.coef} if self.mode == "add"
                      else {"ablate_layers": self.ablate_layers})
        return md

    def model_args(self, arm: str, layer: int) -> dict[str, Any]:
        args: dict[str, Any] = {"direction": str(self.direction.resolve()), "layer": layer,
                                "mode": self.mode, "seed": self.seed,
                                "control": "random" if arm == "control" else "none"}
        args.update({"coef": self.coef} if self.mode == "add"
                    else {"ablate_layers": self.ablate_layers})
        return args


ALLOW_OTHER_MODEL = "--allow-other-model"
"""The option that applies a direction computed on an unrelated model anyway."""


def short_fingerprint(fingerprint: str | None) -> str:
    """A fingerprint as the messages name it: its first 12 hex digits, or ``none``."""
    return fingerprint[:12] if fingerprint else "none"


def _source_family(meta: dict[str, Any]) -> set[str]:
    """:func:`~beliefbench.internals.model.family` of the model a directions file was
    computed on: as the file records it, and as its folder (``model``) records it now where
    that folder still holds the model (the same fingerprint): a file written before
    directions recorded ``ancestors`` knew its base only, so a direction of a finetune of a
    finetune was refused on the first base."""
    from beliefbench.internals.model import family, lineage

    mine = family(meta)
    folder = meta.get("model")
    if mine and isinstance(folder, str) and folder and Path(folder).is_dir():
        try:
            now = lineage(folder)
        except ValueError:  # a folder that is no model any more: the record alone
            return mine
        if now["fingerprint"] == meta.get("fingerprint"):
            mine |= family(now)
    return mine


_SAID: set[tuple[str, str]] = set()
"""(direction file, checkpoint) pairs whose :func:`check_direction_model` note a running
:func:`run_evals` has said: the ``steer`` provider of each steered arm (intervention,
control) checks the direction again, and said the same warning again (three times in one
run)."""


def _pair(direction: str | Path, checkpoint: str | Path) -> tuple[str, str]:
    return (str(Path(direction).expanduser().resolve()),
            str(Path(checkpoint).expanduser().resolve()))


@contextmanager
def said(direction: str | Path, checkpoint: str | Path) -> Iterator[None]:
    """While it runs, :func:`already_said` is true of this direction on this checkpoint:
    its note, if any, was said by the caller."""
    pair = _pair(direction, checkpoint)
    if pair in _SAID:
        yield
        return
    _SAID.add(pair)
    try:
        yield
    finally:
        _SAID.discard(pair)


def already_said(direction: str | Path, checkpoint: str | Path) -> bool:
    """Whether a running :func:`run_evals` said the note of this direction on this
    checkpoint already (the provider then does not say it again)."""
    return _pair(direction, checkpoint) in _SAID


def _retrained_note(direction: Path, meta: dict[str, Any], where: str,
                    target: dict[str, Any]) -> str | None:
    """A note where the direction was computed on this very folder when it held other
    weights (retrained or replaced in place since): related by their common base, it passed
    as the folder's own direction, without a word; else None."""
    recorded, source = meta.get("fingerprint"), meta.get("model")
    if not isinstance(recorded, str) or not recorded or not isinstance(source, str):
        return None
    try:
        same_folder = Path(source).expanduser().resolve() == Path(where)
    except (OSError, RuntimeError):
        return None
    if not same_folder or recorded == target["fingerprint"]:
        return None
    return (f"{direction}: computed on {where} when it held other weights (fingerprint "
            f"{short_fingerprint(recorded)}; it holds "
            f"{short_fingerprint(target['fingerprint'])} now: retrained or "
            f"replaced in place since): applied to the model the folder holds now, which "
            f"shares a base with the one it was computed on; run `internals direction` "
            f"again on it if that is not meant")


def check_direction_model(direction: Path, meta: dict[str, Any], checkpoint: str | Path, *,
                          allow_other_model: bool = False,
                          option: str = ALLOW_OTHER_MODEL) -> str | None:
    """Refuse a direction computed on a model unrelated to ``checkpoint``: only its shape was
    checked, so one from another model of the same size was applied silently, and its
    residual indices mean something else there. Related is the same model, one it was
    trained from, one trained from it, or two trained from one model (a fingerprint in common
    between the two models' :func:`~beliefbench.internals.model.family`, following the
    recorded bases: a finetune of a finetune, a pretrained tiny model and its random init):
    steering a base model with its finetune's direction is the usual use (a note where it was
    computed on this very folder's earlier weights: :func:`_retrained_note`). Returns a note
    to print, or None: a file written before directions recorded their model's fingerprints is
    not refused (there is nothing to compare), nor is an unrelated one with
    ``allow_other_model`` (``option``: how the caller's user sets it, named in the message)."""
    from beliefbench.internals.model import family, lineage, weights_sha256

    target = lineage(checkpoint)
    mine = _source_family(meta)
    where = str(Path(checkpoint).expanduser().resolve())
    source = meta.get("model") or "an unrecorded model"
    recorded = meta.get("weights_sha256")
    if not mine and recorded and recorded == weights_sha256(where):
        return None  # an older file of this very model (its results files hash it anyway)
    if not mine:
        return (f"{direction} records no fingerprint of the model it was computed on ("
                f"written before directions recorded one, or not by `internals direction`; "
                f"model recorded: {source}): applied to {where} without checking that it "
                f"comes from this model or its base; run `internals direction` again to "
                f"record it")
    if mine & family(target):
        return _retrained_note(direction, meta, where, target)
    short = short_fingerprint
    what = (f"{direction}: a direction computed on another model: {source} (fingerprint "
            f"{short(meta.get('fingerprint'))}, trained from "
            f"{short(meta.get('base_fingerprint'))}), applied to {where} (fingerprint "
            f"{short(target['fingerprint'])}, trained from "
            f"{short(target['base_fingerprint'])}): neither model was trained from the "
            f"other, nor both from one model, by the bases they record")
    if allow_other_model:
        return f"{what}; applied anyway ({option})"
    raise InterventionError(f"{what}; its residual indices mean something else there. "
                            f"Compute the direction on this model (internals direction "
                            f"--model {where}), or pass {option} to apply it anyway")


def intervention_margins(model, tokenizer, spec: InterventionSpec,
                         claims: str | Sequence = "all", *, batch_size: int = 16,
                         n_bootstrap: int = 2000
                         ) -> tuple[pd.DataFrame, pd.DataFrame, NormTally]:
    """Completion margins of the three arms on one loaded model: per-pair rows (with
    ``arm`` and ``effect``, the margin minus the baseline's on the same pair), a summary
    per arm, claim and kind whose ``mean_effect`` (with its CI) covers that row's pairs only,
    and the baseline's residual norm at the direction's index over the pairs' tokens (the
    scale the added vector is read against)."""
    from beliefbench.internals.margins import completion_margins, summarize

    directions, layer, _ = spec.resolve()
    check_fits(directions, n_residual(model), hidden_size(model), spec.direction)
    # every arm's hooks before the first margin: a bad --layer, --coef or --layers (or a
    # zero vector at the layer) was refused only after the baseline's margins of every
    # claim had been computed, minutes on a real checkpoint
    hooks = {arm: [] if arm == "baseline" else plan(
        directions, spec.mode, layer, coef=spec.coef, ablate_layers=spec.ablate_layers,
        control="random" if arm == "control" else "none", seed=spec.seed) for arm in ARMS}
    pairs = []
    norms = NormTally()
    for arm in ARMS:
        # the baseline's residual norm alone is read: no copy of the activations elsewhere
        tally_of = tallied(model, layer) if arm == "baseline" else nullcontext(norms)
        with intervened(model, hooks[arm]), tally_of as tally:
            # each arm's bar says which arm it is: three bars all "margins" did not
            res = completion_margins((model, tokenizer), claims, batch_size=batch_size,
                                     n_bootstrap=0,  # summarised below, with the effect
                                     desc=f"margins {arm}")
        if arm == "baseline":  # the activations the vector is added to, as they are
            norms = tally
        pairs.append(res.pairs.assign(arm=arm, condition=spec.label(arm, layer)))
    rows = pd.concat(pairs, ignore_index=True)
    base = rows[rows["arm"] == "baseline"]["margin"].to_numpy()
    rows["effect"] = rows["margin"] - np.tile(base, len(ARMS))
    summary = pd.concat(
        [summarize(sub, n_bootstrap=n_bootstrap, means={"mean_effect": "effect"})
         .assign(arm=arm, condition=sub["condition"].iloc[0])
         for arm, sub in rows.groupby("arm", sort=False)], ignore_index=True)
    return rows, summary, norms


def check_checkpoint_fits(checkpoint: str | Path, directions: np.ndarray, source: Any,
                          tokenizer: bool = True) -> None:
    """The checkpoint (a model or adapter folder with readable weights and a tokenizer: a
    missing one ended the baseline eval in a 120-line Hub traceback) and the directions
    against its config, before the weights load and before :func:`check_direction_model`
    (the steer provider checks again once the model is loaded): a file of another model's
    shape was refused as "a direction computed on another model ... pass
    --allow-other-model to apply it anyway", and that option then met the shape refusal,
    after the checkpoint had loaded."""
    from beliefbench.internals.model import check_loadable, checkpoint_text_config

    # ModelLoadError (a ValueError) names the path; ``tokenizer`` False: the steer
    # provider's -M tokenizer stands in for the checkpoint's own (the weights still checked)
    check_loadable(checkpoint, tokenizer=tokenizer)
    cfg = checkpoint_text_config(checkpoint)
    try:
        n, size = int(cfg.num_hidden_layers) + 1, int(cfg.hidden_size)
    except (ValueError, AttributeError, TypeError):
        return  # no readable config: the eval itself reports the checkpoint's problem
    check_fits(directions, n, size, source, model=checkpoint)


ARM_OPTIONS = {"direction": "--direction", "layer": "--layer", "coef": "--coef (steer)",
               "ablate_layers": "--layers (ablate)", "seed": "--seed",
               "allow_other_model": "--allow-other-model",
               "mode": "the command (steer adds, ablate projects out)",
               "control": "the run itself (every run has its random-control arm)"}
"""Where ``internals steer`` / ``ablate`` take each of the ``steer`` provider's own ``-M``
arguments (:data:`~beliefbench.internals.steering.STEER_ARGS`) from."""


def check_arm_model_args(model_args: dict[str, Any] | None, evals: bool = True) -> None:
    """Refuse a ``-M`` that the arms set themselves: ``steer --task em -M coef=4`` (the steer
    provider's spelling, as the README shows it) was replaced by ``--coef``'s default 1
    without a word on the steered arms (with ``--no-baseline``; the baseline arm's hf
    provider refused it as a model argument). ``evals`` False: ``--task margins``, which
    runs no eval and so takes no ``-M`` at all."""
    taken = [k for k in STEER_ARGS if k in (model_args or {})]
    if taken:
        said = "; ".join(f"-M {k}={model_args[k]}: set by {ARM_OPTIONS[k]}"  # type: ignore[index]
                         for k in taken)
        where = ("-M goes to the hf provider of every arm (e.g. -M do_sample=false)" if evals
                 else "--task margins, the default, takes no -M (only --task em or belief, "
                      "whose arms are Inspect evals)")
        raise ValueError(f"{said}; the arms take these from the command's own options, and "
                         f"{where}")


def run_evals(task_name: str, checkpoint: str | Path, spec: InterventionSpec, *,
              log_dir: str | Path, task_args: dict[str, Any] | None = None,
              model_args: dict[str, Any] | None = None,
              model_roles: dict[str, Any] | None = None, baseline: bool = True,
              allow_other_model: bool = False, notes: Callable[[str], None] | None = None,
              **eval_options: Any) -> list:
    """The task on each arm, one eval after another (one model in memory at a time); the
    intervention and control are served by the ``steer`` provider. A direction computed on
    an unrelated model is refused unless ``allow_other_model`` (:func:`check_direction_model`);
    its note, if any, goes to ``notes`` once every check has passed, before the first eval."""
    from inspect_ai import eval as inspect_eval

    make_task = task_factory(task_name)  # ValueError naming the valid tasks
    check_task_args(task_name, task_args or {})
    check_arm_model_args(model_args)
    directions, layer, meta = spec.resolve()
    check_checkpoint_fits(checkpoint, directions, spec.direction)
    note = check_direction_model(spec.direction, meta, checkpoint,
                                 allow_other_model=allow_other_model)
    plan(directions, spec.mode, layer, coef=spec.coef,  # bad layer / coef: before any eval
         ablate_layers=spec.ablate_layers, seed=spec.seed)
    # a grader that cannot start (no API key, a folder not on disk) is sweep's one line,
    # before the baseline eval: Inspect would print its error after loading the checkpoint
    from beliefbench.analysis.sweep import (
        MODEL_FINGERPRINT_KEY,
        SweepTarget,
        check_greedy_grader,
        check_providers,
        check_targets,
        model_fingerprint,
    )

    check_targets([], model_roles)
    check_providers([], model_roles)  # hf/models/judge too: a folder or a cached id
    # with no grader the arms (hf, and steer built on it) judge their own answers
    arm = SweepTarget(model=f"hf/{Path(checkpoint).resolve()}", label="baseline")
    check_greedy_grader(task_name, task_args or {}, model_roles, [arm], model_args)
    if note and notes is not None:
        notes(note)
    if notes is not None and (held := sorted(Path(log_dir).glob("*.eval"))):
        # `steer` then `ablate` into the default logs/interventions: the report the run
        # suggests read both runs' arms (two baselines) as one comparison, unsaid
        report = "em-report" if task_name == "em" else "report"
        notes(f"--log-dir {log_dir} already holds {len(held)} .eval log"
              f"{'s' if len(held) > 1 else ''} (an earlier run's arms?): this run's arms are "
              f"written beside them, and `{report} {log_dir}` reads them all together; give "
              f"each run its own --log-dir (e.g. logs/"
              f"{'steer' if spec.mode == 'add' else 'ablate'}-<what it is>)")
    path = str(Path(checkpoint).resolve())
    # which weights answered, as sweep logs record it: `direction --log` on an arm's log
    # compared the folder as it is now, so a checkpoint retrained in place since passed
    weights = {MODEL_FINGERPRINT_KEY: model_fingerprint(f"hf/{path}")}
    logs = []
    quiet = said(spec.direction, checkpoint) if notes is not None else nullcontext()
    with quiet:  # said above: not again by each steered arm's provider
        for arm in ARMS if baseline else ARMS[1:]:
            model = f"hf/{path}" if arm == "baseline" else f"steer/{path}"
            args = {**(model_args or {}), **({} if arm == "baseline"
                                             else spec.model_args(arm, layer))}
            if allow_other_model and arm != "baseline":  # checked above; the provider checks too
                args["allow_other_model"] = True
            with model_arg_errors():
                ran = inspect_eval(make_task(**(task_args or {})), model=model, model_args=args,
                                   model_roles=model_roles or None, log_dir=str(log_dir),
                                   metadata={"checkpoint": path, **weights,
                                             **spec.arm_metadata(arm, layer)},
                                   **eval_options)
            stop_if_interrupted(ran)  # not on to the next arm
            logs += ran
    return logs
