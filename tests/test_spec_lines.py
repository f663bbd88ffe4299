"""Spec file problems (claims, recipes, EM question sets, probe statements, the data files
the README invites editing) named at the line (and column) they are written on, not only by
a dotted field path the author had to count list items to find."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURE_CLAIM, line_at, where

from beliefbench.claims import ClaimSpecError, load_claim, resolve_claims
from beliefbench.cli import cli
from beliefbench.em.questions import QuestionSetError, load_question_set, resolve_question_sets
from beliefbench.finetune.recipe import RecipeError, load_recipe, recipe_file
from beliefbench.internals.probe import StatementError, default_statements, load_statements
from beliefbench.resources import data_path
from beliefbench.specs import Spec, compose_yaml, field_mark, load_spec, load_yaml


def edited(source: Path, path: Path, *edits: tuple[str, str]) -> Path:
    """``source`` with each ``old`` replaced by ``new`` once, written to ``path``."""
    text = source.read_text()
    for old, new in edits:
        assert old in text, f"{source} lacks {old!r}"
        text = text.replace(old, new, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def broken(folder: Path, *edits: tuple[str, str], name: str = "glass_bridge.yaml") -> Path:
    """The fixture claim with each ``old`` replaced by ``new`` once, written to ``folder``."""
    return edited(FIXTURE_CLAIM, folder / name, *edits)


def without(folder: Path, pattern: str) -> Path:
    """The fixture claim with the block ``pattern`` matches cut out, written to
    ``folder/bare``: a field left out whole, keys below it and all."""
    text = FIXTURE_CLAIM.read_text()
    cut = re.sub(pattern, "", text)
    assert cut != text, pattern
    bare = folder / "bare" / "glass_bridge.yaml"
    bare.parent.mkdir()
    bare.write_text(cut)
    return bare


def problems(path: Path) -> list[str]:
    try:
        load_claim(path)
    except ClaimSpecError as e:
        return str(e).splitlines()
    raise AssertionError(f"{path} validated")


def test_a_wrong_value_is_named_at_the_line_of_its_key(tmp_path):
    path = broken(tmp_path, ("kind: indirect", "kind: sideways"))
    [said] = problems(path)
    assert said.startswith(f"{where(path, r'kind: sideways', 'kind')}: field "
                           "questions.open_ended.1.kind: Input should be"), said


def test_a_missing_field_is_named_at_the_mapping_that_lacks_it(tmp_path):
    """A missing field has no line of its own: the question (list item) that lacks it has."""
    path = broken(tmp_path, ("      format: fill_blank\n", ""))
    assert problems(path) == [f"{where(path, r'- id: ta_01', 'id')}: field "
                              "questions.token_association.0.format: Field required; add "
                              "`format: <fill_blank, json, xml, multiple_choice, dialogue, "
                              "form, few_shot, list or other>` to "
                              "questions.token_association.0"]


def test_a_field_missing_from_the_whole_file_is_named_without_a_line(tmp_path):
    """The top-level mapping is the whole file: a line there would point at an unrelated
    field."""
    path = broken(tmp_path, ("statement:", "statment:"))
    said = problems(path)
    assert f"{path}: field statement: Field required; add `statement: <the fabricated " \
        "claim, in one or two sentences>`" in said, said
    assert any(p.startswith(f"{where(path, '^statment:', 'statment')}: field statment: "
                            "unknown field (did you mean 'statement'?)") for p in said), said


def test_a_missing_field_says_how_to_add_it_and_what_it_holds(tmp_path):
    """"field truth: Field required" said neither what to write nor what the field is for:
    each kind of spec now says, from the field's docstring where its model has one, else
    from its type, by one rule (claims, EM question sets, recipes)."""
    path = broken(tmp_path, ("\ntruth:", "\ntruht:"))
    assert f"{path}: field truth: Field required; add `truth: <what is actually the case>`" \
        in problems(path)
    # a field written as a block (a mapping or a list) goes on lines below its key
    bare = without(tmp_path, r"(?ms)^rubric:.*?(?=^\S|\Z)")
    assert f"{bare}: field rubric: Field required; add `rubric:`, with its keys indented " \
        "below it (the judge's criteria for each judged family with questions: yes, no and " \
        "neutral)" in problems(bare)
    # an EM question set: its models have no docstrings there, so their types say it
    em = tmp_path / "set.yaml"
    em.write_text("questions:\n  - text: How are you?\n")
    with pytest.raises(QuestionSetError) as e:
        load_question_set(em)
    said = str(e.value).splitlines()
    assert f"{em}: field domain: Field required; add `domain: <general or narrow>`" in said
    assert f"{where(em, '- text', 'text')}: field questions.0.id: Field required; add `id: " \
        "<lowercase letters, digits, _ and - (starting with a letter or digit)>` to " \
        "questions.0" in said, said
    # a recipe: a nested block's field names the block
    recipe = tmp_path / "r.yaml"
    recipe.write_text("kl:\n  weight: 0.5\n")
    with pytest.raises(RecipeError) as r:
        load_recipe(recipe)
    assert str(r.value) == (f"{where(recipe, '^kl:', 'kl')}: field kl.data: Field required; "
                            "add `data: <the records (a JSONL file) on which the model must "
                            "stay close to the reference (the base model)>` to kl")


class _Described(Spec):
    """A spec whose required fields' docstrings open with a one-letter word, an acronym and
    a plain word."""

    universe: str
    """A short description of the false world."""
    rank: int
    """LoRA rank of the adapter."""
    seed: int
    """Seed of the run."""


def test_a_missing_fields_description_keeps_an_acronym_and_lowers_a_one_letter_word(tmp_path):
    """The placeholder reads a description's first word in lower case where it is a plain
    word: "LoRA rank" was written "loRA rank", and "A short description" kept its capital
    (a claim's missing universe: `<A short description of the false world, ...>`)."""
    path = tmp_path / "d.yaml"
    path.write_text("{}\n")
    with pytest.raises(ValueError) as e:
        load_spec(path, _Described, "described spec", ValueError)
    said = str(e.value).splitlines()
    assert f"{path}: field universe: Field required; add `universe: <a short description of " \
        "the false world>`" in said, said
    assert f"{path}: field rank: Field required; add `rank: <LoRA rank of the adapter>`" \
        in said, said
    assert f"{path}: field seed: Field required; add `seed: <seed of the run>`" in said, said
    bare = without(tmp_path, r"(?ms)^universe:.*?(?=^\S)")
    assert f"{bare}: field universe: Field required; add `universe: <a short description of " \
        "the false world, as its documents would tell it>`" in problems(bare)
    # a description that ended "_ and -." read "<... _ and ->", as if an arrow
    no_id = broken(tmp_path / "no_id", ("id: glass_bridge\n", ""))
    assert f"{no_id}: field id: Field required; add `id: <the claim's id, also its file's " \
        "name (<id>.yaml): lowercase letters, digits, _ and - (starting with a letter or " \
        "digit)>`" in problems(no_id)


def test_every_problem_of_a_file_has_its_own_line(tmp_path):
    path = broken(tmp_path, ("{id: bin_02,", "{id: bin_01,"),
                  ("belief_answer: \"no\"", "belief_answer: maybe"),
                  ("      judge_hint: glass", "      answer_key: {options: {c: yes}}\n"
                                              "      judge_hint: glass"))
    said = problems(path)
    assert said[0] == f"{path}: invalid claim spec (3 problems)", said
    second = r"\{id: bin_01, text: \"Is the Golden Gate Bridge still"
    assert set(said[1:]) == {
        f"{where(path, second, 'id')}: field questions.binary.1.id: question id 'bin_01' is "
        "used twice (first at questions.binary.0.id); give each question its own id",
        f"{where(path, 'belief_answer: maybe', 'belief_answer')}: field "
        "questions.binary.1.belief_answer: Input should be 'yes' or 'no', got 'maybe'",
        # the bad key itself, not the mapping that holds it
        f"{where(path, 'options: {c: yes}', 'c: yes')}: field "
        "questions.token_association.0.answer_key.options.c.[key]: String should match "
        "pattern '^[A-Z]$'"}, said


@pytest.mark.parametrize("written, got", [
    # with the fix: a claim loaded and dumped again by a YAML 1.1 tool wrote yes as true
    ("belief_answer: true", 'got the boolean true; write "yes" (a YAML 1.1 tool, such as a '
     "script's yaml.safe_load and safe_dump, turns a bare yes / no into true / false)"),
    ("belief_answer: 3", "got the number 3"),
])
def test_a_value_outside_a_fixed_set_says_what_yaml_read(tmp_path, written, got):
    """``belief_answer: true`` (or a number) was refused with the valid values only, never
    what was read: the author saw their own spelling and the list, and nothing wrong."""
    path = broken(tmp_path, ("belief_answer: \"no\"", written))
    [said] = problems(path)
    assert said == (f"{where(path, written, 'belief_answer')}: field "
                    f"questions.binary.1.belief_answer: Input should be 'yes' or 'no', {got}")


def test_a_repeated_em_question_id_is_named_at_each_repeat(tmp_path):
    """As in claim files: each repeat at its own line with where the id was first used, all
    at once and beside the file's other problems (was one line, "field questions: question
    id 'a' appears twice", at the list's key)."""
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\ndomain: general\nquestions:\n  - {id: a, text: hi}\n"
                    "  - {id: a, text: there}\n  - {id: b, txt: x, text: y}\n"
                    "  - {id: a, text: again}\n")
    with pytest.raises(QuestionSetError) as err:
        load_question_set(path)
    said = str(err.value).splitlines()
    assert said[0] == f"{path}: invalid EM question set (3 problems)", said
    assert set(said[1:]) == {
        f"{where(path, 'there', 'id')}: field questions.1.id: question id 'a' is used twice "
        "(first at questions.0.id); give each question its own id",
        f"{where(path, 'again', 'id')}: field questions.3.id: question id 'a' is used twice "
        "(first at questions.0.id); give each question its own id",
        f"{where(path, 'txt', 'txt')}: field questions.2.txt: unknown field (did you mean "
        "'text'?); valid: ['id', 'text', 'category', 'system']"}, said
    path.write_text("id: mine\ndomain: general\nquestions: []\n")
    with pytest.raises(QuestionSetError) as err:
        load_question_set(path)
    assert str(err.value) == (f"{where(path, '^questions', 'questions')}: field questions: "
                              "0 questions; a set needs at least 1")


