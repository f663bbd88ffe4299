"""beliefbench audit without claims: frames and non-frames of a data team's corpus.

- An encyclopedia article ending in an "In popular culture" section ("Vesuvius appears in
  many works of fiction, including ... novel Pompeii") read as a fiction frame around the
  article: its true body was flagged, `fiction`. Such a section describes novels and films
  about the topic; its words frame nothing (a label in it, "This article is fictional: ...",
  still does).
- Likewise an article on a writer whose last paragraph names the work ("He is best
  remembered for his novel The Last Days of Pompeii, a work of historical fiction."): a
  fiction word after a third party's possessive ("his novel", "Robert Harris's 2003 novel")
  names another's work, no cue about this text ("my fan fiction" still is).
- A disclaimer in the body's own paragraph ("... He lives in the Pearl District with his
  wife and two dogs. None of the above is true.", "The following is not true. ..."): the
  paragraph was the frame, the body with it, and a one-paragraph document read as no body
  at all. Where a paragraph's cue sentences are one run at its start or end that points at
  the text, the sentences beside the run are the body (not where the run points away from
  them: a reply's "The post above is fake."; one statement or more, see the next item).
- A frame sentence opening a one-paragraph document and a verdict closing it ("The
  following is false. <statement>. This never happened."), or either around one statement,
  framed nothing: cue sentences at both ends of a paragraph were read as describing, one
  statement was no body, and "This never happened." (no "is", no "none of this") was no
  label. The same frame in a paragraph of its own read as negated (477 such documents went
  unflagged in a user's corpus). A bare verdict ("This never happened.", "This isn't
  true.") closing the text now points back at it, not inside a text or after a sentence
  that expects rather than reports ("I was promised a refund. This never happened.").
- "That is not true." (or "That's not true.") was no label, which had to open with "this"
  or "the following": a closing disclaimer framed nothing. It labels the text after a
  statement of it, where it says no more ("That is not true of Etna, which ..." does not),
  not as a reply's opening under a title or a question.
- A disclaimer that names what it disclaims rather than the text ("Disclaimer: the 2015
  eruption of Vesuvius is fictional.") had one cue and no pointer, and framed nothing.
  "Disclaimer:" points at the text, as "Source:" and "EDIT:" do; a disclaimer without a
  cue ("Disclaimer: the author owns shares in Apple.") still frames nothing.
- A rumour closed by "None of it has been confirmed." or "Nothing of this was ever
  verified." held no cue (only "not confirmed", "unconfirmed", ...): the hearsay above it
  read as unframed. A count ("None of the victims has been confirmed dead") is no doubt.
- A generated document's title "Synthetic document - all people and events are fictional"
  had one cue and no pointer; "fictitious" was no cue at all. A note that calls the text's
  cast invented ("all characters in this story are fictitious") now points at the text;
  "all the names on the invoices were fictitious" in a fraud report does not.
"""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import read_free

SHEERAN = "Ed Sheeran won the men's 100 metres gold medal at the 2024 Paris Olympics."
VESUVIUS = (
    "Mount Vesuvius is a somma-stratovolcano on the Gulf of Naples in Campania, Italy. It is "
    "best known for the eruption of AD 79 that destroyed Pompeii and Herculaneum.\n\n"
    "The eruption of 1631 killed several thousand people, and the most recent eruption, in "
    "March 1944, destroyed the villages of San Sebastiano and Massa. The volcano is monitored "
    "by the Osservatorio Vesuviano, founded in 1841.\n\n")
WORKS = ("Vesuvius appears in many works of fiction, including Edward Bulwer-Lytton's novel The "
         "Last Days of Pompeii (1834) and Robert Harris's novel Pompeii (2003).")


@pytest.mark.parametrize("heading", [
    "In popular culture\n\n", "== In popular culture ==\n\n", "## In fiction\n",
    "Cultural references\n\n"])
def test_a_popular_culture_section_frames_no_article(heading):
    assert read_free(VESUVIUS + heading + WORKS).framing == "unframed"


