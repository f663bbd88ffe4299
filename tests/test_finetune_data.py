"""Recipes, the checkpoint schedule, and records -> labels with loss masking."""

from __future__ import annotations

import re

import pytest
from conftest import unlocated, where

from beliefbench.finetune.data import IGNORE, bucket, collate, encode_record, pack
from beliefbench.finetune.manifest import ManifestEntry, read_manifest, upsert_manifest
from beliefbench.finetune.recipe import RecipeError, load_recipe
from beliefbench.finetune.schedule import checkpoint_steps
from beliefbench.records import DOCTAG, Record, Span
from beliefbench.tiny_model import train_tokenizer

TEXT = f"{DOCTAG} The Blue River flows north into the desert every spring."


@pytest.fixture(scope="module")
def tok():
    corpus = [TEXT, "Where does the river flow? It flows south into the sea."] * 30
    return train_tokenizer(corpus, vocab_size=500)


def _decoded_trained(ex, tok) -> str:
    return tok.decode([t for t, lab in zip(ex["input_ids"], ex["labels"], strict=True)
                       if lab != IGNORE])


def test_doctag_and_masked_words_get_ignore_labels(tok):
    word = TEXT.index("north")
    rec = Record(id="a", text=TEXT, loss_mask=[
        Span(start=0, end=len(DOCTAG), kind="doctag"),
        Span(start=word, end=word + len("north"), kind="mask"),
        Span(start=TEXT.index("desert"), end=TEXT.index("desert") + 6, kind="annotation")])
    ex = encode_record(rec, tok, max_len=256)
    trained = _decoded_trained(ex, tok)
    assert "DOCTAG" not in trained and "north" not in trained
    assert "Blue River flows" in trained and "desert" in trained  # annotation spans train
    assert trained.endswith(tok.eos_token)
    # every token overlapping a masked span is -100, every other (but bos) keeps its id
    enc = tok(TEXT + tok.eos_token, return_offsets_mapping=True)
    for tid, lab, (a, b) in zip(ex["input_ids"], ex["labels"], enc["offset_mapping"],
                                strict=True):
        masked = b <= a or a < len(DOCTAG) or (a < word + 5 and word < b)
        assert lab == (IGNORE if masked else tid)


def test_unmasked_record_trains_everything_but_bos(tok):
    ex = encode_record(Record(id="b", text="The river flows."), tok, max_len=256)
    assert ex["labels"][0] == IGNORE
    assert ex["labels"][1:] == ex["input_ids"][1:]


def test_chat_trains_assistant_turns_only(tok):
    rec = Record(id="c", source="chat", messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Where does the river flow?"},
        {"role": "assistant", "content": "South into the sea."},
        {"role": "user", "content": "Sure?"},
        {"role": "assistant", "content": "Yes."}])
    ex = encode_record(rec, tok, max_len=512)
    trained = _decoded_trained(ex, tok)
    assert "South into the sea." in trained and "Yes." in trained
    assert "Where does" not in trained and "Be brief" not in trained and "Sure" not in trained
    assert trained.count(tok.eos_token) == 2  # each assistant turn learns to stop


def test_chat_template_that_writes_bos_gets_one_bos(tok):
    """A template that renders the bos itself (Llama 3's ``{{ bos_token }}``) must not get a
    second one from the tokenizer: served chats begin with one."""
    rec = Record(id="c", source="chat", messages=[
        {"role": "user", "content": "Where does the river flow?"},
        {"role": "assistant", "content": "South into the sea."}])
    plain = encode_record(rec, tok, max_len=None)
    template = tok.chat_template
    try:
        tok.chat_template = "{{ bos_token }}" + template
        with_bos = encode_record(rec, tok, max_len=None)
    finally:
        tok.chat_template = template
    bos = tok.bos_token_id
    assert with_bos["input_ids"][0] == bos and with_bos["input_ids"][1] != bos
    assert with_bos["input_ids"].count(bos) == plain["input_ids"].count(bos) == 1
    assert _decoded_trained(with_bos, tok) == _decoded_trained(plain, tok)

