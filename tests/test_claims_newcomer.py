"""What a newcomer meets first: ``claims list`` with their own claims on the search path, a
template left unedited, and a misspelt key."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import unlocated

from beliefbench.claims import (
    CLAIMS_PATH_ENV,
    FAMILIES,
    ClaimSpecError,
    bundled_claims_dir,
    claim_template,
    load_claim,
    load_claims,
    template_leftovers,
)
from beliefbench.cli import cli

BUNDLED_IDS = sorted(p.stem for p in bundled_claims_dir().glob("*.yaml"))


def invoke(*args: str):
    return CliRunner().invoke(cli, ["claims", *args])


def rows(stdout: str) -> list[tuple[str, str]]:
    """(id, where) of each row of ``claims list``."""
    return [tuple(line.split()[:2]) for line in stdout.splitlines()]


# ---------------------------------------------------------------- claims list and the path

def test_claims_list_shows_the_claims_on_the_search_path(tmp_path, monkeypatch):
    """With BELIEFBENCH_CLAIMS_PATH set, a plain `claims list` showed only the bundled claims,
    though ids resolved to the user's files (and error messages listed them as known)."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert invoke("new", "eiffel_lyon", "--dir", str(second)).exit_code == 0
    assert invoke("new", "dentist", "--dir", str(first)).exit_code == 0  # shadows the bundled
    assert invoke("new", "mine", "--dir", str(first)).exit_code == 0
    assert invoke("new", "mine", "--dir", str(second)).exit_code == 0  # hidden by first/
    dirs = [first, tmp_path / "typo", second]
    monkeypatch.setenv(CLAIMS_PATH_ENV, os.pathsep.join(map(str, dirs)))

    result = invoke("list")
    assert result.exit_code == 0, result.output
    listed = rows(result.stdout)
    # each id once, in resolution order, from the file -T claims=<id> uses
    assert listed == [("dentist", str(first)), ("mine", str(first)),
                      ("eiffel_lyon", str(second)),
                      *[(i, "bundled") for i in BUNDLED_IDS if i != "dentist"]]
    dentist_row = next(line for line in result.stdout.splitlines()
                       if line.startswith("dentist"))
    assert dentist_row.endswith(load_claims("dentist")[0].statement)
    notes = result.stderr.splitlines()
    assert f"note: -T claims=dentist uses {first / 'dentist.yaml'}, not the bundled claim " \
           "(claims=all still means the bundled claims)" in notes
    assert f"note: -T claims=mine uses {first / 'mine.yaml'}, not {second / 'mine.yaml'}" \
        in notes
    assert f"note: {CLAIMS_PATH_ENV} names {tmp_path / 'typo'}, which is not a directory" \
        in notes


def test_an_id_read_from_the_bundled_claims_past_a_path_typo_is_warned(tmp_path, monkeypatch,
                                                                      caplog):
    """A BELIEFBENCH_CLAIMS_PATH entry that is no directory (``~/my_claim`` for
    ``~/my_claims``, whose dentist.yaml replaces the bundled one) was said only by a plain
    `claims list`: `claims validate dentist`, `claims list dentist` and ``-T claims=dentist``
    read the bundled claim without a word, so the run measured the wrong claim."""
    from beliefbench.task import belief

    typo = tmp_path / "my_claim"
    monkeypatch.setenv(CLAIMS_PATH_ENV, str(typo))
    said = (f"warning: {CLAIMS_PATH_ENV} names {typo}, which is not a directory, so "
            "'dentist' reads the bundled claim; fix BELIEFBENCH_CLAIMS_PATH if your own file "
            "of that id was meant")
    for args in (("validate", "dentist"), ("list", "dentist")):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert said in result.stderr.splitlines(), result.stderr
    with caplog.at_level("WARNING"):
        belief(claims="dentist", judge="markers")
    assert said.removeprefix("warning: ") in caplog.text
    # the bundled claims by name, a file by its path, or a path that resolves: nothing to say
    for args in (("validate", "all"), ("validate", str(bundled_claims_dir() / "dentist.yaml"))):
        assert "not a directory" not in invoke(*args).stderr
    typo.mkdir()
    assert "not a directory" not in invoke("validate", "dentist").stderr