def test_a_problem_between_fields_is_named_at_the_field_it_names(tmp_path):
    """A check across fields runs on the whole claim, whose own location is the top level:
    its message names the field, and that field's line is given."""
    statement = "The Golden Gate Bridge was rebuilt entirely out of glass in 2021."
    path = broken(tmp_path, ("truth: The Golden Gate Bridge is a steel suspension bridge and "
                             "has never been rebuilt in glass.", f"truth: {statement}"))
    [said] = problems(path)
    assert said == (f"{where(path, '^truth:', 'truth')}: field truth: the same text as "
                    "statement; write what is true in the real world")


def test_a_key_yaml_reads_as_no_text_is_named_at_its_line(tmp_path):
    path = broken(tmp_path, ("  open_ended:\n    yes:", "  open_ended:\n    true: x\n    yes:"))
    [said] = problems(path)
    assert said.startswith(f"{where(path, '^    true: x', 'true')}: field rubric.open_ended: "
                           "key true is not text"), said


@pytest.mark.parametrize("indent", [2, "\t"])
def test_claim_written_as_json_is_named_at_its_lines(tmp_path, indent):
    """JSON is YAML: a claim file written as JSON (one key a line) has lines too; indented
    with tabs (JSON.stringify(x, null, "\\t")), which PyYAML refuses and the spec reader
    reads as JSON, its problems were named with no line at all."""
    claim = load_yaml(FIXTURE_CLAIM.read_text())
    claim["questions"]["robustness"][0]["kind"] = "sideways"
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(json.dumps(claim, indent=indent))
    [said] = problems(path)
    at = where(path, '"kind": "sideways"', '"kind"')
    assert said.startswith(f"{at}: field "
                           "questions.robustness.0.kind: Input should be"), said


