"""Signing in and out of the pages: passwords, sessions and the throttling of failed sign-ins.

A session is a random token: the browser keeps it (in a cookie the web layer signs), the database
only its SHA-256, so that a copy of the database signs nobody in. Failed sign-ins are counted per
account (the email given, known or not) and per address over ``THROTTLE_WINDOW``; past the limits
the password is not even checked. The hash is checked outside any transaction (argon2 takes tens
of milliseconds on purpose), so two attempts racing may both be counted after the limit: the limits
are a brake, not an exact quota.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from opencat.catalog.context import Catalog
from opencat.catalog.passwords import hash_password, needs_rehash, verify_password
from opencat.db import accounts as db_accounts
from opencat.db import sessions as db_sessions
from opencat.domain.accounts import ANONYMOUS, Actor, User, check_password
from opencat.domain.errors import Gone, InvalidCredentials, NotFound, Reason, TooManyRequests

THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures per account in the window
ADDRESS_LIMIT = 20  # failures per address in the window, whatever the accounts tried


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # shown once, to the browser; never stored
    user: User
    expires_at: datetime


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account_key(email: str) -> str:
    return email.strip().casefold()


def _get_user(catalog: Catalog, ident: str) -> User:
    with catalog.db.read() as conn:
        user = db_accounts.find_user_by_email(conn, ident) or db_accounts.find_user(conn, ident)
    if user is None:
        raise NotFound(Reason.USER_UNKNOWN, ident=ident)
    return user


def set_password(catalog: Catalog, user_ident: str, password: str) -> User:
    """A new password (from ``opencat user set-password``); it signs the user out everywhere."""
    check_password(password)
    user = _get_user(catalog, user_ident)
    if user.deleted is not None:  # a deleted account is named nowhere again, and signs in nowhere
        raise Gone(Reason.USER_DELETED)
    hashed = hash_password(password)
    with catalog.db.write() as conn:
        db_sessions.set_password_hash(conn, user.id, hashed)
        db_sessions.delete_sessions_of(conn, user.id)
        db_sessions.delete_resets_of(conn, user.id)  # a link mailed before no longer works
    return user


def throttled(
    catalog: Catalog,
    checks: list[tuple[str, str, int]],
    now: datetime,
    reason: Reason = Reason.SIGN_IN_THROTTLED,
) -> None:
    """Refuse (TooManyRequests) when any (scope, key) has ``limit`` attempts in the window."""
    since = now - THROTTLE_WINDOW
    with catalog.db.read() as conn:
        for scope, key, limit in checks:
            failures = db_sessions.failures_since(conn, scope, key, since)
            if len(failures) >= limit:
                # Free again when the oldest failure that counts leaves the window.
                oldest = failures[len(failures) - limit]
                wait = max(1, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1)
                raise TooManyRequests(reason, retry_after=wait)


def sign_in(catalog: Catalog, email: str, password: str, address: str) -> SignedIn:
    now = catalog.clock()
    checks = [("account", _account_key(email), ACCOUNT_LIMIT), ("address", address, ADDRESS_LIMIT)]
    throttled(catalog, checks, now)
    with catalog.db.read() as conn:
        user = db_accounts.find_user_by_email(conn, email.strip())
        hashed = None if user is None else db_sessions.password_hash(conn, user.id)
    matches = verify_password(hashed, password)
    if user is None or hashed is None or not matches or not user.active or user.deleted is not None:
        with catalog.db.write() as conn:
            for scope, key, _ in checks:
                db_sessions.record_failure(conn, scope, key, now)
            db_sessions.purge_failures(conn, now - THROTTLE_WINDOW)
        raise InvalidCredentials(Reason.SIGN_IN_FAILED)
    token = secrets.token_urlsafe(32)
    expires_at = now + catalog.session_lifetime
    rehashed = hash_password(password) if needs_rehash(hashed) else None
    with catalog.db.write() as conn:
        # The hash and the account were checked outside any transaction: a password changed since
        # (every session ended) must not be signed in with, nor its old hash written back
        # re-hashed; nor may an account deactivated meanwhile get a session. Their row is locked
        # from here to the commit.
        current = db_sessions.password_hash(conn, user.id)
        if current != hashed:
            # Another sign-in may have re-hashed the same password: checked again, rarely.
            if not verify_password(current, password):
                raise InvalidCredentials(Reason.SIGN_IN_FAILED)
            rehashed = None
        now_user = db_accounts.find_user(conn, user.id)
        if now_user is None or not now_user.active or now_user.deleted is not None:
            raise InvalidCredentials(Reason.SIGN_IN_FAILED)
        db_sessions.clear_failures(conn, "account", _account_key(email))
        db_sessions.purge_expired(conn, now)
        db_sessions.insert_session(conn, _session_id(token), user.id, now, expires_at)
        db_sessions.record_login(conn, user.id, now)
        if rehashed is not None:
            db_sessions.set_password_hash(conn, user.id, rehashed)
    return SignedIn(token, user, expires_at)


def session_actor(catalog: Catalog, token: str | None) -> Actor:
    """Who a session token stands for: anonymous when it is unknown, expired or its user gone."""
    if not token:
        return ANONYMOUS
    now = catalog.clock()
    with catalog.db.read() as conn:
        found = db_sessions.find_session(conn, _session_id(token))
        if found is None or found[1] <= now:
            return ANONYMOUS
        user = db_accounts.find_user(conn, found[0])
        if user is None or not user.active or user.deleted is not None:
            return ANONYMOUS
        return Actor(user=user, roles=db_accounts.roles_of(conn, user.id))


def sign_out(catalog: Catalog, token: str, everywhere: bool = False) -> int:
    """End this session, or with ``everywhere`` every session of its user; how many ended."""
    with catalog.db.write() as conn:
        found = db_sessions.find_session(conn, _session_id(token))
        if found is None:
            return 0
        if everywhere:
            return db_sessions.delete_sessions_of(conn, found[0])
        db_sessions.delete_session(conn, _session_id(token))
        return 1


def count_sessions(catalog: Catalog, user_id: str) -> int:
    with catalog.db.read() as conn:
        return db_sessions.count_sessions_of(conn, user_id)
