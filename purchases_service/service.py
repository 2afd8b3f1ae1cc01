"""purchases_service: the product catalog and the checks recorded against it."""
import logging
import time
import uuid

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from peewee import fn

from purchases_service.dependencies import CatalogSeeder
from purchases_service.exceptions import (
    InvalidInput,
    ProductNameTaken,
    ProductNotFound,
    ServiceUnavailable,
    UserNotFound,
)
from purchases_service.import_schemas import validate_import
from purchases_service.imports import new_checks, store_imported_checks
from purchases_service.models import MODELS, Check, CheckLine, Product, database, utc_now
from purchases_service.outbox import RelayLog, add_event, pending_events, publish_events
from purchases_service.schemas import (
    check_to_dict,
    product_to_dict,
    validate_price,
    validate_product_id,
    validate_product_name,
    validate_purchases,
    validate_user_id,
)
from purchases_service.settings import OUTBOX_RELAY_INTERVAL
from service_support.database import Database
from service_support.names import name_key
from service_support.remote import call_with_timeout, inner_timeout
from service_support.transactions import run_in_transaction

_log = logging.getLogger(__name__)

relay_log = RelayLog(time.monotonic)


class PurchasesService:
    name = "purchases_service"

    db = Database(database, MODELS, "PURCHASES_DATABASE_URL", "purchases")
    catalog_seeder = CatalogSeeder()
    # mandatory=True makes a publish with no queue bound fail, so the event
    # stays in the outbox until analytics_service has declared its queue.
    dispatch = EventDispatcher(mandatory=True)
    users_rpc = RpcProxy("users_service")
    config = Config()

    @rpc
    def list_products(self):
        return [product_to_dict(product) for product in Product.select().order_by(Product.id)]

    @rpc(expected_exceptions=(InvalidInput, ProductNameTaken))
    def save_product(self, name, price, product_id=None):
        name = validate_product_name(name)
        price_minor = validate_price(price)
        product_id = validate_product_id(product_id)

        def save():
            product = store_product(product_id, name, price_minor)
            return product, add_event("product_saved", product_to_dict(product))

        product, event = run_in_transaction(self.db, save, f"saving product {name!r}")

        _log.info("product %s saved: %r at %s", product.id, product.name, product.price_minor)
        self._publish([event])
        return product_to_dict(product)

    @rpc(expected_exceptions=(InvalidInput, UserNotFound, ProductNotFound, ServiceUnavailable))
    def record_check(self, user_id, purchases):
        user_id = validate_user_id(user_id)
        lines = validate_purchases(purchases)

        self._ensure_user_exists(user_id)

        with self.db.atomic():
            check, check_lines = store_check(user_id, lines)
            payload = check_to_dict(check, check_lines)
            event = add_event("check_recorded", payload)

        _log.info("check %s recorded for user %s: %d line(s), total %s",
                  check.id, user_id, len(check_lines), payload["total"])
        self._publish([event])
        return payload

    @rpc(expected_exceptions=(InvalidInput, ServiceUnavailable))
    def import_checks(self, checks):
        checks = validate_import(checks)
        fresh = new_checks(checks)
        if not fresh:
            return {"imported": 0, "already_imported": len(checks)}

        user_keys = list(dict.fromkeys(check.user_key for check in fresh))
        user_ids = call_with_timeout(
            self.users_rpc, "ensure_users", user_keys, timeout=inner_timeout(self.config)
        )

        stored, events = run_in_transaction(
            self.db, lambda: store_imported_checks(fresh, user_ids), f"importing {len(fresh)} check(s)"
        )

        _log.info("imported %d check(s), %d already imported", len(stored), len(checks) - len(stored))
        self._publish(events)
        return {"imported": len(stored), "already_imported": len(checks) - len(stored)}

    @timer(interval=OUTBOX_RELAY_INTERVAL)
    def relay_outbox(self):
        events = pending_events()
        if not events:
            return

        published, error = publish_events(self.dispatch, events)

        if error is not None:
            relay_log.failed(len(events) - published, error)
        else:
            relay_log.published(published)

    @rpc
    def health(self):
        self.db.execute_sql("SELECT 1")
        return {"status": "ok", "service": self.name}

    def _ensure_user_exists(self, user_id):
        timeout = inner_timeout(self.config)
        try:
            call_with_timeout(self.users_rpc, "get_user", user_id, timeout=timeout)
        except RemoteError as error:
            if error.exc_type == "UserNotFound":
                raise UserNotFound(f"user {user_id!r} not found")
            raise

    def _publish(self, events):
        if not events:
            return
        published, error = publish_events(self.dispatch, events)
        if error is not None:
            _log.warning("event %s not published yet, the outbox relay will retry: %s: %s",
                         events[published].seq, type(error).__name__, error)


def store_product(product_id, name, price_minor):
    """Create or update a product; call inside a transaction.

    Raises ProductNameTaken when another product has the name. The new id
    is max + 1, so two concurrent creates on PostgreSQL may collide on it;
    the caller retries the transaction then.
    """
    holder = Product.get_or_none(Product.name_key == name_key(name))
    if holder is not None and holder.id != product_id:
        raise ProductNameTaken(f"product name {name!r} is already taken", "name")

    if product_id is not None:
        product = Product.get_or_none(Product.id == product_id)
        if product is not None:
            product.name, product.name_key = name, name_key(name)
            product.price_minor, product.updated_at = price_minor, utc_now()
            product.save()
            return product
    else:
        product_id = (Product.select(fn.MAX(Product.id)).scalar() or 0) + 1
    return Product.create(id=product_id, name=name, name_key=name_key(name), price_minor=price_minor)


def store_check(user_id, lines):
    """Store a check and its lines at the current prices; call inside a transaction."""
    product_ids = {product_id for product_id, _ in lines}
    products = {product.id: product for product in Product.select().where(Product.id.in_(product_ids))}
    for index, (product_id, _) in enumerate(lines):
        if product_id not in products:
            raise ProductNotFound(f"product {product_id} not found", f"purchases[{index}].product_id")

    check_lines = [
        CheckLine(
            line_no=line_no,
            product_id=product_id,
            product_name=products[product_id].name,
            quantity=quantity,
            unit_price_minor=products[product_id].price_minor,
            amount_minor=products[product_id].price_minor * quantity,
        )
        for line_no, (product_id, quantity) in enumerate(lines, start=1)
    ]
    check = Check.create(
        id=uuid.uuid4().hex,
        user_id=user_id,
        recorded_at=utc_now(),
        total_minor=sum(line.amount_minor for line in check_lines),
    )
    for line in check_lines:
        line.check = check
    CheckLine.bulk_create(check_lines)
    return check, check_lines
