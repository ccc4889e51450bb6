"""Handlers of community resources (udata: udata/core/dataset/api.py, community resources)."""

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.inputs import CommunityBody, parse_community
from opencat.api.openapi import describe
from opencat.api.pagination import envelope, page_arguments, paging
from opencat.api.params import first, text_argument
from opencat.catalog import community as use_cases
from opencat.catalog.community import CommunityView
from opencat.domain import ids
from opencat.domain.changes import Submitted
from opencat.domain.dates import utc_now
from opencat.domain.queries import CommunityQuery

COMMUNITY_ARGUMENTS = (
    *paging(),
    text_argument("sort", "The field (and direction) on which sorting apply"),
    text_argument("dataset", "A dataset id"),
    text_argument("owner", "A user id"),
    text_argument("organization", "An organization id"),
)


def _render(call: Call, view: CommunityView) -> dict[str, object]:
    return serializers.community_resource(view, call.actor, call.urls, utc_now())


def _identifier(call: Call, name: str) -> str | None:
    value = first(call.params, name)
    return value.lower() if value and ids.is_object_id(value) else (value or None)


@describe(
    "List community resources",
    "list_community_resources",
    returns="CommunityResourcePage",
    query=COMMUNITY_ARGUMENTS,
    errors=(404,),  # an unknown dataset, owner or organization
)
def list_community_resources(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    query = CommunityQuery(
        page=page,
        page_size=page_size,
        sort=first(call.params, "sort") or "-created_at_internal",
        dataset=_identifier(call, "dataset"),
        owner=_identifier(call, "owner"),
        organization=_identifier(call, "organization"),
    )
    result = use_cases.list_community_resources(call.catalog, call.actor, query)
    body = envelope(
        result, lambda view: _render(call, view), call.urls.base, call.request.url.path, call.params
    )
    return Reply(body)


@describe(
    "Propose a remote community resource on a dataset",
    "create_community_resource",
    status=201,
    returns="CommunityResource",
    body=CommunityBody,
    auth="required",
    creates=True,
)
def create_community_resource(call: Call) -> Reply:
    submitted = Submitted.parse(lambda: parse_community(call.json_object(), call.files_url, creating=True))
    view = use_cases.create_community_resource(call.catalog, call.actor, submitted)
    return Reply(_render(call, view), 201)


@describe("Get a community resource", "retrieve_community_resource", returns="CommunityResource")
def get_community_resource(call: Call) -> Reply:
    return Reply(
        _render(call, use_cases.get_community_resource(call.catalog, call.actor, call.path("community")))
    )


@describe(
    "Update the sent fields of a community resource",
    "update_community_resource",
    returns="CommunityResource",
    body=CommunityBody,
    auth="required",
)
def update_community_resource(call: Call) -> Reply:
    submitted = Submitted.parse(lambda: parse_community(call.json_object(), call.files_url, creating=False))
    view = use_cases.update_community_resource(call.catalog, call.actor, call.path("community"), submitted)
    return Reply(_render(call, view))


@describe(
    "Delete a community resource and its file", "delete_community_resource", status=204, auth="required"
)
def delete_community_resource(call: Call) -> Reply:
    use_cases.delete_community_resource(call.catalog, call.actor, call.path("community"))
    return Reply(status=204)
