"""The metrics directory that ``opencat serve``'s workers share: emptied at start, dead workers forgotten."""

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from opencat.files.spool import machine
from opencat.ops.metrics import DIRECTORY_VARIABLE, forget_dead_workers, prepare_directory, shared_directory

# Where no memory file system is, the servers' directories go under the data directory.
NO_MEMORY = Path("/nonexistent-memory-file-system")


def test_the_directory_is_made_under_the_data_dir_and_emptied(tmp_path: Path) -> None:
    directory = prepare_directory(tmp_path, {}, memory=NO_MEMORY)
    assert directory == tmp_path / "metrics" / f"serve-{os.getpid()}-{machine()}"
    (directory / "counter_123.db").write_bytes(b"old run")
    (tmp_path / "metrics" / "counter_456.db").write_bytes(b"an earlier release's layout")
    (tmp_path / "metrics" / "notes.txt").write_text("the operator's")
    assert prepare_directory(tmp_path, {}, memory=NO_MEMORY) == directory
    assert list(directory.iterdir()) == []
    assert sorted(path.name for path in (tmp_path / "metrics").iterdir()) == ["notes.txt", directory.name]


def test_another_running_servers_metrics_are_left_alone(tmp_path: Path) -> None:
    """A second ``opencat serve`` on the same data directory deleted the first one's files: its
    counters went back to zero, and its scrapes then showed the second server's."""
    running = prepare_directory(tmp_path, {}, server=os.getpid(), memory=NO_MEMORY)
    (running / "counter_1.db").write_bytes(b"the running server's")
    gone = prepare_directory(tmp_path, {}, server=_dead_pid(), memory=NO_MEMORY)
    (gone / "counter_2.db").write_bytes(b"a dead server's")
    # Another machine's (a container sharing the data directory: its master may be pid 1 too)
    elsewhere = tmp_path / "metrics" / "serve-1-othercontainer+4026532000"
    elsewhere.mkdir()
    (elsewhere / "counter_8.db").write_bytes(b"another container's")
    first_layout = tmp_path / "metrics" / f"serve-{_dead_pid()}"  # serve-<pid>, no machine
    first_layout.mkdir()
    second = prepare_directory(tmp_path, {}, server=os.getppid(), memory=NO_MEMORY)
    assert not first_layout.exists()
    assert second not in (running, gone)
    assert (running / "counter_1.db").exists()
    assert not gone.exists()
    assert (elsewhere / "counter_8.db").exists()


def test_prometheus_own_variable_wins(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    assert prepare_directory(tmp_path / "data", {DIRECTORY_VARIABLE: str(chosen)}).parent == chosen
    assert chosen.is_dir()


def test_by_default_the_directory_is_on_the_memory_file_system(tmp_path: Path) -> None:
    """On the data disk, a full disk killed every worker writing its mapped metrics (SIGBUS), and
    granian then stopped the server: reads stopped with the uploads."""
    memory = tmp_path / "shm"
    memory.mkdir()
    directory = prepare_directory(tmp_path / "data", {}, memory=memory)
    shared = memory / f"opencat-metrics-{os.getuid()}"
    assert directory.parent == shared
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700  # the memory file system is everyone's
    assert not (tmp_path / "data" / "metrics").exists()


def test_a_memory_directory_not_safely_ours_is_not_used(tmp_path: Path) -> None:
    """Another user of the machine may have made the name first: a link, or a directory that
    others may write, would let them read or forge the counters."""
    memory = tmp_path / "shm"
    memory.mkdir()
    elsewhere = tmp_path / "theirs"
    elsewhere.mkdir()
    (memory / f"opencat-metrics-{os.getuid()}").symlink_to(elsewhere)
    assert shared_directory(tmp_path / "data", {}, memory) == tmp_path / "data" / "metrics"
    assert list(elsewhere.iterdir()) == []
    (memory / f"opencat-metrics-{os.getuid()}").unlink()
    loose = memory / f"opencat-metrics-{os.getuid()}"
    loose.mkdir(mode=0o777)
    loose.chmod(0o777)
    assert shared_directory(tmp_path / "data", {}, memory) == loose  # ours: made private again
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_a_memory_file_system_that_cannot_be_written_falls_back_to_the_data_dir(tmp_path: Path) -> None:
    memory = tmp_path / "shm"
    memory.write_text("not a directory")
    assert shared_directory(tmp_path / "data", {}, memory) == tmp_path / "data" / "metrics"
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / f"opencat-metrics-{os.getuid()}").write_text("a file in the way")
    assert shared_directory(tmp_path / "data", {}, blocked) == tmp_path / "data" / "metrics"


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def test_dead_workers_lose_their_live_gauges_and_keep_their_counters(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    stray = "gauge_liveall_copy.db"  # not prometheus-client's: left alone, no scrape fails on it
    for name in (f"gauge_liveall_{dead}.db", f"counter_{dead}.db", f"gauge_liveall_{alive}.db", stray):
        (tmp_path / name).write_bytes(b"")
    forget_dead_workers(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"counter_{dead}.db", f"gauge_liveall_{alive}.db", stray]
    )


def test_a_worker_dead_but_not_yet_reaped_is_forgotten(tmp_path: Path) -> None:
    """A zombie still answers ``kill(pid, 0)``: granian may start a replacement before reaping
    the worker it replaces, and that worker's pool must not count as in use forever."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    zombie = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 10
    while zombie.read_text().rpartition(")")[2].split()[0] != "Z":  # exited, not waited for
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        (tmp_path / f"gauge_liveall_{child.pid}.db").write_bytes(b"")
        forget_dead_workers(tmp_path)
        assert list(tmp_path.iterdir()) == []
    finally:
        child.wait()


def test_a_scrape_forgets_the_workers_that_died(tmp_path: Path) -> None:
    """In a process of its own: sharing metrics through a directory is set once per process."""
    dead = _dead_pid()
    (tmp_path / f"gauge_liveall_{dead}.db").write_bytes(b"")
    scrape = (
        "import sys; from pathlib import Path; from opencat.ops.metrics import Metrics; "
        "print(Metrics(lambda: None, Path(sys.argv[1])).exposition().decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", scrape, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "opencat_db_pool_connections_in_use" in done.stdout
    assert not (tmp_path / f"gauge_liveall_{dead}.db").exists()
