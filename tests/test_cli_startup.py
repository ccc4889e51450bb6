"""Starting clearly: bad settings are one line naming the variable (exit 2), help everywhere,
``--version``; run as users run it, in a process of its own."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opencat import __version__
from opencat.cli import _parser
from tests.system.harness import opencat_command

SECRET = "s3cr3t-pw"


def run(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENCAT_")}
    env["OPENCAT_DATA_DIR"] = str(tmp_path / "data")
    env.update({f"OPENCAT_{name}": value for name, value in variables.items()})
    return subprocess.run(
        [*opencat_command(), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]
    assert SECRET not in done.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"mysql://opencat:{SECRET}@db/opencat", ("OPENCAT_DATABASE_URL", "mysql")),
        (f"postgresql://opencat:{SECRET}@db:port/opencat", ("OPENCAT_DATABASE_URL", "not a valid")),
        (f"postgresql://opencat:{SECRET}@127.0.0.1:1/opencat", ("OPENCAT_DATABASE_URL", "cannot use", "***")),
        ("sqlite:////nonexistent/folder/opencat.db", ("OPENCAT_DATABASE_URL", "unable to open")),
        ("not a url", ("OPENCAT_DATABASE_URL", "no URL scheme")),
    ],
)
def test_a_bad_database_url_is_one_line_and_exit_2(tmp_path: Path, url: str, words: tuple[str, ...]) -> None:
    assert_one_line(run(tmp_path, "db", "upgrade", DATABASE_URL=url), *words)


def test_a_missing_postgresql_database_is_one_line(tmp_path: Path, postgres_server: str) -> None:
    url = postgres_server.rsplit("/", 1)[0] + "/opencat_no_such_database"
    assert_one_line(
        run(tmp_path, "user", "list", DATABASE_URL=url), "OPENCAT_DATABASE_URL", "opencat_no_such_database"
    )


@pytest.mark.parametrize(
    ("variable", "raw", "words"),
    [
        ("MAX_JSON_BYTES", "10MB", ("OPENCAT_MAX_JSON_BYTES must be an integer", "'10MB'")),
        ("LINKCHECK_ALLOW_PRIVATE", "maybe", ("OPENCAT_LINKCHECK_ALLOW_PRIVATE must be true or false",)),
        ("BASE_URL", "example.org", ("OPENCAT_BASE_URL must be an http:// or https:// URL",)),
        ("BASE_URL", "http://x/a b", ("OPENCAT_BASE_URL must be a URL without spaces",)),
        ("BASE_URL", "https://", ("OPENCAT_BASE_URL must be an http:// or https:// URL",)),
        ("BASE_URL", "http://:8000", ("OPENCAT_BASE_URL must be an http:// or https:// URL",)),
        ("FRONT_URL", "notaurl", ("OPENCAT_FRONT_URL must be an http:// or https:// URL",)),
        ("FRONT_URL", "https://data.example.org/?x=1", ("OPENCAT_FRONT_URL must be a URL without a query",)),
        ("DCAT_THEMES", "transport", ("OPENCAT_DCAT_THEMES must be tag:THEME pairs",)),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, variable: str, raw: str, words: tuple[str, ...]
) -> None:
    assert_one_line(run(tmp_path, "db", "upgrade", **{variable: raw}), *words)


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, port: str) -> None:
    assert_one_line(run(tmp_path, "serve", "--port", port), "--port")


@pytest.mark.parametrize(
    ("workers", "words"), [("0", ("--workers",)), ("1000", ("--workers", "at most 128"))]
)
def test_a_worker_count_out_of_range_is_one_line(
    tmp_path: Path, workers: str, words: tuple[str, ...]
) -> None:
    """1000 workers (a typo) started processes until the machine ran out of memory."""
    assert_one_line(run(tmp_path, "serve", "--workers", workers), *words)


def test_plain_opencat_prints_the_help_and_exits_2(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: opencat")
    for command in ("serve", "user", "token", "reindex", "doctor", "backup", "restore"):
        assert f"    {command} " in done.stderr


def test_version(tmp_path: Path) -> None:
    done = run(tmp_path, "--version")
    assert (done.returncode, done.stdout) == (0, f"opencat {__version__}\n")


def _every_parser(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(parser.prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, f"{parser.prog} {choice.dest} has no help"
            for child in action.choices.values():
                found.extend(_every_parser(child))
    return found


def test_every_command_and_option_has_help() -> None:
    parsers = _every_parser(_parser())
    assert len(parsers) > 20
    for prog, parser in parsers:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{prog}: {action.option_strings or action.dest} has no help"


def test_no_help_line_reads_as_a_command_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrapped help ending in a command's name ("… a catalogue CSV export") put that word alone
    on a line just above the real command, like an extra entry without help (80 columns, a
    terminal's usual width and argparse's without one)."""
    monkeypatch.setenv("COLUMNS", "80")
    for prog, parser in _every_parser(_parser()):
        names = set()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                names |= set(action.choices)
        for line in parser.format_help().splitlines():
            words = line.split()
            if line.startswith(" " * 6) and len(words) == 1:
                assert words[0] not in names, f"{prog}: {line!r}"


def test_the_commands_load_neither_the_web_stack_nor_the_harvest_scheduler() -> None:
    """Every command but ``serve`` reaches the use cases through ``opencat.wiring``: the API, the
    pages and the scheduler (a third of a second of imports, paid by each call of a script or a
    cron job) are loaded only by the commands that use them; so are Alembic (a database behind
    its code) and rdflib (the harvest commands, the RDF export)."""
    probe = "import sys, opencat.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    assert "opencat.catalog.context" in loaded  # the probe did import the CLI
    unwanted = {"starlette", "granian", "opencat.app", "opencat.api.endpoint", "opencat.web.routes"}
    unwanted |= {"opencat.harvest_scheduler", "opencat.api.rdf", "alembic"}  # alembic: db/migrate.py
    unwanted |= {"rdflib", "opencat.commands.harvest", "opencat.catalog.harvest_settings"}
    assert loaded & unwanted == set()


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    """`opencat export dcat | head -1`: the command said `error: [Errno 32] Broken pipe`."""
    assert run(tmp_path, "load-demo").returncode == 0
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENCAT_")}
    env["OPENCAT_DATA_DIR"] = str(tmp_path / "data")
    command = subprocess.Popen(
        [*opencat_command(), "export", "dcat"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert command.stdout is not None
    assert command.stderr is not None
    assert command.stdout.readline().startswith(b"<")
    command.stdout.close()  # the reader goes; the catalog is far larger than a pipe's buffer
    said = command.stderr.read().decode()
    command.stderr.close()
    assert command.wait(timeout=60) == 1
    assert "Broken pipe" not in said, said
    assert "Traceback" not in said, said


def test_a_kept_signing_key_that_cannot_serve_is_one_line(tmp_path: Path) -> None:
    """A key file the service user cannot read (here a folder) was a traceback in every worker
    and a crash loop; a short one signed sessions with a key of a few bytes, silently."""
    data = tmp_path / "data"
    (data / "secret_key").mkdir(parents=True)
    assert_one_line(run(tmp_path, "serve", "--port", "1"), "signing key", "remove it")
    (data / "secret_key").rmdir()
    (data / "secret_key").write_text("short\n")
    assert_one_line(run(tmp_path, "serve", "--port", "1"), "holds 5 characters, 32 at least")
