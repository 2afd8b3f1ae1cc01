"""Start users_service: `python -m users_service`."""
import warnings

# eventlet 0.41 warns at import that it is deprecated; Nameko 2.x needs it.
# `warnings` is already loaded by the interpreter, so patching still comes first.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from service_support.green import patch_database_drivers  # noqa: E402

patch_database_drivers()

from service_support.runner import run_service  # noqa: E402
from users_service.service import UsersService  # noqa: E402
from users_service.settings import build_config  # noqa: E402

run_service(UsersService, build_config())
