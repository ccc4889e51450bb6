"""The page handlers: read the request, call the catalog's use cases as the signed-in visitor (or
an anonymous one), render a template. Errors of the page routes are pages too (404, 410), never JSON."""

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from opencat.catalog import accounts, faceted_search, history, references, sessions, spatial
from opencat.catalog import datasets as catalog_datasets
from opencat.catalog.context import Catalog
from opencat.catalog.preview import Preview, PreviewUnavailable, preview
from opencat.domain import periods, permissions
from opencat.domain.accounts import ANONYMOUS, Actor, User
from opencat.domain.community import can_edit_community, can_remove_community
from opencat.domain.dates import utc_now
from opencat.domain.errors import Gone, Moved, NotFound
from opencat.domain.queries import ActivityQuery, DatasetQuery
from opencat.domain.search import SearchFilters, visibility_of
from opencat.domain.spatial import referential_zone_id
from opencat.domain.urls import Urls
from opencat.web import i18n
from opencat.web.markdown import page_markdown
from opencat.web.query import (
    FACETS,
    SORTS,
    SearchState,
    coverage,
    custom_period,
    dataset_query,
    period_links,
    read_state,
)
from opencat.web.render import CSP, render
from opencat.web.signin import Keys, session_token
from opencat.web.views import dataset_page_context, history_names

Handler = Callable[[Request], Awaitable[Response]]
# The dataset page shows this many of its latest changes; the API serves the whole history.
HISTORY_SIZE = 20


@dataclass(frozen=True, slots=True)
class Site:
    catalog: Catalog
    urls: Urls
    keys: Keys


@dataclass(slots=True)
class Visit:
    """One request's language and the switch's links."""

    request: Request
    language: str
    switch: dict[str, str] = field(default_factory=dict)
    actor: Actor = ANONYMOUS  # who is signed in: the pages read as the API reads for this actor

    @property
    def user(self) -> User | None:
        return self.actor.user

    @classmethod
    def of(cls, request: Request) -> "Visit":
        language = i18n.choose(
            request.query_params.get("lang"),
            request.cookies.get(i18n.COOKIE),
            request.headers.get("accept-language"),
        )
        path, pairs = request.url.path, list(request.query_params.multi_items())
        if request.method not in ("GET", "HEAD"):
            # A form's answer is at an address only a form may be sent to: the switch opens the
            # page the form was on instead (a 405 otherwise).
            path, pairs = _page_before(request)
        pairs = [(k, v) for k, v in pairs if k != "lang"]
        path = on_site(path)
        switch = {}
        for code in i18n.LANGUAGES:
            query = "&".join(f"{quote(k)}={quote(v)}" for k, v in [*pairs, ("lang", code)])
            switch[code] = f"{path}?{query}"
        return cls(request, language, switch)

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        body = render(self.language, template, visit=self, path=on_site(self.request.url.path), **context)
        response = HTMLResponse(body, status_code=status, headers=_headers(self.language))
        # A signed-in visitor's page may show what only they may see (a private dataset, its place
        # in a search): no shared cache keeps it, whatever its Vary says. Anyone's page is asked
        # again before a cache shows it (without a policy, a cache kept it for its own default
        # time, and a dataset made private or deleted stayed there for anonymous visitors).
        response.headers.setdefault("Cache-Control", "private" if self.actor.user is not None else "no-cache")
        if self.request.query_params.get("lang") in i18n.LANGUAGES:
            # The switch's choice is remembered for the next pages.
            response.set_cookie(i18n.COOKIE, self.language, max_age=365 * 86400, samesite="lax")
        return response


def on_site(path: str) -> str:
    """A path asked for, as a link of this site's: one leading slash (``//evil.example/x``, or
    ``/%2F%2Fevil.example/`` decoded, would be a link to another site)."""
    return "/" + path.lstrip("/")


def _page_before(request: Request) -> tuple[str, list[tuple[str, str]]]:
    """The path and arguments of the page a form was sent from (the Referer, which the pages'
    Referrer-Policy sends to this site only), or the home page."""
    came_from = urlsplit(request.headers.get("referer") or "")
    if came_from.netloc != request.url.netloc or not came_from.path.startswith("/"):
        return "/", []
    return came_from.path, parse_qsl(came_from.query)


def _headers(language: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "Content-Language": language,
        "Vary": "Accept-Language, Cookie",
        "Referrer-Policy": "same-origin",
    }


def form_text(form: FormData, name: str) -> str:
    """A form's text field as an API client would send it: browsers send a textarea's line breaks
    as CRLF (HTML's form encoding), stored as LF so that a form saved untouched changes nothing."""
    return str(form.get(name) or "").replace("\r\n", "\n").replace("\r", "\n")


