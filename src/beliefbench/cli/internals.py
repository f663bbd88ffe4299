"""``beliefbench internals ...``: judge-free measures read from a checkpoint's weights.

Every subcommand writes files (CSV, a JSON naming the exact model path and weights sha256,
PNG plots) under ``--out`` and prints a short table. Bad input (a missing model, an unknown
claim, a broken manifest) exits 2 with a one-line message. Heavy imports happen inside.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from beliefbench.cli.choices import Choice
from beliefbench.cli.errors import BadInput, warnings_to_stderr
from beliefbench.cli.given_once import lists_given_once
from beliefbench.cli.option_values import Group, no_blank_items
from beliefbench.cli.paths import UserPath
from beliefbench.cli.resamples import Resamples, resamples_fit
from beliefbench.runlock import holds
from beliefbench.wording import first_line

MODEL_HELP = "Checkpoint directory: full, merged, or a LoRA adapter (its base is read from it)."
CLAIMS_HELP = "Claim ids, files or directories (comma-separated), or all."


def as_typed(message: str) -> str:
    """A library message's leading field (``claims: ...``, ``device: ...``, ``folds / --folds:
    ...``) as the option the user typed (``--claims: ...``), where the running command has
    that option and it was given on the command line: the library names its arguments,
    and ``patch --layers 0-9`` said ``layers: ...``, an option no one had typed. A field the
    command took from elsewhere (``-T claims=...``) keeps the library's name."""
    head, sep, rest = message.partition(": ")
    ctx = click.get_current_context(silent=True)
    if not sep or ctx is None:
        return message
    field = head.split(" / ", 1)[0]
    for param in ctx.command.params:
        if (isinstance(param, click.Option) and param.name == field
                and ctx.get_parameter_source(field) in (ParameterSource.COMMANDLINE,
                                                        ParameterSource.ENVIRONMENT)):
            return f"{max(param.opts, key=len)}: {rest}"
    return message


