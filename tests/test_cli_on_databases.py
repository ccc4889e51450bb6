"""The commands that work on the catalog, on both databases: ``user``, ``org`` and ``token``
(accounts and named keys), ``reindex`` and ``doctor``."""

import contextlib
import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.cli import main
from opencat.db import datasets as db_datasets
from opencat.db.engine import Database
from opencat.db.migrate import current_revision, downgrade, newest_revision
from opencat.domain.errors import InvalidCredentials, Reason
from opencat.search.index import SearchIndex
from opencat.search.schema import VERSION as INDEX_VERSION
from tests import paths
from tests.conftest import FixedClock
from tests.faults import immutable
from tests.ports import free_port
from tests.s3 import BUCKET


@dataclasses.dataclass
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(
    db: Database,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The command on the test database (emptied after the test by ``db``)."""
    for name in list(os.environ):
        if name.startswith("OPENCAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCAT_DATABASE_URL", database_url)

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def json_of(run: Run) -> Any:
    assert run.code == 0, run.err
    return json.loads(run.out)


def make(cli: Cli, email: str, *extra: str) -> dict[str, Any]:
    user: dict[str, Any] = json_of(
        cli(
            "user", "create", "--email", email, "--first-name", "A", "--last-name", email[0], "--json", *extra
        )
    )
    return user


def test_user_list_show_and_delete(cli: Cli, catalog: Catalog) -> None:
    alice = make(cli, "alice@example.org")
    make(cli, "root@example.org", "--sysadmin")
    listed = json_of(cli("user", "list", "--json"))
    assert [(u["email"], u["sysadmin"], u["deleted"]) for u in listed] == [
        ("alice@example.org", False, None),
        ("root@example.org", True, None),
    ]
    table = cli("user", "list").out.splitlines()
    assert table[0].split("\t") == ["id", "email", "slug", "name", "sysadmin", "deleted"]
    assert len(table) == 3

    org = json_of(cli("org", "create", "--name", "Ville", "--json"))
    assert cli("org", "add-member", org["id"], alice["id"], "--role", "admin").code == 0
    shown = json_of(cli("user", "show", "alice@example.org", "--json"))
    assert shown["id"] == alice["id"]
    assert shown["organizations"] == [{"id": org["id"], "slug": "ville", "role": "admin"}]
    assert [key["revoked"] for key in shown["api_keys"]] == [None]
    assert "api_key" not in str(shown["api_keys"])
    assert alice["api_key"] not in cli("user", "show", alice["id"]).out

    deleted = json_of(cli("user", "delete", alice["slug"], "--json"))
    assert deleted["deleted"] is not None
    with pytest.raises(InvalidCredentials):
        accounts.authenticate(catalog, alice["api_key"])
    assert json_of(cli("user", "show", alice["id"], "--json"))["deleted"] is not None


def test_org_list_counts_members(cli: Cli) -> None:
    alice = make(cli, "alice@example.org")
    first = json_of(cli("org", "create", "--name", "Ville de Lyon", "--json"))
    json_of(cli("org", "create", "--name", "Région", "--acronym", "R", "--json"))
    cli("org", "add-member", first["slug"], alice["email"], "--role", "editor")
    listed = json_of(cli("org", "list", "--json"))
    assert [(o["slug"], o["members"]) for o in listed] == [("ville-de-lyon", 1), ("region", 0)]
    assert cli("org", "list").out.splitlines()[0] == "id\tslug\tname\tmembers"


def test_token_create_named_with_expiry_list_and_revoke_one(cli: Cli, catalog: Catalog) -> None:
    alice = make(cli, "alice@example.org")
    made = json_of(cli("token", "create", alice["email"], "--name", "ci", "--days", "30", "--json"))
    assert set(made) == {"user", "id", "name", "expires", "api_key"}
    assert made["name"] == "ci"
    dated = json_of(
        cli("token", "create", alice["id"], "--name", "until", "--expires", "2999-12-31", "--json")
    )
    assert dated["expires"] == "2999-12-31T23:59:59+00:00"
    assert accounts.authenticate(catalog, made["api_key"]).user is not None

    listed = json_of(cli("token", "list", alice["email"], "--json"))
    assert [key["name"] for key in listed] == [None, "ci", "until"]
    assert set(listed[1]) == {"id", "name", "created", "expires", "last_used", "revoked"}
    assert listed[0]["last_used"] is None
    plain = cli("token", "list", alice["email"]).out
    assert made["api_key"] not in plain
    assert alice["api_key"] not in plain

    run = cli("token", "revoke", made["id"])
    assert (run.code, run.out) == (0, f"Revoked API key {made['id']} (ci)\n")
    again = cli("token", "revoke", made["id"])  # run twice: it says it was revoked before
    assert again.code == 0
    assert again.out.startswith(f"API key {made['id']} (ci) was already revoked on ")
    with pytest.raises(InvalidCredentials) as refused:
        accounts.authenticate(catalog, made["api_key"])
    assert refused.value.reason is Reason.TOKEN_REVOKED
    assert accounts.authenticate(catalog, dated["api_key"]).user is not None
    assert [key["name"] for key in json_of(cli("token", "list", alice["id"], "--json"))] == [None, "until"]
    assert len(json_of(cli("token", "list", alice["id"], "--all", "--json"))) == 3

    later = dataclasses.replace(catalog, clock=FixedClock(catalog.clock() + timedelta(days=31)))
    assert accounts.authenticate(later, dated["api_key"]).user is not None
    with pytest.raises(InvalidCredentials):
        accounts.authenticate(later, alice["api_key"] + "x")


def test_token_revoke_all_and_errors(cli: Cli) -> None:
    alice = make(cli, "alice@example.org")
    cli("token", "create", alice["id"])
    assert cli("token", "revoke", "--all", alice["email"]).out == "Revoked 2 API key(s)\n"
    # Nothing left in use: nothing on standard output for a script, a line for a person.
    empty = cli("token", "list", alice["email"])
    assert (empty.code, empty.out) == (0, "")
    assert empty.err == "(no API keys in use; --all lists the revoked ones)\n"
    assert json_of(cli("token", "list", alice["email"], "--json")) == []
    assert cli("harvest", "list").err == "(no harvest sources)\n"
    unknown = cli("token", "revoke", "0" * 24)
    assert (unknown.code, unknown.err) == (2, f"error: Unknown API key {'0' * 24}\n")
    bad_date = cli("token", "create", alice["id"], "--expires", "tomorrow")
    assert bad_date.code == 2  # bad usage, as --days abc
    assert "--expires must be a date" in bad_date.err
    assert cli("token", "create", alice["id"], "--expires", "2030-02-30").code == 2
    # Past the last day a date may hold once in UTC: a traceback (OverflowError), exit 1
    beyond = cli("token", "create", alice["id"], "--expires", "9999-12-31T23:00:00-05:00")
    assert (beyond.code, beyond.err.count("\n")) == (2, 1)
    assert "--expires must be a date" in beyond.err
    bad_config = cli(
        "harvest",
        "add",
        "R",
        "https://example.org/",
        "--backend",
        "udata",
        "--owner",
        alice["id"],
        "--config",
        "{bad",
    )
    assert (bad_config.code, bad_config.err) == (2, "error: --config must be a JSON object\n")
    past = cli("token", "create", alice["id"], "--expires", "2001-01-01")
    assert past.code == 2  # as a date that is no date
    assert "expires" in past.err
    assert cli("user", "show", "nobody@example.org").err == "error: Unknown user nobody@example.org\n"
    with pytest.raises(SystemExit) as both:
        cli("token", "create", alice["id"], "--days", "3", "--expires", "2999-01-01")
    assert both.value.code == 2


def _fixture_file(path: Path, *datasets: tuple[str, list[str]]) -> Path:
    when = "2024-01-02T03:04:05"
    documents = [
        {
            "id": dataset_id,
            "title": f"Jeu {dataset_id[-1]}",
            "created_at": when,
            "last_modified": when,
            "resources": [
                {"id": rid, "title": rid, "url": "https://example.org/a.csv", "created_at": when}
                for rid in resource_ids
            ],
        }
        for dataset_id, resource_ids in datasets
    ]
    path.write_text(json.dumps(documents))
    return path


def test_a_resource_id_held_twice_is_one_line_and_nothing_is_loaded(
    cli: Cli, catalog: Catalog, tmp_path: Path
) -> None:
    """udata's catalogs hold such pairs; the load ended in the database's IntegrityError traceback."""
    first, second, third = "1" * 24, "2" * 24, "3" * 24
    shared = "aaaaaaaa-0000-4000-8000-000000000001"
    loaded = cli("load-fixtures", str(_fixture_file(tmp_path / "a.json", (first, [shared]))))
    assert loaded.code == 0, loaded.err
    for name, datasets, words in (
        ("b.json", [(second, ["aaaaaaaa-0000-4000-8000-000000000002"]), (third, [shared])], (first, third)),
        ("c.json", [(second, [shared.replace("1", "9"), shared.replace("1", "9")])], (second,)),
    ):
        refused = cli("load-fixtures", str(_fixture_file(tmp_path / name, *datasets)))
        assert refused.code != 0
        lines = refused.err.strip().splitlines()
        assert len(lines) == 1, refused.err
        assert "Traceback" not in refused.err
        assert "a resource id names one resource" in lines[0]
        assert all(word in lines[0] for word in words), lines[0]
    with catalog.db.read() as conn:
        assert db_datasets.find_by_id(conn, second) is None  # nothing of a refused file is written
    assert cli("load-fixtures", str(_fixture_file(tmp_path / "a.json", (first, [shared])))).code == 0  # again
    twice = _fixture_file(tmp_path / "d.json", (first, [shared]), (first, [shared]))
    assert cli("load-fixtures", str(twice)).code == 0  # one dataset listed twice: the later replaces it


def test_reindex_rebuilds_the_index_with_progress(cli: Cli, tmp_path: Path) -> None:
    assert cli("load-fixtures", str(paths.UDATA_FIXTURES)).code == 0
    shutil.rmtree(tmp_path / "search")
    run = cli("reindex")
    assert (run.code, run.out) == (0, "Indexed 15 datasets\n")
    assert run.err.splitlines()[-1] == "indexed 15/15 datasets"
    assert SearchIndex(tmp_path / "search").count() == 15
    assert cli("reindex").out == "Indexed 15 datasets\n"  # again: the same documents, not twice
    assert SearchIndex(tmp_path / "search").count() == 15


def test_doctor_says_what_fails_and_how_to_fix_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("load-fixtures", str(paths.UDATA_FIXTURES)).code == 0
    shutil.rmtree(tmp_path / "search", ignore_errors=True)
    first = cli("doctor")
    assert first.code == 1
    lines = first.out.splitlines()
    assert [line.split(":")[0] for line in lines if not line.startswith(" ")] == [
        "OK   settings",
        "OK   signing key",
        "OK   database",
        "OK   migrations",
        "FAIL search index",
        "OK   file store",
    ]
    assert "     fix: run opencat reindex (opencat serve also builds it)" in lines
    assert cli("reindex").code == 0
    second = cli("doctor")
    assert second.code == 0, second.out
    assert "OK   search index: 15 datasets, caught up" in second.out
    assert not list((tmp_path / "files").rglob("probe-*"))  # the probe file is removed
    (tmp_path / "secret_key").write_text("short")
    short = cli("doctor")
    assert short.code == 1
    assert "FAIL signing key: the pages' signing key" in short.out


def test_doctor_passes_a_new_empty_catalog(cli: Cli, tmp_path: Path) -> None:
    """``db upgrade && doctor && serve``: a deploy script's first run stopped at the index, which
    serve builds and which has nothing to hold yet."""
    assert cli("db", "upgrade").code == 0
    shutil.rmtree(tmp_path / "search", ignore_errors=True)
    run = cli("doctor")
    assert run.code == 0, run.out
    assert "OK   search index: none yet: opencat serve builds it" in run.out


def test_doctor_goes_on_past_an_index_that_cannot_be_opened(cli: Cli, tmp_path: Path) -> None:
    """Its folder refusing writes (``chattr -R +i``): doctor stopped at the data directory and
    checked neither the database nor the file store (and, once the index opened lazily, ended in
    a traceback)."""
    assert cli("load-fixtures", str(paths.UDATA_FIXTURES)).code == 0
    assert cli("reindex").code == 0
    search = tmp_path / "search"
    with contextlib.ExitStack() as stack:
        for path in (search, *search.iterdir()):
            stack.enter_context(immutable(path))
        run = cli("doctor")
    assert run.code == 1, run.out
    assert "Traceback" not in run.out + run.err
    assert "FAIL search index: cannot be opened (" in run.out
    assert f"fix: let this user write {search}" in run.out
    assert "OK   migrations:" in run.out
    assert "file store:" in run.out  # checked after it


def test_commands_leave_another_releases_index_to_its_servers(cli: Cli, tmp_path: Path) -> None:
    """During an upgrade the previous release's servers still serve their index: a new release's
    doctor, backup or refused command emptied it (each process replaced it on opening)."""
    assert cli("load-fixtures", str(paths.UDATA_FIXTURES)).code == 0
    assert cli("reindex").code == 0
    meta_path = tmp_path / "search" / "opencat-index.json"
    older = {**json.loads(meta_path.read_text()), "version": INDEX_VERSION - 1}
    meta_path.write_text(json.dumps(older))
    files = sorted(path.name for path in (tmp_path / "search").iterdir())
    doctor = cli("doctor")
    assert doctor.code == 1
    assert f"FAIL search index: built by another release (index version {INDEX_VERSION - 1}" in doctor.out
    assert cli("backup", str(tmp_path / "nightly")).code in (0, 2)  # 2: PostgreSQL's is pg_dump's
    assert cli("user", "show", "nobody@example.org").code != 0
    assert json.loads(meta_path.read_text()) == older
    assert sorted(path.name for path in (tmp_path / "search").iterdir()) == files
    assert cli("reindex").code == 0  # this release's first use replaces it
    assert "OK   search index: 15 datasets, caught up" in cli("doctor").out


def test_doctor_on_a_database_never_migrated(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "new.db").touch()  # an empty file: a SQLite database without tables
    monkeypatch.setenv("OPENCAT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    run = cli("doctor")
    assert run.code == 1
    assert "FAIL migrations: schema at nothing, code expects" in run.out
    assert "fix: run opencat db upgrade" in run.out
    assert "search index" not in run.out  # it needs the schema to be checked


def test_doctor_and_backup_of_a_data_directory_without_a_database_make_none(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A mistyped OPENCAT_DATA_DIR: the doctor made an empty catalog there and a backup backed it
    up as a success ("Backed up 0 datasets"): a nightly backup would have kept doing so."""
    typo = tmp_path / "typo"
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(typo))
    monkeypatch.delenv("OPENCAT_DATABASE_URL")
    doctor = cli("doctor")
    assert doctor.code == 1
    assert f"FAIL database: no database at {typo / 'opencat.db'}" in doctor.out
    assert "fix: correct OPENCAT_DATA_DIR" in doctor.out
    backup = cli("backup", str(tmp_path / "nightly"))
    assert (backup.code, backup.out) == (2, "")
    assert f"no database at {typo / 'opencat.db'}: check OPENCAT_DATA_DIR" in backup.err
    assert not typo.exists()
    assert not (tmp_path / "nightly").exists()
    # Nor do the commands that read or keep up a catalog (a reindex said "Indexed 0 datasets").
    for command in (
        ("reindex",),
        ("user", "list"),
        ("org", "list"),
        ("token", "list", "someone@example.org"),
        ("token", "create", "someone@example.org"),
        ("org", "add-member", "some-org", "someone@example.org", "--role", "admin"),
        ("harvest", "list"),
        ("export", "dcat", "--output", str(tmp_path / "catalog.nt")),
    ):
        refused = cli(*command)
        assert (refused.code, refused.out) == (2, ""), command
        assert f"no database at {typo / 'opencat.db'}" in refused.err, command
        assert not typo.exists(), command


