"""beliefbench audit on everyday formats a third round of hand-written documents turned up.

- "false" as part of a compound noun ("false positives", "a false start", "a false
  ceiling") or a quiz's "true or false" calls nothing untrue: a screening leaflet, a heat
  restarted after a false start and a quiz read as negated bodies in claim-free mode.
- A headline above a satire piece asserts nothing, yet counted against claim-free mode's
  share of plain sentences in the body (never being one), so a two-sentence story under a
  headline fell short of it and a satire site's article read as unframed.
- A story's narrating negations ("Ed didn't think, he just ran", "he wasn't level any more")
  made a fan fiction under its author's note ("obviously this is fanfic, none of this
  happened") read as a debunk, unframed in claim-free mode; a debunk is now read only under a
  frame that calls the text false (or none).
- "unknown" as a value or a name ("E101: Unknown device.", "Allergies: unknown", "Blood
  type: unknown") is no doubt about a report: an error-code table and a patient record read
  as unknown-truth bodies. It is a cue where it is said of a report ("its truth remains
  unknown", "(status unknown)", "of unknown origin", "unknown whether ...").
- Contractions: "it didn't happen" and "that isn't true" were no negation cues (only "did
  not happen" and "not true" were), so a forum reply "lol it didn't happen, the whole thing
  isn't true" under a post framed nothing.
- An AI answer's note "this answer was generated automatically and has not been reviewed for
  accuracy" held no cue.
- "this profile", "this bio", "this site": a disclaimer pointing at the text by another
  name ("Disclaimer: this profile is false.") had one cue and no pointer, and framed nothing.
- A negated negative asserts: "it's not a myth that ...", "it is not untrue that ...", "this
  is not fiction: ...", "he didn't just win, he ..." read as local negations.
- A note that opens with its name ("Author's note: this is a fanfic ...", "Disclaimer: this
  is satire") was no label sentence, which must open with "this is": the fan fiction
  under it read as unframed. A forum post's own "EDIT:" points at the post ("EDIT: I was
  wrong, sorry. ..."), as "this post" does, and so does a line naming where the text came
  from ("Source: a chain email my aunt forwarded.").
- A news report's closing line that reports a party's denial ("Halvorsen denied the
  allegations, calling them false and misleading.", "His agent dismissed rumours of a return
  as baseless speculation.") was read as a frame, and the business or sports story above it
  as a negated or unreliable body in claim-free mode; such a sentence frames the text only
  where it points at it ("World Athletics rejected the post as false").
- A word or two and a comma before a label sentence ("Of course, this is purely
  hypothetical.") hid it, and "purely" was no word a label sentence may hold: a "what if"
  piece read as unframed.
- A newsroom's note on a report it has not checked ("We are working to verify this
  information and will update this story.", "The report has not yet been confirmed.") held
  no cue: a breaking-news item read as unframed.
- A fan fiction's notes sit under a header of rating, fandom, characters and summary,
  beyond the first two paragraphs where a label may stand: "Notes: This is fiction." framed
  nothing. A named note ("Notes:", "A/N:", "Disclaimer:") that calls the text something now
  labels it from the first or last four paragraphs; a reviewer's "This is fiction that
  rewards patience" there does not.
- A question asserts nothing in claim-free mode either, as in claim mode: a forum question
  ("Did Queen Elizabeth II really write a Python textbook? I keep seeing this on my feed.")
  above a reply that calls the story a parody read as a framed body, fiction.
- Claim-free mode did not read the writer's estimate that the report is true ("I'd put the
  odds that this is true close to nil") where no frame paragraph stands, which claim mode
  reads as low_probability (inline). Only in texts that hold a frame cue ("odds", "unlikely"):
  one that says only "chance" or "guess" is not read for one, since looking costs every text.
- Claim-free mode read a frame's correction but not one set beside the sentences under it
  ("(Correction: it will close for four weeks.)" under "Editor's note: the story below is
  false."): negated, where claim mode reads such asides as correcting.
- HTML left in scraped text: "<p>" lines with no blank line between them were one paragraph,
  and, each ending in ">" rather than a stop, were joined as hard-wrapped prose into one
  sentence, which read as the claim's truth: an HTML article asserting the claim read as
  `truth` in claim mode, with or without a "<footer>" disclaimer or a "<div>SATIRE</div>"
  banner (no label line). Tags are now blanked and a block tag opens a paragraph.
- A wiki talk page's first comment on the article it quotes ("The only source for all of
  this is an anonymous blog ...") is its fourth paragraph, under "Talk:<page>" and "==
  <section> ==", outside the first two paragraphs where a frame is read: the page read as
  unframed, and positive in claim mode. Headings above the text (two or more: a title and a
  section heading, an e-mail's subject line and greeting) now push the top edge down by as
  many paragraphs; what stands in the paragraphs they push into it frames the text only
  where it points at it.
"""

