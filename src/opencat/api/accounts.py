"""Handlers of the account reads that dataset responses link to."""

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.catalog import accounts as use_cases


@describe("Get an organization by id or slug", "get_organization", returns="Organization", errors=(410,))
def get_organization(call: Call) -> Reply:
    view = use_cases.get_organization(call.catalog, call.path("ident"))
    return Reply(
        serializers.organization(view.organization, view.members, view.public_datasets, call.actor, call.urls)
    )


@describe("Get a user by id or slug", "get_user", returns="User", errors=(410,))
def get_user(call: Call) -> Reply:
    user = use_cases.get_user(call.catalog, call.path("ident"))
    return Reply(serializers.user(user, call.urls, [], call.actor, with_email=call.actor.is_sysadmin))


@describe("The authenticated caller", "get_me", returns="User", auth="required")
def get_me(call: Call) -> Reply:
    me = use_cases.get_me(call.actor)
    organizations = use_cases.memberships(call.catalog, call.actor)
    return Reply(serializers.user(me, call.urls, organizations, call.actor, with_email=True))
