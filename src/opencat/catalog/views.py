"""A dataset with everything its representation embeds, loaded in a bounded number of queries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from opencat.catalog.community import CommunityView
from opencat.catalog.community import assemble as assemble_community
from opencat.db import accounts as db_accounts
from opencat.db import community as db_community
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain.accounts import ContactPoint, Organization, User
from opencat.domain.datasets import Dataset, Resource


@dataclass(frozen=True, slots=True)
class DatasetView:
    dataset: Dataset
    resources: Sequence[Resource]
    organization: Organization | None
    owner: User | None
    contact_points: Sequence[ContactPoint]
    # Loaded only when a client asks for them (they are out of udata's default mask).
    community_resources: Sequence[CommunityView] = ()

    def last_update(self, now: datetime) -> datetime:
        return self.dataset.last_update(self.resources, now)


def assemble(
    conn: Connection, datasets: Sequence[Dataset], with_community: bool = False
) -> list[DatasetView]:
    """Four queries whatever the number of datasets: resources, organizations, users, contacts
    (a fifth for community resources when asked)."""
    ids = [dataset.id for dataset in datasets]
    resources = db_resources.fetch_for_datasets(conn, ids)
    organizations = db_accounts.fetch_organizations(
        conn, (d.organization_id for d in datasets if d.organization_id)
    )
    owners = db_accounts.fetch_users(conn, (d.owner_id for d in datasets if d.owner_id))
    contacts = db_accounts.fetch_contact_points(conn, [cid for d in datasets for cid in d.contact_point_ids])
    community = _community(conn, ids) if with_community else {}
    return [
        DatasetView(
            dataset=dataset,
            resources=resources[dataset.id],
            organization=organizations.get(dataset.organization_id or ""),
            owner=owners.get(dataset.owner_id or ""),
            contact_points=[contacts[cid] for cid in dataset.contact_point_ids if cid in contacts],
            community_resources=community.get(dataset.id, ()),
        )
        for dataset in datasets
    ]


def _community(conn: Connection, dataset_ids: list[str]) -> dict[str, list[CommunityView]]:
    grouped = db_community.fetch_for_datasets(conn, dataset_ids)
    views = assemble_community(conn, [item for items in grouped.values() for item in items])
    found: dict[str, list[CommunityView]] = {}
    for view in views:
        found.setdefault(view.item.dataset_id or "", []).append(view)
    return found
