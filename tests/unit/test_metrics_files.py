"""The metrics directory that ``opencat serve``'s workers share: emptied at start, dead workers forgotten."""

import os
import subprocess
import sys
from pathlib import Path

from opencat.ops.metrics import DIRECTORY_VARIABLE, forget_dead_workers, prepare_directory


def test_the_directory_is_made_under_the_data_dir_and_emptied(tmp_path: Path) -> None:
    directory = prepare_directory(tmp_path, {})
    assert directory == tmp_path / "metrics"
    (directory / "counter_123.db").write_bytes(b"old run")
    (directory / "notes.txt").write_text("the operator's")
    assert prepare_directory(tmp_path, {}) == directory
    assert sorted(path.name for path in directory.iterdir()) == ["notes.txt"]


def test_prometheus_own_variable_wins(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    assert prepare_directory(tmp_path / "data", {DIRECTORY_VARIABLE: str(chosen)}) == chosen
    assert chosen.is_dir()


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def test_dead_workers_lose_their_live_gauges_and_keep_their_counters(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    for name in (f"gauge_liveall_{dead}.db", f"counter_{dead}.db", f"gauge_liveall_{alive}.db"):
        (tmp_path / name).write_bytes(b"")
    forget_dead_workers(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"counter_{dead}.db", f"gauge_liveall_{alive}.db"]
    )
