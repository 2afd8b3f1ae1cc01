"""Rows read from an import file, and the checks they form."""
from dataclasses import dataclass, field
from datetime import datetime, time

from service_support.money import format_money, parse_money

MAX_QUANTITY = 10_000
MAX_LINES = 100  # lines of one check
MAX_PRODUCT_NAME_LENGTH = 64
MAX_USER_KEY_LENGTH = 200


class RowError(ValueError):
    """A row of the file cannot be imported; the message gives the reason.

    `check_ref` is the row's check_id when it has one, so the rest of that
    check can be skipped with it.
    """

    check_ref = None


@dataclass
class Row:
    line_no: int
    user_key: str
    recorded_at: datetime  # aware
    time_text: str  # the date or time as written in the file, part of the natural key
    product_name: str
    quantity: int
    unit_price: str | None = None
    amount: str | None = None
    check_ref: str | None = None  # rows with the same reference form one check


@dataclass
class PendingCheck:
    key: str
    rows: list = field(default_factory=list)

    def to_payload(self):
        first = self.rows[0]
        lines = []
        for row in self.rows:
            line = {"product_name": row.product_name, "quantity": row.quantity}
            if row.unit_price is not None:
                line["unit_price"] = row.unit_price
            if row.amount is not None:
                line["amount"] = row.amount
            lines.append(line)
        return {
            "key": self.key,
            "user_key": first.user_key,
            "recorded_at": first.recorded_at.isoformat(),
            "lines": lines,
        }


def parse_quantity(text):
    try:
        quantity = int(text)
    except ValueError:
        raise RowError(f"quantity {text!r} is not an integer")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise RowError(f"quantity {quantity} is not between 1 and {MAX_QUANTITY}")
    return quantity


def parse_money_text(text, name):
    """Return `text` normalised to two decimal places, or raise RowError.

    The rules are the services' own (service_support.money), so a row that
    passes here is not rejected later with its whole batch.
    """
    try:
        return format_money(parse_money(text, name))
    except ValueError as error:
        raise RowError(str(error))


def noon(day, timezone):
    """Return noon of `day` in `timezone`: a time whose calendar month is the day's month in that zone."""
    return datetime.combine(day, time(12, 0), tzinfo=timezone)
