"""Locate data files that ship with beliefbench (judge templates, recipes, claims).

The top-level ``scorers/`` and ``finetune/`` folders are where a team reads and edits them;
a wheel carries copies under ``beliefbench/data/``. Installed copies win, so a non-editable
install works from any directory; a source checkout falls back to the repository folders.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

_PACKAGE_DATA = Path(str(resources.files("beliefbench"))) / "data"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def data_path(*parts: str) -> Path:
    """Path of a shipped data file or folder: ``data_path("scorers/judge.md")`` or
    ``data_path("claims", "dentist.yaml")``. The one way the project locates shipped files."""
    relative = Path(*parts)
    for base in (_PACKAGE_DATA, _REPO_ROOT):
        candidate = base / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"beliefbench data file {relative.as_posix()!r} not found in "
                            f"{_PACKAGE_DATA} or {_REPO_ROOT}; is the package installed "
                            "correctly?")


def user_path(path: str | Path) -> Path:
    """Resolve a path a user typed on the command line.

    ``inspect eval tasks/belief.py`` builds the task from inside ``tasks/``, so a relative
    path is tried against the working directory and then against ``$PWD`` (the directory
    the shell ran the command from). The first that exists wins; otherwise it is returned
    as typed, for the caller's error message. A ``~user`` naming no user on this machine
    raises :class:`~beliefbench.arguments.NoHomeFolder` (see :func:`home_expanded`).
    """
    p = Path(home_expanded(path))
    if p.is_absolute() or p.exists():
        return p
    pwd = os.environ.get("PWD")
    if pwd and (Path(pwd) / p).exists():
        return Path(pwd) / p
    return p


def no_home(path: str | Path) -> str:
    """The one wording for a path whose ``~`` or ``~user`` names no home folder:
    ``~nosuch/x: no such user's home folder: `~nosuch` names no user on this machine; write
    the full path``."""
    first = str(path).replace(os.sep, "/").split("/", 1)[0]
    if first == "~":  # HOME unset, and this process's user has no home on record either
        return (f"{path}: no home folder for `~` (HOME is not set, and this user has none "
                f"on record); set HOME or write the full path")
    return (f"{path}: no such user's home folder: `{first}` names no user on this machine; "
            f"write the full path")


def home_expanded(path: str | os.PathLike[str]) -> str:
    """``path`` with a leading ``~`` or ``~user`` expanded, as text (a trailing slash, a
    ``./`` and a glob's wildcards kept as typed): the one expander of every path a user
    gives. Where that names no home folder (``~nosuch/x``, or ``~`` with HOME unset and none
    on record), :class:`~beliefbench.arguments.NoHomeFolder` naming the path: pathlib's
    RuntimeError ("Could not determine home directory.") named neither the path nor the
    user, and ``os.path.expanduser`` left it as it was, later said to be a missing file (or
    made, a folder named "~nosuch", for an output). Callers that fail otherwise catch it (a
    ValueError): the CLI's path type as bad input, the not-found notes as no folder to
    look for, a log reader as a LogError."""
    text = os.fspath(path)
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):  # where Path.expanduser raises: no home for that ~
        from beliefbench.arguments import NoHomeFolder  # (arguments imports this module)

        raise NoHomeFolder(text)
    return expanded
