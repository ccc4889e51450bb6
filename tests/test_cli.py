"""The ``opencat`` command, driven in-process on a SQLite database in a temporary data directory."""

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.cli import main
from opencat.config import Settings
from opencat.db.migrate import newest_revision
from opencat.db.tables import metadata
from opencat.domain.errors import InvalidCredentials, Reason
from opencat.domain.ids import is_object_id
from opencat.wiring import build_catalog
from tests import paths

FIXTURES = paths.UDATA_FIXTURES


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Run]


@pytest.fixture(autouse=True)
def data_dir(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    migrated_sqlite_file: Path,
) -> Path:
    """The commands' data directory, holding a copy of a migrated database (the commands find it at
    the head and migrate nothing) unless the test is marked ``fresh_database``."""
    if request.node.get_closest_marker("fresh_database") is None:
        shutil.copyfile(migrated_sqlite_file, tmp_path / "opencat.db")
    for name in list(os.environ):
        if name.startswith("OPENCAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def written(data_dir: Path) -> Iterator[Catalog]:
    """The catalog the commands write to, opened beside them to check their effects."""
    catalog = build_catalog(Settings.from_env(os.environ))
    yield catalog
    catalog.db.dispose()


def count_datasets(catalog: Catalog) -> int:
    with catalog.db.read() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(metadata.tables["datasets"])).scalar_one()
        )


def create_user(cli: Cli, email: str = "alice@example.org") -> dict[str, Any]:
    run = cli("user", "create", "--email", email, "--first-name", "Alice", "--last-name", "Martin", "--json")
    assert run.code == 0, run.err
    created: dict[str, Any] = run.json()
    return created


@pytest.mark.fresh_database
def test_db_upgrade_creates_the_database_in_the_data_dir(cli: Cli, data_dir: Path) -> None:
    run = cli("db", "upgrade")
    assert (run.code, run.out, run.err) == (0, f"Database upgraded from nothing to {newest_revision()}\n", "")
    assert (data_dir / "opencat.db").is_file()
    assert cli("db", "upgrade").out == "Database is up to date\n"


def test_user_create_prints_id_and_a_working_api_key(cli: Cli, written: Catalog) -> None:
    created = create_user(cli)
    assert set(created) == {"id", "email", "slug", "api_key"}
    assert is_object_id(created["id"])
    assert created["email"] == "alice@example.org"
    assert created["slug"] == "alice-martin"
    actor = accounts.authenticate(written, created["api_key"])
    assert actor.user is not None
    assert actor.user.id == created["id"]
    assert actor.user.sysadmin is False


def test_user_create_sysadmin_without_json_prints_key_value_lines(cli: Cli, written: Catalog) -> None:
    run = cli(
        "user",
        "create",
        "--email",
        "root@example.org",
        "--first-name",
        "R",
        "--last-name",
        "Oot",
        "--sysadmin",
    )
    assert run.code == 0
    lines = dict(line.split(": ", 1) for line in run.out.splitlines())
    assert set(lines) == {"id", "email", "slug", "api_key"}
    actor = accounts.authenticate(written, lines["api_key"])
    assert actor.user is not None
    assert actor.user.sysadmin is True


def test_same_name_users_get_distinct_slugs(cli: Cli) -> None:
    first = create_user(cli, "alice@example.org")
    second = create_user(cli, "alice.martin@example.org")
    assert (first["slug"], second["slug"]) == ("alice-martin", "alice-martin-1")


def test_org_create_prints_id_and_slug(cli: Cli) -> None:
    run = cli("org", "create", "--name", "Ville de Lyon", "--acronym", "VDL", "--json")
    assert run.code == 0
    created = run.json()
    assert is_object_id(created["id"])
    assert created["slug"] == "ville-de-lyon"
    assert created["name"] == "Ville de Lyon"
    assert cli("org", "create", "--name", "Ville de Lyon", "--json").json()["slug"] == "ville-de-lyon-1"


def test_org_add_member_by_slug_and_email(cli: Cli, written: Catalog) -> None:
    user = create_user(cli)
    org = cli("org", "create", "--name", "Ville de Lyon", "--json").json()
    run = cli("org", "add-member", "ville-de-lyon", "alice@example.org", "--role", "editor")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [f"organization: {org['id']}", f"user: {user['id']}", "role: editor"]
    members = accounts.get_organization(written, "ville-de-lyon").members
    assert [(member.user.id, member.role) for member in members] == [(user["id"], "editor")]


