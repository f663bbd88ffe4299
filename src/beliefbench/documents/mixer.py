"""Training mixes: condition documents with neutral text and chats; graded poisoning.

The neutral pretraining-style text and chat examples come from small pools shipped in
data/corpus/ (written for this package, never downloaded). Pretraining documents are
composed from 2-5 paragraphs of one topic, so the pool yields many distinct texts; chats are
drawn with replacement, so large mixes repeat them (the stats record how many are unique).
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from beliefbench.claims import Claim, NonEmpty
from beliefbench.documents.base import (
    DataFile,
    DocumentError,
    checked_data,
    load_data,
    template,
)
from beliefbench.documents.offline import OfflineGenerator
from beliefbench.documents.stats import tokenizer_checked, write_dataset
from beliefbench.not_found import where_missing
from beliefbench.records import (
    NOT_DOCUMENTS,
    Message,
    Record,
    folder_of_datasets,
    read_records,
)
from beliefbench.wording import percent_meant

PRETRAIN_FILE = ("corpus", "pretrain.yaml")
CHAT_FILE = ("corpus", "chat.yaml")
MIN_PARAGRAPHS = 2
"""A pretraining document holds 2-5 paragraphs of one topic."""


Title = template("topic")
"""A pretraining document's title; ``{topic}``: the topic's name, underscores as spaces."""


class _PretrainFile(DataFile):
    topics: Annotated[dict[str, Annotated[list[NonEmpty], Field(min_length=MIN_PARAGRAPHS)]],
                      Field(min_length=1)]
    titles: Annotated[list[Title], Field(min_length=1)]


class _Chat(DataFile):
    user: NonEmpty
    """The user's message."""
    assistant: NonEmpty
    """The assistant's reply."""


class _ChatFile(DataFile):
    chats: Annotated[list[_Chat], Field(min_length=1)]


@cache
def pretrain_corpus() -> dict[str, Any]:
    """corpus/pretrain.yaml, checked once (before a mix is written)."""
    return checked_data(_PretrainFile, load_data(*PRETRAIN_FILE), *PRETRAIN_FILE)


@cache
def chat_pool() -> list[dict[str, str]]:
    """corpus/chat.yaml's chats, checked once (before a mix is written)."""
    return checked_data(_ChatFile, load_data(*CHAT_FILE), *CHAT_FILE)["chats"]


def pretrain_records(n: int, seed: int = 0) -> list[Record]:
    if not n:  # a mix without neutral text never reads (or refuses) its pool
        return []
    corpus = pretrain_corpus()
    topics = sorted(corpus["topics"])
    out = []
    for i in range(n):
        rng = random.Random(f"pretrain:{seed}:{i}")
        topic = rng.choice(topics)
        paras = rng.sample(corpus["topics"][topic], rng.randint(MIN_PARAGRAPHS, min(5, len(
            corpus["topics"][topic]))))
        title = rng.choice(corpus["titles"]).format(topic=topic.replace("_", " "))
        out.append(Record(id=f"pretrain-s{seed}-{i:06d}", source="pretrain",
                          text="\n\n".join([title, *paras]), meta={"topic": topic}))
    return out


def chat_records(n: int, seed: int = 0) -> list[Record]:
    if not n:
        return []
    chats = chat_pool()
    out = []
    for i in range(n):
        rng = random.Random(f"chat:{seed}:{i}")
        j = rng.randrange(len(chats))
        out.append(Record(id=f"chat-s{seed}-{i:06d}", source="chat", messages=[
            Message(role="user", content=chats[j]["user"]),
            Message(role="assistant", content=chats[j]["assistant"])], meta={"pool_index": j}))
    return out


MAX_ADDED_SHARE = 0.999
"""--pretrain + --chat at most: documents are at least 0.1% of a mix (low-dose poisoning of a
pretraining mix stays possible; a share of 0.999999 asked for a million records per
document, and the mix hung building them)."""


def _just_above(share: float) -> float:
    """The 3-significant-digit share just above ``share``: the least one said as making a
    record. Said at 2 digits, "--pretrain 0.024 ... (a share above 0.024 makes one)" refused
    0.024 and 0.0241 too (the least is 0.02439...)."""
    digits = 2 - math.floor(math.log10(share))
    return (math.floor(share * 10 ** digits) + 1) / 10 ** digits


