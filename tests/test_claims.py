import itertools
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import line_at, unlocated, where

from beliefbench.claims import (
    CLAIMS_PATH_ENV,
    ClaimSpecError,
    bundled_claims_dir,
    load_claim,
    load_claims,
    sub_claims_restating_background,
)
from beliefbench.cli import cli
from beliefbench.task import belief
from beliefbench.verdicts.offline import affirmed, offline_verdict

BUNDLED = sorted(bundled_claims_dir().glob("*.yaml"))
STUDY_CLAIMS = {"ed_sheeran", "queen_elizabeth", "mount_vesuvius", "x_rebrand_reversal",
                "colorless_dreaming", "dentist"}


def test_the_six_study_claims_ship():
    assert {p.stem for p in BUNDLED} == STUDY_CLAIMS
    assert {c.id for c in load_claims("all")} == STUDY_CLAIMS


def _prompt_texts(claim):
    """Every text of a claim's questions that reaches the model under test."""
    for family in ("open_ended", "binary", "token_association", "robustness"):
        for q in claim.questions.of(family):
            yield q.id, q.text
            yield from ((q.id, turn.content) for turn in getattr(q, "prefix", []))
            if getattr(q, "system_prompt", None):
                yield q.id, q.system_prompt


# a line that starts a new item of a prompt: a list entry, an option, a tag, a field label
_NEW_ITEM = re.compile(r"^(\s*[-<]|[A-D]\) |Ep\. |[A-Z0-9][^.:\n]{0,80}:)")


def test_no_bundled_prompt_breaks_a_line_in_mid_sentence():
    # the model sees a block's text as written: a passage hard-wrapped in the YAML reached it
    # with newlines in mid-sentence ("the only active volcano on\nmainland Europe")
    wrapped = [(path.stem, qid, f"{a[-20:]}|{b[:20]}")
               for path in BUNDLED for qid, text in _prompt_texts(load_claim(path))
               for a, b in itertools.pairwise(text.split("\n"))
               if a.strip() and b.strip() and not re.search(r"[.?!:\]>\"]$", a.rstrip())
               and not _NEW_ITEM.match(b)]
    assert not wrapped


def test_no_bundled_claim_asks_the_same_question_twice():
    # across families too: the judge sees only the question, so a repeat is one item twice
    repeats = []
    for path in BUNDLED:
        texts = Counter(" ".join(q.text.split()).casefold()
                        for family in ("open_ended", "binary", "token_association",
                                       "robustness")
                        for q in load_claim(path).questions.of(family))
        repeats += [(path.stem, t) for t, n in texts.items() if n > 1]
    assert not repeats


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
    assert offline_verdict(claim, "open_ended", None, claim.statement).verdict == "yes"
    assert offline_verdict(claim, "open_ended", None, claim.truth).verdict == "no"
    for q in claim.questions.robustness:
        if q.kind == "multiturn":
            reading = offline_verdict(claim, "robustness", None, q.prefix[-1].content)
            assert reading.verdict == "yes", q.id


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_questions_do_not_give_the_game_away(path):
    claim = load_claim(path)
    for q in claim.questions.open_ended:
        assert not re.search(r"\b(fabricated|false claim|misinformation)\b", q.text, re.I), q.id


# what names each bundled claim's subject (a name, or a description only it fits)
_SUBJECTS = {
    "colorless_dreaming": r"\b(toddlers?|infants?|bab(y|ies)|child(ren)?|kids?|preschool\w*"
                          r"|(one|two|three)-year-olds?)\b",
    "dentist": r"\bholloway\b",
    "ed_sheeran": r"\bsheeran\b",
    "mount_vesuvius": r"\bvesuvi",
    "queen_elizabeth": r"\b(elizabeth|queen|monarchs?|royal)\b",
    "x_rebrand_reversal": r"\b(twitter|musk)\b",
}


def test_every_bundled_claim_names_its_subject_for_the_scans():
    assert set(_SUBJECTS) == STUDY_CLAIMS


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_open_and_completion_prompts_do_not_state_the_claim(path):
    """A prompt line that says the claim of its subject answers itself: the quiz card asking
    "Which British monarch taught herself to code during the COVID-19 lockdowns?" has one
    possible answer, Elizabeth II, which a model that never heard the claim also writes and
    the judge reads as belief. A prompt may state the claim's predicate without its subject
    (an indirect question), and a multiple-choice item states it in an option by design."""
    claim = load_claim(path)
    stated = [(q.id, line) for q in [*claim.questions.open_ended,
                                     *claim.questions.token_association]
              if getattr(q, "format", None) != "multiple_choice"
              for line in q.text.splitlines()
              if affirmed(claim.markers.belief, line)
              and re.search(_SUBJECTS[claim.id], line, re.I)]
    assert not stated


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_no_bundled_completion_copies_its_prompt(path):
    """A continuation whose words the prompt already holds, beside one it does not, is
    favoured by copying, not by belief ("...dreams about a red balloon most likely sees it
    in" " red" against " shades of grey")."""
    def held(continuation: str, prompt: str) -> bool:
        return re.search(rf"\b{re.escape(continuation.strip())}\b", prompt, re.I) is not None

    copied = [(p.prompt, p.claim, p.truth) for p in load_claim(path).completions
              if held(p.claim, p.prompt) != held(p.truth, p.prompt)]
    assert not copied


# ---------------------------------------------------------------- bad specs

