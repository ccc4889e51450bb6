"""The adapter between Starlette and the synchronous handlers: body, caller, mask, JSON."""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import anyio.to_thread
import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from opencat.api.bodies import json_object
from opencat.api.conditional import expected_versions
from opencat.api.errors import redirect
from opencat.api.mask_models import check_fits
from opencat.api.masks import Mask, apply_mask, parse_mask, with_defaults
from opencat.api.openapi import operation_of
from opencat.api.vary import varying_by_caller, with_vary
from opencat.catalog.accounts import authenticate
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.domain import ids
from opencat.domain.accounts import Actor
from opencat.domain.errors import BadRequest, NotFound, PayloadTooLarge, Unauthenticated
from opencat.domain.numerals import is_digits
from opencat.domain.urls import Urls

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # DELETE: v2 extras take a list of keys


@dataclass(frozen=True)
class Services:
    """What handlers reach through every request: built once by ``create_app``."""

    catalog: Catalog
    settings: Settings
    urls: Urls


# The path parameter of every route udata declares ``<uuid:rid>``.
RESOURCE_ID = "rid"


@dataclass
class Call:
    """One request as a handler sees it: already authenticated, body already read."""

    request: Request
    services: Services
    actor: Actor
    body: bytes = b""

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def urls(self) -> Urls:
        return self.services.urls

    @property
    def files_url(self) -> str:
        """The public root of our file store: URLs under it are always valid resource URLs."""
        return self.catalog.files.public_url

    @property
    def params(self) -> QueryParams:
        return self.request.query_params

    def path(self, name: str) -> str:
        value = str(self.request.path_params[name])
        if name == RESOURCE_ID and not ids.is_route_uuid(value):
            raise NotFound()  # udata's ``<uuid:rid>`` routes: werkzeug's 404, before any lookup
        return value

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def if_match(self) -> frozenset[tuple[str, int]] | None:
        """The dataset versions the write was made on, as its ``If-Match`` names them (a dataset's
        resources and extras are part of what its ETag names): a stale one is a 412."""
        return expected_versions(self.header("if-match"))

    def json_object(self) -> dict[str, Any]:
        return json_object(self.body, self.header("content-type"))

    @property
    def language(self) -> str:
        wanted = self.params.get("lang")
        return wanted if wanted in ("en", "fr") else self.services.settings.default_language


@dataclass
class Reply:
    data: Any = None
    status: int = 200
    mask: Mask | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sort_keys: bool = True


Handler = Callable[[Call], Reply | Response]
RequestHandler = Callable[[Request], Awaitable[Response]]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and is_digits(declared) and int(declared) > limit:
        raise PayloadTooLarge()  # udata answers werkzeug's 413 text (api/errors.py)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge()
            chunks.append(chunk)
    except ClientDisconnect:  # a body cut short or malformed: the client's fault, not a 500
        raise BadRequest("The request body was cut short") from None
    return b"".join(chunks)


def redirect_found(location: str) -> Response:
    return redirect(location, 302)


def render(call: Call, reply: Reply, masked: bool = True, returns: str | None = None) -> Response:
    """``masked``: whether the answer takes an ``X-Fields`` mask (flask-restx applies one only to
    the answers it marshals: a plain dict, such as API v2's extras, is sent whole); ``returns``:
    the answer's model (a component schema's name), which the mask must fit."""
    if reply.status == 204 or reply.data is None:
        return Response(b"", reply.status, headers=reply.headers, media_type="application/json")
    requested = call.header("x-fields") if masked else None
    mask = None
    if requested:
        asked = parse_mask(requested)
        if returns is not None:
            check_fits(asked, returns)
        mask = with_defaults(asked, reply.mask)
    else:
        mask = reply.mask
    data = reply.data if mask is None else apply_mask(reply.data, mask)
    # Flask sorts keys in API v1; some clients diff responses textually.
    content = orjson.dumps(data, option=orjson.OPT_SORT_KEYS if reply.sort_keys else None)
    headers = _varying_by_mask(reply.headers) if masked else reply.headers
    return Response(content, reply.status, headers=headers, media_type="application/json")


def _varying_by_mask(headers: dict[str, str]) -> dict[str, str]:
    """A masked answer is another body for each ``X-Fields``: a shared cache must know it."""
    vary = with_vary(headers.get("Vary"), "X-Fields")
    return headers if vary == headers.get("Vary") else {**headers, "Vary": vary}


