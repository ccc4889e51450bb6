"""Creating forms sent once: each form carries a random token (``once``), and a sending is that
token with what the form says, hashed (``sending``). The use case records the sending with what it
made, in its creating transaction (``db/form_submissions``): sent again unchanged (the back button
restores it filled, a second click, a retried request), it answers what it made the first time;
changed before it is sent again, it is another sending, which makes another."""

import hashlib
import json
import secrets

from starlette.datastructures import FormData

from opencat.web import signin

FIELD = "once"
# What is no part of a form's content: its tokens and the button pressed.
_NOT_CONTENT = frozenset({signin.CSRF_FIELD, FIELD, "action"})


def new_token() -> str:
    return secrets.token_hex(16)


def sending(form: FormData) -> str | None:
    """The form's token and what it says, as one (None: a form without a token)."""
    once = str(form.get(FIELD) or "")
    if not once:
        return None
    content = sorted((name, str(value)) for name, value in form.multi_items() if name not in _NOT_CONTENT)
    return hashlib.sha256(json.dumps([once, content], ensure_ascii=False).encode()).hexdigest()
