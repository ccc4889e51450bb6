"""Real HTTP(S) servers on loopback, and a fake internet whose public-looking names lead to them."""

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from opencat.links.checker import LinkCheck, LinkPolicy, check_link, resolve_host
from tests.local_http import serving

PUBLIC = "93.184.216.34"  # the guard sees a public address; FakeInternet routes it to loopback
BIG_BODY = 10 * 1024 * 1024
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

# A self-signed certificate for public.test (valid until 2126), used as its own trust anchor.
CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUUyegZ5CMCGMAaLZ67L4bLnnqRaYwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcHVibGljLnRlc3QwIBcNMjYxMTI3MDMyNDQyWhgPMjEyNjEx
MDMwMzI0NDJaMBYxFDASBgNVBAMMC3B1YmxpYy50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE3CQC4mmDSsZ/+CBjfK4lGfb5mf+wer4IQwsldWQU83f54Ans
VCXggi6PfqxetnPvo6oUcov1gnlIoCPl28Hdb6NrMGkwHQYDVR0OBBYEFE2cOxs1
TxuK8AOxjtHKfMHgC1UyMB8GA1UdIwQYMBaAFE2cOxs1TxuK8AOxjtHKfMHgC1Uy
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILcHVibGljLnRlc3QwCgYIKoZI
zj0EAwIDRwAwRAIgU4o8N7eC5SCPVlfp+UY9yuQ6NGfAU5bgc+jEBB0QUBICIDv0
P9CKjvRPFpPhLGzzeJ4T232GdV+DZJY/LxmbXKoG
-----END CERTIFICATE-----
"""
PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2NPoBoXRf3d25/Mm
nDOuEwNtOsEqP+CmoBvmGHYKKXihRANCAATcJALiaYNKxn/4IGN8riUZ9vmZ/7B6
vghDCyV1ZBTzd/ngCexUJeCCLo9+rF62c++jqhRyi/WCeUigI+Xbwd1v
-----END PRIVATE KEY-----
"""


def clock() -> datetime:
    return NOW


# --- a local server with one route per behaviour ------------------------------------------------


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    host: str | None
    user_agent: str | None


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), Handler)
        self.seen: list[Seen] = []
        self.body_sent: list[int] = []  # bytes of the big body written before the client went away
        self.release = threading.Event()  # ends slow and dripping answers at teardown

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.route()

    def do_GET(self) -> None:
        self.route()

    def route(self) -> None:
        self.server.seen.append(
            Seen(self.command, self.path, self.headers["Host"], self.headers["User-Agent"])
        )
        path = urlsplit(self.path).path
        name, _, argument = path.strip("/").partition("/")
        answer = ROUTES.get(name, Handler.not_found)
        # The checker hangs up once it knows enough; a broken pipe here is success.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            answer(self, argument)

    def reply(self, status: int, headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def not_found(self, _: str) -> None:
        self.reply(404)

    def ok(self, _: str) -> None:
        self.reply(200, [("Content-Type", "text/CSV; charset=utf-8")], b"a,b\n1,2\n")

    def gzipped(self, _: str) -> None:
        self.reply(200, [("Content-Type", "text/csv"), ("Content-Encoding", "gzip")], b"\x1f\x8b")

    def no_head(self, code: str) -> None:
        if self.command == "HEAD":
            self.reply(int(code or 405))
        elif code:
            self.reply(200, [("Content-Type", "text/plain")], b"fine")
        else:
            self.big_body()

    def big_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(BIG_BODY))
        self.end_headers()
        sent, chunk = 0, b"x" * 65536
        try:
            while sent < BIG_BODY:
                self.wfile.write(chunk)
                sent += len(chunk)
        finally:
            self.server.body_sent.append(sent)

    def redirect(self, argument: str) -> None:
        hops = int(argument)
        # Alternate path-absolute and dot-relative Location values; the last hop leads to /ok.
        location = f"/redirect/{hops - 1}" if hops > 1 else "../ok"
        self.reply(302, [("Location", location)])

    def absolute(self, _: str) -> None:
        self.reply(301, [("Location", self.server.url("/ok"))])

    def go(self, _: str) -> None:
        target = parse_qs(urlsplit(self.path).query)["to"][0]
        self.reply(307, [("Location", target)])

    def loop(self, _: str) -> None:
        self.reply(308, [("Location", "/loop")])

    def no_location(self, _: str) -> None:
        self.reply(302)

    def status(self, code: str) -> None:
        self.reply(int(code))

    def slow(self, _: str) -> None:
        self.server.release.wait(5)
        self.reply(200)

    def slow_redirect(self, argument: str) -> None:
        self.server.release.wait(0.1)
        self.reply(302, [("Location", f"/slow_redirect/{int(argument) + 1}")])

    def drip(self, _: str) -> None:
        # Each byte comes well within any socket timeout; only a total deadline stops this.
        self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Drip: ")
        started = time.monotonic()
        while not self.server.release.wait(0.02) and time.monotonic() - started < 5:
            self.wfile.write(b"a")

    def hang_up(self, _: str) -> None:
        pass  # the connection closes without a status line

    def garbage(self, _: str) -> None:
        self.wfile.write(b"SPAM AND EGGS\r\n\r\n")


ROUTES: dict[str, Callable[[Handler, str], None]] = {
    "ok": Handler.ok,
    "no-head": Handler.no_head,
    "gzipped": Handler.gzipped,
    "redirect": Handler.redirect,
    "absolute": Handler.absolute,
    "go": Handler.go,
    "loop": Handler.loop,
    "no-location": Handler.no_location,
    "status": Handler.status,
    "slow": Handler.slow,
    "slow_redirect": Handler.slow_redirect,
    "drip": Handler.drip,
    "garbage": Handler.garbage,
    "hang-up": Handler.hang_up,
}


@contextlib.contextmanager
def serve(server: LocalServer) -> Iterator[LocalServer]:
    with serving(server):
        try:
            yield server
        finally:
            server.release.set()  # ends slow answers before the server waits for them


# --- fake DNS and routing, so that public-looking names lead to the local servers ---------------


class CountingSocket(socket.socket):
    """Counts the bytes the checker pulls from the network."""

    received = 0

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        count = super().recv_into(buffer, nbytes, flags)
        self.received += count
        return count


@dataclass
class FakeInternet:
    """Names and public addresses that lead to loopback ports; records every lookup and connection."""

    names: dict[str, list[str]] = field(default_factory=dict)
    routes: dict[tuple[str, int], int] = field(default_factory=dict)  # (address, port) -> local port
    resolved: list[str] = field(default_factory=list)
    connected: list[tuple[str, int]] = field(default_factory=list)
    sockets: list[CountingSocket] = field(default_factory=list)

    def resolve(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        if host in self.names:
            return self.names[host]
        if host.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve_host(host, port)  # IP literals and localhost: no DNS query leaves the machine

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        self.connected.append((address, port))
        if (address, port) in self.routes:
            address, port = "127.0.0.1", self.routes[address, port]
        elif address not in ("127.0.0.1", "::1"):
            # Tests never leave the machine: other addresses behave like an unplugged cable.
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        sock = CountingSocket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
        self.sockets.append(sock)
        try:
            sock.settimeout(timeout)
            sock.connect((address, port))
        except OSError:
            sock.close()
            raise
        return sock

    def check(self, url: str, **policy: Any) -> LinkCheck:
        settings = {"timeout": 2.0, "allow_private": True} | policy
        return check_link(url, LinkPolicy(**settings), clock, resolve=self.resolve, connect=self.connect)