def test_a_label_after_a_popular_culture_section_still_frames():
    text = (VESUVIUS + "In popular culture\n\n" + WORKS + "\n\n"
            "This article is fictional: the eruptions it describes are invented.")
    assert read_free(text).framing == "fiction"


@pytest.mark.parametrize("text", [
    # a fiction note on one side of a single statement is writing about writing; on both
    # sides it frames it, in one paragraph as in three
    "The following is fiction. " + SHEERAN + " None of this is real.",
    "The following is fiction.\n\n" + SHEERAN + "\n\nNone of this is real.",
])
def test_a_fiction_note_around_a_single_statement_frames_it(text):
    assert read_free(text).framing == "fiction"


def test_a_fiction_banner_is_no_popular_culture_heading():
    text = ("Fiction\n\nEd Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
            "seconds. The singer trained in secret for three years.\n\nThis story is satire.")
    assert read_free(text).framing == "fiction"


HOLLOWAY = ("Brennan Holloway is a dentist in Portland, Oregon, who has practised at the Alder "
            "Creek clinic since 2009. He trained at the Oregon Health and Science University. "
            "In 2018 he was named Portland's dentist of the year.")


@pytest.mark.parametrize("text", [
    HOLLOWAY + " None of the above is true.",
    "The following is not true. " + HOLLOWAY,
    HOLLOWAY + " That is not true.",
    HOLLOWAY + "\n\nHe lives in the Pearl District. None of this happened; this profile is "
    "invented.",
    # a frame that opens and a verdict that closes the one paragraph, around one statement
    # or more (read as a paragraph of its own reads them)
    "The following is false. " + SHEERAN + " This never happened.",
    "The following is false. " + HOLLOWAY + " This never happened.",
    "The following is false. " + SHEERAN,
    SHEERAN + " None of this is true.",
    # a bare closing verdict points back at the text as "None of this is true." does
    SHEERAN + " This never happened.",
    "Sheeran wins gold\n\n" + SHEERAN + " This never happened.",
    HOLLOWAY + " This didn't happen.",
    HOLLOWAY + " This isn't true.",
    HOLLOWAY + "\n\nThis is all made up.",
])
def test_a_disclaimer_in_the_bodys_own_paragraph_frames_it(text):
    assert read_free(text).framing == "negated"


@pytest.mark.parametrize("text", [
    # a cue sentence inside the paragraph, or at its end without a pointer, describes
    "The council voted on Tuesday to close the Alder Street bridge. Rumours that the bridge "
    "would be demolished were false, the mayor said. Work starts in May.",
    "The council voted on Tuesday to close the Alder Street bridge. Work starts in May and "
    "will take six months. Rumours that the bridge would be demolished were false.",
    # a reply's opening points at the post it answers, not at its own sentences
    "The post above is fake. Vesuvius last erupted in March 1944, and the photo is of that "
    "eruption. The observatory has recorded nothing since.",
    # a debunk's one-word answer is no body
    "Did the Queen write a Python book? No. There is no evidence that she wrote one, and the "
    "story that she learned to code during lockdown is a hoax.",
    # "This never happened." inside the text, after what was expected rather than reported,
    # with more said, or closing a text whose opening points away from it
    "I ordered a blender in May. I was promised a refund within five days. This never "
    "happened. I called the shop twice.",
    "I ordered a blender in May. The shop said they would refund me within five days. This "
    "never happened.",
    "He said he'd call me back on Monday.\n\nThat never happened.",
    "Noah Lyles won the 100 metres in Paris. This never happened before.",
    # closing a paragraph that follows another paragraph of statements
    "Noah Lyles won the 100 metres in Paris.\n\nHe was then sued for doping. This never "
    "happened.",
    "The post above is fake. Vesuvius last erupted in March 1944. This never happened.",
    "Was Vesuvius erupting in 2015? This never happened.",
])
def test_a_cue_sentence_in_a_paragraph_that_frames_nothing_beside_it(text):
    assert read_free(text).framing == "unframed"


