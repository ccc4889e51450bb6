"""The FileStore seam every storage backend implements, and the key rules they share."""

import logging
import re
from pathlib import Path
from typing import BinaryIO, Protocol

_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
logger = logging.getLogger("opencat.files")


class FileStore(Protocol):
    """Stores finished files under keys like ``{dataset slug}/{timestamp}/{file name}``.

    Files are written locally first (in ``spool_dir``, hashed on the way), then handed over
    whole with ``put``: a reader never sees a partial object under its final key.
    """

    spool_dir: Path
    # The root of every URL ``url`` gives: such URLs are always valid resource URLs.
    public_url: str

    def put(self, key: str, source: Path, content_type: str) -> None:
        """Move the finished file ``source`` under ``key`` (``source`` is consumed)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The file's bytes; ``FileNotFoundError`` when the store has none under ``key``."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...

    def url(self, key: str) -> str: ...

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk, when the store has one (to serve it directly)."""
        ...

    def check(self) -> None:
        """Raise if files cannot be stored now (the readiness probe asks)."""
        ...


def check_key(key: str) -> str:
    """Keys are relative, slash-separated, without empty, dot or dot-dot segments."""
    if not _SAFE_KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class RemovalDeferred(Exception):
    """The store keeps the file for now (a backup is copying it): its reservation stays, and the
    sweep removes it once past the retention, as for a removal that failed."""


def delete_after_commit(store: FileStore, key: str) -> bool:
    """Remove a file the committed catalog no longer names (a replaced or deleted file, the parts
    of a published upload). The write is done: a store failing now leaves the file behind, said
    in the log, and must not turn a committed write into an error its client would retry.
    Whether the file is gone (False: a reservation of it should stay, for the sweep)."""
    try:
        store.delete(key)
    except RemovalDeferred:  # a backup is copying the store: the sweep removes it later
        logger.info("file %s left in the store while a backup copies it: the sweep removes it", key)
        return False
    except Exception as error:  # any store's failure: the file is only left over
        logger.warning("file %s left in the store, which could not delete it: %r", key, error)
        return False
    return True
