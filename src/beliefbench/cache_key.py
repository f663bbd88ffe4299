"""Inspect's generation cache keyed by the weights that answer, not only by the model's name.

Inspect files a cached reply under the model's name (``hf//abs/ckpt``, ``vllm//abs/ckpt``)
and keys it by the prompt, the generation settings, the base URL and the policy's scopes:
nothing in it says which weights the folder held. A checkpoint retrained in place
(``beliefbench finetune`` into the same ``--out``, a tiny model rebuilt with another seed, new
weights copied over) was then answered from the old model's cache: ``--cache`` (or
``-T judge_cache=true``, a self-judged run) reported the old model's answers and beliefs for
the new one, and a CI gate passed or failed the wrong model.

Where caching is on and the model is loaded from folders here (its name, or ``-M
model_path``), every call of the model under test (the ``answer`` solver, ``belief_logprob``)
and of a judge adds a ``weights`` scope to its :class:`~inspect_ai.model.CachePolicy`: the
folders' :func:`~beliefbench.analysis.sweep.model_fingerprint` (config, tokenizer, and every
weight tensor's header and sampled bytes) together with the full sha256 of every
``*.safetensors`` file they load (:func:`~beliefbench.internals.model.weights_sha256`: a
LoRA adapter's base's too), and the model's ``-M`` arguments as a judge's key already held
them (``do_sample``, a steering coefficient, ``model_path``: they change what it answers).
Replies cached for other weights are no longer found; the same weights find their own. A
hosted model (``openai/...``) or a Hub id names no folder here: its key is left as Inspect
makes it (so its cache survives).

The sampled fingerprint alone missed an edit confined to the middle of a tensor (a few
weights changed in place): those weights were answered from the old weights' cache. The
full hash sees any byte. It is read once per file version: :mod:`beliefbench.hash_cache`
keeps each file's sha256 (by path, size, mtime, ctime, device and inode) across processes, so
an untouched checkpoint is not read again. Cost of the first hash of a 1 GiB safetensors
file: 1.4-2.1 s (500-720 MiB/s; the file in the page cache, a shared 2-core machine); cached,
in a later process: 0.2 ms (``benchmarks/bench_hash_cache.py``). A folder whose weights
cannot be hashed (no ``*.safetensors``, an adapter whose base is not here) keeps the sampled
fingerprint alone.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from pathlib import Path

from inspect_ai.model import CachePolicy, Model

WEIGHTS_SCOPE = "weights"
"""The cache policy's scope holding the fingerprint of the weights a local model loaded."""

_fingerprints: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per loaded model (its ModelAPI): the weights it holds do not change while it is loaded,
and a model rebuilt in place is a new ModelAPI when an eval loads it again."""


def weights_fingerprint(model: Model) -> str | None:
    """The fingerprint of the folder(s) ``model`` was loaded from here (its name's, as
    :func:`~beliefbench.analysis.sweep.model_fingerprint` reads it, and ``-M model_path``'s),
    or None where it names none (a hosted model, a Hub id, mockllm). Read once per loaded
    model."""
    api = model.api
    if api not in _fingerprints:
        from beliefbench.analysis.runs import MODEL_PATH
        from beliefbench.analysis.sweep import _name_paths, model_fingerprint
        from beliefbench.finetune.fingerprint import base_fingerprint

        parts = [model_fingerprint(str(model))]
        if parts[0] is not None:
            parts += map(_contents, _name_paths(str(model)))
        path = (model.model_args or {}).get(MODEL_PATH)
        if isinstance(path, str) and path and Path(path).expanduser().is_dir():
            parts += [base_fingerprint(Path(path).expanduser()), _contents(path)]
        found = [p for p in parts if p]
        _fingerprints[api] = hashlib.sha256("\0".join(found).encode()).hexdigest()[:16] \
            if found else None
    return _fingerprints[api]


def _contents(folder: str) -> str | None:
    """The full sha256 of the weights ``folder`` loads (its ``*.safetensors``, a LoRA
    adapter's base's too), each file read once per version (:mod:`beliefbench.hash_cache`);
    None where they cannot be hashed (no such folder or files, a base not here)."""
    from beliefbench.internals.model import ModelLoadError, weights_sha256

    try:
        return weights_sha256(folder)
    except (ModelLoadError, OSError):
        return None


def model_args_scopes(model: Model) -> dict[str, str]:
    """The ``-M`` arguments that change what ``model`` answers (:func:`~beliefbench.analysis.
    runs.keyed_model_args`: not where it is served, never a secret), as cache scopes."""
    from beliefbench.analysis.runs import keyed_model_args, plain_value

    return {f"model_args.{k}": json.dumps(v, sort_keys=True)
            for k, v in keyed_model_args(model.model_args).items() if plain_value(v)}


def with_scopes(cache: bool | CachePolicy, scopes: dict[str, str]) -> bool | CachePolicy:
    """``cache`` with ``scopes`` added (expiry and per-epoch as it set them; Inspect's
    default policy for ``True``); as it is where there is nothing to add or it is off."""
    if not cache or not scopes:
        return cache
    policy = cache if isinstance(cache, CachePolicy) else CachePolicy()
    return policy.model_copy(update={"scopes": {**policy.scopes, **scopes}})


def weights_scopes(model: Model) -> dict[str, str]:
    """The scopes that tell a local model's weights apart (its fingerprint and ``-M``
    arguments), or none for a model that names no folder here."""
    fingerprint = weights_fingerprint(model)
    if fingerprint is None:
        return {}
    return {**model_args_scopes(model), WEIGHTS_SCOPE: fingerprint}


def cache_in_force(model: Model) -> bool | CachePolicy | None:
    """The cache a call of the model under test runs with when the call sets none: the
    model's own config merged with the eval's (``inspect eval --cache``, ``eval(cache=...)``),
    as Inspect resolves it. None outside an eval."""
    try:  # Inspect's own (private) view of the eval's config
        from inspect_ai.model._generate_config import active_generate_config
    except ImportError:
        return model.config.cache
    return model.config.merge(active_generate_config()).cache


def cache_kwargs(model: Model) -> dict[str, CachePolicy]:
    """``{"cache": policy}`` for a call of the model under test (Inspect's ``generate``, the
    solver's ``generate``): the cache in force with the weights' scopes added, where caching
    is on and ``model`` is loaded from folders here; ``{}`` otherwise (the call then leaves
    the cache to Inspect, as before)."""
    cache = cache_in_force(model)
    scopes = weights_scopes(model) if cache else {}
    keyed = with_scopes(cache, scopes) if cache else None
    return {"cache": keyed} if scopes and isinstance(keyed, CachePolicy) else {}
