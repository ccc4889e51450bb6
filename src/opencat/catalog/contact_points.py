"""Contact points as udata's ``/api/1/contacts/`` makes and reads them (udata/core/contact_point/):
a publisher makes the points its datasets' ``contact_points`` then name; the same values for the
same owner give back the point already there (udata's ``get_or_create``). Their rules, udata's
model's, are shared with the harvest (``harvest_contacts``)."""

import re
from typing import Any
from urllib.parse import urlsplit

from opencat.catalog.access import check_creations_allowed
from opencat.catalog.accounts import is_email_address
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.dcat.agents import ROLE_PREDICATES
from opencat.domain.accounts import Actor, ContactPoint, ContactPointFields, Organization, User
from opencat.domain.errors import Invalid, NotFound, Problem, Reason, Unauthenticated, problem
from opencat.domain.ids import is_object_id

# udata's ContactPoint: ``name`` and ``email`` at most 255 characters, a known role.
TEXT_MAX = 255
URL_MAX = 2000  # a contact form's address: every list page showing the point carries it
ROLES = tuple(ROLE_PREDICATES)  # udata's CONTACT_ROLES, in its order
ROLE_LABELS = {
    "contact": "Contact",
    "creator": "Creator",
    "publisher": "Publisher",
    "rightsHolder": "Rights Holder",
    "custodian": "Custodian",
    "distributor": "Distributor",
    "originator": "Originator",
    "principalInvestigator": "Principal Investigator",
    "processor": "Processor",
    "resourceProvider": "Resource Provider",
    "user": "User",
}
# What udata's ``check_no_urls`` finds in a name (a scheme, or a www. host).
_URL_IN_TEXT = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S", re.IGNORECASE)


def problems(
    name: str, email: str | None, contact_form: str | None, role: str, name_required: bool = True
) -> dict[str, list[Problem]]:
    """What udata's model refuses in these values, by field (empty: acceptable). A harvest's
    point may have no name (udata's reading makes it ``""``, which its model stores)."""
    found: dict[str, list[Problem]] = {}
    if not name and name_required:
        found["name"] = [problem(Reason.CONTACT_FIELD_REQUIRED)]
    elif len(name) > TEXT_MAX:
        found["name"] = [problem(Reason.TEXT_TOO_LONG, limit=TEXT_MAX)]
    elif _URL_IN_TEXT.search(name):
        found["name"] = [problem(Reason.CONTACT_URLS_IN_TEXT)]
    if email is not None and (len(email) > TEXT_MAX or not is_email_address(email)):
        found["email"] = [problem(Reason.EMAIL_INVALID)]
    if contact_form is not None and len(contact_form) > URL_MAX:
        found["contact_form"] = [problem(Reason.TEXT_TOO_LONG, limit=URL_MAX)]
    elif contact_form is not None and not is_web_address(contact_form):
        found["contact_form"] = [problem(Reason.CONTACT_FORM_INVALID)]
    if role not in ROLE_LABELS:
        found["role"] = [problem(Reason.CONTACT_ROLE_UNKNOWN, roles=list(ROLE_LABELS))]
    elif role == "contact" and not (email or contact_form) and "email" not in found:
        found["email"] = [problem(Reason.CONTACT_WAY_MISSING)]
    return found


def is_web_address(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.hostname  # noqa: B018 - reading it checks the brackets of an IP literal
    except ValueError:  # "http://[::1": no address
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in value)


def get_contact_point(catalog: Catalog, ident: str) -> tuple[ContactPoint, Organization | None, User | None]:
    if not is_object_id(ident):
        raise NotFound()
    with catalog.db.read() as conn:
        found = db_accounts.fetch_contact_points(conn, [ident.lower()]).get(ident.lower())
        if found is None:
            raise NotFound()
        return found, *_holders(conn, found)


def create_contact_point(
    catalog: Catalog, actor: Actor, fields: ContactPointFields, form_refused: str | None = None
) -> tuple[ContactPoint, Organization | None, User | None, bool]:
    """The caller's (or its organization's) point of these values, and whether it is new; none in
    read-only mode (udata's ``METHOD_BLOCKLIST`` holds ``ContactPointsListAPI.post``).
    ``form_refused``: why the API layer's URL rules (udata's, worded there) refuse the
    ``contact_form``, reported with the other fields' problems."""
    if actor.user is None:
        raise Unauthenticated()
    check_creations_allowed(catalog.read_only, actor)
    name, email, form, role = fields.name, fields.email, fields.contact_form, fields.role
    refused: dict[str, list[Any]] = dict(problems(name or "", email, form, role or "contact"))
    if form_refused is not None and "contact_form" not in refused:
        refused["contact_form"] = [form_refused]
    organization_id, owner_id = fields.organization_id, fields.owner_id
    # Ids as stored (lower case): an id spelled in capitals named no row, and a foreign key failed.
    organization_id = (
        organization_id.lower() if organization_id and is_object_id(organization_id) else organization_id
    )
    owner_id = owner_id.lower() if owner_id and is_object_id(owner_id) else owner_id
    with catalog.db.write() as conn:
        # udata's owner field reads the user before it checks who may name them.
        if owner_id is not None and owner_id != actor.user.id:
            known = is_object_id(owner_id) and db_accounts.find_user(conn, owner_id) is not None
            if not known:
                refused["owner"] = [problem(Reason.OWNER_UNKNOWN)]
            elif not actor.is_sysadmin:
                refused["owner"] = [problem(Reason.OWNER_SELF_ONLY)]
        if organization_id is not None:
            org = (
                db_accounts.find_organization(conn, organization_id)
                if is_object_id(organization_id)
                else None
            )
            if org is None:
                refused["organization"] = [problem(Reason.CONTACT_ORGANIZATION_UNKNOWN)]
            elif not (actor.is_sysadmin or actor.role_in(org.id) in ("admin", "editor", "partial_editor")):
                refused["organization"] = [problem(Reason.ORGANIZATION_DENIED)]
        if refused:
            raise Invalid(refused)
        holder_org = organization_id
        holder_user = None if holder_org else (owner_id or actor.user.id)
        db_accounts.lock_contact_points(conn, holder_org or holder_user or "")
        for point in db_accounts.contact_points_of(
            conn, holder_user or "", [holder_org] if holder_org else []
        ):
            same = (point.name, point.email, point.contact_form, point.role) == (
                name,
                email,
                form,
                role or "contact",
            )
            if same and (point.organization_id, point.owner_id) == (holder_org, holder_user):
                return point, *_holders(conn, point), False
        made = ContactPoint(
            catalog.new_object_id(), name, email, form, role or "contact", holder_user, holder_org
        )
        db_accounts.insert_contact_point(conn, made)
        return made, *_holders(conn, made), True


def _holders(conn: Any, point: ContactPoint) -> tuple[Organization | None, User | None]:
    org = db_accounts.find_organization(conn, point.organization_id) if point.organization_id else None
    owner = db_accounts.find_user(conn, point.owner_id) if point.owner_id else None
    return org, owner
