"""Handlers of a dataset's resources, the permalink, and API v2's resource read."""

from typing import Any

from starlette.responses import Response

from opencat.api import serializers
from opencat.api.bodies import decode_json, require_json
from opencat.api.endpoint import Call, Reply, redirect_found
from opencat.api.inputs import ResourceBody, parse_reorder, parse_resource
from opencat.api.openapi import describe
from opencat.catalog import downloads, linkcheck
from opencat.catalog import resources as use_cases
from opencat.domain.changes import Reorder, Submitted
from opencat.domain.dates import utc_now
from opencat.domain.errors import Invalid


def _render(call: Call, resource: Any) -> dict[str, Any]:
    return serializers.resource(resource, call.urls, utc_now())


@describe(
    "Create a remote resource, placed first",
    "create_resource",
    status=201,
    returns="Resource",
    body=ResourceBody,
    auth="required",
    headers=("If-Match",),
    errors=(412,),
    creates=True,
)
def add_resource(call: Call) -> Reply:
    submitted = Submitted.parse(lambda: parse_resource(call.json_object(), call.files_url, creating=True))
    resource = use_cases.add_resource(
        call.catalog, call.actor, call.path("ident"), submitted, call.if_match()
    )
    return Reply(_render(call, resource), 201)


def _reorder(call: Call) -> Reorder:
    """The ids in their new order (None for an object without one) and the objects' updates,
    whose refusal comes after the order's own checks, as in udata."""
    require_json(call.header("content-type"))
    entries = decode_json(call.body)
    if not isinstance(entries, list):
        raise Invalid({"request": "expecting a JSON list"})
    named = tuple(
        (str(entry["id"]) if "id" in entry else None) if isinstance(entry, dict) else str(entry)
        for entry in entries
    )
    return Reorder(named, Submitted.parse(lambda: parse_reorder(entries, call.files_url)))


@describe(
    "Reorder a dataset's resources (ids or objects carrying field updates)",
    "update_resources",
    returns="ResourceList",
    body="ResourceOrder",
    auth="required",
    headers=("If-Match",),
    errors=(412,),
)
def reorder_resources(call: Call) -> Reply:
    submitted = Submitted.parse(lambda: _reorder(call))
    resources = use_cases.reorder_resources(
        call.catalog, call.actor, call.path("ident"), submitted, expected_versions=call.if_match()
    )
    now = utc_now()
    return Reply([serializers.resource(item, call.urls, now) for item in resources])


@describe("Get a resource of a dataset", "get_resource", returns="Resource")
def get_resource(call: Call) -> Reply:
    resource = use_cases.get_resource(call.catalog, call.actor, call.path("ident"), call.path("rid"))
    return Reply(_render(call, resource))


@describe(
    "Update the sent fields of a resource (PUT and PATCH alike)",
    "update_resource",
    returns="Resource",
    body=ResourceBody,
    auth="required",
    headers=("If-Match",),
    errors=(412,),
)
def update_resource(call: Call) -> Reply:
    submitted = Submitted.parse(lambda: parse_resource(call.json_object(), call.files_url, creating=False))
    resource = use_cases.update_resource(
        call.catalog,
        call.actor,
        call.path("ident"),
        call.path("rid"),
        submitted,
        expected_versions=call.if_match(),
    )
    return Reply(_render(call, resource))


@describe(
    "Delete a resource",
    "delete_resource",
    status=204,
    auth="required",
    headers=("If-Match",),
    errors=(412,),
)
def delete_resource(call: Call) -> Reply:
    use_cases.delete_resource(call.catalog, call.actor, call.path("ident"), call.path("rid"), call.if_match())
    return Reply(status=204)


@describe("Redirect to a resource's current URL, counting the download", "redirect_resource", status=302)
def follow_permalink(call: Call) -> Response:
    # Not found, a browser that prefers HTML is shown the site's page (app.py), scripts the JSON.
    counted = call.request.method != "HEAD"  # a link checker's HEAD downloads nothing
    return redirect_found(downloads.follow_permalink(call.catalog, call.actor, call.path("rid"), counted))


# udata marshals it by hand (no ``marshal_with``): ``X-Fields`` shapes nothing here.
@describe(
    "A resource by id alone, with its dataset's id (API v2)",
    "get_resource_v2",
    returns="ResourceV2",
    masked=False,
)
def get_resource_v2(call: Call) -> Reply:
    found = use_cases.locate_resource(call.catalog, call.actor, call.path("rid"))
    # API v2 keeps the model's key order rather than sorting keys (udata-responses call 103).
    return Reply({"resource": _render(call, found.resource), "dataset_id": found.dataset_id}, sort_keys=False)


@describe(
    "Check that a resource's URL answers; the result is kept in its extras",
    "check_dataset_resource",
    returns="CheckResult",
    errors=(429,),
)
def check_resource(call: Call) -> Reply:
    return Reply(linkcheck.check_resource(call.catalog, call.actor, call.path("ident"), call.path("rid")))
