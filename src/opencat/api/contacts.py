"""udata's contact points API (udata/core/contact_point/api.py): a publisher makes the points its
datasets' ``contact_points`` name, and anyone reads one (its IRI in the DCAT output is this URL)."""

from typing import Any

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.api.urlcheck import check_url
from opencat.catalog import contact_points as use_cases
from opencat.catalog.access import check_creations_allowed
from opencat.domain.accounts import ContactPointFields
from opencat.domain.errors import Invalid, Reason, problem


@describe("A contact point by its id", "get_contact_point", returns="ContactPoint")
def get_contact_point(call: Call) -> Reply:
    point, org, owner = use_cases.get_contact_point(call.catalog, call.path("contact"))
    return Reply(serializers.contact_point(point, org, owner, call.actor, call.urls))


@describe(
    "Make a contact point (the same values for the same owner give the existing one, 200)",
    "create_contact_point",
    status=201,
    returns="ContactPoint",
    body="ContactPointBody",
    auth="required",
    also=(200,),
    creates=True,
)
def create_contact_point(call: Call) -> Reply:
    check_creations_allowed(call.catalog.read_only, call.actor)  # 401, 423 before the body (udata's)
    body = call.json_object()
    point, org, owner, made = use_cases.create_contact_point(
        call.catalog, call.actor, _fields(body), _form_refused(body.get("contact_form"))
    )
    return Reply(serializers.contact_point(point, org, owner, call.actor, call.urls), 201 if made else 200)


def _fields(body: dict[str, Any]) -> ContactPointFields:
    """The body's texts; the organization and the owner may also be reference objects
    (``{"id": ...}``), as udata's reference fields take them. Any other value is refused."""
    return ContactPointFields(
        name=_text(body, "name"),
        email=_text(body, "email"),
        contact_form=_text(body, "contact_form"),
        role=_text(body, "role"),
        organization_id=_text(body, "organization", reference=True),
        owner_id=_text(body, "owner", reference=True),
    )


def _text(body: dict[str, Any], key: str, reference: bool = False) -> str | None:
    value = body.get(key)
    if reference and isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid({key: [problem(Reason.CONTACT_NOT_TEXT)]})
    return value.strip() or None


def _form_refused(value: Any) -> str | None:
    """Why udata's URL rules refuse a contact form's address (udata's ``URLField``: a local or
    private address, a host name of no known shape), in udata's words; None if they take it."""
    if not isinstance(value, str) or not value.strip():
        return None  # not a text, or none: the catalog's own checks say so
    try:
        check_url(value)
    except ValueError as error:
        return str(error)
    return None


@describe(
    "The roles a contact point may have",
    "get_contact_point_roles",
    returns="IdentifiedLabelList",
)
def list_roles(call: Call) -> Reply:
    return Reply([{"id": role, "label": use_cases.ROLE_LABELS[role]} for role in use_cases.ROLES])