def bad_input(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's input errors into one-line messages with exit code 2, naming the
    option at fault as typed (:func:`as_typed`)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from beliefbench.claims import ClaimSpecError
        from beliefbench.internals.model import ModelLoadError
        from beliefbench.internals.scoring import ScoringError

        try:
            return fn(*args, **kwargs)
        except (ClaimSpecError, ModelLoadError, ScoringError, ValueError) as e:
            raise BadInput(as_typed(first_line(str(e)) if isinstance(e, ModelLoadError)
                                    else str(e))) from None

    return wrapper


def out_writable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse an ``--out`` that cannot be made or written (a file in the way, a read-only or
    another user's folder) before the model is read (decorate below ``holds``, which made
    the folder where it could): the write found it only after every pair, statement or
    checkpoint was measured (minutes on a large model, an hour of trajectory)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if (out := kwargs.get("out_dir")) is not None:
            check_out_writable(Path(out))
        return fn(*args, **kwargs)

    return wrapper


def check_out_writable(out_dir: Path) -> None:
    """:func:`out_writable`'s check, for a command that writes ``--out`` only sometimes
    (``steer`` / ``ablate --task margins``), called inside its hold of the folder."""
    from beliefbench.records import unwritable_folder

    if why := unwritable_folder(out_dir, f"--out {out_dir}"):
        raise BadInput(f"{why}; nothing was measured: choose another --out")


NO_CI = "no CI"
"""What a CI cell shows under ``--bootstrap 0`` (documented as "no CIs"), instead of NaN."""


def _echo_table(df, columns: list[str] | None = None, *, no_ci: bool = False,
                float_format: str = "{:.3f}") -> None:
    """``columns``: those of ``df`` to show, in order (all: None). ``no_ci``: the ``*_low`` /
    ``*_high`` columns say ``no CI`` where they are empty. Any other empty cell (specificity
    outside neighbour rows, score outside main rows, a held-out d no split could score, the
    base's kl) shows ``-``, as ``report`` shows an undefined cell: ``NaN`` read as a
    failure. The internals and intervention commands' one table printer."""
    cols = [c for c in (df.columns if columns is None else columns) if c in df.columns]
    shown = df[cols].copy()
    for c in cols:
        if shown[c].isna().any():
            empty = NO_CI if no_ci and c.endswith(("_low", "_high")) else "-"
            shown[c] = shown[c].astype(object).where(shown[c].notna(), empty)
    click.echo(shown.to_string(index=False, float_format=float_format.format))


MARGIN_COLUMNS = ("margin: mean log P(claim) - log P(truth), nats per token (> 0: the claim "
                  "is the likelier continuation); magnitude: mean P(claim) - P(truth) of the "
                  "per-token probabilities; specificity (neighbour rows only): share of "
                  "pairs the truth wins; score (main rows only, where the claim has all "
                  "three kinds): CounterFact's harmonic mean of main efficacy, paraphrase "
                  "efficacy and neighbour specificity; '-': not defined for that row")
"""The legend under the margins table: its columns carried no unit, and a newcomer could not
tell a margin of 2.4 (nats per token) from a magnitude of 0.001 (a probability)."""


LENS_COLUMNS = ("margin: mean log P(claim) - log P(truth) read at that layer, nats per token "
                "(> 0: the claim is the likelier continuation; the last layer's is the "
                "completion margin); claim_wins: share of the pairs with margin > 0 (on "
                "neighbour rows a win is the finetune leaking into a nearby fact, not belief)")
"""The legend under the lens table: its margin carried no unit."""

PROBE_COLUMNS = ("accuracy: share of held-out statements the logistic probe classifies right "
                 "(accuracy_mass_mean: the mass-mean direction's; chance 0.5); items: the "
                 "claim's sentences read per side; p_true_claim / p_true_truth: mean P(true) "
                 "of the claim side / the truth side (> 0.5: read as true; *_mass_mean: "
                 "the mass-mean direction's, calibrated on the statements)")
"""The legend under the probe tables: its columns were not explained."""

TRAJECTORY_MARGIN_COLUMNS = ("efficacy: share of the main pairs the claim wins; margin: their "
                             "mean log P(claim) - log P(truth), nats per token, with "
                             "margin_low / margin_high its 95% bootstrap CI over pairs")
TRAJECTORY_PROBE_COLUMNS = ("p_true_claim: the probe's mean P(true) of the claim side (> 0.5: "
                            "read as true); probe_accuracy: that probe's held-out accuracy at "
                            "that layer (chance 0.5)")
TRAJECTORY_COLUMNS = f"{TRAJECTORY_MARGIN_COLUMNS}; {TRAJECTORY_PROBE_COLUMNS}"
"""The legend under the trajectory table, as the margins, lens and probe tables have one."""


def trajectory_legend(table: Any) -> str:
    """The legend of the columns the trajectory table shows: ``--parts margins`` printed
    p_true_claim and probe_accuracy explained under a table without them (and ``--parts
    probe`` efficacy and margin)."""
    return "; ".join([*([TRAJECTORY_MARGIN_COLUMNS] if "margin" in table else []),
                      *([TRAJECTORY_PROBE_COLUMNS] if "p_true_claim" in table else [])])
BINARY_COLUMNS = ("belief, no, parse_error: shares of the claim's binary items (the "
                  "believer's answer, the other one, neither read); ci_low, ci_high: the 95% "
                  "bootstrap CI of belief over the items")
"""The legend under the binary table: its CI and shares were not explained."""


def _written(paths: list[Path]) -> None:
    click.echo("Wrote:")
    for p in paths:
        click.echo(f"  {p}")


def measured(model: dict[str, Any]) -> str:
    """The line above a printed table naming the checkpoint it measured (path, the base of an
    adapter, the weights' sha256): a table pasted or logged alone named no model, and the
    folder of its files (``--out``) may hold several models' results."""
    sha = model.get("weights_sha256")
    about = ([f"LoRA adapter on {model['base_model']}"] if model.get("base_model") else []) \
        + ([f"weights {sha[:12]}"] if sha else [])
    return f"Model: {model.get('model')}" + (f" ({'; '.join(about)})" if about else "")


def warn_other_weights(out_dir: Path, model: dict[str, Any], writes: str) -> None:
    """One stderr line when ``--out`` holds results of other weights, before this command
    writes ``writes`` there: a folder of two models' files reads as one model's (the
    numbers stay; ``report --internals`` joins by weights sha and is not misled)."""
    from beliefbench.internals.results import other_weights

    found = other_weights(out_dir, model.get("weights_sha256"))
    if not found:
        return
    files = [f for names in found.values() for f in names]
    held = "; ".join(f"{', '.join(names)} (model {path}, weights {sha[:12]})"
                     for (path, sha), names in found.items())
    kept = [f for f in files if f != writes]
    what = (f"{writes} is replaced" + ("; the others stay" if kept else "")) \
        if writes in files else f"they stay beside this model's {writes}"
    # this model and each other one that keeps a file here ("two" said of three once): by
    # weights, as one model's files recorded under two paths are one model's
    models = 1 + len({sha for (_, sha), names in found.items()
                      if any(f != writes for f in names)})
    mixed = f", so the folder mixes the results of {models} models" if kept else ""
    click.echo(f"warning: --out {out_dir} holds results of other weights: {held}; {what}"
               f"{mixed}: give each checkpoint its own --out", err=True)


common_model = [
    click.option("--model", "model_path", required=True, help=MODEL_HELP),
    click.option("--claims", default="all", show_default=True,
                 help=CLAIMS_HELP),
    click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
                 default=Path("internals"), show_default=True, help="Where results go."),
    click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any)."),
    click.option("--dtype", default=None,
                 help="float32 / bfloat16 / float16 (default: the checkpoint's own)."),
    click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=1),
                 help="Sequences per forward pass (batched by length): larger is faster and "
                      "takes more memory."),
]


