import pytest

from opencat.domain.uploads import MAX_FILENAME, normalize_filename


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("test_update.txt", "test-update.txt"),
        ("Test.TXT", "test.txt"),
        ("éàü@€.txt", "eau-eur.txt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\data.csv", "data.csv"),
        ("...", "file"),
        ("l'été.csv", "lete.csv"),  # apostrophes vanish, as in udata's slugify
        ("Qualité de l\u2019air.csv", "qualite-de-lair.csv"),  # a typographic apostrophe
        # A stem of separators only kept its extension as the name, without one: refused.
        ("_.csv", "file.csv"),
        ("-.csv", "file.csv"),
        ("\U0001f600.csv", "file.csv"),
        (".csv", "file.csv"),
        (".csv.", "file.csv"),
        ("..csv..", "file.csv"),
        ("csv", "csv"),
        ("a.", "a"),
    ],
)
def test_names_are_normalized_like_udata(given: str, stored: str) -> None:
    assert normalize_filename(given) == stored


@pytest.mark.parametrize("extension", ["csv", "csv.tar.gz", "geojson"])
def test_long_names_are_cut_keeping_the_extension(extension: str) -> None:
    stored = normalize_filename("Rapport annuel " * 40 + "." + extension)
    assert len(stored) <= MAX_FILENAME
    assert stored.endswith("." + extension)
    assert stored.startswith("rapport-annuel-rapport")
    assert not stored.removesuffix("." + extension).endswith("-")


def test_a_long_extensionless_name_is_cut() -> None:
    assert normalize_filename("x" * 1000) == "x" * MAX_FILENAME
