"""The composition root: ``create_app(settings)`` wires storage, use cases and routes."""

import json
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from opencat.api import errors
from opencat.api.current_copies import CurrentCopies, reserved_names
from opencat.api.endpoint import Services
from opencat.api.errors import redirect
from opencat.api.routes import routes
from opencat.api.unread_body import CloseWhenBodyUnread
from opencat.api.utf8_query import Utf8Query
from opencat.catalog import harvest_sources, health
from opencat.catalog.context import Catalog
from opencat.config import MIN_SECRET_KEY_LENGTH, Settings, SettingsError
from opencat.db.engine import Database
from opencat.domain.accept import best_match
from opencat.domain.errors import CatalogError, Gone, Locked, NotFound, Unavailable
from opencat.domain.urls import Urls
from opencat.ops.metrics import Metrics
from opencat.ops.probes import Probes
from opencat.ops.watch import Watched
from opencat.web import form_errors, i18n, machine_routes
from opencat.web.pages import Site, Visit, sign_in_visit
from opencat.web.routes import routes as page_routes
from opencat.web.signin import Keys
from opencat.wiring import build_catalog

# The answers' headers a browser lets a script of another origin read (CORS).
EXPOSED_HEADERS = ("ETag", "Location", "Retry-After", "X-Request-Id")


def secret_key(settings: Settings) -> bytes:
    """``OPENCAT_SECRET_KEY``, or a random key made once and kept in ``<data_dir>/secret_key``;
    a kept key that cannot be read or is too short is a ``SettingsError`` (one line, at start)."""
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret_key"
    try:
        return kept_secret_key(path) or _new_secret_key(path)
    except OSError as error:
        raise SettingsError(
            f"the pages' signing key {path} cannot be used ({error.strerror or error}): let this user "
            "read it, or remove it to have a new one made (signed-in visitors are then signed out)"
        ) from None


def kept_secret_key(path: Path) -> bytes | None:
    """The key kept at ``path``, checked; None when there is none yet."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"the pages' signing key {path} holds {len(key)} characters, {MIN_SECRET_KEY_LENGTH} at "
            "least are needed: remove it to have a new one made (signed-in visitors are then signed out)"
        )
    return key


def _new_secret_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own, then linked in place: a worker starting at the same
        # moment reads either no file or the whole key, and the first link wins.
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as kept:
            kept.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


def page_keys(settings: Settings, catalog: Catalog) -> Keys:
    return Keys(
        secret=secret_key(settings),
        secure=settings.base_url.startswith("https://"),
        lifetime=catalog.session_lifetime,
        trust_forwarded_for=settings.trust_forwarded_for,
    )


# What every answer says, whatever made it (the API's JSON and RDF, the pages, the stored files, a
# 500): a browser that sniffs must not take a body for another type (an error echoing a hostile
# value for HTML, an uploaded text for a script).
EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),)


class _Watched(Starlette):
    """Starlette with the ops layer (opencat.ops) outside its error middleware, so that a 500 it
    renders is still logged, measured and tagged with its request id."""

    wrap: Callable[[ASGIApp], ASGIApp] = staticmethod(lambda app: app)

    def build_middleware_stack(self) -> ASGIApp:
        return self.wrap(super().build_middleware_stack())


def create_app(
    settings: Settings,
    database: Database | None = None,
    catalog: Catalog | None = None,
    metrics_dir: Path | None = None,
) -> Starlette:
    """``metrics_dir``: where the workers of one server share their metrics (none: this process's own)."""
    catalog = catalog or build_catalog(settings, database)
    metrics = Metrics(
        partial(health.sampled_index_lag, catalog),
        metrics_dir,
        partial(harvest_sources.harvest_totals, catalog),
    )
    catalog = replace(catalog, link_checked=metrics.count_link_check)
    health.watch_pool(catalog, metrics.set_pool_in_use)
    urls = Urls(settings.base_url, settings.front_url)
    services = Services(catalog=catalog, settings=settings, urls=urls)
    api_routes = routes()
    keys = page_keys(settings, catalog)
    site = Site(catalog, urls, keys)  # the error pages and the default route speak as the pages do
    app = _Watched(
        routes=[
            *api_routes,
            *page_routes(catalog, urls, keys),
            *machine_routes.routes(catalog, urls, settings.site_title),
        ],
        exception_handlers={
            CatalogError: _catalog_error(site),
            HTTPException: _http_error,
            Exception: errors.server_error,
        },
        middleware=[
            Middleware(CloseWhenBodyUnread),
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["*"],
                allow_headers=["*"],
                # What a script of another site needs to read besides the safelisted headers: the
                # ETag its If-Match and If-None-Match send back, a retry's delay, a request's id.
                expose_headers=EXPOSED_HEADERS,
            ),
        ],
    )
    app.state.services = services
    app.state.metrics = metrics
    current_copies = partial(CurrentCopies, catalog=catalog, reserved=reserved_names(api_routes))
    app.wrap = lambda inner: Utf8Query(
        Watched(
            Probes(current_copies(inner), catalog, metrics, settings.ready_max_index_lag),
            metrics,
            EVERY_ANSWER,
        )
    )
    app.router.redirect_slashes = False
    app.router.default = _slash_or_not_found(app, site)
    return app


# What a path keeps as sent when it is put in a Location (RFC 3986's pchar, the escapes kept).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_PERMALINK = re.compile(r"^(/api/1|/[a-z]{2})?/datasets/r/[^/]+/?$")