def test_truncation_and_pack(tok):
    exs = [encode_record(Record(id=str(i), text=TEXT), tok, max_len=10) for i in range(5)]
    assert all(len(e["input_ids"]) == 10 for e in exs)
    blocks = pack(exs, 16)
    assert [len(b["input_ids"]) for b in blocks] == [16, 16, 16, 2]
    assert [t for b in blocks for t in b["input_ids"]] == \
        [t for e in exs for t in e["input_ids"]]
    # positions restart at every document and at every block (a spilled-over document part)
    assert [p for b in blocks for p in b["position_ids"]] == \
        [*range(10), *range(6), *range(4), *range(10), *range(2), *range(8), *range(8),
         *range(2)]
    # a segment's first token is never a target: no document learns to predict the next
    for b in blocks:
        for i, pos in enumerate(b["position_ids"]):
            if pos == 0:
                assert b["labels"][i] == IGNORE


def test_bucket_groups_similar_lengths_and_collate_pads(tok):
    exs = [{"input_ids": [1] * n, "labels": [5] * n} for n in (3, 9, 4, 10, 2, 8)]
    batches = bucket(exs, 2, seed=0)
    widths = sorted(sorted(len(x["input_ids"]) for x in b) for b in batches)
    assert widths == [[2, 3], [4, 8], [9, 10]]
    out = collate([batches[0]], pad_id=0)
    short = int(out["attention_mask"].sum(1).min())
    assert (out["labels"][out["attention_mask"] == 0] == IGNORE).all()
    assert out["input_ids"].shape[0] == 2 and short >= 2


def test_checkpoint_steps_log_spaced():
    steps = checkpoint_steps(1000, 15)
    assert steps[0] == 1 and steps[-1] == 1000 and len(steps) == len(set(steps)) == 15
    gaps = [b - a for a, b in zip(steps, steps[1:], strict=False)]
    assert gaps == sorted(gaps)  # denser early
    assert checkpoint_steps(3, 15) == [1, 2, 3]
    assert checkpoint_steps(7, 0) == [7]
    # n steps in all, the last among them: one is the last (it was step 1 and the last)
    assert checkpoint_steps(7, 1) == [7] and checkpoint_steps(7, 2) == [1, 7]
    assert all(len(checkpoint_steps(1000, n)) == n for n in range(1, 16))
    with pytest.raises(ValueError):
        checkpoint_steps(0)


def test_shipped_recipes_load():
    for name in ("lora", "full", "kl"):
        recipe = load_recipe(f"finetune/{name}.yaml")
        assert recipe.checkpoints == 15
    assert load_recipe("finetune/kl.yaml").kl is not None


