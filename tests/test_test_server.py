"""The tests' own HTTP server (conftest's ``serve_json``): a client that goes away mid-request
is no test failure, and a reply that raises is one."""

from __future__ import annotations

import json
import socket

import pytest
from conftest import serve_json

HEAD = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n")


def _send(port: int, data: bytes, *, close_write: bool = True) -> bytes:
    """Send ``data`` on a fresh connection (then end it, as a client that gave up does) and
    return all the server answered before closing it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(data)
        if close_write:
            c.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := c.recv(65536):
            got += chunk
    return got


@pytest.mark.parametrize("sent", [b"", b'{"model": "m", "messa'], ids=["headers", "half"])
def test_a_client_gone_before_its_body_is_dropped_without_calling_reply(capfd, sent):
    """A client cancelled between writing its headers and its body (httpx writes them apart;
    a Ctrl-C or timeout lands between) had its request read as ``{}``: the reply raised
    ``KeyError: 'messages'``, printed as a traceback from the server's thread (a CI flake in
    test_documents_llm.py). It is dropped unanswered and the reply is never called."""
    calls = []
    server = serve_json(lambda h: (calls.append(h.body), (200, {"m": h.body["messages"]}))[1])
    try:
        body = json.dumps({"model": "m", "messages": []}).encode()
        answered = _send(server.server_port, HEAD % len(body) + sent)
        whole = _send(server.server_port, HEAD % len(body) + body)
    finally:
        server.shutdown()  # raises if the reply raised
    assert answered == b"" and calls == [{"model": "m", "messages": []}], (answered, calls)
    assert whole.startswith(b"HTTP/1.0 200") and whole.endswith(b'{"m": []}'), whole
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("body", [b'{"model": "m"}', b"{not json}"], ids=["reply", "json"])
def test_a_reply_that_raises_on_a_whole_request_fails_the_test(capfd, body):
    """A reply's own bug (or a whole body that is no JSON) was only printed from the server's
    thread, the test passing or failing on something else: the client is answered 500 with
    the error, and ``shutdown()`` raises it for the test to fail on."""
    server = serve_json(lambda h: (200, {"m": h.body["messages"]}))
    answered = _send(server.server_port, HEAD % len(body) + body)
    with pytest.raises(AssertionError, match="the test server's reply raised") as e:
        server.shutdown()
    assert answered.startswith(b"HTTP/1.0 500"), answered
    said = json.loads(answered.split(b"\r\n\r\n", 1)[1])["error"]["message"]
    assert said.startswith("test server: ") and type(e.value.__cause__).__name__ in said, said
    assert "Traceback" not in capfd.readouterr().err
