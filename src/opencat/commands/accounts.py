"""``opencat user``, ``org`` and ``token``: accounts and API keys, for the operator of the machine."""

import argparse
import getpass
import json
import sys
from datetime import datetime, timedelta
from typing import Any, TextIO

from opencat.catalog import accounts, sessions
from opencat.catalog.context import Catalog
from opencat.config import SettingsError
from opencat.domain.accounts import ApiKey, User
from opencat.domain.dates import key_expiry


def emit(value: Any, as_json: bool, nothing: str = "nothing to list") -> None:
    """One record as ``key: value`` lines, a list as a table under its header, or a JSON document
    with ``--json``. An empty list says ``nothing`` on standard error: the output stays empty for
    a script, and a person is not left wondering whether the command ran."""
    if as_json:
        print(json.dumps(value))  # noqa: T201 - the command's output
    elif isinstance(value, dict):
        for key, item in value.items():
            print(f"{key}: {'' if item is None else item}")  # noqa: T201 - the command's output
    elif not value:
        print(f"({nothing})", file=sys.stderr)  # noqa: T201
    else:
        print("\t".join(value[0]))  # noqa: T201 - a header over the table
        for row in value:
            print("\t".join("" if item is None else str(item) for item in row.values()))  # noqa: T201


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def key_fields(key: ApiKey) -> dict[str, Any]:
    """What may be shown of a key: never its secret (the database only has its hash anyway)."""
    return {
        "id": key.id,
        "name": key.name,
        "created": _when(key.created_at),
        "expires": _when(key.expires_at),
        "last_used": _when(key.last_used_at),
        "revoked": _when(key.revoked_at),
    }


def _user_fields(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "slug": user.slug,
        "name": f"{user.first_name} {user.last_name}",
        "sysadmin": user.sysadmin,
        "deleted": _when(user.deleted),
    }


def user_list(catalog: Catalog, args: argparse.Namespace) -> None:
    emit([_user_fields(user) for user in accounts.list_users(catalog)], args.json, "no users")


def user_show(catalog: Catalog, args: argparse.Namespace) -> None:
    view = accounts.show_user(catalog, args.user)
    fields = _user_fields(view.user) | {"created": _when(view.user.created_at)}
    organizations = [{"id": org.id, "slug": org.slug, "role": role} for org, role in view.organizations]
    keys = [key_fields(key) for key in view.api_keys]
    if args.json:
        emit(fields | {"organizations": organizations, "api_keys": keys}, True)
        return
    emit(fields, False)
    emit({"organizations": ", ".join(f"{o['slug']} ({o['role']})" for o in organizations) or "none"}, False)
    emit({"api_keys": sum(1 for key in view.api_keys if key.revoked_at is None)}, False)


def user_delete(catalog: Catalog, args: argparse.Namespace) -> None:
    user = accounts.delete_user(catalog, args.user)
    emit({"id": user.id, "email": user.email, "deleted": _when(user.deleted)}, args.json)


def read_password(stdin: TextIO) -> str:
    """Asked twice on a terminal (not echoed); otherwise the first line of standard input, so that
    a script can pipe it in without it showing in the process list."""
    if stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise SettingsError("the two passwords differ; nothing was changed")  # refused: exit 2
        return first
    return stdin.readline().rstrip("\r\n")


def user_set_password(catalog: Catalog, args: argparse.Namespace) -> None:
    user = sessions.set_password(catalog, args.email, read_password(sys.stdin))
    print(f"Password set for {user.email}; their sessions are signed out")  # noqa: T201


def org_list(catalog: Catalog, args: argparse.Namespace) -> None:
    rows = [
        {"id": org.id, "slug": org.slug, "name": org.name, "members": members}
        for org, members in accounts.list_organizations(catalog)
        if org.deleted is None
    ]
    emit(rows, args.json, "no organizations")


def expiry(args: argparse.Namespace, now: datetime) -> datetime | None:
    """``--expires DATE`` (the end of that day, UTC, or an ISO date-time) or ``--days N``."""
    if args.days is not None:
        return now + timedelta(days=args.days)
    if args.expires is None:
        return None
    try:
        return key_expiry(args.expires)
    except ValueError:
        raise SettingsError(  # bad usage: exit 2
            f"--expires must be a date (YYYY-MM-DD) or an ISO date-time up to 9999-12-31, got {args.expires!r}"
        ) from None


def token_create(catalog: Catalog, args: argparse.Namespace) -> None:
    user, key, secret = accounts.issue_api_key(catalog, args.user, args.name, expiry(args, catalog.clock()))
    emit(
        {
            "user": user.id,
            "id": key.id,
            "name": key.name,
            "expires": _when(key.expires_at),
            "api_key": secret,
        },
        args.json,
    )


def token_list(catalog: Catalog, args: argparse.Namespace) -> None:
    _, keys = accounts.list_api_keys(catalog, args.user)
    shown = [key_fields(key) for key in keys if args.all or key.revoked_at is None]
    emit(shown, args.json, "no API keys" if args.all else "no API keys in use; --all lists the revoked ones")


def token_revoke(catalog: Catalog, args: argparse.Namespace) -> None:
    if args.all:
        count = accounts.revoke_api_keys(catalog, args.target)
        print(f"Revoked {count} API key(s)")  # noqa: T201 - the command's output
        return
    asked = catalog.clock()
    key = accounts.revoke_api_key(catalog, args.target)
    named = f"API key {key.id}" + (f" ({key.name})" if key.name else "")
    # Run twice, it said it revoked the key again: it says when it was.
    earlier = key.revoked_at is not None and key.revoked_at < asked
    said = (
        f"{named} was already revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC"
        if earlier
        else f"Revoked {named}"
    )
    print(said)  # noqa: T201
