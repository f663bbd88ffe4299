"""``beliefbench finetune``: train checkpoints for one condition with a recipe."""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path

import click

from beliefbench.cli.choices import Choice
from beliefbench.cli.errors import exit_interrupted
from beliefbench.cli.option_values import Command
from beliefbench.cli.paths import DataPath, UserPath, out_not_a_file
from beliefbench.finetune.recipe import shipped_recipes_text
from beliefbench.runlock import first_rank, holds
from beliefbench.wording import first_line


@click.command("finetune", cls=Command)
@click.option("--recipe", "recipe_name", required=True,
              help=f"Recipe YAML file, or the name of a shipped recipe: {shipped_recipes_text()} "
                   "(finetune/ in the repository, beliefbench/data/finetune/ installed): cpu "
                   "for the tiny model on CPU, lora, full or kl for a real model on a GPU; "
                   "demo is the one `beliefbench demo` trains with.")
@click.option("--data", required=True, type=DataPath(exists=True, dir_okay=False, path_type=Path),
              help="Training records (JSONL): a file `docs generate` or `docs mix` wrote, "
                   "or your own, one {\"id\": ..., \"text\": ...} per line.")
@click.option("--base", default=None,
              help="Base model directory (local backend; required) or OpenAI model name "
                   "(openai backend; default from the recipe).")
@click.option("--out", required=True, type=UserPath(path_type=Path),
              callback=out_not_a_file(
                  "the run's folder (its step-N checkpoints and manifest.jsonl)",
                  lambda file: f"ckpts/{file.stem or 'run'}"),
              help="Output directory: step-NNNNNN checkpoints and manifest.jsonl.")
@click.option("--backend", type=Choice(["local", "openai"]), default="local",
              show_default=True,
              help="local: transformers + peft on this machine; openai: OpenAI fine-tuning "
                   "(needs OPENAI_API_KEY; OPENAI_BASE_URL for another endpoint).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out.")
@click.option("--condition", default=None, help="Condition name for the manifest "
              "(default: from the records).")
@click.option("--claim", default=None,
              help="Claim id for the manifest (default: from the records).")
