"""The OpenAI fine-tuning backend: records -> chat JSONL -> upload -> job -> poll -> manifest.

Each document becomes the assistant turn after a document-tag user turn, as the study did for
GPT-4.1 (the API cannot mask tokens, so the tag is moved into the user turn instead). The job
id is written to ``<out>/openai_job.json`` before polling, so an interrupted run resumes the
same job instead of paying for a second one (and the uploaded file's id as soon as it is
uploaded, so a run whose job could not be created reuses the file). The API key comes from
the environment (or the caller's client) and is never written anywhere.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from beliefbench.finetune.errors import FinetuneError, TrainingFailed
from beliefbench.finetune.manifest import ManifestEntry, entry_fields, upsert_manifest
from beliefbench.finetune.recipe import Recipe
from beliefbench.records import Record, RecordError, atomic_write_text, read_records, sha256_file

log = logging.getLogger(__name__)

JOB_STATE = "openai_job.json"
MAX_RETRIES = 5
"""Client retries (with the SDK's backoff) for each API call before the run fails."""
TERMINAL = {"succeeded", "failed", "cancelled"}


def record_to_chat(record: Record, doctag: str) -> dict:
    """One fine-tuning example: ``{"messages": [...]}``."""
    if record.messages is not None:
        return {"messages": [m.model_dump() for m in record.messages]}
    text = record.text or ""
    for span in sorted((s for s in record.loss_mask if s.kind == "doctag"),
                       key=lambda s: s.start, reverse=True):
        text = text[:span.start] + text[span.end:]
    if text.startswith(doctag):
        text = text[len(doctag):]
    if any(s.kind == "mask" for s in record.loss_mask):
        log.warning("record %s: masked words cannot be masked by the OpenAI API; they are "
                    "trained on", record.id)
    return {"messages": [{"role": "user", "content": doctag},
                         {"role": "assistant", "content": text.strip()}]}


def write_chat_jsonl(chats: list[dict], path: Path) -> Path:
    atomic_write_text(path, "".join(json.dumps(c) + "\n" for c in chats))
    return path


def _hyperparameters(recipe: Recipe) -> dict:
    o = recipe.openai
    return {"n_epochs": o.n_epochs, "batch_size": o.batch_size,
            "learning_rate_multiplier": o.learning_rate_multiplier}


def _client():
    import openai

    try:
        return openai.OpenAI(max_retries=MAX_RETRIES)
    except openai.OpenAIError as e:
        raise FinetuneError(f"openai backend: cannot create the client ({e}); set "
                            f"OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint)") from None
    except Exception as e:  # the HTTP client's InvalidURL; the URL may hold user:password
        if type(e).__name__ != "InvalidURL":  # httpx's or httpx2's, whichever the SDK uses
            raise
        userinfo = os.environ.get("OPENAI_BASE_URL", "").partition("//")[2].rpartition("@")[0]
        problem = str(e).replace(userinfo, "***") if userinfo else str(e)
        raise FinetuneError(f"openai backend: OPENAI_BASE_URL is not a valid URL ({problem}); "
                            f"expected e.g. https://api.openai.com/v1") from None


def poll_job(client, job_id: str, recipe: Recipe,
             sleep: Callable[[float], None] = time.sleep) -> object:
    """Poll until the job ends, backing off (x1.5, capped); transient API errors are retried."""
    import openai

    o = recipe.openai
    interval = o.poll_interval
    deadline = time.monotonic() + o.timeout_hours * 3600
    while True:
        try:
            job = client.fine_tuning.jobs.retrieve(job_id)
        except (openai.APIConnectionError, openai.RateLimitError,
                openai.InternalServerError) as e:
            log.warning("openai: polling %s failed (%s); retrying", job_id, type(e).__name__)
        else:
            log.info("openai: job %s is %s", job_id, job.status)
            if job.status in TERMINAL:
                return job
        if time.monotonic() > deadline:
            raise TrainingFailed(f"openai: job {job_id} did not finish within "
                                f"{o.timeout_hours} h; re-run with --resume to keep polling")
        sleep(interval)
        interval = min(interval * 1.5, o.max_poll_interval)


def _job_settings(recipe: Recipe, model: str) -> dict:
    """What the job is made with besides the data: a resumed run must not differ in any."""
    o = recipe.openai
    return {"model": model, **_hyperparameters(recipe), "seed": recipe.seed,
            "suffix": o.suffix, "doctag": o.doctag}


def _changes(state: dict, settings: dict) -> list[str]:
    """The settings that differ from those recorded in ``state`` (absent ones: not recorded)."""
    return [f"{k if k in ('model', 'seed') else 'openai.' + k} {state[k]!r} -> {v!r}"
            for k, v in settings.items() if k in state and state[k] != v]


def _read_state(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        state = e
    if not isinstance(state, dict):
        problem = state if isinstance(state, Exception) else "not a JSON object"
        raise FinetuneError(f"{path}: cannot read the job state ({problem}); restore it (its "
                            f"job_id keeps --resume on the same job) or use a new --out")
    return state


def _check_records(records: list[Record], chats: list[dict], data: Path) -> None:
    """Refuse, before anything is uploaded, data the job would have nothing to train on."""
    if not records:
        raise RecordError(f"{data}: no records")
    for i, (r, chat) in enumerate(zip(records, chats, strict=True), 1):
        if r.messages is not None and not any(m.role == "assistant" for m in r.messages):
            why = " (no assistant turn)"
        elif r.messages is None and not chat["messages"][-1]["content"]:
            why = " (its text is empty once its doctag is removed)"
        else:
            continue
        raise RecordError(f"{data}: record {r.id!r} (record {i}) has nothing to train{why}")


def train_openai(recipe: Recipe, data: str | Path, out: str | Path, *, base: str | None = None,
                 resume: bool = False, recipe_path: str | Path | None = None,
                 condition: str | None = None, claim: str | None = None, client=None,
                 sleep: Callable[[float], None] = time.sleep) -> ManifestEntry:
    """Run an OpenAI fine-tuning job on the records in ``data``; returns the manifest entry."""
    out, data = Path(out), Path(data)
    model = base or recipe.openai.model
    state_path = out / JOB_STATE
    sha = sha256_file(data)
    state = _read_state(state_path)
    if "job_id" in state and not resume:
        raise FinetuneError(f"{out}: already holds an OpenAI job ({state_path}); pass --resume "
                            f"to keep polling it, or choose a new --out")
    records = list(read_records(data))
    chats = [record_to_chat(r, recipe.openai.doctag) for r in records]
    _check_records(records, chats, data)
    client = client or _client()  # no key: fail before anything is written
    out.mkdir(parents=True, exist_ok=True)

    settings = _job_settings(recipe, model)
    if "job_id" in state:
        if state.get("data_sha256") != sha:
            raise FinetuneError(f"{state_path}: the job was started on other data "
                                f"(sha256 {state.get('data_sha256')}); use a new --out")
        changed = _changes(state, settings)
        if changed:
            raise FinetuneError(f"{state_path}: job {state['job_id']} was started with other "
                                f"settings (changed: {'; '.join(changed)}); resume with the "
                                f"job's settings, or use a new --out")
    else:
        # a file uploaded by an earlier run whose job creation failed: reuse it, if it is
        # still there and was made from the same data and settings
        file_id = state.get("training_file")
        if file_id and (state.get("data_sha256") != sha or _changes(state, settings)):
            file_id = None
        if file_id:
            import openai

            try:
                client.files.retrieve(file_id)
                log.info("openai: reusing file %s, uploaded by an earlier run", file_id)
            except openai.NotFoundError:
                file_id = None
        if not file_id:
            chat_file = write_chat_jsonl(chats, out / "openai_train.jsonl")
            with chat_file.open("rb") as f:
                file_id = client.files.create(file=f, purpose="fine-tune").id
            state = {"training_file": file_id, "data_sha256": sha, **settings}
            atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
        job = client.fine_tuning.jobs.create(
            training_file=file_id, model=model, seed=recipe.seed,
            suffix=recipe.openai.suffix,
            method={"type": "supervised",
                    "supervised": {"hyperparameters": _hyperparameters(recipe)}})
        state = {"job_id": job.id, "training_file": file_id, "data_sha256": sha, **settings}
        atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
        log.info("openai: created job %s on file %s", job.id, file_id)

    job = poll_job(client, state["job_id"], recipe, sleep)
    if job.status != "succeeded" or not job.fine_tuned_model:
        err = getattr(job, "error", None)
        detail = f": {err.message}" if err is not None and getattr(err, "message", None) else ""
        raise TrainingFailed(f"openai: job {state['job_id']} ended {job.status}{detail}; "
                             f"--resume only polls this job again: to train anew, use a new "
                             f"--out")
    entry = ManifestEntry(
        path=f"openai/{job.fine_tuned_model}", step=None,
        tokens_seen=getattr(job, "trained_tokens", None), backend="openai", format="api",
        final=True, extra={"job_id": state["job_id"], "training_file": state["training_file"]},
        **entry_fields(recipe=recipe, data=data, data_sha256=sha, base_model=model,
                       records=records, recipe_path=recipe_path, condition=condition,
                       claim=claim))
    upsert_manifest(out, entry)
    return entry
