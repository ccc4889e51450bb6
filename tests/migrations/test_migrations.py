"""Alembic migrations on a fresh database of each dialect: up, down, up again, and no drift from tables.py."""

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from opencat.db.engine import Database
from opencat.db.migrate import alembic_config, current_revision, downgrade, newest_revision, upgrade
from opencat.db.tables import metadata
from tests.conftest import empty_database

APPLICATION_TABLES = {table.name for table in metadata.sorted_tables}


@pytest.fixture
def fresh(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with empty_database(dialect, request, tmp_path, "migrations_fresh") as database:
        yield database


@pytest.fixture(scope="module")
def upgraded(
    dialect: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A fresh database brought to the latest revision once, for the checks that only read it."""
    with empty_database(
        dialect, request, tmp_path_factory.mktemp("migrations"), "migrations_upgraded"
    ) as database:
        upgrade(database)
        yield database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[table])).scalar_one())


def _differences(database: Database) -> list[Any]:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_downgrade_upgrade(fresh: Database) -> None:
    assert _tables(fresh) == set()
    upgrade(fresh)
    assert _tables(fresh) == APPLICATION_TABLES | {"alembic_version"}
    assert _revision(fresh) == _head()

    downgrade(fresh)
    assert _tables(fresh) - {"alembic_version"} == set()
    assert _revision(fresh) is None

    upgrade(fresh)
    assert _tables(fresh) == APPLICATION_TABLES | {"alembic_version"}
    assert _count(fresh, "licenses") == 12
    assert _count(fresh, "frequencies") == 40

    upgrade(fresh)  # already at head: nothing runs again
    assert _count(fresh, "licenses") == 12
    assert _count(fresh, "frequencies") == 40


def test_a_database_one_revision_behind_is_brought_to_the_head(fresh: Database) -> None:
    upgrade(fresh)
    head = _head()
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    downgrade(fresh, str(previous))
    assert current_revision(fresh) == previous
    upgrade(fresh)  # not at the head: Alembic runs the last migration again
    assert current_revision(fresh) == _revision(fresh) == head


def test_the_newest_revision_is_alembics_head_and_each_is_named_by_its_file() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert newest_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        assert script.path is not None
        assert Path(script.path).name[:4] == script.revision


def test_upgrading_a_database_at_the_head_does_not_load_alembic(upgraded: Database) -> None:
    """The CLI and every server start upgrade their database: at the head, one read answers."""
    assert current_revision(upgraded) == newest_revision()
    probe = (
        "import sys; from opencat.db.engine import Database; from opencat.db.migrate import upgrade; "
        f"database = Database({upgraded.url!r}); upgrade(database); database.dispose(); "
        "print(sorted(name for name in sys.modules if name.startswith('alembic')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_migrations_match_the_table_definitions(upgraded: Database) -> None:
    assert _differences(upgraded) == []


def test_drift_would_be_detected(fresh: Database) -> None:
    upgrade(fresh)
    with fresh.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    removed = [
        diff[1].name for diff in _differences(fresh) if isinstance(diff, tuple) and diff[0] == "remove_table"
    ]
    assert removed == ["stray"]


def test_reference_lists_are_seeded_in_order(upgraded: Database) -> None:
    frequencies = metadata.tables["frequencies"]
    licenses = metadata.tables["licenses"]
    with upgraded.engine.connect() as conn:
        rows = conn.execute(sa.select(frequencies).order_by(frequencies.c.position)).mappings().all()
        license_ids = set(conn.execute(sa.select(licenses.c.id)).scalars())
    assert len(rows) == 40
    assert [row["position"] for row in rows] == list(range(40))
    assert (rows[0]["id"], rows[0]["label_en"], rows[0]["label_fr"]) == (
        "continuous",
        "Real time",
        "Temps réel",
    )
    assert rows[-1]["id"] == "unknown"
    assert {"notspecified", "lov2", "cc-by"} <= license_ids
    assert len(license_ids) == 12


def test_the_geozones_are_seeded_from_the_packaged_export(upgraded: Database) -> None:
    """Every zone of the export, as udata's ``spatial load`` maps it: the slug made from the name,
    the lists kept whole (the rows go in without SQLAlchemy's binding, db/bulk.insert_values)."""
    exported = orjson.loads((files("opencat") / "refdata" / "geozones" / "zones.json").read_bytes())
    kept = {item["_id"]: item for item in exported if not item.get("is_deleted")}
    zones = metadata.tables["geozones"]
    with upgraded.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(zones)).scalar_one()
        commune = conn.execute(sa.select(zones).where(zones.c.id == "fr:commune:01001")).mappings().one()
        country = conn.execute(sa.select(zones).where(zones.c.id == "country:fr")).mappings().one()
    assert count == len(kept) > 38_000
    assert dict(commune) == {
        "id": "fr:commune:01001",
        "name": "L'Abergement-Clémenciat",
        "slug": "labergement-clemenciat",
        "code": "01001",
        "level": "fr:commune",
        "uri": None,
        "population": 860,
        "parents": ["fr:departement:01", "fr:epci:200069193"],
        "ancestors": ["country:fr", "fr:departement:01", "fr:epci:200069193", "fr:region:84"],
    }
    assert (country["slug"], country["uri"]) == ("france", kept["country:fr"]["uri"])
    assert country["parents"] == kept["country:fr"]["parents"]


@pytest.mark.postgresql_only
def test_nodes_upgrading_a_new_database_at_once_all_succeed(fresh: Database) -> None:
    """Nodes started together on a new PostgreSQL database, each its own process: all but one
    failed on a duplicate ``alembic_version`` type (an 88-line traceback). They now wait for the
    first one's upgrade and find the database at the head."""
    url = fresh.engine.url.render_as_string(hide_password=False)
    script = (
        "import sys; from opencat.db.engine import Database; from opencat.db.migrate import upgrade; "
        "database = Database(sys.argv[1]); upgrade(database); database.dispose()"
    )
    nodes = [
        subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [node.communicate(timeout=120)[1] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0, 0], errors
    assert current_revision(fresh) == newest_revision()


def test_harvest_sources_get_slugs_from_their_names_when_upgraded(fresh: Database) -> None:
    """0021 gives the sources it finds udata's slugs: from the name, unique in order of creation,
    never one that reads as an id."""
    upgrade(fresh)
    downgrade(fresh, "0020")
    sources = metadata.tables["harvest_sources"]
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    names = ["Région Bretagne", "Région Bretagne", "5f0c3a2b9e1d4c7a8b6e2f10", "!!!"]
    with fresh.engine.begin() as conn:
        for number, name in enumerate(names):
            row = {
                "id": f"{number:024x}",
                "name": name,
                "description": "",
                "url": "http://example.org/",
                "backend": "dcat",
                "config": {},
                "active": True,
                "autoarchive": True,
                "validation": {"state": "pending"},
                "validators": {},
                "created_at": moment + timedelta(minutes=number),
                "last_modified": moment,
            }
            conn.execute(sources.insert().values(row))
    upgrade(fresh)
    with fresh.engine.connect() as conn:
        slugs = conn.execute(sa.select(sources.c.slug).order_by(sources.c.created_at)).scalars().all()
    assert slugs == ["region-bretagne", "region-bretagne-1", "5f0c3a2b9e1d4c7a8b6e2f10-id", "source"]
