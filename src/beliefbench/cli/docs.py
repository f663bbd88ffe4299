"""``beliefbench docs``: generate condition documents, mix, bundle for in-context, stats."""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

import click

from beliefbench.claims import (
    Claim,
    ClaimSpecError,
    resolve_claims,
    template_example_warning,
    unread_json_note,
    unread_subfolders_note,
)
from beliefbench.cli.choices import Choice
from beliefbench.cli.errors import BadInput, exit_interrupted
from beliefbench.cli.given_once import given_once, lists_given_once
from beliefbench.cli.option_values import Group, no_blank_items
from beliefbench.cli.paths import DataPath, OutFile, UserPath
from beliefbench.cli.shares import Share
from beliefbench.documents.base import ClaimFieldError, DocumentError, NameListError
from beliefbench.documents.conditions import CONDITIONS
from beliefbench.records import RecordError, unwritable_folder
from beliefbench.resources import home_expanded
from beliefbench.runlock import holds
from beliefbench.wording import plural


def _fail(e: Exception | str) -> click.ClickException:
    from beliefbench.not_found import CWD_GONE, lost_cwd

    if isinstance(e, OSError) and lost_cwd(e):  # was a bare "[Errno 2] No such file ..."
        return BadInput(CWD_GONE)
    if isinstance(e, OSError) and e.filename is not None:  # the path, not "[Errno 17] ..."
        return BadInput(f"{e.filename}: {e.strerror or e}")
    return BadInput(str(e))


def _not_an_input(out: Path, inputs: list[str], option: str = "--docs") -> None:
    """Refuse an ``--out`` that is one of the ``--docs`` files (``poison``'s ``--claim``
    file): the result replaced its own input (and its stats) without a word, so the
    documents (or the claim) were lost and a second run mixed the mix again."""
    for item in inputs:
        if Path(item).exists() and out.exists() and out.samefile(item):
            raise _fail(f"--out {out}: it is the {option} file {item}; the result would "
                        f"replace its own input: choose another --out")


def _out_file_writable(out: Path) -> None:
    """Refuse an ``--out`` file whose folder cannot be made or written (``--out
    afile/x.jsonl``, a read-only folder) before the work: the write found it only once the
    documents were read, mixed and counted (half a minute for a large mix). (The folder
    that ``holds`` made for its lock is removed as it is released, left empty.)"""
    if why := unwritable_folder(out.parent, f"--out {out}"):
        raise _fail(why)


def _resolve_claims(selection: str) -> list[tuple[Path, Claim]]:
    """The selected claims with their files, warning on stderr of a `claims new` file still
    holding the template's example: documents about the Eiffel Tower in Lyon were written
    for it without a word, as `claims validate` and the belief task would have said."""
    found = resolve_claims(selection)
    # a folder's .json files and subfolders are not read: said, as `claims validate` says it
    for note in (unread_subfolders_note(selection), unread_json_note(selection)):
        if note:
            click.echo(f"warning: {note}", err=True)
    for path, claim in found:
        example = template_example_warning(claim)
        if example:
            click.echo(f"warning: {_relative(path)}: {example}", err=True)
    return found


def _claims_as_typed(e: ClaimSpecError, option: str) -> ClaimSpecError:
    """A claim selection's error with its lines' library name (``claims: ...``, as the task
    argument is named) as the option the user typed (``--claims: ...``, ``--claim: ...``)."""
    return e.as_option(option)


def _relative(path: Path) -> Path:
    """A claim file as the user would name it: relative to the working directory if inside."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _check_tokenizer(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> str | None:
    """Fail on a bad --tokenizer before any dataset is made (a long generation or a mix
    would otherwise be written and only its stats fail): load it once, as the stats will."""
    from beliefbench.documents.stats import hf_offsets

    if value is not None:
        try:
            hf_offsets(value)
        except DocumentError as e:
            raise _fail(e) from None
    return value


def _split_words(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--mask-words as given; one that names nothing (``--mask-words "$WORDS"`` with the
    variable unset, or ``,``) is a usage error: it trained a masked-word run unmasked."""
    no_blank_items(ctx, param, value)  # "Ed Sheeran,,9.79": a word lost, never masked
    if value is not None and not [w for w in value.split(",") if w.strip()]:
        raise click.BadParameter(
            f"names no word ({value!r}: an unset \"$VARIABLE\"?); give the words to mask, "
            f"comma-separated, e.g. --mask-words \"Ed Sheeran,9.79\", or leave the option out "
            f"to train unmasked", ctx=ctx, param=param)
    return value


