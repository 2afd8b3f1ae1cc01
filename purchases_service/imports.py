"""Storing imported checks: idempotent by natural key, products found or created by name."""
import hashlib

from peewee import fn

from purchases_service.models import Check, CheckLine, Product
from purchases_service.outbox import add_event
from purchases_service.schemas import check_to_dict, product_to_dict
from service_support.batching import chunks
from service_support.names import name_key



def check_id_for(key):
    """Return the check id of an imported check, derived from its natural key."""
    return hashlib.sha256(f"import:{key}".encode("utf-8")).hexdigest()[:32]


def existing_keys(keys):
    found = set()
    for chunk in chunks(keys):
        found.update(key for (key,) in Check.select(Check.external_key).where(Check.external_key.in_(chunk)).tuples())
    return found


def new_checks(checks):
    """Return the checks whose key was never imported, each key once, in order."""
    seen = existing_keys(list({check.key for check in checks}))
    fresh = []
    for check in checks:
        if check.key not in seen:
            seen.add(check.key)
            fresh.append(check)
    return fresh


def products_by_name(checks, events):
    """Return {name_key: Product} for every product named in `checks`, creating missing ones.

    Call inside a transaction. A new product's price is the unit price of
    its first line here; each new product stores a `product_saved` event,
which is appended to `events`.
    """
    needed = {}
    for check in checks:
        for line in check.lines:
            needed.setdefault(name_key(line.product_name), line)

    products = {}
    names = list(needed)
    for chunk in chunks(names):
        query = Product.select().where(Product.name_key.in_(chunk))
        products.update((product.name_key, product) for product in query)

    next_id = (Product.select(fn.MAX(Product.id)).scalar() or 0) + 1
    for key, line in needed.items():
        if key in products:
            continue
        product = Product.create(id=next_id, name=line.product_name, name_key=key,
                                 price_minor=line.unit_price_minor)
        events.append(add_event("product_saved", product_to_dict(product)))
        products[key] = product
        next_id += 1
    return products


def store_imported_checks(checks, user_ids):
    """Store new checks and one `checks_imported` event; call inside a transaction.

    Returns the stored checks as payload dicts, and the outbox events stored.
    """
    checks = new_checks(checks)
    if not checks:
        return [], []
    events = []
    products = products_by_name(checks, events)

    rows, lines, payloads = [], [], []
    for check in checks:
        check_row = Check(
            id=check_id_for(check.key),
            user_id=user_ids[check.user_key],
            recorded_at=check.recorded_at,
            total_minor=sum(line.amount_minor for line in check.lines),
            external_key=check.key,
        )
        check_lines = [
            CheckLine(
                check=check_row.id,
                line_no=line_no,
                product_id=products[name_key(line.product_name)].id,
                product_name=products[name_key(line.product_name)].name,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                amount_minor=line.amount_minor,
            )
            for line_no, line in enumerate(check.lines, start=1)
        ]
        rows.append(check_row)
        lines.extend(check_lines)
        payloads.append(check_to_dict(check_row, check_lines))

    Check.bulk_create(rows, batch_size=200)
    CheckLine.bulk_create(lines, batch_size=200)
    events.append(add_event("checks_imported", {"checks": payloads}))
    return payloads, events
