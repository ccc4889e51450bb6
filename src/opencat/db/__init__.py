"""Storage on SQLite or PostgreSQL through SQLAlchemy Core: the only package that speaks SQL."""