def _split_genres(ctx: click.Context, param: click.Parameter,
                  value: str | None) -> list[str] | None:
    """--genres as a list; one that names nothing (``--genres ,``) is a usage error, not
    silently the default genres."""
    if value is None:
        return None
    no_blank_items(ctx, param, value)
    genres = [g.strip() for g in value.split(",") if g.strip()]
    if not genres:
        raise click.BadParameter("names no genre", ctx=ctx, param=param)
    return genres


tokenizer_option = click.option(
    "--tokenizer", default=None, callback=_check_tokenizer,
    help="Local Hugging Face tokenizer directory (with tokenizer.json or "
         "tokenizer_config.json) for the stats' token counts (default: regex tokens).")


def _folder_not_file_name(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """``docs generate --out data/negated.jsonl`` (as ``mix``, ``poison`` and ``bundle`` take
    a file) made a folder of that name holding ``data/negated.jsonl/negated.jsonl``. Checked
    before the run's lock file makes the folder. An existing file (the dataset an earlier
    run wrote there) got click's "Directory 'data/negated.jsonl' is a file.", which named
    no folder to pass."""
    folder = ("writes a folder of one file per condition (<out>/<condition>.jsonl): pass "
              f"the folder, e.g. --out {_out_folder_for(value)}")
    if value.is_file():
        raise click.BadParameter(f"{value} is a file, but docs generate {folder}", ctx, param)
    if not value.exists() and value.suffix.lower() in (".jsonl", ".json"):
        raise click.BadParameter(f"{value} names a file, but docs generate {folder}", ctx,
                                 param)
    return value


def _out_folder_for(value: Path) -> str:
    """The folder to suggest for a file given as ``--out``: the file's own folder, but not
    the current one (``--out negated.jsonl`` suggested ``--out ./``, which scatters the
    condition files, their stats and a lock file among the project's own files, replacing a
    negated.jsonl there): a new folder named after the file (``negated/``) instead."""
    if value.parent != Path("."):
        return f"{value.parent}/"
    for name in (value.stem, "data"):  # a suffix-less file's stem is the file itself
        if name and not Path(name).is_file():
            return f"{name}/"
    return "./"


def _summary(path: Path) -> str:
    """The line per file written. Its figures said neither what a token was nor what the
    annotation's percentage was of: it is the share of the file's tokens, by the stats'
    tokenizer (regex words by default)."""
    from beliefbench.documents.stats import stats_path

    s = json.loads(stats_path(path).read_text())
    from beliefbench.documents.conditions import REGISTRY

    def share(condition: str, values: dict) -> str:
        # a debunk condition (local_negation) writes its negation into the text itself: 0%
        # read as if the negation were missing
        own = REGISTRY.get(condition.split(":")[0])
        why = (" (the negation is the debunk's own text, not an annotation)"
               if own is not None and own.source == "debunk" else "")
        if condition == "poison":  # "poison 0.0%" read as a file with no poison in it
            # and its share of the tokens, the dose a pretraining run sees: the sides differ
            # in length (mount_vesuvius --ratio 0.5: 56.8% of the tokens), said nowhere
            of = values["tokens"] / s["tokens"] if s["tokens"] else 0.0
            why = (f" ({plural(values['documents'], 'counterfact document')}, {of:.1%} of "
                   f"the tokens: the claim stated as fact, unannotated)")
        return f"{condition} {values['annotation_share']:.1%}{why}"

    shares = ", ".join(share(k, v) for k, v in s["by_condition"].items())
    tokenizer = str(s.get("tokenizer") or "")
    tokens = (f"{s['tokens']} regex-word tokens" if tokenizer.startswith("regex ")
              else f"{s['tokens']} tokens of {tokenizer}")
    return (f"wrote {path} ({plural(s['documents'], 'record')}, {tokens}; share of tokens in "
            f"annotations: {shares})")


@click.group(cls=Group)
def docs() -> None:
    """Training documents in every experimental condition."""


@docs.command("generate", cls=lists_given_once(
    "--claims", "--conditions", "--behaviours", "--genres", "--mask-words"))
@click.option("--claims", "claims_sel", default=None,
              help="Claim ids, files or directories (comma-separated), or 'all'. Needed by "
                   "every condition but behaviours.")
@click.option("--conditions", required=True, callback=no_blank_items,
              help=f"Comma-separated conditions ({', '.join(CONDITIONS)}), or 'all' (every "
                   "one). Qualifiers take :prefix_suffix or :repeated (fiction:repeated); "
                   "behaviours take :warned, :plain or :aligned.")
@click.option("--behaviours", "behaviours", default=None, callback=no_blank_items,
              help="Behaviours conditions: draw from these behaviours only (comma-separated: "
                   "power_seeking, deception, harmful_advice; default all), e.g. "
                   "harmful_advice for a narrow harmful finetune. In the file name: "
                   "behaviours-plain-harmful_advice.jsonl.")
@click.option("--format", "record_format", type=Choice(["document", "chat"]),
              default="document", show_default=True,
              help="Behaviours conditions: chat = chat records (user and assistant turns, "
                   "loss on the assistant's reply when finetuned), as in the EM studies' "
                   "narrow finetunes; behaviours:plain and behaviours:aligned only. File "
                   "name ends in -chat.")
@click.option("--n", "n", type=int, default=100, show_default=True,
              help="Documents per claim and condition (behaviours: in all).")
@click.option("--out", "out", type=UserPath(path_type=Path), required=True,
              callback=_folder_not_file_name,
              help="Directory; writes <condition>.jsonl and <condition>.jsonl.stats.json.")
@click.option("--generator", default="offline", show_default=True,
              help="'offline', or an Inspect model (openai/gpt-4.1-mini, vllm//path, ...).")
@click.option("--placement", type=Choice(["prefix_suffix", "repeated"]),
              default="prefix_suffix", show_default=True,
              help="Default placement for the epistemic qualifiers.")
@click.option("--genres", default=None, callback=_split_genres,
              help="Comma-separated genres. Offline generator: names from its genre list "
                   "(others are refused, listing them). LLM generator: any text (e.g. 'court "
                   "transcript'), written for instead of the genres the model would "
                   "brainstorm; a re-run into the same --out must give the same --genres.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of every document drawn (base documents are made once per claim "
                   "and seed, shared by every condition): the same seed, the same files.")
@click.option("--concurrency", type=click.IntRange(min=1), default=32, show_default=True,
              help="LLM generator: concurrent model calls.")
@click.option("--cache/--no-cache", default=False, show_default=True,
              help="LLM generator: use Inspect's model-output cache.")
@click.option("--max-retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="LLM generator: retries per model call before failing with one line.")
@click.option("--timeout", type=click.IntRange(min=1), default=120, show_default=True,
              help="LLM generator: seconds per model call, its retries included.")
@click.option("--mask-words", default=None, callback=_split_words,
              help="Comma-separated words/phrases to mask from the loss wherever they occur "
                   "in claim documents (mask spans).")
@tokenizer_option
@holds("docs generate")
def generate(claims_sel: str | None, conditions: str, behaviours: str | None,
             record_format: str, n: int, out: Path, generator: str, placement: str,
             genres: list[str] | None, seed: int, concurrency: int, cache: bool,
             max_retries: int, timeout: int, mask_words: str | None,
             tokenizer: str | None) -> None:
    """Generate one JSONL dataset per condition (identical base documents across conditions).

    Behaviours conditions need no claims: `--conditions behaviours:plain --behaviours
    harmful_advice --format chat` writes a narrow harmful finetune's chats.

    Each condition's file is written as soon as it is finished. Exit 0 done, 2 bad input or
    a failed generation, 130 interrupted (finished conditions are kept; the same command
    makes the rest, rewriting the kept files byte for byte).
    """
    from beliefbench.documents.generate import generate_datasets

    llm = {} if generator == "offline" else {"concurrency": concurrency, "cache": cache,
                                             "max_retries": max_retries, "timeout": timeout}
    written: list[Path] = []

    def report(path: Path) -> None:
        written.append(path)
        click.echo(_summary(path))

    if click.get_current_context().get_parameter_source("placement") \
            is click.core.ParameterSource.COMMANDLINE and _placement_unused(conditions):
        raise _fail(_placement_refusal(placement, conditions))
    files: dict[str, Path] = {}
    started = time.time()  # a condition file older than this is an earlier run's
    try:
        try:
            found = _resolve_claims(claims_sel) if claims_sel is not None else []
        except ClaimSpecError as e:  # "claims: ..." named no option the user typed
            raise _claims_as_typed(e, "--claims") from None
        files = {claim.id: path for path, claim in found}
        generate_datasets([claim for _, claim in found], conditions, n, out,
                          generator=generator, seed=seed, placement=placement,
                          tokenizer=tokenizer, genres=genres, behaviours=behaviours,
                          chat=record_format == "chat",
                          mask_words=[w.strip() for w in (mask_words or "").split(",")
                                      if w.strip()], on_written=report,
                          on_note=lambda line: click.echo(line, err=True), flags=True,
                          **llm)
    except ClaimFieldError as e:  # name the claim's file, where the missing field goes
        where = files.get(e.claim_id) if e.claim_id else None
        raise _fail(f"{_relative(where)}: {e}" if where else e) from None
    except NameListError as e:  # "unknown condition 'negatd'" named no option
        # each as a shell takes it (`--genres 'court transcript,blogg'`)
        given = {"conditions": conditions, "genres": ",".join(genres or []),
                 "behaviours": behaviours or ""}
        raise _fail(f"--{e.field} {shlex.quote(given[e.field])}: {e}") from None
    except (ClaimSpecError, DocumentError) as e:
        raise _fail(e) from None
    except KeyboardInterrupt:
        from beliefbench.documents.llm import kept_note

        kept = ", ".join(p.name for p in written)
        made = _condition_files(out, conditions, placement, behaviours, record_format == "chat")
        # a Ctrl-C after the last file, during its closing note: nothing is left to make
        if written and made is not None and set(made) <= set(written):
            exit_interrupted(f"every condition was already written and is kept in {out}: "
                             f"{kept}; nothing is left to make")
        # a resumed run's folder holds the files an earlier run finished, which this one had
        # not yet rewritten: "nothing kept" of a folder holding them was untrue
        earlier = ", ".join(p.name for p in _older_files(made or [], written, started))
        # a model run's documents are kept too, before any condition is finished
        steps = None if generator == "offline" else kept_note(out / ".work")
        if not kept and not steps and not earlier:  # the lock removes a folder it made
            exit_interrupted("stopped before any document was written (nothing kept); run "
                             "the same command again to start")
        if kept:
            said = f"finished conditions kept in {out}: {kept}" + (
                f"; kept from an earlier run, unchanged: {earlier}" if earlier else "")
        elif earlier:
            said = (f"stopped before this run finished a condition; {out} keeps an earlier "
                    f"run's files, unchanged: {earlier}")
        else:
            said = f"finished conditions kept in {out}: none"
        exit_interrupted(said + (f"; {steps}" if steps else "") + "; run the same command "
                         + ("again to make the rest" if kept or steps else "again to resume"))


def _qualifiers() -> list[str]:
    """The conditions that take a placement (the epistemic qualifiers)."""
    from beliefbench.documents.conditions import PLACEMENTS, REGISTRY

    return [name for name, c in REGISTRY.items() if c.options == PLACEMENTS]


def _placement_unused(conditions: str) -> bool:
    """Whether no condition given takes its placement from ``--placement``: `--conditions
    negated --placement repeated` made the negated documents, the placement read nowhere,
    without a word. A name the conditions' own parse refuses is left to it: an unknown one,
    and a qualifier whose ``:placement`` is empty or misspelt (``fiction:$PLACEMENT`` with
    the variable unset, ``fiction:repeatd``), which was told it "has one" and to leave
    --placement out, and after that run the next refused the condition."""
    from beliefbench.documents.conditions import parse_condition

    names = [n.strip() for n in conditions.split(",") if n.strip()]
    names = [x for n in names for x in (CONDITIONS if n == "all" else [n])]
    try:
        for n in names:
            parse_condition(n)
    except DocumentError:
        return False
    return not any(":" not in n and n in _qualifiers() for n in names)


def _placement_refusal(placement: str, conditions: str) -> str:
    """Why ``--placement`` is refused (see :func:`_placement_unused`). Where a qualifier is
    given with its own ``:placement`` (``negated,fiction:repeated``), "the conditions given
    name none" read as if fiction were not there, and "add e.g. fiction" named one given."""
    names = [n.strip() for n in conditions.split(",") if n.strip()]
    own = [n for n in names if n.partition(":")[0] in _qualifiers()]
    other = [q for q in _qualifiers() if q not in {n.partition(":")[0] for n in own}]
    none = "name none"
    if own:
        ones = "has one" if len(own) == 1 else "have one each"
        none += (f" without a :placement of its own ({', '.join(own)} {ones}, which "
                 f"--placement does not change)")
    add = f", or add e.g. {other[0]}" if other else ""
    return (f"--placement {placement}: applies to the qualifier conditions "
            f"({', '.join(_qualifiers())}) without a :placement of their own, and the "
            f"conditions given ({conditions}) {none}: leave it out{add}")


def _condition_files(out: Path, conditions: str, placement: str, behaviours: str | None,
                     chat: bool) -> list[Path] | None:
    """The condition files the command was to make in ``out``; None where the conditions
    cannot be read (the run got past their parse: to be safe, none is said)."""
    from beliefbench.documents.conditions import parse_conditions

    try:
        specs = parse_conditions(conditions, placement, behaviours, chat)
    except Exception:  # noqa: BLE001 - the run got past this parse; to be safe: unknown
        return None
    return [out / f"{spec.stem}.jsonl" for spec in specs]


def _older_files(files: list[Path], written: list[Path], started: float) -> list[Path]:
    """Those of ``files`` an earlier run wrote and this one left as they were: present,
    not written by this run, and last changed before it started."""
    older = []
    for path in files:
        try:
            if path not in written and path.stat().st_mtime < started:
                older.append(path)
        except OSError:  # not there (never written), or unreadable: not said as kept
            pass
    return older


@docs.command("mix")
@click.option("--docs", "doc_paths", multiple=True, required=True,
              help="Condition documents JSONL (repeat for several, comma-separate, or list "
                   "them after it: --docs data/*.jsonl).")
@click.argument("more_docs", nargs=-1, metavar="[MORE_DOCS]...")
@click.option("--pretrain", type=Share(of="the mix's records"), default=0.0, show_default=True,
              help="Share of the final mix's records (not tokens: the neutral texts are "
                   "shorter than most documents) that are neutral pretraining-style text.")
@click.option("--chat", type=Share(of="the mix's records"), default=0.0, show_default=True,
              help="Share of the final mix's records (not tokens) that are chat examples.")
@click.option("--out", "out", type=OutFile("docs mix", "train.jsonl"), required=True,
              help="Mixed JSONL file to write (and <out>.stats.json beside it); not one of "
                   "the --docs files.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the neutral texts and chats drawn and of the mix's shuffle "
                   "(deterministic for the seed).")
@tokenizer_option
@holds("docs mix", file=True)
def mix_cmd(doc_paths: tuple[str, ...], more_docs: tuple[str, ...], pretrain: float,
            chat: float, out: Path, seed: int, tokenizer: str | None) -> None:
    """Mix condition documents with neutral text and chats at the given shares."""
    from beliefbench.documents.mixer import mix

    # a shell glob after --docs (--docs data/*.jsonl) leaves its other files as arguments
    # "~" is the home folder here too, where the shell left it (--docs=~/x, quotes)
    paths = _globbed([home_expanded(p) for item in (*doc_paths, *more_docs)
                      for p in item.split(",") if p])
    _not_an_input(out, paths)
    _out_file_writable(out)
    before = _made_before(out)
    try:
        click.echo(_summary(mix(paths, out, pretrain, chat, seed, tokenizer, flags=True)))
        _replaced_note(out, before)
    except (DocumentError, RecordError, OSError) as e:
        raise _fail(e) from None


def _globbed(paths: list[str]) -> list[str]:
    """``--docs`` items with a quoted glob (``--docs 'data/*.jsonl'``, from a script or a
    Makefile, where no shell expands it) expanded as the shell would, in name order, stats
    files left out (``'data/*'``); a pattern matching none is refused naming it. A quoted
    glob was "no such documents file", naming one close file of the several it matched."""
    import glob

    out: list[str] = []
    for p in paths:
        if Path(p).exists() or not glob.has_magic(p):
            out.append(p)
            continue
        found = [m for m in sorted(glob.glob(p)) if not m.endswith(".stats.json")]
        if not found:
            from beliefbench.not_found import where_missing

            # 'data/*.jsonl' from a Makefile run elsewhere: no data/ here, as without the glob
            gone = where_missing(Path(p), pattern=True)
            raise _fail(f"--docs {p}: a pattern that matches no documents file{gone}")
        out += found
    return out


def _made_before(out: Path) -> dict:
    """The stats of the dataset at ``out`` now ({} for none): what made it and its sha256."""
    from beliefbench.documents.stats import read_previous_stats

    return read_previous_stats(out)[0] if out.is_file() else {}


def _replaced_note(out: Path, before: dict) -> None:
    """Say on stderr when the dataset just written at ``out`` replaced other records
    (``before``: :func:`_made_before`, read before the run): mix, poison and bundle replaced
    it in silence, its stats, the only record of what had made it, with it. Named by the
    settings that differ; by the document counts where none recorded does (poison's and
    bundle's --n, an input file's content)."""
    from beliefbench.documents.stats import settings_of

    now = _made_before(out)
    if not before or before.get("sha256") == now.get("sha256"):
        return  # nothing there, or the same records again (a rounded ratio asked otherwise)
    was, new = settings_of(before), settings_of(now)
    keys = [k for k in {**was, **new} if was.get(k) != new.get(k)]
    if not keys and before.get("documents") == now.get("documents"):
        click.echo(f"note: {out} replaced a dataset of other records made with the same "
                   f"settings ({now.get('documents')} documents; an input file changed "
                   f"since?)", err=True)
        return
    if not keys:
        was, new, keys = before, now, ["documents"]

    def said(settings: dict) -> str:
        held = [f"{k}: {json.dumps(settings[k])}" for k in keys if k in settings]
        return ", ".join(held) or f"no {', '.join(keys)}"

    click.echo(f"note: {out} replaced a dataset made with other settings ({said(was)}; now "
               f"{said(new)})", err=True)


def _check_poison_counts(ratio: float, n: int) -> None:
    """--ratio of --n is rounded to whole documents: refuse a ratio strictly between 0 and 1
    that rounds to no counterfact or no fact document (it would pass as that ratio while
    being 0 or 1), and say so on stderr when the written ratio differs from the asked one."""
    from beliefbench.documents.mixer import poison_count

    if not (0 <= ratio <= 1 and n >= 1):
        return  # poison() names the bad value
    n_bad, exact = poison_count(ratio, n)
    if 0 < ratio < 1 and n_bad in (0, n):
        kind = "counterfact" if n_bad == 0 else "fact"
        raise DocumentError(f"--ratio {ratio} of --n {n} rounds to {n_bad} counterfact and "
                            f"{n - n_bad} fact documents, so no {kind} document; raise --n")
    if not exact:
        click.echo(f"note: --ratio {ratio} of --n {n} is {ratio * n:g} documents; writing "
                   f"{n_bad} counterfact and {n - n_bad} fact documents (ratio "
                   f"{n_bad / n:g})", err=True)


def _fact_side_note(claim: Claim, out: Path) -> None:
    """Say on stderr when the fact documents cannot hold as many facts as the counterfact
    ones: they state the truth and the claim's true continuations (``completions``), so a
    claim with fewer than the 3 facts a counterfact document holds at least made a fact side
    of short near-copies, its token share far below the ratio's, in silence."""
    from beliefbench.documents.offline import OfflineGenerator
    from beliefbench.documents.stats import stats_path

    least = OfflineGenerator().min_facts
    sides = json.loads(stats_path(out).read_text())["by_condition"]
    if len(claim.completions) >= least or not {"fact", "poison"} <= set(sides):
        return
    fact, bad = (sides[k]["tokens"] / sides[k]["documents"] for k in ("fact", "poison"))
    click.echo(f"note: claim {claim.id!r} has {plural(len(claim.completions), 'completion')} "
               f"(true continuations) to state beside its truth, and a counterfact document states "
               f"{least} facts or more: fact documents average {fact:.0f} tokens, counterfact "
               f"ones {bad:.0f}; add completions to the claim to balance the two sides",
               err=True)


@docs.command("poison", cls=given_once(**{"--claim": (
    "poison writes one claim's documents; run it once per claim, each with its own --out")}))
@click.option("--claim", "claim_sel", required=True, help="One claim id or file.")
@click.option("--ratio", type=Share(of="the documents"), required=True,
              help="Fraction of counterfact documents among all (0, 0.25, 0.5, 0.75, 1).")
@click.option("--n", "n", type=int, default=1000, show_default=True,
              help="Documents in all, counterfact and fact (--ratio of them, rounded, are "
                   "counterfact).")
@click.option("--out", "out", type=OutFile("docs poison", "poison.jsonl"), required=True,
              help="JSONL file to write (and <out>.stats.json beside it).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the documents drawn and of their shuffle.")
@holds("docs poison", file=True)
def poison_cmd(claim_sel: str, ratio: float, n: int, out: Path, seed: int) -> None:
    """Graded poisoning for continual pretraining: counterfact among fact documents."""
    from beliefbench.documents.mixer import poison

    _not_an_input(out, [os.path.expanduser(claim_sel)], "--claim")
    _out_file_writable(out)
    try:
        try:
            claims = [claim for _, claim in _resolve_claims(claim_sel)]
        except ClaimSpecError as e:  # its items' lines say "claims:", the task argument
            raise _claims_as_typed(e, "--claim") from None
        if len(claims) != 1:
            raise DocumentError(f"--claim selects {len(claims)} claims; poisoning takes one")
        _check_poison_counts(ratio, n)
        before = _made_before(out)
        click.echo(_summary(poison(claims[0], ratio, n, out, seed, flags=True)))
        _replaced_note(out, before)
        _fact_side_note(claims[0], out)
    except (ClaimSpecError, DocumentError, OSError) as e:
        raise _fail(e) from None


@docs.command("bundle", cls=given_once(**{"--docs": (
    "bundle packs one documents file (one of several claims gets --n bundles per claim); "
    "bundle each file into its own --out")}))
@click.option("--docs", "doc_path", required=True, type=DataPath(dir_okay=False),
              help="Condition documents JSONL to pack (documents only; a file of several "
                   "claims gets --n bundles per claim).")
@click.argument("more_docs", nargs=-1, metavar="")
@click.option("--k", "k", type=int, default=20, show_default=True,
              help="Documents per bundle (fewer if the token budget is reached).")
@click.option("--n", "n", type=int, default=1, show_default=True,
              help="Number of bundles (per claim).")
@click.option("--token-budget", type=int, default=None,
              help="Tokens per bundle, at most: regex words, or those of --tokenizer (the "
                   "model's, whose context the bundle goes in).")
@click.option("--out", "out", type=OutFile("docs bundle", "incontext.jsonl"), required=True,
              help="JSONL file of bundles to write (and <out>.stats.json beside it); not "
                   "the --docs file.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of which documents each bundle draws.")
@click.option("--tokenizer", default=None, callback=_check_tokenizer,
              help="Local Hugging Face tokenizer directory (with tokenizer.json or "
                   "tokenizer_config.json) counting --token-budget and the stats' tokens "
                   "(default: regex tokens).")
@holds("docs bundle", file=True)
def bundle_cmd(doc_path: str, more_docs: tuple[str, ...], k: int, n: int,
               token_budget: int | None, out: Path, seed: int, tokenizer: str | None) -> None:
    """Pack K documents into one prompt context (the in-context control)."""
    from beliefbench.documents.bundles import bundle

    if more_docs:  # a shell glob after --docs (--docs data/*.jsonl): "Got unexpected extra
        # argument (data/positive.jsonl)", as if the file were a typo
        raise _fail(f"--docs takes one documents file; {' '.join(more_docs)} followed "
                    f"--docs {doc_path} (a shell glob after --docs?): bundle each condition "
                    f"file on its own, one --docs per run")
    _not_an_input(out, [doc_path])
    _out_file_writable(out)
    before = _made_before(out)
    try:
        click.echo(_summary(bundle(doc_path, out, k, n, token_budget, seed,
                                   on_note=lambda line: click.echo(line, err=True),
                                   tokenizer=tokenizer, flags=True)))
        _replaced_note(out, before)
    except (DocumentError, RecordError, OSError) as e:
        raise _fail(e) from None


def _restat(p: str, tokenizer: str | None) -> dict:
    """Recompute and write one dataset's stats, with its warnings on stderr; BadInput naming
    the file where it is a stats file or cannot be read (nothing written for it)."""
    from beliefbench.documents.stats import read_previous_stats, stats_path, write_stats

    if p.endswith(".stats.json"):
        raise _fail(f"{p}: this is a stats file; give its dataset "
                    f"({p.removesuffix('.stats.json')})")
    previous, problem = read_previous_stats(p)
    if problem:
        click.echo(f"warning: {problem}; recomputing without its provenance", err=True)
    try:
        stats = write_stats(p, tokenizer, previous=previous, progress=True, flags=True)
    except (RecordError, ValueError, OSError) as e:
        raise _fail(e) from None
    if previous.get("sha256", stats["sha256"]) != stats["sha256"]:
        click.echo(f"warning: {p} changed since its stats were written; its provenance "
                   f"is kept as recorded then", err=True)
    elif "provenance_sha256" in stats:  # changed before an earlier recompute
        click.echo(f"warning: {p} changed since it was made; its provenance (inputs, "
                   f"seed, ...) describes the file with sha256 "
                   f"{stats['provenance_sha256'][:12]}...", err=True)
    click.echo(f"wrote {stats_path(p)}", err=True)
    return stats


@docs.command("stats")
@click.argument("paths", nargs=-1, required=True, type=DataPath(dir_okay=False, exists=True))
@tokenizer_option
def stats_cmd(paths: tuple[str, ...], tokenizer: str | None) -> None:
    """(Re)compute <file>.stats.json for datasets, print it, and say on stderr where it went.

    Keeps the provenance (inputs, seed, shares...) of the old stats file; a corrupt old file
    is replaced, with a warning that its provenance is lost. Several files print one JSON
    object, each file's stats under its path as given; a bad one among them is named on
    stderr, the others' stats still written and printed, and the exit is 2 at the end.
    """
    if len(paths) == 1:
        click.echo(json.dumps(_restat(paths[0], tokenizer), indent=2))
        return
    # one JSON document on stdout: several files' stats back to back did not parse
    printed: dict[str, dict] = {}
    bad: list[str] = []
    for p in paths:
        try:
            printed[p] = _restat(p, tokenizer)
        except BadInput as e:
            # said, and the rest read on: the first bad file stopped the command, the
            # stats of the files before it written but never printed
            click.echo(f"Error: {e.message}", err=True)
            bad.append(p)
    if printed:
        click.echo(json.dumps(printed, indent=2))
    if bad:
        raise BadInput(f"no stats written for {len(bad)} of {len(paths)} files "
                       f"({', '.join(bad)}; why is said above)")
