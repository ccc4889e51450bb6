"""``GET /api/1/site/``: the site-wide variables udata serves (its ``Site`` model), which the DCAT
catalog names as its publisher (``…/api/1/site/#publisher``)."""

from urllib.parse import urlsplit

from opencat import __version__
from opencat.api.endpoint import Call, Reply
from opencat.api.masks import Mask
from opencat.api.openapi import describe
from opencat.catalog import site as use_cases
from opencat.catalog.feeds import FEED_SIZE  # the entries of recent.atom

# udata's default mask of the model (its swagger's x-mask); the blocs are its front page's.
SITE_MASK = Mask.of(("id", "metrics", "title", "keywords", "feed_size", "version"))


@describe("The site's title and what it holds (udata's Site)", "get_site", returns="Site")
def get_site(call: Call) -> Reply:
    metrics = use_cases.site_metrics(call.catalog)
    body = {
        "dataservices_blocs": [],
        "datasets_blocs": [],
        "feed_size": FEED_SIZE,
        "id": urlsplit(call.urls.base).netloc,
        "keywords": [],
        "metrics": {
            "datasets": metrics.datasets,
            "organizations": metrics.organizations,
            "users": metrics.users,
        },
        "reuses_blocs": [],
        "title": call.services.settings.site_title,
        "version": __version__,
    }
    return Reply(body, mask=SITE_MASK)
