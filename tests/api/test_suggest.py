"""Suggestions (udata: udata/core/dataset/api.py, suggest)."""

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user


def test_datasets_by_substring_of_title_or_acronym_most_followed_first(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, **{alice.user.id: "admin"})
    plain = make_dataset(catalog, alice, title="Horaires des bus").dataset
    popular = make_dataset(catalog, alice, title="Lignes de BUS urbains", organization=org.id).dataset
    by_acronym = make_dataset(catalog, alice, title="Transports", acronym="OBUS").dataset
    make_dataset(catalog, alice, title="Bus privé", private=True)
    make_dataset(catalog, alice, title="Métro")
    client.post(f"/api/1/datasets/{popular.id}/followers/", headers=make_user(catalog).headers)
    found = client.get("/api/1/datasets/suggest/?q=bus&size=5").json()
    assert found[0]["id"] == popular.id
    assert {item["id"] for item in found} == {plain.id, popular.id, by_acronym.id}
    assert set(found[0]) == {"id", "title", "acronym", "slug", "image_url", "page"}
    assert [item["id"] for item in client.get("/api/1/datasets/suggest/?q=métr").json()] != []
    assert [item["id"] for item in client.get("/api/1/datasets/suggest/?q=metr").json()] != []
    assert len(client.get("/api/1/datasets/suggest/?q=bus&size=1").json()) == 1
    assert [item["title"] for item in client.get("/api/1/datasets/suggest/?q=ho").json()] == [
        "Horaires des bus"
    ]
    assert client.get("/api/1/datasets/suggest/?q=zzzz").json() == []
    for hostile in ("%22%28", "%00", "a" * 500, "*", "[", ".*"):
        assert client.get(f"/api/1/datasets/suggest/?q={hostile}").status_code in (200, 400)


def test_missing_q_is_reqparse_400(client: TestClient) -> None:
    assert client.get("/api/1/datasets/suggest/").json() == {
        "errors": {"q": "The string to autocomplete/suggest Missing required parameter in the query string"},
        "message": "Input payload validation failed",
    }


def test_a_size_that_is_no_integer_is_refused_in_pythons_words(client: TestClient) -> None:
    """udata declares ``size`` with ``type=int``: reqparse says ``int()``'s error after the help."""
    for path in ("datasets/suggest/", "datasets/suggest/formats/", "datasets/suggest/mime/", "tags/suggest/"):
        for raw, said in (("abc", "'abc'"), ("", "''")):
            refused = client.get(f"/api/1/{path}?q=x&size={raw}")
            assert (refused.status_code, refused.json()) == (
                400,
                {
                    "errors": {
                        "size": f"The amount of suggestion to fetch invalid literal for int() with base 10: {said}"
                    },
                    "message": "Input payload validation failed",
                },
            ), path


def test_formats_and_mimes(client: TestClient) -> None:
    assert client.get("/api/1/datasets/suggest/formats/?q=cs&size=5").json() == [
        {"text": "csv"},
        {"text": "ics"},
    ]
    assert client.get("/api/1/datasets/suggest/mime/?q=csv").json() == [{"text": "text/csv"}]
    assert client.get("/api/1/datasets/suggest/formats/?q=zz").json() == []


