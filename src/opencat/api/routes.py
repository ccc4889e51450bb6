"""The whole URL map of the API, on one screen."""

from functools import cache

from starlette.routing import BaseRoute, Route

from opencat.api import (
    accounts,
    activity,
    avatars,
    community,
    contacts,
    curation,
    datasets,
    docs_page,
    extras,
    feeds,
    harvest,
    openapi_document,
    rdf,
    references,
    resources,
    site,
    spatial,
    suggest,
    uploads,
    v2,
)
from opencat.api.endpoint import path

API = "/api/1"
API2 = "/api/2"
DATASET = f"{API}/datasets/{{ident}}/"
RESOURCES = f"{API}/datasets/{{ident}}/resources/"
RESOURCE = f"{RESOURCES}{{rid}}/"
COMMUNITY = f"{API}/datasets/community_resources/"
# The site's permalinks: bare, and under each language of udata's default ``LANGUAGES``.
PERMALINK_PREFIXES = ("", "/fr", "/en", "/es", "/pt", "/sr", "/de")


@cache  # routes hold no state of an app: every app of a process (a test's each) shares them
def routes() -> tuple[BaseRoute, ...]:
    return (
        path(f"{API}/datasets/", GET=datasets.list_datasets, POST=datasets.create_dataset),
        path(f"{API}/datasets/licenses/", GET=references.list_licenses),
        path(f"{API}/datasets/frequencies/", GET=references.list_frequencies),
        path(f"{API}/datasets/extensions/", GET=references.list_extensions),
        path(f"{API}/datasets/badges/", GET=curation.list_badges),
        path(f"{API}/datasets/resource_types/", GET=references.list_resource_types),
        path(f"{API}/datasets/schemas/", GET=references.list_schemas),
        path(f"{API}/datasets/suggest/", GET=suggest.suggest_datasets),
        path(f"{API}/datasets/suggest/formats/", GET=suggest.suggest_formats),
        path(f"{API}/datasets/suggest/mime/", GET=suggest.suggest_mimes),
        path(f"{API}/datasets/r/{{rid}}", GET=resources.follow_permalink),
        # The site's own permalink, the one data.gouv.fr gives people (its front-end's, with or
        # without a language): opencat is that front-end here.
        *(
            path(f"{prefix}/datasets/r/{{rid}}", documented=False, GET=resources.follow_permalink)
            for prefix in PERMALINK_PREFIXES
        ),
        path(f"{API}/datasets/recent.atom", GET=feeds.recent_atom),
        path(f"{API}/site/", GET=site.get_site),
        path(f"{API}/site/catalog", GET=rdf.site_catalog_redirect),
        path(f"{API}/site/catalog.{{format}}", GET=rdf.site_catalog),
        path(f"{API}/site/data.{{format}}", GET=rdf.site_data_portal),
        path(f"{API}/site/context.jsonld", GET=rdf.site_json_ld_context),
        path(f"{API}/site/datasets.jsonl", GET=rdf.site_datasets_jsonl),
        path(f"{API}/site/datasets.csv", GET=rdf.site_datasets_csv),
        path(f"{API}/site/resources.csv", GET=rdf.site_resources_csv),
        path(COMMUNITY, GET=community.list_community_resources, POST=community.create_community_resource),
        path(
            f"{COMMUNITY}{{community}}/",
            GET=community.get_community_resource,
            PUT=community.update_community_resource,
            PATCH=community.update_community_resource,
            DELETE=community.delete_community_resource,
        ),
        path(f"{COMMUNITY}{{community}}/upload/", POST=uploads.upload_community_file),
        path(
            DATASET,
            GET=datasets.get_dataset,
            PUT=datasets.update_dataset,
            PATCH=datasets.update_dataset,
            DELETE=datasets.delete_dataset,
        ),
        path(RESOURCES, POST=resources.add_resource, PUT=resources.reorder_resources),
        path(f"{API}/datasets/{{ident}}/rdf", GET=rdf.dataset_rdf_redirect),
        path(f"{API}/datasets/{{ident}}/rdf.{{format}}", GET=rdf.dataset_rdf),
        path(f"{DATASET}badges/", POST=curation.add_badge),
        path(f"{DATASET}badges/{{badge_kind}}/", DELETE=curation.remove_badge),
        path(f"{DATASET}featured/", POST=curation.feature, DELETE=curation.unfeature),
        path(
            f"{DATASET}followers/",
            GET=curation.list_followers,
            POST=curation.follow,
            DELETE=curation.unfollow,
        ),
        path(
            RESOURCE,
            GET=resources.get_resource,
            PUT=resources.update_resource,
            PATCH=resources.update_resource,
            DELETE=resources.delete_resource,
        ),
        path(f"{API}/datasets/{{ident}}/upload/", POST=uploads.upload_new_resource),
        path(f"{RESOURCE}upload/", POST=uploads.upload_resource_file),
        path(f"{RESOURCE}check/", GET=resources.check_resource),
        path(f"{API}/datasets/{{ident}}/upload/community/", POST=uploads.upload_new_community_resource),
        path(f"{API}/uploads/{{uuid}}/", GET=uploads.upload_status),
        path("/resources/{key:path}", GET=uploads.serve_file),
        path(f"{API2}/datasets/resources/{{rid}}/", GET=resources.get_resource_v2),
        path(f"{API2}/datasets/", GET=v2.list_datasets),
        path(f"{API2}/datasets/search/", GET=v2.search),
        path(f"{API2}/datasets/{{ident}}/", GET=v2.get_dataset),
        path(f"{API2}/datasets/{{ident}}/resources/", GET=v2.list_resources),
        path(f"{API2}/datasets/{{ident}}/schemas/", GET=v2.dataset_schemas),
        path(
            f"{API2}/datasets/{{ident}}/extras/",
            GET=extras.get_dataset_extras,
            PUT=extras.update_dataset_extras,
            DELETE=extras.delete_dataset_extras,
        ),
        path(
            f"{API2}/datasets/{{ident}}/resources/{{rid}}/extras/",
            GET=extras.get_resource_extras,
            PUT=extras.update_resource_extras,
            DELETE=extras.delete_resource_extras,
        ),
        path(f"{API}/spatial/zones/suggest/", GET=suggest.suggest_zones),  # before zones/{ids:path}
        path(f"{API}/tags/suggest/", GET=suggest.suggest_tags),
        path(f"{API}/spatial/zone/{{id:path}}/datasets/", GET=spatial.list_zone_datasets),  # before zone/
        path(f"{API}/spatial/zone/{{id:path}}/", GET=spatial.get_zone),
        path(f"{API}/spatial/coverage/{{level:path}}/", GET=spatial.level_coverage),
        path(f"{API}/spatial/zones/{{ids:path}}/", GET=spatial.list_zones),
        path(f"{API}/spatial/levels/", GET=spatial.list_levels),
        path(f"{API}/spatial/granularities/", GET=spatial.list_granularities),
        path(f"{API}/organizations/suggest/", GET=suggest.suggest_organizations),
        path(f"{API}/avatars/{{identifier}}/{{size}}/", GET=avatars.identicon),
        path(f"{API}/contacts/", POST=contacts.create_contact_point),
        path(f"{API}/contacts/roles/", GET=contacts.list_roles),
        path(f"{API}/contacts/{{contact}}/", GET=contacts.get_contact_point),
        path(f"{API}/organizations/{{ident}}/", GET=accounts.get_organization),
        path(f"{API}/organizations/{{ident}}/datasets/", GET=datasets.list_organization_datasets),
        path(f"{API}/organizations/{{ident}}/datasets.csv", GET=rdf.organization_datasets_csv),
        path(f"{API}/organizations/{{ident}}/datasets-resources.csv", GET=rdf.organization_resources_csv),
        path(f"{API}/organizations/{{ident}}/catalog", GET=rdf.organization_catalog_redirect),
        path(f"{API}/organizations/{{ident}}/catalog.{{format}}", GET=rdf.organization_catalog),
        path(f"{API}/users/{{ident}}/", GET=accounts.get_user),
        path(f"{API}/users/{{ident}}/apikeys/", GET=accounts.list_api_keys, POST=accounts.create_api_key),
        path(f"{API}/users/{{ident}}/apikeys/{{key_id}}/", DELETE=accounts.revoke_api_key),
        path(f"{API}/me/", GET=accounts.get_me),
        path(f"{API}/me/datasets/", GET=datasets.list_my_datasets),
        path(f"{API}/me/org_datasets/", GET=datasets.list_my_org_datasets),
        path(f"{API}/activity/", GET=activity.list_activity),
        *_harvest_routes(),
        path(f"{API}/swagger.json", GET=openapi_document.swagger),
        # udata serves its v2 document and docs at /api/2/: the one document covers both versions.
        _undocumented(path("/api/2/swagger.json", GET=openapi_document.swagger)),
        Route("/api/2/", docs_page.docs_page, include_in_schema=False),
        # HTML pages and their files: not part of the API, so not in its document.
        Route(f"{API}/", docs_page.docs_page, include_in_schema=False),
        Route(f"{API}/docs/init.js", docs_page.docs_init, include_in_schema=False),
        Route(f"{API}/docs/{{name}}", docs_page.docs_asset, include_in_schema=False),
    )


