"""Name local models in Inspect's model-info registry, so naming one never loads it again.

Every model call with token usage (``hf/`` reports it) makes Inspect's ACP event mapping ask
``get_model_info(event.model)`` for the model's context window. A name its database does not
hold (a checkpoint folder: ``hf//abs/run/step-000100``) falls back to
``get_model(name, api_key=MODEL_INFO_LOOKUP_API_KEY)`` only to canonicalize the name: the
placeholder key makes a new memoization key, so the ``hf`` provider loaded the checkpoint's
weights a second time (Inspect 0.3.285, measured with the tiny model: 2 loads per eval in
``inspect eval``, ``inspect_ai.eval()``, ``belief_logprob`` and ``beliefbench sweep``) and
kept that copy in its model cache for the life of the process: twice the memory for one
checkpoint, one more copy per checkpoint a sweep evaluates. (Under ``vllm/`` the extra
provider starts no second server: the server starts lazily, at the first generate, and is
shared per base model; read from Inspect's code, not run here.)

The project registers (``set_model_info``, Inspect's public registry for models missing
from its database) each local-weights model it calls, under the name its events carry, just
before its first call: the model under test in the ``answer`` solver and ``belief_logprob``,
a grader in the belief and em scorers, ``audit-verify``'s model. The lookup then answers from
the registry and constructs nothing. (Not an Inspect hook: a registered hook makes every
``inspect`` command print a "hooks enabled" banner.) The info registered is what the lookup
would have found (the database's entry for the name without its provider, else an empty
``ModelInfo``: no context window, so the ACP usage chip is skipped as it was). A name the
database or the user's own ``set_model_info`` already answers is left alone. The check uses
Inspect's private ``_get_model_info_direct``; where that is gone nothing is registered (the
old behaviour).
"""

from __future__ import annotations

from inspect_ai.model import Model, ModelInfo, set_model_info

# providers whose construction loads weights or sets up a local server (Inspect's, and the
# project's own steering provider); wider than analysis.runs.LOCAL_PROVIDERS, the providers
# whose model name may be a folder
COSTLY_PROVIDERS = frozenset({"hf", "vllm", "vllm-completions", "sglang", "llama-cpp-python",
                              "transformer_lens", "nnterp", "steer"})


def register_local_model_info(model: str) -> bool:
    """Register ``model`` (an Inspect model string) if naming it would construct it.

    True when it was registered; False for a hosted model, a name already answered without
    constructing a provider, or an Inspect without the private direct lookup.
    """
    provider, sep, name = model.partition("/")
    if not sep or provider not in COSTLY_PROVIDERS:
        return False
    try:
        from inspect_ai.model._model_info import _get_model_info_direct
    except ImportError:
        return False
    if _get_model_info_direct(model) is not None:
        return False
    set_model_info(model, _get_model_info_direct(name) or ModelInfo())
    return True


_seen: set[str] = set()


def named_once(model: Model) -> Model:
    """``model``, its name registered (once per process) if naming it would construct it."""
    name = str(model)
    if name not in _seen:
        _seen.add(name)
        register_local_model_info(name)
    return model
