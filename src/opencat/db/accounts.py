"""Users, API keys, organizations, memberships and contact points."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencat.db import outbox
from opencat.db import slugs as db_slugs
from opencat.db.tables import api_keys, contact_points, datasets, organization_members, organizations, users
from opencat.db.text import bytewise, contains_pattern, lowered
from opencat.domain.accounts import ApiKey, ContactPoint, Member, Organization, User
from opencat.domain.errors import Conflict

# The lookups every dataset read makes, built once (building a statement costs SQLAlchemy more
# than SQLite takes to run it).
_USER_BY_ID = sa.select(users).where(users.c.id == sa.bindparam("id"))
_USERS_BY_IDS = sa.select(users).where(users.c.id.in_(sa.bindparam("ids", expanding=True)))
_ORGANIZATIONS_BY_IDS = sa.select(organizations).where(
    organizations.c.id.in_(sa.bindparam("ids", expanding=True))
)
_CONTACT_POINTS_BY_IDS = sa.select(contact_points).where(
    contact_points.c.id.in_(sa.bindparam("ids", expanding=True))
)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        slug=row.slug,
        created_at=row.created_at,
        sysadmin=row.sysadmin,
        active=row.active,
        deleted=row.deleted,
        about=row.about,
        website=row.website,
        avatar=row.avatar,
        avatar_thumbnail=row.avatar_thumbnail,
        last_login_at=row.last_login_at,
        metrics=row.metrics,
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "slug": user.slug,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "sysadmin": user.sysadmin,
        "active": user.active,
        "deleted": user.deleted,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "about": user.about,
        "website": user.website,
        "avatar": user.avatar,
        "avatar_thumbnail": user.avatar_thumbnail,
        "metrics": user.metrics,
    }


def insert_user(conn: Connection, user: User) -> None:
    try:
        with conn.begin_nested():
            conn.execute(users.insert().values(id=user.id, **_user_values(user)))
    except sa.exc.IntegrityError as error:
        raise Conflict("A user with this email, slug or id already exists") from error


def find_user(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(_USER_BY_ID, {"id": user_id}).first()
    return None if row is None else _user(row)


def find_user_by_email(conn: Connection, email: str) -> User | None:
    """The user of this address whatever its case, non-ASCII letters too (on SQLite, the
    engine's ``unicode_lower``: SQLite's own ``lower`` would let ``ÉLODIE@…`` reach another
    account, or none)."""
    row = conn.execute(sa.select(users).where(lowered(conn, users.c.email, email) == email.lower())).first()
    return None if row is None else _user(row)


def find_user_by_slug(conn: Connection, slug: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.slug == slug)).first()
    return None if row is None else _user(row)


def fetch_users(conn: Connection, user_ids: Iterable[str]) -> dict[str, User]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    return {row.id: _user(row) for row in conn.execute(_USERS_BY_IDS, {"ids": wanted})}


def user_slugs_taken(conn: Connection, base: str) -> set[str]:
    """What ``unique_slug`` needs to know to choose a new user's slug (``db/slugs.py``)."""
    return db_slugs.slugs_taken(conn, users.c.slug, base)


def insert_api_key(
    conn: Connection,
    key_id: str,
    user_id: str,
    key_hash: str,
    now: datetime,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key_id, user_id=user_id, key_hash=key_hash, created_at=now, name=name, expires_at=expires_at
        )
    )


_KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.user_id,
    api_keys.c.created_at,
    api_keys.c.name,
    api_keys.c.expires_at,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
)


def _api_key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        name=row.name,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


# Every request with a key makes these two, built once: the key with its holder, and the holder's
# roles (a statement built per call cost SQLAlchemy more than SQLite takes to run it).
_KEY_AND_HOLDER = (
    sa.select(*(column.label(f"key_{column.name}") for column in _KEY_COLUMNS), users)
    .select_from(api_keys.outerjoin(users, users.c.id == api_keys.c.user_id))
    .where(api_keys.c.key_hash == sa.bindparam("key_hash"))
)
_ROLES_OF = sa.select(organization_members.c.organization_id, organization_members.c.role).where(
    organization_members.c.user_id == sa.bindparam("user_id")
)


def find_key_and_holder(conn: Connection, key_hash: str) -> tuple[ApiKey, User | None] | None:
    """The key of this hash and the user it belongs to, in one statement (None: no such key)."""
    row = conn.execute(_KEY_AND_HOLDER, {"key_hash": key_hash}).first()
    if row is None:
        return None
    key = ApiKey(
        id=row.key_id,
        user_id=row.key_user_id,
        created_at=row.key_created_at,
        name=row.key_name,
        expires_at=row.key_expires_at,
        last_used_at=row.key_last_used_at,
        revoked_at=row.key_revoked_at,
    )
    return key, None if row.id is None else _user(row)


def find_api_key_by_id(conn: Connection, key_id: str) -> ApiKey | None:
    row = conn.execute(sa.select(*_KEY_COLUMNS).where(api_keys.c.id == key_id)).first()
    return None if row is None else _api_key(row)


