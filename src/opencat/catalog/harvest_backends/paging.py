"""What the JSON backends share about reading a listing page by page."""

from collections import deque


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
