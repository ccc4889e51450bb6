"""Deleting a dataset from the browser, after a confirmation page (``/datasets/{slug}/delete/``):
the API's soft delete (``catalog/datasets.delete_dataset``), so the dataset answers 410 to the
public and stays readable by its editors, as after a ``DELETE`` of the API."""

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from opencat.catalog import datasets as catalog_datasets
from opencat.web.pages import Handler, Site, Visit, guard
from opencat.web.resource_forms import open_editable, open_editable_form, page_with_token


async def delete_form(site: Site, visit: Visit) -> Response:
    opened = await open_editable(site, visit)
    if isinstance(opened, Response):
        return opened
    token, view = opened
    return page_with_token(site, visit, token, "dataset_delete.html", view=view)


async def delete(site: Site, visit: Visit) -> Response:
    opened = await open_editable_form(site, visit)
    if isinstance(opened, Response):
        return opened
    _, view, _ = opened
    await run_in_threadpool(catalog_datasets.delete_dataset, site.catalog, visit.actor, view.dataset.id)
    # The publisher's datasets, where it now shows as deleted (its own page would say 410), with
    # a line saying it was.
    return RedirectResponse(f"/account/?deleted={view.dataset.id}", status_code=303)


def handlers(site: Site) -> dict[str, Handler]:
    pages: dict[str, Callable[[Site, Visit], Awaitable[Response]]] = {
        "delete_form": delete_form,
        "delete": delete,
    }
    return {name: guard(handler, site) for name, handler in pages.items()}
