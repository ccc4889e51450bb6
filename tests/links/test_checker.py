"""The link checker against real HTTP servers on loopback: answers, redirects, the deadline."""

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from opencat.links.checker import LinkCheck, LinkPolicy, check_link
from tests.links.network import BIG_BODY, NOW, PUBLIC, FakeInternet, LocalServer, clock, serve

# A read-ahead buffer of http.client's socket file, plus the status line and headers.
READ_SLACK = 8192 + 1024


def elapsed(action: Callable[[], LinkCheck]) -> tuple[LinkCheck, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


# --- answers --------------------------------------------------------------------------------------


def test_head_answer_gives_status_media_type_and_length(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/ok"))

    assert result == LinkCheck(
        url=server.url("/ok"),
        final_url=server.url("/ok"),
        available=True,
        status=200,
        content_type="text/csv",
        content_length=8,
        checked_at=NOW,
        error=None,
    )
    assert [seen.method for seen in server.seen] == ["HEAD"]
    assert server.seen[0].user_agent == "opencat-linkchecker/1"


@pytest.mark.parametrize("max_bytes", [0, 1000, 64 * 1024])
def test_head_405_falls_back_to_get_and_reads_at_most_max_bytes(
    server: LocalServer, internet: FakeInternet, max_bytes: int
) -> None:
    result = internet.check(server.url("/no-head"), max_bytes=max_bytes)

    assert (result.available, result.status, result.error) == (True, 200, None)
    assert (result.content_type, result.content_length) == ("application/zip", BIG_BODY)
    assert [seen.method for seen in server.seen] == ["HEAD", "GET"]
    _, get = internet.sockets
    assert get.received <= max_bytes + READ_SLACK
    for _ in range(200):  # the body writer records its count once it notices the hang-up
        if server.body_sent:
            break
        time.sleep(0.01)
    assert server.body_sent
    assert server.body_sent[0] < BIG_BODY


def test_head_501_falls_back_to_get(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/no-head/501"))

    assert (result.available, result.status, result.content_type) == (True, 200, "text/plain")
    assert [seen.method for seen in server.seen] == ["HEAD", "GET"]


def test_other_head_errors_are_not_retried_with_get(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/no-head/403"))

    assert (result.available, result.status, result.error) == (False, 403, "HTTP status 403")
    assert [seen.method for seen in server.seen] == ["HEAD"]


@pytest.mark.parametrize("code", [404, 410, 500, 503])
def test_error_statuses_are_not_available(server: LocalServer, internet: FakeInternet, code: int) -> None:
    result = internet.check(server.url(f"/status/{code}"))

    assert (result.available, result.status, result.error) == (False, code, f"HTTP status {code}")


def test_redirect_without_location_is_the_final_answer(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/no-location"))

    assert (result.available, result.status, result.final_url) == (True, 302, server.url("/no-location"))


def test_garbage_answer_is_reported(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/garbage"))

    assert (result.available, result.status) == (False, None)
    assert result.error == "invalid HTTP answer (BadStatusLine)"


def test_closed_port_is_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = check_link(f"http://127.0.0.1:{port}/", LinkPolicy(allow_private=True), clock)

    assert (result.available, result.status, result.error) == (False, None, "connection refused")


def test_unreachable_address_is_a_network_error(internet: FakeInternet) -> None:
    internet.names["far.test"] = ["93.184.216.35"]

    result = internet.check("http://far.test/", allow_private=False)

    assert (result.available, result.error) == (False, "network error: Network is unreachable")


def test_the_next_address_is_tried_when_one_cannot_be_reached(
    server: LocalServer, internet: FakeInternet
) -> None:
    internet.names["two.test"] = ["93.184.216.35", PUBLIC]

    result = internet.check("http://two.test/ok", allow_private=False)

    assert (result.available, result.status) == (True, 200)
    assert internet.connected == [("93.184.216.35", 80), (PUBLIC, 80)]


def test_server_hanging_up_without_an_answer_is_reported(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/hang-up"))

    assert (result.available, result.error) == (False, "connection closed without an answer")


def test_unknown_name_is_a_dns_failure(internet: FakeInternet) -> None:
    result = internet.check("http://nowhere.test/")  # private addresses allowed: nothing to hide

    assert (result.available, result.status) == (False, None)
    assert result.error == "DNS failure for nowhere.test: Name or service not known"
    assert internet.connected == []
    # Where private addresses are refused, an unknown name is told as a private one is: the two
    # messages would map a private network's names for whoever reads a check's error.
    guarded = internet.check("http://nowhere.test/", allow_private=False)
    assert guarded.error == "refused nowhere.test: no public address"
    internet.names["intranet.test"] = ["10.0.0.7"]
    assert internet.check("http://intranet.test/", allow_private=False).error == (
        "refused intranet.test: no public address"
    )


def test_empty_dns_answer_is_a_dns_failure(internet: FakeInternet) -> None:
    internet.names["empty.test"] = []

    result = internet.check("http://empty.test/")

    assert (result.available, result.error) == (False, "DNS failure for empty.test: no address")
    assert (
        internet.check("http://empty.test/", allow_private=False).error
        == "refused empty.test: no public address"
    )


def test_ipv6_literal_through_the_default_seams() -> None:
    with serve(LocalServer("::1")) as running:
        policy = LinkPolicy(timeout=30.0, allow_private=True)
        result = check_link(f"http://[::1]:{running.port}/ok", policy, clock)

        assert (result.available, result.status) == (True, 200)
        assert running.seen[0].host == f"[::1]:{running.port}"


# --- redirects ------------------------------------------------------------------------------------


def test_relative_redirects_are_followed(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/redirect/3"))

    assert (result.available, result.status, result.final_url) == (True, 200, server.url("/ok"))
    assert [seen.path for seen in server.seen] == ["/redirect/3", "/redirect/2", "/redirect/1", "/ok"]


def test_absolute_redirect_is_followed(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/absolute"))

    assert (result.available, result.final_url, result.content_type) == (True, server.url("/ok"), "text/csv")


def test_redirects_up_to_the_limit_are_followed(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/redirect/2"), max_redirects=2)

    assert (result.available, result.status) == (True, 200)


def test_too_many_redirects_are_not_available(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/redirect/3"), max_redirects=2)

    assert (result.available, result.status, result.final_url) == (False, 302, server.url("/redirect/1"))
    assert result.error == "too many redirects (more than 2)"


def test_redirect_loop_stops(server: LocalServer, internet: FakeInternet) -> None:
    result = internet.check(server.url("/loop"))

    assert (result.available, result.status) == (False, 308)
    assert len(server.seen) == 6  # the first request and five redirects


# --- the deadline ---------------------------------------------------------------------------------


def test_slow_server_times_out_within_the_deadline(server: LocalServer, internet: FakeInternet) -> None:
    result, seconds = elapsed(lambda: internet.check(server.url("/slow"), timeout=0.3))

    assert (result.available, result.status, result.error) == (False, None, "timed out")
    assert 0.3 <= seconds < 1.5  # room for a loaded machine; the server would answer in 5 s


def test_dripping_server_cannot_outlast_the_deadline(server: LocalServer, internet: FakeInternet) -> None:
    result, seconds = elapsed(lambda: internet.check(server.url("/drip"), timeout=0.3))

    assert (result.available, result.error) == (False, "timed out")
    assert seconds < 1.5  # the drip lasts 5 s


def test_deadline_covers_all_hops_together(server: LocalServer, internet: FakeInternet) -> None:
    url = server.url("/slow_redirect/0")
    # Each hop takes 0.1 s; the deadline leaves room for several even on a loaded machine (at
    # 0.35 s a CI run once saw the first hop alone take it all).
    result, seconds = elapsed(lambda: internet.check(url, timeout=0.8, max_redirects=50))

    assert result.available is False
    # Whichever step of a hop the deadline falls in: on a loaded machine, the next hop's name
    # resolution ("timed out resolving 127.0.0.1"; seen once in CI).
    assert result.error is not None
    assert result.error.startswith("timed out")
    assert len(server.seen) >= 2  # each hop was quicker than the timeout; their sum was not
    assert seconds < 1.5  # 50 hops would take 5 s


def test_slow_connection_setup_counts_against_the_deadline(
    server: LocalServer, internet: FakeInternet
) -> None:
    def slow_connect(address: str, port: int, timeout: float) -> socket.socket:
        time.sleep(0.25)
        return internet.connect(address, port, timeout)

    policy = LinkPolicy(timeout=0.2)
    result = check_link(
        "http://public.test/ok", policy, clock, resolve=internet.resolve, connect=slow_connect
    )

    assert (result.available, result.error) == (False, "timed out")
    assert server.seen == []


def test_slow_name_resolution_is_bounded_by_the_deadline(internet: FakeInternet) -> None:
    hanging = threading.Event()

    def resolve(host: str, port: int) -> list[str]:
        hanging.wait(5)
        return [PUBLIC]

    policy = LinkPolicy(timeout=0.2)
    try:
        result, seconds = elapsed(
            lambda: check_link(
                "http://public.test/", policy, clock, resolve=resolve, connect=internet.connect
            )
        )
    finally:
        hanging.set()

    assert (result.available, result.error) == (False, "timed out resolving public.test")
    assert seconds < 1.5  # the resolver hangs 5 s
    assert internet.connected == []


# --- what is sent ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://public.test/ok", "public.test"),
        ("http://public.test:80/ok", "public.test"),
        ("http://public.test:8080/ok", "public.test:8080"),
        ("http://user:secret@public.test/ok", "public.test"),
    ],
)
def test_host_header_names_the_original_host(
    server: LocalServer, internet: FakeInternet, url: str, host: str
) -> None:
    result = internet.check(url, allow_private=False)

    assert result.available
    assert server.seen[0].host == host


def test_international_names_and_paths_are_encoded(server: LocalServer, internet: FakeInternet) -> None:
    internet.names["xn--bcher-kva.test"] = [PUBLIC]

    result = internet.check("http://Bücher.test/ok/é t?q=été&x=%41#fragment", allow_private=False)

    assert result.status == 200
    assert internet.resolved == ["xn--bcher-kva.test"]
    assert server.seen[0].host == "xn--bcher-kva.test"
    assert server.seen[0].path == "/ok/%C3%A9%20t?q=%C3%A9t%C3%A9&x=%41"


# --- values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 3, 4, 7, 6, 7, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 3, 4, 5, 6, 7),  # noqa: DTZ001 - a naive clock is read as UTC
    ],
)
def test_checked_at_is_aware_utc(now: datetime) -> None:
    result = check_link("ftp://public.test/", LinkPolicy(), lambda: now)

    assert result.checked_at == NOW
    assert result.checked_at.tzinfo is UTC


@pytest.mark.parametrize(
    "settings", [{"timeout": 0}, {"timeout": -1.0}, {"max_redirects": -1}, {"max_bytes": -1}]
)
def test_nonsense_policies_are_programming_errors(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="invalid link policy"):
        LinkPolicy(**settings)
