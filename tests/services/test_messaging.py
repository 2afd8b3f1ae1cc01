"""The three services in real containers on a real RabbitMQ virtual host."""
import time

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from nameko.testing.utils import get_container

from analytics_service.service import AnalyticsService
from purchases_service.models import OutboxEvent
from purchases_service.service import PurchasesService
from users_service.service import UsersService

WAIT = 15  # seconds, upper bound of every wait in this module


def wait_until(condition, message):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT} s: {message}")


def month_now():
    return time.strftime("%Y-%m", time.gmtime())


@pytest.fixture
def rpc(config):
    with ClusterRpcProxy(config, timeout=WAIT) as proxy:
        yield proxy


def test_standalone_client_calls_every_rpc_method(runner_factory, config, rpc):
    runner = runner_factory(config, UsersService, PurchasesService, AnalyticsService)
    runner.start()
    analytics = get_container(runner, AnalyticsService)
    month = month_now()

    user = rpc.users_service.create_user("JohnDoe")
    assert rpc.users_service.get_user(user["user_id"]) == user
    assert rpc.users_service.health() == {"status": "ok", "service": "users_service"}
    assert rpc.purchases_service.list_products()[0] == {"id": 1, "name": "Milk", "price": "89.90"}
    assert rpc.purchases_service.save_product("Kefir", "75.00") == {"id": 13, "name": "Kefir", "price": "75.00"}
    assert rpc.purchases_service.health() == {"status": "ok", "service": "purchases_service"}
    with entrypoint_waiter(analytics, "handle_check_recorded", timeout=WAIT):
        check = rpc.purchases_service.record_check(
            user["user_id"], [{"product_id": 1, "quantity": 2}, {"product_id": 13, "quantity": 1}])
    assert check["total"] == "254.80"
    assert rpc.analytics_service.product_units(1, month, month) == {"label": "Milk", "values": [2]}
    assert rpc.analytics_service.total_purchases(month, month) == {"total_purchases": "254.80"}
    assert rpc.analytics_service.average_check(month, month) == {"average_check": "254.80"}
    assert rpc.analytics_service.visitor_count(month, month) == {"visitor_count": 1}
    assert rpc.analytics_service.health() == {"status": "ok", "service": "analytics_service"}
    wait_until(lambda: len(rpc.analytics_service.list_products()) == 13, "analytics learns the catalog")
    assert rpc.analytics_service.list_products()[12] == {"id": 13, "name": "Kefir"}

    keys = rpc.users_service.ensure_users(["cdnow:1", "cdnow:2"])
    assert sorted(keys) == ["cdnow:1", "cdnow:2"]
    assert rpc.users_service.get_user(keys["cdnow:1"])["username"] == "cdnow:1"
    history = [{"key": "cdnow:row-1", "user_key": "cdnow:1", "recorded_at": "1997-01-01T12:00:00+00:00",
                "lines": [{"product_name": "CD", "quantity": 2, "amount": "23.54"}]}]
    with entrypoint_waiter(analytics, "handle_checks_imported", timeout=WAIT):
        assert rpc.purchases_service.import_checks(history) == {"imported": 1, "already_imported": 0}
    assert rpc.purchases_service.import_checks(history) == {"imported": 0, "already_imported": 1}
    assert rpc.analytics_service.total_purchases("1997-01", "1997-01") == {"total_purchases": "23.54"}
    assert rpc.analytics_service.visitor_count("1997-01", "1997-01") == {"visitor_count": 1}


@pytest.mark.parametrize("service, method, args, exc_type", [
    ("users_service", "create_user", [""], "InvalidInput"),
    ("users_service", "get_user", ["0" * 40], "UserNotFound"),
    ("purchases_service", "record_check", ["0" * 40, [{"product_id": 1, "quantity": 1}]], "UserNotFound"),
    ("purchases_service", "record_check", ["0" * 40, []], "InvalidInput"),
    ("purchases_service", "save_product", ["Milk", "1.00"], "ProductNameTaken"),
    ("analytics_service", "product_units", [999, "2023-10", "2023-10"], "ProductNotFound"),
    ("analytics_service", "total_purchases", ["2023-13", "2023-10"], "InvalidInput"),
    ("users_service", "ensure_users", ["cdnow:1"], "InvalidInput"),
    ("purchases_service", "import_checks", [[{"key": "k"}]], "InvalidInput"),
])
def test_standalone_client_receives_named_errors(runner_factory, config, rpc, service, method, args, exc_type):
    runner = runner_factory(config, UsersService, PurchasesService, AnalyticsService)
    runner.start()

    with pytest.raises(RemoteError) as raised:
        getattr(getattr(rpc, service), method)(*args)

    assert raised.value.exc_type == exc_type


def test_duplicate_username_from_client_is_taken(runner_factory, config, rpc):
    runner = runner_factory(config, UsersService)
    runner.start()
    rpc.users_service.create_user("Anna")

    with pytest.raises(RemoteError) as raised:
        rpc.users_service.create_user("ANNA")

    assert raised.value.exc_type == "UsernameTaken"
    assert "username 'ANNA' is already taken" in raised.value.value


def test_event_waits_in_outbox_until_analytics_starts(runner_factory, container_factory, config, rpc):
    runner = runner_factory(config, UsersService, PurchasesService)
    runner.start()
    user = rpc.users_service.create_user("Early")
    check = rpc.purchases_service.record_check(user["user_id"], [{"product_id": 2, "quantity": 3}])
    pending = OutboxEvent.select().where(OutboxEvent.published_at.is_null(),
                                         OutboxEvent.event_type == "check_recorded")
    assert [event.payload.count(check["check_id"]) for event in pending] == [1]

    analytics = container_factory(AnalyticsService, config)
    with entrypoint_waiter(analytics, "handle_check_recorded", timeout=WAIT):
        analytics.start()

    month = month_now()
    assert rpc.analytics_service.total_purchases(month, month) == {"total_purchases": "163.50"}
    wait_until(lambda: not pending.count(), "the relay marks the event published")


def test_redelivered_event_is_counted_once(container_factory, config, rpc):
    analytics = container_factory(AnalyticsService, config)
    analytics.start()
    payload = {
        "check_id": "f" * 32, "user_id": "e" * 40, "recorded_at": "2023-10-05T10:00:00+00:00",
        "total": "20.00",
        "lines": [{"product_id": 1, "product_name": "Milk", "quantity": 2, "unit_price": "10.00",
                   "amount": "20.00"}],
    }
    dispatch = event_dispatcher(config)

    for _ in range(3):
        with entrypoint_waiter(analytics, "handle_check_recorded", timeout=WAIT):
            dispatch("purchases_service", "check_recorded", payload)

    assert rpc.analytics_service.total_purchases("2023-10", "2023-10") == {"total_purchases": "20.00"}
    assert rpc.analytics_service.visitor_count("2023-10", "2023-10") == {"visitor_count": 1}
    assert rpc.analytics_service.product_units(1, "2023-10", "2023-10")["values"] == [2]


def test_record_check_without_users_service_is_unavailable(container_factory, config, rpc):
    purchases = container_factory(PurchasesService, config)
    purchases.start()
    started = time.monotonic()

    with pytest.raises(RemoteError) as raised:
        rpc.purchases_service.record_check("0" * 40, [{"product_id": 1, "quantity": 1}])

    assert raised.value.exc_type == "ServiceUnavailable"
    assert time.monotonic() - started < config["RPC_TIMEOUT"]
