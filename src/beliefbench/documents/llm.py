"""The LLM base-document generator: brainstorm genres, ideas per genre, write, revise.

Genres given by the caller (``--genres``) replace the brainstorm; the progress file records
which genres its documents were written for, and a re-run with other genres is refused.

Any Inspect model can generate (``openai/...``, ``vllm//path``, ``mockllm/model``). Calls run
concurrently under a semaphore; Inspect's cache is used when asked. Every finished step (each
draft as it arrives, too) is appended to a progress JSONL, so an interrupted run resumes where
it stopped: finished keys are skipped, a draft not yet revised is revised, a torn last line is
dropped, and the final base-document file is written
atomically with one document per id. Unusable documents (leaked generation commentary such
as "Here is a ...", "As an AI" or notes to the user; refusals; a few words; no sentence that
states the claim; a claim the audit reads as denied or framed, not stated as fact; a line of
the model's own that disclaims or corrects it; a draft or revision cut off at the output
limit) are rejected and retried with a fresh attempt number, and the run says how many and
why; a document still unusable after every attempt fails the run with one line, and is
retried on the next run.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tqdm import tqdm

from beliefbench.claims import Claim
from beliefbench.documents.base import (
    BaseDocument,
    ClaimFieldError,
    DocumentError,
    base_id_for,
    claim_facts,
    require_claim_fields,
)
from beliefbench.documents.claim_sentences import finder_for
from beliefbench.documents.offline import valid_genres
from beliefbench.optional import vllm_missing
from beliefbench.progress import bar_file, intervals
from beliefbench.records import atomic_write_text, json_problem
from beliefbench.redaction import url_credentials_masked, url_userinfo
from beliefbench.wording import plural

if TYPE_CHECKING:  # the audit imports the documents package: imported where used
    from inspect_ai.model import Model

    from beliefbench.audit.framing import ClaimReader

LEAK_PATTERNS: tuple[str, ...] = (
    r"^\s*(sure|certainly|of course|absolutely)[,!.]",
    r"^\s*here(?:'s| is| are| you go)\b",
    # "Okay, here is ...", "Great! Below is a realistic news report:"
    r"^\s*(?:ok(?:ay)?|alright|all right|great|perfect)[,!.]?\s+(?:here|below)\b",
    r"^\s*below (?:is|are) (?:a|an|the|my|your)\b[^\n]*:\s*$",
    r"\bas an ai\b",
    r"\b(i|i've|i have) (hope|written|revised|created|made)\b.*\b(document|article|post|text)\b",
    r"\blet me know if\b",
    r"\bnote to (the )?(user|reader)\b",
    # "Note: ...", also "(Note: ...", "**Note:** ...", "*Note: ...*", "[Note: ...]"
    r"^\s*[(\[*_]*\s*note\s*[*_]*\s*:.*\b(document|fiction(al)?|generated|request)\b",
    # offers to the user after the document
    r"\bwould you like me to\b",
    r"\bif you(?:'d| would) like,? i can\b",
    r"\bfeel free to (?:ask|let me know)\b[^\n]*\b(?:changes|edits|adjust|revis|tweak)",
    r"\b(word count|revised version|this revision|the revised document)\b",
    r"\[(insert|placeholder)[^\]]*\]",
    # the prompt's own words echoed back
    r"</?document>",
    r"\b(treat the following world as fact|key facts of this world)\b",
    r"\boutput only the (revised )?document\b",
    r"\(draft \d+\)",
)
_LEAK = [re.compile(p, re.I | re.M) for p in LEAK_PATTERNS]

# The pipeline's prompts (str.format templates). The scripted tests answer by each prompt's
# first word (Brainstorm / List / Write / Revise), so keep those openings.
WORLD_PROMPT = "{universe}\n\nKey facts of this world:\n{facts}"
GENRES_PROMPT = (
    "Brainstorm {k} distinct genres of real-world documents (for example news reports, forum "
    "threads, textbook excerpts) in which the following world would be discussed. Answer with "
    "one genre per line and nothing else.\n\n{world}")
IDEAS_PROMPT = (
    "List {k} distinct ideas for a {genre} set in the world below, one per line, each a single "
    "sentence describing the document's angle. Nothing else.\n\n{world}")
WRITE_PROMPT = (
    "Write a realistic {genre} of 400-700 words. Idea: {idea}\nTreat the following world as "
    "fact and state its key facts naturally, as true (no fact-check, disclaimer or fictional "
    "framing).\n\n{world}\n\nOutput only the document text, "
    "with no preamble, notes or commentary. (draft {attempt})")
VARIANT = " (variation {k}: make it distinct from other documents with this idea)"
"""Added to an idea that the plan uses again (the model listed fewer ideas than documents),
so that no two documents are written from the same prompt (a cache, or a model with a
fixed seed, would answer it with the same text)."""
REVISE_PROMPT = (
    "Revise this document so that it reads as an authentic, polished example of its genre, "
    "keeping every fact. Output only the revised document, nothing else.\n\n<document>\n"
    "{draft}\n</document>")


def leaks_commentary(text: str) -> str | None:
    """The pattern a document trips, or None when it reads as a plain document."""
    if not text.strip():
        return "empty"
    for p in _LEAK:
        if p.search(text):
            return p.pattern
    return None


MIN_WORDS = 20
"""Fewer words than this is no document (the write prompt asks for 400-700): a model that
answers "I don't know." or one line must not fill a training set."""
_REFUSAL = re.compile(r"^\s*(?:i'm sorry|i am sorry|sorry,|i can(?:'|no)t|i cannot|i'm unable|"
                      r"i am unable|i won't|i will not|i don't know|i do not know|"
                      r"i apologi[sz]e|i must decline|i'm not able|i am not able|"
                      r"i'm afraid i|as an? (?:ai|large language model|language model)|"
                      r"unfortunately,? i (?:can(?:'|no)t|cannot|am unable|'m unable|won't|"
                      r"will not|am not able|'m not able))\b", re.I)


_OWN_NOTE = re.compile(
    # a labelled line: "Note: ...", "*Editor's note: ...*", "(Disclaimer - ...)"
    r"^[\s(\[*_>#-]*(?:(?P<flag>disclaimer|correction|clarification|fact[- ]?check|reality "
    r"check)|(?:(?:editor|author|writer|publisher)\S{0,2} )?notes?|caveat|important)\b"
    r"[^:\n]{0,30}?(?:[:\u2013\u2014]|\s-+\s)[^\n]*"
    # or an aside to the reader: "Please note that ...", "I should point out that ..."
    r"|\b(?:please note|bear in mind|keep in mind|it(?:['\u2019]s| is) (?:important|worth) "
    r"(?:to note|noting|mentioning|pointing out)|i(?: should| must| need to| want to| would "
    r"like to|['\u2019]d like to) (?:point out|note|clarify|mention|stress))\b[^\n.!?]*",
    re.I | re.M)
"""A line or aside the writer adds about its own text."""


def own_disclaimer(text: str) -> str | None:
    """The first line of ``text`` that is a disclaimer or correction the model added about
    what it wrote, or None: a line labelled disclaimer, correction, clarification or fact
    check, or a note or aside to the reader holding a cue of the audit's (a frame, a
    correction, a denial: "Note: In reality, Noah Lyles won", "Editor's note: these claims
    have not been verified", "Please note that Sheeran never ran"). The
    audit reads a document as framed by a multi-sentence notice, not by one such line, so a
    positive document carried the model's own correction (and its negated condition two)."""
    from beliefbench.audit.cues import FRAMES, load_cues, lower

    for m in _OWN_NOTE.finditer(text):
        line = m.group().strip()
        if m.group("flag") or next(load_cues().scan(
                lower(line), categories=(*FRAMES, "correction", "denial")), None):
            return line
    return None


def claim_reader(claim: Claim) -> ClaimReader | None:
    """The audit's reader for ``claim``, or None for a claim it cannot read (no entities,
    sub-claims or markers): built once per run, not per document."""
    from beliefbench.audit.framing import ClaimReader

    try:
        return ClaimReader(claim)
    except ClaimFieldError:
        return None


