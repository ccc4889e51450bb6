"""Checks whether a remote URL answers, without letting the check reach private networks (SSRF)."""

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

from opencat.domain.dates import as_utc
from opencat.links.addresses import Address, Connect, Resolve, connect_tcp, is_public_address, resolve_host

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

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Servers that cannot answer HEAD say so with 405 or 501; any other status is taken at its word.
HEAD_UNSUPPORTED = frozenset({405, 501})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
# Reserved and unreserved characters (RFC 3986 §2) and existing escapes stay as they are; anything else
# (spaces, non-ASCII) is percent-encoded as browsers do, since the request line must be ASCII.
_TARGET_SAFE = "/?:@!$&'()*+,;=%~[]"
_READ_SIZE = 16 * 1024


@dataclass(frozen=True)
class LinkPolicy:
    timeout: float = 5.0  # total seconds for the whole check, redirects included
    max_redirects: int = 5
    max_bytes: int = 64 * 1024  # most body bytes ever read (GET fallback)
    allow_private: bool = False  # tests and intranet deployments may allow loopback/private targets
    user_agent: str = "opencat-linkchecker/1"

    def __post_init__(self) -> None:
        if not self.timeout > 0 or self.max_redirects < 0 or self.max_bytes < 0:
            raise ValueError(f"invalid link policy: {self!r}")


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


@dataclass(frozen=True)
class _Target:
    """One hop's URL, split into what the connection and the request line need."""

    scheme: str
    host: str  # an IP literal without brackets, or the IDNA (ASCII) form of a name
    port: int
    path: str  # the request target: path and query, percent-encoded

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class _Run:
    """The settings every hop of one check shares."""

    policy: LinkPolicy
    deadline: float  # time.monotonic() value
    resolve: Resolve
    connect: Connect


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
    run = _Run(policy, time.monotonic() + policy.timeout, resolve, connect)
    current, redirects = url, 0
    while True:
        answer = _visit(current, run)
        if answer.error is not None or answer.status not in REDIRECTS or answer.location is None:
            return _result(url, current, answer, checked_at)
        if redirects == policy.max_redirects:
            error = f"too many redirects (more than {policy.max_redirects})"
            return _result(url, current, replace(answer, error=error), checked_at)
        redirects += 1
        current = _next_url(current, answer.location)


def _visit(url: str, run: _Run) -> _Answer:
    """One hop: the guard, then HEAD, then GET when the server does not support HEAD."""
    target = _parse(url)
    if isinstance(target, str):
        return _Answer(error=target)
    addresses = _checked_addresses(target, run)
    if isinstance(addresses, str):
        return _Answer(error=addresses)
    answer = _request("HEAD", target, addresses, run)
    if answer.status in HEAD_UNSUPPORTED:
        answer = _request("GET", target, addresses, run)
    return answer


def _parse(url: str) -> _Target | str:
    """The hop's target, or the reason it is refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "malformed URL"
    if parts.scheme not in _DEFAULT_PORTS:
        return f"scheme {parts.scheme or '(none)'} is not allowed"
    host = _ascii_host(parts.hostname or "")
    if host is None:
        return "malformed host name"
    path = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return _Target(parts.scheme, host, _DEFAULT_PORTS[parts.scheme] if port is None else port, path)


def _ascii_host(hostname: str) -> str | None:
    """The host as it goes on the wire, or None when it is not a valid IP literal or name."""
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        pass
    else:
        return hostname
    try:
        name = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return name if _HOST_NAME.match(name) else None


def _next_url(current: str, location: str) -> str:
    try:
        return urljoin(current, location)
    except ValueError:
        return location  # the next hop refuses it as a malformed URL


def _checked_addresses(target: _Target, run: _Run) -> list[Address] | str:
    """The host's addresses, or why it may not be reached: ANY non-public address refuses the host."""
    try:
        found = _resolve_before(run, target.host, target.port)
    except TimeoutError:
        return f"timed out resolving {target.host}"
    except OSError as error:
        return f"DNS failure for {target.host}: {error.strerror or error}"
    addresses = [ipaddress.ip_address(item) for item in found]
    if not addresses:
        return f"DNS failure for {target.host}: no address"
    refused = [address for address in addresses if not is_public_address(address)]
    if refused and not run.policy.allow_private:
        return f"refused address {refused[0]} for {target.host}: not a public address"
    return addresses


