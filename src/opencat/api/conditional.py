"""Conditional requests (RFC 9110 §13): whether the client's copy is the current one."""

from datetime import datetime
from email.utils import parsedate_to_datetime

from opencat.domain.numerals import is_digits


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


def expected_versions(header: str | None) -> frozenset[tuple[str, int]] | None:
    """The dataset versions an ``If-Match`` list names (any may match, RFC 9110 13.1.1); None
    without one, or with ``*``. A weak tag names its version too, unlike RFC 9110's strong
    comparison: a proxy compressing our answers (nginx's gzip) makes every ETag a client sees
    weak, and a script behind it could never write. An ETag that is not one of ours names none:
    the use case then refuses (412) after 401, 404, 410 and 403, as for a stale one."""
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for candidate in header.split(","):
        # Any representation's ETag names its version: a write asks for the version it read.
        value = candidate.strip().removeprefix("W/").strip('"').partition("+")[0]
        dataset_id, _, revision = value.rpartition("-")
        if is_digits(revision) and dataset_id:
            versions.add((dataset_id, int(revision)))
    return frozenset(versions)
