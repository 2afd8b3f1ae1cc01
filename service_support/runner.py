"""Run one Nameko service in the current process until SIGINT or SIGTERM."""
import logging
import signal
import sys

import eventlet
from nameko.runners import ServiceRunner

from service_support.uris import redact_uri

_log = logging.getLogger(__name__)


class ExpectedErrorFilter(logging.Filter):
    """Log an expected RPC error (bad input, not found) as one line, without its traceback.

    Nameko logs every exception listed in an entrypoint's
    `expected_exceptions` as a warning with the whole traceback; for a
    rejected request the message alone is enough.
    """

    def filter(self, record):
        if record.msg.startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level):
    logging.basicConfig(
        stream=sys.stdout,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("nameko.containers").addFilter(ExpectedErrorFilter())


def run_service(service_cls, config):
    """Start `service_cls` with `config`, then stop it gracefully on a signal."""
    configure_logging(config["LOG_LEVEL"])
    runner = ServiceRunner(config)
    runner.add_service(service_cls)

    def request_stop(signum, frame):
        _log.info("%s: received %s, stopping", service_cls.name, signal.Signals(signum).name)
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    _log.info("%s: starting, broker %s", service_cls.name, redact_uri(config["AMQP_URI"]))
    runner.start()
    _log.info("%s: started", service_cls.name)
    runner.wait()
    _log.info("%s: stopped", service_cls.name)
