"""Claim file problems named at the line (and column) they are written on, not only by a
dotted field path the author had to count list items to find."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CLAIM, line_at

from beliefbench.claims import ClaimSpecError, load_claim, resolve_claims
from beliefbench.cli import cli
from beliefbench.specs import compose_yaml, field_mark, load_yaml


def broken(folder: Path, *edits: tuple[str, str], name: str = "glass_bridge.yaml") -> Path:
    """The fixture claim with each ``old`` replaced by ``new`` once, written to ``folder``."""
    text = FIXTURE_CLAIM.read_text()
    for old, new in edits:
        assert old in text, f"fixture lacks {old!r}"
        text = text.replace(old, new, 1)
    path = folder / name
    path.write_text(text)
    return path


def where(path: Path, pattern: str, key: str) -> str:
    """``<path>: line N, column M``: the line ``pattern`` matches, at ``key`` on it."""
    text = path.read_text()
    line = line_at(text, pattern)
    return f"{path}: line {line}, column {text.splitlines()[line - 1].index(key) + 1}"


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
                              "questions.token_association.0.format: Field required"]


def test_a_field_missing_from_the_whole_file_is_named_without_a_line(tmp_path):
    """The top-level mapping is the whole file: a line there would point at an unrelated
    field."""
    path = broken(tmp_path, ("statement:", "statment:"))
    said = problems(path)
    assert f"{path}: field statement: Field required" in said, said
    assert any(p.startswith(f"{where(path, '^statment:', 'statment')}: field statment: "
                            "unknown field (did you mean 'statement'?)") for p in said), said


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
        "questions.binary.1.belief_answer: Input should be 'yes' or 'no'",
        # the bad key itself, not the mapping that holds it
        f"{where(path, 'options: {c: yes}', 'c: yes')}: field "
        "questions.token_association.0.answer_key.options.c.[key]: String should match "
        "pattern '^[A-Z]$'"}, said


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


def test_claim_written_as_json_is_named_at_its_lines(tmp_path):
    """JSON is YAML: a claim file written as JSON (one key a line) has lines too."""
    claim = load_yaml(FIXTURE_CLAIM.read_text())
    claim["questions"]["robustness"][0]["kind"] = "sideways"
    path = tmp_path / "glass_bridge.yaml"
    path.write_text(json.dumps(claim, indent=2))
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
