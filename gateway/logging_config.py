"""Logging configuration: every logger writes to stdout at LOG_LEVEL."""

import logging
import time
from typing import Any


LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"

# Sanic's own loggers, as named in sanic.logging.loggers (Sanic 25.12).
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.server", "sanic.websockets")

# While the broker is down, aio-pika and aiormq log a few lines on every
# reconnection attempt, which is every second.
THROTTLED_LOGGERS = ("aio_pika", "aiormq")
THROTTLE_SECONDS = 60.0


class RepeatFilter(logging.Filter):
    """Pass one record per logger and message template every `interval` seconds.

    Applies to the loggers under `prefixes` only. A record that passes after
    others were dropped states how many were dropped.
    """

    def __init__(self, prefixes: tuple[str, ...], interval: float):
        super().__init__()
        self.prefixes = tuple(prefixes)
        self.interval = interval
        self._last_passed: dict[tuple[str, Any], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True

        key = (record.name, str(record.msg))
        now = time.monotonic()
        passed_at, dropped = self._last_passed.get(key, (None, 0))
        if passed_at is not None and now - passed_at < self.interval:
            self._last_passed[key] = (passed_at, dropped + 1)
            return False

        self._last_passed[key] = (now, 0)
        if dropped and isinstance(record.msg, str):
            record.msg = f"{record.msg} [dropped {dropped} similar records since the previous one]"
        return True


def build_log_config(level: str) -> dict[str, Any]:
    """Return a `logging.config.dictConfig` dict for the gateway.

    Sanic's loggers keep Sanic's formatters but write to stdout and do not
    propagate, so that the root handler, which serves the gateway and aio-pika
    loggers, does not print their records twice.
    """
    sanic_logger = {"level": level, "handlers": ["sanic_console"], "propagate": False}
    loggers = {name: dict(sanic_logger) for name in SANIC_LOGGERS}
    loggers["sanic.access"] = {"level": level, "handlers": ["access_console"], "propagate": False}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "throttle": {
                "()": RepeatFilter,
                "prefixes": THROTTLED_LOGGERS,
                "interval": THROTTLE_SECONDS,
            },
        },
        "formatters": {
            "plain": {"format": LOG_FORMAT},
            "sanic": {"class": "sanic.logging.formatter.AutoFormatter"},
            "access": {"class": "sanic.logging.formatter.AutoAccessFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["throttle"],
                "stream": "ext://sys.stdout",
            },
            "sanic_console": {
                "class": "logging.StreamHandler",
                "formatter": "sanic",
                "stream": "ext://sys.stdout",
            },
            "access_console": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": loggers,
        "root": {"level": level, "handlers": ["console"]},
    }
