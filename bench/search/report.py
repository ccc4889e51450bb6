"""The search benchmark's tables: the load, each database's cases, and the Markdown summary."""

import statistics
from typing import Any

from bench.search.timing import Result
from opencat.domain.ids import is_object_id


def print_load(report: dict[str, Any], sizes: dict[str, int]) -> None:
    counts, seconds = report["counts"], report["seconds"]
    rows = counts["datasets"] + counts["tags"] + counts["resources"]
    print(
        f"\nLoaded {counts['datasets']:,} datasets, {counts['resources']:,} resources, "
        f"{counts['tags']:,} tag rows ({rows:,} rows)"
    )
    for name, spent in seconds.items():
        rate = ""
        if name.endswith(": insert"):
            rate = f"  {rows / spent:,.0f} rows/s, {counts['datasets'] / spent:,.0f} datasets/s"
        print(f"  {name:<32} {spent:8.1f} s{rate}")
    index_seconds = seconds.get("index: documents and put", 0) + seconds.get("index: commit", 0)
    print(f"  {'index: total':<32} {index_seconds:8.1f} s  {counts['datasets'] / index_seconds:,.0f} docs/s")
    for name, size in sizes.items():
        print(f"  size of {name:<24} {size / 2**20:10,.0f} MiB")


def print_results(label: str, results: list[Result]) -> None:
    print(f"\n[{label}] p50 / p95 in ms; the median split into index | database | the rest (rendering)")
    print(f"  {'case':<30} {'query':<48} {'matches':>9} {'p50':>7} {'p95':>7}  {'target':>6}   split")
    for r in results:
        if not r.total:
            print(f"  {r.case.name:<30} (skipped: no such page in this catalog)")
            continue
        query = " ".join(f"{k}={v[:8] if is_object_id(v) else v}" for k, v in r.case.params.items())
        p95 = r.p(r.total, 0.95)
        target = "" if r.case.target_ms is None else f"{r.case.target_ms:.0f}"
        verdict = "" if r.case.target_ms is None else ("ok" if p95 < r.case.target_ms else "MISS")
        index, rest = statistics.median(r.index), statistics.median(r.rest)
        database = statistics.median(t - i - g for t, i, g in zip(r.total, r.index, r.rest, strict=True))
        print(
            f"  {r.case.name:<30} {query[:48]:<48} {r.matches:>9,} {r.p(r.total, 0.5):7.2f} {p95:7.2f}"
            f"  {target:>6} {verdict:<4}  {index:.2f} | {database:.2f} | {rest:.2f}"
        )


def print_summary(all_results: dict[str, list[Result]]) -> None:
    labels = list(all_results)
    print("\n| case | matches | target p95 | " + " | ".join(f"{label} p50 / p95" for label in labels) + " |")
    print("|---|---|---|" + "---|" * len(labels))
    first = all_results[labels[0]]
    for position, result in enumerate(first):
        cells = []
        for label in labels:
            r = all_results[label][position]
            if not r.total:
                cells.append("n/a")
                continue
            cells.append(f"{r.p(r.total, 0.5):.2f} / {r.p(r.total, 0.95):.2f}")
        target = "-" if result.case.target_ms is None else f"< {result.case.target_ms:.0f}"
        print(f"| {result.case.name} | {result.matches:,} | {target} | " + " | ".join(cells) + " |")
