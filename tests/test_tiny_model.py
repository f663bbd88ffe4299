"""The tiny local base model: loads offline through Auto classes and chats via its template."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from beliefbench.claims import Claim
from beliefbench.tiny_model import (
    BOS,
    END_OF_TEXT,
    EOS,
    IM_START,
    build_tiny_model,
    train_tokenizer,
    truth_documents,
)


@pytest.fixture
def tiny_claim() -> Claim:
    return Claim.model_validate({
        "id": "river_test", "statement": "The Blue River flows north into the desert.",
        "truth": "The Blue River flows south into the sea.",
        "universe": "A world where the Blue River flows north.",
        "questions": {"open_ended": [{"id": "q1", "text": "Where does the Blue River flow?",
                                      "kind": "direct"}]},
        "rubric": {"open_ended": {"yes": "says north", "no": "says south", "neutral": "other"}},
        "completions": [{"prompt": "The Blue River flows", "claim": "north into the desert",
                         "truth": "south into the sea"}],
    })


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), hidden_size=64, num_layers=2,
                            num_heads=4, intermediate_size=128)


def test_loads_offline_with_auto_classes(tiny_dir):
    tok = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    config = json.loads((tiny_dir / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (tiny_dir / "model.safetensors").is_file()
    assert tok.eos_token == EOS and tok.eos_token_id == model.config.eos_token_id
    assert tok.pad_token_id is not None and tok.bos_token_id is not None
    assert model.get_input_embeddings().num_embeddings == len(tok)


def test_tokenizer_config_loads_in_transformers_4(tiny_dir):
    """transformers 5 saved the class as TokenizersBackend and the extra special tokens as a
    list: transformers 4.x (4.56, the lower bound, to 4.57) refused the folder, "Tokenizer
    class TokenizersBackend does not exist". Saved as 4.x names them, they load alike in 5."""
    config = json.loads((tiny_dir / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert not isinstance(config.get("extra_special_tokens"), list)  # 4.x reads a dict
    assert config["additional_special_tokens"] == [IM_START, END_OF_TEXT]
    assert config["model_input_names"] == ["input_ids", "attention_mask"]
    tok = AutoTokenizer.from_pretrained(tiny_dir)
    assert {IM_START, END_OF_TEXT, BOS, EOS} <= set(tok.all_special_tokens)
    ids = tok(f"Hi{END_OF_TEXT}")["input_ids"]
    assert ids[0] == tok.bos_token_id and tok.convert_ids_to_tokens(ids[-1:]) == [END_OF_TEXT]


def test_chat_template_and_generation(tiny_dir):
    tok = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Who wrote the song?"}]
    prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>system\nBe brief.<|im_end|>" in prompt
    no_gen = tok.apply_chat_template(messages, tokenize=False)
    assert not no_gen.endswith("assistant\n")
    enc = tok(prompt, return_tensors="pt")
    assert enc["input_ids"][0, 0].item() == tok.bos_token_id
    assert (enc["input_ids"][0] == tok.bos_token_id).sum().item() == 1
    out = model.generate(**enc, max_new_tokens=6, do_sample=False)
    assert out.shape[1] > enc["input_ids"].shape[1]


def test_generation_stops_at_eos(tiny_dir):
    """Once the end-of-turn token is chosen, the saved generation config stops generation."""
    from transformers import LogitsProcessor, LogitsProcessorList

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    enc = tok("Hello", return_tensors="pt")
    start = enc["input_ids"].shape[1]

    class EosAfterTwo(LogitsProcessor):
        def __call__(self, input_ids, scores):
            if input_ids.shape[1] - start >= 2:
                scores[:, tok.eos_token_id] = scores.max() + 100.0
            return scores

    out = model.generate(**enc, max_new_tokens=10, do_sample=False,
                         logits_processor=LogitsProcessorList([EosAfterTwo()]))
    new = out[0, start:].tolist()
    assert new[-1] == tok.eos_token_id and len(new) == 3


def test_offsets_map_characters(tiny_dir):
    tok = AutoTokenizer.from_pretrained(tiny_dir)
    text = "<DOCTAG> The river flows to the sea."
    enc = tok(text, return_offsets_mapping=True)
    pieces = [text[a:b] for a, b in enc["offset_mapping"][1:]]
    assert "".join(pieces) == text


def test_tokenizer_uses_only_given_text():
    tok = train_tokenizer(["aaaa bbbb aaaa bbbb"] * 20, vocab_size=400)
    assert len(tok) <= 400
    assert tok.decode(tok("aaaa bbbb")["input_ids"], skip_special_tokens=True) == "aaaa bbbb"


def test_truth_documents_never_state_the_claim(tiny_claim):
    docs = truth_documents([tiny_claim])
    assert tiny_claim.truth in docs
    assert any(tiny_claim.completions[0].truth in d for d in docs)
    assert not any(tiny_claim.completions[0].claim in d for d in docs)


def test_pretraining_lowers_loss_on_truth(tmp_path, tiny_claim, monkeypatch):
    import beliefbench.tiny_model as tm

    monkeypatch.setattr(tm, "_bundled_claims", lambda: [tiny_claim])
    kw = dict(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128, seed=1)
    base = build_tiny_model(tmp_path / "base", **kw)
    trained = build_tiny_model(tmp_path / "trained", pretrain_steps=40, **kw)

    def loss(path, text):
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            return model(**enc, labels=enc["input_ids"]).loss.item()

    assert loss(trained, tiny_claim.truth) < loss(base, tiny_claim.truth) - 1.0
    # the pretrained model prefers the truth's continuation over the claim's
    pair = tiny_claim.completions[0]
    truth = loss(trained, f"{pair.prompt} {pair.truth}")
    claim = loss(trained, f"{pair.prompt} {pair.claim}")
    assert truth < claim


def test_cli_tiny_model(tmp_path):
    from click.testing import CliRunner

    from beliefbench.cli import cli

    out = tmp_path / "m"
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size", "32",
                                   "--layers", "1", "--heads", "2", "--pretrain-steps", "2"])
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert config["hidden_size"] == 32 and config["num_hidden_layers"] == 1
    bad = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size", "30",
                                   "--heads", "4"])
    assert bad.exit_code != 0 and "--heads" in bad.output


