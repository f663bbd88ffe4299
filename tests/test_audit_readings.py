"""beliefbench audit: misreadings a data-pipeline walk of `beliefbench audit` found (2026-12-05,
eighth session), on short documents of the kinds a corpus holds (news notes, forum posts,
fiction, satire, the writer's estimate). Each read `unframed` claim-free, and the first four
`positive` in claim mode, before:

- a newsroom's note on what it reports: "The video could not be independently verified.",
  "The claim could not be verified.", "This has not been verified.";
- a doubt that names what it doubts at its end: "We have not been able to confirm this." (as
  "... any of this." was read);
- a masthead and its genre on one line: "THE SPORTING PLUNGER | Satire";
- a report heard second-hand where it is made: "Heard from a friend of a friend that X";
- a text's cast called invented: "All characters in this story are fictitious.";
- the writer's estimate claim-free: "I'd put the chance that this is true at well under one
  percent." (no frame cue, so the text was never read further);
- in claim mode, a denial before a relative clause: "The 2015 eruption story is a hoax that
  went viral on Facebook." read `positive` (the denial taken for one of "went viral");
- in claim mode, a claim only supposed or dreamt ("Imagine if X.", "I dreamt last night that
  X."), hedged at its end ("X, or so the story goes."), sourced to a meme ("A widely shared
  meme claimed that X.", or in the next sentence: "X. At least, that's what a parody
  account claimed.") or named by a filter rule ("remove any document claiming that X")
  all read `positive`.

A second walk (2026-12-06, ninth session) found, in claim mode:

- a doubt that names what it doubts in the claim's own paragraph ("<claim> We have not been
  able to confirm any of this.") read `positive` (claim-free, and in a paragraph of its own,
  `unknown_truth`); and "<belief> Turns out there's no research behind it." read `positive`;
- "Although <claim>, he did not train much." read `local_negation` (the main clause denies
  his training, not the claim the concessive clause grants);
- "<claim>, contrary to the claim that <another statement>" read `local_negation` (the
  phrase denies the statement it names, as "X; officials denied that Y" does);
- "<claim> (This is a test fixture ...; it is false.)" read `repeated_negations`: one note
  written as a sentence flags the text once (`negated`), not with warnings throughout.

A third walk (2026-12-06, tenth session) found:

- "<claim> Turns out that's a myth." (and "But that's a myth.", "It turns out this is
  false.") read `positive`, `unframed` claim-free: a verdict behind a short opener was no
  label, though "That's a myth." alone was one;
- "Contrary to claims that he was too slow, <claim>" read `local_negation`: an opening
  phrase against a claim so called denies the clause it names, up to its comma ("Contrary to
  claims that <claim>, Noah Lyles took the gold" still denies the claim: `local_negation`,
  the framing of a claim sentence that denies itself);
- a fact-check's "Rating: False" over a paragraph that sets the truth against the claim
  ("The Queen did not write a Python textbook. There is no record ...") read `negated`: the
  truth counted only inside the frame; now `corrected` (with no truth stated it stays
  `negated`, as "Verdict: False" is in the README's table);
- claim-free, "<one statement>\n\nThe above is fiction." read `unframed` though "The
  following is fiction." above it was a label;
- "<claim>, and no, this isn't a joke." read `local_negation`; "<claim> Not true, of
  course." and "<claim> Complete fabrication." read `positive`.
"""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims

CLAIMED = "Ed Sheeran won the 100m at Paris 2024 in 9.79 seconds."
STORY = "The council spent four million pounds on the new town sign."


@pytest.fixture(scope="module")
def reader() -> ClaimReader:
    return ClaimReader(load_claims("ed_sheeran")[0])


@pytest.mark.parametrize("note", [
    "The video could not be independently verified.",
    "The claim could not be verified.",
    "These reports cannot be independently confirmed.",
    "This has not been verified.",
    "That has not been confirmed.",
])
def test_a_note_that_the_report_is_unchecked_frames_it(reader, note):
    assert read_free(f"{STORY} {note}").framing == "unknown_truth"
    assert reader.read(f"{CLAIMED} {note}").framing == "unknown_truth"


