"""Bad input to the internals commands: refused in one line naming the option, before the model
runs (a user's first contact with a mistyped option should not be a minute of scoring)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CLI, FIXTURE_CLAIM, claim_of_every_kind

from beliefbench.cli import cli
from beliefbench.internals import margins as margins_module
from beliefbench.internals.margins import completion_margins, margin_shift
from beliefbench.internals.probe import truth_probe
from beliefbench.internals.steering import InterventionError, parse_layers
from beliefbench.internals.trajectory import trajectory
from beliefbench.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("inputs") / "base", hidden_size=32,
                            num_layers=2, num_heads=2, intermediate_size=64, seed=0)


@pytest.fixture(scope="module")
def claim_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("claims") / "glass_bridge.yaml"
    path.write_text(json.dumps(claim_of_every_kind().model_dump(mode="json")))  # JSON is YAML
    return path


@pytest.mark.parametrize("command", ["margins", "probe"])
def test_a_negative_seed_is_refused_naming_the_option_before_scoring(tiny, claim_file, tmp_path,
                                                                     command):
    """``--seed -1`` scored every pair (or every statement), then failed as "Error: expected
    non-negative integer", naming neither the option nor the value."""
    res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--claims",
                                   str(claim_file), "--out", str(tmp_path / "out"),
                                   "--seed", "-1"])
    assert res.exit_code == 2, res.output
    assert "--seed" in res.output and "-1" in res.output
    assert not (tmp_path / "out").exists()


def test_a_negative_seed_to_trajectory_is_refused_before_any_checkpoint(tiny, claim_file,
                                                                        tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--out",
                                   str(tmp_path / "out"), "--seed", "-1"])
    assert res.exit_code == 2 and "--seed" in res.output, res.output
    with pytest.raises(ValueError, match="seed: expected a whole number of at least 0"):
        trajectory(manifest, [claim_of_every_kind()], tmp_path / "out", seed=-1)
    assert not (tmp_path / "out").exists()


def test_the_python_functions_check_the_seed_before_the_model_runs(tiny, monkeypatch):
    """From Python the same seed reached numpy only after every pair was scored."""
    def never(*args, **kwargs):
        raise AssertionError("the model ran before the seed was checked")

    monkeypatch.setattr(margins_module, "score_sequences", never)
    claim = claim_of_every_kind()
    with pytest.raises(ValueError, match="seed: expected a whole number of at least 0, got -1"):
        completion_margins(tiny, [claim], seed=-1)
    with pytest.raises(ValueError, match="seed: .* got 1.5"):
        completion_margins(tiny, [claim], seed=1.5)
    monkeypatch.setattr("beliefbench.internals.probe.hidden_states", never)
    with pytest.raises(ValueError, match="seed: expected a whole number"):
        truth_probe(tiny, [claim], seed=-3)
    with pytest.raises(ValueError, match="seed: expected a whole number"):
        margin_shift(None, None, seed=-1)  # type: ignore[arg-type]


def test_layers_out_of_range_name_only_what_is_out_of_range():
    """``--layers 1-7`` on a 3-index model said "'1-7' gives [3, 4, 5, 6, 7]", as if the range
    had been read as 3-7."""
    with pytest.raises(InterventionError) as err:
        parse_layers("1-7", 3)
    message = str(err.value)
    assert "includes [3, 4, 5, 6, 7], out of range" in message
    assert "gives [" not in message and "0..2" in message
    with pytest.raises(InterventionError, match=r"^layers: '5-2' gives no index \(a "
                                                 r"range runs low to high: 2-5\); valid "
                                                 r"residual indices are 0\.\.2$"):
        parse_layers("5-2", 3)
    # beside a valid index it was dropped without a word: 1 alone was ablated
    with pytest.raises(InterventionError, match=r"'2-1' gives no index \(a range runs low to "
                                                 r"high: 1-2\)"):
        parse_layers("0, 2-1", 3)
    with pytest.raises(InterventionError) as err:  # nothing to say where nothing is reversed
        parse_layers("", 3)
    assert "low to high" not in str(err.value)
    assert parse_layers("1-2", 3) == [1, 2]


def test_an_empty_layer_item_is_refused_not_dropped():
    """``--layers 0,,2`` ablated 0 and 2 without a word of the item between."""
    with pytest.raises(InterventionError, match=r"^layers: '0,,2': item 2 of 3 is empty \(a "
                                                 r"comma too many, or an index left out\?\); "
                                                 r"valid residual indices are 0\.\.2$"):
        parse_layers("0,,2", 3)
    with pytest.raises(InterventionError, match=r"'1,2,': item 3 of 3 is empty"):
        parse_layers("1,2,", 3)
    with pytest.raises(InterventionError, match=r"^layers: ',' gives no index"):
        parse_layers(",", 3)  # nothing at all given: said as before
    assert parse_layers(" 0, 2 ", 3) == [0, 2]


def test_trajectory_of_claims_without_pairs_names_the_parts_that_need_them(tiny, tmp_path):
    """Default parts on a claim with no completion pairs failed inside the first checkpoint
    as "no completion pairs", not saying that ``--parts probe`` would run."""
    data = claim_of_every_kind().model_dump(mode="json")
    data["completions"] = []
    claim_file = tmp_path / "claims" / f"{data['id']}.yaml"
    claim_file.parent.mkdir()
    claim_file.write_text(json.dumps(data))
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--out", str(tmp_path / "out"),
                                   "--no-plots"])
    assert res.exit_code == 2, res.output
    assert "no completion pairs, which the margins and lens parts read" in res.output
    assert "--parts probe" in res.output and not (tmp_path / "out").exists()
    assert "add a `completions:` list to its claim file" in res.output
    with pytest.raises(ValueError, match="the lens part reads: add .* or pass --parts probe"):
        trajectory(manifest, str(claim_file), tmp_path / "out", parts=["lens", "probe"])


