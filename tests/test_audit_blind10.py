"""beliefbench audit on blind realistic set 10 (`tests/fixtures/audit_blind10.yaml`).

36 documents a helper wrote and labelled from the README's framings and the six claim files
alone: 12 ordinary texts a data team must keep (a complaint ending "This never happened.", a
court report of a denial, a recall notice, a forum rumour asked about, a hoax's history, a
novel), 12 bodies a note calls false, fictional, unsourced, unverified or unlikely, and 12
about the bundled claims in unusual styles. Every document's claim-free reading is checked,
and the claim-mode reading of the 12 about a claim; the documents the audit still misreads
are strict xfails naming what it reads, so a fix shows as an XPASS to turn into a pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims
from beliefbench.specs import load_yaml

DOCS = load_yaml((Path(__file__).parent / "fixtures/audit_blind10.yaml")
                 .read_text(encoding="utf-8"))["documents"]

# Claim-free misreadings: id -> what the audit reads instead, and why (8 before the fixes of
# 2026-12-05: the hoax's history, the lesson plan and the council's denial read as framed by
# their topic words, the April fools' note as negated, the creative-writing note, the note
# for grown-ups and the betting column's estimate framed nothing; then the wiki talk page,
# whose comment calling the only source unreliable is its fourth paragraph of six, under a
# title and a section heading, outside the top edge).
FREE_MISSES: dict[str, str] = {}
# Claim-mode misreadings (the children's story read positive before its note for grown-ups
# was read as a label; then the wiki talk page positive, as claim-free read it unframed; the
# forum answer positive, its denial "Ed Sheeran did not win the 100m at Paris 2024, and he
# has never competed at the Olympics at all" a mention (neither clause's words reach the
# facts in the whole); the podcast and the betting column `local_negation`, "we discuss the
# idea that <claim>" and "The story goes that <claim>" read as denials though their notes
# say unverified and improbable).
CLAIM_MISSES: dict[str, str] = {}


def _cases(misses: dict[str, str], docs: list[dict]) -> list:
    return [pytest.param(d, id=d["id"], marks=pytest.mark.xfail(strict=True,
                                                                  reason=misses[d["id"]]))
            if d["id"] in misses else pytest.param(d, id=d["id"]) for d in docs]


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


def test_the_set_is_as_described():
    """36 documents of 120-350 words, 12 per group, every misreading named by a document."""
    groups = [d["group"] for d in DOCS]
    assert {g: groups.count(g) for g in set(groups)} == {"ordinary": 12, "framed": 12,
                                                         "claims": 12}
    assert all(120 <= len(d["text"].split()) <= 350 for d in DOCS)
    assert all(("claim" in d) == (d["group"] == "claims") for d in DOCS)
    ids = {d["id"] for d in DOCS}
    assert len(ids) == len(DOCS) and set(FREE_MISSES) <= ids and set(CLAIM_MISSES) <= ids


@pytest.mark.parametrize("doc", _cases(FREE_MISSES, DOCS))
def test_claim_free_reading(doc):
    assert read_free(doc["text"]).framing == doc["free"]


@pytest.mark.parametrize("doc", _cases(CLAIM_MISSES, [d for d in DOCS if "claim" in d]))
def test_claim_mode_reading(readers, doc):
    assert readers[doc["claim"]].read(doc["text"]).framing == doc["label"]


_STORY = ("The series described a telescope and the creatures it had revealed on the Moon.\n\n"
          "Rival papers reprinted it within days, and the Sun's circulation rose sharply.\n\n"
          "Herschel himself knew nothing of the articles until they reached him in Africa.")


_FOOT = ("The Sun later retracted the series. Historians still debate whether Locke "
         "meant it as satire or simply as a circulation stunt. The episode is now remembered as "
         "one of the first great newspaper hoaxes, and as an early example of credulity.")


@pytest.mark.parametrize(("title", "foot", "framing"), [
    # the title names the topic with a frame word: the foot's two such words describe it
    ("The Great Moon Hoax", _FOOT, "unframed"),
    ("Can you spot a fake story?", "By the end of the lesson, students will explain why false "
                                   "stories spread and how deliberate misinformation differs "
                                   "from honest mistakes.", "unframed"),
    # terse verdicts under such a title judge the text
    ("Hoax Olympic story goes viral", "Entirely fabricated and false.", "negated"),
    ("Hoax Olympic story goes viral", "Fact-checkers rated it false. It is a fabrication.",
     "negated"),
    # a frame word before the title's colon names what follows: the title labels it
    ("Viral hoax: moon creatures seen", "Fact-checkers rated it false. It is a fabrication.",
     "negated"),
    # a foot that points at the text, or of another kind than the title's words, frames it
    ("The Great Moon Hoax", "None of the above is true. This article is a fabricated hoax.",
     "negated"),
    ("Re: the moon rumour", "I put the probability very low; the odds are long and it is "
                            "improbable.", "low_probability"),
    # a fiction word in a title names the genre, no topic
    ("Moon Stories - Chapter 3", "This is satire, a work of fiction.", "fiction"),
    # no title: the foot's two words frame the text, as before
    (None, _FOOT, "negated"),
])
def test_a_title_that_names_a_frame_word_makes_it_the_topic(title, foot, framing):
    text = (f"{title}\n\n" if title else "") + _STORY + "\n\n" + foot
    assert read_free(text).framing == framing


@pytest.mark.parametrize(("note", "framing"), [
    ("A note for grown-ups: this is a make-believe story.", "fiction"),
    ("Note to readers: this is a made-up story.", "negated"),
    ("Written for my creative writing class. This is not a true story.", "fiction"),
    ("UPDATE: Happy April Fools' Day! The post above was our April 1st joke. It does not "
     "exist.", "fiction"),
    # the day alone is no joke, and a sentence about a true story is no note
    ("Happy April Fools' Day from all of us at the club.", "unframed"),
    ("Her next film, she said, will be a true story.", "unframed"),
])
def test_notes_that_call_the_text_a_story(note, framing):
    text = _STORY + "\n\n" + note
    assert read_free(text).framing == framing


def test_the_writers_estimate_paragraph_is_no_part_of_the_body():
    """The paragraph that holds the writer's estimate (and doubts beside it) is a note on
    the body, as a frame paragraph is: its sentences no longer outnumber the body's plain
    ones (the betting column read as unframed)."""
    note = ("Our odds: 200 to 1. {} It has never been confirmed by anyone. Nothing supports "
            "the story that it happened.")
    guess = "We put the chance of this being true at well under one percent."
    assert read_free(_STORY + "\n\n" + note.format(guess)).framing == "low_probability"
    assert read_free(_STORY + "\n\n" + note.format("We looked into it this week.")
                     ).framing == "unframed"
