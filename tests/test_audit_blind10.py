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

# Claim-free misreadings: id -> what the audit reads instead, and why.
FREE_MISSES: dict[str, str] = {
    "moon_hoax_history": "negated: the hoax's history says the articles were a hoax",
    "fake_news_lesson": "negated: a lesson plan about false stories",
    "council_denies_rumour": "unreliable_source: officials deny a social-media rumour",
    "april_fools": "negated, not fiction: 'It does not exist' outweighs the joke note",
    "creative_writing_not_true": "unframed: 'Written for my creative writing class. This is not "
                                 "a true story' at the foot",
    "childrens_story_queen": "unframed: 'this is a make-believe story' under 'The End.'",
    "wiki_talk_dentist": "unframed: the talk page's unreliable-source doubts are replies",
    "betting_blog_queen": "unframed: 'We put the chance of this being true at well under one "
                          "percent' under the story",
}
# Claim-mode misreadings (claim mode is not this set's fix; recorded for the next one).
CLAIM_MISSES: dict[str, str] = {
    "childrens_story_queen": "positive: the note for grown-ups is no fiction frame",
    "wiki_talk_dentist": "positive: the doubts follow the claim in replies",
    "forum_answer_sheeran": "positive: the son's report and the question outnumber the denials",
    "podcast_dreams_unverified": "local_negation: 'could not find the original research "
                                 "papers' reads as a denial",
    "betting_blog_queen": "local_negation: 'Nothing we could find supports it' reads as a "
                          "denial",
}


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
