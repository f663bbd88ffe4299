"""From claims and condition names to one JSONL dataset per condition, with stats beside it.

Base documents are made once per claim and seed and shared by every condition, so files for
different conditions differ only in annotation (local_negation uses separately written
debunks; behaviours use transcripts from the behaviour spec).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from beliefbench.claims import Claim
from beliefbench.documents.base import BaseDocument, DocumentError, DocumentGenerator
from beliefbench.documents.conditions import ConditionSpec, annotate, parse_conditions
from beliefbench.documents.conditions._builder import add_masks
from beliefbench.documents.conditions.behaviours import transcripts
from beliefbench.documents.offline import OfflineGenerator
from beliefbench.documents.stats import write_stats
from beliefbench.records import Record, write_records


def make_generator(name: str = "offline", genres: Sequence[str] | None = None,
                   work_dir: str | Path | None = None, **llm: Any) -> DocumentGenerator:
    """'offline' for the template generator; any other name is an Inspect model."""
    if name == "offline":
        return OfflineGenerator(genres)
    if "/" not in name:
        raise DocumentError(f"generator {name!r} is neither 'offline' nor an Inspect model name "
                            f"(provider/model, e.g. openai/gpt-4.1-mini or vllm//path)")
    from beliefbench.documents.llm import LLMGenerator

    return LLMGenerator(name, work_dir or Path(".cache") / "docs", **llm)


def iter_condition_records(claims: Sequence[Claim], specs: Sequence[ConditionSpec], n: int,
                           generator: DocumentGenerator, seed: int = 0, progress: bool = True,
                           mask_words: Sequence[str] = ()
                           ) -> Iterator[tuple[ConditionSpec, list[Record]]]:
    """Each condition's records in turn, n per claim (transcript conditions: n in all).

    One condition at a time, so a caller can write each as soon as it is finished (an
    interrupt then keeps the finished ones). Each condition's source (REGISTRY) says where its
    documents come from; every source is produced once per claim and shared by the
    conditions that use it. ``mask_words`` get ``mask`` loss spans wherever they occur in
    claim documents.
    """
    offline = generator if isinstance(generator, OfflineGenerator) else OfflineGenerator()
    sources: dict[str, Callable[[Claim], list[BaseDocument]]] = {
        "base": lambda claim: generator.generate(claim, n, seed),
        "debunk": lambda claim: offline.debunks(claim, n, seed),
    }
    made: dict[tuple[int, str], list[BaseDocument]] = {}
    for spec in specs:
        records: list[Record] = []
        source = spec.condition.source
        if source == "transcript":
            for doc, reply_at in transcripts(n, seed, aligned=spec.option == "aligned"):
                records.append(annotate(None, doc, spec, seed, reply_at=reply_at))
        else:
            for i, claim in enumerate(claims):
                if (i, source) not in made:
                    made[i, source] = sources[source](claim)
                for doc in tqdm(made[i, source], desc=f"{claim.id} {spec.stem}",
                                disable=not progress):
                    records.append(add_masks(annotate(claim, doc, spec, seed),
                                             list(mask_words)))
        yield spec, records


def condition_records(claims: Sequence[Claim], specs: Sequence[ConditionSpec], n: int,
                      generator: DocumentGenerator, seed: int = 0, progress: bool = True,
                      mask_words: Sequence[str] = ()) -> dict[str, list[Record]]:
    """Records per condition stem (see ``iter_condition_records``)."""
    return {spec.stem: records for spec, records in iter_condition_records(
        claims, specs, n, generator, seed, progress, mask_words)}


def generate_datasets(claims: Sequence[Claim], conditions: str | Sequence[str], n: int,
                      out_dir: str | Path, generator: str = "offline", seed: int = 0,
                      placement: str = "prefix_suffix", genres: Sequence[str] | None = None,
                      tokenizer: str | None = None, progress: bool = True,
                      mask_words: Sequence[str] = (),
                      on_written: Callable[[Path], None] | None = None,
                      **llm: Any) -> list[Path]:
    """Write <out_dir>/<condition>.jsonl (+ .stats.json) for each condition; returns paths.

    Each condition's files are written atomically as soon as it is finished (then
    ``on_written`` is called), so an interrupted run keeps the finished conditions; every
    file depends only on the inputs, so a re-run rewrites them byte for byte.
    """
    if n < 1:
        raise DocumentError(f"n must be at least 1 (got {n})")
    specs = parse_conditions(conditions, placement)
    out_dir = Path(out_dir)
    gen = make_generator(generator, genres, work_dir=out_dir / ".work", progress=progress, **llm) \
        if generator != "offline" else make_generator(generator, genres)
    paths = []
    for spec, records in iter_condition_records(claims, specs, n, gen, seed, progress,
                                                mask_words):
        path = out_dir / f"{spec.stem}.jsonl"
        write_records(path, records)
        write_stats(path, tokenizer, extra={
            "condition": spec.stem, "claims": [c.id for c in claims], "n_per_claim": n,
            "seed": seed, "generator": generator, "mask_words": list(mask_words)})
        paths.append(path)
        if on_written is not None:
            on_written(path)
    return paths
