"""analytics_service: monthly purchase analytics from its own read model."""
import logging

import eventlet
from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from analytics_service import queries
from analytics_service.dependencies import BusinessTimezone, UserLock
from analytics_service.exceptions import InvalidInput, MalformedEvent, ProductNotFound
from analytics_service.models import MODELS, database
from analytics_service.months import parse_month_range
from analytics_service.rollups import apply_check, save_product_name
from analytics_service.schemas import parse_check_event, parse_product_event
from analytics_service.settings import CATALOG_SYNC_INTERVAL
from service_support.database import Database
from service_support.errors import ServiceUnavailable
from service_support.remote import call_with_timeout

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
    lock_user = UserLock()
    purchases_rpc = RpcProxy("purchases_service")
    config = Config()

    @event_handler("purchases_service", "check_recorded", requeue_on_error=True)
    def handle_check_recorded(self, payload):
        try:
            event = parse_check_event(payload)
        except MalformedEvent as error:
            _log.error("check_recorded event dropped, it is malformed: %s", error)
            return

        try:
            with self.db.atomic():
                applied = apply_check(self.db, event, self.timezone, self.lock_user)
        except Exception:
            _log.exception("check %s not applied, it goes back to the queue", event.check_id)
            eventlet.sleep(REQUEUE_DELAY)
            raise

        if applied:
            _log.debug("check %s applied", event.check_id)
        else:
            _log.info("check %s was already applied, redelivery ignored", event.check_id)

    @event_handler("purchases_service", "product_saved", requeue_on_error=True)
    def handle_product_saved(self, payload):
        try:
            product_id, name = parse_product_event(payload)
        except MalformedEvent as error:
            _log.error("product_saved event dropped, it is malformed: %s", error)
            return

        with self.db.atomic():
            save_product_name(product_id, name)

    @timer(interval=CATALOG_SYNC_INTERVAL, eager=True)
    def sync_catalog(self):
        """Copy every product name from purchases_service, to catch missed events."""
        try:
            products = call_with_timeout(
                self.purchases_rpc, "list_products", timeout=self.config["RPC_TIMEOUT"]
            )
        except ServiceUnavailable as error:
            _log.warning("catalog sync skipped, retrying in %g s: %s", CATALOG_SYNC_INTERVAL, error.message)
            return

        with self.db.atomic():
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