def with_options(options: list) -> Callable:
    def decorate(fn: Callable) -> Callable:
        for option in reversed(options):
            fn = option(fn)
        return fn
    return decorate


# README's name for a checkpoint, in the message on an empty one (see option_values)
@click.group(cls=Group, variables={"--model": "CKPT"})
def internals() -> None:
    """Judge-free belief measures: margins, logit lens, probes, trajectories."""
    # the internals modules' logged warnings (a claim without pairs of the chosen kinds) as
    # the commands' other `warning:` lines: Python's last resort printed them bare
    click.get_current_context().with_resource(warnings_to_stderr("beliefbench.internals"))


@internals.command(cls=lists_given_once("--claims", "--kinds"))
@with_options(common_model)
@click.option("--kinds", default="main,paraphrase,neighbour", show_default=True,
              callback=no_blank_items,
              help="Pair kinds to score.")
@click.option("--bootstrap", default=2000, show_default=True, type=Resamples(no_ci=True),
              help="Resamples per CI (at least 40; 0: no CIs).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed of the bootstrap resampling behind the CIs (0 or more).")
@bad_input
@holds("internals margins", param="out_dir")
@out_writable
def margins(model_path: str, claims: str, out_dir: Path, device: str | None,
            dtype: str | None, batch_size: int, kinds: str, bootstrap: int, seed: int) -> None:
    """Teacher-forced log-prob of each claim continuation vs the truth's (no generation)."""
    from beliefbench.internals.margins import (
        completion_margins,
        single_pair_note,
        unanimous_pairs_note,
    )

    with resamples_fit(bootstrap):
        result = completion_margins(model_path, claims,
                                    kinds=[k.strip() for k in kinds.split(",") if k.strip()],
                                    batch_size=batch_size, device=device, dtype=dtype,
                                    n_bootstrap=bootstrap, seed=seed)
    click.echo(measured(result.model))
    click.echo("Completion margins (efficacy: share of pairs where the claim wins; "
               + ("no CIs: --bootstrap 0):" if bootstrap == 0
                  else "95% bootstrap CI over pairs):"))
    _echo_table(result.summary, ["claim", "kind", "pairs", "efficacy", "efficacy_low",
                                 "efficacy_high", "magnitude", "margin", "specificity",
                                 "score"],
                no_ci=bootstrap == 0)
    click.echo(MARGIN_COLUMNS)
    for note in [*single_pair_note(result.pairs), *unanimous_pairs_note(result.summary)] \
            if bootstrap else []:  # no CIs: none 0 wide
        click.echo(f"warning: {note}", err=True)
    warn_other_weights(out_dir, result.model, "margins.json")
    _written(result.write(out_dir))


@internals.command(cls=lists_given_once("--claims", "--kinds"))
@with_options(common_model)
@click.option("--kinds", default="main,paraphrase,neighbour", show_default=True,
              callback=no_blank_items,
              help="Pair kinds to score.")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Write a heatmap per claim (lens_<claim>.png); --no-plots skips them.")
