"""purchases_service settings from the environment; see README.md for the table."""
import os

from service_support.settings import common_config, read_float

DEFAULT_CATALOG_FILE = os.path.join(os.path.dirname(__file__), "catalog.json")

# Read at import because Nameko fixes a timer's interval when the class is defined.
OUTBOX_RELAY_INTERVAL = read_float("OUTBOX_RELAY_INTERVAL", "1.0")


def build_config():
    config = common_config()
    config["PURCHASES_DATABASE_URL"] = os.environ.get("PURCHASES_DATABASE_URL", "")
    config["CATALOG_FILE"] = os.environ.get("CATALOG_FILE", DEFAULT_CATALOG_FILE)
    return config
