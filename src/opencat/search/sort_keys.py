"""Sort keys that never tie: a number in the high bits of a 63-bit integer, a tie-breaker taken from
the dataset's id in the low ones. Tantivy orders equal values by where documents sit in their
segments, which differs from node to node and moves with every merge."""

import hashlib
from datetime import UTC, datetime

TIE_BITS = 19
_TIE_MASK = (1 << TIE_BITS) - 1
# The numbers a key can hold: 2**44 milliseconds is 557 years, counted from 1900.
_VALUE_LIMIT = 1 << 44
TIME_FLOOR = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp() * 1000)


def tie_breaker(dataset_id: str) -> int:
    """The low bits of an ObjectId (its counter: datasets made in one run keep their order), else
    of a fixed hash of the id."""
    try:
        return int(dataset_id[-5:], 16) & _TIE_MASK
    except ValueError:
        digest = hashlib.blake2b(dataset_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") & _TIE_MASK


def order_key(value: int, dataset_id: str, floor: int = 0) -> int:
    """``value`` (from ``floor``, clamped to what the key holds) ordered first, the id's
    tie-breaker second; always in 0 .. 2**63 - 1."""
    held = min(max(value - floor, 0), _VALUE_LIMIT - 1)
    return (held << TIE_BITS) | tie_breaker(dataset_id)


def title_key(folded_title: str, dataset_id: str) -> str:
    """A title's sort text, then the id: equal titles in one order (NUL sorts before any letter,
    so a title still comes before the longer ones it starts)."""
    return f"{folded_title}\x00{dataset_id}"


# Suggestions' order (version 13): followers, then the oldest. An ObjectId starts with its creation
# second (32 bits) and ends with a counter (12 bits kept): inverted under the followers, an index
# sorted in descending order gives the most followed first and, among equals, the oldest first
# (udata's order: MongoDB's natural one), on every node.
_FOLLOWERS_LIMIT = (1 << 19) - 1
_SECONDS_MASK = (1 << 32) - 1
_COUNTER_MASK = (1 << 12) - 1


def suggest_key(followers: int, dataset_id: str) -> int:
    """Most followed first, then the oldest, in one key (always in 0 .. 2**63 - 1)."""
    held = min(max(followers, 0), _FOLLOWERS_LIMIT)
    try:
        seconds, counter = int(dataset_id[:8], 16), int(dataset_id[-3:], 16)
    except ValueError:  # not an ObjectId: a fixed hash orders it among its equals
        digest = int.from_bytes(hashlib.blake2b(dataset_id.encode(), digest_size=8).digest(), "big")
        seconds, counter = digest >> 32, digest
    return (
        (held << 44)
        | ((_SECONDS_MASK - (seconds & _SECONDS_MASK)) << 12)
        | (_COUNTER_MASK - (counter & _COUNTER_MASK))
    )