@bad_input
@holds("internals lens", param="out_dir")
@out_writable
def lens(model_path: str, claims: str, out_dir: Path, device: str | None, dtype: str | None,
         batch_size: int, kinds: str, plots: bool) -> None:
    """Logit lens: every pair's margin at every layer (CSV + heatmap per claim)."""
    from beliefbench.internals.lens import logit_lens

    result = logit_lens(model_path, claims, kinds=[k.strip() for k in kinds.split(",")
                                                   if k.strip()],
                        batch_size=batch_size, device=device, dtype=dtype)
        # per kind: a claim "win" on a neighbour pair is the finetune leaking into a nearby fact,
    # not the claim believed, so one mean over every kind read as neither
    table = result.table.groupby(["claim", "kind", "layer"], as_index=False, sort=False).agg(
        margin=("margin", "mean"), claim_wins=("margin", lambda m: float((m > 0).mean())))
    click.echo(measured(result.model))
    click.echo("Logit lens (mean margin over each kind's pairs, share of them the claim wins, "
               "per layer; layer 0 = the embeddings):")
    _echo_table(table, ["claim", "kind", "layer", "margin", "claim_wins"])
    click.echo(LENS_COLUMNS)
    warn_other_weights(out_dir, result.model, "lens.json")
    _written(result.write(out_dir, plots=plots))


@internals.command(cls=lists_given_once("--claims"))
@with_options(common_model)
@click.option("--statements", type=UserPath(dir_okay=False, path_type=Path),
              help="True/false statements YAML to train on (default: the shipped set).")
@click.option("--reduce", type=Choice(["last", "mean"]), default="last",
              show_default=True, help="Per statement: the last token or the mean over tokens.")
@click.option("--layer", type=int, default=None,
              help="Layer for the per-claim summary (default: the best cross-validated; "
                   "0 = the embeddings, read only with --reduce mean: with --reduce last it "
                   "holds the last token alone).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2),
              help="Cross-validation folds of whole statement pairs (at most the number of "
                   "pairs).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Recorded in probe.json, but changes nothing: the folds are whole "
                   "statement pairs in file order (not shuffled) and the probes' solver is "
                   "deterministic, so every seed gives the same numbers (no seed sweep; "
                   "probe.json says seed_used: false).")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Write probe_layers.png (accuracy per layer); --no-plots skips it.")
@bad_input
@holds("internals probe", param="out_dir")
@out_writable
def probe(model_path: str, claims: str, out_dir: Path, device: str | None, dtype: str | None,
          batch_size: int, statements: Path | None, reduce: str, layer: int | None,
          folds: int, seed: int, plots: bool) -> None:
    """Linear truth probes per layer, trained on generic statements, read on each claim."""
    from beliefbench.internals.probe import StatementError, near_chance_caution, truth_probe

    try:
        result = truth_probe(model_path, claims, statements=statements, reduce=reduce,
                             layer=layer, folds=folds, batch_size=batch_size, device=device,
                             dtype=dtype, seed=seed)
    except StatementError as e:
        raise BadInput(str(e)) from None
    click.echo(measured(result.model))
    click.echo("Probe accuracy per layer (cross-validated, grouped by statement pair; layer 0 "
               "= the embeddings" + (": with --reduce last, each statement's last token alone, "
                                     "so at or near chance and never chosen):"
                                     if reduce == "last" else "):"))
    _echo_table(result.layers, ["layer", "accuracy", "accuracy_mass_mean"])
    at = result.settings["summary_layer"]
    click.echo(f"\nP(true) per claim at layer {at} (claim side vs truth side):")
    _echo_table(result.summary, ["claim", "items", "p_true_claim", "p_true_truth",
                                 "p_true_claim_mass_mean", "p_true_truth_mass_mean"])
    click.echo(PROBE_COLUMNS)
    caution = near_chance_caution(result.layers, at)
    if caution:
        click.echo(caution, err=True)
    warn_other_weights(out_dir, result.model, "probe.json")
    _written(result.write(out_dir, plots=plots))


BINARY_HEADINGS = {
    "first_token": "Binary items by first-token probabilities (belief: the believer's answer "
                   "is more probable; parse_error: neither among the top tokens):",
    "sequence": "Binary items by whole-answer probabilities, P(yes or Yes) vs P(no or No) "
                "(belief: the believer's answer is more probable):",
}
"""What ``internals binary`` prints above its table, per ``--method``."""


