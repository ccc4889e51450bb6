"""What the JSON backends share: reading a listing page by page, and asking about one dataset."""

import json
from collections import deque

from opencat.domain.harvest import Fetcher, HarvestSourceError, RemoteMissing


class RecentIds:
    """The ids of the last ``pages`` pages read: a page made only of them is a paging loop (a site
    answering the same datasets whatever the page asked). A bounded memory, whatever the source's
    size; a page that brings a single new id is no loop."""

    def __init__(self, pages: int = 20) -> None:
        self.pages: deque[frozenset[object]] = deque(maxlen=pages)

    def repeats(self, ids: list[object]) -> bool:
        known: set[object] = set().union(*self.pages)
        looping = bool(ids) and all(identifier is not None and identifier in known for identifier in ids)
        self.pages.append(frozenset(ids))
        return looping


def json_or_missing(fetcher: Fetcher, address: str) -> object | None:
    """The JSON ``address`` answers, asked whole; None when the source says nothing is there
    (404, 410). Another failure, or an answer that is no JSON, is the source's."""
    try:
        answer = fetcher.get(address, accept="application/json", conditional=False)
    except RemoteMissing:
        return None
    try:
        found: object = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise HarvestSourceError(f"{address} did not answer JSON") from None
    return found
