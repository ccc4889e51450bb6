"""backup and restore called in-process (tests/system/test_backup.py runs them as commands beside a
real server): what each copies, and each refusal."""

import json
from pathlib import Path

import pytest

from opencat.catalog import datasets
from opencat.commands import backup
from opencat.config import Settings, SettingsError
from opencat.db.migrate import newest_revision, upgrade
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

    target = _settings(tmp_path / "target")
    assert backup.restore(target, tmp_path / "backup")["datasets"] == 1
    assert (tmp_path / "target" / "files" / "some-dataset" / "data.csv").read_bytes() == b"a,b\n1,2\n"
    assert (tmp_path / "target" / "secret_key").read_text() == "s" * 64
    restored = build_catalog(target)
    try:
        found = datasets.get_dataset(restored, ANONYMOUS, made.dataset.id)
        assert found.dataset.title == "Horaires sauvegardés"
    finally:
        restored.db.dispose()

    with pytest.raises(OSError, match="already exists"):
        backup.restore(target, tmp_path / "backup")
    again = build_catalog(source)
    try:
        with pytest.raises(OSError, match="is not empty"):
            backup.back_up(again, source, tmp_path / "backup")
    finally:
        again.db.dispose()


def test_what_backup_refuses(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="pg_dump"):
        backup.refuse_unsupported(Settings(data_dir=tmp_path, database_url="postgresql://u@h/db"))
    with pytest.raises(SettingsError, match="local files only"):
        backup.refuse_unsupported(_settings(tmp_path).model_copy(update={"storage_url": "s3://b/p"}))
    backup.refuse_unsupported(_settings(tmp_path))  # SQLite and local files: accepted
    (tmp_path / "not-a-backup").mkdir()
    with pytest.raises(OSError, match="not a backup of opencat"):
        backup.restore(_settings(tmp_path / "t"), tmp_path / "not-a-backup")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text(json.dumps({"format": "someone else's"}))
    with pytest.raises(OSError, match="is not one this version reads"):
        backup.restore(_settings(tmp_path / "t"), tmp_path / "other")
