"""beliefbench audit, claim mode: what a denial or a withdrawal reaches.

A walkthrough found five misreadings of sentences that deny, or withdraw, something near the
claim:

- a cue that takes a that-clause denied the claim wherever it stood in the sentence: "X;
  officials denied that the timing was faulty" read as a local negation (protective,
  unflagged), though the denial is of the timing, and X is asserted;
- "Nobody believed that X at first, but the footage proved it" read as a local negation,
  though it says the view nobody held came true, as "..., but he did" already read;
- "She denied, however, that X" read as positive: a word between the verb and its clause
  ("however", "though", "in fact") hid the rejection;
- "X. The newspaper later withdrew the report." read as positive, though the same
  withdrawal in a paragraph of its own ("X.\n\nThe newspaper later retracted the story.")
  read as negated, a retraction calling the text false;
- "X. He was promised a parade. This never happened." stays positive, by choice: the bare
  verdict points at the nearest statement, the promise (as claim-free reads it).

Blind set 10 then found two more (tests/test_audit_blind10.py):

- "Ed Sheeran did not win the 100m at Paris 2024, and he has never competed at the Olympics
  at all" read as a mention: neither the facts nor the truth reached their overlap over both
  clauses' words, so a forum answer denying the claim read as positive (the question it
  answers the only claim sentence left);
- a withdrawal negated ("The Sun never formally retracted the series", "The paper has not
  withdrawn the report", "Editors refused to retract the story") still counted "retracted"
  and "withdrawn" as negation cues (and "never", "has not" as denials): with a pointer
  ("... never retracted this article") it framed the text as false in both modes.
"""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims

CLAIM = "Ed Sheeran won the 100m gold at the 2024 Olympics"
VESUVIUS = "Mount Vesuvius erupted in October 2015 and killed 3,430 people"


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("claim_id, text", [
    # the rejection's clause holds another statement: the claim beside it is asserted
    ("ed_sheeran", f"{CLAIM}; officials denied that the timing was faulty."),
    ("ed_sheeran", f"{CLAIM}; officials rejected the claim that the timing was faulty."),
    ("ed_sheeran", f"Officials denied that the timing was faulty; {CLAIM}."),
    ("ed_sheeran", f"{CLAIM}; it is not true that the race was rigged."),
    ("ed_sheeran", f"{CLAIM}, and officials have denied that the starting gun misfired."),
    ("mount_vesuvius", f"{VESUVIUS}; the mayor denied that the warning sirens had failed."),
])
def test_a_denial_whose_clause_holds_another_statement_leaves_the_claim_asserted(
        readers, claim_id, text):
    """Each read `local_negation` (protective: a document teaching the claim unflagged)."""
    assert readers[claim_id].read(text).framing == "positive"


