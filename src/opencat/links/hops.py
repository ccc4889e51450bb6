"""One guarded hop to a remote URL: its target parsed, its host's addresses checked (no private
network unless allowed, SSRF), and a connection pinned to those addresses until a deadline. The link
checker and the downloader share it."""

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from opencat.links.addresses import Address, Connect, Resolve, is_public_address

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
# Reserved and unreserved characters (RFC 3986 §2) and existing escapes stay as they are; anything else
# (spaces, non-ASCII) is percent-encoded as browsers do, since the request line must be ASCII.
_TARGET_SAFE = "/?:@!$&'()*+,;=%~[]"


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
class Target:
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
class Run:
    """The settings every hop of one check or download shares."""

    policy: LinkPolicy
    deadline: float  # time.monotonic() value
    resolve: Resolve
    connect: Connect


def parse_target(url: str) -> Target | str:
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
    return Target(parts.scheme, host, _DEFAULT_PORTS[parts.scheme] if port is None else port, path)


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


def next_url(current: str, location: str) -> str:
    try:
        return urljoin(current, location)
    except ValueError:
        return location  # the next hop refuses it as a malformed URL


def checked_addresses(target: Target, run: Run) -> list[Address] | str:
    """The host's addresses, or why it may not be reached: ANY non-public address refuses the host."""
    # One answer for a name that does not resolve and one that resolves to a private address:
    # these errors are shown to whoever asked (a link's check, a harvest preview's report), and
    # telling the two apart (or naming the address) would map a private network's names.
    # (Where private addresses are allowed, there is nothing to hide: the DNS failure is said.)
    unreachable = f"refused {target.host}: no public address"
    try:
        found = _resolve_before(run, target.host, target.port)
    except TimeoutError:
        return f"timed out resolving {target.host}"
    except OSError as error:
        return (
            f"DNS failure for {target.host}: {error.strerror or error}"
            if run.policy.allow_private
            else unreachable
        )
    addresses = [ipaddress.ip_address(item) for item in found]
    if not addresses:
        return f"DNS failure for {target.host}: no address" if run.policy.allow_private else unreachable
    refused = [address for address in addresses if not is_public_address(address)]
    if refused and not run.policy.allow_private:
        return unreachable
    return addresses


def _resolve_before(run: Run, host: str, port: int) -> Sequence[str]:
    """``run.resolve`` in a daemon thread: getaddrinfo has no timeout, and must not outlive the deadline."""
    outcome: list[Sequence[str] | Exception] = []

    def resolve() -> None:
        try:
            outcome.append(run.resolve(host, port))
        except Exception as error:  # handed over to the caller's thread, which re-raises it
            outcome.append(error)

    timeout = remaining(run.deadline)
    thread = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise TimeoutError(f"resolving {host}")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:  # a zero socket timeout would mean non-blocking, not "no time left"
        raise TimeoutError("deadline reached")
    return left


class PinnedConnection(http.client.HTTPConnection):
    """HTTP or HTTPS to addresses the guard has checked: no second lookup, so DNS rebinding fails."""

    def __init__(self, target: Target, addresses: Sequence[Address], run: Run) -> None:
        super().__init__(target.host, target.port, timeout=remaining(run.deadline))
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
            timeout = remaining(self._run.deadline)
            try:
                return self._run.connect(str(address), self.port, timeout)
            except OSError as error:
                failure = error
        raise failure

    def _arm(self, sock: socket.socket) -> None:
        """Shut the socket down at the deadline: socket timeouts bound each read, not their sum, so a
        server dripping one byte at a time would otherwise hold the check for as long as it likes."""
        delay = remaining(self._run.deadline)
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


def request_headers(target: Target, policy: LinkPolicy) -> dict[str, str]:
    return {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": "*/*",
        "Accept-Encoding": "identity",  # the length we report is the file's, not a compressed one's
        "Connection": "close",
    }


def media_type(value: str | None) -> str | None:
    # Without parameters, as the check:headers:content-type extras recorded in shared/realdata are.
    found = (value or "").split(";")[0].strip().lower()
    return found or None


def describe_failure(error: OSError | http.client.HTTPException, expired: bool) -> str:
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
