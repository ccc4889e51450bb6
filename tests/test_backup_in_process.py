"""backup and restore called in-process (tests/system/test_backup.py runs them as commands beside a
real server): what each copies, and each refusal."""

import json
from pathlib import Path

import pytest

from opencat.catalog import datasets
from opencat.commands import backup
from opencat.config import Settings, SettingsError
from opencat.db.migrate import newest_revision, upgrade
from opencat.db.snapshot import DatabaseFileError, copy_sqlite, revision_and_datasets, stored_file_keys
from opencat.domain.accounts import ANONYMOUS
from opencat.wiring import build_catalog
from tests.factories import make_dataset, make_user


def _settings(root: Path) -> Settings:
    return Settings(data_dir=root, database_url=f"sqlite:///{root / 'opencat.db'}")


def test_a_backup_restored_elsewhere_holds_the_datasets_files_and_key(tmp_path: Path) -> None:
    source = _settings(tmp_path / "source")
    catalog = build_catalog(source)
    try:
        upgrade(catalog.db)
        made = make_dataset(catalog, make_user(catalog), title="Horaires sauvegardés")
        stored = tmp_path / "source" / "files" / "some-dataset" / "data.csv"
        stored.parent.mkdir(parents=True)
        stored.write_bytes(b"a,b\n1,2\n")
        (tmp_path / "source" / "secret_key").write_text("s" * 64)
        manifest = backup.back_up(catalog, source, tmp_path / "backup")
    finally:
        catalog.db.dispose()
    assert (manifest["datasets"], manifest["files"], manifest["secret_key"]) == (1, 1, True)
    assert manifest["missing_files"] == []
    assert manifest["schema_revision"] == newest_revision()
    assert json.loads((tmp_path / "backup" / "manifest.json").read_text()) == manifest
    assert sorted(path.name for path in (tmp_path / "backup").iterdir()) == [
        "files",
        "manifest.json",
        "opencat.db",
        "secret_key",
    ]  # no -wal or -shm left beside the copy
    # The owner's only: the database holds password and key hashes, e-mail addresses, sessions.
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "backup" / "opencat.db").stat().st_mode & 0o777 == 0o600

    # A file no resource names, removed from the backup: the restore counts what it copied.
    stray = tmp_path / "backup" / "files" / "stray.csv"
    stray.write_bytes(b"x")
    target = _settings(tmp_path / "target")
    restored_manifest = backup.restore(target, tmp_path / "backup")
    assert (restored_manifest["datasets"], restored_manifest["files"]) == (1, 2)
    stray.unlink()
    (tmp_path / "target" / "files" / "stray.csv").unlink()
    assert (tmp_path / "target" / "files" / "some-dataset" / "data.csv").read_bytes() == b"a,b\n1,2\n"
    assert (tmp_path / "target" / "secret_key").read_text() == "s" * 64
    restored = build_catalog(target)
    try:
        found = datasets.get_dataset(restored, ANONYMOUS, made.dataset.id)
        assert found.dataset.title == "Horaires sauvegardés"
    finally:
        restored.db.dispose()

    with pytest.raises(SettingsError, match="already exists"):
        backup.restore(target, tmp_path / "backup")
    again = build_catalog(source)
    try:
        with pytest.raises(SettingsError, match="is not empty"):
            backup.back_up(again, source, tmp_path / "backup")
        (tmp_path / "a-file").write_text("x")  # it was Python's "Not a directory", exit 1
        for under in (tmp_path / "a-file", tmp_path / "a-file" / "sub"):
            with pytest.raises(SettingsError, match="is or lies under a file: back up into a new or empty"):
                backup.back_up(again, source, under)
    finally:
        again.db.dispose()


def test_an_empty_folder_made_for_the_backup_keeps_its_mode(tmp_path: Path) -> None:
    """Only a folder the backup makes is made the owner's only: one the operator prepared (a
    backup agent's group may read it) is left as they made it, and owned by another user it
    failed the backup (``chmod`` refused)."""
    source = _settings(tmp_path / "source")
    catalog = build_catalog(source)
    try:
        upgrade(catalog.db)
        prepared = tmp_path / "prepared"
        prepared.mkdir()
        prepared.chmod(0o750)
        backup.back_up(catalog, source, prepared)
    finally:
        catalog.db.dispose()
    assert prepared.stat().st_mode & 0o777 == 0o750
    assert (prepared / "opencat.db").stat().st_mode & 0o777 == 0o600


