"""The checkpoint manifest: one JSON line per checkpoint saying exactly how it was made.

A sweep evaluates every checkpoint by reading ``<out>/manifest.jsonl``; nothing is pasted by
hand. Entries are keyed by ``path``: writing the same checkpoint again (after a resume)
replaces its line instead of duplicating it. Never holds secrets (API keys).

This module is the whole contract between the finetune backends and their readers: the entry
schema, :func:`entry_fields` (what every backend records about a run), the writer
(:func:`upsert_manifest`) and the one strict reader (:func:`read_manifest_file`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from beliefbench.analysis.text import did_you_mean, first_few
from beliefbench.arguments import NoHomeFolder
from beliefbench.finetune.base import HUB_ID
from beliefbench.finetune.errors import ManifestError
from beliefbench.records import CUT_SHORT, atomic_write_text, json_problem
from beliefbench.resources import home_expanded

MANIFEST = "manifest.jsonl"
log = logging.getLogger(__name__)


class ManifestEntry(BaseModel):
    """One checkpoint of a finetune run: a line of its ``manifest.jsonl``."""

    model_config = ConfigDict(extra="forbid")
    path: str
    """A servable checkpoint: an absolute directory, or a provider model id (``openai/ft:...``)."""
    step: int | None
    """Optimizer step; None where the backend does not say it (an API job whose checkpoints
    could not be listed)."""
    tokens_seen: int | None = None
    backend: str
    format: str
    """merged / full (whole weights), adapter (LoRA; serve as ``base:adapter``), or api."""
    base_model: str
    data: str
    data_sha256: str
    recipe: dict[str, Any]
    recipe_path: str | None = None
    condition: str | list[str] | None = None
    claim: str | list[str] | None = None
    final: bool = False
    extra: dict[str, Any] = {}


def manifest_file(path: str | Path) -> Path:
    """The manifest itself, given its file or the run directory holding it."""
    p = Path(path)
    return p / MANIFEST if p.is_dir() else p


NOT_A_MANIFEST = ("this is a training-records file, not a finetune manifest (manifest.jsonl "
                  "written by beliefbench finetune in its --out)")


def _not_a_manifest_line(line: str) -> str | None:
    """Why a line is no manifest entry at all, where a field-by-field list of pydantic's
    complaints would hide it: a training record (``text`` / ``messages``, no ``path`` /
    ``step``), or a JSON array (the manifest is one JSON object per line)."""
    if line.lstrip().startswith("["):
        return ("a JSON array; the manifest is one JSON object per line (JSONL), as "
                "beliefbench finetune writes it in its --out")
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as e:  # pydantic said "field (line): Invalid JSON:
        # EOF while parsing a string at line 1 column 1275" of a line a copy cut short
        return json_problem(e)
    if (isinstance(value, dict) and ({"text", "messages"} & value.keys())
            and not ({"path", "step"} & value.keys())):
        return NOT_A_MANIFEST
    return None


def _model_folder_hint(p: Path) -> str:
    """What a missing ``<folder>/manifest.jsonl``'s folder is, where it is a model: one
    checkpoint of a run (whose folder holds the manifest), or a base or other model folder.
    ``--manifest models/base`` said only "no such manifest file"."""
    folder = p.parent
    if p.name != MANIFEST or not folder.is_dir():
        return ""
    if (folder.parent / MANIFEST).is_file():
        return (f" ({folder} is one checkpoint of the run {folder.parent}, whose folder holds "
                f"the manifest: pass {folder.parent})")
    if (folder / "config.json").is_file() or (folder / "adapter_config.json").is_file():
        return (f" ({folder} is a model folder, not a finetune run: a manifest is the "
                f"manifest.jsonl in the --out of beliefbench finetune; measure one model "
                f"with --model: internals margins, lens, probe, sweep)")
    if (folder / "run.json").is_file():  # outdir.RUN_FILE (outdir imports this module)
        return (f" ({folder} is a finetune run that has written no checkpoint yet: its "
                f"{MANIFEST} is written with the first one; let the finetune reach it, or "
                f"run it again)")
    runs = sorted(str(d.parent) for d in folder.glob(f"*/{MANIFEST}") if d.is_file())
    if runs:  # the folder above the runs (ckpts/ of ckpts/<condition>/): which to pass
        return (f" ({folder} holds finetune runs, each with its manifest: pass one of "
                f"{first_few(runs, 4)})")
    return ""


def _beside_hint(p: Path) -> str:
    """Where a file that is not a manifest sits in a run folder beside one (the run's
    ``run.json``, a recipe): ``--manifest ckpts/positive/run.json`` said only "line 1: not
    valid JSON" of a file that is the run's settings."""
    if p.name == MANIFEST or not (p.parent / MANIFEST).is_file():
        return ""
    return f" ({p.name} is not the manifest: pass the run folder {p.parent} or its {MANIFEST})"