def test_doctor_with_bad_settings_or_no_database(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCAT_MAX_JSON_BYTES", "lots")
    run = cli("doctor")
    assert (run.code, run.out.splitlines()[0]) == (
        1,
        "FAIL settings: OPENCAT_MAX_JSON_BYTES must be an integer, got 'lots'",
    )
    monkeypatch.delenv("OPENCAT_MAX_JSON_BYTES")
    monkeypatch.setenv("OPENCAT_DATABASE_URL", "postgresql://opencat:pw@127.0.0.1:1/none")
    run = cli("doctor")
    assert run.code == 1
    assert (
        # As written: the driver's name for it (postgresql+psycopg://) is not what was set.
        "FAIL database: OPENCAT_DATABASE_URL: cannot use postgresql://opencat:***@127.0.0.1:1/none" in run.out
    )
    assert "migrations" not in run.out
    assert os.environ["OPENCAT_DATABASE_URL"].endswith("/none")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("sqlite:///", "a SQLite URL names a file"),
        ("sqlite:///:memory:", "a SQLite URL names a file"),
        ("postgresql://postgres@127.0.0.1:notaport/x", "is not a valid database URL"),
    ],
)
def test_a_database_url_that_cannot_serve_is_one_line_everywhere(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, url: str, said: str
) -> None:
    """These were tracebacks: SQLAlchemy's TypeError for a SQLite URL of no file, and the
    doctor's own ValueError for a port that is no number."""
    monkeypatch.setenv("OPENCAT_DATABASE_URL", url)
    upgrade = cli("db", "upgrade")
    assert upgrade.code == 2
    assert said in upgrade.err
    assert "Traceback" not in upgrade.err
    doctor = cli("doctor")
    assert doctor.code == 1
    assert f"FAIL database: OPENCAT_DATABASE_URL{'' if 'valid' in said else ':'}" in doctor.out
    assert said in doctor.out


