"""A response sent before the request's body was read to its end closes the connection.

Refusing an upload early (too large, a full disk, no permission) must not make the server read
gigabytes it will throw away, but the unread rest of the body is then still on the wire: a client
that reused the connection would see its next request fail. ``Connection: close`` tells it to
open a new one (RFC 9112 §9.6)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class CloseWhenBodyUnread:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        finished = headers.get(b"content-length", b"") == b"0" or (
            b"content-length" not in headers and b"transfer-encoding" not in headers
        )

        async def receiving() -> Message:
            nonlocal finished
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                finished = True
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and not finished:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receiving, sending)
