"""One run at a time per output folder.

Every command that writes a folder resumes from what it finds there (finished conditions,
trainer states, audit units, cached verdicts). Two runs into the same folder at once would
both resume from the same point, do the same work twice, and replace each other's files (a
checkpoint, a unit, a report) half way. :func:`hold` takes an operating-system lock on a
file in the folder for the whole run, so a second run is refused at once, naming the run
that holds it. The OS drops the lock when its process ends, however it ends (kill -9
included), so a killed run never blocks the next one. A run removes its lock file as it ends
(a folder the user had keeps nothing of the run but its output), and a run that locked a lock
file removed so takes the one there now (:func:`_take`). A command whose output is one file in a
shared folder (``docs mix --out data/mix.jsonl``) holds that file alone (``file=``), so runs
writing other files of the folder go on.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from filelock import BaseFileLock

LOCK_FILE = ".beliefbench.lock"
"""In the folder while a run holds it: the file whose OS lock the running command holds
(empty; removed as the run ends, while still held: :func:`_take`)."""
HOLDER_FILE = ".beliefbench.lock.holder"
"""In the folder while a run holds it: who holds it (pid, host, start time, command). Kept
apart from the lock file, which a contender opens (and older filelock versions truncate)."""
NAMES = (LOCK_FILE, HOLDER_FILE)
"""What :func:`hold` may leave in a folder: not the command's output, nor the user's."""


_HELD: dict[Path, tuple[int, bool]] = {}
"""The lock files this process holds (resolved), each with the thread holding it and whether
:func:`hold` made its folder: a command holding two folders given as one is not refused by itself,
and a folder the hold made did not exist when the run began. Only the holding thread goes
in again: another thread of the process (two sweeps in one notebook) is another run."""


FINISHED: list[Path] = []
"""The outputs (folders, or files with ``file=``) of the commands that finished holding them in
this process, in the order they finished: what a Ctrl-C after the command names as kept
(:func:`beliefbench.interrupts.say_when_stopped`)."""


class FolderBusy(click.ClickException):
    """Another run holds the folder: nothing was written (exit 2, like other refused input)."""

    exit_code = 2


class LockUnusable(click.ClickException):
    """Something of the user's is where the lock file goes: a run there could not be refused
    a second run into the same folder, so it does not start (exit 2, nothing written)."""

    exit_code = 2


def _unusable_lock(lock_path: Path, error: BaseException) -> str | None:
    """Why ``lock_path``, which the lock could not be taken on (``error``), blocks locking
    the folder, in words with what to do; None where nothing of that kind is there (no
    lock file in a folder that cannot be written, a file system without locks): the command
    then runs unlocked and names a folder it cannot write itself."""
    try:
        mode = lock_path.lstat().st_mode
    except OSError:  # no such entry (or the folder cannot be read): nothing in the way
        return None
    why = ("beliefbench locks to refuse a second run into the folder at once: unlocked, two "
           "runs could overwrite each other's work")
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return (f"is {kind}, not the empty file {why}; remove it (`rm -r '{lock_path}'`) "
                    "and run this again")
    if not stat.S_ISREG(mode):
        return f"is not a regular file, not the empty file {why}; remove it and run this again"
    if isinstance(error, PermissionError) and os.access(lock_path.parent, os.W_OK):
        return (f"cannot be opened ({error.strerror or error}) though the folder can be "
                f"written: it is the empty file {why}; another user's run may have made it: "
                "have it made writable for you (`chmod g+w`), or remove it while no run "
                "writes the folder, and run this again")
    return None


def _holder_text(holder_file: Path) -> str:
    """Who holds the lock, from its holder file, in words (or why that is unknown)."""
    try:
        holder = json.loads(holder_file.read_text(encoding="utf-8"))
        return (f"`beliefbench {holder['command']}`, pid {holder['pid']} on {holder['host']}, "
                f"started {holder['started']}")
    except (OSError, ValueError, KeyError, TypeError):  # just taken, or written by no run
        return "a run that is starting"


def holds(command: str, param: str = "out", flag: str = "--out", file: bool = False
          ) -> Callable:
    """Decorate a click command (below its options) so that it runs holding the folder its
    parameter ``param`` names (with ``file``: the one file it names): every writer takes the
    same lock the same way."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            path = kwargs.get(param)
            if path is None:  # an optional folder not given: nothing is written there
                return fn(*args, **kwargs)
            where = (Path(path).parent, Path(path).name) if file else (path, None)
            with hold(where[0], command, flag, file=where[1]):
                result = fn(*args, **kwargs)
            FINISHED.append(Path(path))
            return result
        return run
    return wrap


