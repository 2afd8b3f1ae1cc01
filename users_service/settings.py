"""users_service settings from the environment; see README.md for the table."""
import os

from service_support.settings import common_config


def build_config():
    config = common_config()
    config["USERS_DATABASE_URL"] = os.environ.get("USERS_DATABASE_URL", "")
    return config
