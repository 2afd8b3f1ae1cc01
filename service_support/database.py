"""Peewee databases for Nameko services: SQLite by default, PostgreSQL by URL.

A service declares `db = Database(proxy, models, "USERS_DATABASE_URL",
"users")`. At container setup the provider opens the database named by that
config key (an SQLite file under DATA_DIR when the key is empty), points the
models' `DatabaseProxy` at it, creates missing tables and adds missing
nullable columns. Every worker gets
its own connection, opened in `worker_setup` and returned in
`worker_teardown`, because Peewee keeps one connection per thread (per
greenthread under eventlet) until it is closed.
"""
import logging
import os
import time
from urllib.parse import urlsplit

from nameko.extensions import DependencyProvider
from peewee import OperationalError, SqliteDatabase
from playhouse.db_url import parse as parse_database_url
from playhouse.pool import PooledPostgresqlDatabase

from service_support.migrations import add_missing_columns

_log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
}
CONNECT_ATTEMPTS = 30
CONNECT_RETRY_DELAY = 1.0


def open_database(url, data_dir, name, max_connections):
    """Open the database at `url`, or the SQLite file `<data_dir>/<name>.sqlite3`."""
    if not url:
        os.makedirs(data_dir, exist_ok=True)
        return SqliteDatabase(os.path.join(data_dir, f"{name}.sqlite3"), pragmas=SQLITE_PRAGMAS)

    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = urlsplit(url).path[1:] if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            # Each worker opens its own connection, so an in-memory database
            # would be a different, empty one for every request.
            raise SystemExit(f"database URL {url!r} must name an SQLite file: sqlite:///path/to/file.sqlite3")
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    if scheme in ("postgres", "postgresql"):
        params = parse_database_url(url)
        database = params.pop("database")
        return PooledPostgresqlDatabase(
            database, max_connections=max_connections, stale_timeout=300, timeout=10, **params
        )
    raise SystemExit(
        f"database URL scheme {scheme!r} is not supported: "
        "use postgresql://user:password@host:port/dbname, or leave it empty for SQLite"
    )


def describe_database(database):
    """Return a log-safe description of `database`, without its password."""
    if isinstance(database, SqliteDatabase):
        return f"SQLite file {database.database}"
    host = database.connect_params.get("host", "localhost")
    return f"PostgreSQL database {database.database} on {host}"


def is_postgresql(database):
    return isinstance(database, PooledPostgresqlDatabase)


class Database(DependencyProvider):
    """Give each worker a connection to the service's own database."""

    def __init__(self, proxy, models, url_key, name):
        self.proxy = proxy
        self.models = models
        self.url_key = url_key
        self.name = name
        self.database = None

    def setup(self):
        config = self.container.config
        self.database = open_database(
            config.get(self.url_key) or "",
            config.get("DATA_DIR", "./var"),
            self.name,
            max_connections=config.get("max_workers", 10) + 2,
        )
        self.proxy.initialize(self.database)
        self._create_tables()

    def _create_tables(self):
        description = describe_database(self.database)
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                with self.database.connection_context():
                    self.database.create_tables(self.models, safe=True)
                    add_missing_columns(self.database, self.models)
            except OperationalError as error:
                if attempt == CONNECT_ATTEMPTS:
                    raise
                _log.warning(
                    "%s: cannot open %s (attempt %d of %d), retrying in %.0f s: %s",
                    self.name, description, attempt, CONNECT_ATTEMPTS, CONNECT_RETRY_DELAY, error,
                )
                time.sleep(CONNECT_RETRY_DELAY)
            else:
                _log.info("%s: using %s", self.name, description)
                return

    def stop(self):
        if is_postgresql(self.database):
            self.database.close_all()
        elif not self.database.is_closed():
            self.database.close()

    def worker_setup(self, worker_ctx):
        self.database.connect(reuse_if_open=True)

    def worker_teardown(self, worker_ctx):
        if not self.database.is_closed():
            self.database.close()

    def get_dependency(self, worker_ctx):
        return self.database
