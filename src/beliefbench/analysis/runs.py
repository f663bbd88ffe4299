"""What identifies a run: everything that changes a number.

Two belief logs belong to the same run only when they agree on the model (compared
elsewhere), the judge (mode, grader model and its settings, judge template) and every task
setting that changes generation or scoring (claims, families, samples, temperature, top_p,
max_tokens, context, ...). Report, gate, sweep and agreement group by this key, so logs that
differ in any of it are never pooled.

Where each field comes from, newest first:

* the task's own record, ``log.eval.metadata["beliefbench"]["scoring"]`` and ``["settings"]``;
* the eval's task arguments (``log.eval.task_args``, Inspect fills in the defaults) and the
  grader role (``log.eval.model_roles["grader"]``);
* otherwise the field is ``unknown``: an unknown value is a value of its own, so a log that
  does not record a field is never pooled with one that does.

A field that does not apply to a run is ``n/a``, not ``unknown``: the LLM judge's settings
(grader, template, temperature, max_tokens, sees) in a run the offline marker judge scored,
the file hash of a claim the run did not ask about, an intervention's direction in the
baseline arm, the context's placement (``context_role``) in a run without a context. Such
a run's ``mode`` (or ``claims``, ``condition``, ``context``) already tells it apart, so an
``n/a`` is never listed as a difference of its own, nor counted as unrecorded.

``samples`` is the responses per question the eval ran (its epochs): Inspect's ``--epochs``
overrides the task's own ``-T samples``, which its record keeps.

Eval-level generation options (``inspect eval --max-tokens 48``) override the task's
settings for the model under test; the eval's plan records the config the solver generated
with (``log.plan.config``), which is what is keyed. So are the model's ``-M`` arguments
(``log.eval.model_args``) as ``model_args.<name>``, except those that only decide how it is
served, any whose name marks a secret, and ``model_path``, which names the checkpoint: part of
the model (:func:`model_of`), not of the run.
"""

from __future__ import annotations

import json
import ntpath
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inspect_ai.log import EvalLog

from beliefbench.internals.steering import STEER_ARGS
from beliefbench.judge import BUNDLED_TEMPLATE

TASK_KEY = "beliefbench"
FINAL_KEY = "final_checkpoint"
"""Eval metadata key of a manifest sweep's log: whether its checkpoint is the finetune's
final one (the manifest entry's ``final``). A sweep of an unfinished finetune (no final
entry yet) read, in `report` and `gate`, as a sweep of the trained model."""
MODEL_FINGERPRINT_KEY = "model_fingerprint"
"""Eval metadata key of a sweep log (``--model``, and a manifest's checkpoints on disk), and
of ``internals steer`` / ``ablate`` arm logs: the fingerprint of the local folder(s) the
model was loaded from (``beliefbench.analysis.sweep.model_fingerprint``), which changes when
the weights do, and does not when the folder is moved or copied."""
MOVED_KEY = "moved_checkpoints"
"""Eval metadata key of a manifest sweep's log: the checkpoints of its run that the sweep
found swept already under another path (the run folder moved or copied since), each as
``{"checkpoint": <label of those logs>, "now": <its label here>, "model_fingerprint": ...}``:
the sweep reused those logs rather than evaluate the checkpoints again, and ``report`` reads
them as checkpoints of this run folder's finetune, not of the old folder's."""
UNKNOWN = "unknown"
NONE = "-"
NOT_APPLICABLE = "n/a"
"""A judge field that does not apply to the run (an LLM judge's setting in a run the marker
judge scored): absent by design, unlike UNKNOWN (absent because an older beliefbench did not
record it)."""
SELF_JUDGED = "self:"
"""Prefix of the grader when no grader role was bound (Inspect falls back to the model)."""
SELF = "self"
"""The grader of a self-judged run as its rows are grouped (:func:`grouped_grader`)."""

SETTING_ARGS = ("claims", "families", "samples", "temperature", "top_p", "max_tokens",
                "context")
