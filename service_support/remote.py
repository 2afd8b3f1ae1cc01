"""RPC calls from one service to another, bounded by half of RPC_TIMEOUT.

The gateway waits RPC_TIMEOUT for a service, so a service that waits only
half of it for another service still has time to send its
ServiceUnavailable back, and the client gets 503 rather than a 504.
"""
import eventlet
from nameko.exceptions import UnknownService

from service_support.errors import ServiceUnavailable


def inner_timeout(config):
    """Return how long a service waits for another one: half of RPC_TIMEOUT."""
    return config["RPC_TIMEOUT"] / 2


def call_with_timeout(proxy, method_name, *args, timeout, **kwargs):
    """Call `proxy.<method_name>(*args, **kwargs)` and wait at most `timeout` seconds.

    Nameko's own `RpcProxy` waits for a reply forever, so a hung service
    would hang the caller too. Raises `ServiceUnavailable` when the target
    service is absent or does not respond in time; remote errors propagate as
    Nameko's `RemoteError`.
    """
    service_name = proxy.service_name
    timer = eventlet.Timeout(timeout)
    try:
        reply = getattr(proxy, method_name).call_async(*args, **kwargs)
        return reply.result()
    except eventlet.Timeout as error:
        if error is not timer:
            raise
        raise ServiceUnavailable(f"{service_name} did not respond within {timeout:g} s, try again later")
    except UnknownService:
        raise ServiceUnavailable(f"{service_name} is not running, try again later")
    finally:
        timer.cancel()
