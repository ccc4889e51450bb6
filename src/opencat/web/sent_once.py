"""Creating forms sent once: each form carries a token (``once``), and a sending is that token
with what the form says, hashed (``sending``). The use case records the sending with what it made,
in its creating transaction (``db/form_submissions``): sent again unchanged (a second click, a
retried request, the back button), it answers what it made the first time; changed before it is
sent again, it is another sending, which makes another.

The token is the same for every blank form of one kind (a new dataset, a new link to one dataset)
that a session opens in a day: the back button asks the form page again (it is kept by no cache),
and the browser fills the new page with what was typed, so a random token per page made the same
form another sending, and a second dataset."""

import hashlib
import json
from datetime import date

from starlette.datastructures import FormData

from opencat.web import signin

FIELD = "once"
# What is no part of a form's content: its tokens and the button pressed.
_NOT_CONTENT = frozenset({signin.CSRF_FIELD, FIELD, "action"})


def blank_form_token(keys: signin.Keys, session: str, form: str, today: date) -> str:
    """The token of the blank forms of kind ``form`` the signed-in ``session`` opens ``today``."""
    return signin.form_mac(keys, f"once:{form}:{today.isoformat()}", session)


def sending(form: FormData) -> str | None:
    """The form's token and what it says, as one (None: a form without a token)."""
    once = str(form.get(FIELD) or "")
    if not once:
        return None
    content = sorted((name, str(value)) for name, value in form.multi_items() if name not in _NOT_CONTENT)
    return hashlib.sha256(json.dumps([once, content], ensure_ascii=False).encode()).hexdigest()
