"""From claims and condition names to one JSONL dataset per condition, with stats beside it.

Base documents are made once per claim and seed and shared by every condition, so files for
different conditions differ only in annotation (local_negation uses separately written
debunks; behaviours use transcripts from the behaviour spec, optionally of some behaviours
only and as chat records).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from beliefbench.claims import Claim
from beliefbench.documents.base import (
    BaseDocument,
    ClaimFieldError,
    DocumentError,
    DocumentGenerator,
)
from beliefbench.documents.conditions import (
    ConditionSpec,
    annotate,
    chat_record,
    check_claims,
    check_data,
    parse_conditions,
)
from beliefbench.documents.conditions._builder import add_masks
from beliefbench.documents.conditions.behaviours import behaviour_ids, chats, transcripts
from beliefbench.documents.offline import OfflineGenerator
from beliefbench.documents.stats import tokenizer_checked, write_dataset
from beliefbench.progress import progress as bar
from beliefbench.records import Record, unwritable_folder
from beliefbench.resources import data_path
from beliefbench.runlock import missing_dirs, remove_empty_dirs
from beliefbench.wording import plural


def make_generator(name: str = "offline", genres: Sequence[str] | None = None,
                   work_dir: str | Path | None = None, **llm: Any) -> DocumentGenerator:
    """'offline' for the template generator; any other name is an Inspect model.

    ``genres``: the offline generator's genre names; an LLM generator writes for them (any
    text) instead of brainstorming its own."""
    if name == "offline":
        return OfflineGenerator(genres)
    if "/" not in name:
        raise DocumentError(f"generator {name!r} is neither 'offline' nor an Inspect model name "
                            f"(provider/model, e.g. openai/gpt-4.1-mini or vllm//path)")
    from beliefbench.documents.llm import LLMGenerator

    return LLMGenerator(name, work_dir or Path(".cache") / "docs", given_genres=genres, **llm)


def iter_condition_records(claims: Sequence[Claim], specs: Sequence[ConditionSpec], n: int,
                           generator: DocumentGenerator, seed: int = 0, progress: bool = True,
                           mask_words: Sequence[str] = (), *, flags: bool = False
                           ) -> Iterator[tuple[ConditionSpec, list[Record]]]:
    """Each condition's records in turn, n per claim (transcript conditions: n in all).

    One condition at a time, so a caller can write each as soon as it is finished (an
    interrupt then keeps the finished ones). Each condition's source (REGISTRY) says where its
    documents come from; every source is produced once per claim and shared by the
    conditions that use it. ``mask_words`` get ``mask`` loss spans wherever they occur in
    claim documents. ``flags``: called by ``docs generate``, whose errors name ``--n``, not
    the argument ``n``.
    """
    offline = generator if isinstance(generator, OfflineGenerator) else OfflineGenerator()

    def label(claim: Claim, what: str) -> str | None:
        return f"{claim.id} {what}" if progress else None

    def base(claim: Claim) -> list[BaseDocument]:
        if generator is offline:  # the LLM generator shows its own stages and bar
            return offline.generate(claim, n, seed, progress=label(claim, "base documents"))
        docs = generator.generate(claim, n, seed)
        if len(docs) != n:  # a dataset with fewer records than --n would pass as complete
            raise DocumentError(f"generator {generator.name} made {len(docs)} base documents "
                                f"for claim {claim.id!r}, not the {n} asked for "
                                f"({'--n' if flags else f'n={n}'}); no "
                                f"dataset was written for the conditions that use them")
        return docs

    sources: dict[str, Callable[[Claim], list[BaseDocument]]] = {
        "base": base,
        "debunk": lambda claim: offline.debunks(claim, n, seed,
                                                progress=label(claim, "debunks")),
    }
    made: dict[tuple[int, str], list[BaseDocument]] = {}
    for spec in specs:
        records: list[Record] = []
        source = spec.condition.source
        if source == "transcript" and spec.chat:
            for base_id, messages, meta in chats(n, seed, spec.option == "aligned",
                                                 spec.behaviours):
                records.append(chat_record(spec, base_id, messages, meta, seed))
        elif source == "transcript":
            for doc, reply_at in transcripts(n, seed, spec.option == "aligned",
                                             spec.behaviours):
                records.append(annotate(None, doc, spec, seed, reply_at=reply_at))
        else:
            for i, claim in enumerate(claims):
                if (i, source) not in made:
                    made[i, source] = sources[source](claim)
                docs = made[i, source]
                for doc in bar(docs, total=len(docs), desc=f"{claim.id} {spec.stem}",
                               enabled=progress, log_opener=False):
                    records.append(add_masks(annotate(claim, doc, spec, seed),
                                             list(mask_words)))
        yield spec, records


def unmasked_words(records: Sequence[Record], words: Sequence[str]) -> list[str]:
    """The ``--mask-words`` that no record of a claim condition masks: a word in another case
    (``ed sheeran``) or absent from the claim's documents was trained on unmasked, unsaid.
    Chat and behaviours records (no claim text, never masked) are not asked."""
    texts = [r for r in records if r.text is not None and r.claim_id]
    if not texts or not words:
        return []
    masked = {r.text[s.start:s.end] for r in texts for s in r.loss_mask if s.kind == "mask"}
    return [w for w in dict.fromkeys(words) if w not in masked]


def condition_records(claims: Sequence[Claim], specs: Sequence[ConditionSpec], n: int,
                      generator: DocumentGenerator, seed: int = 0, progress: bool = True,
                      mask_words: Sequence[str] = (), *, flags: bool = False
                      ) -> dict[str, list[Record]]:
    """Records per condition stem (see ``iter_condition_records``)."""
    return {spec.stem: records for spec, records in iter_condition_records(
        claims, specs, n, generator, seed, progress, mask_words, flags=flags)}


def document_problems(claim: Claim) -> list[str]:
    """What ``docs generate`` (offline generator, every claim condition) would refuse this
    claim for, one line per missing field set: ``claims validate`` says it, since a claim
    the belief task reads can still lack what the document generators need, and the refusal
    came only when documents were asked for."""
    problems: list[str] = []
    checks = [OfflineGenerator.check,
              *dict.fromkeys(c for spec in parse_conditions("all")
                             if spec.condition.needs_claim
                             for c in spec.condition.claim_checks)]
    for check in checks:
        try:
            check(claim)
        except ClaimFieldError as e:
            if str(e) not in problems:
                problems.append(str(e))
    return problems


def generate_datasets(claims: Sequence[Claim | str | Path] | str | Path,
                      conditions: str | Sequence[str], n: int,
                      out_dir: str | Path, generator: str = "offline", seed: int = 0,
                      placement: str = "prefix_suffix",
                      genres: str | Sequence[str] | None = None,
                      tokenizer: str | None = None, progress: bool = True,
                      mask_words: str | Sequence[str] = (),
                      on_written: Callable[[Path], None] | None = None,
                      on_note: Callable[[str], None] | None = None,
                      behaviours: str | Sequence[str] | None = None, chat: bool = False,
                      flags: bool = False, **llm: Any) -> list[Path]:
    """Write <out_dir>/<condition>.jsonl (+ .stats.json) for each condition; returns paths.

    ``behaviours`` (ids; None or 'all': every one) and ``chat`` (chat records) shape the
    behaviours conditions, see :func:`parse_conditions`; both are in the file stem
    (``behaviours-plain-harmful_advice-chat.jsonl``).

    Each condition's files are written atomically as soon as it is finished (then
    ``on_written`` is called), so an interrupted run keeps the finished conditions; every
    file depends only on the inputs, so a re-run rewrites them byte for byte. ``on_note``
    gets one line for each file already in ``out_dir`` that was made with other settings
    (see :func:`folder_notes`), before anything is generated.

    ``flags``: called by ``docs generate``, whose errors name its options (``--n``,
    ``--claims``, ``--out``); a Python caller is told the arguments (``n``, ``claims``,
    ``out_dir``), as :func:`~beliefbench.documents.mixer.mix` tells its own, and so does a
    model generator (``genres``, ``timeout``, ``generator='openai/m'``). From Python,
    ``claims`` may name claims as ``docs generate --claims`` does (``"ed_sheeran"``, a file,
    a folder: :func:`~beliefbench.claims.load_claims`), and ``genres`` / ``mask_words`` may be
    one comma-separated string, as the options take them: each was read letter by letter
    (a claim ``'e'`` with no ``statement``, genres ``'n'``, ``'e'``, ..., masks of ``'E'``).
    """
    def opt(flag: str, name: str) -> str:
        return flag if flags else name

    if n < 1:
        raise DocumentError(f"{opt('--n', 'n')} must be at least 1 (got {n})")
    claims = _claims_of(claims)
    genres = _listed(genres) if genres is not None else None
    mask_words = _listed(mask_words)
    specs = parse_conditions(conditions, placement, behaviours, chat)
    check_data(specs)  # a typo in a data file: one line now, not a traceback mid-run
    if not claims and any(spec.condition.needs_claim for spec in specs):
        raise DocumentError("no claims given (--claims); conditions other than behaviours "
                            "need at least one (an empty dataset would be written): give "
                            "--claims with claim ids, files or folders, e.g. --claims "
                            "ed_sheeran (`beliefbench claims list` names them)" if flags else
                            "no claims given (claims is empty); conditions other than "
                            "behaviours need at least one (an empty dataset would be "
                            "written): give claims, as ids, files or folders or as Claim "
                            "objects, e.g. claims='ed_sheeran' (`beliefbench claims list` "
                            "names them)")
    sources = {spec.condition.source for spec in specs}
    offline = "debunk" in sources or ("base" in sources and generator == "offline")
    # a claim a generator or later condition cannot use: before any file, not mid-run
    check_claims(specs, claims, [OfflineGenerator.check] if offline else [])
    out_dir = Path(out_dir)
    tokenizer_checked(tokenizer, flags=flags)  # before any condition is made, not after one
    gen = make_generator(generator, genres, work_dir=out_dir / ".work", progress=progress,
                         flags=flags, **llm) \
        if generator != "offline" else make_generator(generator, genres)
    made = missing_dirs(out_dir / ".work")  # the LLM generator's work_dir, below
    given = f"--out {out_dir}" if flags else f"out_dir={str(out_dir)!r}"
    if why := unwritable_folder(out_dir, given):  # now, not after generating
        remove_empty_dirs(made)
        raise DocumentError(why)
    if "base" in sources and hasattr(gen, "check_progress"):
        # a progress file the model run cannot go on from: before the notes that its files
        # will be replaced, and before any claim's documents are asked for
        for claim in claims:
            gen.check_progress(claim, seed)
    # --genres picks the base documents: files made with other genres share base ids but
    # not texts, so the stats record them and folder_notes compares them
    settings = {"claims": [c.id for c in claims], "n_per_claim": n, "seed": seed,
                "generator": generator, "genres": list(genres) if genres else None,
                "mask_words": list(mask_words),
                "claim_versions": {c.id: claim_version(c) for c in claims}}
    if on_note is not None:
        for note in folder_notes(out_dir, specs, settings, flags):
            on_note(note)
        if note := unmodelled_note(specs, generator, flags):
            on_note(note)
    paths: list[Path] = []
    try:
        for spec, records in iter_condition_records(claims, specs, n, gen, seed, progress,
                                                    mask_words, flags=flags):
            path = out_dir / f"{spec.stem}.jsonl"
            extra = {"condition": spec.stem, **settings}
            if spec.condition.source == "transcript":  # what the file drew from, as written
                # and not the run's claims, generator, genres or mask words: none of them
                # makes a transcript, and "claims" (six) beside "n_per_claim": 30 read as 180
                # documents of a file of 30
                extra = {"condition": spec.stem, "n_per_claim": n, "seed": seed,
                         "behaviours": list(spec.behaviours or behaviour_ids()),
                         "format": "chat" if spec.chat else "document",
                         "unique": {"scenarios": _scenarios_in(records)}}
            write_dataset(path, records, tokenizer, extra, progress=progress, flags=flags)
            paths.append(path)
            if on_written is not None:
                on_written(path)
            if on_note is not None and (note := _cycled_note(path, records)):
                on_note(note)
            missed = unmasked_words(records, mask_words)
            if missed and on_note is not None:
                on_note(f"note: {path.name}: {opt('--mask-words', 'mask_words')} "
                        f"{', '.join(map(repr, missed))} "
                        f"occur{'s' if len(missed) == 1 else ''} in none of its documents "
                        "(matched as whole words, in the case written), so nothing of "
                        f"{'it' if len(missed) == 1 else 'them'} is masked")
    except BaseException:  # an interrupt too: the folders it made are empty all the same
        remove_empty_dirs(made)  # a resumable LLM generator's progress is kept
        raise
    return paths


def _listed(value: str | Sequence[str]) -> list[str]:
    """A list option from Python: one string is comma-separated, as the command takes it
    (``"news_report,blog_post"``), never a list of its letters."""
    items = value.split(",") if isinstance(value, str) else value
    return [w.strip() for w in items if w.strip()]


def _claims_of(claims: Sequence[Claim | str | Path] | str | Path) -> list[Claim]:
    """Claims given from Python: Claim objects, or ids, files or folders (a comma-separated
    selection too) read as ``docs generate --claims`` reads them."""
    from beliefbench.claims import load_claims

    items = [claims] if isinstance(claims, (str, Path)) else list(claims)
    out: list[Claim] = []
    for item in items:
        out += load_claims(str(item)) if isinstance(item, (str, Path)) else [item]
    return out


def _scenarios_in(records: Sequence[Record]) -> int:
    """How many distinct behaviour scenarios a behaviours file's records are drawn from."""
    return len({(r.meta.get("behaviour"), r.meta.get("scenario")) for r in records})