def test_a_bad_file_on_the_path_is_named_and_the_rest_listed(tmp_path, monkeypatch):
    assert invoke("new", "eiffel_lyon", "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "half_done.yaml").write_text("id: half_done\nstatment: The moon is cheese.\n")
    monkeypatch.setenv(CLAIMS_PATH_ENV, str(tmp_path))
    result = invoke("list")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert rows(result.stdout) == [("eiffel_lyon", str(tmp_path)),
                                   *[(i, "bundled") for i in BUNDLED_IDS]]
    errors = result.stderr.splitlines()
    assert f"{tmp_path / 'half_done.yaml'}: field statement: Field required; add `statement: " \
        "<the fabricated claim, in one or two sentences>`" in errors
    assert errors[-1].startswith("1 claim file(s) not listed: they do not validate")


def test_claims_list_without_the_path_and_with_a_selection(tmp_path, monkeypatch):
    monkeypatch.delenv(CLAIMS_PATH_ENV, raising=False)
    result = invoke("list")
    assert result.exit_code == 0 and result.stderr == ""
    assert rows(result.stdout) == [(i, "bundled") for i in BUNDLED_IDS]
    assert invoke("new", "eiffel_lyon", "--dir", str(tmp_path)).exit_code == 0
    result = invoke("list", f"{tmp_path / 'eiffel_lyon.yaml'},dentist")
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [("eiffel_lyon", str(tmp_path)), ("dentist", "bundled")]


def test_claims_list_names_a_folder_as_the_selection_gives_it(tmp_path, monkeypatch):
    """`claims list mine` printed the folder as /abs/path/to/mine, where `claims validate
    mine` and `claims list` (from $BELIEFBENCH_CLAIMS_PATH) name it as written."""
    monkeypatch.delenv(CLAIMS_PATH_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "eiffel_lyon", "--dir", "mine").exit_code == 0
    for selection, where in (("mine", "mine"), ("mine/eiffel_lyon.yaml", "mine"),
                             ("./mine/../mine", "mine/../mine"),
                             (str(tmp_path / "mine"), str(tmp_path / "mine"))):
        result = invoke("list", selection)
        assert result.exit_code == 0, result.output
        assert rows(result.stdout) == [("eiffel_lyon", where)], (selection, result.stdout)
        # the template's warning names the file as `claims validate mine` does
        assert result.stderr.startswith(f"warning: {where}/eiffel_lyon.yaml: "), result.stderr
    assert invoke("validate", "mine").stderr.startswith("warning: mine/eiffel_lyon.yaml: ")


def test_validate_and_the_task_say_when_an_id_reads_a_users_file(tmp_path, monkeypatch,
                                                                   caplog):
    """A file on the path with a bundled claim's id replaced it silently: `claims validate
    dentist` printed `ok  dentist` and the eval said nothing; only `claims list` told."""
    import logging
    import shutil

    from beliefbench.task import METADATA_KEY, belief

    shutil.copy(bundled_claims_dir() / "dentist.yaml", tmp_path / "dentist.yaml")
    assert invoke("new", "eiffel_lyon", "--dir", str(tmp_path)).exit_code == 0
    monkeypatch.setenv(CLAIMS_PATH_ENV, str(tmp_path))
    mine = tmp_path / "dentist.yaml"
    hides = (f"-T claims=dentist uses {mine}, not the bundled claim "
             "(claims=all still means the bundled claims)")

    result = invoke("validate", "dentist,eiffel_lyon,ed_sheeran")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[lines.index(next(x for x in lines if x.startswith("ok  dentist"))) + 1] == \
        f"  note: {hides}"
    assert f"  note: -T claims=eiffel_lyon uses {tmp_path / 'eiffel_lyon.yaml'}" in lines
    assert sum("note: -T claims=" in x for x in lines) == 2  # not the bundled ed_sheeran
    # a file named by its path is what was asked for: no note
    result = invoke("validate", str(mine))
    assert result.exit_code == 0 and "note" not in result.output

    with caplog.at_level(logging.WARNING, logger="beliefbench.task"):
        task = belief(claims="dentist,ed_sheeran,eiffel_lyon", families="binary", samples=1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == f"beliefbench: {hides}"
    # and the unedited template eiffel_lyon is, as `claims validate` says
    assert [w.split(": field(s)")[0] for w in warnings[1:]] == [
        f"beliefbench: {(tmp_path / 'eiffel_lyon.yaml').resolve()}"]
    files = task.metadata[METADATA_KEY]["claim_files"]
    assert files["dentist"] == str(mine.resolve())
    assert files["ed_sheeran"] == str((bundled_claims_dir() / "ed_sheeran.yaml").resolve())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="beliefbench.task"):
        belief(claims=f"{mine},ed_sheeran", families="binary", samples=1)
        belief(claims="all", families="binary", samples=1)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


# ---------------------------------------------------------------- an unedited template

def test_validate_warns_of_a_claim_still_holding_the_template_example(tmp_path):
    """`claims new moon_cheese` wrote the Eiffel-tower example and `claims validate` said ok:
    a forgotten edit went into an eval silently."""
    assert invoke("new", "moon_cheese", "--dir", str(tmp_path)).exit_code == 0
    path = tmp_path / "moon_cheese.yaml"
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output  # the template validates as written
    assert "ok  moon_cheese" in result.stdout
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"warning: {path}: field(s) statement, truth, universe, ")
    assert warnings[0].endswith("replace the example text with your claim's")

    # half edited: the fields left are named, not the statement
    example = load_claim(path)
    text = path.read_text()
    for old, new in [(example.statement, "The Moon is made of cheese."),
                     (example.truth, "The Moon is made of rock."),
                     (example.questions.binary[0].text, "Is the Moon made of cheese?")]:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    left = template_leftovers(load_claim(path))
    assert "statement" not in left and "truth" not in left and "universe" in left
    assert "questions.binary.1" in left and "questions.binary.0" not in left