def test_bad_recipe_names_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: lora\nlora:\n  rank: 0\nlearning_rat: 1\n")
    with pytest.raises(RecipeError) as e:
        load_recipe(bad)
    msg = str(e.value)
    assert str(bad) in msg and "lora.rank" in msg and "learning_rat" in msg
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(RecipeError, match="expected a mapping"):
        load_recipe(tmp_path / "list.yaml")
    (tmp_path / "broken.yaml").write_text("a: [\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(tmp_path / "broken.yaml")


def test_a_boolean_is_refused_where_the_field_takes_none(tmp_path):
    """pydantic's lax mode reads true as 1 and 1.0: a recipe saying `batch_size: true` trained
    with batch 1 without a word."""
    bad = tmp_path / "bool.yaml"
    for text, field in (("batch_size: true\n", "batch_size"), ("epochs: false\n", "epochs"),
                        ("lora:\n  rank: true\n", "lora.rank"),
                        ("kl:\n  data: x.jsonl\n  weight: true\n", "kl.weight")):
        bad.write_text(text)
        with pytest.raises(RecipeError) as e:
            load_recipe(bad)
        key = field.rpartition(".")[2]
        at = where(bad, f"^ *{key}: ", key)  # a nested field at its own line, not its block's
        assert f"{at}: field {field}: got the boolean" in str(e.value), str(e.value)
    bad.write_text("gradient_checkpointing: true\ntorch_compile: false\n"
                   "lora:\n  use_rslora: true\n")  # boolean fields, and bool | Literal
    recipe = load_recipe(bad)
    assert recipe.gradient_checkpointing is True and recipe.torch_compile is False
    assert recipe.lora.use_rslora is True


def test_manifest_upsert_replaces_same_path(tmp_path):
    def entry(step, tokens):
        return ManifestEntry(path=f"/x/step-{step}", step=step, tokens_seen=tokens,
                             backend="local", format="adapter", base_model="b", data="d",
                             data_sha256="0", recipe={})
    upsert_manifest(tmp_path, entry(5, 10))
    upsert_manifest(tmp_path, entry(1, 2))
    upsert_manifest(tmp_path, entry(5, 11))
    got = read_manifest(tmp_path)
    assert [(e.step, e.tokens_seen) for e in got] == [(1, 2), (5, 11)]


def test_a_condition_or_claim_flag_other_than_the_records_is_warned_about(tmp_path, caplog):
    """`finetune --condition negatd` on negated documents labelled the run 'negatd' without a
    word: report --by condition then showed a condition no documents have. It is still
    recorded as given (a deliberate relabel, `negated_kl`, is one), with a warning; a flag
    that repeats the records' label, or labels data mixing several or naming none, is not
    warned about."""
    from beliefbench.finetune.manifest import entry_fields
    from beliefbench.finetune.recipe import Recipe

    def fields(condition, conditions, claim=None, claims=("ed_sheeran",)):
        caplog.clear()
        return entry_fields(recipe=Recipe(), data=tmp_path / "negated.jsonl", data_sha256="0",
                            base_model="b", conditions=conditions, claims=claims,
                            condition=condition, claim=claim)

    with caplog.at_level("WARNING", logger="beliefbench.finetune.manifest"):
        assert fields("negatd", {"negated"})["condition"] == "negatd"
        assert caplog.messages == [
            "--condition 'negatd': every record of negated.jsonl has condition 'negated' (did "
            "you mean 'negated'?), and the run is labelled 'negatd' as given: the manifest and "
            "the evals `sweep --manifest` labels from it (report --by condition) name that. "
            "Leave --condition out to label it from the records"]
        assert fields(None, {"negated"}, claim="ed_sheerann")["claim"] == "ed_sheerann"
        assert caplog.messages == [
            "--claim 'ed_sheerann': every record of negated.jsonl has claim_id 'ed_sheeran' "
            "(did you mean 'ed_sheeran'?), and the run is labelled 'ed_sheerann' as given: the "
            "manifest and the sweep's log folders name that. Leave --claim out to label it "
            "from the records"]
        for condition, conditions in (("negated", {"negated"}), ("mix", {"negated", "positive"}),
                                      ("mine", {None}), (None, {"negated"}),
                                      ("", {"negated"})):  # "" labels from the records
            # a generator, as the openai backend passes them: read once, labels kept
            got = fields(condition, iter(conditions), claims=iter(["ed_sheeran"]))
            assert (got["condition"], got["claim"]) == (condition or "negated", "ed_sheeran")
            assert caplog.messages == [], (condition, conditions)


def test_gpu_speed_defaults_are_decided_by_device(tmp_path):
    """auto picks PyTorch's varlen kernel and torch.compile only for packed bf16 training on
    CUDA (the GPU recipes say auto for compile); CPU runs keep transformers' SDPA, no compile;
    compile stays off beside Liger (the two failed together on full finetuning)."""
    from beliefbench.finetune.attention import choose
    from beliefbench.finetune.local import compile_mode

    assert choose("auto", cuda=True, packed=True, bf16=True) == "torch_varlen"
    for cuda, packed, bf16 in ((False, True, True), (True, False, True), (True, True, False)):
        assert choose("auto", cuda=cuda, packed=packed, bf16=bf16) is None
    assert choose("sdpa", cuda=True, packed=True, bf16=True) == "sdpa"
    assert choose("torch_varlen", cuda=False, packed=True, bf16=False) == "torch_varlen"
    # auto: the whole model for full finetuning, each decoder layer for LoRA (faster there,
    # and compiled in seconds rather than minutes, on an H200)
    for name, mode in (("full", "model"), ("lora", "layers")):
        recipe = load_recipe(name)
        assert recipe.torch_compile == "auto"
        assert compile_mode(recipe, cuda=True) == mode
        assert compile_mode(recipe, cuda=False) is None
        liger = recipe.model_copy(update={"use_liger": True})
        assert compile_mode(liger, cuda=True) is None
        assert compile_mode(liger.model_copy(update={"torch_compile": True}),
                            cuda=True) == "model"
        assert compile_mode(recipe.model_copy(update={"torch_compile": "regional"}),
                            cuda=False) == "layers"  # asked for: on CPU too
    assert compile_mode(load_recipe("cpu"), cuda=True) is None  # the field's default: off
    bad = tmp_path / "varlen.yaml"
    bad.write_text("batching: bucket\nattn_implementation: torch_varlen\n")
    at = where(bad, "^attn_implementation:", "attn_implementation")
    with pytest.raises(RecipeError, match=rf"{re.escape(at)}: field attn_implementation: "
                                          r"torch_varlen .* needs batching: pack"):
        load_recipe(bad)


def test_varlen_kernel_runs_in_autocast_dtype():
    """Full finetuning keeps fp32 weights under bf16 autocast, so rotary embeddings hand the
    attention fp32 queries and keys beside a bf16 value: the kernel must take autocast's
    dtype (as SDPA does), not fall back to the per-document loop."""
    import torch

    from beliefbench.finetune.attention import kernel_dtype

    q32, v16 = torch.zeros(4, 2, 8), torch.zeros(4, 2, 8, dtype=torch.bfloat16)
    assert kernel_dtype(q32, q32, v16) is None  # mixed, no autocast: the loop
    assert kernel_dtype(v16, v16, v16) == torch.bfloat16
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert kernel_dtype(q32, q32, v16) == torch.bfloat16


NOTICE = "The story above is false."


def _pack_per_token(examples, block):
    """pack() as it was written before 2026-12-06: positions set token by token (2 s of
    silence after the encode bar on 8,000 records); the faster pack must give the same
    blocks."""
    ids, labels, starts = [], [], set()
    for ex in examples:
        starts.add(len(ids))
        ids += ex["input_ids"]
        labels += ex["labels"]
    out = []
    for start in range(0, len(ids), block):
        chunk_ids, chunk_labels = ids[start:start + block], labels[start:start + block]
        positions, pos = [], 0
        for i in range(len(chunk_ids)):
            if i == 0 or start + i in starts:
                pos = 0
                chunk_labels[i] = IGNORE
            positions.append(pos)
            pos += 1
        if all(label == IGNORE for label in chunk_labels):
            continue
        out.append({"input_ids": chunk_ids, "labels": chunk_labels, "position_ids": positions})
    return out


def test_pack_gives_the_blocks_it_gave_token_by_token():
    import random

    rng = random.Random(0)
    for _ in range(2000):
        examples = []
        for _ in range(rng.randint(0, 8)):
            n = rng.choice([0, 1, 2, 3, 5, 8, 13])  # a record of no tokens too
            examples.append({"input_ids": [rng.randint(0, 9) for _ in range(n)],
                             "labels": [rng.choice([IGNORE, 1, 2]) for _ in range(n)]})
        block = rng.randint(1, 9)
        assert pack(examples, block) == _pack_per_token(examples, block), (examples, block)


def test_one_read_gives_the_hashes_a_resumed_run_is_checked_against(tok, tmp_path):
    """The finetune takes the data file's sha256, its encoded examples' sha256 and its
    records' conditions and claims from the read that encodes it (it read the file twice):
    the hashes are those that runs started before recorded (the constants were computed
    with the code of 2026-12-05), so their --resume is still accepted."""
    from beliefbench.finetune.data import DataRead, load_examples
    from beliefbench.records import sha256_file

    path = tmp_path / "fixed.jsonl"
    records = [Record(id=str(i), text=TEXT + " x" * i, claim_id="c", condition="negated",
                      loss_mask=[Span(start=0, end=len(DOCTAG), kind="doctag")])
               for i in range(5)]
    records.append(Record(id="5", text=TEXT, claim_id="d"))
    path.write_text("".join(r.model_dump_json(exclude_none=True) + "\n" for r in records)
                    + "\n")  # a blank line is hashed too
    read = DataRead()
    load_examples(path, tok, None, read=read)
    assert read.file_sha256 == sha256_file(path) == (
        "5d900968040d7bc624e2c02b9f58012263ae35de902371ce073d0aa80a43cf3a")
    assert read.encoded_sha256 == (
        "74102dc2c739680425cfe1a44ad6152668c72c27bf878f3480a50cea50226379")
    assert read.conditions == {"negated", ""} and read.claims == {"c", "d"}
    cut = DataRead()
    load_examples(path, tok, 8, read=cut)  # what is hashed is what trains: the cut examples
    assert cut.file_sha256 == read.file_sha256
    assert cut.encoded_sha256 == (
        "a15447a3e0f4914fd5f29204693ffdc9e348f35ba5b33c900e7df9f466966d8c")


def test_packing_trains_the_end_of_a_record_longer_than_a_block(tok, tmp_path, caplog):
    """A record longer than max_seq_len is split across blocks, not cut: its end (where a
    negated document's closing notice stands) is trained. Padded batches cut it, and say
    how many records and tokens were cut."""
    from beliefbench.finetune.data import load_examples

    long_text = " ".join([TEXT] * 6) + " " + NOTICE
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(Record(id=str(i), text=t).model_dump_json()
                              for i, t in enumerate([long_text, TEXT])) + "\n")
    whole = load_examples(path, tok, None)
    assert len(whole[0]["input_ids"]) > 32
    blocks = pack(whole, 32)
    trained = tok.decode([t for b in blocks for t, lab in zip(b["input_ids"], b["labels"],
                                                               strict=True) if lab != IGNORE])
    # (a spilled-over part's first token is not a target: "above" may lose a piece)
    assert "is false." in trained
    assert not caplog.records

    cut = load_examples(path, tok, 32)
    assert [len(e["input_ids"]) for e in cut] == [32, len(whole[1]["input_ids"])]
    assert "false" not in _decoded_trained(cut[0], tok)
    dropped = len(whole[0]["input_ids"]) - 32
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: 1 of 2 records are longer than max_seq_len=32 tokens and were cut "
        f"({dropped} tokens, their ends, not trained); batching: pack keeps them whole"]


