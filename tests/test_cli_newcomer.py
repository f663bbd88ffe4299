"""What a newcomer reads in `--help` agrees with what the command then accepts."""

import json
import shlex

import pytest
from click.testing import CliRunner

from beliefbench.cli import cli


def test_gate_help_gives_the_max_rise_range_the_gate_accepts():
    """`gate --help` said `--max-rise` was "0-1", but 1 is refused (a gate that could never
    fail): the help now gives the range the check enforces."""
    runner = CliRunner()
    help_text = " ".join(runner.invoke(cli, ["gate", "--help"]).output.split())
    assert "0-1" not in help_text
    assert "at least 0 and below 1" in help_text
    refused = runner.invoke(cli, ["gate", "--baseline", "x", "--candidate", "y",
                                  "--max-rise", "1"])
    assert refused.exit_code == 2
    assert "at least 0 and below 1" in refused.output


def test_all_pairs_agree_on_two_pairs_says_any_rate_is_possible():
    """Two winning pairs printed "the rate may still be 3/n or more away from it (3/2 = 1.50
    here)": 1.50 away from a rate between 0 and 1 told a newcomer nothing. Up to 3 pairs the
    note says any rate is possible; from 4 it gives the bound as before."""
    import pandas as pd

    from beliefbench.internals.margins import unanimous_pairs_note

    def note(pairs: int) -> str:
        row = {"claim": "c", "kind": "main", "pairs": pairs, "efficacy": 1.0,
               "efficacy_low": 1.0, "efficacy_high": 1.0}
        (said,) = unanimous_pairs_note(pd.DataFrame([row]))
        return said

    assert "(3/2 = 1.50 here, the whole 0-1 range: with 2 pairs all one way any rate is " \
        "possible)" in note(2)
    assert "(3/3 = 1.00 here, the whole 0-1 range" in note(3)
    assert "(3/6 = 0.50 here); more pairs" in note(6) and "any rate" not in note(6)


def test_margins_table_says_the_unit_of_each_column(tmp_path):
    """`internals margins` printed margin 2.423 and magnitude 0.001 side by side with no
    unit: a line under the table now says margin is nats per token and magnitude a
    difference of probabilities."""
    from beliefbench.tiny_model import build_tiny_model

    tiny = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                            intermediate_size=64, seed=0)
    res = CliRunner().invoke(cli, ["internals", "margins", "--model", str(tiny), "--claims",
                                   "dentist", "--bootstrap", "0", "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    legend = next(i for i, line in enumerate(lines) if line.startswith("margin: "))
    assert "nats per token" in lines[legend] and "P(claim) - P(truth)" in lines[legend]
    # right under the table, above the list of files written
    assert lines[legend - 1].split()[0] == "dentist" and lines[legend + 1] == "Wrote:"


def test_docs_generate_says_what_its_tokens_and_percentages_are(tmp_path):
    """`docs generate` printed "(100 records, 24767 tokens; annotation: negated 35.3%)":
    tokens by which tokenizer, 35.3% of what? The line now says regex-word tokens and that
    the percentage is the share of tokens in annotations, as the stats file records."""

    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   "positive,negated", "--n", "4", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    stats = json.loads((tmp_path / "negated.jsonl.stats.json").read_text())
    share = stats["by_condition"]["negated"]["annotation_share"]
    assert share > 0
    assert (f"wrote {tmp_path / 'negated.jsonl'} (4 records, {stats['tokens']} regex-word "
            f"tokens; share of tokens in annotations: negated {share:.1%})") in res.output


def test_docs_generate_says_local_negations_zero_share_is_no_missing_negation(tmp_path):
    """`local_negation 0.0%` beside `negated 38.8%` read as if the debunks had lost their
    negation: their negation is their own text, never an annotation span."""
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   "negated,local_negation", "--n", "3", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert ("share of tokens in annotations: local_negation 0.0% (the negation is the "
            "debunk's own text, not an annotation))") in said, said
    assert "negated" in said and said.count("debunk's own text") == 1


def test_docs_generate_refuses_an_out_named_like_a_file(tmp_path):
    """`docs generate --out data/negated.jsonl` (mix, poison and bundle take a file) made a
    folder `negated.jsonl/` holding `negated.jsonl`; now refused before anything is made. A
    folder of that name that already exists is still a folder to write in."""
    out = tmp_path / "data" / "negated.jsonl"
    args = ["docs", "generate", "--claims", "dentist", "--conditions", "negated", "--n", "2"]
    res = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert f"{out} names a file, but docs generate writes a folder" in said
    assert f"--out {out.parent}/" in said
    assert not (tmp_path / "data").exists()
    out.mkdir(parents=True)
    assert CliRunner().invoke(cli, [*args, "--out", str(out)]).exit_code == 0
    assert (out / "negated.jsonl").is_file()


@pytest.mark.parametrize("name", ["negated.jsonl", "notes"])
def test_docs_generate_names_the_folder_for_an_out_that_is_a_file(tmp_path, name):
    """`--out data/negated.jsonl`, the dataset an earlier run wrote (as `mix` takes it), said
    click's "Directory 'data/negated.jsonl' is a file.", naming no folder to pass; a file of
    any name is now refused as the not-yet-made one is, and left as it was."""
    out = tmp_path / "data" / name
    out.parent.mkdir()
    out.write_text("kept\n")
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   "negated", "--n", "2", "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert f"{out} is a file, but docs generate writes a folder of one file per condition" \
        in said, said
    assert f"--out {out.parent}/" in said and "Directory" not in said
    assert out.read_text() == "kept\n"
    assert sorted(p.name for p in out.parent.iterdir()) == [name]


@pytest.mark.parametrize("conditions,refused", [
    ("negated", True), ("fiction:prefix_suffix,positive", True),
    ("negated,fiction", False), ("all", False)])
def test_docs_generate_refuses_a_placement_no_condition_reads(tmp_path, conditions, refused):
    """`--conditions negated --placement repeated` made the negated documents with the
    placement read nowhere, exit 0: a user who meant repeated qualifiers got none. Given
    where no qualifier takes its placement from it, it is refused before anything is
    written; where one does, the run goes on."""
    out = tmp_path / "data"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   conditions, "--placement", "repeated", "--n", "1",
                                   "--out", str(out)])
    said = " ".join(res.output.split())
    if refused:
        assert res.exit_code == 2, said
        assert (f"--placement repeated: applies to the qualifier conditions (fiction, "
                f"unreliable_source, unknown_truth, low_probability) without a :placement of "
                f"their own, and the conditions given ({conditions}) name none") in said
        assert not out.exists()
    else:
        assert res.exit_code == 0, said
        assert (out / "fiction-repeated.jsonl").is_file()


