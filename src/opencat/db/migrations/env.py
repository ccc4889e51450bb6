"""Alembic environment: runs on the connection that ``opencat.db.migrate`` hands over."""

from alembic import context

from opencat.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