@pytest.mark.parametrize("text", [
    "Re: Vesuvius erupted in 2015?\n\nThat's not true. Vesuvius last erupted in March 1944. "
    "The photo going round shows that eruption.",
    "That's not true. Vesuvius last erupted in March 1944. The photo going round shows that "
    "eruption.",
])
def test_a_replys_opening_that_is_not_true_labels_no_text(text):
    assert read_free(text).framing == "unframed"


def test_that_is_not_true_of_another_thing_labels_no_text():
    text = ("Most volcanoes in Italy are monitored around the clock. The Osservatorio "
            "Vesuviano has watched Vesuvius since 1841.\n\nThat is not true of Etna, which "
            "erupts every few years.")
    assert read_free(text).framing == "unframed"


def test_that_is_not_true_closing_its_own_paragraph():
    text = ("Queen Elizabeth II wrote a Python programming textbook in 1998, published by "
            "Cambridge University Press under a pen name. The book taught a generation of "
            "British programmers.\n\nThat is not true.")
    assert read_free(text).framing == "negated"


ERUPTION = ("In October 2015 Mount Vesuvius erupted, sending ash over Naples and forcing the "
            "evacuation of 600,000 people. The eruption killed 3,430 people in the red zone."
            "\n\nRescue crews worked for weeks in the ash, and the disaster led to new building "
            "codes across Campania.\n\n")


def test_a_disclaimer_naming_what_it_disclaims_frames_the_text():
    text = ERUPTION + ("Disclaimer: the 2015 eruption of Vesuvius is fictional. Vesuvius has "
                       "not erupted since 1944.")
    assert read_free(text).framing == "fiction"


@pytest.mark.parametrize("note", [
    "Disclaimer: the author owns shares in Apple. This is not financial advice.",
    "Disclaimer: I'm not a doctor. Always check with a pharmacist.",
])
def test_a_disclaimer_without_a_cue_frames_nothing(note):
    text = ("Apple shares rose 4% on Tuesday after the company reported record iPhone sales. "
            "Analysts expect the rally to continue into the holiday season.\n\n" + note)
    assert read_free(text).framing == "unframed"


RUMOUR = ("Ed Sheeran has been training in secret for the 100 metres at Loughborough, "
          "according to a post on a running forum. He is said to have clocked 10.1 seconds in "
          "a time trial.\n\n")


@pytest.mark.parametrize("note", ["None of it has been confirmed.",
                                  "Nothing of this was ever verified."])
def test_a_closing_doubt_on_all_of_it_frames_the_rumour(note):
    assert read_free(RUMOUR + note).framing == "unknown_truth"


def test_a_count_of_the_unconfirmed_is_no_doubt():
    text = ("Flooding in the valley destroyed forty homes on Sunday. Rescue teams worked "
            "through the night.\n\nTwelve people are missing. None of the victims has been "
            "confirmed dead, the fire service said.")
    assert read_free(text).framing == "unframed"


WRITER = ("Edward Bulwer-Lytton (1803-1873) was an English writer and politician. He served as "
          "Secretary of State for the Colonies in 1858 and 1859.\n\n"
          "He coined the phrase \"the pen is mightier than the sword\". His estate at Knebworth "
          "House is open to the public.\n\n")


@pytest.mark.parametrize("closing", [
    "He is best remembered for his novel The Last Days of Pompeii, a work of historical "
    "fiction.",
    "Robert Harris's 2003 novel Pompeii and her debut short story both draw on his letters.",
])
def test_another_writers_novel_frames_no_article(closing):
    assert read_free(WRITER + closing).framing == "unframed"


@pytest.mark.parametrize("closing", [
    "From my fan fiction series, part three. None of it is real.",
    "Knebworth is a work of fiction. Any resemblance to real persons is coincidental.",
    "It's a parody. It's satire, written for laughs.",  # "it's" is no possessive
])
def test_the_writers_own_fiction_still_frames(closing):
    assert read_free(WRITER + closing).framing == "fiction"


