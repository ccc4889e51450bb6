"""The ASGI entry point for servers: settings come from the environment, read once."""

import os

from starlette.applications import Starlette

from opencat.app import create_app
from opencat.config import Settings


def build() -> Starlette:
    return create_app(Settings.from_env(os.environ))
