"""Alembic migrations of the opencat schema."""
