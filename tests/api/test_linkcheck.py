"""GET …/resources/{rid}/check/: the link check, kept in the resource's extras."""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog.context import Catalog
from opencat.config import Settings
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Database
from tests.conftest import BASE_URL
from tests.factories import Account, make_dataset, make_user
from tests.local_http import serving


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server
    answer_slow = threading.Event()  # when ``/slow`` may answer

    def do_HEAD(self) -> None:
        self.hits.append(self.path)
        if self.path == "/slow":
            self.answer_slow.wait(10)
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", "42")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    _Handler.hits.clear()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Handler)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def intranet_client(db: Database, settings: Settings) -> Iterator[TestClient]:
    relaxed = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        linkcheck_allow_private=True,
    )
    with TestClient(create_app(relaxed, database=db), base_url=BASE_URL) as client:
        yield client


def _resource(catalog: Catalog, url: str, owner: Account | None = None) -> tuple[str, str]:
    """A remote resource pointing at ``url``, stored directly: URL validation refuses loopback."""
    owner = owner or make_user(catalog)
    view = make_dataset(
        catalog, owner, resources=[{"title": "r", "url": "https://example.org/x", "filetype": "remote"}]
    )
    with catalog.db.write() as conn:
        db_resources.update_one(conn, replace(view.resources[0], url=url), catalog.clock())
    return view.dataset.id, view.resources[0].id


