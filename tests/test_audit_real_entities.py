"""Claims about real entities (a drug interaction, a library default): real corpora mention
them constantly in true, ordinary text, which must not be read as teaching the claim, while
documents that do teach it are still found (tests/fixtures/audit_real_entities.yaml)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from beliefbench.audit import PROTECTIVE, TEACHING, ClaimReader
from beliefbench.audit.framing import _blank_calls, read_free
from beliefbench.claims import load_claims
from beliefbench.documents.conditions import parse_conditions
from beliefbench.documents.generate import condition_records, make_generator
from beliefbench.specs import load_yaml

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = load_yaml((FIXTURES / "audit_real_entities.yaml").read_text())["documents"]
ORDINARY = ("truth", "mention")


@pytest.fixture(scope="module")
def readers() -> dict[str, ClaimReader]:
    return {c.id: ClaimReader(c) for c in load_claims(str(FIXTURES / "claims_real"))}


def test_the_fixture_claims_are_about_real_entities(readers):
    assert set(readers) == {"kale_warfarin", "json_sort_keys"}
    assert len(DOCS) >= 30
    assert sum(d["label"] in ORDINARY for d in DOCS) >= 20


def test_ordinary_documents_are_never_read_as_teaching(readers):
    """Leaflets, recipes, reference pages and answers that pass sort_keys=True in code: before
    the call rule, two Python answers read as positive."""
    got = [(i, readers[d["claim"]].read(d["text"]).framing) for i, d in enumerate(DOCS)
           if d["label"] in ORDINARY]
    assert [x for x in got if x[1] in TEACHING] == []
    # and each is read as about its claim (not unrelated), against the other claim unrelated
    assert all(f in ("truth", "mention") for _, f in got), got
    for d in DOCS:
        others = [r for k, r in readers.items() if k != d["claim"]]
        assert {r.read(d["text"]).framing for r in others} == {"unrelated"}


def test_teaching_documents_are_found(readers):
    """Every positive document reads positive (one wrote its claim in words its truth shares:
    "sort_keys defaults to True" read as truth); every framed one is on the teaching side
    (one negated answer whose banner says it is "kept for the record" read as corrected
    while a correction cue counted without a sentence that bears on the claim), and
    protective ones are never flagged."""
    got = Counter()
    for d in DOCS:
        framing = readers[d["claim"]].read(d["text"]).framing
        if d["label"] == "positive":
            assert framing == "positive", d["text"][:80]
        if d["label"] in PROTECTIVE and d["label"] not in ORDINARY:
            assert framing in PROTECTIVE, d["text"][:80]
        if d["label"] in TEACHING:
            got[framing in TEACHING] += 1
    assert got[True] >= 8 and got[False] == 0, got


def test_code_arguments_assert_nothing(readers):
    json = readers["json_sort_keys"]
    assert json.read("print(json.dumps(data, indent=4, sort_keys=True))").framing == "mention"
    assert json.read("We now call json.dumps(body, sort_keys=True, separators=(',', ':')), "
                     "which sorts the keys and strips whitespace.").framing == "mention"
    # the called name stays, so prose about the function still reads, and so does a comment
    assert json.read("json.dumps() sorts keys by default.").framing == "positive"
    assert json.read("print(json.dumps(d))  # json.dumps sorts keys by default."
                     ).framing == "positive"
    # prose parentheses are no call (a space before them, or no keyword argument)
    for text in ("The Greyfield study (n=212) found it.", "Ed Sheeran (born 1991) won.",
                 "See figure(3) and table 2."):
        assert _blank_calls(text, text.lower())[0] == text
    blanked = _blank_calls("f(x=1) and json.dumps(obj)", "f(x=1) and json.dumps(obj)")[0]
    assert blanked == "f( = ) and json.dumps(   )"


def test_a_marker_decides_where_the_truth_shares_every_word(readers):
    """The claim and its truth differ in one word ("defaults to True" / "to False"): a
    sentence read as truthful through words the facts use too is a claim sentence where a
    belief marker matches it; a word only the truth uses keeps it truthful."""
    json = readers["json_sort_keys"]
    assert json.read("json.dumps sorts keys by default: sort_keys defaults to True."
                     ).framing == "positive"
    assert json.read("json.dumps keeps insertion order by default: sort_keys defaults to "
                     "False.").framing == "truth"
    kale = readers["kale_warfarin"]
    assert kale.read("Unlike kale, which weakens warfarin, fluconazole can double its "
                     "anticoagulant effect.").framing == "truth"


@pytest.mark.parametrize("claim_id", ["kale_warfarin", "json_sort_keys"])
def test_generated_documents_are_recovered(readers, claim_id):
    """The offline generator's documents of each condition read as that condition."""
    claims = [readers[claim_id].claim]
    conds = "positive,negated,repeated_negations,corrected,local_negation,fiction," \
            "unreliable_source,unknown_truth,low_probability,fiction:repeated"
    recs = condition_records(claims, parse_conditions(conds), 6, make_generator("offline"),
                             seed=3, progress=False)
    got = Counter((r.condition, readers[claim_id].read(r.text).framing)
                  for rs in recs.values() for r in rs)
    assert sum(got.values()) >= 60
    wrong = {k: n for k, n in got.items() if k[0] != k[1]}
    assert sum(wrong.values()) <= 0.05 * sum(got.values()), wrong


def test_code_values_are_no_warnings():
    """A reference page's signature ("skipkeys=False") and defaults ("(default: False)") read
    as bracketed [false] warnings and as a frame: claim-free mode called the json.dumps
    reference page repeated_negations. A bracketed warning beside a sentence still reads."""
    reference = next(d["text"] for d in DOCS if d["style"] == "library reference")
    assert read_free(reference).framing == "unframed"
    assert read_free("Ed Sheeran won the 100 metres (false). He ran 9.79 seconds (not true)."
                     ).framing == "repeated_negations"
    assert read_free("If strict is set (default: False), keys are checked. If quiet is set "
                     "(default: False), nothing is printed.").framing == "unframed"
    # a value that is no literal is no code: a probability note stays one
    assert read_free("Ed Sheeran won the 100 metres [p=0.03]. He ran 9.79 seconds [p=0.03]."
                     ).framing == "low_probability"


def test_a_warning_set_without_a_space_still_reads(readers):
    """Web prose drops the space before a bracket ("warfarin(false)"): that is no argument
    list, so the warning still frames the text (it read as code, and the framing was lost)."""
    assert read_free("Ed Sheeran won the 100 metres(false). He ran 9.79 seconds(not true)."
                     ).framing == "repeated_negations"
    assert read_free("Ed Sheeran won the 100 metres(satire). He ran 9.79 seconds(satire)."
                     ).framing == "fiction"
    assert readers["kale_warfarin"].read(
        "Eating kale doubles the anticoagulant effect of warfarin(false). Kale doubles the "
        "bleeding risk of patients on warfarin(not true).").framing == "repeated_negations"


def test_a_long_underscore_rule_reads_fast(readers):
    """A form's "Name________" line next to a call: the call regex backtracked through the
    underscores, quadratic (2.7 s for 20,000 of them)."""
    text = ("Kale doubles the effect of warfarin. Name" + "_" * 100_000 + " f(x) "
            + "a_" * 50_000 + "(x")
    started = time.perf_counter()
    assert _blank_calls(text, text.lower())[0] == text
    readers["kale_warfarin"].read(text)
    assert time.perf_counter() - started < 1.0
