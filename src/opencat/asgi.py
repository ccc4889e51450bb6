"""The ASGI entry point for servers: settings come from the environment, read once."""

import os
from pathlib import Path

from starlette.applications import Starlette

from opencat import index_keeper
from opencat.app import create_app
from opencat.catalog.upload_sessions import remove_spool_leftovers
from opencat.config import Settings
from opencat.ops.logs import configure_logging
from opencat.ops.metrics import DIRECTORY_VARIABLE, forget_dead_workers
from opencat.wiring import build_catalog


def build() -> Starlette:
    settings = Settings.from_env(os.environ)
    # granian configured only its own loggers in this worker: ours go to stderr, one format.
    configure_logging(settings.log_format, settings.log_level)
    catalog = build_catalog(settings)
    if os.environ.get(index_keeper.VARIABLE):  # opencat serve runs one: wait for it, not the lock
        catalog.search.keeper_expected = True
    # A worker starting may replace one killed mid-upload: its spool file has no other owner.
    remove_spool_leftovers(catalog)
    # Set by ``opencat serve`` (or the operator): the workers of this server share their metrics.
    shared = os.environ.get(DIRECTORY_VARIABLE)
    metrics_dir = Path(shared) if shared else None
    if metrics_dir is not None:
        forget_dead_workers(metrics_dir)  # this worker may replace one that was killed
    return create_app(settings, catalog=catalog, metrics_dir=metrics_dir)
