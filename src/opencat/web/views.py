"""What the dataset page shows, gathered from the dataset's view and the reference lists."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup

from opencat.catalog import references, spatial
from opencat.catalog.context import Catalog
from opencat.catalog.views import DatasetView
from opencat.domain.datasets import BADGE_LABELS, Resource
from opencat.domain.previews import is_tabular
from opencat.domain.urls import Urls
from opencat.web.jsonld import dataset_jsonld, script_block
from opencat.web.markdown import render_markdown

# Resource types in udata's order of importance, with their headings (translated in the template).
RESOURCE_TYPES = ("main", "documentation", "update", "api", "code", "other")
RDF_FORMATS = (("ttl", "text/turtle"), ("xml", "application/rdf+xml"), ("json", "application/ld+json"))


def resources_by_type(resources: Sequence[Resource]) -> list[tuple[str, list[Resource]]]:
    grouped: dict[str, list[Resource]] = {}
    for resource in resources:
        kind = resource.type if resource.type in RESOURCE_TYPES else "other"
        grouped.setdefault(kind, []).append(resource)
    return [(kind, grouped[kind]) for kind in RESOURCE_TYPES if kind in grouped]


def dataset_page_context(
    catalog: Catalog, urls: Urls, view: DatasetView, language: str, now: datetime
) -> dict[str, Any]:
    dataset = view.dataset
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
        "description": Markup(render_markdown(dataset.description or "")),
        "groups": resources_by_type(view.resources),
        "license": license,
        "frequency": frequencies.get(dataset.frequency or "", dataset.frequency),
        "zones": [places.zones[z].name if z in places.zones else z for z in own_zones],
        "granularity": places.granularities.get(granularity or "", granularity),
        "badges": [BADGE_LABELS.get(badge.kind, badge.kind) for badge in dataset.badges],
        "last_update": view.last_update(now),
        "now": now,
        "api_url": api_url,
        "rdf": [(suffix, kind, f"{api_url}rdf.{suffix}") for suffix, kind in RDF_FORMATS],
        "feed_url": urls.api("datasets/recent.atom"),
        "latest": urls.resource_latest,
        "previewable": is_tabular,
        "shown": None,
        "jsonld": Markup(
            script_block(dataset_jsonld(view, urls, license=license, zones=places.zones, now=now))
        ),
    }
