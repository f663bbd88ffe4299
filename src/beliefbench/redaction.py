"""The credentials a URL carries (its ``user:password``, a key in its query), masked in a
message: one rule for ``documents.llm.redact`` (any error text) and for the fine-tuning
backend's words about OPENAI_BASE_URL, which each had their own, and each missed a case the
other caught (a URL without a scheme, a password holding an ``@``). It imports nothing of
beliefbench, so either side imports it without importing the other."""

from __future__ import annotations

import re

MASK = "***"

_ONE_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:/{1,2})?([^/]*)@")
"""The start of one URL up to its user:password's ``@``: its scheme (``http:/`` too), if
any, and the user:password, up to the last ``@`` before its path (a password may hold an
``@``)."""

_IN_TEXT = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:/{1,2})[^/\s]*@"  # http://user:pw@host
    r"""|(?<![^\s'"(<\[=,;])[^\s/:@'"]+:[^\s/]*@(?=[\w\[])"""  # user:pw@host, no scheme
)
"""The user:password of a URL within a text, up to the host's ``@``: after a scheme, or,
without one, a ``user:password@host`` that starts a word (an e-mail address has no colon,
so it stays)."""

_QUERY = re.compile(r"([?&]([\w.-]+)=)[^&\s#'\")]+")
"""A URL query parameter and its value."""
_QUERY_SECRET = frozenset(
    {
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "auth",
        "sig",
        "signature",
        "credential",
        "credentials",
    }
)
"""Words of a query parameter's name (``api-key``, ``access_token``) that make it a secret."""


def url_userinfo(url: str) -> str:
    """The user:password (or token) of one URL, with or without a scheme, or ``""``: the
    text to mask wherever a message repeats it."""
    m = _ONE_URL.match(url)
    return m[2] if m else ""


def url_shown(url: str) -> str:
    """One URL as a message may show it: its user:password and its whole query (where a key
    may be, whatever its parameter's name) replaced by ``***``."""
    m = _ONE_URL.match(url)
    if m:
        url = f"{m[1] or ''}{MASK}@{url[m.end() :]}"
    base, mark, _ = url.partition("?")
    return base + (f"?{MASK}" if mark else "")


def url_credentials_masked(text: str) -> str:
    """``text`` with the user:password of each URL in it, and the value of each query
    parameter whose name says it is a secret (``?api-key=``, ``&access_token=``), replaced
    by ``***``; other parameters (``?model=m``) stay, as a message needs them."""
    text = _QUERY.sub(
        lambda m: (
            f"{m[1]}{MASK}" if _QUERY_SECRET & set(re.split(r"[\W_]+", m[2].lower())) else m[0]
        ),
        text,
    )
    return _IN_TEXT.sub(lambda m: f"{m['scheme'] or ''}{MASK}@", text)
