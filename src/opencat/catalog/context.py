"""What every use case needs: the database, the file store, and the sources of time and identity."""

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar, cast

from opencat.catalog.schemas import SchemaSource
from opencat.db.engine import Database
from opencat.domain import ids
from opencat.domain.dates import utc_now
from opencat.domain.uploads import UploadPolicy
from opencat.files.base import FileStore
from opencat.links.checker import LinkPolicy
from opencat.mail.smtp import SmtpMailer
from opencat.search.index import SearchIndex

T = TypeVar("T")


class Throttle:
    """Lets a chore through at most once per ``interval`` in this process, whichever thread asks."""

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def due(self, now: datetime) -> bool:
        """Whether the chore runs now; if it does, it counts as run from ``now``."""
        with self._lock:
            # abs(): a clock set back must not hold the chore off until it catches up.
            if self._last is not None and abs(now - self._last) < self.interval:
                return False
            self._last = now
            return True


class ReferenceCache:
    """Reference lists read once per process and catalog: licenses, frequencies, geozone levels and
    the zones asked for. Migrations seed them and nothing else writes them, so a worker keeps what
    it read; a restart (as after an upgrade) reads them again."""

    # Zones are many (every commune): only those asked for are kept, up to this many.
    MAX_ZONES = 20_000

    def __init__(self) -> None:
        self._lists: dict[str, object] = {}
        self.zones: dict[str, object] = {}  # normalized zone id -> Zone, or None when unknown
        self.lock = threading.Lock()

    def list_of(self, name: str, load: Callable[[], T]) -> T:
        """The list ``name``, loaded by ``load`` the first time only."""
        with self.lock:
            if name in self._lists:
                return cast(T, self._lists[name])
        value = load()  # outside the lock: two threads may both load it once, never block
        with self.lock:
            self._lists.setdefault(name, value)
        return value

    def remember_zones(self, found: Mapping[str, object]) -> None:
        with self.lock:
            if len(self.zones) + len(found) > self.MAX_ZONES:
                self.zones.clear()
            self.zones.update(found)


def _unobserved(_result: str) -> None:
    pass


# Expired chunked uploads are purged when a part arrives, at most this often per process.
UPLOAD_PURGE_INTERVAL = timedelta(minutes=5)
CONCURRENT_LINK_CHECKS = 2
# Large RDF documents (a dataset or catalog page of more than ``LARGE_RDF_RESOURCES`` resources:
# seconds of CPU each, anyone may ask) this process builds at once; more are told to retry.
CONCURRENT_LARGE_RDF = 2
LARGE_RDF_RESOURCES = 500
# Whole-catalog streams (the DCAT stream, JSON Lines, the CSV exports) this process writes at
# once: each reads every public dataset, anyone may ask, and each holds a thread until it ends.
CONCURRENT_STREAMED_EXPORTS = 3
# Each node's index keeper prunes the change log at most this often (catalog/indexing.py).
CHANGE_LOG_PRUNE_INTERVAL = timedelta(minutes=10)


@dataclass(frozen=True)
class Catalog:
    db: Database
    files: FileStore
    uploads: UploadPolicy
    search: SearchIndex
    schemas: SchemaSource
    upload_retention: timedelta = timedelta(hours=24)
    upload_purge: Throttle = field(default_factory=lambda: Throttle(UPLOAD_PURGE_INTERVAL))
    # The change log's entries kept (OPENCAT_CHANGE_LOG_KEEP), and how often they are pruned.
    change_log_keep: int = 1_000_000
    change_log_prune: Throttle = field(default_factory=lambda: Throttle(CHANGE_LOG_PRUNE_INTERVAL))
    # The most resources one dataset may have (OPENCAT_MAX_RESOURCES_PER_DATASET).
    max_resources: int = 10_000
    link_policy: LinkPolicy = field(default_factory=LinkPolicy)
    # A resource's link is checked at most once in this interval, whoever asks.
    linkcheck_interval: timedelta = timedelta(minutes=5)
    # Links this process checks at once (anyone may ask): a check holds one of the API's handler
    # slots for up to the link timeout, so a link that accepts and never answers, asked for
    # through many of a dataset's resources at once, would hold them all.
    link_probes: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(CONCURRENT_LINK_CHECKS)
    )
    # RDF documents of more than LARGE_RDF_RESOURCES resources this process builds at once: one
    # of 9,000 resources takes ~2 s of CPU, and a dozen asked at once held every handler slot.
    large_rdf: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(CONCURRENT_LARGE_RDF)
    )
    streamed_exports: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(CONCURRENT_STREAMED_EXPORTS)
    )
    # Where resource previews are cached (None: not cached).
    preview_cache: Path | None = None
    feed_delay: timedelta = timedelta(hours=10)
    # Dataset tags that stand for an EU data theme (``dcat:theme``), configured by the operator.
    dcat_themes: Mapping[str, str] = field(default_factory=dict)
    # Told the result of each link check performed ("available", "unavailable", "error"): metrics.
    link_checked: Callable[[str], None] = field(default=_unobserved)
    # No new content but a sysadmin's (OPENCAT_READ_ONLY, udata's READ_ONLY_MODE).
    read_only: bool = False
    # How long a signed-in session lasts (OPENCAT_SESSION_LIFETIME_HOURS).
    session_lifetime: timedelta = timedelta(days=14)
    # Sends password-reset mails (OPENCAT_SMTP_*); None: no mail, operators set passwords.
    mailer: SmtpMailer | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    references: ReferenceCache = field(default_factory=ReferenceCache)
    new_object_id: Callable[[], str] = field(default=ids.new_object_id)
    new_resource_id: Callable[[], str] = field(default=ids.new_resource_id)
