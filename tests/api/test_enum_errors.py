"""Enumerated fields refuse wrong values and wrong JSON types with udata's error shapes: never a
Python or pydantic message, never a 500, nothing written."""

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import Account, make_dataset, make_user

URL = "/api/1/datasets/"
CHOICE = ["Not a valid choice."]
REMOTE = {"title": "r", "url": "https://example.org/r.csv", "filetype": "remote"}
WRONG = ["zzz", 1, True, [], {"a": 1}]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("zzz", "'zzz' is not a valid UpdateFrequency"),
        ("sometimes", "'sometimes' is not a valid UpdateFrequency"),
        # udata's select field keeps "" and its UpdateFrequency("") raises (udata/core/dataset/forms.py).
        ("", "'' is not a valid UpdateFrequency"),
        (1, "1 is not a valid UpdateFrequency"),
        (2.5, "2.5 is not a valid UpdateFrequency"),
        (True, "True is not a valid UpdateFrequency"),
        (False, "False is not a valid UpdateFrequency"),
        ([], "[] is not a valid UpdateFrequency"),
        (["daily"], "['daily'] is not a valid UpdateFrequency"),
        ({}, "{} is not a valid UpdateFrequency"),
        ({"id": "daily"}, "{'id': 'daily'} is not a valid UpdateFrequency"),
    ],
)
def test_an_invalid_frequency_answers_udatas_message_and_a_form_error(
    client: TestClient, catalog: Catalog, value: Any, message: str
) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    expected = {"errors": {"frequency": [message]}, "message": message}
    # The frequency error wins over every other one, as in udata (udata-responses call 16).
    created = client.post(
        URL, json={"title": "", "license": "nope", "frequency": value, "tags": 5}, headers=alice.headers
    )
    assert (created.status_code, created.json()) == (400, expected)
    updated = client.put(f"{URL}{view.dataset.id}/", json={"frequency": value}, headers=alice.headers)
    assert (updated.status_code, updated.json()) == (400, expected)
    assert client.get(URL, headers=alice.headers).json()["total"] == 1
    assert client.get(f"{URL}{view.dataset.id}/").json()["frequency"] == "unknown"


