"""The ``opencat`` command: database, server, accounts and imports."""

import argparse
import errno
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Sequence
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

from opencat import lifeline
from opencat.api import wording
from opencat.api.rdf import write_json_lines
from opencat.app import build_catalog
from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.catalog.imports import catalog_is_empty, load_fixtures
from opencat.catalog.indexing import sync
from opencat.catalog.rdf import export_catalog
from opencat.config import Settings, SettingsError
from opencat.db.engine import Database
from opencat.db.migrate import upgrade
from opencat.domain.errors import CatalogError, Invalid
from opencat.domain.urls import Urls
from opencat.ops.logs import configure_logging
from opencat.ops.metrics import DIRECTORY_VARIABLE, prepare_directory


def _print(value: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(value))  # noqa: T201 - the command's output
    else:
        for key, item in value.items():
            print(f"{key}: {item}")  # noqa: T201 - the command's output


_open: list[Database] = []


def _catalog(settings: Settings) -> Catalog:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalog = build_catalog(settings)
    _open.append(catalog.db)
    upgrade(catalog.db)
    return catalog


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> None:
    _catalog(settings)
    print("Database is up to date")  # noqa: T201 - the command's output


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
        raise ValueError(f"--host must be an IP address, got {host!r}") from None
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
    from granian import Granian
    from granian.constants import Interfaces

    _check_address(args.host, args.port)
    configure_logging(settings.log_format, settings.log_level)
    # Before any worker starts: they inherit the variable and share the emptied directory.
    os.environ[DIRECTORY_VARIABLE] = str(prepare_directory(settings.data_dir, os.environ))
    catalog = _catalog(settings)
    # Index what the database holds before serving: the first requests do not pay for a rebuild.
    sync(catalog)
    catalog.db.dispose()
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
    ).serve(target_loader=partial(lifeline.load_app, os.getpid()))


def _user_create(settings: Settings, args: argparse.Namespace) -> None:
    user, key = accounts.create_user(
        _catalog(settings),
        email=args.email,
        first_name=args.first_name,
        last_name=args.last_name,
        sysadmin=args.sysadmin,
    )
    _print({"id": user.id, "email": user.email, "slug": user.slug, "api_key": key}, args.json)


def _org_create(settings: Settings, args: argparse.Namespace) -> None:
    org = accounts.create_organization(_catalog(settings), name=args.name, acronym=args.acronym)
    _print({"id": org.id, "slug": org.slug, "name": org.name}, args.json)


def _org_add_member(settings: Settings, args: argparse.Namespace) -> None:
    member = accounts.add_member(_catalog(settings), args.org, args.user, args.role)
    _print({"organization": member.organization_id, "user": member.user.id, "role": member.role}, False)


def _token_create(settings: Settings, args: argparse.Namespace) -> None:
    user, key = accounts.create_api_key(_catalog(settings), args.user)
    _print({"user": user.id, "api_key": key}, args.json)


def _token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    count = accounts.revoke_api_keys(_catalog(settings), args.user)
    print(f"Revoked {count} API key(s)")  # noqa: T201 - the command's output


def _export(settings: Settings, args: argparse.Namespace) -> None:
    catalog = _catalog(settings)
    urls = Urls(settings.base_url, settings.front_url)
    target = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115 - closed below
    try:
        if args.kind == "jsonl":
            count = write_json_lines(catalog, urls, target)
        else:
            count = export_catalog(catalog, urls, target, args.format, settings.site_title)
        target.flush()
    finally:
        if args.output:
            target.close()
    print(f"Exported {count} datasets", file=sys.stderr)  # noqa: T201 - the command's output


def _progress(done: int, total: int) -> None:
    print(f"\rimported {done}/{total} datasets", end="" if done < total else "\n", file=sys.stderr)  # noqa: T201


def _load_fixtures(settings: Settings, args: argparse.Namespace) -> None:
    count = load_fixtures(_catalog(settings), Path(args.path), _progress)
    print(f"Loaded {count} datasets")  # noqa: T201 - the command's output


def _load_demo(settings: Settings, args: argparse.Namespace) -> None:
    catalog = _catalog(settings)
    if args.if_empty and not catalog_is_empty(catalog):
        print("The catalog already has datasets: demo not loaded")  # noqa: T201 - the command's output
        return
    demo = files("opencat") / "demo" / "datasets.json"
    count = load_fixtures(catalog, Path(str(demo)), _progress)
    print(f"Loaded {count} demo datasets")  # noqa: T201 - the command's output


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opencat", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="migrate to the latest schema").set_defaults(run=_db_upgrade)

    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    user = commands.add_parser("user").add_subparsers(dest="action", required=True)
    create_user = user.add_parser("create", help="create a user and print their first API key")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--first-name", required=True)
    create_user.add_argument("--last-name", required=True)
    create_user.add_argument("--sysadmin", action="store_true")
    create_user.add_argument("--json", action="store_true")
    create_user.set_defaults(run=_user_create)

    org = commands.add_parser("org").add_subparsers(dest="action", required=True)
    create_org = org.add_parser("create", help="create an organization")
    create_org.add_argument("--name", required=True)
    create_org.add_argument("--acronym")
    create_org.add_argument("--json", action="store_true")
    create_org.set_defaults(run=_org_create)
    add_member = org.add_parser("add-member", help="give a user a role in an organization")
    add_member.add_argument("org", help="organization id or slug")
    add_member.add_argument("user", help="user id or email")
    add_member.add_argument("--role", required=True, choices=["admin", "editor"])
    add_member.set_defaults(run=_org_add_member)

    token = commands.add_parser("token").add_subparsers(dest="action", required=True)
    create_token = token.add_parser("create", help="issue a new API key for a user")
    create_token.add_argument("user", help="user id or email")
    create_token.add_argument("--json", action="store_true")
    create_token.set_defaults(run=_token_create)
    revoke_token = token.add_parser("revoke", help="revoke every API key of a user")
    revoke_token.add_argument("user", help="user id or email")
    revoke_token.set_defaults(run=_token_revoke)

    fixtures = commands.add_parser("load-fixtures", help="import udata fixtures or dataset documents")
    fixtures.add_argument("path")
    fixtures.set_defaults(run=_load_fixtures)

    export = commands.add_parser("export", help="write the whole public catalog, streamed")
    export.add_argument(
        "kind", choices=["dcat", "jsonl"], help="DCAT-AP 3 RDF, or JSON Lines in the API's shape"
    )
    export.add_argument("--format", choices=["nt", "ttl"], default="nt", help="RDF serialization (dcat)")
    export.add_argument("--output", help="a file (default: standard output)")
    export.set_defaults(run=_export)

    demo = commands.add_parser("load-demo", help="import the bundled demo catalog")
    demo.add_argument("--if-empty", action="store_true", help="only when the catalog has no dataset")
    demo.set_defaults(run=_load_demo)
    return parser


def _describe(error: Exception) -> str:
    if isinstance(error, Invalid):
        return "; ".join(f"{field}: {messages}" for field, messages in wording.worded(error.errors).items())
    if isinstance(error, CatalogError):
        return wording.message(error) or type(error).__name__
    return str(error)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.run(Settings.from_env(os.environ), args)
    except (CatalogError, SettingsError, OSError, ValueError) as error:
        print(f"error: {_describe(error)}", file=sys.stderr)  # noqa: T201 - the command's output
        return 1
    finally:
        while _open:
            _open.pop().dispose()
    return 0