# A NUL in a form's text (PostgreSQL's text cannot hold one; the API refuses it too).
NUL_REFUSED = "This field cannot hold a NUL character."


def nul_refusals(values: dict[str, str], gettext: Callable[[str], str]) -> dict[str, list[str]]:
    """The fields holding NUL, each with its refusal in the page's language ({} when none)."""
    return {name: [gettext(NUL_REFUSED)] for name, value in values.items() if "\x00" in value}


def without_nul(values: dict[str, str]) -> dict[str, str]:
    """What was typed, shown again without its NUL characters."""
    return {name: value.replace("\x00", "") for name, value in values.items()}


def _as_shown(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def unless_unchanged(sent: str, stored: str | None) -> str:
    """A form's text, or the stored one when the form sent it back as it was shown: a browser shows
    a stored CR or CRLF as LF and sends CRLF back, drops a leading line break, and the field may
    be trimmed; none of that is an edit to store (nor to record in the history)."""
    if stored is not None and _as_shown(stored) == _as_shown(sent):
        return stored
    return sent


def untouched_blanks_left_out(
    values: dict[str, str], names: Iterable[str], shown: dict[str, str]
) -> dict[str, str]:
    """The API body of an edit form's fields, without those left blank that were blank when the
    form was shown: an empty field cannot say null from "", and saving a form untouched must not
    turn a null description into "" (nor record that as a change)."""
    return {name: values[name] for name in names if values[name] or shown.get(name, "") != ""}


def holds_nul(pairs: Iterable[tuple[str, Any]]) -> bool:
    """Whether a query's or a form's names or text values hold NUL (files are not looked into)."""
    return any("\x00" in name or (isinstance(value, str) and "\x00" in value) for name, value in pairs)


async def sign_in_visit(site: Site, visit: Visit) -> None:
    """Who is signed in, for the page (one query, only when a session cookie with a valid signature came)."""
    token = session_token(visit.request, site.keys)
    if token is not None:
        visit.actor = await run_in_threadpool(sessions.session_actor, site.catalog, token)


def guard(handler: Callable[[Site, Visit], Awaitable[Response]], site: Site) -> Handler:
    """The page's errors as pages: 404, 410 for a deleted dataset, a redirect for an old slug; the
    visit knows who is signed in (one query, only when a session cookie with a valid signature came)."""

    async def endpoint(request: Request) -> Response:
        visit = Visit.of(request)
        # No name or argument holds NUL; PostgreSQL would refuse it mid-query (a 500).
        if "\x00" in request.scope["path"]:
            return visit.page("not_found.html", status=404)
        if holds_nul(request.query_params.multi_items()):  # a link, not a form: no "form refused"
            return visit.page("bad_address.html", status=400)
        await sign_in_visit(site, visit)
        try:
            return await handler(site, visit)
        except Moved as moved:
            return RedirectResponse(_moved_to(request, moved.location_ident), status_code=308)
        except Gone:
            return visit.page("gone.html", status=410)
        except NotFound:
            return visit.page("not_found.html", status=404)

    return endpoint


def _moved_to(request: Request, slug: str) -> str:
    """The same page of the dataset, organization or user under its current slug: a dataset's
    download, curation... pages too, with the query kept."""
    path = request.url.path
    kind = path.split("/")[1]  # datasets, organizations, users
    asked = f"/{kind}/{request.path_params.get('slug', '')}/"
    rest = path[len(asked) :] if path.startswith(asked) else ""
    query = request.url.query
    return f"/{kind}/{quote(slug)}/{quote(rest)}" + (f"?{query}" if query else "")


def _facets(
    catalog: Catalog, result: faceted_search.SearchResult, language: str, state: SearchState
) -> tuple[dict[str, list[tuple[str, str, int]]], dict[str, dict[str, str]]]:
    """Each facet's buckets as (value, label, count): organizations, licenses, zones and
    granularities by their names (in the page's language where they have one); and the labels
    of the values chosen, which a search matching nothing has no bucket of (their chips showed
    ids)."""
    chosen = {name: state.values(name) for name in FACETS}
    licenses = {
        item.id: i18n.license_title(item.title, language) for item in references.list_licenses(catalog)
    }
    zones = spatial.zone_names(
        catalog, [key for key, _ in result.facets.get("geozone", [])] + list(chosen["geozone"])
    )
    granularities = dict(spatial.list_granularities(catalog, language))
    shown: dict[str, list[tuple[str, str, int]]] = {}
    labelled: dict[str, dict[str, str]] = {}
    for name in FACETS:
        buckets = result.facets.get(name, [])
        labels: dict[str, str] = {}
        if name == "organization":
            labels = {key: org.name for key, org in result.organizations.items()}
        elif name == "license":
            labels = licenses
        elif name == "geozone":
            labels = zones
        elif name == "granularity":
            labels = granularities
        elif name == "badge":
            labels = {
                key: i18n.badge_label(key, language) for key in [*(key for key, _ in buckets), *chosen[name]]
            }
        lines = [(key, labels.get(key, key), count) for key, count in buckets]
        shown[name] = _named_apart(_one_line_per_zone(lines), granularities) if name == "geozone" else lines
        labelled[name] = {value: labels.get(value, value) for value in chosen[name]}
    return shown, labelled


def _named_apart(lines: list[tuple[str, str, int]], levels: dict[str, str]) -> list[tuple[str, str, int]]:
    """Zones of one name at several levels (Lyon the commune, Lyon the arrondissement) said with
    their level's name, so that the lines differ."""
    counted = Counter(label for _, label, _ in lines)
    return [
        (key, f"{label} ({levels.get(key.rsplit(':', 1)[0], key.rsplit(':', 1)[0])})", count)
        if counted[label] > 1 and ":" in key
        else (key, label, count)
        for key, label, count in lines
    ]


def _one_line_per_zone(lines: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """A dataset's zones are indexed in their stored spelling and in the referential's
    (``fr:commune:04070@1988-06-25`` and ``fr:commune:04070``): one line per known zone, by its
    referential id, counting each dataset once (every dataset holds both spellings)."""
    merged: dict[str, tuple[str, str, int]] = {}
    for key, label, count in lines:
        known = label != key
        value = referential_zone_id(key) if known else key
        earlier = merged.get(value)
        merged[value] = (value, label, max(count, earlier[2] if earlier else 0))
    return sorted(merged.values(), key=lambda line: -line[2])


def _search(site: Site, visit: Visit, state: SearchState, base: SearchFilters | None) -> dict[str, Any]:
    """A search page's results and facets; a signed-in visitor's hidden datasets are among them."""
    if state.past_the_pages:
        raise NotFound()  # past the end, as a page past the results' last
    visibility = visibility_of(visit.actor) if visit.user is not None else None
    result = faceted_search.search(
        site.catalog,
        dataset_query(state, base),
        more_facets={"geozone": "zones"},
        periods=periods.offered(coverage(state), site.catalog.clock().date()),
        fresh_counts=False,  # a visitor need not wait for a recount after each write
        visibility=visibility,
        sampled_counts=True,  # the counts of a very large result set estimated (shown as such)
    )
    facets, chosen_labels = _facets(site.catalog, result, visit.language, state)
    if base is not None and base.organization is not None:
        facets["organization"] = []  # an organization's page: its own name, alone, narrows nothing
    links = period_links(state, visit.request.url.path, result.periods)
    return {
        "result": result,
        "facets": facets,
        "chosen_labels": chosen_labels,
        "periods": links,
        "custom_period": custom_period(state, links),
        "state": state,
        "sorts": SORTS,
    }


async def home(site: Site, visit: Visit) -> Response:
    def load() -> dict[str, Any]:
        def first(
            sort: str | None, featured: bool | None = None, size: int = 6
        ) -> faceted_search.SearchResult:
            query = DatasetQuery(page_size=size, sort=sort, filters=SearchFilters(featured=featured))
            # The largest organizations and tags as counted just before the last write, while a
            # thread counts again: after each write, a recount of the whole catalog's facets (~0.3 s
            # at a million datasets) is not the next visitor's wait. The datasets and the total are
            # current.
            return faceted_search.search(site.catalog, query, fresh_counts=False)

        recent = first("-last_update")
        return {
            "total": recent.page.total,
            "recent": recent.page.items,
            "featured": first(None, featured=True).page.items,
            "organizations": [
                (result_org, count)
                for key, count in recent.facets["organization"][:8]
                if (result_org := recent.organizations.get(key)) is not None
            ],
            "tags": recent.facets["tag"][:16],
        }

    return visit.page("home.html", **await run_in_threadpool(load))


def _results(
    site: Site, visit: Visit, state: SearchState, base: SearchFilters | None
) -> dict[str, Any] | None:
    """``_search``'s, or None for a page past the results' end (the caller answers ``_past_the_end``)."""
    try:
        return _search(site, visit, state, base)
    except NotFound:
        if state.page == 1 and not state.past_the_pages:
            raise
        return None


def _past_the_end(visit: Visit, state: SearchState) -> Response:
    """A page past the end (the results shrank, an old link): the 404 that leads back to the
    results' first page, not to a search of everything."""
    return visit.page("not_found.html", status=404, first_page=state.url(visit.request.url.path))


async def search(site: Site, visit: Visit) -> Response:
    state = read_state(visit.request.query_params.multi_items())
    context = await run_in_threadpool(_results, site, visit, state, None)
    if context is None:
        return _past_the_end(visit, state)
    return visit.page("search.html", **context)


async def dataset(site: Site, visit: Visit) -> Response:
    slug = str(visit.request.path_params["slug"])

    def load() -> dict[str, Any]:
        view = catalog_datasets.get_dataset(site.catalog, visit.actor, slug, with_community=True)
        if view.dataset.slug != slug:  # asked by id: the page's one address is its slug
            raise Moved(view.dataset.slug)
        params = visit.request.query_params
        wanted = params.get("preview")
        context = dataset_page_context(
            site.catalog, site.urls, view, visit.language, utc_now(), params.get("resources"), wanted
        )
        context["editable"] = permissions.can_edit(visit.actor, view.dataset)
        # The community resources this visitor may change (their proposer's, the API's rule), and
        # those they may remove (also the dataset's editors, who review proposals).
        context["community_editable"] = {
            found.item.id for found in view.community_resources if can_edit_community(visit.actor, found.item)
        }
        context["community_removable"] = {
            found.item.id
            for found in view.community_resources
            if can_remove_community(visit.actor, found.item, view.dataset)
        }
        if context["editable"]:  # the history is for those who may edit (issue 14)
            query = ActivityQuery(related_to=view.dataset.id, page_size=HISTORY_SIZE)
            context["history"] = history.list_activity(site.catalog, visit.actor, query)
            shown = context["history"].items
            context["history_names"] = history_names(
                site.catalog,
                visit.language,
                history.account_names(site.catalog, shown),
                sorted(history.zone_ids_named(shown)),
            )
            context["history_url"] = site.urls.api(f"activity/?related_to={view.dataset.id}")
        if wanted and any(resource.id == wanted for resource in view.resources):
            context["shown"] = _preview(site.catalog, visit.actor, view.dataset.id, wanted)
        return context

    return visit.page("dataset.html", **await run_in_threadpool(load))


async def organization(site: Site, visit: Visit) -> Response:
    slug = str(visit.request.path_params["slug"])
    state = read_state(visit.request.query_params.multi_items())

    def load() -> dict[str, Any] | None:
        found = accounts.get_organization(site.catalog, slug)
        if found.organization.slug != slug:  # asked by id: one address a page, as a dataset's
            raise Moved(found.organization.slug)
        results = _results(site, visit, state, SearchFilters(organization=found.organization.id))
        if results is None:
            return None
        # Whole, as Markdown (as a dataset's): cut to 600 characters of plain text, its links and
        # its end were lost.
        described = page_markdown(
            found.organization.description or "", i18n.translations(visit.language).gettext
        )
        return {"org": found, "description": described, **results}

    context = await run_in_threadpool(load)
    if context is None:
        return _past_the_end(visit, state)
    return visit.page("organization.html", **context)


async def user(site: Site, visit: Visit) -> Response:
    slug = str(visit.request.path_params["slug"])
    state = read_state(visit.request.query_params.multi_items())

    def load() -> dict[str, Any] | None:
        found = accounts.get_user(site.catalog, slug)  # the public page: gone to everyone
        if found.slug != slug:  # asked by id: one address a page, as a dataset's
            raise Moved(found.slug)
        results = _results(site, visit, state, SearchFilters(owner=found.id))
        return None if results is None else {"user": found, **results}

    context = await run_in_threadpool(load)
    if context is None:
        return _past_the_end(visit, state)
    return visit.page("user.html", **context)


@dataclass(frozen=True, slots=True)
class Shown:
    """The preview asked for on a dataset page: its table, or why there is none."""

    resource_id: str
    table: Preview | None = None
    why: str | None = None


def _preview(catalog: Catalog, actor: Actor, dataset_id: str, resource_id: str) -> Shown:
    try:
        return Shown(resource_id, table=preview(catalog, actor, dataset_id, resource_id))
    except PreviewUnavailable as unavailable:
        return Shown(resource_id, why=str(unavailable.why))


def guarded(site: Site) -> dict[str, Handler]:
    return {
        name: guard(handler, site)
        for name, handler in {
            "home": home,
            "search": search,
            "dataset": dataset,
            "organization": organization,
            "user": user,
        }.items()
    }