def api_keys_of(conn: Connection, user_id: str) -> list[ApiKey]:
    rows = conn.execute(
        sa.select(*_KEY_COLUMNS)
        .where(api_keys.c.user_id == user_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    return [_api_key(row) for row in rows]


def touch_api_key(conn: Connection, key_id: str, now: datetime) -> None:
    conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=now))


def revoke_api_key(conn: Connection, key_id: str, now: datetime) -> None:
    conn.execute(
        api_keys.update()
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_api_keys(conn: Connection, user_id: str, now: datetime) -> int:
    result = conn.execute(
        api_keys.update()
        .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)


def list_users(conn: Connection) -> list[User]:
    return [_user(row) for row in conn.execute(sa.select(users).order_by(users.c.created_at, users.c.id))]


def anonymize_user(conn: Connection, user_id: str, slug: str, deleted: datetime) -> None:
    """Mark the user deleted and keep nothing that names them (udata's ``mark_as_deleted``):
    their names, address, profile and password go, and so do their organizations' memberships."""
    conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(
            deleted=deleted,
            active=False,
            email=f"{user_id}@deleted",
            slug=slug,
            first_name="DELETED",
            last_name="DELETED",
            about=None,
            website=None,
            avatar=None,
            avatar_thumbnail=None,
            password_hash=None,
        )
    )
    conn.execute(organization_members.delete().where(organization_members.c.user_id == user_id))


def list_organizations(conn: Connection) -> list[Organization]:
    rows = conn.execute(sa.select(organizations).order_by(organizations.c.created_at, organizations.c.id))
    return [_organization(row) for row in rows]


def member_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.select(organization_members.c.organization_id, sa.func.count()).group_by(
            organization_members.c.organization_id
        )
    )
    return {org_id: int(count) for org_id, count in rows}


def _organization(row: Any) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        slug=row.slug,
        created_at=row.created_at,
        last_modified=row.last_modified,
        acronym=row.acronym,
        description=row.description,
        url=row.url,
        logo=row.logo,
        logo_thumbnail=row.logo_thumbnail,
        business_number_id=row.business_number_id,
        badges=tuple(row.badges),
        extras=row.extras,
        metrics=row.metrics,
        deleted=row.deleted,
    )


def insert_organization(conn: Connection, org: Organization) -> None:
    values = {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "acronym": org.acronym,
        "description": org.description,
        "url": org.url,
        "logo": org.logo,
        "logo_thumbnail": org.logo_thumbnail,
        "business_number_id": org.business_number_id,
        "badges": list(org.badges),
        "extras": org.extras,
        "metrics": org.metrics,
        "created_at": org.created_at,
        "last_modified": org.last_modified,
        "deleted": org.deleted,
    }
    try:
        with conn.begin_nested():
            conn.execute(organizations.insert().values(**values))
    except sa.exc.IntegrityError as error:
        raise Conflict("An organization with this slug or id already exists") from error


def find_organization(conn: Connection, org_id: str) -> Organization | None:
    row = conn.execute(sa.select(organizations).where(organizations.c.id == org_id)).first()
    return None if row is None else _organization(row)


def find_organization_by_slug(conn: Connection, slug: str) -> Organization | None:
    row = conn.execute(sa.select(organizations).where(organizations.c.slug == slug)).first()
    return None if row is None else _organization(row)


def fetch_organizations(conn: Connection, org_ids: Iterable[str]) -> dict[str, Organization]:
    wanted = list(set(org_ids))
    if not wanted:
        return {}
    return {row.id: _organization(row) for row in conn.execute(_ORGANIZATIONS_BY_IDS, {"ids": wanted})}


def organization_slugs_taken(conn: Connection, base: str) -> set[str]:
    """What ``unique_slug`` needs to know to choose a new organization's slug (``db/slugs.py``)."""
    return db_slugs.slugs_taken(conn, organizations.c.slug, base)


def set_member(conn: Connection, org_id: str, user_id: str, role: str, since: datetime) -> None:
    """A member's role; ``since`` dates a new membership, an existing one keeps its date (as
    udata's ``Member.since``). One statement: concurrent additions of one user meet in it."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(organization_members).values(
        organization_id=org_id, user_id=user_id, role=role, since=since
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[organization_members.c.organization_id, organization_members.c.user_id],
            set_={"role": statement.excluded.role},
        )
    )


def roles_of(conn: Connection, user_id: str) -> dict[str, str]:
    rows = conn.execute(_ROLES_OF, {"user_id": user_id})
    return {row.organization_id: row.role for row in rows}


def fetch_members(conn: Connection, org_id: str) -> list[Member]:
    rows = conn.execute(
        sa.select(users, organization_members.c.role, organization_members.c.since)
        .join(organization_members, organization_members.c.user_id == users.c.id)
        .where(organization_members.c.organization_id == org_id)
        .order_by(organization_members.c.since, users.c.id)
    )
    return [Member(org_id, _user(row), row.role, row.since) for row in rows]


def insert_contact_point(conn: Connection, contact: ContactPoint) -> None:
    conn.execute(
        contact_points.insert().values(
            id=contact.id,
            name=contact.name,
            email=contact.email,
            contact_form=contact.contact_form,
            role=contact.role,
            owner_id=contact.owner_id,
            organization_id=contact.organization_id,
        )
    )


# Serializes the makers of one owner's contact points (a read, then an insert): PostgreSQL's
# transactions do not, and sixteen identical requests at once made up to nine equal points.
_CONTACT_POINTS_LOCK = 0x0C48


def lock_contact_points(conn: Connection, holder_id: str) -> None:
    """Until the transaction ends, no other maker of this owner's points reads them (SQLite's
    write transactions already take turns)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:holder))"),
            {"space": _CONTACT_POINTS_LOCK, "holder": holder_id},
        )


