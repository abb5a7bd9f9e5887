"""The relational store: SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL, migrated by Alembic."""

from vigilant.store.engine import Database, open_database

__all__ = ["Database", "open_database"]