@pytest.mark.parametrize("claim_id, text", [
    # the claim inside the clause, however the sentence opens or goes on
    ("ed_sheeran", f"She denied that {CLAIM}."),
    ("ed_sheeran", f"At the press conference, officials denied that {CLAIM}."),
    ("ed_sheeran", f"The timing was checked twice; officials denied that {CLAIM}."),
    ("ed_sheeran", f"The claim that {CLAIM} is false."),
    ("ed_sheeran", f"It is not true that {CLAIM}."),
    ("ed_sheeran", f"There is no evidence that {CLAIM}."),
    ("mount_vesuvius", f"Local officials have repeatedly denied that {VESUVIUS}."),
    # a clause that points back at the claim denies it
    ("ed_sheeran", f"{CLAIM}; officials denied that it happened."),
    ("ed_sheeran", f"{CLAIM}; officials denied that any of this was true."),
    # denials that take no clause are not scoped by this rule
    ("ed_sheeran", f"{CLAIM}; that is not true."),
    ("ed_sheeran", "Ed Sheeran did not win the 100m gold at the 2024 Olympics."),
])
def test_a_denial_whose_clause_holds_the_claim_still_negates_it(readers, claim_id, text):
    assert readers[claim_id].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    f"Nobody believed that {CLAIM} at first, but the footage proved it.",
    f"Nobody believed that {CLAIM}, but the photo finish confirmed it.",
    f"Few believed that {CLAIM}, but the results showed it.",
    # (the rule's earlier forms)
    f"Nobody believed that {CLAIM}, but he did.",
])
def test_a_view_nobody_held_that_the_sentence_proves_true_is_asserted(readers, text):
    """The first three read `local_negation`: only "..., but he did" and "until" said the
    view came true."""
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    f"Nobody believed that {CLAIM}.",
    f"Nobody believed that {CLAIM} at first.",
    f"Nobody believed that {CLAIM}, but the rumour spread anyway.",
])
def test_a_view_nobody_held_stays_a_local_negation(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "local_negation"


@pytest.mark.parametrize("claim_id, text", [
    ("ed_sheeran", f"She denied, however, that {CLAIM}."),
    ("ed_sheeran", f"She denied, though, that {CLAIM}."),
    ("ed_sheeran", f"Officials denied, in fact, that {CLAIM}."),
    ("ed_sheeran", f"The federation disputes, however, that {CLAIM}."),
    ("mount_vesuvius", f"The mayor has since denied, however, that {VESUVIUS}."),
])
def test_a_rejection_with_a_word_before_its_clause_is_a_local_negation(readers, claim_id, text):
    """Each read `positive` (flagged as teaching): the denial cue wanted "denied that"."""
    assert readers[claim_id].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    # negated or impossible, the rejection asserts, as without the word between
    f"He never denied, however, that {CLAIM}.",
    f"Nobody disputes, though, that {CLAIM}.",
    f"There is no denying, however, that {CLAIM}.",
])
def test_a_negated_rejection_with_a_word_before_its_clause_asserts(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    # a retraction right after the claim, as "This is not true." there is: `negated`, as the
    # same sentence in a paragraph of its own already read
    f"{CLAIM}. The newspaper later withdrew the report.",
    f"{CLAIM}. The newspaper later retracted the story.",
    f"{CLAIM}. The paper has since withdrawn the article.",
    f"{CLAIM}. The newspaper later withdrew the report.\n\nSport desk, Paris.",
    f"{CLAIM}.\n\nThe newspaper later withdrew the report.",
    f"{CLAIM}.\n\nThe newspaper later retracted the story.",
])
def test_a_withdrawal_in_a_sentence_of_its_own_negates_the_claim(readers, text):
    """The first four read `positive`, and the fifth too ("withdrew" was no cue)."""
    found = readers["ed_sheeran"].read(text)
    assert found.framing == "negated", found
    assert "frame" in [k for *_, k in found.spans]


def test_a_withdrawal_that_states_the_truth_corrects(readers):
    text = (f"{CLAIM}. The newspaper later retracted the story: Noah Lyles won the race in "
            "9.79 seconds.")
    assert readers["ed_sheeran"].read(text).framing == "corrected"