def _cycled_note(path: Path, records: Sequence[Record]) -> str | None:
    """Say when a behaviours file repeats its scenarios: `--n 200 --format chat` of
    harmful_advice wrote 200 chats of 3 distinct ones (each 67 times) without a word, a narrow
    finetune's data that was 3 examples; the README said so, the run did not."""
    if not records or records[0].meta.get("behaviour") is None:
        return None
    distinct = _scenarios_in(records)
    if len(records) <= distinct:
        return None
    return (f"note: {path.name}: {len(records)} records of {plural(distinct, 'scenario')} "
            f"(each about {len(records) / distinct:.0f} times: the behaviour spec's scenarios "
            f"cycle); add scenarios to {data_path('behaviours', 'misaligned.yaml')} (the "
            f"shipped spec, read from there only) for more variety")


_NOT_BY_THE_MODEL = {"debunk": "the offline generator's debunks",
                     "transcript": "the behaviour spec's transcripts"}
"""Where a condition whose documents no --generator writes gets them, by source."""


def unmodelled_note(specs: Sequence[ConditionSpec], generator: str, flags: bool = True
                    ) -> str | None:
    """Say which conditions a model generator does not write: ``--generator openai/...
    --conditions local_negation`` wrote template debunks, and behaviours the spec's
    transcripts, without a word, as if the model had written them. ``flags``: the generator
    named as ``docs generate``'s option, else as the argument (``generator='openai/m'``)."""
    if generator == "offline":
        return None
    others = [f"{spec.stem} ({_NOT_BY_THE_MODEL[spec.condition.source]})"
              for spec in specs if spec.condition.source in _NOT_BY_THE_MODEL]
    if not others:
        return None
    named = f"--generator {generator}" if flags else f"generator={generator!r}"
    if any(spec.condition.source == "base" for spec in specs):
        return (f"note: {named} writes the base documents only; not written "
                f"by it: {', '.join(others)}")
    return (f"note: {named} writes none of these conditions, only base "
            f"documents (positive, negated, ...): {', '.join(others)}; the model is not asked")


