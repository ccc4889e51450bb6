"""API v2's extras endpoints: a dataset's and a resource's extras, read, merged (``null``
removes a key) and removed by key (udata: udata/core/dataset/apiv2.py). Used by udata's own
client (``datagouv-client``'s ``update_extras``) and by the analysers that annotate resources."""

from typing import Any

from opencat.api.bodies import decode_json
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.catalog import extras as use_cases
from opencat.domain.changes import Submitted
from opencat.domain.errors import UnsupportedMediaType

# Flask's words when ``request.json`` meets another content type (udata reads the body that way).
NOT_JSON = "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."


def _is_json(content_type: str | None) -> bool:
    """werkzeug's ``is_json``: ``application/json`` or ``application/*+json``."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _body(call: Call) -> Submitted[Any]:
    """The decoded body; its refusal (415, 400) is raised once the dataset is found."""

    def decoded() -> Any:
        if not _is_json(call.header("content-type")):
            raise UnsupportedMediaType(NOT_JSON)
        return decode_json(call.body)

    return Submitted.parse(decoded)


def _reply(extras: dict[str, Any]) -> Reply:
    # A plain dict in flask-restx: its keys in their stored order, and no mask.
    return Reply(extras, sort_keys=False)


@describe("A dataset's extras (API v2)", "get_dataset_extras", returns="Extras", masked=False)
def get_dataset_extras(call: Call) -> Reply:
    return _reply(use_cases.dataset_extras(call.catalog, call.actor, call.path("ident")))


@describe(
    "Set some of a dataset's extras; a null value removes its key (API v2)",
    "update_dataset_extras",
    returns="Extras",
    body="Extras",
    auth="required",
    errors=(415, 412),
    masked=False,
    headers=("If-Match",),
)
def update_dataset_extras(call: Call) -> Reply:
    extras = use_cases.update_dataset_extras(
        call.catalog, call.actor, call.path("ident"), _body(call), call.if_match()
    )
    return _reply(extras)


@describe(
    "Remove some of a dataset's extras, by key (API v2)",
    "delete_dataset_extras",
    status=204,
    body="StringList",
    auth="required",
    errors=(415, 412),
    headers=("If-Match",),
)
def delete_dataset_extras(call: Call) -> Reply:
    use_cases.delete_dataset_extras(
        call.catalog, call.actor, call.path("ident"), _body(call), call.if_match()
    )
    return Reply(status=204)


@describe("A resource's extras (API v2)", "get_resource_extras", returns="Extras", masked=False)
def get_resource_extras(call: Call) -> Reply:
    return _reply(use_cases.resource_extras(call.catalog, call.actor, call.path("ident"), call.path("rid")))


@describe(
    "Set some of a resource's extras; a null value removes its key (API v2)",
    "update_resource_extras",
    returns="Extras",
    body="Extras",
    auth="required",
    errors=(415, 412),
    masked=False,
    headers=("If-Match",),
)
def update_resource_extras(call: Call) -> Reply:
    extras = use_cases.update_resource_extras(
        call.catalog, call.actor, call.path("ident"), call.path("rid"), _body(call), call.if_match()
    )
    return _reply(extras)


@describe(
    "Remove some of a resource's extras, by key; an unknown key removes nothing (API v2)",
    "delete_resource_extras",
    status=204,
    body="StringList",
    auth="required",
    errors=(415, 412),
    headers=("If-Match",),
)
def delete_resource_extras(call: Call) -> Reply:
    use_cases.delete_resource_extras(
        call.catalog, call.actor, call.path("ident"), call.path("rid"), _body(call), call.if_match()
    )
    return Reply(status=204)