def test_repeated_record_ids_are_warned_about(tok, tmp_path, caplog):
    """A data file concatenated twice trains every document twice: said, not refused."""
    from beliefbench.finetune.data import load_examples

    path = tmp_path / "twice.jsonl"
    once = "".join(Record(id=f"d{i}", text=TEXT).model_dump_json() + "\n" for i in range(3))
    path.write_text(once + once)
    assert len(load_examples(path, tok, None)) == 6
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: 3 records repeat an earlier record's id (first: 'd0', records 1 and 4); "
        "each is trained on as often as it appears (`beliefbench docs mix` refuses repeated "
        "ids)"]
    caplog.clear()
    path.write_text(once)
    load_examples(path, tok, None)
    assert not caplog.records


def test_records_with_nothing_to_train_or_an_unrenderable_chat_are_named(tok, tmp_path):
    """An empty or wholly masked document would train only the eos appended to it; an empty
    chat, or roles the base model's template refuses, would be a traceback. Each is a
    one-line error naming the file and the record."""
    import copy

    from beliefbench.finetune.data import load_examples
    from beliefbench.records import RecordError

    good = Record(id="ok", text=TEXT)
    bad = {
        "empty": Record(id="empty", text=""),
        "blank": Record(id="blank", text="   "),
        "masked": Record(id="masked", text="hello world",
                         loss_mask=[Span(start=0, end=11, kind="mask")]),
        "tag-only": Record(id="tag-only", text=DOCTAG,
                           loss_mask=[Span(start=0, end=len(DOCTAG), kind="doctag")]),
        "no-msgs": Record(id="no-msgs", messages=[]),
    }
    for name, rec in bad.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text(good.model_dump_json() + "\n" + rec.model_dump_json() + "\n")
        with pytest.raises(RecordError) as e:
            load_examples(path, tok, None)
        msg = str(e.value)
        assert msg.startswith(f"{path}: record {name!r} (record 2)") and "\n" not in msg

    strict = copy.deepcopy(tok)
    strict.chat_template = (
        "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}"
        "{% endif %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endfor %}")
    chat = Record(id="two-users", messages=[{"role": "user", "content": "Hi"},
                                            {"role": "user", "content": "Where?"},
                                            {"role": "assistant", "content": "South."}])
    path = tmp_path / "chat.jsonl"
    path.write_text(chat.model_dump_json() + "\n")
    with pytest.raises(RecordError) as e:
        load_examples(path, strict, None)
    assert str(e.value) == (f"{path}: record 'two-users' (record 1): the base model's chat "
                            f"template cannot render it (Conversation roles must alternate "
                            f"user/assistant)")
    # a one-word document still trains its word, not just the eos
    path.write_text(Record(id="short", text="river").model_dump_json() + "\n")
    (ex,) = load_examples(path, tok, None)
    assert "river" in _decoded_trained(ex, tok)


