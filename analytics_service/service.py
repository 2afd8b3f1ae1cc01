"""analytics_service: monthly purchase analytics from its own read model."""
import logging

import eventlet
from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from analytics_service import queries
from analytics_service.dependencies import BusinessTimezone, ReadModelLock
from analytics_service.exceptions import InvalidInput, MalformedEvent, ProductNotFound
from analytics_service.models import MODELS, database
from analytics_service.months import parse_month_range
from analytics_service.rollups import apply_checks, save_product_name
from analytics_service.schemas import parse_check_event, parse_imported_checks, parse_product_event
from analytics_service.settings import CATALOG_SYNC_INTERVAL
from service_support.database import Database
from service_support.errors import ServiceUnavailable
from service_support.remote import call_with_timeout, inner_timeout

_log = logging.getLogger(__name__)

# Product ids are 32-bit integer columns in PostgreSQL.
MAX_PRODUCT_ID = 2**31 - 1

# Pause before a failed event goes back to the queue, so a database outage
# does not turn into a busy loop of redeliveries.
REQUEUE_DELAY = 1.0


class AnalyticsService:
    name = "analytics_service"

    db = Database(database, MODELS, "ANALYTICS_DATABASE_URL", "analytics")
    timezone = BusinessTimezone()
    lock_read_model = ReadModelLock()
    purchases_rpc = RpcProxy("purchases_service")
    config = Config()

    @event_handler("purchases_service", "check_recorded", requeue_on_error=True)
    def handle_check_recorded(self, payload):
        try:
            events = [parse_check_event(payload)]
        except MalformedEvent as error:
            _log.error("check_recorded event dropped, it is malformed: %s", error)
            return

        self._apply(events, "check_recorded")

    @event_handler("purchases_service", "checks_imported", requeue_on_error=True)
    def handle_checks_imported(self, payload):
        try:
            events = parse_imported_checks(payload)
        except MalformedEvent as error:
            _log.error("checks_imported event dropped, it is malformed: %s", error)
            return

        self._apply(events, "checks_imported")

    @event_handler("purchases_service", "product_saved", requeue_on_error=True)
    def handle_product_saved(self, payload):
        try:
            product_id, name = parse_product_event(payload)
        except MalformedEvent as error:
            _log.error("product_saved event dropped, it is malformed: %s", error)
            return

        with self.db.atomic():
            self.lock_read_model()
            save_product_name(product_id, name)

    @timer(interval=CATALOG_SYNC_INTERVAL, eager=True)
    def sync_catalog(self):
        """Copy every product name from purchases_service, to catch missed events."""
        try:
            products = call_with_timeout(
                self.purchases_rpc, "list_products", timeout=inner_timeout(self.config)
            )
        except ServiceUnavailable as error:
            # Usual right after start-up, when purchases_service starts later;
            # its product_saved events bring the names meanwhile.
            _log.info("catalog sync skipped, retrying in %g s: %s", CATALOG_SYNC_INTERVAL, error.message)
            return

        with self.db.atomic():
            self.lock_read_model()
            for product in products:
                save_product_name(product["id"], product["name"])
        _log.info("catalog synced: %d product(s)", len(products))

    @rpc(expected_exceptions=(InvalidInput, ProductNotFound))
    def product_units(self, product_id, start_date, end_date):
        if isinstance(product_id, bool) or not isinstance(product_id, int) or not 1 <= product_id <= MAX_PRODUCT_ID:
            raise InvalidInput(f"product_id must be an integer from 1 to {MAX_PRODUCT_ID}", "product_id")
        first, last = parse_month_range(start_date, end_date)
        return queries.product_units(product_id, first, last)

    @rpc(expected_exceptions=(InvalidInput,))
    def total_purchases(self, start_date, end_date):
        first, last = parse_month_range(start_date, end_date)
        return queries.total_purchases(first, last)

    @rpc(expected_exceptions=(InvalidInput,))
    def average_check(self, start_date, end_date):
        first, last = parse_month_range(start_date, end_date)
        return queries.average_check(first, last)

    @rpc(expected_exceptions=(InvalidInput,))
    def visitor_count(self, start_date, end_date):
        first, last = parse_month_range(start_date, end_date)
        return queries.visitor_count(first, last)

    @rpc
    def list_products(self):
        return queries.list_products()

    @rpc
    def health(self):
        self.db.execute_sql("SELECT 1")
        return {"status": "ok", "service": self.name}

    def _apply(self, events, event_type):
        first_id = events[0].check_id if events else None
        try:
            with self.db.atomic():
                self.lock_read_model()
                applied = apply_checks(events, self.timezone)
        except Exception:
            _log.exception("%s event (check %s, %d check(s)) not applied, it goes back to the queue",
                           event_type, first_id, len(events))
            eventlet.sleep(REQUEUE_DELAY)
            raise

        if applied < len(events):
            _log.info("%s event: %d of %d check(s) were already applied and are skipped",
                      event_type, len(events) - applied, len(events))
