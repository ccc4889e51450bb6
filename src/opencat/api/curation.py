"""Handlers of badges, featured and followers (udata: udata/core/dataset/api.py, udata: udata/core/badges/api.py, udata: udata/core/followers/api.py)."""

from typing import Any

from opencat.api import serializers
from opencat.api.datasets import DATASET_MASK
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.pagination import envelope, page_arguments, paging
from opencat.api.params import first, text_argument
from opencat.catalog import curation as use_cases
from opencat.catalog.curation import FollowView
from opencat.domain.datasets import BADGE_LABELS
from opencat.domain.dates import iso, utc_now

FOLLOWER_ARGUMENTS = (*paging(), text_argument("user", "Only this follower (a user id)"))


@describe(
    "The badges a dataset may carry, with their labels",
    "available_dataset_badges",
    returns="BadgeLabels",
    masked=False,
)
def list_badges(call: Call) -> Reply:
    return Reply(dict(BADGE_LABELS))


@describe(
    "Add a badge to a dataset (sysadmins)",
    "add_dataset_badge",
    status=201,
    returns="Badge",
    body="BadgeBody",
    auth="required",
    also=(200,),
)
def add_badge(call: Call) -> Reply:
    body = call.json_object()
    badge, created = use_cases.add_badge(call.catalog, call.actor, call.path("ident"), body.get("kind"))
    return Reply({"kind": badge.kind}, 201 if created else 200)


@describe("Remove a badge from a dataset (sysadmins)", "delete_dataset_badge", status=204, auth="required")
def remove_badge(call: Call) -> Reply:
    use_cases.remove_badge(call.catalog, call.actor, call.path("ident"), call.path("badge_kind"))
    return Reply(status=204)


def _featured(call: Call, featured: bool) -> Reply:
    view = use_cases.set_featured(call.catalog, call.actor, call.path("ident"), featured)
    return Reply(serializers.dataset(view, call.actor, call.urls, utc_now()), mask=DATASET_MASK)


@describe("Feature a dataset (sysadmins)", "feature_dataset", returns="Dataset", auth="required")
def feature(call: Call) -> Reply:
    return _featured(call, True)


@describe("Stop featuring a dataset (sysadmins)", "unfeature_dataset", returns="Dataset", auth="required")
def unfeature(call: Call) -> Reply:
    return _featured(call, False)


def _follow(call: Call, item: FollowView) -> dict[str, Any]:
    return {
        "id": item.id,
        "follower": serializers.user_reference(item.follower, call.urls),
        "since": iso(item.since),
    }


@describe(
    "The active followers of a dataset",
    "list_dataset_followers",
    returns="FollowerPage",
    query=FOLLOWER_ARGUMENTS,
)
def list_followers(call: Call) -> Reply:
    page, page_size = page_arguments(call.params)
    result = use_cases.list_followers(
        call.catalog, call.actor, call.path("ident"), first(call.params, "user"), page, page_size
    )
    body = envelope(
        result, lambda item: _follow(call, item), call.urls.base, call.request.url.path, call.params
    )
    return Reply(body)


@describe(
    "Follow a dataset",
    "follow_dataset",
    status=201,
    returns="FollowerCount",
    auth="required",
    also=(200,),
    creates=True,
)
def follow(call: Call) -> Reply:
    count, created = use_cases.follow(call.catalog, call.actor, call.path("ident"))
    return Reply({"followers": count}, 201 if created else 200)


@describe("Stop following a dataset", "unfollow_dataset", returns="FollowerCount", auth="required")
def unfollow(call: Call) -> Reply:
    return Reply({"followers": use_cases.unfollow(call.catalog, call.actor, call.path("ident"))})