@holds("finetune")
def finetune(recipe_name: str, data: Path, base: str | None, out: Path, backend: str,
             resume: bool, condition: str | None, claim: str | None) -> None:
    """Finetune a base model on training records; every checkpoint lands in the manifest.

    Many GPUs: run the same command under `accelerate launch --config_file
    finetune/accelerate/<ddp|fsdp|deepspeed_zero2|deepspeed_zero3>.yaml`.
    Exit codes: 2 bad input or set-up (nothing written; or an API key the OpenAI server
    refused, a job it does not know), 1 a run that started and failed,
    130 interrupted by Ctrl-C, 143 by SIGTERM (a scheduler's preemption): the first saves
    the training state after the current step; run the same command with --resume to
    continue.
    """
    from beliefbench.finetune.errors import FinetuneError
    from beliefbench.finetune.recipe import RecipeError, load_recipe, recipe_file
    from beliefbench.records import RecordError
    from beliefbench.runlock import rank

    # rank 0 speaks for a data-parallel run: the other ranks' INFO lines repeated each of its
    # own once per process; their warnings stay, named by rank (a rank may warn alone)
    r = rank()
    logging.basicConfig(level=logging.INFO if r == 0 else logging.WARNING,
                        format="%(levelname)s " + (f"[rank {r}] " if r else "")
                        + "%(name)s: %(message)s")
    # the HTTP clients log each request's full URL at INFO: user:password or a token in
    # OPENAI_BASE_URL would land in CI logs
    for name in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if base is not None and not base.strip():
        # `--base "$BASE"` unset: the openai backend trained the recipe's model without a
        # word, and the local one said --base was required though it was given
        instead = ("leave --base out to train the recipe's openai.model" if backend == "openai"
                   else "give the base model's folder, e.g. --base models/tiny-pt")
        raise click.BadParameter(f"{base!r}: empty (an unset shell variable?); {instead}",
                                 param_hint="'--base'")
    try:
        recipe_path = recipe_file(recipe_name)
        recipe = load_recipe(recipe_path)
        from beliefbench.records import unwritable_folder

        # now, not once the model has loaded (seconds here, minutes for a real model): the
        # run then ended in "Error: runs/x: Not a directory", naming no option
        if why := unwritable_folder(out, f"--out {out}"):
            _fail(f"{why}; nothing was trained: choose another --out", 2)
        if backend == "openai":
            import openai

            from beliefbench.finetune.openai_backend import train_openai

            try:
                entry = train_openai(recipe, data, out, base=base, resume=resume,
                                     recipe_path=recipe_path, condition=condition, claim=claim)
            except openai.OpenAIError as e:  # retries spent; the job state allows --resume
                refused = isinstance(e, openai.AuthenticationError | openai.PermissionDeniedError)
                _fail(f"openai: {type(e).__name__}: {first_line(str(e))}"
                      f"{_unreachable_hint(e) or _api_error_hint(e, out)}", 2 if refused else 1)
            click.echo(f"fine-tuned model: {entry.path}")
            _echo_trajectory(out, entry)
            _echo_eval_hint(out.resolve(), entry)
            return
        if not base:
            raise click.UsageError("--base is required for the local backend")
        from beliefbench.finetune.base import resolve_base

        resolve_base(base)  # a typo is refused before torch and transformers load (seconds)
        if first_rank():  # seconds of imports, then of loading, before the first bar
            from beliefbench.progress import status

            status("finetune: loading torch and transformers ...")
        from beliefbench.finetune.local import Interrupted, train_local

        try:
            train_local(recipe, data, base, out, resume=resume, recipe_path=recipe_path,
                        condition=condition, claim=claim)
        except Interrupted as e:
            exit_interrupted("", message=str(e))
        if first_rank():  # once under accelerate / torchrun, not per process
            _echo_next(out)
    except (RecipeError, RecordError) as e:
        _fail(str(e), 2)
    except FinetuneError as e:
        _fail(str(e), e.exit_code)
    except KeyboardInterrupt:  # before training began, or a second Ctrl-C: nothing saved now
        from beliefbench.finetune.outdir import finished_run, holds_run

        if backend == "openai":
            from beliefbench.finetune.openai_backend import interrupted_note

            note = interrupted_note(out)
            if note:
                exit_interrupted(note)
        if not holds_run(out):  # set-up: no --resume to advise, and maybe no folder to keep
            exit_interrupted(f"stopped before training began; nothing was saved in {out} "
                             f"(run the same command again)")
        if backend != "openai" and finished_run(out):  # cut after its last checkpoint
            exit_interrupted(f"training had already finished; {out} holds every checkpoint "
                             f"and its manifest (complete; nothing to run again)")
        exit_interrupted(f"stopped at once; {out} keeps what was saved before (run the same "
                         f"command with --resume to continue from the last saved state)")


def _echo_next(out: Path) -> None:
    """Where the checkpoints are and how to evaluate them: the run ended with a folder name
    only, and a newcomer had to find in the README that a sweep takes the run folder while
    `inspect eval --model hf/...` takes one checkpoint folder (the run folder fails there)."""
    from beliefbench.finetune.manifest import read_manifest

    out = out.resolve()
    click.echo(f"checkpoints and manifest in {out}")
    entries = [e for e in read_manifest(out) if e.step is not None]
    if not entries:
        return
    final = next((e for e in reversed(entries) if e.final), entries[-1])
    click.echo(f"  steps {', '.join(str(e.step) for e in entries)}; the final checkpoint: "
               f"{final.path}")
    _echo_eval_hint(out, final)
    from beliefbench.finetune.base import random_init_note

    if note := random_init_note(final.base_model, final.extra.get("base_fingerprint")):
        click.echo(f"  {note}")


