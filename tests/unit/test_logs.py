"""Log lines: plain or JSON, each carrying the id of the request it was written for."""

import io
import json
import logging
import re
from collections.abc import Callable, Iterator

import pytest

from opencat.ops import logs, request_ids
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


# The access line written directly (ops/watch.py), when the set-up is the one configure_logging made


def _pytest_handlers_removed() -> None:
    """pytest's own log capture puts a handler on the root logger for each test's call: with it
    there, a record has two destinations and the direct way is rightly refused."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if type(h).__module__.startswith("_pytest")]:
        root.removeHandler(handler)


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_the_direct_line_is_the_one_the_handler_writes(
    stream: io.StringIO, log_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging(log_format, "info", stream)
    _pytest_handlers_removed()
    logger = logging.getLogger("opencat.access")
    extra = {"method": "GET", "path": "/api/1/datasets/x/", "query": "a=1", "status": 304, "bytes": 0}
    message = "GET /api/1/datasets/x/?a=1 304 0B 0.1ms"
    # One instant for both lines, the last millisecond of a second (the rounding's edge).
    monkeypatch.setattr(logs, "_now", lambda: (1_796_441_917.9994, 999.0))
    installed = logs.direct_handler(logger, logging.INFO)
    assert installed is not None
    token = request_ids.current.set("abc-123")
    try:
        logs.write_line(installed, logger.name, logging.INFO, message, extra if installed.structured else {})
        logger.handle(formatted_record(logger, logging.INFO, message, extra))
    finally:
        request_ids.current.reset(token)
    direct, through_logging = stream.getvalue().splitlines()
    assert direct == through_logging
    assert "abc-123" in direct
    assert message in direct
    assert installed.structured == (log_format == "json")


def test_outside_a_request_the_direct_line_has_a_dash(stream: io.StringIO) -> None:
    configure_logging("plain", "info", stream)
    _pytest_handlers_removed()
    installed = logs.direct_handler(logging.getLogger("opencat.access"), logging.INFO)
    assert installed is not None
    logs.write_line(installed, "opencat.access", logging.INFO, "GET / 200", {})
    assert " INFO opencat.access [-] GET / 200\n" in stream.getvalue()


def _reject_everything(record: logging.LogRecord) -> bool:
    return False


@pytest.mark.parametrize(
    "change",
    [
        "a handler on the root logger",
        "a handler on opencat",
        "a handler on opencat.access",
        "a filter on opencat.access",
        "a filter on the handler",
        "the handler's level",
        "another formatter",
        "opencat does not propagate",
        "opencat.access disabled",
        "the level",
    ],
)
def test_any_other_set_up_takes_the_logging_path(stream: io.StringIO, change: str) -> None:
    """Whatever an operator (or a test's capture) changes, the line goes through ``Logger.handle``,
    and so to every handler and filter there is."""
    configure_logging("plain", "info", stream)
    _pytest_handlers_removed()
    root, opencat, access = (logging.getLogger(n) for n in ("", "opencat", "opencat.access"))
    handler = root.handlers[0]
    assert logs.direct_handler(access, logging.INFO) is not None
    extra = logging.NullHandler()  # any handler: only its being there matters
    undo: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "a handler on the root logger": (lambda: root.addHandler(extra), lambda: root.removeHandler(extra)),
        "a handler on opencat": (lambda: opencat.addHandler(extra), lambda: opencat.removeHandler(extra)),
        "a handler on opencat.access": (
            lambda: access.addHandler(extra),
            lambda: access.removeHandler(extra),
        ),
        "a filter on opencat.access": (
            lambda: access.addFilter(_reject_everything),
            lambda: access.removeFilter(_reject_everything),
        ),
        "a filter on the handler": (
            lambda: handler.addFilter(_reject_everything),
            lambda: handler.removeFilter(_reject_everything),
        ),
        "the handler's level": (lambda: handler.setLevel(logging.ERROR), lambda: handler.setLevel(0)),
        "another formatter": (
            lambda: handler.setFormatter(logging.Formatter("%(message)s")),
            lambda: None,
        ),
        "opencat does not propagate": (
            lambda: setattr(opencat, "propagate", False),
            lambda: setattr(opencat, "propagate", True),
        ),
        "opencat.access disabled": (
            lambda: setattr(access, "disabled", True),
            lambda: setattr(access, "disabled", False),
        ),
        "the level": (lambda: root.setLevel(logging.WARNING), lambda: root.setLevel(logging.INFO)),
    }
    make, unmake = undo[change]
    make()
    try:
        assert logs.direct_handler(access, logging.INFO) is None
    finally:
        unmake()
