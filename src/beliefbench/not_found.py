"""What to say of a path that does not exist, in one wording wherever a path is read.

The close names beside it, the first folder on its way that is missing, the working
directory a relative path was read from, or that directory's removal. The finetune options,
a recipe's ``kl.data``, the docs commands, the claim paths, the internals and the audit's
corpus paths each said these in words of their own ("there is no shard", "in the working
directory, ...", "its folder ... does not exist"), then each combined the parts in an order
of its own; they now all say :func:`where_missing`, after their own "no such ...". Only
the standard library is imported: a refused path is said without loading anything.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import glob
import itertools
import os
from pathlib import Path

CWD_GONE = ("the working directory no longer exists: it was removed after the shell entered "
            "it; cd into it again (cd \"$PWD\" where it was made anew) or into another "
            "folder, and run the command from there")
"""Said for a relative path where :func:`os.getcwd` fails, in place of the directory. No
"give an absolute path": Inspect reads the working directory as it loads, so ``report``,
``gate`` and ``agreement`` fail there whatever paths they are given; cd is what helps."""


def where_missing(path: Path, *, files: bool | None = False, skip: str = "",
                  folder: bool = False, pattern: bool = False, here: bool = False,
                  pwd: bool = False) -> str:
    """What to say after "no such ..." of a missing ``path``, by one rule: a folder missing
    on its way is named, with the close names beside that folder (:func:`missing_folder`);
    where its folder is there, the close names beside ``path`` itself (:func:`close_names`);
    "" where neither finds anything. The readers of paths each joined the two themselves, in
    orders of their own, and some said only one of them (``-T judge_template=scratch/x.md``
    run from another directory named no missing folder). A ``path`` that is a link leading
    nowhere names its missing target (:func:`broken_link`), not the names beside the link.

    ``files``: the close names are of files (True; those ending in ``skip`` left out), of
    folders (False), or of either (None, for a path that may name a file or a folder).
    ``folder``, ``pattern`` and ``here`` are :func:`missing_folder`'s; a pattern's last
    part is a wildcard, beside which no names are close. ``pwd``: a relative ``path`` is
    read from ``$PWD`` too (:func:`~beliefbench.resources.user_path`): where that is not
    the working directory (``inspect eval tasks/belief.py`` builds its task inside tasks/)
    both are named, and what is missing is said from the shell's, where the path was typed
    (nothing was said: ``-T judge_template=scorers/judg.md`` named neither directory, nor
    judge.md beside it)."""
    if pwd and not path.is_absolute() and (shell := _shell_elsewhere()) is not None:
        typed = where_missing(shell / path, files=files, skip=skip, folder=folder,
                              pattern=pattern).strip().removeprefix("(").removesuffix(")")
        return (f" (looked for in the shell's directory, {shell}, and in the working "
                f"directory, {Path.cwd()}{'; ' if typed else ''}{typed})")
    note = missing_folder(path, folder=folder, pattern=pattern, here=here)
    if pattern or folder or cwd_gone(path) or not path.parent.is_dir():
        return note  # a folder on the way (or the working directory) is what is missing
    if link := broken_link(path):  # there, as a link: its target is what is missing
        return f"{note} ({link})"
    # `kl.data: kll.jsonl` (here): the working directory is named already, once
    return note + close_names(path, files=files, skip=skip,
                              cwd_said=here and not path.is_absolute())


def close_names(path: Path, *, files: bool | None = False, skip: str = "",
                cwd_said: bool = False) -> str:
    """`` (close names in <parent>: a, b)`` for the folders (``files``: the files, but those
    ending in ``skip``; None: either) beside a missing ``path`` whose names are close to its
    own; empty where there are none (or no such parent). :func:`where_missing` says these
    where the parent is there, and the missing folder where it is not. ``cwd_said``: the
    working directory is named just before, so the names in it are said to be "there"."""
    close = _close(path, files=files, skip=skip)
    if not close:
        return ""
    where = path.parent
    if where == Path(".") and cwd_said:
        return f" (close names there: {', '.join(close)})"
    if where == Path(".") and (cwd := _cwd()) is not None:  # "in ." reads as a typo
        return f" (close names in the working directory, {cwd}: {', '.join(close)})"
    return f" (close names in {where}: {', '.join(close)})"


def _close(path: Path, *, files: bool | None = False, skip: str = "") -> list[str]:
    """The names beside ``path`` close to its own: folders, ``files`` but those ending in
    ``skip``, or (``files`` None) either; none where its parent cannot be listed."""
    def wanted(q: Path) -> bool:
        if q.is_dir():
            return files is not True
        return files is not False and q.is_file() and not (skip and q.name.endswith(skip))

    try:
        names = [q.name for q in path.parent.iterdir() if wanted(q)]
    except OSError:
        return []
    # 0.6, not the 0.7 of the claims' "did you mean": these are a list of whole names
    # beside the path to choose from, not one guess made for the user, and the claims
    # compare stems ("kl" to "kale": 0.67), these the names with their suffix (0.88)
    return difflib.get_close_matches(path.name, names, n=5, cutoff=0.6)


def broken_link(path: str | Path) -> str:
    """``a link to TARGET that leads nowhere: END does not exist`` (END said where it is not
    TARGET as written: a relative target, a chain of links), or ``... that loops back on
    itself``, where ``path`` is a symbolic link that reaches no file; else "". The one
    wording of a broken link wherever a path is read: the path readers said "does not
    exist" of the link itself (which is there, ``ls`` shows it), the audit "a link that
    leads nowhere (or loops)", naming no target."""
    try:
        os.stat(path)
    except OSError as e:
        if not os.path.islink(path) or e.errno not in (errno.ENOENT, errno.ELOOP,
                                                       errno.ENOTDIR):
            return ""
        try:
            target = os.readlink(path)
        except OSError:
            return ""
        if e.errno == errno.ELOOP:
            return (f"a link to {target} that loops back on itself (a chain of links that "
                    f"never reaches a file)")
        end = os.path.realpath(path)
        return f"a link to {target} that leads nowhere" + (
            f": {end} does not exist" if end != target else "")
    return ""


