"""Test data made through the use cases, so it always satisfies the domain rules."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opencat.catalog import accounts
from opencat.catalog.context import Catalog
from opencat.catalog.datasets import create_dataset
from opencat.catalog.imports import load_fixtures
from opencat.catalog.views import DatasetView
from opencat.domain.accounts import Actor, Organization, User
from opencat.domain.changes import UNSET, DatasetChanges, ResourceChanges, Submitted

_counter = 0


def _next() -> int:
    global _counter
    _counter += 1
    return _counter


@dataclass
class Account:
    user: User
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.key}

    def actor(self, catalog: Catalog) -> Actor:
        return accounts.authenticate(catalog, self.key)


def make_user(catalog: Catalog, *, sysadmin: bool = False, first_name: str = "Alice") -> Account:
    number = _next()
    user, key = accounts.create_user(
        catalog,
        email=f"user{number}@example.org",
        first_name=first_name,
        last_name=f"Tester{number}",
        sysadmin=sysadmin,
    )
    return Account(user, key)


def make_org(catalog: Catalog, name: str | None = None, **members: str) -> Organization:
    """``members`` maps a user id to a role."""
    org = accounts.create_organization(catalog, name=name or f"Organization {_next()}")
    for user_id, role in members.items():
        accounts.add_member(catalog, org.id, user_id, role)
    return org


def dataset_changes(**fields: Any) -> DatasetChanges:
    """Changes from domain values (lists of tags and resource dicts welcome), past the API's
    parsing: tests set up what they need directly."""
    resources = fields.pop("resources", UNSET)
    if resources is not UNSET:
        resources = tuple(ResourceChanges(**entry) for entry in resources)
    if "tags" in fields:
        fields["tags"] = tuple(fields["tags"])
    return DatasetChanges(**fields, resources=resources)


def make_dataset(catalog: Catalog, account: Account, **fields: Any) -> DatasetView:
    values: dict[str, Any] = {"title": f"Dataset {_next()}", "description": "Some description"}
    values.update(fields)
    return create_dataset(catalog, account.actor(catalog), Submitted.of(dataset_changes(**values)))


def load_documents(catalog: Catalog, folder: Path, *documents: dict[str, Any]) -> None:
    """Datasets as udata's API answers them (or as an export kept them), loaded as an operator
    loads them (``opencat load-fixtures``): dates, owners and harvest metadata of their own."""
    path = folder / "datasets.json"
    path.write_text(json.dumps(list(documents)), encoding="utf-8")
    assert load_fixtures(catalog, path) == len(documents)
