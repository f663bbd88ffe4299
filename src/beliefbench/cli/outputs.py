"""Report folders: a report is never replaced without a word when it was made from other
logs, a belief report and an audit never share one, a finished audit is never replaced by
an audit of another corpus or other claims, and a sweep's hint names a folder that no other
log dir's hint names."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import click
from click.core import ParameterSource

from beliefbench.analysis.text import listing
from beliefbench.cli.errors import BadInput

BELIEF_REPORT = ("report.json", "report.md")
"""Files every belief report (``beliefbench report``) leaves in its --out together."""


def note_if_replacing(out_dir: Path, report_file: str, param: str = "out_dir",
                      inputs: Sequence[str] | None = None,
                      previous: Sequence[str] | None = None) -> None:
    """One ``note:`` where ``out_dir`` holds a report (``report_file``) that this run will
    replace: always when that report was made from other logs (``previous``, as recorded
    beside it, against this run's ``inputs``: two log dirs named alike, ``runs/a/logs`` and
    ``runs/b/logs``, sent to one folder), and in the default ``--out`` whatever it was made
    from (``em-report logs/a`` then ``em-report logs/b`` kept only b's, without a word). The
    same logs reported again into a folder given with ``--out``: nothing is said. Its advice
    to keep both: ``--out DIR`` from the default, another ``--out`` where one was given."""
    old = out_dir / report_file
    if not old.is_file():
        return
    default = click.get_current_context().get_parameter_source(param) == ParameterSource.DEFAULT
    other = (inputs is not None and previous is not None
             and sorted(map(str, previous)) != sorted(map(str, inputs)))
    if not (default or other):
        return
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(old.stat().st_mtime))
    where = f"{out_dir} (the default --out)" if default else str(out_dir)
    made = f" made from {listing(list(previous or ()), 3)}" if other else ""
    # told --out DIR after giving --out, a user read the hint as one already taken
    keep = "pass --out DIR" if default else "give another --out"
    click.echo(f"note: {where} holds the report{made} written {when}; it is replaced ({keep} "
               f"to keep both)", err=True)


def refuse_other_report(out_dir: Path, command: str) -> None:
    """Refuse an ``out_dir`` holding the output of the other of ``report`` and ``audit``
    (``command``): both write ``report.json``, so one run there replaced the other's without
    a word (an audit's counts, which a CI step reads, became a belief report's tables beside
    the audit's summary.md and flagged.jsonl), or left one report beside the other's."""
    from beliefbench.audit.sources import audit_output  # the audit's readers: only here

    if not out_dir.is_dir():
        return
    names = [p.name for p in out_dir.iterdir()]
    if command == "report" and (found := audit_output(out_dir, names)):
        what, mine = f"an audit's output ({', '.join(found)})", "this report's report.json"
    elif command == "audit" and set(BELIEF_REPORT) <= set(names):
        what, mine = (f"a belief report of `beliefbench report` ({', '.join(BELIEF_REPORT)})",
                      "the audit's report.json")
    else:
        return
    raise BadInput(f"--out {out_dir}: holds {what}; {mine} would replace it and mix the two "
                   f"commands' files: choose another --out")


EM_REPORT = ("em_report.json", "em_report.md")
"""Files every EM report (``beliefbench em-report``) leaves in its --out."""


def refuse_report_folder(out_dir: Path, command: str, writes: str) -> None:
    """Refuse an ``out_dir`` holding a report's or an audit's output, for ``command``, which
    writes Inspect logs and tables there (``writes``): ``agreement --out reports/dry`` put its
    re-scored logs beside ``report``'s report.json unchallenged, and a later ``report`` or
    ``gate`` given that folder read them as runs. Its own earlier output there is not
    refused (``--out`` is re-used, each re-scored log replaced by its own)."""
    from beliefbench.audit.sources import audit_output  # the audit's readers: only here

    if not out_dir.is_dir():
        return
    names = {p.name for p in out_dir.iterdir()}
    held = []
    if set(BELIEF_REPORT) <= names:
        held.append(f"a belief report of `beliefbench report` ({', '.join(BELIEF_REPORT)})")
    if found := [n for n in EM_REPORT if n in names]:
        held.append(f"an EM report of `beliefbench em-report` ({', '.join(found)})")
    if found := audit_output(out_dir, names):
        held.append(f"an audit's output ({', '.join(found)})")
    if not held:
        return
    fresh = (out_dir.with_name(f"{out_dir.name}-{command}") if out_dir.name
             else Path("reports", command))
    raise BadInput(f"--out {out_dir}: holds {' and '.join(held)}; {writes} there would mix "
                   f"the commands' files, and a later `report` or `gate` given this folder "
                   f"would read them as runs: choose a new folder for --out (e.g. {fresh})")


def refuse_other_audit(out_dir: Path, corpus: Sequence[str], claims: str | None,
                       claim_ids: Sequence[str]) -> None:
    """Refuse an ``out_dir`` holding a finished audit of another corpus (its paths as read
    from the folder each audit ran in) or other claims (the ``--claims`` given, or the claim
    ids read: ``ed_sheeran`` and ``claims/ed_sheeran.yaml`` are one audit): this audit would
    replace its report and flags, and leave audit-verify's verdicts of them beside its own,
    without a word. The same audit again (a nightly run, a gate) replaces it as before, and
    so does one read with other fields (a --text-field or --id-field mended after a
    warning). An unfinished audit there is the work folder's to judge (``--resume``)."""
    import json

    from beliefbench.audit.sources import AUDIT_MARKERS, AUDIT_WORK

    if not all((out_dir / n).is_file() for n in AUDIT_MARKERS) \
            or (out_dir / AUDIT_WORK / "plan.json").is_file():
        return
    report_file = out_dir / "report.json"
    try:
        old = json.loads(report_file.read_text(encoding="utf-8"))
        inputs = old.get("inputs") or {}
        then, claimed = old["corpus"], old.get("claims") or {}
        old_ids = sorted(claimed) if old.get("mode") == "claims" else []
        old_sel, cwd = inputs.get("claims"), inputs.get("cwd")
        readable = (isinstance(then, list) and all(isinstance(p, str) for p in then)
                    and isinstance(claimed, dict) and isinstance(old_sel, str | None)
                    and isinstance(cwd, str) and cwd)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        readable = False
    if not readable:
        return  # not an audit's report this can read: replaced, as before
    ran_in = out_dir.resolve() / cwd

    def where(paths: Sequence[str], base: Path) -> set[str]:
        return {os.path.normpath(os.path.join(base, p)) for p in paths}

    other_corpus = where(then, ran_in.resolve()) != where(corpus, Path.cwd().resolve())
    other_claims = old_sel != claims and old_ids != sorted(claim_ids)
    if not (other_corpus or other_claims):
        return

    def said(paths: Sequence[str], sel: str | None) -> str:
        return listing(list(paths), 3) + (", claim-free" if sel is None
                                          else f" with --claims {sel}")

    what = " and ".join(w for w, o in (("another corpus", other_corpus),
                                       ("other claims", other_claims)) if o)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(report_file.stat().st_mtime))
    verified = (", its flags verified in verified.jsonl"
                if (out_dir / "verified.jsonl").exists() else "")
    raise BadInput(f"--out {out_dir}: holds a finished audit of {what} ({said(then, old_sel)}, "
                   f"written {when}{verified}); this audit ({said(corpus, claims)}) would "
                   f"replace its report and flags: give another --out, or delete {out_dir} "
                   f"first to replace it")


def report_folder(log_dir: str | Path, task: str = "belief") -> str:
    """The report folder a closing hint names for ``log_dir``: its path below the working
    directory, less a leading ``logs`` (``logs/sweep`` -> ``reports/sweep``, ``runs/a/logs``
    -> ``reports/runs/a/logs``); a log dir elsewhere is its name and a hash of its absolute
    path (``/data/x/sweep`` -> ``reports/sweep-1a2b3c4d``). Its last name alone sent
    ``runs/a/logs`` and ``runs/b/logs`` to one ``reports/logs``, the second report replacing
    the first. For EM logs (``task`` ``em``) ``em-`` opens the first name (``logs/ablate`` ->
    ``reports/em-ablate``) unless it says so already (``logs/em-sweep`` -> ``reports/em-sweep``):
    an EM report's files beside a belief report's would be two reports in one folder.

    Below the working directory as written (``..`` read, links not followed) or as resolved:
    read resolved only, ``logs/dry-sweep`` where ``logs`` links to another disk (or a log
    dir that is a link) was "elsewhere", ``reports/dry-sweep-1a2b3c4d``, where the same
    sweep without the link got ``reports/dry-sweep``."""
    path = Path(log_dir).resolve()
    written = Path(os.path.abspath(log_dir))
    cwd = Path.cwd()
    for here, below in ((written, cwd), (path, cwd.resolve())):
        with contextlib.suppress(ValueError):
            parts = list(here.relative_to(below).parts)
            break
    else:
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        parts = [f"{path.name or 'sweep'}-{digest}"]
    if len(parts) > 1 and parts[0] == "logs":
        parts = parts[1:]
    parts = parts or ["sweep"]
    if task == "em" and not (parts[0] == "em" or parts[0].startswith("em-")):
        parts[0] = f"em-{parts[0]}"
    return str(Path("reports", *parts))
