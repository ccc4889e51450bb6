"""Fixtures: a remote site on loopback whose documents a test sets."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from opencat.config import Settings
from tests.conftest import BASE_URL
from tests.harvest.site import Site, SiteServer, serving


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def remote(site: Site) -> Iterator[SiteServer]:
    with serving(site) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The app's settings, allowed to harvest the site on loopback."""
    return Settings(
        data_dir=tmp_path, database_url=database_url, base_url=BASE_URL, harvest_allow_private=True
    )
