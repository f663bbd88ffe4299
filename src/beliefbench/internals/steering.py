"""Steering, ablation and patching of the residual stream through transformers forward hooks.

Residual positions are numbered as ``output_hidden_states`` numbers them: index 0 is the
first decoder layer's input (the embeddings as the model passes them on: GPT-2's and OPT's
with position embeddings added), index ``i >= 1`` the output of decoder layer ``i - 1`` (for
the last index the hook acts before the final norm, which transformers applies to its last
hidden state). Layers are found in the model's decoder (``get_decoder()``), so a multimodal
checkpoint's language model is the one steered.

* add: ``h += coef * v`` at one index, at every position (prompt and generated tokens);
* ablate: ``h -= (h . u) u`` with ``u = v / |v|`` at every chosen index and every position,
  so no later layer can read the direction back (the refusal-direction recipe);
* patch: replace one index's activations with ones recorded from another model.

Every intervention has a control: the same operation with a seeded random direction of the
same norm (:func:`random_like`), so an effect can be told apart from "any push of that size".
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from beliefbench.internals.scoring import decoder_of, text_config

Mode = Literal["add", "ablate"]
STEER_ARGS = ("direction", "layer", "coef", "mode", "control", "seed", "ablate_layers",
              "allow_other_model")
"""The ``steer`` provider's own ``-M`` arguments: what a :func:`plan` is made from."""
MODES: tuple[str, ...] = ("add", "ablate")
CONTROLS: tuple[str, ...] = ("none", "random")
NORM_LIMIT = float(np.sqrt(np.finfo(np.float32).max))
"""Largest norm an added vector may have (~1.8e19): beyond it the sum of squares a norm layer
computes (in float32, also for bf16 / fp16 models) overflows, the norm divides by inf, and
every later layer sees zeros: uniform predictions, margins of exactly 0 that pass as a result."""