"""Task arguments that change generation, read when the log has no ``settings`` record."""
JUDGE_ARGS = {"template": "judge_template", "temperature": "judge_temperature",
              "max_tokens": "judge_max_tokens"}
"""Judge fields -> the task arguments they come from in logs without a ``scoring`` record."""
CONTEXT_ROLE = "context_role"
"""Where the context was placed (user turn or system prompt). Logs written before it was
recorded placed any context in the user turn, so they are keyed ``user``, and pool with new
logs of the same run; in a run without a context it does not apply."""
NO_CONTEXT_VALUES = (None, NONE, "none")
"""A keyed ``context`` that means no context (a settings record's None, a task argument's
``none``)."""
ASKED_IN_SCORING = ("binary_instruction",)
"""``scoring`` fields that change the prompt the model under test sees: keyed as settings."""
GENERATION_OVERRIDES = ("temperature", "top_p", "max_tokens")
"""Eval-level GenerateConfig fields that override the task's settings."""
GENERATE = "generate."
"""Prefix of the other generation options the model under test ran with (``inspect eval
--system-message ...``, ``--reasoning-effort ...``): keyed when set, ``-`` when not."""
NOT_GENERATION = frozenset({"max_retries", "timeout", "attempt_timeout",
                            "stream_idle_timeout", "max_connections", "adaptive_connections",
                            "cache_prompt", "cache", "batch", "extra_headers", "seed",
                            "logprobs", "top_logprobs", "prompt_logprobs"})
"""GenerateConfig fields that decide how a run is served, not what is measured."""
SAMPLE_LIMIT = "sample_limit."
"""Prefix of Inspect's sample limits the eval ran with (``--token-limit 500``,
``--message-limit``, ...): keyed when set, ``-`` when not, since a limit that runs out cuts
the answer away (counted as non-belief)."""
SAMPLE_LIMITS = ("token", "message", "time", "working", "turn", "cost")
"""Inspect's sample limits set for an eval (``--<type>-limit``, config ``<type>_limit``);
a sample can also end at the operator's hand (``operator``) or a ``custom`` limit."""
MODEL_ARGS = "model_args."
"""Prefix of the ``-M`` arguments the model under test was built with (``-M
do_sample=false``, ``-M dtype=...``): keyed, since they can change what it answers."""
NOT_MODEL_ARGS = frozenset({"device", "device_map", "batch_size", "gpu_memory_utilization",
                            "tensor_parallel_size", "pipeline_parallel_size",
                            "data_parallel_size", "host", "port", "base_url", "timeout",
                            "max_connections", "download_dir", "enforce_eager"})
"""``-M`` arguments that decide where and how fast a model is served, not what it answers."""
ARM = "intervention."
"""Prefix of what an arm of ``internals steer`` / ``ablate`` records beyond its condition
label (which names the mode, layer, coef or ablated layers, and the control): the direction
file's sha256 and the random control's seed, keyed so that arms of two directions are never
pooled; ``n/a`` in a run without an intervention (the baseline arm). The steer provider's
``-M`` arguments of such an arm are not keyed again: between the arms, which differ by
design, they were a ``RUNS DIFFER`` of no use."""
SECRET_PARTS = frozenset({"key", "token", "secret", "password", "passwd", "credentials",
                          "auth", "authorization", "cookie"})
"""A ``-M`` argument with one of these words in its name is never keyed (nor shown)."""


def secret_arg(name: str) -> bool:
    """Whether a model argument's name marks a credential (``api_key``, ``hf_token``, a
    header's ``X-Api-Key``: a word of :data:`SECRET_PARTS` between its underscores or
    hyphens; ``tokenizer`` is no credential)."""
    return bool(SECRET_PARTS & set(re.split(r"[\W_]+", name.lower())))


