"""Nameko dependency providers of purchases_service other than the database."""
import logging

from nameko.extensions import DependencyProvider

from purchases_service.catalog import load_catalog_file, seed_catalog
from purchases_service.models import database

_log = logging.getLogger(__name__)


class CatalogSeeder(DependencyProvider):
    """Add the catalog file's missing products when the service starts.

    Runs in `start`, after every provider's `setup`, so the database
    provider has already created the tables.
    """

    def start(self):
        path = self.container.config["CATALOG_FILE"]
        products = load_catalog_file(path)

        with database.connection_context():
            added = seed_catalog(products)

        _log.info("catalog %s: %d product(s), %d added", path, len(products), added)

    def get_dependency(self, worker_ctx):
        return None