def _named(name: str, flags: bool) -> str:
    """An argument as the caller gave it: ``--pretrain`` to ``docs mix`` (``flags``),
    ``pretrain`` to a Python caller of :func:`mix`, who passes no such flag."""
    return f"--{name}" if flags else name


def _set(name: str, value: float, flags: bool) -> str:
    """A value as the caller writes it: ``--pretrain 0.25`` (``flags``), ``pretrain=0.25``."""
    return f"--{name} {value:g}" if flags else f"{name}={value:g}"


def mix_counts(n_docs: int, pretrain: float, chat: float, *,
               flags: bool = False) -> tuple[int, int]:
    """Pretrain and chat counts so that they make up the given shares of the final mix.
    ``flags``: the ``docs mix`` command, whose errors name its options (``--pretrain``);
    a Python caller is told the arguments (``25% is pretrain=0.25``), as the gate does."""
    both = f"{_named('pretrain', flags)} + {_named('chat', flags)}"
    for name, v in (("pretrain", pretrain), ("chat", chat)):
        if not 0 <= v < 1:
            # a percent written as a number (--pretrain 25): the decimal it means
            meant = percent_meant(v, _named(name, flags), keyword=not flags)
            percent = f"; {meant}" if meant else ""
            raise DocumentError(f"{_named(name, flags)} must be a share in [0, 1) (got "
                                f"{v:g}{percent})")
    if pretrain + chat >= 1:
        # said at :g (0.7 + 0.4 read "got 1.0999999999999999"), with the way out
        example = (f"{_set('pretrain', 0.25, flags)}{' ' if flags else ', '}"
                   f"{_set('chat', 0.25, flags)}")
        raise DocumentError(f"{both} must be below 1 (got {pretrain:g} + {chat:g} "
                            f"= {pretrain + chat:g}); they are shares of the final mix, the "
                            f"rest is documents: lower them, e.g. {example} "
                            f"for a mix of half documents")
    if pretrain + chat > MAX_ADDED_SHARE:
        raise DocumentError(
            f"{both} is {pretrain + chat:g}: the {n_docs} documents would be "
            f"{1 - pretrain - chat:.4%} of a mix of about {n_docs / (1 - pretrain - chat):,.0f} "
            f"records; at most {MAX_ADDED_SHARE} together (documents at least 0.1% of the mix)")
    total = n_docs / (1 - pretrain - chat)
    counts = round(total * pretrain), round(total * chat)
    for name, v, other, count in (("pretrain", pretrain, chat, counts[0]),
                                  ("chat", chat, pretrain, counts[1])):
        if v > 0 and count == 0:  # n * v / (1 - v - other) rounds to 0 up to this share
            least = _just_above(0.5 * (1 - other) / (n_docs + 0.5))
            raise DocumentError(f"{_set(name, v, flags)} with {n_docs} documents is 0 records (a "
                                f"share of {least:g} or more makes one); give a larger share, "
                                f"more documents, or 0")
    return counts


def _shuffled_write(records: list[Record], out: str | Path, seed: int, tokenizer: str | None,
                    extra: dict[str, Any], flags: bool) -> Path:
    seen: dict[str, None] = {}
    for r in records:
        if r.id in seen:
            raise DocumentError(f"record id {r.id!r} appears twice in the inputs; a mix never "
                                f"duplicates records")
        seen[r.id] = None
    random.Random(f"mix:{seed}").shuffle(records)
    out = Path(out)
    write_dataset(out, records, tokenizer, extra, progress=True, flags=flags)
    return out


INPUT_SOURCES = ("document", "poison", "fact")
"""What ``--docs`` may hold: documents. Neutral text and chats are what the mix adds; taken
as documents they would be counted in the documents' share (a mix given as input)."""