def without_secrets(value: Any) -> Any:
    """``value`` less every entry under a credential's name, at any depth: a key rides in
    ``default_headers: {Authorization: Bearer ...}`` as well as in ``api_key``, and a run
    key, a label or a file name made of the arguments showed it."""
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if not secret_arg(str(k))}
    if isinstance(value, list | tuple):
        return [without_secrets(v) for v in value]
    return value


NOT_KEYED = frozenset({"max_failed", "version", "cache", "judge_cache", "abort_after",
                       "self_judging"})
"""Recorded fields that decide whether a run finishes (or warns), not what it measures."""
MODEL_ONLY = frozenset({"template", "guidance", "temperature", "max_tokens", "grader", "sees"})
"""Judge fields that only matter for an LLM judge (the marker judge ignores them)."""


def setting_text(value: Any) -> str:
    """A setting as the short text run keys and labels compare and show."""
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "+".join(setting_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{setting_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def _name(key: str) -> str:
    return "mode" if key in ("judge", "mode") else key.removeprefix("judge_")


def keyed_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of a recorded dict, a file's sha256 standing in for its path where both exist."""
    out = {}
    for key, value in record.items():
        base = key.removesuffix("_sha256")
        if key in NOT_KEYED:
            continue
        if base != key and isinstance(value, Mapping):  # one hash per file, e.g. per claim
            out |= {f"{_name(base)}.{k}": str(v)[:12] for k, v in value.items()}
        elif base != key:
            out[_name(base)] = str(value)[:12] if value else value
        elif not ({f"{key}_sha256", f"{key.removesuffix('_path')}_sha256"} & set(record)):
            out[_name(key.removesuffix("_path"))] = value
    return out


def fields_text(record: Mapping[str, Any]) -> str:
    """``name=value ...`` of a recorded dict (``scoring`` / ``settings``), hashes short."""
    return " ".join(f"{k}={setting_text(v)}" for k, v in keyed_fields(record).items())


def plain_value(value: Any) -> bool:
    """A value JSON writes as itself (not a function, whose text names a memory address)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


MODEL_PATH = "model_path"
"""The ``-M`` argument a model is loaded from in place of its name (Inspect's hf provider:
``--model hf/local -M model_path=ckpts/run1/step-100``): the checkpoint under test, so part of
the model's name (:func:`model_of`), not of the run key."""


def model_of(log: EvalLog) -> str:
    """The model under test as reports name it: ``log.eval.model``, with the checkpoint it
    was loaded from where ``-M model_path`` names one (``hf/local:ckpts/run1/step-100``). Keyed
    as a run setting instead, each checkpoint of a finetune was a run of its own: no flips,
    one point per line on the step plot, and all of them one folder (``hf``)."""
    path = (log.eval.model_args or {}).get(MODEL_PATH)
    return f"{log.eval.model}:{path}" if isinstance(path, str) and path else log.eval.model


RELATIVE = re.compile(r"\.\.?([/\\]|$)")
"""A part of a model name that is a relative path (``hf/./ckpt``, ``hf/../ckpt``): no hub id
begins with a dot."""


def relative_model_path(log: EvalLog) -> str | None:
    """The relative path the model under test was loaded from, if any: a relative ``-M
    model_path`` (``ckpt``), or a part of its name that begins with ``./`` or ``../``
    (``hf/./ckpt``). It is read from the folder the eval was started in, which no log
    records (Inspect makes and runs a task file's task in the file's folder), so its name
    (:func:`model_of`) cannot tell two checkpoints evaluated as ``ckpt`` from two folders
    apart. A name such as ``hf/ckpts/run1`` reads like a hub id (``org/name``) and is not
    counted; one of three parts or more under a provider that loads local folders
    (``hf/ckpts/negated/step-000116``, a vLLM adapter ``vllm/Qwen/Qwen3-8B:ckpts/neg/step-1``)
    is no hub id, so it is a relative path."""
    path = (log.eval.model_args or {}).get(MODEL_PATH)
    if isinstance(path, str) and path:
        return None if posixpath.isabs(path) or ntpath.isabs(path) else path
    api, _, name = log.eval.model.partition("/")
    local = api in LOCAL_PROVIDERS
    return next((part for part in name.split(":")
                 if RELATIVE.match(part) or (local and _deep_relative(part))), None)


LOCAL_PROVIDERS = ("hf", "vllm", "sglang")
"""Providers that load a model name that is a folder on disk (a hub id otherwise)."""


def _deep_relative(part: str) -> bool:
    """A part of a local provider's model name that is a relative path of three parts or more
    (a hub id has two: ``org/name``); absolute paths and ``~`` are not relative."""
    return (not posixpath.isabs(part) and not ntpath.isabs(part) and not part.startswith("~")
            and len([p for p in part.split("/") if p]) >= 3)


def keyed_model_args(args: Mapping[str, Any] | None) -> dict[str, Any]:
    """The model arguments that can change what a model answers: set (Inspect logs an
    argument it cannot write, a mockllm's function, as None), not where or how fast it is
    served (:data:`NOT_MODEL_ARGS`), and never a secret."""
    kept = {name: without_secrets(value) for name, value in (args or {}).items()
            if value is not None and name not in NOT_MODEL_ARGS and not secret_arg(name)}
    # a mapping that held only credentials (headers) is left out, not shown as {}
    return {name: value for name, value in kept.items()
            if value or not isinstance(args[name], Mapping) or not args[name]}


def grader_text(role: Any, model: str) -> str:
    """The grader role as a run key shows it: its model, the generation settings and the
    model arguments bound with it (``model_args.model_path`` of a local judge: two judges
    may share a model name); how it is served (``max_connections``, ``device``, ...) is
    left out; ``self:<model>`` when no grader was bound."""
    if role is None:
        return SELF_JUDGED + model
    config = role.config.model_dump(exclude_none=True) if role.config else {}
    config = {k: v for k, v in config.items() if k not in NOT_GENERATION}
    config |= {MODEL_ARGS + k: v
               for k, v in keyed_model_args(getattr(role, "args", None)).items()}
    return role.model + (f"[{setting_text(config)}]" if config else "")


def grouped_grader(grader: str) -> str:
    """A grader as the rows of a report are grouped: ``self`` for any self-judged run
    (``self:<model>``), else as it is. Each checkpoint of a self-judged sweep is its own
    grader, so grouped by its name a sweep split into one run per checkpoint (one point per
    series on the step plot, no flips); the model column already tells the models apart,
    and the SELF-JUDGED warning still marks each log. The run key itself keeps the name:
    the gate compares a self-judged baseline and candidate as judged differently."""
    return SELF if grader.startswith(SELF_JUDGED) else grader


def grouping_key(key: RunKey) -> RunKey:
    """``key`` with its grader as rows are grouped (:func:`grouped_grader`)."""
    judge = tuple((k, grouped_grader(v) if k == "grader" else v) for k, v in key.judge)
    return key if judge == key.judge else RunKey(judge, key.settings)


def _grader(log: EvalLog) -> str:
    # a self-judged checkpoint (-M model_path) judges as itself, not as the name it shares
    return grader_text((log.eval.model_roles or {}).get("grader"), model_of(log))


@dataclass(frozen=True)
class RunKey:
    """A run's identity apart from the model and its checkpoint labels."""

    judge: tuple[tuple[str, str], ...]
    settings: tuple[tuple[str, str], ...]

    @property
    def judge_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.judge)

    @property
    def settings_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.settings)

    def fields(self) -> dict[str, str]:
        """Every field, judge fields prefixed ``judge.``."""
        return {**{f"judge.{k}": v for k, v in self.judge}, **dict(self.settings)}

    def field(self, name: str) -> str:
        """A field's value: a generation option or model argument the run did not set is
        ``-`` (not set); an LLM judge's setting in a marker-judged run, or the file hash of a
        claim the run did not ask about, ``n/a`` (does not apply); any other field the key
        lacks ``unknown`` (not recorded)."""
        fields = self.fields()
        if name in fields:
            return fields[name]
        if name.startswith((GENERATE, MODEL_ARGS, SAMPLE_LIMIT)):
            return NONE
        if name.startswith(ARM):
            return NOT_APPLICABLE
        if name.startswith("judge.") and name.removeprefix("judge.") in MODEL_ONLY \
                and dict(self.judge).get("mode") == "markers":
            return NOT_APPLICABLE
        if name == CONTEXT_ROLE and fields.get("context") in NO_CONTEXT_VALUES:
            return NOT_APPLICABLE
        claims = fields.get("claims", UNKNOWN)
        if name.startswith(PER_CLAIM) and claims != UNKNOWN \
                and name.removeprefix(PER_CLAIM) not in claims.split("+"):
            return NOT_APPLICABLE
        return UNKNOWN

    @property
    def unknown(self) -> list[str]:
        return [k for k, v in self.fields().items() if v == UNKNOWN]