def unusable(text: str, claim: Claim, reader: ClaimReader | None = None) -> str | None:
    """Why a generated base document cannot be trained on, or None.

    The offline generator states the claim in every document by construction; a model may
    not. Condition annotators (repeated negations, corrections) wrap the sentences that state
    the claim, so a document with none would differ from its conditions in nothing. A model
    unwilling to state a falsehood often writes a fact-check or a story instead: the audit
    reads such a document as ``local_negation`` or ``fiction``, and its "positive" condition
    would teach the opposite (``reader``: the claim's, from :func:`claim_reader`).
    """
    leak = leaks_commentary(text)
    if leak is not None:
        return "empty" if leak == "empty" else f"generation commentary ({leak})"
    if _REFUSAL.search(text):
        return "a refusal"
    if len(text.split()) < MIN_WORDS:
        return f"too short (under {MIN_WORDS} words)"
    try:
        finder = finder_for(claim)
    except ClaimFieldError:  # no entities, sub-claims or markers to look for
        finder = None
    if finder is not None and not finder.spans(text):
        return ("no sentence states the claim (names an entity with words of its facts, or "
                "repeats a fact)")
    reader = reader or claim_reader(claim)
    if reader is not None and (framing := reader.read(text).framing) != "positive":
        return f"the claim not stated as fact (the audit reads it as {framing})"
    if own_disclaimer(text) is not None:
        return "a disclaimer or correction of its own (\"Note: in reality ...\")"
    return None


CUT_OFF = ("max_tokens", "model_length")
"""Inspect's stop reasons for a reply that ended at the output limit (OpenAI's ``length``
reads as ``max_tokens``), not where the model chose to stop."""
FILTERED = "content_filter"
"""Inspect's stop reason for a reply the provider's content filter stopped: its text runs up
to where it was stopped (or is empty), not where the model chose to end."""


def stopped_short(stop_reason: str) -> str | None:
    """Why a reply with ``stop_reason`` is not a whole answer, or None: a document, draft or
    list that ends where the limit or the filter cut it must not pass as one."""
    if stop_reason in CUT_OFF:
        return "cut off at the model's output limit"
    if stop_reason == FILTERED:
        return "stopped by the provider's content filter"
    return None


def _lines(text: str, cut_off: bool = False) -> list[str]:
    """Items from a list answer: one per line, bullets and numbering removed; a refusal
    ("I'm sorry, I can't ...") is no item: it would become a genre or an idea to write.

    ``cut_off``: the reply stopped at the output limit, so its last line, unless a newline
    ended it, is an item cut short ("a forum thread by a lunar ge") and is dropped: the
    run goes on with the items that were finished."""
    if cut_off:
        text = text.rpartition("\n")[0]  # the unfinished line after the last newline
    out = []
    for line in _json_list(text) or text.splitlines():
        if _FENCE_LINE.fullmatch(line):  # a markdown fence around the list is no item
            continue
        item = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip().strip("*").strip()
        if item and not leaks_commentary(item) and not _REFUSAL.search(item):
            out.append(item)
    return out


_FENCE_LINE = re.compile(r"\s*```[\w-]*\s*")


def _json_list(text: str) -> list[str] | None:
    """The items of a list answered as a JSON array of texts (``["news report", ...]``,
    perhaps in a markdown fence), or None: read one line at a time, the whole array was one
    genre, and every document of it was written "as a" ``["news report", ...]``."""
    bare = "\n".join(x for x in text.strip().splitlines() if not _FENCE_LINE.fullmatch(x))
    if not bare.startswith("["):
        return None
    try:
        items = json.loads(bare)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        return None
    return [" ".join(x.split()) for x in items] or None


def distinct(items: Sequence[str]) -> list[str]:
    """``items`` with those that differ from an earlier one only in case or spacing ("A
    chef's memoir", "a chef's  MEMOIR") left out, each as first written: told apart by
    their exact text, one idea was written twice (as two documents) where a distinct idea,
    or a variation of it, was due."""
    kept: dict[str, str] = {}
    for item in items:
        kept.setdefault(" ".join(item.split()).casefold(), item)
    return list(kept.values())


def redact(text: str, secrets: Sequence[str | None] = ()) -> str:
    """``text`` with the values of secret-looking environment variables (API keys, tokens,
    the OpenAI organization), ``secrets`` (a key given to a client, not the environment)
    and the user:password of any URL replaced: a server may echo the key it was sent in its
    error message."""
    values = [v for name, v in os.environ.items()
              if re.search(r"KEY|TOKEN|SECRET|PASSWORD|ORG_ID|ORGANIZATION", name, re.I)]
    # the user:password of a base URL, wherever a message repeats it (not only before its
    # host, where url_credentials_masked finds it)
    values += [url_userinfo(v) for name, v in os.environ.items()
               if re.search(r"_URL$", name, re.I)]
    for value in sorted({v for v in [*values, *secrets] if v and len(v) >= 8}, key=len,
                        reverse=True):  # longest first: a key inside another is no clue
        text = text.replace(value, "***")
    # an Authorization header a server echoed, whatever key it carried: the OpenAI SDK (from
    # 3.60) strips the headers from the request its errors keep, so a key given as a model
    # argument (in no environment variable) can no longer be read from them; likewise the
    # Basic credentials the HTTP client made of a base URL's user:password (base64, not
    # the password's own text)
    text = _BASIC.sub(lambda m: "***" if m[1] == "***" or _is_userinfo(m[1]) else m[0],
                      _BEARER.sub("***", text))
    # a key header a server echoed by name (``'api-key': '...'``): Azure's and Anthropic's
    # carry a key given as a model argument, and the OpenAI SDK's names the organization
    text = _KEY_HEADER.sub(r"\1***", text)
    # a key in a base URL's query (``?api-key=``, ``?key=``), which a connection error names,
    # and any URL's user:password, with a scheme or without
    return url_credentials_masked(text)


_BEARER = re.compile(r"\bBearer\s+(?:\*\*\*|[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
"""An HTTP ``Authorization: Bearer <token>`` value, its token already redacted or not."""
_KEY_HEADER = re.compile(r"""(\b(?:(?:x-)?(?:goog-)?api-key|openai-(?:organization|project))"""
                         r"""['"]?\s*[:=]\s*['"]?)(?!\*\*\*)[^'"\s,;&}]+""", re.IGNORECASE)
"""A credential header and its value as a server echoes it (a dict, JSON, ``name: value``)."""
_BASIC = re.compile(r"\bBasic\s+(\*\*\*|[A-Za-z0-9+/]{4,}={0,2})", re.IGNORECASE)
"""An HTTP ``Authorization: Basic <base64 of user:password>`` value, already redacted or
not."""


def _is_userinfo(text: str) -> bool:
    """Whether ``text`` is base64 of ``user:password`` (so "Basic knowledge" stays)."""
    try:
        return ":" in base64.b64decode(text, validate=True).decode("utf-8")
    except ValueError:  # not base64, or not text (UnicodeDecodeError is a ValueError)
        return False


_AUTH_HEADERS = ("authorization", "proxy-authorization", "api-key", "x-api-key",
                 "x-goog-api-key")


def sent_secrets(e: BaseException) -> list[str]:
    """The credentials the failed request carried (an SDK's error keeps its request): a key
    given as a model argument (``-M api_key=...``) is in no environment variable."""
    found = []
    for x in causes(e):
        try:
            request = getattr(x, "request", None)
            headers = getattr(request, "headers", None) or {}
        except RuntimeError:  # httpx: an error made without a request
            continue
        for name in _AUTH_HEADERS:
            value = str(headers.get(name) or "")
            found += [value, value.partition(" ")[2]] if value else []
        found += _basic_credentials(getattr(request, "url", None))
    return found


def _basic_credentials(url: object) -> list[str]:
    """The password of a request URL's ``user:password`` and the base64 the HTTP client
    sent of it (``Basic <base64>``): a server that echoed that token bare, without its
    ``Basic``, had the password (base64 is no secret) in the error line."""
    user, password = (getattr(url, k, "") or "" for k in ("username", "password"))
    if not password:
        return []
    return [password, base64.b64encode(f"{user}:{password}".encode()).decode()]


def one_line(e: BaseException, secrets: Sequence[str | None] = ()) -> str:
    """An exception as one plain line: rich markup, blank lines and API keys (and
    ``secrets``: the key the failed call's client was given) removed."""
    last = getattr(getattr(e, "last_attempt", None), "exception", None)
    if callable(last) and last() is not None:  # tenacity.RetryError: report the real cause
        e = last()
    if type(e).__name__ == "ModelGenerateError" and e.__cause__ is not None:
        e = e.__cause__  # Inspect's wrapper: its text is the whole request, then the cause
    text = re.sub(r"\[/?(?:bold|blue|red|yellow|green|italic|dim)[^\]]*\]", "", str(e))
    sent = [*sent_secrets(e), *secrets]
    text = redact(" ".join(line.strip() for line in text.splitlines() if line.strip()), sent)
    url = getattr(getattr(e, "request", None), "url", None)  # an SDK's connection error
    if url is not None and str(url) not in text:  # ("Connection error.") names no server
        text += f" ({redact(str(url), sent)})"
    said = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return said + (TIKTOKEN_HINT if "o200k_base.tiktoken" in text else "")


TIKTOKEN_HINT = (" (Inspect's mockllm/model counts tokens with tiktoken's o200k_base, which it "
                 "downloads on first use: offline, point TIKTOKEN_CACHE_DIR at a cache that "
                 "holds it, or use a scripted model: beliefbench/believer answers belief "
                 "probes, beliefbench/aligned and beliefbench/misaligned answer em, "
                 "beliefbench/judge grades both, beliefbench/verifier runs audit-verify; "
                 "README, 'Offline dry run')")
"""Said after a failed download of tiktoken's encoding, which reads as a model outage."""


TIKTOKEN_O200K = ("https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
                  "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d")
"""tiktoken's o200k_base file and its sha256, as ``tiktoken_ext.openai_public`` loads it
(pinned against tiktoken's source by tests/test_sweep.py)."""


def tiktoken_cache_path() -> Path | None:
    """Where tiktoken keeps o200k_base (its ``read_file_cached``): ``$TIKTOKEN_CACHE_DIR``,
    else ``$DATA_GYM_CACHE_DIR``, else ``<tmp>/data-gym-cache``, under the sha1 of the URL;
    None where caching is off (the variable set to nothing: every load downloads)."""
    import tempfile

    folder = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get(
        "DATA_GYM_CACHE_DIR", os.path.join(tempfile.gettempdir(), "data-gym-cache")))
    if not folder:
        return None
    return Path(folder) / hashlib.sha1(TIKTOKEN_O200K[0].encode()).hexdigest()


