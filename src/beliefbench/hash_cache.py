"""A file's sha256, remembered across processes: checkpoint weights are hashed once, not on
every ``internals`` command.

``weights_sha256`` reads every byte of a checkpoint's weight files; on a checkpoint of tens
of GB that was a full read for each ``direction`` / ``steer`` / ``margins`` run. The hash
of each file is kept in a small JSON file in the user's cache folder
(``$BELIEFBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/beliefbench``, else
``~/.cache/beliefbench``), never beside the weights (a checkpoint folder may be read-only or
shared). An entry is used only while the file's absolute path, size, mtime, ctime, device
and inode all match the ones recorded when it was hashed: a file rewritten in place (even
to the same size, or with its mtime set back, which moves its ctime) is hashed again. A cache
that cannot be read is ignored and one that cannot be written is skipped: the hash is then
computed as before, never taken on trust.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from beliefbench.records import atomic_write_text, sha256_file

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "BELIEFBENCH_CACHE_DIR"
"""Environment variable naming the folder for beliefbench's own caches (overrides XDG)."""
CACHE_FILE = "file-sha256.json"
VERSION = 1
MAX_ENTRIES = 4096
"""Entries kept (the most recently hashed); files gone since are dropped first."""

_memory: dict[tuple[Any, ...], str] = {}


def cache_dir() -> Path:
    """beliefbench's cache folder: ``$BELIEFBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME``/
    beliefbench (an absolute one only, as the XDG spec says), else ~/.cache/beliefbench."""
    if own := os.environ.get(CACHE_DIR_ENV):
        from beliefbench.arguments import NoHomeFolder
        from beliefbench.resources import home_expanded

        try:
            return Path(home_expanded(own))
        except NoHomeFolder:  # ~nosuch/cache: the variable named, not only the path
            raise NoHomeFolder(own, f"${CACHE_DIR_ENV}") from None
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "beliefbench"


def _stamp(st: os.stat_result) -> dict[str, int]:
    """What must be unchanged for a recorded hash to stand."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "dev": st.st_dev, "ino": st.st_ino}


def _read(where: Path) -> dict[str, dict[str, Any]]:
    """The cache's entries, or none where it is missing or unreadable (then recomputed)."""
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION \
            or not isinstance(data.get("files"), dict):
        return {}
    return {k: v for k, v in data["files"].items() if isinstance(v, dict)}


def _still_there(path: str, entry: dict[str, Any]) -> bool:
    try:
        return _stamp(os.stat(path)) == {k: entry.get(k) for k in ("size", "mtime_ns",
                                                                   "ctime_ns", "dev", "ino")}
    except OSError:
        return False


def _write(where: Path, files: dict[str, dict[str, Any]]) -> None:
    """Replaces the cache file atomically (records.atomic_write_text), so a reader never
    sees half of it; a failure leaves the old one and is only logged."""
    if len(files) > MAX_ENTRIES:
        kept = {k: v for k, v in files.items() if _still_there(k, v)}
        files = dict(list(kept.items())[-MAX_ENTRIES:])
    try:
        atomic_write_text(where, json.dumps({"version": VERSION, "files": files}))
    except OSError as e:
        logger.debug("beliefbench: could not write the hash cache %s: %s", where, e)


def cached_sha256(path: str | Path) -> str:
    """sha256 of the file at ``path``, exactly :func:`~beliefbench.records.sha256_file`'s,
    read from the cache while the file is unchanged (see the module docstring)."""
    p = Path(path).resolve()
    st = p.stat()
    stamp = _stamp(st)
    key = (str(p), *stamp.values())
    if key in _memory:
        return _memory[key]
    where = cache_dir() / CACHE_FILE
    entry = _read(where).get(str(p))
    sha = entry.get("sha256") if entry else None
    if entry and isinstance(sha, str) and len(sha) == 64 \
            and {k: entry.get(k) for k in stamp} == stamp:
        _memory[key] = sha
        return sha
    logger.info("sha256 of %s: reading its %d bytes (not hashed in this version before)",
                p, st.st_size)  # the one full read of a file version; later ones say nothing
    sha = sha256_file(p)
    if _stamp(p.stat()) != stamp:  # changed while being read: not recorded
        return sha
    _memory[key] = sha
    files = _read(where)  # again: another process may have added entries meanwhile
    files.pop(str(p), None)
    files[str(p)] = {**stamp, "sha256": sha}
    _write(where, files)
    return sha
