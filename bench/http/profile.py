"""A worker's profile under load: py-spy samples it while wrk runs a row, and the collapsed stacks
are summed up by function (own time and time below) and by part of the request."""

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

INSTALL = "py-spy is not installed: pip install py-spy (into the project's .venv) to profile a worker."

# The part of a request a sample belongs to: in a thread of the pool (where the synchronous
# handlers run), the first part whose marker is in the stack (the database under authentication
# counts as authentication); in the event loop's thread, the same with the second list.
IN_POOL = "WorkerThread.run ("
POOL_PARTS: Sequence[tuple[str, Sequence[str]]] = (
    ("authentication (its queries included)", ("authenticate (",)),
    ("rendering: serializers, mask, orjson", ("render (", "serializers.py", "masks.py", "pagination.py")),
    ("stored documents decoded", ("codec.py",)),
    ("database: SQLAlchemy and driver", ("sqlalchemy/", "psycopg", "sqlite3", "opencat/db/")),
    ("search index", ("opencat/search/",)),
    ("handler and use case", ("opencat/",)),
    ("thread pool hop, in the pool", ("",)),
)
LOOP_PARTS: Sequence[tuple[str, Sequence[str]]] = (
    (
        "thread pool hop, in the event loop",
        ("run_sync_in_worker_thread (", "_report_result (", "run_in_threadpool (", "_read_from_self ("),
    ),
    ("Starlette: middleware, routing, responses", ("starlette/",)),
    ("event loop and granian", ("",)),
)


def require() -> str:
    beside = Path(sys.executable).parent / "py-spy"  # installed in the virtual environment
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit(INSTALL)
    return found


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` for ``seconds`` (raw collapsed stacks), in the background.

    Only the thread holding the GIL is sampled: a worker runs Python in one thread at a time, so
    that is where its time goes (py-spy's guess of which other threads are idle is unreliable:
    a thread of the pool waiting for work looks busy)."""
    argv = [require(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    argv += ["--rate", "250", "--format", "raw", "--output", str(output), "--gil"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _function(frame: str) -> str:
    """``render (opencat/api/endpoint.py:120)`` -> ``render (opencat/api/endpoint.py)``."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rpartition(':')[0]})" if where else name


def parse(collapsed: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([_function(frame) for frame in stack.split(";")], int(count)))
    return stacks


def _part(frames: list[str]) -> str:
    parts = POOL_PARTS if any(IN_POOL in frame for frame in frames) else LOOP_PARTS
    return next(part for part, markers in parts if any(m in f for f in frames for m in markers))


def summary(collapsed: str, top: int = 25) -> str:
    stacks = parse(collapsed)
    total = sum(count for _, count in stacks) or 1
    own: Counter[str] = Counter()
    below: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
        for frame in set(frames):
            below[frame] += count
        parts[_part(frames)] += count
    lines = [f"{total} samples", "", "By part of the request:"]
    lines += [f"  {count / total:6.1%}  {part}" for part, count in parts.most_common()]
    lines += ["", f"Top {top} by own time:"]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in own.most_common(top)]
    lines += ["", f"Top {top} of opencat's functions by time in and below:"]
    ours = [(frame, count) for frame, count in below.most_common() if " (opencat/" in frame]
    lines += [
        f"  {count / total:6.1%}  {frame}" for frame, count in ours[:top] if "(opencat/cli.py)" not in frame
    ]
    return "\n".join(lines)
