"""GET /api/1/datasets/{ident}/: visibility, redirects, masks, ETags (udata: udata/core/dataset/api.py, udata: udata/routing.py)."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event
from starlette.testclient import TestClient

from opencat.api.datasets import etag_of
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.domain.quality import clock_stamp
from tests.factories import load_documents, make_dataset, make_org, make_user


def test_read_by_id_and_by_slug(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, title="Horaires des bus")
    by_id = client.get(f"/api/1/datasets/{view.dataset.id}/")
    by_slug = client.get("/api/1/datasets/horaires-des-bus/")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json()["id"] == by_slug.json()["id"] == view.dataset.id
    assert by_id.json()["permissions"] == {"delete": False, "edit": False, "edit_resources": False}


def test_unknown_dataset_is_404(client: TestClient) -> None:
    for ident in ("000000000000000000000000", "no-such-dataset"):
        response = client.get(f"/api/1/datasets/{ident}/")
        assert response.status_code == 404
        assert response.json()["message"].startswith("The requested URL was not found")


def test_slashless_path_redirects_with_308_keeping_query(client: TestClient) -> None:
    response = client.get("/api/1/datasets?page_size=2")
    assert response.status_code == 308
    # Absolute, as werkzeug's strict slashes build it (a slug's move stays relative, as udata's).
    assert response.headers["location"] == "http://testserver/api/1/datasets/?page_size=2"


def test_slug_matching_after_slugification_redirects(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus")
    response = client.get("/api/1/datasets/Horaires-des-BUS/?x=1")
    assert response.status_code == 308
    assert response.headers["location"] == "/api/1/datasets/horaires-des-bus/"


def test_an_old_or_unslugified_slug_of_a_private_dataset_redirects_only_those_who_may_read_it(
    client: TestClient, catalog: Catalog
) -> None:
    """The redirect names the new slug, which spells the new title: a stranger gets the 404 the
    dataset answers them, not a 308 (a review found a private rename readable this way)."""
    alice, bob = make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, alice, title="Secret zebra", private=True)
    client.put(f"/api/1/datasets/{view.dataset.id}/", json={"title": "Merger plan"}, headers=alice.headers)
    public = make_dataset(catalog, alice, title="Open zebra")
    client.put(f"/api/1/datasets/{public.dataset.id}/", json={"title": "Open lion"}, headers=alice.headers)
    paths = (
        "/api/1/datasets/{}/",
        "/api/2/datasets/{}/",
        "/api/1/datasets/{}/rdf.ttl",
        "/api/1/datasets/{}/rdf",
    )
    for old in ("secret-zebra", "Merger-PLAN"):
        for path in paths:
            url = path.format(old)
            assert client.get(url).status_code == 404, url
            assert client.get(url, headers=bob.headers).status_code == 404, url
            owner = client.get(url, headers=alice.headers)
            assert owner.status_code == 308, url
        assert (
            client.put(f"/api/1/datasets/{old}/", json={"acronym": "X"}, headers=bob.headers).status_code
            == 404
        )
        assert client.get(f"/datasets/{old}/").status_code == 404
    assert client.get("/api/1/datasets/open-zebra/").status_code == 308
    delete_dataset(catalog, alice.actor(catalog), public.dataset.id)
    assert client.get("/api/1/datasets/open-zebra/").status_code == 410
    assert client.get("/api/1/datasets/open-zebra/", headers=alice.headers).status_code == 308


def test_private_dataset_is_404_to_strangers_and_readable_by_members(
    client: TestClient, catalog: Catalog
) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    editor = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin", editor.user.id: "partial_editor"})
    view = make_dataset(catalog, alice, organization=org.id, private=True)
    url = f"/api/1/datasets/{view.dataset.id}/"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=bob.headers).status_code == 404
    assert client.get(url, headers=alice.headers).status_code == 200
    as_partial = client.get(url, headers=editor.headers).json()
    assert as_partial["permissions"]["edit"] is False
    # udata's OrganizationPrivatePermission counts partial editors in; nothing else is theirs.
    assert as_partial["organization"]["permissions"] == {
        "edit": False, "delete": False, "members": False, "harvest": False, "private": True,
    }  # fmt: skip
    admin = make_user(catalog, sysadmin=True)
    assert client.get(url, headers=admin.headers).status_code == 200


def test_deleted_dataset_is_410_to_public_and_200_to_owner(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    delete_dataset(catalog, alice.actor(catalog), view.dataset.id)
    url = f"/api/1/datasets/{view.dataset.id}/"
    gone = client.get(url)
    assert gone.status_code == 410
    assert gone.json() == {"message": "Dataset has been deleted"}
    mine = client.get(url, headers=alice.headers)
    assert mine.status_code == 200
    assert mine.json()["deleted"] is not None


def test_archived_dataset_is_readable(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, archived=catalog.clock())
    assert client.get(f"/api/1/datasets/{view.dataset.id}/").status_code == 200


def test_x_fields_mask_selects_nested_fields(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, title="Qualité de l'air")
    response = client.get(
        f"/api/1/datasets/{view.dataset.id}/", headers={"X-Fields": "id,title,owner{slug},resources{id}"}
    )
    assert response.json() == {
        "id": view.dataset.id,
        "owner": {"slug": alice.user.slug},
        "resources": [],
        "title": "Qualité de l'air",
    }
    everything = client.get(f"/api/1/datasets/{view.dataset.id}/", headers={"X-Fields": "*"}).json()
    assert everything["community_resources"] == []
    broken = client.get(f"/api/1/datasets/{view.dataset.id}/", headers={"X-Fields": "id,{"})
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("Mask parse error")
    # Against the model, whatever the data: no tags, a null acronym, an empty page.
    for path, mask in [
        (f"/api/1/datasets/{view.dataset.id}/", "title{x}"),
        (f"/api/1/datasets/{view.dataset.id}/", "tags{x}"),
        (f"/api/1/datasets/{view.dataset.id}/", "acronym{x}"),
        ("/api/1/datasets/?tag=nothing-tagged", "data{tags{x}},total"),
    ]:
        scalar = client.get(path, headers={"X-Fields": mask})
        assert (scalar.status_code, scalar.json()) == (
            400,
            {"message": "Mask error: Mask is inconsistent with model"},
        )
    # Objects of any keys take any nested mask, as udata's Raw fields; geopf is a model (null
    # here); empty braces are a false mask, whole on a list or an object, an error on a scalar.
    for mask in ("extras{x},quality{score},spatial{zones}", "id,geopf{datasheet_url}", "tags{},owner{}"):
        fitting = client.get(f"/api/1/datasets/{view.dataset.id}/", headers={"X-Fields": mask})
        assert fitting.status_code == 200, (mask, fitting.text)
    assert (
        client.get(f"/api/1/datasets/{view.dataset.id}/", headers={"X-Fields": "title{}"}).status_code == 400
    )


def test_etag_and_if_none_match(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    etag = client.get(url).headers["ETag"]
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    client.put(url, json={"acronym": "X"}, headers=alice.headers)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_a_current_copy_is_answered_from_the_dataset_row_alone(client: TestClient, catalog: Catalog) -> None:
    """A 304 reads the dataset's row and nothing its representation embeds (resources, owner...).
    X-Fields sends it down the full path (an anonymous copy on SQLite is answered before it:
    tests/api/test_current_copies.py)."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, resources=[{"title": "a", "url": "https://example.org/a.csv"}])
    url = f"/api/1/datasets/{view.dataset.id}/"
    etag = client.get(url, headers={"X-Fields": "id"}).headers["ETag"]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(catalog.db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url, headers={"If-None-Match": etag, "X-Fields": "id"}).status_code == 304
        assert len(statements) == 1
        assert "FROM datasets" in statements[0]
        statements.clear()
        stale = client.get(url, headers={"If-None-Match": '"other-1"', "X-Fields": "resources{title}"})
        assert stale.status_code == 200
        assert stale.json()["resources"][0]["title"] == "a"
        assert len(statements) > 2  # the row, then what the representation embeds
    finally:
        event.remove(catalog.db.engine, "before_cursor_execute", record)
    # A mask the answer cannot take is its 400 first, whatever the condition (it was a 304).
    for unreadable in ("id{", "title{x}", ",id"):
        refused = client.get(url, headers={"If-None-Match": "*", "X-Fields": unreadable})
        assert refused.status_code == 400, unreadable


