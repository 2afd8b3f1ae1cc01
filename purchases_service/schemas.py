"""Validation of purchases_service input and mapping of rows to plain dicts."""
import unicodedata
from datetime import timezone

from purchases_service.exceptions import InvalidInput
from service_support.money import format_money, parse_money

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_NAME_LENGTH = 64
# Product ids are 32-bit integer columns in PostgreSQL.
MAX_PRODUCT_ID = 2**31 - 1


def is_strict_int(value):
    """Tell whether `value` is an int and not a bool (JSON true is no quantity)."""
    return isinstance(value, int) and not isinstance(value, bool)


def validate_user_id(value):
    if not isinstance(value, str) or not value:
        raise InvalidInput("user_id must be a non-empty string", "user_id")
    return value


def validate_purchases(value):
    """Return the check's lines as (product_id, quantity) pairs, in order."""
    if value is None:
        raise InvalidInput("purchases is required", "purchases")
    if not isinstance(value, list):
        raise InvalidInput("purchases must be a list of {product_id, quantity} objects", "purchases")
    if not value:
        raise InvalidInput("purchases must contain at least one line", "purchases")
    if len(value) > MAX_LINES:
        raise InvalidInput(
            f"purchases must contain at most {MAX_LINES} lines, got {len(value)}", "purchases"
        )
    return [validate_line(line, f"purchases[{index}]") for index, line in enumerate(value)]


def validate_line(line, field):
    if not isinstance(line, dict):
        raise InvalidInput(f"{field} must be an object with product_id and quantity", field)

    product_id = line.get("product_id")
    if product_id is None:
        raise InvalidInput(f"{field}.product_id is required", f"{field}.product_id")
    if not is_strict_int(product_id) or not 1 <= product_id <= MAX_PRODUCT_ID:
        raise InvalidInput(
            f"{field}.product_id must be an integer from 1 to {MAX_PRODUCT_ID}", f"{field}.product_id"
        )

    quantity = line.get("quantity")
    if quantity is None:
        raise InvalidInput(f"{field}.quantity is required", f"{field}.quantity")
    if not is_strict_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            f"{field}.quantity must be an integer from 1 to {MAX_QUANTITY}", f"{field}.quantity"
        )
    return product_id, quantity


def validate_product_name(value):
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name must be a non-blank string", "name")
    name = value.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters", "name")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise InvalidInput("name must not contain control characters", "name")
    return name


def validate_price(value):
    try:
        return parse_money(value, "price")
    except ValueError as error:
        raise InvalidInput(str(error), "price")


def validate_product_id(value):
    if value is None:
        return None
    if not is_strict_int(value) or not 1 <= value <= MAX_PRODUCT_ID:
        raise InvalidInput(f"product_id must be an integer from 1 to {MAX_PRODUCT_ID}", "product_id")
    return value


def as_utc_iso(naive_utc):
    return naive_utc.replace(tzinfo=timezone.utc).isoformat()


def product_to_dict(product):
    return {"id": product.id, "name": product.name, "price": format_money(product.price_minor)}


def check_to_dict(check, lines):
    """Map a check and its lines to the RPC result, also the event payload."""
    return {
        "check_id": check.id,
        "user_id": check.user_id,
        "recorded_at": as_utc_iso(check.recorded_at),
        "total": format_money(check.total_minor),
        "lines": [
            {
                "product_id": line.product_id,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": format_money(line.unit_price_minor),
                "amount": format_money(line.amount_minor),
            }
            for line in lines
        ],
    }
