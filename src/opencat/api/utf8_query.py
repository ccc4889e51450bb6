"""Query strings read as UTF-8, as werkzeug (udata) reads them.

A client may send non-ASCII bytes unencoded (``curl '…?q=données'``); Starlette reads the raw
query string as Latin-1, so ``données`` became ``donnÃ©es`` and matched nothing. Those bytes are
percent-encoded here, before anything reads the query: parsing then decodes them as UTF-8, as
it does the bytes a browser encodes (an invalid sequence is a replacement character)."""

from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

# Everything printable in ASCII stays as sent: only bytes >= 0x80 (and controls) are encoded.
_KEPT = "".join(chr(code) for code in range(0x21, 0x7F))


class Utf8Query:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if not query.isascii():
                scope = {**scope, "query_string": quote(query, safe=_KEPT).encode("ascii")}
        await self.app(scope, receive, send)
