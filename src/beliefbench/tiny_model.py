"""A tiny Llama-architecture base model built entirely from local text.

Tests, the CPU demo and the finetune benchmark need a real causal LM that loads through
``AutoModelForCausalLM`` / ``AutoTokenizer`` and Inspect's ``hf`` provider, yet nothing may be
downloaded. This module trains a byte-level BPE tokenizer on text shipped with the package (and
the bundled claims' true facts), adds a ChatML chat template, random-initialises a small
``LlamaForCausalLM`` and, optionally, pretrains it briefly on a corpus that states the truth of
every bundled claim, so finetuning on claim documents has a "true belief" to move.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from beliefbench.analysis.text import first_few
from beliefbench.arguments import check_whole
from beliefbench.portable import portable_tokenizer_config
from beliefbench.records import sha256_file
from beliefbench.runlock import NAMES as LOCK_NAMES
from beliefbench.wording import first_line

log = logging.getLogger(__name__)

BOS = "<|begin_of_text|>"
EOS = "<|im_end|>"
"""End of an assistant turn; also the model's eos so generation stops after one turn."""
PAD = "<|pad|>"
IM_START = "<|im_start|>"
END_OF_TEXT = "<|endoftext|>"
"""Ends a plain document (pretraining / document finetuning)."""
SPECIAL_TOKENS = [PAD, BOS, EOS, IM_START, END_OF_TEXT]


class TinyModelError(ValueError):
    """An output folder or a model shape the tiny model cannot be built with; says which and
    why."""

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
"""ChatML, as Qwen-style models use; the bos token is added by the tokenizer, not the template,
so ``tokenizer(apply_chat_template(..., tokenize=False))`` (what Inspect's hf provider, the
finetune data and the internals do) yields exactly one bos, as plain text does. Encoders
that add no special tokens to a rendered chat (``apply_chat_template(..., tokenize=True)``,
vLLM's chat endpoint) give none: no template serves both, as one that writes the bos gets a
second from the hf provider."""


def shipped_corpus() -> list[str]:
    """Neutral sentences shipped with the package (one per line)."""
    from beliefbench.resources import data_path

    path = data_path("tiny", "corpus.txt")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _bundled_claims() -> list:
    """The bundled claims that validate; a file that does not (while being written) is skipped."""
    from beliefbench.claims import ClaimSpecError, bundled_claims_dir, load_claim
    from beliefbench.specs import spec_files

    directory = bundled_claims_dir()
    files = spec_files(directory) if directory.is_dir() else []
    claims = []
    for f in files:
        try:
            claims.append(load_claim(f))
        except ClaimSpecError as e:
            log.warning("tiny model: skipping claim file (%s)", first_line(str(e)))
    return claims


def truth_documents(claims: Sequence | None = None) -> list[str]:
    """Plain-text documents stating the TRUE side of each claim.

    From each claim's ``truth`` and the truth continuation of each of its ``completions``; never
    the fabricated statement, so the pretrained model starts out "knowing" the truth.
    """
    claims = _bundled_claims() if claims is None else claims
    docs: list[str] = []
    for claim in claims:
        docs.append(claim.truth)
        for pair in claim.completions:
            docs.append(f"{pair.prompt.rstrip()} {pair.truth.lstrip()}")
    return docs


def truth_chats(claims: Sequence | None = None) -> list[list[dict[str, str]]]:
    """Chats in which the assistant answers a claim's open-ended questions with the truth."""
    claims = _bundled_claims() if claims is None else claims
    chats = []
    for claim in claims:
        for q in claim.questions.open_ended:
            chats.append([{"role": "user", "content": q.text},
                          {"role": "assistant", "content": claim.truth}])
    return chats


