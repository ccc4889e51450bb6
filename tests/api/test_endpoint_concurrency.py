"""Handlers run at most as many at once as a worker's pool has connections (OPENCAT_DATABASE_POOL_SIZE)."""

import asyncio
import threading
import time
from pathlib import Path

import httpx2 as httpx
from starlette.applications import Starlette

from opencat.api.endpoint import Call, Reply, Services, path
from opencat.config import Settings
from opencat.db.engine import Database
from opencat.domain.urls import Urls
from opencat.wiring import build_catalog


def _app(tmp_path: Path, pool_size: int) -> tuple[Starlette, list[int]]:
    settings = Settings(data_dir=tmp_path, database_pool_size=pool_size)
    database = Database(settings.database_url, pool_size)
    running = [0]
    peak: list[int] = [0]
    lock = threading.Lock()

    def slow(_call: Call) -> Reply:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return Reply({"ok": True})

    app = Starlette(routes=[path("/slow/", GET=slow)])
    app.state.services = Services(build_catalog(settings, database), settings, Urls(settings.base_url, None))
    return app, peak


async def _fire(app: Starlette, count: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = await asyncio.gather(*(client.get("/slow/") for _ in range(count)))
    return [answer.status_code for answer in answers]


def test_handlers_at_once_never_exceed_the_pool(tmp_path: Path) -> None:
    app, peak = _app(tmp_path, pool_size=3)
    assert asyncio.run(_fire(app, 12)) == [200] * 12
    assert peak[0] == 3  # all three slots used, never a fourth


def test_a_larger_pool_runs_more_at_once(tmp_path: Path) -> None:
    app, peak = _app(tmp_path, pool_size=6)
    assert asyncio.run(_fire(app, 12)) == [200] * 12
    assert peak[0] == 6