def test_what_backup_refuses(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="pg_dump"):
        backup.refuse_unsupported(Settings(data_dir=tmp_path, database_url="postgresql://u@h/db"))
    with pytest.raises(SettingsError, match="local files only"):
        backup.refuse_unsupported(_settings(tmp_path).model_copy(update={"storage_url": "s3://b/p"}))
    backup.refuse_unsupported(_settings(tmp_path))  # SQLite and local files: accepted
    (tmp_path / "not-a-backup").mkdir()
    with pytest.raises(SettingsError, match="not a backup of opencat"):
        backup.restore(_settings(tmp_path / "t"), tmp_path / "not-a-backup")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text(json.dumps({"format": "someone else's"}))
    with pytest.raises(SettingsError, match="is not one this version reads"):
        backup.restore(_settings(tmp_path / "t"), tmp_path / "other")


def test_restore_checks_the_backup_before_writing_anything(tmp_path: Path) -> None:
    """A damaged database was copied half (a traceback and an empty file left); a backup that
    lacks a file its catalog names was restored, and reported whole."""
    import shutil
    import sqlite3

    source = _settings(tmp_path / "source")
    catalog = build_catalog(source)
    try:
        upgrade(catalog.db)
        make_dataset(catalog, make_user(catalog), resources=[{"title": "r", "url": "https://example.org/r"}])
        backup.back_up(catalog, source, tmp_path / "whole")
    finally:
        catalog.db.dispose()
    with sqlite3.connect(tmp_path / "whole" / "opencat.db") as conn:  # the resource's file, hosted
        conn.execute("UPDATE resources SET fs_filename = 'some-dataset/data.csv'")
    (tmp_path / "whole" / "files" / "some-dataset").mkdir(parents=True)
    (tmp_path / "whole" / "files" / "some-dataset" / "data.csv").write_bytes(b"a\n")

    lacking = tmp_path / "lacking"
    shutil.copytree(tmp_path / "whole", lacking)
    (lacking / "files" / "some-dataset" / "data.csv").unlink()
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "whole", damaged)
    (damaged / "opencat.db").write_bytes(b"garbage" * 1000)
    for bad, refusal in ((lacking, "lacks 1 file"), (damaged, "not a readable SQLite database")):
        target = tmp_path / f"into-{bad.name}"
        with pytest.raises(OSError, match=refusal):
            backup.restore(_settings(target), bad)
        assert not target.exists() or list(target.iterdir()) == [], bad
    newer = tmp_path / "newer"  # made by a newer opencat: refused before the copy, so a retry can follow
    shutil.copytree(tmp_path / "whole", newer)
    with sqlite3.connect(newer / "opencat.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SettingsError, match="the backup's schema is at 9999, newer than this opencat knows"):
        backup.restore(_settings(tmp_path / "into-newer"), newer)
    assert not (tmp_path / "into-newer").exists() or list((tmp_path / "into-newer").iterdir()) == []
    listed = json.loads((lacking / "manifest.json").read_text())
    listed["missing_files"] = ["some-dataset/data.csv"]  # known missing when backed up: restored without it
    (lacking / "manifest.json").write_text(json.dumps(listed))
    assert backup.restore(_settings(tmp_path / "into-listed"), lacking)["datasets"] == 1
    assert backup.restore(_settings(tmp_path / "into-whole"), tmp_path / "whole")["datasets"] == 1
    assert (tmp_path / "into-whole" / "files" / "some-dataset" / "data.csv").read_bytes() == b"a\n"


def test_a_backup_that_cannot_be_written_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk gave SQLite's traceback and left a partial database (and a journal) behind."""
    source = _settings(tmp_path / "source")
    catalog = build_catalog(source)
    upgrade(catalog.db)

    def disk_full(_source: Path, target: Path) -> None:
        target.write_bytes(b"SQLite format 3\x00 and then nothing")
        (target.parent / "opencat.db-journal").write_bytes(b"")
        raise DatabaseFileError("database or disk is full")  # what copy_sqlite makes of SQLite's

    monkeypatch.setattr(backup, "copy_sqlite", disk_full)
    try:
        with pytest.raises(OSError, match=r"could not be written in .*: database or disk is full"):
            backup.back_up(catalog, source, tmp_path / "backup")
    finally:
        catalog.db.dispose()
    assert list((tmp_path / "backup").iterdir()) == []


def test_sqlite_errors_reach_the_commands_as_file_errors(tmp_path: Path) -> None:
    """Only ``opencat.db`` knows the driver: a file that is no database is a ``DatabaseFileError``
    (an ``OSError``) wherever the backup reads or copies it."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all, " * 100)
    for read in (stored_file_keys, revision_and_datasets):
        with pytest.raises(DatabaseFileError, match="not a database"):
            read(junk)
    with pytest.raises(DatabaseFileError, match="not a database"):
        copy_sqlite(junk, tmp_path / "copy.db")
