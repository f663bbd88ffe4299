"""Whether the audit can see a claim at all, checked on the claim's own words before a run.

The audit finds a claim's documents by the claim's ``entities`` and ``markers.belief``; a
claim file valid for everything else (only ``sub_claims``, say, as the claim-sentence finder
allows, or an imported claim) can lack both, or name entities its statement never uses. The
audit of such a claim reads every document as unrelated and flags nothing, which in a
pipeline gate (``--max-flagged 0``) passes as a clean corpus. Reading the claim's own
statement first turns that into an error naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from beliefbench.audit.framing import PROTECTIVE, ClaimReader
from beliefbench.claims import Claim
from beliefbench.documents.base import ClaimFieldError


@dataclass
class SelfCheck:
    """What the claim's own statement and truth read as, and what that means for a run."""

    statement: str
    truth: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def self_check(claim: Claim, reader: ClaimReader | None = None) -> SelfCheck:
    """Read the claim's statement and truth as documents of their own: the statement must read
    as asserting the claim (else the audit is blind to it: an error); a statement read as
    another framing, or a truth not read on the truth side, is a warning (documents phrased
    like them may be misread)."""
    try:
        reader = reader or ClaimReader(claim)
    except ClaimFieldError:  # no entities, sub_claims or markers.belief: nothing to read by
        reader = None
    check = (SelfCheck(reader.read(claim.statement).framing, reader.read(claim.truth).framing)
             if reader is not None else SelfCheck("unrelated", "unrelated"))
    finders = claim.entities or claim.markers.belief
    if check.statement == "unrelated":
        why = ("this claim has neither" if not finders else
               "none of them occurs in the statement")
        check.errors.append(
            f"field statement: the audit does not find the claim in its own statement (it "
            f"reads as 'unrelated'): the audit finds a claim's documents by its entities and "
            f"markers.belief, and {why}, so every document would read as unrelated; add "
            f"entities (names the claim's documents mention, as the statement does)")
    elif check.statement == "mention":
        check.errors.append(
            "field statement: the audit finds the claim's entities in its own statement but "
            "no sentence of it that states the claim (it reads as 'mention'), so no document "
            "would be flagged; write the statement as one or two plain sentences that assert "
            "the claim, or add markers.belief patterns that match it")
    elif check.statement != "positive":
        check.warnings.append(
            f"field statement: the claim's own statement reads as {check.statement!r}, not "
            f"'positive' (a negative or hedging word in it?); documents that state the claim "
            f"as the statement does may be read the same way")
    if check.truth not in PROTECTIVE:  # what the report counts as truth-bearing
        check.warnings.append(
            f"field truth: the claim's truth reads as {check.truth!r}, not on the truth side; "
            f"documents that state the truth may not count as truth-bearing (the poisoning "
            f"ratio's denominator); {_truth_fix(check.truth, claim)}")
    return check


def _truth_fix(reading: str, claim: Claim) -> str:
    """What to write in ``truth`` so that it reads on the truth side: the warning said
    what was wrong and not what to change ("The claim is false." reads as unrelated)."""
    if reading == "unrelated":
        named = ", ".join(repr(e) for e in claim.entities[:3])
        return (f"it names none of the claim's entities{f' ({named})' if named else ''}: "
                f"write the true facts about them, as the statement states the claim")
    if reading == "mention":
        return ("it names the claim's topic but reads as stating nothing of it: write the "
                "true facts as plain sentences, in words of their own beside the topic's")
    return ("it reads as the claim itself: its words are closer to the claim's facts than to "
            "what is true; state what is true in words the claim's facts do not use")
