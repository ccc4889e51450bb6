"""q on GET /api/1/datasets/: AND of words, accents and case folded, French forms, typos, ranking."""

import pytest
from starlette.testclient import TestClient

from opencat.catalog.context import Catalog
from tests.factories import make_dataset, make_org, make_user

URL = "/api/1/datasets/"


def _titles(client: TestClient, query: str) -> list[str]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["data"]]


@pytest.fixture
def corpus(catalog: Catalog) -> None:
    alice = make_user(catalog)
    org = make_org(catalog, "Ministère de l'Intérieur", **{alice.user.id: "admin"})
    make_dataset(catalog, alice, title="Qualité de l'eau potable", tags=("sante",))
    make_dataset(catalog, alice, title="Résultats des élections municipales", organization=org.id)
    make_dataset(catalog, alice, title="Baignade", description="Surveillance des eaux de baignade en mer")
    make_dataset(catalog, alice, title="Stations de mesure", tags=("qualite-air",), acronym="AIRQ")
    make_dataset(catalog, alice, title="Eau et élections (privé)", private=True)


@pytest.mark.usefixtures("corpus")
def test_words_are_and_ed_case_and_accent_insensitive(client: TestClient) -> None:
    assert _titles(client, "q=qualite eau") == ["Qualité de l'eau potable"]
    assert _titles(client, "q=QUALITÉ EAU") == ["Qualité de l'eau potable"]
    assert _titles(client, "q=qualite+bus") == []
    assert _titles(client, "q=resultat election") == ["Résultats des élections municipales"]


@pytest.mark.usefixtures("corpus")
def test_all_text_fields_count_and_titles_rank_first(client: TestClient) -> None:
    # "eaux" is the plural of "eau": the title match ranks above the description match
    assert _titles(client, "q=eaux") == ["Qualité de l'eau potable", "Baignade"]
    assert _titles(client, "q=interieur") == ["Résultats des élections municipales"]  # organization name
    assert _titles(client, "q=airq") == ["Stations de mesure"]  # acronym
    assert _titles(client, "q=air") == ["Stations de mesure"]  # tag
    assert _titles(client, "q=potables") == ["Qualité de l'eau potable"]  # plural


def test_singular_and_plural_find_each_other(client: TestClient, catalog: Catalog) -> None:
    """Snowball drops a final ``s`` only after a consonant and keeps ``-eux``: ``vélo`` did not find
    "vélos", nor ``euro`` "euros" (4 datasets against 44 of the real catalog), nor ``jeu`` "jeux"."""
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="Zorglub vélos en libre service")
    make_dataset(catalog, alice, title="Subventions de plus de 23 000 euros")
    make_dataset(catalog, alice, title="Jeux olympiques", description="Les lieux des épreuves")
    make_dataset(catalog, alice, title="Photo aérienne", description="Une radio locale")
    assert _titles(client, "q=vélo") == ["Zorglub vélos en libre service"]
    assert _titles(client, "q=velo zorglub") == ["Zorglub vélos en libre service"]
    assert _titles(client, "q=euro") == ["Subventions de plus de 23 000 euros"]
    assert _titles(client, "q=jeu olympique") == ["Jeux olympiques"]
    assert _titles(client, "q=lieu") == ["Jeux olympiques"]  # in the description
    assert _titles(client, "q=photos radios") == ["Photo aérienne"]
    assert _titles(client, "q=bu") == []  # a word too short to have another number


def test_a_words_other_number_is_asked_only_when_its_stem_differs() -> None:
    from opencat.search.queries import number_twins

    assert number_twins("velo") == ("velos",)
    assert number_twins("euros") == ("euro",)
    assert number_twins("jeux") == ("jeu",)
    assert "jeux" in number_twins("jeu")
    # Snowball already gives both numbers one stem: nothing more to ask.
    for word in ("commune", "communes", "donnees", "eaux", "bureaux", "transports", "pays", "cours"):
        assert number_twins(word) == (), word
    # Invariable, too short, or a code.
    for word in ("prix", "gaz", "bus", "as", "a1", "2019s", "classes"):
        assert number_twins(word) == (), word


@pytest.mark.usefixtures("corpus")
def test_small_typos_are_tolerated_in_titles(client: TestClient) -> None:
    assert _titles(client, "q=baignde") == ["Baignade"]
    assert _titles(client, "q=electoins") == ["Résultats des élections municipales"]


