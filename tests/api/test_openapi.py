"""The OpenAPI document covers every route."""

from starlette.routing import Route
from starlette.testclient import TestClient


def test_every_route_is_documented(client: TestClient) -> None:
    document = client.get("/api/1/swagger.json").json()
    assert document["openapi"] == "3.1.0"
    routes = [route for route in client.app.routes if isinstance(route, Route)]  # type: ignore[attr-defined]
    assert len(routes) >= 12
    for route in routes:
        for method in route.handlers:  # type: ignore[attr-defined]
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


def test_405_and_options_list_every_method_of_a_path(client: TestClient) -> None:
    wrong = client.delete("/api/1/datasets/")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    options = client.options("/api/1/datasets/000000000000000000000000/")
    assert options.status_code == 200
    assert set(options.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}