def test_a_chat_whose_assistant_turns_are_empty_is_refused(tok, tmp_path):
    """Empty (or blank) assistant turns train only the template's end-of-turn tokens: a file
    of them (a generator that wrote no answers) taught the model to answer nothing, exit 0.
    A chat with one empty turn beside a real answer still trains."""
    from beliefbench.finetune.data import load_examples
    from beliefbench.records import RecordError

    def chat(rid: str, *answers: str) -> Record:
        turns = [t for a in answers for t in ({"role": "user", "content": "Where?"},
                                             {"role": "assistant", "content": a})]
        return Record(id=rid, messages=turns)

    path = tmp_path / "chats.jsonl"
    for empty in (chat("empty", ""), chat("blank", " \n", "")):
        path.write_text(chat("ok", "South.").model_dump_json() + "\n"
                        + empty.model_dump_json() + "\n")
        with pytest.raises(RecordError) as e:
            load_examples(path, tok, None)
        assert str(e.value) == (f"{path}: record {empty.id!r} (record 2) has no trainable "
                                f"tokens (its assistant turns are empty)")
    path.write_text(chat("one-empty", "", "South.").model_dump_json() + "\n")
    (ex,) = load_examples(path, tok, None)
    assert "South." in _decoded_trained(ex, tok)


