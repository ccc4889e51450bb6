"""An OpenAPI 3.1 document generated from the route table and the pydantic body models."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.routing import Route

from opencat.api.endpoint import Call, Reply

F = TypeVar("F", bound=Callable[..., Any])
_REF = "#/components/schemas/{model}"


def describe(summary: str, body: type[BaseModel] | None = None, status: int = 200) -> Callable[[F], F]:
    """Attach what the OpenAPI document says about a handler."""

    def attach(handler: F) -> F:
        handler.openapi = {"summary": summary, "body": body, "status": status}  # type: ignore[attr-defined]
        return handler

    return attach


def _operation(route: Route, method: str, schemas: dict[str, Any]) -> dict[str, Any]:
    handler = route.handlers[method]  # type: ignore[attr-defined]
    info = getattr(handler, "openapi", {"summary": handler.__name__, "body": None, "status": 200})
    operation: dict[str, Any] = {
        "summary": info["summary"],
        "operationId": f"{method.lower()}_{handler.__name__}",
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.param_convertors
        ]
        + [{"name": "X-Fields", "in": "header", "required": False, "schema": {"type": "string"}}],
        "responses": {str(info["status"]): {"description": "Success"}},
    }
    body = info["body"]
    if body is not None and method in ("POST", "PUT", "PATCH"):
        schema = body.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[body.__name__] = schema
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=body.__name__)}}},
        }
    return operation


def document(routes: list[Any], base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for route in routes:
        if not isinstance(route, Route) or not hasattr(route, "handlers"):
            continue
        for method in sorted(route.handlers):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "opencat API", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apikey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}},
        },
    }


@describe("The OpenAPI document of this API")
def swagger(call: Call) -> Reply:
    return Reply(document(call.request.app.routes, call.urls.base))