def with_overrides(settings: dict[str, Any], log: EvalLog) -> dict[str, Any]:
    """``settings`` with the eval-level options the solver ran with, which win over the
    task's own record (``--epochs`` as ``samples``, ``--temperature`` ...), the sample limits
    it ran under, and the model's ``-M`` arguments."""
    overrides = log.plan.config if log.plan else None
    if log.eval.config.epochs:  # Inspect's --epochs replaces the task's samples: key what ran
        settings["samples"] = log.eval.config.epochs
    for name in GENERATION_OVERRIDES:
        value = getattr(overrides, name, None) if overrides else None
        if value is not None:
            settings[name] = value
    for kind in SAMPLE_LIMITS:
        value = getattr(log.eval.config, f"{kind}_limit", None)
        if value is not None:
            settings[SAMPLE_LIMIT + kind] = value
    # the rest of what the model generated with (a system message, a reasoning effort, ...)
    for name, value in (overrides.model_dump(exclude_none=True) if overrides else {}).items():
        if name not in GENERATION_OVERRIDES and name not in NOT_GENERATION:
            settings[GENERATE + name] = value
    md = log.eval.metadata or {}
    arm = "intervention" in md and "condition" in md  # labelled by internals steer/ablate
    for name, value in keyed_model_args(log.eval.model_args).items():
        if name == MODEL_PATH and model_of(log) != log.eval.model:
            continue  # named in the model (model_of)
        if not (arm and name in STEER_ARGS):
            settings[MODEL_ARGS + name] = value
    if arm and md.get("intervention") != "none":
        settings[ARM + "direction"] = str(md.get("direction_sha256", UNKNOWN))[:12]
        settings[ARM + "seed"] = md.get("seed", UNKNOWN)
    return settings