def _shell_elsewhere() -> Path | None:
    """The shell's directory (``$PWD``) where it is not the working directory, as inside
    ``inspect eval tasks/belief.py``; None where they are one, or where either cannot be
    resolved (a removed working directory is said by :func:`missing_folder`)."""
    shell = os.environ.get("PWD")
    try:
        return (Path(shell) if shell and Path(shell).is_absolute()
                and Path(shell).resolve() != Path.cwd().resolve() else None)
    except OSError:
        return None


def cwd_gone(path: str | Path | None = None) -> bool:
    """Whether the working directory was removed under this process (a shell left in a
    folder that ``rm -rf run && mkdir run`` replaced), for a relative ``path`` (or for none
    given): :func:`os.path.abspath` and :meth:`Path.resolve` of a relative path then raise
    a FileNotFoundError naming no file, which reached the user as a traceback or as a bare
    "[Errno 2] No such file or directory"."""
    if path is not None and ((home := _home_expanded(Path(path))) is None
                             or home.is_absolute()):
        return False
    try:
        os.getcwd()
    except OSError:
        return True
    return False


def lost_cwd(e: BaseException) -> bool:
    """Whether ``e`` is a relative path failing to resolve in a removed working directory
    (a FileNotFoundError naming no file, see :func:`cwd_gone`): the caller says
    :data:`CWD_GONE` for it, not the errno."""
    return isinstance(e, FileNotFoundError) and e.filename is None and cwd_gone()


def missing_folder(path: Path, *, folder: bool = False, pattern: bool = False,
                   here: bool = False) -> str:
    """`` (no folder data in the working directory, /home/me; ...)`` where a folder on the
    way to a missing ``path`` is missing, with the close names beside that folder; empty
    where ``path``'s own folder exists (:func:`where_missing` says the close names there). A command
    run from another directory than the one its relative paths start in said only that
    ``data/cpu/negated.jsonl`` does not exist, which reads as a file that was never made.

    ``folder``: ``path`` is itself a folder meant (``my_claims/``), looked for too.
    ``pattern``: ``path`` is a wildcard pattern; its part before the first wildcard is the
    folder looked for ('shard/*.jsonl' for shards/). ``here``: a relative path is said to
    be missing in the working directory even where no folder on its way is (``kl.data``,
    looked for in the shipped data too, says where it was looked for first); the working
    directory is named once, by the missing folder where that is in it. A file on the way
    (``a.jsonl/x``) is said to be a file, not a folder: it is there, so no folder was named
    missing, and nothing at all was said of it; a link on the way that leads nowhere, its
    target (:func:`broken_link`)."""
    if _home_expanded(path) is None:  # ~nosuchuser/x: no folder to look for on its way
        return ""
    if pattern:
        fixed = list(itertools.takewhile(lambda part: not glob.has_magic(part), path.parts))
        if not fixed:
            return ""
        path, folder = Path(*fixed), True
    if cwd_gone(path):  # ../x is there to look in, but the folder it was meant from is not
        return f" ({CWD_GONE})"
    last = path if folder else path.parent
    # the first part on the way that is missing, or that is there but is no folder (a
    # file, or a link that leads nowhere)
    blocked = next((q for q in [*reversed(last.parents), last]
                    if not os.path.lexists(q) or not q.is_dir()), None)
    if blocked is not None and os.path.lexists(blocked):  # a.jsonl/x: a.jsonl is a file
        link = broken_link(blocked)
        note = (f" ({blocked} is {link})" if link
                else f" ({blocked} is a file, not a folder)" if blocked.is_file()
                else f" ({blocked} is not a folder)")
        if here and not path.is_absolute():
            if (cwd := _cwd()) is None:
                return f" ({CWD_GONE})"
            return f" in the working directory, {cwd}{note}"
        return note
    first = blocked
    if first is not None and first.parent == Path("."):  # no data/ in the working directory
        if (cwd := _cwd()) is None:  # removed since the check above
            return f" ({CWD_GONE})"
        close = _close(first)
        near = f"; close names there: {', '.join(close)}" if close else ""
        return (f" (no folder {first} in the working directory, {cwd}{near}; a relative "
                f"path is read from the directory the command runs in)")
    note = ""
    if first is not None:  # data/cpux/negated.jsonl: data is there, cpux is not
        close = _close(first)
        near = f"; close names in {first.parent}: {', '.join(close)}" if close else ""
        note = f" (no folder {first}{near})"
    if here and not path.is_absolute():
        if (cwd := _cwd()) is None:
            return f" ({CWD_GONE})"
        return f" in the working directory, {cwd}{note}"
    return note


def _home_expanded(path: Path) -> Path | None:
    """``path`` with a leading ``~`` or ``~user`` expanded
    (:func:`~beliefbench.resources.home_expanded`); None where that names no home folder
    (``~nosuchuser/x``): no folder to look for on its way, and the command that only wanted
    to say the path is missing is not stopped by it."""
    from beliefbench.resources import home_expanded  # (its package data looked up on import)

    with contextlib.suppress(ValueError):  # NoHomeFolder
        return Path(home_expanded(path))
    return None


def _cwd() -> Path | None:
    """The working directory; None where it was removed (:data:`CWD_GONE` is said)."""
    try:
        return Path.cwd()
    except OSError:
        return None