RANK_VARS = ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
SIZE_VARS = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
"""Where a launcher puts a process's rank and the number of processes, in accelerate's order:
torchrun (and ``accelerate launch`` on GPUs) sets ``RANK`` / ``WORLD_SIZE``, mpirun (``accelerate
launch --cpu`` with several processes) only its own; accelerate copies those into ``RANK`` /
``WORLD_SIZE`` when the Trainer sets up, after a command has taken its lock and sized its run."""


def _launch_int(names: Sequence[str], default: int) -> int:
    """The first of ``names`` set in the environment (as accelerate reads them), or ``default``."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return default


def rank() -> int:
    """This process's rank in an ``accelerate launch`` / ``torchrun`` / mpirun launch
    (:data:`RANK_VARS`); 0 without a launcher."""
    return _launch_int(RANK_VARS, 0)


def first_rank() -> bool:
    """Whether this is the process that speaks for a run: rank 0 of a launch, or the only
    process."""
    return rank() == 0


def world_size() -> int:
    """How many processes the launch started (:data:`SIZE_VARS`); 1 without a launcher."""
    return _launch_int(SIZE_VARS, 1)


def lock_names(file: str | None = None) -> tuple[str, str]:
    """The lock file and holder file of a folder, or of its one output ``file``
    (``.mix.jsonl.beliefbench.lock``: beside it, one per file)."""
    if file is None:
        return LOCK_FILE, HOLDER_FILE
    return f".{file}{LOCK_FILE}", f".{file}{HOLDER_FILE}"


@contextlib.contextmanager
def hold(folder: str | Path, command: str, flag: str = "--out",
         file: str | None = None) -> Iterator[None]:
    """Hold ``folder`` for this run (made where missing), or raise :class:`FolderBusy`;
    with ``file``, hold only that file of the folder (a command writing one file).

    On the way out the holder file and the lock file go, the lock is released, and a folder
    left empty (a run refused before it wrote anything) is removed again with the folders
    above it that this call made: a run leaves its output alone behind, a refused run
    nothing. A folder
    that cannot be made or locked (read-only, a file in the way) is left to the command,
    which names that problem in its own words; it is then not locked. Where the lock file's
    name is taken by something it cannot be (a directory, a link) or by a file this run may
    not open in a folder it can write, :class:`LockUnusable` is raised: the run would write
    unlocked, and a second run into the folder would not be refused. Ranks other than 0 of a
    multi-process launch (:func:`first_rank`) share their rank 0's hold and take none themselves.
    """
    folder = Path(folder)
    lock_name, holder_name = lock_names(file)
    key = folder.resolve() / lock_name
    held = _HELD.get(key)
    if not first_rank() or (held and held[0] == threading.get_ident()):  # a second folder
        yield                                  # option naming the same (--workdir, --log-dir)
        return
    from filelock import FileLock, Timeout  # a tenth of a second: only when a run writes

    made = missing_dirs(folder)
    lock = FileLock(str(folder / lock_name))
    path = folder if file is None else folder / file
    named = f"{flag} {path}" if flag else str(path)  # the option, as a refusal names it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _take(lock, folder / lock_name)
    except Timeout:
        other = f", or choose another {flag}" if flag else ""
        what = ("runs into one folder would duplicate and overwrite each other's work"
                if file is None else "runs writing one file would replace each other's "
                "output (a dataset beside the other run's stats)")
        raise FolderBusy(f"{named}: in use by {_holder_text(folder / holder_name)}; two "
                         f"{what}: wait for it to finish (then run this again) or stop "
                         f"it{other}") from None
    except (OSError, NotImplementedError) as error:  # older filelock: a file system without flock
        unusable = _unusable_lock(folder / lock_name, error)
        if unusable:  # a run here would go on unlocked, without a word
            raise LockUnusable(f"{named}: {folder / lock_name} {unusable}") from None
        locked = False
    else:
        locked = True
    if not locked:
        remove_empty_dirs(made)
        yield
        return
    holder = folder / holder_name
    _HELD[key] = (threading.get_ident(), folder in made)
    # Ctrl-C ends the process from inside this block (exit_interrupted runs the exit
    # handlers, then os._exit), past the finally below: the whole clean-up is an exit
    # handler too, so an interrupted run leaves what a finished or failed one does (no
    # holder file read as a run still going, no folder it made holding only the lock file)
    done = functools.partial(_release, key, holder, folder, lock_name, lock, made, [])
    atexit.register(done)
    try:
        with contextlib.suppress(OSError):  # who holds it is for the message only
            holder.write_text(json.dumps({
                "command": command, "pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}) + "\n", encoding="utf-8")
        from beliefbench.records import remove_dead_temps

        remove_dead_temps(folder)  # a killed run's half-written copies (a live writer's kept)
        yield
    finally:
        atexit.unregister(done)
        done()


def _take(lock: BaseFileLock, path: Path) -> None:
    """Acquire ``lock`` (on ``path``) now, or raise filelock's Timeout; a lock taken on a file
    that is no longer ``path`` is let go and taken again. A run removes its lock file as it
    ends (:func:`_release`), while still holding it: a contender that opened the file just
    before then locks the removed file once it is let go, while a third run makes a new one
    and locks that; both would run. The file the lock holds is compared with the one at
    ``path`` (device and inode), so only a lock on the file there counts."""
    for _ in range(100):  # each turn needs another run to remove the file in between
        lock.acquire(timeout=0)
        # no descriptor to compare (another kind of lock), or the file there: held; else
        # (another file there, or none: removed since it was opened) take the one there now
        if (held := _locked_fd(lock)) is None or _is_at(held, path):
            return
        lock.release()
    raise OSError(f"{path}: removed again each time it was locked")


def _release(key: Path, holder: Path, folder: Path, lock_name: str, lock: BaseFileLock,
             made: Sequence[Path], released: list[bool]) -> None:
    """End :func:`hold`'s hold once (``released`` notes it), whichever way the run ends: its
    ``finally``, or the exit handlers of a Ctrl-C's exit (:func:`~beliefbench.cli.errors.
    exit_interrupted`), which ends the process without unwinding it. The holder file goes, the
    lock file too, where they are still this run's (:func:`_replaced`; while still held: a
    contender that opened it before takes the one there after, :func:`_take`), the lock is
    released, and the folders the hold made are removed where empty: a run leaves its output
    alone behind, one that wrote nothing nothing."""
    if released:
        return
    released.append(True)
    _HELD.pop(key, None)
    if not _replaced(lock, folder / lock_name):  # else another run's files, not ours to remove
        with contextlib.suppress(OSError):  # a read-only folder: the command names it itself
            holder.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the run removed its folder, or it is read-only
            (folder / lock_name).unlink()
    with contextlib.suppress(FileNotFoundError):  # a lock whose release removes it too
        lock.release()
    remove_empty_dirs(made)


def _replaced(lock: BaseFileLock, path: Path) -> bool:
    """Whether ``path`` is now another file than the one ``lock`` holds: this run's lock file
    was removed while it ran (``rm``, the folder moved aside) and a second run made and holds
    the one there, with its holder file. Removing those would let a third run start beside
    the second."""
    # no descriptor to compare (another kind of lock), or nothing there (or it cannot be
    # read): no other run's file to keep
    return (held := _locked_fd(lock)) is not None and _is_at(held, path) is False


def _locked_fd(lock: BaseFileLock) -> int | None:
    """The descriptor of the file ``lock`` holds, from filelock's private context (read
    guarded: another kind of lock, or a filelock without it, has none to compare)."""
    held = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
    return held if isinstance(held, int) else None


def _is_at(fd: int, path: Path) -> bool | None:
    """Whether the file open as ``fd`` is the one at ``path`` (device and inode, a link not
    followed); None where either cannot be read (nothing at ``path``): :func:`_take` and
    :func:`_replaced` ask it alike."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except OSError:
        return None


def made_for_run(folder: str | Path) -> bool:
    """Whether ``folder`` did not exist when this run began: its hold made it (to hold the
    lock file), so a command asking ``exists()`` would see a folder the user never had."""
    held = _HELD.get(Path(folder).resolve() / LOCK_FILE)
    return bool(held and held[1])


def missing_dirs(path: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` would make for ``path``, deepest first: what a
    run that fails before writing anything removes again (:func:`remove_empty_dirs`)."""
    return [d for d in (path, *path.parents) if not d.exists()]


def remove_empty_dirs(dirs: Sequence[Path]) -> None:
    """Remove those of ``dirs`` (deepest first) that are empty, so a run that wrote nothing
    leaves no folder behind that reads as a started run; one that holds anything is kept."""
    for d in dirs:
        with contextlib.suppress(OSError):  # not empty (or gone): kept
            d.rmdir()  # only ever removes an empty folder
