"""Sanic application factory of the HTTP gateway."""

import logging

from sanic import Sanic

from gateway.errors import handle_exception
from gateway.logging_config import build_log_config
from gateway.routes import BLUEPRINTS
from gateway.rpc_client import RpcClient
from gateway.settings import Settings, load_settings


_log = logging.getLogger(__name__)

APP_NAME = "gateway"


def create_app(settings: Settings | None = None) -> Sanic:
    """Build the gateway application. Nothing connects until the server starts."""
    if settings is None:
        settings = load_settings()

    # env_prefix=None keeps Sanic from reading SANIC_* variables, so that
    # gateway.settings stays the only place that reads the environment.
    app = Sanic(APP_NAME, env_prefix=None, log_config=build_log_config(settings.log_level))
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.ctx.settings = settings

    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    app.error_handler.add(Exception, handle_exception)

    app.before_server_start(start_rpc_client)
    app.after_server_stop(stop_rpc_client)
    return app


async def start_rpc_client(app: Sanic) -> None:
    """Open this worker's RPC client. An unreachable broker does not stop the start."""
    settings = app.ctx.settings
    app.ctx.rpc = RpcClient(settings.amqp_uri, settings.rpc_timeout)
    await app.ctx.rpc.start()
    _log.info(
        "Gateway worker starting on %s:%s, RPC timeout %s s",
        settings.host,
        settings.port,
        settings.rpc_timeout,
    )


async def stop_rpc_client(app: Sanic) -> None:
    """Close this worker's RPC client after the server stopped taking requests."""
    await app.ctx.rpc.close()
    _log.info("Gateway worker stopped")
