import json
from datetime import timedelta
from unittest.mock import Mock

import pytest
from nameko.amqp.publish import UndeliverableMessage
from nameko.exceptions import RemoteError
from nameko.testing.services import worker_factory

from purchases_service.catalog import load_catalog_file, seed_catalog
from purchases_service.exceptions import (
    InvalidInput,
    ProductNameTaken,
    ProductNotFound,
    ServiceUnavailable,
    UserNotFound,
)
from purchases_service.models import Check, CheckLine, OutboxEvent, Product, utc_now
from purchases_service.service import PurchasesService
from purchases_service.settings import DEFAULT_CATALOG_FILE

USER_ID = "a" * 40


def users_rpc_answering(get_user):
    """An RpcProxy stand-in whose get_user.call_async(...).result() calls `get_user`."""
    proxy = Mock(service_name="users_service")
    proxy.get_user.call_async.side_effect = lambda user_id: Mock(result=lambda: get_user(user_id))
    return proxy


def existing_user(user_id):
    return {"user_id": user_id, "username": "JohnDoe", "created_at": "2026-12-01T00:00:00+00:00"}


@pytest.fixture
def purchases(purchases_db):
    return worker_factory(
        PurchasesService,
        db=purchases_db,
        users_rpc=users_rpc_answering(existing_user),
        config={"RPC_TIMEOUT": 1.0},
    )


def pending_outbox():
    return list(OutboxEvent.select().where(OutboxEvent.published_at.is_null()))


def test_default_catalog_has_milk_and_bread_with_prices():
    products = load_catalog_file(DEFAULT_CATALOG_FILE)

    assert len(products) >= 10
    assert products[0] == (1, "Milk", 8990)
    assert products[1] == (2, "Bread", 5450)


def test_list_products_returns_catalog_ordered_by_id(purchases):
    products = purchases.list_products()

    assert products[:2] == [
        {"id": 1, "name": "Milk", "price": "89.90"},
        {"id": 2, "name": "Bread", "price": "54.50"},
    ]
    assert [product["id"] for product in products] == sorted(product["id"] for product in products)


def test_record_check_stores_lines_at_current_prices(purchases):
    result = purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}])

    assert result["user_id"] == USER_ID
    assert result["total"] == "234.30"
    assert result["lines"] == [
        {"product_id": 1, "product_name": "Milk", "quantity": 2, "unit_price": "89.90", "amount": "179.80"},
        {"product_id": 2, "product_name": "Bread", "quantity": 1, "unit_price": "54.50", "amount": "54.50"},
    ]
    assert Check.get_by_id(result["check_id"]).total_minor == 23430
    assert CheckLine.select().count() == 2


def test_record_check_publishes_check_recorded_after_commit(purchases):
    result = purchases.record_check(USER_ID, [{"product_id": 3, "quantity": 4}])

    purchases.dispatch.assert_called_once_with("check_recorded", result)
    assert pending_outbox() == []


def test_failed_publish_keeps_event_in_outbox(purchases):
    purchases.dispatch.side_effect = UndeliverableMessage()

    result = purchases.record_check(USER_ID, [{"product_id": 3, "quantity": 4}])

    pending = pending_outbox()
    assert len(pending) == 1
    assert pending[0].event_type == "check_recorded"
    assert json.loads(pending[0].payload) == result


def test_relay_outbox_publishes_pending_events_in_order(purchases):
    purchases.dispatch.side_effect = ConnectionError("broker down")
    first = purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])
    second = purchases.record_check(USER_ID, [{"product_id": 2, "quantity": 1}])
    OutboxEvent.update(created_at=utc_now() - timedelta(minutes=1)).execute()
    purchases.dispatch.reset_mock(side_effect=True)

    purchases.relay_outbox()

    calls = [call.args for call in purchases.dispatch.call_args_list]
    assert calls == [("check_recorded", first), ("check_recorded", second)]
    assert pending_outbox() == []


def test_relay_outbox_leaves_fresh_events_to_their_entrypoint(purchases):
    purchases.dispatch.side_effect = ConnectionError("broker down")
    purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])
    purchases.dispatch.reset_mock(side_effect=True)

    purchases.relay_outbox()

    purchases.dispatch.assert_not_called()
    assert len(pending_outbox()) == 1


def test_record_check_keeps_repeated_product_as_separate_lines(purchases):
    result = purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}])

    assert [line["quantity"] for line in result["lines"]] == [1, 2]


def test_record_check_accepts_limits(purchases):
    lines = [{"product_id": 1, "quantity": 10_000}] + [{"product_id": 2, "quantity": 1}] * 99

    result = purchases.record_check(USER_ID, lines)

    assert len(result["lines"]) == 100


