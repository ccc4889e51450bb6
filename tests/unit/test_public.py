"""One rule decides whether a dataset is public: the domain's, which the index derives from."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from opencat.catalog.indexing import search_document
from opencat.domain.datasets import Dataset, is_public

NOW = datetime(2024, 6, 1, tzinfo=UTC)
DATASET = Dataset("5e174be4634f414cd8a244f1", "air", "Air", "Mesures", NOW, NOW)


@pytest.mark.parametrize(
    ("changes", "public"),
    [
        ({}, True),
        ({"private": True}, False),
        ({"deleted": NOW}, False),
        ({"archived": NOW}, False),
        ({"featured": True}, True),
    ],
)
def test_a_dataset_and_its_search_document_agree_on_being_public(
    changes: dict[str, object], public: bool
) -> None:
    dataset = replace(DATASET, **changes)  # type: ignore[arg-type]
    assert is_public(dataset) is public
    assert is_public(search_document(dataset, [], None, NOW)) is public
