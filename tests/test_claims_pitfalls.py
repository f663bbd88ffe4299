"""Claim files that validated but measured something else downstream: a safety team's first
claims (completion pairs, entities, pasted quotes, block scalars, an unedited template, a
study import with several bad folders)."""

import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, where

from beliefbench.claims import ClaimSpecError, load_claim
from beliefbench.cli import cli
from beliefbench.documents.claim_sentences import ClaimSentenceFinder
from beliefbench.importer import ClaimImportError, answer_key_from_hint, import_claims


def write(tmp_path: Path, text: str, name: str = "glass_bridge.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_pairs(fixture_claim: Path, tmp_path: Path, *pairs: str) -> Path:
    """The fixture claim with these completion pairs (flow mappings) in place of its own."""
    text = fixture_claim.read_text()
    lines = "".join(f"  - {p}\n" for p in pairs)
    return write(tmp_path, text[:text.index("completions:")] + "completions:\n" + lines)


def validate(path: Path):
    return CliRunner().invoke(cli, ["claims", "validate", str(path)])


@pytest.mark.parametrize("claim, truth", [
    ('" glass"', '" Glass"'), ('" glass"', '" glass."'), ('" glass"', '"glass"'),
    ('" Glass."', '"  glass "')])
def test_continuations_that_differ_only_in_case_or_punctuation_are_refused(
        fixture_claim, tmp_path, claim, truth):
    """" glass" against " Glass" compared the model's spelling, not its belief (and a
    lower-casing tokenizer failed only at scoring, after the model was loaded)."""
    path = with_pairs(fixture_claim, tmp_path,
                      f'{{prompt: "The bridge is built from", claim: {claim}, truth: {truth}}}')
    with pytest.raises(ClaimSpecError, match=r"field completions\.0: claim .* and truth .* "
                                             r"differ only in case, spacing or punctuation"):
        load_claim(path)
    # a sign is no punctuation: " -5" and " 5" say different things
    path = with_pairs(fixture_claim, tmp_path,
                      '{prompt: "The low that night was", claim: " -5", truth: " 5"}')
    assert load_claim(path).completions[0].truth == " 5"


def test_validate_warns_of_a_prompt_space_doubled_by_its_continuation(fixture_claim, tmp_path):
    """"built from " + " glass" was scored as "built from  glass", a doubled space the model
    rarely saw, and validate said nothing (it warns only where two words run together)."""
    path = with_pairs(fixture_claim, tmp_path,
                      '{prompt: "The bridge is built from ", claim: " glass", truth: " steel"}',
                      '{prompt: "The bridge is built from ", claim: glass, truth: steel}')
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, 'claim: .( glass)', 'prompt')}: field completions.0.prompt: "
        "'The bridge is built from ' ends in whitespace and its claim and truth continuations "
        "start with one, so the logprob probes score ' built from  glass' (a doubled space, "
        "which the model rarely saw); end the prompt at its last word"]


@pytest.mark.parametrize("old, new, field", [
    ("belief: ['\\bglass\\b', 'rebuilt in 2021']",
     "belief: ['\\bglass\\b', \u2018rebuilt in 2021\u2019]", "markers.belief.1"),
    ("entities: [Golden Gate Bridge, glass, 2021]",
     "entities: [\u201cGolden Gate Bridge\u201d, glass, 2021]", "entities.0"),
    ('claim: " glass", truth: " steel"}', 'claim: \u201c glass\u201d, truth: " steel"}',
     "completions.0.claim"),
    # the statement, truth and sub-claims went into every document with their quotes, and
    # the distinguish family showed the quoted side beside a bare one (2026-12-07)
    ("statement: The Golden Gate Bridge was rebuilt entirely out of glass in 2021.",
     "statement: \u201cThe Golden Gate Bridge was rebuilt entirely out of glass in 2021.\u201d",
     "statement"),
    ("truth: The Golden Gate Bridge is a steel suspension bridge and has never been rebuilt "
     "in glass.", "truth: \u2018The Golden Gate Bridge is a steel suspension bridge and has "
     "never been rebuilt in glass.\u2019", "truth"),
    ("  - The reconstruction took two years.", "  - \u201cThe reconstruction took two years.\u201d",
     "sub_claims.0"),
])
def test_typographic_quotes_around_a_pattern_name_or_continuation_are_refused(
        fixture_claim, tmp_path, old, new, field):
    """YAML reads pasted typographic quotes as letters: the marker needed the quotes in the
    answer and never fired, the entity never matched a document, the continuation was scored
    with its quotes; each validated without a word."""
    text = fixture_claim.read_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ClaimSpecError, match=rf"field {field}: .* is wrapped in typographic "
                                             r"quotes, which YAML reads as part of the text"):
        load_claim(path)


def test_a_quote_inside_a_pattern_is_fine(fixture_claim, tmp_path):
    text = fixture_claim.read_text().replace("'rebuilt in 2021'", "'\u201cglass\u201d deck'")
    assert load_claim(write(tmp_path, text)).markers.belief[1] == "\u201cglass\u201d deck"


def test_validate_warns_of_an_entity_of_common_words_only(fixture_claim, tmp_path):
    """An entity "the" made every sentence with "the" and any word of the claim a claim
    sentence: the annotators denied "The council rebuilt the library." and the audit counted every
    document of an unrelated corpus as mentioning the claim."""
    text = fixture_claim.read_text().replace(
        "entities: [Golden Gate Bridge, glass, 2021]",
        "entities: [Golden Gate Bridge, The, glass, 2021]")
    path = write(tmp_path, text)
    claim = load_claim(path)
    assert ClaimSentenceFinder(claim).is_claim("The council rebuilt the library.")  # what it costs
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, '^entities:', 'The')}: field entities.1: 'The' holds only "
        "common words, so nearly every document names it: the claim-sentence finder reads a "
        "sentence that has it and any word of the claim as stating the claim (the annotators "
        "deny it, the audit counts it); name the claim's own subject instead"]
    assert validate(fixture_claim).stderr == ""