def run_key(log: EvalLog) -> RunKey:
    """The judge and settings that produced a belief log's numbers (see module docstring)."""
    md = (log.eval.metadata or {}).get(TASK_KEY) or {}
    args = log.eval.task_args or {}
    scoring = md.get("scoring")
    if isinstance(scoring, dict):
        judge = keyed_fields(scoring)
    else:
        judge = {"mode": args.get("judge", md.get("judge", UNKNOWN))}
        judge |= {f: args.get(a, UNKNOWN) for f, a in JUDGE_ARGS.items()}
        if judge["template"] == BUNDLED_TEMPLATE:  # the bundled prompt, as None was
            judge["template"] = None
    mode = setting_text(judge.get("mode", UNKNOWN))
    if mode == "markers":
        judge = {k: v for k, v in judge.items() if k not in MODEL_ONLY}
    else:
        judge["grader"] = _grader(log)
    settings_record = md.get("settings")
    if isinstance(settings_record, dict):
        settings = keyed_fields(settings_record)
    else:
        settings = {a: args.get(a, UNKNOWN) for a in SETTING_ARGS}
        if "claims" in md:
            settings["claims"] = md["claims"]  # the resolved ids, not the argument
        if "families" in md:
            settings["families"] = md["families"]
    if isinstance(settings.get("claims"), list | tuple):
        # the claims asked, not the order they were named in: -T claims=dentist,ed_sheeran
        # and -T claims=ed_sheeran,dentist (or all, recorded sorted) ask the same questions,
        # and were two runs ("RUNS DIFFER in claims (dentist+ed_sheeran, ed_sheeran+dentist)")
        settings["claims"] = sorted(map(str, settings["claims"]))
    for name in ASKED_IN_SCORING:  # recorded with the judge, but changes what is asked
        if name in judge:
            settings[name] = judge.pop(name)
    _key_context_role(settings)
    with_overrides(settings, log)
    first = ("mode", "grader")
    judge_items = sorted(judge.items(), key=lambda kv: (kv[0] not in first,
                                                        first.index(kv[0]) if kv[0] in first
                                                        else 0, kv[0]))
    return RunKey(judge=tuple((k, setting_text(v)) for k, v in judge_items),
                  settings=tuple((k, setting_text(v)) for k, v in sorted(settings.items())))


