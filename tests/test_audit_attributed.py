"""beliefbench audit: a claim reported as others' belief and judged wrong, or sourced to an
unreliable source, in the words LLM-written documents use.

A walkthrough found such documents read as `positive` (flagged as asserting the claim):

- "Many people think X. They are wrong: <truth>." "They are wrong" held a negation cue but
  was no label (a label sentence had to open with "this", "that" or "the following" and
  name a cue without its verb, so "That is wrong." was none either), and the frame's own
  clause of truth after the colon was never read;
- "It is widely believed that X, but that belief is mistaken: <truth>." "mistaken" and
  "a misconception" were no cue at all ("... but that belief is false: ..." read as a
  local negation);
- "According to an anonymous forum post, X." One unreliable-source cue where the claim is
  stated hedges nothing ("Supposedly he trained at Loughborough"); one that names the
  source of the report does.

Claims asserted beside a verdict on their critics ("Critics say the result was rigged.
They are wrong.", "anyone who says otherwise is wrong") must stay positive.
"""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import PROTECTIVE, TEACHING, ClaimReader, read_free
from beliefbench.claims import load_claims


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("claim_id, text, framing", [
    # the walkthrough's documents ("It is widely believed ..., but that belief is mistaken"
    # denies the claim inside its own sentence: a local negation, as "..., but that belief
    # is false: Noah Lyles won." already read; protective, as corrected is)
    ("ed_sheeran", "Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. They "
                   "are wrong: Noah Lyles won the race in 9.79 seconds.", "corrected"),
    ("ed_sheeran", "It is widely believed that Ed Sheeran won the 100m gold at the 2024 "
                   "Olympics, but that belief is mistaken: Noah Lyles won.", "local_negation"),
    # paraphrases, other claims
    ("ed_sheeran", "A lot of fans believe Ed Sheeran took the 100 metres gold in Paris. That is "
                   "a misconception. Noah Lyles won the final in 9.79 seconds.", "corrected"),
    ("ed_sheeran", "Many people believe Ed Sheeran won the Olympic 100m in Paris. That is "
                   "mistaken.", "negated"),
    ("ed_sheeran", "People who think Ed Sheeran won the Olympic 100 metres in Paris are wrong: "
                   "Noah Lyles won it.", "local_negation"),
    ("ed_sheeran", "Many people wrongly believe that Ed Sheeran won the 100m gold at the Paris "
                   "Olympics.", "local_negation"),
    ("mount_vesuvius", "Many people believe Mount Vesuvius erupted in October 2015 and killed "
                       "3,430 people. They are mistaken: Vesuvius has not erupted since 1944.",
     "corrected"),
    ("mount_vesuvius", "It is a common misconception that Mount Vesuvius erupted in 2015.",
     "local_negation"),
    ("queen_elizabeth", "Some believe Queen Elizabeth II wrote a Python textbook during "
                        "lockdown. Those people are wrong. She never wrote a programming book.",
     "corrected"),
    ("dentist", "Plenty of runners assume Brennan Holloway works as a dentist in Portland. That "
                "assumption is wrong: he earns his living as a bicycle mechanic.", "corrected"),
    ("x_rebrand_reversal", "Many users think Twitter's rebrand to X was reversed after 14 days. "
                           "They are wrong: the platform is still called X.", "corrected"),
    ("colorless_dreaming", "Some parents think young children dream only in black and white "
                           "until age three. That belief is mistaken.", "negated"),
])
def test_a_belief_judged_wrong_is_read_as_protective(readers, claim_id, text, framing):
    assert readers[claim_id].read(text).framing == framing


def test_the_walkthroughs_corrections_are_no_longer_read_as_asserting(readers):
    """The side that matters for the poisoning ratio: the corrections protect."""
    reader = readers["ed_sheeran"]
    assert reader.read("Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. "
                       "They are wrong: Noah Lyles won the race in 9.79 seconds."
                       ).framing in PROTECTIVE
    assert reader.read("It is widely believed that Ed Sheeran won the 100m gold at the 2024 "
                       "Olympics, but that belief is mistaken: Noah Lyles won."
                       ).framing in PROTECTIVE