def read_manifest_file(path: str | Path, *, allow_empty: bool = False) -> list[ManifestEntry]:
    """Every entry of a manifest (a ``manifest.jsonl`` or a run directory), validated.

    A missing file, a line that is not a valid entry, or (unless ``allow_empty``) a manifest
    without entries raises :class:`ManifestError` naming the file and line.
    """
    p = manifest_file(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        from beliefbench.not_found import where_missing

        hint = _model_folder_hint(p) or where_missing(p, files=None)
        raise ManifestError(f"{p}: no such manifest file{hint}") from None
    except OSError as e:
        raise ManifestError(f"{p}: cannot read the manifest ({e})") from None
    try:
        # a manifest hand-edited (a base_model made absolute, as errors advise) and saved
        # as "UTF-8 with BOM" (Notepad): the mark is no part of the first entry
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:  # a path hand-edited in a Latin-1 editor: where, as the
        # records' reader says it (the codec's "position 1234" named no line)
        lineno, start = raw.count(b"\n", 0, e.start) + 1, raw.rfind(b"\n", 0, e.start) + 1
        raise ManifestError(f"{p}, line {lineno}: not UTF-8 (byte 0x{raw[e.start]:02x} at "
                            f"column {e.start - start + 1}); save the file as UTF-8") from None
    entries = []
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        wrong = _not_a_manifest_line(line)
        if wrong:
            cut = (CUT_SHORT if wrong.startswith("not valid JSON:") and n == len(lines)
                   and not text.endswith(("\n", "\r")) else "")
            raise ManifestError(f"{p}, line {n}: {wrong}{cut}{_beside_hint(p)}")
        try:
            entries.append(ManifestEntry.model_validate_json(line))
        except ValidationError as e:
            problems = "; ".join(
                f"field {'.'.join(map(str, err['loc'])) or '(line)'}: {err['msg']}"
                for err in e.errors())
            raise ManifestError(f"{p}, line {n}: {problems}{_beside_hint(p)}") from None
        if said := _no_home(entries[-1]):
            raise ManifestError(f"{p}, line {n}: {said}")
    if not entries and not allow_empty:
        raise ManifestError(f"{p}: the manifest has no checkpoints")
    return entries


def _no_home(entry: ManifestEntry) -> str | None:
    """``field path: ~nosuch/ckpt: no such user's home folder ...`` where a local entry's
    checkpoint or base model is under a ``~user`` that names no user here (a manifest
    edited by hand, or moved from a machine that has the user); else None. Said as the
    manifest is read, with its line: every reader of these paths stopped on pathlib's
    RuntimeError, which named neither the path nor the manifest."""
    fields = ("base_model",) if entry.format == "api" else ("path", "base_model")
    for name in fields:
        try:
            home_expanded(getattr(entry, name))
        except NoHomeFolder as e:
            return f"field {name}: {e}"
    return None


def read_manifest(out_dir: str | Path) -> list[ManifestEntry]:
    """The entries of a run directory; none yet (no manifest written) is an empty list."""
    if not manifest_file(out_dir).exists():
        return []
    return read_manifest_file(out_dir, allow_empty=True)


def upsert_manifest(out_dir: str | Path, *new: ManifestEntry) -> None:
    """Add or replace each entry of ``new`` (by path), keep step order, and rewrite
    atomically: several entries in one write, so a reader never sees part of a set (an
    API job's checkpoints without its final model)."""
    entries = {e.path: e for e in read_manifest(out_dir)}
    entries.update((e.path, e) for e in new)
    _write(out_dir, entries.values())


def _write(out_dir: str | Path, entries: Iterable[ManifestEntry]) -> None:
    """The manifest of ``entries`` in step order, written atomically."""
    ordered = sorted(entries, key=lambda e: (e.step if e.step is not None else 1 << 62, e.path))
    atomic_write_text(Path(out_dir) / MANIFEST,
                      "".join(json.dumps(e.model_dump(), sort_keys=True) + "\n" for e in ordered))


def rehome_manifest(out_dir: str | Path) -> list[int | None]:
    """Point the lines of a local run's checkpoints at their folders in ``out_dir`` where the
    run folder was moved (or copied) since they were written, and return their steps.

    Their absolute paths named the old place, so a resumed run added its new checkpoints
    beside lines a sweep refused as not on disk (or, for a copy, served from the original).
    A checkpoint missing from the moved folder is pointed there too, where every reader
    looks for it (:func:`checkpoint_path`): kept at the old place, the line of one the resume
    exports again (the final one, deleted or left out of a copy) stayed beside the new one,
    two lines for one step, and one it cannot export named the original's folder."""
    out = Path(out_dir).resolve()
    moved, kept = [], []
    for e in read_manifest(out):
        here = out / Path(e.path).name
        if e.backend == "local" and Path(e.path) != here and (
                here.is_dir() or checkpoint_path(e, out) == here):
            moved.append(e.model_copy(update={"path": str(here)}))
        else:
            kept.append(e)
    if moved:  # a line already at the new place (written there since) wins
        _write(out, {e.path: e for e in [*moved, *kept]}.values())
    return [e.step for e in moved]


def checkpoint_path(entry: ManifestEntry, manifest: str | Path) -> Path:
    """The folder a local checkpoint of ``manifest`` (its file or run directory) is read
    from, the same for every reader (sweep, trajectory, efficiency).

    A relative path is beside the manifest. An absolute one (finetune writes
    ``<out>/step-N``) is read beside the manifest where a folder of its name is there and is
    not the recorded one: the run folder was moved or copied, and a copy is self-contained
    (reading the recorded path measured the original's checkpoints while they existed).
    Else the recorded path, as written, unless other checkpoints recorded in its folder are
    read beside the manifest: then the copy lacks this one (deleted, or left out of a partial
    copy), and its place beside the manifest is returned, not there, so that a reader refuses
    it as not on disk rather than serving the original's step among the copy's (a sweep
    evaluated it, exit 0, with a note that the recorded folders were "not read"). An ``api``
    entry's path is a model id, not a folder: callers do not ask."""
    where = manifest_file(manifest).parent
    p = Path(entry.path).expanduser()
    if not p.is_absolute():
        return (where / p).resolve()
    beside = where / p.name
    if beside.is_dir() and beside.resolve() != p.resolve():
        return beside.resolve()
    if p.parent.resolve() != where.resolve() and _copied_from(p.parent, manifest):
        return beside.resolve()
    return p


def listing_entry(checkpoint: str | Path) -> tuple[ManifestEntry, Path] | None:
    """The manifest entry that lists local ``checkpoint``, and its manifest file: the run's
    ``manifest.jsonl`` in the checkpoint's folder or its parent (the run's ``--out``), the
    checkpoint found where every manifest reader finds it (:func:`checkpoint_path`: a moved
    or copied run folder's beside its manifest); None where none lists it (copied away from
    its run). ManifestError where such a manifest does not read."""
    ckpt = Path(checkpoint).expanduser().resolve()
    if not ckpt.is_dir():
        return None
    for folder in (ckpt, ckpt.parent):
        path = folder / MANIFEST
        if not path.is_file():
            continue
        for e in read_manifest_file(path, allow_empty=True):
            if e.format != "api" and checkpoint_path(e, path).resolve() == ckpt:
                return e, path
    return None


def trained_base_fingerprint(entry: ManifestEntry) -> str | None:
    """The fingerprint of the base ``entry``'s run was trained on
    (``extra.base_fingerprint``), or None where the run recorded none."""
    value = (entry.extra or {}).get("base_fingerprint")
    return value if isinstance(value, str) and value else None


def distinct_bases(entries: Iterable[ManifestEntry]) -> list[ManifestEntry]:
    """The first local entry of each base fingerprint recorded (one per run; several in a
    manifest joining runs), to check a base folder once per model it should hold."""
    first: dict[str | None, ManifestEntry] = {}
    for e in entries:
        if e.format != "api":
            first.setdefault(trained_base_fingerprint(e), e)
    return list(first.values())


def _copied_from(folder: Path, manifest: str | Path) -> bool:
    """Whether ``manifest``'s run folder is a copy (or a move) of ``folder``: some checkpoint
    it records in ``folder`` is read beside the manifest instead."""
    where = manifest_file(manifest).parent
    try:
        entries = read_manifest_file(manifest, allow_empty=True)
    except ManifestError:  # the caller reads (and refuses) the manifest itself
        return False
    for e in entries:
        p = Path(e.path).expanduser()
        if e.format == "api" or not p.is_absolute() or p.parent != folder:
            continue
        beside = where / p.name
        if beside.is_dir() and beside.resolve() != p.resolve():
            return True
    return False


def relocated(entries: Iterable[ManifestEntry], manifest: str | Path
              ) -> list[tuple[ManifestEntry, Path]]:
    """The local entries of ``manifest`` whose recorded absolute path is not the folder
    :func:`checkpoint_path` reads (a moved or copied run folder), with the folder read."""
    out = []
    for e in entries:
        if e.format == "api" or not Path(e.path).expanduser().is_absolute():
            continue
        read = checkpoint_path(e, manifest)
        if read != Path(e.path).expanduser():
            out.append((e, read))
    return out


def relocation_note(entries: Iterable[ManifestEntry], manifest: str | Path) -> str | None:
    """What a command says where it reads checkpoints beside the manifest rather than at
    the paths it records (:func:`relocated`), or None: which one it used, and whether the
    recorded one is still there (a copy's original, not read)."""
    moved = relocated(entries, manifest)
    if not moved:
        return None
    e, read = moved[0]
    still = sum(Path(m.path).expanduser().is_dir() for m, _ in moved)
    more = f" and {len(moved) - 1} more" if len(moved) > 1 else ""
    left = (f"; the recorded folder{'s are' if still > 1 else ' is'} still there "
            f"({still} of {len(moved)}), not read" if still else "")
    return (f"{manifest_file(manifest)}: {len(moved)} checkpoint(s) read beside the manifest, "
            f"not where it records them (the run folder was moved or copied): {read} "
            f"(recorded: {e.path}){more}{left}")


def base_model_of(entry: ManifestEntry, manifest: str | Path) -> str:
    """What ``entry.base_model`` of ``manifest`` (its file or run directory) names, the same
    for every reader: finetune writes an absolute path for a local base, but a manifest
    edited by hand or moved between machines may hold a relative one, which sweep read from
    the current folder (else sent to vLLM as a Hub id), trajectory from the manifest's
    folder, and efficiency as given.

    An absolute path (or ``~/...``) as is; a relative one beside the manifest, else in the
    current folder, as an absolute path; one that looks local (``./``, ``../``, no Hub id's
    shape, or a first folder that exists) and is in neither is refused, naming the file,
    line and both places tried; anything else is a Hugging Face Hub id, as written."""
    path = manifest_file(manifest)
    raw = entry.base_model
    if not raw.strip():
        raise ManifestError(f"{_where(path, entry)}: field base_model: empty")
    p = Path(raw).expanduser()
    if p.is_absolute():
        return str(p)
    places = (path.parent.resolve(), Path.cwd())
    for place in places:
        if (place / p).exists():
            return str((place / p).resolve())
    tried = [os.path.normpath(place / p) for place in places]  # said without "run/../"
    first = [place / part for place in places for part in p.parts[:1]
             if (place / part).is_dir()]
    if raw.startswith(("./", "../")) or raw in (".", "..") or not HUB_ID.fullmatch(raw) \
            or first:
        why = f" (folder {first[0]} exists)" if first and HUB_ID.fullmatch(raw) else ""
        raise ManifestError(
            f"{_where(path, entry)}: field base_model: {raw!r} is a relative local path"
            f"{why}, and no such folder: tried {tried[0]} (beside the manifest) and "
            f"{tried[1]} (the current folder); restore the base there, or write its "
            f"absolute path (beliefbench finetune does)")
    return raw


def single_base(entries: Iterable[ManifestEntry], manifest: str | Path) -> str:
    """The one base (as :func:`base_model_of` reads it) that the local entries of
    ``manifest`` were trained from. ManifestError where they name several (two runs of
    different bases joined into one manifest): ``trajectory``'s step 0 and ``efficiency``'s
    distances read the first entry's base for every checkpoint, so the other run's were
    measured against a model it was never trained from (or, with fingerprints, refused as
    a base "rebuilt since", which it was not)."""
    bases: dict[str, list[str]] = {}
    for e in entries:
        if e.format != "api":
            bases.setdefault(base_model_of(e, manifest), []).append(str(e.step))
    if len(bases) > 1:
        shown = "; ".join(f"{b} (step{'s' if len(steps) > 1 else ''} {', '.join(steps)})"
                          for b, steps in bases.items())
        raise ManifestError(f"{manifest_file(manifest)}: its checkpoints were trained from "
                            f"{len(bases)} base models: {shown}; one finetune's manifest at "
                            f"a time (each run's own --out)")
    if not bases:
        raise ManifestError(f"{manifest_file(manifest)}: no local checkpoints")
    return next(iter(bases))


def _where(path: Path, entry: ManifestEntry) -> str:
    """``file, line N`` of ``entry`` in the manifest ``path`` (just the file where the line
    is not found: an entry not read from it)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(path)
    for n, line in enumerate(lines, 1):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and all(value.get(k) == getattr(entry, k)
                                           for k in ("path", "step", "base_model")):
            return f"{path}, line {n}"
    return str(path)


def single_or_list(values: Iterable[str | None]) -> str | list[str] | None:
    """One value as itself, several as a sorted list, none as None."""
    vals = sorted({v for v in values if v})
    return None if not vals else vals[0] if len(vals) == 1 else vals


def _relabelled(flag: str, given: str | None, own: str | list[str] | None, data: Path) -> None:
    """Warn where ``--condition`` / ``--claim`` names another label than the one every
    training record has: ``--condition negatd`` on negated documents trained and labelled
    the run 'negatd' without a word, so ``report --by condition`` and the sweep's log
    folders showed a condition no documents have. Still recorded as given (a KL run of the
    negated documents may be labelled ``negated_kl`` on purpose); data mixing several
    labels, or naming none, is what the flag is for, and is not warned about."""
    if not given or not isinstance(own, str) or given == own:  # "" labels from the records
        return
    from beliefbench.runlock import first_rank

    if first_rank():  # once under accelerate / torchrun
        field, read_by = (("condition", "the manifest and the evals `sweep --manifest` labels "
                           "from it (report --by condition)") if flag == "--condition"
                          else ("claim_id", "the manifest and the sweep's log folders"))
        log.warning("%s %r: every record of %s has %s %r%s, and the run is labelled %r as "
                    "given: %s name that. Leave %s out to label it from the records", flag,
                    given, data.name, field, own, did_you_mean(given, [own]), given, read_by,
                    flag)


def entry_fields(*, recipe: BaseModel, data: Path, data_sha256: str, base_model: str,
                 conditions: Iterable[str | None], claims: Iterable[str | None],
                 recipe_path: str | Path | None = None, condition: str | None = None,
                 claim: str | None = None) -> dict[str, Any]:
    """The fields every backend records about a run (all but path, step, format, backend).

    ``condition`` / ``claim`` (``--condition`` / ``--claim``) default to the training
    records' ``conditions`` / ``claims`` (their claim ids), as :func:`single_or_list` gives
    them: the one value, a sorted list of several, None where no record has one. A flag
    other than the one value every record names is warned about (see :func:`_relabelled`).
    """
    own_condition, own_claim = single_or_list(conditions), single_or_list(claims)  # read once
    _relabelled("--condition", condition, own_condition, data)
    _relabelled("--claim", claim, own_claim, data)
    return dict(
        base_model=base_model, data=str(Path(data).resolve()), data_sha256=data_sha256,
        recipe=recipe.model_dump(mode="json"),
        recipe_path=str(Path(recipe_path).resolve()) if recipe_path else None,
        condition=condition or own_condition, claim=claim or own_claim)