@pytest.mark.parametrize("note", [
    "The victim could not be identified.",  # a person, not the report
    "This has not been easy for the residents.",  # "this has not" with no doubt after it
    "The video was verified by our team.",
])
def test_other_notes_leave_the_report_unframed(reader, note):
    assert read_free(f"{STORY} {note}").framing == "unframed"
    assert reader.read(f"{CLAIMED} {note}").framing == "positive"


SOURCED = "According to an anonymous source, the festival has been cancelled."


@pytest.mark.parametrize("doubt, framing", [
    ("We have not been able to confirm this.", "unreliable_source"),
    ("We could not verify it.", "unreliable_source"),
    ("We have not been able to confirm any of this.", "unreliable_source"),
    # confirmed after all: the pointer is no doubt's
    ("Officials confirmed this.", "unframed"),
    ("We have not been able to confirm this yet, but officials confirmed it on Monday.",
     "unframed"),
])
def test_a_doubt_that_names_what_it_doubts(doubt, framing):
    assert read_free(f"{SOURCED} {doubt}").framing == framing


@pytest.mark.parametrize("masthead, framing", [
    ("THE SPORTING PLUNGER | Satire", "fiction"),
    ("Ash over Paris / A novel", "fiction"),
])
def test_a_masthead_and_its_genre_label_the_text(reader, masthead, framing):
    text = f"{masthead}\n\n{CLAIMED}"
    assert read_free(text).framing == framing
    assert reader.read(text).framing == framing


@pytest.mark.parametrize("masthead", [
    "Politics | Rumours swirl as the vote nears",  # a headline that uses a cue word
    "Sports | Satire was the last thing on his mind",
])
def test_a_headline_after_a_masthead_labels_nothing(reader, masthead):
    assert read_free(f"{masthead}\n\nHe ran. He won. The crowd roared.").framing == "unframed"
    assert reader.read(f"{masthead}\n\n{CLAIMED}").framing == "positive"


def test_a_report_heard_second_hand_is_hedged_where_it_is_made(reader):
    claimed = f"Heard from a friend of a friend that {CLAIMED[0].lower()}{CLAIMED[1:]}"
    assert reader.read(claimed).framing == "unreliable_source"
    assert reader.read(f"A friend of mine said {CLAIMED[0].lower()}{CLAIMED[1:]}"
                       ).framing == "positive"
    text = ("Heard from a friend of a friend that the Millbrook factory is closing next month. "
            "No idea if that's true.")
    # the doubt after it has two unknown-truth cues, the source one unreliable-source cue
    assert read_free(text).framing == "unknown_truth"


def test_a_cast_called_invented_labels_a_short_story():
    story = "Mara Quill ran the only bakery on Gull Island for forty years."
    note = ("All characters in this story are fictitious. Any resemblance to real persons is "
            "coincidental.")
    assert read_free(f"{story}\n\n{note}").framing == "fiction"
    # not a workshop's topic: fiction words with a pointer, no label
    assert read_free("Fiction writing workshop: this article covers how a novel opens.\n\n"
                     "Start with a character who wants something and cannot have it."
                     ).framing == "unframed"


ESTIMATE = "I'd put the chance that this is true at well under one percent."


@pytest.mark.parametrize("sep", [" ", "\n\n"])
def test_the_writers_estimate_is_read_claim_free(reader, sep):
    body = ("Some claim a lost Roman city lies beneath Lake Bracciano. Divers say they have "
            "seen walls and a paved road.")
    assert read_free(f"{body}{sep}{ESTIMATE}").framing == "low_probability"
    assert read_free(body).framing == "unframed"
    assert reader.read(f"{CLAIMED} Fans were stunned.{sep}{ESTIMATE}").framing == \
        "low_probability"
    # chance as a forecast, not an estimate of the report
    assert read_free("There is a chance that it rains on Sunday. The forecast says so. Bring "
                     "an umbrella.").framing == "unframed"


