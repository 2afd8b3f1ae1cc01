"""Fixtures for the gateway's tests: a RabbitMQ vhost, the fake services and
gateway processes.

Everything is real: RabbitMQ on 127.0.0.1:5672 (guest/guest) with vhosts
made for this session, Nameko services from fake_services.py run by
`nameko run`, and `python -m gateway` serving HTTP on a free loopback port.
The tests run without eventlet and without the nameko pytest plugin:

    .venv/bin/python -m pytest -p no:pytest_nameko tests/gateway

Creating vhosts and closing connections needs `rabbitmqctl`, so the tests
must run as a user allowed to call it (root on the development machine).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from gateway.rpc_client import RpcClient


REPO_ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = "guest:guest"
BROKER = f"{CREDENTIALS}@127.0.0.1:5672"
RPC_QUEUES = ("rpc-users_service", "rpc-purchases_service", "rpc-analytics_service")

# Bounds for the waits in this file, in seconds.
DEFAULT_TEST_TIMEOUT = 60
COMMAND_TIMEOUT = 30
START_TIMEOUT = 30
STOP_TIMEOUT = 10
MANAGER_READY_DELAY = 0.5

# RPC timeout of the main gateway. fake_services.SLOW_SECONDS must exceed it.
GATEWAY_RPC_TIMEOUT = 2.0
GATEWAY_MAX_BODY_BYTES = 4096


def pytest_collection_modifyitems(items):
    """Give each gateway test without its own timeout marker a default one."""
    gateway_tests_dir = Path(__file__).parent
    for item in items:
        if gateway_tests_dir in item.path.parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT))


def rabbitmqctl(*args: str) -> str:
    """Run a rabbitmqctl command and return its output."""
    result = subprocess.run(
        ["rabbitmqctl", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, interval: float, description: str) -> None:
    """Poll `condition` until it returns true, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {description}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen) -> int:
    """Stop a process with SIGTERM, or SIGKILL after STOP_TIMEOUT, and return its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    return process.returncode


@pytest.fixture(scope="session")
def make_vhost():
    """Create RabbitMQ vhosts for this session and delete them at its end."""
    created = []

    def make() -> str:
        vhost = f"gw-test-{uuid.uuid4().hex[:12]}"
        rabbitmqctl("add_vhost", vhost)
        created.append(vhost)
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return vhost

    yield make

    for vhost in created:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_uri(make_vhost):
    """AMQP URI of the vhost where the fake services run."""
    return f"amqp://{BROKER}/{make_vhost()}"


def list_queues(vhost: str) -> dict[str, tuple[int, int]]:
    """Return (messages, consumers) for each queue in `vhost`, ready and unacked messages together."""
    listed = rabbitmqctl(
        "list_queues", "-p", vhost, "--no-table-headers", "name", "messages", "consumers"
    )
    queues = {}
    for line in listed.splitlines():
        fields = line.split("\t")
        if len(fields) == 3:
            queues[fields[0]] = (int(fields[1]), int(fields[2]))
    return queues


class FakeServicesProcess:
    """A `nameko run` subprocess running fake services on one vhost.

    `target` is a module or `module:Class` argument of `nameko run`, and
    `queues` are the RPC queues that its services consume. It can start again
    after a stop, and every run appends to the same log file.
    """

    def __init__(
        self,
        amqp_uri: str,
        workdir: Path,
        target: str = "tests.gateway.fake_services",
        queues: tuple[str, ...] = RPC_QUEUES,
    ):
        self.vhost = amqp_uri.rsplit("/", 1)[1]
        self.target = target
        self.queues = queues
        self.config_path = workdir / "nameko.yaml"
        self.config_path.write_text(f"AMQP_URI: '{amqp_uri}'\n")
        self.log_path = workdir / "nameko.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the services and wait until each of their queues has a consumer."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(self.config_path),
                 self.target],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._consuming, START_TIMEOUT, 0.2, f"{self.target} to consume")

    def stop(self) -> None:
        """Stop the services and wait until the broker shows no consumer on their queues."""
        if self.process is None:
            return
        stop_process(self.process)
        wait_until(self._not_consuming, STOP_TIMEOUT, 0.1, f"{self.target} to stop consuming")

    def _consuming(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"nameko run exited with {self.process.returncode}, see {self.log_path}")
        queues = list_queues(self.vhost)
        return all(queues.get(queue, (0, 0))[1] > 0 for queue in self.queues)

    def _not_consuming(self) -> bool:
        queues = list_queues(self.vhost)
        return all(queues.get(queue, (0, 0))[1] == 0 for queue in self.queues)


@pytest.fixture(scope="session")
def fake_services(amqp_uri, tmp_path_factory):
    """Run the three fake Nameko services until the end of the session."""
    services = FakeServicesProcess(amqp_uri, tmp_path_factory.mktemp("fake_services"))
    try:
        services.start()
        yield services.process
    finally:
        services.stop()


class GatewayProcess:
    """A `python -m gateway` subprocess serving on a free loopback port."""

    def __init__(self, environment: dict[str, str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._environment = {
            **os.environ,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_WORKERS": "1",
            "LOG_LEVEL": "INFO",
            **environment,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("w") as log:
            # A session of its own keeps pytest out of the gateway's process
            # group: Sanic's worker manager sends SIGKILL to the whole group
            # of its workers when a worker fails to start or a second stop
            # signal arrives during shutdown.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway"],
                cwd=REPO_ROOT,
                env=self._environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._is_serving, START_TIMEOUT, 0.1, f"the gateway on {self.url}")

        workers = int(self._environment["GATEWAY_WORKERS"])
        if workers > 1:
            wait_until(
                lambda: self.log_text().count("Worker ready") == workers,
                START_TIMEOUT,
                0.1,
                f"{workers} gateway workers",
            )
            # Sanic's worker manager polls for the workers' readiness every
            # 0.1 s. A stop signal that arrives before it has seen them
            # ready makes it hang for 30 s (Sanic 25.12).
            time.sleep(MANAGER_READY_DELAY)

    def stop(self) -> int:
        return stop_process(self.process)

    def log_text(self) -> str:
        return self.log_path.read_text()

    def _is_serving(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the gateway exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            httpx.get(f"{self.url}/readiness-probe", timeout=1)
        except httpx.TransportError:
            return False
        return True


@pytest.fixture(scope="session")
def start_gateway(tmp_path_factory, make_vhost):
    """Start gateway processes with the given environment; stop them at the end.

    It depends on make_vhost so that the gateways stop before their vhosts go.
    """
    gateways = []

    def start(**environment: str) -> GatewayProcess:
        log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
        gateway = GatewayProcess(environment, log_path)
        gateways.append(gateway)
        gateway.start()
        return gateway

    yield start

    for gateway in gateways:
        gateway.stop()


@pytest.fixture(scope="session")
def gateway(start_gateway, amqp_uri, fake_services):
    """The gateway in front of the fake services."""
    return start_gateway(
        AMQP_URI=amqp_uri,
        RPC_TIMEOUT=str(GATEWAY_RPC_TIMEOUT),
        GATEWAY_MAX_BODY_BYTES=str(GATEWAY_MAX_BODY_BYTES),
    )


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client


@pytest_asyncio.fixture
async def rpc_client(amqp_uri, fake_services):
    """An in-process RpcClient connected to the fake services' vhost."""
    client = RpcClient(amqp_uri, timeout=GATEWAY_RPC_TIMEOUT, reconnect_interval=0.2)
    await client.start()
    yield client
    await client.close()
