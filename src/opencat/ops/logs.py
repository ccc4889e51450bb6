"""Logging for the server: one handler on stderr, plain or JSON lines, each with its request id."""

import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from opencat.ops import request_ids
from opencat.ops.request_ids import RequestIdFilter

_PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The attributes every LogRecord has: the rest came through ``extra`` and go into JSON lines.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# What LogRecord's constructor sets, for a record with no source location (none is looked up) and
# no thread (``configure_logging`` turns that off).
_NOWHERE = {"pathname": "", "filename": "", "module": "", "funcName": None}
_BLANK = vars(logging.makeLogRecord({**_NOWHERE, "thread": None, "threadName": None, "processName": None}))
_STARTED = time.time()


def _now() -> tuple[float, float]:
    """``created`` and ``msecs`` as LogRecord's constructor makes them."""
    created_ns = time.time_ns()
    return created_ns / 1e9, (created_ns % 1_000_000_000) // 1_000_000 + 0.0


def formatted_record(
    logger: logging.Logger, level: int, message: str, extra: dict[str, Any]
) -> logging.LogRecord:
    """A record of a message already formatted, with every attribute LogRecord's constructor sets,
    built in one step: the access line is logged on every request, and the constructor (the
    caller's module and file, the thread, ``%``-style arguments) costs more than the line's writing."""
    created, msecs = _now()
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__.update(_BLANK)
    record.__dict__.update(extra)
    record.name = logger.name
    record.msg = message
    record.args = ()
    record.levelno = level
    record.levelname = logging.getLevelName(level)
    record.created = created
    record.msecs = msecs
    record.relativeCreated = (created - _STARTED) * 1000
    record.process = os.getpid()
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        extras = {key: value for key, value in vars(record).items() if key not in _STANDARD}
        line = self.fields(
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            getattr(record, "request_id", "-"),
            record.process,
            extras,
        )
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()

    @staticmethod
    def fields(
        created: float,
        level: str,
        name: str,
        message: str,
        request_id: str,
        pid: int | None,
        extras: dict[str, Any],
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            "level": level.lower(),
            "logger": name,
            "message": message,
            "request_id": request_id,
            "pid": pid,
        }
        line.update(extras)
        return line


class PlainFormatter(logging.Formatter):
    """``time level logger [request id] message``, the time in UTC, ISO 8601."""

    def __init__(self) -> None:
        super().__init__(_PLAIN)
        self._second: tuple[int, str] = (-1, "")  # one tuple: threads swap it whole

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.time_text(record.created, record.msecs)

    def time_text(self, created: float, msecs: float) -> str:
        # The date and time to the second, formatted once a second: an access line each request.
        second = int(created)
        known, text = self._second
        if known != second:
            text = datetime.fromtimestamp(second, UTC).isoformat()[:19]
            self._second = (second, text)
        return f"{text}.{int(msecs):03d}+00:00"


def formatter(log_format: str) -> JsonFormatter | PlainFormatter:
    return JsonFormatter() if log_format == "json" else PlainFormatter()


@dataclass(frozen=True, slots=True)
class _Installed:
    handler: "logging.StreamHandler[TextIO]"
    formatter: JsonFormatter | PlainFormatter
    request_ids: RequestIdFilter

    @property
    def structured(self) -> bool:
        """Whether its lines carry a record's extras (JSON), or only its message (plain)."""
        return isinstance(self.formatter, JsonFormatter)


# What ``configure_logging`` installed last, for ``direct_handler``.
_installed: _Installed | None = None


def configure_logging(log_format: str, level: str, stream: TextIO | None = None) -> None:
    """Route every logger through one stderr handler (run in the master and in each worker:
    granian sets up only its own loggers there)."""
    global _installed
    handler = logging.StreamHandler(stream or sys.stderr)
    chosen, request_id_filter = formatter(log_format), RequestIdFilter()
    handler.setFormatter(chosen)
    handler.addFilter(request_id_filter)
    _installed = _Installed(handler, chosen, request_id_filter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # No record needs its caller's file and line (neither format shows them), and looking them up
    # walks the stack on every record: an access line each request (the logging HOWTO's
    # "Optimization" section documents this switch).
    logging._srcfile = None
    # Nor a thread's name or multiprocessing's process name (the same HOWTO section): neither
    # format shows them, and each costs a lookup on every record.
    logging.logThreads = False
    logging.logMultiprocessing = False


def direct_handler(logger: logging.Logger, level: int) -> _Installed | None:
    """The handler ``configure_logging`` installed, when a record of ``logger`` at ``level``
    would go to it alone and unchanged: no filter on the logger, no handler on the way to the
    root logger but that one, which has only its own filter and formatter. The access line is then
    written by ``write_line`` rather than through ``Logger.handle``: measured through HTTP on a
    kept answer, the standard path (the hierarchy walked, filters, ``Formatter.format``) cost
    about a fifth of the request. Any other set-up (a handler added by an operator or a test's
    log capture, a filter, a level) gets ``None`` and the standard path."""
    installed = _installed
    if installed is None or logger.disabled or logger.filters or not logger.isEnabledFor(level):
        return None
    handler = installed.handler
    if handler.level > level or handler.filters != [installed.request_ids]:
        return None
    if handler.formatter is not installed.formatter:
        return None
    current: logging.Logger | None = logger
    while current is not None:
        if current.parent is None:  # the root logger
            return installed if current.handlers == [handler] else None
        if current.handlers or not current.propagate:
            return None
        current = current.parent
    return None


def write_line(installed: _Installed, name: str, level: int, message: str, extra: dict[str, Any]) -> None:
    """Write what ``logger.handle(formatted_record(...))`` would, through ``installed``'s stream."""
    created, msecs = _now()
    request_id = request_ids.current.get() or "-"
    formatter, levelname = installed.formatter, logging.getLevelName(level)
    # What the formatter's ``format`` makes of such a record (no exception, no stack).
    if isinstance(formatter, JsonFormatter):
        fields = formatter.fields(created, levelname, name, message, request_id, os.getpid(), extra)
        line = orjson.dumps(fields, default=str).decode()
    else:  # _PLAIN
        line = f"{formatter.time_text(created, msecs)} {levelname} {name} [{request_id}] {message}"
    handler = installed.handler
    try:
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.stream.flush()
        finally:
            handler.release()
    except Exception:
        record = logging.makeLogRecord({"msg": message, "levelno": level, "name": name})
        handler.handleError(record)  # as StreamHandler.emit does: reported on stderr, not raised