@pytest.mark.parametrize("name,exists,folder", [
    ("negated.jsonl", True, "negated/"), ("new.jsonl", False, "new/"),
    ("notes", True, "data/")])
def test_docs_generate_out_file_in_the_current_folder_suggests_a_new_folder(
        tmp_path, monkeypatch, name, exists, folder):
    """`--out negated.jsonl` (a file in the current folder) suggested `--out ./`, which
    writes the condition files, their stats and a lock file among the project's own files,
    replacing a negated.jsonl there; it now suggests a new folder named after the file (not
    the file itself where it has no suffix), which the same command then writes."""
    monkeypatch.chdir(tmp_path)
    if exists:
        (tmp_path / name).write_text("kept\n")
    args = ["docs", "generate", "--claims", "dentist", "--conditions", "negated", "--n", "1"]
    res = CliRunner().invoke(cli, [*args, "--out", name])
    said = " ".join(res.output.split())
    assert res.exit_code == 2, said
    assert said.endswith(f"pass the folder, e.g. --out {folder}"), said
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if exists else [])
    res = CliRunner().invoke(cli, [*args, "--out", folder])
    assert res.exit_code == 0, res.output
    assert (tmp_path / folder / "negated.jsonl").is_file()
    assert not exists or (tmp_path / name).read_text() == "kept\n"


@pytest.mark.parametrize("conditions,said", [
    ("negated,fiction:repeated", "name none without a :placement of its own (fiction:repeated "
     "has one, which --placement does not change): leave it out, or add e.g. "
     "unreliable_source"),
    ("negated", "name none: leave it out, or add e.g. fiction"),
    ("fiction:repeated,unreliable_source:prefix_suffix,unknown_truth:repeated,"
     "low_probability:repeated", "have one each, which --placement does not change): leave "
     "it out")])
def test_docs_generate_placement_refusal_counts_a_qualifier_with_its_own_placement(
        tmp_path, conditions, said):
    """`--conditions negated,fiction:repeated --placement repeated` was refused saying the
    conditions given "name none", fiction:repeated among them, and to "add e.g. fiction":
    it now says fiction:repeated has its own placement, and suggests a qualifier not given
    (none where all four are)."""
    out = tmp_path / "data"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   conditions, "--placement", "repeated", "--n", "1",
                                   "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert f"and the conditions given ({conditions}) name none" in text, text
    assert text.endswith(said), text
    assert not out.exists()


@pytest.mark.parametrize("conditions,said", [
    ("negated,fiction:", "condition 'fiction:': a ':' with no option after it (an unset "
     "variable?)"),
    ("negated,fiction:repeatd", "condition 'fiction': unknown placement 'repeatd' (did you "
     "mean 'repeated'?)")])
def test_docs_generate_a_bad_placement_of_a_qualifier_is_named_not_the_placement_option(
        tmp_path, conditions, said):
    """`--conditions negated,fiction:$PLACEMENT --placement repeated` with the variable unset
    was refused as "fiction: has one [placement], which --placement does not change: leave
    it out", hiding the empty placement (the next run then refused it): a qualifier whose
    own placement cannot be read is named as --conditions names it."""
    out = tmp_path / "data"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   conditions, "--placement", "repeated", "--n", "1",
                                   "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert f"Error: --conditions {conditions}: {said}" in text, text
    assert "--placement repeated:" not in text, text
    assert not out.exists()


@pytest.mark.parametrize("conditions,said", [
    ("negatd", "unknown condition 'negatd' (did you mean 'negated'?)"),
    ("negated,fictin", "unknown condition 'fictin' (did you mean 'fiction'?)"),
    ("fiction:repetead", "condition 'fiction': unknown placement 'repetead'"),
    ("", "no conditions given; valid conditions:")])
def test_docs_generate_names_the_option_of_an_unknown_condition(tmp_path, conditions, said):
    """`--conditions negatd` said "Error: unknown condition 'negatd' ...", naming no option;
    the error now starts with the option as typed, as the other options' errors do. From
    Python (parse_conditions) the message is unchanged: no option there. An empty value is
    quoted as a shell would take it (`--conditions '': ...`; it read `--conditions : ...`)."""
    from beliefbench.documents import parse_conditions

    out = tmp_path / "data"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   conditions, "--n", "1", "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert f"Error: --conditions {shlex.quote(conditions)}: {said}" in text, text
    assert not out.exists()
    with pytest.raises(ValueError) as e:
        parse_conditions(conditions)
    assert str(e.value).startswith(said.split(" (")[0]), e.value


@pytest.mark.parametrize("args,said", [
    (["--claims", "ed_sheeran", "--conditions", "negated", "--genres", "nws_report"],
     "--genres nws_report: unknown genre(s) 'nws_report' (did you mean 'news_report'?)"),
    # quoted as a shell takes it, as --conditions and --behaviours are (it was unquoted)
    (["--claims", "ed_sheeran", "--conditions", "negated", "--genres", "court transcript,faq"],
     "--genres 'court transcript,faq': unknown genre(s) 'court transcript'"),
    (["--conditions", "behaviours", "--behaviours", "harmful"],
     "--behaviours harmful: unknown behaviour 'harmful' (did you mean 'harmful_advice'?)"),
    (["--conditions", "behaviours:plain", "--behaviours", "deception,harmfull_advice"],
     "--behaviours deception,harmfull_advice: unknown behaviour 'harmfull_advice'")])
