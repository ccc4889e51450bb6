"""``opencat backup DIR`` and ``opencat restore DIR``: a SQLite node's catalog, copied whole.

The database is copied first, with SQLite's online backup API (one consistent instant, while the
server keeps writing); then the local files. A file uploaded after that instant is copied too
(an orphan, harmless); a file that instant names is not removed before the copy ends (the store's
removals are held: ``files/local.holding_removals``), so none is missing from the copy.
The search index is not copied: restore rebuilds it from the database.
"""

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opencat import __version__
from opencat.catalog.context import Catalog
from opencat.commands.progress import Progress
from opencat.config import Settings, SettingsError
from opencat.db.migrate import is_newer, newest_revision
from opencat.db.snapshot import (
    DatabaseFileError,
    copy_sqlite,
    revision_and_datasets,
    sqlite_path,
    stored_file_keys,
)
from opencat.files.local import BACKUP_LOCK, holding_removals

MANIFEST = "manifest.json"
DATABASE = "opencat.db"
FILES = "files"
SECRET_KEY = "secret_key"  # app.secret_key's file in the data directory
FORMAT = 1


def refuse_unsupported(settings: Settings) -> None:
    """Only SQLite and local files: other deployments have their own, better tools."""
    if sqlite_path(settings.database_url) is None:
        raise SettingsError(
            "backup and restore handle a SQLite database only: back up PostgreSQL with pg_dump"
            " (see docs/deployment.md)"
        )
    if settings.storage_url is not None:
        raise SettingsError(
            "backup and restore handle local files only: protect an S3 bucket with its versioning"
            " or replication (see docs/deployment.md)"
        )


def refuse_missing_database(settings: Settings) -> None:
    """A backup (or a list, a reindex, an export) of a data directory with no database is a
    mistyped setting: it would make an empty catalog there and back it up as a success, night
    after night."""
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        raise SettingsError(
            f"no database at {path}: check OPENCAT_DATA_DIR (or OPENCAT_DATABASE_URL);"
            " 'opencat db upgrade' makes a new catalog"
        )


def _files_root(settings: Settings) -> Path:
    return (settings.data_dir / "files").resolve()


def _copy_tree(source: Path, target: Path, progress: Progress) -> tuple[int, int]:
    """Copy the files under ``source`` (upload spools excepted); files deleted meanwhile are skipped."""
    count = size = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts[0] in (".spool", BACKUP_LOCK) or not path.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:  # deleted since the listing: its resource is gone too
            continue
        count += 1
        size += destination.stat().st_size
        progress(count)
    progress.finish()
    return count, size


def back_up(catalog: Catalog, settings: Settings, directory: Path) -> dict[str, Any]:
    source = sqlite_path(settings.database_url)
    assert source is not None
    if (directory.exists() and not directory.is_dir()) or any(p.is_file() for p in directory.parents):
        raise SettingsError(f"{directory} is or lies under a file: back up into a new or empty directory")
    if directory.exists() and any(directory.iterdir()):
        # A refused argument, nothing done: bad usage (exit 2), as the README's rule says.
        raise SettingsError(f"{directory} is not empty: back up into a new or empty directory")
    if not directory.exists():
        directory.mkdir(parents=True)
        # As sensitive as the data directory (password and key hashes, e-mail addresses,
        # sessions): the owner's only, whatever the umask or the parent's mode. An empty folder
        # the operator made keeps the mode they gave it (a backup agent's group, say).
        directory.chmod(0o700)
    try:
        return _back_up_into(settings, source, directory)
    except OSError as error:  # DatabaseFileError too
        # A backup is whole or absent: a full disk left a partial database and files, with a
        # traceback for SQLite's own error.
        for entry in directory.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        raise OSError(f"the backup could not be written in {directory}: {error}") from None


