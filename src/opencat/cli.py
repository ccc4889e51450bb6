"""The ``opencat`` command: database, server, accounts and imports."""

import argparse
import contextlib
import errno
import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from opencat import __version__, index_keeper, lifeline
from opencat.api import wording
from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.catalog.imports import catalog_is_empty, load_fixtures
from opencat.catalog.indexing import rebuild, rebuilt_if_ahead, sync
from opencat.commands import accounts as account_commands
from opencat.commands import backup, doctor, serving
from opencat.commands.accounts import emit
from opencat.commands.progress import Progress
from opencat.config import Settings, SettingsError, misspelled
from opencat.db.checks import check_url, connection_budget, connections_needed, ping
from opencat.db.engine import Database
from opencat.db.migrate import current_revision, is_newer, newest_revision, upgrade
from opencat.domain.errors import CatalogError, Invalid, InvalidItems, NotFound
from opencat.domain.urls import Urls
from opencat.ops.logs import configure_logging
from opencat.ops.metrics import DIRECTORY_VARIABLE, prepare_directory
from opencat.supervision import Supervised
from opencat.wiring import build_catalog

_open: list[Database] = []


def _catalog(settings: Settings) -> Catalog:
    """The catalog of the settings, its database checked (one line if unusable); a new database
    is made. One at an older schema is refused: a command run with a new release (a nightly
    backup, a user list) migrated a database its servers of the previous release were still
    using, and a backup taken so before an upgrade could no longer be restored to roll it back.
    ``opencat db upgrade`` (or ``serve``, ``restore``) migrates it."""
    catalog = _opened(settings)
    current, newest = current_revision(catalog.db), newest_revision()
    if current is not None and current != newest and not is_newer(current, newest):
        raise SettingsError(
            f"the database's schema is at {current}, this opencat needs {newest}: run "
            "'opencat db upgrade' first (with the servers of the previous release stopped)"
        )
    upgrade(catalog.db)  # a new database made; one newer than this code refused in one line
    return catalog


def _migrated_catalog(settings: Settings) -> Catalog:
    """The catalog, its database migrated to this release's schema (``serve``, ``restore``)."""
    catalog = _opened(settings)
    upgrade(catalog.db)
    return catalog


def _unusable_data_dir(settings: Settings, error: OSError) -> SettingsError:
    """A file, a read-only or full disk, a directory not ours: bad settings, exit 2."""
    return SettingsError(f"OPENCAT_DATA_DIR: cannot use {settings.data_dir}: {error.strerror or error}")


def _opened(settings: Settings) -> Catalog:
    """The catalog of the settings, its database checked (one line if unusable), not migrated."""
    check_url(settings.database_url)
    try:  # a SQLite file may be made in it
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unusable_data_dir(settings, error) from None
    database = Database(settings.database_url, settings.database_pool_size, settings.database_lock_timeout)
    _open.append(database)
    # Before the files' and the index's directories are made: a database that cannot be used
    # leaves nothing behind but the data directory.
    ping(database)
    try:
        return build_catalog(settings, database)
    except OSError as error:
        raise _unusable_data_dir(settings, error) from None


def _with_catalog(
    run: Callable[[Catalog, argparse.Namespace], None],
) -> Callable[[Settings, argparse.Namespace], None]:
    return lambda settings, args: run(_catalog(settings), args)


def _existing_catalog(settings: Settings) -> Catalog:
    """``_catalog`` for a command that reads or keeps up what a catalog holds (a list, a reindex,
    an export): a data directory with no database is a mistyped setting, not a new catalog to
    make there and report on as a success."""
    backup.refuse_missing_database(settings)
    return _catalog(settings)


def _with_existing_catalog(
    run: Callable[[Catalog, argparse.Namespace], None],
) -> Callable[[Settings, argparse.Namespace], None]:
    return lambda settings, args: run(_existing_catalog(settings), args)


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> None:
    catalog = _opened(settings)
    before = current_revision(catalog.db)
    upgrade(catalog.db)
    after = current_revision(catalog.db)
    said = "is up to date" if after == before else f"upgraded from {before or 'nothing'} to {after}"
    print(f"Database {said}")  # noqa: T201 - the command's output


