"""What harvesting keeps: sources, their jobs (one run each) and the items a job reports, and the
lease that lets one process at a time run a source's job. udata's names and statuses."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    PENDING = "pending"
    INITIALIZING = "initializing"
    INITIALIZED = "initialized"
    PROCESSING = "processing"
    DONE = "done"
    DONE_ERRORS = "done-errors"
    FAILED = "failed"


class ItemStatus(StrEnum):
    """What a job did with one remote entry (unchanged entries are counted, not listed)."""

    CREATED = "created"
    UPDATED = "updated"
    ARCHIVED = "archived"
    DELETED = "deleted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ItemTally:
    """What a job's items are: how many of each status, and how many name a dataset."""

    by_status: Mapping[ItemStatus, int] = field(default_factory=dict)
    with_dataset: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


# Why a harvested dataset was archived (udata's value).
ARCHIVED_NOT_ON_REMOTE = "not-on-remote"


@dataclass(frozen=True, slots=True)
class HarvestSource:
    id: str
    name: str
    url: str
    backend: str
    created_at: datetime
    last_modified: datetime
    description: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    owner_id: str | None = None
    organization_id: str | None = None
    active: bool = True
    autoarchive: bool = True
    schedule: str | None = None
    validation: Mapping[str, Any] = field(default_factory=lambda: {"state": "pending"})
    # URL -> {"etag": ..., "last_modified": ...}: what the source's pages last carried.
    validators: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    deleted: datetime | None = None
    slug: str = ""  # udata's: from the name, unique, moved with it


@dataclass(frozen=True, slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class HarvestJob:
    id: str
    source_id: str
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    errors: tuple[Mapping[str, str], ...] = ()  # {"message": ..., "details": ...}
    counts: Counts = Counts()


@dataclass(frozen=True, slots=True)
class JobItem:
    remote_id: str | None
    status: ItemStatus
    created_at: datetime
    dataset_id: str | None = None
    error: str | None = None
    excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    source_id: str
    job_id: str
    node: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A page a source's last complete run read: where it pointed next, and its entries'
    ``(remote_id, fingerprint)``."""

    next_url: str | None
    entries: tuple[tuple[str, str], ...]
    url: str | None = None  # where it was fetched, under which context, and its validators
    context: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """What a source last gave for one remote id: the dataset made of it and its fingerprint."""

    remote_id: str
    dataset_id: str
    fingerprint: str
