"""Reference lists (licenses, frequencies, zone levels, zone names) are read once per process, not
per page; on both databases."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.domain.datasets import Spatial
from tests.factories import make_dataset, make_user

_REFERENCE = re.compile(r"\bFROM (licenses|frequencies|geo_levels|geozones)\b")


@contextmanager
def _statements(catalog: Catalog) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    sa.event.listen(catalog.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(catalog.db.engine, "before_cursor_execute", record)


def _references(statements: list[str]) -> list[str]:
    return [match[1] for statement in statements if (match := _REFERENCE.search(statement))]


def test_pages_read_the_reference_lists_once(client: TestClient, catalog: Catalog) -> None:
    account = make_user(catalog)
    spatial = Spatial(zones=("country:fr",), granularity="country")
    dataset = make_dataset(
        catalog, account, title="Budget", license="lov2", frequency="annual", spatial=spatial
    ).dataset
    pages = [f"/datasets/{dataset.slug}/?lang=en", "/datasets/?lang=en", "/datasets/?lang=fr"]
    with _statements(catalog) as first:
        answers = [client.get(page) for page in pages]
    assert all(answer.status_code == 200 for answer in answers)
    # The first pages read each list once (levels, licenses, frequencies, the zones they name)...
    assert sorted(set(_references(first))) == ["frequencies", "geo_levels", "geozones", "licenses"]
    assert "Licence Ouverte" in answers[0].text
    assert "France" in answers[0].text
    with _statements(catalog) as again:
        answers = [client.get(page) for page in pages]
    # ... and never again, though the pages still name what they show.
    assert _references(again) == []
    assert again  # the datasets themselves are read each time
    assert "Licence Ouverte" in answers[0].text
    assert "France" in answers[0].text
    assert "France" in answers[1].text  # the zones facet
    # A zone not asked before is read once, then remembered too.
    other = make_dataset(catalog, account, title="Eau", spatial=Spatial(zones=("fr:region:84",))).dataset
    with _statements(catalog) as new_zone:
        client.get(f"/datasets/{other.slug}/")
        client.get(f"/datasets/{other.slug}/")
    assert _references(new_zone) == ["geozones"]
