"""An organization's members, managed by its admins (and sysadmins): list them, give a user a role
(a new member, or a member's new role), remove one. Every change is recorded in the history in its
transaction. The last admin of an organization can be neither demoted nor removed, so that someone
can always manage it without a sysadmin."""

from opencat.catalog import history
from opencat.catalog.accounts import _find_organization, _find_user
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db.engine import Connection
from opencat.domain.accounts import Actor, Member, Organization
from opencat.domain.errors import (
    Conflict,
    Gone,
    Invalid,
    NotFound,
    PermissionDenied,
    Reason,
    Unauthenticated,
    problem,
)
from opencat.domain.history import FieldChange, Key

# The roles an admin hands out from the pages (udata's partial editors need dataset assignments,
# which opencat does not model yet).
PAGE_ROLES = ("admin", "editor")


def _organization(conn: Connection, ident: str) -> Organization:
    organization = _find_organization(conn, ident)
    if organization is None:
        raise NotFound(Reason.ORGANIZATION_UNKNOWN, ident=ident)
    if organization.deleted is not None:
        raise Gone(Reason.ORGANIZATION_GONE)
    return organization


def _require_admin(actor: Actor, organization: Organization) -> None:
    if actor.user is None:
        raise Unauthenticated()
    if not actor.is_sysadmin and actor.role_in(organization.id) != "admin":
        raise PermissionDenied()


def list_members(catalog: Catalog, actor: Actor, org_ident: str) -> tuple[Organization, list[Member]]:
    with catalog.db.read() as conn:
        organization = _organization(conn, org_ident)
        _require_admin(actor, organization)
        return organization, db_accounts.fetch_members(conn, organization.id)


def _admins_left(conn: Connection, organization: Organization, without: str) -> int:
    members = db_accounts.fetch_members(conn, organization.id)
    return sum(1 for member in members if member.role == "admin" and member.user.id != without)


def _record(
    catalog: Catalog, conn: Connection, actor: Actor, organization: Organization, change: FieldChange
) -> None:
    now = catalog.clock()
    history.record(
        conn, [history.on_organization(catalog, actor, Key.ORGANIZATION_UPDATED, organization, now, [change])]
    )


def set_role(
    catalog: Catalog, actor: Actor, org_ident: str, user_ident: str, role: str, adding: bool = False
) -> Member:
    """Make a user (by id, email or slug) a member with ``role``, or change a member's role.
    ``adding``: the user must not be a member yet (udata refuses to add a member again), so that
    adding someone by email never changes a member's role without saying so."""
    if role not in PAGE_ROLES:
        raise Invalid({"role": [problem(Reason.NOT_A_CHOICE)]})
    with catalog.db.write() as conn:
        organization = _organization(conn, org_ident)
        _require_admin(actor, organization)
        db_accounts.lock_organization(conn, organization.id)
        user = _find_user(conn, user_ident.strip())
        if user is None or user.deleted is not None:
            raise Invalid({"user": [problem(Reason.OWNER_UNKNOWN)]})
        previous = db_accounts.roles_of(conn, user.id).get(organization.id)
        if adding and previous is not None:
            raise Invalid({"user": [problem(Reason.ALREADY_MEMBER)]})
        if previous == role:
            return next(m for m in db_accounts.fetch_members(conn, organization.id) if m.user.id == user.id)
        if previous == "admin" and _admins_left(conn, organization, user.id) == 0:
            raise Conflict(Reason.LAST_ADMIN)
        now = catalog.clock()
        db_accounts.set_member(conn, organization.id, user.id, role, now)
        old = None if previous is None else {"user": user.id, "role": previous}
        _record(
            catalog, conn, actor, organization, FieldChange("members", old, {"user": user.id, "role": role})
        )
        # A role change keeps the date the membership began.
        return next(m for m in db_accounts.fetch_members(conn, organization.id) if m.user.id == user.id)


def remove_member(catalog: Catalog, actor: Actor, org_ident: str, user_id: str) -> None:
    with catalog.db.write() as conn:
        organization = _organization(conn, org_ident)
        _require_admin(actor, organization)
        db_accounts.lock_organization(conn, organization.id)
        previous = db_accounts.roles_of(conn, user_id).get(organization.id)
        if previous is None:
            raise NotFound(Reason.USER_UNKNOWN, ident=user_id)
        if previous == "admin" and _admins_left(conn, organization, user_id) == 0:
            raise Conflict(Reason.LAST_ADMIN)
        db_accounts.remove_member(conn, organization.id, user_id)
        _record(
            catalog,
            conn,
            actor,
            organization,
            FieldChange("members", {"user": user_id, "role": previous}, None),
        )
