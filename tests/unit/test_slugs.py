"""Slugs and tags as udata makes them (awesome-slugify over unidecode, udata: udata/mongo/slug_fields.py, udata/tags.py)."""

import uuid

import pytest

from opencat.domain.slugs import MAX_SLUG_LENGTH, normalize_tag, slug_candidates, slugify, unique_slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Qualité de l'air", "qualite-de-lair"),
        ("Horaires des bus", "horaires-des-bus"),
        ("  Déjà   vu !! ", "deja-vu"),
        ("Œuvres d'art du XIXe siècle", "oeuvres-dart-du-xixe-siecle"),
        ("Émissions de CO₂ — 2024", "emissions-de-co2-2024"),
        ("Budget_2024 (v2)", "budget-2024-v2"),
        ("ÉCOLES", "ecoles"),
    ],
)
def test_slugify_transliterates_lowercases_and_joins_words(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "'"])
def test_slugify_of_text_without_words_is_empty(text: str) -> None:
    assert slugify(text) == ""


@pytest.mark.parametrize(
    ("tag", "normalized"),
    [
        (" Aaa bBB $$ $$-µ  ", "aaa-bbb-u"),
        ('This IS a "tag"…', "this-is-a-tag"),
        ("Transport", "transport"),
        ("qualité-de-l'air", "qualite-de-lair"),
    ],
)
def test_normalize_tag_examples_from_udata(tag: str, normalized: str) -> None:
    assert normalize_tag(tag) == normalized


def test_tags_are_not_cut_at_the_slug_limit() -> None:
    long_tag = "word " * 60
    assert normalize_tag(long_tag) == "-".join(["word"] * 60)


def test_unique_slug_keeps_a_free_base() -> None:
    assert unique_slug("horaires", set()) == "horaires"
    assert unique_slug("horaires", {"horaires-1", "other"}) == "horaires"


def test_unique_slug_appends_the_first_free_index() -> None:
    assert unique_slug("horaires", {"horaires"}) == "horaires-1"
    assert unique_slug("horaires", {"horaires", "horaires-1"}) == "horaires-2"
    assert unique_slug("horaires", {"horaires", "horaires-2"}) == "horaires-1"
    taken = {"horaires"} | {f"horaires-{index}" for index in range(1, 10)}
    assert unique_slug("horaires", taken) == "horaires-10"


def test_a_slug_that_looks_like_a_uuid_gets_a_suffix() -> None:
    value = str(uuid.uuid4())
    assert unique_slug(value, set()) == f"{value}-uuid"
    assert unique_slug(slugify(value.upper()), set()) == f"{value}-uuid"


def test_a_slug_that_looks_like_an_object_id_gets_a_suffix() -> None:
    """Ids are resolved before slugs: the slug would have named another dataset's id."""
    value = "5f8f7a4632cc398465f0cf18"
    assert unique_slug(slugify(value.upper()), set()) == f"{value}-id"
    assert unique_slug(value, {f"{value}-id"}) == f"{value}-id-1"


def test_a_slug_that_merely_contains_hex_is_kept() -> None:
    assert unique_slug("deadbeef", set()) == "deadbeef"
    assert unique_slug("rapport-2024-01-02", set()) == "rapport-2024-01-02"


def test_slug_length_limit_keeps_whole_words() -> None:
    slug = slugify("word " * 100)
    assert len(slug) <= MAX_SLUG_LENGTH == 255
    assert slug.split("-") == ["word"] * 51  # 51 words make 254 characters, a 52nd would overflow


def test_a_word_that_would_overflow_is_skipped_and_shorter_ones_still_fit() -> None:
    title = f"{'a' * 250} {'b' * 10} cc"
    assert slugify(title) == f"{'a' * 250}-cc"


def test_a_single_word_longer_than_the_limit_is_cut() -> None:
    assert slugify("x" * 300) == "x" * 255


def test_words_fill_the_slug_up_to_exactly_the_limit() -> None:
    exactly = " ".join(["abcd"] * 50) + " abcde"  # 249 + 1 + 5 = 255 characters once joined
    assert slugify(exactly) == "-".join(["abcd"] * 50) + "-abcde"
    one_more = " ".join(["abcd"] * 51) + " z"  # 254 + 2 = 256: the last word goes
    assert slugify(one_more) == "-".join(["abcd"] * 51)


def test_unique_slug_trims_the_base_to_fit_the_suffix() -> None:
    base = "x" * 255
    deduplicated = unique_slug(base, {base})
    assert deduplicated == "x" * 253 + "-1"
    assert len(unique_slug(base, {base, deduplicated})) == 255


@pytest.mark.parametrize("base", ["horaires", str(uuid.UUID(int=7)), "x" * MAX_SLUG_LENGTH])
def test_the_candidates_are_the_slugs_unique_slug_tries_in_its_order(base: str) -> None:
    tried: set[str] = set()
    for _ in range(12):
        tried.add(unique_slug(base, tried))
    assert set(slug_candidates(base, 0, 12)) == tried
    assert slug_candidates(base, 5, 7) == slug_candidates(base, 0, 12)[5:]
    assert all(len(slug) <= MAX_SLUG_LENGTH for slug in tried)
