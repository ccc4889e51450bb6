"""The pages count the facets of a very large result set on a fixed sample of it, scaled to the exact
total and shown as estimates; the API's v2 facets stay exact; on both databases. The thresholds are
lowered so that 40 datasets make a large result set."""

import html
import re
import threading
import time
from concurrent.futures import Future
from datetime import date

import pytest
from starlette.testclient import TestClient

from opencat.catalog import faceted_search, indexing, listing
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.domain.datasets import TemporalCoverage
from opencat.domain.errors import NotFound
from opencat.domain.periods import CoverageCounts, decade
from opencat.domain.queries import DatasetQuery
from opencat.domain.search import SearchFilters, SearchRequest, Visibility
from opencat.search import index as index_module
from opencat.search import schema
from opencat.search.index import Counts, sample_bucket, sample_buckets
from tests.factories import make_dataset, make_user

COUNT = 40


@pytest.fixture
def large(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, ...]]:
    """40 datasets, all tagged ``all``, every third ``third``, every tenth ``tenth``; counts past 10
    matches are made on half of the sample buckets (a sample that is never empty: 2^-40)."""
    monkeypatch.setattr(index_module, "SAMPLE_ABOVE", 10)
    monkeypatch.setattr(index_module, "SAMPLE_SIZE", COUNT // 2)
    account = make_user(catalog)
    tags: dict[str, tuple[str, ...]] = {}
    for number in range(COUNT):
        chosen = ("all",) + (("third",) if number % 3 == 0 else ()) + (("tenth",) if number % 10 == 0 else ())
        made = make_dataset(
            catalog,
            account,
            title=f"Relevé {number}",
            tags=list(chosen),
            temporal_coverage=TemporalCoverage(
                date(2000 + number % 20, 1, 1), date(2000 + number % 20, 12, 31)
            ),
        )
        tags[made.dataset.id] = chosen
    return tags


def _estimate(tags: dict[str, tuple[str, ...]], tag: str) -> int:
    """What the sample says: the tag's share among the datasets of the buckets counted, times the total."""
    buckets = sample_buckets(len(tags))
    assert buckets == schema.SAMPLE_BUCKETS // 2
    inside = [chosen for dataset_id, chosen in tags.items() if sample_bucket(dataset_id) < buckets]
    return round(sum(tag in chosen for chosen in inside) * len(tags) / len(inside))


def test_a_large_result_set_is_counted_on_the_sample_and_scaled_to_the_exact_total(
    catalog: Catalog, large: dict[str, tuple[str, ...]]
) -> None:
    result = faceted_search.search(catalog, DatasetQuery(), sampled_counts=True)
    assert result.estimated
    assert result.page.total == COUNT  # the total is always exact
    counts = dict(result.facets["tag"])
    assert counts["all"] == COUNT  # a value every match holds shows the total
    assert counts["third"] == _estimate(large, "third")


def test_the_api_and_small_result_sets_count_exactly(
    catalog: Catalog, large: dict[str, tuple[str, ...]]
) -> None:
    exact = faceted_search.search(catalog, DatasetQuery())  # the API's v2 search
    assert not exact.estimated
    assert dict(exact.facets["tag"]) == {"all": COUNT, "third": 14, "tenth": 4}
    small = faceted_search.search(
        catalog, DatasetQuery(filters=SearchFilters(tags=("tenth",))), sampled_counts=True
    )
    assert small.page.total == 4
    assert not small.estimated
    assert dict(small.facets["tag"]) == {"all": 4, "tenth": 4, "third": 2}


def test_period_counts_of_a_chosen_period_are_estimated_too(
    catalog: Catalog, large: dict[str, tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "SAMPLE_SIZE", COUNT // 4)  # 20 matches: half the buckets
    offered = (decade(2000), decade(2010))
    chosen = faceted_search.search(
        catalog,
        DatasetQuery(filters=SearchFilters(period=(date(2000, 1, 1), date(2009, 12, 31)))),
        periods=offered,
        sampled_counts=True,
    )
    assert chosen.page.total == COUNT // 2
    assert chosen.estimated
    exact = faceted_search.search(catalog, DatasetQuery(), periods=offered)
    assert dict(exact.periods) == {decade(2000): COUNT // 2, decade(2010): COUNT // 2}
    # The periods count as if none were chosen: the whole catalog, its size estimated on one
    # bucket (none there: too few to sample, counted exactly), then counted on the buckets that
    # size calls for and scaled by their share.
    first = [dataset_id for dataset_id in large if sample_bucket(dataset_id) == 0]
    buckets = sample_buckets(len(first) * schema.SAMPLE_BUCKETS)
    inside = [dataset_id for dataset_id in large if sample_bucket(dataset_id) < buckets]
    scale = schema.SAMPLE_BUCKETS / buckets
    numbers = {view.dataset.id: int(view.dataset.title.split()[-1]) for view in _all(catalog)}
    in_2000s = sum(numbers[dataset_id] % 20 < 10 for dataset_id in inside)
    expected = (
        {decade(2000): round(in_2000s * scale), decade(2010): round((len(inside) - in_2000s) * scale)}
        if buckets < schema.SAMPLE_BUCKETS
        else dict(exact.periods)
    )
    counted = dict(chosen.periods)
    assert counted.keys() == expected.keys()
    for period, count in expected.items():  # started and ended before are scaled (rounded) apart
        assert counted[period] == pytest.approx(count, abs=1)


def _all(catalog: Catalog) -> list[DatasetView]:
    return list(faceted_search.search(catalog, DatasetQuery(page_size=COUNT)).page.items)


def test_the_page_shows_estimates_as_such_in_both_languages(
    client: TestClient, catalog: Catalog, large: dict[str, tuple[str, ...]]
) -> None:
    english = client.get("/datasets/", headers={"Accept-Language": "en"}).text
    assert "Counts estimated on a sample of the results." in english
    assert re.search(r'<h2 id="count">40 datasets</h2>', english)  # exact
    section = english.split('id="facets-title"', 1)[1].split("</aside>", 1)[0]
    counts = re.findall(r'<span class="count">([^<]*)</span>', section)
    assert counts
    assert all(html.unescape(count).startswith("≈\u202f") for count in counts)
    assert "≈\u202f40</span>" in section  # the tag every dataset holds
    french = client.get("/datasets/", headers={"Accept-Language": "fr"}).text
    assert "Nombres estimés sur un échantillon des résultats." in french
    exact = client.get("/datasets/?tag=tenth", headers={"Accept-Language": "en"}).text
    assert "Counts estimated" not in exact
    assert "≈" not in exact


def test_the_sample_bucket_is_a_fixed_hash_of_the_id() -> None:
    # The same in every process and run (Python's hash() is salted per process): an index built by
    # one process is sampled by another.
    assert sample_bucket("5f0c1e2d3c4b5a6978877665") == sample_bucket("5f0c1e2d3c4b5a6978877665")
    assert sample_bucket("5f0c1e2d3c4b5a6978877665") == 9
    spread = [sample_bucket(f"{n:024x}") for n in range(6400)]
    assert set(spread) == set(range(schema.SAMPLE_BUCKETS))
    assert max(spread.count(b) for b in range(schema.SAMPLE_BUCKETS)) < 150


def _public_request(catalog: Catalog) -> SearchRequest:
    with catalog.db.read() as conn:
        indexing.sync(catalog, conn)
        return listing.search_request(conn, DatasetQuery(), Visibility(), public=True)


def _counted_in_thread(catalog: Catalog, total: "Future[int]") -> "Future[Counts]":
    """The page's counts of the whole catalog, made in a thread while ``total`` may be unknown."""
    done: Future[Counts] = Future()

    def count() -> None:
        try:
            request = _public_request(catalog)
            done.set_result(catalog.search.counts(request, ["tags"], sample=True, matches=total))
        except BaseException as error:
            done.set_exception(error)

    threading.Thread(target=count, daemon=True).start()
    return done


def test_a_trusted_estimate_counts_without_waiting_for_the_total_then_scales_to_it(
    catalog: Catalog, large: dict[str, tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One dataset more in the first bucket, so that the one-bucket estimate (64) is past the
    # threshold: the sample is chosen by it, the page's total still being counted.
    account = make_user(catalog)
    while not any(sample_bucket(dataset_id) == 0 for dataset_id in large):
        large[make_dataset(catalog, account, tags=["all"]).dataset.id] = ("all",)
    monkeypatch.setattr(index_module, "PROBE_TRUSTED_ABOVE", schema.SAMPLE_BUCKETS - 1)
    estimate = schema.SAMPLE_BUCKETS * sum(sample_bucket(dataset_id) == 0 for dataset_id in large)
    never: Future[int] = Future()  # the total never comes: nothing may wait for it
    counts = _counted_in_thread(catalog, never).result(timeout=30)
    assert counts.estimated
    buckets = sample_buckets(estimate)
    inside = [dataset_id for dataset_id in large if sample_bucket(dataset_id) < buckets]
    assert counts.sampled == len(inside)
    scaled = dict(counts.scaled_to(len(large)).terms["tags"])
    assert scaled["all"] == len(large)  # a value every match holds shows the exact total
    third = sum("third" in large[dataset_id] for dataset_id in inside)
    assert scaled.get("third", 0) == round(third * len(large) / len(inside))


def test_a_small_estimate_waits_for_the_exact_total_to_choose_the_sample(
    catalog: Catalog, large: dict[str, tuple[str, ...]]
) -> None:
    total: Future[int] = Future()
    counting = _counted_in_thread(catalog, total)
    time.sleep(0.3)
    assert not counting.done()  # an estimate under PROBE_TRUSTED_ABOVE (75,000): it waits
    total.set_result(COUNT)
    counts = counting.result(timeout=30)
    exact = catalog.search.counts(_public_request(catalog), ["tags"], sample=True, matches=COUNT)
    assert counts == exact
    assert counts.scaled_to(COUNT) is counts  # already scaled to the total
    assert dict(counts.terms["tags"])["all"] == COUNT


def test_an_estimate_rescaled_recovers_the_samples_own_counts() -> None:
    # 7 of 9 sampled matches, scaled by 64/7 buckets' share, then to an exact total of 100.
    share = schema.SAMPLE_BUCKETS / 7
    counts = Counts(
        {"tags": [("a", round(7 * share)), ("b", round(2 * share))]},
        CoverageCounts((1, 2), (round(3 * share), round(9 * share)), (0, round(1 * share))),
        estimated=True,
        sampled=9,
        scale=share,
    )
    rescaled = counts.scaled_to(100)
    assert rescaled.terms["tags"] == [("a", round(700 / 9)), ("b", round(200 / 9))]
    assert rescaled.coverage == CoverageCounts((1, 2), (round(300 / 9), 100), (0, round(100 / 9)))
    exact = Counts({"tags": [("a", 3)]})
    assert exact.scaled_to(100) is exact  # exact counts stay as they are


def _no_counts_left_waiting() -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not [thread for thread in threading.enumerate() if thread.name == "facet-counts"]:
            return True
        time.sleep(0.05)
    return False


def test_a_page_past_the_last_leaves_no_counts_behind(
    catalog: Catalog, large: dict[str, tuple[str, ...]]
) -> None:
    with pytest.raises(NotFound):
        faceted_search.search(catalog, DatasetQuery(page=99), sampled_counts=True)
    assert _no_counts_left_waiting()


def test_a_failed_search_ends_the_counts_waiting_for_its_total(
    catalog: Catalog, large: dict[str, tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_request: SearchRequest) -> None:
        raise RuntimeError("the index is gone")

    monkeypatch.setattr(catalog.search, "search", broken)
    with pytest.raises(RuntimeError, match="the index is gone"):
        faceted_search.search(catalog, DatasetQuery(), sampled_counts=True)
    assert _no_counts_left_waiting()  # the counts learnt there is no total, and ended
