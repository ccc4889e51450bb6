"""Writing an incoming file to local disk while measuring and hashing it, in one pass.

A spool file is named for its writer: ``upload-{pid}-{start}-{random}-{machine}``, where
``start`` is when that process started (clock ticks since boot, from ``/proc``; ``0`` where
there is no ``/proc``) and ``machine`` names this host and its process-id namespace. A process
killed mid-upload cannot remove its file, so ``remove_leftovers`` does it for it later: a file
of this machine whose writer is gone (or whose pid now belongs to a newer process), or any
file, whatever machine wrote it, untouched for longer than the upload retention (spool
directories may be shared between nodes, whose processes this one cannot see).
"""

import contextlib
import errno
import hashlib
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opencat.domain.errors import InsufficientStorage, Reason, Unavailable

_PROC = Path("/proc")
_WRITER = re.compile(r"^upload-(?P<pid>\d+)-(?P<start>\d+)-[a-z0-9_]+-(?P<machine>.+)$")


class TooLarge(Exception):
    """The file went past the configured size limit; what was written is already removed."""


@contextlib.contextmanager
def no_space_is_refusal() -> Iterator[None]:
    """A full disk (or quota) refuses the file rather than failing the server: a 507."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorage(Reason.FILE_NO_SPACE) from error
        raise


# A disk that refuses writes (read-only mount, lost permissions, an I/O error): the store is
# unavailable, a 503 its clients retry, not a 500 with a traceback.
_UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO)


@contextlib.contextmanager
def unwritable_is_unavailable() -> Iterator[None]:
    """A full disk refuses the file (507); a disk that refuses writes is unavailable (503)."""
    try:
        with no_space_is_refusal():
            yield
    except OSError as error:
        if error.errno in _UNWRITABLE:
            raise Unavailable(Reason.FILE_STORE_UNAVAILABLE) from error
        raise


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    size: int
    sha1: str


class Spool:
    """A temporary file in ``directory``; removed on ``discard`` unless ``finish`` handed it over."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        pid = os.getpid()
        prefix, suffix = f"upload-{pid}-{_started(pid) or 0}-", f"-{machine()}"
        with unwritable_is_unavailable():
            try:
                descriptor, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
            except FileNotFoundError:  # removed under the running server: made again
                directory.mkdir(parents=True, exist_ok=True)
                descriptor, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
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


def remove_leftovers(directory: Path, stale_before: float) -> int:
    """Remove the spool files of dead writers, and any untouched since ``stale_before`` (a
    timestamp); return how many were removed. Files of live writers are never touched."""
    here = machine()
    removed = 0
    for path in directory.glob("upload-*"):
        try:
            stale = path.stat().st_mtime < stale_before
        except FileNotFoundError:  # finished and handed over meanwhile
            continue
        writer = _WRITER.match(path.name)
        orphan = (
            writer is not None
            and writer["machine"] == here
            and not _running(int(writer["pid"]), int(writer["start"]))
        )
        if stale or orphan:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def machine() -> str:
    """This host, and its pid namespace: containers sharing a host name do not share pids."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "localhost"
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return host
    return f"{host}+{namespace.removeprefix('pid:[').removesuffix(']')}"


def _started(pid: int) -> int | None:
    """When a live process started (clock ticks since boot); None if it is gone or a zombie,
    0 where there is no ``/proc`` to ask."""
    if not (_PROC / "self" / "stat").exists():
        return 0
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may hold spaces and parentheses: state is field 3
    # of proc(5), starttime field 22.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _running(pid: int, start: int) -> bool:
    """Whether the process that wrote a spool file still runs (same pid, same start time)."""
    if pid <= 0:
        return False
    started = _started(pid)
    if started is None:
        return False
    if started and start:
        return started == start  # a different start time: the pid was reused
    try:  # no /proc: only whether the pid exists
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