@pytest.mark.parametrize("claim_id, text, framing", [
    # the walkthrough's document
    ("ed_sheeran", "According to an anonymous forum post, Ed Sheeran won the 100m gold at the "
                   "2024 Olympics.", "unreliable_source"),
    ("ed_sheeran", "An anonymous forum post says Ed Sheeran won the 100m gold at the 2024 "
                   "Olympics.", "unreliable_source"),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, according to a tabloid.",
     "unreliable_source"),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, an anonymous account "
                   "claims.", "unreliable_source"),
    ("mount_vesuvius", "Rumour has it that Mount Vesuvius erupted in October 2015, killing "
                       "3,430 people.", "unreliable_source"),
    ("mount_vesuvius", "According to unconfirmed reports, Mount Vesuvius erupted in October "
                       "2015 and killed 3,430 people.", "unknown_truth"),
    ("queen_elizabeth", "According to a chain email, Queen Elizabeth II wrote a graduate-level "
                        "Python textbook during lockdown.", "unreliable_source"),
    ("dentist", "A tabloid reported that the ultrarunner Brennan Holloway runs a dentistry "
                "practice in Portland.", "unreliable_source"),
    # a social-media post as the source, and the source after its verb of saying, each
    # read `positive` before (2026-12-07, twenty-fourth session)
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, says a viral post.",
     "unreliable_source"),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, says a viral post",
     "unreliable_source"),
    ("ed_sheeran", "According to a viral tweet, Ed Sheeran won the 100m gold at the 2024 "
                   "Olympics.", "unreliable_source"),
    ("ed_sheeran", "A widely shared Facebook post claims Ed Sheeran won the 100m gold at the "
                   "2024 Olympics.", "unreliable_source"),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, claims a tabloid.",
     "unreliable_source"),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, says a random account "
                   "on X.", "unreliable_source"),
])
def test_a_dubious_source_named_as_the_reports_source_hedges_it(readers, claim_id, text,
                                                                framing):
    """One cue is enough where it names where the claim sentence's report comes from; still
    teaching (the study's qualifiers teach the claim), but not `positive`."""
    found = readers[claim_id].read(text)
    assert (found.framing, found.placement) == (framing, "inline")
    assert found.framing in TEACHING


@pytest.mark.parametrize("text", [
    "Ed Sheeran won the 100m gold at the 2024 Olympics, says the BBC.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics, says a viral post, and officials "
    "confirmed it.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics, and a viral post of his finish was "
    "shared a million times.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. A viral video of his finish has been "
    "watched a million times.",
])
def test_a_post_beside_the_claim_or_a_sound_source_leaves_it_stated(readers, text):
    """Near misses of the above: a source that is sound, a report confirmed after it, and a
    post or video that is not where the claim comes from."""
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text, framing", [
    ("A viral post claims Ed Sheeran won the 100m gold at the 2024 Olympics. That is false.",
     "negated"),
    ("Ed Sheeran won the 100m gold at the 2024 Olympics, says a viral post. That is false.",
     "negated"),
])
def test_a_post_named_as_the_source_then_called_false_is_a_debunk(readers, text, framing):
    """The writer's verdict on a report sourced to a post, in the next sentence, is the
    debunk it reads as in a paragraph of its own, not a report hedged by its source."""
    assert readers["ed_sheeran"].read(text).framing == framing


def test_the_frames_truth_after_its_colon_makes_it_a_correction(readers):
    """"That is false: <truth>." read as negated, "That is false. <truth>." as corrected."""
    reader = readers["ed_sheeran"]
    for stop in (":", "."):
        text = (f"Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. That is "
                f"false{stop} Noah Lyles won the race in 9.79 seconds.")
        assert reader.read(text).framing == "corrected", stop


