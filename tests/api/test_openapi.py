"""The OpenAPI document: valid, covering every route and only them, with the arguments the handlers
read and answers that match its schemas."""

import re
from typing import Any, ClassVar

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from starlette.datastructures import QueryParams
from starlette.routing import Route
from starlette.testclient import TestClient

from opencat.api import rdf
from opencat.api.endpoint import Call
from opencat.api.openapi import operation_of
from opencat.api.openapi_document import documented_routes, handlers_of
from opencat.catalog.context import Catalog
from tests.api.openapi_support import populate

SWAGGER = "/api/1/swagger.json"
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get(SWAGGER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any error


def test_every_route_is_documented_and_nothing_else(client: TestClient, document: dict[str, Any]) -> None:
    routes = documented_routes(client.app.routes)  # type: ignore[attr-defined]
    served = {
        (_CONVERTOR.sub(r"{\1}", route.path), method.lower())
        for route in routes
        for method in handlers_of(route)
    }
    undescribed = [
        (method, route.path)
        for route in routes
        for method, handler in handlers_of(route).items()
        if operation_of(handler) is None
    ]
    assert undescribed == [], "add @describe, or include_in_schema=False for a page"
    listed = {(path, method) for path, method, _ in _operations(document)}
    assert served == listed
    hidden = [
        route for route in client.app.routes if isinstance(route, Route) and not route.include_in_schema
    ]  # type: ignore[attr-defined]
    assert all(not route.path.startswith("/api/1/datasets") for route in hidden)
    assert len(listed) >= 60


def test_paths_use_plain_parameters_and_ids_are_unique(document: dict[str, Any]) -> None:
    assert not [path for path in document["paths"] if ":" in path]
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    paths = document["paths"]
    # udata's names where udata has the operation (udata-swagger-v1.json)
    assert paths["/api/1/datasets/"]["get"]["operationId"] == "list_datasets"
    assert paths["/api/1/datasets/{ident}/"]["get"]["operationId"] == "get_dataset"
    assert paths["/api/1/datasets/{ident}/resources/"]["put"]["operationId"] == "update_resources"
    assert paths["/api/1/datasets/{ident}/upload/"]["post"]["operationId"] == "upload_new_dataset_resource"
    assert paths["/api/1/spatial/zone/{id}/"]["get"]["operationId"] == "spatial_zone"
    assert paths["/api/2/datasets/search/"]["get"]["operationId"] == "search_datasets"


def test_query_arguments_are_declared(document: dict[str, Any]) -> None:
    listing = document["paths"]["/api/1/datasets/"]["get"]
    arguments = {parameter["name"]: parameter for parameter in listing["parameters"]}
    assert {"q", "page", "page_size", "sort", "tag", "organization", "badge", "followed_by"} <= set(arguments)
    assert arguments["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "default": 20,
        "maximum": 1000,
    }
    assert arguments["tag"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert "-created" in arguments["sort"]["schema"]["enum"]
    suggest = document["paths"]["/api/1/datasets/suggest/"]["get"]["parameters"]
    assert {"name": "q", "in": "query", "required": True}.items() <= suggest[0].items()


def test_security_and_error_shapes(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert document["components"]["securitySchemes"]["apikey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-KEY",
    }
    create = paths["/api/1/datasets/"]["post"]
    assert create["security"] == [{"apikey": []}]
    assert paths["/api/1/datasets/"]["get"]["security"] == [{}, {"apikey": []}]
    invalid = create["responses"]["400"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/ValidationError"} in invalid["anyOf"]
    assert create["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Message")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Dataset")
    assert "404" in paths["/api/1/datasets/"]["get"]["responses"]  # past the last page
    gone = paths["/api/1/datasets/{ident}/"]["get"]["responses"]
    assert {"200", "304", "308", "404", "410"} <= set(gone)


def test_dataset_body_schema_is_published(document: dict[str, Any]) -> None:
    create = document["paths"]["/api/1/datasets/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DatasetBody")
    schema = document["components"]["schemas"]["DatasetBody"]
    assert {"title", "description", "tags", "resources", "temporal_coverage"} <= set(schema["properties"])
    assert "ResourceBody" in document["components"]["schemas"]


class _Recorder(QueryParams):
    """Query parameters that note the name of every argument a handler reads."""

    read: ClassVar[set[str]] = set()

    def getlist(self, key: Any) -> list[str]:
        self.read.add(key)
        return super().getlist(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)


@pytest.mark.parametrize("name", ["q", "size"])
def test_the_recorder_sees_what_a_handler_reads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(Call, "params", property(lambda call: _Recorder(call.request.query_params)))
    _Recorder.read = set()
    assert client.get("/api/1/datasets/suggest/?q=a").status_code == 200
    assert name in _Recorder.read


def test_each_operation_documents_exactly_the_arguments_it_reads(
    client: TestClient, catalog: Catalog, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drift check: every read of the query string must be declared, and every declaration read."""
    sample = populate(client, catalog)
    monkeypatch.setattr(Call, "params", property(lambda call: _Recorder(call.request.query_params)))
    monkeypatch.setattr(rdf, "QueryParams", _Recorder)
    headers = {**sample.owner.headers, "X-Get-Datasets-Full-Objects": "1"}
    for path, method, operation in _operations(document):
        if method != "get":
            continue
        _Recorder.read = set()
        query = "?q=a" if path.endswith("/suggest/") or "/suggest/" in path else ""
        # A user's keys are a sysadmin's to read.
        caller = {**headers, **sample.admin.headers} if "/apikeys/" in path else headers
        response = client.get(sample.fill(path) + query, headers=caller)
        assert response.status_code < 400 or path.endswith("{uuid}/"), (path, response.text)
        declared = {parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "query"}
        assert _Recorder.read == declared, (path, _Recorder.read ^ declared)


def _schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    rooted = {**schema, "components": document["components"]}
    return OAS31Validator(rooted)


def test_real_answers_match_their_documented_schemas(
    client: TestClient, catalog: Catalog, document: dict[str, Any]
) -> None:
    """Every GET on objects that exist answers what its 200 response documents."""
    sample = populate(client, catalog)
    headers = sample.admin.headers
    checked = 0
    for path, method, operation in _operations(document):
        content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if method != "get" or content is None or path.endswith("{uuid}/"):
            continue
        query = "?q=a" if "/suggest/" in path else ""
        # Every field, community resources included, and zones as objects.
        full = {"X-Get-Datasets-Full-Objects": "1", "X-Fields": "*"}
        for extra in ({}, full) if "/Dataset" in content["schema"].get("$ref", "") else ({},):
            response = client.get(sample.fill(path) + query, headers={**headers, **extra})
            assert response.status_code == 200, (path, response.text)
            errors = list(_schema_validator(document, content["schema"]).iter_errors(response.json()))
            assert not errors, (path, [error.message for error in errors[:3]])
            checked += 1
    assert checked >= 30


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    missing = client.get("/api/1/nothing/")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    wrong = client.post("/api/1/datasets/licenses/")
    assert wrong.status_code == 405
    assert wrong.json() == {"message": "The method is not allowed for the requested URL."}


def test_405_and_options_list_every_method_of_a_path(client: TestClient) -> None:
    wrong = client.delete("/api/1/datasets/")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    options = client.options("/api/1/datasets/000000000000000000000000/")
    assert options.status_code == 200
    assert set(options.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


def test_the_document_and_its_page_are_also_where_udata_serves_v2s(client: TestClient) -> None:
    v1, v2 = client.get(SWAGGER), client.get("/api/2/swagger.json")
    assert (v2.status_code, v2.json()) == (200, v1.json())
    assert "/api/2/swagger.json" not in v1.json()["paths"]  # one operation, listed once
    page = client.get("/api/2/")
    assert page.status_code == 200
    assert "swagger-ui" in page.text