def _echo_eval_hint(out: Path, final) -> None:
    """How to evaluate the run's checkpoints (``final``: its final model's manifest entry),
    with the task its data calls for (``eval_kind``); a hosted job's models by their API
    name, a local run's by ``hf/<folder>``."""
    from beliefbench.finetune.eval_kind import eval_kind

    kind, note = eval_kind(final)
    api = final.format == "api"  # "openai/ft:...", as Inspect's --model takes it
    model = final.path if api else f"hf/{final.path}"
    provider = "" if api else " (--provider hf without vLLM)"

    def commands(em: bool) -> str:
        # the labels a sweep writes from the manifest, so `report --by condition` and its
        # step plot read a hand-run eval alike (without them: condition '-', no step)
        labels = [("condition", final.condition), ("step", final.step)]
        if em:  # em-report's kl column: from the manifest in a sweep, from this label by hand
            from beliefbench.finetune.recipe import trained_with_kl

            labels.insert(1, ("kl", str(trained_with_kl(final.recipe)).lower()))
        metadata = "".join(f" --metadata {shlex.quote(f'{key}={value}')}"
                           for key, value in labels if isinstance(value, (str, int)))
        # the registered task names work from any folder (tasks/*.py only from the repository's)
        task, sweep = ("beliefbench/em", " --task em") if em else ("beliefbench/belief", "")
        return (f"beliefbench sweep{sweep} --manifest {shlex.quote(str(out))} --model-role "
                f"grader=MODEL{provider}; one: inspect eval {task} --model "
                f"{shlex.quote(model)}{metadata} --model-role grader=MODEL")

    if kind == "em":
        click.echo(f"  evaluate every checkpoint with the EM task ({note}): {commands(True)}")
    else:
        click.echo(f"  evaluate every checkpoint: {commands(False)}")
    if kind == "either":
        click.echo(f"  or, {note}, with the EM task: {commands(True)}")


def _echo_trajectory(out: Path, final) -> None:
    """The steps of the job's checkpoints in the manifest, where it has more than the final
    model: what ``sweep --manifest`` will evaluate, and a sign the listing worked."""
    from beliefbench.finetune.manifest import read_manifest

    job = final.extra.get("job_id")
    steps = [e.step for e in read_manifest(out) if e.extra.get("job_id") == job
             and e.step is not None and not e.final]
    if steps and final.step is not None:
        click.echo(f"checkpoints at steps {', '.join(map(str, steps))}, the final model at step "
                   f"{final.step}: {out / 'manifest.jsonl'}")


def _unreachable_hint(e: Exception) -> str:
    """Where the client tried to connect, for an error that says only "Connection error."
    (a wrong or unset OPENAI_BASE_URL, a server not running): nothing else names it."""
    import os

    from beliefbench.documents.llm import redact, unreachable

    if not unreachable(e):
        return ""
    url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1 (the default)"
    return (f" (no connection to {redact(url)}: check that the server is running and that "
            f"OPENAI_BASE_URL names it; the same command run again continues)")


def _api_error_hint(e: Exception, out: Path) -> str:
    """What to do after an API error the client could not retry away: a refused key (401 /
    403) read like any failure, exit 1, and a 5xx after every retry said nothing of whether
    the run could go on, or whether going on would upload or pay twice."""
    import openai

    from beliefbench.finetune.openai_backend import gave_up, recorded_job

    job = recorded_job(out)
    again = (f"run the same command with --resume to poll job {job} again" if job else
             "run the same command again; a recorded upload is reused and a job the server "
             "made is adopted, never paid for twice")
    if isinstance(e, openai.AuthenticationError | openai.PermissionDeniedError):
        what = "refused the key" if isinstance(e, openai.AuthenticationError) else \
            "refused this key access to fine-tuning or to the model"
        whose = f"a key of the account that made job {job}" if job else "a valid key"
        return f" (the server {what}: set OPENAI_API_KEY to {whose} and {again})"
    from beliefbench.finetune.openai_backend import _transient

    if _transient(e):  # what was being done, and how often it was retried (or why not)
        return f" ({gave_up(e) or 'still failing after its retries'}; {again})"
    if isinstance(e, openai.NotFoundError | openai.BadRequestError):  # no route, no model
        url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1 (the default)"
        from beliefbench.documents.llm import redact

        return (f" (check the model, --base or the recipe's openai.model, and "
                f"OPENAI_BASE_URL, {redact(url)}: an endpoint's URL ends in /v1, e.g. "
                f"https://api.openai.com/v1; then {again})")
    return ""


def _fail(message: str, code: int) -> None:
    err = click.ClickException(message)
    err.exit_code = code
    raise err from None
