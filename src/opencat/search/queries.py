"""Listing requests to Tantivy queries: every word must match, filters are exact, relevance is weighted."""

from datetime import date
from functools import lru_cache

import tantivy

from opencat.domain.search import SearchFilters, SearchRequest, Visibility
from opencat.domain.transliteration import to_ascii
from opencat.search.schema import ORDERS, TEXT_FIELDS, analyzers

FUZZY_MIN_LENGTH = 5
FUZZY_MAX_DOC_FREQ = 1000

_SORTS = {"title": "title_sort", **ORDERS}
_PLAIN = analyzers()["fr_plain"]

Clause = tuple[tantivy.Occur, tantivy.Query]


_STEMMED = analyzers()["fr_stem"]


@lru_cache(maxsize=4096)  # the same words come back; each asks Snowball for up to three stems
def number_twins(word: str) -> tuple[str, ...]:
    """The word's other number (singular or plural, as French spells most of them) when Snowball
    gives it another stem: it only drops a final ``s`` after a consonant, and keeps ``-eux``, so
    ``vélo`` and ``vélos``, ``euro`` and ``euros``, ``jeu`` and ``jeux`` were other words (where
    ``commune`` and ``communes`` already meet on one stem). ``word`` is folded, as ``words_of``
    gives it; a word holding a digit is a code, and has no plural."""
    if any(character.isdigit() for character in word):
        return ()
    if word.endswith("s"):
        others = [word[:-1]] if len(word) >= 4 and not word.endswith("ss") else []
    elif word.endswith("x"):
        others = [word[:-1]] if len(word) >= 4 and word[-3:-1] in ("eu", "au") else []
    elif word.endswith("z") or len(word) < 3:
        others = []
    else:
        others = [word + "s", word + "x"] if word.endswith(("eu", "au")) else [word + "s"]
    stems = {tuple(_STEMMED.analyze(word))}
    twins = []
    for other in others:
        stem = tuple(_STEMMED.analyze(other))
        if stem not in stems:
            stems.add(stem)
            twins.append(other)
    return tuple(twins)


def _word_query(index: tantivy.Index, schema: tantivy.Schema, word: str) -> tantivy.Query:
    """One word or its other number (``number_twins``), in any text field (weighted), or a
    one-letter typo of it in the title."""
    options: list[Clause] = [
        (tantivy.Occur.Should, tantivy.Query.boost_query(index.parse_query(spelt, [field]), boost))
        for spelt in (word, *number_twins(word))
        for field, boost in TEXT_FIELDS.items()
    ]
    # The word as the title's plain twin holds it (Greek or Cyrillic stay in their letters).
    tokens = _PLAIN.analyze(word)
    folded = tokens[0] if len(tokens) == 1 else to_ascii(word).lower()
    # A word many titles hold is no typo: skip the (costly) fuzzy clause for it.
    common = index.searcher().doc_freq("title_plain", folded) >= FUZZY_MAX_DOC_FREQ
    # A word holding a digit is a code (INSEE, SIREN, a year, a table's number): one digit off
    # is another object, not a typo.
    coded = any(character.isdigit() for character in folded)
    if len(folded) >= FUZZY_MIN_LENGTH and folded.isalnum() and not coded and not common:
        fuzzy = tantivy.Query.fuzzy_term_query(schema, "title_plain", folded, distance=1)
        options.append((tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, 2.0)))
    return tantivy.Query.boolean_query(options)


def _term(schema: tantivy.Schema, field: str, value: object) -> tantivy.Query:
    return tantivy.Query.term_query(schema, field, value)


def _filters(schema: tantivy.Schema, filters: SearchFilters) -> list[tantivy.Query]:
    found: list[tantivy.Query] = [_term(schema, "tags", tag) for tag in filters.tags]
    found += [_term(schema, "formats", value) for value in filters.every_format]
    any_of = {"granularity": filters.granularities, "formats": filters.formats, "schemas": filters.schemas}
    found += [_any(schema, field, values) for field, values in any_of.items() if values]
    exact = {
        "license": filters.license,
        "access_type": filters.access_type,
        "organization": filters.organization,
        "owner": filters.owner,
        "badges": filters.badge,
        "organization_badges": filters.organization_badge,
        "schema_versions": filters.schema_version,
        "featured": filters.featured,
        "private": filters.private,
        "archived": filters.archived,
        "deleted": filters.deleted,
    }
    found += [_term(schema, field, value) for field, value in exact.items() if value is not None]
    if filters.zone is not None:
        found.append(_zone(schema, filters.zone, filters.zone_ancestors))
    if filters.own_zone is not None:
        found.append(_term(schema, "own_zones", filters.own_zone))
    if filters.ids is not None:
        found.append(tantivy.Query.term_set_query(schema, "id", list(filters.ids)))
    if filters.coverage is not None:
        first, last = (day.toordinal() for day in filters.coverage)
        found.append(
            tantivy.Query.range_query(schema, "temporal_start", tantivy.FieldType.Integer, first, last)
        )
    if filters.period is not None:
        found.append(_overlapping(schema, *filters.period))
    if filters.containing is not None:
        found.append(_containing(schema, *filters.containing))
    return found + _v2_filters(schema, filters)