def refuse_nul(request: Request) -> None:
    """No identifier or argument can contain NUL; PostgreSQL would refuse it mid-query. The raw
    query is searched first: parsing it costs more than the rest of this check."""
    if "\x00" in request.scope["path"]:
        raise NotFound()
    raw = request.scope.get("query_string", b"")
    if b"\x00" not in raw and b"%00" not in raw:
        return
    if any("\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()):
        raise BadRequest("Query arguments may not contain NUL characters")


def check_mask_before_writing(request: Request, actor: Actor, returns: str | None) -> None:
    """A signed-in write whose answer a mask shapes (``POST``, ``PUT``, ``PATCH``) is refused
    before it is made when that mask cannot be read or does not fit the answer's model
    (``returns``): udata reads it after the write, so its 400 came with the dataset created (a
    retry made it twice). A ``DELETE`` answers 204 without reading it, as udata."""
    if actor.user is None or request.method not in ("POST", "PUT", "PATCH"):
        return
    mask_text = request.headers.get("x-fields")
    if mask_text:
        mask = parse_mask(mask_text)
        if returns is not None:
            check_fits(mask, returns)


def api_key_sent(request: Request) -> str | None:
    """The ``X-API-KEY`` header; sent on several lines, their values joined as one (HTTP's list,
    as udata's WSGI server reads them), which names no key: a proxy that reads one line and the
    app another must not act for two callers."""
    values = request.headers.getlist("x-api-key")
    return ", ".join(values) if len(values) > 1 else (values[0] if values else None)


def _handle(handler: Handler, request: Request, services: Services, body: bytes) -> Response:
    """Everything a request does after its body is read, in one thread: authentication, the
    handler and the rendering (each hop to a thread and back is a hand-off of the GIL)."""
    actor = authenticate(services.catalog, api_key_sent(request))
    call = Call(request, services, actor, body)
    operation = operation_of(handler)
    masked = operation is None or operation.masked
    returns = None if operation is None else operation.returns
    if masked:
        check_mask_before_writing(request, actor, returns)
    result = handler(call)
    response = result if isinstance(result, Response) else render(call, result, masked, returns)
    return varying_by_caller(response)


def _limiter(request: Request, services: Services) -> anyio.CapacityLimiter:
    """Handlers run at most as many at once as the pool has connections, so that none waits for
    one, and no thread beyond them waits holding the GIL's turn. One limiter per event loop (a
    test client runs its own)."""
    loop = asyncio.get_running_loop()
    state = request.app.state
    current: tuple[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = getattr(
        state, "handler_limiter", None
    )
    if current is None or current[0] is not loop:
        current = (loop, anyio.CapacityLimiter(services.catalog.db.pool_size))
        state.handler_limiter = current
    return current[1]


# A body past this is refused unread when no key comes with it (a small one is read as before).
KEYLESS_BODY_READ = 64 * 1024


def _large_and_keyless(request: Request) -> bool:
    """No ``X-API-KEY``, and a body the client waits to be asked for (``Expect: 100-continue``),
    of no stated length (chunked) or over ``KEYLESS_BODY_READ``."""
    if api_key_sent(request) is not None:
        return False
    if request.headers.get("expect", "").lower() == "100-continue":
        return True
    length = request.headers.get("content-length")
    return length is None or not length.isdigit() or int(length) > KEYLESS_BODY_READ


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        services: Services = request.app.state.services
        refuse_nul(request)
        body = b""
        if request.method in _BODY_METHODS:
            operation = operation_of(handler)
            if operation is not None and operation.auth == "required" and _large_and_keyless(request):
                # No key at all: 401 before reading what may be megabytes (the unread body closes
                # the connection). A small body is read first, so that udata's order holds (a
                # malformed resource id, which its routing refuses, is 404 before any 401).
                raise Unauthenticated()
            try:
                body = await _read_body(request, services.settings.max_json_bytes)
            except PayloadTooLarge:
                # udata asks for the caller before it reads the body: a request without a valid
                # key to an operation that needs one hears 401 whatever it sends (the key is
                # looked up only here, on the refusal's way).
                operation = operation_of(handler)
                if operation is not None and operation.auth == "required":
                    actor = await anyio.to_thread.run_sync(
                        authenticate, services.catalog, api_key_sent(request)
                    )
                    if actor.user is None:
                        raise Unauthenticated() from None
                raise
        return await anyio.to_thread.run_sync(
            _handle, handler, request, services, body, limiter=_limiter(request, services)
        )

    run.__name__ = getattr(handler, "__name__", "endpoint")
    return run


def path(template: str, documented: bool = True, **handlers: Handler | RequestHandler) -> Route:
    """One route per URL, dispatching on the method, so that 405 and OPTIONS list every method;
    ``documented``: in the OpenAPI document (an alias of a documented route is not)."""
    endpoints: dict[str, RequestHandler] = {
        method: cast(RequestHandler, handler)
        if inspect.iscoroutinefunction(handler)
        else endpoint(cast(Handler, handler))
        for method, handler in handlers.items()
    }
    if "GET" in endpoints:
        endpoints["HEAD"] = endpoints["GET"]
    allow = ", ".join(sorted({*endpoints, "OPTIONS"}))

    async def dispatch(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=200, headers={"Allow": allow})
        return await endpoints[request.method](request)

    route = Route(
        template, dispatch, methods=[*endpoints, "OPTIONS"], name=template, include_in_schema=documented
    )
    route.handlers = handlers  # type: ignore[attr-defined]
    return route