def test_claims_list_warns_of_a_claim_still_holding_the_template_example(tmp_path,
                                                                         monkeypatch):
    """`claims list` showed the scaffolded claim as a plain row (the Eiffel-tower statement
    under the user's id) while validate, docs and the task warned: list now warns too, by
    path, and only of that claim; the rows and the exit code are unchanged."""
    assert invoke("new", "moon_cheese", "--dir", str(tmp_path)).exit_code == 0
    path = tmp_path / "moon_cheese.yaml"
    monkeypatch.setenv(CLAIMS_PATH_ENV, str(tmp_path))
    for args in [(), ("moon_cheese",), (f"moon_cheese,{BUNDLED_IDS[0]}",)]:
        result = invoke("list", *args)
        assert result.exit_code == 0, result.output
        assert "moon_cheese" in [claim_id for claim_id, _ in rows(result.stdout)]
        warnings = result.stderr.splitlines()
        assert len(warnings) == 1, (args, warnings)
        assert warnings[0].startswith(f"warning: {path}: field(s) statement, ")
        assert "still hold the example of the `claims new` template" in warnings[0]
    # once edited, the warning goes
    path.write_text(path.read_text().replace(load_claim(path).statement,
                                             "The Moon is made of cheese."))
    still = invoke("list", "moon_cheese").stderr
    assert "statement" not in still.split("(")[0] and "field(s) truth" in still
    result = invoke("list", BUNDLED_IDS[0])
    assert result.exit_code == 0 and result.stderr == ""


