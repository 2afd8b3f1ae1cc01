"""Readers of the supported file formats: each yields (line number, Row or RowError).

CDNOW: the master file of the CDNOW purchase log, one purchase per line,
whitespace-separated `customer_id date(YYYYMMDD) number_of_cds dollar_value`,
after an optional header line naming those columns.
Each line becomes one check of one product named "CD" whose line amount is
the dollar value.

CSV: a header line, then one check line per row. Columns: `user`,
`timestamp` or `date`, `product`, `quantity`, and `unit_price` or `amount`
(or both, when amount = unit_price × quantity), plus an optional `check_id`:
adjacent rows with the same check_id are the lines of one check.
"""
import csv
from datetime import date, datetime
from decimal import Decimal

from history_import.rows import (
    MAX_PRODUCT_NAME_LENGTH,
    MAX_USER_KEY_LENGTH,
    Row,
    RowError,
    noon,
    parse_money_text,
    parse_quantity,
)

CSV_REQUIRED = ("user", "product", "quantity")


def read_cdnow(path, timezone):
    with open(path, encoding="ascii", errors="replace") as source:
        for line_no, text in enumerate(source, start=1):
            if not text.strip() or (line_no == 1 and text.split()[0] == "customer_id"):
                continue
            try:
                yield line_no, parse_cdnow_line(line_no, text, timezone)
            except RowError as error:
                yield line_no, error


def parse_cdnow_line(line_no, text, timezone):
    fields = text.split()
    if len(fields) != 4:
        raise RowError(f"expected 4 fields (customer_id date number_of_cds dollar_value), got {len(fields)}")
    customer, day, quantity, amount = fields
    if not customer.isdigit():
        raise RowError(f"customer_id {customer!r} is not a number")
    try:
        purchase_day = datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise RowError(f"date {day!r} is not a valid YYYYMMDD date")
    return Row(
        line_no=line_no,
        user_key=f"cdnow:{int(customer)}",
        recorded_at=noon(purchase_day, timezone),
        time_text=day,
        product_name="CD",
        quantity=parse_quantity(quantity),
        amount=parse_money_text(amount, "dollar_value"),
    )


def read_csv(path, timezone):
    with open(path, encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        problem = check_csv_header(header)
        if problem:
            yield 1, RowError(problem)
            return
        for record in reader:
            line_no = reader.line_num
            try:
                yield line_no, parse_csv_record(line_no, record, timezone)
            except RowError as error:
                yield line_no, error


def check_csv_header(header):
    missing = [column for column in CSV_REQUIRED if column not in header]
    if "timestamp" not in header and "date" not in header:
        missing.append("timestamp or date")
    if "unit_price" not in header and "amount" not in header:
        missing.append("unit_price or amount")
    if missing:
        return f"the header lacks column(s): {', '.join(missing)}; found: {', '.join(header) or 'nothing'}"
    return None


def value_of(record, column):
    value = record.get(column)
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_csv_record(line_no, record, timezone):
    """Return the record as a Row; a RowError carries the record's check_id."""
    try:
        return csv_record_to_row(line_no, record, timezone)
    except RowError as error:
        error.check_ref = value_of(record, "check_id")
        raise


def csv_record_to_row(line_no, record, timezone):
    if None in record:
        raise RowError("the row has more fields than the header")
    user = value_of(record, "user")
    product = value_of(record, "product")
    if user is None:
        raise RowError("user is empty")
    if len(f"csv:{user}") > MAX_USER_KEY_LENGTH:
        raise RowError(f"user is longer than {MAX_USER_KEY_LENGTH - 4} characters")
    if product is None:
        raise RowError("product is empty")
    if len(product) > MAX_PRODUCT_NAME_LENGTH:
        raise RowError(f"product name is longer than {MAX_PRODUCT_NAME_LENGTH} characters")

    unit_price, amount = value_of(record, "unit_price"), value_of(record, "amount")
    if unit_price is None and amount is None:
        raise RowError("unit_price and amount are both empty")
    quantity = parse_quantity(value_of(record, "quantity") or "")
    time_text = value_of(record, "timestamp") or value_of(record, "date")
    row = Row(
        line_no=line_no,
        user_key=f"csv:{user}",
        recorded_at=parse_moment(time_text, timezone),
        time_text=time_text,
        product_name=product,
        quantity=quantity,
        unit_price=parse_money_text(unit_price, "unit_price") if unit_price else None,
        amount=parse_money_text(amount, "amount") if amount else None,
        check_ref=value_of(record, "check_id"),
    )
    if row.unit_price and row.amount and Decimal(row.unit_price) * quantity != Decimal(row.amount):
        raise RowError(f"amount {row.amount} is not unit_price {row.unit_price} × quantity {quantity}")
    return row


def parse_moment(text, timezone):
    """Parse an ISO 8601 timestamp or date; a naive time is in `timezone`, a date is its noon."""
    if text is None:
        raise RowError("timestamp/date is empty")
    try:
        return noon(date.fromisoformat(text), timezone)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"timestamp {text!r} is not an ISO 8601 date or date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)


READERS = {"cdnow": read_cdnow, "csv": read_csv}
