"""``beliefbench claims``: list, validate, scaffold and import claim specs.

Exit codes: 0 success, 2 bad input (every message names the file, the field and the problem).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from beliefbench.claims import (
    CLAIMS_PATH_ENV,
    FAMILIES,
    Claim,
    ClaimSpecError,
    also_defined,
    broken_lines,
    bundled_claims_dir,
    claim_files,
    claim_template,
    claims_search_path,
    common_word_entities,
    duplicate_questions,
    elided_texts,
    failure_count,
    id_problem,
    is_bundled,
    known_claims,
    load_claim,
    named_by_id,
    resolve_claims,
    selection_items,
    single_question_families,
    stray_judge_keys,
    sub_claims_restating_background,
    suggested_id,
    template_example_warning,
    unmatched_markers,
    unread_by_the_dry_run,
    unread_json_note,
    unread_judge_hints,
    unread_subfolders_note,
    unsearched_path_note,
    unspaced_completions,
    uses_note,
    weak_markers,
)
from beliefbench.cli.errors import BadInput
from beliefbench.cli.option_values import Group
from beliefbench.cli.paths import UserPath
from beliefbench.records import atomic_write_text
from beliefbench.specs import located, named_field


@click.group(cls=Group)
def claims() -> None:
    """Inspect, validate, scaffold and import claim specs."""


@claims.command("validate")
@click.argument("paths", nargs=-1, required=True)
def validate(paths: tuple[str, ...]) -> None:
    """Validate claim files, directories or ids (`all` = the bundled claims), also
    comma-separated as `claims list` and `-T claims=` take them.

    Every file is checked, bad ones reported one problem per line; exit 2 if any was bad.
    A sub-claim that restates a real background fact, a completion continuation without its
    leading space (or doubling the prompt's), a judge_key the judge prompt never asks for,
    belief markers that match none of the claim's own sentences, markers that match common
    words or a bare year or number alone, entities of common words only, a line break inside
    the statement, truth or a sub-claim, a world text ending in an ellipsis, and a claim that
    still holds the example of the `claims new` template, are warned about (exit unchanged).
    """
    failures = unnamed = 0
    origin: dict[str, Path] = {}
    try:
        items = selection_items(paths)  # `a,,b`: refused, never read as a and b
    except ClaimSpecError as e:
        raise BadInput(str(e)) from None
    for note in (unsearched_path_note(paths), unread_subfolders_note(paths),
                 unread_json_note(paths)):
        if note:
            click.echo(f"warning: {note}", err=True)
    if not items:  # `claims validate "$UNSET"`: refused as every other command refuses it
        raise BadInput("claims: the selection is empty")
    for at, arg in enumerate(paths, 1):  # `claims validate "$UNSET" x.yaml`: never unsaid
        if not selection_items([arg]):
            unnamed += 1
            click.echo(f"claims: argument {at} ({arg!r}) names no claim: an empty path "
                       f"(an unset \"$VARIABLE\"?); name a claim file, folder or id", err=True)
    for item in items:
        try:
            files = claim_files(item)  # text: its fix is the comma form, not list items
        except ClaimSpecError as e:
            unnamed += 1
            click.echo(str(e), err=True)
            continue
        # an id read from a user's file (perhaps one hiding the bundled claim): say which
        read_from = {k.path.resolve(): uses_note(k) for k in named_by_id([item])}
        for path in files:
            try:
                claim = load_claim(path)
            except ClaimSpecError as e:
                failures += 1
                click.echo(str(e), err=True)
                continue
            if claim.id in origin and origin[claim.id].resolve() != path.resolve():
                failures += 1
                click.echo(also_defined(path, claim.id, origin[claim.id]), err=True)
                continue
            origin[claim.id] = path
            counts = ", ".join(f"{f} {len(claim.questions.of(f))}" for f in FAMILIES)
            click.echo(f"ok  {claim.id}: {counts}")
            if path.resolve() in read_from:
                click.echo(f"  note: {read_from[path.resolve()]}")
            for note in [*single_question_families(claim), *duplicate_questions(claim),
                         *unread_by_the_dry_run(claim)]:
                click.echo(f"  note: {note}")
            for warning in [*sub_claims_restating_background(claim),
                            *unspaced_completions(claim), *stray_judge_keys(claim),
                            *unread_judge_hints(claim), *unmatched_markers(claim),
                            *weak_markers(claim),
                            *common_word_entities(claim), *broken_lines(claim),
                            *elided_texts(claim)]:
                click.echo(f"warning: {located(path, named_field(warning))}: {warning}",
                           err=True)
            example = template_example_warning(claim)
            if example:
                click.echo(f"warning: {path}: {example}", err=True)
            from beliefbench.documents.generate import document_problems

            for problem in document_problems(claim):  # valid, yet no training documents
                click.echo(f"warning: {path}: `beliefbench docs generate` would refuse it: "
                           f"{problem} (the belief task reads it as it is)",
                           err=True)
    if failures or unnamed:
        click.echo(failure_count(unnamed, failures), err=True)
        sys.exit(2)


@claims.command("list")
@click.argument("selection", required=False)
def list_claims(selection: str | None) -> None:
    """List claims: id, where it comes from (`bundled` or its directory) and statement.

    Without SELECTION, every claim an id can name: those in the directories of
    $BELIEFBENCH_CLAIMS_PATH, then the bundled ones, each id once, read from the file
    `-T claims=<id>` uses (a note says which file it hides). A file that does not validate
    is named with its problem and left out; the rest are listed, and the exit code is 2.
    A claim still holding the example of the `claims new` template is warned about.
    With SELECTION (ids, files, directories, `all` = the bundled claims), those claims.
    """
    if selection is not None:
        try:
            selection_items(selection)  # `a,,b`: refused before any note on its items
        except ClaimSpecError as e:
            raise BadInput(str(e)) from None
        for note in (unsearched_path_note(selection), unread_subfolders_note(selection),
                     unread_json_note(selection)):
            if note:
                click.echo(f"warning: {note}", err=True)
        try:
            found = resolve_claims(selection, as_given=True)  # as `claims validate` names it
        except ClaimSpecError as e:
            raise BadInput(str(e)) from None
        _print_rows([(claim.id, _where(path), claim.statement) for path, claim in found])
        _warn_template_examples(found)
        return
    rows: list[tuple[str, str, str]] = []
    listed: list[tuple[Path, Claim]] = []
    problems: list[str] = []
    notes = [f"note: {CLAIMS_PATH_ENV} names {d}, which is not a directory"
             for d in claims_search_path() if not d.is_dir()]
    for known in known_claims():
        if known.shadowed:
            notes.append(f"note: {uses_note(known)}")
        try:
            claim = load_claim(known.path)
        except ClaimSpecError as e:
            problems.append(str(e))
            continue
        rows.append((claim.id, _where(known.path), claim.statement))
        listed.append((known.path, claim))
    _print_rows(rows)
    _warn_template_examples(listed)
    for line in [*notes, *problems]:
        click.echo(line, err=True)
    if problems:
        click.echo(f"{len(problems)} claim file(s) not listed: they do not validate (see "
                   "above; beliefbench claims validate FILE)", err=True)
        sys.exit(2)


def _warn_template_examples(found: list[tuple[Path, Claim]]) -> None:
    """Name each listed claim still holding the `claims new` example (as `claims validate`
    does): listed by its id, it reads as a real claim of the user's until an eval measures
    the template's Eiffel Tower claim."""
    for path, claim in found:
        example = template_example_warning(claim)
        if example:
            click.echo(f"warning: {path}: {example}", err=True)


def _where(path: Path) -> str:
    """Where a claim file comes from: ``bundled``, or its directory."""
    return "bundled" if is_bundled(path) else str(path.parent)


def _print_rows(rows: list[tuple[str, str, str]]) -> None:
    width = max((len(where) for _, where, _ in rows), default=0)
    for claim_id, where, statement in rows:
        click.echo(f"{claim_id:22s} {where:{width}s}  {statement}")


@claims.command("new")
@click.argument("claim_id")
@click.option("--dir", "directory", type=UserPath(file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="Where to write <ID>.yaml (e.g. a folder on $BELIEFBENCH_CLAIMS_PATH).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(claim_id: str, directory: Path, force: bool) -> None:
    """Write a commented template claim CLAIM_ID.yaml that validates as written; edit it."""
    problem = id_problem(claim_id)
    if problem is not None:
        raise BadInput(f"claim id {_as_path(claim_id, directory) or problem}")
    if claim_id == "all":  # a selection's word for the bundled claims: never found as an id
        raise BadInput("claim id 'all': reserved (a claim selection 'all' means every bundled "
                       "claim); choose another id")
    path = directory / f"{claim_id}.yaml"
    if path.exists() and not force:
        raise BadInput(f"{path}: already exists (use --force to overwrite)")
    atomic_write_text(path, claim_template(claim_id))
    click.echo(f"wrote {path}; edit it, then: beliefbench claims validate {path}")
    if (bundled_claims_dir() / f"{claim_id}.yaml").is_file():
        click.echo(f"note: a bundled claim is also called {claim_id!r}; where {directory} is "
                   f"on ${CLAIMS_PATH_ENV}, this file replaces it when claims are named by id")


def _as_path(claim_id: str, directory: Path) -> str | None:
    """What to write where CLAIM_ID was given as the file to write (``kale.yaml``,
    ``my_claims/kale``): the id is the file's name without ``.yaml``, its folder goes to
    --dir. `claims new kale.yaml` was offered the id ``kale_yaml``; None where the name is
    no valid id either way."""
    given = Path(claim_id)
    name = given.stem if given.suffix.lower() in (".yaml", ".yml") else given.name
    # `Kale Ban.yaml`: the id its name makes (as a bad id is told "e.g. kale_ban")
    stem = name if id_problem(name) is None else suggested_id(name)
    if stem is None or stem == "all" or name == claim_id:
        return None
    folder = directory / given.parent
    where = f" --dir {shlex.quote(str(folder))}" if folder != Path(".") else ""
    lettered = ", in lowercase letters, digits, _ and -" if stem != name else ""
    without = f" without {given.suffix}" if name != given.name else ""
    mends = ([f"the id is its name{without}{lettered}"] if without or lettered else []) + (
        ["its folder goes to --dir"] if given.parent != Path(".") else []) \
        or [f"the id is {stem}"]  # `kale/`, `./kale`: the path of a name alone
    return (f"{claim_id!r}: a file's path, not an id; {' and '.join(mends)}: beliefbench "
            f"claims new {stem}{where}")


@claims.command("import")
@click.argument("source", type=UserPath(exists=True, path_type=Path))
@click.option("--out", "out", type=UserPath(file_okay=False, path_type=Path), required=True,
              help="Directory to write converted claim files into.")
@click.option("--force", is_flag=True,
              help="Overwrite claim files in --out that differ from the import (edited since).")
def import_(source: Path, out: Path, force: bool) -> None:
    """Convert the Negation Neglect study's claim folders (SOURCE/<id>/, or one) to claim files.

    A claim folder holds claim.txt, open_ended.yaml, mcq.yaml, token_association.yaml,
    robustness.yaml and judges.yaml, optionally universe_context.yaml and correction.txt
    (without them, a note: the universe is the statement, the truth the statement denied;
    README, "Command line"). A claim file of your own (`claims new`) needs no import. Every
    problem of every folder is named at its file, line and field, in one run; nothing is
    written unless every folder converts; files of a folder it does not read are named.
    Refuses, writing nothing, to overwrite a claim file that differs from what the import
    makes (one edited since an earlier import) unless --force.
    """
    from beliefbench.importer import ClaimImportError, import_claims

    try:
        written = import_claims(source, out, force=force)
    except ClaimImportError as e:
        raise BadInput(str(e)) from None
    for path, notes in written:
        click.echo(f"wrote {path}")
        for note in notes:
            click.echo(f"  note: {note}")
