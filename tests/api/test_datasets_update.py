"""PUT, PATCH and DELETE on /api/1/datasets/{ident}/ (udata: udata/core/dataset/api.py, forms.py, udata: udata/core/dataset/api.py, udata: udata/core/dataset/forms.py)."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user


def _full(catalog: Catalog, owner):  # type: ignore[no-untyped-def]
    return make_dataset(
        catalog,
        owner,
        title="Horaires des bus",
        acronym="HB",
        license="lov2",
        frequency="monthly",
        tags=("bus", "transport"),
        extras={"source": "gtfs"},
    )


def test_put_title_renames_slug_and_keeps_every_other_field(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = _full(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    before = client.get(url).json()
    response = client.put(url, json={"title": "Horaires des bus 2024"}, headers=alice.headers)
    assert response.status_code == 200
    data = response.json()
    assert data["slug"] == "horaires-des-bus-2024"
    for kept in ("acronym", "license", "frequency", "tags", "extras", "description"):
        assert data[kept] == before[kept], kept
    assert data["internal"]["last_modified_internal"] >= before["internal"]["last_modified_internal"]
    old = client.get("/api/1/datasets/horaires-des-bus/?q=1")
    assert old.status_code == 308
    assert old.headers["location"] == "/api/1/datasets/horaires-des-bus-2024/"


def test_old_slug_redirect_keeps_method_for_writes(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = _full(catalog, alice)
    client.put(f"/api/1/datasets/{view.dataset.id}/", json={"title": "Renamed"}, headers=alice.headers)
    response = client.put("/api/1/datasets/horaires-des-bus/", json={"acronym": "Z"}, headers=alice.headers)
    assert response.status_code == 308
    assert response.headers["location"] == "/api/1/datasets/renamed/"


def test_null_and_empty_values_follow_udata(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = _full(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    data = client.put(
        url,
        json={
            "acronym": None,
            "license": None,
            "frequency": None,
            "private": None,
            "extras": {},
            "resources": [],
        },
        headers=alice.headers,
    ).json()
    assert data["acronym"] is None
    assert data["license"] == "notspecified"
    assert data["frequency"] == "unknown"
    assert data["private"] is False
    assert data["extras"] == {}
    cleared = client.put(url, json={"tags": None}, headers=alice.headers).json()
    assert cleared["tags"] == []


def test_patch_means_the_same_and_omitted_tags_are_kept(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, tags=("bus",), temporal_coverage=None, frequency="daily")
    url = f"/api/1/datasets/{view.dataset.id}/"
    client.put(
        url, json={"temporal_coverage": {"start": "2024-01-01", "end": "2024-12-31"}}, headers=alice.headers
    )
    data = client.patch(url, json={"description": "new"}, headers=alice.headers).json()
    assert data["tags"] == ["bus"]
    assert data["temporal_coverage"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert data["description"] == "new"


def test_non_member_gets_403_and_anonymous_401(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    assert client.put(url, json={"title": "hijack"}).status_code == 401
    forbidden = client.put(url, json={"title": "hijack"}, headers=bob.headers)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"message": "You do not have the permission to modify that object."}
    assert client.delete(url, headers=bob.headers).status_code == 403


def test_permission_is_checked_before_validation(client: TestClient, catalog: Catalog) -> None:
    alice, bob = make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, alice)
    response = client.put(
        f"/api/1/datasets/{view.dataset.id}/",
        content=b"not json",
        headers={**bob.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 403


def test_invalid_frequency_on_update(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    response = client.put(
        f"/api/1/datasets/{view.dataset.id}/", json={"frequency": "sometimes"}, headers=alice.headers
    )
    assert response.status_code == 400
    message = "'sometimes' is not a valid UpdateFrequency"  # udata's words; the form error is ours
    assert response.json() == {"errors": {"frequency": [message]}, "message": message}


def test_delete_then_410_then_restore(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    deleted = client.delete(url, headers=alice.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert deleted.headers["content-type"] == "application/json"
    assert client.delete(url, headers=alice.headers).json() == {"message": "Dataset has been deleted"}
    assert client.put(url, json={"title": "again"}, headers=alice.headers).status_code == 410
    listed = client.get("/api/1/datasets/?deleted=true", headers=alice.headers).json()
    assert [item["id"] for item in listed["data"]] == [view.dataset.id]
    restored = client.put(url, json={"deleted": None}, headers=alice.headers)
    assert restored.status_code == 200
    assert restored.json()["deleted"] is None
    assert client.get(url).status_code == 200


def test_if_match_refuses_stale_writes(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    etag = client.get(url).headers["ETag"]
    first = client.put(url, json={"acronym": "A"}, headers={**alice.headers, "If-Match": etag})
    assert first.status_code == 200
    stale = client.put(url, json={"acronym": "B"}, headers={**alice.headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url).json()["acronym"] == "A"
    fresh = client.delete(url, headers={**alice.headers, "If-Match": first.headers["ETag"]})
    assert fresh.status_code == 204


def test_resources_list_in_put_replaces_updates_and_protects_hosted_files(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[
            {"title": "hosted", "url": "https://example.org/h.csv", "filetype": "file", "format": "csv"},
            {"title": "remote", "url": "https://example.org/r.csv", "filetype": "remote"},
        ],
    )
    hosted, remote = view.resources
    url = f"/api/1/datasets/{view.dataset.id}/"
    body = {
        "resources": [
            {"id": remote.id, "title": "remote renamed"},
            {
                "id": hosted.id,
                "title": "hosted renamed",
                "url": "https://evil.example.org/x",
                "format": "exe",
            },
            {"title": "new one", "url": "https://example.org/n.json", "filetype": "remote"},
        ]
    }
    data = client.put(url, json=body, headers=alice.headers).json()
    titles = [item["title"] for item in data["resources"]]
    assert titles == ["remote renamed", "hosted renamed", "new one"]
    assert data["resources"][1]["url"] == "https://example.org/h.csv"
    assert data["resources"][1]["format"] == "csv"
    shrunk = client.put(url, json={"resources": [{"id": hosted.id}]}, headers=alice.headers).json()
    assert [item["id"] for item in shrunk["resources"]] == [hosted.id]
    bad = client.put(url, json={"resources": [{"id": "not-a-uuid"}]}, headers=alice.headers)
    assert bad.status_code == 400


def test_org_change_needs_transfer_unless_sysadmin(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    first = make_org(catalog, **{alice.user.id: "admin"})
    second = make_org(catalog, **{alice.user.id: "admin"})
    view = make_dataset(catalog, alice, organization=first.id)
    url = f"/api/1/datasets/{view.dataset.id}/"
    refused = client.put(url, json={"organization": second.id}, headers=alice.headers)
    assert refused.json() == {
        "errors": {"organization": ["Cannot change owner after creation. Please use transfer feature."]}
    }
    admin = make_user(catalog, sysadmin=True)
    moved = client.put(url, json={"organization": second.id}, headers=admin.headers)
    assert moved.json()["organization"]["id"] == second.id
    personal = make_dataset(catalog, alice)
    joined = client.put(
        f"/api/1/datasets/{personal.dataset.id}/",
        json={"organization": {"id": first.id}},
        headers=alice.headers,
    ).json()
    assert (joined["organization"]["id"], joined["owner"]) == (first.id, None)
    # Out of an organization to a user: a sysadmin's transfer (a 200 that changed nothing before).
    out = {"organization": None, "owner": alice.user.id}
    assert client.put(url, json=out, headers=alice.headers).json() == refused.json()
    # Out of the organization without saying to whom: a transfer too, refused to a member.
    assert client.put(url, json={"organization": None}, headers=alice.headers).json() == refused.json()
    handed = client.put(url, json=out, headers=admin.headers).json()
    assert (handed["organization"], handed["owner"]["id"]) == (None, alice.user.id)


def test_null_access_type_means_open(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    created = client.post(
        "/api/1/datasets/",
        json={"title": "a", "description": "d", "access_type": None, "license": "cc-by"},
        headers=alice.headers,
    ).json()
    assert created["access_type"] == "open"
    updated = client.put(
        f"/api/1/datasets/{created['id']}/", json={"access_type": None}, headers=alice.headers
    ).json()
    assert (updated["access_type"], updated["license"]) == ("open", "cc-by")


def test_an_if_match_naming_no_version_is_checked_after_who_and_what(
    client: TestClient, catalog: Catalog
) -> None:
    """udata answers 401, 404, 410 and 403 before anything else: an ETag that is not one of ours
    can never match, and gets its 412 only once the caller may write the dataset."""
    alice, bob = make_user(catalog), make_user(catalog)
    view = make_dataset(catalog, alice)
    gone = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    client.delete(f"/api/1/datasets/{gone.dataset.id}/", headers=alice.headers)
    stale = {"If-Match": '"stale"'}
    for send in (
        lambda u, h: client.put(u, json={"acronym": "X"}, headers=h),
        lambda u, h: client.delete(u, headers=h),
    ):
        assert send(url, stale).status_code == 401
        assert (
            send("/api/1/datasets/000000000000000000000000/", {**alice.headers, **stale}).status_code == 404
        )
        assert send(f"/api/1/datasets/{gone.dataset.id}/", {**alice.headers, **stale}).status_code == 410
        assert send(url, {**bob.headers, **stale}).status_code == 403
        refused = send(url, {**alice.headers, **stale})
        assert refused.status_code == 412
        assert refused.json() == {"message": "The dataset changed since you read it"}
    assert client.get(url).json()["acronym"] is None


def test_send_legal_notice_is_read_as_udatas_boolean_once_the_caller_is_known(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    assert client.delete(f"{url}?send_legal_notice=maybe").status_code == 401
    refused = client.delete(f"{url}?send_legal_notice=maybe", headers=alice.headers)
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": {
            "send_legal_notice": "Send formal legal notice with appeal information to owner (admin only) "
            "Invalid literal for boolean(): maybe"
        },
        "message": "Input payload validation failed",
    }
    assert client.get(url).status_code == 200
    assert client.delete(f"{url}?send_legal_notice=false", headers=alice.headers).status_code == 204


def test_an_if_match_list_passes_when_any_of_its_etags_is_current(
    client: TestClient, catalog: Catalog
) -> None:
    """RFC 9110 13.1.1; an ETag of another dataset with the same revision is not this one's."""
    alice = make_user(catalog)
    view, other = make_dataset(catalog, alice), make_dataset(catalog, alice)
    url = f"/api/1/datasets/{view.dataset.id}/"
    tag = client.get(url).headers["ETag"]
    other_tag = client.get(f"/api/1/datasets/{other.dataset.id}/").headers["ETag"]
    assert tag.startswith(f'"{view.dataset.id}-1+')
    assert other_tag.startswith(f'"{other.dataset.id}-1+')
    assert (
        client.put(url, json={"acronym": "A"}, headers={**alice.headers, "If-Match": other_tag}).status_code
        == 412
    )
    stale_first = f'"{view.dataset.id}-0", "zz", W/{tag}'
    first = client.put(url, json={"acronym": "B"}, headers={**alice.headers, "If-Match": stale_first})
    assert first.status_code == 200, first.text
    again = client.delete(url, headers={**alice.headers, "If-Match": f"{tag}, {other_tag}"})
    assert again.status_code == 412
    assert (
        client.delete(
            url, headers={**alice.headers, "If-Match": f"{tag}, {first.headers['ETag']}"}
        ).status_code
        == 204
    )


