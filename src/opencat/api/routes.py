"""The whole URL map of the API, on one screen."""

from starlette.routing import BaseRoute, Route

from opencat.api import accounts, datasets, openapi, references, resources
from opencat.api.endpoint import endpoint

API = "/api/1"
API2 = "/api/2"
RESOURCE = f"{API}/datasets/{{ident}}/resources/{{rid}}/"


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API}/datasets/", endpoint(datasets.list_datasets), methods=["GET"]),
        Route(f"{API}/datasets/", endpoint(datasets.create_dataset), methods=["POST"]),
        Route(f"{API}/datasets/licenses/", endpoint(references.list_licenses), methods=["GET"]),
        Route(f"{API}/datasets/frequencies/", endpoint(references.list_frequencies), methods=["GET"]),
        Route(f"{API}/datasets/r/{{rid}}", endpoint(resources.follow_permalink), methods=["GET"]),
        Route(f"{API}/datasets/{{ident}}/", endpoint(datasets.get_dataset), methods=["GET"]),
        Route(
            f"{API}/datasets/{{ident}}/",
            endpoint(datasets.update_dataset),
            methods=["PUT", "PATCH"],
        ),
        Route(f"{API}/datasets/{{ident}}/", endpoint(datasets.delete_dataset), methods=["DELETE"]),
        Route(f"{API}/datasets/{{ident}}/resources/", endpoint(resources.add_resource), methods=["POST"]),
        Route(f"{API}/datasets/{{ident}}/resources/", endpoint(resources.reorder_resources), methods=["PUT"]),
        Route(RESOURCE, endpoint(resources.get_resource), methods=["GET"]),
        Route(RESOURCE, endpoint(resources.update_resource), methods=["PUT", "PATCH"]),
        Route(RESOURCE, endpoint(resources.delete_resource), methods=["DELETE"]),
        Route(f"{API2}/datasets/resources/{{rid}}/", endpoint(resources.get_resource_v2), methods=["GET"]),
        Route(f"{API}/organizations/{{ident}}/", endpoint(accounts.get_organization), methods=["GET"]),
        Route(f"{API}/users/{{ident}}/", endpoint(accounts.get_user), methods=["GET"]),
        Route(f"{API}/me/", endpoint(accounts.get_me), methods=["GET"]),
        Route(f"{API}/swagger.json", endpoint(openapi.swagger), methods=["GET"]),
    ]