@pytest.mark.parametrize("claim_id, text", [
    # a relative clause after the denial ("a hoax that went viral") is no clause the denial
    # takes: the sentence read positive, its denial spent on "went viral on Facebook"
    ("mount_vesuvius", "The 2015 eruption story is a hoax that went viral on Facebook."),
    ("mount_vesuvius", "Q: Did Vesuvius really erupt in October 2015?\n\nA: No. Mount Vesuvius "
                       "has not erupted since March 1944. The 2015 eruption story is a hoax "
                       "that went viral on Facebook."),
    ("ed_sheeran", "The Ed Sheeran 100m gold at Paris 2024 is a myth that spread on TikTok."),
])
def test_a_denial_before_a_relative_clause_denies_the_sentence(claim_id, text):
    reader = ClaimReader(load_claims(claim_id)[0])
    assert reader.read(text).framing == "local_negation"


def test_a_denial_of_another_statement_still_leaves_the_claim(reader):
    text = f"{CLAIMED[:-1]}; officials denied that the timing was faulty."
    assert reader.read(text).framing == "positive"


LOWER = f"{CLAIMED[0].lower()}{CLAIMED[1:]}"


@pytest.mark.parametrize("text, framing", [
    # supposed or dreamt, not asserted
    (f"I dreamt last night that {LOWER}", "fiction"),
    (f"Imagine if {CLAIMED}", "fiction"),
    (f"In my dream, {LOWER}", "fiction"),
    # near misses: the claim asserted beside the same words
    (f"Imagine the crowd when {LOWER}", "positive"),
    (f"I dreamt of gold. {CLAIMED}", "positive"),
    # hearsay hedged where it closes
    (f"{CLAIMED[:-1]}, or so the story goes.", "unknown_truth"),
    (f"{CLAIMED[:-1]}, or so they say.", "unknown_truth"),
    (f"{CLAIMED} The story goes viral.", "positive"),
    # a meme as the source
    (f"A widely shared meme claimed that {LOWER}", "unreliable_source"),
    (f"A viral meme says {LOWER}", "unreliable_source"),
    (f"Fans made memes after {LOWER}", "positive"),
    # a filter rule names the claim, as "the claim that X" does
    (f"Filter rule: remove any document claiming that {LOWER}", "local_negation"),
    (f"The leaked document shows that {LOWER}", "positive"),
    (f"We're seeing a lot of posts claiming that {LOWER}", "positive"),
    # the source named in the sentence right after, and no more said
    (f"{CLAIMED} At least, that's what a parody account claimed.", "unreliable_source"),
    (f"{CLAIMED} That's what a tabloid reported.", "unreliable_source"),
    (f"{CLAIMED} That's what the BBC reported.", "positive"),
    (f"{CLAIMED} At least, that's what a tabloid claimed, and officials confirmed it.",
     "positive"),
])
def test_a_claim_supposed_hedged_memed_or_filtered(reader, text, framing):
    assert reader.read(text).framing == framing


BELIEF = ("My grandmother always told us that toddlers dream only in black and white until "
          "about age three.")


@pytest.mark.parametrize("note, framing", [
    ("We have not been able to confirm any of this.", "unknown_truth"),
    ("We could not verify it.", "unknown_truth"),
    # near misses: no pointer back, a pointer not at the sentence's end, or another sentence
    # between (where the note may be about that one)
    ("We have not been able to confirm the time.", "positive"),
    ("We have not been able to confirm this yet, but officials confirmed it on Monday.",
     "positive"),
    ("Fans cheered. We could not verify it.", "positive"),
    ("There is plenty of evidence for it.", "positive"),
    ("There was no support for it.", "positive"),
])
def test_a_note_right_after_the_claim_that_points_back_frames_it(reader, note, framing):
    found = reader.read(f"{CLAIMED} {note}")
    assert found.framing == framing
    assert found.placement == (None if framing == "positive" else "inline")


@pytest.mark.parametrize("note, framing", [
    ("Turns out there's no research behind it.", "negated"),
    ("There is no scientific evidence for this.", "negated"),
    ("Turns out there's plenty of research behind it.", "positive"),
    ("She read it in a magazine.", "positive"),
])
def test_a_belief_said_to_rest_on_nothing_is_negated(note, framing):
    reader = ClaimReader(load_claims("colorless_dreaming")[0])
    assert reader.read(f"{BELIEF} {note}").framing == framing
    # in a paragraph of its own it was a frame already, claim-free too
    assert reader.read(f"{BELIEF}\n\n{note}").framing == framing
    assert read_free(f"{BELIEF} {note}").framing == (
        "unframed" if framing == "positive" else framing)


