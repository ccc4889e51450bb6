"""The public pages through the ASGI app, on both databases: status, content, visibility, errors,
languages, escaping."""

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.domain.datasets import Spatial
from opencat.web import query
from tests.factories import Account, load_documents, make_dataset, make_org, make_user
from tests.web.publishing import sign_in

HOSTILE = '<script>alert("x")</script></title><img src=x onerror=alert(1)>'


def _setup(catalog: Catalog) -> tuple[Account, str]:
    account = make_user(catalog)
    org = make_org(catalog, "Ville de Lyon", **{account.user.id: "admin"})
    return account, org.id


def test_the_home_page_shows_counts_recent_datasets_and_links(client: TestClient, catalog: Catalog) -> None:
    account, org = _setup(catalog)
    make_dataset(catalog, account, title="Budget primitif", organization=org, tags=["budget"])
    make_dataset(catalog, account, title="Secret", private=True)
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "1 public dataset, free to reuse." in response.text
    assert "Budget primitif" in response.text
    assert "Secret" not in response.text
    assert 'href="/organizations/ville-de-lyon/"' in response.text
    assert 'href="/datasets/?tag=budget"' in response.text
    assert 'href="/api/1/site/catalog"' in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy


def test_the_search_page_narrows_by_facets_in_the_url(client: TestClient, catalog: Catalog) -> None:
    account, org = _setup(catalog)
    csv = {"title": "data.csv", "url": "https://example.org/d.csv", "filetype": "remote", "format": "csv"}
    make_dataset(catalog, account, title="Air Lyon", organization=org, tags=["air", "lyon"], resources=[csv])
    make_dataset(catalog, account, title="Air Paris", tags=["air"])
    make_dataset(catalog, account, title="Eau Lyon", organization=org, tags=["eau"])
    make_dataset(catalog, account, title="Air caché", tags=["air"], private=True)
    page = client.get("/datasets/", params={"tag": "air", "lang": "en"})
    assert page.status_code == 200
    assert "2 datasets" in page.text
    assert "Air caché" not in page.text
    # The organization facet counts among the matches, and its link adds it to the URL's state.
    assert re.search(r'href="/datasets/\?organization=[0-9a-f]{24}&amp;tag=air"', page.text)
    assert "Ville de Lyon" in page.text
    narrowed = client.get("/datasets/", params=[("tag", "air"), ("organization", org), ("format", "csv")])
    assert "Air Lyon" in narrowed.text
    assert "Air Paris" not in narrowed.text
    assert "Eau Lyon" not in narrowed.text
    # A chosen value links to the URL without it.
    assert 'aria-current="true"' in narrowed.text
    searched = client.get("/datasets/", params={"q": "eau", "lang": "en"})
    assert "Eau Lyon" in searched.text
    assert "1 dataset" in searched.text


def test_a_format_facets_count_is_the_total_of_the_page_its_link_opens(
    client: TestClient, catalog: Catalog
) -> None:
    """The page narrows by each format added, as by tags: a count said 1 (csv and json) where the
    link opened the datasets of csv or json (a review found 154 against 242)."""
    account, _ = _setup(catalog)

    def link(name: str) -> dict[str, str]:
        return {"title": name, "url": f"https://example.org/{name}", "filetype": "remote", "format": name}

    make_dataset(catalog, account, title="Both", resources=[link("csv"), link("json")])
    make_dataset(catalog, account, title="Only csv", resources=[link("csv")])
    make_dataset(catalog, account, title="Only json", resources=[link("json")])
    page = client.get("/datasets/", params={"format": "csv", "lang": "en"})
    assert "2 datasets" in page.text
    found = re.search(
        r'href="(/datasets/\?format=csv&amp;format=json[^"]*)"[^>]*>.*?(\d+)</', page.text, re.S
    )
    assert found is not None
    counted = int(found.group(2))
    opened = client.get(found.group(1).replace("&amp;", "&") + "&lang=en")
    assert counted == 1
    assert "1 dataset" in opened.text
    assert "Both" in opened.text
    assert "Only csv" not in opened.text


def test_the_search_page_ignores_bad_arguments(client: TestClient) -> None:
    response = client.get(
        "/datasets/", params={"page": "-3", "sort": "nonsense", "badge": "x", "temporal_start": "2020-13-45"}
    )
    assert response.status_code == 200


