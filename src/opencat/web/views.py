"""What the dataset page shows, gathered from the dataset's view and the reference lists."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from opencat.catalog import references, spatial
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.domain.datasets import BADGE_LABELS, Resource
from opencat.domain.frequencies import UNKNOWN
from opencat.domain.links import is_web_link
from opencat.domain.numerals import is_digits
from opencat.domain.previews import is_tabular
from opencat.domain.urls import Urls
from opencat.web.i18n import badge_label, license_title, translations
from opencat.web.jsonld import dataset_jsonld, script_block
from opencat.web.markdown import page_markdown

# Resource types in udata's order of importance, with their headings (translated in the template).
RESOURCE_TYPES = ("main", "documentation", "update", "api", "code", "other")
RDF_FORMATS = (("ttl", "text/turtle"), ("xml", "application/rdf+xml"), ("json", "application/ld+json"))
# Resources shown per page of the dataset page: some datasets have hundreds (the demo's largest,
# 157, made a 185 KB page), and a page stays under 100 KB with its stylesheet.
RESOURCES_PER_PAGE = 20


def resources_by_type(resources: Sequence[Resource]) -> list[tuple[str, list[Resource]]]:
    grouped: dict[str, list[Resource]] = {}
    for resource in resources:
        kind = resource.type if resource.type in RESOURCE_TYPES else "other"
        grouped.setdefault(kind, []).append(resource)
    return [(kind, grouped[kind]) for kind in RESOURCE_TYPES if kind in grouped]


@dataclass(frozen=True, slots=True)
class ResourcePage:
    """Which of the dataset's resources the page shows (in the order of their types)."""

    number: int
    pages: int
    total: int
    first: int  # 1-based, for "21-40 of 157"
    last: int


def resource_page(
    resources: Sequence[Resource], asked: str | None, shown: str | None
) -> tuple[list[tuple[str, list[Resource]]], ResourcePage]:
    """The page of resources asked (``?resources=N``; the one holding the resource previewed, when
    one is), grouped by type."""
    ordered = [resource for _, group in resources_by_type(resources) for resource in group]
    pages = max(1, -(-len(ordered) // RESOURCES_PER_PAGE))
    # A number past the last page (the files shrank since the link was made) is the last page.
    number = min(int(asked), pages) if asked and is_digits(asked) and int(asked) >= 1 else 1
    if shown is not None:
        position = next((n for n, resource in enumerate(ordered) if resource.id == shown), None)
        if position is not None:
            number = position // RESOURCES_PER_PAGE + 1
    start = (number - 1) * RESOURCES_PER_PAGE
    on_page = ordered[start : start + RESOURCES_PER_PAGE]
    return resources_by_type(on_page), ResourcePage(
        number, pages, len(ordered), start + 1, start + len(on_page)
    )


def dataset_page_context(
    catalog: Catalog,
    urls: Urls,
    view: DatasetView,
    language: str,
    now: datetime,
    resources_asked: str | None = None,
    preview_asked: str | None = None,
) -> dict[str, Any]:
    dataset = view.dataset
    groups, resources_page = resource_page(view.resources, resources_asked, preview_asked)
    licenses = {item.id: item for item in references.list_licenses(catalog)}
    license = licenses.get(dataset.license or "")
    places = spatial.spatial_objects(catalog, [dataset], language)
    own_zones = dataset.spatial.zones if dataset.spatial else ()
    granularity = dataset.spatial.granularity if dataset.spatial else None
    frequencies = {item.id: item.label(language) for item in references.list_frequencies(catalog)}
    api_url = urls.api(f"datasets/{dataset.id}/")
    return {
        "view": view,
        "dataset": dataset,
        "description": page_markdown(dataset.description or "", translations(language).gettext),
        "groups": groups,
        "resources_page": resources_page,
        "license": license,
        # A frequency never set is udata's ``unknown``, as the API answers it.
        "frequency": frequencies.get(dataset.frequency or UNKNOWN, dataset.frequency),
        "zones": [places.zones[z].name if z in places.zones else z for z in own_zones],
        "granularity": places.granularities.get(granularity or "", granularity),
        "badges": [badge_label(badge.kind, language) for badge in dataset.badges],
        "last_update": view.last_update(now),
        "now": now,
        "api_url": api_url,
        "rdf": [(suffix, kind, f"{api_url}rdf.{suffix}") for suffix, kind in RDF_FORMATS],
        "feed_url": urls.api("datasets/recent.atom"),
        "latest": urls.resource_latest,
        "previewable": is_tabular,
        "opens_a_page": opens_a_page,
        "shown": None,
        "resource_titles": {resource.id: resource.title for resource in view.resources},
        "jsonld": Markup(
            script_block(dataset_jsonld(view, urls, license=license, zones=places.zones, now=now))
        ),
        "harvested": harvested_from(dataset.harvest),
    }


# Formats publishers give a link to a web page (data.gouv.fr's catalog holds "html", "page web"...).
WEB_PAGE_FORMATS = frozenset({"html", "htm", "page web", "web page", "site web", "website", "site internet"})


def opens_a_page(resource: Resource) -> bool:
    """A link to a web page: its button opens it rather than offer to download it."""
    return resource.filetype == "remote" and (resource.format or "").strip().lower() in WEB_PAGE_FORMATS


@dataclass(frozen=True, slots=True)
class HarvestedFrom:
    """Where a harvested dataset comes from, as its pages say it: the remote site's name and the
    dataset's page there (when it is a web address: a load of documents may hold anything)."""

    site: str
    url: str | None


def harvested_from(harvest: Mapping[str, Any] | None) -> HarvestedFrom | None:
    if not harvest or not (harvest.get("remote_id") or harvest.get("source_id")):
        return None
    remote = str(harvest.get("remote_url") or "")
    url = remote if is_web_link(remote) else None
    site = str(harvest.get("domain") or "") or (urlsplit(url).hostname if url else None) or ""
    return HarvestedFrom(site or str(harvest.get("backend") or "?"), url)


def history_names(
    catalog: Catalog, language: str, accounts: Mapping[str, str], zones: Sequence[str] = ()
) -> dict[str, dict[str, str]]:
    """What the dataset page's history says instead of ids, by field: licenses' titles,
    frequencies' labels, owners', organizations' and contact points' names (``accounts``: id to
    name), a file's kind in words, the names of the coverages' ``zones`` and granularities, and
    the badges' names."""
    licenses = {item.id: license_title(item.title, language) for item in references.list_licenses(catalog)}
    frequencies = {item.id: item.label(language) for item in references.list_frequencies(catalog)}
    gettext = translations(language).gettext
    kinds = {kind: gettext(label) for kind, label in RESOURCE_KINDS.items()}
    people = dict(accounts)
    return {
        "license": licenses,
        "frequency": frequencies,
        "owner": people,
        "owner_id": people,
        "organization": people,
        "organization_id": people,
        "contact_points": people,
        "type": kinds,
        "zones": spatial.zone_names(catalog, list(zones)) if zones else {},
        # A coverage's granularity and the badges' kinds, as the page's sidebar and header say them.
        "granularity": dict(spatial.list_granularities(catalog, language)),
        "badges": {kind: badge_label(kind, language) for kind in BADGE_LABELS},
    }


# A file's kinds as the files' pages name them (resource_edit.html).
RESOURCE_KINDS = {
    "main": "Main data",
    "documentation": "Documentation",
    "update": "Updates",
    "api": "APIs",
    "code": "Source code",
    "other": "Other files",
}
