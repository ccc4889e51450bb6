"""Downloading the beginning of a remote file through the guard, against real servers on loopback."""

import time
from typing import Any

import pytest

from opencat.links.checker import LinkPolicy
from opencat.links.download import Download, DownloadError, download_start
from tests.links.network import BIG_BODY, FakeInternet, LocalServer


def download(internet: FakeInternet, url: str, **policy: Any) -> Download:
    settings = {"timeout": 2.0, "allow_private": True} | policy
    return download_start(url, LinkPolicy(**settings), resolve=internet.resolve, connect=internet.connect)


def test_a_small_file_comes_whole(server: LocalServer, internet: FakeInternet) -> None:
    result = download(internet, server.url("/ok"))

    assert result == Download(server.url("/ok"), server.url("/ok"), "text/csv", b"a,b\n1,2\n", complete=True)
    assert [seen.method for seen in server.seen] == ["GET"]


def test_a_large_file_is_cut_at_the_cap(server: LocalServer, internet: FakeInternet) -> None:
    result = download(internet, server.url("/no-head"), max_bytes=1000)

    assert (len(result.body), result.complete, result.content_type) == (1000, False, "application/zip")
    (sock,) = internet.sockets
    assert sock.received < 64 * 1024 < BIG_BODY  # the rest is never read


def test_a_file_exactly_at_the_cap_is_whole(server: LocalServer, internet: FakeInternet) -> None:
    result = download(internet, server.url("/ok"), max_bytes=8)

    assert (result.body, result.complete) == (b"a,b\n1,2\n", True)


def test_redirects_are_followed_through_the_guard(server: LocalServer, internet: FakeInternet) -> None:
    result = download(internet, "http://public.test/redirect/2", allow_private=False)

    assert result.final_url == "http://public.test/ok"
    assert result.body == b"a,b\n1,2\n"
    assert internet.resolved == ["public.test"] * 3


def test_private_addresses_are_refused(server: LocalServer, internet: FakeInternet) -> None:
    with pytest.raises(DownloadError, match="no public address"):
        download(internet, server.url("/ok"), allow_private=False)

    assert server.seen == []


def test_a_redirect_to_a_private_address_is_refused(server: LocalServer, internet: FakeInternet) -> None:
    with pytest.raises(DownloadError, match=r"refused 127\.0\.0\.1: no public address"):
        download(internet, f"http://public.test/go?to={server.url('/ok')}", allow_private=False)

    assert [seen.path for seen in server.seen] == [f"/go?to={server.url('/ok')}"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/status/404", "HTTP status 404"),
        ("/loop", "too many redirects (more than 5)"),
        ("/garbage", "invalid HTTP answer (BadStatusLine)"),
        ("/gzipped", "content encoding gzip is not supported"),
    ],
)
def test_failures_say_why(server: LocalServer, internet: FakeInternet, path: str, message: str) -> None:
    with pytest.raises(DownloadError) as raised:
        download(internet, server.url(path))

    assert str(raised.value) == message


def test_other_schemes_are_refused(internet: FakeInternet) -> None:
    with pytest.raises(DownloadError, match="scheme file is not allowed"):
        download(internet, "file:///etc/passwd")


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_the_deadline_bounds_the_whole_download(
    server: LocalServer, internet: FakeInternet, path: str
) -> None:
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        download(internet, server.url(path), timeout=0.3)

    assert time.monotonic() - started < 3  # the server holds the answer 5 s
