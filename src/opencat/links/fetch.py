"""Fetching a small JSON document from a URL the operator configured (not a user-supplied one),
through the link checker's guarded download: one deadline for the whole answer (a server sending
a byte every few seconds held a per-read timeout for hours), a cap on its bytes. Private
addresses are allowed: an operator may serve their catalog on their own network."""

import json
from typing import Any

from opencat.links.download import DownloadError, download_start
from opencat.links.hops import LinkPolicy

MAX_BYTES = 16 * 1024 * 1024


class FetchError(Exception):
    """The document could not be had; ``status`` is the HTTP status when there was an answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def fetch_json(url: str, timeout: float) -> Any:
    """The JSON document at ``url``, read within ``timeout`` seconds in all."""
    policy = LinkPolicy(timeout=timeout, max_bytes=MAX_BYTES, allow_private=True, user_agent="opencat/1")
    try:
        got = download_start(url, policy)
    except DownloadError as error:
        raise FetchError(f"{url}: {error}", error.status) from None
    if not got.complete:
        raise FetchError(f"{url} answered more than {MAX_BYTES} bytes")
    try:
        return json.loads(got.body)
    except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
        raise FetchError(f"{url} did not answer JSON") from None
