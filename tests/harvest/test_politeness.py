"""Politeness, timed on a real loopback server: a source's delay spaces the starts of its
requests, and a source never has two requests under way at once, whether the run reads ahead
(the DCAT backend's thread) or several threads share the source's fetcher."""

import itertools
import threading

from opencat.catalog.context import Catalog
from opencat.catalog.harvest_sources import SourceFields, create_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.domain.harvest_jobs import JobStatus
from opencat.links.harvest_fetch import GuardedFetcher, HarvestPolicy
from tests.factories import make_org, make_user
from tests.harvest.pages import publish_pages, real_datasets
from tests.harvest.site import Document, Site, SiteServer, Span
from tests.harvest.test_dcat_pages import publish
from tests.harvest.test_run import source_of

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True), batch_size=3)
DELAY = 0.3


def gaps(spans: list[Span]) -> list[float]:
    starts = sorted(span.started for span in spans)
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


def assert_spaced(spans: list[Span], delay: float) -> None:
    """The fetcher starts its k-th request at least ``k * delay`` after its first. The server sees
    each one a little later, by a loopback connection's setup and a handler thread's start. That
    lag varies, so one gap seen here can be short after a request that came in late (0.13 s
    after 0.47 s once, under a CI run's load). The k-th start is still at least ``k * delay`` after
    the first, less the first one's own lag (63 ms at most seen), never by half a delay. Without a
    delay, gaps are a few ms."""
    starts = sorted(span.started for span in spans)
    assert len(starts) > 1
    since_first = [start - starts[0] for start in starts]
    assert all(elapsed >= k * delay - delay / 2 for k, elapsed in enumerate(since_first)), gaps(spans)


def assert_one_at_a_time(spans: list[Span]) -> None:
    ordered = sorted(spans, key=lambda span: span.started)
    for earlier, later in itertools.pairwise(ordered):
        assert later.started >= earlier.ended, f"{later.path} began before {earlier.path} was answered"


def test_a_sources_delay_spaces_its_requests(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish_pages(site, remote.url(""), real_datasets(7), page_size=2)  # 4 pages
    source_id = source_of(catalog, remote, page_size=2, delay=DELAY)

    job = run_source(catalog, source_id, OPTIONS)  # the policy's own delay is 0: the source's applies

    assert job.status == JobStatus.DONE
    assert len(site.spans) == 4
    assert_spaced(site.spans, DELAY)


def test_without_a_delay_requests_follow_each_other(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    """The other side of the test above: the spacing is the delay's doing, not the run's pace."""
    publish_pages(site, remote.url(""), real_datasets(7), page_size=2)
    source_id = source_of(catalog, remote, page_size=2)

    assert run_source(catalog, source_id, OPTIONS).status == JobStatus.DONE
    assert min(gaps(site.spans)) < DELAY / 2


def test_the_dcat_read_ahead_never_overlaps_two_requests(
    catalog: Catalog, site: Site, remote: SiteServer
) -> None:
    pages: list[list[tuple[str, str | None]]] = [
        [(f"d{page}{entry}", f"D {page} {entry}") for entry in range(3)] for page in range(5)
    ]
    publish(site, remote, pages)
    for document in site.documents.values():
        document.delay = 0.1  # slow answers: a request started ahead would overlap one under way
    admin = make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Harvesters", **{admin.user.id: "admin"})
    fields = SourceFields(
        name="DCAT",
        url=remote.url("/catalog?page=1"),
        backend="dcat",
        organization=org.id,
        config={"delay": DELAY},
    )
    source_id = create_source(catalog, admin.actor(catalog), fields).source.id

    job = run_source(catalog, source_id, OPTIONS)

    assert (job.status, job.counts.created) == (JobStatus.DONE, 15)
    assert len(site.spans) == 5
    assert_one_at_a_time(site.spans)
    assert_spaced(site.spans, DELAY)


def test_threads_sharing_a_sources_fetcher_take_turns(site: Site, remote: SiteServer) -> None:
    """Concurrency per source is one: the fetcher serialises its callers, whichever thread asks."""
    for number in range(6):
        site.documents[f"/slow/{number}"] = Document(b"{}", delay=0.1)
    fetcher = GuardedFetcher(HarvestPolicy(timeout=5, allow_private=True))
    threads = [
        threading.Thread(target=fetcher.get, args=(remote.url(f"/slow/{number}"),)) for number in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (fetcher.requests, len(site.spans)) == (6, 6)
    assert_one_at_a_time(site.spans)
