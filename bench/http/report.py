"""Figures of one load run, the targets of issue 10, and the ratio table (pure: no I/O)."""

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Stats:
    """What one side (opencat or the floor) did under one row's load."""

    requests: int
    seconds: float
    errors: int  # connection errors, timeouts and answers >= 400
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_seconds: float = 0.0  # used by the server (master and workers) meanwhile

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU time per request, whatever share of the cores the server got."""
        return self.cpu_seconds * 1000 / self.requests if self.requests else 0.0


def combine(runs: Sequence[Stats]) -> Stats:
    """Rounds of the same side: throughput over their whole time, the median of their percentiles
    (a histogram per run is all wrk gives)."""
    return Stats(
        requests=sum(run.requests for run in runs),
        seconds=sum(run.seconds for run in runs),
        errors=sum(run.errors for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p95_ms=statistics.median(run.p95_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        cpu_seconds=sum(run.cpu_seconds for run in runs),
    )


@dataclass(frozen=True)
class Target:
    """A target of issue 10; ratios are (SQLite, PostgreSQL), opencat's req/s over the floor's."""

    ratio: tuple[float, float] | None = None
    rps_per_worker: float | None = None
    rps: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    zero_errors: bool = False
    scale: str = ""  # where the issue sets it, when not on any catalog ("1M datasets")

    def describe(self, database: str) -> str:
        parts = []
        if self.ratio is not None:
            parts.append(f">= {self.ratio[database == 'postgresql']:.0%} of floor")
        if self.rps_per_worker is not None:
            parts.append(f">= {self.rps_per_worker:,.0f} req/s/worker")
        if self.rps is not None:
            parts.append(f">= {self.rps:,.0f} req/s")
        if self.p95_ms is not None:
            parts.append(f"p95 < {self.p95_ms:g} ms")
        if self.p99_ms is not None:
            parts.append(f"p99 < {self.p99_ms:g} ms")
        if self.zero_errors:
            parts.append("no errors")
        text = ", ".join(parts)
        return f"{text} (at {self.scale})" if self.scale and text else text

    def met(self, database: str, workers: int, opencat: Stats, ratio: float | None) -> bool | None:
        """None when there is nothing to check."""
        checks = []
        if self.ratio is not None:
            checks.append(ratio is not None and ratio >= self.ratio[database == "postgresql"])
        if self.rps_per_worker is not None:
            checks.append(opencat.rps >= self.rps_per_worker * workers)
        if self.rps is not None:
            checks.append(opencat.rps >= self.rps)
        if self.p95_ms is not None:
            checks.append(opencat.p95_ms < self.p95_ms)
        if self.p99_ms is not None:
            checks.append(opencat.p99_ms < self.p99_ms)
        if self.zero_errors:
            checks.append(opencat.errors == 0)
        return all(checks) if checks else None


@dataclass(frozen=True)
class Outcome:
    """One row of the table: a request under load, on one database and worker count."""

    database: str
    workers: int
    row: str
    opencat: Stats
    floor: Stats | None
    target: Target

    @property
    def ratio(self) -> float | None:
        if self.floor is None or not self.floor.rps:
            return None
        return self.opencat.rps / self.floor.rps

    @property
    def met(self) -> bool | None:
        return self.target.met(self.database, self.workers, self.opencat, self.ratio)

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "workers": self.workers,
            "row": self.row,
            "opencat": _side(self.opencat),
            "floor": _side(self.floor),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "target": self.target.describe(self.database),
            "met": self.met,
        }


def _side(stats: Stats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {**asdict(stats), "rps": round(stats.rps, 1), "cpu_ms": round(stats.cpu_ms, 3)}


def _verdict(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: ""}[met]


def table(results: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of one database and worker count, from ``Outcome.as_json()`` rows."""
    lines = [
        "| request | opencat req/s | floor req/s | ratio | opencat p50 / p95 / p99 ms "
        "| CPU ms/req opencat / floor | errors | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for result in results:
        o, f = result["opencat"], result["floor"]
        ratio = "" if result["ratio"] is None else f"{result['ratio']:.1%}"
        floor = "" if f is None else f"{f['rps']:,.0f}"
        cpu = f"{o['cpu_ms']:.2f}" + ("" if f is None else f" / {f['cpu_ms']:.2f}")
        latency = f"{o['p50_ms']:.1f} / {o['p95_ms']:.1f} / {o['p99_ms']:.1f}"
        lines.append(
            f"| {result['row']} | {o['rps']:,.0f} | {floor} | {ratio} | {latency} | {cpu} | {o['errors']} "
            f"| {result['target']} | {_verdict(result['met'])} |"
        )
    return "\n".join(lines)


def tables(results: Sequence[dict[str, Any]]) -> str:
    """One table per database and worker count, in the order they ran."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault((result["database"], result["workers"]), []).append(result)
    return "\n\n".join(
        f"{database}, {workers} worker{'s' if workers > 1 else ''}:\n\n{table(group)}"
        for (database, workers), group in groups.items()
    )


def main() -> None:
    """``python -m bench.http.report FILE.json``: the tables of an earlier run."""
    import json
    import sys

    for path in sys.argv[1:]:
        report = json.loads(Path(path).read_text())
        print(f"{path}: {report['date']}, commit {report['commit']}, {report['datasets']:,} datasets\n")
        print(tables(report["results"]) + "\n")


if __name__ == "__main__":
    main()
