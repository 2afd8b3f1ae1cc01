"""Nameko dependency providers of analytics_service other than the database."""
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nameko.extensions import DependencyProvider

from analytics_service.models import Setting, database
from service_support.database import is_postgresql

_log = logging.getLogger(__name__)


class BusinessTimezone(DependencyProvider):
    """The ZoneInfo that decides which month a check falls in.

    The read model stores months, not instants, so it is only valid for the
    time zone it was built in. The zone is saved on the first start, and a
    later start with another BUSINESS_TIMEZONE stops with an error instead
    of mixing two calendars.
    """

    def setup(self):
        name = self.container.config.get("BUSINESS_TIMEZONE", "UTC")
        try:
            self.timezone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SystemExit(f"BUSINESS_TIMEZONE={name!r} is not a known IANA time zone, e.g. Europe/Moscow")

    def start(self):
        name = str(self.timezone)
        with database.connection_context():
            stored, created = Setting.get_or_create(key="business_timezone", defaults={"value": name})
        if not created and stored.value != name:
            raise SystemExit(
                f"BUSINESS_TIMEZONE is {name}, but the analytics database was built for "
                f"{stored.value}: set BUSINESS_TIMEZONE={stored.value}, or point "
                "ANALYTICS_DATABASE_URL at a new database"
            )
        _log.info("analytics_service: months are counted in %s", name)

    def get_dependency(self, worker_ctx):
        return self.timezone


class ReadModelLock(DependencyProvider):
    """Serialise writes to the rollups, one transaction at a time.

    The visitor counts are computed from rows read before they are written,
    so two transactions applying checks at once could both miss each other.
    On PostgreSQL each one takes a transaction-scoped advisory lock. On
    SQLite a write transaction already excludes all others, and under
    eventlet it never yields to another greenthread, so nothing is needed.
    """

    # An arbitrary constant naming this lock among the database's advisory locks.
    ADVISORY_LOCK_ID = 7_302_114

    def get_dependency(self, worker_ctx):
        def lock():
            if is_postgresql(database.obj):
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (self.ADVISORY_LOCK_ID,))

        return lock