def _containing(schema: tantivy.Schema, first: date, last: date) -> tantivy.Query:
    """A coverage that holds the whole period: started by ``first``, running on ``last``."""
    return _started_and_running(schema, first, last)


def _overlapping(schema: tantivy.Schema, first: date, last: date) -> tantivy.Query:
    """A coverage that meets the period: started by ``last``, running on ``first``."""
    return _started_and_running(schema, last, first)


def _started_and_running(schema: tantivy.Schema, started_by: date, running_on: date) -> tantivy.Query:
    """A coverage that started by one day and has not ended before another (an open end runs on)."""
    integer = tantivy.FieldType.Integer
    started = tantivy.Query.range_query(
        schema, "temporal_start", integer, date.min.toordinal(), started_by.toordinal()
    )
    ended = tantivy.Query.range_query(
        schema, "temporal_end", integer, date.min.toordinal(), running_on.toordinal() - 1
    )
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, started), (tantivy.Occur.MustNot, ended)])


def folded_name(name: str) -> str:
    """A name as the exact-name filter compares it: lower case, accents folded, single spaces."""
    return " ".join(to_ascii(name).casefold().split())


def _zone(schema: tantivy.Schema, zone: str, ancestors: tuple[str, ...]) -> tantivy.Query:
    """Datasets in the zone (``zones`` holds their zones' ancestors), and with ``ancestors``
    (udata's ``include_geozone_ancestors``) the datasets that cover a zone enclosing it."""
    inside = _term(schema, "zones", zone)
    if not ancestors:
        return inside
    enclosing = tantivy.Query.term_set_query(schema, "own_zones", list(ancestors))
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, inside), (tantivy.Occur.Should, enclosing)])


def _any(schema: tantivy.Schema, field: str, values: tuple[str, ...]) -> tantivy.Query:
    """Any of the values: one value is a term."""
    if len(values) == 1:
        return _term(schema, field, values[0])
    return tantivy.Query.term_set_query(schema, field, list(values))


def _v2_filters(schema: tantivy.Schema, filters: SearchFilters) -> list[tantivy.Query]:
    """The filters only API v2 (udata's search service) offers."""
    found: list[tantivy.Query] = []
    exact = {"format_families": filters.format_family, "producer_types": filters.producer_type}
    found += [_term(schema, field, value) for field, value in exact.items() if value is not None]
    if filters.organization_name is not None:
        found.append(_term(schema, "organization_key", folded_name(filters.organization_name)))
    if filters.updated_since is not None:
        since = int(filters.updated_since.timestamp() * 1000)  # ``last_update`` is in milliseconds
        found.append(tantivy.Query.range_query(schema, "last_update", tantivy.FieldType.Integer, since, None))
    return found


def _visibility(schema: tantivy.Schema, visibility: Visibility) -> tantivy.Query | None:
    """Public datasets, plus the caller's own and their organizations' (udata's visible_by_user)."""
    if visibility.everything:
        return None
    public = _term(schema, "public", True)
    options: list[Clause] = [(tantivy.Occur.Should, public)]
    if visibility.owner is not None:
        options.append((tantivy.Occur.Should, _term(schema, "owner", visibility.owner)))
    if visibility.organizations:
        options.append(
            (
                tantivy.Occur.Should,
                tantivy.Query.term_set_query(schema, "organization", list(visibility.organizations)),
            )
        )
    return tantivy.Query.boolean_query(options) if len(options) > 1 else public


def build_query(index: tantivy.Index, schema: tantivy.Schema, request: SearchRequest) -> tantivy.Query:
    clauses: list[Clause] = [(tantivy.Occur.Must, _word_query(index, schema, word)) for word in request.words]
    # Filters narrow without scoring, so that relevance only comes from the words.
    filters = _filters(schema, request.filters)
    visible = _visibility(schema, request.visibility)
    if visible is not None:
        filters.append(visible)
    clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)) for query in filters]
    if not clauses:
        return tantivy.Query.all_query()
    return tantivy.Query.boolean_query(clauses)


def sort_of(request: SearchRequest) -> tuple[str | None, tantivy.Order]:
    """The fast field to order by (None: by relevance) and the direction."""
    sort = request.sort
    if sort is None:
        return (None, tantivy.Order.Desc) if request.words else (ORDERS["created"], tantivy.Order.Desc)
    descending = sort.startswith("-")
    return _SORTS[sort.lstrip("-")], tantivy.Order.Desc if descending else tantivy.Order.Asc


def _public(schema: tantivy.Schema) -> list[Clause]:
    return [(tantivy.Occur.Must, _term(schema, "public", True))]


def suggest_query(schema: tantivy.Schema, text: str) -> tantivy.Query:
    """Public datasets whose title or acronym holds every trigram of ``text`` (the text itself
    when it is one or two characters long)."""
    folded = to_ascii(text).casefold()
    grams = {folded[i : i + 3] for i in range(len(folded) - 2)} or {folded}
    clauses = [(tantivy.Occur.Must, _term(schema, "suggest", gram)) for gram in sorted(grams) if gram]
    return tantivy.Query.boolean_query(clauses + _public(schema))
