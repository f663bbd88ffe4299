"""Finetune errors, in a module light enough for any backend or reader to import.

The OpenAI backend and the sweep's manifest reader must not pull in torch / transformers just
to raise or catch these. ``exit_code`` is what the CLI exits with: 2 for bad input or set-up
(the user must change something), 1 for a run that was started and failed.
"""

from __future__ import annotations


class FinetuneError(RuntimeError):
    """A finetune run that cannot start or continue; says why and what to do."""

    exit_code = 2


class TrainingFailed(FinetuneError):
    """A run that started and then failed (e.g. the provider's job ended ``failed``)."""

    exit_code = 1


class ManifestError(FinetuneError, ValueError):
    """A manifest that cannot be used; names the file and line."""
