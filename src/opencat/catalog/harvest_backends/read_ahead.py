"""Reading a source's next page while the run writes the entries of the last one.

Reading a DCAT page (fetching, parsing, mapping) is Python work, while writing a batch mostly
waits on the database (PostgreSQL's server, SQLite's engine: neither holds the GIL). One thread
reading ahead overlaps the two. It holds at most two pages beyond the one being written (one
waiting, one being read), so memory stays flat, and it stops once the run stops listening.
"""

import threading
from collections.abc import Iterator
from queue import Full, Queue
from typing import TypeVar

T = TypeVar("T")

# How long the reader waits for room before it checks whether the run still listens.
_PATIENCE = 0.1


class _End:
    pass


def read_ahead(pages: Iterator[T]) -> Iterator[T]:
    """``pages`` in order, each read by a thread of its own while the caller handles the one
    before; what ``pages`` raises is raised here, after the pages read before it."""
    queue: Queue[T | _End | BaseException] = Queue(maxsize=1)
    listening = threading.Event()
    listening.set()
    thread = threading.Thread(
        target=_read, args=(pages, queue, listening), name="harvest read-ahead", daemon=True
    )
    thread.start()
    try:
        while True:
            found = queue.get()
            if isinstance(found, _End):
                return
            if isinstance(found, BaseException):
                raise found
            yield found
    finally:
        # Not joined: a fetch under way ends by its own timeout, then the reader sees this.
        listening.clear()


def _read(pages: Iterator[T], queue: "Queue[T | _End | BaseException]", listening: threading.Event) -> None:
    try:
        for page in pages:
            if not _put(queue, page, listening):
                return
        _put(queue, _End(), listening)
    except BaseException as error:  # handed to the caller's thread, which decides
        _put(queue, error, listening)


def _put(
    queue: "Queue[T | _End | BaseException]", value: "T | _End | BaseException", listening: threading.Event
) -> bool:
    while listening.is_set():
        try:
            queue.put(value, timeout=_PATIENCE)
            return True
        except Full:
            continue
    return False
