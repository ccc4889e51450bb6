"""The publisher's pages: the dashboard of their datasets (``/account/``). Every page reads and
writes through the catalog's use cases as the signed-in user, as the API does with a key."""

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.catalog import dashboard
from opencat.web.pages import Handler, Site, Visit, guard

DASHBOARD = "/account/"


def to_login(path: str) -> Response:
    return RedirectResponse(f"/login?next={path}", status_code=303)


async def my_datasets(site: Site, visit: Visit) -> Response:
    if visit.user is None:
        return to_login(DASHBOARD)
    sections = await run_in_threadpool(dashboard.my_datasets, site.catalog, visit.actor)
    checks = await run_in_threadpool(dashboard.my_link_checks, site.catalog, visit.actor)
    changes = await run_in_threadpool(dashboard.my_recent_changes, site.catalog, visit.actor)
    # Just deleted from its own page (web/dataset_delete_pages.py): said, if it is listed here.
    asked = visit.request.query_params.get("deleted")
    just_deleted = next(
        (
            view.dataset.title
            for section in sections
            for view in section.datasets
            if view.dataset.id == asked and view.dataset.deleted is not None
        ),
        None,
    )
    response = visit.page(
        "dashboard.html", sections=sections, checks=checks, changes=changes, just_deleted=just_deleted
    )
    response.headers["Cache-Control"] = "private, no-store"  # hidden datasets are listed
    return response


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {"my_datasets": my_datasets}
    return {name: guard(handler, site) for name, handler in pages.items()}
