"""Writing an incoming file to local disk while measuring and hashing it, in one pass."""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


class TooLarge(Exception):
    """The file went past the configured size limit; what was written is already removed."""


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
        self._file.write(chunk)
        self._hash.update(chunk)

    def finish(self) -> SpooledFile:
        self._file.close()
        return SpooledFile(self.path, self.size, self._hash.hexdigest())

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)