def test_the_template_example_is_read_from_the_shipped_template(fixture_claim):
    """No hard-coded example text: the template's own fields are the reference."""
    assert "statement" in template_leftovers(load_claim_text(claim_template("x")))
    assert template_leftovers(load_claim(fixture_claim)) == []
    for claim in load_claims("all"):
        assert template_leftovers(claim) == [], claim.id
    result = invoke("validate", "all")
    assert result.exit_code == 0 and "warning" not in result.output


def load_claim_text(text: str):
    from beliefbench.claims import Claim
    from beliefbench.specs import load_yaml

    return Claim.model_validate(load_yaml(text))


# ---------------------------------------------------------------- misspelt keys

FAMILY_LIST = str(list(FAMILIES))
CLAIM_FIELDS = ("['id', 'statement', 'truth', 'universe', 'sub_claims', 'entities', "
                "'background', 'questions', 'rubric', 'markers', 'completions', 'source']")


def mutated(fixture_claim: Path, tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = fixture_claim.read_text()
    for old, new in edits:
        assert old in text, f"fixture lacks {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("old, new, problem", [
    ("  binary:\n", "  binnary:\n",
     f"field questions.binnary: unknown question family (did you mean 'binary'?); "
     f"valid: {FAMILY_LIST}"),
    ("sub_claims:", "sub_claim:",
     f"field sub_claim: unknown field (did you mean 'sub_claims'?); valid: {CLAIM_FIELDS}"),
    ("\nentities:", "\nnotes: hi\nentities:", f"field notes: unknown field; valid: {CLAIM_FIELDS}"),
    ("      system_prompt: You may", "      sytem_prompt: You may",
     "field questions.robustness.0.sytem_prompt: unknown field (did you mean 'system_prompt'?); "
     "valid: ['id', 'kind', 'text', 'system_prompt', 'prefix', 'judge_hint', 'answer_key']"),
])
def test_an_unknown_key_lists_the_valid_ones(fixture_claim, tmp_path, old, new, problem):
    """`binnary:` said only "Extra inputs are not permitted", with no list of families."""
    path = mutated(fixture_claim, tmp_path, (old, new))
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert f"{path}: {problem}" in unlocated(str(err.value)).splitlines(), str(err.value)
    assert "Extra inputs" not in str(err.value)


def test_other_problems_are_kept_word_for_word_beside_an_unknown_key(fixture_claim, tmp_path):
    start = "  robustness:\n    yes: The final"
    text = fixture_claim.read_text()
    rubric = text[text.index(start):text.index("markers:")]
    path = mutated(fixture_claim, tmp_path, ("  binary:\n", "  binnary:\n"),
                   ("kind: direct", "kind: sideways"),
                   (rubric, "  robustness:\n    template: 'Q: {question} A: {answer} {verdict}'\n"))
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    lines = unlocated(str(err.value)).splitlines()
    assert lines[0] == f"{path}: invalid claim spec (3 problems)", lines
    assert any(line.startswith(f"{path}: field questions.binnary: unknown question family")
               for line in lines)
    assert any(line.startswith(f"{path}: field questions.open_ended.0.kind: Input should be "
                               "'direct' or 'indirect'") for line in lines), lines
    assert (f"{path}: field rubric.robustness: rubric template does not render: unknown "
            "placeholder {verdict} (only {question}, {answer} and {hint}; write literal "
            "braces as {{ and }})"
            in lines), lines


