"""Start the whole stack the way `make run` does, on a test vhost and data directory."""
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg2

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
SERVICES = ("users", "purchases", "analytics")


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_execute(statement):
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


class Stack:
    """The gateway and the three services under honcho, on a backend of choice."""

    def __init__(self, backend, data_dir, extra_env=None):
        self.backend = backend
        self.data_dir = Path(data_dir)
        self.vhost = f"pa-e2e-{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.databases = []
        self.extra_env = extra_env or {}
        self.process = None
        self.log_path = self.data_dir / "stack.log"

    @property
    def environment_amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"

    def environment(self):
        env = dict(os.environ)
        env.update({
            "PATH": f"{BIN}:{env.get('PATH', '')}",
            "AMQP_URI": self.environment_amqp_uri,
            "DATA_DIR": str(self.data_dir / "var"),
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "RPC_TIMEOUT": "5",
        })
        for service in SERVICES:
            env.pop(f"{service.upper()}_DATABASE_URL", None)
        if self.backend == "postgresql":
            for service in SERVICES:
                name = f"pa_e2e_{uuid.uuid4().hex[:10]}_{service}"
                postgres_execute(f'CREATE DATABASE "{name}"')
                self.databases.append(name)
                env[f"{service.upper()}_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
        env.update(self.extra_env)
        return env

    def start(self, timeout=90):
        rabbitmqctl("add_vhost", self.vhost)
        rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        env = self.environment()
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile"],
            cwd=REPO, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout):
        """Wait until the gateway responds and analytics lists the whole default catalog."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the stack exited early:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/data/products", timeout=2)
                if response.status_code == 200 and len(response.json()) >= 12:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the stack was not ready within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=60):
        self.log_file.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process is not None:
            self.log_file.close()
        rabbitmqctl("delete_vhost", self.vhost)
        for name in self.databases:
            postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
