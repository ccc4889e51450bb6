"""An index written by an older opencat (another schema version) is emptied and rebuilt from the
database outbox when opened, never read with the wrong fields."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import tantivy

from opencat.catalog import indexing
from opencat.catalog.context import Catalog
from opencat.domain.search import SearchFilters, SearchRequest
from opencat.search import schema
from opencat.search.index import SearchIndex
from tests.factories import make_dataset, make_user


def _older_index(directory: Path) -> None:
    """An index of schema version 6: no format families, producer types or own zones."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    builder.add_text_field("formats", tokenizer_name="raw", fast=True, index_option="basic")
    index = tantivy.Index(builder.build(), path=str(directory))
    writer = index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(id="5" * 24, formats=["csv"]))
    writer.commit()
    writer.wait_merging_threads()
    (directory / "opencat-index.json").write_text(json.dumps({"version": 6, "applied_seq": 10**6}))


def test_an_index_of_an_older_schema_is_rebuilt(catalog: Catalog, tmp_path: Path) -> None:
    alice = make_user(catalog)
    tabular = make_dataset(
        catalog, alice, resources=[{"title": "t", "url": "https://example.org/t", "format": "csv"}]
    )
    make_dataset(catalog, alice, title="Sans fichier")
    directory = tmp_path / "older-index"
    directory.mkdir()
    _older_index(directory)
    assert schema.VERSION > 6

    reopened = SearchIndex(directory)  # what a restart after the upgrade does
    assert (reopened.count(), reopened.current_seq()) == (0, -1)
    upgraded = replace(catalog, search=reopened)
    request = SearchRequest(filters=SearchFilters(format_family="tabular"))
    hits = indexing.search(upgraded, request)  # replays the whole outbox first
    assert (hits.ids, hits.total) == ((tabular.dataset.id,), 1)
    assert reopened.count() == 2
    assert json.loads((directory / "opencat-index.json").read_text())["version"] == schema.VERSION


def test_a_damaged_index_is_started_again_and_rebuilt(
    catalog: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt Tantivy file stopped every command (backup, reindex and db upgrade included):
    the index is derived data, started again and rebuilt from the database."""
    alice = make_user(catalog)
    made = make_dataset(catalog, alice, title="Toujours là")
    directory = tmp_path / "damaged-index"
    first = SearchIndex(directory)
    indexing.sync(replace(catalog, search=first))
    assert first.count() == 1
    del first
    (directory / "meta.json").write_text("{garbage")  # Tantivy's own meta file

    with caplog.at_level("WARNING", logger="opencat.search"):
        reopened = SearchIndex(directory)
    assert "is damaged" in caplog.text
    assert (reopened.count(), reopened.current_seq()) == (0, -1)
    hits = indexing.search(replace(catalog, search=reopened), SearchRequest())
    assert hits.ids == (made.dataset.id,)