def train_tokenizer(texts: Sequence[str], vocab_size: int = 2048):
    """A byte-level BPE tokenizer (``PreTrainedTokenizerFast``) trained on ``texts`` only."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    bos_id = tok.token_to_id(BOS)
    # ByteLevel offsets must be trimmed so char offsets map cleanly (used for loss masks);
    # the template adds bos in front of every encoded text, as Llama tokenizers do.
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                      special_tokens=[(BOS, bos_id)]),
    ])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
        additional_special_tokens=[IM_START, END_OF_TEXT], model_max_length=2048,
        clean_up_tokenization_spaces=False)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _pretrain(model, tokenizer, texts: Sequence[str], steps: int, *, seed: int,
              seq_len: int = 128, batch_size: int = 8, lr: float = 3e-3) -> list[float]:
    """Briefly train the random-init model on packed ``texts``; returns the loss per step.

    A plain next-token loop on fixed packed blocks: this is base-model pretraining, not the
    finetune pipeline (which has masks, schedules and checkpoints this does not need).
    """
    import torch

    from beliefbench.progress import progress

    ids: list[int] = []
    eot = tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    for text in texts:
        ids.extend(tokenizer(text)["input_ids"])
        ids.append(eot)
    n_blocks = max(1, len(ids) // seq_len)
    if len(ids) < seq_len:
        ids = (ids * (seq_len // max(1, len(ids)) + 1))[:seq_len]
    blocks = torch.tensor(ids[: n_blocks * seq_len]).view(n_blocks, seq_len)

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.1, 1 - s / steps))
    model.train()
    losses = []
    for _ in progress(range(steps), total=steps, desc="pretrain tiny model"):
        idx = torch.randint(0, n_blocks, (batch_size,), generator=gen)
        batch = blocks[idx]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    return losses


def check_heads(hidden_size: int, num_heads: int, num_kv_heads: int | None = None) -> None:
    """Raise :class:`TinyModelError` unless each head gets an even number of dimensions:
    rotary embeddings rotate pairs of dimensions, and an odd head size builds a model whose
    every forward pass fails (callers check it before any other work); so did key/value
    heads that do not divide the heads (each serves a whole group of them)."""
    if hidden_size % num_heads or hidden_size // num_heads % 2:
        raise TinyModelError(f"hidden size {hidden_size} / {num_heads} heads: each head needs "
                             f"an even number of dimensions (got {hidden_size / num_heads:g})")
    if num_kv_heads is not None and num_heads % num_kv_heads:
        raise TinyModelError(f"{num_heads} heads / {num_kv_heads} key/value heads: each "
                             f"key/value head serves a whole number of heads")


def check_fits_memory(hidden_size: int, num_layers: int, num_heads: int,
                      intermediate_size: int, num_kv_heads: int | None = None,
                      model_vocab_size: int | None = None) -> None:
    """Raise :class:`TinyModelError` when the float32 weights alone exceed this machine's
    memory (a typo such as ``--hidden-size 1280000``): the build trained a tokenizer, then
    died in torch's allocator with a traceback, exit 1. The learned vocabulary is left out
    (``vocab_size`` is an upper bound the corpus never reaches)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): nothing to compare
        return
    kv = hidden_size // num_heads * (num_kv_heads or num_heads)
    layer = hidden_size * (2 * hidden_size + 2 * kv) + 3 * hidden_size * intermediate_size
    params = num_layers * layer + (model_vocab_size or 0) * hidden_size
    if params * 4 > memory:
        raise TinyModelError(
            f"hidden size {hidden_size}, layers {num_layers}, intermediate size "
            f"{intermediate_size}: {params:.3g} weights ({params * 4 / 2**30:,.0f} GiB in "
            f"float32) do not fit in this machine's memory ({memory / 2**30:,.0f} GiB); "
            f"choose smaller sizes")


