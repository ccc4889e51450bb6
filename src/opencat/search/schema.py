"""The index's fields and text analyzers; bump VERSION whenever they change (a rebuild follows)."""

import tantivy

# 15: the format families hold udata's lists (domain/format_families.py).
# 16: an overseas collectivity's older id (fr:collectivite:987) files under its zone and ancestors.
VERSION = 16

# Text fields and their weight in relevance (title first, description last).
TEXT_FIELDS = {
    "title": 10.0,
    "acronym": 8.0,
    "tags_text": 5.0,
    "organization_name": 2.0,
    "description": 1.0,
    # Resource titles hold the file names people remember (``opendamir``, ``waldec``…).
    "resource_titles": 1.0,
}
KEYWORDS = (
    "owner", "organization", "license", "badges", "organization_badges", "formats", "schemas",
    "schema_versions", "zones", "granularity", "access_type", "tags",
    # API v2 filters (version 7): the dataset's own zones, producer types, format families and the
    # organization's name folded (lower case, no accents, single spaces).
    "own_zones", "producer_types", "format_families", "organization_key",
)  # fmt: skip
# ``public`` = neither private, deleted nor archived: one term for the anonymous visibility filter.
FLAGS = ("private", "deleted", "archived", "featured", "public")
# Resource titles are file names: stemming them would make "formation" match every "format".
ANALYZERS = {"resource_titles": "fr_plain"}
# Sort keys are integers: Tantivy's date fast fields only keep whole seconds. Creation and update
# times are milliseconds since the epoch.
NUMBERS = ("reuses", "followers", "views", "created", "last_update")
# What each number is ordered by (version 11): the number in the high bits, a tie-breaker taken
# from the dataset's id in the low ones (``sort_keys.py``), so that equal values come in one order
# on every node and after every merge (Tantivy breaks ties by a document's place in its segments:
# a harvester paging through datasets created on one day met some twice and missed others).
ORDERS = {name: f"{name}_order" for name in NUMBERS}
ORDER_FIELDS = frozenset(ORDERS.values())
# Suggestions: followers, then the oldest (version 13, ``sort_keys.suggest_key``).
SUGGEST_ORDER = "suggest_order"
# Coverage bounds are day numbers (``date.toordinal``): Tantivy's dates stop at 1677 and 2262,
# and a coverage may start in 1500 or end in 9999.
DAYS = ("temporal_start", "temporal_end")
# A fixed hash of the dataset's id, 0 to SAMPLE_BUCKETS - 1 (version 9): the pages count the facets
# of a very large result set on the datasets of a few buckets (``SearchIndex.counts``).
SAMPLE = "sample"
SAMPLE_BUCKETS = 64


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """Accents folded, then French stemming: "donnees" and "données", "tres" and "très" meet on one
    stem (stemming first would give accented and bare words different stems); a plain twin for typos."""
    simple = tantivy.Tokenizer.simple
    stemmed = (
        tantivy.TextAnalyzerBuilder(simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )
    plain = (
        tantivy.TextAnalyzerBuilder(simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )
    # 1- to 3-grams of the title and acronym, folded by the caller as the query is (version 11:
    # Tantivy's folding after the grams made "œu" a four-letter gram no query met), for substring
    # matching in type-ahead suggestions (a 1 or 2 letter query is one gram; a longer one, all of
    # its trigrams).
    trigrams = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(1, 3, False))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )
    return {"fr_stem": stemmed, "fr_plain": plain, "trigrams": trigrams}


def build() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=ANALYZERS.get(name, "fr_stem"), index_option="freq")
    builder.add_text_field("title_plain", tokenizer_name="fr_plain", index_option="freq")
    builder.add_text_field("title_sort", tokenizer_name="raw", fast=True)
    builder.add_text_field("suggest", tokenizer_name="trigrams", index_option="basic")
    for name in KEYWORDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    for name in FLAGS:
        builder.add_boolean_field(name, indexed=True, fast=True)
    for name in NUMBERS:
        builder.add_integer_field(name, indexed=True, fast=True)
    for name in ORDERS.values():
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_integer_field(SUGGEST_ORDER, fast=True)
    builder.add_float_field("popularity", fast=True)
    for name in DAYS:
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_integer_field(SAMPLE, indexed=True, fast=True)
    return builder.build()
