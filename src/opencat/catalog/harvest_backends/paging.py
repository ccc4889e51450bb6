"""What the JSON backends share: reading a listing page by page, and asking about one dataset."""

import json
from collections import deque

from opencat.domain.harvest import Fetcher, HarvestSourceError, RemoteMissing

# Pages in a row that bring no dataset at all: a listing whose next page never ends (each page
# empty, or only of what is left out) is a paging loop too, not a source of a million pages.
EMPTY_PAGES = 20
# Pages in a row made only of datasets already read: a listing answering the same page whatever
# is asked. One such page is no loop: a catalog may list a dataset twice (a local dataset and a
# harvested copy of it under one IRI), a whole page of them at times.
REPEATED_PAGES = 3


class RecentIds:
    """The ids of the last ``pages`` pages read: ``REPEATED_PAGES`` pages in a row made only of
    them are a paging loop (a site answering the same datasets whatever the page asked), and so
    is a run of ``EMPTY_PAGES`` pages without one. A bounded memory, whatever the source's size;
    a page that brings a single new id is no loop. An id that is no text or number is no id here
    (the entry fails alone)."""

    def __init__(self, pages: int = 20) -> None:
        self.pages: deque[frozenset[object]] = deque(maxlen=pages)
        self.empty = 0
        self.repeated = 0

    def repeats(self, ids: list[object]) -> bool:
        kept = [identifier if isinstance(identifier, str | int) else None for identifier in ids]
        self.empty = 0 if kept else self.empty + 1
        known: set[object] = set().union(*self.pages)
        only_known = bool(kept) and all(identifier is not None and identifier in known for identifier in kept)
        self.repeated = self.repeated + 1 if only_known else 0
        self.pages.append(frozenset(kept))
        return self.repeated >= REPEATED_PAGES or self.empty >= EMPTY_PAGES


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
