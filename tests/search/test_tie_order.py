"""Equal sort values come in one order whatever the index's history: two nodes (each its own index)
and one index before and after its segments change page through tied datasets alike (Tantivy
breaks ties by a document's place in its segments)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencat.domain.search import SearchDocument, SearchHits, SearchRequest
from opencat.search.index import SearchIndex
from opencat.search.sort_keys import TIE_BITS, order_key
from tests.search.test_index_keeper import _document

DAY = datetime(2024, 3, 1, tzinfo=UTC)  # harvested datasets often carry a day, not a time
SORTS = (None, "created", "-created", "last_update", "-reuses", "followers", "title", "-title", "-views")


def _documents() -> list[SearchDocument]:
    docs = []
    for number in range(60):
        dataset_id = f"65f0c0ffee{number:014x}"
        title = "Budget" if number % 2 else f"Budget {number % 7}"
        docs.append(replace(_document(dataset_id, title), created=DAY, last_update=DAY))
    # Two that differ: their values still come first (or last).
    newest = replace(docs[5], created=DAY + timedelta(days=1), reuses=3, followers=2, views=9)
    return [*docs[:5], newest, *docs[6:]]


def _write(index: SearchIndex, docs: list[SearchDocument], batches: int) -> None:
    size = -(-len(docs) // batches)
    for start in range(0, len(docs), size):
        with index.writing() as batch:
            for doc in docs[start : start + size]:
                batch.put(doc)
            batch.reach(start + 1)


def _walk(index: SearchIndex, sort: str | None, page: int) -> list[str]:
    ids: list[str] = []
    for offset in range(0, 70, page):
        ids += index.search(SearchRequest(sort=sort, offset=offset, limit=page)).ids
    return ids


@pytest.mark.parametrize("sort", SORTS)
def test_two_indexes_written_differently_page_alike(tmp_path: Path, sort: str | None) -> None:
    docs = _documents()
    one, other = SearchIndex(tmp_path / "one"), SearchIndex(tmp_path / "other")
    _write(one, docs, batches=1)
    _write(other, list(reversed(docs)), batches=6)  # other segments, another order within them
    with other.writing() as batch:  # some written again: deleted, then added to a new segment
        for doc in docs[10:20]:
            batch.put(doc)
        batch.reach(100)
    walked = _walk(one, sort, 7)
    assert walked == _walk(other, sort, 7) == _walk(one, sort, 60)
    assert len(set(walked)) == len(docs)  # none twice, none missed
    newest = docs[5].id
    if sort in (None, "-created", "-reuses", "-views"):
        assert walked[0] == newest
    if sort in ("created", "followers"):
        assert walked[-1] == newest


def test_a_key_orders_by_value_first_then_by_id() -> None:
    assert order_key(1, "65f0c0ffee00000000000000") > order_key(0, "65f0c0ffee000000000fffff")
    assert order_key(5, "65f0c0ffee0000000000000a") > order_key(5, "65f0c0ffee00000000000009")
    assert order_key(-5, "65f0c0ffee00000000000001") == order_key(0, "65f0c0ffee00000000000001")
    assert order_key(1 << 50, "x") < 1 << 63  # clamped into 63 bits
    assert order_key(0, "not-an-object-id") < 1 << TIE_BITS


def test_the_suggestions_key_orders_followers_then_the_oldest() -> None:
    from opencat.search.sort_keys import suggest_key

    older, newer = "5f0000000000000000000001", "5f0000010000000000000000"
    assert suggest_key(0, older) > suggest_key(0, newer)  # descending: the oldest first
    assert suggest_key(1, newer) > suggest_key(0, older)  # followers first
    for followers, ident in ((10**9, "ffffffffffffffffffffffff"), (-5, "not-an-object-id"), (0, "")):
        assert 0 <= suggest_key(followers, ident) < 2**63


def test_equal_relevance_comes_in_one_order_on_every_index(tmp_path: Path) -> None:
    """A search's equal scores (same title, same popularity) were in each index's own order: two
    nodes paged alike through the balancer repeated datasets and missed others."""
    docs = _documents()
    one, other = SearchIndex(tmp_path / "one"), SearchIndex(tmp_path / "other")
    _write(one, docs, batches=1)
    _write(other, list(reversed(docs)), batches=6)

    def walk(index: SearchIndex, page: int) -> list[str]:
        ids: list[str] = []
        for offset in range(0, 70, page):
            ids += index.search(SearchRequest(words=("budget",), offset=offset, limit=page)).ids
        return ids

    walked = walk(one, 7)
    assert walked == walk(other, 7) == walk(one, 60) == walk(other, 1)
    assert len(set(walked)) == len(docs)
    # The datasets titled "Budget" alone tie (but the one more popular): by id, the oldest first.
    tied = [doc.id for doc in docs if doc.title == "Budget" and doc.id != docs[5].id]
    assert len(tied) == 29
    assert [dataset_id for dataset_id in walked if dataset_id in tied] == sorted(tied)


def _colliding() -> list[SearchDocument]:
    """Real ids often share the low bits a sort key keeps (data.gouv.fr's ``…c98e0f``): equal
    values then make equal keys."""
    docs = []
    for number in range(24):
        dataset_id = f"555d{number:04x}c751df4b6ec98e0f"
        docs.append(replace(_document(dataset_id, f"Budget {number}"), created=DAY, last_update=DAY))
    docs += [
        replace(_document(f"65f0c0ffee{n:014x}", "Other"), created=DAY, last_update=DAY) for n in range(6)
    ]
    return docs


@pytest.mark.parametrize("sort", ["created", "-created", "views", "-last_update"])
def test_equal_keys_come_in_id_order_whatever_the_indexs_history(tmp_path: Path, sort: str) -> None:
    docs = _colliding()
    assert len({order_key(0, doc.id) for doc in docs}) == 7  # 24 datasets share one key
    one, other = SearchIndex(tmp_path / "one"), SearchIndex(tmp_path / "other")
    _write(one, docs, batches=1)
    _write(other, list(reversed(docs)), batches=5)
    with other.writing() as batch:  # some written again: deleted, then added to a new segment
        for doc in docs[3:9]:
            batch.put(doc)
        batch.reach(100)
    pages = {size: _walk(one, sort, size) for size in (1, 5, 7, 60)}
    for size in (1, 5, 7, 60):
        assert _walk(other, sort, size) == pages[60], size
        assert pages[size] == pages[60], size
    assert sorted(pages[60]) == sorted(doc.id for doc in docs)  # each once
    tied = [dataset_id for dataset_id in pages[60] if dataset_id.startswith("555d")]
    assert tied == sorted(tied, reverse=sort.startswith("-"))


def test_a_page_of_nothing_is_a_count(tmp_path: Path) -> None:
    """``limit=0``: Tantivy's top-k collector panics on a limit of 0 (it ended the process's
    thread with a Rust panic); and the relevance walk read the whole index for it."""
    index = SearchIndex(tmp_path / "one")
    _write(index, _documents(), batches=1)
    for request in (SearchRequest(words=("budget",), limit=0), SearchRequest(sort="-created", limit=0)):
        assert index.search(request) == SearchHits((), 60)