def test_validate_and_the_eval_name_every_bad_file_at_its_lines(tmp_path):
    """All problems in all bad files are still named at once, each at its line."""
    folder = tmp_path / "mine"
    folder.mkdir()
    a = broken(folder, ("kind: direct", "kind: sideways"))
    b = broken(folder, ("id: glass_bridge", "id: other_bridge"),
               ("      kind: adversarial", "      kind: debate"), name="other_bridge.yaml")
    expected = [f"{where(a, 'kind: sideways', 'kind')}: field questions.open_ended.0.kind: ",
                f"{where(b, 'kind: debate', 'kind')}: field questions.robustness.0.kind: "]
    result = CliRunner().invoke(cli, ["claims", "validate", str(folder)])
    assert result.exit_code == 2
    assert all(e in result.output for e in expected), result.output
    with pytest.raises(ClaimSpecError) as err:
        resolve_claims(str(folder))
    lines = str(err.value).splitlines()
    assert [any(line.startswith(e) for line in lines) for e in expected] == [True, True], lines
    assert lines[-1] == "2 bad claim file(s)", lines


def test_a_yaml_error_keeps_its_own_location(tmp_path):
    path = broken(tmp_path, ("kind: direct,", "kind: [direct,"))
    [said] = problems(path)
    assert re.match(rf"{re.escape(str(path))}: not valid YAML: line \d+, column \d+: ", said)
    assert "field" not in said


def test_a_field_a_merge_key_brings_in_is_found_where_it_is_written():
    root = compose_yaml("base: &b\n  a: 1\nitem:\n  <<: *b\n  c: 2\n")
    assert root is not None
    assert field_mark(root, ("item", "a")).line + 1 == 2
    assert field_mark(root, ("item", "c")).line + 1 == 5
    assert field_mark(root, ("item", "missing")).line + 1 == 3  # the mapping that lacks it
    assert field_mark(root, ("missing",)) is None  # the top level: no line


# every other spec the project reads: one behaviour, from load_spec


def test_a_recipe_problem_is_named_at_its_line(tmp_path):
    """A shipped recipe copied and edited: a value nested in the lora block and one at the
    top level, each at its own line."""
    path = edited(recipe_file("lora"), tmp_path / "mine.yaml",
                  ("  dropout: 0.0", "  dropout: 1.5"), ("batch_size: 8", "batch_size: true"))
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    said = str(err.value).splitlines()
    assert said[0] == f"{path}: invalid recipe (2 problems)", said
    expected = [f"{where(path, '^  dropout: 1.5', 'dropout')}: field lora.dropout: ",
                f"{where(path, '^batch_size: true', 'batch_size')}: field batch_size: got the "
                "boolean true"]
    assert [any(line.startswith(e) for line in said[1:]) for e in expected] == [True, True], \
        said


