"""Tests of the gateway process: broker outages, absent services, start and stop."""

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from gateway.rpc_client import RUNNING_CACHE_SECONDS
from tests.gateway.conftest import (
    BROKER,
    COMMAND_TIMEOUT,
    CREDENTIALS,
    REPO_ROOT,
    FakeServicesProcess,
    free_port,
    wait_until,
)
from tests.gateway.tcp_proxy import TcpProxy


RABBITMQ = ("127.0.0.1", 5672)

# Bound for the gateway's background (re)connection, in seconds. The client
# retries every second.
RECONNECT_WAIT = 15

# RPC timeout of the gateway in front of a stopped service. A 503 that comes
# well before it was not a request left waiting in the service's queue.
STOPPED_SERVICE_RPC_TIMEOUT = "5"

# Bound for the first 200 after a stopped service starts again, in seconds.
# The gateway may reuse its "not running" result for up to
# rpc_client.NOT_RUNNING_CACHE_SECONDS.
RESTART_WAIT = 2.0

UNAVAILABLE = {
    "error": {
        "code": "service_unavailable",
        "message": "A service needed for this request is unavailable. Try again later.",
    }
}


def timed_get(url: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=10)
    return response, time.monotonic() - started


def answers_200(url: str) -> bool:
    return httpx.get(url, timeout=10).status_code == 200


def test_absent_service_returns_503_well_before_timeout(start_gateway, make_vhost):
    empty_vhost = make_vhost()
    gateway = start_gateway(AMQP_URI=f"amqp://{BROKER}/{empty_vhost}", RPC_TIMEOUT="3")

    response, elapsed = timed_get(f"{gateway.url}/data/products")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert elapsed < 1.0


def test_stopped_service_returns_503_until_restarted(start_gateway, make_vhost, tmp_path):
    amqp_uri = f"amqp://{BROKER}/{make_vhost()}"
    services = FakeServicesProcess(
        amqp_uri,
        tmp_path,
        target="tests.gateway.fake_services:AnalyticsService",
        queues=("rpc-analytics_service",),
    )

    try:
        services.start()
        gateway = start_gateway(AMQP_URI=amqp_uri, RPC_TIMEOUT=STOPPED_SERVICE_RPC_TIMEOUT)
        products_url = f"{gateway.url}/data/products"
        while_running = httpx.get(products_url, timeout=10)

        services.stop()
        # Let the gateway's "running" result of the request above expire.
        time.sleep(RUNNING_CACHE_SECONDS)
        while_stopped, elapsed_while_stopped = timed_get(products_url)

        services.start()
        restarted = time.monotonic()
        wait_until(lambda: answers_200(products_url), RESTART_WAIT, 0.05, "a 200 after the restart")
        elapsed_after_restart = time.monotonic() - restarted
    finally:
        services.stop()

    log = gateway.log_text()
    assert while_running.status_code == 200
    assert while_stopped.status_code == 503
    assert while_stopped.json() == UNAVAILABLE
    assert elapsed_while_stopped < 1.0
    assert elapsed_after_restart < RESTART_WAIT
    assert "analytics_service is not running" in log
    assert log.count("Service analytics_service is running") == 2


def test_gateway_follows_broker_outages(start_gateway, amqp_uri, fake_services):
    proxy = TcpProxy(free_port(), RABBITMQ)
    vhost = amqp_uri.rsplit("/", 1)[1]
    gateway = start_gateway(AMQP_URI=f"amqp://{CREDENTIALS}@127.0.0.1:{proxy.port}/{vhost}")
    products_url = f"{gateway.url}/data/products"

    before_broker, elapsed_before_broker = timed_get(products_url)
    proxy.start()
    try:
        wait_until(lambda: answers_200(products_url), RECONNECT_WAIT, 0.2, "the first connection")
        proxy.stop()
        during_outage, elapsed_during_outage = timed_get(products_url)
        proxy.start()
        wait_until(lambda: answers_200(products_url), RECONNECT_WAIT, 0.2, "the reconnection")
    finally:
        proxy.stop()

    assert before_broker.status_code == 503
    assert before_broker.json() == UNAVAILABLE
    assert elapsed_before_broker < 1.0
    assert during_outage.status_code == 503
    assert elapsed_during_outage < 1.0


@pytest.mark.parametrize(
    ("stop_signal", "workers"),
    [(signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGTERM, 2)],
    ids=["SIGTERM", "SIGINT", "SIGTERM-2-workers"],
)
def test_gateway_stops_cleanly_on_signal(start_gateway, amqp_uri, fake_services, stop_signal, workers):
    gateway = start_gateway(AMQP_URI=amqp_uri, GATEWAY_WORKERS=str(workers))
    responses = [httpx.get(f"{gateway.url}/data/products", timeout=10) for _ in range(4)]

    gateway.process.send_signal(stop_signal)
    exit_code = gateway.process.wait(timeout=COMMAND_TIMEOUT)

    log = gateway.log_text()
    assert [response.status_code for response in responses] == [200] * 4
    assert exit_code == 0, log
    assert log.count("Closed AMQP connection") == workers, log
    assert log.count("Gateway worker stopped") == workers, log


def test_invalid_setting_stops_start_naming_variable():
    environment = {**os.environ, "GATEWAY_PORT": "eighty"}

    result = subprocess.run(
        [sys.executable, "-m", "gateway"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )

    assert result.returncode == 2
    assert "GATEWAY_PORT must be an integer, got 'eighty'" in result.stderr


def test_gateway_imports_neither_nameko_nor_eventlet():
    script = (
        "import json, pkgutil, sys, importlib\n"
        "import gateway\n"
        "for module in pkgutil.walk_packages(gateway.__path__, 'gateway.'):\n"
        "    importlib.import_module(module.name)\n"
        "from gateway.app import create_app\n"
        "create_app()\n"
        "loaded = [name for name in sys.modules if name.split('.')[0] in ('nameko', 'eventlet')]\n"
        "print(json.dumps(loaded))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
