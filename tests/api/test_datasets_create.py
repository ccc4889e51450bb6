"""POST /api/1/datasets/ (udata: udata/core/dataset/api.py, forms.py)."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.db.slugs import SLUG_BATCH
from tests.factories import make_dataset, make_org, make_user

URL = "/api/1/datasets/"


def test_create_without_key_is_401_with_bearer_challenge(client: TestClient) -> None:
    response = client.post(URL, json={"title": "x", "description": "y"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="uData"'
    assert response.json()["message"].startswith("The server could not verify")


def test_unknown_api_key_is_401_even_on_public_get(client: TestClient) -> None:
    response = client.get(URL, headers={"X-API-KEY": "udata_nope"})
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid API token"}


def test_an_empty_api_key_is_no_key(client: TestClient) -> None:
    """udata tests the header's truth: a script sending ``X-API-KEY: $TOKEN`` with the variable
    unset reads public data, and is asked for credentials where they are needed."""
    for empty in ("", "  "):
        assert client.get(URL, headers={"X-API-KEY": empty}).status_code == 200
        refused = client.post(URL, json={"title": "x", "description": "y"}, headers={"X-API-KEY": empty})
        assert refused.status_code == 401
        assert refused.json()["message"].startswith("The server could not verify")


def test_missing_title_and_description_lists_both(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    response = client.post(URL, json={}, headers=alice.headers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"description": ["This field is required."], "title": ["This field is required."]}
    }


def test_a_missing_title_is_said_with_the_other_fields_errors(client: TestClient, catalog: Catalog) -> None:
    """udata's form reports every field at once; the title was said alone, the rest after it."""
    alice = make_user(catalog)
    body = {"title": " ", "description": "d", "tags": ["a"]}
    response = client.post("/api/1/datasets/", json=body, headers=alice.headers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "title": ["This field is required."],
            "tags": ['Tag "a" must be between 3 and 96 characters long.'],
        }
    }
    updated = client.put(
        f"/api/1/datasets/{make_dataset(catalog, alice).dataset.id}/",
        json={"description": "", "private": "perhaps"},
        headers=alice.headers,
    )
    assert set(updated.json()["errors"]) == {"description", "private"}
    # The coverage's dates, read once the rest parses, are said with the other fields too.
    both = {"title": "t", "description": "d", "tags": ["a"], "temporal_coverage": {"start": "x"}}
    refused = client.post("/api/1/datasets/", json=both, headers=alice.headers)
    assert refused.json()["errors"] == {
        "tags": ['Tag "a" must be between 3 and 96 characters long.'],
        "temporal_coverage": ["Not a valid date value."],
    }
    untitled = {"title": "", "description": "d", "temporal_coverage": "2020-01-01 - soon"}
    refused = client.post("/api/1/datasets/", json=untitled, headers=alice.headers)
    assert set(refused.json()["errors"]) == {"title", "temporal_coverage"}