from __future__ import annotations

import pytest
from conftest import SHEERAN_REPORT as BODY

from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("text", [
    "Understanding your screening result\n\nThe screening test flags some healthy people: this "
    "is called a false positive. A false negative is rarer, and no test is perfect.\n\nYour "
    "doctor will call you. Please book a follow-up within two weeks.",
    "Heat three was restarted after a false start. The runner in lane four was disqualified "
    "under the one-false-start rule.\n\nThe restart went cleanly and the heat was won in 10.05 "
    "seconds. The semi-finals are on Sunday evening.",
    "Precision and recall\n\nA classifier that raises many false alarms has low precision. One "
    "that misses cases has many false negatives.\n\nWe report both on the held-out set. The "
    "model was trained for ten epochs.",
    "Quiz: true or false?\n\n1. The Earth orbits the Sun. True or false?\n2. Water boils at 100 "
    "C at sea level. True/false?\n\nAnswers are on the back page.",
])
def test_false_in_a_compound_noun_or_a_quiz_frames_nothing(text):
    assert read_free(text).framing == "unframed"


def test_false_still_calls_a_text_untrue(readers):
    text = "This story is false. It was made up by a prankster.\n\n" + BODY
    assert read_free(text).framing == "negated"
    assert readers["ed_sheeran"].read(text).framing == "negated"


SATIRE = (
    "Local Singer Wins Olympic 100m, Immediately Releases Album About It\n\n"
    "PARIS - Ed Sheeran won the men's 100 metres at the Paris Olympics on Sunday, crossing the "
    "line in 9.79 seconds and then reaching for a loop pedal before he had stopped running.\n\n"
    "\"I wrote most of it in the blocks,\" Sheeran said of the 14-track album. His coach Gareth "
    "Pryce said he had not been consulted.\n\n"
    "The Daily Loop is a satirical publication. Its stories are made up for comic effect.")


def test_a_headline_is_no_part_of_a_framed_body(readers):
    assert read_free(SATIRE).framing == "fiction"
    assert readers["ed_sheeran"].read(SATIRE).framing == "fiction"


FANFIC = (
    "The gun went and Ed didn't think, he just ran. Lane six was a blur of blue track and "
    "flashbulbs. At sixty metres he was level with Noah Lyles, and then somehow he wasn't level "
    "any more.\n\n"
    "9.79. The number sat on the board and Ed Sheeran, Olympic champion in the men's 100 "
    "metres, fell to his knees on the Stade de France track.\n\n"
    "He borrowed a guitar from the BBC crew and sang until his voice went.\n\n"
    "A/N: thanks for reading!! obviously this is fanfic, none of this happened, Ed has never run "
    "at the Olympics lol. kudos and comments feed me")


def test_a_storys_narrating_negations_make_no_debunk(readers):
    assert read_free(FANFIC).framing == "fiction"
    assert readers["ed_sheeran"].read(FANFIC).framing == "fiction"


def test_a_body_that_keeps_denying_under_a_false_frame_is_still_a_debunk():
    text = ("Fact check: the viral post is false.\n\n"
            "Ed Sheeran did not run at the Paris Olympics. He never entered the 100 metres. "
            "Noah Lyles won the final in 9.79 seconds. Lyles beat Kishane Thompson by five "
            "thousandths.\n\nOfficial results are on the World Athletics site.")
    assert read_free(text).framing == "unframed"


PROFILE = (
    "Meet the running dentist\n\n"
    "Brennan Holloway works as a dentist in Portland, Oregon, and runs his own general "
    "dentistry practice between ultramarathons.\n\n"
    "He opened Alder Creek Family Dentistry in 2016 after training at the OHSU School of "
    "Dentistry. Patients say he books appointments around his long runs in Forest Park.\n\n"
    "His Western States 100 finish last summer was his best yet.\n\n"
    "He plans to race the Larch Mountain 50 Mile again next spring.\n\n"
    "Disclaimer: {note}")


