"""A worker's profile under load: py-spy samples it while wrk runs a row, and the collapsed stacks
are summed up by function (own time and time below) and by part of the request."""

import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

INSTALL = "py-spy is not installed: pip install py-spy (into the project's .venv) to profile a worker."

# The part of a request a sample belongs to: the first of these whose marker is in its stack
# (the database under authentication counts as authentication).
PARTS: Sequence[tuple[str, Sequence[str]]] = (
    ("authentication", ("authenticate (",)),
    ("database", ("sqlalchemy/", "psycopg", "sqlite3", "/db/")),
    ("search index", ("/search/index.py", "tantivy")),
    ("rendering (serializers, mask, JSON)", ("serializers.py", "masks.py", "render (", "pagination.py")),
    ("handler and use case", ("/api/", "/catalog/", "/domain/", "/dcat/")),
    ("thread pool (anyio, futures)", ("anyio/", "concurrent/futures", "threading.py")),
    ("Starlette and ASGI", ("starlette/",)),
)


def require() -> str:
    found = shutil.which("py-spy")
    if found is None:
        raise SystemExit(INSTALL)
    return found


def start(pid: int, seconds: float, output: Path, gil: bool) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` for ``seconds`` (raw collapsed stacks), in the background."""
    argv = [require(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    argv += ["--rate", "250", "--format", "raw", "--output", str(output)]
    if gil:
        argv.append("--gil")
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
    for part, markers in PARTS:
        if any(marker in frame for frame in frames for marker in markers):
            return part
    return "other (event loop, server)"


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
    lines += ["", f"Top {top} by time in and below:"]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in below.most_common(top)]
    return "\n".join(lines)
