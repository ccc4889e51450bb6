"""udata's contact points API (udata/core/contact_point/api.py): a publisher makes the points its
datasets' ``contact_points`` name, and anyone reads one (its IRI in the DCAT output is this URL)."""

from opencat.api import serializers
from opencat.api.endpoint import Call, Reply
from opencat.api.openapi import describe
from opencat.catalog import contact_points as use_cases
from opencat.catalog.access import check_creations_allowed


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
)
def create_contact_point(call: Call) -> Reply:
    check_creations_allowed(call.catalog.read_only, call.actor)  # 401, 423 before the body (udata's)
    point, org, owner, made = use_cases.create_contact_point(call.catalog, call.actor, call.json_object())
    return Reply(serializers.contact_point(point, org, owner, call.actor, call.urls), 201 if made else 200)


@describe(
    "The roles a contact point may have",
    "get_contact_point_roles",
    returns="IdentifiedLabelList",
    masked=False,
)
def list_roles(call: Call) -> Reply:
    return Reply([{"id": role, "label": use_cases.ROLE_LABELS[role]} for role in use_cases.ROLES])