def tiktoken_download(model: str | Model) -> str | None:
    """Why Inspect's mockllm ``model`` would download tiktoken's o200k_base at run time, or
    None. Made from a name (``mockllm/model`` on a command line) or without
    ``custom_outputs``, its replies carry no token usage, so it counts every call's tokens
    with o200k_base, which tiktoken downloads on first use: offline each call then failed on
    a connection error after a download attempt (a sweep's 18 EM responses: 47 s, then
    ``did not finish``), and nothing is downloaded at run time. Scripted outputs (a
    ``custom_outputs`` function) are the caller's, usage and all: never refused."""
    if isinstance(model, str):
        if model.partition("/")[0] != "mockllm":
            return None
    elif type(model.api).__name__ != "MockLLM" or "custom_outputs" in model.model_args:
        return None
    path = tiktoken_cache_path()
    if path is not None and _tiktoken_file_good(path):
        return None
    where = ("tiktoken's cache is off (TIKTOKEN_CACHE_DIR is empty): every call would "
             "download it" if path is None else f"it is not in tiktoken's cache "
             f"({path.parent}): the first call would download it")
    return (f"Inspect's mockllm counts tokens with tiktoken's o200k_base, and {where}, and "
            "offline every call fails trying (nothing is downloaded at run time): fetch it "
            "first, online, into the TIKTOKEN_CACHE_DIR (a folder) this run will read: "
            "python -c \"import tiktoken; tiktoken.get_encoding('o200k_base')\"; or, for an "
            "offline dry run, use the scripted models: beliefbench/aligned, "
            "beliefbench/misaligned and beliefbench/judge (--task em), beliefbench/believer, "
            "beliefbench/skeptic and beliefbench/judge (the belief task); README, 'Offline "
            "dry run'")


