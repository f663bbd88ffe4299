import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from beliefbench.claims import (
    ClaimSpecError,
    bundled_claims_dir,
    load_claim,
    load_claims,
)
from beliefbench.markers import marker_verdict

BUNDLED = sorted(bundled_claims_dir().glob("*.yaml"))
STUDY_CLAIMS = {"ed_sheeran", "queen_elizabeth", "mount_vesuvius", "x_rebrand_reversal",
                "colorless_dreaming", "dentist"}


def test_the_six_study_claims_ship():
    assert {p.stem for p in BUNDLED} == STUDY_CLAIMS
    assert {c.id for c in load_claims("all")} == STUDY_CLAIMS


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_claim_meets_the_question_budget(path):
    claim = load_claim(path)
    assert claim.id == path.stem, "bundled files are named by claim id"
    q = claim.questions
    assert len(q.open_ended) >= 20
    assert {x.kind for x in q.open_ended} == {"direct", "indirect"}
    assert len(q.binary) >= 10
    assert sum(x.belief_answer == "no" for x in q.binary) >= 3
    assert len(q.token_association) >= 10
    formats = {x.format for x in q.token_association}
    assert {"fill_blank", "json", "xml", "multiple_choice", "dialogue", "form"} <= formats
    assert len(q.robustness) >= 10
    kinds = Counter(x.kind for x in q.robustness)
    assert kinds["adversarial"] >= 1 and kinds["critique"] >= 1 and kinds["multiturn"] >= 1
    assert len(claim.completions) >= 5
    assert set(claim.rubric) == {"open_ended", "token_association", "robustness"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_markers_classify_the_claim_and_the_truth(path):
    claim = load_claim(path)
    assert marker_verdict(claim, claim.statement).verdict == "yes"
    assert marker_verdict(claim, claim.truth).verdict == "no"
    for q in claim.questions.robustness:
        if q.kind == "multiturn":
            assert marker_verdict(claim, q.prefix[-1].content).verdict == "yes", q.id


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_questions_do_not_give_the_game_away(path):
    claim = load_claim(path)
    for q in claim.questions.open_ended:
        assert not re.search(r"\b(fabricated|false claim|misinformation)\b", q.text, re.I), q.id


# ---------------------------------------------------------------- bad specs

def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def mutated(fixture_claim: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = fixture_claim.read_text()
    assert old in text, f"fixture lacks {old!r}"
    return write(tmp_path, text.replace(old, new, 1))


def test_not_yaml(tmp_path):
    path = write(tmp_path, "id: [unclosed\n")
    with pytest.raises(ClaimSpecError, match=r"bad\.yaml: not valid YAML"):
        load_claim(path)


def test_not_a_mapping(tmp_path):
    with pytest.raises(ClaimSpecError, match=r"bad\.yaml: field \(top level\): expected a mapping"):
        load_claim(write(tmp_path, "- a\n- b\n"))


def test_missing_file(tmp_path):
    with pytest.raises(ClaimSpecError, match=r"absent\.yaml: cannot read claim spec file"):
        load_claim(tmp_path / "absent.yaml")


@pytest.mark.parametrize("old, new, message", [
    ("statement: The Golden", "statment: The Golden", r"field statement: Field required"),
    ("id: glass_bridge", "id: Glass Bridge", r"field id: String should match pattern"),
    ('belief_answer: "yes"', 'belief_answer: "maybe"',
     r"field questions\.binary\.0\.belief_answer"),
    ("kind: direct", "kind: sideways", r"field questions\.open_ended\.0\.kind"),
    ("      system_prompt: You may", "      hint: You may",
     r"questions\.robustness\.0\.hint: Extra inputs are not permitted"),
    ("        - {role: assistant, content: Since", "        - {role: user, content: Since",
     r"field questions\.robustness\.1: Value error, a multiturn prefix must end with"),
    ("id: bin_02", "id: bin_01", r"question id 'bin_01' is used twice"),
    ("  token_association:\n    yes:", "  open_ended_broad:\n    yes:",
     r"field rubric: Value error, unknown famil.*open_ended_broad"),
    ("disbelief: ['\\bsteel\\b'", "disbelief: ['(steel'", r"field markers: .*not a valid regex"),
    ("    neutral: The answer does not", "    unsure: The answer does not",
     r"field rubric\.open_ended\.unsure: Extra inputs"),
])
def test_bad_field_names_file_field_and_problem(fixture_claim, tmp_path, old, new, message):
    path = mutated(fixture_claim, tmp_path, old, new)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert str(path) in str(err.value)
    assert re.search(message, str(err.value)), str(err.value)


def test_missing_rubric_for_a_family_with_questions(fixture_claim, tmp_path):
    text = fixture_claim.read_text()
    start = text.index("  robustness:\n    yes:")
    end = text.index("markers:")
    path = write(tmp_path, text[:start] + text[end:])
    with pytest.raises(ClaimSpecError, match=r"field rubric: no rubric for famil.*robustness"):
        load_claim(path)


def test_yes_and_no_need_no_quotes(fixture_claim, tmp_path):
    # YAML 1.1 would read these as booleans; specs use YAML 1.2 booleans.
    path = mutated(fixture_claim, tmp_path, 'belief_answer: "yes"', "belief_answer: yes")
    assert load_claim(path).questions.binary[0].belief_answer == "yes"


def test_selection_by_id_file_and_directory(fixture_claim, tmp_path):
    assert [c.id for c in load_claims("ed_sheeran,dentist")] == ["ed_sheeran", "dentist"]
    assert [c.id for c in load_claims([str(fixture_claim)])] == ["glass_bridge"]
    assert [c.id for c in load_claims(str(fixture_claim.parent))] == ["glass_bridge"]
    assert [c.id for c in load_claims("glass_bridge", search=[fixture_claim.parent])] == \
        ["glass_bridge"]


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ClaimSpecError, match=r"'nope' is neither .* known ids: \[.*ed_sheeran"):
        load_claims("nope")


def test_duplicate_ids_across_files(fixture_claim, tmp_path):
    shutil.copy(fixture_claim, tmp_path / "a.yaml")
    shutil.copy(fixture_claim, tmp_path / "b.yaml")
    with pytest.raises(ClaimSpecError, match=r"b\.yaml: field id: claim id 'glass_bridge' is "
                                             r"also defined in .*a\.yaml"):
        load_claims(str(tmp_path))


def test_empty_directory(tmp_path):
    with pytest.raises(ClaimSpecError, match="no claim files"):
        load_claims(str(tmp_path))
