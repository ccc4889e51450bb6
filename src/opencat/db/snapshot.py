"""A consistent copy of a SQLite database while it serves (SQLite's online backup API)."""

import sqlite3
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

from opencat.db.tables import community_resources, datasets, resources

P = ParamSpec("P")
R = TypeVar("R")


class DatabaseFileError(OSError):
    """A SQLite file that could not be read or written (the driver's error, worded): callers
    outside ``opencat.db`` handle it as the file error it is, without knowing the driver."""


def _file_errors(function: Callable[P, R]) -> Callable[P, R]:
    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except sqlite3.Error as error:
            raise DatabaseFileError(str(error)) from error

    return call


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@_file_errors
def copy_sqlite(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` page by page; writers go on, the copy is one instant of it."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
            # One file, as a copy should be: the source's WAL mode would leave -wal and -shm files
            # beside it once read (opencat sets WAL again on the database it serves).
            writer.execute("PRAGMA journal_mode=DELETE")
        finally:
            writer.close()
    finally:
        reader.close()


@_file_errors
def stored_file_keys(path: Path) -> set[str]:
    """The keys of every file the catalog's resources and community resources name, read from
    the SQLite file at ``path`` without writing to it (a backup is read, never changed);
    ``DatabaseFileError`` when it is not a SQLite database."""
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        keys: set[str] = set()
        for table in (resources, community_resources):
            query = f"SELECT {table.c.fs_filename.name} FROM {table.name} WHERE {table.c.fs_filename.name} IS NOT NULL"
            keys.update(str(key) for (key,) in reader.execute(query))
        return keys
    finally:
        reader.close()


@_file_errors
def revision_and_datasets(path: Path) -> tuple[str | None, int]:
    """The schema revision and the number of datasets of the SQLite file at ``path``, read
    without writing to it or beside it (no -wal or -shm left next to a copy)."""
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {name for (name,) in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revisions = (
            list(reader.execute("SELECT version_num FROM alembic_version"))
            if "alembic_version" in tables
            else []
        )
        (count,) = reader.execute(f"SELECT count(*) FROM {datasets.name}").fetchone()
        return (str(revisions[0][0]) if len(revisions) == 1 else None), int(count)
    finally:
        reader.close()
