"""A loop's failures logged without flooding the log: the first with its traceback, then one line
at most every ``QUIET_SECONDS`` saying how many came meanwhile, and one line when the loop works
again. The index keeper and the harvest scheduler retry every second while the database is
unreachable: a traceback a try wrote ~110 lines a second (400,000 an hour a node)."""

import logging
import time
from collections.abc import Callable

QUIET_SECONDS = 60.0


class RepeatedFailures:
    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        clock: Callable[[], float] = time.monotonic,
        quiet_seconds: float = QUIET_SECONDS,
        expected: tuple[type[BaseException], ...] = (),
    ) -> None:
        """``what``: the sentence's subject and verb, as "the index keeper could not catch up";
        ``expected``: failures whose cause their own words say (the database unavailable), told
        in one line: a database whose connections were killed every second wrote a sixty-line
        traceback each time the loop had worked in between."""
        self._expected = expected
        self._logger = logger
        self._what = what
        self._clock = clock
        self._quiet = quiet_seconds
        self._failures = 0  # since the loop last worked
        self._unsaid = 0  # since the last line
        self._said_at = 0.0
        self._kind: type[BaseException] | None = None  # the last failure told with its traceback

    def failed(self, error: BaseException) -> None:
        self._failures += 1
        self._unsaid += 1
        now = self._clock()
        if self._failures == 1 or type(error) is not self._kind:  # a new cause: its traceback
            self._kind = type(error)
            if isinstance(error, self._expected):
                self._logger.warning("%s (%s: %s); retrying", self._what, type(error).__name__, error)
            else:
                self._logger.warning("%s; retrying", self._what, exc_info=error)
        elif now - self._said_at >= self._quiet:
            self._logger.warning(
                "%s: %d more failures (%s: %s); retrying",
                self._what,
                self._unsaid,
                type(error).__name__,
                error,
            )
        else:
            return
        self._said_at, self._unsaid = now, 0

    def worked(self) -> None:
        if self._failures:
            self._logger.warning("%s %d times; it works again", self._what, self._failures)
        self._failures = self._unsaid = 0
        self._kind = None
