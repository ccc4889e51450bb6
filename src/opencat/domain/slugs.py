"""Slugs and tags, normalized as udata does (awesome-slugify over unidecode, udata: udata/mongo/slug_fields.py, udata/tags.py)."""

import re
import uuid
from collections.abc import Iterable

from opencat.domain.ids import is_object_id
from opencat.domain.transliteration import to_ascii

MAX_SLUG_LENGTH = 255
TAG_MIN_LENGTH = 3
TAG_MAX_LENGTH = 96

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """ASCII, lower case, words joined by ``-``; apostrophes vanish without a separator."""
    ascii_text = to_ascii(text).lower().replace("'", "")
    words = [word for word in _NON_ALNUM.split(ascii_text) if word]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) <= max_length:
            slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug


def _looks_like_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def unique_slug(base: str, taken: set[str]) -> str:
    """The first of ``base``, ``base-1``, ``base-2``… not in ``taken`` (udata's dedup rule)."""
    base = _unsuffixed(base)
    index = 0
    while (candidate := _candidate(base, index)) in taken:
        index += 1
    return candidate


def slug_candidates(base: str, start: int, count: int) -> list[str]:
    """The slugs ``unique_slug`` tries for ``base``, in its order, from the ``start``-th (0: the
    base itself) on."""
    base = _unsuffixed(base)
    return [_candidate(base, index) for index in range(start, start + count)]


def _unsuffixed(base: str) -> str:
    """A slug never reads as an id: ``{dataset}`` is resolved as an id first, so a dataset titled
    with another one's ObjectId would have had that dataset answer for its own ``uri`` and page."""
    if _looks_like_uuid(base):
        return f"{base}-uuid"
    return f"{base}-id" if is_object_id(base) else base


def _candidate(base: str, index: int) -> str:
    if index == 0:
        return base
    suffix = f"-{index}"
    return base[: MAX_SLUG_LENGTH - len(suffix)] + suffix


def normalize_tag(tag: str) -> str:
    return slugify(tag.lower(), max_length=10_000)


def kept_tags(tags: Iterable[object]) -> tuple[str, ...]:
    """A dataset's tags as udata stores them: normalized, sorted, once each; those the API would
    refuse (under 3 or over 96 characters once normalized, not text) left out."""
    normalized = (normalize_tag(tag) for tag in tags if isinstance(tag, str))
    return tuple(sorted({tag for tag in normalized if TAG_MIN_LENGTH <= len(tag) <= TAG_MAX_LENGTH}))


# Dataset slugs the pages take under ``/datasets/`` (``/datasets/new/`` is the creation form):
# never given, so that a dataset titled "New" (``new-1``) has a page of its own.
PAGE_WORDS = frozenset({"new"})
