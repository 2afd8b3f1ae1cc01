"""Validation of the checks sent to `import_checks`."""
from dataclasses import dataclass
from datetime import datetime, timezone

from purchases_service.exceptions import InvalidInput
from purchases_service.schemas import MAX_LINES, MAX_NAME_LENGTH, MAX_QUANTITY, is_strict_int
from service_support.money import parse_money

MAX_IMPORT_CHECKS = 5000
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class ImportedLine:
    product_name: str
    quantity: int
    unit_price_minor: int
    amount_minor: int


@dataclass(frozen=True)
class ImportedCheck:
    key: str
    user_key: str
    recorded_at: datetime  # naive UTC, as stored
    lines: tuple


def validate_import(checks):
    """Return the checks as ImportedCheck objects, or raise InvalidInput naming the field."""
    if not isinstance(checks, list) or not checks:
        raise InvalidInput("checks must be a non-empty list", "checks")
    if len(checks) > MAX_IMPORT_CHECKS:
        raise InvalidInput(f"checks must have at most {MAX_IMPORT_CHECKS} items per call", "checks")
    return [validate_check(check, f"checks[{index}]") for index, check in enumerate(checks)]


def require_text(mapping, key, where, max_length):
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
        raise InvalidInput(
            f"{where}.{key} must be a non-blank string of at most {max_length} characters", f"{where}.{key}"
        )
    return value.strip()


def validate_check(check, where):
    if not isinstance(check, dict):
        raise InvalidInput(f"{where} must be an object", where)
    key = require_text(check, "key", where, MAX_KEY_LENGTH)
    user_key = require_text(check, "user_key", where, MAX_KEY_LENGTH)
    recorded_at = parse_timestamp(check.get("recorded_at"), f"{where}.recorded_at")

    lines = check.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInput(f"{where}.lines must be a list of 1 to {MAX_LINES} lines", f"{where}.lines")
    parsed = tuple(validate_line(line, f"{where}.lines[{index}]") for index, line in enumerate(lines))
    return ImportedCheck(key, user_key, recorded_at, parsed)


def parse_timestamp(value, field):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp with a UTC offset", field)
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} must have a UTC offset, e.g. 2023-10-05T12:00:00+03:00", field)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def validate_line(line, where):
    """Return an ImportedLine; the line gives `unit_price` or `amount`, or both if they agree."""
    if not isinstance(line, dict):
        raise InvalidInput(f"{where} must be an object", where)
    name = require_text(line, "product_name", where, MAX_NAME_LENGTH)
    quantity = line.get("quantity")
    if not is_strict_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"{where}.quantity must be an integer from 1 to {MAX_QUANTITY}", f"{where}.quantity")

    unit_price, amount = line.get("unit_price"), line.get("amount")
    if unit_price is None and amount is None:
        raise InvalidInput(f"{where} must have unit_price or amount", f"{where}.amount")
    try:
        unit_minor = parse_money(unit_price, "unit_price") if unit_price is not None else None
        amount_minor = parse_money(amount, "amount") if amount is not None else None
    except ValueError as error:
        raise InvalidInput(f"{where}: {error}", where)

    if amount_minor is None:
        amount_minor = unit_minor * quantity
    elif unit_minor is None:
        # The amount is kept exactly; the unit price is only informative, rounded half up.
        unit_minor = (amount_minor * 2 + quantity) // (2 * quantity)
    elif unit_minor * quantity != amount_minor:
        raise InvalidInput(f"{where}: amount is not unit_price × quantity", f"{where}.amount")
    return ImportedLine(name, quantity, unit_minor, amount_minor)
