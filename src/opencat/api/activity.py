"""The activity stream: the history of changes (udata: udata/core/activity/api.py)."""

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.pagination import envelope, page_arguments, paging
from opencat.api.params import choice, choice_argument, first, text_argument
from opencat.catalog import history as use_cases
from opencat.domain import ids
from opencat.domain.queries import ActivityQuery

SORTS = ("created_at", "-created_at")
ACTIVITY_ARGUMENTS = (
    *paging(),
    choice_argument("sort", SORTS, "The field (and direction) on which sorting apply"),
    text_argument("user", "Filter activities for that particular user"),
    text_argument("organization", "Filter activities for that particular organization"),
    text_argument(
        "key", "Filter activities on those keys (ex : dataset:updated). Repeatable.", repeated=True
    ),
    text_argument(
        "related_to", "Filter activities for that particular object id (ex : reuse, dataset, etc.)"
    ),
)


def _identifier(call: Call, name: str) -> str | None:
    value = first(call.params, name)
    return value.lower() if value and ids.is_object_id(value) else (value or None)


@describe(
    "Fetch site activity, optionally filtered by user or org",
    "activity",
    returns="ActivityPage",
    query=ACTIVITY_ARGUMENTS,
    errors=(404,),  # a page past the last
)
def list_activity(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    sort = choice(call.params, "sort", SORTS, "The field (and direction) on which sorting apply")
    query = ActivityQuery(
        page=page,
        page_size=page_size,
        related_to=_identifier(call, "related_to"),
        organization=_identifier(call, "organization"),
        user=_identifier(call, "user"),
        keys=tuple(value for value in call.params.getlist("key") if value),
        newest_first=sort != "created_at",
    )
    result = use_cases.list_activity(call.catalog, call.actor, query)
    body = envelope(
        result,
        lambda view: serializers.activity(view, call.actor, call.urls),
        call.urls.base,
        call.request.url.path,
        call.params,
    )
    return Reply(body)
