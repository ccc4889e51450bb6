"""Fixtures: a remote site on loopback whose documents a test sets."""

from collections.abc import Iterator

import pytest

from tests.harvest.site import Site, SiteServer, serving


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def remote(site: Site) -> Iterator[SiteServer]:
    with serving(site) as server:
        yield server