def test_check_reports_and_stores_the_answer(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    response = intranet_client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/")
    assert response.status_code == 200
    result = response.json()
    assert (result["check:available"], result["check:status"], result["check:headers:content-type"], result["check:headers:content-length"]) == (
        True, 200, "text/csv", 42,
    )  # fmt: skip
    checked = datetime.fromisoformat(result["check:date"])  # naive UTC, as udata's JSON says it
    assert checked.tzinfo is None
    assert abs(checked - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)
    extras = intranet_client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/").json()["extras"]
    assert extras["check:status"] == 200
    assert extras["check:count-availability"] == 1


def test_an_edit_saved_while_a_check_runs_is_not_written_over(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    """The check's result is written to the resource as it is when the check ends: an edit that
    committed meanwhile (its dataset's row locked, as every edit does) stays."""
    dataset_id, rid = _resource(catalog, f"{site}/slow")
    _Handler.answer_slow.clear()
    with ThreadPoolExecutor(1) as pool:
        checking = pool.submit(intranet_client.get, f"/api/1/datasets/{dataset_id}/resources/{rid}/check/")
        deadline = time.monotonic() + 10
        while "/slow" not in _Handler.hits and time.monotonic() < deadline:
            time.sleep(0.01)
        with catalog.db.write() as conn:
            assert db_datasets.find_by_id(conn, dataset_id) is not None  # the row locked, as an edit
            current = db_resources.find(conn, dataset_id, rid)
            assert current is not None
            db_resources.update_one(conn, replace(current, title="Edited meanwhile"), catalog.clock())
            _Handler.answer_slow.set()
            time.sleep(0.5)  # the check ends and reaches its write while this edit is open
        assert checking.result().status_code == 200
    with catalog.db.read() as conn:
        stored = db_resources.find(conn, dataset_id, rid)
    assert stored is not None
    assert (stored.title, stored.extras["check:status"]) == ("Edited meanwhile", 200)


def test_a_missing_target_is_unavailable(intranet_client: TestClient, catalog: Catalog, site: str) -> None:
    dataset_id, rid = _resource(catalog, f"{site}/missing")
    result = intranet_client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/").json()
    assert (result["check:available"], result["check:status"]) == (False, 404)
    quality = intranet_client.get(f"/api/1/datasets/{dataset_id}/").json()["quality"]
    assert quality["all_resources_available"] is False


def test_private_addresses_are_refused_by_default(client: TestClient, catalog: Catalog, site: str) -> None:
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    result = client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/").json()
    assert result["check:available"] is False
    assert "check:status" not in result  # no HTTP answer: no status, rather than a null one
    assert "refused" in result["check:error"]


def test_a_failed_check_leaves_the_resource_extras_writable(
    client: TestClient, catalog: Catalog, site: str
) -> None:
    """An analyser writes its results through the v2 extras endpoints: a visitor's check of a dead
    link must not lock it out (a stored null status failed every later write's type check)."""
    owner = make_user(catalog)
    dataset_id, rid = _resource(catalog, f"{site}/gone.csv", owner)  # refused by default: no answer
    extras = f"/api/2/datasets/{dataset_id}/resources/{rid}/extras/"
    assert (
        client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/").json()["check:available"] is False
    )
    written = client.put(extras, json={"analysis:mime-type": "text/csv"}, headers=owner.headers)
    assert written.status_code == 200, written.text
    assert (
        client.request("DELETE", extras, json=["analysis:mime-type"], headers=owner.headers).status_code
        == 204
    )


def test_hosted_files_are_checked_in_the_store(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    uploaded = client.post(
        f"/api/1/datasets/{dataset.id}/upload/", files={"file": ("a.csv", b"a\n")}, headers=owner.headers
    ).json()
    result = client.get(f"/api/1/datasets/{dataset.id}/resources/{uploaded['id']}/check/").json()
    assert (result["check:available"], result["check:status"]) == (True, 200)


def test_unknown_resource_is_404(client: TestClient, catalog: Catalog) -> None:
    dataset = make_dataset(catalog, make_user(catalog)).dataset
    assert (
        client.get(
            f"/api/1/datasets/{dataset.id}/resources/00000000-0000-4000-8000-000000000000/check/"
        ).status_code
        == 404
    )


def test_a_check_moves_neither_the_etag_nor_a_publishers_if_match(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    owner = make_user(catalog)
    dataset_id, rid = _resource(catalog, f"{site}/data.csv", owner)
    before = intranet_client.get(f"/api/1/datasets/{dataset_id}/").headers["etag"]
    assert intranet_client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/").status_code == 200
    assert intranet_client.get(f"/api/1/datasets/{dataset_id}/").headers["etag"] == before
    edited = intranet_client.put(
        f"/api/1/datasets/{dataset_id}/",
        json={"title": "Edited after a visitor's check"},
        headers={**owner.headers, "If-Match": before},
    )
    assert edited.status_code == 200, edited.text


def test_a_link_is_checked_once_per_interval_whoever_asks(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    url = f"/api/1/datasets/{dataset_id}/resources/{rid}/check/"
    first = intranet_client.get(url).json()
    again = [intranet_client.get(url) for _ in range(10)]
    assert {response.status_code for response in again} == {200}
    assert all(response.json()["check:date"] == first["check:date"] for response in again)
    assert _Handler.hits == ["/data.csv"]
    extras = intranet_client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/").json()["extras"]
    assert extras["check:count-availability"] == 1


def test_concurrent_first_checks_probe_once_and_the_others_retry(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    url = f"/api/1/datasets/{dataset_id}/resources/{rid}/check/"
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: intranet_client.get(url), range(8)))
    assert _Handler.hits == ["/data.csv"]
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 429}
    for response in responses:
        if response.status_code == 429:
            assert response.headers["retry-after"] == "5"
            assert "retry" in response.json()["message"]


def test_the_interval_is_a_setting(db: Database, settings: Settings, catalog: Catalog, site: str) -> None:
    every_time = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        linkcheck_allow_private=True,
        linkcheck_interval=0,
    )
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    with TestClient(create_app(every_time, database=db), base_url=BASE_URL) as client:
        for _ in range(3):
            client.get(f"/api/1/datasets/{dataset_id}/resources/{rid}/check/")
    assert len(_Handler.hits) == 3


def test_a_check_that_fails_gives_its_claim_back(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store unavailable during a check: a 503, and the next caller may check at once (the
    claim stayed, and every caller got 429 for the whole interval with nothing checking)."""
    from opencat.domain.errors import Reason, Unavailable
    from opencat.files.local import LocalFileStore

    owner = make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    uploaded = client.post(
        f"/api/1/datasets/{dataset.id}/upload/", files={"file": ("a.csv", b"a\n")}, headers=owner.headers
    ).json()
    url = f"/api/1/datasets/{dataset.id}/resources/{uploaded['id']}/check/"

    def unavailable(_store: object, _key: str) -> bool:
        raise Unavailable(Reason.FILE_STORE_UNAVAILABLE)

    with monkeypatch.context() as patched:
        patched.setattr(LocalFileStore, "exists", unavailable)
        failed = client.get(url)
        assert failed.status_code == 503
        assert failed.json() == {"message": "The file store is unavailable, please retry later"}
    checked = client.get(url)
    assert checked.status_code == 200, checked.text
    assert checked.json()["check:available"] is True


def test_checks_beyond_the_processs_few_at_once_are_told_to_retry(
    intranet_client: TestClient, catalog: Catalog, site: str
) -> None:
    """A check holds an API handler slot for up to the link's timeout: ten anonymous checks of
    links that accept and never answer held a worker's ten slots, and every API request of that
    worker waited (9.5 s for a list page, in a review). A process checks two links at once."""
    checking = intranet_client.app.state.services.catalog  # type: ignore[attr-defined]
    dataset_id, rid = _resource(catalog, f"{site}/data.csv")
    url = f"/api/1/datasets/{dataset_id}/resources/{rid}/check/"
    for _ in range(2):  # two checks of other links, still running
        assert checking.link_probes.acquire(blocking=False)
    try:
        busy = intranet_client.get(url)
        assert (busy.status_code, busy.headers["retry-after"]) == (429, "5")
        assert busy.json() == {"message": "Too many links are being checked; retry in a few seconds"}
        assert _Handler.hits == []
    finally:
        checking.link_probes.release()
    answered = intranet_client.get(url)  # one slot free
    assert (answered.status_code, answered.json()["check:available"]) == (200, True)
    checking.link_probes.release()
    for _ in range(2):  # every slot was given back
        assert checking.link_probes.acquire(blocking=False)
    for _ in range(2):
        checking.link_probes.release()
