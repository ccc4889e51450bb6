"""Follows, and the dataset follower counts they keep exact."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencat.db.outbox import mark_changed
from opencat.db.tables import datasets, follows
from opencat.domain.months import MONTHS, last_months
from opencat.domain.search import Aspect


@dataclass(frozen=True, slots=True)
class Follow:
    id: str
    user_id: str
    since: datetime


# A follow's statements, built once with their values as parameters: SQLAlchemy computes the cache
# key of a statement built anew on every execution (half of a follow's time before).
_ACTIVE = sa.and_(
    follows.c.dataset_id == sa.bindparam("b_dataset"),
    follows.c.user_id == sa.bindparam("b_user"),
    follows.c.until.is_(None),
)
# A follow that is already active is skipped by the database itself (the active-follow index as
# the conflict target): one statement, where a savepoint, the failed insert, the rollback to the
# savepoint and a lookup took four round trips. Any other clash still raises. The row it returns
# says whether it inserted: an INSERT's row count is -1 from Python 3.11's sqlite3 under a Turkish
# locale (it lower-cases "INSERT" with the C library's locale), which counted every follow again.
_ACTIVE_COLUMNS = [follows.c.dataset_id, follows.c.user_id]
_FOLLOW = {
    "postgresql": postgresql.insert(follows)
    .on_conflict_do_nothing(index_elements=_ACTIVE_COLUMNS, index_where=follows.c.until.is_(None))
    .returning(follows.c.id),
    "sqlite": sqlite.insert(follows)
    .on_conflict_do_nothing(index_elements=_ACTIVE_COLUMNS, index_where=follows.c.until.is_(None))
    .returning(follows.c.id),
}
_UNFOLLOW = follows.update().where(_ACTIVE).values(until=sa.bindparam("b_until", type_=follows.c.until.type))
_SHIFTED = datasets.c.followers + sa.bindparam("b_step", type_=sa.Integer)
_SHIFT_COUNT = (
    datasets.update()
    .where(datasets.c.id == sa.bindparam("b_dataset"))
    # Never below zero: a count loaded from a document may hold fewer than the follows made here.
    .values(followers=sa.case((_SHIFTED < 0, 0), else_=_SHIFTED))
)
_SET_STOCK = (
    datasets.update()
    .where(datasets.c.id == sa.bindparam("b_dataset"))
    .values(followers_by_months=sa.bindparam("b_stock", type_=datasets.c.followers_by_months.type))
)
_COUNT = sa.select(datasets.c.followers).where(datasets.c.id == sa.bindparam("b_dataset"))


def follow(conn: Connection, follow_id: str, dataset_id: str, user_id: str, now: datetime) -> bool:
    """Start following; False when the user already follows (the unique index decides races)."""
    added = conn.execute(
        _FOLLOW[conn.dialect.name],
        {"id": follow_id, "dataset_id": dataset_id, "user_id": user_id, "since": now},
    )
    if added.first() is None:
        return False
    _shift(conn, dataset_id, +1, now)
    return True


def unfollow(conn: Connection, dataset_id: str, user_id: str, now: datetime) -> bool:
    ended = conn.execute(_UNFOLLOW, {"b_dataset": dataset_id, "b_user": user_id, "b_until": now})
    if ended.rowcount == 0:
        return False
    _shift(conn, dataset_id, -1, now)
    return True


def _shift(conn: Connection, dataset_id: str, step: int, now: datetime) -> None:
    # An atomic increment: concurrent follows never lose a count (no read-modify-write).
    conn.execute(_SHIFT_COUNT, {"b_dataset": dataset_id, "b_step": step})
    # The update above holds the row lock, so this recount sees every committed follow.
    conn.execute(_SET_STOCK, {"b_dataset": dataset_id, "b_stock": _monthly_stock(conn, dataset_id, now)})
    mark_changed(conn, [dataset_id], Aspect.FOLLOWERS)


# One text statement with the months' ends as parameters: SQLAlchemy derives a cache key from a
# constructed statement on every execution, and for thirteen CASE sums that was a third of a follow.
_MONTHLY_STOCK = sa.text(
    "SELECT "
    + ", ".join(f"COALESCE(SUM(CASE WHEN since < :end{i} THEN 1 ELSE 0 END), 0)" for i in range(MONTHS))
    + f" FROM {follows.name} WHERE dataset_id = :dataset_id AND until IS NULL"
).bindparams(*(sa.bindparam(f"end{i}", type_=follows.c.since.type) for i in range(MONTHS)))


def _monthly_stock(conn: Connection, dataset_id: str, now: datetime) -> dict[str, int]:
    """Active follows that had started by the end of each of the last 13 months (udata's stock)."""
    months = last_months(now)
    ends = {f"end{i}": end for i, (_, end) in enumerate(months)}
    row = conn.execute(_MONTHLY_STOCK, {"dataset_id": dataset_id, **ends}).one()
    return {label: int(value) for (label, _), value in zip(months, row, strict=True)}


def count(conn: Connection, dataset_id: str) -> int:
    return int(conn.execute(_COUNT, {"b_dataset": dataset_id}).scalar_one())


def page(
    conn: Connection, dataset_id: str, user_id: str | None, offset: int, limit: int
) -> tuple[list[Follow], int]:
    conditions = [follows.c.dataset_id == dataset_id, follows.c.until.is_(None)]
    if user_id is not None:
        conditions.append(follows.c.user_id == user_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(follows).where(*conditions)).scalar_one()
    rows = conn.execute(
        sa.select(follows.c.id, follows.c.user_id, follows.c.since)
        .where(*conditions)
        .order_by(follows.c.since.desc(), follows.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [Follow(row.id, row.user_id, row.since) for row in rows], int(total)


def followed_datasets(conn: Connection, user_id: str) -> list[str]:
    query = sa.select(follows.c.dataset_id).where(follows.c.user_id == user_id, follows.c.until.is_(None))
    return list(conn.execute(query).scalars())


def count_followed(conn: Connection, user_id: str) -> int:
    """The datasets a user follows now."""
    query = sa.select(sa.func.count()).where(follows.c.user_id == user_id, follows.c.until.is_(None))
    return int(conn.execute(query).scalar_one())
