"""Each page type's HTML, CSS and JavaScript together weigh under 100 KB (issue 13's bar), in both
languages, with full pages: 20 results, tags and formats facets at their ten lines, a dataset of 20 resources
with a long description and a CSV preview. On both databases."""

import re
from datetime import date

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import delete_dataset
from opencat.domain.datasets import Spatial, TemporalCoverage
from tests.factories import make_dataset, make_org, make_user

LIMIT = 100_000
# What a page makes the browser fetch and run: stylesheets and scripts (icons are images).
_ASSETS = re.compile(r'<link rel="stylesheet" href="([^"]+)"|<script[^>]* src="([^"]+)"')
DESCRIPTION = "\n\n".join(
    f"## Partie {n}\n\nLes **mesures** horaires de la station {n}, "
    "[documentation](https://example.org/doc), *méthode* et limites. " * 4
    for n in range(8)
)  # about 5 KB of Markdown


def _weight(client: TestClient, path: str) -> tuple[int, int]:
    """The page's bytes, and its own and its assets' bytes together."""
    page = client.get(path)
    assert page.status_code in (200, 404, 410), path
    assets = [href or src for href, src in _ASSETS.findall(page.text)]
    assert assets, path  # the stylesheet at least
    total = len(page.content)
    for asset in assets:
        assert asset.startswith("/"), asset  # nothing from another host
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        total += len(answer.content)
    return len(page.content), total


def test_every_page_type_weighs_under_100_kb_with_its_css_and_js(
    client: TestClient, catalog: Catalog
) -> None:
    account = make_user(catalog)
    org = make_org(catalog, "Métropole de Lyon", **{account.user.id: "admin"}).id
    for n in range(30):  # ten lines of tags and formats, and a full page of results
        make_dataset(
            catalog,
            account,
            title=f"Relevés de la station numéro {n}",
            description=DESCRIPTION[:600],
            organization=org if n % 2 else None,
            tags=[f"theme-{n}", f"station-{n % 12}", "mesures"],
            license=("lov2", "odc-odbl", "cc-by", "notspecified")[n % 4],
            spatial=Spatial(zones=("country:fr",), granularity="country"),
            temporal_coverage=TemporalCoverage(date(1990 + n, 1, 1), date(1995 + n, 12, 31)),
            resources=[
                {
                    "title": f"f{n}.{kind}",
                    "url": f"https://example.org/{n}.{kind}",
                    "filetype": "remote",
                    "format": kind,
                }
                for kind in ("csv", "json", "xml", "pdf", "zip", f"x{n}")
            ],
        )
    resources = [
        {"title": f"mesures-{n}.csv", "url": f"https://example.org/{n}.csv", "filetype": "remote",
         "format": "csv", "description": "Les mesures de l'année, une ligne par heure. " * 3}
        for n in range(20)
    ]  # fmt: skip
    big = make_dataset(
        catalog,
        account,
        title="Qualité de l'air",
        description=DESCRIPTION,
        organization=org,
        resources=resources,
    ).dataset
    csv = "\n".join(";".join(f"valeur {row}-{col}" for col in range(12)) for row in range(60)).encode()
    upload = client.post(
        f"/api/1/datasets/{big.id}/upload/",
        files={"file": ("mesures.csv", csv, "text/csv")},
        headers=account.headers,
    )
    assert upload.status_code == 201, upload.text
    gone = make_dataset(catalog, account, title="Ancien").dataset
    delete_dataset(catalog, account.actor(catalog), gone.id)
    paths = {
        "home": "/",
        "search": "/datasets/",
        "search narrowed": "/datasets/?tag=mesures&temporal_start=2000-01-01&temporal_end=2009-12-31",
        "dataset": f"/datasets/{big.slug}/",
        "dataset with a preview": f"/datasets/{big.slug}/?preview={upload.json()['id']}",
        "organization": "/organizations/metropole-de-lyon/",
        "user": f"/users/{account.user.slug}/",
        "404": "/datasets/nothing-here/",
        "410": f"/datasets/{gone.slug}/",
    }
    for language in ("fr", "en"):
        for name, path in paths.items():
            own, total = _weight(client, path + ("&" if "?" in path else "?") + f"lang={language}")
            assert total < LIMIT, (name, language, own, total)
    # The pages are full indeed: 20 results, 30 facet lines, a table of rows.
    search = client.get("/datasets/?lang=en").text
    assert search.count('<li class="card">') == 20
    assert search.count('<span class="count">') >= 30
    preview = client.get(paths["dataset with a preview"]).text
    assert "<table" in preview
    assert "<td>valeur 9-11</td>" in preview