_OPTIONS = {"claims": "--claims", "n_per_claim": "--n", "seed": "--seed",
            "generator": "--generator", "genres": "--genres", "mask_words": "--mask-words",
            "claim_versions": "claim"}
"""The settings a condition file depends on (recorded in its stats), by command-line option
(``claim_versions``: what the claim files said, :func:`claim_version`)."""

_DOCUMENT_FIELDS = {"statement", "truth", "universe", "sub_claims", "entities", "background",
                    "markers"}
"""The claim fields documents are made from (facts, denials, corrections, the sentences
the annotators find); questions, rubrics and completions are not."""


def claim_version(claim: Claim) -> str:
    """A short hash of the claim fields documents are made from: an edited claim (another
    statement, a sub-claim added) makes other documents under the same id, so a folder
    holding files of both versions is warned of, as one of two --n is."""
    fields = claim.model_dump(mode="json", include=_DOCUMENT_FIELDS)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _edited(old: Any, now: dict[str, str]) -> list[str]:
    """The ids of claims in both runs whose versions differ (old stats: a dict, or none)."""
    return [i for i, v in now.items() if isinstance(old, dict) and i in old and old[i] != v]


def _shown(key: str, value: Any, edited: Sequence[str] = (), flags: bool = True) -> str:
    """A setting as the caller gave it: ``--n 10`` to the command, ``n=10`` from Python."""
    if key == "claim_versions":
        names = ", ".join(edited)
        return f"an earlier version of claim {names}" if value else \
            f"claim {names} as its file is now"
    if key == "genres" and value is None:
        value = "(all)"
    elif isinstance(value, list):
        value = ",".join(map(str, value)) or "(none)"
    if not flags:
        return f"{_OPTIONS[key].removeprefix('--').replace('-', '_')}={value}"
    return f"{_OPTIONS[key]} {value}"


