"""Checks of deploy/postgres/init.sh: its SQL as text, then the script run
against a throwaway PostgreSQL cluster that these tests start and remove.

The throwaway cluster listens on a free 127.0.0.1 port and on a Unix socket
in a temporary directory, so the machine's own PostgreSQL server is not
touched. Its pg_hba.conf trusts connections over the socket, as the postgres
image does while init scripts run, and requires a password over TCP, as the
image does for the services.
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = REPO_ROOT / "deploy" / "postgres" / "init.sh"

# Compose service -> its database URL variable and its role and database name.
SERVICE_DATABASES = {
    "users_service": ("USERS_DATABASE_URL", "users"),
    "purchases_service": ("PURCHASES_DATABASE_URL", "purchases"),
    "analytics_service": ("ANALYTICS_DATABASE_URL", "analytics"),
}
DATABASES = [database for _variable, database in SERVICE_DATABASES.values()]


def find_sql(statement_pattern, name):
    """Return the statements in init.sh that match the pattern for `name`."""
    sql = INIT_SCRIPT.read_text(encoding="utf-8")
    pattern = statement_pattern.format(name=re.escape(name))
    return re.findall(pattern, sql, flags=re.IGNORECASE)


def test_init_script_is_executable():
    assert os.access(INIT_SCRIPT, os.X_OK) is True


@pytest.mark.parametrize("name", DATABASES)
def test_init_script_creates_login_role(name):
    statements = find_sql(r"CREATE ROLE {name} LOGIN PASSWORD :'{name}_password';", name)

    assert len(statements) == 1


@pytest.mark.parametrize("name", DATABASES)
def test_init_script_creates_owned_database(name):
    statements = find_sql(r"CREATE DATABASE {name} OWNER {name};", name)

    assert len(statements) == 1


@pytest.mark.parametrize("name", DATABASES)
def test_init_script_revokes_public_connect(name):
    statements = find_sql(r"REVOKE CONNECT\b[^;]* ON DATABASE {name} FROM PUBLIC;", name)

    assert len(statements) == 1


@pytest.mark.parametrize("name", DATABASES)
def test_init_script_grants_connect_to_owner_only(name):
    statements = find_sql(r"GRANT CONNECT\b[^;]* ON DATABASE {name} TO (\w+);", name)

    assert statements == [name]


@pytest.mark.parametrize("name", DATABASES)
def test_init_script_reads_compose_passwords(compose_config, name):
    variable = f"{name.upper()}_DB_PASSWORD"
    postgres_environment = compose_config["services"]["postgres"]["environment"]
    script = INIT_SCRIPT.read_text(encoding="utf-8")

    assert variable in postgres_environment
    assert f'--set={name}_password="${variable}"' in script


def _find_postgres_bindir():
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if not candidates:
        pytest.fail(
            "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH "
            "or under /usr/lib/postgresql; install the Debian package postgresql"
        )
    return candidates[-1].parent


def _free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def throwaway_server():
    """Start a new PostgreSQL cluster and yield (socket directory, TCP port)."""
    bindir = _find_postgres_bindir()
    base = Path(tempfile.mkdtemp(prefix="deploy-postgres-init-"))
    # initdb refuses to run as root, so root runs the server as `postgres`.
    run_as = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        run_as = [runuser, "-u", "postgres", "--"]

    data_dir = base / "data"
    port = _free_loopback_port()
    server_options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
    subprocess.run(
        run_as + [str(bindir / "initdb"), "-D", str(data_dir), "-U", "postgres",
                  "--auth-local=trust", "--auth-host=scram-sha-256"],
        check=True, capture_output=True, timeout=120,
    )
    subprocess.run(
        run_as + [str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(base / "server.log"),
                  "-o", server_options, "-w", "start"],
        check=True, capture_output=True, timeout=120,
    )
    try:
        yield base, port
    finally:
        subprocess.run(
            run_as + [str(bindir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
            capture_output=True, timeout=120,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def initialised_server(throwaway_server, compose_config):
    """Run init.sh on the throwaway cluster with the postgres container's
    environment from docker-compose.yml, and return the TCP port."""
    socket_dir, port = throwaway_server
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGHOST": str(socket_dir),
        "PGPORT": str(port),
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "postgres",
        **compose_config["services"]["postgres"]["environment"],
    }

    result = subprocess.run(
        [str(INIT_SCRIPT)], env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, f"init.sh failed:\n{result.stderr}"
    return port


def connect_as_service(compose_config, port, service, database=None, password=None):
    """Connect to the throwaway cluster with the credentials of `service`'s
    database URL from docker-compose.yml, optionally to another database or
    with another password."""
    variable, _name = SERVICE_DATABASES[service]
    url = urlsplit(compose_config["services"][service]["environment"][variable])
    return psycopg2.connect(
        host="127.0.0.1",
        port=port,
        user=url.username,
        password=url.password if password is None else password,
        dbname=url.path.lstrip("/") if database is None else database,
        connect_timeout=10,
    )


@pytest.mark.parametrize("service", sorted(SERVICE_DATABASES))
def test_service_role_connects_to_own_database(compose_config, initialised_server, service):
    _variable, name = SERVICE_DATABASES[service]

    connection = connect_as_service(compose_config, initialised_server, service)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        row = cursor.fetchone()
    connection.close()

    assert row == (name, name)


@pytest.mark.parametrize("service", sorted(SERVICE_DATABASES))
def test_service_role_creates_tables(compose_config, initialised_server, service):
    connection = connect_as_service(compose_config, initialised_server, service)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE deploy_check (id integer PRIMARY KEY)")
        cursor.execute("INSERT INTO deploy_check VALUES (1)")
        cursor.execute("SELECT count(*) FROM deploy_check")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE deploy_check")
    connection.close()

    assert count == 1


@pytest.mark.parametrize(
    "service, other_database",
    [
        (service, other)
        for service, (_variable, own) in sorted(SERVICE_DATABASES.items())
        for other in DATABASES + ["postgres", "template1"]
        if other != own
    ],
)
def test_service_role_rejected_by_other_database(
    compose_config, initialised_server, service, other_database
):
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        connect_as_service(compose_config, initialised_server, service, database=other_database)


def test_service_role_rejected_with_wrong_password(compose_config, initialised_server):
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect_as_service(
            compose_config, initialised_server, "users_service", password="not-the-password"
        )
