"""Domain errors to udata's statuses and bodies, in one table (udata-behaviour §3.7)."""

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from opencat.domain import errors

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
GONE = "The requested URL is no longer available on this server and there is no forwarding address."
AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="uData"'}
TOO_LARGE = "The data value transmitted exceeds the capacity limit."
_HTTP_MESSAGES = {
    404: NOT_FOUND,
    405: "The method is not allowed for the requested URL.",
    413: TOO_LARGE,
}


def json_response(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _body(error: errors.CatalogError) -> tuple[int, dict[str, Any], dict[str, str]]:
    match error:
        case errors.Gone():
            return 410, {"message": error.message or GONE}, {}
        case errors.NotFound():
            return 404, {"message": error.message or NOT_FOUND}, {}
        case errors.Unauthenticated():
            return 401, {"message": UNAUTHORIZED}, AUTHENTICATE
        case errors.InvalidCredentials():
            return 401, {"message": error.message}, AUTHENTICATE
        case errors.PermissionDenied():
            return 403, {"message": error.message or FORBIDDEN}, {}
        case errors.Invalid():
            body: dict[str, Any] = {"errors": error.errors}
            if error.message:
                body["message"] = error.message
            return 400, body, {}
        case errors.PreconditionFailed():
            return 412, {"message": error.message}, {}
        case errors.Conflict():
            return 409, {"message": error.message}, {}
        case _:
            return 400, {"message": error.message}, {}


def catalog_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.CatalogError)
    status, body, headers = _body(exc)
    return json_response(body, status, headers)


def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code, exc.detail)
    return json_response({"message": message}, exc.status_code, dict(exc.headers or {}))


def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"message": "Internal Server Error"}, 500)
