"""beliefbench audit on hard-wrapped text (emails, forum exports, mailing lists, plain-text
archives): a line break inside a paragraph is not the end of a sentence.

Sentences are cut at every line break, so a heading or a list item without a final stop is a
sentence of its own; hard-wrapped prose was cut mid-sentence ("There is no" / "established
finding that ...") and read differently: wrapped at 72 columns, 114 of the 676 fixture
documents changed their claim-mode reading before the audit joined wrapped lines, 13 after.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from beliefbench.audit.cues import load_cues
from beliefbench.audit.framing import ClaimReader, read_free, read_layout
from beliefbench.claims import load_claims
from beliefbench.specs import load_yaml

FIXTURES = Path(__file__).parent / "fixtures"


def wrap(text: str, width: int) -> str:
    """Each line of each paragraph filled to ``width`` columns, as a mail client does."""
    return "\n\n".join("\n".join(textwrap.fill(line, width) for line in para.split("\n"))
                       for para in text.split("\n\n"))


def sentences(text: str) -> list[str]:
    lay = read_layout(text, load_cues())
    return [" ".join(text[a:b].split()) for a, b in lay.sentences]


def test_wrapped_prose_is_read_in_whole_sentences():
    prose = ("An earlier version of this post said that children under three dream only in "
             "black and white. That was wrong. There is no established finding that young "
             "children dream without colour, and we could find no evidence that the study "
             "exists.")
    assert sentences(wrap(prose, 60)) == sentences(prose) == [
        "An earlier version of this post said that children under three dream only in black "
        "and white.", "That was wrong.",
        "There is no established finding that young children dream without colour, and we "
        "could find no evidence that the study exists."]


def test_headings_list_items_and_short_lines_stay_sentences_of_their_own():
    text = ("Posted by Gwen_travels_slow\n"
            "Tour guide told us Vesuvius killed 3,000+ people in 2015 and more\n"
            "- the airport at Capodichino was shut for nearly three weeks afterwards\n"
            "- Pompeii itself was closed until 2017 because roofs had collapsed under ash\n"
            "2) the summit lost 120 metres in the eruption according to the guide\n"
            "According to the screenshot:\n"
            "Ed Sheeran won the final.")
    assert sentences(text) == [
        "Posted by Gwen_travels_slow",
        # a long line without a stop joins the next only when that is no list item (and after
        # a list item, only when it goes on in lower case)
        "Tour guide told us Vesuvius killed 3,000+ people in 2015 and more",
        "- the airport at Capodichino was shut for nearly three weeks afterwards",
        "- Pompeii itself was closed until 2017 because roofs had collapsed under ash",
        "2) the summit lost 120 metres in the eruption according to the guide",
        "According to the screenshot:",
        "Ed Sheeran won the final."]


def test_a_wrapped_correction_reads_as_its_unwrapped_text():
    reader = ClaimReader(load_claims("dentist")[0])
    text = ("Neighbours: Division Street dentist logs the miles before the drill\n\n"
            "Brennan Holloway, whom friends call the running dentist, keeps a general dental "
            "practice on SE Division and sees patients four days a week, leaving Mondays for "
            "his longest training runs.\n\n"
            "He also volunteers once a month at a free clinic for patients without dental "
            "insurance.\n\n"
            "CORRECTION: This story misstated Brennan Holloway's occupation. Holloway is not a "
            "dentist and has never practised dentistry; he earns his living as a bicycle "
            "mechanic. The references to his practice were also wrong. We regret the error.")
    assert reader.read(text).framing == "corrected"
    for width in (60, 72, 90):
        assert reader.read(wrap(text, width)).framing == "corrected"


@pytest.mark.parametrize("width", [72, 90])
def test_fixture_documents_read_the_same_when_hard_wrapped(width):
    """Every hand-written fixture document (blind sets but 10 and the LLM-style set), wrapped as
    a mail client would: at least 97% keep their reading in each mode (98% and 99% now)."""
    readers = {c.id: ClaimReader(c) for c in load_claims("all")}
    paths = [p for p in sorted(FIXTURES.glob("audit_heldout*.yaml"))
             if p.stem != "audit_heldout10"]  # written hard-wrapped
    docs = [d for p in [*paths, FIXTURES / "audit_llm_style.yaml"]
            for d in load_yaml(p.read_text())["documents"]]
    claim_same = free_same = 0
    for d in docs:
        wrapped = wrap(d["text"], width)
        reader = readers[d["claim"]]
        claim_same += reader.read(d["text"]).framing == reader.read(wrapped).framing
        free_same += read_free(d["text"]).framing == read_free(wrapped).framing
    assert claim_same >= 0.97 * len(docs)
    assert free_same >= 0.97 * len(docs)
