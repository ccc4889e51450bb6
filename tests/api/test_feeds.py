"""recent.atom (udata: udata/core/dataset/api.py, RecentDatasetsAtomFeed)."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from opencat.catalog import feeds, indexing
from opencat.catalog.context import Catalog
from opencat.catalog.curation import follow
from opencat.catalog.feeds import recent
from opencat.db import datasets as db_datasets
from opencat.db.tables import organizations
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.queries import DatasetQuery
from tests.factories import load_documents, make_dataset, make_org, make_user

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client: TestClient, query: str = "") -> ElementTree.Element:
    response = client.get(f"/api/1/datasets/recent.atom{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)


def test_empty_feed_matches_udata(client: TestClient) -> None:
    feed = _feed(client)
    assert feed.find(f"{ATOM}title").text == "Latest datasets"
    assert feed.find(f"{ATOM}id").text == "http://testserver/"
    assert feed.findall(f"{ATOM}entry") == []


def test_moderation_delay_and_certified_organizations(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    certified = make_org(catalog, "Certified", **{alice.user.id: "admin"})
    with catalog.db.write() as conn:  # badges come from the admin side, not this API
        conn.execute(
            organizations.update().where(organizations.c.id == certified.id).values(badges=["certified"])
        )
    view = make_dataset(
        catalog, alice, organization=certified.id, title="Certifié", description="**gras** <script>x</script>"
    )
    make_dataset(catalog, alice, title="Pas encore")
    make_dataset(catalog, alice, title="Privé", private=True)
    entries = _feed(client).findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == ["Certifié"]
    entry = entries[0]
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Certified"
    content = entry.find(f"{ATOM}content").text or ""
    assert "<strong>gras</strong>" in content
    assert "<script>" not in content
    assert (entry.find(f"{ATOM}id").text or "").endswith(f"/api/1/datasets/{view.dataset.id}/")
    eleven_hours_later = replace(catalog, clock=lambda: catalog.clock() + timedelta(hours=11))
    titles = {item.view.dataset.title for item in recent(eleven_hours_later, ANONYMOUS, DatasetQuery())}
    assert titles == {"Certifié", "Pas encore"}


def test_a_dataset_hidden_after_the_index_answered_is_not_in_the_feed(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed reads its candidates' rows after the index named them (PostgreSQL reads each
    statement afresh): one made private meanwhile is left out, as the lists leave it out."""
    alice = make_user(catalog)
    shown = make_dataset(catalog, alice, title="Shown").dataset.id
    hidden = make_dataset(catalog, alice, title="Hidden meanwhile").dataset.id
    real_fetch = db_datasets.fetch_by_ids

    def rows_read_after_one_is_made_private(conn: Any, ids: Any) -> Any:
        rows = real_fetch(conn, ids)
        return {i: replace(row, private=True) if i == hidden else row for i, row in rows.items()}

    indexing.sync(catalog)  # the index has both, public
    monkeypatch.setattr(db_datasets, "fetch_by_ids", rows_read_after_one_is_made_private)
    later = replace(catalog, clock=lambda: catalog.clock() + timedelta(days=1))
    assert [entry.view.dataset.id for entry in recent(later, ANONYMOUS, DatasetQuery())] == [shown]


def test_titles_follow_the_query(client: TestClient) -> None:
    assert _feed(client, "?q=bus").find(f"{ATOM}title").text == "Datasets search: bus"
    assert _feed(client, "?tag=transport").find(f"{ATOM}title").text == "Filtered datasets"


def test_visibility_filters_need_an_identified_caller(client: TestClient, catalog: Catalog) -> None:
    for name in ("private", "archived", "deleted"):
        refused = client.get(f"/api/1/datasets/recent.atom?{name}=false")
        assert refused.status_code == 401, name
        assert refused.headers["content-type"].startswith("application/json")
    alice = make_user(catalog)
    allowed = client.get("/api/1/datasets/recent.atom?private=true", headers=alice.headers)
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith("application/atom+xml")


def test_a_burst_of_young_datasets_does_not_empty_the_feed(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "BATCH", 3)  # the burst spans several batches of candidates
    alice = make_user(catalog)
    old = {make_dataset(catalog, alice, title=f"Ancien {n}").dataset.title for n in range(4)}
    later = replace(catalog, clock=lambda: catalog.clock() + timedelta(hours=11))
    for n in range(8):
        make_dataset(later, alice, title=f"Rafale {n}")  # created 11 hours later, still held back
    titles = [item.view.dataset.title for item in recent(later, ANONYMOUS, DatasetQuery())]
    assert titles == sorted(old, reverse=True)  # the same creation second: newest id first
    monkeypatch.setattr(feeds, "FEED_SIZE", 2)
    assert len(recent(later, ANONYMOUS, DatasetQuery())) == 2


