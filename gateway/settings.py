"""Gateway settings, read from environment variables in one place.

Each variable has a default suited to a local run. `load_settings` validates
every value and raises SettingsError naming the variable at fault, so a
misconfigured gateway stops at start instead of failing on the first request.
"""

import math
import os
from dataclasses import dataclass
from urllib.parse import urlsplit


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(ValueError):
    """An environment variable has a value the gateway cannot use."""


@dataclass(frozen=True)
class Settings:
    """Validated settings. `rpc_timeout` is in seconds."""

    amqp_uri: str
    host: str
    port: int
    workers: int
    rpc_timeout: float
    max_body_bytes: int
    log_level: str


def load_settings() -> Settings:
    """Read and validate the gateway settings from the environment."""
    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    host = os.environ.get("GATEWAY_HOST", "127.0.0.1")
    port = os.environ.get("GATEWAY_PORT", "8000")
    workers = os.environ.get("GATEWAY_WORKERS", "1")
    rpc_timeout = os.environ.get("RPC_TIMEOUT", "5")
    max_body_bytes = os.environ.get("GATEWAY_MAX_BODY_BYTES", "1048576")
    log_level = os.environ.get("LOG_LEVEL", "INFO")

    return Settings(
        amqp_uri=_parse_amqp_uri("AMQP_URI", amqp_uri),
        host=_parse_host("GATEWAY_HOST", host),
        port=_parse_int("GATEWAY_PORT", port, minimum=1, maximum=65535),
        workers=_parse_int("GATEWAY_WORKERS", workers, minimum=1),
        rpc_timeout=_parse_seconds("RPC_TIMEOUT", rpc_timeout),
        max_body_bytes=_parse_int("GATEWAY_MAX_BODY_BYTES", max_body_bytes, minimum=1),
        log_level=_parse_log_level("LOG_LEVEL", log_level),
    )


def _parse_amqp_uri(name: str, raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise SettingsError(
            f"{name} must be an AMQP URI such as amqp://user:password@host:5672/vhost, "
            f"got a value with scheme {parts.scheme!r}"
        )
    return raw.strip()


def _parse_host(name: str, raw: str) -> str:
    host = raw.strip()
    if not host:
        raise SettingsError(f"{name} must be a host name or IP address, got an empty value")
    return host


def _parse_int(name: str, raw: str, *, minimum: int, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None

    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def _parse_seconds(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None

    if not math.isfinite(value) or value <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def _parse_log_level(name: str, raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level
