"""Conversion between decimal money strings and integer minor units."""
from decimal import Decimal, InvalidOperation

MINOR_UNITS = 100
# The largest amount accepted, in major units. Checks of up to 100 lines
# of 10,000 units each at this price still sum far below the 64-bit range
# of the integer columns.
MAX_AMOUNT = Decimal(1_000_000_000)


def parse_money(value, field):
    """Return `value` (a decimal string or an integer) in minor units.

    Raises ValueError with a message naming `field` when the value is not a
    number, is negative, is above MAX_AMOUNT or has more than two decimal
    places.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{field} must be a decimal string such as \"12.50\"")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field} must be a decimal number, got {value!r}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{field} must be a number of at least 0, got {value!r}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{field} must be at most {MAX_AMOUNT}, got {value!r}")

    minor = amount * MINOR_UNITS
    if minor != minor.to_integral_value():
        raise ValueError(f"{field} must have at most two decimal places, got {value!r}")
    return int(minor)


def format_money(minor):
    """Return integer minor units as a decimal string with two places."""
    return str((Decimal(minor) / MINOR_UNITS).quantize(Decimal("0.01")))
