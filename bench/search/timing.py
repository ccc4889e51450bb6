"""Rounds of the cases through the real handlers, minus the HTTP framing, each split into the time
spent in the index, in the database's transactions (the use case's Python within them included)
and in the rest (parsing the arguments, serializers, envelope, mask, orjson)."""

import cProfile
import pstats
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from bench.search.queries import Case
from opencat.api import datasets as api_datasets
from opencat.api import suggest as api_suggest
from opencat.api import v2 as api_v2
from opencat.api.endpoint import Call, Handler, Reply, Services, render
from opencat.db.engine import Connection, Database
from opencat.domain.accounts import ANONYMOUS
from opencat.domain.errors import NotFound
from opencat.search.index import SearchIndex

WARMUP = 5
HANDLERS: dict[str, Handler] = {
    "list": api_datasets.list_datasets,
    "v2": api_v2.search,
    "suggest": api_suggest.suggest_datasets,
}


class Spent:
    """Seconds spent in one round, by part."""

    def __init__(self) -> None:
        self.index = 0.0
        self.database = 0.0  # within transactions, index calls made there included
        self.index_within = 0.0  # the index calls made within a transaction
        self.depth = 0

    def reset(self) -> None:
        self.index = self.database = self.index_within = 0.0


class TimedIndex:
    """The catalog's index, counting the time spent in its queries."""

    def __init__(self, index: SearchIndex, spent: Spent) -> None:
        self._index = index
        self._spent = spent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)

    def _timed(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            self._spent.index += elapsed
            if self._spent.depth:
                self._spent.index_within += elapsed

    def search(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.search, *args, **kwargs)

    def facets(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.facets, *args, **kwargs)

    def suggest(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._index.suggest, *args, **kwargs)


class TimedDatabase:
    """The catalog's database, counting the time spent within its transactions."""

    def __init__(self, database: Database, spent: Spent) -> None:
        self._database = database
        self._spent = spent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)

    @contextmanager
    def _timed(self, opened: Callable[[], Any]) -> Iterator[Connection]:
        start = time.perf_counter()
        self._spent.depth += 1
        try:
            with opened() as conn:
                yield conn
        finally:
            self._spent.depth -= 1
            if not self._spent.depth:
                self._spent.database += time.perf_counter() - start

    def read(self) -> Any:
        return self._timed(self._database.read)

    def write(self) -> Any:
        return self._timed(self._database.write)


@dataclass
class Result:
    case: Case
    matches: int
    total: list[float]
    index: list[float]
    rest: list[float]  # arguments, serializers, envelope, mask, orjson

    def p(self, samples: list[float], q: float) -> float:
        ordered = sorted(samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _call(services: Services, case: Case) -> Call:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "root_path": "",
        "path": case.path,
        "raw_path": case.path.encode(),
        "query_string": urlencode(case.params).encode(),
        "headers": [],
    }
    return Call(Request(scope), services, ANONYMOUS)


def _matches(data: Any) -> int:
    """A page's total, or the number of suggestions."""
    return len(data) if isinstance(data, list) else int(data["total"])


def _once(spent: Spent, case: Case, call: Call, result: Result, keep: bool) -> bool:
    """One round of ``case``; False when its page does not exist (a small catalog)."""
    spent.reset()
    start = time.perf_counter()
    try:
        reply = HANDLERS[case.kind](call)
    except NotFound:
        result.matches = -1
        return False
    assert isinstance(reply, Reply)
    render(call, reply)
    total = time.perf_counter() - start
    database = spent.database - spent.index_within
    if keep:
        result.total.append(total * 1000)
        result.index.append(spent.index * 1000)
        result.rest.append((total - spent.index - database) * 1000)
    result.matches = _matches(reply.data)
    return True


def measure(services: Services, spent: Spent, chosen: Sequence[Case], rounds: int) -> list[Result]:
    """Every case once per round, in turn, so that the noise of a shared machine spreads evenly."""
    calls = [_call(services, case) for case in chosen]
    results = [Result(case, 0, [], [], []) for case in chosen]
    live = set(range(len(chosen)))
    for number in range(WARMUP + rounds):
        for position in sorted(live):
            if not _once(spent, chosen[position], calls[position], results[position], number >= WARMUP):
                live.discard(position)
        if number and number % 50 == 0:
            print(f"  {number} rounds", flush=True)
    return results


def profile(services: Services, spent: Spent, case: Case, rounds: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    measure(services, spent, [case], rounds)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