def _key_context_role(settings: dict[str, Any]) -> None:
    """``context_role`` as keyed: left out where no context was given (it does not apply,
    and runs without a context keep the key they had), ``user`` where a log of a context
    does not record it (older beliefbench placed every context in the user turn)."""
    context = settings.get("context", UNKNOWN)
    if context in NO_CONTEXT_VALUES:
        settings.pop(CONTEXT_ROLE, None)
    elif context != UNKNOWN and settings.get(CONTEXT_ROLE) in (None, UNKNOWN):
        settings[CONTEXT_ROLE] = "user"


PER_CLAIM = "claim_files."
"""Prefix of the per-claim file hashes: compared only between runs that both have the claim
(runs with different claims already differ in ``claims``)."""


def differing_fields(keys: Iterable[RunKey]) -> list[str]:
    """The fields whose value is not the same in every key (judge fields first). A field that
    does not apply to some keys (``n/a``) differs only if the keys it applies to disagree:
    between a marker-judged and a model-judged run, ``mode`` is the difference, not each of
    the LLM judge's settings. (No two keys are told apart the less: an ``n/a`` beside a
    value means their modes, their claims, or their conditions differ: an intervention's
    arm beside the baseline arm.)"""
    keys = list(keys)
    names = list(dict.fromkeys(name for k in keys for name in k.fields()))
    out = []
    for name in names:
        values = {k.field(name) for k in keys} - {NOT_APPLICABLE}
        if name.startswith(PER_CLAIM):
            values = {k.fields()[name] for k in keys if name in k.fields()}
        if len(values) > 1:
            out.append(name)
    return out


def _display(name: str, names: Iterable[str]) -> str:
    """``judge.grader`` -> ``grader`` unless a setting has the same name (max_tokens)."""
    short = name.removeprefix("judge.")
    return short if short == name or short not in set(names) else name


def _label_order(key: RunKey, shown: Sequence[str], distinct: Sequence[RunKey],
                 rank: Mapping[str, tuple[int, ...]]) -> list[str]:
    """The fields of ``shown`` that one key's label lists (not those it does not record or
    that do not apply to it), in order: first those that set the key apart from the other
    keys (greedily, the field that tells it from the most keys not yet told apart), then the
    rest; ties go by ``rank``. A long label is cut at the end, so what is cut is what the key
    shares with others, never what tells it apart."""
    left = sorted((n for n in shown if key.field(n) not in (UNKNOWN, NOT_APPLICABLE)),
                  key=lambda n: rank[n])
    others = [k for k in distinct if k != key]
    order: list[str] = []
    while others and left:
        told = {n: [o for o in others if o.field(n) != key.field(n)] for n in left}
        best = max(left, key=lambda n: len(told[n]))  # the first of the best, by rank
        if not told[best]:
            break
        order.append(best)
        left.remove(best)
        others = [o for o in others if o not in told[best]]
    return order + left


