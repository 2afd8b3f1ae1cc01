from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from history_import.grouping import CheckGrouper
from history_import.readers import read_cdnow, read_csv
from history_import.rows import RowError

MOSCOW = ZoneInfo("Europe/Moscow")
UTC = ZoneInfo("UTC")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cdnow_row_becomes_cd_check_at_noon(tmp_path):
    path = write(tmp_path, "cdnow.txt", " customer_id  date number_of_cds  dollar_value\n 00007 19970131  3   35.50\n")

    rows = list(read_cdnow(path, MOSCOW))

    line_no, row = rows[0]
    assert len(rows) == 1
    assert line_no == 2
    assert row.user_key == "cdnow:7"
    assert row.product_name == "CD"
    assert row.quantity == 3
    assert row.amount == "35.50"
    assert row.recorded_at == datetime(1997, 1, 31, 12, 0, tzinfo=MOSCOW)


@pytest.mark.parametrize("line, reason", [
    ("00001 19970101 1", "expected 4 fields"),
    ("abc 19970101 1 1.00", "customer_id 'abc' is not a number"),
    ("00001 19971301 1 1.00", "date '19971301' is not a valid YYYYMMDD date"),
    ("00001 19970101 0 1.00", "quantity 0 is not between 1 and 10000"),
    ("00001 19970101 x 1.00", "quantity 'x' is not an integer"),
    ("00001 19970101 1 -1.00", "dollar_value must be a number of at least 0, got '-1.00'"),
    ("00001 19970101 1 1.001", "dollar_value must have at most two decimal places, got '1.001'"),
    ("00001 19970101 1 abc", "dollar_value must be a decimal number, got 'abc'"),
])
def test_cdnow_reports_malformed_row_with_reason(tmp_path, line, reason):
    path = write(tmp_path, "cdnow.txt", f"00001 19970101 1 1.00\n{line}\n")

    rows = list(read_cdnow(path, UTC))

    line_no, error = rows[1]
    assert line_no == 2
    assert isinstance(error, RowError)
    assert reason in str(error)


def test_cdnow_keeps_free_items(tmp_path):
    path = write(tmp_path, "cdnow.txt", "00001 19970101 1 0.00\n")

    (_, row), = read_cdnow(path, UTC)

    assert row.amount == "0.00"


def test_csv_reads_dates_times_and_offsets(tmp_path):
    path = write(tmp_path, "checks.csv", (
        "user,timestamp,product,quantity,unit_price\n"
        "anna,2023-10-05,Milk,2,89.90\n"
        "anna,2023-10-05T08:30:00,Milk,1,89.90\n"
        "boris,2023-10-05T08:30:00+00:00,Tea,1,199\n"
    ))

    rows = [row for _, row in read_csv(path, MOSCOW)]

    assert [row.recorded_at for row in rows] == [
        datetime(2023, 10, 5, 12, 0, tzinfo=MOSCOW),
        datetime(2023, 10, 5, 8, 30, tzinfo=MOSCOW),
        datetime(2023, 10, 5, 8, 30, tzinfo=UTC),
    ]
    assert rows[0].user_key == "csv:anna"
    assert rows[2].unit_price == "199.00"


def test_csv_without_required_columns_is_one_error(tmp_path):
    path = write(tmp_path, "checks.csv", "who,when,what\nanna,2023-10-05,Milk\n")

    rows = list(read_csv(path, UTC))

    assert len(rows) == 1
    assert "the header lacks column(s): user, product, quantity, timestamp or date, unit_price or amount" \
        in str(rows[0][1])


@pytest.mark.parametrize("line, reason", [
    (",2023-10-05,Milk,1,1.00,", "user is empty"),
    ("anna,2023-10-05,,1,1.00,", "product is empty"),
    ("anna,2023-13-05,Milk,1,1.00,", "is not an ISO 8601 date or date-time"),
    ("anna,2023-10-05,Milk,1,,", "unit_price and amount are both empty"),
    ("anna,2023-10-05,Milk,2,1.00,3.00", "amount 3.00 is not unit_price 1.00 × quantity 2"),
    ("anna,2023-10-05,Milk,1,1.00,1.00,extra", "more fields than the header"),
])
def test_csv_reports_malformed_row(tmp_path, line, reason):
    path = write(tmp_path, "checks.csv", f"user,date,product,quantity,unit_price,amount\n{line}\n")

    (line_no, error), = read_csv(path, UTC)

    assert line_no == 2
    assert reason in str(error)


def test_grouper_keys_identical_rows_apart_and_stably(tmp_path):
    path = write(tmp_path, "cdnow.txt", "00001 19970101 1 1.00\n00001 19970101 1 1.00\n00002 19970101 1 1.00\n")

    def keys():
        grouper = CheckGrouper("cdnow")
        checks = []
        for _, row in read_cdnow(path, UTC):
            checks.extend(grouper.add(row))
        return [check.key for check in checks + grouper.flush()]

    first, second = keys(), keys()
    assert len(set(first)) == 3
    assert first == second


