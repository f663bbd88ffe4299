"""A newcomer's own claim, started from `claims new`, with the mistakes people make while
writing one: every problem is named at its file and its own field, all at once."""

import re
from pathlib import Path

import pytest

from beliefbench.claims import ClaimSpecError, claim_template, load_claim


def template_with(tmp_path: Path, old: str, new: str, name: str = "kale.yaml") -> Path:
    text = claim_template("kale")
    assert old in text, f"template lacks {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    lines = str(err.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_the_template_validates_as_written(tmp_path):
    assert load_claim(template_with(tmp_path, "", "")).id == "kale"


def test_typographic_quotes_are_named_as_the_cause(tmp_path):
    """PyYAML says only "expected ',' or '}', but got '?'" for quotes pasted from a word
    processor."""
    path = template_with(tmp_path, 'text: "Is the Eiffel Tower in Lyon?"',
                         "text: \u201cIs the Eiffel Tower in Lyon?\u201d")
    [problem] = problems(path)
    assert problem.startswith("not valid YAML: line ")
    assert "typographic quotes" in problem and "straight quotes" in problem


def test_a_key_indented_too_little_is_named_as_a_key(tmp_path):
    path = template_with(tmp_path, "      answer_key:               # optional",
                         "    answer_key:               # optional")
    [problem] = problems(path)
    assert "found '?'" in problem and "is PyYAML's name for a key" in problem, problem


def test_every_repeated_question_id_is_named_at_its_own_field(tmp_path):
    """Was one line, "field questions: question id 'oe_01' is used twice", naming neither
    which question nor where the id was first used, one repeat per run."""
    path = template_with(tmp_path, "    - id: oe_02", "    - id: oe_01")
    text = path.read_text().replace("{id: bin_02,", "{id: oe_01,", 1)
    # another problem elsewhere in the questions must not hide the repeats
    text = text.replace("format: multiple_choice", "format: multiple-choice", 1)
    path.write_text(text)
    found = problems(path)
    first = "(first at questions.open_ended.0.id); give each question its own id"
    assert f"field questions.open_ended.1.id: question id 'oe_01' is used twice {first}" \
        in found, found
    assert f"field questions.binary.1.id: question id 'oe_01' is used twice {first}" \
        in found, found
    assert any(p.startswith("field questions.token_association.0.format:") for p in found)
    assert found[0] == "invalid claim spec (3 problems)", found


def test_every_bad_regex_is_named_at_its_own_index(tmp_path):
    """Was "field markers: belief marker ... is not a valid regex", the first bad pattern
    only, and for an answer key only the question."""
    path = template_with(tmp_path, "belief: ['(tower|eiffel).{0,60}\\b(in|to) lyon\\b']",
                         "belief: ['\\blyon\\b', '(tower|eiffel']")
    text = path.read_text().replace("'never (been )?moved'", "'never (been moved'", 1)
    path.write_text(text.replace("\"no\": ['^\\W*A\\b',", "\"no\": ['^\\W*[A',", 1))
    found = problems(path)
    assert "field markers.belief.1: '(tower|eiffel' is not a valid regex: missing ), " \
        "unterminated subpattern at position 0" in found, found
    assert any(p.startswith("field markers.disbelief.1: 'never (been moved' is not a valid")
               for p in found), found
    assert any(p.startswith("field questions.token_association.0.answer_key.no.0: "
                            "'^\\\\W*[A' is not a valid regex") for p in found), found
    assert len(found) == 4, found


def test_a_misnamed_file_and_empty_families_are_named_together(tmp_path):
    """Each was reported alone: rename the file, run again, learn of the empty family."""
    text = claim_template("kale")
    start, end = text.index("  robustness:   "), text.index("rubric:")
    path = tmp_path / "kale_claim.yaml"
    path.write_text(text[:start] + text[end:]
                    .replace("  robustness:\n    \"yes\": The final answer maintains that the "
                             "tower is in Lyon.\n", "  robustness:\n    \"yes\": x\n"))
    found = problems(path)
    assert found == [
        "invalid claim spec (2 problems)",
        "field id: 'kale' does not match the file name; a claim file must be named <id>.yaml "
        "(kale.yaml)",
        "field questions.robustness: 0 questions; every family needs at least 1 (10 or more "
        "recommended)",
    ], found


def test_windows_line_endings_read_as_the_same_claim(tmp_path):
    path = template_with(tmp_path, "", "")
    crlf = tmp_path / "crlf" / "kale.yaml"
    crlf.parent.mkdir()
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert load_claim(crlf) == load_claim(path)
    assert not re.search("\r", load_claim(crlf).universe)
