"""Read-modify-write use cases from many threads at once, on both databases: nothing is lost."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import get_dataset, update_dataset
from opencat.catalog.resources import add_resource
from opencat.db import followers as db_followers
from opencat.domain.accounts import Actor
from opencat.domain.changes import DatasetChanges, ResourceChanges, Submitted
from opencat.domain.errors import PreconditionFailed
from tests.conftest import utc
from tests.factories import make_dataset, make_user

THREADS = 16


def _all_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; exceptions are returned, not raised."""
    barrier = threading.Barrier(count)

    def run(index: int) -> Any:
        barrier.wait()
        try:
            return work(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_if_match_writes_have_exactly_one_winner(catalog: Catalog) -> None:
    owner = make_user(catalog)
    actor = owner.actor(catalog)
    dataset = make_dataset(catalog, owner).dataset
    read = dataset.revision

    def write(index: int) -> str:
        changes = DatasetChanges(title=f"Title {index}", tags=(), temporal_coverage=None)
        return update_dataset(
            catalog,
            actor,
            dataset.id,
            Submitted.of(changes),
            expected_versions=frozenset({(dataset.id, read)}),
        ).dataset.title

    outcomes = _all_at_once(THREADS, write)
    winners = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, PreconditionFailed)]
    assert len(winners) == 1, outcomes
    assert len(refused) == THREADS - 1, outcomes
    stored = get_dataset(catalog, actor, dataset.id).dataset
    assert stored.title == winners[0]
    assert stored.revision == read + 1


def test_concurrent_resource_additions_are_all_kept(catalog: Catalog) -> None:
    owner = make_user(catalog)
    actor: Actor = owner.actor(catalog)
    dataset = make_dataset(catalog, owner).dataset

    def add(index: int) -> str:
        fields = ResourceChanges(title=f"r{index}", url=f"https://example.org/{index}", filetype="remote")
        return add_resource(catalog, actor, dataset.id, Submitted.of(fields)).id

    added = _all_at_once(THREADS, add)
    assert all(isinstance(item, str) for item in added), added
    view = get_dataset(catalog, actor, dataset.id)
    assert sorted(resource.id for resource in view.resources) == sorted(added)
    assert view.dataset.revision == 1 + THREADS
    # Each write is dated once it holds the dataset: the last one to commit has the newest date,
    # and the newest resource is first (the clock was read before waiting, out of commit order).
    newest = max(resource.created_at_internal for resource in view.resources)
    assert view.dataset.last_modified_internal == newest
    assert view.resources[0].created_at_internal == newest


def test_a_follow_whose_id_is_taken_is_an_error_not_an_existing_follow(catalog: Catalog) -> None:
    owner, first, second = make_user(catalog), make_user(catalog), make_user(catalog)
    dataset = make_dataset(catalog, owner).dataset
    now = utc(2024, 1, 1)
    with catalog.db.write() as conn:
        assert db_followers.follow(conn, "f" * 24, dataset.id, first.user.id, now)
    with pytest.raises(sa.exc.IntegrityError), catalog.db.write() as conn:
        db_followers.follow(conn, "f" * 24, dataset.id, second.user.id, now)
    with catalog.db.write() as conn:
        assert not db_followers.follow(conn, "e" * 24, dataset.id, first.user.id, now)
        assert db_followers.count(conn, dataset.id) == 1


def test_creates_and_renames_to_one_title_at_once_all_get_a_slug_of_their_own(catalog: Catalog) -> None:
    """On PostgreSQL, writers read the same free slug and all but a few failed on the unique index
    (409); they now take turns choosing it. ``Horaires 2`` slugifies to a candidate of ``horaires``."""
    from opencat.catalog.datasets import create_dataset

    owners = [make_user(catalog) for _ in range(4)]
    renamed = [make_dataset(catalog, owners[0], title=f"Other {n}").dataset for n in range(4)]

    def write(index: int) -> str:
        if index % 4 == 3:
            dataset = renamed[index // 4]
            changes = DatasetChanges(title="Horaires")
            return update_dataset(
                catalog, owners[0].actor(catalog), dataset.id, Submitted.of(changes)
            ).dataset.slug
        title = "Horaires 2" if index == 0 else "Horaires"
        changes = DatasetChanges(title=title, description="d")
        return create_dataset(catalog, owners[index % 3].actor(catalog), Submitted.of(changes)).dataset.slug

    outcomes = _all_at_once(THREADS, write)
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    assert len(set(outcomes)) == THREADS, outcomes
    assert all(slug.startswith("horaires") for slug in outcomes), outcomes


def test_a_reorder_chosen_on_an_older_version_is_refused_in_its_own_write(catalog: Catalog) -> None:
    """The files page checks the revision it showed before the write, and the write checks it
    again with the dataset's row held: a move between the two cannot slip in."""
    from opencat.catalog.resources import reorder_resources
    from opencat.domain.changes import Reorder

    owner = make_user(catalog)
    actor: Actor = owner.actor(catalog)
    links = [{"title": name, "url": f"https://example.org/{name}"} for name in "abc"]
    view = make_dataset(catalog, owner, resources=links)
    order = tuple(resource.id for resource in reversed(view.resources))
    shown = frozenset({(view.dataset.id, view.dataset.revision)})
    reorder_resources(catalog, actor, view.dataset.id, Submitted.of(Reorder(order, Submitted.of({}))), shown)
    with pytest.raises(PreconditionFailed):
        reorder_resources(
            catalog, actor, view.dataset.id, Submitted.of(Reorder(order[::-1], Submitted.of({}))), shown
        )
    assert [r.title for r in get_dataset(catalog, actor, view.dataset.id).resources] == ["c", "b", "a"]