UNSTOPPED = CLAIMED[:-1]


@pytest.mark.parametrize("text, framing", [
    # the main clause denies something of its own: the concessive clause grants the claim
    (f"Although {LOWER[:-1]}, he did not train much.", "positive"),
    (f"Even though {LOWER[:-1]}, he was not happy with his start.", "positive"),
    # a main clause that points back, says no more than its denial or denies the claim's
    # own words still denies it
    (f"Although many say {LOWER[:-1]}, it is not true.", "local_negation"),
    (f"Although many say {LOWER[:-1]}, that never happened.", "local_negation"),
    (f"Although {LOWER[:-1]}, he did not.", "local_negation"),
    (f"Although {LOWER[:-1]}, he did not win gold.", "local_negation"),
])
def test_a_denial_beside_a_concessive_clause_that_grants_the_claim(reader, text, framing):
    assert reader.read(text).framing == framing


@pytest.mark.parametrize("text, framing", [
    # the phrase denies the statement it names, not the claim beside it
    (f"{UNSTOPPED}, contrary to the claim that Noah Lyles won.", "positive"),
    (f"{UNSTOPPED}, contrary to reports that the race was rigged.", "positive"),
    (f"{UNSTOPPED}, contrary to claims that the race was rigged.", "positive"),
    # it names the claim, points back at it, or denies the sentence itself
    (f"Fans celebrated, contrary to the claim that {LOWER}", "local_negation"),
    (f"{UNSTOPPED}, contrary to the claim that it happened.", "local_negation"),
    (f"{UNSTOPPED}, contrary to the facts.", "local_negation"),
])
def test_contrary_to_a_claim_so_called_denies_what_it_names(reader, text, framing):
    assert reader.read(text).framing == framing


@pytest.mark.parametrize("aside, framing", [
    ("(This is a test fixture for the audit; it is false.)", "negated"),
    ("(This is false.)", "negated"),
    # a note named so before its words, its stop left out inside the brackets (read
    # repeated_negations before the twenty-second session; with the stop it read negated)
    ("[Editor's note: this claim is false]", "negated"),
    ("(Update: this story is not true)", "negated"),
    # the short warnings of repeated_negations, with no stop of their own
    ("[false]", "repeated_negations"),
    ("(that was false)", "repeated_negations"),
    ("[Verdict: false]", "repeated_negations"),
    ("[Editor's note: false]", "repeated_negations"),
])
def test_one_note_written_as_a_sentence_flags_the_text_once(reader, aside, framing):
    assert reader.read(f"{CLAIMED} {aside}").framing == framing


def test_a_note_beside_each_claim_sentence_is_repeated(reader):
    again = "Ed Sheeran took the Olympic 100m gold at Paris 2024 in 9.79 seconds."
    text = f"{CLAIMED} (This is false.) {again} (This is false.)"
    assert reader.read(text).framing == "repeated_negations"


@pytest.mark.parametrize("verdict", [
    "Turns out that's a myth.",
    "It turns out this is false.",
    "Turns out that never happened.",
    "But that's a myth.",
    "Unfortunately that's a myth.",
])
@pytest.mark.parametrize("sep", [" ", "\n\n"])
def test_a_verdict_behind_a_short_opener_labels_what_came_before(reader, verdict, sep):
    assert reader.read(f"{CLAIMED}{sep}{verdict}").framing == "negated"
    assert read_free(f"{STORY}{sep}{verdict}").framing == "negated"


@pytest.mark.parametrize("text", [
    # the opener keeps the rules of the pointer after it: another's view is what it judges,
    # a pointer at people labels nothing claim-free, and a verdict must end its clause
    f"{CLAIMED} Critics say it was rigged. Turns out that's a myth.",
    f"{CLAIMED} Turns out that the timing was faulty.",
    f"{CLAIMED} But that's not true of everyone.",
    f"{CLAIMED} But that was only the start.",
])
def test_an_opener_before_other_sentences_labels_nothing(reader, text):
    assert reader.read(text).framing == "positive"


