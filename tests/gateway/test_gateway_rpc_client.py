"""In-process tests of RpcClient against RabbitMQ and the fake services."""

import asyncio
import logging
import time

import pytest

from gateway.rpc_client import (
    RUNNING_CACHE_SECONDS,
    RemoteError,
    RpcClient,
    RpcTimeout,
    RpcUnavailable,
    ServiceStopped,
    UnknownService,
)
from tests.gateway.conftest import (
    BROKER,
    FakeServicesProcess,
    free_port,
    list_queues,
    rabbitmqctl,
)
from tests.gateway.fake_data import KNOWN_USER_ID, PRODUCTS, SLOW_MONTH


pytestmark = pytest.mark.asyncio

# Bound for waits on the client's background reconnection, in seconds.
RECONNECT_WAIT = 10

# RPC timeout for the tests of stopped services, long enough that a call
# that fails well before it cannot have waited for the timeout.
STOPPED_SERVICE_RPC_TIMEOUT = 5.0

# Bound for the first successful call after a service starts again, in
# seconds: the client may reuse the "not running" result for
# NOT_RUNNING_CACHE_SECONDS after the service's consumer is back.
RESTART_WAIT = 2.0

ANALYTICS_QUEUE = "rpc-analytics_service"


async def close_connection_from_broker(client: RpcClient, vhost: str) -> None:
    """Make RabbitMQ close the client's connection, as a broker restart would."""
    # close_connection takes the connection's Erlang process id, so find
    # the process id by the connection name that the client announced.
    listed = await asyncio.to_thread(
        rabbitmqctl, "list_connections", "-p", vhost, "pid", "client_properties"
    )
    pids = [line.split("\t")[0] for line in listed.splitlines() if client.connection_name in line]
    assert len(pids) == 1, f"expected one connection named {client.connection_name}:\n{listed}"

    await asyncio.to_thread(rabbitmqctl, "close_connection", pids[0], "closed by a gateway test")


async def wait_until_connected(client: RpcClient) -> None:
    async with asyncio.timeout(RECONNECT_WAIT):
        while not client.is_connected:
            await asyncio.sleep(0.05)


