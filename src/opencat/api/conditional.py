"""Conditional requests (RFC 9110 §13): whether the client's copy is the current one."""

from datetime import datetime
from email.utils import parsedate_to_datetime


def names_current(if_none_match: str, tag: str) -> bool:
    """Whether an ``If-None-Match`` list names the current ETag: ``*``, or the tag by weak
    comparison (RFC 9110 13.1.2: a ``W/`` prefix is ignored; a proxy compressing the answer may add one)."""
    for candidate in if_none_match.split(","):
        value = candidate.strip()
        if value == "*" or value.removeprefix("W/") == tag:
            return True
    return False


def unmodified_since(if_modified_since: str, modified: datetime) -> bool:
    """Whether an ``If-Modified-Since`` date is at or after ``modified`` (to the second, as HTTP
    dates are); a date that cannot be read is ignored (RFC 9110 13.1.3)."""
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        return False  # not an HTTP date (they are GMT)
    return modified.replace(microsecond=0) <= since