def test_only_parsed_arguments_with_a_value_make_a_filtered_feed(client: TestClient) -> None:
    """udata: any argument its parser reads, but the paging and the sort, with a truthy value
    (reqparse does not trim: a ``q`` of spaces is one; ``tag=`` is a list of one empty text)."""
    for query in ("?utm_source=x", "?lang=fr&page_size=5&sort=title", "?featured=false", "?license="):
        assert _feed(client, query).find(f"{ATOM}title").text == "Latest datasets", query
    for query in ("?license=lov2", "?featured=true", "?credit=x", "?q=%20", "?tag="):
        assert _feed(client, query).find(f"{ATOM}title").text == "Filtered datasets", query


def test_the_feed_is_as_new_as_its_newest_date(client: TestClient, catalog: Catalog) -> None:
    """feedgenerator's ``latest_post_date``: the latest of the entries' updated and published
    dates (a poller sees an unchanged feed unchanged); now for an empty feed. Each entry names
    its author, so the feed names none (as udata's)."""
    empty = _feed(client, "?tag=nothing")
    assert empty.find(f"{ATOM}author") is not None  # Atom needs one, the site's
    alice = make_user(catalog)
    later = replace(catalog, clock=lambda: catalog.clock() - timedelta(hours=11))
    earlier = replace(catalog, clock=lambda: catalog.clock() - timedelta(hours=12))
    make_dataset(earlier, alice, title="Ancien")
    make_dataset(later, alice, title="Moins ancien")
    feed = _feed(client)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    dates = [entry.find(f"{ATOM}{name}").text for entry in entries for name in ("updated", "published")]
    first = feed.find(f"{ATOM}updated").text
    assert first == max(dates)
    assert first.startswith(str((catalog.clock() - timedelta(hours=11)).date()))  # not now's
    assert _feed(client).find(f"{ATOM}updated").text == first
    assert feed.find(f"{ATOM}author") is None


def test_followed_by_narrows_the_feed(catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    followed = make_dataset(catalog, alice, title="Suivi")
    make_dataset(catalog, alice, title="Pas suivi")
    follow(catalog, bob.actor(catalog), followed.dataset.id)
    later = replace(catalog, clock=lambda: catalog.clock() + timedelta(hours=11))
    entries = recent(later, ANONYMOUS, DatasetQuery(followed_by=bob.user.id))
    assert [entry.view.dataset.title for entry in entries] == ["Suivi"]


def test_a_dataset_of_nobody_takes_the_feeds_author(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Loaded from an export, a dataset may have neither organization nor owner: its entry had an
    empty ``author`` and the feed none, invalid Atom (RFC 4287 4.1.2), which strict readers refuse."""
    document = {
        "id": "6b00000000000000000000dd",
        "title": "Ambassades",
        "description": "d",
        "created_at": "2024-01-05T00:00:00+00:00",
        "last_modified": "2024-01-06T00:00:00+00:00",
    }
    load_documents(catalog, tmp_path, document)
    feed = _feed(client)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}author") is None
    assert feed.find(f"{ATOM}author/{ATOM}name").text  # the site's title
    assert feed.find(f"{ATOM}author/{ATOM}uri").text == "http://testserver/"


def test_the_feed_reads_when_a_dataset_came_not_its_remote_dates(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """udata orders and delays the feed by ``created_at_internal``; a harvested dataset's
    ``created_at`` is its remote one. One issued in 2015 and harvested yesterday was left out of
    the feed (the list shows it among the newest), and one issued in year 9999 made the feed a
    500 for everyone."""

    def days_ago(days: int) -> str:
        return (catalog.clock() - timedelta(days=days)).isoformat()

    def loaded(number: int, title: str, came: str, issued: str | None = None) -> dict[str, object]:
        harvest = {"backend": "DCAT", "domain": "remote.example.org", "remote_id": title, "issued_at": issued}
        return {
            "id": f"6b00000000000000000002{number:02}",
            "title": title,
            "description": "d",
            "created_at": came,
            "last_modified": came,
            **({"harvest": harvest} if issued else {}),
        }

    load_documents(
        catalog,
        tmp_path,
        loaded(1, "Issued long ago", days_ago(1), "2015-01-01T00:00:00+00:00"),
        loaded(2, "Plain", days_ago(2)),
        loaded(3, "Issued in 9999", days_ago(3), "9999-12-31T20:00:00+00:00"),
    )
    shown = client.get("/api/1/datasets/6b0000000000000000000201/").json()
    assert shown["created_at"].startswith("2015-01-01")  # what the API shows: the remote date
    titles = [entry.find(f"{ATOM}title").text for entry in _feed(client).findall(f"{ATOM}entry")]
    assert titles == ["Issued long ago", "Plain", "Issued in 9999"]  # as they came, newest first
    assert _feed(client, "?sort=-last_update") is not None
    far = "9999-12-31T20:00:00+00:00"  # loaded as when it came: past any delay, never shown yet
    load_documents(catalog, tmp_path, loaded(4, "Far", far))
    assert "Far" not in {entry.find(f"{ATOM}title").text for entry in _feed(client).findall(f"{ATOM}entry")}
