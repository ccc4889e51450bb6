"""Chunked upload sessions: which parts of which file have arrived, for whom, since when."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencat.db.tables import upload_parts, upload_sessions


@dataclass(frozen=True, slots=True)
class UploadSession:
    id: str
    target: str
    user_id: str
    filename: str
    total_parts: int
    created_at: datetime
    updated_at: datetime


def claim_session(conn: Connection, new: UploadSession) -> UploadSession:
    """The session of ``new``'s id, made from ``new`` when there is none, its row locked until the
    commit: two first parts of one id at once (two clients, or two callers) are one session,
    made by the first, which the second then reads (it made a duplicate key error, or took the
    session over)."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(upload_sessions)
    conn.execute(
        insert.values(
            id=new.id,
            target=new.target,
            user_id=new.user_id,
            filename=new.filename,
            total_parts=new.total_parts,
            created_at=new.created_at,
            updated_at=new.updated_at,
        ).on_conflict_do_nothing(index_elements=[upload_sessions.c.id])
    )
    claimed = find_session(conn, new.id, lock=True)
    assert claimed is not None  # made above, or there already, in this transaction
    return claimed


def find_session(conn: Connection, session_id: str, lock: bool = False) -> UploadSession | None:
    """``lock``: the row is held until the commit (PostgreSQL; SQLite's writers take turns whole)."""
    query = sa.select(upload_sessions).where(upload_sessions.c.id == session_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return UploadSession(
        row.id, row.target, row.user_id, row.filename, row.total_parts, row.created_at, row.updated_at
    )


def save_session(conn: Connection, session: UploadSession) -> None:
    values = {
        "target": session.target,
        "user_id": session.user_id,
        "filename": session.filename,
        "total_parts": session.total_parts,
        "updated_at": session.updated_at,
    }
    updated = conn.execute(
        upload_sessions.update().where(upload_sessions.c.id == session.id).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(upload_sessions.insert().values(id=session.id, created_at=session.created_at, **values))


def record_part(conn: Connection, session_id: str, index: int, size: int, now: datetime) -> None:
    """Remember a part; receiving the same part again replaces it (idempotent retries)."""
    conn.execute(
        upload_parts.delete().where(
            upload_parts.c.session_id == session_id, upload_parts.c.part_index == index
        )
    )
    conn.execute(
        upload_parts.insert().values(session_id=session_id, part_index=index, size=size, received_at=now)
    )


def part_stamps(conn: Connection, session_id: str) -> dict[int, tuple[int, datetime]]:
    """Index to size and time received of every part: a part sent again has another time."""
    rows = conn.execute(
        sa.select(upload_parts.c.part_index, upload_parts.c.size, upload_parts.c.received_at).where(
            upload_parts.c.session_id == session_id
        )
    )
    return {row.part_index: (row.size, row.received_at) for row in rows}


def received_parts(conn: Connection, session_id: str) -> dict[int, int]:
    """Index to size of every part received."""
    rows = conn.execute(
        sa.select(upload_parts.c.part_index, upload_parts.c.size)
        .where(upload_parts.c.session_id == session_id)
        .order_by(upload_parts.c.part_index)
    )
    return {row.part_index: row.size for row in rows}


def delete_session(conn: Connection, session_id: str) -> None:
    conn.execute(upload_parts.delete().where(upload_parts.c.session_id == session_id))
    conn.execute(upload_sessions.delete().where(upload_sessions.c.id == session_id))


def expired_sessions(conn: Connection, before: datetime) -> list[UploadSession]:
    rows = conn.execute(sa.select(upload_sessions.c.id).where(upload_sessions.c.updated_at < before))
    return [session for row in rows if (session := find_session(conn, row.id)) is not None]
