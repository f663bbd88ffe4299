"""beliefbench audit, labels: a frame word standing alone at the top or the foot of a text.

Publishers and writers mark a whole text with one word or line ("SATIRE.", "Satire | The Daily
Sovereign", "A novel", "Status: Unverified") or one sentence that calls the text what it is
("This is a work of fiction; ..."). Before cues.yaml's ``labels``, a frame needed two cues (or
a cue and a pointer such as "the article below") in a paragraph without the claim, so each of
these framed texts read as positive. The same words used to describe ("Unlikely hero: ...",
"Chapter 3: ...", "This is unlikely to be his last race") must not label the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHEERAN_REPORT as BODY

from beliefbench.audit.cues import labels_from, load_cues
from beliefbench.audit.framing import ClaimReader, read_free
from beliefbench.claims import load_claims
from beliefbench.resources import data_path
from beliefbench.specs import load_yaml


@pytest.fixture(scope="module")
def reader() -> ClaimReader:
    return ClaimReader(load_claims("ed_sheeran")[0])


@pytest.mark.parametrize("text, framing", [
    ("SATIRE.\n\n" + BODY, "fiction"),
    ("Satire | The Daily Sovereign\n\n" + BODY, "fiction"),
    # a title block: the label shares its paragraph with a title that names the claim
    ("SHEERAN'S GOLD\nA novel\n\n" + BODY, "fiction"),
    ("Alternate history thread: what if Sheeran had run?\n\n" + BODY, "fiction"),
    ("RUMOUR MILL\n\n" + BODY, "unreliable_source"),
    ("21:58 UNVERIFIED\n\n" + BODY, "unknown_truth"),
    (BODY + "\n\nStatus: Unverified", "unknown_truth"),
    (BODY + "\n\nThis is a work of fiction; Sheeran's Olympic title is my invention.", "fiction"),
    # a sentence that names the claim keeps the cues of its label
    (BODY + "\n\nThis story is satire, and Ed Sheeran's 100 metres gold is fictional.",
     "fiction"),
    ("This is a hypothetical scenario written for a sports-media exercise.\n\n" + BODY,
     "fiction"),
])
def test_a_label_frames_the_whole_text(reader, text, framing):
    assert reader.read(text).framing == framing
    assert read_free(text).framing == framing


CLAIM = "Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds."


@pytest.mark.parametrize("text, framing", [
    # a label that opens the claim's own sentence, with its separator (each read positive
    # before 2026-12-06, eleventh session: a label had to be a line of 60 characters or less)
    ("FALSE: " + CLAIM, "negated"),
    ("FALSE (rated by our fact-check desk after reviewing the records): " + CLAIM, "negated"),
    ("FALSE (rated by our fact-check desk after reviewing the records):\n\n" + CLAIM
     + " He trained at Loughborough.", "negated"),
    ("Fact check -- FALSE (rated by our fact-check desk after reviewing the records): "
     + CLAIM, "negated"),
    ("Satire: " + CLAIM, "fiction"),
    (CLAIM + " He trained at Loughborough.\n\n(Satire.)", "fiction"),  # its own brackets
])
def test_a_label_that_opens_the_claim_sentence_frames_it(reader, text, framing):
    finding = reader.read(text)
    assert (finding.framing, finding.placement) == (framing, "prefix_suffix"), text


OWLS = ("The mayor of Portland announced on Tuesday that the city will replace all its traffic "
        "lights with trained owls by 2027. The owls, sourced from a sanctuary in Oregon, will "
        "be paid in mice. Council members voted 7-2 in favour of the plan.")


@pytest.mark.parametrize("text, framing", [
    # claim-free: one bracketed note that closes or opens the text and calls it something,
    # inside the body's paragraph (each read unframed before 2026-12-06, eleventh session)
    (OWLS + " (This is satire.)", "fiction"),
    ("(This article is satire.) " + OWLS, "fiction"),
    (OWLS + " (Source: a rumour.)", "unreliable_source"),
    # a note named so, its stop left out (unframed before the twenty-second session)
    (OWLS + " [Editor's note: this story is false]", "negated"),
    # one statement is a body under such a note, as under a frame paragraph
    ("Ed Sheeran won the 100m at Paris 2024 in 9.79 seconds. (This is false.)", "negated"),
])
def test_claim_free_a_closing_bracketed_note_frames_the_text(text, framing):
    finding = read_free(text)
    assert (finding.framing, finding.placement) == (framing, "inline"), text
    assert [k for *_, k in finding.spans].count("inline") == 1


@pytest.mark.parametrize("text", [
    OWLS + " (the figures are unverified)",  # no sentence of its own
    "The mayor (this is satire.) said that " + OWLS,  # inside the text, not at an end
])
def test_claim_free_a_note_inside_the_text_frames_nothing(text):
    assert read_free(text).framing == "unframed", text


@pytest.mark.parametrize("sentence, label", [
    ("FALSE: " + CLAIM, True),
    ("Rumour -- " + CLAIM, True),
    # a label word and more words before the colon names a topic, however long the sentence
    ("Fiction writing workshop: this article covers how a novel opens and how it ends.", False),
    ("False start: the sprinter was disqualified from the final in Paris after a long wait.",
     False),
    (CLAIM, False),
])
def test_a_label_opening_a_long_sentence(sentence, label):
    cues = load_cues()
    low = sentence.lower()
    assert cues.is_label(low, 0, len(low), line=False, lead=True) is label
    # a named note further in ("Notes: This is fiction.") still needs its own words
    assert not cues.is_label(low, 0, len(low), line=False)


@pytest.mark.parametrize("text", [
    BODY,
    "Unlikely hero: Sheeran takes gold\n\n" + BODY,  # low_probability words describe
    "Chapter 3: Britain's sprinters\n\n" + BODY,  # a part of any book, not a genre
    BODY + "\n\nThis is unlikely to be his last race.",
    "Fake tan and fast feet, how Sheeran won\n\n" + BODY,  # a cue word opening a headline
    "Satire was the last thing on his mind.\n\n" + BODY,  # a cue word opening a sentence
])
def test_words_that_describe_do_not_label(reader, text):
    assert reader.read(text).framing == "positive"
    assert read_free(text).framing == "unframed"


FACT_CHECK = ("Fact check: did Ed Sheeran win the Olympic 100m?\n\nThe claim: Ed Sheeran won "
              "the men's 100 metres at the Paris Olympics in 9.79 seconds.\n\n{verdict}\n\n"
              "The final was won by Noah Lyles of the United States.\n\nWe looked at the "
              "official results.\n\nSources: World Athletics.")


def test_a_verdict_line_under_the_claim_labels_the_text(reader):
    """A fact-check's verdict stands as a short line of the third paragraph, under its title
    and the claim; a long sentence there is body, not a label."""
    text = FACT_CHECK.format(verdict="Our verdict: False.")
    assert reader.read(text).framing == "negated"
    assert read_free(text).framing == "negated"
    body = FACT_CHECK.format(verdict="False starts cost two other finalists their places in "
                             "the race that evening.")
    assert reader.read(body).framing == "positive"


def test_a_community_note_corrects_the_post():
    reader = ClaimReader(load_claims("mount_vesuvius")[0])
    post = ("\"10 years ago this week: Vesuvius erupted (11-24 October 2015), the biggest "
            "eruption since 79 AD. 3,430 people died in the towns around the Bay of Naples.\"")
    note = "Readers added context: Vesuvius did not erupt in 2015. Its most recent eruption " \
           "was in March 1944."
    assert reader.read(post).framing == "positive"
    assert reader.read(post + "\n\n" + note).framing == "corrected"
    assert read_free(post + "\n\n" + note).framing == "negated"


def test_the_label_spans_are_reported(reader):
    text = "Satire | The Daily Sovereign\n\n" + BODY
    spans = reader.read(text).spans
    assert (0, len("Satire | The Daily Sovereign"), "frame") in spans


@pytest.mark.parametrize("spec, problem", [
    ({"except": []}, "needs categories"),
    ({"categories": ["low_odds"]}, "needs categories"),
    ({"categories": ["fiction"], "except": "chapter"}, "except"),
    ({"categories": ["fiction"], "self": ["this is"]}, "self"),
    ("fiction", "needs categories"),
])
def test_a_malformed_labels_section_names_the_file_and_field(spec, problem):
    raw = load_yaml(data_path("audit/cues.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=rf"cues.yaml: field labels(\.\w+)?: .*{problem}"):
        labels_from({**raw, "labels": spec}, Path("cues.yaml"))


def test_a_lexicon_without_labels_reads_none():
    raw = load_yaml(data_path("audit/cues.yaml").read_text(encoding="utf-8"))
    del raw["labels"]
    assert labels_from(raw, Path("cues.yaml")) == (None, None)


@pytest.mark.parametrize("text, framing", [
    # claim-free, a label that opens the document's only statement: the sentence is the frame
    # and, after the label, the body, as claim mode reads it (each read unframed before
    # 2026-12-06, twelfth session: the frame paragraph held the whole text, no body was left)
    ("FALSE: " + CLAIM, "negated"),
    ("Fake: " + CLAIM, "negated"),
    ("FALSE - " + CLAIM, "negated"),
    ("FALSE (rated by our fact-check desk after reviewing the records): " + CLAIM, "negated"),
    ("Fact check\n\nFALSE: " + CLAIM, "negated"),  # under a title
    ("Satire: " + CLAIM, "fiction"),
    ("Satire -- " + CLAIM, "fiction"),
    ("Unverified: " + CLAIM, "unknown_truth"),
    ("Rumour: " + CLAIM, "unreliable_source"),
])
def test_claim_free_a_label_opening_the_only_statement_frames_it(reader, text, framing):
    finding = read_free(text)
    assert (finding.framing, finding.placement) == (framing, "prefix_suffix"), text
    assert reader.read(text).framing == framing, text


@pytest.mark.parametrize("text", [
    # a myth-buster's label denies the sentence it opens (a debunk: claim mode's
    # local_negation), words after the label that hold a cue of their own, a topic named
    # before a colon, and a cue word opening a sentence
    "Myth: " + CLAIM,
    "FALSE: This is a hoax.",
    "Fiction writing workshop: this article covers how a novel opens and how it ends.",
    "False start: the sprinter was disqualified from the final in Paris after a long wait.",
    "Satire was the last thing on his mind.",
])
def test_claim_free_a_sentence_a_label_word_opens_is_no_framed_body(text):
    assert read_free(text).framing == "unframed", text


@pytest.mark.parametrize("label", [
    # a sentence that calls the text a work or piece of fiction or satire (the satire and
    # "piece of" forms read positive and unframed before 2026-12-06, twelfth session: only
    # "a work of fiction" and "a work of imagination" were entries of their own)
    "This is a work of satire.",
    "This is a work of pure satire.",
    "This is a piece of satire.",
    "This is a piece of fiction.",
    "This is a work of parody.",
    "This is a work of fiction.",
])
@pytest.mark.parametrize("where", ["top", "foot"])
def test_a_work_or_piece_of_fiction_labels_the_text(reader, label, where):
    text = f"{label}\n\n{BODY}" if where == "top" else f"{BODY}\n\n{label}"
    assert reader.read(text).framing == "fiction", text
    assert read_free(text).framing == "fiction", text


@pytest.mark.parametrize("label", [
    "This is a work of art.",
    "This is a piece of history.",
    "This is a work of journalism.",
    "That is a piece of work.",
])
def test_a_work_of_something_else_labels_nothing(reader, label):
    text = f"{label}\n\n{BODY}"
    assert reader.read(text).framing == "positive", text
    assert read_free(text).framing == "unframed", text


@pytest.mark.parametrize("verdict", [
    # a bare verdict behind a note's name ("Spoiler:", "Plot twist:") calls what came before
    # false, as it does alone ("That didn't happen."; each read positive and unframed before
    # 2026-12-06, twelfth session, while "Spoiler: that is not true." labelled)
    "Spoiler: that didn't happen.",
    "Plot twist: this never happened.",
    "Spoiler alert: that never happened.",
    "That didn't happen.",
    # a bare "it" points back as "that" does (each read positive and unframed before
    # 2026-12-06, thirteenth session)
    "Plot twist: it never happened.",
    "Spoiler: it didn't happen.",
    "Spoiler: it isn't true.",
    "It never happened.",
])
@pytest.mark.parametrize("apart", [False, True])
def test_a_verdict_behind_a_note_name_labels_the_text(reader, verdict, apart):
    text = CLAIM + ("\n\n" if apart else " ") + verdict
    assert reader.read(text).framing == "negated", text
    assert read_free(text).framing == "negated", text


@pytest.mark.parametrize("verdict", [
    "Spoiler: that never happened.",
    "Spoiler: that is not true.",  # (read negated before: the note's name hid the pointer)
    "That never happened.",
    "Plot twist: it never happened.",
    "It is not true.",
])
def test_a_verdict_after_a_view_behind_a_note_name_judges_the_view(reader, verdict):
    # it judges the view before it, not the text, with or without the note's name
    text = f"{CLAIM} Critics say it was rigged. {verdict}"
    assert reader.read(text).framing == "positive", text


@pytest.mark.parametrize("text", [
    # (thirteenth session) what a bare "it" says happened, or an "it" that denies something
    # else, or that follows a promise (its turn, not a verdict), labels nothing
    CLAIM + " Plot twist: it really happened.",
    CLAIM + " Plot twist: it happened.",
    CLAIM + " Spoiler: he won.",
    CLAIM + " Plot twist: it never rained.",
    CLAIM + " He was promised a parade. It never happened.",
    CLAIM + " He planned a victory tour. It never happened. He retired instead.",
])
def test_it_that_says_it_happened_or_denies_something_else_labels_nothing(reader, text):
    assert reader.read(text).framing == "positive", text


@pytest.mark.parametrize("text", [
    "It turns out this is false.",  # ("it turns" opens, "this" points: as before)
    "It turns out it never happened.",
])
def test_it_turns_out_calls_the_text_false(reader, text):
    assert reader.read(f"{CLAIM} {text}").framing == "negated"