def test_grouper_joins_adjacent_rows_of_one_check(tmp_path):
    path = write(tmp_path, "checks.csv", (
        "check_id,user,timestamp,product,quantity,amount\n"
        "r1,anna,2023-10-05T10:00:00+00:00,Milk,1,1.00\n"
        "r1,anna,2023-10-05T10:00:00+00:00,Tea,2,4.00\n"
        "r2,anna,2023-10-06T10:00:00+00:00,Tea,1,2.00\n"
        "r2,boris,2023-10-06T10:00:00+00:00,Tea,1,2.00\n"
    ))
    grouper = CheckGrouper("csv")
    checks, errors = [], []

    for _, row in read_csv(path, UTC):
        try:
            checks.extend(grouper.add(row))
        except RowError as error:
            errors.append(str(error))
    checks.extend(grouper.flush())

    assert [len(check.rows) for check in checks] == [2, 1]
    assert checks[0].to_payload()["lines"] == [
        {"product_name": "Milk", "quantity": 1, "amount": "1.00"},
        {"product_name": "Tea", "quantity": 2, "amount": "4.00"},
    ]
    assert errors == ["check_id 'r2' repeats with another user or time than on line 4"]


def test_huge_amount_is_a_malformed_row(tmp_path):
    path = write(tmp_path, "checks.csv", "user,date,product,quantity,amount\nanna,2023-10-05,Milk,1,1e30\n")

    (_, error), = read_csv(path, UTC)

    assert isinstance(error, RowError)
    assert str(error) == "amount must be at most 1000000000, got '1e30'"


def test_csv_rejects_names_over_service_limits(tmp_path):
    path = write(tmp_path, "checks.csv", (
        "user,date,product,quantity,amount\n"
        f"anna,2023-10-05,{'x' * 65},1,1.00\n"
        f"{'u' * 197},2023-10-05,Milk,1,1.00\n"
    ))

    errors = [str(error) for _, error in read_csv(path, UTC)]

    assert errors == ["product name is longer than 64 characters", "user is longer than 196 characters"]


def test_csv_basic_date_is_noon(tmp_path):
    path = write(tmp_path, "checks.csv", "user,date,product,quantity,amount\nanna,20231005,Milk,1,1.00\n")

    (_, row), = read_csv(path, MOSCOW)

    assert row.recorded_at == datetime(2023, 10, 5, 12, 0, tzinfo=MOSCOW)


def test_keys_do_not_depend_on_timezone(tmp_path):
    path = write(tmp_path, "cdnow.txt", "00001 19970101 1 1.00\n")

    def key(zone):
        grouper = CheckGrouper("cdnow")
        (_, row), = read_cdnow(path, zone)
        grouper.add(row)
        return grouper.flush()[0].key

    assert key(UTC) == key(MOSCOW)


class RecordingRpc:
    """Stands in for the cluster proxy: records each import_checks batch."""

    def __init__(self):
        self.batches = []
        self.purchases_service = self

    def import_checks(self, checks):
        self.batches.append(checks)
        return {"imported": len(checks), "already_imported": 0}


def run_importer(path, strict=False):
    from history_import.importer import Importer

    rpc, reported = RecordingRpc(), []
    importer = Importer(rpc, "csv", 2, strict, lambda line_no, reason: reported.append((line_no, reason)),
                        lambda count: None)
    summary = importer.run(read_csv(path, UTC))
    return rpc.batches, reported, summary


def test_malformed_line_skips_its_whole_check(tmp_path):
    path = write(tmp_path, "checks.csv", (
        "check_id,user,timestamp,product,quantity,amount\n"
        "r1,anna,2023-10-05T10:00:00+00:00,Milk,1,1.00\n"
        "r1,anna,2023-10-05T10:00:00+00:00,Tea,0,4.00\n"
        "r1,anna,2023-10-05T10:00:00+00:00,Bread,1,2.00\n"
        "r2,boris,2023-10-06T10:00:00+00:00,Tea,1,2.00\n"
    ))

    batches, reported, summary = run_importer(path)

    sent = [check for batch in batches for check in batch]
    assert [len(check["lines"]) for check in sent] == [1]
    assert sent[0]["user_key"] == "csv:boris"
    assert [line_no for line_no, _ in reported] == [3, 2, 4]
    assert reported[1][1] == "check_id 'r1' has a malformed line 3"
    assert summary.rows_read == 4
    assert sum(summary.rows_skipped.values()) == 3
    assert summary.checks_imported == 1


def test_summary_groups_reasons_without_values(tmp_path):
    path = write(tmp_path, "checks.csv", (
        "user,date,product,quantity,amount\n"
        "anna,2023-10-05,Milk,0,1.00\n"
        "anna,2023-10-05,Milk,20000,1.00\n"
        "anna,2023-10-05,Milk,x,1.00\n"
    ))

    _, _, summary = run_importer(path)

    assert summary.rows_skipped == {"quantity … is not between … and …": 2, "quantity … is not an integer": 1}
