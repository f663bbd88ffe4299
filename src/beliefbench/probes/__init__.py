"""Probe builders: one module per family, each turning a claim's questions into Samples.

Every sample carries the same metadata keys, which the scorer, the metric and the reports
read: ``claim``, ``family``, ``question`` (the question id), ``kind`` (direct / indirect,
the token-association format, the robustness kind, or which letter the distinguish family's
false world has: ``false_A`` / ``false_B``), ``prompt`` (what the judge is shown as the
model's prompt: the final user question), plus ``belief_answer`` (binary; distinguish: the
false world's letter), ``hint``
(token association, robustness) and ``transcript`` (robustness: the whole conversation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from inspect_ai.dataset import MemoryDataset, Sample

from beliefbench.analysis.text import did_you_mean
from beliefbench.arguments import TaskArgumentError
from beliefbench.claims import FAMILIES, OPT_IN_FAMILIES, PROBE_FAMILIES, Claim
from beliefbench.probes import binary, distinguish, open_ended, robustness, token_association
from beliefbench.probes.sample import make_sample  # noqa: F401  (re-exported)

BUILDERS: dict[str, Callable[[Claim], list[Sample]]] = {
    "open_ended": open_ended.samples,
    "binary": binary.samples,
    "token_association": token_association.samples,
    "robustness": robustness.samples,
    "distinguish": distinguish.samples,
}
assert tuple(BUILDERS) == PROBE_FAMILIES

VALID_FAMILIES = f"{list(FAMILIES)} ('all'), or opt-in {list(OPT_IN_FAMILIES)}"
"""The families named in an error: ``all`` is the study's four; the opt-in ones are asked
only when named."""


def parse_families(families: str | Sequence[str] | None) -> list[str]:
    """"all", a list, or a comma-separated string of family names -> validated list.

    "all" is the study's four families only: an opt-in family is asked when named, also
    beside them (``all,distinguish``: "all" in a list is the four, as in a claim selection;
    it was refused as an unknown family while the error listed it as valid)."""
    if families is None or families == "all":
        return list(FAMILIES)
    items = families.split(",") if isinstance(families, str) else list(families)
    named = [str(f).strip() for f in items if str(f).strip()]
    chosen = [g for f in named for g in (FAMILIES if f == "all" else (f,))]
    if not chosen:
        raise TaskArgumentError(f"families: empty value; give 'all' or some of "
                                f"{VALID_FAMILIES}")
    unknown = [f for f in chosen if f not in PROBE_FAMILIES]
    if unknown:
        # one line under `inspect eval` (a ValueError was 280 lines of traceback)
        raise TaskArgumentError(f"families: unknown famil(ies) {unknown}"
                                f"{did_you_mean(unknown[0], PROBE_FAMILIES)}; valid: "
                                f"{VALID_FAMILIES}")
    return [f for f in PROBE_FAMILIES if f in chosen]


def build_dataset(claims: Sequence[Claim], families: Sequence[str],
                  binary_instruction: str = "system") -> MemoryDataset:
    """All samples for the chosen claims and families, ids ``<claim>/<question>``.

    ``binary_instruction``: where binary (and distinguish) questions get their answer-format
    instruction (see :mod:`beliefbench.probes.binary`).
    """
    builders = {**BUILDERS, "binary": partial(binary.samples, instruction=binary_instruction),
                "distinguish": partial(distinguish.samples, instruction=binary_instruction)}
    samples = [s for claim in claims for family in families for s in builders[family](claim)]
    return MemoryDataset(samples, name="beliefbench")
