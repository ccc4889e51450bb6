"""Domain errors to udata's statuses and bodies, in one table (udata: udata/api/__init__.py, error handlers)."""

import html
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from opencat.api import wording
from opencat.api.vary import varying_by_caller
from opencat.domain import errors
from opencat.domain.iri import iri_to_uri

logger = logging.getLogger("opencat")

NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)
UNAUTHORIZED = (
    "The server could not verify that you are authorized to access the URL requested. You "
    "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
    "understand how to supply the credentials required."
)
FORBIDDEN = "You do not have the permission to modify that object."
GONE = (
    "The requested URL is no longer available on this server and there is no forwarding address."
    " If you followed a link from a foreign page, please contact the author of this page."
)  # werkzeug's Gone description, word for word
AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="uData"'}
TOO_LARGE = "The data value transmitted exceeds the capacity limit."
NOT_ALLOWED = "This file type is not allowed."
_HTTP_MESSAGES = {
    404: NOT_FOUND,
    405: "The method is not allowed for the requested URL.",
    413: TOO_LARGE,
}


def json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    # Keys sorted, as udata's Flask writes every v1 answer (its errors' fields included).
    body_bytes = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return Response(body_bytes, status, headers=headers, media_type="application/json")


Shape = Callable[[errors.CatalogError, str], dict[str, Any]]


def _message(default: str = "") -> Shape:
    return lambda error, _base: {"message": wording.message(error, default)}


def _invalid(error: errors.CatalogError, _base: str) -> dict[str, Any]:
    assert isinstance(error, errors.Invalid)
    body: dict[str, Any] = {"errors": wording.worded(error.errors)}
    if said := wording.message(error):
        body["message"] = said
    return body


def _invalid_items(error: errors.CatalogError, _base: str) -> dict[str, Any]:
    assert isinstance(error, errors.InvalidItems)
    return {"errors": wording.worded(error.items)}


def _not_allowed(_error: errors.CatalogError, base_url: str) -> dict[str, Any]:
    # udata's wording, missing space included (udata: udata/core/storages/api.py)
    listing = f"{base_url}/api/1/datasets/extensions/"
    return {"message": f"{NOT_ALLOWED}The allowed file type list is available at {listing}"}


def _upload_refused(error: errors.CatalogError, _base: str) -> dict[str, Any]:
    assert isinstance(error, errors.UploadRefused)
    return {"success": False, "error": wording.upload_refusal(error)}


# The one table from domain errors to HTTP; the first matching class wins (subclasses first).
_TABLE: list[tuple[type[errors.CatalogError], int, Shape, dict[str, str]]] = [
    (errors.UploadRefused, 400, _upload_refused, {}),
    (errors.FileTypeNotAllowed, 400, _not_allowed, {}),
    (errors.Gone, 410, _message(GONE), {}),
    (errors.NotFound, 404, _message(NOT_FOUND), {}),
    (errors.Unauthenticated, 401, lambda _error, _base: {"message": UNAUTHORIZED}, AUTHENTICATE),
    (errors.InvalidCredentials, 401, _message(), AUTHENTICATE),
    (errors.PermissionDenied, 403, _message(FORBIDDEN), {}),
    (errors.Invalid, 400, _invalid, {}),
    (errors.InvalidItems, 400, _invalid_items, {}),
    (errors.PreconditionFailed, 412, _message(), {}),
    (errors.Conflict, 409, _message(), {}),
    (errors.Locked, 423, _message(), {}),
    (errors.TooManyRequests, 429, _message(), {}),
    (errors.UnsupportedMediaType, 415, _message(), {}),
    (errors.PayloadTooLarge, 413, _message(TOO_LARGE), {}),
    # Not the request's fault: the same request may succeed later (docs/reliability.md).
    (errors.Unavailable, 503, _message(), {"Retry-After": "5"}),
    (errors.InsufficientStorage, 507, _message(), {}),
]


def _body(error: errors.CatalogError, base_url: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    for kind, status, shape, headers in _TABLE:
        if isinstance(error, kind):
            return status, shape(error, base_url), headers
    return 400, {"message": wording.message(error)}, {}


def error_answer(error: errors.CatalogError, base_url: str) -> tuple[int, dict[str, Any]]:
    """The status and udata body of a domain error (for the pages' routes that answer JSON)."""
    status, body, _ = _body(error, base_url)
    return status, body


_BY_CALLER = ("/api/", "/resources/")


def catalog_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.CatalogError)
    answer = _catalog_error(request, exc)
    # A hosted file's refusal depends on the key too (a private dataset's file is a member's).
    return varying_by_caller(answer) if request.url.path.startswith(_BY_CALLER) else answer


def _catalog_error(request: Request, exc: errors.CatalogError) -> Response:
    if isinstance(exc, errors.Moved):
        return moved(request, exc)
    if isinstance(exc, errors.Unavailable | errors.InsufficientStorage):
        # The operator's problem, not the client's: one line with the cause, no traceback.
        logger.warning(
            "%s on %s %s: %r", wording.message(exc), request.method, _route(request), exc.__cause__
        )
    status, body, headers = _body(exc, request.app.state.services.urls.base)
    if isinstance(exc, errors.TooManyRequests):
        headers = {**headers, "Retry-After": str(exc.retry_after)}
    return json_response(body, status, headers)


def redirect(location: str, status: int = 308) -> Response:
    """A redirect like werkzeug's; 308 keeps the method and body. A location outside ASCII (a
    stored link to ``données/été.csv`` or ``例え.jp``) is sent as werkzeug sends it: as a URI."""
    location = iri_to_uri(location)
    target = html.escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected automatically to the target URL: <a href="{target}">'
        f"{target}</a>. If not, click the link.\n"
    )
    return Response(body, status, headers={"Location": location}, media_type="text/html")


def moved(request: Request, exc: errors.Moved) -> Response:
    """The same route with the new identifier; the query string is dropped (udata: udata/routing.py)."""
    old = str(request.path_params.get("ident", ""))
    segments = request.url.path.split("/")
    position = segments.index(old) if old in segments else len(segments) - 2
    segments[position] = exc.location_ident
    return redirect("/".join(quote(segment, safe="") for segment in segments))


def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code, exc.detail)
    return json_response({"message": message}, exc.status_code, dict(exc.headers or {}))


def _route(request: Request) -> str:
    """The matched route's template, not the path: a path may hold a secret (a password reset
    link's token); the line's request id leads to the access line, which names the path safely."""
    template = getattr(request.scope.get("route"), "path", None)
    return template if isinstance(template, str) else "(no route)"


def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error on %s %s", request.method, _route(request), exc_info=exc)
    return json_response({"message": "Internal Server Error"}, 500)
