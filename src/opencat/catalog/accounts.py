"""Account use cases: users, API keys, organizations, memberships, and who is calling."""

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opencat.catalog import history
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import followers as db_followers
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import ANONYMOUS, ROLES, Actor, ApiKey, Member, Organization, User
from opencat.domain.errors import (
    Gone,
    Invalid,
    InvalidCredentials,
    Moved,
    NotFound,
    PermissionDenied,
    Reason,
    Unauthenticated,
    problem,
)
from opencat.domain.history import ORGANIZATION_FIELDS, FieldChange, Key, created
from opencat.domain.slugs import slugify, unique_slug

API_KEY_PREFIX = "opencat_"
API_KEY_NAME_MAX = 255  # the column's size
# Recording each use costs a write; once an hour per key is plenty to see which keys live.
_TOUCH_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class OrganizationView:
    organization: Organization
    members: list[Member]
    public_datasets: int


def hash_api_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is a safe one-way index."""
    return hashlib.sha256(key.encode()).hexdigest()


def _issue_key(
    catalog: Catalog,
    conn: Connection,
    user_id: str,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(catalog.new_object_id(), user_id, catalog.clock(), name, expires_at)
    db_accounts.insert_api_key(
        conn, record.id, user_id, hash_api_key(key), record.created_at, name, expires_at
    )
    return record, key


def create_user(
    catalog: Catalog, *, email: str, first_name: str, last_name: str, sysadmin: bool = False
) -> tuple[User, str]:
    """Create a user and their first API key (the key is only ever shown here)."""
    email = email.strip()  # as typed or pasted: " a@b.org" is the account a@b.org, not another
    first_name, last_name = first_name.strip(), last_name.strip()
    problems: dict[str, list[Any]] = {}
    if not is_email_address(email):
        problems["email"] = [problem(Reason.EMAIL_INVALID_SENTENCE)]
    # A person is named on every page and in every dataset's owner (udata requires both names).
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            problems[field] = [problem(Reason.REQUIRED)]
        elif len(value) > NAME_MAX:
            problems[field] = [problem(Reason.TEXT_TOO_LONG, limit=NAME_MAX)]
    if problems:
        raise Invalid(problems)
    with catalog.db.write() as conn:
        if db_accounts.find_user_by_email(conn, email) is not None:
            raise Invalid({"email": [problem(Reason.EMAIL_TAKEN)]})
        base = slugify(f"{first_name} {last_name}") or "user"
        user = User(
            id=catalog.new_object_id(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            slug=unique_slug(base, db_accounts.user_slugs_taken(conn, base)),
            created_at=catalog.clock(),
            sysadmin=sysadmin,
        )
        db_accounts.insert_user(conn, user)
        return user, _issue_key(catalog, conn, user.id)[1]


def _find_user(conn: Connection, ident: str) -> User | None:
    ident = ident.strip()
    if "@" in ident:
        return db_accounts.find_user_by_email(conn, ident)
    if ids.is_object_id(ident):
        found = db_accounts.find_user(conn, ident.lower())
        if found is not None:
            return found
    return db_accounts.find_user_by_slug(conn, ident)


def require_sysadmin(actor: Actor) -> None:
    """The key management of other users is for sysadmins: 401 anonymous, 403 anyone else."""
    if actor.user is None:
        raise Unauthenticated()
    if not actor.is_sysadmin:
        raise PermissionDenied()


def _require_user(conn: Connection, user_ident: str) -> User:
    user = _find_user(conn, user_ident)
    if user is None:
        raise NotFound(Reason.USER_UNKNOWN, ident=user_ident)
    return user


def _require_live_user(conn: Connection, user_ident: str) -> User:
    """A user who may be given a key or a role: a deleted account is named nowhere again."""
    user = _require_user(conn, user_ident)
    if user.deleted is not None:
        raise Gone(Reason.USER_DELETED)
    return user


# The bounded columns of an account (``db/tables.py``): longer, PostgreSQL refuses the write.
NAME_MAX = 255
EMAIL_MAX = 254  # RFC 5321's path limit
ACRONYM_MAX = 128
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def is_email_address(email: str) -> bool:
    """An address mail can be sent to, roughly as udata's form checks it: a local part, ``@`` and
    a domain with a dot, no space or control character (a tab or a newline broke the command
    line's lists), at most 254 characters."""
    printable = all(character.isprintable() for character in email)
    return printable and len(email) <= EMAIL_MAX and _EMAIL.fullmatch(email) is not None


def create_api_key(
    catalog: Catalog, user_ident: str, name: str | None = None, expires_at: datetime | None = None
) -> tuple[User, str]:
    user, _, key = issue_api_key(catalog, user_ident, name, expires_at)
    return user, key


def issue_api_key(
    catalog: Catalog, user_ident: str, name: str | None = None, expires_at: datetime | None = None
) -> tuple[User, ApiKey, str]:
    """A new key for the user: the secret is returned here only, the database keeps its hash."""
    if name is not None and not name.strip():
        raise Invalid({"name": [problem(Reason.REQUIRED)]})
    if name is not None and len(name.strip()) > API_KEY_NAME_MAX:
        raise Invalid({"name": [problem(Reason.KEY_NAME_TOO_LONG, limit=API_KEY_NAME_MAX)]})
    if expires_at is not None and expires_at <= catalog.clock():
        raise Invalid({"expires_at": [problem(Reason.EXPIRY_NOT_FUTURE)]})
    with catalog.db.write() as conn:
        user = _require_live_user(conn, user_ident)
        record, key = _issue_key(catalog, conn, user.id, name and name.strip(), expires_at)
        return user, record, key


def list_api_keys(catalog: Catalog, user_ident: str) -> tuple[User, list[ApiKey]]:
    with catalog.db.read() as conn:
        user = _require_user(conn, user_ident)
        return user, db_accounts.api_keys_of(conn, user.id)


def revoke_api_key(catalog: Catalog, key_id: str, user_ident: str | None = None) -> ApiKey:
    """Revoke one key (a no-op on one already revoked); ``user_ident`` must own it when given."""
    with catalog.db.write() as conn:
        owner = None if user_ident is None else _require_user(conn, user_ident)
        key = db_accounts.find_api_key_by_id(conn, key_id.strip().lower())
        if key is None or (owner is not None and key.user_id != owner.id):
            raise NotFound(Reason.API_KEY_UNKNOWN, ident=key_id)
        if key.revoked_at is None:
            db_accounts.revoke_api_key(conn, key.id, catalog.clock())
        found = db_accounts.find_api_key_by_id(conn, key.id)
        assert found is not None
        return found


def revoke_api_keys(catalog: Catalog, user_ident: str) -> int:
    with catalog.db.write() as conn:
        user = _require_user(conn, user_ident)
        return db_accounts.revoke_api_keys(conn, user.id, catalog.clock())


def list_users(catalog: Catalog) -> list[User]:
    with catalog.db.read() as conn:
        return db_accounts.list_users(conn)


@dataclass(frozen=True, slots=True)
class UserView:
    user: User
    organizations: list[tuple[Organization, str]]
    api_keys: list[ApiKey]


def show_user(catalog: Catalog, user_ident: str) -> UserView:
    with catalog.db.read() as conn:
        user = _require_user(conn, user_ident)
        roles = db_accounts.roles_of(conn, user.id)
        organizations = db_accounts.fetch_organizations(conn, roles)
        return UserView(
            user,
            [(organizations[org_id], role) for org_id, role in roles.items() if org_id in organizations],
            db_accounts.api_keys_of(conn, user.id),
        )


def delete_user(catalog: Catalog, user_ident: str) -> User:
    """udata's soft delete (``User.mark_as_deleted``): the user is gone (410) and inactive, none
    of their keys works, nothing names them any more (``DELETED``, slug ``deleted``, address
    ``{id}@deleted``), and they are no organization's member and follow nothing. Their datasets
    stay, owned by the deleted account. Deleting them again changes nothing."""
    now = catalog.clock()
    with catalog.db.write() as conn:
        user = _require_user(conn, user_ident)
        # Kept only once anonymized: a user deleted before 6 December 2026 kept their own slug.
        anonymized = user.email == f"{user.id}@deleted"
        taken = set() if anonymized else db_accounts.user_slugs_taken(conn, "deleted")
        slug = user.slug if anonymized else unique_slug("deleted", taken)
        db_accounts.anonymize_user(conn, user.id, slug, user.deleted or now)
        db_accounts.revoke_api_keys(conn, user.id, now)
        for dataset_id in db_followers.followed_datasets(conn, user.id):
            db_followers.unfollow(conn, dataset_id, user.id, now)
        found = db_accounts.find_user(conn, user.id)
        assert found is not None
        return found


def list_organizations(catalog: Catalog) -> list[tuple[Organization, int]]:
    """Every organization with its number of members."""
    with catalog.db.read() as conn:
        counts = db_accounts.member_counts(conn)
        return [(org, counts.get(org.id, 0)) for org in db_accounts.list_organizations(conn)]


def authenticate(catalog: Catalog, api_key: str | None) -> Actor:
    """The caller behind an ``X-API-KEY`` header (udata: udata/api/__init__.py, authentication).
    An empty header is no key (udata tests the header's truth; a script's unset variable)."""
    if api_key is None or not api_key.strip():
        return ANONYMOUS
    now = catalog.clock()
    with catalog.db.read() as conn:
        found = db_accounts.find_key_and_holder(conn, hash_api_key(api_key.strip()))
        if found is None:
            raise InvalidCredentials(Reason.TOKEN_INVALID)
        key, user = found
        if key.revoked_at is not None:
            raise InvalidCredentials(Reason.TOKEN_REVOKED)
        if key.expired(now):
            raise InvalidCredentials(Reason.TOKEN_EXPIRED)
        if user is None or not user.active or user.deleted is not None:
            raise InvalidCredentials(Reason.USER_INACTIVE)
        roles = db_accounts.roles_of(conn, user.id)
    if key.last_used_at is None or now - key.last_used_at > _TOUCH_INTERVAL:
        with catalog.db.write() as conn:
            db_accounts.touch_api_key(conn, key.id, now)
    return Actor(user=user, roles=roles)


def get_user(catalog: Catalog, ident: str, actor: Actor = ANONYMOUS) -> User:
    """A user's profile; one deactivated or deleted is gone but to sysadmins (udata:
    udata/core/user/api.py, UserAPI)."""
    if "@" in ident and not actor.is_sysadmin:
        # udata's routes take an id or a slug: an email found would tell anyone who has an account.
        raise NotFound()
    with catalog.db.read() as conn:
        user = _find_user(conn, ident)
        if user is None and "@" not in ident:
            _moved_if_slugified(ident, lambda slug: db_accounts.find_user_by_slug(conn, slug))
    if user is None:
        raise NotFound()
    if not actor.is_sysadmin:
        if not user.active:
            raise Gone(Reason.USER_NOT_ACTIVE)
        if user.deleted is not None:
            raise Gone(Reason.USER_DELETED)
    return user


def user_metrics(catalog: Catalog, user: User) -> dict[str, Any]:
    """udata's user metrics: the public datasets they own and the datasets they follow, counted
    now; reuses, dataservices and followers (of the person) as imported, 0 otherwise (opencat
    keeps none of those)."""
    with catalog.db.read() as conn:
        datasets = db_datasets.count_public_of_owner(conn, user.id)
        following = db_followers.count_followed(conn, user.id)
    kept = {name: user.metrics.get(name, 0) for name in ("reuses", "dataservices", "followers")}
    return {**user.metrics, **kept, "datasets": datasets, "following": following}


def get_me(actor: Actor) -> User:
    if actor.user is None:
        raise Unauthenticated()
    return actor.user


def memberships(catalog: Catalog, actor: Actor) -> list[Organization]:
    """The organizations the caller belongs to, for ``/me/``."""
    with catalog.db.read() as conn:
        return list(db_accounts.fetch_organizations(conn, actor.roles).values())


def organizations_of(catalog: Catalog, user: User) -> list[Organization]:
    """The organizations a user belongs to, shown on their public profile as udata shows them."""
    with catalog.db.read() as conn:
        return list(db_accounts.fetch_organizations(conn, db_accounts.roles_of(conn, user.id)).values())


def create_organization(
    catalog: Catalog,
    *,
    name: str,
    acronym: str | None = None,
    description: str = "",
    actor: Actor | None = None,
) -> Organization:
    """``actor`` None: the command line."""
    if not name.strip():
        raise Invalid({"name": [problem(Reason.REQUIRED)]})
    if acronym is not None and len(acronym) > ACRONYM_MAX:
        raise Invalid({"acronym": [problem(Reason.TEXT_TOO_LONG, limit=ACRONYM_MAX)]})
    now = catalog.clock()
    with catalog.db.write() as conn:
        base = slugify(name) or "organization"
        organization = Organization(
            id=catalog.new_object_id(),
            name=name,
            slug=unique_slug(base, db_accounts.organization_slugs_taken(conn, base)),
            created_at=now,
            last_modified=now,
            acronym=acronym,
            description=description,
        )
        db_accounts.insert_organization(conn, organization)
        changes = created(organization, ORGANIZATION_FIELDS)
        history.record(
            conn,
            [history.on_organization(catalog, actor, Key.ORGANIZATION_CREATED, organization, now, changes)],
        )
        return organization


def _moved_if_slugified(ident: str, find_by_slug: Callable[[str], object | None]) -> None:
    """udata's ``ModelConverter``: a name that is a slug only once slugified (``Oracle-Org``)
    redirects to that slug (``Moved``), as a dataset's does."""
    canonical = slugify(ident)
    if canonical and canonical != ident and find_by_slug(canonical) is not None:
        raise Moved(canonical)


def _find_organization(conn: Connection, ident: str) -> Organization | None:
    if ids.is_object_id(ident):
        found = db_accounts.find_organization(conn, ident.lower())
        if found is not None:
            return found
    return db_accounts.find_organization_by_slug(conn, ident)


def organization_named(catalog: Catalog, ident: str) -> Organization:
    """The organization a command names by its id or slug; ``NotFound`` when it names none."""
    with catalog.db.read() as conn:
        return _named_organization(conn, ident)


def _named_organization(conn: Connection, ident: str) -> Organization:
    organization = _find_organization(conn, ident)
    if organization is None:
        raise NotFound(Reason.ORGANIZATION_UNKNOWN, ident=ident)
    return organization


def add_member(
    catalog: Catalog, org_ident: str, user_ident: str, role: str, actor: Actor | None = None
) -> Member:
    """A new member, or a member's new role; ``actor`` None: the command line."""
    if role not in ROLES:
        raise Invalid({"role": [problem(Reason.MEMBER_ROLE_UNKNOWN, role=role, roles=", ".join(ROLES))]})
    now = catalog.clock()
    with catalog.db.write() as conn:
        organization = _named_organization(conn, org_ident)
        user = _require_live_user(conn, user_ident)
        previous = db_accounts.roles_of(conn, user.id).get(organization.id)
        db_accounts.set_member(conn, organization.id, user.id, role, now)
        if previous != role:
            old = None if previous is None else {"user": user.id, "role": previous}
            change = FieldChange("members", old, {"user": user.id, "role": role})
            history.record(
                conn,
                [
                    history.on_organization(
                        catalog, actor, Key.ORGANIZATION_UPDATED, organization, now, [change]
                    )
                ],
            )
        return Member(organization.id, user, role, now)


def readable_organization(conn: Connection, ident: str) -> Organization:
    """The organization an id or a slug names: ``NotFound``, or ``Gone`` once deleted."""
    organization = _find_organization(conn, ident)
    if organization is None:
        _moved_if_slugified(ident, lambda slug: db_accounts.find_organization_by_slug(conn, slug))
        raise NotFound()
    if organization.deleted is not None:
        raise Gone(Reason.ORGANIZATION_GONE)
    return organization


def get_organization(catalog: Catalog, ident: str) -> OrganizationView:
    with catalog.db.read() as conn:
        organization = readable_organization(conn, ident)
        return OrganizationView(
            organization,
            db_accounts.fetch_members(conn, organization.id),
            db_datasets.count_public_of_organization(conn, organization.id),
        )