def test_personal_dataset_is_owned_by_caller(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {"title": "Qualité de l'air", "description": "Mesures", "license": "cc-by", "tags": ["air"]}
    response = client.post(URL, json=body, headers=alice.headers)
    assert response.status_code == 201
    data = response.json()
    assert data["slug"] == "qualite-de-lair"
    assert data["owner"]["id"] == alice.user.id
    assert data["owner"]["class"] == "User"
    assert data["organization"] is None
    assert data["license"] == "cc-by"
    assert data["frequency"] == "unknown"
    assert data["permissions"] == {"delete": True, "edit": True, "edit_resources": True}
    assert data["quality"] == {
        "dataset_description_quality": False,
        "license": True,
        "score": 1 / 9,
        "spatial": False,
        "temporal_coverage": False,
        "update_frequency": False,
    }
    assert data["uri"] == "http://testserver/api/1/datasets/qualite-de-lair/"
    assert "community_resources" not in data
    assert response.headers["ETag"]


def test_org_dataset_normalizes_tags_and_coverage(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, "Oracle Org", **{alice.user.id: "admin"})
    body = {
        "title": "Horaires des bus",
        "description": "Horaires théoriques du réseau de bus.",
        "organization": org.id,
        "license": "lov2",
        "frequency": "monthly",
        "tags": ["transport", "Bus", "bus"],
        "temporal_coverage": {"start": "2024-12-31", "end": "2024-01-01"},
        "extras": {"source": "gtfs"},
    }
    data = client.post(URL, json=body, headers=alice.headers).json()
    assert data["organization"]["slug"] == "oracle-org"
    assert data["organization"]["permissions"] == {
        "delete": True,
        "edit": True,
        "harvest": True,
        "members": True,
        "private": True,
    }
    assert data["owner"] is None
    assert data["tags"] == ["bus", "transport"]
    assert data["temporal_coverage"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert data["quality"]["update_fulfilled_in_time"] is True
    assert data["quality"]["score"] == 4 / 9


def test_same_title_gets_numbered_slug(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {"title": "Horaires des bus", "description": "d"}
    first = client.post(URL, json=body, headers=alice.headers).json()
    second = client.post(URL, json=body, headers=alice.headers).json()
    assert (first["slug"], second["slug"]) == ("horaires-des-bus", "horaires-des-bus-1")


def test_a_title_taken_past_a_batch_of_slugs_and_a_freed_one_get_the_first_free_slug(
    client: TestClient, catalog: Catalog
) -> None:
    """Slugs are looked up by exact value, a batch at a time (``SLUG_BATCH``): a base taken more
    times than a batch holds needs the next one, and a slug freed by a rename is taken again."""
    alice = make_user(catalog)
    body = {"title": "Horaires", "description": "d"}
    created = [client.post(URL, json=body, headers=alice.headers).json() for _ in range(SLUG_BATCH + 2)]
    assert [item["slug"] for item in created[-3:]] == [
        f"horaires-{n}" for n in range(SLUG_BATCH - 1, SLUG_BATCH + 2)
    ]
    # Not a candidate of the base: a slug merely starting with it changes nothing.
    client.post(URL, json={"title": "Horaires d'été", "description": "d"}, headers=alice.headers)
    renamed = client.put(f"{URL}{created[3]['id']}/", json={"title": "Autre chose"}, headers=alice.headers)
    assert renamed.json()["slug"] == "autre-chose"
    again = client.post(URL, json=body, headers=alice.headers).json()
    assert again["slug"] == "horaires-3"  # freed by the rename (the old one redirects to its dataset)
    last = client.post(URL, json=body, headers=alice.headers).json()
    assert last["slug"] == f"horaires-{SLUG_BATCH + 2}"


def test_unknown_license_is_stored_as_notspecified_and_bad_frequency_wins(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    bad = client.post(
        URL,
        json={"title": "Bad", "description": "Bad", "license": "nope", "frequency": "sometimes"},
        headers=alice.headers,
    )
    assert bad.status_code == 400
    message = "'sometimes' is not a valid UpdateFrequency"  # udata's words; the form error is ours
    assert bad.json() == {"errors": {"frequency": [message]}, "message": message}
    good = client.post(
        URL,
        json={"title": "Ok", "description": "Ok", "license": "nope", "frequency": "fortnighly"},
        headers=alice.headers,
    )
    assert good.json()["license"] == "notspecified"
    assert good.json()["frequency"] == "biweekly"


def test_org_dataset_needs_membership(client: TestClient, catalog: Catalog) -> None:
    bob = make_user(catalog)
    org = make_org(catalog)
    response = client.post(
        URL, json={"title": "t", "description": "d", "organization": org.id}, headers=bob.headers
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"organization": ["Permission denied for this organization"]}}
    unknown = client.post(
        URL, json={"title": "t", "description": "d", "organization": "0" * 24}, headers=bob.headers
    )
    assert unknown.json() == {"errors": {"organization": ["Organization does not exists"]}}


def test_a_partial_editor_creates_no_dataset_they_could_not_edit(
    client: TestClient, catalog: Catalog
) -> None:
    """udata assigns a partial editor the dataset they create in their organization; without
    assignments, it was created (201) and then neither editable nor deletable by its author."""
    partial, editor = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{partial.user.id: "partial_editor", editor.user.id: "editor"})
    body = {"title": "t", "description": "d", "organization": org.id}
    refused = client.post(URL, json=body, headers=partial.headers)
    assert (refused.status_code, refused.json()) == (
        400,
        {"errors": {"organization": ["Permission denied for this organization"]}},
    )
    assert client.get(URL, params={"organization": org.id}).json()["total"] == 0
    mine = client.post(URL, json={"title": "t", "description": "d"}, headers=partial.headers)
    assert mine.status_code == 201  # their own, as any user's
    moved = client.put(f"{URL}{mine.json()['id']}/", json={"organization": org.id}, headers=partial.headers)
    assert moved.status_code == 400  # nor moved in: it would be theirs no more
    created = client.post(URL, json=body, headers=editor.headers)
    assert (created.status_code, created.json()["permissions"]["edit"]) == (201, True)


def test_owner_must_be_caller_unless_sysadmin(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    admin = make_user(catalog, sysadmin=True)
    body = {"title": "t", "description": "d", "owner": bob.user.id}
    assert client.post(URL, json=body, headers=alice.headers).json() == {
        "errors": {"owner": ["You can only set yourself as owner"]}
    }
    made = client.post(URL, json=body, headers=admin.headers).json()
    assert made["owner"]["id"] == bob.user.id


def test_owner_naming_another_user_is_refused_on_an_organizations_dataset_too(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "editor"})
    body = {"title": "t", "description": "d", "organization": org.id, "owner": bob.user.id}
    refused = {"errors": {"owner": ["You can only set yourself as owner"]}}
    created = client.post(URL, json=body, headers=alice.headers)
    assert (created.status_code, created.json()) == (400, refused)
    made = client.post(URL, json={**body, "owner": alice.user.id}, headers=alice.headers).json()
    assert (made["organization"]["id"], made["owner"]) == (org.id, None)
    changed = client.put(f"{URL}{made['id']}/", json={"owner": bob.user.id}, headers=alice.headers)
    assert (changed.status_code, changed.json()) == (400, refused)


def test_undeclared_custom_extra_is_refused(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    body = {"title": "x", "description": "y", "organization": org.id, "extras": {"custom:key": "v"}}
    response = client.post(URL, json=body, headers=alice.headers)
    assert response.status_code == 400
    message = "Dataset's organization did not define the requested custom metadata."
    assert response.json() == {
        "errors": {"__all__": message},
        "message": f"ValidationError (Dataset:None) ({message}: ['__all__'])",
    }


def test_nested_resources_get_server_ids_and_defaults(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "With resources",
        "description": "d",
        "resources": [
            {"id": "not-kept", "title": "A", "url": "https://example.org/a.csv", "format": " CSV "},
            {"title": "B", "url": "https://example.org/b.pdf", "filetype": "remote", "type": "documentation"},
        ],
    }
    data = client.post(URL, json=body, headers=alice.headers).json()
    first, second = data["resources"]
    assert first["id"] != "not-kept"
    assert (first["title"], first["format"], first["type"], first["filetype"]) == (
        "A",
        "csv",
        "other",
        "file",
    )
    assert first["latest"] == f"http://testserver/api/1/datasets/r/{first['id']}"
    assert second["type"] == "documentation"
    assert data["quality"]["has_resources"] is True
    assert data["quality"]["resources_documentation"] is True


def test_resource_errors_are_nested_per_entry(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    body = {
        "title": "t",
        "description": "d",
        "resources": [{"title": "ok", "url": "https://example.org/x"}, {"title": "no url"}],
    }
    response = client.post(URL, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert response.json() == {"errors": {"resources": [{}, {"url": ["This field is required."]}]}}


def test_bad_inputs_are_clear_400s(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    headers = alice.headers
    not_json = client.post(URL, content=b"title=x", headers={**headers, "Content-Type": "text/plain"})
    assert not_json.json() == {"errors": {"Content-Type": "expecting application/json"}}
    broken = client.post(URL, content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("Failed to decode JSON object")
    # Python's json says why, as udata's Flask does
    for body, why in ((b"notjson", "Expecting value: line 1 column 1 (char 0)"), (b"", "Expecting value")):
        refused = client.post(URL, content=body, headers={**headers, "Content-Type": "application/json"})
        assert refused.json()["message"].startswith(f"Failed to decode JSON object: {why}"), body
    listed = client.post(URL, json=["x"], headers=headers)
    assert listed.json() == {"errors": {"request": "expecting a JSON object"}}
    wrong = client.post(
        URL,
        json={"title": 3, "description": "d", "private": "maybe", "tags": ["a"], "access_type": "nope"},
        headers=headers,
    )
    assert wrong.status_code == 400
    errors = wrong.json()["errors"]
    assert set(errors) == {"title", "private", "tags", "access_type"}
    assert errors["tags"] == ['Tag "a" must be between 3 and 96 characters long.']
    long_title = client.post(URL, json={"title": "x" * 351, "description": "d"}, headers=headers)
    assert long_title.json() == {"errors": {"title": ["Field cannot be longer than 350 characters."]}}
    bad_url = client.post(
        URL,
        json={"title": "t", "description": "d", "resources": [{"title": "r", "url": "http://127.0.0.1/x"}]},
        headers=headers,
    )
    assert bad_url.status_code == 400
    assert "Invalid URL" in bad_url.json()["errors"]["resources"][0]["url"][0]


def test_oversized_body_is_413_and_nothing_is_written(
    client: TestClient, catalog: Catalog, settings: object
) -> None:
    alice = make_user(catalog)
    huge = {"title": "t", "description": "d" * (11 * 1024 * 1024)}
    response = client.post(URL, json=huge, headers=alice.headers)
    assert response.status_code == 413
    assert client.get(URL).json()["total"] == 0


def test_a_body_past_the_limit_is_udatas_413_whether_declared_or_streamed(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    body = b'{"title": "t", "description": "' + b"d" * (11 * 1024 * 1024) + b'"}'
    headers = {**alice.headers, "Content-Type": "application/json"}
    declared = client.post(URL, content=body, headers=headers)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is known only as it arrives
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    streamed = client.post(URL, content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"message": "The data value transmitted exceeds the capacity limit."}
    assert client.get(URL).json()["total"] == 0


def test_anonymous_create_is_401_whatever_the_body(client: TestClient) -> None:
    for body in ({}, {"title": "a", "description": "b", "frequency": "zzz"}):
        assert client.post(URL, json=body).status_code == 401
    assert client.post(URL, content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401


def test_custom_extras_messages_are_udatas(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    personal = client.post(
        URL, json={"title": "a", "description": "d", "extras": {"custom:x": 1}}, headers=alice.headers
    )
    assert personal.json()["errors"] == {
        "__all__": "Custom metadatas are only accessible to dataset owned by on organization."
    }


def test_a_write_with_a_mask_it_cannot_read_is_refused_before_it_is_made(
    client: TestClient, catalog: Catalog
) -> None:
    """udata reads the mask after the write: its 400 came with the dataset created, and a client
    retrying after it made the dataset twice."""
    alice = make_user(catalog)
    broken = {**alice.headers, "X-Fields": "slug{"}
    refused = client.post(URL, json={"title": "Masqué", "description": "d"}, headers=broken)
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "Mask parse error: Missing closing bracket"},
    )
    assert client.get(f"{URL}?q=Masqué", headers=alice.headers).json()["total"] == 0
    made = client.post(URL, json={"title": "Masqué", "description": "d"}, headers=alice.headers).json()
    changed = client.put(f"{URL}{made['id']}/", json={"acronym": "M"}, headers=broken)
    assert changed.status_code == 400
    assert client.get(f"{URL}{made['id']}/").json()["acronym"] is None
    anonymous = client.post(URL, json={"title": "x", "description": "d"}, headers={"X-Fields": "slug{"})
    assert anonymous.status_code == 401  # who asks is still said first
    upload = client.post(f"{URL}{made['id']}/upload/", files={"file": ("a.csv", b"a\n1\n")}, headers=broken)
    assert upload.status_code == 400
    assert client.get(f"{URL}{made['id']}/").json()["resources"] == []  # no file published
    # A deletion answers 204 without reading the mask, as udata.
    assert client.delete(f"{URL}{made['id']}/", headers=broken).status_code == 204


@pytest.mark.parametrize("mask", ["title{x}", "owner{slug{x}}", "tags{x}", "resources{title{x}}"])
def test_a_write_with_a_mask_that_does_not_fit_the_model_is_refused_before_it_is_made(
    client: TestClient, catalog: Catalog, mask: str
) -> None:
    """Braces on a scalar field are read against the model, not the data: the dataset made has no
    tags or resources yet, and the 400 still comes before anything is written."""
    alice = make_user(catalog)
    masked = {**alice.headers, "X-Fields": mask}
    refused = client.post(URL, json={"title": "Masque mal mis", "description": "d"}, headers=masked)
    assert (refused.status_code, refused.json()) == (
        400,
        {"message": "Mask error: Mask is inconsistent with model"},
    )
    assert client.get(f"{URL}?q=Masque", headers=alice.headers).json()["total"] == 0
    made = client.post(URL, json={"title": "Masque", "description": "d"}, headers=alice.headers).json()
    assert client.put(f"{URL}{made['id']}/", json={"acronym": "M"}, headers=masked).status_code == 400
    assert client.get(f"{URL}{made['id']}/").json()["acronym"] is None


def test_a_title_that_slugifies_to_a_page_word_gets_a_slug_of_its_own(
    client: TestClient, catalog: Catalog
) -> None:
    """``/datasets/new/`` is the creation form: a dataset titled "New" is ``new-1``."""
    alice = make_user(catalog)
    made = client.post(URL, json={"title": "New", "description": "d"}, headers=alice.headers).json()
    assert made["slug"] == "new-1"
    assert made["page"].endswith("/datasets/new-1/")
    # The next ones find their own (the lookup went on past the word, not to a 409).
    again = client.post(URL, json={"title": "New", "description": "d"}, headers=alice.headers)
    assert (again.status_code, again.json()["slug"]) == (201, "new-2")
    other = make_dataset(catalog, alice, title="Other").dataset
    renamed = client.put(f"{URL}{other.id}/", json={"title": "New"}, headers=alice.headers)
    assert (renamed.status_code, renamed.json()["slug"]) == (200, "new-3")


def test_a_title_that_is_another_datasets_id_does_not_take_it_over(
    client: TestClient, catalog: Catalog
) -> None:
    """``{dataset}`` is resolved as an id first: a slug equal to another dataset's id made that
    dataset answer for the new one's ``uri`` and page, and the new one unreachable by its slug."""
    alice, bob = make_user(catalog), make_user(catalog)
    victim = make_dataset(catalog, alice, title="Victim").dataset
    made = client.post(URL, json={"title": victim.id, "description": "d"}, headers=bob.headers).json()
    assert made["slug"] == f"{victim.id}-id"
    assert client.get(made["uri"]).json()["id"] == made["id"]
    assert client.get(f"{URL}{victim.id}/").json()["title"] == "Victim"


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_a_json_body_with_a_byte_order_mark_or_in_utf16_or_utf32_is_read(
    client: TestClient, catalog: Catalog, encoding: str
) -> None:
    """As udata's Flask reads it (Python's json): Windows tools send such bodies."""
    account = make_user(catalog)
    body = '{"title": "Données énergie", "description": "Consommation"}'.encode(encoding)
    headers = {**account.headers, "Content-Type": "application/json"}
    response = client.post("/api/1/datasets/", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Données énergie"


def test_a_body_that_is_no_utf8_is_refused_saying_so(client: TestClient, catalog: Catalog) -> None:
    """orjson said "surrogates not allowed" of a Latin-1 "é"; Python's words, as udata's Flask."""
    account = make_user(catalog)
    body = '{"title": "Café", "description": "d"}'.encode("latin-1")
    headers = {**account.headers, "Content-Type": "application/json"}
    response = client.post("/api/1/datasets/", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Failed to decode JSON object: 'utf-8' codec can't decode byte 0xe9 in position 14: invalid continuation byte"
    )


def test_an_anonymous_oversized_body_is_401_as_any_anonymous_write(client: TestClient) -> None:
    """udata asks for the caller before it reads the body: a 413 told an anonymous script its
    body was too large when what it lacked was a key."""
    body = b'{"title": "t", "description": "' + b"d" * (11 * 1024 * 1024) + b'"}'
    for key in ({}, {"X-API-KEY": ""}, {"X-API-KEY": "not-a-key"}):
        answer = client.post(URL, content=body, headers={"Content-Type": "application/json", **key})
        assert answer.status_code == 401, key
    assert client.get(URL).json()["total"] == 0


def test_a_refusals_fields_come_in_udatas_order(client: TestClient, catalog: Catalog) -> None:
    """udata writes its answers' keys sorted (recorded call 11: description before title)."""
    alice = make_user(catalog)
    refused = client.post(URL, json={"tags": ["a"]}, headers=alice.headers)
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == sorted(refused.json()["errors"])
    assert refused.text.index('"description"') < refused.text.index('"title"')


def test_a_bodys_problems_are_said_at_once_new_resources_included(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's form checks every field in one pass: a tag too short was said first, a new
    resource's missing URL only once the tag was fixed and the body sent again."""
    alice = make_user(catalog)
    body = {
        "title": "",
        "description": "d",
        "tags": ["a"],
        "resources": [{"title": "ok", "url": "nope"}, {"title": " "}],
    }
    refused = client.post(URL, json=body, headers=alice.headers)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "title": ["This field is required."],
        "tags": ['Tag "a" must be between 3 and 96 characters long.'],
        "resources": [
            {"url": ['Invalid URL "nope"']},
            {"title": ["This field is required."], "url": ["This field is required."]},
        ],
    }
    assert client.get(URL).json()["total"] == 0
