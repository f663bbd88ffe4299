"""The one rule that masks a URL's credentials in messages (``beliefbench.redaction``): used
by ``documents.llm.redact`` for any error text and by the OpenAI fine-tuning backend for
OPENAI_BASE_URL; each caller's own cases are tested where the caller is."""

from beliefbench.redaction import url_credentials_masked, url_shown, url_userinfo


def test_one_url_is_shown_without_its_user_password_or_query():
    for url, shown in [
        ("https://bob:PW-1@proxy.internal/v1", "https://***@proxy.internal/v1"),
        ("bob:PW-1@localhost:8000/v1", "***@localhost:8000/v1"),  # no scheme
        ("http:/bob:PW-1@localhost:8000/v1", "http:/***@localhost:8000/v1"),
        ("https://b:PW@1@h/v1", "https://***@h/v1"),  # up to the host's (last) "@"
        ("https://b:20?PW-1@h/v1", "https://***@h/v1"),  # a "?" in it starts no query
        ("https://h/v1?model=m&api-key=k", "https://h/v1?***"),  # any query, any name
        ("localhost:8000/v1", "localhost:8000/v1"),
    ]:
        assert url_shown(url) == shown, url
    assert url_userinfo("b:PW@1@h/v1?x=a@b") == "b:PW@1"
    assert url_userinfo("https://h/v1?x=a@b") == ""  # an "@" past the host is no password


def test_urls_in_a_text_lose_their_user_password_and_secret_query_values():
    text = (
        "failed: http://u:p@ss@h/v1?model=m&api-key=k1 and 'ann:pw@gpu.lan' "
        "(ssh://git@host/x); mail bob@example.com at 10:30"
    )
    assert url_credentials_masked(text) == (
        "failed: http://***@h/v1?model=m&api-key=*** and '***@gpu.lan' "
        "(ssh://***@host/x); mail bob@example.com at 10:30"
    )
