"""Trajectories: margins, logit lens and truth probes over every checkpoint of a finetune.

Reads a finetune manifest (``beliefbench.finetune.manifest``), measures the base model
(step 0) and every checkpoint in step order, and writes one table and one plot: per claim,
the main-pair margin (with its CI) and the probe's P(true) of the claim side vs step, plus
the lens margin per (step, layer) so a user sees when a belief flips and in which layers.
Each checkpoint's results are kept under ``<out>/checkpoints/step-N`` with its weights
sha256: a re-run skips checkpoints already measured with the same weights, tokenizer files and
settings, and reuses, unchecked and said, those deleted since they were measured there with the
same settings (:func:`reused_unchecked`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from beliefbench.analysis.text import did_you_mean, listing
from beliefbench.claims import Claim
from beliefbench.finetune.errors import ManifestError
from beliefbench.finetune.manifest import (
    base_model_of,
    checkpoint_path,
    distinct_bases,
    read_manifest_file,
    relocation_note,
    single_base,
)
from beliefbench.internals.activations import LAYER_INDEX
from beliefbench.internals.lens import heatmap, logit_lens, model_label
from beliefbench.internals.margins import (
    as_claims,
    check_seed,
    completion_margins,
    no_pairs_problem,
    pair_refs,
    single_pair_note,
    unanimous_pairs_note,
)
from beliefbench.internals.model import (
    as_torch_dtype,
    check_device,
    check_loadable,
    checkpoint_problem,
    checkpoint_text_config,
    describe,
    has_weights,
    load_model,
    moved_base,
    not_trained_base,
    tokenizer_sha256,
)
from beliefbench.internals.probe import (
    NEAR_CHANCE,
    best_read_layer,
    check_read_layer,
    default_statements,
    layer_accuracy,
    near_chance,
    probe_summary,
    reading_cautions,
    truth_probe,
)
from beliefbench.internals.results import read_json, remove_stale, write_json, write_results
from beliefbench.metrics import N_BOOTSTRAP, SEED, check_resamples
from beliefbench.progress import progress
from beliefbench.records import sha256_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PARTS = ("margins", "lens", "probe")


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: str
    label: str


def checkpoints(manifest: str | Path, include_base: bool = True) -> list[Checkpoint]:
    """The manifest's local checkpoints in step order, with the base model as step 0.

    A line repeated (the same path and step) counts once; two checkpoints at one step (two
    runs' manifests joined) are refused, since their results would share a step's folder.
    Each is read where :func:`checkpoint_path` finds it (a moved or copied run folder's
    beside the manifest: :func:`relocation_note` says so).
    """
    entries = read_manifest_file(manifest)  # ManifestError (a ValueError) names file and line
    out: list[Checkpoint] = []
    skipped = [e.path for e in entries if e.step is None or e.format == "api"]
    if skipped and len(skipped) == len(entries):
        raise ValueError(f"{manifest}: no local checkpoints (API models cannot be read: "
                         f"{skipped[:3]})")
    if include_base:
        base = single_base(entries, manifest)
        if not Path(base).is_dir():
            raise ValueError(f"{manifest}: base model: {entries[0].base_model}: no such "
                             f"model directory{_lost_base_fix(entries, manifest, base)}")
        for e in distinct_bases(entries):  # one per run: a joined manifest may mix runs
            if why := not_trained_base(base, base, e, manifest):
                raise ValueError(f"{why}: step 0 would measure that other model as the "
                                 f"run's base. Restore the base it was trained on, or train "
                                 f"anew on this one")
        out.append(Checkpoint(0, base, "base"))
    by_step: dict[int, Checkpoint] = {}
    for e in sorted((e for e in entries if e.step is not None and e.format != "api"),
                    key=lambda e: e.step):
        ckpt = Checkpoint(int(e.step), str(checkpoint_path(e, manifest)),
                          e.condition if isinstance(e.condition, str) else Path(e.path).name)
        seen = by_step.setdefault(ckpt.step, ckpt)
        if seen.path != ckpt.path:
            raise ValueError(f"{manifest}: step {ckpt.step}: two checkpoints ({seen.path} and "
                             f"{ckpt.path}); a trajectory reads one finetune's manifest")
        if seen is ckpt:
            out.append(ckpt)
    return out


def _lost_base_fix(entries: Sequence[Any], manifest: str | Path, base: str | Path) -> str:
    """What to do about a manifest's base that is no folder here: ``--no-base`` was offered
    for every run, but a LoRA run's checkpoints are applied to that base, so with it every
    step failed in turn; a folder of its name beside a moved project is named."""
    if not any(e.format == "adapter" for e in entries):
        return " (--no-base: measure the checkpoints only)"
    moved = moved_base(Path(manifest), Path(base))
    return (" (the base of its LoRA checkpoints, which are applied to it, so --no-base "
            "does not help: "
            + (f"the project was moved? {moved} holds a model of that name; if it is the "
               f"base they were trained on, set base_model in the manifest and "
               f"base_model_name_or_path in each adapter_config.json to it)"
               if moved is not None else
               "restore it there, or set base_model in the manifest and "
               "base_model_name_or_path in each adapter_config.json to its folder)"))


OUTPUTS = {"margins": ("margins.csv", "margins_summary.csv", "margins.json"),
           "lens": ("lens.csv", "lens.json"),
           "probe": ("probe_layers.csv", "probe_scores.csv", "probe_summary.csv", "probe.json")}
"""The files each part writes into a checkpoint's directory."""


def _cached(ckpt_dir: Path, key: dict[str, Any], model: str) -> bool:
    """Measured already with this key, of this checkpoint's folder: the same weights in
    another folder (another run's step 1, still its base's weights under warmup; a moved
    run) are measured again, since every results file names its model and ``report
    --internals`` labelled the row with the other folder."""
    done = ckpt_dir / "done.json"
    try:
        recorded = read_json(done) if done.is_file() else {}
        return recorded.get("key") == key and recorded.get("model") == model
    except (OSError, ValueError, AttributeError):  # unreadable: measure again
        return False


def _clear(ckpt_dir: Path) -> None:
    """Remove an earlier measurement (other claims, parts, settings or weights), so that
    nothing of it is read back beside the new one."""
    for name in ("done.json", *(f for files in OUTPUTS.values() for f in files)):
        (ckpt_dir / name).unlink(missing_ok=True)


def _base_or_none(manifest: str | Path) -> str | None:
    """The manifest's base as :func:`base_model_of` reads it, or None where it names no
    folder here: under ``--no-base`` it is not measured, so not refused."""
    try:
        return base_model_of(read_manifest_file(manifest)[0], manifest)
    except ManifestError:
        return None


def remove_other_steps(out: Path, ckpts: Sequence[Checkpoint], base: str | Path | None
                       ) -> None:
    """Clear ``checkpoints/step-N`` folders of steps this manifest does not have (an earlier
    finetune's, whose step counts differ): ``report --internals`` reads every margins.json
    under a folder, so they mixed another run's rows in beside this one's. The base model's
    step 0, kept under ``--no-base``, is this run's."""
    keep = {f"step-{c.step:06d}" for c in ckpts}
    base = Path(base).resolve() if base is not None else None
    for folder in sorted((out / "checkpoints").glob("step-*")):
        if not folder.is_dir() or folder.name in keep:
            continue
        try:
            model = read_json(folder / "done.json").get("model")
        except (OSError, ValueError, AttributeError):
            model = None
        if folder.name == f"step-{0:06d}" and model and base and Path(model).resolve() == base:
            continue
        _clear(folder)
        with contextlib.suppress(OSError):  # files of someone else's: left as they are
            folder.rmdir()


def _manifest_file(manifest: str | Path) -> Path:
    """The manifest file a path names (a run folder names its ``manifest.jsonl``)."""
    path = Path(manifest).resolve()
    return path / "manifest.jsonl" if path.is_dir() else path


def check_other_run(out: Path, manifest: str | Path) -> None:
    """Refuse an ``--out`` holding the trajectory of another finetune whose manifest is
    still on disk: this run would replace its tables and step folders, so running each
    condition's trajectory into one ``--out`` kept only the last, without a word. The same
    manifest (a re-finetune into its run folder) and a run folder moved since (its old
    manifest gone) are replaced as before."""
    try:
        recorded = read_json(out / "trajectory.json").get("settings", {}).get("manifest")
    except (OSError, ValueError, AttributeError):  # none, or not ours: nothing to keep
        return
    if not isinstance(recorded, str) or not recorded:
        return
    old, new = _manifest_file(recorded), _manifest_file(manifest)
    if old == new or not old.is_file():
        return
    with contextlib.suppress(OSError):
        if old.samefile(new):
            return
    suggestion = out.parent / f"{out.name}-{new.parent.name or 'run'}"
    raise ValueError(
        f"--out {out}: holds the trajectory of another finetune ({old}); measuring {new} "
        f"there would replace it: give each finetune its own --out (e.g. --out "
        f"{suggestion}), or delete {out / 'trajectory.json'} to replace it")


_ITS_FOLDER = "\0folder\0"
"""Stands for a checkpoint's own folder in its problem, so that steps with one problem are
told it together."""


_ITS_STEP = "\0step\0"
"""Stands for a checkpoint's ``step-N`` folder name under ``--out`` in its problem."""


def _where(group: Sequence[Checkpoint]) -> str:
    """``base model``, ``step 5``, ``steps 1, 2 and 5`` or ``base model and steps 1 and 2``:
    the checkpoints of one problem (the base named as such where it shares one)."""
    def base(c: Checkpoint) -> bool:
        return c.label == "base" and c.step == 0

    steps = [c.step for c in group if not base(c)]
    said = [f"step{'s' if len(steps) > 1 else ''} {listing(steps, shown=len(steps))}"] \
        if steps else []
    return " and ".join(["base model", *said] if any(map(base, group)) else said)


def _told(why: str, group: Sequence[Checkpoint]) -> str:
    """A problem of ``group`` with its folder named: the one checkpoint's, or for several
    ``each one's`` (``each one's adapter_config.json: ...``)."""
    if len(group) == 1:
        return why.replace(_ITS_FOLDER, group[0].path).replace(
            _ITS_STEP, f"step-{group[0].step:06d}")
    return why.replace(_ITS_FOLDER + os.sep, "each one's ").replace(
        _ITS_FOLDER, "each one's folder").replace(_ITS_STEP, "step-*")


def check_checkpoints(manifest: str | Path, ckpts: Sequence[Checkpoint],
                      not_reused: dict[int, str] | None = None) -> None:
    """Every checkpoint loadable as far as can be told without loading it
    (:func:`checkpoint_problem`), each bad one named, before any is hashed or measured.
    ``not_reused``: per step, why an earlier measurement of a deleted one is not reused
    (:func:`reused_unchecked`), said beside its problem."""
    found: dict[str, list[Checkpoint]] = {}  # each problem, told once with its steps
    deleted = False
    for ckpt in ckpts:
        if why := checkpoint_problem(ckpt.path):
            also = (not_reused or {}).get(ckpt.step)
            deleted = deleted or also is not None
            # the step's own folder out of it: every LoRA step of a run whose base is gone
            # (under --no-base) said the same sentence once per step
            found.setdefault(f"{why}{f', {also}' if also else ''}".replace(
                ckpt.path, _ITS_FOLDER).replace(f"step-{ckpt.step:06d}", _ITS_STEP),
                             []).append(ckpt)
    if found:
        bad = [f"{_where(group)}: {_told(why, group)}" for why, group in found.items()]
        n_bad = sum(map(len, found.values()))
        its = n_bad == 1
        if n_bad < len(ckpts):
            fix = (f": restore {'its' if its else 'their'} files, or remove "
                   f"{'its line' if its else 'their lines'} from the manifest to measure the "
                   f"other checkpoints")
        elif len(found) == 1 and "base_model_name_or_path" in next(iter(found)):
            fix = ""  # every LoRA step's base gone (under --no-base): the fix is in it
        else:  # every checkpoint bad: there are no others to measure
            fix = f": restore {'its' if its else 'their'} files"
        raise ValueError(f"{manifest}: {'; '.join(bad)}; nothing was measured{fix}"
                         + ("; a step deleted after it was measured into this --out with "
                            "these settings needs no files: its measurement is reused"
                            if deleted else ""))
    for ckpt in ckpts:
        describe(ckpt.path)  # weight hashes are cached: measuring reuses them


def settings_key(claims: Sequence[Claim], *, parts: Sequence[str], n_bootstrap: int,
                 seed: int, dtype: Any) -> dict[str, Any]:
    """What a checkpoint's measurement depends on besides its weights and tokenizer files
    (which :func:`measure_checkpoint` adds): claims, parts, resamples, seed, dtype and the
    probe's statements."""
    return {"claims": [c.id for c in claims],
            "claims_sha256": hashlib.sha256("".join(c.model_dump_json() for c in claims)
                                            .encode()).hexdigest(),
            "parts": list(parts), "n_bootstrap": n_bootstrap, "seed": seed,
            # as loaded ("bfloat16" for bf16 too: one dtype, measured once); changes numbers
            **({} if dtype is None else {"dtype": str(as_torch_dtype(dtype)).split(".")[-1]}),
            # the probe's training statements (shipped data: a new version may change them)
            **({"statements_sha256": sha256_file(default_statements())}
               if "probe" in parts else {})}


UNCHECKED = ("weights_sha256", "tokenizer_sha256")
"""The parts of a measurement's key that only the checkpoint's files give."""


def _deleted(ckpt: Checkpoint) -> bool:
    """The checkpoint's folder, or its weights, deleted (to free disk after measuring)."""
    path = Path(ckpt.path).expanduser()
    return not path.exists() or (path.is_dir() and not has_weights(path))


def reused_unchecked(ckpts: Sequence[Checkpoint], out: Path, key: dict[str, Any]
                     ) -> tuple[dict[int, str], dict[int, str]]:
    """Of the steps whose folder or weights were deleted: ``(reused, not_reused)``, each
    per step a note. A step measured before into ``out`` from that folder with these
    settings (``key``: :func:`settings_key`) is reused as recorded, its weights not
    re-checked (they are gone), as ``sweep`` reports a deleted checkpoint from its finished
    logs; otherwise why not (a step never measured, or with other settings), for the error
    that names it. The base model (step 0) is never reused: a LoRA step loads it too."""
    reused: dict[int, str] = {}
    not_reused: dict[int, str] = {}
    for ckpt in ckpts:
        if (ckpt.step == 0 and ckpt.label == "base") or not _deleted(ckpt):
            continue
        folder = out / "checkpoints" / f"step-{ckpt.step:06d}"
        try:
            recorded = read_json(folder / "done.json")
            recorded_key = dict(recorded["key"])
            same_folder = recorded.get("model") == str(Path(ckpt.path).expanduser().resolve())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            not_reused[ckpt.step] = f"never measured into {folder}"
            continue
        differ = sorted(k for k in {*recorded_key, *key} - set(UNCHECKED)
                        if recorded_key.get(k) != key.get(k))
        if not same_folder:
            not_reused[ckpt.step] = (f"{folder} holds the measurement of another folder, "
                                     f"{recorded.get('model')}")
        elif differ:
            not_reused[ckpt.step] = (f"measured into {folder} with other settings "
                                     f"({', '.join(differ)}): measuring again needs its "
                                     f"weights")
        else:
            sha = str(recorded_key.get("weights_sha256") or "")[:12] or "unrecorded"
            gone = "no weight files" if Path(ckpt.path).expanduser().exists() \
                else "not on disk"
            reused[ckpt.step] = (f"step {ckpt.step}: {ckpt.path}: {gone}; its earlier "
                                 f"measurement in {folder} is reused (weights {sha} when "
                                 f"measured): its weights could not be re-checked")
    return reused, not_reused


def measure_checkpoint(ckpt: Checkpoint, claims: Sequence[Claim], out: Path, *,
                       parts: Sequence[str], batch_size: int, device: str | None,
                       dtype: Any, n_bootstrap: int, seed: int,
                       kept: list[int] | None = None) -> Path:
    """Margins / lens / probe of one checkpoint into ``out`` (reused when already there;
    ``kept`` gets its step then, so a re-run can say what it did not measure again)."""
    info = describe(ckpt.path)
    key = {"weights_sha256": info["weights_sha256"],
           # its tokenizer files too: replaced ones split the claims' texts otherwise
           "tokenizer_sha256": tokenizer_sha256(check_loadable(ckpt.path)[2]),
           **settings_key(claims, parts=parts, n_bootstrap=n_bootstrap, seed=seed,
                          dtype=dtype)}
    if _cached(out, key, info["model"]):
        if kept is not None:
            kept.append(ckpt.step)
        return out
    _clear(out)
    loaded = load_model(ckpt.path, device=device, dtype=dtype)
    if "margins" in parts:
        completion_margins(loaded, claims, batch_size=batch_size, n_bootstrap=n_bootstrap,
                           seed=seed, show_progress=False).write(out)
    if "lens" in parts:
        logit_lens(loaded, claims, batch_size=batch_size, show_progress=False).write(
            out, plots=False)
    if "probe" in parts:
        truth_probe(loaded, claims, batch_size=batch_size, seed=seed,
                    show_progress=False).write(out, plots=False)
    write_json({"key": key, "step": ckpt.step, **info}, out / "done.json")
    return out


@dataclass
class TrajectoryResult:
    table: pd.DataFrame
    """Per (step, claim, kind): margin statistics, probe P(true) at one layer for every step
    (``probe_layer``: see :func:`trajectory_probe_layer`) with its held-out accuracy at that
    step (``probe_accuracy``), and the step's own best layer (``probe_best_layer``)."""
    lens: pd.DataFrame
    """Per (step, claim, layer): mean lens margin over the claim's main pairs."""
    settings: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    """What to say under the table: steps deleted after they were measured, whose earlier
    measurement is reused unchecked (:func:`reused_unchecked`), checkpoints read beside the
    manifest rather than where
    it records them (a moved or copied run folder), and the margins' cells resting on one
    completion pair, whose CIs (at every step: each scores the same pairs) are 0 wide."""
    kept: list[int] = field(default_factory=list)
    """Steps whose files in ``--out`` were reused as they were (same weights, tokenizer files
    and settings), not measured again: a re-run said nothing of them."""

    def write(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        out = Path(out_dir)
        # only the tables this run has: --parts lens alone wrote a trajectory.csv of a
        # header and a JSON whose "table" was [], its numbers elsewhere with nothing saying
        # where; the JSON names each table's file ("tables") and holds the per-step table's
        # rows ("table") where there is one
        tables = {name: df for name, df in (("trajectory.csv", self.table),
                                            ("trajectory_lens.csv", self.lens))
                  if not df.empty}
        what = {"trajectory.csv": "table", "trajectory_lens.csv": "lens"}
        payload: dict[str, Any] = {
            "measure": "trajectory", "settings": self.settings,
            "tables": {what[name]: name for name in tables},
            **({"table": json.loads(self.table.to_json(orient="records"))}
               if not self.table.empty else {})}
        # the tables and JSON together (a failure midway leaves the old set or the new one);
        # then an earlier run's tables and figures go, before these figures are drawn
        written = write_results(out, tables, "trajectory.json", payload)
        remove_stale(out, ("trajectory.csv", "trajectory_lens.csv", "trajectory.png",
                           "trajectory_lens_*.png"), written)
        if plots and not self.table.empty:
            written.append(plot_trajectory(self.table, out / "trajectory.png",
                                           run=run_label(self.settings)))
        if plots and not self.lens.empty:
            for claim, sub in self.lens.groupby("claim", sort=False):
                matrix = sub.pivot_table(index="layer", columns="step", values="margin")
                written.append(heatmap(matrix, str(claim), out / f"trajectory_lens_{claim}.png",
                                       xlabel="checkpoint step (main pairs, mean margin)",
                                       model=run_label(self.settings)))
        return written


def _read_table(path: Path) -> pd.DataFrame:
    """One of our CSVs, claim ids kept as text ("null" or "007" are claim ids, not NaN / 7)."""
    return pd.read_csv(path, dtype={"claim": str, "kind": str}, keep_default_na=False,
                       na_values=[""])


def _probe_layers(ckpt_dir: Path) -> pd.DataFrame:
    """A checkpoint's per-layer held-out accuracy (``probe_layers.csv``; empty when absent)."""
    path = ckpt_dir / "probe_layers.csv"
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def _check_probe_layer(ckpts: Sequence[Checkpoint], layer: int) -> None:
    """Refuse a --probe-layer past the model's layers before any checkpoint is measured (its
    config; an unreadable one leaves the check to the measured layers)."""
    n = getattr(checkpoint_text_config(ckpts[0].path), "num_hidden_layers", None)
    if isinstance(n, int) and not isinstance(n, bool) and layer > n:
        raise ValueError(f"probe_layer / --probe-layer: must be between 1 and {n} (0 = "
                         f"embeddings), got {layer}")


def trajectory_probe_layer(layer_tables: Sequence[pd.DataFrame],
                           layer: int | None = None) -> int | None:
    """The one layer whose probe P(true) a trajectory reads at every step: ``layer`` when
    given, else the layer with the best held-out accuracy averaged over the steps (earliest on
    ties). Each step's own best layer would make a change of layer look like a change of
    belief. None when no step recorded per-layer accuracies."""
    tables = [t for t in layer_tables if {"layer", "accuracy"} <= set(t.columns)]
    if not tables:
        return layer
    mean = pd.concat(tables).groupby("layer")["accuracy"].mean()
    if layer is not None:
        if layer not in mean.index:
            raise ValueError(f"probe_layer / --probe-layer: must be between 1 and "
                             f"{int(mean.index.max())} (0 = embeddings), got {layer}")
        return layer
    # the probe reads the last token: layer 0, its embedding alone, reads no statement
    best = best_read_layer(mean.sort_index().to_numpy())
    return int(mean.sort_index().index[best])


def _probe_rows(ckpt_dir: Path, layer: int | None) -> pd.DataFrame:
    """Per claim: P(true) of both sides at ``layer`` (read from the checkpoint's per-layer
    scores), that layer, its held-out accuracy at this checkpoint, and the checkpoint's own
    best layer. A checkpoint without per-layer scores keeps its summary's layer (NaN accuracy
    when no file has it)."""
    summary = _read_table(ckpt_dir / "probe_summary.csv")
    layers = _probe_layers(ckpt_dir)
    best = summary["layer"]
    scores_path = ckpt_dir / "probe_scores.csv"
    if layer is not None and scores_path.is_file():
        summary = probe_summary(_read_table(scores_path), layer, layer_accuracy(layers, layer))
        summary["best"] = best.iloc[0] if len(best) else float("nan")
    else:
        if "accuracy" not in summary:
            summary["accuracy"] = [layer_accuracy(layers, v) for v in summary["layer"]]
        summary["best"] = best
    return summary[["claim", "p_true_claim", "p_true_truth", "layer", "accuracy", "best"]
                   ].rename(columns={"layer": "probe_layer", "accuracy": "probe_accuracy",
                                     "best": "probe_best_layer"})


def probe_cautions(table: pd.DataFrame, threshold: float = NEAR_CHANCE) -> list[str]:
    """The probe command's caution for a trajectory table's P(true) readings, naming the
    steps whose probe classifies held-out statements near chance (or whose accuracy was not
    recorded)."""
    if "p_true_claim" not in table:
        return []
    probes = table[table["p_true_claim"].notna()].drop_duplicates("step").sort_values("step")
    return reading_cautions(probes, "step", prefix=("at step", "at steps"),
                            readings=("of that step", "of those steps"), threshold=threshold)


def same_as_base(table: pd.DataFrame) -> list[int]:
    """The steps after 0 whose margins equal the base's (step 0's) on every claim and kind:
    under warmup, a step-1 checkpoint trained at learning rate 0 and holds the base model's
    weights, so its row repeats step 0's and read as a finetune that did nothing."""
    if "margin" not in table or not (table["step"] == 0).any():
        return []
    key = ["claim", "kind"]
    base = table[table["step"] == 0].set_index(key)["margin"]
    out = []
    for step, rows in table[table["step"] > 0].groupby("step", sort=True):
        mine = rows.set_index(key)["margin"]
        if set(mine.index) == set(base.index) and \
                ((mine.reindex(base.index) - base).abs() <= 1e-9).all():
            out.append(int(step))
    return out


def _collect(ckpt: Checkpoint, ckpt_dir: Path,
             probe_layer: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    done = read_json(ckpt_dir / "done.json")
    ident = {"step": ckpt.step, "checkpoint": ckpt.path, "label": ckpt.label,
             "weights_sha256": done["weights_sha256"]}
    parts = done.get("key", {}).get("parts", PARTS)  # only what this measurement wrote
    rows = pd.DataFrame()
    if "margins" in parts and (ckpt_dir / "margins_summary.csv").is_file():
        rows = _read_table(ckpt_dir / "margins_summary.csv")
        rows = rows[rows["claim"] != "all"]
    if "probe" in parts and (ckpt_dir / "probe_summary.csv").is_file():
        probe = _probe_rows(ckpt_dir, probe_layer)
        rows = probe.assign(kind="main") if rows.empty else rows.merge(
            probe.assign(kind="main"), on=["claim", "kind"], how="left")
    lens = pd.DataFrame()
    if "lens" in parts and (ckpt_dir / "lens.csv").is_file():
        raw = _read_table(ckpt_dir / "lens.csv")
        lens = raw[raw["kind"] == "main"].groupby(["claim", "layer"], as_index=False)[
            "margin"].mean().assign(**ident)
    return rows.assign(**ident), lens


WHOLE_COLUMNS = frozenset({"step", "claims", "pairs", "probe_layer", "probe_best_layer"})
"""The trajectory table's counts and layer indices; every other number in it is a measure
(a rate, a margin, a probability)."""


def _measures_as_floats(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every measure a float. Read back from the steps' CSVs, a rate whole at
    every step (one pair, or every pair one way: ``1``, ``0``) came back as integers, so the
    printed table said ``efficacy 1`` where a trajectory with one fractional rate said
    ``1.000``, and trajectory.json ``1`` where another had ``1.0``."""
    measures = {c: float for c in table.columns if c not in WHOLE_COLUMNS
                and pd.api.types.is_numeric_dtype(table[c])
                and not pd.api.types.is_bool_dtype(table[c])}
    return table.astype(measures)


def trajectory(manifest: str | Path, claims: str | Sequence[str] | Sequence[Claim] = "all",
               out_dir: str | Path = "internals/trajectory", *,
               parts: Sequence[str] = PARTS, include_base: bool = True,
               batch_size: int = 16, device: str | None = None, dtype: Any = None,
               n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED,
               probe_layer: int | None = None) -> TrajectoryResult:
    """Measure every checkpoint of ``manifest`` (resumable) and assemble the trajectory.

    ``probe_layer``: the layer of the probe's P(true) at every step (default: the layer with
    the best held-out accuracy averaged over the steps; see :func:`trajectory_probe_layer`).
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        what = (f"unknown {unknown}"
                f"{did_you_mean(unknown[0], PARTS) if len(unknown) == 1 else ''}"
                if unknown else "none given")
        raise ValueError(f"parts: {what}; valid: {list(PARTS)}")
    check_seed(seed)  # before any checkpoint is measured
    n_bootstrap = check_resamples(n_bootstrap)
    if device is not None:  # a typo was told under a started progress bar
        check_device(device)
    if probe_layer is not None and (isinstance(probe_layer, bool)
                                    or not isinstance(probe_layer, int) or probe_layer < 0):
        raise ValueError(f"probe_layer / --probe-layer: expected a layer index of at least 1, "
                         f"got {probe_layer!r}")
    check_read_layer(probe_layer, "last", "probe_layer / --probe-layer",
                     "choose a layer of 1 or more")  # its P(true) 0.500 read as a result
    if probe_layer is not None and "probe" not in parts:  # dropped without a word, exit 0
        raise ValueError(f"probe_layer / --probe-layer: the layer of the probe's P(true), but "
                         f"parts {list(parts)} run no probe; add probe to --parts")
    chosen = as_claims(claims)
    paired = [p for p in parts if p in ("margins", "lens")]
    if paired and not pair_refs(chosen):  # else the first checkpoint failed, naming no option
        raise ValueError(no_pairs_problem(
            chosen, None, f"the {' and '.join(paired)} part{'s' if len(paired) > 1 else ''} "
                          f"read{'' if len(paired) > 1 else 's'}",
            "pass --parts probe, which measures the truth probe alone"))
    check_other_run(Path(out_dir), manifest)  # before anything of it is replaced
    ckpts = checkpoints(manifest, include_base)
    base = ckpts[0].path if include_base else _base_or_none(manifest)
    out = Path(out_dir)
    # a step deleted after it was measured here with these settings: reused as recorded
    reused, not_reused = reused_unchecked(
        ckpts, out, settings_key(chosen, parts=parts, n_bootstrap=n_bootstrap, seed=seed,
                                 dtype=dtype))
    present = [c for c in ckpts if c.step not in reused]
    check_checkpoints(manifest, present, not_reused)
    if probe_layer is not None and "probe" in parts and present:
        _check_probe_layer(present, probe_layer)
    kept: list[int] = []
    dirs = [out / "checkpoints" / f"step-{ckpt.step:06d}" if ckpt.step in reused
            else measure_checkpoint(ckpt, chosen, out / "checkpoints" / f"step-{ckpt.step:06d}",
                                    parts=parts, batch_size=batch_size, device=device,
                                    dtype=dtype, n_bootstrap=n_bootstrap, seed=seed, kept=kept)
            for ckpt in progress(ckpts, total=len(ckpts), desc="checkpoints", enabled=True)]
    layer = trajectory_probe_layer([_probe_layers(d) for d in dirs], probe_layer) \
        if "probe" in parts else None
    tables, lenses = [], []
    for ckpt, ckpt_dir in zip(ckpts, dirs, strict=True):
        table, lens = _collect(ckpt, ckpt_dir, layer)
        tables.append(table)
        lenses.append(lens)
    remove_other_steps(out, ckpts, base)
    front = ["step", "label", "claim", "kind"]
    table = _measures_as_floats(pd.concat(tables, ignore_index=True))  # none: --parts lens
    table = table.reindex(columns=front + [c for c in table.columns if c not in front])
    settings = {"manifest": str(Path(manifest).resolve()), "claims": [c.id for c in chosen],
                "parts": list(parts), "checkpoints": [c.path for c in ckpts],
                "n_bootstrap": n_bootstrap, "seed": seed, "layer_index": LAYER_INDEX,
                # deleted after they were measured: their weights were not re-checked
                **({"reused_unchecked": sorted(reused)} if reused else {}),
                **({"probe_layer": layer,
                    "probe_layer_from": "chosen by --probe-layer" if probe_layer is not None
                    else "the best held-out accuracy averaged over the steps"}
                   if "probe" in parts else {})}
    # every step scores the same pairs (the claims', of every kind): one note for them all
    single = [*single_pair_note(pd.DataFrame([asdict(r) for r in pair_refs(chosen)])),
              *unanimous_pairs_note(table)] \
        if "margins" in parts and n_bootstrap else []  # no CIs: none 0 wide
    # a moved or copied run folder's checkpoints were read beside the manifest: said which
    moved = relocation_note(read_manifest_file(manifest), manifest)
    return TrajectoryResult(table, pd.concat(lenses, ignore_index=True), settings,
                            [*reused.values(), *([moved] if moved else []), *single], kept)


PANES_PER_ROW = 3
"""Claims per row of the trajectory figure."""


def run_label(settings: dict[str, Any]) -> str:
    """The finetune a trajectory's figures are of (its run folder), as their titles name it."""
    if not settings.get("manifest"):
        return ""
    manifest = Path(str(settings["manifest"]))
    return f"run {model_label(manifest if manifest.is_dir() else manifest.parent)}"


def plot_trajectory(table: pd.DataFrame, path: str | Path, run: str = "") -> Path:
    """Per claim: main-pair margin (CI band) and probe P(true) of the claim side vs step;
    ``run`` (the figure's title) names the finetune."""
    from beliefbench.analysis.plots import _save

    fig = trajectory_figure(table)
    if run:
        fig.suptitle(run, fontsize=9, y=1.0, va="bottom")  # above the panes' titles
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)


def trajectory_figure(table: pd.DataFrame) -> Figure:
    """The figure ``plot_trajectory`` saves (apart, so its layout can be checked)."""
    from beliefbench.analysis.plots import subplots

    main = table[table["kind"] == "main"]
    claims = list(dict.fromkeys(main["claim"]))
    # rows of at most PANES_PER_ROW: in one row, every shipped claim made a strip 25 inches wide
    cols = min(len(claims), PANES_PER_ROW)
    rows = -(-len(claims) // cols)
    fig, axes = subplots(rows, cols, figsize=(4.2 * cols, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(claims):]:
        ax.set_visible(False)  # the last row's empty places
    for ax, claim in zip(axes.flat, claims, strict=False):
        sub = main[main["claim"] == claim].sort_values("step")
        x = sub["step"].to_numpy()
        if "margin" in sub:
            ax.plot(x, sub["margin"], marker="o", color="tab:red", label="margin (main)")
            # the band was in no legend: a reader could not tell it from a spread of pairs
            ax.fill_between(x, sub["margin_low"], sub["margin_high"], color="tab:red",
                            alpha=0.15, label="95% CI of the margin (bootstrap over pairs)"
                            if sub["margin_low"].notna().any() else None)
            ax.axhline(0, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("step (log scale)")  # the 10^0, 10^1 ticks read as an odd step axis
        ax.set_ylabel("margin, nats/token (>0: claim wins)")
        ax.set_title(claim, fontsize=9)
        panes = [ax]
        if "p_true_claim" in sub:
            twin = ax.twinx()
            panes.append(twin)
            weak = "probe_accuracy" in sub and any(map(near_chance, sub["probe_accuracy"]))
            at = sorted({int(v) for v in sub.get("probe_layer", pd.Series()).dropna()})
            twin.plot(x, sub["p_true_claim"], marker="s", linestyle="--", color="tab:blue",
                      label="probe P(true), claim side"
                      + (f" (layer {at[0]})" if len(at) == 1 else "")
                      + ("\n(probe near chance: means little)" if weak else ""))
            twin.set_ylim(0, 1)
            twin.set_ylabel("probe P(true)")
        # one legend under the axes: inside them, the long probe label overran the y label
        handles = [h for pane in panes for h in pane.get_legend_handles_labels()[0]]
        if handles:
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.25),
                      fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
