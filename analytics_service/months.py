"""Months as integer indexes, and the month ranges the analytics accept."""
import re
from datetime import datetime

from analytics_service.exceptions import InvalidInput

MAX_SPAN = 120  # months between start_date and end_date, at most
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(year, month):
    return year * 12 + month - 1


def format_month(index):
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def parse_month(value, field):
    """Return the index of a `YYYY-MM` string, or raise InvalidInput naming `field`."""
    if value is None or value == "":
        raise InvalidInput(f"{field} is required, in the form YYYY-MM", field)
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string in the form YYYY-MM", field)
    match = MONTH_PATTERN.match(value)
    if match is None:
        raise InvalidInput(f"{field} must be in the form YYYY-MM, got {value!r}", field)
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1 or not 1 <= month <= 12:
        raise InvalidInput(f"{field} is not a valid month: {value!r}", field)
    return month_index(year, month)


def parse_month_range(start_date, end_date):
    """Return (first, last) month indexes of an inclusive range of at most MAX_SPAN months apart."""
    first = parse_month(start_date, "start_date")
    last = parse_month(end_date, "end_date")
    if last < first:
        raise InvalidInput("end_date must not be before start_date", "end_date")
    if last - first > MAX_SPAN:
        raise InvalidInput(
            f"end_date must be at most {MAX_SPAN} months after start_date", "end_date"
        )
    return first, last


def month_of(moment, timezone):
    """Return the month index of an aware datetime in `timezone`."""
    local = moment.astimezone(timezone)
    return month_index(local.year, local.month)


def parse_utc_timestamp(value):
    """Parse an ISO 8601 timestamp with an offset; raise ValueError otherwise."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return moment