def run_labels(keys: Sequence[RunKey], width: int = 80) -> list[str]:
    """A short, distinct label per key: the values of the fields that differ between the
    keys (fields a key does not record are counted, not listed; fields that do not apply
    to it are left out), those that set the key apart first; ``-`` when none differ."""
    differ = differing_fields(keys)
    names = [n for k in keys for n in k.fields()]
    known = {n: {k.field(n) for k in keys} - {UNKNOWN, NOT_APPLICABLE} for n in differ}
    # only the logs that do not record it differ: they say so (counted), it is not listed
    shown = [n for n in differ if len(known[n]) > 1]
    distinct = list(dict.fromkeys(keys))

    def text(key: RunKey, name: str) -> str:
        value = key.field(name)
        if len(value) > 48:
            value = "…" + value[-47:]
        return f"{_display(name, names)}={value}"

    # ties: the field that tells more keys apart, then the shorter, then the usual order
    rank = {n: (-len(known[n]), max(len(text(k, n)) for k in keys)) for n in shown}
    rank = {n: (*rank[n], i) for i, n in enumerate(shown)}
    labels = []
    for key in keys:
        unknown = sum(key.field(n) == UNKNOWN for n in differ)
        parts = [text(key, n) for n in _label_order(key, shown, distinct, rank)]
        if unknown:
            parts.append(f"({unknown} unrecorded)")
        label = " ".join(parts) or NONE
        labels.append(label if len(label) <= width else label[: width - 1] + "…")
    for label in set(labels):  # truncation made two runs look alike: number them
        same = list(dict.fromkeys(k for k, lab in zip(keys, labels, strict=True)
                                  if lab == label))
        # keys apart only where a field does not apply to one of them (the baseline arm
        # beside an intervention's) are one run, whatever else tells their rows apart
        if any(not _agree(a, b) for a in same for b in same):
            numbers = {k: i for i, k in enumerate(dict.fromkeys(same), 1)}
            labels = [f"{lab} #{numbers[k]}" if lab == label else lab
                      for k, lab in zip(keys, labels, strict=True)]
    return labels


def _agree(a: RunKey, b: RunKey) -> bool:
    """Whether two keys hold the same value in every field that applies to both."""
    return all(NOT_APPLICABLE in (a.field(n), b.field(n)) or a.field(n) == b.field(n)
               for n in {*a.fields(), *b.fields()})


def judge_mismatch(a: RunKey, b: RunKey) -> list[str]:
    """Judge fields (``judge.<name>``) that differ between two runs, or are unknown. A field
    that does not apply to one of them (``n/a``: an LLM judge's setting beside the marker
    judge) is no mismatch of its own: their ``mode`` differs and is named."""
    fa, fb = a.fields(), b.fields()
    names = [n for n in dict.fromkeys([*fa, *fb]) if n.startswith("judge.")]
    return [n for n in names
            if NOT_APPLICABLE not in (a.field(n), b.field(n))
            and (a.field(n) != b.field(n) or a.field(n) == UNKNOWN)]


def distinct_values(fields: Iterable[str], keys: Sequence[RunKey]) -> str:
    """``name (value, value)`` for each field: the values the runs hold."""
    names = [n for key in keys for n in key.fields()]
    return ", ".join(
        f"{_display(n, names)} ({', '.join(sorted({k.field(n) for k in keys}))})"
        for n in fields)


def describe(fields: Iterable[str], keys: Mapping[str, RunKey]) -> str:
    """``name (label: value; label: value)`` for each field: what differs, where."""
    names = [n for key in keys.values() for n in key.fields()]
    out = []
    for name in fields:
        values = "; ".join(f"{label}: {key.field(name)}"
                           for label, key in keys.items())
        out.append(f"{_display(name, names)} ({values})")
    return ", ".join(out)