def _catalog_error(site: Site) -> Callable[[Request, Exception], Awaitable[Response]]:
    """udata's JSON errors; but people follow permalinks in browsers: one that prefers HTML and
    finds no file is shown the site's 404 (or 410) page in its language, as udata shows its own
    (udata-responses call 49); scripts, and ``*/*``, get the JSON."""

    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CatalogError)
        if (
            isinstance(exc, NotFound | Gone)
            and request.method in ("GET", "HEAD")
            and _PERMALINK.match(request.url.path)
            and best_match(request.headers.get("accept"), ("application/json", "text/html")) == "text/html"
        ):
            visit = Visit.of(request)
            await sign_in_visit(site, visit)
            gone = isinstance(exc, Gone)
            page = visit.page("gone.html" if gone else "not_found.html", status=410 if gone else 404)
            page.headers["Vary"] = f"Accept, {page.headers['Vary']}"
            return page
        if isinstance(exc, Locked) and _a_browser_form(request):
            # Read-only mode met by a page's form (a new dataset, link or proposal): a page
            # that says so in the visitor's language, not the API's JSON.
            visit = Visit.of(request)
            await sign_in_visit(site, visit)
            return visit.page("read_only.html", status=423)
        if _a_browser_page(request, any_method=True) and not request.url.path.startswith("/resources/"):
            return await _error_page(site, request, exc)
        return errors.catalog_error(request, exc)

    return answer


async def _error_page(site: Site, request: Request, exc: CatalogError) -> Response:
    """Any other refusal met by a page (the database down, a write that lost a race, too many
    at once): the site's error page with the API's status, in the visitor's language, not JSON."""
    said = errors.catalog_error(request, exc)  # its status and headers (Retry-After), its log line
    visit = Visit.of(request)
    if not isinstance(exc, Unavailable):  # who is signed in is read from the database
        await sign_in_visit(site, visit)
    page = visit.page(
        "error.html", status=said.status_code, code=said.status_code, reason=_reason(said, visit)
    )
    if "retry-after" in said.headers:
        page.headers["Retry-After"] = said.headers["retry-after"]
    return page


def _reason(said: Response, visit: Visit) -> str | None:
    """A 400's single message, when the page's language can say it (a dataset at its file limit:
    the page said only that nothing was done)."""
    if said.status_code != 400:
        return None
    try:
        message = json.loads(bytes(said.body)).get("message")
    except (ValueError, AttributeError):
        return None
    if not isinstance(message, str):
        return None
    worded = form_errors.in_language(message, i18n.translations(visit.language).gettext)
    return worded if worded != message or visit.language == "en" else None


def _http_error(request: Request, exc: Exception) -> Response:
    """udata's JSON errors, but for a page's address asked with a method it does not take: with
    GET (a form's address bookmarked or reloaded), or by a browser (a form sent to a page): the
    site's error page, not JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and not request.url.path.startswith("/api/"):
        wants_page = (
            best_match(request.headers.get("accept"), ("application/json", "text/html")) == "text/html"
        )
        if request.method in ("GET", "HEAD") or wants_page:  # a form sent to a page's address too
            page = Visit.of(request).page("not_found.html", status=405, code=405, method=request.method)
            page.headers.update(dict(exc.headers or {}))
            return page
    return errors.http_error(request, exc)


def _slash_or_not_found(app: Starlette, site: Site) -> ASGIApp:
    """werkzeug's strict slashes: a known route asked without its slash answers 308."""

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if not path.endswith("/"):
            slashed = {**scope, "path": path + "/"}
            matched = next((r for r in app.router.routes if r.matches(slashed)[0] != Match.NONE), None)
            if matched is not None:
                # Logged and counted as that route (a password reset link's token stays out of
                # the access log: ops/watch.py logs such a route by its template).
                scope["opencat.route"] = getattr(matched, "path", None) or scope.get("opencat.route")
                # The path as the client encoded it: Location must stay ASCII; one leading slash
                # (``//host/…`` would send the browser to another site).
                # Raw bytes beyond ASCII (a client that sent UTF-8 unencoded) are percent-encoded
                # once here, as werkzeug does, rather than read as Latin-1 and encoded again.
                raw = quote(scope.get("raw_path") or path.encode(), safe=_PATH_SAFE)
                query = scope.get("query_string", b"").decode("latin-1")
                # Absolute, on the public root, as werkzeug's ``make_redirect_url`` builds it.
                base = app.state.services.urls.base
                location = f"{base}/" + raw.lstrip("/") + "/" + (f"?{query}" if query else "")
                await redirect(location)(scope, receive, send)
                return
        request = Request(scope, receive)
        if _a_browser_page(request, any_method=True):  # a form sent to no address: a page too
            visit = Visit.of(request)
            await sign_in_visit(site, visit)  # the header says who is signed in, as on every page
            page = visit.page("not_found.html", status=404)
            page.headers["Vary"] = f"Accept, {page.headers['Vary']}"
            await page(scope, receive, send)
            return
        answer = errors.json_response({"message": errors.NOT_FOUND}, 404)
        if not request.url.path.startswith("/api/"):
            answer.headers["Vary"] = "Accept"  # a cache keeps the browser's page and this apart
        await answer(scope, receive, send)

    return default


def _a_browser_form(request: Request) -> bool:
    """A page's form sent by a browser (the upload script asks for JSON and keeps it)."""
    return (
        request.method == "POST"
        and not request.url.path.startswith("/api/")
        and best_match(request.headers.get("accept"), ("application/json", "text/html")) == "text/html"
    )


def _a_browser_page(request: Request, any_method: bool = False) -> bool:
    """A browser asking for a page outside the API (or, ``any_method``, sending it a form): the
    site's error page, not JSON."""
    return (
        (any_method or request.method in ("GET", "HEAD"))
        and not request.url.path.startswith("/api/")
        and best_match(request.headers.get("accept"), ("application/json", "text/html")) == "text/html"
    )
