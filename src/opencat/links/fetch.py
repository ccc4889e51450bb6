"""Fetching a small JSON document from a URL the operator configured (not a user-supplied one)."""

import json
import urllib.error
import urllib.request
from typing import Any

MAX_BYTES = 16 * 1024 * 1024


class FetchError(Exception):
    """The document could not be had; ``status`` is the HTTP status when there was an answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def fetch_json(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "opencat/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url} answered {error.code}", error.code) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FetchError(f"{url} is unreachable: {error}") from None
    if len(body) > MAX_BYTES:
        raise FetchError(f"{url} answered more than {MAX_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError(f"{url} did not answer JSON") from None
