"""The signed-in publisher's dashboard: their own datasets and their organizations', whatever
their state (private, archived, deleted), newest change first."""

from dataclasses import dataclass
from datetime import datetime

from opencat.catalog import history, listing
from opencat.catalog.context import Catalog
from opencat.catalog.history import ActivityView
from opencat.catalog.views import DatasetView, assemble
from opencat.db import accounts as db_accounts
from opencat.db import dashboard as db_dashboard
from opencat.domain import permissions
from opencat.domain.accounts import Actor, ContactPoint, Organization
from opencat.domain.datasets import Resource
from opencat.domain.dates import as_utc
from opencat.domain.errors import Unauthenticated
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters, visibility_of

# A section shows this many datasets, and says how many there are in all.
SECTION_SIZE = 100
# ``/me/datasets/`` and ``/me/org_datasets/`` answer a whole list (udata's), at most this long.
OWNED_LIST_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Section:
    organization: Organization | None  # None: the user's own datasets
    role: str | None
    datasets: list[DatasetView]
    total: int


def my_datasets(catalog: Catalog, actor: Actor) -> list[Section]:
    """The user's own datasets, then each of their organizations' (by name), as the API's actor
    sees them: the hidden ones included, since they are the caller's."""
    if actor.user is None:
        raise Unauthenticated()
    visibility = visibility_of(actor)
    with catalog.db.read() as conn:
        organizations = db_accounts.fetch_organizations(conn, actor.roles)

        def section(filters: SearchFilters, organization: Organization | None) -> Section:
            query = DatasetQuery(page_size=SECTION_SIZE, sort="-last_update", filters=filters)
            request = listing.search_request(conn, query, visibility)
            views = listing.views_page(catalog, conn, query, request, with_community=False)
            role = actor.role_in(organization.id) if organization else None
            return Section(organization, role, list(views.items), views.total)

        sections = [section(SearchFilters(owner=actor.user.id), None)]
        for organization in sorted(organizations.values(), key=lambda org: org.name.casefold()):
            sections.append(section(SearchFilters(organization=organization.id), organization))
    return sections


def owned_datasets(
    catalog: Catalog, actor: Actor, *, with_organizations: bool, q: str | None
) -> list[DatasetView]:
    """udata's ``/me/datasets/`` (the caller's own datasets, private ones included) and, with
    ``with_organizations``, ``/me/org_datasets/`` (their organizations' too, ``q`` in the title):
    undeleted ones, most recently changed first, read from the database (a write is listed at once)."""
    if actor.user is None:
        raise Unauthenticated()
    organizations = tuple(actor.roles) if with_organizations else ()
    with catalog.db.read() as conn:
        ids = db_dashboard.owned_dataset_ids(conn, actor.user.id, organizations, q, OWNED_LIST_LIMIT)
        return assemble(conn, listing.in_order(conn, ids), with_community=False)


def my_organizations(catalog: Catalog, actor: Actor) -> list[Organization]:
    """The organizations the user may create a dataset in (``can_place_dataset_in``), by name."""
    placeable = [org_id for org_id in actor.roles if permissions.can_place_dataset_in(actor, org_id)]
    with catalog.db.read() as conn:
        found = db_accounts.fetch_organizations(conn, placeable)
    return sorted(found.values(), key=lambda org: org.name.casefold())


def my_contact_points(catalog: Catalog, actor: Actor) -> list[ContactPoint]:
    """The contact points a dataset of this user may name: their own and their organizations'
    (the API accepts those of the dataset's owner or organization: ``check_contact_points``)."""
    if actor.user is None:
        return []
    with catalog.db.read() as conn:
        return db_accounts.contact_points_of(conn, actor.user.id, list(actor.roles))


# The dashboard shows this many link checks and changes; the API serves the whole history.
CHECKS_SHOWN = 50
CHANGES_SHOWN = 20


@dataclass(frozen=True, slots=True)
class LinkCheck:
    dataset_slug: str
    dataset_title: str
    resource: Resource

    @property
    def broken(self) -> bool:
        return self.resource.extras.get("check:available") is not True

    @property
    def status(self) -> object:
        return self.resource.extras.get("check:status")

    @property
    def checked_at(self) -> datetime | None:
        raw = self.resource.extras.get("check:date")
        try:
            return as_utc(datetime.fromisoformat(str(raw))) if raw else None  # naive: UTC
        except ValueError:
            return None


def my_link_checks(catalog: Catalog, actor: Actor) -> list[LinkCheck]:
    """The last link check of each checked resource of the user's and their organizations'
    datasets: broken links first, then the latest checks."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        found = db_dashboard.checked_resources(conn, actor.user.id, list(actor.roles), CHECKS_SHOWN)
    checks = [LinkCheck(slug, title, resource) for slug, title, resource in found]
    return sorted(checks, key=lambda check: not check.broken)  # stable: latest first within each


def my_recent_changes(catalog: Catalog, actor: Actor) -> list[ActivityView]:
    """The latest changes of the user's and their organizations' datasets, and of those organizations."""
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.read() as conn:
        items = db_dashboard.recent_activities(conn, actor.user.id, list(actor.roles), CHANGES_SHOWN)
        return history.assemble(conn, items)
