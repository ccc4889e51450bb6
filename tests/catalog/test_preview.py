"""Previews of CSV and TSV resources: our own files, remote ones through the guard, the cache, and
the dataset's visibility; on both databases."""

import contextlib
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.catalog.preview import (
    FAILURE_MAX_AGE,
    MAX_BYTES,
    REMOTE_MAX_AGE,
    Preview,
    PreviewUnavailable,
    Why,
    preview,
)
from opencat.catalog.resources import update_resource
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.changes import ResourceChanges, Submitted
from opencat.domain.errors import Gone, NotFound
from opencat.links.checker import LinkPolicy
from tests.conftest import FixedClock, utc
from tests.factories import Account, make_dataset, make_user
from tests.local_http import serving

CSV = b"name;city;count\nAlice;Paris;3\nBob;Lyon;5\nChlo\xe9;Orl\xe9ans;7\n"  # Windows-1252


class Files(BaseHTTPRequestHandler):
    """A remote site: /table.csv, /table.tsv, /big.csv, /flaky.csv (500 until told otherwise)."""

    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server
    flaky_until_fixed = threading.Event()

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = {
            "/table.csv": "région,population\nÎle-de-France,12000000\nBretagne,3300000\n".encode(),
            "/table.tsv": b"a\tb,c\n1\t2,3\n",
            "/big.csv": b"n,square\n" + b"".join(f"{n},{n * n}\n".encode() for n in range(200_000)),
            "/flaky.csv": b"a,b\n1,2\n",
            "/slow.csv": b"a,b\n1,2\n",
        }.get(self.path)
        if self.path == "/slow.csv":
            time.sleep(0.3)  # long enough for every view to ask meanwhile
        if body is None or (self.path == "/flaky.csv" and not self.flaky_until_fixed.is_set()):
            self.send_response(404 if body is None else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the reader stops at its cap
            self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Files.hits.clear()
    Files.flaky_until_fixed.clear()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Files)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def intranet(catalog: Catalog) -> Catalog:
    """The catalog, allowed to fetch from loopback (the test site) and on a clock moved by hand."""
    return replace(
        catalog, link_policy=LinkPolicy(timeout=30, allow_private=True), clock=FixedClock(utc(2026, 1, 1))
    )