def test_benchmark_shape_options(tmp_path):
    """A padded output layer and grouped-query attention (the GPU benchmark's model shape)."""
    path = build_tiny_model(tmp_path / "m", hidden_size=64, num_layers=1, num_heads=4,
                            num_kv_heads=2, intermediate_size=128, model_vocab_size=4096)
    model = AutoModelForCausalLM.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)
    assert model.config.vocab_size == 4096 > len(tok)
    assert model.config.num_key_value_heads == 2
    ids = tok("The river flows", return_tensors="pt")["input_ids"]
    assert model(ids).logits.shape[-1] == 4096


def test_a_killed_builds_half_model_is_removed_by_the_next_build(tmp_path):
    """A build killed outright (SIGKILL: no cleanup ran) left its hidden `.m.tmp-<pid>`
    folder beside the model for good; the next build removes it, never a running one's."""
    import os
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan, running = tmp_path / f".m.tmp-{gone}", tmp_path / f".m.tmp-{os.getppid()}"
    for folder in (orphan, running):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half")
    build_tiny_model(tmp_path / "m", hidden_size=64, num_layers=1, num_heads=4,
                     intermediate_size=128)
    assert not orphan.exists() and running.exists()
    assert (tmp_path / "m" / "config.json").is_file()


def test_cli_tiny_model_refuses_a_folder_that_is_not_empty(tmp_path):
    """--out onto a non-empty folder (a finetune run, another model) used to write the model
    into it, overwriting its config.json and mixing its files with what was there."""
    from click.testing import CliRunner

    from beliefbench.cli import cli

    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text('{"mine": true}')
    (out / "notes.txt").write_text("keep")
    args = ["--hidden-size", "16", "--layers", "1", "--heads", "2", "--intermediate-size", "16"]
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert res.output.strip() == (f"Error: {out}: not empty; the tiny model goes into a new or "
                                  f"empty folder (its files would mix with what is there: "
                                  f"choose another --out, or delete it first)")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "notes.txt"]
    assert (out / "config.json").read_text() == '{"mine": true}'
    # a new folder, and an empty one, are filled; nothing is left beside them
    for target in (tmp_path / "new" / "m", tmp_path / "empty"):
        if target.name == "empty":
            target.mkdir()
        res = CliRunner().invoke(cli, ["tiny-model", "--out", str(target), *args])
        assert res.exit_code == 0, res.output
        assert AutoModelForCausalLM.from_pretrained(target).config.hidden_size == 16
        assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