def fetch_contact_points(conn: Connection, ids: Sequence[str]) -> dict[str, ContactPoint]:
    if not ids:
        return {}
    rows = conn.execute(_CONTACT_POINTS_BY_IDS, {"ids": list(set(ids))})
    return {
        row.id: ContactPoint(
            row.id, row.name, row.email, row.contact_form, row.role, row.owner_id, row.organization_id
        )
        for row in rows
    }


def contact_points_of(conn: Connection, owner_id: str, organization_ids: Sequence[str]) -> list[ContactPoint]:
    """The contact points of a user and of the given organizations, by name."""
    owned = contact_points.c.owner_id == owner_id
    if organization_ids:
        owned = sa.or_(owned, contact_points.c.organization_id.in_(list(organization_ids)))
    rows = conn.execute(
        sa.select(contact_points)
        .where(owned)
        .order_by(bytewise(conn, contact_points.c.name), contact_points.c.id)
    )
    return [
        ContactPoint(
            row.id, row.name, row.email, row.contact_form, row.role, row.owner_id, row.organization_id
        )
        for row in rows
    ]


def remove_member(conn: Connection, org_id: str, user_id: str) -> bool:
    """Whether the user was a member (and is no more)."""
    removed = conn.execute(
        organization_members.delete().where(
            organization_members.c.organization_id == org_id,
            organization_members.c.user_id == user_id,
        )
    ).rowcount
    return bool(removed)


def lock_organization(conn: Connection, org_id: str) -> None:
    """Serialize changes of one organization's members (PostgreSQL: the row's lock until commit;
    SQLite's writes are serialized already), so that two admins removing each other cannot both
    leave it without an admin."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(organizations.c.id).where(organizations.c.id == org_id).with_for_update())


def search_users(conn: Connection, text: str, limit: int) -> list[User]:
    """Users whose email, first or last name, full name or slug contains ``text`` (any case,
    letters outside ASCII too: SQLite's own ``lower`` folds ASCII only), by last name."""
    query = sa.select(users)
    if text:
        pattern = contains_pattern(text.lower())
        full_name = users.c.first_name + " " + users.c.last_name
        query = query.where(
            sa.or_(
                *(
                    lowered(conn, column, text).like(pattern, escape="\\")
                    for column in (
                        users.c.email,
                        users.c.first_name,
                        users.c.last_name,
                        users.c.slug,
                        full_name,
                    )
                )
            )
        )
    order = (bytewise(conn, users.c.last_name), bytewise(conn, users.c.first_name), users.c.id)
    rows = conn.execute(query.order_by(*order).limit(limit))
    return [_user(row) for row in rows]


def set_user_flags(conn: Connection, user_id: str, **flags: bool) -> None:
    """``sysadmin`` and ``active``."""
    conn.execute(users.update().where(users.c.id == user_id).values(**flags))


def set_organization_badges(conn: Connection, org_id: str, badges: Sequence[str], now: datetime) -> None:
    """The organization's badges; its datasets are indexed again (their documents carry them:
    the ``organization_badge`` filter and the producer type)."""
    conn.execute(
        organizations.update()
        .where(organizations.c.id == org_id)
        .values(badges=list(badges), last_modified=now)
    )
    dataset_ids = conn.execute(sa.select(datasets.c.id).where(datasets.c.organization_id == org_id)).scalars()
    outbox.mark_changed(conn, list(dataset_ids))


def count_organizations(conn: Connection) -> int:
    """Organizations not deleted."""
    query = sa.select(sa.func.count()).select_from(organizations).where(organizations.c.deleted.is_(None))
    return int(conn.execute(query).scalar_one())


def count_users(conn: Connection) -> int:
    """Users active and not deleted."""
    query = sa.select(sa.func.count()).select_from(users).where(users.c.deleted.is_(None), users.c.active)
    return int(conn.execute(query).scalar_one())


def find_organization_by_name(conn: Connection, name: str) -> Organization | None:
    """The first organization (oldest first) of exactly this name, not deleted."""
    query = (
        sa.select(organizations)
        .where(organizations.c.name == name, organizations.c.deleted.is_(None))
        .order_by(organizations.c.created_at, organizations.c.id)
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _organization(row)


def set_organization_slug(conn: Connection, org_id: str, slug: str) -> None:
    conn.execute(organizations.update().where(organizations.c.id == org_id).values(slug=slug))


def delete_organization_row(conn: Connection, org_id: str) -> None:
    """An organization nothing names any more (a placeholder an import replaced)."""
    conn.execute(organizations.delete().where(organizations.c.id == org_id))
