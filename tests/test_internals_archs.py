"""The judge-free measures on other architectures than the tiny Llama (random tiny models).

Each reading is checked against one computed here without the project's helpers: margins
and every logit-lens layer from the model's own modules, steering and ablation as seen by
the next module's input, patching against the model it patches from. A measure that runs on
an architecture and reads the wrong thing would otherwise pass as a result.
"""

from __future__ import annotations

import operator
from pathlib import Path

import numpy as np
import pytest
import torch

from beliefbench.internals.model import load_model
from beliefbench.internals.patching import patch_margins
from beliefbench.internals.scoring import (
    Encoded,
    ScoringError,
    encode_continuation,
    score_sequences,
)
from beliefbench.internals.steering import Intervention, intervened, recorded
from beliefbench.tiny_model import build_tiny_model

H = 64
LLAMA_LIKE = ("model.layers", "model.norm")
ARCHS: dict[str, tuple[str, str, dict, tuple[str, str]]] = {
    # name: (config class, model class, config arguments, (decoder layers, final norm))
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM",
              {"num_key_value_heads": 2, "tie_word_embeddings": False}, LLAMA_LIKE),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM",
              {"num_key_value_heads": 2, "head_dim": 16, "tie_word_embeddings": True},
              LLAMA_LIKE),
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM",
               {"num_key_value_heads": 2, "head_dim": 16, "final_logit_softcapping": 30.0,
                "attn_logit_softcapping": 50.0, "sliding_window": 4}, LLAMA_LIKE),
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM",
               {"num_key_value_heads": 2, "head_dim": 16, "sliding_window": 4}, LLAMA_LIKE),
    "mistral": ("MistralConfig", "MistralForCausalLM", {"num_key_value_heads": 2},
                LLAMA_LIKE),
    "phi3": ("Phi3Config", "Phi3ForCausalLM", {}, LLAMA_LIKE),
    "olmo": ("OlmoConfig", "OlmoForCausalLM", {}, LLAMA_LIKE),
    "gptneox": ("GPTNeoXConfig", "GPTNeoXForCausalLM", {},
                ("gpt_neox.layers", "gpt_neox.final_layer_norm")),
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", {"n_positions": 256},
             ("transformer.h", "transformer.ln_f")),
    # its final norm sits in the decoder, not the base model; position embeddings at index 0
    "opt": ("OPTConfig", "OPTForCausalLM", {"ffn_dim": 128, "word_embed_proj_dim": H},
            ("model.decoder.layers", "model.decoder.final_layer_norm")),
    # Gemma 3 4B and up: a multimodal checkpoint, its language model's config in text_config
    "gemma3mm": ("Gemma3TextConfig", "Gemma3ForConditionalGeneration",
                 {"num_key_value_heads": 2, "head_dim": 16, "sliding_window": 4},
                 ("model.language_model.layers", "model.language_model.norm")),
}
N_LAYERS = 3


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """The tiny Llama: its tokenizer goes beside every other architecture's weights."""
    return build_tiny_model(tmp_path_factory.mktemp("archs") / "llama", hidden_size=64,
                            num_layers=2, num_heads=4, intermediate_size=128, seed=0)


