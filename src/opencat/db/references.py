"""Reference lists stored in the database: licenses and frequencies."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opencat.db.tables import frequencies, licenses
from opencat.domain.references import Frequency, License


def fetch_licenses(conn: Connection) -> list[License]:
    rows = conn.execute(sa.select(licenses).order_by(licenses.c.position))
    return [
        License(
            id=row.id,
            title=row.title,
            url=row.url,
            maintainer=row.maintainer,
            flags=tuple(row.flags),
            alternate_urls=tuple(row.alternate_urls),
            alternate_titles=tuple(row.alternate_titles),
        )
        for row in rows
    ]


def fetch_frequencies(conn: Connection) -> list[Frequency]:
    rows = conn.execute(sa.select(frequencies).order_by(frequencies.c.position))
    return [Frequency(row.id, row.label_en, row.label_fr) for row in rows]
