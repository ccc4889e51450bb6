"""A DCAT re-run skips the pages it read last time when their bytes and the mapping's context are
the same (``harvest_pages``), on both databases; anything that could change what a page maps to
makes it read again."""

import zlib
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.catalog import harvest_mapping
from opencat.catalog.context import Catalog
from opencat.catalog.harvest_backends import dcat as dcat_backend
from opencat.catalog.harvest_sources import SourceFields, create_source
from opencat.catalog.harvesting import RunOptions, run_source
from opencat.db import harvest as db_harvest
from opencat.db.tables import licenses
from opencat.domain.harvest_jobs import Counts, HarvestJob, ItemStatus, JobStatus
from opencat.links.harvest_fetch import HarvestPolicy
from tests.factories import make_org, make_user
from tests.harvest.site import Document, Site, SiteServer
from tests.harvest.test_run import harvested, items_of

OPTIONS = RunOptions(policy=HarvestPolicy(timeout=5, allow_private=True), batch_size=3)
NEW_LICENSE = "https://licenses.example.org/open-2"


def _dataset(remote: SiteServer, name: str, title: str | None, license: str = NEW_LICENSE) -> str:
    iri = remote.url(f"/datasets/{name}")
    lines = [
        f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .",
        f'<{iri}> <http://purl.org/dc/terms/identifier> "{name}" .',
        f"<{iri}> <http://purl.org/dc/terms/license> <{license}> .",
    ]
    if title is not None:
        lines.append(f'<{iri}> <http://purl.org/dc/terms/title> "{title}" .')
    return "\n".join(lines)


