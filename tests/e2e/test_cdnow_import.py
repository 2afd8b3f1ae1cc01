"""The CDNOW purchase log imported through the CLI, and every analytics answer checked.

The expected answers are computed here from the raw file with plain Python,
independently of the product's code. CI imports the first CDNOW_ROWS data
rows (default 8000); `CDNOW_ROWS=all` imports the whole file (see
docs/cdnow.md for the command and its last result).
"""
import os
import subprocess
import sys
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from history_import.cdnow import fetch_cdnow
from tests.e2e.stack import BIN, REPO, Stack

CACHE = REPO / "var" / "cdnow"
WAIT = 120  # seconds for analytics to catch up with the import


@pytest.fixture(scope="module")
def cdnow_file(tmp_path_factory):
    """The CDNOW master file, or its first CDNOW_ROWS data rows."""
    full = Path(fetch_cdnow(str(CACHE)))
    rows = os.environ.get("CDNOW_ROWS", "8000")
    if rows == "all":
        return full
    lines = full.read_text().splitlines(keepends=True)
    path = tmp_path_factory.mktemp("cdnow") / f"CDNOW_first_{rows}.txt"
    path.write_text("".join(lines[:1 + int(rows)]))
    return path


def expected_from_file(path):
    """Compute per-month units, revenue in cents, check counts and customer sets from the raw file."""
    units, cents, checks, customers = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(set)
    with open(path) as source:
        for text in source:
            fields = text.split()
            if not fields or fields[0] == "customer_id":
                continue
            customer, day, quantity, dollars = fields
            month = f"{day[:4]}-{day[4:6]}"
            units[month] += int(quantity)
            cents[month] += int(Decimal(dollars) * 100)
            checks[month] += 1
            customers[month].add(customer)
    return units, cents, checks, customers


