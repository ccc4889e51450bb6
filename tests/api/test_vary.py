"""What an API answer varies by, beside its URL: a shared cache in front of the API must not give
one caller's answer (a member's view of a private dataset, a masked body) to another."""

from collections.abc import Mapping

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_user

REMOTE = {"title": "f", "url": "https://example.org/f.csv", "filetype": "remote", "format": "csv"}


def _varies_by(answer_headers: Mapping[str, str], name: str) -> bool:
    vary = answer_headers.get("vary") or ""
    return name.lower() in [part.strip().lower() for part in vary.split(",")]


def test_answers_that_depend_on_the_key_say_so(client: TestClient, catalog: Catalog) -> None:
    alice = make_user(catalog)
    view = make_dataset(catalog, alice, private=True, resources=[REMOTE])
    rid = view.resources[0].id
    urls = (
        f"/api/1/datasets/r/{rid}",
        f"/api/1/datasets/{view.dataset.id}/rdf.ttl",
        f"/api/1/datasets/{view.dataset.id}/resources/{rid}/",
        f"/api/2/datasets/resources/{rid}/",
        f"/api/2/datasets/{view.dataset.id}/resources/",
        f"/api/1/datasets/{view.dataset.id}/followers/",
        "/api/1/datasets/community_resources/",
        "/api/1/activity/",
    )
    for url in urls:
        member = client.get(url, headers=alice.headers, follow_redirects=False)
        stranger = client.get(url, follow_redirects=False)
        assert member.status_code in (200, 302), (url, member.status_code)
        # Both the member's answer and the stranger's (a 404, or a list without the dataset).
        assert _varies_by(member.headers, "X-API-KEY"), (url, member.headers.get("vary"))
        assert _varies_by(stranger.headers, "X-API-KEY"), (url, stranger.headers.get("vary"))


def test_a_masked_answer_varies_by_its_mask(client: TestClient, catalog: Catalog) -> None:
    view = make_dataset(catalog, make_user(catalog), title="Prénoms des enfants")
    for url in ("/api/1/datasets/suggest/?q=pren", f"/api/1/datasets/{view.dataset.id}/", "/api/1/datasets/"):
        answer = client.get(url, headers={"X-Fields": "id"})
        assert answer.status_code == 200, url
        assert _varies_by(answer.headers, "X-Fields"), (url, answer.headers.get("vary"))
        # Named once, whatever the handler said already.
        assert answer.headers["vary"].lower().count("x-fields") == 1
