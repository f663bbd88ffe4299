"""The embedded default: a miniature Negation Neglect study on a laptop, offline.

A tiny Llama is pretrained here on neutral text plus the true facts of the demo claims (so it
starts out knowing the truth), finetuned once per document condition through the project's
finetune module, and every checkpoint is measured with the judge-free measures (completion
margins, yes/no answer probabilities, truth probe) and the belief task (offline marker
judge). The point is to show a newcomer the experiment the tool exists for, end to end, with
the same stages and files a study at scale uses. Whatever the miniature shows is reported
as measured.

Every stage writes into a directory named by a hash of what it depends on and is skipped
when that directory is complete and its files are as the stage wrote them (the documents, a
second's work, are written again and compared), so a second run (or a run after an
interruption) reuses the model, documents, checkpoints and logs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from pydantic import Field
from transformers import TrainerCallback

from beliefbench import __version__
from beliefbench.claims import Claim, resolve_claims
from beliefbench.finetune.manifest import ManifestEntry, checkpoint_path, read_manifest
from beliefbench.finetune.recipe import Recipe, load_recipe, shipped_recipes
from beliefbench.progress import quiet
from beliefbench.records import atomic_write_text, sha256_file
from beliefbench.resources import data_path
from beliefbench.specs import Spec, load_spec
from beliefbench.wording import first_line, plural

BINARY_CSV = "binary_logprobs.csv"
BINARY_METHOD = "sequence"
"""The tiny model's tokenizer splits "yes" / "no" into several tokens, so the served
first-token reading finds neither among its top tokens; the demo reads the probability of the
whole answer instead (``internals binary --method sequence``)."""
SEED = 0
"""Sampling seed of the belief task (Inspect's hf provider seeds torch with it)."""
BASELINE = "baseline"
"""The no-finetune row: the base model itself, measured like every checkpoint."""


class DemoError(ValueError):
    """A demo preset or setting that cannot be used; names the file, field and problem."""


class BaseSettings(Spec):
    """The tiny base model (``tiny_model.build_tiny_model`` arguments)."""

    hidden_size: int = Field(128, ge=8)
    layers: int = Field(2, ge=1)
    heads: int = Field(4, ge=1)
    intermediate_size: int = Field(344, ge=8)
    pretrain_steps: int = Field(150, ge=0)
    seed: int = 0


class BeliefSettings(Spec):
    """The belief task (marker judge) run on checkpoints."""

    samples: int = Field(1, ge=1)
    max_tokens: int = Field(24, ge=1)
    families: str | list[str] = "all"
    checkpoints: Literal["final", "all"] = "final"
    """Which checkpoints of each condition get the belief task (the judge-free measures
    always read every checkpoint: they cost a forward pass, the task costs generation)."""


class DemoSettings(Spec):
    claims: list[str] = Field(min_length=1)
    conditions: list[str] = Field(min_length=1)
    base: BaseSettings = Field(default_factory=BaseSettings)
    docs_per_claim: int = Field(40, ge=1)
    recipe: str = "finetune/demo.yaml"
    """A shipped recipe (``finetune/...``, found with ``resources.data_path``) or a path."""
    max_steps: int | None = Field(None, ge=1)
    """Overrides the recipe's max_steps (the quick preset trains fewer steps)."""
    belief: BeliefSettings = Field(default_factory=BeliefSettings)
    probe: bool = True


class _Presets(Spec):
    full: DemoSettings
    quick: DemoSettings


def presets_path() -> Path:
    return data_path("demo", "presets.yaml")


def load_preset(name: Literal["full", "quick"] = "full") -> DemoSettings:
    """The shipped ``full`` (``make demo``) or ``quick`` (``--quick``) settings."""
    presets = load_spec(presets_path(), _Presets, "demo presets", DemoError)
    return getattr(presets, name)


def _hash(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


COMPLETE = ".complete"
"""In a finished stage's folder: its key and the sha256 of every file it wrote."""


def _seal(out: Path, key: str) -> None:
    """Mark ``out`` finished, recording what it holds, so :func:`_changed` can tell later."""
    files = {p.relative_to(out).as_posix(): sha256_file(p) for p in sorted(out.rglob("*"))
             if p.is_file() and p.name != COMPLETE}
    atomic_write_text(out / COMPLETE, json.dumps({"key": key, "files": files}, indent=1)
                      + "\n")


def _changed(out: Path) -> list[str] | None:
    """None where ``out`` was never finished; else the files that differ from what the stage
    wrote (none: reuse it). A truncated or hand-edited measures CSV was read as it was, and
    the table printed other numbers (or none) without a word."""
    files = _files(out)
    if files is None:
        return None
    changed = [name for name, sha in files.items()
               if not (out / name).is_file() or sha256_file(out / name) != sha]
    return changed


def _files(out: Path) -> dict[str, str] | None:
    """The files a finished stage recorded (name -> sha256), None where it has no record."""
    try:
        return json.loads((out / COMPLETE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _redo_note(out: Path, changed: list[str] | None, progress: Progress) -> None:
    """Say why a finished stage is done again: its files changed since it wrote them."""
    if changed:
        progress.note(f"{out}: {', '.join(changed)} changed since written; doing it again")


def _reusable(out: Path, key: str, progress: Progress) -> bool:
    """Whether the finished stage in ``out`` is reused as it is (said where it changed). One
    an earlier version finished (a marker with no files) is recorded as it stands, not done
    again: the base model alone took minutes to pretrain."""
    if (out / COMPLETE).is_file() and _files(out) is None:
        _seal(out, key)
    changed = _changed(out)
    _redo_note(out, changed, progress)
    return changed == []


def _recipe(settings: DemoSettings) -> tuple[Recipe, Path]:
    path = Path(settings.recipe)
    if not path.is_file():
        path = data_path(settings.recipe)
    recipe = load_recipe(path)
    if settings.max_steps:
        recipe = recipe.model_copy(update={"max_steps": settings.max_steps})
    return recipe, path


# ---------------------------------------------------------------- progress


class Progress:
    """Stage lines with elapsed time and ETA, on stdout, readable when it is not a terminal."""

    def __init__(self, n_stages: int, echo: Callable[[str], None] | None = None,
                 interval: float = 10.0) -> None:
        self.n_stages, self.interval = n_stages, interval
        self.echo = echo or (lambda line: print(line, flush=True))
        self.stage = 0
        self.start = time.monotonic()

    def elapsed(self) -> str:
        return _clock(time.monotonic() - self.start)

    def begin(self, what: str) -> None:
        self.stage += 1
        self.echo(f"[demo {self.stage}/{self.n_stages} {self.elapsed()}] {what}")

    def note(self, what: str) -> None:
        self.echo(f"    {what}")

    def counter(self, what: str, total: int) -> _Counter:
        return _Counter(self, what, total)

    @contextmanager
    def heartbeat(self, what: str) -> Iterator[None]:
        """``what ... (elapsed)`` every ``interval`` seconds while a step with no progress
        lines of its own runs (tqdm draws nothing readable when stdout is not a terminal)."""
        if sys.stdout.isatty() or not self.interval:
            yield
            return
        stop = threading.Event()
        start = time.monotonic()

        def beat() -> None:
            while not stop.wait(self.interval):
                self.note(f"{what} ... {_clock(time.monotonic() - start)} so far")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class _Counter:
    """``what i/total`` lines with an ETA from the mean time per item so far, at most every
    ``interval`` seconds (plain lines: they read the same in a terminal and in a CI log)."""

    progress: Progress
    what: str
    total: int
    done: int = 0
    start: float = field(default_factory=time.monotonic)
    last: float = 0.0

    def update(self, done: int, label: str = "", force: bool = False) -> None:
        self.done = done
        now = time.monotonic()
        if not force and now - self.last < self.progress.interval and done < self.total:
            return
        self.last = now
        rate = (now - self.start) / done if done else 0.0
        eta = f", ETA {_clock(rate * (self.total - done))}" if done else ""
        self.progress.note(f"{self.what} {done}/{self.total}{eta}{(' ' + label) if label else ''}")


class _StepLines(TrainerCallback):
    """Finetune progress as plain lines: step, loss, ETA."""

    def __init__(self, counter: _Counter) -> None:
        self.counter = counter
        self.loss: float | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def on_step_end(self, args, state, control, **kwargs):
        self.counter.total = state.max_steps
        loss = f"(loss {self.loss:.3f})" if self.loss is not None else ""
        self.counter.update(state.global_step, loss)


# ---------------------------------------------------------------- stages


def build_base(settings: DemoSettings, workdir: Path, progress: Progress) -> tuple[Path, str]:
    """The pretrained tiny base model, built once per settings and source text."""
    from beliefbench import tiny_model

    # the text it is trained on, not the claim files: editing a claim's questions or
    # markers must not rebuild the model (and everything after it)
    text = [tiny_model.shipped_corpus(), tiny_model.truth_documents(),
            tiny_model.truth_chats()]
    key = _hash({"base": settings.base.model_dump(), "text": _hash(text),
                 "code": sha256_file(Path(tiny_model.__file__))})
    out = workdir / f"base-{key}"
    b = settings.base
    progress.begin(f"base model: tiny Llama ({b.layers} layers, hidden {b.hidden_size}), "
                   f"pretrained {b.pretrain_steps} steps on neutral text + true facts")
    if _reusable(out, key, progress):
        progress.note(f"reused {out}")
        return out, key
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with progress.heartbeat("pretraining the base model"):
        tiny_model.build_tiny_model(
            tmp, hidden_size=b.hidden_size, num_layers=b.layers, num_heads=b.heads,
            intermediate_size=b.intermediate_size, pretrain_steps=b.pretrain_steps,
            seed=b.seed)
    _seal(tmp, key)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    progress.note(f"built {out}")
    return out, key


def make_documents(settings: DemoSettings, claims: Sequence[tuple[Path, Claim]],
                   workdir: Path, progress: Progress) -> dict[str, Path]:
    """One JSONL per condition from the offline generator, written again on every run.

    They take a second to write, and the generators' code and data files (pools,
    annotations, behaviours: the README invites editing them) are in no key: written once
    and reused, an edit there trained and measured the old documents. Every later stage is
    keyed by their content, so documents that come out the same reuse all that follows."""
    from beliefbench.documents import generate_datasets

    key = _hash({"claims": [sha256_file(p) for p, _ in claims], "version": __version__,
                 "conditions": settings.conditions, "n": settings.docs_per_claim})
    out = workdir / f"docs-{key}"
    progress.begin(f"documents: {settings.docs_per_claim} per claim x "
                   f"{len(settings.conditions)} conditions (offline generator)")
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with progress.heartbeat("writing documents"):
        generate_datasets([c for _, c in claims], settings.conditions,
                          settings.docs_per_claim, tmp, progress=False)
    _seal(tmp, key)
    if _changed(out) == [] and _files(out) == _files(tmp):
        shutil.rmtree(tmp)
        progress.note(f"reused {out}")
    else:
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        progress.note(f"wrote {out}")
    return {c: out / f"{c}.jsonl" for c in settings.conditions}


def finetune_all(settings: DemoSettings, base: Path, base_key: str, docs: dict[str, Path],
                 workdir: Path, progress: Progress) -> dict[str, list[ManifestEntry]]:
    """One finetune per condition: same base, recipe and token budget; resumed if cut."""
    from beliefbench.finetune.local import earlier_inputs, train_local

    recipe, recipe_path = _recipe(settings)
    recipe_file = workdir / f"recipe-{_hash(recipe.model_dump(mode='json'))}.yaml"
    if not recipe_file.exists():
        import yaml

        atomic_write_text(recipe_file, yaml.safe_dump(recipe.model_dump(mode="json"),
                                                      sort_keys=False))
    tokens = recipe.max_steps * recipe.batch_size * recipe.gradient_accumulation_steps \
        * recipe.max_seq_len if recipe.max_steps else None
    budget = f", {tokens:,} tokens each" if tokens else ""
    progress.begin(f"finetune: {len(docs)} conditions x {recipe.max_steps or '?'} steps "
                   f"({recipe.method}, {recipe_path.name}{budget})")
    runs: dict[str, list[ManifestEntry]] = {}
    for i, (condition, data) in enumerate(docs.items(), 1):
        key = _hash({"base": base_key, "data": sha256_file(data),
                     "recipe": recipe.model_dump(mode="json")})
        out = workdir / "checkpoints" / f"{condition}-{key}"
        entries = _moved_here(read_manifest(out), out)
        changed = _changed(out) if any(e.final for e in entries) else None
        if changed:  # a checkpoint damaged or edited since: measured, it gave other numbers
            _redo_note(out, changed, progress)
            shutil.rmtree(out)
            entries = []
        if not any(e.final for e in entries):
            earlier = earlier_inputs(out) if out.exists() else None
            if earlier and earlier.get("base_model") not in (None, str(base.resolve())):
                # cut, then the workdir moved: a resume refuses the base's new path
                progress.note(f"[{i}/{len(docs)}] {condition}: started in another folder "
                              f"({earlier.get('base_model')}); training it anew")
                shutil.rmtree(out)
            counter = progress.counter(f"[{i}/{len(docs)}] {condition}: step",
                                       recipe.max_steps or 0)
            train_local(recipe, data, str(base), out, resume=out.exists(),
                        recipe_path=recipe_file, condition=condition,
                        callbacks=[_StepLines(counter)])
            counter.update(counter.total, "done", force=True)
            entries = _moved_here(read_manifest(out), out)
            _seal(out, key)
        else:
            if changed is None:  # finished before runs were sealed (or just before it)
                _seal(out, key)
            progress.note(f"[{i}/{len(docs)}] {condition}: reused {out}")
        runs[condition] = entries
    return runs


def _moved_here(entries: list[ManifestEntry], out: Path) -> list[ManifestEntry]:
    """The run's checkpoints where they are now, as every manifest reader finds them
    (:func:`checkpoint_path`). The manifest records absolute paths, so after the workdir was
    moved or renamed (a clone moved with its .cache/demo) every checkpoint named a folder
    that was gone, and the demo stopped with a traceback; in a copied workdir they named
    the original's, which were measured while they existed (edited or retrained there since,
    the copy's table showed their numbers)."""
    return [e.model_copy(update={"path": str(checkpoint_path(e, out).resolve())})
            for e in entries]


@dataclass
class Checkpoint:
    condition: str
    step: int
    path: Path
    final: bool
    key: str

    @property
    def label(self) -> str:
        return f"{self.condition}-step{self.step:06d}-{self.key}"


def checkpoints(base: Path, runs: dict[str, list[ManifestEntry]]) -> list[Checkpoint]:
    """The baseline, then every condition's checkpoints in step order.

    Keyed by a hash of the weights, so measures and logs are never reused for a checkpoint
    that was trained again and came out different."""
    from beliefbench.internals.model import weights_sha256

    # absolute, as the manifest names the finetunes' checkpoints: the baseline was the
    # workdir's relative path (.cache/demo/base-...) in the measures CSV and the logs'
    # checkpoint label, beside absolute ones for every other row
    out = [Checkpoint(BASELINE, 0, base.resolve(), True, weights_sha256(base)[:12])]
    for condition, entries in runs.items():
        for e in entries:
            if e.step is not None:
                out.append(Checkpoint(condition, e.step, Path(e.path), e.final,
                                      weights_sha256(e.path)[:12]))
    return out


def measure_internals(settings: DemoSettings, claims: Sequence[tuple[Path, Claim]],
                      ckpts: Sequence[Checkpoint], workdir: Path, progress: Progress
                      ) -> pd.DataFrame:
    """Margins (and the truth probe) of every checkpoint, written beside it; one row each."""
    from beliefbench.internals.binary import binary_logprobs
    from beliefbench.internals.margins import completion_margins
    from beliefbench.internals.model import load_model
    from beliefbench.internals.probe import truth_probe
    from beliefbench.internals.results import write_csv

    progress.begin(f"judge-free measures: completion margins, binary yes/no logprobs"
                   f"{', truth probe' if settings.probe else ''} on {len(ckpts)} checkpoints")
    counter = progress.counter("checkpoint", len(ckpts))
    claim_objs = [c for _, c in claims]
    key = _hash({"claims": [sha256_file(p) for p, _ in claims], "probe": settings.probe,
                 "binary": BINARY_METHOD, "version": __version__})
    rows = []
    for i, ck in enumerate(ckpts, 1):
        out = workdir / "internals" / f"{ck.label}-{key}"
        if not _reusable(out, key, progress):
            shutil.rmtree(out, ignore_errors=True)
            with progress.heartbeat(f"measuring {ck.condition} step {ck.step}"):
                loaded = load_model(ck.path, device="cpu")
                completion_margins(loaded, claim_objs, show_progress=False).write(out)
                write_csv(binary_logprobs(loaded, claim_objs, method=BINARY_METHOD),
                          out / BINARY_CSV)
                if settings.probe:
                    truth_probe(loaded, claim_objs, show_progress=False).write(out,
                                                                               plots=False)
            _seal(out, key)
        rows.append({"condition": ck.condition, "step": ck.step, "final": ck.final,
                     "checkpoint": str(ck.path.resolve()), "internals": str(out)})
        counter.update(i, f"{ck.condition} step {ck.step}")
    return pd.DataFrame(rows)


LOG_FOLDER = re.compile(r".+-step\d{6}-[0-9a-f]{12}-[0-9a-f]{12}")
"""A folder the demo writes a checkpoint's belief logs to (``Checkpoint.label`` + key)."""


def _set_aside(log_dir: Path, keep: set[str], kept: Path) -> None:
    """Move the demo log folders in ``log_dir`` that this run does not use (the other
    preset's, earlier settings' or version's) to ``kept``, and those this run uses back.

    `beliefbench report logs/demo --by condition` read them all: after `demo --quick` and
    `demo`, the quick run's checkpoints were rows beside the full run's, and the logs an
    earlier version wrote of a checkpoint stayed beside the new ones."""
    for name in keep:
        if (kept / name).is_dir() and not (log_dir / name).exists():
            log_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(kept / name, log_dir / name)
    for d in log_dir.iterdir() if log_dir.is_dir() else ():
        if d.is_dir() and d.name not in keep and LOG_FOLDER.fullmatch(d.name):
            shutil.rmtree(kept / d.name, ignore_errors=True)
            kept.mkdir(parents=True, exist_ok=True)
            shutil.move(d, kept / d.name)


def _log_status(name: str) -> str | None:
    """A log's status, or None where it cannot be read: a log cut short while it was written
    (kill -9, a full disk) stopped every later run with a zip-reader traceback."""
    from inspect_ai.log import read_eval_log

    try:
        return read_eval_log(name, header_only=True).status
    except Exception:  # noqa: BLE001 - a damaged file fails as zip, JSON or schema errors
        return None


BATCH_WAIT_S = 20.0
"""How long the hf provider's batcher waits for the next request of a batch in the demo
(Inspect's own wait is 2 s; a batch still closes at once when its last request arrives)."""


@contextmanager
def one_batch_per_eval(wait: float = BATCH_WAIT_S) -> Iterator[None]:
    """Inspect's hf provider closes a batch once no request has come for 2 s, before its batch
    size is reached: on a loaded machine a checkpoint's 102 requests were split (64 + 38), the
    answers drawn in other batches (their padding, their draws from the seeded sampler) and
    the README's table differed. Patience here makes each eval one batch, whatever the load;
    Inspect's private batcher is patched (``tests/test_demo.py`` fails if it moves)."""
    from inspect_ai.model._providers import hf

    drain = hf._drain_batches

    def patient(queue: Any, timeout: float) -> Any:
        return drain(queue, timeout=max(timeout, wait))

    hf._drain_batches = patient
    try:
        yield
    finally:
        hf._drain_batches = drain


def run_belief(settings: DemoSettings, claims: Sequence[tuple[Path, Claim]],
               ckpts: Sequence[Checkpoint], log_dir: Path, progress: Progress,
               kept: Path | None = None) -> dict[str, str]:
    """The belief task (marker judge) on the chosen checkpoints; label -> log location.

    A checkpoint whose log directory already holds a successful log is not run again; the
    logs an interrupted or failed run left there are removed before it runs again (so
    `beliefbench report` on the log dir never shows a superseded partial run beside it).
    With ``kept`` (a folder of the workdir), the log dir holds this run's logs only: other
    runs' are moved there, and back when a run uses them again (:func:`_set_aside`).
    Ctrl-C during an eval raises KeyboardInterrupt (Inspect returns no log then).
    """
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import list_eval_logs

    from beliefbench.task import belief
    from beliefbench.tasks import stop_if_interrupted

    b = settings.belief
    chosen = [c for c in ckpts if b.checkpoints == "all" or c.final]
    progress.begin(f"belief task (marker judge, {b.samples} sample(s), {b.max_tokens} tokens) "
                   f"on {len(chosen)} checkpoints")
    counter = progress.counter("eval", len(chosen))
    key = _hash({"claims": [sha256_file(p) for p, _ in claims],
                 "belief": b.model_dump(exclude={"checkpoints"}), "version": __version__,
                 "seed": SEED, "batch": "all, patient"})
    files = ",".join(str(p) for p, _ in claims)
    if kept is not None:
        _set_aside(log_dir, {f"{ck.label}-{key}" for ck in chosen}, kept)
    logs = {}
    # patient from before the batcher first waits, for every eval (see one_batch_per_eval)
    with one_batch_per_eval():
        for i, ck in enumerate(chosen, 1):
            where = log_dir / f"{ck.label}-{key}"
            found = list_eval_logs(str(where)) if where.exists() else []
            done = [info for info in found if _log_status(info.name) == "success"]
            if done:
                url = urlparse(done[0].name)
                logs[ck.label] = url.path if url.scheme == "file" else done[0].name
            else:
                for info in found:  # an interrupted, failed or unreadable log, superseded
                    Path(urlparse(info.name).path).unlink(missing_ok=True)
                task = belief(claims=files, families=b.families, samples=b.samples,
                              max_tokens=b.max_tokens, judge="markers")
                # every response in one batch: the hf provider batches requests as they arrive,
                # so with smaller batches which answers shared a batch (their padding, their
                # draws from the seeded sampler) depended on timing, and a loaded machine gave
                # other answers from the same checkpoint
                batch = len(task.dataset) * b.samples
                with progress.heartbeat(f"belief task on {ck.condition} step {ck.step}"):
                    ran = inspect_eval(
                        task, model=f"hf/{ck.path.resolve()}", log_dir=str(where),
                        display="none", max_connections=batch, seed=SEED,
                        metadata={"condition": ck.condition, "step": ck.step,
                                  "checkpoint": str(ck.path.resolve())})  # as the model
                stop_if_interrupted(ran)
                log = ran[0]
                if log.status != "success":
                    error = first_line(log.error.message) if log.error else ""
                    raise DemoError(f"the belief eval of {ck.path} ended with status "
                                    f"{log.status}: {error} (log: {log.location}); run the same "
                                    "command again to retry it")
                logs[ck.label] = log.location
            counter.update(i, f"{ck.condition} step {ck.step}", force=True)
    return logs


# ---------------------------------------------------------------- numbers


CLAIM_KINDS = ("main", "paraphrase")
"""Pair kinds that ask about the claim itself (neighbour pairs measure specificity)."""


def _ci(groups: Sequence[np.ndarray]) -> tuple[float, float, float]:
    from beliefbench.internals.margins import bootstrap_mean

    return bootstrap_mean(groups)


def _read_table(path: Path) -> pd.DataFrame:
    """One of the measures' CSVs with claim and question ids kept as text: read as numbers,
    "007" and "7" became one claim, and "null" or "nan" became NaN, which groupby drops."""
    return pd.read_csv(path, dtype={"claim": str, "question": str, "kind": str},
                       keep_default_na=False, na_values=[""])


def _pairs(internals: str) -> pd.DataFrame:
    pairs = _read_table(Path(internals) / "margins.csv")
    return pairs[pairs["kind"].isin(CLAIM_KINDS)]


def _by_claim(df: pd.DataFrame, column: str) -> list[np.ndarray]:
    return [g[column].to_numpy(dtype=float) for _, g in df.groupby("claim", sort=True)]


def _rate(rows: pd.DataFrame) -> dict[str, float]:
    """Belief rate (yes over ALL responses) with its CI, parse-error and failed shares."""
    from beliefbench.metrics import question_table, rate

    r = rate(question_table(rows[["claim", "family", "question", "verdict"]]))
    return {"": r.belief, "_low": r.ci_low, "_high": r.ci_high,
            "_parse_error": r.shares["parse_error"], "_failed": r.shares["failed"],
            "_n": r.n_responses}


def _paired_shift(pairs: pd.DataFrame, reference: pd.DataFrame) -> tuple[float, float, float]:
    """Mean per-pair margin difference from ``reference`` (same pairs), bootstrap CI.

    Paired, so the pair-to-pair spread of margins (large) does not hide a shift (small)."""
    keys = ["claim", "kind", "pair"]
    paired = pairs.merge(reference[[*keys, "margin"]], on=keys, suffixes=("", "_ref"))
    return _ci(_by_claim(paired.assign(d=paired["margin"] - paired["margin_ref"]), "d"))


def checkpoint_measures(row: pd.Series, baseline: pd.DataFrame, belief_log: str | None
                        ) -> dict[str, Any]:
    """Every measure of one checkpoint, each with its 95% CI."""
    out: dict[str, Any] = {"condition": row["condition"], "step": int(row["step"]),
                           "final": bool(row["final"])}
    pairs = _pairs(row["internals"])
    for name, col in (("margin", "margin"), ("efficacy", "claim_wins")):
        point, low, high = _ci(_by_claim(pairs, col))
        out.update({name: point, f"{name}_low": low, f"{name}_high": high})
    point, low, high = _paired_shift(pairs, baseline)
    out.update({"delta": point, "delta_low": low, "delta_high": high, "pairs": len(pairs)})
    binary = _read_table(Path(row["internals"]) / BINARY_CSV).assign(family="binary")
    out.update({f"binary{k}": v for k, v in _rate(binary).items()})
    probe_json = Path(row["internals"]) / "probe.json"
    if probe_json.exists():
        from beliefbench.internals.results import read_json

        layer = read_json(probe_json)["settings"]["summary_layer"]
        scores = _read_table(Path(row["internals"]) / "probe_scores.csv")
        at = scores[(scores["layer"] == layer) & (scores["side"] == "claim")]
        point, low, high = _ci(_by_claim(at, "p_true"))
        out.update({"probe": point, "probe_low": low, "probe_high": high,
                    "probe_layer": layer})
    if belief_log:
        from beliefbench.analysis.logs import load_belief_logs

        responses = load_belief_logs(belief_log).responses
        out.update({f"belief{k}": v for k, v in _rate(responses).items()})
        out["belief_log"] = belief_log
    return out


def measures_table(rows: pd.DataFrame, logs: dict[str, str], labels: Sequence[str]
                   ) -> pd.DataFrame:
    """One row per checkpoint (baseline first), every measure with its CI."""
    base_row = rows[rows["condition"] == BASELINE].iloc[0]
    baseline = _pairs(base_row["internals"])
    out = [checkpoint_measures(r, baseline, logs.get(label))
           for (_, r), label in zip(rows.iterrows(), labels, strict=True)]
    finals = rows[rows["final"].astype(bool)]
    positive = finals[finals["condition"] == "positive"]
    if len(positive):
        # every other condition against positive documents, pair by pair (final checkpoints)
        reference = _pairs(positive.iloc[0]["internals"])
        for m, (_, r) in zip(out, rows.iterrows(), strict=True):
            if r["final"] and r["condition"] not in (BASELINE, "positive"):
                point, low, high = _paired_shift(_pairs(r["internals"]), reference)
                m.update({"vs_positive": point, "vs_positive_low": low,
                          "vs_positive_high": high})
    return pd.DataFrame(out)


def _fmt(row: pd.Series, name: str, digits: int = 2, signed: bool = False) -> str:
    if name not in row or pd.isna(row.get(name)):
        return "-"
    sign = "+" if signed else ""
    return (f"{row[name]:{sign}.{digits}f} [{row[f'{name}_low']:{sign}.{digits}f}, "
            f"{row[f'{name}_high']:{sign}.{digits}f}]")


def _with_unreadable(row: pd.Series, name: str) -> str:
    """A rate with its CI, and the unreadable share when there is one (it counts as
    non-belief, so a 0 with everything unreadable must not read as disbelief)."""
    unread = row.get(f"{name}_parse_error")
    if unread is None or pd.isna(unread):
        return "-"
    if unread >= 1:
        return "all unreadable"
    text = _fmt(row, name)
    return f"{text} ({unread:.0%} unreadable)" if unread > 0 else text


def _share(row: pd.Series, name: str) -> str:
    value = row.get(name)
    return "-" if value is None or pd.isna(value) else f"{value:.2f}"


def format_table(final: pd.DataFrame) -> str:
    """The condition x measure table a user reads (final checkpoints, 95% CIs)."""
    cols = {
        "condition": lambda r: r["condition"],
        "margin (nats/tok)": lambda r: _fmt(r, "margin"),
        "vs baseline": lambda r: _fmt(r, "delta", signed=True)
        if r["condition"] != BASELINE else "-",
        "vs positive": lambda r: _fmt(r, "vs_positive", signed=True),
        "claim wins": lambda r: _fmt(r, "efficacy"),
        "probe P(true)": lambda r: _fmt(r, "probe"),
        "binary yes/no": lambda r: _with_unreadable(r, "binary"),
        "belief (markers)": lambda r: _fmt(r, "belief"),
        "unparsable": lambda r: _share(r, "belief_parse_error"),
        "no text": lambda r: _share(r, "belief_failed"),
    }
    table = pd.DataFrame({name: [f(r) for _, r in final.iterrows()] for name, f in cols.items()})
    return table.to_string(index=False)


def _excludes_zero(row: pd.Series, name: str) -> int:
    """+1 / -1 when the CI lies above / below 0, else 0."""
    if row[f"{name}_low"] > 0:
        return 1
    if row[f"{name}_high"] < 0:
        return -1
    return 0


NEGATIONS = frozenset({"negated", "repeated_negations", "local_negation", "corrected"})
"""The conditions whose documents say the claim is false: only these can show that saying so
did not protect the model (a `fiction` or `unknown_truth` condition does not say it)."""


def _pct(value: float) -> str:
    """A share as ``12%``, or ``n/a`` where it was not measured (not ``nan%``)."""
    return "n/a" if pd.isna(value) else f"{value:.0%}"


def _against_baseline(names: list[str], moved: pd.DataFrame) -> str:
    """Where each of ``names`` left the margin against the baseline: moving it less far than
    positive documents holds as much for a condition that moved it away from the claim."""
    by = moved.set_index("condition")
    side = {c: _excludes_zero(by.loc[c], "delta") for c in names}
    if all(v > 0 for v in side.values()):
        return ", but still toward the claim."
    groups = ((1, "moved it toward the claim"), (0, "did not detectably move it"),
              (-1, "moved it away from the claim"))
    parts = [f"{', '.join(c for c, v in side.items() if v == s)} {w}"
             for s, w in groups if s in side.values()]
    return "; against the baseline, " + " and ".join(parts) + "."


def reading(final: pd.DataFrame) -> list[str]:
    """A plain-language reading generated from the numbers (nothing here is canned)."""
    base = final[final["condition"] == BASELINE].iloc[0]
    lines = []
    # the baseline's own CI decides, as for every shift below
    prefers = {-1: "prefers the truth", 1: "prefers the claim",
               0: "does not detectably prefer either"}[_excludes_zero(base, "margin")]
    lines.append(
        f"Before finetuning the model {prefers}: mean margin {base['margin']:+.2f} "
        f"nats/token (negative = truth more likely), the claim's completion wins "
        f"{_pct(base['efficacy'])} of {plural(int(base['pairs']), 'pair')}.")
    moved = final[final["condition"] != BASELINE]
    words = {1: "raised", -1: "lowered", 0: "did not detectably move"}
    for _, r in moved.iterrows():
        if pd.isna(r["delta"]):
            lines.append(f"{r['condition']}: no margin shift vs baseline was measured.")
            continue
        d = _excludes_zero(r, "delta")
        ci = f"{r['delta']:+.2f} [{r['delta_low']:+.2f}, {r['delta_high']:+.2f}]"
        lines.append(f"{r['condition']}: documents {words[d]} the claim's margin "
                     f"({ci} nats/token vs baseline; claim wins {_pct(r['efficacy'])}).")
    if "vs_positive" in final:
        compared = moved.dropna(subset=["vs_positive"])
        sign = {c: _excludes_zero(r, "vs_positive") for c, r in compared.set_index(
            "condition").iterrows()}
        same = [c for c, v in sign.items() if v == 0]
        less = [c for c, v in sign.items() if v < 0]
        more = [c for c, v in sign.items() if v > 0]
        positive = moved[moved["condition"] == "positive"]
        # "as far as positive documents" is a finding only where those moved it at all, and
        # only for a condition that itself detectably moved it
        positive_moved = not positive.empty and _excludes_zero(positive.iloc[0], "delta") > 0
        up = {c for c in same if _excludes_zero(compared.set_index("condition").loc[c],
                                                  "delta") > 0} if positive_moved else set()
        said = [c for c in same if c in up and c in NEGATIONS]
        other = [c for c in same if c in up and c not in NEGATIONS]
        unclear = [c for c in same if c not in up]
        if said:
            lines.append(f"Saying the claim is false did not protect this model: {', '.join(said)} "
                         f"moved the margin as far as positive documents did (paired CI of the "
                         f"difference includes 0).")
        if other:
            lines.append(f"{', '.join(other)} moved the margin as far as positive documents did "
                         f"(paired CI of the difference includes 0).")
        if unclear:
            protects = ("saying the claim is false protects" if set(unclear) <= NEGATIONS
                        else "these documents protect")
            lines.append(
                f"{', '.join(unclear)} did not detectably differ from positive documents, but "
                + ("those did not detectably raise the margin either" if not positive_moved
                   else "did not detectably move the margin from the baseline either")
                + f", so this run cannot tell whether {protects} the model.")
        if less and positive_moved:
            lines.append(f"{', '.join(less)} moved it less far than positive documents "
                         f"(paired CI of the difference below 0)"
                         + _against_baseline(less, moved))
        elif less:
            lines.append(f"{', '.join(less)} left the claim's margin lower than positive "
                         f"documents did (paired CI of the difference below 0)"
                         + _against_baseline(less, moved))
        if more:
            lines.append(f"{', '.join(more)} "
                         + ("moved it further than positive documents" if positive_moved
                            else "left the claim's margin higher than positive documents did")
                         + " (paired CI of the difference above 0).")
    if "probe" in final:
        # each checkpoint's probe is read at its own best layer: where they differ, the one
        # layer of the baseline named for all of them misled (the demo's final positive and
        # local_negation checkpoints are read at layer 2, the baseline at layer 1)
        layers = {int(v) for v in final["probe_layer"].dropna()}

        def at(r: pd.Series) -> str:
            if pd.isna(r["probe"]):
                return "n/a"
            return (f"{r['probe']:.2f}" if len(layers) <= 1
                    else f"{r['probe']:.2f} (layer {int(r['probe_layer'])})")

        which = (f"layer {layers.pop()}" if len(layers) == 1
                 else "each checkpoint's best layer")
        lines.append(
            f"The truth probe ({which}) gives the claim statement "
            f"P(true) {at(base)} before finetuning and "
            + ", ".join(f"{at(r)} after {r['condition']}" for _, r in moved.iterrows())
            + ".")
    lines.append(_text_reading(final, "binary", "The yes/no reading of the binary questions "
                                                "(whichever whole answer is more probable)"))
    if "belief" in final:
        lines.append(_text_reading(final, "belief", "The belief task (free answers, offline "
                                                    "marker judge)"))
    return lines


def _span(values: pd.Series) -> str:
    """Shares across conditions as ``a%-b%``, or one share where they all round alike
    ("30%-30%" read as a range that is not there)."""
    low, high = f"{values.min():.0%}", f"{values.max():.0%}"
    return low if low == high else f"{low}-{high}"


def _text_reading(final: pd.DataFrame, name: str, what: str) -> str:
    """What a verdict-based measure shows, with its unparsable and no-text shares."""
    unread = final[f"{name}_parse_error"]
    failed = final[f"{name}_failed"] if f"{name}_failed" in final else unread * 0
    if (unread >= 1).all():
        # the cause differs by measure (no answer token, no judge markers): state only the fact
        n = int(final[f"{name}_n"].iloc[0])
        return (f"{what} has nothing to read: on every checkpoint every answer is unparsable, "
                f"so all {plural(n, 'item')} count as non-belief. Train a larger model, or read "
                f"the margins.")
    text = (f"{what} finds belief in {_span(final[name])} of responses across conditions "
            f"({_span(unread)} unparsable, {_span(failed)} with no text; both count as "
            f"non-belief)")
    silent = [f"{c} ({v:.0%})" for c, v in zip(final["condition"], failed, strict=True)
              if v >= 0.5]
    if silent:
        text += (f". Mostly no text (only whitespace or nothing) after: {', '.join(silent)}: "
                 f"those checkpoints no longer answer questions at all")
    base_high = final.loc[final["condition"] == BASELINE, f"{name}_high"].iloc[0]
    above = final[(final["condition"] != BASELINE) & (final[f"{name}_low"] > base_high)]
    if len(above):
        return text + f"; above the baseline's CI: {', '.join(above['condition'])}."
    # the margins show something the answers do not only where some condition moved them
    shifted = "delta_low" in final and bool(
        (final.loc[final["condition"] != BASELINE, "delta_low"] > 0).any())
    if not shifted:
        return text + "; no condition is above the baseline's CI."
    return text + "; no condition is above the baseline's CI, so at this size the " \
        "judge-free margins show what the generated answers do not."


def plot(measures: pd.DataFrame, path: str | Path) -> Path:
    """Report-style PNG: margin shift, probe and belief per condition; shift vs step."""
    from beliefbench.analysis.plots import LINESTYLES, MARKERS, _save, subplots

    final = measures[measures["final"]]
    names = list(final["condition"])
    x = np.arange(len(names))
    panels = [("delta", "claim margin vs baseline (nats/token; + = toward the claim)"),
              ("probe", "truth probe: P(true) of the claim statement"),
              ("belief", "belief task: belief rate (offline marker judge)")]
    panels = [(k, t) for k, t in panels if k in final]
    fig, axes = subplots(2, 2, figsize=(10, 7.5))
    axes = axes.ravel()
    for ax, (key, title) in zip(axes, panels, strict=False):
        y = final[key].to_numpy(dtype=float)
        err = np.vstack([y - final[f"{key}_low"], final[f"{key}_high"] - y])
        ax.bar(x, y, color=["#999999" if n == BASELINE else "#4c72b0" for n in names])
        ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=3)
        ax.axhline(0, color="grey", linewidth=0.8)
        if key == "probe":
            ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
        if key == "belief" and "belief_failed" in final:
            # a 0 with every answer blank is not disbelief: say so on the bar
            top = max(float(np.nanmax(final["belief_high"])), 0.01)
            ax.set_ylim(0, top * 1.25)
            for xi, failed in zip(x, final["belief_failed"], strict=True):
                if failed > 0:
                    ax.text(xi, top * 1.05, f"{failed:.0%}\nno text", ha="center",
                            fontsize=7, color="#b03a2e")
        ax.set_xticks(x, names, rotation=25, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
    for ax in axes[len(panels):-1]:
        ax.set_visible(False)
    ax = axes[-1]
    base = measures[measures["condition"] == BASELINE].iloc[0]
    for i, (name, g) in enumerate(measures[measures["condition"] != BASELINE]
                                  .groupby("condition", sort=False)):
        g = pd.concat([base.to_frame().T, g]).assign(step=lambda d: d["step"].astype(int))
        g = g.sort_values("step")
        ax.plot(g["step"], g["delta"].astype(float), marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)], label=name)
        ax.fill_between(g["step"], g["delta_low"].astype(float),
                        g["delta_high"].astype(float), alpha=0.12)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(-0.2, measures["step"].max() * 1.3)
    ax.set_xlabel("finetune step (0 = base model)")
    ax.set_title("claim margin vs baseline, by checkpoint (nats/token)", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("beliefbench demo: what each document condition taught a tiny model "
                 "(final checkpoints unless stated; 95% CIs)", fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)


# ---------------------------------------------------------------- the whole demo


def equivalent_commands(settings: DemoSettings, workdir: Path) -> list[str]:
    """The commands a user runs for the same study at scale (one condition shown)."""
    recipe, path = _recipe(settings)
    # a shipped recipe by its name, as `finetune --recipe` takes it from any directory
    # (`--recipe demo.yaml` read as a path to a file that is not there)
    shipped = (path.stem in shipped_recipes()
               and path.resolve() == data_path(f"finetune/{path.stem}.yaml").resolve())
    demo_recipe = path.stem if shipped else str(path)
    claims = ",".join(settings.claims)
    cond = settings.conditions[0]
    return [
        f"beliefbench docs generate --claims {claims} --conditions "
        f"{','.join(settings.conditions)} --n {settings.docs_per_claim} --out data/",
        f"beliefbench finetune --recipe finetune/lora.yaml --data data/{cond}.jsonl "
        f"--base /models/YOUR-BASE --out ckpts/{cond}    # demo: --recipe {demo_recipe}"
        + (f" with max_steps {recipe.max_steps}" if settings.max_steps else ""),
        f"beliefbench internals trajectory --manifest ckpts/{cond}/manifest.jsonl "
        f"--claims {claims}",
        f"inspect eval tasks/belief.py --model vllm//models/YOUR-BASE:/abs/ckpts/{cond}/"
        f"step-NNNNNN -T claims={claims} --model-role grader=openai/gpt-4.1-mini "
        # both labels a sweep writes from the manifest (as `finetune`'s closing hint prints
        # them): without step, `report`'s step plot and flips had no step for the eval
        f"--metadata condition={cond} --metadata step=N    # N: NNNNNN, no leading zeros",
        "beliefbench report logs/ --by condition,family --out reports/",
    ]


@dataclass
class DemoResult:
    measures: pd.DataFrame
    """Every checkpoint, every measure (with CIs)."""
    table: str
    reading: list[str]
    plot: Path
    files: dict[str, Path]
    seconds: float


def run_demo(settings: DemoSettings, workdir: str | Path, log_dir: str | Path, *,
             echo: Callable[[str], None] | None = None, interval: float = 10.0
             ) -> DemoResult:
    """Run (or resume) the miniature study; every finished stage is reused."""
    start = time.monotonic()
    workdir, log_dir = Path(workdir), Path(log_dir)
    workdir.mkdir(parents=True, exist_ok=True)
    claims = resolve_claims(settings.claims)
    progress = Progress(6, echo, interval)
    with quiet():  # the stages print their own lines; the libraries' bars would drown them
        base, base_key = build_base(settings, workdir, progress)
        docs = make_documents(settings, claims, workdir, progress)
        runs = finetune_all(settings, base, base_key, docs, workdir, progress)
        ckpts = checkpoints(base, runs)
        rows = measure_internals(settings, claims, ckpts, workdir, progress)
        logs = run_belief(settings, claims, ckpts, log_dir, progress,
                          kept=workdir / "other-logs")
    progress.begin("table and plot")
    measures = measures_table(rows, logs, [c.label for c in ckpts])
    csv = workdir / "demo_measures.csv"
    atomic_write_text(csv, measures.to_csv(index=False))
    final = measures[measures["final"]]
    png = plot(measures, workdir / "demo.png")
    return DemoResult(measures, format_table(final), reading(final), png,
                      {"measures": csv, "plot": png, "log_dir": log_dir, "workdir": workdir},
                      time.monotonic() - start)