def test_org_add_member_by_ids_changes_the_role(cli: Cli, written: Catalog) -> None:
    user = create_user(cli)
    org = cli("org", "create", "--name", "Ville de Lyon", "--json").json()
    assert cli("org", "add-member", org["id"], user["id"], "--role", "editor").code == 0
    assert cli("org", "add-member", org["id"], user["slug"], "--role", "admin").code == 0
    members = accounts.get_organization(written, org["id"]).members
    assert [(member.user.id, member.role) for member in members] == [(user["id"], "admin")]


def test_token_create_issues_another_working_key(cli: Cli, written: Catalog) -> None:
    user = create_user(cli)
    for ident in ("alice@example.org", user["id"], user["slug"]):
        run = cli("token", "create", ident, "--json")
        assert run.code == 0, run.err
        token = run.json()
        assert token["user"] == user["id"]
        assert token["api_key"] != user["api_key"]
        actor = accounts.authenticate(written, token["api_key"])
        assert actor.user is not None
        assert actor.user.id == user["id"]
    assert accounts.authenticate(written, user["api_key"]).user is not None


def test_token_for_an_unknown_user_fails_with_a_message(cli: Cli) -> None:
    cli("db", "upgrade")
    run = cli("token", "create", "nobody@example.org", "--json")
    assert run.code == 2  # a value that names nothing: refused, nothing done (README)
    assert run.out == ""
    assert run.err == "error: Unknown user nobody@example.org\n"


def test_add_member_to_an_unknown_organization_fails(cli: Cli) -> None:
    create_user(cli)
    run = cli("org", "add-member", "no-such-org", "alice@example.org", "--role", "admin")
    assert run.code == 2
    assert run.err == "error: Unknown organization no-such-org\n"


@pytest.mark.parametrize("email", ["alice@example.org", " alice@example.org ", "ALICE@example.org"])
def test_duplicate_email_fails_with_a_message(cli: Cli, email: str) -> None:
    """Spaces around a pasted address made a second account of the same address."""
    create_user(cli)
    run = cli("user", "create", "--email", email, "--first-name", "A", "--last-name", "B")
    assert run.code == 2  # a value refused: nothing was done
    assert run.out == ""
    assert run.err.startswith("error: ")
    assert "This email is already registered." in run.err
    assert cli("token", "create", " alice@example.org", "--json").code == 0


def test_a_user_needs_both_names_and_an_address(cli: Cli) -> None:
    """An empty first name was accepted (the account named by its last name alone everywhere)."""
    run = cli("user", "create", "--email", "nobody", "--first-name", " ", "--last-name", "")
    assert (run.code, run.out) == (2, "")  # bad values: bad usage, as the README says
    assert run.err == (
        "error: email: Invalid email address.; first_name: This field is required.;"
        " last_name: This field is required.\n"
    )
    assert cli("user", "list", "--json").json() == []


def test_a_key_lives_at_most_a_hundred_years(cli: Cli) -> None:
    create_user(cli)
    with pytest.raises(SystemExit) as exited:
        cli("token", "create", "alice@example.org", "--days", "99999999999")
    assert exited.value.code == 2
    assert cli("token", "create", "alice@example.org", "--days", "36500", "--json").code == 0


def test_fixtures_that_are_no_documents_are_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    cli("db", "upgrade")
    for name, content in (("list.json", '[1, 2, "x", null]'), ("fixtures.json", '{"datasets": [1]}')):
        (tmp_path / name).write_text(content)
        run = cli("load-fixtures", str(tmp_path / name))
        assert run.code == 2, name
        assert run.err.startswith("error: "), run.err
        assert "Traceback" not in run.err