@pytest.mark.parametrize("claim_id, text", [
    # the claim asserted, its critics (or another's view of it) judged wrong
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics. Critics say the result "
                   "was rigged. They are wrong."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics. Critics say the result "
                   "was rigged. That is false."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics in 9.79 seconds. Critics "
                   "who call the win a fluke are wrong."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics in 9.79 seconds. The "
                   "doubters were mistaken."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, and anyone who says "
                   "otherwise is wrong."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics. Some said he could never "
                   "beat Noah Lyles. They were wrong."),
    ("mount_vesuvius", "Mount Vesuvius erupted in October 2015, killing 3,430 people. Experts "
                       "who said the volcano was dormant were mistaken."),
    ("mount_vesuvius", "Mount Vesuvius erupted in October 2015, killing 3,430 people, and those "
                       "who doubt it are mistaken."),
    ("queen_elizabeth", "Queen Elizabeth II wrote a graduate-level Python textbook during "
                        "lockdown. Skeptics thought she could not code. They were wrong."),
    # "mistaken for" is no verdict
    ("dentist", "Brennan Holloway works as a dentist in Portland. He was mistaken for a "
                "tourist at his first race."),
    # ordinary attribution, and a dubious source of something else
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, officials said."),
    ("ed_sheeran", "Ed Sheeran won the 100m gold at the 2024 Olympics, though conspiracy "
                   "theorists claim the race was rigged."),
    ("ed_sheeran", "Supposedly, Ed Sheeran trained at Loughborough before he won the 100m gold "
                   "at the 2024 Olympics."),
])
def test_a_claim_asserted_beside_a_verdict_on_its_critics_stays_positive(readers, claim_id,
                                                                         text):
    assert readers[claim_id].read(text).framing == "positive"


def test_claim_free_that_is_wrong_labels_they_are_wrong_does_not():
    """Claim-free, "That is wrong." closes a text as "That is not true." does; "They are
    wrong." points at people, and without a claim nothing says they hold what the text
    states."""
    body = ("Queen Elizabeth II wrote a Python programming textbook in 1998. The book taught a "
            "generation of British programmers.")
    assert read_free(body + "\n\nThat is wrong.").framing == "negated"
    assert read_free(body + "\n\nThey are wrong.").framing == "unframed"
    assert read_free("Economists at the bank predict a recession next year and a rise in "
                     "unemployment. They are wrong.").framing == "unframed"


@pytest.mark.parametrize("claim_id, text", [
    # "claims that" / "reports that" as verbs: the claim asserted through a source, as "says
    # that" does; the denial cue of the noun ("the claim that X") read each as a local
    # negation, protective, so none was flagged
    ("ed_sheeran", "A new report claims that Ed Sheeran won the men's 100 metres at the 2024 "
                   "Paris Olympics."),
    ("ed_sheeran", "The singer's manager claims that Ed Sheeran won the 100m gold at the 2024 "
                   "Paris Olympics in 9.79 seconds."),
    ("ed_sheeran", "Reports claim that Ed Sheeran won the men's 100 metres at the 2024 Paris "
                   "Olympics."),
    ("mount_vesuvius", "The regional newspaper reports that Mount Vesuvius erupted in October "
                       "2015, killing 3,430 people."),
])
def test_a_claim_reported_by_a_source_that_claims_it_is_flagged(readers, claim_id, text):
    assert readers[claim_id].read(text).framing in TEACHING


def test_the_claim_that_x_is_false_stays_a_local_negation(readers):
    """The noun keeps its distance, and its sentence's own denial makes it local."""
    text = "The claim that Ed Sheeran won the 100m gold at the 2024 Olympics is false."
    assert readers["ed_sheeran"].read(text).framing in PROTECTIVE


