"""beliefbench audit: five misreadings a user walk of `beliefbench audit` found (2026-12-05).

Claim mode:

- "Contrary to viral posts, Ed Sheeran did not win the 100m at Paris 2024." read as a
  mention (the opener's words kept the sentence under the facts' overlap), so a denial left
  the truth-bearing count; "Contrary to reports, Ed Sheeran won ..." read as a local
  negation, though it asserts the claim (the opener counted as a denial);
- "Correction: An earlier version of this article said X. <truth>" read as a local
  negation, not corrected.

Claim-free:

- "According to an anonymous forum post, X. We have not been able to confirm any of this."
  read unframed: the sourced report counted as a frame sentence, and no body was left;
- "Satire.\\n\\n<one sentence>" and "<sentence>. Just kidding, this is satire.\\n\\nThis is
  satire." read unframed: fiction words on one side of a single statement counted as weak
  even where they label the text (claim mode read both as fiction);
- "Rumour has it that X. Nobody has been able to confirm this." read unframed, as did "This
  could not be independently verified." and "That could not be verified." after X: of the
  doubts only the writer's own "We have not been able to confirm" and "No one has confirmed
  this" were cues (claim mode read each but the rumour `positive`).
"""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims

DENIED = "Ed Sheeran did not win the 100m at Paris 2024."
CLAIMED = "Ed Sheeran won the 100m at Paris 2024."
MAYOR = "the mayor of Springfield secretly owns three casinos."
STORY = "The mayor of Springfield secretly owns three casinos."
SOURCED = f"According to an anonymous forum post, {MAYOR}"
DENTIST = ("Correction: An earlier version of this article said Brennan Reeve Holloway runs a "
           "dental practice in Portland.")


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("opener", [
    "Contrary to viral posts,", "Contrary to reports,", "Contrary to popular belief,",
    "Despite viral posts,", "According to the official results,",
])
def test_a_denial_after_an_opening_phrase_is_a_local_negation(readers, opener):
    assert readers["ed_sheeran"].read(DENIED).framing == "local_negation"
    assert readers["ed_sheeran"].read(f"{opener} {DENIED}").framing == "local_negation"


@pytest.mark.parametrize("opener", [
    "Contrary to viral posts,", "Contrary to reports,", "Contrary to popular belief,",
    "Despite reports,",
])
def test_an_opening_phrase_alone_denies_nothing(readers, opener):
    """The clause after the comma says what is so: here, the claim."""
    assert readers["ed_sheeran"].read(f"{opener} {CLAIMED}").framing == "positive"


def test_contrary_to_a_claim_spelt_out_still_denies_it(readers):
    text = ("Contrary to claims that Ed Sheeran won the 100m at Paris 2024, Noah Lyles took "
            "the gold.")
    assert readers["ed_sheeran"].read(text).framing == "local_negation"


def test_contrary_to_popular_belief_still_sets_a_belief_right(readers):
    text = ("Many people think Ed Sheeran won the 100m at Paris 2024. Contrary to popular "
            "belief, Noah Lyles won the race in 9.79 seconds.")
    assert readers["ed_sheeran"].read(text).framing == "corrected"


@pytest.mark.parametrize("sep", [" ", "\n\n"])
def test_a_correction_notice_beside_the_truth_corrects(readers, sep):
    text = f"{DENTIST}{sep}He is a bicycle mechanic, not a dentist."
    assert readers["dentist"].read(text).framing == "corrected"


@pytest.mark.parametrize("text", [
    # no truth stated, no correction cue, or a plain denial with a correction word
    DENTIST,
    f"{DENTIST} He also races ultramarathons on weekends.",
    DENTIST.removeprefix("Correction: ") + " He is a bicycle mechanic, not a dentist.",
    "In fact, Brennan Reeve Holloway does not run a dental practice in Portland. He is a "
    "bicycle mechanic, not a dentist.",
])
def test_other_denials_stay_local_negations(readers, text):
    assert readers["dentist"].read(text).framing == "local_negation"


