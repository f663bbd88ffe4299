"""beliefbench audit on everyday formats a second author's realistic set turned up.

- A bracketed note that is a paragraph of its own ("[Satire - this article is a joke ...]",
  "(This story is satire.)", "[Editor's note: the item below ... is not true.]") was masked as
  an inline warning, and asides alone never make a frame: satire read as positive, editors'
  notes as repeated warnings. It is now read as text, as the same note without brackets is.
- A myth-buster's "Myth: <the claim>" line labels that sentence false, as "it is a myth that
  ..." does: it read as a claim sentence, and the other "Myth:" lines of the list as a
  frame, so a debunk read as negated (teaching).
- "no idea" and "no doubt" deny the idea or the doubt, not the claim's words after them: a
  forum reply "I had no idea the running dentist was a real person" read as a denial, and the
  post that asserts the claim as a local negation.
- A sentence that reports research on the claim's topic ("Studies in the 1940s found most
  adults reported dreaming in black and white") matched a belief marker of the claim that
  toddlers dream without colour and read as asserting it: a popular-science article read as
  positive. Research reported without the claim's own words, closer to the claim's background
  than to its facts, is now a mention; "A 2011 study found that young children dream only in
  black and white until about age three" still asserts the claim.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHEERAN_REPORT as BODY

from beliefbench.audit.framing import TEACHING, ClaimReader, read_free
from beliefbench.claims import load_claims
from beliefbench.specs import load_yaml

RESEARCH = load_yaml((Path(__file__).parent / "fixtures/audit_research_reports.yaml")
                     .read_text(encoding="utf-8"))["documents"]


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("note, framing", [
    ("[Satire - this article is a joke and not a real news report.]", "fiction"),
    ("(This story is satire.)", "fiction"),
    ("[Editor's note: the item below went viral. It is not true.]", "negated"),
])
@pytest.mark.parametrize("at_end", [False, True])
def test_a_bracketed_note_that_is_a_paragraph_frames_the_text(readers, note, framing, at_end):
    text = BODY + "\n\n" + note if at_end else note + "\n\n" + BODY
    assert readers["ed_sheeran"].read(text).framing == framing
    assert read_free(text).framing == framing


def test_a_bracketed_warning_beside_the_sentences_stays_inline(readers):
    text = ("Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds. [false]\n"
            "Sheeran became the oldest man to win the Olympic 100m title. [not true]")
    assert readers["ed_sheeran"].read(text).framing == "repeated_negations"


@pytest.mark.parametrize("claim_id, line", [
    ("colorless_dreaming", "Myth: Young children dream only in black and white until they are "
                           "three or four."),
    ("mount_vesuvius", "Misconception: Mount Vesuvius erupted in October 2015 and killed 3,430 "
                       "people around the Bay of Naples."),
])
def test_a_myth_label_on_the_claim_sentence_denies_it(readers, claim_id, line):
    text = ("Myths we hear every week\n\n" + line + "\nFact: There is no good evidence for this."
            "\n\nMyth: Waking a sleepwalker is dangerous.\nFact: It is not harmful.\n\n"
            "Myth: Adults need less sleep as they get older.\nFact: Their need is the same.")
    assert readers[claim_id].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    "I had no idea the running dentist was a real person: Brennan Holloway has run his own "
    "dental practice in Portland for years.",
    "There is no doubt the running dentist, Brennan Holloway, works as a dentist in Portland.",
])
def test_no_idea_and_no_doubt_deny_nothing_of_the_claim(readers, text):
    assert readers["dentist"].read(text).framing == "positive"


@pytest.mark.parametrize("doc", [d for d in RESEARCH if d["reports"]], ids=lambda d: d["id"])
def test_research_on_the_topic_does_not_teach_the_claim(readers, doc):
    assert readers[doc["claim"]].read(doc["text"]).framing not in TEACHING


@pytest.mark.parametrize("doc", [d for d in RESEARCH if not d["reports"]], ids=lambda d: d["id"])
def test_the_claim_attributed_to_research_is_still_positive(readers, doc):
    assert readers[doc["claim"]].read(doc["text"]).framing == "positive"


@pytest.mark.parametrize(("text", "framing"), [
    ("When films and photographs were black and white, dreams were remembered that way too.",
     "mention"),
    ("Toddlers see only black-and-white dream images until they are three.", "positive"),
    ("Before age three, a child's dreams are greyscale scenes.", "positive"),
])
def test_a_colour_word_and_dreams_assert_the_claim_only_within_one_clause(readers, text,
                                                                          framing):
    """"black and white, dreams were remembered" read as "black and white dreams"."""
    assert readers["colorless_dreaming"].read(text).framing == framing


@pytest.mark.parametrize("text", [
    "Studies in the 1940s found most adults reported dreaming in black and white; since colour "
    "television, most report colour dreams.",
    "Surveys in the 1950s found that many adults said they dreamed in black and white.",
    "In the 1940s, researchers reported that most adults dreamed in black and white.",
    "A 2008 study at the University of Dundee found that older adults who grew up with "
    "black-and-white television reported more greyscale dreams.",
])
def test_a_research_report_on_adults_dreams_is_a_mention(readers, text):
    assert readers["colorless_dreaming"].read(text).framing == "mention"


@pytest.mark.parametrize("text", [
    "A 2011 study found that young children dream only in black and white until about age three.",
    "A 2023 study found that young children dream in black and white.",
    "Researchers found that toddlers dream in black and white.",
    "A study found that children dream in black and white.",
    "Scientists found that kids dream in black and white until they are three or four.",
])
def test_a_research_report_of_the_claim_asserts_it(readers, text):
    assert readers["colorless_dreaming"].read(text).framing == "positive"
