"""The schema catalog (schema.data.gouv.fr's format): bundled snapshot, or a configured URL,
cached for a few minutes, with the last good copy kept on disk for when the catalog is down."""

import json
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from opencat.domain.changes import UNSET, ResourceChanges
from opencat.domain.errors import Invalid, NotFound, Reason, Unavailable
from opencat.domain.schemas import SchemaCatalog, SchemaError, normalize_schema
from opencat.links.fetch import FetchError, fetch_json

TTL_SECONDS = 300.0
# How long a catalog that failed, with no copy to serve, is not asked again.
FAILURE_SECONDS = 10.0
# The whole fetch, redirects and body included (schema.data.gouv.fr's catalog is a few MB).
FETCH_TIMEOUT = 15.0
Entries = tuple[dict[str, Any], ...]


@cache
def bundled_entries() -> Entries:
    """schema.data.gouv.fr's catalog as bundled (a snapshot; see refdata provenance)."""
    data = json.loads((files("opencat") / "refdata" / "schemas.json").read_text("utf-8"))
    return tuple(data.get("schemas") or ())


@dataclass
class SchemaSource:
    """Where the catalog comes from; one per process, its disk copy shared by the machine."""

    url: str | None
    cache_file: Path
    ttl: float = TTL_SECONDS
    _entries: Entries = ()
    # When the catalog is next asked for (time.monotonic()); None: at the first call. A clock
    # value, not a sentinel beside one: monotonic() counts from boot, and a machine up for less
    # than the TTL had every remembered failure read as "never asked".
    _due_at: float | None = None
    _fetching: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def entries(self) -> Entries:
        """The catalog: the bundled one, or the configured one as last fetched (at most every
        ``ttl`` seconds). One thread fetches at a time, without holding the others: they are
        answered the copy in hand meanwhile, or udata's 503 when there is none."""
        if self.url is None:
            return bundled_entries()
        with self._lock:
            if self._fetching or (self._due_at is not None and time.monotonic() < self._due_at):
                return self._in_hand()
            self._fetching = True
        try:
            fetched = self._fetched_or_copy(self.url)
        finally:
            with self._lock:
                self._fetching = False
        with self._lock:
            if fetched is None:
                # Remembered for FAILURE_SECONDS only: the requests meanwhile get their 503 at
                # once rather than each waiting for the catalog's timeout in turn.
                self._due_at = time.monotonic() + FAILURE_SECONDS
                raise Unavailable(Reason.SCHEMAS_UNAVAILABLE)
            self._entries, self._due_at = fetched, time.monotonic() + self.ttl
            return self._entries

    def _in_hand(self) -> Entries:
        found = self._entries or self._last_good_copy()
        if not found:
            raise Unavailable(Reason.SCHEMAS_UNAVAILABLE)
        return found

    def _fetched_or_copy(self, url: str) -> Entries | None:
        """The catalog fetched now (its copy written), else the last good copy; None for none."""
        try:
            fetched = _schemas_of(fetch_json(url, FETCH_TIMEOUT))
        except FetchError as error:
            if error.status == 404:
                raise NotFound(Reason.SCHEMA_CATALOG_MISSING) from None
            return self._last_good_copy()
        self._write_copy(fetched)
        return fetched

    def _write_copy(self, entries: Entries) -> None:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.cache_file.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps({"schemas": list(entries)}))
        temporary.replace(self.cache_file)

    def _last_good_copy(self) -> Entries | None:
        """The copy this machine last read, on disk or in memory; None without one (then udata's
        503: another catalog, the bundled one, would check resources against schemas this portal
        never listed)."""
        try:
            return _schemas_of(json.loads(self.cache_file.read_text()))
        except (OSError, ValueError):
            return self._entries or None


def _schemas_of(document: Any) -> Entries:
    """The catalog's entries that can be read: a name, and versions that are texts (an entry
    otherwise made every write naming a schema a 500)."""
    schemas = document.get("schemas") if isinstance(document, dict) else None
    if not isinstance(schemas, list):
        raise FetchError("the schema catalog has no schemas list")
    return tuple(item for item in schemas if _readable(item))


def _readable(entry: object) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return False
    versions = entry.get("versions")
    if versions is None:
        return True
    return isinstance(versions, list) and all(
        isinstance(version, dict) and isinstance(version.get("version_name"), str) for version in versions
    )


_NO_CATALOG = SchemaCatalog.from_entries(())


def catalog_of(source: SchemaSource) -> SchemaCatalog:
    return SchemaCatalog.from_entries(source.entries())


def check_resource_schema(
    source: SchemaSource, changes: ResourceChanges, index: int | None = None
) -> ResourceChanges:
    """Normalize the schema a resource's changes send; errors nested as udata does."""
    if changes.schema is UNSET:
        return changes
    schema = changes.schema
    # A schema sent with neither a name nor a URL is checked without the catalog (udata's
    # ``Schema.clean`` returns first): a catalog that is down refuses only the writes naming one.
    named = isinstance(schema, dict) and bool(schema.get("name") or schema.get("url"))
    try:
        normalized = normalize_schema(schema, catalog_of(source) if named else _NO_CATALOG)
    except SchemaError as error:
        errors = {"schema": {error.field: [error.problem]}}
        raise Invalid(errors if index is None else {"resources": [{}] * index + [errors]}) from None
    return replace(changes, schema=normalized)


def list_schemas(source: SchemaSource) -> Entries:
    """What ``GET /datasets/schemas/`` serves: every schema but data packages (udata: udata/core/dataset/api.py, reference lists)."""
    return tuple(item for item in source.entries() if item.get("schema_type") != "datapackage")