def test_the_doctor_reports_a_data_directory_it_cannot_use(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path / "a-file"))
    (tmp_path / "elsewhere.db").touch()
    monkeypatch.setenv("OPENCAT_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    run = cli("doctor")
    assert run.code == 1
    assert "FAIL data directory: NotADirectoryError" in run.out
    assert "fix: set OPENCAT_DATA_DIR to a directory this user may write" in run.out


def test_doctor_downloads_a_buckets_probe_from_its_public_url(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_prefix: str
) -> None:
    """Resources link to the bucket's public URL: a bucket opencat can write but nobody can
    download from (a wrong OPENCAT_S3_PUBLIC_URL, objects not public) is a failure."""
    monkeypatch.setenv("OPENCAT_STORAGE_URL", f"s3://{BUCKET}/{s3_prefix}")
    monkeypatch.setenv("OPENCAT_S3_ENDPOINT_URL", s3_endpoint)
    assert cli("reindex").code == 0
    run = cli("doctor")
    assert run.code == 0, run.out
    assert f"OK   file store: writable ({s3_endpoint}/{BUCKET})" in run.out

    nowhere = f"http://127.0.0.1:{free_port()}/files"
    for public_url, reason in [(nowhere, "Connection refused"), (f"{s3_endpoint}/elsewhere", "HTTP 404")]:
        monkeypatch.setenv("OPENCAT_S3_PUBLIC_URL", public_url)
        run = cli("doctor")
        assert run.code == 1
        failed = next(line for line in run.out.splitlines() if line.startswith("FAIL"))
        assert failed.startswith(
            f"FAIL file store: a file written is not downloadable at its public URL ({public_url}/"
        )
        assert reason in failed
        assert "fix: give the bucket's objects public read" in run.out

    # A missing bucket: the store's own answer, not only "file_store_unavailable" (/readyz says it)
    monkeypatch.delenv("OPENCAT_S3_PUBLIC_URL")
    monkeypatch.setenv("OPENCAT_STORAGE_URL", f"s3://no-such-bucket-{s3_prefix.strip('/')}/x")
    run = cli("doctor")
    failed = next(line for line in run.out.splitlines() if line.startswith("FAIL file store"))
    assert "NoSuchBucket" in failed or "404" in failed, failed


def test_a_database_migrated_by_a_newer_opencat_is_said_in_one_line(cli: Cli, db: Database) -> None:
    """Every command printed Alembic's traceback ("Can't locate revision"), and the doctor told
    to run ``db upgrade``, which cannot help."""
    assert cli("db", "upgrade").code == 0
    newer = f"{int(newest_revision()) + 1:04d}"
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": newer})
    try:
        for command in (("db", "upgrade"), ("user", "list")):
            run = cli(*command)
            assert run.code == 2, run
            assert run.err.strip().splitlines() == [
                f"error: the database's schema is at {newer}, newer than this opencat knows ({newest_revision()}): "
                "run the opencat that migrated it, or a newer one"
            ]
        doctor = cli("doctor")
        assert f"FAIL migrations: schema at {newer}, newer than this code's {newest_revision()}" in doctor.out
        assert "fix: run a newer opencat" in doctor.out
    finally:
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE alembic_version SET version_num = :v"), {"v": newest_revision()}
            )


