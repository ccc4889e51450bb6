"""How harvest runs fetch and apply, from the settings (the command line, the API and the scheduler
share it)."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from opencat.catalog.harvesting import RunOptions
from opencat.config import Settings
from opencat.domain.urls import comparable
from opencat.links.harvest_fetch import HarvestPolicy


def harvest_options(settings: Settings, **overrides: Any) -> RunOptions:
    policy = HarvestPolicy(
        timeout=settings.harvest_timeout,
        max_bytes=settings.harvest_max_bytes,
        allow_private=settings.harvest_allow_private,
        delay=settings.harvest_delay,
        own_api=comparable(f"{settings.base_url.rstrip('/')}/api/"),
    )
    stale_after = settings.harvest_stale_after
    options = RunOptions(
        policy=policy,
        delete_gone=settings.harvest_delete_gone,
        max_items=settings.harvest_max_items,
        stale_after=timedelta(seconds=stale_after),
        # several beats within the stale delay: one slow beat does not lose the lease
        heartbeat_every=min(10.0, stale_after / 4),
    )
    return replace(options, **overrides)
