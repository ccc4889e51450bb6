"""``opencat doctor``: each thing a working node needs, checked, with how to fix what fails."""

import secrets
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from opencat.catalog.context import Catalog
from opencat.catalog.indexing import index_state
from opencat.config import Settings, SettingsError, misspelled
from opencat.db.checks import check_url, masked, ping
from opencat.db.migrate import is_newer, revisions
from opencat.db.snapshot import sqlite_path
from opencat.domain.errors import Unavailable
from opencat.search.schema import VERSION as INDEX_VERSION
from opencat.wiring import build_catalog


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _settings(environ: Mapping[str, str]) -> tuple[Check, Settings | None]:
    try:
        settings = Settings.from_env(environ)
    except SettingsError as error:
        return Check("settings", False, str(error), "correct the variable (docs/configuration.md)"), None
    return Check("settings", True, f"data directory {settings.data_dir.resolve()}"), settings


def _signing_key(settings: Settings) -> Check:
    """The pages' signing key kept in the data directory (when OPENCAT_SECRET_KEY is unset)."""
    from opencat.app import kept_secret_key  # the pages' stack: the other commands need none of it

    path = settings.data_dir / "secret_key"
    try:
        found = kept_secret_key(path)
    except OSError as error:
        return Check(
            "signing key", False, f"{path}: {error.strerror or error}", "let this user read it, or remove it"
        )
    except SettingsError as error:
        return Check("signing key", False, str(error), "remove it: opencat serve makes a new one")
    return Check("signing key", True, f"kept in {path}" if found else "none yet: opencat serve makes one")


def _database(settings: Settings, catalog: Catalog) -> Check:
    try:
        check_url(settings.database_url)
        ping(catalog.db)
    except SettingsError as error:
        return Check(
            "database",
            False,
            str(error),
            "start the database, or correct OPENCAT_DATABASE_URL or the database setting the error names",
        )
    return Check("database", True, f"{masked(settings.database_url)} answers")


def _migrations(catalog: Catalog) -> Check:
    current, head = revisions(catalog.db)
    if current == head:
        return Check("migrations", True, f"schema at {head}")
    if is_newer(current, head):
        return Check(
            "migrations", False, f"schema at {current}, newer than this code's {head}", "run a newer opencat"
        )
    return Check(
        "migrations",
        False,
        f"schema at {current or 'nothing'}, code expects {head}",
        "run opencat db upgrade",
    )


PROBE = b"opencat doctor\n"
PUBLIC_READ_SECONDS = 5.0


def _files(settings: Settings, catalog: Catalog) -> Check:
    key = f"doctor/probe-{secrets.token_hex(8)}.txt"
    unread = None
    try:
        # Beside the files: a local store moves the probe in, which works within one filesystem.
        with tempfile.TemporaryDirectory(dir=settings.data_dir) as folder:
            probe = Path(folder) / "probe.txt"
            probe.write_bytes(PROBE)
            catalog.files.put(key, probe, "text/plain")
        found = catalog.files.exists(key)
        # A bucket's files are downloaded from its public URL, not through opencat (which serves
        # a local store's itself, and is not running here).
        if found and settings.storage_url is not None:
            unread = _unread_at(catalog.files.url(key))
        catalog.files.delete(key)
    except Exception as error:  # any store failure is the finding: report it, do not crash
        # The store's own failure (a bucket missing, an endpoint unreachable) is the cause of
        # its "unavailable": say it, as /readyz does.
        cause = f" ({error.__cause__})" if error.__cause__ is not None else ""
        return Check(
            "file store",
            False,
            f"{type(error).__name__}: {error}{cause}",
            "check the data directory's permissions or the bucket's settings and credentials",
        )
    if not found:
        return Check("file store", False, "a file written could not be found again", "check the file store")
    if unread is not None:
        return Check(
            "file store",
            False,
            f"a file written is not downloadable at its public URL ({unread}), where resources link",
            "give the bucket's objects public read (docs/reliability.md), or set OPENCAT_S3_PUBLIC_URL "
            "to where they are served",
        )
    return Check("file store", True, f"writable ({catalog.files.public_url})")