def test_comma_separated_tags_skip_empty_pieces_and_zones_may_be_objects(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's tag field drops the empty pieces of a comma-separated text, and its zone list takes
    ``{"id": ...}`` as contact points do."""
    alice = make_user(catalog)
    url = f"/api/1/datasets/{make_dataset(catalog, alice).dataset.id}/"
    for sent, stored in (("abc,def,", ["abc", "def"]), ("abc, ,def", ["abc", "def"]), ("", [])):
        answer = client.put(url, json={"tags": sent}, headers=alice.headers)
        assert (answer.status_code, answer.json()["tags"]) == (200, stored), sent
    zones = client.put(url, json={"spatial": {"zones": [{"id": "fr:departement:75"}]}}, headers=alice.headers)
    assert (zones.status_code, zones.json()["spatial"]["zones"]) == (200, ["fr:departement:75"])


def test_an_empty_text_clears_an_optional_field(client: TestClient, catalog: Catalog) -> None:
    """udata's optional text fields read an empty text as none (``EmptyNone``): a URL included."""
    owner = make_user(catalog)
    url = f"/api/1/datasets/{make_dataset(catalog, owner).dataset.id}/"
    filled = {
        "acronym": "AC",
        "description_short": "short",
        "access_type": "restricted",
        "access_type_reason": "why",
        "authorization_request_url": "https://example.org/ask",
    }
    assert client.put(url, json=filled, headers=owner.headers).status_code == 200
    cleared = client.put(url, json=dict.fromkeys(set(filled) - {"access_type"}, ""), headers=owner.headers)
    assert cleared.status_code == 200, cleared.text
    answer = cleared.json()
    assert [answer[name] for name in sorted(set(filled) - {"access_type"})] == [None, None, None, None]


def test_a_list_of_one_tag_is_read_as_udata_comma_separated_form(
    client: TestClient, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    url = f"/api/1/datasets/{make_dataset(catalog, owner).dataset.id}/"
    assert client.put(url, json={"tags": ["foo,bar"]}, headers=owner.headers).json()["tags"] == ["bar", "foo"]
    assert client.put(url, json={"tags": [""]}, headers=owner.headers).json()["tags"] == []
    two = client.put(url, json={"tags": ["foo,bar", "baz"]}, headers=owner.headers).json()
    assert two["tags"] == ["baz", "foo-bar"]  # several values: each one a tag


def test_a_resource_named_twice_in_a_body_is_refused_whole(client: TestClient, catalog: Catalog) -> None:
    """udata's ``Dataset.clean()``: merged, the first entry's edit was lost, and the history told
    of two edits and of a list never stored."""
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[
            {"title": "A", "url": "https://example.org/a.csv", "filetype": "remote"},
            {"title": "B", "url": "https://example.org/b.csv", "filetype": "remote"},
        ],
    )
    first, second = (resource.id for resource in view.resources)
    url = f"/api/1/datasets/{view.dataset.id}/"
    before = client.get(url).json()
    history = f"/api/1/activity/?related_to={view.dataset.id}"
    recorded = client.get(history).json()["total"]
    for twice in (first, first.upper()):
        body = {"resources": [{"id": first, "title": "A1"}, {"id": twice, "title": "A2"}, {"id": second}]}
        refused = client.put(url, json=body, headers=alice.headers)
        problem = f"Duplicate resource ID in dataset #{view.dataset.id}."
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "errors": {"__all__": problem},
                "message": f"ValidationError (Dataset:{view.dataset.id}) ({problem}: ['__all__'])",
            },
        )
    assert client.get(url).json() == before
    assert client.get(history).json()["total"] == recorded


