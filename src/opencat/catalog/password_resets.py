"""Resetting a forgotten password by email.

Asking for a reset answers the same whether the address is known or not (no account enumeration):
the caller learns only that it may have been sent. A reset is a random token mailed as a link; the
database keeps its SHA-256, so a copy of the database resets nobody's password. It expires after
``RESET_LIFETIME`` and works once; using it (or ``opencat user set-password``) signs the user out
everywhere and voids the other links. Requests are throttled per address asked for and per client
address, counted in the sign-in failures' table under scopes of their own.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from opencat.catalog.context import Catalog
from opencat.catalog.passwords import hash_password
from opencat.catalog.sessions import THROTTLE_WINDOW, throttled
from opencat.db import accounts as db_accounts
from opencat.db import sessions as db_sessions
from opencat.domain.accounts import User, check_password
from opencat.domain.errors import InvalidCredentials, Reason

RESET_LIFETIME = timedelta(hours=1)
ACCOUNT_LIMIT = 3  # requests per address asked for in the window
ADDRESS_LIMIT = 10  # requests per client address in the window


@dataclass(frozen=True, slots=True)
class ResetMail:
    """A reset to mail: the token goes in the link, and nowhere else."""

    to: str
    token: str
    user: User


def _reset_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_mail(catalog: Catalog) -> bool:
    return catalog.mailer is not None


def request_reset(catalog: Catalog, email: str, address: str) -> ResetMail | None:
    """A reset for the account of ``email`` when it exists, may sign in and mail can be sent
    (None otherwise: the caller says the same either way). Raises TooManyRequests."""
    now = catalog.clock()
    wanted = email.strip()
    checks = [("reset-account", wanted.casefold(), ACCOUNT_LIMIT), ("reset-address", address, ADDRESS_LIMIT)]
    throttled(catalog, checks, now, Reason.RESET_THROTTLED)
    with catalog.db.write() as conn:
        for scope, key, _ in checks:
            db_sessions.record_failure(conn, scope, key, now)
        db_sessions.purge_failures(conn, now - THROTTLE_WINDOW)
        db_sessions.purge_expired_resets(conn, now)
        if catalog.mailer is None or not wanted:
            return None
        user = db_accounts.find_user_by_email(conn, wanted)
        if user is None or not user.active or user.deleted is not None:
            return None
        token = secrets.token_urlsafe(32)
        db_sessions.insert_reset(conn, _reset_id(token), user.id, now, now + RESET_LIFETIME)
    return ResetMail(user.email, token, user)


def send_reset(catalog: Catalog, mail: ResetMail, subject: str, body: str) -> None:
    """Hand the mail to the SMTP server (its errors propagate to the caller, who logs them)."""
    if catalog.mailer is not None:
        catalog.mailer.send(mail.to, subject, body)


def reset_is_valid(catalog: Catalog, token: str) -> bool:
    """Whether a link still works (the form is shown only then; using it checks again)."""
    with catalog.db.read() as conn:
        found = db_sessions.find_reset(conn, _reset_id(token))
    return found is not None and found > catalog.clock()


def reset_password(catalog: Catalog, token: str, password: str) -> User:
    """Set a new password with a mailed token, which is used up; the user is signed out everywhere.
    An invalid password leaves the token usable (Invalid); a bad token raises InvalidCredentials."""
    check_password(password)
    hashed = hash_password(password)
    with catalog.db.write() as conn:
        user_id = db_sessions.take_reset(conn, _reset_id(token), catalog.clock())
        user = None if user_id is None else db_accounts.find_user(conn, user_id)
        if user is None or not user.active or user.deleted is not None:
            raise InvalidCredentials(Reason.RESET_TOKEN_INVALID)
        db_sessions.set_password_hash(conn, user.id, hashed)
        db_sessions.delete_sessions_of(conn, user.id)
        db_sessions.delete_resets_of(conn, user.id)
    return user