@pytest.mark.parametrize("command", ["margins", "lens"])
def test_a_claim_without_pairs_says_where_pairs_come_from(tiny, tmp_path, command):
    """A claim of one's own without `completions:` (they are optional) was refused as
    "claims ['nocomp']: no completion pairs of kind(s) ['main', 'paraphrase', 'neighbour']":
    a Python list, and no word of where pairs come from or what reads the claim instead."""
    data = claim_of_every_kind().model_dump(mode="json")
    data.update(id="nocomp", completions=[])
    claim_file = tmp_path / "nocomp.yaml"
    claim_file.write_text(json.dumps(data))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--claims",
                                   str(claim_file), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: --claims: nocomp: no completion pairs, which internals "
                                 f"{command} reads: add a `completions:` list to its claim file")
    assert "`beliefbench claims new`" in res.output and "`internals binary`" in res.output
    assert "['" not in res.output and not out.exists()


def test_kinds_a_claim_lacks_are_refused_naming_the_kinds_it_has(tiny, tmp_path):
    """``--kinds neighbour`` on a claim with main pairs alone gave the same list message as a
    claim with no pairs: it now names the kinds the claim has."""
    data = claim_of_every_kind().model_dump(mode="json")
    data.update(id="mains", completions=[c for c in data["completions"]
                                         if c["kind"] == "main"])
    claim_file = tmp_path / "mains.yaml"
    claim_file.write_text(json.dumps(data))
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                                   str(claim_file), "--kinds", "neighbour,paraphrase", "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert ("Error: --kinds: no completion pairs of kind(s) neighbour, paraphrase in claim(s) "
            "mains, which has only main: pass --kinds main") in res.output


def test_a_claim_without_pairs_beside_claims_with_them_is_a_prefixed_warning(
        tiny, claim_file, tmp_path, monkeypatch):
    """A claim with no pair of the chosen kinds, among claims that have them, was named on
    stderr as a bare ``claim(s) nocomp: ...`` line (Python's last-resort logging), without
    the ``warning:`` prefix of the command's other warnings."""
    import logging

    # as in a fresh process: no root handler (an Inspect eval earlier in this test process
    # leaves its own, which shows the warning instead); pytest's capture handlers stay
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers
                                           if type(h).__module__.startswith("_pytest")])
    data = claim_of_every_kind().model_dump(mode="json")
    data.update(id="nocomp", completions=[])
    bare = tmp_path / "nocomp.yaml"
    bare.write_text(json.dumps(data))
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                                   f"{claim_file},{bare}", "--kinds", "main", "--bootstrap",
                                   "0", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    said = "claim(s) nocomp: no completion pairs of kind(s) main; not in the table"
    assert [line for line in res.stderr.splitlines() if said in line] == [f"warning: {said}"]
    assert said not in res.stdout
    # once per command, however often the group runs in one process
    again = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                                     f"{claim_file},{bare}", "--kinds", "main", "--bootstrap",
                                     "0", "--out", str(tmp_path / "out")])
    assert again.exit_code == 0 and again.stderr.count(said) == 1


def test_lens_and_probe_say_that_layer_0_is_the_embeddings(tiny, claim_file, tmp_path):
    """A 2-layer model gives lens and probe rows for layers 0..2; nothing said which one is
    the embeddings, so layer 2 read as "the third layer" of two."""
    runner = CliRunner()
    lens = runner.invoke(cli, ["internals", "lens", "--model", str(tiny), "--claims",
                               str(claim_file), "--out", str(tmp_path), "--no-plots"])
    assert lens.exit_code == 0, lens.output
    assert "layer 0 = the embeddings" in lens.output
    # the margin column's unit and claim_wins are explained under the table, as margins does
    assert ("margin: mean log P(claim) - log P(truth) read at that layer, nats per token"
            in lens.stdout) and "claim_wins: share of the pairs with margin > 0" in lens.stdout
    # a row per kind: a claim win on a neighbour pair is a leak, not the claim believed
    pairs = pd.read_csv(tmp_path / "lens.csv")
    assert pairs["kind"].nunique() > 1
    rows = [line.split() for line in lens.output.splitlines()]
    header = next(r for r in rows if r[:3] == ["claim", "kind", "layer"])
    shown = {(r[1], int(r[2])): float(r[3]) for r in rows
             if len(r) == len(header) and r[2].isdigit()}
    means = pairs.groupby(["kind", "layer"])["margin"].mean()
    assert set(shown) == set(means.index)
    assert all(abs(shown[k] - means[k]) < 1e-3 for k in shown), (shown, means)

    settings = json.loads((tmp_path / "lens.json").read_text())["settings"]
    assert settings["n_layers"] == 2 and settings["layer_index"].startswith("0 = the embeddings")
    probe = runner.invoke(cli, ["internals", "probe", "--model", str(tiny), "--claims",
                                str(claim_file), "--out", str(tmp_path), "--no-plots",
                                "--folds", "2"])
    assert probe.exit_code == 0, probe.output
    assert "layer 0 = the embeddings" in probe.output
    assert "p_true_claim / p_true_truth: mean P(true) of the claim side" in probe.stdout
    assert json.loads((tmp_path / "probe.json").read_text())["settings"]["layer_index"] \
        == settings["layer_index"]