def test_unknown_role_is_a_usage_error(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("org", "add-member", "org", "alice@example.org", "--role", "owner")
    assert exited.value.code == 2


def test_load_fixtures_prints_progress_and_loads_15_datasets(cli: Cli, written: Catalog) -> None:
    run = cli("load-fixtures", str(FIXTURES))
    assert run.code == 0
    assert run.out == "Loaded 15 datasets\n"
    assert "imported 15/15 datasets\n" in run.err
    assert count_datasets(written) == 15


def test_load_fixtures_twice_replaces_the_datasets(cli: Cli, written: Catalog) -> None:
    assert cli("load-fixtures", str(FIXTURES)).code == 0
    assert cli("load-fixtures", str(FIXTURES)).code == 0
    assert count_datasets(written) == 15


def test_load_demo_if_empty_loads_then_skips(cli: Cli, written: Catalog) -> None:
    demo = json.loads((files("opencat") / "demo" / "datasets.json").read_text("utf-8"))
    expected = len(demo["datasets"] if isinstance(demo, dict) else demo)
    first = cli("load-demo", "--if-empty")
    assert first.code == 0
    assert first.out == f"Loaded {expected} demo datasets\n"
    assert f"imported {expected}/{expected} datasets" in first.err
    assert count_datasets(written) == expected

    second = cli("load-demo", "--if-empty")
    assert second.code == 0
    assert second.out == "The catalog already has datasets: demo not loaded\n"
    assert count_datasets(written) == expected


def test_load_demo_if_empty_skips_a_catalog_with_fixtures(cli: Cli, written: Catalog) -> None:
    cli("load-fixtures", str(FIXTURES))
    run = cli("load-demo", "--if-empty")
    assert run.out == "The catalog already has datasets: demo not loaded\n"
    assert count_datasets(written) == 15


@pytest.mark.fresh_database
def test_database_url_variable_wins_over_the_data_dir(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("OPENCAT_DATABASE_URL", f"sqlite:///{elsewhere}")
    assert cli("db", "upgrade").code == 0
    assert elsewhere.is_file()
    assert not (tmp_path / "opencat.db").exists()


def test_token_revoke_stops_every_key_of_the_user(cli: Cli, written: Catalog) -> None:
    user = create_user(cli)
    second = cli("token", "create", user["id"], "--json").json()["api_key"]
    run = cli("token", "revoke", "--all", "alice@example.org")
    assert (run.code, run.out) == (0, "Revoked 2 API key(s)\n")
    for key in (user["api_key"], second):
        with pytest.raises(InvalidCredentials) as refused:
            accounts.authenticate(written, key)
        assert refused.value.reason is Reason.TOKEN_REVOKED


def test_export_writes_the_catalog_as_rdf_and_json_lines(cli: Cli, data_dir: Path) -> None:
    assert cli("load-fixtures", str(FIXTURES)).code == 0
    target = data_dir / "catalog.nt"
    run = cli("export", "dcat", "--format", "nt", "--output", str(target))
    assert (run.code, run.err.splitlines()[-1]) == (0, "Exported 15 datasets")
    assert target.read_bytes().count(b"<http://www.w3.org/ns/dcat#Dataset>") == 15
    lines = data_dir / "catalog.jsonl"
    assert cli("export", "jsonl", "--output", str(lines)).code == 0
    assert len(lines.read_bytes().splitlines()) == 15
    # Loaded back as it is (it was "error: Extra data: line 2 column 1", exit 1).
    loaded = cli("load-fixtures", str(lines))
    assert (loaded.code, loaded.out) == (0, "Loaded 15 datasets\n"), loaded
    broken = data_dir / "broken.json"
    broken.write_text('[{"id": 1},\n')
    refused = cli("load-fixtures", str(broken))
    assert refused.code != 0
    assert "is not JSON (Expecting value, line 2, column 1)" in refused.err, refused


def test_an_export_that_fails_leaves_the_earlier_one_whole(
    cli: Cli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It wrote in place: a full disk left truncated Turtle where a good export had been."""
    from opencat.catalog import rdf

    assert cli("load-fixtures", str(FIXTURES)).code == 0
    target = data_dir / "catalog.ttl"
    assert cli("export", "dcat", "--format", "ttl", "--output", str(target)).code == 0
    earlier = target.read_bytes()

    def full_disk(_catalog: object, _urls: object, out: Any, *_rest: object, **_named: object) -> int:
        out.write(b"@prefix dcat: <http")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rdf, "export_catalog", full_disk)
    run = cli("export", "dcat", "--format", "ttl", "--output", str(target))
    assert run.code == 1
    assert "No space left on device" in run.err
    assert target.read_bytes() == earlier
    assert sorted(path.name for path in data_dir.iterdir() if "catalog" in path.name) == ["catalog.ttl"]


def test_an_export_refuses_what_it_would_ignore_or_misplace(cli: Cli, data_dir: Path) -> None:
    """``export jsonl --format ttl`` ignored ``--format`` without a word; ``--output`` naming a
    directory wrote the whole export beside it (``.dir.partial``) before failing."""
    ignored = cli("export", "jsonl", "--format", "ttl")
    assert (ignored.code, ignored.out) == (2, "")
    assert "--format" in ignored.err
    folder = data_dir / "exports"
    folder.mkdir()
    misplaced = cli("export", "dcat", "--output", str(folder))
    assert (misplaced.code, misplaced.err) == (
        2,
        f"error: --output must name a file, {folder} is a directory\n",
    )
    assert not any(path.name.endswith(".partial") for path in data_dir.iterdir())


def test_serve_on_a_host_that_is_no_ip_address_is_bad_usage(cli: Cli) -> None:
    for host in ("999.1.1.1", "nosuchhost.invalid", ""):
        run = cli("serve", "--host", host, "--port", "1")
        assert (run.code, run.err) == (2, f"error: --host must be an IP address, got {host!r}\n")


def test_a_data_dir_that_cannot_be_used_is_bad_settings(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exited 1 with a bare errno (``[Errno 17] File exists``) naming no variable."""
    a_file = tmp_path / "f.csv"
    a_file.write_text("a,b\n")
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(a_file))
    monkeypatch.delenv("OPENCAT_DATABASE_URL", raising=False)
    run = cli("load-demo")  # a command that may make a new catalog
    assert run.code == 2
    assert run.err.startswith(f"error: OPENCAT_DATA_DIR: cannot use {a_file}: ")


def _serve_refused(**variables: str) -> "subprocess.CompletedProcess[str]":
    """``opencat serve`` run as a process with these settings, which it refuses at start."""
    import subprocess
    import sys

    from tests.ports import free_port

    env = {**os.environ, **variables}
    env.pop("OPENCAT_DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "opencat", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    return run


def test_serve_on_a_data_dir_that_cannot_be_used_is_bad_settings(tmp_path: Path) -> None:
    """``serve`` said ``error: [Errno 20] Not a directory: '…/metrics'`` and exited 1: its metrics'
    directory is made before the catalog is opened."""
    a_file = tmp_path / "f.csv"
    a_file.write_text("a,b\n")
    run = _serve_refused(OPENCAT_DATA_DIR=str(a_file / "sub"))
    assert f"error: OPENCAT_DATA_DIR: cannot use {a_file / 'sub'}: " in run.stderr


def test_serve_on_a_metrics_directory_that_cannot_be_used_names_it(tmp_path: Path) -> None:
    """The metrics' directory is no longer under the data directory by default: its failure is
    not the data directory's."""
    a_file = tmp_path / "f.csv"
    a_file.write_text("a,b\n")
    run = _serve_refused(OPENCAT_DATA_DIR=str(tmp_path / "data"), PROMETHEUS_MULTIPROC_DIR=str(a_file))
    assert f"error: PROMETHEUS_MULTIPROC_DIR: cannot use {a_file}: " in run.stderr


def test_a_database_that_cannot_be_used_leaves_no_files_or_index_behind(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``db upgrade`` on a database that could not be opened said so in one line, and left the
    file store's spool and a search index in the data directory anyway."""
    data = tmp_path / "data"
    monkeypatch.setenv("OPENCAT_DATA_DIR", str(data))
    monkeypatch.setenv("OPENCAT_DATABASE_URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    run = cli("db", "upgrade")
    assert run.code == 2
    assert run.err.startswith("error: OPENCAT_DATABASE_URL: cannot use ")
    assert list(data.iterdir()) == []


def test_load_fixtures_says_what_it_did_not_find(cli: Cli, tmp_path: Path) -> None:
    """A path that does not exist was Python's ``[Errno 2]`` (exit 1); a folder without datasets
    (one level too high, a folder of organizations) said "Loaded 0 datasets" and no more."""
    cli("db", "upgrade")
    missing = cli("load-fixtures", str(tmp_path / "nowhere"))
    assert (missing.code, missing.err) == (2, f"error: path: {tmp_path / 'nowhere'} does not exist\n")
    (tmp_path / "empty").mkdir()
    empty = cli("load-fixtures", str(tmp_path / "empty"))
    assert empty.code == 0
    assert empty.out.startswith(f"Loaded 0 datasets: {tmp_path / 'empty'} holds no dataset")
