"""Run the command line with ``python -m opencat``."""

from opencat.cli import main

raise SystemExit(main())
