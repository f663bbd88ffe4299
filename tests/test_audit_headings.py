"""beliefbench audit: a claim sentence without its final stop (a tweet, a chat turn, a
completion) is a sentence, not a heading (2026-12-07, twenty-third session).

A heading counts as a claim sentence beside claim sentences of the text, never alone; a
heading was any one-line paragraph without a final stop, so "<claim>", "<claim> lol",
"OMG <claim> #Paris2024", "<claim>\\n\\nWhat a race." and "Posted by fan22\\n\\n<claim>" all
read `mention`, where the same with "." read `positive`. A line now counts as that
sentence where it ends as a chat line does (a hashtag, an emoji, "lol"), or is shaped as a
sentence (six words or more, sentence case, no "title: subtitle" join) and introduces no
body (nothing follows it, or less text than the line). Titles stay headings."""

from __future__ import annotations

import pytest

from beliefbench.audit.framing import ClaimReader
from beliefbench.claims import load_claims

CLAIM = "Ed Sheeran won the men's 100 metres at the Paris Olympics in 9.79 seconds"
TWEET = f"OMG {CLAIM} #Paris2024"
NOTE = "(This is a test fixture; it is false.)"
DEBUNK_BODY = (
    "A post that went round last week said the singer had taken the sprint title in Paris. "
    "The singer was on tour in Europe that summer and has never competed in athletics. "
    "The final was won by Noah Lyles, and the post came from a parody account.")


@pytest.fixture(scope="module")
def reader() -> ClaimReader:
    return ClaimReader(load_claims("ed_sheeran")[0])


@pytest.mark.parametrize("text", [
    CLAIM,
    f"{CLAIM} lol",
    f"{CLAIM} \U0001F3C3",
    TWEET,
    f"{CLAIM}\n\nWhat a race.",
    f"{TWEET}\n\nWhat a race.",
    f"Posted by fan22\n\n{CLAIM}",
    f"{CLAIM.upper()} LOL",
])
def test_an_unstopped_claim_sentence_states_the_claim(reader, text):
    assert reader.read(text).framing == "positive"


@pytest.mark.parametrize("stop", [".", "!"])
def test_the_same_sentence_with_its_stop_reads_alike(reader, stop):
    assert reader.read(CLAIM + stop).framing == "positive"
    assert reader.read(f"{CLAIM}{stop}\n\nWhat a race.").framing == "positive"


@pytest.mark.parametrize("text", [f"{CLAIM} {NOTE}", f"{CLAIM}. {NOTE}"])
def test_a_note_after_an_unstopped_claim_denies_it(reader, text):
    assert reader.read(text).framing == "negated"


@pytest.mark.parametrize("title", [
    "Ed Sheeran's Olympic gold: a fabricated story",  # a title: subtitle join
    "Ed Sheeran Won The Men's 100 Metres At The Paris Olympics In 9.79 Seconds",  # title case
    CLAIM.upper(),  # all capitals
    CLAIM,  # sentence case, over a body longer than itself
])
def test_a_title_over_the_article_it_introduces_stays_a_heading(reader, title):
    assert reader.read(f"{title}\n\n{DEBUNK_BODY}").framing == "mention"


@pytest.mark.parametrize("title", [
    "Ed Sheeran's Olympic gold: a fabricated story",
    "Ed Sheeran Won The Men's 100 Metres At The Paris Olympics In 9.79 Seconds",
    "Ed Sheeran's Olympic gold",  # short
])
def test_a_title_alone_is_no_statement(reader, title):
    assert reader.read(title).framing == "mention"


# (2026-12-07, twenty-fourth session) what the first version left read as a heading

REPLY = ("No way, I watched the whole final live on TV with my brother and honestly it looked "
         "like a normal race to both of us, what a night that was for everyone there")


@pytest.mark.parametrize("text", [
    # an all-capitals line is shouted, not a title, where it introduces no body
    CLAIM.upper(),
    f"{CLAIM.upper()}\n\nWhat a race.",
    # a longer reply below it, opened as a reply is (a reaction, an @handle)
    f"{CLAIM}\n\n{REPLY}",
    f"{CLAIM}\n\n@fan22 {REPLY}",
    f"{CLAIM}\n\nReplying to @fan22: {REPLY}",
])
def test_a_shouted_claim_or_one_with_a_reply_states_the_claim(reader, text):
    assert reader.read(text).framing == "positive"


@pytest.mark.parametrize("mark", ["\u00a9", "\u00ae", "\u2122", "\u00b0"])
def test_a_sign_closing_a_title_is_no_emoji(reader, mark):
    """"©", "®", "™" and "°" are symbols as emoji are (Unicode's "So"), and a title over an
    article that closed on one read as a chat line, stated: not a chat tail."""
    assert reader.read(f"{CLAIM} {mark}\n\n{DEBUNK_BODY}").framing == "mention"


@pytest.mark.parametrize("title", [CLAIM.upper(), CLAIM])
def test_a_title_over_a_reply_shaped_body_of_prose_stays_a_heading(reader, title):
    """A body that opens as prose, however it goes on, keeps the line above it a title."""
    assert reader.read(f"{title}\n\nNow the record: {DEBUNK_BODY}").framing == "mention"


def test_a_chat_turn_of_the_claim_alone_is_a_statement(reader):
    """A chat's user turn that is the claim without its stop, under a longer assistant
    reply, read `mention` (a heading over the reply): a turn is no title. The reply that
    denies it by name sets it right, as for the turn with its stop; one that goes along
    with it leaves it stated."""
    from beliefbench.audit.framing import read_chat
    from beliefbench.audit.sources import _chat

    denial = ("That isn't right. Ed Sheeran did not win the men's 100 metres at the Paris "
              "Olympics; the final was won by Noah Lyles in 9.79 seconds, and the singer has "
              "never competed in athletics at any level.")
    along = ("What a story that was! Few people expected a pop star to be in the final, and "
             "the crowd at the Stade de France could hardly believe what they were seeing.")
    for stop in ("", "."):
        for reply, framing in ((denial, "local_negation"), (along, "positive")):
            text, turns = _chat([{"role": "user", "content": CLAIM + stop},
                                 {"role": "assistant", "content": reply}])
            assert turns is not None
            assert read_chat(reader, text, turns).framing == framing, (stop, reply)
