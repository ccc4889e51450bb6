"""``GET /api/1/datasets/recent.atom``: the Atom feed of recent datasets (udata: udata/core/dataset/api.py, RecentDatasetsAtomFeed)."""

from xml.etree import ElementTree

import mistune
from starlette.datastructures import QueryParams
from starlette.responses import Response

from opencat.api.endpoint import Call
from opencat.api.filters import FILTERS, LIST_ARGUMENTS, dataset_query
from opencat.api.openapi import describe
from opencat.api.params import first, text_argument
from opencat.catalog import feeds as use_cases
from opencat.catalog.feeds import FeedEntry
from opencat.domain.dates import iso, utc_now
from opencat.domain.xml import xml_safe

ATOM = "http://www.w3.org/2005/Atom"
# Descriptions are user Markdown: raw HTML in them is escaped, never passed through.
_markdown = mistune.create_markdown(escape=True)


def _title(call: Call) -> str:
    query = dataset_query(call.params)
    if query.q:
        return f"Datasets search: {xml_safe(query.q)}"
    # udata asks whether any parsed argument but the paging and the sort has a truthy value: a
    # ``q`` of spaces alone, or ``tag=`` (parsed as a list of one empty text), is a filter.
    filtered = "tag" in call.params or any(_set(call.params, key) for key in (*FILTERS, "q", "credit"))
    return "Filtered datasets" if filtered else "Latest datasets"


# Arguments reqparse reads as booleans: ``featured=false`` is a false value, no filter.
_BOOLEANS = frozenset({"featured", "archived", "deleted", "private"})


def _set(params: QueryParams, key: str) -> bool:
    """Whether the argument, as udata parses it, filters (a truthy value)."""
    value = first(params, key)
    if not value:
        return False
    return value.lower() in ("true", "1", "on") if key in _BOOLEANS else True


def _entry(
    feed: ElementTree.Element, call: Call, item: FeedEntry, found: tuple[str, str | None] | None
) -> None:
    dataset = item.view.dataset
    entry = ElementTree.SubElement(feed, "entry")
    ElementTree.SubElement(entry, "title").text = xml_safe(dataset.title)
    ElementTree.SubElement(entry, "id").text = call.urls.dataset_uri(dataset.id)
    ElementTree.SubElement(entry, "link", href=call.urls.dataset_page(dataset.slug), rel="alternate")
    description = xml_safe(dataset.description)
    ElementTree.SubElement(entry, "summary", type="text").text = description
    ElementTree.SubElement(entry, "content", type="html").text = str(_markdown(description))
    # A dataset of nobody's (loaded from an export) names no author: the feed's is its author
    # (RFC 4287 4.1.2; an empty ``author`` is invalid Atom).
    if found is not None:
        name, uri = found
        author = ElementTree.SubElement(entry, "author")
        ElementTree.SubElement(author, "name").text = xml_safe(name)
        if uri:
            ElementTree.SubElement(author, "uri").text = uri
    ElementTree.SubElement(entry, "updated").text = iso(dataset.last_modified)
    ElementTree.SubElement(entry, "published").text = iso(dataset.created_at)


def _author(call: Call, item: FeedEntry) -> tuple[str, str | None] | None:
    """An entry's author: its organization, else its owner (udata's order); None for nobody's."""
    view = item.view
    if view.organization is not None:
        return view.organization.name, call.urls.organization_page(view.organization.slug)
    if view.owner is not None:
        return f"{view.owner.first_name} {view.owner.last_name}", call.urls.user_page(view.owner.slug)
    return None


@describe(
    "The Atom feed of recent datasets",
    "recent_datasets_atom_feed",
    media="application/atom+xml",
    # udata's parser also reads ``credit``, which filters nothing but makes the title "Filtered".
    query=(*LIST_ARGUMENTS, text_argument("credit", "A credit (makes the feed a filtered one)")),
)
def recent_atom(call: Call) -> Response:
    entries = use_cases.recent(call.catalog, call.actor, dataset_query(call.params))
    feed = ElementTree.Element("feed", xmlns=ATOM)
    ElementTree.SubElement(feed, "title").text = _title(call)
    ElementTree.SubElement(feed, "link", href=call.urls.home, rel="alternate")
    # On the public root, like every other link: behind a proxy the request's own URL is the
    # backend's (http, its port).
    query = call.request.url.query
    self_url = f"{call.urls.base}{call.request.url.path}" + (f"?{query}" if query else "")
    ElementTree.SubElement(feed, "link", href=xml_safe(self_url), rel="self")
    ElementTree.SubElement(feed, "id").text = f"{call.urls.base}/"
    # The latest of the entries' dates (updated or published), as udata's feed library says it;
    # now for an empty feed. A reader polling an unchanged feed sees it unchanged.
    dates = [
        date for item in entries for date in (item.view.dataset.last_modified, item.view.dataset.created_at)
    ]
    ElementTree.SubElement(feed, "updated").text = iso(max(dates, default=None) or utc_now())
    # Atom needs an author for each entry, its own or the feed's (RFC 4287 4.1.1): the site's,
    # only when an entry names none or there is no entry (udata's feed then names none).
    authors = [_author(call, item) for item in entries]
    if not entries or None in authors:
        site = ElementTree.SubElement(feed, "author")
        ElementTree.SubElement(site, "name").text = xml_safe(call.services.settings.site_title)
        ElementTree.SubElement(site, "uri").text = call.urls.home
    for item, author in zip(entries, authors, strict=True):
        _entry(feed, call, item, author)
    body = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml")