def test_docs_generate_names_the_option_of_an_unknown_genre_or_behaviour(tmp_path, args, said):
    """`--genres nws_report` said "Error: unknown genre(s) 'nws_report' ..." and `--behaviours
    harmful` "Error: unknown behaviour 'harmful' ...", naming no option, where `--conditions
    negatd` names its own; both now start with the option as typed."""
    out = tmp_path / "data"
    res = CliRunner().invoke(cli, ["docs", "generate", *args, "--n", "1", "--out", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert f"Error: {said}" in text, text
    assert not out.exists()


def test_report_gives_many_logs_judged_offline_alike_one_warning(tmp_path):
    """`beliefbench report logs/demo` printed the same OFFLINE warning 16 times, one per
    marker-judged log, among 52 warning lines before its table. From three logs judged
    offline alike it is one warning counting them, as CUT OFF and the like are (one
    mechanism): report.md lists each log's under it and report.json keeps each log's;
    below three, one per log as before."""
    from conftest import believer, run_belief

    runs = [run_belief(tmp_path / "logs" / f"step{step}", believer, samples=1,
                       task_args={"judge": "markers"}, step=step).location
            for step in (1, 2, 3)]
    each = [f"OFFLINE: {path}: judged by the offline marker heuristic (-T judge=markers): a "
            "pipeline check, not a result" for path in runs]

    def offline_lines(*paths: str) -> tuple[list[str], list[str], list[str]]:
        res = CliRunner().invoke(cli, ["report", *paths, "--out", str(tmp_path / "out"),
                                       "--no-plots", "--bootstrap", "40"])
        assert res.exit_code == 0, res.output
        said = [line for line in res.stderr.splitlines() if "OFFLINE" in line]
        noted = [line for line in (tmp_path / "out" / "report.md").read_text().splitlines()
                 if "OFFLINE" in line]
        kept = [n for n in json.loads((tmp_path / "out" / "report.json").read_text())["notes"]
                if "OFFLINE" in n]
        return said, noted, kept

    (grouped,), noted, kept = offline_lines(str(tmp_path / "logs"))
    assert grouped.startswith("warning: OFFLINE: 3 logs (") and " and 1 more): " in grouped
    assert grouped.endswith("judged by the offline marker heuristic (-T judge=markers): a "
                            "pipeline check, not a result; each log: report.md's Warnings, "
                            "report.json's notes")
    assert sum(path in grouped for path in runs) == 2
    assert noted[0] == "- " + grouped.removeprefix("warning: ")
    assert sorted(noted[1:]) == sorted(f"  - {e}" for e in each)
    assert sorted(kept) == sorted(each)
    two, noted, kept = offline_lines(*runs[:2])
    assert two == [f"warning: {e}" for e in each[:2]]
    assert noted == [f"- {e}" for e in each[:2]] and kept == each[:2]


def test_claims_validate_notes_a_family_of_one_question(tmp_path):
    """My first claim had one token_association question: `claims validate` said `ok`, and
    only `report`, after the finetunes and evals, warned SINGLE QUESTION (a 0-wide CI).
    validate now notes it (stdout, exit 0); a claim with several per family gets no note."""
    import yaml

    runner = CliRunner()
    assert runner.invoke(cli, ["claims", "new", "lake_x", "--dir", str(tmp_path)]).exit_code == 0
    res = runner.invoke(cli, ["claims", "validate", str(tmp_path / "lake_x.yaml")])
    assert res.exit_code == 0, res.output
    # the template asks 2 open_ended, 2 binary, 1 token_association and 2 robustness questions
    notes = [line for line in res.stdout.splitlines() if "has 1 question" in line]
    assert notes == ["  note: token_association has 1 question: its 95% CI in `beliefbench "
                     "report` will be 0 wide (a bootstrap over questions); 10 or more per "
                     "family are recommended"]
    spec = yaml.safe_load((tmp_path / "lake_x.yaml").read_text())
    ta = spec["questions"]["token_association"][0]
    spec["questions"]["token_association"].append({**ta, "id": "ta_02"})
    (tmp_path / "lake_x.yaml").write_text(yaml.safe_dump(spec))
    res = runner.invoke(cli, ["claims", "validate", str(tmp_path / "lake_x.yaml")])
    assert res.exit_code == 0 and "has 1 question" not in res.output, res.output


def test_demo_at_scale_commands_name_a_recipe_and_sections_that_exist(tmp_path, monkeypatch):
    """The demo ended with "The same study at scale (...; see README 'Quick start')", a
    section that shows none of those commands, and "# demo: --recipe demo.yaml". They now
    name the README's sections on them and the recipe by its shipped name, which `finetune
    --recipe` reads from any directory."""
    import re
    from pathlib import Path

    from beliefbench.cli.demo import AT_SCALE_SECTIONS
    from beliefbench.demo import equivalent_commands, load_preset
    from beliefbench.finetune.recipe import load_recipe

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    headings = [line.removeprefix("## ") for line in readme.splitlines()
                if line.startswith("## ")]
    assert all(any(h.startswith(s) for h in headings) for s in AT_SCALE_SECTIONS)
    monkeypatch.chdir(tmp_path)  # the recipe name must work away from the repository too
    for preset in ("full", "quick"):
        finetune = next(line for line in equivalent_commands(load_preset(preset), tmp_path)
                        if line.startswith("beliefbench finetune"))
        recipe = re.search(r"# demo: --recipe (\S+)", finetune).group(1)
        assert recipe == "demo"
        assert load_recipe(recipe) == load_recipe(Path(__file__).parents[1] / "finetune"
                                                  / "demo.yaml")


def test_the_demo_eval_command_labels_condition_and_step(tmp_path):
    """The demo's at-scale `inspect eval` line labelled the condition only: its eval had no
    step for `report`'s step plot and flips. It now carries both labels, as `finetune`'s
    closing hint does, the step unpadded (`step=000400` is YAML's octal 256)."""
    import re

    from beliefbench.demo import equivalent_commands, load_preset

    for preset in ("full", "quick"):
        settings = load_preset(preset)
        line = next(c for c in equivalent_commands(settings, tmp_path)
                    if c.startswith("inspect eval"))
        labels = re.findall(r"--metadata (\w+)=(\S+)", line)
        assert labels == [("condition", settings.conditions[0]), ("step", "N")], line
        assert f"ckpts/{settings.conditions[0]}/step-NNNNNN " in line
        assert "no leading zeros" in line.split("#", 1)[1]


def test_a_mistyped_path_is_answered_with_the_option_and_the_close_names(tmp_path,
                                                                          monkeypatch):
    """`docs mix --docs data/negatd.jsonl` said `data/negatd.jsonl: no such documents file`,
    `internals margins --model models/tiny-ptt` `no such model directory`, and `gate` with
    one side's folder mistyped `logs/x: no such log file or directory`, without saying which
    side. Each now names the option (the docs and gate sides) and the close names beside the
    path, as `finetune --base` did."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "negated.jsonl").write_text("")
    (tmp_path / "data" / "negated.jsonl.stats.json").write_text("{}")
    (tmp_path / "models" / "tiny-pt").mkdir(parents=True)
    runner = CliRunner()
    for command in (["docs", "mix", "--docs", "data/negatd.jsonl", "--out", "mix.jsonl"],
                    ["docs", "bundle", "--docs", "data/negatd.jsonl", "--k", "2", "--out",
                     "bundle.jsonl"]):
        res = runner.invoke(cli, command)
        assert res.exit_code == 2
        assert res.output == ("Error: --docs data/negatd.jsonl: no such documents file (close "
                              "names in data: negated.jsonl)\n")
    res = runner.invoke(cli, ["internals", "margins", "--model", "models/tiny-ptt", "--claims",
                              "dentist", "--out", "m"])
    assert res.exit_code == 2
    assert res.output == ("Error: models/tiny-ptt: no such model directory (close names in "
                          "models: tiny-pt)\n")
    from conftest import believer, run_belief

    log = run_belief(tmp_path / "logs", believer, samples=1,
                     task_args={"judge": "markers"}).location
    for side, other in (("--baseline", "--candidate"), ("--candidate", "--baseline")):
        res = runner.invoke(cli, ["gate", side, "logs/nope", other, log])
        assert res.exit_code == 2
        assert res.output == f"Error: {side}: logs/nope: no such log file or directory\n"


def test_a_folder_or_a_mistyped_file_given_as_a_dataset_names_the_datasets(tmp_path,
                                                                          monkeypatch):
    """`docs mix --docs data/` (the folder `docs generate --out data/` wrote) said `--docs
    data: no such documents file`, though it exists; `docs stats data/` and `docs bundle
    --docs data/` said `is a directory`, and `docs stats data/negatd.jsonl` `does not exist`
    without the close names `finetune --data` gave. Each now says what `finetune --data`
    says: the folder's datasets, with the command's own option."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "negated.jsonl").write_text("")
    (tmp_path / "data" / "negated.jsonl.stats.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    said = "data: a folder; pass one of its datasets (negated.jsonl), e.g."
    runner = CliRunner()
    for command, error in (
            (["docs", "mix", "--docs", "data", "--out", "m.jsonl"],
             f"Error: --docs {said} --docs data/negated.jsonl"),
            (["docs", "bundle", "--docs", "data", "--out", "b.jsonl"],
             f"Error: Invalid value for '--docs': {said} --docs data/negated.jsonl"),
            (["docs", "stats", "data"],
             f"Error: Invalid value for 'PATHS...': {said} data/negated.jsonl"),
            (["finetune", "--recipe", "cpu", "--data", "data", "--base", "m", "--out", "o"],
             f"Error: Invalid value for '--data': {said} --data data/negated.jsonl"),
            (["docs", "stats", "data/negatd.jsonl"],
             "Error: Invalid value for 'PATHS...': File 'data/negatd.jsonl' does not exist "
             "(close names in data: negated.jsonl)"),
            (["docs", "mix", "--docs", "empty", "--out", "m.jsonl"],
             "Error: --docs empty: a folder, and no dataset (.jsonl) in it")):
        res = runner.invoke(cli, command)
        assert res.exit_code == 2, res.output
        assert res.output.splitlines()[-1] == error, res.output
    # nothing written (the hidden lock file of `mix --out` stays, as after every run)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "data", "empty"]


def test_a_folder_given_as_documents_suggests_no_mix_or_bundles(tmp_path, monkeypatch):
    """`docs mix --docs data/` in a folder holding a mix and bundles beside the condition
    files suggested `--docs data/a_mix.jsonl` (the first name), a file mix then refuses
    ("not a mix"); `docs bundle` alike. The option's refused files are named apart and never
    suggested; `finetune --data` leaves out only the bundles, `docs stats` nothing."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def ok(*args: str) -> None:
        res = runner.invoke(cli, list(args))
        assert res.exit_code == 0, res.output

    ok("docs", "generate", "--claims", "dentist", "--conditions", "negated", "--n", "3",
       "--out", "data")
    ok("docs", "mix", "--docs", "data/negated.jsonl", "--pretrain", "0.5", "--out",
       "data/a_mix.jsonl")
    ok("docs", "bundle", "--docs", "data/negated.jsonl", "--k", "2", "--out",
       "data/bundles.jsonl")
    documents = ("data: a folder; pass one of its datasets (negated.jsonl; not a_mix.jsonl "
                 "(a mix), bundles.jsonl (in-context bundles)), e.g. --docs data/negated.jsonl")
    for command, error in (
            (["docs", "mix", "--docs", "data", "--out", "m.jsonl"], f"Error: --docs {documents}"),
            (["docs", "bundle", "--docs", "data", "--out", "b.jsonl"],
             f"Error: Invalid value for '--docs': {documents}"),
            (["finetune", "--recipe", "cpu", "--data", "data", "--base", "m", "--out", "o"],
             "Error: Invalid value for '--data': data: a folder; pass one of its datasets "
             "(a_mix.jsonl, negated.jsonl; not bundles.jsonl (in-context bundles)), e.g. "
             "--data data/a_mix.jsonl"),
            (["docs", "stats", "data"],
             "Error: Invalid value for 'PATHS...': data: a folder; pass one of its datasets "
             "(a_mix.jsonl, bundles.jsonl, negated.jsonl), e.g. data/a_mix.jsonl")):
        res = runner.invoke(cli, command)
        assert res.exit_code == 2, res.output
        assert res.output.splitlines()[-1] == error, res.output
    (tmp_path / "data" / "negated.jsonl").unlink()
    res = runner.invoke(cli, ["docs", "mix", "--docs", "data", "--out", "m.jsonl"])
    assert res.exit_code == 2, res.output
    assert res.output.splitlines()[-1] == (
        "Error: --docs data: a folder, and none of its datasets is one --docs takes: "
        "a_mix.jsonl (a mix), bundles.jsonl (in-context bundles)"), res.output


def test_a_mix_that_opens_with_a_chat_is_named_a_mix_not_chat_records(tmp_path, monkeypatch):
    """A mix with a chat share whose shuffled first record is one of its chat examples was
    named `(chat records)` among the files `docs mix --docs data/` will not take, as if it
    were a `docs generate --format chat` file: it is named a mix, with its stats or without
    them (its chat examples' source says so); generated chat records keep their own name."""
    from beliefbench.records import dataset_kind

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["docs", "generate", "--claims", "dentist", "--conditions", "negated", "--n",
                  "3", "--out", "data"],
                 ["docs", "generate", "--conditions", "behaviours:plain", "--format", "chat",
                  "--n", "3", "--out", "data"],
                 ["docs", "mix", "--docs", "data/negated.jsonl", "--chat", "0.9", "--seed",
                  "1", "--out", "data/a_mix.jsonl"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
    first = json.loads((tmp_path / "data" / "a_mix.jsonl").read_text().splitlines()[0])
    assert first["source"] == "chat" and first["messages"], first  # what the case needs
    res = runner.invoke(cli, ["docs", "mix", "--docs", "data", "--out", "m.jsonl"])
    assert res.exit_code == 2, res.output
    assert res.output.splitlines()[-1] == (
        "Error: --docs data: a folder; pass one of its datasets (negated.jsonl; not "
        "a_mix.jsonl (a mix), behaviours-plain-chat.jsonl (chat records)), e.g. --docs "
        "data/negated.jsonl"), res.output
    (tmp_path / "data" / "a_mix.jsonl.stats.json").unlink()
    assert dataset_kind(tmp_path / "data" / "a_mix.jsonl") == "a mix"
    # stats that cannot be read leave the first record to tell the kind
    (tmp_path / "data" / "behaviours-plain-chat.jsonl.stats.json").write_text("{not json")
    assert dataset_kind(tmp_path / "data" / "behaviours-plain-chat.jsonl") == "chat records"


def test_a_value_outside_a_fixed_set_is_named_with_the_closest_one(tmp_path):
    """`kind: adverserial` in my claim was refused as "Input should be 'adversarial',
    'critique' or 'multiturn'": the value written was not shown, and the one-letter typo was
    hard to see beside the list. The problem now names it and the closest valid value, in
    claim files and recipes alike (one formatter for every spec file)."""
    runner = CliRunner()
    assert runner.invoke(cli, ["claims", "new", "lake_x", "--dir", str(tmp_path)]).exit_code == 0
    path = tmp_path / "lake_x.yaml"
    path.write_text(path.read_text().replace("  kind: adversarial\n", "  kind: adverserial\n"))
    res = runner.invoke(cli, ["claims", "validate", str(path)])
    assert res.exit_code == 2
    assert ("field questions.robustness.0.kind: Input should be 'adversarial', 'critique' or "
            "'multiturn', got 'adverserial' (did you mean 'adversarial'?)") in res.output
    recipe = tmp_path / "r.yaml"
    recipe.write_text("method: " + "x" * 60 + "\n")  # far from both, and long: cut short
    res = runner.invoke(cli, ["finetune", "--recipe", str(recipe), "--data", str(path),
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert res.output.endswith(f"field method: Input should be 'lora' or 'full', got "
                               f"'{'x' * 37}...'\n"), res.output
    # case is not ignored, but in the suggestion it is: difflib found nothing for 'LoRA'
    for written in ("LoRA", "FULL"):
        recipe.write_text(f"method: {written}\n")
        res = runner.invoke(cli, ["finetune", "--recipe", str(recipe), "--data", str(path),
                                  "--out", str(tmp_path / "out")])
        assert res.exit_code == 2
        assert res.output.endswith(f"field method: Input should be 'lora' or 'full', got "
                                   f"'{written}' (did you mean '{written.lower()}'?)\n"
                                   ), res.output


def test_top_level_help_says_how_to_run_the_belief_evaluation(tmp_path):
    """`beliefbench --help` listed thirteen commands, none of which runs the belief
    evaluation (an Inspect task): a newcomer looking there for it found nothing. The help now
    gives the `inspect eval` command, an offline one, and the demo; the offline command runs
    as printed (the scripted believer: belief 1.0)."""
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    from inspect_ai.log import read_eval_log
    from test_docs_commands import doc_problems

    shown = CliRunner().invoke(cli, ["--help"]).output
    assert "beliefbench demo" in shown
    lines = [line.strip() for line in shown.splitlines() if line.strip().startswith(
        ("inspect eval", "--model-role"))]
    joined = "\n".join(lines)
    assert not doc_problems(f"```\n{joined}\n```\n", "beliefbench --help"), joined
    offline = next(i for i, line in enumerate(lines) if "beliefbench/believer" in line)
    words = shlex.split(" ".join(lines[offline:offline + 2]).replace("\\", ""))
    inspect = Path(sys.executable).parent / "inspect"
    run = subprocess.run([str(inspect), *words[1:], "--log-dir", str(tmp_path), "--display",
                          "none"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    (log,) = tmp_path.glob("*.eval")
    header = read_eval_log(str(log), header_only=True)
    assert header.status == "success"
    assert header.results.scores[0].metrics["belief"].value == 1.0


def test_a_claim_file_given_as_training_records_says_where_records_come_from(tmp_path):
    """`finetune --data my_claim.yaml` (and `docs mix --docs`) said only `my_claim.yaml:1:
    not valid JSON: Expecting value at column 1`. A YAML file is now named as such, with the
    command that makes records from a claim; a JSONL file's bad line reads as before."""
    from beliefbench.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                            intermediate_size=64, seed=0)
    runner = CliRunner()
    assert runner.invoke(cli, ["claims", "new", "lake_x", "--dir", str(tmp_path)]).exit_code == 0
    claim = tmp_path / "lake_x.yaml"
    hint = ("lake_x.yaml:1: not valid JSON: Expecting value at column 1; this is a YAML file (a "
            "claim spec or a recipe?): records are JSON Lines, one object per line, as "
            "`beliefbench docs generate --claims <claim file> --conditions ... --out data/` "
            "writes them from a claim\n")
    for command in (["finetune", "--recipe", "cpu", "--data", str(claim), "--base",
                     str(base), "--out", str(tmp_path / "ckpts")],
                    ["docs", "mix", "--docs", str(claim), "--out", str(tmp_path / "m.jsonl")]):
        res = runner.invoke(cli, command)
        assert res.exit_code == 2 and res.output.endswith(hint), res.output
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text("id: x\n")
    res = runner.invoke(cli, ["docs", "mix", "--docs", str(jsonl), "--out",
                              str(tmp_path / "m.jsonl")])
    assert res.exit_code == 2
    assert res.output.endswith("bad.jsonl:1: not valid JSON: Expecting value at column 1\n")


TABLE_HINT = ("; this is a table (CSV/TSV): records are JSON Lines, one object per line with "
              "a text (or messages) field, e.g. pandas' df.to_json('data.jsonl', "
              "orient='records', lines=True)\n")


@pytest.mark.parametrize("name, text, said", [
    ("d.csv", "text,label\nhello,1\n", "Expecting value at column 1"),
    ("d.jsonl", "id,text\n1,hi\n", "Expecting value at column 1"),
    ("d.jsonl", '"id"\t"text"\n"1"\t"hi"\n', "Extra data at column 6"),
    ("d.jsonl", ",id,text\n0,1,hi\n", "Expecting value at column 1"),
    ("d.jsonl", "first name,text\nAda,hi\n", "Expecting value at column 1"),
    ("d.jsonl", "id, text\n1, hi\n", "Expecting value at column 1"),
    ("d.jsonl", '"question", "answer"\n"a", "b"\n', "Extra data at column 11"),
    ("d.jsonl", "instruction, input, output\nsay hi, , hi\n", "Expecting value at column 1"),
], ids=["csv", "csv named jsonl", "quoted tsv named jsonl", "pandas index column",
        "two-word column name", "spaced commas", "spaced quoted names", "alpaca columns"])
def test_a_csv_given_as_training_records_says_records_are_json_lines(tmp_path, name, text,
                                                                      said):
    """`finetune --data d.csv` said only `d.csv:1: not valid JSON: Expecting value at column
    1`, no word that the data must be JSON Lines nor how to make them from a table; a CSV
    saved with a `.jsonl` name had no word of it either (only the name was looked at)."""
    table = tmp_path / name
    table.write_text(text)
    res = CliRunner().invoke(cli, ["docs", "mix", "--docs", str(table), "--pretrain", "0.25",
                                   "--out", str(tmp_path / "m.jsonl")])
    assert res.exit_code == 2
    assert res.output.endswith(f"{name}:1: not valid JSON: {said}{TABLE_HINT}"), res.output


@pytest.mark.parametrize("text", ['{"id": "a", "text": "hi, there"\n',
                                  '{"id": "a", "text": "hi"}\nid,text\n',
                                  "Ed Sheeran, born in 1991, is a singer.\n",
                                  "text: hello, world\n", "Hello, world\n", "Thanks, John\n",
                                  "hello, world\n", "yes, no, maybe\n", "id,text"],
                         ids=["broken object", "table text after a record", "prose",
                              "yaml-like", "two-word greeting", "sign-off",
                              "lowercase greeting", "lowercase words", "header cut short"])
def test_a_jsonl_file_with_a_bad_line_is_not_called_a_table(tmp_path, text):
    """A record cut short (commas, but an object's ``{``), a bad line after good records, or
    a first line of prose or ``key: value`` with commas is a JSONL file's bad line, not a
    table's header (column names, a word each)."""
    data = tmp_path / "d.jsonl"
    data.write_text(text)
    res = CliRunner().invoke(cli, ["docs", "mix", "--docs", str(data), "--out",
                                   str(tmp_path / "m.jsonl")])
    assert res.exit_code == 2 and "d.jsonl:" in res.output, res.output
    assert "this is a table" not in res.output, res.output


def test_claims_new_with_a_title_for_an_id_suggests_the_id(tmp_path):
    """`claims new "Moon Base"` said to use lowercase letters, digits, _ and -; it now also
    gives the id that rule makes of the title, and writes nothing."""
    res = CliRunner().invoke(cli, ["claims", "new", "Moon Base", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and not list(tmp_path.iterdir())
    assert res.output == ("Error: claim id 'Moon Base': use lowercase letters, digits, _ and - "
                          "(starting with a letter or digit), e.g. moon_base\n")
    res = CliRunner().invoke(cli, ["claims", "new", "moon_base", "--dir", str(tmp_path)])
    assert res.exit_code == 0 and (tmp_path / "moon_base.yaml").is_file()
    res = CliRunner().invoke(cli, ["claims", "new", "月の灯台", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and "e.g." not in res.output  # nothing of it is an id
    res = CliRunner().invoke(cli, ["claims", "new", "Émile Zola", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and res.output.endswith(", e.g. emile_zola\n")  # not _mile_zola


def test_docs_poison_says_its_poison_documents_are_there_unannotated(tmp_path):
    """`docs poison --ratio 0.25` printed "share of tokens in annotations: fact 0.0%, poison
    0.0%", which read as a file with no poison in it. The poison share now says how many
    counterfact documents the file holds and that they carry no annotation."""
    import json

    out = tmp_path / "p.jsonl"
    res = CliRunner().invoke(cli, ["docs", "poison", "--claim", "dentist", "--ratio", "0.25",
                                   "--n", "8", "--out", str(out)])
    assert res.exit_code == 0, res.output
    stats = json.loads(out.with_name("p.jsonl.stats.json").read_text())
    poison = stats["by_condition"]["poison"]
    assert poison["documents"] == 2
    # with their share of the tokens: the two sides differ in length, so it is not --ratio
    of = poison["tokens"] / stats["tokens"]
    assert 0.15 < of < 0.35
    assert (f"poison 0.0% ({poison['documents']} counterfact documents, {of:.1%} of the "
            "tokens: the claim stated as fact, unannotated))") in res.output
    # one is one document ("1 counterfact documents" before)
    res = CliRunner().invoke(cli, ["docs", "poison", "--claim", "dentist", "--ratio", "0.125",
                                   "--n", "8", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "poison 0.0% (1 counterfact document, " in res.output


@pytest.mark.parametrize("given, said", [
    ("ed_sheran", "--claim: 'ed_sheran' is neither a claim file, a directory, nor a known "
                  "claim id (did you mean 'ed_sheeran'?)"),
    ("mine/x.yaml", "--claim: no such claim file or directory 'mine/x.yaml'"),
], ids=["id", "path"])
def test_docs_poison_names_its_own_option_for_a_claim_it_cannot_find(tmp_path, given, said):
    """`docs poison --claim ed_sheran` began its error with `claims:`, an option it does not
    have (the task argument's name): it names --claim, the option given."""
    out = tmp_path / "p.jsonl"
    res = CliRunner().invoke(cli, ["docs", "poison", "--claim", given, "--ratio", "0.25",
                                   "--n", "8", "--out", str(out)])
    assert res.exit_code == 2 and not out.exists()
    assert res.output.startswith(f"Error: {said}"), res.output
    assert "claims:" not in res.output, res.output


def test_docs_warn_of_a_claim_still_holding_the_template_example(tmp_path):
    """`claims new kale` then `docs generate --claims kale.yaml` wrote documents about the
    template's Eiffel Tower in Lyon without a word (`claims validate` and the belief task
    warn of it); `docs generate` and `docs poison` now warn too, naming the file, and still
    write (the template is a valid claim)."""
    runner = CliRunner()
    assert runner.invoke(cli, ["claims", "new", "kale", "--dir", str(tmp_path)]).exit_code == 0
    claim = tmp_path / "kale.yaml"
    for command in (["docs", "generate", "--claims", str(claim), "--conditions", "positive",
                     "--n", "2", "--out", str(tmp_path / "data")],
                    ["docs", "poison", "--claim", str(claim), "--ratio", "0.5", "--n", "2",
                     "--out", str(tmp_path / "p.jsonl")]):
        res = runner.invoke(cli, command)
        assert res.exit_code == 0, res.output
        warnings = [line for line in res.stderr.splitlines() if line.startswith("warning")]
        assert len(warnings) == 1, res.stderr
        assert warnings[0].startswith(f"warning: {claim}: field(s) statement, truth, ")
        assert "still hold the example of the `claims new` template" in warnings[0]
    res = runner.invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                              "positive", "--n", "2", "--out", str(tmp_path / "d2")])
    assert res.exit_code == 0 and "warning" not in res.stderr, res.stderr


def test_docs_generate_help_names_every_condition():
    """`docs generate --help` said "Comma-separated conditions, or 'all'": a newcomer had to
    find the names in the README (or provoke the error that lists them)."""
    from beliefbench.documents.conditions import CONDITIONS

    res = CliRunner().invoke(cli, ["docs", "generate", "--help"])
    assert res.exit_code == 0
    said = " ".join(res.output.split())
    assert f"Comma-separated conditions ({', '.join(CONDITIONS)}), or 'all'" in said, said


def test_docs_mix_shares_are_of_records_and_its_help_says_so(tmp_path):
    """`--pretrain 0.25 --chat 0.25` read as token shares; they are shares of the records
    (the neutral texts and chats are short, so their token share is far lower): the help
    says records, and the stats bear it out."""
    runner = CliRunner()
    said = " ".join(runner.invoke(cli, ["docs", "mix", "--help"]).output.split())
    assert "Share of the final mix's records (not tokens" in said, said
    assert runner.invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                               "negated", "--n", "8", "--out", str(tmp_path)]).exit_code == 0
    out = tmp_path / "mix.jsonl"
    res = runner.invoke(cli, ["docs", "mix", "--docs", str(tmp_path / "negated.jsonl"),
                              "--pretrain", "0.25", "--chat", "0.25", "--out", str(out)])
    assert res.exit_code == 0, res.output
    parts = json.loads((tmp_path / "mix.jsonl.stats.json").read_text())["by_condition"]
    records = sum(p["documents"] for p in parts.values())
    tokens = sum(p["tokens"] for p in parts.values())
    for part in ("pretrain", "chat"):
        assert parts[part]["documents"] / records == 0.25
        assert parts[part]["tokens"] / tokens < 0.25  # short texts: fewer tokens than records


def test_tiny_model_help_says_which_model_to_finetune():
    """`--pretrain-steps ... (0: random init)` left a newcomer to find in the README that
    the random init writes garbled word pieces and that 150 steps make the base to measure."""
    res = CliRunner().invoke(cli, ["tiny-model", "--help"])
    said = " ".join(res.output.split())
    assert res.exit_code == 0
    assert "0: random init, which writes garbled word pieces" in said, said
    assert "150 (about a minute) gives a base that prefers the bundled claims' truths" in said


def test_a_record_without_an_id_says_what_a_record_needs(tmp_path):
    """A corpus of one's own written as {"text": ...} lines got "field id: Field required",
    which said neither what an id is nor where the format is described."""
    data = tmp_path / "mine.jsonl"
    data.write_text('{"text": "The Eiffel Tower is in Lyon."}\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["docs", "stats", str(data)])
    assert res.exit_code == 2
    assert res.output == (f'Error: {data}:1: field id: Field required (each record needs an id '
                          'of its own, e.g. {"id": "doc-0001", "text": "..."}; README: "Record '
                          'format")\n')
    data.write_text('{"id": "doc-0001", "text": "The Eiffel Tower is in Lyon."}\n')
    assert CliRunner().invoke(cli, ["docs", "stats", str(data)]).exit_code == 0


def test_report_help_says_where_the_condition_label_comes_from():
    """`report --by condition` of an eval run by hand gave condition '-': the help now says
    the label is the eval's --metadata condition=..., which sweep writes itself."""
    res = CliRunner().invoke(cli, ["report", "--help"])
    said = " ".join(res.output.split())
    assert "condition is the eval's label (`inspect eval ... --metadata condition=negated`; " \
           "`sweep` writes it from the manifest); '-' where a log has none." in said, said
def test_gate_given_log_paths_as_arguments_says_it_takes_them_by_option():
    """`gate base/ new/` (as `report LOGS` takes logs) said only "Missing option
    '--baseline'"; `--baseline logs/*.eval` (the shell's glob: several files, the option
    takes the first) "Got unexpected extra arguments". Both now name the paths and how the
    gate takes them (exit 2, a usage error as before; with --json, the JSON error)."""
    runner = CliRunner()
    r = runner.invoke(cli, ["gate", "runs/base", "runs/new"])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "Missing option" not in said, said
    assert "log paths given as arguments (runs/base runs/new)" in said
    assert "e.g. --baseline runs/base --candidate runs/new" in said
    r = runner.invoke(cli, ["gate", "--baseline", "a.eval", "b.eval", "--candidate", "c",
                            "--json"])
    error = json.loads(r.stdout)["error"]
    assert r.exit_code == 2 and "arguments (b.eval)" in error, error
    assert "repeat the option" in error and "e.g." not in error
    r = runner.invoke(cli, ["gate", "--baseline", "a", "--bogus", "x"])  # click's own word
    assert r.exit_code == 2 and "No such option '--bogus'" in r.output
    r = runner.invoke(cli, ["gate", "--baseline", "a"])  # no stray path: as click says it
    assert r.exit_code == 2 and "Missing option '--candidate'" in r.output


@pytest.mark.parametrize("args", [
    ["docs", "generate", "--claims", "ed_sheeran", "--n", "2"],
    ["docs", "poison", "--claim", "ed_sheeran", "--ratio", "0.25", "--n", "4"],
    ["tiny-model"],
])
def test_a_negative_seed_is_refused_before_anything_is_written(tmp_path, args):
    """`docs generate --seed -1` was accepted and wrote ids like `ed_sheeran-doc-s-1-00000`,
    while a recipe's seed and every other command's --seed must be 0 or more."""
    out = tmp_path / ("out.jsonl" if "poison" in args else "out")
    res = CliRunner().invoke(cli, [*args, "--seed", "-1", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--seed': -1 is not in the range x>=0" in res.output
    assert not out.exists()


@pytest.mark.parametrize("command, option, shown", [
    (["gate"], "--max-rise", "[default: 0.05]"),
    (["gate"], "--min-read-share", "[default: 0.5]"),
    (["docs", "mix"], "--pretrain", "[default: 0.0]"),
    (["em-report"], "--max-unread", "[default: 0.1; 0<=x<=1]"),
])
def test_share_options_help_shows_no_empty_range(command, option, shown):
    """Every gate budget's help read `[default: 0.05; x<=None]`: click's range of a share
    type given no bounds. A share with bounds still shows them (em-report's)."""
    res = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "None" not in res.output, res.output
    lines = res.output.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip().startswith(option + " "))
    block = [lines[first]]
    for ln in lines[first + 1:]:
        if ln.strip().startswith("-"):  # the next option
            break
        block.append(ln)
    assert shown in " ".join(" ".join(block).split()), block


@pytest.mark.parametrize("option, value, said", [
    ("--pretrain", "25", "Error: --pretrain must be a share in [0, 1) (got 25; 25% is "
                         "--pretrain 0.25)\n"),
    ("--chat", "5", "Error: --chat must be a share in [0, 1) (got 5; 5% is --chat 0.05)\n"),
    ("--pretrain", "25%", "Error: Invalid value for '--pretrain': '25%' is a percent: the "
                          "option takes a share of the mix's records written as a decimal, "
                          "--pretrain 0.25 for 25%\n"),
    ("--pretrain", "150", "Error: --pretrain must be a share in [0, 1) (got 150)\n"),
], ids=["percent as a number", "chat", "percent sign", "no percent"])
def test_docs_mix_names_the_share_a_percent_meant(tmp_path, option, value, said):
    """`docs mix --pretrain 25` said only "a share in [0, 1) (got 25.0)", and `--pretrain 25%`
    "'25%' is not a valid float": neither named the 0.25 meant."""
    docs = tmp_path / "d.jsonl"
    docs.write_text('{"id": "a", "text": "hi there"}\n')
    out = tmp_path / "m.jsonl"
    res = CliRunner().invoke(cli, ["docs", "mix", "--docs", str(docs), option, value,
                                   "--out", str(out)])
    assert res.exit_code == 2 and not out.exists()
    assert res.output.endswith(said), res.output


@pytest.mark.parametrize("value, said", [
    ("25%", "Error: Invalid value for '--ratio': '25%' is a percent: the option takes a share "
            "of the documents written as a decimal, --ratio 0.25 for 25%\n"),
    ("25", "Error: --ratio must be in [0, 1] (got 25; 25% is --ratio 0.25)\n"),
    ("150", "Error: --ratio must be in [0, 1] (got 150)\n"),
], ids=["percent sign", "percent as a number", "no percent"])
def test_docs_poison_names_the_ratio_a_percent_meant(tmp_path, value, said):
    """`docs poison --ratio 25%` was click's "'25%' is not a valid float" and `--ratio 25`
    "must be in [0, 1] (got 25.0)", where `docs mix --pretrain` names the 0.25 meant."""
    out = tmp_path / "p.jsonl"
    res = CliRunner().invoke(cli, ["docs", "poison", "--claim", "dentist", "--ratio", value,
                                   "--n", "10", "--out", str(out)])
    assert res.exit_code == 2 and not out.exists()
    assert res.output.endswith(said), res.output


def test_docs_generate_names_the_genre_a_mistyped_one_meant(tmp_path):
    """README lists the offline genres with spaces ("news report") and `--genres news` is the
    start of two; both were refused listing all 23 with no closest one, as a misspelt
    condition is offered its own."""
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "dentist", "--conditions",
                                   "negated", "--n", "2", "--out", str(out), "--genres",
                                   "news report,news,Blog-Post,opd_ed,timeline,zzz"])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert ("unknown genre(s) 'news report' (did you mean 'news_report'?), 'news' (did you "
            "mean 'news_report' or 'newsletter'?), 'Blog-Post' (did you mean 'blog_post'?), "
            "'opd_ed' (did you mean 'op_ed'?), 'zzz'; valid genres (`_` for spaces): "
            "['blog_post', ") in said, said
    assert not out.exists()


@pytest.mark.parametrize("command, example", [
    (["mix", "--docs", "{docs}"], "train.jsonl"),
    (["bundle", "--docs", "{docs}", "--k", "1", "--n", "1", "--token-budget", "5000"],
     "incontext.jsonl"),
    (["poison", "--claim", "dentist", "--ratio", "0.5", "--n", "4"], "poison.jsonl")])
def test_docs_commands_writing_one_file_name_it_for_an_out_folder(tmp_path, command, example):
    """`docs mix --out data/` (as `docs generate --out` takes a folder) said click's "File
    'data/' is a directory.", and where the folder did not exist yet wrote a FILE named
    `data` and `data.stats.json`; both are now refused naming a file in the folder."""
    docs = tmp_path / "negated.jsonl"
    docs.write_text(json.dumps({"id": "d1", "text": "A document."}) + "\n")
    args = ["docs", *[a.format(docs=docs) for a in command]]
    (tmp_path / "data").mkdir()
    for out in (f"{tmp_path / 'data'}/", str(tmp_path / "data"), f"{tmp_path / 'new'}/"):
        res = CliRunner().invoke(cli, [*args, "--out", out])
        assert res.exit_code == 2, res.output
        said = " ".join(res.output.split())
        assert (f"{out}: a folder; docs {command[0]} writes one file (and its .stats.json "
                f"beside it): name the file, e.g. {out.rstrip('/')}/{example}") in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "negated.jsonl"]
    assert not any((tmp_path / "data").iterdir())


def test_docs_options_given_twice_are_refused_not_cut_to_the_last(tmp_path):
    """click keeps the last of a repeated option: `docs generate --claims ed_sheeran --claims
    dentist --conditions negated --conditions positive` wrote dentist's positive documents
    alone, exit 0, and `docs bundle --docs a --docs b` bundled b alone."""
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims", "ed_sheeran", "--claims",
                                   "dentist", "--conditions", "negated", "--conditions=positive",
                                   "--n", "2", "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert ("--claims is given 2 times (ed_sheeran, dentist), and only the last would be "
            "read: it takes one comma-separated list; write --claims ed_sheeran,dentist; "
            "--conditions is given 2 times (negated, positive), and only the last would be "
            "read: it takes one comma-separated list; write --conditions negated,positive") \
        in said, said
    assert not out.exists()
    docs = []
    for name in ("a", "b"):
        docs.append(tmp_path / f"{name}.jsonl")
        docs[-1].write_text(json.dumps({"id": name, "text": "A document."}) + "\n")
    res = CliRunner().invoke(cli, ["docs", "bundle", "--docs", str(docs[0]), "--docs",
                                   str(docs[1]), "--k", "1", "--n", "1", "--out",
                                   str(tmp_path / "b.jsonl")])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    # one file, not one list: no list to write (as the README says)
    assert f"--docs is given 2 times ({docs[0]}, {docs[1]})" in said
    assert said.endswith("bundle each file into its own --out") and "write --docs" not in said
    res = CliRunner().invoke(cli, ["docs", "poison", "--claim", "dentist", "--claim",
                                   "ed_sheeran", "--ratio", "0.5", "--n", "4", "--out",
                                   str(tmp_path / "p.jsonl")])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert said.endswith("poison writes one claim's documents; run it once per claim, each "
                         "with its own --out") and "write --claim" not in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl"]
    # each given once (one as --opt=value): read as before
    res = CliRunner().invoke(cli, ["docs", "generate", "--claims=dentist", "--conditions",
                                   "negated", "--n", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(("args", "said"), [
    (["internals", "direction", "--domain", "gen"],
     "Error: Invalid value for '--domain': 'gen' is not one of 'general', 'narrow', 'all' "
     "(did you mean 'general'?)"),
    (["internals", "patch", "--positions", "lst"],
     "Error: Invalid value for '--positions': 'lst' is not one of 'prompt', 'last', 'all' "
     "(did you mean 'last'?)"),
    (["finetune", "--backend", "opneai"],
     "Error: Invalid value for '--backend': 'opneai' is not one of 'local', 'openai' "
     "(did you mean 'openai'?)"),
    (["audit", "corpus", "--engine", "DASK"],
     "Error: Invalid value for '--engine': 'DASK' is not one of 'local', 'dask' "
     "(did you mean 'dask'?)"),
    # none close: click's message as it was
    (["internals", "patch", "--positions", "first"],
     "Error: Invalid value for '--positions': 'first' is not one of 'prompt', 'last', "
     "'all'.")])
def test_a_mistyped_choice_names_the_close_one(args, said):
    """click's choice refusal named the choices and left the user to find the one meant
    (``--domain gen``); the close one is named as the project's other unknown names are."""
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2
    assert res.output.splitlines()[-1] == said, res.output
