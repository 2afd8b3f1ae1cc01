import pytest
from nameko.testing.services import worker_factory

from purchases_service.exceptions import InvalidInput
from purchases_service.models import Check, CheckLine, OutboxEvent, Product
from purchases_service.service import PurchasesService


def fake_users_rpc():
    """An RpcProxy stand-in whose ensure_users maps each key to a stable fake id."""
    from unittest.mock import Mock

    def ensure_users(keys):
        return {key: f"{abs(hash(key)):040d}"[:40] for key in keys}

    proxy = Mock(service_name="users_service")
    proxy.ensure_users.call_async.side_effect = lambda keys: Mock(result=lambda: ensure_users(keys))
    return proxy


@pytest.fixture
def purchases(purchases_db):
    return worker_factory(PurchasesService, db=purchases_db, users_rpc=fake_users_rpc(), config={"RPC_TIMEOUT": 1.0})


def imported_check(key, user_key="cdnow:1", recorded_at="1997-01-01T12:00:00+00:00", **line):
    line = {"product_name": "CD", "quantity": 1, "amount": "11.77", **line}
    return {"key": key, "user_key": user_key, "recorded_at": recorded_at, "lines": [line]}


def test_import_checks_stores_amount_exactly(purchases):
    result = purchases.import_checks([imported_check("k1", quantity=3, amount="29.33")])

    line = CheckLine.get()
    assert result == {"imported": 1, "already_imported": 0}
    assert line.amount_minor == 2933
    assert line.unit_price_minor == 978
    assert Check.get().total_minor == 2933


def test_import_checks_twice_changes_nothing(purchases):
    checks = [imported_check(f"k{number}") for number in range(5)]

    first = purchases.import_checks(checks)
    second = purchases.import_checks(checks)

    assert first == {"imported": 5, "already_imported": 0}
    assert second == {"imported": 0, "already_imported": 5}
    assert Check.select().count() == 5
    assert OutboxEvent.select().where(OutboxEvent.event_type == "checks_imported").count() == 1


def test_import_checks_skips_repeated_key_in_one_batch(purchases):
    result = purchases.import_checks([imported_check("k1"), imported_check("k1")])

    assert result == {"imported": 1, "already_imported": 1}


def test_import_checks_creates_product_once_by_name(purchases):
    purchases.import_checks([imported_check("k1", product_name="CD"), imported_check("k2", product_name="cd")])

    product = Product.get(Product.name_key == "cd")
    assert product.id == 13
    assert product.price_minor == 1177
    assert CheckLine.select().where(CheckLine.product_id == 13).count() == 2
    events = [event.event_type for event in OutboxEvent.select().where(OutboxEvent.seq > 12)]
    assert events == ["product_saved", "checks_imported"]


def test_import_checks_uses_existing_product(purchases):
    purchases.import_checks([imported_check("k1", product_name="milk", unit_price="10.00", amount=None)])

    assert CheckLine.get().product_id == 1
    assert CheckLine.get().amount_minor == 1000
    assert Product.get_by_id(1).price_minor == 8990


def test_import_checks_publishes_one_batch_event(purchases):
    purchases.import_checks([imported_check("k1"), imported_check("k2", user_key="cdnow:2")])

    event_types = [call.args[0] for call in purchases.dispatch.call_args_list]
    payload = purchases.dispatch.call_args_list[-1].args[1]
    assert event_types == ["product_saved", "checks_imported"]
    assert [check["total"] for check in payload["checks"]] == ["11.77", "11.77"]
    assert payload["checks"][0]["recorded_at"] == "1997-01-01T12:00:00+00:00"


def test_import_checks_keeps_free_items(purchases):
    purchases.import_checks([imported_check("k1", amount="0.00")])

    assert Check.get().total_minor == 0


@pytest.mark.parametrize("check, field", [
    ({"user_key": "u", "recorded_at": "1997-01-01T12:00:00+00:00", "lines": []}, "checks[0].key"),
    (imported_check("k", user_key=""), "checks[0].user_key"),
    (imported_check("k", recorded_at="1997-01-01"), "checks[0].recorded_at"),
    (imported_check("k", recorded_at="yesterday"), "checks[0].recorded_at"),
    (imported_check("k", quantity=0), "checks[0].lines[0].quantity"),
    (imported_check("k", amount=None), "checks[0].lines[0].amount"),
    (imported_check("k", amount="1.234"), "checks[0].lines[0]"),
    (imported_check("k", amount="-1"), "checks[0].lines[0]"),
    (imported_check("k", amount="99999999999999999999.00"), "checks[0].lines[0]"),
    (imported_check("k", unit_price="1.00", quantity=2, amount="3.00"), "checks[0].lines[0].amount"),
    (imported_check("k", product_name=" "), "checks[0].lines[0].product_name"),
])
def test_import_checks_rejects_invalid_check(purchases, check, field):
    with pytest.raises(InvalidInput) as raised:
        purchases.import_checks([check])

    assert raised.value.field == field
    assert Check.select().count() == 0
