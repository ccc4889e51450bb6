"""Sysadmins' management of users from the pages: find them, make or unmake sysadmins, deactivate
or reactivate them. A deactivated user can neither sign in nor use an API key (``authenticate``
and ``session_actor`` refuse an inactive user) and their sessions end at once. A sysadmin cannot
take these rights from themself, so that a catalog never loses its last sysadmin by a click."""

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import sessions as db_sessions
from opencat.domain.accounts import Actor, User
from opencat.domain.errors import Conflict, NotFound, PermissionDenied, Reason, Unauthenticated

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