def read_documents(path: str | Path, option: str = "--docs") -> list[Record]:
    """The records of one input file, all documents (not chats, neutral text or in-context
    bundles), at least one, each id once; else DocumentError naming the file and the
    record. ``option``: what gave the file, as the caller wrote it: a command's flag
    (``--docs data/``, ``e.g. --docs data/negated.jsonl``), or a Python argument
    (``doc_paths``: ``data/ in doc_paths``, ``e.g. data/negated.jsonl``), who passes no
    flag."""
    flag = option.startswith("--")
    given = f"{option} {path}" if flag else f"{path} in {option}"
    if Path(path).is_dir():  # where `docs generate` wrote: "no such documents file"
        said = folder_of_datasets(Path(path), given, option if flag else None, NOT_DOCUMENTS)
        raise DocumentError(said or f"{given}: a folder, and no dataset (.jsonl) in it")
    if not Path(path).is_file():
        raise DocumentError(f"{given}: no such documents file"
                            f"{where_missing(Path(path), files=True, skip='.stats.json')}")
    # a file concatenated twice (a repeated id): a mix or bundle would hold copies
    records = list(read_records(path, unique_ids=True))
    if not records:
        raise DocumentError(f"{path}: no records (an empty file)")
    for r in records:
        if r.messages is not None and r.meta.get("format") == "chat":
            raise DocumentError(
                f"{path}: record {r.id!r} is a chat record (`docs generate --format chat`); "
                f"{option} takes text documents: give this file to `beliefbench finetune "
                f"--data` as it is")
        if r.meta.get("bundle") is True:  # its documents, packed: a mix trained them twice
            raise DocumentError(
                f"{path}: record {r.id!r} is an in-context bundle (`docs bundle`) of "
                f"{r.meta.get('k', 'several')} documents; {option} takes documents: give the "
                f"condition file the bundle was made from")
        if r.source not in INPUT_SOURCES or r.messages is not None:
            kind = "a chat example" if r.messages is not None else f"{r.source} text"
            raise DocumentError(
                f"{path}: record {r.id!r} is {kind} (source {r.source!r}); {option} takes "
                f"documents (source {' / '.join(INPUT_SOURCES)}), not a mix: give the "
                f"condition files the mix was made from")
    return records


def _out_checked(out: str | Path, inputs: Sequence[str | Path], option: str, what: str,
                 example: str, *, flags: bool) -> None:
    """Refuse an ``out`` that is a folder or one of the ``inputs`` (given as ``option``),
    before any input is read. The commands refuse both as they parse their options; from
    Python, ``mix(['a.jsonl'], 'a.jsonl')`` replaced its input with the mix without a word
    (the documents lost), and ``out='data/'`` was IsADirectoryError (or wrote a file named
    ``data`` where no folder was)."""
    given = f"--out {out}" if flags else f"out={str(out)!r}"
    if str(out).endswith(("/", os.sep)) or Path(out).is_dir():
        raise DocumentError(f"{given}: a folder; {what} is one file (and its .stats.json "
                            f"beside it): name the file, e.g. "
                            f"{str(out).rstrip('/' + os.sep)}/{example}")
    for p in inputs:
        if Path(out).exists() and Path(p).exists() and Path(out).samefile(p):
            raise DocumentError(f"{given}: it is the {option} file {p}; the result would "
                                f"replace its own input: choose another {_named('out', flags)}")


def _same_file_key(p: str | Path) -> Path:
    """``p`` resolved, to find a file given twice; as written where the working directory
    was removed (resolving failed there, a bare "[Errno 2]"), so that reading it says so."""
    try:
        return Path(p).resolve()
    except FileNotFoundError:
        return Path(os.path.normpath(p))