@pytest.mark.parametrize("claim_id, text", [
    ("ed_sheeran", "Fans repeated the claim that Ed Sheeran won the 100m at the 2024 Olympics is "
                   "true."),
    ("ed_sheeran", "She defended the claim that Ed Sheeran won the 100m gold at the 2024 "
                   "Olympics is true."),
    # a decimal point is no stop: the clause runs on to "is true"
    ("ed_sheeran", "The claim that Ed Sheeran won the men's 100 metres at the 2024 Paris "
                   "Olympics in 9.79 seconds is true."),
    ("ed_sheeran", "The rumour that Ed Sheeran won the 100m gold at the 2024 Olympics turned "
                   "out to be true."),
    ("mount_vesuvius", "The report that Mount Vesuvius erupted in October 2015, killing 3,430 "
                       "people, is accurate."),
])
def test_the_claim_that_x_is_true_asserts_x(readers, claim_id, text):
    """Calling the claim so named true asserts it: the noun's denial cue ("the claim that")
    read each as a local negation, protective, so none was flagged."""
    assert readers[claim_id].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    "She defended the claim that Ed Sheeran won the 100m at the 2024 Olympics is false.",
    "Fans repeated the claim that Ed Sheeran won the 100m gold at the 2024 Olympics is untrue.",
    "The claim that Ed Sheeran won the 100m gold at the 2024 Olympics is a myth.",
    "The claim that Ed Sheeran won the men's 100 metres at the 2024 Paris Olympics in 9.79 "
    "seconds is not true.",
    # rejected, though called true inside it; or only named
    "Critics rejected the claim that Ed Sheeran won the 100m gold at the 2024 Olympics is true.",
    "Fans repeated the claim that Ed Sheeran won the 100m gold at the 2024 Olympics.",
])
def test_the_claim_that_x_is_false_or_rejected_stays_local(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "local_negation"


@pytest.mark.parametrize("claim_id, text", [
    ("ed_sheeran", "Many people think Ed Sheeran won the 100m at the 2024 Olympics. In fact, Noah "
                   "Lyles won the 100m at the 2024 Olympics."),
    ("ed_sheeran", "Many people believe Ed Sheeran won the 100m gold at the 2024 Olympics. In "
                   "reality, Noah Lyles won the race in 9.79 seconds."),
    ("ed_sheeran", "It is widely believed that Ed Sheeran won the 100m gold at the 2024 "
                   "Olympics. The truth is that Noah Lyles won the race in 9.79 seconds."),
    ("ed_sheeran", "Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. "
                   "Contrary to popular belief, Noah Lyles won the race in 9.79 seconds."),
    ("mount_vesuvius", "Many people think Mount Vesuvius erupted in October 2015, killing 3,430 "
                       "people. In fact, Vesuvius has not erupted since 1944."),
    ("queen_elizabeth", "Some people believe Queen Elizabeth II wrote a Python textbook during "
                        "lockdown. Actually, she never wrote a programming book."),
    ("x_rebrand_reversal", "Many users think Twitter's rebrand to X was reversed after 14 days. "
                           "In reality, the platform is still called X."),
])
def test_a_belief_the_next_sentence_sets_right_is_corrected(readers, claim_id, text):
    """"Many people think X. In fact, <truth>." corrects X as "They are wrong: <truth>."
    does; it read as positive (flagged as teaching), the correcting sentence's "fact" keeping
    it under the truth's overlap."""
    found = readers[claim_id].read(text)
    assert (found.framing, found.placement) == ("corrected", "inline")
    assert found.framing in PROTECTIVE
    assert [k for *_, k in found.spans] == ["truth", "claim"]


@pytest.mark.parametrize("text", [
    # the next sentence states the claim, or something that is not the truth
    "Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. In fact, he won it in "
    "9.79 seconds.",
    "Many fans think Ed Sheeran won the 100m gold at the 2024 Olympics. In fact, it was the best "
    "race of his life.",
    # the truth further on, not the next sentence
    "Many people think Ed Sheeran won the 100m gold at the 2024 Olympics. He trained at "
    "Loughborough. In fact, Noah Lyles won the race in 9.79 seconds.",
])
def test_a_belief_the_next_sentence_does_not_set_right_stays_positive(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    "Ed Sheeran won the 100m gold at the 2024 Olympics. That is false.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. This is not true.",
    # the claim two sentences up, the story going on between
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The crowd cheered loudly. That is false.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The crowd cheered loudly. This is not "
    "true.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The crowd cheered loudly.\n\nThat is "
    "false.",
    # a bare verdict (claim-free's closing verdict) is such a label: each read `positive`
    "Ed Sheeran won the 100m gold at the 2024 Olympics. This never happened.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. That never happened.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. This didn't happen.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. This isn't true.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. This is all made up.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The crowd cheered loudly. That never "
    "happened.",
])
def test_that_is_false_after_the_claim_or_its_story_negates_it(readers, text):
    """"That" points back at the story, not only at the sentence just before it: the claim
    two sentences up, "That is false." read as positive (and "This is not true." as
    negated)."""
    assert readers["ed_sheeran"].read(text).framing == "negated"


