"""Checks whether a remote URL answers, without letting the check reach private networks (SSRF)."""

import contextlib
import http.client
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from opencat.domain.dates import as_utc
from opencat.domain.numerals import is_digits
from opencat.links.addresses import Address, Connect, Resolve, connect_tcp, is_public_address, resolve_host
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

__all__ = [
    "Connect",
    "LinkCheck",
    "LinkPolicy",
    "Resolve",
    "check_link",
    "connect_tcp",
    "is_public_address",
    "resolve_host",
]

# Servers that cannot answer HEAD say so with 405 or 501; any other status is taken at its word.
HEAD_UNSUPPORTED = frozenset({405, 501})
_READ_SIZE = 16 * 1024


@dataclass(frozen=True)
class LinkCheck:
    url: str  # the URL checked (the first one)
    final_url: str  # after redirects: the last URL reached, or refused
    available: bool  # 2xx/3xx final status (udata semantics: status < 400)
    status: int | None  # final HTTP status, None when no answer
    content_type: str | None  # media type without parameters, lower-cased
    content_length: int | None
    checked_at: datetime  # aware UTC
    error: str | None  # human-readable reason when not available


@dataclass(frozen=True)
class _Answer:
    """What one hop produced: a status and its headers, or the reason there is none."""

    status: int | None = None
    content_type: str | None = None
    content_length: int | None = None
    location: str | None = None
    error: str | None = None


def check_link(
    url: str,
    policy: LinkPolicy,
    now: Callable[[], datetime],
    *,
    resolve: Resolve = resolve_host,
    connect: Connect = connect_tcp,
) -> LinkCheck:
    """Whether ``url`` answers, following redirects; network failures are reported, never raised.

    Every hop's host is resolved once with ``resolve``; unless the policy allows private targets, a
    host with any non-public address is refused, and the connection goes to an address that was
    checked (``connect``), so a second DNS answer cannot slip in.
    """
    checked_at = as_utc(now())
    run = Run(policy, time.monotonic() + policy.timeout, resolve, connect)
    current, redirects = url, 0
    while True:
        answer = _visit(current, run)
        if answer.error is not None or answer.status not in REDIRECTS or answer.location is None:
            return _result(url, current, answer, checked_at)
        if redirects == policy.max_redirects:
            error = f"too many redirects (more than {policy.max_redirects})"
            return _result(url, current, replace(answer, error=error), checked_at)
        redirects += 1
        current = next_url(current, answer.location)


def _visit(url: str, run: Run) -> _Answer:
    """One hop: the guard, then HEAD, then GET when the server does not support HEAD."""
    target = parse_target(url)
    if isinstance(target, str):
        return _Answer(error=target)
    addresses = checked_addresses(target, run)
    if isinstance(addresses, str):
        return _Answer(error=addresses)
    answer = _request("HEAD", target, addresses, run)
    if answer.status in HEAD_UNSUPPORTED:
        answer = _request("GET", target, addresses, run)
    return answer


def _request(method: str, target: Target, addresses: Sequence[Address], run: Run) -> _Answer:
    connection: PinnedConnection | None = None
    try:
        connection = PinnedConnection(target, addresses, run)
        connection.request(method, target.path, headers=request_headers(target, run.policy))
        with connection.getresponse() as response:
            if connection.expired.is_set():
                # The watchdog's shutdown reads as end of file: cut-off headers still parse.
                raise TimeoutError("deadline reached")
            answer = _answer(response)
            if method == "GET":
                _drain(response, run.policy.max_bytes)
        return answer
    except (OSError, http.client.HTTPException) as error:
        expired = connection is not None and connection.expired.is_set()
        return _Answer(error=describe_failure(error, expired or time.monotonic() >= run.deadline))
    finally:
        if connection is not None:
            connection.release()


def _answer(response: http.client.HTTPResponse) -> _Answer:
    return _Answer(
        status=response.status,
        content_type=media_type(response.getheader("Content-Type")),
        content_length=_length(response.getheader("Content-Length")),
        location=response.getheader("Location"),
    )


def _length(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if is_digits(text) else None


def _drain(response: http.client.HTTPResponse, max_bytes: int) -> None:
    """Read at most ``max_bytes`` of the body, however large it is. The status is already known, so a
    body that fails, ends early or outlasts the deadline changes nothing."""
    left = max_bytes
    with contextlib.suppress(OSError, http.client.HTTPException):
        while left > 0:
            chunk = response.read(min(left, _READ_SIZE))
            if not chunk:
                break
            left -= len(chunk)


def _result(url: str, final_url: str, answer: _Answer, checked_at: datetime) -> LinkCheck:
    error = answer.error
    if error is None and answer.status is not None and answer.status >= 400:
        error = f"HTTP status {answer.status}"
    return LinkCheck(
        url=url,
        final_url=final_url,
        available=error is None,
        status=answer.status,
        content_type=answer.content_type,
        content_length=answer.content_length,
        checked_at=checked_at,
        error=error,
    )
