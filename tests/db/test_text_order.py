"""Texts are ordered by code points on both databases, whatever PostgreSQL's locale: a database
created on a cluster in ``en_US.UTF-8`` or ICU's ``fr-FR`` ordered names another way than SQLite
(and than another node's database)."""

from collections.abc import Iterator

import pytest

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts

NAMES = ("La Celle-les-Bordes", "La Celle-Saint-Cyr", "la Celle", "Étang", "Etang")


@pytest.fixture
def french_collation(catalog: Catalog) -> Iterator[None]:
    """On PostgreSQL, ``users.last_name`` in ICU's French collation for the test (as a database
    created with that locale would have it), put back afterwards."""
    if catalog.db.engine.dialect.name != "postgresql":
        yield
        return
    with catalog.db.write() as conn:
        known = conn.exec_driver_sql("SELECT 1 FROM pg_collation WHERE collname = 'fr-FR-x-icu'").first()
    if known is None:
        pytest.skip("this PostgreSQL has no ICU collations")
    with catalog.db.write() as conn:
        conn.exec_driver_sql(
            'ALTER TABLE users ALTER COLUMN last_name TYPE varchar(255) COLLATE "fr-FR-x-icu"'
        )
    # The pool's connections may hold statements prepared on the old column type: PostgreSQL
    # refuses to run them again ("cached plan must not change result type").
    catalog.db.dispose()
    try:
        yield
    finally:
        with catalog.db.write() as conn:
            conn.exec_driver_sql(
                'ALTER TABLE users ALTER COLUMN last_name TYPE varchar(255) COLLATE "default"'
            )
        catalog.db.dispose()


@pytest.mark.usefixtures("french_collation")
def test_users_are_listed_by_code_points(catalog: Catalog) -> None:
    for number, last_name in enumerate(NAMES):
        accounts.create_user(catalog, email=f"order{number}@example.org", first_name="A", last_name=last_name)
    with catalog.db.read() as conn:
        listed = [
            user.last_name for user in db_accounts.search_users(conn, "", 100) if user.first_name == "A"
        ]
    assert listed == sorted(NAMES)  # Python's order: code points, as SQLite's and MongoDB's
