"""Which slugs ``unique_slug`` would try are taken, by exact lookups (``db/slugs.py``), for the three
kinds of slugged rows, on both databases."""

from opencat.catalog.context import Catalog
from opencat.db import accounts as db_accounts
from opencat.db import datasets as db_datasets
from opencat.db.slugs import SLUG_BATCH
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
