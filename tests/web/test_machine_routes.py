"""What machines read beside the pages: sitemaps by keyset, robots.txt, OpenSearch; on both databases."""

from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.app import create_app
from opencat.catalog import sitemaps
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.config import Settings
from opencat.db.engine import Database
from tests.conftest import BASE_URL
from tests.factories import make_dataset, make_org, make_user

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def xml(client: TestClient, path: str) -> ElementTree.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)


def locations(root: ElementTree.Element, kind: str) -> list[str]:
    return [str(item.findtext(f"{SITEMAP}loc")) for item in root.iter(f"{SITEMAP}{kind}")]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 2)
    return 2


def test_the_sitemaps_list_every_public_dataset_once(
    client: TestClient, catalog: Catalog, small_pages: int
) -> None:
    owner = make_user(catalog)
    hidden = [make_dataset(catalog, owner, private=True).dataset.id]
    public = sorted(make_dataset(catalog, owner).dataset.slug for _ in range(3))
    hidden.append(make_dataset(catalog, owner, private=True).dataset.id)
    hidden.append(make_dataset(catalog, owner).dataset.id)
    delete_dataset(catalog, owner.actor(catalog), hidden[-1])
    public += [make_dataset(catalog, owner).dataset.slug for _ in range(2)]
    public.sort()

    pages = locations(xml(client, "/sitemap.xml"), "sitemap")
    dataset_pages = [page for page in pages if "/sitemaps/datasets-" in page]
    # 8 ids, 2 a page, each page named by a public id: a hidden one named the first page (and
    # others), telling anyone that it existed and when it was made.
    assert len(dataset_pages) == 3
    assert not [page for page in dataset_pages if any(hidden_id in page for hidden_id in hidden)]
    listed: list[str] = []
    for page in dataset_pages:
        root = xml(client, page.removeprefix(BASE_URL))
        entries = list(root.iter(f"{SITEMAP}url"))
        assert len(entries) <= small_pages
        assert all(entry.findtext(f"{SITEMAP}lastmod") for entry in entries)
        listed += locations(root, "url")
    assert sorted(listed) == [f"{BASE_URL}/datasets/{slug}/" for slug in public]


def test_the_sitemaps_list_organizations(client: TestClient, catalog: Catalog, small_pages: int) -> None:
    organizations = sorted(make_org(catalog).slug for _ in range(3))

    pages = [page for page in locations(xml(client, "/sitemap.xml"), "sitemap") if "organizations-" in page]
    listed = [url for page in pages for url in locations(xml(client, page.removeprefix(BASE_URL)), "url")]

    assert len(pages) == 2
    assert sorted(listed) == [f"{BASE_URL}/organizations/{slug}/" for slug in organizations]


def test_an_empty_catalog_has_an_empty_index(client: TestClient) -> None:
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{SITEMAP}sitemapindex"
    assert locations(root, "sitemap") == []


def test_a_page_past_the_end_is_empty_and_a_bad_name_is_not_found(client: TestClient) -> None:
    root = xml(client, f"/sitemaps/datasets-{'f' * 24}.xml")
    assert root.tag == f"{SITEMAP}urlset"
    assert list(root) == []
    for path in ("/sitemaps/datasets-1.xml", "/sitemaps/organizations-zz.xml"):
        response = client.get(path)
        assert response.status_code == 404
        assert "message" in response.json()


def test_a_sitemap_page_reads_by_keyset_without_offset(
    client: TestClient, catalog: Catalog, db: Database, small_pages: int
) -> None:
    owner = make_user(catalog)
    for _ in range(5):
        make_dataset(catalog, owner)
    pages = locations(xml(client, "/sitemap.xml"), "sitemap")
    statements: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_rest: object) -> None:
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        xml(client, pages[-1].removeprefix(BASE_URL))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    reads = [(statement, parameters) for statement, parameters in statements if "FROM datasets" in statement]
    assert len(reads) == 1
    statement, parameters = reads[0]
    assert "datasets.id >=" in statement
    # SQLAlchemy writes LIMIT ? OFFSET ? for SQLite, with an offset of 0.
    assert "OFFSET" not in statement or (isinstance(parameters, tuple) and parameters[-1] == 0)


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_the_api(client: TestClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in lines
    assert {"Allow: /", "Allow: /api/1/$", "Disallow: /api/", "Disallow: /resources/"} <= set(lines)
    # A preview makes the server fetch the file; the accounts' pages are behind a sign-in.
    assert {"Disallow: /*?preview=", "Disallow: /account/", "Disallow: /login"} <= set(lines)
    # Search results' endless filters, on the search page and on the pages that carry them too.
    assert {"Disallow: /datasets/?", "Disallow: /organizations/*?", "Disallow: /users/*?"} <= set(lines)


def test_opensearch_describes_the_search_page(client: TestClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = ElementTree.fromstring(response.content)
    assert root.findtext(f"{OPENSEARCH}ShortName") == "opencat"
    templates = {url.get("type"): url.get("template") for url in root.iter(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == f"{BASE_URL}/datasets/?q={{searchTerms}}"
    assert templates["application/opensearchdescription+xml"] == f"{BASE_URL}/opensearch.xml"


@pytest.fixture
def front_client(db: Database, settings: Settings) -> Iterator[TestClient]:
    front = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url=BASE_URL,
        front_url="https://www.example.org/fr",
        site_title='Open data of "Somewhere" & co, a long name',
    )
    with TestClient(create_app(front, database=db), base_url=BASE_URL) as test_client:
        yield test_client


def test_with_an_external_front_end_the_pages_are_there(front_client: TestClient, catalog: Catalog) -> None:
    slug = make_dataset(catalog, make_user(catalog)).dataset.slug
    (page,) = locations(xml(front_client, "/sitemap.xml"), "sitemap")
    assert locations(xml(front_client, page.removeprefix(BASE_URL)), "url") == [
        f"https://www.example.org/fr/datasets/{slug}"
    ]
    root = ElementTree.fromstring(front_client.get("/opensearch.xml").content)
    templates = {url.get("type"): url.get("template") for url in root.iter(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == "https://www.example.org/fr/datasets/?q={searchTerms}"
    assert root.findtext(f"{OPENSEARCH}ShortName") == 'Open data of "So'
    assert (
        root.findtext(f"{OPENSEARCH}Description")
        == 'Search the datasets of Open data of "Somewhere" & co, a long name'
    )


def test_these_documents_are_not_api_operations(client: TestClient) -> None:
    paths = client.get("/api/1/swagger.json").json()["paths"]
    assert not [path for path in paths if "sitemap" in path or path in ("/robots.txt", "/opensearch.xml")]