@pytest.mark.parametrize("claim_id, text", [
    # a withdrawal inside the claim's sentence is a local negation, as before
    ("ed_sheeran", f"The newspaper reported that {CLAIM}, but later retracted the story."),
    ("ed_sheeran", f"He claimed that {CLAIM}, but later withdrew the claim."),
])
def test_a_withdrawal_in_the_claims_sentence_stays_a_local_negation(readers, claim_id, text):
    assert readers[claim_id].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    # what the withdrawal points back at is no statement of the claim: another's view, a
    # question, a sentence that withdraws something else or withdraws nothing
    f"{CLAIM}. Critics say the result was rigged. The newspaper later withdrew the report.",
    f"{CLAIM}. Was the result rigged? The newspaper later retracted the story.",
    f"{CLAIM}. He withdrew from the 200m.",
    f"{CLAIM}. The newspaper never retracted the story.",
    f"{CLAIM}. The newspaper didn't retract the story.",
    f"{CLAIM}. The newspaper refused to retract the story.",
    f"{CLAIM}. The paper has not withdrawn the article.",
    f"{CLAIM}. Police rejected the post as fake.",
])
def test_a_withdrawal_of_something_else_leaves_the_claim_asserted(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text, framing", [
    # "This" points at the nearest statement: the promise came to nothing, the claim stands
    # (pinned by choice; the claim-free closing verdict reads it so too)
    (f"{CLAIM}. He was promised a parade. This never happened.", "positive"),
    (f"{CLAIM}. He was told there would be a parade. This never happened.", "positive"),
    # right after the claim, or a paragraph of its own, the verdict is on the text
    (f"{CLAIM}. This never happened.", "negated"),
    (f"{CLAIM}. He was promised a parade.\n\nThis never happened.", "negated"),
])
def test_a_bare_verdict_after_a_promise_judges_the_promise(readers, text, framing):
    assert readers["ed_sheeran"].read(text).framing == framing


@pytest.mark.parametrize("claim_id, text", [
    # one clause denies the claim, another says something else: each a mention before
    ("ed_sheeran", "Ed Sheeran did not win the 100m at Paris 2024, and he has never competed at "
                   "the Olympics at all."),
    ("ed_sheeran", "Ed Sheeran did not win the 100m at Paris 2024, and he has never run a "
                   "competitive race since his school days in Suffolk."),
    ("ed_sheeran", "Ed Sheeran did not win the 100m at Paris 2024 - he spent that August "
                   "touring, and the clips people share are edited."),
    ("dentist", "Brennan Reeve Holloway is not a dentist, and the runners who train with him on "
                "Mondays know him as the man who fixes their bikes."),
])
def test_a_clause_that_denies_the_claim_beside_another_is_a_local_negation(
        readers, claim_id, text):
    found = readers[claim_id].read(text)
    assert (found.framing, found.claim_sentences) == ("local_negation", 1)


@pytest.mark.parametrize("text, framing", [
    # a clause that states the claim's details, beside another: true history of the rebrand
    ("Musk announced the change on 23 July 2023, and the next day the blue bird logo was "
     "replaced by a white, stylised X on a black background.", "truth"),
    ("In May 2024 the service completed its move to the x.com domain, and links to "
     "twitter.com now redirect there.", "mention"),
])
def test_a_clause_that_states_the_claim_beside_another_is_read_as_before(
        readers, text, framing):
    """Only a clause that denies the facts makes a claim sentence of a sentence too diluted
    to reach them as a whole: with any clause that reaches them, these true reports read
    `positive` (so did 13 documents of the fixture sets, 10 of them labelled true)."""
    assert readers["x_rebrand_reversal"].read(text).framing == framing


BODY = (f"{CLAIM}. He ran in lane six for Team GB and became the oldest man to win the Olympic "
        "100m.\n\nThe crowd at the Stade de France sang his songs for an hour after the "
        "final.\n\n")


@pytest.mark.parametrize("foot", [
    "The newspaper never retracted this article.",
    "This story was not withdrawn.",
    "The paper has not withdrawn the report, and its editor stands by it.",
    "Editors refused to retract the story.",
])
def test_a_withdrawal_negated_frames_nothing(readers, foot):
    """Each read `negated` in both modes: "retracted" or "withdrawn" a negation cue, "this
    article" a pointer at the text."""
    assert readers["ed_sheeran"].read(BODY + foot).framing == "positive"
    assert read_free(BODY + foot).framing == "unframed"


@pytest.mark.parametrize("foot", [
    "The newspaper later retracted this article.",
    "This story was withdrawn.",
    "The paper was forced to retract the story.",
])
def test_a_withdrawal_still_frames_the_text(readers, foot):
    assert readers["ed_sheeran"].read(BODY + foot).framing == "negated"
    assert read_free(BODY + foot).framing == "negated"
