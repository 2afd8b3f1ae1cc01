"""Exit 0 when a service responds to its `health` RPC, 1 otherwise.

Usage: python -m service_support.healthcheck SERVICE_NAME
Reads AMQP_URI and RPC_TIMEOUT like the services do; meant for container
health checks.
"""
import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from service_support.settings import common_config  # noqa: E402


def main(argv):
    if len(argv) != 2:
        print("usage: python -m service_support.healthcheck SERVICE_NAME", file=sys.stderr)
        return 2
    service_name = argv[1]
    config = common_config()

    try:
        with ClusterRpcProxy(config, timeout=config["RPC_TIMEOUT"]) as rpc:
            status = getattr(rpc, service_name).health()
    except Exception as error:  # any failure means "not healthy"; the reason is printed
        print(f"{service_name} is not healthy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1

    print(f"{service_name}: {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