def publish(site: Site, remote: SiteServer, pages: list[list[tuple[str, str | None]]]) -> None:
    """``pages`` of ``(name, title)`` as N-Triples linked by hydra:next, at /catalog?page=N."""
    site.documents.clear()
    for number, entries in enumerate(pages, start=1):
        body = "\n".join(_dataset(remote, name, title) for name, title in entries)
        if number < len(pages):
            this, following = remote.url(f"/catalog?page={number}"), remote.url(f"/catalog?page={number + 1}")
            body += f"\n<{this}> <http://www.w3.org/ns/hydra/core#next> <{following}> ."
        site.documents[f"/catalog?page={number}"] = Document(body.encode() + b"\n", "application/n-triples")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs of the pages the DCAT backend parses (the real reader, watched)."""
    seen: list[str] = []
    real: Callable[..., Any] = dcat_backend.read_catalog_page

    def watched(body: bytes, content_type: str | None, url: str, **options: Any) -> Any:
        seen.append(url.rsplit("/", 1)[-1])
        return real(body, content_type, url, **options)

    monkeypatch.setattr(dcat_backend, "read_catalog_page", watched)
    return seen


def dcat_source(catalog: Catalog, remote: SiteServer) -> str:
    admin = make_user(catalog, sysadmin=True)
    org = make_org(catalog, "Harvesters", **{admin.user.id: "admin"})
    fields = SourceFields(name="DCAT", url=remote.url("/catalog?page=1"), backend="dcat", organization=org.id)
    return create_source(catalog, admin.actor(catalog), fields).source.id


def counts(job: HarvestJob) -> tuple[int, int, int, int, int]:
    c = job.counts
    return c.created, c.updated, c.unchanged, c.archived, c.failed


TWO_PAGES = [[("a", "A"), ("b", "B")], [("c", "C"), ("d", "D")]]


def test_an_unchanged_page_is_not_read_again(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    assert counts(run_source(catalog, source_id, OPTIONS)) == (4, 0, 0, 0, 0)
    assert reads == ["catalog?page=1", "catalog?page=2"]
    with catalog.db.read() as conn:
        assert len(db_harvest.pages_of(conn, source_id)) == 2

    again = run_source(catalog, source_id, OPTIONS)

    assert again.status == JobStatus.DONE
    assert counts(again) == (0, 0, 4, 0, 0)
    assert reads == ["catalog?page=1", "catalog?page=2"]  # fetched, not parsed
    assert [request.path for request in site.requests][-2:] == ["/catalog?page=1", "/catalog?page=2"]


def test_a_changed_page_is_read_again_and_a_skipped_one_is_not_gone(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    publish(site, remote, [[("a", "A"), ("b", "B")], [("c", "C changed")]])

    again = run_source(catalog, source_id, OPTIONS)

    assert counts(again) == (0, 1, 2, 1, 0)  # page 1 skipped, yet a and b were seen
    assert reads[2:] == ["catalog?page=2"]
    stored = harvested(catalog, source_id)
    assert stored["c"].title == "C changed"
    assert stored["d"].archived is not None
    assert stored["a"].archived is None
    assert stored["b"].archived is None


def test_a_changed_license_list_maps_every_page_again(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    assert {dataset.license for dataset in harvested(catalog, source_id).values()} == {None}
    with catalog.db.write() as conn:
        conn.execute(
            licenses.insert().values(
                id="open-2",
                position=1000,
                title="Open 2",
                url=NEW_LICENSE,
                flags=[],
                alternate_urls=[],
                alternate_titles=[],
            )
        )
    try:
        again = run_source(catalog, source_id, OPTIONS)

        assert counts(again) == (0, 4, 0, 0, 0)
        assert reads[2:] == ["catalog?page=1", "catalog?page=2"]
        assert {dataset.license for dataset in harvested(catalog, source_id).values()} == {"open-2"}
    finally:
        # The license list is seeded once per session and not emptied between tests (the
        # `db` fixture keeps reference tables): a license left here was listed by later tests.
        with catalog.db.write() as conn:
            conn.execute(licenses.delete().where(licenses.c.id == "open-2"))


def test_a_new_mapping_or_reader_version_reads_every_page_again(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)

    monkeypatch.setattr(dcat_backend, "READER_VERSION", dcat_backend.READER_VERSION + "-next")
    assert counts(run_source(catalog, source_id, OPTIONS)) == (0, 0, 4, 0, 0)
    assert reads[2:] == ["catalog?page=1", "catalog?page=2"]

    monkeypatch.setattr(harvest_mapping, "MAPPING_VERSION", harvest_mapping.MAPPING_VERSION + "-next")
    assert counts(run_source(catalog, source_id, OPTIONS)) == (0, 4, 0, 0, 0)  # mapped and written again
    assert reads[4:] == ["catalog?page=1", "catalog?page=2"]

    assert counts(run_source(catalog, source_id, OPTIONS)) == (0, 0, 4, 0, 0)
    assert reads[6:] == []


def test_a_page_with_a_failed_entry_is_read_again(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    publish(site, remote, [[("a", "A"), ("b", None)], [("c", "C")]])
    source_id = dcat_source(catalog, remote)
    first = run_source(catalog, source_id, OPTIONS)
    assert counts(first) == (2, 0, 0, 0, 1)

    again = run_source(catalog, source_id, OPTIONS)

    assert again.status == JobStatus.DONE_ERRORS
    assert counts(again) == (0, 0, 2, 0, 1)
    assert reads[2:] == ["catalog?page=1"]  # the failure is reported again; page 2 skipped
    assert [item.status for item in items_of(catalog, again.id)] == [ItemStatus.FAILED]


def test_a_page_back_as_it_was_before_a_failed_run_is_read_again(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    """Run 1 reads page 1; run 2 reads it changed, updates ``a``, then fails on page 2; page 1
    back as run 1 read it must not be skipped: ``a`` holds run 2's version."""
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    publish(site, remote, [[("a", "A changed"), ("b", "B")], [("c", "C"), ("d", "D")]])
    site.documents["/catalog?page=2"] = Document(b"not found", "text/plain", status=404)
    failed = run_source(catalog, source_id, OPTIONS)
    assert failed.status == JobStatus.FAILED
    assert harvested(catalog, source_id)["a"].title == "A changed"
    publish(site, remote, TWO_PAGES)

    again = run_source(catalog, source_id, OPTIONS)

    assert counts(again) == (0, 1, 3, 0, 0)
    # run 1 read both pages, run 2 page 1 (page 2 failed to fetch), run 3 page 1 only: page 2
    # is as run 1 left it, page 1 is not
    assert reads == ["catalog?page=1", "catalog?page=2", "catalog?page=1", "catalog?page=1"]
    assert harvested(catalog, source_id)["a"].title == "A"