async def call_until_served(client: RpcClient, timeout: float, *call_args) -> object:
    """Repeat a call while it raises ServiceStopped and return its result."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                return await client.call(*call_args)
            except ServiceStopped:
                await asyncio.sleep(0.05)


async def test_call_returns_service_result(rpc_client):
    result = await rpc_client.call("analytics_service", "list_products")

    assert result == [dict(product, price="1.20") for product in PRODUCTS]
    assert rpc_client.pending_count == 0


async def test_concurrent_calls_each_get_their_own_reply(rpc_client):
    usernames = [f"user{number}" for number in range(20)]

    users = await asyncio.gather(
        *(rpc_client.call("users_service", "create_user", name) for name in usernames)
    )

    assert [user["username"] for user in users] == usernames
    assert rpc_client.pending_count == 0


async def test_remote_exception_raises_remote_error(rpc_client):
    with pytest.raises(RemoteError) as raised:
        await rpc_client.call("users_service", "create_user", "raise:UsernameTaken")

    assert raised.value.exc_type == "UsernameTaken"
    assert raised.value.message == "UsernameTaken raised on purpose"
    assert raised.value.field == "username"


async def test_remote_exception_without_field_has_none(rpc_client):
    with pytest.raises(RemoteError) as raised:
        await rpc_client.call("users_service", "get_user", "12345")

    assert raised.value.exc_type == "UserNotFound"
    assert raised.value.field is None


async def test_unknown_service_raises_at_once(rpc_client):
    started = time.monotonic()

    with pytest.raises(UnknownService):
        await rpc_client.call("missing_service", "ping")

    assert time.monotonic() - started < 1.0
    assert rpc_client.pending_count == 0


async def test_timeout_leaves_no_pending_call(amqp_uri, fake_services):
    client = RpcClient(amqp_uri, timeout=0.5)
    await client.start()
    started = time.monotonic()

    try:
        with pytest.raises(RpcTimeout):
            await client.call("analytics_service", "visitor_count", SLOW_MONTH, SLOW_MONTH)
        elapsed = time.monotonic() - started
        pending_after_timeout = client.pending_count
    finally:
        await client.close()

    assert 0.5 <= elapsed < 1.5
    assert pending_after_timeout == 0


async def test_cancelled_call_leaves_no_pending_call(rpc_client):
    call = asyncio.create_task(
        rpc_client.call("analytics_service", "visitor_count", SLOW_MONTH, SLOW_MONTH)
    )
    await asyncio.sleep(0.2)

    call.cancel()
    await asyncio.gather(call, return_exceptions=True)

    assert rpc_client.pending_count == 0


async def test_unreachable_broker_fails_calls_fast():
    client = RpcClient(f"amqp://guest:guest@127.0.0.1:{free_port()}/", timeout=5)
    await client.start()
    started = time.monotonic()

    try:
        with pytest.raises(RpcUnavailable):
            await client.call("users_service", "get_user", "12345")
        elapsed = time.monotonic() - started
        connected = client.is_connected
    finally:
        await client.close()

    assert connected is False
    assert elapsed < 0.5


async def test_lost_connection_fails_pending_call_before_timeout(amqp_uri, fake_services):
    vhost = amqp_uri.rsplit("/", 1)[1]
    client = RpcClient(amqp_uri, timeout=10, reconnect_interval=0.2)
    await client.start()
    call = asyncio.create_task(
        client.call("analytics_service", "visitor_count", SLOW_MONTH, SLOW_MONTH)
    )
    await asyncio.sleep(0.2)
    started = time.monotonic()

    try:
        await close_connection_from_broker(client, vhost)
        outcome = await asyncio.wait_for(asyncio.gather(call, return_exceptions=True), timeout=5)
        elapsed = time.monotonic() - started
        pending_after_loss = client.pending_count
    finally:
        call.cancel()
        await client.close()

    assert isinstance(outcome[0], RpcUnavailable)
    assert elapsed < 3
    assert pending_after_loss == 0


async def test_client_reconnects_after_broker_closes_connection(rpc_client, amqp_uri, caplog):
    vhost = amqp_uri.rsplit("/", 1)[1]
    caplog.set_level(logging.INFO, logger="gateway.rpc_client")
    await rpc_client.call("analytics_service", "list_products")

    await close_connection_from_broker(rpc_client, vhost)
    # aio-pika reconnects within milliseconds on loopback, too fast to
    # observe the disconnected state reliably, so give the client time to
    # notice the close before waiting for the connection to come back.
    await asyncio.sleep(0.5)
    await wait_until_connected(rpc_client)
    result = await rpc_client.call("analytics_service", "list_products")

    assert "Lost the AMQP connection" in caplog.text
    assert "Reconnected to the message broker" in caplog.text
    assert result == [dict(product, price="1.20") for product in PRODUCTS]


async def test_stopped_service_fails_fast_until_restarted(make_vhost, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="gateway.rpc_client")
    vhost = make_vhost()
    amqp_uri = f"amqp://{BROKER}/{vhost}"
    services = FakeServicesProcess(
        amqp_uri,
        tmp_path,
        target="tests.gateway.fake_services:AnalyticsService",
        queues=(ANALYTICS_QUEUE,),
    )
    client = RpcClient(amqp_uri, timeout=STOPPED_SERVICE_RPC_TIMEOUT)

    try:
        await asyncio.to_thread(services.start)
        await client.start()
        before_stop = await client.call("analytics_service", "list_products")

        await asyncio.to_thread(services.stop)
        # Let the "running" result of the call above expire.
        await asyncio.sleep(RUNNING_CACHE_SECONDS)
        started = time.monotonic()
        with pytest.raises(ServiceStopped) as raised:
            await client.call("analytics_service", "list_products")
        elapsed_stopped = time.monotonic() - started
        with pytest.raises(ServiceStopped):
            await client.call("analytics_service", "list_products")
        queues_while_stopped = await asyncio.to_thread(list_queues, vhost)

        await asyncio.to_thread(services.start)
        started = time.monotonic()
        after_restart = await call_until_served(
            client, RESTART_WAIT, "analytics_service", "list_products"
        )
        elapsed_restarted = time.monotonic() - started
        pending_at_end = client.pending_count
    finally:
        await client.close()
        await asyncio.to_thread(services.stop)

    expected = [dict(product, price="1.20") for product in PRODUCTS]
    assert before_stop == expected
    assert isinstance(raised.value, RpcUnavailable)
    assert str(raised.value) == (
        "analytics_service is not running: its queue rpc-analytics_service has no consumer, "
        "cannot call analytics_service.list_products"
    )
    assert elapsed_stopped < 0.5
    # A rejected request never reaches the queue, so a restarted service
    # cannot run it later.
    assert queues_while_stopped[ANALYTICS_QUEUE] == (0, 0)
    assert after_restart == expected
    assert elapsed_restarted < RESTART_WAIT
    assert pending_at_end == 0
    assert caplog.text.count("Service analytics_service is running") == 2
    assert caplog.text.count("Service analytics_service is not running") == 1


async def test_service_check_is_cached_across_calls(rpc_client, monkeypatch):
    checked = []
    check_service = rpc_client._check_service

    async def record_check(service, previous):
        checked.append(service)
        return await check_service(service, previous)

    monkeypatch.setattr(rpc_client, "_check_service", record_check)
    started = time.monotonic()

    await asyncio.gather(
        *(rpc_client.call("users_service", "create_user", f"user{number}") for number in range(20))
    )
    for _ in range(10):
        await rpc_client.call("users_service", "get_user", KNOWN_USER_ID)
    elapsed = time.monotonic() - started

    # The cache only holds for RUNNING_CACHE_SECONDS, so the count is exact
    # only if the calls finished within that time.
    assert elapsed < RUNNING_CACHE_SECONDS
    assert checked == ["users_service"]


async def test_missing_queue_check_leaves_other_calls_working(rpc_client):
    # The broker closes the check channel when a queue is missing. Calls
    # checked after that, and calls already published, must still work.
    outcomes = await asyncio.gather(
        rpc_client.call("missing_service", "ping"),
        rpc_client.call("analytics_service", "list_products"),
        rpc_client.call("other_missing_service", "ping"),
        rpc_client.call("users_service", "get_user", KNOWN_USER_ID),
        return_exceptions=True,
    )
    after = await rpc_client.call("analytics_service", "list_products")

    assert isinstance(outcomes[0], UnknownService)
    assert outcomes[1] == [dict(product, price="1.20") for product in PRODUCTS]
    assert isinstance(outcomes[2], UnknownService)
    assert outcomes[3]["username"] == "JohnDoe"
    assert after == outcomes[1]


async def test_failed_service_check_lets_call_through(rpc_client, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.rpc_client")

    async def fail_to_open_channel():
        raise ConnectionResetError("connection reset by a test")

    monkeypatch.setattr(rpc_client, "_open_check_channel", fail_to_open_channel)

    result = await rpc_client.call("analytics_service", "list_products")

    assert result == [dict(product, price="1.20") for product in PRODUCTS]
    assert "Checking whether service analytics_service is running failed" in caplog.text
