"""Fixtures: a local server per test, optionally with TLS, and the fake internet that reaches it."""

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.links.network import CERTIFICATE, PRIVATE_KEY, PUBLIC, FakeInternet, LocalServer, serve


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve(LocalServer()) as running:
        yield running


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[LocalServer]:
    (tmp_path / "cert.pem").write_text(CERTIFICATE)
    (tmp_path / "key.pem").write_text(PRIVATE_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    local = LocalServer()
    local.socket = context.wrap_socket(local.socket, server_side=True)
    with serve(local) as running:
        yield running


@pytest.fixture
def internet(server: LocalServer) -> FakeInternet:
    return FakeInternet(
        names={"public.test": [PUBLIC]},
        routes={(PUBLIC, 80): server.port, (PUBLIC, 8080): server.port},
    )


@pytest.fixture
def tls_internet(internet: FakeInternet, tls_server: LocalServer) -> FakeInternet:
    internet.routes[PUBLIC, 443] = tls_server.port
    internet.names["other.test"] = [PUBLIC]
    return internet


@pytest.fixture
def trust_test_certificate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # ssl.create_default_context() reads OpenSSL's default paths, which honour SSL_CERT_FILE.
    (tmp_path / "ca.pem").write_text(CERTIFICATE)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