def _unread_at(url: str) -> str | None:
    """Why ``url`` does not give the probe's bytes to an anonymous client, or None if it does."""
    try:
        with urllib.request.urlopen(url, timeout=PUBLIC_READ_SECONDS) as answer:
            body = answer.read(len(PROBE) + 1)
    except urllib.error.HTTPError as error:
        return f"{url}: HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, unresolvable, timed out, not a URL
        return f"{url}: {getattr(error, 'reason', error)}"
    return None if body == PROBE else f"{url}: other bytes than the file's"


def _index(catalog: Catalog) -> Check:
    other = catalog.search.other_version()
    if other is not None:  # said without opening it: that would replace it under its servers
        return Check(
            "search index",
            False,
            f"built by another release (index version {other}, this one reads {INDEX_VERSION})",
            "start this release's opencat serve (it rebuilds it), or run opencat reindex",
        )
    try:
        applied, head, documents = index_state(catalog)
    except Unavailable as error:  # its folder refuses writes, which opening it needs
        fix = f"let this user write {catalog.search.directory} (docs/reliability.md)"
        return Check("search index", False, f"cannot be opened ({error.__cause__ or error})", fix)
    if applied < 0 and head <= 0:  # a new catalog: nothing to index yet (a deploy script's first run)
        return Check("search index", True, "none yet: opencat serve builds it")
    if applied < 0:
        return Check("search index", False, "absent", "run opencat reindex (opencat serve also builds it)")
    if applied > head:
        return Check(
            "search index",
            False,
            f"ahead of the database: at change {applied}, where its log ends at {head} (a restored database?)",
            "start opencat serve again (it rebuilds it), or run opencat reindex",
        )
    if applied < head:
        return Check(
            "search index",
            False,
            f"behind: at change {applied} of {head}",
            "run opencat reindex, or serve: requests catch it up",
        )
    return Check("search index", True, f"{documents} datasets, caught up (change {head})")


def _missing_database(settings: Settings) -> Check | None:
    """A SQLite database that is not there: said, not made (a check writes nothing)."""
    try:
        check_url(settings.database_url)
    except SettingsError:  # a URL that cannot serve: the database check says why
        return None
    path = sqlite_path(settings.database_url)
    if path is None or path.is_file():
        return None
    fix = "correct OPENCAT_DATA_DIR (or OPENCAT_DATABASE_URL), or run opencat db upgrade to create an empty catalog"
    return Check("database", False, f"no database at {path}", fix)


def run(environ: Mapping[str, str]) -> int:
    """Print each check as OK or FAIL; exit 1 if any fails."""
    first, settings = _settings(environ)
    checks = [first]
    unread = misspelled(environ)
    if unread:
        checks.append(
            Check("variables", False, "; ".join(unread), "rename the variable (docs/configuration.md)")
        )
    catalog = None
    missing = None if settings is None else _missing_database(settings)
    if missing is not None:
        checks.append(missing)
    elif settings is not None:
        try:
            check_url(settings.database_url)
            catalog = build_catalog(settings)
        except SettingsError as error:
            checks.append(Check("database", False, str(error), "correct OPENCAT_DATABASE_URL"))
        except (OSError, ValueError) as error:  # the data directory (or a URL past the check)
            fix = "set OPENCAT_DATA_DIR to a directory this user may write (docs/configuration.md)"
            checks.append(Check("data directory", False, f"{type(error).__name__}: {error}", fix))
    if settings is not None and settings.secret_key is None:
        checks.append(_signing_key(settings))
    if settings is not None and catalog is not None:
        try:
            checks.append(_database(settings, catalog))
            # Each of these needs the one before it: no schema, no outbox to compare the index with.
            steps: list[Callable[[Catalog], Check]] = [_migrations, _index]
            for step in steps:
                if not checks[-1].ok:
                    break
                checks.append(step(catalog))
            checks.append(_files(settings, catalog))
        finally:
            catalog.db.dispose()
    for check in checks:
        status = "OK  " if check.ok else "FAIL"
        print(f"{status} {check.name}: {check.detail}")  # noqa: T201 - the command's output
        if not check.ok and check.fix:
            print(f"     fix: {check.fix}")  # noqa: T201 - the command's output
    sys.stdout.flush()
    return 0 if all(check.ok for check in checks) else 1