def test_a_code_one_digit_off_is_another_code_not_a_typo(client: TestClient, catalog: Catalog) -> None:
    """INSEE or SIREN codes, years, table numbers: ``75056`` found ``15056 - Cartes…`` alone."""
    alice = make_user(catalog)
    make_dataset(catalog, alice, title="15056 - Cartes de résident")
    make_dataset(catalog, alice, title="Budget 2019 de la commune")
    make_dataset(catalog, alice, title="Budget 2020 de la commune")
    assert _titles(client, "q=75056") == []
    assert _titles(client, "q=15056") == ["15056 - Cartes de résident"]
    assert _titles(client, "q=20190") == []
    assert _titles(client, "q=budget 2019") == ["Budget 2019 de la commune"]
    assert len(_titles(client, "q=budgte")) == 2  # a word's typo is still forgiven


@pytest.mark.usefixtures("corpus")
def test_relevance_is_the_default_order_with_q_and_sort_overrides_it(client: TestClient) -> None:
    by_relevance = client.get(f"{URL}?q=eau").json()
    assert by_relevance["total"] == 2
    by_title = _titles(client, "q=eau&sort=title")
    assert by_title == sorted(by_title, key=str.casefold)


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize(
    "hostile",
    [
        '"', "qualité (eau", "qualité AND-OR", "NOT", "*", "title:eau", "eau~2", "eau^9", "[0 TO 1]", "\\",
        "'; DROP TABLE datasets; --", "a" * 5000, " ".join(["eau"] * 500), "%E2%80%AE", "\u200b", "🌊 eau",
        "\x01\x02", "eau%0Aeau", "-", "+", "\u00a0", "a_b", "code_postal", "_", "eau__", "_eau_ x_1",
    ],
)  # fmt: skip
def test_any_user_text_is_safe(client: TestClient, hostile: str) -> None:
    response = client.get(URL, params={"q": hostile})
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("corpus")
def test_private_datasets_stay_hidden_from_search(client: TestClient) -> None:
    assert "Eau et élections (privé)" not in _titles(client, "q=eau")


@pytest.mark.usefixtures("corpus")
def test_accents_do_not_matter_in_either_direction(client: TestClient, catalog: Catalog) -> None:
    make_dataset(
        catalog,
        make_user(catalog),
        title="Véhicules à très faibles émissions",
        description="Données ouvertes",
    )
    for query in ("très", "tres", "TRES", "emissions", "émissions", "donnees", "données", "vehicules"):
        assert _titles(client, f"q={query}") == ["Véhicules à très faibles émissions"], query


def test_an_underscore_separates_words_as_in_the_titles(client: TestClient, catalog: Catalog) -> None:
    """The index splits "code_postal" into two words; a query word with an underscore was a
    phrase the title field cannot answer (a 500 on every listing, the pages and the feed)."""
    alice = make_user(catalog)
    wanted = make_dataset(catalog, alice, title="Base officielle des codes_postaux").dataset.id
    make_dataset(catalog, alice, title="Codes officiels géographiques")
    for url in ("/api/1/datasets/", "/api/2/datasets/search/"):
        found = client.get(url, params={"q": "officielle codes_postaux"})
        assert found.status_code == 200, found.text
        assert [item["id"] for item in found.json()["data"]] == [wanted]
    for url in ("/api/1/datasets/recent.atom", "/api/1/site/catalog.json", "/datasets/"):
        assert client.get(url, params={"q": "codes_postaux"}).status_code == 200, url


@pytest.mark.usefixtures("corpus")
def test_the_word_bound_counts_the_words_searched_for(client: TestClient) -> None:
    """Twelve words at most are searched for, stopwords aside: a pasted title's last meaningful
    word counts (it was dropped past the twelfth word), and twelve stopwords first no longer
    leave only stopwords to look for."""
    stopwords = "le la les de du des et à au aux un une"
    assert _titles(client, f"q={stopwords} municipales") == ["Résultats des élections municipales"]
    assert _titles(client, f"q={stopwords} municipales baignade") == []
    assert _titles(client, "q=l'eau de la qualité et de l'eau du robinet la plus potable") == []
    assert _titles(client, "q=qualité de l' eau et de la l' eau de la eau potable") == [
        "Qualité de l'eau potable"
    ]
