"""Identifiers: udata-style 24-hex object ids for datasets, users and organizations; UUID4 for resources."""

import itertools
import os
import re
import struct
import threading
import time
import uuid

_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")


class _ObjectIdSource:
    """MongoDB's recipe: 4 bytes of time, 5 random bytes per process, a 3-byte counter.

    The random bytes and the counter's start are drawn again in every forked child (server
    workers fork after import), so no two processes mint the same ids; the counter is a lock-free
    ``itertools.count``, safe across the threads of one process."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self._process_random = os.urandom(5)
        self._counter = itertools.count(int.from_bytes(os.urandom(4)))

    def next(self) -> str:
        count = next(self._counter) & 0xFFFFFF
        raw = struct.pack(">I", int(time.time()) & 0xFFFFFFFF) + self._process_random + count.to_bytes(3)
        return raw.hex()


_source = _ObjectIdSource()
os.register_at_fork(after_in_child=_source.reseed)


def new_object_id() -> str:
    """A MongoDB-compatible ObjectId (timestamp, process random, counter), as udata makes them."""
    return _source.next()


def is_object_id(value: str) -> bool:
    return bool(_OBJECT_ID.match(value))


class _RandomBytes:
    """Random bytes from ``os.urandom`` drawn 4 kB at a time: a harvest mints tens of thousands of
    ids, and a system call per id releases the GIL to whichever thread holds it next (the
    harvester's page reader), which it then waits to get back. Drawn again in a forked child."""

    _SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reseed()

    def reseed(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._offset + count > len(self._buffer):
                self._buffer, self._offset = os.urandom(self._SIZE), 0
            taken = self._buffer[self._offset : self._offset + count]
            self._offset += count
            return taken


_random_bytes = _RandomBytes()
os.register_at_fork(after_in_child=_random_bytes.reseed)


def new_resource_id() -> str:
    """A random (version 4) UUID, as ``uuid.uuid4`` makes them."""
    return str(uuid.UUID(bytes=_random_bytes.take(16), version=4))


# werkzeug's ``uuid`` converter: the dashed form only, any case (braces or no dashes are a 404).
ROUTE_UUID_PATTERN = "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
_ROUTE_UUID = re.compile(ROUTE_UUID_PATTERN)


def is_route_uuid(value: str) -> bool:
    """Whether a path segment is a UUID as udata's ``<uuid:…>`` routes match one: one address a
    resource (a cache keyed by the URL saw several)."""
    return _ROUTE_UUID.fullmatch(value) is not None


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID string, or None when ``value`` is not one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None
