"""The pages' URL map, and the one stylesheet they share."""

from functools import cache
from importlib.resources import files
from urllib.parse import quote, urlencode

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from opencat.catalog.context import Catalog
from opencat.domain.ids import ROUTE_UUID_PATTERN
from opencat.domain.urls import Urls
from opencat.web import (
    account_pages,
    admin_pages,
    dataset_delete_pages,
    dataset_forms,
    download_pages,
    key_pages,
    member_pages,
    publish_pages,
    reset_pages,
    resource_forms,
)
from opencat.web import community_pages as community_files
from opencat.web import resource_pages as maintained_files
from opencat.web import upload_pages as uploaded_files
from opencat.web.i18n import LANGUAGES
from opencat.web.pages import Site, guard, guarded
from opencat.web.render import CSP
from opencat.web.signin import Keys


class ResourceIdConvertor(Convertor[str]):
    """A resource id as the API's ``<uuid:rid>`` routes take it (werkzeug's): the dashed form, any
    case, given lower-cased. Starlette's own ``uuid`` takes it without dashes too: one file at
    several addresses."""

    regex = ROUTE_UUID_PATTERN

    def convert(self, value: str) -> str:
        return value.lower()

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("resource_id", ResourceIdConvertor())

# The files the pages use, with their media types.
STATIC = {
    "site.css": "text/css",
    "favicon.svg": "image/svg+xml",
    "suggest.js": "text/javascript",
    "upload.js": "text/javascript",
}


@cache
def _asset(name: str) -> bytes:
    return files("opencat.web").joinpath(f"static/{name}").read_bytes()


async def static(request: Request) -> Response:
    name = str(request.path_params["name"])
    if name not in STATIC:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(
        _asset(name),
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600", "Content-Security-Policy": CSP},
    )


