"""Password hashes: argon2id with argon2-cffi's defaults (RFC 9106's second recommended option)."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@cache
def _stand_in() -> str:
    return _HASHER.hash("a password nobody has")


def verify_password(hashed: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash (an unknown email, a user without a password) a
    stand-in hash is checked all the same, so that the answer takes as long either way."""
    try:
        return _HASHER.verify(hashed or _stand_in(), password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _HASHER.check_needs_rehash(hashed)
