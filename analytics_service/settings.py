"""analytics_service settings from the environment; see README.md for the table."""
import os

from service_support.settings import common_config, read_float

# Read at import because Nameko fixes a timer's interval when the class is defined.
CATALOG_SYNC_INTERVAL = read_float("CATALOG_SYNC_INTERVAL", "60")


def build_config():
    config = common_config()
    config["ANALYTICS_DATABASE_URL"] = os.environ.get("ANALYTICS_DATABASE_URL", "")
    config["BUSINESS_TIMEZONE"] = os.environ.get("BUSINESS_TIMEZONE", "UTC")
    return config
