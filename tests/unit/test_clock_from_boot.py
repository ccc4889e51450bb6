"""Clocks read from boot: what a process remembers by time.monotonic() holds just after boot."""

import socket
from pathlib import Path

import pytest

from opencat.catalog import schemas
from opencat.catalog.schemas import FAILURE_SECONDS, SchemaSource
from opencat.domain.errors import Unavailable


class _Clock:
    """time.monotonic() as on a machine booted ``now`` seconds ago, moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("uptime", [3.0, 250.0, 100_000.0])
def test_a_failure_is_remembered_even_just_after_boot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uptime: float
) -> None:
    """monotonic() counts from boot: a machine up for less than the TTL (five minutes) read the
    remembered failure as "never asked", and every request waited for the catalog again."""
    clock = _Clock(uptime)
    monkeypatch.setattr(schemas.time, "monotonic", clock)
    asked: list[str] = []
    real_fetch = schemas.fetch_json

    def counted(url: str, timeout: float) -> object:
        asked.append(url)
        return real_fetch(url, timeout)

    monkeypatch.setattr(schemas, "fetch_json", counted)
    source = SchemaSource(f"http://127.0.0.1:{_closed_port()}/schemas.json", tmp_path / "schemas.json")
    for _ in range(3):
        with pytest.raises(Unavailable):
            source.entries()
    assert len(asked) == 1
    clock.now += FAILURE_SECONDS + 0.1
    with pytest.raises(Unavailable):
        source.entries()
    assert len(asked) == 2


def test_the_index_warns_at_once_just_after_boot(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The index's once-a-minute warning: its first line was held back on a machine up for less
    than a minute (the last warning's time started at 0.0)."""
    from opencat.search import index

    clock = _Clock(5.0)
    monkeypatch.setattr(index.time, "monotonic", clock)
    monkeypatch.setattr(index, "_warned_at", None)
    with caplog.at_level("WARNING", logger="opencat.search"):
        index._warn_once_a_minute("keeper unreachable: %s", OSError("gone"))
        index._warn_once_a_minute("keeper unreachable: %s", OSError("gone"))
        clock.now += 61
        index._warn_once_a_minute("keeper unreachable: %s", OSError("gone"))
    assert [record.getMessage() for record in caplog.records] == ["keeper unreachable: gone"] * 2
