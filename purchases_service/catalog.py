"""The catalog file and the products it seeds at start-up.

The file is a JSON list of `{"id": int, "name": str, "price": "12.50"}`.
At every start, each listed product whose id is not in the database yet is
added. Products already there keep their name and price, so changes made
through `save_product` survive restarts.
"""
import json
import logging

from purchases_service.models import Product, database
from purchases_service.outbox import add_event
from purchases_service.schemas import product_to_dict
from service_support.money import parse_money
from service_support.names import name_key

_log = logging.getLogger(__name__)


class CatalogFileError(Exception):
    """The catalog file cannot be read or an entry in it is invalid."""


def load_catalog_file(path):
    """Return the products in the catalog file as (id, name, price_minor) tuples."""
    try:
        with open(path, encoding="utf-8") as catalog_file:
            entries = json.load(catalog_file)
    except (OSError, ValueError) as error:
        raise CatalogFileError(f"cannot read catalog file {path}: {error}")
    if not isinstance(entries, list):
        raise CatalogFileError(f"catalog file {path} must contain a JSON list of products")

    products, seen_ids, seen_names = [], set(), set()
    for index, entry in enumerate(entries):
        product = parse_catalog_entry(entry, f"{path}: product #{index + 1}")
        product_id, name, _ = product
        if product_id in seen_ids or name_key(name) in seen_names:
            raise CatalogFileError(f"{path}: product #{index + 1} repeats id {product_id} or name {name!r}")
        seen_ids.add(product_id)
        seen_names.add(name_key(name))
        products.append(product)
    return products


def parse_catalog_entry(entry, where):
    if not isinstance(entry, dict):
        raise CatalogFileError(f"{where} must be an object with id, name and price")
    product_id, name = entry.get("id"), entry.get("name")
    if isinstance(product_id, bool) or not isinstance(product_id, int) or product_id < 1:
        raise CatalogFileError(f"{where}: id must be a positive integer, got {product_id!r}")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
        raise CatalogFileError(f"{where}: name must be a non-blank string of at most 64 characters")
    try:
        price_minor = parse_money(entry.get("price"), "price")
    except ValueError as error:
        raise CatalogFileError(f"{where}: {error}")
    return product_id, name.strip(), price_minor


def seed_catalog(products):
    """Add the products whose id is missing; return how many were added."""
    added = 0
    with database.atomic():
        existing_ids = {product.id for product in Product.select(Product.id)}
        for product_id, name, price_minor in products:
            if product_id in existing_ids:
                continue
            if Product.get_or_none(Product.name_key == name_key(name)) is not None:
                raise CatalogFileError(
                    f"catalog product {product_id} {name!r}: another product already has this name"
                )
            product = Product.create(
                id=product_id, name=name, name_key=name_key(name), price_minor=price_minor
            )
            add_event("product_saved", product_to_dict(product))
            added += 1
    return added