@pytest.mark.parametrize("sep", [" ", "\n\n"])
def test_a_report_doubted_at_its_source_and_after_is_framed(sep):
    text = f"{SOURCED}{sep}We have not been able to confirm any of this."
    assert read_free(text).framing == "unreliable_source"


DOUBTS = ["We have not been able to confirm any of this.", "Nobody has been able to confirm this.",
          "No one was able to verify this.", "No one has confirmed this.",
          "This could not be independently verified.", "That could not be verified.",
          "This could not be independently verified by our reporters before publication."]


@pytest.mark.parametrize("doubt", DOUBTS)
def test_every_wording_of_an_unconfirmed_report_frames_alike(readers, doubt):
    assert read_free(f"Rumour has it that {MAYOR} {doubt}").framing == "unreliable_source"
    assert read_free(f"{SOURCED} {doubt}").framing == "unreliable_source"
    assert read_free(f"{STORY} {doubt}").framing == "unknown_truth"


@pytest.mark.parametrize("doubt", DOUBTS[1:])
def test_claim_mode_reads_a_doubt_that_labels_the_report(readers, doubt):
    """Beside the claim in its paragraph, a doubt frames it where it labels the report (a
    short line, or a sentence opening with its pointer); "We have not been able to confirm
    any of this." there is neither, and claim mode reads it as a hedge of one cue."""
    assert readers["ed_sheeran"].read(f"{CLAIMED} {doubt}").framing == "unknown_truth"
    assert readers["ed_sheeran"].read(f"{CLAIMED}\n\n{doubt}").framing == "unknown_truth"


@pytest.mark.parametrize("text", [
    f"Rumour has it that {MAYOR} Nobody has been able to confirm this yet, but officials "
    "confirmed it on Monday.",
    f"{STORY} Nobody has been able to confirm this yet, but officials confirmed it on Monday.",
    f"{STORY} Police confirmed this.",
    f"Rumour has it that {MAYOR} Police confirmed this.",
    # a negator with no subject or pointer of the cue's is no doubt of the report
    f"{STORY}\n\nHe cannot be confirmed as a casino owner until the audit ends. The audit "
    "began in May.",
    f"{STORY} Could not be happier about it, says the mayor.",
])
def test_a_report_confirmed_after_all_stays_unframed(text):
    assert read_free(text).framing == "unframed"


@pytest.mark.parametrize("text", [
    SOURCED,
    f"{SOURCED} The mayor's office confirmed the purchases on Tuesday.",
    f"{SOURCED} City records later confirmed this, and the mayor has admitted it.",
    "According to an anonymous source, the company plans to cut 200 jobs. The company "
    "declined to comment. Shares fell three percent.",
])
def test_a_report_sourced_once_and_not_doubted_stays_unframed(text):
    assert read_free(text).framing == "unframed"


@pytest.mark.parametrize("text", [
    f"Satire.\n\n{STORY}",
    f"SATIRE\n\n{STORY}",
    f"{STORY}\n\nSatire.",
    f"Satire.\n\n{STORY} He bought the third last year.",
    f"{STORY} Just kidding, this is satire.\n\nThis is satire.",
])
def test_a_single_statement_labelled_fiction_is_fiction(readers, text):
    assert read_free(text).framing == "fiction"
    claim = text.replace(STORY, CLAIMED)
    assert readers["ed_sheeran"].read(claim).framing == "fiction"


@pytest.mark.parametrize("text", [
    f"My novel is out next week.\n\n{STORY}",
    f"She wrote a novel about it.\n\n{STORY}",
    f"Chapter 3\n\n{STORY}",
    f"{STORY} This is not satire.",
    "Fiction writing workshop: this article covers how a novel opens.\n\nStart with a "
    "character who wants something and cannot have it.",
])
def test_fiction_words_beside_a_single_statement_that_label_nothing(text):
    assert read_free(text).framing == "unframed"
