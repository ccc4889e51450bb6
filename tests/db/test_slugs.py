"""Which slugs ``unique_slug`` would try are taken, by exact lookups (``db/slugs.py``), for the three
kinds of slugged rows, on both databases."""

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db.slugs import LOOKUP_CHUNK, SLUG_BATCH, _choice_lock
from opencat.db.tables import datasets, harvest_sources
from opencat.domain.slugs import slug_candidates
from tests.factories import make_dataset, make_org, make_user


def test_the_taken_candidates_up_to_the_first_free_one_and_nothing_they_merely_prefix(
    catalog: Catalog,
) -> None:
    alice = make_user(catalog)
    for _ in range(3):
        make_org(catalog, "Ville")
    make_org(catalog, "Ville de Lyon")
    for _ in range(SLUG_BATCH + 3):
        make_dataset(catalog, alice, title="Budget")
    make_dataset(catalog, alice, title="Budget annexe")
    with catalog.db.read() as conn:
        assert db_accounts.organization_slugs_taken(conn, "ville") == {"ville", "ville-1", "ville-2"}
        assert db_accounts.organization_slugs_taken(conn, "lyon") == set()
        budgets = db_datasets.slugs_taken(conn, "budget")
        assert db_accounts.user_slugs_taken(conn, alice.user.slug) == {alice.user.slug}
    # Past the first batch: every candidate up to the first free one, which is not taken.
    assert budgets == {"budget"} | {f"budget-{n}" for n in range(1, SLUG_BATCH + 3)}


def test_the_harvesters_lookup_finds_held_slugs_past_one_querys_values(catalog: Catalog) -> None:
    """``slugs_held`` binds at most ``LOOKUP_CHUNK`` values per query: a slug in a later chunk
    is found too, and asking for one twice changes nothing."""
    alice = make_user(catalog)
    held = {make_dataset(catalog, alice, title=f"Relevé {n}").dataset.slug for n in range(3)}
    asked = [f"absent-{n}" for n in range(LOOKUP_CHUNK * 2)] + sorted(held) * 2
    with catalog.db.read() as conn:
        assert db_datasets.slugs_held(conn, asked) == held
        assert db_datasets.slugs_held(conn, []) == set()


def test_long_bases_whose_numbered_candidates_meet_share_the_choice_lock() -> None:
    """A numbered candidate cuts its base short to fit 255 characters: two bases alike in their
    first 253 characters both try ``…-1``, so their writers must take turns (on PostgreSQL, two
    such creates at once were a unique violation, a 500)."""
    alike = "c" + "a" * 252
    assert slug_candidates(alike + "bc", 1, 1) == slug_candidates(alike + "de", 1, 1)
    assert _choice_lock(harvest_sources.c.slug, alike + "bc") == _choice_lock(
        harvest_sources.c.slug, alike + "de"
    )
    assert _choice_lock(harvest_sources.c.slug, "ville") == _choice_lock(harvest_sources.c.slug, "ville-2")
    # "w-5-1" is the first free candidate of "w-5" once "w-5" is taken: both bases take turns
    assert _choice_lock(datasets.c.slug, "w-5") == _choice_lock(datasets.c.slug, "w-5-1")
    assert _choice_lock(harvest_sources.c.slug, "ville") != _choice_lock(harvest_sources.c.slug, "lyon")
    assert _choice_lock(harvest_sources.c.slug, "ville") != _choice_lock(datasets.c.slug, "ville")
