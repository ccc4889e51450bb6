"""Who may download what: the permalink and the files of our own store follow their dataset's
visibility (private is 404 to whoever may not see it, deleted is 410), unlike udata (compatibility.md)."""

from opencat.catalog.access import check_readable, readable_dataset
from opencat.catalog.community import check_community_readable
from opencat.catalog.context import Catalog
from opencat.db import community as db_community
from opencat.db import datasets as db_datasets
from opencat.db import resources as db_resources
from opencat.db.engine import Connection
from opencat.domain import ids
from opencat.domain.accounts import ANONYMOUS, Actor
from opencat.domain.community import can_read_community
from opencat.domain.datasets import Dataset, Resource
from opencat.domain.errors import Gone, NotFound, Reason
from opencat.domain.links import is_followable


def follow_permalink(catalog: Catalog, actor: Actor, resource_id: str, counted: bool = True) -> str:
    """The current URL of a resource the caller may read, counting the download unless
    ``counted`` is off (a HEAD: link checkers and crawlers download nothing) (udata:
    udata/core/dataset/api.py, ResourceRedirectAPI)."""
    canonical = ids.parse_uuid(resource_id)
    if canonical is None:
        raise NotFound(Reason.PERMALINK_MISSING)
    with catalog.db.write() if counted else catalog.db.read() as conn:
        found = db_resources.find_anywhere(conn, canonical)
        if found is not None:
            dataset_id, resource = found
            _check_dataset_readable(conn, actor, dataset_id)
            url = _followable(resource.url)
            if counted:
                db_resources.count_download(conn, dataset_id, resource.id)
            return url
        proposed = db_community.find(conn, canonical)
        if proposed is None:
            raise NotFound(Reason.PERMALINK_MISSING)
        check_community_readable(conn, actor, proposed, Reason.PERMALINK_MISSING)
        url = _followable(proposed.resource.url)
        if counted:
            db_community.count_download(conn, proposed.id)
        return url


def _followable(stored: str) -> str:
    """The URL a permalink redirects to; a stored one no browser should be sent to (a
    ``javascript:`` address a load of documents brought: the API refuses them) is not found."""
    url = stored.strip()
    if not is_followable(url):
        raise NotFound(Reason.PERMALINK_MISSING)
    return url


def download_of(
    catalog: Catalog, actor: Actor, dataset_ident: str, resource_id: str, counted: bool = True
) -> Resource:
    """A file of a dataset the caller may read, its download counted unless ``counted`` is off
    (a HEAD) (the pages' download of a private or deleted dataset's file: the permalink and the
    store's files know only API keys)."""
    canonical = ids.parse_uuid(resource_id)
    with catalog.db.write() if counted else catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, dataset_ident)
        found = None if canonical is None else db_resources.find(conn, dataset.id, canonical)
        if found is None:
            raise NotFound(Reason.RESOURCE_MISSING)
        if counted:
            db_resources.count_download(conn, dataset.id, found.id)
        return found


def community_download_of(
    catalog: Catalog, actor: Actor, dataset_ident: str, community_id: str, counted: bool = True
) -> Resource:
    """A community resource proposed on a dataset the caller may read, as ``download_of`` (who may
    read the dataset may read what is proposed on it: no second check, no second read)."""
    canonical = ids.parse_uuid(community_id)
    with catalog.db.write() if counted else catalog.db.read() as conn:
        dataset = readable_dataset(conn, actor, dataset_ident)
        found = None if canonical is None else db_community.find(conn, canonical)
        if found is None or found.dataset_id != dataset.id:
            raise NotFound()  # udata's converter: werkzeug's NotFound
        if counted:
            db_community.count_download(conn, found.id)
        return found.resource


def check_file_readable(catalog: Catalog, actor: Actor, key: str) -> bool:
    """A stored file is served only as part of a resource or community resource the caller may
    read; a file no resource holds (replaced, or never published) is not served at all. Whether
    anyone may read it: only such a file may be kept by a shared cache (decided on the rows the
    caller's check read: no second query for a resource's file)."""
    with catalog.db.read() as conn:
        dataset_id = db_resources.dataset_of_file(conn, key)
        if dataset_id is not None:
            dataset = _check_dataset_readable(conn, actor, dataset_id)
            try:
                check_readable(ANONYMOUS, dataset)
            except (NotFound, Gone):
                return False
            return True
        proposed = db_community.find_by_file(conn, key)
        if proposed is None:
            raise NotFound()
        check_community_readable(conn, actor, proposed)
        if actor.user is None:
            return True
        proposed_on = db_datasets.find_by_id(conn, proposed.dataset_id) if proposed.dataset_id else None
        return can_read_community(ANONYMOUS, proposed, proposed_on)


def _check_dataset_readable(conn: Connection, actor: Actor, dataset_id: str) -> Dataset:
    dataset = db_datasets.find_by_id(conn, dataset_id)
    if dataset is None:
        raise NotFound(Reason.PERMALINK_MISSING)
    try:
        check_readable(actor, dataset)
    except Gone:
        raise
    except NotFound:
        raise NotFound(Reason.PERMALINK_MISSING) from None
    return dataset