def _resolve_before(run: _Run, host: str, port: int) -> Sequence[str]:
    """``run.resolve`` in a daemon thread: getaddrinfo has no timeout, and must not outlive the deadline."""
    outcome: list[Sequence[str] | Exception] = []

    def resolve() -> None:
        try:
            outcome.append(run.resolve(host, port))
        except Exception as error:  # handed over to the caller's thread, which re-raises it
            outcome.append(error)

    timeout = _remaining(run.deadline)
    thread = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"resolving {host}")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:  # a zero socket timeout would mean non-blocking, not "no time left"
        raise TimeoutError("deadline reached")
    return left


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP or HTTPS to addresses the guard has checked: no second lookup, so DNS rebinding fails."""

    def __init__(self, target: _Target, addresses: Sequence[Address], run: _Run) -> None:
        super().__init__(target.host, target.port, timeout=_remaining(run.deadline))
        self._target = target
        self._addresses = addresses
        self._run = run
        self._watchdog: threading.Timer | None = None
        self._watched: socket.socket | None = None
        self.expired = threading.Event()

    def connect(self) -> None:
        sock = self._open()
        try:
            self._arm(sock)
            if self._target.scheme == "https":
                # SNI and the certificate are checked against the URL's host, not the pinned address.
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self._target.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def _open(self) -> socket.socket:
        failure: OSError = ConnectionError("no address to connect to")
        for address in self._addresses:
            timeout = _remaining(self._run.deadline)
            try:
                return self._run.connect(str(address), self.port, timeout)
            except OSError as error:
                failure = error
        raise failure

    def _arm(self, sock: socket.socket) -> None:
        """Shut the socket down at the deadline: socket timeouts bound each read, not their sum, so a
        server dripping one byte at a time would otherwise hold the check for as long as it likes."""
        delay = _remaining(self._run.deadline)
        self._watched = sock.dup()  # the TLS wrapper takes over ``sock``; a duplicate stays usable
        self._watchdog = threading.Timer(delay, self._expire, args=(self._watched,))
        self._watchdog.daemon = True
        self._watchdog.start()

    def _expire(self, watched: socket.socket) -> None:
        self.expired.set()
        with contextlib.suppress(OSError):
            watched.shutdown(socket.SHUT_RDWR)

    def release(self) -> None:
        """Close everything. Not ``close``: http.client calls that when the response takes the socket."""
        self.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog.join()  # the duplicate must not be shut down after it is closed
        if self._watched is not None:
            self._watched.close()


def _request(method: str, target: _Target, addresses: Sequence[Address], run: _Run) -> _Answer:
    connection: _PinnedConnection | None = None
    try:
        connection = _PinnedConnection(target, addresses, run)
        connection.request(method, target.path, headers=_headers(target, run.policy))
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
        return _Answer(error=_describe(error, expired or time.monotonic() >= run.deadline))
    finally:
        if connection is not None:
            connection.release()


def _headers(target: _Target, policy: LinkPolicy) -> dict[str, str]:
    return {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": "*/*",
        "Accept-Encoding": "identity",  # the length we report is the file's, not a compressed one's
        "Connection": "close",
    }


def _answer(response: http.client.HTTPResponse) -> _Answer:
    return _Answer(
        status=response.status,
        content_type=_media_type(response.getheader("Content-Type")),
        content_length=_length(response.getheader("Content-Length")),
        location=response.getheader("Location"),
    )


def _media_type(value: str | None) -> str | None:
    # Without parameters, as the check:headers:content-type extras recorded in shared/realdata are.
    media_type = (value or "").split(";")[0].strip().lower()
    return media_type or None


def _length(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


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


def _describe(error: OSError | http.client.HTTPException, expired: bool) -> str:
    if expired or isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate refused: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(error, http.client.HTTPException):
        return f"invalid HTTP answer ({type(error).__name__})"
    return f"network error: {error.strerror or error}"


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
