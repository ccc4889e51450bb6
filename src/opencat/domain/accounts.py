"""Users, organizations and their members, contact points, and the caller of a request."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opencat.domain.errors import Invalid, Reason, problem

ROLES = ("admin", "editor", "partial_editor")
ORGANIZATION_BADGE_KINDS = ("public-service", "certified", "association", "company", "local-authority")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    first_name: str
    last_name: str
    slug: str
    created_at: datetime
    sysadmin: bool = False
    active: bool = True
    deleted: datetime | None = None
    about: str | None = None
    website: str | None = None
    avatar: str | None = None
    avatar_thumbnail: str | None = None
    last_login_at: datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A user's API key as stored: never the secret, only its hash (kept in the database)."""

    id: str
    user_id: str
    created_at: datetime
    name: str | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    slug: str
    created_at: datetime
    last_modified: datetime
    acronym: str | None = None
    description: str = ""
    url: str | None = None
    logo: str | None = None
    logo_thumbnail: str | None = None
    business_number_id: str | None = None
    badges: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    deleted: datetime | None = None


@dataclass(frozen=True, slots=True)
class Member:
    organization_id: str
    user: User
    role: str
    since: datetime


@dataclass(frozen=True, slots=True)
class ContactPoint:
    id: str
    name: str | None
    email: str | None
    contact_form: str | None
    role: str
    owner_id: str | None
    organization_id: str | None


@dataclass(frozen=True, slots=True)
class ContactPointFields:
    """What a contact point is made of, as a caller sends it (None: not given; ids as sent)."""

    name: str | None = None
    email: str | None = None
    contact_form: str | None = None
    role: str | None = None
    organization_id: str | None = None
    owner_id: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: nobody (anonymous) or a user with their organization roles."""

    user: User | None = None
    roles: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_sysadmin(self) -> bool:
        return self.user is not None and self.user.sysadmin

    @property
    def user_id(self) -> str | None:
        return None if self.user is None else self.user.id

    def role_in(self, organization_id: str | None) -> str | None:
        return None if organization_id is None else self.roles.get(organization_id)


ANONYMOUS = Actor()


# A password long enough to resist guessing once throttled, short enough to hash cheaply.
PASSWORD_MIN = 10
PASSWORD_MAX = 1024


def check_password(password: str) -> None:
    """A new password's rule: its length, in characters."""
    if len(password) < PASSWORD_MIN:
        raise Invalid({"password": [problem(Reason.PASSWORD_TOO_SHORT, minimum=PASSWORD_MIN)]})
    if len(password) > PASSWORD_MAX:
        raise Invalid({"password": [problem(Reason.PASSWORD_TOO_LONG, maximum=PASSWORD_MAX)]})