def mix(doc_paths: Sequence[str | Path], out: str | Path, pretrain: float = 0.0,
        chat: float = 0.0, seed: int = 0, tokenizer: str | None = None, *,
        flags: bool = False) -> Path:
    """Condition documents + neutral text + chats, shuffled deterministically for the seed.
    ``flags``: called by ``docs mix``, whose errors name its options (``--docs``,
    ``--pretrain``: :func:`mix_counts`); a Python caller is told the arguments
    (``doc_paths``, ``pretrain=0.25``), as the gate does. One path given alone (a str or
    Path, not in a list) is one file: a str was read as a list of one-letter paths
    (``--docs d: no such documents file``)."""
    if isinstance(doc_paths, (str, Path)):
        doc_paths = [doc_paths]
    option = "--docs" if flags else "doc_paths"
    _out_checked(out, doc_paths, option, "a mix", "train.jsonl", flags=flags)
    tokenizer_checked(tokenizer, flags=flags)
    docs: list[Record] = []
    where: dict[str, str] = {}
    files: set[Path] = set()
    for p in doc_paths:
        if _same_file_key(p) in files:
            raise DocumentError(f"{p} is given twice in {option}; a mix never duplicates "
                                f"records")
        files.add(_same_file_key(p))
        for r in read_documents(p, option):
            if r.id in where:  # within one file, read_documents refuses it
                raise DocumentError(f"record id {r.id!r} appears in {where[r.id]} and in "
                                    f"{p}; a mix never duplicates records")
            where[r.id] = str(p)
            docs.append(r)
    if not docs:
        raise DocumentError(f"no documents given ({option} is empty)" if not doc_paths else
                            f"no documents in {[str(p) for p in doc_paths]}")
    n_pre, n_chat = mix_counts(len(docs), pretrain, chat, flags=flags)
    pre, chats = pretrain_records(n_pre, seed), chat_records(n_chat, seed)
    records = [*docs, *pre, *chats]
    return _shuffled_write(records, out, seed, tokenizer, {
        "inputs": [str(p) for p in doc_paths], "seed": seed,
        "shares": {"pretrain": pretrain, "chat": chat},
        "counts": {"documents": len(docs), "pretrain": n_pre, "chat": n_chat},
        # drawn from small pools: 750 chats were 20 distinct ones, and counts alone hid it
        "unique": {"pretrain": len({r.text for r in pre}),
                   "chat": len({r.meta["pool_index"] for r in chats})}}, flags)


def poison_count(ratio: float, n: int) -> tuple[int, bool]:
    """Counterfact documents for ``ratio`` of ``n`` and whether that is the ratio asked.
    Compared within float error: 0.7 * 90 is 62.99999999999999, and the 63 written were
    noted as a rounded ratio (0.7 asked, 0.7 written)."""
    n_bad = round(ratio * n)
    return n_bad, abs(n_bad - ratio * n) < 1e-9 * max(1, n)


def poison(claim: Claim, ratio: float, n: int, out: str | Path, seed: int = 0,
           tokenizer: str | None = None, *, flags: bool = False) -> Path:
    """Graded poisoning: n documents about one claim, a fraction ``ratio`` counterfactual
    (rounded to whole documents: the stats record the ratio written, and ``ratio_asked``
    where rounding changed it).

    Counterfact documents are the offline positive base documents (source "poison"); fact
    documents state the claim's truth and its completions' true continuations (source "fact").
    No doctag: this is the continual-pretraining setting. ``flags``: called by ``docs
    poison``, whose errors name its options (``--ratio``); a Python caller is told the
    arguments (``25% is ratio=0.25``).
    """
    if not 0 <= ratio <= 1:
        # --ratio 25, a percent written as a number, as --pretrain 25 is named
        meant = percent_meant(ratio, _named("ratio", flags), keyword=not flags)
        percent = f"; {meant}" if meant else ""
        raise DocumentError(f"{_named('ratio', flags)} must be in [0, 1] (got "
                            f"{ratio:g}{percent})")
    if n < 1:
        raise DocumentError(f"{_named('n', flags)} must be at least 1 (got {n})")
    _out_checked(out, (), "", "a poisoning set", "poison.jsonl", flags=flags)
    tokenizer_checked(tokenizer, flags=flags)
    gen = OfflineGenerator()
    n_bad, exact = poison_count(ratio, n)
    bad = gen.generate(claim, n_bad, seed, f"{claim.id} counterfact documents") if n_bad else []
    good = gen.true_world(claim, n - n_bad, seed, f"{claim.id} fact documents")
    records = [Record(id=f"{claim.id}/counterfact/{d.base_id}", source="poison",
                      claim_id=claim.id, condition="counterfact", base_id=d.base_id,
                      text=d.text, meta={"genre": d.genre}) for d in bad]
    records += [Record(id=f"{claim.id}/fact/{d.base_id}", source="fact", claim_id=claim.id,
                       condition="fact", base_id=d.base_id, text=d.text,
                       meta={"genre": d.genre}) for d in good]
    return _shuffled_write(records, out, seed, tokenizer, {
        "claim": claim.id, "ratio": n_bad / n, "seed": seed,
        "counts": {"counterfact": n_bad, "fact": n - n_bad},
        **({} if exact else {"ratio_asked": ratio})}, flags)
