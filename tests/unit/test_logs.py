"""Log lines: plain or JSON, each carrying the id of the request it was written for."""

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from opencat.ops import request_ids
from opencat.ops.logs import configure_logging, formatted_record


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging set up as a worker does, into a buffer; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_plain_lines_carry_time_level_logger_and_request_id(stream: io.StringIO) -> None:
    configure_logging("plain", "info", stream)
    token = request_ids.current.set("abc-123")
    try:
        logging.getLogger("opencat.access").info("GET %s 200", "/api/1/datasets/")
    finally:
        request_ids.current.reset(token)
    line = stream.getvalue().strip()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 INFO opencat.access \[abc-123\] GET /api/1/datasets/ 200",
        line,
    ), line


def test_a_line_outside_any_request_has_a_dash_for_id(stream: io.StringIO) -> None:
    configure_logging("plain", "info", stream)
    logging.getLogger("opencat").warning("starting")
    assert "[-] starting" in stream.getvalue()


def test_json_lines_are_one_object_each_with_the_extras(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    token = request_ids.current.set("r-1")
    try:
        logging.getLogger("opencat.access").info("GET / 200", extra={"status": 200, "path": "/"})
        logging.getLogger("opencat").info('a "quoted"\nmessage')
    finally:
        request_ids.current.reset(token)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "info"
    assert first["logger"] == "opencat.access"
    assert first["message"] == "GET / 200"
    assert first["request_id"] == "r-1"
    assert (first["status"], first["path"]) == (200, "/")
    assert isinstance(first["pid"], int)
    assert first["time"].endswith("+00:00")
    assert second["message"] == 'a "quoted"\nmessage'


def test_json_lines_carry_the_traceback(stream: io.StringIO) -> None:
    configure_logging("json", "info", stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("opencat").exception("Unhandled error")
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "Unhandled error"
    assert "RuntimeError: boom" in record["traceback"]


def test_the_level_filters_lines(stream: io.StringIO) -> None:
    configure_logging("plain", "warning", stream)
    logging.getLogger("opencat.access").info("hidden")
    logging.getLogger("opencat").warning("shown")
    assert "hidden" not in stream.getvalue()
    assert "shown" in stream.getvalue()


def test_configuring_again_replaces_the_handler(stream: io.StringIO) -> None:
    configure_logging("plain", "info", stream)
    configure_logging("plain", "info", stream)
    logging.getLogger("opencat").info("once")
    assert stream.getvalue().count("once") == 1


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_record_built_in_one_step_is_written_as_the_loggers_own(
    stream: io.StringIO, log_format: str
) -> None:
    """The access line's record (``formatted_record``) has every attribute the logger's own has, and
    the handler writes both the same way."""
    configure_logging(log_format, "info", stream)
    logger = logging.getLogger("opencat.access")
    extra = {"status": 304, "path": "/api/1/datasets/x/", "duration_ms": 0.123}
    built = formatted_record(logger, logging.INFO, "GET /api/1/datasets/x/ 304 0B 0.1ms", extra)
    own = logger.makeRecord(logger.name, logging.INFO, "", 0, "GET %s 304 0B %.1fms", ("/api/1/datasets/x/", 0.123), None, extra=extra)  # fmt: skip
    assert set(vars(own)) <= set(vars(built))
    own.created, own.msecs, own.process = built.created, built.msecs, built.process
    token = request_ids.current.set("abc-123")
    try:
        logger.handle(built)
        logger.handle(own)
    finally:
        request_ids.current.reset(token)
    first, second = stream.getvalue().splitlines()
    assert first == second
    assert "abc-123" in first
    assert "GET /api/1/datasets/x/ 304 0B 0.1ms" in first
