# ruff: noqa: RUF001  (look-alike characters are what is tested)
"""ASCII transliteration without Unidecode (GPL): the real data's slugs and characters come out as before.

``tests/data/transliteration/`` was written with Unidecode 1.4 still installed, before it was
replaced: ``title-slugs.json`` holds the slug of each of the 3,181 real titles (the 2020 export's
2,862 rows, then the 366 documents of 2022, which win for the 47 datasets in both), and
``characters.json`` what Unidecode made of every non-ASCII character found anywhere in
``tests/data/realdata`` (so search folding, file names and suggestions are unchanged on it too).
"""

import csv
import json
import unicodedata

import pytest

from opencat.domain.slugs import slugify
from opencat.domain.transliteration import to_ascii
from tests import paths

EXPECTED = paths.REALDATA.parent / "transliteration"


def real_titles() -> dict[str, str]:
    titles: dict[str, str] = {}
    export = paths.REALDATA / "catalog-export-2020-subset" / "export.csv"
    with export.open(encoding="utf-8", newline="") as handle:
        titles.update((row["id"], row["title"]) for row in csv.DictReader(handle))
    for path in sorted((paths.INDICATOR / "datasets").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        titles[document["id"]] = document["title"]
    return titles


def test_the_slugs_of_the_real_titles_are_those_unidecode_gave() -> None:
    expected = json.loads((EXPECTED / "title-slugs.json").read_text(encoding="utf-8"))
    titles = real_titles()
    assert len(titles) == len(expected) == 3181
    changed = {
        id_: (slugify(title), expected[id_])
        for id_, title in titles.items()
        if slugify(title) != expected[id_]
    }
    assert changed == {}


def test_every_character_of_the_real_data_transliterates_as_unidecode_did() -> None:
    expected = json.loads((EXPECTED / "characters.json").read_text(encoding="utf-8"))
    assert len(expected) == 90
    assert {char: to_ascii(char) for char in expected} == expected


@pytest.mark.parametrize(
    ("text", "ascii_text"),
    [
        ("Straße", "Strasse"),
        ("Æsir œuvre Øresund", "AEsir oeuvre Oresund"),
        ("Łódź, Đakovo, Þórshöfn", "Lodz, Dakovo, Thorshofn"),
        ("l’eau « 20 °C » – 5 €", "l'eau << 20 degC >> - 5 EUR"),
        ("Москва", "Moskva"),
        ("CO₂ m² ﬁchier", "CO2 m2 fichier"),
        ("e\u0301te\u0301", "ete"),  # accents already decomposed
        ("📊 Budget ✅", " Budget "),  # emoji vanish instead of becoming words
    ],
)
def test_to_ascii(text: str, ascii_text: str) -> None:
    assert to_ascii(text) == ascii_text


def test_ascii_text_is_returned_as_it_is() -> None:
    text = "Horaires des bus (v2) - 100% l'eau"
    assert to_ascii(text) is text


def test_every_output_is_ascii() -> None:
    # The Basic Multilingual Plane, every assigned code point: nothing escapes as non-ASCII.
    chars = (
        chr(code) for code in range(0x80, 0x10000) if unicodedata.category(chr(code)) not in ("Cs", "Cn")
    )
    assert all(to_ascii(char).isascii() for char in chars)