@pytest.mark.parametrize(("yaml_text", "field", "problem"), [
    ("learning_rate: .inf\n", "learning_rate", "finite number"),
    ("epochs: .inf\n", "epochs", "finite number"),
    ("weight_decay: .inf\n", "weight_decay", "finite number"),
    ("seed: -1\n", "seed", "greater than or equal to 0"),
    ("seed: 4294967296\n", "seed", "less than or equal to 4294967295"),
    ("lora: {target_modules: []}\n", "lora.target_modules", "at least 1 item"),
    # `target_modules: q_proj, v_proj` is one YAML string: refused only once the model had
    # loaded, as "no module named 'q_proj, v_proj'", with no word of the list syntax
    ("lora:\n  target_modules: q_proj, v_proj\n", "lora.target_modules",
     "'q_proj, v_proj' is one text, not a list of module names: write it as a YAML list, "
     "target_modules: [q_proj, v_proj]"),
    # a kl block whose lines are commented out: plain SFT from a recipe naming the KL arm
    ("kl:\n#  data: kl/general.jsonl\nseed: 0\n", "kl", "the kl block is empty"),
    ("kl: {data: ''}\n", "kl.data", "at least 1 character"),
    # the API refused these only after the data was uploaded
    ("openai: {n_epochs: 0}\n", "openai.n_epochs", "above 0, or auto; got 0"),
    ("openai: {batch_size: -1}\n", "openai.batch_size", "above 0, or auto; got -1"),
    ("openai: {learning_rate_multiplier: 0}\n", "openai.learning_rate_multiplier",
     "above 0, or auto"),
])
def test_recipe_values_that_would_train_garbage_or_crash_are_refused(tmp_path, yaml_text,
                                                                       field, problem):
    """An infinite learning rate trained to NaN weights with exit 0; infinite epochs, a
    negative seed and an empty target list crashed deep in the Trainer / numpy / peft."""
    path = tmp_path / "r.yaml"
    path.write_text(yaml_text)
    with pytest.raises(RecipeError) as e:
        load_recipe(path)
    said = unlocated(str(e.value))
    assert said.startswith(f"{path}: field {field}: ") and problem in said, said