class InterventionError(ValueError):
    """An intervention that does not fit the model (layer out of range, wrong hidden size).

    ``field``: the planner's name of the knob at fault (``layer``, ``layers``, ``coef``), so
    a caller can name it as its user typed it (:meth:`naming`): the command line's
    ``--layers``, the steer provider's ``-M ablate_layers``; ``layers: ...`` named neither."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.detail = message

    def naming(self, options: Mapping[str, str]) -> str:
        """The message with its field as ``options`` name it (``{"layers": "--layers"}``);
        as it is where the field is not among them."""
        if self.field is None or self.field not in options:
            return str(self)
        return f"{options[self.field]}: {self.detail}"


@dataclass(frozen=True)
class Intervention:
    mode: Mode
    vector: np.ndarray
    """add: the vector added; ablate: the direction projected out (its norm is irrelevant)."""
    layer: int
    """Residual index (``output_hidden_states`` numbering; 0 = embeddings)."""
    coef: float | None = None
    """add: the multiple of the direction in ``vector``, named when the sum overflows."""

    def describe(self) -> str:
        """The intervention as an error message names it (the coef is the user's knob)."""
        what = f"add at residual index {self.layer}" if self.mode == "add" \
            else f"ablate at residual index {self.layer}"
        return what + ("" if self.coef is None else f" with coef {self.coef:g}")


def decoder_layers(model):
    """The model's list of decoder blocks (Llama/Qwen/Mistral ``layers``, GPT ``h``), through
    a peft wrapper if there is one."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    n = text_config(base).num_hidden_layers
    for name, module in decoder_of(base).named_modules():
        if (isinstance(module, torch.nn.ModuleList) and len(module) == n
                and name.rsplit(".", 1)[-1] in ("layers", "h", "blocks")):
            return module
    raise InterventionError(f"{type(base).__name__}: cannot find its {n} decoder layers")


def n_residual(model) -> int:
    """Residual indices of the model: decoder layers + 1 (the embeddings)."""
    return len(decoder_layers(model)) + 1


def residual_module(model, index: int):
    """The decoder layer that reads residual index ``index`` (0) or writes it (``>= 1``)."""
    n = n_residual(model)
    if not 0 <= index < n:
        raise InterventionError(f"{index} is out of range; this model has residual "
                                f"indices 0..{n - 1} (0 = embeddings)", field="layer")
    return decoder_layers(model)[max(0, index - 1)]


def hook_residual(model, index: int, edit: Callable[[Any], Any]):
    """A hook applying ``edit`` to residual index ``index``; returns its handle.

    Index 0 is edited as the first decoder layer's input, not as the token embeddings'
    output: GPT-2 adds position embeddings after them (an ablation there left the
    direction in the residual, a patch swapped the token embeddings only), other models
    scale or normalise them; the first layer's input is ``hidden_states[0]`` in all.
    """
    module = residual_module(model, index)
    if index > 0:
        return module.register_forward_hook(_on_output(edit))

    def pre(module, args, kwargs):
        if args:
            return (edit(args[0]), *args[1:]), kwargs
        if "hidden_states" in kwargs:
            return args, {**kwargs, "hidden_states": edit(kwargs["hidden_states"])}
        raise InterventionError(f"{type(module).__name__}: the first decoder layer was "
                                f"called without its hidden states; residual index 0 "
                                f"cannot be reached")

    return module.register_forward_pre_hook(pre, with_kwargs=True)


def hidden_size(model) -> int:
    return int(model.get_input_embeddings().weight.shape[1])


def check_fits(directions: np.ndarray, n: int, size: int, source: Any,
               model: Any = None) -> None:
    """Refuse a directions array made for another model (``n`` residual indices of hidden
    size ``size`` expected): a file from a deeper model would otherwise steer silently.
    The refusal says what to do (it asked "was the file made from another model?"), naming
    ``model``, the checkpoint, where given."""
    if tuple(directions.shape) != (n, size):
        on = "" if model is None else f" --model {shlex.quote(str(model))}"
        raise InterventionError(
            f"{source}: directions of shape [{directions.shape[0]}, {directions.shape[1]}] "
            f"(residual indices, hidden size), but the model has [{n}, {size}]: the file "
            f"was made from a model of another shape; compute the direction on this model "
            f"(beliefbench internals direction{on} --log ...)")


def _on_output(edit: Callable[[Any], Any]):
    """A forward hook applying ``edit`` to a module's hidden-state output (tensor or tuple)."""

    def hook(module, args, output):
        if isinstance(output, tuple):
            return (edit(output[0]), *output[1:])
        return edit(output)

    return hook


def _editor(intervention: Intervention):
    import torch

    vec = torch.as_tensor(np.asarray(intervention.vector, dtype=np.float32))
    if intervention.mode == "add":
        def edit(h):
            out = h + vec.to(device=h.device, dtype=h.dtype)
            # one check per steered forward: an inf / NaN here would read as a result later
            if not bool(torch.isfinite(out).all()):
                if not bool(torch.isfinite(h).all()):
                    raise InterventionError(f"{intervention.describe()}: the model's own "
                                            f"activations are not finite before steering")
                raise InterventionError(
                    f"{intervention.describe()}: the steered activations are not finite in "
                    f"{h.dtype}; use a smaller --coef")
            return out
    elif intervention.mode == "ablate":
        norm = float(vec.norm())
        if norm == 0:
            raise InterventionError("ablate: the direction is the zero vector")
        unit = vec / norm

        def edit(h):
            u = unit.to(device=h.device, dtype=h.dtype)
            return h - (h @ u).unsqueeze(-1) * u
    else:
        raise InterventionError(f"mode: unknown {intervention.mode!r}; valid: {list(MODES)}")
    return edit


def _check_fits_dtype(iv: Intervention, dtype) -> None:
    """Refuse an added vector the model's dtype cannot hold (fp16 tops out at 65504): it
    would turn into inf, then NaN, before any check on the outputs could name the coef."""
    import torch

    if iv.mode != "add" or not dtype.is_floating_point:
        return
    peak = float(np.max(np.abs(np.asarray(iv.vector, dtype=np.float64)), initial=0.0))
    limit = float(torch.finfo(dtype).max)
    if not peak <= limit:
        raise InterventionError(f"{iv.describe()}: the added vector (largest entry {peak:.3g}) "
                                f"does not fit in the model's {dtype} (max {limit:.3g}); use "
                                f"a smaller --coef")


def add_hooks(model, interventions: Sequence[Intervention]) -> list:
    """Register the interventions on ``model`` (they stay until the handles are removed)."""
    size = hidden_size(model)
    dtype = model.get_input_embeddings().weight.dtype
    handles = []
    for iv in interventions:
        if np.asarray(iv.vector).shape != (size,):
            raise InterventionError(f"direction has shape {np.asarray(iv.vector).shape}; the "
                                    f"model's hidden size is {size}")
        _check_fits_dtype(iv, dtype)
        handles.append(hook_residual(model, iv.layer, _editor(iv)))
    return handles


@contextmanager
def intervened(model, interventions: Sequence[Intervention]) -> Iterator[None]:
    """``with intervened(model, [...]):`` the model runs with the interventions, then without."""
    handles = add_hooks(model, interventions)
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def random_like(vector: np.ndarray, seed: int) -> np.ndarray:
    """A seeded random direction with the same norm as ``vector`` (the control)."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(np.asarray(vector).shape)
    return (r / np.linalg.norm(r) * np.linalg.norm(vector)).astype(np.float32)


def parse_layers(spec: str | int | Sequence[int], n: int) -> list[int]:
    """``all``, ``3``, ``2,4`` or ``2-5`` -> residual indices, checked against ``n``."""
    reversed_ranges: list[str] = []  # "5-2": an empty range, a typo of 2-5
    if isinstance(spec, int):
        out = [spec]
    elif isinstance(spec, str):
        out = []
        parts = spec.split(",")
        # "2,,4" ablated 2 and 4 without a word of the item between (a "3" lost to a typo)
        empty = [str(i) for i, p in enumerate(parts, 1) if not p.strip()]
        if empty and len(empty) < len(parts):
            raise InterventionError(
                f"{spec!r}: item{'s' if len(empty) > 1 else ''} {', '.join(empty)} of "
                f"{len(parts)} {'are' if len(empty) > 1 else 'is'} empty (a comma too many, "
                f"or an index left out?); valid residual indices are 0..{n - 1}",
                field="layers")
        for part in (p.strip() for p in parts):
            if part == "all":
                out.extend(range(n))
            elif part:
                try:
                    if "-" in part:
                        lo, hi = part.split("-", 1)
                        out.extend(range(int(lo), int(hi) + 1))
                        if int(hi) < int(lo):
                            reversed_ranges.append(part)
                    else:
                        out.append(int(part))
                except ValueError:
                    raise InterventionError(
                        f"{part!r}" + (f" in {spec!r}" if part != spec else "")
                        + f" is not an index or a range (all, 3, 2-5, 2,4); valid residual "
                        f"indices are 0..{n - 1}", field="layers") from None
    else:
        out = [int(x) for x in spec]
    if reversed_ranges:  # "1,5-2" ablated index 1 alone, without a word about 5-2
        fixed = ", ".join("-".join(r.split("-", 1)[::-1]).replace(" ", "")
                          for r in reversed_ranges)
        # '5-2' alone is named once: "'5-2': '5-2' gives no index" read as two mistakes
        where = "" if reversed_ranges == [spec] else f"{spec!r}: "
        raise InterventionError(f"{where}{', '.join(map(repr, reversed_ranges))} "
                                f"gives no index (a range runs low to high: {fixed}); valid "
                                f"residual indices are 0..{n - 1}", field="layers")
    bad = [i for i in out if not 0 <= i < n]
    if bad or not out:
        # name only the indices out of range: "'1-7' gives [3, ..., 7]" read as if 1-7 meant 3-7
        raise InterventionError(f"{spec!r} " + (
            f"includes {bad}, out of range" if bad else "gives no index")
            + f"; valid residual indices are 0..{n - 1}", field="layers")
    return sorted(set(out))


def plan(directions: np.ndarray, mode: Mode, layer: int, *, coef: float = 1.0,
         ablate_layers: str | Sequence[int] = "all", control: str = "none",
         seed: int = 0) -> list[Intervention]:
    """The hooks for one intervention from a ``[n_residual, hidden]`` directions array.

    add: ``coef`` times the direction of ``layer`` at ``layer``; ablate: the direction of
    ``layer`` projected out at every index in ``ablate_layers``. ``control="random"`` swaps
    the direction for a seeded random one of the same norm.
    """
    if mode not in MODES:
        raise InterventionError(f"unknown {mode!r}; valid: {list(MODES)}", field="mode")
    if control not in CONTROLS:
        raise InterventionError(f"unknown {control!r}; valid: {list(CONTROLS)}",
                                field="control")
    n = directions.shape[0]
    if not 0 <= layer < n:
        raise InterventionError(f"{layer} is out of range 0..{n - 1}", field="layer")
    if not np.isfinite(coef):
        raise InterventionError(f"must be a finite number, got {coef}", field="coef")
    vector = np.asarray(directions[layer], dtype=np.float32)
    if not np.any(vector):
        raise InterventionError(f"the direction at residual index {layer} is the zero "
                                f"vector (nothing to {mode}); choose another layer",
                                field="layer")
    if control == "random":
        vector = random_like(vector, seed)
    if mode == "add":
        # float64, so that the check sees the size instead of numpy's overflow to inf
        added = float(coef) * vector.astype(np.float64)
        size = float(np.linalg.norm(added))
        if not size <= NORM_LIMIT:
            raise InterventionError(
                f"{coef:g} is too large for the direction at residual index {layer}: "
                f"the added vector's norm {size:.3g} exceeds {NORM_LIMIT:.3g}, where a norm "
                f"layer's float32 sum of squares overflows and every prediction turns uniform "
                f"(margins of 0); use a smaller coef", field="coef")
        return [Intervention("add", added.astype(np.float32), layer, coef=float(coef))]
    return [Intervention("ablate", vector, i) for i in parse_layers(ablate_layers, n)]


@contextmanager
def recorded(model, index: int, store: list) -> Iterator[None]:
    """Append the output of residual index ``index`` (on CPU) to ``store`` at every forward."""

    def keep(h):
        store.append(h.detach().float().cpu())
        return h

    handle = hook_residual(model, index, keep)
    try:
        yield
    finally:
        handle.remove()


@dataclass
class NormTally:
    """The summed L2 norm of residual vectors and how many were summed (:func:`tallied`)."""

    total: float = 0.0
    count: int = 0

    @property
    def mean(self) -> float | None:
        """The mean norm per token, or None where no token was read."""
        return self.total / self.count if self.count else None


@contextmanager
def tallied(model, index: int) -> Iterator[NormTally]:
    """While it runs, the norm of residual index ``index`` at every real token of every
    forward adds up in the yielded :class:`NormTally`: the positions the call's
    ``attention_mask`` keeps (padding is no token), every position where it passes none. The
    scale an added vector is read against: ``steer --coef 4`` said the vector's norm, but not
    whether that is a nudge or 10x the activations it is added to. Each text's first token
    is left out (see ``keep``)."""
    import torch

    tally = NormTally()
    mask: list[Any] = [None]

    def take_mask(module, args, kwargs):
        mask[0] = kwargs.get("attention_mask")

    def keep(h):
        norms = h.detach().float().norm(dim=-1)  # [batch, positions]
        m = mask[0]
        if m is not None and tuple(m.shape) == tuple(norms.shape):
            real = m.to(norms.device).bool()
        else:
            real = torch.ones_like(norms, dtype=torch.bool)
        # each text's first token left out: a BOS (an attention sink) is often tens of times
        # the others' norm on a real model, and would make every vector look like a nudge
        norms = norms[real & (real.long().cumsum(-1) > 1)]
        tally.total += float(norms.sum())
        tally.count += int(norms.numel())
        return h

    outer = model.register_forward_pre_hook(take_mask, with_kwargs=True)
    try:
        inner = hook_residual(model, index, keep)
    except BaseException:
        outer.remove()
        raise
    try:
        yield tally
    finally:
        inner.remove()
        outer.remove()


@contextmanager
def replaced(model, index: int, source: Callable[[Any], Any]) -> Iterator[None]:
    """Replace the output of residual index ``index`` by ``source(h)`` at every forward."""
    handle = hook_residual(model, index, source)
    try:
        yield
    finally:
        handle.remove()