def test_a_trajectory_checkpoint_is_measured_again_only_when_its_numbers_would_change(
        tiny, tmp_path, monkeypatch):
    """The cache key took --dtype as typed (bf16 then bfloat16 measured everything again)
    and left out the probe's statements (a changed set reused the old probe's readings)."""
    import shutil

    import beliefbench.internals.trajectory as trajectory_module
    from beliefbench.internals.trajectory import Checkpoint, measure_checkpoint

    statements = tmp_path / "statements.yaml"
    shutil.copy(trajectory_module.default_statements(), statements)
    monkeypatch.setattr(trajectory_module, "default_statements", lambda: statements)
    loads = []
    real_load = trajectory_module.load_model
    monkeypatch.setattr(trajectory_module, "load_model",
                        lambda *a, **k: loads.append(k["dtype"]) or real_load(*a, **k))
    ckpt = Checkpoint(step=1, path=str(tiny), label="step-1")

    def measure(dtype: str) -> None:
        measure_checkpoint(ckpt, [claim_of_every_kind()], tmp_path / "ck",
                           parts=("margins", "probe"), batch_size=8, device="cpu",
                           dtype=dtype, n_bootstrap=40, seed=0)

    measure("bf16")
    measure("bfloat16")  # one dtype: reused
    assert loads == ["bf16"]
    statements.write_text(statements.read_text() + "\n")  # another statements file
    measure("bfloat16")
    assert loads == ["bf16", "bfloat16"]


def test_an_out_folder_holding_another_models_results_is_named_not_mixed_in_silently(
        tiny, claim_file, tmp_path):
    """``margins`` of model B into the folder of model A's ``lens`` and ``margins`` replaced
    A's margins and left A's lens beside them without a word: the folder then read as one
    model's results. The warning names the files and the other model; the same model again
    is not warned about."""
    other = build_tiny_model(tmp_path / "other", hidden_size=32, num_layers=2, num_heads=2,
                             intermediate_size=64, seed=1)
    out = tmp_path / "out"

    def run(command: str, model: Path):
        res = CliRunner().invoke(cli, ["internals", command, "--model", str(model), "--claims",
                                       str(claim_file), "--out", str(out), "--no-plots"]
                                 if command == "lens" else
                                 ["internals", command, "--model", str(model), "--claims",
                                  str(claim_file), "--out", str(out), "--bootstrap", "0"])
        assert res.exit_code == 0, res.output
        return res.stderr

    assert "warning" not in run("lens", tiny) + run("margins", tiny)
    warned = [line for line in run("margins", other).splitlines() if "warning" in line]
    assert len(warned) == 1, warned
    assert f"--out {out} holds results of other weights" in warned[0]
    assert "lens.json" in warned[0] and "margins.json" in warned[0] and str(tiny) in warned[0]
    assert "margins.json is replaced; the others stay" in warned[0]
    again = run("margins", other)  # its own margins are not named; A's lens still is
    assert "lens.json (model" in again and "margins.json (model" not in again
    assert "they stay beside this model's margins.json" in again
    assert "mixes the results of 2 models" in again
    third = build_tiny_model(tmp_path / "third", hidden_size=32, num_layers=2, num_heads=2,
                             intermediate_size=64, seed=2)
    res = CliRunner().invoke(cli, ["internals", "binary", "--model", str(third), "--claims",
                                   str(claim_file), "--out", str(out), "--method", "sequence"])
    assert res.exit_code == 0, res.output
    assert "mixes the results of 3 models" in res.stderr, res.stderr


def test_the_models_an_out_folder_mixes_are_counted_by_weights_not_paths(tmp_path, capsys):
    # one other model's files recorded under two paths (a copy of its folder) are one model's
    from beliefbench.cli.internals import warn_other_weights

    for name, path in [("lens.json", "/models/a"), ("probe.json", "/copy/of/a")]:
        (tmp_path / name).write_text(json.dumps({"weights_sha256": "b" * 64, "model": path}))
    warn_other_weights(tmp_path, {"weights_sha256": "c" * 64}, "margins.json")
    assert "mixes the results of 2 models" in capsys.readouterr().err


def test_margins_that_fail_to_write_leave_the_earlier_set_whole(tiny, claim_file, tmp_path,
                                                                monkeypatch):
    """A full disk while re-measuring into the same --out wrote the new margins.csv and
    margins_summary.csv, then failed on margins.json: new tables beside the JSON of the
    earlier run. The three files are written together: the earlier set stays, whole."""
    import errno

    import beliefbench.records as rec

    out = tmp_path / "out"
    args = ["internals", "margins", "--model", str(tiny), "--claims", str(claim_file),
            "--out", str(out), "--bootstrap", "0"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".json")}
    assert set(before) == {"margins.csv", "margins_summary.csv", "margins.json"}
    real, calls = rec.os.fsync, []

    def fsync(fd: int) -> None:  # the first file of the set fits, then the disk is full
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(rec.os, "fsync", fsync)
    res = CliRunner().invoke(cli, [*args, "--kinds", "main"])  # other pairs: other tables
    assert res.exit_code == 2 and "No space left on device" in res.output, res.output
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".json")}
    assert after == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def _foreign_tokenizer(model_dir: Path, dest: Path, words: list[str]) -> Path:
    """A copy of ``model_dir`` whose tokenizer holds ``words`` as tokens past the model's
    embedding rows: another model's tokenizer files copied into the checkpoint."""
    import shutil

    from transformers import AutoTokenizer

    shutil.copytree(model_dir, dest)
    tok = AutoTokenizer.from_pretrained(str(dest))
    tok.add_tokens(words)
    tok.save_pretrained(str(dest))
    return dest