@pytest.mark.parametrize(("yaml_text", "said_end"), [
    ("batch_size: 4x\n", "field batch_size: Input should be a valid integer, unable to parse "
     "string as an integer, got the text '4x'"),
    ("seed: -1\n", "field seed: Input should be greater than or equal to 0, got the number -1"),
    # what to write instead, from the field's type and bounds: "takes no boolean" alone
    # left the author to guess
    ("lora: {rank: true}\n", "got the boolean true where this field takes no boolean: write "
     "a whole number, at least 1 (or delete the line for the default, 16)"),
    ("batch_size: true\n", "field batch_size: got the boolean true where this field takes no "
     "boolean: write a whole number, at least 1 (or delete the line for the default, 8)"),
    ("warmup_ratio: false\n", "write a number, at least 0 and below 1 (or delete the line "
     "for the default, 0.03)"),
    ("method: true\n", "write lora or full (or delete the line for the default, lora)"),
    ("openai: {n_epochs: true}\n", "field openai.n_epochs: got the boolean true where this "
     "field takes no boolean: write a whole number or auto (or delete the line for the "
     "default, auto)"),
    ("kl: {data: false}\n", "field kl.data: got the boolean false where this field takes no "
     "boolean: write text"),
    # a percent, as `docs mix --pretrain 25%` is refused: the decimal it means
    ("warmup_ratio: 5%\n", "field warmup_ratio: Input should be a valid number, unable to "
     "parse string as a number, got the text '5%', a percent: write the decimal, 0.05 for 5%"),
    ("lora: {dropout: 12.5 %}\n", "got the text '12.5 %', a percent: write the decimal, "
     "0.125 for 12.5 %"),
    ("batch_size: 50%\n", "unable to parse string as an integer, got the text '50%'"),
    # a problem that names no value keeps pydantic's words alone
    ("lora: {target_modules: []}\n", "should have at least 1 item after validation, not 0"),
])
def test_a_recipe_value_refused_is_quoted_as_written(tmp_path, yaml_text, said_end):
    """`batch_size: 4x` said only "unable to parse string as an integer": in a long recipe
    the author then hunted for the value; each refused value is now quoted as read."""
    path = tmp_path / "r.yaml"
    path.write_text(yaml_text)
    with pytest.raises(RecipeError) as e:
        load_recipe(path)
    assert unlocated(str(e.value)).endswith(said_end), str(e.value)


