"""Licenses and frequencies (udata: udata/core/dataset/api.py, reference lists, udata: udata/core/dataset/models.py, License, udata: udata/core/dataset/constants.py, UpdateFrequency)."""

import json
from pathlib import Path

from starlette.testclient import TestClient

REFDATA = Path(__file__).resolve().parents[2] / "src" / "opencat" / "refdata"


def test_licenses_are_the_seeded_list(client: TestClient) -> None:
    response = client.get("/api/1/datasets/licenses/")
    assert response.status_code == 200
    licenses = response.json()
    expected = json.loads((REFDATA / "licenses.json").read_text())
    assert [item["id"] for item in licenses] == [item["id"] for item in expected]
    notspecified = next(item for item in licenses if item["id"] == "notspecified")
    assert notspecified == next(item for item in expected if item["id"] == "notspecified")
    assert set(licenses[0]) == {
        "id",
        "title",
        "maintainer",
        "url",
        "flags",
        "alternate_urls",
        "alternate_titles",
    }


def test_frequencies_in_english_by_default_and_french_on_request(client: TestClient) -> None:
    english = client.get("/api/1/datasets/frequencies/").json()
    assert len(english) == 40
    assert english[0] == {"id": "continuous", "label": "Real time"}
    assert english[-1]["id"] == "unknown"
    french = client.get("/api/1/datasets/frequencies/?lang=fr").json()
    assert french[0] == {"id": "continuous", "label": "Temps réel"}
    assert [item["id"] for item in french] == [item["id"] for item in english]
