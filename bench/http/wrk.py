"""wrk, the load generator: a Lua script per row, one run, its figures.

The script rotates over the row's requests (each thread from its own starting point), mixes pools
of requests by a schedule (the mixed traffic), makes the writes on the fly (a random dataset and
API key each), and prints wrk's summary and latency percentiles as one JSON line.
"""

import json
import random
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.http.report import Stats

CONNECTIONS = 16
THREADS = 2
TIMEOUT = "10s"  # slower answers count as errors (wrk's default, 2 s, would hide a slow server's latency)
MARKER = "BENCH-JSON "
INSTALL = (
    "wrk is not installed: the through-HTTP benchmark needs it as its load generator.\n"
    "On Debian or Ubuntu: apt-get install -y wrk (or build it from its sources)."
)


def require() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(INSTALL)
    return found


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query string, as sent
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Writes:
    """Writes made on the fly: follows by random users of random datasets, and resources added
    to random datasets by their owners (a new row each time, not the same one again and again)."""

    follow_ids: Sequence[str]
    keys: Sequence[str]
    owned: Sequence[tuple[str, str]]  # (dataset id, its owner's API key)
    resource_body: str


# A schedule entry: the index of a pool of requests, or one of these.
FOLLOW = -1
RESOURCE = -2


@dataclass(frozen=True)
class Load:
    """What wrk sends for one row: pools rotated in the order of the schedule."""

    pools: Sequence[Sequence[Request]]
    schedule: Sequence[int] = (0,)
    writes: Writes | None = None
    # 1: one request at a time, so that the latency is the server's time (plus the loopback's),
    # not a queue's.
    connections: int = CONNECTIONS

    def static(self) -> list[Request]:
        return [request for pool in self.pools for request in pool]


def _lua(value: object) -> str:
    """A Lua literal (strings are bytes to Lua: UTF-8 passes through as it is)."""
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return f'"{escaped}"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(item) for item in value) + "}"
    if value is None:
        return "nil"
    raise TypeError(f"no Lua literal for {value!r}")


_SCRIPT = """
local SEED = %(seed)s
local POOLS = %(pools)s
local SCHEDULE = %(schedule)s
local FOLLOW_IDS = %(follow_ids)s
local KEYS = %(keys)s
local OWNED = %(owned)s
local RESOURCE_BODY = %(resource_body)s

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
end

local formatted = {}
local positions = {}
local slot = 0
function init(args)
  math.randomseed(SEED + number)
  for p, pool in ipairs(POOLS) do
    formatted[p] = {}
    for i, r in ipairs(pool) do
      formatted[p][i] = wrk.format(r[1], r[2], r[3], r[4])
    end
    positions[p] = math.random(#pool) - 1
  end
  slot = math.random(#SCHEDULE) - 1
end

function request()
  slot = slot %% #SCHEDULE + 1
  local p = SCHEDULE[slot]
  if p == %(follow)s then
    local id = FOLLOW_IDS[math.random(#FOLLOW_IDS)]
    return wrk.format("POST", "/api/1/datasets/" .. id .. "/followers/",
      {["X-API-KEY"] = KEYS[math.random(#KEYS)]})
  elseif p == %(resource)s then
    local pair = OWNED[math.random(#OWNED)]
    return wrk.format("POST", "/api/1/datasets/" .. pair[1] .. "/resources/",
      {["X-API-KEY"] = pair[2], ["Content-Type"] = "application/json"}, RESOURCE_BODY)
  end
  positions[p] = positions[p] %% #formatted[p] + 1
  return formatted[p][positions[p]]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def script(load: Load, seed: int) -> str:
    writes = load.writes
    return _SCRIPT % {
        "seed": seed,
        # Pool indices are 1-based in Lua.
        "pools": _lua([[[r.method, r.target, r.headers, r.body] for r in pool] for pool in load.pools]),
        "schedule": _lua([index + 1 if index >= 0 else index for index in load.schedule]),
        "follow_ids": _lua(list(writes.follow_ids) if writes else []),
        "keys": _lua(list(writes.keys) if writes else []),
        "owned": _lua([list(pair) for pair in writes.owned] if writes else []),
        "resource_body": _lua(writes.resource_body if writes else None),
        "follow": FOLLOW,
        "resource": RESOURCE,
        "marker": MARKER,
    }


def parse(output: str) -> Stats:
    """The figures of the JSON line our script's ``done`` prints among wrk's own report."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            found = json.loads(line.removeprefix(MARKER))
            break
    else:
        raise ValueError(f"no figures in wrk's output:\n{output}")
    errors = sum(found[name] for name in ("connect", "read", "write", "status", "timeout"))
    return Stats(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        errors=errors,
        p50_ms=found["p50_us"] / 1000,
        p95_ms=found["p95_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
    )


def run(base_url: str, load: Load, seconds: float) -> Stats:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="opencat-bench-") as handle:
        handle.write(script(load, random.randrange(1_000_000)))
        handle.flush()
        completed = subprocess.run(
            [
                require(),
                f"--threads={min(THREADS, load.connections)}",
                f"--connections={load.connections}",
                f"--duration={max(1, round(seconds))}s",
                f"--timeout={TIMEOUT}",
                f"--script={handle.name}",
                base_url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    return parse(completed.stdout)