def _check_address(host: str, port: int) -> None:
    """Refuse an address something already listens on.

    granian's workers bind with SO_REUSEPORT, so a second server on a busy port would share
    it, and its requests, with the first without a word. A bind without SO_REUSEPORT fails
    there; SO_REUSEADDR (which granian sets too) only lets it ignore the past connections of
    an earlier run, and the ones a stopping server is still finishing.
    """
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        raise SettingsError(f"--host must be an IP address, got {host!r}") from None  # bad usage: exit 2
    family, shown = (
        (socket.AF_INET6, f"[{host}]:{port}") if version == 6 else (socket.AF_INET, f"{host}:{port}")
    )
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(f"{shown} is already in use") from None
            raise OSError(f"cannot listen on {shown}: {error.strerror}") from None


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    _check_address(args.host, args.port)
    configure_logging(settings.log_format, settings.log_level)
    try:  # the first thing made in it is the pages' signing key: say what is wrong in one line
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unusable_data_dir(settings, error) from None
    # Before any worker starts: they inherit the variable and share the emptied directory.
    try:
        os.environ[DIRECTORY_VARIABLE] = str(prepare_directory(settings.data_dir, os.environ))
    except OSError as error:
        if Path(error.filename or settings.data_dir).is_relative_to(settings.data_dir):
            raise _unusable_data_dir(settings, error) from None
        raise SettingsError(
            f"{DIRECTORY_VARIABLE}: cannot use {error.filename}: {error.strerror or error}"
        ) from None
    settings, note = serving.choose_base_url(settings, os.environ, args.host, args.port)
    from opencat.app import secret_key  # the pages' stack: only serve needs it

    secret_key(settings)  # made, or checked, once: each worker failing on it was a crash loop
    catalog = _migrated_catalog(settings)
    print(f"opencat {__version__}", *serving.banner(settings, note), sep="\n  ", flush=True)  # noqa: T201
    _warn_of_the_connection_budget(catalog, args.workers, settings.database_pool_size)
    # Index what the database holds before serving: the first requests do not pay for a rebuild
    # (nor for a database restored under the index).
    if not rebuilt_if_ahead(catalog):
        sync(catalog)
    catalog.db.dispose()
    # Imported here: the scheduler's harvest backends (rdflib) are a quarter of a second that the
    # other commands do not need.
    from opencat import harvest_scheduler

    # Before the workers: they learn of the keeper from the environment.
    keeper = Supervised("index keeper", index_keeper.start, index_keeper.stop)
    scheduler = (
        Supervised("harvest scheduler", harvest_scheduler.start, harvest_scheduler.stop)
        if settings.harvest_scheduler
        else None
    )
    try:
        _granian(args)
    finally:
        if scheduler is not None:
            scheduler.stop()
        keeper.stop()


def _warn_of_the_connection_budget(catalog: Catalog, workers: int, pool_size: int) -> None:
    """PostgreSQL's limits below what this node may open: listings and searches then fail (503)
    as soon as the pools grow, while the server started without a word."""
    budget, needed = connection_budget(catalog.db), connections_needed(workers, pool_size)
    if budget is not None and budget < needed:
        print(  # noqa: T201 - the command's output
            f"warning: PostgreSQL lets opencat open {budget} connections to its database; this node "
            f"may need {needed} ({workers} workers, OPENCAT_DATABASE_POOL_SIZE={pool_size}; more "
            "nodes, more again): lower the pool size or raise max_connections and the database's "
            "and role's CONNECTION LIMIT, or requests will be refused (503) under load",
            file=sys.stderr,
            flush=True,
        )


def _granian(args: argparse.Namespace) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    lifeline.tie_forked_workers()

    Granian(
        "opencat.asgi:build",
        address=args.host,
        port=args.port,
        workers=args.workers,
        interface=Interfaces.ASGI,
        # A worker that dies (kill -9, out of memory) is replaced; one that dies again within
        # seconds of its start stops the server instead of looping (granian's crash-loop guard).
        respawn_failed_workers=True,
        log_access=False,  # opencat.ops writes the access log, with request ids
    ).serve(target_loader=lifeline.load_app)


