"""Creating forms already sent (``form_submissions``): a token claimed in the transaction that
creates, and what that transaction made."""

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from opencat.db.tables import form_submissions

# What a page makes of its form's token: 32 to 64 hexadecimal digits (a SHA-256 of the token
# and the form's content, web/sent_once.sending).
_TOKEN = re.compile(r"[0-9a-f]{32,64}")

# The row returned says whether the token was free (not the row count: -1 for an INSERT from
# Python 3.11's sqlite3 under a Turkish locale).
_CLAIM = {
    "postgresql": postgresql.insert(form_submissions)
    .on_conflict_do_nothing()
    .returning(form_submissions.c.token),
    "sqlite": sqlite.insert(form_submissions).on_conflict_do_nothing().returning(form_submissions.c.token),
}


def is_token(value: object) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def claim(conn: Connection, token: str, user_id: str, now: datetime) -> bool:
    """Take ``token`` for this transaction: False when a committed transaction took it (on
    PostgreSQL, a transaction taking it meanwhile is waited for, and counts once committed)."""
    row = {"token": token, "user_id": user_id, "target": None, "created_at": now}
    return conn.execute(_CLAIM[conn.dialect.name], row).first() is not None


def made(conn: Connection, token: str, target: str) -> None:
    """What the transaction that claimed ``token`` made."""
    conn.execute(sa.update(form_submissions).where(form_submissions.c.token == token).values(target=target))


def hold(conn: Connection, token: str, user_id: str) -> bool:
    """Lock this user's record of ``token`` for the transaction (False: another user's, or none):
    a sending of the same form at once waits, then finds what this one made."""
    mine = (form_submissions.c.token == token) & (form_submissions.c.user_id == user_id)
    statement = sa.update(form_submissions).where(mine).values(user_id=form_submissions.c.user_id)
    return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount == 1


def target_of(conn: Connection, token: str, user_id: str) -> str | None:
    """What the form sent with ``token`` by this user made; None when another user's or unknown."""
    found = conn.execute(
        sa.select(form_submissions.c.target).where(
            form_submissions.c.token == token, form_submissions.c.user_id == user_id
        )
    ).scalar()
    return None if found is None else str(found)


def forget_before(conn: Connection, before: datetime) -> int:
    """Forget the forms sent before ``before``; how many."""
    statement = sa.delete(form_submissions).where(form_submissions.c.created_at < before)
    return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