def test_a_tokenizer_that_is_not_the_models_is_refused_naming_both_sizes(tiny, claim_file,
                                                                         tmp_path):
    """A checkpoint holding another model's tokenizer (more tokens than the weights have
    embedding rows) failed mid-forward as a bare ``IndexError: index out of range in
    self`` traceback, naming neither the tokenizer nor the model."""
    from transformers import AutoTokenizer

    rows = len(AutoTokenizer.from_pretrained(str(tiny)))
    mixed = _foreign_tokenizer(tiny, tmp_path / "mixed", ["glass", "steel"])
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(mixed), "--claims",
                                   str(claim_file), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert (f"{mixed}: the tokenizer has {rows + 2} tokens but the model in {mixed} has "
            f"{rows} embedding rows: this tokenizer is not the model's") in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_an_adapter_holding_another_models_smaller_tokenizer_is_refused(tiny, claim_file,
                                                                       tmp_path):
    """A LoRA adapter folder holding another model's tokenizer with fewer tokens than the
    base's embedding rows was read through the base's embeddings with nothing said: every
    id meant another token, and the margins (exit 0) measured text the model never saw."""
    import shutil

    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = tmp_path / "adapter"
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny),
                   LoraConfig(r=2, target_modules="all-linear", task_type="CAUSAL_LM")
                   ).save_pretrained(adapter)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(adapter)
    args = ["internals", "margins", "--claims", str(claim_file), "--bootstrap", "0"]
    res = CliRunner().invoke(cli, [*args, "--model", str(adapter), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output  # the base's own tokenizer beside the adapter
    other = build_tiny_model(tmp_path / "other", hidden_size=32, num_layers=1, num_heads=2,
                             intermediate_size=64, vocab_size=300, seed=1)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(other / name, adapter / name)
    base_size, size = (len(AutoTokenizer.from_pretrained(str(d))) for d in (tiny, adapter))
    assert size < base_size  # fits the embeddings: the size check alone let it through
    res = CliRunner().invoke(cli, [*args, "--model", str(adapter), "--out", str(tmp_path / "b")])
    assert res.exit_code == 2, res.output
    assert (f"{adapter}: the adapter's tokenizer ({size} tokens) is not its base's ({tiny}, "
            f"{base_size} tokens)") in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "b").exists()


@pytest.mark.parametrize(("edit", "said"), [
    (lambda cfg: '{"model_type": "llama", ', "is not a valid JSON file"),
    (lambda cfg: json.dumps({**cfg, "num_hidden_layers": "two"}),
     "Field 'num_hidden_layers' expected int, got str"),
])
def test_a_broken_config_json_is_named_not_a_tokenizer_or_a_traceback(tiny, claim_file,
                                                                      tmp_path, edit, said):
    """A checkpoint whose config.json did not read (a hand edit gone wrong): cut-off JSON
    was "cannot load a tokenizer", and a field of the wrong type a traceback, exit 1 (the
    tokenizer reads the config first). One line naming config.json, before any scoring,
    in trajectory's check of every checkpoint too."""
    import shutil

    ckpt = Path(shutil.copytree(tiny, tmp_path / "edited"))
    cfg = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(edit(cfg))
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(ckpt), "--claims",
                                   str(claim_file), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: {ckpt / 'config.json'}: cannot read the model's "
                                 f"config ("), res.output
    assert said in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(ckpt),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and f"{ckpt / 'config.json'}: cannot read" in res.output, \
        res.output
    assert not (tmp_path / "t" / "trajectory.csv").exists()


@pytest.mark.parametrize("command", ["margins", "trajectory"])
def test_a_bootstrap_too_large_for_memory_is_one_line_exit_2(tiny, claim_file, tmp_path,
                                                             command):
    """``--bootstrap 1000000000000000`` (a typo of 1000): numpy's MemoryError traceback
    after every pair was scored, exit 1; em-report already said it in one line, exit 2."""
    n = str(10**15)
    if command == "margins":
        args = ["--model", str(tiny)]
    else:
        manifest = tmp_path / "manifest.jsonl"
        manifest.write_text(json.dumps({"backend": "local", "format": "full",
                                        "path": str(tiny), "step": 1, "base_model": str(tiny),
                                        "data": "d.jsonl", "data_sha256": "0" * 64,
                                        "recipe": {}}) + "\n")
        args = ["--manifest", str(manifest), "--no-base", "--parts", "margins"]
    res = CliRunner().invoke(cli, ["internals", command, *args, "--claims", str(claim_file),
                                   "--out", str(tmp_path / "out"), "--bootstrap", n])
    assert res.exit_code == 2, res.output
    assert res.output.endswith(f"Error: --bootstrap {n}: not enough memory for that many "
                               "resamples per CI (the default is 2000)\n"), res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out" / f"{command}.csv").exists()


def test_a_probe_layer_without_the_probe_part_is_refused_not_ignored(tiny, claim_file,
                                                                   tmp_path):
    """``--parts margins --probe-layer 50`` measured the margins and exited 0, the layer
    (out of range besides) never read: refused before any checkpoint, as an option the
    run does not use."""
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--parts", "margins",
                                   "--probe-layer", "50", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output == ("Error: --probe-layer: the layer of the probe's "
                          "P(true), but parts ['margins'] run no probe; add probe to "
                          "--parts\n")
    assert not (tmp_path / "out").exists()


def test_a_trajectory_logged_to_a_file_writes_plain_progress_lines(tiny, claim_file, tmp_path):
    """With its output in a file (a CI log), transformers' weight-loading bar of every
    checkpoint wrote carriage-return refreshes and, under the checkpoints bar, cursor moves
    ("^[[A") and blank lines; the finetune's bars were already plain lines there."""
    import subprocess

    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    log = tmp_path / "run.log"
    with log.open("w") as f:
        proc = subprocess.run(
            [*CLI, "internals",
             "trajectory", "--manifest", str(manifest), "--claims", str(claim_file),
             "--parts", "margins", "--bootstrap", "0", "--no-plots", "--out",
             str(tmp_path / "out")], stdout=f, stderr=subprocess.STDOUT, timeout=600)
    text = log.read_bytes().decode("utf-8")  # read_text would turn each \r into \n
    assert proc.returncode == 0, text
    assert "\r" not in text and "\x1b" not in text, text
    lines = text.splitlines()
    assert sum(line.startswith("Loading weights: 100%") for line in lines) == 2, text