def _user_create(settings: Settings, args: argparse.Namespace) -> None:
    user, key = accounts.create_user(
        _catalog(settings),
        email=args.email,
        first_name=args.first_name,
        last_name=args.last_name,
        sysadmin=args.sysadmin,
    )
    emit({"id": user.id, "email": user.email, "slug": user.slug, "api_key": key}, args.json)


def _org_create(settings: Settings, args: argparse.Namespace) -> None:
    org = accounts.create_organization(_catalog(settings), name=args.name, acronym=args.acronym)
    emit({"id": org.id, "slug": org.slug, "name": org.name}, args.json)


def _org_add_member(settings: Settings, args: argparse.Namespace) -> None:
    member = accounts.add_member(_existing_catalog(settings), args.org, args.user, args.role)
    emit({"organization": member.organization_id, "user": member.user.id, "role": member.role}, False)


def _export(settings: Settings, args: argparse.Namespace) -> None:
    if args.kind == "jsonl" and args.format is not None:  # it was ignored without a word
        raise SettingsError("--format is the RDF serialization of a dcat export; jsonl has none")
    if args.output and Path(args.output).is_dir():  # said before anything is written beside it
        raise SettingsError(f"--output must name a file, {args.output} is a directory")
    if args.output and not Path(args.output).absolute().parent.is_dir():
        raise SettingsError(f"--output: the directory of {args.output} does not exist")
    catalog = _existing_catalog(settings)
    urls = Urls(settings.base_url, settings.front_url)
    # A file is written beside its place and renamed into it once whole: an export that fails or
    # is interrupted leaves no truncated file, and an earlier export stays as it was.
    output = Path(args.output) if args.output else None
    partial = None if output is None else output.with_name(f".{output.name}.partial")
    opened = sys.stdout.buffer if partial is None else partial.open("wb")
    target: Any = _Counted(opened, Progress("exported", "kB"))
    try:
        if args.kind == "jsonl":
            from opencat.api.rdf import write_json_lines  # the API's shapes: not loaded for other commands

            count = write_json_lines(catalog, urls, target)
        else:
            from opencat.catalog.rdf import export_catalog  # rdflib: not loaded for other commands

            count = export_catalog(
                catalog,
                urls,
                target,
                args.format or "nt",
                settings.site_title,
                language=settings.default_language,
            )
        target.flush()
        target.progress.finish()
        if partial is not None and output is not None:
            opened.close()
            partial.replace(output)
    finally:
        if partial is not None:
            opened.close()
            partial.unlink(missing_ok=True)
    print(f"Exported {count} datasets", file=sys.stderr)  # noqa: T201 - the command's output