def routes(catalog: Catalog, urls: Urls, keys: Keys) -> list[BaseRoute]:
    site = Site(catalog, urls, keys)
    pages = guarded(site)
    account = account_pages.handlers(site)
    api_keys = key_pages.handlers(site)
    publish = publish_pages.handlers(site)
    forms = dataset_forms.handlers(site)
    files = resource_forms.handlers(site)
    deleting = dataset_delete_pages.handlers(site)
    resets = reset_pages.handlers(site)
    team = member_pages.handlers(site)
    admin = admin_pages.handlers(site)
    uploads = uploaded_files.handlers(site)
    maintained = maintained_files.handlers(site)
    community = community_files.handlers(site)
    return _one_route_a_path([
        # Sysadmins' pages (accounts)
        Route("/admin/users/", admin["users"], methods=["GET"], include_in_schema=False),
        Route(
            "/admin/users/{user_id}/sysadmin",
            admin["set_sysadmin"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route(
            "/admin/users/{user_id}/active", admin["set_active"], methods=["POST"], include_in_schema=False
        ),
        Route(
            "/admin/users/{user_id}/deactivate",
            admin["confirm_deactivation"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route("/datasets/{slug}/curation/", admin["curation"], methods=["GET"], include_in_schema=False),
        Route(
            "/organizations/{slug}/curation/",
            admin["organization_curation"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/organizations/{slug}/curation/badges",
            admin["add_organization_badge"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route(
            "/organizations/{slug}/curation/badges/{kind}/remove",
            admin["remove_organization_badge"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/curation/featured", admin["feature"], methods=["POST"], include_in_schema=False
        ),
        Route(
            "/datasets/{slug}/curation/badges", admin["add_badge"], methods=["POST"], include_in_schema=False
        ),
        Route(
            "/datasets/{slug}/curation/badges/{kind}/remove",
            admin["remove_badge"],
            methods=["POST"],
            include_in_schema=False,
        ),
        # Organization members (accounts)
        Route(
            "/organizations/{slug}/members/", team["list_members"], methods=["GET"], include_in_schema=False
        ),
        Route("/organizations/{slug}/members/", team["set_role"], methods=["POST"], include_in_schema=False),
        Route(
            "/organizations/{slug}/members/{user_id}/remove",
            team["remove"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route(
            "/organizations/{slug}/members/{user_id}/remove",
            team["confirm_removal"],
            methods=["GET"],
            include_in_schema=False,
        ),
        # Password resets (accounts)
        Route("/account/password/reset/", resets["forgot_form"], methods=["GET"], include_in_schema=False),
        Route("/account/password/reset/", resets["forgot"], methods=["POST"], include_in_schema=False),
        Route(
            "/account/password/reset/{token}/", resets["reset_form"], methods=["GET"], include_in_schema=False
        ),
        Route("/account/password/reset/{token}/", resets["reset"], methods=["POST"], include_in_schema=False),
        Route("/login", account["login_form"], methods=["GET"], include_in_schema=False),
        Route("/login", account["login"], methods=["POST"], include_in_schema=False),
        Route("/logout", account["logout_form"], methods=["GET"], include_in_schema=False),
        Route("/logout", account["logout"], methods=["POST"], include_in_schema=False),
        Route("/account/", publish["my_datasets"], methods=["GET"], include_in_schema=False),
        Route("/account/keys/", api_keys["list_keys"], methods=["GET"], include_in_schema=False),
        Route("/account/keys/", api_keys["create_key"], methods=["POST"], include_in_schema=False),
        Route(
            "/account/keys/{key_id}/revoke",
            api_keys["confirm_revoke"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/account/keys/{key_id}/revoke", api_keys["revoke_key"], methods=["POST"], include_in_schema=False
        ),
        Route("/", pages["home"], include_in_schema=False),
        Route("/datasets/", pages["search"], include_in_schema=False),
        Route("/datasets/new/", forms["new_form"], methods=["GET"], include_in_schema=False),
        Route("/datasets/new/", forms["create"], methods=["POST"], include_in_schema=False),
        Route("/datasets/{slug}/edit/", forms["edit_form"], methods=["GET"], include_in_schema=False),
        Route("/datasets/{slug}/edit/", forms["update"], methods=["POST"], include_in_schema=False),
        Route("/datasets/{slug}/delete/", deleting["delete_form"], methods=["GET"], include_in_schema=False),
        Route("/datasets/{slug}/delete/", deleting["delete"], methods=["POST"], include_in_schema=False),
        Route(
            "/datasets/{slug}/resources/new/",
            files["new_link_form"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/resources/new/", files["add_link"], methods=["POST"], include_in_schema=False
        ),
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/delete/",
            files["delete_form"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/delete/",
            files["delete"],
            methods=["POST"],
            include_in_schema=False,
        ),
        # Uploads from the browser (web/upload_pages.py)
        Route(
            "/datasets/{slug}/resources/", uploads["resources_page"], methods=["GET"], include_in_schema=False
        ),
        Route(
            "/datasets/{slug}/resources/upload/", uploads["upload"], methods=["POST"], include_in_schema=False
        ),
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/upload/",
            uploads["upload"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route("/account/uploads/{uuid}/", uploads["upload_status"], methods=["GET"], include_in_schema=False),
        # Editing and ordering files (web/resource_pages.py)
        Route(
            "/datasets/{slug}/resources/order/",
            maintained["reorder"],
            methods=["POST"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/edit/",
            maintained["edit_form"],
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/edit/",
            maintained["update"],
            methods=["POST"],
            include_in_schema=False,
        ),
        # Community resources (web/community_pages.py)
        *[
            Route(
                f"/datasets/{{slug}}/community/{path}",
                community[name],
                methods=[method],
                include_in_schema=False,
            )
            for path, name, method in (
                ("new/", "propose_form", "GET"),
                ("new/", "propose", "POST"),
                ("upload/", "propose_file", "POST"),
                ("{cid}/upload/", "replace_file", "POST"),
                ("{cid}/edit/", "edit_form", "GET"),
                ("{cid}/edit/", "update", "POST"),
                ("{cid}/delete/", "delete_form", "GET"),
                ("{cid}/delete/", "delete", "POST"),
            )
        ],
        Route(
            "/datasets/{slug}/resources/{rid:resource_id}/download/",
            guard(download_pages.download, site),
            methods=["GET"],
            include_in_schema=False,
        ),
        Route(
            "/datasets/{slug}/community/{cid}/download/",
            guard(download_pages.community_download, site),
            methods=["GET"],
            include_in_schema=False,
        ),
        Route("/datasets/{slug}/", pages["dataset"], include_in_schema=False),
        Route("/organizations/{slug}/", pages["organization"], include_in_schema=False),
        Route("/users/{slug}/", pages["user"], include_in_schema=False),
        Route("/static/{name}", static, include_in_schema=False),
        *[
            Route(f"/{prefix}{path}", _unprefixed, methods=["GET", "HEAD"], include_in_schema=False)
            for prefix in LANGUAGE_PREFIXES
            for path in ("/", "/datasets/", "/datasets/{slug}/", "/organizations/{slug}/", "/users/{slug}/")
        ],
    ])  # fmt: skip


class _ByMethod:
    """The ASGI apps of one address, by the method each answers."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.apps[scope["method"]](scope, receive, send)


class _AddressRoute(Route):
    """A route whose 405 names its methods in one order (Starlette's set had one per process)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            raise HTTPException(status_code=405, headers={"Allow": ", ".join(sorted(self.methods))})
        await self.app(scope, receive, send)


def _one_route_a_path(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes of one address (a form's GET and its POST) as one route: Starlette answers 405
    from the first route whose address matches, and its ``Allow`` named that route's methods only
    (``PATCH /login`` said ``Allow: GET, HEAD``)."""
    by_path: dict[str, dict[str, ASGIApp]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            apps = by_path.setdefault(route.path, {})
            for method in route.methods:
                apps.setdefault(method, route.app)  # the first route of a method answers it, as before
    merged: list[BaseRoute] = []
    done: set[str] = set()
    for route in routes:
        if not (isinstance(route, Route) and route.methods) or len(by_path[route.path]) == len(route.methods):
            merged.append(route)
        elif route.path not in done:
            done.add(route.path)
            apps = by_path[route.path]
            merged.append(
                _AddressRoute(route.path, _ByMethod(apps), methods=list(apps), include_in_schema=False)
            )
    return merged


# data.gouv.fr's front-end puts the language first (``/fr/datasets/{slug}/``): links people keep
# from a portal that moved to opencat, whose pages take the language as ``?lang=``.
LANGUAGE_PREFIXES = ("fr", "en", "es", "pt", "sr", "de")


async def _unprefixed(request: Request) -> Response:
    # The decoded path, encoded once (``request.url.path`` escapes it again: ``a%3Fb`` became ``a%253Fb``).
    prefix, _, rest = str(request.scope["path"]).lstrip("/").partition("/")
    query = [(name, value) for name, value in request.query_params.multi_items() if name != "lang"]
    if prefix in LANGUAGES:
        query.append(("lang", prefix))
    location = quote("/" + rest) + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(location, status_code=301)
