"""Handlers of the account reads that dataset responses link to, and sysadmins' key management."""

from datetime import datetime
from typing import Any

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.masks import Mask
from opencat.api.openapi import describe
from opencat.catalog import accounts as use_cases
from opencat.domain.accounts import ApiKey
from opencat.domain.dates import iso, key_expiry
from opencat.domain.errors import Invalid

# udata's default mask of an organization's read model (its swagger's ``x-mask``).
ORGANIZATION_MASK = Mask.of(
    (
        "id", "created_at", "last_modified", "badges", "metrics", "name", "acronym", "slug",
        "description", "url", "image_url", "logo", "logo_thumbnail", "banner_color", "banner_image",
        "banner_image_position", "business_number_id", "members", "teams", "ext", "zone", "extras",
        "presentation_blocs_published_at", "deleted", "page", "permissions", "uri",
    )
)  # fmt: skip


@describe("Get an organization by id or slug", "get_organization", returns="Organization", errors=(410,))
def get_organization(call: Call) -> Reply:
    view = use_cases.get_organization(call.catalog, call.path("ident"))
    return Reply(
        serializers.organization(
            view.organization, view.members, view.public_datasets, call.actor, call.urls
        ),
        mask=ORGANIZATION_MASK,
    )


@describe("Get a user by id or slug", "get_user", returns="User", errors=(410,))
def get_user(call: Call) -> Reply:
    user = use_cases.get_user(call.catalog, call.path("ident"), call.actor)
    counted = use_cases.user_metrics(call.catalog, user)
    organizations = use_cases.organizations_of(call.catalog, user)
    return Reply(
        serializers.user(
            user, call.urls, organizations, call.actor, with_email=call.actor.is_sysadmin, counted=counted
        )
    )


@describe("The authenticated caller", "get_me", returns="User", auth="required")
def get_me(call: Call) -> Reply:
    me = use_cases.get_me(call.actor)
    organizations = use_cases.memberships(call.catalog, call.actor)
    counted = use_cases.user_metrics(call.catalog, me)
    return Reply(serializers.user(me, call.urls, organizations, call.actor, with_email=True, counted=counted))


def _key(key: ApiKey) -> dict[str, Any]:
    """A key as the API shows it: never the secret (only ``POST`` answers it, once)."""
    return {
        "id": key.id,
        "name": key.name,
        "created_at": iso(key.created_at),
        "expires_at": iso(key.expires_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
    }


def _expiry(raw: Any) -> datetime | None:
    if raw is None:
        return None
    refused = Invalid({"expires_at": ["Expected an ISO 8601 date or date-time, or null."]})
    if not isinstance(raw, str):
        raise refused
    try:
        return key_expiry(raw)  # a date is the end of that day, as the CLI and the keys page read it
    except ValueError:
        raise refused from None


@describe(
    "A user's API keys, never the keys themselves (sysadmins; an opencat extension)",
    "list_user_api_keys",
    returns="ApiKeyList",
    auth="required",
    errors=(403, 404),
    masked=False,
)
def list_api_keys(call: Call) -> Reply:
    use_cases.require_sysadmin(call.actor)
    _, keys = use_cases.list_api_keys(call.catalog, call.path("ident"))
    return Reply([_key(key) for key in keys])


@describe(
    "Issue an API key for a user, answered once (sysadmins; an opencat extension)",
    "create_user_api_key",
    status=201,
    returns="ApiKeyCreated",
    body="ApiKeyBody",
    auth="required",
    errors=(400, 403, 404),
    masked=False,
)
def create_api_key(call: Call) -> Reply:
    use_cases.require_sysadmin(call.actor)
    body = call.json_object()
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or "\x00" in name):
        raise Invalid({"name": ["Expected a string."]})
    _, key, secret = use_cases.issue_api_key(
        call.catalog, call.path("ident"), name, _expiry(body.get("expires_at"))
    )
    return Reply({**_key(key), "key": secret}, status=201)


@describe(
    "Revoke one of a user's API keys (sysadmins; an opencat extension)",
    "revoke_user_api_key",
    status=204,
    auth="required",
    errors=(403, 404),
)
def revoke_api_key(call: Call) -> Reply:
    use_cases.require_sysadmin(call.actor)
    use_cases.revoke_api_key(call.catalog, call.path("key_id"), call.path("ident"))
    return Reply(None, status=204)
