"""The outermost ASGI layer when what it wraps fails: before answering, and halfway through."""

import asyncio
from typing import Any

import pytest

from opencat.ops.asgi_types import Message, Receive, Scope, Send
from opencat.ops.metrics import Metrics
from opencat.ops.watch import Watched


def _scope() -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "raw_path": b"/x",
        "query_string": b"",
        "headers": [],
    }


def _run(app: Any) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(Watched(app, Metrics(lambda: None))(_scope(), receive, send))
    return sent


def test_an_error_before_any_answer_gets_a_500_with_its_id() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("before the answer")

    start, body = _run(broken)
    assert start["status"] == 500
    assert (b"x-request-id", b"") not in start["headers"]
    assert any(name == b"x-request-id" for name, _ in start["headers"])
    assert body["body"] == b'{"message":"Internal Server Error"}'


def test_an_error_halfway_through_a_body_reaches_the_server() -> None:
    async def cut(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise RuntimeError("halfway")

    # The server must cut the connection: the client would otherwise take the part for the whole.
    with pytest.raises(RuntimeError, match="halfway"):
        _run(cut)
