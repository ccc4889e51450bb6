"""Words of other scripts than Latin are found without their accents and case, as Latin ones:
Tantivy's folding only knows Latin letters (udata's MongoDB text index folds them all)."""

import pytest

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import list_datasets
from opencat.domain.accounts import Actor
from opencat.domain.queries import DatasetQuery
from tests.factories import make_dataset, make_user


@pytest.mark.parametrize(
    ("title", "asked"),
    [
        ("Ελληνικά δεδομένα", ["ελληνικα", "ΕΛΛΗΝΙΚΑ", "Ελληνικά", "δεδομενα"]),
        ("Οδός Πανεπιστημίου", ["οδος", "ΟΔΟΣ", "οδοσ"]),  # the final sigma, either way
        ("Ёлка новогодняя", ["елка", "ЁЛКА", "Ёлка"]),
        ("Türkçe İstanbul verileri", ["İstanbul", "istanbul", "ISTANBUL", "turkce"]),
        ("Données des écoles", ["donnees", "DONNÉES", "e\u0301coles"]),  # Latin as before
        ("Istanbulu", ["Istanbulu"]),
    ],
)
def test_words_are_found_without_accents_or_case_in_any_script(
    catalog: Catalog, title: str, asked: list[str]
) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner, title=title).dataset.id
    make_dataset(catalog, owner, title="Autre chose")
    for words in asked:
        found = list_datasets(catalog, Actor(), DatasetQuery(q=words)).items
        assert [view.dataset.id for view in found] == [dataset_id], words


def test_a_one_letter_typo_is_forgiven_in_greek_too(catalog: Catalog) -> None:
    owner = make_user(catalog)
    dataset_id = make_dataset(catalog, owner, title="Πανεπιστήμιο").dataset.id
    found = list_datasets(catalog, Actor(), DatasetQuery(q="πανεπιστημιω")).items
    assert [view.dataset.id for view in found] == [dataset_id]
