"""Serve the gateway: `python -m gateway`, configured by environment variables.

With GATEWAY_WORKERS above 1, Sanic's worker manager runs that many worker
processes. The server stops cleanly on SIGINT or SIGTERM.
"""

import sys
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from gateway.app import create_app
from gateway.settings import SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"gateway: invalid setting: {error}", file=sys.stderr)
        return 2

    # With one worker the server runs in this process, without Sanic's
    # worker manager. In Sanic 25.12 the manager hangs for 30 s, then sends
    # SIGKILL to its workers' process group, when a stop signal arrives
    # before it has registered that the workers are ready.
    single_process = settings.workers == 1

    # Each worker process builds its own app from this loader, because the
    # workers are started with the "spawn" method and share no objects.
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=single_process,
        motd=False,
        access_log=False,
    )
    if single_process:
        Sanic.serve_single(app)
    else:
        Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    sys.exit(main())