def months_between(first, last):
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def run_import(stack, path, *extra):
    env = dict(os.environ, AMQP_URI=stack.environment_amqp_uri, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [str(BIN / "python"), "-m", "history_import", str(path), "--format", "cdnow", *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )


def money(cents):
    return float(Decimal(cents) / 100)


def average(cents, count):
    if count == 0:
        return 0.0
    return float((Decimal(cents) / count / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def interrupted_import(stack, path):
    """Start an import and kill it as soon as analytics has counted one of its batches."""
    env = dict(os.environ, AMQP_URI=stack.environment_amqp_uri, PYTHONWARNINGS="ignore")
    query = f"{stack.base_url}/data/visitor_count?start_date=1997-01&end_date=1998-12"
    before = httpx.get(query).json()["visitor_count"]
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "history_import", str(path), "--format", "cdnow", "--batch-size", "100"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if httpx.get(query).json()["visitor_count"] > before:
            break
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def imported(cdnow_file, tmp_path_factory):
    """A stack with the file imported: after a killed import, rerun, then once more."""
    stack = Stack("sqlite", tmp_path_factory.mktemp("stack-cdnow"))
    stack.start()
    try:
        head = cdnow_file.parent / "head.txt"
        head.write_text("".join(cdnow_file.read_text().splitlines(keepends=True)[:2001]))
        partial = run_import(stack, head)
        interrupted_import(stack, cdnow_file)
        first = run_import(stack, cdnow_file)
        second = run_import(stack, cdnow_file)
        yield stack, partial, first, second
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def answers(imported, cdnow_file):
    """The expected numbers, once analytics has caught up with them."""
    stack = imported[0]
    units, cents, checks, customers = expected_from_file(cdnow_file)
    first, last = min(units), max(units)
    deadline = time.monotonic() + WAIT
    query = f"start_date={first}&end_date={last}"
    while time.monotonic() < deadline:
        total = httpx.get(f"{stack.base_url}/data/total_purchases?{query}").json()
        if total == {"total_purchases": money(sum(cents.values()))}:
            break
        time.sleep(0.5)
    return stack, units, cents, checks, customers


def test_import_reports_rows_and_checks(imported, cdnow_file):
    _, partial, first, second = imported
    data_rows = len(cdnow_file.read_text().splitlines()) - 1

    assert partial.returncode == 0, partial.stderr
    assert "checks imported:         2000" in partial.stdout
    assert first.returncode == 0, first.stderr
    assert f"rows read:               {data_rows}" in first.stdout
    assert imported_count(first) + already_count(first) == data_rows
    assert already_count(first) > 2000
    assert "rows skipped:            0" in first.stdout


def imported_count(result):
    return int(result.stdout.split("checks imported:")[1].split()[0])


def already_count(result):
    return int(result.stdout.split("checks already imported:")[1].split()[0])


def test_second_import_changes_nothing(imported, cdnow_file):
    second = imported[3]
    data_rows = len(cdnow_file.read_text().splitlines()) - 1

    assert second.returncode == 0, second.stderr
    assert "checks imported:         0" in second.stdout
    assert f"checks already imported: {data_rows}" in second.stdout


def test_values_match_every_month(answers):
    stack, units, _, _, _ = answers
    products = httpx.get(f"{stack.base_url}/data/products").json()
    cd = next(product["id"] for product in products if product["name"] == "CD")
    first, last = min(units), max(units)

    response = httpx.get(f"{stack.base_url}/data/values?product_id={cd}&start_date={first}&end_date={last}")

    assert response.json() == {"label": "CD", "values": [units[month] for month in months_between(first, last)]}


def ranges(units):
    first, last = min(units), max(units)
    months = list(months_between(first, last))
    singles = [(month, month) for month in months]
    quarters = [(months[index], months[min(index + 2, len(months) - 1)]) for index in range(0, len(months), 3)]
    crossing = [("1997-11", "1998-02")] if first <= "1997-11" and last >= "1998-02" else []
    return singles + quarters + crossing + [(first, last), ("1996-01", "1996-12")]


def test_totals_averages_and_visitors_match(answers):
    stack, units, cents, checks, customers = answers

    for start, end in ranges(units):
        months = list(months_between(start, end))
        expected_cents = sum(cents.get(month, 0) for month in months)
        expected_checks = sum(checks.get(month, 0) for month in months)
        expected_visitors = len(set().union(*(customers.get(month, set()) for month in months)))
        query = f"start_date={start}&end_date={end}"

        total = httpx.get(f"{stack.base_url}/data/total_purchases?{query}").json()
        mean = httpx.get(f"{stack.base_url}/data/average_check?{query}").json()
        visitors = httpx.get(f"{stack.base_url}/data/visitor_count?{query}").json()

        assert (start, end, total) == (start, end, {"total_purchases": money(expected_cents)})
        assert (start, end, mean) == (start, end, {"average_check": average(expected_cents, expected_checks)})
        assert (start, end, visitors) == (start, end, {"visitor_count": expected_visitors})


def test_malformed_rows_are_reported_and_skipped(imported, cdnow_file, tmp_path):
    stack = imported[0]
    first_row = cdnow_file.read_text().splitlines()[1]
    path = tmp_path / "broken.txt"
    path.write_text(f"{first_row}\n00001 19971301 1 1.00\n00002 19970101 1\n")

    lenient = run_import(stack, path)
    strict = run_import(stack, path, "--strict")

    assert lenient.returncode == 0, lenient.stderr
    assert f"{path}:2: skipped: date '19971301' is not a valid YYYYMMDD date" in lenient.stderr
    assert f"{path}:3: skipped: expected 4 fields" in lenient.stderr
    assert "checks already imported: 1" in lenient.stdout
    assert "rows skipped:            2" in lenient.stdout
    assert strict.returncode == 1
    assert "stopped at the first malformed row (--strict): line 2:" in strict.stderr
    assert f"{path}:3:" not in strict.stderr
