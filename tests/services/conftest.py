"""Fixtures for the services' tests, which run under eventlet like the services."""
import eventlet

eventlet.monkey_patch()

from service_support.green import patch_database_drivers  # noqa: E402

patch_database_drivers()

import subprocess  # noqa: E402
import uuid  # noqa: E402

import psycopg2  # noqa: E402
import pytest  # noqa: E402

from purchases_service.settings import DEFAULT_CATALOG_FILE  # noqa: E402
from service_support.database import open_database  # noqa: E402

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost():
    vhost = f"pa-test-{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost


@pytest.fixture
def fresh_vhost_uri():
    """An AMQP URI of a virtual host made for one test, with no queues in it."""
    vhost = create_vhost()
    yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def postgres_url():
    """The URL of a PostgreSQL database made for one test and dropped after it."""
    name = f"pa_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A database URL for each backend: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.sqlite3"
    return request.getfixturevalue("postgres_url")


def bind_models(proxy, models, url, tmp_path):
    """Point a service's models at a real database and create the tables."""
    database = open_database(url, str(tmp_path), "test", max_connections=4)
    proxy.initialize(database)
    database.connect()
    database.create_tables(models)
    return database


@pytest.fixture
def purchases_db(tmp_path):
    """purchases_service's models on a new SQLite file, with the default catalog seeded and published."""
    from purchases_service.catalog import load_catalog_file, seed_catalog
    from purchases_service.models import MODELS, OutboxEvent, database

    db = bind_models(database, MODELS, "", tmp_path)
    seed_catalog(load_catalog_file(DEFAULT_CATALOG_FILE))
    OutboxEvent.update(published_at=OutboxEvent.created_at).execute()
    yield db
    db.close()


def service_config(amqp_uri, tmp_path, **overrides):
    config = {
        "AMQP_URI": amqp_uri,
        "DATA_DIR": str(tmp_path),
        "RPC_TIMEOUT": 2.0,
        "LOG_LEVEL": "INFO",
        "max_workers": 10,
        "serializer": "json",
        "CATALOG_FILE": DEFAULT_CATALOG_FILE,
        "BUSINESS_TIMEZONE": "UTC",
    }
    config.update(overrides)
    return config


@pytest.fixture
def config(fresh_vhost_uri, tmp_path):
    """Config for containers of one test: its own virtual host and data directory."""
    return service_config(fresh_vhost_uri, tmp_path)