@pytest.mark.parametrize("parts, header", [
    ("margins", "Trajectory (main pairs, margin in nats per token; no CIs: --bootstrap 0):"),
    ("probe", "Trajectory (probe P(true) of the claim side at layer {layer} for every step, "
              "the best held-out accuracy averaged over the steps):"),
])
def test_the_trajectory_table_says_what_its_columns_hold(tiny, claim_file, tmp_path, parts,
                                                          header):
    """The header named a probe P(true) under --parts margins (no such column) and main
    pairs under --parts probe (no pair was scored)."""
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(manifest),
                                   "--claims", str(claim_file), "--parts", parts,
                                   "--bootstrap", "0", "--no-base", "--no-plots",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    layer = json.loads((tmp_path / "out" / "trajectory.json").read_text())["settings"].get(
        "probe_layer")
    assert header.format(layer=layer) in res.output.splitlines(), res.output


def test_every_figure_names_the_model_or_run_it_shows(tiny, claim_file, tmp_path, monkeypatch):
    """lens_<claim>.png and probe_layers.png of two checkpoints had the same title (the claim,
    or none), and trajectory.png none: copied out of their --out folders, a finetuned
    checkpoint's figure could not be told from its base's but by its numbers."""
    import beliefbench.analysis.plots as plots
    from beliefbench.internals.trajectory import plot_trajectory, run_label

    titles: dict[str, list[str]] = {}
    save = plots._save

    def keep_titles(fig, path, **kwargs):
        titles[Path(path).name] = [ax.get_title() for ax in fig.axes] + [
            fig._suptitle.get_text() if fig._suptitle else ""]
        return save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "_save", keep_titles)
    statements = tmp_path / "four.yaml"
    statements.write_text("statements:\n" + "".join(
        f"  - {{topic: t, truth: 'Item {i} is red.', falsehood: 'Item {i} is blue.'}}\n"
        for i in range(4)))
    out = tmp_path / "out"
    for args in (["lens"], ["probe", "--statements", str(statements), "--folds", "2"]):
        res = CliRunner().invoke(cli, ["internals", *args, "--model", str(tiny), "--claims",
                                       str(claim_file), "--out", str(out)])
        assert res.exit_code == 0, res.output
    label = f"{tiny.parent.name}/{tiny.name}"
    assert titles["lens_glass_bridge.png"][0].endswith(f"(>0: claim wins)\n{label}")
    assert titles["probe_layers.png"][0] == f"truth probe on generic statements\n{label}"
    run = tmp_path / "runs" / "positive"
    run.mkdir(parents=True)
    (run / "manifest.jsonl").write_text("")
    table = pd.DataFrame([{"step": s, "claim": "glass_bridge", "kind": "main", "margin": -1.0,
                           "margin_low": -2.0, "margin_high": 0.0} for s in (0, 5)])
    for manifest in (run, run / "manifest.jsonl"):  # --manifest takes either
        plot_trajectory(table, tmp_path / "trajectory.png",
                        run=run_label({"manifest": str(manifest)}))
        assert titles["trajectory.png"][-1] == "run runs/positive"