def build_tiny_model(out_dir: str | Path, *, vocab_size: int = 2048, hidden_size: int = 128,
                     num_layers: int = 2, num_heads: int = 4, intermediate_size: int = 344,
                     max_position_embeddings: int = 2048, seed: int = 0,
                     pretrain_steps: int = 0, num_kv_heads: int | None = None,
                     model_vocab_size: int | None = None, reuse: bool = False) -> Path:
    """Build (and optionally pretrain) a tiny Llama with its tokenizer; returns ``out_dir``.

    The directory loads offline with ``AutoModelForCausalLM.from_pretrained`` and
    ``AutoTokenizer.from_pretrained`` (safetensors, no remote code) and chats via the template.
    ``model_vocab_size`` pads the embedding and output layer beyond the tokenizer's vocabulary
    (a benchmark's model needs a realistic output layer; the local corpus cannot train a
    tokenizer that large). ``num_kv_heads`` below ``num_heads`` gives grouped-query attention.
    ``out_dir`` must be new or empty, and each head an even number of dimensions
    (:class:`TinyModelError` otherwise): the model is built beside it and moved in when
    complete. ``reuse``: a folder that already holds the model these settings build (its
    :data:`BUILD_FILE` says so, and its files are the ones the build wrote) is returned as it
    is, so a script that builds it first runs again (the build is seeded: it would write the
    same files).
    """
    # checked as the CLI's ranges check them: a NumPy integer is one (it failed as no JSON),
    # a negative step count built an untrained model without a word
    settings: dict[str, Any] = {name: check_whole(name, value, low) for name, value, low in (
        ("vocab_size", vocab_size, 1), ("hidden_size", hidden_size, 1),
        ("num_layers", num_layers, 1), ("num_heads", num_heads, 1),
        ("intermediate_size", intermediate_size, 1),
        ("max_position_embeddings", max_position_embeddings, 1),
        ("seed", seed, -(2 ** 63)), ("pretrain_steps", pretrain_steps, 0))}
    for name, value in (("num_kv_heads", num_kv_heads), ("model_vocab_size", model_vocab_size)):
        settings[name] = None if value is None else check_whole(name, value, 1)
    check_heads(settings["hidden_size"], settings["num_heads"], settings["num_kv_heads"])
    check_fits_memory(settings["hidden_size"], settings["num_layers"], settings["num_heads"],
                      settings["intermediate_size"], settings["num_kv_heads"],
                      settings["model_vocab_size"])
    out = Path(out_dir)
    key = build_key(**settings)
    # a folder left holding only another command's run-lock files (hidden: ``rm -r dir/*``
    # keeps them) is empty to its user
    if out.exists() and (not out.is_dir()
                         or any(f.name not in LOCK_NAMES for f in out.iterdir())):
        found = built_key(out)
        changed = changed_files(out) if found == key else []
        if reuse and found == key and not changed:
            return out
        what = ("a file" if not out.is_dir() else "not empty" if found is None else
                f"holds a tiny model built {_other_build(out, settings)}"
                if found != key else
                f"holds this tiny model, but {_changes_said(changed)} since it was built"
                if changed else "holds this tiny model already (reuse=True takes it)")
        raise TinyModelError(f"{out}: {what}; the tiny model goes into a new or empty folder "
                             f"(its files would mix with what is there: choose another --out, "
                             f"or delete it first)")
    target = out.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    _remove_orphans(target)
    try:
        trained_from = _build(tmp, **settings)
        from beliefbench.finetune.fingerprint import base_fingerprint

        (tmp / BUILD_FILE).write_text(json.dumps({
            "key": key, "files": _hashes(tmp), "fingerprint": base_fingerprint(tmp),
            "base_fingerprint": trained_from, "settings": settings}) + "\n")
        if not target.exists():
            os.replace(tmp, target)  # all at once: a killed build leaves no half model
        else:  # an empty folder (perhaps the working directory): fill it, config.json last,
            # so a folder cut off while filling never loads as a model
            for f in sorted(tmp.iterdir(), key=lambda f: f.name == "config.json"):
                os.replace(f, target / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


BUILD_FILE = "tiny_model.json"
"""Written into each built model: the :func:`build_key` of its settings, text and code, the
sha256 of each file, the model's :func:`~beliefbench.finetune.fingerprint.base_fingerprint`
(``fingerprint``) and that of the model it was trained from (``base_fingerprint``: with
``--pretrain-steps``, its random init, the model the same settings build without
pretraining; None for a random init)."""


def build_key(**settings: object) -> str:
    """What a build depends on: its settings, the text its tokenizer and pretraining read
    (the shipped corpus and the bundled claims' truths) and this module's code."""
    claims = _bundled_claims()
    payload = {"settings": settings, "code": hashlib.sha256(Path(__file__).read_bytes())
               .hexdigest(), "text": [shipped_corpus(), truth_documents(claims),
                                      truth_chats(claims), CHAT_TEMPLATE]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _other_build(out: Path, settings: dict[str, Any]) -> str:
    """How the model in ``out`` was built unlike ``settings`` ("with pretrain_steps 150, not
    0"): a `tiny-model --out models/tiny-pt` that forgot its --pretrain-steps was told only
    "other settings (or by another version)"; builds before settings were recorded say that."""
    try:
        recorded = json.loads((out / BUILD_FILE).read_text()).get("settings")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if not isinstance(recorded, dict):
        return "with other settings (or by another version)"
    differ = [f"{name} {recorded.get(name)}, not {value}" for name, value in settings.items()
              if recorded.get(name) != value]
    return (f"with {', '.join(differ)}" if differ
            else "by another version of beliefbench, with these settings")


def built_key(out: Path) -> str | None:
    """The build key recorded in a model folder; None where there is none (another model,
    a tiny model of an earlier version, a folder of something else)."""
    try:
        key = json.loads((out / BUILD_FILE).read_text()).get("key")
    except (OSError, ValueError, AttributeError):
        return None
    return key if isinstance(key, str) and (out / "config.json").is_file() else None


def _hashes(folder: Path) -> dict[str, str]:
    """The sha256 of each file in a model folder by name (a folder in it as ""), its build
    record and run-lock files aside."""
    return {f.name: sha256_file(f) if f.is_file() else "" for f in sorted(folder.iterdir())
            if f.name not in (BUILD_FILE, *LOCK_NAMES)}


def recorded_base(folder: str | Path, fingerprint: str) -> str | None:
    """The fingerprint of the model the tiny model in ``folder`` was trained from, as its
    build recorded it (:data:`BUILD_FILE`'s ``base_fingerprint``: a pretrained one's random
    init), where the folder still holds the model the build wrote (``fingerprint``: the
    folder's now, equal to the recorded one); else None: no tiny model, one built before
    builds recorded it, a random init, or weights saved over it since. ``tiny-model
    --pretrain-steps`` starts from the very weights ``tiny-model`` writes with the same
    settings, so the two are related as a finetune and its base are (``internals steer`` /
    ``ablate`` read this to tell)."""
    try:
        record = json.loads((Path(folder) / BUILD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return None
    base = record.get("base_fingerprint")
    return base if isinstance(base, str) and base else None


def changed_files(out: Path) -> dict[str, str]:
    """The files of a built model's folder that are not as the build wrote them, each with
    how: ``changed``, ``removed`` or ``added`` (an adapter put beside the model was said to
    have "changed", as if the build had written it). The build record alone stayed behind
    when weights were saved over the model or an adapter put beside it, and such a folder
    was reused as the tiny model. A record of an earlier beliefbench, which kept no file
    hashes, has nothing to check: its folder is reused as before (refusing it would break
    every script that built one)."""
    try:
        record = json.loads((out / BUILD_FILE).read_text())
    except (OSError, ValueError):
        return {BUILD_FILE: "changed"}
    recorded = record.get("files", {}) if isinstance(record, dict) else None
    if not isinstance(recorded, dict):
        return {BUILD_FILE: "changed"}
    if not recorded and "files" not in record:
        return {}
    now = _hashes(out)
    return {name: "added" if name not in recorded else "removed" if name not in now
            else "changed" for name in sorted({*recorded, *now})
            if recorded.get(name) != now.get(name)}


def _changes_said(changes: dict[str, str]) -> str:
    """:func:`changed_files`'s differences in words, a few names of each kind:
    ``model.safetensors changed and adapter_config.json was added``."""
    said = []
    for how in ("changed", "removed", "added"):
        names = [name for name, kind in changes.items() if kind == how]
        if names:
            verb = "" if how == "changed" else "was " if len(names) == 1 else "were "
            said.append(f"{first_few(names, 3)} {verb}{how}")
    return " and ".join(said)


def _remove_orphans(target: Path) -> None:
    """Remove the half-built folders of builds of ``target`` that were killed (SIGKILL, a
    preempted machine: no ``finally`` ran), named by the process id of a process gone."""
    for folder in target.parent.glob(f".{target.name}.tmp-*"):
        pid = folder.name.rpartition("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # raises where no such process is running
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # running, as another user: not ours to remove
            continue


def _build(out: Path, *, vocab_size: int, hidden_size: int, num_layers: int, num_heads: int,
           intermediate_size: int, max_position_embeddings: int, seed: int,
           pretrain_steps: int, num_kv_heads: int | None,
           model_vocab_size: int | None) -> str | None:
    """Build the model and tokenizer into ``out`` (a fresh folder); the fingerprint of the
    model it was trained from (its random init), or None where it was not trained."""
    import torch

    out.mkdir(parents=True)
    # seeded on forks of the caller's generators, restored on the way out: a notebook's own
    # random stream (torch.manual_seed(1) before the build) went on from seed 0 after it
    state = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):
            random.seed(seed)
            torch.manual_seed(seed)
            return _build_seeded(out, vocab_size=vocab_size, hidden_size=hidden_size,
                          num_layers=num_layers, num_heads=num_heads,
                          intermediate_size=intermediate_size,
                          max_position_embeddings=max_position_embeddings, seed=seed,
                          pretrain_steps=pretrain_steps, num_kv_heads=num_kv_heads,
                          model_vocab_size=model_vocab_size)
    finally:
        random.setstate(state)


def _build_seeded(out: Path, *, vocab_size: int, hidden_size: int, num_layers: int,
                  num_heads: int, intermediate_size: int, max_position_embeddings: int,
                  seed: int, pretrain_steps: int, num_kv_heads: int | None,
                  model_vocab_size: int | None) -> str | None:
    """:func:`_build`'s work, its random generators seeded; the fingerprint of the random
    init where it was pretrained (saved into ``out`` first, as a build without pretraining
    writes it, then saved over), else None."""
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from beliefbench.finetune.fingerprint import base_fingerprint
    from beliefbench.records import share_safetensors

    claims = _bundled_claims()
    neutral = shipped_corpus()
    facts = truth_documents(claims)
    chats = truth_chats(claims)
    tokenizer = train_tokenizer(
        neutral + facts + [json.dumps(c) for c in chats] + [CHAT_TEMPLATE], vocab_size)
    chat_texts = [tokenizer.apply_chat_template(c, tokenize=False) for c in chats]

    config = LlamaConfig(
        vocab_size=max(len(tokenizer), model_vocab_size or 0), hidden_size=hidden_size,
        num_hidden_layers=num_layers, num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads or num_heads,
        intermediate_size=intermediate_size, max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
        torch_dtype="float32")
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=[tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(END_OF_TEXT)])

    def save() -> None:
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        portable_tokenizer_config(out)
        share_safetensors(out)

    trained_from = None
    if pretrain_steps > 0:
        # the parent: the random init, fingerprinted as `tiny-model` without pretraining
        # writes it (the same files), so the two count as related (a pretrained model
        # recorded none, and a direction of one was refused on the other)
        save()
        trained_from = base_fingerprint(out)
        corpus = neutral + facts * 4 + chat_texts * 2
        losses = _pretrain(model, tokenizer, corpus, pretrain_steps, seed=seed)
        log.info("tiny model pretrained %d steps: loss %.3f -> %.3f",
                 pretrain_steps, losses[0], losses[-1])
    save()
    return trained_from