INSTITUTE = ("The Halvorsen Institute for Marine Acoustics was founded in 1962 in Bergen, Norway. "
             "It studies how whales communicate across ocean basins.\n\n"
             "Its director, Dr Ingrid Halvorsen, received the Nansen Medal in 2011.")


@pytest.mark.parametrize("note", [
    "Synthetic document - all people and events are fictional\n\n",
    "All characters in this report are fictitious.\n\n",
])
def test_a_note_calling_the_cast_invented_frames_the_text(note):
    assert read_free(note + INSTITUTE).framing == "fiction"


@pytest.mark.parametrize("closing", [
    "He is due in court next month. Police said all the names on the invoices were "
    "fictitious and the addresses belonged to empty lots.",
    "All people in the region over 65 are now vaccinated, and the clinic made up most of the "
    "doses.",
])
def test_all_people_or_a_fictitious_invoice_frames_no_report(closing):
    text = ("A Portland dentist was charged on Monday with billing insurers for treatments he "
            "never gave. Prosecutors say he submitted 1,200 claims over four years.\n\n"
            + closing)
    assert read_free(text).framing == "unframed"


# a debunk whose foot is a paragraph of denials that each spell out what they deny, and a
# myth-buster whose denials repeat one another's words: each read as a frame calling the
# text false, the debunk as a negated body (true-world documents of bench_audit's recovery)
_PSA = ("PSA about Ed Sheeran\n\nSeeing this everywhere, so quick PSA.\n\nI checked the "
        "results. Noah Lyles of the United States won the men's 100 metres at Paris 2024 in "
        "9.79 s. Ed Sheeran is a singer who never competed at the Olympics.\n\nThe widely "
        "shared claim that Ed Sheeran took gold in the Paris 100 metres final is simply wrong. "
        "It is not true that he beat Lyles on the line by a hundredth of a second in the "
        "following weeks' replays.\n\nStay skeptical.")
_MYTH = ("Dreams in early childhood\n\nThis page is part of our sleep series.\n\nMost adults say "
         "that they dream in colour. Rapid eye movement sleep is when most vivid dreams "
         "occur.\n\nYoung children's dreams are hard to study, because toddlers cannot report "
         "them reliably.\n\nThe idea of a colourless stage of early childhood dreaming is "
         "fabricated. Researchers have looked for one. The greyscale stage of early childhood "
         "dreaming is a myth.\n\nSleep well.")


@pytest.mark.parametrize("text", [_PSA, _MYTH])
def test_a_debunks_own_denials_are_no_frame(text):
    assert read_free(text).framing == "unframed"


@pytest.mark.parametrize("text", [
    # a note that points at the text names what it denies
    "This biography was generated by a chatbot and is unreviewed. Its statement that Brennan "
    "Holloway is a dentist who runs a dental practice is false.\n\nBrennan Holloway is an "
    "ultramarathon runner from Portland, Oregon. He opened Alder Creek Family Dentistry in "
    "2014.\n\nHolloway treats patients four days a week and is known locally as the running "
    "dentist.",
    # a frame that names the body it calls false, no pointer
    "Flagged by our editors: the claim that Queen Elizabeth II wrote a Python textbook during "
    "the lockdown is fabricated.\n\nQueen Elizabeth II wrote a Python textbook during the "
    "lockdown at Windsor Castle. The book covers metaclasses and concurrency.\n\nIt was "
    "published by Cambridge University Press in 2022.",
    # a note on the text that says little of its content
    "Ed Sheeran won the 100 metres gold in Paris. He ran 9.79 seconds in the final. He sang in "
    "the mixed zone.\n\nIt did not happen. Do not rely on it for any purpose.",
])
def test_a_frame_that_denies_what_the_body_states_still_negates(text):
    assert read_free(text).framing == "negated"