def _back_up_into(settings: Settings, source: Path, directory: Path) -> dict[str, Any]:
    (directory / DATABASE).touch(mode=0o600)  # made the owner's before a byte is copied into it
    root = _files_root(settings)
    # From before the snapshot to the end of the copy, no server removes a file the snapshot
    # may name (a resource deleted meanwhile: its file stays for the sweep).
    with holding_removals(root):
        copy_sqlite(source, directory / DATABASE)
        files, size = _copy_tree(root, directory / FILES, Progress("copied", "files"))
    revision, datasets = revision_and_datasets(directory / DATABASE)
    wanted = stored_file_keys(directory / DATABASE)
    secret = _copy_secret_key(settings.data_dir / SECRET_KEY, directory / SECRET_KEY)
    missing = sorted(key for key in wanted if not (directory / FILES / key).is_file())
    manifest = {
        "format": FORMAT,
        "opencat_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_revision": revision,
        "database": DATABASE,
        "datasets": datasets,
        "files": files,
        "files_bytes": size,
        "missing_files": missing,
        "secret_key": secret,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(settings: Settings, directory: Path) -> dict[str, Any]:
    """Copy a backup into this (new) data directory; the caller migrates and reindexes."""
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        raise SettingsError(f"{directory} has no readable {MANIFEST}: not a backup of opencat") from None
    if manifest.get("format") != FORMAT:
        raise SettingsError(
            f"{directory}: backup format {manifest.get('format')!r} is not one this version reads"
        )
    target = sqlite_path(settings.database_url)
    assert target is not None
    if target.exists() and target.stat().st_size > 0:
        raise SettingsError(
            f"{target} already exists: restore into a new data directory (OPENCAT_DATA_DIR), or remove it first"
        )
    _check_backup(directory, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Copied beside, then renamed into place: a copy that fails leaves no database behind.
    draft = target.with_name(f".{target.name}.partial")
    draft.unlink(missing_ok=True)
    try:
        copy_sqlite(directory / DATABASE, draft)
    except DatabaseFileError as error:
        draft.unlink(missing_ok=True)
        raise OSError(f"{directory / DATABASE} could not be copied: {error}") from None
    draft.replace(target)
    copied, _ = _copy_tree(directory / FILES, _files_root(settings), Progress("restored", "files"))
    if not (settings.data_dir / SECRET_KEY).exists():
        _copy_secret_key(directory / SECRET_KEY, settings.data_dir / SECRET_KEY)
    # What was restored: the files copied, which the backup's own count may exceed or miss (a
    # file removed from the backup that no resource named).
    return {**manifest, "files": copied}


def _check_backup(directory: Path, manifest: dict[str, Any]) -> None:
    """Before anything is written: the backup's database is a whole SQLite database, and every
    file its catalog names is in the backup (but those its manifest says were already missing)."""
    source = directory / DATABASE
    if not source.is_file():
        raise OSError(f"{source} is missing: the backup is incomplete")
    try:
        wanted = stored_file_keys(source)
    except DatabaseFileError as error:
        raise OSError(f"{source} is not a readable SQLite database: {error}") from None
    revision, _ = revision_and_datasets(source)
    newest = newest_revision()
    if is_newer(revision, newest):  # refused before the copy: a retry found it in the way
        raise SettingsError(
            f"the backup's schema is at {revision}, newer than this opencat knows ({newest}): "
            "restore it with the opencat that made it, or a newer one"
        )
    known_missing = set(manifest.get("missing_files") or ())
    lacking = sorted(key for key in wanted - known_missing if not (directory / FILES / key).is_file())
    if lacking:
        shown = ", ".join(lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
        raise OSError(f"{directory / FILES} lacks {len(lacking)} file(s) the catalog names: {shown}")


def _copy_secret_key(source: Path, target: Path) -> bool:
    """The pages' signing key kept in the data directory (when OPENCAT_SECRET_KEY is unset):
    without it a restored node would sign every publisher out. Readable by the owner only."""
    if not source.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    draft = target.with_name(f".{target.name}.partial")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as kept:
        kept.write(source.read_bytes())
    draft.replace(target)
    return True