def upload(client: TestClient, dataset_id: str, owner: Account, name: str, content: bytes) -> str:
    response = client.post(
        f"/api/1/datasets/{dataset_id}/upload/", files={"file": (name, content)}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def remote(catalog: Catalog, owner: Account, url: str, **fields: str) -> tuple[str, str]:
    resource = {"title": "table", "url": url, "filetype": "remote", **fields}
    view = make_dataset(catalog, owner, resources=[resource])
    return view.dataset.id, view.resources[0].id


def test_an_uploaded_csv_is_previewed(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    resource_id = upload(client, dataset.id, owner, "counts.csv", CSV)

    shown = preview(catalog, ANONYMOUS, dataset.slug, resource_id)

    assert shown == Preview(
        ("name", "city", "count"),
        (("Alice", "Paris", "3"), ("Bob", "Lyon", "5"), ("Chloé", "Orléans", "7")),
        truncated=False,
    )
    assert preview(catalog, ANONYMOUS, dataset.id, resource_id, limit=2) == Preview(
        ("name", "city", "count"), (("Alice", "Paris", "3"), ("Bob", "Lyon", "5")), truncated=True
    )


def test_a_private_dataset_previews_only_for_those_who_may_see_it(
    client: TestClient, catalog: Catalog
) -> None:
    owner, outsider = make_user(catalog), make_user(catalog)
    dataset_id = make_dataset(catalog, owner, private=True).dataset.id
    resource_id = upload(client, dataset_id, owner, "counts.csv", CSV)

    for actor in (ANONYMOUS, outsider.actor(catalog)):
        with pytest.raises(NotFound):
            preview(catalog, actor, dataset_id, resource_id)
    assert preview(catalog, owner.actor(catalog), dataset_id, resource_id).columns == (
        "name",
        "city",
        "count",
    )


def test_a_deleted_dataset_is_gone(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id
    resource_id = upload(client, dataset_id, owner, "counts.csv", CSV)
    delete_dataset(catalog, owner.actor(catalog), dataset_id)

    with pytest.raises(Gone):
        preview(catalog, ANONYMOUS, dataset_id, resource_id)


@pytest.mark.parametrize("resource_id", ["not-a-uuid", "0b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11"])
def test_an_unknown_resource_is_not_found(catalog: Catalog, resource_id: str) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id

    with pytest.raises(NotFound):
        preview(catalog, ANONYMOUS, dataset_id, resource_id)


def test_an_unknown_dataset_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound):
        preview(catalog, ANONYMOUS, "no-such-dataset", "0b0e8c1e-6d5d-4d59-9c2b-6c9f1b7a0c11")


def test_other_formats_have_no_preview(catalog: Catalog, site: str) -> None:
    owner = make_user(catalog)
    dataset_id, resource_id = remote(catalog, owner, f"{site}/report.pdf", format="pdf")

    with pytest.raises(PreviewUnavailable) as raised:
        preview(catalog, ANONYMOUS, dataset_id, resource_id)
    assert raised.value.why == Why.NOT_TABULAR
    assert Files.hits == []


def test_binary_content_has_no_preview(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner).dataset.id
    resource_id = upload(client, dataset_id, owner, "counts.csv", b"PK\x03\x04\x00\x00binary")

    with pytest.raises(PreviewUnavailable) as raised:
        preview(catalog, ANONYMOUS, dataset_id, resource_id)
    assert raised.value.why == Why.NOT_TEXT


def test_a_file_missing_from_the_store_has_no_preview(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    resource_id = upload(client, dataset.id, owner, "counts.csv", CSV)
    stored = list(Path(catalog.files.spool_dir).parent.rglob("counts.csv"))
    assert stored
    for path in stored:
        path.unlink()

    with pytest.raises(PreviewUnavailable) as raised:
        preview(catalog, ANONYMOUS, dataset.id, resource_id)
    assert raised.value.why == Why.FILE_MISSING


def test_a_remote_csv_is_fetched_once_then_cached(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/table.csv")
    expected = Preview(
        ("région", "population"), (("Île-de-France", "12000000"), ("Bretagne", "3300000")), False
    )

    assert preview(intranet, ANONYMOUS, dataset_id, resource_id) == expected
    assert preview(intranet, ANONYMOUS, dataset_id, resource_id, limit=1) == replace(
        expected, rows=expected.rows[:1], truncated=True
    )
    assert Files.hits == ["/table.csv"]


def test_many_views_at_once_fetch_a_remote_file_once(intranet: Catalog, site: str) -> None:
    """Eight views of one page at once downloaded the publisher's file eight times (anyone could
    make the server fetch a URL as often as they liked): the others wait for the first's preview."""
    ticks = itertools.count()
    # A clock that moves at each reading, as the real one: a waiter's reading, taken before it
    # waited, is older than the preview it then finds (which looked expired, and was made again).
    ticking = replace(intranet, clock=lambda: utc(2026, 1, 1) + timedelta(milliseconds=next(ticks)))
    owner = make_user(ticking)
    dataset_id, resource_id = remote(ticking, owner, f"{site}/slow.csv")
    with ThreadPoolExecutor(8) as pool:
        previews = list(pool.map(lambda _: preview(ticking, ANONYMOUS, dataset_id, resource_id), range(8)))
    assert {item.columns for item in previews} == {("a", "b")}
    assert Files.hits == ["/slow.csv"]


def test_a_remote_preview_is_fetched_again_after_a_day(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/table.csv")
    preview(intranet, ANONYMOUS, dataset_id, resource_id)
    assert isinstance(intranet.clock, FixedClock)

    intranet.clock.now += REMOTE_MAX_AGE - timedelta(seconds=1)
    preview(intranet, ANONYMOUS, dataset_id, resource_id)
    assert len(Files.hits) == 1
    intranet.clock.now += timedelta(seconds=1)
    preview(intranet, ANONYMOUS, dataset_id, resource_id)
    assert len(Files.hits) == 2


def test_a_changed_resource_is_previewed_again(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/table.csv")
    preview(intranet, ANONYMOUS, dataset_id, resource_id)
    changes = ResourceChanges(url=f"{site}/table.tsv", format="tsv")
    update_resource(intranet, owner.actor(intranet), dataset_id, resource_id, Submitted.of(changes))

    shown = preview(intranet, ANONYMOUS, dataset_id, resource_id)

    assert shown == Preview(("a", "b,c"), (("1", "2,3"),), False)  # tabs, whatever the commas say
    assert Files.hits == ["/table.csv", "/table.tsv"]


def test_a_remote_failure_is_remembered_for_a_while(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/flaky.csv")
    for _ in range(2):
        with pytest.raises(PreviewUnavailable) as raised:
            preview(intranet, ANONYMOUS, dataset_id, resource_id)
        assert (raised.value.why, raised.value.detail) == (Why.UNREACHABLE, "HTTP status 500")
    assert Files.hits == ["/flaky.csv"]

    Files.flaky_until_fixed.set()
    assert isinstance(intranet.clock, FixedClock)
    intranet.clock.now += FAILURE_MAX_AGE
    assert preview(intranet, ANONYMOUS, dataset_id, resource_id).rows == (("1", "2"),)


def test_a_large_remote_file_is_read_up_to_the_cap(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/big.csv")

    shown = preview(intranet, ANONYMOUS, dataset_id, resource_id, limit=3)

    assert shown == Preview(("n", "square"), (("0", "0"), ("1", "1"), ("2", "4")), truncated=True)
    assert MAX_BYTES < 200_000 * 8


def test_private_addresses_are_refused_by_default(catalog: Catalog, site: str) -> None:
    owner = make_user(catalog)
    dataset_id, resource_id = remote(catalog, owner, f"{site}/table.csv")

    with pytest.raises(PreviewUnavailable) as raised:
        preview(catalog, ANONYMOUS, dataset_id, resource_id)

    assert raised.value.why == Why.UNREACHABLE
    assert "no public address" in raised.value.detail
    assert Files.hits == []


def test_without_a_cache_folder_every_preview_is_made_anew(intranet: Catalog, site: str) -> None:
    uncached = replace(intranet, preview_cache=None)
    owner = make_user(uncached)
    dataset_id, resource_id = remote(uncached, owner, f"{site}/table.csv")

    preview(uncached, ANONYMOUS, dataset_id, resource_id)
    preview(uncached, ANONYMOUS, dataset_id, resource_id)

    assert Files.hits == ["/table.csv", "/table.csv"]


def test_a_damaged_cache_entry_is_made_again(intranet: Catalog, site: str) -> None:
    owner = make_user(intranet)
    dataset_id, resource_id = remote(intranet, owner, f"{site}/table.csv")
    preview(intranet, ANONYMOUS, dataset_id, resource_id)
    assert intranet.preview_cache is not None
    (intranet.preview_cache / f"{resource_id}.json").write_text("{not json")

    assert preview(intranet, ANONYMOUS, dataset_id, resource_id).columns == ("région", "population")
    assert len(Files.hits) == 2
