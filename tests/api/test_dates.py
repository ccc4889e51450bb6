"""Dates clients and imports send: one lenient parser for all (``domain/dates.parse_datetime``),
dateutil's reading of any common spelling (udata: udata/mongo/datetime_fields.py), kept to the millisecond."""

import json
from pathlib import Path

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.imports import load_fixtures
from tests.factories import make_user

URL = "/api/1/datasets/"


def test_client_dates_are_lenient_and_kept_to_the_millisecond(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "a",
        "description": "d",
        "frequency_date": "2025-01-05T10:00:00.123456Z",
        "archived": "Jan 5 2025",
    }
    data = client.post(URL, json=body, headers=alice.headers).json()
    assert data["frequency_date"] == "2025-01-05T10:00:00.123000+00:00"
    assert data["archived"] == "2025-01-05T00:00:00+00:00"
    wrong = client.post(URL, json={"title": "a", "description": "d", "deleted": True}, headers=alice.headers)
    assert wrong.json() == {"errors": {"deleted": ["Not a valid datetime value."]}}


def test_a_date_without_a_year_is_refused_not_filled_in_from_today(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    for text in ("12:00", "24"):
        body = {"title": "a", "description": "d", "frequency_date": text}
        refused = client.post(URL, json=body, headers=alice.headers)
        assert refused.status_code == 400, text
        assert refused.json() == {"errors": {"frequency_date": ["Not a valid datetime value."]}}


def test_a_missing_day_or_month_is_the_first(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {"title": "a", "description": "d", "frequency_date": "December 2024", "archived": "2023"}
    data = client.post(URL, json=body, headers=alice.headers).json()
    assert (data["frequency_date"], data["archived"]) == (
        "2024-12-01T00:00:00+00:00",
        "2023-01-01T00:00:00+00:00",
    )


def test_coverage_dates_are_read_as_leniently_as_the_others(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "a",
        "description": "d",
        "temporal_coverage": {"start": "Jan 5 2025", "end": "31/12/2025"},
    }
    created = client.post(URL, json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    assert created.json()["temporal_coverage"] == {"start": "2025-01-05", "end": "2025-12-31"}
    # A day sent with its offset is that day (it was the day in UTC: European offsets lost one).
    offset = {"start": "2020-01-01T00:00:00+01:00", "end": "2020-12-31T00:00:00+01:00"}
    moved = client.put(
        f"{URL}{created.json()['id']}/", json={"temporal_coverage": offset}, headers=alice.headers
    )
    assert moved.json()["temporal_coverage"] == {"start": "2020-01-01", "end": "2020-12-31"}


def test_imported_documents_read_dates_as_the_api_does(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    document = {
        "id": "5e174be4634f414cd8a244f1",
        "title": "Dates",
        "created_at": "Jan 5 2025",
        "last_modified": "2025-01-06 10:00 +0200",
        "archived": "December 2024",
    }
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps([document]), encoding="utf-8")
    assert load_fixtures(catalog, path) == 1
    data = client.get(f"{URL}{document['id']}/").json()
    assert (data["created_at"], data["last_modified"], data["archived"]) == (
        "2025-01-05T00:00:00+00:00",
        "2025-01-06T08:00:00+00:00",
        "2024-12-01T00:00:00+00:00",
    )
