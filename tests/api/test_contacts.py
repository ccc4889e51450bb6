"""udata's contact points API: a publisher makes the points its datasets then name (they could
only be imported or harvested), anyone reads one; udata's model's rules, on both databases."""

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog import contact_points
from opencat.catalog.context import Catalog
from opencat.db import tables
from opencat.domain.accounts import ContactPointFields
from tests.factories import make_org, make_user


def test_a_publisher_makes_a_point_and_names_it_in_a_dataset(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "editor"})
    body = {"name": "Service SIG", "email": "sig@example.org", "role": "contact", "organization": org.id}
    made = client.post("/api/1/contacts/", json=body, headers=alice.headers)
    assert made.status_code == 201, made.text
    point = made.json()
    assert (point["name"], point["email"], point["role"], point["organization"]["id"], point["owner"]) == (
        "Service SIG",
        "sig@example.org",
        "contact",
        org.id,
        None,
    )
    again = client.post("/api/1/contacts/", json=body, headers=alice.headers)
    assert (again.status_code, again.json()["id"]) == (200, point["id"])  # udata's get_or_create
    read = client.get(f"/api/1/contacts/{point['id']}/", headers=alice.headers)
    assert (read.status_code, read.json()) == (200, point)
    anonymous = client.get(f"/api/1/contacts/{point['id']}/").json()  # its IRI in the DCAT output
    assert anonymous["organization"]["permissions"]["edit"] is False
    dataset = client.post(
        "/api/1/datasets/",
        json={"title": "T", "description": "d", "organization": org.id, "contact_points": [point["id"]]},
        headers=alice.headers,
    )
    assert dataset.status_code == 201, dataset.text
    assert [item["id"] for item in dataset.json()["contact_points"]] == [point["id"]]
    # The same ObjectId in capitals, as organizations' and owners' ids are taken.
    shouted = client.put(
        f"/api/1/datasets/{dataset.json()['id']}/",
        json={"contact_points": [{"id": point["id"].upper()}]},
        headers=alice.headers,
    )
    assert shouted.status_code == 200, shouted.text
    assert [item["id"] for item in shouted.json()["contact_points"]] == [point["id"]]
    mine = client.post(
        "/api/1/contacts/", json={"name": "Moi", "contact_form": "https://x.org/f"}, headers=alice.headers
    )
    assert (mine.status_code, mine.json()["owner"]["id"], mine.json()["organization"]) == (
        201,
        alice.user.id,
        None,
    )


def test_udatas_rules_and_who_may(client: TestClient, catalog: Catalog) -> None:
    alice, stranger = make_user(catalog), make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    assert client.post("/api/1/contacts/", json={"name": "x", "email": "x@example.org"}).status_code == 401
    refused = {
        "name": ({"email": "a@example.org"}, "Field is required"),
        "email": (
            {"name": "No way", "role": "contact"},
            "At least an email or a contact form is required for a contact point",
        ),
        "contact_form": ({"name": "Form", "contact_form": "javascript:alert(1)"}, "Invalid URL"),
        "role": ({"name": "R", "email": "r@example.org", "role": "sponsor"}, None),
    }
    for field, (body, message) in refused.items():
        answer = client.post("/api/1/contacts/", json=body, headers=alice.headers)
        assert answer.status_code == 400, (field, answer.text)
        assert field in answer.json()["errors"], answer.json()
        if message:
            assert answer.json()["errors"][field] == [message]
    named = client.post(
        "/api/1/contacts/",
        json={"name": "see https://spam.example", "email": "a@example.org"},
        headers=alice.headers,
    )
    assert named.json()["errors"] == {"name": ["URLs not allowed in this field"]}
    theirs = client.post(
        "/api/1/contacts/",
        json={"name": "S", "email": "s@example.org", "organization": org.id},
        headers=stranger.headers,
    )
    assert theirs.json()["errors"] == {"organization": ["Permission denied for this organization"]}
    other = client.post(
        "/api/1/contacts/",
        json={"name": "S", "email": "s@example.org", "owner": alice.user.id},
        headers=stranger.headers,
    )
    assert other.json()["errors"] == {"owner": ["You can only set yourself as owner"]}
    assert client.get("/api/1/contacts/5f0000000000000000000000/").status_code == 404
    assert client.get("/api/1/contacts/not-an-id/").status_code == 404
    roles = client.get("/api/1/contacts/roles/").json()
    assert roles[0] == {"id": "contact", "label": "Contact"}
    assert len(roles) == 11


