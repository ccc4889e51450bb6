"""Creating forms of the pages sent once (``web/sent_once``): a sending claimed in the
transaction that creates, and what an earlier one made. The record (``db/form_submissions``) is
kept a day: past it, a form kept open that long and sent again makes a new one, as any other
form would."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from opencat.catalog.context import Catalog
from opencat.db import form_submissions as db_forms
from opencat.db.engine import Connection

FORMS_KEPT = timedelta(days=1)


def forget_old_forms(catalog: Catalog) -> int:
    """Forget the forms sent more than ``FORMS_KEPT`` ago (the index keeper's chore); how many."""
    with catalog.db.write() as conn:
        return db_forms.forget_before(conn, catalog.clock() - FORMS_KEPT)


@dataclass(frozen=True, slots=True)
class Claim:
    """A sending this transaction records what it makes for (``record``): taken by it, or sent
    before by this user (``earlier``: what that made, which the caller answers with while it is
    there; gone since, what the caller makes again takes its place, so that the form sent once
    more answers it instead of making another)."""

    token: str | None
    mine: bool
    earlier: str | None = None

    def record(self, conn: Connection, made: str) -> None:
        if self.mine and self.token is not None:
            db_forms.made(conn, self.token, made)


NO_CLAIM = Claim(None, mine=False)


def claim(conn: Connection, sending: str | None, user_id: str | None, now: datetime) -> Claim:
    """Take the form's sending for this transaction. A refusal or a rollback frees it for the
    form sent again; once committed, the same sending finds what it made. A sending no page of
    ours made, or an anonymous caller's, claims nothing; another user's is none of this one's."""
    if user_id is None or not db_forms.is_token(sending):
        return NO_CLAIM
    assert sending is not None
    if db_forms.claim(conn, sending, user_id, now):
        return Claim(sending, mine=True)
    if not db_forms.hold(conn, sending, user_id):
        return NO_CLAIM
    return Claim(sending, mine=True, earlier=db_forms.target_of(conn, sending, user_id))