def test_keys_are_sorted_like_flask(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    data = client.get(f"/api/1/datasets/{view.dataset.id}/").json()
    assert list(data) == sorted(data)


def test_slug_redirect_location_is_encoded_and_complete(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Qualité de l'air")
    rid = "00000000-0000-4000-8000-000000000000"
    response = client.get(f"/api/1/datasets/Qualit%C3%A9%20de%20l%27air/resources/{rid}/?x=1")
    assert response.status_code == 308
    assert response.headers["location"] == f"/api/1/datasets/qualite-de-lair/resources/{rid}/"
    slashless = client.get("/api/1/datasets/Qualit%C3%A9%20de%20l%27air")
    assert slashless.status_code == 308
    assert slashless.headers["location"] == "http://testserver/api/1/datasets/Qualit%C3%A9%20de%20l%27air/"


def test_if_none_match_compares_weakly_and_takes_a_star(client: TestClient, catalog: Catalog) -> None:
    """RFC 9110 13.1.2, for anonymous callers (the kept answers) and keyed ones (the full path) alike."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    for who in ({}, alice.headers):
        tag = client.get(url, headers=who).headers["ETag"]
        for sent in (tag, f"W/{tag}", "*", f'"other", {tag}', f'W/"x", W/{tag}'):
            answer = client.get(url, headers={**who, "If-None-Match": sent})
            assert answer.status_code == 304, (who, sent)
            assert answer.headers["ETag"] == tag
        for sent in ('"other"', tag.replace('"', ""), f'W/{tag[:-2]}"'):
            assert client.get(url, headers={**who, "If-None-Match": sent}).status_code == 200, (who, sent)
        missing = client.get(
            "/api/1/datasets/000000000000000000000000/", headers={**who, "If-None-Match": "*"}
        )
        assert missing.status_code == 404


def test_each_representation_has_its_own_etag(client: TestClient, catalog: Catalog) -> None:
    """The answer varies on X-API-KEY (the permissions shown), X-Fields and X-Get-Datasets-Full-Objects
    (``Vary``): a tag confirms only its own representation, and any of them names the version an
    ``If-Match`` asks for."""
    alice, bob = make_user(catalog), make_user(catalog)
    org = make_org(catalog, "Ville", **{alice.user.id: "admin"})
    view = make_dataset(catalog, alice, organization=org.id)
    url = f"/api/1/datasets/{view.dataset.id}/"
    variants = {
        "anonymous": {},
        "a mask": {"X-Fields": "id,title"},
        "full objects": {"X-Get-Datasets-Full-Objects": "1"},
        "its admin": alice.headers,
    }
    tags = {name: client.get(url, headers=headers).headers["ETag"] for name, headers in variants.items()}
    assert len(set(tags.values())) == len(tags), tags
    assert client.get(url, headers=bob.headers).headers["ETag"] == tags["anonymous"]  # may do nothing more
    for name, headers in variants.items():
        for other, tag in tags.items():
            status = client.get(url, headers={**headers, "If-None-Match": tag}).status_code
            assert status == (304 if other == name else 200), (name, other)
    for number, headers in enumerate(variants.values()):  # a write names the version read, however
        tag = client.get(url, headers=headers).headers["ETag"]
        changed = {"acronym": f"V{number}"}
        assert client.put(url, json=changed, headers={**alice.headers, "If-Match": tag}).status_code == 200
        assert client.put(url, json=changed, headers={**alice.headers, "If-Match": tag}).status_code == 412


def test_a_copy_is_not_confirmed_once_what_it_derives_from_the_clock_moved(
    client: TestClient, catalog: Catalog
) -> None:
    """A copy whose quality said "updated in time" is not confirmed once the update is late, nor
    one of another month (the ``*_by_months`` series end with the month), on every path: the
    anonymous one, a mask, a caller with a key."""
    alice = make_user(catalog)
    written = catalog.clock() - timedelta(days=3)
    view = make_dataset(replace(catalog, clock=lambda: written), alice, frequency="daily")
    url = f"/api/1/datasets/{view.dataset.id}/"
    as_written = etag_of(view.dataset.id, view.dataset.revision, clock_stamp("daily", written, written))
    for headers in ({}, {"X-Fields": "id,quality"}, alice.headers):
        stale = client.get(url, headers={"If-None-Match": as_written, **headers})
        assert stale.status_code == 200, headers
        assert stale.json()["quality"]["update_fulfilled_in_time"] is False
        assert client.get(url, headers={"If-None-Match": stale.headers["ETag"], **headers}).status_code == 304
    timeless = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{timeless.dataset.id}/"
    this_month = client.get(url).headers["ETag"]
    last_month = etag_of(
        timeless.dataset.id, timeless.dataset.revision, f"{written - timedelta(days=31):%Y%m}"
    )
    assert this_month.endswith(f'+{catalog.clock():%Y%m}"')
    assert client.get(url, headers={"If-None-Match": last_month}).status_code == 200
    assert client.get(url, headers={"If-None-Match": this_month}).status_code == 304


def test_every_path_names_one_etag_when_a_harvested_date_passed_since_the_write(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """A resource's harvested modification date still to come when the dataset was written counts
    in the rendering once past, not in the ``last_update`` stored then: the 200's ETag is named
    from the stored value, as the conditional paths name it (they disagreed: a 304 for the old
    copy, a 200 for the current one's own tag, by turns)."""
    written = catalog.clock() - timedelta(days=10)
    document = {
        "id": "6b0000000000000000000001",
        "title": "Horaires",
        "description": "d",
        "frequency": "daily",
        "created_at": written.isoformat(),
        "last_modified": written.isoformat(),
        "resources": [
            {
                "id": "0b1f0f3c-0000-4000-8000-000000000001",
                "title": "horaires.csv",
                "url": "https://example.org/horaires.csv",
                "filetype": "remote",
                "harvest": {"modified_at": (written + timedelta(days=9)).isoformat()},
                "created_at": written.isoformat(),
                "last_modified": written.isoformat(),
            }
        ],
    }
    load_documents(replace(catalog, clock=lambda: written), tmp_path, document)
    url = "/api/1/datasets/6b0000000000000000000001/"
    alice = make_user(catalog)
    for headers in ({}, {"X-Fields": "id,quality"}, alice.headers):
        answer = client.get(url, headers=headers)
        assert answer.json()["quality"]["update_fulfilled_in_time"] is True  # the harvested date counts
        tag = answer.headers["ETag"]
        for _ in range(2):
            assert client.get(url, headers={"If-None-Match": tag, **headers}).status_code == 304, headers