def test_resources_given_by_their_ids_alone_keep_and_order_them(client: TestClient, catalog: Catalog) -> None:
    """udata's nested form reads a text entry as the resource's id (``resources-0`` as
    ``resources-0-id``): the reorder endpoint's body, sent to the dataset."""
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        resources=[
            {"title": "A", "url": "https://example.org/a.csv", "filetype": "remote"},
            {"title": "B", "url": "https://example.org/b.csv", "filetype": "remote"},
            {"title": "C", "url": "https://example.org/c.csv", "filetype": "remote"},
        ],
    )
    a, b, c = (resource.id for resource in view.resources)
    url = f"/api/1/datasets/{view.dataset.id}/"
    kept = client.put(url, json={"resources": [c, {"id": a, "title": "A2"}]}, headers=alice.headers)
    assert kept.status_code == 200, kept.text
    assert [(item["id"], item["title"]) for item in kept.json()["resources"]] == [(c, "C"), (a, "A2")]
    unknown = client.put(
        url, json={"resources": ["0b9a2c8e-55ad-4b9f-8d37-3f1e2a6c4b10"]}, headers=alice.headers
    )
    assert unknown.status_code == 400  # a new resource then, without its title and URL
    assert unknown.json()["errors"]["resources"][0] == {
        "title": ["This field is required."],
        "url": ["This field is required."],
    }
    assert client.put(url, json={"resources": ["nope"]}, headers=alice.headers).status_code == 400
    assert b not in [item["id"] for item in client.get(url).json()["resources"]]