def test_a_remote_id_repeated_on_a_skipped_page_is_a_failed_item(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    publish(site, remote, [[("a", "A"), ("b", "B"), ("c", "C")], [("c", "C"), ("d", "D")]])

    again = run_source(catalog, source_id, OPTIONS)

    assert again.counts == Counts(created=0, updated=0, unchanged=4, archived=0, failed=1)
    assert reads[2:] == ["catalog?page=1"]  # page 2 unchanged: skipped, its c listed twice
    failed = items_of(catalog, again.id)
    assert [(item.remote_id, item.status) for item in failed] == [("c", ItemStatus.FAILED)]
    with catalog.db.read() as conn:
        pages = db_harvest.pages_of(conn, source_id)
    assert len(pages) == 1  # page 2 is not remembered again: its next run reads it


def test_the_pages_of_a_deleted_source_go_with_it(catalog: Catalog, site: Site, remote: SiteServer) -> None:
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    with catalog.db.write() as conn:
        conn.execute(sa.text("DELETE FROM harvest_sources WHERE id = :id"), {"id": source_id})
    with catalog.db.read() as conn:
        assert db_harvest.pages_of(conn, source_id) == {}


def test_the_pages_a_failed_run_read_whole_are_skipped_by_the_next(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    """A run writes the pages it read with each batch: when it fails further on, the next run
    does not read them again (their entries are recorded as they were read)."""
    publish(site, remote, TWO_PAGES)
    site.documents["/catalog?page=2"] = Document(b"not found", "text/plain", status=404)
    source_id = dcat_source(catalog, remote)
    failed = run_source(catalog, source_id, OPTIONS)
    assert (failed.status, counts(failed)) == (JobStatus.FAILED, (2, 0, 0, 0, 0))
    publish(site, remote, TWO_PAGES)

    again = run_source(catalog, source_id, OPTIONS)

    assert (again.status, counts(again)) == (JobStatus.DONE, (2, 0, 2, 0, 0))
    assert reads == ["catalog?page=1", "catalog?page=2"]
    with catalog.db.read() as conn:
        assert len(db_harvest.pages_of(conn, source_id)) == 2


def with_validators(site: Site, etags: bool = True) -> None:
    """Each page's answer carries an ETag (else a Last-Modified) naming its bytes."""
    for document in site.documents.values():
        stamp = f"{zlib.crc32(document.body):08x}"
        if etags:
            document.etag = f'"{stamp}"'
        else:
            # A second of the day from the body's checksum: two bodies sharing an hour only made
            # a changed page look unchanged once in 24 runs.
            second = int(stamp, 16) % 86_400
            document.last_modified = (
                f"Tue, 01 Dec 2026 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d} GMT"
            )


def conditional(site: Site, since: int) -> list[tuple[str, bool]]:
    """The requests from ``since`` on: (path, whether it sent a validator)."""
    return [
        (request.path, bool(request.if_none_match or request.if_modified_since))
        for request in site.requests[since:]
    ]


@pytest.mark.parametrize("etags", [True, False], ids=["etag", "last_modified"])
def test_pages_are_asked_for_with_their_validators_and_skipped_on_a_304(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str], etags: bool
) -> None:
    publish(site, remote, TWO_PAGES)
    with_validators(site, etags)
    source_id = dcat_source(catalog, remote)
    assert counts(run_source(catalog, source_id, OPTIONS)) == (4, 0, 0, 0, 0)
    assert conditional(site, 0) == [("/catalog?page=1", False), ("/catalog?page=2", False)]

    again = run_source(catalog, source_id, OPTIONS)

    assert (again.status, counts(again)) == (JobStatus.DONE, (0, 0, 4, 0, 0))
    assert conditional(site, 2) == [("/catalog?page=1", True), ("/catalog?page=2", True)]
    assert reads == ["catalog?page=1", "catalog?page=2"]  # both answered 304: neither read
    # page 2 changes (d leaves the source): page 1 still answers 304, page 2 is read, d archived
    publish(site, remote, [[("a", "A"), ("b", "B")], [("c", "C")]])
    with_validators(site, etags)

    third = run_source(catalog, source_id, OPTIONS)

    assert counts(third) == (0, 0, 3, 1, 0)
    assert reads[2:] == ["catalog?page=2"]
    assert harvested(catalog, source_id)["d"].archived is not None
    assert conditional(site, 4) == [("/catalog?page=1", True), ("/catalog?page=2", True)]


def test_a_304_under_another_mapping_asks_for_the_page_again_whole(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 304 says the page's bytes are the same, not that they map the same: under a new mapping
    version the page is asked for again without validators, and read."""
    publish(site, remote, TWO_PAGES)
    with_validators(site)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    monkeypatch.setattr(harvest_mapping, "MAPPING_VERSION", harvest_mapping.MAPPING_VERSION + "-next")

    again = run_source(catalog, source_id, OPTIONS)

    assert counts(again) == (0, 4, 0, 0, 0)
    assert reads[2:] == ["catalog?page=1", "catalog?page=2"]
    assert conditional(site, 2) == [
        ("/catalog?page=1", True),
        ("/catalog?page=1", False),
        ("/catalog?page=2", True),
        ("/catalog?page=2", False),
    ]
    assert counts(run_source(catalog, source_id, OPTIONS)) == (0, 0, 4, 0, 0)  # 304s again
    assert reads[4:] == []


def test_pages_kept_without_validators_get_them_when_next_fetched_whole(
    catalog: Catalog, site: Site, remote: SiteServer, reads: list[str]
) -> None:
    """A page kept before its answers carried validators (or before opencat kept them) is skipped by
    its digest and keeps the validators that answer carried: the run after asks with them."""
    publish(site, remote, TWO_PAGES)
    source_id = dcat_source(catalog, remote)
    run_source(catalog, source_id, OPTIONS)
    with_validators(site)  # the same bytes, now with ETags

    second = run_source(catalog, source_id, OPTIONS)
    third = run_source(catalog, source_id, OPTIONS)

    assert counts(second) == counts(third) == (0, 0, 4, 0, 0)
    assert reads == ["catalog?page=1", "catalog?page=2"]  # never parsed again
    assert conditional(site, 2) == [
        ("/catalog?page=1", False),
        ("/catalog?page=2", False),
        ("/catalog?page=1", True),
        ("/catalog?page=2", True),
    ]
    with catalog.db.read() as conn:
        assert len(db_harvest.pages_of(conn, source_id)) == 2


@pytest.mark.parametrize("body", [b"", b"  \n", b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"])
def test_an_empty_answer_is_no_catalog_and_archives_nothing(
    catalog: Catalog, site: Site, remote: SiteServer, body: bytes
) -> None:
    """An empty 200 (or a document of no statement) read as an empty catalog archived every
    dataset of the source: it fails the job, as any answer that is no catalog."""
    publish(site, remote, [[("a", "A"), ("b", "B")]])
    source_id = dcat_source(catalog, remote)
    assert run_source(catalog, source_id, OPTIONS).counts.created == 2
    site.documents["/catalog?page=1"] = Document(body, "text/turtle")

    job = run_source(catalog, source_id, OPTIONS)

    assert job.status == JobStatus.FAILED
    assert "no catalog to read" in job.errors[0]["message"]
    assert counts(job) == (0, 0, 0, 0, 0)
    assert all(dataset.archived is None for dataset in harvested(catalog, source_id).values())