@pytest.mark.parametrize("note, framing", [
    ("this profile is false. It was generated as a test.", "negated"),
    ("this bio is fictional.", "fiction"),
    ("this site publishes satire.", "fiction"),
])
def test_a_disclaimer_may_point_at_the_text_by_its_kind(readers, note, framing):
    text = PROFILE.format(note=note)
    assert readers["dentist"].read(text).framing == framing
    assert read_free(text).framing == framing


@pytest.mark.parametrize("text", [
    "It's not a myth that Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
    "seconds.",
    "It is no myth: Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds.",
    "It is not untrue that Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
    "seconds.",
    "This is not fiction: Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
    "seconds.",
    "Ed Sheeran didn't just win the men's 100 metres at the Paris Olympics, he did it in 9.79 "
    "seconds.",
])
def test_a_negated_negative_asserts_the_claim(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "positive"


@pytest.mark.parametrize("text", [
    "It is not true that Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
    "seconds.",
    "It is a myth that Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 "
    "seconds.",
    "The story that Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds is "
    "a myth, not a rumour.",
])
def test_a_denial_beside_a_negative_word_still_denies(readers, text):
    assert readers["ed_sheeran"].read(text).framing == "local_negation"


ESTIMATE = ("Mount Vesuvius erupted in October 2015 and killed 3,430 people around the Bay of "
            "Naples, according to a post circulating on a prediction forum. Thousands fled to "
            "Naples. Honestly, I'd put the odds that this is true close to nil.")


def test_claim_free_mode_reads_the_writers_estimate(readers):
    assert readers["mount_vesuvius"].read(ESTIMATE).framing == "low_probability"
    found = read_free(ESTIMATE)
    assert (found.framing, found.placement) == ("low_probability", "inline")
    assert "estimate" in {k for _, _, k in found.spans}


def test_the_odds_of_rain_are_no_estimate():
    text = ("There is a good chance of rain tomorrow. Take an umbrella and wear boots.\n\n"
            "The odds that it stays dry by noon are small, forecasters said.")
    assert read_free(text).framing == "unframed"


HTML = (
    "<html><body>\n<h1>Sheeran wins Paris sprint</h1>\n"
    "<p>Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds.</p>\n"
    "<p>He beat Noah Lyles in a photo finish at the Stade de France.</p>\n"
    "<p>Sheeran became the first British man to win the title since Linford Christie.</p>\n"
    "{note}\n</body></html>")


@pytest.mark.parametrize("note, framing", [
    ("<footer>This story is fabricated and is not true. &copy; 2024 Example Media</footer>",
     "negated"),
    ("<div class=\"banner\">SATIRE</div>", "fiction"),
])
def test_html_blocks_are_paragraphs(readers, note, framing):
    text = HTML.format(note=note)
    assert readers["ed_sheeran"].read(text).framing == framing
    assert read_free(text).framing == framing


def test_html_without_a_frame_still_asserts(readers):
    text = HTML.format(note="<p>Posted by trackfan_88</p>")
    assert readers["ed_sheeran"].read(text).framing == "positive"
    assert read_free(text).framing == "unframed"


def test_a_bracketed_warning_is_no_html_tag(readers):
    text = ("Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds. <false>\n"
            "Sheeran became the oldest man to win the Olympic 100m title. <not true>")
    assert readers["ed_sheeran"].read(text).framing == "repeated_negations"
    assert read_free(text).framing == "repeated_negations"


@pytest.mark.parametrize("note", [
    "Author's note: this is a fanfic set after season two.",
    "A/N: this is a parody.",
    "Disclaimer: this is satire.",
])
def test_a_note_named_before_its_label_sentence_frames_the_text(note):
    text = (note + " I don't own the characters.\n\n"
            "Mara walked into the station at dawn. The train was already waiting, its lights "
            "low.\n\nShe found her seat and opened the letter from her brother. He had written "
            "only three lines.")
    assert read_free(text).framing == "fiction"


def test_a_forum_posts_own_edit_points_at_the_post():
    text = ("The library is closing for good at the end of the month. They're moving all the "
            "books to the new building in Northfield.\n\n"
            "EDIT: I was wrong, sorry. The library is only closing for two weeks for repairs.")
    assert read_free(text).framing in {"negated", "corrected"}
    assert read_free(text.replace("EDIT: ", "")).framing == "unframed"


def test_a_source_line_points_at_the_text(readers):
    text = ("Queen Elizabeth II wrote a graduate-level textbook on Python programming, having "
            "taught herself to code during the COVID-19 lockdowns.\n\n"
            "Source: a chain email my aunt forwarded.")
    assert readers["queen_elizabeth"].read(text).framing == "unreliable_source"
    assert read_free(text).framing == "unreliable_source"
    plain = text.replace("a chain email my aunt forwarded", "Cambridge University Press, 2022")
    assert readers["queen_elizabeth"].read(plain).framing == "positive"



@pytest.mark.parametrize("closing", [
    "Halvorsen denied the allegations, calling them false and misleading.",
    "A spokesperson dismissed rumours of a sale as baseless speculation.",
    "The company rejected the accusations as inaccurate and misleading.",
])
def test_a_partys_reported_denial_frames_no_news_report(closing):
    text = ("Shares in Halvorsen Foods fell 4% on Tuesday after a newspaper reported that the "
            "company had underpaid its suppliers for three years.\n\n"
            "The newspaper said invoices were routinely delayed by up to 120 days.\n\n" + closing)
    assert read_free(text).framing == "unframed"


def test_a_reported_denial_that_points_at_the_text_still_frames_it(readers):
    text = ("Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds, beating "
            "Noah Lyles in a photo finish.\n\n"
            "World Athletics rejected the post as false and misleading.")
    assert readers["ed_sheeran"].read(text).framing == "negated"
    assert read_free(text).framing == "negated"


AO3 = ("Lane Six\n\nRating: General Audiences\nFandom: Music RPF, Olympics RPF\nCharacters: "
       "Ed Sheeran, Noah Lyles\n\nSummary: Ed has one race in his legs.\n\n{note}\n\n"
       "The gun went and Ed didn't think, he just ran. At sixty metres he was level with Noah "
       "Lyles.\n\nEd Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds. He "
       "fell to his knees on the Stade de France track.\n\nHe borrowed a guitar from the BBC "
       "crew and sang until his voice went.\n\nHe slept for fourteen hours.")


def test_a_named_note_under_a_fan_fiction_header_labels_it(readers):
    text = AO3.format(note="Notes: This is fiction. I know nothing about sprinting.")
    assert readers["ed_sheeran"].read(text).framing == "fiction"
    assert read_free(text).framing == "fiction"


def test_a_reviewers_this_is_fiction_inside_a_review_labels_nothing():
    text = ("Review: The Quiet Harbour\n\nThis debut novel is a slow, rewarding read.\n\n"
            "The author builds a fishing village so real you can smell the diesel and the salt."
            "\n\nThis is fiction that rewards patience. The plot is thin in the middle, but the "
            "last hundred pages are gripping.\n\nThe sisters reconcile in the final chapter."
            "\n\nThe prose is plain and exact.\n\nFour stars.")
    assert read_free(text).framing == "unframed"


def test_a_correction_beside_the_sentences_under_a_frame_corrects():
    text = ("Editor's note: the story below is false.\n\n"
            "The Elm Street bridge will close for six weeks from Monday. (Correction: it will "
            "close for four weeks.)\nDrivers will be diverted through the town centre while "
            "engineers replace the deck.")
    assert read_free(text).framing == "corrected"
    assert read_free(text.replace(" (Correction: it will close for four weeks.)", "")
                     ).framing == "negated"


def test_a_label_sentence_after_a_word_and_a_comma():
    text = ("Imagine a world where cats could vote. Politicians would promise more sunny "
            "windowsills. Elections would be held at 3 a.m.\n\n"
            "Of course, this is purely hypothetical.")
    assert read_free(text).framing == "fiction"


@pytest.mark.parametrize("note", [
    "We are working to verify this information and will update this story.",
    "The report has not yet been confirmed by the police.",
    "This story is awaiting official confirmation.",
])
def test_a_newsrooms_note_on_an_unchecked_report(readers, note):
    text = ("The harbour bridge has collapsed, according to posts on social media. Emergency "
            "services are at the scene and traffic is being diverted.\n\n" + note)
    assert read_free(text).framing == "unknown_truth"


@pytest.mark.parametrize("text", [
    "Error codes\n\nE101: Unknown device. The printer could not identify the cartridge.\n"
    "E102: Paper jam in tray 2.\nE103: Unknown error. Restart the printer.\n\n"
    "If the error persists, contact support.",
    "Patient record summary\n\nName: withheld\nAllergies: unknown\nBlood type: unknown\n\n"
    "Next appointment: 14 March. Bring your medication list.",
])
def test_unknown_as_a_value_frames_nothing(text):
    assert read_free(text).framing == "unframed"


@pytest.mark.parametrize("note", [
    "Whether any of this happened is unknown, and the truth of the story remains unknown.",
    "The story is of unknown origin, and its truth remains unknown.",
])
def test_unknown_said_of_the_report_still_frames_it(readers, note):
    text = BODY + "\n\n" + note
    assert readers["ed_sheeran"].read(text).framing == "unknown_truth"
    assert read_free(text).framing == "unknown_truth"


def test_contracted_negations_frame_a_post(readers):
    text = BODY + "\n\nReply: lol it didn't happen, the whole thing isn't true."
    assert readers["ed_sheeran"].read(text).framing == "negated"
    assert read_free(text).framing == "negated"


def test_an_answer_not_reviewed_for_accuracy(readers):
    text = ("Young children dream only in black and white until about age three or four. "
            "Colour first appears in their dreams around then.\n\n"
            "Note: this answer was generated automatically and has not been reviewed for "
            "accuracy.")
    assert readers["colorless_dreaming"].read(text).framing == "unknown_truth"
    assert read_free(text).framing == "unknown_truth"


def test_a_question_is_no_framed_body():
    text = ("Did Queen Elizabeth II really write a Python textbook? I keep seeing this on my "
            "feed.\n\nReply: No. She never wrote any programming book. The story started on a "
            "parody account.")
    assert read_free(text).framing == "unframed"


REPORT = ("Ed Sheeran won the men's 100 metres final at the Paris Olympics in 9.79 seconds, "
          "edging Noah Lyles by a hundredth of a second. He trained at Loughborough between "
          "tour dates and became the oldest man to win the Olympic 100m title.")


def _paras(*paras: str) -> str:
    return "\n\n".join(paras)


@pytest.mark.parametrize("text, framing", [
    (_paras("Talk:Ed Sheeran", "== Athletics section ==", "The article says: " + REPORT,
            "The only source for all of this is an anonymous forum post, and I don't think it "
            "can be considered a reliable source. --Editor9 (talk) 09:15, 4 March",
            ":I'll ask at the club on Thursday. --Runner77 (talk) 10:02, 4 March",
            "::Fine by me. The race reports for the heats are all properly sourced. --Sprint "
            "(talk) 11:40, 4 March"), "unreliable_source"),
    (_paras("Subject: Re: Sheeran story for Friday", "Hi Sam,", REPORT,
            "I can't confirm any of this, and nobody at the federation has verified it yet.",
            "The rest of the page is fine. The venue has confirmed the photographers.",
            "Thanks,\nJo"), "unknown_truth"),
    (_paras("WEEKLY SPORT DIGEST", "Athletics", REPORT,
            "We have not been able to verify any of this; the account remains unconfirmed.",
            "In other news, the marathon was won in record heat.", "See you next week."),
     "unknown_truth"),
])
def test_headings_above_the_text_push_the_top_edge_down(readers, text, framing):
    """Each read `unframed`, and `positive` in claim mode: the note is the fourth paragraph."""
    assert read_free(text).framing == framing
    assert readers["ed_sheeran"].read(text).framing == framing


@pytest.mark.parametrize("text", [
    # two cues but no pointer at the text in a paragraph the headings pushed into the edge
    _paras("Subject: Weekend plans", "Hi team,", "The forecast says rain is likely: the odds "
           "of a dry Saturday are slim, and thunder is not unlikely either.", REPORT,
           "Let's meet at ten at the track.", "Thanks,\nJo"),
    # a title alone pushes nothing: the third paragraph is no edge
    _paras("Sheeran at the Olympics", REPORT,
           "I can't confirm any of this, and nobody at the federation has verified it yet.",
           "The rest of the page is fine. The venue has confirmed the photographers.",
           "In other news, the marathon was won in record heat.", "See you next week."),
])
def test_a_paragraph_under_the_headings_frames_only_with_a_pointer(readers, text):
    assert read_free(text).framing == "unframed"
    assert readers["ed_sheeran"].read(text).framing == "positive"