@pytest.mark.parametrize(("value", "stored"), [(None, "unknown"), ("fortnighly", "biweekly")])
def test_a_cleared_or_legacy_frequency_is_accepted(
    client: TestClient, catalog: Catalog, value: Any, stored: str
) -> None:
    alice = make_user(catalog)
    created = client.post(
        URL, json={"title": "t", "description": "d", "frequency": value}, headers=alice.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["frequency"] == stored


# The enumerated fields of a resource: how a value is sent, and the errors it must get.
RESOURCE_FIELDS: dict[str, tuple[Callable[[Any], dict[str, Any]], dict[str, Any]]] = {
    "type": (lambda v: {**REMOTE, "type": v}, {"type": CHOICE}),
    "filetype": (lambda v: {**REMOTE, "filetype": v}, {"filetype": CHOICE}),
    "checksum.type": (
        lambda v: {**REMOTE, "checksum": {"type": v, "value": "abc"}},
        {"checksum": {"type": CHOICE}},
    ),
}
# Every body that carries a resource: method, path, how the resource is wrapped (given the
# dataset and resource ids), and how its errors are.
RESOURCE_BODIES: dict[str, tuple[str, str, Callable[..., Any], Callable[[Any], Any]]] = {
    "resource POST": ("POST", "{ds}resources/", lambda r, ds, rid: r, lambda e: e),
    "resource PUT": ("PUT", "{ds}resources/{rid}/", lambda r, ds, rid: r, lambda e: e),
    "dataset POST": (
        "POST",
        URL,
        lambda r, ds, rid: {"title": "t", "description": "d", "resources": [r]},
        lambda e: {"resources": [e]},
    ),
    "dataset PUT": (
        "PUT",
        "{ds}",
        lambda r, ds, rid: {"resources": [{**r, "id": rid}]},
        lambda e: {"resources": [e]},
    ),
    "reorder": ("PUT", "{ds}resources/", lambda r, ds, rid: [{**r, "id": rid}], lambda e: [e]),
    "community resource": (
        "POST",
        f"{URL}community_resources/",
        lambda r, ds, rid: {**r, "dataset": ds},
        lambda e: e,
    ),
}
# The enumerated fields of a dataset, sent in a POST and in a PUT.
DATASET_FIELDS: dict[str, tuple[Callable[[Any], dict[str, Any]], dict[str, Any]]] = {
    "access_type": (lambda v: {"access_type": v}, {"access_type": CHOICE}),
    "access_type_reason_category": (
        lambda v: {"access_type_reason_category": v},
        {"access_type_reason_category": CHOICE},
    ),
    "access_audiences.role": (
        lambda v: {"access_audiences": [{"role": v, "condition": "yes"}]},
        {"access_audiences": [{"role": CHOICE}]},
    ),
    "access_audiences.condition": (
        lambda v: {"access_audiences": [{"role": "private", "condition": v}]},
        {"access_audiences": [{"condition": CHOICE}]},
    ),
    "spatial.granularity": (lambda v: {"spatial": {"granularity": v}}, {"spatial": {"granularity": CHOICE}}),
}
# Where null means "none" or "the default", not a mistake.
NULL_ACCEPTED = {"access_type", "access_type_reason_category", "spatial.granularity"}


@pytest.fixture
def admin(catalog: Catalog) -> Account:
    return make_user(catalog, sysadmin=True)


@pytest.fixture
def dataset(client: TestClient, catalog: Catalog, admin: Account) -> tuple[str, str, Any]:
    """A dataset with one remote resource: its id, its resource's id, and how it reads."""
    view = make_dataset(catalog, admin, resources=[dict(REMOTE)])
    return view.dataset.id, view.resources[0].id, client.get(f"{URL}{view.dataset.id}/").json()


def _nothing_written(client: TestClient, dataset: tuple[str, str, Any], admin: Account) -> None:
    assert client.get(f"{URL}{dataset[0]}/").json() == dataset[2]
    assert client.get(URL, headers=admin.headers).json()["total"] == 1
    assert client.get(f"{URL}community_resources/").json()["total"] == 0


# Every wrong value in one test of a field and body: the dataset each needs is made once (a test
# of each value made it 324 times, 40 s of the suite's CPU).
@pytest.mark.parametrize("body", sorted(RESOURCE_BODIES))
@pytest.mark.parametrize("field", sorted(RESOURCE_FIELDS))
def test_a_wrong_resource_choice_is_a_form_error(
    client: TestClient, admin: Account, dataset: tuple[str, str, Any], field: str, body: str
) -> None:
    resource, errors = RESOURCE_FIELDS[field]
    method, path, wrap, wrap_errors = RESOURCE_BODIES[body]
    dataset_id, rid, _ = dataset
    url = path.format(ds=f"{URL}{dataset_id}/", rid=rid)
    for value in [*WRONG, None]:
        sent = wrap(resource(value), dataset_id, rid)
        response = client.request(method, url, json=sent, headers=admin.headers)
        assert (response.status_code, response.json()) == (400, {"errors": wrap_errors(errors)}), value
        _nothing_written(client, dataset, admin)


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("field", sorted(DATASET_FIELDS))
def test_a_wrong_dataset_choice_is_a_form_error(
    client: TestClient, admin: Account, dataset: tuple[str, str, Any], field: str, method: str
) -> None:
    fields, errors = DATASET_FIELDS[field]
    url = URL if method == "POST" else f"{URL}{dataset[0]}/"
    for value in [*WRONG] if field in NULL_ACCEPTED else [*WRONG, None]:  # null: none or the default
        sent = {"title": "t", "description": "d", **fields(value)}
        response = client.request(method, url, json=sent, headers=admin.headers)
        assert (response.status_code, response.json()) == (400, {"errors": errors}), value
        _nothing_written(client, dataset, admin)


@pytest.mark.parametrize("field", sorted(NULL_ACCEPTED))
def test_null_clears_or_defaults_these_fields(client: TestClient, admin: Account, field: str) -> None:
    fields, _ = DATASET_FIELDS[field]
    response = client.post(
        URL, json={"title": "t", "description": "d", **fields(None)}, headers=admin.headers
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("value", [*WRONG, None], ids=repr)
def test_a_wrong_badge_kind_is_udatas_error(
    client: TestClient, admin: Account, dataset: tuple[str, str, Any], value: Any
) -> None:
    response = client.post(f"{URL}{dataset[0]}/badges/", json={"kind": value}, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json() == {"errors": {}, "message": f"Unknown badge type for Dataset: {value}"}
    _nothing_written(client, dataset, admin)
