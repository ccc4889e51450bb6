"""``Accept`` headers, matched as werkzeug's ``best_match`` matches them for udata."""

from collections.abc import Sequence


def best_match(accept_header: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client accepts best, or None when it accepts none of them.

    The best quality wins; at equal quality the more specific client range wins, then the earliest
    offered type (so ``*/*`` takes the first). Unlike werkzeug, media-type parameters other than
    ``q`` are ignored rather than required to be equal.
    """
    client = _parse(accept_header or "")
    best: str | None = None
    best_quality = -1.0
    best_specificity: tuple[int, ...] = (-1,)
    for server_type in offered:
        for client_type, quality, specificity in client:
            if quality <= 0 or quality < best_quality:
                continue
            better = quality > best_quality or specificity > best_specificity
            if better and _matches(server_type, client_type):
                best, best_quality, best_specificity = server_type, quality, specificity
    return best


def _parse(header: str) -> list[tuple[str, float, tuple[int, ...]]]:
    """(media range, quality, specificity), most specific first, then by quality (werkzeug's order)."""
    ranges: list[tuple[str, float, tuple[int, ...]]] = []
    for item in header.split(","):
        media_range, *parameters = item.split(";")
        media_range = media_range.strip().lower()
        quality = _quality(parameters)
        if media_range and quality is not None:
            specificity = tuple(int(part != "*") for part in media_range.split("/", 1))
            ranges.append((media_range, quality, specificity))
    ranges.sort(key=lambda entry: (entry[2], entry[1]), reverse=True)
    return ranges


def _quality(parameters: list[str]) -> float | None:
    """The ``q`` parameter (1 when absent); None when it is not a number within [0, 1]."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


def _matches(server_type: str, client_range: str) -> bool:
    if "/" not in client_range:
        return False
    client_main, client_sub = client_range.split("/", 1)
    if client_main == "*":
        return client_sub == "*"
    server_main, server_sub = server_type.split("/", 1)
    return client_main == server_main and client_sub in ("*", server_sub)
