"""Curation by sysadmins (badges, featured) and follows by users (udata: udata/core/dataset/api.py, udata: udata/core/badges/api.py, udata: udata/core/followers/api.py)."""

from dataclasses import dataclass, replace
from datetime import datetime

from opencat.catalog import history
from opencat.catalog.access import check_creations_allowed, require_dataset
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView, assemble
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db import followers as db_followers
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids, permissions
from opencat.domain.accounts import Actor, User
from opencat.domain.datasets import BADGE_KINDS, Badge, Dataset
from opencat.domain.errors import Invalid, NotFound, PermissionDenied, Reason, Unauthenticated
from opencat.domain.history import Key, dataset_diff
from opencat.domain.queries import Page


@dataclass(frozen=True, slots=True)
class FollowView:
    id: str
    follower: User
    since: datetime


def _sysadmin(actor: Actor) -> None:
    if actor.user is None:
        raise Unauthenticated()
    if not actor.is_sysadmin:
        raise PermissionDenied()


def _store(catalog: Catalog, conn: Connection, actor: Actor, before: Dataset, dataset: Dataset) -> None:
    bumped = replace(dataset, revision=dataset.revision + 1)
    db_datasets.update_row(
        conn, bumped, bumped.last_update_given(db_resources.newest_modification(conn, dataset.id))
    )
    changes = dataset_diff(before, dataset)
    if changes:
        activity = history.on_dataset(catalog, actor, Key.DATASET_UPDATED, dataset, catalog.clock(), changes)
        history.record(conn, [activity])


def add_badge(catalog: Catalog, actor: Actor, ident: str, kind: object) -> tuple[Badge, bool]:
    """The badge and whether it is new (201) or was already there (200)."""
    _sysadmin(actor)
    if kind not in BADGE_KINDS:
        raise Invalid({}, Reason.BADGE_UNKNOWN, kind=kind)
    with catalog.db.write() as conn:
        dataset = require_dataset(conn, ident, actor)
        existing = next((badge for badge in dataset.badges if badge.kind == kind), None)
        if existing is not None:
            return existing, False
        badge = Badge(str(kind), catalog.clock(), actor.user_id)
        _store(catalog, conn, actor, dataset, replace(dataset, badges=(badge, *dataset.badges)))
        return badge, True


def remove_badge(catalog: Catalog, actor: Actor, ident: str, kind: str) -> None:
    _sysadmin(actor)
    with catalog.db.write() as conn:
        dataset = require_dataset(conn, ident, actor)
        kept = tuple(badge for badge in dataset.badges if badge.kind != kind)
        if len(kept) == len(dataset.badges):
            raise NotFound(Reason.BADGE_MISSING)
        _store(catalog, conn, actor, dataset, replace(dataset, badges=kept))


def set_featured(catalog: Catalog, actor: Actor, ident: str, featured: bool) -> DatasetView:
    """Idempotent; no deleted check, as in udata."""
    _sysadmin(actor)
    with catalog.db.write() as conn:
        current = require_dataset(conn, ident, actor)
        dataset = replace(current, featured=featured)
        _store(catalog, conn, actor, current, dataset)
        return assemble(conn, [replace(dataset, revision=dataset.revision + 1)])[0]


def _follow_target(conn: Connection, ident: str, by_slug: bool, actor: Actor | None = None) -> Dataset:
    """``{id}`` is a raw string here: GET tries the slug first, POST and DELETE want an id. With
    ``actor``, a private dataset they may not read is not found (udata has no visibility check
    here: its followers told who could see that a private dataset existed, and anyone could follow
    it); its followers may still unfollow it."""
    found = db_datasets.find_by_slug(conn, ident) if by_slug else None
    if found is None and ids.is_object_id(ident):
        found = db_datasets.find_by_id(conn, ident.lower())
    if found is None or (actor is not None and found.private and not permissions.can_read(actor, found)):
        raise NotFound()
    return found


def follow(catalog: Catalog, actor: Actor, ident: str) -> tuple[int, bool]:
    """The follower count and whether the follow is new."""
    check_creations_allowed(catalog.read_only, actor)
    assert actor.user is not None
    with catalog.db.write() as conn:
        dataset = _follow_target(conn, ident, by_slug=False, actor=actor)
        created = db_followers.follow(
            conn, catalog.new_object_id(), dataset.id, actor.user.id, catalog.clock()
        )
        return db_followers.count(conn, dataset.id), created


def unfollow(catalog: Catalog, actor: Actor, ident: str) -> int:
    if actor.user is None:
        raise Unauthenticated()
    with catalog.db.write() as conn:
        dataset = _follow_target(conn, ident, by_slug=False)
        if not db_followers.unfollow(conn, dataset.id, actor.user.id, catalog.clock()):
            # udata's ``Follow.objects.get_or_404``: the generic 404, which also tells a stranger
            # nothing of whether a private dataset has this id.
            raise NotFound()
        return db_followers.count(conn, dataset.id)


def list_followers(
    catalog: Catalog, actor: Actor, ident: str, user: str | None, page: int, page_size: int
) -> Page[FollowView]:
    """Active follows, newest first; a private dataset's only to those who may read it."""
    if user and not ids.is_object_id(user):  # an empty ``user=`` filters nothing (udata's ``if``)
        raise NotFound()
    with catalog.db.read() as conn:
        dataset = _follow_target(conn, ident, by_slug=True, actor=actor)
        follows, total = db_followers.page(
            conn, dataset.id, user.lower() if user else None, (page - 1) * page_size, page_size
        )
        users = db_accounts.fetch_users(conn, (item.user_id for item in follows))
    views = [
        FollowView(item.id, users[item.user_id], item.since) for item in follows if item.user_id in users
    ]
    if not views and page > 1:
        raise NotFound()
    return Page(views, total, page, page_size)
