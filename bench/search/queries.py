"""The cases the search benchmark times, and the words they ask, picked by their number of matches."""

from collections.abc import Sequence
from dataclasses import dataclass

from bench.generate import Catalog as Generator
from opencat.domain.search import STOPWORDS, SearchRequest, Visibility
from opencat.domain.transliteration import to_ascii
from opencat.search.index import SearchIndex
from opencat.search.schema import analyzers

LISTING = "/api/1/datasets/"
SUGGEST = "/api/1/datasets/suggest/"
V2_SEARCH = "/api/2/datasets/search/"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    params: dict[str, str]
    target_ms: float | None
    kind: str = "list"  # list, suggest or v2


def _count(index: SearchIndex, words: tuple[str, ...]) -> int:
    request = SearchRequest(words=words, visibility=Visibility(), limit=1)
    return index.search(request).total


_STEMMER = analyzers()["fr_stem"]


def _candidates(words: Sequence[str], limit: int) -> list[str]:
    """Words worth a query, one per stem (the index matches stems: "données" is "don")."""
    found: dict[tuple[str, ...], str] = {}
    for word in words:
        lowered = word.casefold()
        if len(lowered) >= 4 and lowered.isalpha() and lowered not in STOPWORDS:
            found.setdefault(tuple(_STEMMER.analyze(lowered)), lowered)
        if len(found) == limit:
            break
    return list(found.values())


def _closest(counted: dict[str, int], wanted: float, exclude: Sequence[str] = ()) -> str:
    choices = {word: n for word, n in counted.items() if word not in exclude and n > 0}
    return min(choices, key=lambda word: (abs(choices[word] - wanted), word))


def _typo(word: str) -> str:
    """One letter replaced, in the middle (a fuzzy match in titles)."""
    middle = len(word) // 2
    return word[:middle] + ("a" if word[middle] != "a" else "e") + word[middle + 1 :]


def choose_words(index: SearchIndex, generator: Generator) -> dict[str, str]:
    """Query words picked by their number of matches, from the generated vocabulary."""
    vocabulary = generator.words
    public = _count(index, ())
    titles, descriptions = vocabulary.title_words.items, vocabulary.description_words.items
    words = _candidates([*titles[:400], *descriptions[:400], *titles[2000:2600]], 1000)
    counted = {word: _count(index, (word,)) for word in words}
    common = sorted(counted, key=lambda word: (-counted[word], word))[:3]
    medium = _closest(counted, public * 0.10, common)
    rare = _closest(counted, public * 0.0005, common)
    title_common = next(w for w in _candidates(vocabulary.title_words.items, 50) if len(w) >= 5)
    folded = to_ascii(title_common)
    return {
        "common": common[0],
        "common2": common[1],
        "common3": common[2],
        "medium": medium,
        "rare": rare,
        "typo": _typo(title_common),
        "prefix2": folded[:2],
        "prefix3": folded[:3],
        "prefix5": folded[:5],
    }


def cases(words: dict[str, str], generator: Generator) -> list[Case]:
    top_org = generator.organizations[0].id
    mid_org = generator.organizations[20].id
    top_tag = generator.words.tags.items[0]
    w = words

    def q(name: str, text: str, target: float | None = 50) -> Case:
        return Case(f"q: {name}", LISTING, {"q": text}, target)

    def suggest(name: str, text: str) -> Case:
        return Case(f"suggest: {name}", SUGGEST, {"q": text, "size": "10"}, 20, "suggest")

    return [
        q("common word", w["common"]),
        q("2nd common word", w["common2"]),
        q("medium word", w["medium"]),
        q("rare word", w["rare"]),
        q("2 common words", f"{w['common']} {w['common2']}"),
        q("common + medium", f"{w['common']} {w['medium']}"),
        q("3 common words", f"{w['common']} {w['common2']} {w['common3']}"),
        q("common + medium + rare", f"{w['common']} {w['medium']} {w['rare']}"),
        q("typo (fuzzy)", w["typo"]),
        q("stopword only", "de"),
        Case("page 1, no filter", LISTING, {}, None),
        Case("page 1: top org + csv", LISTING, {"organization": top_org, "format": "csv"}, 10),
        Case("page 1: org #21 + csv", LISTING, {"organization": mid_org, "format": "csv"}, 10),
        Case("page 1: top tag + lov2", LISTING, {"tag": top_tag, "license": "lov2"}, 10),
        Case("page 500, no filter", LISTING, {"page": "500"}, 30),
        Case("page 500: lov2", LISTING, {"page": "500", "license": "lov2"}, 30),
        Case("page 500: common word", LISTING, {"page": "500", "q": w["common"]}, None),
        suggest("2 letters", w["prefix2"]),
        suggest("3 letters", w["prefix3"]),
        suggest("5 letters", w["prefix5"]),
        Case("v2 search + facets: common", V2_SEARCH, {"q": w["common"]}, None, "v2"),
        Case("v2 search + facets: none", V2_SEARCH, {}, None, "v2"),
    ]
