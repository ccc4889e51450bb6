"""Dataset rows: lookups, writes, tags, old slugs and filtered pages."""

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from opencat.db import slugs as db_slugs
from opencat.db.codec import dataset_from_doc, dataset_to_doc
from opencat.db.engine import locked_in_writes, locks_rows
from opencat.db.outbox import mark_changed
from opencat.db.tables import dataset_slugs, dataset_tags, datasets, follows
from opencat.domain.datasets import HIDING_FIELDS, Dataset
from opencat.domain.errors import Conflict, Reason
from opencat.domain.search import Aspect
from opencat.domain.slugs import PAGE_WORDS

_COLUMNS = (
    datasets.c.doc,
    datasets.c.revision,
    datasets.c.resources_downloads,
    datasets.c.followers,
    datasets.c.followers_by_months,
    datasets.c.last_update,
)


def _from_row(row: Any) -> Dataset:
    return dataset_from_doc(
        row.doc,
        row.revision,
        row.resources_downloads,
        row.followers,
        row.followers_by_months,
        row.last_update,
    )


# The reads every request makes, built once: building a statement costs SQLAlchemy more than
# SQLite takes to run it (about 0.3 ms against 0.1).
_BY_ID = sa.select(*_COLUMNS).where(datasets.c.id == sa.bindparam("id"))
_BY_SLUG = sa.select(*_COLUMNS).where(datasets.c.slug == sa.bindparam("slug"))
_BY_IDS = sa.select(datasets.c.id, *_COLUMNS).where(datasets.c.id.in_(sa.bindparam("ids", expanding=True)))
# In a write, locked in one order (two batches locking overlapping rows never wait on each other).
_BY_IDS_LOCKED = _BY_IDS.order_by(datasets.c.id).with_for_update()


def find_by_id(conn: Connection, dataset_id: str) -> Dataset | None:
    row = conn.execute(locked_in_writes(conn, _BY_ID), {"id": dataset_id}).first()
    return None if row is None else _from_row(row)


def fetch_by_ids(conn: Connection, dataset_ids: Iterable[str]) -> dict[str, Dataset]:
    wanted = list(set(dataset_ids))
    if not wanted:
        return {}
    query = _BY_IDS_LOCKED if locks_rows(conn) else _BY_IDS  # a batch then writes them back whole
    return {row.id: _from_row(row) for row in conn.execute(query, {"ids": wanted})}