def folder_notes(out_dir: Path, specs: Sequence[ConditionSpec], settings: dict[str, Any],
                 flags: bool = True) -> list[str]:
    """What an output folder already holds from runs with other settings (``--n``,
    ``--claims``, ``--seed``, ``--generator``, ``--genres``, ``--mask-words``, read from each
    condition file's stats): a file this run replaces is noted; a file this run leaves alone
    is a warning, since the folder then mixes datasets made differently. Behaviours files
    and claim-free runs compare ``--n`` and ``--seed`` only. ``flags``: said as the
    command's options (``--n 10``), else as :func:`generate_datasets`'s arguments (``n=10``)."""
    ours = {spec.stem for spec in specs}
    # behaviours depend on --n and --seed alone: compared with a claim-free run, or as the
    # file compared, the claims (and the generator's settings) are no difference
    claim_run = any(spec.condition.needs_claim for spec in specs)
    notes = []
    for sp in sorted(out_dir.glob("*.jsonl.stats.json")):
        try:
            old = json.loads(sp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(old, dict) or "condition" not in old:
            continue  # not a condition file (a mix, a bundle), or unreadable stats
        stem = sp.name.removesuffix(".jsonl.stats.json")
        keys = list(_OPTIONS) if claim_run and not stem.startswith("behaviours") \
            else ["n_per_claim", "seed"]
        edited = _edited(old.get("claim_versions"), settings["claim_versions"])
        differ = [k for k in keys if k in old and old[k] != settings[k]
                  and (k != "claim_versions" or edited)]
        if not differ:
            continue
        then = ", ".join(_shown(k, True, edited) if k == "claim_versions"
                         else _shown(k, old[k], flags=flags) for k in differ)
        now = ", ".join(_shown(k, False, edited) if k == "claim_versions"
                        else _shown(k, settings[k], flags=flags) for k in differ)
        data = sp.with_name(f"{stem}.jsonl")
        if stem in ours:
            notes.append(f"note: {data} was made with {then}; this run will replace it ({now})")
        elif data.exists():
            notes.append(f"warning: {data} is from an earlier run with {then} and is left as "
                         f"it is (this run: {now}); the folder now holds datasets made with "
                         f"different settings")
    return notes
