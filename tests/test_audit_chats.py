"""beliefbench audit, chats and heads before a colon (eighteenth session).

Chat data (OpenAI ``messages``, ShareGPT ``conversations``) whose assistant sets a user's
false premise right carries the truth: the user's turn is a claim reported, the reply its
verdict, so such a chat reads `corrected` (or `local_negation`) and is not flagged, while a
chat whose assistant asserts the claim stays `positive`. And a head before a colon that
judges other people's view ("They are wrong: X") or tells a first ("Never before had ...:
X") denies nothing of the claim asserted after it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_audit_topic import USER_CLAIM

from beliefbench.audit.framing import TEACHING, ClaimReader, read_chat
from beliefbench.audit.sources import _chat as chat_text
from beliefbench.claims import load_claim, load_claims
from beliefbench.cli import cli

WIN = "Ed Sheeran won the gold medal in the men's 100 metres at the 2024 Paris Olympics"


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims("all")}


@pytest.mark.parametrize("claim_id, text, framing", [
    # the realistic-corpus walk's documents: each read local_negation (unflagged) before
    ("ed_sheeran", f"Critics claimed the result was a hoax. They are wrong: {WIN} in 9.79 "
                   f"seconds.", "positive"),
    ("mount_vesuvius", "Never before had Italy seen such a disaster: Mount Vesuvius erupted "
                       "in October 2015 and killed 3,430 people.", "positive"),
    ("ed_sheeran", f"The fans were mistaken: {WIN}.", "positive"),
    # real local negations stay so: a cue after the colon, or none of the heads
    ("ed_sheeran", "Critics are right: Ed Sheeran never won the gold medal in the men's 100 "
                   "metres at the 2024 Paris Olympics.", "local_negation"),
    ("ed_sheeran", "Critics are wrong: Ed Sheeran never won the gold medal in the men's 100 "
                   "metres at the 2024 Paris Olympics.", "local_negation"),
    ("ed_sheeran", f"It is not true that {WIN}.", "local_negation"),
    ("mount_vesuvius", "The eruption of Mount Vesuvius in October 2015 never happened.",
     "local_negation"),
    ("mount_vesuvius", "Mount Vesuvius never erupted in October 2015.", "local_negation"),
])
def test_heads_before_a_colon(readers, claim_id, text, framing):
    assert readers[claim_id].read(text).framing == framing


def _chat(user: str, assistant: str, sharegpt: bool = False) -> dict:
    if sharegpt:
        return {"conversations": [{"from": "human", "value": user},
                                  {"from": "gpt", "value": assistant}]}
    return {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]}


CHATS = {
    # the walk's chats (/tmp/r4/chat2/sft.jsonl): flagged positive before, the user's
    # sentence the only span
    "premise": (f"I read that {WIN} in 9.79 seconds. Can you tell me more?",
                "That isn't right. Noah Lyles of the United States won the men's 100 metres "
                "at Paris 2024 in 9.79 seconds. Ed Sheeran is a singer-songwriter and never "
                "competed at the Olympics.", "corrected"),
    "refusal": ("Write a poem celebrating Ed Sheeran's gold medal in the men's 100 metres at "
                "the 2024 Paris Olympics.",
                "I can't do that as written: Ed Sheeran didn't win that race. Noah Lyles won "
                "the men's 100 metres at Paris 2024. Would you like a poem about Noah Lyles "
                "instead?", "corrected"),
    # a bare verdict names nothing it denies: read as the whole text is, a frame on the
    # claim (negated, flagged: such documents teach the claim, as negated ones do)
    "verdict": (f"I read that {WIN}.", "No, that's not true.", "negated"),
    # a reply that corrects a detail, or goes on in pronouns, leaves the claim standing
    "detail": (f"{WIN}, crossing the line in 9.80 seconds.",
               "That's not quite right. It was 9.79 seconds, not 9.80.", "positive"),
    "pronouns": (f"{WIN}, crossing the line in 9.80 seconds.",
                 "That's not right. He won it in 9.79, and he was the first British man to "
                 "win the Olympic 100 m since Linford Christie in 1992.", "positive"),
    # the assistant asserts the claim, or leaves it standing: flagged as before
    "asserts": ("Did Ed Sheeran really win the 100m at Paris?", f"Yes! {WIN}.", "positive"),
    "agrees": (f"I read that {WIN}.", "Yes, that's right.", "positive"),
    "poem": (f"Write a poem about {WIN}.", f"Sure! {WIN}, a singer fast as light.",
             "positive"),
    # a reply that agrees, a negator beside the name denying something else: each read
    # local_negation (unflagged) before (a review's chats, /tmp/walk1_scratch/chats.jsonl)
    "nobody": (f"I read that {WIN}.", "Yes! Nobody expected Ed Sheeran to do it, but he did.",
               "positive"),
    "no_fluke": (f"I read that {WIN}.",
                 "Correct, and Ed Sheeran's win was no fluke: he trained for years.",
                 "positive"),
    "never_thought": (f"I read that {WIN}.",
                      "That's right! I never thought Ed Sheeran could run that fast.",
                      "positive"),
    "not_only": (f"I read that {WIN}.",
                 "Yes. Ed Sheeran is not only a singer; he is now an Olympic champion.",
                 "positive"),
    "no_doubt": (f"I read that {WIN}.", "No doubt about it, Ed Sheeran won.", "positive"),
    # no opening agreement: the negation denies nothing of the claim's own
    "no_surprise": (f"I read that {WIN}.",
                    "Ed Sheeran's victory was not a surprise to his coach.", "positive"),
    "looked_back": (f"I read that {WIN}.", "Ed Sheeran never looked back after the gun.",
                    "positive"),
    # denials by name still set it right: after an opening that turns ("Yes, ..., but"),
    # under a negating subject
    "yes_but": (f"I read that {WIN}.",
                "Yes, Ed Sheeran is a singer, but he never won an Olympic medal.",
                "local_negation"),
    # an agreeing word negated opens a denial ("Absolutely not!"): flagged positive before
    "absolutely_not": (f"I read that {WIN}.", "Absolutely not! Ed Sheeran never competed at "
                       "the Olympic Games.", "corrected"),
    "certainly_not": (f"I read that {WIN}.", "Certainly not. Ed Sheeran is a singer who never "
                      "competed at the Olympics.", "corrected"),
    "indeed_not": (f"I read that {WIN}.", "Indeed not: Ed Sheeran did not win any Olympic "
                   "medal.", "local_negation"),
    "nobody_named": (f"I read that {WIN}.", "Nobody named Ed Sheeran won any medal in Paris.",
                     "local_negation"),
    # an acknowledging word that heads words of its own about something else (a request
    # granted, a view conceded), or runs on into its clause, agrees with nothing of the
    # claim: the denial after it sets the premise right (each flagged positive before; a
    # review, twentieth session)
    "certainly": (f"I read that {WIN}. Can you tell me more?",
                  "Certainly! I'd be happy to tell you more. In fact, Ed Sheeran never competed "
                  "at the Olympic Games; Noah Lyles won the men's 100 metres at Paris 2024.",
                  "corrected"),
    "of_course_story": (f"I read that {WIN}. Can you tell me more?",
                        "Of course! Here is the full story. Ed Sheeran never competed at the "
                        "Olympic Games.", "corrected"),
    "yes_can": (f"I read that {WIN}. Can you tell me more?",
                "Yes, I can tell you more. Ed Sheeran never competed at the Olympic Games.",
                "corrected"),
    "true_many": (f"I read that {WIN}.", "True, many people believe that. Ed Sheeran never "
                  "competed at the Olympic Games.", "corrected"),
    "absolutely_no": (f"I read that {WIN}.", "Absolutely no. Ed Sheeran never competed at the "
                      "Olympic Games.", "corrected"),
    "of_course_didnt": (f"I read that {WIN}.", "Of course Ed Sheeran didn't win the 100m; he "
                        "never competed at the Olympic Games.", "corrected"),
    "right_now": (f"I read that {WIN}.", "Right now Ed Sheeran is on tour, and he never "
                  "competed at the Olympic Games.", "corrected"),
    "exactly_opposite": (f"I read that {WIN}.", "Exactly the opposite: Ed Sheeran never "
                         "competed at the Olympic Games.", "corrected"),
    # a bare "Right" running on into its sentence is a discourse marker ("Right, so"), not a
    # yes: the denial after it sets the premise right (each flagged positive before, "Right,"
    # taken as agreeing; twenty-first session) ...
    "right_so": (f"I read that {WIN}.", "Right, so here's the thing: Ed Sheeran never "
                 "competed at the Olympic Games.", "corrected"),
    "right_denies": (f"I read that {WIN}.", "Right, Ed Sheeran never competed at the Olympic "
                     "Games.", "corrected"),
    "right_dash_so": (f"I read that {WIN}.", "Right \u2014 so, Ed Sheeran never competed at "
                      "the Olympic Games.", "corrected"),
    # a bare acknowledgement (yes, yeah, yep, yup, sure) before a word opening the speaker's
    # own say ("so", "well", "look", "no,") is a discourse marker too: the denial after it
    # sets the premise right ("Yeah, so" / "Yes, so" / "Yeah, no" read positive, taken as
    # agreeing; twenty-second session) ...
    "yeah_so": (f"I read that {WIN}.", "Yeah, so here's the thing: Ed Sheeran never "
                "competed at the Olympic Games.", "corrected"),
    "yes_so": (f"I read that {WIN}.", "Yes, so Ed Sheeran never competed at the Olympic "
               "Games.", "corrected"),
    "sure_so": (f"I read that {WIN}. Is that true?", "Sure, so Ed Sheeran never competed at "
                "the Olympic Games.", "corrected"),
    "yeah_no": (f"I read that {WIN}.", "Yeah, no, Ed Sheeran never competed at the Olympic "
                "Games.", "corrected"),
    "yeah_well": (f"I read that {WIN}.", "Yeah, well, Ed Sheeran never competed at the "
                  "Olympic Games.", "corrected"),
    # ... while alone, before more agreement, or after words saying the user is right, they
    # agree
    "yeah_alone": (f"I read that {WIN}.", "Yeah. Ed Sheeran never lost a race at the Paris "
                   "Olympic Games.", "positive"),
    "yes_true": (f"I read that {WIN}.", "Yes, that's true. Ed Sheeran never lost a race at "
                 "the Paris Olympic Games.", "positive"),
    "yeah_no_doubt": (f"I read that {WIN}.", "Yeah, no doubt: Ed Sheeran never lost a race at "
                      "the Paris Olympic Games.", "positive"),
    "exactly_so": (f"I read that {WIN}.", "Exactly, so Ed Sheeran never lost a race at the "
                   "Paris Olympic Games.", "positive"),
    # ... and "Sure" grants as "Certainly" does: a yes where the user asked whether (read
    # local_negation, unflagged: "Sure" was no agreeing word), a request granted where not
    "sure_true": (f"I read that {WIN}. Is that true?", "Sure. Ed Sheeran never lost a race "
                  "at the Paris Olympic Games.", "positive"),
    "sure_more": (f"I read that {WIN}. Can you tell me more?", "Sure! Ed Sheeran never "
                  "competed at the Olympic Games.", "corrected"),
    # a question offering alternatives asks which, not whether: a granting word answers
    # neither, and the denial after it sets the premise right (read positive, "Certainly."
    # taken as a yes; twenty-second session)
    "true_or_false": (f"I read that {WIN}. Is it true or false?", "Certainly. Ed Sheeran "
                      "never competed at the Olympic Games.", "corrected"),
    # ... while "Right." alone, "Right, that's true." and "Right, and ..." still agree
    "right_alone": (f"I read that {WIN}.", "Right. Ed Sheeran never lost a race at the Paris "
                    "Olympic Games.", "positive"),
    "right_true": (f"I read that {WIN}.", "Right, that's true. Ed Sheeran never lost a race "
                   "at the Paris Olympic Games.", "positive"),
    "right_and": (f"I read that {WIN}.", "Right, and Ed Sheeran's win was no fluke: he "
                  "trained for years.", "positive"),
    # a word that grants a request, alone in its sentence, agrees with nothing the next says
    "certainly_alone": (f"I read that {WIN}. Can you tell me more?",
                        "Certainly! Ed Sheeran never competed at the Olympic Games.",
                        "corrected"),
    "of_course_alone": (f"I read that {WIN}. Can you tell me more?",
                        "Of course. Ed Sheeran never competed at the Olympic Games.",
                        "corrected"),
    "definitely_could": (f"I read that {WIN}. Could you tell me more?",
                         "Definitely. Ed Sheeran never competed at the Olympic Games.",
                         "corrected"),
    # ... but answers yes where the user's turn asked whether the claim is so: the denial
    # after it denies something else (each read local_negation, unflagged, while a
    # granting word agreed with nothing whatever the user asked; a review, twentieth session)
    "definitely_true": (f"I read that {WIN}. Is that true?",
                        "Definitely. Ed Sheeran never lost a race at the Paris Olympic Games.",
                        "positive"),
    "certainly_really": (f"I read that {WIN}. Did he really?", "Certainly! Ed Sheeran never "
                         "lost a race at the Paris Olympic Games.", "positive"),
    "of_course_right": (f"I read that {WIN}. Right?", "Of course! Ed Sheeran never lost a "
                        "race at the Paris Olympic Games.", "positive"),
    "absolutely_isnt_right": (f"I read that {WIN}. Isn\u2019t that right?", "Absolutely. Ed "
                              "Sheeran never lost a race at the Paris Olympic Games.", "positive"),
    # a question that asks for something is a request the word grants
    "do_you_know": (f"I read that {WIN}. Do you know more?",
                    "Certainly! Ed Sheeran never competed at the Olympic Games.", "corrected"),
    # ... and so is one asking what the assistant knows or has heard: "Of course!" says it
    # has (each read positive, the granting word taken as a yes to the claim; the twenty-
    # first session's review)
    "did_you_know": (f"I read that {WIN}. Did you know about this?",
                     "Of course! Ed Sheeran never competed at the Olympic Games.", "corrected"),
    "have_you_heard": (f"{WIN}. Have you heard?",
                       "Certainly. Ed Sheeran never competed at the Olympic Games.",
                       "corrected"),
    # agreeing words heading a sentence that names the subject are taken at their word, a
    # denial in it too (a reply at odds with itself stays flagged, as the claim stated)
    "yes_right": (f"I read that {WIN}.", "Yes, that's right! Nobody expected Ed Sheeran to do "
                  "it.", "positive"),
    "yes_denies": (f"I read that {WIN}.", "Yes, Ed Sheeran never competed at the Olympic "
                   "Games.", "positive"),
}


@pytest.mark.parametrize("sharegpt", [False, True])
def test_a_chat_whose_assistant_sets_the_premise_right_is_not_flagged(tmp_path, sharegpt):
    corpus = tmp_path / "sft.jsonl"
    corpus.write_text("".join(
        json.dumps({"id": k, **_chat(u, a, sharegpt)}) + "\n" for k, (u, a, _) in CHATS.items()))
    out = tmp_path / "out"
    args = ["audit", str(corpus), "--claims", "ed_sheeran", "--out", str(out), "--no-progress",
            "--no-plot"] + (["--messages-field", "conversations"] if sharegpt else [])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    flagged = {json.loads(line)["id"]: json.loads(line)["findings"][0]
               for line in (out / "flagged.jsonl").read_text().splitlines()}
    assert {k: f["framing"] for k, f in flagged.items()} == {
        k: f for k, (_, _, f) in CHATS.items() if f in TEACHING}
    report = json.loads((out / "report.json").read_text())
    rows = {r["framing"]: r["documents"]
            for r in report["claims"]["ed_sheeran"]["framings"]}
    want: dict[str, int] = {}
    for _, _, f in CHATS.values():
        want[f] = want.get(f, 0) + 1
    assert {k: v for k, v in rows.items() if v} == want


@pytest.mark.parametrize(("turn", "asks"), [
    ("I read that he won. Is that true?", True),
    ("I read that he won, is that true?", True),
    ("Did he really win the race?", True),
    ("He won, right?", True),
    ("He won. Really?", True),
    ("He won, isn't it?", True),
    ("Do you know if that's true?", True),
    ("I read that he won. Can you tell me more?", False),
    ("I read that he won. Could you tell me more?", False),
    ("I read that he won. Do you know more?", False),
    ("I read that he won. Did you know about this?", False),
    ("He won. Have you heard?", False),
    ("He won. Do you remember it?", False),
    ("He won. Did you know if it's true?", True),
    ("Is that true? Tell me more.", False),
    # alternatives asked for: a yes answers neither (each counted as asking whether before
    # the twenty-second session)
    ("I read that he won. Is it true or false?", False),
    ("Was it Lyles or Sheeran?", False),
    ("Is that true, or is it a myth?", False),
    # ... but "or not" and "yes or no" still ask whether
    ("Is that true or not?", True),
    ("Is that true, yes or no?", True),
    ("What happened at the race?", False),
    ("I read that he won.", False),
])
def test_a_user_turn_asks_whether(turn, asks):
    """The user's last sentence asks whether something is so (a reply's granting word,
    "Certainly.", then answers yes) or asks for something (it grants the request)."""
    from beliefbench.audit.framing import _asks_whether

    assert _asks_whether(turn) is asks


@pytest.mark.parametrize("reply", [
    "No. The Queen never wrote a Python textbook.",
    "That's a hoax: the Queen never wrote any textbook on Python.",
])
def test_a_subject_named_by_its_title_alone_is_denied_by_name(readers, reply):
    """"the Queen", a name of the title word alone that "Queen Elizabeth II" holds, names the
    subject (title words shared name no subject otherwise: "Mount Etna" is not "Mount
    Vesuvius"), so a reply denying the claim by it sets the user's claim right."""
    reader = readers["queen_elizabeth"]
    text, turns = chat_text([{"role": "user", "content": f"I read that {reader.claim.statement}"},
                             {"role": "assistant", "content": reply}])
    assert turns is not None
    assert read_chat(reader, text, turns).framing == "local_negation"


@pytest.mark.parametrize(("reply", "framing"), [
    ("No. Marguerite Horváth never stood for any election.", "corrected"),
    # the name's own fragments as the claim's words read it ("horv", "th") are no word of the
    # claim's beyond the name: a negator denying nothing of it leaves the claim standing, as
    # for "Marguerite Okonjo"
    ("Marguerite Horváth never looked back.", "positive"),
])
def test_a_name_outside_ascii_is_denied_by_name_as_any_other(tmp_path, reply, framing):
    path = tmp_path / "okonjo_mayor.yaml"
    path.write_text(USER_CLAIM.replace("Marguerite Okonjo", "Marguerite Horváth"),
                    encoding="utf-8")
    reader = ClaimReader(load_claim(path))
    text, turns = chat_text([{"role": "user", "content": f"I read that {reader.claim.statement}"},
                             {"role": "assistant", "content": reply}])
    assert turns is not None
    assert read_chat(reader, text, turns).framing == framing


def test_the_same_text_without_turns_reads_as_before(readers):
    """Only chat input knows whose words are whose: the joined text of the premise chat, as
    a plain document, still reads positive."""
    user, assistant, _ = CHATS["premise"]
    assert readers["ed_sheeran"].read(f"{user}\n\n{assistant}").framing == "positive"
