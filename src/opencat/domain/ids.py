"""Identifiers: udata-style 24-hex object ids for datasets, users and organizations; UUID4 for resources."""

import os
import re
import struct
import time
import uuid

_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
_counter = struct.unpack(">I", os.urandom(4))[0]
_process_random = os.urandom(5)


def new_object_id() -> str:
    """A MongoDB-compatible ObjectId (timestamp, process random, counter), as udata makes them."""
    global _counter
    _counter = (_counter + 1) % 0xFFFFFF
    raw = struct.pack(">I", int(time.time())) + _process_random + struct.pack(">I", _counter)[1:]
    return raw.hex()


def is_object_id(value: str) -> bool:
    return bool(_OBJECT_ID.match(value))


def new_resource_id() -> str:
    return str(uuid.uuid4())


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID string, or None when ``value`` is not one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None