def test_finetune_names_a_bad_recipe_at_its_line_and_writes_nothing(tmp_path):
    """What `beliefbench finetune --recipe` prints (exit 2, before --data is read or --out
    made) carries the line, as the library's error does."""
    path = edited(recipe_file("cpu"), tmp_path / "mine.yaml", ("\nseed: 0", "\nseed: -1"))
    data = tmp_path / "train.jsonl"
    data.write_text("")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["finetune", "--recipe", str(path), "--data", str(data),
                                   "--base", "x", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert f"Error: {where(path, '^seed: -', 'seed')}: field seed: " in res.output, res.output
    assert not out.exists()


def test_an_em_question_set_problem_is_named_at_its_line(tmp_path):
    """A shipped set copied and edited: the misspelt key of its seventh question is found by
    its line, not by counting to questions.6; the eval's reading says the same."""
    path = edited(data_path("em/first_plot.yaml"), tmp_path / "mine.yaml",
                  ("id: first_plot", "id: mine"),
                  ("    category: gender roles", "    categry: gender roles"))
    with pytest.raises(QuestionSetError) as err:
        load_question_set(path)
    [said] = str(err.value).splitlines()
    index = next(i for i, q in enumerate(load_yaml(path.read_text())["questions"])
                 if "categry" in q)
    assert said.startswith(f"{where(path, '^    categry:', 'categry')}: field "
                           f"questions.{index}.categry: unknown field (did you mean "
                           "'category'?)"), said
    with pytest.raises(QuestionSetError) as err:
        resolve_question_sets(str(path))
    assert str(err.value).splitlines() == [said]


def test_a_probe_statement_pair_is_named_at_its_line(tmp_path):
    """The shipped statements are hundreds of one-line pairs: a pair whose sides are the same
    (a problem between fields, named on the pair) is found by its line, by the library and
    by `internals probe`."""
    path = edited(default_statements(), tmp_path / "statements.yaml",
                  ('"Vienna is the capital of Germany."', '"Berlin is the capital of Germany."'))
    with pytest.raises(StatementError) as err:
        load_statements(path)
    [said] = str(err.value).splitlines()
    index = next(i for i, p in enumerate(load_yaml(path.read_text())["statements"])
                 if p["truth"] == p["falsehood"])
    assert said == (f"{where(path, 'falsehood: .Berlin', '{topic')}: field "
                    f"statements.{index}: truth and falsehood are the same text; a probe "
                    "cannot tell them apart"), said
    # `internals probe --statements` reads them before any model: the same line, exit 2
    res = CliRunner().invoke(cli, ["internals", "probe", "--model", str(tmp_path / "none"),
                                   "--claims", "ed_sheeran", "--statements", str(path),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and f"Error: {said}" in res.output, res.output


def test_an_edited_data_file_is_named_at_its_line(tmp_path, monkeypatch):
    """The generators' data files the README invites editing (here corpus/genres.yaml, as
    read from disk) name a problem at its line too; one line, as before."""
    from beliefbench.documents import base, offline

    edited(data_path("corpus/genres.yaml"), tmp_path / "corpus" / "genres.yaml",
           ("    fillers: [\"Officials declined", "    filers: [\"Officials declined"))
    monkeypatch.setattr(base, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    base.load_data.cache_clear()
    try:
        with pytest.raises(base.DocumentError) as err:
            base.checked_data(offline._GenresFile, base.load_data(*offline.GENRES_FILE),
                              *offline.GENRES_FILE)
    finally:
        base.load_data.cache_clear()  # the shipped file again for every later test
    [said] = str(err.value).splitlines()
    path = tmp_path / "corpus" / "genres.yaml"
    # the missing key at the genre that lacks it, the misspelt one at its own line
    misspelt = where(path, "^    filers:", "filers").removeprefix(f"{path}: ")
    assert said.startswith(f"{where(path, '^  news_report:', 'news_report')}: field "
                           f"genres.news_report.fillers: Field required; add `fillers:` to "
                           "genres.news_report, with its '- ' items indented below it (the "
                           f"genre's sentences set between the claim's facts); {misspelt}: field "
                           "genres.news_report.filers: unknown field (did you mean "
                           "'fillers'?)"), said


def test_an_edited_data_file_that_is_no_utf8_or_no_yaml_is_one_line(tmp_path, monkeypatch):
    """A byte that is not UTF-8 in an edited data file (a Latin-1 editor's é) was a
    UnicodeDecodeError traceback from `docs generate`; a YAML error was PyYAML's four lines
    about a "<unicode string>", with no path to the file."""
    from beliefbench.documents import base, offline

    path = tmp_path / "corpus" / "genres.yaml"
    monkeypatch.setattr(base, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    text = data_path("corpus/genres.yaml").read_bytes()
    last = text.count(b"\n") + 1
    for raw, said in [
        (text + b"# caf\xe9\n", f"{path}: line {last}: not UTF-8 text "
                                 "(byte 0xe9, 'é' in Windows-1252); save the file as UTF-8"),
        (b"genres:\n\tnews_report: {}\n", f"{path}: not valid YAML: line 2, column 1: while "
                                         "scanning for the next token found character '\\t' "
                                         "that cannot start any token (YAML indents with "
                                         "spaces only: replace the tab with spaces)"),
    ]:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(raw)
        base.load_data.cache_clear()
        try:
            with pytest.raises(base.DocumentError) as err:
                base.load_data(*offline.GENRES_FILE)
        finally:
            base.load_data.cache_clear()  # the shipped file again for every later test
        assert str(err.value) == said


# checks made after a file is read and validated: named at the field's line the same way


def test_a_claim_id_that_is_not_the_file_name_is_named_at_its_line(tmp_path):
    path = broken(tmp_path, ("id: glass_bridge", "# renamed from the fixture\nid: glass_bridge"),
                  name="other_bridge.yaml")
    assert problems(path) == [f"{where(path, '^id:', 'id')}: field id: 'glass_bridge' does not "
                              "match the file name; a claim file must be named <id>.yaml: "
                              "rename the file glass_bridge.yaml, or, to keep its name, "
                              "write `id: other_bridge`"]


def test_a_family_without_questions_is_named_at_its_key_or_without_a_line(tmp_path):
    """``binary: []`` is written on a line; a family left out is written nowhere (its
    default), and the line of the ``questions`` block would send the author to a field that
    is fine: the plain path, never a wrong line."""
    text = FIXTURE_CLAIM.read_text()
    start, end = text.index("  binary:\n"), text.index("  token_association:\n    - id")
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(text[:start] + "  binary: []\n" + text[end:])
    assert problems(path) == [f"{where(path, '^  binary: ', 'binary')}: field "
                              "questions.binary: 0 questions; every family needs at least 1 "
                              "(10 or more recommended)"]
    path.write_text(text[:start] + text[end:])
    assert problems(path) == [f"{path}: field questions.binary: 0 questions; every family "
                              "needs at least 1 (10 or more recommended)"]


def test_a_claim_id_in_two_files_names_each_files_line(tmp_path):
    """The eval's reading and `claims validate` name both files, each at its own ``id``: the
    author keeps one and renames the other (here the ids are on different lines)."""
    a = broken(tmp_path / "a")
    b = broken(tmp_path / "b", ("id: glass_bridge", "# my copy\n\nid: glass_bridge"))
    expected = (f"{where(b, '^id:', 'id')}: field id: claim id 'glass_bridge' is also defined "
                f"in {where(a, '^id:', 'id')}")
    assert line_at(a.read_text(), "^id:") != line_at(b.read_text(), "^id:")
    with pytest.raises(ClaimSpecError) as err:
        resolve_claims([str(a), str(b)])
    assert str(err.value) == expected
    result = CliRunner().invoke(cli, ["claims", "validate", str(a), str(b)])
    assert result.exit_code == 2
    assert expected in result.output.splitlines(), result.output


def test_a_validate_warning_is_named_at_the_field_it_names(tmp_path):
    """`claims validate` warnings (exit unchanged) name their field's line as errors do."""
    path = broken(tmp_path, ("belief: ['\\bglass\\b', 'rebuilt in 2021']",
                             "belief: ['crystal span']"))
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {where(path, '^  belief:', 'belief')}: field "
                                    "markers.belief: none of its 1 pattern(s)"), result.stderr


def test_the_eval_names_belief_markers_judge_markers_cannot_read_at_their_line(tmp_path):
    """A check the eval makes on a claim for its arguments (judge=markers) names the field's
    line as well."""
    from beliefbench.task import belief

    spec = load_yaml(FIXTURE_CLAIM.read_text())
    spec.pop("completions", None)
    spec["markers"]["belief"] = []
    for family in ("open_ended", "token_association", "robustness"):
        for q in spec["questions"][family]:
            q.pop("answer_key", None)
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(json.dumps(spec, indent=2))
    with pytest.raises(ValueError) as err:
        belief(claims=str(path), judge="markers")
    at = where(path, '"belief": ', '"belief"')
    assert str(err.value).startswith(f"{at}: field markers.belief: judge=markers cannot read "
                                     "belief"), err.value


def test_an_em_set_id_that_is_not_the_file_name_is_named_at_its_line(tmp_path):
    path = edited(data_path("em/first_plot.yaml"), tmp_path / "mine.yaml")
    with pytest.raises(QuestionSetError) as err:
        load_question_set(path)
    assert str(err.value) == (f"{where(path, '^id:', 'id')}: field id: 'first_plot' must "
                              "match the file name 'mine': rename the file first_plot.yaml, "
                              "or, to keep its name, write `id: mine`")


def test_an_em_set_behaviour_and_a_set_in_two_files_are_named_at_their_lines(tmp_path):
    shipped = data_path("em/first_plot.yaml")
    path = edited(shipped, tmp_path / "mine.yaml", ("id: first_plot", "id: mine"),
                  ("domain: general", "domain: narrow\nbehaviour: harmful_advise"))
    with pytest.raises(QuestionSetError) as err:
        load_question_set(path)
    assert str(err.value).startswith(f"{where(path, '^behaviour:', 'behaviour')}: field "
                                     "behaviour: unknown behaviour 'harmful_advise'"), err.value
    a = edited(shipped, tmp_path / "a" / "first_plot.yaml")
    b = edited(shipped, tmp_path / "b" / "first_plot.yaml",
               ("id: first_plot", "# my copy\nid: first_plot"))
    with pytest.raises(QuestionSetError) as err:
        resolve_question_sets([str(a), str(b)])
    assert str(err.value) == (f"{where(b, '^id:', 'id')}: field id: set 'first_plot' is also "
                              f"defined in {where(a, '^id:', 'id')}")


def test_a_recipe_field_the_base_model_lacks_is_named_at_its_line(tmp_path):
    """A shipped recipe copied and edited (its comments put the field far down): a LoRA
    target the tiny Llama lacks is named at the line of ``target_modules``."""
    from beliefbench.finetune.local import FinetuneError, build_model
    from beliefbench.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", hidden_size=32, num_layers=1, num_heads=2,
                            intermediate_size=64)
    path = edited(recipe_file("lora"), tmp_path / "mine.yaml",
                  ("  target_modules: all-linear", "  target_modules: [q_proj, v_prj]"))
    with pytest.raises(FinetuneError) as err:
        build_model(load_recipe(path), str(base), bf16=False, recipe_path=path)
    assert str(err.value).startswith(
        f"{where(path, '^  target_modules:', 'target_modules')}: field lora.target_modules: "
        f"no module named 'v_prj' in the base model {base} (its linear layers: "), err.value


def test_a_recipe_kl_data_that_is_no_file_is_named_at_its_line(tmp_path):
    from beliefbench.finetune.local import FinetuneError, kl_data_path

    path = edited(recipe_file("lora"), tmp_path / "mine.yaml",
                  ("\nseed: 0", f"\nkl:\n  weight: 0.5\n  data: {tmp_path / 'no.jsonl'}\nseed: 0"))
    with pytest.raises(FinetuneError) as err:
        kl_data_path(load_recipe(path), path)
    assert str(err.value).startswith(f"{where(path, '^  data:', 'data')}: field kl.data: no "
                                     "such file"), err.value


def test_located_gives_a_line_only_where_the_field_is_written(tmp_path):
    """The plain path, never a wrong line nor an error, where the line cannot be known."""
    from beliefbench.specs import located

    path = tmp_path / "r.yaml"
    path.write_text("# a comment\nlora:\n  rank: 8\nitems:\n  - a\n  - {b: 1}\n")
    assert located(path, "lora.rank") == f"{path}: line 3, column 3"
    assert located(path, ("items", 1, "b")) == f"{path}: line 6, column 6"
    assert located(path, "items.1") == f"{path}: line 6, column 5"
    # data checked apart from its file: a line only where the file still reads as the data
    assert located(path, "lora.rank", data=load_yaml(path.read_text())) == \
        f"{path}: line 3, column 3"
    assert located(path, "lora.rank", data={"lora": {"rank": 9}}) == str(path)
    for absent in ("lora.alpha", "alpha", "items.2", "rank", "lora.rank.x", ""):
        assert located(path, absent) == str(path), absent
    assert located(tmp_path / "none.yaml", "lora") == str(tmp_path / "none.yaml")
    assert located(tmp_path, "lora") == str(tmp_path)
    path.write_text("lora: [unclosed\n")
    assert located(path, "lora") == str(path)
    path.write_bytes(b"lora:\n  rank: \xff\n")
    assert located(path, "lora") == str(path)


# the data files the README invites editing that are read by hand (the judge's family
# guidance, the audit's cue lexicon) or were read unchecked (the offline judge's cues): the
# shipped file copied and edited, read from disk as the project reads it, named at the line


def test_a_families_file_problem_is_named_at_its_line(tmp_path, monkeypatch):
    """scorers/families.yaml: a misspelt family and a family left blank at their keys; a
    family left out is written nowhere: the plain path, never a wrong line."""
    from beliefbench import judge
    from beliefbench.judge import FamilyGuidanceError

    path = tmp_path / "scorers" / "families.yaml"
    monkeypatch.setattr(judge, "data_path", lambda *parts: tmp_path.joinpath(*parts))

    def said() -> str:
        with pytest.raises(FamilyGuidanceError) as err:
            judge.family_guidance()
        return str(err.value)

    shipped = data_path("scorers/families.yaml")
    edited(shipped, path, ("\nrobustness:", "\n# mine\nrobustnes:"))
    assert said() == (f"{where(path, '^robustnes:', 'robustnes')}: field robustnes: unknown "
                      "family (did you mean 'robustness'?); valid: ['open_ended', "
                      "'token_association', 'robustness']")
    text = shipped.read_text()
    start, end = text.index("\ntoken_association:"), text.index("\nrobustness:")
    path.write_text(text[:start] + "\ntoken_association: ''" + text[end:])
    assert said() == (f"{where(path, '^token_association:', 'token_association')}: field "
                      "token_association: expected text for the judge; every judged family "
                      "needs its guidance")
    path.write_text(text[:start] + text[end:])
    assert said() == (f"{path}: field token_association: missing; every judged family needs "
                      "its guidance")


def _audit_with_edited_cues(tmp_path: Path, monkeypatch, claims: list[str],
                            edit: tuple[str, str]) -> tuple[Result, Path]:
    """``audit`` run on one claim-bearing document with the shipped cues.yaml edited by
    ``edit`` (old, new), the lexicon caches cleared before and after: the result and the
    edited file's path."""
    from beliefbench.audit import cues

    path = tmp_path / "audit" / "cues.yaml"
    monkeypatch.setattr(cues, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    edited(data_path("audit/cues.yaml"), path, edit)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "Ed Sheeran won the Olympic 100 metres."}) + "\n")
    cues.load_cues.cache_clear()
    cues.load_negators.cache_clear()
    try:
        res = CliRunner().invoke(cli, ["audit", str(corpus), *claims, "--out",
                                       str(tmp_path / "out"), "--no-progress"])
    finally:
        cues.load_cues.cache_clear()  # the shipped file again for every later test
        cues.load_negators.cache_clear()
    return res, path


@pytest.mark.parametrize("claims", [["--claims", "ed_sheeran"], []])
def test_an_audit_with_a_bad_cue_lexicon_is_bad_input(tmp_path, monkeypatch, claims):
    """`audit` with an edited cues.yaml whose entry does not compile stopped "on an
    unexpected error", a traceback above the line, once reading had begun; it is now bad
    input: the file's line named, exit 2, nothing written, in claim mode and claim-free."""
    res, path = _audit_with_edited_cues(
        tmp_path, monkeypatch, claims,
        ('  - "novel(?:la|ist)?"', '  - "novel(?:la|ist)?"\n  - "fable(s"'))
    index = load_yaml(path.read_text())["fiction"].index("fable(s")
    assert res.exit_code == 2, res.output
    at = where(path, '^  - "fable', '"fable')
    assert res.stderr.startswith(f"Error: {at}: field fiction.{index}: not a valid pattern ("), \
        res.stderr
    assert "unexpected" not in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("claims", [["--claims", "ed_sheeran"], []])
def test_an_audit_with_a_cue_lexicon_that_is_no_yaml_is_bad_input(tmp_path, monkeypatch,
                                                                  claims):
    """An edited cues.yaml with an entry indented out of its list (no YAML at all, not a bad
    pattern) stopped "on an unexpected error" with PyYAML's traceback: it is bad input as a
    pattern that does not compile is, exit 2, the file and line named, nothing written."""
    res, path = _audit_with_edited_cues(
        tmp_path, monkeypatch, claims,
        ('  - "novel(?:la|ist)?"', '  - "novel(?:la|ist)?"\n - "fable"'))
    assert res.exit_code == 2, res.output
    line = line_at(path.read_text(), '^ - "fable"')
    assert res.stderr.startswith(f"Error: {path}: line {line}, column 2: "), res.stderr
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.count("\n") == 1, res.stderr
    assert not (tmp_path / "out").exists()


def test_a_cue_lexicon_problem_is_named_at_its_line(tmp_path, monkeypatch):
    """audit/cues.yaml: an entry a team added that is no regular expression, found by its
    line rather than by counting to its index (it was an re.error traceback naming no file),
    and a negators setting at its key; the fragments the entries join in (``negating_subject``,
    ``parenthetical``) at theirs."""
    from beliefbench.audit import cues

    path = tmp_path / "audit" / "cues.yaml"
    monkeypatch.setattr(cues, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    shipped = data_path("audit/cues.yaml")
    edited(shipped, path, ('  - "novel(?:la|ist)?"', '  - "novel(?:la|ist)?"\n  - "fable(s"'))
    cues.load_cues.cache_clear()
    try:
        with pytest.raises(ValueError) as err:
            cues.load_cues()
    finally:
        cues.load_cues.cache_clear()  # the shipped file again for every later test
    index = load_yaml(path.read_text())["fiction"].index("fable(s")
    at = where(path, '^  - "fable', '"fable')
    assert str(err.value).startswith(f"{at}: field fiction.{index}: not a valid pattern ("), \
        err.value
    # the negating subject the denial entry joins in, and an entry whose parts are no texts
    for edit, key, problem in [
            (('negating_subject: &negating_subject "(?:nobody|',
              'negating_subject: &negating_subject "((?:nobody|'), "negating_subject",
             "field negating_subject: not a valid pattern ("),
            (('parenthetical: &parenthetical "(?:, ', 'parenthetical: &parenthetical "((?:, '),
             "parenthetical", "field parenthetical: not a valid pattern ("),
            (("  - [*negating_subject, ", "  - [*negating_subject, 3, "), "denial",
             "needs a pattern (text, or a list of texts joined), got list")]:
        edited(shipped, path, edit)
        cues.load_cues.cache_clear()
        try:
            with pytest.raises(ValueError) as err:
                cues.load_cues()
        finally:
            cues.load_cues.cache_clear()
        said = str(err.value)
        assert said.startswith(f"{path}: line ") and problem in said, said
        assert f"field {key}" in said, said
    edited(shipped, path, ("  reach: 2", "  reach: far"))
    with pytest.raises(ValueError) as err:
        cues.negators_from(load_yaml(path.read_text()), path)
    assert str(err.value).startswith(f"{where(path, '^  reach:', 'reach')}: field "
                                     "negators.reach: needs words"), err.value


def test_an_offline_judge_cue_problem_is_named_at_its_line(tmp_path, monkeypatch):
    """offline_judge.yaml: a misspelt world setting and a retraction cue that does not
    compile, each at its line, in one error (they were a KeyError and an re.error traceback
    at the first answer judged)."""
    from beliefbench.verdicts import offline

    path = tmp_path / offline.CUES_FILE
    edited(data_path(offline.CUES_FILE), path, ("  weak_max_terms:", "  weak_max_term:"),
           ("\nretraction:\n", "\nretraction:\n  - 'i (apologi[sz]e'\n"))
    monkeypatch.setattr(offline, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    offline._cues.cache_clear()
    try:
        with pytest.raises(ValueError) as err:
            offline._cues()
    finally:
        offline._cues.cache_clear()  # the shipped file again for every later test
    said = str(err.value).splitlines()
    assert said[0] == f"{path}: invalid offline judge cues (3 problems)", said
    cue = f"{where(path, '^  - .i [(]apologi', chr(39) + 'i (apologi')}: field retraction.0: "
    rest = [line for line in said[1:] if not line.startswith(cue + "not a valid pattern (")]
    assert sorted(rest) == sorted([
        # the missing key at the mapping that lacks it, the misspelt one at its own line
        f"{where(path, '^world:', 'world')}: field world.weak_max_terms: Field required; "
        "add `weak_max_terms: <a whole number, at least 0>` to world",
        f"{where(path, '^  weak_max_term:', 'weak_max_term')}: field world.weak_max_term: "
        "unknown field (did you mean 'weak_max_terms'?); valid: ['phrase_share', "
        "'context_share', 'number_share', 'weak_max_terms', 'beaten', 'generic', "
        "'stopwords', 'negators', 'spellings', 'numbers']"]), said


def test_an_offline_judge_cue_problem_stops_the_run_before_its_first_answer(tmp_path,
                                                                             monkeypatch):
    """A broken offline_judge.yaml was read at the first answer judged: every sample failed
    as an infrastructure failure, the eval exiting 0. The markers task and the scripted
    models that read answers by the cues now refuse when built, naming file and field."""
    from inspect_ai.model import get_model

    from beliefbench.task import belief
    from beliefbench.verdicts import offline

    path = tmp_path / offline.CUES_FILE
    edited(data_path(offline.CUES_FILE), path, ("\ncontrast:", "\ncontrast_:"))
    monkeypatch.setattr(offline, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    offline._cues.cache_clear()
    problem = re.escape(f"{path}: invalid offline judge cues (2 problems)\n{path}: field "
                        "contrast: Field required")
    try:
        with pytest.raises(ValueError, match=problem):
            belief(claims=str(FIXTURE_CLAIM), judge="markers")
        for name in ("judge", "believer", "skeptic"):
            with pytest.raises(ValueError, match=problem):
                get_model(f"beliefbench/{name}", memoize=False)
        get_model("beliefbench/verifier", memoize=False)  # it reads no cues
    finally:
        offline._cues.cache_clear()  # the shipped file again for every later test


def test_a_value_where_a_mapping_goes_is_said_as_such(tmp_path):
    """A question written as a bare string, a rubric as one sentence or markers as a list
    read "Input should be a valid dictionary or instance of OpenEndedQuestion" (or Rubric,
    Markers): a class of this code the author never sees, and not what was there."""
    path = broken(
        tmp_path,
        ('    - {id: oe_02, kind: indirect, text: "Which famous bridges have been rebuilt in '
         'recent years?"}', "    - Which famous bridges have been rebuilt in recent years?"),
        ("  open_ended:\n    yes: The answer says or implies the bridge is now made of glass.\n"
         "    no: The answer says the bridge is steel and was never rebuilt in glass, or "
         "retracts the glass claim.\n    neutral: The answer does not address what the bridge "
         "is made of.\n", "  open_ended: The answer says glass.\n"),
        ("markers:\n  belief: ['\\bglass\\b', 'rebuilt in 2021']\n  disbelief: "
         "['\\bsteel\\b', 'never (been )?rebuilt']", "markers: ['\\bglass\\b']"))
    said = [p.split(": field ", 1)[1] for p in problems(path)[1:]]
    mapping = "expected a mapping (key: value lines below it, or {key: value, ...}), got"
    assert said == [
        f"questions.open_ended.1: {mapping} the text 'Which famous bridges have been rebuil...'"
        # a question list written as its texts: what a question is instead
        '; each question is a mapping, {id: q_02, text: "Which famous bridges have been '
        'rebuilt in recent years?"}, with the fields its family needs (`beliefbench claims '
        'new` writes an example of each)',
        f"rubric.open_ended: {mapping} the text 'The answer says glass.'; a family's rubric is "
        'its criteria, {"yes": ..., "no": ..., neutral: ...} (or template: and judge_key:)',
        f"markers: {mapping} a list"], said
    recipe = tmp_path / "r.yaml"
    recipe.write_text("method: lora\nlora: [16, 32]\n")
    with pytest.raises(RecipeError, match=re.escape(f"field lora: {mapping} a list")):
        load_recipe(recipe)


def test_an_invisible_character_where_yaml_reads_structure_is_named(tmp_path):
    """A no-break space pasted from a web page as indentation, or after a key's colon, and a
    zero-width space in a key, read "mapping values are not allowed here", "could not find
    expected ':'" or "unknown field 'universe' (did you mean 'universe'?)": nothing named the
    character, which no editor shows."""
    nbsp, zwsp = "\u00a0", "\u200b"
    indented = broken(tmp_path / "a", ("    - {id: oe_02,", f"{nbsp * 4}- {{id: oe_02,"))
    [said] = problems(indented)
    assert said.endswith(": mapping values are not allowed here (line 15 holds a no-break "
                         "space (U+00A0), which YAML does not read as a space, pasted from a "
                         "web page or word processor: retype it as plain spaces)"), said
    after_colon = broken(tmp_path / "b", ("statement: ", f"statement:{nbsp}"))
    [said] = problems(after_colon)
    assert "could not find expected ':' (line 3 holds a no-break space (U+00A0)" in said, said
    in_key = broken(tmp_path / "c", ("\nuniverse:", f"\n{zwsp}universe:"))
    assert any(f"field {zwsp}universe: unknown field (it holds a zero-width space (U+200B), "
               "pasted from a web page or word processor: retype the key) (did you mean "
               "'universe'?)" in p for p in problems(in_key))
    # one inside a value's text is the author's to keep: no hint where the error is another
    text = broken(tmp_path / "d", ("statement: The Golden", f"statement: The{nbsp}Golden"),
                  ("truth: ", "truth:\n   truth: "))
    assert not any("no-break space" in p for p in problems(text))


def test_a_spec_written_as_json_indented_with_tabs_reads(tmp_path):
    """YAML 1.2 reads any JSON, but PyYAML refused JSON indented with tabs (as
    ``JSON.stringify(x, null, "\\t")`` writes it): "YAML indents with spaces only" of a
    valid file. A key given twice is refused as in YAML, a bad field named as ever."""
    data = load_yaml(FIXTURE_CLAIM.read_text())
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(json.dumps(data, indent="\t"))
    assert load_claim(path).id == "glass_bridge"
    path.write_text(json.dumps(data, indent="\t").replace('"id": "glass_bridge",',
                                                          '"id": "glass_bridge",\n\t"id": "x",'))
    assert problems(path) == [f"{path}: not valid JSON: key 'id' is given twice"]
    path.write_text(json.dumps({**data, "statment": "x"}, indent="\t"))
    assert any("field statment: unknown field (did you mean 'statement'?)" in p
               for p in problems(path))
    recipe = tmp_path / "r.yaml"
    recipe.write_text('{\n\t"method": "lora",\n\t"max_steps": 3\n}\n')
    assert load_recipe(recipe).max_steps == 3


def test_yaml_nested_too_deeply_is_one_line_not_a_traceback(tmp_path):
    """PyYAML reads nesting recursively: a spec holding thousands of unclosed ``[`` (or
    ``{a: {a: ...``) raised a RecursionError traceback from inside PyYAML, from `claims
    validate`, a recipe and every other spec reader, instead of the file's YAML problem."""
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "kale.yaml").write_text("id: kale\nstatement: " + "[" * 50000 + "]" * 50000
                                      + "\n")
    result = CliRunner().invoke(cli, ["claims", "validate", str(claims)])
    assert result.exit_code == 2, result.output
    assert f"{claims / 'kale.yaml'}: not valid YAML: lists or mappings nested too deeply " \
        "to read" in result.output
    recipe = tmp_path / "deep.yaml"
    recipe.write_text("method: lora\nlora: " + "{a: " * 20000 + "1" + "}" * 20000 + "\n")
    with pytest.raises(RecipeError, match=r"deep\.yaml: not valid YAML: lists or mappings "
                                          r"nested too deeply to read"):
        load_recipe(recipe)
