"""The OpenAI fine-tuning backend: records -> chat JSONL -> upload -> job -> poll -> manifest.

Each document becomes the assistant turn after a document-tag user turn, as the study did for
GPT-4.1 (the API cannot mask tokens, so the tag is moved into the user turn instead). The job
id is written to ``<out>/openai_job.json`` before polling, so an interrupted run resumes the
same job instead of paying for a second one (and the uploaded file's id as soon as it is
uploaded, so a run whose job could not be created reuses the file). The API key comes from
the environment (or the caller's client) and is never written anywhere.

An upload is not repeated blindly either (``_upload``): the file is named for its chats, and
after a failed try, or a run stopped during the upload, a copy the server kept is found in the
file list and used.

Job creation carries no idempotency key, so it is never retried blindly: a create that failed
(a 5xx or timeout may come after the server made the job), or a run killed before it wrote
the job id, is followed by a look at the job list, and a live job on the run's uploaded file,
tagged with the run's data and settings (metadata ``beliefbench_run``), is adopted instead of
paying for a second.

Every API call is retried by one loop (``_retrying``; the SDK's own retries are off, they
ran unseen): a transient failure (connection, timeout, 408/409/429, 5xx) is retried up to
the client's ``max_retries`` times, waiting as the answer's ``Retry-After`` asks (seconds or
an HTTP date; one longer than ``MAX_RETRY_WAIT`` ends the call at once, saying when to run
again) or else backing off 0.5 s, 1 s, 2 s ... 8 s, each retry logged with its status, count
and wait. Polling (``poll_job``) is the one exception: it rides failures out to the
deadline, waiting at least as long as a ``Retry-After`` asks.

A job that succeeds is recorded as a trajectory, as the local backend records its steps: each
checkpoint the job lists (OpenAI keeps one at the end of each of the last few epochs) at its
step, and the final model at the job's last step, the step of its last checkpoint, whose
weights it is (that checkpoint is folded into the final model's line, never swept twice). A
server that cannot list them (404) leaves the final model alone, its step unknown, after one
warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from beliefbench.finetune.errors import FinetuneError, TrainingFailed
from beliefbench.finetune.manifest import (
    ManifestEntry,
    entry_fields,
    read_manifest,
    upsert_manifest,
)
from beliefbench.finetune.outdir import JOB_STATE, OPENAI_TRAIN, check_out
from beliefbench.finetune.recipe import Recipe, trained_with_kl
from beliefbench.records import (
    Record,
    RecordError,
    atomic_write_text,
    read_records,
    repeated_ids,
    repeated_ids_note,
    sha256_file,
)
from beliefbench.redaction import url_shown
from beliefbench.resources import user_path
from beliefbench.wording import first_line, plural

if TYPE_CHECKING:
    from openai.types.fine_tuning import FineTuningJob
    from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RETRIES = 5
"""Retries of each API call before the run fails (the client's ``max_retries``, which
``_retrying`` spends; the SDK's own retries are never used)."""
MAX_RETRY_WAIT = 120.0
"""The longest wait before a retry, in seconds. A ``Retry-After`` asking more ends the call
at once, saying when to run again (as the SDK, which does not retry it either): a run that
waited an hour, or retried sooner than asked, would only be refused again."""
POLL_TIMEOUT = 60.0
"""Seconds each poll of the job may take: a job's status is a few hundred bytes, and the
SDK's default (600 s, each of its retries again) let a server that hung on a poll hold the
run silently for an hour, past ``openai.timeout_hours``."""
STATUS_EVERY = 600.0
"""Seconds between two lines saying the same job status: a status is said when it changes,
and one that lasts (a job running for hours) again at this pace, not at every poll."""
TERMINAL = {"succeeded", "failed", "cancelled"}
RUN_KEY = "beliefbench_run"
"""Job metadata naming the data and settings a job was created for (see ``_run_key``)."""


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
    return {"messages": [{"role": "user", "content": doctag},
                         {"role": "assistant", "content": text.strip()}]}


def write_chat_jsonl(chats: list[dict], path: Path) -> Path:
    atomic_write_text(path, "".join(json.dumps(c) + "\n" for c in chats))
    return path


def _hyperparameters(recipe: Recipe) -> dict:
    o = recipe.openai
    return {"n_epochs": o.n_epochs, "batch_size": o.batch_size,
            "learning_rate_multiplier": o.learning_rate_multiplier}


def _base_url_problem(url: str) -> str | None:
    """Why ``url`` (OPENAI_BASE_URL) names no server, without its ``user:password``, or
    None. The HTTP client takes ``localhost:8000/v1``, ``http:///v1`` or ``http://[bad``
    when the client is made and fails each request: after every retry the run said "no
    connection ... check that the server is running", about a URL that names no server."""
    if not url:
        return None  # unset or empty: the SDK's default endpoint
    shown = _redact(url_shown(url), None)  # an API key pasted here (as OPENAI_API_KEY too)
    if any(ch.isspace() for ch in url):
        return f"{shown!r}: it holds whitespace"
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as e:
        return f"{shown}: {e}"
    if parts.scheme not in ("http", "https"):
        return f"{shown}: it must start with http:// or https://"
    if not parts.hostname:
        return f"{shown}: no host name"
    return None


def _endpoint_said() -> str:
    """Which endpoint the key is for: the one OPENAI_BASE_URL names where it is set (its
    credentials left out), else where it would go, and how to name another."""
    url = os.environ.get("OPENAI_BASE_URL", "")
    if url:
        return f"for the endpoint OPENAI_BASE_URL names: {url_shown(url)}"
    return ("for https://api.openai.com/v1; set OPENAI_BASE_URL to name another "
            "endpoint")


def _client():
    import openai

    from beliefbench.solver import key_problem

    problem = key_problem(os.environ.get("OPENAI_API_KEY"))
    if problem:
        raise FinetuneError(f"openai backend: OPENAI_API_KEY holds {problem}")
    problem = _base_url_problem(os.environ.get("OPENAI_BASE_URL", ""))
    if problem:
        raise FinetuneError(f"openai backend: OPENAI_BASE_URL is not a valid URL ({problem}); "
                            f"expected e.g. https://api.openai.com/v1")
    try:  # max_retries: the count _retrying spends; each request is sent without the SDK's
        return openai.OpenAI(max_retries=MAX_RETRIES)
    except openai.OpenAIError as e:
        if not os.environ.get("OPENAI_API_KEY"):  # the SDK's words list keys no job takes
            said = "is empty" if "OPENAI_API_KEY" in os.environ else "is not set"
            raise FinetuneError(f"openai backend: OPENAI_API_KEY {said} (nothing was uploaded):"
                                f" export OPENAI_API_KEY=<an API key of the account to train "
                                f"and bill> and run the same command again ("
                                f"{_endpoint_said()})") from None
        said = _redact(str(e), None)  # a key the SDK's words may quote
        raise FinetuneError(f"openai backend: cannot create the client ({said}); set "
                            f"OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint)") from None
    except Exception as e:  # the HTTP client's InvalidURL; the URL may hold user:password
        if type(e).__name__ != "InvalidURL":  # httpx's or httpx2's, whichever the SDK uses
            raise
        said = _redact(str(e), None)  # its user:password (and keys), as any error's
        raise FinetuneError(f"openai backend: OPENAI_BASE_URL is not a valid URL ({said}); "
                            f"expected e.g. https://api.openai.com/v1") from None


def poll_job(client, job_id: str, recipe: Recipe,
             sleep: Callable[[float], None] = time.sleep) -> object:
    """Poll until the job ends, backing off (x1.5, capped); transient API errors are retried
    until the deadline, each after at least the wait its ``Retry-After`` asks (up to
    ``MAX_RETRY_WAIT``).

    This loop is the only retry: each poll is sent once and ends within ``POLL_TIMEOUT`` and
    the deadline (the SDK's retries, each with its own timeout, let a hung server hold the
    run for an hour without a word, past ``timeout_hours``).
    """
    import openai

    o = recipe.openai
    interval = o.poll_interval
    deadline = time.monotonic() + o.timeout_hours * 3600
    failures = 0  # in a row: a poll answered starts the count again
    began = time.monotonic()
    said, said_at = None, 0.0  # the status last logged, and when
    while True:
        wait = min(POLL_TIMEOUT, max(deadline - time.monotonic(), 0.1))
        pause = interval
        try:
            job = client.with_options(timeout=wait, max_retries=0).fine_tuning.jobs.retrieve(
                job_id)
        except openai.APIError as e:
            if not _transient(e):  # 401, 403, 404, 400: no retry makes them pass
                raise
            failures += 1
            left = max(deadline - time.monotonic(), 0.0)
            asked = _retry_after(e)
            if asked is not None and asked > interval:  # never sooner than the server asks
                pause = min(asked, MAX_RETRY_WAIT)
            else:
                asked = None  # the poll's own interval is the longer wait
            why = (f"no answer within {wait:.3g} s (the server may be stuck or overloaded)"
                   if isinstance(e, openai.APITimeoutError) else _failure(e))
            log.warning("openai: polling %s: %s; retry %d in %s%s, polling on for up to %.2g h "
                        "(openai.timeout_hours)", job_id, why, failures,
                        _seconds(min(pause, left)),
                        "" if asked is None else " (the server's Retry-After)",
                        left / 3600)
        else:
            failures = 0
            now = time.monotonic()
            if job.status != said:
                log.info("openai: job %s: %s", job_id, job.status)
                said, said_at = job.status, now
            elif now - said_at >= STATUS_EVERY:
                log.info("openai: job %s: still %s (polling for %s)", job_id, job.status,
                         _seconds(now - began))
                said_at = now
            if job.status in TERMINAL:
                return job
        if time.monotonic() > deadline:
            raise TrainingFailed(
                f"openai: job {job_id} did not finish within {o.timeout_hours} h; only the "
                f"polling stopped: the job keeps training on OpenAI's side, and is billed. "
                f"Run the same command with --resume to poll it again and write the manifest "
                f"(a larger openai.timeout_hours in the recipe waits longer); "
                f"{_cancel_hint(job_id)}")
        sleep(min(pause, max(deadline - time.monotonic(), 0.0)))  # the last poll at it
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


def _run_key(sha: str, settings: dict) -> str:
    """A tag for the job of this data and these settings: a job bearing it on the run's file
    was created by this run or an earlier one of the same command, never another."""
    blob = json.dumps({"data_sha256": sha, **settings}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _stated_hyperparameters(job: FineTuningJob) -> dict:
    """The hyperparameters a job object states (the method's, else the legacy field)."""
    method = getattr(getattr(job, "method", None), "supervised", None)
    for hp in (getattr(method, "hyperparameters", None), getattr(job, "hyperparameters", None)):
        if hp is not None:
            return {k: v for k, v in hp.model_dump().items() if v is not None}
    return {}


def _is_ours(job: FineTuningJob, file_id: str, key: str, model: str, recipe: Recipe) -> bool:
    """Whether ``job`` is one this run would create and can still use.

    On the run's uploaded file and not failed or cancelled; tagged with this run's key, or,
    from a server that keeps no metadata, on the same model with no hyperparameter or seed
    stated otherwise ("auto" in the recipe accepts the value the server chose).
    """
    if job.training_file != file_id or job.status in ("failed", "cancelled"):
        return False
    tag = (getattr(job, "metadata", None) or {}).get(RUN_KEY)
    if tag is not None:
        return tag == key
    if job.model != model:
        return False
    stated = _stated_hyperparameters(job)
    if recipe.seed is not None and getattr(job, "seed", None) not in (None, recipe.seed):
        return False
    return all(v == "auto" or stated.get(k) in (None, v)
               for k, v in _hyperparameters(recipe).items())


def _find_job(client, file_id: str, since: int | None, key: str, model: str,
              recipe: Recipe) -> FineTuningJob | None:
    """The earliest job of ours (``_is_ours``) on ``file_id``, or None.

    The list is newest first, and no job on the file predates its upload (``since``), so
    the paging stops there.
    """
    found = []
    for job in client.fine_tuning.jobs.list(limit=100):
        if since is not None and job.created_at < since:
            break
        if _is_ours(job, file_id, key, model, recipe):
            found.append(job)
    if not found:
        return None
    found.sort(key=lambda j: j.created_at)
    if len(found) > 1:
        log.warning("openai: %d jobs were created on file %s for this run (%s); adopting %s, "
                    "the first: cancel the others to stop paying for them", len(found),
                    file_id, ", ".join(j.id for j in found), found[0].id)
    return found[0]


def _failure(e: Exception) -> str:
    """A failed request in a few words: ``HTTP 503 Service Unavailable``, or the exception's
    class and its cause for one that got no answer (``APIConnectionError ([Errno -2] Name or
    service not known)``): the class alone said "InternalServerError" for a 503 and named no
    status, and "APIConnectionError" alone not whether the host was unknown, refused the
    connection or hung up."""
    import http

    status = getattr(e, "status_code", None)
    if not isinstance(status, int):
        cause = str(e.__cause__ or "").strip().partition("\n")[0]
        return f"{type(e).__name__} ({_redact(cause, None, e)})" if cause else \
            type(e).__name__
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _transient(e: Exception) -> bool:
    """An error the SDK would retry (connection, timeout, 408/409/429, 5xx): the request
    may or may not have been carried out."""
    import openai

    from beliefbench.documents.llm import RETRIED_4XX

    if isinstance(e, openai.APIConnectionError):  # APITimeoutError included
        return True
    return isinstance(e, openai.APIStatusError) and (e.status_code in RETRIED_4XX
                                                     or e.status_code >= 500)


def _retry_after(e: Exception) -> float | None:
    """The seconds a failed answer asks the client to wait (``retry-after-ms``, or
    ``Retry-After`` in seconds or as an HTTP date), or None where it asks none, or no wait
    (0, a date past: the backoff applies, as the SDK's, never five tries in a row at once),
    or none that can be read."""
    import email.utils

    headers = getattr(getattr(e, "response", None), "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            if name == "retry-after-ms":
                continue
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:  # an HTTP date is GMT
                when = when.replace(tzinfo=dt.UTC)
            seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
        if math.isnan(seconds):
            continue
        return seconds if seconds > 0 else None
    return None


def _seconds(wait: float) -> str:
    """A wait as ``0.5 s``, ``30 s``, ``25 min``, ``2 h 5 min`` (a hosted job polled for a
    day read ``1440 min``; ``forever`` for ``Retry-After: inf``)."""
    if math.isinf(wait):
        return "forever"
    if wait >= 7200:
        hours, minutes = divmod(round(wait / 60), 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{wait:.2g} s" if wait < 10 else f"{wait:.0f} s" if wait < 600 else \
        f"{wait / 60:.0f} min"


def gave_up(e: BaseException) -> str | None:
    """Why ``_retrying`` let ``e`` end the call (``uploading ...: still failing after 5
    retries``, or a ``Retry-After`` longer than a run waits), or None for an error it did not
    give up on."""
    return getattr(e, "_beliefbench_gave_up", None)


def _retrying(client, what: str | Callable[[], str], call: Callable[[object], T],
              sleep: Callable[[float], None], then: str | Callable[[], str] = "") -> T:
    """``call(once)``, ``once`` being ``client`` without the SDK's retries, retried after each
    transient failure (``_transient``) up to ``client.max_retries`` times: the one retry
    policy of every hosted call but the poll's (see the module docstring). Each retry is
    logged as ``openai: <what>: HTTP 429 Too Many Requests; retry 1 of 5 in 30 s (the
    server's Retry-After)<then>``; the error it gives up on says why (``gave_up``).
    ``what`` and ``then`` may be callables, for a call of several steps (read when logged)."""
    import openai

    retries = max(0, int(getattr(client, "max_retries", MAX_RETRIES)))
    once = client.with_options(max_retries=0)
    for attempt in range(retries + 1):
        try:
            return call(once)
        except openai.APIError as e:
            if not _transient(e):
                raise
            doing = what() if callable(what) else what
            asked = _retry_after(e)
            if asked is not None and asked > MAX_RETRY_WAIT:
                until = "" if asked > 366 * 86400 else ": wait until " + (
                    dt.datetime.now(dt.UTC) + dt.timedelta(seconds=asked)
                ).strftime("%Y-%m-%d %H:%M UTC")
                e._beliefbench_gave_up = (  # type: ignore[attr-defined]
                    f"{doing}: the server asks to wait {_seconds(asked)} (Retry-After) "
                    f"before another try, longer than a run waits between tries "
                    f"({_seconds(MAX_RETRY_WAIT)}){until}")
                raise
            if attempt == retries:
                e._beliefbench_gave_up = (  # type: ignore[attr-defined]
                    f"{doing}: still failing after {plural(retries, 'retry', 'retries')}")
                raise
            wait = _backoff(attempt) if asked is None else asked
            log.warning("openai: %s: %s; retry %d of %d in %s%s%s", doing, _failure(e),
                        attempt + 1, retries, _seconds(wait),
                        "" if asked is None else " (the server's Retry-After)",
                        then() if callable(then) else then)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _backoff(attempt: int) -> float:
    """The wait before retry ``attempt + 1`` where the server asks none: 0.5 s, doubling
    to 8 s (the SDK's)."""
    return min(0.5 * 2 ** attempt, 8.0)


def _create_job(client, file_id: str, since: int | None, key: str, model: str,
                recipe: Recipe, look_first: bool, sleep: Callable[[float], None]
                ) -> FineTuningJob:
    """Create the job, or adopt the one an earlier run or attempt created.

    The SDK would retry a create that failed with a 5xx or a timeout, and the server may
    have made the job before failing: each try (``_retrying``) reads the job list before it
    creates, after a failed try, and the job of ours found there is adopted. ``look_first``:
    the file comes from an earlier run, which may have created the job and been stopped
    before recording it, so the first try reads the list too.
    """
    import openai

    failed: Exception | None = None  # the last create that failed
    doing = "creating the job"

    def attempt(once) -> FineTuningJob:
        nonlocal failed, doing
        if look_first or failed is not None:
            doing = (f"reading the job list for a job on file {file_id}"
                     + (" that the failed try may have made" if failed is not None else ""))
            job = _find_job(once, file_id, since, key, model, recipe)
            if job is not None:
                by = "an earlier run" if failed is None else "the failed attempt"
                log.warning("openai: adopting job %s created by %s on file %s (status %s)",
                            job.id, by, file_id, job.status)
                return job
        doing = "creating the job"
        try:
            return once.fine_tuning.jobs.create(
                training_file=file_id, model=model, seed=recipe.seed,
                suffix=recipe.openai.suffix, metadata={RUN_KEY: key},
                method={"type": "supervised",
                        "supervised": {"hyperparameters": _hyperparameters(recipe)}})
        except openai.APIError as e:
            failed = e
            raise

    try:
        return _retrying(client, lambda: doing, attempt, sleep,
                         lambda: "; the job list is read first: a job the failed try made is "
                                 "adopted, never created twice" if doing == "creating the job"
                         else "")
    except openai.OpenAIError as e:
        if failed is None or e is failed:
            raise
        raise TrainingFailed(
            f"openai: creating the job on file {file_id} failed ({_failure(failed)}) and the "
            f"job list could not be read ({_failure(e)}) to see whether the server made it "
            f"anyway; run the same command again: it adopts such a job instead of creating "
            f"a second") from None


def _delete_hint(file_ids: list[str]) -> str:
    """How to delete files the run uploaded and will not use (storage, not billing)."""
    ids = ", ".join(repr(i) for i in file_ids)
    return (f"delete {'it' if len(file_ids) == 1 else 'them'} in the OpenAI dashboard (Storage, "
            f"Files) or run python -c \"import openai; c = openai.OpenAI(); "
            f"[c.files.delete(i) for i in ({ids},)]\"")


def _uploaded_copies(client, name: str, size: int, warned: list) -> list:
    """The fine-tune files on the server named ``name`` and ``size`` bytes, oldest first: the
    copies uploads of these chats left (the name holds the chats' sha256), or [] when the
    file list cannot be read (after one warning: uploading again costs only storage).

    Read once, by one of the upload's tries (whose next try reads it again), and warned of
    once (``warned``, a run's: a server that cannot be reached failed each retry's upload and
    list alike, and said so twice a retry). Iterating the SDK's page reads every page (each
    asking ``after`` the last file's id), newest first."""
    import openai

    try:
        files = list(client.with_options(timeout=POLL_TIMEOUT).files.list(purpose="fine-tune"))
    except openai.APIError as e:
        if not warned:
            log.warning("openai: the file list could not be read (%s) to look for a copy of %s "
                        "left by an interrupted upload; uploading it again", _failure(e), name)
            warned.append(e)
        return []
    found = [f for f in files if f.filename == name and f.bytes == size
             and getattr(f, "status", None) not in ("error", "deleted")]
    return sorted(found, key=lambda f: f.created_at)


def _upload(client, chat_file: Path, state: dict, state_path: Path, fields: dict,
            sleep: Callable[[float], None]):
    """Upload the chats as ``beliefbench-<sha256 of the chats>.jsonl``, or reuse the copy an
    interrupted upload of the same chats left on the server.

    A 5xx, timeout or Ctrl-C may come after the server stored the file, and the SDK's own
    retries uploaded it again: the copies it kept were named nowhere, never reused. So each
    try (``_retrying``) is sent once; before another, and on a run whose state says an
    upload of these chats was cut off (``uploading``), the file list is read, and a copy
    found is used (any further copies named, to delete).
    """
    content = chat_file.read_bytes()
    name = f"beliefbench-{hashlib.sha256(content).hexdigest()[:16]}.jsonl"
    look = state.get("uploading") == name
    atomic_write_text(state_path, json.dumps({"uploading": name, **fields}, indent=2) + "\n")

    warned: list = []  # the file list's failure, once warned of

    def attempt(once):
        nonlocal look
        if look and (found := _uploaded_copies(once, name, len(content), warned)):
            log.warning("openai: reusing file %s (%s), which an interrupted upload left on "
                        "the server", found[0].id, name)
            if len(found) > 1:
                extra = [f.id for f in found[1:]]
                log.warning("openai: %d more copies of %s are on the server (%s), left by "
                            "interrupted uploads and not used: %s", len(extra), name,
                            ", ".join(extra), _delete_hint(extra))
            return found[0]
        look = True  # a try that fails may leave a copy: the next reads the list first
        with chat_file.open("rb") as f:
            return once.files.create(file=(name, f), purpose="fine-tune")

    return _retrying(client, f"uploading {name}", attempt, sleep,
                     "; the file list is read first: a copy the server kept is used, not "
                     "uploaded again")


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
    """Refuse, before anything is uploaded, data the job would have nothing to train on, and
    in-context bundles (made for the belief task's context)."""
    from beliefbench.documents.bundles import refuse_training_on_bundle

    if not records:
        from beliefbench.finetune.data import NO_RECORDS_HINT

        raise RecordError(f"{data}: no records{NO_RECORDS_HINT}")
    for i, (r, chat) in enumerate(zip(records, chats, strict=True), 1):
        refuse_training_on_bundle(r, f"{data}: record {r.id!r} (record {i})")
        if r.messages is not None and not any(m.role == "assistant" for m in r.messages):
            why = " (no assistant turn)"
        elif r.messages is not None and not any(m.role == "assistant" and m.content.strip()
                                                for m in r.messages):
            why = " (its assistant turns are empty)"
        elif r.messages is None and not chat["messages"][-1]["content"]:
            why = " (its text is empty once its doctag is removed)"
        else:
            continue
        raise RecordError(f"{data}: record {r.id!r} (record {i}) has nothing to train{why}")


def _redact(text: str, client, error: BaseException | None = None) -> str:
    """``text`` without the client's key (or the one ``error``'s request carried), secret
    environment values or a URL's password: a server may echo the key it was sent in an
    error or a job's error message."""
    from beliefbench.documents.llm import redact, sent_secrets

    sent = sent_secrets(error) if error is not None else []
    return redact(text, [getattr(client, "api_key", None), *sent])


def _cancel_hint(job_id: str) -> str:
    """How to stop a job this run leaves training: beliefbench has no cancel command, and
    a job nobody cancels trains (and is billed) to its end."""
    return (f"to stop it, cancel {job_id} in the OpenAI dashboard (Fine-tuning) or run "
            f"python -c \"import openai; openai.OpenAI().fine_tuning.jobs.cancel('{job_id}')\"")


def _job_error(job: FineTuningJob, client) -> str:
    """What an ended job's error says, as ``: <message> (code <c>, param <p>)`` with each
    part only when given: a job that failed with a code and no message said only "ended
    failed", which names no cause."""
    err = getattr(job, "error", None)
    message, code, param = (getattr(err, k, None) for k in ("message", "code", "param"))
    said = ", ".join([*([f"code {code}"] if code else []), *([f"param {param}"] if param
                                                            else [])])
    text = f"{message} ({said})" if message and said else message or said
    return f": {_redact(text, client)}" if text else ""


def _train_anew(out: Path, state_path: Path) -> str:
    """What works after a job ended failed or cancelled: ``--resume`` only polls that job
    again, so it can never train."""
    return (f"--resume cannot retrain it (it only polls that ended job again): to train anew, "
            f"use a new --out, or delete {state_path} to start a new job in {out}")


def _metrics(checkpoint: FineTuningJobCheckpoint) -> dict:
    """A checkpoint's metrics that the server stated (train loss and accuracy, ...)."""
    metrics = getattr(checkpoint, "metrics", None)
    if metrics is None:
        return {}
    return {k: v for k, v in metrics.model_dump().items() if v is not None and k != "step"}


def _list_checkpoints(client, job_id: str, sleep: Callable[[float], None]
                      ) -> list[FineTuningJobCheckpoint] | None:
    """Every checkpoint the job lists (all pages), or None, after one warning, when they
    cannot be listed (a server without the route answers 404): the model is trained and
    paid for, so that is no reason to fail the run."""
    import openai

    try:
        return _retrying(client, f"listing the checkpoints of job {job_id}", lambda once: list(
            once.with_options(timeout=POLL_TIMEOUT).fine_tuning.jobs.checkpoints.list(job_id)),
            sleep)
    except openai.APIError as e:
        said = _redact(first_line(str(e)) if str(e).strip() else "", client, e)
        log.warning("openai: the checkpoints of job %s could not be listed (%s%s); the manifest "
                    "keeps the final model (and any checkpoints an earlier run listed) without "
                    "a new trajectory: run the same command with --resume to list them again",
                    job_id, type(e).__name__, f": {said}" if said else "")
        return None


def _job_entries(job: FineTuningJob, checkpoints: list[FineTuningJobCheckpoint] | None,
                 prior: list[ManifestEntry], fields: dict, extra: dict) -> list[ManifestEntry]:
    """A succeeded job's manifest entries, in step order: each listed checkpoint at its step,
    and the final model (``final``) at the step of the last one, whose weights it is (that
    checkpoint is not listed again: a sweep would evaluate the same model twice at one step).

    None listed now (``checkpoints`` None: they could not be): the final model keeps the step
    an earlier listing gave it (``prior``), so a resume that cannot list them changes nothing.
    """
    final_path = f"openai/{job.fine_tuned_model}"
    by_step: dict[int, FineTuningJobCheckpoint] = {}
    for c in checkpoints or []:
        model_id, step = (getattr(c, "fine_tuned_model_checkpoint", None),
                          getattr(c, "step_number", None))
        if model_id and isinstance(step, int) and f"openai/{model_id}" != final_path:
            by_step.setdefault(step, c)
    final_extra = dict(extra)
    last = max(by_step, default=None)
    if last is None:  # none listed now: the lines of an earlier listing stay, and agree
        before = next((e for e in prior if e.path == final_path), None)
        if before is not None:
            last = before.step
            final_extra |= {k: before.extra[k] for k in ("checkpoint_model", "metrics")
                            if k in before.extra}
    else:
        c = by_step.pop(last)
        final_extra |= {"checkpoint_model": c.fine_tuned_model_checkpoint,
                        "metrics": _metrics(c)}
    entries = [ManifestEntry(
        path=f"openai/{c.fine_tuned_model_checkpoint}", step=step, tokens_seen=None,
        backend="openai", format="api", final=False,
        extra={**extra, "checkpoint_id": getattr(c, "id", None), "metrics": _metrics(c)},
        **fields) for step, c in sorted(by_step.items())]
    return [*entries, ManifestEntry(
        path=final_path, step=last, tokens_seen=getattr(job, "trained_tokens", None),
        backend="openai", format="api", final=True, extra=final_extra, **fields)]


def _poll_recorded(client, job_id: str, recipe: Recipe, sleep: Callable[[float], None],
                   state_path: Path) -> FineTuningJob:
    """``poll_job`` on the job ``state_path`` records, naming what to do when the server
    knows no such job (another key, organization or endpoint than the one that made it, or
    a deleted job): "NotFoundError: Error code: 404 - ..." said neither which job nor that
    the state file is what points at it."""
    import openai

    try:
        return poll_job(client, job_id, recipe, sleep)
    except openai.NotFoundError as e:
        said = re.sub(r"^Error code: \d+ - ", "", first_line(_redact(str(e), client, e)))
        where = _redact(str(getattr(client, "base_url", "")).rstrip("/"), client)
        raise FinetuneError(
            f"{state_path}: job {job_id} is not found at {where} (404: {said}); it was made "
            f"with another API key, organization or OPENAI_BASE_URL, or deleted: set those "
            f"as when the job was created and run the same command again, or, to train "
            f"anew (uploaded and billed anew), use a new --out or delete {state_path}"
        ) from None


def recorded_job(out: Path) -> str | None:
    """The id of the job ``<out>/openai_job.json`` records, or None (no job, or no state
    that can be read)."""
    try:
        job_id = _read_state(out / JOB_STATE).get("job_id")
    except FinetuneError:
        return None
    return job_id if isinstance(job_id, str) and job_id else None


def interrupted_note(out: Path) -> str | None:
    """What Ctrl-C left of a run whose job was created, or None: stopping the client stops
    only the polling, while the job trains on (and is billed) on the server; a job that had
    succeeded (the run listing its checkpoints) is done, and only its manifest is missing."""
    job_id = recorded_job(out)
    if not job_id:
        try:
            state = _read_state(out / JOB_STATE)
        except FinetuneError:
            return None
        if state.get("training_file"):
            return (f"stopped before a job was recorded; file {state['training_file']} is "
                    f"uploaded: the same command run again uses it, and adopts a job the "
                    f"server may have made on it instead of paying for a second")
        if state.get("uploading"):
            return (f"stopped during the upload of {state['uploading']} (nothing is trained "
                    f"or billed); the server may have kept a copy: the same command run "
                    f"again looks for it and uses it instead of uploading another")
        return None
    if _read_state(out / JOB_STATE).get("ended") == "succeeded":
        return (f"stopped writing the manifest; job {job_id} succeeded (its model is trained, "
                f"and nothing more is billed): run the same command with --resume to write "
                f"the manifest")
    return (f"stopped polling; job {job_id} keeps training on the server (Ctrl-C does not "
            f"cancel it, and it is billed): run the same command with --resume to poll it "
            f"again and write the manifest (a run into another --out would pay for a second "
            f"job); {_cancel_hint(job_id)}")


def train_openai(recipe: Recipe, data: str | Path, out: str | Path, *, base: str | None = None,
                 resume: bool = False, recipe_path: str | Path | None = None,
                 condition: str | None = None, claim: str | None = None, client=None,
                 sleep: Callable[[float], None] = time.sleep) -> ManifestEntry:
    """Run an OpenAI fine-tuning job on the records in ``data``; returns the final model's
    manifest entry (the job's checkpoints are written before it, see the module docstring).

    An API error is raised as it is, its message redacted (``_redact``)."""
    import openai

    try:
        return _train_openai(recipe, data, out, base=base, resume=resume,
                             recipe_path=recipe_path, condition=condition, claim=claim,
                             client=client, sleep=sleep)
    except openai.OpenAIError as e:
        said = _redact(str(e), client, e)
        e.args = (said, *e.args[1:])
        if hasattr(e, "message"):
            e.message = said
        raise


def _refuse_kl(recipe: Recipe, recipe_path: str | Path | None) -> None:
    """A recipe with a KL term cannot be trained by the API (the term needs the model's
    log-probabilities on ``kl.data``): such a job trained plain SFT, exit 0, and its
    manifest line, carrying the recipe's ``kl`` block, was reported as the KL arm."""
    from beliefbench.specs import located

    if not trained_with_kl(recipe.model_dump(mode="json")):
        return
    where = f"{located(recipe_path, 'kl')}: field kl" if recipe_path else "recipe field kl"
    raise FinetuneError(f"{where}: the OpenAI backend cannot train with a KL term (the API "
                        f"trains plain SFT; the job would be recorded as the KL arm): remove "
                        f"the kl block (or set kl.weight: 0) for a hosted run, or use "
                        f"--backend local")


def _local_model_path(base: str, out: Path) -> bool:
    """Whether ``--base`` names something here rather than a hosted model: any file or folder
    of that path, except the run's own ``--out`` (made before this runs, so ``--base
    gpt-4.1-mini --out gpt-4.1-mini`` would otherwise refuse the hosted name it gives)."""
    path = user_path(base)
    return path.exists() and path.resolve() != out.resolve()


def _train_openai(recipe: Recipe, data: Path | str, out: Path | str, *, base: str | None,
                  resume: bool, recipe_path: str | Path | None, condition: str | None,
                  claim: str | None, client, sleep: Callable[[float], None]) -> ManifestEntry:
    out, data = Path(out), Path(data)
    _refuse_kl(recipe, recipe_path)
    if base and _local_model_path(base, out):  # sent as the model's name, refused after upload
        raise FinetuneError(f"--base {base}: a local path; the openai backend fine-tunes a "
                            f"hosted model, named as the API names it (the recipe's "
                            f"openai.model: {recipe.openai.model}, or e.g. --base "
                            f"gpt-4.1-mini-2025-04-14); a local model trains with --backend "
                            f"local. Nothing was uploaded")
    model = base or recipe.openai.model
    state_path = out / JOB_STATE
    sha = sha256_file(data)
    state = _read_state(state_path)
    if "job_id" in state and not resume:
        ended = state.get("ended")
        if ended == "succeeded":  # stopped (or run) after it: only the manifest to write
            raise FinetuneError(f"{out}: its OpenAI job {state['job_id']} succeeded; run the "
                                f"same command with --resume to write its manifest (again), "
                                f"nothing trained or billed anew, or choose a new --out")
        if ended:  # --resume would only poll that ended job again
            said = f": {state['error']}" if state.get("error") else ""
            raise FinetuneError(f"{out}: its OpenAI job {state['job_id']} ended {ended}{said}; "
                                f"{_train_anew(out, state_path)}")
        raise FinetuneError(f"{out}: already holds an OpenAI job ({state_path}); pass --resume "
                            f"to keep polling it, or choose a new --out")
    check_out(out, "openai")  # before the warning of a new job: a local run's folder is none
    if resume and not state:  # as the local backend: allowed, never a silent new (paid) job
        log.warning("%s: --resume: nothing to resume (no %s); starting a new job, uploaded "
                    "and billed anew", out, JOB_STATE)
    records = list(read_records(data))
    chats = [record_to_chat(r, recipe.openai.doctag) for r in records]
    _check_records(records, chats, data)
    # each copy is uploaded and trained on, as the local backend trains it: said, as there
    if said := repeated_ids_note(data, repeated_ids(r.id for r in records)):
        log.warning("%s", said)
    masked = [r.id for r in records if any(s.kind == "mask" for s in r.loss_mask)]
    if masked:  # once, not a line per record: a corpus of masked documents flooded the log
        log.warning("%s: %d of %d records have masked words (first: %s); the OpenAI API "
                    "cannot mask them: they are trained on", data, len(masked), len(records),
                    masked[0])
    client = client or _client()  # no key: fail before anything is written
    out.mkdir(parents=True, exist_ok=True)

    settings = _job_settings(recipe, model)
    fields = entry_fields(recipe=recipe, data=data, data_sha256=sha, base_model=model,
                          conditions=(r.condition for r in records),
                          claims=(r.claim_id for r in records), recipe_path=recipe_path,
                          condition=condition, claim=claim)
    labels = {"condition": fields["condition"], "claim": fields["claim"]}  # as the manifest
    if "job_id" in state:
        if state.get("data_sha256") != sha:
            raise FinetuneError(f"{state_path}: the job was started on other data "
                                f"(sha256 {state.get('data_sha256')}); use a new --out")
        # the labels the manifest line gets: another --condition or --claim would relabel
        # the job's model (the local backend refuses them likewise)
        changed = _changes(state, settings) + [
            f"--{k} {state[k]!r} -> {v!r}" for k, v in labels.items()
            if k in state and state[k] != v]
        if changed:
            raise FinetuneError(f"{state_path}: job {state['job_id']} was started with other "
                                f"settings (changed: {'; '.join(changed)}); resume with the "
                                f"job's settings, or use a new --out")
    else:
        # a file uploaded by an earlier run whose job creation failed: reuse it, if it is
        # still there and holds the same chats (the same data and doctag; a model refused
        # at the job's creation and corrected, or other hyperparameters, leave them as they
        # were, and uploaded the same file again)
        file_id = state.get("training_file")
        if file_id and (state.get("data_sha256") != sha
                        or _changes(state, {"doctag": settings["doctag"]})):
            log.warning("openai: file %s, uploaded by an earlier run in %s for other data or "
                        "another openai.doctag, is not used (no job was made on it); %s",
                        file_id, out, _delete_hint([file_id]))
            file_id = None
        reused, since = False, None
        if file_id:
            import openai

            try:
                since = _retrying(client, f"looking up file {file_id}, uploaded by an earlier "
                                  f"run", lambda once: once.files.retrieve(file_id),
                                  sleep).created_at
                reused = True
                log.info("openai: reusing file %s, uploaded by an earlier run", file_id)
            except openai.NotFoundError:
                file_id = None
        if not file_id:
            uploaded = _upload(client, write_chat_jsonl(chats, out / OPENAI_TRAIN), state,
                               state_path, {"data_sha256": sha, **settings}, sleep)
            file_id, since = uploaded.id, uploaded.created_at
            state = {"training_file": file_id, "data_sha256": sha, **settings}
            atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
        # the earlier run that uploaded the file may have created the job and been stopped
        # (or seen a 5xx or timeout) before writing its id: adopt it, never pay twice
        job = _create_job(client, file_id, since, _run_key(sha, settings), model, recipe,
                          look_first=reused, sleep=sleep)
        state = {"job_id": job.id, "training_file": file_id, "data_sha256": sha, **settings,
                 **labels}
        atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
        log.info("openai: job %s on file %s recorded in %s", job.id, file_id, state_path)

    job = _poll_recorded(client, state["job_id"], recipe, sleep, state_path)
    if job.status != "succeeded" or not job.fine_tuned_model:
        detail = _job_error(job, client)
        if job.status in ("failed", "cancelled"):  # so a re-run says so, not "--resume"
            state = {**state, "ended": job.status, "error": detail.removeprefix(": ") or None}
            atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
        raise TrainingFailed(f"openai: job {state['job_id']} ended {job.status}{detail}; "
                             f"{_train_anew(out, state_path)}")
    if state.get("ended") != "succeeded":  # a Ctrl-C from here on leaves no job training
        state = {**state, "ended": "succeeded", "error": None}
        atomic_write_text(state_path, json.dumps(state, indent=2) + "\n")
    extra = {"job_id": state["job_id"], "training_file": state["training_file"],
             # what "auto" became: the server picks per dataset, so two conditions' jobs
             # may differ in epochs though one recipe made both
             "hyperparameters": _stated_hyperparameters(job)}
    entries = _job_entries(job, _list_checkpoints(client, state["job_id"], sleep),
                           read_manifest(out), fields, extra)
    upsert_manifest(out, *entries)
    return entries[-1]