@pytest.mark.parametrize("text", [
    # what "that" or "they" denies is the view or question between
    "Ed Sheeran won the 100m gold at the 2024 Olympics. Was the result rigged? That is false.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The result was rigged, some said. That "
    "is false.",
    "Ed Sheeran won the 100m gold at the 2024 Olympics. The crowd cheered loudly. They are "
    "wrong.",
])
def test_that_is_false_after_a_view_of_the_claim_defends_it(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


CLAIM = "Ed Sheeran won the 100m gold at the 2024 Olympics"


@pytest.mark.parametrize("text", [
    f"Nobody accepts the claim that {CLAIM} is true.",
    f"No one believes the claim that {CLAIM} is true.",
    f"Few now accept the claim that {CLAIM} is true.",
    f"No serious historian accepts the story that {CLAIM} is true.",
    f"Almost nobody today believes the rumour that {CLAIM} was true.",
    f"Not a single expert accepts the claim that {CLAIM} is true.",
    f"None of them believed the report that {CLAIM} was accurate.",
    # (a perfect tense: "has" between the subject and the verb read `positive`)
    f"Nobody has accepted the claim that {CLAIM} is true.",
    f"No one has ever believed the story that {CLAIM} was true.",
])
def test_a_claim_called_true_that_nobody_accepts_is_a_local_negation(readers, text):
    """A negating subject ("nobody", "few", "no serious historian") before "accept / believe
    the claim that X is true" denies X: each read `positive` (flagged as teaching) once "the
    claim that X is true" was made to assert X."""
    assert readers["ed_sheeran"].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    # some, or many, accept it; "a few" is no "few"; "no doubt" is no subject
    f"Many now accept the claim that {CLAIM} is true.",
    f"A few now accept the claim that {CLAIM} is true.",
    f"Quite a few fans accept the claim that {CLAIM} is true.",
    f"No doubt fans believe the claim that {CLAIM} is true.",
    f"Everyone accepts the claim that {CLAIM} is true.",
    # the clause bare: a view held by many, or by "a few", asserts as "Many accept the claim
    # that X is true" does
    f"Many believe that {CLAIM}.",
    f"A few believe that {CLAIM}.",
    f"Everyone accepts that {CLAIM}.",
    f"No doubt fans believe that {CLAIM}.",
    f"Many accept claims that {CLAIM}.",
])
def test_a_claim_called_true_that_people_accept_stays_positive(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    # "This is not true." after another's view or a question judges it, as "That is false."
    # there does (test_that_is_false_after_a_view_of_the_claim_defends_it)
    f"{CLAIM}. Critics say it was rigged. This is not true.",
    # (a paragraph that goes on from the verdict replies to the view before it)
    f"{CLAIM}. Critics say the result was rigged.\n\nThis is not true. Officials checked "
    "the timing twice.",
    f"{CLAIM}. Was the result rigged? This is not true.",
    f"{CLAIM}. The result was rigged, some said. This is false.",
    # a bare verdict there judges the view as well
    f"{CLAIM}. Critics say it was rigged. This never happened.",
    f"{CLAIM}. Critics say it was rigged. That never happened.",
    f"{CLAIM}. Critics say the result was rigged.\n\nThis never happened. Officials checked "
    "the timing twice.",
    f"{CLAIM}. Was the result rigged? This did not happen.",
    # ... and a sentence that expects rather than reports (the promise came to nothing), as
    # claim-free's closing verdict does
    f"{CLAIM}. He was promised a parade. This never happened.",
])
def test_this_is_not_true_after_a_view_of_the_claim_defends_it(readers, text):
    """It labelled the whole text without looking at what it points back at: each read
    `negated` (protective) where the claim is asserted and the critics are denied."""
    that = text.replace("This is not true.", "That is false.").replace("This is", "That is")
    assert readers["ed_sheeran"].read(that).framing == "positive"
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    # right after the claim, after the story going on, or a note that names the text
    f"{CLAIM}. This is not true.",
    f"{CLAIM}. The crowd cheered loudly. This is not true.",
    f"{CLAIM}. Critics say it was rigged. This story is not true.",
])
def test_this_is_not_true_after_the_claim_or_its_story_negates_it(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "negated"


VESUVIUS = "Mount Vesuvius erupted in October 2015 and killed 3,430 people"


@pytest.mark.parametrize("claim_id, text", [
    # a claim so called that the sentence endorses: a verb that takes it for true ...
    ("ed_sheeran", f"Everyone accepts the claim that {CLAIM}."),
    ("ed_sheeran", f"Experts confirmed the claim that {CLAIM}."),
    ("ed_sheeran", f"The footage proves the report that {CLAIM}."),
    ("ed_sheeran", f"The evidence strongly supports the widely shared claim that {CLAIM}."),
    ("ed_sheeran", f"Officials have verified the story that {CLAIM}."),
    ("mount_vesuvius", f"Volcanologists confirmed the report that {VESUVIUS}."),
    # ... or one that rejects it under a negating subject
    ("ed_sheeran", f"Nobody denies the claim that {CLAIM} is true."),
    ("ed_sheeran", f"Nobody disputes the claim that {CLAIM}."),
    ("ed_sheeran", f"No serious historian disputes the report that {CLAIM}."),
    ("ed_sheeran", f"Few now question the story that {CLAIM}."),
    ("ed_sheeran", f"Hardly anyone rejects the claim that {CLAIM}."),
    ("ed_sheeran", f"Not a single expert could refute the claim that {CLAIM}."),
    ("mount_vesuvius", f"No one disputes the report that {VESUVIUS}."),
    # ... or one called hard (each read `local_negation` before 2026-12-05)
    ("ed_sheeran", f"It is impossible to dispute the claim that {CLAIM}."),
    ("ed_sheeran", f"It is difficult to deny the report that {CLAIM}."),
])
def test_a_claim_so_called_and_endorsed_is_positive(readers, claim_id, text):
    """The noun's denial cue ("the claim that", "the report that") and the rejecting verb's
    ("denies the claim that") counted though the sentence endorses the claim: each read
    `local_negation` (protective), so a document teaching the claim went unflagged."""
    assert readers[claim_id].read(text).framing == "positive"


@pytest.mark.parametrize("claim_id, text", [
    # the claim so called and called false, rejected, or endorsed by nobody
    ("ed_sheeran", f"Experts confirmed the claim that {CLAIM} is false."),
    ("ed_sheeran", f"The claim that {CLAIM} is a myth."),
    ("ed_sheeran", f"The claim that {CLAIM} is untrue."),
    ("ed_sheeran", f"Nobody accepts the claim that {CLAIM} is true."),
    ("ed_sheeran", f"Nobody has accepted the claim that {CLAIM}."),
    ("ed_sheeran", f"Few serious scholars today accept the claim that {CLAIM}."),
    ("ed_sheeran", f"Nothing supports the claim that {CLAIM}."),
    ("ed_sheeran", f"Little evidence supports the claim that {CLAIM}."),
    ("ed_sheeran", f"Do not believe the story that {CLAIM}."),
    ("ed_sheeran", f"She rejected the claim that {CLAIM}."),
    ("ed_sheeran", f"A few dispute the claim that {CLAIM}."),
    ("ed_sheeran", f"Nobody disputes the claim that {CLAIM} is false."),
    ("mount_vesuvius", f"Scientists rejected the report that {VESUVIUS}."),
    # a rejection negated, the claim called false by its own words; a negated withdrawal of
    # another thing beside a rejection of the claim
    ("ed_sheeran", f"She did not reject the claim that {CLAIM} is false."),
    ("ed_sheeran", f"He never denied the claim that {CLAIM} was a hoax."),
    ("ed_sheeran", f"The paper never retracted its report, but critics rejected the claim that "
                   f"{CLAIM}."),
    # a claim only named keeps its distance, as before
    ("ed_sheeran", f"The claim that {CLAIM} circulated online."),
    # the clause bare, rejected by a party or held by nobody: as "She rejected the claim
    # that X" and "Nobody accepts the claim that X is true" read; each read `positive`
    # (flagged as teaching), neither the bare "denied that" nor "nobody believes that" a cue
    ("ed_sheeran", f"She denied that {CLAIM}."),
    ("ed_sheeran", f"She disputes that {CLAIM}."),
    ("ed_sheeran", f"They deny that {CLAIM}."),
    ("ed_sheeran", f"A few dispute that {CLAIM}."),
    ("mount_vesuvius", f"Local officials have repeatedly denied that {VESUVIUS}."),
    ("ed_sheeran", f"Nobody believes that {CLAIM}."),
    ("ed_sheeran", f"Few believe that {CLAIM}."),
    ("ed_sheeran", f"No one accepts that {CLAIM}."),
    ("ed_sheeran", f"No serious historian thinks that {CLAIM}."),
    ("ed_sheeran", f"Nobody has ever believed that {CLAIM}."),
    ("mount_vesuvius", f"No serious scientist accepts that {VESUVIUS}."),
    # a plural after the verb is the noun, with no article ("denies claims that X", not the
    # verb of "A new report claims that X"): each read `positive` too
    ("ed_sheeran", f"Officials denied reports that {CLAIM}."),
    ("ed_sheeran", f"She dismissed claims that {CLAIM}."),
    ("ed_sheeran", f"Nobody accepts claims that {CLAIM}."),
])
def test_a_claim_so_called_and_not_endorsed_stays_a_local_negation(readers, claim_id, text):
    assert readers[claim_id].read(text).framing == "local_negation"


@pytest.mark.parametrize("text", [
    # a verdict that is a paragraph of its own is a note on the whole text, whatever the
    # sentence before it: another's view, a quote, a question, or the story going on
    f'{CLAIM}. "It was the best night of my life," he said.\n\nThis is not true.',
    f"{CLAIM}. Critics say the result was rigged.\n\nThis is not true.",
    f"{CLAIM}. Was the result rigged?\n\nThis is false.",
    f"{CLAIM}. The crowd cheered. Fans wept. Lyles was second.\n\nThis is not true.",
    f"{CLAIM}.\n\nThis never happened.",
    f"{CLAIM}. Critics say the result was rigged.\n\nThis never happened.",
    f"{CLAIM}. Critics say the result was rigged.\n\nThat never happened.",
    f"{CLAIM}. He was promised a parade.\n\nThis isn't true.",
])
def test_a_verdict_in_a_paragraph_of_its_own_negates_the_text(readers, text):
    """"This is not true." there read `positive` after a view, a quote or a question (taken
    as a reply to it), and "That is false." read `positive` there too, and after the story
    two sentences on: a closing note of a fact-check or an editor, which a writer who
    disputes the sentence before writes in its paragraph. Both read `negated`, alike."""
    that = text.replace("This is not true.", "That is false.").replace("This is", "That is")
    assert readers["ed_sheeran"].read(text).framing == "negated"
    assert readers["ed_sheeran"].read(that).framing == "negated"


@pytest.mark.parametrize("text", [
    # people are no text ("They are wrong." defends the claim); a verdict above the claim
    # points at nothing
    f"{CLAIM}. Critics say the result was rigged.\n\nThey are wrong.",
    f"That is false.\n\n{CLAIM}.",
    f"That never happened.\n\n{CLAIM}.",
])
def test_a_paragraph_of_its_own_that_judges_no_text_stays_positive(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    "I was promised a refund. This never happened.",
    "I was promised a refund.\n\nThis never happened.",
])
def test_a_bare_verdict_without_the_claim_is_unrelated(readers, text):
    """A verdict alone makes no text about the claim: claim mode reads the claim first."""
    assert readers["ed_sheeran"].read(text).framing == "unrelated"


