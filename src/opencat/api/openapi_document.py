"""The OpenAPI 3.1 document, assembled from the route table, each handler's ``describe`` and the
pydantic body models; served at ``/api/1/swagger.json``."""

import re
from typing import Any

from starlette.routing import Route

from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import JSON, Operation, describe, operation_of
from opencat.api.openapi_harvest import harvest_components
from opencat.api.openapi_schemas import components, ref

_REF = "#/components/schemas/{model}"
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")
# Request headers an operation may read, by name (Operation.headers).
HEADERS: dict[str, tuple[str, dict[str, Any]]] = {
    "X-Fields": (
        "A mask of the fields to answer, e.g. `id,title,resources{id,url}`: the answer then holds"
        " only the fields named (and known), so the response schema's required fields may be absent",
        {"type": "string"},
    ),
    "If-Match": ("The ETag of the version to change; another version answers 412", {"type": "string"}),
    "If-None-Match": ("An ETag already held: an unchanged object answers 304", {"type": "string"}),
    "X-Get-Datasets-Full-Objects": ("Any value: zones and granularity as objects", {"type": "string"}),
    "Accept": ("The RDF serialization wanted", {"type": "string"}),
}
_REASONS = {
    200: "Success",
    201: "Created",
    204: "Done, no content",
    206: "Part of the file (Range)",
    302: "Redirect (Location)",
    304: "Not modified",
    308: "Moved: the same request at the canonical URL (Location)",
    400: "Invalid request",
    401: "Missing, unknown or revoked API key",
    403: "Not allowed to the caller",
    404: "Not found",
    409: "Conflict with the catalog's state",
    410: "Deleted",
    412: "If-Match names another version",
    413: "Request body too large",
    415: "Unsupported media type",
    416: "The Range asked for lies outside the file",
    423: "Creations disabled for now (OPENCAT_READ_ONLY): only a sysadmin creates",
    429: "Too many requests (Retry-After)",
    503: "Temporarily unavailable (Retry-After)",
    507: "Out of storage",
}
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
_NO_BODY = (204, 302, 304, 308)


def _path_of(route: Route) -> str:
    """Starlette's ``{key:path}`` is OpenAPI's plain ``{key}``."""
    return _CONVERTOR.sub(r"{\1}", route.path)


def _error_statuses(route: Route, method: str, operation: Operation) -> set[int]:
    statuses = {400, 503, *operation.errors}
    if operation.auth != "none":
        statuses.add(401)
    if operation.auth == "required":
        statuses.add(403)
    if route.param_convertors or any(argument.name == "page" for argument in operation.query):
        statuses.add(404)  # an unknown object, or a page past the last one
    if method in _WRITES:
        statuses |= {409, 507}
    if operation.creates:
        statuses.add(423)
    if method in ("POST", "PUT", "PATCH") or operation.body is not None:
        statuses.add(413)
    if "{ident}" in route.path and "/datasets/" in route.path:
        statuses |= {308, 410}  # a renamed slug moves; a deleted dataset is gone
    return statuses


def _error_response(status: int, operation: Operation) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _REASONS[status]}
    if status in _NO_BODY:
        if status in (302, 308):
            response["headers"] = {"Location": {"schema": {"type": "string"}}}
        return response
    shapes = [ref("Message")]
    if status == 400:
        shapes.append(ref("ValidationError"))
        if operation.form:
            shapes.append(ref("UploadError"))
    schema = shapes[0] if len(shapes) == 1 else {"anyOf": shapes}
    response["content"] = {JSON: {"schema": schema}}
    return response


def _success_response(status: int, operation: Operation) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _REASONS.get(status, "Success")}
    if status in (302, 308):
        response["headers"] = {"Location": {"schema": {"type": "string"}}}
    if status in _NO_BODY:
        return response
    if operation.returns is not None:
        response["content"] = {operation.media: {"schema": ref(operation.returns)}}
    else:
        response["content"] = {operation.media: {"schema": {}}}
    return response