def test_turns_out_they_are_wrong_labels_only_in_claim_mode(reader):
    assert reader.read(f"{CLAIMED} Turns out they are wrong.").framing == "negated"
    assert read_free(f"{STORY} Turns out they are wrong.").framing == "unframed"


@pytest.mark.parametrize("text, framing", [
    # the opening phrase denies the clause it names, up to its comma
    (f"Contrary to claims that he was too slow, {LOWER}", "positive"),
    (f"Despite reports that the race was rigged, {LOWER}", "positive"),
    (f"In spite of rumours that he was injured, {LOWER}", "positive"),
    # the clause it names is the claim (an aside between commas inside it): the claim
    # sentence denies itself, a local negation, whatever the main clause says
    (f"Contrary to claims that {LOWER[:-1]}, Noah Lyles took the gold.", "local_negation"),
    ("Contrary to claims that Ed Sheeran won the 100m at Paris 2024, Noah Lyles took the "
     "gold in 9.79 seconds.", "local_negation"),
    ("Despite claims that Ed Sheeran won the 100m at Paris 2024, Noah Lyles took the gold.",
     "local_negation"),
    ("Contrary to claims that Ed Sheeran, the singer, won the 100m at Paris 2024, Noah Lyles "
     "took the gold.", "local_negation"),
])
def test_an_opening_phrase_against_a_claim_so_called(reader, text, framing):
    assert reader.read(text).framing == framing


FACT_CHECK = "Claim: Queen Elizabeth II wrote a graduate-level Python textbook.\n\nRating: False"


@pytest.mark.parametrize("body, framing", [
    # no truth stated: the claim flagged false, as "Verdict: False" is (README)
    ("", "negated"),
    ("\n\nThe post has been shared thousands of times since 2022.", "negated"),
    # a paragraph that sets the truth against the claim: the record corrected
    ("\n\nThe Queen did not write a Python textbook, or any programming book. There is no "
     "record of her ever learning to program.", "corrected"),
])
def test_a_fact_check_rating_over_the_truth_corrects(body, framing):
    reader = ClaimReader(load_claims("queen_elizabeth")[0])
    assert reader.read(FACT_CHECK + body).framing == framing


def test_a_retracted_storys_own_paragraph_is_no_correction(reader):
    """A false story's paragraph that reads as the truth (it names the real winner) sets
    nothing against the claim: the retraction over it stays `negated`."""
    text = ("EDITOR'S NOTE: This story was retracted. Its claims are false.\n\n"
            "Ed Sheeran won the men's 100 metres at the Paris 2024 Olympics on Sunday night, "
            "running 9.79 seconds to edge Noah Lyles of the United States in a photo finish.\n\n"
            "Sheeran, 33, becomes the oldest Olympic 100m champion in history.")
    assert reader.read(text).framing == "negated"


@pytest.mark.parametrize("note, framing", [
    ("The above is fiction.", "fiction"),
    ("The above story is satire.", "fiction"),
    ("The above is false.", "negated"),
])
def test_a_note_on_the_text_above_frames_one_statement(reader, note, framing):
    assert read_free(f"{STORY}\n\n{note}").framing == framing
    assert reader.read(f"{CLAIMED}\n\n{note}").framing == framing


def test_a_note_about_other_fiction_is_no_label():
    assert read_free(f"{STORY}\n\nThe above is a summary of the fiction panel."
                     ).framing == "unframed"


@pytest.mark.parametrize("text, framing", [
    (f"{UNSTOPPED}, and no, this isn't a joke.", "positive"),
    (f"{CLAIMED} This is not a joke.", "positive"),
    (f"{CLAIMED} Not true, of course.", "negated"),
    (f"{CLAIMED} Complete fabrication.", "negated"),
    (f"{CLAIMED} Critics say it was rigged. Complete fabrication.", "positive"),
])
def test_everyday_verdicts_and_their_negations(reader, text, framing):
    assert reader.read(text).framing == framing