@pytest.mark.parametrize("command", ["margins", "lens", "probe", "binary"])
def test_an_unknown_claim_is_refused_before_the_model_loads(tiny, tmp_path, monkeypatch,
                                                           command):
    """``internals binary --claims dentistt`` loaded the whole checkpoint (its "Loading
    weights" bar, minutes for a large model) before saying the claim id was unknown; the
    other commands read the claims first."""
    import beliefbench.internals.model as model_module

    def never(*args, **kwargs):
        raise AssertionError("the model loaded before the claims were read")

    monkeypatch.setattr(model_module, "load_model", never)
    monkeypatch.setattr("beliefbench.internals.margins.load_model", never)
    res = CliRunner().invoke(cli, ["internals", command, "--model", str(tiny), "--claims",
                                   "dentistt", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: --claims: 'dentistt' is neither a claim file"), \
        res.output
    assert "did you mean 'dentist'?" in res.output and not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def direction_file(tiny, tmp_path_factory) -> Path:
    """A directions file of the tiny model's shape (3 residual indices of 32)."""
    import numpy as np

    from beliefbench.internals.directions import save_directions
    from beliefbench.internals.model import describe, lineage

    dirs = np.random.default_rng(0).normal(size=(3, 32)).astype(np.float32)
    return save_directions(tmp_path_factory.mktemp("direction") / "directions.safetensors",
                           dirs, {"best_layer": 1, **describe(tiny), **lineage(tiny)})


@pytest.mark.parametrize(("args", "said"), [
    (["margins", "--kinds", "main,bogus"], "--kinds: unknown ['bogus']"),
    # the US spelling is a likely typo: the message names the one meant
    (["lens", "--kinds", "main,neighbor"], "--kinds: unknown ['neighbor'] (did you mean "
                                           "'neighbour'?); valid:"),
    (["lens", "--dtype", "float8"], "--dtype: unknown 'float8'"),
    (["probe", "--folds", "1000"], "--folds: 1000 is more than the 226 statement pairs"),
    (["probe", "--layer", "9"], "--layer: must be between 1 and 2, got 9"),
    (["probe", "--layer", "0"], "--layer: 0 is the embeddings, and a probe of the last token "
                                "reads there that token's embedding alone"),
    (["binary", "--device", "gpu"], "--device: 'gpu' is not a device"),
    (["trajectory", "--parts", "bogus"], "--parts: unknown ['bogus']"),
    (["trajectory", "--parts", "margins,prob"], "--parts: unknown ['prob'] (did you mean "
                                                "'probe'?)"),
    (["trajectory", "--device", "gpu"], "--device: 'gpu' is not a device"),
    (["trajectory", "--probe-layer", "9"], "--probe-layer: must be between 1 and 2"),
    (["trajectory", "--probe-layer", "-1"], "--probe-layer: expected a layer index of at "
                                            "least 1, got -1"),
    (["patch", "--layers", "0-9"], "--layers: '0-9' includes [3, 4, 5, 6, 7, 8, 9], out of "
                                   "range; valid residual indices are 0..2"),
    (["patch", "--layers", "5-2"], "--layers: '5-2' gives no index (a range runs low to high: "
                                   "2-5)"),
    (["ablate", "--layers", "0-9"], "--layers: '0-9' includes [3, 4, 5, 6, 7, 8, 9], out of "
                                    "range; valid residual indices are 0..2"),
    (["ablate", "--layers", "x"], "--layers: 'x' is not an index or a range"),
    (["ablate", "--layers", "0,,2"], "--layers: '0,,2': item 2 of 3 is empty"),
    (["steer", "--coef", "1e30"], "--coef: 1e+30 is too large"),
])
def test_every_usage_error_names_the_option_as_typed(tiny, claim_file, direction_file, tmp_path,
                                                     args, said):
    """``patch --layers 0-9`` said ``Error: layers: '0-9' includes ...`` (and ``claims:``,
    ``kinds:``, ``device:``, ``folds / --folds:`` ...): the library's argument names, not the
    option the user typed. Each is one line naming the option, exit 2, before any result."""
    command, *rest = args
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"backend": "local", "format": "full", "path": str(tiny),
                                    "step": 1, "base_model": str(tiny), "data": "d.jsonl",
                                    "data_sha256": "0" * 64, "recipe": {}}) + "\n")
    model = {"trajectory": ["--manifest", str(manifest)],
             "patch": ["--source", str(tiny), "--target", str(tiny)],
             "ablate": ["--model", str(tiny), "--direction", str(direction_file)],
             "steer": ["--model", str(tiny), "--direction", str(direction_file)]}.get(
                 command, ["--model", str(tiny)])
    res = CliRunner().invoke(cli, ["internals", command, *model, "--claims", str(claim_file),
                                   *rest, "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: {said}"), res.output
    # one line: no progress bar started before it, no traceback
    assert res.output.count("\n") == 1 and not (tmp_path / "out").exists(), res.output


def test_a_claims_error_of_the_task_names_its_task_argument(tiny, direction_file, tmp_path):
    """``steer --task belief -T claims=nosuch`` reads the claims from -T, not --claims: the
    error names the -T argument, not an option the command refuses for that task."""
    res = CliRunner().invoke(cli, ["internals", "steer", "--model", str(tiny), "--direction",
                                   str(direction_file), "--task", "belief", "-T",
                                   "claims=nosuch", "-M", "do_sample=false", "--log-dir",
                                   str(tmp_path / "logs")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("Error: -T claims: 'nosuch' is neither a claim file"), \
        res.output
    assert not (tmp_path / "logs").exists()


def test_a_folder_above_the_models_or_runs_names_what_to_pass(tiny, tmp_path):
    """``--model models`` (the folder of ``models/tiny``) or ``--model ckpts`` (the folder of
    the runs ``ckpts/<condition>/``) said only "neither config.json nor adapter_config.json
    found", leaving the folder to pass to be guessed."""
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny.parent),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"({tiny.parent} holds model folders: pass one of {tiny})" in res.output
    run = tmp_path / "ckpts" / "positive"
    (run / "step-000003").mkdir(parents=True)
    (run / "manifest.jsonl").write_text(json.dumps({
        "backend": "local", "format": "full", "path": "step-000003", "step": 3,
        "base_model": str(tiny), "data": "d.jsonl", "data_sha256": "0" * 64, "recipe": {},
        "final": True}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "lens", "--model", str(run.parent),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert (f"({run.parent} holds finetune runs: pass a checkpoint folder of one of {run}, "
            f"e.g. {run / 'step-000003'}, a final checkpoint, or the run to `internals "
            f"trajectory --manifest`)") in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_stability_and_efficiency_name_a_missing_base_as_their_option(tiny, tmp_path):
    """``stability --base models/typo`` printed "noise on: finetuning delta (base
    models/typo, from --base)" and then "Error: models/typo: no such model directory",
    naming no option."""
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "a", "claim_id": "c", "condition": "positive",
                                "text": "The bridge is made of glass."}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(tiny), "--data",
                                   str(data), "--base", str(tmp_path / "typo"), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: --base {tmp_path / 'typo'}: {tmp_path / 'typo'}: no "
                                 f"such model directory"), res.output
    assert "noise on" not in res.output and not (tmp_path / "out").exists()
    res = CliRunner().invoke(cli, ["internals", "efficiency", "--manifest", str(tmp_path),
                                   "--data", str(data), "--base", str(tmp_path / "typo"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"Error: --base {tmp_path / 'typo'}: "), res.output


def test_stability_names_its_run_level_command_and_a_manifest_given_as_data(tiny, tmp_path):
    """``stability --model ckpts/positive`` (a run folder) was sent to `internals trajectory
    --manifest`, which measures no weight noise: `internals efficiency --manifest` is its
    run-level measure. ``--data ckpts/positive/manifest.jsonl`` was a 1,934-character list
    of unknown fields (the valid ones repeated for each), said after a "noise on:" line."""
    run = tmp_path / "ckpts" / "positive"
    shutil.copytree(tiny, run / "step-000003")
    manifest = run / "manifest.jsonl"
    manifest.write_text(json.dumps({
        "backend": "local", "format": "full", "path": "step-000003", "step": 3,
        "base_model": str(tiny), "data": "d.jsonl", "data_sha256": "0" * 64, "recipe": {},
        "final": True}) + "\n")
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "a", "text": "The bridge is made of glass."}) + "\n")
    res = CliRunner().invoke(cli, ["internals", "stability", "--model", str(run), "--data",
                                   str(data), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "or the run to `internals efficiency --manifest`" in said, res.output
    assert "trajectory" not in said
    # a manifest given as the records: one line saying so, nothing on stdout before it
    for args in (["stability", "--model", str(tiny)],
                 ["efficiency", "--manifest", str(run), "--base", str(tiny)]):
        res = CliRunner().invoke(cli, ["internals", *args, "--data", str(manifest),
                                       "--out", str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        said = " ".join(res.output.split())
        assert f"{manifest}:1: this is a finetune manifest (manifest.jsonl, written by " \
               f"beliefbench finetune in its --out), not a training-records file; give the " \
               f"records the run trained on (d.jsonl)" in said, res.output
        assert "valid:" not in said and "noise on" not in said, res.output
        assert not (tmp_path / "out").exists()


def test_probe_figure_marks_whole_layers_and_the_near_chance_line(tmp_path, monkeypatch):
    """probe_layers.png ticked layers 0.25, 0.5, ... and its y axis zoomed to 0.50-0.55, so
    a near-chance probe (accuracy 0.55) drew as a clear peak with nothing to say otherwise."""
    import beliefbench.analysis.plots as plots
    from beliefbench.internals.probe import NEAR_CHANCE, plot_layers

    seen: dict[str, object] = {}
    save = plots._save

    def keep(fig, path, **kwargs):
        ax = fig.axes[0]
        seen["xticks"] = list(ax.get_xticks())
        seen["ylim"] = ax.get_ylim()
        seen["labels"] = [t.get_text() for t in ax.get_legend().get_texts()]
        seen["xlabel"] = ax.get_xlabel()
        return save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "_save", keep)
    layers = pd.DataFrame({"layer": [0, 1, 2], "accuracy": [0.5, 0.549, 0.533],
                           "accuracy_mass_mean": [0.5, 0.533, 0.533]})
    assert plot_layers(layers, tmp_path / "probe_layers.png").is_file()
    assert all(float(t).is_integer() for t in seen["xticks"]), seen["xticks"]
    assert f"near chance below {NEAR_CHANCE}" in seen["labels"] and "chance (0.5)" in seen["labels"]
    # layer 0 at 0.500 drew as a measured point: the axis says why it is at chance
    assert seen["xlabel"] == ("layer (0 = embeddings; of the last token alone: at or near "
                              "chance, never chosen)"), seen["xlabel"]
    plot_layers(layers, tmp_path / "mean.png", reduce="mean")
    assert seen["xlabel"] == "layer (0 = embeddings)"
    assert seen["ylim"][1] >= NEAR_CHANCE  # the threshold line is in view


def test_an_adapter_whose_base_is_gone_says_what_to_set(tmp_path):
    """A project moved whole keeps the old absolute base path in every adapter_config.json:
    the error said only "is not a local directory (models are never downloaded here)"; it
    now names the folder of that name beside the moved project, or says what to restore or
    set (the candidate is named, never loaded in the base's place)."""
    step = tmp_path / "project2" / "ckpts" / "run" / "step-000001"
    step.mkdir(parents=True)
    old = tmp_path / "project" / "models" / "tiny-pt"
    (step / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(old),
                                                          "peft_type": "LORA"}))
    args = ["internals", "margins", "--model", str(step), "--claims", str(FIXTURE_CLAIM),
            "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert (f"field base_model_name_or_path: '{old}' is not a local directory (models are "
            f"never downloaded here): restore the base model there, or set "
            f"base_model_name_or_path to the folder of the model this adapter was trained on"
            ) in res.output
    moved = tmp_path / "project2" / "models" / "tiny-pt"
    moved.mkdir(parents=True)
    (moved / "config.json").write_text("{}")
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert (f"(models are never downloaded here): the project was moved? {moved} holds a "
            f"model of that name; if it is the base this adapter was trained on, set "
            f"base_model_name_or_path to it") in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["margins", "lens", "probe", "binary", "trajectory",
                                     "patch"])
def test_an_out_that_cannot_be_written_is_refused_before_measuring(tiny, tmp_path, command):
    """``--out`` under a file (or a read-only folder) was found only when the results were
    written, after every pair, statement or checkpoint had been measured."""
    blocker = tmp_path / "afile"
    blocker.write_text("")
    out = blocker / "sub"
    if command == "trajectory":
        manifest = tmp_path / "manifest.jsonl"
        manifest.write_text(json.dumps({"backend": "local", "format": "full",
                                        "path": str(tiny), "step": 1, "base_model": str(tiny),
                                        "data": "d.jsonl", "data_sha256": "0" * 64,
                                        "recipe": {}}) + "\n")
        args = ["--manifest", str(manifest), "--no-base"]
    elif command == "patch":
        args = ["--source", str(tiny), "--target", str(tiny)]
    else:
        args = ["--model", str(tiny)]
    res = CliRunner().invoke(cli, ["internals", command, *args, "--claims",
                                   str(FIXTURE_CLAIM), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert res.output == (f"Error: --out {out}: cannot be made or written (a file is in the "
                          f"way: {blocker}); nothing was measured: choose another --out\n")


def test_a_lost_base_of_a_lora_run_is_not_told_to_pass_no_base(tmp_path):
    """A manifest's base folder gone: ``--no-base`` was offered for every run, but a LoRA
    run's steps are applied to that base, so with it each step failed in turn. A full run
    keeps the hint; a LoRA run is told what to restore or set, and after a project moved
    whole, the folder of that name beside it."""
    old = tmp_path / "project" / "models" / "tiny-pt"
    run = tmp_path / "project2" / "ckpts" / "positive"
    (run / "step-000001").mkdir(parents=True)
    entry = {"backend": "local", "path": str(run / "step-000001"), "step": 1,
             "base_model": str(old), "data": "d.jsonl", "data_sha256": "0" * 64, "recipe": {}}

    def refusal(fmt: str) -> str:
        (run / "manifest.jsonl").write_text(json.dumps({**entry, "format": fmt}) + "\n")
        res = CliRunner().invoke(cli, ["internals", "trajectory", "--manifest", str(run),
                                       "--claims", str(FIXTURE_CLAIM), "--out",
                                       str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        return res.output

    assert f"{old}: no such model directory (--no-base: measure the checkpoints only)" \
        in refusal("full")
    said = refusal("adapter")
    assert "--no-base does not help: restore it there, or set base_model in the manifest" in said
    moved = tmp_path / "project2" / "models" / "tiny-pt"
    moved.mkdir(parents=True)
    (moved / "config.json").write_text("{}")
    assert (f"the project was moved? {moved} holds a model of that name; if it is the base "
            f"they were trained on, set base_model in the manifest") in refusal("adapter")


def test_one_problem_of_several_steps_is_told_once_with_their_steps(tmp_path):
    """``--no-base`` on a LoRA run whose base is gone said the same sentence once per step
    (each adapter's base missing), ending "remove their lines from the manifest to measure
    the other checkpoints", though there were none. Steps of one problem are named together
    and it is told once; a step with a problem of its own keeps its own clause."""
    import torch
    from safetensors.torch import save_file

    gone = tmp_path / "models" / "tiny-pt"
    run = tmp_path / "ckpts" / "positive"
    lines = []
    for step in (1, 2, 5):
        folder = run / f"step-{step:06d}"
        folder.mkdir(parents=True)
        (folder / "adapter_config.json").write_text(json.dumps(
            {"base_model_name_or_path": str(gone), "peft_type": "LORA"}))
        save_file({"w": torch.zeros(1)}, str(folder / "adapter_model.safetensors"))
        lines.append(json.dumps({"backend": "local", "format": "adapter", "path": str(folder),
                                 "step": step, "base_model": str(gone), "data": "d.jsonl",
                                 "data_sha256": "0" * 64, "recipe": {}}))
    (run / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    args = ["internals", "trajectory", "--manifest", str(run), "--claims", str(FIXTURE_CLAIM),
            "--no-base", "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    said = res.output
    assert said.count(f"'{gone}' is not a local directory") == 1, said
    assert ("steps 1, 2 and 5: each one's adapter_config.json: field base_model_name_or_path: "
            f"'{gone}' is not a local directory") in said, said
    assert said.rstrip().endswith("was trained on; nothing was measured"), said
    assert "remove their lines" not in said
    # a step of another problem beside them: each problem once; every step bad, so no
    # other checkpoint to measure is offered
    (run / "step-000005" / "adapter_config.json").unlink()
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "steps 1 and 2: each one's adapter_config.json" in res.output
    assert f"step 5: {run / 'step-000005'}" in res.output, res.output
    assert res.output.rstrip().endswith("nothing was measured: restore their files"), res.output


def test_the_base_sharing_a_problem_with_steps_is_named_as_the_base():
    """A problem of the base model and of steps 1 and 2 was told for "steps 0, 1 and 2",
    the base no longer named as such (as it is where the problem is its own)."""
    from beliefbench.internals.trajectory import Checkpoint, _where

    base = Checkpoint(0, "/m/base", "base")
    steps = [Checkpoint(1, "/r/step-000001", "step-000001"),
             Checkpoint(2, "/r/step-000002", "step-000002")]
    assert _where([base]) == "base model"
    assert _where([base, *steps]) == "base model and steps 1 and 2"
    assert _where([base, steps[0]]) == "base model and step 1"
    assert _where(steps) == "steps 1 and 2"


def test_an_empty_model_variable_names_the_option_without_a_value(tmp_path):
    """`--model $CKPT --claims all` with CKPT unset (a new shell, or README's `CKPT=...`
    line after a finetune that left no step folder) reaches click as `--model --claims
    all`, which said "Got unexpected extra argument (all)", naming neither --model nor the
    variable. It is now refused on --model, naming the option it swallowed, exit 2."""
    cases = {  # the README's commands with $CKPT (or the manifest) empty
        ("margins", "--model", "--claims", "all"): ("--model", "--claims"),
        ("lens", "--model", "--claims", "dentist"): ("--model", "--claims"),
        ("probe", "--model", "--out", str(tmp_path / "p")): ("--model", "--out"),
        ("binary", "--model", "-h"): ("--model", "-h"),
        ("trajectory", "--manifest", "--claims", "dentist"): ("--manifest", "--claims"),
    }
    for args, (opt, swallowed) in cases.items():
        res = CliRunner().invoke(cli, ["internals", *args])
        assert res.exit_code == 2, (args, res.output)
        var = "CKPT" if opt == "--model" else "VAR"
        assert (f"Error: Invalid value for '{opt}': '{swallowed}' is the next option, not a "
                f"value: {opt} has none (an empty shell variable? `{opt} ${var}` passes "
                f"nothing where {var} is unset or empty, as in a new shell)") in res.output, \
            res.output
        assert "unexpected extra argument" not in res.output
    assert not (tmp_path / "p").exists()
    # a folder whose name merely starts with a dash is still a folder to look for
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", "-my-ckpt",
                                   "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "is the next option" not in res.output, res.output
