"""Passwords, sessions and failed sign-ins of people who sign in to the pages."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.engine import locked_in_writes
from opencat.db.tables import password_resets, sessions, sign_in_failures, users


def password_hash(conn: Connection, user_id: str) -> str | None:
    """The user's password hash; in a write transaction, their row locked until it ends (a sign-in
    checks it again there, so that a password changed meanwhile is not signed in with)."""
    query = locked_in_writes(conn, sa.select(users.c.password_hash).where(users.c.id == user_id))
    found: Any = conn.execute(query).scalar()
    return None if found is None else str(found)


def set_password_hash(conn: Connection, user_id: str, hashed: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=hashed))


def record_login(conn: Connection, user_id: str, now: datetime) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(last_login_at=now))


def insert_session(
    conn: Connection, session_id: str, user_id: str, created_at: datetime, expires_at: datetime
) -> None:
    conn.execute(
        sessions.insert().values(id=session_id, user_id=user_id, created_at=created_at, expires_at=expires_at)
    )


def find_session(conn: Connection, session_id: str) -> tuple[str, datetime] | None:
    """The session's user and when it expires."""
    row = conn.execute(
        sa.select(sessions.c.user_id, sessions.c.expires_at).where(sessions.c.id == session_id)
    ).first()
    return None if row is None else (row.user_id, row.expires_at)


def delete_session(conn: Connection, session_id: str) -> str | None:
    """Forget one session; the user it was of, if it existed."""
    found = find_session(conn, session_id)
    conn.execute(sessions.delete().where(sessions.c.id == session_id))
    return None if found is None else found[0]


def delete_sessions_of(conn: Connection, user_id: str) -> int:
    return int(conn.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount)


def count_sessions_of(conn: Connection, user_id: str) -> int:
    query = sa.select(sa.func.count()).select_from(sessions).where(sessions.c.user_id == user_id)
    return int(conn.execute(query).scalar_one())


def purge_expired(conn: Connection, now: datetime) -> None:
    conn.execute(sessions.delete().where(sessions.c.expires_at <= now))


def record_failure(conn: Connection, scope: str, key: str, at: datetime) -> None:
    conn.execute(sign_in_failures.insert().values(scope=scope, key=key[:255], at=at))


def failures_since(conn: Connection, scope: str, key: str, since: datetime) -> list[datetime]:
    """The times of this key's failures since ``since``, oldest first."""
    rows = conn.execute(
        sa.select(sign_in_failures.c.at)
        .where(
            sign_in_failures.c.scope == scope,
            sign_in_failures.c.key == key[:255],
            sign_in_failures.c.at > since,
        )
        .order_by(sign_in_failures.c.at)
    )
    return list(rows.scalars())


def clear_failures(conn: Connection, scope: str, key: str) -> None:
    conn.execute(
        sign_in_failures.delete().where(
            sign_in_failures.c.scope == scope, sign_in_failures.c.key == key[:255]
        )
    )


def purge_failures(conn: Connection, before: datetime) -> None:
    conn.execute(sign_in_failures.delete().where(sign_in_failures.c.at <= before))


def insert_reset(
    conn: Connection, reset_id: str, user_id: str, created_at: datetime, expires_at: datetime
) -> None:
    conn.execute(
        password_resets.insert().values(
            id=reset_id, user_id=user_id, created_at=created_at, expires_at=expires_at
        )
    )


def find_reset(conn: Connection, reset_id: str) -> datetime | None:
    """When a reset token expires, if it exists."""
    found: datetime | None = conn.execute(
        sa.select(password_resets.c.expires_at).where(password_resets.c.id == reset_id)
    ).scalar()
    return found


def take_reset(conn: Connection, reset_id: str, now: datetime) -> str | None:
    """The user of a reset token still valid, which is used up (deleted) by the reading: of two
    requests racing with one token, only the one whose delete removed the row gets the user."""
    row = conn.execute(
        sa.select(password_resets.c.user_id, password_resets.c.expires_at).where(
            password_resets.c.id == reset_id
        )
    ).first()
    if row is None:
        return None
    taken = conn.execute(password_resets.delete().where(password_resets.c.id == reset_id)).rowcount
    return str(row.user_id) if taken == 1 and row.expires_at > now else None


def delete_resets_of(conn: Connection, user_id: str) -> None:
    conn.execute(password_resets.delete().where(password_resets.c.user_id == user_id))


def purge_expired_resets(conn: Connection, now: datetime) -> None:
    conn.execute(password_resets.delete().where(password_resets.c.expires_at <= now))
