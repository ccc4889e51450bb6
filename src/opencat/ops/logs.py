"""Logging for the server: one handler on stderr, plain or JSON lines, each with its request id."""

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from opencat.ops.request_ids import RequestIdFilter

_PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The attributes every LogRecord has: the rest came through ``extra`` and go into JSON lines.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


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

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


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
