"""The record of creating forms already sent (``db/form_submissions``) is kept a day: past it, a
form kept open that long and sent again makes a new dataset, as any other form would."""

from datetime import timedelta

from opencat.catalog.context import Catalog
from opencat.db import form_submissions as db_forms

FORMS_KEPT = timedelta(days=1)


def forget_old_forms(catalog: Catalog) -> int:
    """Forget the forms sent more than ``FORMS_KEPT`` ago (the index keeper's chore); how many."""
    with catalog.db.write() as conn:
        return db_forms.forget_before(conn, catalog.clock() - FORMS_KEPT)