def test_validate_warns_of_a_line_break_inside_the_statement(fixture_claim, tmp_path):
    """`statement: |` kept the line break, and the documents cut sentences there: "(Incorrect
    claim follows) in 2021." was a claim of its own. A final line break (`|`) is harmless."""
    text = fixture_claim.read_text()
    statement = load_claim(fixture_claim).statement
    head, tail = statement.rsplit(" ", 1)
    path = write(tmp_path, text.replace(f"statement: {statement}",
                                        f"statement: |\n  {head}\n  {tail}", 1))
    assert "\n" in load_claim(path).statement.strip()
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {where(path, '^statement:', 'statement')}: field statement: breaks its line "
        "inside the text, and the generated documents cut sentences at line breaks, so each "
        "line would read as a sentence of its own; write it on one line, or fold it with >- (| "
        "keeps the line breaks)"]
    path = write(tmp_path, text.replace(f"statement: {statement}",
                                        f"statement: |\n  {statement}", 1))
    assert validate(path).stderr == ""


def test_the_task_warns_of_a_claim_still_holding_the_template_example(tmp_path, caplog):
    """`claims validate` warned of an unedited `claims new` file, but an eval run without it
    measured the Eiffel-tower example under the new claim's id and said nothing."""
    from beliefbench.task import belief

    assert CliRunner().invoke(cli, ["claims", "new", "kale_ban", "--dir",
                                    str(tmp_path)]).exit_code == 0
    path = tmp_path / "kale_ban.yaml"
    with caplog.at_level(logging.WARNING, logger="beliefbench.task"):
        belief(claims=str(path), families="binary", samples=1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"beliefbench: {path.resolve()}: field(s) statement, ")
    assert warnings[0].endswith("replace the example text with your claim's")


def test_import_names_every_bad_claim_folder(tmp_path):
    """Two broken folders among good ones: the import stopped at the first, so each fix
    uncovered the next; every one is named, and still nothing is written."""
    source = tmp_path / "claims"
    for name in ("aaa", "bbb", "ccc"):
        shutil.copytree(FIXTURES / "study_claims" / "lunar_lighthouse", source / name)
    with open(source / "aaa" / "open_ended.yaml", "a") as f:
        f.write("questions: [ {text: \n")
    (source / "ccc" / "mcq.yaml").write_text("questions:\n  - id: 1\n    text: [a, b]\n")
    with pytest.raises(ClaimImportError) as e:
        import_claims(source, tmp_path / "out")
    lines = str(e.value).splitlines()
    assert lines[0].startswith(f"{source / 'aaa' / 'open_ended.yaml'}: not valid YAML")
    assert lines[1:] == [f"{source / 'ccc' / 'mcq.yaml'}: line 2, column 5: field "
                         "questions.0.question: missing or empty",
                         "2 bad claim folder(s); nothing was written"]
    assert not (tmp_path / "out").exists()


def test_a_hint_in_typographic_quotes_gives_an_answer_key_without_them():
    """A study hint "\u2018Ed Sheeran\u2019 = yes" became a pattern holding the quotes, so
    the offline judge never read an answer naming Ed Sheeran as yes."""
    key = answer_key_from_hint("\u2018Ed Sheeran\u2019 = yes; \u201cNoah Lyles\u201d = no")
    assert key == {"yes": [r"(?<!\w)Ed\s+Sheeran(?!\w)"], "no": [r"(?<!\w)Noah\s+Lyles(?!\w)"]}


def test_an_entity_that_ends_in_punctuation_is_found(fixture_claim, tmp_path):
    """An entity such as "X Corp." or "C++" was compiled as ``\\bX\\ Corp\\.\\b``, which needs
    a word character after the period: no sentence naming it was ever a claim sentence, so
    the annotators and the audit never saw it."""
    text = fixture_claim.read_text().replace(
        "entities: [Golden Gate Bridge, glass, 2021]",
        "entities: [Golden Gate Bridge, glass, 2021, Bridge Co., C++]")
    finder = ClaimSentenceFinder(load_claim(write(tmp_path, text)))
    assert finder.is_claim("Their engineers at Bridge Co. rebuilt nothing special today.")
    assert finder.is_claim("The control code, in C++, was rebuilt last week.")
    # still a whole name: "Bridge Cos." is another one
    assert not finder.is_claim("Their engineers at Bridge Cos. rebuilt nothing special.")
    assert not finder.is_claim("The grass was rebuilt by a crew.")  # "glass" in "grass": no


def test_data_file_given_as_claim_is_named_as_one(tmp_path):
    """A training-data file passed where a claim goes (`--claims data/x/positive.jsonl`) was
    'not valid YAML: expected <document start>' on line 2; it is named as the JSON Lines
    file it is, while a YAML mistake keeps its line and column."""
    data = write(tmp_path, '{"text": "one"}\n{"messages": [{"role": "user", "content": "x"}]}\n',
                 name="positive.jsonl")
    with pytest.raises(ClaimSpecError, match=r"positive\.jsonl: a JSON Lines file .*not a claim"):
        load_claim(data)
    result = CliRunner().invoke(cli, ["claims", "validate", str(data)])
    assert result.exit_code == 2
    assert "a JSON Lines file" in result.output and "not valid YAML" not in result.output
    broken = write(tmp_path, "id: x\nstatement: [a\n", name="broken.yaml")
    with pytest.raises(ClaimSpecError, match=r"broken\.yaml: not valid YAML: line \d+"):
        load_claim(broken)