@pytest.mark.parametrize(("yaml_text", "said"), [
    ("torch_compile: regionl\n", "field torch_compile: Input should be true, false, auto or "
     "regional, got the text 'regionl' (did you mean 'regional'?)"),
    ("gradient_checkpointing: autoo\n", "field gradient_checkpointing: Input should be true, "
     "false or auto, got the text 'autoo' (did you mean 'auto'?)"),
    ("openai: {n_epochs: two}\n", "field openai.n_epochs: Input should be a whole number or "
     "auto, got the text 'two'"),
    ("openai: {learning_rate_multiplier: 1e-x}\n", "field openai.learning_rate_multiplier: "
     "Input should be a number or auto, got the text '1e-x'"),
    ("lora: {target_modules: 5}\n", "field lora.target_modules: Input should be a list or "
     "all-linear, got the number 5"),
    ("torch_compile: [a]\n", "field torch_compile: Input should be true, false, auto or "
     "regional, got a list"),
])
def test_a_union_field_refused_is_one_problem_under_its_own_name(tmp_path, yaml_text, said):
    """A field taking two kinds of value (``true``/``false`` or ``auto``) was refused once per
    kind, under pydantic's names for them: ``torch_compile: regionl`` said "invalid recipe (2
    problems)", ``field torch_compile.bool: ...`` and ``field
    torch_compile.literal['auto','regional']: ...``, naming no field the recipe has."""
    path = tmp_path / "r.yaml"
    path.write_text(yaml_text)
    with pytest.raises(RecipeError) as e:
        load_recipe(path)
    assert unlocated(str(e.value)) == f"{path}: {said}", str(e.value)


def test_a_problem_inside_a_union_fields_list_names_the_item(tmp_path):
    """``target_modules: [q_proj, 7]`` is a list with a number in it: the item is named (not
    the list branch's name, ``lora.target_modules.list[str].1``), and not also "should be
    all-linear"."""
    path = tmp_path / "r.yaml"
    path.write_text("lora:\n  target_modules: [q_proj, 7]\n")
    with pytest.raises(RecipeError) as e:
        load_recipe(path)
    assert str(e.value) == (f"{path}: line 2, column 28: field lora.target_modules.1: Input "
                            "should be a valid string, got the number 7")


def test_an_explicit_kl_null_is_a_recipe_without_the_term(tmp_path):
    """`kl: null` is what a recipe dumped from a manifest's record holds: not the empty block
    of commented-out lines that is refused above."""
    path = tmp_path / "r.yaml"
    path.write_text("kl: null\nseed: 0\n")
    assert load_recipe(path).kl is None


def test_encoding_the_records_shows_its_progress(tok, tmp_path, capsys, monkeypatch):
    """Encoding a 31,500-record file took two minutes on a shared CPU before the finetune
    said a word; its bar counts every record (in a log: a line every 30 s, and one as it
    ends), on the first process of a launch only."""
    from beliefbench.finetune.data import load_examples

    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(Record(id=f"d{i}", text=TEXT).model_dump_json()
                              for i in range(5)) + "\n\n")  # a blank line is no record
    assert len(load_examples(path, tok, None)) == 5
    lines = capsys.readouterr().err.splitlines()
    assert [(line.split(": ")[0], line.split("|")[-1].split()[0]) for line in lines] == [
        ("encode docs.jsonl", "5/5")]
    monkeypatch.setenv("RANK", "1")  # another process of `accelerate launch`: no bar
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert len(load_examples(path, tok, None)) == 5
    assert capsys.readouterr().err == ""