@internals.command(cls=lists_given_once("--claims"))
@with_options(common_model)
@click.option("--top-logprobs", default=20, show_default=True, type=click.IntRange(1, 200),
              help="first_token: most probable first tokens read per item (1-200); an item "
                   "with neither answer among them is a parse_error.")
@click.option("--method", type=Choice(["first_token", "sequence"]), default="first_token",
              show_default=True, help="first_token: the belief_logprob task's reading; "
              "sequence: P of the whole answer, for tokenizers that split yes / no.")
@bad_input
@holds("internals binary", param="out_dir")
@out_writable
def binary(model_path: str, claims: str, out_dir: Path, device: str | None,
           dtype: str | None, batch_size: int, top_logprobs: int, method: str) -> None:
    """Binary questions by P(yes) vs P(no) on a local checkpoint (no generation).

    first_token is the same reading as the belief_logprob task, one forward pass per batch.
    """
    from beliefbench.analysis.logs import read_either_way, unread_counts
    from beliefbench.internals.binary import binary_logprobs
    from beliefbench.internals.margins import as_claims, model_info
    from beliefbench.internals.model import load_model
    from beliefbench.internals.results import records, write_results
    from beliefbench.metrics import question_table, rate_table

    # the claims before the weights, as margins, lens and probe read them: a mistyped id was
    # refused only after the whole checkpoint had loaded (minutes for a large one)
    chosen = as_claims(claims)
    loaded = load_model(model_path, device=device, dtype=dtype)
    table = binary_logprobs(loaded, chosen, method=method, top_logprobs=top_logprobs,
                            batch_size=batch_size)
    rates = rate_table(question_table(table.assign(family="binary")), by=["claim"])
    # the share read as yes or no, as the belief_logprob task's binary/readable: binary.json
    # held belief 0.0 (CI 0 to 0) for a run none of whose items was read, with nothing in
    # the file to tell it from a model that denies every item
    rates.insert(rates.columns.get_loc("no") + 1, "readable", rates["belief"] + rates["no"])
    info = model_info(loaded[0])
    click.echo(measured(info))
    click.echo(BINARY_HEADINGS[method])
    _echo_table(rates, ["claim", "belief", "ci_low", "ci_high", "no", "parse_error"])
    click.echo(BINARY_COLUMNS)
    if method == "first_token" and len(table) and (table["verdict"] == "parse_error").all():
        click.echo(f"note: no item could be read from its first token "
                   f"({table['problem'].iloc[0]}); a tokenizer that splits yes or no (the "
                   f"tiny model's) needs --method sequence", err=True)
    warn_other_weights(out_dir, info, "binary.json")
    _written(write_results(out_dir, {"binary.csv": table}, "binary.json", {
        "measure": "binary_logprobs", **info,
        "settings": {"method": method, "top_logprobs": top_logprobs,
                     "claims": list(dict.fromkeys(table["claim"])),
                     "dtype": str(next(loaded[0].parameters()).dtype)},
        "rates": records(rates)}))
    if len(table) and not read_either_way(table["verdict"].value_counts()):
        # belief 0.000 over items none of which was read is no result (report's and gate's
        # rule for a run none of whose answers took a side): a CI step must not pass on it
        raise BadInput(f"NOTHING READ: none of the {len(table)} binary item(s) was read as "
                       f"yes or no ({unread_counts(table['verdict'])}): belief 0.000 is no "
                       f"measurement (tables written)")


@internals.command(cls=lists_given_once("--claims", "--parts"))
@click.option("--manifest", required=True, type=UserPath(path_type=Path),
              help="A finetune manifest.jsonl (or the run directory holding it).")
@click.option("--claims", default="all", show_default=True,
              help=CLAIMS_HELP)
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path),
              default=Path("internals/trajectory"), show_default=True,
              help="Where results go: trajectory.csv / .json, plots, and checkpoints/step-N/ "
                   "with each checkpoint's files (reused on a re-run where they match).")
@click.option("--parts", default="margins,lens,probe", show_default=True,
              callback=no_blank_items,
              help="Which measures to run per checkpoint.")