def test_broken_forms_unknown_owners_and_identical_requests_at_once(
    client: TestClient, catalog: Catalog
) -> None:
    """A form whose host is a broken IP literal and a sysadmin naming an owner nobody is were
    500s; sixteen identical requests at once made up to nine equal points on PostgreSQL."""
    root, alice = make_user(catalog, sysadmin=True), make_user(catalog)
    form = client.post(
        "/api/1/contacts/", json={"name": "F", "contact_form": "http://[::1"}, headers=alice.headers
    )
    assert (form.status_code, form.json()["errors"]) == (400, {"contact_form": ["Invalid URL"]})
    # udata's URLField: its URL rules, as a resource's URL has them; and a bound of our own.
    for url, said in (
        ("http://localhost/", 'Invalid URL "http://localhost/": is a local URL'),
        ("http://192.168.1.1/form", 'Invalid URL "http://192.168.1.1/form": is a private URL'),
        ("https://a..fr/", 'Invalid URL "https://a..fr/"'),
        ("https://-a.fr/", 'Invalid URL "https://-a.fr/"'),
        ("https://example.fr/" + "a" * 2000, "Field cannot be longer than 2000 characters."),
    ):
        refused = client.post(
            "/api/1/contacts/",
            json={"name": "F", "role": "contact", "contact_form": url},
            headers=alice.headers,
        )
        assert (refused.status_code, refused.json()["errors"]) == (400, {"contact_form": [said]}), url
    both = client.post(
        "/api/1/contacts/", json={"name": "", "contact_form": "http://localhost/"}, headers=alice.headers
    )
    assert set(both.json()["errors"]) == {"name", "contact_form"}  # every field's problem at once
    upper = client.post(
        "/api/1/contacts/",
        json={"name": "U", "email": "u@example.org", "owner": alice.user.id.upper()},
        headers=root.headers,
    )
    assert (upper.status_code, upper.json()["owner"]["id"]) == (201, alice.user.id)  # it was a 500
    for owner in ("000000000000000000000000", "zzz"):
        named = client.post(
            "/api/1/contacts/",
            json={"name": "Z", "email": "z@example.org", "owner": owner},
            headers=root.headers,
        )
        assert (named.status_code, named.json()["errors"]) == (400, {"owner": ["User does not exists"]}), (
            owner
        )

    body = ContactPointFields(name="Ensemble", email="e@example.org")
    barrier = threading.Barrier(8)

    def make() -> bool:
        barrier.wait()
        return contact_points.create_contact_point(catalog, alice.actor(catalog), body)[3]

    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: make(), range(8)))
    assert made.count(True) == 1
    with catalog.db.read() as conn:
        rows = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.contact_points)
            .where(tables.contact_points.c.name == "Ensemble")
        ).scalar_one()
    assert rows == 1


def test_only_the_organization_and_the_owner_may_be_reference_objects(
    client: TestClient, catalog: Catalog
) -> None:
    """Every field was read as a reference object when given one: ``{"name": {"id": "x"}}`` made
    a point named "x", ``{"role": {"x": 1}}`` one of the default role."""
    alice = make_user(catalog)
    org = make_org(catalog, "Ville", **{alice.user.id: "admin"})
    for field in ("name", "email", "contact_form", "role"):
        body = {"name": "N", "email": "n@example.org", field: {"id": "x"}}
        refused = client.post("/api/1/contacts/", json=body, headers=alice.headers)
        assert (refused.status_code, refused.json()["errors"]) == (400, {field: ["Not a valid string."]}), (
            field
        )
    made = client.post(
        "/api/1/contacts/",
        json={"name": "N", "email": "n@example.org", "organization": {"id": org.id}},
        headers=alice.headers,
    )
    assert (made.status_code, made.json()["organization"]["id"]) == (201, org.id)
