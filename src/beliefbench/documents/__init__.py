"""Training documents in every experimental condition, from a claim spec.

base documents (offline templates or an Inspect model) -> condition annotators -> records,
plus the mixer (neutral text, chats, graded poisoning), in-context bundles and statistics.
"""

from beliefbench.documents.base import BaseDocument, ClaimFieldError, DocumentError
from beliefbench.documents.conditions import CONDITIONS, annotate, parse_conditions
from beliefbench.documents.conditions._builder import strip_annotations
from beliefbench.documents.generate import generate_datasets

__all__ = ["CONDITIONS", "BaseDocument", "ClaimFieldError", "DocumentError", "annotate",
           "generate_datasets", "parse_conditions", "strip_annotations"]
