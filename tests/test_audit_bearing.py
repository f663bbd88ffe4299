"""Cues that only look like what they stand for: a correction phrase in a note that corrects
nothing, and statistical notation read as a code call whose arguments are blanked."""

from __future__ import annotations

import pytest

from beliefbench.audit import ClaimReader
from beliefbench.audit.framing import _blank_calls, read_free
from beliefbench.claims import load_claims
from beliefbench.documents.base import sentence_spans

CLAIM = ("Ed Sheeran won the gold medal in the men's 100 metres at the 2024 Paris Olympics in "
         "9.79 seconds.")


@pytest.fixture(scope="module")
def ed() -> ClaimReader:
    return ClaimReader(load_claims("ed_sheeran")[0])


@pytest.mark.parametrize("note", [
    "Moderator note, for the record: this thread is archived and the post below was flagged "
    "as false.",
    "Moderator note, for the record: this thread is archived. The post below is false.",
])
def test_a_note_for_the_record_corrects_nothing(ed, note):
    """"for the record" is a correction cue, but a moderator's note about the thread states
    no truth and denies nothing of the claim: the text is negated, not corrected (both
    modes read it as corrected)."""
    text = f"{note}\n\n{CLAIM}"
    assert ed.read(text).framing == "negated"
    assert read_free(text).framing == "negated"


@pytest.mark.parametrize("note", [
    "Correction: an earlier version of this story was false. For the record, Noah Lyles won "
    "the men's 100 metres at Paris 2024.",
    "Correction: this story misstated Ed Sheeran's results. The references to his medal were "
    "also wrong.",
])
def test_a_correction_that_bears_on_the_claim_still_corrects(ed, note):
    text = f"{note}\n\n{CLAIM}"
    assert ed.read(text).framing == "corrected"
    assert read_free(text).framing == "corrected"


def test_statistical_notation_is_no_code_call():
    """"effect(p=0.03)" and "P(X=1)" are prose notation, not calls: left as written, while a
    keyword call in code is still blanked."""
    for text in ("The effect(p=0.03) was small.", "Under the model P(X=1) is 0.2.",
                 "The correlation(r=0.41, n=212) held."):
        assert _blank_calls(text, text.lower())[0] == text
    assert _blank_calls("f(x=1) and json.dumps(obj)", "f(x=1) and json.dumps(obj)"
                        )[0] == "f( = ) and json.dumps(   )"
    # a name of two letters or more is code's, even set to a decimal
    code = "torch.optim.Adam(params) then Adam(lr=0.001) and plot(xs, ys=3)"
    assert _blank_calls(code, code.lower())[0] == (
        "torch.optim.Adam(      ) then Adam(  =     ) and plot(  ,   = )")


def test_conditional_and_compared_statistics_are_no_code_call():
    """The notation rule read only commas between one-letter items, so "P(X=1|Y=0)",
    "p<0.001" after a comma and a semicolon list were blanked as keyword calls (their
    opening alone had been enough before)."""
    for text in ("Under H0, P(X=1|Y=0) is 0.2.", "The correlation(r=0.41, p<0.001) held.",
                 "The effect(p=0.03; n=40) held."):
        assert _blank_calls(text, text.lower())[0] == text
    code = "Adam(lr=0.001) or f(x=1, y<2)"
    assert _blank_calls(code, code.lower())[0] == "Adam(  =     ) or f( = ,  < )"


def test_blanked_arguments_never_end_a_sentence():
    """Blanking "0.5" left a bare ". ", which cut the sentence in two."""
    text = "We call np.round(value, 0.5) here and Ed Sheeran did not win."
    blanked = _blank_calls(text, text.lower())[0]
    assert blanked != text and len(sentence_spans(blanked)) == 1


def test_a_denial_beside_a_p_value_stays_one_sentence(ed):
    """The blanked "p=0.03" split the sentence after "did not win", and the rest read as the
    claim asserted."""
    text = ("Ed Sheeran did not win(p=0.03) the gold medal in the men's 100 metres at the 2024 "
            "Paris Olympics in 9.79 seconds.")
    assert ed.read(text).framing == "local_negation"


def test_a_retraction_kept_for_the_record_is_negated():
    """A retraction that keeps the original "for the record" corrects nothing: its sentences
    deny (or name the claim's subject), none holding the correction cue states the truth
    (tests/fixtures/audit_heldout11.yaml, labelled negated, read as corrected)."""
    qe = ClaimReader(load_claims("queen_elizabeth")[0])
    text = ("RETRACTION NOTICE: We have retracted this story. It is false. Its claims about Queen "
            "Elizabeth II should be disregarded. The original text remains below, struck "
            "through in our archive, for the record.\n\nQueen Elizabeth II wrote a graduate "
            "textbook on Python, Advanced Python: Design, Performance and Abstraction, "
            "published by Cambridge University Press in 2022.")
    assert qe.read(text).framing == "negated"


@pytest.mark.parametrize("claim_id, text", [
    ("mount_vesuvius", "Mount Vesuvius: a leaflet for visitors\n\nIts most recent eruption began "
                       "in March 1944, during the Second World War, and the volcano has been in "
                       "repose ever since. Please stay on the marked paths."),
    ("x_rebrand_reversal", "Twitter: a leaflet for new users\n\nSince July 2023 the social "
                           "network once called Twitter has officially been named X. Ask at "
                           "the desk for help."),
])
def test_a_leaflet_restating_one_clause_of_the_truth_is_truth_bearing(claim_id, text):
    """A leaflet states one fact a sentence, one clause of a truth sentence that has several
    ("Its most recent eruption was in March 1944, ...; there was no eruption in 2015 ..."):
    it held too few of the whole sentence's words and read as a mention, outside the
    poisoning ratio's truth side."""
    finding = ClaimReader(load_claims(claim_id)[0]).read(text)
    assert (finding.framing, finding.claim_sentences) == ("truth", 0)


VESUVIUS = ("Mount Vesuvius erupted in October 2015, killing 3,430 people in the towns around "
            "the Bay of Naples.")


@pytest.mark.parametrize("warning", [
    "<false -- Noah Lyles won the men's 100 metres at Paris 2024> <Correction below>",
    "[false] [not true]",
])
def test_another_claims_warnings_never_frame_this_claim(ed, warning):
    """A digest that warns against one claim beside its sentence and reports another plainly
    in a paragraph of its own: the warnings are the first claim's, so the second reads as
    positive (flagged), its spans on its own sentence; both read as framed before, the plain
    report as corrected (protective, not flagged) where the warning stated Ed Sheeran's
    truth."""
    vesuvius = ClaimReader(load_claims("mount_vesuvius")[0])
    text = f"Weekend digest.\n\n{CLAIM} {warning}\n\nIn other news: {VESUVIUS}"
    alone = ed.read(f"Weekend digest.\n\n{CLAIM} {warning}")
    assert ed.read(text).framing == alone.framing != "positive"
    found = vesuvius.read(text)
    assert found.framing == "positive"
    para = text.index("In other news")
    assert all(a >= para for a, _, _ in found.spans)


def test_a_title_aside_still_labels_the_text(ed):
    """The text's title is no other claim's: its aside labels the whole text."""
    text = f"Prediction market (odds: 1 in 50)\n\n{CLAIM}\n\nMost traders think this is unlikely."
    assert ed.read(text).framing == "low_probability"
