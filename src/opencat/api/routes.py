"""The whole URL map of the API, on one screen."""

from starlette.routing import BaseRoute, Route

from opencat.api import accounts, datasets, openapi, references
from opencat.api.endpoint import endpoint

API = "/api/1"


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API}/datasets/", endpoint(datasets.list_datasets), methods=["GET"]),
        Route(f"{API}/datasets/", endpoint(datasets.create_dataset), methods=["POST"]),
        Route(f"{API}/datasets/licenses/", endpoint(references.list_licenses), methods=["GET"]),
        Route(f"{API}/datasets/frequencies/", endpoint(references.list_frequencies), methods=["GET"]),
        Route(f"{API}/datasets/{{ident}}/", endpoint(datasets.get_dataset), methods=["GET"]),
        Route(
            f"{API}/datasets/{{ident}}/",
            endpoint(datasets.update_dataset),
            methods=["PUT", "PATCH"],
        ),
        Route(f"{API}/datasets/{{ident}}/", endpoint(datasets.delete_dataset), methods=["DELETE"]),
        Route(f"{API}/organizations/{{ident}}/", endpoint(accounts.get_organization), methods=["GET"]),
        Route(f"{API}/users/{{ident}}/", endpoint(accounts.get_user), methods=["GET"]),
        Route(f"{API}/me/", endpoint(accounts.get_me), methods=["GET"]),
        Route(f"{API}/swagger.json", endpoint(openapi.swagger), methods=["GET"]),
    ]
