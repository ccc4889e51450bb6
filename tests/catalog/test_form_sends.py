"""A creating form sent once (``db/form_submissions``), on both databases: sent again, at once
from several threads, or refused first, it makes one dataset (or adds one link); a day later the
record is gone."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from opencat.catalog.context import Catalog
from opencat.catalog.datasets import create_dataset, get_dataset
from opencat.catalog.form_sends import FORMS_KEPT, forget_old_forms
from opencat.catalog.resources import add_resource, delete_resource
from opencat.domain.changes import DatasetChanges, ResourceChanges, Submitted
from tests.factories import make_user


def _submitted(title: str) -> Submitted[DatasetChanges]:
    return Submitted.of(DatasetChanges(title=title, description="d"))


def test_one_form_sent_at_once_from_several_threads_makes_one_dataset(catalog: Catalog) -> None:
    me = make_user(catalog)
    once = secrets.token_hex(16)
    with ThreadPoolExecutor(6) as pool:
        views = list(
            pool.map(
                lambda _: create_dataset(catalog, me.actor(catalog), _submitted("At once"), once=once),
                range(6),
            )
        )
    assert {view.dataset.id for view in views} == {views[0].dataset.id}


def test_another_users_token_or_none_of_ours_makes_a_dataset_as_ever(catalog: Catalog) -> None:
    me, other = make_user(catalog), make_user(catalog)
    once = secrets.token_hex(16)
    mine = create_dataset(catalog, me.actor(catalog), _submitted("Mine"), once=once).dataset
    theirs = create_dataset(catalog, other.actor(catalog), _submitted("Theirs"), once=once).dataset
    assert (theirs.id != mine.id, theirs.owner_id) == (True, other.user.id)
    odd = [
        create_dataset(catalog, me.actor(catalog), _submitted("Odd"), once="not-ours").dataset
        for _ in range(2)
    ]
    assert odd[0].id != odd[1].id  # a token no page of ours made is no token


def test_the_record_is_forgotten_after_a_day(catalog: Catalog) -> None:
    me = make_user(catalog)
    once = secrets.token_hex(16)
    first = create_dataset(catalog, me.actor(catalog), _submitted("Kept a day"), once=once).dataset
    assert forget_old_forms(catalog) == 0
    later = replace(catalog, clock=lambda: catalog.clock() + FORMS_KEPT * 2)
    assert forget_old_forms(later) == 1
    again = create_dataset(catalog, me.actor(catalog), _submitted("Kept a day"), once=once).dataset
    assert again.id != first.id


def test_a_form_sent_again_after_its_dataset_was_deleted_makes_a_new_one(catalog: Catalog) -> None:
    from opencat.catalog.datasets import delete_dataset

    me = make_user(catalog)
    once = secrets.token_hex(16)
    first = create_dataset(catalog, me.actor(catalog), _submitted("Deleted since"), once=once).dataset
    delete_dataset(catalog, me.actor(catalog), first.id)
    again = create_dataset(catalog, me.actor(catalog), _submitted("Deleted since"), once=once).dataset
    assert (again.id != first.id, again.deleted) == (True, None)
    # Sent once more (the back button to the filled form, a double click): the one made again.
    once_more = create_dataset(catalog, me.actor(catalog), _submitted("Deleted since"), once=once).dataset
    assert once_more.id == again.id


def _link(title: str) -> Submitted[ResourceChanges]:
    return Submitted.of(
        ResourceChanges(title=title, url="https://example.org/l.csv", filetype="remote", type="main")
    )


def test_one_link_form_sent_at_once_from_several_threads_adds_one_link(catalog: Catalog) -> None:
    me = make_user(catalog)
    dataset = create_dataset(catalog, me.actor(catalog), _submitted("Links")).dataset
    once = secrets.token_hex(16)
    with ThreadPoolExecutor(6) as pool:
        added = list(
            pool.map(
                lambda _: add_resource(catalog, me.actor(catalog), dataset.id, _link("Once"), once=once),
                range(6),
            )
        )
    assert {resource.id for resource in added} == {added[0].id}
    assert [r.title for r in get_dataset(catalog, me.actor(catalog), dataset.id).resources] == ["Once"]


def test_a_link_form_sent_again_after_its_link_was_removed_adds_it_again(catalog: Catalog) -> None:
    me = make_user(catalog)
    dataset = create_dataset(catalog, me.actor(catalog), _submitted("Links")).dataset
    once = secrets.token_hex(16)
    first = add_resource(catalog, me.actor(catalog), dataset.id, _link("Removed since"), once=once)
    delete_resource(catalog, me.actor(catalog), dataset.id, first.id)
    again = add_resource(catalog, me.actor(catalog), dataset.id, _link("Removed since"), once=once)
    assert again.id != first.id
    once_more = add_resource(catalog, me.actor(catalog), dataset.id, _link("Removed since"), once=once)
    assert once_more.id == again.id
    assert [r.id for r in get_dataset(catalog, me.actor(catalog), dataset.id).resources] == [again.id]
    # Another dataset's form with a token taken here answers nothing of this one.
    other = create_dataset(catalog, me.actor(catalog), _submitted("Other")).dataset
    elsewhere = add_resource(catalog, me.actor(catalog), other.id, _link("Elsewhere"), once=once)
    assert elsewhere.id != again.id
    assert [r.title for r in get_dataset(catalog, me.actor(catalog), other.id).resources] == ["Elsewhere"]


def test_one_form_sent_at_once_after_its_dataset_was_deleted_makes_one_more(catalog: Catalog) -> None:
    from opencat.catalog.datasets import delete_dataset

    me = make_user(catalog)
    once = secrets.token_hex(16)
    first = create_dataset(catalog, me.actor(catalog), _submitted("Deleted, then at once"), once=once)
    delete_dataset(catalog, me.actor(catalog), first.dataset.id)
    with ThreadPoolExecutor(6) as pool:
        views = list(
            pool.map(
                lambda _: create_dataset(
                    catalog, me.actor(catalog), _submitted("Deleted, then at once"), once=once
                ),
                range(6),
            )
        )
    assert len({view.dataset.id for view in views}) == 1
    assert views[0].dataset.id != first.dataset.id