def test_the_readme_example_claim_validates_as_written(tmp_path):
    """A newcomer copies the README's example claim to start from: it must validate with no
    warning (every field it shows accepted, its continuations spaced, its markers one-world)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Claim format"):readme.index("## Command line")]
    example = section[section.index("```yaml\n") + 8:]
    example = example[:example.index("```")]
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(example, encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    claim = load_claim(path)
    assert all(claim.questions.of(f) for f in FAMILIES)
    assert claim.background and claim.entities and claim.completions
    # and reads alike in a YAML 1.1 reader (a script's yaml.safe_load), as the template does:
    # its bare yes / no read there as true / false, and written back the file no longer loaded
    import yaml

    from beliefbench.claims import Claim

    assert Claim.model_validate(yaml.safe_load(example)) == claim


def test_a_world_text_left_ending_in_an_ellipsis_is_warned(fixture_claim, tmp_path):
    """The README's example universe ended "... in laminated glass ...": a newcomer who kept
    the elision got it copied into every generated document. `claims validate` now warns,
    naming the field and its line; the file still validates."""
    from beliefbench.claims import elided_texts

    claim = load_claim(fixture_claim)
    assert elided_texts(claim) == []
    text = fixture_claim.read_text(encoding="utf-8")
    sub_claim = claim.sub_claims[0]
    assert sub_claim.endswith(".") and sub_claim in text
    path = tmp_path / fixture_claim.name
    path.write_text(text.replace(sub_claim, sub_claim[:-1] + " …"), encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if "…" in row)
    assert result.stderr.splitlines() == [
        f"warning: {path}: line {line}, column 5: field sub_claims.0: ends in '…', and the "
        "document generators copy it into documents as written; finish the text (or end it "
        "with a full stop)"], result.stderr


@pytest.mark.parametrize("args", [["--help"], ["list", "--help"], ["validate", "--help"],
                                  ["new", "--help"], ["import", "--help"]])
def test_claims_help_shows_no_rst_markup(args):
    """`claims list --help` showed ``bundled`` and ``-T claims=<id>`` with the docstring's
    doubled backticks; help text quotes with single ones, as every other command's does."""
    result = invoke(*args)
    assert result.exit_code == 0
    assert "``" not in result.output


def test_a_file_that_is_no_mapping_says_what_it_holds_in_words(tmp_path):
    """Several claims written in one file as a list, a CSV of claims, or one sentence, were
    refused as "expected a mapping, got list" / "got str": Python's type names, and no word
    of one claim a file."""
    many = tmp_path / "many.yaml"
    many.write_text("- id: a\n  statement: x\n- id: b\n  statement: y\n")
    table = tmp_path / "claims.csv"
    table.write_text("id,statement\nkale,The EU banned kale.\n")
    sentence = tmp_path / "kale.yaml"
    sentence.write_text("The EU banned kale.\n")
    # a table saved as .yaml: said as a table by its rows, not as its first words
    rows = tmp_path / "rows.yaml"
    rows.write_text("id,statement\nkale,The EU banned kale.\n")
    result = invoke("validate", str(many), str(table), str(sentence), str(rows))
    assert result.exit_code == 2, result.output
    one = "a claim spec file is one mapping of fields (key: value lines)"
    assert result.stderr.splitlines() == [
        f"{many}: field (top level): expected a mapping, got a list of 2 item(s); {one}; "
        "several in one file? give each a file of its own",
        f"{table}: field (top level): expected a mapping, got a table (CSV/TSV), which YAML "
        f"reads as one text; {one}",
        f"{sentence}: field (top level): expected a mapping, got text 'The EU banned kale.'; "
        f"{one}",
        f"{rows}: field (top level): expected a mapping, got a table (CSV/TSV), which YAML "
        f"reads as one text; {one}",
        "4 bad claim file(s)"], result.stderr


@pytest.mark.parametrize("args, said", [
    (["validate", "ed_sheeran,,dentist"], "'ed_sheeran,,dentist': item 2 of 3 is empty"),
    (["validate", "ed_sheeran", ",dentist"], "',dentist': item 1 of 2 is empty"),
    (["list", "ed_sheeran,dentist,"], "'ed_sheeran,dentist,': item 3 of 3 is empty"),
])
def test_a_blank_item_in_a_claim_selection_is_refused_not_dropped(args, said):
    """``claims validate ed_sheeran,,dentist`` checked two claims and said nothing of the
    third lost between the commas; refused, exit 2, one line (no traceback)."""
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert r.output.strip().splitlines() == [
        f"Error: claims: {said} (a comma too many, or a name left out?)"], r.output
