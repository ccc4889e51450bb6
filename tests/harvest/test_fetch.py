"""The harvester's guarded, polite, conditional GET against real servers on loopback."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opencat.domain.harvest import HarvestSourceError, SourceUnchanged
from opencat.links.harvest_fetch import GuardedFetcher, HarvestPolicy, Validators
from tests.harvest.site import Document, Site, SiteServer
from tests.links.network import PUBLIC, FakeInternet, LocalServer, serve


@pytest.fixture
def guard_server() -> Iterator[LocalServer]:
    with serve(LocalServer()) as running:
        yield running


@pytest.fixture
def internet(guard_server: LocalServer) -> FakeInternet:
    return FakeInternet(names={"public.test": [PUBLIC]}, routes={(PUBLIC, 80): guard_server.port})


def fetcher(internet: FakeInternet | None = None, **policy: Any) -> GuardedFetcher:
    settings = {"timeout": 2.0, "allow_private": True} | policy
    if internet is None:
        return GuardedFetcher(HarvestPolicy(**settings))
    return GuardedFetcher(HarvestPolicy(**settings), resolve=internet.resolve, connect=internet.connect)


def test_a_page_comes_with_its_type_and_validators(site: Site, remote: SiteServer) -> None:
    site.documents["/a"] = Document(
        b'{"data": []}', etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"
    )
    got = fetcher()

    page = got.get(remote.url("/a"), accept="application/json")

    assert (page.status, page.body, page.content_type) == (200, b'{"data": []}', "application/json")
    assert (page.etag, page.last_modified) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert site.requests[0].accept == "application/json"
    assert got.validators[remote.url("/a")] == Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")


def test_kept_validators_are_sent_back_and_a_304_says_the_source_is_unchanged(
    site: Site, remote: SiteServer
) -> None:
    site.documents["/a"] = Document(b"{}", etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    kept = {remote.url("/a"): Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")}
    got = GuardedFetcher(HarvestPolicy(allow_private=True), kept)

    # Raised, not returned: no backend can read the empty body of a 304 as the source.
    with pytest.raises(SourceUnchanged):
        got.get(remote.url("/a"))

    assert (site.requests[0].if_none_match, site.requests[0].if_modified_since) == (
        '"v1"',
        "Mon, 01 Jan 2024 00:00:00 GMT",
    )
    assert got.not_modified == [remote.url("/a")]


def test_the_etag_of_a_redirects_target_is_sent_to_it(site: Site, remote: SiteServer) -> None:
    """An opencat's ``/site/catalog`` redirects to ``catalog.nt``: the ETag kept is the target's,
    and asked again it answers 304 (the first page was fetched whole at every run). A date
    says nothing of another resource: it goes to the URL asked for only."""
    site.documents["/catalog"] = Document(b"", status=302, location="/catalog.nt")
    site.documents["/catalog.nt"] = Document(b"<a> <b> <c> .", etag='"p1"')
    kept = {remote.url("/catalog"): Validators('"p1"', "Mon, 01 Jan 2024 00:00:00 GMT")}
    got = GuardedFetcher(HarvestPolicy(allow_private=True), kept)

    with pytest.raises(SourceUnchanged):
        got.get(remote.url("/catalog"))

    target = site.requests[-1]
    assert (target.if_none_match, target.if_modified_since) == ('"p1"', None)


def test_a_changed_document_answers_200_despite_old_validators(site: Site, remote: SiteServer) -> None:
    site.documents["/a"] = Document(b"new", etag='"v2"')
    got = GuardedFetcher(HarvestPolicy(allow_private=True), {remote.url("/a"): Validators('"v1"')})

    page = got.get(remote.url("/a"))

    assert (page.status, page.body) == (200, b"new")
    assert got.validators[remote.url("/a")] == Validators('"v2"', None)
    assert got.not_modified == []


def test_requests_to_a_source_are_spaced_by_its_delay(site: Site, remote: SiteServer) -> None:
    site.documents["/a"] = Document(b"x")
    moments: list[float] = []
    now = [100.0]

    def sleep(seconds: float) -> None:
        moments.append(seconds)
        now[0] += seconds

    got = GuardedFetcher(HarvestPolicy(allow_private=True, delay=0.5), clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        got.get(remote.url("/a"))
        now[0] += 0.2  # the caller's own work between two requests counts towards the delay

    assert moments == [pytest.approx(0.3), pytest.approx(0.3)]
    assert len(site.requests) == 3


def test_a_budget_bounds_the_whole_reading(site: Site, remote: SiteServer) -> None:
    """A preview's fetcher stops at its number of requests and at its deadline, a source's delay
    included (a preview of endless pages with ``delay: 5`` held a request handler for ever)."""
    site.documents["/a"] = Document(b"x")
    counted = GuardedFetcher(HarvestPolicy(allow_private=True), max_requests=2)
    counted.get(remote.url("/a"))
    counted.get(remote.url("/a"))
    with pytest.raises(HarvestSourceError, match="stopped after 2 requests"):
        counted.get(remote.url("/a"))
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    timed = GuardedFetcher(
        HarvestPolicy(allow_private=True, delay=5), clock=lambda: now[0], sleep=sleep, deadline=108.0
    )
    timed.get(remote.url("/a"))  # at 100
    timed.get(remote.url("/a"))  # waits its delay: at 105
    with pytest.raises(HarvestSourceError, match="longer than the time given"):
        timed.get(remote.url("/a"))  # 110 would be past the deadline: not waited for
    assert now[0] == 105.0
    assert len(site.requests) == 4


def test_the_delay_is_real_time_by_default(site: Site, remote: SiteServer) -> None:
    site.documents["/a"] = Document(b"x")
    got = fetcher(delay=0.2)
    started = time.monotonic()
    got.get(remote.url("/a"))
    got.get(remote.url("/a"))

    assert time.monotonic() - started >= 0.2


def test_a_private_address_is_refused_unless_allowed(site: Site, remote: SiteServer) -> None:
    site.documents["/a"] = Document(b"x")

    with pytest.raises(HarvestSourceError, match="no public address"):
        fetcher(allow_private=False).get(remote.url("/a"))
    assert site.requests == []


def test_redirects_are_followed_and_each_target_checked(
    guard_server: LocalServer, internet: FakeInternet
) -> None:
    page = fetcher(internet, allow_private=False).get("http://public.test/redirect/2")

    assert (page.url, page.body) == ("http://public.test/ok", b"a,b\n1,2\n")
    assert internet.resolved == ["public.test"] * 3
    with pytest.raises(HarvestSourceError, match=r"refused 127\.0\.0\.1: no public address"):
        fetcher(internet, allow_private=False).get(f"http://public.test/go?to={guard_server.url('/ok')}")


def test_a_redirect_loop_fails_the_source(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match="too many redirects"):
        fetcher(internet).get("http://public.test/loop")


def test_a_slow_server_times_out(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match="timed out"):
        fetcher(internet, timeout=0.3).get("http://public.test/slow")


def test_a_dripping_server_times_out(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match=r"timed out|invalid HTTP answer"):
        fetcher(internet, timeout=0.3).get("http://public.test/drip")


def test_a_body_over_the_cap_fails_the_source(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match="over the cap"):
        fetcher(internet, max_bytes=1000).get("http://public.test/no-head")
    (sock,) = internet.sockets
    assert sock.received < 256 * 1024  # refused on the declared length, the body is not read


def test_a_status_other_than_200_fails_the_source(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match="HTTP status 500"):
        fetcher(internet).get("http://public.test/status/500")


def test_garbage_instead_of_http_fails_the_source(internet: FakeInternet) -> None:
    with pytest.raises(HarvestSourceError, match="invalid HTTP answer"):
        fetcher(internet).get("http://public.test/garbage")


def test_a_malformed_url_fails_the_source() -> None:
    with pytest.raises(HarvestSourceError, match="scheme ftp is not allowed"):
        fetcher().get("ftp://example.org/catalog")