HARVEST_SOURCE = f"{API}/harvest/source/{{source}}/"


def _harvest_routes() -> list[BaseRoute]:
    return [
        path(f"{API}/harvest/sources/", GET=harvest.list_sources, POST=harvest.create_source),
        path(f"{API}/harvest/backends/", GET=harvest.list_backends),
        path(f"{API}/harvest/source/preview/", POST=harvest.preview_fields),
        path(HARVEST_SOURCE, GET=harvest.get_source, PUT=harvest.update_source, DELETE=harvest.delete_source),
        path(f"{HARVEST_SOURCE}jobs/", GET=harvest.list_jobs),
        path(f"{HARVEST_SOURCE}run/", POST=harvest.run_source),
        path(f"{HARVEST_SOURCE}preview/", GET=harvest.preview_source),
        path(f"{HARVEST_SOURCE}schedule/", POST=harvest.schedule_source, DELETE=harvest.unschedule_source),
        path(f"{HARVEST_SOURCE}validate/", POST=harvest.validate_source),
        path(f"{API}/harvest/job/{{job}}/", GET=harvest.get_job),
        path(f"{API}/harvest/job/{{job}}/items/", GET=harvest.list_items),
    ]


def _undocumented(route: Route) -> Route:
    """A second URL of an operation the document already lists."""
    route.include_in_schema = False
    return route