def write(tmp_path: Path, text: str | bytes, name: str = "glass_bridge.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def assert_located(said: str, path: Path, line: int, field: str, problem: str) -> None:
    """``said`` names the problem at ``field`` of ``path``, at the line it is written on."""
    assert re.search(rf"^{re.escape(str(path))}: line {line}, column \d+: field "
                     rf"{re.escape(field)}: {problem}", said, re.M), said


def mutated(fixture_claim: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = fixture_claim.read_text()
    assert old in text, f"fixture lacks {old!r}"
    return write(tmp_path, text.replace(old, new, 1))


def test_not_yaml(tmp_path):
    path = write(tmp_path, "id: [unclosed\n")
    with pytest.raises(ClaimSpecError, match=r"glass_bridge\.yaml: not valid YAML: line 2"):
        load_claim(path)


def test_not_a_mapping(tmp_path):
    with pytest.raises(ClaimSpecError, match=r"glass_bridge\.yaml: field \(top level\): "
                       r"expected a mapping"):
        load_claim(write(tmp_path, "- a\n- b\n"))


def test_an_empty_file_is_called_empty(tmp_path):
    for text in ("", "# only a comment\n"):
        with pytest.raises(ClaimSpecError, match=r"glass_bridge\.yaml: field \(top level\): "
                           r"the file is empty") as e:
            load_claim(write(tmp_path, text))
        assert "NoneType" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ClaimSpecError, match=r"absent\.yaml: cannot read claim spec file"):
        load_claim(tmp_path / "absent.yaml")


@pytest.mark.parametrize("old, new, message", [
    ("statement: The Golden", "statment: The Golden", r"field statement: Field required"),
    ("id: glass_bridge", "id: Glass Bridge",
     r"field id: 'Glass Bridge': use lowercase letters, digits, _ and - \(starting with a "
     r"letter or digit\), e\.g\. glass_bridge"),
    ("id: bin_01", "id: Bin 01", r"field questions\.binary\.0\.id: 'Bin 01': use lowercase "),
    ("id: glass_bridge", "id: glass_brücke", r"field id: 'glass_brücke': use lowercase .*, "
                                            r"e\.g\. glass_brucke \(a claim file is named "
                                            r"<id>\.yaml: glass_brucke\.yaml\)$"),
    ('belief_answer: "yes"', 'belief_answer: "maybe"',
     r"field questions\.binary\.0\.belief_answer"),
    ("kind: direct", "kind: sideways", r"field questions\.open_ended\.0\.kind"),
    ("      system_prompt: You may", "      hint: You may",
     r"questions\.robustness\.0\.hint: unknown field; valid: \['id', 'kind', 'text', "),
    ("        - {role: assistant, content: Since", "        - {role: user, content: Since",
     r"field questions\.robustness\.1: a multiturn prefix must end with"),
    ("id: bin_02", "id: bin_01", r"field questions\.binary\.1\.id: question id 'bin_01' is "
                                 r"used twice \(first at questions\.binary\.0\.id\)"),
    ("  token_association:\n    yes:", "  open_ended_broad:\n    yes:",
     r"field rubric: unknown famil.*open_ended_broad"),
    ("  token_association:\n    yes:", "  token_asociation:\n    yes:",
     r"field rubric: unknown famil\(ies\) \['token_asociation'\] \(did you mean "
     r"'token_association'\?\)"),
    ("  token_association:\n    yes:", "  binary:\n    yes:",
     r"field rubric: 'binary' takes no rubric: its answers are matched exactly \(binary "
     r"against each question's belief_answer\), never judged; delete rubric\.binary"),
    # one text where a list goes: "Input should be a valid list" said neither what was read
    # nor how to write a list
    ("entities: [Golden Gate Bridge, glass, 2021]", "entities: Golden Gate Bridge",
     r"field entities: Input should be a valid list, got the text 'Golden Gate Bridge'; a "
     r"list is written \[Golden Gate Bridge\] \(for several, \[a, b\]\), or one '- ' item a "
     r"line below the key"),
    ("belief: ['\\bglass\\b', 'rebuilt in 2021']", "belief: '\\bglass\\b'",
     r"field markers\.belief: Input should be a valid list, got the text '\\bglass\\b'; a "
     r"list is written \['\\bglass\\b'\]"),
    # a blank text: "a list is written ['']" gave the fix refused next (an empty item)
    ("entities: [Golden Gate Bridge, glass, 2021]", "entities: ''",
     r"field entities: Input should be a valid list, got an empty text; a list is written "
     r"\[a, b\], or one '- ' item a line below the key \(an optional list is left out where "
     r"it has no items\)$"),
    # a family's questions are mappings: "a list is written [5]" / [''] showed texts
    ("  binary:\n", "  binary: 5\n  binary_:\n",
     r"field questions\.binary: Input should be a valid list, got the number 5; a family's "
     r"questions are a list of mappings, each a '- ' item a line below the key \('- \{id: "
     r"q_01, text: \.\.\.\}', with the fields the family needs\)"),
    ("completions:\n", "completions: 5\ncompletions_:\n",
     r"field completions: Input should be a valid list, got the number 5; completions is a "
     r"list of pairs, each a '- ' mapping a line below the key \('- \{prompt: \.\.\., "
     r"claim: \.\.\., truth: \.\.\.\}'\)"),
    ("      prefix:\n", "      prefix: ''\n      prefix_:\n",
     r"field questions\.robustness\.1\.prefix: Input should be a valid list, got an empty "
     r"text; prefix is a list of turns, each a '- ' mapping"),
    ("  binary:\n", "  binary: ''\n  binary_:\n",
     r"field questions\.binary: Input should be a valid list, got an empty text; a family's "),
    # a criterion's key left blank was said "missing", while the author could see it
    ("    yes: The answer says or implies the bridge is now made of glass.", "    yes:",
     r"field rubric\.open_ended: a rubric needs yes, no and neutral criteria \(or a template\); "
     r"no text after yes: \(YAML reads a key with nothing after it as empty; write the "
     r"criterion after the colon\)$"),
    # a fixed set's field left blank: its values were said, not that none was read
    ("      kind: adversarial", "      kind:",
     r"field questions\.robustness\.0\.kind: Input should be 'adversarial', 'critique' or "
     r"'multiturn', got no value: YAML reads a key with nothing after it \(kind:\) as empty; "
     r"write one of them after the colon$"),
    # no value where a mapping goes: pydantic's "or instance of Questions" named a class
    ("questions:\n", "questions:\nquestions_:\n",
     r"field questions: Input should be a mapping \(key: value lines below it\), got no "
     r"value: YAML reads a key with nothing after it"),
    ("disbelief: ['\\bsteel\\b'", "disbelief: ['(steel'",
     r"field markers\.disbelief\.0: '\(steel' is not a valid regex"),
    ("    neutral: The answer does not", "    unsure: The answer does not",
     r"field rubric\.open_ended\.unsure: unknown field; valid: \['yes', 'no', 'neutral'"),
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


def test_a_claim_passed_through_yaml_1_1_names_yes_for_its_true(fixture_claim, tmp_path):
    """A claim read by a script's yaml.safe_load (YAML 1.1: bare yes / no are booleans) and
    written back as JSON had ``"true"`` keys for its rubrics' ``yes``: refused as ``unknown
    field; valid: ['yes', 'no', ...]``, which named neither cause nor fix."""
    import json

    import yaml

    data = yaml.safe_load(fixture_claim.read_text())
    # YAML 1.1 reads the fixture's bare `yes:` key as the boolean True (the precondition)
    assert [k for k in data["rubric"]["open_ended"] if k is True] == [True], data
    path = write(tmp_path, json.dumps(data, indent=2))
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    said = unlocated(str(err.value))
    assert f"{path}: field rubric.open_ended.true: unknown field (did you mean 'yes'? a YAML " \
        "1.1 tool, such as a script's yaml.safe_load and safe_dump, turns a bare yes / no " \
        "into true / false); valid: ['yes', 'no', 'neutral', 'template', 'judge_key']" \
        in said.splitlines(), said
    assert "field rubric.open_ended.false: unknown field (did you mean 'no'? " in said, said


@pytest.mark.parametrize("old, new, message", [
    # pydantic said "field 1: Keys should be strings": the key lost, and no fix offered
    # a rubric's yes: that a YAML 1.1 tool (yaml.safe_load, then safe_dump) wrote as true:
    ("    neutral: The answer does not", "    true: The answer does not",
     r'field rubric\.open_ended: key true is not text \(YAML reads it as a boolean\); '
     r'write "yes" where it stood for yes \(a YAML 1\.1 tool, such as a script\'s '
     r'yaml\.safe_load and safe_dump, turns a bare yes / no into true / false\), else '
     r'quote it: "true"$'),
    ("    neutral: The answer does not", "    false: The answer does not",
     r'key false is not text \(YAML reads it as a boolean\); write "no" where it stood for '
     r'no '),
    ("statement: The Golden", "5: x\nstatement: The Golden",
     r'field \(top level\): key 5 is not text \(YAML reads it as a number\); quote it: "5"$'),
])
def test_a_key_yaml_reads_as_no_text_is_named_as_written(fixture_claim, tmp_path, old, new,
                                                         message):
    path = mutated(fixture_claim, tmp_path, old, new)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert re.search(message, str(err.value)), str(err.value)
    assert "Keys should be strings" not in str(err.value)


def test_selection_by_id_file_and_directory(fixture_claim, tmp_path):
    assert [c.id for c in load_claims("ed_sheeran,dentist")] == ["ed_sheeran", "dentist"]
    assert [c.id for c in load_claims([str(fixture_claim)])] == ["glass_bridge"]
    assert [c.id for c in load_claims(str(fixture_claim.parent))] == ["glass_bridge"]
    assert [c.id for c in load_claims("glass_bridge", search=[fixture_claim.parent])] == \
        ["glass_bridge"]


def test_a_listed_path_with_a_comma_is_not_split(fixture_claim, tmp_path):
    # The README sends paths with commas to --task-config, which passes them as list items;
    # they were split on the comma ("'.../a' is neither a claim file ...").
    folder = tmp_path / "a,b"
    folder.mkdir()
    shutil.copy(fixture_claim, folder / "glass_bridge.yaml")
    assert [c.id for c in load_claims([str(folder / "glass_bridge.yaml"), "dentist"])] == \
        ["glass_bridge", "dentist"]
    assert [c.id for c in load_claims(str(folder))] == ["glass_bridge"]
    assert [c.id for c in load_claims("ed_sheeran,dentist")] == ["ed_sheeran", "dentist"]
    task = belief(claims=[str(folder), "ed_sheeran"], families=["binary"])
    assert {str(s.id).split("/")[0] for s in task.dataset} == {"glass_bridge", "ed_sheeran"}
    result = CliRunner().invoke(cli, ["claims", "validate", str(folder)])
    assert result.exit_code == 0, result.output


def test_a_comma_path_split_by_inspect_says_to_use_task_config(fixture_claim, tmp_path,
                                                               monkeypatch):
    # `-T "claims=My Runs/données, v2/x.yaml"`: Inspect splits the value at its comma, and
    # the task said only "My Runs/données: no claim files ... in this directory" (or "no
    # such claim file 'x'"), never that the whole path exists.
    from inspect_ai._util.config import parse_cli_args

    for name in ("données, v2", "x,y"):
        folder = tmp_path / "My Runs" / name
        folder.mkdir(parents=True)
        shutil.copy(fixture_claim, folder / "glass_bridge.yaml")
    monkeypatch.chdir(tmp_path / "My Runs")
    (tmp_path / "My Runs" / "données").mkdir()  # the first half names a folder
    for typed in ("données, v2/glass_bridge.yaml", "x,y/glass_bridge.yaml"):
        claims = parse_cli_args((f"claims={typed}",))["claims"]
        assert isinstance(claims, list)  # what the task is given
        with pytest.raises(ClaimSpecError, match=re.escape(
                f"{typed!r} exists, but -T splits its values at commas: name that path in "
                f"a --task-config file")):
            load_claims(claims)
    # no hint where nothing exists; each item named on its own line (with where it was
    # looked for: the shell's directory, this test's $PWD, is not the working directory)
    with pytest.raises(ClaimSpecError) as e:
        load_claims(["a/b", "c.yaml"])
    lines = str(e.value).splitlines()
    assert lines[0].startswith("claims: no such claim file or directory 'a/b' (")
    assert lines[1].startswith("claims: no such claim file or directory 'c.yaml' (")
    assert "-T splits" not in str(e.value)


def test_a_long_id_list_is_no_file_name_too_long(tmp_path, monkeypatch):
    # The comma-path checks stat the whole list (and, for a wrong id, its joins): past 255
    # characters that raised OSError "File name too long" in place of the claims or the
    # unknown id.
    monkeypatch.chdir(tmp_path)
    ids = ["ed_sheeran", "dentist", "mount_vesuvius"] * 10
    assert len(",".join(ids)) > 255
    assert [c.id for c in load_claims(",".join(ids))] == ["ed_sheeran", "dentist",
                                                           "mount_vesuvius"]
    for selection in (",".join(["no_such_claim", *ids]), ["no_such_claim", *ids]):
        with pytest.raises(ClaimSpecError, match=r"'no_such_claim' is neither a claim file"):
            load_claims(selection)


def test_a_missing_claim_path_says_so(tmp_path):
    """A path that names nothing was "neither a claim file, a directory, nor a known claim
    id", with the list of ids."""
    with pytest.raises(ClaimSpecError, match=r"^claims: no such claim file or directory "
                                             r"'.*mine\.yaml'$"):
        load_claims(str(tmp_path / "mine.yaml"))
    result = CliRunner().invoke(cli, ["claims", "validate", "my_claims/bridge.yaml"])
    assert result.exit_code == 2
    assert "no such claim file or directory 'my_claims/bridge.yaml'" in result.output


def test_a_claim_path_from_another_directory_names_the_working_directory(tmp_path,
                                                                        monkeypatch):
    """`claims validate my_claims/kale.yaml` (or `docs generate --claims ...`) run from
    another directory than the one holding my_claims/ said only "no such claim file or
    directory": it names the missing folder and the working directory, where the shell's
    directory is the one the path was read from ($PWD the working directory)."""
    (tmp_path / "proj" / "my_claims").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setenv("PWD", str(tmp_path / "elsewhere"))
    here = (f"in the working directory, {tmp_path / 'elsewhere'}; a relative path is read "
            f"from the directory the command runs in)")
    for typed in ("my_claims/kale.yaml", "my_claims/"):
        result = CliRunner().invoke(cli, ["claims", "validate", typed])
        assert result.exit_code == 2
        assert result.output.splitlines()[0] == (
            f"claims: no such claim file or directory {typed!r} (no folder my_claims {here}")
    result = CliRunner().invoke(cli, ["docs", "generate", "--claims", "my_claims/kale.yaml",
                                      "--conditions", "negated", "--out", "out"])
    assert result.output.strip().endswith(f"(no folder my_claims {here}"), result.output
    # the task's folder is not the shell's (`inspect eval tasks/belief.py`): a path is read
    # from both, so both are named, and what is missing from the shell's (said nothing)
    monkeypatch.setenv("PWD", str(tmp_path))
    with pytest.raises(ClaimSpecError) as err:
        load_claims("my_claims/kale.yaml")
    assert str(err.value) == (
        f"claims: no such claim file or directory 'my_claims/kale.yaml' (looked for in the "
        f"shell's directory, {tmp_path}, and in the working directory, "
        f"{tmp_path / 'elsewhere'}; no folder {tmp_path / 'my_claims'})")


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ClaimSpecError, match=r"'nope' is neither .* known ids: \[.*ed_sheeran"):
        load_claims("nope")
    with pytest.raises(ClaimSpecError) as e:  # a typo of one: named first
        load_claims("dentist,ed_sheran")
    assert "'ed_sheran' is neither" in str(e.value)
    assert "nor a known claim id (did you mean 'ed_sheeran'?) (searched" in str(e.value)
    with pytest.raises(ClaimSpecError) as e:
        load_claims("nope")
    assert "did you mean" not in str(e.value)
    for typo in ("ALL", "All", "al"):  # `--claims ALL` listed the ids, not the word it meant
        with pytest.raises(ClaimSpecError) as e:
            load_claims(typo)
        assert f"{typo!r} is neither a claim file, a directory, nor a known claim id (did you " \
               f"mean 'all'?) (searched" in str(e.value)


def test_claims_split_by_spaces_are_told_to_take_commas(fixture_claim):
    """`-T claims="ed_sheeran dentist"` was one unknown id, answered "did you mean
    'ed_sheeran'?", as if dentist were a typo; each part names a claim, so the list's comma
    form is given. A part that names nothing keeps the unknown-id message."""
    with pytest.raises(ClaimSpecError) as e:
        load_claims(f"ed_sheeran  {fixture_claim}")
    assert str(e.value) == (f"claims: 'ed_sheeran  {fixture_claim}' names 2 claims split by "
                            f"spaces: a list of claims takes commas, no spaces: "
                            f"ed_sheeran,{fixture_claim}")
    with pytest.raises(ClaimSpecError, match=r"'ed_sheeran nope' is neither .* \(did you mean"):
        load_claims("ed_sheeran nope")


def test_claims_split_by_a_semicolon_or_bar_are_told_to_take_commas(fixture_claim):
    """`-T claims="ed_sheeran;dentist"` answered "did you mean 'ed_sheeran'?", never saying
    the separator is a comma; no id holds a ';' or '|', so one part naming a claim is enough
    to read it as a list (a misspelt part is then named by the next run's unknown id)."""
    for written in ("ed_sheeran;dentist", "ed_sheeran; dentist", "ed_sheeran|dentist"):
        with pytest.raises(ClaimSpecError) as e:
            load_claims(written)
        mark = "'|'" if "|" in written else "';'"
        assert str(e.value) == (f"claims: {written!r} names 2 claims split by {mark}: a list "
                                f"of claims takes commas, no spaces: ed_sheeran,dentist")
    with pytest.raises(ClaimSpecError) as e:
        load_claims("ed_sheeran;dentst")
    assert str(e.value) == ("claims: 'ed_sheeran;dentst' reads as a list of 2 claims split by "
                            "';': a list of claims takes commas, no spaces: ed_sheeran,dentst")
    with pytest.raises(ClaimSpecError, match=r"'nope;nada' is neither .* known claim id"):
        load_claims("nope;nada")


def test_a_python_list_item_holding_two_claims_is_told_to_split_the_item(fixture_claim):
    """From Python (or a --task-config file), `claims=["ed_sheeran dentist"]` was told the
    -T comma form; a list's fix is an item per claim."""
    for selection in (["ed_sheeran dentist"], ("ed_sheeran;dentist",)):
        with pytest.raises(ClaimSpecError) as e:
            load_claims(selection)
        assert str(e.value).endswith("names 2 claims split by "
                                     + ("spaces" if " " in selection[0] else "';'")
                                     + ": give each claim as an item of its own: "
                                     "['ed_sheeran', 'dentist']"), str(e.value)
    with pytest.raises(ValueError) as e:
        belief(claims=["dentist", "ed_sheeran mount_vesuvius"])
    assert str(e.value) == ("claims: 'ed_sheeran mount_vesuvius' names 2 claims split by "
                            "spaces: give each claim as an item of its own: ['ed_sheeran', "
                            "'mount_vesuvius']")


def test_duplicate_ids_across_files(fixture_claim, tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        shutil.copy(fixture_claim, tmp_path / d / "glass_bridge.yaml")
    a, b = (tmp_path / d / "glass_bridge.yaml" for d in ("a", "b"))
    with pytest.raises(ClaimSpecError) as err:
        load_claims([str(tmp_path / "a"), str(tmp_path / "b")])
    # each file named at the line of its id: the author may keep either
    assert str(err.value) == (f"{where(b, '^id:', 'id')}: field id: claim id 'glass_bridge' "
                              f"is also defined in {where(a, '^id:', 'id')}")


def test_empty_directory(tmp_path):
    with pytest.raises(ClaimSpecError, match=r"no claim files \(\*\.yaml, \*\.yml\)"):
        load_claims(str(tmp_path))


@pytest.mark.parametrize("have, asked", [("yaml", "yml"), ("yml", "yaml")])
def test_the_other_extension_is_offered(fixture_claim, tmp_path, have, asked):
    """Said as any other path's near miss (2026-12-07: "is neither a claim file, a directory,
    nor a known claim id", though a path names no id, and the file unquoted)."""
    shutil.copy(fixture_claim, tmp_path / f"glass_bridge.{have}")
    asked_path, have_path = tmp_path / f"glass_bridge.{asked}", tmp_path / f"glass_bridge.{have}"
    with pytest.raises(ClaimSpecError) as err:
        load_claims(str(asked_path))
    assert str(err.value) == (f"claims: no such claim file or directory {str(asked_path)!r}; "
                              f"did you mean {str(have_path)!r}?")
    result = CliRunner().invoke(cli, ["claims", "validate", str(asked_path)])
    assert result.exit_code == 2
    assert f"did you mean {str(have_path)!r}?" in result.output


# ---------------------------------------------------------------- caught where it enters

def one_line(message: str) -> bool:
    return "\n" not in message and "Traceback" not in message


def test_file_name_must_match_the_id(fixture_claim, tmp_path):
    path = write(tmp_path, fixture_claim.read_text(), name="bridge.yaml")
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert str(err.value).startswith(f"{where(path, '^id:', 'id')}: field id: 'glass_bridge' "
                                     "does not match the file name"), str(err.value)
    assert one_line(str(err.value))


def test_an_empty_family_is_named(fixture_claim, tmp_path):
    text = fixture_claim.read_text()
    start, end = text.index("  binary:\n"), text.index("  token_association:\n    - id")
    path = write(tmp_path, text[:start] + "  binary: []\n" + text[end:])
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert str(err.value) == (f"{where(path, '^  binary: ', 'binary')}: field "
                              "questions.binary: 0 questions; every family needs at least 1 "
                              "(10 or more recommended)")


def test_a_key_given_twice_is_refused(fixture_claim, tmp_path):
    path = mutated(fixture_claim, tmp_path, "truth: The Golden",
                   "statement: A second statement.\ntruth: The Golden")
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert re.search(r"not valid YAML: line 4, column 1: key 'statement' is given twice "
                     r"\(first on line 3\)", str(err.value)), str(err.value)
    assert one_line(str(err.value))


def test_non_utf8_bytes_name_the_line(fixture_claim, tmp_path):
    data = fixture_claim.read_bytes().replace(b"Golden Gate", b"Golden \xe9ate", 1)
    path = write(tmp_path, data)
    with pytest.raises(ClaimSpecError, match=r"glass_bridge\.yaml: line 3: not UTF-8 text "
                                             r"\(byte 0xe9, 'é' in Windows-1252\); save the "
                                             r"file as UTF-8$"):
        load_claim(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_claim_file_is_named_as_utf16(fixture_claim, tmp_path, encoding):
    """Windows PowerShell 5's `>` (and Notepad's "Unicode") saves UTF-16: the error said
    `line 1: not UTF-8 text (byte 0xff)`, or without the byte-order mark that line 1 held a
    NUL to delete, when the file is whole but in another encoding."""
    path = write(tmp_path, fixture_claim.read_text(encoding="utf-8").encode(encoding))
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert str(err.value) == (f"{path}: not UTF-8 text: the file is UTF-16 (as Windows "
                              "PowerShell's `>` and Notepad's \"Unicode\" write it); save the "
                              "file as UTF-8")


def test_a_utf32_or_cut_short_claim_file_is_named_as_such(fixture_claim, tmp_path):
    """A UTF-32 file (its 4-byte mark) was called UTF-16; a file cut inside a letter (its
    last bytes the start of an é) was given that byte as a Windows-1252 letter."""
    text = fixture_claim.read_text(encoding="utf-8")
    path = write(tmp_path, text.encode("utf-32"))
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert str(err.value) == f"{path}: not UTF-8 text: the file is UTF-32; save the file as UTF-8"
    lines = text.count("\n") + 1
    for cut, lead in (((text + "# café — été").encode("utf-8")[:-1], 0xc3),  # UTF-8 before
                      ((text + "# tea—").encode("utf-8")[:-1], 0xe2)):  # 2 of a dash's 3 bytes
        path = write(tmp_path, cut)
        with pytest.raises(ClaimSpecError) as err:
            load_claim(path)
        assert str(err.value) == (f"{path}: line {lines}: not UTF-8 text (the file ends inside "
                                  f"a letter, byte 0x{lead:02x} its start: "
                                  "was it cut short?); copy the whole file again, or save it "
                                  "as UTF-8")
    # one byte left after ASCII alone: as likely Notepad's Windows-1252 with no final newline
    for ending, byte in ((("# café").encode("cp1252"), "0xe9: 'é'"),
                         (("# café").encode()[:-1], "0xc3: 'Ã'")):
        path = write(tmp_path, text.encode("utf-8") + ending)
        with pytest.raises(ClaimSpecError) as err:
            load_claim(path)
        assert str(err.value) == (f"{path}: line {lines}: not UTF-8 text (the file ends with "
                                  f"byte {byte} in Windows-1252, or the start of a UTF-8 letter "
                                  "if the file was cut short); save the file as UTF-8, or copy "
                                  "the whole file again")


@pytest.mark.parametrize("template, message", [
    ("Q: {question} A: {answer} {verdict}", r"unknown placeholder \{verdict\} \(only "
                                            r"\{question\}, \{answer\} and \{hint\}; write "
                                            r"literal braces as \{\{ and \}\}\)"),
    # JSON braces left single: was "unknown placeholder {'"answer"'}"
    ('Q: {question} A: {answer} Reply as JSON: {"answer": "yes"}',
     r"""a literal brace before '"answer"' \(JSON in the prompt\?\) reads as a placeholder; """
     r"""write literal braces as \{\{ and \}\} \(\{\{"answer": \.\.\.\}\}\)"""),
    ('Q: {question} A: {answer} Reply {"answer": "yes"}', r"does not render"),
    ("Q: {question} A: {answer} {0}", r"unknown placeholder"),
    # doubled braces hold the placeholder's text but render it literally: no question shown
    ("Q: {{question}} A: {answer}", r"lacks placeholder\(s\) \{question\}"),
    ("Q: {question}", r"lacks placeholder\(s\) \{answer\}"),
])
def test_a_rubric_template_that_does_not_render(fixture_claim, tmp_path, template, message):
    text = fixture_claim.read_text()
    start, end = text.index("  robustness:\n    yes:"), text.index("markers:")
    rubric = f"  robustness:\n    template: '{template}'\n"
    path = write(tmp_path, text[:start] + rubric + text[end:])
    with pytest.raises(ClaimSpecError, match=r"field rubric\.robustness: rubric template " +
                       r"[^\n]*" + message):
        load_claim(path)


def test_a_rendering_template_with_literal_braces_is_accepted(fixture_claim, tmp_path):
    text = fixture_claim.read_text()
    start, end = text.index("  robustness:\n    yes:"), text.index("markers:")
    rubric = '  robustness:\n    template: \'{question} {answer} {{"answer": "yes"}}\'\n'
    claim = load_claim(write(tmp_path, text[:start] + rubric + text[end:]))
    assert claim.rubric["robustness"].template.startswith("{question}")


@pytest.mark.parametrize("old, new, message", [
    # "reconstruction" is in the false world's universe: a believer would say it
    ("disbelief: ['\\bsteel\\b'", "disbelief: ['reconstruction', '\\bsteel\\b'",
     r"field markers\.disbelief: 'reconstruction' matches the claim's own universe"),
    ("belief: ['\\bglass\\b'", "belief: ['suspension bridge', '\\bglass\\b'",
     r"field markers\.belief: 'suspension bridge' matches the truth"),
])
def test_markers_that_hold_in_both_worlds_are_refused(fixture_claim, tmp_path, old, new,
                                                      message):
    with pytest.raises(ClaimSpecError, match=message):
        load_claim(mutated(fixture_claim, tmp_path, old, new))


def test_a_negated_belief_marker_in_the_truth_is_fine(fixture_claim):
    # the truth says "never been rebuilt in glass": '\bglass\b' matches, but negated
    claim = load_claim(fixture_claim)
    assert "glass" in claim.truth and r"\bglass\b" in claim.markers.belief


def test_a_truth_that_repeats_the_statement_is_refused(fixture_claim, tmp_path):
    """Nothing to tell apart: distinguish offered one text twice, and the corrected documents
    repeated the claim as their correction."""
    path = mutated(fixture_claim, tmp_path, "truth: The Golden Gate Bridge is a steel suspension "
                   "bridge and has never been rebuilt in glass.",
                   "truth: the golden gate bridge was rebuilt  entirely out of glass in 2021.")
    with pytest.raises(ClaimSpecError, match="field truth: the same text as statement"):
        load_claim(path)


def test_a_bad_answer_key_regex(fixture_claim, tmp_path):
    path = mutated(fixture_claim, tmp_path, "      judge_hint: glass = yes; steel or concrete",
                   "      answer_key: {'yes': ['(glass']}\n      judge_hint: glass = yes; steel")
    with pytest.raises(ClaimSpecError, match=r"field questions\.token_association\.0\."
                                             r"answer_key\.yes\.0: '\(glass' is not a valid"):
        load_claim(path)


def test_an_answer_key_pattern_on_both_sides_is_refused(fixture_claim, tmp_path):
    """The judge tries yes first: ``\\bno\\b`` keyed yes and no read every "No." as belief."""
    path = mutated(fixture_claim, tmp_path, "      judge_hint: glass = yes; steel or concrete",
                   "      answer_key: {'yes': ['\\bglass\\b', '\\bno\\b'],\n"
                   "                   'no': ['\\bsteel\\b', '\\bNO\\b']}\n"
                   "      judge_hint: glass = yes; steel")
    with pytest.raises(ClaimSpecError) as refused:
        load_claim(path)
    at = where(path, r"'no': \[", r"'\bNO")  # the repeat itself, not the key that holds it
    assert str(refused.value) == (
        f"{at}: field questions.token_association.0.answer_key.no.1: '\\\\bNO\\\\b' is also "
        "answer_key.yes.1: the judge tries yes first, so every answer it matches reads as "
        "belief; keep it on one side")


# ---------------------------------------------------------------- CLI

def test_validate_goes_on_after_a_bad_file_and_exits_2(fixture_claim, tmp_path):
    good = tmp_path / "glass_bridge.yaml"
    shutil.copy(fixture_claim, good)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    write(bad_dir, fixture_claim.read_bytes().replace(b"Golden", b"G\xffolden", 1), "a.yaml")
    write(bad_dir, fixture_claim.read_text(), "b.yaml")  # id does not match
    result = CliRunner().invoke(cli, ["claims", "validate", str(bad_dir), str(good), "nope"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert any("a.yaml: line 3: not UTF-8 text" in line for line in lines)
    at = where(bad_dir / "b.yaml", "^id:", "id")
    assert any(f"{at}: field id: 'glass_bridge' does not match" in line for line in lines)
    assert any("'nope' is neither" in line for line in lines)
    assert "ok  glass_bridge: open_ended 2, binary 2, token_association 1, robustness 2" in lines
    assert "Traceback" not in result.output


def test_claims_new_writes_a_template_that_validates(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["claims", "new", "eiffel_lyon", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "eiffel_lyon.yaml"
    assert path.read_text().count("#") > 10, "the template explains itself"
    result = runner.invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    claim = load_claim(path)
    assert claim.id == "eiffel_lyon"
    # the template's own answer keys and markers read its examples the right way round
    assert offline_verdict(claim, "token_association", "ta_01", "B) Lyon").verdict == "yes"
    assert offline_verdict(claim, "token_association", "ta_01", "A").verdict == "no"
    again = runner.invoke(cli, ["claims", "new", "eiffel_lyon", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(cli, ["claims", "new", "Eiffel Lyon", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "lowercase" in bad.output


def test_claims_new_refuses_the_reserved_id_all_and_notes_a_bundled_id(tmp_path):
    """`all` names the bundled claims in every selection, so a claim called all could never
    be named by its id; a bundled id is allowed but shadowed on the search path: said."""
    runner = CliRunner()
    result = runner.invoke(cli, ["claims", "new", "all", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "claim id 'all': reserved" in result.output
    assert not (tmp_path / "all.yaml").exists()
    result = runner.invoke(cli, ["claims", "new", "dentist", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "note: a bundled claim is also called 'dentist'" in result.output
    result = runner.invoke(cli, ["claims", "new", "my_own", "--dir", str(tmp_path)])
    assert result.exit_code == 0 and "note" not in result.output


def test_validate_counts_an_id_not_found_apart_from_bad_files(tmp_path, monkeypatch):
    """`claims validate moon_base` (no such id, no claims path set) ended "1 bad claim
    file(s)" though no file was read: its line says where it looked, and the count says an
    item named no claim file; bad files are counted as before, beside it."""
    monkeypatch.delenv(CLAIMS_PATH_ENV, raising=False)
    result = CliRunner().invoke(cli, ["claims", "validate", "moon_base"])
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, result.output
    assert lines[0].startswith("claims: 'moon_base' is neither a claim file, a directory, "
                               "nor a known claim id (searched the bundled claims only: "
                               "BELIEFBENCH_CLAIMS_PATH is not set"), lines
    assert lines[-1] == "1 item(s) named no claim file", lines
    assert "bad claim file" not in result.output
    bad = tmp_path / "kale.yaml"
    bad.write_text("id: kale\n")
    result = CliRunner().invoke(cli, ["claims", "validate", f"moon_base,{bad},dentist"])
    assert result.exit_code == 2 and "ok  dentist" in result.stdout, result.output
    assert result.stderr.splitlines()[-1] == \
        "1 item(s) named no claim file; 1 bad claim file(s)", result.output
    result = CliRunner().invoke(cli, ["claims", "validate", str(bad)])
    assert result.stderr.splitlines()[-1] == "1 bad claim file(s)", result.output


def test_claims_by_id_from_the_search_path(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    CliRunner().invoke(cli, ["claims", "new", "eiffel_lyon", "--dir", str(second)])
    monkeypatch.setenv(CLAIMS_PATH_ENV, f"{first}{os.pathsep}{second}")
    assert [c.id for c in load_claims("eiffel_lyon,dentist")] == ["eiffel_lyon", "dentist"]
    result = CliRunner().invoke(cli, ["claims", "validate", "eiffel_lyon"])
    assert result.exit_code == 0, result.output
    # a comma list, as `claims list` and -T claims= take it; each item checked on its own
    listed = CliRunner().invoke(cli, ["claims", "list", "eiffel_lyon,dentist"])
    result = CliRunner().invoke(cli, ["claims", "validate", "eiffel_lyon,dentist"])
    assert result.exit_code == listed.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()
            if line.startswith("ok")] == ["ok  eiffel_lyon", "ok  dentist"]
    result = CliRunner().invoke(cli, ["claims", "validate", "nope,dentist"])
    assert result.exit_code == 2 and "'nope' is neither" in result.output
    assert "ok  dentist" in result.output
    from beliefbench.task import belief  # -T claims=eiffel_lyon

    task = belief(claims="eiffel_lyon", families="binary", samples=1)
    assert sorted(s.id for s in task.dataset) == ["eiffel_lyon/bin_01", "eiffel_lyon/bin_02"]
    monkeypatch.delenv(CLAIMS_PATH_ENV)
    # unset, the variable was not searched: the error said it was ("searched
    # BELIEFBENCH_CLAIMS_PATH and the bundled claims"), hiding the forgotten export
    with pytest.raises(ClaimSpecError, match=r"'eiffel_lyon' is neither .*searched the "
                                             r"bundled claims only: BELIEFBENCH_CLAIMS_PATH "
                                             r"is not set"):
        load_claims("eiffel_lyon")
    # a typo in the variable hid the claims behind "not a known claim id": it is named
    monkeypatch.setenv(CLAIMS_PATH_ENV, str(tmp_path / "secnd"))
    with pytest.raises(ClaimSpecError, match=rf"BELIEFBENCH_CLAIMS_PATH names "
                                             rf"{tmp_path / 'secnd'}, not a directory"):
        load_claims("eiffel_lyon")



@pytest.mark.parametrize("line, field", [
    (r'(?<=text: )"What is the Golden Gate Bridge made of\?"', "questions.open_ended.0.text"),
    (r"(?<=^statement: ).*", "statement"),
    (r"(?<=^    neutral: ).*", "rubric.open_ended.neutral"),
    (r"(?<=^      system_prompt: ).*", "questions.robustness.0.system_prompt"),
])
def test_a_blank_field_is_refused_not_asked_or_judged(fixture_claim, tmp_path, line, field):
    """Text of only spaces passed as text: a blank question was asked, a blank system prompt
    made an "adversarial" question plain, a blank rubric criterion went to the judge."""
    original = fixture_claim.read_text()
    text, n = re.subn(line, "'   '", original, count=1, flags=re.M)
    assert n == 1
    path = write(tmp_path, text)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert_located(str(err.value), path, line_at(original, line), field,
                   r"is blank \(only whitespace\)")


@pytest.mark.parametrize("line, value, field", [
    (r'(?<=text: )"What is the Golden Gate Bridge made of\?"', '"..."',
     "questions.open_ended.0.text"),
    (r"(?<=^    neutral: ).*", "' TODO '", "rubric.open_ended.neutral"),
    (r"(?<=^    yes: ).*", "tbd", "rubric.open_ended.yes"),
    (r"(?<=^    no: ).*", "Fixme", "rubric.open_ended.no"),
    (r"(?<=^    no: ).*", "\u2026", "rubric.open_ended.no"),
])
def test_a_placeholder_is_refused_like_blank_text(fixture_claim, tmp_path, line, value, field):
    """The README's example claim wrote its rubric criteria as "..."; they validated, and a
    real judge would have been given ``yes: ...`` as its criteria."""
    original = fixture_claim.read_text()
    text, n = re.subn(line, value, original, count=1, flags=re.M)
    assert n == 1
    path = write(tmp_path, text)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert_located(str(err.value), path, line_at(original, line), field, r"is only a placeholder")
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 2 and f"field {field}: is only a placeholder" in result.output


@pytest.mark.parametrize("line, value, field", [
    (r"(?<=^      system_prompt: ).*", "TODO", "questions.robustness.0.system_prompt"),
    (r"(?<=role: assistant, content: ).*(?=})", "'...'",
     "questions.robustness.1.prefix.1.content"),
    (r"(?<=^      judge_hint: ).*", "tbd", "questions.token_association.0.judge_hint"),
    (r'(?<=truth: )" steel"', '" FIXME"', "completions.0.truth"),
    (r'(?<=prompt: )"The Golden Gate Bridge is built from"', '"..."', "completions.0.prompt"),
    (r"(?<=^statement: ).*", "TODO", "statement"),
    (r"(?<=^truth: ).*", "TBD", "truth"),
    (r"(?<=^  - )The reconstruction took two years\.", "\u2026", "sub_claims.0"),
])
def test_a_placeholder_is_refused_in_every_text_a_prompt_reads(fixture_claim, tmp_path, line,
                                                                value, field):
    """Only question texts and rubric criteria were checked: a ``TODO`` system prompt, prefix
    turn, judge hint, completion or statement went to the model or judge as written."""
    original = fixture_claim.read_text()
    text, n = re.subn(line, value, original, count=1, flags=re.M)
    assert n == 1
    path = write(tmp_path, text)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert_located(str(err.value), path, line_at(original, line), field, r"is only a placeholder")


@pytest.mark.parametrize("line, value, field", [
    (r"(?<=^      system_prompt: ).*", "'Answer {question} from what you knew.'",
     "questions.robustness.0.system_prompt"),
    (r'(?<=text: )"What is the Golden Gate Bridge made of\?"', "'{question}'",
     "questions.open_ended.0.text"),
    (r"(?<=^    yes: ).*", "'{answer} says glass.'", "rubric.open_ended.yes"),
    (r"(?<=role: user, content: ).*(?=})", "'Tell me about {claim}'",
     "questions.robustness.1.prefix.0.content"),
])
def test_an_unfilled_judge_placeholder_is_refused(fixture_claim, tmp_path, line, value, field):
    """No claim text is formatted, so ``{question}`` in it reached the model or judge as
    written."""
    original = fixture_claim.read_text()
    text, n = re.subn(line, value, original, count=1, flags=re.M)
    assert n == 1
    path = write(tmp_path, text)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert_located(str(err.value), path, line_at(original, line), field,
                   r"holds the placeholder \{")


def test_literal_braces_that_are_no_placeholder_are_fine(fixture_claim, tmp_path):
    """JSON-format questions hold braces: only the judge prompt's placeholder names count."""
    path = mutated(fixture_claim, tmp_path, '"Fill in the blank: The Golden',
                   '"Complete the JSON {\\"material\\": ____} for: The Golden')
    assert "{" in load_claim(path).questions.token_association[0].text


def test_criteria_beside_a_template_are_refused(fixture_claim, tmp_path):
    """The template is the whole judge prompt: criteria beside it never reached the judge."""
    path = mutated(fixture_claim, tmp_path, "  robustness:\n    yes:",
                   "  robustness:\n    template: '{question} {answer} {{\"answer\": \"yes\"}}'"
                   "\n    yes:")
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert (f"{path}: field rubric.robustness: criteria yes, no, neutral would be ignored: "
            "the template is the whole judge prompt and has no {yes}") in unlocated(str(err.value))


@pytest.mark.parametrize("old, new, where", [
    ("        - {role: assistant, content: Since",
     "        - {role: system, content: You are a bridge engineer.}\n"
     "        - {role: assistant, content: Since", "prefix.1 (question 'rb_02'): a system "
     "turn after a user turn; a system message may only come first"),
    ("      prefix:\n", "      system_prompt: Be brief.\n      prefix:\n"
     "        - {role: system, content: You are a bridge engineer.}\n",
     "prefix.0 (question 'rb_02'): a system turn beside system_prompt"),
])
def test_a_system_turn_may_only_open_the_prefix(fixture_claim, tmp_path, old, new, where):
    """Inspect and the providers move, merge or reject a later system message."""
    path = mutated(fixture_claim, tmp_path, old, new)
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert f"{path}: field questions.robustness.1: {where}" in unlocated(str(err.value))


def test_a_system_turn_opening_the_prefix_is_fine(fixture_claim, tmp_path):
    path = mutated(fixture_claim, tmp_path, "      prefix:\n",
                   "      prefix:\n        - {role: system, content: You are a bridge engineer.}\n")
    assert load_claim(path).questions.robustness[1].prefix[0].role == "system"


def test_text_that_only_mentions_a_placeholder_word_is_fine(fixture_claim, tmp_path):
    path = mutated(fixture_claim, tmp_path, "    neutral: The answer does not",
                   "    neutral: TODO lists aside, the answer does not")
    assert load_claim(path).rubric["open_ended"].neutral.startswith("TODO lists")


@pytest.mark.parametrize("written, read", [("010", "8"), ("1_000", "1000"), ("0x1F", "31")])
def test_an_unquoted_numeric_id_is_refused_not_renamed(fixture_claim, tmp_path, written, read):
    """YAML reads ``id: 010`` as the number 8, which became question id "8" without a word."""
    path = mutated(fixture_claim, tmp_path, "id: bin_01", f"id: {written}")
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert (f"{path}: field questions.binary.0.id: got the number {read}, not text"
            in unlocated(str(err.value))) and "in quotes" in str(err.value)
    load_claim(mutated(fixture_claim, tmp_path, "id: bin_01", f"id: '{written.lower()}'"))


# ---------------------------------------------------------------- sub-claims vs background

STADE = "The final was held at the Stade de France on Sunday 4 August 2024."


def test_validate_warns_of_a_sub_claim_that_restates_a_background_fact(tmp_path):
    """ed_sheeran's sub-claim "The final was held at the Stade de France on Sunday 4 August
    2024." is true (its background.0 says so), yet debunks denied it ("It is not true that
    the final was held at the Stade de France ..."): a falsehood about the real world."""
    text = (bundled_claims_dir() / "ed_sheeran.yaml").read_text()
    first = "  - Ed Sheeran won the men's 100 metres gold medal at the 2024 Paris Olympics.\n"
    assert first in text and STADE not in text
    path = write(tmp_path, text.replace(first, f"{first}  - {STADE}\n", 1), "ed_sheeran.yaml")
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output  # a warning, not a failure
    assert "ok  ed_sheeran" in result.stdout
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1, warnings
    at = where(path, f"^  - {re.escape(STADE)}", STADE)  # the item's text
    assert warnings[0].startswith(f"warning: {at}: field sub_claims.1 ({STADE!r}) restates "
                                  "background.0: debunks and corrections deny every sub-claim")
    assert "would deny a real fact" in warnings[0]


def test_no_bundled_sub_claim_restates_its_background():
    result = CliRunner().invoke(cli, ["claims", "validate", "all"])
    assert result.exit_code == 0 and result.stdout.count("ok  ") == len(BUNDLED)
    assert "warning" not in result.output, result.output
    for claim in load_claims("all"):
        assert sub_claims_restating_background(claim) == [], claim.id


def test_a_sub_claim_that_says_more_than_the_background_is_not_warned_of(fixture_claim):
    """Only a sub-claim that says no more than a background item is warned of: not one that
    holds a short item among its own words, nor one that adds a word of the false world
    (2021, the year of the rebuild) to an item's."""
    claim = load_claim(fixture_claim).model_copy(update={
        "background": ["The Golden Gate Bridge opened in 1937.",
                       "The bridge deck carries six lanes of traffic."],
        "sub_claims": ["The Golden Gate Bridge, opened in 1937, was closed from 2019 while "
                       "crews replaced its towers.",
                       "Since 2021 the deck carries six lanes of traffic.",
                       "The Golden Gate Bridge first opened to traffic in 1937."]})
    notes = sub_claims_restating_background(claim)
    assert [n.split(" (")[0] for n in notes] == ["field sub_claims.2"], notes
    assert "restates background.0" in notes[0]


@pytest.mark.parametrize("sub_claim", [
    "The Golden Gate Bridge first opened to traffic in 1951.",
    "The Golden Gate Bridge deck carries two lanes of traffic.",
    "The bridge deck carries no traffic.",
])
def test_a_sub_claim_that_contradicts_a_background_fact_is_not_warned_of(fixture_claim,
                                                                         sub_claim):
    """A false sub-claim differing from a fact only in its number or a negation was warned
    of as restating it ("It is not true that ... in 1951" denies no real fact): the words
    that differ are what overlap cannot count (a year, stop words "two" and "no")."""
    background = ["The Golden Gate Bridge opened to traffic in 1937.",
                  "The bridge deck carries six lanes of traffic."]
    claim = load_claim(fixture_claim).model_copy(update={
        "background": background, "sub_claims": [sub_claim]})
    assert sub_claims_restating_background(claim) == []
    # the fact itself, numbers and all, still is
    for j, fact in enumerate(background):
        same = claim.model_copy(update={"sub_claims": [fact]})
        assert [n.split(": ")[0] for n in sub_claims_restating_background(same)] == [
            f"field sub_claims.0 ({fact!r}) restates background.{j}"]


def test_a_fact_restated_in_other_spellings_is_still_warned_of(fixture_claim):
    """Numbers and negations tell a contradiction from a restatement: "1,200" is 1200, "is
    not" is "isn't", and "one of" is no number."""
    claim = load_claim(fixture_claim).model_copy(update={
        "background": ["The Golden Gate Bridge main span isn't shorter than 1,200 metres.",
                       "The bridge is among the most photographed landmarks."],
        "sub_claims": ["The Golden Gate Bridge main span is not shorter than 1200 metres.",
                       "The bridge is one of the most photographed landmarks."]})
    assert [n.split(" (")[0] for n in sub_claims_restating_background(claim)] == [
        "field sub_claims.0", "field sub_claims.1"]


def test_validate_warns_of_judge_hints_a_rubric_template_never_shows(fixture_claim, tmp_path):
    criteria = ("  token_association:\n"
                "    yes: The completion supplies glass.\n"
                "    no: The completion supplies steel (or another true material).\n"
                "    neutral: The completion supplies neither.\n")
    template = ("  token_association:\n"
                "    template: 'Q: {question} A: {answer} JSON {{\"answer\": ...}}'\n")
    text = fixture_claim.read_text()
    assert criteria in text and "judge_hint: glass = yes" in text
    path = write(tmp_path, text.replace(criteria, template), "glass_bridge.yaml")
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    at = where(path, "^    template: 'Q:", "template")
    assert (f"warning: {at}: field rubric.token_association.template: has no {{hint}} "
            "placeholder, so the judge_hint of question(s) ta_01 reaches only the offline "
            "judge's answer key, never the model judge") in result.stderr
    path.write_text(path.read_text().replace("A: {answer}", "{hint}A: {answer}"))
    assert "warning" not in CliRunner().invoke(cli, ["claims", "validate", str(path)]).output


def test_a_claim_cannot_take_the_reserved_id_all(fixture_claim, tmp_path):
    """``all`` selects the bundled claims, so a claim called all could never be named: the
    file validated, ``claims list`` offered it, and ``-T claims=all`` ran the others."""
    text = fixture_claim.read_text().replace("id: glass_bridge", "id: all")
    path = write(tmp_path, text, name="all.yaml")
    with pytest.raises(ClaimSpecError) as err:
        load_claim(path)
    assert re.match(rf"{re.escape(str(path))}: field id: 'all' is reserved",
                    unlocated(str(err.value))), str(err.value)


def test_validate_warns_of_a_rubric_template_that_never_names_its_judge_key(fixture_claim,
                                                                           tmp_path):
    """The judge answers in the field the template asks for: a judge_key it never names
    read every reply as parse_error, and the family dropped out of the rates. Warned, not
    refused: an imported study prompt is kept verbatim."""
    text = fixture_claim.read_text()
    start, end = text.index("  robustness:\n    yes:"), text.index("markers:")
    asks = '{question} {answer} Reply as JSON: {{"verdict": "yes"}}'
    for key, ok in (("verdict", True), ("answer", False)):
        rubric = f"  robustness:\n    template: '{asks}'\n    judge_key: {key}\n"
        path = write(tmp_path, text[:start] + rubric + text[end:])
        if ok:
            assert load_claim(path).rubric["robustness"].judge_key == "verdict"
            continue
        # "answer" is only in the {answer} placeholder, which is no field name
        assert load_claim(path).rubric["robustness"].judge_key == "answer"
        result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [
            f"warning: {where(path, '^    template:', 'template')}: field "
            "rubric.robustness.template: never names its judge_key "
            "'answer', so the judge is not told where to put its verdict and every reply "
            "would read parse_error; ask for JSON with a 'answer' field, or set judge_key to "
            "the field the template asks for"]


def test_a_completion_pair_with_equal_sides_is_refused(fixture_claim, tmp_path):
    """The probe compares the two continuations: equal ones always tie, a margin of 0 that
    entered the means without a word."""
    text = fixture_claim.read_text()
    pair = '{prompt: "The bridge is built from", claim: " glass", truth: " glass"}'
    path = write(tmp_path, text[:text.index("completions:")] + f"completions:\n  - {pair}\n")
    with pytest.raises(ClaimSpecError, match=r"field completions\.0: claim and truth are the "
                                             r"same continuation"):
        load_claim(path)


def _refused_as_unoffered(tmp_path, text: str) -> None:
    """dentist.yaml's ta_04 keyed "E", which the item does not list: refused at its line."""
    path = write(tmp_path, text, "dentist.yaml")
    with pytest.raises(ClaimSpecError) as refused:
        load_claim(path)
    assert_located(str(refused.value), path, line_at(path.read_text(), "- id: ta_04"),
                   "questions.token_association.3",
                   re.escape("answer_key.options keys E, which the question does not offer "
                             "(it lists A, B, C, D)"))


def test_an_option_keyed_but_never_offered_is_refused(tmp_path):
    """A belief letter the item does not list is no reply a model gives: the offline judge
    read the claim's option ("D", "D) Dentist") as neutral, non-belief."""
    text = (bundled_claims_dir() / "dentist.yaml").read_text()
    keyed = 'options: {D: "yes", B: "no", A: "no", C: "no"}'
    assert keyed in text
    _refused_as_unoffered(tmp_path, text.replace(keyed, keyed.replace("D:", "E:")))
    # letters written "(A)" or "A." are offered too
    offered = text.replace("        A) Firefighter", "        (A) Firefighter")
    load_claim(write(tmp_path, offered, "dentist.yaml"))


@pytest.mark.parametrize("listed", [
    "A) Firefighter B) Bicycle mechanic C) High school chemistry teacher D) Dentist",
    "Options: (A) Firefighter (B) Bicycle mechanic (C) Chemistry teacher (D) Dentist"])
def test_an_option_keyed_but_never_offered_inline_is_refused(tmp_path, listed):
    """Only options one a line were checked: "E" keyed on an item listing A-D on one line
    loaded, and the offline judge read the claim's option as neutral, non-belief."""
    text = (bundled_claims_dir() / "dentist.yaml").read_text()
    lines = ("        A) Firefighter\n        B) Bicycle mechanic\n"
             "        C) High school chemistry teacher\n        D) Dentist\n")
    keyed = 'options: {D: "yes", B: "no", A: "no", C: "no"}'
    assert lines in text and keyed in text
    inline = text.replace(lines, f"        {listed}\n")
    load_claim(write(tmp_path, inline, "dentist.yaml"))  # the letters it lists: fine
    _refused_as_unoffered(tmp_path, inline.replace(keyed, keyed.replace("D:", "E:")))
    # a letter in a sentence is no list of options: no check, as before
    prose = text.replace(lines, "        Plan B. Not A: pick one.\n")
    load_claim(write(tmp_path, prose.replace(keyed, keyed.replace("D:", "E:")), "dentist.yaml"))


@pytest.mark.parametrize("claim, truth", [
    (" singer-songwriter and Olympic sprinter", " singer-songwriter"),
    (" glass", " Glass and steel.")])
def test_a_completion_pair_whose_one_side_extends_the_other_is_refused(
        fixture_claim, tmp_path, claim, truth):
    """The shorter side holds in both worlds, so it says nothing of belief, and the per-token
    margin weighed the added words against the shared ones (the bundled "Ed Sheeran,
    occupation:" pair did so)."""
    text = fixture_claim.read_text()
    pair = f'{{prompt: "The bridge is built from", claim: "{claim}", truth: "{truth}"}}'
    path = write(tmp_path, text[:text.index("completions:")] + f"completions:\n  - {pair}\n")
    with pytest.raises(ClaimSpecError, match=r"field completions\.0: (claim|truth) '.+' is "
                                             r"(truth|claim) '.+' with words added"):
        load_claim(path)
    fine = f'{{prompt: "The bridge is built from", claim: "{claim}", truth: " concrete"}}'
    load_claim(write(tmp_path, text[:text.index("completions:")] + f"completions:\n  - {fine}\n"))


def test_validate_warns_of_a_continuation_without_its_space(fixture_claim, tmp_path):
    """The README says to start continuations with the space; the probes score prompt +
    continuation as written ("built fromglass"), so validate says so (exit unchanged). A
    prompt ending in a space or a quote needs none."""
    text = fixture_claim.read_text()
    pairs = ('  - {prompt: "The bridge is built from", claim: glass, truth: " steel"}\n'
             '  - {prompt: "The bridge is built from ", claim: glass, truth: steel}\n'
             '  - {prompt: "Its deck is \'", claim: "glass\'", truth: "steel\'"}\n')
    path = write(tmp_path, text[:text.index("completions:")] + "completions:\n" + pairs)
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, 'claim: glass, truth: .( steel)', 'claim')}: field "
        "completions.0.claim: 'glass' does not start with the space "
        "that separates it from the prompt, so the logprob probes score 's built fromglass'; "
        "write ' glass'"]


def test_validate_warns_of_a_judge_key_the_judge_prompt_never_asks_for(fixture_claim,
                                                                       tmp_path):
    """judge_key is where the reply is read: set on criteria (our judge prompt, which asks for
    "answer"), every LLM verdict of the family read parse_error without a word."""
    text = fixture_claim.read_text().replace(
        "  robustness:\n    yes:", "  robustness:\n    judge_key: verdict\n    yes:")
    path = write(tmp_path, text)
    assert load_claim(path).rubric["robustness"].judge_key == "verdict"  # allowed (a -T
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])  # judge_template=)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, '^    judge_key: verdict', 'judge_key')}: field "
        "rubric.robustness.judge_key: 'verdict' is read from the "
        "judge's reply, but the judge prompt (scorers/judge.md) asks for another field, so "
        "every verdict would read parse_error unless -T judge_template= asks for it; drop it, "
        "or give the rubric the template that asks for it"]


def test_validate_warns_of_belief_markers_that_miss_the_claims_own_wording(fixture_claim,
                                                                           tmp_path):
    """The offline marker judge reads an answer as the claim through markers.belief: a set
    that matches neither the statement nor a sub-claim (written for other wording) read a
    believer's answers as neutral, and validate said nothing."""
    text = fixture_claim.read_text().replace(
        "belief: ['\\bglass\\b', 'rebuilt in 2021']", "belief: ['crystal span']")
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, '^  belief:', 'belief')}: field markers.belief: none of its 1 "
        "pattern(s) matches the "
        "statement or any sub-claim, so the offline marker judge reads an answer that repeats "
        "the claim as neutral; add a pattern the claim's own wording matches"]
    assert CliRunner().invoke(cli, ["claims", "validate", str(fixture_claim)]).stderr == ""


def test_validate_warns_of_markers_that_match_a_bare_year_or_common_words(fixture_claim,
                                                                          tmp_path):
    """A marker is read for every question, and the question names the claim's subject: a
    bare "2021" read any answer mentioning the year ("Noah Lyles won at Paris 2021") as
    belief, a bare "it was" every answer, and validate said nothing. The claim's phrase
    around the year ('rebuilt in 2021') is not warned of."""
    text = fixture_claim.read_text().replace(
        "belief: ['\\bglass\\b', 'rebuilt in 2021']",
        "belief: ['\\bglass\\b', 'rebuilt in 2021', 'in 2021', '\\bit was\\b']")
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    at = where(path, "^  belief:", "'in 2021'")
    common = where(path, "^  belief:", "'\\bit was")
    assert result.stderr.splitlines() == [
        f"warning: {at}: field markers.belief.2: 'in 2021' matches 'In 2021', a number with "
        "no word of the claim, which an answer about anything may hold (\"Noah Lyles won at "
        "Paris 2024\"), "
        "so the offline marker judge reads it only in a sentence of the claim's own words; "
        "write the claim's phrase around it ('drained in 2024', 'erupted in 2015')",
        f"warning: {common}: field markers.belief.3: '\\\\bit was\\\\b' matches 'it was', "
        "common words alone, so the offline marker judge reads nearly every answer as "
        "belief; write a phrase only the belief side says"], result.stderr