_LOCK_IDS = (
    sa.select(datasets.c.id)
    .where(datasets.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(datasets.c.id)
    .with_for_update()
)


def lock_in_order(conn: Connection, dataset_ids: Iterable[str]) -> None:
    """Lock these datasets' rows for the write transaction, in id order, as a harvest batch takes
    them (``fetch_by_ids``), before touching any: writers taking them one by one in another order
    deadlock with it. Nothing to do on SQLite, whose writers take turns."""
    wanted = sorted(set(dataset_ids))
    if wanted and locks_rows(conn):
        conn.execute(_LOCK_IDS, {"ids": wanted})


def public_ids_after(conn: Connection, after: str, limit: int, with_archived: bool = False) -> list[str]:
    """Ids of public datasets (and archived ones, if asked) in id order, past ``after``: a keyset
    walk over the whole catalog."""
    hiding = [name for name in HIDING_FIELDS if not (with_archived and name == "archived")]
    query = (
        sa.select(datasets.c.id)
        .where(datasets.c.id > after, *(_unset(datasets.c[name]) for name in hiding))
        .order_by(datasets.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def ids_after(conn: Connection, after: str, limit: int) -> list[str]:
    """Ids of every dataset (private and deleted ones too) in id order, past ``after``."""
    return list(
        conn.execute(
            sa.select(datasets.c.id).where(datasets.c.id > after).order_by(datasets.c.id).limit(limit)
        ).scalars()
    )


def count_all(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(datasets)).scalar_one())


def find_by_slug(conn: Connection, slug: str) -> Dataset | None:
    row = conn.execute(locked_in_writes(conn, _BY_SLUG), {"slug": slug}).first()
    return None if row is None else _from_row(row)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a suggestion shows of a dataset: read from columns, without decoding its document."""

    id: str
    slug: str
    title: str
    acronym: str | None
    organization_id: str | None
    owner_id: str | None
    followers: int = 0


def _acronym(conn: Connection) -> sa.ColumnElement[Any]:
    """The acronym inside the stored document, extracted by the database itself."""
    if conn.dialect.name == "postgresql":
        extracted: sa.ColumnElement[Any] = sa.cast(datasets.c.doc, postgresql.JSON)["acronym"].astext
        return extracted
    return sa.func.json_extract(datasets.c.doc, "$.acronym")


def fetch_summaries(conn: Connection, dataset_ids: Iterable[str]) -> dict[str, Summary]:
    wanted = list(set(dataset_ids))
    if not wanted:
        return {}
    query = sa.select(
        datasets.c.id,
        datasets.c.slug,
        datasets.c.title,
        _acronym(conn).label("acronym"),
        datasets.c.organization_id,
        datasets.c.owner_id,
        datasets.c.followers,
    ).where(datasets.c.id.in_(wanted))
    return {row.id: Summary(*row) for row in conn.execute(query)}


def any_exists(conn: Connection) -> bool:
    return conn.execute(sa.select(datasets.c.id).limit(1)).first() is not None


def count_public_of_organization(conn: Connection, organization_id: str) -> int:
    query = sa.select(sa.func.count()).where(
        datasets.c.organization_id == organization_id, *public_conditions()
    )
    return int(conn.execute(query).scalar_one())


def count_public_of_owner(conn: Connection, owner_id: str) -> int:
    query = sa.select(sa.func.count()).where(datasets.c.owner_id == owner_id, *public_conditions())
    return int(conn.execute(query).scalar_one())


def find_slug_by_old_slug(conn: Connection, old_slug: str) -> str | None:
    """The current slug of the dataset that used to answer to ``old_slug``."""
    return conn.execute(
        sa.select(datasets.c.slug)
        .join(dataset_slugs, dataset_slugs.c.dataset_id == datasets.c.id)
        .where(dataset_slugs.c.slug == old_slug)
    ).scalar()


def slugs_taken(conn: Connection, base: str) -> set[str]:
    """What ``unique_slug`` needs to know to choose a new dataset's slug (``db/slugs.py``); the
    pages' own words count as taken."""
    return db_slugs.slugs_taken(conn, datasets.c.slug, base, PAGE_WORDS)


def slugs_held(conn: Connection, slugs: Iterable[str]) -> set[str]:
    """Which of these slugs current datasets hold (the harvester's batched lookups)."""
    return db_slugs.held(conn, datasets.c.slug, slugs)


def slugs_like(conn: Connection, base: str) -> set[str]:
    """Slugs in use that start with ``base`` (current ones; old slugs may be taken over)."""
    pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return set(
        conn.execute(sa.select(datasets.c.slug).where(datasets.c.slug.like(pattern, escape="\\"))).scalars()
    )


def _columns(dataset: Dataset, last_update: datetime) -> dict[str, Any]:
    metrics = dataset.metrics
    return {
        "slug": dataset.slug,
        "title": dataset.title,
        "owner_id": dataset.owner_id,
        "organization_id": dataset.organization_id,
        "private": dataset.private,
        "featured": dataset.featured,
        "deleted": dataset.deleted,
        "archived": dataset.archived,
        "license": dataset.license,
        "created_at": dataset.created_at_internal,
        "last_modified": dataset.last_modified,
        "last_update": last_update,
        "views": int(metrics.get("views") or 0),
        "reuses": int(metrics.get("reuses") or 0),
        "revision": dataset.revision,
        "doc": dataset_to_doc(dataset),
    }


def new_row(dataset: Dataset, last_update: datetime) -> dict[str, Any]:
    """The row ``insert`` writes (a bulk loader writes many in one statement)."""
    return {
        "id": dataset.id,
        "followers": int(dataset.metrics.get("followers") or 0),
        **_columns(dataset, last_update),
    }


# Built once, the row given as parameters: ``.values(**row)`` coerced every value into the statement
# on each call, which cost more than the insert itself (a quarter of a large import's time).
_INSERT = datasets.insert()


def insert(conn: Connection, dataset: Dataset, last_update: datetime) -> None:
    try:
        with conn.begin_nested():
            conn.execute(_INSERT, new_row(dataset, last_update))
    except sa.exc.IntegrityError as error:
        raise Conflict(Reason.IDENTIFIER_TAKEN) from error
    _write_tags(conn, dataset.id, dataset.tags)
    mark_changed(conn, [dataset.id])


def update(
    conn: Connection,
    dataset: Dataset,
    last_update: datetime,
    old_slug: str,
    *,
    old_tags: Sequence[str] | None = None,
    mark: bool = True,
    in_savepoint: bool = False,
) -> None:
    """Store ``dataset``; when its slug changed, ``old_slug`` keeps answering with a redirect.
    ``old_tags``: the tags stored before, when known (equal ones are not written again);
    ``mark=False``: the caller marks the dataset changed for search (a bulk writer, once a batch);
    ``in_savepoint``: the caller rolls back a savepoint of its own on ``Conflict``, so a taken
    slug needs none here (two round trips fewer on PostgreSQL)."""
    if old_slug != dataset.slug:
        conn.execute(dataset_slugs.delete().where(dataset_slugs.c.slug.in_([old_slug, dataset.slug])))
        conn.execute(dataset_slugs.insert().values(slug=old_slug, dataset_id=dataset.id))
    try:
        with contextlib.nullcontext() if in_savepoint else conn.begin_nested():
            update_row(conn, dataset, last_update, mark=mark)
    except sa.exc.IntegrityError as error:
        raise Conflict(Reason.SLUG_TAKEN) from error
    if old_tags is not None and tuple(old_tags) == tuple(dataset.tags):
        return
    conn.execute(dataset_tags.delete().where(dataset_tags.c.dataset_id == dataset.id))
    _write_tags(conn, dataset.id, dataset.tags)


# Built once; the SET clause comes from the parameters' column names.
_UPDATE_ROW = datasets.update().where(datasets.c.id == sa.bindparam("row_id"))


def update_row(
    conn: Connection,
    dataset: Dataset,
    last_update: datetime,
    *,
    mark: bool = True,
    aspect: Aspect | None = None,
) -> None:
    """Store the dataset's row only: for changes that keep its slug and tags. ``aspect``: all
    the write changed for search (domain/search.Aspect; None: anything)."""
    conn.execute(_UPDATE_ROW, {**_columns(dataset, last_update), "row_id": dataset.id})
    if mark:
        mark_changed(conn, [dataset.id], aspect)


def set_followers(conn: Connection, dataset_id: str, followers: int) -> None:
    """The follower count as a loaded document states it (``update`` leaves this counter to the
    follows, which move it concurrently), never under the follows made here: a document older
    than them set it lower, and their unfollows then took it below zero."""
    active = sa.select(sa.func.count()).where(follows.c.dataset_id == dataset_id, follows.c.until.is_(None))
    here = int(conn.execute(active).scalar_one())
    conn.execute(
        datasets.update().where(datasets.c.id == dataset_id).values(followers=max(followers, here, 0))
    )


def _write_tags(conn: Connection, dataset_id: str, tags: Sequence[str]) -> None:
    if tags:
        conn.execute(dataset_tags.insert(), [{"dataset_id": dataset_id, "tag": tag} for tag in tags])


def public_conditions() -> list[sa.ColumnElement[bool]]:
    """The domain's rule (``HIDING_FIELDS``): none of the hiding columns is set."""
    return [_unset(datasets.c[name]) for name in HIDING_FIELDS]


def _unset(column: sa.Column[Any]) -> sa.ColumnElement[bool]:
    # "= false", not "IS false": only the former can use an index on PostgreSQL.
    return column == sa.false() if isinstance(column.type, sa.Boolean) else column.is_(None)


def ids_of_organization(conn: Connection, organization_id: str) -> list[str]:
    query = (
        sa.select(datasets.c.id).where(datasets.c.organization_id == organization_id).order_by(datasets.c.id)
    )
    return [str(found) for found in conn.execute(query).scalars()]
