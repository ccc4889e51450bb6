"""The DCAT backend's read-ahead: the next page is read meanwhile, in order, errors in their place."""

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from opencat.catalog.harvest_backends.read_ahead import read_ahead
from opencat.domain.harvest import HarvestSourceError


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "harvest read-ahead"]


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_pages_come_in_order_and_an_error_after_the_pages_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise HarvestSourceError("page 3 is garbage")

    ahead = read_ahead(pages())
    assert [next(ahead), next(ahead)] == [1, 2]
    with pytest.raises(HarvestSourceError, match="page 3 is garbage"):
        next(ahead)


def test_the_next_pages_are_read_while_the_caller_holds_one_but_no_more_than_two() -> None:
    read: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(1, 1000):
            read.append(number)
            yield number

    ahead = read_ahead(pages())
    assert next(ahead) == 1
    assert _wait_until(lambda: len(read) >= 3)  # the second waits, the third is being handed over
    time.sleep(0.3)
    assert len(read) == 3  # memory stays flat: the reader waits for the caller
    assert [next(ahead), next(ahead)] == [2, 3]
    ahead.close()
    assert _wait_until(lambda: not _readers())


def test_the_reader_stops_when_the_caller_stops_listening() -> None:
    def pages() -> Iterator[int]:
        number = 0
        while True:
            number += 1
            yield number

    ahead = read_ahead(pages())
    assert next(ahead) == 1
    assert _readers()
    ahead.close()  # the run failed, or its lease was taken over
    assert _wait_until(lambda: not _readers())
