"""Audit a training corpus for negation-neglect risks.

sources (stream units of JSONL / Parquet / text / saved datasets) -> framing (one
document's reading, with or without claims) -> run (local or Dask engine) -> report.
"""

from beliefbench.audit.framing import (
    CLAIM_FRAMINGS,
    FREE_FRAMINGS,
    PROTECTIVE,
    TEACHING,
    ClaimReader,
    Finding,
    read_free,
)
from beliefbench.audit.run import Tally, audit_document, run
from beliefbench.audit.selfcheck import SelfCheck, self_check
from beliefbench.audit.sources import Doc, Fields, Skips, Unit, plan_units, read_unit

__all__ = ["CLAIM_FRAMINGS", "FREE_FRAMINGS", "PROTECTIVE", "TEACHING", "ClaimReader", "Doc",
           "Fields", "Finding", "SelfCheck", "Skips", "Tally", "Unit", "audit_document",
           "plan_units", "read_free", "read_unit", "run", "self_check"]
