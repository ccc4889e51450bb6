"""Texts compared and ordered the same way on SQLite and PostgreSQL: ordered whatever the server's
locale; case folded by PostgreSQL's ``lower``, which needs a UTF-8 character type (docs/deployment.md)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def lowered(conn: Connection, column: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[Any]:
    """``column`` lower-cased as Python lower-cases ``text``, to compare the two. SQLite's own
    ``lower`` folds ASCII letters only (``Évry`` stayed ``Évry``, and no query reached it): for
    a text holding other letters it takes the engine's ``unicode_lower`` (a Python call a row,
    so not for the ASCII texts, which SQLite's folding already meets)."""
    if conn.dialect.name == "sqlite" and not text.isascii():
        return sa.func.unicode_lower(column)
    return sa.func.lower(column)


def bytewise(conn: Connection, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` ordered by its code points, as SQLite's default collation and MongoDB order it:
    a PostgreSQL database takes its locale's collation from the cluster (``en_US.UTF-8``, ICU's
    ``fr-FR``), which put "La Celle-les-Bordes" before "La Celle-Saint-Cyr" on one server and
    after it on another."""
    if conn.dialect.name == "postgresql":
        return column.collate("C")
    return column


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
