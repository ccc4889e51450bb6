"""Files on the local disk, under the data directory, served by opencat itself."""

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from opencat.files.base import RemovalDeferred, check_key
from opencat.files.spool import unwritable_is_unavailable

# A backup copying the store holds this file's lock (shared) from before its database snapshot to
# the end of its copy (``holding_removals``): a file removed meanwhile was named by the snapshot
# and missing from the copy, its resource restored without it.
BACKUP_LOCK = ".backup"


@contextlib.contextmanager
def holding_removals(root: Path) -> Iterator[None]:
    """No file of the store at ``root`` is removed while the block runs: the removals of the
    servers and commands meanwhile wait for the sweep (their reservations stay)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / BACKUP_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def removals_held(root: Path) -> bool:
    """Whether a backup holds this store's removals now (``holding_removals``)."""
    try:
        handle = (root / BACKUP_LOCK).open("r")
    except FileNotFoundError:
        return False  # no backup was ever taken here
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


class LocalFileStore:
    def __init__(self, root: Path, public_url: str) -> None:
        self.root = root.resolve()
        self.public_url = public_url.rstrip("/")
        # Same filesystem as the files: finishing an upload is a rename, not a copy.
        self.spool_dir = self.root / ".spool"
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)
        # A new folder may need a block the disk no longer has (507); a folder that refuses
        # writes makes the store unavailable (503).
        with unwritable_is_unavailable():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        if removals_held(self.root):
            raise RemovalDeferred(key)
        path.unlink(missing_ok=True)
        # Drop the emptied timestamp and dataset folders, never the root.
        for parent in path.parents:
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def url(self, key: str) -> str:
        return f"{self.public_url}/{quote(check_key(key))}"

    def check(self) -> None:
        # Writing is the only sure test: a read-only mount or lost permissions show here. A spool
        # folder removed under the running server is made again (uploads do the same). The root
        # too: every upload makes its dataset's folders in it (its permissions alone lost, the
        # spool's kept, uploads failed while this said ok).
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=self.spool_dir):
            pass
        os.rmdir(tempfile.mkdtemp(dir=self.root, prefix=".probe-"))

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None