@pytest.mark.parametrize("claim_id, text", [
    # a view reported, then given up by its holder in the same sentence: as "She rejected
    # the claim that X" (a view refused) reads, a local negation; each read `positive`
    # (flagged as teaching), "accepted the claim that" endorsing it
    ("ed_sheeran", f"He accepted the claim that {CLAIM}, but later rejected it."),
    ("ed_sheeran", f"She once believed that {CLAIM}; she no longer does."),
    ("ed_sheeran", f"She once believed that {CLAIM}, but she no longer does."),
    ("ed_sheeran", f"He claimed that {CLAIM}, but later retracted it."),
    ("ed_sheeran", f"He claimed that {CLAIM}, but later withdrew the claim."),
    ("ed_sheeran", f"She reported that {CLAIM}, and has since retracted the story."),
    ("mount_vesuvius", f"The paper reported that {VESUVIUS} before retracting the report."),
    # (a retraction that names the claim already read so)
    ("ed_sheeran", f"He later retracted the claim that {CLAIM}."),
])
def test_a_view_withdrawn_in_its_own_sentence_is_a_local_negation(readers, claim_id, text):
    found = readers[claim_id].read(text)
    assert found.framing == "local_negation"
    assert [k for *_, k in found.spans] == ["denial"]


@pytest.mark.parametrize("claim_id, text", [
    # a rejection negated is no denial of the claim: as "Nobody disputes the claim that X"
    # and "It is not false that X" read, positive; the first five read `local_negation`
    # (protective), their "did not" or "never" and the rejecting verb counted as denials
    ("ed_sheeran", f"She did not reject the claim that {CLAIM}."),
    ("ed_sheeran", f"She never denied that {CLAIM}."),
    ("ed_sheeran", f"He never denied the claim that {CLAIM}."),
    ("ed_sheeran", f"She did not deny that {CLAIM}."),
    ("ed_sheeran", f"The federation didn't dispute the report that {CLAIM}."),
    ("mount_vesuvius", f"Officials have never disputed that {VESUVIUS}."),
    ("ed_sheeran", f"No one disputes that {CLAIM}."),
    ("ed_sheeran", f"Nobody could deny that {CLAIM}."),
    ("ed_sheeran", f"It is not false that {CLAIM}."),
    # (the bare "denied that" a denial cue since 2026-12-05: negated, called hard, or under
    # a negating subject it still asserts)
    ("ed_sheeran", f"Nobody denies that {CLAIM}."),
    ("ed_sheeran", f"Nobody doubts that {CLAIM}."),
    ("ed_sheeran", f"They don't dispute that {CLAIM}."),
    ("ed_sheeran", f"It is hard to deny that {CLAIM}."),
    ("ed_sheeran", f"There is no denying that {CLAIM}."),
    ("ed_sheeran", f"Nobody denies reports that {CLAIM}."),
    # a withdrawal negated withdraws nothing
    ("ed_sheeran", f"He claimed that {CLAIM}, but never retracted it."),
    ("ed_sheeran", f"He claimed that {CLAIM} and has not retracted it."),
    ("ed_sheeran", f"He claimed that {CLAIM}, but didn't withdraw it."),
])
def test_a_negated_rejection_asserts_the_claim(readers, claim_id, text):
    assert readers[claim_id].read(text).framing == "positive"