def test_coverage_identifiers_and_owners_are_refused_in_udatas_words(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's ``DateRangeField``, ``clean_oid`` and owner field: an empty range clears the
    coverage; a range without its start is "Unable to parse date range", a text not of two dates
    Python's refusal to unpack it (a text of one date was taken as a start, of three cut short); an identifier that is none is named; a
    user who does not exist is said so to anyone, before who may name whom."""
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, temporal_coverage=None)
    url = f"/api/1/datasets/{view.dataset.id}/"
    covered = {"temporal_coverage": {"start": "2020-01-01", "end": "2020-12-31"}}
    assert client.put(url, json=covered, headers=alice.headers).status_code == 200
    assert (
        client.put(url, json={"temporal_coverage": {}}, headers=alice.headers).json()["temporal_coverage"]
        is None
    )
    for unreadable, said in (
        ({"end": "2020-12-31"}, "Unable to parse date range"),
        # udata unpacks the text in two: Python's words for one date, or three
        ("2020-01-01", "not enough values to unpack (expected 2, got 1)"),
        ("2020-01-01 - 2020-12-31 - 2021-01-01", "too many values to unpack (expected 2)"),
    ):
        refused = client.put(url, json={"temporal_coverage": unreadable}, headers=alice.headers)
        assert refused.json() == {"errors": {"temporal_coverage": [said]}}, unreadable
    ranged = client.put(url, json={"temporal_coverage": "2021-01-01 - 2021-06-30"}, headers=alice.headers)
    assert ranged.json()["temporal_coverage"] == {"start": "2021-01-01", "end": "2021-06-30"}
    for field in ("organization", "owner"):
        named = client.put(url, json={field: "zzz"}, headers=alice.headers)
        assert named.json() == {"errors": {field: ["Unsupported identifier: zzz"]}}
        nameless = client.put(url, json={field: {"name": "x"}}, headers=alice.headers)
        assert nameless.json() == {"errors": {field: ["Unsupported identifier: {'name': 'x'}"]}}
        # an empty one is skipped, as udata's fields skip it: the dataset keeps its own
        kept = client.put(url, json={field: ""}, headers=alice.headers)
        assert (kept.status_code, kept.json()["owner"]["id"], kept.json()["organization"]) == (
            200,
            alice.user.id,
            None,
        )
    made = client.post(
        "/api/1/datasets/",
        json={"title": "T", "description": "D", "organization": "", "owner": ""},
        headers=alice.headers,
    )
    assert (made.status_code, made.json()["owner"]["id"], made.json()["organization"]) == (
        201,
        alice.user.id,
        None,
    )
    nobody = client.put(url, json={"owner": "000000000000000000000000"}, headers=alice.headers)
    assert nobody.json() == {"errors": {"owner": ["User does not exists"]}}
    bob = make_user(catalog)
    other = client.put(url, json={"owner": bob.user.id}, headers=alice.headers)
    # udata's owner field on an object that has an owner asks for a transfer first.
    transfer = "Cannot change owner after creation. Please use transfer feature."
    assert other.json() == {"errors": {"owner": [transfer]}}


def test_a_resources_list_is_stored_in_its_order_after_resources_were_added(
    client: TestClient, catalog: Catalog
) -> None:
    """Each resource added goes first (stored positions 0, -1, -2...): a PUT compared the new
    indexes with the old list's indexes, not with the stored positions, left some rows where they
    were, and answered 200 with another order ([R1, R0, R2] for [R0, R1, R2]; two rows of one
    position, ordered differently by SQLite and PostgreSQL)."""
    alice = make_user(catalog)
    dataset = make_dataset(catalog, alice).dataset
    url = f"/api/1/datasets/{dataset.id}/"
    made = []
    for number in range(5):
        body = {"title": f"R{number}", "url": f"https://example.org/{number}.csv", "filetype": "remote"}
        answer = client.post(f"{url}resources/", json=body, headers=alice.headers)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    assert [item["id"] for item in client.get(url).json()["resources"]] == made[::-1]
    for order in ([0, 1, 2, 3, 4], [1, 2, 0, 4, 3], [4, 0, 3, 1, 2]):
        wanted = [made[index] for index in order]
        answer = client.put(url, json={"resources": [{"id": rid} for rid in wanted]}, headers=alice.headers)
        assert answer.status_code == 200, answer.text
        assert [item["id"] for item in answer.json()["resources"]] == wanted
        assert [item["id"] for item in client.get(f"{url}?order={order}").json()["resources"]] == wanted
    # A new resource between two kept ones, after another was added first.
    added = client.post(
        f"{url}resources/",
        json={"title": "R5", "url": "https://example.org/5.csv", "filetype": "remote"},
        headers=alice.headers,
    ).json()["id"]
    body = [
        {"id": made[2]},
        {"title": "new", "url": "https://example.org/n.csv"},
        {"id": added},
        {"id": made[0]},
    ]
    answer = client.put(url, json={"resources": body}, headers=alice.headers)
    assert answer.status_code == 200, answer.text
    titles = [item["title"] for item in client.get(f"{url}?again=1").json()["resources"]]
    assert titles == ["R2", "new", "R5", "R0"]
