"""Inspect's hf provider with a steering or ablation hook on the loaded model."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from inspect_ai.model import GenerateConfig
from inspect_ai.model._providers.hf import HuggingFaceAPI

from beliefbench.analysis.text import did_you_mean
from beliefbench.arguments import InputError
from beliefbench.finetune.base import HUB_ID
from beliefbench.internals.directions import load_directions
from beliefbench.internals.interventions import (
    already_said,
    check_checkpoint_fits,
    check_direction_model,
)
from beliefbench.internals.steering import (
    STEER_ARGS,
    InterventionError,
    add_hooks,
    check_fits,
    hidden_size,
    n_residual,
    plan,
)
from beliefbench.resources import user_path
from beliefbench.tasks import show_input_errors_and_warnings

log = logging.getLogger(__name__)


@functools.cache
def _shown_alone(kind: type[ValueError]) -> type[ValueError]:
    """``kind`` made an InputError too: ``inspect eval`` prints it as its message alone (on
    stderr under ``--display none``), as a task's bad ``-T`` value, where any other error
    was a 100-line traceback ending in it; a caller's ``except kind`` still catches it."""
    if issubclass(kind, InputError):
        return kind
    if kind is ValueError:
        return InputError
    return type(kind.__name__, (kind, InputError),
                {"__module__": kind.__module__, "__qualname__": kind.__qualname__})


def _one_line(error: ValueError) -> ValueError:
    """``error``, same class, text and fields, as :func:`_shown_alone` makes it."""
    kind = _shown_alone(type(error))
    if kind is type(error):
        return error
    shown = kind.__new__(kind, *error.args)  # its text as it is: no __init__ to reword it
    shown.__dict__.update(error.__dict__)
    return shown


def _no_misspelt_args(model_args: dict[str, Any]) -> None:
    """``-M coeff=4``: a name close to one of the provider's own went on to transformers,
    which refused it after the weights loaded (``LlamaForCausalLM.__init__() got an
    unexpected keyword argument 'coeff'``), naming neither the steer provider nor ``coef``.
    A name close to none (``device``, ``dtype``) is the hf provider's, as before."""
    for name in model_args:
        close = did_you_mean(name, STEER_ARGS)
        if close and name not in STEER_ARGS:
            raise ValueError(
                f"steer provider: -M {name}: not an argument of the steer provider{close}; "
                f"its arguments are {', '.join(STEER_ARGS)} (any other -M goes to the hf "
                f"provider)")


def _layers_arg(value: Any) -> Any:
    """``-M ablate_layers=2,4`` arrives as a list (Inspect splits on commas)."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value


def _flag(name: str, value: Any) -> bool:
    """``-M name=true`` (Inspect reads it as YAML: a bool, or a string such as "yes")."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", ""):
        return False
    raise ValueError(f"steer provider: -M {name}={value!r} is not true or false")


def _number(kind: type, name: str, value: Any, accepted: str = "") -> Any:
    """``-M name=value`` as ``kind``, or a ValueError naming the argument and, where given,
    what it ``accepted`` (int() would truncate 2.7 to 2 and read true as 1)."""
    try:
        if isinstance(value, bool) or (kind is int and isinstance(value, float)
                                       and not value.is_integer()):
            raise ValueError(value)
        out = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"steer provider: -M {name}={value!r} is not "
                         f"{'an integer' if kind is int else 'a number'}{accepted}") from None
    if name == "seed" and out < 0:
        raise ValueError(f"steer provider: -M seed={value!r} must be >= 0")
    return out


