"""DuckDB store: one schema (schema.sql), one root connection per database file."""
from store import audit
from store.db import Database, default_db_path, get_db

__all__ = ["Database", "audit", "default_db_path", "get_db"]
