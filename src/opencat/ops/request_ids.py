"""Request ids: the client's ``X-Request-ID`` when it is sane, else a new one; known to every log line."""

import logging
import os
import re
from contextvars import ContextVar

HEADER = "x-request-id"
MAX_LENGTH = 128
# Letters, digits and the punctuation of UUIDs, base64 and trace ids: nothing that could break a
# log line or a header (no spaces, quotes, control characters).
_SANE = re.compile(r"[A-Za-z0-9._~:/+=@-]+")

_HEADER_BYTES = HEADER.encode()

current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """32 random hex digits, as a uuid4's hex but without building a UUID (a few % of a read)."""
    return os.urandom(16).hex()


def sanitized(raw: str | None) -> str | None:
    """The client's id if it can go into logs and headers as it is, else ``None``."""
    if raw is None or not 0 < len(raw) <= MAX_LENGTH or not _SANE.fullmatch(raw):
        return None
    return raw


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The request's id: its first ``X-Request-ID`` header if sane, else a new one."""
    for name, value in headers:
        if name.lower() == _HEADER_BYTES:
            return sanitized(value.decode("latin-1")) or new_request_id()
    return new_request_id()


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request being handled (``-`` outside any request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get() or "-"
        return True