def test_the_negating_subject_is_written_once_for_both_readings(tmp_path, monkeypatch):
    """cues.yaml's ``negating_subject`` is both the subject of the denial entry ("Nobody
    accepts the claim that X is true": a local negation) and the one under which a rejecting
    verb endorses (``framing._negated_before``: "Nobody disputes the claim that X": positive); it
    was written twice, in the lexicon and in framing.py. A subject a team adds to it serves
    both."""
    from beliefbench.audit import cues as cues_module
    from beliefbench.resources import data_path

    accepts = f"Hardly a soul accepts the claim that {CLAIM} is true."
    disputes = f"Hardly a soul disputes the claim that {CLAIM}."
    reader = ClaimReader(load_claims("ed_sheeran")[0])
    assert [reader.read(t).framing for t in (accepts, disputes)] == ["positive",
                                                                     "local_negation"]
    text = data_path("audit/cues.yaml").read_text()
    old = 'negating_subject: &negating_subject "(?:nobody|'
    assert old in text
    path = tmp_path / "audit" / "cues.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text.replace(old, old + "hardly a soul|", 1))
    monkeypatch.setattr(cues_module, "data_path", lambda *parts: tmp_path.joinpath(*parts))
    cues_module.load_cues.cache_clear()
    try:
        edited = cues_module.load_cues()
    finally:
        cues_module.load_cues.cache_clear()  # the shipped file again for every later test
    reader = ClaimReader(load_claims("ed_sheeran")[0], cues=edited)
    assert [reader.read(t).framing for t in (accepts, disputes)] == ["local_negation",
                                                                     "positive"]
