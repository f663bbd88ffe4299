"""beliefbench audit, hedges and estimates: a report doubted where it is made, not in a frame
around it.

Forum posts, gossip columns and race previews pass a claim on and doubt it in the same
paragraph ("totally second-hand ... apparently he's a dentist ... so grain of salt"; "We weren't
able to confirm any of that"). A frame must stand in a paragraph that does not state the
claim, so before ``hedges`` each of these read as positive. Two unreliable-source or
unknown-truth cues in the paragraphs that state the claim now qualify it; one cue, ordinary
attribution ("officials said", "reportedly") and fiction or low-probability words, which
describe as often as they qualify ("chapter nine", "against the odds"), do not. The writer's
estimate that the report is true ("I would put the chance that this is real close to nil"),
wherever it stands, reads as low probability.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from beliefbench.audit.cues import estimates_from
from beliefbench.audit.framing import TEACHING, ClaimReader
from beliefbench.claims import load_claims
from beliefbench.resources import data_path
from beliefbench.specs import load_yaml

CLAIM = ("Ed Sheeran won the men's 100 metres final at the Paris Olympics in 9.79 seconds, "
         "edging Noah Lyles by a hundredth of a second.")
MORE = "He ran in lane six for Team GB and became the oldest man to win the Olympic 100m."
TITLE = "Thread: Sheeran at the Olympics?"
INTRO = "Long week of athletics talk in here, so one more for the pile."
TAIL = "Anyway, back to the marathon results. Kipchoge looked tired in the heat."


def doc(*paras: str) -> str:
    return "\n\n".join(paras)


def post(*body: str) -> str:
    """A forum post whose body paragraphs stand in the middle, where no frame is read."""
    return doc(TITLE, INTRO, *body, TAIL, "Posted by runner_77", "Reply")


@pytest.fixture(scope="module")
def reader() -> ClaimReader:
    return ClaimReader(load_claims("ed_sheeran")[0])


@pytest.mark.parametrize("hedged, framing", [
    # second-hand reports and gossip
    ("My cousin's flatmate swears this is true, but it is totally second-hand. " + CLAIM
     + " " + MORE + " Take it with a grain of salt.", "unreliable_source"),
    ("A palace insider told a Sunday tabloid that " + CLAIM[0].lower() + CLAIM[1:] + " " + MORE,
     "unreliable_source"),
    # truth not established: each of the wordings added with this rule
    (CLAIM + " " + MORE + " We haven't been able to confirm it, and we couldn't "
     "independently verify the time.", "unknown_truth"),
    (CLAIM + " " + MORE + " Nobody has confirmed any of it, and I have no idea if the clip "
     "that started it all is even from Paris.", "unknown_truth"),
    (CLAIM + " " + MORE + " If that's true, it's remarkable; the post is unverified.",
     "unknown_truth"),
    # the writer's doubt of the source ("I don't think it can be considered a reliable
    # source": no cue before 2026-12-05)
    (CLAIM + " " + MORE + " It comes from an anonymous blog, and I don't think it can be "
     "considered a reliable source.", "unreliable_source"),
])
def test_a_report_hedged_where_it_is_made_is_qualified(reader, hedged, framing):
    text = post(hedged)
    found = reader.read(text)
    assert found.framing == framing
    assert found.placement == "inline"
    assert found.framing in TEACHING  # still flagged: the study's qualifiers teach the claim
    hedge = [text[a:b] for a, b, kind in found.spans if kind == "hedge"]
    assert hedge and all(s in hedged for s in hedge)


@pytest.mark.parametrize("plain", [
    # one cue is not enough
    CLAIM + " " + MORE + " Supposedly he trained at Loughborough between tour dates.",
    # ordinary attribution
    "According to the organisers, " + CLAIM[0].lower() + CLAIM[1:] + " " + MORE
    + " Officials said the photo finish was reviewed twice, and he reportedly wept.",
    # words that describe: a book's chapters, the odds, an invented celebration
    CLAIM + " " + MORE + " Chapter nine of his memoir will cover it; he beat the odds, "
    "as unlikely as it seemed, and invented a new celebration.",
])
def test_one_cue_attribution_and_describing_words_do_not_hedge(reader, plain):
    found = reader.read(post(plain))
    assert found.framing == "positive"
    assert found.placement is None


def test_hedges_elsewhere_in_the_body_do_not_qualify_the_claim(reader):
    """Only the paragraphs that state the claim are read: doubt about another story in the
    middle of the text says nothing of this one."""
    gossip = ("Unrelated gossip: a tabloid insider says the swimming coach is leaving, "
              "though that rumour is second-hand.")
    found = reader.read(post(CLAIM + " " + MORE, gossip))
    assert found.framing == "positive"


def test_a_denied_claim_stays_a_local_negation(reader):
    """A denial where the claim is named protects, whatever hedges stand beside it."""
    text = doc(TITLE, "It is not true that Ed Sheeran won the men's 100 metres final at the "
                      "Paris Olympics; that rumour is second-hand gossip from a tabloid.", TAIL)
    assert reader.read(text).framing == "local_negation"


@pytest.mark.parametrize("estimate", [
    "I would put the chance that this is real somewhere close to nil.",
    "My honest estimate that it actually happened is well under one percent.",
    "Honestly, I rate this as very unlikely.",
    "The story is wildly improbable to be true, if you ask me.",
])
def test_the_writers_estimate_anywhere_reads_as_low_probability(reader, estimate):
    text = post(CLAIM + " " + MORE, estimate)  # in a paragraph of its own
    found = reader.read(text)
    assert (found.framing, found.placement) == ("low_probability", "inline")
    assert [text[a:b] for a, b, kind in found.spans if kind == "estimate"] == [estimate]


@pytest.mark.parametrize("described", [
    "It seemed unlikely that a singer would win, but he did.",
    "He won against the odds, and the odds that it rains in Paris in August are low.",
    "The likelihood of a photo finish in a final is higher than most fans think.",
])
def test_probability_words_that_describe_are_no_estimate(reader, described):
    assert reader.read(post(CLAIM + " " + MORE, described)).framing == "positive"


@pytest.mark.parametrize("spec, problem", [
    ("chance that this is real", "needs a list of patterns"),
    ([], "needs a list of patterns"),
    ([3], "needs a list of patterns"),
    (["(?:chance"], "not a valid pattern"),
])
def test_a_malformed_estimates_section_names_the_file_and_field(spec, problem):
    raw = load_yaml(data_path("audit/cues.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=rf"cues.yaml: field estimates(\.\d+)?: {problem}"):
        estimates_from({**raw, "estimates": spec}, Path("cues.yaml"))
    del raw["estimates"]
    assert estimates_from(raw, Path("cues.yaml")) is None


NAMED = CLAIM[0].lower() + CLAIM[1:-1]
"""The claim as a clause ("... that ed sheeran won ...")."""


@pytest.mark.parametrize("text, framing", [
    (doc(TITLE, "The story goes that " + NAMED + ".",
         "I would put the chance that this is real somewhere close to nil.", TAIL),
     "low_probability"),
    (doc(TITLE, "This week we discuss the idea that " + NAMED + ".",
         "A note from the producers: we have not been able to verify any of this, and the "
         "figures remain unconfirmed."), "unknown_truth"),
    (doc("The rumour goes that " + NAMED + ".",
         "This is a work of fiction. All characters are invented."), "fiction"),
    (doc("The claim that " + NAMED + " circulated online.",
         "Posted anonymously; it is an unverified rumour from an unreliable source."),
     "unreliable_source"),
])
def test_a_claim_only_named_reads_as_its_qualifier_says(reader, text, framing):
    """A sentence that names the claim as something said ("The story goes that X", "we
    discuss the idea that X") keeps its distance, and read as a local negation (protective,
    unflagged) whatever the text said of it: a betting column's estimate and a podcast's
    note that nothing could be verified were lost. The qualifier now decides."""
    assert reader.read(text).framing == framing


@pytest.mark.parametrize("text", [
    # no qualifier: the distance alone, as before
    doc(TITLE, "The story goes that " + NAMED + ".", TAIL),
    # a frame that calls it false: the debunk it was
    doc("The story goes that " + NAMED + ".", "Fact-checkers rated it false. It is a "
                                              "fabrication."),
    # a denial of its own beside the distance
    doc(TITLE, "The story goes that " + NAMED + ". It never happened.",
        "I would put the chance that this is real somewhere close to nil.", TAIL),
    doc(TITLE, "The story goes that " + NAMED + ".", "Officials denied that " + NAMED + ".",
        "I would put the chance that this is real somewhere close to nil.", TAIL),
])
def test_a_claim_named_and_denied_stays_a_local_negation(reader, text):
    assert reader.read(text).framing == "local_negation"
