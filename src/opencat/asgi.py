"""The ASGI entry point for servers: settings come from the environment, read once."""

import os

from starlette.applications import Starlette

from opencat.app import build_catalog, create_app
from opencat.catalog.upload_sessions import remove_spool_leftovers
from opencat.config import Settings


def build() -> Starlette:
    settings = Settings.from_env(os.environ)
    catalog = build_catalog(settings)
    # A worker starting may replace one killed mid-upload: its spool file has no other owner.
    remove_spool_leftovers(catalog)
    return create_app(settings, catalog=catalog)