def _parameters(route: Route, operation: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.param_convertors
    ]
    parameters += [argument.parameter() for argument in operation.query]
    headers = (*operation.headers, *(("X-Fields",) if operation.masked and operation.media == JSON else ()))
    for name in headers:
        description, schema = HEADERS[name]
        parameters.append(
            {"name": name, "in": "header", "required": False, "description": description, "schema": schema}
        )
    return parameters


def _request_body(operation: Operation, schemas: dict[str, Any]) -> dict[str, Any] | None:
    if operation.form:
        fields = {
            "file": {"type": "string", "format": "binary"},
            **{name: {"type": "string"} for name in ("uuid", "filename", "checksum")},
            **{
                name: {"type": "integer"}
                for name in ("partindex", "partbyteoffset", "totalparts", "chunksize")
            },
        }
        form = {"type": "object", "properties": fields}
        return {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    body = operation.body
    if body is None:
        return None
    if isinstance(body, str):
        return {"required": True, "content": {JSON: {"schema": ref(body)}}}
    schema = body.model_json_schema(ref_template=_REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[body.__name__] = schema
    return {"required": True, "content": {JSON: {"schema": ref(body.__name__)}}}


def _operation_id(operation: Operation, method: str, route: Route) -> str:
    """PATCH shares PUT's handler; its id must differ all the same."""
    handlers = handlers_of(route)
    if method == "PATCH" and handlers.get("PUT") is handlers["PATCH"]:
        return operation.operation_id.replace("update_", "patch_", 1)
    return operation.operation_id


def _security(operation: Operation) -> list[dict[str, list[str]]]:
    if operation.auth == "required":
        return [{"apikey": []}]
    if operation.auth == "optional":
        return [{}, {"apikey": []}]
    return []


def _operation(route: Route, method: str, schemas: dict[str, Any]) -> dict[str, Any]:
    handler = handlers_of(route)[method]
    # Without @describe (a test fails on it) the document still lists the route, barely.
    name = getattr(handler, "__name__", "endpoint")
    operation = operation_of(handler) or Operation(name, f"{method.lower()}_{name}", masked=False)
    responses = {str(operation.status): _success_response(operation.status, operation)}
    for status in operation.also:
        responses[str(status)] = _success_response(status, operation)
    for status in sorted(_error_statuses(route, method, operation)):
        responses.setdefault(str(status), _error_response(status, operation))
    described: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": _operation_id(operation, method, route),
        "tags": [_tag(route.path)],
        "parameters": _parameters(route, operation),
        "responses": responses,
        "security": _security(operation),
    }
    request_body = _request_body(operation, schemas)
    if request_body is not None:
        described["requestBody"] = request_body
    return described


def _tag(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if parts[:2] == ["api", "2"]:
        return "v2"
    return parts[2] if len(parts) > 2 and parts[0] == "api" else parts[0]


def handlers_of(route: Route) -> dict[str, Any]:
    """The handler of each method: ``endpoint.path`` keeps them; a plain Route has one for all."""
    handlers = getattr(route, "handlers", None)
    if handlers is not None:
        return dict(handlers)
    return {method: route.endpoint for method in route.methods or ("GET",) if method != "HEAD"}


def documented_routes(routes: list[Any]) -> list[Route]:
    """The routes the document lists: every route but those kept out of it (HTML pages, assets)."""
    return [route for route in routes if isinstance(route, Route) and route.include_in_schema]


def document(routes: list[Any], base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {**components(), **harvest_components()}
    for route in documented_routes(routes):
        for method in sorted(handlers_of(route)):
            paths.setdefault(_path_of(route), {})[method.lower()] = _operation(route, method, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "opencat API",
            "version": "1",
            "description": "udata's API (data.gouv.fr) for datasets and resources, served by opencat.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apikey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}},
        },
    }


@describe("The OpenAPI document of this API", "swagger", masked=False)
def swagger(call: Call) -> Reply:
    return Reply(document(call.request.app.routes, call.urls.base))
