"""Writing an incoming file to local disk while measuring and hashing it, in one pass."""

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opencat.domain.errors import InsufficientStorage

NO_SPACE = "There is not enough space left to store this file"


class TooLarge(Exception):
    """The file went past the configured size limit; what was written is already removed."""


@contextlib.contextmanager
def no_space_is_refusal() -> Iterator[None]:
    """A full disk (or quota) refuses the file rather than failing the server: a 507."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorage(NO_SPACE) from error
        raise


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    size: int
    sha1: str


class Spool:
    """A temporary file in ``directory``; removed on ``discard`` unless ``finish`` handed it over."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self._file = os.fdopen(descriptor, "wb")
        self._hash = hashlib.sha1()
        self.size = 0
        self.max_bytes = max_bytes

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.discard()
            raise TooLarge()
        with self._discarded_on_error(), no_space_is_refusal():
            self._file.write(chunk)
        self._hash.update(chunk)

    def finish(self) -> SpooledFile:
        with self._discarded_on_error(), no_space_is_refusal():
            self._file.close()  # flushes the last buffered bytes: the disk may be full here too
        return SpooledFile(self.path, self.size, self._hash.hexdigest())

    @contextlib.contextmanager
    def _discarded_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        # Closing flushes, which fails again on a full disk; the file is closed all the same.
        with contextlib.suppress(OSError):
            self._file.close()
        self.path.unlink(missing_ok=True)
