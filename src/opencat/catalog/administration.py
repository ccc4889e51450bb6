"""Sysadmins' management of users from the pages: find them, make or unmake sysadmins, deactivate
or reactivate them. A deactivated user can neither sign in nor use an API key (``authenticate``
and ``session_actor`` refuse an inactive user) and their sessions end at once. A sysadmin cannot
take these rights from themself, so that a catalog never loses its last sysadmin by a click.
Sysadmins also give organizations udata's organization badges (public service, certified, …)."""

from collections.abc import Callable
from dataclasses import replace

from opencat.catalog import history
from opencat.catalog.accounts import _find_organization
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import sessions as db_sessions
from opencat.db.engine import Connection
from opencat.domain.accounts import ORGANIZATION_BADGE_KINDS, Actor, Organization, User
from opencat.domain.errors import (
    Conflict,
    Invalid,
    NotFound,
    PermissionDenied,
    Reason,
    Unauthenticated,
    problem,
)
from opencat.domain.history import FieldChange, Key

# The users page shows this many matches; a search narrows them.
USERS_SHOWN = 100


def require_sysadmin(actor: Actor) -> None:
    if actor.user is None:
        raise Unauthenticated()
    if not actor.is_sysadmin:
        raise PermissionDenied()


def find_users(catalog: Catalog, actor: Actor, text: str) -> list[User]:
    require_sysadmin(actor)
    with catalog.db.read() as conn:
        return db_accounts.search_users(conn, text.strip()[:200], USERS_SHOWN)


def get_user(catalog: Catalog, actor: Actor, user_id: str) -> User:
    """One user, for a sysadmin's page (a confirmation names whom it is about)."""
    require_sysadmin(actor)
    with catalog.db.read() as conn:
        user = db_accounts.find_user(conn, user_id)
    if user is None:
        raise NotFound(Reason.USER_UNKNOWN, ident=user_id)
    return user


def _change(catalog: Catalog, actor: Actor, user_id: str, **flags: bool) -> User:
    require_sysadmin(actor)
    if user_id == actor.user_id:
        raise Conflict(Reason.SELF_DEMOTION)
    with catalog.db.write() as conn:
        user = db_accounts.find_user(conn, user_id)
        if user is None:
            raise NotFound(Reason.USER_UNKNOWN, ident=user_id)
        db_accounts.set_user_flags(conn, user.id, **flags)
        if flags.get("active") is False:
            db_sessions.delete_sessions_of(conn, user.id)
        found = db_accounts.find_user(conn, user.id)
        assert found is not None
        return found


def set_sysadmin(catalog: Catalog, actor: Actor, user_id: str, sysadmin: bool) -> User:
    return _change(catalog, actor, user_id, sysadmin=sysadmin)


def set_active(catalog: Catalog, actor: Actor, user_id: str, active: bool) -> User:
    return _change(catalog, actor, user_id, active=active)


def _organization_for_curation(conn: Connection, actor: Actor, ident: str) -> Organization:
    require_sysadmin(actor)
    organization = _find_organization(conn, ident)
    if organization is None:
        raise NotFound(Reason.ORGANIZATION_UNKNOWN, ident=ident)
    return organization


def get_organization(catalog: Catalog, actor: Actor, ident: str) -> Organization:
    with catalog.db.read() as conn:
        return _organization_for_curation(conn, actor, ident)


def _set_badges(
    catalog: Catalog, actor: Actor, ident: str, change: Callable[[tuple[str, ...]], tuple[str, ...]]
) -> Organization:
    with catalog.db.write() as conn:
        organization = _organization_for_curation(conn, actor, ident)
        badges = change(organization.badges)
        if badges == organization.badges:
            return organization
        now = catalog.clock()
        db_accounts.set_organization_badges(conn, organization.id, badges, now)
        field = FieldChange("badges", list(organization.badges), list(badges))
        activity = history.on_organization(
            catalog, actor, Key.ORGANIZATION_UPDATED, organization, now, [field]
        )
        history.record(conn, [activity])
        return replace(organization, badges=badges, last_modified=now)


def add_organization_badge(catalog: Catalog, actor: Actor, ident: str, kind: str) -> Organization:
    """udata's organization badges (public service, certified, …); idempotent."""
    if kind not in ORGANIZATION_BADGE_KINDS:
        raise Invalid({"kind": [problem(Reason.NOT_A_CHOICE)]})
    return _set_badges(catalog, actor, ident, lambda badges: badges if kind in badges else (*badges, kind))


def remove_organization_badge(catalog: Catalog, actor: Actor, ident: str, kind: str) -> Organization:
    return _set_badges(catalog, actor, ident, lambda badges: tuple(b for b in badges if b != kind))
