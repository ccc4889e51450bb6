"""Every answer says ``X-Content-Type-Options: nosniff``.

The pages and the stored files said it already; the API's JSON did not, so a browser that sniffs
could take an error echoing a hostile value for HTML. One place now adds it to whatever answer
lacks it (the pages', the files' and the docs page's own stay as they are)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NAME = b"x-content-type-options"
_HEADER = (_NAME, b"nosniff")


class NoSniff:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if not any(name.lower() == _NAME for name, _ in headers):
                    message = {**message, "headers": [*headers, _HEADER]}
            await send(message)

        await self.app(scope, receive, sending)
