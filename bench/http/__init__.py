"""The through-HTTP benchmark: opencat as users meet it, beside a floor serving the same bytes.

Starts the real ``opencat serve`` (granian, one worker then two) on a generated catalog, on SQLite
and on PostgreSQL, and a floor app under the same granian that answers each request with the bytes
opencat served for it (``bench/http/floor.py``); wrk loads each with 16 connections, the two
alternating within one run, and the table gives opencat's req/s over the floor's with issue 10's
targets. See docs/performance.md ("Through HTTP").

    python -m bench.http                                  # 12,000 datasets, SQLite (+ PostgreSQL)
    OPENCAT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.http
    python -m bench.http --datasets 1000000 --dir /work/ocb1m --keep   # then --reuse
    python -m bench.http --profile "GET dataset" --workers 1   # py-spy on a worker under that row
"""
