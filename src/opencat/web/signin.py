"""The pages' session cookie and CSRF tokens: HMAC-SHA256 under the site's secret key.

The session cookie carries the session's token (random; the database knows only its hash) and a
signature, so that a cookie is checked before any query. Every form carries a CSRF token: the HMAC
of the signed-in session's token, or for a visitor not signed in (the sign-in form), of a random
value kept in a cookie of its own (a signed double submit). A forged request from another site can
send the cookies but cannot read them, so it cannot compute the token.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "opencat_session"
CSRF_COOKIE = "opencat_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Keys:
    secret: bytes
    secure: bool  # the site is served over HTTPS: cookies say Secure
    lifetime: timedelta
    trust_forwarded_for: bool = False


def _mac(keys: Keys, purpose: str, value: str) -> str:
    digest = hmac.new(keys.secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed(keys: Keys, token: str) -> str:
    return f"{token}.{_mac(keys, 'session', token)}"


def unsigned(keys: Keys, cookie: str | None) -> str | None:
    """The token of a session cookie whose signature holds, else None."""
    if not cookie:
        return None
    token, _, mac = cookie.rpartition(".")
    if not token or not _same(mac, _mac(keys, "session", token)):
        return None
    return token


def _same(sent: str, expected: str) -> bool:
    """A constant-time comparison of any text sent (``compare_digest`` refuses non-ASCII text:
    a planted cookie or a forged field must be a refusal, not a 500)."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode("ascii"))


def session_token(request: Request, keys: Keys) -> str | None:
    return unsigned(keys, request.cookies.get(SESSION_COOKIE))


def form_mac(keys: Keys, purpose: str, value: str) -> str:
    """A MAC of ``value`` for ``purpose`` under the site's secret (a form's hidden token)."""
    return _mac(keys, purpose, value)


def csrf_token(keys: Keys, nonce: str) -> str:
    return _mac(keys, "csrf", nonce)


def csrf_ok(keys: Keys, nonce: str | None, sent: object) -> bool:
    return bool(nonce) and isinstance(sent, str) and _same(sent, csrf_token(keys, str(nonce)))


def visitor_nonce(request: Request) -> tuple[str, bool]:
    """The CSRF cookie's value, and whether it is new (then the answer must set it)."""
    found = request.cookies.get(CSRF_COOKIE)
    if found and 20 <= len(found) <= 64:
        return found, False
    return secrets.token_urlsafe(24), True


def _cookie(response: Response, keys: Keys, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=keys.secure, httponly=True, samesite="lax"
    )


def set_session(response: Response, keys: Keys, token: str) -> None:
    _cookie(response, keys, SESSION_COOKIE, signed(keys, token), int(keys.lifetime.total_seconds()))


def clear_session(response: Response, keys: Keys) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=keys.secure, httponly=True, samesite="lax")


def set_visitor_nonce(response: Response, keys: Keys, nonce: str) -> None:
    _cookie(response, keys, CSRF_COOKIE, nonce, None)  # a browser session's cookie


def client_address(request: Request, keys: Keys) -> str:
    """The peer's address, or behind a trusted proxy the last address of ``X-Forwarded-For``."""
    if keys.trust_forwarded_for:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.client.host if request.client else "unknown"