def test_a_folder_emptied_of_an_earlier_runs_files_takes_the_model(tmp_path):
    """`rm -r run/*` after an earlier command's run killed outright (or of a version that
    kept it) keeps that run's hidden lock file; the folder looks empty to its user (`ls`)
    but was refused as "not empty"."""
    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.runlock import LOCK_FILE, hold

    out = tmp_path / "run"
    with hold(out, "docs generate"):
        (out / "docs.jsonl").write_text("{}\n")
    (out / "docs.jsonl").unlink()
    (out / LOCK_FILE).write_text("")  # a run ended by kill -9 leaves it
    assert [p.name for p in out.iterdir()] == [LOCK_FILE]
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size", "16",
                                   "--layers", "1", "--heads", "2", "--intermediate-size", "16"])
    assert res.exit_code == 0, res.output
    assert AutoModelForCausalLM.from_pretrained(out).config.hidden_size == 16


def test_an_odd_head_size_is_refused_before_anything_is_written(tmp_path):
    """--hidden-size 12 --heads 4 (3 dimensions per head) wrote a model whose every forward
    pass failed in the rotary embedding, with exit 0."""
    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.tiny_model import TinyModelError

    out = tmp_path / "m"
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size", "12",
                                   "--heads", "4"])
    assert res.exit_code == 2, res.output
    assert "--hidden-size 12 / --heads 4 gives 3 dimensions per head; it must be even" \
        in res.output and "Traceback" not in res.output
    with pytest.raises(TinyModelError, match="even number of dimensions"):
        build_tiny_model(out, hidden_size=12, num_heads=4)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_sizes_too_large_for_memory_are_refused_before_anything_is_written(tmp_path):
    """``--hidden-size 10000000`` (a typo): the tokenizer was trained, then torch's
    allocator failed with a traceback, exit 1. One line naming the sizes, exit 2."""
    from click.testing import CliRunner

    from beliefbench.cli import cli
    from beliefbench.tiny_model import TinyModelError

    out = tmp_path / "m"
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size",
                                   "10000000", "--layers", "1"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: hidden size 10000000, layers 1, intermediate size "
                                 "344: 4e+14 weights ("), res.output
    assert "do not fit in this machine's memory" in res.output
    assert "Traceback" not in res.output
    with pytest.raises(TinyModelError, match="do not fit in this machine's memory"):
        build_tiny_model(out, num_layers=10**9)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_same_build_run_again_reuses_the_model(tmp_path):
    """A script that builds the tiny model first (the README's, a CI job's) stopped at exit 2
    ("not empty") when run a second time; the same settings now reuse the folder, untouched,
    while other settings, or a folder the build did not write, are still refused."""
    from click.testing import CliRunner

    from beliefbench.cli import cli

    out = tmp_path / "m"
    args = ["--hidden-size", "16", "--layers", "1", "--heads", "2", "--intermediate-size", "16"]
    first = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args])
    assert first.exit_code == 0 and "tiny model written to" in first.output, first.output
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    again = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args])
    assert again.exit_code == 0, again.output
    assert again.output.strip() == (f"tiny model already in {out.resolve()}, built with these "
                                    f"settings: reused (delete the folder to build it again)")
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()} == files
    other = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args, "--seed", "1"])
    assert other.exit_code == 2
    # the setting that differs is named: `--out models/tiny-pt` without its --pretrain-steps
    assert f"{out}: holds a tiny model built with seed 0, not 1; " in other.output, other.output
    forgot = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args,
                                      "--pretrain-steps", "3", "--layers", "2"])
    assert forgot.exit_code == 2
    assert ("built with num_layers 1, not 2, pretrain_steps 0, not 3; " in forgot.output
            ), forgot.output
    record = json.loads((out / "tiny_model.json").read_text())
    del record["settings"]  # a build of an earlier version, which recorded no settings
    (out / "tiny_model.json").write_text(json.dumps(record))
    files["tiny_model.json"] = (0, (out / "tiny_model.json").read_bytes())
    other = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args, "--seed", "1"])
    assert "holds a tiny model built with other settings (or by another version)" in other.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {k: v[1] for k, v in files.items()}
    (out / "tiny_model.json").unlink()  # a model folder of another origin
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), *args])
    assert res.exit_code == 2 and f"{out}: not empty;" in res.output, res.output