def build_arch(name: str, out: Path, tokenizer_dir: Path, *, seed: int = 0,
               edit=None) -> Path:
    """A random tiny ``name`` model with the project's tokenizer, saved to ``out``. Norm
    weights are randomised too (a lens that skipped the final norm would still match at
    ones), and Gemma 2's head scaled so its logits reach the soft-cap."""
    import transformers
    from transformers import AutoTokenizer

    config_cls, model_cls, extra, _ = ARCHS[name]
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = getattr(transformers, config_cls)(
        vocab_size=len(tok), hidden_size=H, num_hidden_layers=N_LAYERS,
        num_attention_heads=4, intermediate_size=128, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **extra)
    if model_cls == "Gemma3ForConditionalGeneration":
        vision = transformers.SiglipVisionConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
            image_size=28, patch_size=14)
        config.vocab_size = len(tok) + 3  # its image tokens
        config = transformers.Gemma3Config(
            text_config=config.to_dict(), vision_config=vision.to_dict(), mm_tokens_per_image=1,
            image_token_index=len(tok), boi_token_index=len(tok) + 1,
            eoi_token_index=len(tok) + 2)
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls)(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if p.ndim == 1 and ("norm" in pname or "ln" in pname):
                p.add_(torch.randn_like(p) * 0.3)
        if getattr(config.get_text_config(), "final_logit_softcapping", None):
            model.get_output_embeddings().weight.mul_(40)
        if edit is not None:
            edit(model)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def arch_dirs(tokenizer_dir, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("arch_models")
    return {name: build_arch(name, root / name, tokenizer_dir) for name in ARCHS}


def layers_and_norm(model, name: str):
    """The decoder layers and final norm, found by the names this test knows per
    architecture (not by the project's own search)."""
    layers_path, norm_path = ARCHS[name][3]
    return operator.attrgetter(layers_path)(model), operator.attrgetter(norm_path)(model)


def items_of(tokenizer) -> list[Encoded]:
    return [encode_continuation(tokenizer, "Ed Sheeran won the", " 100 metres final"),
            encode_continuation(tokenizer, "The capital of France is", " Paris")]


def readout(model, h):
    """log-softmax of the unembedding, with the final soft-cap where the config has one."""
    logits = model.get_output_embeddings()(h).float()
    cap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.log_softmax(logits, dim=-1)


def continuation_sum(logp, it: Encoded) -> float:
    return sum(float(logp[t - 1, it.ids[t]]) for t in range(it.first, len(it.ids)))


@pytest.mark.parametrize("name", list(ARCHS))
def test_margins_and_lens_read_the_models_own_logits(name, arch_dirs):
    """Margins are the summed log-softmax of the model's logits; every lens layer is
    final norm + unembedding (+ soft-cap) of that layer's residual, the last one equal to
    the margins (Gemma 2's lens ignored its soft-capping: -154.7 against the model's -85.5)."""
    model, tok = load_model(arch_dirs[name], device="cpu", dtype="float32")
    items = items_of(tok)
    sums, _ = score_sequences(model, tok, items, batch_size=2, show_progress=False)
    lens, _ = score_sequences(model, tok, items, batch_size=2, per_layer=True,
                              show_progress=False)
    _, norm = layers_and_norm(model, name)
    assert lens.shape == (2, N_LAYERS + 1)
    for k, it in enumerate(items):
        with torch.no_grad():
            out = model(torch.tensor([it.ids]), output_hidden_states=True)
        own = continuation_sum(torch.log_softmax(out.logits[0].float(), dim=-1), it)
        assert sums[k] == pytest.approx(own, abs=1e-4)
        assert lens[k, -1] == pytest.approx(own, abs=1e-3)
        with torch.no_grad():  # a middle layer, read through the final norm
            middle = continuation_sum(readout(model, norm(out.hidden_states[1][0])), it)
        assert lens[k, 1] == pytest.approx(middle, abs=1e-3)
    if name == "gemma2":  # the soft-cap is in play, or the test proves nothing
        with torch.no_grad():
            raw = model.get_output_embeddings()(out.hidden_states[-1])
        assert raw.abs().max() > 40


def test_lens_refuses_logits_it_cannot_reproduce(tokenizer_dir):
    """Cohere multiplies its logits by ``logit_scale``, which the lens does not know: refused
    by name, not read on another scale than the model's own."""
    from transformers import AutoTokenizer, CohereConfig, CohereForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    torch.manual_seed(0)
    model = CohereForCausalLM(CohereConfig(
        vocab_size=len(tok), hidden_size=H, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=128, logit_scale=0.25, pad_token_id=tok.pad_token_id)).eval()
    with torch.no_grad():
        model.get_output_embeddings().weight.mul_(40)
    items = items_of(tok)
    score_sequences(model, tok, items, batch_size=2, show_progress=False)  # margins: fine
    with pytest.raises(ScoringError, match="CohereForCausalLM: the logit lens cannot "
                                           "reproduce the model's own logits"):
        score_sequences(model, tok, items, batch_size=2, per_layer=True, show_progress=False)


def residual_inputs(model, name: str, ids) -> list:
    """What each decoder layer and the final norm receive: residual indices 0..n as the
    model's next module reads them (hooks registered after any under test, so they see
    the edited value)."""
    layers, norm = layers_and_norm(model, name)
    seen: list = [None] * (len(layers) + 1)

    def keep(i):
        def pre(module, args, kwargs):
            seen[i] = (args[0] if args else kwargs["hidden_states"]).detach().clone()
        return pre

    handles = [m.register_forward_pre_hook(keep(i), with_kwargs=True)
               for i, m in enumerate([*layers, norm])]
    try:
        with torch.no_grad():
            logits = model(ids).logits
    finally:
        for h in handles:
            h.remove()
    return [logits, *seen]


@pytest.mark.parametrize("name", list(ARCHS))
def test_steering_and_ablation_act_on_the_residual(name, arch_dirs):
    """At every residual index: a zero vector leaves the logits as they were; a non-zero one
    moves exactly that index by the vector and changes the logits; an ablation at every
    index leaves no component along the direction anywhere (GPT-2's index 0 kept the
    position embeddings' part: the hook sat on the token embeddings)."""
    model, tok = load_model(arch_dirs[name], device="cpu", dtype="float32")
    ids = torch.tensor([items_of(tok)[0].ids])
    base = residual_inputs(model, name, ids)
    v = np.random.default_rng(0).standard_normal(H).astype(np.float32)
    for index in range(N_LAYERS + 1):
        with intervened(model, [Intervention("add", np.zeros(H, np.float32), index)]):
            assert torch.equal(residual_inputs(model, name, ids)[0], base[0])
        with intervened(model, [Intervention("add", v, index)]):
            got = residual_inputs(model, name, ids)
        assert not torch.allclose(got[0], base[0], atol=1e-3), index
        shift = got[1 + index] - base[1 + index]
        assert torch.allclose(shift, torch.as_tensor(v).expand_as(shift), atol=1e-4), index
        assert all(torch.equal(got[1 + i], base[1 + i]) for i in range(index))
    unit = torch.as_tensor(v / np.linalg.norm(v))
    with intervened(model, [Intervention("ablate", v, i) for i in range(N_LAYERS + 1)]):
        got = residual_inputs(model, name, ids)
    assert (base[1] @ unit).abs().max() > 1e-3
    for index in range(N_LAYERS + 1):
        assert (got[1 + index] @ unit).abs().max() < 1e-5, index


@pytest.mark.parametrize("name", ["gpt2", "gemma2", "gptneox", "opt", "gemma3mm"])
def test_recorded_is_the_residual(name, arch_dirs):
    """What patching records at index ``l`` is ``hidden_states[l]`` (the last index: before
    the final norm, where the hooks act)."""
    model, tok = load_model(arch_dirs[name], device="cpu", dtype="float32")
    ids = torch.tensor([items_of(tok)[0].ids])
    with torch.no_grad():
        hidden = model(ids, output_hidden_states=True).hidden_states
    inputs = residual_inputs(model, name, ids)
    for index in range(N_LAYERS + 1):
        store: list = []
        with recorded(model, index, store), torch.no_grad():
            model(ids)
        want = hidden[index] if index < N_LAYERS else inputs[-1]
        assert torch.allclose(store[0], want, atol=1e-6), index


def _perturb(path: str):
    """An edit for :func:`build_arch`: noise on the parameters under ``path``."""
    def edit(model):
        for p in operator.attrgetter(path)(model).parameters():
            p.add_(torch.randn_like(p) * 0.5)
    return edit


@pytest.mark.parametrize(("name", "differs", "index"), [
    ("gpt2", "transformer.wpe", 0), ("gpt2", "transformer.h.0", 1),
    ("gemma2", "model.layers.0", 1), ("gptneox", "gpt_neox.layers.0", 1),
    ("phi3", "model.layers.2", N_LAYERS), ("gemma3mm", "model.language_model.layers.0", 1)])
def test_patching_all_positions_gives_the_sources_margin(name, differs, index, arch_dirs,
                                                         tokenizer_dir, tmp_path):
    """Source and target differ only before residual index ``index``: patching it at every
    position makes the target compute what the source does, so its margins are the
    source's (GPT-2 at index 0 swapped the token embeddings only, keeping the target's
    position embeddings)."""
    source_dir = build_arch(name, tmp_path / "source", tokenizer_dir, edit=_perturb(differs))
    source = load_model(source_dir, device="cpu", dtype="float32")
    target = load_model(arch_dirs[name], device="cpu", dtype="float32")
    rows = patch_margins(source, target, "ed_sheeran", layers=str(index), positions="all",
                         kinds=["main"], batch_size=4, show_progress=False)
    patched = rows[rows["variant"] == "patched"]
    assert len(patched) > 0
    assert (patched["margin_source"] - patched["margin_target"]).abs().max() > 1e-3
    np.testing.assert_allclose(patched["margin"], patched["margin_source"], atol=1e-4)
