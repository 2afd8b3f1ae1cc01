"""Exit 0 when RabbitMQ accepts a connection at AMQP_URI, else explain and exit 1.

`make run` calls this before it starts anything: python -m service_support.broker_check
"""
import os
import socket
import sys
from urllib.parse import unquote, urlsplit

import amqp

from service_support.uris import redact_uri

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def check_broker(uri):
    """Return None when the broker at `uri` accepts a connection, else a message."""
    parts = urlsplit(uri)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    connection = amqp.Connection(
        host=f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
        userid=unquote(parts.username or "guest"),
        password=unquote(parts.password or "guest"),
        virtual_host=vhost,
        connect_timeout=5,
    )
    try:
        connection.connect()
    except (ConnectionError, socket.timeout, socket.gaierror) as error:
        return (
            f"RabbitMQ is not answering at {redact_uri(uri)} ({error}).\n"
            "Start it with `rabbitmq-server -detached` (or `sudo systemctl start rabbitmq-server`), "
            "or set AMQP_URI to a running broker."
        )
    except amqp.exceptions.AccessRefused as error:
        return f"RabbitMQ at {redact_uri(uri)} refused the login: {error}. Check the user and password in AMQP_URI."
    except amqp.exceptions.NotAllowed as error:
        return (
            f"RabbitMQ at {redact_uri(uri)} has no virtual host {vhost!r} for this user ({error}).\n"
            f"Create it with `rabbitmqctl add_vhost {vhost}` and "
            f"`rabbitmqctl set_permissions -p {vhost} {parts.username or 'guest'} '.*' '.*' '.*'`."
        )
    finally:
        connection.collect()
    return None


def main():
    uri = os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
    problem = check_broker(uri)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"RabbitMQ answers at {redact_uri(uri)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