def _planned(directions: Any, meta: dict[str, Any], steer: dict[str, Any]) -> list:
    """The hooks the ``-M`` arguments ask for, or an error naming the ``-M`` argument and
    the directions file (the planner's "layer: 7 is out of range 0..2" named neither)."""
    layer = steer.get("layer", meta.get("best_layer"))
    if layer is None:
        raise ValueError("steer provider: -M layer=<residual index> is required (the "
                         "directions file names no best_layer)")
    n = directions.shape[0]
    held = f"{steer['direction']} holds residual indices 0..{n - 1} (0 = embeddings)"
    layer = _number(int, "layer", layer, f"; {held}")
    # an argument of the other mode was dropped without a word: -M mode=ablate -M coef=4
    # ran an ablation the user took for a steer of 4
    unused = {"add": "ablate_layers", "ablate": "coef"}.get(str(steer.get("mode", "add")))
    if unused in steer:
        raise InterventionError(f"steer provider: -M {unused}={steer[unused]!r} does not apply "
                                f"to -M mode={steer.get('mode', 'add')} ("
                                + ("coef is for mode=add" if unused == "coef" else
                                   "ablate_layers is for mode=ablate")
                                + "); leave it out or change the mode")
    if not 0 <= layer < n:
        raise InterventionError(f"steer provider: -M layer={layer}: out of range; {held}")
    try:
        return plan(directions, steer.get("mode", "add"), layer,
                    coef=_number(float, "coef", steer.get("coef", 1.0)),
                    ablate_layers=_layers_arg(steer.get("ablate_layers", "all")),
                    control=str(steer.get("control", "none")),
                    seed=_number(int, "seed", steer.get("seed", 0)))
    except InterventionError as e:  # the planner's names, as -M arguments
        what = e.naming({"layers": "ablate_layers"})
        raise InterventionError(f"steer provider ({steer['direction']}): -M {what}") from None


def _checked(model_name: str, model_args: dict[str, Any]) -> tuple[Any, list, Any]:
    """The directions, the hooks the ``-M`` arguments ask for and the ``-M direction`` as
    given (taking the provider's own arguments out of ``model_args``), every value checked
    before the weights load."""
    _no_misspelt_args(model_args)
    steer = {k: model_args.pop(k) for k in STEER_ARGS if k in model_args}
    if "direction" not in steer:
        raise ValueError("steer provider: -M direction=<directions.safetensors> is required")
    # Inspect may build the model from inside the task's folder: resolve as typed
    direction = user_path(str(steer["direction"]))
    directions, meta = load_directions(direction)
    # a direction of an unrelated model, before the weights load (a local folder only:
    # a Hub id's files are not fingerprinted here); a path that is no checkpoint folder (a
    # missing step-N) is said here in one line, where transformers took it for a Hub id
    # and ended in a traceback ("Repo id must be in the form 'repo_name' ...")
    folder = Path(model_name).expanduser()
    if folder.exists() or not HUB_ID.fullmatch(model_name) \
            or ("/" in model_name and folder.parent.is_dir()):
        # its shape first: the advice to allow another model cannot make it fit
        check_checkpoint_fits(model_name, directions, steer["direction"],
                              tokenizer="tokenizer" not in model_args)
        note = check_direction_model(
            Path(direction), meta, model_name,
            allow_other_model=_flag("allow_other_model",
                                    steer.get("allow_other_model", False)),
            option="-M allow_other_model=true")
        if note and not already_said(direction, model_name):  # run_evals said it
            log.warning("steer provider: %s", note)
    return directions, _planned(directions, meta, steer), steer["direction"]


class SteeredHuggingFaceAPI(HuggingFaceAPI):
    """``steer//path``: the hf provider plus :func:`beliefbench.internals.steering.plan`'s hooks.

    Model args (``-M``): ``direction`` (a directions file from ``beliefbench internals
    direction``, required), ``layer`` (residual index, default the file's ``best_layer``),
    ``mode`` (add | ablate, default add), ``coef`` (add: multiple of the direction, default
    1), ``ablate_layers`` (ablate: indices, default all), ``control`` (none | random),
    ``seed`` (the random control's seed, default 0), ``allow_other_model`` (true: apply a
    direction computed on a model unrelated to this one, refused otherwise, as ``internals
    steer`` refuses it). Every other ``-M`` goes to the hf provider.
    """

    def __init__(self, model_name: str, base_url: str | None = None,
                 api_key: str | None = None, config: GenerateConfig | None = None,
                 **model_args: Any) -> None:
        show_input_errors_and_warnings()  # Inspect builds the model before the task
        try:
            directions, interventions, source = _checked(model_name, model_args)
        except ValueError as e:  # one line under inspect eval, not a traceback
            raise _one_line(e) from None
        # safetensors only (a pytorch_model.bin is a pickle), and nothing fetched from the Hub
        model_args["use_safetensors"] = True
        model_args.setdefault("local_files_only", True)
        super().__init__(model_name, base_url=base_url, api_key=api_key,
                         config=config or GenerateConfig(),
                         **model_args)
        try:
            check_fits(directions, n_residual(self.model), hidden_size(self.model),
                       source, model=model_name)
        except InterventionError as e:
            raise _one_line(e) from None
        self.interventions = interventions
        self.hooks = add_hooks(self.model, self.interventions)