@pytest.mark.parametrize("purchases_value, field", [
    (None, "purchases"),
    ([], "purchases"),
    ("milk", "purchases"),
    ({"product_id": 1, "quantity": 1}, "purchases"),
    ([{"product_id": 1, "quantity": 1}] * 101, "purchases"),
    (["milk"], "purchases[0]"),
    ([{"quantity": 1}], "purchases[0].product_id"),
    ([{"product_id": 0, "quantity": 1}], "purchases[0].product_id"),
    ([{"product_id": "1", "quantity": 1}], "purchases[0].product_id"),
    ([{"product_id": True, "quantity": 1}], "purchases[0].product_id"),
    ([{"product_id": 2**31, "quantity": 1}], "purchases[0].product_id"),
    ([{"product_id": 1}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": None}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": 0}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": -1}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": 1.5}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": 2.0}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": "2"}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": True}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": 10_001}], "purchases[0].quantity"),
    ([{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 0}], "purchases[1].quantity"),
])
def test_record_check_rejects_invalid_purchases(purchases, purchases_value, field):
    with pytest.raises(InvalidInput) as raised:
        purchases.record_check(USER_ID, purchases_value)

    assert raised.value.field == field
    assert Check.select().count() == 0
    purchases.users_rpc.get_user.call_async.assert_not_called()


def test_record_check_rejects_unknown_product_and_stores_nothing(purchases):
    with pytest.raises(ProductNotFound) as raised:
        purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}, {"product_id": 999, "quantity": 1}])

    assert raised.value.field == "purchases[1].product_id"
    assert Check.select().count() == 0
    assert CheckLine.select().count() == 0
    assert pending_outbox() == []


def test_record_check_rejects_unknown_user(purchases_db):
    def missing_user(user_id):
        raise RemoteError("UserNotFound", f"user {user_id!r} not found")

    purchases = worker_factory(PurchasesService, db=purchases_db, users_rpc=users_rpc_answering(missing_user),
                               config={"RPC_TIMEOUT": 1.0})

    with pytest.raises(UserNotFound):
        purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])

    assert Check.select().count() == 0


def test_record_check_reports_unavailable_when_users_service_hangs(purchases_db):
    def hanging(user_id):
        import eventlet
        eventlet.sleep(5)

    purchases = worker_factory(PurchasesService, db=purchases_db, users_rpc=users_rpc_answering(hanging),
                               config={"RPC_TIMEOUT": 0.4})

    with pytest.raises(ServiceUnavailable) as raised:
        purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])

    assert raised.value.message == "users_service did not respond within 0.2 s, try again later"
    assert Check.select().count() == 0


def test_price_change_does_not_rewrite_recorded_checks(purchases):
    before = purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])

    purchases.save_product("Milk", "99.00", product_id=1)
    after = purchases.record_check(USER_ID, [{"product_id": 1, "quantity": 1}])

    assert CheckLine.get(CheckLine.check == before["check_id"]).unit_price_minor == 8990
    assert after["lines"][0]["unit_price"] == "99.00"


def test_save_product_adds_product_with_next_id(purchases):
    product = purchases.save_product("Kefir", "75.5")

    assert product == {"id": 13, "name": "Kefir", "price": "75.50"}
    purchases.dispatch.assert_called_once_with("product_saved", product)


def test_save_product_creates_given_id(purchases):
    product = purchases.save_product("Yogurt", 60, product_id=100)

    assert product == {"id": 100, "name": "Yogurt", "price": "60.00"}


def test_save_product_rejects_name_of_another_product(purchases):
    with pytest.raises(ProductNameTaken):
        purchases.save_product("milk", "1.00")

    assert Product.select().count() == 12


@pytest.mark.parametrize("name, price, product_id, field", [
    ("", "1.00", None, "name"),
    (None, "1.00", None, "name"),
    ("Kefir", "-1", None, "price"),
    ("Kefir", "1.001", None, "price"),
    ("Kefir", "abc", None, "price"),
    ("Kefir", 1.5, None, "price"),
    ("Kefir", "NaN", None, "price"),
    ("Kefir", "1000000000.01", None, "price"),
    ("Kefir", "1e30", None, "price"),
    ("Kefir", "1.00", 0, "product_id"),
    ("Kefir", "1.00", "5", "product_id"),
])
def test_save_product_rejects_invalid_input(purchases, name, price, product_id, field):
    with pytest.raises(InvalidInput) as raised:
        purchases.save_product(name, price, product_id=product_id)

    assert raised.value.field == field


def test_seed_catalog_adds_only_missing_products(purchases_db, tmp_path):
    Product.update(price_minor=1).where(Product.id == 1).execute()
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([
        {"id": 1, "name": "Milk", "price": "89.90"},
        {"id": 50, "name": "Honey", "price": "300"},
    ]))

    added = seed_catalog(load_catalog_file(str(catalog)))

    assert added == 1
    assert Product.get_by_id(1).price_minor == 1
    assert Product.get_by_id(50).name == "Honey"


@pytest.mark.parametrize("content, message", [
    ("not json", "cannot read catalog file"),
    ('{"id": 1}', "must contain a JSON list"),
    ('[{"id": 0, "name": "A", "price": "1"}]', "id must be a positive integer"),
    ('[{"id": 1, "name": " ", "price": "1"}]', "name must be a non-blank string"),
    ('[{"id": 1, "name": "A", "price": "1.234"}]', "at most two decimal places"),
    ('[{"id": 1, "name": "A", "price": "1"}, {"id": 1, "name": "B", "price": "1"}]', "repeats id 1"),
])
def test_load_catalog_file_rejects_invalid_file(tmp_path, content, message):
    from purchases_service.catalog import CatalogFileError
    catalog = tmp_path / "catalog.json"
    catalog.write_text(content)

    with pytest.raises(CatalogFileError) as raised:
        load_catalog_file(str(catalog))

    assert message in str(raised.value)