class _Counted:
    """An output stream that reports how much went through it (the export's progress)."""

    def __init__(self, stream: BinaryIO, progress: Progress) -> None:
        self.stream = stream
        self.progress = progress
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        self.progress(self.written // 1000)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


def _load_fixtures(settings: Settings, args: argparse.Namespace) -> None:
    path = Path(args.path)
    if not path.exists():  # a value refused (exit 2), not Python's "[Errno 2] No such file…"
        raise Invalid({"path": [f"{path} does not exist"]})
    count = load_fixtures(_catalog(settings), path, Progress("imported", "datasets"))
    if count == 0:
        # A folder of organizations, or one level too high, said "Loaded 0 datasets" and no more.
        print(  # noqa: T201 - the command's output
            f"Loaded 0 datasets: {path} holds no dataset (udata's fixtures, dataset documents of the"
            " API, or a catalog export)"
        )
        return
    print(f"Loaded {count} datasets")  # noqa: T201 - the command's output


def _load_demo(settings: Settings, args: argparse.Namespace) -> None:
    catalog = _catalog(settings)
    if args.if_empty and not catalog_is_empty(catalog):
        print("The catalog already has datasets: demo not loaded")  # noqa: T201 - the command's output
        return
    demo = files("opencat") / "demo" / "datasets.json"
    count = load_fixtures(catalog, Path(str(demo)), Progress("imported", "datasets"))
    print(f"Loaded {count} demo datasets")  # noqa: T201 - the command's output


def _reindex(settings: Settings, args: argparse.Namespace) -> None:
    count = rebuild(_existing_catalog(settings), Progress("indexed", "datasets"))
    print(f"Indexed {count} datasets")  # noqa: T201 - the command's output


def _backup(settings: Settings, args: argparse.Namespace) -> None:
    backup.refuse_unsupported(settings)
    manifest = backup.back_up(_existing_catalog(settings), settings, Path(args.directory))
    print(f"Backed up {manifest['datasets']} datasets and {manifest['files']} files to {args.directory}")  # noqa: T201


def _restore(settings: Settings, args: argparse.Namespace) -> None:
    backup.refuse_unsupported(settings)
    manifest = backup.restore(settings, Path(args.directory))
    count = rebuild(_migrated_catalog(settings), Progress("indexed", "datasets"))
    print(f"Restored {manifest['datasets']} datasets and {manifest['files']} files; indexed {count}")  # noqa: T201


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, with where to read more (argparse's exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {port}")
    return port


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


# Each worker is a process of ~70 MB that answers requests with its own threads: one or two per
# core is the useful range; a typo such as 1000 started workers until the machine ran out of memory.
MAX_WORKERS = 128


def _worker_count(raw: str) -> int:
    value = _positive(raw)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_WORKERS}, got {value} (each worker is a process; one or two per core is enough)"
        )
    return value


# A key's longest life: a hundred years (a longer one overflowed the date).
MAX_KEY_DAYS = 36_500


def _days(raw: str) -> int:
    value = _positive(raw)
    if value > MAX_KEY_DAYS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_KEY_DAYS} days, got {value}")
    return value


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _account_commands(commands: Any) -> None:
    user = commands.add_parser("user", help="user accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_user = user.add_parser("create", help="create a user and print their first API key")
    create_user.add_argument("--email", required=True, help="their email, unique")
    create_user.add_argument("--first-name", required=True, help="their first name")
    create_user.add_argument("--last-name", required=True, help="their last name")
    create_user.add_argument("--sysadmin", action="store_true", help="may administer the whole catalog")
    _json_option(create_user)
    create_user.set_defaults(run=_user_create)
    list_users = user.add_parser("list", help="every user: id, email, slug, name, sysadmin, deleted")
    _json_option(list_users)
    list_users.set_defaults(run=_with_existing_catalog(account_commands.user_list))
    show_user = user.add_parser("show", help="one user, their organizations and API keys")
    show_user.add_argument("user", help="user id, slug or email")
    _json_option(show_user)
    show_user.set_defaults(run=_with_existing_catalog(account_commands.user_show))
    delete_user = user.add_parser(
        "delete",
        help="delete a user as udata does: marked deleted, named nowhere, keys revoked, memberships and follows ended",
    )
    delete_user.add_argument("user", help="user id, slug or email")
    _json_option(delete_user)
    delete_user.set_defaults(run=_with_existing_catalog(account_commands.user_delete))
    set_password = user.add_parser(
        "set-password",
        help="set a user's password to sign in to the pages (asked twice, or read from standard input); "
        "signs them out everywhere",
    )
    set_password.add_argument("email", help="the user's email (or id)")
    set_password.set_defaults(run=_with_existing_catalog(account_commands.user_set_password))

    org = commands.add_parser("org", help="organizations").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_org = org.add_parser("create", help="create an organization")
    create_org.add_argument("--name", required=True, help="its full name (the slug comes from it)")
    create_org.add_argument("--acronym", help="its acronym")
    _json_option(create_org)
    create_org.set_defaults(run=_org_create)
    list_orgs = org.add_parser("list", help="every organization: id, slug, name, members")
    _json_option(list_orgs)
    list_orgs.set_defaults(run=_with_existing_catalog(account_commands.org_list))
    add_member = org.add_parser("add-member", help="give a user a role in an organization")
    add_member.add_argument("org", help="organization id or slug")
    add_member.add_argument("user", help="user id, slug or email")
    add_member.add_argument("--role", required=True, choices=["admin", "editor"], help="their role")
    add_member.set_defaults(run=_org_add_member)

    token = commands.add_parser("token", help="API keys").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_token = token.add_parser(
        "create", help="issue an API key for a user (printed once, stored hashed)"
    )
    create_token.add_argument("user", help="user id, slug or email")
    create_token.add_argument("--name", help="what the key is for (shown by token list)")
    expiry = create_token.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires", metavar="DATE", help="last day of validity (YYYY-MM-DD, UTC) or ISO date-time"
    )
    expiry.add_argument(
        "--days", type=_days, help=f"valid for this many days from now (at most {MAX_KEY_DAYS})"
    )
    _json_option(create_token)
    create_token.set_defaults(run=_with_existing_catalog(account_commands.token_create))
    list_tokens = token.add_parser("list", help="a user's API keys: id, name, created, expires, last used")
    list_tokens.add_argument("user", help="user id, slug or email")
    list_tokens.add_argument("--all", action="store_true", help="include revoked keys")
    _json_option(list_tokens)
    list_tokens.set_defaults(run=_with_existing_catalog(account_commands.token_list))
    revoke_token = token.add_parser("revoke", help="revoke one API key (or, with --all, every key of a user)")
    revoke_token.add_argument(
        "target", metavar="KEY_ID", help="the key's id (see token list); a user with --all"
    )
    revoke_token.add_argument("--all", action="store_true", help="KEY_ID names a user: revoke all their keys")
    revoke_token.set_defaults(run=_with_existing_catalog(account_commands.token_revoke))


