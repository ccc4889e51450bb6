"""Logging for the server: one handler on stderr, plain or JSON lines, each with its request id."""

import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from opencat.ops.request_ids import RequestIdFilter

_PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The attributes every LogRecord has: the rest came through ``extra`` and go into JSON lines.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# What LogRecord's constructor sets, for a record with no source location (none is looked up) and
# no thread (``configure_logging`` turns that off).
_NOWHERE = {"pathname": "", "filename": "", "module": "", "funcName": None}
_BLANK = vars(logging.makeLogRecord({**_NOWHERE, "thread": None, "threadName": None, "processName": None}))
_STARTED = time.time()


def formatted_record(
    logger: logging.Logger, level: int, message: str, extra: dict[str, Any]
) -> logging.LogRecord:
    """A record of a message already formatted, with every attribute LogRecord's constructor sets,
    built in one step: the access line is logged on every request, and the constructor (the
    caller's module and file, the thread, ``%``-style arguments) costs more than the line's writing."""
    created_ns = time.time_ns()
    created = created_ns / 1e9
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__.update(_BLANK)
    record.__dict__.update(extra)
    record.name = logger.name
    record.msg = message
    record.args = ()
    record.levelno = level
    record.levelname = logging.getLevelName(level)
    record.created = created
    record.msecs = (created_ns % 1_000_000_000) // 1_000_000 + 0.0
    record.relativeCreated = (created - _STARTED) * 1000
    record.process = os.getpid()
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class PlainFormatter(logging.Formatter):
    """``time level logger [request id] message``, the time in UTC, ISO 8601."""

    def __init__(self) -> None:
        super().__init__(_PLAIN)
        self._second: tuple[int, str] = (-1, "")  # one tuple: threads swap it whole

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # The date and time to the second, formatted once a second: an access line each request.
        second = int(record.created)
        known, text = self._second
        if known != second:
            text = datetime.fromtimestamp(second, UTC).isoformat()[:19]
            self._second = (second, text)
        return f"{text}.{int(record.msecs):03d}+00:00"


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else PlainFormatter()


def configure_logging(log_format: str, level: str, stream: TextIO | None = None) -> None:
    """Route every logger through one stderr handler (run in the master and in each worker:
    granian sets up only its own loggers there)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
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