def test_a_command_refuses_a_database_at_an_older_schema(cli: Cli, db: Database) -> None:
    """Every command migrated the database it was given: a backup or a user list run with a new
    release migrated the database its running servers of the previous release used, and a backup
    taken so before the upgrade could not be restored by the release it should roll back to."""
    assert cli("db", "upgrade").code == 0
    previous = f"{int(newest_revision()) - 1:04d}"
    downgrade(db, previous)
    for command in (("user", "list"), ("org", "list"), ("harvest", "list")):
        run = cli(*command)
        assert run.code == 2, run
        assert run.err.strip().splitlines() == [
            f"error: the database's schema is at {previous}, this opencat needs {newest_revision()}: "
            "run 'opencat db upgrade' first (with the servers of the previous release stopped)"
        ]
    assert current_revision(db) == previous  # nothing migrated behind the operator's back
    assert cli("db", "upgrade").code == 0
    assert cli("user", "list").code == 0


def test_a_misspelled_variable_is_said_by_every_command_and_fails_the_doctor(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OPENCAT_DATABSE_URL`` was not read, and nothing said so: the catalog served was an empty
    SQLite one. A variable that only resembles a setting (a test's own) is not said."""
    monkeypatch.setenv("OPENCAT_DATABSE_URL", "postgresql://postgres@127.0.0.1:5432/elsewhere")
    monkeypatch.setenv("OPENCAT_Max_Upload_Bytes", "5")
    monkeypatch.setenv("OPENCAT_INDEX_KEEPER_PID", "1")
    doctor = cli("doctor")
    assert doctor.code == 1
    assert (
        "FAIL variables: OPENCAT_DATABSE_URL names no setting and is not read: OPENCAT_DATABASE_URL?; "
        "OPENCAT_Max_Upload_Bytes names no setting and is not read: OPENCAT_MAX_UPLOAD_BYTES?"
    ) in doctor.out
    assert "INDEX_KEEPER" not in doctor.out
    listed = cli("user", "list")
    assert listed.code == 0
    assert (
        "warning: OPENCAT_DATABSE_URL names no setting and is not read: OPENCAT_DATABASE_URL?" in listed.err
    )
