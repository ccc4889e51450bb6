"""The rows of the table: the requests of issue 10's targets, each with its target."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from bench.http.catalog import Choice, resource_body
from bench.http.report import Target
from bench.http.wrk import FOLLOW, RESOURCE, Load, Request, Writes

LISTS = Target(ratio=(0.25, 0.15))
SUGGEST = Target(ratio=(0.40, 0.40))
LARGE = 300  # distinct large searches of the search page's cold row (more than the 256 remembered)


@dataclass(frozen=True)
class Row:
    name: str
    load: Load
    target: Target
    min_workers: int = 1


def _get(path: str, **params: str) -> Request:
    return Request("GET", f"{path}?{urlencode(params)}" if params else path)


def dataset_paths(choice: Choice, pool: int) -> list[str]:
    """The datasets read in turn (their ETags are read first, for the 304 row)."""
    return [f"/api/1/datasets/{dataset_id}/" for dataset_id in choice.readable[:pool]]


def page_rows(choice: Choice, pool: int) -> list[Row]:
    """The public pages, one request at a time: their latency is the server's time (issue 13's
    targets, at 1M datasets). The search page rotates over the unfiltered first page, a word, a
    tag, an organization, a decade of temporal coverage and a second page, each with every facet."""
    pages = [_get(f"/datasets/{choice.slugs[dataset_id]}/") for dataset_id in choice.readable[:pool]]
    searches = [
        _get("/datasets/"),
        _get("/datasets/", q=choice.words["common"]),
        _get("/datasets/", tag=choice.tags[0]),
        _get("/datasets/", organization=choice.organizations[0]),
        _get("/datasets/", temporal_start="2010-01-01", temporal_end="2019-12-31"),
        _get("/datasets/", page="2"),
    ]
    return [
        Row("page: dataset", Load([pages], connections=1), Target(p95_ms=30, scale="1M datasets")),
        Row(
            "page: search + facets",
            Load([searches], connections=1),
            Target(p95_ms=50, scale="1M datasets"),
        ),
        # More distinct searches than the facet counts' cache holds, in turn: each one counted.
        Row(
            "page: search + facets (counted afresh)",
            Load([[_get("/datasets/", **{key: value}) for key, value in choice.long_tail]], connections=1),
            Target(p95_ms=50, scale="1M datasets"),
        ),
        # Large result sets seen for the first time: more distinct ones than the answers remembered.
        Row(
            "page: search + facets (large sets counted afresh)",
            Load([_large_searches(choice)], connections=1),
            Target(p95_ms=50, scale="1M datasets"),
        ),
    ]


def _large_searches(choice: Choice) -> list[Request]:
    """Periods from 1980 on, each starting a day later (every dataset with a coverage: about a
    quarter of the catalog), alone and with a common word; 300 searches in turn."""
    found = []
    for day in range(LARGE // 2):
        start = (date(1980, 1, 1) + timedelta(days=day)).isoformat()
        found.append(_get("/datasets/", temporal_start=start, temporal_end="2099-12-31"))
        found.append(_get("/datasets/", q=choice.words["common"], temporal_start=start))
    return found


def rows(choice: Choice, etags: dict[str, str], keys: dict[str, str], pool: int) -> list[Row]:
    """``etags``: the ETag opencat gave each read dataset path; ``keys``: the writers' API keys."""
    listing, suggest = "/api/1/datasets/", "/api/1/datasets/suggest/"
    w = choice.words
    datasets = [_get(path) for path in dataset_paths(choice, pool)]
    filtered = [_get(listing, tag=tag, page_size="20") for tag in choice.tags] + [
        _get(listing, organization=org, page_size="20") for org in choice.organizations
    ]
    searches = [
        _get(listing, q=text)
        for text in (
            w["common"],
            w["common2"],
            w["common3"],
            f"{w['common']} {w['common2']}",
            f"{w['common']} {w['common2']} {w['common3']}",
        )
    ]
    first_pages = [_get(listing, page_size="20")]
    writes = Writes(
        follow_ids=choice.readable,
        keys=list(keys.values()),
        owned=[(dataset_id, keys[email]) for dataset_id, email in choice.writable],
        resource_body=resource_body("mesures-bench.csv"),
    )
    # 70 % reads (datasets, lists, searches), 30 % writes (resources, follows), interleaved.
    schedule = [0] * 7 + [1] * 4 + [2] * 3 + [FOLLOW] * 3 + [RESOURCE] * 3
    random.Random(0).shuffle(schedule)
    return [
        Row("GET dataset", Load([datasets]), Target(ratio=(0.40, 0.25))),
        Row(
            "GET dataset 304 (If-None-Match)",
            Load([[Request("GET", r.target, {"If-None-Match": etags[r.target]}) for r in datasets]]),
            Target(ratio=(0.60, 0.30)),
        ),
        Row("list page 1 (page_size=20)", Load([first_pages]), LISTS),
        Row("list filtered (tag or organization)", Load([filtered]), LISTS),
        Row(
            "list page 500",
            Load([[_get(listing, page=str(page), page_size="20") for page in range(496, 506)]]),
            LISTS,
        ),
        Row(
            "suggest datasets",
            Load([[_get(suggest, q=w[name], size="10") for name in ("prefix2", "prefix3", "prefix5")]]),
            SUGGEST,
        ),
        Row(
            "suggest formats",
            Load([[_get(f"{suggest}formats/", q=q, size="10") for q in ("cs", "js", "x", "pd", "zi")]]),
            SUGGEST,
        ),
        Row(
            "suggest mime",
            Load([[_get(f"{suggest}mime/", q=q, size="10") for q in ("text", "appl", "csv", "json", "zip")]]),
            SUGGEST,
        ),
        Row(
            "q: 1 to 3 common words",
            Load([searches]),
            Target(rps_per_worker=1000, p99_ms=50, scale="1M datasets"),
        ),
        Row(
            "v2 search + facets (no filter)",
            Load([[_get("/api/2/datasets/search/", page=str(page)) for page in range(1, 6)]]),
            Target(p95_ms=30, scale="1M datasets"),
        ),
        Row(
            "RDF Turtle (20 resources)",
            Load([[_get(f"/api/1/datasets/{dataset_id}/rdf.ttl") for dataset_id, _ in choice.rdf]]),
            Target(ratio=(0.15, 0.15)),
        ),
        Row(
            "mixed: 70 % reads / 30 % writes",
            Load([datasets, first_pages + filtered, searches], schedule, writes),
            Target(rps=2000, p99_ms=100, zero_errors=True),
            min_workers=2,
        ),
        # The mix taken apart (no target of their own): its reads with nothing written meanwhile,
        # and its writes with nothing read. What the mix loses against both is what each write
        # undoes for the reads after it (kept answers ended, the index caught up before a list).
        Row(
            "mixed: its reads alone",
            Load([datasets, first_pages + filtered, searches], [p for p in schedule if p >= 0]),
            Target(),
            min_workers=2,
        ),
        Row(
            "mixed: its writes alone",
            Load([datasets], [p for p in schedule if p < 0], writes),
            Target(),
            min_workers=2,
        ),
        *page_rows(choice, pool),
    ]