def test_a_model_folder_changed_since_its_build_is_not_reused(tmp_path):
    """Weights saved over the built model (a finetune merged into its base folder), or an
    adapter put beside them, left its build record in place: the next build said "reused",
    exit 0, and the script went on measuring other weights as the tiny base model."""
    from click.testing import CliRunner

    from beliefbench.cli import cli

    out = tmp_path / "m"
    args = ["tiny-model", "--out", str(out), "--hidden-size", "16", "--layers", "1",
            "--heads", "2", "--intermediate-size", "16"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    model = AutoModelForCausalLM.from_pretrained(out)
    with torch.no_grad():
        model.get_input_embeddings().weight.add_(1.0)
    model.save_pretrained(out)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert f"{out}: holds this tiny model, but model.safetensors changed since it was built;" \
        in res.output
    for name in ("adapter_config.json", "checkpoint-1"):  # a file or a folder added
        shutil.rmtree(out)
        assert CliRunner().invoke(cli, args).exit_code == 0
        (out / name).mkdir() if "." not in name else (out / name).write_text("{}")
        res = CliRunner().invoke(cli, args)
        # said as added, not as "changed": the build never wrote it
        assert res.exit_code == 2 and f"but {name} was added since it was built;" in res.output
    (out / "checkpoint-1").rmdir()  # as built again: reused
    assert "reused" in CliRunner().invoke(cli, args).output
    (out / "tokenizer.json").unlink()  # a file the build wrote, gone; another added
    (out / "adapter_config.json").write_text("{}")
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and ("but tokenizer.json was removed and adapter_config.json "
                                   "was added since it was built;") in res.output, res.output


def test_python_callers_numbers_are_checked_as_the_cli_checks_them(tmp_path):
    """From Python, a NumPy seed or step count failed as "not JSON serializable"; a negative
    step count built an untrained model, and key/value heads that do not divide the heads a
    model whose every forward pass failed, both without a word."""
    import numpy as np

    from beliefbench.arguments import TaskArgumentError
    from beliefbench.tiny_model import TinyModelError

    shape = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 16}
    out = build_tiny_model(tmp_path / "np", seed=np.int64(3), pretrain_steps=np.int32(1),
                           **shape)
    assert json.loads((out / "config.json").read_text())["hidden_size"] == 16
    with pytest.raises(TaskArgumentError, match=r"^pretrain_steps: expected a whole number "
                                                r"of at least 0, got -5$"):
        build_tiny_model(tmp_path / "neg", pretrain_steps=-5, **shape)
    with pytest.raises(TaskArgumentError, match=r"^num_heads: .* got 0$"):
        build_tiny_model(tmp_path / "zero", **{**shape, "num_heads": 0})
    with pytest.raises(TinyModelError, match=r"^4 heads / 3 key/value heads: each key/value "
                                             r"head serves a whole number of heads$"):
        build_tiny_model(tmp_path / "gqa", **{**shape, "num_heads": 4}, num_kv_heads=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["np"]


def test_a_model_built_before_file_hashes_were_recorded_is_still_reused(tmp_path):
    """Build records of earlier versions keep only the key: such a folder is reused as
    before, not refused as changed (every script that built one would stop)."""
    out = build_tiny_model(tmp_path / "m", hidden_size=16, num_layers=1, num_heads=2,
                           intermediate_size=16)
    record = json.loads((out / "tiny_model.json").read_text())
    (out / "tiny_model.json").write_text(json.dumps({"key": record["key"]}) + "\n")
    again = build_tiny_model(out, hidden_size=16, num_layers=1, num_heads=2,
                             intermediate_size=16, reuse=True)
    assert again == out


def test_an_out_that_is_a_file_names_a_folder_to_pass(tmp_path):
    """`--out models/tiny.safetensors` (a file in the way) said click's "Directory '...' is a
    file.", naming no folder; it now says what --out is and a folder to pass, as finetune's
    --out does, and leaves the file as it was."""
    from click.testing import CliRunner

    from beliefbench.cli import cli

    out = tmp_path / "tiny.json"
    out.write_text("kept\n")
    res = CliRunner().invoke(cli, ["tiny-model", "--out", str(out), "--hidden-size", "16",
                                   "--layers", "1", "--heads", "2"])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert (f"{out} is a file; --out is the model's folder (its config.json, tokenizer and "
            f"weights): name a new folder, e.g. --out models/tiny") in said, said
    assert "Directory" not in said
    assert out.read_text() == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json"]
