"""Settings every service reads from the environment, with their defaults.

Each service adds its own settings in its `settings.py` and turns them all
into one Nameko config dict, so dependencies read `container.config` and
tests can pass a dict of their own.
"""
import os


def read_float(name, default):
    """Return the environment variable `name` as a positive float."""
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is invalid: expected a number of seconds")
    if value <= 0:
        raise SystemExit(f"{name}={raw!r} is invalid: expected a number above 0")
    return value


def read_int(name, default):
    """Return the environment variable `name` as a positive integer."""
    raw = os.environ.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is invalid: expected an integer")
    if value <= 0:
        raise SystemExit(f"{name}={raw!r} is invalid: expected an integer above 0")
    return value


def common_config():
    """Build the part of a Nameko config dict shared by all services."""
    return {
        "AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        "DATA_DIR": os.environ.get("DATA_DIR", "./var"),
        "RPC_TIMEOUT": read_float("RPC_TIMEOUT", "5"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "max_workers": read_int("MAX_WORKERS", "10"),
        "serializer": "json",
    }