def test_one_or_two_letters_and_short_acronyms(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Horaires des bus 2024", acronym="HB")
    make_dataset(catalog, alice, title="Lignes urbaines")
    assert [item["acronym"] for item in client.get("/api/1/datasets/suggest/?q=HB").json()] == ["HB"]
    assert len(client.get("/api/1/datasets/suggest/?q=us").json()) == 1
    assert len(client.get("/api/1/datasets/suggest/?q=e").json()) == 2


def test_the_answers_udata_does_not_marshal_ignore_x_fields(client: TestClient) -> None:
    """udata masks only what flask-restx marshals: these four are sent whole whatever X-Fields says."""
    for path, mask in (
        ("/api/1/datasets/extensions/", "id"),
        ("/api/1/datasets/extensions/", "id{"),
        ("/api/1/datasets/badges/", "spd"),
        ("/api/1/datasets/suggest/formats/?q=cs", "nope"),
        ("/api/1/datasets/suggest/mime/?q=csv", "nope"),
    ):
        whole = client.get(path)
        masked = client.get(path, headers={"X-Fields": mask})
        assert masked.status_code == 200, (path, masked.text)
        assert whole.json(), path
        assert masked.json() == whole.json(), path


def test_tags_and_a_zone_ignore_x_fields_and_contact_roles_take_it(
    client: TestClient, catalog: Catalog
) -> None:
    """udata's tag suggestions and zone are raw answers (no mask); its contact roles are marshalled."""
    make_dataset(catalog, make_user(catalog), tags=["transport"])
    for path in ("/api/1/tags/suggest/?q=tra", "/api/1/spatial/zone/country:fr/"):
        whole = client.get(path)
        assert whole.status_code == 200, path
        assert whole.json(), path
        for mask in ("id", "{id"):
            masked = client.get(path, headers={"X-Fields": mask})
            assert (masked.status_code, masked.json()) == (200, whole.json()), (path, mask)
    roles = client.get("/api/1/contacts/roles/", headers={"X-Fields": "id"}).json()
    assert roles[0] == {"id": "contact"}
    broken = client.get("/api/1/contacts/roles/", headers={"X-Fields": "{id"})
    assert broken.status_code == 400


def test_a_match_behind_many_lookalike_titles_is_found(client: TestClient, catalog: Catalog) -> None:
    """Titles holding every trigram of the text, but not the text itself, and more followed than
    the one that holds it: they filled the only batch of candidates, and the match was lost."""
    alice, fan = make_user(catalog), make_user(catalog)
    for number in range(55):
        decoy = make_dataset(catalog, alice, title=f"Decoy qzvx zvkx vkwx {number}").dataset
        client.post(f"/api/1/datasets/{decoy.id}/followers/", headers=fan.headers)
    real = make_dataset(catalog, alice, title="Le qzvkw réel").dataset
    for size in (1, 10):
        found = client.get(f"/api/1/datasets/suggest/?q=qzvkw&size={size}").json()
        assert [item["id"] for item in found] == [real.id], size


def test_titles_with_ligatures_symbols_or_decomposed_accents_are_suggested(
    client: TestClient, catalog: Catalog
) -> None:
    alice = make_user(catalog)
    heart = make_dataset(catalog, alice, title="Cœur de ville Æsop").dataset
    geofla = make_dataset(catalog, alice, title="Geofla® - Départements").dataset
    network = make_dataset(catalog, alice, title="Re\u0301seau ferre\u0301").dataset
    expected = {
        "Cœur": heart.id, "coeur": heart.id, "æsop": heart.id, "Geofla®": geofla.id,
        "réseau": network.id, "reseau": network.id, "re\u0301seau": network.id,
    }  # fmt: skip
    for text, dataset_id in expected.items():
        found = client.get("/api/1/datasets/suggest/", params={"q": text}).json()
        assert [item["id"] for item in found] == [dataset_id], text
    # A text with nothing a title can hold (an emoji, a lone mark, a zero-width space) suggests nothing.
    for text in ("😀", "★", "\u200b", "\u0301"):
        assert client.get("/api/1/datasets/suggest/", params={"q": text}).json() == [], text
    # Searches meet decomposed accents as composed ones, both ways.
    for text in ("réseau", "re\u0301seau"):
        listed = client.get("/api/1/datasets/", params={"q": text}).json()["data"]
        assert [item["id"] for item in listed] == [network.id], text
    composed = make_dataset(catalog, alice, title="Prénoms des élus").dataset
    for text in ("pre\u0301noms", "prénoms", "e\u0301lus"):
        listed = client.get("/api/1/datasets/", params={"q": text}).json()["data"]
        assert [item["id"] for item in listed] == [composed.id], text


def test_equally_followed_datasets_come_oldest_first(client: TestClient, catalog: Catalog) -> None:
    """udata's order: followers, then MongoDB's natural order (the oldest first). Ties came newest
    first, and in another order on another node (the index broke them by a part of the id)."""
    alice = make_user(catalog)
    made = [
        make_dataset(catalog, alice, title=f"Zebra {name}").dataset.id for name in ("alpha", "beta", "gamma")
    ]
    assert [item["id"] for item in client.get("/api/1/datasets/suggest/?q=zebra").json()] == made
    assert [item["id"] for item in client.get("/api/1/datasets/suggest/?q=zebra&size=1").json()] == made[:1]
    client.post(f"/api/1/datasets/{made[2]}/followers/", headers=make_user(catalog).headers)
    assert [item["id"] for item in client.get("/api/1/datasets/suggest/?q=zebra").json()] == [
        made[2],
        made[0],
        made[1],
    ]


def test_ties_past_the_first_batch_of_candidates_still_come_oldest_first(
    client: TestClient, catalog: Catalog
) -> None:
    """Only the first batch of candidates (50) was sorted: with 70 equally followed matches, the
    first suggestion was the 21st made."""
    alice = make_user(catalog)
    made = [make_dataset(catalog, alice, title=f"Zebroid {number:03}").dataset.id for number in range(70)]
    for size in (1, 5):
        found = client.get(f"/api/1/datasets/suggest/?q=zebroid&size={size}").json()
        assert [item["id"] for item in found] == made[:size], size