def test_the_dataset_page_shows_the_dataset(client: TestClient, catalog: Catalog) -> None:
    account, org = _setup(catalog)
    view = make_dataset(
        catalog,
        account,
        title="Qualité de l'air",
        description="Mesures **horaires**",
        organization=org,
        tags=["air"],
        license="lov2",
        frequency="daily",
        resources=[
            {"title": "mesures.csv", "url": "https://example.org/m.csv", "filetype": "remote",
             "format": "csv", "type": "main", "filesize": 1_500_000},
            {"title": "notice.pdf", "url": "https://example.org/n.pdf", "filetype": "remote",
             "format": "pdf", "type": "documentation"},
        ],
    )  # fmt: skip
    dataset = view.dataset
    response = client.get(f"/datasets/{dataset.slug}/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 200
    text = response.text
    assert "<h1>Qualité de l&#39;air</h1>" in text
    assert "Mesures <strong>horaires</strong>" in text  # Markdown rendered
    assert "Main data" in text
    assert "Documentation" in text
    assert "1.5\u00a0MB" in text
    resource_id = view.resources[0].id
    assert f'href="http://testserver/api/1/datasets/r/{resource_id}"' in text
    assert "Licence Ouverte" in text
    assert f'href="http://testserver/api/1/datasets/{dataset.id}/"' in text
    assert (
        f'rel="alternate" type="text/turtle" href="http://testserver/api/1/datasets/{dataset.id}/rdf.ttl"'
        in text
    )
    assert 'type="application/atom+xml"' in text
    assert 'type="application/opensearchdescription+xml" href="/opensearch.xml"' in text
    assert '<script type="application/ld+json">' in text
    assert '"@type":"Dataset"' in text
    assert 'href="/organizations/ville-de-lyon/"' in text


def test_a_dataset_asked_by_id_or_another_spelling_redirects_to_its_page(
    client: TestClient, catalog: Catalog
) -> None:
    account, _ = _setup(catalog)
    dataset = make_dataset(catalog, account, title="Budget").dataset
    by_id = client.get(f"/datasets/{dataset.id}/")
    assert by_id.status_code == 308
    assert by_id.headers["location"] == f"/datasets/{dataset.slug}/"
    # An identifier that only matches once slugified answers like the API: a redirect.
    moved = client.get(f"/datasets/{dataset.slug.upper()}/?lang=en")
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/datasets/{dataset.slug}/?lang=en"


def test_an_organization_or_user_asked_by_another_spelling_redirects_to_its_own_page(
    client: TestClient, catalog: Catalog
) -> None:
    """They were sent to /datasets/{slug}/, a 404."""
    account, _ = _setup(catalog)
    moved = client.get("/organizations/Ville-de-LYON/?lang=en")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/organizations/ville-de-lyon/?lang=en"
    user = client.get(f"/users/{account.user.slug.upper()}/")
    assert user.status_code == 308
    assert user.headers["location"] == f"/users/{account.user.slug}/"
    assert client.get(user.headers["location"]).status_code == 200


def test_private_datasets_are_a_404_page_and_never_listed(client: TestClient, catalog: Catalog) -> None:
    account, org = _setup(catalog)
    hidden = make_dataset(catalog, account, title="Confidentiel", organization=org, private=True).dataset
    response = client.get(f"/datasets/{hidden.slug}/", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    for path in ("/", "/datasets/", "/organizations/ville-de-lyon/", f"/users/{account.user.slug}/"):
        assert "Confidentiel" not in client.get(path).text, path


def _card_title(card: str) -> str:
    found = re.search(r'<a href="/datasets/[^"]+/">([^<]+)</a>', card)
    assert found is not None, card
    return found.group(1)


def test_a_member_sees_which_listed_datasets_are_private(client: TestClient, catalog: Catalog) -> None:
    """A search or an organization's page lists a member's private datasets among the public ones:
    the card says which the public does not see (it looked like any other)."""
    account, org = _setup(catalog)
    make_dataset(catalog, account, title="Budget public", organization=org)
    make_dataset(catalog, account, title="Budget confidentiel", organization=org, private=True)
    sign_in(client, catalog, account)
    for path in ("/datasets/?q=budget", "/organizations/ville-de-lyon/"):
        page = client.get(path, headers={"Accept-Language": "fr"}).text
        chunks = [chunk.split("</li>\n</ul>")[0] for chunk in page.split('<li class="card">')[1:]]
        cards = {_card_title(chunk): chunk for chunk in chunks}
        assert "privé" in cards["Budget confidentiel"], path
        assert "privé" not in cards["Budget public"], path


def test_a_private_datasets_page_offers_no_link_its_reader_cannot_follow(
    client: TestClient, catalog: Catalog
) -> None:
    """Its API, RDF and history links were 404s for its own editor: the API takes API keys only,
    never the session."""
    account, org = _setup(catalog)
    hidden = make_dataset(catalog, account, title="Confidentiel", organization=org, private=True).dataset
    sign_in(client, catalog, account)
    page = client.get(f"/datasets/{hidden.slug}/", headers={"Accept-Language": "en"}).text
    assert "JSON (API)" not in page
    assert "/rdf." not in page
    assert "/api/1/activity/" not in page
    assert "the API gives it to those who send an API key" in page
    shown = make_dataset(catalog, account, title="Public", organization=org).dataset
    public = client.get(f"/datasets/{shown.slug}/", headers={"Accept-Language": "en"}).text
    assert "/rdf." in public
    assert "JSON (API)" in public


def test_a_deleted_dataset_is_a_410_page(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    dataset = make_dataset(catalog, account, title="Ancien").dataset
    delete_dataset(catalog, account.actor(catalog), dataset.id)
    response = client.get(f"/datasets/{dataset.slug}/", headers={"Accept-Language": "fr"})
    assert response.status_code == 410
    assert "Cette page a été supprimée" in response.text
    assert response.headers["content-type"].startswith("text/html")
    # The API keeps answering JSON.
    assert client.get(f"/api/1/datasets/{dataset.id}/").json()["message"]


def test_unknown_pages_are_404_pages(client: TestClient) -> None:
    for path in ("/datasets/nothing-here/", "/organizations/nobody/", "/users/nobody/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "<h1>" in response.text


def test_addresses_no_route_takes_are_a_404_page_for_browsers_and_json_for_the_rest(
    client: TestClient,
) -> None:
    """A browser opening /organizations/ or a mistyped address got udata's JSON (no title, no
    language: an accessibility failure); the API's addresses, and machines, keep the JSON."""
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/nothing/here", "/organizations/", "/users/"):
        page = client.get(path, headers=browser, params={"lang": "en"})
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="en"' in page.text
        assert "<title>" in page.text
        assert client.get(path).json()["message"].startswith("The requested URL was not found")
    api = client.get("/api/1/nothing/", headers=browser)
    assert api.json()["message"].startswith("The requested URL was not found")
    # A script preferring JSON gets JSON, and both answers say they vary on Accept (a cache).
    script = client.get("/nothing/here", headers={"Accept": "application/json, text/html;q=0.1"})
    assert script.headers["content-type"].startswith("application/json")
    assert "Accept" in script.headers["vary"]
    assert "Accept" in client.get("/nothing/here", headers=browser).headers["vary"]


def test_the_404_pages_links_stay_on_the_site(client: TestClient) -> None:
    """``/%2F%2Fevil.example/x`` (``//evil.example/x`` decoded) gave the language switch
    ``href="//evil.example/x?lang=en"``: a link to another site, from the catalog's own page."""
    browser = {"Accept": "text/html"}
    page = client.get("/%2F%2Fevil.example/x", headers=browser)
    assert page.status_code == 404
    assert 'href="/evil.example/x?lang=en"' in page.text
    assert "//evil.example" not in page.text


def test_the_404_page_knows_who_is_signed_in(client: TestClient, catalog: Catalog) -> None:
    sign_in(client, catalog, first_name="Noémie")
    page = client.get("/nothing/here", headers={"Accept": "text/html"}, params={"lang": "en"})
    assert page.status_code == 404
    assert "Sign out" in page.text
    assert "Noémie" in page.text


def test_organization_and_user_pages_list_their_searchable_datasets(
    client: TestClient, catalog: Catalog
) -> None:
    account, org = _setup(catalog)
    other = make_user(catalog)
    make_dataset(catalog, account, title="Trafic routier", organization=org)
    make_dataset(catalog, account, title="Vélos", organization=org)
    make_dataset(catalog, other, title="Mon relevé")
    page = client.get("/organizations/ville-de-lyon/", params={"lang": "en"})
    assert page.status_code == 200
    assert "<h1>Ville de Lyon" in page.text
    assert "<h3>Organization</h3>" not in page.text  # its own name alone would narrow nothing
    assert "Trafic routier" in page.text
    assert "Vélos" in page.text
    assert "Mon relevé" not in page.text
    searched = client.get("/organizations/ville-de-lyon/", params={"q": "velos"})
    assert "Vélos" in searched.text
    assert "Trafic routier" not in searched.text
    user_page = client.get(f"/users/{other.user.slug}/")
    assert user_page.status_code == 200
    assert "Mon relevé" in user_page.text
    assert "Trafic routier" not in user_page.text
    # Asked by id, as a dataset's page: one address a page (two were indexed), the query kept.
    by_id = client.get(f"/organizations/{org}/", params={"q": "velos"}, follow_redirects=False)
    assert (by_id.status_code, by_id.headers["location"]) == (308, "/organizations/ville-de-lyon/?q=velos")
    by_id = client.get(f"/users/{other.user.id}/", follow_redirects=False)
    assert (by_id.status_code, by_id.headers["location"]) == (308, f"/users/{other.user.slug}/")


def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "de, fr;q=0.5"}).text
    assert '<html lang="fr">' in client.get("/").text
    chosen = client.get("/", params={"lang": "en"}, headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in chosen.text
    assert chosen.headers["content-language"] == "en"
    assert "lang=en" in chosen.headers["set-cookie"]
    # The cookie now wins over the browser's preference.
    assert '<html lang="en">' in client.get("/datasets/", headers={"Accept-Language": "fr"}).text
    assert "Find, use and share open data" in client.get("/").text


def test_hostile_titles_are_escaped_everywhere(client: TestClient, catalog: Catalog) -> None:
    account, org = _setup(catalog)
    view = make_dataset(catalog, account, title=HOSTILE, description=HOSTILE, organization=org, tags=["x"])
    for path in ("/", "/datasets/", f"/datasets/{view.dataset.slug}/", "/organizations/ville-de-lyon/"):
        text = client.get(path).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
    page = client.get(f"/datasets/{view.dataset.slug}/").text
    # Inside the JSON-LD block, "</" cannot close the script element; the JSON still says the same.
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert json.loads(block)["name"] == HOSTILE


def test_the_stylesheet_is_served_and_other_names_are_not(client: TestClient) -> None:
    css = client.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text  # nothing from another host
    assert client.get("/static/..%2Fpages.py").status_code == 404
    icon = client.get("/static/favicon.svg")
    assert icon.headers["content-type"].startswith("image/svg+xml")


def test_zones_are_a_facet_and_shown_by_their_names(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    national = make_dataset(
        catalog, account, title="National", spatial=Spatial(zones=("country:fr",), granularity="other")
    )
    make_dataset(catalog, account, title="Nowhere")
    make_dataset(catalog, account, title="Ville", spatial=Spatial(zones=("fr:commune:69123",)))
    make_dataset(catalog, account, title="Arrondissement", spatial=Spatial(zones=("fr:arrondissement:691",)))
    page = client.get("/datasets/", params={"lang": "en"})
    assert '<a href="/datasets/?geozone=country%3Afr"><span class="name">France</span>' in page.text
    assert '<a href="/datasets/?granularity=other"><span class="name">Other</span>' in page.text
    french = client.get("/datasets/", params={"lang": "fr"})
    assert '<a href="/datasets/?granularity=other"><span class="name">Autre</span>' in french.text
    narrowed = client.get("/datasets/", params={"geozone": "country:fr"})
    assert "National" in narrowed.text
    assert "Nowhere" not in narrowed.text
    dataset_page = client.get(f"/datasets/{national.dataset.slug}/", params={"lang": "en"})
    assert "<dt>Spatial coverage</dt><dd>France</dd>" in dataset_page.text
    assert "<dt>Spatial granularity</dt><dd>Other</dd>" in dataset_page.text
    # Two zones of one name (the commune, the arrondissement): their lines say which is which.
    lyon = french.text
    assert '<span class="name">Lyon (Commune française)</span>' in lyon
    assert '<span class="name">Lyon (Arrondissement français)</span>' in lyon


def test_the_dataset_page_previews_an_uploaded_csv(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    dataset = make_dataset(catalog, account, title="Mesures").dataset
    csv = b"ville;valeur\nLyon;<b>12</b>\nBron;9\n"
    upload = client.post(
        f"/api/1/datasets/{dataset.id}/upload/",
        files={"file": ("mesures.csv", csv, "text/csv")},
        headers=account.headers,
    )
    assert upload.status_code == 201, upload.text
    resource_id = upload.json()["id"]
    page = client.get(f"/datasets/{dataset.slug}/", params={"lang": "en"})
    assert f'href="?preview={resource_id}#resource-{resource_id}"' in page.text
    assert "<table" not in page.text
    shown = client.get(f"/datasets/{dataset.slug}/", params={"preview": resource_id, "lang": "en"})
    assert shown.status_code == 200
    assert '<th scope="col">ville</th><th scope="col">valeur</th>' in shown.text
    assert "<td>Lyon</td><td>&lt;b&gt;12&lt;/b&gt;</td>" in shown.text
    # An unknown resource id is no preview, not an error.
    other = client.get(f"/datasets/{dataset.slug}/", params={"preview": "nope"})
    assert other.status_code == 200
    assert "<table" not in other.text


def test_the_api_page_links_lead_to_these_pages(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    dataset = make_dataset(catalog, account, title="Linked").dataset
    body = client.get(f"/api/1/datasets/{dataset.id}/").json()
    for url in (body["page"], body["organization"] and body["organization"]["page"], body["owner"]["page"]):
        if url:
            assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_the_dataset_page_shows_its_files_twenty_at_a_time(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    resources = [
        {"title": f"fichier-{n:02}.csv", "url": f"https://example.org/{n}.csv", "filetype": "remote",
         "format": "csv", "type": "documentation" if n < 5 else "main"}
        for n in range(45)
    ]  # fmt: skip
    view = make_dataset(catalog, account, title="Beaucoup", resources=resources)
    path = f"/datasets/{view.dataset.slug}/"

    def titles(text: str) -> list[str]:
        return re.findall(r"<h4>(fichier-\d+)\.csv</h4>", text)

    first = client.get(path, params={"lang": "en"}).text
    # Main data first (resources 5 to 44), then the documentation: 20 of them.
    assert titles(first) == [f"fichier-{n:02}" for n in range(5, 25)]
    assert "Files 1\u201320 of 45" in first
    assert 'href="?resources=2#files"' in first
    assert 'rel="prev"' not in first.split('id="files"', 1)[1]
    last = client.get(path, params={"resources": "3", "lang": "fr"}).text
    assert titles(last) == [f"fichier-{n:02}" for n in range(5)]
    assert "Fichiers 41 à 45 sur 45" in last
    # The page of a previewed file is the one that holds it; a bad page number is the first page,
    # one past the last (the files shrank since the link was made) the last page.
    shown = view.resources[30].id
    assert titles(client.get(path, params={"preview": shown}).text) == [
        f"fichier-{n:02}" for n in range(25, 45)
    ]
    # first and last pages a link away (a keyboard reached the last through every other)
    assert '<a href="?resources=3#files">Last page</a>' in first
    assert "First page" not in first
    assert "Première page" in last
    assert "Dernière page" not in last
    assert titles(client.get(path, params={"resources": "99"}).text) == titles(last)
    for bad in ("0", "-1", "x", "1e3"):
        assert titles(client.get(path, params={"resources": bad}).text) == titles(first), bad
    # Schema.org lists the first 20 data files only.
    assert first.count('"@type":"DataDownload"') == 20


def test_the_home_page_does_not_wait_for_a_recount_after_a_write(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, org = _setup(catalog)
    make_dataset(catalog, account, title="Budget primitif", organization=org, tags=["budget"])
    assert 'href="/datasets/?tag=budget"' in client.get("/", headers={"Accept-Language": "en"}).text
    waits: list[str] = []
    recount = catalog.search._count

    def counted(*args: Any) -> Any:
        waits.append(threading.current_thread().name)
        return recount(*args)

    monkeypatch.setattr(catalog.search, "_count", counted)
    make_dataset(catalog, account, title="Qualité de l'air", organization=org, tags=["air"])

    home = client.get("/", headers={"Accept-Language": "en"}).text

    assert "2 public datasets, free to reuse." in home  # the total and the datasets are current
    assert "Qualité de l&#39;air" in home
    deadline = time.monotonic() + 10
    while 'href="/datasets/?tag=air"' not in client.get("/").text:  # the counts follow
        assert time.monotonic() < deadline, "the recount never landed"
        time.sleep(0.02)
    assert set(waits) == {"facet-recount"}, waits  # counted again in a thread, never in the request


def test_new_words_keep_the_filters_chosen(client: TestClient, catalog: Catalog) -> None:
    """Typing a search on a filtered results page dropped its filters (the form sent q alone)."""
    page = client.get(
        "/datasets/", params={"tag": "prenoms", "format": "csv", "sort": "-created", "page": "1"}
    ).text
    form = page[page.index('role="search"') : page.index("</form>", page.index('role="search"'))]
    assert '<input type="hidden" name="tag" value="prenoms">' in form
    assert '<input type="hidden" name="format" value="csv">' in form
    assert '<input type="hidden" name="sort" value="-created">' in form
    assert 'name="page"' not in form  # new words start at their first page


def test_the_results_pager_links_the_first_and_the_last_pages(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_user(catalog)
    for number in range(81):  # five pages of twenty
        make_dataset(catalog, owner, title=f"Bus {number}", tags=["bus"])
    pager = re.compile(r'<nav class="pager".*?</nav>', re.S)
    third = pager.findall(client.get("/datasets/", params={"tag": "bus", "page": "3", "lang": "en"}).text)[0]
    assert re.findall(r'<a (?:rel="\w+" )?href="([^"]+)">([^<]+)</a>', third) == [
        ("/datasets/?tag=bus", "First page"),
        ("/datasets/?tag=bus&amp;page=2", "Previous"),
        ("/datasets/?tag=bus&amp;page=4", "Next"),
        ("/datasets/?tag=bus&amp;page=5", "Last page"),
    ]
    fourth = pager.findall(client.get("/datasets/", params={"tag": "bus", "page": "4", "lang": "en"}).text)[0]
    assert "Last page" not in fourth  # "Next" is the last page there
    # Where the site stops paging (10,000 pages; four here), neither "Next" nor "Last page"
    # leads past it (the page after the last shown is the past-the-end 404).
    monkeypatch.setattr(query, "PAGES_SHOWN", 4)
    asked = {"tag": "bus", "page": "3", "sort": "-created", "lang": "en"}  # not the page kept above
    third = pager.findall(client.get("/datasets/", params=asked).text)[0]
    assert [text for _, text in re.findall(r'<a (?:rel="\w+" )?href="([^"]+)">([^<]+)</a>', third)] == [
        "First page",
        "Previous",
    ]
    assert client.get("/datasets/", params={"tag": "bus", "page": "4"}).status_code == 404


def test_a_results_page_past_the_end_leads_back_to_its_first_page(client: TestClient) -> None:
    """It was the generic 404, whose button opened a search of everything: the search was lost."""
    past = client.get("/datasets/", params={"q": "vélo", "tag": "mobilite", "page": "9", "lang": "en"})
    assert past.status_code == 404
    assert "These results have fewer pages." in past.text
    assert 'href="/datasets/?q=v%C3%A9lo&amp;tag=mobilite"' in past.text
    # a number past any page shown too (it was the first page under another address)
    for number in ("10000", "99999999999999999999"):
        huge = client.get("/datasets/", params={"q": "vélo", "page": number, "lang": "en"})
        assert (huge.status_code, "These results have fewer pages." in huge.text) == (404, True), number
    elsewhere = client.get("/datasets/nothing-here/", params={"lang": "en"})
    assert (elsewhere.status_code, "fewer pages" in elsewhere.text) == (404, False)


def test_an_organizations_or_users_page_past_the_end_leads_back_to_its_first_page(
    client: TestClient, catalog: Catalog
) -> None:
    """Their pages past the end were the generic 404 (a search of everything), the search's
    "fewer pages" one being the search page's alone."""
    owner = make_user(catalog, first_name="Paged")
    org = make_org(catalog, "Paged Org", **{owner.user.id: "admin"})
    make_dataset(catalog, owner, title="Bus stops", organization=org.id)
    make_dataset(catalog, owner, title="Tram stops")
    for path in (f"/organizations/{org.slug}/", f"/users/{owner.user.slug}/"):
        past = client.get(path, params={"q": "stops", "page": "7", "lang": "en"})
        assert past.status_code == 404, path
        assert "These results have fewer pages." in past.text
        assert f'href="{path}?q=stops"' in past.text
        assert client.get(path, params={"page": "1", "lang": "en"}).status_code == 200
    missing = client.get("/organizations/nobody-here/", params={"page": "7", "lang": "en"})
    assert (missing.status_code, "fewer pages" in missing.text) == (404, False)


def test_an_empty_list_says_whether_anything_was_asked(client: TestClient, catalog: Catalog) -> None:
    """An organization without datasets has published nothing; a search that finds nothing
    matched nothing (it said "no dataset matches this search" with nothing searched)."""
    org = make_org(catalog, name="Empty Org")
    en = {"Accept-Language": "en"}
    page = client.get(f"/organizations/{org.slug}/", headers=en)
    assert "No dataset is published here yet." in page.text
    assert "No dataset matches this search." not in page.text
    searched = client.get("/datasets/?q=zzyzzx", headers=en)
    assert "No dataset matches this search." in searched.text
    french = client.get(f"/organizations/{org.slug}/", headers={"Accept-Language": "fr"})
    assert "Aucun jeu de données n’est encore publié ici." in french.text  # noqa: RUF001 - the catalog's apostrophe


def test_a_frequency_never_set_is_shown_unknown_as_the_api_answers_it(
    client: TestClient, catalog: Catalog
) -> None:
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, title="No frequency")
    assert client.get(f"/api/1/datasets/{view.dataset.id}/").json()["frequency"] == "unknown"
    page = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "en"})
    assert "<dt>Update frequency</dt><dd>Unknown</dd>" in page.text


def test_a_signed_in_visitors_pages_are_kept_by_no_shared_cache(client: TestClient, catalog: Catalog) -> None:
    owner = make_user(catalog)
    view = make_dataset(catalog, owner, private=True)
    assert "private" not in client.get("/datasets/").headers.get("cache-control", "")
    # an anonymous visitor's pages, found or not, are asked again before a cache shows them
    public = make_dataset(catalog, owner, title="Public")
    for path in (f"/datasets/{public.dataset.slug}/", "/datasets/", "/", f"/datasets/{view.dataset.slug}/"):
        assert client.get(path).headers["cache-control"] == "no-cache", path
    sign_in(client, catalog, owner)
    for path in (f"/datasets/{view.dataset.slug}/", "/datasets/", "/"):
        assert "private" in client.get(path).headers["cache-control"], path


@pytest.mark.parametrize("path", ["/datasets/", "/organizations/ville-de-lyon/"])
def test_thousands_of_values_of_one_filter_make_a_page_of_the_first_ones(
    client: TestClient, catalog: Catalog, path: str
) -> None:
    """Each selected value's "remove" link repeats the others: 4,000 tags in one address made a
    221 MB page in a minute. The first values, each once, are read."""
    _setup(catalog)
    params = [("tag", f"t{number}") for number in range(4000)] + [("tag", "t1")] * 100
    started = time.monotonic()
    response = client.get(path, params=params)
    assert response.status_code == 200
    assert time.monotonic() - started < 5
    assert len(response.content) < 2_000_000
    assert 'value="t19"' in response.text
    assert 'value="t20"' not in response.text


@pytest.mark.parametrize(
    ("stored", "linked"),
    [
        ("https://www.example.org/a?b=1", "https://www.example.org/a?b=1"),
        ("www.datainfogreffe.fr", "https://www.datainfogreffe.fr"),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
    ],
)
def test_an_organizations_website_links_out_or_not_at_all(
    client: TestClient, catalog: Catalog, stored: str, linked: str | None
) -> None:
    """Imported organizations hold bare hosts: the link led to a path under the page (a 404)."""
    import sqlalchemy as sa

    from opencat.db.tables import organizations

    org = make_org(catalog, "Greffe")
    with catalog.db.write() as conn:
        conn.execute(sa.update(organizations).where(organizations.c.id == org.id).values(url=stored))
    page = client.get(f"/organizations/{org.slug}/", params={"lang": "en"}).text
    if linked is None:
        assert ">Website</a>" not in page
    else:
        assert f'<a href="{linked}" rel="nofollow">Website</a>' in page


def test_a_dataset_card_says_the_update_date_its_page_says_and_lists_sort_by(
    client: TestClient, catalog: Catalog, tmp_path: Path
) -> None:
    """Cards showed ``last_modified`` (the record's), the page and the sort ``last_update`` (the
    harvested date, else the newest file's, as udata's real data has them): "Recently updated"
    looked out of order."""
    document = {
        "id": "6b00000000000000000000cc",
        "title": "Adresses",
        "description": "d",
        "created_at": "2024-01-05T00:00:00+00:00",
        "last_modified": "2024-06-07T00:00:00+00:00",
        "resources": [
            {
                "id": "00000000-0000-4000-8000-0000000000cc",
                "title": "adresses.csv",
                "url": "https://example.org/adresses.csv",
                "created_at": "2024-01-05T00:00:00+00:00",
                "last_modified": "2024-07-29T00:00:00+00:00",
            }
        ],
    }
    load_documents(catalog, tmp_path, document)
    english = {"Accept-Language": "en"}
    assert "Updated July 29, 2024" in client.get("/datasets/adresses/", headers=english).text
    for listing in ("/", "/datasets/?sort=-last_update"):
        page = client.get(listing, headers=english).text
        assert "Updated July 29, 2024" in page, listing
        assert "June 7, 2024" not in page, listing


def test_the_filters_chosen_keep_their_names_when_nothing_matches(
    client: TestClient, catalog: Catalog
) -> None:
    """A search matching nothing has no bucket to name its filters by: their chips said the
    organization's id, the license's, the zone's and the granularity's."""
    account = make_user(catalog)
    org = make_org(catalog, "Ministère de l'Intérieur", **{account.user.id: "admin"})
    make_dataset(
        catalog,
        account,
        title="Elections",
        organization=org.id,
        license="lov2",
        spatial=Spatial(zones=("country:fr",), granularity="country"),
    )
    asked = {
        "organization": org.id,
        "license": "lov2",
        "geozone": "country:fr",
        "granularity": "country",
        "q": "zzzzz",
        "lang": "en",
    }
    page = client.get("/datasets/", params=asked).text
    chips = re.findall(
        r'class="on"><span class="name"><span class="visually-hidden">Remove filter: </span>([^<]*)<', page
    )
    assert sorted(chips) == sorted(
        ["Ministère de l&#39;Intérieur", "Licence Ouverte / Open Licence version 2.0", "France", "Country"]
    )
    # An organization's id in capitals is the same one, as the API reads it: it narrowed to nothing.
    upper = client.get("/datasets/", params={"organization": org.id.upper(), "lang": "en"}).text
    assert "Elections" in upper
    assert f"organization={org.id}" in upper


def test_a_preview_says_what_it_shows_of_an_empty_a_long_or_a_cut_file(
    client: TestClient, catalog: Catalog
) -> None:
    """An empty file showed an empty table under "Preview of…"; a first row longer than what is
    read of the file, "The first 0 rows."; one row shown, "The first 1 rows."."""
    account, _ = _setup(catalog)
    dataset = make_dataset(catalog, account, title="Bords").dataset
    files = {
        "empty.csv": b"",
        "long.csv": b"a,b\n" + b"x" * 700_000 + b",1\ny,2\n",
        "wide.csv": b"a,b\n" + b"z" * 600 + b",1\n",
    }
    shown: dict[str, str] = {}
    for name, content in files.items():
        upload = client.post(
            f"/api/1/datasets/{dataset.id}/upload/",
            files={"file": (name, content, "text/csv")},
            headers=account.headers,
        )
        assert upload.status_code == 201, upload.text
        shown[name] = upload.json()["id"]

    def page(name: str, language: str) -> str:
        return client.get(
            f"/datasets/{dataset.slug}/", params={"preview": shown[name], "lang": language}
        ).text

    assert "No preview for this file: it is empty" in page("empty.csv", "en")
    assert "<table" not in page("empty.csv", "en")
    assert "No preview for this file: its first row is too long to show" in page("long.csv", "en")
    assert "<table" not in page("long.csv", "en")
    wide = page("wide.csv", "en")
    assert "Preview of wide.csv · An excerpt: its first row." in wide
    assert f'<table class="preview" aria-labelledby="preview-{shown["wide.csv"]}">' in wide
    assert "Un extrait\u00a0: sa première ligne." in page("wide.csv", "fr")


def test_a_language_first_address_of_data_gouv_fr_leads_to_the_page(
    client: TestClient, catalog: Catalog
) -> None:
    """data.gouv.fr's front-end writes ``/fr/datasets/{slug}/``: links kept from a portal that moved
    to opencat were 404s (only the permalink ``/fr/datasets/r/{id}`` was kept)."""
    account, org = _setup(catalog)
    view = make_dataset(catalog, account, title="Trafic routier", organization=org)
    for asked, expected in (
        (f"/fr/datasets/{view.dataset.slug}/", f"/datasets/{view.dataset.slug}/?lang=fr"),
        ("/en/datasets/?q=trafic&lang=fr", "/datasets/?q=trafic&lang=en"),
        ("/fr/organizations/ville-de-lyon/", "/organizations/ville-de-lyon/?lang=fr"),
        ("/es/", "/"),
        (f"/de/users/{account.user.slug}/", f"/users/{account.user.slug}/"),
        ("/fr/datasets/a%3Fb%23c/", "/datasets/a%3Fb%23c/?lang=fr"),  # encoded once, not twice
    ):
        moved = client.get(asked, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, expected), asked
    followed = client.get(f"/fr/datasets/{view.dataset.slug}/", follow_redirects=True)
    assert (followed.status_code, '<html lang="fr">' in followed.text) == (200, True)
    assert client.get("/xx/datasets/").status_code == 404


def test_a_dataset_page_describes_itself_to_search_engines(client: TestClient, catalog: Catalog) -> None:
    account, _ = _setup(catalog)
    text = "Les **comptages** routiers de la ville, " + "heure par heure, " * 20
    view = make_dataset(catalog, account, title="Comptages", description=text)
    page = client.get(f"/datasets/{view.dataset.slug}/").text
    found = re.search(r'<meta name="description" content="([^"]*)">', page)
    assert found is not None
    assert found[1].startswith("Les comptages routiers de la ville, heure par heure")
    assert len(found[1]) <= 160


def test_an_organizations_description_is_shown_whole_as_markdown(
    client: TestClient, catalog: Catalog
) -> None:
    """It was cut to 600 characters of plain text: its links and its end were lost."""
    from opencat.catalog import accounts

    text = "Le **service** des [données](https://example.org/donnees).\n\n" + "Phrase. " * 120 + "La fin."
    org = accounts.create_organization(catalog, name="Service des données", description=text)
    page = client.get(f"/organizations/{org.slug}/").text
    assert "<strong>service</strong>" in page
    assert '<a href="https://example.org/donnees" rel="nofollow noopener">données</a>' in page
    assert "La fin." in page


@pytest.mark.parametrize(
    ("refusal", "status", "said"),
    [
        ("unavailable", 503, "Le catalogue ne peut pas répondre pour l\u2019instant"),
        ("busy", 429, "Trop de demandes à la fois"),
        ("conflict", 409, "Quelqu\u2019un l\u2019a modifié entre-temps"),
    ],
)
def test_a_refusal_met_by_a_page_is_a_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, refusal: str, status: int, said: str
) -> None:
    """The database down, a lost race, too many at once: a browser got the API's JSON body. It
    gets the site's error page with the same status (and Retry-After), in its language; a script
    asking for JSON still gets udata's body."""
    from opencat.catalog import faceted_search
    from opencat.domain.errors import Conflict, Reason, TooManyRequests, Unavailable

    def refuse(*_args: object, **_kwargs: object) -> object:
        if refusal == "unavailable":
            raise Unavailable(Reason.DATABASE_UNAVAILABLE) from OSError("connection refused")
        if refusal == "busy":
            raise TooManyRequests(Reason.CHECKS_BUSY, retry_after=5)
        raise Conflict(Reason.SLUG_TAKEN)

    monkeypatch.setattr(faceted_search, "search", refuse)
    page = client.get("/datasets/?q=eau", headers={"Accept": "text/html"})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert said in page.text
    assert ("retry-after" in page.headers) == (refusal in ("unavailable", "busy"))
    script = client.get("/datasets/?q=eau", headers={"Accept": "application/json"})
    assert (script.status_code, script.headers["content-type"]) == (status, "application/json")


def test_a_method_an_address_does_not_take_is_405_naming_every_method_it_does(client: TestClient) -> None:
    """A form's address is two routes (its page, its POST): the 405 named the first one's methods
    only (``PATCH /login`` said ``Allow: GET, HEAD``, though it takes POST)."""
    for method, path in (("PATCH", "/login"), ("PUT", "/datasets/new/"), ("DELETE", "/account/keys/")):
        refused = client.request(method, path)
        assert refused.status_code == 405, path
        assert refused.headers["allow"] == "GET, HEAD, POST", path  # in one order, whatever the process
    assert client.get("/login").status_code == 200
    assert client.head("/login").status_code == 200
    assert client.post("/login", data={}).status_code == 403  # the POST's own answer: no CSRF token


def test_a_link_to_a_web_page_opens_it_and_a_file_downloads(client: TestClient, catalog: Catalog) -> None:
    """A publisher's link to a web page ("html", "page web") is opened, not offered as a download."""
    alice = make_user(catalog)
    view = make_dataset(
        catalog,
        alice,
        title="Liens",
        resources=[
            {
                "title": "Le portail",
                "url": "https://example.org/portail",
                "format": "page web",
                "filetype": "remote",
            },
            {
                "title": "La notice",
                "url": "https://example.org/notice.html",
                "format": "HTML",
                "filetype": "remote",
            },
            {
                "title": "Les données",
                "url": "https://example.org/donnees.csv",
                "format": "csv",
                "filetype": "remote",
            },
        ],
    )
    page = client.get(f"/datasets/{view.dataset.slug}/", headers={"Accept-Language": "fr"}).text
    buttons = re.findall(
        r'<a class="button" href="[^"]*">([^<]*)<span class="visually-hidden"> ([^<]*)</span>', page
    )
    assert sorted(buttons) == sorted(
        [("Ouvrir", "Le portail"), ("Ouvrir", "La notice"), ("Télécharger", "Les données")]
    )
