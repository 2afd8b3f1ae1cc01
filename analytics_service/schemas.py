"""Parsing of incoming events and mapping of answers to plain dicts."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from analytics_service.exceptions import MalformedEvent
from analytics_service.months import parse_utc_timestamp
from service_support.money import format_money, parse_money


@dataclass(frozen=True)
class CheckLine:
    product_id: int
    product_name: str
    quantity: int
    amount_minor: int


@dataclass(frozen=True)
class CheckEvent:
    check_id: str
    user_id: str
    recorded_at: object  # an aware datetime
    lines: tuple


def require(payload, key, kind):
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedEvent(f"field {key!r} is missing or not a {kind.__name__}")
    return value


def parse_check_event(payload):
    """Return a CheckEvent from a `check_recorded` payload, or raise MalformedEvent."""
    check_id = require(payload, "check_id", str)
    user_id = require(payload, "user_id", str)
    try:
        recorded_at = parse_utc_timestamp(require(payload, "recorded_at", str))
    except ValueError as error:
        raise MalformedEvent(f"check {check_id}: {error}")
    lines = tuple(parse_line(line, check_id) for line in require(payload, "lines", list))
    return CheckEvent(check_id, user_id, recorded_at, lines)


def parse_imported_checks(payload):
    """Return the CheckEvents of a `checks_imported` payload, or raise MalformedEvent."""
    return [parse_check_event(check) for check in require(payload, "checks", list)]


def parse_line(line, check_id):
    product_id = require(line, "product_id", int)
    quantity = require(line, "quantity", int)
    try:
        if line.get("amount") is not None:
            amount_minor = parse_money(line["amount"], "amount")
        else:
            amount_minor = parse_money(require(line, "unit_price", str), "unit_price") * quantity
    except ValueError as error:
        raise MalformedEvent(f"check {check_id}: {error}")
    return CheckLine(product_id, require(line, "product_name", str), quantity, amount_minor)


def parse_product_event(payload):
    """Return (id, name) from a `product_saved` payload, or raise MalformedEvent."""
    return require(payload, "id", int), require(payload, "name", str)


def average_money(total_minor, count):
    """Return total / count as a money string rounded half up, "0.00" for no checks."""
    if count == 0:
        return format_money(0)
    average_minor = (Decimal(total_minor) / count).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return format_money(int(average_minor))