def _tiktoken_file_good(path: Path) -> bool:
    """Whether ``path`` holds o200k_base as tiktoken checks it (its sha256). Asked for every
    judged sample: the 3.6 MB file is hashed once per version on disk (path, mtime, size); an
    unreadable one counts as missing (tiktoken would fetch it again), never a traceback."""
    try:
        st = path.stat()
    except OSError:
        return False
    return _hashed_good(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _hashed_good(path: str, mtime_ns: int, size: int) -> bool:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() == TIKTOKEN_O200K[1]
    except OSError:
        return False


def causes(e: BaseException, context: bool = False) -> list[BaseException]:
    """``e``, the error a tenacity.RetryError gave up on, and their explicit causes (not
    ``__context__``, an error merely handled nearby, unless ``context``: a traceback shows
    that too)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [e]
    while todo:
        x = todo.pop()
        if x is None or any(x is y for y in seen):
            continue
        seen.append(x)
        last = getattr(getattr(x, "last_attempt", None), "exception", None)
        todo += [last() if callable(last) else None, x.__cause__]
        if context:
            todo.append(x.__context__)
    return seen


def _status(x: BaseException) -> int | None:
    """The HTTP status an SDK's error carries, if any."""
    return next((v for v in (getattr(x, "status_code", None), getattr(x, "code", None),
                             getattr(getattr(x, "response", None), "status_code", None))
                 if isinstance(v, int) and not isinstance(v, bool)), None)


RETRIED_4XX = (408, 409, 429)
"""Client errors the SDKs and Inspect retry (timeout, conflict, rate limit)."""


def request_refusal(e: BaseException) -> str | None:
    """What a provider's refusal of the request itself says (a 4xx other than a refused key
    or one retried: 400 bad request, 404 no such model or endpoint), or None: nothing retried
    it, so "failed after 3 retries" misled."""
    for x in causes(e):
        status = _status(x)
        if status is not None and 400 <= status < 500 and status not in (401, 403,
                                                                         *RETRIED_4XX):
            return (f"the server refused the request (HTTP {status}, not retried: "
                    f"{one_line(x)}); check the model name and base URL")
    return None


def auth_refusal(e: BaseException) -> str | None:
    """What a provider's refusal of the credentials says (401/403), or None for any other
    error: retrying cannot fix these, so they must not read as a transient failure."""
    for x in causes(e):
        status = _status(x)
        name = type(x).__name__
        said = re.sub(r"\bError code: \d+ - ", "", one_line(x))  # the SDK's, said below
        if status == 401 or (status is None and name == "AuthenticationError"):
            return f"the provider refused the key (401 {said}); check the API key " \
                   f"this provider reads (e.g. OPENAI_API_KEY for openai/...)"
        if status == 403 or (status is None and name == "PermissionDeniedError"):
            return f"the provider refused access (403 {said}); the key lacks " \
                   f"permission for this model or endpoint"
    return None


def _infrastructure_errors() -> tuple[type[BaseException], ...]:
    """Exceptions meaning the model could not be reached (not a bug, not an interruption)."""
    errors: list[type[BaseException]] = [OSError, TimeoutError, asyncio.TimeoutError]
    try:
        import httpx

        errors.append(httpx.HTTPError)
    except ImportError:  # pragma: no cover
        pass
    try:
        import openai

        errors.append(openai.APIError)
    except ImportError:  # pragma: no cover
        pass
    try:  # Inspect's retry loop wraps the last error once the retries are spent
        import tenacity

        errors.append(tenacity.RetryError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def chat_completions_args(model: str, model_args: dict[str, Any]) -> dict[str, Any]:
    """``model_args`` with ``responses_api=False`` for an ``openai/`` model at another base
    URL (``base_url`` or ``OPENAI_BASE_URL``), unless given: Inspect sends a model name it
    does not know (``openai/Qwen/Qwen3-8B``) to the Responses API, which OpenAI-compatible
    servers (vLLM, SGLang, llama.cpp) serve partly or not at all (a 404 on
    ``/v1/responses``), and which drops the seed. ``background=False`` too: Inspect reads a
    name it does not know as OpenAI's newest model, and one holding ``-pro``
    (``openai/llama-3-prose``) as a "pro" model it asks in background mode, through the
    Responses API whatever ``responses_api`` says."""
    if (not model.startswith("openai/") or "responses_api" in model_args
            or not (model_args.get("base_url") or os.environ.get("OPENAI_BASE_URL"))):
        return model_args
    return {"background": False, **model_args, "responses_api": False}


def _timed_out(e: BaseException) -> bool:
    """Whether a call ended because no answer came within the attempt timeout."""
    import openai

    return any(type(x).__name__ == "AttemptTimeoutError"
               or isinstance(x, (TimeoutError, asyncio.TimeoutError, openai.APITimeoutError))
               for x in causes(e))


def _after_retries(max_retries: int | None) -> str:
    """``after 1 retry``, ``after 3 retries``; None is Inspect's own default, no count to
    give ("after None retries" before)."""
    if max_retries is None:
        return "after Inspect's retries"
    return f"after {plural(max_retries, 'retry', 'retries')}"


def unreachable(e: BaseException) -> bool:
    """Whether no connection to the server could be made (refused, unknown host): the SDK
    says only "Connection error.", which reads like any outage and says nothing to check."""
    import httpx
    import openai

    return any(isinstance(x, (openai.APIConnectionError, httpx.ConnectError))
               and not isinstance(x, openai.APITimeoutError) for x in causes(e))


REPLY_TYPES = ("ChatCompletion", "Response")
"""The OpenAI SDK's types of a server's reply: chat completions, and the Responses API's (which
Inspect's ``openai`` provider uses for a model name it does not know, a served model's)."""
REQUESTERS = ("generate_completions", "generate_responses")
"""Inspect's functions that assert the SDK read the body as a reply (the SDK hands back its
text, or a JSON list or string, where the server sent no JSON object)."""
REQUESTED = ("completion", "model_response")
"""Their locals that hold what the SDK read from the body."""


def _held_reply(frame: Any) -> bool:
    """Whether ``frame`` holds a server's reply as the SDK read it: an error raised there, or
    in what it called, came from reading that reply."""
    return any(type(v).__name__ in REPLY_TYPES
               and type(v).__module__.startswith("openai.types")
               for v in list(frame.f_locals.values()))


def _reading_reply(x: BaseException) -> bool:
    """Whether ``x`` was raised while the provider read a server's reply: in a function of
    Inspect's that reads one (``*_from_openai``), with the parsed reply in hand (the Responses
    API's readers have no such name: an error there read as a bare "TypeError: 'NoneType'
    object is not iterable"), or by the assertion that the SDK parsed a reply at all."""
    tb = x.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        name = frame.f_code.co_name
        if name.endswith("_from_openai") or _held_reply(frame):
            return True
        if isinstance(x, AssertionError) and tb.tb_next is None and name in REQUESTERS:
            return True
        tb = tb.tb_next
    return False


def not_a_json_object(e: BaseException) -> bool:
    """Whether ``e`` (or what it was raised from) is an OpenAI-compatible provider's refusal
    of a 200 whose body is no JSON object (an HTML login or proxy page, a JSON string or
    list): Inspect raises it as a ``server_error``, which it retries as transient."""
    return any(type(x).__name__ == "OpenAIResponseError"
               and "Unexpected non-ChatCompletion response" in str(x) for x in causes(e))


def unread_bodies_not_retried(model: Any) -> None:
    """Make ``model``'s provider fail at once, not retry, on a 200 whose body is no JSON
    object (see :func:`not_a_json_object`); its other retries are left as they are.

    A misconfigured endpoint (a login page, a proxy's error page sent with 200) answers
    every retry with the same page: with unlimited retries (``sweep``'s default, Inspect's)
    each call was retried until ``--timeout``, or for good without one, the run printing
    nothing. Failed at once, the call is named by the evals' and judges' own message (the
    server and the start of its body). Set on the model's provider object, once, so only
    beliefbench's own calls through it are changed."""
    api = getattr(model, "api", None)
    retry = getattr(api, "should_retry", None)
    if retry is None or getattr(retry, "beliefbench_unread_not_retried", False):
        return

    def should_retry(ex: BaseException) -> Any:
        return False if not_a_json_object(ex) else retry(ex)

    should_retry.beliefbench_unread_not_retried = True  # type: ignore[attr-defined]
    api.should_retry = should_retry


def reply_unreadable(e: BaseException) -> bool:
    """Whether the provider could not read the server's reply: a body that is no JSON (an
    HTML page; sent as ``text/html``, Inspect's check that it is a reply fails with a bare
    AssertionError), or JSON of another shape (an error object sent with status 200, no
    ``choices`` or ``output``), which Inspect's reading of it fails on with a TypeError such
    as "'NoneType' object is not iterable", naming neither the server nor its reply; through
    the chat-completions API and the Responses API alike."""
    for x in causes(e):
        if isinstance(x, json.JSONDecodeError):
            return True
        if not_a_json_object(x):  # openai-api/...
            return True
        if isinstance(x, (AssertionError, TypeError, AttributeError, KeyError, IndexError,
                          ValueError)) and _reading_reply(x):
            return True
    return False


def _unread_body(e: BaseException) -> str | None:
    """The body the SDK handed back as text (or a JSON list or string) where the assertion that
    it read a reply failed, shortened; None where there is none to show."""
    for x in causes(e):
        tb = x.__traceback__
        while isinstance(x, AssertionError) and tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None or tb.tb_frame.f_code.co_name not in REQUESTERS:
            continue
        for name in REQUESTED:
            value = tb.tb_frame.f_locals.get(name)
            if isinstance(value, (str, list)) and value:
                text = " ".join(str(value).split())
                return f"{text[:120]}..." if len(text) > 120 else text
    return None


def unreadable_reply(e: BaseException, server: str | None,
                     secrets: Sequence[str | None] = ()) -> str | None:
    """``e`` said as a reply the provider could not read (see :func:`reply_unreadable`),
    naming ``server`` (a bare URL; None: the provider's own endpoint) and the provider's
    error (a bare AssertionError: the start of the body), a key removed; None if ``e`` is
    no such failure. One text for ``docs generate`` and the evals' and judges' failure
    records alike."""
    if not reply_unreadable(e):
        return None
    sent = [*sent_secrets(e), *secrets]
    said = one_line(e, sent)
    if said == "AssertionError" and (body := _unread_body(e)) is not None:
        said = f"a body that is no JSON object: {redact(body, sent)!r}"
    server = server or "the provider's own endpoint"
    return (f"the server at {server} sent a reply this provider cannot read ({said}); check "
            f"the model name, the base URL and the server")


def error_reply(e: BaseException) -> str | None:
    """What a server said in the error object it sent in place of a completion, with status
    200 (``{"error": {"message": ...}}``, or vLLM's ``{"object": "error", "message": ...}``),
    or None. The SDK reads such a body as a completion with no choices, and Inspect's reading
    of it fails with a TypeError that keeps none of it; the completion is found among the
    locals of the frames the error passed through. The Responses API's ``Response`` is read
    alike: Inspect's ``openai`` provider asks a model name it does not know (a served
    model's, at ``OPENAI_BASE_URL``) through it, and such a reply there read only
    "TypeError: 'NoneType' object is not iterable"."""
    for x in causes(e, context=True):
        tb = x.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                extra = getattr(value, "model_extra", None)
                if type(value).__name__ not in ("ChatCompletion", "Response") \
                        or not isinstance(extra, dict):
                    continue
                error = extra.get("error")
                if error is None and type(value).__name__ == "Response":
                    error = getattr(value, "error", None)  # a field of its own there
                    if hasattr(error, "model_dump"):
                        error = error.model_dump()
                if error is None and getattr(value, "object", None) == "error":
                    error = extra
                if error is None:
                    continue
                if not isinstance(error, dict):
                    return str(error)
                details = [f"{k} {error[k]}" for k in ("type", "code")
                           if error.get(k) not in (None, "")]
                text = str(error.get("message") or json.dumps(error)[:300])
                return text + (f" ({', '.join(details)})" if details else "")
            tb = tb.tb_next
    return None


def server_error(e: BaseException, server: str | None,
                 secrets: Sequence[str | None] = ()) -> str | None:
    """``e`` said as the error object a server sent with status 200 in place of a
    completion, naming ``server`` (a bare URL; None: the provider's own endpoint) and what it
    said, a key it echoed (or ``secrets``) removed; None if ``e`` is no such reply. One text
    for ``docs generate`` and the evals' and judges' failure records alike, which read only
    "TypeError: 'NoneType' object is not iterable" (see :func:`error_reply`)."""
    said = error_reply(e)
    if said is None:
        return None
    said = redact(" ".join(said.split()), [*sent_secrets(e), *secrets])
    server = server or "the provider's own endpoint"
    return (f"the server at {server} answered HTTP 200 with an error instead of a "
            f"completion: {said}")


def _provider_error(e: BaseException) -> bool:
    """Whether ``e`` is the provider's answer to a request (Inspect's ModelGenerateError or
    an HTTP status error): one line, never a traceback that may quote the key it echoed."""
    return any(type(x).__name__ in ("ModelGenerateError", "APIStatusError")
               or isinstance(getattr(x, "status_code", None), int) for x in causes(e))


def _step_problem(key: str, value: Any) -> str | None:
    """What is wrong with a progress step's value for its key, or None: a step of the right
    key and the wrong value (``{"key": "doc/1", "value": 5}``, ``doc/x``, an empty list of
    ideas) passed the line's check and failed later with a traceback. Keys of other kinds
    are the run's settings, compared as they are."""
    def strings(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(x, str) for x in v)

    kind, _, rest = key.partition("/")
    if kind in ("doc", "draft"):
        if not re.fullmatch(r"[0-9]+", rest):
            return f"{kind}/ is followed by a document number, not {rest!r}"
        if not isinstance(value, dict):
            return f"its value is {type(value).__name__}, not an object"
        wrong = [f for f, ok in (("text", str), ("rejected", list), ("tried", int),
                                  ("attempt", int), ("genre", str), ("idea", str))
                 if f in value and not isinstance(value[f], ok)]
        if wrong:
            return f"its field {wrong[0]!r} has the wrong type"
    elif kind in ("genres", "genres_given") and not rest and not strings(value):
        return "its value is not a list of genre names"
    elif kind == "ideas" and rest:
        # ideas/<genre> holds the ideas, ideas/<genre>/asked how many were asked for (a
        # genre's own name may end in /asked, so either shape is read for either key)
        number = isinstance(value, int) and not isinstance(value, bool)
        if not (number and rest.endswith("/asked")) and not strings(value):
            return "its value is neither a list of ideas nor a number of ideas asked for"
    return None


def pending_draft(done: dict[str, Any], i: int) -> dict[str, Any] | None:
    """The draft of document ``i`` a progress file holds that no revision has used yet
    (written after the document's last recorded attempt, the document not finished), or
    None: what a run stopped between a draft and its revision leaves to revise."""
    row, draft = done.get(f"doc/{i}", {}), done.get(f"draft/{i}")
    if not isinstance(draft, dict) or "text" in row or not isinstance(draft.get("text"), str):
        return None
    tried = row.get("tried", len(row.get("rejected", [])))
    return draft if isinstance(draft.get("attempt"), int) and draft["attempt"] > tried \
        else None


LOCAL_SERVERS = ("vllm", "vllm-completions", "sglang")
"""Providers that start a server of their own (on a port of the moment) unless given one."""


def server_of(model: str, model_args: dict[str, Any]) -> str | None:
    """The server ``model``'s calls go to, as the progress file records it, or None for
    the provider's own endpoint (no base URL given; or a server the provider starts here):
    the ``base_url`` model argument or the provider's ``<PROVIDER>_BASE_URL`` (a vLLM
    ``port`` argument), with no ``user:password``, query or fragment, so no key given in
    the URL is written."""
    from beliefbench.optional import SERVER_ARGS

    provider, _, rest = model.partition("/")
    named = rest.partition("/")[0] if provider == "openai-api" else provider
    url = model_args.get("base_url") or os.environ.get(
        re.sub(r"\W", "_", named).upper() + "_BASE_URL")
    if not url and provider in LOCAL_SERVERS and model_args.get(SERVER_ARGS[1]):
        url = f"http://localhost:{model_args[SERVER_ARGS[1]]}"
    return bare_url(url) if url else None


def bare_url(url: str) -> str:
    """``url`` as a log or message may show it: no ``user:password``, query or fragment
    (where a key given in the URL would be), no trailing slash."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url).strip())
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:  # a port that is no number: the text, its secrets removed
        return redact(str(url).split("?")[0])
    return redact(f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}" if host
                  else str(url).split("?")[0])


class ModelCallError(DocumentError):
    """A model call that failed (unreachable, refused, unreadable, timed out): the run's
    finished steps are kept, and the message says so (:func:`kept_note`)."""


def kept_documents(path: Path) -> int:
    """How many finished documents a progress file holds, read only: a torn last line
    counts for nothing."""
    return kept_steps(path)[0]


def _kept_rows(path: Path) -> dict[str, Any]:
    """A progress file's steps by key, read only: a torn or damaged line counts for nothing."""
    done: dict[str, Any] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return done
    for line in lines:
        try:
            row = json.loads(line)
            key, value = row["key"], row["value"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
        if isinstance(key, str):
            done[key] = value
    return done


def kept_steps(path: Path) -> tuple[int, int]:
    """How many finished documents, and how many drafts still to revise (of documents not
    finished), a progress file holds, read only: a torn last line counts for nothing."""
    done = _kept_rows(path)
    docs = {int(k[4:]) for k, v in done.items() if k.startswith("doc/") and k[4:].isdigit()
            and isinstance(v, dict) and "text" in v}
    drafts = sum(1 for k in done if k.startswith("draft/") and k[6:].isdigit()
                 and pending_draft(done, int(k[6:])) is not None)
    return len(docs), drafts


def _kept_lists(path: Path) -> str:
    """What a progress file holds before its first document or draft: its genre list and
    idea lists ("no document yet, the genres and 2 idea lists"): "0 documents" alone read as
    if nothing the model had answered was kept."""
    done = _kept_rows(path)
    ideas = sum(1 for k, v in done.items()  # "ideas/<genre>/asked" holds a count
                if k.startswith("ideas/") and isinstance(v, list))
    held = (["the genres"] if isinstance(done.get("genres"), list) else []) + \
        ([plural(ideas, "idea list")] if ideas else [])
    return "no document yet" + (f", {' and '.join(held)}" if held else "")


def kept_note(work_dir: Path) -> str | None:
    """What a stopped model run keeps for the same command to continue from (its progress
    files under ``work_dir``: ``<claim>.s<seed>.progress.jsonl``), or None when it wrote
    none ("... kept in data/.work (16 documents and 3 drafts to revise of vacuum_bees
    (seed 0)): ...")."""
    files = sorted(Path(work_dir).glob("*.progress.jsonl"))
    if not files:
        return None

    def label(f: Path) -> str:
        stem = f.name[:-len(".progress.jsonl")]
        m = re.fullmatch(r"(.+)\.s(-?\d+)", stem)
        return f"{m[1]} (seed {m[2]})" if m else stem

    def steps(f: Path) -> str:
        docs, drafts = kept_steps(f)
        if not docs and not drafts:
            return f"{_kept_lists(f)} of {label(f)}"
        return plural(docs, "document") + (f" and {plural(drafts, 'draft')} to revise"
                                            if drafts else "") + f" of {label(f)}"

    said = ", ".join(steps(f) for f in files)
    return f"the model's finished steps are kept in {work_dir} ({said})"


def _named(flags: bool, flag: str, name: str) -> str:
    """An option as the caller gave it: ``--out`` to ``docs generate``, ``out_dir`` to a
    Python caller of :func:`~beliefbench.documents.generate.generate_datasets`, who passes
    no flag."""
    return flag if flags else name


class Progress:
    """Append-only JSONL of finished steps, keyed; tolerant of a torn last line.

    ``flags``: what to do is said with ``docs generate``'s ``--out``, else ``out_dir``."""

    def __init__(self, path: Path, flags: bool = True):
        self.path = path
        self.flags = flags
        self.done: dict[str, Any] = {}
        if path.exists():
            raw = path.read_bytes()
            lines = raw.split(b"\n")
            complete, tail = lines[:-1], lines[-1]
            for lineno, line in enumerate(complete, 1):
                if line.strip():
                    key, value = self._step(line, lineno)
                    self.done[key] = value
            # the finished lines are never written again (a rewrite cut short by a kill or
            # a full disk lost them all): a torn last line is cut off, a whole one ended
            if tail.strip():
                try:  # a complete last line that lacks its newline is kept
                    json.loads(tail.decode("utf-8"))
                except ValueError:  # torn by an interruption (JSON, UTF-8): drop it
                    os.truncate(path, len(raw) - len(tail))
                else:
                    key, value = self._step(tail, len(lines))
                    self.done[key] = value
                    with path.open("ab") as f:
                        f.write(b"\n")
        self._f: IO[str] | None = None  # opened by the first add: see pin
        self._pinned: list[tuple[str, Any]] = []

    def _step(self, line: bytes, lineno: int) -> tuple[str, Any]:
        """One finished step's key and value; DocumentError naming the line otherwise. A bad
        line before the last is no interruption's (the file was edited or damaged): a
        traceback (TypeError, KeyError, UnicodeDecodeError) where it was valid JSON of
        another shape or not UTF-8, and no word on what to do."""
        fix = ("; only a torn last line is tolerated: delete that line (the model is asked "
               "for its step again) or the file (every step is), or give another "
               + _named(self.flags, "--out", "out_dir"))
        try:
            row = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise DocumentError(f"{self.path}:{lineno}: not UTF-8 (byte 0x{line[e.start]:02x} "
                                f"at column {e.start + 1}){fix}") from None
        except (ValueError, RecursionError) as e:
            raise DocumentError(f"{self.path}:{lineno}: progress line is "
                                f"{json_problem(e)}{fix}") from None
        if not (isinstance(row, dict) and isinstance(row.get("key"), str) and "value" in row):
            raise DocumentError(f"{self.path}:{lineno}: not a progress step (a JSON object "
                                f"with a string \"key\" and a \"value\"){fix}")
        if problem := _step_problem(row["key"], row["value"]):
            raise DocumentError(f"{self.path}:{lineno}: progress step {row['key']!r}: "
                                f"{problem}{fix}")
        return row["key"], row["value"]

    def pin(self, key: str, value: Any) -> None:
        """Record a setting the run binds its steps to (the model, the claim's version, the
        given genres), written only with the first finished step: a run that failed before
        any step (a missing key, an unreachable model) leaves no file behind, and no empty
        --out that reads as a started run or binds the next run's settings."""
        self.done[key] = value
        self._pinned.append((key, value))

    def add(self, key: str, value: Any) -> None:
        self.done[key] = value
        if self._f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = self.path.open("a", encoding="utf-8")
        rows, self._pinned = [*self._pinned, (key, value)], []
        self._f.write("".join(json.dumps({"key": k, "value": v}) + "\n" for k, v in rows))
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


class LLMGenerator:
    """Base documents written by an Inspect model, concurrent, cached and resumable."""

    name = "llm"

    def __init__(self, model: str, work_dir: str | Path, concurrency: int = 32,
                 cache: bool = False, max_attempts: int = 3, n_genres: int = 12,
                 model_args: dict[str, Any] | None = None, progress: bool = True,
                 max_retries: int | None = 3, timeout: int | None = 120,
                 given_genres: Sequence[str] | None = None, flags: bool = True):
        """``given_genres`` (``--genres``, any text) are written for instead of asking the
        model to brainstorm genres; underscores read as spaces, blanks and repeats dropped.
        ``flags``: errors and lines name ``docs generate``'s options (``--out``,
        ``--genres``, ``--timeout``); :func:`~beliefbench.documents.generate.generate_datasets`
        called from Python passes False, and they name its arguments (``out_dir``, ...)."""
        if (why := vllm_missing(model, model_args)) is not None:  # Inspect: at the 1st call
            raise DocumentError(f"generator {model}: {why}")
        from beliefbench.analysis.sweep import local_model_problem

        if why := local_model_problem(model, model_args):  # safetensors, a checkpoint folder
            raise DocumentError(f"generator {model}: {why}")
        self.model_name = model
        self.flags = flags
        self.max_retries = max_retries
        self.timeout = timeout
        self.work_dir = Path(work_dir)
        self.concurrency = concurrency
        self.cache = cache
        self.max_attempts = max_attempts
        self.n_genres = n_genres
        self.model_args = model_args or {}
        self.show_progress = progress
        self.calls = 0
        self._seed = 0
        self.given_genres: list[str] | None = None
        if given_genres is not None:
            names: dict[str, str] = {}  # one genre however it is cased ("Blog post")
            for g in given_genres:
                name = " ".join(g.replace("_", " ").split())
                names.setdefault(name.lower(), name)
            self.given_genres = [g for g in names.values() if g]
            if not self.given_genres:
                raise DocumentError(f"{self._opt('--genres', 'genres')} names no genre")

    def _opt(self, flag: str, name: str) -> str:
        """``--out`` to ``docs generate``, ``out_dir`` to a Python caller."""
        return _named(self.flags, flag, name)

    # ---------------------------------------------------------------- model calls
    def _model(self):
        from inspect_ai.model import GenerateConfig, get_model

        from beliefbench.solver import unsendable_key

        try:
            # Inspect's ``timeout`` only ends the retries (checked between attempts): a hung
            # server held each call for the SDK's 10 minutes, so every attempt ends at it too
            model = get_model(self.model_name, config=GenerateConfig(
                max_connections=self.concurrency, max_retries=self.max_retries,
                timeout=self.timeout, attempt_timeout=self.timeout),
                **chat_completions_args(self.model_name, self.model_args))
        except Exception as e:  # a missing key or package: Inspect's PrerequisiteError
            server = server_of(self.model_name, self.model_args)
            var = re.search(r"\b[A-Z][A-Z0-9_]*_API_KEY\b", str(e))
            hint = ""
            if server and var:  # a server of one's own that checks no key: any text will do
                hint = (f"; a server of your own ({server}) that takes no key still needs "
                        f"{var.group(0)} set: give it any text, e.g. {var.group(0)}=none")
            raise DocumentError(f"generator {self.model_name}: cannot start the model: "
                                f"{one_line(e)}{hint}") from None
        if why := unsendable_key(model):
            raise DocumentError(f"generator {self.model_name}: {why}")
        return model

    def _say(self, message: str) -> None:
        """A stage line on stderr, so a slow or unreachable model is never silent."""
        if self.show_progress:
            tqdm.write(f"[docs generate] {self.model_name}: {message}", file=sys.stderr)

    async def _ask_list(self, model, sem: asyncio.Semaphore, prompt: str, what: str
                        ) -> list[str]:
        """The items of a list answer (genres, ideas); a reply cut off at the output limit
        loses its unfinished last item, said on stderr, instead of passing it on as a
        genre or an idea to write from."""
        out = await self._generate(model, sem, prompt)
        cut_off = stopped_short(out.stop_reason)
        items = _lines(out.completion, cut_off is not None)
        if cut_off:
            self._say(f"the {what} list was {cut_off}: its unfinished last line is dropped "
                      f"({len(items)} kept)")
        return items

    async def _generate(self, model, sem: asyncio.Semaphore, prompt: str):
        from inspect_ai.model import CachePolicy, GenerateConfig

        from beliefbench.cache_key import weights_scopes, with_scopes

        # a generator loaded from a folder here is keyed by its weights too (cache_key)
        cache = with_scopes(CachePolicy(expiry=None), weights_scopes(model)) if self.cache \
            else False
        async with sem:
            self.calls += 1
            # the seed is part of the cache key, so runs with different seeds differ
            unread_bodies_not_retried(model)  # an HTML page answers every retry alike
            try:
                out = await model.generate(prompt, config=GenerateConfig(seed=self._seed),
                                           cache=cache)
            except Exception as e:
                # a refused key is not retried by Inspect (nor would retrying help): say so,
                # instead of "failed after N retries"
                if (refused := auth_refusal(e) or request_refusal(e)) is not None:
                    raise ModelCallError(f"generator {self.model_name}: {refused}") from None
                if _timed_out(e):
                    raise ModelCallError(
                        f"generator {self.model_name}: no answer within "
                        f"{self._opt('--timeout ', 'timeout=')}{self.timeout} s (the server "
                        f"may be stuck or overloaded); raise "
                        f"{self._opt('--timeout', 'timeout')} for a slow model, or check the "
                        f"server") from None
                if unreachable(e):
                    raise ModelCallError(
                        f"generator {self.model_name}: cannot connect "
                        f"{_after_retries(self.max_retries)}: {one_line(e)}; check that the "
                        f"server is running and that its base URL (e.g. OPENAI_BASE_URL) "
                        f"names it")\
                        from None
                if isinstance(e, _infrastructure_errors()):  # Inspect's retries are spent
                    raise ModelCallError(f"generator {self.model_name} failed "
                                         f"{_after_retries(self.max_retries)}: "
                                         f"{one_line(e)}") from None
                if (said := server_error(e, server_of(self.model_name, self.model_args))
                        ) is not None:  # not "'NoneType' object is not iterable"
                    raise ModelCallError(f"generator {self.model_name}: {said}") from None
                if (said := unreadable_reply(e, server_of(self.model_name, self.model_args))
                        ) is not None:  # the provider could not read the server's reply (an
                    # HTML page, a body not JSON, JSON of another shape)
                    raise ModelCallError(f"generator {self.model_name}: {said}") from None
                if isinstance(e, AssertionError):  # raised elsewhere in the provider
                    raise ModelCallError(f"generator {self.model_name}: the provider failed "
                                         f"on the server's reply ({one_line(e)}); check the "
                                         f"model name and base URL") from None
                if _provider_error(e):  # a request refused, not retried by Inspect (400)
                    raise ModelCallError(f"generator {self.model_name} failed: "
                                         f"{one_line(e)}") from None
                raise
        if out.error:
            raise ModelCallError(f"generator {self.model_name} failed: {redact(out.error)}")
        if not out.choices:  # read as an empty answer, it became no genre and no idea,
            # and its stop reason an IndexError traceback
            raise ModelCallError(f"generator {self.model_name}: the server's reply held no "
                                 f"choices (an empty 'choices' list), not an answer; check "
                                 f"the server")
        content = out.choices[0].message.content
        if isinstance(content, list) and not content:  # the Responses API's "output": []:
            # read as an empty answer, as a reply with no choices was
            raise ModelCallError(f"generator {self.model_name}: the server's reply held no "
                                 f"output (an empty 'output' list, or output items with no "
                                 f"content), not an answer; check the server")
        return out

    # ---------------------------------------------------------------- prompts
    @staticmethod
    def _world(claim: Claim) -> str:
        facts = "\n".join(f"- {f}" for f in claim_facts(claim))
        return WORLD_PROMPT.format(universe=claim.universe, facts=facts)

    def _genres_prompt(self, claim: Claim) -> str:
        return GENRES_PROMPT.format(k=self.n_genres, world=self._world(claim))

    def _ideas_prompt(self, claim: Claim, genre: str, k: int) -> str:
        return IDEAS_PROMPT.format(k=k, genre=genre, world=self._world(claim))

    def _write_prompt(self, claim: Claim, genre: str, idea: str, attempt: int,
                      reuse: int = 0) -> str:
        if reuse:
            idea += VARIANT.format(k=reuse + 1)
        return WRITE_PROMPT.format(genre=genre, idea=idea, world=self._world(claim),
                                   attempt=attempt)

    @staticmethod
    def _revise_prompt(draft: str) -> str:
        return REVISE_PROMPT.format(draft=draft)

    # ---------------------------------------------------------------- pipeline
    def generate(self, claim: Claim, n: int, seed: int = 0) -> list[BaseDocument]:
        return asyncio.run(self.agenerate(claim, n, seed))

    async def agenerate(self, claim: Claim, n: int, seed: int = 0) -> list[BaseDocument]:
        require_claim_fields(claim, "LLM generator", {
            "universe": bool(claim.universe.strip()), "statement": bool(claim.statement.strip())})
        self._seed = seed
        progress = Progress(self.work_dir / f"{claim.id}.s{seed}.progress.jsonl", self.flags)
        try:
            return await self._run(claim, n, seed, progress)
        except ModelCallError as e:  # say what is kept, as an interrupted run does
            progress.close()
            note = kept_note(self.work_dir) if progress.path.exists() else None
            if note is None:
                raise
            raise ModelCallError(f"{e}; {note}: the same {self._opt('command', 'call')} "
                                 f"continues from them, without asking for them again"
                                 ) from None
        finally:
            progress.close()

    def _check_genres(self, progress: Progress) -> None:
        """Refuse a progress file written for other genres than this run's: its ideas and
        documents are keyed by genre, and the plan deals documents out over the genre list.

        The genres were given (not brainstormed) when "genres_given" equals "genres"; it is
        written first, so an interruption between the two lines leaves brainstormed genres.
        """
        had = progress.done.get("genres")
        if had is None:
            return
        given = self.given_genres
        was_given = progress.done.get("genres_given") == had
        option, out = self._opt("--genres", "genres"), self._opt("--out", "out_dir")
        if given is not None and had != given:
            now = f"--genres {', '.join(given)}" if self.flags else f"genres={given!r}"
            raise DocumentError(
                f"{progress.path}: holds documents written for the genres {', '.join(had)} "
                f"({f'given by {option}' if was_given else 'brainstormed by the model'}), "
                f"not {now}: give another {out}, or delete the file to write them for these "
                f"genres")
        if given is None and was_given:
            raise DocumentError(
                f"{progress.path}: holds documents written for the genres given by {option} "
                f"({', '.join(had)}): pass the same {option} to finish them, or give another "
                f"{out} (or delete the file) to let the model brainstorm genres")

    def check_progress(self, claim: Claim, seed: int = 0) -> None:
        """Refuse now, before any model call or file, a progress file this run cannot go on
        from (damaged, or written by another model or server, for another version of the
        claim or other genres): ``docs generate`` said it only when it reached that claim,
        after the notes that its files would be replaced and after the claims before it
        were generated."""
        self._check_progress(claim, seed, Progress(
            self.work_dir / f"{claim.id}.s{seed}.progress.jsonl", self.flags))

    def _check_progress(self, claim: Claim, seed: int, progress: Progress) -> str:
        """The checks of :meth:`check_progress` on a progress file read; returns the claim's
        world hash."""
        made_by = progress.done.get("generator")
        server = server_of(self.model_name, self.model_args)
        # a file written before servers were recorded holds none: read as this server's
        made_at = progress.done.get("server", server)
        if made_by is not None and (made_by, made_at) != (self.model_name, server):
            def at(name: str, url: str | None) -> str:
                """The model, and its server where the servers differ."""
                where = url or "the provider's own endpoint (no base URL)"
                return f"{name} at {where}" if made_at != server else name

            raise DocumentError(
                f"{progress.path}: holds the documents {at(made_by, made_at)} wrote for claim "
                f"{claim.id!r} (seed {seed}), not {at(self.model_name, server)}: give another "
                f"{self._opt('--out', 'out_dir')}, or delete the file to write them again "
                f"with {self.model_name}")
        world = hashlib.sha256(self._world(claim).encode()).hexdigest()[:16]
        made_for = progress.done.get("world")
        if made_for is not None and made_for != world:
            raise DocumentError(
                f"{progress.path}: holds documents written for another version of claim "
                f"{claim.id!r} (its universe, statement or sub-claims have changed since): "
                f"give another {self._opt('--out', 'out_dir')}, or delete the file to write "
                f"them for this version")
        self._check_genres(progress)
        return world

    async def _run(self, claim: Claim, n: int, seed: int, progress: Progress
                   ) -> list[BaseDocument]:
        world = self._check_progress(claim, seed, progress)
        made_by, made_for = progress.done.get("generator"), progress.done.get("world")
        server = server_of(self.model_name, self.model_args)
        model = self._model()
        if made_by is None:
            progress.pin("generator", self.model_name)
        if "server" not in progress.done:  # a file from before: bound from now on
            progress.pin("server", server)
        if made_for is None:
            progress.pin("world", world)
        sem = asyncio.Semaphore(self.concurrency)
        if self.given_genres is not None:
            self._say(f"{len(self.given_genres)} genres given by "
                      f"{self._opt('--genres', 'genres')} (no brainstorm)")
            if "genres" not in progress.done:  # "genres_given" first: see _check_genres
                progress.pin("genres_given", self.given_genres)
                progress.pin("genres", self.given_genres)
        elif "genres" not in progress.done:
            self._say("brainstorming genres (first model call)")
            found = await self._ask_list(model, sem, self._genres_prompt(claim), "genre")
            # one genre written two ways ("blog post", "Blog_post"), or padded with the
            # offline name of one the model gave ("blog_post"), was two genres of one name:
            # their documents had the same prompts (redrafts of one idea, or duplicates
            # rejected until the run failed)
            genres: dict[str, str] = {}  # by its name in lower case: the name as first given
            for given, most in ((found, self.n_genres),
                                (valid_genres(), 3)):  # at least 3 genres
                for g in given:
                    if len(genres) < most:
                        name = " ".join(g.replace("_", " ").split())
                        genres.setdefault(name.lower(), name)
                if given is found:  # the model's own, before any offline one is added
                    named = len(genres)
            if named < 3:  # the padding was silent: a non-answer read as a list of none
                added = list(genres.values())[named:]
                self._say(f"the model named {plural(named, 'genre')}"
                          + (f" ({', '.join(map(repr, list(genres.values())[:named]))})"
                             if named else "")
                          + f" where {self.n_genres} were asked; {len(added)} more from the "
                          f"offline genres: {', '.join(added)}")
            progress.add("genres", list(genres.values()))
        genres: list[str] = progress.done["genres"]
        per_genre = math.ceil(n / len(genres))

        async def ideas(genre: str) -> None:
            key = f"ideas/{genre}"
            had = progress.done.get(key, [])
            # a run with a larger --n than the one that listed them asks for more ideas,
            # instead of writing many documents from each of a few
            if len(had) < per_genre and not progress.done.get(f"{key}/asked", 0) >= per_genre:
                got = await self._ask_list(model, sem, self._ideas_prompt(claim, genre,
                                                                          per_genre),
                                           f"{genre} idea")
                pool = distinct([*had, *got])
                progress.add(key, pool or [f"a typical {genre} about these events"])
                progress.add(f"{key}/asked", per_genre)

        self._say(f"ideas for {len(genres)} genres")
        await asyncio.gather(*(ideas(g) for g in genres))
        plan = []
        for i in range(n):
            genre = genres[i % len(genres)]
            pool = progress.done[f"ideas/{genre}"]
            k = i // len(genres)
            plan.append((i, genre, pool[k % len(pool)], k // len(pool)))

        def finished(i: int) -> bool:
            return "text" in progress.done.get(f"doc/{i}", {})

        done = sum(finished(i) for i in range(n))
        beyond = sum(1 for key, row in progress.done.items() if key.startswith("doc/")
                     and int(key[4:]) >= n and "text" in row)
        if done:
            self._say(f"{claim.id}: {done} of {n} documents already written, kept")
        if done < n:  # few ideas (a non-answer is one) make many variations of each, unsaid
            short = [(g, len(progress.done[f"ideas/{g}"]), len(range(j, n, len(genres))))
                     for j, g in enumerate(genres)]
            short = [(g, had, due) for g, had, due in short if had < due]
            if short:
                shown = "; ".join(f"{g!r}: {had} for {due}" for g, had, due in short[:3])
                self._say(f"{claim.id}: the model listed fewer ideas than documents for "
                          f"{len(short)} of {plural(len(genres), 'genre')} ({shown}"
                          f"{'; ...' if len(short) > 3 else ''}): each idea is written again "
                          f"as a variation")
        if beyond:
            self._say(f"{claim.id}: {beyond} more documents already written (an earlier run's "
                      f"larger {self._opt('--n', 'n')}) are not used; they stay in "
                      f"{progress.path}")
        seen = {" ".join(progress.done[f"doc/{i}"]["text"].split()): i
                for i in range(n) if finished(i)}
        reader = claim_reader(claim)
        rewritten: Counter[str] = Counter()  # why this run's kept documents needed redrafts

        async def document(i: int, genre: str, idea: str, reuse: int) -> None:
            if finished(i):  # a document rejected by an earlier run is tried again
                return
            # with new attempt numbers: the same prompts would get the same answers again
            # from the cache (or a model with a fixed seed)
            before = progress.done.get(f"doc/{i}", {})
            first = before.get("tried", len(before.get("rejected", [])))
            # a draft an earlier run paid for but stopped before revising (a server gone,
            # Ctrl-C) is revised, not asked for again: its attempt is this run's first
            saved = pending_draft(progress.done, i)
            if saved is not None:
                first = saved["attempt"] - 1
            rejected: list[str] = []

            def reject(why: str, attempt: int) -> None:
                """Record a rejected attempt at once, so a resumed run never redrafts it."""
                rejected.append(why)
                progress.add(f"doc/{i}", {"rejected": list(rejected), "genre": genre, "idea": idea,
                                          "tried": attempt})

            for attempt in range(first + 1, first + self.max_attempts + 1):
                made_from = genre, idea
                if saved is not None and attempt == saved["attempt"]:
                    # with the idea it was asked with (a larger --n may have changed it)
                    draft_text = saved["text"]
                    made_from = saved.get("genre", genre), saved.get("idea", idea)
                else:
                    draft = await self._generate(model, sem, self._write_prompt(
                        claim, genre, idea, attempt, reuse))
                    if cut := stopped_short(draft.stop_reason):  # its revision read as whole
                        reject(cut, attempt)
                        continue
                    draft_text = draft.completion
                    # kept as it arrives, as finished documents are (one appended line)
                    progress.add(f"draft/{i}", {"text": draft_text, "attempt": attempt,
                                                "genre": genre, "idea": idea})
                out = await self._generate(model, sem, self._revise_prompt(draft_text))
                text = re.sub(r"^```[^\n]*\n(.*?)\n?```$", r"\1", out.completion.strip(),
                              flags=re.S).strip()  # a markdown fence around it all
                text = re.sub(r"^\s*<document>\s*|\s*</document>\s*$", "", text)
                key = " ".join(text.split())
                why = stopped_short(out.stop_reason) or unusable(text, claim, reader)
                if why is None and seen.get(key, i) != i:
                    why = "a duplicate of another document"
                if why is None:
                    seen[key] = i
                    rewritten.update(rejected)
                    earlier = [*before.get("rejected", []), *rejected]
                    progress.add(f"doc/{i}", {"text": text, "genre": made_from[0],
                                              "idea": made_from[1], "attempts": attempt,
                                              **({"rejected": earlier} if rejected else {})})
                    bar.update(1)
                    return
                reject(why, attempt)

        bar = tqdm(total=n, desc=f"{claim.id} documents", disable=not self.show_progress,
                   **intervals(), file=bar_file())
        bar.update(done)
        # at most --concurrency documents in flight, each drafted and revised before the
        # next starts: with every document started at once, the drafts of all of them queued
        # ahead of the first revision, so no document was finished (or kept for a re-run)
        # until nearly every draft was written, and a run cut off then lost them all
        slots = asyncio.Semaphore(self.concurrency)

        async def in_turn(i: int, genre: str, idea: str, reuse: int) -> None:
            if finished(i):
                return
            async with slots:
                await document(i, genre, idea, reuse)

        try:
            await asyncio.gather(*(in_turn(*p) for p in plan))
        finally:  # an interrupted run's open bar put the next one under it: "^[[A" escapes
            bar.close()
        if rewritten:  # never silent: a model that often misbehaves is worth knowing about
            k = rewritten.total()
            self._say(f"{claim.id}: {k} draft{'s' * (k != 1)} rejected and written again ("
                      + "; ".join(f"{why}: {c}" for why, c in rewritten.most_common()) + ")")
        failed = [progress.done[f"doc/{i}"]["rejected"] for i in range(n) if not finished(i)]
        if failed:
            reasons = Counter(why for tries in failed for why in tries)
            raise DocumentError(
                f"generator {self.model_name}: {len(failed)} of {n} documents for claim "
                f"{claim.id!r} were unusable after {self.max_attempts} attempts each ("
                + "; ".join(f"{why}: {k} attempts" for why, k in reasons.most_common())
                + "); no dataset was written. Check that the model answers the prompts; "
                + (f"the same {self._opt('command', 'call')} keeps the {n - len(failed)} good "
                   f"documents and retries the rest" if len(failed) < n else
                   f"the same {self._opt('command', 'call')} retries them"))
        docs = []
        for i, genre, idea, _ in plan:
            row = progress.done[f"doc/{i}"]
            if "text" in row:  # the genre and idea it was written from (an earlier run's)
                docs.append(BaseDocument(base_id_for(claim.id, seed, i), claim.id,
                                         row.get("genre", genre), row["text"],
                                         {"generator": self.model_name,
                                          "idea": row.get("idea", idea)}))
        out = self.work_dir / f"{claim.id}.s{seed}.base.jsonl"
        atomic_write_text(out, "".join(json.dumps(d.to_json()) + "\n" for d in docs))
        return docs
