"""Cooperative database drivers for services running under eventlet."""
from psycogreen.eventlet import patch_psycopg


def patch_database_drivers():
    """Make psycopg2 yield to other greenthreads while it waits for PostgreSQL.

    Call it right after `eventlet.monkey_patch()`. The sqlite3 driver needs
    no patch: SQLite calls are short local file operations.
    """
    patch_psycopg()
