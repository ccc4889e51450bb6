"""opencat: an open-data catalog server that speaks the data.gouv.fr (udata) API."""

__version__ = "0.1.0"