def _harvest_run(settings: Settings, args: argparse.Namespace) -> None:
    from opencat.catalog.harvest_settings import harvest_options
    from opencat.commands import harvest

    harvest.run(_existing_catalog(settings), args, harvest_options(settings))


def _harvest_command(name: str) -> Callable[[Catalog, argparse.Namespace], None]:
    """A harvest command, its module (and rdflib, under the harvest backends) imported only when
    a harvest command runs: every other command starts without them."""

    def run(catalog: Catalog, args: argparse.Namespace) -> None:
        from opencat.commands import harvest

        getattr(harvest, name)(catalog, args)

    return run


def _harvest_commands(commands: Any) -> None:
    group = commands.add_parser("harvest", help="gather other catalogs").add_subparsers(
        dest="harvest_command", required=True, metavar="COMMAND"
    )
    add = group.add_parser("add", help="declare a source (accepted: the operator declares it)")
    add.add_argument("name", help="what the source is called in lists and job reports")
    add.add_argument("url", help="the remote catalog (a site, or its endpoint)")
    add.add_argument(
        "--backend",
        required=True,
        help="dcat, ckan, datajson or udata (GET /api/1/harvest/backends/ lists them)",
    )
    owner = add.add_mutually_exclusive_group(required=True)
    owner.add_argument(
        "--organization", help="the organization that owns the harvested datasets (its id or slug)"
    )
    owner.add_argument("--owner", help="the user who owns them (a user id)")
    add.add_argument("--schedule", help="a cron expression: when opencat serve runs it (quote it)")
    add.add_argument("--description", default="", help="a sentence for the source's page")
    add.add_argument("--config", help="the backend's settings as a JSON object, e.g. '{\"page_size\": 50}'")
    _json_option(add)
    add.set_defaults(run=_with_catalog(_harvest_command("add")))
    listing = group.add_parser("list", help="every source: id, name, backend, URL, schedule, last job")
    _json_option(listing)
    listing.set_defaults(run=_with_existing_catalog(_harvest_command("list_sources")))
    run = group.add_parser("run", help="run one job of a source now; exit 1 if it failed")
    run.add_argument("source", help="the source's id")
    _json_option(run)
    run.set_defaults(run=_harvest_run)
    jobs = group.add_parser("jobs", help="a source's jobs, newest first, with their counts")
    jobs.add_argument("source", help="the source's id")
    jobs.add_argument("--limit", type=_positive, default=20, help="at most this many jobs (default 20)")
    _json_option(jobs)
    jobs.set_defaults(run=_with_existing_catalog(_harvest_command("jobs")))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opencat", description=(__doc__ or "").replace("``", ""))  # no reST in a terminal
    parser.add_argument("--version", action="version", version=f"opencat {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="migrate to the latest schema").set_defaults(run=_db_upgrade)

    serve = commands.add_parser("serve", help="migrate, index, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="IP address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port to listen on (default: 8000)")
    serve.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        help=f"worker processes (default: 1, at most {MAX_WORKERS})",
    )
    serve.set_defaults(run=_serve)

    _account_commands(commands)

    fixtures = commands.add_parser(
        "load-fixtures", help="import udata fixtures, dataset documents or a catalogue CSV"
    )
    fixtures.add_argument(
        "path",
        help="udata's fixture file, API v1 dataset documents (a JSON array, or a folder of one per "
        "file), or a catalogue CSV export (2020's or the current one)",
    )
    fixtures.set_defaults(run=_load_fixtures)

    export = commands.add_parser("export", help="write the whole public catalog, streamed")
    export.add_argument(
        "kind", choices=["dcat", "jsonl"], help="DCAT-AP 3 RDF, or JSON Lines in the API's shape"
    )
    export.add_argument("--format", choices=["nt", "ttl"], help="RDF serialization (dcat; default nt)")
    export.add_argument("--output", help="a file (default: standard output)")
    export.set_defaults(run=_export)

    demo = commands.add_parser("load-demo", help="import the bundled demo catalog")
    demo.add_argument("--if-empty", action="store_true", help="only when the catalog has no dataset")
    demo.set_defaults(run=_load_demo)

    reindex = commands.add_parser("reindex", help="rebuild this machine's search index from the database")
    reindex.set_defaults(run=_reindex)

    check = commands.add_parser("doctor", help="check settings, database, migrations, files and index")
    check.set_defaults(run=None)

    _harvest_commands(commands)

    save = commands.add_parser("backup", help="copy the SQLite database, local files and a manifest to DIR")
    save.add_argument("directory", metavar="DIR", help="a new or empty directory")
    save.set_defaults(run=_backup)
    load = commands.add_parser("restore", help="restore a backup from DIR into the (empty) data directory")
    load.add_argument("directory", metavar="DIR", help="a directory written by opencat backup")
    load.set_defaults(run=_restore)
    return parser


def _said(messages: Any) -> str:
    """A field's messages as a sentence (a list of them joined, not its Python repr)."""
    if isinstance(messages, list) and all(isinstance(message, str) for message in messages):
        return " ".join(messages)
    return str(messages)


def _describe(error: Exception) -> str:
    if isinstance(error, Invalid):
        return "; ".join(
            f"{field}: {_said(messages)}" for field, messages in wording.worded(error.errors).items()
        )
    if isinstance(error, CatalogError):
        return wording.message(error) or type(error).__name__
    return str(error)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null: Python's last flush at exit would fail again."""
    with contextlib.suppress(OSError, ValueError):  # no descriptor (a test's captured stream)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 done, 1 the work failed, 2 bad usage, settings or a value refused (nothing was done)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if not arguments:
        parser.print_help(sys.stderr)  # a command is required: argparse's usage error, with the whole help
        return 2
    args = parser.parse_args(arguments)
    if args.run is None:
        return doctor.run(os.environ)
    for warning in misspelled(os.environ):
        print(f"warning: {warning}", file=sys.stderr)  # noqa: T201 - the command's output
    try:
        args.run(Settings.from_env(os.environ), args)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - the command's output
        return 2
    except BrokenPipeError:  # the reader went (`| head`): nothing to say, and nowhere to say it
        _quiet_stdout()
        return 1
    # A value given is wrong, or names nothing (a user, a key, a source): nothing was done.
    except (Invalid, InvalidItems, NotFound) as error:
        print(f"error: {_describe(error)}", file=sys.stderr)  # noqa: T201 - the command's output
        return 2
    except (CatalogError, OSError, ValueError) as error:
        print(f"error: {_describe(error)}", file=sys.stderr)  # noqa: T201 - the command's output
        return 1
    finally:
        while _open:
            _open.pop().dispose()
    return 0