@click.option("--no-base", is_flag=True, help="Do not measure the base model as step 0.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if any).")
@click.option("--dtype", default=None,
              help="float32 / bfloat16 / float16 (default: each checkpoint's own).")
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=1),
              help="Sequences per forward pass (batched by length): larger is faster and "
                   "takes more memory.")
@click.option("--bootstrap", default=2000, show_default=True, type=Resamples(no_ci=True),
              help="Resamples per CI (at least 40; 0: no CIs).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed of the bootstrap resampling behind the margins' CIs (0 or more).")
@click.option("--probe-layer", type=int, default=None,
              help="Read the probe's P(true) at this layer at every step (1 or more: 0, "
                   "the embeddings, holds only the last token's; default: the layer with the "
                   "best held-out accuracy averaged over the steps).")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Write trajectory.png and trajectory_lens_<claim>.png; --no-plots skips "
                   "them.")
@bad_input
@holds("internals trajectory", param="out_dir")
@out_writable
def trajectory(manifest: Path, claims: str, out_dir: Path, parts: str, no_base: bool,
               device: str | None, dtype: str | None, batch_size: int, bootstrap: int,
               seed: int, probe_layer: int | None, plots: bool) -> None:
    """Margins, lens and probes over every checkpoint of a finetune (resumable)."""
    from beliefbench.internals.trajectory import probe_cautions, same_as_base
    from beliefbench.internals.trajectory import trajectory as run_trajectory

    with resamples_fit(bootstrap):
        result = run_trajectory(manifest, claims, out_dir,
                                parts=[p.strip() for p in parts.split(",") if p.strip()],
                                include_base=not no_base, batch_size=batch_size,
                                device=device, dtype=dtype, n_bootstrap=bootstrap, seed=seed,
                                probe_layer=probe_layer)
    if result.table.empty:  # --parts lens alone: the lens margins are the table
        click.echo("Trajectory (logit lens: mean margin of the main pairs per layer, nats per "
                   "token; layer 0 = the embeddings):")
        _echo_table(result.lens, ["step", "label", "claim", "layer", "margin"])
    else:
        # what the table holds: --parts margins has no probe column, --parts probe no pairs
        layer = result.settings.get("probe_layer")
        shown = [*(["main pairs, margin in nats per token"] if "margin" in result.table
                   else []),
                 *([f"probe P(true) of the claim side at layer {layer} for every step, "
                    f"{result.settings['probe_layer_from']}"]
                   if "p_true_claim" in result.table and layer is not None else []),
                 *(["no CIs: --bootstrap 0"] if bootstrap == 0 and "margin" in result.table
                   else [])]
        click.echo(f"Trajectory ({'; '.join(shown)}):")
        _echo_table(result.table[result.table["kind"] == "main"],
                    ["step", "label", "claim", "efficacy", "margin", "margin_low",
                     "margin_high", "p_true_claim", "probe_accuracy"], no_ci=bootstrap == 0)
        click.echo(trajectory_legend(result.table))
        for caution in probe_cautions(result.table):  # the probe command's, per step
            click.echo(caution, err=True)
        if copies := same_as_base(result.table):
            from beliefbench.analysis.text import listing

            one = len(copies) == 1
            click.echo(f"note: step{'' if one else 's'} {listing(copies, shown=12)} "
                       f"read{'s' if one else ''} exactly as step 0, the base (with warmup "
                       f"the first step trains at learning rate 0, so a step-1 checkpoint "
                       f"holds the base model's weights): read {'it' if one else 'them'} as "
                       f"a second baseline, not as training", err=True)
    for note in result.warnings:  # margins' cells on one pair: 0-wide CIs at every step
        click.echo(f"warning: {note}", err=True)
    if result.kept:  # a re-run printed the same table whether it measured or not
        from beliefbench.analysis.text import listing

        measured = (len(result.settings["checkpoints"]) - len(result.kept)
                    - len(result.settings.get("reused_unchecked", [])))
        click.echo(f"note: step{'s' if len(result.kept) > 1 else ''} "
                   f"{listing(result.kept, shown=12)} reused from {out_dir / 'checkpoints'} "
                   f"(same weights, tokenizer files and settings); {measured} "
                   f"checkpoint{'' if measured == 1 else 's'} measured now", err=True)
    _written(result.write(out_dir, plots=plots))
