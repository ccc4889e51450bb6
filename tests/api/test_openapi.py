"""The OpenAPI document covers every route."""

from starlette.routing import Route
from starlette.testclient import TestClient


def test_every_route_is_documented(client: TestClient) -> None:
    document = client.get("/api/1/swagger.json").json()
    assert document["openapi"] == "3.1.0"
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route):
            for method in route.methods - {"HEAD"}:
                assert method.lower() in document["paths"][route.path], (method, route.path)


def test_dataset_body_schema_is_published(client: TestClient) -> None:
    document = client.get("/api/1/swagger.json").json()
    create = document["paths"]["/api/1/datasets/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DatasetBody")
    schema = document["components"]["schemas"]["DatasetBody"]
    assert {"title", "description", "tags", "resources", "temporal_coverage"} <= set(schema["properties"])
    assert "ResourceBody" in document["components"]["schemas"]


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    missing = client.get("/api/1/nothing/")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    wrong = client.post("/api/1/datasets/licenses/")
    assert wrong.status_code == 405
    assert wrong.json() == {"message": "The method is not allowed for the requested URL."}
