"""The beginning of a remote file, fetched through the link checker's guard: no private address
unless allowed, one deadline for the whole download (redirects included), a cap on the bytes read."""

import http.client
import time
from dataclasses import dataclass

from opencat.links.addresses import Address, Connect, Resolve, connect_tcp, resolve_host
from opencat.links.hops import (
    REDIRECTS,
    LinkPolicy,
    PinnedConnection,
    Run,
    Target,
    checked_addresses,
    describe_failure,
    media_type,
    next_url,
    parse_target,
    request_headers,
)

_READ_SIZE = 16 * 1024


@dataclass(frozen=True)
class Download:
    url: str  # the URL asked for
    final_url: str  # after redirects
    content_type: str | None  # media type without parameters, lower-cased
    body: bytes  # at most the policy's max_bytes
    complete: bool  # False when the file goes on past ``body``


class DownloadError(Exception):
    """The file could not be had; the message says why, in the link checker's words, and
    ``status`` is the HTTP status when the server answered one that is no success."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Redirect:
    location: str


def download_start(
    url: str, policy: LinkPolicy, *, resolve: Resolve = resolve_host, connect: Connect = connect_tcp
) -> Download:
    """The first ``policy.max_bytes`` of the file at ``url`` (a GET, following redirects)."""
    run = Run(policy, time.monotonic() + policy.timeout, resolve, connect)
    current, redirects = url, 0
    while True:
        target = parse_target(current)
        if isinstance(target, str):
            raise DownloadError(target)
        addresses = checked_addresses(target, run)
        if isinstance(addresses, str):
            raise DownloadError(addresses)
        answer = _get(target, addresses, run)
        if isinstance(answer, tuple):
            content_type, body = answer
            cut = len(body) > policy.max_bytes
            return Download(url, current, content_type, body[: policy.max_bytes], complete=not cut)
        if redirects == policy.max_redirects:
            raise DownloadError(f"too many redirects (more than {policy.max_redirects})")
        redirects += 1
        current = next_url(current, answer.location)


def _get(target: Target, addresses: list[Address], run: Run) -> tuple[str | None, bytes] | _Redirect:
    """The media type and up to one byte more than the cap (to tell a cut file), or where to go next."""
    connection: PinnedConnection | None = None
    try:
        connection = PinnedConnection(target, addresses, run)
        connection.request("GET", target.path, headers=request_headers(target, run.policy))
        with connection.getresponse() as response:
            location = response.getheader("Location")
            if response.status in REDIRECTS and location:
                return _Redirect(location)
            _check(response)
            body = _read(response, run.policy.max_bytes + 1)
            if connection.expired.is_set():
                # The watchdog's shutdown reads as end of file: a cut body must not pass for whole.
                raise TimeoutError("deadline reached")
            return media_type(response.getheader("Content-Type")), body
    except (OSError, http.client.HTTPException) as error:
        expired = connection is not None and connection.expired.is_set()
        raise DownloadError(describe_failure(error, expired or time.monotonic() >= run.deadline)) from None
    finally:
        if connection is not None:
            connection.release()


def _check(response: http.client.HTTPResponse) -> None:
    if not 200 <= response.status < 300:
        raise DownloadError(f"HTTP status {response.status}", response.status)
    # Asked for identity; a server that compresses anyway sends bytes we would misread.
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise DownloadError(f"content encoding {encoding} is not supported")


def _read(response: http.client.HTTPResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = response.read(min(left, _READ_SIZE))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
