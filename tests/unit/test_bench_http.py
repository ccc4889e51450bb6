"""The through-HTTP benchmark's pure parts: wrk's figures, targets, the table, the floor's keys."""

import pytest
from bench.http import profile, wrk
from bench.http.catalog import Choice
from bench.http.floor import kind_key
from bench.http.report import Outcome, Stats, Target, combine, table
from bench.http.rows import rows

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  20.00ms   90.00%
  6000 requests in 2.00s, 10.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   3000.00
BENCH-JSON {"requests": 6000, "duration_us": 2000000, "connect": 0, "read": 1, "write": 0, \
"status": 3, "timeout": 2, "p50_us": 2500, "p95_us": 6000, "p99_us": 12500}
"""


def _stats(requests: int, seconds: float = 1.0, p99: float = 10.0, errors: int = 0) -> Stats:
    return Stats(requests, seconds, errors, 1.0, 5.0, p99)


def test_wrk_figures_are_read_from_the_scripts_json_line() -> None:
    stats = wrk.parse(WRK_OUTPUT)
    assert stats == Stats(6000, 2.0, 6, 2.5, 6.0, 12.5)
    assert stats.rps == 3000


def test_wrk_output_without_figures_is_an_error() -> None:
    with pytest.raises(ValueError, match="no figures"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


def test_rounds_add_up_their_requests_and_time_and_take_the_median_percentiles() -> None:
    combined = combine([_stats(100, p99=10), _stats(300, p99=30), _stats(200, p99=20)])
    assert (combined.requests, combined.seconds, combined.rps, combined.p99_ms) == (600, 3.0, 200, 20)


def test_ratio_targets_differ_by_database() -> None:
    target = Target(ratio=(0.40, 0.25))
    outcome = Outcome("postgresql", 1, "GET dataset", _stats(300), _stats(1000), target)
    assert outcome.ratio == pytest.approx(0.3)
    assert outcome.met is True
    assert Outcome("sqlite", 1, "GET dataset", _stats(300), _stats(1000), target).met is False
    assert target.describe("sqlite") == ">= 40% of floor"


def test_throughput_per_worker_latency_and_errors_are_all_checked() -> None:
    target = Target(rps_per_worker=1000, p99_ms=50, zero_errors=True, scale="1M datasets")
    assert target.met("sqlite", 2, _stats(2100, p99=40), None) is True
    assert target.met("sqlite", 2, _stats(1900, p99=40), None) is False
    assert target.met("sqlite", 2, _stats(2100, p99=60), None) is False
    assert target.met("sqlite", 2, _stats(2100, p99=40, errors=1), None) is False
    assert target.describe("sqlite") == ">= 1,000 req/s/worker, p99 < 50 ms, no errors (at 1M datasets)"
    assert Target().met("sqlite", 1, _stats(1), None) is None


def test_the_table_gives_ratio_latency_target_and_verdict() -> None:
    outcome = Outcome("sqlite", 1, "GET dataset", _stats(500), _stats(2000), Target(ratio=(0.4, 0.25)))
    lines = table([outcome.as_json()]).splitlines()
    assert lines[0].startswith("| request | opencat req/s | floor req/s | ratio |")
    assert (
        lines[2]
        == "| GET dataset | 500 | 2,000 | 25.0% | 1.0 / 5.0 / 10.0 | 0.00 / 0.00 | 0 | >= 40% of floor | **no** |"
    )


def test_writes_made_on_the_fly_fall_back_to_one_answer_of_their_kind() -> None:
    assert kind_key("POST", "/api/1/datasets/abc/followers/") == "POST */followers/"
    assert kind_key("POST", "/api/1/datasets/abc/resources/?x=1") == "POST */resources/"


def test_lua_literals_escape_quotes_and_keep_utf8() -> None:
    assert (
        wrk._lua(['a"b\\c\n', {"X-API-KEY": "k"}, 3, None])
        == '{"a\\"b\\\\c\\n", {["X-API-KEY"] = "k"}, 3, nil}'
    )
    assert wrk._lua("données") == '"données"'


def test_profile_summary_sums_own_and_inclusive_time_and_parts() -> None:
    pool = "_bootstrap (threading.py:1002);WorkerThread.run (anyio/_backends/_asyncio.py:967);"
    collapsed = (
        f"{pool}get_dataset (opencat/api/datasets.py:90);authenticate (opencat/catalog/accounts.py:95);"
        "execute (sqlalchemy/engine/base.py:1400) 3\n"
        f"{pool}render (opencat/api/endpoint.py:120) 1\n"
        f"{pool}render (opencat/api/endpoint.py:121) 2\n"
        "run_until_complete (asyncio/base_events.py:640);run (opencat/api/endpoint.py:147);"
        "run_sync_in_worker_thread (anyio/_backends/_asyncio.py:2778) 2\n"
    )
    text = profile.summary(collapsed, top=3)
    assert "37.5%  authentication (its queries included)" in text
    assert "37.5%  rendering: serializers, mask, orjson" in text
    assert "25.0%  thread pool hop, in the event loop" in text
    assert "37.5%  render (opencat/api/endpoint.py)" in text  # both lines of render() are one function


def test_rows_can_be_chosen_by_name_and_the_mixed_traffic_is_30_percent_writes() -> None:
    ids = [f"{n:024x}" for n in range(10)]
    words = dict.fromkeys(("common", "common2", "common3", "prefix2", "prefix3", "prefix5"), "eau")
    slugs = {i: f"jeu-{i}" for i in ids}
    choice = Choice(ids, slugs, [(i, "u@example.org") for i in ids], ["u@example.org"], words, ["t"], ["o"])
    etags = {f"/api/1/datasets/{i}/": f'"{i}-1"' for i in ids}
    made = rows(choice, etags, {"u@example.org": "key"}, pool=10)
    assert all("," not in row.name for row in made)  # --only splits its texts on commas
    mixed = next(row for row in made if row.name.startswith("mixed"))
    writes = [slot for slot in mixed.load.schedule if slot < 0]
    assert len(writes) / len(mixed.load.schedule) == 0.3
    assert mixed.min_workers == 2
    # The mix taken apart: its reads with nothing written, its writes with nothing read.
    apart = {row.name: row for row in made if row.name.startswith("mixed: its")}
    reads, writes_alone = apart["mixed: its reads alone"], apart["mixed: its writes alone"]
    assert sorted(reads.load.schedule) == sorted(slot for slot in mixed.load.schedule if slot >= 0)
    assert sorted(writes_alone.load.schedule) == sorted(writes)
    assert writes_alone.load.writes == mixed.load.writes
    assert {row.min_workers for row in apart.values()} == {2}
    assert all(row.target.describe("sqlite") == "" for row in apart.values())
    # The pages are timed one request at a time (the server's time, not a queue's).
    pages = {row.name: row for row in made if row.name.startswith("page:")}
    assert set(pages) == {
        "page: dataset",
        "page: search + facets",
        "page: search + facets (counted afresh)",
        "page: search + facets (large sets counted afresh)",
    }
    # More distinct large searches than the answers remembered: each one counted.
    large = [
        request.target for request in pages["page: search + facets (large sets counted afresh)"].load.static()
    ]
    assert len(set(large)) == len(large) > 256
    assert pages["page: dataset"].load.static()[0].target == f"/datasets/jeu-{ids[0]}/"
    assert all(row.load.connections == 1 for row in pages.values())
    assert pages["page: search + facets"].target.describe("sqlite") == "p95 < 50 ms (at 1M datasets)"
