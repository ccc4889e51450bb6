"""The search page's temporal coverage facet, on both databases: decades, then the years of the
decade chosen, each counting the datasets whose coverage overlaps it, its state in the URL."""

import html
import re
from datetime import date

from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from opencat.domain.datasets import TemporalCoverage
from tests.factories import Account, make_dataset, make_org, make_user

_LINK = re.compile(
    r'<li(?: class="year")?><a href="(?P<url>[^"]*)"(?P<on> aria-current="true" class="on")?>'
    r'<span class="name">(?:<span class="visually-hidden">[^<]*</span>)?(?P<label>[^<]*)</span> '
    r'<span class="count">(?P<count>[^<]*)</span>'
)


def _periods(text: str) -> list[tuple[str, int, str, bool]]:
    """The facet's lines: (label, count, link, chosen)."""
    section = text.split('<section class="facet periods">', 1)[1].split("</section>", 1)[0]
    return [
        (m["label"], int(m["count"]), html.unescape(m["url"]), bool(m["on"])) for m in _LINK.finditer(section)
    ]


def _total(text: str) -> int:
    found = re.search(r'<h2 id="count">([\d,]+) datasets?</h2>', text)
    assert found is not None
    return int(found[1].replace(",", ""))


def _catalog(catalog: Catalog) -> Account:
    account = make_user(catalog)
    org = make_org(catalog, "Météo", **{account.user.id: "admin"})
    spans = {
        "Stations 2008-2012": (date(2008, 6, 1), date(2012, 3, 31)),
        "Relevés 2015-2016": (date(2015, 1, 1), date(2016, 12, 31)),
        "Capteurs depuis 2019": (date(2019, 9, 1), None),  # an open end runs on
        "Archives 1850": (date(1850, 1, 1), date(1850, 12, 31)),
    }
    for title, (start, end) in spans.items():
        make_dataset(
            catalog, account, title=title, organization=org.id, temporal_coverage=TemporalCoverage(start, end)
        )
    make_dataset(catalog, account, title="Sans période", organization=org.id)
    make_dataset(
        catalog,
        account,
        title="Privé 2015",
        private=True,
        temporal_coverage=TemporalCoverage(date(2015, 1, 1)),
    )
    return account


def test_decades_count_the_datasets_whose_coverage_overlaps_them(
    client: TestClient, catalog: Catalog
) -> None:
    _catalog(catalog)
    page = client.get("/datasets/", params={"lang": "en"})
    lines = _periods(page.text)
    # Newest first; the 1990s hold nothing and are left out; the private dataset is not counted.
    assert [(label, count) for label, count, _, _ in lines] == [
        ("2020\u20132029", 1), ("2010\u20132019", 3), ("2000\u20132009", 1), ("1850\u20131859", 1),
    ]  # fmt: skip
    assert lines[1][2] == "/datasets/?temporal_start=2010-01-01&temporal_end=2019-12-31"


def test_each_period_link_finds_as_many_datasets_as_it_counts(client: TestClient, catalog: Catalog) -> None:
    _catalog(catalog)
    decade = client.get("/datasets/?temporal_start=2010-01-01&temporal_end=2019-12-31&lang=en")
    assert _total(decade.text) == 3
    assert "Stations 2008-2012" in decade.text
    assert "Capteurs depuis 2019" in decade.text
    assert "Archives 1850" not in decade.text
    lines = _periods(decade.text)
    # The chosen decade (its link leaves it), then its years that hold a coverage.
    assert [(label, count, on) for label, count, _, on in lines] == [
        ("2020\u20132029", 1, False), ("2010\u20132019", 3, True), ("2019", 1, False), ("2016", 1, False),
        ("2015", 1, False), ("2012", 1, False), ("2011", 1, False), ("2010", 1, False),
        ("2000\u20132009", 1, False), ("1850\u20131859", 1, False),
    ]  # fmt: skip
    assert lines[1][2] == "/datasets/"
    checked = 0
    for label, count, url, on in lines:
        if not on:
            assert _total(client.get(url + "&lang=en").text) == count, label
            checked += 1
    assert checked == len(lines) - 1


def test_a_chosen_year_keeps_its_decade_open_and_other_filters(client: TestClient, catalog: Catalog) -> None:
    _catalog(catalog)
    page = client.get("/datasets/?q=capteurs&temporal_start=2021-01-01&temporal_end=2021-12-31&lang=en")
    assert _total(page.text) == 1
    lines = _periods(page.text)
    assert [(label, count, on) for label, count, _, on in lines] == [
        ("2020\u20132029", 1, False), ("2026", 1, False), ("2025", 1, False), ("2024", 1, False),
        ("2023", 1, False), ("2022", 1, False), ("2021", 1, True), ("2020", 1, False),
        ("2010\u20132019", 1, False),
    ]  # fmt: skip
    # The words stay in every link; the chosen year's link leaves the period only.
    assert all(url.startswith("/datasets/?q=capteurs") for _, _, url, _ in lines)
    assert lines[6][2] == "/datasets/?q=capteurs"


def test_the_date_fields_find_overlapping_coverages(client: TestClient, catalog: Catalog) -> None:
    _catalog(catalog)
    # Only a start: every coverage that has not ended before it.
    since = client.get("/datasets/?temporal_start=2012-01-01&lang=en")
    assert _total(since.text) == 3
    assert "Archives 1850" not in since.text
    until = client.get("/datasets/?temporal_end=1900-01-01&lang=en")
    assert _total(until.text) == 1
    assert "Archives 1850" in until.text


def test_a_period_of_the_date_fields_has_its_own_link_to_take_it_away(
    client: TestClient, catalog: Catalog
) -> None:
    """A period typed in the fields is no decade or year of the list: nothing took it away but
    emptying both fields by hand."""
    _catalog(catalog)
    chosen = client.get("/datasets/?temporal_start=2012-01-01&tag=x&lang=en").text
    [line] = [line for line in _periods(chosen) if line[3]]
    label, _, url, _ = line
    assert label == "January 1, 2012 \u2013 \u2026"  # said in words, as every date of the pages
    french = client.get("/datasets/?temporal_start=2012-01-01&temporal_end=2013-03-05&tag=x&lang=fr").text
    assert [line[0] for line in _periods(french) if line[3]] == ["1er janvier 2012 \u2013 5 mars 2013"]
    assert url == "/datasets/?tag=x"
    # A date that is none is ignored: no period is applied, none is shown as a filter.
    for ignored in ("temporal_start=garbage", "temporal_end=2012-02-30"):
        assert [line for line in _periods(client.get(f"/datasets/?{ignored}&lang=en").text) if line[3]] == []
    decade = client.get("/datasets/?temporal_start=2010-01-01&temporal_end=2019-12-31&lang=en").text
    assert [line[0] for line in _periods(decade) if line[3]] == ["2010\u20132019"]  # the list's own
